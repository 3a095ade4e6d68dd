/* Private to the streaming writers (chrome, csv, html). */
#ifndef VGPU_REPORT_STREAM_H
#define VGPU_REPORT_STREAM_H

#include "report.h"

struct rpt_stream {
	FILE *f;
	uint64_t n;		/* items written */
	uint64_t cap;		/* html: most calls embedded */
	uint64_t skipped;
	/* html: thread names seen (VT_REC_THREAD), capped */
	struct stream_thread { uint32_t pid, tid; char *name; } *threads;
	size_t nthreads;
	void *priv;		/* a writer's own state (html) */
};

#define STREAM_MAX_THREADS 4096

/* 64-bit keys to indexes 0, 1, 2... (report_idmap.c). */
struct rpt_idmap {
	uint64_t *keys;
	uint32_t *vals;		/* index + 1; 0: free slot */
	size_t n, cap;
};
/* The index of key; a new key gets next (*fresh set). */
uint32_t rpt_idmap_get(struct rpt_idmap *m, uint64_t key, uint32_t next,
		       bool *fresh);
void rpt_idmap_free(struct rpt_idmap *m);

/* Distinct strings, numbered 0, 1, 2... as first seen. */
struct rpt_strtab {
	char **s;		/* copies, by number */
	size_t n;
	uint32_t *slot;		/* open addressing: number + 1 */
	size_t nslot;
};
uint32_t rpt_strtab_get(struct rpt_strtab *t, const char *s, bool *fresh);
void rpt_strtab_free(struct rpt_strtab *t);

/* A call's decoded arguments as key/value pairs (chrome, perfetto). */
struct rpt_kv {
	const char *key, *value;
};
#define RPT_MAX_KV 24
/* Splits "name=value, name=value" (what rpt_format_call_args writes) in
 * place: at ", " outside quotes and brackets where a name and '=' follow.
 * A value the decode table does not name has key NULL (writers call it
 * "argN", N its position).  Returns the number of pairs. */
size_t rpt_split_args(char *args, struct rpt_kv *kv, size_t max);
/* Whether a call's result says nothing a reader needs: a status API that
 * returned success, or a void function (the writers leave it out). */
bool rpt_result_is_plain(const struct rpt_call *c);

#endif
