/* The text report and the strace -c style summary. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "export_table_ids.h"
#include "report.h"
#include "text_escape.h"

/* Everything in a trace came from the traced program: each string goes
 * out escaped (text_escape.h).  Results live until VIS_SLOTS more calls,
 * enough for the strings of one fprintf. */
#define VIS_SLOTS 8
static const char *vis(const char *s)
{
	static char *slot[VIS_SLOTS];
	static unsigned next;
	if (!s || !text_needs_escape(s))
		return s ? s : "";
	char *e = text_escape_dup(s);
	if (!e)
		return "(out of memory)";
	free(slot[next]);
	slot[next] = e;
	next = (next + 1) % VIS_SLOTS;
	return e;
}

/* Calls still open at a clean end never returned; at a cut end their
 * return may be among what was lost. */
static const char *unfinished_word(const struct rpt_view *v)
{
	return v->end == VT_READ_EOF ? "never returned" :
	       "unfinished when the trace ends";
}

static void section(FILE *f, const char *title)
{
	fprintf(f, "\n== %s\n", title);
}

static const char *api_label(uint32_t id)
{
	return vt_api_name(VT_FUNC_API(id));
}

void rpt_write_summary(FILE *f, const struct rpt_view *v, enum rpt_sort s)
{
	struct rpt_func **fs = rpt_sorted_funcs(v, s);
	uint64_t total = 0, calls = 0, errors = 0;
	for (size_t i = 0; i < v->nfuncs; i++)
		total += fs[i]->total_ns;
	fprintf(f, "%6s %12s %10s %8s %10s %10s %10s %10s  %-8s %s\n",
		"% time", "total", "calls", "errors", "mean", "p50", "p99",
		"max", "api", "function");
	fprintf(f, "------ ------------ ---------- -------- ---------- ---------- "
		"---------- ----------  -------- --------------------\n");
	for (size_t i = 0; i < v->nfuncs; i++) {
		const struct rpt_func *fn = fs[i];
		char tot[32], mean[32], p50[32], p99[32], max[32];
		uint64_t timed = fn->calls - fn->unfinished;
		rpt_fmt_ns(fn->total_ns, tot, sizeof(tot));
		rpt_fmt_ns(timed ? fn->total_ns / timed : 0, mean, sizeof(mean));
		rpt_fmt_ns(rpt_percentile(fn, 50), p50, sizeof(p50));
		rpt_fmt_ns(rpt_percentile(fn, 99), p99, sizeof(p99));
		rpt_fmt_ns(fn->max_ns, max, sizeof(max));
		char probes[64] = "";
		if (fn->probes)
			snprintf(probes, sizeof(probes), " [%" PRIu64 " probe%s]",
				 fn->probes, fn->probes == 1 ? "" : "s");
		fprintf(f, "%6.2f %12s %10" PRIu64 " %8" PRIu64 " %10s %10s %10s %10s  %-8s %s%s%s\n",
			total ? 100.0 * (double)fn->total_ns / (double)total : 0.0,
			tot, fn->calls, fn->errors, mean, p50, p99, max,
			api_label(fn->id), vis(fn->name),
			fn->missing ? " [missing in backend]" : "", probes);
		calls += fn->calls;
		errors += fn->errors;
	}
	char tot[32];
	rpt_fmt_ns(total, tot, sizeof(tot));
	fprintf(f, "------ ------------ ---------- -------- ---------- ---------- "
		"---------- ----------  -------- --------------------\n");
	fprintf(f, "100.00 %12s %10" PRIu64 " %8" PRIu64 " %10s %10s %10s %10s  %-8s total\n",
		tot, calls, errors, "", "", "", "", "");
	free(fs);
}

