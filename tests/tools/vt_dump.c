/* Prints a trace's supervisor events and call records one per line,
 * tab-separated:
 *   event KIND PID TID RESULT ARG STR...
 *   enter FUNC-ID TID TS ARG0 ARG1 ARG2
 *   exit  FUNC-ID TID TS RET FLAGS
 * and a last line "end OK|TRUNCATED|CORRUPT records N".  Tests grep it. */
#include <stdio.h>
#include <string.h>

#include "trace.h"

int main(int argc, char **argv)
{
	struct vt_reader r;
	if (argc != 2) {
		fprintf(stderr, "usage: vt_dump TRACE\n");
		return 2;
	}
	if (vt_reader_open(&r, argv[1])) {
		fprintf(stderr, "vt_dump: %s\n", r.err);
		return 1;
	}
	const struct vt_rec_hdr *h;
	enum vt_read_status st;
	while ((st = vt_reader_next(&r, &h)) == VT_READ_OK) {
		if (h->type == VT_REC_CALL_ENTER) {
			const struct vt_rec_call_enter *c = (const void *)h;
			printf("enter\t%#x\t%u\t%llu\t%#llx\t%#llx\t%#llx\n", c->func,
			       c->tid, (unsigned long long)c->ts,
			       (unsigned long long)c->args[0],
			       (unsigned long long)c->args[1],
			       (unsigned long long)c->args[2]);
			continue;
		}
		if (h->type == VT_REC_CALL_EXIT) {
			const struct vt_rec_call_exit *c = (const void *)h;
			printf("exit\t%#x\t%u\t%llu\t%#llx\t%#x\n", c->func, c->tid,
			       (unsigned long long)c->ts,
			       (unsigned long long)c->ret, c->h.flags);
			continue;
		}
		if (h->type != VT_REC_EVENT)
			continue;
		const struct vt_rec_event *e = (const void *)h;
		printf("event\t%s\t%u\t%u\t%d\t%llu", vt_event_kind_name(e->kind),
		       e->pid, e->tid, e->result, (unsigned long long)e->arg);
		for (unsigned i = 0; i < e->nstr; i++) {
			const char *s = vt_rec_string(h, sizeof(*e), i);
			printf("\t%s", s ? s : "?");
		}
		printf("\n");
	}
	static const char *const names[] = { "OK", "OK", "TRUNCATED",
					     "CORRUPT", "IOERR" };
	printf("end\t%s\trecords %llu\n", names[st],
	       (unsigned long long)r.records);
	if (st != VT_READ_EOF)
		fprintf(stderr, "vt_dump: %s\n", r.err);
	vt_reader_close(&r);
	return st == VT_READ_EOF ? 0 : 3;
}
