/* Planning in-place edits of DT_NEEDED, DT_SONAME and DT_RUNPATH.
 *
 * Edits apply to working copies of .dynamic, .dynstr and the vn_file
 * fields of .gnu.version_r; edit_finish() compares the copies with the
 * file and returns exactly the byte ranges that differ.  Nothing here
 * writes to the file. */
#ifndef VGPU_ELFPATCH_EDIT_H
#define VGPU_ELFPATCH_EDIT_H

#include "elf_image.h"
#include "ranges.h"

struct edit {
	const struct elf_image *im;
	GElf_Dyn *dyn;             /* live entries, no DT_NULL */
	size_t n, cap;
	unsigned char *str;        /* working .dynstr */
	uint32_t *vn_file;         /* working vn_file of each Verneed */
	uint32_t base_name;        /* working name of the base Verdef */
	unsigned char *static_cov; /* .dynstr bytes other references cover */
	char **notes;              /* what each edit did, for the user */
	size_t nnotes;
};

int edit_init(struct edit *ed, const struct elf_image *im);
void edit_free(struct edit *ed);

/* Each returns 0, or -1 with a one-line reason in err (the file must
 * then stay as it is).  A request with nothing to do (the name is not
 * there, or already is) succeeds and leaves a note. */
int edit_replace_needed(struct edit *ed, const char *old, const char *new_,
			char *err, size_t errlen);
int edit_add_needed(struct edit *ed, const char *name, char *err, size_t errlen);
int edit_remove_needed(struct edit *ed, const char *name, char *err,
		       size_t errlen);
int edit_set_soname(struct edit *ed, const char *name, char *err, size_t errlen);
int edit_set_rpath(struct edit *ed, const char *path, bool force_rpath,
		   char *err, size_t errlen);

/* Checks that the result fits the file and appends every changed byte
 * range to out. */
int edit_finish(struct edit *ed, struct ranges *out, char *err, size_t errlen);

/* The string a working entry names (working .dynstr). */
const char *edit_str(const struct edit *ed, uint64_t off);

#endif
