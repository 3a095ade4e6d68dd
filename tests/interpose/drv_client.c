/* A driver-API client linked against libcuda.so.1 (served by the
 * interposer):   drv_client MODE [THREADS CALLS]
 *   basic    cuInit, cuDriverGetVersion, cuDeviceGetCount; prints them
 *   alloc    cuMemAlloc_v2 five times; prints each result
 *   threads  THREADS threads x CALLS cuCtxGetDevice
 *   deepbind PATH: dlopen PATH with RTLD_DEEPBIND, dlsym cuInit from that
 *            handle, call it; prints whether it is the cuInit we link */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cuInit(unsigned flags);
int cuDriverGetVersion(int *v);
int cuDeviceGetCount(int *n);
int cuCtxGetDevice(int *d);
int cuMemAlloc_v2(uint64_t *p, size_t n);

static long calls;

static void *worker(void *arg)
{
	(void)arg;
	int d;
	for (long i = 0; i < calls; i++)
		cuCtxGetDevice(&d);
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "basic";
	if (!strcmp(mode, "basic")) {
		int v = 0, n = 0;
		int a = cuInit(0), b = cuDriverGetVersion(&v),
		    c = cuDeviceGetCount(&n);
		printf("cuInit %d version %d (%d) count %d (%d)\n", a, v, b, n, c);
	} else if (!strcmp(mode, "alloc")) {
		for (int i = 0; i < 5; i++) {
			uint64_t p = 0;
			printf("alloc %d -> %d\n", i + 1, cuMemAlloc_v2(&p, 64));
		}
	} else if (!strcmp(mode, "deepbind") && argc > 2) {
		void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
		int (*init)(unsigned) = h ? (int (*)(unsigned))dlsym(h, "cuInit") : NULL;
		if (!init) {
			printf("dlopen/dlsym failed: %s\n", dlerror());
			return 1;
		}
		printf("same as linked cuInit: %s, returns %d\n",
		       init == cuInit ? "yes" : "no", init(0));
	} else if (!strcmp(mode, "threads")) {
		int nt = argc > 2 ? atoi(argv[2]) : 4;
		calls = argc > 3 ? atol(argv[3]) : 1000;
		pthread_t t[64];
		for (int i = 0; i < nt && i < 64; i++)
			pthread_create(&t[i], NULL, worker, NULL);
		for (int i = 0; i < nt && i < 64; i++)
			pthread_join(t[i], NULL);
		printf("threads done\n");
	}
	return 0;
}
