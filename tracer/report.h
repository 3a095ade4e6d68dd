/* Report mode: one streaming pass over a trace builds a bounded model
 * (per-function statistics, processes, libraries, distinct errors,
 * syscalls, call sites) and hands each finished call to an optional sink
 * (chrome, csv, html timelines), so memory does not grow with the number
 * of calls.  See tracer/README-report.md. */
#ifndef VGPU_REPORT_H
#define VGPU_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "trace.h"

/* ---- decode table (report_decode.c, data: common/api_decode.txt) ---- */

enum dec_type {
	DEC_INT, DEC_UINT, DEC_SIZE, DEC_PTR, DEC_HANDLE, DEC_STR, DEC_DEV, DEC_FLAGS,
	DEC_VERSION, DEC_DIM3, DEC_CURESULT, DEC_CUDAERROR, DEC_NVMLRETURN,
	DEC_CUATTR, DEC_MEMCPYKIND, DEC_VOID, DEC_STATUS,
};

struct dec_arg {
	const char *name;
	enum dec_type type;
	uint8_t out_width;	/* 0: input; else bytes written through it */
};

#define DEC_MAX_ARGS 16

struct dec_func {
	const char *name;
	enum dec_type ret;	/* DEC_STATUS, DEC_VOID, DEC_PTR, DEC_STR, DEC_INT... */
	unsigned nargs;
	struct dec_arg args[DEC_MAX_ARGS];
};

/* Loads the built-in table, or FILE when given.  Returns 0, or -1 with a
 * "FILE:LINE: message" in err. */
int dec_load(const char *file, char *err, size_t errlen);
/* API family of a trace api: "cuda", "cudart", "nvml" or NULL. */
const char *dec_family(uint32_t api);
const struct dec_func *dec_find(uint32_t api, const char *name);
/* "name=value, ..." into buf; out values from the exit record when known. */
void dec_format_args(const struct dec_func *d, const uint64_t args[6],
		     const uint64_t *out, unsigned nout, char *buf, size_t len);
/* The return value by name: "CUDA_ERROR_UNKNOWN (999)". */
void dec_format_ret(uint32_t api, const struct dec_func *d, uint64_t ret,
		    char *buf, size_t len);
/* Whether a return value is a failure (status APIs: non-zero). */
bool dec_is_error(uint32_t api, const struct dec_func *d, uint64_t ret);

/* ---- code names (report_names.c: common/cuda_names.c when linked) ---- */
const char *rpt_code_name(enum dec_type t, int code);

/* ---- model (report_model.c) ---- */

struct rpt_library;
/* The first path tried that exists as a file on this host (the loader
 * stops at the first that opens), or NULL: checked at report time. */
const char *rpt_library_found(const struct rpt_library *l);
/* CUDA driver, runtime or NVML by name. */
bool rpt_library_is_cuda(const struct rpt_library *l);

#define RPT_HIST_BUCKETS 1024

/* Functions the report reads more into than their return value. */
enum rpt_role {
	RPT_ROLE_PLAIN,
	RPT_ROLE_PROCADDR,	/* cuGetProcAddress, cuGetProcAddress_v2 */
	RPT_ROLE_EXPORT_TABLE,	/* cuGetExportTable: out[1..2] the id asked */
};

struct rpt_func {
	uint32_t id;
	char *name;
	const struct dec_func *dec;
	enum rpt_role role;
	uint64_t calls, errors, missing, injected, unfinished;
	uint64_t probes;	/* look-ups answered "not found": expected */
	uint64_t total_ns, max_ns;
	uint64_t *hist;		/* RPT_HIST_BUCKETS, allocated on first call */
	uint64_t syscalls;	/* syscalls attributed to calls of this function */
};

struct rpt_syscall_note {
	char *text;		/* decoded call */
	int64_t result;
};

#define RPT_ERR_SYSCALLS 8

/* One distinct failure: function, return value and "missing" flag; the
 * details are those of its first occurrence. */
struct rpt_error {
	struct rpt_func *fn;
	uint64_t ret;
	uint32_t flags;
	uint64_t count;
	uint32_t pid, tid;
	uint64_t start_ns, end_ns;
	uint64_t args[6];
	uint32_t nout;		/* out values as recorded (an export-table id) */
	uint64_t out[4];
	uint64_t callsite;
	unsigned nsys;
	struct rpt_syscall_note sys[RPT_ERR_SYSCALLS];
};

