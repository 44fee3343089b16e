/* pool.c - fixed-size objects in slabs (see pool.h). */
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"

void pool_init(struct pool *pl, size_t obj_size, uint64_t max, uint64_t slab)
{
	memset(pl, 0, sizeof(*pl));
	/* every object aligned for any type (a free one holds a pointer) */
	size_t a = _Alignof(max_align_t);
	pl->obj_size = (obj_size + a - 1) / a * a;
	pl->max = max;
	pl->slab = slab ? slab : 1;
}

/* Grows by one slab (up to the bound); false when it cannot. */
static bool pool_grow(struct pool *pl)
{
	if (pl->have >= pl->max)
		return false;
	uint64_t n = pl->max - pl->have < pl->slab ? pl->max - pl->have : pl->slab;
	if (pl->nslabs == pl->cap_slabs) {
		size_t nc = pl->cap_slabs ? pl->cap_slabs * 2 : 16;
		void **sl = realloc(pl->slabs, nc * sizeof(*sl));
		if (!sl)
			return false;
		pl->slabs = sl;
		pl->cap_slabs = nc;
	}
	uint8_t *slab = calloc(n, pl->obj_size);
	if (!slab)
		return false;
	pl->slabs[pl->nslabs++] = slab;
	pl->have += n;
	pl->bytes += n * pl->obj_size;
	for (uint64_t i = 0; i < n; i++) {
		void *o = slab + i * pl->obj_size;
		*(void **)o = pl->free;
		pl->free = o;
	}
	return true;
}

/* An object (contents undefined), or NULL when the pool is at its bound. */
void *pool_get(struct pool *pl)
{
	if (!pl->free && !pool_grow(pl))
		return NULL;
	void *o = pl->free;
	pl->free = *(void **)o;
	return o;
}

void pool_put(struct pool *pl, void *o)
{
	*(void **)o = pl->free;
	pl->free = o;
}

void pool_release(struct pool *pl)
{
	for (size_t i = 0; i < pl->nslabs; i++)
		free(pl->slabs[i]);
	free(pl->slabs);
	memset(pl, 0, sizeof(*pl));
}
