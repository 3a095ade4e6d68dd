/* Test driver for the simulated GPU, linked against nothing CUDA: it
 * opens libcuda.so.1, libcudart.so.13 and libnvidia-ml.so.1 by name.
 *
 *   sim_check enum        every device as the driver, the runtime and
 *                         NVML (by index) enumerate it, one line each
 *   sim_check oom CHUNK   allocate CHUNK bytes at a time until out of
 *                         memory, then free everything; after every step
 *                         check cuMemGetInfo and NVML against the sum of
 *                         what was allocated; prints the steps
 *   sim_check hold BYTES  allocate BYTES, print "held PID", wait for stdin
 *   sim_check nvml-used   NVML's used memory and process list of device 0
 *   sim_check params FILE KERNEL  load a module image, print each
 *                         parameter's offset and size
 */
#include <dlfcn.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cuda_types.h"

static void *cu, *rt, *ml;

static void *sym(void *h, const char *name)
{
	void *p = h ? dlsym(h, name) : NULL;
	if (!p) {
		fprintf(stderr, "sim_check: missing %s\n", name);
		exit(3);
	}
	return p;
}

#define CU(name, ...) ((CUresult(*)())sym(cu, #name))(__VA_ARGS__)
#define RT(name, ...) ((cudaError_t(*)())sym(rt, #name))(__VA_ARGS__)
#define ML(name, ...) ((nvmlReturn_t(*)())sym(ml, #name))(__VA_ARGS__)

static void hex_uuid(const unsigned char *u, char *out)
{
	for (int i = 0; i < 16; i++)
		sprintf(out + 2 * i, "%02x", u[i]);
}

static int cmd_enum(void)
{
	int n = 0;
	if (CU(cuInit, 0) || CU(cuDeviceGetCount, &n))
		return 1;
	for (int d = 0; d < n; d++) {
		char name[256], bus[32], u[40];
		CUuuid id;
		size_t mem;
		int ma, mi;
		CU(cuDeviceGetName, name, (int)sizeof(name), d);
		CU(cuDeviceGetUuid, &id, d);
		CU(cuDeviceTotalMem_v2, &mem, d);
		CU(cuDeviceGetPCIBusId, bus, (int)sizeof(bus), d);
		CU(cuDeviceGetAttribute, &ma, 75, d);
		CU(cuDeviceGetAttribute, &mi, 76, d);
		hex_uuid((unsigned char *)id.bytes, u);
		printf("driver %d %s %s %zu %s %d.%d\n", d, u, bus, mem, name,
		       ma, mi);
	}
	if (RT(cudaGetDeviceCount, &n))
		return 1;
	for (int d = 0; d < n; d++) {
		struct cudaDeviceProp13 p;
		char u[40];
		if (RT(cudaGetDeviceProperties, &p, d))
			return 1;
		hex_uuid((unsigned char *)p.uuid.bytes, u);
		printf("runtime %d %s %04x:%02x:%02x.0 %zu %s %d.%d\n", d, u,
		       p.pciDomainID, p.pciBusID, p.pciDeviceID, p.totalGlobalMem,
		       p.name, p.major, p.minor);
	}
	unsigned un = 0;
	if (ML(nvmlInit_v2) || ML(nvmlDeviceGetCount_v2, &un))
		return 1;
	for (unsigned d = 0; d < un; d++) {
		nvmlDevice_t h;
		char name[96], uuid[96], u[40];
		nvmlPciInfo_t pci;
		nvmlMemory_t m;
		int ma, mi;
		if (ML(nvmlDeviceGetHandleByIndex_v2, d, &h) ||
		    ML(nvmlDeviceGetName, h, name, 96u) ||
		    ML(nvmlDeviceGetUUID, h, uuid, 96u) ||
		    ML(nvmlDeviceGetPciInfo_v3, h, &pci) ||
		    ML(nvmlDeviceGetMemoryInfo, h, &m) ||
		    ML(nvmlDeviceGetCudaComputeCapability, h, &ma, &mi))
			return 1;
		/* NVML spells UUIDs "GPU-8-4-4-4-12"; compare as bare hex. */
		int k = 0;
		for (const char *s = uuid + 4; *s && k < 32; s++)
			if (*s != '-')
				u[k++] = *s;
		u[k] = 0;
		printf("nvml %u %s %04x:%02x:%02x.0 %llu %s %d.%d\n", d, u,
		       pci.domain, pci.bus, pci.device, m.total, name, ma, mi);
	}
	return 0;
}

