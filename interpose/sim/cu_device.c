/* Driver API: initialization, versions, devices and their attributes. */
#include "driver.h"

#include <stdio.h>
#include <string.h>

int sim_initialized;

CUresult sim_check_init(void)
{
	return sim_initialized ? CUDA_SUCCESS : CUDA_ERROR_NOT_INITIALIZED;
}

CUresult sim_check_dev(CUdevice dev)
{
	if (!sim_initialized)
		return CUDA_ERROR_NOT_INITIALIZED;
	return dev >= 0 && dev < sim_config()->ndev ? CUDA_SUCCESS
						    : CUDA_ERROR_INVALID_DEVICE;
}

SIM_API CUresult cuInit(unsigned flags)
{
	if (flags)
		return CUDA_ERROR_INVALID_VALUE;
	if (sim_config()->ndev == 0)
		return CUDA_ERROR_NO_DEVICE;
	__atomic_store_n(&sim_initialized, 1, __ATOMIC_RELEASE);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDriverGetVersion(int *v)
{
	if (!v)
		return CUDA_ERROR_INVALID_VALUE;
	const struct sim_config *c = sim_config();
	*v = c->ndev ? c->dev[0].cuda_version : 13000;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDeviceGetCount(int *n)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!n)
		return CUDA_ERROR_INVALID_VALUE;
	*n = sim_config()->ndev;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDeviceGet(CUdevice *dev, int ordinal)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!dev)
		return CUDA_ERROR_INVALID_VALUE;
	if (ordinal < 0 || ordinal >= sim_config()->ndev)
		return CUDA_ERROR_INVALID_DEVICE;
	*dev = ordinal;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDeviceGetName(char *name, int len, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!name || len <= 0)
		return CUDA_ERROR_INVALID_VALUE;
	snprintf(name, (size_t)len, "%s", sim_config()->dev[dev].name);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDeviceGetUuid(CUuuid *uuid, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!uuid)
		return CUDA_ERROR_INVALID_VALUE;
	memcpy(uuid->bytes, sim_config()->dev[dev].uuid, 16);
	return CUDA_SUCCESS;
}

/* _v2 differs from the first form only on MIG instances, which the
 * simulator does not have. */
SIM_API CUresult cuDeviceGetUuid_v2(CUuuid *uuid, CUdevice dev)
{
	return cuDeviceGetUuid(uuid, dev);
}

SIM_API CUresult cuDeviceGetLuid(char *luid, unsigned *mask, CUdevice dev)
{
	/* LUIDs exist on Windows only. */
	CUresult r = sim_check_dev(dev);
	return r ? r : CUDA_ERROR_NOT_SUPPORTED;
}

SIM_API CUresult cuDeviceTotalMem_v2(size_t *bytes, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!bytes)
		return CUDA_ERROR_INVALID_VALUE;
	*bytes = sim_config()->dev[dev].memory;
	return CUDA_SUCCESS;
}

/* The CUDA 3.1 form takes an unsigned int: clamp as the real one does. */
SIM_API CUresult cuDeviceTotalMem(unsigned *bytes, CUdevice dev)
{
	size_t b;
	CUresult r = cuDeviceTotalMem_v2(&b, dev);
	if (r == CUDA_SUCCESS)
		*bytes = b > 0xffffffffu ? 0xffffffffu : (unsigned)b;
	return r;
}

SIM_API CUresult cuDeviceGetAttribute(int *value, CUdevice_attribute attr,
				      CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!value)
		return CUDA_ERROR_INVALID_VALUE;
	return sim_device_attribute(&sim_config()->dev[dev], attr, value)
		       ? CUDA_ERROR_INVALID_VALUE
		       : CUDA_SUCCESS;
}

SIM_API CUresult cuDeviceComputeCapability(int *major, int *minor,
					   CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!major || !minor)
		return CUDA_ERROR_INVALID_VALUE;
	*major = sim_config()->dev[dev].cc_major;
	*minor = sim_config()->dev[dev].cc_minor;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDeviceGetPCIBusId(char *buf, int len, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!buf || len <= 0)
		return CUDA_ERROR_INVALID_VALUE;
	char id[16];
	sim_pci_string(&sim_config()->dev[dev], id, sizeof(id));
	snprintf(buf, (size_t)len, "%s", id);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDeviceGetByPCIBusId(CUdevice *dev, const char *busid)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	if (!dev || !busid)
		return CUDA_ERROR_INVALID_VALUE;
	unsigned dom = 0, bus, d, fn = 0;
	if (sscanf(busid, "%x:%x:%x.%x", &dom, &bus, &d, &fn) < 3) {
		dom = 0;
		if (sscanf(busid, "%x:%x.%x", &bus, &d, &fn) < 2)
			return CUDA_ERROR_INVALID_VALUE;
	}
	const struct sim_config *c = sim_config();
	for (int i = 0; i < c->ndev; i++)
		if (c->dev[i].pci_domain == dom && c->dev[i].pci_bus == bus &&
		    c->dev[i].pci_dev == d && fn == 0) {
			*dev = i;
			return CUDA_SUCCESS;
		}
	return CUDA_ERROR_INVALID_DEVICE;
}

SIM_API CUresult cuDeviceCanAccessPeer(int *can, CUdevice dev, CUdevice peer)
{
	CUresult r = sim_check_dev(dev);
	if (r || (r = sim_check_dev(peer)))
		return r;
	if (!can)
		return CUDA_ERROR_INVALID_VALUE;
	*can = 0;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuDeviceGetDefaultMemPool(void **pool, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	return r ? r : CUDA_ERROR_NOT_SUPPORTED;
}

SIM_API CUresult cuDeviceGetTexture1DLinearMaxWidth(size_t *w, int fmt,
						    unsigned nch, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	if (r)
		return r;
	if (!w)
		return CUDA_ERROR_INVALID_VALUE;
	*w = 1u << 27;
	return CUDA_SUCCESS;
}
