/* HTML: one self-contained page (inline CSS and JS, no network) that
 * leads with the answer: the diagnosis and the failing calls, then a
 * sortable per-function table, then a zoomable timeline with a time
 * axis, then the full text report.
 *
 * A browser cannot draw millions of calls usefully, and memory must not
 * grow with the trace, so the timeline embeds calls one by one only where
 * they matter: the first HTML_HEAD_CALLS, every failing call (up to
 * HTML_MAX_FAILS) and the HTML_CONTEXT calls before and after each on its
 * thread.  Every other call is counted per thread in HTML_BUCKETS time
 * buckets (their width doubles as the trace grows), which the page draws
 * as a density band, and the page says how many calls went where. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_stream.h"

#define HTML_HEAD_CALLS 100000
#define HTML_MAX_FAILS 20000
#define HTML_CONTEXT 16
#define HTML_BUCKETS 1024
#define HTML_MAX_LANES 4096	/* threads beyond share the last lane */
#define HTML_MAX_DEPTH 64

enum call_status { ST_OK, ST_FAILED, ST_PROBE, ST_UNFINISHED };

struct bucket {
	uint32_t calls, errors;
	uint64_t busy_ns;	/* outermost calls' time */
};

/* One thread's row on the timeline. */
struct lane {
	uint32_t pid, tid, index;
	struct bucket *b;		/* HTML_BUCKETS, on first use */
	/* Calls not embedded, kept for a failure that may follow.  A copy
	 * of struct rpt_call: it holds values only (fn points into the
	 * model, which outlives the pass). */
	struct rpt_call ring[HTML_CONTEXT];
	unsigned ring_n, ring_at;
	unsigned after;			/* calls still to embed after a failure */
	/* Self time: time of the calls made one level down, and when the
	 * earliest of them started (a caller owns only those inside it). */
	uint64_t child_ns[HTML_MAX_DEPTH + 1], child_start[HTML_MAX_DEPTH + 1];
};

struct html {
	FILE *rows;			/* the embedded calls, as script rows */
	char *rows_buf;
	size_t rows_len;
	uint64_t calls, embedded, fails, fails_aggregated;
	struct lane **lanes;		/* HTML_MAX_LANES */
	size_t nlanes;
	struct rpt_idmap lane_index;	/* (pid, tid) -> lanes[] */
	struct lane *last;
	uint64_t bucket_ns;		/* width, doubled as time goes on */
	uint64_t end_ns;
	struct rpt_idmap func_index;	/* function id -> self_ns[] */
	uint64_t *self_ns;
	size_t nself, self_cap;
	struct rpt_strtab str;		/* arguments, results of embedded calls */
};

static struct lane *lane_of(struct html *h, uint32_t pid, uint32_t tid)
{
	if (h->last && h->last->tid == tid && h->last->pid == pid)
		return h->last;
	if (h->nlanes == HTML_MAX_LANES)
		return h->last = h->lanes[HTML_MAX_LANES - 1];
	bool fresh;
	uint32_t i = rpt_idmap_get(&h->lane_index, (uint64_t)pid << 32 | tid,
				   (uint32_t)h->nlanes, &fresh);
	if (fresh) {
		struct lane *l = rpt_calloc(1, sizeof(*l));
		l->pid = pid;
		l->tid = tid;
		l->index = i;
		h->lanes[h->nlanes++] = l;
	}
	return h->last = h->lanes[i];
}

static uint32_t intern(struct rpt_strtab *t, const char *s)
{
	bool fresh;
	return rpt_strtab_get(t, s, &fresh);
}

static enum call_status status_of(const struct rpt_call *c)
{
	const char *o = rpt_call_outcome(c);
	return !strcmp(o, "ok") ? ST_OK : !strcmp(o, "probe") ? ST_PROBE :
	       c->unfinished ? ST_UNFINISHED : ST_FAILED;
}

static void embed(struct html *h, const struct rpt_call *c, uint32_t lane)
{
	char args[1024], ret[160];
	rpt_format_call_args(c->fn, c->args, c->out, c->nout, rpt_call_wrote(c),
			     args, sizeof(args));
	if (c->unfinished)
		ret[0] = 0;
	else
		dec_format_ret(VT_FUNC_API(c->fn->id), c->fn->dec, c->ret, ret,
			       sizeof(ret));
	char row[160];
	size_t n = rpt_put_str(row, sizeof(row), 0, h->embedded % 8 ? ",[" : ",\n[");
	n = rpt_put_u64(row, sizeof(row), n, c->fn->id);
	n = rpt_put_char(row, sizeof(row), n, ',');
	n = rpt_put_u64(row, sizeof(row), n, lane);
	n = rpt_put_char(row, sizeof(row), n, ',');
	n = rpt_put_u64(row, sizeof(row), n, c->start_ns);
	n = rpt_put_char(row, sizeof(row), n, ',');
	n = rpt_put_u64(row, sizeof(row), n, c->end_ns - c->start_ns);
	n = rpt_put_str(row, sizeof(row), n, ",0,");
	n = rpt_put_u64(row, sizeof(row), n, status_of(c));
	n = rpt_put_char(row, sizeof(row), n, ',');
	n = rpt_put_u64(row, sizeof(row), n, intern(&h->str, args));
	n = rpt_put_char(row, sizeof(row), n, ',');
	n = rpt_put_u64(row, sizeof(row), n, intern(&h->str, ret));
	n = rpt_put_char(row, sizeof(row), n, ']');
	fwrite(row + (h->embedded ? 0 : 1), 1, n - (h->embedded ? 0 : 1), h->rows);
	h->embedded++;
}

