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
 *   sim_check api         driver and runtime calls with the results CUDA
 *                         documents, one "name result" line each
 *   sim_check split SECTION OUT  in a .nv_fatbin section (fat binary
 *                         containers back to back), find the first
 *                         uncompressed cubin with kernels; write its container to
 *                         OUT.fatbin and the cubin to OUT.cubin; print
 *                         "arch N" (the cubin's sm number)
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

static const char *cu_name(CUresult r)
{
	const char *n = "?";
	((CUresult(*)())sym(cu, "cuGetErrorName"))(r, &n);
	return n;
}

#define SHOW(what, r) printf("%s %s\n", what, cu_name(r))
#define SHOW_RT(what, e) \
	printf("%s %s\n", what, ((const char *(*)())sym(rt, "cudaGetErrorName"))(e))

static int cmd_api(void)
{
	CUcontext ctx, cur;
	CUdevice dev = -1;
	CUdeviceptr a, b;
	CUstream s;
	CUevent e1, e2;
	int v;
	SHOW("before-init cuDeviceGetCount", CU(cuDeviceGetCount, &v));
	SHOW("cuInit", CU(cuInit, 0u));
	SHOW("no-context cuMemAlloc", CU(cuMemAlloc_v2, &a, (size_t)64));
	SHOW("bad-ordinal cuDeviceGet", CU(cuDeviceGet, &dev, 99));
	SHOW("bad-attribute", CU(cuDeviceGetAttribute, &v, 100000, 0));
	SHOW("cuCtxCreate_v4", CU(cuCtxCreate_v4, &ctx, NULL, 0u, 0));
	CU(cuCtxGetCurrent, &cur);
	printf("current-is-created %d\n", cur == ctx);
	CU(cuCtxGetDevice, &dev);
	printf("context-device %d\n", dev);
	SHOW("cuMemAlloc", CU(cuMemAlloc_v2, &a, (size_t)4096));
	SHOW("cuMemAlloc", CU(cuMemAlloc_v2, &b, (size_t)4096));
	SHOW("cuMemsetD32", CU(cuMemsetD32_v2, a, 0x01020304u, (size_t)1024));
	SHOW("cuStreamCreate", CU(cuStreamCreate, &s, 0u));
	SHOW("cuMemcpyDtoDAsync", CU(cuMemcpyDtoDAsync_v2, b, a, (size_t)4096, s));
	unsigned words[1024] = { 0 };
	SHOW("cuMemcpyDtoHAsync", CU(cuMemcpyDtoHAsync_v2, words, b, sizeof(words), s));
	SHOW("cuStreamSynchronize", CU(cuStreamSynchronize, s));
	printf("memset-then-copies %s\n",
	       words[0] == 0x01020304u && words[1023] == 0x01020304u ? "intact" : "WRONG");
	SHOW("copy-past-end", CU(cuMemcpyHtoD_v2, a + 4000, words, (size_t)200));
	SHOW("cuEventCreate", CU(cuEventCreate, &e1, 0u));
	CU(cuEventCreate, &e2, 0u);
	float ms = -1;
	SHOW("elapsed-unrecorded", CU(cuEventElapsedTime, &ms, e1, e2));
	CU(cuEventRecord, e1, s);
	CU(cuEventRecord, e2, s);
	SHOW("elapsed", CU(cuEventElapsedTime, &ms, e1, e2));
	printf("elapsed-non-negative %d\n", ms >= 0);
	SHOW("double-free", (CU(cuMemFree_v2, a), CU(cuMemFree_v2, a)));
	SHOW("cuStreamDestroy", CU(cuStreamDestroy_v2, s));
	SHOW("destroyed-stream", CU(cuStreamQuery, s));
	CU(cuMemFree_v2, b);
	CU(cuEventDestroy_v2, e1);
	CU(cuEventDestroy_v2, e2);
	SHOW("cuCtxDestroy", CU(cuCtxDestroy_v2, ctx));
	SHOW("destroyed-context", CU(cuCtxSynchronize));
	/* The runtime's error state. */
	void *p;
	SHOW_RT("cudaSetDevice-bad", RT(cudaSetDevice, 99));
	SHOW_RT("peek", RT(cudaPeekAtLastError));
	SHOW_RT("peek-again", RT(cudaPeekAtLastError));
	SHOW_RT("get", RT(cudaGetLastError));
	SHOW_RT("get-after-reset", RT(cudaGetLastError));
	SHOW_RT("cudaMalloc-too-big", RT(cudaMalloc, &p, (size_t)1 << 50));
	SHOW_RT("get", RT(cudaGetLastError));
	nvmlMemory_v2_t m2 = { .version = nvmlMemory_v2 };
	nvmlDevice_t h;
	ML(nvmlInit_v2);
	ML(nvmlDeviceGetHandleByIndex_v2, 0u, &h);
	printf("nvml-memory-v2 %d\n", ML(nvmlDeviceGetMemoryInfo_v2, h, &m2));
	m2.version = 1;
	printf("nvml-memory-v2-bad-version %d\n", ML(nvmlDeviceGetMemoryInfo_v2, h, &m2));
	return 0;
}

static int write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	int ok = f && fwrite(p, 1, n, f) == n;
	if (f)
		ok &= fclose(f) == 0;
	return ok ? 0 : -1;
}

