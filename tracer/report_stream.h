/* Private to the streaming writers (chrome, csv, html). */
#ifndef VGPU_REPORT_STREAM_H
#define VGPU_REPORT_STREAM_H

#include "report.h"

struct rpt_stream {
	FILE *f;
	uint64_t n;		/* items written */
	uint64_t cap;		/* html: most calls embedded */
	uint64_t skipped;
};

#endif
