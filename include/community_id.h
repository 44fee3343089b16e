/* community_id.h - Community ID flow hashing, version 1
 * (https://github.com/corelight/community-id-spec).
 *
 * "1:" + base64(SHA-1(seed(2, big-endian) . saddr . daddr . proto . 0 .
 * sport(2) . dport(2))), endpoints ordered so both directions agree. For
 * ICMP and ICMPv6, `sport` is the type and `dport` the code; the function
 * maps them to the spec's port equivalents (request/reply pairs) itself.
 */
#ifndef DAVY_COMMUNITY_ID_H
#define DAVY_COMMUNITY_ID_H

#include <stddef.h>
#include <stdint.h>

#define COMMUNITY_ID_LEN 31 /* "1:" + 28 base64 characters + NUL */

/* ipver 4 (4-byte addresses) or 6 (16). Writes a NUL-terminated id into out
 * (at least COMMUNITY_ID_LEN bytes). Returns 0, or -1 when hashing failed. */
int community_id_v1(uint16_t seed, int ipver, const uint8_t *saddr, const uint8_t *daddr,
		    uint8_t proto, uint16_t sport, uint16_t dport, char *out);

#endif
