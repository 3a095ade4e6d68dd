/* Driver API: stream capture.  The simulator has no graphs, so no stream
 * is ever capturing (beginning a capture is refused); but libraries ask (NCCL swaps the thread's capture
 * mode around every allocation, and asks whether its stream captures
 * before each operation), and a missing answer fails their start-up. */
#include "driver.h"

CUresult cuStreamQuery(CUstream s);

#define CAPTURE_STATUS_NONE 0
#define CAPTURE_MODE_GLOBAL 0
#define CAPTURE_MODE_RELAXED 2
#define CUDA_ERROR_ILLEGAL_STATE 401

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

/* v1 (10.0) takes the stream alone, v2 (10.1) adds the capture mode. */
static CUresult begin_capture(const char *fn, CUstream s, int mode)
{
	CUresult r = cuStreamQuery(s);
	if (r)
		return r;
	if (mode < CAPTURE_MODE_GLOBAL || mode > CAPTURE_MODE_RELAXED)
		return CUDA_ERROR_INVALID_VALUE;
	sim_note("%s: the simulator has no CUDA graphs, so streams cannot be "
		 "captured: CUDA_ERROR_NOT_SUPPORTED", fn);
	return CUDA_ERROR_NOT_SUPPORTED;
}

SIM_API CUresult cuStreamBeginCapture(CUstream s)
{
	return begin_capture(__func__, s, CAPTURE_MODE_GLOBAL);
}

SIM_API CUresult cuStreamBeginCapture_ptsz(CUstream s)
{
	return begin_capture(__func__, s, CAPTURE_MODE_GLOBAL);
}

SIM_API CUresult cuStreamBeginCapture_v2(CUstream s, int mode)
{
	return begin_capture(__func__, s, mode);
}

SIM_API CUresult cuStreamBeginCapture_v2_ptsz(CUstream s, int mode)
{
	return begin_capture(__func__, s, mode);
}

/* No stream is ever capturing: ending a capture is the driver's answer
 * for a stream that is not. */
SIM_API CUresult cuStreamEndCapture(CUstream s, void **graph)
{
	CUresult r = cuStreamQuery(s);
	if (r)
		return r;
	if (!graph)
		return CUDA_ERROR_INVALID_VALUE;
	*graph = NULL;
	return CUDA_ERROR_ILLEGAL_STATE;
}

SIM_API CUresult cuStreamEndCapture_ptsz(CUstream s, void **graph)
{
	return cuStreamEndCapture(s, graph);
}
