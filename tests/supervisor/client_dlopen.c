/* dlopens argv[1] by its absolute path, as GPU discovery code does. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	void *h = dlopen(argv[1], RTLD_NOW);
	if (!h) {
		printf("dlopen failed: %s\n", dlerror());
		return 1;
	}
	const char *(*mark)(void) = (const char *(*)(void))dlsym(h, "vgpu_test_mark");
	printf("mark=%s\n", mark ? mark() : "(none)");
	return 0;
}
