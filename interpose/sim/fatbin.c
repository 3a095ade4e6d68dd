/* Reading CUDA module images: the fat binary container nvcc embeds in
 * host objects, the cubin ELF inside it, and PTX text.
 *
 * Fat binary container (little-endian):
 *   header   u32 magic 0xba55ed50, u16 version, u16 header size,
 *            u64 size of the entries that follow
 *   entries  u16 kind (1 PTX, 2 ELF), u16 version, u32 header size
 *            (64 to 112 in CUDA 13's libraries), u64 payload size,
 *            u32 compressed size, u32 -, u16 -, u16 -,
 *            u32 arch (sm number: 90), u32 name offset, u32 name length,
 *            u64 flags (0x2000 LZ4, 0x8000 zstd: fatbin_decompress.c),
 *            u64 -, u64 uncompressed size (0 when not compressed);
 *            the payload follows the header.
 * A fitting entry that cannot be read is skipped with a note; the image
 * is rejected only when no fitting entry remains.
 *
 * In a cubin, each kernel is a STT_FUNC symbol (global, or local with
 * st_other bit 0x10) with a section
 * ".nv.info.<kernel>" of attribute records: u8 format, u8 attribute, then
 * for format 4 a u16 size and that many bytes, else a u16 value.  The
 * record EIATTR_KPARAM_INFO (0x17) describes one parameter: u32 -, u16
 * ordinal, u16 offset, u32 with the size in bits 18..31;
 * EIATTR_CBANK_PARAM_SIZE (0x19) carries the size of the whole block. */
#include "driver.h"
#include "cubin_info.h"
#include "fatbin_decompress.h"

#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FATBIN_MAGIC 0xba55ed50u
#define FATBIN_KIND_PTX 1
#define FATBIN_KIND_ELF 2
#define FATBIN_ENTRY_MIN 64
#define EIATTR_KPARAM_INFO 0x17
#define EIATTR_CBANK_PARAM_SIZE 0x19
#define STO_CUDA_ENTRY 0x10	/* st_other of a kernel's symbol */

static uint16_t rd16(const unsigned char *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const unsigned char *p) { uint64_t v; memcpy(&v, p, 8); return v; }

struct klist {
	struct sim_kernel *v;
	int n, cap;
};

static struct sim_kernel *kl_find(struct klist *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].name, name))
			return &l->v[i];
	return NULL;
}

static struct sim_kernel *kl_add(struct klist *l, const char *name, size_t len)
{
	if (l->n == l->cap) {
		int ncap = l->cap ? l->cap * 2 : 16;
		struct sim_kernel *nv = realloc(l->v, (size_t)ncap * sizeof(*nv));
		if (!nv)
			return NULL;
		l->v = nv;
		l->cap = ncap;
	}
	struct sim_kernel *k = &l->v[l->n];
	memset(k, 0, sizeof(*k));
	k->name = strndup(name, len);
	if (!k->name)
		return NULL;
	l->n++;
	return k;
}

/* The parameters of one kernel from its .nv.info section. */
static void parse_nv_info(struct sim_kernel *k, const unsigned char *p,
			  size_t len)
{
	unsigned short size[1024] = { 0 }, off[1024] = { 0 };
	int n = 0;
	struct nv_info_rec r;
	size_t pos = 0;
	while (nv_info_next(p, len, &pos, &r)) {
		if (r.attr == EIATTR_KPARAM_INFO && r.fmt == EIFMT_SVAL &&
		    r.len >= 12) {
			unsigned ord = rd16(r.val + 4);
			if (ord < 1024) {
				off[ord] = rd16(r.val + 6);
				size[ord] = (unsigned short)(rd32(r.val + 8) >> 18);
				if ((int)ord + 1 > n)
					n = (int)ord + 1;
			}
		} else if (r.attr == EIATTR_CBANK_PARAM_SIZE) {
			k->param_bytes = r.sval;
		}
	}
	if (k->param_size || n == 0)
		return;
	k->param_size = malloc((size_t)n * sizeof(*size));
	k->param_off = malloc((size_t)n * sizeof(*off));
	if (!k->param_size || !k->param_off) {
		free(k->param_size);
		free(k->param_off);
		k->param_size = k->param_off = NULL;
		return;
	}
	memcpy(k->param_size, size, (size_t)n * sizeof(*size));
	memcpy(k->param_off, off, (size_t)n * sizeof(*off));
	k->nparams = n;
}

