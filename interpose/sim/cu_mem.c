/* Driver API: device memory (host pages standing in for it), page-locked
 * host memory, copies and memsets.
 *
 * Device allocations are anonymous MAP_NORESERVE mappings: an 80 GiB
 * device can be filled without the host committing 80 GiB, and a device
 * pointer is a host address, so every copy direction is a memcpy.  Every
 * operation completes before it returns, which honours stream order
 * trivially; the Async forms differ only in accepting a stream. */
#include "driver.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static struct sim_alloc *allocs;
static size_t nallocs, cap;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;

static int add(uintptr_t base, size_t size, int dev, int host)
{
	pthread_mutex_lock(&mu);
	if (nallocs == cap) {
		size_t ncap = cap ? cap * 2 : 64;
		struct sim_alloc *n = realloc(allocs, ncap * sizeof(*n));
		if (!n) {
			pthread_mutex_unlock(&mu);
			return -1;
		}
		allocs = n;
		cap = ncap;
	}
	allocs[nallocs++] = (struct sim_alloc){ base, size, dev, host };
	pthread_mutex_unlock(&mu);
	return 0;
}

/* Remove the allocation starting exactly at base; returns it in *out. */
static int take(uintptr_t base, int host, struct sim_alloc *out)
{
	int rc = -1;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nallocs; i++)
		if (allocs[i].base == base && allocs[i].host == host) {
			*out = allocs[i];
			allocs[i] = allocs[--nallocs];
			rc = 0;
			break;
		}
	pthread_mutex_unlock(&mu);
	return rc;
}

bool sim_alloc_find(uintptr_t p, size_t len, struct sim_alloc *out)
{
	bool hit = false;
	pthread_mutex_lock(&mu);
	for (size_t i = 0; i < nallocs; i++)
		if (p >= allocs[i].base && p - allocs[i].base <= allocs[i].size &&
		    len <= allocs[i].size - (p - allocs[i].base)) {
			*out = allocs[i];
			hit = true;
			break;
		}
	pthread_mutex_unlock(&mu);
	return hit;
}

/* Real drivers round allocations up to 2 MiB pages for large sizes and
 * hand out 256-byte aligned pointers; we account the rounded size so
 * memory info moves the way it does on a GPU. */
static size_t rounded(size_t n)
{
	size_t g = n >= (1u << 20) ? (2u << 20) : 512;
	return (n + g - 1) / g * g;
}

