/* A device-query client: what a CUDA program learns about its GPU through
 * the driver API (libcuda.so.1) and the runtime API (libcudart.so.13),
 * plus a memory round trip, event timing and one kernel launch.  Both
 * libraries are opened by name, so whatever the dynamic loader (or
 * vgpu-run) serves for those names is what gets queried.
 *
 * Exit status 0 when every step behaved as CUDA documents, 1 otherwise. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_types.h"

static void *lib(const char *name)
{
	void *h = dlopen(name, RTLD_NOW);
	if (!h)
		fprintf(stderr, "devquery: %s\n", dlerror());
	return h;
}

#define LOAD(h, name, type)                                                   \
	__typeof__(type) name = (__typeof__(type))dlsym(h, #name);                                    \
	if (!name) {                                                          \
		fprintf(stderr, "devquery: no %s\n", #name);                  \
		return 1;                                                     \
	}

static const char ptx[] = ".version 8.0\n.target sm_50\n.address_size 64\n"
			  ".visible .entry noop(.param .u64 p)\n{\n\tret;\n}\n";

static int driver(void)
{
	void *h = lib("libcuda.so.1");
	if (!h)
		return 1;
	LOAD(h, cuInit, CUresult (*)(unsigned));
	LOAD(h, cuDriverGetVersion, CUresult (*)(int *));
	LOAD(h, cuDeviceGetCount, CUresult (*)(int *));
	LOAD(h, cuDeviceGetName, CUresult (*)(char *, int, CUdevice));
	LOAD(h, cuDeviceTotalMem_v2, CUresult (*)(size_t *, CUdevice));
	LOAD(h, cuDeviceGetAttribute, CUresult (*)(int *, int, CUdevice));
	LOAD(h, cuDeviceGetPCIBusId, CUresult (*)(char *, int, CUdevice));
	LOAD(h, cuDevicePrimaryCtxRetain, CUresult (*)(CUcontext *, CUdevice));
	LOAD(h, cuCtxSetCurrent, CUresult (*)(CUcontext));
	LOAD(h, cuModuleLoadData, CUresult (*)(CUmodule *, const void *));
	LOAD(h, cuModuleGetFunction,
	     CUresult (*)(CUfunction *, CUmodule, const char *));
	LOAD(h, cuLaunchKernel,
	     CUresult (*)(CUfunction, unsigned, unsigned, unsigned, unsigned,
			  unsigned, unsigned, unsigned, CUstream, void **,
			  void **));
	LOAD(h, cuGetErrorName, CUresult (*)(CUresult, const char **));
	LOAD(h, cuModuleUnload, CUresult (*)(CUmodule));
	LOAD(h, cuDevicePrimaryCtxRelease, CUresult (*)(CUdevice));
	int v = 0, n = 0;
	CUresult r = cuInit(0);
	if (r || cuDriverGetVersion(&v) || cuDeviceGetCount(&n)) {
		printf("driver: cuInit failed (%d)\n", r);
		return 1;
	}
	printf("driver API: version %d.%d, %d device(s)\n", v / 1000,
	       v % 1000 / 10, n);
	for (int d = 0; d < n; d++) {
		char name[256], bus[32];
		size_t mem = 0;
		int a[6] = { 0 };
		static const int which[6] = { 75, 76, 16, 13, 36, 37 };
		cuDeviceGetName(name, sizeof(name), d);
		cuDeviceTotalMem_v2(&mem, d);
		cuDeviceGetPCIBusId(bus, sizeof(bus), d);
		for (int i = 0; i < 6; i++)
			cuDeviceGetAttribute(&a[i], which[i], d);
		printf("  device %d: %s, compute %d.%d, %zu MiB, %d SMs, "
		       "%d MHz, memory %d MHz x %d bits, PCI %s\n",
		       d, name, a[0], a[1], mem >> 20, a[2], a[3] / 1000,
		       a[4] / 1000, a[5], bus);
	}
	CUcontext ctx;
	CUmodule mod;
	CUfunction fn;
	if (cuDevicePrimaryCtxRetain(&ctx, 0) || cuCtxSetCurrent(ctx) ||
	    cuModuleLoadData(&mod, ptx) ||
	    cuModuleGetFunction(&fn, mod, "noop")) {
		printf("driver: module load failed\n");
		return 1;
	}
	unsigned long long arg = 0;
	void *params[] = { &arg };
	r = cuLaunchKernel(fn, 1, 1, 1, 32, 1, 1, 0, NULL, params, NULL);
	const char *rn = "?";
	cuGetErrorName(r, &rn);
	printf("  launch of kernel 'noop': %s\n", rn);
	cuModuleUnload(mod);
	cuDevicePrimaryCtxRelease(0);
	return 0;
}

static int runtime(void)
{
	void *h = lib("libcudart.so.13");
	if (!h)
		return 1;
	LOAD(h, cudaRuntimeGetVersion, cudaError_t (*)(int *));
	LOAD(h, cudaGetDeviceCount, cudaError_t (*)(int *));
	LOAD(h, cudaGetDeviceProperties,
	     cudaError_t (*)(struct cudaDeviceProp13 *, int));
	LOAD(h, cudaMemGetInfo, cudaError_t (*)(size_t *, size_t *));
	LOAD(h, cudaMalloc, cudaError_t (*)(void **, size_t));
	LOAD(h, cudaFree, cudaError_t (*)(void *));
	LOAD(h, cudaMemcpy, cudaError_t (*)(void *, const void *, size_t, int));
	LOAD(h, cudaEventCreate, cudaError_t (*)(cudaEvent_t *));
	LOAD(h, cudaEventRecord, cudaError_t (*)(cudaEvent_t, cudaStream_t));
	LOAD(h, cudaEventSynchronize, cudaError_t (*)(cudaEvent_t));
	LOAD(h, cudaEventElapsedTime,
	     cudaError_t (*)(float *, cudaEvent_t, cudaEvent_t));
	LOAD(h, cudaGetErrorString, const char *(*)(cudaError_t));
	LOAD(h, cudaEventDestroy, cudaError_t (*)(cudaEvent_t));
	int v = 0, n = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	cudaRuntimeGetVersion(&v);
	if (e) {
		printf("runtime: cudaGetDeviceCount: %s\n", cudaGetErrorString(e));
		return 1;
	}
	printf("runtime API: version %d.%d, %d device(s)\n", v / 1000,
	       v % 1000 / 10, n);
	for (int d = 0; d < n; d++) {
		struct cudaDeviceProp13 p;
		if ((e = cudaGetDeviceProperties(&p, d))) {
			printf("runtime: %s\n", cudaGetErrorString(e));
			return 1;
		}
		printf("  device %d: %s, compute %d.%d, %zu MiB, %d SMs, "
		       "L2 %d KiB, PCI %04x:%02x:%02x.0\n",
		       d, p.name, p.major, p.minor, p.totalGlobalMem >> 20,
		       p.multiProcessorCount, p.l2CacheSize >> 10,
		       p.pciDomainID, p.pciBusID, p.pciDeviceID);
	}
	size_t f0, f1, t;
	void *dp = NULL;
	enum { N = 64 << 20 };
	char *src = malloc(N), *dst = calloc(1, N);
	for (size_t i = 0; src && i < N; i++)
		src[i] = (char)(i * 7);
	cudaEvent_t a, b;
	float ms = -1;
	cudaMemGetInfo(&f0, &t);
	if (!src || !dst || (e = cudaMalloc(&dp, N)) ||
	    (e = cudaEventCreate(&a)) || (e = cudaEventCreate(&b)) ||
	    (e = cudaEventRecord(a, NULL)) ||
	    (e = cudaMemcpy(dp, src, N, cudaMemcpyHostToDevice)) ||
	    (e = cudaMemcpy(dst, dp, N, cudaMemcpyDeviceToHost)) ||
	    (e = cudaEventRecord(b, NULL)) || (e = cudaEventSynchronize(b)) ||
	    (e = cudaEventElapsedTime(&ms, a, b))) {
		printf("runtime: %s\n", cudaGetErrorString(e));
		return 1;
	}
	cudaMemGetInfo(&f1, &t);
	int same = memcmp(src, dst, N) == 0;
	printf("  cudaMalloc 64 MiB: free %zu -> %zu MiB of %zu MiB\n",
	       f0 >> 20, f1 >> 20, t >> 20);
	printf("  copy 64 MiB there and back: %s, %.3f ms by events\n",
	       same ? "data intact" : "DATA DIFFERS", ms);
	cudaFree(dp);
	cudaEventDestroy(a);
	cudaEventDestroy(b);
	free(src);
	free(dst);
	return same ? 0 : 1;
}

int main(void)
{
	/* Line-buffered: the lines interleave with vgpu-run's own. */
	setvbuf(stdout, NULL, _IOLBF, 0);
	int bad = driver();
	bad |= runtime();
	return bad;
}
