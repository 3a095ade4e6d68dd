/* The CUDA runtime API of the simulator, built once per major version
 * (CUDART_MAJOR 12 or 13: each has its own cudaDeviceProp layout and
 * version numbers).  Like NVIDIA's runtime it holds no device state: it
 * opens libcuda.so.1 and calls the driver, so under vgpu-run the
 * runtime's driver calls are traced as well, and the driver's primary
 * context is the runtime's context. */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_names.h"
#include "cuda_types.h"
#include "rt_internal.h"

#define RT_API __attribute__((visibility("default")))

#if CUDART_MAJOR == 12
typedef struct cudaDeviceProp12 prop_t;
#define RUNTIME_VERSION 12080
#elif CUDART_MAJOR == 13
typedef struct cudaDeviceProp13 prop_t;
#define RUNTIME_VERSION 13000
#else
#error "CUDART_MAJOR must be 12 or 13"
#endif

/* ---- the driver, through libcuda.so.1 ---- */

#define DRIVER_FUNCS(X)                                                       \
	X(cuInit, (unsigned))                                                 \
	X(cuDriverGetVersion, (int *))                                        \
	X(cuDeviceGetCount, (int *))                                          \
	X(cuDeviceGet, (CUdevice *, int))                                     \
	X(cuDeviceGetName, (char *, int, CUdevice))                           \
	X(cuDeviceGetUuid_v2, (CUuuid *, CUdevice))                           \
	X(cuDeviceTotalMem_v2, (size_t *, CUdevice))                          \
	X(cuDeviceGetAttribute, (int *, int, CUdevice))                       \
	X(cuDeviceGetPCIBusId, (char *, int, CUdevice))                       \
	X(cuDeviceGetByPCIBusId, (CUdevice *, const char *))                  \
	X(cuDevicePrimaryCtxRetain, (CUcontext *, CUdevice))                  \
	X(cuDevicePrimaryCtxReset_v2, (CUdevice))                             \
	X(cuDevicePrimaryCtxSetFlags_v2, (CUdevice, unsigned))                \
	X(cuCtxSetCurrent, (CUcontext))                                       \
	X(cuCtxSynchronize, (void))                                           \
	X(cuMemGetInfo_v2, (size_t *, size_t *))                              \
	X(cuMemAlloc_v2, (CUdeviceptr *, size_t))                             \
	X(cuMemFree_v2, (CUdeviceptr))                                        \
	X(cuMemHostAlloc, (void **, size_t, unsigned))                        \
	X(cuMemFreeHost, (void *))                                            \
	X(cuMemHostGetDevicePointer_v2, (CUdeviceptr *, void *, unsigned))    \
	X(cuMemcpy, (CUdeviceptr, CUdeviceptr, size_t))                       \
	X(cuMemcpyHtoD_v2, (CUdeviceptr, const void *, size_t))               \
	X(cuMemcpyDtoH_v2, (void *, CUdeviceptr, size_t))                     \
	X(cuMemcpyDtoD_v2, (CUdeviceptr, CUdeviceptr, size_t))                \
	X(cuMemcpyHtoDAsync_v2, (CUdeviceptr, const void *, size_t, CUstream)) \
	X(cuMemcpyDtoHAsync_v2, (void *, CUdeviceptr, size_t, CUstream))      \
	X(cuMemcpyDtoDAsync_v2, (CUdeviceptr, CUdeviceptr, size_t, CUstream)) \
	X(cuMemsetD8_v2, (CUdeviceptr, unsigned char, size_t))                \
	X(cuMemsetD8Async, (CUdeviceptr, unsigned char, size_t, CUstream))    \
	X(cuStreamCreateWithPriority, (CUstream *, unsigned, int))            \
	X(cuStreamDestroy_v2, (CUstream))                                     \
	X(cuStreamSynchronize, (CUstream))                                    \
	X(cuStreamQuery, (CUstream))                                          \
	X(cuStreamIsCapturing, (CUstream, int *))                             \
	X(cuStreamWaitEvent, (CUstream, CUevent, unsigned))                   \
	X(cuEventCreate, (CUevent *, unsigned))                               \
	X(cuEventDestroy_v2, (CUevent))                                       \
	X(cuEventRecord, (CUevent, CUstream))                                 \
	X(cuEventQuery, (CUevent))                                            \
	X(cuEventSynchronize, (CUevent))                                      \
	X(cuEventElapsedTime, (float *, CUevent, CUevent))                    \
	X(cuModuleLoadData, (CUmodule *, const void *))                       \
	X(cuModuleGetFunction, (CUfunction *, CUmodule, const char *))        \
	X(cuModuleGetGlobal_v2, (CUdeviceptr *, size_t *, CUmodule,           \
				 const char *))                               \
	X(cuGetProcAddress_v2, (const char *, void **, int,                   \
				unsigned long long, int *))                   \
	X(cuCtxGetLimit, (size_t *, int))                                     \
	X(cuCtxSetLimit, (int, size_t))                                       \
	X(cuCtxGetStreamPriorityRange, (int *, int *))                        \
	X(cuLaunchHostFunc, (CUstream, CUhostFn, void *))                     \
	X(cuPointerGetAttribute, (void *, int, CUdeviceptr))                  \
	X(cuLaunchKernel, (CUfunction, unsigned, unsigned, unsigned,          \
			   unsigned, unsigned, unsigned, unsigned, CUstream,  \
			   void **, void **))

