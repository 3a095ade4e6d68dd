/* Calls versioned entry points of the simulator by their exported names,
 * each with its own version's argument types, into canary-filled buffers,
 * and prints per name what came back and how far the answer reached:
 *
 *   abi_probe SIMDIR            LIB NAME RC BYTES   (one line per probe)
 *   abi_probe --proc SIMDIR     reads "GROUP NAME SINCE" lines and prints
 *                               NAME ok|bad: does cuGetProcAddress_v2(GROUP,
 *                               SINCE) give NAME's own symbol
 *   abi_probe --stub LIB        reads names, calls each with zero
 *                               arguments, prints NAME RC: for the forms
 *                               the sim lacks, answered by the
 *                               interposer's not-supported stub (which
 *                               reads no argument) under vgpu-run
 *   abi_probe --props LIBCUDART OUT
 *                               cudaGetDeviceProperties and _v2 of that
 *                               runtime: "NAME RC BYTES", and the bytes of
 *                               the unversioned answer written to OUT
 *
 * BYTES is one past the last byte the call changed in its output buffer:
 * the test compares it with common/abi_versions.txt. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_types.h"

#define CANARY 0xa5
#define BUF 2048

static unsigned char buf[2][BUF], before[2][BUF];

/* Fill both output buffers with the canary; init may then set fields the
 * call reads (NVML's version word). */
static void arm(void)
{
	memset(buf, CANARY, sizeof(buf));
}

static void snap(void)
{
	memcpy(before, buf, sizeof(buf));
}

static int reach(void)
{
	int n = 0;
	for (int b = 0; b < 2; b++)
		for (int i = BUF - 1; i >= 0; i--)
			if (buf[b][i] != before[b][i]) {
				if (i + 1 > n)
					n = i + 1;
				break;
			}
	return n;
}

static void *need(void *h, const char *lib, const char *name)
{
	void *f = dlsym(h, name);
	if (!f)
		printf("%s %s missing -\n", lib, name);
	return f;
}

static void report(const char *lib, const char *name, int rc)
{
	printf("%s %s %d %d\n", lib, name, rc, reach());
}

/* PROBE(lib, handle, name, type, call): arm, resolve, call, report. */
#define PROBE(lib, h, name, type, ...)                                       \
	do {                                                                  \
		type f_ = (type)need(h, lib, #name);                          \
		if (!f_)                                                      \
			break;                                                \
		arm();                                                        \
		snap();                                                       \
		report(lib, #name, f_(__VA_ARGS__));                          \
	} while (0)

static void *open_lib(const char *dir, const char *file)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "abi_probe: %s\n", dlerror());
		exit(2);
	}
	return h;
}

#define SYM(h, name) ((CUresult(*)())dlsym(h, #name))

typedef CUresult (*u32p_dev)(unsigned *, CUdevice);
typedef CUresult (*szp_dev)(size_t *, CUdevice);
typedef CUresult (*u32p2)(unsigned *, unsigned *);
typedef CUresult (*szp2)(size_t *, size_t *);
typedef CUresult (*alloc32)(unsigned *, unsigned);
typedef CUresult (*alloc64)(CUdeviceptr *, size_t);
typedef CUresult (*free32)(unsigned);
typedef CUresult (*pitch64)(CUdeviceptr *, size_t *, size_t, size_t, unsigned);
typedef CUresult (*range64)(CUdeviceptr *, size_t *, CUdeviceptr);
typedef CUresult (*host32)(void **, unsigned);
typedef CUresult (*host64)(void **, size_t);
typedef CUresult (*hostdev64)(CUdeviceptr *, void *, unsigned);
typedef CUresult (*ctx1)(CUcontext *, unsigned, CUdevice);
typedef CUresult (*ctx3)(CUcontext *, void *, int, unsigned, CUdevice);
typedef CUresult (*ctx4)(CUcontext *, void *, unsigned, CUdevice);
typedef CUresult (*ctxp)(CUcontext *);
typedef CUresult (*devp)(CUdevice *);
typedef CUresult (*devp_ctx)(CUdevice *, CUcontext);
typedef CUresult (*uuidf)(CUuuid *, CUdevice);
typedef CUresult (*gpa1)(const char *, void **, int, unsigned long long);
typedef CUresult (*gpa2)(const char *, void **, int, unsigned long long,
			 int *);
