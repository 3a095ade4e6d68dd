/* Chrome trace-event JSON (the format chrome://tracing and
 * ui.perfetto.dev open), written while the trace is read: one "X"
 * (complete) event per call, so calls nest per thread by time and a
 * runtime call sits over the driver calls it made; its arguments are
 * key/value pairs in "args", with "result" unless the call simply
 * succeeded.  Syscalls and execs are instant events; every thread and
 * process seen gets a thread_name / process_name metadata event. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_stream.h"

static void sep(struct rpt_stream *s)
{
	fputs(s->n++ ? ",\n" : "\n", s->f);
}

static bool ident_then_eq(const char *p)
{
	if (!(*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
		return false;
	while (*p == '_' || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
	       (*p >= '0' && *p <= '9'))
		p++;
	return *p == '=';
}

size_t rpt_split_args(char *args, struct rpt_kv *kv, size_t max)
{
	size_t n = 0;
	bool named = ident_then_eq(args);
	char *p = args;
	while (*p && n < max) {
		char *seg = p, *end = NULL;
		int depth = 0;
		bool quoted = false;
		for (; *p; p++) {
			if (quoted) {
				if (*p == '\\' && p[1])
					p++;
				else if (*p == '"')
					quoted = false;
			} else if (*p == '"') {
				quoted = true;
			} else if (*p == '(' || *p == '[' || *p == '{') {
				depth++;
			} else if ((*p == ')' || *p == ']' || *p == '}') && depth) {
				depth--;
			} else if (!depth && p[0] == ',' && p[1] == ' ' &&
				   (!named || ident_then_eq(p + 2))) {
				end = p;
				break;
			}
		}
		if (end) {
			*end = 0;
			p = end + 2;
		}
		char *eq = named && ident_then_eq(seg) ? strchr(seg, '=') : NULL;
		if (eq) {
			*eq = 0;
			kv[n++] = (struct rpt_kv){ seg, eq + 1 };
		} else {
			kv[n++] = (struct rpt_kv){ NULL, seg };
		}
	}
	return n;
}

bool rpt_result_is_plain(const struct rpt_call *c)
{
	uint32_t api = VT_FUNC_API(c->fn->id);
	const struct dec_func *d = c->fn->dec;
	if (c->unfinished || !dec_family(api))
		return false;
	if (d && d->ret == DEC_VOID)
		return true;
	return (!d || d->ret == DEC_STATUS) && (uint32_t)c->ret == 0 &&
	       !strcmp(rpt_call_outcome(c), "ok");
}

/* Threads and processes seen, so each gets a name.  A process is
 * (pid, 0): no thread has tid 0. */
struct seen {
	uint32_t pid, tid;
	bool named;
};
struct chrome {
	struct rpt_idmap index;
	struct seen *v;
	size_t n, cap;
};

static struct seen *seen_get(struct chrome *ch, uint32_t pid, uint32_t tid)
{
	bool fresh;
	uint32_t i = rpt_idmap_get(&ch->index, (uint64_t)pid << 32 | tid,
				   (uint32_t)ch->n, &fresh);
	if (fresh) {
		if (ch->n == ch->cap) {
			ch->cap = ch->cap ? ch->cap * 2 : 16;
			ch->v = realloc(ch->v, ch->cap * sizeof(*ch->v));
			if (!ch->v)
				abort();
		}
		ch->v[ch->n++] = (struct seen){ pid, tid, false };
	}
	return &ch->v[i];
}

struct event {
	const struct rpt_call *c;
	struct rpt_kv kv[RPT_MAX_KV];
	size_t nkv;
};

