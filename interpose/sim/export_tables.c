/* cuGetExportTable: the private tables NVIDIA's runtime asks its driver
 * for.  Their layouts are not published; what is here is the part that
 * NVIDIA's libcudart.so.13 was observed to need before it believes a
 * driver (VGPU_SIM_DEBUG=1 prints each request), in agreement with the
 * independent descriptions in ZLUDA and other open drivers:
 *
 *   f8cff951-2146-8b4e-b9e2-fb469e7c0dd9  asked first; answering it makes
 *       the runtime skip its normal start-up, so we say CUDA_ERROR_NOT_FOUND
 *   6bd5fb6c-5bf4-e74a-8987-d93912fd9df9  the runtime interface: slot 0
 *       holds the table size, slot 2 returns a device's primary context
 *       without taking a reference.  Without it cudaGetDeviceCount fails.
 *   a094798c-2e74-2e74-93f2-0800200c0a66  tool callback hooks: slots 2 and
 *       6 hand out buffers the runtime writes into
 *   42d85a81-23f6-cb47-8298-f6e78a3aecdc  tools TLS: slot 2, the current
 *       context
 *   c693336e-1121-df11-a8c3-68f355d89593  per-context storage: put,
 *       delete, get (the runtime keeps its per-context state there)
 *   d4082055-bde6-704b-8d34-ba123c66e1f2  the runtime's check that the
 *       driver is NVIDIA's (see integrity() below); asked last
 *   263e8860-7cd2-6143-92f6-bbd5006dfa7e  context checks: slot 2 says a
 *       context is an ordinary one, slot 3 (called at start-up, result
 *       compared with 1) says no special mode is on
 *
 * and two that libraries ask for themselves (named after NVIDIA's
 * CU_ETID_ToolsContext and CU_ETID_ToolsModule, as public notes on the
 * driver's tables call them):
 *
 *   21318c60-9714-3248-8ca6-41ff7324c8f2  tools context: cuFFT fetches it
 *       right after cuInit and fails every plan without it (CUFFT_INTERNAL_
 *       ERROR); slot 4 gives a context's identifier, which cuFFT compares
 *       with the one it cached to notice that a stream's context changed
 *   6e163fbe-b958-444d-835c-e182aff1991e  tools module: cuFFT again; slot 7
 *       hands each function of a module to a callback and returns 1 (a
 *       truth value, not a CUresult); cuFFT checks the table's size
 *       first and takes the function of its one-kernel modules so
 *
 * Slots we do not know stay NULL in the runtime's tables: a plausible stub
 * that "succeeds" without writing its outputs would fail later and far
 * away.  The two tools tables are longer in NVIDIA's driver than what is
 * known of them, and their callers do not check the size, so there each
 * unknown slot returns CUDA_ERROR_NOT_SUPPORTED and leaves a note naming
 * itself: a failure with a name instead of a jump to address 0.
 *
 * Any other UUID gets CUDA_ERROR_NOT_FOUND, never success with no table;
 * the clients seen treat every non-zero answer alike (table absent).
 * Those known by name are listed in `known[]` below, with what refusing
 * them costs when that is known: CUPTI's callback table (2c8e0ad8...) is
 * one, and its refusal is noted for the trace. */
#include "export_table_ids.h"
#include "export_tables.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "md2.h"

/* The driver calls these by their public names. */
CUresult cuDevicePrimaryCtxRetain(CUcontext *pctx, CUdevice dev);
CUresult cuCtxGetCurrent(CUcontext *pctx);

#define SLOTS(n) ((const void *)(uintptr_t)((n) * sizeof(void *)))

/* A slot of a tools table whose meaning nobody has described. */
static CUresult unsimulated(const char *table, int slot)
{
	sim_note("export table %s: slot %d is not simulated "
		 "(CUDA_ERROR_NOT_SUPPORTED)", table, slot);
	return CUDA_ERROR_NOT_SUPPORTED;
}

/* ---- runtime interface ---- */

static CUresult rt_primary_context(CUcontext *pctx, CUdevice dev)
{
	CUresult r = cuDevicePrimaryCtxRetain(pctx, dev);
	/* The runtime manages the primary context's lifetime itself; the
	 * real slot does not count a reference, so neither do we (the
	 * context stays valid while any reference or none is held). */
	return r;
}

/* Runtimes from 13.2 on call slot 12 once while they start, with no
 * argument the sim needs, and go on when it returns CUDA_SUCCESS; they
 * jump through it without a NULL check (PyTorch's libcudart.so.13.2 died
 * on the NULL slot in cudaGetDeviceCount). */
static CUresult rt_start_check(void)
{
	return CUDA_SUCCESS;
}

static const void *const runtime_interface[13] = {
	[0] = SLOTS(13),
	[2] = (const void *)rt_primary_context,
	[12] = (const void *)rt_start_check,
};

