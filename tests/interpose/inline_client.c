/* The inline route's client:  inline_client REAL_DRIVER
 * Opens REAL_DRIVER by its absolute path, keeps pointers to three of its
 * functions, only then loads libcuda.so.1 (the interposer, served by
 * vgpu-run or found on LD_LIBRARY_PATH), and calls through the old
 * pointers.  Prints what each returned. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	void *real = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!real) {
		printf("dlopen %s: %s\n", argv[1], dlerror());
		return 1;
	}
	int (*init)(unsigned) = (int (*)(unsigned))dlsym(real, "cuInit");
	int (*version)(int *) = (int (*)(int *))dlsym(real, "cuDriverGetVersion");
	int (*count)(int *) = (int (*)(int *))dlsym(real, "cuDeviceGetCount");
	if (!init || !version || !count || !dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL)) {
		printf("setup failed: %s\n", dlerror());
		return 1;
	}
	int v = 0, n = 0;
	int a = init(0);
	int b = version(&v);
	int c = count(&n);
	printf("cuInit %d version %d (%d) count %d (%d)\n", a, v, b, n, c);
	return 0;
}
