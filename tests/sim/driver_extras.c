/* The driver entry points libraries resolve at start-up beyond the
 * everyday API (cuBLASLt needs each of them to initialise), called on the
 * sim driver with good and bad arguments.  Opens libcuda.so.1 by name and
 * prints one "what result" line per call; the script compares each line
 * with the answer CUDA documents.  Needs two configured devices. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

#include "cuda_types.h"

static void *cu;

static void *sym(const char *name)
{
	void *p = dlsym(cu, name);
	if (!p) {
		printf("missing %s\n", name);
		exit(3);
	}
	return p;
}

#define CALL(name, types, ...) ((CUresult(*) types)sym(#name))(__VA_ARGS__)

static const char ptx[] =
	"//\n.version 8.0\n.target sm_90\n.address_size 64\n"
	".visible .entry scale(\n\t.param .u64 p\n)\n{\n\tret;\n}\n";

struct mem_location { int type, id; };

int main(void)
{
	cu = dlopen("libcuda.so.1", RTLD_NOW);
	if (!cu) {
		printf("dlopen libcuda.so.1: %s\n", dlerror());
		return 3;
	}
	CUcontext ctx, ctx1, c;
	if (CALL(cuInit, (unsigned), 0) ||
	    CALL(cuDevicePrimaryCtxRetain, (CUcontext *, CUdevice), &ctx, 0) ||
	    CALL(cuDevicePrimaryCtxRetain, (CUcontext *, CUdevice), &ctx1, 1) ||
	    CALL(cuCtxSetCurrent, (CUcontext), ctx)) {
		printf("no context on devices 0 and 1\n");
		return 3;
	}

	/* A kernel knows its library; a module's function is no CUkernel. */
	CUlibrary lib, got = NULL;
	CUkernel k;
	CUmodule mod;
	CUfunction f;
	CUresult r = CALL(cuLibraryLoadData, (CUlibrary *, const void *, void *,
		void **, unsigned, void *, void **, unsigned),
		&lib, ptx, NULL, NULL, 0, NULL, NULL, 0);
	r = r ? r : CALL(cuLibraryGetKernel, (CUkernel *, CUlibrary, const char *),
			 &k, lib, "scale");
	r = r ? r : CALL(cuModuleLoadData, (CUmodule *, const void *), &mod, ptx);
	r = r ? r : CALL(cuModuleGetFunction, (CUfunction *, CUmodule, const char *),
			 &f, mod, "scale");
	if (r) {
		printf("cannot load the PTX: %d\n", r);
		return 3;
	}
	r = CALL(cuKernelGetLibrary, (CUlibrary *, CUkernel), &got, k);
	printf("cuKernelGetLibrary(kernel) %d %s\n", r, got == lib ? "its library" : "other");
	printf("cuKernelGetLibrary(module function) %d\n",
	       CALL(cuKernelGetLibrary, (CUlibrary *, CUkernel), &got, (CUkernel)f));
	printf("cuKernelGetLibrary(NULL out) %d\n",
	       CALL(cuKernelGetLibrary, (CUlibrary *, CUkernel), NULL, k));

	/* Pointer attributes: of an allocation, and of memory CUDA does not
	 * know (no error: empty values, device ordinal -2). */
	CUdeviceptr p;
	if (CALL(cuMemAlloc_v2, (CUdeviceptr *, size_t), &p, 1 << 20))
		return 3;
	int attrs[] = { 2, 9, 11, 12 };	/* MEMORY_TYPE, DEVICE_ORDINAL, RANGE_START_ADDR, RANGE_SIZE */
	unsigned type = 99;
	int ord = 99;
	void *start = NULL;
	size_t size = 0;
	void *data[] = { &type, &ord, &start, &size };
	r = CALL(cuPointerGetAttributes, (unsigned, int *, void **, CUdeviceptr),
		 4, attrs, data, p + 16);
	CUdeviceptr rbase = 0;
	size_t rsize = 0;
	CALL(cuMemGetAddressRange_v2, (CUdeviceptr *, size_t *, CUdeviceptr), &rbase, &rsize, p + 16);
	printf("cuPointerGetAttributes(allocation) %d type %u device %d range %s\n",
	       r, type, ord, start == (void *)(uintptr_t)rbase && rbase == p &&
	       size == rsize && size >= 1 << 20 ? "cuMemGetAddressRange's" : "other");
	int host;
	r = CALL(cuPointerGetAttributes, (unsigned, int *, void **, CUdeviceptr),
		 4, attrs, data, (CUdeviceptr)(uintptr_t)&host);
	printf("cuPointerGetAttributes(host stack) %d type %u device %d start %p size %zu\n",
	       r, type, ord, start, size);
	int bad[] = { 2, 1000 };
	printf("cuPointerGetAttributes(unknown attribute) %d\n",
	       CALL(cuPointerGetAttributes, (unsigned, int *, void **, CUdeviceptr),
		    2, bad, data, p));

	/* A stream belongs to the context current when it was made. */
	CUstream s;
	if (CALL(cuStreamCreate, (CUstream *, unsigned), &s, 0))
		return 3;
	CALL(cuCtxSetCurrent, (CUcontext), ctx1);
	r = CALL(cuStreamGetCtx, (CUstream, CUcontext *), s, &c);
	printf("cuStreamGetCtx(stream of device 0, device 1 current) %d %s\n", r,
	       c == ctx ? "device 0" : c == ctx1 ? "device 1" : "other");
	r = CALL(cuStreamGetCtx, (CUstream, CUcontext *), NULL, &c);
	printf("cuStreamGetCtx(NULL stream) %d %s\n", r,
	       c == ctx ? "device 0" : c == ctx1 ? "device 1" : "other");
	void *green = &green;
	r = CALL(cuStreamGetCtx_v2, (CUstream, CUcontext *, void **), s, &c, &green);
	printf("cuStreamGetCtx_v2 %d %s green %p\n", r, c == ctx ? "device 0" : "other", green);
	CALL(cuCtxSetCurrent, (CUcontext), ctx);

	/* Peer access between two simulated devices: none. */
	int can = 99, v = 99;
	r = CALL(cuDeviceCanAccessPeer, (int *, CUdevice, CUdevice), &can, 0, 1);
	printf("cuDeviceCanAccessPeer(0, 1) %d %d\n", r, can);
	printf("cuCtxEnablePeerAccess(device 1) %d\n",
	       CALL(cuCtxEnablePeerAccess, (CUcontext, unsigned), ctx1, 0));
	printf("cuCtxEnablePeerAccess(own device) %d\n",
	       CALL(cuCtxEnablePeerAccess, (CUcontext, unsigned), ctx, 0));
	printf("cuCtxEnablePeerAccess(flags 1) %d\n",
	       CALL(cuCtxEnablePeerAccess, (CUcontext, unsigned), ctx1, 1));
	printf("cuCtxDisablePeerAccess(device 1) %d\n",
	       CALL(cuCtxDisablePeerAccess, (CUcontext), ctx1));
	r = CALL(cuDeviceGetP2PAttribute, (int *, int, CUdevice, CUdevice), &v, 2, 0, 1);
	printf("cuDeviceGetP2PAttribute(ACCESS_SUPPORTED, 0, 1) %d %d\n", r, v);
	printf("cuDeviceGetP2PAttribute(ACCESS_SUPPORTED, 0, 0) %d\n",
	       CALL(cuDeviceGetP2PAttribute, (int *, int, CUdevice, CUdevice), &v, 2, 0, 0));

	/* No managed memory: prefetching device memory is invalid. */
	printf("cuMemPrefetchAsync %d\n",
	       CALL(cuMemPrefetchAsync, (CUdeviceptr, size_t, CUdevice, CUstream),
		    p, 4096, 0, s));
	struct mem_location loc = { 1, 0 };	/* CU_MEM_LOCATION_TYPE_DEVICE */
	printf("cuMemPrefetchAsync_v2 %d\n",
	       CALL(cuMemPrefetchAsync_v2, (CUdeviceptr, size_t, struct mem_location,
					    unsigned, CUstream), p, 4096, loc, 0, s));

	/* Stream memory operations: as the device attribute says. */
	int memops = 99;
	CALL(cuDeviceGetAttribute, (int *, int, CUdevice), &memops, 92, 0);
	printf("CAN_USE_STREAM_MEM_OPS %d cuStreamWaitValue32 %d cuStreamBatchMemOp %d\n",
	       memops, CALL(cuStreamWaitValue32, (CUstream, CUdeviceptr, unsigned, unsigned),
			    s, p, 0, 0),
	       CALL(cuStreamBatchMemOp, (CUstream, unsigned, void *, unsigned), s, 0, NULL, 0));

	/* The limits cuBLAS asks of a context that is not a CIG one. */
	size_t cig = 99, shmem = 0;
	int optin = 0;
	r = CALL(cuCtxGetLimit, (size_t *, int), &cig, 8);	/* CU_LIMIT_CIG_ENABLED */
	printf("cuCtxGetLimit(CIG_ENABLED) %d %zu\n", r, cig);
	r = CALL(cuCtxGetLimit, (size_t *, int), &shmem, 7);	/* CU_LIMIT_SHMEM_SIZE */
	CALL(cuDeviceGetAttribute, (int *, int, CUdevice), &optin, 97, 0);
	printf("cuCtxGetLimit(SHMEM_SIZE) %d %s\n", r,
	       shmem && shmem == (size_t)optin ? "the opt-in shared memory per block" : "other");

	/* Linker, graphs and capture: not simulated. */
	void *st = NULL, *g = &g;
	printf("cuLinkCreate_v2 %d\n",
	       CALL(cuLinkCreate_v2, (unsigned, void *, void **, void **), 0, NULL, NULL, &st));
	printf("cuGraphCreate %d\n", CALL(cuGraphCreate, (void **, unsigned), &g, 0));
	printf("cuStreamBeginCapture_v2 %d\n",
	       CALL(cuStreamBeginCapture_v2, (CUstream, int), s, 0));
	int status = 99;
	r = CALL(cuStreamIsCapturing, (CUstream, int *), s, &status);
	printf("cuStreamIsCapturing %d %d\n", r, status);
	printf("cuStreamEndCapture %d\n", CALL(cuStreamEndCapture, (CUstream, void **), s, &g));
	return 0;
}
