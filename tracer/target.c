/* Reading a target's memory and opening files in its view of the
 * filesystem (its root and cwd may be another mount namespace's). */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "supervisor.h"

#define PAGE 4096u

/* process_vm_readv stops short at an unmapped page, so read up to each
 * page boundary separately: a string that ends just before a hole is
 * still read whole. */
ssize_t target_read_string(pid_t pid, uint64_t addr, char *buf, size_t len)
{
	size_t got = 0;
	while (got + 1 < len) {
		size_t chunk = PAGE - (size_t)((addr + got) % PAGE);
		if (chunk > len - 1 - got)
			chunk = len - 1 - got;
		struct iovec local = { buf + got, chunk };
		struct iovec remote = { (void *)(uintptr_t)(addr + got), chunk };
		ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
		if (n <= 0)
			return got ? -ENAMETOOLONG : -errno;
		char *nul = memchr(buf + got, 0, (size_t)n);
		if (nul)
			return nul - buf;
		got += (size_t)n;
	}
	return -ENAMETOOLONG;
}

int target_read(pid_t pid, uint64_t addr, void *buf, size_t len)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)(uintptr_t)addr, len };
	ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EFAULT;
}

/* The filesystem identity of a thread: fsuid, fsgid and supplementary
 * groups. */
struct fs_creds {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[TARGET_MAX_GROUPS];
};

/* A thread's /proc status text into buf (NUL-terminated); false when the
 * thread is gone. */
static bool status_text(pid_t tid, char *buf, size_t len)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/status", tid);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = 0;
	return true;
}

/* What follows "KEY" at the start of a line of a status text, or NULL. */
static const char *status_value(const char *text, const char *key)
{
	size_t klen = strlen(key);
	for (const char *line = text; line; line = strchr(line, '\n')) {
		if (*line == '\n')
			line++;
		if (!strncmp(line, key, klen))
			return line + klen;
	}
	return NULL;
}

/* One numeric field ("Tgid:", "PPid:") of a thread's /proc status. */
static pid_t status_field(pid_t tid, const char *key)
{
	char buf[8192];
	const char *v = status_text(tid, buf, sizeof(buf)) ?
			status_value(buf, key) : NULL;
	return v ? (pid_t)strtol(v, NULL, 10) : 0;
}

/* A thread's real user and group ids: an exec of a set-uid (set-gid) file
 * runs in secure mode only when its owner (group) is not the real one. */
bool target_real_ids(pid_t tid, uid_t *uid, gid_t *gid)
{
	char buf[8192];
	unsigned long u, g;
	if (!status_text(tid, buf, sizeof(buf)))
		return false;
	const char *uv = status_value(buf, "Uid:");
	const char *gv = status_value(buf, "Gid:");
	if (!uv || !gv || sscanf(uv, "%lu", &u) != 1 ||
	    sscanf(gv, "%lu", &g) != 1)
		return false;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return true;
}

static int parse_groups(const char *text, gid_t *groups)
{
	int n = 0;
	for (char *end; n < TARGET_MAX_GROUPS; text = end) {
		unsigned long g = strtoul(text, &end, 10);
		if (end == text)
			break;
		groups[n++] = (gid_t)g;
	}
	return n;
}

/* Ids and groups from /proc status: the fourth number of "Uid:" and
 * "Gid:" is the filesystem id. */
static bool status_creds(pid_t tid, struct fs_creds *c)
{
	char buf[8192];
	if (!status_text(tid, buf, sizeof(buf)))
		return false;
	const char *uid = status_value(buf, "Uid:");
	const char *gid = status_value(buf, "Gid:");
	const char *groups = status_value(buf, "Groups:");
	unsigned long r, e, sv, fs;
	if (!uid || !gid || !groups ||
	    sscanf(uid, "%lu %lu %lu %lu", &r, &e, &sv, &fs) != 4)
		return false;
	c->uid = (uid_t)fs;
	if (sscanf(gid, "%lu %lu %lu %lu", &r, &e, &sv, &fs) != 4)
		return false;
	c->gid = (gid_t)fs;
	c->ngroups = parse_groups(groups, c->groups);
	return true;
}

static bool status_groups(pid_t tid, gid_t *groups, int *n)
{
	char buf[8192];
	const char *v = status_text(tid, buf, sizeof(buf)) ?
			status_value(buf, "Groups:") : NULL;
	if (v)
		*n = parse_groups(v, groups);
	return v != NULL;
}

/* A thread's filesystem identity: the ids its handle read, groups kept
 * with the handle; all from /proc where the kernel has no PIDFD_GET_INFO.
 * A thread whose fsuid is 0 passes every permission check we could make
 * for it, so its groups are not read. */
static bool read_creds(pid_t tid, struct thread_handle *h, uid_t fsuid,
		       gid_t fsgid, struct fs_creds *c)
{
	if (!h)
		return status_creds(tid, c);
	c->uid = fsuid;
	c->gid = fsgid;
	c->ngroups = 0;
	return fsuid == 0 ||
	       thread_handle_groups(h, c->groups, &c->ngroups, status_groups);
}

