/* hash.h - the 64-bit mixing step davy's hash tables share.
 *
 * davy_fmix64 is MurmurHash3's 64-bit finaliser: a bijection in which every
 * input bit reaches every output bit, so that the low bits a table masks
 * with are as good as the high ones. Tables keyed by addresses (the flow
 * table, the pod map) end their hash with it.
 */
#ifndef DAVY_HASH_H
#define DAVY_HASH_H

#include <stdint.h>

static inline uint64_t davy_fmix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

#endif
