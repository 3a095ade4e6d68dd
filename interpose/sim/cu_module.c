/* Driver API: modules, libraries, functions, globals and launches.
 *
 * A module knows its kernels (names and parameter sizes, from the image:
 * fatbin.c) and its __device__ variables, which get device memory on
 * first cuModuleGetGlobal.  The simulator runs no device code: a launch
 * is checked (handle, dimensions, parameter block readable) and then
 * returns CUDA_ERROR_NOT_SUPPORTED, or succeeds without effect under
 * `sim launch=noop`.  CUlibrary/CUkernel (CUDA 12) are the same objects
 * as CUmodule/CUfunction here. */
#include "driver.h"
#include "handles.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct sim_module;

struct sim_func {
	uint32_t magic;
	struct sim_module *mod;
	const struct sim_kernel *k;
	CUdeviceptr var;	/* for variables: their storage, once asked */
};
#define FUNC_MAGIC 0x46554e43u

struct sim_module {
	uint32_t magic;
	struct sim_kernel *k;
	int n;
	struct sim_func *f;	/* one per entry of k */
	CUresult deferred;	/* a library without code for the device */
	bool library;		/* loaded by cuLibraryLoadData */
	char err[256];
};
#define MODULE_MAGIC 0x4d4f444cu

static struct handle_pool modules = HANDLE_POOL(struct sim_module);

static struct sim_module *module(CUmodule m)
{
	struct sim_module *mod = (struct sim_module *)m;
	return mod && mod->magic == MODULE_MAGIC ? mod : NULL;
}

static struct sim_func *func(CUfunction f)
{
	struct sim_func *fn = (struct sim_func *)f;
	return fn && fn->magic == FUNC_MAGIC ? fn : NULL;
}

/* A library (lazy) takes an image without code for the device, as a
 * lazily loading driver does: NVIDIA's runtime loads every image a
 * library registers (cuBLAS has some with sm_75 code only) and fails on
 * the first refusal.  Its kernels then report the error. */
static CUresult load(struct sim_module **out, const void *image, int dev,
		     bool lazy)
{
	if (!out || !image)
		return CUDA_ERROR_INVALID_VALUE;
	const struct sim_device *d = &sim_config()->dev[dev];
	struct sim_module *m = handle_new(&modules);
	if (!m)
		return CUDA_ERROR_OUT_OF_MEMORY;
	CUresult r = sim_image_kernels(image, d->cc_major * 10 + d->cc_minor,
				       &m->k, &m->n, m->err, sizeof(m->err));
	if (r == CUDA_ERROR_NO_BINARY_FOR_GPU && lazy) {
		sim_note("library image kept without its kernels (each reports "
			 "CUDA_ERROR_NO_BINARY_FOR_GPU): %s", m->err);
		m->deferred = r;
		r = CUDA_SUCCESS;
	}
	if (r) {
		sim_note("module image rejected: %s", m->err);
		handle_delete(&modules, m);
		return r;
	}
	m->f = calloc((size_t)m->n + 1, sizeof(*m->f));
	if (!m->f) {
		sim_kernels_free(m->k, m->n);
		handle_delete(&modules, m);
		return CUDA_ERROR_OUT_OF_MEMORY;
	}
	for (int i = 0; i < m->n; i++)
		m->f[i] = (struct sim_func){ FUNC_MAGIC, m, &m->k[i], 0 };
	m->library = lazy;
	m->magic = MODULE_MAGIC;
	*out = m;
	return CUDA_SUCCESS;
}

static CUresult load_in_ctx(CUmodule *pm, const void *image)
{
	CUresult r;
	int dev = sim_current_dev(&r);
	if (dev < 0)
		return r;
	return load((struct sim_module **)pm, image, dev, false);
}

SIM_API CUresult cuModuleLoadData(CUmodule *pm, const void *image)
{
	return load_in_ctx(pm, image);
}

