/* A shared object's SONAME, found the way the loader finds it: program
 * headers, PT_DYNAMIC, DT_STRTAB and DT_SONAME, then the string.  The file
 * is the traced program's choice, so what its headers claim never decides
 * how much is read: a few preads of fixed size at most, each checked
 * against the file's size (no mapping, no library that sizes its tables
 * from the header). */
#include <elf.h>
#include <stdbool.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf_soname.h"

/* Program headers looked at (real objects have about ten) and bytes of
 * the dynamic segment (real ones hold well under a hundred entries). */
#define PEEK_PHDRS 64
#define PEEK_DYN_BYTES (16u << 10)

/* The ELF class's fields the peek needs, widened. */
struct peek {
	bool is64;
	uint64_t size;		/* of the file */
	bool cut;		/* something was left unread for the budget */
};

static bool read_at(int fd, const struct peek *p, void *buf, size_t n,
		    uint64_t off)
{
	if (off > p->size || n > p->size - off)
		return false;
	return pread(fd, buf, n, (off_t)off) == (ssize_t)n;
}

struct seg {
	uint32_t type;
	uint64_t offset, vaddr, filesz;
};

static struct seg seg_at(const struct peek *p, const unsigned char *ph)
{
	struct seg s;
	if (p->is64) {
		const Elf64_Phdr *h = (const void *)ph;
		s = (struct seg){ h->p_type, h->p_offset, h->p_vaddr, h->p_filesz };
	} else {
		const Elf32_Phdr *h = (const void *)ph;
		s = (struct seg){ h->p_type, h->p_offset, h->p_vaddr, h->p_filesz };
	}
	return s;
}

int elf_read_soname(int fd, char *buf, size_t len)
{
	struct stat st;
	unsigned char eh[sizeof(Elf64_Ehdr)];
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || !len)
		return -1;
	struct peek p = { .size = (uint64_t)st.st_size };
	if (!read_at(fd, &p, eh, EI_NIDENT, 0) || memcmp(eh, ELFMAG, SELFMAG) ||
	    eh[EI_DATA] != ELFDATA2LSB)
		return -1;
	p.is64 = eh[EI_CLASS] == ELFCLASS64;
	if (!p.is64 && eh[EI_CLASS] != ELFCLASS32)
		return -1;
	uint64_t phoff;
	size_t phnum, phent;
	if (p.is64) {
		Elf64_Ehdr h;
		if (!read_at(fd, &p, &h, sizeof(h), 0))
			return -1;
		phoff = h.e_phoff, phnum = h.e_phnum, phent = h.e_phentsize;
	} else {
		Elf32_Ehdr h;
		if (!read_at(fd, &p, &h, sizeof(h), 0))
			return -1;
		phoff = h.e_phoff, phnum = h.e_phnum, phent = h.e_phentsize;
	}
	if (phent != (p.is64 ? sizeof(Elf64_Phdr) : sizeof(Elf32_Phdr)))
		return -1;
	if (phnum > PEEK_PHDRS) {
		phnum = PEEK_PHDRS;
		p.cut = true;
	}
	unsigned char phs[PEEK_PHDRS * sizeof(Elf64_Phdr)];
	if (!read_at(fd, &p, phs, phnum * phent, phoff))
		return -1;
	struct seg dyn = { 0 };
	for (size_t i = 0; i < phnum; i++) {
		struct seg s = seg_at(&p, phs + i * phent);
		if (s.type == PT_DYNAMIC) {
			dyn = s;
			break;
		}
	}
	if (dyn.type != PT_DYNAMIC)
		return p.cut ? ELF_SONAME_BUDGET : -1;

	unsigned char dbuf[PEEK_DYN_BYTES];
	size_t entsz = p.is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
	uint64_t dbytes = dyn.filesz - dyn.filesz % entsz;
	if (dbytes > PEEK_DYN_BYTES) {
		dbytes = PEEK_DYN_BYTES;
		p.cut = true;
	}
	if (!read_at(fd, &p, dbuf, dbytes, dyn.offset))
		return -1;
	uint64_t strtab = 0, soname = 0;
	bool have_strtab = false, have_soname = false, ended = false;
	for (size_t i = 0; i + entsz <= dbytes; i += entsz) {
		int64_t tag;
		uint64_t val;
		if (p.is64) {
			const Elf64_Dyn *d = (const void *)(dbuf + i);
			tag = d->d_tag, val = d->d_un.d_val;
		} else {
			const Elf32_Dyn *d = (const void *)(dbuf + i);
			tag = d->d_tag, val = d->d_un.d_val;
		}
		if (tag == DT_NULL) {
			ended = true;
			break;
		}
		if (tag == DT_STRTAB)
			strtab = val, have_strtab = true;
		else if (tag == DT_SONAME)
			soname = val, have_soname = true;
	}
	if (!have_strtab || !have_soname)
		return p.cut && !ended ? ELF_SONAME_BUDGET : -1;

	/* DT_STRTAB is an address: the segment that loads it says where it
	 * lies in the file. */
	bool found = false;
	uint64_t at = 0;
	for (size_t i = 0; i < phnum && !found; i++) {
		struct seg s = seg_at(&p, phs + i * phent);
		if (s.type == PT_LOAD && strtab >= s.vaddr &&
		    strtab - s.vaddr < s.filesz) {
			at = s.offset + (strtab - s.vaddr);
			found = true;
		}
	}
	if (!found || at > p.size || soname > p.size - at)
		return -1;
	at += soname;
	size_t n = p.size - at < len ? (size_t)(p.size - at) : len;
	if (!read_at(fd, &p, buf, n, at) || !memchr(buf, 0, n)) {
		buf[0] = 0;
		return -1;
	}
	return 0;
}
