/* Loads one module image both ways the driver API offers and looks a
 * kernel up by name, one "what result" line each:
 *
 *   fatbin_load FILE KERNEL
 *     module R     cuModuleLoadData
 *     function R   cuModuleGetFunction (when the module loaded)
 *     param I offset O size S   cuFuncGetParamInfo, for each parameter
 *     library R    cuLibraryLoadData
 *     kernel R     cuLibraryGetKernel (when the library loaded)
 *
 * It opens libcuda.so.1 by name, so LD_LIBRARY_PATH picks the driver. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "cuda_types.h"

static void *sym(void *h, const char *name)
{
	void *p = dlsym(h, name);
	if (!p) {
		fprintf(stderr, "fatbin_load: missing %s\n", name);
		exit(3);
	}
	return p;
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fatbin_load FILE KERNEL\n");
		return 2;
	}
	void *cu = dlopen("libcuda.so.1", RTLD_NOW);
	if (!cu) {
		fprintf(stderr, "fatbin_load: %s\n", dlerror());
		return 3;
	}
	CUresult (*init)(unsigned) = sym(cu, "cuInit");
	CUresult (*ctx_create)(CUcontext *, unsigned, CUdevice) =
		sym(cu, "cuCtxCreate_v2");
	CUresult (*mod_load)(CUmodule *, const void *) =
		sym(cu, "cuModuleLoadData");
	CUresult (*get_function)(CUfunction *, CUmodule, const char *) =
		sym(cu, "cuModuleGetFunction");
	CUresult (*param_info)(CUfunction, size_t, size_t *, size_t *) =
		sym(cu, "cuFuncGetParamInfo");
	CUresult (*lib_load)(CUlibrary *, const void *, void *, void **,
			     unsigned, void *, void **, unsigned) =
		sym(cu, "cuLibraryLoadData");
	CUresult (*get_kernel)(CUkernel *, CUlibrary, const char *) =
		sym(cu, "cuLibraryGetKernel");

	FILE *f = fopen(argv[1], "rb");
	if (!f) {
		perror(argv[1]);
		return 1;
	}
	static char img[1 << 24];
	size_t len = fread(img, 1, sizeof(img) - 1, f);
	fclose(f);
	img[len] = 0;

	CUcontext ctx;
	if (init(0) || ctx_create(&ctx, 0, 0))
		return 1;
	CUmodule mod;
	CUresult r = mod_load(&mod, img);
	printf("module %d\n", r);
	if (!r) {
		CUfunction fn;
		r = get_function(&fn, mod, argv[2]);
		printf("function %d\n", r);
		size_t off, size;
		for (size_t i = 0; !r && !param_info(fn, i, &off, &size); i++)
			printf("param %zu offset %zu size %zu\n", i, off, size);
	}
	CUlibrary lib;
	r = lib_load(&lib, img, NULL, NULL, 0, NULL, NULL, 0);
	printf("library %d\n", r);
	if (!r) {
		CUkernel k;
		printf("kernel %d\n", get_kernel(&k, lib, argv[2]));
	}
	return 0;
}