SIM_API CUresult cuModuleLoadDataEx(CUmodule *pm, const void *image,
				    unsigned nopt, int *opts, void **vals)
{
	return load_in_ctx(pm, image);
}

SIM_API CUresult cuModuleLoadFatBinary(CUmodule *pm, const void *fatbin)
{
	return load_in_ctx(pm, fatbin);
}

SIM_API CUresult cuModuleLoad(CUmodule *pm, const char *path)
{
	CUresult r;
	if (sim_current_dev(&r) < 0)
		return r;
	if (!path)
		return CUDA_ERROR_INVALID_VALUE;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) < 0) {
		if (fd >= 0)
			close(fd);
		return CUDA_ERROR_FILE_NOT_FOUND;
	}
	char *buf = calloc(1, (size_t)sb.st_size + 1);
	ssize_t got = buf ? read(fd, buf, (size_t)sb.st_size) : -1;
	close(fd);
	r = got == sb.st_size ? load_in_ctx(pm, buf) : CUDA_ERROR_FILE_NOT_FOUND;
	free(buf);
	return r;
}

static void unload(struct sim_module *m)
{
	for (int i = 0; i < m->n; i++)
		if (m->f[i].var)
			cuMemFree_v2(m->f[i].var);
	for (int i = 0; i < m->n; i++)
		m->f[i].magic = 0;
	sim_kernels_free(m->k, m->n);
	free(m->f);
	handle_delete(&modules, m);
}

SIM_API CUresult cuModuleUnload(CUmodule mod)
{
	struct sim_module *m = module(mod);
	if (!m)
		return CUDA_ERROR_INVALID_HANDLE;
	unload(m);
	return CUDA_SUCCESS;
}

static struct sim_func *lookup(struct sim_module *m, const char *name,
			       int is_var)
{
	for (int i = 0; i < m->n; i++)
		if (m->k[i].is_var == is_var && !strcmp(m->k[i].name, name))
			return &m->f[i];
	return NULL;
}

SIM_API CUresult cuModuleGetFunction(CUfunction *pf, CUmodule mod,
				     const char *name)
{
	struct sim_module *m = module(mod);
	if (!m)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!pf || !name)
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_func *f = lookup(m, name, 0);
	if (!f)
		return CUDA_ERROR_NOT_FOUND;
	*pf = (CUfunction)f;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuModuleGetGlobal_v2(CUdeviceptr *dptr, size_t *bytes,
				      CUmodule mod, const char *name)
{
	struct sim_module *m = module(mod);
	if (!m)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!name)
		return CUDA_ERROR_INVALID_VALUE;
	struct sim_func *v = lookup(m, name, 1);
	if (!v)
		return CUDA_ERROR_NOT_FOUND;
	if (!v->var) {
		CUresult r = cuMemAlloc_v2(&v->var, v->k->var_size);
		if (r)
			return r;
		cuMemsetD8_v2(v->var, 0, v->k->var_size);
	}
	if (dptr)
		*dptr = v->var;
	if (bytes)
		*bytes = v->k->var_size;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuModuleGetFunctionCount(unsigned *count, CUmodule mod)
{
	struct sim_module *m = module(mod);
	if (!m)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!count)
		return CUDA_ERROR_INVALID_VALUE;
	unsigned n = 0;
	for (int i = 0; i < m->n; i++)
		n += !m->k[i].is_var;
	*count = n;
	return CUDA_SUCCESS;
}

/* CUDA 12.4: the module's kernels, in image order. */
SIM_API CUresult cuModuleEnumerateFunctions(CUfunction *out, unsigned max,
					    CUmodule mod)
{
	struct sim_module *m = module(mod);
	if (!m)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!out)
		return CUDA_ERROR_INVALID_VALUE;
	unsigned n = 0;
	for (int i = 0; i < m->n && n < max; i++)
		if (!m->k[i].is_var)
			out[n++] = (CUfunction)&m->f[i];
	return CUDA_SUCCESS;
}

