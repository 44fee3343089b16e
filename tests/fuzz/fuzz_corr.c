/* fuzz_corr.c - libFuzzer target: arbitrary bytes as a record read from a
 * Redis stream, through json-c and the correlator's observation step
 * (corr_observation in sensor/correlate.c). Anyone who can write to the
 * streams chooses these bytes.
 *
 * Checks, on every input json-c accepts as an object:
 *  - corr_observation returns 0 or 1, and is deterministic (a second call
 *    gives the same struct);
 *  - every string of struct corr_obs is NUL-terminated inside its array and
 *    holds no control character (names are joined with '\n' in the script);
 *  - an observation (1) has a source, a pool and its time text; flows carry
 *    no alert id; an alias looks like "addr:port".
 * A violation prints what failed and abort()s: libFuzzer saves the input.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz_corr"
#include "fuzz_invariant.h"

static void check_str(const char *s, size_t cap)
{
	const char *nul = memchr(s, '\0', cap);
	CHECK(nul != NULL);
	for (const char *p = s; p < nul; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 16)
		return 0;
	struct json_tokener *tok = json_tokener_new();
	if (!tok)
		return 0;
	struct json_object *rec = json_tokener_parse_ex(tok, (const char *)data, (int)size);
	json_tokener_free(tok);
	if (!rec)
		return 0;
	if (json_object_is_type(rec, json_type_object)) {
		static struct corr_obs a, b;
		bool from_alert = size && (data[0] & 1);
		int r = corr_observation(rec, from_alert ? "1700000000000-0" : NULL, &a);
		CHECK(r == 0 || r == 1);
		int r2 = corr_observation(rec, from_alert ? "1700000000000-0" : NULL, &b);
		CHECK(r2 == r && memcmp(&a, &b, sizeof(a)) == 0);
		check_str(a.t_iso, sizeof(a.t_iso));
		check_str(a.source, sizeof(a.source));
		check_str(a.sensor, sizeof(a.sensor));
		check_str(a.pool, sizeof(a.pool));
		check_str(a.alias, sizeof(a.alias));
		check_str(a.wallet, sizeof(a.wallet));
		check_str(a.alert_id, sizeof(a.alert_id));
		if (r == 1) {
			CHECK(a.source[0] && a.pool[0] && a.t_iso[0]);
			if (!from_alert)
				CHECK(a.alert_id[0] == '\0');
			if (a.alias[0])
				CHECK(strrchr(a.alias, ':') != NULL);
		}
	}
	json_object_put(rec);
	return 0;
}