/* ---- tool callback hooks ---- */

/* The runtime reads flags from these buffers to decide whether a tool
 * wants its callbacks (then it calls slot 4, which we leave NULL).  It
 * reads past the sizes it is told: with non-zero bytes after either
 * buffer it crashes, so each lies inside a larger zeroed area (.bss:
 * free until touched). */
static unsigned char hook_buf1[1024 + 65536], hook_buf2[14 + 65536];

static void hooks_buffer1(void **p, size_t *size)
{
	if (p)
		*p = hook_buf1;
	if (size)
		*size = 1024;
}

static void hooks_buffer2(void **p, size_t *size)
{
	if (p)
		*p = hook_buf2;
	if (size)
		*size = 14;
}

static const void *const tool_hooks[7] = {
	[0] = SLOTS(7),
	[2] = (const void *)hooks_buffer1,
	[6] = (const void *)hooks_buffer2,
};

/* ---- tools TLS ---- */

static const void *const tools_tls[4] = {
	[0] = SLOTS(4),
	[2] = (const void *)cuCtxGetCurrent,
};

/* ---- per-context storage ---- */

typedef void (*ctx_dtor)(CUcontext, void *, void *);

struct ctx_value {
	CUcontext ctx;
	void *key, *value;
	ctx_dtor dtor;
	struct ctx_value *next;
};

static struct ctx_value *values;
static pthread_mutex_t values_mu = PTHREAD_MUTEX_INITIALIZER;

static CUcontext ctx_or_current(CUcontext c)
{
	if (!c)
		c = (CUcontext)sim_ctx_current();
	return c;
}

static CUresult cls_put(CUcontext c, void *key, void *value, ctx_dtor dtor)
{
	c = ctx_or_current(c);
	if (!c || !key)
		return CUDA_ERROR_INVALID_VALUE;
	CUresult r = CUDA_SUCCESS;
	pthread_mutex_lock(&values_mu);
	struct ctx_value *v;
	for (v = values; v; v = v->next)
		if (v->ctx == c && v->key == key)
			break;
	if (!v && (v = calloc(1, sizeof(*v)))) {
		v->ctx = c;
		v->key = key;
		v->next = values;
		values = v;
	}
	if (v) {
		v->value = value;
		v->dtor = dtor;
	} else {
		r = CUDA_ERROR_OUT_OF_MEMORY;
	}
	pthread_mutex_unlock(&values_mu);
	return r;
}

static CUresult cls_delete(CUcontext c, void *key)
{
	c = ctx_or_current(c);
	pthread_mutex_lock(&values_mu);
	for (struct ctx_value **p = &values; *p; p = &(*p)->next)
		if ((*p)->ctx == c && (*p)->key == key) {
			struct ctx_value *v = *p;
			*p = v->next;
			free(v);
			break;
		}
	pthread_mutex_unlock(&values_mu);
	return CUDA_SUCCESS;
}

static CUresult cls_get(void **value, CUcontext c, void *key)
{
	if (!value)
		return CUDA_ERROR_INVALID_VALUE;
	*value = NULL;
	c = ctx_or_current(c);
	CUresult r = CUDA_ERROR_INVALID_HANDLE;
	pthread_mutex_lock(&values_mu);
	for (struct ctx_value *v = values; v; v = v->next)
		if (v->ctx == c && v->key == key) {
			*value = v->value;
			r = CUDA_SUCCESS;
			break;
		}
	pthread_mutex_unlock(&values_mu);
	return r;
}

static const void *const ctx_storage[4] = {
	[0] = (const void *)cls_put,
	[1] = (const void *)cls_delete,
	[2] = (const void *)cls_get,
};

/* ---- context checks ---- */

static CUresult ctx_check(CUcontext c, unsigned *wrapped, CUcontext *inner)
{
	if (wrapped)
		*wrapped = 0;
	if (inner)
		*inner = NULL;
	return CUDA_SUCCESS;
}

/* Asked right after the table is fetched; 1 would mean some special
 * context mode the simulator never uses. */
static unsigned ctx_check_mode(void)
{
	return 0;
}

static const void *const ctx_checks[4] = {
	[0] = SLOTS(4),
	[2] = (const void *)ctx_check,
	[3] = (const void *)ctx_check_mode,
};

/* ---- tools context ---- */

#define TOOLS_CONTEXT "21318c60 (tools context)"
#define TOOLS_CONTEXT_SLOTS 95

/* A context's identifier: its handle, which no other live context has. */
static CUresult tc_context_id(CUcontext c, unsigned long long *id)
{
	if (!id)
		return CUDA_ERROR_INVALID_VALUE;
	c = c ? c : (CUcontext)sim_ctx_current();
	if (!sim_ctx_valid((struct sim_ctx *)c))
		return CUDA_ERROR_INVALID_CONTEXT;
	*id = (unsigned long long)(uintptr_t)c;
	return CUDA_SUCCESS;
}

