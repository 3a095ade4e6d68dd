/* Creating the files vgpu-run and vgpu-elfpatch write, safely when they run
 * as root beside programs that may write into the same directories.
 *
 * The directory part of the path is walked one component at a time: a
 * symbolic link is followed only where it sits in a directory nobody but
 * root and the caller can change (a sticky directory counts when the link
 * itself is root's or the caller's); anywhere else it is refused.  The
 * last component is never followed.  A new file is always a fresh inode,
 * mode 0600, owned by the caller: an existing one is replaced by renaming
 * a new file over it (never truncated or chmod'ed in place, so a hard link
 * or a file someone else owns is never written through). */
#ifndef VGPU_OUT_FILE_H
#define VGPU_OUT_FILE_H

#include <stddef.h>
#include <sys/types.h>

#define OUTF_REPLACE 0x1	/* replace an existing file (else EEXIST) */
#define OUTF_LOCK 0x2		/* flock the file; refuse while another holds it */
#define OUTF_SPECIAL 0x4	/* with REPLACE: an existing FIFO or character
				 * device in a safe directory is written as is */
#define OUTF_ATOMIC 0x8		/* keep a temporary name until outf_commit */

struct outf {
	int fd;			/* the file: O_RDWR (O_WRONLY for a FIFO/device) */
	int dirfd;		/* its directory (ATOMIC: until commit) */
	char *name;		/* last component of the path */
	char *tmp;		/* ATOMIC: the temporary name until commit */
	int special;		/* an existing FIFO/device, written as is */
};

/* Creates PATH as described above.  Returns 0, or -1 with errno set and a
 * one-line message naming PATH in err. */
int outf_open(struct outf *o, const char *path, unsigned flags, char *err,
	      size_t errlen);
/* The same for the entry name of the directory dirfd (already walked;
 * the caller keeps its own dirfd): how a rotated series makes its next
 * file beside the first. */
int outf_open_at(struct outf *o, int dirfd, const char *name, unsigned flags,
		 char *err, size_t errlen);
/* Creates the directory DIR (its parent walked as above), mode 0750,
 * owned by uid:gid; only a directory this call made is chowned.  Returns
 * 0, or -1 with errno set and a message naming DIR in err (EEXIST when it
 * exists already). */
int outf_make_dir(const char *dir, uid_t uid, gid_t gid, char *err,
		  size_t errlen);
/* ATOMIC: fsync the file, rename it into place, fsync the directory. */
int outf_commit(struct outf *o, char *err, size_t errlen);
/* Drops what outf_open made (an uncommitted temporary file is removed)
 * and closes o->fd unless the caller took it (set o->fd = -1). */
void outf_close(struct outf *o);

/* Opens PATH for reading when it is a regular file of at most max_bytes:
 * never blocks on a FIFO, never reads a device.  Returns the fd, or -1
 * with a one-line message naming PATH in err (errno set). */
int open_regular_bounded(const char *path, size_t max_bytes, int nofollow,
			 char *err, size_t errlen);

#endif
