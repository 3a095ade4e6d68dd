/* The notify loop is one thread, which is what makes an intercepted open
 * cheap.  But deciding some opens means looking at the program's files
 * (a SONAME, whether a served path is a directory, an exec's set-uid
 * bit), and a file can sit on a filesystem that never answers: a FUSE
 * server that reads requests and replies to none, a dead network share.
 * The thread that looks is then held by the kernel, uninterruptibly.
 *
 * So the loop's thread is watched: when one notification has held it
 * longer than STALL_NS, it is retired (it finishes that one notification
 * whenever the filesystem answers, then ends) and a new thread carries on
 * the loop for everyone else.  The process whose decision is stuck gets
 * no further looks at its files until it comes back (its opens go ahead
 * unexamined, as the kernel would run them, and the trace says so), and
 * after MAX_STUCK stuck decisions nobody gets looks.  So one process can
 * never stall another's opens, signals or reaping. */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "supervisor.h"

#define STALL_NS 500000000ull
#define MAX_STUCK 16

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static unsigned owner_gen;		/* the generation now serving */
static atomic_uint_fast64_t busy_since;	/* the owner's current decision */
static atomic_int busy_tid;
/* Stuck decisions: the thread that made the notification, and its
 * process (asked once, while the process is surely there). */
static struct { pid_t tid, tgid; } stalled[MAX_STUCK];
static unsigned nstuck;
static bool done;
static __thread unsigned my_gen;
static __thread pid_t my_tid;		/* the notification this thread holds */

bool watch_may_look(pid_t tgid)
{
	pthread_mutex_lock(&lock);
	bool ok = nstuck < MAX_STUCK;
	for (unsigned i = 0; ok && i < nstuck; i++)
		if (stalled[i].tgid == tgid)
			ok = false;
	pthread_mutex_unlock(&lock);
	return ok;
}

void watch_enter(pid_t tid)
{
	my_tid = tid;
	atomic_store(&busy_tid, tid);
	atomic_store(&busy_since, vt_now_ns());
}

bool watch_leave(void)
{
	pthread_mutex_lock(&lock);
	bool retired = my_gen != owner_gen;
	/* A retired thread's decision is no longer the one watched: the
	 * owner's own state is not this thread's to clear. */
	if (!retired)
		atomic_store(&busy_since, 0);
	if (retired) {
		for (unsigned i = 0; i < nstuck; i++)
			if (stalled[i].tid == my_tid) {
				stalled[i] = stalled[--nstuck];
				break;
			}
	}
	pthread_mutex_unlock(&lock);
	return retired;
}

struct owner_start {
	struct supervisor *s;
	void (*loop)(struct supervisor *s);
	unsigned gen;
};

static void *owner_main(void *arg)
{
	struct owner_start st = *(struct owner_start *)arg;
	free(arg);
	my_gen = st.gen;
	st.loop(st.s);
	return NULL;
}

static bool start_owner(struct supervisor *s, void (*loop)(struct supervisor *),
			unsigned gen)
{
	struct owner_start *st = malloc(sizeof(*st));
	if (!st)
		return false;
	*st = (struct owner_start){ s, loop, gen };
	pthread_t t;
	pthread_attr_t a;
	pthread_attr_init(&a);
	pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &a, owner_main, st);
	pthread_attr_destroy(&a);
	if (rc)
		free(st);
	return rc == 0;
}

void watch_done(void)
{
	pthread_mutex_lock(&lock);
	if (my_gen == owner_gen) {
		done = true;
		pthread_cond_signal(&changed);
	}
	pthread_mutex_unlock(&lock);
}

void watch_run(struct supervisor *s, void (*loop)(struct supervisor *s))
{
	pthread_mutex_lock(&lock);
	owner_gen = 1;
	if (!start_owner(s, loop, owner_gen)) {
		/* No thread to spare: this one serves, unwatched. */
		pthread_mutex_unlock(&lock);
		my_gen = 1;
		loop(s);
		return;
	}
	while (!done) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 100000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&changed, &lock, &ts);
		uint64_t since = atomic_load(&busy_since);
		if (done || !since || vt_now_ns() - since < STALL_NS ||
		    nstuck >= MAX_STUCK)
			continue;
		pid_t tid = atomic_load(&busy_tid), tgid = target_tgid(tid);
		stalled[nstuck].tid = tid;
		stalled[nstuck++].tgid = tgid;
		atomic_store(&busy_since, 0);
		owner_gen++;
		if (!start_owner(s, loop, owner_gen)) {
			owner_gen--;	/* it stays the owner; nothing else to do */
			nstuck--;
			continue;
		}
		pthread_mutex_unlock(&lock);
		char pid[16];
		snprintf(pid, sizeof(pid), "%d", tgid);
		const char *strs[] = { "decision stuck", pid,
			"a file this process named does not answer; its later "
			"opens go ahead unexamined until it does" };
		event(s, VT_EV_ERROR, tgid, -ETIMEDOUT, 0, 3, strs);
		pthread_mutex_lock(&lock);
	}
	pthread_mutex_unlock(&lock);
}
