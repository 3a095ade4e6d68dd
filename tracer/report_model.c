/* The report model: one pass over the trace, memory bounded by what the
 * program did (functions, threads, processes, libraries, distinct
 * errors), never by how many calls it made.  Every table has a cap; what
 * falls beyond it is counted, not stored. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "report.h"
#include "report_map.h"

#define MAX_DEPTH 64		/* open calls per thread */
#define MAX_PENDING 64		/* syscalls per thread waiting for their call */
#define RECENT 32		/* finished calls per thread kept for late syscalls */
#define MAX_ERRORS 1024
#define MAX_LIBS 1024
#define MAX_SYSCALLS 512
#define MAX_CALLSITES 65536
#define MAX_PROCS 65536
#define MAX_OPEN_CALLS 256
#define MAX_NOTES 64
#define MAX_TABLES 64
#define MAX_SIM_NOTES 64
#define CUDA_ERROR_INVALID_VALUE 1
#define CUDA_ERROR_NOT_FOUND 500

struct open_call {
	struct rpt_func *fn;
	uint64_t start_ns;
	uint64_t args[6];
	uint64_t callsite;
};

/* A syscall, or a simulator note (is_note), waiting for the call it
 * happened in. */
struct pending {
	uint64_t ts_ns;
	int64_t result;
	struct rpt_syscall *sc;
	char *text;
	uint32_t pid;
	bool is_note;
};

struct recent {
	uint64_t start_ns, end_ns;
	struct rpt_func *fn;
	struct rpt_error *first_err;	/* this call was that error's first */
};

struct thread {
	uint32_t tid, pid;
	unsigned depth;
	uint64_t overflow;		/* enters beyond MAX_DEPTH */
	struct open_call stack[MAX_DEPTH];
	unsigned npend;
	struct pending pend[MAX_PENDING];
	unsigned nrecent, recent_head;
	struct recent recent[RECENT];
};

struct vec {
	void **v;
	size_t n, cap;
};

static void vec_push(struct vec *v, void *p)
{
	if (v->n == v->cap) {
		v->cap = v->cap ? 2 * v->cap : 16;
		void **nv = realloc(v->v, v->cap * sizeof(*nv));
		if (!nv)
			abort();
		v->v = nv;
	}
	v->v[v->n++] = p;
}

struct rpt_model {
	const char *path;
	struct vt_file_header hdr;
	uint64_t bytes, records;
	enum vt_read_status end;
	char end_msg[320];
	bool have_clock;
	struct vt_rec_clock clock;
	__int128 ns_per_tick_q32;
	struct thread *last_thread;	/* most records follow one thread */
	uint64_t last_ns;
	uint64_t calls, call_errors, unfinished, drops, probes;
	struct rpt_export_table tables[MAX_TABLES];
	size_t ntables;
	struct rpt_sim_note sim_notes[MAX_SIM_NOTES];
	size_t nsim_notes;
	uint64_t sim_notes_dropped;
	struct rpt_procaddr procaddr;
	/* functions: per api, an array indexed by function index */
	struct rpt_func **funcs[VT_API_MAX];
	uint32_t nfuncs[VT_API_MAX];
	struct vec used_funcs;
	struct u64map threads;
	struct vec thread_list;
	struct u64map procs;
	struct vec proc_list;
	struct vec libs;
	struct u64map errors;
	struct vec error_list;
	uint64_t errors_dropped;
	struct vec syscalls;
	uint64_t sys_unattributed;
	struct u64map callsites;
	struct vec callsite_list;
	struct rpt_call open_calls[MAX_OPEN_CALLS];
	size_t nopen;
	struct vec notes;
	struct vec routes;	/* distinct interposer route notes */
	char *start_argv;
	char *series;
	const struct rpt_sink *sink;
};

struct rpt_model *rpt_model_new(void)
{
	return rpt_calloc(1, sizeof(struct rpt_model));
}

/* ---- time ---- */

static uint64_t rel_ns(const struct rpt_model *m, uint64_t mono)
{
	return mono > m->hdr.monotonic_ns ? mono - m->hdr.monotonic_ns : 0;
}

static uint64_t ticks_ns(const struct rpt_model *m, uint64_t ticks)
{
	if (!m->have_clock || !m->clock.ticks_per_sec)
		return rel_ns(m, ticks);
	/* ns per tick as a 32.32 fixed-point multiplier, set with the clock
	 * record: one multiply per timestamp instead of a 128-bit divide. */
	__int128 d = (__int128)ticks - (__int128)m->clock.ticks0;
	__int128 ns = (__int128)m->clock.mono0_ns + ((d * m->ns_per_tick_q32) >> 32);
	return ns > 0 ? rel_ns(m, (uint64_t)ns) : 0;
}

static void saw_time(struct rpt_model *m, uint64_t ns)
{
	if (ns > m->last_ns)
		m->last_ns = ns;
}

/* ---- functions ---- */

static struct rpt_func *func_slot(struct rpt_model *m, uint32_t id, bool create)
{
	uint32_t api = VT_FUNC_API(id), idx = VT_FUNC_INDEX(id);
	if (api >= VT_API_MAX)
		api = VT_API_NONE;
	if (idx >= m->nfuncs[api]) {
		if (!create)
			return NULL;
		uint32_t n = m->nfuncs[api] ? m->nfuncs[api] : 64;
		while (n <= idx)
			n *= 2;
		struct rpt_func **nf = realloc(m->funcs[api], n * sizeof(*nf));
		if (!nf)
			abort();
		memset(nf + m->nfuncs[api], 0, (n - m->nfuncs[api]) * sizeof(*nf));
		m->funcs[api] = nf;
		m->nfuncs[api] = n;
	}
	struct rpt_func *f = m->funcs[api][idx];
	if (!f && create) {
		f = rpt_calloc(1, sizeof(*f));
		f->id = VT_FUNC_ID(api, idx);
		m->funcs[api][idx] = f;
	}
	return f;
}

