/* Driver API: streams and events.
 *
 * Work completes when issued (see cu_mem.c), so a stream is a handle that
 * remembers its flags and priority, every query says "done", and an event
 * records the host's monotonic clock when it is recorded: the elapsed
 * time between two events is the host time spent issuing the work between
 * them, the closest a simulation gets to device time. */
#include "driver.h"
#include "handles.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sim_stream {
	uint32_t magic;
	unsigned flags;
	int priority;
	struct sim_ctx *ctx;
};
#define STREAM_MAGIC 0x5354524du

struct sim_event {
	uint32_t magic;
	unsigned flags;
	int recorded;
	uint64_t ns;
};
#define EVENT_MAGIC 0x45564e54u

static struct handle_pool streams = HANDLE_POOL(struct sim_stream);
static struct handle_pool events = HANDLE_POOL(struct sim_event);
#define CU_EVENT_DISABLE_TIMING 0x2

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* NULL, the legacy and the per-thread default stream: the current
 * context's, always valid, never created or destroyed. */
static bool default_stream(CUstream s)
{
	return !s || s == CU_STREAM_LEGACY || s == CU_STREAM_PER_THREAD;
}

static CUresult check_stream(CUstream s)
{
	CUresult r;
	if (sim_current_dev(&r) < 0)
		return r;
	if (default_stream(s))
		return CUDA_SUCCESS;
	return ((struct sim_stream *)s)->magic == STREAM_MAGIC
		       ? CUDA_SUCCESS
		       : CUDA_ERROR_INVALID_HANDLE;
}

