/* Driver API: primary and created contexts, the per-thread context stack. */
#include "driver.h"
#include "handles.h"

#include <stdlib.h>

#define STACK_MAX 64

static struct sim_ctx primary[SIM_MAX_DEVICES];
static struct handle_pool contexts = HANDLE_POOL(struct sim_ctx);
static pthread_mutex_t primary_mu = PTHREAD_MUTEX_INITIALIZER;

static __thread struct sim_ctx *stack[STACK_MAX];
static __thread int depth;

bool sim_ctx_valid(const struct sim_ctx *c)
{
	return c && c->magic == CTX_MAGIC;
}

struct sim_ctx *sim_ctx_current(void)
{
	struct sim_ctx *c = depth ? stack[depth - 1] : NULL;
	return sim_ctx_valid(c) ? c : NULL;
}

int sim_current_dev(CUresult *err)
{
	*err = sim_check_init();
	if (*err)
		return -1;
	struct sim_ctx *c = sim_ctx_current();
	if (!c) {
		*err = CUDA_ERROR_INVALID_CONTEXT;
		return -1;
	}
	return c->dev;
}

/* ---- primary contexts ---- */

SIM_API CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!pctx)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&primary_mu);
	struct sim_ctx *c = &primary[dev];
	if (c->refs++ == 0) {
		c->dev = dev;
		c->primary = 1;
		c->magic = CTX_MAGIC;
	}
	pthread_mutex_unlock(&primary_mu);
	*pctx = (CUcontext)c;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDevicePrimaryCtxRelease_v2(CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	pthread_mutex_lock(&primary_mu);
	struct sim_ctx *c = &primary[dev];
	if (c->refs == 0)
		r = CUDA_ERROR_INVALID_CONTEXT;
	else if (--c->refs == 0)
		c->magic = 0;	/* stays addressable: the handle is stable */
	pthread_mutex_unlock(&primary_mu);
	return r;
}

SIM_API CUresult cuDevicePrimaryCtxRelease(CUdevice dev)
{
	return cuDevicePrimaryCtxRelease_v2(dev);
}

SIM_API CUresult cuDevicePrimaryCtxGetState(CUdevice dev, unsigned *flags,
					    int *active)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!flags || !active)
		return CUDA_ERROR_INVALID_VALUE;
	pthread_mutex_lock(&primary_mu);
	*flags = primary[dev].flags;
	*active = primary[dev].refs > 0;
	pthread_mutex_unlock(&primary_mu);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDevicePrimaryCtxSetFlags_v2(CUdevice dev, unsigned flags)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	pthread_mutex_lock(&primary_mu);
	primary[dev].flags = flags;
	pthread_mutex_unlock(&primary_mu);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDevicePrimaryCtxSetFlags(CUdevice dev, unsigned flags)
{
	return cuDevicePrimaryCtxSetFlags_v2(dev, flags);
}

SIM_API CUresult cuDevicePrimaryCtxReset_v2(CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	pthread_mutex_lock(&primary_mu);
	primary[dev].flags = 0;
	pthread_mutex_unlock(&primary_mu);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDevicePrimaryCtxReset(CUdevice dev)
{
	return cuDevicePrimaryCtxReset_v2(dev);
}

/* ---- created contexts ---- */

static CUresult ctx_create(CUcontext *pctx, unsigned flags, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!pctx)
		return CUDA_ERROR_INVALID_VALUE;
	if (depth == STACK_MAX)
		return CUDA_ERROR_OUT_OF_MEMORY;
	struct sim_ctx *c = handle_new(&contexts);
	if (!c)
		return CUDA_ERROR_OUT_OF_MEMORY;
	c->magic = CTX_MAGIC;
	c->dev = dev;
	c->flags = flags;
	stack[depth++] = c;
	*pctx = (CUcontext)c;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxCreate_v2(CUcontext *pctx, unsigned flags, CUdevice dev)
{
	return ctx_create(pctx, flags, dev);
}

SIM_API CUresult cuCtxCreate(CUcontext *pctx, unsigned flags, CUdevice dev)
{
	return ctx_create(pctx, flags, dev);
}

/* _v3 adds execution-affinity parameters, which only apply to MPS. */
SIM_API CUresult cuCtxCreate_v3(CUcontext *pctx, void *params, int nparams,
				unsigned flags, CUdevice dev)
{
	if (nparams < 0 || (nparams > 0 && !params))
		return CUDA_ERROR_INVALID_VALUE;
	return ctx_create(pctx, flags, dev);
}

SIM_API CUresult cuCtxCreate_v4(CUcontext *pctx, CUctxCreateParams *params,
				unsigned flags, CUdevice dev)
{
	if (params && params->numExecAffinityParams < 0)
		return CUDA_ERROR_INVALID_VALUE;
	return ctx_create(pctx, flags, dev);
}

SIM_API CUresult cuCtxDestroy_v2(CUcontext ctx)
{
	struct sim_ctx *c = (struct sim_ctx *)ctx;
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!sim_ctx_valid(c) || c->primary)
		return CUDA_ERROR_INVALID_CONTEXT;
	/* Pop it from this thread's stack wherever it is. */
	for (int i = 0; i < depth; i++)
		if (stack[i] == c) {
			for (int j = i; j + 1 < depth; j++)
				stack[j] = stack[j + 1];
			depth--;
			i--;
		}
	handle_delete(&contexts, c);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxDestroy(CUcontext ctx)
{
	return cuCtxDestroy_v2(ctx);
}

SIM_API CUresult cuCtxPushCurrent_v2(CUcontext ctx)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!sim_ctx_valid((struct sim_ctx *)ctx))
		return CUDA_ERROR_INVALID_CONTEXT;
	if (depth == STACK_MAX)
		return CUDA_ERROR_OUT_OF_MEMORY;
	stack[depth++] = (struct sim_ctx *)ctx;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxPushCurrent(CUcontext ctx)
{
	return cuCtxPushCurrent_v2(ctx);
}