static void on_func_table(struct rpt_model *m, const struct vt_rec_hdr *h)
{
	const struct vt_rec_func_table *t = (const void *)h;
	if (h->size < sizeof(*t))
		return;
	/* Walk the names once (vt_rec_string per index would be quadratic). */
	const char *p = (const char *)h + sizeof(*t), *end = (const char *)h + h->size;
	uint32_t api = t->api < VT_API_MAX ? t->api : VT_API_NONE;
	for (uint64_t i = 0; i < t->count && (uint64_t)t->first_index + i <= 0xffff &&
			     p < end; i++) {
		const char *nul = memchr(p, 0, (size_t)(end - p));
		if (!nul)
			break;
		struct rpt_func *f = func_slot(m, VT_FUNC_ID(api, t->first_index + (uint32_t)i), true);
		free(f->name);
		f->name = rpt_strdup(p);
		f->dec = dec_find(api, p);
		f->role = rpt_role_of(api, p);
		p = nul + 1;
	}
}

/* A function as a call uses it: named (or "cuda#12"), on the used list. */
static struct rpt_func *func_used(struct rpt_model *m, uint32_t id)
{
	struct rpt_func *f = func_slot(m, id, true);
	if (!f->name) {
		char nm[48];
		snprintf(nm, sizeof(nm), "%s#%u", vt_api_name(VT_FUNC_API(f->id)),
			 VT_FUNC_INDEX(f->id));
		f->name = rpt_strdup(nm);
	}
	if (!f->hist) {
		f->hist = rpt_calloc(RPT_HIST_BUCKETS, sizeof(*f->hist));
		vec_push(&m->used_funcs, f);
	}
	return f;
}

/* Log-linear buckets: exact below 16 ns, then 16 per power of two (each
 * at most 1/16 of its value wide), so percentiles cost a fixed 8 KiB per
 * function and are within about 3%. */
static unsigned hist_bucket(uint64_t v)
{
	if (v < 16)
		return (unsigned)v;
	unsigned e = 63u - (unsigned)__builtin_clzll(v);	/* >= 4 */
	return 16 + (e - 4) * 16 + (unsigned)((v >> (e - 4)) & 15);
}

static uint64_t bucket_low(unsigned b)
{
	if (b < 16)
		return b;
	unsigned e = (b - 16) / 16 + 4, sub = (b - 16) % 16;
	return (16ull + sub) << (e - 4);
}

uint64_t rpt_percentile(const struct rpt_func *f, double pct)
{
	uint64_t timed = f->calls - f->unfinished;
	if (!f->hist || !timed)
		return 0;
	uint64_t want = (uint64_t)(pct / 100.0 * (double)timed + 0.999999);
	if (want == 0)
		want = 1;
	uint64_t seen = 0;
	for (unsigned b = 0; b < RPT_HIST_BUCKETS; b++) {
		seen += f->hist[b];
		if (seen >= want) {
			/* The bucket's middle: within 3% of any value in it. */
			uint64_t lo = bucket_low(b), mid = lo;
			if (b >= 16)
				mid += (1ull << ((b - 16) / 16)) / 2;
			return mid < f->max_ns ? mid : f->max_ns;
		}
	}
	return f->max_ns;
}

/* ---- threads and processes ---- */

static struct thread *thread_get(struct rpt_model *m, uint32_t tid)
{
	if (m->last_thread && m->last_thread->tid == tid)
		return m->last_thread;
	struct thread *t = u64map_get(&m->threads, tid);
	if (!t) {
		t = rpt_calloc(1, sizeof(*t));
		t->tid = tid;
		u64map_put(&m->threads, tid, t);
		vec_push(&m->thread_list, t);
	}
	m->last_thread = t;
	return t;
}

static struct rpt_process *proc_get(struct rpt_model *m, uint32_t pid,
				    uint64_t ns)
{
	if (!pid)
		return NULL;
	struct rpt_process *p = u64map_get(&m->procs, pid);
	if (!p && m->proc_list.n < MAX_PROCS) {
		p = rpt_calloc(1, sizeof(*p));
		p->pid = pid;
		p->first_ns = ns;
		u64map_put(&m->procs, pid, p);
		vec_push(&m->proc_list, p);
	}
	return p;
}

static void thread_owner(struct rpt_model *m, uint32_t pid, uint32_t tid,
			 uint64_t ns)
{
	if (!tid || !pid)
		return;
	struct thread *t = thread_get(m, tid);
	if (t->pid != pid) {
		t->pid = pid;
		struct rpt_process *p = proc_get(m, pid, ns);
		if (p)
			p->nthreads++;
	}
}

/* ---- syscalls ---- */

static struct rpt_syscall *syscall_get(struct rpt_model *m, const char *text,
				       uint64_t nr)
{
	char name[64];
	size_t n = strcspn(text, "( ");
	if (n == 0 || n >= sizeof(name))
		snprintf(name, sizeof(name), "syscall_%llu", (unsigned long long)nr);
	else
		memcpy(name, text, n), name[n] = 0;
	for (size_t i = 0; i < m->syscalls.n; i++) {
		struct rpt_syscall *s = m->syscalls.v[i];
		if (!strcmp(s->name, name))
			return s;
	}
	if (m->syscalls.n >= MAX_SYSCALLS)
		return NULL;
	struct rpt_syscall *s = rpt_calloc(1, sizeof(*s));
	s->name = rpt_strdup(name);
	vec_push(&m->syscalls, s);
	return s;
}

