/* The GOT route: the dlsym, dlvsym and dlopen imports (JUMP_SLOT and
 * GLOB_DAT, RELRO or not) of every loaded module are pointed at our
 * hooks, at start and after every dlopen, so a look-up of a driver entry
 * point through a handle of another CUDA driver (one no rule caught, or
 * opened with RTLD_DEEPBIND) still returns our thunk.  Imports of driver
 * functions already bound into such a library are re-pointed too.
 * Look-ups made by the backend itself are left alone: a driver that
 * resolves its own functions must get its own functions. */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "inline_hook.h"
#include "interposer.h"
#include "loaded_module.h"

void *vgpu_dlsym_hook(void *, const char *) HIDDEN;
void *vgpu_dlvsym_hook(void *, const char *, const char *) HIDDEN;
HIDDEN void *(*vgpu_real_dlsym)(void *, const char *) = dlsym;
HIDDEN void *(*vgpu_real_dlvsym)(void *, const char *, const char *) = dlvsym;
static uintptr_t backend_lo, backend_hi;
static bool backend_preloaded;
/* Held by the one thread walking the modules.  Nobody waits on it: a
 * walk asked for while one runs (from another thread, or from a dlopen
 * the walk itself set off) leaves `again` set and the walker goes round
 * once more.  So no thread inside the loader's lock (a constructor)
 * ever waits for a thread that may be waiting for the loader. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool again;
HIDDEN unsigned vgpu_got_patched;	/* GOT entries rewritten, for the trace */

static bool in_backend(const void *p)
{
	return (uintptr_t)p >= backend_lo && (uintptr_t)p < backend_hi;
}

/* A driver entry point found outside us and outside the backend, asked
 * for by someone other than the backend: hand out our thunk. */
static void *translate(void *p, const char *name, const void *caller)
{
	if (!p || !name || vgpu_is_ours(p) || in_backend(caller))
		return p;
	if (in_backend(p) && in_backend(caller))
		return p;
	int i = vgpu_static_index(name);
	return i >= 0 ? vgpu_static_thunks[i] : p;
}

HIDDEN void *vgpu_dlsym_c(void *h, const char *name, const void *caller)
{
	return translate(vgpu_real_dlsym(h, name), name, caller);
}

HIDDEN void *vgpu_dlvsym_c(void *h, const char *name, const char *ver,
			   const void *caller)
{
	return translate(vgpu_real_dlvsym(h, name, ver), name, caller);
}

static void patch_all(void);

/* Modules already patched and offered to the inline route, and those to
 * offer after the walk (dlopen may not be called from inside
 * dl_iterate_phdr).  A module is patched once: its imports, once ours,
 * stay ours, and re-reading every module's relocations on every dlopen
 * made a program that loads hundreds of extension modules (CuPy,
 * PyTorch) quadratic.  Any unload forgets them all, since another module
 * may then come to the same address. */
#define MAX_MODULES 512
static struct { uintptr_t addr; const void *phdr; } seen[MAX_MODULES];
static unsigned nseen;
static unsigned long long seen_subs;
static struct dl_phdr_info pending[64];
static unsigned npending;
/* Libraries the inline route patched, to pin once the walk is over. */
static const char *to_pin[16];
static unsigned nto_pin;

static bool seen_before(const struct dl_phdr_info *info)
{
	if (info->dlpi_subs != seen_subs) {
		nseen = 0;
		seen_subs = info->dlpi_subs;
	}
	for (unsigned i = 0; i < nseen; i++)
		if (seen[i].addr == info->dlpi_addr && seen[i].phdr == info->dlpi_phdr)
			return true;
	return false;
}

/* Done with a module: remembered and queued for the inline route, or,
 * without room for both, left to be patched again by the next walk. */
static void done_with(const struct dl_phdr_info *info, bool offer)
{
	if (nseen == MAX_MODULES || npending == 64)
		return;
	seen[nseen].addr = info->dlpi_addr;
	seen[nseen++].phdr = info->dlpi_phdr;
	if (offer)
		pending[npending++] = *info;
}

static void *dlopen_hook(const char *file, int mode)
{
	void *h = dlopen(file, mode);
	if (h)
		patch_all();
	return h;
}

static void write_got(uintptr_t addr, void *val, uintptr_t relro_lo,
		      uintptr_t relro_hi)
{
	if (*(void **)addr == val)
		return;
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t page = addr & ~(uintptr_t)(pg - 1);
	bool ro = addr >= relro_lo && addr < relro_hi;
	if (ro && mprotect((void *)page, (size_t)pg, PROT_READ | PROT_WRITE))
		return;
	__atomic_store_n((void **)addr, val, __ATOMIC_RELEASE);
	vgpu_got_patched++;
	if (ro)
		mprotect((void *)page, (size_t)pg, PROT_READ);
}

static void patch_relocs(uintptr_t base, const ElfW(Rela) *rel, size_t n,
			 const ElfW(Sym) *symtab, const char *strtab,
			 uintptr_t rlo, uintptr_t rhi)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t type = ELF64_R_TYPE(rel[i].r_info);
		if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT)
			continue;
		const char *name = strtab + symtab[ELF64_R_SYM(rel[i].r_info)].st_name;
		uintptr_t got = base + rel[i].r_offset;
		if (!strcmp(name, "dlsym"))
			write_got(got, (void *)vgpu_dlsym_hook, rlo, rhi);
		else if (!strcmp(name, "dlvsym"))
			write_got(got, (void *)vgpu_dlvsym_hook, rlo, rhi);
		else if (!strcmp(name, "dlopen"))
			write_got(got, (void *)dlopen_hook, rlo, rhi);
		else if (name[0] == 'c' && name[1] == 'u') {
			void *cur = *(void **)got;
			int k = vgpu_static_index(name);
			if (k >= 0 && cur && !vgpu_is_ours(cur) && !in_backend(cur))
				write_got(got, vgpu_static_thunks[k], rlo, rhi);
		}
	}
}

