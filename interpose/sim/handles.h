/* Handle objects (contexts, streams, events, modules) are never returned
 * to malloc: a destroyed handle keeps its memory with its magic cleared,
 * so a client that uses it afterwards gets CUDA_ERROR_INVALID_HANDLE (or
 * _CONTEXT) from a defined read instead of a use-after-free, as with the
 * real driver.  Destroyed blocks are reused for new handles of the same
 * pool. */
#ifndef VGPU_SIM_HANDLES_H
#define VGPU_SIM_HANDLES_H

#include <pthread.h>
#include <stddef.h>

struct handle_pool {
	pthread_mutex_t mu;
	void *free;		/* destroyed blocks, linked through their word 1 */
	size_t size;
};
#define HANDLE_POOL(type) { PTHREAD_MUTEX_INITIALIZER, NULL, sizeof(type) }

/* A zeroed block (the first field of every handle type is its magic). */
void *handle_new(struct handle_pool *p);
/* Clear the magic and keep the block for reuse. */
void handle_delete(struct handle_pool *p, void *h);

#endif
