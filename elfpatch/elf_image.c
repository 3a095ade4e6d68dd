/* Reads the dynamic-linking structures of an ELF file with libelf.
 *
 * Everything is located the way ld.so locates it (PT_DYNAMIC, then
 * addresses in .dynamic mapped through PT_LOAD), because that is what an
 * edit must keep consistent; section headers only cross-check.  Every
 * offset read from the file is bounds-checked before use: this is the
 * code the fuzz target runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "elf_image.h"

#define DYN_SIZE 16
#define SYM_SIZE 24
#define VERNEED_SIZE 16
#define VERNAUX_SIZE 16
#define VERDEF_SIZE 20
#define VERDAUX_SIZE 8


bool dyn_tag_is_string(int64_t tag)
{
	switch (tag) {
	case DT_NEEDED: case DT_SONAME: case DT_RPATH: case DT_RUNPATH:
	case DT_AUXILIARY: case DT_FILTER: case DT_CONFIG: case DT_DEPAUDIT:
	case DT_AUDIT:
		return true;
	}
	return false;
}

static bool in_file(const struct elf_image *im, uint64_t off, uint64_t len)
{
	return off <= im->size && len <= im->size - off;
}

/* Maps [addr, addr+len) to a file offset through the PT_LOAD that holds
 * all of it in its file-backed part; -1 when none does. */
static int vaddr_to_off(const struct elf_image *im, uint64_t addr,
			uint64_t len, uint64_t *off)
{
	size_t n;
	if (elf_getphdrnum(im->elf, &n))
		return -1;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(im->elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		if (addr < ph.p_vaddr || addr - ph.p_vaddr > ph.p_filesz ||
		    len > ph.p_filesz - (addr - ph.p_vaddr))
			continue;
		uint64_t o = ph.p_offset + (addr - ph.p_vaddr);
		if (o < ph.p_offset || !in_file(im, o, len))
			return -1;
		*off = o;
		return 0;
	}
	return -1;
}

const char *elf_image_str(const struct elf_image *im, uint64_t off)
{
	if (off >= im->str_size)
		return NULL;
	const char *s = (const char *)im->raw + im->str_off + off;
	if (!memchr(s, 0, im->str_size - off))
		return NULL;
	return s;
}

static int check_ident(const struct elf_image *im, char *err, size_t errlen)
{
	const unsigned char *id = im->raw;
	if (im->size < EI_NIDENT || memcmp(id, ELFMAG, SELFMAG))
		return err_set(err, errlen, "not an ELF file (no ELF magic at byte 0)");
	if (id[EI_CLASS] == ELFCLASS32)
		return err_set(err, errlen, "32-bit ELF (ELFCLASS32) is not supported: "
			    "only 64-bit little-endian files");
	if (id[EI_CLASS] != ELFCLASS64)
		return err_set(err, errlen, "invalid ELF class %u at byte %d",
			    id[EI_CLASS], EI_CLASS);
	if (id[EI_DATA] == ELFDATA2MSB)
		return err_set(err, errlen, "big-endian ELF (ELFDATA2MSB) is not supported: "
			    "only 64-bit little-endian files");
	if (id[EI_DATA] != ELFDATA2LSB)
		return err_set(err, errlen, "invalid ELF data encoding %u at byte %d",
			    id[EI_DATA], EI_DATA);
	return 0;
}

