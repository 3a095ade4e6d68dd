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
 * before names_count, so every id it copies has a name it has read. */
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

enum vr_ring_state {
	VR_FREE = 0,		/* no owner; a thread may claim it */
	VR_OWNED = 1,		/* a live thread writes it */
	VR_RETIRED = 2,		/* its thread ended: drain, then free */
};

struct vr_ring {
	_Atomic uint32_t state;
	uint32_t tid;
	_Atomic uint64_t dropped;	/* lossy mode: records not written */
	uint64_t drops_reported;	/* consumer side */
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
	uint32_t pad;
};

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

/* Create a ring set in a new memfd sized for the defaults (sparse: only
 * touched pages cost memory).  Returns the fd or -errno; *map gets the
 * creator's mapping when map is not NULL. */
int vr_create(uint32_t flags, struct vr_header **map, size_t *maplen);

/* Map an existing ring set (fd from vr_create) and check its header.
 * Returns 0 or -errno. */
int vr_map(int fd, struct vr_header **map, size_t *maplen);

/* ---- consumer ---- */

struct vr_drain;

/* A drain writes into w; clock records are written once, from the first
 * set that uses TSC timestamps. */
struct vr_drain *vr_drain_new(struct vt_writer *w);
/* Adds a mapped set (the drain unmaps it when freed). */
int vr_drain_add(struct vr_drain *d, struct vr_header *h, size_t maplen);
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