/* A simulator note, kept once per (text, call) with a count. */
static void sim_note_keep(struct rpt_model *m, struct pending *p,
			  const struct rpt_func *fn, uint32_t tid)
{
	for (size_t i = 0; i < m->nsim_notes; i++) {
		struct rpt_sim_note *n = &m->sim_notes[i];
		if (n->fn == fn && !strcmp(n->text, p->text)) {
			n->count++;
			return;
		}
	}
	if (m->nsim_notes == MAX_SIM_NOTES) {
		m->sim_notes_dropped++;
		return;
	}
	m->sim_notes[m->nsim_notes++] = (struct rpt_sim_note){
		.text = p->text, .fn = fn, .count = 1, .pid = p->pid,
		.tid = tid, .ts_ns = p->ts_ns,
	};
	p->text = NULL;
}

static void attribute(struct rpt_model *m, struct thread *t,
		      struct pending *p, struct rpt_func *fn,
		      struct rpt_error *first_err)
{
	if (p->is_note) {
		sim_note_keep(m, p, fn, t ? t->tid : 0);
		free(p->text);
		p->text = NULL;
		return;
	}
	if (p->sc)
		p->sc->attributed++;
	fn->syscalls++;
	if (first_err && p->result < 0 && first_err->nsys < RPT_ERR_SYSCALLS) {
		struct rpt_syscall_note *n = &first_err->sys[first_err->nsys++];
		n->text = p->text;
		n->result = p->result;
		p->text = NULL;
	}
	free(p->text);
	p->text = NULL;
}

static void unattributed(struct rpt_model *m, struct thread *t,
			 struct pending *p)
{
	if (p->is_note) {
		attribute(m, t, p, NULL, NULL);
		return;
	}
	m->sys_unattributed++;
	free(p->text);
	p->text = NULL;
}

static void pend_remove(struct thread *t, unsigned i)
{
	t->pend[i] = t->pend[--t->npend];
}

static void pend_event(struct rpt_model *m, struct thread *t,
		       struct pending *p);

static void on_syscall(struct rpt_model *m, const struct vt_rec_event *e,
		       uint64_t ns, const char *text)
{
	struct rpt_syscall *sc = syscall_get(m, text, e->arg);
	if (sc) {
		sc->count++;
		if (e->result < 0)
			sc->failed++;
	}
	struct pending p = { ns, e->result, sc, rpt_strdup(text), e->pid, false };
	if (!e->tid) {
		unattributed(m, NULL, &p);
		return;
	}
	pend_event(m, thread_get(m, e->tid), &p);
}

/* The simulator's explanation of what it refused: kept with the call it
 * was written in, found the way a syscall's call is. */
static void on_sim_note(struct rpt_model *m, const struct vt_rec_event *e,
			uint64_t ns, const char *text)
{
	struct pending p = { ns, 0, NULL, rpt_strdup(text), e->pid, true };
	struct thread *t = thread_get(m, e->tid);
	pend_event(m, t, &p);
}

static void pend_event(struct rpt_model *m, struct thread *t,
		       struct pending *p)
{
	uint64_t ns = p->ts_ns;
	/* Its call may already be finished (drained before this event). */
	struct recent *best = NULL;
	for (unsigned i = 0; i < t->nrecent; i++) {
		struct recent *r = &t->recent[i];
		if (r->start_ns <= ns && ns <= r->end_ns &&
		    (!best || r->end_ns - r->start_ns < best->end_ns - best->start_ns))
			best = r;
	}
	if (best) {
		attribute(m, t, p, best->fn, best->first_err);
		return;
	}
	if (t->npend == MAX_PENDING) {
		unattributed(m, t, &t->pend[0]);
		pend_remove(t, 0);
	}
	t->pend[t->npend++] = *p;
}

/* A call finished on t: claim the pending syscalls inside it; those
 * before it that no still-open call can claim were outside any call. */
static void settle_pending(struct rpt_model *m, struct thread *t,
			   struct rpt_func *fn, uint64_t start, uint64_t end,
			   struct rpt_error *first_err)
{
	uint64_t oldest_open = UINT64_MAX;
	for (unsigned d = 0; d < t->depth; d++)
		if (t->stack[d].start_ns < oldest_open)
			oldest_open = t->stack[d].start_ns;
	for (unsigned i = 0; i < t->npend;) {
		struct pending *p = &t->pend[i];
		if (p->ts_ns >= start && p->ts_ns <= end) {
			attribute(m, t, p, fn, first_err);
			pend_remove(t, i);
		} else if (p->ts_ns < start && p->ts_ns < oldest_open) {
			unattributed(m, t, p);
			pend_remove(t, i);
		} else {
			i++;
		}
	}
	struct recent *r = &t->recent[t->recent_head];
	t->recent_head = (t->recent_head + 1) % RECENT;
	if (t->nrecent < RECENT)
		t->nrecent++;
	*r = (struct recent){ start, end, fn, first_err };
}

/* ---- errors ---- */