static void write_header(FILE *f, const struct rpt_view *v)
{
	time_t t = (time_t)(v->realtime_ns / 1000000000ull);
	struct tm tm;
	char when[64] = "?";
	if (gmtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	char dur[32];
	rpt_fmt_ns(v->duration_ns, dur, sizeof(dur));
	fprintf(f, "vgpu-run trace report: %s\n", vis(v->path));
	fprintf(f, "started %s, spans %s, %" PRIu64 " records, %" PRIu64 " bytes\n",
		when, dur, v->records, v->bytes);
	if (v->start_argv)
		fprintf(f, "command: %s\n", vis(v->start_argv));
	if (v->series)
		fprintf(f, "series: %s\n", vis(v->series));
	if (v->end == VT_READ_EOF)
		fprintf(f, "trace complete (end record present)%s%s\n",
			*v->end_msg ? "; warning: " : "", vis(v->end_msg));
	else
		fprintf(f, "TRACE INCOMPLETE: %s\n", vis(v->end_msg));
	fprintf(f, "%" PRIu64 " calls, %" PRIu64 " failed, %" PRIu64
		" %s, %" PRIu64 " dropped\n",
		v->calls, v->call_errors, v->unfinished, unfinished_word(v),
		v->drops);
	if (v->probes)
		fprintf(f, "%" PRIu64 " probes: look-ups a runtime expects to come "
			"back \"not found\" (not errors; see Probes)\n", v->probes);
}

static void write_process(FILE *f, const struct rpt_view *v,
			  const struct rpt_process *p, int depth)
{
	char st[64];
	/* Only orphans and the first child are reaped by vgpu-run; the
	 * others' parents collect their status. */
	snprintf(st, sizeof(st), "%s", v->end == VT_READ_EOF ?
		 "exit not seen (reaped by its parent)" :
		 "no exit before the trace ends");
	if (p->exited)
		rpt_fmt_status(p->status, st, sizeof(st));
	int in = 2 * depth;
	char parent[32] = "";
	if (depth)
		snprintf(parent, sizeof(parent), " (child of %u)", p->ppid);
	fprintf(f, "%*spid %u%s: %s; %" PRIu64 " calls, %u thread(s)\n", in, "",
		p->pid, parent, st, p->calls, p->nthreads);
	for (unsigned k = 0; k < p->nexec; k++) {
		const struct rpt_exec *x = &p->execs[k];
		fprintf(f, "%*s  exec %s\n%*s    argv: %s\n", in, "", vis(x->path),
			in, "", vis(x->argv));
		if (x->mode)
			fprintf(f, "%*s    %s%s owner uid %d: %s\n", in, "",
				x->mode & 04000 ? "set-uid" : "",
				x->mode & 02000 ? (x->mode & 04000 ? "+set-gid" : "set-gid") : "",
				x->owner,
				x->secure ? "secure execution (LD_* variables stripped)" :
				x->nnp_ignored ? "ignored under no_new_privs" :
				"privileges not applied");
	}
	if (p->more_execs)
		fprintf(f, "%*s  ... %" PRIu64 " more execs\n", in, "", p->more_execs);
}

/* Children follow their parent, indented; a process whose parent is not in
 * the trace (the program itself, or one whose parent never exec'd under
 * us) starts a tree.  Past a few thousand processes the list stays flat:
 * finding children is a scan per process. */
#define TREE_MAX_PROCS 4096
#define TREE_MAX_DEPTH 32

static bool in_trace(const struct rpt_view *v, uint32_t pid)
{
	for (size_t i = 0; pid && i < v->nprocs; i++)
		if (v->procs[i]->pid == pid)
			return true;
	return false;
}

static void write_subtree(FILE *f, const struct rpt_view *v, size_t at,
			  int depth, bool *done)
{
	done[at] = true;
	write_process(f, v, v->procs[at], depth);
	if (depth == TREE_MAX_DEPTH)
		return;
	for (size_t i = 0; i < v->nprocs; i++)
		if (!done[i] && v->procs[i]->ppid == v->procs[at]->pid)
			write_subtree(f, v, i, depth + 1, done);
}

static void write_processes(FILE *f, const struct rpt_view *v)
{
	section(f, "Processes");
	bool *done = v->nprocs <= TREE_MAX_PROCS ?
		     rpt_calloc(v->nprocs + 1, sizeof(bool)) : NULL;
	for (size_t i = 0; done && i < v->nprocs; i++)
		if (!done[i] && !in_trace(v, v->procs[i]->ppid))
			write_subtree(f, v, i, 0, done);
	/* Whatever no tree reached (no tree at all, or pids reused into a
	 * loop) is listed flat. */
	for (size_t i = 0; i < v->nprocs; i++)
		if (!done || !done[i])
			write_process(f, v, v->procs[i], 0);
	free(done);
	if (!v->nprocs)
		fprintf(f, "(no process events in this trace)\n");
}

static void write_tried(FILE *f, const struct rpt_library *l)
{
	for (unsigned k = 0; k < l->ntried; k++)
		fprintf(f, "    %s\n", vis(l->tried[k]));
	if (l->more_tried)
		fprintf(f, "    ... %" PRIu64 " more\n", l->more_tried);
}

/* Served libraries, then CUDA/NVML ones that were not, then any library
 * that was never found; the many that simply loaded are counted. */
static void write_libraries(FILE *f, const struct rpt_view *v)
{
	section(f, "Libraries");
	size_t plain = 0;
	for (size_t i = 0; i < v->nlibs; i++) {
		const struct rpt_library *l = v->libs[i];
		if (l->served)
			fprintf(f, "%s: served %s by rule %s (%" PRIu64 " of %" PRIu64
				" requests)\n", vis(l->name), vis(l->served), vis(l->rule),
				l->served_count, l->asked);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < v->nlibs; i++) {
			const struct rpt_library *l = v->libs[i];
			if (l->served || rpt_library_is_cuda(l) != (pass == 0))
				continue;
			/* Whether a path exists is checked here, on the
			 * report's host: the supervisor let these opens through. */
			const char *found = rpt_library_found(l);
			if (found && pass == 1) {
				plain++;
				continue;
			}
			if (found)
				fprintf(f, "%s: not redirected; opened %s (%" PRIu64
					" requests)\n", vis(l->name), vis(found), l->asked);
			else
				fprintf(f, "%s: not redirected and never found; "
					"%" PRIu64 " path(s) tried:\n", vis(l->name),
					l->ntried + l->more_tried);
			if (!found)
				write_tried(f, l);
		}
	}
	if (plain)
		fprintf(f, "%zu other librar%s loaded from the usual paths "
			"(not redirected; listed in the JSON report)\n", plain,
			plain == 1 ? "y" : "ies");
	if (!v->nlibs)
		fprintf(f, "(no library was opened under supervision)\n");
	if (v->nroutes)
		fprintf(f, "Interposer routes:\n");
	for (size_t i = 0; i < v->nroutes; i++)
		fprintf(f, "  %s\n", vis(v->routes[i]));
}

