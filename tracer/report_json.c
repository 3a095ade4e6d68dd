/* JSON report, schema "vgpu-run-report" version 1 (documented in
 * tracer/README-report.md).  Everything in it is bounded (no per-call
 * array): per-call data goes to csv or chrome. */
#include <inttypes.h>
#include <stdlib.h>

#include "export_table_ids.h"
#include "report.h"

#define JSON_SCHEMA_VERSION 1

static void kv_str(FILE *f, const char *k, const char *v, bool comma)
{
	fprintf(f, "%s\"%s\":", comma ? "," : "", k);
	if (v)
		rpt_json_str(f, v);
	else
		fputs("null", f);
}

static void write_funcs(FILE *f, const struct rpt_view *v)
{
	fputs(",\"functions\":[", f);
	for (size_t i = 0; i < v->nfuncs; i++) {
		const struct rpt_func *fn = v->funcs[i];
		uint64_t timed = fn->calls - fn->unfinished;
		fprintf(f, "%s{", i ? "," : "");
		kv_str(f, "name", fn->name, false);
		kv_str(f, "api", vt_api_name(VT_FUNC_API(fn->id)), true);
		fprintf(f, ",\"id\":%u,\"calls\":%" PRIu64 ",\"errors\":%" PRIu64
			",\"missing\":%" PRIu64 ",\"injected\":%" PRIu64
			",\"unfinished\":%" PRIu64 ",\"total_ns\":%" PRIu64
			",\"mean_ns\":%" PRIu64 ",\"p50_ns\":%" PRIu64
			",\"p99_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
			",\"syscalls\":%" PRIu64 ",\"probes\":%" PRIu64 "}",
			fn->id, fn->calls, fn->errors, fn->missing, fn->injected,
			fn->unfinished, fn->total_ns, timed ? fn->total_ns / timed : 0,
			rpt_percentile(fn, 50), rpt_percentile(fn, 99), fn->max_ns,
			fn->syscalls, fn->probes);
	}
	fputc(']', f);
}

static void write_procs(FILE *f, const struct rpt_view *v)
{
	fputs(",\"processes\":[", f);
	for (size_t i = 0; i < v->nprocs; i++) {
		const struct rpt_process *p = v->procs[i];
		char st[64];
		rpt_fmt_status(p->status, st, sizeof(st));
		fprintf(f, "%s{\"pid\":%u,\"calls\":%" PRIu64 ",\"threads\":%u,"
			"\"exited\":%s", i ? "," : "", p->pid, p->calls,
			p->nthreads, p->exited ? "true" : "false");
		if (p->ppid)
			fprintf(f, ",\"ppid\":%u", p->ppid);
		else
			fputs(",\"ppid\":null", f);
		if (p->exited) {
			fprintf(f, ",\"wait_status\":%d", p->status);
			kv_str(f, "status", st, true);
		}
		fputs(",\"execs\":[", f);
		for (unsigned k = 0; k < p->nexec; k++) {
			const struct rpt_exec *x = &p->execs[k];
			fprintf(f, "%s{", k ? "," : "");
			kv_str(f, "path", x->path, false);
			kv_str(f, "argv", x->argv, true);
			fprintf(f, ",\"setid_mode\":%" PRIu64 ",\"owner\":%d,"
				"\"secure\":%s,\"nnp_ignored\":%s}", x->mode,
				x->owner, x->secure ? "true" : "false",
				x->nnp_ignored ? "true" : "false");
		}
		fputs("]}", f);
	}
	fputc(']', f);
}

