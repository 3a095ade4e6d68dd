/* Trace rings: the shared memory between an interposer (producer side,
 * one ring per thread) and whoever drains it into a trace file (vgpu-run,
 * or the interposer's own drain thread in standalone mode).
 *
 * One ring set is one memfd:
 *
 *   struct vr_header                      page 0
 *   names area (names_bytes)              NUL-terminated function names of
 *                                         this set, in index order
 *   nrings x (struct vr_ring + ring_bytes of data)
 *
 * Each ring has exactly one producer (the thread that claimed it) and one
 * consumer (the drain), so head and tail are plain acquire/release
 * counters.  A record never wraps: when it does not fit before the end of
 * the data, the producer writes a VR_PAD record over the rest and starts
 * at offset 0.  Records are the trace-file records of trace_format.h,
 * written whole; the drain copies them, renumbering function ids into the
 * trace's own numbering (so two processes, or two libraries, that named
 * functions in a different order still agree in the file).
 *
 * Ordering: a producer publishes a name (names_count, release) before the
 * first record that uses its index, and the drain reads every ring head
 * before names_count, so every id it copies has a name it has read.
 *
 * Trust: under vgpu-run the producer is an untrusted program.  The set's
 * geometry is fixed by its creator (struct vr_geom) and never read back
 * from the shared header; the memfd's size is sealed; the drain keeps
 * its own tails, copies each run out of the ring before it looks at a
 * record, checks every size and index it reads against the geometry, and
 * drops a set whose contents make no sense (one trace event; the rest of
 * the trace goes on).  A pass takes at most what a ring holds. */
#ifndef VGPU_TRACE_RING_H
#define VGPU_TRACE_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define VR_MAGIC 0x31474e4952555056ull /* "VPURING1" */
#define VR_PAD 0xffff			/* record type: skip to the ring's end */

#define VR_DEFAULT_RINGS 128
#define VR_DEFAULT_RING_BYTES (1u << 21)
#define VR_DEFAULT_NAMES_BYTES (1u << 18)

#define VR_LOSSY 0x1		/* producers drop (and count) instead of waiting */
#define VR_TS_TSC 0x2		/* timestamps are rdtsc ticks, else monotonic ns */
#define VR_EXPORT_TABLES 0x4	/* wrap cuGetExportTable slots (--trace-export-tables) */
#define VR_DRAIN_GONE 0x8	/* a producer stopped waiting for a drain that
				 * did not beat for VR_DRAIN_DEAD_NS: lossy */

/* A lossless producer that finds its ring full waits for the drain, but
 * not for one whose beat (drain_beat, bumped on every pass) stood still
 * this long: its vgpu-run is gone (or stopped), and the program goes on
 * lossy with its drops counted. */
#define VR_DRAIN_DEAD_NS (5ull * 1000 * 1000 * 1000)

/* What one process may hold, and all of them together (vr_drain_admit). */
#define VR_SETS_PER_PROCESS 16
#define VR_SETS_MAX 1024

enum vr_ring_state {
	VR_FREE = 0,		/* no owner; a thread may claim it */
	VR_OWNED = 1,		/* a live thread writes it */
	VR_RETIRED = 2,		/* its thread ended: drain, then free */
};

struct vr_ring {
	_Atomic uint32_t state;
	uint32_t tid;
	_Atomic uint64_t dropped;	/* lossy mode: records not written */
	uint64_t reserved;		/* (drops reported: the drain counts them itself) */
	char pad0[64 - 24];
	_Atomic uint64_t head;		/* bytes written, ever (producer) */
	char pad1[64 - 8];
	_Atomic uint64_t tail;		/* bytes consumed, ever (consumer) */
	char pad2[64 - 8];
};

struct vr_header {
	uint64_t magic;
	uint32_t version;
	uint32_t flags;			/* VR_* set by the creator; producers add VR_TS_TSC */
	uint32_t nrings;
	uint32_t ring_bytes;		/* power of two */
	uint32_t names_bytes;
	uint32_t api;			/* enum vt_api of the producing library */
	_Atomic uint32_t pid;		/* the process that writes it */
	_Atomic uint32_t names_count;	/* names published */
	_Atomic uint64_t names_used;	/* bytes of the names area in use */
	_Atomic uint64_t ring_waits;	/* lossless mode: times a producer waited */
	_Atomic uint32_t attached;	/* a producer process attached */
	_Atomic uint32_t rings_used;	/* producers: 1 + highest ring claimed
					 * (a hint: the drain looks no further,
					 * and never past its own nrings) */
	_Atomic uint64_t drain_beat;	/* the drain: +1 per pass */
};