#define DECLARE(name, args) static CUresult(*p_##name) args;
DRIVER_FUNCS(DECLARE)

static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static cudaError_t load_error;

static void load_driver(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "vgpu-sim cudart: %s\n", dlerror());
		load_error = cudaErrorInsufficientDriver;
		return;
	}
#define RESOLVE(name, args)                                                   \
	if (!(p_##name = (CUresult(*) args)dlsym(h, #name))) {                \
		fprintf(stderr, "vgpu-sim cudart: libcuda.so.1 lacks %s\n",   \
			#name);                                               \
		load_error = cudaErrorInsufficientDriver;                     \
		return;                                                       \
	}
	DRIVER_FUNCS(RESOLVE)
	int v = 0;
	if (p_cuInit(0) != CUDA_SUCCESS) {
		load_error = cudaErrorNoDevice;
		return;
	}
	/* The runtime refuses an older driver, as NVIDIA's does. */
	if (p_cuDriverGetVersion(&v) || v < RUNTIME_VERSION / 1000 * 1000)
		load_error = cudaErrorInsufficientDriver;
}

/* ---- errors ---- */

static __thread cudaError_t last_error;

static cudaError_t ret(cudaError_t e)
{
	if (e != cudaSuccess)
		last_error = e;
	return e;
}

/* CUresult and cudaError_t share numbers for every code the simulated
 * driver returns. */
static cudaError_t from_cu(CUresult r)
{
	return ret(r == CUDA_ERROR_INVALID_CONTEXT ? cudaErrorInvalidDevice
						   : (cudaError_t)r);
}

RT_API cudaError_t cudaGetLastError(void)
{
	cudaError_t e = last_error;
	last_error = cudaSuccess;
	return e;
}

RT_API cudaError_t cudaPeekAtLastError(void)
{
	return last_error;
}

RT_API const char *cudaGetErrorString(cudaError_t e)
{
	const char *s = cudart_error_string(e);
	return s ? s : "unrecognized error code";
}

RT_API const char *cudaGetErrorName(cudaError_t e)
{
	const char *s = cudart_error_name(e);
	return s ? s : "cudaErrorUnknown";
}

/* ---- devices and the current context ---- */

static __thread int cur_dev;
static __thread int ctx_bound = -1;	/* device whose context is current */
static CUcontext primary[64];
static pthread_mutex_t primary_mu = PTHREAD_MUTEX_INITIALIZER;

static cudaError_t loaded(void)
{
	pthread_once(&load_once, load_driver);
	return load_error;
}

/* Make the current device's primary context current on this thread, as
 * the runtime does implicitly before any call that needs one. */
static cudaError_t ensure_ctx(void)
{
	cudaError_t e = loaded();
	if (e)
		return ret(e);
	if (ctx_bound == cur_dev)
		return cudaSuccess;
	pthread_mutex_lock(&primary_mu);
	CUresult r = CUDA_SUCCESS;
	if (!primary[cur_dev])
		r = p_cuDevicePrimaryCtxRetain(&primary[cur_dev], cur_dev);
	CUcontext c = primary[cur_dev];
	pthread_mutex_unlock(&primary_mu);
	if (r || (r = p_cuCtxSetCurrent(c)))
		return from_cu(r);
	ctx_bound = cur_dev;
	return cudaSuccess;
}

#define NEED_CTX()                                                            \
	do {                                                                  \
		cudaError_t e_ = ensure_ctx();                                \
		if (e_)                                                       \
			return e_;                                            \
	} while (0)

RT_API cudaError_t cudaGetDeviceCount(int *n)
{
	cudaError_t e = loaded();
	if (e)
		return ret(e);
	if (!n)
		return ret(cudaErrorInvalidValue);
	return from_cu(p_cuDeviceGetCount(n));
}

RT_API cudaError_t cudaSetDevice(int dev)
{
	cudaError_t e = loaded();
	if (e)
		return ret(e);
	int n = 0;
	p_cuDeviceGetCount(&n);
	if (dev < 0 || dev >= n || dev >= 64)
		return ret(cudaErrorInvalidDevice);
	cur_dev = dev;
	return ensure_ctx();
}

RT_API cudaError_t cudaInitDevice(int dev, unsigned dflags, unsigned flags)
{
	return cudaSetDevice(dev);
}

RT_API cudaError_t cudaGetDevice(int *dev)
{
	if (!dev)
		return ret(cudaErrorInvalidValue);
	*dev = cur_dev;
	return cudaSuccess;
}

RT_API cudaError_t cudaSetDeviceFlags(unsigned flags)
{
	cudaError_t e = loaded();
	return e ? ret(e) : from_cu(p_cuDevicePrimaryCtxSetFlags_v2(cur_dev, flags));
}

RT_API cudaError_t cudaGetDeviceFlags(unsigned *flags)
{
	if (!flags)
		return ret(cudaErrorInvalidValue);
	*flags = 0;
	return cudaSuccess;
}

RT_API cudaError_t cudaDeviceGetAttribute(int *value, int attr, int dev)
{
	cudaError_t e = loaded();
	if (e)
		return ret(e);
	if (!value)
		return ret(cudaErrorInvalidValue);
	/* cudaDeviceAttr numbers are the driver's attribute numbers. */
	return from_cu(p_cuDeviceGetAttribute(value, attr, dev));
}

static int attr(int a, int dev)
{
	int v = 0;
	p_cuDeviceGetAttribute(&v, a, dev);
	return v;
}

/* The properties in this major version's current layout. */
static cudaError_t device_properties(prop_t *p, int dev)
{
	cudaError_t e = loaded();
	if (e)
		return ret(e);
	if (!p)
		return ret(cudaErrorInvalidValue);
	CUresult r = p_cuDeviceGetName(p->name, sizeof(p->name), dev);
	if (r)
		return from_cu(r);
	char name[sizeof(p->name)] = { 0 };
	memcpy(name, p->name, strnlen(p->name, sizeof(name)));
	memset(p, 0, sizeof(*p));
	memcpy(p->name, name, sizeof(name));
	p_cuDeviceGetUuid_v2(&p->uuid, dev);
	p_cuDeviceTotalMem_v2(&p->totalGlobalMem, dev);
	p->sharedMemPerBlock = (size_t)attr(8, dev);
	p->regsPerBlock = attr(12, dev);
	p->warpSize = attr(10, dev);
	p->memPitch = (size_t)attr(11, dev);
	p->maxThreadsPerBlock = attr(1, dev);
	for (int i = 0; i < 3; i++) {
		p->maxThreadsDim[i] = attr(2 + i, dev);
		p->maxGridSize[i] = attr(5 + i, dev);
	}
	p->totalConstMem = (size_t)attr(9, dev);
	p->major = attr(75, dev);
	p->minor = attr(76, dev);
	p->textureAlignment = (size_t)attr(14, dev);
	p->texturePitchAlignment = (size_t)attr(51, dev);
	p->multiProcessorCount = attr(16, dev);
	p->integrated = attr(18, dev);
	p->canMapHostMemory = attr(19, dev);
	p->maxTexture1D = attr(21, dev);
	p->maxTexture1DMipmap = attr(77, dev);
	p->maxTexture2D[0] = attr(22, dev);
	p->maxTexture2D[1] = attr(23, dev);
	p->maxTexture2DMipmap[0] = attr(73, dev);
	p->maxTexture2DMipmap[1] = attr(74, dev);
	for (int i = 0; i < 3; i++) {
		p->maxTexture2DLinear[i] = attr(70 + i, dev);
		p->maxTexture3D[i] = attr(24 + i, dev);
		p->maxTexture3DAlt[i] = attr(47 + i, dev);
		p->maxTexture2DLayered[i] = attr(27 + i, dev);
		p->maxSurface3D[i] = attr(58 + i, dev);
		p->maxSurface2DLayered[i] = attr(63 + i, dev);
	}
	p->maxTexture2DGather[0] = attr(45, dev);
	p->maxTexture2DGather[1] = attr(46, dev);
	p->maxTextureCubemap = attr(52, dev);
	p->maxTexture1DLayered[0] = attr(42, dev);
	p->maxTexture1DLayered[1] = attr(43, dev);
	p->maxTextureCubemapLayered[0] = attr(53, dev);
	p->maxTextureCubemapLayered[1] = attr(54, dev);
	p->maxSurface1D = attr(55, dev);
	p->maxSurface2D[0] = attr(56, dev);
	p->maxSurface2D[1] = attr(57, dev);
	p->maxSurface1DLayered[0] = attr(61, dev);
	p->maxSurface1DLayered[1] = attr(62, dev);
	p->maxSurfaceCubemap = attr(66, dev);
	p->maxSurfaceCubemapLayered[0] = attr(67, dev);
	p->maxSurfaceCubemapLayered[1] = attr(68, dev);
	p->surfaceAlignment = (size_t)attr(30, dev);
	p->concurrentKernels = attr(31, dev);
	p->ECCEnabled = attr(32, dev);
	p->pciBusID = attr(33, dev);
	p->pciDeviceID = attr(34, dev);
	p->pciDomainID = attr(50, dev);
	p->tccDriver = attr(35, dev);
	p->asyncEngineCount = attr(40, dev);
	p->unifiedAddressing = attr(41, dev);
	p->memoryBusWidth = attr(37, dev);
	p->l2CacheSize = attr(38, dev);
	p->persistingL2CacheMaxSize = attr(108, dev);
	p->maxThreadsPerMultiProcessor = attr(39, dev);
	p->streamPrioritiesSupported = attr(78, dev);
	p->globalL1CacheSupported = attr(79, dev);
	p->localL1CacheSupported = attr(80, dev);
	p->sharedMemPerMultiprocessor = (size_t)attr(81, dev);
	p->regsPerMultiprocessor = attr(82, dev);
	p->managedMemory = attr(83, dev);
	p->isMultiGpuBoard = attr(84, dev);
	p->multiGpuBoardGroupID = attr(85, dev);
	p->hostNativeAtomicSupported = attr(86, dev);
	p->pageableMemoryAccess = attr(88, dev);
	p->concurrentManagedAccess = attr(89, dev);
	p->computePreemptionSupported = attr(90, dev);
	p->canUseHostPointerForRegisteredMem = attr(91, dev);
	p->cooperativeLaunch = attr(95, dev);
	p->sharedMemPerBlockOptin = (size_t)attr(97, dev);
	p->pageableMemoryAccessUsesHostPageTables = attr(100, dev);
	p->directManagedMemAccessFromHost = attr(101, dev);
	p->maxBlocksPerMultiProcessor = attr(106, dev);
	p->accessPolicyMaxWindowSize = attr(109, dev);
	p->reservedSharedMemPerBlock = (size_t)attr(111, dev);
	p->hostRegisterSupported = attr(99, dev);
	p->sparseCudaArraySupported = attr(112, dev);
	p->hostRegisterReadOnlySupported = attr(113, dev);
	p->timelineSemaphoreInteropSupported = attr(114, dev);
	p->memoryPoolsSupported = attr(115, dev);
	p->gpuDirectRDMASupported = attr(116, dev);
	p->gpuDirectRDMAFlushWritesOptions = (unsigned)attr(117, dev);
	p->gpuDirectRDMAWritesOrdering = attr(118, dev);
	p->memoryPoolSupportedHandleTypes = (unsigned)attr(119, dev);
	p->deferredMappingCudaArraySupported = attr(121, dev);
	p->ipcEventSupported = attr(125, dev);
	p->clusterLaunch = attr(120, dev);
	p->unifiedFunctionPointers = attr(129, dev);
#if CUDART_MAJOR == 12
	p->clockRate = attr(13, dev);
	p->deviceOverlap = attr(15, dev);
	p->kernelExecTimeoutEnabled = attr(17, dev);
	p->computeMode = attr(20, dev);
	p->maxTexture1DLinear = attr(69, dev);
	p->memoryClockRate = attr(36, dev);
	p->singleToDoublePrecisionPerfRatio = attr(87, dev);
	p->cooperativeMultiDeviceLaunch = attr(96, dev);
#else
	p->deviceNumaConfig = attr(130, dev);
	p->deviceNumaId = attr(131, dev);
	p->mpsEnabled = attr(133, dev);
	p->hostNumaId = attr(134, dev);
	p->gpuPciDeviceID = (unsigned)attr(139, dev);
	p->gpuPciSubsystemID = (unsigned)attr(140, dev);
	p->hostNumaMultinodeIpcSupported = attr(143, dev);
#endif
	return cudaSuccess;
}

#if CUDART_MAJOR == 12
/* CUDA 12 headers call the _v2 symbol, with the CUDA 12 layout; the
 * unversioned name is the CUDA 11 entry (common/abi_versions.txt), and a
 * client that looks it up by name passes the smaller struct. */
RT_API cudaError_t cudaGetDeviceProperties_v2(prop_t *p, int dev)
{
	return device_properties(p, dev);
}

_Static_assert(offsetof(prop_t, hostRegisterSupported) == CUDA_PROP11_SIZE,
	       "the CUDA 11 layout is the CUDA 12 one up to this field");

RT_API cudaError_t cudaGetDeviceProperties(void *p, int dev)
{
	if (!p)
		return ret(cudaErrorInvalidValue);
	prop_t full;
	cudaError_t e = device_properties(&full, dev);
	if (!e)
		memcpy(p, &full, CUDA_PROP11_SIZE);
	return e;
}
#else
RT_API cudaError_t cudaGetDeviceProperties(prop_t *p, int dev)
{
	return device_properties(p, dev);
}
#endif

RT_API cudaError_t cudaDeviceGetPCIBusId(char *buf, int len, int dev)
{
	cudaError_t e = loaded();
	return e ? ret(e) : from_cu(p_cuDeviceGetPCIBusId(buf, len, dev));
}

RT_API cudaError_t cudaDeviceGetByPCIBusId(int *dev, const char *id)
{
	cudaError_t e = loaded();
	return e ? ret(e) : from_cu(p_cuDeviceGetByPCIBusId(dev, id));
}

RT_API cudaError_t cudaDeviceCanAccessPeer(int *can, int dev, int peer)
{
	if (!can)
		return ret(cudaErrorInvalidValue);
	*can = 0;
	return cudaSuccess;
}

RT_API cudaError_t cudaDeviceSynchronize(void)
{
	NEED_CTX();
	return from_cu(p_cuCtxSynchronize());
}

RT_API cudaError_t cudaDeviceReset(void)
{
	cudaError_t e = loaded();
	if (e)
		return ret(e);
	return from_cu(p_cuDevicePrimaryCtxReset_v2(cur_dev));
}

RT_API cudaError_t cudaDriverGetVersion(int *v)
{
	if (!v)
		return ret(cudaErrorInvalidValue);
	pthread_once(&load_once, load_driver);
	if (!p_cuDriverGetVersion) {
		*v = 0;
		return cudaSuccess;
	}
	return from_cu(p_cuDriverGetVersion(v));
}

RT_API cudaError_t cudaRuntimeGetVersion(int *v)
{
	if (!v)
		return ret(cudaErrorInvalidValue);
	*v = RUNTIME_VERSION;
	return cudaSuccess;
}

/* ---- memory ---- */

RT_API cudaError_t cudaMemGetInfo(size_t *free_, size_t *total)
{
	NEED_CTX();
	return from_cu(p_cuMemGetInfo_v2(free_, total));
}

RT_API cudaError_t cudaMalloc(void **p, size_t size)
{
	NEED_CTX();
	if (!p)
		return ret(cudaErrorInvalidValue);
	if (size == 0) {
		*p = NULL;
		return cudaSuccess;
	}
	CUdeviceptr d = 0;
	CUresult r = p_cuMemAlloc_v2(&d, size);
	*p = (void *)(uintptr_t)d;
	return from_cu(r);
}

RT_API cudaError_t cudaFree(void *p)
{
	/* cudaFree(0) is the customary way to create the context. */
	NEED_CTX();
	return p ? from_cu(p_cuMemFree_v2((CUdeviceptr)(uintptr_t)p))
		 : cudaSuccess;
}

RT_API cudaError_t cudaHostAlloc(void **p, size_t size, unsigned flags)
{
	NEED_CTX();
	return from_cu(p_cuMemHostAlloc(p, size, flags));
}

RT_API cudaError_t cudaMallocHost(void **p, size_t size)
{
	return cudaHostAlloc(p, size, 0);
}

RT_API cudaError_t cudaFreeHost(void *p)
{
	NEED_CTX();
	return from_cu(p_cuMemFreeHost(p));
}

RT_API cudaError_t cudaHostGetDevicePointer(void **d, void *h, unsigned fl)
{
	NEED_CTX();
	CUdeviceptr dp = 0;
	CUresult r = p_cuMemHostGetDevicePointer_v2(&dp, h, fl);
	if (d)
		*d = (void *)(uintptr_t)dp;
	return from_cu(r);
}

RT_API cudaError_t cudaMallocManaged(void **p, size_t size, unsigned flags)
{
	/* Managed memory is reported as unsupported by the device. */
	return ret(cudaErrorNotSupported);
}

static cudaError_t memcpy_kind(void *dst, const void *src, size_t n, int kind,
			       CUstream s, int async)
{
	NEED_CTX();
	CUdeviceptr d = (CUdeviceptr)(uintptr_t)dst;
	CUdeviceptr sp = (CUdeviceptr)(uintptr_t)src;
	switch (kind) {
	case cudaMemcpyHostToHost:
		memmove(dst, src, n);
		return cudaSuccess;
	case cudaMemcpyHostToDevice:
		return from_cu(async ? p_cuMemcpyHtoDAsync_v2(d, src, n, s)
				     : p_cuMemcpyHtoD_v2(d, src, n));
	case cudaMemcpyDeviceToHost:
		return from_cu(async ? p_cuMemcpyDtoHAsync_v2(dst, sp, n, s)
				     : p_cuMemcpyDtoH_v2(dst, sp, n));
	case cudaMemcpyDeviceToDevice:
		return from_cu(async ? p_cuMemcpyDtoDAsync_v2(d, sp, n, s)
				     : p_cuMemcpyDtoD_v2(d, sp, n));
	case cudaMemcpyDefault:
		return from_cu(p_cuMemcpy(d, sp, n));
	}
	return ret(cudaErrorInvalidMemcpyDirection);
}

RT_API cudaError_t cudaMemcpy(void *dst, const void *src, size_t n, int kind)
{
	return memcpy_kind(dst, src, n, kind, NULL, 0);
}

RT_API cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t n,
				   int kind, cudaStream_t s)
{
	return memcpy_kind(dst, src, n, kind, s, 1);
}

