/* Trace rings: creation, mapping and the drain (layout: trace_ring.h). */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

#include "trace_ring.h"

int vr_create_geom(const struct vr_geom *g, uint32_t flags,
		   struct vr_header **map, size_t *maplen)
{
	if (!vr_geom_valid(g))
		return -EINVAL;
	size_t len = vr_total_bytes(g->nrings, g->ring_bytes, g->names_bytes);
	int fd = memfd_create("vgpu-trace-ring",
			      MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	/* Sealed before anyone else sees it: a producer that could shrink
	 * the file would turn the drain's reads into SIGBUS. */
	if (ftruncate(fd, (off_t)len) ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL)) {
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
	h->nrings = g->nrings;
	h->ring_bytes = g->ring_bytes;
	h->names_bytes = g->names_bytes;
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

int vr_create(uint32_t flags, struct vr_header **map, size_t *maplen)
{
	return vr_create_geom(&VR_DEFAULT_GEOM, flags, map, maplen);
}

int vr_map(int fd, struct vr_header **map, size_t *maplen)
{
	struct vr_header probe;
	if (pread(fd, &probe, sizeof(probe), 0) != (ssize_t)sizeof(probe))
		return -EINVAL;
	struct vr_geom g = { probe.nrings, probe.ring_bytes,
			     probe.names_bytes };
	if (probe.magic != VR_MAGIC || probe.version != 1 || !vr_geom_valid(&g))
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

/* A run is copied out of its ring a chunk at a time, and only the copy is
 * looked at: what was checked is what goes to the file, whatever the
 * producer writes meanwhile.  A record longer than a chunk gets a chunk of
 * its own size.  Each chunk is one write(2): at 64 KiB the writes alone
 * held a busy trace's drain (and so a lossless program) a quarter below
 * the speed of writing the ring in place. */
#define VR_CHUNK_BYTES (512u << 10)
/* How often a drain looks for processes that are gone. */
#define VR_REAP_EVERY_NS (50u * 1000 * 1000)
/* The longest function name, and how many names one set may add to the
 * trace (a function id has 16 bits of index per API). */
#define VR_NAME_MAX 512
#define VR_NAMES_PER_SET 16384

struct name_slot {
	char *name;		/* NULL: empty */
	uint32_t api;
	uint32_t index;
};

/* The drain's own view of one ring: nothing here is read back from the
 * shared memory. */
struct vr_cons {
	uint64_t head;		/* snapshot of this pass */
	uint64_t tail;		/* bytes taken */
	uint64_t since;		/* when a pass first left it a small batch
				 * (0: it was empty) */
	uint64_t drops_reported;
};

struct vr_set {
	struct vr_header *h;	/* NULL once dropped */
	size_t maplen;
	struct vr_geom g;	/* from its creator, never from h */
	uint32_t pid;		/* the process it was made for, 0: unknown */
	int pidfd;		/* that process, or -1 */
	bool budget_told;	/* its process was refused a set, and told */
	bool gone_told;		/* VR_DRAIN_GONE was seen and told */
	uint32_t *map;		/* local index -> global function id */
	uint32_t nmap, capmap;
	uint32_t fresh;		/* names this set added to the trace */
	uint64_t names_read;	/* bytes of the names area parsed */
	struct vr_cons *cons;	/* per ring */
};

struct vr_drain {
	struct vt_writer *w;
	struct vr_set *sets;
	size_t nsets, capsets;
	struct pollfd *polls;	/* capsets of them, for the reaper */
	struct name_slot *dict;	/* open addressing, power-of-two size */
	size_t dictcap, dictused;
	uint32_t next_index[VT_API_MAX];
	unsigned char *buf;	/* a chunk copied out of a ring */
	size_t bufcap;
	bool clock_written;
	bool full_told;		/* VR_SETS_MAX was reached, and told */
	uint64_t ticks0, mono0_ns;	/* when the drain was made */
	uint64_t clock_at_ns;		/* when the last clock record was taken */
	uint64_t reap_at_ns;		/* when gone processes were last looked for */
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
	d->reap_at_ns = d->mono0_ns;
	d->nap_ns = VR_NAP_MIN_NS;
	d->ticks0 = rdtsc_now();
	d->dictcap = 4096;
	d->dict = calloc(d->dictcap, sizeof(*d->dict));
	d->bufcap = VR_CHUNK_BYTES;
	d->buf = malloc(d->bufcap);
	if (!d->dict || !d->buf) {
		free(d->dict);
		free(d->buf);
		free(d);
		return NULL;
	}
	return d;
}

static struct vr_ring *set_ring(const struct vr_set *s, uint32_t k)
{
	return (struct vr_ring *)((char *)s->h + VR_HEADER_BYTES +
				  s->g.names_bytes +
				  (size_t)k * (sizeof(struct vr_ring) +
					       s->g.ring_bytes));
}

/* A write error stops the trace for good (see vr_drain_pass). */
static void trace_error(struct vr_drain *d, uint32_t pid, int32_t result,
			const char *msg)
{
	if (d->err)
		return;
	const char *strs[] = { msg };
	int rc = vt_write_event(d->w, VT_EV_ERROR, pid, 0, result, 0, 1, strs);
	if (rc)
		d->err = rc;
}

static void set_unmap(struct vr_set *s)
{
	if (s->h)
		munmap(s->h, s->maplen);
	s->h = NULL;
	free(s->map);
	free(s->cons);
	s->map = NULL;
	s->cons = NULL;
	s->nmap = s->capmap = 0;
}

/* A set whose producer broke the rules: said once, then ignored (its
 * process keeps counting against its budget until it is gone). */
static void set_drop(struct vr_drain *d, struct vr_set *s, const char *why)
{
	char msg[256];
	snprintf(msg, sizeof(msg), "trace rings of pid %u dropped: %s",
		 s->pid, why);
	trace_error(d, s->pid, -EPROTO, msg);
	set_unmap(s);
}

int vr_drain_admit(struct vr_drain *d, uint32_t pid)
{
	char msg[256];
	struct vr_set *first = NULL;
	uint32_t mine = 0;
	for (size_t i = 0; pid && i < d->nsets; i++) {
		if (d->sets[i].pid != pid)
			continue;
		if (!first)
			first = &d->sets[i];
		if (d->sets[i].budget_told)
			first = &d->sets[i];
		mine++;
	}
	if (mine >= VR_SETS_PER_PROCESS) {
		if (!first->budget_told) {
			first->budget_told = true;
			snprintf(msg, sizeof(msg), "pid %u asked for more than "
				 "%u trace ring sets: refused (EMFILE), its "
				 "later calls are not traced", pid,
				 VR_SETS_PER_PROCESS);
			trace_error(d, pid, -EMFILE, msg);
		}
		return -EMFILE;
	}
	if (d->nsets >= VR_SETS_MAX) {
		if (!d->full_told) {
			d->full_told = true;
			snprintf(msg, sizeof(msg), "%u trace ring sets in use: "
				 "pid %u and later ones refused (ENFILE) "
				 "until processes end", VR_SETS_MAX, pid);
			trace_error(d, pid, -ENFILE, msg);
		}
		return -ENFILE;
	}
	return 0;
}

int vr_drain_add(struct vr_drain *d, struct vr_header *h,
		 const struct vr_geom *g, uint32_t pid, int pidfd)
{
	if (!vr_geom_valid(g))
		return -EINVAL;
	if (d->nsets == d->capsets) {
		size_t cap = d->capsets ? d->capsets * 2 : 8;
		struct vr_set *n = realloc(d->sets, cap * sizeof(*n));
		if (!n)
			return -ENOMEM;
		d->sets = n;
		struct pollfd *p = realloc(d->polls, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		d->polls = p;
		d->capsets = cap;
	}
	struct vr_set *s = &d->sets[d->nsets];
	memset(s, 0, sizeof(*s));
	s->cons = calloc(g->nrings, sizeof(*s->cons));
	if (!s->cons)
		return -ENOMEM;
	s->h = h;
	s->g = *g;
	s->maplen = vr_total_bytes(g->nrings, g->ring_bytes, g->names_bytes);
	s->pid = pid;
	s->pidfd = pidfd;
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

/* The trace's function id for (api, name); *fresh when it is new, *stored
 * the drain's own copy of the name.  -ENOSPC: the API has no index left. */
static int global_id(struct vr_drain *d, uint32_t api, const char *name,
		     uint32_t *id, bool *fresh, const char **stored)
{
	if (d->dictused * 2 >= d->dictcap && dict_grow(d))
		return -ENOMEM;
	size_t j = hash_name(api, name) & (d->dictcap - 1);
	while (d->dict[j].name) {
		if (d->dict[j].api == api && !strcmp(d->dict[j].name, name)) {
			*id = VT_FUNC_ID(api, d->dict[j].index);
			*fresh = false;
			*stored = d->dict[j].name;
			return 0;
		}
		j = (j + 1) & (d->dictcap - 1);
	}
	if (d->next_index[api] > 0xffff)
		return -ENOSPC;
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	d->dict[j] = (struct name_slot){ copy, api, d->next_index[api]++ };
	d->dictused++;
	*id = VT_FUNC_ID(api, d->dict[j].index);
	*fresh = true;
	*stored = copy;
	return 0;
}

/* New names of a set: each entry is one api digit then the name, read
 * from a copy so that a producer rewriting the area cannot move a
 * terminator under the drain.  Names new to the trace are written as
 * FUNC_TABLE records, one per run of consecutive indices of one api.
 * Returns NULL, or why the set is to be dropped. */
static const char *read_names(struct vr_drain *d, struct vr_set *s,
			      uint32_t count)
{
	const char *area = vr_names(s->h);
	const char *batch[256];
	uint32_t batch_api = 0, batch_first = 0, nbatch = 0;
	char name[VR_NAME_MAX];
	const char *why = NULL;
	int rc = 0;
	while (s->nmap < count && !rc && !why) {
		uint64_t left = s->g.names_bytes - s->names_read;
		size_t want = left < sizeof(name) ? (size_t)left : sizeof(name);
		memcpy(name, area + s->names_read, want);
		size_t len = strnlen(name, want);
		uint32_t api = (uint32_t)(name[0] - '0');
		if (len == want) {
			why = "a function name without an end";
			break;
		}
		if (len < 2 || api >= VT_API_MAX) {
			why = "a malformed function name";
			break;
		}
		uint32_t id = 0;
		bool fresh = false;
		const char *stored = NULL;
		rc = global_id(d, api, name + 1, &id, &fresh, &stored);
		if (rc == -ENOSPC || (fresh && ++s->fresh > VR_NAMES_PER_SET)) {
			why = "too many function names";
			rc = 0;
			break;
		}
		if (rc)
			break;
		if (s->nmap == s->capmap) {
			uint32_t cap = s->capmap ? s->capmap * 2 : 1024;
			uint32_t *m = realloc(s->map, cap * sizeof(*m));
			if (!m) {
				rc = -ENOMEM;
				break;
			}
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
		batch[nbatch++] = stored;
	}
	/* Names taken into the dictionary are written even when the set is
	 * dropped: another set may use them next. */
	if (nbatch && !rc)
		rc = vt_write_func_table(d->w, batch_api, batch_first, nbatch,
					 batch);
	if (rc)
		d->err = rc;
	return why;
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

/* What a producer may put in the trace, fixed up in the drain's copy:
 * call records get the trace's function ids, records that name a process
 * get the one the set was made for.  Returns NULL, or why the set is to be
 * dropped. */
static const char *adopt_record(const struct vr_set *s, unsigned char *p,
				uint32_t size)
{
	struct vt_rec_hdr *h = (void *)p;
	switch (h->type) {
	case VT_REC_CALL_ENTER:
	case VT_REC_CALL_EXIT:
		/* func sits at the same offset in both call records; a
		 * header-only one (a producer's bug) has none to fix. */
		if (size >= sizeof(*h) + sizeof(uint32_t)) {
			uint32_t *func = (uint32_t *)(h + 1);
			uint32_t local = VT_FUNC_INDEX(*func);
			if (local < s->nmap)
				*func = s->map[local];
		}
		return NULL;
	case VT_REC_THREAD:
		if (size < sizeof(struct vt_rec_thread))
			return "a short thread record";
		if (s->pid)
			((struct vt_rec_thread *)p)->pid = s->pid;
		return NULL;
	case VT_REC_CALLSITE:
		if (size < sizeof(struct vt_rec_callsite))
			return "a short call-site record";
		if (s->pid)
			((struct vt_rec_callsite *)p)->pid = s->pid;
		return NULL;
	case VT_REC_EVENT:
		/* Producers write notes; every other event is vgpu-run's. */
		if (size < sizeof(struct vt_rec_event) ||
		    ((struct vt_rec_event *)p)->kind != VT_EV_NOTE)
			return "an event that is not a note";
		if (s->pid)
			((struct vt_rec_event *)p)->pid = s->pid;
		return NULL;
	default:
		return "a record of a kind producers do not write";
	}
}

static int buf_reserve(struct vr_drain *d, size_t n)
{
	if (n <= d->bufcap)
		return 0;
	unsigned char *b = realloc(d->buf, n);
	if (!b)
		return -ENOMEM;
	d->buf = b;
	d->bufcap = n;
	return 0;
}

/* Copies ring r up to its snapshot head.  Returns the records written, or
 * -errno when the trace cannot be written; *why says when the ring broke
 * the rules (what was checked before that point is kept). */
static long drain_ring(struct vr_drain *d, struct vr_set *s,
		       struct vr_ring *r, struct vr_cons *c, const char **why)
{
	uint32_t rb = s->g.ring_bytes, mask = rb - 1;
	const unsigned char *data = vr_ring_data(r);
	uint64_t head = c->head, tail = c->tail;
	long n = 0;
	if (head < tail || head - tail > rb) {
		*why = "a ring head out of bounds";
		return 0;
	}
	if (d->err)
		tail = head;
	while (tail < head && !*why) {
		/* One contiguous run: up to the head or the ring's end. */
		uint32_t off = (uint32_t)(tail & mask);
		uint64_t end = head - tail < rb - off ? head : tail + (rb - off);
		size_t want = end - tail < VR_CHUNK_BYTES ? end - tail :
							    VR_CHUNK_BYTES;
		memcpy(d->buf, data + off, want);
		size_t q = 0;
		long count = 0;
		bool pad = false, regrown = false;
		while (q + sizeof(struct vt_rec_hdr) <= want) {
			const struct vt_rec_hdr *h = (void *)(d->buf + q);
			if (h->type == VR_PAD) {
				pad = true;
				break;
			}
			uint32_t size = h->size;
			if (size < sizeof(*h) || (size & 7) ||
			    size > end - (tail + q) || size > VT_REC_MAX) {
				*why = "a record size out of bounds";
				break;
			}
			if (size > want - q) {
				if (q)
					break;	/* the next chunk starts here */
				/* A record longer than a chunk, copied again
				 * whole (once: it was checked against the
				 * run, and is checked again below). */
				if (regrown) {
					*why = "a record that changes size";
					break;
				}
				if (buf_reserve(d, size)) {
					*why = "a record too long to copy";
					break;
				}
				regrown = true;
				want = size;
				memcpy(d->buf, data + off, want);
				continue;
			}
			if ((*why = adopt_record(s, d->buf + q, size)))
				break;
			q += size;
			count++;
		}
		if (count) {
			int rc = vt_write_records(d->w, d->buf, q,
						  (uint64_t)count);
			if (rc) {
				d->err = rc;
				tail = head;
				break;
			}
			n += count;
			d->pass_bytes += q;
		}
		tail += q;
		off = (uint32_t)(tail & mask);
		if (*why)
			break;
		if (pad) {
			/* The producer moved its head past the pad. */
			uint64_t next = tail + (rb - off);
			if (next > head) {
				*why = "a pad past the ring head";
				break;
			}
			tail = next;
		} else if (!q) {
			*why = "a record cut by the ring head";
		}
	}
	c->tail = tail;
	atomic_store_explicit(&r->tail, tail, memory_order_release);
	uint64_t dropped = atomic_load_explicit(&r->dropped,
						memory_order_relaxed);
	if (dropped > c->drops_reported) {
		struct vt_rec_drops dr = {
			.h = { VT_REC_DROPS, 0, sizeof(dr) },
			.pid = s->pid ? s->pid : atomic_load(&s->h->pid),
			.tid = r->tid,
			.dropped = dropped - c->drops_reported,
		};
		c->drops_reported = dropped;
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

static bool take_now(struct vr_cons *c, uint64_t pending, uint64_t *now)
{
	if (pending >= VR_BATCH_BYTES || !pending) {
		c->since = 0;
		return pending != 0;
	}
	if (!*now)
		*now = vt_now_ns();
	if (!c->since) {
		c->since = *now;
		return false;
	}
	if (*now - c->since < VR_BATCH_WAIT_NS)
		return false;
	c->since = 0;
	return true;
}

/* One pass over one set; a set that broke the rules is dropped here. */
static long drain_set(struct vr_drain *d, struct vr_set *s, bool all,
		      uint64_t *now)
{
	struct vr_header *h = s->h;
	atomic_fetch_add_explicit(&h->drain_beat, 1, memory_order_relaxed);
	uint32_t nr = atomic_load_explicit(&h->rings_used,
					   memory_order_acquire);
	if (nr > s->g.nrings)
		nr = s->g.nrings;
	for (uint32_t k = 0; k < nr; k++)
		s->cons[k].head = atomic_load_explicit(&set_ring(s, k)->head,
						       memory_order_acquire);
	uint32_t count = atomic_load_explicit(&h->names_count,
					      memory_order_acquire);
	const char *why = NULL;
	if (count > s->nmap && !d->err && (why = read_names(d, s, count))) {
		set_drop(d, s, why);
		return 0;
	}
	uint32_t flags = atomic_load_explicit((_Atomic uint32_t *)&h->flags,
					      memory_order_relaxed);
	if ((flags & VR_DRAIN_GONE) && !s->gone_told) {
		char msg[200];
		snprintf(msg, sizeof(msg), "pid %u stopped waiting for the "
			 "trace drain (not seen for %llu s) and went on lossy",
			 s->pid, VR_DRAIN_DEAD_NS / 1000000000ull);
		s->gone_told = true;
		trace_error(d, s->pid, -ETIMEDOUT, msg);
	}
	if (flags & VR_TS_TSC) {
		/* Until the clock can be measured (a few ms after the drain
		 * was made) its records wait in the rings: sleeping here
		 * would hold up the caller's lock. */
		if (!*now)
			*now = vt_now_ns();
		if (!d->clock_written && !all &&
		    *now - d->mono0_ns < CLOCK_FIRST_NS)
			return 0;
		if (!d->err && (!d->clock_written ||
				*now - d->clock_at_ns >= CLOCK_EVERY_NS)) {
			d->err = write_clock(d);
			/* Later sets of this pass: not due again. */
			*now = d->clock_at_ns;
		}
	}
	long total = 0;
	for (uint32_t k = 0; k < nr; k++) {
		struct vr_ring *r = set_ring(s, k);
		struct vr_cons *c = &s->cons[k];
		uint32_t st = atomic_load_explicit(&r->state,
						   memory_order_acquire);
		if (st == VR_FREE)
			continue;
		if (!all && st == VR_OWNED &&
		    !take_now(c, c->head - c->tail, now) &&
		    atomic_load_explicit(&r->dropped, memory_order_relaxed) <=
			    c->drops_reported)
			continue;
		long n = drain_ring(d, s, r, c, &why);
		if (n < 0)
			d->err = (int)n;
		else
			total += n;
		if (why) {
			set_drop(d, s, why);
			return total;
		}
		/* Retired and empty: the ring may serve another thread.
		 * Heads read after RETIRED cover its last record. */
		if (st == VR_RETIRED && atomic_load(&r->head) == c->tail)
			atomic_store_explicit(&r->state, VR_FREE,
					      memory_order_release);
	}
	return total;
}

static void set_free(struct vr_set *s)
{
	set_unmap(s);
	if (s->pidfd >= 0)
		close(s->pidfd);
	s->pidfd = -1;
}

/* Sets of processes that are gone: what they left, then their memory. */
static long reap(struct vr_drain *d, uint64_t *now)
{
	if (!*now)
		*now = vt_now_ns();
	if (*now - d->reap_at_ns < VR_REAP_EVERY_NS)
		return 0;
	d->reap_at_ns = *now;
	for (size_t i = 0; i < d->nsets; i++)
		d->polls[i] = (struct pollfd){ d->sets[i].pidfd, POLLIN, 0 };
	if (poll(d->polls, d->nsets, 0) <= 0)
		return 0;
	long total = 0;
	for (size_t i = d->nsets; i-- > 0;) {
		if (!(d->polls[i].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		struct vr_set *s = &d->sets[i];
		if (s->h) {
			long n = drain_set(d, s, true, now);
			total += n > 0 ? n : 0;
		}
		set_free(s);
		d->sets[i] = d->sets[--d->nsets];
	}
	return total;
}

long vr_drain_pass(struct vr_drain *d, bool all)
{
	uint64_t now = 0;
	d->pass_bytes = 0;
	long total = reap(d, &now);
	for (size_t i = 0; i < d->nsets; i++)
		if (d->sets[i].h)
			total += drain_set(d, &d->sets[i], all, &now);
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
	for (size_t i = 0; i < d->nsets; i++)
		set_free(&d->sets[i]);
	for (size_t i = 0; i < d->dictcap; i++)
		free(d->dict[i].name);
	free(d->dict);
	free(d->sets);
	free(d->polls);
	free(d->buf);
	free(d);
}
