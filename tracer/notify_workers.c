/* Decisions that look at the program's filesystem (a SONAME, whether a
 * served path is a directory or a symlink, the set-uid bit of an exec)
 * run on worker threads.  An open on a FUSE mount the program serves
 * itself, or on a dead network share, can take as long as the program
 * likes: it then holds one worker, never the notify loop, and so never
 * another process's opens, signals or reaping.
 *
 * Budgets: a process has at most PER_PROCESS decisions running (the
 * rest of its notifications wait their turn, so one process cannot take
 * every worker) and PER_PROCESS_QUEUED waiting; the queue holds at most
 * MAX_QUEUED.  A notification over budget, or one that waited longer than
 * MAX_WAIT_NS because the workers are stuck, is let through unexamined
 * (CONTINUE: what the kernel does without vgpu-run) and the trace says
 * so.  Nothing waits for ever. */
#include <errno.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "supervisor.h"

#define MAX_WORKERS 16
#define PER_PROCESS 4
#define PER_PROCESS_QUEUED 64
#define MAX_QUEUED 1024
#define MAX_WAIT_NS 1000000000ull
#define TGID_SLOTS 1024

struct job {
	struct job *next;
	pid_t tgid;
	uint64_t queued_ns;
	struct seccomp_notif n;		/* then the kernel's larger tail */
};

struct proc_count {
	pid_t tgid;
	unsigned running, waiting;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t ready;
	struct job *head, *tail;
	unsigned queued, idle, threads;
	struct proc_count procs[TGID_SLOTS];
	struct supervisor *s;
	size_t notif_size;
	worker_fn run;
} pool = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ready = PTHREAD_COND_INITIALIZER,
};

/* tgid's counters (open addressing); NULL when the table is full, which
 * counts as over budget.  A slot whose counts are both 0 is free. */
static struct proc_count *proc_of(pid_t tgid, bool add)
{
	unsigned h = (unsigned)tgid % TGID_SLOTS;
	struct proc_count *free_slot = NULL;
	for (unsigned i = 0; i < TGID_SLOTS; i++) {
		struct proc_count *p = &pool.procs[(h + i) % TGID_SLOTS];
		bool used = p->running || p->waiting;
		if (used && p->tgid == tgid)
			return p;
		if (!used && !free_slot)
			free_slot = p;
	}
	if (!add || !free_slot)
		return NULL;
	free_slot->tgid = tgid;
	return free_slot;
}

/* The first queued job whose process may run one more, unlinked. */
static struct job *take_runnable(void)
{
	for (struct job **pp = &pool.head, *prev = NULL; *pp;
	     prev = *pp, pp = &(*pp)->next) {
		struct job *j = *pp;
		struct proc_count *c = proc_of(j->tgid, false);
		if (c && c->running >= PER_PROCESS)
			continue;
		*pp = j->next;
		if (pool.tail == j)
			pool.tail = prev;
		pool.queued--;
		if (c) {
			c->waiting--;
			c->running++;
		}
		return j;
	}
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&pool.lock);
	for (;;) {
		struct job *j;
		while (!(j = take_runnable())) {
			pool.idle++;
			pthread_cond_wait(&pool.ready, &pool.lock);
			pool.idle--;
		}
		pthread_mutex_unlock(&pool.lock);
		pool.run(pool.s, &j->n);
		pthread_mutex_lock(&pool.lock);
		struct proc_count *c = proc_of(j->tgid, false);
		if (c)
			c->running--;
		free(j);
		/* A job of this process may have waited for this one. */
		pthread_cond_signal(&pool.ready);
	}
	return NULL;
}

void workers_init(struct supervisor *s, size_t notif_size, worker_fn run)
{
	pool.s = s;
	pool.notif_size = notif_size;
	pool.run = run;
}

static void let_through(struct supervisor *s, const struct seccomp_notif *n,
			const char *why)
{
	struct seccomp_notif_resp r = {
		.id = n->id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE,
	};
	ioctl(s->listener, SECCOMP_IOCTL_NOTIF_SEND, &r);
	const char *strs[] = { "not examined", why };
	event(s, VT_EV_ERROR, (pid_t)n->pid, -EBUSY, 0, 2, strs);
}

void workers_submit(struct supervisor *s, const struct seccomp_notif *n)
{
	pid_t tgid = target_tgid((pid_t)n->pid);
	struct job *j = malloc(sizeof(*j) - sizeof(j->n) + pool.notif_size);
	pthread_mutex_lock(&pool.lock);
	struct proc_count *c = proc_of(tgid, true);
	const char *why = !j ? "out of memory" :
		!c || c->waiting >= PER_PROCESS_QUEUED ?
			"the process has too many decisions waiting" :
		pool.queued >= MAX_QUEUED ? "the decision queue is full" : NULL;
	if (why) {
		pthread_mutex_unlock(&pool.lock);
		free(j);
		let_through(s, n, why);
		return;
	}
	c->waiting++;
	memcpy(&j->n, n, pool.notif_size);
	j->tgid = tgid;
	j->queued_ns = vt_now_ns();
	j->next = NULL;
	if (pool.tail)
		pool.tail->next = j;
	else
		pool.head = j;
	pool.tail = j;
	pool.queued++;
	if (!pool.idle && pool.threads < MAX_WORKERS) {
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&a, 256 << 10);
		if (!pthread_create(&t, &a, worker, NULL))
			pool.threads++;
		pthread_attr_destroy(&a);
	}
	pthread_cond_signal(&pool.ready);
	pthread_mutex_unlock(&pool.lock);
}

void workers_expire(struct supervisor *s)
{
	uint64_t now = vt_now_ns();
	for (;;) {
		pthread_mutex_lock(&pool.lock);
		struct job *j = pool.head;
		if (!j || now - j->queued_ns < MAX_WAIT_NS) {
			pthread_mutex_unlock(&pool.lock);
			return;
		}
		pool.head = j->next;
		if (!pool.head)
			pool.tail = NULL;
		pool.queued--;
		struct proc_count *c = proc_of(j->tgid, false);
		if (c)
			c->waiting--;
		pthread_mutex_unlock(&pool.lock);
		let_through(s, &j->n, "every worker is busy with a slow path");
		free(j);
	}
}