RT_API cudaError_t cudaMemset(void *p, int v, size_t n)
{
	NEED_CTX();
	return from_cu(p_cuMemsetD8_v2((CUdeviceptr)(uintptr_t)p,
				       (unsigned char)v, n));
}

RT_API cudaError_t cudaMemsetAsync(void *p, int v, size_t n, cudaStream_t s)
{
	NEED_CTX();
	return from_cu(p_cuMemsetD8Async((CUdeviceptr)(uintptr_t)p,
					 (unsigned char)v, n, s));
}

/* ---- streams and events ---- */

RT_API cudaError_t cudaStreamCreateWithPriority(cudaStream_t *s,
						unsigned flags, int prio)
{
	NEED_CTX();
	return from_cu(p_cuStreamCreateWithPriority(s, flags, prio));
}

RT_API cudaError_t cudaStreamCreateWithFlags(cudaStream_t *s, unsigned flags)
{
	return cudaStreamCreateWithPriority(s, flags, 0);
}

RT_API cudaError_t cudaStreamCreate(cudaStream_t *s)
{
	return cudaStreamCreateWithPriority(s, 0, 0);
}

RT_API cudaError_t cudaStreamDestroy(cudaStream_t s)
{
	NEED_CTX();
	return from_cu(p_cuStreamDestroy_v2(s));
}