#define TC_STUB(n)                                                            \
	static CUresult tc_slot##n(void)                                      \
	{                                                                     \
		return unsimulated(TOOLS_CONTEXT, n);                         \
	}
#define TC_SET(n) [n] = (const void *)tc_slot##n,
/* Every slot but 0 (the size) and 4. */
#define TC_UNKNOWN(X)                                                         \
	X(1) X(2) X(3) X(5) X(6) X(7) X(8) X(9) X(10) X(11) X(12) X(13)       \
	X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23) X(24)     \
	X(25) X(26) X(27) X(28) X(29) X(30) X(31) X(32) X(33) X(34) X(35)     \
	X(36) X(37) X(38) X(39) X(40) X(41) X(42) X(43) X(44) X(45) X(46)     \
	X(47) X(48) X(49) X(50) X(51) X(52) X(53) X(54) X(55) X(56) X(57)     \
	X(58) X(59) X(60) X(61) X(62) X(63) X(64) X(65) X(66) X(67) X(68)     \
	X(69) X(70) X(71) X(72) X(73) X(74) X(75) X(76) X(77) X(78) X(79)     \
	X(80) X(81) X(82) X(83) X(84) X(85) X(86) X(87) X(88) X(89) X(90)     \
	X(91) X(92) X(93) X(94)
TC_UNKNOWN(TC_STUB)

static const void *const tools_context[TOOLS_CONTEXT_SLOTS] = {
	[0] = SLOTS(TOOLS_CONTEXT_SLOTS),
	TC_UNKNOWN(TC_SET)
	[4] = (const void *)tc_context_id,
};

/* ---- tools module ---- */

#define TOOLS_MODULE "6e163fbe (tools module)"

CUresult cuModuleGetFunctionCount(unsigned *count, CUmodule mod);
CUresult cuModuleEnumerateFunctions(CUfunction *out, unsigned max,
				    CUmodule mod);

typedef void (*function_cb)(void *arg, CUfunction f);

/* 1 when mod is a module, after cb(arg, f) for each of its functions. */
static int tm_functions(CUcontext c, CUmodule mod, function_cb cb, void *arg)
{
	unsigned n = 0;
	if (!cb || cuModuleGetFunctionCount(&n, mod))
		return 0;
	CUfunction *f = calloc(n + 1, sizeof(*f));
	if (!f || cuModuleEnumerateFunctions(f, n, mod)) {
		free(f);
		return 0;
	}
	for (unsigned i = 0; i < n; i++)
		cb(arg, f[i]);
	free(f);
	return 1;
}

#define TM_STUB(n)                                                            \
	static CUresult tm_slot##n(void)                                      \
	{                                                                     \
		return unsimulated(TOOLS_MODULE, n);                          \
	}
#define TM_SET(n) [n] = (const void *)tm_slot##n,
#define TM_UNKNOWN(X) X(1) X(2) X(3) X(4) X(5) X(6)
TM_UNKNOWN(TM_STUB)

static const void *const tools_module[8] = {
	[0] = SLOTS(8),
	TM_UNKNOWN(TM_SET)
	[7] = (const void *)tm_functions,
};

/* ---- runtime integrity check ----
 *
 * Slot 1 takes a number the runtime picks (its version with a varying
 * last digit), the time, and room for a 16-byte answer that the runtime
 * compares with what NVIDIA's driver would give.  For a last digit of 0
 * or 1 the answer is a constant.  Otherwise it is HMAC-MD2, under a fixed
 * key, of: the driver version, that number, pid, thread, the addresses of
 * the runtime-interface table, of this table and of this function, the
 * time; then per device its UUID and PCI domain, bus and device numbers. */
static const void *const integrity_table[3];

