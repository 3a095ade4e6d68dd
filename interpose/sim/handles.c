#include "handles.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct block {
	uint32_t magic;		/* zero once destroyed */
	void *next;
};

void *handle_new(struct handle_pool *p)
{
	size_t size = p->size < sizeof(struct block) ? sizeof(struct block)
						      : p->size;
	pthread_mutex_lock(&p->mu);
	struct block *b = p->free;
	if (b)
		p->free = b->next;
	pthread_mutex_unlock(&p->mu);
	if (b)
		memset(b, 0, size);
	else
		b = calloc(1, size);
	return b;
}

void handle_delete(struct handle_pool *p, void *h)
{
	struct block *b = h;
	b->magic = 0;
	pthread_mutex_lock(&p->mu);
	b->next = p->free;
	p->free = b;
	pthread_mutex_unlock(&p->mu);
}
