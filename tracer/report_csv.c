/* CSV: one row per call, written while the trace is read (RFC 4180
 * quoting). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_stream.h"

struct row {
	const struct rpt_call *c;
	const char *ret, *args;
};

static size_t put_row(char *buf, size_t len, const void *arg)
{
	const struct row *r = arg;
	const struct rpt_call *c = r->c;
	size_t n = rpt_put_u64(buf, len, 0, c->pid);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_u64(buf, len, n, c->tid);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_str(buf, len, n, vt_api_name(VT_FUNC_API(c->fn->id)));
	n = rpt_put_char(buf, len, n, ',');
	/* Names come from the trace: quoted when they would break the row. */
	if (strpbrk(c->fn->name, ",\"\r\n"))
		n = rpt_put_csv(buf, len, n, c->fn->name);
	else
		n = rpt_put_str(buf, len, n, c->fn->name);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_u64(buf, len, n, c->start_ns);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_u64(buf, len, n, c->end_ns - c->start_ns);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_u64(buf, len, n, c->depth);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_u64(buf, len, n, c->unfinished ? 0 : c->ret);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_csv(buf, len, n, r->ret);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_u64(buf, len, n, c->flags);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_csv(buf, len, n, r->args);
	n = rpt_put_char(buf, len, n, ',');
	n = rpt_put_str(buf, len, n, rpt_call_outcome(c));
	return rpt_put_char(buf, len, n, '\n');
}

static void on_call(void *ctx, const struct rpt_call *c)
{
	struct rpt_stream *s = ctx;
	char args[1024], ret[128];
	rpt_format_call_args(c->fn, c->args, c->out, c->nout, rpt_call_wrote(c),
			     args, sizeof(args));
	if (c->unfinished)
		snprintf(ret, sizeof(ret), "never returned");
	else
		dec_format_ret(VT_FUNC_API(c->fn->id), c->fn->dec, c->ret, ret,
			       sizeof(ret));
	struct row r = { c, ret, args };
	rpt_write_built(s->f, put_row, &r);
	s->n++;
}

struct rpt_stream *rpt_csv_begin(FILE *f, struct rpt_sink *sink)
{
	struct rpt_stream *s = rpt_calloc(1, sizeof(*s));
	s->f = f;
	fputs("pid,tid,api,function,start_ns,dur_ns,depth,ret,ret_name,flags,args,outcome\n", f);
	*sink = (struct rpt_sink){ .ctx = s, .call = on_call };
	return s;
}

void rpt_csv_finish(struct rpt_stream *s, const struct rpt_view *v)
{
	(void)v;
	free(s);
}
