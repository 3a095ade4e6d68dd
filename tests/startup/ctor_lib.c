/* A library whose constructor, run inside the loader's lock, loads the
 * driver and a runtime by name and calls them: the interposer's start-up
 * must not wait on anything that lock holds. */
#include <dlfcn.h>
#include <stdio.h>

__attribute__((constructor)) static void load_cuda(void)
{
	int drv = -1, rt = -1, n = -1;
	void *d = dlopen("libcuda.so.1", RTLD_NOW | RTLD_GLOBAL);
	void *r = dlopen(CTOR_RUNTIME, RTLD_NOW | RTLD_GLOBAL);
	int (*init)(unsigned) = d ? (int (*)(unsigned))dlsym(d, "cuInit") : NULL;
	int (*count)(int *) = r ? (int (*)(int *))dlsym(r, "cudaGetDeviceCount") : NULL;
	if (init)
		drv = init(0);
	if (count)
		rt = count(&n);
	printf("ctor=%d:%d:%d ", drv, rt, n);
	fflush(stdout);
}
