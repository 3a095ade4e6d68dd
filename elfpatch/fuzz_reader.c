/* libFuzzer target for the ELF reader and the edit planner: any input
 * either parses into a consistent image or is refused; planned edits of a
 * parsed image stay inside it.  Built by tests/elfpatch/test_fuzz.sh and
 * `make fuzz`. */
#include <stdlib.h>
#include <string.h>

#include "edit.h"
#include "verify.h"

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	static int init;
	if (!init++)
		elf_version(EV_CURRENT);
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	Elf *e = elf_memory(copy, size);
	char err[512];
	struct elf_image im;
	memset(&im, 0, sizeof(im));
	if (e && elf_kind(e) == ELF_K_ELF && !elf_image_open(&im, e, err, sizeof(err))) {
		free(view_of_image(&im));
		struct edit ed;
		struct ranges rs = { 0 };
		if (!edit_init(&ed, &im)) {
			const char *first = NULL;
			for (size_t i = 0; i < im.dyn_live && !first; i++)
				if (im.dyn[i].d_tag == DT_NEEDED)
					first = elf_image_str(&im, im.dyn[i].d_un.d_val);
			if (first)
				edit_replace_needed(&ed, first, "x.so", err, sizeof(err));
			edit_add_needed(&ed, "libc.so.6", err, sizeof(err));
			edit_set_rpath(&ed, "$ORIGIN", false, err, sizeof(err));
			edit_set_soname(&ed, "s", err, sizeof(err));
			if (!edit_finish(&ed, &rs, err, sizeof(err))) {
				for (size_t i = 0; i < rs.n; i++)
					if (rs.r[i].off + rs.r[i].len > im.size)
						abort();
				free(view_of_edit(&ed));
			}
		}
		ranges_free(&rs);
		edit_free(&ed);
	}
	if (e) {
		elf_image_close(&im);
		elf_end(e);
	}
	free(copy);
	return 0;
}