/* All lanes' buckets twice as wide, so that t fits. */
static void widen(struct html *h, uint64_t t)
{
	while (t / h->bucket_ns >= HTML_BUCKETS) {
		h->bucket_ns *= 2;
		for (size_t i = 0; i < h->nlanes; i++) {
			struct bucket *b = h->lanes[i]->b;
			if (!b)
				continue;
			for (size_t k = 0; k < HTML_BUCKETS / 2; k++) {
				struct bucket m = b[2 * k];
				m.calls += b[2 * k + 1].calls;
				m.errors += b[2 * k + 1].errors;
				m.busy_ns += b[2 * k + 1].busy_ns;
				b[k] = m;
			}
			memset(b + HTML_BUCKETS / 2, 0,
			       HTML_BUCKETS / 2 * sizeof(*b));
		}
	}
}

static void count(struct html *h, struct lane *l, const struct rpt_call *c,
		  int sign)
{
	widen(h, c->start_ns);
	if (!l->b)
		l->b = rpt_calloc(HTML_BUCKETS, sizeof(*l->b));
	struct bucket *b = &l->b[c->start_ns / h->bucket_ns];
	enum call_status st = status_of(c);
	bool failed = st == ST_FAILED || st == ST_UNFINISHED;
	uint64_t busy = c->depth ? 0 : c->end_ns - c->start_ns;
	if (sign > 0) {
		b->calls++;
		b->errors += failed;
		b->busy_ns += busy;
	} else {
		b->calls--;
		b->errors -= failed;
		b->busy_ns -= busy;
	}
}

/* The self time of fn, 0 when first asked. */
static uint64_t *self_slot(struct html *h, const struct rpt_func *fn)
{
	bool fresh;
	uint32_t i = rpt_idmap_get(&h->func_index, fn->id, (uint32_t)h->nself, &fresh);
	if (fresh) {
		if (h->nself == h->self_cap) {
			h->self_cap = h->self_cap ? h->self_cap * 2 : 64;
			h->self_ns = realloc(h->self_ns, h->self_cap * sizeof(*h->self_ns));
			if (!h->self_ns)
				abort();
		}
		h->self_ns[h->nself++] = 0;
	}
	return &h->self_ns[i];
}

static void add_self(struct html *h, struct lane *l, const struct rpt_call *c)
{
	unsigned d = c->depth < HTML_MAX_DEPTH ? c->depth : HTML_MAX_DEPTH - 1;
	uint64_t dur = c->end_ns - c->start_ns, kids = 0;
	if (l->child_ns[d + 1] && l->child_start[d + 1] >= c->start_ns)
		kids = l->child_ns[d + 1];
	l->child_ns[d + 1] = 0;
	if (!l->child_ns[d] || c->start_ns < l->child_start[d])
		l->child_start[d] = c->start_ns;
	l->child_ns[d] += dur;
	*self_slot(h, c->fn) += kids < dur ? dur - kids : 0;
}

static void on_call(void *ctx, const struct rpt_call *c)
{
	struct html *h = ((struct rpt_stream *)ctx)->priv;
	struct lane *l = lane_of(h, c->pid, c->tid);
	uint32_t li = l->index;
	h->calls++;
	if (c->end_ns > h->end_ns)
		h->end_ns = c->end_ns;
	add_self(h, l, c);
	enum call_status st = status_of(c);
	bool failed = st == ST_FAILED || st == ST_UNFINISHED;
	if (h->calls <= HTML_HEAD_CALLS) {
		embed(h, c, li);
		if (failed)
			h->fails++;
		return;
	}
	if (failed && h->fails < HTML_MAX_FAILS) {
		/* The calls before it on its thread, oldest first. */
		for (unsigned k = 0; k < l->ring_n; k++) {
			const struct rpt_call *p = &l->ring[(l->ring_at + HTML_CONTEXT -
							     l->ring_n + k) % HTML_CONTEXT];
			count(h, l, p, -1);
			embed(h, p, li);
		}
		l->ring_n = 0;
		embed(h, c, li);
		h->fails++;
		l->after = HTML_CONTEXT;
		return;
	}
	if (l->after && !failed) {
		l->after--;
		embed(h, c, li);
		return;
	}
	if (failed)
		h->fails_aggregated++;
	count(h, l, c, +1);
	l->ring[l->ring_at] = *c;
	l->ring_at = (l->ring_at + 1) % HTML_CONTEXT;
	if (l->ring_n < HTML_CONTEXT)
		l->ring_n++;
}

static void on_thread(void *ctx, uint32_t pid, uint32_t tid, const char *name)
{
	struct rpt_stream *s = ctx;
	if (!*name || s->nthreads == STREAM_MAX_THREADS)
		return;
	if (!s->threads)
		s->threads = rpt_calloc(STREAM_MAX_THREADS, sizeof(*s->threads));
	s->threads[s->nthreads++] = (struct stream_thread){ pid, tid, rpt_strdup(name) };
}

