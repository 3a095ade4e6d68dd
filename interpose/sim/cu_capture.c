/* Driver API: stream capture.  The simulator has no graphs, so no stream
 * is ever capturing; but libraries ask (NCCL swaps the thread's capture
 * mode around every allocation, and asks whether its stream captures
 * before each operation), and a missing answer fails their start-up. */
#include "driver.h"

CUresult cuStreamQuery(CUstream s);

#define CAPTURE_STATUS_NONE 0
#define CAPTURE_MODE_GLOBAL 0
#define CAPTURE_MODE_RELAXED 2

static __thread int capture_mode = CAPTURE_MODE_GLOBAL;

SIM_API CUresult cuThreadExchangeStreamCaptureMode(int *mode)
{
	if (!mode || *mode < CAPTURE_MODE_GLOBAL || *mode > CAPTURE_MODE_RELAXED)
		return CUDA_ERROR_INVALID_VALUE;
	int old = capture_mode;
	capture_mode = *mode;
	*mode = old;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamIsCapturing(CUstream s, int *status)
{
	CUresult r = cuStreamQuery(s);	/* the stream's handle check */
	if (r)
		return r;
	if (!status)
		return CUDA_ERROR_INVALID_VALUE;
	*status = CAPTURE_STATUS_NONE;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuStreamIsCapturing_ptsz(CUstream s, int *status)
{
	return cuStreamIsCapturing(s, status);
}

/* Every version puts the status and the capture id first; the graph and
 * dependency outputs are undefined when the stream is not capturing. */
SIM_API CUresult cuStreamGetCaptureInfo(CUstream s, int *status,
					unsigned long long *id)
{
	CUresult r = cuStreamIsCapturing(s, status);
	if (!r && id)
		*id = 0;
	return r;
}

SIM_API CUresult cuStreamGetCaptureInfo_v2(CUstream s, int *status,
					   unsigned long long *id)
{
	return cuStreamGetCaptureInfo(s, status, id);
}

SIM_API CUresult cuStreamGetCaptureInfo_v3(CUstream s, int *status,
					   unsigned long long *id)
{
	return cuStreamGetCaptureInfo(s, status, id);
}

SIM_API CUresult cuStreamGetCaptureInfo_ptsz(CUstream s, int *status,
					     unsigned long long *id)
{
	return cuStreamGetCaptureInfo(s, status, id);
}

SIM_API CUresult cuStreamGetCaptureInfo_v2_ptsz(CUstream s, int *status,
						unsigned long long *id)
{
	return cuStreamGetCaptureInfo(s, status, id);
}

SIM_API CUresult cuStreamGetCaptureInfo_v3_ptsz(CUstream s, int *status,
						unsigned long long *id)
{
	return cuStreamGetCaptureInfo(s, status, id);
}
