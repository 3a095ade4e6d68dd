/* Local function indices: the generated names first, then names met at
 * run time (cuGetProcAddress results with no export of that name, export
 * table slots), each published to the ring set before its first use. */
#include <stdlib.h>
#include <string.h>

#include "interposer.h"

#define MAX_DYNAMIC 8192

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char *dyn_names[MAX_DYNAMIC];
static uint32_t dyn_api[MAX_DYNAMIC];
static uint32_t ndyn;
static uint32_t published;		/* names copied into the current set */
static struct vr_header *published_to;

static int cmp_name(const void *key, const void *elem)
{
	return strcmp(key, *(const char *const *)elem);
}

int vgpu_static_index(const char *name)
{
	const char *const *p = bsearch(name, vgpu_static_names, vgpu_nstatic,
				       sizeof(*vgpu_static_names), cmp_name);
	return p ? (int)(p - vgpu_static_names) : -1;
}

static void publish_locked(struct vr_header *h)
{
	if (!h)
		return;
	if (h != published_to) {
		published_to = h;
		published = 0;
	}
	uint32_t total = vgpu_nstatic + ndyn;
	char *area = vr_names(h);
	uint64_t used = atomic_load_explicit(&h->names_used,
					     memory_order_relaxed);
	for (; published < total; published++) {
		uint32_t i = published;
		const char *n = i < vgpu_nstatic ? vgpu_static_names[i]
						 : dyn_names[i - vgpu_nstatic];
		uint32_t api = i < vgpu_nstatic ? vgpu_api.api
						: dyn_api[i - vgpu_nstatic];
		size_t len = strlen(n);
		if (used + len + 2 > h->names_bytes)
			break;		/* ids past here stay unnamed */
		area[used] = (char)('0' + api);
		memcpy(area + used + 1, n, len + 1);
		used += len + 2;
		atomic_store_explicit(&h->names_used, used,
				      memory_order_relaxed);
		atomic_store_explicit(&h->names_count, i + 1,
				      memory_order_release);
	}
}

void vgpu_names_publish(struct vr_header *h)
{
	pthread_mutex_lock(&lock);
	publish_locked(h);
	pthread_mutex_unlock(&lock);
}

uint32_t vgpu_name_index(uint32_t api, const char *name)
{
	if (api == vgpu_api.api) {
		int i = vgpu_static_index(name);
		if (i >= 0)
			return (uint32_t)i;
	}
	pthread_mutex_lock(&lock);
	uint32_t idx = UINT32_MAX;
	for (uint32_t i = 0; i < ndyn; i++)
		if (dyn_api[i] == api && !strcmp(dyn_names[i], name)) {
			idx = vgpu_nstatic + i;
			break;
		}
	if (idx == UINT32_MAX && ndyn < MAX_DYNAMIC &&
	    (dyn_names[ndyn] = strdup(name))) {
		dyn_api[ndyn] = api;
		idx = vgpu_nstatic + ndyn++;
		publish_locked(vgpu_ring_set);
	}
	pthread_mutex_unlock(&lock);
	return idx == UINT32_MAX ? 0 : idx;
}

const char *vgpu_name_of(uint32_t index)
{
	if (index < vgpu_nstatic)
		return vgpu_static_names[index];
	pthread_mutex_lock(&lock);
	const char *n = index - vgpu_nstatic < ndyn ?
			dyn_names[index - vgpu_nstatic] : "?";
	pthread_mutex_unlock(&lock);
	return n;
}
