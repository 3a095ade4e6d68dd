/* Trace rings: creation, mapping and the drain (layout: trace_ring.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "trace_ring.h"

int vr_create(uint32_t flags, struct vr_header **map, size_t *maplen)
{
	size_t len = vr_total_bytes(VR_DEFAULT_RINGS, VR_DEFAULT_RING_BYTES,
				    VR_DEFAULT_NAMES_BYTES);
	int fd = memfd_create("vgpu-trace-ring", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)len)) {
		int e = errno;
		close(fd);
		return -e;
	}
	struct vr_header *h = mmap(NULL, len, PROT_READ | PROT_WRITE,
				   MAP_SHARED, fd, 0);
	if (h == MAP_FAILED) {
		int e = errno;
		close(fd);
		return -e;
	}
	h->version = 1;
	h->flags = flags;
	h->nrings = VR_DEFAULT_RINGS;
	h->ring_bytes = VR_DEFAULT_RING_BYTES;
	h->names_bytes = VR_DEFAULT_NAMES_BYTES;
	atomic_store_explicit((_Atomic uint64_t *)&h->magic, VR_MAGIC,
			      memory_order_release);
	if (map) {
		*map = h;
		*maplen = len;
	} else {
		munmap(h, len);
	}
	return fd;
}

int vr_map(int fd, struct vr_header **map, size_t *maplen)
{
	struct vr_header probe;
	if (pread(fd, &probe, sizeof(probe), 0) != (ssize_t)sizeof(probe))
		return -EINVAL;
	if (probe.magic != VR_MAGIC || probe.version != 1 || !probe.nrings ||
	    probe.nrings > 4096 || probe.ring_bytes < 4096 ||
	    (probe.ring_bytes & (probe.ring_bytes - 1)) ||
	    probe.names_bytes > (1u << 24))
		return -EINVAL;
	size_t len = vr_total_bytes(probe.nrings, probe.ring_bytes,
				    probe.names_bytes);
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	*map = p;
	*maplen = len;
	return 0;
}

/* ---- drain ---- */

/* A ring fills in well under a millisecond at full speed: while records
 * come in the drain naps briefly, not at all while it is behind, and backs
 * off to VR_NAP_MAX_NS when the program makes no calls. */
#define VR_NAP_MIN_NS (50 * 1000)
#define VR_NAP_MAX_NS (250 * 1000)
#define VR_BEHIND_BYTES (256u << 10)

struct name_slot {
	char *name;		/* NULL: empty */
	uint32_t api;
	uint32_t index;
};

struct vr_set {
	struct vr_header *h;
	size_t maplen;
	uint32_t *map;		/* local index -> global function id */
	uint32_t nmap, capmap;
	uint64_t names_read;	/* bytes of the names area parsed */
	uint64_t *heads;	/* per ring, snapshot of this pass */
	uint64_t *since;	/* per ring, when a pass first left it a
				 * small batch (0: it was empty) */
};

struct vr_drain {
	struct vt_writer *w;
	struct vr_set *sets;
	size_t nsets, capsets;
	struct name_slot *dict;	/* open addressing, power-of-two size */
	size_t dictcap, dictused;
	uint32_t next_index[VT_API_MAX];
	bool clock_written;
	uint64_t ticks0, mono0_ns;	/* when the drain was made */
	uint64_t clock_at_ns;		/* when the last clock record was taken */
	uint64_t pass_bytes;		/* ring bytes the last pass took */
	long nap_ns;			/* vr_drain_nap's current sleep */
	int err;			/* the trace could not be written: from
					 * then on records are dropped, so that
					 * no producer waits for ever */
	bool err_told;			/* a pass returned err */
};

static uint64_t rdtsc_now(void)
{
	return __rdtsc();
}

struct vr_drain *vr_drain_new(struct vt_writer *w)
{
	struct vr_drain *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->w = w;
	d->mono0_ns = vt_now_ns();
	d->nap_ns = VR_NAP_MIN_NS;
	d->ticks0 = rdtsc_now();
	d->dictcap = 4096;
	d->dict = calloc(d->dictcap, sizeof(*d->dict));
	if (!d->dict) {
		free(d);
		return NULL;
	}
	return d;
}