static struct rpt_error *error_note(struct rpt_model *m, const struct rpt_call *c,
				    bool *first)
{
	uint64_t key = ((uint64_t)c->fn->id << 32) ^ (uint32_t)c->ret ^
		       ((uint64_t)(c->flags & VT_CALL_MISSING) << 63);
	struct rpt_error *e = u64map_get(&m->errors, key);
	*first = false;
	if (!e) {
		if (m->error_list.n >= MAX_ERRORS) {
			m->errors_dropped++;
			return NULL;
		}
		e = rpt_calloc(1, sizeof(*e));
		e->fn = (struct rpt_func *)c->fn;
		e->ret = c->ret;
		e->flags = c->flags;
		e->pid = c->pid;
		e->tid = c->tid;
		e->start_ns = c->start_ns;
		e->end_ns = c->end_ns;
		memcpy(e->args, c->args, sizeof(e->args));
		e->nout = c->nout;
		memcpy(e->out, c->out, sizeof(e->out));
		e->callsite = c->callsite;
		u64map_put(&m->errors, key, e);
		vec_push(&m->error_list, e);
		*first = true;
	}
	e->count++;
	return e;
}

static bool call_failed(const struct rpt_func *fn, uint64_t ret, uint32_t flags)
{
	if (flags & VT_CALL_MISSING)
		return true;
	/* Functions the decode table does not list are taken to return their
	 * API's status, as nearly all do; those that do not (the runtime's
	 * __cudaRegister... hooks) are listed there with =void or =ptr. */
	return dec_is_error(VT_FUNC_API(fn->id), fn->dec, ret);
}

/* ---- calls ---- */

bool rpt_call_wrote(const struct rpt_call *c)
{
	return !c->unfinished && !call_failed(c->fn, c->ret, c->flags);
}

bool rpt_call_is_probe(const struct rpt_call *c)
{
	if (c->unfinished || (c->flags & (VT_CALL_MISSING | VT_CALL_INJECTED)) ||
	    !call_failed(c->fn, c->ret, c->flags))
		return false;
	switch (c->fn->role) {
	case RPT_ROLE_PROCADDR:
		return (uint32_t)c->ret == CUDA_ERROR_NOT_FOUND;
	case RPT_ROLE_EXPORT_TABLE:
		/* Not 801: a driver without cuGetExportTable at all. */
		return c->args[0] && c->args[1] &&
		       ((uint32_t)c->ret == CUDA_ERROR_NOT_FOUND ||
			(uint32_t)c->ret == CUDA_ERROR_INVALID_VALUE);
	default:
		return false;
	}
}

const char *rpt_call_outcome(const struct rpt_call *c)
{
	if (c->unfinished)
		return "never-returned";
	if (!call_failed(c->fn, c->ret, c->flags))
		return "ok";
	return rpt_call_is_probe(c) ? "probe" : "error";
}

/* What a runtime's resolving leaves behind: the look-ups' count and
 * versions, and each export table asked for. */
static void note_resolver(struct rpt_model *m, const struct rpt_call *c,
			  bool failed)
{
	if (c->fn->role == RPT_ROLE_PROCADDR) {
		struct rpt_procaddr *pa = &m->procaddr;
		if (!pa->calls++) {
			pa->first_ns = c->start_ns;
			pa->flags = c->args[3];
			pa->pid = c->pid;
			pa->fn = c->fn;
		}
		if ((uint32_t)c->args[2] > pa->max_version &&
		    (uint32_t)c->args[2] < 1000000)
			pa->max_version = (uint32_t)c->args[2];
		return;
	}
	unsigned char id[16];
	if (!rpt_export_id(c->fn, c->out, c->nout, id))
		return;
	struct rpt_export_table *tb = NULL;
	for (size_t i = 0; i < m->ntables && !tb; i++)
		if (!memcmp(m->tables[i].id, id, 16))
			tb = &m->tables[i];
	if (!tb && m->ntables < MAX_TABLES) {
		tb = &m->tables[m->ntables++];
		memcpy(tb->id, id, 16);
	}
	if (tb) {
		tb->calls++;
		tb->found += !failed;
	}
}

static void finish_call(struct rpt_model *m, struct thread *t,
			const struct rpt_call *c)
{
	struct rpt_func *fn = (struct rpt_func *)c->fn;
	fn->calls++;
	m->calls++;
	if (c->flags & VT_CALL_MISSING)
		fn->missing++;
	if (c->flags & VT_CALL_INJECTED)
		fn->injected++;
	uint64_t dur = c->end_ns - c->start_ns;
	fn->total_ns += dur;
	if (dur > fn->max_ns)
		fn->max_ns = dur;
	fn->hist[hist_bucket(dur)]++;
	struct rpt_error *first_err = NULL;
	bool failed = call_failed(fn, c->ret, c->flags);
	if (fn->role != RPT_ROLE_PLAIN)
		note_resolver(m, c, failed);
	if (failed && rpt_call_is_probe(c)) {
		fn->probes++;
		m->probes++;
	} else if (failed) {
		fn->errors++;
		m->call_errors++;
		bool first;
		struct rpt_error *e = error_note(m, c, &first);
		if (first)
			first_err = e;
	}
	struct rpt_process *p = t->pid ? u64map_get(&m->procs, t->pid) : NULL;
	if (p)
		p->calls++;
	settle_pending(m, t, fn, c->start_ns, c->end_ns, first_err);
	if (c->callsite) {
		struct rpt_callsite *cs = u64map_get(&m->callsites, c->callsite);
		if (cs) {
			if (!cs->calls)
				cs->first_func = fn->id;
			cs->calls++;
		}
	}
	if (m->sink && m->sink->call)
		m->sink->call(m->sink->ctx, c);
}

static void on_enter(struct rpt_model *m, const struct vt_rec_hdr *h)
{
	const struct vt_rec_call_enter *r = (const void *)h;
	if (h->size < sizeof(*r))
		return;
	struct thread *t = thread_get(m, r->tid);
	uint64_t ns = ticks_ns(m, r->ts);
	saw_time(m, ns);
	if (t->depth == MAX_DEPTH) {
		t->overflow++;
		return;
	}
	struct open_call *o = &t->stack[t->depth++];
	o->fn = func_used(m, r->func);
	o->start_ns = ns;
	memcpy(o->args, r->args, sizeof(o->args));
	o->callsite = r->callsite;
}