static int check_info(const char *step, unsigned long long held)
{
	size_t f, t;
	nvmlDevice_t h;
	nvmlMemory_t m;
	if (CU(cuMemGetInfo_v2, &f, &t) ||
	    ML(nvmlDeviceGetHandleByIndex_v2, 0u, &h) ||
	    ML(nvmlDeviceGetMemoryInfo, h, &m))
		return 1;
	int ok = f == t - held && m.used == held && m.total == t &&
		 m.free == f;
	printf("%s held=%llu free=%zu total=%zu nvml_used=%llu %s\n", step,
	       held, f, t, m.used, ok ? "ok" : "MISMATCH");
	return !ok;
}

static int cmd_oom(size_t chunk)
{
	CUcontext ctx;
	CUdeviceptr p[4096];
	int n = 0, bad = 0;
	unsigned long long held = 0;
	if (CU(cuInit, 0) || CU(cuCtxCreate_v2, &ctx, 0u, 0) ||
	    ML(nvmlInit_v2))
		return 1;
	bad |= check_info("start", 0);
	for (;;) {
		CUresult r = CU(cuMemAlloc_v2, &p[n], chunk);
		if (r == CUDA_ERROR_OUT_OF_MEMORY) {
			printf("alloc %d: out of memory\n", n);
			break;
		}
		if (r || n == 4095)
			return 1;
		size_t sz;
		CUdeviceptr base;
		CU(cuMemGetAddressRange_v2, &base, &sz, p[n]);
		held += sz;
		n++;
		char step[32];
		snprintf(step, sizeof(step), "alloc %d", n);
		bad |= check_info(step, held);
	}
	bad |= check_info("full", held);
	while (n > 0) {
		size_t sz;
		CUdeviceptr base;
		CU(cuMemGetAddressRange_v2, &base, &sz, p[n - 1]);
		if (CU(cuMemFree_v2, p[--n]))
			return 1;
		held -= sz;
	}
	bad |= check_info("freed", held);
	return bad;
}

static int cmd_hold(size_t bytes)
{
	CUcontext ctx;
	CUdeviceptr p;
	if (CU(cuInit, 0) || CU(cuCtxCreate_v2, &ctx, 0u, 0) ||
	    CU(cuMemAlloc_v2, &p, bytes))
		return 1;
	printf("held %d\n", (int)getpid());
	fflush(stdout);
	char buf[8];
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}

static int cmd_nvml_used(void)
{
	nvmlDevice_t h;
	nvmlMemory_t m;
	nvmlProcessInfo_t procs[16];
	unsigned n = 16;
	if (ML(nvmlInit_v2) || ML(nvmlDeviceGetHandleByIndex_v2, 0u, &h) ||
	    ML(nvmlDeviceGetMemoryInfo, h, &m) ||
	    ML(nvmlDeviceGetComputeRunningProcesses_v3, h, &n, procs))
		return 1;
	printf("used %llu\n", m.used);
	for (unsigned i = 0; i < n; i++)
		printf("process %u %llu\n", procs[i].pid, procs[i].usedGpuMemory);
	return 0;
}

static int cmd_params(const char *file, const char *kernel)
{
	CUcontext ctx;
	CUmodule mod;
	CUfunction fn;
	CUresult r;
	FILE *f = fopen(file, "rb");
	if (!f)
		return 1;
	static char img[1 << 24];
	size_t len = fread(img, 1, sizeof(img) - 1, f);
	fclose(f);
	img[len] = 0;
	if (CU(cuInit, 0) || CU(cuCtxCreate_v2, &ctx, 0u, 0))
		return 1;
	if ((r = CU(cuModuleLoadData, &mod, img))) {
		printf("load %d\n", r);
		return 1;
	}
	if ((r = CU(cuModuleGetFunction, &fn, mod, kernel))) {
		printf("function %d\n", r);
		return 1;
	}
	for (size_t i = 0;; i++) {
		size_t off, size;
		if (CU(cuFuncGetParamInfo, fn, i, &off, &size))
			break;
		printf("param %zu offset %zu size %zu\n", i, off, size);
	}
	return 0;
}

int main(int argc, char **argv)
{
	cu = dlopen("libcuda.so.1", RTLD_NOW);
	rt = dlopen("libcudart.so.13", RTLD_NOW);
	ml = dlopen("libnvidia-ml.so.1", RTLD_NOW);
	if (argc >= 2 && !strcmp(argv[1], "enum"))
		return cmd_enum();
	if (argc >= 3 && !strcmp(argv[1], "oom"))
		return cmd_oom(strtoull(argv[2], NULL, 0));
	if (argc >= 3 && !strcmp(argv[1], "hold"))
		return cmd_hold(strtoull(argv[2], NULL, 0));
	if (argc >= 2 && !strcmp(argv[1], "nvml-used"))
		return cmd_nvml_used();
	if (argc >= 4 && !strcmp(argv[1], "params"))
		return cmd_params(argv[2], argv[3]);
	fprintf(stderr, "usage: sim_check enum|oom CHUNK|hold BYTES|nvml-used|params FILE KERNEL\n");
	return 2;
}
