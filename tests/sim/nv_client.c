/* A program built against NVIDIA's CUDA 13 headers and linked with the
 * toolkit's libcudart.so.13.  Prints what the runtime reports. */
#include <cuda_runtime_api.h>
#include <stdio.h>

int main(void)
{
	int n = -1, v = 0;
	cudaError_t e = cudaGetDeviceCount(&n);
	printf("count %d %s\n", n, cudaGetErrorName(e));
	if (e)
		return 1;
	for (int d = 0; d < n; d++) {
		struct cudaDeviceProp p;
		size_t f = 0, t = 0;
		void *ptr = NULL;
		if ((e = cudaGetDeviceProperties(&p, d)) || (e = cudaSetDevice(d)) ||
		    (e = cudaMalloc(&ptr, 1 << 20)) || (e = cudaMemGetInfo(&f, &t)) ||
		    (e = cudaFree(ptr))) {
			printf("device %d %s\n", d, cudaGetErrorName(e));
			return 1;
		}
		printf("device %d %s %d.%d %zu %d %zu\n", d, p.name, p.major, p.minor,
		       p.totalGlobalMem, p.multiProcessorCount, t - f);
	}
	cudaDriverGetVersion(&v);
	printf("driver %d\n", v);
	return 0;
}
