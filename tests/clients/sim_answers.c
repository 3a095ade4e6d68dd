/* What the Python clients needed from the sim, without PyPI: each line is
 * one answer NVIDIA's driver or runtime gives, printed as NAME=VALUE for
 * the test to compare.
 *   cuStreamIsCapturing on the legacy stream: success, status NONE (CuPy
 *     asks before every copy);
 *   cuPointerGetAttributes of host memory CUDA does not know: success,
 *     memory type 0, ordinal -2; of a device allocation: device, ordinal;
 *   cudaGetDriverEntryPointByVersion of an unknown name:
 *     cudaErrorSymbolNotFound, which is also the last error, status 1. */
#include <dlfcn.h>
#include <stdio.h>

#include "cuda_types.h"

#define SYM(h, name, type)                                                    \
	__typeof__(type) name = (type)dlsym(h, #name);                        \
	if (!name) {                                                          \
		printf("missing=%s\n", #name);                                \
		return 1;                                                     \
	}

int main(void)
{
	void *cu = dlopen("libcuda.so.1", RTLD_NOW);
	void *rt = dlopen("libcudart.so.13", RTLD_NOW);
	if (!cu || !rt) {
		printf("dlopen=%s\n", dlerror());
		return 1;
	}
	SYM(cu, cuInit, CUresult(*)(unsigned));
	SYM(cu, cuDevicePrimaryCtxRetain, CUresult(*)(CUcontext *, CUdevice));
	SYM(cu, cuCtxSetCurrent, CUresult(*)(CUcontext));
	SYM(cu, cuMemAlloc_v2, CUresult(*)(CUdeviceptr *, size_t));
	SYM(cu, cuStreamIsCapturing, CUresult(*)(CUstream, int *));
	SYM(cu, cuPointerGetAttributes,
	    CUresult(*)(unsigned, int *, void **, CUdeviceptr));
	SYM(rt, cudaGetDriverEntryPointByVersion,
	    cudaError_t(*)(const char *, void **, unsigned, unsigned long long, int *));
	SYM(rt, cudaGetLastError, cudaError_t(*)(void));
	CUcontext ctx;
	if (cuInit(0) || cuDevicePrimaryCtxRetain(&ctx, 0) || cuCtxSetCurrent(ctx)) {
		printf("init=failed\n");
		return 1;
	}
	int status = 7;
	CUresult r = cuStreamIsCapturing(CU_STREAM_LEGACY, &status);
	printf("capturing=%d,%d\n", r, status);

	static char host[64];
	CUdeviceptr dev = 0;
	cuMemAlloc_v2(&dev, 1 << 20);
	for (int i = 0; i < 2; i++) {
		int attrs[] = { CU_POINTER_ATTRIBUTE_MEMORY_TYPE,
				CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL };
		unsigned type = 99;
		int ordinal = 99;
		void *data[] = { &type, &ordinal };
		r = cuPointerGetAttributes(2, attrs, data,
					   i ? dev : (CUdeviceptr)(uintptr_t)host);
		printf("%s_attributes=%d,%u,%d\n", i ? "device" : "host", r, type,
		       ordinal);
	}

	void *fn = &fn;
	status = 7;
	cudaError_t e = cudaGetDriverEntryPointByVersion("cuNoSuchFunction", &fn,
							 12000, 0, &status);
	printf("entry_point=%d,%s,%d,last=%d\n", e, fn ? "fn" : "null", status,
	       cudaGetLastError());
	return 0;
}
