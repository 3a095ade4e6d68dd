/* Driver API: entry points of features the simulated GPU does not have.
 *
 * A real driver exports every function of its version, and on a device
 * without a feature answers CUDA_ERROR_NOT_SUPPORTED; the device
 * attributes say so beforehand (cu_attr.c reports virtual memory
 * management absent).  Clients rely on the names existing: PyTorch
 * fetches each of these through cudaGetDriverEntryPoint at start-up, and
 * a name the driver does not know leaves cudaErrorSymbolNotFound as the
 * runtime's last error, which its next check reports as the failure of
 * an unrelated copy. */
#include "driver.h"

typedef unsigned long long mem_handle;

#define ABSENT(name, params)                                                  \
	SIM_API CUresult name params                                          \
	{                                                                     \
		CUresult r = sim_check_init();                                \
		return r ? r : CUDA_ERROR_NOT_SUPPORTED;                      \
	}

/* Virtual memory management: the sim's memory is host memory, with no
 * device address space to reserve and map into. */
ABSENT(cuMemAddressReserve, (CUdeviceptr * p, size_t size, size_t align,
			     CUdeviceptr addr, unsigned long long flags))
ABSENT(cuMemAddressFree, (CUdeviceptr p, size_t size))
ABSENT(cuMemCreate, (mem_handle * h, size_t size, const void *prop,
		     unsigned long long flags))
ABSENT(cuMemRelease, (mem_handle h))
ABSENT(cuMemMap, (CUdeviceptr p, size_t size, size_t offset, mem_handle h,
		  unsigned long long flags))
ABSENT(cuMemUnmap, (CUdeviceptr p, size_t size))
ABSENT(cuMemSetAccess, (CUdeviceptr p, size_t size, const void *desc,
			size_t count))
ABSENT(cuMemGetAccess, (unsigned long long *flags, const void *location,
			CUdeviceptr p))
ABSENT(cuMemGetAllocationGranularity, (size_t * g, const void *prop,
				       int option))
ABSENT(cuMemGetAllocationPropertiesFromHandle, (void *prop, mem_handle h))
ABSENT(cuMemRetainAllocationHandle, (mem_handle * h, void *addr))
ABSENT(cuMemExportToShareableHandle, (void *out, mem_handle h, int type,
				      unsigned long long flags))
ABSENT(cuMemImportFromShareableHandle, (mem_handle * h, void *os_handle,
					int type))
ABSENT(cuMemGetHandleForAddressRange, (void *handle, CUdeviceptr p,
				       size_t size, int type,
				       unsigned long long flags))

/* Multicast objects bind virtual memory of several devices. */
ABSENT(cuMulticastCreate, (mem_handle * mc, const void *prop))
ABSENT(cuMulticastAddDevice, (mem_handle mc, CUdevice dev))
ABSENT(cuMulticastBindMem, (mem_handle mc, size_t mc_offset, mem_handle mem,
			    size_t mem_offset, size_t size,
			    unsigned long long flags))
ABSENT(cuMulticastBindAddr, (mem_handle mc, size_t mc_offset, CUdeviceptr p,
			     size_t size, unsigned long long flags))
ABSENT(cuMulticastUnbind, (mem_handle mc, CUdevice dev, size_t mc_offset,
			   size_t size))
ABSENT(cuMulticastGetGranularity, (size_t * g, const void *prop, int option))

/* Green contexts partition a device's multiprocessors, which the sim does
 * not run anything on. */
ABSENT(cuGreenCtxCreate, (void **green, const void *desc, CUdevice dev,
			  unsigned flags))
ABSENT(cuGreenCtxDestroy, (void *green))
ABSENT(cuCtxFromGreenCtx, (CUcontext * ctx, void *green))
ABSENT(cuGreenCtxStreamCreate, (CUstream * s, void *green, unsigned flags,
				int priority))
ABSENT(cuDeviceGetDevResource, (CUdevice dev, void *resource, int type))
ABSENT(cuDevSmResourceSplitByCount, (void *result, unsigned *groups,
				     const void *input, void *remaining,
				     unsigned flags, unsigned min_count))
ABSENT(cuDevResourceGenerateDesc, (void **desc, void *resources,
				   unsigned count))

/* The driver's log callbacks: the sim's messages go to the trace. */
ABSENT(cuLogsRegisterCallback, (void *callback, void *user, void **handle))
ABSENT(cuLogsUnregisterCallback, (void *handle))
