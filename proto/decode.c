/* decode.c - runs the decoder chain over one packet, by iteration. */
#include <pcap/dlt.h>

#include "counters.h"
#include "decode.h"

static const decoder_fn decoders[L__COUNT] = {
	[L_ETH] = eth_decode,
	[L_VLAN] = vlan_decode,
	[L_SLL] = sll_decode,
	[L_SLL2] = sll2_decode,
	[L_NULL] = null_decode,
	[L_RAW] = raw_decode,
	[L_PPP] = ppp_decode,
	[L_PPPOE] = pppoe_decode,
	[L_CHDLC] = chdlc_decode,
	[L_PPI] = ppi_decode,
	[L_MPLS] = mpls_decode,
	[L_IPV4] = ipv4_decode,
	[L_IPV6] = ipv6_decode,
	[L_TCP] = tcp_decode,
	[L_UDP] = udp_decode,
	[L_ICMP] = icmp_decode,
	[L_ICMPV6] = icmpv6_decode,
	[L_SCTP] = sctp_decode,
	[L_VXLAN] = vxlan_decode,
	[L_GENEVE] = geneve_decode,
	[L_GRE] = gre_decode,
	[L_ERSPAN] = erspan_decode,
};

static const char *const layer_names[L__COUNT] = {
	[L_NONE] = "none", [L_ETH] = "eth", [L_VLAN] = "vlan", [L_SLL] = "sll",
	[L_SLL2] = "sll2", [L_NULL] = "null", [L_RAW] = "raw", [L_PPP] = "ppp",
	[L_PPPOE] = "pppoe", [L_CHDLC] = "chdlc", [L_PPI] = "ppi", [L_MPLS] = "mpls",
	[L_IPV4] = "ipv4", [L_IPV6] = "ipv6", [L_TCP] = "tcp", [L_UDP] = "udp",
	[L_ICMP] = "icmp", [L_ICMPV6] = "icmpv6", [L_SCTP] = "sctp",
	[L_VXLAN] = "vxlan", [L_GENEVE] = "geneve", [L_GRE] = "gre", [L_ERSPAN] = "erspan",
};

COUNTERS_ONLY(struct decode_stats);

static const char *const tunnel_names[TUN__COUNT] = {
	[TUN_NONE] = "none", [TUN_VXLAN] = "vxlan", [TUN_GENEVE] = "geneve", [TUN_GRE] = "gre",
	[TUN_ERSPAN] = "erspan", [TUN_IPIP] = "ipip", [TUN_MPLS] = "mpls",
};

static const struct decode_cfg default_cfg = {
	.vxlan_ports = { 4789, 8472 },
	.n_vxlan_ports = 2,
	.geneve_ports = { 6081 },
	.n_geneve_ports = 1,
	.gre_udp_ports = { 4754 },
	.n_gre_udp_ports = 1,
	.max_tunnels = 4,
};

const struct decode_cfg *decode_cfg_default(void)
{
	return &default_cfg;
}

enum dec_result decode_enter_tunnel(struct pkt *p, const struct cursor *c, enum tunnel_type type,
				    bool has_id, uint32_t id, enum layer next)
{
	if (!decode_push_tunnel(p, type, has_id, id))
		return DEC_UNSUPPORTED;
	p->inner_off = (uint32_t)(c->p - p->data);
	p->next = next;
	return DEC_OK;
}

const char *tunnel_type_name(enum tunnel_type t)
{
	return (unsigned)t < TUN__COUNT ? tunnel_names[t] : "?";
}

bool decode_push_tunnel(struct pkt *p, enum tunnel_type type, bool has_id, uint32_t id)
{
	const struct decode_cfg *cfg = p->cfg ? p->cfg : &default_cfg;
	unsigned max = cfg->max_tunnels < DAVY_MAX_TUNNELS ? cfg->max_tunnels : DAVY_MAX_TUNNELS;
	if (p->ntun >= max) {
		p->flags |= PKT_TOO_DEEP;
		return false;
	}
	/* the carrier: the outermost IP header that carries a tunnel (an MPLS
	 * stack above it has no IP header of its own) */
	if (!p->carrier.valid && p->ipver && type != TUN_MPLS) {
		p->carrier.l3_off = p->l3_off;
		p->carrier.l3_len = p->l3_len;
		p->carrier.l4_off = p->l4_off;
		p->carrier.sport = p->sport;
		p->carrier.dport = p->dport;
		p->carrier.proto = p->l4proto;
		p->carrier.nvlan = p->nvlan;
		p->carrier.ipver = p->ipver;
		memcpy(p->carrier.src, p->src, 16);
		memcpy(p->carrier.dst, p->dst, 16);
		p->carrier.valid = 1;
	}
	struct tunnel *t = &p->tun[p->ntun++];
	memset(t, 0, sizeof(*t));
	t->type = (uint8_t)type;
	t->has_id = has_id;
	t->id = id;
	if (type != TUN_MPLS && p->ipver) {
		t->ipver = p->ipver;
		memcpy(t->src, p->src, 16);
		memcpy(t->dst, p->dst, 16);
	}
	return true;
}