/* An export table asked for by id (cuGetExportTable), and how often the
 * driver had it. */
struct rpt_export_table {
	unsigned char id[16];
	uint64_t calls, found;
};

/* A note the simulator wrote into the trace (vgpu_trace_note), with the
 * traced call it was written in (NULL: outside any call). */
struct rpt_sim_note {
	char *text;
	const struct rpt_func *fn;
	uint64_t count;
	uint32_t pid, tid;
	uint64_t ts_ns;		/* first time */
};

/* What the driver's resolver was asked: a runtime resolving its whole
 * table leaves hundreds of these (see rpt_static_runtime). */
struct rpt_procaddr {
	uint64_t calls;
	uint32_t max_version;	/* highest cudaVersion asked */
	uint64_t flags;		/* flags of the first look-up */
	uint64_t first_ns;
	uint32_t pid;		/* of the first look-up */
	const struct rpt_func *fn;	/* the resolver of the first look-up */
};

struct rpt_exec {
	char *path;
	char *argv;		/* joined with blanks */
	uint64_t mode;		/* set-uid/set-gid bits */
	int32_t owner;
	bool secure;		/* privileges applied: LD_* stripped */
	bool nnp_ignored;	/* set-uid ignored under no_new_privs */
	uint64_t ts_ns;
};

#define RPT_MAX_EXECS 16

struct rpt_process {
	uint32_t pid;
	uint32_t ppid;		/* 0: not known */
	uint64_t first_ns;
	unsigned nexec;
	uint64_t more_execs;
	struct rpt_exec execs[RPT_MAX_EXECS];
	bool exited;
	int32_t status;		/* wait status */
	uint64_t calls;
	uint32_t nthreads;
};

#define RPT_MAX_TRIED 64

struct rpt_library {
	char *name;		/* basename asked for */
	char *served;		/* file served, NULL when never served */
	char *rule;
	uint32_t pid;		/* first process that asked */
	uint64_t asked;		/* open requests */
	uint64_t served_count;
	unsigned ntried;
	uint64_t more_tried;
	char *tried[RPT_MAX_TRIED];	/* distinct paths asked, in order */
};

struct rpt_syscall {
	char *name;		/* "openat", "ioctl" */
	uint64_t count, failed, attributed;
};

struct rpt_callsite {
	uint64_t id;
	uint32_t pid;
	unsigned nframes;
	char **frames;		/* "module+0xoffset" */
	uint64_t calls;
	uint32_t first_func;
};

/* One finished (or, at the end, unfinished) call, as sinks see it. */
struct rpt_call {
	const struct rpt_func *fn;
	uint32_t pid, tid;
	uint64_t start_ns, end_ns;	/* since the trace started */
	unsigned depth;			/* 0: outermost on its thread */
	uint64_t args[6];
	uint64_t ret;
	uint32_t flags;			/* VT_CALL_* */
	uint32_t nout;
	uint64_t out[4];
	uint64_t callsite;
	bool unfinished;		/* no exit record: died inside */
};

/* Whether the call's out-parameter values are real: it returned, and
 * did not fail (a failing call writes nothing). */
bool rpt_call_wrote(const struct rpt_call *c);
/* Whether a failed call is one of the runtime's expected probes: a
 * resolver answering CUDA_ERROR_NOT_FOUND, or cuGetExportTable answering
 * CUDA_ERROR_NOT_FOUND or CUDA_ERROR_INVALID_VALUE with valid pointers (so
 * only the id can be what the driver lacks). */
bool rpt_call_is_probe(const struct rpt_call *c);
/* "ok", "error", "probe" or "never-returned". */
const char *rpt_call_outcome(const struct rpt_call *c);

/* A supervisor event as sinks see it (syscalls included). */
struct rpt_event {
	const struct vt_rec_event *rec;
	uint64_t ts_ns;			/* since the trace started */
	const char *s0;			/* first string or "" */
};

struct rpt_sink {
	void *ctx;
	void (*call)(void *ctx, const struct rpt_call *c);
	void (*event)(void *ctx, const struct rpt_event *e);
	void (*thread)(void *ctx, uint32_t pid, uint32_t tid, const char *name);
};

struct rpt_model;