static void on_exit_rec(struct rpt_model *m, const struct vt_rec_hdr *h)
{
	const struct vt_rec_call_exit *r = (const void *)h;
	if (h->size < offsetof(struct vt_rec_call_exit, out))
		return;
	struct thread *t = thread_get(m, r->tid);
	uint64_t ns = ticks_ns(m, r->ts);
	saw_time(m, ns);
	if (t->overflow) {
		t->overflow--;
		return;
	}
	struct rpt_call c = {
		.pid = t->pid, .tid = r->tid, .end_ns = ns, .ret = r->ret,
		.flags = h->flags,
	};
	size_t have = (h->size - offsetof(struct vt_rec_call_exit, out)) / 8;
	c.nout = r->nout < 4 ? r->nout : 4;
	if (c.nout > have)
		c.nout = (uint32_t)have;
	memcpy(c.out, r->out, c.nout * 8);
	/* Match the innermost open call of this function.  Each library has
	 * its own ring, so the records of one thread come in time order per
	 * API only: a runtime call may still be open above a driver call
	 * that ends.  Only calls of the same API above the match lost their
	 * exit (a lossy ring). */
	int d = (int)t->depth - 1;
	while (d >= 0 && t->stack[d].fn->id != r->func)
		d--;
	if (d < 0) {
		/* An exit whose enter was dropped: counted, not timed. */
		c.fn = func_used(m, r->func);
		c.start_ns = ns;
		c.depth = t->depth;
	} else {
		struct open_call *o = &t->stack[d];
		c.fn = o->fn;
		c.start_ns = o->start_ns <= ns ? o->start_ns : ns;
		memcpy(c.args, o->args, sizeof(c.args));
		c.callsite = o->callsite;
		uint32_t api = VT_FUNC_API(r->func);
		c.depth = 0;
		for (int i = 0; i < (int)t->depth; i++)
			if (i != d && (i < d || VT_FUNC_API(t->stack[i].fn->id) != api))
				c.depth += t->stack[i].start_ns <= o->start_ns;
		unsigned w = (unsigned)d;
		for (unsigned i = (unsigned)d + 1; i < t->depth; i++)
			if (VT_FUNC_API(t->stack[i].fn->id) != api)
				t->stack[w++] = t->stack[i];
		t->depth = w;
	}
	finish_call(m, t, &c);
}

/* ---- supervisor events ---- */

/* Strings from..n-1 of a record, joined with blanks (walked once). */
static char *join_strings(const struct vt_rec_hdr *h, size_t start,
			  unsigned from, unsigned n)
{
	const char *p = (const char *)h + start, *end = (const char *)h + h->size;
	char *out = rpt_calloc(1, (size_t)(end - p) + 1), *o = out;
	for (unsigned i = 0; i < n && p < end; i++) {
		const char *nul = memchr(p, 0, (size_t)(end - p));
		if (!nul)
			break;
		if (i >= from) {
			if (o != out)
				*o++ = ' ';
			memcpy(o, p, (size_t)(nul - p));
			o += nul - p;
		}
		p = nul + 1;
	}
	*o = 0;
	return out;
}

static struct rpt_library *lib_get(struct rpt_model *m, const char *path,
				   uint32_t pid)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	/* A shared object: "x.so" or "x.so.<digit>..." (not "ld.so.cache"). */
	const char *so = strstr(base, ".so");
	while (so && so[3] && !(so[3] == '.' && so[4] >= '0' && so[4] <= '9'))
		so = strstr(so + 3, ".so");
	if (!so)
		return NULL;
	for (size_t i = 0; i < m->libs.n; i++) {
		struct rpt_library *l = m->libs.v[i];
		if (!strcmp(l->name, base))
			return l;
	}
	if (m->libs.n >= MAX_LIBS)
		return NULL;
	struct rpt_library *l = rpt_calloc(1, sizeof(*l));
	l->name = rpt_strdup(base);
	l->pid = pid;
	vec_push(&m->libs, l);
	return l;
}

const char *rpt_library_found(const struct rpt_library *l)
{
	struct stat st;
	for (unsigned i = 0; i < l->ntried; i++)
		if (l->tried[i][0] == '/' && stat(l->tried[i], &st) == 0 &&
		    S_ISREG(st.st_mode))
			return l->tried[i];
	return NULL;
}

bool rpt_library_is_cuda(const struct rpt_library *l)
{
	return !strncmp(l->name, "libcuda.so", 10) ||
	       !strncmp(l->name, "libcudart.so", 12) ||
	       !strncmp(l->name, "libnvidia-ml.so", 15);
}

static void lib_tried(struct rpt_library *l, const char *path)
{
	l->asked++;
	for (unsigned i = 0; i < l->ntried; i++)
		if (!strcmp(l->tried[i], path))
			return;
	if (l->ntried < RPT_MAX_TRIED)
		l->tried[l->ntried++] = rpt_strdup(path);
	else
		l->more_tried++;
}

static void on_exec(struct rpt_model *m, const struct vt_rec_event *e,
		    const struct vt_rec_hdr *h, uint64_t ns)
{
	struct rpt_process *p = proc_get(m, e->pid ? e->pid : e->tid, ns);
	if (!p)
		return;
	if (p->nexec == RPT_MAX_EXECS) {
		p->more_execs++;
		return;
	}
	struct rpt_exec *x = &p->execs[p->nexec++];
	const char *path = vt_rec_string(h, sizeof(*e), 0);
	x->path = rpt_strdup(path ? path : "?");
	x->argv = join_strings(h, sizeof(*e), 1, e->nstr);
	x->mode = e->arg;
	x->owner = e->result;
	x->ts_ns = ns;
}

