/* udp.c - User Datagram Protocol header (RFC 768).
 *
 *  +--------+--------+--------+--------+
 *  |  source port    |   dest port     |
 *  |  length         |   checksum      |
 *  +--------+--------+--------+--------+
 *
 * MALFORMED: length < 8. A length of 0 over IPv6 (jumbogram) and a length
 * beyond the captured bytes are accepted: the payload is what is there.
 */
#include "decode.h"

enum dec_result udp_decode(struct cursor *c, struct pkt *p)
{
	p->sport = cur_be16(c);
	p->dport = cur_be16(c);
	uint16_t len = cur_be16(c);
	cur_skip(c, 2);
	if (c->failed)
		return DEC_TRUNCATED;
	if (len != 0 && len < 8)
		return DEC_MALFORMED;
	if (len >= 8)
		cur_limit(c, (size_t)len - 8);
	p->payload_off = (uint32_t)(c->p - p->data);
	p->payload_len = (uint32_t)cur_left(c);
	p->next = L_NONE;
	return DEC_OK;
}
