/* Names and messages of CUDA driver, runtime and NVML codes, from our own
 * tables (no NVIDIA header is used).  Shared by the simulator
 * (cudaGetErrorString...), fault-injection rules and report mode. */
#ifndef VGPU_CUDA_NAMES_H
#define VGPU_CUDA_NAMES_H

/* NULL when the code is unknown. */
const char *cu_result_name(int code);		/* CUDA_ERROR_OUT_OF_MEMORY */
const char *cu_result_string(int code);		/* "out of memory" */
const char *cudart_error_name(int code);	/* cudaErrorMemoryAllocation */
const char *cudart_error_string(int code);
const char *nvml_return_name(int code);		/* NVML_ERROR_NOT_SUPPORTED */
const char *nvml_return_string(int code);
const char *cu_device_attribute_name(int attr);	/* CU_DEVICE_ATTRIBUTE_... */

/* Any name above (or a decimal number) -> code.  Returns 0, or -1. */
int cuda_code_by_name(const char *name, int *code);

#endif
