/* Code names for report mode, by decode type: the shared tables of
 * common/cuda_names.c, plus the runtime's copy directions. */
#include <stddef.h>

#include "cuda_names.h"
#include "report.h"

const char *rpt_code_name(enum dec_type t, int code)
{
	switch (t) {
	case DEC_CURESULT:
		return cu_result_name(code);
	case DEC_CUDAERROR:
		return cudart_error_name(code);
	case DEC_NVMLRETURN:
		return nvml_return_name(code);
	case DEC_CUATTR:
		return cu_device_attribute_name(code);
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
