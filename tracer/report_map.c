/* Open addressing with linear probing; grows at 50% load. */
#include <stdlib.h>

#include "report.h"
#include "report_map.h"

static size_t slot(uint64_t key, size_t cap)
{
	key ^= key >> 33;
	key *= 0xff51afd7ed558ccdull;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void *u64map_get(const struct u64map *m, uint64_t key)
{
	if (!m->cap)
		return NULL;
	for (size_t i = slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i])
			return NULL;
		if (m->keys[i] == key)
			return m->vals[i];
	}
}

static void grow(struct u64map *m)
{
	struct u64map g = { .cap = m->cap ? m->cap * 2 : 16 };
	g.keys = rpt_calloc(g.cap, sizeof(*g.keys));
	g.vals = rpt_calloc(g.cap, sizeof(*g.vals));
	for (size_t i = 0; i < m->cap; i++)
		if (m->vals[i])
			u64map_put(&g, m->keys[i], m->vals[i]);
	free(m->keys);
	free(m->vals);
	*m = g;
}

void u64map_put(struct u64map *m, uint64_t key, void *val)
{
	if (2 * (m->n + 1) > m->cap)
		grow(m);
	for (size_t i = slot(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (!m->vals[i]) {
			m->keys[i] = key;
			m->vals[i] = val;
			m->n++;
			return;
		}
		if (m->keys[i] == key) {
			m->vals[i] = val;
			return;
		}
	}
}

void u64map_free(struct u64map *m)
{
	free(m->keys);
	free(m->vals);
	m->keys = NULL;
	m->vals = NULL;
	m->cap = m->n = 0;
}

uint64_t rpt_hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}
