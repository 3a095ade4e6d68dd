/* One thread hammers another with SIGURG (as Go's preemption does) while
 * that thread opens files; every open must succeed with the right file
 * and none may hang (an alarm ends a hung run).
 *   sigurg REDIRECTED_PATH SERVED_INODE ORDINARY_PATH ITERS */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_int done;
static atomic_long signals;
static pid_t opener_tid;

static void on_urg(int sig)
{
	(void)sig;
	atomic_fetch_add(&signals, 1);
}

static void *hammer(void *arg)
{
	(void)arg;
	while (!atomic_load(&done))
		syscall(SYS_tgkill, getpid(), opener_tid, SIGURG);
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	struct sigaction sa = { .sa_handler = on_urg, .sa_flags = SA_RESTART };
	sigaction(SIGURG, &sa, NULL);
	alarm(120);
	ino_t served = strtoul(argv[2], NULL, 10);
	struct stat ost;
	stat(argv[3], &ost);
	int iters = atoi(argv[4]);
	opener_tid = (pid_t)syscall(SYS_gettid);
	pthread_t t;
	pthread_create(&t, NULL, hammer, NULL);
	long errors = 0;
	for (int i = 0; i < iters; i++) {
		const char *p = (i & 1) ? argv[3] : argv[1];
		ino_t want = (i & 1) ? ost.st_ino : served;
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		struct stat st;
		if (fd < 0 || fstat(fd, &st) || st.st_ino != want) {
			fprintf(stderr, "open %s: %s\n", p,
				fd < 0 ? strerror(errno) : "wrong file");
			errors++;
		}
		if (fd >= 0)
			close(fd);
	}
	atomic_store(&done, 1);
	pthread_join(t, NULL);
	printf("errors=%ld signalled=%s\n", errors,
	       atomic_load(&signals) > 0 ? "yes" : "no");
	return errors != 0;
}
