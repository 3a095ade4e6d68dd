/* A set-uid-root launcher that behaves like snap-confine where it matters
 * here: it makes a private mount namespace, hides directories under
 * tmpfs, drops LD_* variables, gives up root and execs the program.
 *   launcher HIDE_DIR... -- PROGRAM ARGS... */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int i = 1;
	if (geteuid() != 0) {
		fprintf(stderr, "launcher: not set-uid root (euid %d)\n", geteuid());
		return 90;
	}
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		perror("launcher: mount namespace");
		return 91;
	}
	for (; i < argc && strcmp(argv[i], "--"); i++)
		if (mount("tmpfs", argv[i], "tmpfs", 0, "mode=755")) {
			perror(argv[i]);
			return 92;
		}
	if (i + 1 >= argc)
		return 93;
	unsetenv("LD_PRELOAD");
	unsetenv("LD_LIBRARY_PATH");
	uid_t u = getuid();
	gid_t g = getgid();
	if (setresgid(g, g, g) || setresuid(u, u, u)) {
		perror("launcher: drop privileges");
		return 94;
	}
	execv(argv[i + 1], argv + i + 1);
	perror(argv[i + 1]);
	return 95;
}
