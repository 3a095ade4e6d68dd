/* NVML for the simulated GPU.  It reads the same configuration as the
 * driver (config.c) and the same cross-process accounting (account.c),
 * so name, UUID, PCI id, compute capability and memory agree with what
 * the driver and runtime report, and "memory used" is what the traced
 * processes allocated.  Utilization is zero: nothing ever runs. */
#include "sim.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cuda_names.h"

static int init_count;

/* A device handle points into this table. */
static struct nvml_dev {
	int index;
} handles[SIM_MAX_DEVICES];

static int dev_of(nvmlDevice_t h)
{
	struct nvml_dev *d = (struct nvml_dev *)h;
	if (d < handles || d >= handles + sim_config()->ndev)
		return -1;
	return d->index;
}

#define DEV_OR_RETURN(h, i)                                                 \
	int i;                                                              \
	do {                                                                \
		if (!__atomic_load_n(&init_count, __ATOMIC_ACQUIRE))        \
			return NVML_ERROR_UNINITIALIZED;                    \
		if ((i = dev_of(h)) < 0)                                    \
			return NVML_ERROR_INVALID_ARGUMENT;                 \
	} while (0)

SIM_API nvmlReturn_t nvmlInit_v2(void)
{
	const struct sim_config *c = sim_config();
	for (int i = 0; i < SIM_MAX_DEVICES; i++)
		handles[i].index = i;
	if (c->ndev == 0)
		return NVML_ERROR_DRIVER_NOT_LOADED;
	__atomic_add_fetch(&init_count, 1, __ATOMIC_ACQ_REL);
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlInit(void)
{
	return nvmlInit_v2();
}

SIM_API nvmlReturn_t nvmlInitWithFlags(unsigned flags)
{
	return nvmlInit_v2();
}

SIM_API nvmlReturn_t nvmlShutdown(void)
{
	int n = __atomic_load_n(&init_count, __ATOMIC_ACQUIRE);
	while (n > 0 && !__atomic_compare_exchange_n(&init_count, &n, n - 1, 0,
						     __ATOMIC_ACQ_REL,
						     __ATOMIC_ACQUIRE))
		;
	return n > 0 ? NVML_SUCCESS : NVML_ERROR_UNINITIALIZED;
}

SIM_API const char *nvmlErrorString(nvmlReturn_t r)
{
	const char *s = nvml_return_string(r);
	return s ? s : "unknown NVML return code";
}

SIM_API nvmlReturn_t nvmlDeviceGetCount_v2(unsigned *n)
{
	if (!__atomic_load_n(&init_count, __ATOMIC_ACQUIRE))
		return NVML_ERROR_UNINITIALIZED;
	if (!n)
		return NVML_ERROR_INVALID_ARGUMENT;
	*n = (unsigned)sim_config()->ndev;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetCount(unsigned *n)
{
	return nvmlDeviceGetCount_v2(n);
}

SIM_API nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned i, nvmlDevice_t *h)
{
	if (!__atomic_load_n(&init_count, __ATOMIC_ACQUIRE))
		return NVML_ERROR_UNINITIALIZED;
	if (!h || i >= (unsigned)sim_config()->ndev)
		return NVML_ERROR_INVALID_ARGUMENT;
	*h = (nvmlDevice_t)&handles[i];
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetHandleByIndex(unsigned i, nvmlDevice_t *h)
{
	return nvmlDeviceGetHandleByIndex_v2(i, h);
}

SIM_API nvmlReturn_t nvmlDeviceGetHandleByUUID(const char *uuid,
					       nvmlDevice_t *h)
{
	if (!__atomic_load_n(&init_count, __ATOMIC_ACQUIRE))
		return NVML_ERROR_UNINITIALIZED;
	if (!uuid || !h)
		return NVML_ERROR_INVALID_ARGUMENT;
	const struct sim_config *c = sim_config();
	for (int i = 0; i < c->ndev; i++) {
		char s[64];
		sim_uuid_string(c->dev[i].uuid, s, sizeof(s));
		if (!strcasecmp(s, uuid) || !strcasecmp(s + 4, uuid)) {
			*h = (nvmlDevice_t)&handles[i];
			return NVML_SUCCESS;
		}
	}
	return NVML_ERROR_NOT_FOUND;
}

SIM_API nvmlReturn_t nvmlDeviceGetHandleByUUIDV(const char *uuid,
						nvmlDevice_t *h)
{
	return nvmlDeviceGetHandleByUUID(uuid, h);
}

SIM_API nvmlReturn_t nvmlDeviceGetHandleByPciBusId_v2(const char *id,
						      nvmlDevice_t *h)
{
	if (!__atomic_load_n(&init_count, __ATOMIC_ACQUIRE))
		return NVML_ERROR_UNINITIALIZED;
	if (!id || !h)
		return NVML_ERROR_INVALID_ARGUMENT;
	unsigned dom = 0, bus, d, fn = 0;
	if (sscanf(id, "%x:%x:%x.%x", &dom, &bus, &d, &fn) < 3) {
		dom = 0;
		if (sscanf(id, "%x:%x.%x", &bus, &d, &fn) < 2)
			return NVML_ERROR_INVALID_ARGUMENT;
	}
	const struct sim_config *c = sim_config();
	for (int i = 0; i < c->ndev; i++)
		if (c->dev[i].pci_domain == dom && c->dev[i].pci_bus == bus &&
		    c->dev[i].pci_dev == d && fn == 0) {
			*h = (nvmlDevice_t)&handles[i];
			return NVML_SUCCESS;
		}
	return NVML_ERROR_NOT_FOUND;
}

SIM_API nvmlReturn_t nvmlDeviceGetHandleByPciBusId(const char *id,
						   nvmlDevice_t *h)
{
	return nvmlDeviceGetHandleByPciBusId_v2(id, h);
}

static nvmlReturn_t put_string(char *buf, unsigned len, const char *s)
{
	if (!buf)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (strlen(s) + 1 > len)
		return NVML_ERROR_INSUFFICIENT_SIZE;
	memcpy(buf, s, strlen(s) + 1);
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t h, char *name,
				       unsigned len)
{
	DEV_OR_RETURN(h, i);
	return put_string(name, len, sim_config()->dev[i].name);
}

SIM_API nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t h, char *uuid,
				       unsigned len)
{
	DEV_OR_RETURN(h, i);
	char s[64];
	sim_uuid_string(sim_config()->dev[i].uuid, s, sizeof(s));
	return put_string(uuid, len, s);
}

SIM_API nvmlReturn_t nvmlDeviceGetIndex(nvmlDevice_t h, unsigned *index)
{
	DEV_OR_RETURN(h, i);
	if (!index)
		return NVML_ERROR_INVALID_ARGUMENT;
	*index = (unsigned)i;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetMinorNumber(nvmlDevice_t h, unsigned *m)
{
	DEV_OR_RETURN(h, i);
	if (!m)
		return NVML_ERROR_INVALID_ARGUMENT;
	*m = (unsigned)i;
	return NVML_SUCCESS;
}

static void memory(int i, unsigned long long *total, unsigned long long *used)
{
	*total = sim_config()->dev[i].memory;
	*used = sim_account_used(i);
	if (*used > *total)
		*used = *total;
}

SIM_API nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t h, nvmlMemory_t *m)
{
	DEV_OR_RETURN(h, i);
	if (!m)
		return NVML_ERROR_INVALID_ARGUMENT;
	memory(i, &m->total, &m->used);
	m->free = m->total - m->used;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetMemoryInfo_v2(nvmlDevice_t h,
						nvmlMemory_v2_t *m)
{
	DEV_OR_RETURN(h, i);
	if (!m)
		return NVML_ERROR_INVALID_ARGUMENT;
	if (m->version != nvmlMemory_v2)
		return NVML_ERROR_ARGUMENT_VERSION_MISMATCH;
	memory(i, &m->total, &m->used);
	m->reserved = 0;
	m->free = m->total - m->used;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetPciInfo_v3(nvmlDevice_t h, nvmlPciInfo_t *p)
{
	DEV_OR_RETURN(h, i);
	if (!p)
		return NVML_ERROR_INVALID_ARGUMENT;
	const struct sim_device *d = &sim_config()->dev[i];
	memset(p, 0, sizeof(*p));
	p->domain = d->pci_domain;
	p->bus = d->pci_bus;
	p->device = d->pci_dev;
	p->pciDeviceId = d->pci_device_id << 16 | 0x10de;
	p->pciSubSystemId = 0x16c110de;
	/* NVML spells the domain with 8 digits in busId, 4 in the legacy. */
	snprintf(p->busId, sizeof(p->busId), "%08X:%02X:%02X.0", d->pci_domain,
		 d->pci_bus, d->pci_dev);
	snprintf(p->busIdLegacy, sizeof(p->busIdLegacy), "%04X:%02X:%02X.0",
		 d->pci_domain, d->pci_bus, d->pci_dev);
	return NVML_SUCCESS;
}

/* The older forms take the 52-byte struct (common/abi_versions.txt):
 * writing the current 68 bytes would run past a caller's copy of it. */
SIM_API nvmlReturn_t nvmlDeviceGetPciInfo_v2(nvmlDevice_t h,
					     nvmlPciInfo_v1_t *p)
{
	nvmlPciInfo_t cur;
	nvmlReturn_t r = nvmlDeviceGetPciInfo_v3(h, &cur);
	if (r != NVML_SUCCESS)
		return r;
	if (!p)
		return NVML_ERROR_INVALID_ARGUMENT;
	memset(p, 0, sizeof(*p));
	memcpy(p->busId, cur.busIdLegacy, sizeof(p->busId));
	p->domain = cur.domain;
	p->bus = cur.bus;
	p->device = cur.device;
	p->pciDeviceId = cur.pciDeviceId;
	p->pciSubSystemId = cur.pciSubSystemId;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetPciInfo(nvmlDevice_t h, nvmlPciInfo_v1_t *p)
{
	return nvmlDeviceGetPciInfo_v2(h, p);
}

SIM_API nvmlReturn_t nvmlDeviceGetCudaComputeCapability(nvmlDevice_t h,
							int *major, int *minor)
{
	DEV_OR_RETURN(h, i);
	if (!major || !minor)
		return NVML_ERROR_INVALID_ARGUMENT;
	*major = sim_config()->dev[i].cc_major;
	*minor = sim_config()->dev[i].cc_minor;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlSystemGetDriverVersion(char *buf, unsigned len)
{
	if (!__atomic_load_n(&init_count, __ATOMIC_ACQUIRE))
		return NVML_ERROR_UNINITIALIZED;
	return put_string(buf, len, sim_config()->dev[0].driver);
}

SIM_API nvmlReturn_t nvmlSystemGetNVMLVersion(char *buf, unsigned len)
{
	char v[48];
	snprintf(v, sizeof(v), "%d.%s", sim_config()->dev[0].cuda_version / 1000,
		 sim_config()->dev[0].driver);
	return put_string(buf, len, v);
}

SIM_API nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *v)
{
	if (!v)
		return NVML_ERROR_INVALID_ARGUMENT;
	*v = sim_config()->ndev ? sim_config()->dev[0].cuda_version : 0;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *v)
{
	return nvmlSystemGetCudaDriverVersion_v2(v);
}

SIM_API nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t h,
						   nvmlUtilization_t *u)
{
	DEV_OR_RETURN(h, i);
	if (!u)
		return NVML_ERROR_INVALID_ARGUMENT;
	u->gpu = u->memory = 0;
	return NVML_SUCCESS;
}

/* Both process-entry layouts: v1 has no instance ids. */
static nvmlReturn_t processes(nvmlDevice_t h, unsigned *count, void *out,
			      size_t elt)
{
	DEV_OR_RETURN(h, i);
	if (!count)
		return NVML_ERROR_INVALID_ARGUMENT;
	struct sim_proc_use u[SIM_MAX_DEVICES * 64];
	unsigned n = sim_account_procs(i, u, sizeof(u) / sizeof(u[0]));
	if (n > sizeof(u) / sizeof(u[0]))
		n = sizeof(u) / sizeof(u[0]);
	if (*count < n || (!out && n)) {
		*count = n;
		return NVML_ERROR_INSUFFICIENT_SIZE;
	}
	for (unsigned k = 0; k < n; k++) {
		nvmlProcessInfo_t p = { u[k].pid, u[k].bytes, 0xffffffffu,
					0xffffffffu };
		memcpy((char *)out + k * elt, &p, elt);
	}
	*count = n;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v3(
	nvmlDevice_t h, unsigned *count, nvmlProcessInfo_t *out)
{
	return processes(h, count, out, sizeof(*out));
}

SIM_API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses_v2(
	nvmlDevice_t h, unsigned *count, nvmlProcessInfo_t *out)
{
	return processes(h, count, out, sizeof(*out));
}

SIM_API nvmlReturn_t nvmlDeviceGetComputeRunningProcesses(
	nvmlDevice_t h, unsigned *count, nvmlProcessInfo_v1_t *out)
{
	return processes(h, count, out, sizeof(*out));
}

SIM_API nvmlReturn_t nvmlDeviceGetGraphicsRunningProcesses_v3(
	nvmlDevice_t h, unsigned *count, nvmlProcessInfo_t *out)
{
	DEV_OR_RETURN(h, i);
	if (!count)
		return NVML_ERROR_INVALID_ARGUMENT;
	*count = 0;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetClockInfo(nvmlDevice_t h, int type,
					    unsigned *mhz)
{
	DEV_OR_RETURN(h, i);
	if (!mhz)
		return NVML_ERROR_INVALID_ARGUMENT;
	const struct sim_device *d = &sim_config()->dev[i];
	/* 0 graphics, 1 SM, 2 memory, 3 video */
	*mhz = (unsigned)(type == 2 ? d->memclock_khz : d->clock_khz) / 1000;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetMaxClockInfo(nvmlDevice_t h, int type,
					       unsigned *mhz)
{
	return nvmlDeviceGetClockInfo(h, type, mhz);
}

SIM_API nvmlReturn_t nvmlDeviceGetTemperature(nvmlDevice_t h, int sensor,
					      unsigned *t)
{
	DEV_OR_RETURN(h, i);
	if (!t)
		return NVML_ERROR_INVALID_ARGUMENT;
	*t = 30;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t h, unsigned *mw)
{
	DEV_OR_RETURN(h, i);
	return NVML_ERROR_NOT_SUPPORTED;
}

SIM_API nvmlReturn_t nvmlDeviceGetNumGpuCores(nvmlDevice_t h, unsigned *n)
{
	DEV_OR_RETURN(h, i);
	if (!n)
		return NVML_ERROR_INVALID_ARGUMENT;
	*n = (unsigned)sim_config()->dev[i].sms * 128;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetMemoryBusWidth(nvmlDevice_t h, unsigned *w)
{
	DEV_OR_RETURN(h, i);
	if (!w)
		return NVML_ERROR_INVALID_ARGUMENT;
	*w = (unsigned)sim_config()->dev[i].buswidth;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetPersistenceMode(nvmlDevice_t h, int *mode)
{
	DEV_OR_RETURN(h, i);
	if (!mode)
		return NVML_ERROR_INVALID_ARGUMENT;
	*mode = 1;
	return NVML_SUCCESS;
}

SIM_API nvmlReturn_t nvmlDeviceGetComputeMode(nvmlDevice_t h, int *mode)
{
	DEV_OR_RETURN(h, i);
	if (!mode)
		return NVML_ERROR_INVALID_ARGUMENT;
	*mode = 0;
	return NVML_SUCCESS;
}