typedef CUresult (*elapsed)(float *, CUevent, CUevent);

static void driver(void *cu)
{
	const char *L = "cuda";
	CUcontext ctx, c2;
	CUevent e1, e2;
	CUdeviceptr d;
	void *hp;
	SYM(cu, cuInit)(0);
	SYM(cu, cuDevicePrimaryCtxRetain)(&ctx, 0);
	SYM(cu, cuCtxSetCurrent)(ctx);

	PROBE(L, cu, cuDeviceTotalMem, u32p_dev, (unsigned *)buf[0], 0);
	PROBE(L, cu, cuDeviceTotalMem_v2, szp_dev, (size_t *)buf[0], 0);
	PROBE(L, cu, cuMemGetInfo, u32p2, (unsigned *)buf[0], (unsigned *)buf[1]);
	PROBE(L, cu, cuMemGetInfo_v2, szp2, (size_t *)buf[0], (size_t *)buf[1]);
	PROBE(L, cu, cuMemAlloc, alloc32, (unsigned *)buf[0], 4096u);
	PROBE(L, cu, cuMemAlloc_v2, alloc64, (CUdeviceptr *)buf[0], 4096);
	memcpy(&d, buf[0], sizeof(d));
	PROBE(L, cu, cuMemFree, free32, 0x1000u);
	PROBE(L, cu, cuMemGetAddressRange_v2, range64, (CUdeviceptr *)buf[0],
	      (size_t *)buf[1], d);
	SYM(cu, cuMemFree_v2)(d);
	PROBE(L, cu, cuMemAllocPitch_v2, pitch64, (CUdeviceptr *)buf[0],
	      (size_t *)buf[1], 100, 10, 4u);
	memcpy(&d, buf[0], sizeof(d));
	SYM(cu, cuMemFree_v2)(d);
	PROBE(L, cu, cuMemAllocHost, host32, (void **)buf[0], 4096u);
	memcpy(&hp, buf[0], sizeof(hp));
	SYM(cu, cuMemFreeHost)(hp);
	PROBE(L, cu, cuMemAllocHost_v2, host64, (void **)buf[0], 4096);
	memcpy(&hp, buf[0], sizeof(hp));
	PROBE(L, cu, cuMemHostGetDevicePointer_v2, hostdev64,
	      (CUdeviceptr *)buf[0], hp, 0u);
	SYM(cu, cuMemFreeHost)(hp);

	const char *create[] = { "cuCtxCreate", "cuCtxCreate_v2" };
	for (int i = 0; i < 2; i++) {
		ctx1 f = (ctx1)need(cu, L, create[i]);
		if (!f)
			continue;
		arm();
		snap();
		report(L, create[i], f((CUcontext *)buf[0], 0, 0));
		memcpy(&c2, buf[0], sizeof(c2));
		SYM(cu, cuCtxDestroy_v2)(c2);
	}
	PROBE(L, cu, cuCtxCreate_v3, ctx3, (CUcontext *)buf[0], NULL, 0, 0u, 0);
	memcpy(&c2, buf[0], sizeof(c2));
	SYM(cu, cuCtxDestroy_v2)(c2);
	PROBE(L, cu, cuCtxCreate_v4, ctx4, (CUcontext *)buf[0], NULL, 0u, 0);
	memcpy(&c2, buf[0], sizeof(c2));
	SYM(cu, cuCtxDestroy_v2)(c2);
	SYM(cu, cuCtxSetCurrent)(ctx);

	SYM(cu, cuCtxPushCurrent_v2)(ctx);
	PROBE(L, cu, cuCtxPopCurrent, ctxp, (CUcontext *)buf[0]);
	SYM(cu, cuCtxPushCurrent_v2)(ctx);
	PROBE(L, cu, cuCtxPopCurrent_v2, ctxp, (CUcontext *)buf[0]);
	SYM(cu, cuCtxSetCurrent)(ctx);
	PROBE(L, cu, cuCtxGetDevice, devp, (CUdevice *)buf[0]);
	PROBE(L, cu, cuCtxGetDevice_v2, devp_ctx, (CUdevice *)buf[0], NULL);
	PROBE(L, cu, cuDeviceGetUuid, uuidf, (CUuuid *)buf[0], 0);
	PROBE(L, cu, cuDeviceGetUuid_v2, uuidf, (CUuuid *)buf[0], 0);
	PROBE(L, cu, cuGetProcAddress, gpa1, "cuInit", (void **)buf[0], 12000, 0ull);
	PROBE(L, cu, cuGetProcAddress_v2, gpa2, "cuInit", (void **)buf[0], 12000,
	      0ull, (int *)buf[1]);

	SYM(cu, cuEventCreate)(&e1, 0u);
	SYM(cu, cuEventCreate)(&e2, 0u);
	SYM(cu, cuEventRecord)(e1, NULL);
	SYM(cu, cuEventRecord)(e2, NULL);
	PROBE(L, cu, cuEventElapsedTime, elapsed, (float *)buf[0], e1, e2);
	PROBE(L, cu, cuEventElapsedTime_v2, elapsed, (float *)buf[0], e1, e2);
}

