/* chdlc.c - Cisco HDLC (DLT_C_HDLC), as captured on serial and POS links.
 *
 *  +---------+---------+-------------------+
 *  | address | control | protocol (ether-  |
 *  | 0x0f/8f | 0x00    | type: 0x0800 ...) |
 *  +---------+---------+-------------------+
 *
 * The protocol is an ethertype; SLARP (0x8035) and CDP are UNSUPPORTED.
 */
#include "decode.h"

enum dec_result chdlc_decode(struct cursor *c, struct pkt *p)
{
	cur_skip(c, 2);
	uint16_t proto = cur_be16(c);
	if (c->failed)
		return DEC_TRUNCATED;
	p->next = decode_ethertype(p, proto);
	return p->next == L_NONE ? DEC_UNSUPPORTED : DEC_OK;
}
