/* decode.h - the packet decoder chain: link layer -> IP -> transport.
 *
 * This header is the manual for every decoder in proto/. They all have one
 * signature (decoder_fn) and one shape (Suricata's decode-template): check the
 * length through the cursor, read the header, record what was learnt in the
 * `struct pkt`, name the next layer in `p->next`, and return a dec_result.
 * Nothing casts a struct onto packet memory; nothing reads past the cursor's
 * end; no decoder keeps state between packets (all state is in `struct pkt`
 * and the caller's `struct decode_stats`).
 *
 * decode_packet() runs the chain by iteration, never recursion, and stops at
 * the first layer that is not OK. The outcome is counted per layer and reason.
 */
#ifndef DAVY_DECODE_H
#define DAVY_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

#define DAVY_MAX_VLAN 3       /* 802.1Q/802.1ad tags kept (QinQ and one more) */
#define DAVY_MAX_TUNNELS 8    /* tunnel layers a packet can record (the cap in use
                               * is decode_cfg.max_tunnels, default 4) */
#define DAVY_MAX_PORTS 8      /* UDP ports per tunnel protocol */
#define DAVY_MAX_LAYERS 16    /* headers walked in one packet, all layers */
#define DAVY_MAX_IPV6_EXT 16  /* IPv6 extension headers walked */

/* Outcome of one decoder. TRUNCATED: the bytes ran out before the header
 * did. MALFORMED: the bytes are there but say something impossible.
 * UNSUPPORTED: a well-formed header announcing something davy does not decode
 * (ARP, an unknown ethertype): counted, not an error. */
enum dec_result {
	DEC_OK = 0,
	DEC_TRUNCATED,
	DEC_MALFORMED,
	DEC_UNSUPPORTED,
	DEC__COUNT
};

/* Layers; the names (layer_name()) are the counter names in stats records. */
enum layer {
	L_NONE = 0, /* end of the chain */
	L_ETH,
	L_VLAN,
	L_SLL,
	L_SLL2,
	L_NULL,
	L_RAW,
	L_PPP,
	L_PPPOE,
	L_CHDLC,
	L_PPI,
	L_MPLS,
	L_IPV4,
	L_IPV6,
	L_TCP,
	L_UDP,
	L_ICMP,
	L_ICMPV6,
	L_SCTP,
	L_VXLAN,
	L_GENEVE,
	L_GRE,
	L_ERSPAN,
	L__COUNT
};

/* Overlays, outermost first in struct pkt's tun[]. */
enum tunnel_type {
	TUN_NONE = 0,
	TUN_VXLAN,
	TUN_GENEVE,
	TUN_GRE,
	TUN_ERSPAN,
	TUN_IPIP,
	TUN_MPLS,
	TUN__COUNT
};

/* One tunnel layer: its type, its identifier, and the addresses of the IP
 * header that carried it (none for MPLS, which sits under Ethernet). */
struct tunnel {
	uint8_t type;   /* enum tunnel_type */
	uint8_t ipver;  /* of src/dst; 0 when there is no outer IP (MPLS) */
	uint8_t has_id; /* VNI, GRE key (K bit), ERSPAN session, MPLS label */
	uint8_t opt_count; /* Geneve: options walked */
	uint32_t id;
	uint16_t opt_len;  /* Geneve: bytes of options */
	uint16_t pad;
	uint8_t src[16], dst[16];
};

/* What the decoders need to know from the configuration. A packet with
 * cfg == NULL uses decode_cfg_default(). */
struct decode_cfg {
	uint16_t vxlan_ports[DAVY_MAX_PORTS]; /* UDP destination ports; default 4789, 8472 */
	uint8_t n_vxlan_ports;
	uint16_t geneve_ports[DAVY_MAX_PORTS]; /* default 6081 */
	uint8_t n_geneve_ports;
	uint16_t gre_udp_ports[DAVY_MAX_PORTS]; /* GRE-in-UDP, default 4754 */
	uint8_t n_gre_udp_ports;
	uint8_t max_tunnels;                  /* default 4, at most DAVY_MAX_TUNNELS */
};

const struct decode_cfg *decode_cfg_default(void);
const char *tunnel_type_name(enum tunnel_type t);

/* Flags on a decoded packet. */
#define PKT_HAS_KEY   0x01 /* addresses (and ports) found: belongs to a flow */
#define PKT_FRAGMENT  0x02 /* an IP fragment: held for reassembly (p->frag) */
#define PKT_SNAPPED   0x04 /* the capture cut the packet (caplen < wire len) */
#define PKT_TOO_DEEP  0x08 /* more tunnel layers than decode_cfg.max_tunnels */

/* TCP flags as on the wire. */
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_URG 0x20

/* One packet as the chain sees it. The caller sets the first block; the
 * decoders fill the rest. Offsets are from `data`. For tunnelled packets
 * (later) the address and transport fields are those of the innermost flow. */