typedef cudaError_t (*props)(void *, int);
typedef cudaError_t (*rt_elapsed)(float *, void *, void *);

static void runtime(void *rt, const char *L)
{
	void *e1, *e2;
	PROBE(L, rt, cudaGetDeviceProperties, props, buf[0], 0);
	if (dlsym(rt, "cudaGetDeviceProperties_v2"))
		PROBE(L, rt, cudaGetDeviceProperties_v2, props, buf[0], 0);
	((cudaError_t(*)(void **))dlsym(rt, "cudaEventCreate"))(&e1);
	((cudaError_t(*)(void **))dlsym(rt, "cudaEventCreate"))(&e2);
	((cudaError_t(*)(void *, void *))dlsym(rt, "cudaEventRecord"))(e1, NULL);
	((cudaError_t(*)(void *, void *))dlsym(rt, "cudaEventRecord"))(e2, NULL);
	PROBE(L, rt, cudaEventElapsedTime, rt_elapsed, (float *)buf[0], e1, e2);
}

typedef nvmlReturn_t (*ml_count)(unsigned *);
typedef nvmlReturn_t (*ml_index)(unsigned, nvmlDevice_t *);
typedef nvmlReturn_t (*ml_bus)(const char *, nvmlDevice_t *);
typedef nvmlReturn_t (*ml_int)(int *);
typedef nvmlReturn_t (*ml_out)(nvmlDevice_t, void *);
typedef nvmlReturn_t (*ml_procs)(nvmlDevice_t, unsigned *, void *);

