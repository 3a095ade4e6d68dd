/* Call sites: the first call made from each return address records the
 * stack above it (VT_REC_CALLSITE, frames as "module+0xoffset"); every
 * enter record carries the site's id.  The table is a fixed open-addressed
 * array of return addresses claimed by compare-and-swap, so the common
 * case (a site seen before) is one multiply and one load. */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "interposer.h"

#define CS_BITS 12
#define CS_SLOTS (1u << CS_BITS)
#define CS_PROBES 32		/* a crowded table stops naming sites */
#define CS_FRAMES 6
#define CS_UNWIND 24		/* our own frames sit below the caller */

static _Atomic uintptr_t sites[CS_SLOTS];
static uint64_t pid_bits;
static char exe_path[1024];

static void after_fork_child(void)
{
	/* The child's trace has none of the parent's call-site records. */
	for (unsigned i = 0; i < CS_SLOTS; i++)
		atomic_store_explicit(&sites[i], 0, memory_order_relaxed);
	pid_bits = (uint64_t)getpid() << 47;
}

void vgpu_callsite_init(void)
{
	ssize_t n = readlink("/proc/self/exe", exe_path, sizeof(exe_path) - 1);
	exe_path[n > 0 ? n : 0] = 0;
	pid_bits = (uint64_t)getpid() << 47;
	pthread_atfork(NULL, NULL, after_fork_child);
}

/* User addresses fit in 47 bits: the pid above them keeps ids of
 * different processes in one trace apart. */
static uint64_t site_id(uintptr_t ret)
{
	return (uint64_t)ret ^ pid_bits;
}

static size_t frame_text(uintptr_t ip, char *buf, size_t len)
{
	Dl_info di;
	int n;
	if (dladdr((void *)ip, &di) && di.dli_fbase) {
		const char *mod = di.dli_fname && *di.dli_fname ? di.dli_fname :
			exe_path;
		n = snprintf(buf, len, "%s+0x%lx", mod,
			     (unsigned long)(ip - (uintptr_t)di.dli_fbase));
	} else {
		n = snprintf(buf, len, "?+0x%lx", (unsigned long)ip);
	}
	if (n < 0 || (size_t)n >= len)
		return 0;
	return (size_t)n + 1;
}

static void record_site(struct vgpu_thread *t, uintptr_t ret)
{
	void *ips[CS_UNWIND];
	int n = unw_backtrace(ips, CS_UNWIND);
	int first = 0;
	while (first < n && (uintptr_t)ips[first] != ret)
		first++;
	if (first >= n) {	/* could not unwind through the thunk */
		ips[0] = (void *)ret;
		first = 0;
		n = 1;
	}
	char text[CS_FRAMES * 512];
	size_t used = 0;
	uint32_t nframes = 0;
	for (int i = first; i < n && nframes < CS_FRAMES; i++) {
		size_t k = frame_text((uintptr_t)ips[i], text + used, 512);
		if (!k)
			continue;
		used += k;
		nframes++;
	}
	uint32_t size = VT_ALIGN8((uint32_t)(sizeof(struct vt_rec_callsite) + used));
	struct vt_rec_callsite *r = vgpu_ring_reserve(t, size);
	if (!r)
		return;
	r->h = (struct vt_rec_hdr){ VT_REC_CALLSITE, 0, size };
	r->id = site_id(ret);
	r->pid = (uint32_t)getpid();
	r->nframes = nframes;
	char *s = (char *)(r + 1);
	memcpy(s, text, used);
	memset(s + used, 0, size - sizeof(*r) - used);
	vgpu_ring_commit(t, size);
}

uint64_t vgpu_callsite(struct vgpu_thread *t, uintptr_t ret)
{
	if (!ret)
		return 0;
	uint32_t h = (uint32_t)(((uint64_t)ret * 0x9e3779b97f4a7c15ull) >>
				(64 - CS_BITS));
	for (unsigned i = 0; i < CS_PROBES; i++, h = (h + 1) & (CS_SLOTS - 1)) {
		uintptr_t k = atomic_load_explicit(&sites[h], memory_order_relaxed);
		if (__builtin_expect(k == ret, 1))
			return site_id(ret);
		if (k)
			continue;
		if (atomic_compare_exchange_strong(&sites[h], &k, ret)) {
			record_site(t, ret);
			return site_id(ret);
		}
		if (k == ret)	/* another thread claimed it first */
			return site_id(ret);
	}
	return 0;
}
