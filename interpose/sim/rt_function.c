/* The runtime's calls about a kernel named by its host stub: attributes,
 * cache and shared-memory settings, occupancy.  As in NVIDIA's runtime
 * each is the driver call of the same name on the kernel's CUfunction,
 * looked up in the libcuda.so.1 that cudart.c opened (the one vgpu-run
 * served, so these driver calls are traced too).  Linked into
 * libcudart.so.12 and .13 alike: the structure below has one layout in
 * both. */
#include <dlfcn.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "cuda_types.h"
#include "rt_internal.h"

#define RT_API __attribute__((visibility("default")))

struct cudaFuncAttributes {
	size_t sharedSizeBytes, constSizeBytes, localSizeBytes;
	int maxThreadsPerBlock, numRegs, ptxVersion, binaryVersion;
	int cacheModeCA, maxDynamicSharedSizeBytes, preferredShmemCarveout;
	int clusterDimMustBeSet, requiredClusterWidth, requiredClusterHeight;
	int requiredClusterDepth, clusterSchedulingPolicyPreference;
	int nonPortableClusterSizeAllowed;
	int reserved[16];
};
_Static_assert(sizeof(struct cudaFuncAttributes) == 144,
	       "cudaFuncAttributes is 144 bytes in CUDA 12 and 13");

#define DRIVER_CALLS(X)                                                       \
	X(cuFuncGetAttribute, (int *, int, CUfunction))                       \
	X(cuFuncSetAttribute, (CUfunction, int, int))                         \
	X(cuFuncSetCacheConfig, (CUfunction, int))                            \
	X(cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags,               \
	  (int *, CUfunction, int, size_t, unsigned))                         \
	X(cuOccupancyAvailableDynamicSMemPerBlock,                            \
	  (size_t *, CUfunction, int, int))

#define DECLARE(name, args) static CUresult(*p_##name) args;
DRIVER_CALLS(DECLARE)

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Only after rt_function succeeded: the driver is loaded by then. */
static void resolve(void)
{
	void *h = dlopen("libcuda.so.1", RTLD_NOW | RTLD_NOLOAD);
	if (!h)
		return;
#define RESOLVE(name, args) p_##name = (CUresult(*) args)dlsym(h, #name);
	DRIVER_CALLS(RESOLVE)
	dlclose(h);
}

/* Declares f, the kernel's CUfunction, or returns the error; a driver
 * without the call to make on it is an older one. */
#define KERNEL(host, f, call)                                                 \
	CUfunction f;                                                         \
	{                                                                     \
		cudaError_t e_ = rt_function(host, &f);                       \
		if (e_)                                                       \
			return e_;                                            \
		pthread_once(&once, resolve);                                 \
		if (!p_##call)                                                \
			return rt_from_cu(CUDA_ERROR_NOT_SUPPORTED);          \
	}

/* CUfunction_attribute numbers, in the order of the structure's fields. */
enum {
	FA_MAX_THREADS, FA_SHARED, FA_CONST, FA_LOCAL, FA_REGS, FA_PTX,
	FA_BINARY, FA_CACHE_CA, FA_MAX_DYN_SHARED, FA_CARVEOUT,
	FA_CLUSTER_MUST_BE_SET, FA_CLUSTER_W, FA_CLUSTER_H, FA_CLUSTER_D,
	FA_NON_PORTABLE, FA_SCHED_POLICY,
};

RT_API cudaError_t cudaFuncGetAttributes(struct cudaFuncAttributes *a,
					 const void *host)
{
	KERNEL(host, f, cuFuncGetAttribute);
	if (!a)
		return rt_from_cu(CUDA_ERROR_INVALID_VALUE);
	int v[FA_SCHED_POLICY + 1] = { 0 };
	for (int i = 0; i <= FA_SCHED_POLICY; i++) {
		CUresult r = p_cuFuncGetAttribute(&v[i], i, f);
		/* The cluster attributes are newer than some drivers: they
		 * read as 0 (no cluster requirement) there. */
		if (r && i < FA_CLUSTER_MUST_BE_SET)
			return rt_from_cu(r);
	}
	memset(a, 0, sizeof(*a));
	a->maxThreadsPerBlock = v[FA_MAX_THREADS];
	a->sharedSizeBytes = (size_t)v[FA_SHARED];
	a->constSizeBytes = (size_t)v[FA_CONST];
	a->localSizeBytes = (size_t)v[FA_LOCAL];
	a->numRegs = v[FA_REGS];
	a->ptxVersion = v[FA_PTX];
	a->binaryVersion = v[FA_BINARY];
	a->cacheModeCA = v[FA_CACHE_CA];
	a->maxDynamicSharedSizeBytes = v[FA_MAX_DYN_SHARED];
	a->preferredShmemCarveout = v[FA_CARVEOUT];
	a->clusterDimMustBeSet = v[FA_CLUSTER_MUST_BE_SET];
	a->requiredClusterWidth = v[FA_CLUSTER_W];
	a->requiredClusterHeight = v[FA_CLUSTER_H];
	a->requiredClusterDepth = v[FA_CLUSTER_D];
	a->clusterSchedulingPolicyPreference = v[FA_SCHED_POLICY];
	a->nonPortableClusterSizeAllowed = v[FA_NON_PORTABLE];
	return cudaSuccess;
}

RT_API cudaError_t cudaFuncSetAttribute(const void *host, int attr, int value)
{
	KERNEL(host, f, cuFuncSetAttribute);
	CUresult r = p_cuFuncSetAttribute(f, attr, value);
	return r ? rt_from_cu(r) : cudaSuccess;
}

RT_API cudaError_t cudaFuncSetCacheConfig(const void *host, int config)
{
	KERNEL(host, f, cuFuncSetCacheConfig);
	CUresult r = p_cuFuncSetCacheConfig(f, config);
	return r ? rt_from_cu(r) : cudaSuccess;
}

RT_API cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
	int *n, const void *host, int block_size, size_t dyn_smem,
	unsigned flags)
{
	KERNEL(host, f, cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags);
	CUresult r = p_cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
		n, f, block_size, dyn_smem, flags);
	return r ? rt_from_cu(r) : cudaSuccess;
}

RT_API cudaError_t cudaOccupancyMaxActiveBlocksPerMultiprocessor(
	int *n, const void *host, int block_size, size_t dyn_smem)
{
	return cudaOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
		n, host, block_size, dyn_smem, 0);
}

RT_API cudaError_t cudaOccupancyAvailableDynamicSMemPerBlock(
	size_t *dyn_smem, const void *host, int num_blocks, int block_size)
{
	KERNEL(host, f, cuOccupancyAvailableDynamicSMemPerBlock);
	CUresult r = p_cuOccupancyAvailableDynamicSMemPerBlock(
		dyn_smem, f, num_blocks, block_size);
	return r ? rt_from_cu(r) : cudaSuccess;
}
