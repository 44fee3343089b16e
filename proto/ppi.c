/* ppi.c - Per-Packet Information header (DLT_PPI, CACE Technologies).
 *
 *  +---------+-------+----------------+-------------------------+
 *  | version | flags | length (2, LE) | DLT of the packet (4, LE)|
 *  +---------+-------+----------------+-------------------------+
 *  | fields up to `length` bytes from the start | the packet     |
 *
 * Only Ethernet inside is decoded (802.11 inside is UNSUPPORTED: davy keeps
 * no 802.11 decoder). A length below the 8-byte header is MALFORMED.
 */
#include "decode.h"

enum dec_result ppi_decode(struct cursor *c, struct pkt *p)
{
	cur_skip(c, 2); /* version, flags */
	uint16_t len = cur_le16(c);
	uint32_t dlt = cur_le32(c);
	if (c->failed)
		return DEC_TRUNCATED;
	if (len < 8)
		return DEC_MALFORMED;
	if (!cur_skip(c, (size_t)len - 8))
		return DEC_TRUNCATED;
	if (dlt != 1) /* DLT_EN10MB */
		return DEC_UNSUPPORTED;
	p->next = L_ETH;
	return DEC_OK;
}
