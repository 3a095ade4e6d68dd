/* A runtime client linked against NVIDIA's libcudart.so.13: prints what
 * the runtime tells it. */
#include <stdio.h>

int cudaGetDeviceCount(int *n);
int cudaDriverGetVersion(int *v);
int cudaRuntimeGetVersion(int *v);
const char *cudaGetErrorName(int e);

int main(void)
{
	int n = -1, dv = -1, rv = -1;
	int e1 = cudaRuntimeGetVersion(&rv);
	int e2 = cudaDriverGetVersion(&dv);
	int e3 = cudaGetDeviceCount(&n);
	printf("runtime %d (%s) driver %d (%s) devices %d (%s)\n", rv,
	       cudaGetErrorName(e1), dv, cudaGetErrorName(e2), n,
	       cudaGetErrorName(e3));
	return 0;
}
