/* Perfetto's own trace format (protobuf), written while the trace is read
 * by a small encoder of our own: the file is a sequence of
 * Trace.packet (field 1) TracePackets, which is what ui.perfetto.dev and
 * trace_processor open.
 *
 * One track per process (TrackDescriptor with a ProcessDescriptor) and
 * one per thread under it (ThreadDescriptor); each call is a
 * TYPE_SLICE_BEGIN / TYPE_SLICE_END pair on its thread's track, the
 * arguments and result as debug annotations.  Calls reach us as they end
 * (inner before outer), so packets are not in time order: readers sort
 * them, as they do for any multi-writer trace.  Function, category and
 * annotation names are interned (InternedData on one packet sequence),
 * so a call costs its timestamps, a few small ids and its values. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_stream.h"

/* Field numbers, from Perfetto's protos/perfetto/trace/. */
enum {
	TRACE_PACKET = 1,
	PKT_TIMESTAMP = 8,
	PKT_SEQ_ID = 10,		/* trusted_packet_sequence_id */
	PKT_TRACK_EVENT = 11,
	PKT_INTERNED = 12,
	PKT_SEQ_FLAGS = 13,
	PKT_TRACK_DESC = 60,
	TD_UUID = 1, TD_NAME = 2, TD_PROCESS = 3, TD_THREAD = 4, TD_PARENT = 5,
	PD_PID = 1, PD_NAME = 6,
	THD_PID = 1, THD_TID = 2, THD_NAME = 5,
	TE_CATEGORY_IID = 3, TE_ANNOTATION = 4, TE_TYPE = 9, TE_NAME_IID = 10,
	TE_TRACK = 11, TE_NAME = 23,
	DA_NAME_IID = 1, DA_BOOL = 2, DA_INT = 4, DA_STRING = 6,
	ID_CATEGORY = 1, ID_EVENT_NAME = 2, ID_ANNOTATION_NAME = 3,
	IID = 1, IID_NAME = 2,
};
enum { SLICE_BEGIN = 1, SLICE_END = 2, INSTANT = 3 };
enum { SEQ_CLEARED = 1, SEQ_NEEDS_STATE = 2 };
#define SEQ 1

/* An encoding buffer; nested messages are built in their own buffer
 * and appended with their length. */
struct pb {
	uint8_t *p;
	size_t n, cap;
};

static void pb_room(struct pb *b, size_t k)
{
	if (b->n + k <= b->cap)
		return;
	size_t cap = b->cap ? b->cap * 2 : 256;
	while (cap < b->n + k)
		cap *= 2;
	b->p = realloc(b->p, cap);
	if (!b->p)
		abort();
	b->cap = cap;
}