struct pkt {
	/* set by the caller */
	const struct decode_cfg *cfg; /* NULL: defaults */
	const uint8_t *data;
	uint32_t caplen;  /* bytes captured */
	uint32_t wirelen; /* bytes on the wire */
	uint64_t ts_us;   /* capture time, microseconds since the epoch */

	/* filled by the decoders */
	enum layer next;      /* set by each decoder: the layer to run next */
	enum layer err_layer; /* the layer that did not return OK */
	uint8_t flags;        /* PKT_* */
	uint8_t nvlan;
	uint16_t vlan[DAVY_MAX_VLAN]; /* VLAN ids, outermost first */
	uint16_t ethertype;           /* of the innermost link header */

	uint8_t ipver;    /* 4 or 6 */
	uint8_t l4proto;  /* IP protocol number of the transport header */
	uint8_t src[16];  /* IPv4 in the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint32_t l3_off;  /* innermost IP header */
	uint32_t l3_len;  /* bytes of the IP datagram that were captured */
	uint32_t l4_off;  /* transport header */
	uint32_t payload_off;
	uint32_t payload_len;

	uint16_t sport, dport; /* TCP, UDP, SCTP; 0 for the others */
	uint8_t tcp_flags;
	uint8_t icmp_type, icmp_code;
	uint32_t tcp_seq, tcp_ack;
	uint16_t tcp_win;

	/* set when PKT_FRAGMENT: what reassembly needs (offsets from data) */
	struct {
		uint32_t ip_off;   /* the fragmented IP header */
		uint32_t hdr_len;  /* IPv4: IHL * 4; IPv6: fixed header and the
				    * extension headers before the fragment header */
		uint32_t nh_off;   /* IPv6: the byte that names the fragment header */
		uint32_t data_off; /* the fragment's data */
		uint32_t data_len;
		uint32_t id;
		uint16_t offset;   /* of the data in the datagram, bytes */
		uint8_t more;      /* more fragments follow */
		uint8_t proto;     /* the datagram's transport protocol */
	} frag;

	/* the outermost IP header that carried a tunnel, kept so its carrier
	 * flow can be reported too (--report-tunnel-carriers) */
	struct {
		uint32_t l3_off, l3_len, l4_off;
		uint16_t sport, dport; /* UDP carriers (VXLAN, Geneve, GRE-in-UDP) */
		uint8_t proto;         /* 17, 47, 4, 41 */
		uint8_t nvlan;         /* VLAN tags of the outer frame */
		uint8_t valid;
		uint8_t ipver;
		uint8_t src[16], dst[16];
	} carrier;

	/* overlays; keep last: only the first ntun entries are copied around */
	uint32_t inner_off;   /* where the innermost tunnel's payload starts (0: none) */
	uint8_t ntun;
	struct tunnel tun[DAVY_MAX_TUNNELS];
};

/* Bytes of a struct pkt that hold its first n tunnels (what to copy). */
#define PKT_SIZE(n) (offsetof(struct pkt, tun) + (size_t)(n) * sizeof(struct tunnel))

/* Records a tunnel layer with the current outer addresses. Returns false
 * (and sets PKT_TOO_DEEP) when the packet already has max_tunnels. */
bool decode_push_tunnel(struct pkt *p, enum tunnel_type type, bool has_id, uint32_t id);

/* Enters a tunnel layer: records it (decode_push_tunnel), marks the cursor
 * as where the inner frame starts (inner_off) and names the next layer.
 * Returns DEC_OK, or DEC_UNSUPPORTED with PKT_TOO_DEEP when too deep. */
enum dec_result decode_enter_tunnel(struct pkt *p, const struct cursor *c, enum tunnel_type type,
				    bool has_id, uint32_t id, enum layer next);

/* Wire bytes of the innermost frame: what flow counters count. */
static inline uint32_t pkt_inner_len(const struct pkt *p)
{
	return p->wirelen > p->inner_off ? p->wirelen - p->inner_off : 0;
}

/* Counters of the decode stage, owned by one thread. Only uint64_t
 * counters (counters.h adds them up word by word). */
struct decode_stats {
	uint64_t pkts;                          /* packets given to decode_packet */
	uint64_t bytes;                         /* their wire lengths */
	uint64_t layer[L__COUNT];               /* headers decoded OK per layer */
	uint64_t result[L__COUNT][DEC__COUNT];  /* outcomes other than OK */
	uint64_t fragments;                     /* IP fragments handed to reassembly */
	uint64_t too_many_layers;  /* header cap or tunnel cap exceeded */
	uint64_t unknown_linktype;
	uint64_t tunnelled;        /* packets with a flow key inside a tunnel */
	uint64_t tunnel[TUN__COUNT]; /* tunnel layers decoded, per type */
};

