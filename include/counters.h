/* counters.h - adding up per-thread counter structs.
 *
 * Invariant of every struct passed here: it holds only uint64_t counters
 * (arrays of them included), no padding, no pointers -- so two of them add
 * up word by word, and a field added later is summed without anyone having
 * to remember. Each such struct says so next to its definition.
 */
#ifndef DAVY_COUNTERS_H
#define DAVY_COUNTERS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* dst += src, word by word; `bytes` is sizeof the struct. */
static inline void counters_add(void *dst, const void *src, size_t bytes)
{
	uint8_t *d = dst;
	const uint8_t *s = src;
	for (size_t i = 0; i + sizeof(uint64_t) <= bytes; i += sizeof(uint64_t)) {
		uint64_t a, b;
		memcpy(&a, d + i, sizeof(a));
		memcpy(&b, s + i, sizeof(b));
		a += b;
		memcpy(d + i, &a, sizeof(a));
	}
}

#define COUNTERS_ONLY(type) \
	_Static_assert(sizeof(type) % sizeof(uint64_t) == 0, #type " holds only uint64_t counters")

#endif
