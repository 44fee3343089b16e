/* vlan.c - IEEE 802.1Q customer tags and 802.1ad service tags (QinQ).
 *
 * The tag follows the ethertype 0x8100, 0x88a8 or 0x9100 that announced it:
 *   0       2       4
 *  +-------+-------+
 *  |  TCI  | type  |    TCI = PCP(3) DEI(1) VID(12)
 *  +-------+-------+
 *
 * Up to DAVY_MAX_VLAN tags are kept, outermost first; one more is MALFORMED
 * (no real network stacks more, and it bounds the key).
 */
#include "decode.h"

enum dec_result vlan_decode(struct cursor *c, struct pkt *p)
{
	uint16_t tci = cur_be16(c);
	uint16_t type = cur_be16(c);
	if (c->failed)
		return DEC_TRUNCATED;
	if (p->nvlan >= DAVY_MAX_VLAN)
		return DEC_MALFORMED;
	p->vlan[p->nvlan++] = tci & 0x0fff;
	p->next = decode_ethertype(p, type);
	return p->next == L_NONE ? DEC_UNSUPPORTED : DEC_OK;
}
