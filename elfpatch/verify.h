/* Checking a patched file: the re-read result against the plan, and
 * optionally the system's dynamic loader against the file. */
#ifndef VGPU_ELFPATCH_VERIFY_H
#define VGPU_ELFPATCH_VERIFY_H

#include "edit.h"

/* A canonical text of what the loader reads: every live .dynamic entry
 * (strings resolved), every vn_file, and a digest of all other .dynstr
 * references.  Caller frees. */
char *view_of_image(const struct elf_image *im);
/* The same text for the planned result (after edit_finish). */
char *view_of_edit(const struct edit *ed);

/* Runs the file's interpreter (ours for a library) in ldd mode with
 * LD_BIND_NOW; 0 when every dependency and symbol resolved.  What it
 * says goes, under prefix, to stderr when it failed, to stdout when
 * verbose, nowhere otherwise. */
int verify_with_loader(const char *path, const char *interp,
		       const char *prefix, bool verbose);

#endif
