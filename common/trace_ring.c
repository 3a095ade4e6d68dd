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
};

struct vr_drain {
	struct vt_writer *w;
	struct vr_set *sets;
	size_t nsets, capsets;
	struct name_slot *dict;	/* open addressing, power-of-two size */
	size_t dictcap, dictused;
	uint32_t next_index[VT_API_MAX];
	bool clock_written;
	uint64_t records;
};

struct vr_drain *vr_drain_new(struct vt_writer *w)
{
	struct vr_drain *d = calloc(1, sizeof(*d));
	if (!d)
		return NULL;
	d->w = w;
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
	if (!s->heads)
		return -ENOMEM;
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
			d->records++;
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
		d->records++;
	}
	return rc;
}

static uint64_t rdtsc_now(void)
{
	return __rdtsc();
}

/* TSC ticks per second against CLOCK_MONOTONIC over 20 ms. */
static int write_clock(struct vr_drain *d)
{
	uint64_t m0 = vt_now_ns(), t0 = rdtsc_now();
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	uint64_t m1 = vt_now_ns(), t1 = rdtsc_now();
	struct vt_rec_clock c = {
		.h = { VT_REC_CLOCK, 0, sizeof(c) },
		.ticks0 = t0,
		.mono0_ns = m0,
		.ticks_per_sec = (uint64_t)((double)(t1 - t0) * 1e9 /
					    (double)(m1 - m0)),
	};
	d->clock_written = true;
	d->records++;
	return vt_write_record(d->w, &c);
}

/* Call records are renumbered in place: the producer is done with a
 * record once it published it, and one copy (into the writer) is all a
 * record costs. */
static int copy_record(struct vr_drain *d, struct vr_set *s,
		       struct vt_rec_hdr *h)
{
	if (h->type == VT_REC_CALL_ENTER || h->type == VT_REC_CALL_EXIT) {
		/* func sits at the same offset in both call records. */
		uint32_t *func = (uint32_t *)(h + 1);
		uint32_t local = VT_FUNC_INDEX(*func);
		if (local < s->nmap)
			*func = s->map[local];
	}
	return vt_write_record(d->w, h);
}

static long drain_ring(struct vr_drain *d, struct vr_set *s,
		       struct vr_ring *r, uint64_t head)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t mask = s->h->ring_bytes - 1;
	long n = 0;
	while (tail < head) {
		struct vt_rec_hdr *h = (void *)(vr_ring_data(r) + (tail & mask));
		uint32_t room = s->h->ring_bytes - (uint32_t)(tail & mask);
		if (h->type == VR_PAD) {
			tail += room;
			continue;
		}
		if (h->size < sizeof(*h) || (h->size & 7) || h->size > room ||
		    h->size > head - tail) {
			/* A producer that scribbled over its ring: skip what is
			 * left rather than copy garbage into the trace. */
			tail = head;
			break;
		}
		int rc = copy_record(d, s, h);
		if (rc)
			return rc;
		tail += h->size;
		n++;
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
		int rc = vt_write_record(d->w, &dr);
		if (rc)
			return rc;
		n++;
	}
	return n;
}

long vr_drain_pass(struct vr_drain *d)
{
	long total = 0;
	for (size_t i = 0; i < d->nsets; i++) {
		struct vr_set *s = &d->sets[i];
		struct vr_header *h = s->h;
		for (uint32_t k = 0; k < h->nrings; k++)
			s->heads[k] = atomic_load_explicit(
				&vr_ring_at(h, k)->head, memory_order_acquire);
		uint32_t count = atomic_load_explicit(&h->names_count,
						      memory_order_acquire);
		if (count > s->nmap) {
			int rc = read_names(d, s, count);
			if (rc)
				return rc;
		}
		if (!d->clock_written && (h->flags & VR_TS_TSC)) {
			int rc = write_clock(d);
			if (rc)
				return rc;
		}
		for (uint32_t k = 0; k < h->nrings; k++) {
			struct vr_ring *r = vr_ring_at(h, k);
			uint32_t st = atomic_load_explicit(&r->state,
							   memory_order_acquire);
			if (st == VR_FREE)
				continue;
			long n = drain_ring(d, s, r, s->heads[k]);
			if (n < 0)
				return n;
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
	d->records += (uint64_t)total;
	return total;
}

uint64_t vr_drain_records(const struct vr_drain *d)
{
	return d->records;
}

void vr_drain_free(struct vr_drain *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->nsets; i++) {
		munmap(d->sets[i].h, d->sets[i].maplen);
		free(d->sets[i].map);
		free(d->sets[i].heads);
	}
	for (size_t i = 0; i < d->dictcap; i++)
		free(d->dict[i].name);
	free(d->dict);
	free(d->sets);
	free(d);
}
