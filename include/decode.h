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
#include <stdint.h>

#include "cursor.h"

#define DAVY_MAX_VLAN 3       /* 802.1Q/802.1ad tags kept (QinQ and one more) */
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
	L__COUNT
};

/* Flags on a decoded packet. */
#define PKT_HAS_KEY   0x01 /* addresses (and ports) found: belongs to a flow */
#define PKT_FRAGMENT  0x02 /* a non-first IP fragment: no transport header */
#define PKT_SNAPPED   0x04 /* the capture cut the packet (caplen < wire len) */

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
};

/* Counters of the decode stage, owned by one thread. */
struct decode_stats {
	uint64_t pkts;                          /* packets given to decode_packet */
	uint64_t bytes;                         /* their wire lengths */
	uint64_t layer[L__COUNT];               /* headers decoded OK per layer */
	uint64_t result[L__COUNT][DEC__COUNT];  /* outcomes other than OK */
	uint64_t fragments;                     /* non-first fragments not attributed */
	uint64_t too_many_layers;
	uint64_t unknown_linktype;
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

/* The layer that follows a link header carrying `ethertype`; sets
 * p->ethertype. Used by every link decoder. */
enum layer decode_ethertype(struct pkt *p, uint16_t ethertype);
/* The layer that follows an IP header carrying protocol `proto`. */
enum layer decode_ipproto(uint8_t proto);

/* The first layer for a libpcap link type (DLT_*), L_NONE if unknown. */
enum layer decode_first_layer(int dlt);

/* Runs the chain from `first` over p->data/p->caplen. Counts into `st`.
 * Returns true when the packet has a flow key (PKT_HAS_KEY). */
bool decode_packet(struct pkt *p, enum layer first, struct decode_stats *st);

/* Names for counters and messages: "eth", "ipv4", ...; "truncated", ... */
const char *layer_name(enum layer l);
const char *dec_result_name(enum dec_result r);

/* Adds the counters of `b` into `a`. */
void decode_stats_add(struct decode_stats *a, const struct decode_stats *b);

#endif