struct rpt_stream *rpt_html_begin(FILE *f, struct rpt_sink *sink)
{
	struct rpt_stream *s = rpt_calloc(1, sizeof(*s));
	struct html *h = rpt_calloc(1, sizeof(*h));
	s->f = f;
	s->priv = h;
	h->rows = open_memstream(&h->rows_buf, &h->rows_len);
	if (!h->rows)
		abort();
	h->lanes = rpt_calloc(HTML_MAX_LANES, sizeof(*h->lanes));
	h->bucket_ns = 1000;
	*sink = (struct rpt_sink){ .ctx = s, .call = on_call, .thread = on_thread };
	return s;
}

static void html_text(FILE *f, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		switch (s[i]) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(s[i], f);
		}
	}
}

static void html_str(FILE *f, const char *s)
{
	html_text(f, s, strlen(s));
}

/* JSON inside a <script>: "</" would end the script. */
static void script_str(FILE *f, const char *s)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&buf, &len);
	if (!m)
		abort();
	rpt_json_str(m, s);
	fclose(m);
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '<')
			fputs("\\u003c", f);
		else
			fputc(buf[i], f);
	}
	free(buf);
}

static const char *prog_name(const struct rpt_process *p)
{
	const char *name = p && p->nexec ? p->execs[p->nexec - 1].path : "";
	const char *base = strrchr(name, '/');
	return base ? base + 1 : name;
}

static const struct rpt_process *proc_of(const struct rpt_view *v, uint32_t pid)
{
	for (size_t i = 0; i < v->nprocs; i++)
		if (v->procs[i]->pid == pid)
			return v->procs[i];
	return NULL;
}

static void write_summary_line(FILE *f, const struct rpt_view *v)
{
	char dur[32];
	rpt_fmt_ns(v->duration_ns, dur, sizeof(dur));
	fputs("<h1>vgpu-run report", f);
	if (v->nprocs && *prog_name(v->procs[0])) {
		fputs(": ", f);
		html_str(f, prog_name(v->procs[0]));
	}
	fputs("</h1>\n<p class=\"sum\">", f);
	html_str(f, v->path ? v->path : "");
	fprintf(f, ": %zu process(es), %" PRIu64 " calls over %s, %" PRIu64
		" failed, %" PRIu64 " expected probes", v->nprocs, v->calls, dur,
		v->call_errors, v->probes);
	if (v->drops)
		fprintf(f, ", <b>%" PRIu64 " call records dropped</b>", v->drops);
	if (v->end != VT_READ_EOF) {
		fputs(", <b>trace ends early: ", f);
		html_str(f, v->end_msg);
		fputs("</b>", f);
	}
	fputs("</p>\n", f);
}

static void write_diagnosis(FILE *f, const struct rpt_view *v)
{
	struct rpt_finding *fd = NULL;
	size_t n = rpt_diagnose(v, &fd);
	fprintf(f, "<section id=\"diagnosis\"%s><h2>Diagnosis</h2>\n",
		n ? "" : " class=\"clean\"");
	if (!n)
		fputs("<p>Nothing looks wrong.</p>\n", f);
	else
		fputs("<ul>\n", f);
	for (size_t i = 0; i < n; i++) {
		fputs("<li>", f);
		html_str(f, fd[i].text);
		fputs("</li>\n", f);
	}
	if (n)
		fputs("</ul>\n", f);
	fputs("</section>\n", f);
	rpt_findings_free(fd, n);
}

static void write_errors(FILE *f, const struct rpt_view *v)
{
	fputs("<section id=\"errors\"><h2>Errors</h2>\n", f);
	if (!v->nerrors && !v->nopen) {
		fputs("<p>No call failed.</p></section>\n", f);
		return;
	}
	fputs("<p>Click a row to see the call on the timeline.</p>\n"
	      "<table><thead><tr><th>call</th><th>result</th><th class=\"n\">times</th>"
	      "<th>first at</th><th>thread</th></tr></thead><tbody>\n", f);
	for (size_t i = 0; i < v->nerrors; i++) {
		const struct rpt_error *e = v->errors[i];
		char args[1024], ret[160], when[32];
		rpt_format_call_args(e->fn, e->args, e->out, e->nout, false, args,
				     sizeof(args));
		dec_format_ret(VT_FUNC_API(e->fn->id), e->fn->dec, e->ret, ret, sizeof(ret));
		rpt_fmt_ns(e->start_ns, when, sizeof(when));
		fprintf(f, "<tr class=\"err\" id=\"err-%zu\" data-tid=\"%u\" data-t=\"%"
			PRIu64 "\"><td>", i, e->tid, e->start_ns);
		html_str(f, e->fn->name);
		fputc('(', f);
		html_str(f, args);
		fputs(")", f);
		for (unsigned k = 0; k < e->nsys; k++) {
			fputs("<br>&nbsp;&nbsp;inside: ", f);
			html_str(f, e->sys[k].text);
			fprintf(f, " = %" PRId64, e->sys[k].result);
		}
		for (size_t k = 0; k < v->nsim_notes; k++)
			if (v->sim_notes[k].fn == e->fn) {
				fputs("<br>&nbsp;&nbsp;simulator: ", f);
				html_str(f, v->sim_notes[k].text);
			}
		fputs("</td><td class=\"ret\">", f);
		html_str(f, ret);
		fputs(e->flags & VT_CALL_MISSING ? " [the backend lacks this function]" :
		      e->flags & VT_CALL_INJECTED ? " [injected]" : "", f);
		fprintf(f, "</td><td class=\"n\">%" PRIu64 "</td><td>+%s</td>"
			"<td>pid %u tid %u</td></tr>\n", e->count, when, e->pid, e->tid);
	}
	for (size_t i = 0; i < v->nopen; i++) {
		const struct rpt_call *c = &v->open_calls[i];
		char args[1024], when[32];
		dec_format_args(c->fn->dec, c->args, NULL, 0, args, sizeof(args));
		rpt_fmt_ns(c->start_ns, when, sizeof(when));
		fprintf(f, "<tr class=\"err\" id=\"open-%zu\" data-tid=\"%u\" data-t=\"%"
			PRIu64 "\"><td>", i, c->tid, c->start_ns);
		html_str(f, c->fn->name);
		fputc('(', f);
		html_str(f, args);
		fprintf(f, ")</td><td class=\"ret\">%s</td><td class=\"n\">1</td>"
			"<td>+%s</td><td>pid %u tid %u</td></tr>\n",
			v->drops ? "unknown (exit record dropped)" : "never returned",
			when, c->pid, c->tid);
	}
	fputs("</tbody></table>\n", f);
	if (v->errors_dropped)
		fprintf(f, "<p class=\"note\">%" PRIu64 " more distinct failures were "
			"not kept.</p>\n", v->errors_dropped);
	fputs("</section>\n", f);
}

