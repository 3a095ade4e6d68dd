// A CUDA program as nvcc builds it: registration at start-up, a launch
// through the generated host stub, then the sticky-free error state.
#include <cstdio>
__global__ void fill(int *p, int v) { p[threadIdx.x] = v; }
__device__ int table[4];
int main() {
	int *p;
	cudaError_t e = cudaMalloc(&p, 256);
	printf("malloc %s\n", cudaGetErrorName(e));
	fill<<<1, 64>>>(p, 7);
	printf("launch %s\n", cudaGetErrorName(cudaGetLastError()));
	printf("after %s\n", cudaGetErrorName(cudaGetLastError()));
	printf("sync %s\n", cudaGetErrorName(cudaDeviceSynchronize()));
	int in[4] = { 1, 2, 3, 4 }, out[4] = { 0 };
	e = cudaMemcpyToSymbol(table, in, sizeof(in));
	cudaError_t e2 = cudaMemcpyFromSymbol(out, table, sizeof(out));
	printf("symbol %s %s %d %d\n", cudaGetErrorName(e), cudaGetErrorName(e2),
	       out[0], out[3]);
	return 0;
}
