/* Asks the driver, every runtime and NVML for the device count, through
 * whatever the loader bound by name; prints "driver=R:N runtime=R:N
 * nvml=R:N" (R the call's result, N the count; -1 when absent). */
#include <dlfcn.h>
#include <stdio.h>

typedef int (*count_fn)(int *);

static void ask(const char *label, const char *init, const char *count)
{
	int r = -1, n = -1;
	int (*init_fn)(unsigned) = (int (*)(unsigned))dlsym(RTLD_DEFAULT, init);
	count_fn c = (count_fn)dlsym(RTLD_DEFAULT, count);
	if (init_fn)
		r = init_fn(0);
	if (c && r <= 0)
		r = c(&n);
	printf("%s=%d:%d ", label, r, n);
}

int main(void)
{
	ask("driver", "cuInit", "cuDeviceGetCount");
	ask("runtime", "", "cudaGetDeviceCount");
	ask("nvml", "nvmlInit_v2", "nvmlDeviceGetCount_v2");
	putchar('\n');
	return 0;
}
