/* GPU discovery the way Ollama's C discovery (up to 0.12.3) does it, so a
 * handler can be checked against what Ollama will see:
 *
 *   driver   glob DIR/libcuda.so*, resolve symlinks, dlopen the absolute
 *            file; reject it unless all ten symbols below exist; cuInit,
 *            cuDriverGetVersion, cuDeviceGetCount, then per device
 *            cuDeviceGet, attributes 75/76, cuDeviceGetUuid,
 *            cuDeviceGetName, cuCtxCreate_v3, cuMemGetInfo_v2, cuCtxDestroy
 *   runtime  the same for libcudart.so.12*: cudaSetDevice,
 *            cudaGetDeviceCount, cudaGetDeviceProperties (CUDA 12 struct),
 *            cudaMemGetInfo
 *   nvml     libnvidia-ml.so*: nvmlInit_v2, handle by the driver's UUID,
 *            nvmlDeviceGetMemoryInfo
 *
 * Usage: vgpu-ollama-probe DIR.  Prints one key=value line per fact
 * (driver.0.name=...), so callers can compare the three paths. */
#include <dlfcn.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_types.h"

static void *open_abs(const char *dir, const char *pattern)
{
	char pat[PATH_MAX], real[PATH_MAX];
	glob_t g;
	snprintf(pat, sizeof(pat), "%s/%s", dir, pattern);
	if (glob(pat, 0, NULL, &g) != 0) {
		printf("error=no %s in %s\n", pattern, dir);
		return NULL;
	}
	void *h = NULL;
	for (size_t i = 0; i < g.gl_pathc && !h; i++) {
		if (!realpath(g.gl_pathv[i], real))
			continue;
		h = dlopen(real, RTLD_LAZY);
		if (!h)
			printf("error=dlopen %s: %s\n", real, dlerror());
	}
	globfree(&g);
	return h;
}

static void uuid_str(const unsigned char *u, char *buf, size_t len)
{
	snprintf(buf, len,
		 "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[0], u[1], u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9],
		 u[10], u[11], u[12], u[13], u[14], u[15]);
}

static char uuids[16][64];
static int ndriver;

