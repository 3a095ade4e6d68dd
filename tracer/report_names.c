/* Code names for report mode.  They come from common/cuda_names.c; the
 * references are weak so report mode still builds (printing numbers) in
 * a tree that does not link that table. */
#include <stddef.h>

#include "cuda_names.h"
#include "report.h"

#pragma weak cu_result_name
#pragma weak cudart_error_name
#pragma weak nvml_return_name
#pragma weak cu_device_attribute_name

const char *rpt_code_name(enum dec_type t, int code)
{
	switch (t) {
	case DEC_CURESULT:
		return cu_result_name ? cu_result_name(code) : NULL;
	case DEC_CUDAERROR:
		return cudart_error_name ? cudart_error_name(code) : NULL;
	case DEC_NVMLRETURN:
		return nvml_return_name ? nvml_return_name(code) : NULL;
	case DEC_CUATTR:
		return cu_device_attribute_name ?
		       cu_device_attribute_name(code) : NULL;
	case DEC_MEMCPYKIND: {
		static const char *const kinds[] = {
			"cudaMemcpyHostToHost", "cudaMemcpyHostToDevice",
			"cudaMemcpyDeviceToHost", "cudaMemcpyDeviceToDevice",
			"cudaMemcpyDefault",
		};
		return code >= 0 && code < 5 ? kinds[code] : NULL;
	}
	default:
		return NULL;
	}
}
