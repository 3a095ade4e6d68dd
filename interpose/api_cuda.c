/* libcuda.so.1: the driver's own resolvers are answered here so that
 * every pointer they hand out is a thunk.
 *
 * cuGetProcAddress (CUDA 11.3 form, 4 arguments) and cuGetProcAddress_v2
 * (5 arguments, symbolStatus): the backend's resolver decides which
 * variant a (name, version, flags) means; we hand back a thunk for
 * exactly the pointer it returned.  A request for the resolver itself
 * returns ours, and so does one for cuGetExportTable.  cuGetExportTable
 * passes through; its UUID and the table go into the call's out values,
 * and --trace-export-tables wraps each slot as "UUID[slot]". */
#include <dlfcn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "interposer.h"

#define CUDA_SUCCESS 0
#define CUDA_ERROR_INVALID_VALUE 1
#define CUDA_ERROR_NOT_FOUND 500
#define CU_GET_PROC_ADDRESS_SUCCESS 0
#define CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND 1

typedef int (*procaddr4_fn)(const char *, void **, int, uint64_t);
typedef int (*procaddr5_fn)(const char *, void **, int, uint64_t, int *);
typedef int (*exporttable_fn)(const void **, const void *);

/* The name to trace a pointer under: the backend's own export at that
 * address when it has one (cuMemAlloc asked at version 3020 is
 * cuMemAlloc_v2), else the name asked for. */
static const char *trace_name(const char *asked, void *fn)
{
	Dl_info di;
	if (dladdr(fn, &di) && di.dli_sname && di.dli_saddr == fn)
		return di.dli_sname;
	return asked;
}

/* A request for the resolver itself gets ours, in the variant the
 * backend chose for that version (the runtime asks for
 * "cuGetProcAddress" and expects the 5-argument form).  So does one for
 * cuGetExportTable: NVIDIA's runtime fetches it this way, never by
 * symbol, and only ours records UUIDs and wraps the tables. */
static _Atomic(void *) resolved_export_table;

static void *answer(const char *symbol, void *fn)
{
	const char *name = trace_name(symbol, fn);
	int i = -1;
	if (!strncmp(symbol, "cuGetProcAddress", 16))
		i = vgpu_static_index(!strcmp(name, "cuGetProcAddress_v2") ?
				      name : symbol);
	else if (!strcmp(symbol, "cuGetExportTable")) {
		/* Ours calls what the resolver chose, not the export. */
		atomic_store(&resolved_export_table, fn);
		i = vgpu_static_index(symbol);
	}
	if (i >= 0)
		return vgpu_static_thunks[i];
	return vgpu_wrap(VT_API_CUDA, name, fn);
}

static int resolve(const char *symbol, void **pfn, int version,
		   uint64_t flags, int *status)
{
	if (!pfn)
		return CUDA_ERROR_INVALID_VALUE;
	*pfn = NULL;
	if (!symbol)
		return CUDA_ERROR_INVALID_VALUE;
	procaddr5_fn v2 = (procaddr5_fn)vgpu_backend_sym("cuGetProcAddress_v2");
	procaddr4_fn v1 = (procaddr4_fn)vgpu_backend_sym("cuGetProcAddress");
	int rc, st = CU_GET_PROC_ADDRESS_SUCCESS;
	void *fn = NULL;
	if (status && v2) {
		rc = v2(symbol, &fn, version, flags, &st);
	} else if (v1) {
		rc = v1(symbol, &fn, version, flags);
	} else if (v2) {
		rc = v2(symbol, &fn, version, flags, &st);
	} else {
		/* A handler without a resolver: its export of that name. */
		fn = *symbol ? vgpu_backend_sym(symbol) : NULL;
		rc = fn ? CUDA_SUCCESS : CUDA_ERROR_NOT_FOUND;
		st = fn ? CU_GET_PROC_ADDRESS_SUCCESS
			: CU_GET_PROC_ADDRESS_SYMBOL_NOT_FOUND;
	}
	if (status)
		*status = st;
	if (rc == CUDA_SUCCESS && fn)
		*pfn = answer(symbol, fn);
	return rc;
}

static int my_cuGetProcAddress(const char *symbol, void **pfn, int version,
			       uint64_t flags)
{
	return resolve(symbol, pfn, version, flags, NULL);
}

