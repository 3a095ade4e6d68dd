/* Maps that grow with use, for the streaming writers' per-thread and
 * per-function tables and interned strings: a trace with three threads
 * costs a few hundred bytes, not a table sized for the worst case. */
#include <stdlib.h>
#include <string.h>

#include "report_stream.h"

static size_t slot_of(uint64_t key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ull) >> 20) & (cap - 1);
}

uint32_t rpt_idmap_get(struct rpt_idmap *m, uint64_t key, uint32_t next,
		       bool *fresh)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 64;
		uint64_t *keys = rpt_calloc(cap, sizeof(*keys));
		uint32_t *vals = rpt_calloc(cap, sizeof(*vals));
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->vals[i])
				continue;
			size_t k = slot_of(m->keys[i], cap);
			while (vals[k])
				k = (k + 1) & (cap - 1);
			keys[k] = m->keys[i];
			vals[k] = m->vals[i];
		}
		free(m->keys);
		free(m->vals);
		m->keys = keys;
		m->vals = vals;
		m->cap = cap;
	}
	size_t k = slot_of(key, m->cap);
	for (; m->vals[k]; k = (k + 1) & (m->cap - 1))
		if (m->keys[k] == key) {
			*fresh = false;
			return m->vals[k] - 1;
		}
	m->keys[k] = key;
	m->vals[k] = next + 1;
	m->n++;
	*fresh = true;
	return next;
}

void rpt_idmap_free(struct rpt_idmap *m)
{
	free(m->keys);
	free(m->vals);
	*m = (struct rpt_idmap){ 0 };
}

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;	/* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

uint32_t rpt_strtab_get(struct rpt_strtab *t, const char *s, bool *fresh)
{
	if ((t->n + 1) * 2 > t->nslot) {
		size_t ns = t->nslot ? t->nslot * 2 : 256;
		uint32_t *slot = rpt_calloc(ns, sizeof(*slot));
		for (size_t k = 0; k < t->n; k++) {
			size_t i = str_hash(t->s[k]) & (ns - 1);
			while (slot[i])
				i = (i + 1) & (ns - 1);
			slot[i] = (uint32_t)k + 1;
		}
		free(t->slot);
		t->slot = slot;
		t->nslot = ns;
		t->s = realloc(t->s, ns / 2 * sizeof(*t->s));
		if (!t->s)
			abort();
	}
	size_t i = str_hash(s) & (t->nslot - 1);
	for (; t->slot[i]; i = (i + 1) & (t->nslot - 1))
		if (!strcmp(t->s[t->slot[i] - 1], s)) {
			*fresh = false;
			return t->slot[i] - 1;
		}
	t->s[t->n] = rpt_strdup(s);
	t->slot[i] = (uint32_t)++t->n;
	*fresh = true;
	return (uint32_t)(t->n - 1);
}

void rpt_strtab_free(struct rpt_strtab *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->s[i]);
	free(t->s);
	free(t->slot);
	*t = (struct rpt_strtab){ 0 };
}
