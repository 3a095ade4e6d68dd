/* Byte ranges of a file with their old and new contents: what an edit
 * changes, what the journal records, what --dry-run prints. */
#ifndef VGPU_ELFPATCH_RANGES_H
#define VGPU_ELFPATCH_RANGES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct range {
	uint64_t off;
	size_t len;
	unsigned char *old;
	unsigned char *new_;
	const char *what;   /* the section it lies in, for messages */
};

struct ranges {
	struct range *r;
	size_t n, cap;
};

/* Appends a copy of old/new_; returns -1 when out of memory. */
int ranges_add(struct ranges *rs, uint64_t off, size_t len,
	       const unsigned char *old, const unsigned char *new_,
	       const char *what);
/* Appends one range per maximal run where a and b differ; a sits at
 * file offset base. */
int ranges_diff(struct ranges *rs, uint64_t base, const unsigned char *a,
		const unsigned char *b, size_t len, const char *what);
void ranges_sort(struct ranges *rs);
size_t ranges_bytes(const struct ranges *rs);
void ranges_print(FILE *f, const char *prefix, const struct ranges *rs);
void ranges_free(struct ranges *rs);

#endif