/* Switches this thread alone (raw syscalls: glibc's wrappers change
 * every thread) to a filesystem identity.  A fsuid other than 0 drops
 * the DAC-override capabilities for as long as it lasts, so the kernel
 * checks every component as it would for that process. */
static void become(const struct fs_creds *c)
{
	syscall(SYS_setgroups, (size_t)c->ngroups, c->groups);
	syscall(SYS_setfsgid, c->gid);
	syscall(SYS_setfsuid, c->uid);
}

/* vgpu-run's own identity (it never changes), to return to after each
 * open made as a target. */
static struct fs_creds own;
static pthread_once_t own_once = PTHREAD_ONCE_INIT;

static void read_own(void)
{
	own.uid = geteuid();
	own.gid = getegid();
	own.ngroups = getgroups(TARGET_MAX_GROUPS, own.groups);
	if (own.ngroups < 0)
		own.ngroups = 0;
}

/* Open PATH as the target would resolve it: absolute paths inside its
 * root (RESOLVE_IN_ROOT keeps symlinks there too), relative ones from its
 * cwd or the directory fd it passed, and, when vgpu-run is root, with the
 * target's own filesystem credentials: a path the program names is never
 * opened with more rights than the program has (or it could learn, say,
 * the SONAME of a file in a directory closed to it).  `resolve` adds the
 * target's own RESOLVE_* flags. */
int target_open_resolve(pid_t pid, int dirfd, const char *path, int flags,
			uint64_t resolve)
{
	pthread_once(&own_once, read_own);
	uid_t fsuid = 0;
	gid_t fsgid = 0;
	struct thread_handle *h = thread_handle_get(pid, &fsuid, &fsgid);
	bool owned = true;
	int bfd;
	if (path[0] == '/' && h) {
		bfd = thread_handle_root(h, &owned);
	} else {
		char base[64];
		if (path[0] == '/')
			snprintf(base, sizeof(base), "/proc/%d/root", pid);
		else if (dirfd == AT_FDCWD)
			snprintf(base, sizeof(base), "/proc/%d/cwd", pid);
		else
			snprintf(base, sizeof(base), "/proc/%d/fd/%d", pid,
				 dirfd);
		bfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (bfd < 0)
			bfd = -errno;
	}
	struct fs_creds them;
	bool root = own.uid == 0;
	int fd = -ESRCH;
	/* Gone, or unreadable: nothing is opened for it as root. */
	if (bfd < 0 || (root && !read_creds(pid, h, fsuid, fsgid, &them)))
		goto out;
	bool as_them = root && them.uid != 0;
	struct open_how how = {
		/* openat2 refuses O_NOCTTY beside O_PATH. */
		.flags = (uint64_t)(flags | O_CLOEXEC |
				    ((flags & O_PATH) ? 0 : O_NOCTTY)),
		.resolve = resolve | (path[0] == '/' ? RESOLVE_IN_ROOT : 0),
	};
	if (as_them)
		become(&them);
	fd = (int)syscall(SYS_openat2, bfd, path, &how, sizeof(how));
	if (fd < 0)
		fd = -errno;
	if (as_them)
		become(&own);
out:
	if (bfd >= 0 && owned)
		close(bfd);
	thread_handle_put(h);
	return bfd < 0 ? bfd : fd;
}

int target_open(pid_t pid, int dirfd, const char *path, int flags)
{
	return target_open_resolve(pid, dirfd, path, flags, 0);
}

/* The thread-group id of a thread.  Notifications name threads; reading
 * /proc on every one would cost more than the round trip itself, so the
 * answer is cached until the thread execs or is reaped. */
static struct { pid_t tid, tgid; } tgid_cache[4096];
static pthread_mutex_t tgid_lock = PTHREAD_MUTEX_INITIALIZER;

void target_forget(pid_t tid)
{
	pthread_mutex_lock(&tgid_lock);
	if (tid > 0 && tgid_cache[tid % 4096].tid == tid)
		tgid_cache[tid % 4096].tid = 0;
	pthread_mutex_unlock(&tgid_lock);
	thread_handle_forget(tid);
}

pid_t target_tgid(pid_t tid)
{
	if (tid <= 0)
		return 0;
	pthread_mutex_lock(&tgid_lock);
	bool hit = tgid_cache[tid % 4096].tid == tid;
	pid_t tgid = tgid_cache[tid % 4096].tgid;
	pthread_mutex_unlock(&tgid_lock);
	if (hit)
		return tgid;
	tgid = status_field(tid, "Tgid:");
	if (tgid) {
		pthread_mutex_lock(&tgid_lock);
		tgid_cache[tid % 4096].tid = tid;
		tgid_cache[tid % 4096].tgid = tgid;
		pthread_mutex_unlock(&tgid_lock);
	}
	return tgid;
}

pid_t target_ppid(pid_t tid)
{
	return tid > 0 ? status_field(tid, "PPid:") : 0;
}