static void write_libs(FILE *f, const struct rpt_view *v)
{
	fputs(",\"libraries\":[", f);
	for (size_t i = 0; i < v->nlibs; i++) {
		const struct rpt_library *l = v->libs[i];
		fprintf(f, "%s{", i ? "," : "");
		kv_str(f, "name", l->name, false);
		kv_str(f, "served", l->served, true);
		kv_str(f, "rule", l->rule, true);
		fprintf(f, ",\"requests\":%" PRIu64 ",\"served_count\":%" PRIu64
			",\"tried\":[", l->asked, l->served_count);
		for (unsigned k = 0; k < l->ntried; k++) {
			if (k)
				fputc(',', f);
			rpt_json_str(f, l->tried[k]);
		}
		fputs("]}", f);
	}
	fputs("],\"routes\":[", f);
	for (size_t i = 0; i < v->nroutes; i++) {
		if (i)
			fputc(',', f);
		rpt_json_str(f, v->routes[i]);
	}
	fputc(']', f);
}

static void write_errors(FILE *f, const struct rpt_view *v)
{
	fputs(",\"errors\":[", f);
	for (size_t i = 0; i < v->nerrors; i++) {
		const struct rpt_error *e = v->errors[i];
		char args[1024], ret[128];
		/* A failing call writes nothing: show where it would have written. */
		rpt_format_call_args(e->fn, e->args, e->out, e->nout, false, args,
				     sizeof(args));
		dec_format_ret(VT_FUNC_API(e->fn->id), e->fn->dec, e->ret, ret, sizeof(ret));
		fprintf(f, "%s{", i ? "," : "");
		kv_str(f, "function", e->fn->name, false);
		fprintf(f, ",\"return\":%d", (int)(uint32_t)e->ret);
		kv_str(f, "return_name", ret, true);
		kv_str(f, "args", args, true);
		fprintf(f, ",\"count\":%" PRIu64 ",\"missing\":%s,\"injected\":%s,"
			"\"pid\":%u,\"tid\":%u,\"start_ns\":%" PRIu64
			",\"callsite\":%" PRIu64 ",\"syscalls\":[",
			e->count, e->flags & VT_CALL_MISSING ? "true" : "false",
			e->flags & VT_CALL_INJECTED ? "true" : "false",
			e->pid, e->tid, e->start_ns, e->callsite);
		for (unsigned k = 0; k < e->nsys; k++) {
			fprintf(f, "%s{", k ? "," : "");
			kv_str(f, "call", e->sys[k].text, false);
			fprintf(f, ",\"result\":%" PRId64 "}", e->sys[k].result);
		}
		fputs("]}", f);
	}
	fputc(']', f);
	fputs(",\"unfinished\":[", f);
	for (size_t i = 0; i < v->nopen; i++) {
		const struct rpt_call *c = &v->open_calls[i];
		fprintf(f, "%s{", i ? "," : "");
		kv_str(f, "function", c->fn->name, false);
		fprintf(f, ",\"pid\":%u,\"tid\":%u,\"start_ns\":%" PRIu64 "}",
			c->pid, c->tid, c->start_ns);
	}
	fputc(']', f);
}

static void write_probes(FILE *f, const struct rpt_view *v)
{
	fputs(",\"export_tables\":[", f);
	for (size_t i = 0; i < v->ntables; i++) {
		const struct rpt_export_table *t = &v->tables[i];
		char id[40];
		rpt_uuid_str(t->id, id, sizeof(id));
		fprintf(f, "%s{", i ? "," : "");
		kv_str(f, "id", id, false);
		kv_str(f, "name", export_table_name(t->id), true);
		fprintf(f, ",\"requests\":%" PRIu64 ",\"found\":%" PRIu64 "}",
			t->calls, t->found);
	}
	fputs("],\"sim_notes\":[", f);
	for (size_t i = 0; i < v->nsim_notes; i++) {
		const struct rpt_sim_note *n = &v->sim_notes[i];
		fprintf(f, "%s{", i ? "," : "");
		kv_str(f, "text", n->text, false);
		kv_str(f, "function", n->fn ? n->fn->name : NULL, true);
		fprintf(f, ",\"count\":%" PRIu64 ",\"pid\":%u,\"tid\":%u,"
			"\"start_ns\":%" PRIu64 "}", n->count, n->pid, n->tid,
			n->ts_ns);
	}
	const struct rpt_procaddr *pa = &v->procaddr;
	fprintf(f, "],\"lookups\":{\"calls\":%" PRIu64 ",\"max_version\":%u,"
		"\"static_runtime\":%s}", pa->calls, pa->max_version,
		rpt_static_runtime(v) ? "true" : "false");
}

