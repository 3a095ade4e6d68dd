/* `vgpu-run report`: command line, and the -c / --report hooks that run
 * after a supervised program ends. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "out_file.h"
#include "report.h"

enum fmt { FMT_TEXT, FMT_JSON, FMT_CHROME, FMT_CSV, FMT_HTML, FMT_SUMMARY,
	   FMT_PERFETTO };

static void usage(FILE *f)
{
	fprintf(f,
"usage: vgpu-run report [--format text|json|chrome|perfetto|csv|html|summary]\n"
"                       [--sort time|calls|errors|name] [-o OUT] TRACE\n"
"\n"
"  text     processes, libraries, per-API summary, errors, diagnosis (default)\n"
"  summary  the per-API table alone (what -c prints)\n"
"  json     the same as text, as JSON (schema vgpu-run-report, version 1)\n"
"  chrome   trace-event JSON for ui.perfetto.dev and chrome://tracing\n"
"  perfetto Perfetto protobuf trace (ui.perfetto.dev, trace_processor)\n"
"  csv      one row per call\n"
"  html     one self-contained page: diagnosis, errors, functions, timeline\n"
"  --decode-table FILE   decode arguments with FILE instead of the built-in\n"
"                        api_decode.txt\n");
}

/* Reports carry what the trace carries (argv, paths): created 0600 like
 * the trace itself, and never through a link a traced program planted. */
FILE *rpt_create_output(const char *path)
{
	struct outf o;
	char err[512];
	if (outf_open(&o, path, OUTF_REPLACE | OUTF_SPECIAL, err, sizeof(err))) {
		fprintf(stderr, "vgpu-run: %s\n", err);
		return NULL;
	}
	FILE *f = fdopen(o.fd, "w");
	if (f)
		o.fd = -1;
	else
		fprintf(stderr, "vgpu-run: %s: %s\n", path, strerror(errno));
	outf_close(&o);
	return f;
}

static int parse_format(const char *s, enum fmt *f)
{
	static const char *const names[] = { "text", "json", "chrome", "csv",
					     "html", "summary", "perfetto" };
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*f = (enum fmt)i;
			return 0;
		}
	return -1;
}

/* Reads the trace once and writes one format to out.  Returns 0 for a
 * complete or truncated trace, 1 when it is corrupt (the report of what
 * came before is still written), 2 when it cannot be read at all. */
static int run_report(const char *trace, const char *name, FILE *out,
		      enum fmt fmt, enum rpt_sort sort)
{
	struct rpt_model *m = rpt_model_new();
	struct rpt_sink sink = { 0 };
	struct rpt_stream *st = NULL;
	if (fmt == FMT_CHROME)
		st = rpt_chrome_begin(out, &sink);
	else if (fmt == FMT_CSV)
		st = rpt_csv_begin(out, &sink);
	else if (fmt == FMT_HTML)
		st = rpt_html_begin(out, &sink);
	else if (fmt == FMT_PERFETTO)
		st = rpt_perfetto_begin(out, &sink);
	char err[512];
	int rc = rpt_model_read(m, trace, st ? &sink : NULL, err, sizeof(err));
	if (rc && !st) {
		fprintf(stderr, "vgpu-run report: %s\n", err);
		rpt_model_free(m);
		return 2;
	}
	struct rpt_view v;
	rpt_model_view(m, &v);
	v.path = name;
	switch (fmt) {
	case FMT_TEXT: rpt_write_text(out, &v, sort); break;
	case FMT_SUMMARY: rpt_write_summary(out, &v, sort); break;
	case FMT_JSON: rpt_write_json(out, &v); break;
	case FMT_CHROME: rpt_chrome_finish(st, &v); break;
	case FMT_CSV: rpt_csv_finish(st, &v); break;
	case FMT_HTML: rpt_html_finish(st, &v); break;
	case FMT_PERFETTO: rpt_perfetto_finish(st, &v); break;
	}
	int status = 0;
	if (rc) {
		fprintf(stderr, "vgpu-run report: %s\n", err);
		status = 2;
	} else if (v.end == VT_READ_CORRUPT) {
		fprintf(stderr, "vgpu-run report: %s: %s\n", trace, v.end_msg);
		status = 1;
	} else if (v.end == VT_READ_TRUNCATED || *v.end_msg) {
		fprintf(stderr, "vgpu-run report: warning: %s: %s\n", trace, v.end_msg);
	}
	rpt_model_free(m);
	rpt_symbolize_cleanup();
	return status;
}

int report_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'f' },
		{ "sort", required_argument, NULL, 's' },
		{ "decode-table", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	enum fmt fmt = FMT_TEXT;
	enum rpt_sort sort = SORT_TIME;
	const char *out_path = NULL, *table = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f:o:s:h", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if (parse_format(optarg, &fmt)) {
				fprintf(stderr, "vgpu-run report: unknown format '%s'\n", optarg);
				return 2;
			}
			break;
		case 's':
			if (rpt_sort_by_name(optarg, &sort)) {
				fprintf(stderr, "vgpu-run report: unknown sort '%s'\n", optarg);
				return 2;
			}
			break;
		case 'o': out_path = optarg; break;
		case 'd': table = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind + 1 != argc) {
		usage(stderr);
		return 2;
	}
	char err[512];
	if (dec_load(table, err, sizeof(err))) {
		fprintf(stderr, "vgpu-run report: %s\n", err);
		return 2;
	}
	FILE *out = stdout;
	if (out_path && !(out = rpt_create_output(out_path)))
		return 2;
	/* Timelines are gigabytes for long traces: write in large blocks. */
	static char outbuf[1 << 20];
	setvbuf(out, outbuf, _IOFBF, sizeof(outbuf));
	int rc = run_report(argv[optind], argv[optind], out, fmt, sort);
	if (fflush(out) || ferror(out)) {
		fprintf(stderr, "vgpu-run report: %s: write failed\n",
			out_path ? out_path : "stdout");
		rc = 2;
	}
	if (out != stdout)
		fclose(out);
	return rc;
}

int report_at_exit(const char *trace_path, const char *name, bool summary,
		   FILE *f, const char *report_path)
{
	int rc = 0;
	if (summary) {
		fflush(stderr);
		rc |= run_report(trace_path, name, stderr, FMT_SUMMARY, SORT_TIME);
	}
	if (f) {
		rc |= run_report(trace_path, name, f, FMT_TEXT, SORT_TIME);
		if (fclose(f)) {
			fprintf(stderr, "vgpu-run: %s: write failed\n", report_path);
			rc = 2;
		}
	}
	return rc;
}