RT_API cudaError_t cudaStreamSynchronize(cudaStream_t s)
{
	NEED_CTX();
	return from_cu(p_cuStreamSynchronize(s));
}

RT_API cudaError_t cudaStreamQuery(cudaStream_t s)
{
	NEED_CTX();
	return from_cu(p_cuStreamQuery(s));
}

RT_API cudaError_t cudaStreamIsCapturing(cudaStream_t s, int *status)
{
	NEED_CTX();
	return from_cu(p_cuStreamIsCapturing(s, status));
}

RT_API cudaError_t cudaStreamWaitEvent(cudaStream_t s, cudaEvent_t e,
				       unsigned flags)
{
	NEED_CTX();
	return from_cu(p_cuStreamWaitEvent(s, e, flags));
}

RT_API cudaError_t cudaEventCreateWithFlags(cudaEvent_t *e, unsigned flags)
{
	NEED_CTX();
	return from_cu(p_cuEventCreate(e, flags));
}

RT_API cudaError_t cudaEventCreate(cudaEvent_t *e)
{
	return cudaEventCreateWithFlags(e, 0);
}

RT_API cudaError_t cudaEventDestroy(cudaEvent_t e)
{
	NEED_CTX();
	return from_cu(p_cuEventDestroy_v2(e));
}

