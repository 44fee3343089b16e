/* null.c - BSD loopback encapsulation.
 *
 * DLT_NULL: a 4-byte address family in the byte order of the machine that
 * wrote the capture; DLT_LOOP (OpenBSD): the same in network order. The
 * family is read both ways and the one below 256 wins, as tcpdump does.
 * IPv4 is AF_INET = 2 everywhere; IPv6 is 10 (Linux), 24 (NetBSD, OpenBSD),
 * 28 (FreeBSD), 30 (macOS) or 23 (Windows).
 */
#include "decode.h"

enum dec_result null_decode(struct cursor *c, struct pkt *p)
{
	struct cursor peek = *c;
	uint32_t be = cur_be32(&peek);
	uint32_t le = cur_le32(c);
	if (c->failed)
		return DEC_TRUNCATED;
	uint32_t af = le < 256 ? le : be;
	switch (af) {
	case 2:
		p->next = L_IPV4;
		return DEC_OK;
	case 10: case 23: case 24: case 28: case 30:
		p->next = L_IPV6;
		return DEC_OK;
	default:
		return DEC_UNSUPPORTED;
	}
}
