/* pool.h - a pool of fixed-size objects that grows in slabs up to a bound
 * and never returns memory, so the packet path takes and gives back objects
 * without malloc once the pool has grown.
 *
 * Invariants: at most `max` objects exist; memory grows `slab` objects at a
 * time (one calloc) and is freed only by pool_release(); `bytes` is what the
 * slabs hold. A pool belongs to one thread.
 */
#ifndef DAVY_POOL_H
#define DAVY_POOL_H

#include <stddef.h>
#include <stdint.h>

struct pool {
	void *free;
	void **slabs;
	size_t nslabs, cap_slabs;
	size_t obj_size;
	uint64_t max, have, slab;
	uint64_t bytes;
};

/* obj_size must be at least sizeof(void *) (a free object links through its
 * first word); it is rounded up so that every object is aligned for any
 * type. slab: objects per slab. Allocates nothing. */
void pool_init(struct pool *pl, size_t obj_size, uint64_t max, uint64_t slab);
/* An object (contents undefined), or NULL when the pool is at its bound or
 * a slab cannot be had. */
void *pool_get(struct pool *pl);
void pool_put(struct pool *pl, void *o);
/* Frees every slab: every object is gone. */
void pool_release(struct pool *pl);

#endif
