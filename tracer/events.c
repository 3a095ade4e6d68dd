/* Supervisor events: one call writes the trace record and the -v line. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "supervisor.h"
#include "text_escape.h"

static pthread_mutex_t trace_mutex = PTHREAD_MUTEX_INITIALIZER;

void trace_lock(void)
{
	pthread_mutex_lock(&trace_mutex);
}

void trace_unlock(void)
{
	pthread_mutex_unlock(&trace_mutex);
}

void event(struct supervisor *s, uint32_t kind, pid_t tid, int32_t result,
	   uint64_t arg, unsigned nstr, const char *const *strs)
{
	event_at(s, vt_now_ns(), kind, tid, result, arg, nstr, strs);
}

void event_at(struct supervisor *s, uint64_t ts_ns, uint32_t kind, pid_t tid,
	      int32_t result, uint64_t arg, unsigned nstr,
	      const char *const *strs)
{
	pid_t pid = tid > 0 ? target_tgid(tid) : 0;
	if (s->trace) {
		trace_lock();
		vt_write_event_at(s->trace, ts_ns, kind, (uint32_t)pid,
				  (uint32_t)tid, result, arg, nstr, strs);
		trace_unlock();
	}
	if (s->opt.verbose <= 0)
		return;
	if ((kind == VT_EV_OPEN_PASSED || (kind == VT_EV_NOTE && nstr &&
	     !strcmp(strs[0], "parent"))) && s->opt.verbose < 2)
		return;
	char line[8192];
	int n = snprintf(line, sizeof(line), "vgpu-run: [%d] %s", tid,
			 vt_event_kind_name(kind));
	/* Paths and argv are the program's: escaped, so they cannot forge
	 * a line or drive the terminal. */
	for (unsigned i = 0; i < nstr && n > 0 && (size_t)n < sizeof(line); i++) {
		char vis[8192];
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s",
			      i == 0 ? " " : (kind == VT_EV_OPEN_SERVED ||
					      kind == VT_EV_RESERVED) ?
					      (i == 1 ? " <- " : " by ") : " ",
			      text_escape(vis, sizeof(vis), strs[i] ? strs[i] : ""));
	}
	if (n > 0 && (size_t)n < sizeof(line) &&
	    (kind == VT_EV_EXIT || kind == VT_EV_ERROR || kind == VT_EV_RESERVED))
		snprintf(line + n, sizeof(line) - (size_t)n, " (%d)", result);
	fprintf(stderr, "%s\n", line);
}
