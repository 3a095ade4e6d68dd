/* cuBLAS starts on the simulated GPU: cublasCreate, cublasGetVersion,
 * cublasDestroy.  Prints one line per step; exits with the first failing
 * step's status. */
#include <stdio.h>

typedef struct cublasContext *cublasHandle_t;
int cublasCreate_v2(cublasHandle_t *h);
int cublasGetVersion_v2(cublasHandle_t h, int *version);
int cublasDestroy_v2(cublasHandle_t h);

int main(void)
{
	cublasHandle_t h = NULL;
	int r = cublasCreate_v2(&h);
	printf("cublasCreate %d\n", r);
	if (r)
		return r;
	int v = 0;
	r = cublasGetVersion_v2(h, &v);
	printf("cublasGetVersion %d %d\n", r, v);
	if (r)
		return r;
	r = cublasDestroy_v2(h);
	printf("cublasDestroy %d\n", r);
	return r;
}