SIM_API CUresult cuModuleGetLoadingMode(int *mode)
{
	if (!mode)
		return CUDA_ERROR_INVALID_VALUE;
	*mode = 1;	/* CU_MODULE_EAGER_LOADING */
	return CUDA_SUCCESS;
}

/* ---- libraries (context-independent modules) ---- */

static int library_dev(void)
{
	struct sim_ctx *c = sim_ctx_current();
	return c ? c->dev : 0;
}

SIM_API CUresult cuLibraryLoadData(CUlibrary *pl, const void *code,
				   void *jo, void **jv, unsigned nj, void *lo,
				   void **lv, unsigned nl)
{
	CUresult r = sim_check_init();
	if (r)
		return r;
	return load((struct sim_module **)pl, code, library_dev(), true);
}

SIM_API CUresult cuLibraryUnload(CUlibrary lib)
{
	return cuModuleUnload((CUmodule)lib);
}

static CUresult library_deferred(CUlibrary lib)
{
	struct sim_module *m = module((CUmodule)lib);
	return m ? m->deferred : CUDA_SUCCESS;
}

SIM_API CUresult cuLibraryGetKernel(CUkernel *pk, CUlibrary lib,
				    const char *name)
{
	CUresult r = library_deferred(lib);
	if (r)
		return r;
	return cuModuleGetFunction((CUfunction *)pk, (CUmodule)lib, name);
}

