/* Makes a hostile copy of a 64-bit ELF file: small on disk, sparse, its
 * header claiming far more than any real object has.
 *   sparse_elf IN OUT sections BYTES  section headers: BYTES / 64 of them
 *                                     (extended numbering), the file
 *                                     stretched to hold them
 *   sparse_elf IN OUT phdrs BYTES     65535 program headers in a zero
 *                                     region, the file BYTES long
 * Everything else (the real program headers in "sections" mode, the
 * dynamic segment, the SONAME) stays as IN had it. */
#include <elf.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	unsigned long long bytes = strtoull(argv[4], NULL, 0);
	int in = open(argv[1], O_RDONLY);
	int out = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	static char buf[1 << 16];
	ssize_t n;
	off_t end = 0;
	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0) {
		if (write(out, buf, (size_t)n) != n)
			return 1;
		end += n;
	}
	Elf64_Ehdr h;
	if (out < 0 || pread(in, &h, sizeof(h), 0) != sizeof(h))
		return 1;
	off_t at = (end + 4095) & ~(off_t)4095;		/* the claimed table */
	if (!strcmp(argv[3], "sections")) {
		Elf64_Shdr s0 = { .sh_size = bytes / sizeof(Elf64_Shdr) };
		h.e_shoff = (uint64_t)at;
		h.e_shnum = 0;			/* the count is s0.sh_size */
		h.e_shstrndx = SHN_UNDEF;
		if (pwrite(out, &s0, sizeof(s0), at) != sizeof(s0) ||
		    ftruncate(out, at + (off_t)bytes))
			return 1;
	} else if (!strcmp(argv[3], "phdrs")) {
		h.e_phoff = (uint64_t)at;
		h.e_phnum = 0xfffe;
		if (ftruncate(out, at + (off_t)bytes))
			return 1;
	} else {
		return 2;
	}
	if (pwrite(out, &h, sizeof(h), 0) != sizeof(h) || close(out))
		return 1;
	return 0;
}
