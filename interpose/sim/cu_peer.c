/* Driver API: peer access between devices.  Simulated devices are
 * separate host mappings with no path between them, so they answer as a
 * real driver does for two GPUs without peer access (different PCIe root
 * complexes, no NVLink): cuDeviceCanAccessPeer 0 (cu_device.c), every
 * peer-to-peer attribute 0, enabling refused as unsupported. */
#include "driver.h"

#define CUDA_ERROR_PEER_ACCESS_UNSUPPORTED 217
#define CUDA_ERROR_PEER_ACCESS_NOT_ENABLED 705

#define P2P_ATTRIBUTE_FIRST 1	/* PERFORMANCE_RANK */
#define P2P_ATTRIBUTE_LAST 5	/* ONLY_PARTIAL_NATIVE_ATOMIC_SUPPORTED */

/* The current context and the peer, checked as the driver checks them. */
static CUresult check_peer(CUcontext peer, struct sim_ctx **cur)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	*cur = sim_ctx_current();
	if (!*cur || !sim_ctx_valid((struct sim_ctx *)peer))
		return CUDA_ERROR_INVALID_CONTEXT;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuCtxEnablePeerAccess(CUcontext peer, unsigned flags)
{
	struct sim_ctx *cur;
	CUresult r = check_peer(peer, &cur);
	if (r)
		return r;
	if (flags)
		return CUDA_ERROR_INVALID_VALUE;
	if (((struct sim_ctx *)peer)->dev == cur->dev)
		return CUDA_ERROR_INVALID_DEVICE;
	return CUDA_ERROR_PEER_ACCESS_UNSUPPORTED;
}

SIM_API CUresult cuCtxDisablePeerAccess(CUcontext peer)
{
	struct sim_ctx *cur;
	CUresult r = check_peer(peer, &cur);
	return r ? r : CUDA_ERROR_PEER_ACCESS_NOT_ENABLED;
}

SIM_API CUresult cuDeviceGetP2PAttribute(int *value, int attr, CUdevice src,
					 CUdevice dst)
{
	CUresult r = sim_check_dev(src);
	if (r || (r = sim_check_dev(dst)))
		return r;
	if (!value || attr < P2P_ATTRIBUTE_FIRST || attr > P2P_ATTRIBUTE_LAST)
		return CUDA_ERROR_INVALID_VALUE;
	if (src == dst)
		return CUDA_ERROR_INVALID_DEVICE;
	*value = 0;
	return CUDA_SUCCESS;
}
