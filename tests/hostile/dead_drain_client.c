/* A traced program whose vgpu-run is killed under it (lossless rings):
 *   dead_drain_client GO_FILE CALLS
 * makes one driver call (its ring set is attached), prints "ready PID",
 * waits until GO_FILE exists (the test kills vgpu-run first), makes CALLS
 * more calls (more than a ring holds), then prints what its own ring set
 * says: "calls N dropped D lossy L" (L: the set turned lossy because its
 * drain stopped beating), and how an open fares now. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace_ring.h"

int cuCtxGetDevice(int *d);

/* This process's ring set, found by its memfd's name. */
static struct vr_header *own_set(void)
{
	FILE *f = fopen("/proc/self/maps", "re");
	char line[512];
	void *at = NULL;
	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, "memfd:vgpu-trace-ring")) {
			at = (void *)strtoul(line, NULL, 16);
			break;
		}
	if (f)
		fclose(f);
	return at;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long calls = atol(argv[2]);
	int d;
	cuCtxGetDevice(&d);
	struct vr_header *h = own_set();
	printf("ready %d %s\n", getpid(), h ? "traced" : "untraced");
	fflush(stdout);
	struct stat st;
	for (int i = 0; stat(argv[1], &st); i++) {
		if (i > 6000)
			return 3;	/* no go within a minute */
		usleep(10 * 1000);
	}
	for (long i = 0; i < calls; i++)
		cuCtxGetDevice(&d);
	uint64_t dropped = 0;
	for (uint32_t k = 0; h && k < h->nrings; k++)
		dropped += atomic_load(&vr_ring_at(h, k)->dropped);
	printf("calls %ld dropped %s lossy %d\n", calls,
	       dropped ? "some" : "none",
	       h && (h->flags & VR_DRAIN_GONE) ? 1 : 0);
	int fd = open("/etc/hostname", O_RDONLY);
	printf("open after: %s\n", fd >= 0 ? "ok" : strerror(errno));
	return 0;
}
