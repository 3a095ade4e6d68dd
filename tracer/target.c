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
 * groups, from its /proc status. */
#define MAX_GROUPS 256
struct fs_creds {
	uid_t uid;
	gid_t gid;
	int ngroups;
	gid_t groups[MAX_GROUPS];
};

/* The fourth number of "Uid:" and "Gid:" is the filesystem id. */
static bool read_creds(pid_t pid, struct fs_creds *c)
{
	char p[64], line[4096];
	snprintf(p, sizeof(p), "/proc/%d/status", pid);
	FILE *f = fopen(p, "re");
	if (!f)
		return false;
	int have = 0;
	c->ngroups = 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long r, e, sv, fs;
		if (sscanf(line, "Uid: %lu %lu %lu %lu", &r, &e, &sv, &fs) == 4) {
			c->uid = (uid_t)fs;
			have |= 1;
		} else if (sscanf(line, "Gid: %lu %lu %lu %lu", &r, &e, &sv, &fs) == 4) {
			c->gid = (gid_t)fs;
			have |= 2;
		} else if (!strncmp(line, "Groups:", 7)) {
			char *q = line + 7, *end;
			while (c->ngroups < MAX_GROUPS) {
				unsigned long g = strtoul(q, &end, 10);
				if (end == q)
					break;
				c->groups[c->ngroups++] = (gid_t)g;
				q = end;
			}
			have |= 4;
		}
	}
	fclose(f);
	return have == 7;
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

/* vgpu-run's own identity, to return to after each open as a target;
 * read once, before any worker runs an open. */
static struct fs_creds own;
static pthread_once_t own_once = PTHREAD_ONCE_INIT;

static void read_own(void)
{
	own.uid = geteuid();
	own.gid = getegid();
	own.ngroups = getgroups(MAX_GROUPS, own.groups);
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
	char base[64];
	if (path[0] == '/')
		snprintf(base, sizeof(base), "/proc/%d/root", pid);
	else if (dirfd == AT_FDCWD)
		snprintf(base, sizeof(base), "/proc/%d/cwd", pid);
	else
		snprintf(base, sizeof(base), "/proc/%d/fd/%d", pid, dirfd);
	int bfd = open(base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (bfd < 0)
		return -errno;
	struct fs_creds them;
	bool root = geteuid() == 0;
	if (root && !read_creds(pid, &them)) {
		/* Gone, or unreadable: nothing is opened for it as root. */
		close(bfd);
		return -ESRCH;
	}
	bool as_them = root && them.uid != 0;
	if (as_them)
		pthread_once(&own_once, read_own);
	struct open_how how = {
		/* openat2 refuses O_NOCTTY beside O_PATH. */
		.flags = (uint64_t)(flags | O_CLOEXEC |
				    ((flags & O_PATH) ? 0 : O_NOCTTY)),
		.resolve = resolve | (path[0] == '/' ? RESOLVE_IN_ROOT : 0),
	};
	if (as_them)
		become(&them);
	int fd = (int)syscall(SYS_openat2, bfd, path, &how, sizeof(how));
	int e = errno;
	if (as_them)
		become(&own);
	close(bfd);
	return fd < 0 ? -e : fd;
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
}

static pid_t status_field(pid_t tid, const char *key);

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

/* One numeric field ("Tgid:", "PPid:") of a thread's /proc status. */
static pid_t status_field(pid_t tid, const char *key)
{
	char p[64], line[256];
	snprintf(p, sizeof(p), "/proc/%d/status", tid);
	FILE *f = fopen(p, "re");
	if (!f)
		return 0;
	pid_t v = 0;
	size_t klen = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen)) {
			v = (pid_t)strtol(line + klen, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

pid_t target_ppid(pid_t tid)
{
	return tid > 0 ? status_field(tid, "PPid:") : 0;
}
