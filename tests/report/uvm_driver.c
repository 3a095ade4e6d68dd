/* A driver whose cuInit does what NVIDIA's does first: open the control
 * device, ask it something, map it, then open the unified-memory device.
 * When that open fails, cuInit returns CUDA_ERROR_UNKNOWN (999), the way
 * the real driver reports a missing nvidia-uvm module. */
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

int cuInit(unsigned flags)
{
	(void)flags;
	int ctl = open("/dev/nvidiactl", O_RDWR | O_CLOEXEC);
	if (ctl >= 0) {
		char buf[32] = { 0 };
		ioctl(ctl, 0xc020462aUL, buf);
		void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, ctl, 0);
		if (p != MAP_FAILED)
			munmap(p, 4096);
		close(ctl);
	}
	int uvm = open("/dev/nvidia-uvm", O_RDWR | O_CLOEXEC);
	if (uvm < 0)
		return 999;
	close(uvm);
	return 0;
}

int cuDriverGetVersion(int *v)
{
	*v = 13000;
	return 0;
}

int cuDeviceGetCount(int *n)
{
	*n = 0;
	return 3;	/* CUDA_ERROR_NOT_INITIALIZED: cuInit failed */
}

/* The rest of what the test client links against; never called here. */
int cuCtxGetDevice(int *d)
{
	*d = 0;
	return 3;
}

int cuMemAlloc_v2(unsigned long long *p, unsigned long n)
{
	(void)p;
	(void)n;
	return 3;
}
