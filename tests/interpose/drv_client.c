/* A driver-API client linked against libcuda.so.1 (served by the
 * interposer):   drv_client MODE [THREADS CALLS]
 *   basic    cuInit, cuDriverGetVersion, cuDeviceGetCount; prints them
 *   alloc    cuMemAlloc_v2 five times; prints each result
 *   threads  THREADS threads x CALLS cuCtxGetDevice
 *   devget   ORDINAL: cuDeviceGet of that ordinal; prints its result
 *   timed    CALLS cuCtxGetDevice after a warm-up of 100,000; prints the
 *            loop's ns per call (steady state: no start-up in it)
 *   burst    CALLS: 50 bursts of CALLS calls 10 ms apart (a trace ring
 *            that the drain has emptied); prints the median ns per call
 *   deepbind PATH: dlopen PATH with RTLD_DEEPBIND, dlsym cuInit from that
 *            handle, call it; prints whether it is the cuInit we link */
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int cuInit(unsigned flags);
int cuDriverGetVersion(int *v);
int cuDeviceGetCount(int *n);
/* Weak: some test drivers this client links against lack it. */
int cuDeviceGet(int *d, int ordinal) __attribute__((weak));
int cuCtxGetDevice(int *d);
int cuMemAlloc_v2(uint64_t *p, size_t n);

static long calls;

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

/* n calls of cuCtxGetDevice; their ns per call. */
static double ns_per_call(long n)
{
	int d;
	struct timespec a, e;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < n; i++)
		cuCtxGetDevice(&d);
	clock_gettime(CLOCK_MONOTONIC, &e);
	return ((double)(e.tv_sec - a.tv_sec) * 1e9 +
		(double)(e.tv_nsec - a.tv_nsec)) / (double)(n > 0 ? n : 1);
}

static void *worker(void *arg)
{
	(void)arg;
	ns_per_call(calls);
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
	} else if (!strcmp(mode, "devget")) {
		int d = -1;
		if (!cuDeviceGet) {
			printf("no cuDeviceGet\n");
			return 1;
		}
		int rc = cuDeviceGet(&d, argc > 2 ? atoi(argv[2]) : 0);
		printf("cuDeviceGet -> %d\n", rc);
	} else if (!strcmp(mode, "burst")) {
		long n = argc > 2 ? atol(argv[2]) : 4000;
		double per[50];
		ns_per_call(100000);	/* warm-up */
		for (int b = 0; b < 50; b++) {
			struct timespec nap = { 0, 10 * 1000 * 1000 };
			nanosleep(&nap, NULL);
			per[b] = ns_per_call(n);
		}
		qsort(per, 50, sizeof(per[0]), cmp_double);
		printf("ns/call %.2f\n", per[25]);
	} else if (!strcmp(mode, "timed")) {
		long n = argc > 2 ? atol(argv[2]) : 1000000;
		ns_per_call(100000);	/* warm-up */
		printf("ns/call %.2f\n", ns_per_call(n));
	}
	return 0;
}
