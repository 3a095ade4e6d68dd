/* Internals of the simulated driver API (libcuda.so.1). */
#ifndef VGPU_SIM_DRIVER_H
#define VGPU_SIM_DRIVER_H

#include <pthread.h>

#include "sim.h"

struct sim_ctx {
	uint32_t magic;		/* CTX_MAGIC while alive */
	int dev;
	unsigned flags;
	int primary;		/* the device's primary context */
	int refs;		/* primary: retain count */
};
#define CTX_MAGIC 0x43545853u

extern int sim_initialized;	/* cuInit succeeded */

/* Common argument checks, in the order the real driver makes them. */
CUresult sim_check_init(void);
CUresult sim_check_dev(CUdevice dev);
/* The current context, or NULL. */
struct sim_ctx *sim_ctx_current(void);
/* The current context's device, or -1 with *err set. */
int sim_current_dev(CUresult *err);
bool sim_ctx_valid(const struct sim_ctx *c);

/* Attribute values derived from the device's compute capability. */
int sim_device_attribute(const struct sim_device *d, int attr, int *value);

/* Device allocations (host memory standing in for device memory). */
struct sim_alloc {
	uintptr_t base;
	size_t size;
	int dev;
	int host;		/* page-locked host memory (cuMemAllocHost) */
};
/* Copies out the allocation that contains [p, p+len); false when none. */
bool sim_alloc_find(uintptr_t p, size_t len, struct sim_alloc *out);

/* Driver entry points the simulator calls itself. */
CUresult cuMemAlloc_v2(CUdeviceptr *dptr, size_t size);
CUresult cuMemFree_v2(CUdeviceptr dptr);
CUresult cuMemsetD8_v2(CUdeviceptr d, unsigned char v, size_t n);
CUresult cuInit(unsigned flags);

/* Modules. */
struct sim_kernel {
	char *name;
	int is_var;		/* a __device__ variable, not a kernel */
	size_t var_size;
	int nparams;
	unsigned param_bytes;	/* size of the parameter block */
	unsigned short *param_size;	/* per parameter, in order */
	unsigned short *param_off;
	/* From the cubin (cubin_info.c); 0: unknown (PTX only). */
	unsigned regs;		/* registers per thread */
	unsigned local_bytes;	/* stack frame per thread */
	unsigned shared_bytes;	/* static shared memory per block */
	unsigned max_threads;	/* __launch_bounds__ */
	unsigned binary_version;	/* sm number of the cubin */
	unsigned cluster_dims[3];	/* __cluster_dims__, else 0 */
	bool cluster_explicit;	/* must launch with a cluster size */
};
/* Parse a module image (fat binary container, cubin ELF or PTX text) for
 * a device of compute capability cc (major*10+minor): its kernels with
 * their parameter sizes.  Returns CUDA_SUCCESS, CUDA_ERROR_INVALID_IMAGE
 * or CUDA_ERROR_NO_BINARY_FOR_GPU, with a reason in err. */
CUresult sim_image_kernels(const void *image, int cc, struct sim_kernel **out,
			   int *n, char *err, size_t errlen);
void sim_kernels_free(struct sim_kernel *k, int n);

#endif
