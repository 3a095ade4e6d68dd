/* Driver API: memory pools, as far as a client that creates one needs
 * them.  The device does not advertise pools (attribute
 * MEMORY_POOLS_SUPPORTED stays 0, so careful clients keep to ordinary
 * allocations), but NCCL creates a device pool for every communicator
 * without asking.  A pool here is a handle with its attributes; memory
 * "from" it is an ordinary allocation of the pool's device, and every
 * operation completes at once, so the asynchronous forms are the
 * synchronous ones. */
#include "driver.h"
#include "handles.h"

#include <string.h>

typedef struct CUmemPoolHandle_st *CUmemoryPool;

CUresult cuCtxPushCurrent_v2(CUcontext ctx);
CUresult cuCtxPopCurrent_v2(CUcontext *ctx);
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice dev);
CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev);

#define LOCATION_DEVICE 1
#define ALLOCATION_PINNED 1
#define POOL_ATTR_MAX 8		/* CU_MEMPOOL_ATTR_USED_MEM_HIGH */
#define POOL_MAGIC 0x504f4f4cu

/* CUmemPoolProps: the fields before its reserved bytes. */
struct pool_props {
	int alloc_type, handle_types;
	int location_type, location_id;
	void *win32_security;
	size_t max_size;
	unsigned short usage;
};

struct sim_pool {
	uint32_t magic;
	int dev;
	uint64_t attr[POOL_ATTR_MAX + 1];
};

static struct handle_pool pools = HANDLE_POOL(struct sim_pool);

static struct sim_pool *pool(CUmemoryPool p)
{
	struct sim_pool *sp = (struct sim_pool *)p;
	return sp && sp->magic == POOL_MAGIC ? sp : NULL;
}

SIM_API CUresult cuMemPoolCreate(CUmemoryPool *out,
				 const struct pool_props *props)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!out || !props || props->alloc_type != ALLOCATION_PINNED)
		return CUDA_ERROR_INVALID_VALUE;
	if (props->location_type != LOCATION_DEVICE) {
		sim_note("cuMemPoolCreate: only device pools are simulated "
			 "(location type %d)", props->location_type);
		return CUDA_ERROR_NOT_SUPPORTED;
	}
	if ((r = sim_check_dev(props->location_id)))
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_pool *p = handle_new(&pools);
	if (!p)
		return CUDA_ERROR_OUT_OF_MEMORY;
	p->dev = props->location_id;
	p->magic = POOL_MAGIC;
	*out = (CUmemoryPool)p;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemPoolDestroy(CUmemoryPool p)
{
	struct sim_pool *sp = pool(p);
	if (!sp)
		return CUDA_ERROR_INVALID_VALUE;
	handle_delete(&pools, sp);
	return CUDA_SUCCESS;
}

/* Attributes 1-3 are ints, 4-8 (threshold and counters) 64-bit. */
static size_t attr_size(int attr)
{
	return attr >= 4 ? sizeof(uint64_t) : sizeof(int);
}

SIM_API CUresult cuMemPoolSetAttribute(CUmemoryPool p, int attr, void *v)
{
	struct sim_pool *sp = pool(p);
	if (!sp || !v || attr < 1 || attr > POOL_ATTR_MAX)
		return CUDA_ERROR_INVALID_VALUE;
	uint64_t x = 0;
	memcpy(&x, v, attr_size(attr));
	sp->attr[attr] = x;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemPoolGetAttribute(CUmemoryPool p, int attr, void *v)
{
	struct sim_pool *sp = pool(p);
	if (!sp || !v || attr < 1 || attr > POOL_ATTR_MAX)
		return CUDA_ERROR_INVALID_VALUE;
	memcpy(v, &sp->attr[attr], attr_size(attr));
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemPoolTrimTo(CUmemoryPool p, size_t keep)
{
	return pool(p) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* Every device reaches a pool read-write: there is one memory. */
SIM_API CUresult cuMemPoolSetAccess(CUmemoryPool p, const void *desc,
				    size_t count)
{
	return pool(p) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

/* An allocation on the pool's device, whatever context is current. */
SIM_API CUresult cuMemAllocFromPoolAsync(CUdeviceptr *dptr, size_t size,
					 CUmemoryPool p, CUstream s)
{
	struct sim_pool *sp = pool(p);
	if (!sp)
		return CUDA_ERROR_INVALID_VALUE;
	CUresult r;
	if (sim_current_dev(&r) == sp->dev)
		return cuMemAlloc_v2(dptr, size);
	CUcontext ctx, prev;
	if ((r = cuDevicePrimaryCtxRetain(&ctx, sp->dev)))
		return r;
	if (!(r = cuCtxPushCurrent_v2(ctx))) {
		r = cuMemAlloc_v2(dptr, size);
		cuCtxPopCurrent_v2(&prev);
	}
	cuDevicePrimaryCtxRelease_v2(sp->dev);
	return r;
}

SIM_API CUresult cuMemAllocFromPoolAsync_ptsz(CUdeviceptr *dptr, size_t size,
					      CUmemoryPool p, CUstream s)
{
	return cuMemAllocFromPoolAsync(dptr, size, p, s);
}

SIM_API CUresult cuMemAllocAsync(CUdeviceptr *dptr, size_t size, CUstream s)
{
	return cuMemAlloc_v2(dptr, size);
}

SIM_API CUresult cuMemAllocAsync_ptsz(CUdeviceptr *dptr, size_t size,
				      CUstream s)
{
	return cuMemAlloc_v2(dptr, size);
}

SIM_API CUresult cuMemFreeAsync(CUdeviceptr dptr, CUstream s)
{
	return cuMemFree_v2(dptr);
}

SIM_API CUresult cuMemFreeAsync_ptsz(CUdeviceptr dptr, CUstream s)
{
	return cuMemFree_v2(dptr);
}
