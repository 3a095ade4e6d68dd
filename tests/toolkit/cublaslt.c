/* cuBLASLt starts on the simulated GPU: cublasLtCreate, cublasLtGetVersion,
 * cublasLtDestroy. */
#include <stddef.h>
#include <stdio.h>

typedef struct cublasLtContext *cublasLtHandle_t;
int cublasLtCreate(cublasLtHandle_t *h);
size_t cublasLtGetVersion(void);
int cublasLtDestroy(cublasLtHandle_t h);

int main(void)
{
	cublasLtHandle_t h = NULL;
	int r = cublasLtCreate(&h);
	printf("cublasLtCreate %d\n", r);
	if (r)
		return r;
	printf("cublasLtGetVersion %zu\n", cublasLtGetVersion());
	r = cublasLtDestroy(h);
	printf("cublasLtDestroy %d\n", r);
	return r;
}
