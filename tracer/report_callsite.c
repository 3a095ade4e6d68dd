/* Call sites: "module+0xoffset" resolved to the nearest symbol with
 * libelf (.symtab when present, else .dynsym).  Modules are read once and
 * kept for the report's lifetime; a module that cannot be read (another
 * machine's path) leaves the frame as it is. */
#include <fcntl.h>
#include <elf.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report.h"

struct sym {
	uint64_t addr, size;
	char *name;
};

struct module {
	char *path;
	uint64_t base;		/* vaddr of offset 0: first PT_LOAD, ET_EXEC only */
	struct sym *syms;
	size_t nsyms;
	struct module *next;
};

static struct module *modules;

/* The module paths come from the trace, which the traced program wrote:
 * before libelf sizes its tables from a header, the header must fit the
 * file and claim no more than real objects have, and the symbol tables
 * read stay within a budget per table and per report. */
#define MODULE_SECTIONS_MAX 4096
#define MODULE_PHDRS_MAX 256
#define MODULE_TABLE_MAX (128ull << 20)
static uint64_t table_budget = 512ull << 20;

static bool header_fits(int fd, uint64_t size)
{
	Elf64_Ehdr h;
	if (pread(fd, &h, sizeof(h), 0) != (ssize_t)sizeof(h) ||
	    memcmp(h.e_ident, ELFMAG, SELFMAG) ||
	    h.e_ident[EI_CLASS] != ELFCLASS64)
		return false;
	/* No module needs extended numbering (65535 sections or more). */
	if ((!h.e_shnum && h.e_shoff) || h.e_phnum == PN_XNUM ||
	    h.e_shnum > MODULE_SECTIONS_MAX || h.e_phnum > MODULE_PHDRS_MAX)
		return false;
	return h.e_shoff <= size &&
	       (uint64_t)h.e_shnum * sizeof(Elf64_Shdr) <= size - h.e_shoff &&
	       h.e_phoff <= size &&
	       (uint64_t)h.e_phnum * sizeof(Elf64_Phdr) <= size - h.e_phoff;
}

/* A table libelf is about to read: inside the file, within budget. */
static bool table_fits(const GElf_Shdr *sh, uint64_t size)
{
	if (sh->sh_type == SHT_NOBITS || sh->sh_offset > size ||
	    sh->sh_size > size - sh->sh_offset ||
	    sh->sh_size > MODULE_TABLE_MAX || sh->sh_size > table_budget)
		return false;
	table_budget -= sh->sh_size;
	return true;
}

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_symbols(struct module *m, Elf *e, uint64_t size)
{
	Elf_Scn *scn = NULL, *pick = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !pick))
			pick = scn;
	}
	GElf_Shdr strsh;
	Elf_Scn *strscn;
	if (!pick || !gelf_getshdr(pick, &sh) || !sh.sh_entsize ||
	    !(strscn = elf_getscn(e, sh.sh_link)) ||
	    !gelf_getshdr(strscn, &strsh) || !table_fits(&sh, size) ||
	    !table_fits(&strsh, size))
		return;
	Elf_Data *d = elf_getdata(pick, NULL);
	size_t n = d ? sh.sh_size / sh.sh_entsize : 0;
	m->syms = rpt_calloc(n, sizeof(*m->syms));
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s) || GELF_ST_TYPE(s.st_info) != STT_FUNC ||
		    !s.st_value)
			continue;
		const char *nm = elf_strptr(e, sh.sh_link, s.st_name);
		if (!nm || !*nm)
			continue;
		m->syms[m->nsyms++] = (struct sym){ s.st_value, s.st_size, rpt_strdup(nm) };
	}
	qsort(m->syms, m->nsyms, sizeof(*m->syms), cmp_sym);
}

static struct module *module_get(const char *path)
{
	for (struct module *m = modules; m; m = m->next)
		if (!strcmp(m->path, path))
			return m;
	struct module *m = rpt_calloc(1, sizeof(*m));
	m->path = rpt_strdup(path);
	m->next = modules;
	modules = m;
	elf_version(EV_CURRENT);
	/* The path comes from the trace: never block on a FIFO or read a
	 * device. */
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
	if (fd < 0)
		return m;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    !header_fits(fd, (uint64_t)st.st_size)) {
		close(fd);
		return m;
	}
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	GElf_Ehdr eh;
	if (e && gelf_getehdr(e, &eh)) {
		if (eh.e_type == ET_EXEC) {
			size_t np = 0;
			elf_getphdrnum(e, &np);
			for (size_t i = 0; i < np; i++) {
				GElf_Phdr ph;
				if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD) {
					m->base = ph.p_vaddr & ~(uint64_t)0xfff;
					break;
				}
			}
		}
		load_symbols(m, e, (uint64_t)st.st_size);
	}
	if (e)
		elf_end(e);
	close(fd);
	return m;
}

void rpt_symbolize(const char *frame, char *buf, size_t len)
{
	snprintf(buf, len, "%s", frame);
	const char *plus = strrchr(frame, '+');
	if (!plus || strncmp(plus, "+0x", 3))
		return;
	char path[4096];
	size_t pl = (size_t)(plus - frame);
	if (pl >= sizeof(path) || pl == 0)
		return;
	memcpy(path, frame, pl);
	path[pl] = 0;
	uint64_t off = strtoull(plus + 3, NULL, 16);
	struct module *m = module_get(path);
	uint64_t addr = m->base + off;
	/* Last symbol at or below addr. */
	size_t lo = 0, hi = m->nsyms;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (m->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (!lo)
		return;
	const struct sym *s = &m->syms[lo - 1];
	snprintf(buf, len, "%s (%s+0x%llx)", frame, s->name,
		 (unsigned long long)(addr - s->addr));
}

void rpt_symbolize_cleanup(void)
{
	while (modules) {
		struct module *m = modules;
		modules = m->next;
		for (size_t i = 0; i < m->nsyms; i++)
			free(m->syms[i].name);
		free(m->syms);
		free(m->path);
		free(m);
	}
}