static void write_rest(FILE *f, const struct rpt_view *v)
{
	fputs(",\"syscalls\":[", f);
	for (size_t i = 0; i < v->nsyscalls; i++) {
		const struct rpt_syscall *s = v->syscalls[i];
		fprintf(f, "%s{", i ? "," : "");
		kv_str(f, "name", s->name, false);
		fprintf(f, ",\"count\":%" PRIu64 ",\"failed\":%" PRIu64
			",\"in_calls\":%" PRIu64 "}", s->count, s->failed,
			s->attributed);
	}
	fprintf(f, "],\"syscalls_outside_calls\":%" PRIu64, v->syscalls_unattributed);
	fputs(",\"callsites\":[", f);
	for (size_t i = 0; i < v->ncallsites; i++) {
		const struct rpt_callsite *cs = v->callsites[i];
		fprintf(f, "%s{\"id\":%" PRIu64 ",\"pid\":%u,\"calls\":%" PRIu64
			",\"frames\":[", i ? "," : "", cs->id, cs->pid, cs->calls);
		for (unsigned k = 0; k < cs->nframes; k++) {
			char sym[4400];
			rpt_symbolize(cs->frames[k], sym, sizeof(sym));
			if (k)
				fputc(',', f);
			rpt_json_str(f, sym);
		}
		fputs("]}", f);
	}
	fputs("],\"diagnosis\":[", f);
	struct rpt_finding *fd;
	size_t n = rpt_diagnose(v, &fd);
	for (size_t i = 0; i < n; i++) {
		if (i)
			fputc(',', f);
		rpt_json_str(f, fd[i].text);
	}
	rpt_findings_free(fd, n);
	fputc(']', f);
}

void rpt_write_json(FILE *f, const struct rpt_view *v)
{
	static const char *const ends[] = {
		[VT_READ_OK] = "ok", [VT_READ_EOF] = "complete",
		[VT_READ_TRUNCATED] = "truncated", [VT_READ_CORRUPT] = "corrupt",
		[VT_READ_IOERR] = "io-error",
	};
	fprintf(f, "{\"schema\":\"vgpu-run-report\",\"version\":%d",
		JSON_SCHEMA_VERSION);
	fputs(",\"trace\":{", f);
	kv_str(f, "path", v->path, false);
	fprintf(f, ",\"records\":%" PRIu64 ",\"bytes\":%" PRIu64, v->records, v->bytes);
	kv_str(f, "end", ends[v->end], true);
	kv_str(f, "end_message", v->end == VT_READ_EOF ? NULL : v->end_msg, true);
	kv_str(f, "command", v->start_argv, true);
	if (v->series)
		kv_str(f, "series", v->series, true);
	fprintf(f, ",\"realtime_ns\":%" PRIu64 ",\"duration_ns\":%" PRIu64
		",\"lossy\":%s,\"dropped\":%" PRIu64 "}", v->realtime_ns,
		v->duration_ns, v->lossy ? "true" : "false", v->drops);
	fprintf(f, ",\"totals\":{\"calls\":%" PRIu64 ",\"errors\":%" PRIu64
		",\"unfinished\":%" PRIu64 ",\"probes\":%" PRIu64 "}", v->calls,
		v->call_errors, v->unfinished, v->probes);
	write_funcs(f, v);
	write_procs(f, v);
	write_libs(f, v);
	write_errors(f, v);
	write_probes(f, v);
	write_rest(f, v);
	fputs("}\n", f);
}
