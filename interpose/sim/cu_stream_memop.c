/* Driver API: stream memory operations (cuStreamWaitValue*,
 * cuStreamWriteValue64, cuStreamBatchMemOp; cuStreamWriteValue32 is a
 * store, in cu_stream.c, since PyTorch uses it at start-up).  The simulated device reports
 * CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_MEM_OPS_V1 (and the 64-bit and NOR
 * ones) as 0 (cu_attr.c): work completes when issued, so a wait on a
 * value the host writes later could only hang the thread that would
 * write it.  A driver answers CUDA_ERROR_NOT_SUPPORTED on such a device;
 * the stream is checked first, as the driver does. */
#include "driver.h"

CUresult cuStreamQuery(CUstream s);

static CUresult no_memops(const char *fn, CUstream s)
{
	CUresult r = cuStreamQuery(s);	/* the stream's handle check */
	if (r)
		return r;
	sim_note("%s: the simulated device has no stream memory operations "
		 "(CU_DEVICE_ATTRIBUTE_CAN_USE_STREAM_MEM_OPS is 0): "
		 "CUDA_ERROR_NOT_SUPPORTED", fn);
	return CUDA_ERROR_NOT_SUPPORTED;
}

/* Each call in its plain form, the _v2 form (11.7, same arguments) and
 * their per-thread-default-stream variants. */
#define MEMOP(name, params, s)                                              \
	SIM_API CUresult name params { return no_memops(#name, s); }         \
	SIM_API CUresult name##_ptsz params { return no_memops(#name, s); }  \
	SIM_API CUresult name##_v2 params { return no_memops(#name, s); }    \
	SIM_API CUresult name##_v2_ptsz params { return no_memops(#name, s); }

MEMOP(cuStreamWaitValue32, (CUstream s, CUdeviceptr a, unsigned v,
			    unsigned flags), s)
MEMOP(cuStreamWaitValue64, (CUstream s, CUdeviceptr a, unsigned long long v,
			    unsigned flags), s)
MEMOP(cuStreamWriteValue64, (CUstream s, CUdeviceptr a, unsigned long long v,
			     unsigned flags), s)
MEMOP(cuStreamBatchMemOp, (CUstream s, unsigned n, void *ops, unsigned flags),
      s)
