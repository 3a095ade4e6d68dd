/* One connection from an OCI runtime, in its own process: read the
 * message, then either hand the listener to the process already serving
 * that container (a `runc exec`, or any later connection after the agent
 * itself was restarted) or become that container's server.
 *
 * A container's server is a process of its own for the container's
 * whole life, so it keeps serving whatever happens to the agent that
 * forked it (killed, restarted, upgraded), each container has the
 * supervisor's state to itself (its trace, ring drain, watchdog, caches)
 * exactly as in launch mode, and a container that floods or stalls its
 * server costs no other container anything.
 *
 * Servers are found by name: STATE_DIR/<id> is the unix socket each one
 * listens on for more listeners of its container.  Deciding between
 * "connect to it" and "become it" happens under a lock on STATE_DIR, as
 * does a server's decision to end, so a listener is never handed to a
 * server that is about to end without taking it. */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "agent.h"
#include "out_file.h"

#define MSG_MAX (64 * 1024)
#define MAX_FDS 8
#define HANDOVER_TRIES 3

static const char *cid = "?";	/* for messages, once known */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* One write per line: many servers share the agent's stderr. */
	fprintf(stderr, "vgpu-run agent: [%s] %s\n", cid, line);
}

bool agent_is_listener(int fd)
{
	char p[64], link[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, link, sizeof(link) - 1);
	if (n < 0)
		return false;
	link[n] = 0;
	return !strcmp(link, "anon_inode:seccomp notify");
}

/* Bounded waits: a peer that connects and says nothing costs one process
 * a few seconds, never the agent. */
static void time_limit(int sock, int seconds)
{
	struct timeval tv = { .tv_sec = seconds };
	setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

/* One recvmsg; the first seccomp listener among the fds it brought goes
 * to *listener (when still -1), every other fd is closed. */
static ssize_t recv_with_fds(int sock, char *buf, size_t len, int *listener)
{
	char cbuf[CMSG_SPACE(MAX_FDS * sizeof(int))];
	struct iovec iov = { buf, len };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	ssize_t n;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); n >= 0 && c;
	     c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		size_t nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < nfd; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
			if (*listener < 0 && agent_is_listener(fd))
				*listener = fd;
			else
				close(fd);
		}
	}
	return n;
}

/* The runtime's message: the state JSON with the listener.  runc keeps
 * its end open long after, so the message ends where its JSON does,
 * never at end of file. */
static int read_message(int conn, struct oci_state *st, int *listener)
{
	char *buf = malloc(MSG_MAX);
	size_t have = 0;
	const char *why = "the runtime closed the connection";
	int r = -1;
	if (!buf) {
		say("out of memory");
		return -1;
	}
	while (have < MSG_MAX) {
		ssize_t n = recv_with_fds(conn, buf + have, MSG_MAX - have,
					  listener);
		if (n <= 0) {
			if (n < 0)
				why = errno == EAGAIN ? "no message in time" :
							strerror(errno);
			break;
		}
		have += (size_t)n;
		r = oci_state_parse(buf, have, st, &why);
		if (r <= 0)
			break;
		r = -1;
		why = "a message longer than 64 KiB";
	}
	free(buf);
	if (r == 0 && !oci_id_valid(st->id)) {
		r = -1;
		why = "a container id that cannot name a file";
	}
	if (r == 0 && *listener < 0) {
		r = -1;
		why = "no seccomp listener came with it";
	}
	if (r)
		say("refused a runtime's message: %s", why);
	return r;
}

static int lock_state(const struct agent_conf *c)
{
	return flock(c->state_dir, LOCK_EX);
}

static void unlock_state(const struct agent_conf *c)
{
	flock(c->state_dir, LOCK_UN);
}

static int sock_addr(const struct agent_conf *c, struct sockaddr_un *a)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	int n = snprintf(a->sun_path, sizeof(a->sun_path), "%s/%s",
			 c->state_dir_name, cid);
	return n < 0 || (size_t)n >= sizeof(a->sun_path) ? -1 : 0;
}

/* Whose is the other end: only root or our own user may hand us fds or
 * take them. */
static bool peer_trusted(int sock)
{
	struct ucred cr;
	socklen_t len = sizeof(cr);
	return getsockopt(sock, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
	       (cr.uid == 0 || cr.uid == geteuid());
}

static int send_fd(int sock, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	char b = 'L';
	struct iovec iov = { &b, 1 };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(h), &fd, sizeof(int));
	return sendmsg(sock, &m, MSG_NOSIGNAL) == 1 ? 0 : -1;
}