static void nvml(void *ml, void *cu)
{
	const char *L = "nvml";
	nvmlDevice_t h;
	nvmlPciInfo_t pci;
	unsigned one;
	CUdeviceptr d;
	/* A live allocation, so that the process lists have an entry. */
	SYM(cu, cuMemAlloc_v2)(&d, (size_t)1 << 20);
	((nvmlReturn_t(*)(void))dlsym(ml, "nvmlInit_v2"))();
	((ml_index)dlsym(ml, "nvmlDeviceGetHandleByIndex_v2"))(0, &h);
	((ml_out)dlsym(ml, "nvmlDeviceGetPciInfo_v3"))(h, &pci);

	PROBE(L, ml, nvmlDeviceGetCount, ml_count, (unsigned *)buf[0]);
	PROBE(L, ml, nvmlDeviceGetCount_v2, ml_count, (unsigned *)buf[0]);
	PROBE(L, ml, nvmlDeviceGetHandleByIndex, ml_index, 0u, (nvmlDevice_t *)buf[0]);
	PROBE(L, ml, nvmlDeviceGetHandleByIndex_v2, ml_index, 0u, (nvmlDevice_t *)buf[0]);
	PROBE(L, ml, nvmlDeviceGetHandleByPciBusId, ml_bus, pci.busIdLegacy,
	      (nvmlDevice_t *)buf[0]);
	PROBE(L, ml, nvmlDeviceGetHandleByPciBusId_v2, ml_bus, pci.busId,
	      (nvmlDevice_t *)buf[0]);
	PROBE(L, ml, nvmlSystemGetCudaDriverVersion, ml_int, (int *)buf[0]);
	PROBE(L, ml, nvmlSystemGetCudaDriverVersion_v2, ml_int, (int *)buf[0]);
	PROBE(L, ml, nvmlDeviceGetMemoryInfo, ml_out, h, buf[0]);
	ml_out mem2 = (ml_out)need(ml, L, "nvmlDeviceGetMemoryInfo_v2");
	if (mem2) {
		arm();
		((nvmlMemory_v2_t *)buf[0])->version = nvmlMemory_v2;
		snap();
		report(L, "nvmlDeviceGetMemoryInfo_v2", mem2(h, buf[0]));
	}
	PROBE(L, ml, nvmlDeviceGetPciInfo, ml_out, h, buf[0]);
	PROBE(L, ml, nvmlDeviceGetPciInfo_v2, ml_out, h, buf[0]);
	PROBE(L, ml, nvmlDeviceGetPciInfo_v3, ml_out, h, buf[0]);
	/* Room for one entry: the answer must stay inside one element. */
	const char *procs[] = { "nvmlDeviceGetComputeRunningProcesses",
				"nvmlDeviceGetComputeRunningProcesses_v2",
				"nvmlDeviceGetComputeRunningProcesses_v3",
				"nvmlDeviceGetGraphicsRunningProcesses_v3" };
	for (int i = 0; i < 4; i++) {
		ml_procs f = (ml_procs)need(ml, L, procs[i]);
		if (!f)
			continue;
		one = 1;
		arm();
		snap();
		report(L, procs[i], f(h, &one, buf[0]));
	}
	SYM(cu, cuMemFree_v2)(d);
}

static int proc_check(const char *dir)
{
	void *cu = open_lib(dir, "libcuda.so.1");
	gpa2 gpa = (gpa2)dlsym(cu, "cuGetProcAddress_v2");
	char group[128], name[128];
	int since, bad = 0;
	SYM(cu, cuInit)(0);
	while (scanf("%127s %127s %d", group, name, &since) == 3) {
		void *fn = NULL;
		int status = -1;
		CUresult r = gpa(group, &fn, since, 0, &status);
		void *want = dlsym(cu, name);
		int ok = !r && fn && fn == want;
		bad += !ok;
		printf("%s %s\n", name, ok ? "ok" : "bad");
	}
	return bad != 0;
}

static int stub_check(const char *lib)
{
	void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "abi_probe: %s\n", dlerror());
		return 2;
	}
	typedef int (*any)(long, long, long, long, long, long, long, long);
	char name[128];
	while (scanf("%127s", name) == 1) {
		any f = (any)dlsym(h, name);
		if (f)
			printf("%s %d\n", name, f(0, 0, 0, 0, 0, 0, 0, 0));
		else
			printf("%s missing\n", name);
	}
	return 0;
}

static int props_dump(const char *lib, const char *out)
{
	void *rt = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
	if (!rt) {
		fprintf(stderr, "abi_probe: %s\n", dlerror());
		return 2;
	}
	PROBE("cudart", rt, cudaGetDeviceProperties, props, buf[0], 0);
	FILE *f = fopen(out, "wb");
	if (!f || fwrite(buf[0], 1, BUF, f) != BUF || fclose(f))
		return 2;
	PROBE("cudart", rt, cudaGetDeviceProperties_v2, props, buf[0], 0);
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 3 && !strcmp(argv[1], "--proc"))
		return proc_check(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "--stub"))
		return stub_check(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "--props"))
		return props_dump(argv[2], argv[3]);
	if (argc != 2) {
		fprintf(stderr, "usage: abi_probe SIMDIR | --proc SIMDIR | "
				"--stub LIB | --props LIBCUDART OUT\n");
		return 2;
	}
	void *cu = open_lib(argv[1], "libcuda.so.1");
	driver(cu);
	runtime(open_lib(argv[1], "libcudart.so.12"), "cudart12");
	runtime(open_lib(argv[1], "libcudart.so.13"), "cudart13");
	nvml(open_lib(argv[1], "libnvidia-ml.so.1"), cu);
	return 0;
}
