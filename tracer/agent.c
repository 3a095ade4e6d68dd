/* vgpu-run agent: accepts OCI runtimes' connections on a unix socket
 * (linux.seccomp.listenerPath) and forks a process for each, which reads
 * the runtime's message and serves the container (agent_container.c).
 * This process parses nothing a runtime sends and waits on no one: it
 * accepts, forks and reaps, so no container can slow down the next
 * one's start. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "agent.h"

/* sd_listen_fds(3): the first passed fd. */
#define SD_LISTEN_FDS_START 3

static void usage(FILE *f)
{
	fprintf(f,
"usage: vgpu-run agent --socket PATH [--trace-dir DIR] [--state-dir DIR]\n"
"                      [--rules FILE] [--rule LINE] [--backend [API=]VALUE]\n"
"                      [--real-lib [API=]PATH] [--no-default-rules] [--lossy] [-v]\n"
"\n"
"Serves every container whose OCI config names PATH as its\n"
"linux.seccomp.listenerPath: the libraries its processes open are served\n"
"by the rules, as `vgpu-run -- PROGRAM` would serve them, and with\n"
"--trace-dir each container is traced into DIR/<container-id>.vgpu.\n"
"Under systemd socket activation (LISTEN_FDS) the passed socket is used\n"
"and --socket may be left out.\n"
"\n"
"  --socket PATH      the unix socket runtimes connect to (made mode 0600)\n"
"  --trace-dir DIR    one trace per container (DIR is made mode 0700)\n"
"  --state-dir DIR    where each container's server is found (default\n"
"                     PATH.d); servers outlive the agent, so a restarted\n"
"                     agent hands later `exec`s to the running ones\n"
"  -v                 say each container's start and end on stderr\n"
"\n"
"A container may choose its backend among the agent's own with the\n"
"listenerMetadata vgpu.backend=sim or vgpu.backend=passthrough.\n");
}

enum {
	OPT_SOCKET = 256, OPT_TRACE_DIR, OPT_STATE_DIR,
};

static const struct option longopts[] = {
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "trace-dir", required_argument, NULL, OPT_TRACE_DIR },
	{ "state-dir", required_argument, NULL, OPT_STATE_DIR },
	RULE_LONGOPTS,
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

struct agent_args {
	const char *socket;
	const char *trace_dir;
	const char *state_dir;
};

static int parse_args(struct supervisor *s, struct agent_args *a, int argc,
		      char **argv)
{
	int c;
	/* getopt's own messages start with argv[0]. */
	argv[0] = "vgpu-run agent";
	while ((c = getopt_long(argc, argv, "vh", longopts, NULL)) != -1) {
		switch (c) {
		case 'v': s->opt.verbose++; break;
		case 'h': usage(stdout); exit(0);
		case OPT_SOCKET: a->socket = optarg; break;
		case OPT_TRACE_DIR: a->trace_dir = optarg; break;
		case OPT_STATE_DIR: a->state_dir = optarg; break;
		default:
			/* getopt said which option, or the rule option did */
			if (rule_option(s, "vgpu-run agent", c, optarg) != 1)
				return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "vgpu-run agent: unexpected argument '%s' (the "
			"agent runs no program: runtimes connect to it)\n",
			argv[optind]);
		return -1;
	}
	return 0;
}

/* The socket systemd passed, when it passed exactly one to us. */
static int activated_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	if (!pid || !n || atol(pid) != (long)getpid() || atoi(n) != 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	fcntl(SD_LISTEN_FDS_START, F_SETFD, FD_CLOEXEC);
	return SD_LISTEN_FDS_START;
}

static bool socket_name_fits(const char *path)
{
	struct sockaddr_un a;
	if (strlen(path) < sizeof(a.sun_path))
		return true;
	fprintf(stderr, "vgpu-run agent: %s: too long for a unix socket "
		"name\n", path);
	return false;
}