#define SYM(h, name, type)                                                    \
	__typeof__(type) name = (__typeof__(type))dlsym(h, #name);                                    \
	if (!name) {                                                          \
		printf("error=missing %s\n", #name);                          \
		return 1;                                                     \
	}

static int driver(const char *dir)
{
	void *h = open_abs(dir, "libcuda.so*");
	if (!h)
		return 1;
	SYM(h, cuInit, CUresult (*)(unsigned));
	SYM(h, cuDriverGetVersion, CUresult (*)(int *));
	SYM(h, cuDeviceGetCount, CUresult (*)(int *));
	SYM(h, cuDeviceGet, CUresult (*)(CUdevice *, int));
	SYM(h, cuDeviceGetAttribute, CUresult (*)(int *, int, CUdevice));
	SYM(h, cuDeviceGetUuid, CUresult (*)(CUuuid *, CUdevice));
	SYM(h, cuDeviceGetName, CUresult (*)(char *, int, CUdevice));
	SYM(h, cuCtxCreate_v3,
	    CUresult (*)(CUcontext *, void *, int, unsigned, CUdevice));
	SYM(h, cuMemGetInfo_v2, CUresult (*)(size_t *, size_t *));
	SYM(h, cuCtxDestroy, CUresult (*)(CUcontext));
	CUresult r = cuInit(0);
	int version = 0, n = 0;
	if (r || (r = cuDriverGetVersion(&version)) ||
	    (r = cuDeviceGetCount(&n))) {
		printf("error=driver init %d\n", r);
		return 1;
	}
	printf("driver.version=%d\ndriver.count=%d\n", version, n);
	for (int i = 0; i < n && i < 16; i++) {
		CUdevice d;
		int major = 0, minor = 0;
		CUuuid u;
		char name[256];
		CUcontext ctx;
		size_t free_ = 0, total = 0;
		if ((r = cuDeviceGet(&d, i)) ||
		    (r = cuDeviceGetAttribute(&major, 75, d)) ||
		    (r = cuDeviceGetAttribute(&minor, 76, d)) ||
		    (r = cuDeviceGetUuid(&u, d)) ||
		    (r = cuDeviceGetName(name, sizeof(name), d)) ||
		    (r = cuCtxCreate_v3(&ctx, NULL, 0, 0, d))) {
			printf("error=driver device %d: %d\n", i, r);
			return 1;
		}
		r = cuMemGetInfo_v2(&free_, &total);
		cuCtxDestroy(ctx);
		if (r) {
			printf("error=cuMemGetInfo_v2 %d\n", r);
			return 1;
		}
		uuid_str((unsigned char *)u.bytes, uuids[i], sizeof(uuids[i]));
		printf("driver.%d.name=%s\ndriver.%d.uuid=%s\ndriver.%d.cc=%d.%d\n"
		       "driver.%d.total=%zu\ndriver.%d.free=%zu\n",
		       i, name, i, uuids[i], i, major, minor, i, total, i, free_);
	}
	ndriver = n;
	return 0;
}

static int runtime(const char *dir)
{
	void *h = open_abs(dir, "libcudart.so.12*");
	if (!h)
		return 1;
	SYM(h, cudaSetDevice, cudaError_t (*)(int));
	SYM(h, cudaGetDeviceCount, cudaError_t (*)(int *));
	SYM(h, cudaGetDeviceProperties,
	    cudaError_t (*)(struct cudaDeviceProp12 *, int));
	SYM(h, cudaMemGetInfo, cudaError_t (*)(size_t *, size_t *));
	int n = 0;
	cudaError_t e = cudaSetDevice(0);
	if (e || (e = cudaGetDeviceCount(&n))) {
		printf("error=runtime init %d\n", e);
		return 1;
	}
	printf("runtime.count=%d\n", n);
	for (int i = 0; i < n && i < 16; i++) {
		struct cudaDeviceProp12 p;
		size_t free_ = 0, total = 0;
		char u[64];
		if ((e = cudaSetDevice(i)) ||
		    (e = cudaGetDeviceProperties(&p, i)) ||
		    (e = cudaMemGetInfo(&free_, &total))) {
			printf("error=runtime device %d: %d\n", i, e);
			return 1;
		}
		uuid_str((unsigned char *)p.uuid.bytes, u, sizeof(u));
		printf("runtime.%d.name=%s\nruntime.%d.uuid=%s\nruntime.%d.cc=%d.%d\n"
		       "runtime.%d.total=%zu\nruntime.%d.free=%zu\n"
		       "runtime.%d.sms=%d\nruntime.%d.pci=%04x:%02x:%02x.0\n",
		       i, p.name, i, u, i, p.major, p.minor, i, p.totalGlobalMem,
		       i, free_, i, p.multiProcessorCount, i, p.pciDomainID,
		       p.pciBusID, p.pciDeviceID);
	}
	return 0;
}

static int nvml(const char *dir)
{
	void *h = open_abs(dir, "libnvidia-ml.so*");
	if (!h)
		return 1;
	SYM(h, nvmlInit_v2, nvmlReturn_t (*)(void));
	SYM(h, nvmlDeviceGetHandleByUUID,
	    nvmlReturn_t (*)(const char *, nvmlDevice_t *));
	SYM(h, nvmlDeviceGetMemoryInfo,
	    nvmlReturn_t (*)(nvmlDevice_t, nvmlMemory_t *));
	nvmlReturn_t r = nvmlInit_v2();
	if (r) {
		printf("error=nvmlInit_v2 %d\n", r);
		return 1;
	}
	for (int i = 0; i < ndriver && i < 16; i++) {
		nvmlDevice_t d;
		nvmlMemory_t m;
		if ((r = nvmlDeviceGetHandleByUUID(uuids[i], &d)) ||
		    (r = nvmlDeviceGetMemoryInfo(d, &m))) {
			printf("error=nvml %s: %d\n", uuids[i], r);
			return 1;
		}
		printf("nvml.%d.total=%llu\nnvml.%d.used=%llu\n", i, m.total, i,
		       m.used);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	int bad = driver(argv[1]);
	bad |= runtime(argv[1]);
	bad |= nvml(argv[1]);
	return bad;
}
