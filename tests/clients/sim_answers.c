/* What the Python clients needed from the sim, without PyPI: each line is
 * one answer NVIDIA's driver or runtime gives, printed as NAME=VALUE for
 * the test to compare.
 *   cuStreamIsCapturing on the legacy stream: success, status NONE (CuPy
 *     asks before every copy);
 *   cuPointerGetAttributes of host memory CUDA does not know: success,
 *     memory type 0, ordinal -2; of a device allocation: device, ordinal;
 *   cudaGetDriverEntryPointByVersion of an unknown name:
 *     cudaErrorSymbolNotFound, which is also the last error, status 1;
 *     of cuMemAddressReserve (PyTorch asks): found, no last error, and
 *     the function answers CUDA_ERROR_NOT_SUPPORTED (no VMM on the sim);
 *   cuStreamWriteValue32 stores its value in device memory;
 *   slot 12 of the runtime interface table (NVIDIA's runtime 13.2+ calls
 *     it at start-up): present, answers CUDA_SUCCESS. */
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
	SYM(cu, cuStreamWriteValue32,
	    CUresult(*)(CUstream, CUdeviceptr, unsigned, unsigned));
	SYM(cu, cuMemcpyDtoH_v2, CUresult(*)(void *, CUdeviceptr, size_t));
	SYM(cu, cuGetExportTable, CUresult(*)(const void **, const CUuuid *));
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

	fn = NULL;
	e = cudaGetDriverEntryPointByVersion("cuMemAddressReserve", &fn, 12000,
					     0, &status);
	CUdeviceptr va = 0;
	r = fn ? ((CUresult(*)(CUdeviceptr *, size_t, size_t, CUdeviceptr,
				unsigned long long))fn)(&va, 2 << 20, 0, 0, 0)
	       : CUDA_ERROR_NOT_FOUND;
	printf("vmm_entry_point=%d,%d,last=%d,call=%d\n", e, status,
	       cudaGetLastError(), r);

	unsigned word = 0;
	r = cuStreamWriteValue32(CU_STREAM_LEGACY, dev + 8, 0xC0FFEE, 0);
	cuMemcpyDtoH_v2(&word, dev + 8, sizeof(word));
	printf("write_value=%d,%#x\n", r, word);

	static const CUuuid runtime_interface = { {
		0x6b, 0xd5, 0xfb, 0x6c, 0x5b, 0xf4, 0xe7, 0x4a,
		0x89, 0x87, 0xd9, 0x39, 0x12, 0xfd, 0x9d, 0xf9 } };
	const void *const *table = NULL;
	r = cuGetExportTable((const void **)&table, &runtime_interface);
	size_t slots = table ? (size_t)(uintptr_t)table[0] / sizeof(void *) : 0;
	CUresult (*slot12)(void) =
		slots > 12 ? (CUresult(*)(void))(uintptr_t)table[12] : NULL;
	printf("runtime_interface=%d,slot12=%d\n", r,
	       slot12 ? slot12() : -1);
	return 0;
}
