/* ipv4.c - Internet Protocol version 4 (RFC 791).
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |Version|  IHL  |Type of Service|          Total Length         |
 *  |         Identification        |Flags|      Fragment Offset    |
 *  |  Time to Live |    Protocol   |         Header Checksum       |
 *  |                       Source Address                          |
 *  |                    Destination Address                        |
 *  |                    Options (IHL > 5)                          |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * MALFORMED: version != 4, IHL < 5, total length below the header length.
 * TRUNCATED: the header (with options) is not all there, or the frame holds
 * less than the total length and the capture did not cut it (a snapped packet
 * is decoded as far as it goes). A total length of 0 is taken as "unknown":
 * it is what captures of TCP segmentation offload show on the sending host.
 * Bytes past the total length (Ethernet padding) are cut off the cursor.
 * A fragment (MF set or a non-zero offset) stops the chain with PKT_FRAGMENT
 * and p->frag filled: the caller reassembles it (sensor/defrag.c) and
 * resumes decoding on the whole datagram.
 */
#include "decode.h"

enum dec_result ipv4_decode(struct cursor *c, struct pkt *p)
{
	size_t avail = cur_left(c);
	p->l3_off = (uint32_t)(c->p - p->data);

	uint8_t vihl = cur_u8(c);
	cur_skip(c, 1); /* TOS */
	uint16_t total = cur_be16(c);
	uint16_t id = cur_be16(c);
	uint16_t frag = cur_be16(c);
	cur_skip(c, 1); /* TTL */
	uint8_t proto = cur_u8(c);
	cur_skip(c, 2); /* checksum */
	uint8_t src[4], dst[4];
	cur_copy(c, src, 4);
	cur_copy(c, dst, 4);
	if (c->failed)
		return DEC_TRUNCATED;

	size_t hlen = (size_t)(vihl & 0x0f) * 4;
	if ((vihl >> 4) != 4 || hlen < 20)
		return DEC_MALFORMED;
	if (total != 0 && total < hlen)
		return DEC_MALFORMED;
	if (!cur_skip(c, hlen - 20))
		return DEC_TRUNCATED;

	if (total == 0 || total > avail) {
		if (total != 0 && !(p->flags & PKT_SNAPPED))
			return DEC_TRUNCATED;
		p->l3_len = (uint32_t)avail;
	} else {
		p->l3_len = total;
		cur_limit(c, total - hlen);
	}

	/* an inner IP header starts a new transport: forget the outer one's */
	p->sport = p->dport = 0;
	p->tcp_flags = 0;
	p->icmp_type = p->icmp_code = 0;
	p->payload_off = p->payload_len = 0;
	p->ipver = 4;
	p->l4proto = proto;
	memset(p->src, 0, sizeof(p->src)); /* an outer IPv6 header may have been here */
	memset(p->dst, 0, sizeof(p->dst));
	memcpy(p->src, src, 4);
	memcpy(p->dst, dst, 4);
	p->l4_off = (uint32_t)(c->p - p->data);

	if ((frag & 0x3fff) != 0) { /* MF, or an offset: a fragment */
		p->flags |= PKT_FRAGMENT;
		p->frag.ip_off = p->l3_off;
		p->frag.hdr_len = (uint32_t)hlen;
		p->frag.nh_off = 0;
		p->frag.data_off = p->l4_off;
		p->frag.data_len = (uint32_t)cur_left(c);
		p->frag.id = id;
		p->frag.offset = (uint16_t)((frag & 0x1fff) * 8);
		p->frag.more = (frag & 0x2000) != 0;
		p->frag.proto = proto;
		p->next = L_NONE;
		return DEC_OK;
	}
	if (proto == 4 || proto == 41) /* IP-in-IP */
		return decode_enter_tunnel(p, c, TUN_IPIP, false, 0, decode_ipproto(proto));
	p->next = decode_ipproto(proto);
	return DEC_OK;
}
