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
 * Slots we do not know stay NULL: a plausible stub that "succeeds"
 * without writing its outputs would fail later and far away.  Any other
 * UUID gets CUDA_ERROR_NOT_FOUND, never success with no table. */
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

static const struct {
	unsigned char id[16];
	const void *table;
} tables[] = {
	{ { 0x6b, 0xd5, 0xfb, 0x6c, 0x5b, 0xf4, 0xe7, 0x4a, 0x89, 0x87, 0xd9,
	    0x39, 0x12, 0xfd, 0x9d, 0xf9 }, runtime_interface },
	{ { 0xa0, 0x94, 0x79, 0x8c, 0x2e, 0x74, 0x2e, 0x74, 0x93, 0xf2, 0x08,
	    0x00, 0x20, 0x0c, 0x0a, 0x66 }, tool_hooks },
	{ { 0x42, 0xd8, 0x5a, 0x81, 0x23, 0xf6, 0xcb, 0x47, 0x82, 0x98, 0xf6,
	    0xe7, 0x8a, 0x3a, 0xec, 0xdc }, tools_tls },
	{ { 0xc6, 0x93, 0x33, 0x6e, 0x11, 0x21, 0xdf, 0x11, 0xa8, 0xc3, 0x68,
	    0xf3, 0x55, 0xd8, 0x95, 0x93 }, ctx_storage },
	{ { 0x26, 0x3e, 0x88, 0x60, 0x7c, 0xd2, 0x61, 0x43, 0x92, 0xf6, 0xbb,
	    0xd5, 0x00, 0x6d, 0xfa, 0x7e }, ctx_checks },
	{ { 0xd4, 0x08, 0x20, 0x55, 0xbd, 0xe6, 0x70, 0x4b, 0x8d, 0x34, 0xba,
	    0x12, 0x3c, 0x66, 0xe1, 0xf2 }, integrity_table },
};

const void *sim_export_table(const CUuuid *id)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!memcmp(tables[i].id, id->bytes, 16))
			return tables[i].table;
	return NULL;
}
