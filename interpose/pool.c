/* Thunks for pointers handed out at run time: one pool stub per distinct
 * (name, pointer), so the trace names what the caller asked for while the
 * call goes exactly where the backend pointed. */
#include <string.h>

#include "interposer.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t used;

void *vgpu_wrap(uint32_t api, const char *name, void *fn)
{
	if (!fn || vgpu_is_ours(fn))
		return fn;
	uint32_t func = vgpu_name_index(api, name);
	void *res = fn;
	pthread_mutex_lock(&lock);
	for (uint32_t i = 0; i < used; i++)
		if (vgpu_pool_slots[i].target == fn &&
		    vgpu_pool_slots[i].func == func) {
			res = vgpu_pool + (size_t)i * VGPU_POOL_STUB;
			goto out;
		}
	if (used < VGPU_POOL_SIZE) {
		struct vgpu_slot *s = &vgpu_pool_slots[used];
		s->func = func;
		s->out = NULL;
		int si = api == vgpu_api.api ? vgpu_static_index(name) : -1;
		if (si >= 0)
			s->out = vgpu_slots[si].out;
		s->inject = vgpu_inject_for(name);
		/* The target last: a stub is only handed out after this. */
		__atomic_store_n(&s->target, fn, __ATOMIC_RELEASE);
		res = vgpu_pool + (size_t)used * VGPU_POOL_STUB;
		used++;
	}
	/* A full pool hands out the backend's own pointer: untraced but
	 * working. */
out:
	pthread_mutex_unlock(&lock);
	return res;
}