SIM_API CUresult cuLibraryGetModule(CUmodule *pm, CUlibrary lib)
{
	if (!module((CUmodule)lib))
		return CUDA_ERROR_INVALID_HANDLE;
	if (!pm)
		return CUDA_ERROR_INVALID_VALUE;
	CUresult r = library_deferred(lib);
	if (r)
		return r;
	*pm = (CUmodule)lib;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuLibraryGetGlobal(CUdeviceptr *dptr, size_t *bytes,
				    CUlibrary lib, const char *name)
{
	CUresult r = library_deferred(lib);
	if (r)
		return r;
	return cuModuleGetGlobal_v2(dptr, bytes, (CUmodule)lib, name);
}

SIM_API CUresult cuKernelGetFunction(CUfunction *pf, CUkernel k)
{
	if (!func((CUfunction)k))
		return CUDA_ERROR_INVALID_HANDLE;
	if (!pf)
		return CUDA_ERROR_INVALID_VALUE;
	*pf = (CUfunction)k;
	return CUDA_SUCCESS;
}

/* A kernel of a library; a function of a module loaded by cuModuleLoad*
 * is no CUkernel. */
SIM_API CUresult cuKernelGetLibrary(CUlibrary *pl, CUkernel k)
{
	struct sim_func *fn = func((CUfunction)k);
	if (!fn || !fn->mod->library)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!pl)
		return CUDA_ERROR_INVALID_VALUE;
	*pl = (CUlibrary)fn->mod;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuFuncGetName(const char **name, CUfunction f)
{
	struct sim_func *fn = func(f);
	if (!fn)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!name)
		return CUDA_ERROR_INVALID_VALUE;
	*name = fn->k->name;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuKernelGetName(const char **name, CUkernel k)
{
	return cuFuncGetName(name, (CUfunction)k);
}

/* cuFuncGetParamInfo (CUDA 12.4): offset and size of parameter i. */
SIM_API CUresult cuFuncGetParamInfo(CUfunction f, size_t i, size_t *off,
				    size_t *size)
{
	struct sim_func *fn = func(f);
	if (!fn)
		return CUDA_ERROR_INVALID_HANDLE;
	if (i >= (size_t)fn->k->nparams)
		return CUDA_ERROR_INVALID_VALUE;
	if (off)
		*off = fn->k->param_off[i];
	if (size)
		*size = fn->k->param_size[i];
	return CUDA_SUCCESS;
}

SIM_API CUresult cuKernelGetParamInfo(CUkernel k, size_t i, size_t *off,
				      size_t *size)
{
	return cuFuncGetParamInfo((CUfunction)k, i, off, size);
}

#define MAX_BLOCK_THREADS 1024
#define DEFAULT_SMEM_PER_BLOCK (48 * 1024)
#define PTX_REGS 32		/* PTX only: what a JIT might use */
#define REG_ALLOC_UNIT 256	/* registers are allocated per warp in these */
#define ATTR_REGS_PER_BLOCK 12

/* What the driver answers: the launch bounds, and no more threads than
 * the block's registers allow. */
static int max_block_threads(const struct sim_kernel *k,
			     const struct sim_device *d)
{
	int t = MAX_BLOCK_THREADS, regs_per_block = 65536;
	if (k->max_threads && (int)k->max_threads < t)
		t = (int)k->max_threads;
	sim_device_attribute(d, ATTR_REGS_PER_BLOCK, &regs_per_block);
	unsigned regs = k->regs ? k->regs : PTX_REGS;
	unsigned warp_regs = (regs * 32 + REG_ALLOC_UNIT - 1) / REG_ALLOC_UNIT *
			     REG_ALLOC_UNIT;
	int warps = regs_per_block / (int)warp_regs;
	return warps * 32 < t ? warps * 32 : t;
}

/* Resources are the cubin's (cubin_info.c); kernels known only from PTX
 * get the defaults a JIT would be likely to give. */
SIM_API CUresult cuFuncGetAttribute(int *v, int attr, CUfunction f)
{
	struct sim_func *fn = func(f);
	if (!fn)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!v)
		return CUDA_ERROR_INVALID_VALUE;
	const struct sim_kernel *k = fn->k;
	const struct sim_device *d = &sim_config()->dev[library_dev()];
	int cc = d->cc_major * 10 + d->cc_minor;
	switch (attr) {
	case 0: *v = max_block_threads(k, d); break;
	case 1: *v = (int)k->shared_bytes; break;
	case 2: *v = 0; break;			/* user constants */
	case 3: *v = (int)k->local_bytes; break;
	case 4: *v = k->regs ? (int)k->regs : PTX_REGS; break;
	case 5: *v = cc; break;			/* PTX version */
	case 6: *v = k->binary_version ? (int)k->binary_version : cc; break;
	case 7: *v = 0; break;			/* cache mode */
	case 8: *v = DEFAULT_SMEM_PER_BLOCK - (int)k->shared_bytes; break;
	case 9: *v = -1; break;			/* preferred carveout */
	case 10: *v = k->cluster_explicit; break;	/* cluster size must be set */
	case 11: case 12: case 13:		/* required cluster width, height, depth */
		*v = (int)k->cluster_dims[attr - 11];
		break;
	case 14: *v = 0; break;	/* non-portable cluster sizes: not offered */
	case 15: *v = 0; break;	/* cluster scheduling: the default policy */
	default: return CUDA_ERROR_INVALID_VALUE;
	}
	return CUDA_SUCCESS;
}

SIM_API CUresult cuFuncSetAttribute(CUfunction f, int attr, int v)
{
	return func(f) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

SIM_API CUresult cuFuncSetCacheConfig(CUfunction f, int cfg)
{
	return func(f) ? CUDA_SUCCESS : CUDA_ERROR_INVALID_HANDLE;
}

SIM_API CUresult cuFuncGetModule(CUmodule *pm, CUfunction f)
{
	struct sim_func *fn = func(f);
	if (!fn)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!pm)
		return CUDA_ERROR_INVALID_VALUE;
	*pm = (CUmodule)fn->mod;
	return CUDA_SUCCESS;
}

/* A CUkernel is its CUfunction here, in every context: the device
 * argument changes nothing.  CUDA 12+ runtimes (the static one inside
 * cuBLAS among them) ask a kernel's attributes this way. */