static int my_cuGetProcAddress_v2(const char *symbol, void **pfn,
				  int version, uint64_t flags, int *status)
{
	return resolve(symbol, pfn, version, flags, status);
}

struct wrapped_table {
	unsigned char uuid[16];
	const void *orig;
	void **copy;
};
static struct wrapped_table tables[64];
static unsigned ntables;
static pthread_mutex_t tables_lock = PTHREAD_MUTEX_INITIALIZER;

/* The runtime's integrity check hashes the addresses of the runtime
 * interface table, of the check's own table and of its function, as the
 * runtime received them, and compares the driver's answer: wrapping either
 * table would make a working driver fail the check. */
static const unsigned char integrity_bound[2][16] = {
	{ 0x6b, 0xd5, 0xfb, 0x6c, 0x5b, 0xf4, 0xe7, 0x4a,	/* runtime */
	  0x89, 0x87, 0xd9, 0x39, 0x12, 0xfd, 0x9d, 0xf9 },
	{ 0xd4, 0x08, 0x20, 0x55, 0xbd, 0xe6, 0x70, 0x4b,	/* check */
	  0x8d, 0x34, 0xba, 0x12, 0x3c, 0x66, 0xe1, 0xf2 },
};

/* Export tables start with their size in bytes; the rest are function
 * pointers.  Only tables that look like that are wrapped. */
static const void *wrap_table(const unsigned char *uuid, const void *orig)
{
	const uint64_t *t = orig;
	if (!t || t[0] < 16 || t[0] > 8 * 512 || (t[0] & 7))
		return orig;
	for (size_t i = 0; i < 2; i++)
		if (!memcmp(uuid, integrity_bound[i], 16))
			return orig;
	pthread_mutex_lock(&tables_lock);
	const void *res = orig;
	for (unsigned i = 0; i < ntables; i++)
		if (tables[i].orig == orig && !memcmp(tables[i].uuid, uuid, 16)) {
			res = tables[i].copy;
			goto out;
		}
	size_t n = t[0] / 8;
	void **copy = calloc(n, sizeof(void *));
	if (!copy || ntables == 64)
		goto out;
	char id[64];
	int k = 0;
	for (int i = 0; i < 16; i++)
		k += snprintf(id + k, sizeof(id) - (size_t)k, "%02x%s", uuid[i],
			      i == 3 || i == 5 || i == 7 || i == 9 ? "-" : "");
	copy[0] = (void *)t[0];
	for (size_t i = 1; i < n; i++) {
		char name[96];
		snprintf(name, sizeof(name), "%s[%zu]", id, i);
		copy[i] = t[i] ? vgpu_wrap(VT_API_EXPORT_TABLE, name,
					   (void *)t[i]) : NULL;
	}
	memcpy(tables[ntables].uuid, uuid, 16);
	tables[ntables].orig = orig;
	tables[ntables].copy = copy;
	ntables++;
	res = copy;
out:
	pthread_mutex_unlock(&tables_lock);
	return res;
}

static int my_cuGetExportTable(const void **table, const void *uuid)
{
	exporttable_fn fn = (exporttable_fn)atomic_load(&resolved_export_table);
	if (!fn)
		fn = (exporttable_fn)vgpu_backend_sym("cuGetExportTable");
	/* The id is recorded whatever the answer: the report names the
	 * table a failed request was for. */
	uint64_t out[3] = { 0, 0, 0 };
	if (uuid)
		memcpy(&out[1], uuid, 16);
	if (!fn) {
		vgpu_set_out(out, 3);
		return vgpu_missing_code;
	}
	int rc = fn(table, uuid);
	if (rc == CUDA_SUCCESS && table) {
		out[0] = (uint64_t)(uintptr_t)*table;
		if (uuid && vgpu_flag_export_tables())
			*table = wrap_table(uuid, *table);
	}
	vgpu_set_out(out, 3);
	return rc;
}

static const struct vgpu_special specials[] = {
	{ "cuGetProcAddress", (void *)my_cuGetProcAddress },
	{ "cuGetProcAddress_v2", (void *)my_cuGetProcAddress_v2 },
	{ "cuGetExportTable", (void *)my_cuGetExportTable },
	{ NULL, NULL },
};

const struct vgpu_api vgpu_api = {
	.api = VT_API_CUDA, .key = "cuda",
	.not_supported = 801,	/* CUDA_ERROR_NOT_SUPPORTED */
	.specials = specials,
};