SIM_API CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t size)
{
	CUresult r;
	int dev = sim_current_dev(&r);
	if (dev < 0)
		return r;
	if (!dptr || size == 0)
		return CUDA_ERROR_INVALID_VALUE;
	size_t n = rounded(size);
	if (n < size || sim_account_alloc(dev, n) < 0)
		return CUDA_ERROR_OUT_OF_MEMORY;
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	/* Huge pages where the kernel offers them on request: a device
	 * buffer is usually written whole, and one fault per 2 MiB instead
	 * of per 4 KiB makes first copies several times faster.  Untouched
	 * memory still costs nothing. */
	if (p != MAP_FAILED && n >= (2u << 20))
		madvise(p, n, MADV_HUGEPAGE);
	if (p == MAP_FAILED || add((uintptr_t)p, n, dev, 0) < 0) {
		if (p != MAP_FAILED)
			munmap(p, n);
		sim_account_free(dev, n);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	*dptr = (CUdeviceptr)(uintptr_t)p;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemAlloc(unsigned *dptr, unsigned size)
{
	/* The CUDA 3.1 form returns a 32-bit pointer: impossible here. */
	return CUDA_ERROR_NOT_SUPPORTED;
}

SIM_API CUresult cuMemAllocPitch_v2(CUdeviceptr *dptr, size_t *pitch,
				    size_t width, size_t height, unsigned elt)
{
	if (!pitch || !width || !height || (elt != 4 && elt != 8 && elt != 16))
		return CUDA_ERROR_INVALID_VALUE;
	size_t p = (width + 511) / 512 * 512;
	CUresult r = cuMemAlloc_v2(dptr, p * height);
	if (r == CUDA_SUCCESS)
		*pitch = p;
	return r;
}

SIM_API CUresult cuMemFree_v2(CUdeviceptr dptr)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (dptr == 0)
		return CUDA_SUCCESS;
	struct sim_alloc a;
	if (take((uintptr_t)dptr, 0, &a) < 0)
		return CUDA_ERROR_INVALID_VALUE;
	munmap((void *)a.base, a.size);
	sim_account_free(a.dev, a.size);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemFree(unsigned dptr)
{
	return CUDA_ERROR_NOT_SUPPORTED;
}

SIM_API CUresult cuMemGetInfo_v2(size_t *free_, size_t *total)
{
	CUresult r;
	int dev = sim_current_dev(&r);
	if (dev < 0)
		return r;
	if (!free_ || !total)
		return CUDA_ERROR_INVALID_VALUE;
	unsigned long long t = sim_config()->dev[dev].memory;
	unsigned long long u = sim_account_used(dev);
	*total = t;
	*free_ = u < t ? t - u : 0;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemGetInfo(unsigned *free_, unsigned *total)
{
	size_t f, t;
	CUresult r = cuMemGetInfo_v2(&f, &t);
	if (r == CUDA_SUCCESS) {
		*free_ = f > 0xffffffffu ? 0xffffffffu : (unsigned)f;
		*total = t > 0xffffffffu ? 0xffffffffu : (unsigned)t;
	}
	return r;
}

SIM_API CUresult cuMemGetAddressRange_v2(CUdeviceptr *base, size_t *size,
					 CUdeviceptr p)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	struct sim_alloc a;
	if (!sim_alloc_find((uintptr_t)p, 0, &a) || a.host)
		return CUDA_ERROR_NOT_FOUND;
	if (base)
		*base = a.base;
	if (size)
		*size = a.size;
	return CUDA_SUCCESS;
}

/* ---- page-locked host memory ---- */

SIM_API CUresult cuMemHostAlloc(void **pp, size_t size, unsigned flags)
{
	CUresult r;
	int dev = sim_current_dev(&r);
	if (dev < 0)
		return r;
	if (!pp || !size || (flags & ~0xfu))
		return CUDA_ERROR_INVALID_VALUE;
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return CUDA_ERROR_OUT_OF_MEMORY;
	if (add((uintptr_t)p, size, dev, 1) < 0) {
		munmap(p, size);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	*pp = p;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemAllocHost_v2(void **pp, size_t size)
{
	return cuMemHostAlloc(pp, size, 0);
}

SIM_API CUresult cuMemAllocHost(void **pp, unsigned size)
{
	return cuMemHostAlloc(pp, size, 0);
}

SIM_API CUresult cuMemFreeHost(void *p)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	struct sim_alloc a;
	if (take((uintptr_t)p, 1, &a) < 0)
		return CUDA_ERROR_INVALID_VALUE;
	munmap((void *)a.base, a.size);
	return CUDA_SUCCESS;
}

/* Host memory the client owns, made visible to the device (at its own
 * address, as all host memory is here); cuMemFreeHost leaves it alone.
 * NCCL registers its shared-memory segments this way. */
#define HOST_REGISTERED 2
#define HOST_MEMORY_ALREADY_REGISTERED ((CUresult)712)
#define HOST_MEMORY_NOT_REGISTERED ((CUresult)713)

SIM_API CUresult cuMemHostRegister_v2(void *p, size_t size, unsigned flags)
{
	CUresult r;
	int dev = sim_current_dev(&r);
	if (dev < 0)
		return r;
	if (!p || !size || (flags & ~0xfu))
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_alloc a;
	if (sim_alloc_find((uintptr_t)p, 0, &a) ||
	    sim_alloc_find((uintptr_t)p + size - 1, 0, &a))
		return HOST_MEMORY_ALREADY_REGISTERED;
	return add((uintptr_t)p, size, dev, HOST_REGISTERED) < 0
		       ? CUDA_ERROR_OUT_OF_MEMORY : CUDA_SUCCESS;
}

SIM_API CUresult cuMemHostRegister(void *p, size_t size, unsigned flags)
{
	return cuMemHostRegister_v2(p, size, flags);
}

SIM_API CUresult cuMemHostUnregister(void *p)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	struct sim_alloc a;
	return take((uintptr_t)p, HOST_REGISTERED, &a) < 0
		       ? HOST_MEMORY_NOT_REGISTERED : CUDA_SUCCESS;
}

/* With unified addressing the device sees host memory at its own
 * address. */
SIM_API CUresult cuMemHostGetDevicePointer_v2(CUdeviceptr *dptr, void *p,
					      unsigned flags)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!dptr || flags)
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_alloc a;
	if (!sim_alloc_find((uintptr_t)p, 0, &a) || !a.host)
		return CUDA_ERROR_INVALID_VALUE;
	*dptr = (CUdeviceptr)(uintptr_t)p;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemHostGetFlags(unsigned *flags, void *p)
{
	struct sim_alloc a;
	if (!flags || !sim_alloc_find((uintptr_t)p, 0, &a) || !a.host)
		return CUDA_ERROR_INVALID_VALUE;
	*flags = 0;
	return CUDA_SUCCESS;
}

/* ---- copies ---- */

/* A device range must lie inside one live allocation: a copy that would
 * run off the end is what a real GPU turns into a fault. */
static CUresult dev_range(CUdeviceptr p, size_t n)
{
	struct sim_alloc a;
	return sim_alloc_find((uintptr_t)p, n, &a) ? CUDA_SUCCESS
						   : CUDA_ERROR_INVALID_VALUE;
}

static CUresult copy(void *dst, const void *src, size_t n)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (n && (!dst || !src))
		return CUDA_ERROR_INVALID_VALUE;
	memmove(dst, src, n);
	return CUDA_SUCCESS;
}