static int cmd_split(const char *section, const char *out)
{
	FILE *f = fopen(section, "rb");
	if (!f)
		return 1;
	fseek(f, 0, SEEK_END);
	long len = ftell(f);
	rewind(f);
	unsigned char *d = malloc((size_t)len);
	if (!d || fread(d, 1, (size_t)len, f) != (size_t)len)
		return 1;
	fclose(f);
	/* Layout as in interpose/sim/fatbin.c, read independently here. */
	size_t off = 0;
	while (off + 16 <= (size_t)len) {
		uint32_t magic;
		uint16_t hs;
		uint64_t size;
		memcpy(&magic, d + off, 4);
		memcpy(&hs, d + off + 6, 2);
		memcpy(&size, d + off + 8, 8);
		if (magic != 0xba55ed50u) {
			off += 8;	/* containers are 8-byte aligned */
			continue;
		}
		size_t e = off + hs, end = off + hs + size;
		while (e + 64 <= end && end <= (size_t)len) {
			uint16_t kind;
			uint32_t ehs, arch;
			uint64_t psize, flags;
			memcpy(&kind, d + e, 2);
			memcpy(&ehs, d + e + 4, 4);
			memcpy(&psize, d + e + 8, 8);
			memcpy(&arch, d + e + 28, 4);
			memcpy(&flags, d + e + 40, 8);
			/* The first cubin with a kernel (a .nv.info.NAME section). */
			if (kind == 2 && !(flags & 0x2000) &&
			    !memcmp(d + e + ehs, "\177ELF", 4) &&
			    memmem(d + e + ehs, psize, ".nv.info.", 9)) {
				char path[4096];
				snprintf(path, sizeof(path), "%s.fatbin", out);
				if (write_file(path, d + off, end - off))
					return 1;
				snprintf(path, sizeof(path), "%s.cubin", out);
				if (write_file(path, d + e + ehs, psize))
					return 1;
				printf("arch %u\n", arch);
				free(d);
				return 0;
			}
			e += ehs + psize;
		}
		off = end;
	}
	free(d);
	return 1;
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
	if (argc >= 4 && !strcmp(argv[1], "split"))
		return cmd_split(argv[2], argv[3]);
	if (argc >= 2 && !strcmp(argv[1], "api"))
		return cmd_api();
	if (argc >= 4 && !strcmp(argv[1], "params"))
		return cmd_params(argv[2], argv[3]);
	fprintf(stderr, "usage: sim_check enum|oom CHUNK|hold BYTES|nvml-used|params FILE KERNEL\n");
	return 2;
}
