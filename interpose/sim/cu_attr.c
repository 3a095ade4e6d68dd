/* CUdevice_attribute values.
 *
 * Where they come from: the per-compute-capability limits are those of
 * the CUDA C++ Programming Guide's "Technical Specifications per Compute
 * Capability" table (threads, blocks and shared memory per SM, registers,
 * opt-in shared memory); the texture/surface limits and alignments are
 * the ones every device since compute capability 7.0 reports; the
 * device-specific values (SMs, clocks, bus width, PCI location, memory)
 * come from the `device` rule.  Features that a host-memory simulation
 * cannot offer (managed memory, peer access, IPC, VMM, memory pools) are
 * reported as absent so that a careful client does not try them. */
#include "driver.h"

struct arch {
	int cc;			/* major*10 + minor, lowest that applies */
	int threads_per_sm;
	int blocks_per_sm;
	int smem_per_sm_kib;
	int smem_optin_kib;	/* per block, opt-in */
	int l2_mib;
	int async_engines;
};

/* Ordered by cc; the last entry with cc <= the device's applies. */
static const struct arch arches[] = {
	{ 50, 2048, 32, 64, 48, 2, 2 },
	{ 60, 2048, 32, 64, 48, 4, 2 },
	{ 70, 2048, 32, 96, 96, 6, 6 },
	{ 75, 1024, 16, 64, 64, 4, 3 },
	{ 80, 2048, 32, 164, 163, 40, 5 },
	{ 86, 1536, 16, 100, 99, 6, 2 },
	{ 89, 1536, 24, 100, 99, 72, 2 },
	{ 90, 2048, 32, 228, 227, 50, 5 },
	{ 100, 2048, 32, 228, 227, 126, 5 },
	{ 120, 1536, 24, 128, 99, 96, 2 },
};

static const struct arch *arch_of(const struct sim_device *d)
{
	int cc = d->cc_major * 10 + d->cc_minor;
	const struct arch *a = &arches[0];
	for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
		if (arches[i].cc <= cc)
			a = &arches[i];
	return a;
}

