// A small CUDA C program for the passthrough check, built with nvcc twice:
// -cudart shared and the default static runtime.
#include <cstdio>

__global__ void saxpy(int n, float a, const float *x, float *y)
{
	int i = blockIdx.x * blockDim.x + threadIdx.x;
	if (i < n)
		y[i] = a * x[i] + y[i];
}

int main()
{
	const int n = 1 << 20;
	float *x, *y, *hy = new float[n];
	cudaMalloc(&x, n * sizeof(float));
	cudaMalloc(&y, n * sizeof(float));
	for (int i = 0; i < n; i++)
		hy[i] = 1.0f;
	cudaMemcpy(x, hy, n * sizeof(float), cudaMemcpyHostToDevice);
	cudaMemcpy(y, hy, n * sizeof(float), cudaMemcpyHostToDevice);
	saxpy<<<(n + 255) / 256, 256>>>(n, 2.0f, x, y);
	cudaError_t e = cudaMemcpy(hy, y, n * sizeof(float), cudaMemcpyDeviceToHost);
	double sum = 0;
	for (int i = 0; i < n; i++)
		sum += hy[i];
	printf("saxpy: %s sum=%.1f\n", cudaGetErrorName(e), sum);
	cudaFree(x);
	cudaFree(y);
	return e != cudaSuccess;
}
