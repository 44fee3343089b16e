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
 *   fragment (44): next(1) reserved(1) offset:13 res:2 M:1 (2) id(4) --
 *   a fragment stops the chain with PKT_FRAGMENT and p->frag filled (the
 *   caller reassembles); an atomic fragment (offset 0, M 0) is walked past;
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

	bool fragment = false;
	uint32_t nh_off = p->l3_off + 6; /* the byte that names the current header */
	for (int n = 0;; n++) {
		if (n > DAVY_MAX_IPV6_EXT)
			return DEC_MALFORMED;
		uint8_t next, len;
		uint32_t this_off = 0;
		switch (nh) {
		case 0: case 43: case 60: case 135: case 139: case 140:
			this_off = (uint32_t)(c->p - p->data);
			next = cur_u8(c);
			len = cur_u8(c);
			cur_skip(c, ((size_t)len + 1) * 8 - 2);
			break;
		case 44: {
			uint32_t at = (uint32_t)(c->p - p->data);
			next = cur_u8(c);
			cur_skip(c, 1);
			uint16_t off = cur_be16(c);
			uint32_t id = cur_be32(c);
			if (c->failed)
				return DEC_TRUNCATED;
			if ((off & 0xfff9) == 0) {
				this_off = at; /* atomic fragment (offset 0, M 0): not a fragment */
				break;
			}
			fragment = true;
			p->frag.hdr_len = at - p->l3_off;
			p->frag.nh_off = nh_off;
			p->frag.id = id;
			p->frag.offset = off & 0xfff8;
			p->frag.more = off & 1;
			p->frag.proto = next;
			break;
		}
		case 51:
			this_off = (uint32_t)(c->p - p->data);
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
		if (fragment)
			break;
		if (this_off)
			nh_off = this_off;
		this_off = 0;
	}
done:
	/* an inner IP header starts a new transport: forget the outer one's */
	p->sport = p->dport = 0;
	p->tcp_flags = 0;
	p->icmp_type = p->icmp_code = 0;
	p->payload_off = p->payload_len = 0;
	p->ipver = 6;
	p->l4proto = nh;
	memcpy(p->src, src, 16);
	memcpy(p->dst, dst, 16);
	p->l4_off = (uint32_t)(c->p - p->data);
	if (fragment) {
		p->flags |= PKT_FRAGMENT;
		p->frag.ip_off = p->l3_off;
		p->frag.data_off = p->l4_off;
		p->frag.data_len = (uint32_t)cur_left(c);
		p->next = L_NONE;
		return DEC_OK;
	}
	if (nh == 4 || nh == 41) /* IP-in-IP */
		return decode_enter_tunnel(p, c, TUN_IPIP, false, 0, decode_ipproto(nh));
	p->next = decode_ipproto(nh);
	return DEC_OK;
}
