/* The notify loop: every notification is answered, whatever happens to
 * the process that made it, and children are reaped until none is left. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "text_escape.h"
#include "supervisor.h"

#define PATH_BUF 4096
#define MAX_ARGS 256
#define MAX_LISTENERS 64

/* The listener the notification this thread decides came from.  One loop
 * may serve several (agent mode: a container's first process and each
 * process entering it later), and a thread the watchdog retired answers
 * on the listener of its own notification, whatever the loop took up
 * since. */
static __thread int cur_listener = -1;

static int respond(int listener, struct seccomp_notif_resp *resp)
{
	if (ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0)
		return 0;
	/* ENOENT: the syscall was interrupted or the process died; there is
	 * no one left to answer. */
	return errno == ENOENT ? 0 : -errno;
}

static void answer_continue(uint64_t id)
{
	struct seccomp_notif_resp r = {
		.id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE,
	};
	respond(cur_listener, &r);
}

/* neg_errno: the syscall's result, e.g. -ENOENT. */
static void answer_error(uint64_t id, int neg_errno)
{
	struct seccomp_notif_resp r = { .id = id, .error = neg_errno };
	respond(cur_listener, &r);
}

/* Inject fd as the result of the notified open.  Returns the target's fd
 * number or -errno: -ENOENT when the notification is no longer valid
 * (the thread was interrupted or died), which the kernel checks itself,
 * so an injected fd always reaches the thread whose path we read. */
