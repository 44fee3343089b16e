/* gre.c - Generic Routing Encapsulation (RFC 2784, key and sequence number
 * extensions RFC 2890), GRE-in-UDP (RFC 8086), and the ERSPAN headers that
 * mirror traffic rides in (draft-foschiano-erspan).
 *
 * GRE:
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |C|R|K|S| Reserved0       | Ver |         Protocol Type         |
 *  |      Checksum (optional)      |       Reserved1 (optional)    |
 *  |                         Key (optional)                        |
 *  |                 Sequence Number (optional)                    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * Version 0, and version 1 (PPTP's enhanced GRE, carrying PPP: gre_pptp).
 * The routing bit R (RFC 1701 source routes, deprecated) and versions above
 * 1 are MALFORMED.
 * Protocol: 0x0800 IPv4, 0x86dd IPv6, 0x6558 transparent Ethernet bridging,
 * 0x8847 MPLS, 0x88be ERSPAN type II (type I when the S bit is clear: no
 * ERSPAN header, Ethernet follows), 0x22eb ERSPAN type III.
 *
 * ERSPAN type II (8 bytes):
 *  | Ver=1 |        VLAN           | COS |En|T|     Session ID      |
 *  |      Reserved         |              Index                    |
 * ERSPAN type III (12 bytes, plus 8 when O is set):
 *  | Ver=2 |        VLAN           | COS |BSO|T|    Session ID      |
 *  |                          Timestamp                            |
 *  |             SGT               |P|  FT   |  Hw ID    |D|Gra|O|
 *  |            Platform specific sub-header (when O)              |
 */
#include "decode.h"

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000

/* Enhanced GRE (RFC 2637, PPTP): K set, protocol 0x880b (PPP), then
 * payload length (2) and call id (2) in place of the key, sequence number
 * when S, acknowledgment number when A (0x0080). The call id names the
 * receiving peer's end, so the two directions differ: it is not part of the
 * flow key. A packet with payload length 0 is an acknowledgment alone:
 * UNSUPPORTED (counted; there is no packet inside to follow). The PPP frame inside is often compressed or encrypted (then
 * ppp_decode says UNSUPPORTED); plain IP inside is followed. */
static enum dec_result gre_pptp(struct cursor *c, struct pkt *p, uint16_t fv, uint16_t proto)
{
	if (proto != 0x880b || !(fv & GRE_K) || (fv & (GRE_C | GRE_R)))
		return DEC_MALFORMED;
	uint16_t plen = cur_be16(c);
	cur_skip(c, 2); /* call id */
	if (fv & GRE_S)
		cur_skip(c, 4);
	if (fv & 0x0080)
		cur_skip(c, 4);
	if (c->failed)
		return DEC_TRUNCATED;
	if (plen == 0)
		return DEC_UNSUPPORTED; /* an acknowledgment alone: no packet inside */
	return decode_enter_tunnel(p, c, TUN_GRE, false, 0, L_PPP);
}

enum dec_result gre_decode(struct cursor *c, struct pkt *p)
{
	uint16_t fv = cur_be16(c);
	uint16_t proto = cur_be16(c);
	if (c->failed)
		return DEC_TRUNCATED;
	unsigned ver = fv & 0x7;
	if (ver == 1)
		return gre_pptp(c, p, fv, proto);
	if (ver != 0 || (fv & GRE_R))
		return DEC_MALFORMED;
	uint32_t key = 0;
	if (fv & GRE_C)
		cur_skip(c, 4);
	if (fv & GRE_K)
		key = cur_be32(c);
	if (fv & GRE_S)
		cur_skip(c, 4);
	if (c->failed)
		return DEC_TRUNCATED;

	enum layer next;
	bool erspan1 = false;
	switch (proto) {
	case 0x0800: next = L_IPV4; break;
	case 0x86dd: next = L_IPV6; break;
	case 0x6558: next = L_ETH; break;
	case 0x8847: next = L_MPLS; break;
	case 0x88be:
		if (fv & GRE_S) {
			next = L_ERSPAN;
		} else {
			next = L_ETH;
			erspan1 = true;
		}
		break;
	case 0x22eb: next = L_ERSPAN; break;
	default: return DEC_UNSUPPORTED;
	}
	enum dec_result r = decode_enter_tunnel(p, c, TUN_GRE, (fv & GRE_K) != 0, key, next);
	if (r == DEC_OK && erspan1) /* type I: an ERSPAN layer without a header */
		r = decode_enter_tunnel(p, c, TUN_ERSPAN, false, 0, next);
	return r;
}

enum dec_result erspan_decode(struct cursor *c, struct pkt *p)
{
	uint16_t vv = cur_be16(c);
	uint16_t sess = cur_be16(c) & 0x03ff;
	if (c->failed)
		return DEC_TRUNCATED;
	switch (vv >> 12) {
	case 1: /* type II */
		cur_skip(c, 4);
		break;
	case 2: { /* type III */
		cur_skip(c, 6); /* timestamp, SGT */
		uint16_t bits = cur_be16(c);
		if (bits & 1)
			cur_skip(c, 8); /* platform specific sub-header */
		break;
	}
	default:
		return DEC_MALFORMED;
	}
	if (c->failed)
		return DEC_TRUNCATED;
	return decode_enter_tunnel(p, c, TUN_ERSPAN, true, sess, L_ETH);
}