static uint64_t self_of(struct html *h, const struct rpt_func *fn)
{
	return *self_slot(h, fn);
}

static void ns_cell(FILE *f, uint64_t ns)
{
	char b[32];
	rpt_fmt_ns(ns, b, sizeof(b));
	fprintf(f, "<td class=\"n\" data-v=\"%" PRIu64 "\">%s</td>", ns, b);
}

static void write_functions(FILE *f, const struct rpt_view *v, struct html *h)
{
	fputs("<section id=\"functions\"><h2>Functions</h2>\n"
	      "<p>Click a column to sort. Self: the time not spent in other traced "
	      "calls it made (a runtime call's driver calls are its children).</p>\n"
	      "<table class=\"sort\" id=\"ftable\"><thead><tr><th>function</th><th>api</th>"
	      "<th class=\"n\">calls</th><th class=\"n\">errors</th><th class=\"n\">total</th>"
	      "<th class=\"n\" data-dir=\"desc\">self</th><th class=\"n\">mean</th>"
	      "<th class=\"n\">p50</th><th class=\"n\">p99</th><th class=\"n\">max</th>"
	      "</tr></thead><tbody>\n", f);
	struct rpt_func **fs = rpt_sorted_funcs(v, SORT_TIME);
	/* Self time first: what the program waited for, not counted twice. */
	for (size_t i = 1; i < v->nfuncs; i++)
		for (size_t j = i; j > 0 && self_of(h, fs[j]) > self_of(h, fs[j - 1]); j--) {
			struct rpt_func *t = fs[j];
			fs[j] = fs[j - 1];
			fs[j - 1] = t;
		}
	for (size_t i = 0; i < v->nfuncs; i++) {
		const struct rpt_func *fn = fs[i];
		fputs("<tr><td>", f);
		html_str(f, fn->name);
		fprintf(f, "</td><td>%s</td><td class=\"n\" data-v=\"%" PRIu64 "\">%"
			PRIu64 "</td><td class=\"n\" data-v=\"%" PRIu64 "\">%" PRIu64 "</td>",
			vt_api_name(VT_FUNC_API(fn->id)), fn->calls, fn->calls,
			fn->errors, fn->errors);
		ns_cell(f, fn->total_ns);
		ns_cell(f, self_of(h, fn));
		ns_cell(f, fn->calls ? fn->total_ns / fn->calls : 0);
		ns_cell(f, rpt_percentile(fn, 50));
		ns_cell(f, rpt_percentile(fn, 99));
		ns_cell(f, fn->max_ns);
		fputs("</tr>\n", f);
	}
	free(fs);
	fputs("</tbody></table></section>\n", f);
}

static void write_timeline_intro(FILE *f, const struct html *h)
{
	char bw[32];
	rpt_fmt_ns(h->bucket_ns, bw, sizeof(bw));
	fputs("<section id=\"timeline\"><h2>Timeline</h2>\n<p class=\"key\">"
	      "Wheel: zoom at the pointer; drag: pan; double-click: whole trace; "
	      "hover or click a call for its arguments and result. Rows are threads; "
	      "calls nest below their caller.<br>"
	      "<span style=\"color:#4a7bd0\">&#9632; driver</span>"
	      "<span style=\"color:#3ca55c\">&#9632; runtime</span>"
	      "<span style=\"color:#c58a1b\">&#9632; NVML</span>"
	      "<span style=\"color:#b9a3d6\">&#9632; expected probe</span>"
	      "<span style=\"color:#e0001b\">&#9632; failed or never returned</span>"
	      "<span style=\"color:#5a6e8c\">&#9632; aggregated calls (darker: busier)</span></p>\n", f);
	uint64_t rest = h->calls - h->embedded;
	fprintf(f, "<p id=\"coverage\" data-calls=\"%" PRIu64 "\" data-embedded=\"%"
		PRIu64 "\" data-aggregated=\"%" PRIu64 "\"%s>", h->calls, h->embedded,
		rest, rest ? " class=\"note\"" : "");
	if (!rest)
		fprintf(f, "All %" PRIu64 " calls are drawn one by one.", h->calls);
	else
		fprintf(f, "%" PRIu64 " of %" PRIu64 " calls are drawn one by one: the "
			"first %d, every failing call and the %d calls before and "
			"after each on its thread. The other %" PRIu64 " calls are "
			"counted per thread in time buckets of %s, drawn as the band "
			"under each thread (red where a bucket holds a failure).",
			h->embedded, h->calls, HTML_HEAD_CALLS, HTML_CONTEXT, rest, bw);
	if (h->fails_aggregated)
		fprintf(f, " %" PRIu64 " failing calls past the first %d are only "
			"counted in the buckets.", h->fails_aggregated, HTML_MAX_FAILS);
	fputs("</p>\n<div id=\"sel\"></div>\n<div id=\"tlwrap\"><canvas id=\"tl\"></canvas>"
	      "<div id=\"tip\"></div></div>\n<p id=\"drawn\"></p>\n"
	      "<!-- #drawn: data-drawn embedded calls drawn in the view, data-failed-drawn\n"
	      "     the failing ones, data-painted coloured canvas pixels (for checks) -->\n"
	      "</section>\n", f);
}

