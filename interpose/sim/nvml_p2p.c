/* NVML: peer-to-peer status between two simulated GPUs.  Their memory is
 * host memory in one process, but the driver reports no peer access
 * (cu_attr.c), so NVML says the same: a GPU reaches itself, no other.
 * NCCL asks this for every pair, the pair (0, 0) included, while it builds
 * a communicator's topology, and stops when the call is missing. */
#include "sim.h"

nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t h, unsigned *index);

#define P2P_STATUS_OK 0
#define P2P_STATUS_NOT_SUPPORTED 5
#define P2P_CAPS_INDEX_MAX 6	/* READ, WRITE, NVLINK, ATOMICS, PROP, PCI, UNKNOWN */

SIM_API nvmlReturn_t nvmlDeviceGetP2PStatus(nvmlDevice_t a, nvmlDevice_t b,
					    int index, int *status)
{
	unsigned ia, ib;
	nvmlReturn_t r = nvmlDeviceGetIndex(a, &ia);
	if (r == NVML_SUCCESS)
		r = nvmlDeviceGetIndex(b, &ib);
	if (r != NVML_SUCCESS)
		return r;
	if (!status || index < 0 || index > P2P_CAPS_INDEX_MAX)
		return NVML_ERROR_INVALID_ARGUMENT;
	*status = ia == ib ? P2P_STATUS_OK : P2P_STATUS_NOT_SUPPORTED;
	return NVML_SUCCESS;
}
