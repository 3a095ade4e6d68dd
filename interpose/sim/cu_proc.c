/* Driver API: entry-point lookup (cuGetProcAddress), export tables,
 * error names, and the small calls every client makes once. */
#include "driver.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cuda_names.h"
#include "export_tables.h"

/* Which symbol serves NAME for a client built against API version V: the
 * highest entry with min <= V.  Names without an entry are served by the
 * symbol of the same name. */
static const struct {
	const char *name;
	int min;
	const char *suffix;
} versions[] = {
	{ "cuCtxCreate", 3020, "_v2" },
	{ "cuCtxCreate", 11040, "_v3" },
	{ "cuCtxCreate", 12050, "_v4" },
	{ "cuCtxDestroy", 4000, "_v2" },
	{ "cuCtxPopCurrent", 4000, "_v2" },
	{ "cuCtxPushCurrent", 4000, "_v2" },
	{ "cuStreamDestroy", 4000, "_v2" },
	{ "cuEventDestroy", 4000, "_v2" },
	{ "cuDevicePrimaryCtxRelease", 11000, "_v2" },
	{ "cuDevicePrimaryCtxReset", 11000, "_v2" },
	{ "cuDevicePrimaryCtxSetFlags", 11000, "_v2" },
	{ "cuDeviceGetUuid", 11040, "_v2" },
	{ "cuGetProcAddress", 12000, "_v2" },
	{ "cuEventElapsedTime", 12080, "_v2" },
	{ "cuCtxGetDevice", 13000, "_v2" },
	{ "cuCtxSynchronize", 13000, "_v2" },
	{ "cuStreamGetCaptureInfo", 11030, "_v2" },
	{ "cuStreamGetCaptureInfo", 12030, "_v3" },
	{ "cuMemHostRegister", 6050, "_v2" },
	{ "cuDeviceTotalMem", 3020, "_v2" },
	{ "cuMemGetInfo", 3020, "_v2" },
	{ "cuMemAlloc", 3020, "_v2" },
	{ "cuMemAllocPitch", 3020, "_v2" },
	{ "cuMemFree", 3020, "_v2" },
	{ "cuMemGetAddressRange", 3020, "_v2" },
	{ "cuMemAllocHost", 3020, "_v2" },
	{ "cuMemHostGetDevicePointer", 3020, "_v2" },
	{ "cuMemcpyHtoD", 3020, "_v2" },
	{ "cuMemcpyDtoH", 3020, "_v2" },
	{ "cuMemcpyDtoD", 3020, "_v2" },
	{ "cuMemcpyHtoDAsync", 3020, "_v2" },
	{ "cuMemcpyDtoHAsync", 3020, "_v2" },
	{ "cuMemcpyDtoDAsync", 3020, "_v2" },
	{ "cuMemcpy2D", 3020, "_v2" },
	{ "cuMemcpy2DAsync", 3020, "_v2" },
	{ "cuMemcpy2DUnaligned", 3020, "_v2" },
	{ "cuMemsetD8", 3020, "_v2" },
	{ "cuMemsetD16", 3020, "_v2" },
	{ "cuMemsetD32", 3020, "_v2" },
	{ "cuMemsetD2D8", 3020, "_v2" },
	{ "cuMemsetD2D32", 3020, "_v2" },
	{ "cuModuleGetGlobal", 3020, "_v2" },
	{ "cuLinkCreate", 6050, "_v2" },
	{ "cuLinkAddData", 6050, "_v2" },
	{ "cuLinkAddFile", 6050, "_v2" },
	{ "cuStreamBeginCapture", 10010, "_v2" },
	{ "cuStreamGetCtx", 12050, "_v2" },
	{ "cuStreamBatchMemOp", 11070, "_v2" },
	{ "cuStreamWaitValue32", 11070, "_v2" },
	{ "cuStreamWaitValue64", 11070, "_v2" },
	{ "cuStreamWriteValue32", 11070, "_v2" },
	{ "cuStreamWriteValue64", 11070, "_v2" },
	{ "cuMemPrefetchAsync", 12020, "_v2" },
	{ "cuGraphInstantiate", 11000, "_v2" },
	{ "cuGraphInstantiate", 11040, "WithFlags" },
	{ "cuGraphKernelNodeGetParams", 12000, "_v2" },
	{ "cuGraphExecKernelNodeSetParams", 12000, "_v2" },
};

/* Our own object: a link_map is a dlopen handle in glibc, and lookups
 * through it see only this library and its dependencies, never an
 * interposer that exports the same names. */