/* Every process of a tree notes the same routes: keep each line once. */
static void add_route(struct rpt_model *m, const char *kind, const char *what)
{
	char line[1200];
	snprintf(line, sizeof(line), "%s%s", !strcmp(kind, "route") ? "" :
		 "inline hook refused: ", what);
	for (size_t i = 0; i < m->routes.n; i++)
		if (!strcmp(m->routes.v[i], line))
			return;
	if (m->routes.n < MAX_NOTES)
		vec_push(&m->routes, rpt_strdup(line));
}

static struct rpt_exec *last_exec(struct rpt_model *m, uint32_t pid)
{
	struct rpt_process *p = pid ? u64map_get(&m->procs, pid) : NULL;
	return p && p->nexec ? &p->execs[p->nexec - 1] : NULL;
}

static void on_event(struct rpt_model *m, const struct vt_rec_hdr *h)
{
	const struct vt_rec_event *e = (const void *)h;
	if (h->size < sizeof(*e))
		return;
	uint64_t ns = rel_ns(m, e->ts_ns);
	saw_time(m, ns);
	const char *s0 = vt_rec_string(h, sizeof(*e), 0);
	const char *s1 = e->nstr > 1 ? vt_rec_string(h, sizeof(*e), 1) : NULL;
	const char *s2 = e->nstr > 2 ? vt_rec_string(h, sizeof(*e), 2) : NULL;
	if (!s0 || !e->nstr)
		s0 = "";
	thread_owner(m, e->pid, e->tid, ns);
	struct rpt_library *l;
	struct rpt_exec *x;
	switch (e->kind) {
	case VT_EV_START:
		if (!m->start_argv)
			m->start_argv = join_strings(h, sizeof(*e), 0, e->nstr);
		break;
	case VT_EV_SPAWN:
		proc_get(m, e->pid ? e->pid : e->tid, ns);
		break;
	case VT_EV_EXEC:
		on_exec(m, e, h, ns);
		break;
	case VT_EV_SECURE_EXEC:
		x = last_exec(m, e->pid);
		if (x)
			x->secure = true;
		break;
	case VT_EV_NOTE:
		if (s1 && !strcmp(s0, "sim") && e->tid)
			on_sim_note(m, e, ns, s1);
		x = last_exec(m, e->pid);
		if (x && !strcmp(s0, "no_new_privs"))
			x->nnp_ignored = true;
		if (s1 && (!strcmp(s0, "route") || !strcmp(s0, "inline-refused")))
			add_route(m, s0, s1);
		if (s1 && !strcmp(s0, "trace-series") && !m->series)
			m->series = rpt_strdup(s1);
		if (s1 && !strcmp(s0, "parent")) {
			struct rpt_process *p = proc_get(m, e->pid, ns);
			if (p)
				p->ppid = (uint32_t)strtoul(s1, NULL, 10);
		}
		break;
	case VT_EV_OPEN_SERVED:
		proc_get(m, e->pid, ns);
		if ((l = lib_get(m, s0, e->pid))) {
			lib_tried(l, s0);
			l->served_count++;
			if (!l->served) {
				l->served = rpt_strdup(s1);
				l->rule = rpt_strdup(s2);
			}
		}
		break;
	case VT_EV_OPEN_PASSED:
		proc_get(m, e->pid, ns);
		if ((l = lib_get(m, s0, e->pid)))
			lib_tried(l, s0);
		break;
	case VT_EV_EXIT: {
		struct rpt_process *p = proc_get(m, e->pid ? e->pid : e->tid, ns);
		if (p) {
			p->exited = true;
			p->status = e->result;
		}
		break;
	}
	case VT_EV_ERROR:
		if (m->notes.n < MAX_NOTES)
			vec_push(&m->notes, rpt_strdup(s0));
		break;
	case VT_EV_SYSCALL:
		on_syscall(m, e, ns, s0);
		break;
	default:
		break;
	}
	if (m->sink && m->sink->event) {
		struct rpt_event re = { e, ns, s0 };
		m->sink->event(m->sink->ctx, &re);
	}
}

static void on_thread(struct rpt_model *m, const struct vt_rec_hdr *h)
{
	const struct vt_rec_thread *r = (const void *)h;
	if (h->size < sizeof(*r))
		return;
	thread_owner(m, r->pid, r->tid, m->last_ns);
	const char *name = vt_rec_string(h, sizeof(*r), 0);
	if (m->sink && m->sink->thread)
		m->sink->thread(m->sink->ctx, r->pid, r->tid, name ? name : "");
}

static void on_callsite(struct rpt_model *m, const struct vt_rec_hdr *h)
{
	const struct vt_rec_callsite *r = (const void *)h;
	if (h->size < sizeof(*r) || u64map_get(&m->callsites, r->id) ||
	    m->callsite_list.n >= MAX_CALLSITES || !r->id)
		return;
	struct rpt_callsite *cs = rpt_calloc(1, sizeof(*cs));
	cs->id = r->id;
	cs->pid = r->pid;
	unsigned n = r->nframes < 64 ? r->nframes : 64;
	cs->frames = rpt_calloc(n, sizeof(char *));
	for (unsigned i = 0; i < n; i++) {
		const char *s = vt_rec_string(h, sizeof(*r), i);
		if (!s)
			break;
		cs->frames[cs->nframes++] = rpt_strdup(s);
	}
	u64map_put(&m->callsites, r->id, cs);
	vec_push(&m->callsite_list, cs);
}

