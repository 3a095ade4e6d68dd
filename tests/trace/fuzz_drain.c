/* libFuzzer target: the trace-ring drain (common/trace_ring.c) over a
 * ring set whose shared memory an arbitrary producer writes.  The input
 * is a program of patches and passes over a small set (4 rings of 4 KiB,
 * 4 KiB of names):
 *   0xfe          a drain pass that may leave small batches
 *   0xff          a drain pass that takes everything
 *   LO HI N BYTES N bytes written at ((HI << 8 | LO) * 8) mod set size
 * After a last pass the trace is closed and read back: it must be a
 * well-framed trace that ends where the writer ended it, holding only
 * records a drain may write.  Built and run by test_fuzz_drain.sh; with
 * -DFUZZ_SEEDS it is instead a program that writes seed inputs (producer
 * behaviour: names, calls, a wrap with a pad) into the directory given. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace.h"
#include "trace_ring.h"

static const struct vr_geom geom = { 4, 4096, 4096 };

#define RING0 (VR_HEADER_BYTES + 4096u)		/* offset of ring 0 */

#ifndef FUZZ_SEEDS

static bool allowed(uint16_t type)
{
	switch (type) {
	case VT_REC_FUNC_TABLE: case VT_REC_CLOCK: case VT_REC_EVENT:
	case VT_REC_THREAD: case VT_REC_CALL_ENTER: case VT_REC_CALL_EXIT:
	case VT_REC_CALLSITE: case VT_REC_DROPS:
		return true;
	}
	return false;
}

static void check_trace(int fd)
{
	off_t len = lseek(fd, 0, SEEK_END);
	unsigned char *buf = malloc((size_t)len + 1);
	if (!buf || pread(fd, buf, (size_t)len, 0) != len)
		abort();
	struct vt_reader r;
	if (vt_reader_open_mem(&r, buf, (size_t)len))
		__builtin_trap();
	const struct vt_rec_hdr *h;
	enum vt_read_status st;
	uint64_t n = 0, end_says = UINT64_MAX;
	while ((st = vt_reader_next(&r, &h)) == VT_READ_OK) {
		if (h->type == VT_REC_END)
			end_says = ((const struct vt_rec_end *)h)->records;
		else if (!allowed(h->type))
			__builtin_trap();	/* a producer's record kind leaked */
		else
			n++;
	}
	/* The one END is the writer's, after every record it wrote. */
	if (st != VT_READ_EOF || end_says != n || r.offset != (uint64_t)len)
		__builtin_trap();
	vt_reader_close(&r);
	free(buf);
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	struct vr_header *dh, *h;
	size_t maplen;
	int ring = vr_create_geom(&geom, 0, &dh, &maplen);
	int out = memfd_create("fuzz-trace", MFD_CLOEXEC);
	if (ring < 0 || out < 0)
		abort();
	/* The producer's own mapping: the drain unmaps its one when it
	 * drops the set. */
	h = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_SHARED, ring, 0);
	if (h == MAP_FAILED)
		abort();
	close(ring);
	struct vt_writer *w = vt_writer_fdopen(dup(out), 0);
	struct vr_drain *d = w ? vr_drain_new(w) : NULL;
	if (!d || vr_drain_add(d, dh, &geom, 4242, -1))
		abort();
	unsigned char *img = (unsigned char *)h;
	size_t i = 0;
	while (i < len) {
		unsigned char op = data[i++];
		if (op >= 0xfe) {
			/* No clock records: their first one waits 10 ms. */
			h->flags &= ~VR_TS_TSC;
			vr_drain_pass(d, op == 0xff);
			continue;
		}
		if (i + 2 > len)
			break;
		size_t off = (((size_t)data[i] << 8 | op) * 8) % maplen;
		size_t n = data[i + 1];
		i += 2;
		if (n > len - i)
			n = len - i;
		if (n > maplen - off)
			n = maplen - off;
		memcpy(img + off, data + i, n);
		i += n;
	}
	h->flags &= ~VR_TS_TSC;
	vr_drain_pass(d, true);
	vr_drain_free(d);
	munmap(h, maplen);
	vt_writer_close(w);
	check_trace(out);
	close(out);
	return 0;
}