/* Bytes an ELF image spans, from its headers (a cubin handed to
 * cuModuleLoadData comes without a length). */
static size_t elf_extent(const unsigned char *p, size_t maxlen)
{
	if (maxlen < sizeof(Elf64_Ehdr) || memcmp(p, ELFMAG, SELFMAG) ||
	    p[EI_CLASS] != ELFCLASS64)
		return 0;
	Elf64_Ehdr eh;
	memcpy(&eh, p, sizeof(eh));
	size_t end = eh.e_shoff + (size_t)eh.e_shnum * eh.e_shentsize;
	size_t pend = eh.e_phoff + (size_t)eh.e_phnum * eh.e_phentsize;
	if (pend > end)
		end = pend;
	if (eh.e_shentsize != sizeof(Elf64_Shdr) || end > maxlen)
		return 0;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		Elf64_Shdr sh;
		memcpy(&sh, p + eh.e_shoff + (size_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_type != SHT_NOBITS && sh.sh_offset + sh.sh_size > end)
			end = sh.sh_offset + sh.sh_size;
	}
	return end <= maxlen ? end : 0;
}

/* __device__ and __constant__ variables live in .nv.global* and
 * .nv.constant<N> sections other than the kernels' parameter banks. */
static int add_var(Elf *e, size_t shstrndx, const GElf_Sym *s,
		   const char *name, struct klist *l)
{
	GElf_Shdr sh;
	Elf_Scn *scn = elf_getscn(e, s->st_shndx);
	const char *sn = scn && gelf_getshdr(scn, &sh)
				 ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
	if (!name || !*name || !sn || kl_find(l, name) ||
	    (strncmp(sn, ".nv.global", 10) && strncmp(sn, ".nv.constant", 12)))
		return 0;
	struct sim_kernel *k = kl_add(l, name, strlen(name));
	if (!k)
		return -1;
	k->is_var = 1;
	k->var_size = s->st_size;
	return 0;
}

static int parse_cubin(const unsigned char *p, size_t maxlen, struct klist *l,
		       char *err, size_t errlen)
{
	size_t len = elf_extent(p, maxlen);
	if (!len) {
		snprintf(err, errlen, "cubin: not a 64-bit ELF image");
		return -1;
	}
	elf_version(EV_CURRENT);
	/* libelf only reads the image; the cast is its API's. */
	Elf *e = elf_memory((char *)p, len);
	size_t shstrndx;
	if (!e || elf_getshdrstrndx(e, &shstrndx) < 0) {
		snprintf(err, errlen, "cubin: %s", elf_errmsg(-1));
		if (e)
			elf_end(e);
		return -1;
	}
	/* Kernels first (function symbols), then their .nv.info sections;
	 * resources only for the kernels this cubin adds. */
	int first = l->n;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_SYMTAB)
			continue;
		Elf_Data *d = elf_getdata(scn, NULL);
		size_t n = sh.sh_entsize ? sh.sh_size / sh.sh_entsize : 0;
		for (size_t i = 0; d && i < n; i++) {
			GElf_Sym s;
			if (!gelf_getsym(d, (int)i, &s))
				continue;
			if (GELF_ST_TYPE(s.st_info) == STT_OBJECT &&
			    s.st_size && s.st_shndx != SHN_UNDEF &&
			    add_var(e, shstrndx, &s,
				    elf_strptr(e, sh.sh_link, s.st_name), l) < 0)
				goto oom;
			/* A kernel of internal linkage (static, anonymous
			 * namespace: cuBLAS has them) is a local symbol;
			 * only the entry mark tells it from a device
			 * function. */
			if (GELF_ST_TYPE(s.st_info) != STT_FUNC ||
			    (GELF_ST_BIND(s.st_info) == STB_LOCAL &&
			     !(s.st_other & STO_CUDA_ENTRY)) ||
			    s.st_shndx == SHN_UNDEF)
				continue;
			const char *name = elf_strptr(e, sh.sh_link, s.st_name);
			if (name && !kl_find(l, name) &&
			    !kl_add(l, name, strlen(name)))
				goto oom;
		}
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh))
			continue;
		const char *sn = elf_strptr(e, shstrndx, sh.sh_name);
		if (!sn || strncmp(sn, ".nv.info.", 9))
			continue;
		struct sim_kernel *k = kl_find(l, sn + 9);
		Elf_Data *d = elf_getdata(scn, NULL);
		if (k && d && d->d_buf)
			parse_nv_info(k, d->d_buf, d->d_size);
	}
	sim_cubin_resources(e, shstrndx, l->v + first, l->n - first);
	elf_end(e);
	return 0;