static void on_record(struct rpt_model *m, const struct vt_rec_hdr *h)
{
	switch (h->type) {
	case VT_REC_FUNC_TABLE: on_func_table(m, h); break;
	case VT_REC_CLOCK:
		if (h->size >= sizeof(struct vt_rec_clock)) {
			m->clock = *(const struct vt_rec_clock *)h;
			m->have_clock = true;
			if (m->clock.ticks_per_sec)
				m->ns_per_tick_q32 = ((__int128)1000000000 << 32) /
						     m->clock.ticks_per_sec;
		}
		break;
	case VT_REC_EVENT: on_event(m, h); break;
	case VT_REC_THREAD: on_thread(m, h); break;
	case VT_REC_CALL_ENTER: on_enter(m, h); break;
	case VT_REC_CALL_EXIT: on_exit_rec(m, h); break;
	case VT_REC_CALLSITE: on_callsite(m, h); break;
	case VT_REC_DROPS:
		if (h->size >= sizeof(struct vt_rec_drops))
			m->drops += ((const struct vt_rec_drops *)h)->dropped;
		break;
	case VT_REC_END:
		if (h->size >= sizeof(struct vt_rec_end))
			saw_time(m, rel_ns(m, ((const struct vt_rec_end *)h)->ts_ns));
		break;
	default:
		break;	/* a newer writer's record: skip it */
	}
}

/* Calls still open at the end never returned: the process died inside
 * them, or the trace was cut. */
static void close_open_calls(struct rpt_model *m)
{
	for (size_t i = 0; i < m->thread_list.n; i++) {
		struct thread *t = m->thread_list.v[i];
		for (unsigned d = 0; d < t->depth; d++) {
			struct open_call *o = &t->stack[d];
			struct rpt_call c = {
				.fn = o->fn, .pid = t->pid, .tid = t->tid,
				.start_ns = o->start_ns, .end_ns = m->last_ns,
				.depth = d, .callsite = o->callsite,
				.unfinished = true,
			};
			memcpy(c.args, o->args, sizeof(c.args));
			o->fn->calls++;
			o->fn->unfinished++;
			m->calls++;
			m->unfinished++;
			if (m->nopen < MAX_OPEN_CALLS)
				m->open_calls[m->nopen++] = c;
			if (m->sink && m->sink->call)
				m->sink->call(m->sink->ctx, &c);
		}
		/* Syscalls still waiting: inside the innermost open call that
		 * began before them, else outside any call. */
		for (unsigned k = 0; k < t->npend; k++) {
			struct pending *p = &t->pend[k];
			int d = (int)t->depth - 1;
			while (d >= 0 && t->stack[d].start_ns > p->ts_ns)
				d--;
			if (d >= 0)
				attribute(m, t, p, t->stack[d].fn, NULL);
			else
				unattributed(m, t, p);
		}
		t->npend = 0;
		t->depth = 0;
	}
}

static int read_all(struct rpt_model *m, struct vt_reader *r,
		    const struct rpt_sink *sink)
{
	m->hdr = r->hdr;
	m->sink = sink;
	const struct vt_rec_hdr *h;
	enum vt_read_status st;
	while ((st = vt_reader_next(r, &h)) == VT_READ_OK)
		on_record(m, h);
	m->end = st;
	m->records = r->records;
	m->bytes = r->offset;
	/* At a clean end the reader's message is a warning, or empty. */
	snprintf(m->end_msg, sizeof(m->end_msg), "%s", r->err);
	close_open_calls(m);
	vt_reader_close(r);
	return st == VT_READ_IOERR ? -1 : 0;
}

int rpt_model_read(struct rpt_model *m, const char *path,
		   const struct rpt_sink *sink, char *err, size_t errlen)
{
	struct vt_reader r;
	m->path = path;
	if (vt_reader_open(&r, path)) {
		snprintf(err, errlen, "%s", r.err);
		vt_reader_close(&r);
		return -1;
	}
	int rc = read_all(m, &r, sink);
	if (rc)
		snprintf(err, errlen, "%s: %s", path, m->end_msg);
	return rc;
}

int rpt_model_read_mem(struct rpt_model *m, const void *data, size_t len,
		       const struct rpt_sink *sink, char *err, size_t errlen)
{
	struct vt_reader r;
	m->path = "<memory>";
	if (vt_reader_open_mem(&r, data, len)) {
		snprintf(err, errlen, "%s", r.err);
		vt_reader_close(&r);
		return -1;
	}
	return read_all(m, &r, sink);
}

void rpt_model_view(const struct rpt_model *m, struct rpt_view *v)
{
	memset(v, 0, sizeof(*v));
	v->path = m->path;
	v->records = m->records;
	v->bytes = m->bytes;
	v->end = m->end;
	v->end_msg = m->end_msg;
	v->realtime_ns = m->hdr.realtime_ns;
	v->duration_ns = m->last_ns;
	v->calls = m->calls;
	v->call_errors = m->call_errors;
	v->unfinished = m->unfinished;
	v->drops = m->drops;
	v->lossy = m->hdr.flags & VT_FILE_LOSSY;
	v->funcs = (struct rpt_func **)m->used_funcs.v;
	v->nfuncs = m->used_funcs.n;
	v->procs = (struct rpt_process **)m->proc_list.v;
	v->nprocs = m->proc_list.n;
	v->libs = (struct rpt_library **)m->libs.v;
	v->nlibs = m->libs.n;
	v->errors = (struct rpt_error **)m->error_list.v;
	v->nerrors = m->error_list.n;
	v->errors_dropped = m->errors_dropped;
	v->syscalls = (struct rpt_syscall **)m->syscalls.v;
	v->nsyscalls = m->syscalls.n;
	v->syscalls_unattributed = m->sys_unattributed;
	v->callsites = (struct rpt_callsite **)m->callsite_list.v;
	v->ncallsites = m->callsite_list.n;
	v->open_calls = (struct rpt_call *)m->open_calls;
	v->nopen = m->nopen;
	v->notes = (char **)m->notes.v;
	v->nnotes = m->notes.n;
	v->routes = (char **)m->routes.v;
	v->nroutes = m->routes.n;
	v->start_argv = m->start_argv;
	v->series = m->series;
	v->probes = m->probes;
	v->tables = (struct rpt_export_table *)m->tables;
	v->ntables = m->ntables;
	v->sim_notes = (struct rpt_sim_note *)m->sim_notes;
	v->nsim_notes = m->nsim_notes;
	v->sim_notes_dropped = m->sim_notes_dropped;
	v->procaddr = m->procaddr;
}

