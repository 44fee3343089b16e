/* sll.c - Linux "cooked" capture headers (tcpdump -i any).
 *
 * SLL v1 (DLT_LINUX_SLL, 16 bytes):
 *   packet type(2) ARPHRD type(2) address length(2) address(8) protocol(2)
 * SLL v2 (DLT_LINUX_SLL2, 20 bytes):
 *   protocol(2) reserved(2) interface index(4) ARPHRD type(2)
 *   packet type(1) address length(1) address(8)
 *
 * The protocol field is an ethertype for the link types davy meets (Ethernet,
 * loopback, tunnels, IP-only devices); values below 0x0600 are Linux's own
 * pseudo protocols (802.2, CAN, ...) and are UNSUPPORTED.
 */
#include "decode.h"

static enum dec_result sll_next(struct pkt *p, uint16_t proto)
{
	if (proto < 0x0600)
		return DEC_UNSUPPORTED;
	p->next = decode_ethertype(p, proto);
	return p->next == L_NONE ? DEC_UNSUPPORTED : DEC_OK;
}

enum dec_result sll_decode(struct cursor *c, struct pkt *p)
{
	cur_skip(c, 14);
	uint16_t proto = cur_be16(c);
	if (c->failed)
		return DEC_TRUNCATED;
	return sll_next(p, proto);
}

enum dec_result sll2_decode(struct cursor *c, struct pkt *p)
{
	uint16_t proto = cur_be16(c);
	cur_skip(c, 18);
	if (c->failed)
		return DEC_TRUNCATED;
	return sll_next(p, proto);
}
