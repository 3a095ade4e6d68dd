/* Standalone mode (no vgpu-run: LD_PRELOAD, a patched DT_NEEDED, a copy
 * on the library path).  With VGPU_TRACE=FILE the interposer makes its own
 * ring set and a drain thread writes FILE (FILE.PID in forked children);
 * VGPU_LOSSY=1 lets rings drop.  Records still in the rings when the
 * process dies abruptly are lost: use vgpu-run for crash-proof traces. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "interposer.h"
#include "trace.h"

void vgpu_ring_use(struct vr_header *h);

static struct vr_drain *drain;
static struct vt_writer *writer;
static atomic_bool stop;
static pthread_t thread;
static bool running;

/* One drain pass (only the drain thread makes them, and finish() after
 * joining it); a write error is said once. */
static void drain_step(bool all)
{
	long n = vr_drain_pass(drain, all);
	if (n < 0)
		vgpu_log("vgpu: VGPU_TRACE: %s", strerror((int)-n));
}

static void *drain_main(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop)) {
		drain_step(false);
		vr_drain_nap(drain);
	}
	return NULL;
}

static void finish(void)
{
	if (!running)
		return;
	atomic_store(&stop, true);
	pthread_join(thread, NULL);
	running = false;
	drain_step(true);
	vt_writer_close(writer);
	writer = NULL;
}

void vgpu_standalone_start(void)
{
	static bool atexit_done;
	const char *path = getenv("VGPU_TRACE");
	if (!path || !*path)
		return;
	/* A forked child keeps the parent's drain state but not its thread:
	 * start over with a file of its own. */
	char buf[4096];
	if (running || drain) {
		snprintf(buf, sizeof(buf), "%s.%d", path, getpid());
		path = buf;
		running = false;
		drain = NULL;
		writer = NULL;
		atomic_store(&stop, false);
	}
	const char *lossy = getenv("VGPU_LOSSY");
	bool is_lossy = lossy && *lossy && strcmp(lossy, "0");
	writer = vt_writer_open(path, VT_OPEN_FORCE,
				is_lossy ? VT_FILE_LOSSY : 0);
	if (!writer) {
		vgpu_log("vgpu: VGPU_TRACE=%s: %s", path, strerror(errno));
		return;
	}
	struct vr_header *h;
	size_t len;
	int fd = vr_create(is_lossy ? VR_LOSSY : 0, &h, &len);
	if (fd < 0) {
		vgpu_log("vgpu: trace ring: %s", strerror(-fd));
		return;
	}
	close(fd);
	drain = vr_drain_new(writer);
	if (!drain ||
	    vr_drain_add(drain, h, &VR_DEFAULT_GEOM, (uint32_t)getpid(), -1))
		return;
	vgpu_ring_use(h);
	if (pthread_create(&thread, NULL, drain_main, NULL))
		return;
	running = true;
	if (!atexit_done) {
		atexit_done = true;
		atexit(finish);
	}
}