RT_API cudaError_t cudaEventRecord(cudaEvent_t e, cudaStream_t s)
{
	NEED_CTX();
	return from_cu(p_cuEventRecord(e, s));
}

RT_API cudaError_t cudaEventQuery(cudaEvent_t e)
{
	NEED_CTX();
	return from_cu(p_cuEventQuery(e));
}

RT_API cudaError_t cudaEventSynchronize(cudaEvent_t e)
{
	NEED_CTX();
	return from_cu(p_cuEventSynchronize(e));
}

RT_API cudaError_t cudaEventElapsedTime(float *ms, cudaEvent_t a,
					cudaEvent_t b)
{
	NEED_CTX();
	return from_cu(p_cuEventElapsedTime(ms, a, b));
}

/* ---- compiled code: registration and launches ----
 *
 * nvcc's host code registers each translation unit's fat binary and its
 * kernels at start-up (before main, so nothing here may need a device
 * yet) and launches through cudaLaunchKernel with the host stub's address
 * as the kernel's identity.  Modules are loaded on first launch, in the
 * current device's primary context. */

struct reg_fatbin {
	const struct fatbin_wrapper *w;
	CUmodule mod[64];	/* per device, loaded on first use */
};

struct reg_func {
	const void *host;
	struct reg_fatbin *fb;
	char *name;
};

