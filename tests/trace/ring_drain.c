/* The drain of common/trace_ring.c against a ring set written by hand the
 * way a producer writes it: renumbering, runs across a pad, batching,
 * a trace that cannot be written.   ring_drain DIR */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace.h"
#include "trace_ring.h"

static int failures;
#define EXPECT(name, cond) do { \
	if (cond) printf("PASS %s\n", name); \
	else { printf("FAIL %s: %s\n", name, #cond); failures++; } } while (0)

/* The producer's side, as interpose/ring.c and names.c do it. */
struct producer {
	struct vr_header *h;
	struct vr_ring *r;
	uint64_t head;
};

static void publish_name(struct vr_header *h, uint32_t api, const char *name)
{
	char *area = vr_names(h);
	uint64_t used = atomic_load(&h->names_used);
	area[used] = (char)('0' + api);
	strcpy(area + used + 1, name);
	atomic_store(&h->names_used, used + strlen(name) + 2);
	atomic_fetch_add(&h->names_count, 1);
}

static void put_call(struct producer *p, uint16_t type, uint32_t local,
		     uint64_t seq)
{
	uint32_t rb = p->h->ring_bytes;
	uint32_t size = type == VT_REC_CALL_ENTER ?
		sizeof(struct vt_rec_call_enter) :
		(uint32_t)offsetof(struct vt_rec_call_exit, out);
	uint32_t off = (uint32_t)(p->head & (rb - 1));
	unsigned char *data = vr_ring_data(p->r);
	if (rb - off < size) {
		struct vt_rec_hdr *pad = (void *)(data + off);
		pad->type = VR_PAD;
		pad->size = rb - off;
		p->head += rb - off;
		off = 0;
	}
	if (type == VT_REC_CALL_ENTER) {
		struct vt_rec_call_enter *e = (void *)(data + off);
		memset(e, 0, sizeof(*e));
		e->h = (struct vt_rec_hdr){ type, 0, size };
		e->func = VT_FUNC_ID(VT_API_CUDA, local);
		e->tid = 7;
		e->ts = seq;
		e->args[0] = seq;
	} else {
		struct vt_rec_call_exit *x = (void *)(data + off);
		memset(x, 0, size);
		x->h = (struct vt_rec_hdr){ type, 0, size };
		x->func = VT_FUNC_ID(VT_API_CUDA, local);
		x->tid = 7;
		x->ts = seq;
		x->ret = seq;
	}
	p->head += size;
	atomic_store(&p->r->head, p->head);
}

/* A new set drained by d whose ring k p writes. */
static bool new_set(struct vr_drain *d, uint32_t k, struct producer *p)
{
	struct vr_header *h;
	size_t len;
	int fd = vr_create(0, &h, &len);
	if (fd < 0)
		return false;
	close(fd);
	(void)len;
	if (vr_drain_add(d, h, &VR_DEFAULT_GEOM, 0, -1))
		return false;
	*p = (struct producer){ h, vr_ring_at(h, k), 0 };
	atomic_store(&p->r->state, VR_OWNED);
	atomic_store(&h->rings_used, k + 1);
	return true;
}

struct readback {
	unsigned enters, exits, clocks, tables;
	uint64_t last_seq;
	int in_order;
	uint32_t funcs[4];	/* func ids of the first enters */
};

static void read_trace(const char *path, struct readback *rb)
{
	memset(rb, 0, sizeof(*rb));
	rb->in_order = 1;
	struct vt_reader r;
	if (vt_reader_open(&r, path)) {
		rb->in_order = 0;
		return;
	}
	const struct vt_rec_hdr *h;
	uint64_t expect = 1;
	while (vt_reader_next(&r, &h) == VT_READ_OK) {
		if (h->type == VT_REC_CALL_ENTER) {
			const struct vt_rec_call_enter *e = (const void *)h;
			if (rb->enters < 4)
				rb->funcs[rb->enters] = e->func;
			rb->enters++;
			if (e->args[0] != expect)
				rb->in_order = 0;
			expect++;
		} else if (h->type == VT_REC_CALL_EXIT) {
			rb->exits++;
		} else if (h->type == VT_REC_CLOCK) {
			rb->clocks++;
		} else if (h->type == VT_REC_FUNC_TABLE) {
			rb->tables++;
		}
	}
	vt_reader_close(&r);
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	char path[4096], other[4096];
	snprintf(path, sizeof(path), "%s/drain.trc", argv[1]);
	snprintf(other, sizeof(other), "%s/other.trc", argv[1]);

	/* 1. Two sets that named the same function in a different order:
	 * the second one's records are renumbered into the trace's ids. */
	struct vt_writer *w = vt_writer_open(path, VT_OPEN_FORCE, 0);
	struct vr_drain *d = w ? vr_drain_new(w) : NULL;
	struct producer p1, p2;
	bool made = d && new_set(d, 0, &p1) && new_set(d, 3, &p2);
	EXPECT("ring sets created", made);
	if (!made)
		return 1;
	struct vr_header *h1 = p1.h;
	publish_name(h1, VT_API_CUDA, "cuInit");
	publish_name(h1, VT_API_CUDA, "cuCtxGetDevice");
	publish_name(p2.h, VT_API_CUDA, "cuCtxGetDevice");
	put_call(&p1, VT_REC_CALL_ENTER, 1, 1);		/* cuCtxGetDevice */
	put_call(&p1, VT_REC_CALL_EXIT, 1, 1);
	long n = vr_drain_pass(d, true);
	put_call(&p2, VT_REC_CALL_ENTER, 0, 2);		/* cuCtxGetDevice */
	put_call(&p2, VT_REC_CALL_EXIT, 0, 2);
	n += vr_drain_pass(d, true);
	EXPECT("every record drained", n == 4);
	vt_writer_flush(w);
	struct readback rb;
	read_trace(path, &rb);
	EXPECT("both calls in the trace", rb.enters == 2 && rb.exits == 2);
	EXPECT("the second set's local id 0 is the trace's cuCtxGetDevice",
	       rb.funcs[0] == VT_FUNC_ID(VT_API_CUDA, 1) &&
	       rb.funcs[1] == VT_FUNC_ID(VT_API_CUDA, 1));

	/* 2. Batching: a ring holding little is left to its producer by a
	 * pass that need not take everything, for a few ms at most. */
	put_call(&p1, VT_REC_CALL_ENTER, 0, 3);
	put_call(&p1, VT_REC_CALL_EXIT, 0, 3);
	EXPECT("a small batch waits", vr_drain_pass(d, false) == 0);
	struct timespec ms5 = { 0, 5 * 1000 * 1000 };
	nanosleep(&ms5, NULL);
	EXPECT("a small batch goes after waiting", vr_drain_pass(d, false) == 2);
	uint64_t seq = 4;
	while (atomic_load(&p1.r->head) - atomic_load(&p1.r->tail) < (64u << 10)) {
		put_call(&p1, VT_REC_CALL_ENTER, 0, seq);
		put_call(&p1, VT_REC_CALL_EXIT, 0, seq++);
	}
	EXPECT("a full batch goes at once", vr_drain_pass(d, false) == (long)(2 * (seq - 4)));

	/* 3. Past the end of the ring: the pad stays out of the trace and
	 * the records on both sides of it arrive in order. */
	uint64_t lap = atomic_load(&p1.r->head) / h1->ring_bytes;
	while (atomic_load(&p1.r->head) / h1->ring_bytes == lap) {
		put_call(&p1, VT_REC_CALL_ENTER, 0, seq);
		put_call(&p1, VT_REC_CALL_EXIT, 0, seq++);
		if (atomic_load(&p1.r->head) - atomic_load(&p1.r->tail) >
		    h1->ring_bytes / 2)
			vr_drain_pass(d, true);
	}
	put_call(&p1, VT_REC_CALL_ENTER, 0, seq);
	put_call(&p1, VT_REC_CALL_EXIT, 0, seq++);
	vr_drain_pass(d, true);
	EXPECT("the ring is empty", atomic_load(&p1.r->head) == atomic_load(&p1.r->tail));
	vt_writer_flush(w);
	read_trace(path, &rb);
	EXPECT("every call across the wrap, in order",
	       rb.in_order && rb.enters == seq - 1 && rb.exits == seq - 1);
	EXPECT("names written once", rb.tables == 1);

	/* 4. A trace that cannot be written: the error is told once and the
	 * rings are emptied anyway, so no lossless producer waits for ever. */
	int full = open("/dev/full", O_WRONLY);
	if (full >= 0) {
		struct vt_writer *fw = vt_writer_fdopen(full, 0);
		struct vr_drain *fd = vr_drain_new(fw);
		struct producer p3;
		if (!fd || !new_set(fd, 0, &p3))
			return 1;
		publish_name(p3.h, VT_API_CUDA, "cuInit");
		for (unsigned i = 0; i < 20000; i++)
			put_call(&p3, VT_REC_CALL_ENTER, 0, i + 1);
		long first = vr_drain_pass(fd, false);
		EXPECT("a write error is told", first == -ENOSPC);
		EXPECT("and the ring is emptied",
		       atomic_load(&p3.r->head) == atomic_load(&p3.r->tail));
		put_call(&p3, VT_REC_CALL_ENTER, 0, 1);
		long second = vr_drain_pass(fd, true);
		EXPECT("only once; later records are dropped", second == 0 &&
		       atomic_load(&p3.r->head) == atomic_load(&p3.r->tail));
		vr_drain_free(fd);
		vt_writer_close(fw);
	} else {
		printf("SKIP write_error: no /dev/full\n");
	}

	/* 5. Sets stamped with TSC ticks (two libraries of a program) get one
	 * clock record before their calls, even from a pass made right after
	 * the drain started, and passes within a second add none. */
	struct vt_writer *cw = vt_writer_open(other, VT_OPEN_FORCE, 0);
	struct vr_drain *cd = cw ? vr_drain_new(cw) : NULL;
	struct producer p4, p5;
	if (!cd || !new_set(cd, 0, &p4) || !new_set(cd, 0, &p5))
		return 1;
	for (struct producer *p = &p4; p; p = p == &p4 ? &p5 : NULL) {
		p->h->flags |= VR_TS_TSC;
		publish_name(p->h, VT_API_CUDA, "cuInit");
		put_call(p, VT_REC_CALL_ENTER, 0, p == &p4 ? 1 : 2);
		put_call(p, VT_REC_CALL_EXIT, 0, p == &p4 ? 1 : 2);
	}
	vr_drain_pass(cd, true);
	put_call(&p5, VT_REC_CALL_ENTER, 0, 3);
	put_call(&p5, VT_REC_CALL_EXIT, 0, 3);
	vr_drain_pass(cd, true);
	vr_drain_free(cd);
	vt_writer_close(cw);
	read_trace(other, &rb);
	EXPECT("one clock record for two sets", rb.clocks == 1 && rb.enters == 3);

	vr_drain_free(d);
	vt_writer_close(w);
	return failures ? 1 : 0;
}
