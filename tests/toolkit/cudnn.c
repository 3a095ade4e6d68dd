/* cuDNN starts on the simulated GPU: cudnnCreate, cudnnDestroy. */
#include <stddef.h>
#include <stdio.h>

typedef struct cudnnContext *cudnnHandle_t;
int cudnnCreate(cudnnHandle_t *h);
int cudnnDestroy(cudnnHandle_t h);
size_t cudnnGetVersion(void);
const char *cudnnGetErrorString(int status);

int main(void)
{
	printf("cudnnGetVersion %zu\n", cudnnGetVersion());
	cudnnHandle_t h = NULL;
	int r = cudnnCreate(&h);
	printf("cudnnCreate %d %s\n", r, cudnnGetErrorString(r));
	if (r)
		return r;
	r = cudnnDestroy(h);
	printf("cudnnDestroy %d\n", r);
	return r;
}
