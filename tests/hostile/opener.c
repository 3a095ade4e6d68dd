/* Opens one path the way a test asks and prints what came back, so a
 * run under vgpu-run can be compared with the kernel's own answer:
 *   opener [-D] [-N] [-n] [-R resolve] PATH
 * -D O_DIRECTORY, -N O_NOFOLLOW, -n O_NONBLOCK, -R openat2 with
 * RESOLVE_NO_SYMLINKS (nosym) or RESOLVE_BENEATH (beneath) from the cwd.
 * Prints "dir", "file SIZE [nonblock]", or "error NAME". */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *err_name(int e)
{
	switch (e) {
	case ENOENT: return "ENOENT";
	case ENOTDIR: return "ENOTDIR";
	case ELOOP: return "ELOOP";
	case EXDEV: return "EXDEV";
	case EACCES: return "EACCES";
	case EINTR: return "EINTR";
	default: return strerror(e);
	}
}

int main(int argc, char **argv)
{
	int flags = O_RDONLY | O_CLOEXEC, opt;
	unsigned long long resolve = 0;
	bool use_openat2 = false;
	while ((opt = getopt(argc, argv, "DNnR:")) != -1) {
		switch (opt) {
		case 'D': flags |= O_DIRECTORY; break;
		case 'N': flags |= O_NOFOLLOW; break;
		case 'n': flags |= O_NONBLOCK; break;
		case 'R':
			use_openat2 = true;
			resolve = !strcmp(optarg, "nosym") ? RESOLVE_NO_SYMLINKS :
				  !strcmp(optarg, "beneath") ? RESOLVE_BENEATH : 0;
			break;
		default: return 2;
		}
	}
	if (optind != argc - 1)
		return 2;
	int fd;
	if (use_openat2) {
		struct open_how how = { .flags = (unsigned long long)flags,
					.resolve = resolve };
		fd = (int)syscall(SYS_openat2, AT_FDCWD, argv[optind], &how,
				  sizeof(how));
	} else {
		fd = open(argv[optind], flags);
	}
	if (fd < 0) {
		printf("error %s\n", err_name(errno));
		return 0;
	}
	struct stat st;
	fstat(fd, &st);
	if (S_ISDIR(st.st_mode))
		printf("dir\n");
	else
		printf("file %lld%s\n", (long long)st.st_size,
		       (fcntl(fd, F_GETFL) & O_NONBLOCK) ? " nonblock" : "");
	return 0;
}