SIM_API CUresult cuCtxPopCurrent_v2(CUcontext *pctx)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (depth == 0)
		return CUDA_ERROR_INVALID_CONTEXT;
	struct sim_ctx *c = stack[--depth];
	if (pctx)
		*pctx = (CUcontext)c;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxPopCurrent(CUcontext *pctx)
{
	return cuCtxPopCurrent_v2(pctx);
}

SIM_API CUresult cuCtxSetCurrent(CUcontext ctx)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!ctx) {
		/* NULL replaces the top of the stack: nothing is current now,
		 * and a later pop still finds the contexts below. */
		if (depth)
			stack[depth - 1] = NULL;
		return CUDA_SUCCESS;
	}
	if (!sim_ctx_valid((struct sim_ctx *)ctx))
		return CUDA_ERROR_INVALID_CONTEXT;
	if (depth)
		stack[depth - 1] = (struct sim_ctx *)ctx;
	else
		stack[depth++] = (struct sim_ctx *)ctx;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxGetCurrent(CUcontext *pctx)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!pctx)
		return CUDA_ERROR_INVALID_VALUE;
	*pctx = (CUcontext)sim_ctx_current();
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxGetDevice(CUdevice *dev)
{
	CUresult r;
	int d = sim_current_dev(&r);
	if (d < 0)
		return r;
	if (!dev)
		return CUDA_ERROR_INVALID_VALUE;
	*dev = d;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxGetFlags(unsigned *flags)
{
	CUresult r;
	if (sim_current_dev(&r) < 0)
		return r;
	if (!flags)
		return CUDA_ERROR_INVALID_VALUE;
	*flags = sim_ctx_current()->flags;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxSynchronize(void)
{
	CUresult r;
	/* Every operation completes when issued: nothing to wait for. */
	return sim_current_dev(&r) < 0 ? r : CUDA_SUCCESS;
}

/* The context a call names, or the current one when it names none. */
static CUresult named_ctx(CUcontext ctx, struct sim_ctx **out)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	*out = ctx ? (struct sim_ctx *)ctx : sim_ctx_current();
	return sim_ctx_valid(*out) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_CONTEXT;
}

SIM_API CUresult cuCtxGetApiVersion(CUcontext ctx, unsigned *version)
{
	struct sim_ctx *c;
	CUresult r = named_ctx(ctx, &c);
	if (r)
		return r;
	if (!version)
		return CUDA_ERROR_INVALID_VALUE;
	/* The context ABI number every driver since CUDA 4.0 reports. */
	*version = 3020;
	return CUDA_SUCCESS;
}

#define LIMIT_SHMEM_SIZE 7
#define LIMIT_CIG_ENABLED 8
#define ATTR_SMEM_PER_BLOCK_OPTIN 97

SIM_API CUresult cuCtxGetLimit(size_t *value, int limit)
{
	CUresult r;
	if (sim_current_dev(&r) < 0)
		return r;
	if (!value)
		return CUDA_ERROR_INVALID_VALUE;
	static const size_t defaults[] = { 1024, 1 << 20, 8 << 20, 2, 2048, 0,
					   0 };
	int dev = sim_ctx_current()->dev, smem = 0;
	switch (limit) {
	case LIMIT_SHMEM_SIZE:	/* no CIG: all a kernel may opt in to */
		sim_device_attribute(&sim_config()->dev[dev],
				     ATTR_SMEM_PER_BLOCK_OPTIN, &smem);
		*value = (size_t)smem;
		return CUDA_SUCCESS;
	case LIMIT_CIG_ENABLED:	/* cuBLAS asks; no context is a CIG one */
		*value = 0;
		return CUDA_SUCCESS;
	}
	if (limit < 0 || limit >= (int)(sizeof(defaults) / sizeof(defaults[0])))
		return CUDA_ERROR_INVALID_VALUE;
	*value = defaults[limit];
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxSetLimit(int limit, size_t value)
{
	CUresult r;
	return sim_current_dev(&r) < 0 ? r : CUDA_SUCCESS;
}

SIM_API CUresult cuCtxGetStreamPriorityRange(int *least, int *greatest)
{
	CUresult r;
	if (sim_current_dev(&r) < 0)
		return r;
	if (least)
		*least = 0;
	if (greatest)
		*greatest = -5;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxGetCacheConfig(int *cfg)
{
	if (!cfg)
		return CUDA_ERROR_INVALID_VALUE;
	*cfg = 0;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxSetCacheConfig(int cfg)
{
	return CUDA_SUCCESS;
}

/* CUDA 13 forms that name the context instead of using the current one. */
SIM_API CUresult cuCtxGetDevice_v2(CUdevice *dev, CUcontext ctx)
{
	struct sim_ctx *c;
	CUresult r = named_ctx(ctx, &c);
	if (r)
		return r;
	if (!dev)
		return CUDA_ERROR_INVALID_VALUE;
	*dev = c->dev;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxSynchronize_v2(CUcontext ctx)
{
	struct sim_ctx *c;
	return named_ctx(ctx, &c);
}
