/* mpls.c - MPLS label stack (RFC 3032), ethertypes 0x8847 and 0x8848.
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                Label                  | TC  |S|       TTL     |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Labels are popped until the bottom-of-stack bit S; what follows has no
 * type field, so the version nibble tells IPv4 (4) from IPv6 (6). Anything
 * else (a pseudowire control word, Ethernet over MPLS) is UNSUPPORTED.
 * The stack is recorded as a tunnel layer with its top label.
 * A stack deeper than DAVY_MAX_LAYERS labels is MALFORMED.
 */
#include "decode.h"

enum dec_result mpls_decode(struct cursor *c, struct pkt *p)
{
	uint32_t top = 0;
	for (int n = 0;; n++) {
		if (n >= DAVY_MAX_LAYERS)
			return DEC_MALFORMED;
		uint32_t e = cur_be32(c);
		if (c->failed)
			return DEC_TRUNCATED;
		if (n == 0)
			top = e >> 12;
		if (e & 0x100)
			break;
	}
	uint8_t v = cur_peek(c, 0);
	if (c->failed)
		return DEC_TRUNCATED;
	switch (v >> 4) {
	case 4: return decode_enter_tunnel(p, c, TUN_MPLS, true, top, L_IPV4);
	case 6: return decode_enter_tunnel(p, c, TUN_MPLS, true, top, L_IPV6);
	default: return DEC_UNSUPPORTED;
	}
}
