/* sctp.c - Stream Control Transmission Protocol common header (RFC 9260).
 *
 *  +-----------------+-----------------+
 *  |  source port    |   dest port     |
 *  |        verification tag           |
 *  |            checksum               |
 *  +-----------------+-----------------+
 *
 * Only the ports matter to the flow (and to its Community ID). Chunks are
 * the payload. TRUNCATED: fewer than 12 bytes.
 */
#include "decode.h"

enum dec_result sctp_decode(struct cursor *c, struct pkt *p)
{
	p->sport = cur_be16(c);
	p->dport = cur_be16(c);
	cur_skip(c, 8);
	if (c->failed)
		return DEC_TRUNCATED;
	p->payload_off = (uint32_t)(c->p - p->data);
	p->payload_len = (uint32_t)cur_left(c);
	p->next = L_NONE;
	return DEC_OK;
}
