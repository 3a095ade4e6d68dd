/* What the supervisor keeps between notifications about a target thread:
 * a pidfd, the thread's root directory and its supplementary groups.
 * Opening a pidfd and /proc/TID/root and reading the groups out of
 * /proc cost more than all the rest of a served open, and they rarely
 * change:
 *
 *  - the pidfd names one thread for as long as it lives (a reused tid
 *    gets a different one), so a PIDFD_GET_INFO that succeeds on it
 *    proves the rest of the entry is still that thread's;
 *  - a root moves only through chroot, pivot_root, setns and unshare,
 *    which the filter shows us before they run.  Every kept root is then
 *    dropped, and none is kept again until the thread that asked has
 *    made its next notification (by then its call is over);
 *  - groups change only through setgroups, made by the thread itself
 *    (credentials are per thread): its entry forgets them before the
 *    call runs, and it cannot open anything until the call is done.
 *
 * The loop's thread can be replaced while a retired one still finishes
 * a look (watchdog.c), so entries are counted and closed by their last
 * user. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "supervisor.h"

/* PIDFD_GET_INFO (Linux 6.13); the layout is the kernel's first version
 * of struct pidfd_info. */
struct vgpu_pidfd_info {
	uint64_t mask, cgroupid;
	uint32_t pid, tgid, ppid, ruid, rgid, euid, egid, suid, sgid, fsuid,
		 fsgid;
	int32_t spare;
};
#define VGPU_PIDFD_GET_INFO _IOWR(0xFF, 11, struct vgpu_pidfd_info)
#define VGPU_PIDFD_THREAD O_EXCL

#define SLOTS 256
#define MAX_MOVING 16

struct thread_handle {
	pid_t tid;
	int pidfd;
	int rootfd;		/* -1: none kept */
	unsigned root_gen;	/* roots_gen when rootfd was opened */
	int ngroups;		/* -1: not known */
	unsigned groups_gen;	/* bumped when the groups are forgotten */
	gid_t groups[TARGET_MAX_GROUPS];
	unsigned users;
	bool dropped;		/* out of the table: the last user closes it */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct thread_handle *table[SLOTS];
static unsigned roots_gen;
/* Threads whose root-moving call may still be running; while any is, no
 * root is kept.  More than MAX_MOVING at once: none is kept again. */
static pid_t moving[MAX_MOVING];
static atomic_uint nmoving;	/* written under the lock; read without it
				 * by the notify loop's every notification */

/* Under the lock: TID's root-moving call, if any, is over. */
static void settled_locked(pid_t tid)
{
	for (unsigned i = 0; i < nmoving; i++)
		if (moving[i] == tid) {
			moving[i] = moving[--nmoving];
			break;
		}
}
static bool roots_unsettled;

static void close_handle(struct thread_handle *h)
{
	if (h->rootfd >= 0)
		close(h->rootfd);
	close(h->pidfd);
	free(h);
}

/* Under the lock. */
static void drop_locked(struct thread_handle *h)
{
	size_t slot = (size_t)h->tid % SLOTS;
	if (table[slot] == h)
		table[slot] = NULL;
	h->dropped = true;
	if (!h->users)
		close_handle(h);
}

/* Cleared for good when the kernel lacks PIDFD_GET_INFO (before 6.13)
 * or thread pidfds (before 6.9): nothing is kept then. */
static atomic_bool supported = true;

static bool info(int pidfd, struct vgpu_pidfd_info *in)
{
	memset(in, 0, sizeof(*in));
	if (ioctl(pidfd, VGPU_PIDFD_GET_INFO, in) == 0)
		return true;
	if (errno == ENOTTY || errno == EINVAL)
		supported = false;
	return false;
}

struct thread_handle *thread_handle_get(pid_t tid, uid_t *fsuid,
					gid_t *fsgid)
{
	if (tid <= 0 || !supported)
		return NULL;
	size_t slot = (size_t)tid % SLOTS;
	struct vgpu_pidfd_info in;
	pthread_mutex_lock(&lock);
	struct thread_handle *h = table[slot];
	if (h && h->tid == tid)
		h->users++;
	else
		h = NULL;
	pthread_mutex_unlock(&lock);
	if (h && info(h->pidfd, &in)) {
		*fsuid = in.fsuid;
		*fsgid = in.fsgid;
		return h;
	}
	if (h) {
		/* That thread is gone: the tid is someone else's now. */
		pthread_mutex_lock(&lock);
		h->users--;
		drop_locked(h);
		pthread_mutex_unlock(&lock);
	}
	int pfd = (int)syscall(SYS_pidfd_open, tid, VGPU_PIDFD_THREAD);
	if (pfd < 0) {
		if (errno == EINVAL)
			supported = false;
		return NULL;
	}
	if (!info(pfd, &in) || !(h = malloc(sizeof(*h)))) {
		close(pfd);
		return NULL;
	}
	*h = (struct thread_handle){
		.tid = tid, .pidfd = pfd, .rootfd = -1, .ngroups = -1,
		.users = 1,
	};
	pthread_mutex_lock(&lock);
	if (table[slot])
		drop_locked(table[slot]);
	table[slot] = h;
	pthread_mutex_unlock(&lock);
	*fsuid = in.fsuid;
	*fsgid = in.fsgid;
	return h;
}

void thread_handle_put(struct thread_handle *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&lock);
	if (--h->users == 0 && h->dropped)
		close_handle(h);
	pthread_mutex_unlock(&lock);
}