static void write_data(FILE *f, struct rpt_stream *s, const struct rpt_view *v)
{
	struct html *h = s->priv;
	fputs("<script>\nvar CALLS=[", f);
	fclose(h->rows);
	fwrite(h->rows_buf, 1, h->rows_len, f);
	free(h->rows_buf);
	fprintf(f, "];\nvar END=%" PRIu64 ",BW=%" PRIu64 ";\nvar STR=[", v->duration_ns,
		h->bucket_ns);
	for (size_t i = 0; i < h->str.n; i++) {
		if (i)
			fputs(i % 16 ? "," : ",\n", f);
		script_str(f, h->str.s[i]);
	}
	rpt_strtab_free(&h->str);
	fputs("];\nvar FUNCS={", f);
	for (size_t i = 0; i < v->nfuncs; i++) {
		fprintf(f, "%s%u:[", i ? "," : "", v->funcs[i]->id);
		script_str(f, v->funcs[i]->name);
		fprintf(f, ",\"%s\"]", vt_api_name(VT_FUNC_API(v->funcs[i]->id)));
	}
	fputs("};\nvar LANES=[", f);
	for (size_t i = 0; i < h->nlanes; i++) {
		const struct lane *l = h->lanes[i];
		const char *tname = NULL;
		for (size_t k = 0; k < s->nthreads; k++)
			if (s->threads[k].tid == l->tid && s->threads[k].pid == l->pid)
				tname = s->threads[k].name;
		char label[300];
		if (i == HTML_MAX_LANES - 1)
			snprintf(label, sizeof(label), "other threads");
		else if (l->pid == l->tid || !tname)
			snprintf(label, sizeof(label), "%.120s %u%s%.120s", prog_name(proc_of(v, l->pid)),
				 l->tid, tname && l->pid != l->tid ? " " : "",
				 tname && l->pid != l->tid ? tname : "");
		else
			snprintf(label, sizeof(label), "%.200s %u", tname, l->tid);
		fprintf(f, "%s[%u,%u,", i ? ",\n" : "", l->pid, l->tid);
		script_str(f, label);
		fputc(']', f);
	}
	fputs("];\nvar BUCKETS=[", f);
	bool first = true;
	for (size_t i = 0; i < h->nlanes; i++) {
		struct lane *l = h->lanes[i];
		if (l->b) {
			bool any = false;
			for (size_t k = 0; k < HTML_BUCKETS; k++) {
				const struct bucket *b = &l->b[k];
				if (!b->calls)
					continue;
				if (!any)
					fprintf(f, "%s[%zu", first ? "" : ",\n", i);
				any = true;
				first = false;
				fprintf(f, ",%zu,%u,%u,%" PRIu64, k, b->calls, b->errors,
					b->busy_ns);
			}
			if (any)
				fputc(']', f);
		}
		free(l->b);
		free(l);
	}
	free(h->lanes);
	rpt_idmap_free(&h->lane_index);
	fputs("];\n</script>\n", f);
}

static const char page_css[] =
"body{font:13px/1.4 system-ui,sans-serif;margin:1em 1.5em;color:#222}\n"
"h1{font-size:1.4em;margin:.2em 0}h2{font-size:1.1em;margin:1.2em 0 .4em}\n"
".sum{color:#444}\n"
"#diagnosis{background:#fff6e5;border-left:4px solid #e69500;padding:.4em 1em}\n"
"#diagnosis.clean{background:#eef8ee;border-color:#3ca55c}\n"
"#diagnosis li{margin:.3em 0}\n"
"table{border-collapse:collapse;font:12px/1.3 monospace}\n"
"th,td{padding:2px 8px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}\n"
"td.n,th.n{text-align:right}\n"
"table.sort th{cursor:pointer;background:#f2f2f2;user-select:none}\n"
"table.sort th[data-dir=desc]:after{content:\" \\25BC\"}table.sort th[data-dir=asc]:after{content:\" \\25B2\"}\n"
"tr.err td{background:#fdecec}tr.err{cursor:pointer}tr.err:hover td{background:#f9d0d0}\n"
"tr.err .ret{color:#b00;font-weight:bold}\n"
".note{color:#a40}\n"
"#tlwrap{position:relative}\n"
"#tl{border:1px solid #bbb;width:100%;cursor:crosshair;display:block}\n"
"#tip{position:absolute;pointer-events:none;background:#fffffa;border:1px solid #999;padding:4px 6px;font:12px monospace;white-space:pre-wrap;max-width:60em;display:none;z-index:2}\n"
"#sel{font:12px monospace;white-space:pre-wrap;background:#f6f6f6;padding:.4em;min-height:1.4em}\n"
"pre{font:12px/1.3 monospace;background:#f6f6f6;padding:.6em;overflow:auto}\n"
".key span{margin-right:1em}\n";

