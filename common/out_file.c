/* Output files that a less privileged writer of the same directories
 * cannot redirect (see out_file.h). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errbuf.h"
#include "out_file.h"

#define MAX_LINKS 40

/* A directory only root and the caller can change.  Group write counts
 * as others' unless the group is root's. */
static bool dir_private(const struct stat *d)
{
	uid_t me = geteuid();
	if (d->st_uid != 0 && d->st_uid != me)
		return false;
	if ((d->st_mode & S_IWGRP) && d->st_gid != 0)
		return false;
	return !(d->st_mode & S_IWOTH);
}

/* Whether entry e of directory d can only be replaced by root or the
 * caller: d is private, or d is sticky (others may add entries but not
 * replace ours) and e is root's or the caller's. */
static bool entry_private(const struct stat *d, const struct stat *e)
{
	uid_t me = geteuid();
	if (dir_private(d))
		return true;
	if (!(d->st_mode & S_ISVTX) || (d->st_uid != 0 && d->st_uid != me))
		return false;
	return e->st_uid == 0 || e->st_uid == me;
}

static int fail_errno(int e, char *err, size_t errlen, const char *fmt,
		      const char *path, const char *detail)
{
	err_set(err, errlen, fmt, path, detail);
	errno = e;
	return -1;
}

/* Opens (O_PATH) the directory that will hold the last component of
 * path, walking it as out_file.h describes; leaf gets that component. */
static int open_parent(const char *path, char *leaf, bool *private,
		       char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	if (!*base || !strcmp(base, ".") || !strcmp(base, "..") ||
	    strlen(base) > NAME_MAX)
		return fail_errno(EISDIR, err, errlen, "%s: %s", path,
				  "not a file name");
	strcpy(leaf, base);
	static __thread char rest[2 * PATH_MAX], next[2 * PATH_MAX];
	size_t dlen = slash ? (size_t)(slash - path) : 0;
	if (dlen >= PATH_MAX)
		return fail_errno(ENAMETOOLONG, err, errlen, "%s: %s", path,
				  strerror(ENAMETOOLONG));
	memcpy(rest, path, dlen);
	rest[dlen] = 0;
	int cur = open(path[0] == '/' ? "/" : ".",
		       O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cur < 0)
		return fail_errno(errno, err, errlen, "%s: %s", path,
				  strerror(errno));
	unsigned links = 0;
	char *p = rest;
	struct stat ds;
	for (;;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		char *end = strchrnul(p, '/');
		char comp[NAME_MAX + 1];
		size_t clen = (size_t)(end - p);
		if (clen > NAME_MAX) {
			close(cur);
			return fail_errno(ENAMETOOLONG, err, errlen, "%s: %s",
					  path, strerror(ENAMETOOLONG));
		}
		memcpy(comp, p, clen);
		comp[clen] = 0;
		p = end;
		if (!strcmp(comp, "."))
			continue;
		struct stat es;
		if (fstat(cur, &ds) ||
		    fstatat(cur, comp, &es, AT_SYMLINK_NOFOLLOW)) {
			int e = errno;
			close(cur);
			return fail_errno(e, err, errlen, "%s: %s", path,
					  strerror(e));
		}
		if (S_ISLNK(es.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = -1;
			if (entry_private(&ds, &es) && ++links <= MAX_LINKS)
				n = readlinkat(cur, comp, target,
					       sizeof(target) - 1);
			if (n <= 0 || strlen(p) + (size_t)n + 2 > sizeof(next)) {
				close(cur);
				return fail_errno(ELOOP, err, errlen,
					"%s: the directory link %s is in a "
					"directory others can write, or loops: "
					"not followed", path, comp);
			}
			target[n] = 0;
			snprintf(next, sizeof(next), "%s%s", target, p);
			strcpy(rest, next);
			p = rest;
			if (target[0] == '/') {
				close(cur);
				cur = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
				if (cur < 0)
					return fail_errno(errno, err, errlen,
							  "%s: %s", path,
							  strerror(errno));
			}
			continue;
		}
		/* O_NOFOLLOW: a link swapped in since the fstatat fails
		 * with ENOTDIR instead of being followed. */
		int nfd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW |
				 O_CLOEXEC);
		int e = errno;
		close(cur);
		if (nfd < 0)
			return fail_errno(e, err, errlen, "%s: %s", path,
					  strerror(e));
		cur = nfd;
	}
	if (fstat(cur, &ds)) {
		int e = errno;
		close(cur);
		return fail_errno(e, err, errlen, "%s: %s", path, strerror(e));
	}
	*private = dir_private(&ds);
	return cur;
}

/* A new 0600 file with a random hidden name beside o->name. */
static int create_tmp(struct outf *o)
{
	for (int i = 0; i < 100; i++) {
		unsigned char r[6];
		if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
			return -1;
		free(o->tmp);
		if (asprintf(&o->tmp, ".%.200s.%02x%02x%02x%02x%02x%02x", o->name,
			     r[0], r[1], r[2], r[3], r[4], r[5]) < 0) {
			o->tmp = NULL;
			errno = ENOMEM;
			return -1;
		}
		int fd = openat(o->dirfd, o->tmp, O_RDWR | O_CREAT | O_EXCL |
				O_NOFOLLOW | O_CLOEXEC, 0600);
		if (fd >= 0 || errno != EEXIST)
			return fd;
	}
	errno = EEXIST;
	return -1;
}

