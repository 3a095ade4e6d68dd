/* NVRTC and the driver on the simulated GPU: compile a kernel for the
 * device's own architecture with nvrtcCompileProgram, load the cubin with
 * cuModuleLoadData, find it with cuModuleGetFunction and launch it with
 * cuLaunchKernel (which succeeds without effect under `sim launch=noop`).
 * With "occupancy" as argument it then asks the driver's occupancy
 * calculator about the kernel and checks the answers against each other
 * and against the device's attributes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_types.h"

typedef struct _nvrtcProgram *nvrtcProgram;
int nvrtcCreateProgram(nvrtcProgram *p, const char *src, const char *name,
		       int nheaders, const char *const *headers,
		       const char *const *include_names);
int nvrtcCompileProgram(nvrtcProgram p, int nopts, const char *const *opts);
int nvrtcGetCUBINSize(nvrtcProgram p, size_t *size);
int nvrtcGetCUBIN(nvrtcProgram p, char *cubin);
int nvrtcGetProgramLogSize(nvrtcProgram p, size_t *size);
int nvrtcGetProgramLog(nvrtcProgram p, char *log);
int nvrtcDestroyProgram(nvrtcProgram *p);

CUresult cuInit(unsigned flags);
CUresult cuDeviceGet(CUdevice *dev, int ordinal);
CUresult cuDeviceGetAttribute(int *v, int attr, CUdevice dev);
CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice dev);
CUresult cuCtxSetCurrent(CUcontext ctx);
CUresult cuModuleLoadData(CUmodule *m, const void *image);
CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name);
CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t size);
CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
			unsigned bx, unsigned by, unsigned bz, unsigned smem,
			CUstream s, void **params, void **extra);
CUresult cuFuncGetAttribute(int *v, int attr, CUfunction f);
CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(int *n, CUfunction f,
						     int block_size,
						     size_t dyn_smem);
CUresult cuOccupancyMaxPotentialBlockSize(int *min_grid, int *block_size,
					  CUfunction f,
					  size_t (*smem_fn)(int),
					  size_t dyn_smem, int limit);
CUresult cuOccupancyAvailableDynamicSMemPerBlock(size_t *dyn_smem,
						 CUfunction f, int nblocks,
						 int block_size);

static const char source[] =
	"extern \"C\" __global__ void scale(float *x, float a, int n)\n"
	"{\n"
	"\tint i = blockIdx.x * blockDim.x + threadIdx.x;\n"
	"\tif (i < n)\n"
	"\t\tx[i] *= a;\n"
	"}\n";

#define CHECK(call)                                                           \
	do {                                                                  \
		int r_ = (call);                                              \
		printf("%s %d\n", #call, r_);                                 \
		if (r_)                                                       \
			return r_;                                            \
	} while (0)

/* CUdevice_attribute and CUfunction_attribute numbers. */
enum { DA_SMS = 16, DA_THREADS_PER_SM = 39, DA_CC_MAJOR = 75,
       DA_CC_MINOR = 76, DA_SMEM_PER_SM = 81, DA_SMEM_OPTIN = 97,
       DA_SMEM_RESERVED = 111, FA_MAX_THREADS = 0, FA_SHARED = 1 };

