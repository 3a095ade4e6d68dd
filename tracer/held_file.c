/* Files vgpu-run hands to the program (redirect targets, backends, real
 * libraries): checked once at start-up and held open (O_PATH), so every
 * serve hands out the inode that was checked, never the path again. */
#include <errno.h>
#include <fcntl.h>
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
	return fd;
refused:
	if (fd >= 0)
		close(fd);
	return -e;
}

int held_file_reopen(int opath_fd)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/self/fd/%d", opath_fd);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}
