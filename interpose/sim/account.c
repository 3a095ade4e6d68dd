/* Device memory accounting across processes.
 *
 * A real GPU's memory is shared by every process on the machine, and NVML
 * in one process reports what the others allocated.  The simulator keeps
 * the same picture in a small state file, one per user and configuration
 * (named by a hash of the rules text, so two differently configured runs
 * never mix): a table of (pid, device, bytes) slots.  Slots of processes
 * that died are ignored and reused, so a crash leaks nothing.  Updates
 * take flock() on the file (released by the kernel if we die) under a
 * process-local mutex (flock does not exclude threads sharing the fd).
 *
 * $VGPU_SIM_STATE names the file explicitly; the default lives in
 * /dev/shm.  Without a usable file the accounting is per process. */
#include "sim.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_MAGIC 0x76677075736d3031ULL	/* "vgpusm01" */
#define STATE_SLOTS 1024

struct slot {
	uint32_t pid;
	uint32_t dev;
	uint64_t bytes;
};

struct state {
	uint64_t magic;
	uint64_t nslots;
	struct slot s[STATE_SLOTS];
};

static struct state *st;
static struct state local;	/* when no shared file can be had */
static int st_fd = -1;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void state_open(void)
{
	char path[256];
	const char *env = getenv("VGPU_SIM_STATE");
	if (env && *env)
		snprintf(path, sizeof(path), "%s", env);
	else
		snprintf(path, sizeof(path), "/dev/shm/vgpu-sim-%u-%016llx",
			 (unsigned)getuid(),
			 (unsigned long long)sim_config()->hash);
	st = &local;
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || (sb.st_size != 0 &&
				   sb.st_size != (off_t)sizeof(struct state)) ||
	    (sb.st_size == 0 && ftruncate(fd, sizeof(struct state)) < 0)) {
		close(fd);
		return;
	}
	void *m = mmap(NULL, sizeof(struct state), PROT_READ | PROT_WRITE,
		       MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		close(fd);
		return;
	}
	st = m;
	st_fd = fd;
	flock(fd, LOCK_EX);
	if (st->magic != STATE_MAGIC) {
		memset(st, 0, sizeof(*st));
		st->magic = STATE_MAGIC;
		st->nslots = STATE_SLOTS;
	}
	flock(fd, LOCK_UN);
}

static void lock(void)
{
	pthread_once(&once, state_open);
	pthread_mutex_lock(&mu);
	if (st_fd >= 0)
		while (flock(st_fd, LOCK_EX) < 0 && errno == EINTR)
			;
}

static void unlock(void)
{
	if (st_fd >= 0)
		flock(st_fd, LOCK_UN);
	pthread_mutex_unlock(&mu);
}

static bool alive(uint32_t pid)
{
	return pid && (kill((pid_t)pid, 0) == 0 || errno == EPERM);
}

static uint64_t used_locked(int dev)
{
	uint64_t sum = 0;
	for (unsigned i = 0; i < STATE_SLOTS; i++) {
		const struct slot *s = &st->s[i];
		if (s->dev == (uint32_t)dev && s->bytes && alive(s->pid))
			sum += s->bytes;
	}
	return sum;
}

/* Our slot for dev, claiming a free or dead one when create is set. */
static struct slot *my_slot(int dev, bool create)
{
	uint32_t me = (uint32_t)getpid();
	struct slot *spare = NULL;
	for (unsigned i = 0; i < STATE_SLOTS; i++) {
		struct slot *s = &st->s[i];
		if (s->pid == me && s->dev == (uint32_t)dev)
			return s;
		if (!spare && (s->pid == 0 || !alive(s->pid)))
			spare = s;
	}
	if (!create || !spare)
		return NULL;
	spare->pid = me;
	spare->dev = (uint32_t)dev;
	spare->bytes = 0;
	return spare;
}

int sim_account_alloc(int dev, unsigned long long bytes)
{
	const struct sim_config *c = sim_config();
	if (dev < 0 || dev >= c->ndev)
		return -1;
	int rc = -1;
	lock();
	uint64_t used = used_locked(dev);
	struct slot *s;
	if (bytes <= c->dev[dev].memory - used && (s = my_slot(dev, true))) {
		s->bytes += bytes;
		rc = 0;
	}
	unlock();
	return rc;
}

void sim_account_free(int dev, unsigned long long bytes)
{
	lock();
	struct slot *s = my_slot(dev, false);
	if (s)
		s->bytes = s->bytes > bytes ? s->bytes - bytes : 0;
	unlock();
}

unsigned long long sim_account_used(int dev)
{
	lock();
	uint64_t u = used_locked(dev);
	unlock();
	return u;
}

unsigned sim_account_procs(int dev, struct sim_proc_use *out, unsigned max)
{
	unsigned n = 0;
	lock();
	for (unsigned i = 0; i < STATE_SLOTS; i++) {
		const struct slot *s = &st->s[i];
		if (s->dev != (uint32_t)dev || !s->bytes || !alive(s->pid))
			continue;
		if (n < max) {
			out[n].pid = s->pid;
			out[n].bytes = s->bytes;
		}
		n++;
	}
	unlock();
	return n;
}