int vr_drain_add(struct vr_drain *d, struct vr_header *h, size_t maplen)
{
	if (d->nsets == d->capsets) {
		size_t cap = d->capsets ? d->capsets * 2 : 8;
		struct vr_set *n = realloc(d->sets, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		d->sets = n;
		d->capsets = cap;
	}
	struct vr_set *s = &d->sets[d->nsets];
	memset(s, 0, sizeof(*s));
	s->h = h;
	s->maplen = maplen;
	s->heads = calloc(h->nrings, sizeof(*s->heads));
	s->since = calloc(h->nrings, sizeof(*s->since));
	if (!s->heads || !s->since) {
		free(s->heads);
		free(s->since);
		return -ENOMEM;
	}
	d->nsets++;
	return 0;
}

static uint64_t hash_name(uint32_t api, const char *s)
{
	uint64_t x = 1469598103934665603ull ^ api;
	while (*s)
		x = (x ^ (unsigned char)*s++) * 1099511628211ull;
	return x;
}

static int dict_grow(struct vr_drain *d)
{
	size_t cap = d->dictcap * 2;
	struct name_slot *n = calloc(cap, sizeof(*n));
	if (!n)
		return -ENOMEM;
	for (size_t i = 0; i < d->dictcap; i++) {
		struct name_slot *o = &d->dict[i];
		if (!o->name)
			continue;
		size_t j = hash_name(o->api, o->name) & (cap - 1);
		while (n[j].name)
			j = (j + 1) & (cap - 1);
		n[j] = *o;
	}
	free(d->dict);
	d->dict = n;
	d->dictcap = cap;
	return 0;
}

/* The trace's function id for (api, name); *fresh when it is new. */
static int global_id(struct vr_drain *d, uint32_t api, const char *name,
		     uint32_t *id, bool *fresh)
{
	if (d->dictused * 2 >= d->dictcap && dict_grow(d))
		return -ENOMEM;
	size_t j = hash_name(api, name) & (d->dictcap - 1);
	while (d->dict[j].name) {
		if (d->dict[j].api == api && !strcmp(d->dict[j].name, name)) {
			*id = VT_FUNC_ID(api, d->dict[j].index);
			*fresh = false;
			return 0;
		}
		j = (j + 1) & (d->dictcap - 1);
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	d->dict[j] = (struct name_slot){ copy, api, d->next_index[api]++ };
	d->dictused++;
	*id = VT_FUNC_ID(api, d->dict[j].index);
	*fresh = true;
	return 0;
}

/* New names of a set: each entry is one api digit then the name.  Names
 * new to the trace are written as FUNC_TABLE records, one per run of
 * consecutive indices of one api. */
static int read_names(struct vr_drain *d, struct vr_set *s, uint32_t count)
{
	const char *area = vr_names(s->h);
	const char *batch[256];
	uint32_t batch_api = 0, batch_first = 0, nbatch = 0;
	int rc = 0;
	while (s->nmap < count && !rc) {
		const char *e = area + s->names_read;
		size_t len = strnlen(e, s->h->names_bytes - s->names_read);
		if (s->names_read + len >= s->h->names_bytes || len < 2)
			return -EINVAL;
		uint32_t api = (uint32_t)(e[0] - '0');
		if (api >= VT_API_MAX)
			return -EINVAL;
		uint32_t id;
		bool fresh;
		if ((rc = global_id(d, api, e + 1, &id, &fresh)))
			break;
		if (s->nmap == s->capmap) {
			uint32_t cap = s->capmap ? s->capmap * 2 : 1024;
			uint32_t *m = realloc(s->map, cap * sizeof(*m));
			if (!m)
				return -ENOMEM;
			s->map = m;
			s->capmap = cap;
		}
		s->map[s->nmap++] = id;
		s->names_read += len + 1;
		if (!fresh)
			continue;
		if (nbatch && (api != batch_api || nbatch == 256 ||
			       VT_FUNC_INDEX(id) != batch_first + nbatch)) {
			rc = vt_write_func_table(d->w, batch_api, batch_first,
						 nbatch, batch);
			nbatch = 0;
		}
		if (!nbatch) {
			batch_api = api;
			batch_first = VT_FUNC_INDEX(id);
		}
		batch[nbatch++] = e + 1;	/* stays mapped for the pass */
	}
	if (nbatch && !rc) {
		rc = vt_write_func_table(d->w, batch_api, batch_first, nbatch,
					 batch);
	}
	return rc;
}

/* TSC ticks per second against CLOCK_MONOTONIC, measured from when the
 * drain was made (before the program started).  The first record waits
 * for CLOCK_FIRST_NS of it; later ones, over a longer time, replace it. */
#define CLOCK_FIRST_NS (10u * 1000 * 1000)
#define CLOCK_EVERY_NS (1000u * 1000 * 1000)

static int write_clock(struct vr_drain *d)
{
	uint64_t m0 = d->mono0_ns, t0 = d->ticks0;
	uint64_t waited = vt_now_ns() - m0;
	if (waited < CLOCK_FIRST_NS) {
		struct timespec ts = { 0, (long)(CLOCK_FIRST_NS - waited) };
		nanosleep(&ts, NULL);
	}
	uint64_t m1 = vt_now_ns(), t1 = rdtsc_now();
	struct vt_rec_clock c = {
		.h = { VT_REC_CLOCK, 0, sizeof(c) },
		.ticks0 = t0,
		.mono0_ns = m0,
		.ticks_per_sec = (uint64_t)((double)(t1 - t0) * 1e9 /
					    (double)(m1 - m0)),
	};
	d->clock_at_ns = m1;
	d->clock_written = true;
	return vt_write_record(d->w, &c);
}

/* Call records are renumbered in place: the producer is done with a
 * record once it published it, so the ring's bytes go to the file as they
 * are. */
static void renumber(const struct vr_set *s, struct vt_rec_hdr *h)
{
	/* A header-only call record (a producer's bug) has no func to fix:
	 * at a ring's very end the next bytes are not this ring's. */
	if (h->size < sizeof(*h) + sizeof(uint32_t))
		return;
	if (h->type == VT_REC_CALL_ENTER || h->type == VT_REC_CALL_EXIT) {
		/* func sits at the same offset in both call records. */
		uint32_t *func = (uint32_t *)(h + 1);
		uint32_t local = VT_FUNC_INDEX(*func);
		if (local < s->nmap)
			*func = s->map[local];
	}
}

static long drain_ring(struct vr_drain *d, struct vr_set *s,
		       struct vr_ring *r, uint64_t head)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t rb = s->h->ring_bytes, mask = rb - 1;
	unsigned char *data = vr_ring_data(r);
	long n = 0;
	if (d->err)
		tail = head;
	while (tail < head) {
		/* One contiguous run: up to the head, a pad or the ring's end. */
		uint32_t off = (uint32_t)(tail & mask);
		uint64_t end = head - tail < rb - off ? head : tail + (rb - off);
		uint64_t p = tail;
		long count = 0;
		bool pad = false, bad = false;
		while (p < end) {
			struct vt_rec_hdr *h = (void *)(data + (p & mask));
			if (h->type == VR_PAD) {
				pad = true;
				break;
			}
			if (h->size < sizeof(*h) || (h->size & 7) ||
			    h->size > end - p) {
				bad = true;
				break;
			}
			renumber(s, h);
			p += h->size;
			count++;
			/* Each header's place depends on the last one's size:
			 * without this the walk waits for every line in turn.
			 * Not past the run: those lines are the producer's. */
			if (p + 1024 < end)
				__builtin_prefetch(data + ((p + 1024) & mask), 1);
		}
		if (count) {
			int rc = vt_write_records(d->w, data + off, p - tail,
						  (uint64_t)count);
			if (rc) {
				d->err = rc;
				tail = head;
				break;
			}
			n += count;
			d->pass_bytes += p - tail;
		}
		if (bad) {
			/* A producer that scribbled over its ring: skip what is
			 * left rather than copy garbage into the trace. */
			tail = head;
			break;
		}
		tail = pad ? p + (rb - (uint32_t)(p & mask)) : p;
	}
	atomic_store_explicit(&r->tail, tail, memory_order_release);
	uint64_t dropped = atomic_load_explicit(&r->dropped,
						memory_order_relaxed);
	if (dropped != r->drops_reported) {
		struct vt_rec_drops dr = {
			.h = { VT_REC_DROPS, 0, sizeof(dr) },
			.pid = atomic_load(&s->h->pid),
			.tid = r->tid,
			.dropped = dropped - r->drops_reported,
		};
		r->drops_reported = dropped;
		if (!d->err) {
			int rc = vt_write_record(d->w, &dr);
			if (rc)
				return rc;
			n++;
		}
	}
	return n;
}

/* A pass leaves a ring that holds less than a batch to its producer for a
 * while: a drain right behind the producer reads the line the producer is
 * still filling, and each such line then crosses between the two cores
 * twice. */
#define VR_BATCH_BYTES (64u << 10)
#define VR_BATCH_WAIT_NS (2u * 1000 * 1000)

static bool take_now(struct vr_set *s, uint32_t k, uint64_t pending,
		     uint64_t *now)
{
	if (pending >= VR_BATCH_BYTES || !pending) {
		s->since[k] = 0;
		return pending != 0;
	}
	if (!*now)
		*now = vt_now_ns();
	if (!s->since[k]) {
		s->since[k] = *now;
		return false;
	}
	if (*now - s->since[k] < VR_BATCH_WAIT_NS)
		return false;
	s->since[k] = 0;
	return true;
}

long vr_drain_pass(struct vr_drain *d, bool all)
{
	long total = 0;
	uint64_t now = 0;
	d->pass_bytes = 0;
	for (size_t i = 0; i < d->nsets; i++) {
		struct vr_set *s = &d->sets[i];
		struct vr_header *h = s->h;
		for (uint32_t k = 0; k < h->nrings; k++)
			s->heads[k] = atomic_load_explicit(
				&vr_ring_at(h, k)->head, memory_order_acquire);
		uint32_t count = atomic_load_explicit(&h->names_count,
						      memory_order_acquire);
		if (count > s->nmap && !d->err)
			d->err = read_names(d, s, count);
		if (h->flags & VR_TS_TSC) {
			/* Until the clock can be measured (a few ms after
			 * the drain was made) its records wait in the rings:
			 * sleeping here would hold up the caller's lock. */
			if (!now)
				now = vt_now_ns();
			if (!d->clock_written && !all &&
			    now - d->mono0_ns < CLOCK_FIRST_NS)
				continue;
			if (!d->err && (!d->clock_written ||
					now - d->clock_at_ns >= CLOCK_EVERY_NS)) {
				d->err = write_clock(d);
				/* Later sets of this pass: not due again. */
				now = d->clock_at_ns;
			}
		}
		for (uint32_t k = 0; k < h->nrings; k++) {
			struct vr_ring *r = vr_ring_at(h, k);
			uint32_t st = atomic_load_explicit(&r->state,
							   memory_order_acquire);
			if (st == VR_FREE)
				continue;
			uint64_t pending = s->heads[k] -
				atomic_load_explicit(&r->tail,
						     memory_order_relaxed);
			if (!all && st == VR_OWNED &&
			    !take_now(s, k, pending, &now) &&
			    atomic_load_explicit(&r->dropped,
						 memory_order_relaxed) ==
				    r->drops_reported)
				continue;
			long n = drain_ring(d, s, r, s->heads[k]);
			if (n < 0)
				d->err = (int)n;
			else
				total += n;
			/* Retired and empty: the ring may serve another
			 * thread.  Heads read after RETIRED cover its last
			 * record. */
			if (st == VR_RETIRED &&
			    atomic_load(&r->head) == atomic_load(&r->tail))
				atomic_store_explicit(&r->state, VR_FREE,
						      memory_order_release);
		}
	}
	if (d->err && !d->err_told) {
		d->err_told = true;
		return d->err;
	}
	return total;
}

void vr_drain_nap(struct vr_drain *d)
{
	if (d->pass_bytes >= VR_BEHIND_BYTES)
		return;
	if (d->pass_bytes)
		d->nap_ns = VR_NAP_MIN_NS;
	else if (d->nap_ns < VR_NAP_MAX_NS)
		d->nap_ns = d->nap_ns * 2 > VR_NAP_MAX_NS ? VR_NAP_MAX_NS :
			    d->nap_ns * 2;
	struct timespec ts = { 0, d->nap_ns };
	nanosleep(&ts, NULL);
}

void vr_drain_free(struct vr_drain *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nsets; i++) {
		munmap(d->sets[i].h, d->sets[i].maplen);
		free(d->sets[i].map);
		free(d->sets[i].heads);
		free(d->sets[i].since);
	}
	for (size_t i = 0; i < d->dictcap; i++)
		free(d->dict[i].name);
	free(d->dict);
	free(d->sets);
	free(d);
}
