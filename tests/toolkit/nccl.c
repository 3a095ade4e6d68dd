/* NCCL starts on the simulated GPUs: ncclGetVersion, then
 * ncclCommInitAll over the first N devices (argv[1], default 1) and
 * ncclCommDestroy of each communicator. */
#include <stdio.h>
#include <stdlib.h>

typedef struct ncclComm *ncclComm_t;
int ncclGetVersion(int *version);
int ncclCommInitAll(ncclComm_t *comms, int ndev, const int *devlist);
int ncclCommDestroy(ncclComm_t comm);
const char *ncclGetErrorString(int result);

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	int v = 0;
	int r = ncclGetVersion(&v);
	printf("ncclGetVersion %d %d\n", r, v);
	if (r)
		return r;
	ncclComm_t comms[8] = { 0 };
	int devs[8] = { 0, 1, 2, 3, 4, 5, 6, 7 };
	if (n < 1 || n > 8)
		return 2;
	r = ncclCommInitAll(comms, n, devs);
	printf("ncclCommInitAll %d %d %s\n", n, r, ncclGetErrorString(r));
	if (r)
		return r;
	for (int i = 0; i < n; i++)
		if ((r = ncclCommDestroy(comms[i])))
			break;
	printf("ncclCommDestroy %d\n", r);
	return r;
}