static int answer_fd(uint64_t id, int fd, int oflags)
{
	struct seccomp_notif_addfd a = {
		.id = id,
		.flags = SECCOMP_ADDFD_FLAG_SEND,
		.srcfd = (uint32_t)fd,
		.newfd_flags = (oflags & O_CLOEXEC) ? O_CLOEXEC : 0,
	};
	int r = ioctl(cur_listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
	if (r >= 0)
		return r;
	if (errno == EINVAL) {
		/* Before 5.14: add the fd, then answer with its number. */
		a.flags = 0;
		r = ioctl(cur_listener, SECCOMP_IOCTL_NOTIF_ADDFD, &a);
		if (r >= 0) {
			struct seccomp_notif_resp resp = { .id = id, .val = r };
			respond(cur_listener, &resp);
			return r;
		}
	}
	return -errno;
}

static bool still_valid(uint64_t id)
{
	return ioctl(cur_listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

static void handle_reserved(struct supervisor *s, struct seccomp_notif *n,
			    const char *path, int oflags)
{
	const char *what = "";
	const char *name = path + strlen(VGPU_RESERVED_PREFIX);
	int fd = reserved_serve(s, n->pid, name, &what);
	int res = fd;
	if (fd >= 0) {
		res = answer_fd(n->id, fd, oflags);
		close(fd);
		if (res < 0)
			answer_error(n->id, res);
	} else {
		answer_error(n->id, fd);
	}
	const char *strs[] = { path, what };
	event(s, VT_EV_RESERVED, n->pid, res, 0, 2, strs);
}

/* An answer given without looking at the program's files, because a
 * look of this process's is stuck (watchdog.c). */
static bool unexamined(struct supervisor *s, struct seccomp_notif *n,
		       const char *path)
{
	if (watch_may_look(target_tgid((pid_t)n->pid)))
		return false;
	answer_continue(n->id);
	const char *strs[] = { "not examined", path,
			       "an earlier look at this process's files is stuck" };
	event(s, VT_EV_ERROR, n->pid, -EBUSY, 0, 3, strs);
	return true;
}

static void handle_open(struct supervisor *s, struct seccomp_notif *n,
			int dirfd, uint64_t path_addr, int oflags,
			uint64_t resolve)
{
	char path[PATH_BUF];
	ssize_t len = target_read_string(n->pid, path_addr, path, sizeof(path));
	if (len < 0) {
		/* A bad pointer: the kernel will answer EFAULT itself. */
		answer_continue(n->id);
		return;
	}
	if (s->opt.trace_syscalls) {
		if (!syscalls_open(s, n, dirfd, path, oflags))
			return;
		/* The wider filter of --trace-syscalls also brings opens
		 * that cannot be library loads: those are not ours. */
		if (oflags & NOT_A_LOAD) {
			answer_continue(n->id);
			return;
		}
	}
	bool reserved = !strncmp(path, VGPU_RESERVED_PREFIX,
				 strlen(VGPU_RESERVED_PREFIX));
	bool may_serve = !reserved && decide_may_serve(s, path);
	if (may_serve && unexamined(s, n, path))
		return;
	const struct served_file *f = may_serve ?
				      decide_open(s, n->pid, dirfd, path) : NULL;
	const char *kept = f ? open_refuses_serving(n->pid, dirfd, path,
						    oflags, resolve) : NULL;
	if (kept) {
		answer_continue(n->id);
		char msg[PATH_BUF + 256];
		snprintf(msg, sizeof(msg), "%s: %s", path, kept);
		const char *strs[] = { "not served", msg };
		event(s, VT_EV_NOTE, n->pid, 0, 0, 2, strs);
		return;
	}
	/* CONTINUE acts on nothing we read, and an injected fd reaches only
	 * a notification still valid (answer_fd), so only the reserved
	 * files, which set up state for the process before answering, need
	 * proof first that the path came from the caller and not from a
	 * process that took its pid meanwhile.  Answer first, log after:
	 * the program waits for the one, not the other. */
	if (!reserved && !f) {
		answer_continue(n->id);
		const char *strs[] = { path };
		event(s, VT_EV_OPEN_PASSED, n->pid, 0, 0, 1, strs);
		return;
	}
	if (reserved) {
		if (still_valid(n->id))
			handle_reserved(s, n, path, oflags);
		else
			answer_continue(n->id);
		return;
	}
	int fd = fdpool_take(f);
	/* Each served descriptor is a description of its own. */
	if (fd >= 0 && (oflags & O_NONBLOCK))
		fcntl(fd, F_SETFL, O_NONBLOCK);
	int res = fd >= 0 ? answer_fd(n->id, fd, oflags) : fd;
	if (fd >= 0)
		close(fd);
	if (res == -ENOENT && fd >= 0)
		return;		/* no one is left to answer */
	if (res < 0) {
		/* The target refused the fd (an LSM, a full fd table): it
		 * opens its own path instead, and the trace says why. */
		answer_continue(n->id);
		char msg[PATH_BUF + 256], msg_out[4 * sizeof(msg)];
		snprintf(msg, sizeof(msg),
			 "could not serve %s for %s: %s%s", f->path, path,
			 strerror(-res), res == -EACCES || res == -EPERM ?
			 " (a security module refused the file: serve it "
			 "from a path the program's profile may map)" : "");
		const char *strs[] = { msg };
		event(s, VT_EV_ERROR, n->pid, res, 0, 1, strs);
		if (s->opt.verbose <= 0)
			fprintf(stderr, "vgpu-run: %s\n",
				text_escape(msg_out, sizeof(msg_out), msg));
		return;
	}
	const char *strs[] = { path, f->path, f->rule->origin };
	event(s, VT_EV_OPEN_SERVED, n->pid, res, 0, 3, strs);
}

/* Who runs with privileges the exec grants: a set-uid or set-gid file
 * whose owner differs from the caller (*grants), and no_new_privs not set.
 * Root running a set-uid-root file gains nothing and keeps LD_PRELOAD. */
static int note_exec_privileges(struct supervisor *s, struct seccomp_notif *n,
				int dirfd, const char *path, uint64_t *mode,
				int32_t *owner, bool *grants)
{
	int fd = target_open(n->pid, dirfd, path, O_PATH);
	struct stat st;
	uid_t ruid;
	gid_t rgid;
	*mode = 0;
	*owner = -1;
	*grants = false;
	if (fd < 0)
		return fd;
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		*mode = st.st_mode & (S_ISUID | S_ISGID);
		*owner = (int32_t)st.st_uid;
		*grants = *mode != 0;
		if (*grants && target_real_ids(n->pid, &ruid, &rgid))
			*grants = ((*mode & S_ISUID) && st.st_uid != ruid) ||
				  ((*mode & S_ISGID) && st.st_gid != rgid);
	}
	close(fd);
	return 0;
}

static void handle_exec(struct supervisor *s, struct seccomp_notif *n,
			int dirfd, uint64_t path_addr, uint64_t argv_addr)
{
	char path[PATH_BUF];
	const char *strs[MAX_ARGS + 1];
	char *argbuf = NULL;
	unsigned nstr = 0;
	if (target_read_string(n->pid, path_addr, path, sizeof(path)) < 0)
		snprintf(path, sizeof(path), "?");
	strs[nstr++] = path;
	/* argv: pointers, then strings, each read with the same care. */
	if (argv_addr) {
		argbuf = malloc((size_t)MAX_ARGS * 256);
		for (unsigned i = 0; argbuf && i < MAX_ARGS; i++) {
			uint64_t p;
			if (target_read(n->pid, argv_addr + 8 * i, &p, 8) || !p)
				break;
			char *slot = argbuf + i * 256;
			ssize_t r = target_read_string(n->pid, p, slot, 256);
			if (r == -ENAMETOOLONG)
				strcpy(slot + 248, "...");
			else if (r < 0)
				break;
			strs[nstr++] = slot;
		}
	}
	uint64_t mode = 0;
	int32_t owner = -1;
	bool grants = false;
	if (unexamined(s, n, path)) {
		free(argbuf);
		return;
	}
	int found = note_exec_privileges(s, n, dirfd, path, &mode, &owner,
					 &grants);
	/* execvp tries every $PATH entry: a name that is not there is no
	 * exec worth a record. */
	if (found == -ENOENT || !still_valid(n->id)) {
		answer_continue(n->id);
		free(argbuf);
		return;
	}
	/* The thread that execs becomes its process's leader. */
	target_forget(n->pid);
	/* Parent links make the report's process tree. */
	char ppid[16];
	snprintf(ppid, sizeof(ppid), "%d", target_ppid(n->pid));
	const char *parent[] = { "parent", ppid };
	event(s, VT_EV_NOTE, n->pid, 0, 0, 2, parent);
	event(s, VT_EV_EXEC, n->pid, owner, mode, nstr, strs);
	if (grants && !s->nnp) {
		const char *w[] = {
			path,
			"secure execution: the loader ignores LD_PRELOAD, "
			"LD_LIBRARY_PATH and other LD_* variables",
		};
		event(s, VT_EV_SECURE_EXEC, n->pid, owner, mode, 2, w);
	} else if (mode && s->nnp) {
		const char *w[] = {
			"no_new_privs",
			"the set-uid/set-gid bit of this file is ignored",
		};
		event(s, VT_EV_NOTE, n->pid, owner, mode, 2, w);
	}
	answer_continue(n->id);
	free(argbuf);
}

static void handle(struct supervisor *s, struct seccomp_notif *n)
{
	const __u64 *a = n->data.args;
	s->notifications++;
	enum thread_call call = CALL_OTHER;
	switch (n->data.nr) {
	case SYS_chroot:
	case SYS_pivot_root:
	case SYS_setns:
	case SYS_unshare:
		call = CALL_MOVES_ROOT;
		break;
	case SYS_setgroups:
		call = CALL_SETS_GROUPS;
		break;
	}
	thread_handle_call((pid_t)n->pid, call);
	switch (n->data.nr) {
	case SYS_open:
		handle_open(s, n, AT_FDCWD, a[0], (int)a[1], 0);
		return;
	case SYS_openat:
		handle_open(s, n, (int)a[0], a[1], (int)a[2], 0);
		return;
	case SYS_openat2: {
		/* A shorter struct is an older ABI (flags and mode only); a
		 * longer one has fields we do not know: the kernel judges. */
		struct open_how how = { 0 };
		if (a[3] < sizeof(uint64_t) || a[3] > sizeof(how) ||
		    target_read(n->pid, a[2], &how, (size_t)a[3]) ||
		    (how.flags & NOT_A_LOAD)) {
			answer_continue(n->id);
			return;
		}
		handle_open(s, n, (int)a[0], a[1], (int)how.flags, how.resolve);
		return;
	}
	case SYS_execve:
		handle_exec(s, n, AT_FDCWD, a[0], a[1]);
		return;
	case SYS_execveat:
		handle_exec(s, n, (int)a[0], a[1], a[2]);
		return;
	case SYS_ioctl:
	case SYS_mmap:
		syscalls_other(s, n);
		return;
	default:
		answer_continue(n->id);
	}
}

static void forward_signal(struct supervisor *s, const struct signalfd_siginfo *si)
{
	/* A terminal's ^C reaches the whole foreground group, the program
	 * included: forward only what was sent to vgpu-run alone. */
	if (si->ssi_code == SI_KERNEL)
		return;
	if (s->child > 0 && !s->child_done) {
		kill(s->child, (int)si->ssi_signo);
		const char *strs[] = { strsignal((int)si->ssi_signo) };
		event(s, VT_EV_SIGNAL, s->child, 0, si->ssi_signo, 1, strs);
	}
}

/* Returns true when no child is left. */
static bool reap(struct supervisor *s)
{
	for (;;) {
		int st;
		pid_t p = waitpid(-1, &st, WNOHANG | __WALL);
		if (p == 0)
			return false;
		if (p < 0)
			return errno == ECHILD;
		char desc[64];
		if (WIFSIGNALED(st))
			snprintf(desc, sizeof(desc), "killed by %s%s",
				 strsignal(WTERMSIG(st)),
				 WCOREDUMP(st) ? " (core dumped)" : "");
		else
			snprintf(desc, sizeof(desc), "exited %d",
				 WEXITSTATUS(st));
		const char *strs[] = { desc };
		if (s->trace) {
			trace_lock();
			vt_write_event(s->trace, VT_EV_EXIT, (uint32_t)p,
				       (uint32_t)p, st, 0, 1, strs);
			trace_unlock();
		}
		if (s->opt.verbose > 0)
			fprintf(stderr, "vgpu-run: [%d] %s\n", p, desc);
		target_forget(p);
		if (p == s->child) {
			s->child_status = st;
			s->child_done = true;
		}
	}
}

/* Shared by the loop's successive threads (watchdog.c): one at a time
 * polls, so none of this needs a lock. */
static int sfd = -1;
static size_t nsize;
static int listeners[MAX_LISTENERS];
static size_t nlisteners;

int notify_add_listener(int fd)
{
	if (nlisteners == MAX_LISTENERS)
		return -ENOSPC;
	listeners[nlisteners++] = fd;
	return 0;
}

/* No process runs under this listener's filter any more.  A listener
 * the loop was handed (agent mode) is closed, so a container's many
 * `exec`s do not pile up; launch mode's own stays as it was.  A retired
 * thread still deciding on a closed one answers no one: its ioctl finds
 * another kind of fd, or a filter that never issued that id. */
static void listener_gone(struct supervisor *s, int fd)
{
	for (size_t i = 0; i < nlisteners; i++)
		if (listeners[i] == fd) {
			listeners[i] = listeners[--nlisteners];
			break;
		}
	if (s->adopted)
		close(fd);
}

/* The loop, on whichever thread the watchdog made its owner.  Returns
 * when the tree is gone (agent mode: when its last listener hung up), or
 * when this thread was retired by the watchdog while a decision held it
 * (another thread serves by then). */
static void serve(struct supervisor *s)
{
	struct seccomp_notif *n = calloc(1, nsize);
	if (!n) {
		watch_done();
		return;
	}
	for (;;) {
		struct pollfd p[2 + MAX_LISTENERS];
		size_t np = 2 + nlisteners;
		p[0] = (struct pollfd){ .fd = sfd, .events = POLLIN };
		p[1] = (struct pollfd){ .fd = s->adopted ? s->control : -1,
					.events = POLLIN };
		for (size_t i = 0; i < nlisteners; i++)
			p[2 + i] = (struct pollfd){ .fd = listeners[i],
						    .events = POLLIN };
		int r = poll(p, np, 200);
		if (r < 0 && errno != EINTR)
			break;
		for (size_t i = 2; r > 0 && i < np; i++) {
			if (p[i].revents & POLLIN) {
				memset(n, 0, nsize);
				cur_listener = p[i].fd;
				if (ioctl(p[i].fd, SECCOMP_IOCTL_NOTIF_RECV, n))
					continue;	/* ENOENT: the thread was killed meanwhile */
				watch_enter((pid_t)n->pid);
				handle(s, n);
				if (watch_leave()) {
					free(n);
					return;
				}
			} else if (p[i].revents & (POLLHUP | POLLERR)) {
				listener_gone(s, p[i].fd);
			}
		}
		if (s->adopted && (p[1].revents & POLLIN))
			s->on_control(s);
		bool tree_gone = false;
		if (p[0].revents & POLLIN) {
			struct signalfd_siginfo si;
			bool chld = false;
			while (read(sfd, &si, sizeof(si)) == sizeof(si)) {
				if (si.ssi_signo == SIGCHLD)
					chld = true;
				else
					forward_signal(s, &si);
			}
			tree_gone = chld && reap(s);
		}
		if (r == 0) {
			thread_handle_sweep();
			if (s->trace) {
				trace_lock();
				vt_writer_flush(s->trace);
				trace_unlock();
			}
			tree_gone = tree_gone || reap(s);
		}
		/* An adopted listener's processes are not our children: the
		 * loop ends when no listener is left. */
		if (s->adopted ? nlisteners == 0 && !s->on_idle(s) : tree_gone)
			break;
	}
	free(n);
	watch_done();
}

int notify_loop(struct supervisor *s)
{
	sigset_t set;
	supervisor_signals(&set);
	sfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (sfd < 0) {
		perror("vgpu-run: signalfd");
		return 1;
	}
	struct seccomp_notif_sizes sz;
	if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz) < 0) {
		perror("vgpu-run: seccomp(GET_NOTIF_SIZES)");
		return 1;
	}
	nsize = sz.seccomp_notif > sizeof(struct seccomp_notif) ?
		sz.seccomp_notif : sizeof(struct seccomp_notif);
	if (!s->adopted && notify_add_listener(s->listener))
		return 1;
	watch_run(s, serve);
	close(sfd);
	if (s->adopted)
		return 0;
	if (!s->child_done)
		return 1;
	if (WIFSIGNALED(s->child_status))
		return 128 + WTERMSIG(s->child_status);
	return WEXITSTATUS(s->child_status);
}
