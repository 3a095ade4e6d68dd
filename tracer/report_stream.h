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

#endif
