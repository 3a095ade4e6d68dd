// Kernels whose parameter blocks the simulator must read from the cubin's
// .nv.info: offsets and sizes follow the C ABI of each parameter.
struct S { double a; char b; };
__global__ void addk(int n, double x, char c, float4 v, S s, int *p) { if (p) p[0] = n; }
__global__ void none(void) {}
__device__ int gvar[4];
