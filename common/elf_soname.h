/* Reading a shared object's SONAME within a fixed budget of bytes. */
#ifndef VGPU_ELF_SONAME_H
#define VGPU_ELF_SONAME_H

#include <stddef.h>

/* The peek stopped at its budget (headers that claim more than any real
 * object has) without finding a SONAME. */
#define ELF_SONAME_BUDGET (-2)

/* Writes the DT_SONAME of the ELF file open at fd into buf.  Returns 0,
 * -1 when fd is not an ELF shared object or has no SONAME (or one that
 * does not fit in len), ELF_SONAME_BUDGET as above. */
int elf_read_soname(int fd, char *buf, size_t len);

#endif
