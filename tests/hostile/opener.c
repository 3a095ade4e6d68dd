/* Opens paths the way a test asks and prints what came back, so a run
 * under vgpu-run can be compared with the kernel's own answer:
 *   opener [-D] [-N] [-n] [-R resolve] PATH [STEP|PATH]...
 * -D O_DIRECTORY, -N O_NOFOLLOW, -n O_NONBLOCK, -R openat2 with
 * RESOLVE_NO_SYMLINKS (nosym) or RESOLVE_BENEATH (beneath) from the cwd.
 * Prints a line per PATH: "dir", "file SIZE [nonblock]", or "error NAME".
 * Steps between paths change the process the way programs do between
 * two opens (the supervisor must notice):
 *   +chroot=DIR   chroot into DIR and chdir to its /
 *   +as=UID:GID   seteuid(UID) with GID as the only supplementary group
 *   +as=UID:-     the same with no supplementary groups
 * (+as needs a real or saved uid of 0 to go from one identity to the
 * next.) */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <grp.h>
#include <stdlib.h>
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

static void open_one(const char *path, int flags, bool use_openat2,
		     unsigned long long resolve)
{
	int fd;
	if (use_openat2) {
		struct open_how how = { .flags = (unsigned long long)flags,
					.resolve = resolve };
		fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how,
				  sizeof(how));
	} else {
		fd = open(path, flags);
	}
	if (fd < 0) {
		printf("error %s\n", err_name(errno));
		return;
	}
	struct stat st;
	fstat(fd, &st);
	if (S_ISDIR(st.st_mode))
		printf("dir\n");
	else
		printf("file %lld%s\n", (long long)st.st_size,
		       (fcntl(fd, F_GETFL) & O_NONBLOCK) ? " nonblock" : "");
	close(fd);
}

/* One +STEP; false (with a message) when it cannot be done. */
static bool step(const char *arg)
{
	if (!strncmp(arg, "+chroot=", 8))
		return !chroot(arg + 8) && !chdir("/");
	if (!strncmp(arg, "+as=", 4)) {
		char *end;
		uid_t uid = (uid_t)strtoul(arg + 4, &end, 10);
		if (*end != ':')
			return false;
		gid_t g = (gid_t)strtoul(end + 1, NULL, 10);
		bool none = !strcmp(end + 1, "-");
		return !seteuid(0) && !setgroups(none ? 0 : 1, &g) &&
		       !seteuid(uid);
	}
	return false;
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
	if (optind >= argc)
		return 2;
	for (int i = optind; i < argc; i++) {
		if (argv[i][0] != '+') {
			open_one(argv[i], flags, use_openat2, resolve);
		} else if (!step(argv[i])) {
			printf("step %s failed: %s\n", argv[i], strerror(errno));
			return 1;
		}
		fflush(stdout);
	}
	return 0;
}