/* Decoder signature: read one header at the cursor, fill `p`, set `p->next`,
 * leave the cursor at the first byte after the header. */
typedef enum dec_result (*decoder_fn)(struct cursor *c, struct pkt *p);

/* proto/eth.c: Ethernet II (IEEE 802.3 frames with a length field are
 * UNSUPPORTED). */
enum dec_result eth_decode(struct cursor *c, struct pkt *p);
/* proto/vlan.c: 802.1Q, 802.1ad and 0x9100 tags; more than DAVY_MAX_VLAN
 * tags is MALFORMED. */
enum dec_result vlan_decode(struct cursor *c, struct pkt *p);
/* proto/sll.c: Linux cooked capture v1 (DLT_LINUX_SLL) and v2 (DLT_LINUX_SLL2). */
enum dec_result sll_decode(struct cursor *c, struct pkt *p);
enum dec_result sll2_decode(struct cursor *c, struct pkt *p);
/* proto/null.c: BSD loopback (DLT_NULL: host byte order; DLT_LOOP: network). */
enum dec_result null_decode(struct cursor *c, struct pkt *p);
/* proto/raw.c: raw IP, version told by the first nibble. */
enum dec_result raw_decode(struct cursor *c, struct pkt *p);
/* proto/ppp.c: PPP (DLT_PPP, DLT_PPP_SERIAL, and after PPPoE) and the
 * PPPoE session header. */
enum dec_result ppp_decode(struct cursor *c, struct pkt *p);
enum dec_result pppoe_decode(struct cursor *c, struct pkt *p);
/* proto/chdlc.c: Cisco HDLC. */
enum dec_result chdlc_decode(struct cursor *c, struct pkt *p);
/* proto/ppi.c: Per-Packet Information header with Ethernet inside. */
enum dec_result ppi_decode(struct cursor *c, struct pkt *p);
/* proto/mpls.c: MPLS label stack, IPv4/IPv6 below it. */
enum dec_result mpls_decode(struct cursor *c, struct pkt *p);
/* proto/ipv4.c: RFC 791, options skipped. */
enum dec_result ipv4_decode(struct cursor *c, struct pkt *p);
/* proto/ipv6.c: RFC 8200, extension headers walked. */
enum dec_result ipv6_decode(struct cursor *c, struct pkt *p);
/* proto/tcp.c: RFC 9293, options skipped. */
enum dec_result tcp_decode(struct cursor *c, struct pkt *p);
/* proto/udp.c: RFC 768. */
enum dec_result udp_decode(struct cursor *c, struct pkt *p);
/* proto/icmp.c: RFC 792 and RFC 4443. */
enum dec_result icmp_decode(struct cursor *c, struct pkt *p);
enum dec_result icmpv6_decode(struct cursor *c, struct pkt *p);
/* proto/sctp.c: RFC 9260 common header (ports). */
enum dec_result sctp_decode(struct cursor *c, struct pkt *p);
/* proto/vxlan.c: RFC 7348, I flag required (else the UDP flow stands). */
enum dec_result vxlan_decode(struct cursor *c, struct pkt *p);
/* proto/geneve.c: RFC 8926, options walked. */
enum dec_result geneve_decode(struct cursor *c, struct pkt *p);
/* proto/gre.c: RFC 2784/2890 (and GRE-in-UDP, RFC 8086); ERSPAN I/II/III. */
enum dec_result gre_decode(struct cursor *c, struct pkt *p);
enum dec_result erspan_decode(struct cursor *c, struct pkt *p);

/* The layer that follows a link header carrying `ethertype`; sets
 * p->ethertype. Used by every link decoder. */
enum layer decode_ethertype(struct pkt *p, uint16_t ethertype);
/* The layer that follows an IP header carrying protocol `proto`. */
enum layer decode_ipproto(uint8_t proto);

/* The first layer for a libpcap link type (DLT_*), L_NONE if unknown. */
enum layer decode_first_layer(int dlt);

/* Runs the chain from `first` over p->data/p->caplen. Counts into `st`.
 * Returns true when the packet has a flow key (PKT_HAS_KEY). A fragment
 * returns false with PKT_FRAGMENT set: hand it to reassembly (defrag.h). */
bool decode_packet(struct pkt *p, enum layer first, struct decode_stats *st);

/* Continues a chain at layer `l` from byte `off` of p->data, keeping what
 * the outer layers recorded (VLAN tags, tunnels): how a reassembled
 * datagram is decoded. Does not count the packet again in st->pkts. */
bool decode_resume(struct pkt *p, enum layer l, uint32_t off, struct decode_stats *st);

/* Names for counters and messages: "eth", "ipv4", ...; "truncated", ... */
const char *layer_name(enum layer l);
const char *dec_result_name(enum dec_result r);

/* Adds the counters of `b` into `a`. */
void decode_stats_add(struct decode_stats *a, const struct decode_stats *b);

#endif
