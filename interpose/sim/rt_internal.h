/* What the simulated runtime's source files share (hidden in the
 * library): cudart.c owns the registered kernels and the error state. */
#ifndef VGPU_SIM_RT_INTERNAL_H
#define VGPU_SIM_RT_INTERNAL_H

#include "cuda_types.h"

/* The driver function of a registered kernel's host stub, its module
 * loaded in the current device's context; sets the last error on failure. */
cudaError_t rt_function(const void *host, CUfunction *out);
/* A driver result as the runtime's error, recorded as the last error. */
cudaError_t rt_from_cu(CUresult r);

#endif