/* Program headers: PT_DYNAMIC and PT_INTERP. */
static int read_segments(struct elf_image *im, char *err, size_t errlen)
{
	GElf_Ehdr eh;
	if (!gelf_getehdr(im->elf, &eh))
		return err_set(err, errlen, "truncated or invalid ELF header: %s",
			    elf_errmsg(-1));
	im->type = eh.e_type;
	if (eh.e_type != ET_EXEC && eh.e_type != ET_DYN)
		return err_set(err, errlen, "ELF type %u is neither an executable nor "
			    "a shared object", eh.e_type);
	size_t n;
	if (elf_getphdrnum(im->elf, &n))
		return err_set(err, errlen, "unreadable program headers: %s",
			    elf_errmsg(-1));
	if (!in_file(im, eh.e_phoff, (uint64_t)n * sizeof(Elf64_Phdr)))
		return err_set(err, errlen, "program headers at byte 0x%llx run past "
			    "the end of the file", (unsigned long long)eh.e_phoff);
	GElf_Phdr dyn = { .p_type = PT_NULL };
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(im->elf, (int)i, &ph))
			return err_set(err, errlen, "unreadable program header %zu: %s",
				    i, elf_errmsg(-1));
		if (ph.p_type == PT_DYNAMIC && dyn.p_type == PT_NULL)
			dyn = ph;
		if (ph.p_type == PT_INTERP && !im->interp) {
			if (!in_file(im, ph.p_offset, ph.p_filesz) || !ph.p_filesz ||
			    !memchr(im->raw + ph.p_offset, 0, ph.p_filesz))
				return err_set(err, errlen, "PT_INTERP at byte 0x%llx is "
					    "not a string inside the file",
					    (unsigned long long)ph.p_offset);
			im->interp = (const char *)im->raw + ph.p_offset;
		}
	}
	if (dyn.p_type == PT_NULL)
		return err_set(err, errlen, "no dynamic section (statically linked?)");
	if (!in_file(im, dyn.p_offset, dyn.p_filesz) || dyn.p_filesz < DYN_SIZE)
		return err_set(err, errlen, "PT_DYNAMIC at byte 0x%llx (%llu bytes) "
			    "does not fit in the file", (unsigned long long)dyn.p_offset,
			    (unsigned long long)dyn.p_filesz);
	uint64_t mapped;
	if (vaddr_to_off(im, dyn.p_vaddr, dyn.p_filesz, &mapped) ||
	    mapped != dyn.p_offset)
		return err_set(err, errlen, "PT_DYNAMIC at byte 0x%llx is not where "
			    "its PT_LOAD maps address 0x%llx",
			    (unsigned long long)dyn.p_offset,
			    (unsigned long long)dyn.p_vaddr);
	im->dyn_off = dyn.p_offset;
	im->dyn_slots = dyn.p_filesz / DYN_SIZE;
	return 0;
}

static int read_dynamic(struct elf_image *im, char *err, size_t errlen)
{
	Elf_Data *d = elf_getdata_rawchunk(im->elf, (int64_t)im->dyn_off,
					   im->dyn_slots * DYN_SIZE, ELF_T_DYN);
	if (!d)
		return err_set(err, errlen, "unreadable .dynamic at byte 0x%llx: %s",
			    (unsigned long long)im->dyn_off, elf_errmsg(-1));
	im->dyn = calloc(im->dyn_slots, sizeof(*im->dyn));
	if (!im->dyn)
		return err_set(err, errlen, "out of memory");
	im->dyn_live = im->dyn_slots;
	for (size_t i = 0; i < im->dyn_slots; i++) {
		if (!gelf_getdyn(d, (int)i, &im->dyn[i]))
			return err_set(err, errlen, "unreadable .dynamic entry %zu", i);
		if (im->dyn[i].d_tag == DT_NULL && im->dyn_live == im->dyn_slots)
			im->dyn_live = i;
	}
	if (im->dyn_live == im->dyn_slots)
		return err_set(err, errlen, ".dynamic at byte 0x%llx has no DT_NULL "
			    "terminator", (unsigned long long)im->dyn_off);
	return 0;
}

/* The first value of tag among the live entries; false when absent. */
static bool dyn_find(const struct elf_image *im, int64_t tag, uint64_t *val)
{
	for (size_t i = 0; i < im->dyn_live; i++)
		if (im->dyn[i].d_tag == tag) {
			*val = im->dyn[i].d_un.d_val;
			return true;
		}
	return false;
}

static uint64_t dyn_entry_off(const struct elf_image *im, size_t i)
{
	return im->dyn_off + i * DYN_SIZE;
}

static int read_strtab(struct elf_image *im, char *err, size_t errlen)
{
	uint64_t addr, size;
	bool has_addr = dyn_find(im, DT_STRTAB, &addr);
	bool has_size = dyn_find(im, DT_STRSZ, &size);
	if (!has_addr || !has_size) {
		for (size_t i = 0; i < im->dyn_live; i++)
			if (dyn_tag_is_string(im->dyn[i].d_tag))
				return err_set(err, errlen, ".dynamic has string entries "
					    "but no DT_STRTAB/DT_STRSZ");
		return 0;
	}
	if (vaddr_to_off(im, addr, size, &im->str_off))
		return err_set(err, errlen, "DT_STRTAB 0x%llx (+%llu bytes) is not "
			    "inside a loaded segment of the file",
			    (unsigned long long)addr, (unsigned long long)size);
	im->str_size = size;
	for (size_t i = 0; i < im->dyn_live; i++)
		if (dyn_tag_is_string(im->dyn[i].d_tag) &&
		    !elf_image_str(im, im->dyn[i].d_un.d_val))
			return err_set(err, errlen, ".dynamic entry %zu at byte 0x%llx "
				    "names .dynstr offset %llu, outside DT_STRSZ %llu",
				    i, (unsigned long long)dyn_entry_off(im, i),
				    (unsigned long long)im->dyn[i].d_un.d_val,
				    (unsigned long long)im->str_size);
	return 0;
}

