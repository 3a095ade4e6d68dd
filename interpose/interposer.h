/* The in-process interposer: state shared by its parts.  One copy of this
 * code is linked into each library (cuda, cudart12, cudart13, nvml), all
 * symbols hidden except the generated exports. */
#ifndef VGPU_INTERPOSER_H
#define VGPU_INTERPOSER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "trace_format.h"
#include "trace_ring.h"

#define HIDDEN __attribute__((visibility("hidden")))

/* ---- generated per library (gen_thunks.sh) ---- */
struct vgpu_outspec {
	uint32_t index;		/* static function index */
	uint32_t nout;
	struct { uint8_t arg, size; } out[4];
};
extern const unsigned vgpu_nstatic HIDDEN;
extern const char *const vgpu_static_names[] HIDDEN;	/* sorted */
extern void *const vgpu_static_thunks[] HIDDEN;
extern const struct vgpu_outspec vgpu_static_outspecs[] HIDDEN;
extern const unsigned vgpu_nstatic_outspecs HIDDEN;
/* What a function returns when the backend lacks it, by its return type
 * (common/api_decode.txt; not listed: an error code). */
enum vgpu_ret {
	VGPU_RET_CODE,		/* status or number: the not-supported code */
	VGPU_RET_ZERO,		/* void or a pointer: 0 */
	VGPU_RET_TEXT,		/* const char *: a text naming the problem */
};
extern const unsigned char vgpu_static_rets[] HIDDEN;	/* enum vgpu_ret */
/* 1 + the argument register of a text out-parameter (api_decode.txt
 * >NAME:str/8, cuGetErrorName's pStr), 0: none. */
extern const unsigned char vgpu_static_text_outs[] HIDDEN;
/* For _TEXT and for text out-parameters. */
extern const char *const vgpu_static_ret_texts[] HIDDEN;

/* ---- per API (api_*.c) ---- */
struct vgpu_special {
	const char *name;	/* an export answered by our own code */
	void *fn;
};
struct vgpu_api {
	uint32_t api;		/* enum vt_api */
	const char *key;	/* "cuda": /.vgpu/backend/KEY, VGPU_BACKEND_KEY */
	int not_supported;	/* the API's not-supported code */
	const struct vgpu_special *specials;
};
extern const struct vgpu_api vgpu_api HIDDEN;

/* ---- thunk.S ---- */
extern char vgpu_pool[] HIDDEN;
extern char vgpu_thunk_exit[] HIDDEN;
extern char vgpu_fake_ret[] HIDDEN;
extern char vgpu_missing_ret[] HIDDEN;
extern char vgpu_missing_text_ret[] HIDDEN;
extern int vgpu_missing_code HIDDEN;
#define VGPU_POOL_BIT 0x80000000u
#define VGPU_POOL_SIZE 4096u
#define VGPU_POOL_STUB 16u

/* ---- slots: what a thunk calls ---- */
struct vgpu_inject;
struct vgpu_slot {
	void *target;			/* backend function, or NULL: missing */
	uint32_t func;			/* local function index (names table) */
	const struct vgpu_outspec *out;
	struct vgpu_inject *inject;
};
HIDDEN extern struct vgpu_slot *vgpu_slots;		/* static ones */
HIDDEN extern struct vgpu_slot vgpu_pool_slots[VGPU_POOL_SIZE];

/* core.c */
HIDDEN void vgpu_init(void);
HIDDEN void *vgpu_enter(uint32_t slot, uint64_t *regs, void **retslot);
HIDDEN void *vgpu_exit(uint64_t *saved);
/* A VT_EV_NOTE event (key, value) in this thread's ring, when tracing. */
HIDDEN void vgpu_note(const char *key, const char *value);
/* From a special function: out values of the current call. */
HIDDEN void vgpu_set_out(const uint64_t *vals, unsigned n);

/* names.c: local function indices; static names are 0..nstatic-1. */
HIDDEN int vgpu_static_index(const char *name);		/* -1 if absent */
HIDDEN uint32_t vgpu_name_index(uint32_t api, const char *name);
HIDDEN const char *vgpu_name_of(uint32_t index);
HIDDEN void vgpu_names_publish(struct vr_header *h);	/* all so far */

/* pool.c: a thunk for a pointer handed out at run time. */
HIDDEN void *vgpu_wrap(uint32_t api, const char *name, void *fn);

/* backend.c */
HIDDEN extern void *vgpu_backend;		/* dlopen handle, or NULL */
HIDDEN void *vgpu_backend_sym(const char *name);
HIDDEN bool vgpu_is_ours(const void *p);
HIDDEN void vgpu_backend_load(void);
/* A call the backend cannot answer: the value it returns, and code that
 * returns a value of that type when no frame can carry one. */
