// The runtime's view of a kernel compiled with the program:
// cudaFuncGetAttributes and the runtime's occupancy calls, which llama.cpp's
// ggml-cuda makes at start-up.  Prints the attributes; exits non-zero when
// a call fails or the runtime's answers disagree with the driver's.
// Two more kernels with known resources (static shared memory, a stack
// frame, launch bounds) print theirs for comparison with ptxas's report.
#include <stdio.h>

__global__ void scale(float *x, float a, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		x[i] *= a;
}

__global__ void __launch_bounds__(256) bounded(float *x)
{
	x[threadIdx.x] *= 2;
}

// Dynamically indexed local array (a stack frame) and static shared memory.
__global__ void heavy(float *x, int n)
{
	__shared__ float s[1000];
	float loc[64];
	for (int i = 0; i < 64; i++)
		loc[i] = x[(i * n) % 4096];
	s[threadIdx.x % 1000] = loc[n % 64];
	__syncthreads();
	x[threadIdx.x] = s[(threadIdx.x + 1) % 1000] + loc[(n + 3) % 64];
}

// Compile-time cluster dimensions (compute capability 9.0).
__global__ void __cluster_dims__(2, 1, 1) clustered(float *x)
{
	x[threadIdx.x] *= 2;
}

static void clusters(const char *name, const void *f)
{
	cudaFuncAttributes a;
	cudaError_t e = cudaFuncGetAttributes(&a, f);
	printf("clusters %s %d must be set %d required %d %d %d\n", name, (int)e,
	       a.clusterDimMustBeSet, a.requiredClusterWidth,
	       a.requiredClusterHeight, a.requiredClusterDepth);
}

static void resources(const char *name, const void *f)
{
	cudaFuncAttributes a;
	cudaError_t e = cudaFuncGetAttributes(&a, f);
	printf("resources %s %d registers %d smem %zu stack %zu maxThreadsPerBlock %d\n",
	       name, (int)e, a.numRegs, a.sharedSizeBytes, a.localSizeBytes,
	       a.maxThreadsPerBlock);
}

int main(void)
{
	resources("heavy", (const void *)heavy);
	resources("bounded", (const void *)bounded);
	clusters("clustered", (const void *)clustered);
	clusters("bounded", (const void *)bounded);
	cudaFuncAttributes a;
	cudaError_t e = cudaFuncGetAttributes(&a, scale);
	printf("cudaFuncGetAttributes %d maxThreadsPerBlock %d numRegs %d "
	       "binaryVersion %d sharedSizeBytes %zu\n", (int)e,
	       a.maxThreadsPerBlock, a.numRegs, a.binaryVersion,
	       a.sharedSizeBytes);
	if (e)
		return 1;
	int n = 0;
	e = cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, scale, 256, 0);
	int threads = 0;
	cudaDeviceGetAttribute(&threads, cudaDevAttrMaxThreadsPerMultiProcessor, 0);
	printf("cudaOccupancyMaxActiveBlocksPerMultiprocessor %d %d (SM threads %d)\n",
	       (int)e, n, threads);
	if (e || n < 1 || n * 256 > threads)
		return 1;
	e = cudaFuncGetAttributes(&a, (const void *)main);
	printf("cudaFuncGetAttributes(not a kernel) %s\n", cudaGetErrorName(e));
	return e == cudaErrorInvalidDeviceFunction ? 0 : 1;
}
