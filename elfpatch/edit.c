/* In-place edits of the dynamic section.
 *
 * A string an edit needs goes, in this order of preference:
 *   1. where it already is: an existing .dynstr string, or the tail of one
 *      (GNU ld merges tails, so "libm.so.6" may live inside another name);
 *   2. over the string it replaces, when nothing else points into those
 *      bytes;
 *   3. into the smallest run of .dynstr bytes that nothing points into
 *      (left by an earlier replace or remove).
 * "Points into" is decided from every reference the loader and the
 * binutils know: string-valued .dynamic tags, dynamic symbol names,
 * Verneed/Vernaux and Verdef/Verdaux names.  Without a dynamic symbol
 * count (no .dynsym header, no DT_HASH) only strategy 1 is used.
 *
 * A new .dynamic entry takes a spare DT_NULL slot (one always stays as the
 * terminator); an executable may give up DT_DEBUG for it. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errbuf.h"
#include "edit.h"

#define PENDING_DYN UINT64_MAX
#define PENDING_VN UINT32_MAX


static void note(struct edit *ed, const char *fmt, ...)
{
	char *s;
	va_list ap;
	va_start(ap, fmt);
	int rc = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (rc < 0)
		return;
	char **n = realloc(ed->notes, (ed->nnotes + 1) * sizeof(*n));
	if (!n) {
		free(s);
		return;
	}
	ed->notes = n;
	ed->notes[ed->nnotes++] = s;
}

const char *edit_str(const struct edit *ed, uint64_t off)
{
	uint64_t size = ed->im->str_size;
	if (off >= size)
		return NULL;
	const char *s = (const char *)ed->str + off;
	return memchr(s, 0, size - off) ? s : NULL;
}

/* Marks the bytes of the string at off, its NUL included. */
static void cover(unsigned char *cov, const unsigned char *str, uint64_t size,
		  uint64_t off)
{
	while (off < size) {
		cov[off] = 1;
		if (!str[off++])
			break;
	}
}

static void cover_static(uint64_t off, void *arg)
{
	struct edit *ed = arg;
	cover(ed->static_cov, ed->im->raw + ed->im->str_off, ed->im->str_size,
	      off);
}

int edit_init(struct edit *ed, const struct elf_image *im)
{
	memset(ed, 0, sizeof(*ed));
	ed->im = im;
	ed->cap = im->dyn_slots + 4;
	ed->dyn = malloc(ed->cap * sizeof(*ed->dyn));
	ed->str = malloc(im->str_size ? im->str_size : 1);
	ed->vn_file = malloc((im->vn_count ? im->vn_count : 1) * sizeof(uint32_t));
	if (!ed->dyn || !ed->str || !ed->vn_file)
		return -1;
	memcpy(ed->dyn, im->dyn, im->dyn_live * sizeof(*ed->dyn));
	ed->n = im->dyn_live;
	memcpy(ed->str, im->raw + im->str_off, im->str_size);
	for (size_t i = 0; i < im->vn_count; i++)
		ed->vn_file[i] = im->vn[i].file;
	ed->base_name = im->base_name;
	if (im->sym_count_known) {
		ed->static_cov = calloc(im->str_size ? im->str_size : 1, 1);
		if (!ed->static_cov)
			return -1;
		if (elf_image_each_static_ref(im, cover_static, ed))
			return -1;
	}
	return 0;
}

void edit_free(struct edit *ed)
{
	free(ed->dyn);
	free(ed->str);
	free(ed->vn_file);
	free(ed->static_cov);
	for (size_t i = 0; i < ed->nnotes; i++)
		free(ed->notes[i]);
	free(ed->notes);
	memset(ed, 0, sizeof(*ed));
}

/* Every .dynstr byte some live reference covers, byte 0 included (the
 * empty string every st_name 0 means). */
static unsigned char *coverage(const struct edit *ed)
{
	uint64_t size = ed->im->str_size;
	unsigned char *cov = malloc(size ? size : 1);
	if (!cov)
		return NULL;
	memcpy(cov, ed->static_cov, size);
	if (size)
		cov[0] = 1;
	for (size_t i = 0; i < ed->n; i++)
		if (dyn_tag_is_string(ed->dyn[i].d_tag) &&
		    ed->dyn[i].d_un.d_val != PENDING_DYN)
			cover(cov, ed->str, size, ed->dyn[i].d_un.d_val);
	for (size_t i = 0; i < ed->im->vn_count; i++)
		if (ed->vn_file[i] != PENDING_VN)
			cover(cov, ed->str, size, ed->vn_file[i]);
	if (ed->im->base_name_at && ed->base_name != PENDING_VN)
		cover(cov, ed->str, size, ed->base_name);
	return cov;
}

