/* Chrome trace-event JSON (the format chrome://tracing and
 * ui.perfetto.dev open), written while the trace is read: one "X"
 * (complete) event per call, so calls nest per thread by time and a
 * runtime call sits over the driver calls it made; syscalls and execs are
 * instant events; thread and process names are metadata at the end. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_stream.h"

static void sep(struct rpt_stream *s)
{
	fputs(s->n++ ? ",\n" : "\n", s->f);
}


struct event {
	const struct rpt_call *c;
	const char *args;
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
	n = rpt_put_str(buf, len, n, ",\"args\":{\"args\":");
	n = rpt_put_json(buf, len, n, e->args);
	if (c->unfinished) {
		n = rpt_put_str(buf, len, n, ",\"unfinished\":true");
	} else {
		char ret[128];
		dec_format_ret(api, c->fn->dec, c->ret, ret, sizeof(ret));
		n = rpt_put_str(buf, len, n, ",\"ret\":");
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
	char args[1024];
	rpt_format_call_args(c->fn, c->args, c->out, c->nout, rpt_call_wrote(c),
			     args, sizeof(args));
	sep(s);
	struct event e = { c, args };
	rpt_write_built(s->f, put_event, &e);
}

static void on_event(void *ctx, const struct rpt_event *e)
{
	struct rpt_stream *s = ctx;
	const struct vt_rec_event *r = e->rec;
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
	fputs("{\"displayTimeUnit\":\"ns\",\"traceEvents\":[", f);
	*sink = (struct rpt_sink){ s, on_call, on_event, on_thread };
	return s;
}

void rpt_chrome_finish(struct rpt_stream *s, const struct rpt_view *v)
{
	for (size_t i = 0; i < v->nprocs; i++) {
		const struct rpt_process *p = v->procs[i];
		const char *name = p->nexec ? p->execs[p->nexec - 1].path : NULL;
		if (!name)
			continue;
		const char *base = strrchr(name, '/');
		char label[512];
		snprintf(label, sizeof(label), "%s (pid %u)", base ? base + 1 : name,
			 p->pid);
		sep(s);
		fprintf(s->f, "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%u,"
			"\"args\":{\"name\":", p->pid);
		rpt_json_str(s->f, label);
		fputs("}}", s->f);
	}
	fputs("\n],\"otherData\":{\"generator\":\"vgpu-run report\",\"trace_end\":", s->f);
	rpt_json_str(s->f, v->end == VT_READ_EOF ? "complete" : v->end_msg);
	fprintf(s->f, ",\"calls\":%" PRIu64 "}}\n", v->calls);
	free(s);
}
