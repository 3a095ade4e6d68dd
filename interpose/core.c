/* The C half of every thunk: pick the target, record enter and exit. */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "interposer.h"

struct vgpu_slot *vgpu_slots;
struct vgpu_slot vgpu_pool_slots[VGPU_POOL_SIZE];
int vgpu_missing_code;

/* One pointer of static TLS per library: the rest is mapped per thread,
 * so a library loaded by dlopen never needs much static TLS. */
static __thread struct vgpu_thread *self
	__attribute__((tls_model("initial-exec")));
static pthread_key_t thread_key;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static atomic_bool ready;
/* The thread running init_once: a call of ours that the start-up itself
 * sets off (a backend calling its own exports through the global scope,
 * a constructor of a library the backend loads) must not wait on the
 * once it is inside of; it runs with what is set up so far. */
static atomic_ulong starter;

void vgpu_log(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n > sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	ssize_t w = write(2, buf, (size_t)n);
	(void)w;
}

static void thread_gone(void *p)
{
	struct vgpu_thread *t = p;
	self = NULL;
	vgpu_ring_release(t);
	munmap(t, sizeof(*t));
}

static void init_once(void)
{
	atomic_store(&starter, (unsigned long)pthread_self());
	pthread_key_create(&thread_key, thread_gone);
	vgpu_missing_code = vgpu_api.not_supported;
	static struct vgpu_slot none;
	vgpu_slots = calloc(vgpu_nstatic, sizeof(*vgpu_slots));
	if (!vgpu_slots) {
		vgpu_slots = &none;	/* only for a failed start: all missing */
		return;
	}
	for (unsigned i = 0; i < vgpu_nstatic; i++)
		vgpu_slots[i].func = i;
	for (unsigned i = 0; i < vgpu_nstatic_outspecs; i++)
		vgpu_slots[vgpu_static_outspecs[i].index].out =
			&vgpu_static_outspecs[i];
	vgpu_backend_load();
	vgpu_inject_load(vgpu_config_text);
	for (unsigned i = 0; i < vgpu_nstatic; i++)
		vgpu_slots[i].inject = vgpu_inject_for(vgpu_static_names[i]);
	vgpu_callsite_init();
	vgpu_ring_attach();
	vgpu_got_init();
	atomic_store_explicit(&ready, true, memory_order_release);
	atomic_store(&starter, 0);
}

void vgpu_init(void)
{
	if (atomic_load(&starter) == (unsigned long)pthread_self())
		return;
	pthread_once(&once, init_once);
}

__attribute__((constructor)) static void vgpu_constructor(void)
{
	vgpu_init();
}

static struct vgpu_thread *thread_self(void)
{
	struct vgpu_thread *t = self;
	if (__builtin_expect(t != NULL, 1))
		return t;
	t = mmap(NULL, sizeof(*t), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t == MAP_FAILED)
		return NULL;
	t->tid = (uint32_t)syscall(SYS_gettid);
	self = t;
	pthread_setspecific(thread_key, t);
	return t;
}

static void record_enter(struct vgpu_thread *t, uint32_t func,
			 const uint64_t *regs, void *ret)
{
	/* Before the enter record: a site's stack precedes its first use. */
	uint64_t site = vgpu_callsite(t, (uintptr_t)ret);
	struct vt_rec_call_enter *e =
		vgpu_ring_reserve(t, sizeof(struct vt_rec_call_enter));
	if (!e)
		return;
	e->h = (struct vt_rec_hdr){ VT_REC_CALL_ENTER, 0, sizeof(*e) };
	e->func = VT_FUNC_ID(vgpu_api.api, func);
	e->tid = t->tid;
	e->ts = vgpu_ticks();
	memcpy(e->args, regs, sizeof(e->args));
	e->callsite = site;
	vgpu_ring_commit(t, sizeof(*e));
}

static struct vgpu_slot *slot_of(uint32_t slot)
{
	if (slot & VGPU_POOL_BIT)
		return &vgpu_pool_slots[slot & (VGPU_POOL_SIZE - 1)];
	return &vgpu_slots[slot];
}

/* A thread that forked keeps its state; the child's ring set is new. */
static bool ring_ready(struct vgpu_thread *t)
{
	unsigned gen = atomic_load_explicit(&vgpu_ring_gen,
					    memory_order_acquire);
	if (__builtin_expect(t->ring && t->gen == gen, 1))
		return true;
	if (t->gen != gen) {
		t->ring = NULL;
		t->gen = gen;
	}
	if (!vgpu_ring_set)
		return false;
	return vgpu_ring_claim(t);
}