/* How many dynamic symbols there are: the .dynsym section header when it
 * describes the same table, else DT_HASH's nchain.  (DT_GNU_HASH alone
 * does not say; then the count stays unknown and edits that must prove
 * a .dynstr byte unreferenced are not attempted.) */
static int read_symtab(struct elf_image *im, char *err, size_t errlen)
{
	uint64_t addr;
	if (!dyn_find(im, DT_SYMTAB, &addr))
		return 0;
	if (vaddr_to_off(im, addr, SYM_SIZE, &im->sym_off))
		return err_set(err, errlen, "DT_SYMTAB 0x%llx is not inside a loaded "
			    "segment", (unsigned long long)addr);
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(im->elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		if (sh.sh_offset != im->sym_off || sh.sh_entsize != SYM_SIZE)
			return err_set(err, errlen, ".dynsym section at byte 0x%llx "
				    "disagrees with DT_SYMTAB at byte 0x%llx",
				    (unsigned long long)sh.sh_offset,
				    (unsigned long long)im->sym_off);
		im->sym_count = sh.sh_size / SYM_SIZE;
		im->sym_count_known = true;
		break;
	}
	uint64_t hash, hoff;
	if (!im->sym_count_known && dyn_find(im, DT_HASH, &hash) &&
	    !vaddr_to_off(im, hash, 8, &hoff)) {
		im->sym_count = le32(im->raw + hoff + 4);
		im->sym_count_known = true;
	}
	if (im->sym_count_known &&
	    !in_file(im, im->sym_off, (uint64_t)im->sym_count * SYM_SIZE))
		return err_set(err, errlen, "%zu dynamic symbols at byte 0x%llx run "
			    "past the end of the file", im->sym_count,
			    (unsigned long long)im->sym_off);
	if (im->sym_count_known && dyn_find(im, DT_VERSYM, &addr) &&
	    vaddr_to_off(im, addr, (uint64_t)im->sym_count * 2, &im->versym_off))
		return err_set(err, errlen, "DT_VERSYM 0x%llx is not inside a loaded "
			    "segment", (unsigned long long)addr);
	return 0;
}

static int read_verneed(struct elf_image *im, char *err, size_t errlen)
{
	uint64_t addr, num;
	if (!dyn_find(im, DT_VERNEED, &addr))
		return 0;
	if (!dyn_find(im, DT_VERNEEDNUM, &num) || num > im->size / VERNEED_SIZE)
		return err_set(err, errlen, "DT_VERNEED without a plausible "
			    "DT_VERNEEDNUM");
	uint64_t off;
	if (vaddr_to_off(im, addr, VERNEED_SIZE, &off))
		return err_set(err, errlen, "DT_VERNEED 0x%llx is not inside a loaded "
			    "segment", (unsigned long long)addr);
	im->vn = calloc(num ? num : 1, sizeof(*im->vn));
	if (!im->vn)
		return err_set(err, errlen, "out of memory");
	for (uint64_t i = 0; i < num; i++) {
		if (!in_file(im, off, VERNEED_SIZE))
			return err_set(err, errlen, "Verneed %llu at byte 0x%llx runs "
				    "past the end of the file", (unsigned long long)i,
				    (unsigned long long)off);
		const unsigned char *p = im->raw + off;
		struct verneed *v = &im->vn[im->vn_count++];
		v->off = off;
		v->cnt = le16(p + 2);
		v->file = le32(p + 4);
		v->aux_off = off + le32(p + 8);
		if (!elf_image_str(im, v->file))
			return err_set(err, errlen, "Verneed at byte 0x%llx names "
				    ".dynstr offset %u, outside DT_STRSZ",
				    (unsigned long long)off, v->file);
		uint32_t next = le32(p + 12);
		if (!next && i + 1 < num)
			return err_set(err, errlen, "Verneed chain ends after %llu of "
				    "DT_VERNEEDNUM %llu entries",
				    (unsigned long long)i + 1, (unsigned long long)num);
		off += next;
	}
	if (dyn_find(im, DT_VERDEF, &addr)) {
		uint64_t cnt = 0;
		dyn_find(im, DT_VERDEFNUM, &cnt);
		if (cnt > im->size / VERDEF_SIZE ||
		    vaddr_to_off(im, addr, VERDEF_SIZE, &im->verdef_off))
			return err_set(err, errlen, "DT_VERDEF 0x%llx is not inside a "
				    "loaded segment", (unsigned long long)addr);
		im->verdef_count = cnt;
		/* Only the first entry may be the base one (binutils' rule). */
		const unsigned char *p = im->raw + im->verdef_off;
		uint64_t aux = im->verdef_off + le32(p + 12);
		if (cnt && (le16(p + 2) & VER_FLG_BASE) && le16(p + 6) &&
		    in_file(im, aux, VERDAUX_SIZE)) {
			im->base_name_at = aux;
			im->base_name = le32(im->raw + aux);
			if (!elf_image_str(im, im->base_name))
				return err_set(err, errlen, "base Verdef at byte 0x%llx "
					    "names .dynstr offset %u, outside DT_STRSZ",
					    (unsigned long long)im->verdef_off,
					    im->base_name);
		}
	}
	return 0;
}

