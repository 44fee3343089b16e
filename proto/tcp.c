/* tcp.c - Transmission Control Protocol header (RFC 9293).
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |          Source Port          |       Destination Port        |
 *  |                        Sequence Number                        |
 *  |                    Acknowledgment Number                      |
 *  |  Data |       |C|E|U|A|P|R|S|F|                               |
 *  | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
 *  |           Checksum            |         Urgent Pointer        |
 *  |                    Options (data offset > 5)                  |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Options are skipped whole (their contents do not matter to flow keeping).
 * MALFORMED: data offset < 5. TRUNCATED: header or options cut short.
 */
#include "decode.h"

enum dec_result tcp_decode(struct cursor *c, struct pkt *p)
{
	p->sport = cur_be16(c);
	p->dport = cur_be16(c);
	p->tcp_seq = cur_be32(c);
	p->tcp_ack = cur_be32(c);
	uint8_t off = cur_u8(c);
	p->tcp_flags = cur_u8(c);
	p->tcp_win = cur_be16(c);
	cur_skip(c, 4); /* checksum, urgent pointer */
	if (c->failed)
		return DEC_TRUNCATED;
	size_t hlen = (size_t)(off >> 4) * 4;
	if (hlen < 20)
		return DEC_MALFORMED;
	if (!cur_skip(c, hlen - 20))
		return DEC_TRUNCATED;
	p->payload_off = (uint32_t)(c->p - p->data);
	p->payload_len = (uint32_t)cur_left(c);
	p->next = L_NONE;
	return DEC_OK;
}
