// The runtime's view of a kernel compiled with the program:
// cudaFuncGetAttributes and the runtime's occupancy calls, which llama.cpp's
// ggml-cuda makes at start-up.  Prints the attributes; exits non-zero when
// a call fails or the runtime's answers disagree with the driver's.
#include <stdio.h>

__global__ void scale(float *x, float a, int n)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		x[i] *= a;
}

int main(void)
{
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