/* PATH made afresh, unless a live agent listens there. */
static int bind_socket(const char *path)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	if (!socket_name_fits(path))
		return -1;
	strcpy(a.sun_path, path);
	int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (struct sockaddr *)&a, sizeof(a)) == 0) {
		fprintf(stderr, "vgpu-run agent: %s: another agent listens "
			"there\n", path);
		close(s);
		return -1;
	}
	struct stat st;
	if (lstat(path, &st) == 0 && !S_ISSOCK(st.st_mode)) {
		fprintf(stderr, "vgpu-run agent: %s: exists and is not a "
			"socket\n", path);
		close(s);
		return -1;
	}
	unlink(path);
	/* Only root's runtimes (and our own user's) may hand us fds. */
	mode_t old = umask(0177);
	int rc = bind(s, (struct sockaddr *)&a, sizeof(a));
	umask(old);
	if (rc || listen(s, 128)) {
		fprintf(stderr, "vgpu-run agent: %s: %s\n", path, strerror(errno));
		close(s);
		return -1;
	}
	return s;
}

/* A directory of ours: made 0700 when missing, refused when someone
 * else could write into it.  Returns an O_PATH fd, or -1. */
static int own_dir(const char *what, const char *path)
{
	if (mkdir(path, 0700) && errno != EEXIST) {
		fprintf(stderr, "vgpu-run agent: %s %s: %s\n", what, path,
			strerror(errno));
		return -1;
	}
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "vgpu-run agent: %s %s: %s\n", what, path,
			strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_uid != geteuid() || (st.st_mode & 022)) {
		fprintf(stderr, "vgpu-run agent: %s %s: must be ours and "
			"writable by no one else\n", what, path);
		close(fd);
		return -1;
	}
	return fd;
}

static void reap(void)
{
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

int agent_main(int argc, char **argv)
{
	static struct supervisor s = { .listener = -1, .control = -1 };
	struct agent_args a = { 0 };
	s.root = geteuid() == 0;
	s.adopted = true;
	if (parse_args(&s, &a, argc, argv)) {
		fprintf(stderr, "Try 'vgpu-run agent --help' for more "
			"information.\n");
		return 2;
	}
	int lsock = activated_socket();
	if (lsock < 0 && !a.socket) {
		fprintf(stderr, "vgpu-run agent: --socket PATH is needed (no "
			"socket was passed by systemd)\n");
		return 2;
	}
	/* Nothing is made before every refusal that can be said is. */
	if (a.socket && !socket_name_fits(a.socket))
		return 2;
	char state_default[4096];
	if (!a.state_dir) {
		snprintf(state_default, sizeof(state_default), "%s.d",
			 a.socket ? a.socket : "/run/vgpu-agent");
		a.state_dir = state_default;
	}
	/* Every rule, served file and backend is checked here, at start:
	 * each container's server inherits them held. */
	if (supervisor_load(&s))
		return 2;
	struct agent_conf c = {
		.trace_dir = -1, .trace_dir_name = a.trace_dir,
		.state_dir_name = a.state_dir,
	};
	if (a.trace_dir && (c.trace_dir = own_dir("--trace-dir", a.trace_dir)) < 0)
		return 2;
	if ((c.state_dir = own_dir("--state-dir", a.state_dir)) < 0)
		return 2;
	bool bound = lsock < 0;
	if (lsock < 0 && (lsock = bind_socket(a.socket)) < 0)
		return 2;
	sigset_t set;
	supervisor_signals(&set);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("vgpu-run agent: signalfd");
		return 1;
	}
	fprintf(stderr, "vgpu-run agent: listening on %s\n",
		a.socket ? a.socket : "the socket systemd passed");
	unsigned served = 0;
	for (;;) {
		struct pollfd p[2] = {
			{ .fd = lsock, .events = POLLIN },
			{ .fd = sfd, .events = POLLIN },
		};
		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents & POLLIN) {
			struct signalfd_siginfo si;
			bool stop = false;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					reap();
				else
					stop = true;
			}
			if (stop)
				break;
		}
		if (!(p[0].revents & POLLIN))
			continue;
		int conn = accept4(lsock, NULL, NULL, SOCK_CLOEXEC);
		if (conn < 0)
			continue;
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			close(lsock);
			close(sfd);
			agent_connection(&s, &c, conn);
		}
		if (pid < 0)
			perror("vgpu-run agent: fork");
		else
			served++;
		close(conn);
	}
	/* The containers' servers are processes of their own: they go on
	 * serving, and a new agent hands them later `exec`s. */
	fprintf(stderr, "vgpu-run agent: stopping after %u connections; "
		"running containers stay served\n", served);
	if (bound)
		unlink(a.socket);
	return 0;
}
