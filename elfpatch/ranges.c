#include <stdlib.h>
#include <string.h>

#include "ranges.h"

int ranges_add(struct ranges *rs, uint64_t off, size_t len,
	       const unsigned char *old, const unsigned char *new_,
	       const char *what)
{
	if (rs->n == rs->cap) {
		size_t cap = rs->cap ? rs->cap * 2 : 8;
		struct range *r = realloc(rs->r, cap * sizeof(*r));
		if (!r)
			return -1;
		rs->r = r;
		rs->cap = cap;
	}
	struct range *r = &rs->r[rs->n];
	r->old = malloc(len ? len : 1);
	r->new_ = malloc(len ? len : 1);
	if (!r->old || !r->new_) {
		free(r->old);
		free(r->new_);
		return -1;
	}
	memcpy(r->old, old, len);
	memcpy(r->new_, new_, len);
	r->off = off;
	r->len = len;
	r->what = what;
	rs->n++;
	return 0;
}

int ranges_diff(struct ranges *rs, uint64_t base, const unsigned char *a,
		const unsigned char *b, size_t len, const char *what)
{
	size_t i = 0;
	while (i < len) {
		if (a[i] == b[i]) {
			i++;
			continue;
		}
		size_t j = i;
		while (j < len && a[j] != b[j])
			j++;
		if (ranges_add(rs, base + i, j - i, a + i, b + i, what))
			return -1;
		i = j;
	}
	return 0;
}

static int by_off(const void *x, const void *y)
{
	const struct range *a = x, *b = y;
	return a->off < b->off ? -1 : a->off > b->off;
}

void ranges_sort(struct ranges *rs)
{
	if (rs->n)
		qsort(rs->r, rs->n, sizeof(*rs->r), by_off);
}

size_t ranges_bytes(const struct ranges *rs)
{
	size_t t = 0;
	for (size_t i = 0; i < rs->n; i++)
		t += rs->r[i].len;
	return t;
}

static void hex(FILE *f, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%02x", p[i]);
}

void ranges_print(FILE *f, const char *prefix, const struct ranges *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		const struct range *r = &rs->r[i];
		fprintf(f, "%schange 0x%llx+%zu %s: ", prefix,
			(unsigned long long)r->off, r->len, r->what ? r->what : "");
		hex(f, r->old, r->len);
		fputs(" -> ", f);
		hex(f, r->new_, r->len);
		fputc('\n', f);
	}
}

void ranges_free(struct ranges *rs)
{
	for (size_t i = 0; i < rs->n; i++) {
		free(rs->r[i].old);
		free(rs->r[i].new_);
	}
	free(rs->r);
	rs->r = NULL;
	rs->n = rs->cap = 0;
}
