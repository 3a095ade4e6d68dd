/* Starting the program under the filter: the child loads the filter,
 * sends the listener to us over a unix socket, and execs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "supervisor.h"

static int send_fd(int sock, int fd, int status)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec iov = { &status, sizeof(status) };
	struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
	if (fd >= 0) {
		m.msg_control = cbuf;
		m.msg_controllen = sizeof(cbuf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &fd, sizeof(int));
	}
	return sendmsg(sock, &m, MSG_NOSIGNAL) < 0 ? -1 : 0;
}

/* Returns the fd, or -1 with *status holding the child's errno. */
static int recv_fd(int sock, int *status)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { status, sizeof(*status) };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	*status = EPROTO;
	ssize_t n;
	do
		n = recvmsg(sock, &m, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(*status))
		return -1;
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

static void child(struct supervisor *s, int sock, const sigset_t *oldmask)
{
	bool nnp = false;
	int fd = filter_install(s->opt.trace_syscalls, &nnp);
	int status = fd < 0 ? errno : (nnp ? -1 : 0);
	if (send_fd(sock, fd, status) < 0)
		_exit(127);
	if (fd < 0)
		_exit(127);
	/* The program must not hold the listener: if it outlived us it
	 * would keep the filter answering no one. */
	close(fd);
	close(sock);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	execvp(s->opt.argv[0], s->opt.argv);
	int e = errno;
	fprintf(stderr, "vgpu-run: %s: %s\n", s->opt.argv[0], strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

void supervisor_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGCHLD);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGQUIT);
}

/* The supervisor holds descriptors for the whole tree (ring sets, kept
 * thread handles, served-file pools), far past a default soft limit of
 * 1024; the program keeps the limit it was given (a raised one breaks
 * select()), so this is done after the fork. */
static void raise_fd_limit(void)
{
	struct rlimit r;
	if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
		r.rlim_cur = r.rlim_max;
		setrlimit(RLIMIT_NOFILE, &r);
	}
}

int spawn_program(struct supervisor *s)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
		perror("vgpu-run: socketpair");
		return -1;
	}
	/* Signals wait in the signalfd from now on; the child gets the
	 * mask it would have had. */
	sigset_t set, old;
	supervisor_signals(&set);
	sigprocmask(SIG_BLOCK, &set, &old);
	/* Orphans of the tree come to us, so we see the whole tree end. */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("vgpu-run: fork");
		return -1;
	}
	if (pid == 0) {
		close(sv[0]);
		child(s, sv[1], &old);
	}
	close(sv[1]);
	raise_fd_limit();
	s->child = pid;
	int status;
	s->listener = recv_fd(sv[0], &status);
	close(sv[0]);
	if (s->listener < 0) {
		fprintf(stderr, "vgpu-run: could not install the seccomp "
			"filter: %s\n", strerror(status > 0 ? status : EPROTO));
		waitpid(pid, NULL, 0);
		return -1;
	}
	filter_tune_listener(s->listener);
	s->nnp = status == -1;
	/* Root without the capability is a container or a service that
	 * dropped it: being root already, it needs the capability granted,
	 * not advice to become root. */
	if (s->nnp)
		fprintf(stderr, "vgpu-run: warning: %s, so the seccomp filter "
			"set no_new_privs: set-uid programs in the tree (sudo, "
			"snap-confine) run without their privileges. To keep "
			"them, %s; or accept no_new_privs.\n",
			s->root ? "running as root without CAP_SYS_ADMIN (a "
			"container or a service that dropped it)" :
			"not running with CAP_SYS_ADMIN",
			s->root ? "grant CAP_SYS_ADMIN (docker/podman run "
			"--cap-add SYS_ADMIN, systemd AmbientCapabilities="
			"CAP_SYS_ADMIN)" : "run vgpu-run as root (sudo "
			"vgpu-run ...) or with CAP_SYS_ADMIN");
	const char *strs[] = { s->opt.argv[0] };
	event(s, VT_EV_SPAWN, pid, 0, s->nnp, 1, strs);
	return 0;
}