static struct reg_func *funcs;
static size_t nfuncs, capfuncs;
static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;

RT_API void **__cudaRegisterFatBinary(void *wrapper)
{
	struct reg_fatbin *fb = calloc(1, sizeof(*fb));
	if (fb)
		fb->w = wrapper;
	return (void **)fb;
}

RT_API void __cudaRegisterFatBinaryEnd(void **handle)
{
}

RT_API void __cudaUnregisterFatBinary(void **handle)
{
	/* The process is exiting; modules go with it. */
}

RT_API void __cudaRegisterFunction(void **handle, const char *host,
				   char *devfun, const char *name, int limit,
				   void *tid, void *bid, void *bdim, void *gdim,
				   int *wsize)
{
	pthread_mutex_lock(&reg_mu);
	if (nfuncs == capfuncs) {
		size_t ncap = capfuncs ? capfuncs * 2 : 32;
		struct reg_func *n = realloc(funcs, ncap * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&reg_mu);
			return;
		}
		funcs = n;
		capfuncs = ncap;
	}
	funcs[nfuncs++] = (struct reg_func){ host, (struct reg_fatbin *)handle,
					     strdup(name) };
	pthread_mutex_unlock(&reg_mu);
}

struct reg_var {
	const void *host;
	struct reg_fatbin *fb;
	char *name;
};

static struct reg_var *vars;
static size_t nvars, capvars;

RT_API void __cudaRegisterVar(void **handle, char *host, char *devaddr,
			      const char *name, int ext, size_t size,
			      int constant, int global)
{
	pthread_mutex_lock(&reg_mu);
	if (nvars == capvars) {
		size_t ncap = capvars ? capvars * 2 : 16;
		struct reg_var *n = realloc(vars, ncap * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&reg_mu);
			return;
		}
		vars = n;
		capvars = ncap;
	}
	vars[nvars++] = (struct reg_var){ host, (struct reg_fatbin *)handle,
					  strdup(name) };
	pthread_mutex_unlock(&reg_mu);
}

