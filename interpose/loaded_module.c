/* Reading a loaded module's notes and dynamic symbols in place. */
#include <elf.h>
#include <string.h>

#include "loaded_module.h"

/* The marker itself: a note section, so the linker puts it in PT_NOTE
 * and any reader finds it through the program headers alone. */
struct vgpu_note_marker {
	ElfW(Word) namesz, descsz, type;
	char name[8];
	uint32_t desc;
};
__attribute__((section(".note.vgpu"), used, aligned(4)))
static const struct vgpu_note_marker marker = {
	5, 4, VGPU_NOTE_INTERPOSER, "vgpu", 1
};

bool vgpu_module_is_interposer(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *p = &info->dlpi_phdr[i];
		if (p->p_type != PT_NOTE)
			continue;
		const unsigned char *n = (const void *)(info->dlpi_addr + p->p_vaddr);
		const unsigned char *end = n + p->p_memsz;
		while ((size_t)(end - n) >= 12) {
			ElfW(Word) nsz, dsz, type;
			memcpy(&nsz, n, 4);
			memcpy(&dsz, n + 4, 4);
			memcpy(&type, n + 8, 4);
			size_t nal = (nsz + 3u) & ~3u, dal = (dsz + 3u) & ~3u;
			if (nal > (size_t)(end - n) - 12 ||
			    dal > (size_t)(end - n) - 12 - nal)
				break;
			if (type == VGPU_NOTE_INTERPOSER && nsz == 5 &&
			    !memcmp(n + 12, "vgpu", 5))
				return true;
			n += 12 + nal + dal;
		}
	}
	return false;
}

const ElfW(Dyn) *vgpu_module_dynamic(const struct dl_phdr_info *info)
{
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			return (const void *)(info->dlpi_addr +
					      info->dlpi_phdr[i].p_vaddr);
	return NULL;
}

uintptr_t vgpu_dyn_addr(uintptr_t base, uintptr_t v)
{
	/* ld.so relocates these in place for most objects, not the vDSO. */
	return v < base ? v + base : v;
}

/* DT_HASH gives the symbol count; DT_GNU_HASH only through its chains. */
static size_t gnu_hash_count(const uint32_t *h)
{
	uint32_t nbuckets = h[0], symoff = h[1], bloom = h[2];
	const uint32_t *buckets = h + 4 + bloom * (sizeof(ElfW(Addr)) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0;
	for (uint32_t b = 0; b < nbuckets; b++)
		if (buckets[b] > last)
			last = buckets[b];
	if (last < symoff)
		return symoff;
	while (!(chain[last - symoff] & 1))
		last++;
	return (size_t)last + 1;
}

void vgpu_module_functions(const struct dl_phdr_info *info,
			   vgpu_symbol_fn fn, void *arg)
{
	uintptr_t base = info->dlpi_addr;
	const ElfW(Dyn) *dyn = vgpu_module_dynamic(info);
	if (!dyn)
		return;
	const ElfW(Sym) *symtab = NULL;
	const char *strtab = NULL;
	const uint32_t *hash = NULL, *gnuhash = NULL;
	const ElfW(Half) *versym = NULL;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		void *p = (void *)vgpu_dyn_addr(base, dyn->d_un.d_ptr);
		switch (dyn->d_tag) {
		case DT_SYMTAB: symtab = p; break;
		case DT_STRTAB: strtab = p; break;
		case DT_HASH: hash = p; break;
		case DT_GNU_HASH: gnuhash = p; break;
		case DT_VERSYM: versym = p; break;
		}
	}
	if (!symtab || !strtab || (!hash && !gnuhash))
		return;
	size_t n = hash ? hash[1] : gnu_hash_count(gnuhash);
	for (size_t i = 1; i < n; i++) {
		const ElfW(Sym) *s = &symtab[i];
		if (s->st_shndx == SHN_UNDEF || ELF64_ST_TYPE(s->st_info) != STT_FUNC)
			continue;
		/* A hidden (non-default) version is an older ABI of the
		 * name: the default one is what a look-up by name finds. */
		if (versym && (versym[i] & 0x8000))
			continue;
		if (!fn(strtab + s->st_name, (void *)(base + s->st_value),
			s->st_size, arg))
			return;
	}
}
