/* Many threads and processes opening redirected and ordinary files at
 * once; every open must give the right file.
 *   stress REDIRECTED_PATH SERVED_INODE ORDINARY_PATH THREADS PROCS ITERS */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *redirected, *ordinary;
static ino_t served_ino;
static int iters;

static int one_open(const char *path, ino_t want)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return 1;
	}
	struct stat st;
	int bad = fstat(fd, &st) || (want && st.st_ino != want);
	if (bad)
		fprintf(stderr, "open %s: wrong file (inode %lu)\n", path,
			(unsigned long)st.st_ino);
	close(fd);
	return bad;
}

static void *worker(void *arg)
{
	(void)arg;
	long errors = 0;
	struct stat st;
	stat(ordinary, &st);
	for (int i = 0; i < iters; i++) {
		errors += one_open(redirected, served_ino);
		errors += one_open(ordinary, st.st_ino);
	}
	return (void *)errors;
}

static long run_threads(int n)
{
	pthread_t t[64];
	long total = 0;
	for (int i = 0; i < n; i++)
		pthread_create(&t[i], NULL, worker, NULL);
	for (int i = 0; i < n; i++) {
		void *r;
		pthread_join(t[i], &r);
		total += (long)r;
	}
	return total;
}

int main(int argc, char **argv)
{
	if (argc != 7)
		return 2;
	redirected = argv[1];
	served_ino = strtoul(argv[2], NULL, 10);
	ordinary = argv[3];
	int threads = atoi(argv[4]), procs = atoi(argv[5]);
	iters = atoi(argv[6]);
	for (int p = 0; p < procs; p++)
		if (fork() == 0)
			_exit(run_threads(2) ? 1 : 0);
	long errors = run_threads(threads);
	int failed_children = 0;
	for (int p = 0; p < procs; p++) {
		int st;
		wait(&st);
		failed_children += !WIFEXITED(st) || WEXITSTATUS(st);
	}
	printf("errors=%ld failed_children=%d\n", errors, failed_children);
	return errors || failed_children;
}
