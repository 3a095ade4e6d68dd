/* Diagnosis: plain-language findings drawn from the model, most
 * consequential first. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "export_table_ids.h"
#include "report.h"

struct findings {
	struct rpt_finding *v;
	size_t n;
};

__attribute__((format(printf, 2, 3)))
static void add(struct findings *f, const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		abort();
	va_end(ap);
	struct rpt_finding *nv = realloc(f->v, (f->n + 1) * sizeof(*nv));
	if (!nv)
		abort();
	f->v = nv;
	f->v[f->n++].text = s;
}

static bool lib_asked(const struct rpt_view *v, const char *prefix)
{
	for (size_t i = 0; i < v->nlibs; i++)
		if (!strncmp(v->libs[i]->name, prefix, strlen(prefix)))
			return true;
	return false;
}

static bool api_called(const struct rpt_view *v, uint32_t api)
{
	for (size_t i = 0; i < v->nfuncs; i++)
		if (VT_FUNC_API(v->funcs[i]->id) == api)
			return true;
	return false;
}

static const struct rpt_process *proc_of(const struct rpt_view *v, uint32_t pid)
{
	for (size_t i = 0; i < v->nprocs; i++)
		if (v->procs[i]->pid == pid)
			return v->procs[i];
	return NULL;
}

static void diag_trace_end(const struct rpt_view *v, struct findings *f)
{
	if (v->end == VT_READ_TRUNCATED)
		add(f, "the trace is cut short (%s); everything up to there is "
		    "reported", v->end_msg);
	else if (v->end == VT_READ_CORRUPT)
		add(f, "the trace is corrupt (%s): the report covers the records "
		    "before it", v->end_msg);
	if (v->drops)
		add(f, "%llu call records were dropped by lossy trace rings "
		    "(--lossy): counts are lower bounds",
		    (unsigned long long)v->drops);
}

static void diag_setuid(const struct rpt_view *v, struct findings *f)
{
	for (size_t i = 0; i < v->nprocs; i++) {
		const struct rpt_process *p = v->procs[i];
		for (unsigned k = 0; k < p->nexec; k++) {
			const struct rpt_exec *x = &p->execs[k];
			if (x->secure)
				add(f, "LD_PRELOAD was stripped by the set-uid step %s "
				    "(pid %u): secure execution drops LD_* variables, "
				    "so only libraries served by vgpu-run reach what "
				    "it runs", x->path, p->pid);
			else if (x->nnp_ignored)
				add(f, "the set-uid bit of %s (pid %u) was ignored: "
				    "vgpu-run ran without CAP_SYS_ADMIN and needed "
				    "no_new_privs", x->path, p->pid);
		}
	}
}

static void diag_libraries(const struct rpt_view *v, struct findings *f)
{
	bool any_exec = false;
	for (size_t i = 0; i < v->nprocs && !any_exec; i++)
		any_exec = v->procs[i]->nexec > 0;
	if (!any_exec && !v->calls)
		return;	/* nothing ran: nothing to say about libraries */
	bool rt = lib_asked(v, "libcudart.so") || api_called(v, VT_API_CUDART12) ||
		  api_called(v, VT_API_CUDART13);
	bool drv = lib_asked(v, "libcuda.so") || api_called(v, VT_API_CUDA);
	if (!rt && rpt_static_runtime(v)) {
		const struct rpt_procaddr *pa = &v->procaddr;
		char when[32];
		rpt_fmt_ns(pa->first_ns, when, sizeof(when));
		add(f, "the program carries a statically linked CUDA %u.%u "
		    "runtime (nvcc's default, -cudart static): libcudart.so "
		    "was never requested, yet %llu driver functions were "
		    "resolved through %s (versions up to %u.%u, flags 0x%llx) "
		    "from +%s and the runtime interface table was asked for.  "
		    "The runtime layer is not visible: its calls are not "
		    "traced, only the driver calls they make (build with "
		    "-cudart shared to trace them)",
		    pa->max_version / 1000, pa->max_version % 1000 / 10,
		    (unsigned long long)pa->calls, pa->fn ? pa->fn->name : "?",
		    pa->max_version / 1000, pa->max_version % 1000 / 10,
		    (unsigned long long)pa->flags, when);
	} else if (!rt) {
		add(f, "libcudart.so was never requested: the program does not "
		    "link the CUDA runtime%s", drv ? " (it uses the driver API "
		    "directly)" : "");
	}
	if (!drv && !rt && !lib_asked(v, "libnvidia-ml.so"))
		add(f, "no CUDA or NVML library was requested at all: the "
		    "program never tried to use a GPU");
	for (size_t i = 0; i < v->nlibs; i++) {
		const struct rpt_library *l = v->libs[i];
		if (l->served || !rpt_library_is_cuda(l))
			continue;
		const char *found = rpt_library_found(l);
		if (found)
			add(f, "%s was not redirected by any rule: the program "
			    "loaded %s itself", l->name, found);
		else
			add(f, "%s was asked for %llu time(s), no rule served it "
			    "and none of the %llu path(s) tried exists on this host",
			    l->name, (unsigned long long)l->asked,
			    (unsigned long long)(l->ntried + l->more_tried));
	}
}