static CUresult integrity(unsigned version, uint64_t now, uint64_t out[2])
{
	static const uint64_t fixed[2][2] = {
		{ 0x3341181c03cb675cULL, 0x8ed383aa1f4cd1e8ULL },
		{ 0x1841181c03cb675cULL, 0x8ed383aa1f4cd1e8ULL },
	};
	static const unsigned char key[16] = {
		0x14, 0x6a, 0xdd, 0xae, 0x53, 0xa9, 0xa7, 0x52,
		0xaa, 0x08, 0x41, 0x36, 0x0b, 0xf5, 0x5a, 0x9f,
	};
	if (!out)
		return CUDA_ERROR_INVALID_VALUE;
	if (version % 10 <= 1) {
		memcpy(out, fixed[version % 10], 16);
		return CUDA_SUCCESS;
	}
	const struct sim_config *c = sim_config();
	struct {
		uint32_t driver, version, pid, thread;
		const void *runtime_table, *table, *function;
		uint64_t now;
	} in = {
		(uint32_t)(c->ndev ? c->dev[0].cuda_version : 0), version,
		(uint32_t)getpid(), (uint32_t)(uintptr_t)pthread_self(),
		runtime_interface, integrity_table, (const void *)integrity,
		now,
	};
	struct md2 m;
	hmac_md2_init(&m, key);
	md2_update(&m, &in, sizeof(in));
	for (int i = 0; i < c->ndev; i++) {
		const struct sim_device *d = &c->dev[i];
		struct {
			unsigned char uuid[16];
			int32_t domain, bus, device;
		} dev;
		memcpy(dev.uuid, d->uuid, 16);
		dev.domain = (int32_t)d->pci_domain;
		dev.bus = (int32_t)d->pci_bus;
		dev.device = (int32_t)d->pci_dev;
		md2_update(&m, &dev, sizeof(dev));
	}
	unsigned char digest[16];
	hmac_md2_final(&m, key, digest);
	memcpy(out, digest, 16);
	return CUDA_SUCCESS;
}

static const void *const integrity_table[3] = {
	[0] = SLOTS(3),
	[1] = (const void *)integrity,
};

/* ---- lookup ---- */


/* Every table id seen asked for, answered or not (its name is in
 * common/export_table_ids.c) and, for one refused, what the refusal
 * costs when that is known (noted for the trace when it is asked for). */
static const struct {
	unsigned char id[16];
	const void *table;
	const char *refusal;
} known[] = {
	{ UUID(6b, d5, fb, 6c, 5b, f4, e7, 4a, 89, 87, d9, 39, 12, fd, 9d, f9),
	  runtime_interface, NULL },
	{ UUID(a0, 94, 79, 8c, 2e, 74, 2e, 74, 93, f2, 08, 00, 20, 0c, 0a, 66),
	  tool_hooks, NULL },
	{ UUID(42, d8, 5a, 81, 23, f6, cb, 47, 82, 98, f6, e7, 8a, 3a, ec, dc),
	  tools_tls, NULL },
	{ UUID(c6, 93, 33, 6e, 11, 21, df, 11, a8, c3, 68, f3, 55, d8, 95, 93),
	  ctx_storage, NULL },
	{ UUID(26, 3e, 88, 60, 7c, d2, 61, 43, 92, f6, bb, d5, 00, 6d, fa, 7e),
	  ctx_checks, NULL },
	{ UUID(d4, 08, 20, 55, bd, e6, 70, 4b, 8d, 34, ba, 12, 3c, 66, e1, f2),
	  integrity_table, NULL },
	{ UUID(21, 31, 8c, 60, 97, 14, 32, 48, 8c, a6, 41, ff, 73, 24, c8, f2),
	  tools_context, NULL },
	{ UUID(6e, 16, 3f, be, b9, 58, 44, 4d, 83, 5c, e1, 82, af, f1, 99, 1e),
	  tools_module, NULL },
	/* Refused: the runtime's own start-up needs the refusal. */
	{ UUID(f8, cf, f9, 51, 21, 46, 8b, 4e, b9, e2, fb, 46, 9e, 7c, 0d, d9),
	  NULL, NULL },
	/* Refused: NVRTC asks for it and compiles without it. */
	{ UUID(da, 91, 51, d3, 3a, e6, cc, 41, a5, c0, 4f, 26, d5, 33, e3, 28),
	  NULL, NULL },
	/* Refused: the driver's callback machinery (subscribe and enable,
	 * called for every API call and launch) that CUPTI attaches to. */
	{ UUID(2c, 8e, 0a, d8, 07, 10, ab, 4e, 90, dd, 54, 71, 9f, e5, f7, 4b),
	  NULL,
	  "the simulated driver has no callbacks to subscribe to, so CUPTI "
	  "and the profilers built on it cannot attach (cuptiSubscribe "
	  "returns CUPTI_ERROR_UNKNOWN)" },
};

static int find_known(const CUuuid *id)
{
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (!memcmp(known[i].id, id->bytes, 16))
			return (int)i;
	return -1;
}

const void *sim_export_table(const CUuuid *id)
{
	int i = find_known(id);
	if (i < 0)
		return NULL;
	if (!known[i].table && known[i].refusal) {
		char u[48];
		sim_uuid_string((const unsigned char *)id->bytes, u, sizeof(u));
		sim_note("cuGetExportTable %s (%s): CUDA_ERROR_NOT_FOUND, %s",
			 u + 4, export_table_name(known[i].id), known[i].refusal);
	}
	return known[i].table;
}

const char *sim_export_table_name(const CUuuid *id)
{
	return export_table_name((const unsigned char *)id->bytes);
}
