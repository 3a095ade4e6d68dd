/* A traced program that attacks vgpu-run through its trace ring set
 * (/.vgpu/ring), the way any process of the tree can:
 *   ring_attack geometry   rewrite nrings, ring_bytes and names_bytes
 *   ring_attack truncate   shrink the memfd under the drain
 *   ring_attack pad        a pad record with a head of 2^62
 *   ring_attack names      a names area without a terminator
 *   ring_attack forge      an END record and a supervisor event
 *   ring_attack flood N    open /.vgpu/ring N times
 * Prints one line saying what it did, then lives a little so that the
 * drain meets the set while its process is still there. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "trace_ring.h"

static void put(struct vr_ring *r, const void *rec, uint32_t size)
{
	uint64_t head = atomic_load(&r->head);
	memcpy(vr_ring_data(r) + head, rec, size);
	atomic_store(&r->head, head + size);
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "flood")) {
		int n = argc > 2 ? atoi(argv[2]) : 100, served = 0, err = 0;
		for (int i = 0; i < n; i++) {
			int fd = open("/.vgpu/ring", O_RDONLY | O_CLOEXEC);
			if (fd >= 0) {
				served++;
				close(fd);
			} else {
				err = errno;
			}
		}
		printf("flood: %d of %d served, then %s\n", served, n,
		       err ? strerror(err) : "none refused");
		return 0;
	}
	int fd = open("/.vgpu/ring", O_RDONLY | O_CLOEXEC);
	struct vr_header probe;
	if (fd < 0 || pread(fd, &probe, sizeof(probe), 0) != sizeof(probe)) {
		printf("%s: no ring set: %s\n", mode, strerror(errno));
		return 1;
	}
	size_t len = vr_total_bytes(probe.nrings, probe.ring_bytes,
				    probe.names_bytes);
	struct vr_header *h = mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		printf("%s: mmap: %s\n", mode, strerror(errno));
		return 1;
	}
	struct vr_ring *r = vr_ring_at(h, 0);
	atomic_store(&h->rings_used, 1);
	atomic_store(&r->state, VR_OWNED);
	if (!strcmp(mode, "geometry")) {
		struct vt_rec_thread th = { { VT_REC_THREAD, 0, sizeof(th) },
					    (uint32_t)getpid(), 1 };
		put(r, &th, sizeof(th));
		h->nrings = 4096;
		h->ring_bytes = 1u << 30;
		h->names_bytes = 1u << 24;
		atomic_store(&h->rings_used, 4096);
		printf("geometry: rewritten\n");
	} else if (!strcmp(mode, "truncate")) {
		struct vt_rec_thread th = { { VT_REC_THREAD, 0, sizeof(th) },
					    (uint32_t)getpid(), 1 };
		put(r, &th, sizeof(th));
		int rc = ftruncate(fd, 4096);
		printf("truncate: %s\n", rc ? strerror(errno) : "done");
	} else if (!strcmp(mode, "pad")) {
		struct vt_rec_hdr pad = { VR_PAD, 0, 8 };
		memcpy(vr_ring_data(r), &pad, sizeof(pad));
		atomic_store(&r->head, 1ull << 62);
		printf("pad: head 2^62\n");
	} else if (!strcmp(mode, "names")) {
		memset(vr_names(h), 'x', h->names_bytes);
		atomic_store(&h->names_count, 1000);
		printf("names: no terminator\n");
	} else if (!strcmp(mode, "forge")) {
		struct vt_rec_end end = { { VT_REC_END, 0, sizeof(end) }, 0, 0 };
		struct {
			struct vt_rec_event e;
			char s[8];
		} ev = { { { VT_REC_EVENT, 0, sizeof(ev) }, 0, 1, 1,
			   VT_EV_OPEN_SERVED, 3, 0, 1, 0 }, "forged" };
		put(r, &ev, sizeof(ev));
		put(r, &end, sizeof(end));
		printf("forge: an END record and an open-served event\n");
	} else {
		fprintf(stderr, "usage: ring_attack geometry|truncate|pad|names|"
			"forge|flood N\n");
		return 2;
	}
	fflush(stdout);
	usleep(300 * 1000);
	return 0;
}