oom:
	elf_end(e);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/* ".entry NAME(" in PTX text. */
static int parse_ptx(const char *t, size_t len, struct klist *l)
{
	const char *end = t + len, *p = t;
	while ((p = memmem(p, (size_t)(end - p), ".entry", 6))) {
		p += 6;
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		const char *s = p;
		while (p < end && *p != '(' && *p != ' ' && *p != '\n' &&
		       *p != '\t')
			p++;
		if (p > s && !kl_find(l, s) &&
		    !kl_add(l, s, (size_t)(p - s)))
			return -1;
	}
	return 0;
}

static bool ptx_text(const char *t)
{
	/* PTX starts with comments or directives. */
	while (*t == ' ' || *t == '\t' || *t == '\n' || *t == '\r')
		t++;
	return !strncmp(t, "//", 2) || !strncmp(t, ".version", 8) ||
	       !strncmp(t, ".target", 7);
}

static const char *entry_kind(unsigned kind)
{
	return kind == FATBIN_KIND_ELF ? "ELF" : "PTX";
}

/* Indexes the kernels of one entry's payload (size bytes at payload);
 * -1 with the reason in err, -2 when out of memory. */
static int read_entry(unsigned kind, const unsigned char *payload,
		      uint64_t size, uint64_t csize, uint64_t usize,
		      uint64_t flags, struct klist *l, char *err,
		      size_t errlen)
{
	unsigned char *plain = NULL;
	if (flags & FATBIN_FLAG_COMPRESSION) {
		if (csize > size) {
			snprintf(err, errlen,
				 "compressed size %llu exceeds the payload's %llu bytes",
				 (unsigned long long)csize,
				 (unsigned long long)size);
			return -1;
		}
		plain = fatbin_decompress(payload, csize, usize, flags, err,
					  errlen);
		if (!plain)
			return -1;
		payload = plain;
		size = usize;
	}
	int r = 0;
	if (kind == FATBIN_KIND_ELF)
		r = parse_cubin(payload, size, l, err, errlen);
	else if (parse_ptx((const char *)payload,
			   strnlen((const char *)payload, size), l) < 0)
		r = -2;
	free(plain);
	return r;
}

