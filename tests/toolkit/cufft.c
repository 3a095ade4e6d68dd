/* cuFFT starts on the simulated GPU: cufftGetVersion, cufftPlan1d of a
 * 256-point complex transform, cufftDestroy. */
#include <stdio.h>

#define CUFFT_C2C 0x29
int cufftGetVersion(int *version);
int cufftPlan1d(int *plan, int nx, int type, int batch);
int cufftDestroy(int plan);

int main(void)
{
	int v = 0;
	int r = cufftGetVersion(&v);
	printf("cufftGetVersion %d %d\n", r, v);
	int plan = 0;
	r = cufftPlan1d(&plan, 256, CUFFT_C2C, 1);
	printf("cufftPlan1d %d\n", r);
	if (r)
		return r;
	r = cufftDestroy(plan);
	printf("cufftDestroy %d\n", r);
	return r;
}