/* The shape of a set, as its creator made it.  The consumer keeps its own
 * copy: the header's fields are the producer's to read, not the drain's. */
struct vr_geom {
	uint32_t nrings;
	uint32_t ring_bytes;		/* power of two, >= 4096 */
	uint32_t names_bytes;
};

#define VR_DEFAULT_GEOM ((struct vr_geom){ VR_DEFAULT_RINGS, \
	VR_DEFAULT_RING_BYTES, VR_DEFAULT_NAMES_BYTES })

#define VR_HEADER_BYTES 4096u

static inline size_t vr_total_bytes(uint32_t nrings, uint32_t ring_bytes,
				    uint32_t names_bytes)
{
	return VR_HEADER_BYTES + names_bytes +
	       (size_t)nrings * (sizeof(struct vr_ring) + ring_bytes);
}

static inline char *vr_names(struct vr_header *h)
{
	return (char *)h + VR_HEADER_BYTES;
}

static inline struct vr_ring *vr_ring_at(struct vr_header *h, uint32_t i)
{
	return (struct vr_ring *)((char *)h + VR_HEADER_BYTES + h->names_bytes +
				  (size_t)i * (sizeof(struct vr_ring) +
					       h->ring_bytes));
}

static inline unsigned char *vr_ring_data(struct vr_ring *r)
{
	return (unsigned char *)(r + 1);
}

static inline bool vr_geom_valid(const struct vr_geom *g)
{
	return g->nrings && g->nrings <= 4096 && g->ring_bytes >= 4096 &&
	       g->ring_bytes <= (1u << 30) &&
	       !(g->ring_bytes & (g->ring_bytes - 1)) &&
	       g->names_bytes <= (1u << 24);
}

/* Create a ring set in a new memfd sized for the defaults (sparse: only
 * touched pages cost memory), its size sealed.  Returns the fd or -errno;
 * *map gets the creator's mapping when map is not NULL. */
int vr_create(uint32_t flags, struct vr_header **map, size_t *maplen);
/* The same with another geometry (tests, the fuzzer). */
int vr_create_geom(const struct vr_geom *g, uint32_t flags,
		   struct vr_header **map, size_t *maplen);

/* Map an existing ring set (fd from vr_create) and check its header.
 * Returns 0 or -errno. */
int vr_map(int fd, struct vr_header **map, size_t *maplen);

/* ---- consumer ---- */

struct vr_drain;

/* A drain writes into w; clock records are written once, from the first
 * set that uses TSC timestamps. */
struct vr_drain *vr_drain_new(struct vt_writer *w);
/* Whether process pid may have one more set: 0, or -EMFILE (its own
 * budget, VR_SETS_PER_PROCESS) or -ENFILE (VR_SETS_MAX in all).  The
 * first refusal for a process, and the first for the drain, is written
 * to the trace as an error event. */
int vr_drain_admit(struct vr_drain *d, uint32_t pid);
/* Adds a set mapped by its creator with geometry g (vr_create's mapping;
 * the drain unmaps it when freed).  pid is the process it was made for
 * (thread-group id; 0: unknown): the pid of the records that carry one
 * is set to it.  pidfd (or -1) is that process's pidfd, owned by the
 * drain from now on: when it reports the process gone, the drain takes
 * what is left and frees the set. */
int vr_drain_add(struct vr_drain *d, struct vr_header *h,
		 const struct vr_geom *g, uint32_t pid, int pidfd);
/* Copies what was published so far: everything when all is set, else
 * what rings have gathered in batches (a small remainder waits a few ms).
 * Returns records copied, or -errno once when the trace cannot be written
 * (from then on passes empty the rings without writing: a lossless
 * producer must not wait for a drain that cannot write). */
long vr_drain_pass(struct vr_drain *d, bool all);
/* Between two passes of a drain thread (outside any lock the pass needs):
 * sleeps for as long as the last pass says the rings can wait. */
void vr_drain_nap(struct vr_drain *d);
void vr_drain_free(struct vr_drain *d);

#endif
