/* A counting test driver: a libcuda.so.1 that answers what NVIDIA's
 * runtime asks at start-up (cuGetProcAddress_v2 for every entry point,
 * cuInit, cuDriverGetVersion, cuGetExportTable, device queries) with one
 * CPU "device", and counts every call by name.  At exit it writes
 * "NAME COUNT" lines to $COUNT_FILE, so a test can compare them with a
 * trace, count for count. */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXN 1024
static const char *names[MAXN];
static _Atomic unsigned long counts[MAXN];
static unsigned nnames;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned id_of(const char *name)
{
	pthread_mutex_lock(&lock);
	unsigned i;
	for (i = 0; i < nnames; i++)
		if (!strcmp(names[i], name))
			break;
	if (i == nnames && nnames < MAXN)
		names[nnames++] = name;
	pthread_mutex_unlock(&lock);
	return i;
}

#define COUNT(name) do { \
		static unsigned id_ = ~0u; \
		if (id_ == ~0u) \
			id_ = id_of(name); \
		counts[id_]++; \
	} while (0)

__attribute__((destructor)) static void dump(void)
{
	const char *f = getenv("COUNT_FILE");
	FILE *o = f ? fopen(f, "w") : NULL;
	if (!o)
		return;
	for (unsigned i = 0; i < nnames; i++)
		if (counts[i])
			fprintf(o, "%s %lu\n", names[i], counts[i]);
	fclose(o);
}

int cuInit(unsigned flags) { COUNT("cuInit"); (void)flags; return 0; }
int cuDriverGetVersion(int *v) { COUNT("cuDriverGetVersion"); *v = 13000; return 0; }
int cuDeviceGetCount(int *n) { COUNT("cuDeviceGetCount"); *n = 1; return 0; }
int cuDeviceGet(int *d, int i) { COUNT("cuDeviceGet"); *d = i; return i ? 101 : 0; }
int cuCtxGetDevice(int *d) { COUNT("cuCtxGetDevice"); *d = 0; return 0; }
int cuMemAlloc_v2(uint64_t *p, size_t n)
{
	COUNT("cuMemAlloc_v2");
	if (getenv("CRASH_IN_ALLOC"))
		raise(SIGSEGV);
	*p = 0x10000 + n;
	return 0;
}

/* Every other entry point the runtime asks for: a function that says
 * "not supported" and counts under the name it was asked for. */
#define GENERIC_MAX 1024
static const char *generic_names[GENERIC_MAX];
static unsigned ngeneric;

static int generic_impl(unsigned k)
{
	counts[id_of(generic_names[k])]++;
	return 801;
}
/* A table of tiny distinct functions, one per generic name. */
#define G(n) static int g##n(void) { return generic_impl(n - 100); }
#define G10(n) G(n##0) G(n##1) G(n##2) G(n##3) G(n##4) G(n##5) G(n##6) G(n##7) G(n##8) G(n##9)
#define G100(n) G10(n##0) G10(n##1) G10(n##2) G10(n##3) G10(n##4) G10(n##5) G10(n##6) G10(n##7) G10(n##8) G10(n##9)
G100(1) G100(2) G100(3) G100(4) G100(5) G100(6)
#define R(n) g##n,
#define R10(n) R(n##0) R(n##1) R(n##2) R(n##3) R(n##4) R(n##5) R(n##6) R(n##7) R(n##8) R(n##9)
#define R100(n) R10(n##0) R10(n##1) R10(n##2) R10(n##3) R10(n##4) R10(n##5) R10(n##6) R10(n##7) R10(n##8) R10(n##9)
static int (*const gfn[])(void) = { R100(1) R100(2) R100(3) R100(4) R100(5) R100(6) };

static void *lookup(const char *symbol)
{
	static const struct { const char *n; void *f; } own[] = {
		{ "cuInit", cuInit }, { "cuDriverGetVersion", cuDriverGetVersion },
		{ "cuDeviceGetCount", cuDeviceGetCount }, { "cuDeviceGet", cuDeviceGet },
		{ "cuCtxGetDevice", cuCtxGetDevice }, { "cuMemAlloc", cuMemAlloc_v2 },
	};
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (!strcmp(own[i].n, symbol))
			return own[i].f;
	pthread_mutex_lock(&lock);
	unsigned k;
	for (k = 0; k < ngeneric; k++)
		if (!strcmp(generic_names[k], symbol))
			break;
	if (k == ngeneric && k < 600)
		generic_names[ngeneric++] = strdup(symbol);
	pthread_mutex_unlock(&lock);
		return k < 600 ? (void *)gfn[k] : NULL;
}

int cuGetProcAddress_v2(const char *symbol, void **pfn, int ver,
			uint64_t flags, int *status)
{
	COUNT("cuGetProcAddress_v2");
	(void)ver;
	(void)flags;
	*pfn = NULL;
	if (!strcmp(symbol, "cuGetProcAddress"))
		*pfn = (void *)cuGetProcAddress_v2;
	else if (*symbol)
		*pfn = lookup(symbol);
	if (status)
		*status = *pfn ? 0 : 1;
	return *pfn ? 0 : 500;
}

/* No private tables: the runtime then reports an error it prints. */
int cuGetExportTable(const void **t, const void *uuid)
{
	COUNT("cuGetExportTable");
	(void)uuid;
	*t = NULL;
	return 500;
}
