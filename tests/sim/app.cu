// A CUDA program as nvcc builds it: registration at start-up, a launch
// through the generated host stub, then the sticky-free error state.
#include <cstdio>
__global__ void fill(int *p, int v) { p[threadIdx.x] = v; }
int main() {
	int *p;
	cudaError_t e = cudaMalloc(&p, 256);
	printf("malloc %s\n", cudaGetErrorName(e));
	fill<<<1, 64>>>(p, 7);
	printf("launch %s\n", cudaGetErrorName(cudaGetLastError()));
	printf("after %s\n", cudaGetErrorName(cudaGetLastError()));
	printf("sync %s\n", cudaGetErrorName(cudaDeviceSynchronize()));
	return 0;
}
