/* raw.c - raw IP link types (DLT_RAW, LINKTYPE_IPV4, LINKTYPE_IPV6): no link
 * header; the version nibble of the first byte says which IP follows. */
#include "decode.h"

enum dec_result raw_decode(struct cursor *c, struct pkt *p)
{
	uint8_t v = cur_peek(c, 0);
	if (c->failed)
		return DEC_TRUNCATED;
	switch (v >> 4) {
	case 4:
		p->next = L_IPV4;
		return DEC_OK;
	case 6:
		p->next = L_IPV6;
		return DEC_OK;
	default:
		return DEC_MALFORMED;
	}
}