static size_t put_event(char *buf, size_t len, const void *arg)
{
	const struct event *e = arg;
	const struct rpt_call *c = e->c;
	uint32_t api = VT_FUNC_API(c->fn->id);
	size_t n = rpt_put_str(buf, len, 0, "{\"name\":");
	n = rpt_put_json(buf, len, n, c->fn->name);
	n = rpt_put_str(buf, len, n, ",\"cat\":\"");
	n = rpt_put_str(buf, len, n, vt_api_name(api));
	n = rpt_put_str(buf, len, n, "\",\"ph\":\"X\",\"ts\":");
	n = rpt_put_us(buf, len, n, c->start_ns);
	n = rpt_put_str(buf, len, n, ",\"dur\":");
	n = rpt_put_us(buf, len, n, c->end_ns - c->start_ns);
	n = rpt_put_str(buf, len, n, ",\"pid\":");
	n = rpt_put_u64(buf, len, n, c->pid);
	n = rpt_put_str(buf, len, n, ",\"tid\":");
	n = rpt_put_u64(buf, len, n, c->tid);
	n = rpt_put_str(buf, len, n, ",\"args\":{");
	for (size_t i = 0; i < e->nkv; i++) {
		if (i)
			n = rpt_put_char(buf, len, n, ',');
		if (e->kv[i].key) {
			n = rpt_put_json(buf, len, n, e->kv[i].key);
		} else {
			n = rpt_put_str(buf, len, n, "\"arg");
			n = rpt_put_u64(buf, len, n, i);
			n = rpt_put_char(buf, len, n, '"');
		}
		n = rpt_put_char(buf, len, n, ':');
		n = rpt_put_json(buf, len, n, e->kv[i].value);
	}
	const char *comma = e->nkv ? "," : "";
	if (c->unfinished) {
		n = rpt_put_str(buf, len, n, comma);
		n = rpt_put_str(buf, len, n, "\"unfinished\":true");
	} else if (!rpt_result_is_plain(c)) {
		char ret[128];
		dec_format_ret(api, c->fn->dec, c->ret, ret, sizeof(ret));
		n = rpt_put_str(buf, len, n, comma);
		n = rpt_put_str(buf, len, n, "\"result\":");
		n = rpt_put_json(buf, len, n, ret);
	}
	if (c->flags & VT_CALL_MISSING)
		n = rpt_put_str(buf, len, n, ",\"missing\":true");
	if (rpt_call_is_probe(c))
		n = rpt_put_str(buf, len, n, ",\"probe\":true");
	return rpt_put_str(buf, len, n, "}}");
}

static void on_call(void *ctx, const struct rpt_call *c)
{
	struct rpt_stream *s = ctx;
	struct chrome *ch = s->priv;
	char args[1024];
	rpt_format_call_args(c->fn, c->args, c->out, c->nout, rpt_call_wrote(c),
			     args, sizeof(args));
	seen_get(ch, c->pid, c->tid);
	sep(s);
	struct event e = { .c = c };
	e.nkv = rpt_split_args(args, e.kv, RPT_MAX_KV);
	rpt_write_built(s->f, put_event, &e);
}

static void on_event(void *ctx, const struct rpt_event *e)
{
	struct rpt_stream *s = ctx;
	const struct vt_rec_event *r = e->rec;
	if (r->pid)
		seen_get(s->priv, r->pid, r->tid ? r->tid : r->pid);
	/* The simulator's notes sit on the thread, inside their call. */
	const char *note = r->kind == VT_EV_NOTE && r->nstr > 1 &&
			   !strcmp(e->s0, "sim") ?
			   vt_rec_string(&r->h, sizeof(*r), 1) : NULL;
	if (r->kind != VT_EV_SYSCALL && r->kind != VT_EV_EXEC &&
	    r->kind != VT_EV_SECURE_EXEC && r->kind != VT_EV_EXIT &&
	    r->kind != VT_EV_OPEN_SERVED && !note)
		return;
	bool on_thread = r->kind == VT_EV_SYSCALL || note;
	sep(s);
	fputs("{\"name\":", s->f);
	if (r->kind == VT_EV_SYSCALL) {
		rpt_json_str(s->f, e->s0);
	} else if (note) {
		char nm[4200];
		snprintf(nm, sizeof(nm), "sim: %s", note);
		rpt_json_str(s->f, nm);
	} else {
		char nm[4200];
		snprintf(nm, sizeof(nm), "%s %s", vt_event_kind_name(r->kind), e->s0);
		rpt_json_str(s->f, nm);
	}
	fprintf(s->f, ",\"cat\":\"%s\",\"ph\":\"i\",\"s\":\"%s\",\"ts\":",
		r->kind == VT_EV_SYSCALL ? "syscall" : note ? "sim" : "supervisor",
		on_thread ? "t" : "p");
	char us[32];
	fwrite_unlocked(us, 1, rpt_put_us(us, sizeof(us), 0, e->ts_ns), s->f);
	fprintf(s->f, ",\"pid\":%u,\"tid\":%u,\"args\":{\"result\":%d}}",
		r->pid, r->tid ? r->tid : r->pid, r->result);
}