/* The first simulator note written inside a call of fn. */
static const char *sim_note_in(const struct rpt_view *v, const struct rpt_func *fn)
{
	for (size_t i = 0; i < v->nsim_notes; i++)
		if (v->sim_notes[i].fn == fn)
			return v->sim_notes[i].text;
	return NULL;
}

static bool fn_failed(const struct rpt_view *v, const struct rpt_func *fn)
{
	for (size_t i = 0; i < v->nerrors; i++)
		if (v->errors[i]->fn == fn && !(v->errors[i]->flags & VT_CALL_MISSING))
			return true;
	return false;
}

/* Notes the errors above did not carry: in calls that succeeded, or
 * outside any call. */
static void diag_sim_notes(const struct rpt_view *v, struct findings *f)
{
	for (size_t i = 0; i < v->nsim_notes; i++) {
		const struct rpt_sim_note *n = &v->sim_notes[i];
		if (n->fn && fn_failed(v, n->fn) && sim_note_in(v, n->fn) == n->text)
			continue;
		add(f, "the simulator says%s%s: %s", n->fn ? " in " : "",
		    n->fn ? n->fn->name : "", n->text);
	}
}

static void diag_errors(const struct rpt_view *v, struct findings *f)
{
	for (size_t i = 0; i < v->nerrors; i++) {
		const struct rpt_error *e = v->errors[i];
		if (e->flags & VT_CALL_MISSING)
			continue;
		char ret[128];
		dec_format_ret(VT_FUNC_API(e->fn->id), e->fn->dec, e->ret, ret, sizeof(ret));
		char why[1024] = "";
		size_t n = 0;
		for (unsigned k = 0; k < e->nsys && n < sizeof(why); k++)
			n += (size_t)snprintf(why + n, sizeof(why) - n,
					      "%s %s failed with %s",
					      k ? ";" : "; inside it", e->sys[k].text,
					      e->sys[k].result < 0 &&
					      strerrorname_np((int)-e->sys[k].result) ?
					      strerrorname_np((int)-e->sys[k].result) : "?");
		char times[48] = "";
		if (e->count > 1)
			snprintf(times, sizeof(times), " (%llu times)",
				 (unsigned long long)e->count);
		char table[96] = "";
		unsigned char id[16];
		if (rpt_export_id(e->fn, e->out, e->nout, id)) {
			char uuid[40];
			const char *name = export_table_name(id);
			rpt_uuid_str(id, uuid, sizeof(uuid));
			snprintf(table, sizeof(table), " for table %s%s%s%s", uuid,
				 name ? " (" : "", name ? name : "", name ? ")" : "");
		}
		const char *note = sim_note_in(v, e->fn);
		add(f, "%s%s returned %s%s%s%s%s", e->fn->name, table, ret, times,
		    why, note ? "; the simulator says: " : "", note ? note : "");
	}
	if (v->errors_dropped)
		add(f, "%llu more distinct failures are not listed",
		    (unsigned long long)v->errors_dropped);
}

static void diag_missing(const struct rpt_view *v, struct findings *f)
{
	char list[2048];
	size_t n = 0, count = 0;
	list[0] = 0;
	for (size_t i = 0; i < v->nfuncs; i++) {
		const struct rpt_func *fn = v->funcs[i];
		if (!fn->missing)
			continue;
		if (n < sizeof(list))
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
					      count ? ", " : "", fn->name);
		count++;
	}
	if (count)
		add(f, "the backend lacks these functions, which the program "
		    "called: %s", list);
}

static void diag_unfinished(const struct rpt_view *v, struct findings *f)
{
	for (size_t i = 0; i < v->nopen; i++) {
		const struct rpt_call *c = &v->open_calls[i];
		const struct rpt_process *p = proc_of(v, c->pid);
		char st[96] = "";
		if (p && p->exited) {
			char s[64];
			rpt_fmt_status(p->status, s, sizeof(s));
			snprintf(st, sizeof(st), WIFSIGNALED(p->status) ?
				 ": the process was %s inside it" :
				 ": the process %s while it ran", s);
		} else if (v->end != VT_READ_EOF) {
			snprintf(st, sizeof(st), ": the trace ends inside it");
		}
		add(f, "%s (pid %u, tid %u) never returned%s", c->fn->name,
		    c->pid, c->tid, st);
	}
}

static void diag_notes(const struct rpt_view *v, struct findings *f)
{
	for (size_t i = 0; i < v->nnotes; i++)
		add(f, "vgpu-run: %s", v->notes[i]);
}

size_t rpt_diagnose(const struct rpt_view *v, struct rpt_finding **out)
{
	struct findings f = { 0 };
	diag_trace_end(v, &f);
	diag_setuid(v, &f);
	diag_unfinished(v, &f);
	diag_errors(v, &f);
	diag_missing(v, &f);
	diag_libraries(v, &f);
	diag_sim_notes(v, &f);
	diag_notes(v, &f);
	*out = f.v;
	return f.n;
}

void rpt_findings_free(struct rpt_finding *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].text);
	free(f);
}
