/* Opens files while a 1 ms interval timer interrupts it with a handler
 * installed without SA_RESTART, as programs other than Go's do:
 *   eintr_opens N PATH [PATH...]   (bench/eintr.sh)
 * Prints "opens=N eintr=E failed=F" over all paths. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/time.h>
#include <unistd.h>

static volatile sig_atomic_t ticks;

static void tick(int sig)
{
	(void)sig;
	ticks++;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	struct sigaction sa = { .sa_handler = tick };	/* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	long n = atol(argv[1]), opens = 0, eintr = 0, failed = 0;
	for (long i = 0; i < n; i++) {
		for (int a = 2; a < argc; a++) {
			int fd = open(argv[a], O_RDONLY | O_CLOEXEC);
			opens++;
			if (fd >= 0)
				close(fd);
			else if (errno == EINTR)
				eintr++;
			else
				failed++;
		}
	}
	printf("opens=%ld eintr=%ld failed=%ld ticks=%d\n", opens, eintr, failed,
	       (int)ticks);
	return 0;
}
