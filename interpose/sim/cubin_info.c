/* Resource usage of a cubin's kernels, as ptxas reports it (-Xptxas -v)
 * and the driver answers cuFuncGetAttribute:
 *   registers    EIATTR_REGCOUNT (0x2f) in the cubin's .nv.info:
 *                u32 symbol index, u32 count
 *   local bytes  EIATTR_FRAME_SIZE (0x11) there, the same layout
 *   bounds       EIATTR_MAX_THREADS (0x05, __launch_bounds__) or
 *                EIATTR_REQNTID (0x10) in .nv.info.<kernel>: u32 x, y, z
 *   clusters     there too: EIATTR_CTA_PER_CLUSTER (0x3d, __cluster_dims__:
 *                u32 x, y, z) and EIATTR_EXPLICIT_CLUSTER (0x3e, no value:
 *                a launch must give a cluster size)
 *   shared       the size of .nv.shared.<kernel>; when the cubin has a
 *                .nv.shared.reserved.* section (sm_90 on) that size
 *                starts with the 1 KiB the driver reserves per block,
 *                which is not the kernel's own
 *   binary       the sm number in e_flags: bits 8..15 from ELF ABI
 *                version 8 (CUDA 13), bits 0..7 before */
#include "cubin_info.h"

#include <string.h>

#define EIATTR_MAX_THREADS 0x05
#define EIATTR_REQNTID 0x10
#define EIATTR_FRAME_SIZE 0x11
#define EIATTR_REGCOUNT 0x2f
#define EIATTR_CTA_PER_CLUSTER 0x3d
#define EIATTR_EXPLICIT_CLUSTER 0x3e
#define RESERVED_SMEM_PER_BLOCK 1024
#define ELF_ABI_SM_IN_BYTE_1 8

static uint32_t rd32(const unsigned char *p) { uint32_t v; memcpy(&v, p, 4); return v; }

bool nv_info_next(const unsigned char *p, size_t len, size_t *pos,
		  struct nv_info_rec *r)
{
	size_t i = *pos;
	if (i + 4 > len)
		return false;
	r->fmt = p[i];
	r->attr = p[i + 1];
	r->sval = (unsigned)p[i + 2] | (unsigned)p[i + 3] << 8;
	r->val = p + i + 4;
	r->len = r->fmt == EIFMT_SVAL ? r->sval : 0;
	if (i + 4 + r->len > len)
		return false;
	*pos = i + 4 + r->len;
	return true;
}

static struct sim_kernel *find(struct sim_kernel *k, int n, const char *name)
{
	for (int i = 0; name && i < n; i++)
		if (!k[i].is_var && !strcmp(k[i].name, name))
			return &k[i];
	return NULL;
}

static Elf_Data *section_data(Elf_Scn *scn, size_t *len)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	*len = d && d->d_buf ? d->d_size : 0;
	return *len ? d : NULL;
}

/* The cubin-wide .nv.info: per-symbol registers and frame size. */
static void per_symbol(Elf *e, Elf_Scn *symtab, const unsigned char *p,
		       size_t len, struct sim_kernel *k, int n)
{
	GElf_Shdr sh;
	size_t slen;
	Elf_Data *syms = symtab && gelf_getshdr(symtab, &sh)
				 ? section_data(symtab, &slen) : NULL;
	struct nv_info_rec r;
	size_t pos = 0;
	while (syms && nv_info_next(p, len, &pos, &r)) {
		if (r.fmt != EIFMT_SVAL || r.len < 8 ||
		    (r.attr != EIATTR_REGCOUNT && r.attr != EIATTR_FRAME_SIZE))
			continue;
		GElf_Sym s;
		if (!gelf_getsym(syms, (int)rd32(r.val), &s))
			continue;
		struct sim_kernel *kk = find(k, n, elf_strptr(e, sh.sh_link,
							      s.st_name));
		if (!kk)
			continue;
		if (r.attr == EIATTR_REGCOUNT)
			kk->regs = rd32(r.val + 4);
		else
			kk->local_bytes = rd32(r.val + 4);
	}
}

/* A kernel's own .nv.info.<kernel>: its launch bounds and clusters. */
static void per_kernel(struct sim_kernel *k, const unsigned char *p, size_t len)
{
	struct nv_info_rec r;
	size_t pos = 0;
	while (nv_info_next(p, len, &pos, &r)) {
		if (r.attr == EIATTR_EXPLICIT_CLUSTER)
			k->cluster_explicit = true;
		if (r.fmt != EIFMT_SVAL || r.len < 12)
			continue;
		unsigned x = rd32(r.val), y = rd32(r.val + 4), z = rd32(r.val + 8);
		if (r.attr == EIATTR_MAX_THREADS || r.attr == EIATTR_REQNTID) {
			uint64_t t = (uint64_t)x * y * z;
			if (t && (!k->max_threads || t < k->max_threads))
				k->max_threads = t > 1024 ? 1024 : (unsigned)t;
		} else if (r.attr == EIATTR_CTA_PER_CLUSTER) {
			k->cluster_dims[0] = x;
			k->cluster_dims[1] = y;
			k->cluster_dims[2] = z;
		}
	}
}

void sim_cubin_resources(Elf *e, size_t shstrndx, struct sim_kernel *k, int n)
{
	GElf_Ehdr eh;
	unsigned sm = 0;
	if (gelf_getehdr(e, &eh))
		sm = eh.e_ident[EI_ABIVERSION] >= ELF_ABI_SM_IN_BYTE_1
			     ? (eh.e_flags >> 8) & 0xff : eh.e_flags & 0xff;
	Elf_Scn *scn = NULL, *symtab = NULL;
	bool reserved = false;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *sn = gelf_getshdr(scn, &sh)
					 ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
		if (sh.sh_type == SHT_SYMTAB)
			symtab = scn;
		if (sn && !strncmp(sn, ".nv.shared.reserved.", 20))
			reserved = true;
	}
	for (int i = 0; i < n; i++)
		if (!k[i].is_var && !k[i].binary_version)
			k[i].binary_version = sm;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		const char *sn = gelf_getshdr(scn, &sh)
					 ? elf_strptr(e, shstrndx, sh.sh_name) : NULL;
		size_t len;
		Elf_Data *d;
		struct sim_kernel *kk;
		if (!sn)
			continue;
		if (!strcmp(sn, ".nv.info") && (d = section_data(scn, &len)))
			per_symbol(e, symtab, d->d_buf, len, k, n);
		else if (!strncmp(sn, ".nv.info.", 9) &&
			 (kk = find(k, n, sn + 9)) && (d = section_data(scn, &len)))
			per_kernel(kk, d->d_buf, len);
		else if (!strncmp(sn, ".nv.shared.", 11) &&
			 (kk = find(k, n, sn + 11))) {
			size_t own = sh.sh_size;
			if (reserved)
				own -= own < RESERVED_SMEM_PER_BLOCK
					       ? own : RESERVED_SMEM_PER_BLOCK;
			kk->shared_bytes = (unsigned)own;
		}
	}
}