static bool find_existing(const struct edit *ed, const char *s, uint64_t *off)
{
	size_t len = strlen(s) + 1;
	const unsigned char *p = ed->str, *end = ed->str + ed->im->str_size;
	const unsigned char *hit = memmem(p, (size_t)(end - p), s, len);
	if (!hit)
		return false;
	*off = (uint64_t)(hit - p);
	return true;
}

/* Finds or makes room for s; hint is the offset of the string it
 * replaces (0: none).  References being replaced must be PENDING. */
static int place(struct edit *ed, const char *s, uint64_t hint, uint64_t *off,
		 char *err, size_t errlen)
{
	size_t need = strlen(s) + 1;
	if (find_existing(ed, s, off)) {
		note(ed, "\"%s\": reused .dynstr+%llu", s, (unsigned long long)*off);
		return 0;
	}
	if (!ed->im->str_size)
		return err_set(err, errlen, "no .dynstr to hold \"%s\"", s);
	if (!ed->static_cov)
		return err_set(err, errlen, "\"%s\" is not in .dynstr, and without "
			    "a dynamic symbol count (no .dynsym header, no DT_HASH) "
			    "no .dynstr byte can be proven unused", s);
	unsigned char *cov = coverage(ed);
	if (!cov)
		return err_set(err, errlen, "out of memory");
	uint64_t size = ed->im->str_size;
	bool fits_hint = hint && hint + need <= size;
	for (uint64_t i = hint; fits_hint && i < hint + need; i++)
		if (cov[i])
			fits_hint = false;
	uint64_t best = 0, best_len = UINT64_MAX, largest = 0;
	if (fits_hint) {
		best = hint;
	} else {
		for (uint64_t i = 1; i < size;) {
			if (cov[i]) {
				i++;
				continue;
			}
			uint64_t j = i;
			while (j < size && !cov[j])
				j++;
			if (j - i > largest)
				largest = j - i;
			if (j - i >= need && j - i < best_len) {
				best = i;
				best_len = j - i;
			}
			i = j;
		}
	}
	free(cov);
	if (!best)
		return err_set(err, errlen, "no room in .dynstr for \"%s\": needs %zu "
			    "bytes, the largest unused run is %llu, %llu bytes "
			    "missing (no linker reserves spare .dynstr; relink "
			    "naming the library, or rewrite the file with patchelf)",
			    s, need, (unsigned long long)largest,
			    (unsigned long long)(need - largest));
	memcpy(ed->str + best, s, need);
	note(ed, "\"%s\": %s at .dynstr+%llu", s,
	     fits_hint ? "overwrote the old string" : "wrote into unused bytes",
	     (unsigned long long)best);
	*off = best;
	return 0;
}

static int insert(struct edit *ed, size_t at, int64_t tag, uint64_t val)
{
	if (ed->n == ed->cap) {
		size_t cap = ed->cap * 2;
		GElf_Dyn *d = realloc(ed->dyn, cap * sizeof(*d));
		if (!d)
			return -1;
		ed->dyn = d;
		ed->cap = cap;
	}
	memmove(&ed->dyn[at + 1], &ed->dyn[at], (ed->n - at) * sizeof(*ed->dyn));
	ed->dyn[at].d_tag = tag;
	ed->dyn[at].d_un.d_val = val;
	ed->n++;
	return 0;
}

static void remove_at(struct edit *ed, size_t at)
{
	memmove(&ed->dyn[at], &ed->dyn[at + 1], (ed->n - at - 1) * sizeof(*ed->dyn));
	ed->n--;
}

static bool names(const struct edit *ed, size_t i, int64_t tag, const char *s)
{
	if (ed->dyn[i].d_tag != tag)
		return false;
	const char *v = edit_str(ed, ed->dyn[i].d_un.d_val);
	return v && !strcmp(v, s);
}