static void *self(void)
{
	static void *h;
	if (!h) {
		Dl_info info;
		struct link_map *lm = NULL;
		if (dladdr1((void *)cuInit, &info, (void **)&lm,
			    RTLD_DL_LINKMAP) && lm)
			h = lm;
	}
	return h;
}

static void *find(const char *sym)
{
	void *h = self();
	return h ? dlsym(h, sym) : NULL;
}

/* VGPU_SIM_DEBUG=1: say on stderr what a client looked up (the way to
 * learn what a closed-source runtime needs from its driver). */
static bool debug(void)
{
	static int d = -1;
	if (d < 0) {
		const char *e = getenv("VGPU_SIM_DEBUG");
		d = e && *e && *e != '0';
	}
	return d;
}

static CUresult proc_address(const char *name, void **pfn, int version,
			     unsigned long long flags,
			     CUdriverProcAddressQueryResult *status)
{
	if (!name || !pfn)
		return CUDA_ERROR_INVALID_VALUE;
	*pfn = NULL;
	if (strncmp(name, "cu", 2)) {
		if (status)
			*status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
		return CUDA_ERROR_NOT_FOUND;
	}
	const char *suffix = "";
	for (size_t i = 0; i < sizeof(versions) / sizeof(versions[0]); i++)
		if (!strcmp(versions[i].name, name) && versions[i].min <= version)
			suffix = versions[i].suffix;
	char sym[256];
	void *fn = NULL;
	if (flags & CU_GET_PROC_ADDRESS_PER_THREAD_DEFAULT_STREAM) {
		snprintf(sym, sizeof(sym), "%s%s_ptsz", name, suffix);
		fn = find(sym);
		if (!fn) {
			snprintf(sym, sizeof(sym), "%s%s_ptds", name, suffix);
			fn = find(sym);
		}
	}
	if (!fn) {
		snprintf(sym, sizeof(sym), "%s%s", name, suffix);
		fn = find(sym);
	}
	if (debug())
		fprintf(stderr, "vgpu-sim: cuGetProcAddress %s v%d flags %llu -> %s\n",
			name, version, flags, fn ? sym : "not found");
	if (!fn) {
		if (status)
			*status = CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
		return CUDA_ERROR_NOT_FOUND;
	}
	*pfn = fn;
	if (status)
		*status = CU_GET_PROC_ADDRESS_SUCCESS;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuGetProcAddress_v2(const char *name, void **pfn,
				     int version, unsigned long long flags,
				     CUdriverProcAddressQueryResult *status)
{
	return proc_address(name, pfn, version, flags, status);
}

/* The CUDA 11.3 form has no status argument. */
SIM_API CUresult cuGetProcAddress(const char *name, void **pfn, int version,
				  unsigned long long flags)
{
	return proc_address(name, pfn, version, flags, NULL);
}

SIM_API CUresult cuGetExportTable(const void **table, const CUuuid *id)
{
	if (!table || !id)
		return CUDA_ERROR_INVALID_VALUE;
	const void *t = sim_export_table(id);
	if (debug()) {
		const unsigned char *u = (const unsigned char *)id->bytes;
		const char *name = sim_export_table_name(id);
		fprintf(stderr, "vgpu-sim: cuGetExportTable %02x%02x%02x%02x-"
			"%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x"
			" (%s) -> %s\n", u[0], u[1], u[2], u[3], u[4], u[5], u[6],
			u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14],
			u[15], name ? name : "unknown", t ? "table" : "none");
	}
	if (!t) {
		*table = NULL;
		return CUDA_ERROR_NOT_FOUND;
	}
	*table = t;
	return CUDA_SUCCESS;
}

SIM_API CUresult cuGetErrorName(CUresult err, const char **str)
{
	if (!str)
		return CUDA_ERROR_INVALID_VALUE;
	*str = cu_result_name(err);
	return *str ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

SIM_API CUresult cuGetErrorString(CUresult err, const char **str)
{
	if (!str)
		return CUDA_ERROR_INVALID_VALUE;
	*str = cu_result_string(err);
	return *str ? CUDA_SUCCESS : CUDA_ERROR_INVALID_VALUE;
}

SIM_API CUresult cuProfilerStart(void)
{
	return CUDA_SUCCESS;
}

SIM_API CUresult cuProfilerStop(void)
{
	return CUDA_SUCCESS;
}

/* Called by the runtime when the process exits. */
SIM_API CUresult cuFlushGPUDirectRDMAWrites(int target, int scope)
{
	return CUDA_SUCCESS;
}
