/* vxlan.c - Virtual eXtensible LAN (RFC 7348), inside UDP.
 *
 *   0                   1                   2                   3
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |R|R|R|R|I|R|R|R|            Reserved                           |
 *  |                VXLAN Network Identifier (VNI) |   Reserved    |
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  | inner Ethernet frame ...
 *
 * udp_decode() hands a datagram to this decoder when its destination port
 * is a configured VXLAN port (default 4789 and flannel's 8472) and the I
 * flag is set, so a UDP stream to such a port without it stays a UDP flow.
 * Reserved bits are not checked: real VTEPs set some of them (group policy,
 * GPE). TRUNCATED: fewer than 8 bytes.
 */
#include "decode.h"

enum dec_result vxlan_decode(struct cursor *c, struct pkt *p)
{
	cur_skip(c, 4); /* flags (I checked by udp_decode), reserved */
	uint32_t vni = cur_be24(c);
	cur_skip(c, 1);
	if (c->failed)
		return DEC_TRUNCATED;
	return decode_enter_tunnel(p, c, TUN_VXLAN, true, vni, L_ETH);
}
