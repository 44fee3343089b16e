/* icmp.c - ICMP for IPv4 (RFC 792) and ICMPv6 (RFC 4443).
 *
 *  +--------+--------+--------+--------+
 *  |  type  |  code  |    checksum     |
 *  |     rest of header (4 bytes)      |
 *  +--------+--------+--------+--------+
 *
 * Only type and code matter to the flow (Community ID maps them to ports);
 * error messages quoting another packet are not opened. TRUNCATED: fewer
 * than the 4 bytes of type, code and checksum (the rest of the header
 * depends on the type, and a short one is still a countable message).
 */
#include "decode.h"

static enum dec_result icmp_any(struct cursor *c, struct pkt *p)
{
	p->icmp_type = cur_u8(c);
	p->icmp_code = cur_u8(c);
	cur_skip(c, 2); /* checksum */
	if (c->failed)
		return DEC_TRUNCATED;
	p->payload_off = (uint32_t)(c->p - p->data);
	p->payload_len = (uint32_t)cur_left(c);
	p->next = L_NONE;
	return DEC_OK;
}

enum dec_result icmp_decode(struct cursor *c, struct pkt *p)
{
	return icmp_any(c, p);
}

enum dec_result icmpv6_decode(struct cursor *c, struct pkt *p)
{
	return icmp_any(c, p);
}