int thread_handle_root(struct thread_handle *h, bool *owned)
{
	pthread_mutex_lock(&lock);
	bool settled = !nmoving && !roots_unsettled;
	if (h->rootfd >= 0 && settled && h->root_gen == roots_gen) {
		int fd = h->rootfd;
		pthread_mutex_unlock(&lock);
		*owned = false;
		return fd;
	}
	unsigned gen = roots_gen;
	pthread_mutex_unlock(&lock);
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/root", h->tid);
	int fd = open(p, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	*owned = true;
	pthread_mutex_lock(&lock);
	/* Kept only if no root moved meanwhile, and only by its one user:
	 * another may still be resolving through the old one. */
	if (!nmoving && !roots_unsettled && gen == roots_gen &&
	    h->users == 1 && !h->dropped) {
		if (h->rootfd >= 0)
			close(h->rootfd);
		h->rootfd = fd;
		h->root_gen = gen;
		*owned = false;
	}
	pthread_mutex_unlock(&lock);
	return fd;
}

bool thread_handle_groups(struct thread_handle *h, gid_t *groups, int *n,
			  bool (*read)(pid_t tid, gid_t *groups, int *n))
{
	pthread_mutex_lock(&lock);
	if (h->ngroups >= 0) {
		*n = h->ngroups;
		memcpy(groups, h->groups, (size_t)*n * sizeof(gid_t));
		pthread_mutex_unlock(&lock);
		return true;
	}
	unsigned gen = h->groups_gen;
	pthread_mutex_unlock(&lock);
	if (!read(h->tid, groups, n))
		return false;
	pthread_mutex_lock(&lock);
	if (gen == h->groups_gen) {
		h->ngroups = *n;
		memcpy(h->groups, groups, (size_t)*n * sizeof(gid_t));
	}
	pthread_mutex_unlock(&lock);
	return true;
}

void thread_handle_call(pid_t tid, enum thread_call what)
{
	/* Most notifications change nothing kept: no lock for them. */
	if (what == CALL_OTHER && !atomic_load(&nmoving))
		return;
	pthread_mutex_lock(&lock);
	/* Any notification of a thread's means its previous call is over. */
	settled_locked(tid);
	if (what == CALL_MOVES_ROOT) {
		roots_gen++;
		if (nmoving < MAX_MOVING)
			moving[nmoving++] = tid;
		else
			roots_unsettled = true;
	} else if (what == CALL_SETS_GROUPS) {
		struct thread_handle *h = table[(size_t)tid % SLOTS];
		if (h && h->tid == tid) {
			h->ngroups = -1;
			h->groups_gen++;
		}
	}
	pthread_mutex_unlock(&lock);
}

void thread_handle_forget(pid_t tid)
{
	pthread_mutex_lock(&lock);
	struct thread_handle *h = tid > 0 ? table[(size_t)tid % SLOTS] : NULL;
	if (h && h->tid == tid)
		drop_locked(h);
	settled_locked(tid);
	pthread_mutex_unlock(&lock);
}

void thread_handle_sweep(void)
{
	struct vgpu_pidfd_info in;
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < SLOTS; i++) {
		struct thread_handle *h = table[i];
		/* A dead thread's root can pin a mount namespace. */
		if (h && !h->users && !info(h->pidfd, &in))
			drop_locked(h);
	}
	pthread_mutex_unlock(&lock);
}