static void fill_pending(struct edit *ed, uint64_t off)
{
	for (size_t i = 0; i < ed->n; i++)
		if (dyn_tag_is_string(ed->dyn[i].d_tag) &&
		    ed->dyn[i].d_un.d_val == PENDING_DYN)
			ed->dyn[i].d_un.d_val = off;
	for (size_t i = 0; i < ed->im->vn_count; i++)
		if (ed->vn_file[i] == PENDING_VN)
			ed->vn_file[i] = (uint32_t)off;
	if (ed->base_name == PENDING_VN)
		ed->base_name = (uint32_t)off;
}

/* Index after the last entry with one of the tags (0 when none). */
static size_t after_last(const struct edit *ed, int64_t a, int64_t b)
{
	size_t at = 0;
	for (size_t i = 0; i < ed->n; i++)
		if (ed->dyn[i].d_tag == a || ed->dyn[i].d_tag == b)
			at = i + 1;
	return at;
}

int edit_replace_needed(struct edit *ed, const char *old, const char *new_,
			char *err, size_t errlen)
{
	uint64_t hint = 0;
	size_t hits = 0;
	for (size_t i = 0; i < ed->n; i++)
		if (names(ed, i, DT_NEEDED, old)) {
			hint = ed->dyn[i].d_un.d_val;
			ed->dyn[i].d_un.d_val = PENDING_DYN;
			hits++;
		}
	if (!hits) {
		note(ed, "no DT_NEEDED \"%s\": nothing to replace", old);
		return 0;
	}
	size_t vers = 0;
	for (size_t i = 0; i < ed->im->vn_count; i++) {
		const char *f = edit_str(ed, ed->vn_file[i]);
		if (f && !strcmp(f, old)) {
			ed->vn_file[i] = PENDING_VN;
			vers++;
		}
	}
	uint64_t off;
	if (place(ed, new_, hint, &off, err, errlen))
		return -1;
	fill_pending(ed, off);
	note(ed, "DT_NEEDED \"%s\" -> \"%s\"%s", old, new_,
	     vers ? " (and its .gnu.version_r vn_file)" : "");
	return 0;
}

int edit_add_needed(struct edit *ed, const char *name, char *err, size_t errlen)
{
	size_t first = ed->n;
	for (size_t i = 0; i < ed->n; i++) {
		if (names(ed, i, DT_NEEDED, name)) {
			note(ed, "DT_NEEDED \"%s\" is already there", name);
			return 0;
		}
		if (ed->dyn[i].d_tag == DT_NEEDED && first == ed->n)
			first = i;
	}
	uint64_t off;
	if (place(ed, name, 0, &off, err, errlen))
		return -1;
	/* First, as patchelf does: its symbols then come before those of the
	 * libraries already there. */
	if (first == ed->n)
		first = 0;
	if (insert(ed, first, DT_NEEDED, off))
		return err_set(err, errlen, "out of memory");
	note(ed, "DT_NEEDED \"%s\" added as the first dependency", name);
	return 0;
}

int edit_remove_needed(struct edit *ed, const char *name, char *err,
		       size_t errlen)
{
	for (size_t i = 0; i < ed->im->vn_count; i++) {
		const char *f = edit_str(ed, ed->vn_file[i]);
		if (f && !strcmp(f, name))
			return err_set(err, errlen, "cannot remove \"%s\": "
				    ".gnu.version_r needs symbol versions from it "
				    "(ld.so would abort on the dangling Verneed)", name);
	}
	size_t hits = 0;
	for (size_t i = 0; i < ed->n;) {
		if (names(ed, i, DT_NEEDED, name)) {
			remove_at(ed, i);
			hits++;
		} else {
			i++;
		}
	}
	if (hits)
		note(ed, "DT_NEEDED \"%s\" removed", name);
	else
		note(ed, "no DT_NEEDED \"%s\": nothing to remove", name);
	return 0;
}

int edit_set_soname(struct edit *ed, const char *name, char *err, size_t errlen)
{
	uint64_t hint = 0;
	bool had = false;
	for (size_t i = 0; i < ed->n; i++)
		if (ed->dyn[i].d_tag == DT_SONAME) {
			const char *old = edit_str(ed, ed->dyn[i].d_un.d_val);
			const char *base = ed->im->base_name_at ?
				edit_str(ed, ed->base_name) : NULL;
			if (old && base && !strcmp(old, base))
				ed->base_name = PENDING_VN;
			hint = ed->dyn[i].d_un.d_val;
			ed->dyn[i].d_un.d_val = PENDING_DYN;
			had = true;
		}
	uint64_t off;
	if (place(ed, name, hint, &off, err, errlen))
		return -1;
	if (had) {
		fill_pending(ed, off);
	} else if (insert(ed, after_last(ed, DT_NEEDED, DT_NEEDED), DT_SONAME, off)) {
		return err_set(err, errlen, "out of memory");
	}
	note(ed, "DT_SONAME \"%s\"%s", name, had ? "" : " added");
	return 0;
}

