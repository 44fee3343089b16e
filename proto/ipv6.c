/* ipv6.c - Internet Protocol version 6 (RFC 8200) and its extension headers.
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version| Traffic Class |           Flow Label                  |
 *  |         Payload Length        |  Next Header  |   Hop Limit   |
 *  |                   Source Address (128 bits)                   |
 *  |                Destination Address (128 bits)                 |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * Extension headers walked, at most DAVY_MAX_IPV6_EXT of them:
 *   hop-by-hop (0), routing (43), destination options (60), mobility (135),
 *   HIP (139), shim6 (140): next(1) len(1), (len + 1) * 8 bytes in all;
 *   fragment (44): next(1) reserved(1) offset:13 res:2 M:1 (2) id(4);
 *   authentication header (51): next(1) len(1), (len + 2) * 4 bytes in all.
 * Anything else (TCP, UDP, ICMPv6, ESP, no-next-header, ...) ends the walk
 * and is the transport protocol of the flow.
 *
 * MALFORMED: version != 6, more extension headers than the cap. TRUNCATED as
 * for IPv4. A payload length of 0 (jumbogram or offload capture) means "all
 * the bytes that are there".
 */
#include "decode.h"

enum dec_result ipv6_decode(struct cursor *c, struct pkt *p)
{
	size_t avail = cur_left(c);
	p->l3_off = (uint32_t)(c->p - p->data);

	uint8_t v = cur_u8(c);
	cur_skip(c, 3);
	uint16_t plen = cur_be16(c);
	uint8_t nh = cur_u8(c);
	cur_skip(c, 1);
	uint8_t src[16], dst[16];
	cur_copy(c, src, 16);
	cur_copy(c, dst, 16);
	if (c->failed)
		return DEC_TRUNCATED;
	if ((v >> 4) != 6)
		return DEC_MALFORMED;

	if (plen == 0 || (size_t)plen + 40 > avail) {
		if (plen != 0 && !(p->flags & PKT_SNAPPED))
			return DEC_TRUNCATED;
		p->l3_len = (uint32_t)avail;
	} else {
		p->l3_len = (uint32_t)plen + 40;
		cur_limit(c, plen);
	}

	bool nonfirst = false;
	for (int n = 0;; n++) {
		if (n > DAVY_MAX_IPV6_EXT)
			return DEC_MALFORMED;
		uint8_t next, len;
		switch (nh) {
		case 0: case 43: case 60: case 135: case 139: case 140:
			next = cur_u8(c);
			len = cur_u8(c);
			cur_skip(c, ((size_t)len + 1) * 8 - 2);
			break;
		case 44: {
			next = cur_u8(c);
			cur_skip(c, 1);
			uint16_t off = cur_be16(c);
			cur_skip(c, 4);
			if ((off & 0xfff8) != 0)
				nonfirst = true;
			break;
		}
		case 51:
			next = cur_u8(c);
			len = cur_u8(c);
			cur_skip(c, ((size_t)len + 2) * 4 - 2);
			break;
		default:
			goto done;
		}
		if (c->failed)
			return DEC_TRUNCATED;
		nh = next;
		if (nonfirst)
			break;
	}
done:
	p->ipver = 6;
	p->l4proto = nh;
	memcpy(p->src, src, 16);
	memcpy(p->dst, dst, 16);
	p->l4_off = (uint32_t)(c->p - p->data);
	if (nonfirst) {
		p->flags |= PKT_FRAGMENT;
		p->next = L_NONE;
		return DEC_OK;
	}
	p->next = decode_ipproto(nh);
	return DEC_OK;
}
