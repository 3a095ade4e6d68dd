/* A small open-addressing map from 64-bit keys to pointers, for the
 * report model's tables (threads, processes, errors, call sites). */
#ifndef VGPU_REPORT_MAP_H
#define VGPU_REPORT_MAP_H

#include <stddef.h>
#include <stdint.h>

struct u64map {
	uint64_t *keys;
	void **vals;		/* NULL: empty slot */
	size_t cap, n;
};

void *u64map_get(const struct u64map *m, uint64_t key);
void u64map_put(struct u64map *m, uint64_t key, void *val);	/* val != NULL */
void u64map_free(struct u64map *m);
uint64_t rpt_hash_str(const char *s);

#endif
