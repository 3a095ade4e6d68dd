/* Reading a shared object's SONAME with libelf. */
#ifndef VGPU_ELF_SONAME_H
#define VGPU_ELF_SONAME_H

#include <stddef.h>

/* Writes the DT_SONAME of the ELF file open at fd into buf.  Returns 0,
 * or -1 when fd is not an ELF shared object or has no SONAME. */
int elf_read_soname(int fd, char *buf, size_t len);

#endif