#define PTR(d) ((void *)(uintptr_t)(d))

SIM_API CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t n)
{
	CUresult r = dev_range(dst, n);
	return r ? r : copy(PTR(dst), src, n);
}

SIM_API CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t n)
{
	CUresult r = dev_range(src, n);
	return r ? r : copy(dst, PTR(src), n);
}

SIM_API CUresult cuMemcpyDtoD_v2(CUdeviceptr dst, CUdeviceptr src, size_t n)
{
	CUresult r = dev_range(dst, n);
	if (r || (r = dev_range(src, n)))
		return r;
	return copy(PTR(dst), PTR(src), n);
}

/* Unified addressing: any mix of host and device pointers. */
SIM_API CUresult cuMemcpy(CUdeviceptr dst, CUdeviceptr src, size_t n)
{
	return copy(PTR(dst), PTR(src), n);
}

SIM_API CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src,
				      size_t n, CUstream s)
{
	return cuMemcpyHtoD_v2(dst, src, n);
}

SIM_API CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t n,
				      CUstream s)
{
	return cuMemcpyDtoH_v2(dst, src, n);
}

SIM_API CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src,
				      size_t n, CUstream s)
{
	return cuMemcpyDtoD_v2(dst, src, n);
}

SIM_API CUresult cuMemcpyAsync(CUdeviceptr dst, CUdeviceptr src, size_t n,
			       CUstream s)
{
	return cuMemcpy(dst, src, n);
}

