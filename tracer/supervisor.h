/* vgpu-run's supervisor: state shared by its parts. */
#ifndef VGPU_SUPERVISOR_H
#define VGPU_SUPERVISOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "rules.h"
#include "trace.h"

/* Kernel ABI pieces newer than some distributions' headers. */
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_ADDFD_FLAG_SEND
#define SECCOMP_ADDFD_FLAG_SEND (1UL << 1)
#endif
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS _IOW('!', 4, uint64_t)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

#define VGPU_RESERVED_PREFIX "/.vgpu/"

struct options {
	const char *trace_path;		/* -o */
	bool force;			/* --force */
	int verbose;			/* -v */
	bool summary;			/* -c */
	const char *report_path;	/* --report */
	bool trace_syscalls;		/* --trace-syscalls */
	bool lossy;			/* --lossy */
	bool trace_export_tables;	/* --trace-export-tables */
	bool no_default_rules;
	char *const *argv;		/* the program and its arguments */
};

/* A file a redirect rule serves, checked and held open (O_PATH) from
 * start-up so every serve hands out the inode that was checked. */
struct served_file {
	const struct rule *rule;
	char *path;			/* after @lib/ expansion */
	int opath_fd;
};

struct supervisor {
	struct options opt;
	struct ruleset rules;
	struct served_file *served;	/* one per redirect rule, same order */
	size_t nserved;
	char *libdir;			/* where @lib/ points */
	struct vt_writer *trace;
	int listener;
	bool nnp;			/* the filter needed no_new_privs */
	bool root;
	pid_t child;			/* the program's first process */
	int child_status;
	bool child_done;
	uint64_t notifications;
	/* Agent mode (agent*.c): the listeners were handed over by an OCI
	 * runtime, not made for a program we spawned.  The loop polls
	 * control, where more listeners arrive (on_control takes them:
	 * notify_add_listener), and when its last listener hangs up it ends
	 * unless on_idle says one more came. */
	bool adopted;
	int control;
	void (*on_control)(struct supervisor *s);
	bool (*on_idle)(struct supervisor *s);
};

/* Library loads are read-only opens: writes, creates and O_PATH look-ups
 * never need an answer from us, so the filter keeps them in the kernel
 * (and under --trace-syscalls, which brings every open, we let them go). */
#define NOT_A_LOAD (O_WRONLY | O_RDWR | O_CREAT | O_PATH | O_DIRECTORY)

/* filter.c: filter_install runs in the child, before exec, and returns
 * the listener fd or -1, setting *nnp when no_new_privs had to be set; it
 * must make no filtered syscall after loading.  filter_tune_listener runs
 * in the supervisor once it holds the listener. */
int filter_install(bool trace_syscalls, bool *nnp);
void filter_tune_listener(int listener);

/* spawn.c: the signals the supervisor takes through its signalfd (the
 * child, the ones it forwards); then the program. */
void supervisor_signals(sigset_t *set);
int spawn_program(struct supervisor *s);

/* notify.c: serve notifications and reap children until the tree is
 * gone.  Returns the exit status for vgpu-run.  The loop serves
 * s->listener (launch mode) or those added (agent mode: before the loop,
 * or from on_control while it runs); -ENOSPC when too many are open. */
int notify_loop(struct supervisor *s);
int notify_add_listener(int fd);

/* target.c: reading the target's memory and view of the filesystem. */
ssize_t target_read_string(pid_t pid, uint64_t addr, char *buf, size_t len);
int target_read(pid_t pid, uint64_t addr, void *buf, size_t len);
int target_open(pid_t pid, int dirfd, const char *path, int flags);
int target_open_resolve(pid_t pid, int dirfd, const char *path, int flags,
			uint64_t resolve);
pid_t target_tgid(pid_t tid);
/* The parent of a thread's process (0 when unknown). */
pid_t target_ppid(pid_t tid);
bool target_real_ids(pid_t tid, uid_t *uid, gid_t *gid);
void target_forget(pid_t tid);

/* thread_handle.c: a target thread's pidfd, root and groups, kept
 * between notifications.  get returns NULL when the thread is gone or
 * the kernel lacks PIDFD_GET_INFO (then nothing is kept), and otherwise
 * the thread's current fsuid and fsgid; every handle got is put.  root
 * returns the thread's root directory (*owned: the caller closes it) or
 * -errno; groups returns the kept ones or asks read.  The notify loop
 * reports each notification with thread_handle_call, naming calls that
 * move a root or set groups before they run. */
#define TARGET_MAX_GROUPS 256
enum thread_call { CALL_OTHER, CALL_MOVES_ROOT, CALL_SETS_GROUPS };
struct thread_handle;
struct thread_handle *thread_handle_get(pid_t tid, uid_t *fsuid,
					gid_t *fsgid);
void thread_handle_put(struct thread_handle *h);
int thread_handle_root(struct thread_handle *h, bool *owned);
bool thread_handle_groups(struct thread_handle *h, gid_t *groups, int *n,
			  bool (*read)(pid_t tid, gid_t *groups, int *n));
void thread_handle_call(pid_t tid, enum thread_call what);
void thread_handle_forget(pid_t tid);
/* Closes what dead threads' handles hold (a root can pin a namespace). */
void thread_handle_sweep(void);

/* open_semantics.c: why serving a file for this open would change what
 * the kernel does with the program's path and flags, or NULL. */
const char *open_refuses_serving(pid_t pid, int dirfd, const char *path,
				 int oflags, uint64_t resolve);