static void pb_varint(struct pb *b, uint64_t v)
{
	pb_room(b, 10);
	while (v >= 0x80) {
		b->p[b->n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	b->p[b->n++] = (uint8_t)v;
}

static void pb_uint(struct pb *b, unsigned field, uint64_t v)
{
	pb_varint(b, (uint64_t)field << 3);
	pb_varint(b, v);
}

static void pb_bytes(struct pb *b, unsigned field, const void *s, size_t k)
{
	pb_varint(b, (uint64_t)field << 3 | 2);
	pb_varint(b, k);
	pb_room(b, k);
	memcpy(b->p + b->n, s, k);
	b->n += k;
}

static void pb_str(struct pb *b, unsigned field, const char *s)
{
	pb_bytes(b, field, s, strlen(s));
}

static void pb_msg(struct pb *b, unsigned field, const struct pb *m)
{
	pb_bytes(b, field, m->p, m->n);
}

/* A track per process and per thread, numbered from 1 as first seen
 * (small uuids encode short). */
struct track {
	uint32_t pid, tid;	/* tid 0: the process track */
	uint64_t uuid;
	bool named;		/* its descriptor carries a name already */
};

struct perfetto {
	struct pb pkt, ev, sub, sub2, interned;
	struct rpt_strtab names, cats, keys;	/* iid: number + 1 */
	struct rpt_idmap index;	/* (pid, tid) -> tracks[] */
	struct track *tracks;
	size_t ntracks, cap;
	bool started;
};

static void put_packet(struct rpt_stream *s, struct pb *pkt)
{
	struct perfetto *p = s->priv;
	struct pb out = { 0 };
	/* The trace's first packet starts the sequence's interning. */
	if (!p->started) {
		struct pb first = { 0 };
		pb_uint(&first, PKT_SEQ_ID, SEQ);
		pb_uint(&first, PKT_SEQ_FLAGS, SEQ_CLEARED);
		pb_msg(&out, TRACE_PACKET, &first);
		free(first.p);
		p->started = true;
	}
	pb_msg(&out, TRACE_PACKET, pkt);
	fwrite(out.p, 1, out.n, s->f);
	free(out.p);
	s->n++;
}

static void track_descriptor(struct rpt_stream *s, const struct track *t,
			     uint64_t parent, const char *name)
{
	struct pb d = { 0 }, who = { 0 }, pkt = { 0 };
	pb_uint(&d, TD_UUID, t->uuid);
	if (t->tid) {
		if (parent)
			pb_uint(&d, TD_PARENT, parent);
		pb_uint(&who, THD_PID, t->pid);
		pb_uint(&who, THD_TID, t->tid);
		if (name)
			pb_str(&who, THD_NAME, name);
		pb_msg(&d, TD_THREAD, &who);
	} else {
		pb_uint(&who, PD_PID, t->pid);
		if (name)
			pb_str(&who, PD_NAME, name);
		pb_msg(&d, TD_PROCESS, &who);
	}
	pb_uint(&pkt, PKT_SEQ_ID, SEQ);
	pb_msg(&pkt, PKT_TRACK_DESC, &d);
	put_packet(s, &pkt);
	free(d.p);
	free(who.p);
	free(pkt.p);
}

/* The track of (pid, tid), tid 0 for the process; created when new
 * (*fresh).  The pointer lasts until the next track_find. */
static struct track *track_find(struct perfetto *p, uint32_t pid, uint32_t tid,
				bool *fresh)
{
	uint32_t i = rpt_idmap_get(&p->index, (uint64_t)pid << 32 | tid,
				   (uint32_t)p->ntracks, fresh);
	if (*fresh) {
		if (p->ntracks == p->cap) {
			p->cap = p->cap ? p->cap * 2 : 16;
			p->tracks = realloc(p->tracks, p->cap * sizeof(*p->tracks));
			if (!p->tracks)
				abort();
		}
		p->tracks[p->ntracks] = (struct track){ pid, tid, p->ntracks + 1, false };
		p->ntracks++;
	}
	return &p->tracks[i];
}

/* The uuid of a thread's track, announcing it (and its process) when new,
 * or again when it learns its name. */
static uint64_t thread_track(struct rpt_stream *s, uint32_t pid, uint32_t tid,
			     const char *name)
{
	struct perfetto *p = s->priv;
	bool fresh;
	struct track *t = track_find(p, pid, 0, &fresh);
	if (fresh)
		track_descriptor(s, t, 0, NULL);
	uint64_t parent = t->uuid;
	t = track_find(p, pid, tid ? tid : pid, &fresh);
	if (fresh || (name && !t->named)) {
		t->named = name != NULL;
		track_descriptor(s, t, parent, name);
	}
	return t->uuid;
}

static void add_interned(struct pb *interned, struct pb *tmp, unsigned kind,
			 uint64_t iid, const char *name)
{
	tmp->n = 0;
	pb_uint(tmp, IID, iid);
	pb_str(tmp, IID_NAME, name);
	pb_msg(interned, kind, tmp);
}

static uint64_t iid_of(struct perfetto *p, struct rpt_strtab *t, unsigned kind,
		       const char *s)
{
	bool fresh;
	uint64_t iid = rpt_strtab_get(t, s, &fresh) + 1;
	if (fresh)
		add_interned(&p->interned, &p->sub2, kind, iid, s);
	return iid;
}

static void annotate(struct perfetto *p, const char *key, const char *value)
{
	p->sub.n = 0;
	pb_uint(&p->sub, DA_NAME_IID, iid_of(p, &p->keys, ID_ANNOTATION_NAME, key));
	pb_str(&p->sub, DA_STRING, value);
	pb_msg(&p->ev, TE_ANNOTATION, &p->sub);
}

/* One packet: timestamp, the event in p->ev, and what it interned. */
static void put_event(struct rpt_stream *s, uint64_t ts)
{
	struct perfetto *p = s->priv;
	p->pkt.n = 0;
	pb_uint(&p->pkt, PKT_TIMESTAMP, ts);
	pb_uint(&p->pkt, PKT_SEQ_ID, SEQ);
	pb_uint(&p->pkt, PKT_SEQ_FLAGS, SEQ_NEEDS_STATE);
	pb_msg(&p->pkt, PKT_TRACK_EVENT, &p->ev);
	if (p->interned.n)
		pb_msg(&p->pkt, PKT_INTERNED, &p->interned);
	p->interned.n = 0;
	put_packet(s, &p->pkt);
}

static void on_call(void *ctx, const struct rpt_call *c)
{
	struct rpt_stream *s = ctx;
	struct perfetto *p = s->priv;
	uint64_t track = thread_track(s, c->pid, c->tid, NULL);
	uint32_t api = VT_FUNC_API(c->fn->id);
	p->ev.n = 0;
	p->interned.n = 0;
	pb_uint(&p->ev, TE_TYPE, SLICE_BEGIN);
	pb_uint(&p->ev, TE_TRACK, track);
	pb_uint(&p->ev, TE_NAME_IID, iid_of(p, &p->names, ID_EVENT_NAME, c->fn->name));
	pb_uint(&p->ev, TE_CATEGORY_IID, iid_of(p, &p->cats, ID_CATEGORY, vt_api_name(api)));
	char args[1024];
	rpt_format_call_args(c->fn, c->args, c->out, c->nout, rpt_call_wrote(c),
			     args, sizeof(args));
	struct rpt_kv kv[RPT_MAX_KV];
	size_t nkv = rpt_split_args(args, kv, RPT_MAX_KV);
	for (size_t i = 0; i < nkv; i++) {
		char key[32];
		if (!kv[i].key)
			snprintf(key, sizeof(key), "arg%zu", i);
		annotate(p, kv[i].key ? kv[i].key : key, kv[i].value);
	}
	if (c->unfinished) {
		annotate(p, "result", "unknown: never returned");
	} else if (!rpt_result_is_plain(c)) {
		char ret[128];
		dec_format_ret(api, c->fn->dec, c->ret, ret, sizeof(ret));
		annotate(p, "result", ret);
	}
	const char *outcome = rpt_call_outcome(c);
	if (strcmp(outcome, "ok"))
		annotate(p, "outcome", outcome);
	if (c->flags & VT_CALL_MISSING)
		annotate(p, "missing", "the backend lacks this function");
	put_event(s, c->start_ns);
	p->ev.n = 0;
	pb_uint(&p->ev, TE_TYPE, SLICE_END);
	pb_uint(&p->ev, TE_TRACK, track);
	put_event(s, c->end_ns);
}

static void on_event(void *ctx, const struct rpt_event *e)
{
	struct rpt_stream *s = ctx;
	struct perfetto *p = s->priv;
	const struct vt_rec_event *r = e->rec;
	if (r->kind != VT_EV_SYSCALL && r->kind != VT_EV_EXEC &&
	    r->kind != VT_EV_EXIT && r->kind != VT_EV_OPEN_SERVED)
		return;
	if (!r->pid)
		return;
	uint64_t track = thread_track(s, r->pid, r->tid ? r->tid : r->pid, NULL);
	if (r->kind == VT_EV_EXEC) {
		/* The process is named after what it runs now. */
		bool fresh;
		struct track *proc = track_find(p, r->pid, 0, &fresh);
		const char *base = strrchr(e->s0, '/');
		proc->named = true;
		track_descriptor(s, proc, 0, base ? base + 1 : e->s0);
	}
	char name[4200];
	if (r->kind == VT_EV_SYSCALL)
		snprintf(name, sizeof(name), "%s", e->s0);
	else
		snprintf(name, sizeof(name), "%s %s", vt_event_kind_name(r->kind), e->s0);
	p->ev.n = 0;
	p->interned.n = 0;
	pb_uint(&p->ev, TE_TYPE, INSTANT);
	pb_uint(&p->ev, TE_TRACK, track);
	pb_str(&p->ev, TE_NAME, name);
	pb_uint(&p->ev, TE_CATEGORY_IID, iid_of(p, &p->cats, ID_CATEGORY,
		r->kind == VT_EV_SYSCALL ? "syscall" : "supervisor"));
	p->sub.n = 0;
	pb_uint(&p->sub, DA_NAME_IID, iid_of(p, &p->keys, ID_ANNOTATION_NAME, "result"));
	pb_uint(&p->sub, DA_INT, (uint64_t)(int64_t)r->result);
	pb_msg(&p->ev, TE_ANNOTATION, &p->sub);
	put_event(s, e->ts_ns);
}

static void on_thread(void *ctx, uint32_t pid, uint32_t tid, const char *name)
{
	if (*name)
		thread_track(ctx, pid, tid, name);
}

struct rpt_stream *rpt_perfetto_begin(FILE *f, struct rpt_sink *sink)
{
	struct rpt_stream *s = rpt_calloc(1, sizeof(*s));
	struct perfetto *p = rpt_calloc(1, sizeof(*p));
	s->f = f;
	s->priv = p;
	*sink = (struct rpt_sink){ s, on_call, on_event, on_thread };
	return s;
}

void rpt_perfetto_finish(struct rpt_stream *s, const struct rpt_view *v)
{
	struct perfetto *p = s->priv;
	/* Names the trace never gave: a main thread by its program, the
	 * others by tid; pid 0 holds the threads whose process the trace
	 * never said. */
	for (size_t i = 0; i < p->ntracks; i++) {
		struct track *t = &p->tracks[i];
		if (t->named)
			continue;
		const char *prog = NULL;
		for (size_t k = 0; k < v->nprocs; k++)
			if (v->procs[k]->pid == t->pid && v->procs[k]->nexec) {
				const char *path = v->procs[k]->execs[v->procs[k]->nexec - 1].path;
				prog = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
			}
		char label[300];
		if (!t->tid && !t->pid)
			snprintf(label, sizeof(label), "unknown process");
		else if (!t->tid)
			snprintf(label, sizeof(label), "%.200s", prog ? prog : "");
		else if (t->tid == t->pid)
			snprintf(label, sizeof(label), "%.200s", prog ? prog : "main");
		else
			snprintf(label, sizeof(label), "thread %u", t->tid);
		if (!*label)
			continue;
		uint64_t parent = 0;
		if (t->tid) {
			bool fresh;	/* never: a thread's process came first */
			parent = track_find(p, t->pid, 0, &fresh)->uuid;
			t = &p->tracks[i];
		}
		track_descriptor(s, t, parent, label);
	}
	free(p->pkt.p);
	free(p->ev.p);
	free(p->sub.p);
	free(p->sub2.p);
	free(p->interned.p);
	rpt_strtab_free(&p->names);
	rpt_strtab_free(&p->cats);
	rpt_strtab_free(&p->keys);
	rpt_idmap_free(&p->index);
	free(p->tracks);
	free(p);
	free(s);
}
