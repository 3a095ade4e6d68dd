/* Which names a shared object defines in its dynamic symbol table. */
#ifndef VGPU_ELF_EXPORTS_H
#define VGPU_ELF_EXPORTS_H

#include <stdbool.h>
#include <stddef.h>

/* Sets found[i] when the ELF file open at fd (readable) defines names[i]
 * as a global or weak symbol of .dynsym.  Returns 0, or -1 when fd is not
 * an ELF file with a dynamic symbol table inside the file's bounds. */
int elf_find_exports(int fd, const char *const *names, size_t n, bool *found);

#endif