/* Locks the existing regular file at o->name when it is still the inode
 * es describes.  Returns the locked fd, -1 (errno) or -2: it changed. */
static int lock_existing(struct outf *o, const struct stat *es)
{
	int fd = openat(o->dirfd, o->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
			O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT || errno == ELOOP ? -2 : -1;
	struct stat st, again;
	if (fstat(fd, &st) || st.st_ino != es->st_ino || st.st_dev != es->st_dev) {
		close(fd);
		return -2;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	/* Locked after the name moved to a newer file: look again. */
	if (fstatat(o->dirfd, o->name, &again, AT_SYMLINK_NOFOLLOW) ||
	    again.st_ino != st.st_ino || again.st_dev != st.st_dev) {
		close(fd);
		return -2;
	}
	return fd;
}

static int lock_new(int fd, unsigned flags)
{
	return (flags & OUTF_LOCK) ? flock(fd, LOCK_EX | LOCK_NB) : 0;
}

/* One try at the leaf.  Returns 0, -1 (errno, err) or 1: the directory
 * entry changed meanwhile, try again. */
static int open_leaf(struct outf *o, const char *path, unsigned flags,
		     bool private, char *err, size_t errlen)
{
	struct stat es;
	if (fstatat(o->dirfd, o->name, &es, AT_SYMLINK_NOFOLLOW)) {
		if (errno != ENOENT)
			return fail_errno(errno, err, errlen, "%s: %s", path,
					  strerror(errno));
		if (flags & OUTF_ATOMIC) {
			o->fd = create_tmp(o);
		} else {
			o->fd = openat(o->dirfd, o->name, O_RDWR | O_CREAT |
				       O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
			if (o->fd < 0 && errno == EEXIST)
				return 1;
		}
		if (o->fd < 0)
			return fail_errno(errno, err, errlen, "%s: %s", path,
					  strerror(errno));
		if (lock_new(o->fd, flags))
			return fail_errno(EBUSY, err, errlen, "%s: %s", path,
					  "in use: another writer holds its lock");
		return 0;
	}
	if (!(flags & OUTF_REPLACE))
		return fail_errno(EEXIST, err, errlen, "%s: %s", path,
				  strerror(EEXIST));
	if (S_ISLNK(es.st_mode))
		return fail_errno(ELOOP, err, errlen, "%s: %s", path,
				  "is a symbolic link: neither followed nor "
				  "replaced (name the file itself)");
	if ((S_ISFIFO(es.st_mode) || S_ISCHR(es.st_mode)) &&
	    (flags & OUTF_SPECIAL) && private && !(flags & OUTF_ATOMIC)) {
		o->fd = openat(o->dirfd, o->name, O_WRONLY | O_NOFOLLOW |
			       O_NOCTTY | O_CLOEXEC);
		if (o->fd < 0)
			return fail_errno(errno, err, errlen, "%s: %s", path,
					  strerror(errno));
		struct stat st;
		if (fstat(o->fd, &st) || st.st_rdev != es.st_rdev ||
		    (st.st_mode & S_IFMT) != (es.st_mode & S_IFMT))
			return 1;
		o->special = 1;
		return 0;
	}
	if (!S_ISREG(es.st_mode))
		return fail_errno(EINVAL, err, errlen, "%s: %s", path,
				  "exists and is not a regular file");
	int lockfd = -1;
	if (flags & OUTF_LOCK) {
		lockfd = lock_existing(o, &es);
		if (lockfd == -2)
			return 1;
		if (lockfd < 0)
			return fail_errno(errno == EWOULDBLOCK ? EBUSY : errno,
					  err, errlen, "%s: %s", path,
					  errno == EWOULDBLOCK ?
					  "in use: another writer holds its lock" :
					  strerror(errno));
	}
	o->fd = create_tmp(o);
	int rc = 0;
	if (o->fd < 0 || lock_new(o->fd, flags))
		rc = fail_errno(errno, err, errlen, "%s: %s", path,
				strerror(errno));
	else if (!(flags & OUTF_ATOMIC) &&
		 renameat(o->dirfd, o->tmp, o->dirfd, o->name))
		rc = fail_errno(errno, err, errlen, "%s: %s", path,
				strerror(errno));
	else if (!(flags & OUTF_ATOMIC)) {
		free(o->tmp);
		o->tmp = NULL;
	}
	if (lockfd >= 0)
		close(lockfd);
	return rc;
}

/* The leaf of o, whose dirfd and name are set: tried again while the
 * entry keeps changing under us. */
static int open_leaf_retry(struct outf *o, const char *path, unsigned flags,
			   bool private, char *err, size_t errlen)
{
	if (!o->name) {
		outf_close(o);
		return fail_errno(ENOMEM, err, errlen, "%s: %s", path,
				  strerror(ENOMEM));
	}
	for (int tries = 0; tries < 8; tries++) {
		int rc = open_leaf(o, path, flags, private, err, errlen);
		if (rc <= 0) {
			if (rc < 0) {
				int e = errno;
				outf_close(o);
				errno = e;
			}
			return rc;
		}
		if (o->fd >= 0)
			close(o->fd);
		o->fd = -1;
	}
	outf_close(o);
	return fail_errno(EAGAIN, err, errlen, "%s: %s", path,
			  "keeps changing while being opened");
}

int outf_open(struct outf *o, const char *path, unsigned flags, char *err,
	      size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	char leaf[NAME_MAX + 1];
	bool private;
	o->dirfd = open_parent(path, leaf, &private, err, errlen);
	if (o->dirfd < 0)
		return -1;
	o->name = strdup(leaf);
	return open_leaf_retry(o, path, flags, private, err, errlen);
}

int outf_open_at(struct outf *o, int dirfd, const char *name, unsigned flags,
		 char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	o->fd = -1;
	if (!*name || strchr(name, '/') || strlen(name) > NAME_MAX)
		return fail_errno(EINVAL, err, errlen, "%s: %s", name,
				  "not a file name");
	o->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (o->dirfd < 0)
		return fail_errno(errno, err, errlen, "%s: %s", name,
				  strerror(errno));
	o->name = strdup(name);
	/* Not private: an existing FIFO or device is never written as is. */
	return open_leaf_retry(o, name, flags & ~OUTF_SPECIAL, false, err,
			       errlen);
}

int outf_make_dir(const char *dir, uid_t uid, gid_t gid, char *err,
		  size_t errlen)
{
	char leaf[NAME_MAX + 1];
	bool private;
	int pfd = open_parent(dir, leaf, &private, err, errlen);
	if (pfd < 0)
		return -1;
	int rc = -1;
	if (mkdirat(pfd, leaf, 0700)) {
		fail_errno(errno, err, errlen, "%s: %s", dir, strerror(errno));
		goto out;
	}
	/* Ours only if it is still the empty directory we made: anything
	 * else (swapped in since) is neither chowned nor used. */
	int fd = openat(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) || st.st_uid != geteuid() ||
	    st.st_nlink != 2 || (st.st_mode & 07777) & ~0700u) {
		fail_errno(fd < 0 ? errno : EEXIST, err, errlen, "%s: %s", dir,
			   "changed while being created: not used");
	} else if (fchown(fd, uid, gid) || fchmod(fd, 0750)) {
		fail_errno(errno, err, errlen, "%s: %s", dir, strerror(errno));
	} else {
		rc = 0;
	}
	if (fd >= 0)
		close(fd);
out:
	close(pfd);
	return rc;
}

int outf_commit(struct outf *o, char *err, size_t errlen)
{
	if (!o->tmp)
		return 0;
	if (fsync(o->fd) || renameat(o->dirfd, o->tmp, o->dirfd, o->name)) {
		int e = errno;
		return fail_errno(e, err, errlen, "%s: %s", o->name, strerror(e));
	}
	free(o->tmp);
	o->tmp = NULL;
	/* The rename is durable once the directory is. */
	int d = openat(o->dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = d < 0 || fsync(d) ? -1 : 0;
	int e = errno;
	if (d >= 0)
		close(d);
	if (rc)
		return fail_errno(e, err, errlen, "%s: %s", o->name, strerror(e));
	return 0;
}

void outf_close(struct outf *o)
{
	if (o->tmp && o->dirfd >= 0)
		unlinkat(o->dirfd, o->tmp, 0);
	if (o->fd >= 0)
		close(o->fd);
	if (o->dirfd >= 0)
		close(o->dirfd);
	free(o->tmp);
	free(o->name);
	memset(o, 0, sizeof(*o));
	o->fd = o->dirfd = -1;
}

int open_regular_bounded(const char *path, size_t max_bytes, int nofollow,
			 char *err, size_t errlen)
{
	/* O_NONBLOCK: opening a FIFO must not wait for a writer. */
	int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC |
		      (nofollow ? O_NOFOLLOW : 0));
	if (fd < 0)
		return fail_errno(errno, err, errlen, "%s: %s", path,
				  errno == ELOOP && nofollow ?
				  "is a symbolic link" : strerror(errno));
	struct stat st;
	int unknown = fstat(fd, &st);
	if (unknown || !S_ISREG(st.st_mode)) {
		close(fd);
		bool dir = !unknown && S_ISDIR(st.st_mode);
		return fail_errno(dir ? EISDIR : EINVAL, err, errlen, "%s: %s",
				  path, dir ? "is a directory" :
				  "not a regular file");
	}
	if ((unsigned long long)st.st_size > max_bytes) {
		close(fd);
		char what[64];
		snprintf(what, sizeof(what), "larger than %zu bytes", max_bytes);
		return fail_errno(EFBIG, err, errlen, "%s: %s", path, what);
	}
	return fd;
}
