/* ppp.c - the Point-to-Point Protocol's framing as captures show it.
 *
 * PPP (RFC 1661) with HDLC-like framing (RFC 1662), for DLT_PPP and
 * DLT_PPP_SERIAL, and bare after a PPPoE header:
 *   [address 0xff, control 0x03]  protocol (2 bytes, or 1 when odd: RFC 1661
 *   protocol-field compression)
 * Protocol 0x0021 is IPv4, 0x0057 IPv6; control protocols (LCP, IPCP, ...)
 * and everything else are UNSUPPORTED. A frame starting 0x0f/0x8f 0x00 is
 * Cisco HDLC on a link the capture calls PPP, and goes to chdlc_decode.
 *
 * PPPoE session stage (RFC 2516), ethertype 0x8864:
 *   ver(4) type(4) = 0x11 | code (0x00) | session id (2) | length (2) | PPP
 * A version/type other than 0x11 or a non-zero code is MALFORMED; the
 * discovery stage (0x8863) carries no IP and is not announced to this file.
 */
#include "decode.h"

enum dec_result ppp_decode(struct cursor *c, struct pkt *p)
{
	struct cursor t = *c; /* address and control are optional: look on a copy */
	uint8_t addr = cur_u8(&t), ctl = cur_u8(&t);
	if (t.failed && (addr == 0xff || addr == 0x0f || addr == 0x8f))
		return DEC_TRUNCATED; /* an address byte alone: its control byte is cut */
	if (!t.failed && (addr == 0x0f || addr == 0x8f) && ctl == 0x00) {
		/* Cisco HDLC framing on a link labelled PPP (as tcpdump and
		 * Wireshark also accept): hand the untouched bytes on */
		p->next = L_CHDLC;
		return DEC_OK;
	}
	if (!t.failed && addr == 0xff && ctl == 0x03)
		*c = t;
	uint16_t proto = cur_u8(c);
	if (!(proto & 1))
		proto = (uint16_t)(proto << 8 | cur_u8(c));
	if (c->failed)
		return DEC_TRUNCATED;
	switch (proto) {
	case 0x0021:
		p->next = L_IPV4;
		return DEC_OK;
	case 0x0057:
		p->next = L_IPV6;
		return DEC_OK;
	default:
		return DEC_UNSUPPORTED;
	}
}

enum dec_result pppoe_decode(struct cursor *c, struct pkt *p)
{
	uint8_t vt = cur_u8(c);
	uint8_t code = cur_u8(c);
	cur_skip(c, 2); /* session id */
	uint16_t len = cur_be16(c);
	if (c->failed)
		return DEC_TRUNCATED;
	if (vt != 0x11 || code != 0)
		return DEC_MALFORMED;
	cur_limit(c, len);
	p->next = L_PPP;
	return DEC_OK;
}