static void write_callsite_line(FILE *f, const struct rpt_view *v, uint64_t id,
				const char *indent)
{
	for (size_t i = 0; i < v->ncallsites; i++) {
		const struct rpt_callsite *cs = v->callsites[i];
		if (cs->id != id)
			continue;
		for (unsigned k = 0; k < cs->nframes && k < 4; k++) {
			char sym[4400];
			rpt_symbolize(cs->frames[k], sym, sizeof(sym));
			fprintf(f, "%s%s %s\n", indent, k ? "   " : "at", vis(sym));
		}
		return;
	}
}

static void write_errors(FILE *f, const struct rpt_view *v)
{
	section(f, "Errors");
	for (size_t i = 0; i < v->nerrors; i++) {
		const struct rpt_error *e = v->errors[i];
		char args[1024], ret[128], when[32];
		/* A failing call writes nothing: show where it would have written. */
		rpt_format_call_args(e->fn, e->args, e->out, e->nout, false, args,
				     sizeof(args));
		dec_format_ret(VT_FUNC_API(e->fn->id), e->fn->dec, e->ret, ret, sizeof(ret));
		rpt_fmt_ns(e->start_ns, when, sizeof(when));
		fprintf(f, "%s(%s) = %s%s\n", vis(e->fn->name), vis(args), vis(ret),
			e->flags & VT_CALL_MISSING ? " [the backend lacks this function]" :
			e->flags & VT_CALL_INJECTED ? " [injected]" : "");
		fprintf(f, "    %" PRIu64 " time(s); first at +%s in pid %u tid %u\n",
			e->count, when, e->pid, e->tid);
		for (unsigned k = 0; k < e->nsys; k++) {
			int en = (int)-e->sys[k].result;
			fprintf(f, "    inside: %s = -1 %s (%s)\n", vis(e->sys[k].text),
				strerrorname_np(en) ? strerrorname_np(en) : "?",
				strerror(en));
		}
		for (size_t k = 0; k < v->nsim_notes; k++)
			if (v->sim_notes[k].fn == e->fn)
				fprintf(f, "    simulator: %s\n", vis(v->sim_notes[k].text));
		if (e->callsite)
			write_callsite_line(f, v, e->callsite, "    ");
	}
	if (v->errors_dropped)
		fprintf(f, "... %" PRIu64 " more distinct failures not kept\n",
			v->errors_dropped);
	if (!v->nerrors)
		fprintf(f, "(no call failed)\n");
	for (size_t i = 0; i < v->nopen; i++) {
		const struct rpt_call *c = &v->open_calls[i];
		char args[1024];
		dec_format_args(c->fn->dec, c->args, NULL, 0, args, sizeof(args));
		fprintf(f, "%s(%s) %s (pid %u tid %u)\n", vis(c->fn->name),
			vis(args), unfinished_word(v), c->pid, c->tid);
	}
}

