/* eth.c - Ethernet II (IEEE 802.3 clause 3.2.6 type field).
 *
 *   0                   6                  12       14
 *  +-------------------+------------------+--------+
 *  | destination MAC   | source MAC       | type   |
 *  +-------------------+------------------+--------+
 *
 * A type field <= 1500 is an 802.3 length (LLC/SNAP follows): UNSUPPORTED.
 */
#include "decode.h"

enum dec_result eth_decode(struct cursor *c, struct pkt *p)
{
	if (!cur_skip(c, 12))
		return DEC_TRUNCATED;
	uint16_t type = cur_be16(c);
	if (c->failed)
		return DEC_TRUNCATED;
	if (type <= 1500)
		return DEC_UNSUPPORTED;
	p->next = decode_ethertype(p, type);
	return p->next == L_NONE ? DEC_UNSUPPORTED : DEC_OK;
}