static void on_thread(void *ctx, uint32_t pid, uint32_t tid, const char *name)
{
	struct rpt_stream *s = ctx;
	if (!*name)
		return;
	seen_get(s->priv, pid, tid)->named = true;
	sep(s);
	fprintf(s->f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,"
		"\"tid\":%u,\"args\":{\"name\":", pid, tid);
	rpt_json_str(s->f, name);
	fputs("}}", s->f);
}

struct rpt_stream *rpt_chrome_begin(FILE *f, struct rpt_sink *sink)
{
	struct rpt_stream *s = rpt_calloc(1, sizeof(*s));
	s->f = f;
	s->priv = rpt_calloc(1, sizeof(struct chrome));
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
	*sink = (struct rpt_sink){ s, on_call, on_event, on_thread };
	return s;
}

static const char *exec_base(const struct rpt_view *v, uint32_t pid)
{
	for (size_t i = 0; i < v->nprocs; i++) {
		const struct rpt_process *p = v->procs[i];
		if (p->pid != pid || !p->nexec)
			continue;
		const char *name = p->execs[p->nexec - 1].path;
		const char *base = strrchr(name, '/');
		return base ? base + 1 : name;
	}
	return NULL;
}

void rpt_chrome_finish(struct rpt_stream *s, const struct rpt_view *v)
{
	struct chrome *ch = s->priv;
	/* Every process seen gets a name: its program, else its pid.  Pid 0
	 * holds the threads whose process the trace never said. */
	for (size_t i = 0; i < v->nprocs; i++)
		seen_get(ch, v->procs[i]->pid, 0);
	for (size_t i = 0, n = ch->n; i < n; i++)
		if (ch->v[i].tid)
			seen_get(ch, ch->v[i].pid, 0);
	for (size_t i = 0; i < ch->n; i++) {
		const struct seen *t = &ch->v[i];
		if (t->tid)
			continue;
		const char *base = exec_base(v, t->pid);
		char label[512];
		if (base)
			snprintf(label, sizeof(label), "%s (pid %u)", base, t->pid);
		else if (t->pid)
			snprintf(label, sizeof(label), "pid %u", t->pid);
		else
			snprintf(label, sizeof(label), "unknown process");
		sep(s);
		fprintf(s->f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,"
			"\"args\":{\"name\":", t->pid);
		rpt_json_str(s->f, label);
		fputs("}}", s->f);
	}
	/* Threads the trace never named (no VT_REC_THREAD): the main thread
	 * by its program, the others by tid. */
	for (size_t i = 0; i < ch->n; i++) {
		const struct seen *t = &ch->v[i];
		if (t->named || !t->tid)
			continue;
		const char *base = exec_base(v, t->pid);
		char label[512];
		if (t->pid == t->tid)
			snprintf(label, sizeof(label), "%s", base ? base : "main");
		else
			snprintf(label, sizeof(label), "thread %u", t->tid);
		sep(s);
		fprintf(s->f, "{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%u,"
			"\"tid\":%u,\"args\":{\"name\":", t->pid, t->tid);
		rpt_json_str(s->f, label);
		fputs("}}", s->f);
	}
	rpt_idmap_free(&ch->index);
	free(ch->v);
	free(ch);
	fputs("\n],\"otherData\":{\"generator\":\"vgpu-run report\",\"trace_end\":", s->f);
	rpt_json_str(s->f, v->end == VT_READ_EOF ? "complete" : v->end_msg);
	fprintf(s->f, ",\"calls\":%" PRIu64 "}}\n", v->calls);
	free(s);
}