static void write_probes(FILE *f, const struct rpt_view *v)
{
	if (!v->probes && !v->ntables)
		return;
	section(f, "Probes");
	for (size_t i = 0; i < v->nfuncs; i++) {
		const struct rpt_func *fn = v->funcs[i];
		if (fn->role == RPT_ROLE_PROCADDR && fn->probes)
			fprintf(f, "%s: %" PRIu64 " of %" PRIu64 " look-ups found "
				"nothing (a runtime asks for every function it "
				"knows, at each version it knows)\n", fn->name,
				fn->probes, fn->calls);
		else if (fn->probes)
			fprintf(f, "%s: %" PRIu64 " of %" PRIu64 " requests for a "
				"table the driver does not have\n", fn->name,
				fn->probes, fn->calls);
	}
	if (v->ntables)
		fprintf(f, "Export tables asked for:\n");
	for (size_t i = 0; i < v->ntables; i++) {
		const struct rpt_export_table *t = &v->tables[i];
		char id[40];
		rpt_uuid_str(t->id, id, sizeof(id));
		const char *name = export_table_name(t->id);
		fprintf(f, "  %s%s%s%s: %" PRIu64 " request(s), %s\n", id,
			name ? " (" : "", name ? name : "", name ? ")" : "",
			t->calls, t->found == t->calls ? "found" :
			t->found ? "sometimes found" : "not found");
	}
}

static void write_sim_notes(FILE *f, const struct rpt_view *v)
{
	if (!v->nsim_notes)
		return;
	section(f, "Simulator notes");
	for (size_t i = 0; i < v->nsim_notes; i++) {
		const struct rpt_sim_note *n = &v->sim_notes[i];
		char when[32];
		rpt_fmt_ns(n->ts_ns, when, sizeof(when));
		fprintf(f, "%s%s (pid %u tid %u, first at +%s, %" PRIu64
			" time(s)): %s\n", n->fn ? "in " : "",
			n->fn ? n->fn->name : "outside any traced call",
			n->pid, n->tid, when, n->count, vis(n->text));
	}
	if (v->sim_notes_dropped)
		fprintf(f, "... %" PRIu64 " more notes not kept\n",
			v->sim_notes_dropped);
}

static void write_syscalls(FILE *f, const struct rpt_view *v)
{
	if (!v->nsyscalls)
		return;
	section(f, "Syscalls (--trace-syscalls)");
	fprintf(f, "%10s %8s %10s  %s\n", "count", "failed", "in calls", "syscall");
	for (size_t i = 0; i < v->nsyscalls; i++) {
		const struct rpt_syscall *s = v->syscalls[i];
		fprintf(f, "%10" PRIu64 " %8" PRIu64 " %10" PRIu64 "  %s\n",
			s->count, s->failed, s->attributed, vis(s->name));
	}
	fprintf(f, "%" PRIu64 " syscall(s) happened outside any traced call\n",
		v->syscalls_unattributed);
}

static void write_callsites(FILE *f, const struct rpt_view *v)
{
	if (!v->ncallsites)
		return;
	section(f, "Call sites");
	for (size_t i = 0; i < v->ncallsites && i < 50; i++) {
		const struct rpt_callsite *cs = v->callsites[i];
		const char *first = "?";
		for (size_t k = 0; k < v->nfuncs; k++)
			if (v->funcs[k]->id == cs->first_func)
				first = v->funcs[k]->name;
		fprintf(f, "#%" PRIu64 ": %" PRIu64 " call(s), first %s (pid %u)\n",
			cs->id, cs->calls, vis(first), cs->pid);
		for (unsigned k = 0; k < cs->nframes && k < 8; k++) {
			char sym[4400];
			rpt_symbolize(cs->frames[k], sym, sizeof(sym));
			fprintf(f, "    %s\n", vis(sym));
		}
	}
	if (v->ncallsites > 50)
		fprintf(f, "... %zu more call sites\n", v->ncallsites - 50);
}

void rpt_write_text(FILE *f, const struct rpt_view *v, enum rpt_sort s)
{
	write_header(f, v);
	write_processes(f, v);
	write_libraries(f, v);
	section(f, "Per-API summary");
	rpt_write_summary(f, v, s);
	write_errors(f, v);
	write_probes(f, v);
	write_sim_notes(f, v);
	write_syscalls(f, v);
	section(f, "Diagnosis");
	struct rpt_finding *fd;
	size_t n = rpt_diagnose(v, &fd);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "* %s\n", vis(fd[i].text));
	if (!n)
		fprintf(f, "(nothing to report)\n");
	rpt_findings_free(fd, n);
	write_callsites(f, v);
}