/* ---- sorting ---- */

static int cmp_time(const void *a, const void *b)
{
	const struct rpt_func *x = *(struct rpt_func *const *)a,
			      *y = *(struct rpt_func *const *)b;
	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_calls(const void *a, const void *b)
{
	const struct rpt_func *x = *(struct rpt_func *const *)a,
			      *y = *(struct rpt_func *const *)b;
	if (x->calls != y->calls)
		return x->calls < y->calls ? 1 : -1;
	return strcmp(x->name, y->name);
}

static int cmp_errors(const void *a, const void *b)
{
	const struct rpt_func *x = *(struct rpt_func *const *)a,
			      *y = *(struct rpt_func *const *)b;
	if (x->errors != y->errors)
		return x->errors < y->errors ? 1 : -1;
	return cmp_time(a, b);
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp((*(struct rpt_func *const *)a)->name,
		      (*(struct rpt_func *const *)b)->name);
}

int rpt_sort_by_name(const char *s, enum rpt_sort *out)
{
	static const char *const names[SORT_MAX] = { "time", "calls", "errors", "name" };
	for (int i = 0; i < SORT_MAX; i++)
		if (!strcmp(s, names[i])) {
			*out = (enum rpt_sort)i;
			return 0;
		}
	return -1;
}

struct rpt_func **rpt_sorted_funcs(const struct rpt_view *v, enum rpt_sort s)
{
	struct rpt_func **f = rpt_calloc(v->nfuncs + 1, sizeof(*f));
	if (v->nfuncs)
		memcpy(f, v->funcs, v->nfuncs * sizeof(*f));
	int (*cmp)(const void *, const void *) =
		s == SORT_CALLS ? cmp_calls : s == SORT_ERRORS ? cmp_errors :
		s == SORT_NAME ? cmp_name : cmp_time;
	qsort(f, v->nfuncs, sizeof(*f), cmp);
	return f;
}

/* ---- freeing ---- */

void rpt_model_free(struct rpt_model *m)
{
	if (!m)
		return;
	for (int a = 0; a < VT_API_MAX; a++) {
		for (uint32_t i = 0; i < m->nfuncs[a]; i++) {
			struct rpt_func *f = m->funcs[a][i];
			if (f) {
				free(f->name);
				free(f->hist);
				free(f);
			}
		}
		free(m->funcs[a]);
	}
	free(m->used_funcs.v);
	for (size_t i = 0; i < m->thread_list.n; i++) {
		struct thread *t = m->thread_list.v[i];
		for (unsigned k = 0; k < t->npend; k++)
			free(t->pend[k].text);
		free(t);
	}
	free(m->thread_list.v);
	u64map_free(&m->threads);
	for (size_t i = 0; i < m->proc_list.n; i++) {
		struct rpt_process *p = m->proc_list.v[i];
		for (unsigned k = 0; k < p->nexec; k++) {
			free(p->execs[k].path);
			free(p->execs[k].argv);
		}
		free(p);
	}
	free(m->proc_list.v);
	u64map_free(&m->procs);
	for (size_t i = 0; i < m->libs.n; i++) {
		struct rpt_library *l = m->libs.v[i];
		free(l->name);
		free(l->served);
		free(l->rule);
		for (unsigned k = 0; k < l->ntried; k++)
			free(l->tried[k]);
		free(l);
	}
	free(m->libs.v);
	for (size_t i = 0; i < m->error_list.n; i++) {
		struct rpt_error *e = m->error_list.v[i];
		for (unsigned k = 0; k < e->nsys; k++)
			free(e->sys[k].text);
		free(e);
	}
	free(m->error_list.v);
	u64map_free(&m->errors);
	for (size_t i = 0; i < m->syscalls.n; i++) {
		struct rpt_syscall *s = m->syscalls.v[i];
		free(s->name);
		free(s);
	}
	free(m->syscalls.v);
	for (size_t i = 0; i < m->callsite_list.n; i++) {
		struct rpt_callsite *cs = m->callsite_list.v[i];
		for (unsigned k = 0; k < cs->nframes; k++)
			free(cs->frames[k]);
		free(cs->frames);
		free(cs);
	}
	free(m->callsite_list.v);
	u64map_free(&m->callsites);
	for (size_t i = 0; i < m->notes.n; i++)
		free(m->notes.v[i]);
	free(m->notes.v);
	for (size_t i = 0; i < m->routes.n; i++)
		free(m->routes.v[i]);
	free(m->routes.v);
	free(m->start_argv);
	free(m->series);
	for (size_t i = 0; i < m->nsim_notes; i++)
		free(m->sim_notes[i].text);
	free(m);
}
