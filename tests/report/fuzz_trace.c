/* libFuzzer target: the trace reader (common/trace_read.c) and the whole
 * report pipeline over arbitrary bytes: every record type, every writer.
 * Built and run by test_fuzz.sh; seeds in tests/report/corpus/. */
#include <stdio.h>

#include "report.h"

static FILE *sinkfile(void)
{
	static FILE *f;
	if (!f)
		f = fopen("/dev/null", "we");
	return f;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t len)
{
	FILE *out = sinkfile();
	/* Pass 0: the whole-trace writers; then each streaming writer. */
	static struct rpt_stream *(*const begin[])(FILE *, struct rpt_sink *) = {
		NULL, rpt_chrome_begin, rpt_perfetto_begin, rpt_html_begin,
	};
	static void (*const finish[])(struct rpt_stream *, const struct rpt_view *) = {
		NULL, rpt_chrome_finish, rpt_perfetto_finish, rpt_html_finish,
	};
	for (int pass = 0; pass < 4; pass++) {
		struct rpt_model *m = rpt_model_new();
		struct rpt_sink sink = { 0 };
		struct rpt_stream *st = pass ? begin[pass](out, &sink) : NULL;
		char err[512];
		int rc = rpt_model_read_mem(m, data, len, pass ? &sink : NULL,
					    err, sizeof(err));
		struct rpt_view v;
		rpt_model_view(m, &v);
		if (pass) {
			finish[pass](st, &v);
		} else if (!rc) {
			rpt_write_text(out, &v, SORT_CALLS);
			rpt_write_json(out, &v);
		}
		rpt_model_free(m);
	}
	rpt_symbolize_cleanup();
	return 0;
}