SIM_API CUresult cuKernelGetAttribute(int *v, int attr, CUkernel k,
				      CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	return r ? r : cuFuncGetAttribute(v, attr, (CUfunction)k);
}

SIM_API CUresult cuKernelSetAttribute(int attr, int v, CUkernel k,
				      CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	return r ? r : cuFuncSetAttribute((CUfunction)k, attr, v);
}

SIM_API CUresult cuKernelSetCacheConfig(CUkernel k, int cfg, CUdevice dev)
{
	CUresult r = sim_check_dev(dev);
	return r ? r : cuFuncSetCacheConfig((CUfunction)k, cfg);
}

/* ---- launches ---- */

static CUresult launch(CUfunction f, unsigned gx, unsigned gy, unsigned gz,
		       unsigned bx, unsigned by, unsigned bz, unsigned shmem,
		       void **params, void **extra)
{
	CUresult r;
	if (sim_current_dev(&r) < 0)
		return r;
	struct sim_func *fn = func(f);
	if (!fn || fn->k->is_var)
		return CUDA_ERROR_INVALID_HANDLE;
	if (!gx || !gy || !gz || !bx || !by || !bz ||
	    (unsigned long long)bx * by * bz > 1024 || bz > 64 || gy > 65535 ||
	    gz > 65535 || shmem > 227 * 1024)
		return CUDA_ERROR_INVALID_VALUE;
	if (params && extra)
		return CUDA_ERROR_INVALID_VALUE;
	/* Read every parameter as the driver would when it copies the
	 * block, so a bad pointer faults here rather than later. */
	volatile unsigned char sink = 0;
	for (int i = 0; params && i < fn->k->nparams; i++)
		for (unsigned b = 0; b < fn->k->param_size[i]; b++)
			sink ^= ((const unsigned char *)params[i])[b];
	(void)sink;
	if (sim_config()->launch_noop)
		return CUDA_SUCCESS;
	sim_note("launch of %s: the simulated GPU runs no kernels "
		 "(the rule `sim launch=noop` makes launches succeed)",
		 fn->k->name);
	return CUDA_ERROR_NOT_SUPPORTED;
}

SIM_API CUresult cuLaunchKernel(CUfunction f, unsigned gx, unsigned gy,
				unsigned gz, unsigned bx, unsigned by,
				unsigned bz, unsigned shmem, CUstream s,
				void **params, void **extra)
{
	return launch(f, gx, gy, gz, bx, by, bz, shmem, params, extra);
}

SIM_API CUresult cuLaunchKernel_ptsz(CUfunction f, unsigned gx, unsigned gy,
				     unsigned gz, unsigned bx, unsigned by,
				     unsigned bz, unsigned shmem, CUstream s,
				     void **params, void **extra)
{
	return launch(f, gx, gy, gz, bx, by, bz, shmem, params, extra);
}

struct launch_config {
	unsigned gx, gy, gz, bx, by, bz, shmem;
	CUstream stream;
	void *attrs;
	unsigned nattrs;
};

SIM_API CUresult cuLaunchKernelEx(const struct launch_config *c, CUfunction f,
				  void **params, void **extra)
{
	if (!c)
		return CUDA_ERROR_INVALID_VALUE;
	return launch(f, c->gx, c->gy, c->gz, c->bx, c->by, c->bz, c->shmem,
		      params, extra);
}

SIM_API CUresult cuLaunchKernelEx_ptsz(const struct launch_config *c,
				       CUfunction f, void **params,
				       void **extra)
{
	return cuLaunchKernelEx(c, f, params, extra);
}

SIM_API CUresult cuLaunchCooperativeKernel(CUfunction f, unsigned gx,
					   unsigned gy, unsigned gz,
					   unsigned bx, unsigned by,
					   unsigned bz, unsigned shmem,
					   CUstream s, void **params)
{
	return launch(f, gx, gy, gz, bx, by, bz, shmem, params, NULL);
}