SIM_API CUresult cuStreamCreateWithPriority(CUstream *ps, unsigned flags,
					    int priority)
{
	CUresult r;
	if (sim_current_dev(&r) < 0)
		return r;
	if (!ps || flags > 1)
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_stream *s = handle_new(&streams);
	if (!s)
		return CUDA_ERROR_OUT_OF_MEMORY;
	s->magic = STREAM_MAGIC;
	s->flags = flags;
	s->priority = priority < -5 ? -5 : priority > 0 ? 0 : priority;
	s->ctx = sim_ctx_current();
	*ps = (CUstream)s;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamCreate(CUstream *ps, unsigned flags)
{
	return cuStreamCreateWithPriority(ps, flags, 0);
}

SIM_API CUresult cuStreamDestroy_v2(CUstream s)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	struct sim_stream *st = (struct sim_stream *)s;
	if (default_stream(s) || st->magic != STREAM_MAGIC)
		return CUDA_ERROR_INVALID_HANDLE;
	handle_delete(&streams, st);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamDestroy(CUstream s)
{
	return cuStreamDestroy_v2(s);
}

/* The default streams belong to the current context; a created stream
 * to the context that was current when it was made. */
SIM_API CUresult cuStreamGetCtx(CUstream s, CUcontext *pctx)
{
	CUresult r = check_stream(s);
	if (r)
		return r;
	if (!pctx)
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_stream *st = (struct sim_stream *)s;
	*pctx = (CUcontext)(default_stream(s) ? sim_ctx_current() : st->ctx);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamGetCtx_ptsz(CUstream s, CUcontext *pctx)
{
	return cuStreamGetCtx(s, pctx);
}

/* v2 (12.5) adds the green context, of which the simulator has none. */
SIM_API CUresult cuStreamGetCtx_v2(CUstream s, CUcontext *pctx, void **pgreen)
{
	if (!pctx && !pgreen)
		return CUDA_ERROR_INVALID_VALUE;
	CUcontext c;
	CUresult r = cuStreamGetCtx(s, &c);
	if (r)
		return r;
	if (pctx)
		*pctx = c;
	if (pgreen)
		*pgreen = NULL;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamGetCtx_v2_ptsz(CUstream s, CUcontext *pctx,
					void **pgreen)
{
	return cuStreamGetCtx_v2(s, pctx, pgreen);
}

SIM_API CUresult cuStreamSynchronize(CUstream s)
{
	return check_stream(s);
}

SIM_API CUresult cuStreamQuery(CUstream s)
{
	return check_stream(s);
}

SIM_API CUresult cuStreamWaitEvent(CUstream s, CUevent e, unsigned flags)
{
	CUresult r = check_stream(s);
	if (r)
		return r;
	return e && ((struct sim_event *)e)->magic == EVENT_MAGIC
		       ? CUDA_SUCCESS
		       : CUDA_ERROR_INVALID_HANDLE;
}

SIM_API CUresult cuStreamGetFlags(CUstream s, unsigned *flags)
{
	CUresult r = check_stream(s);
	if (r)
		return r;
	if (!flags)
		return CUDA_ERROR_INVALID_VALUE;
	*flags = default_stream(s) ? 0 : ((struct sim_stream *)s)->flags;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamGetPriority(CUstream s, int *prio)
{
	CUresult r = check_stream(s);
	if (r)
		return r;
	if (!prio)
		return CUDA_ERROR_INVALID_VALUE;
	*prio = default_stream(s) ? 0 : ((struct sim_stream *)s)->priority;
	return CUDA_SUCCESS;
}

/* Work issued earlier has completed, so the callback runs now, in
 * order with everything else on the stream. */
SIM_API CUresult cuLaunchHostFunc(CUstream s, CUhostFn fn, void *data)
{
	CUresult r = check_stream(s);
	if (r)
		return r;
	if (!fn)
		return CUDA_ERROR_INVALID_VALUE;
	fn(data);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamAddCallback(CUstream s, CUstreamCallback cb,
				     void *data, unsigned flags)
{
	CUresult r = check_stream(s);
	if (r)
		return r;
	if (!cb || flags)
		return CUDA_ERROR_INVALID_VALUE;
	cb(s, CUDA_SUCCESS, data);
	return CUDA_SUCCESS;
}

/* ---- events ---- */

static struct sim_event *event(CUevent e)
{
	struct sim_event *ev = (struct sim_event *)e;
	return ev && ev->magic == EVENT_MAGIC ? ev : NULL;
}

SIM_API CUresult cuEventCreate(CUevent *pe, unsigned flags)
{
	CUresult r;
	if (sim_current_dev(&r) < 0)
		return r;
	if (!pe || flags > 0xf)
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_event *e = handle_new(&events);
	if (!e)
		return CUDA_ERROR_OUT_OF_MEMORY;
	e->magic = EVENT_MAGIC;
	e->flags = flags;
	*pe = (CUevent)e;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuEventDestroy_v2(CUevent e)
{
	struct sim_event *ev = event(e);
	if (!ev)
		return CUDA_ERROR_INVALID_HANDLE;
	handle_delete(&events, ev);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuEventDestroy(CUevent e)
{
	return cuEventDestroy_v2(e);
}

SIM_API CUresult cuEventRecord(CUevent e, CUstream s)
{
	CUresult r = check_stream(s);
	if (r)
		return r;
	struct sim_event *ev = event(e);
	if (!ev)
		return CUDA_ERROR_INVALID_HANDLE;
	ev->ns = now_ns();
	ev->recorded = 1;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuEventRecordWithFlags(CUevent e, CUstream s, unsigned fl)
{
	return cuEventRecord(e, s);
}

SIM_API CUresult cuEventQuery(CUevent e)
{
	return event(e) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

SIM_API CUresult cuEventSynchronize(CUevent e)
{
	return event(e) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

SIM_API CUresult cuEventElapsedTime(float *ms, CUevent start, CUevent end)
{
	struct sim_event *a = event(start), *b = event(end);
	if (!ms)
		return CUDA_ERROR_INVALID_VALUE;
	if (!a || !b)
		return CUDA_ERROR_INVALID_HANDLE;
	if ((a->flags | b->flags) & CU_EVENT_DISABLE_TIMING)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!a->recorded || !b->recorded)
		return CUDA_ERROR_INVALID_HANDLE;
	*ms = (float)((double)((int64_t)(b->ns - a->ns)) / 1e6);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuEventElapsedTime_v2(float *ms, CUevent start, CUevent end)
{
	return cuEventElapsedTime(ms, start, end);
}

/* Work completes when issued, so a stream-ordered write is a store now.
 * PyTorch fetches this at start-up (see cu_absent.c for why every name it
 * asks for must exist).  Both forms take the same arguments; _v2 (11.7)
 * only drops the stream-memops opt-in, which the sim never asked for. */
SIM_API CUresult cuStreamWriteValue32_v2(CUstream s, CUdeviceptr addr,
					 uint32_t value, unsigned flags)
{
	CUresult r = check_stream(s);
	if (r)
		return r;
	struct sim_alloc a;
	if (!sim_alloc_find((uintptr_t)addr, sizeof(value), &a))
		return CUDA_ERROR_INVALID_VALUE;
	memcpy((void *)(uintptr_t)addr, &value, sizeof(value));
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamWriteValue32(CUstream s, CUdeviceptr addr,
				      uint32_t value, unsigned flags)
{
	return cuStreamWriteValue32_v2(s, addr, value, flags);
}

SIM_API CUresult cuStreamWriteValue32_ptsz(CUstream s, CUdeviceptr addr,
					   uint32_t value, unsigned flags)
{
	return cuStreamWriteValue32_v2(s, addr, value, flags);
}

SIM_API CUresult cuStreamWriteValue32_v2_ptsz(CUstream s, CUdeviceptr addr,
					      uint32_t value, unsigned flags)
{
	return cuStreamWriteValue32_v2(s, addr, value, flags);
}
