/* cuRAND starts on the simulated GPU: curandGetVersion,
 * curandCreateGenerator (default pseudo-random), curandDestroyGenerator. */
#include <stdio.h>

#define CURAND_RNG_PSEUDO_DEFAULT 100
typedef struct curandGenerator_st *curandGenerator_t;
int curandGetVersion(int *version);
int curandCreateGenerator(curandGenerator_t *g, int type);
int curandDestroyGenerator(curandGenerator_t g);

int main(void)
{
	int v = 0;
	int r = curandGetVersion(&v);
	printf("curandGetVersion %d %d\n", r, v);
	curandGenerator_t g = NULL;
	r = curandCreateGenerator(&g, CURAND_RNG_PSEUDO_DEFAULT);
	printf("curandCreateGenerator %d\n", r);
	if (r)
		return r;
	r = curandDestroyGenerator(g);
	printf("curandDestroyGenerator %d\n", r);
	return r;
}