static const char page_js[] =
"(function(){\n"
"var $=function(id){return document.getElementById(id);};\n"
"/* A time axis label precise enough to tell ticks step apart. */\n"
"function fmtTick(t,step){var u=t>=1e9?[1e9,' s']:t>=1e6?[1e6,' ms']:t>=1e3?[1e3,' us']:[1,' ns'];\n"
" var d=Math.max(0,Math.min(9,Math.ceil(-Math.log10(step/u[0])-1e-9)));return (t/u[0]).toFixed(d)+u[1];}\n"
"function fmt(ns){ns=Math.abs(ns);if(ns<1e4)return Math.round(ns)+' ns';if(ns<1e7)return (ns/1e3).toFixed(2)+' us';if(ns<1e10)return (ns/1e6).toFixed(2)+' ms';return (ns/1e9).toFixed(3)+' s';}\n"
"/* Sortable tables: numbers sort by data-v, text by its content. */\n"
"Array.prototype.forEach.call(document.querySelectorAll('table.sort'),function(t){\n"
" var ths=t.tHead.rows[0].cells;\n"
" Array.prototype.forEach.call(ths,function(th,i){th.addEventListener('click',function(){\n"
"  var body=t.tBodies[0],rs=Array.prototype.slice.call(body.rows),desc=th.getAttribute('data-dir')!=='desc';\n"
"  Array.prototype.forEach.call(ths,function(h){h.removeAttribute('data-dir');});\n"
"  th.setAttribute('data-dir',desc?'desc':'asc');\n"
"  rs.sort(function(a,b){var x=a.cells[i].getAttribute('data-v'),y=b.cells[i].getAttribute('data-v');\n"
"   var r=(x!==null&&y!==null)?(+x)-(+y):a.cells[i].textContent.localeCompare(b.cells[i].textContent);return desc?-r:r;});\n"
"  rs.forEach(function(r){body.appendChild(r);});});});});\n"
"/* Calls: [func, lane, start_ns, dur_ns, depth, status, args, result];\n"
" * status 0 ok, 1 failed, 2 expected probe, 3 never returned. */\n"
"var ST=['ok','FAILED','not found (expected probe)','never returned'];\n"
"var cv=$('tl'),cx=cv.getContext('2d'),tip=$('tip'),sel=$('sel');\n"
"var lanes=LANES.map(function(l){return {pid:l[0],tid:l[1],name:l[2],calls:[],fails:[],depth:1,b:null,y:0,h:0};});\n"
"CALLS.forEach(function(c){lanes[c[1]].calls.push(c);});\n"
"BUCKETS.forEach(function(b){lanes[b[0]].b=b;});\n"
"var t1=1;\n"
"lanes.forEach(function(L){\n"
" /* Depth from time containment: records of one thread come per library\n"
"  * ring, so a caller can arrive after its callee. */\n"
" L.calls.sort(function(x,y){return x[2]-y[2]||y[3]-x[3];});var st=[];\n"
" L.calls.forEach(function(c){while(st.length&&st[st.length-1]<=c[2])st.pop();\n"
"  c[4]=Math.min(st.length,31);st.push(c[2]+c[3]);if(c[4]+1>L.depth)L.depth=c[4]+1;if(c[2]+c[3]>t1)t1=c[2]+c[3];\n"
"  if(c[5]==1||c[5]==3)L.fails.push(c);});\n"
" if(L.b)for(var k=1;k<L.b.length;k+=4){var e=(L.b[k]+1)*BW;if(e>t1)t1=e;}});\n"
"if(END>t1)t1=END;\n"
"var LAB=150,LH=13,AX=24,BH=6,view={a:0,b:t1},hot=null,pinned=null;\n"
"function layout(){var y=AX;lanes.forEach(function(L){L.y=y;L.h=L.depth*LH+(L.b?BH+2:0)+6;y+=L.h;});return y;}\n"
"var H=layout();\n"
"var COL={cuda:'#4a7bd0',cudart12:'#3ca55c',cudart13:'#3ca55c',nvml:'#c58a1b'};\n"
"function fn(c){return FUNCS[c[0]]||['?','?'];}\n"
"function size(){cv.width=cv.clientWidth||1000;cv.height=Math.max(80,H+4);cv.style.height=cv.height+'px';}\n"
"function X(t,sc){return LAB+(t-view.a)*sc;}\n"
"function axis(sc){var W=cv.width-LAB,span=view.b-view.a,raw=span/Math.max(1,W/110),p=Math.pow(10,Math.floor(Math.log10(raw))),step=p;\n"
" if(raw/p>5)step=10*p;else if(raw/p>2)step=5*p;else if(raw/p>1)step=2*p;\n"
" cx.fillStyle='#f4f4f4';cx.fillRect(LAB,0,W,AX-4);cx.font='10px sans-serif';cx.strokeStyle='#e8e8e8';\n"
" for(var t=Math.ceil(view.a/step)*step;t<=view.b;t+=step){var x=X(t,sc);cx.beginPath();cx.moveTo(x,AX-6);cx.lineTo(x,cv.height);cx.stroke();\n"
"  cx.fillStyle='#555';cx.fillText('+'+fmtTick(t,step),x+2,AX-10);}}\n"
"function draw(){var W=cv.width-LAB,sc=W/(view.b-view.a),drawn=0,fdrawn=0;\n"
" cx.clearRect(0,0,cv.width,cv.height);axis(sc);cx.font='11px sans-serif';\n"
" lanes.forEach(function(L){\n"
"  cx.fillStyle='#333';cx.fillText(L.name,2,L.y+11);cx.strokeStyle='#ccc';cx.beginPath();cx.moveTo(0,L.y+L.h-2);cx.lineTo(cv.width,L.y+L.h-2);cx.stroke();\n"
"  if(L.b){var yb=L.y+L.depth*LH+1,b=L.b;for(var k=1;k<b.length;k+=4){var x0=X(b[k]*BW,sc),x1=X((b[k]+1)*BW,sc);if(x1<LAB||x0>cv.width)continue;\n"
"   if(x0<LAB)x0=LAB;var busy=Math.min(1,b[k+3]/BW);cx.fillStyle='rgba(90,110,140,'+(0.25+0.75*busy).toFixed(2)+')';cx.fillRect(x0,yb,Math.max(1,x1-x0),BH);\n"
"   if(b[k+2]){cx.fillStyle='#e0001b';cx.fillRect(x0,yb-2,Math.max(3,x1-x0),BH+2);}}}\n"
"  var cs=L.calls,lastx=-1,lastd=-1;\n"
"  for(var j=0;j<cs.length;j++){var c=cs[j],x0=X(c[2],sc),x1=X(c[2]+c[3],sc);if(x1<LAB||x0>cv.width)continue;if(x0<LAB)x0=LAB;\n"
"   var w=x1-x0,y=L.y+c[4]*LH;drawn++;\n"
"   /* Sub-pixel calls at the same depth share a pixel column: draw it once. */\n"
"   if(w<1){var px=x0|0;if(px===lastx&&c[4]===lastd)continue;lastx=px;lastd=c[4];w=1;}\n"
"   cx.fillStyle=c[5]==2?'#b9a3d6':(COL[fn(c)[1]]||'#888');cx.fillRect(x0,y,w,LH-1);\n"
"   if(w>40){cx.fillStyle='#fff';cx.fillText(fn(c)[0].slice(0,Math.floor(w/6.5)),x0+2,y+LH-3);}}\n"
"  /* Failures last, never thinner than 3 px, so every zoom shows them. */\n"
"  L.fails.forEach(function(c){var x0=X(c[2],sc),x1=X(c[2]+c[3],sc);if(x1<LAB-3||x0>cv.width+3)return;\n"
"   var w=Math.max(3,x1-x0),y=L.y+c[4]*LH;if(x1-x0<3)x0-=(3-(x1-x0))/2;if(x0<LAB)x0=LAB;\n"
"   cx.fillStyle='#e0001b';cx.fillRect(x0,y,w,LH-1);cx.fillStyle='#900';cx.fillRect(x0,AX-4,w,4);fdrawn++;\n"
"   if(w>40){cx.fillStyle='#fff';cx.fillText(fn(c)[0].slice(0,Math.floor(w/6.5)),x0+2,y+LH-3);}});\n"
"  if(pinned&&lanes[pinned[1]]===L){var p=pinned,px0=X(p[2],sc),pw=Math.max(3,X(p[2]+p[3],sc)-px0);cx.strokeStyle='#000';cx.lineWidth=2;cx.strokeRect(px0-1,L.y+p[4]*LH-1,pw+2,LH+1);cx.lineWidth=1;}});\n"
" var d=$('drawn');d.setAttribute('data-drawn',drawn);d.setAttribute('data-failed-drawn',fdrawn);\n"
" var span=view.b-view.a;d.textContent='view +'+fmtTick(view.a,span/1000)+' .. +'+fmtTick(view.b,span/1000)+': '+drawn+' embedded calls in view, '+fdrawn+' of them failed.';\n"
" if(!d.hasAttribute('data-painted')){var px=cx.getImageData(LAB,AX,cv.width-LAB,cv.height-AX).data,n=0;for(var q=3;q<px.length;q+=4)if(px[q]&&!(px[q-3]==px[q-2]&&px[q-2]==px[q-1]))n++;d.setAttribute('data-painted',n);}}\n"
"function describe(c){var f=fn(c),L=lanes[c[1]];return f[0]+'('+STR[c[6]]+')'+(c[5]==3?' never returned':' = '+STR[c[7]])+'\\n'+ST[c[5]]+'  '+f[1]+'  '+L.name+'  at +'+(c[2]/1e6).toFixed(6)+' ms  took '+fmt(c[3]);}\n"
"function hit(ev){var r=cv.getBoundingClientRect(),x=ev.clientX-r.left,y=ev.clientY-r.top;if(x<LAB)return null;\n"
" var sc=(cv.width-LAB)/(view.b-view.a),t=view.a+(x-LAB)/sc,slack=2/sc,best=null;\n"
" for(var i=0;i<lanes.length;i++){var L=lanes[i];if(y<L.y||y>=L.y+L.depth*LH)continue;var dp=Math.floor((y-L.y)/LH);\n"
"  L.fails.forEach(function(c){if(c[4]==dp&&t>=c[2]-slack&&t<=c[2]+c[3]+slack)best=c;});if(best)return best;\n"
"  var cs=L.calls;for(var j=0;j<cs.length;j++){var c=cs[j];if(c[2]>t+slack)break;if(c[4]==dp&&t<=c[2]+c[3]+slack)best=c;}return best;}\n"
" return null;}\n"
"function show(c,ev){if(!c){tip.style.display='none';return;}tip.textContent=describe(c);tip.style.display='block';\n"
" var r=cv.getBoundingClientRect(),w=$('tlwrap').getBoundingClientRect();tip.style.left=Math.min(ev.clientX-w.left+12,w.width-300)+'px';tip.style.top=(ev.clientY-w.top+14)+'px';}\n"
"function pick(c){pinned=c;sel.textContent=c?describe(c):'';draw();}\n"
"function zoomTo(c){var pad=Math.max(c[3]*20,2000);view={a:Math.max(0,c[2]-pad),b:c[2]+c[3]+pad};pick(c);cv.scrollIntoView({block:'nearest'});}\n"
"function at(ev){var r=cv.getBoundingClientRect();return view.a+(ev.clientX-r.left-LAB)*(view.b-view.a)/(cv.width-LAB);}\n"
"cv.addEventListener('wheel',function(ev){ev.preventDefault();var t=at(ev),k=ev.deltaY<0?0.8:1.25;\n"
" view.a=t-(t-view.a)*k;view.b=t+(view.b-t)*k;if(view.b-view.a<10)view.b=view.a+10;draw();},{passive:false});\n"
"var drag=null,moved=false;\n"
"cv.addEventListener('mousedown',function(ev){drag={x:ev.clientX,a:view.a,b:view.b};moved=false;});\n"
"window.addEventListener('mouseup',function(){drag=null;});\n"
"var pend=null;\n"
"cv.addEventListener('mousemove',function(ev){if(drag){var dt=(ev.clientX-drag.x)*(drag.b-drag.a)/(cv.width-LAB);if(Math.abs(ev.clientX-drag.x)>2)moved=true;view.a=drag.a-dt;view.b=drag.b-dt;draw();return;}\n"
" if(pend)return;pend=ev;requestAnimationFrame(function(){var e=pend;pend=null;show(hit(e),e);});});\n"
"cv.addEventListener('mouseleave',function(){tip.style.display='none';});\n"
"cv.addEventListener('click',function(ev){if(!moved)pick(hit(ev));});\n"
"cv.addEventListener('dblclick',function(){view={a:0,b:t1};draw();});\n"
"window.addEventListener('resize',function(){size();draw();});\n"
"/* Error rows lead to their call on the timeline. */\n"
"Array.prototype.forEach.call(document.querySelectorAll('tr.err'),function(tr){\n"
" var tid=+tr.getAttribute('data-tid'),t=+tr.getAttribute('data-t'),found=null;\n"
" lanes.forEach(function(L){if(L.tid!==tid)return;L.fails.forEach(function(c){if(c[2]===t)found=c;});});\n"
" tr.setAttribute('data-shown',found?'1':'0');\n"
" if(found)tr.addEventListener('click',function(){zoomTo(found);});});\n"
"size();draw();\n"
"/* Where the first error landed, so an automated check can tell it is in\n"
" * the first screen. */\n"
"var fe=document.querySelector('tr.err');\n"
"if(fe)document.body.setAttribute('data-first-error-top',Math.round(fe.getBoundingClientRect().top));\n"
"document.body.setAttribute('data-rendered','1');\n"
"})();\n";