#else /* FUZZ_SEEDS */

static unsigned char seed[8192];
static size_t used;

static void patch(size_t off, const void *p, size_t n)
{
	while (n) {
		size_t k = n > 255 ? 255 : n;
		size_t unit = off / 8;
		seed[used++] = (unsigned char)(unit & 0xff);
		seed[used++] = (unsigned char)(unit >> 8);
		seed[used++] = (unsigned char)k;
		memcpy(seed + used, p, k);
		used += k;
		off += k;
		p = (const char *)p + k;
		n -= k;
	}
}

static void u32_at(size_t off, uint32_t v) { patch(off, &v, 4); }
static void u64_at(size_t off, uint64_t v) { patch(off, &v, 8); }

static uint64_t head;

static void call(uint16_t type, uint32_t local, uint64_t seq)
{
	struct vt_rec_call_enter e = {
		{ type, 0, type == VT_REC_CALL_ENTER ? sizeof(e) :
			(uint32_t)offsetof(struct vt_rec_call_exit, out) },
		VT_FUNC_ID(VT_API_CUDA, local), 7, seq, { seq }, 0 };
	uint32_t off = (uint32_t)(head & (geom.ring_bytes - 1));
	if (geom.ring_bytes - off < e.h.size) {
		struct vt_rec_hdr pad = { VR_PAD, 0, geom.ring_bytes - off };
		patch(RING0 + sizeof(struct vr_ring) + off, &pad, sizeof(pad));
		head += pad.size;
		off = 0;
	}
	patch(RING0 + sizeof(struct vr_ring) + off, &e, e.h.size);
	head += e.h.size;
	u64_at(RING0 + offsetof(struct vr_ring, head), head);
}

static void write_seed(const char *dir, const char *name)
{
	char p[4096];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "we");
	if (!f || fwrite(seed, 1, used, f) != used || fclose(f))
		exit(1);
	used = 0;
	head = 0;
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	static const char names[] = "1cuInit\0" "1cuCtxGetDevice\0";
	/* Names, one thread, a few calls, two passes. */
	patch(VR_HEADER_BYTES, names, sizeof(names) - 1);
	u32_at(offsetof(struct vr_header, names_count), 2);
	u32_at(offsetof(struct vr_header, rings_used), 1);
	u32_at(RING0 + offsetof(struct vr_ring, state), VR_OWNED);
	struct vt_rec_thread th = { { VT_REC_THREAD, 0, sizeof(th) }, 1, 7 };
	patch(RING0 + sizeof(struct vr_ring), &th, sizeof(th));
	head = sizeof(th);
	call(VT_REC_CALL_ENTER, 1, 1);
	call(VT_REC_CALL_EXIT, 1, 1);
	seed[used++] = 0xfe;
	call(VT_REC_CALL_ENTER, 0, 2);
	call(VT_REC_CALL_EXIT, 0, 2);
	seed[used++] = 0xff;
	write_seed(argv[1], "calls");
	/* Across the end of the ring: a pad, drained between laps. */
	patch(VR_HEADER_BYTES, names, sizeof(names) - 1);
	u32_at(offsetof(struct vr_header, names_count), 2);
	u32_at(offsetof(struct vr_header, rings_used), 1);
	u32_at(RING0 + offsetof(struct vr_ring, state), VR_OWNED);
	for (uint64_t s = 1; head < geom.ring_bytes + 512; s++) {
		call(VT_REC_CALL_ENTER, 0, s);
		call(VT_REC_CALL_EXIT, 0, s);
		if (s % 16 == 0)
			seed[used++] = 0xff;
	}
	write_seed(argv[1], "wrap");
	/* A lossy ring's drops and a retired ring. */
	u32_at(offsetof(struct vr_header, rings_used), 2);
	u32_at(RING0 + offsetof(struct vr_ring, state), VR_RETIRED);
	u64_at(RING0 + offsetof(struct vr_ring, dropped), 5);
	seed[used++] = 0xfe;
	write_seed(argv[1], "drops");
	return 0;
}

#endif
