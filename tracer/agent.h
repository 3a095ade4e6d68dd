/* vgpu-run agent: the daemon OCI runtimes hand each container's seccomp
 * listener to (linux.seccomp.listenerPath).  agent.c accepts and forks;
 * agent_container.c serves one container; agent_state.c reads the
 * runtime's message. */
#ifndef VGPU_AGENT_H
#define VGPU_AGENT_H

#include <stdbool.h>
#include <stddef.h>

#include "supervisor.h"

/* What one container's server needs beyond the supervisor's rules. */
struct agent_conf {
	int trace_dir;		/* O_PATH directory, -1: no traces */
	const char *trace_dir_name;
	int state_dir;		/* O_PATH directory of per-container sockets */
	const char *state_dir_name;
};

/* The container a runtime's message speaks of.  Only these are taken
 * from its JSON; everything else is skipped unread. */
#define OCI_ID_MAX 128
struct oci_state {
	char id[OCI_ID_MAX + 1];	/* state.id */
	char status[32];		/* state.status: creating, running... */
	char metadata[256];		/* listenerMetadata, "" when none */
	long pid;			/* pid (crun exec: 0) */
};

/* Parses the runtime's JSON message (len bytes, not NUL-terminated).
 * Returns 0, 1 when the text ends before the message does (read more),
 * or -1 with *why set. */
int oci_state_parse(const char *buf, size_t len, struct oci_state *st,
		    const char **why);
/* A container id that can name a file: [A-Za-z0-9_.+-], not "." or "..",
 * at most OCI_ID_MAX bytes (runc's own rule, stricter on length). */
bool oci_id_valid(const char *id);

/* agent_container.c: runs in the child forked for one connection; never
 * returns.  The listener goes to the container's server (this process,
 * or the one already serving that container). */
void agent_connection(struct supervisor *s, const struct agent_conf *c,
		      int conn) __attribute__((noreturn));

/* The seccomp listener among the fds a message brought, or -1. */
bool agent_is_listener(int fd);

#endif