void rpt_html_finish(struct rpt_stream *s, const struct rpt_view *v)
{
	FILE *f = s->f;
	struct html *h = s->priv;
	fputs("<!doctype html>\n<html><head><meta charset=\"utf-8\">\n"
	      "<title>vgpu-run report</title>\n<style>\n", f);
	fputs(page_css, f);
	fputs("</style></head><body>\n", f);
	write_summary_line(f, v);
	write_diagnosis(f, v);
	write_errors(f, v);
	write_functions(f, v, h);
	write_timeline_intro(f, h);
	write_data(f, s, v);
	fputs("<script>\n", f);
	fputs(page_js, f);
	fputs("</script>\n", f);
	/* The full text report, rendered by the same code as the text mode. */
	char *text = NULL;
	size_t len = 0;
	FILE *mf = open_memstream(&text, &len);
	if (mf) {
		rpt_write_text(mf, v, SORT_TIME);
		fclose(mf);
		fputs("<details id=\"text\"><summary><h2 style=\"display:inline\">Full "
		      "text report</h2></summary>\n<pre id=\"report\">", f);
		html_text(f, text, len);
		fputs("</pre></details>\n", f);
		free(text);
	}
	fputs("</body></html>\n", f);
	for (size_t i = 0; i < s->nthreads; i++)
		free(s->threads[i].name);
	free(s->threads);
	rpt_idmap_free(&h->func_index);
	free(h->self_ns);
	free(h);
	free(s);
}
