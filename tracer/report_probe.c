/* The driver's resolvers as a runtime uses them: NVIDIA's runtime asks
 * cuGetProcAddress for every function it knows and cuGetExportTable for
 * private tables a driver may not have, and treats "not found" as an
 * answer.  Those probes are expected; this file recognises a runtime linked into the program by its look-ups. */
#include <string.h>

#include "export_table_ids.h"
#include "report.h"

enum rpt_role rpt_role_of(uint32_t api, const char *name)
{
	if (api != VT_API_CUDA || !name)
		return RPT_ROLE_PLAIN;
	if (!strcmp(name, "cuGetProcAddress") || !strcmp(name, "cuGetProcAddress_v2"))
		return RPT_ROLE_PROCADDR;
	if (!strcmp(name, "cuGetExportTable"))
		return RPT_ROLE_EXPORT_TABLE;
	return RPT_ROLE_PLAIN;
}

bool rpt_export_id(const struct rpt_func *fn, const uint64_t *out,
		   unsigned nout, unsigned char id[16])
{
	/* The interposer records the table and then the 16 bytes of the id,
	 * whatever the call returned (interpose/api_cuda.c). */
	if (fn->role != RPT_ROLE_EXPORT_TABLE || nout < 3 || !(out[1] | out[2]))
		return false;
	memcpy(id, &out[1], 8);
	memcpy(id + 8, &out[2], 8);
	return true;
}

void rpt_uuid_str(const unsigned char id[16], char *buf, size_t len)
{
	snprintf(buf, len, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-"
		 "%02x%02x%02x%02x%02x%02x", id[0], id[1], id[2], id[3], id[4],
		 id[5], id[6], id[7], id[8], id[9], id[10], id[11], id[12],
		 id[13], id[14], id[15]);
}

void rpt_format_call_args(const struct rpt_func *fn, const uint64_t args[6],
			  const uint64_t *out, unsigned nout, bool wrote,
			  char *buf, size_t len)
{
	dec_format_args(fn->dec, args, wrote ? out : NULL, nout, buf, len);
	unsigned char id[16];
	if (!rpt_export_id(fn, out, nout, id))
		return;
	char uuid[40];
	rpt_uuid_str(id, uuid, sizeof(uuid));
	const char *name = export_table_name(id);
	size_t n = strlen(buf);
	snprintf(buf + n, len - n, "%stable=%s%s%s%s", n ? ", " : "", uuid,
		 name ? " (" : "", name ? name : "", name ? ")" : "");
}

/* A runtime resolves its whole table at start-up: a program that looks
 * up a few names by hand stays far below this. */
#define RUNTIME_LOOKUPS 64

bool rpt_static_runtime(const struct rpt_view *v)
{
	for (size_t i = 0; i < v->nlibs; i++)
		if (!strncmp(v->libs[i]->name, "libcudart.so", 12))
			return false;
	for (size_t i = 0; i < v->nfuncs; i++) {
		uint32_t api = VT_FUNC_API(v->funcs[i]->id);
		if (api == VT_API_CUDART12 || api == VT_API_CUDART13)
			return false;
	}
	if (v->procaddr.calls < RUNTIME_LOOKUPS)
		return false;
	/* Python's driver bindings also resolve every driver function;
	 * only a runtime asks for its interface table. */
	for (size_t i = 0; i < v->ntables; i++) {
		const char *name = export_table_name(v->tables[i].id);
		if (name && !strcmp(name, "runtime interface"))
			return true;
	}
	return false;
}
