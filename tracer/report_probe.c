/* The driver's resolvers as a runtime uses them: NVIDIA's runtime asks
 * cuGetProcAddress for every function it knows and cuGetExportTable for
 * private tables a driver may not have, and treats "not found" as an
 * answer.  Those probes are expected; this file names the tables and
 * recognises a runtime linked into the program by its look-ups. */
#include <string.h>

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

/* The tables interpose/sim/export_tables.c describes, and two that
 * toolkit libraries ask for right after cuInit. */
static const struct {
	unsigned char id[16];
	const char *name;
} known[] = {
	{ { 0xf8, 0xcf, 0xf9, 0x51, 0x21, 0x46, 0x8b, 0x4e,
	    0xb9, 0xe2, 0xfb, 0x46, 0x9e, 0x7c, 0x0d, 0xd9 },
	  "runtime start-up bypass" },
	{ { 0x6b, 0xd5, 0xfb, 0x6c, 0x5b, 0xf4, 0xe7, 0x4a,
	    0x89, 0x87, 0xd9, 0x39, 0x12, 0xfd, 0x9d, 0xf9 },
	  "runtime interface" },
	{ { 0xa0, 0x94, 0x79, 0x8c, 0x2e, 0x74, 0x2e, 0x74,
	    0x93, 0xf2, 0x08, 0x00, 0x20, 0x0c, 0x0a, 0x66 },
	  "tool callback hooks" },
	{ { 0x42, 0xd8, 0x5a, 0x81, 0x23, 0xf6, 0xcb, 0x47,
	    0x82, 0x98, 0xf6, 0xe7, 0x8a, 0x3a, 0xec, 0xdc },
	  "tools TLS" },
	{ { 0xc6, 0x93, 0x33, 0x6e, 0x11, 0x21, 0xdf, 0x11,
	    0xa8, 0xc3, 0x68, 0xf3, 0x55, 0xd8, 0x95, 0x93 },
	  "per-context storage" },
	{ { 0xd4, 0x08, 0x20, 0x55, 0xbd, 0xe6, 0x70, 0x4b,
	    0x8d, 0x34, 0xba, 0x12, 0x3c, 0x66, 0xe1, 0xf2 },
	  "runtime integrity check" },
	{ { 0x26, 0x3e, 0x88, 0x60, 0x7c, 0xd2, 0x61, 0x43,
	    0x92, 0xf6, 0xbb, 0xd5, 0x00, 0x6d, 0xfa, 0x7e },
	  "context checks" },
	{ { 0x21, 0x31, 0x8c, 0x60, 0x97, 0x14, 0x32, 0x48,
	    0x8c, 0xa6, 0x41, 0xff, 0x73, 0x24, 0xc8, 0xf2 },
	  "cuFFT" },
	{ { 0x2c, 0x8e, 0x0a, 0xd8, 0x07, 0x10, 0xab, 0x4e,
	    0x90, 0xdd, 0x54, 0x71, 0x9f, 0xe5, 0xf7, 0x4b },
	  "CUPTI" },
};

const char *rpt_export_table_name(const unsigned char id[16])
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!memcmp(known[i].id, id, 16))
			return known[i].name;
	return NULL;
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
	const char *name = rpt_export_table_name(id);
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
		const char *name = rpt_export_table_name(v->tables[i].id);
		if (name && !strcmp(name, "runtime interface"))
			return true;
	}
	return false;
}