static int patch_module(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	(void)data;
	uintptr_t base = info->dlpi_addr;
	const char *n = info->dlpi_name ? info->dlpi_name : "";
	if (seen_before(info))
		return 0;
	/* Never the loader, libc, sanitizer runtimes (they intercept dlsym
	 * themselves), the backend or an interposer library, ours included. */
	if (strstr(n, "ld-linux") || strstr(n, "/libc.so") ||
	    strstr(n, "/libasan.so") || strstr(n, "/libubsan.so") ||
	    strstr(n, "libdl.so") || strstr(n, "linux-vdso") ||
	    vgpu_module_is_interposer(info))
		return 0;
	if (base && in_backend((void *)(base + 1 + info->dlpi_phdr[0].p_vaddr))) {
		/* The backend's entries are the handler, except that a
		 * program which had it loaded before us may hold pointers. */
		done_with(info, backend_preloaded);
		return 0;
	}
	const ElfW(Dyn) *dyn = vgpu_module_dynamic(info);
	if (!dyn)
		return 0;
	uintptr_t rlo = 0, rhi = 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type == PT_GNU_RELRO) {
			rlo = base + p->p_vaddr;
			rhi = rlo + p->p_memsz;
		}
	}
	uintptr_t symtab = 0, strtab = 0, jmprel = 0, rela = 0;
	size_t pltsz = 0, relasz = 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = vgpu_dyn_addr(base, dyn->d_un.d_ptr); break;
		case DT_STRTAB: strtab = vgpu_dyn_addr(base, dyn->d_un.d_ptr); break;
		case DT_JMPREL: jmprel = vgpu_dyn_addr(base, dyn->d_un.d_ptr); break;
		case DT_PLTRELSZ: pltsz = dyn->d_un.d_val; break;
		case DT_RELA: rela = vgpu_dyn_addr(base, dyn->d_un.d_ptr); break;
		case DT_RELASZ: relasz = dyn->d_un.d_val; break;
		}
	}
	if (!symtab || !strtab)
		return 0;
	unsigned before = vgpu_got_patched;
	if (jmprel)
		patch_relocs(base, (const void *)jmprel, pltsz / sizeof(ElfW(Rela)),
			     (const void *)symtab, (const char *)strtab, rlo, rhi);
	if (rela)
		patch_relocs(base, (const void *)rela, relasz / sizeof(ElfW(Rela)),
			     (const void *)symtab, (const char *)strtab, rlo, rhi);
	if (vgpu_got_patched != before) {
		char line[600];
		snprintf(line, sizeof(line), "%s: got, %u import(s) re-pointed",
			 *n ? n : "(program)", vgpu_got_patched - before);
		vgpu_note("route", line);
	}
	done_with(info, true);
	return 0;
}

static int find_backend(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (info->dlpi_addr != (uintptr_t)data)
		return 0;
	backend_lo = UINTPTR_MAX;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_LOAD)
			continue;
		uintptr_t a = info->dlpi_addr + p->p_vaddr;
		if (a < backend_lo)
			backend_lo = a;
		if (a + p->p_memsz > backend_hi)
			backend_hi = a + p->p_memsz;
	}
	return 1;
}

static void walk_once(void)
{
	dl_iterate_phdr(patch_module, NULL);
	for (unsigned i = 0; i < npending; i++)
		if (vgpu_inline_module(&pending[i], vgpu_note) &&
		    nto_pin < sizeof(to_pin) / sizeof(to_pin[0]))
			to_pin[nto_pin++] = pending[i].dlpi_name;
	npending = 0;
}

static void patch_all(void)
{
	atomic_store(&again, true);
	while (atomic_load(&again)) {
		if (pthread_mutex_trylock(&lock))
			return;		/* the walker goes round again */
		while (atomic_exchange(&again, false))
			walk_once();
		const char *pin[sizeof(to_pin) / sizeof(to_pin[0])];
		unsigned npin = nto_pin;
		memcpy(pin, to_pin, npin * sizeof(*pin));
		nto_pin = 0;
		pthread_mutex_unlock(&lock);
		/* A patched library must never be unmapped under its
		 * trampolines.  dlopen takes the loader's lock, so only now. */
		for (unsigned i = 0; i < npin; i++) {
			void *h = dlopen(pin[i], RTLD_LAZY | RTLD_NOLOAD | RTLD_NODELETE);
			if (h)
				dlclose(h);
		}
	}
}

/* True when the backend's link map comes before ours: the program loaded
 * that library itself (same file, so the loader shared it) before it
 * loaded us. */
static bool loaded_before_us(const struct link_map *backend)
{
	Dl_info di;
	struct link_map *self = NULL;
	if (!dladdr1((void *)vgpu_got_init, &di, (void **)&self, RTLD_DL_LINKMAP) ||
	    !self)
		return false;
	for (const struct link_map *l = backend; l; l = l->l_next)
		if (l == self)
			return true;
	return false;
}

void vgpu_got_init(void)
{
	struct link_map *lm;
	if (vgpu_backend && dlinfo(vgpu_backend, RTLD_DI_LINKMAP, &lm) == 0) {
		dl_iterate_phdr(find_backend, (void *)lm->l_addr);
		backend_preloaded = loaded_before_us(lm);
		if (!backend_preloaded) {
			char line[600];
			snprintf(line, sizeof(line), "%s: none, loaded by us as the backend",
				 lm->l_name);
			vgpu_note("route", line);
		}
	}
	patch_all();
}
