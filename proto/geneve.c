/* geneve.c - Generic Network Virtualization Encapsulation (RFC 8926),
 * inside UDP (default port 6081).
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Ver|  Opt Len  |O|C|    Rsvd.  |          Protocol Type        |
 *  |        Virtual Network Identifier (VNI)       |    Reserved   |
 *  |                    Variable-Length Options                    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Each option:
 *  |          Option Class         |      Type     |R|R|R| Length  |
 *  |                  Variable-Length Option Data (Length * 4)     |
 *
 * Opt Len and Length count 4-byte words. The options are walked one by one,
 * and must end exactly at Opt Len (MALFORMED otherwise); their count and
 * total length are kept with the tunnel. Version other than 0: MALFORMED.
 * Protocol 0x6558 is inner Ethernet, 0x0800/0x86dd inner IP; others are
 * UNSUPPORTED.
 */
#include "decode.h"

enum dec_result geneve_decode(struct cursor *c, struct pkt *p)
{
	uint8_t vo = cur_u8(c);
	cur_skip(c, 1); /* O, C, reserved */
	uint16_t proto = cur_be16(c);
	uint32_t vni = cur_be24(c);
	cur_skip(c, 1);
	if (c->failed)
		return DEC_TRUNCATED;
	if ((vo >> 6) != 0)
		return DEC_MALFORMED;
	size_t optlen = (size_t)(vo & 0x3f) * 4;
	struct cursor opts = cur_sub(c, optlen);
	if (cur_left(&opts) < optlen)
		return DEC_TRUNCATED;
	unsigned nopts = 0;
	while (cur_left(&opts) > 0) {
		cur_skip(&opts, 3); /* class, type */
		size_t len = (size_t)(cur_u8(&opts) & 0x1f) * 4;
		if (opts.failed || !cur_skip(&opts, len))
			return DEC_MALFORMED; /* an option runs past Opt Len */
		nopts++;
	}
	cur_skip(c, optlen);

	enum layer next;
	switch (proto) {
	case 0x6558: next = L_ETH; break;
	case 0x0800: next = L_IPV4; break;
	case 0x86dd: next = L_IPV6; break;
	default: return DEC_UNSUPPORTED;
	}
	enum dec_result r = decode_enter_tunnel(p, c, TUN_GENEVE, true, vni, next);
	if (r == DEC_OK) {
		struct tunnel *t = &p->tun[p->ntun - 1];
		t->opt_count = (uint8_t)nopts;
		t->opt_len = (uint16_t)optlen;
	}
	return r;
}