int elf_image_each_static_ref(const struct elf_image *im,
			      void (*fn)(uint64_t off, void *arg), void *arg)
{
	for (size_t i = 0; i < im->sym_count; i++) {
		uint32_t name = le32(im->raw + im->sym_off + i * SYM_SIZE);
		if (name)
			fn(name, arg);
	}
	for (size_t i = 0; i < im->vn_count; i++) {
		uint64_t a = im->vn[i].aux_off;
		for (unsigned j = 0; j < im->vn[i].cnt; j++) {
			if (!in_file(im, a, VERNAUX_SIZE))
				return -1;
			fn(le32(im->raw + a + 8), arg);
			uint32_t next = le32(im->raw + a + 12);
			if (!next)
				break;
			a += next;
		}
	}
	uint64_t d = im->verdef_off;
	for (size_t i = 0; d && i < im->verdef_count; i++) {
		if (!in_file(im, d, VERDEF_SIZE))
			return -1;
		const unsigned char *p = im->raw + d;
		uint64_t a = d + le32(p + 12);
		for (unsigned j = 0; j < le16(p + 6); j++) {
			if (!in_file(im, a, VERDAUX_SIZE))
				return -1;
			if (a != im->base_name_at)
				fn(le32(im->raw + a), arg);
			uint32_t next = le32(im->raw + a + 4);
			if (!next)
				break;
			a += next;
		}
		uint32_t next = le32(p + 16);
		if (!next)
			break;
		d += next;
	}
	return 0;
}

struct ref_check {
	const struct elf_image *im;
	uint64_t bad;
	bool any_bad;
};

static void check_ref(uint64_t off, void *arg)
{
	struct ref_check *c = arg;
	if (!c->any_bad && !elf_image_str(c->im, off)) {
		c->any_bad = true;
		c->bad = off;
	}
}

int elf_image_open(struct elf_image *im, Elf *e, char *err, size_t errlen)
{
	memset(im, 0, sizeof(*im));
	im->elf = e;
	im->raw = (const unsigned char *)elf_rawfile(e, &im->size);
	if (!im->raw)
		return err_set(err, errlen, "unreadable: %s", elf_errmsg(-1));
	if (check_ident(im, err, errlen) || read_segments(im, err, errlen) ||
	    read_dynamic(im, err, errlen) || read_strtab(im, err, errlen) ||
	    read_symtab(im, err, errlen) || read_verneed(im, err, errlen))
		return -1;
	size_t shnum;
	if (elf_getshdrnum(e, &shnum))
		return err_set(err, errlen, "unreadable section headers: %s",
			    elf_errmsg(-1));
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (gelf_getshdr(scn, &sh) && sh.sh_type == SHT_DYNAMIC &&
		    sh.sh_offset != im->dyn_off)
			return err_set(err, errlen, ".dynamic section at byte 0x%llx "
				    "but PT_DYNAMIC at byte 0x%llx",
				    (unsigned long long)sh.sh_offset,
				    (unsigned long long)im->dyn_off);
	}
	uint64_t flags1 = 0;
	dyn_find(im, DT_FLAGS_1, &flags1);
	im->executable = im->type == ET_EXEC || im->interp || (flags1 & DF_1_PIE);
	struct ref_check c = { .im = im };
	if (elf_image_each_static_ref(im, check_ref, &c))
		return err_set(err, errlen, "version structures run past the end of "
			    "the file");
	if (c.any_bad)
		return err_set(err, errlen, "a symbol or version name points at "
			    ".dynstr offset %llu, outside DT_STRSZ %llu",
			    (unsigned long long)c.bad,
			    (unsigned long long)im->str_size);
	return 0;
}

void elf_image_close(struct elf_image *im)
{
	free(im->dyn);
	free(im->vn);
	im->dyn = NULL;
	im->vn = NULL;
}
