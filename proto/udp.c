/* udp.c - User Datagram Protocol header (RFC 768).
 *
 *  +--------+--------+--------+--------+
 *  |  source port    |   dest port     |
 *  |  length         |   checksum      |
 *  +--------+--------+--------+--------+
 *
 * MALFORMED: length < 8. A length of 0 over IPv6 (jumbogram) and a length
 * beyond the captured bytes are accepted: the payload is what is there.
 * Datagrams to a configured overlay port go on to the VXLAN, Geneve or
 * GRE-in-UDP decoder (decode_cfg); everything else ends the chain.
 */
#include "decode.h"

static bool port_in(uint16_t port, const uint16_t *ports, uint8_t n)
{
	for (uint8_t i = 0; i < n && i < DAVY_MAX_PORTS; i++)
		if (ports[i] == port)
			return true;
	return false;
}

/* The overlay a datagram to this destination port carries, if any. VXLAN
 * needs its I flag (an empty datagram is plain UDP; one with the flag but
 * shorter than the header is a truncated VXLAN header). */
static enum layer udp_tunnel(const struct cursor *c, const struct pkt *p)
{
	const struct decode_cfg *cfg = p->cfg ? p->cfg : decode_cfg_default();
	if (port_in(p->dport, cfg->vxlan_ports, cfg->n_vxlan_ports)) {
		struct cursor t = *c;
		uint8_t flags = cur_u8(&t);
		if (t.failed) /* no payload: plain UDP, unless the capture cut it */
			return (p->flags & PKT_SNAPPED) ? L_VXLAN : L_NONE;
		return (flags & 0x08) ? L_VXLAN : L_NONE;
	}
	if (port_in(p->dport, cfg->geneve_ports, cfg->n_geneve_ports))
		return L_GENEVE;
	if (port_in(p->dport, cfg->gre_udp_ports, cfg->n_gre_udp_ports))
		return L_GRE;
	return L_NONE;
}

enum dec_result udp_decode(struct cursor *c, struct pkt *p)
{
	p->sport = cur_be16(c);
	p->dport = cur_be16(c);
	uint16_t len = cur_be16(c);
	cur_skip(c, 2);
	if (c->failed)
		return DEC_TRUNCATED;
	if (len != 0 && len < 8)
		return DEC_MALFORMED;
	if (len >= 8)
		cur_limit(c, (size_t)len - 8);
	p->payload_off = (uint32_t)(c->p - p->data);
	p->payload_len = (uint32_t)cur_left(c);
	p->next = udp_tunnel(c, p);
	return DEC_OK;
}