int sim_device_attribute(const struct sim_device *d, int attr, int *value)
{
	const struct arch *a = arch_of(d);
	int cc = d->cc_major * 10 + d->cc_minor;
	int v;
	switch (attr) {
	case 1: v = 1024; break;			/* threads per block */
	case 2: case 3: v = 1024; break;		/* block dim x, y */
	case 4: v = 64; break;				/* block dim z */
	case 5: v = 0x7fffffff; break;			/* grid x */
	case 6: case 7: v = 65535; break;		/* grid y, z */
	case 8: v = 48 * 1024; break;			/* shared per block */
	case 9: v = 64 * 1024; break;			/* constant memory */
	case 10: v = 32; break;				/* warp size */
	case 11: v = 0x7fffffff; break;			/* max pitch */
	case 12: v = 65536; break;			/* registers per block */
	case 13: v = d->clock_khz; break;
	case 14: v = 512; break;			/* texture alignment */
	case 15: v = 1; break;				/* gpu overlap */
	case 16: v = d->sms; break;
	case 17: v = 0; break;				/* exec timeout */
	case 18: v = 0; break;				/* integrated */
	case 19: v = 1; break;				/* map host memory */
	case 20: v = 0; break;				/* compute mode default */
	case 21: v = 131072; break;
	case 22: v = 131072; break;
	case 23: v = 65536; break;
	case 24: case 25: case 26: v = 16384; break;
	case 27: v = 32768; break;
	case 28: v = 32768; break;
	case 29: v = 2048; break;
	case 30: v = 512; break;			/* surface alignment */
	case 31: v = 1; break;				/* concurrent kernels */
	case 32: v = cc >= 70 && d->memory >= (16ULL << 30); break; /* ECC */
	case 33: v = (int)d->pci_bus; break;
	case 34: v = (int)d->pci_dev; break;
	case 35: v = 0; break;				/* TCC */
	case 36: v = d->memclock_khz; break;
	case 37: v = d->buswidth; break;
	case 38: v = a->l2_mib << 20; break;
	case 39: v = a->threads_per_sm; break;
	case 40: v = a->async_engines; break;
	case 41: v = 1; break;				/* unified addressing */
	case 42: v = 32768; break;
	case 43: v = 2048; break;
	case 44: v = 1; break;
	case 45: case 46: v = 32768; break;
	case 47: case 48: v = 8192; break;
	case 49: v = 32768; break;
	case 50: v = (int)d->pci_domain; break;
	case 51: v = 32; break;				/* texture pitch align */
	case 52: case 53: v = 32768; break;
	case 54: v = 2046; break;
	case 55: v = 32768; break;
	case 56: v = 131072; break;
	case 57: v = 65536; break;
	case 58: case 59: case 60: v = 16384; break;
	case 61: v = 32768; break;
	case 62: v = 2048; break;
	case 63: v = 32768; break;
	case 64: v = 32768; break;
	case 65: v = 2048; break;
	case 66: case 67: v = 32768; break;
	case 68: v = 2046; break;
	case 69: v = 268435456; break;
	case 70: case 71: v = 131072; break;
	case 72: v = 2097120; break;
	case 73: case 74: v = 32768; break;
	case 75: v = d->cc_major; break;
	case 76: v = d->cc_minor; break;
	case 77: v = 32768; break;
	case 78: v = 1; break;				/* stream priorities */
	case 79: case 80: v = 1; break;			/* L1 caching */
	case 81: v = a->smem_per_sm_kib * 1024; break;
	case 82: v = 65536; break;			/* registers per SM */
	case 83: v = 0; break;				/* managed memory */
	case 84: v = 0; break;
	case 85: v = 0; break;
	case 86: v = 0; break;
	case 87: v = cc == 60 || cc == 70 || cc == 80 || cc == 90 || cc == 100
			? 2 : 64; break;		/* fp32:fp64 ratio */
	case 88: case 89: v = 0; break;
	case 90: v = 1; break;				/* preemption */
	case 91: v = 0; break;
	case 92: case 93: case 94: v = 0; break;
	case 95: v = 1; break;				/* cooperative launch */
	case 96: v = 0; break;
	case 97: v = a->smem_optin_kib * 1024; break;
	case 98: v = 0; break;
	case 99: v = 1; break;				/* host register */
	case 100: case 101: v = 0; break;
	case 102: v = 0; break;				/* VMM */
	case 103: case 104: case 105: v = 0; break;
	case 106: v = a->blocks_per_sm; break;
	case 107: v = 0; break;
	case 108: v = cc >= 80 ? (a->l2_mib << 20) * 3 / 4 : 0; break;
	case 109: v = cc >= 80 ? 134213632 : 0; break;
	case 110: v = 0; break;
	case 111: v = cc >= 80 ? 1024 : 0; break;	/* reserved smem/block */
	case 112: v = 0; break;
	case 113: v = 0; break;
	case 114: v = 0; break;
	case 115: v = 0; break;				/* memory pools */
	case 116: case 117: case 118: v = 0; break;
	case 119: v = 0; break;
	case 120: v = cc >= 90; break;			/* cluster launch */
	case 121: v = 0; break;
	case 122: case 123: v = 0; break;
	case 124: v = 0; break;
	case 125: v = 0; break;
	case 126: v = cc >= 90 ? 4 : 1; break;		/* sync domains */
	case 127: v = cc >= 90; break;			/* tensor maps */
	case 128: v = 0; break;
	case 129: v = 0; break;
	case 130: v = 0; break;				/* NUMA config: none */
	case 131: v = -1; break;
	case 132: v = 0; break;
	case 133: v = 0; break;
	case 134: v = -1; break;
	case 135: v = 0; break;
	case 136: case 137: v = 0; break;
	case 138: v = 0; break;
	case 139: v = (int)(d->pci_device_id << 16 | 0x10de); break;
	case 140: v = 0; break;
	case 141: case 142: case 143: case 144: case 145: case 146: v = 0; break;
	case 147: v = 0; break;
	default:
		return -1;
	}
	*value = v;
	return 0;
}
