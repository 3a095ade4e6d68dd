/* -o FILE as a service needs it: compression, a bounded series of files,
 * a name that no restart reuses, a directory made for the service user. */
#ifndef VGPU_TRACE_OUT_H
#define VGPU_TRACE_OUT_H

#include <stdbool.h>
#include <sys/types.h>

#include "trace.h"

/* --compress, --max-size SIZE, --max-files N, --trace-owner USER (as
 * root: the trace files, and a missing directory of them, are USER's): name is
 * the option's long name.  Returns 0, or -1 after saying what is wrong. */
int trace_out_option(const char *name, const char *arg);
/* After all options: whether they fit together (-o given).  0 or -1. */
int trace_out_check(const char *path);

/* Creates the trace named by the -o pattern (see vgpu-run --help).
 * *path becomes the name as expanded so far (%p is known only once the
 * program exists); *readback a descriptor of the first file for the
 * report at exit, or -1.  Returns the writer, or NULL after saying why. */
struct vt_writer *trace_out_open(const char **path, bool force, bool lossy,
				 int *readback);
/* The program's first process is pid: a %p in the name is filled in
 * (the file is renamed to it).  *path is updated. */
void trace_out_started(pid_t pid, const char **path);

#endif