struct rpt_model *rpt_model_new(void);
void rpt_model_free(struct rpt_model *m);
/* Reads PATH to the end, feeding sink (may be NULL).  Returns 0, or -1
 * when the file cannot be read at all (message in err).  A truncated or
 * corrupt tail is not an error: the model says where the trace ends. */
int rpt_model_read(struct rpt_model *m, const char *path,
		   const struct rpt_sink *sink, char *err, size_t errlen);
/* Same over memory (fuzzing). */
int rpt_model_read_mem(struct rpt_model *m, const void *data, size_t len,
		       const struct rpt_sink *sink, char *err, size_t errlen);

/* Read-only views for the writers. */
struct rpt_view {
	const char *path;
	uint64_t records, bytes;
	enum vt_read_status end;	/* EOF, TRUNCATED or CORRUPT */
	const char *end_msg;		/* where and why it stopped */
	uint64_t realtime_ns;		/* wall clock at trace start */
	uint64_t duration_ns;		/* last timestamp seen */
	uint64_t calls, call_errors, unfinished, drops;
	uint64_t probes;	/* failed look-ups that are expected */
	bool lossy;
	struct rpt_func **funcs; size_t nfuncs;		/* by first use */
	struct rpt_process **procs; size_t nprocs;	/* by first appearance */
	struct rpt_library **libs; size_t nlibs;
	struct rpt_error **errors; size_t nerrors;
	uint64_t errors_dropped;	/* distinct errors beyond the cap */
	struct rpt_syscall **syscalls; size_t nsyscalls;
	uint64_t syscalls_unattributed;
	struct rpt_callsite **callsites; size_t ncallsites;
	struct rpt_call *open_calls; size_t nopen;	/* never returned */
	char **notes; size_t nnotes;	/* VT_EV_ERROR messages, capped */
	char **routes; size_t nroutes;	/* "LIB: route, detail", capped */
	const char *start_argv;		/* vgpu-run's own command line */
	const char *series;		/* a rotated trace: which part this is */
	struct rpt_export_table *tables; size_t ntables;	/* by first ask */
	struct rpt_sim_note *sim_notes; size_t nsim_notes;	/* distinct */
	uint64_t sim_notes_dropped;
	struct rpt_procaddr procaddr;
};
void rpt_model_view(const struct rpt_model *m, struct rpt_view *v);

/* Latency percentile (0..100) from the histogram, in ns. */
uint64_t rpt_percentile(const struct rpt_func *f, double pct);

/* Sort orders for the per-API table. */
enum rpt_sort { SORT_TIME, SORT_CALLS, SORT_ERRORS, SORT_NAME, SORT_MAX };
int rpt_sort_by_name(const char *s, enum rpt_sort *out);
/* A sorted copy of v->funcs (caller frees). */
struct rpt_func **rpt_sorted_funcs(const struct rpt_view *v, enum rpt_sort s);

/* ---- export tables and probes (report_probe.c) ---- */
/* The role a function's name gives it in api. */
enum rpt_role rpt_role_of(uint32_t api, const char *name);
/* The export-table id a call asked for, from its out values. */
bool rpt_export_id(const struct rpt_func *fn, const uint64_t *out,
		   unsigned nout, unsigned char id[16]);
/* 8-4-4-4-12 hex form into buf (37 bytes). */
void rpt_uuid_str(const unsigned char id[16], char *buf, size_t len);
/* The call's decoded arguments (dec_format_args), plus the export-table
 * id it asked for when it has one: "..., table=UUID (name)". */
void rpt_format_call_args(const struct rpt_func *fn, const uint64_t args[6],
			  const uint64_t *out, unsigned nout, bool wrote,
			  char *buf, size_t len);
/* Whether the look-ups say a CUDA runtime is linked into the program
 * itself (no libcudart.so asked for, yet a runtime resolved its table). */
bool rpt_static_runtime(const struct rpt_view *v);

/* ---- diagnosis (report_diag.c) ---- */
struct rpt_finding {
	char *text;
};
/* Plain-language findings; caller frees with rpt_findings_free. */
size_t rpt_diagnose(const struct rpt_view *v, struct rpt_finding **out);
void rpt_findings_free(struct rpt_finding *f, size_t n);

/* ---- call sites (report_callsite.c) ---- */
/* "module+0xoff" -> "module+0xoff (symbol+0xdelta)" into buf. */
void rpt_symbolize(const char *frame, char *buf, size_t len);
void rpt_symbolize_cleanup(void);