static CUresult parse_fatbin(const unsigned char *p, int cc, struct klist *l,
			     char *err, size_t errlen)
{
	unsigned hsize = rd16(p + 6);
	uint64_t total = rd64(p + 8);
	if (hsize < 16 || total > (1ULL << 34)) {
		snprintf(err, errlen, "fat binary: bad header");
		return CUDA_ERROR_INVALID_IMAGE;
	}
	const unsigned char *e = p + hsize, *end = e + total;
	int usable = 0, fitting = 0;
	char skipped[400] = "";
	for (int index = 0; e + FATBIN_ENTRY_MIN <= end; index++) {
		unsigned kind = rd16(e), ehsize = rd32(e + 4);
		uint64_t size = rd64(e + 8), csize = rd32(e + 16);
		unsigned arch = rd32(e + 28);
		uint64_t flags = rd64(e + 40), usize = rd64(e + 56);
		/* Without a sound header the next entry cannot be found. */
		if (ehsize < FATBIN_ENTRY_MIN || ehsize > (size_t)(end - e) ||
		    size > (uint64_t)(end - e - ehsize)) {
			snprintf(err, errlen,
				 "fat binary: entry %d at byte %zu runs past the end",
				 index, (size_t)(e - p));
			return CUDA_ERROR_INVALID_IMAGE;
		}
		const unsigned char *payload = e + ehsize;
		e = payload + size;
		/* SASS runs on the same major version at an equal or higher
		 * minor; PTX is compiled for any later device. */
		bool fits = kind == FATBIN_KIND_ELF
				    ? (int)arch / 10 == cc / 10 && (int)arch <= cc
				    : (int)arch <= cc;
		/* Entries for other devices are indexed too when they cost
		 * nothing to read (their cubins give parameter layouts when
		 * only PTX fits), but not decompressed: that would be
		 * every architecture of a cuBLAS image, about 8 times the
		 * work of the fitting one. */
		bool compressed = flags & FATBIN_FLAG_COMPRESSION;
		if ((kind != FATBIN_KIND_ELF && kind != FATBIN_KIND_PTX) ||
		    (compressed && !fits))
			continue;
		fitting += fits;
		char why[200];
		int r = read_entry(kind, payload, size, csize, usize, flags, l,
				   why, sizeof(why));
		if (r == -2) {
			snprintf(err, errlen, "out of memory");
			return CUDA_ERROR_OUT_OF_MEMORY;
		}
		if (r == 0) {
			usable += fits;
			continue;
		}
		const char *codec = fatbin_compression_name(flags);
		char entry[256];
		snprintf(entry, sizeof(entry),
			 "fat binary entry %d (%s sm_%u%s%s): %s", index,
			 entry_kind(kind), arch, compressed ? ", " : "",
			 !compressed ? "" : codec ? codec : "unknown codec",
			 why);
		size_t used = strlen(skipped);
		snprintf(skipped + used, sizeof(skipped) - used, "%s%s",
			 used ? "; " : "", entry);
		if (fits)
			snprintf(err, errlen, "%s", entry);
	}
	if (usable) {
		if (skipped[0])
			sim_note("module image loaded without %s", skipped);
		err[0] = 0;
		return CUDA_SUCCESS;
	}
	if (!fitting) {
		snprintf(err, errlen, "fat binary: no code for sm_%d", cc);
		return CUDA_ERROR_NO_BINARY_FOR_GPU;
	}
	return CUDA_ERROR_INVALID_IMAGE;	/* err: the last fitting entry's */
}

CUresult sim_image_kernels(const void *image, int cc, struct sim_kernel **out,
			   int *n, char *err, size_t errlen)
{
	const unsigned char *p = image;
	struct klist l = { 0 };
	CUresult r = CUDA_SUCCESS;
	err[0] = 0;
	if (!p) {
		snprintf(err, errlen, "no image");
		return CUDA_ERROR_INVALID_VALUE;
	}
	if (rd32(p) == FATBIN_WRAPPER_MAGIC) {
		const struct fatbin_wrapper *w = image;
		p = w->data;
	}
	if (rd32(p) == FATBIN_MAGIC) {
		r = parse_fatbin(p, cc, &l, err, errlen);
	} else if (!memcmp(p, ELFMAG, SELFMAG)) {
		/* A bare cubin: its length is in its headers; assume it is
		 * not larger than 1 GiB. */
		if (parse_cubin(p, 1u << 30, &l, err, errlen) < 0)
			r = CUDA_ERROR_INVALID_IMAGE;
	} else if (ptx_text((const char *)p)) {
		if (parse_ptx((const char *)p, strlen((const char *)p), &l) < 0)
			r = CUDA_ERROR_OUT_OF_MEMORY;
	} else {
		snprintf(err, errlen,
			 "not a fat binary, cubin or PTX (starts %02x %02x %02x %02x)",
			 p[0], p[1], p[2], p[3]);
		r = CUDA_ERROR_INVALID_IMAGE;
	}
	if (r) {
		sim_kernels_free(l.v, l.n);
		return r;
	}
	*out = l.v;
	*n = l.n;
	return CUDA_SUCCESS;
}

void sim_kernels_free(struct sim_kernel *k, int n)
{
	for (int i = 0; i < n; i++) {
		free(k[i].name);
		free(k[i].param_size);
		free(k[i].param_off);
	}
	free(k);
}
