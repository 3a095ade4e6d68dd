/* Call sites: "module+0xoffset" resolved to the nearest symbol with
 * libelf (.symtab when present, else .dynsym).  Modules are read once and
 * kept for the report's lifetime; a module that cannot be read (another
 * machine's path) leaves the frame as it is. */
#include <fcntl.h>
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

static int cmp_sym(const void *a, const void *b)
{
	const struct sym *x = a, *y = b;
	return x->addr < y->addr ? -1 : x->addr > y->addr;
}

static void load_symbols(struct module *m, Elf *e)
{
	Elf_Scn *scn = NULL, *pick = NULL;
	GElf_Shdr sh;
	while ((scn = elf_nextscn(e, scn))) {
		if (!gelf_getshdr(scn, &sh))
			continue;
		if (sh.sh_type == SHT_SYMTAB || (sh.sh_type == SHT_DYNSYM && !pick))
			pick = scn;
	}
	if (!pick || !gelf_getshdr(pick, &sh) || !sh.sh_entsize)
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
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
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
		load_symbols(m, e);
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
