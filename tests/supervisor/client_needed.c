/* Linked with DT_NEEDED libcuda.so.1: prints which library it got, and
 * for each path argument whether that path is visible to it. */
#include <stdio.h>
#include <unistd.h>

int cuInit(unsigned flags);
const char *vgpu_test_mark(void);

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("%s %s\n", access(argv[i], F_OK) ? "hidden" : "visible",
		       argv[i]);
	printf("cuInit=%d mark=%s\n", cuInit(0), vgpu_test_mark());
	return 0;
}