RT_API void __cudaRegisterManagedVar(void **handle, void **host,
				     char *devaddr, const char *name,
				     int ext, size_t size, int constant,
				     int global)
{
}

RT_API char __cudaInitModule(void **handle)
{
	return 1;
}

struct call_config {
	dim3 grid, block;
	size_t shmem;
	void *stream;
};
static __thread struct call_config configs[16];
static __thread int nconfigs;

RT_API unsigned __cudaPushCallConfiguration(dim3 grid, dim3 block,
					    size_t shmem, void *stream)
{
	if (nconfigs == 16)
		return 1;
	configs[nconfigs++] = (struct call_config){ grid, block, shmem, stream };
	return 0;
}

RT_API cudaError_t __cudaPopCallConfiguration(dim3 *grid, dim3 *block,
					      size_t *shmem, void *stream)
{
	if (nconfigs == 0)
		return cudaErrorMissingConfiguration;
	struct call_config *c = &configs[--nconfigs];
	*grid = c->grid;
	*block = c->block;
	*shmem = c->shmem;
	*(void **)stream = c->stream;
	return cudaSuccess;
}

static cudaError_t function(const void *host, CUfunction *out)
{
	NEED_CTX();
	struct reg_func *f = NULL;
	pthread_mutex_lock(&reg_mu);
	for (size_t i = 0; i < nfuncs; i++)
		if (funcs[i].host == host)
			f = &funcs[i];
	CUresult r = CUDA_SUCCESS;
	if (f && !f->fb->mod[cur_dev])
		r = p_cuModuleLoadData(&f->fb->mod[cur_dev], f->fb->w);
	pthread_mutex_unlock(&reg_mu);
	if (!f)
		return ret(cudaErrorInvalidDeviceFunction);
	if (r)
		return from_cu(r);
	r = p_cuModuleGetFunction(out, f->fb->mod[cur_dev], f->name);
	return r ? ret(cudaErrorInvalidDeviceFunction) : cudaSuccess;
}

/* For the runtime's other source files (rt_function.c). */
cudaError_t rt_function(const void *host, CUfunction *out)
{
	return function(host, out);
}

cudaError_t rt_from_cu(CUresult r)
{
	return from_cu(r);
}

RT_API cudaError_t cudaLaunchKernel(const void *host, dim3 grid, dim3 block,
				    void **args, size_t shmem, cudaStream_t s)
{
	CUfunction f;
	cudaError_t e = function(host, &f);
	if (e)
		return e;
	return from_cu(p_cuLaunchKernel(f, grid.x, grid.y, grid.z, block.x,
					block.y, block.z, (unsigned)shmem, s,
					args, NULL));
}

RT_API cudaError_t cudaLaunchKernel_ptsz(const void *host, dim3 grid,
					 dim3 block, void **args, size_t shmem,
					 cudaStream_t s)
{
	return cudaLaunchKernel(host, grid, block, args, shmem, s);
}

/* CUDA 13 host stubs look the kernel up once (__cudaGetKernel) and launch
 * by that handle; the handle here is the host stub's address itself. */
RT_API cudaError_t __cudaGetKernel(const void **kernel, const void *host)
{
	CUfunction f;
	cudaError_t e = function(host, &f);
	if (e)
		return e;
	if (kernel)
		*kernel = host;
	return cudaSuccess;
}

RT_API cudaError_t __cudaLaunchKernel(const void *host, dim3 grid, dim3 block,
				      void **args, size_t shmem, cudaStream_t s)
{
	return cudaLaunchKernel(host, grid, block, args, shmem, s);
}

RT_API cudaError_t __cudaLaunchKernel_ptsz(const void *host, dim3 grid,
					   dim3 block, void **args,
					   size_t shmem, cudaStream_t s)
{
	return cudaLaunchKernel(host, grid, block, args, shmem, s);
}

/* ---- __device__ variables by their host shadow ---- */

static cudaError_t symbol(const void *host, CUdeviceptr *dptr, size_t *size)
{
	NEED_CTX();
	struct reg_var *v = NULL;
	CUresult r = CUDA_SUCCESS;
	pthread_mutex_lock(&reg_mu);
	for (size_t i = 0; i < nvars; i++)
		if (vars[i].host == host)
			v = &vars[i];
	if (v && !v->fb->mod[cur_dev])
		r = p_cuModuleLoadData(&v->fb->mod[cur_dev], v->fb->w);
	CUmodule m = v ? v->fb->mod[cur_dev] : NULL;
	const char *name = v ? v->name : NULL;
	pthread_mutex_unlock(&reg_mu);
	if (!v)
		return ret(cudaErrorInvalidSymbol);
	if (r)
		return from_cu(r);
	r = p_cuModuleGetGlobal_v2(dptr, size, m, name);
	return r ? ret(cudaErrorInvalidSymbol) : cudaSuccess;
}

