/* Driver API: occupancy.
 *
 * The occupancy calculator of the CUDA toolkit (cuda_occupancy.h) in
 * small: blocks of a function that fit on one multiprocessor at once are
 * limited by the SM's warps, its block slots, its register file and its
 * shared memory.  The SM's limits are the simulated device's attributes
 * (cu_attr.c); the function's needs are what cuFuncGetAttribute says
 * about it (registers, static shared memory, its own thread limit), so
 * the answers agree with what a client reads through either call. */
#include "driver.h"

#define WARP 32
/* Registers are handed out per warp in units of 256, shared memory per
 * block in units of 128 bytes, on every architecture the sim offers. */
#define REG_UNIT 256
#define SMEM_UNIT 128

CUresult cuFuncGetAttribute(int *v, int attr, CUfunction f);

/* CUfunction_attribute and CUdevice_attribute numbers used here. */
enum {
	FA_MAX_THREADS = 0, FA_SHARED = 1, FA_REGS = 4,
	DA_THREADS_PER_SM = 39, DA_SMEM_PER_SM = 81, DA_REGS_PER_SM = 82,
	DA_SMEM_OPTIN = 97, DA_BLOCKS_PER_SM = 106, DA_SMEM_RESERVED = 111,
	DA_SMS = 16, DA_CLUSTER_LAUNCH = 120,
};

struct occ {
	int max_threads;	/* per block, for this function */
	int regs;		/* per thread */
	int smem_static;
	int threads_per_sm, blocks_per_sm, regs_per_sm, smem_per_sm;
	int smem_optin, smem_reserved, sms;
	int clusters;		/* the device launches thread block clusters */
};

static int round_up(int v, int unit)
{
	return (v + unit - 1) / unit * unit;
}

static int dev_attr(const struct sim_device *d, int attr)
{
	int v = 0;
	sim_device_attribute(d, attr, &v);
	return v;
}

/* What the function needs and what one SM of the current context's
 * device offers. */
static CUresult occ_get(struct occ *o, CUfunction f)
{
	CUresult r;
	int dev = sim_current_dev(&r);
	if (dev < 0)
		return r;
	if ((r = cuFuncGetAttribute(&o->max_threads, FA_MAX_THREADS, f)) ||
	    (r = cuFuncGetAttribute(&o->regs, FA_REGS, f)) ||
	    (r = cuFuncGetAttribute(&o->smem_static, FA_SHARED, f)))
		return r;
	const struct sim_device *d = &sim_config()->dev[dev];
	o->threads_per_sm = dev_attr(d, DA_THREADS_PER_SM);
	o->blocks_per_sm = dev_attr(d, DA_BLOCKS_PER_SM);
	o->regs_per_sm = dev_attr(d, DA_REGS_PER_SM);
	o->smem_per_sm = dev_attr(d, DA_SMEM_PER_SM);
	o->smem_optin = dev_attr(d, DA_SMEM_OPTIN);
	o->smem_reserved = dev_attr(d, DA_SMEM_RESERVED);
	o->sms = dev_attr(d, DA_SMS);
	o->clusters = dev_attr(d, DA_CLUSTER_LAUNCH);
	return CUDA_SUCCESS;
}

/* Resident blocks of block_size threads with dyn_smem bytes of dynamic
 * shared memory each; 0 when one block does not fit at all. */
static int blocks_per_sm(const struct occ *o, int block_size, size_t dyn_smem)
{
	if (block_size <= 0 || block_size > o->max_threads)
		return 0;
	int warps = (block_size + WARP - 1) / WARP;
	int n = o->blocks_per_sm;
	int by_warps = o->threads_per_sm / WARP / warps;
	if (by_warps < n)
		n = by_warps;
	if (o->regs > 0) {
		int per_warp = round_up(o->regs * WARP, REG_UNIT);
		int by_regs = o->regs_per_sm / per_warp / warps;
		if (by_regs < n)
			n = by_regs;
	}
	size_t smem = (size_t)o->smem_static + dyn_smem;
	if (smem > (size_t)o->smem_optin)
		return 0;
	/* The driver keeps smem_reserved bytes of every block for itself. */
	int per_block = round_up((int)smem + o->smem_reserved, SMEM_UNIT);
	if (per_block > 0 && o->smem_per_sm / per_block < n)
		n = o->smem_per_sm / per_block;
	return n > 0 ? n : 0;
}

SIM_API CUresult cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
	int *n, CUfunction f, int block_size, size_t dyn_smem, unsigned flags)
{
	struct occ o;
	CUresult r = occ_get(&o, f);
	if (r)
		return r;
	if (!n || block_size <= 0)
		return CUDA_ERROR_INVALID_VALUE;
	*n = blocks_per_sm(&o, block_size, dyn_smem);
	return CUDA_SUCCESS;
}

SIM_API CUresult cuOccupancyMaxActiveBlocksPerMultiprocessor(
	int *n, CUfunction f, int block_size, size_t dyn_smem)
{
	return cuOccupancyMaxActiveBlocksPerMultiprocessorWithFlags(
		n, f, block_size, dyn_smem, 0);
}

typedef size_t (*smem_for_block)(int block_size);

/* The block size with the most resident threads per SM, the largest such
 * size on a tie (as the toolkit's calculator decides), and the grid that
 * fills every SM with it. */
