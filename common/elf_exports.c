#include <gelf.h>
#include <libelf.h>
#include <string.h>
#include <sys/stat.h>

#include "elf_exports.h"

/* More symbols than any real library has: a header claiming more is not
 * read. */
#define MAX_DYNSYMS (1u << 22)

static bool defined(const GElf_Sym *s)
{
	int bind = GELF_ST_BIND(s->st_info);
	return s->st_shndx != SHN_UNDEF &&
	       (bind == STB_GLOBAL || bind == STB_WEAK);
}

static void match(const char *name, const char *const *names, size_t n,
		  bool *found)
{
	for (size_t i = 0; i < n; i++)
		if (!found[i] && !strcmp(name, names[i]))
			found[i] = true;
}

int elf_find_exports(int fd, const char *const *names, size_t n, bool *found)
{
	struct stat st;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    elf_version(EV_CURRENT) == EV_NONE)
		return -1;
	Elf *e = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!e)
		return -1;
	int rc = -1;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM)
			continue;
		if (!sh.sh_entsize || sh.sh_offset > (uint64_t)st.st_size ||
		    sh.sh_size > (uint64_t)st.st_size - sh.sh_offset ||
		    sh.sh_size / sh.sh_entsize > MAX_DYNSYMS)
			break;
		Elf_Data *d = elf_getdata(scn, NULL);
		if (!d)
			break;
		size_t count = sh.sh_size / sh.sh_entsize;
		for (size_t i = 1; i < count; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(d, (int)i, &sym) || !defined(&sym))
				continue;
			const char *s = elf_strptr(e, sh.sh_link, sym.st_name);
			if (s)
				match(s, names, n, found);
		}
		rc = 0;
		break;
	}
	elf_end(e);
	return rc;
}