static const char *const result_names[DEC__COUNT] = {
	[DEC_OK] = "ok", [DEC_TRUNCATED] = "truncated",
	[DEC_MALFORMED] = "malformed", [DEC_UNSUPPORTED] = "unsupported",
};

const char *layer_name(enum layer l)
{
	return (unsigned)l < L__COUNT ? layer_names[l] : "?";
}

const char *dec_result_name(enum dec_result r)
{
	return (unsigned)r < DEC__COUNT ? result_names[r] : "?";
}

enum layer decode_ethertype(struct pkt *p, uint16_t ethertype)
{
	p->ethertype = ethertype;
	switch (ethertype) {
	case 0x0800: return L_IPV4;
	case 0x86dd: return L_IPV6;
	case 0x8100: case 0x88a8: case 0x9100: return L_VLAN;
	case 0x8864: return L_PPPOE;
	case 0x8847: case 0x8848: return L_MPLS;
	default: return L_NONE;
	}
}

enum layer decode_ipproto(uint8_t proto)
{
	switch (proto) {
	case 6: return L_TCP;
	case 17: return L_UDP;
	case 1: return L_ICMP;
	case 58: return L_ICMPV6;
	case 132: return L_SCTP;
	case 4: return L_IPV4;   /* IP-in-IP */
	case 41: return L_IPV6;  /* IPv6-in-IP */
	case 47: return L_GRE;
	default: return L_NONE;
	}
}

enum layer decode_first_layer(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB: return L_ETH;
	case DLT_LINUX_SLL: return L_SLL;
#ifdef DLT_LINUX_SLL2
	case DLT_LINUX_SLL2: return L_SLL2;
#endif
	case DLT_NULL: case DLT_LOOP: return L_NULL;
	case DLT_PPP: case DLT_PPP_SERIAL: return L_PPP;
	case DLT_C_HDLC: return L_CHDLC;
	case DLT_PPI: return L_PPI;
	case DLT_RAW: case 101: /* LINKTYPE_RAW as seen in some files */
#ifdef DLT_IPV4
	case DLT_IPV4: case DLT_IPV6:
#endif
		return L_RAW;
	default: return L_NONE;
	}
}

bool decode_packet(struct pkt *p, enum layer first, struct decode_stats *st)
{
	p->flags = p->caplen < p->wirelen ? PKT_SNAPPED : 0;
	p->nvlan = 0;
	p->ethertype = 0;
	p->ipver = 0;
	p->l4proto = 0;
	p->sport = p->dport = 0;
	p->tcp_flags = 0;
	p->tcp_seq = p->tcp_ack = 0;
	p->tcp_win = 0;
	memset(p->vlan, 0, sizeof(p->vlan));
	p->icmp_type = p->icmp_code = 0;
	p->l3_off = p->l3_len = p->l4_off = 0;
	p->payload_off = p->payload_len = 0;
	p->err_layer = L_NONE;
	p->inner_off = 0;
	p->ntun = 0;
	p->carrier.valid = 0;
	memset(p->src, 0, sizeof(p->src));
	memset(p->dst, 0, sizeof(p->dst));

	st->pkts++;
	st->bytes += p->wirelen;
	if (first == L_NONE) {
		st->unknown_linktype++;
		return false;
	}

	return decode_resume(p, first, 0, st);
}

bool decode_resume(struct pkt *p, enum layer first, uint32_t off, struct decode_stats *st)
{
	if (off > p->caplen)
		return false;
	struct cursor c = cur_make(p->data + off, p->caplen - off);
	p->flags &= (uint8_t)~(PKT_FRAGMENT | PKT_HAS_KEY);
	enum layer l = first;
	for (int depth = 0; l != L_NONE; depth++) {
		if (depth >= DAVY_MAX_LAYERS) {
			st->too_many_layers++;
			p->err_layer = l;
			return false;
		}
		p->next = L_NONE;
		enum dec_result r = decoders[l](&c, p);
		if (r != DEC_OK) {
			if (p->flags & PKT_TOO_DEEP)
				st->too_many_layers++;
			else
				st->result[l][r]++;
			p->err_layer = l;
			return false;
		}
		st->layer[l]++;
		l = p->next;
	}
	if (p->ipver == 0)
		return false;
	if (p->flags & PKT_FRAGMENT) {
		st->fragments++;
		return false;
	}
	p->flags |= PKT_HAS_KEY;
	if (p->ntun) {
		st->tunnelled++;
		for (unsigned i = 0; i < p->ntun; i++)
			st->tunnel[p->tun[i].type]++;
	}
	return true;
}

void decode_stats_add(struct decode_stats *a, const struct decode_stats *b)
{
	counters_add(a, b, sizeof(*a));
}