SIM_API CUresult cuMemcpy2D_v2(const CUDA_MEMCPY2D *c)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!c || c->srcMemoryType == CU_MEMORYTYPE_ARRAY ||
	    c->dstMemoryType == CU_MEMORYTYPE_ARRAY)
		return c ? CUDA_ERROR_NOT_SUPPORTED : CUDA_ERROR_INVALID_VALUE;
	const char *s = c->srcMemoryType == CU_MEMORYTYPE_HOST
				? c->srcHost : PTR(c->srcDevice);
	char *d = c->dstMemoryType == CU_MEMORYTYPE_HOST ? c->dstHost
							 : PTR(c->dstDevice);
	if (!s || !d)
		return CUDA_ERROR_INVALID_VALUE;
	for (size_t y = 0; y < c->Height; y++)
		memmove(d + (c->dstY + y) * c->dstPitch + c->dstXInBytes,
			s + (c->srcY + y) * c->srcPitch + c->srcXInBytes,
			c->WidthInBytes);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemcpy2DAsync_v2(const CUDA_MEMCPY2D *c, CUstream s)
{
	return cuMemcpy2D_v2(c);
}

SIM_API CUresult cuMemcpy2DUnaligned_v2(const CUDA_MEMCPY2D *c)
{
	return cuMemcpy2D_v2(c);
}

/* ---- memsets ---- */

static CUresult fill(CUdeviceptr d, const void *val, size_t elt, size_t n)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (n && (r = dev_range(d, n * elt)))
		return r;
	if (d % elt)
		return CUDA_ERROR_INVALID_VALUE;
	char *p = PTR(d);
	if (elt == 1) {
		memset(p, *(const unsigned char *)val, n);
		return CUDA_SUCCESS;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(p + i * elt, val, elt);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n)
{
	return fill(d, &v, 1, n);
}

SIM_API CUresult cuMemsetD16_v2(CUdeviceptr d, unsigned short v, size_t n)
{
	return fill(d, &v, 2, n);
}

SIM_API CUresult cuMemsetD32_v2(CUdeviceptr d, unsigned v, size_t n)
{
	return fill(d, &v, 4, n);
}

SIM_API CUresult cuMemsetD8Async(CUdeviceptr d, unsigned char v, size_t n,
				 CUstream s)
{
	return fill(d, &v, 1, n);
}

SIM_API CUresult cuMemsetD16Async(CUdeviceptr d, unsigned short v, size_t n,
				  CUstream s)
{
	return fill(d, &v, 2, n);
}

SIM_API CUresult cuMemsetD32Async(CUdeviceptr d, unsigned v, size_t n,
				  CUstream s)
{
	return fill(d, &v, 4, n);
}

static CUresult fill2d(CUdeviceptr d, size_t pitch, const void *v, size_t elt,
		       size_t w, size_t h)
{
	for (size_t y = 0; y < h; y++) {
		CUresult r = fill(d + y * pitch, v, elt, w);
		if (r)
			return r;
	}
	return CUDA_SUCCESS;
}

SIM_API CUresult cuMemsetD2D8_v2(CUdeviceptr d, size_t pitch, unsigned char v,
				 size_t w, size_t h)
{
	return fill2d(d, pitch, &v, 1, w, h);
}

SIM_API CUresult cuMemsetD2D32_v2(CUdeviceptr d, size_t pitch, unsigned v,
				  size_t w, size_t h)
{
	return fill2d(d, pitch, &v, 4, w, h);
}

/* ---- pointer attributes ---- */

SIM_API CUresult cuPointerGetAttribute(void *data, int attr, CUdeviceptr p)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!data)
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_alloc a;
	if (!sim_alloc_find((uintptr_t)p, 0, &a))
		return CUDA_ERROR_INVALID_VALUE;
	switch (attr) {
	case CU_POINTER_ATTRIBUTE_MEMORY_TYPE:
		*(unsigned *)data = a.host ? CU_MEMORYTYPE_HOST
					   : CU_MEMORYTYPE_DEVICE;
		return CUDA_SUCCESS;
	case CU_POINTER_ATTRIBUTE_DEVICE_POINTER:
	case CU_POINTER_ATTRIBUTE_HOST_POINTER:
		*(void **)data = PTR(p);
		return CUDA_SUCCESS;
	case CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL:
		*(int *)data = a.dev;
		return CUDA_SUCCESS;
	case 7:		/* BUFFER_ID: cuFFT tells its buffers apart by it */
		*(unsigned long long *)data = a.base;
		return CUDA_SUCCESS;
	case 8:		/* IS_MANAGED: the sim has no managed memory */
		*(int *)data = 0;
		return CUDA_SUCCESS;
	case 11:	/* RANGE_START_ADDR */
		*(void **)data = PTR(a.base);
		return CUDA_SUCCESS;
	case 12:	/* RANGE_SIZE */
		*(size_t *)data = a.size;
		return CUDA_SUCCESS;
	case 13:	/* MAPPED */
		*(int *)data = 1;
		return CUDA_SUCCESS;
	}
	return CUDA_ERROR_INVALID_VALUE;
}

