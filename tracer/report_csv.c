/* CSV: one row per call, written while the trace is read (RFC 4180
 * quoting). */
#include <inttypes.h>
#include <stdlib.h>

#include "report.h"
#include "report_stream.h"

static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

static void on_call(void *ctx, const struct rpt_call *c)
{
	struct rpt_stream *s = ctx;
	uint32_t api = VT_FUNC_API(c->fn->id);
	char args[1024], ret[128];
	dec_format_args(c->fn->dec, c->args, rpt_call_wrote(c) ? c->out : NULL,
			c->nout, args, sizeof(args));
	if (c->unfinished)
		snprintf(ret, sizeof(ret), "never returned");
	else
		dec_format_ret(api, c->fn->dec, c->ret, ret, sizeof(ret));
	fprintf(s->f, "%u,%u,%s,%s,%" PRIu64 ",%" PRIu64 ",%u,%" PRIu64 ",",
		c->pid, c->tid, vt_api_name(api), c->fn->name, c->start_ns,
		c->end_ns - c->start_ns, c->depth, c->unfinished ? 0 : c->ret);
	csv_field(s->f, ret);
	fprintf(s->f, ",%u,", c->flags);
	csv_field(s->f, args);
	fputc('\n', s->f);
	s->n++;
}

struct rpt_stream *rpt_csv_begin(FILE *f, struct rpt_sink *sink)
{
	struct rpt_stream *s = rpt_calloc(1, sizeof(*s));
	s->f = f;
	fputs("pid,tid,api,function,start_ns,dur_ns,depth,ret,ret_name,flags,args\n", f);
	*sink = (struct rpt_sink){ .ctx = s, .call = on_call };
	return s;
}

void rpt_csv_finish(struct rpt_stream *s, const struct rpt_view *v)
{
	(void)v;
	free(s);
}
