/* A served file replaces what the kernel would have opened, so it must
 * only replace an open the kernel would have let succeed as a file: a
 * directory stays a directory, O_NOFOLLOW on a symlink and the RESOLVE_*
 * limits of openat2 still fail as they would have.  The answer comes from
 * the program's own view and credentials (target_open_resolve). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "supervisor.h"

const char *open_refuses_serving(pid_t pid, int dirfd, const char *path,
				 int oflags, uint64_t resolve)
{
	if (oflags & O_DIRECTORY)
		return "O_DIRECTORY: a library is never a directory";
	int fd = target_open_resolve(pid, dirfd, path,
				     O_PATH | (oflags & O_NOFOLLOW), resolve);
	if (fd < 0) {
		/* A missing file is the case serving exists for (the handler
		 * lives outside the program's view); a path the program may
		 * not search is its own business, as it was before.  Every
		 * other failure (ELOOP, EXDEV, ENOTDIR...) is the kernel's
		 * answer to keep. */
		if (fd == -ENOENT || fd == -EACCES)
			return NULL;
		return "the kernel refuses this path with these flags";
	}
	struct stat st;
	const char *why = NULL;
	if (fstat(fd, &st))
		why = "cannot be examined";
	else if (S_ISLNK(st.st_mode))
		why = "O_NOFOLLOW on a symbolic link";
	else if (S_ISDIR(st.st_mode))
		why = "a directory";
	close(fd);
	return why;
}
