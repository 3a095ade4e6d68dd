/* CSV: one row per call, written while the trace is read (RFC 4180
 * quoting). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "report_stream.h"

static void csv_field(FILE *f, const char *s)
{
	fputc_unlocked('"', f);
	for (const char *q; (q = strchr(s, '"')); s = q + 1) {
		fwrite_unlocked(s, 1, (size_t)(q - s) + 1, f);
		fputc_unlocked('"', f);
	}
	fputs_unlocked(s, f);
	fputc_unlocked('"', f);
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
	char row[512];
	size_t n = rpt_put_u64(row, sizeof(row), 0, c->pid);
	n = rpt_put_str(row, sizeof(row), n, ",");
	n = rpt_put_u64(row, sizeof(row), n, c->tid);
	n = rpt_put_str(row, sizeof(row), n, ",");
	n = rpt_put_str(row, sizeof(row), n, vt_api_name(api));
	n = rpt_put_str(row, sizeof(row), n, ",");
	n = rpt_put_str(row, sizeof(row), n, c->fn->name);
	n = rpt_put_str(row, sizeof(row), n, ",");
	n = rpt_put_u64(row, sizeof(row), n, c->start_ns);
	n = rpt_put_str(row, sizeof(row), n, ",");
	n = rpt_put_u64(row, sizeof(row), n, c->end_ns - c->start_ns);
	n = rpt_put_str(row, sizeof(row), n, ",");
	n = rpt_put_u64(row, sizeof(row), n, c->depth);
	n = rpt_put_str(row, sizeof(row), n, ",");
	n = rpt_put_u64(row, sizeof(row), n, c->unfinished ? 0 : c->ret);
	n = rpt_put_str(row, sizeof(row), n, ",");
	fwrite_unlocked(row, 1, n < sizeof(row) ? n : sizeof(row) - 1, s->f);
	csv_field(s->f, ret);
	n = rpt_put_str(row, sizeof(row), 0, ",");
	n = rpt_put_u64(row, sizeof(row), n, c->flags);
	n = rpt_put_str(row, sizeof(row), n, ",");
	fwrite_unlocked(row, 1, n, s->f);
	csv_field(s->f, args);
	fputc_unlocked('\n', s->f);
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