static int occupancy(CUfunction f, CUdevice dev)
{
	int sms, threads_sm, smem_sm, optin, reserved, max_threads, shared;
	cuDeviceGetAttribute(&sms, DA_SMS, dev);
	cuDeviceGetAttribute(&threads_sm, DA_THREADS_PER_SM, dev);
	cuDeviceGetAttribute(&smem_sm, DA_SMEM_PER_SM, dev);
	cuDeviceGetAttribute(&optin, DA_SMEM_OPTIN, dev);
	cuDeviceGetAttribute(&reserved, DA_SMEM_RESERVED, dev);
	cuFuncGetAttribute(&max_threads, FA_MAX_THREADS, f);
	cuFuncGetAttribute(&shared, FA_SHARED, f);
	int grid = 0, block = 0;
	CHECK(cuOccupancyMaxPotentialBlockSize(&grid, &block, f, NULL, 0, 0));
	printf("potential block %d grid %d\n", block, grid);
	int at_block = 0;
	CHECK(cuOccupancyMaxActiveBlocksPerMultiprocessor(&at_block, f, block, 0));
	int bad = 0;
	/* The block size chosen keeps the most threads resident, and the
	 * grid is that many blocks on every SM. */
	for (int b = 32; b <= max_threads; b += 32) {
		int n = 0;
		cuOccupancyMaxActiveBlocksPerMultiprocessor(&n, f, b, 0);
		if (n * b > at_block * block || n * b > threads_sm) {
			printf("block %d keeps %d threads, more than %d\n", b,
			       n * b, at_block * block);
			bad = 1;
		}
	}
	if (block < 32 || block > max_threads || grid != at_block * sms) {
		printf("grid %d is not %d blocks x %d SMs\n", grid, at_block, sms);
		bad = 1;
	}
	int none = -1;
	CHECK(cuOccupancyMaxActiveBlocksPerMultiprocessor(&none, f, max_threads + 32, 0));
	if (none != 0) {
		printf("%d blocks of more threads than the kernel allows\n", none);
		bad = 1;
	}
	size_t dyn = 0;
	CHECK(cuOccupancyAvailableDynamicSMemPerBlock(&dyn, f, 1, 128));
	size_t want = (size_t)(smem_sm - reserved - shared);
	if (want > (size_t)(optin - shared))
		want = (size_t)(optin - shared);
	printf("dynamic shared for one block %zu\n", dyn);
	if (dyn != want) {
		printf("want %zu (opt-in %d, per SM %d)\n", want, optin, smem_sm);
		bad = 1;
	}
	int over = -1;
	CHECK(cuOccupancyMaxActiveBlocksPerMultiprocessor(&over, f, 128, dyn + 1));
	if (over != 0) {
		printf("%d blocks with more dynamic shared memory than fits\n", over);
		bad = 1;
	}
	return bad;
}

int main(int argc, char **argv)
{
	CUdevice dev;
	CUcontext ctx;
	int major = 0, minor = 0;
	CHECK(cuInit(0));
	CHECK(cuDeviceGet(&dev, 0));
	cuDeviceGetAttribute(&major, DA_CC_MAJOR, dev);
	cuDeviceGetAttribute(&minor, DA_CC_MINOR, dev);
	nvrtcProgram p;
	CHECK(nvrtcCreateProgram(&p, source, "scale.cu", 0, NULL, NULL));
	char arch[64];
	snprintf(arch, sizeof(arch), "--gpu-architecture=sm_%d%d", major, minor);
	const char *opts[] = { arch };
	int r = nvrtcCompileProgram(p, 1, opts);
	printf("nvrtcCompileProgram %s %d\n", arch, r);
	if (r) {
		size_t n = 0;
		nvrtcGetProgramLogSize(p, &n);
		char *log = calloc(1, n + 1);
		if (log && !nvrtcGetProgramLog(p, log))
			fputs(log, stdout);
		return r;
	}
	size_t size = 0;
	CHECK(nvrtcGetCUBINSize(p, &size));
	char *cubin = malloc(size);
	if (!cubin)
		return 1;
	CHECK(nvrtcGetCUBIN(p, cubin));
	nvrtcDestroyProgram(&p);
	CHECK(cuDevicePrimaryCtxRetain(&ctx, dev));
	CHECK(cuCtxSetCurrent(ctx));
	CUmodule mod;
	CUfunction f;
	CHECK(cuModuleLoadData(&mod, cubin));
	CHECK(cuModuleGetFunction(&f, mod, "scale"));
	CUdeviceptr x;
	CHECK(cuMemAlloc_v2(&x, 1024 * sizeof(float)));
	float a = 2.0f;
	int n = 1024;
	void *params[] = { &x, &a, &n };
	CHECK(cuLaunchKernel(f, 4, 1, 1, 256, 1, 1, 0, NULL, params, NULL));
	if (argc > 1 && !strcmp(argv[1], "occupancy"))
		return occupancy(f, dev);
	return 0;
}