/* Connects to the container's server.  Returns the connected socket,
 * -ECONNREFUSED/-ENOENT when none serves it, or another -errno. */
static int connect_server(const struct agent_conf *c)
{
	struct sockaddr_un a;
	if (sock_addr(c, &a))
		return -ENAMETOOLONG;
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -errno;
	/* Bounded: a full backlog must not hold the lock for ever. */
	time_limit(s, 5);
	if (connect(s, (struct sockaddr *)&a, sizeof(a))) {
		int e = errno;
		close(s);
		return -e;
	}
	if (!peer_trusted(s)) {
		close(s);
		return -EPERM;
	}
	return s;
}

/* Hands the listener over; true once the server said it took it. */
static bool hand_over(int s, int listener)
{
	char ack = 0;
	bool ok = send_fd(s, listener) == 0 && read(s, &ack, 1) == 1 &&
		  ack == 'K';
	close(s);
	return ok;
}

/* The server's socket, made under the lock.  Returns it, or -1. */
static int become_server(const struct agent_conf *c)
{
	struct sockaddr_un a;
	if (sock_addr(c, &a))
		return -1;
	unlinkat(c->state_dir, cid, 0);	/* a dead server's */
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (s < 0)
		return -1;
	if (bind(s, (struct sockaddr *)&a, sizeof(a)) || listen(s, 16)) {
		close(s);
		return -1;
	}
	return s;
}

/* The control socket has a connection: one more listener of this
 * container (a process entering it), taken and acknowledged.  Returns 1
 * when one was taken, 0 when nothing was pending. */
