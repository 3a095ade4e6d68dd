/* Fresh open file descriptions of served files, opened ahead of need by a
 * helper thread: a program waiting on an open should not also wait for
 * ours.  Each serve needs its own description (two processes sharing one
 * would share the file offset the loader reads the ELF header through). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "supervisor.h"

#define DEPTH 4

struct pool {
	int fds[DEPTH];
	unsigned count;
	bool wanted;		/* served at least once: keep it filled */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t need = PTHREAD_COND_INITIALIZER;
static struct pool *pools;
static const struct served_file *files;
static size_t nfiles;
static bool started;

static int open_fresh(const struct served_file *f)
{
	return held_file_reopen(f->opath_fd);
}

static void *refill(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&lock);
	for (;;) {
		bool did = false;
		for (size_t i = 0; i < nfiles; i++) {
			struct pool *p = &pools[i];
			if (!p->wanted || p->count == DEPTH)
				continue;
			pthread_mutex_unlock(&lock);
			int fd = open_fresh(&files[i]);
			pthread_mutex_lock(&lock);
			if (fd < 0)
				continue;
			if (p->count < DEPTH)
				p->fds[p->count++] = fd;
			else
				close(fd);
			did = true;
		}
		if (!did)
			pthread_cond_wait(&need, &lock);
	}
	return NULL;
}

void fdpool_init(const struct served_file *f, size_t n)
{
	files = f;
	nfiles = n;
	pools = calloc(n ? n : 1, sizeof(*pools));
	pthread_t t;
	sigset_t all, old;
	/* The thread must not take the signals the notify loop reads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	started = pools && pthread_create(&t, NULL, refill, NULL) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (started)
		pthread_detach(t);
}

int fdpool_take(const struct served_file *f)
{
	size_t i = (size_t)(f - files);
	int fd = -1;
	if (started && i < nfiles) {
		pthread_mutex_lock(&lock);
		struct pool *p = &pools[i];
		if (p->count)
			fd = p->fds[--p->count];
		p->wanted = true;
		pthread_cond_signal(&need);
		pthread_mutex_unlock(&lock);
	}
	return fd >= 0 ? fd : open_fresh(f);
}