/* ---- writers ---- */
void rpt_write_text(FILE *f, const struct rpt_view *v, enum rpt_sort s);
void rpt_write_summary(FILE *f, const struct rpt_view *v, enum rpt_sort s);
void rpt_write_json(FILE *f, const struct rpt_view *v);

/* Streaming writers: begin before the pass, finish after it. */
struct rpt_stream;
struct rpt_stream *rpt_chrome_begin(FILE *f, struct rpt_sink *sink);
void rpt_chrome_finish(struct rpt_stream *s, const struct rpt_view *v);
struct rpt_stream *rpt_csv_begin(FILE *f, struct rpt_sink *sink);
void rpt_csv_finish(struct rpt_stream *s, const struct rpt_view *v);
struct rpt_stream *rpt_html_begin(FILE *f, struct rpt_sink *sink);
void rpt_html_finish(struct rpt_stream *s, const struct rpt_view *v);
struct rpt_stream *rpt_perfetto_begin(FILE *f, struct rpt_sink *sink);
void rpt_perfetto_finish(struct rpt_stream *s, const struct rpt_view *v);

/* ---- helpers (report_util.c) ---- */
void rpt_json_str(FILE *f, const char *s);	/* quoted, escaped */
void rpt_fmt_ns(uint64_t ns, char *buf, size_t len);	/* "1.25 ms" */
void rpt_fmt_status(int32_t wait_status, char *buf, size_t len);
char *rpt_strdup(const char *s);	/* aborts on OOM */
void *rpt_calloc(size_t n, size_t sz);
/* Appenders for the per-call writers, which run for every call of a
 * trace: each puts what fits of its text at buf+n, NUL-terminated, and
 * returns n plus the text's full length, as snprintf counts, so a caller
 * keeps one running count and checks it against len once. */
size_t rpt_put_mem_cut(char *buf, size_t len, size_t n, const char *s,
		       size_t k);	/* the part that does not fit */
/* Inline: with a literal the length is known and the copy is a few moves;
 * these run a dozen times per call of a trace. */
static inline size_t rpt_put_mem(char *buf, size_t len, size_t n,
				 const char *s, size_t k)
{
	if (n + k < len) {
		memcpy(buf + n, s, k);
		buf[n + k] = 0;
		return n + k;
	}
	return rpt_put_mem_cut(buf, len, n, s, k);
}
static inline size_t rpt_put_str(char *buf, size_t len, size_t n,
				 const char *s)
{
	return rpt_put_mem(buf, len, n, s, strlen(s));
}
static inline size_t rpt_put_char(char *buf, size_t len, size_t n, char c)
{
	return rpt_put_mem(buf, len, n, &c, 1);
}
size_t rpt_put_u64(char *buf, size_t len, size_t n, uint64_t v);
size_t rpt_put_i64(char *buf, size_t len, size_t n, int64_t v);
size_t rpt_put_hex(char *buf, size_t len, size_t n, uint64_t v); /* 0x.. */
/* Microseconds with three decimals ("12.345"), as trace-event JSON has. */
size_t rpt_put_us(char *buf, size_t len, size_t n, uint64_t ns);
/* A quoted, escaped JSON string (what rpt_json_str writes). */
size_t rpt_put_json(char *buf, size_t len, size_t n, const char *s);
/* A quoted CSV field (RFC 4180: quotes doubled). */
size_t rpt_put_csv(char *buf, size_t len, size_t n, const char *s);
/* Writes to f the text build(buf, len, arg) puts together (returning its
 * full length, as the appenders count): one fwrite from the stack, or
 * from a buffer of the size it asked for when that was not enough. */
void rpt_write_built(FILE *f, size_t (*build)(char *, size_t, const void *),
		     const void *arg);

/* ---- entry points ---- */
int report_main(int argc, char **argv);
/* Opens a report output file (report -o, --report) the way out_file.h
 * creates files: 0600, a fresh file replacing an existing one, never
 * through a symbolic link.  NULL with a message on stderr. */
FILE *rpt_create_output(const char *path);
/* -c and --report: from a finished trace file (trace_path, reports name
 * it name); report is the --report file vgpu-run opened before the
 * program started (NULL: none), closed here. */
int report_at_exit(const char *trace_path, const char *name, bool summary,
		   FILE *report, const char *report_path);

#endif