/* What each attribute writes (CUpointer_attribute 1..21), for memory
 * CUDA does not know as much as cuPointerGetAttribute writes for an
 * allocation; 0 is an attribute this table does not know. */
static const unsigned char attribute_size[] = {
	[1] = 8, [2] = 4, [3] = 8, [4] = 8, [6] = 1, [7] = 8, [8] = 4,
	[9] = 4, [10] = 1, [11] = 8, [12] = 8, [13] = 4, [14] = 8, [15] = 1,
	[16] = 4, [17] = 8, [18] = 8, [19] = 8, [20] = 8, [21] = 1,
};
#define DEVICE_ORDINAL_NONE (-2)

/* Unlike the single form, a pointer CUDA does not know is no error: each
 * attribute gets its empty value (a device ordinal of -2). */
SIM_API CUresult cuPointerGetAttributes(unsigned n, const int *attrs,
					void **data, CUdeviceptr p)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!n || !attrs || !data)
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_alloc a;
	bool known = sim_alloc_find((uintptr_t)p, 0, &a);
	for (unsigned i = 0; i < n; i++) {
		int at = attrs[i];
		if (at <= 0 || (size_t)at >= sizeof(attribute_size) ||
		    !attribute_size[at])
			return CUDA_ERROR_INVALID_VALUE;
		if (!data[i])
			continue;
		if (known && at != CU_POINTER_ATTRIBUTE_CONTEXT &&
		    !cuPointerGetAttribute(data[i], at, p))
			continue;
		memset(data[i], 0, attribute_size[at]);
		if (at == CU_POINTER_ATTRIBUTE_DEVICE_ORDINAL)
			*(int *)data[i] = known ? a.dev : DEVICE_ORDINAL_NONE;
		if (at == CU_POINTER_ATTRIBUTE_CONTEXT && known) {
			struct sim_ctx *c = sim_ctx_current();
			if (c && c->dev == a.dev)
				*(CUcontext *)data[i] = (CUcontext)c;
		}
	}
	return CUDA_SUCCESS;
}

/* ---- managed memory ---- */

/* The simulator has no managed memory (cuMemAllocManaged is absent and
 * CU_DEVICE_ATTRIBUTE_MANAGED_MEMORY 0), and prefetching anything else is
 * the driver's invalid-value error.  v1 (8.0) names the destination by
 * CUdevice, v2 (12.2) by CUmemLocation and flags; the checks are the same. */
static CUresult prefetch(void)
{
	CUresult r = sim_check_init();
	return r ? r : CUDA_ERROR_INVALID_VALUE;
}

struct mem_location {
	int type;
	int id;
};

SIM_API CUresult cuMemPrefetchAsync(CUdeviceptr p, size_t count, CUdevice dst,
				    CUstream s)
{
	return prefetch();
}

SIM_API CUresult cuMemPrefetchAsync_ptsz(CUdeviceptr p, size_t count,
					 CUdevice dst, CUstream s)
{
	return prefetch();
}

SIM_API CUresult cuMemPrefetchAsync_v2(CUdeviceptr p, size_t count,
				       struct mem_location dst, unsigned flags,
				       CUstream s)
{
	return prefetch();
}

SIM_API CUresult cuMemPrefetchAsync_v2_ptsz(CUdeviceptr p, size_t count,
					    struct mem_location dst,
					    unsigned flags, CUstream s)
{
	return prefetch();
}
