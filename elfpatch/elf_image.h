/* The parts of a 64-bit little-endian ELF file that the dynamic loader
 * reads for DT_NEEDED, DT_SONAME and DT_RUNPATH, located through the
 * program headers (the loader's view) and cross-checked against the
 * section headers when the file has them. */
#ifndef VGPU_ELFPATCH_ELF_IMAGE_H
#define VGPU_ELFPATCH_ELF_IMAGE_H

#include <gelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One Elf64_Verneed: a library the file needs versions from. */
struct verneed {
	uint64_t off;       /* file offset of the entry */
	uint32_t file;      /* vn_file: .dynstr offset of the library name */
	uint16_t cnt;       /* vn_cnt */
	uint64_t aux_off;   /* file offset of its first Vernaux */
};

struct elf_image {
	Elf *elf;
	const unsigned char *raw;   /* the whole file, as libelf maps it */
	size_t size;
	uint16_t type;              /* e_type */
	bool executable;            /* ET_EXEC, PT_INTERP or DF_1_PIE */
	const char *interp;         /* PT_INTERP string, NULL when none */

	uint64_t dyn_off;           /* PT_DYNAMIC */
	size_t dyn_slots;           /* 16-byte slots PT_DYNAMIC holds */
	size_t dyn_live;            /* entries before the first DT_NULL */
	GElf_Dyn *dyn;              /* dyn_slots entries, as in the file */

	uint64_t str_off;           /* DT_STRTAB as a file offset */
	uint64_t str_size;          /* DT_STRSZ */

	uint64_t sym_off;           /* DT_SYMTAB as a file offset */
	size_t sym_count;           /* 0 when it cannot be known */
	bool sym_count_known;
	uint64_t versym_off;        /* DT_VERSYM, 0 when none */

	struct verneed *vn;         /* the DT_VERNEED chain */
	size_t vn_count;
	uint64_t verdef_off;        /* DT_VERDEF, 0 when none */
	size_t verdef_count;
	/* The base Verdef (VER_FLG_BASE) names the file itself, after its
	 * SONAME; its vda_name follows a --set-soname like vn_file follows
	 * a renamed DT_NEEDED.  base_name_at is 0 when there is none. */
	uint64_t base_name_at;      /* file offset of that vda_name field */
	uint32_t base_name;
};

/* Parses e (opened by the caller with ELF_C_READ_MMAP or elf_memory).
 * On failure returns -1 with a one-line reason in err, naming the byte
 * offset where it applies. */
int elf_image_open(struct elf_image *im, Elf *e, char *err, size_t errlen);
void elf_image_close(struct elf_image *im);

/* The NUL-terminated string at .dynstr offset off, or NULL when off is
 * outside DT_STRSZ or the string runs past it. */
const char *elf_image_str(const struct elf_image *im, uint64_t off);

/* Tags whose d_val is a .dynstr offset. */
bool dyn_tag_is_string(int64_t tag);

/* Calls fn for every .dynstr offset that something other than .dynamic,
 * vn_file and the base version's name refers to: dynamic symbol names,
 * Vernaux and other Verdaux names.  Returns -1 when a structure runs outside the file. */
int elf_image_each_static_ref(const struct elf_image *im,
			      void (*fn)(uint64_t off, void *arg), void *arg);

/* Little-endian loads from the mapped file; the caller checks bounds. */
static inline uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const unsigned char *p)
{
	return le32(p) | (uint64_t)le32(p + 4) << 32;
}
static inline void put_le32(unsigned char *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}
static inline void put_le64(unsigned char *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (unsigned char)(v >> (8 * i));
}

#endif
