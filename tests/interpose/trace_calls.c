/* Prints "NAME COUNT" for the call-exit records of a trace (names from
 * its FUNC_TABLE records), then "enter N exit N unfinished N", and with
 * -f the flags of each exit (injected, missing) per name; with -n also
 * "NOTE key value" for each note event; with -x also "EXIT NAME size=N
 * out=V,V" for each exit record as it comes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace.h"

#define MAXF 65536
static char *names[VT_API_MAX][4096];
static unsigned long exits[VT_API_MAX][4096], enters[VT_API_MAX][4096];
static unsigned long injected[VT_API_MAX][4096];

int main(int argc, char **argv)
{
	struct vt_reader r;
	if (argc < 2 || vt_reader_open(&r, argv[argc - 1])) {
		fprintf(stderr, "trace_calls: %s\n", argc < 2 ? "usage: trace_calls TRACE" : r.err);
		return 2;
	}
	const struct vt_rec_hdr *h;
	enum vt_read_status st;
	unsigned long ne = 0, nx = 0, clocks = 0;
	bool notes = argc > 2 && !strcmp(argv[1], "-n");
	bool each_exit = argc > 2 && !strcmp(argv[1], "-x");
	while ((st = vt_reader_next(&r, &h)) == VT_READ_OK) {
		if (h->type == VT_REC_FUNC_TABLE) {
			const struct vt_rec_func_table *t = (const void *)h;
			for (uint32_t i = 0; i < t->count; i++) {
				const char *s = vt_rec_string(h, sizeof(*t), i);
				if (t->api < VT_API_MAX && t->first_index + i < 4096 && s)
					names[t->api][t->first_index + i] = strdup(s);
			}
		} else if (h->type == VT_REC_CALL_ENTER) {
			const struct vt_rec_call_enter *e = (const void *)h;
			uint32_t a = VT_FUNC_API(e->func), i = VT_FUNC_INDEX(e->func);
			if (a < VT_API_MAX && i < 4096) {
				if (!names[a][i])
					printf("UNNAMED %u\n", e->func);
				enters[a][i]++;
			}
			ne++;
		} else if (h->type == VT_REC_CALL_EXIT) {
			const struct vt_rec_call_exit *x = (const void *)h;
			uint32_t a = VT_FUNC_API(x->func), i = VT_FUNC_INDEX(x->func);
			if (a < VT_API_MAX && i < 4096) {
				exits[a][i]++;
				if (h->flags & VT_CALL_INJECTED)
					injected[a][i]++;
			}
			if (each_exit) {
				printf("EXIT %s size=%u out=", a < VT_API_MAX && i < 4096 &&
				       names[a][i] ? names[a][i] : "?", h->size);
				for (uint32_t k = 0; k < x->nout && k < 4 &&
				     offsetof(struct vt_rec_call_exit, out) + 8 * (k + 1) <= h->size; k++)
					printf("%s%llu", k ? "," : "", (unsigned long long)x->out[k]);
				printf("\n");
			}
			nx++;
		} else if (h->type == VT_REC_EVENT && notes) {
			const struct vt_rec_event *e = (const void *)h;
			const char *k = vt_rec_string(h, sizeof(*e), 0);
			const char *v = vt_rec_string(h, sizeof(*e), 1);
			if (e->kind == VT_EV_NOTE && k && v)
				printf("NOTE %s %s\n", k, v);
		} else if (h->type == VT_REC_CLOCK) {
			clocks++;
		}
	}
	for (unsigned a = 0; a < VT_API_MAX; a++)
		for (unsigned i = 0; i < 4096; i++) {
			if (exits[a][i])
				printf("%s %lu\n", names[a][i] ? names[a][i] : "?", exits[a][i]);
			if (enters[a][i] > exits[a][i])
				printf("UNFINISHED %s %lu\n", names[a][i] ? names[a][i] : "?",
				       enters[a][i] - exits[a][i]);
			if (injected[a][i])
				printf("INJECTED %s %lu\n", names[a][i] ? names[a][i] : "?", injected[a][i]);
		}
	printf("TOTAL enter %lu exit %lu clock %lu status %d\n", ne, nx, clocks, st);
	vt_reader_close(&r);
	return 0;
}
