/* fuzz_invariant.h - the CHECK of the fuzz targets that check their own
 * invariants (each target is one .c file; this is included, not linked).
 * Define FUZZ_NAME ("fuzz_redis") before including it. A violation prints
 * the target's name and the condition, then abort()s: libFuzzer reports a
 * crash and saves the input. (fuzz_check.h is the packet targets' richer
 * report.)
 */
#ifndef DAVY_FUZZ_INVARIANT_H
#define DAVY_FUZZ_INVARIANT_H

#include <stdio.h>
#include <stdlib.h>

#ifndef FUZZ_NAME
#error "define FUZZ_NAME before including fuzz_invariant.h"
#endif

#define CHECK(cond)                                                                        \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "%s: invariant violated: %s\n", FUZZ_NAME, #cond); \
			abort();                                                           \
		}                                                                          \
	} while (0)

#endif