RT_API cudaError_t cudaGetSymbolAddress(void **p, const void *sym)
{
	CUdeviceptr d;
	size_t n;
	cudaError_t e = symbol(sym, &d, &n);
	if (!e && p)
		*p = (void *)(uintptr_t)d;
	return e;
}

RT_API cudaError_t cudaGetSymbolSize(size_t *size, const void *sym)
{
	CUdeviceptr d;
	return symbol(sym, &d, size);
}

RT_API cudaError_t cudaMemcpyToSymbol(const void *sym, const void *src,
				      size_t n, size_t off, int kind)
{
	CUdeviceptr d;
	size_t size;
	cudaError_t e = symbol(sym, &d, &size);
	if (e)
		return e;
	if (off > size || n > size - off)
		return ret(cudaErrorInvalidValue);
	return memcpy_kind((void *)(uintptr_t)(d + off), src, n,
			   kind == cudaMemcpyDeviceToDevice ? kind
							    : cudaMemcpyHostToDevice,
			   NULL, 0);
}

RT_API cudaError_t cudaMemcpyFromSymbol(void *dst, const void *sym, size_t n,
					size_t off, int kind)
{
	CUdeviceptr d;
	size_t size;
	cudaError_t e = symbol(sym, &d, &size);
	if (e)
		return e;
	if (off > size || n > size - off)
		return ret(cudaErrorInvalidValue);
	return memcpy_kind(dst, (void *)(uintptr_t)(d + off), n,
			   kind == cudaMemcpyDeviceToDevice ? kind
							    : cudaMemcpyDeviceToHost,
			   NULL, 0);
}

/* ---- smaller calls libraries make at start-up ---- */

/* CUDA 12+: libraries fetch driver functions through the runtime. */
RT_API cudaError_t cudaGetDriverEntryPointByVersion(const char *name,
						    void **fn, unsigned version,
						    unsigned long long flags,
						    int *status)
{
	cudaError_t e = loaded();
	if (e)
		return ret(e);
	/* An unknown name is cudaErrorSymbolNotFound, and the last error, as
	 * NVIDIA's runtime answers it (status says SYMBOL_NOT_FOUND too). */
	return from_cu(p_cuGetProcAddress_v2(name, fn, (int)version, flags,
					     status));
}

RT_API cudaError_t cudaGetDriverEntryPoint(const char *name, void **fn,
					   unsigned long long flags,
					   int *status)
{
	return cudaGetDriverEntryPointByVersion(name, fn, RUNTIME_VERSION,
						flags, status);
}

RT_API cudaError_t cudaDeviceGetLimit(size_t *v, int limit)
{
	NEED_CTX();
	return from_cu(p_cuCtxGetLimit(v, limit));
}

RT_API cudaError_t cudaDeviceSetLimit(int limit, size_t v)
{
	NEED_CTX();
	return from_cu(p_cuCtxSetLimit(limit, v));
}

RT_API cudaError_t cudaDeviceGetStreamPriorityRange(int *least, int *greatest)
{
	NEED_CTX();
	return from_cu(p_cuCtxGetStreamPriorityRange(least, greatest));
}

RT_API cudaError_t cudaLaunchHostFunc(cudaStream_t s, CUhostFn fn, void *data)
{
	NEED_CTX();
	return from_cu(p_cuLaunchHostFunc(s, fn, data));
}

RT_API cudaError_t cudaMallocAsync(void **p, size_t size, cudaStream_t s)
{
	return cudaMalloc(p, size);
}

RT_API cudaError_t cudaFreeAsync(void *p, cudaStream_t s)
{
	return cudaFree(p);
}

/* struct cudaPointerAttributes: type, device, devicePointer, hostPointer. */
struct pointer_attributes {
	int type;
	int device;
	void *devicePointer;
	void *hostPointer;
};

RT_API cudaError_t cudaPointerGetAttributes(struct pointer_attributes *a,
					    const void *ptr)
{
	NEED_CTX();
	if (!a)
		return ret(cudaErrorInvalidValue);
	unsigned type = 0;
	int dev = -1;
	CUdeviceptr p = (CUdeviceptr)(uintptr_t)ptr;
	if (p_cuPointerGetAttribute(&type, CU_POINTER_ATTRIBUTE_MEMORY_TYPE, p)) {
		/* Memory the runtime does not know: plain host memory. */
		*a = (struct pointer_attributes){ 0, -2, NULL, NULL };
		return cudaSuccess;
	}
	p_cuPointerGetAttribute(&dev, CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL, p);
	/* cudaMemoryTypeHost 1, cudaMemoryTypeDevice 2. */
	*a = (struct pointer_attributes){
		type == CU_MEMORYTYPE_HOST ? 1 : 2, dev, (void *)ptr,
		type == CU_MEMORYTYPE_HOST ? (void *)ptr : NULL };
	return cudaSuccess;
}