HIDDEN uint64_t vgpu_missing_value(uint32_t func);
HIDDEN void *vgpu_missing_stub(uint32_t func);
/* ...and what it writes through its out-parameters first (regs: the
 * argument registers as the thunk saved them). */
HIDDEN void vgpu_missing_outs(uint32_t func, const uint64_t *regs);
HIDDEN extern char *vgpu_config_text;		/* rules text, or NULL */

/* ring.c: producer side */
struct vgpu_thread;
HIDDEN extern struct vr_header *vgpu_ring_set;
HIDDEN extern atomic_uint vgpu_ring_gen;
HIDDEN void vgpu_ring_attach(void);		/* at init and after fork */
HIDDEN void *vgpu_ring_reserve_slow(struct vgpu_thread *t, uint32_t size);
HIDDEN extern bool vgpu_prefetchw;		/* the CPU has PREFETCHW */
HIDDEN bool vgpu_ring_claim(struct vgpu_thread *t);
HIDDEN void vgpu_ring_release(struct vgpu_thread *t);
HIDDEN bool vgpu_flag_export_tables(void);

/* inject.c */
HIDDEN void vgpu_inject_load(const char *rules_text);
HIDDEN struct vgpu_inject *vgpu_inject_for(const char *name);
/* True when this call is to fail; *code is the value to return. */
HIDDEN bool vgpu_inject_fires(struct vgpu_inject *in, uint64_t *code);

/* got.c (driver library only; api_got_none.c elsewhere) */
HIDDEN void vgpu_got_init(void);

/* callsite.c: the id of the call site at return address ret, its stack
 * recorded on first use (0: none). */
struct vgpu_thread;
HIDDEN void vgpu_callsite_init(void);
HIDDEN uint64_t vgpu_callsite(struct vgpu_thread *t, uintptr_t ret);

/* standalone.c: no supervisor */
HIDDEN void vgpu_standalone_start(void);

/* Per thread state. */
#define VGPU_MAX_DEPTH 64
struct vgpu_frame {
	void *ret;
	uint64_t args[6];
	uint64_t fake;
	uint32_t func;
	uint16_t flags;
	uint16_t use_fake;
	const struct vgpu_outspec *out;
	uint64_t outv[4];
	uint32_t nout_set;
};
struct vgpu_thread {
	uint32_t tid;
	uint32_t depth;
	uint32_t gen;			/* vgpu_ring_gen when the ring was claimed */
	uint32_t ring_mask;		/* ring_bytes - 1 of the claimed ring */
	struct vr_ring *ring;
	unsigned char *data;		/* its data */
	uint64_t head;			/* producer copy of ring->head */
	uint64_t tail_seen;
	struct vgpu_frame frames[VGPU_MAX_DEPTH];
};

/* How far ahead of its head a producer asks for ring lines.  A line the
 * drain read last time round (or that left the cache) would otherwise be
 * fetched when the record is stored, and the next locked instruction of
 * the backend (any mutex) waits for those stores; fetched ahead, the
 * stores hit the cache. */
#define VGPU_PREFETCH_AHEAD 4096u

static inline void vgpu_prefetch_line(const unsigned char *p)
{
	if (vgpu_prefetchw)
		__asm__ volatile("prefetchw %0" : : "m"(*p));
	else
		__builtin_prefetch(p, 1, 3);
}

/* Room for a record of size bytes in the thread's ring (slow path: wrap,
 * ring full, lossy drop).  NULL: dropped. */
static inline void *vgpu_ring_reserve(struct vgpu_thread *t, uint32_t size)
{
	uint32_t rb = t->ring_mask + 1;
	uint32_t off = (uint32_t)t->head & t->ring_mask;
	if (__builtin_expect(off + size <= rb &&
			     t->head + size - t->tail_seen <= rb, 1)) {
		vgpu_prefetch_line(t->data + ((off + VGPU_PREFETCH_AHEAD) &
					      t->ring_mask));
		vgpu_prefetch_line(t->data + ((off + VGPU_PREFETCH_AHEAD + 64) &
					      t->ring_mask));
		return t->data + off;
	}
	return vgpu_ring_reserve_slow(t, size);
}

/* Publish the record reserve() returned. */
static inline void vgpu_ring_commit(struct vgpu_thread *t, uint32_t size)
{
	t->head += size;
	atomic_store_explicit(&t->ring->head, t->head, memory_order_release);
}

static inline uint64_t vgpu_ticks(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

HIDDEN void vgpu_log(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
