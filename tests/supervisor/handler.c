/* A minimal "vGPU handler": exports cuInit and says which file it is. */
#include <stdio.h>

#ifndef MARK
#define MARK "handler"
#endif

int cuInit(unsigned flags)
{
	(void)flags;
	return 0;
}

const char *vgpu_test_mark(void)
{
	return MARK;
}