/* watchdog.c: runs loop on a watched thread until the tree is gone,
 * replacing a thread that one decision held too long.  The loop brackets
 * each notification with watch_enter(tid)/watch_leave() (true: this
 * thread was replaced and must end) and calls watch_done() when the tree
 * is gone; watch_may_look says whether a process's files may be looked
 * at (not while an earlier look of its is stuck). */
void watch_run(struct supervisor *s, void (*loop)(struct supervisor *s));
void watch_enter(pid_t tid);
bool watch_leave(void);
void watch_done(void);
bool watch_may_look(pid_t tgid);

/* decide.c: decide_may_serve says, from the path alone, whether any rule
 * could serve it (a name or glob that matches, or a SONAME rule and a
 * shared object's name); decide_open decides, peeking at the file. */
bool decide_may_serve(const struct supervisor *s, const char *path);
const struct served_file *decide_open(struct supervisor *s, pid_t pid,
				      int dirfd, const char *path);
int served_files_open(struct supervisor *s, char *err, size_t errlen);

/* held_file.c: open PATH O_PATH and check it is a regular file that root
 * may hand out (not group/world-writable, owned by root or the invoking
 * user; checked only when root).  Returns the held fd, or -errno with
 * err set ("ORIGIN: PATH: why"; -EACCES: refused).  reopen: a fresh
 * read-only description of the held inode (or -errno); close: the held
 * fd and what reopening it needed. */
int held_file_open(const char *origin, const char *path, bool root,
		   char *err, size_t errlen);
int held_file_reopen(int opath_fd);
void held_file_close(int opath_fd);

/* fdpool.c: a fresh read-only descriptor of a served file (or -errno). */
void fdpool_init(const struct served_file *files, size_t n);
int fdpool_take(const struct served_file *f);

/* reserved.c: the /.vgpu/ table.  A provider returns a new fd (owned by
 * the caller) or -errno, and names what it served in *what. */
typedef int (*reserved_fn)(struct supervisor *s, pid_t pid, const char *name,
			   const char **what);
void reserved_register(const char *name, bool is_prefix, reserved_fn fn);
int reserved_serve(struct supervisor *s, pid_t pid, const char *name,
		   const char **what);
void reserved_builtin_init(void);
/* A read-only (sealed) memfd holding text, reopened for the target. */
int reserved_memfd_text(const char *label, const char *text, size_t len);

/* syscalls.c (--trace-syscalls).  syscalls_open answers an open of a GPU
 * device file and returns 0, or returns 1 when the open is not its
 * business; syscalls_other answers ioctl and mmap. */
struct seccomp_notif;
int syscalls_open(struct supervisor *s, struct seccomp_notif *n, int dirfd,
		  const char *path, int oflags);
void syscalls_other(struct supervisor *s, struct seccomp_notif *n);

/* events.c: every decision goes to the trace and, with -v, to stderr. */
/* No event is written after this (the trace is about to close). */
void events_close(void);
void event(struct supervisor *s, uint32_t kind, pid_t tid, int32_t result,
	   uint64_t arg, unsigned nstr, const char *const *strs);
/* The same, stamped with a time taken before the thread was let go, so
 * the event falls inside the call that made the syscall. */
void event_at(struct supervisor *s, uint64_t ts_ns, uint32_t kind, pid_t tid,
	      int32_t result, uint64_t arg, unsigned nstr,
	      const char *const *strs);

/* events.c: the trace file is written by the notify loop and by the
 * interposer drain thread; both hold this lock around their writes. */
void trace_lock(void);
void trace_unlock(void);

/* serve_interposer.c: backends, trace rings and their drain.  check
 * before any output file is made (returns -1, said on stderr, on a bad
 * backend, real-lib or inject rule); init once the trace is open, before
 * the program starts; finish after it is gone, before the trace is
 * closed. */
int interposer_check(struct supervisor *s);
int interposer_init(struct supervisor *s);
void interposer_finish(struct supervisor *s);

/* main.c: rule lines from options (-1: said on stderr), and what every
 * mode loads after its options (libdir, default rules, served files). */
int add_rule_text(struct ruleset *rs, const char *origin, const char *text);
int add_keyword_rule(struct ruleset *rs, const char *opt,
		     const char *keyword, const char *arg);
int supervisor_load(struct supervisor *s);

/* The options vgpu-run and its agent share: they build the rule set.
 * Their values sit above either program's own option enum.  rule_option
 * returns 1 when C was one of them and is taken, 0 when it is not one
 * of them, -1 when refused (said on stderr, PROG first). */
enum {
	OPT_RULES = 512, OPT_RULE, OPT_BACKEND, OPT_REAL_LIB, OPT_NO_DEFAULT,
	OPT_LOSSY,
};
#define RULE_LONGOPTS \
	{ "rules", required_argument, NULL, OPT_RULES }, \
	{ "rule", required_argument, NULL, OPT_RULE }, \
	{ "backend", required_argument, NULL, OPT_BACKEND }, \
	{ "real-lib", required_argument, NULL, OPT_REAL_LIB }, \
	{ "no-default-rules", no_argument, NULL, OPT_NO_DEFAULT }, \
	{ "lossy", no_argument, NULL, OPT_LOSSY }
int rule_option(struct supervisor *s, const char *prog, int c,
		const char *arg);

/* agent.c: `vgpu-run agent`, serving OCI runtimes' listeners. */
int agent_main(int argc, char **argv);

/* Shared entry points of optional parts (weak: absent parts say so). */
int report_main(int argc, char **argv);

#endif