int edit_set_rpath(struct edit *ed, const char *path, bool force_rpath,
		   char *err, size_t errlen)
{
	int64_t tag = force_rpath ? DT_RPATH : DT_RUNPATH;
	uint64_t hint = 0;
	bool had = false;
	for (size_t i = 0; i < ed->n;) {
		int64_t t = ed->dyn[i].d_tag;
		if (t != DT_RPATH && t != DT_RUNPATH) {
			i++;
			continue;
		}
		if (had) {  /* one search path entry is all the loader uses */
			remove_at(ed, i);
			continue;
		}
		hint = ed->dyn[i].d_un.d_val;
		ed->dyn[i].d_tag = tag;
		ed->dyn[i].d_un.d_val = PENDING_DYN;
		had = true;
		i++;
	}
	uint64_t off;
	if (place(ed, path, hint, &off, err, errlen))
		return -1;
	if (had) {
		fill_pending(ed, off);
	} else if (insert(ed, after_last(ed, DT_NEEDED, DT_SONAME), tag, off)) {
		return err_set(err, errlen, "out of memory");
	}
	note(ed, "%s \"%s\"%s", force_rpath ? "DT_RPATH" : "DT_RUNPATH", path,
	     had ? "" : " added");
	return 0;
}

int edit_finish(struct edit *ed, struct ranges *out, char *err, size_t errlen)
{
	const struct elf_image *im = ed->im;
	size_t room = im->dyn_slots - 1;
	if (ed->n > room && im->executable) {
		for (size_t i = 0; i < ed->n; i++)
			if (ed->dyn[i].d_tag == DT_DEBUG) {
				remove_at(ed, i);
				note(ed, "recycled the DT_DEBUG slot (debuggers fall "
				     "back to ld.so's _r_debug)");
				break;
			}
	}
	if (ed->n > room)
		return err_set(err, errlen, "no room in .dynamic: %zu more 16-byte "
			    "entr%s needed (%zu slots, one DT_NULL must stay); GNU ld "
			    "leaves room with -Wl,--spare-dynamic-tags=N (default 5), "
			    "lld leaves none", ed->n - room,
			    ed->n - room == 1 ? "y" : "ies", im->dyn_slots);

	size_t dsize = im->dyn_slots * 16;
	const unsigned char *dold = im->raw + im->dyn_off;
	unsigned char *dnew = malloc(dsize);
	if (!dnew)
		return err_set(err, errlen, "out of memory");
	memcpy(dnew, dold, dsize);
	for (size_t i = 0; i < ed->n; i++) {
		put_le64(dnew + i * 16, (uint64_t)ed->dyn[i].d_tag);
		put_le64(dnew + i * 16 + 8, ed->dyn[i].d_un.d_val);
	}
	/* Slots that were live and are not any more become DT_NULL; spare
	 * slots beyond keep their bytes, but the one after the last live
	 * entry must be a terminator. */
	for (size_t i = ed->n; i < im->dyn_live; i++)
		memset(dnew + i * 16, 0, 16);
	if (le64(dnew + ed->n * 16))
		memset(dnew + ed->n * 16, 0, 16);
	int rc = ranges_diff(out, im->dyn_off, dold, dnew, dsize, ".dynamic");
	free(dnew);
	rc |= ranges_diff(out, im->str_off, im->raw + im->str_off, ed->str,
			  im->str_size, ".dynstr");
	for (size_t i = 0; !rc && i < im->vn_count; i++) {
		unsigned char b[4];
		put_le32(b, ed->vn_file[i]);
		rc |= ranges_diff(out, im->vn[i].off + 4, im->raw + im->vn[i].off + 4,
				  b, 4, ".gnu.version_r");
	}
	if (!rc && im->base_name_at) {
		unsigned char b[4];
		put_le32(b, ed->base_name);
		rc |= ranges_diff(out, im->base_name_at, im->raw + im->base_name_at,
				  b, 4, ".gnu.version_d");
	}
	if (rc)
		return err_set(err, errlen, "out of memory");
	ranges_sort(out);
	return 0;
}