static int take_listener(struct supervisor *s)
{
	int conn = accept4(s->control, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return 0;
	int listener = -1;
	char b;
	time_limit(conn, 1);
	if (peer_trusted(conn) &&
	    recv_with_fds(conn, &b, 1, &listener) == 1 && listener >= 0 &&
	    notify_add_listener(listener) == 0) {
		filter_tune_listener(listener);
		const char *strs[] = { "listener", "a process entered the container" };
		event(s, VT_EV_NOTE, 0, 0, 0, 2, strs);
		(void)!write(conn, "K", 1);
	} else if (listener >= 0) {
		say("a listener handed over could not be taken");
		close(listener);
	}
	close(conn);
	return 1;
}

static void on_control(struct supervisor *s)
{
	take_listener(s);
}

static const struct agent_conf *conf;

/* The last listener hung up.  Under the lock (no one can connect
 * meanwhile), a connection already queued is taken and the server goes
 * on; otherwise its name is removed and it ends. */
static bool on_idle(struct supervisor *s)
{
	lock_state(conf);
	bool more = false;
	while (take_listener(s))
		more = true;
	if (!more) {
		unlinkat(conf->state_dir, cid, 0);
		close(s->control);
		s->control = -1;
	}
	unlock_state(conf);
	return more;
}

/* DIR/<id>.vgpu, or <id>.N.vgpu when a container of that id was traced
 * before (ids come back after a container is deleted): nothing earlier
 * is overwritten. */
static struct vt_writer *open_trace(struct supervisor *s,
				    const struct agent_conf *c, char *path,
				    size_t pathlen)
{
	char err[1024];
	for (int n = 1; n < 1000; n++) {
		struct outf o;
		if (n == 1)
			snprintf(path, pathlen, "%s/%s.vgpu", c->trace_dir_name, cid);
		else
			snprintf(path, pathlen, "%s/%s.%d.vgpu",
				 c->trace_dir_name, cid, n);
		if (outf_open(&o, path, OUTF_LOCK, err, sizeof(err))) {
			if (errno == EEXIST)
				continue;
			say("%s", err);
			return NULL;
		}
		struct vt_writer *w = vt_writer_fdopen(o.fd, s->opt.lossy ?
						       VT_FILE_LOSSY : 0);
		if (w)
			o.fd = -1;
		outf_close(&o);
		return w;
	}
	say("%s: too many traces of this container id", c->trace_dir_name);
	return NULL;
}

static void trace_lost(void *arg, int err, uint64_t at)
{
	const struct supervisor *s = arg;
	(void)at;
	say("%s: the trace cannot be written: %s; the container goes on "
	    "untraced", s->opt.trace_path, strerror(err));
}

static void raise_fd_limit(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

/* listenerMetadata: "vgpu.backend=sim" or "vgpu.backend=passthrough"
 * (items split by spaces, commas or semicolons) chooses this container's
 * backend over the agent's.  Whoever writes a container's config (on
 * Kubernetes, the pod's owner) writes this: it may choose among the
 * agent's own backends, never name a file of the host. */
static bool metadata_rules(struct supervisor *s, const char *md)
{
	bool added = false;
	char buf[sizeof(((struct oci_state *)0)->metadata)];
	snprintf(buf, sizeof(buf), "%s", md);
	char *save = NULL;
	for (char *item = strtok_r(buf, " ,;", &save); item;
	     item = strtok_r(NULL, " ,;", &save)) {
		const char *v = strchr(item, '=') ? strchr(item, '=') + 1 : "";
		if (!strncmp(item, "vgpu.backend=", 13) &&
		    (!strcmp(v, "sim") || !strcmp(v, "passthrough"))) {
			added |= add_keyword_rule(&s->rules, "listenerMetadata",
						  "backend", v) == 0;
			const char *strs[] = { "listenerMetadata", item };
			event(s, VT_EV_NOTE, 0, 0, 0, 2, strs);
		} else if (!strncmp(item, "vgpu.", 5)) {
			say("listenerMetadata: '%s' ignored (only "
			    "vgpu.backend=sim or vgpu.backend=passthrough)",
			    item);
		}
	}
	return added;
}

static void serve_container(struct supervisor *s, const struct agent_conf *c,
			    const struct oci_state *st, int listener, int ctl)
{
	static char trace_path[4096];
	raise_fd_limit();
	if (c->trace_dir >= 0) {
		s->trace = open_trace(s, c, trace_path, sizeof(trace_path));
		s->opt.trace_path = trace_path;
	}
	if (s->trace) {
		vt_writer_on_error(s->trace, trace_lost, s);
		const char *argv[] = { "vgpu-run", "agent", "container", st->id };
		event(s, VT_EV_START, 0, 0, 0, 4, argv);
	}
	/* A container's own backend choice is resolved here, in its own
	 * server; the agent's were checked when it started. */
	if (metadata_rules(s, st->metadata) && interposer_check(s))
		say("cannot serve its chosen backend: see above");
	reserved_builtin_init();
	if (interposer_init(s)) {
		/* Only a drain that cannot start gets here: the container
		 * goes on unserved. */
		say("cannot serve this container's libraries");
		close(listener);
		on_idle(s);
		_exit(1);
	}
	fdpool_init(s->served, s->nserved);
	filter_tune_listener(listener);
	notify_add_listener(listener);
	char pid[24];
	snprintf(pid, sizeof(pid), "%ld", st->pid);
	const char *strs[] = { "container", st->id, st->status, pid };
	event(s, VT_EV_NOTE, 0, 0, 0, 4, strs);
	if (s->opt.verbose > 0)
		say("serving (%s)", st->status);
	s->control = ctl;
	s->on_control = on_control;
	s->on_idle = on_idle;
	notify_loop(s);
	interposer_finish(s);
	events_close();
	if (s->trace && vt_writer_close(s->trace))
		say("%s: the trace is incomplete", trace_path);
	if (s->opt.verbose > 0)
		say("the container's last process is gone");
	_exit(0);
}

void agent_connection(struct supervisor *s, const struct agent_conf *c,
		      int conn)
{
	struct oci_state st;
	int listener = -1;
	conf = c;
	time_limit(conn, 5);
	if (!peer_trusted(conn)) {
		say("refused a connection from a user that is neither root "
		    "nor ours");
		_exit(1);
	}
	if (read_message(conn, &st, &listener)) {
		if (listener >= 0)
			close(listener);
		_exit(1);
	}
	close(conn);
	cid = st.id;
	struct sockaddr_un a;
	if (sock_addr(c, &a)) {
		say("%s/%s: too long for a unix socket name (use a shorter "
		    "--state-dir)", c->state_dir_name, cid);
		_exit(1);
	}
	for (int i = 0; i < HANDOVER_TRIES; i++) {
		lock_state(c);
		int srv = connect_server(c);
		if (srv >= 0) {
			unlock_state(c);
			if (hand_over(srv, listener)) {
				if (s->opt.verbose > 0)
					say("handed to its server (%s)",
					    st.status);
				_exit(0);
			}
			continue;	/* it ended meanwhile: ask again */
		}
		if (srv != -ECONNREFUSED && srv != -ENOENT) {
			unlock_state(c);
			say("%s/%s: %s", c->state_dir_name, cid, strerror(-srv));
			_exit(1);
		}
		int ctl = become_server(c);
		unlock_state(c);
		if (ctl < 0) {
			say("%s/%s: cannot listen there", c->state_dir_name, cid);
			_exit(1);
		}
		serve_container(s, c, &st, listener, ctl);
	}
	say("no server took this container's listener");
	_exit(1);
}