SIM_API CUresult cuOccupancyMaxPotentialBlockSizeWithFlags(
	int *min_grid, int *block_size, CUfunction f, smem_for_block smem_fn,
	size_t dyn_smem, int limit, unsigned flags)
{
	struct occ o;
	CUresult r = occ_get(&o, f);
	if (r)
		return r;
	if (!min_grid || !block_size)
		return CUDA_ERROR_INVALID_VALUE;
	int top = o.max_threads;
	if (limit > 0 && limit < top)
		top = limit;
	int best = 0, best_blocks = 0, best_threads = 0;
	for (int bs = round_up(top, WARP); bs > 0; bs -= WARP) {
		int size = bs > top ? top : bs;
		int n = blocks_per_sm(&o, size, smem_fn ? smem_fn(size) : dyn_smem);
		if (n * size > best_threads) {
			best_threads = n * size;
			best = size;
			best_blocks = n;
		}
	}
	*block_size = best;
	*min_grid = best_blocks * o.sms;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuOccupancyMaxPotentialBlockSize(int *min_grid,
						  int *block_size,
						  CUfunction f,
						  smem_for_block smem_fn,
						  size_t dyn_smem, int limit)
{
	return cuOccupancyMaxPotentialBlockSizeWithFlags(
		min_grid, block_size, f, smem_fn, dyn_smem, limit, 0);
}

/* Dynamic shared memory each of num_blocks blocks of block_size threads
 * can have while all of them stay resident on one SM. */
SIM_API CUresult cuOccupancyAvailableDynamicSMemPerBlock(size_t *dyn_smem,
							 CUfunction f,
							 int num_blocks,
							 int block_size)
{
	struct occ o;
	CUresult r = occ_get(&o, f);
	if (r)
		return r;
	if (!dyn_smem || num_blocks <= 0 || block_size <= 0)
		return CUDA_ERROR_INVALID_VALUE;
	if (blocks_per_sm(&o, block_size, 0) < num_blocks) {
		*dyn_smem = 0;
		return CUDA_SUCCESS;
	}
	int per_block = o.smem_per_sm / num_blocks / SMEM_UNIT * SMEM_UNIT;
	int avail = per_block - o.smem_reserved - o.smem_static;
	if (avail > o.smem_optin - o.smem_static)
		avail = o.smem_optin - o.smem_static;
	*dyn_smem = avail > 0 ? (size_t)avail : 0;
	return CUDA_SUCCESS;
}

/* ---- thread block clusters (compute capability 9.0 on) ---- */

/* CUlaunchConfig and CUlaunchAttribute as the driver API lays them out. */
struct launch_attr {
	int id;
	int pad;
	union {
		struct { unsigned x, y, z; } cluster;
		char bytes[64];
	} value;
};
struct launch_cfg {
	unsigned gx, gy, gz, bx, by, bz, smem;
	CUstream stream;
	const struct launch_attr *attrs;
	unsigned nattrs;
};
#define LAUNCH_ATTR_CLUSTER_DIMENSION 4
#define INVALID_CLUSTER_SIZE ((CUresult)912)	/* CUDA_ERROR_INVALID_CLUSTER_SIZE */
/* The cluster size every device with clusters guarantees; larger ones
 * are an opt-in the simulated GPCs do not offer. */
#define PORTABLE_CLUSTER 8

/* Blocks of the launch's shape that fit on one SM, or an error. */
static CUresult cluster_blocks(CUfunction f, const struct launch_cfg *c,
			       int *per_sm, int *sms)
{
	struct occ o;
	CUresult r = occ_get(&o, f);
	if (r)
		return r;
	if (!c)
		return CUDA_ERROR_INVALID_VALUE;
	if (!o.clusters)
		return CUDA_ERROR_NOT_SUPPORTED;
	*per_sm = blocks_per_sm(&o, (int)(c->bx * c->by * c->bz), c->smem);
	*sms = o.sms;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuOccupancyMaxPotentialClusterSize(int *size, CUfunction f,
						    const struct launch_cfg *c)
{
	int per_sm, sms;
	CUresult r = cluster_blocks(f, c, &per_sm, &sms);
	if (r)
		return r;
	if (!size)
		return CUDA_ERROR_INVALID_VALUE;
	*size = per_sm ? PORTABLE_CLUSTER : 0;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuOccupancyMaxActiveClusters(int *n, CUfunction f,
					      const struct launch_cfg *c)
{
	int per_sm, sms;
	CUresult r = cluster_blocks(f, c, &per_sm, &sms);
	if (r)
		return r;
	if (!n)
		return CUDA_ERROR_INVALID_VALUE;
	unsigned cluster = 1;
	for (unsigned i = 0; c->attrs && i < c->nattrs; i++)
		if (c->attrs[i].id == LAUNCH_ATTR_CLUSTER_DIMENSION)
			cluster = c->attrs[i].value.cluster.x *
				  c->attrs[i].value.cluster.y *
				  c->attrs[i].value.cluster.z;
	if (!cluster || cluster > PORTABLE_CLUSTER)
		return INVALID_CLUSTER_SIZE;
	*n = per_sm * sms / (int)cluster;
	return CUDA_SUCCESS;
}
