/* Files vgpu-run hands to the program (redirect targets, backends, real
 * libraries): checked once at start-up and held open (O_PATH), so every
 * serve hands out the inode that was checked, never the path again. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor.h"

/* Who may own a file that root hands to other programs: root, or the
 * user who asked for it (directly or through sudo). */
static bool trusted_owner(uid_t uid)
{
	if (uid == 0 || uid == getuid())
		return true;
	const char *su = getenv("SUDO_UID");
	return su && (uid_t)strtoul(su, NULL, 10) == uid;
}

/* A served file is opened afresh for every serve.  Through
 * /proc/self/fd that is a walk of a magic link (some 5 us); by file
 * handle (root only: CAP_DAC_READ_SEARCH) it is the inode itself, the
 * one that was checked, at the cost of an open by path. */
#define MAX_HELD 64
static struct {
	int opath_fd;
	int mount_fd;		/* a read-only fd of the file: its mount */
	struct file_handle *handle;
} by_handle[MAX_HELD];
static unsigned nby_handle;
static pthread_mutex_t by_handle_lock = PTHREAD_MUTEX_INITIALIZER;

static int proc_reopen(int opath_fd)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", opath_fd);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Learns the file's handle, if the filesystem and our rights allow. */
static void remember_handle(int opath_fd)
{
	struct file_handle *h = malloc(sizeof(*h) + MAX_HANDLE_SZ);
	int mount_id, mfd = -1;
	if (!h)
		return;
	h->handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(opath_fd, "", h, &mount_id, AT_EMPTY_PATH) ||
	    (mfd = proc_reopen(opath_fd)) < 0)
		goto none;
	int probe = open_by_handle_at(mfd, h, O_RDONLY | O_CLOEXEC);
	if (probe < 0)
		goto none;
	close(probe);
	pthread_mutex_lock(&by_handle_lock);
	if (nby_handle < MAX_HELD) {
		by_handle[nby_handle].opath_fd = opath_fd;
		by_handle[nby_handle].mount_fd = mfd;
		by_handle[nby_handle++].handle = h;
		mfd = -1;
		h = NULL;
	}
	pthread_mutex_unlock(&by_handle_lock);
none:
	if (mfd >= 0)
		close(mfd);
	free(h);
}

int held_file_open(const char *origin, const char *path, bool root,
		   char *err, size_t errlen)
{
	int fd = open(path, O_PATH | O_CLOEXEC);
	struct stat st;
	int e = EACCES;
	if (fd < 0 || fstat(fd, &st)) {
		e = errno;
		snprintf(err, errlen, "%s: %s: %s", origin, path, strerror(e));
		goto refused;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: %s: not a regular file", origin,
			 path);
		goto refused;
	}
	if (root && (st.st_mode & 022)) {
		snprintf(err, errlen,
			 "%s: %s: refusing to serve a group- or world-writable "
			 "file as root (mode %03o)", origin, path,
			 st.st_mode & 0777);
		goto refused;
	}
	if (root && !trusted_owner(st.st_uid)) {
		snprintf(err, errlen,
			 "%s: %s: refusing to serve a file owned by uid %u as "
			 "root (only root or the invoking user)", origin, path,
			 st.st_uid);
		goto refused;
	}
	remember_handle(fd);
	return fd;
refused:
	if (fd >= 0)
		close(fd);
	return -e;
}

int held_file_reopen(int opath_fd)
{
	int mfd = -1;
	struct file_handle *h = NULL;
	pthread_mutex_lock(&by_handle_lock);
	for (unsigned i = 0; i < nby_handle; i++)
		if (by_handle[i].opath_fd == opath_fd) {
			mfd = by_handle[i].mount_fd;
			h = by_handle[i].handle;
		}
	pthread_mutex_unlock(&by_handle_lock);
	/* Entries are never removed while vgpu-run serves. */
	int fd = h ? open_by_handle_at(mfd, h, O_RDONLY | O_CLOEXEC) : -1;
	return fd >= 0 ? fd : proc_reopen(opath_fd);
}

void held_file_close(int opath_fd)
{
	pthread_mutex_lock(&by_handle_lock);
	for (unsigned i = 0; i < nby_handle; i++)
		if (by_handle[i].opath_fd == opath_fd) {
			close(by_handle[i].mount_fd);
			free(by_handle[i].handle);
			by_handle[i] = by_handle[--nby_handle];
			break;
		}
	pthread_mutex_unlock(&by_handle_lock);
	close(opath_fd);
}