void vgpu_note(const char *key, const char *value)
{
	struct vgpu_thread *t = thread_self();
	if (!t || !ring_ready(t))
		return;
	size_t kl = strlen(key) + 1, vl = strlen(value) + 1;
	uint32_t size = VT_ALIGN8((uint32_t)(sizeof(struct vt_rec_event) + kl + vl));
	struct vt_rec_event *e = vgpu_ring_reserve(t, size);
	if (!e)
		return;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	*e = (struct vt_rec_event){
		.h = { VT_REC_EVENT, 0, size },
		.ts_ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec,
		.pid = (uint32_t)getpid(), .tid = t->tid, .kind = VT_EV_NOTE,
		.nstr = 2,
	};
	char *s = (char *)(e + 1);
	memcpy(s, key, kl);
	memcpy(s + kl, value, vl);
	memset(s + kl + vl, 0, size - sizeof(*e) - kl - vl);
	vgpu_ring_commit(t, size);
}

/* The simulator's explanations (interpose/sim/config.c: sim_note) reach
 * the trace through this, looked up by name: exported from every
 * interposer library.  Returns 0 when not tracing, so the simulator can
 * say it on stderr instead. */
__attribute__((visibility("default"))) int vgpu_trace_note(const char *text)
{
	struct vgpu_thread *t = thread_self();
	if (!text || !t || !ring_ready(t))
		return 0;
	vgpu_note("sim", text);
	return 1;
}

void *vgpu_enter(uint32_t slot, uint64_t *regs, void **retslot)
{
	if (__builtin_expect(!atomic_load_explicit(&ready,
						   memory_order_acquire), 0))
		vgpu_init();
	struct vgpu_slot *sl = slot_of(slot);
	struct vgpu_thread *t = thread_self();
	void *target = sl->target;
	if (!target)
		vgpu_missing_outs(sl->func, regs);
	if (!t)
		return target ? target : vgpu_missing_stub(sl->func);
	uint16_t flags = t->depth ? VT_CALL_NESTED : 0;
	uint64_t fake = 0;
	bool use_fake = false;
	if (!target) {
		flags |= VT_CALL_MISSING;
		fake = vgpu_missing_value(sl->func);
		use_fake = true;
	}
	if (sl->inject && vgpu_inject_fires(sl->inject, &fake)) {
		flags |= VT_CALL_INJECTED;
		use_fake = true;
	}
	bool tracing = ring_ready(t);
	if (tracing)
		record_enter(t, sl->func, regs, *retslot);
	if (t->depth >= VGPU_MAX_DEPTH || (!tracing && !use_fake))
		return use_fake ? vgpu_missing_stub(sl->func) : target;
	struct vgpu_frame *f = &t->frames[t->depth++];
	f->ret = *retslot;
	f->func = sl->func;
	f->flags = flags;
	f->use_fake = use_fake;
	f->fake = fake;
	f->out = sl->out;
	f->nout_set = 0;
	if (sl->out)
		memcpy(f->args, regs, sizeof(f->args));
	*retslot = vgpu_thunk_exit;
	return use_fake ? (void *)vgpu_fake_ret : target;
}

void vgpu_set_out(const uint64_t *vals, unsigned n)
{
	struct vgpu_thread *t = self;
	if (!t || !t->depth)
		return;
	struct vgpu_frame *f = &t->frames[t->depth - 1];
	f->nout_set = n > 4 ? 4 : n;
	memcpy(f->outv, vals, f->nout_set * sizeof(*vals));
}

static uint64_t read_out(uint64_t ptr, unsigned size)
{
	if (!ptr)
		return 0;
	switch (size) {
	case 1: return *(const uint8_t *)ptr;
	case 2: return *(const uint16_t *)ptr;
	case 4: return *(const uint32_t *)ptr;
	default: return *(const uint64_t *)ptr;
	}
}

void *vgpu_exit(uint64_t *saved)
{
	struct vgpu_thread *t = self;
	struct vgpu_frame *f = &t->frames[--t->depth];
	if (f->use_fake)
		saved[0] = f->fake;
	if (!t->ring || t->gen != atomic_load_explicit(&vgpu_ring_gen,
						       memory_order_relaxed))
		return f->ret;
	/* Out values only mean something when the call succeeded; the record
	 * ends after the ones it has. */
	uint32_t nout = f->nout_set;
	bool read = !nout && f->out && (uint32_t)saved[0] == 0 && !f->use_fake;
	if (read)
		nout = f->out->nout;
	uint32_t size = (uint32_t)(offsetof(struct vt_rec_call_exit, out) +
				   nout * sizeof(uint64_t));
	struct vt_rec_call_exit *x = vgpu_ring_reserve(t, size);
	if (!x)
		return f->ret;
	x->h = (struct vt_rec_hdr){ VT_REC_CALL_EXIT, f->flags, size };
	x->func = VT_FUNC_ID(vgpu_api.api, f->func);
	x->tid = t->tid;
	x->ts = vgpu_ticks();
	x->ret = saved[0];
	x->nout = nout;
	x->pad = 0;
	if (read) {
		for (unsigned i = 0; i < nout; i++)
			x->out[i] = read_out(f->args[f->out->out[i].arg],
					     f->out->out[i].size);
	} else {
		memcpy(x->out, f->outv, nout * sizeof(uint64_t));
	}
	vgpu_ring_commit(t, size);
	return f->ret;
}
