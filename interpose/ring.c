/* Producer side of the trace rings (layout: common/trace_ring.h).  The
 * ring set comes from the supervisor (/.vgpu/ring) or, standalone, from
 * our own drain thread. */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "interposer.h"

struct vr_header *vgpu_ring_set;
bool vgpu_prefetchw;
atomic_uint vgpu_ring_gen;
static pthread_mutex_t attach_lock = PTHREAD_MUTEX_INITIALIZER;

static void after_fork_child(void)
{
	/* The parent's rings belong to the parent's threads. */
	vgpu_ring_set = NULL;
	atomic_fetch_add(&vgpu_ring_gen, 1);
	pthread_mutex_init(&attach_lock, NULL);
	vgpu_ring_attach();
}

bool vgpu_flag_export_tables(void)
{
	return vgpu_ring_set && (vgpu_ring_set->flags & VR_EXPORT_TABLES);
}

void vgpu_ring_attach(void)
{
	static bool atfork_done;
	pthread_mutex_lock(&attach_lock);
	if (!atfork_done) {
		atfork_done = true;
		pthread_atfork(NULL, NULL, after_fork_child);
		unsigned a, b, c, d;
		vgpu_prefetchw = __get_cpuid(0x80000001, &a, &b, &c, &d) &&
				 (c & bit_PRFCHW);
	}
	/* Read-only: the supervisor is asked only about loads; the memfd it
	 * injects is its own read-write description. */
	int fd = open("/.vgpu/ring", O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		struct vr_header *h;
		size_t len;
		if (vr_map(fd, &h, &len) == 0) {
			/* Thunks always stamp rdtsc; on a TSC that is not
			 * invariant the drain's calibration is approximate. */
			__atomic_or_fetch(&h->flags, VR_TS_TSC,
					  __ATOMIC_RELAXED);
			atomic_store(&h->pid, (uint32_t)getpid());
			h->api = vgpu_api.api;
			vgpu_names_publish(h);
			atomic_store_explicit((_Atomic(struct vr_header *) *)
					      &vgpu_ring_set, h,
					      memory_order_release);
		}
		close(fd);
	} else if (errno == ENOENT) {
		vgpu_standalone_start();
	}
	pthread_mutex_unlock(&attach_lock);
}

/* Called by standalone.c with its own set. */
void vgpu_ring_use(struct vr_header *h)
{
	h->flags |= VR_TS_TSC;
	atomic_store(&h->pid, (uint32_t)getpid());
	h->api = vgpu_api.api;
	vgpu_names_publish(h);
	vgpu_ring_set = h;
}

/* A lossless producer's wait for the drain: as long as the drain beats.
 * A drain whose beat stood still for VR_DRAIN_DEAD_NS is taken for gone
 * (vgpu-run killed or stopped): the whole set turns lossy, so that no
 * thread of the program waits for ever, and the drops are counted.  Only
 * this process's own set is at stake, so nothing another process writes
 * can make it wait or stop waiting. */
struct drain_watch {
	uint64_t beat;
	uint64_t since_ns;	/* 0: not watching yet */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* True when the set is (now) lossy. */
static bool drain_gone(struct vr_header *h, struct drain_watch *w)
{
	if (__atomic_load_n(&h->flags, __ATOMIC_RELAXED) & VR_LOSSY)
		return true;
	uint64_t beat = atomic_load_explicit(&h->drain_beat,
					     memory_order_relaxed);
	uint64_t now = mono_ns();
	if (!w->since_ns || beat != w->beat) {
		w->beat = beat;
		w->since_ns = now;
		return false;
	}
	if (now - w->since_ns < VR_DRAIN_DEAD_NS)
		return false;
	__atomic_or_fetch(&h->flags, VR_LOSSY | VR_DRAIN_GONE,
			  __ATOMIC_RELAXED);
	return true;
}

bool vgpu_ring_claim(struct vgpu_thread *t)
{
	struct vr_header *h = vgpu_ring_set;
	struct drain_watch watch = { 0, 0 };
	for (;;) {
		for (uint32_t i = 0; i < h->nrings; i++) {
			struct vr_ring *r = vr_ring_at(h, i);
			uint32_t st = VR_FREE;
			if (!atomic_compare_exchange_strong(&r->state, &st,
							    VR_OWNED))
				continue;
			/* Before the first record: the drain looks only at
			 * rings below rings_used. */
			uint32_t used = atomic_load(&h->rings_used);
			while (used < i + 1 &&
			       !atomic_compare_exchange_weak(&h->rings_used,
							     &used, i + 1))
				;
			r->tid = t->tid;
			t->ring = r;
			t->data = vr_ring_data(r);
			t->ring_mask = h->ring_bytes - 1;
			t->head = atomic_load(&r->head);
			t->tail_seen = atomic_load(&r->tail);
			struct vt_rec_thread *th = vgpu_ring_reserve(t, sizeof(*th));
			if (th) {
				*th = (struct vt_rec_thread){
					{ VT_REC_THREAD, 0, sizeof(*th) },
					(uint32_t)getpid(), t->tid };
				vgpu_ring_commit(t, sizeof(*th));
			}
			return true;
		}
		/* Every ring is owned: lossy sets give up, lossless ones wait
		 * for a thread to end (and the drain to free its ring). */
		if (drain_gone(h, &watch))
			return false;
		usleep(1000);
	}
}

void vgpu_ring_release(struct vgpu_thread *t)
{
	if (t->ring && t->gen == atomic_load(&vgpu_ring_gen))
		atomic_store_explicit(&t->ring->state, VR_RETIRED,
				      memory_order_release);
	t->ring = NULL;
}

void *vgpu_ring_reserve_slow(struct vgpu_thread *t, uint32_t size)
{
	struct vr_header *h = vgpu_ring_set;
	struct vr_ring *r = t->ring;
	uint32_t rb = h->ring_bytes;
	uint32_t off = (uint32_t)(t->head & (rb - 1));
	uint32_t room = rb - off;
	uint64_t need = size + (room < size ? room : 0);
	if (t->head + need - t->tail_seen > rb) {
		unsigned spins = 0;
		struct drain_watch watch = { 0, 0 };
		for (;;) {
			t->tail_seen = atomic_load_explicit(
				&r->tail, memory_order_acquire);
			if (t->head + need - t->tail_seen <= rb)
				break;
			if ((spins & 63) == 0 && drain_gone(h, &watch)) {
				atomic_fetch_add_explicit(&r->dropped, 1,
							  memory_order_relaxed);
				return NULL;
			}
			if (!spins++)
				atomic_fetch_add_explicit(&h->ring_waits, 1,
							  memory_order_relaxed);
			if (spins < 64)
				sched_yield();
			else
				usleep(50);
		}
	}
	if (room < size) {
		struct vt_rec_hdr *pad = (void *)(vr_ring_data(r) + off);
		pad->type = VR_PAD;
		pad->size = room;
		t->head += room;
		off = 0;
	}
	return vr_ring_data(r) + off;
}
