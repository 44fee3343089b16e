/* test_decode.c - every decoder alone (through a cursor) and the chain end to
 * end (decode_packet with its per-layer, per-reason counters), plus a check
 * that no prefix of a good packet makes a decoder read past the bytes it was
 * given: each prefix is copied into a malloc'd buffer of exactly its length,
 * so AddressSanitizer catches the smallest overread.
 *
 * Packets are byte arrays commented header by header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <pcap/dlt.h>
#include <cmocka.h>

#include "decode.h"

/* ======================================================================
 * Link headers
 * ====================================================================== */

static const uint8_t eth_v4[] = {
	/* Ethernet: dst 00:11:22:33:44:55 */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
	/* src 66:77:88:99:aa:bb */
	0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	/* type 0x0800 IPv4 */
	0x08, 0x00,
};

static const uint8_t eth_v6[] = {
	/* Ethernet: dst 33:33:00:00:00:01, src 66:77:88:99:aa:bb, type 0x86dd IPv6 */
	0x33, 0x33, 0x00, 0x00, 0x00, 0x01, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x86, 0xdd,
};

static const uint8_t eth_vlan_v4[] = {
	/* Ethernet: dst, src, type 0x8100 802.1Q */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x81, 0x00,
	/* 802.1Q: PCP 1 DEI 0 VID 100, type 0x0800 IPv4 */
	0x20, 0x64, 0x08, 0x00,
};

static const uint8_t eth_qinq_v6[] = {
	/* Ethernet: dst, src, type 0x88a8 802.1ad */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x88, 0xa8,
	/* 802.1ad S-tag: PCP 0 VID 200, type 0x8100 */
	0x00, 0xc8, 0x81, 0x00,
	/* 802.1Q C-tag: PCP 7 DEI 1 VID 4095 (0xfff), type 0x86dd IPv6 */
	0xff, 0xff, 0x86, 0xdd,
};

static const uint8_t eth_3tags_v4[] = {
	/* Ethernet: dst, src, type 0x88a8 */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x88, 0xa8,
	/* tag 1: VID 1, type 0x8100 */
	0x00, 0x01, 0x81, 0x00,
	/* tag 2: VID 2, type 0x9100 */
	0x00, 0x02, 0x91, 0x00,
	/* tag 3: VID 3, type 0x0800 IPv4 */
	0x00, 0x03, 0x08, 0x00,
};

static const uint8_t eth_4tags_v4[] = {
	/* Ethernet: dst, src, type 0x88a8 */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x88, 0xa8,
	/* tag 1: VID 1, type 0x8100 */
	0x00, 0x01, 0x81, 0x00,
	/* tag 2: VID 2, type 0x8100 */
	0x00, 0x02, 0x81, 0x00,
	/* tag 3: VID 3, type 0x8100 */
	0x00, 0x03, 0x81, 0x00,
	/* tag 4: VID 4, type 0x0800 IPv4 -- one too many */
	0x00, 0x04, 0x08, 0x00,
};

static const uint8_t sll_v4[] = {
	/* SLL: packet type 0 (to us), ARPHRD_ETHER 1, address length 6 */
	0x00, 0x00, 0x00, 0x01, 0x00, 0x06,
	/* address 00:11:22:33:44:55 + 2 bytes padding */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00,
	/* protocol 0x0800 IPv4 */
	0x08, 0x00,
};

static const uint8_t sll2_v6[] = {
	/* SLL2: protocol 0x86dd IPv6, reserved */
	0x86, 0xdd, 0x00, 0x00,
	/* interface index 2 */
	0x00, 0x00, 0x00, 0x02,
	/* ARPHRD_ETHER 1, packet type 4 (outgoing), address length 6 */
	0x00, 0x01, 0x04, 0x06,
	/* address 00:11:22:33:44:55 + 2 bytes padding */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x00, 0x00,
};

/* DLT_NULL, written by a little-endian host: AF_INET 2 */
static const uint8_t null_le_inet[] = { 0x02, 0x00, 0x00, 0x00 };
/* DLT_LOOP / big-endian host: AF_INET6 as on macOS, 30 */
static const uint8_t null_be_inet6_30[] = { 0x00, 0x00, 0x00, 0x1e };

/* PPP (DLT_PPP): address 0xff, control 0x03, protocol 0x0021 IPv4 */
static const uint8_t ppp_ff03_v4[] = { 0xff, 0x03, 0x00, 0x21 };
/* PPP without address and control (as after PPPoE): protocol 0x0057 IPv6 */
static const uint8_t ppp_v6[] = { 0x00, 0x57 };
/* PPP: address 0xff, control 0x03, compressed protocol 0x21 IPv4 (RFC 1661 6.5) */
static const uint8_t ppp_ff03_c21[] = { 0xff, 0x03, 0x21 };
/* PPP: no address/control, compressed protocol 0x21 IPv4 */
static const uint8_t ppp_c21[] = { 0x21 };
/* a link called PPP carrying Cisco HDLC: address 0x0f, control 0x00,
 * protocol 0x0800 IPv4 (the PPP decoder hands it on untouched) */
static const uint8_t ppp_chdlc_v4[] = { 0x0f, 0x00, 0x08, 0x00 };

/* PPP LCP Configure-Request, a whole frame */
static const uint8_t ppp_lcp[] = {
	/* PPP: address 0xff, control 0x03, protocol 0xc021 LCP */
	0xff, 0x03, 0xc0, 0x21,
	/* LCP: code 1 (Configure-Request), id 1, length 8 */
	0x01, 0x01, 0x00, 0x08,
	/* option: MRU (1), length 4, 1492 */
	0x01, 0x04, 0x05, 0xd4,
};

static const uint8_t eth_pppoe_v4[] = {
	/* Ethernet: dst, src, type 0x8864 PPPoE session */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x88, 0x64,
	/* PPPoE: ver 1 type 1, code 0 (session data), session 0x1234 */
	0x11, 0x00, 0x12, 0x34,
	/* length 34: PPP (2) + ipv4_udp (32) */
	0x00, 0x22,
	/* PPP: protocol 0x0021 IPv4 */
	0x00, 0x21,
};
#define PPPOE_LEN (14 + 4) /* length field inside eth_pppoe_v4/_v6 */

static const uint8_t eth_pppoe_v6[] = {
	/* Ethernet: dst, src, type 0x8864 PPPoE session */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x88, 0x64,
	/* PPPoE: ver 1 type 1, code 0, session 0x0001 */
	0x11, 0x00, 0x00, 0x01,
	/* length 54: PPP (2) + ipv6_udp (52) */
	0x00, 0x36,
	/* PPP: protocol 0x0057 IPv6 */
	0x00, 0x57,
};

/* as broadband access networks capture it: two tags, then PPPoE */
static const uint8_t eth_vlan2_pppoe_v4[] = {
	/* Ethernet: dst, src, type 0x8100 */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x81, 0x00,
	/* 802.1Q: VID 10, type 0x8100 */
	0x00, 0x0a, 0x81, 0x00,
	/* 802.1Q: VID 20, type 0x8864 PPPoE session */
	0x00, 0x14, 0x88, 0x64,
	/* PPPoE: ver 1 type 1, code 0, session 0x0bad, length 34 */
	0x11, 0x00, 0x0b, 0xad, 0x00, 0x22,
	/* PPP: protocol 0x0021 IPv4 */
	0x00, 0x21,
};

/* Cisco HDLC (DLT_C_HDLC): address 0x0f (unicast), control 0, protocol 0x0800 */
static const uint8_t chdlc_v4[] = { 0x0f, 0x00, 0x08, 0x00 };

static const uint8_t chdlc_mpls_v4[] = {
	/* Cisco HDLC: address 0x8f (multicast), control 0, protocol 0x8847 MPLS */
	0x8f, 0x00, 0x88, 0x47,
	/* MPLS: label 16, TC 0, S 1, TTL 64 */
	0x00, 0x01, 0x01, 0x40,
};

static const uint8_t ppi_eth_v4[] = {
	/* PPI: version 0, flags 0, length 8 (LE), DLT 1 Ethernet (LE) */
	0x00, 0x00, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00,
	/* Ethernet: dst, src, type 0x0800 IPv4 */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
};

static const uint8_t ppi_fields_eth_v4[] = {
	/* PPI: version 0, flags 0, length 20 (LE), DLT 1 Ethernet (LE) */
	0x00, 0x00, 0x14, 0x00, 0x01, 0x00, 0x00, 0x00,
	/* field: type 5 (802.3 extension, LE), length 8 (LE) */
	0x05, 0x00, 0x08, 0x00,
	/* flags 1 (FCS present), errors 0 */
	0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* Ethernet: dst, src, type 0x0800 IPv4 */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x00,
};

static const uint8_t ppi_80211[] = {
	/* PPI: version 0, flags 0, length 8, DLT 105 IEEE 802.11 (LE) */
	0x00, 0x00, 0x08, 0x00, 0x69, 0x00, 0x00, 0x00,
	/* 802.11: frame control 0x0801 (data, to DS), duration 0 */
	0x08, 0x01, 0x00, 0x00,
	/* address 1, 2, 3 */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
	/* sequence control */
	0x10, 0x00,
};

static const uint8_t eth_mpls1_v4[] = {
	/* Ethernet: dst, src, type 0x8847 MPLS unicast */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x88, 0x47,
	/* MPLS: label 100, TC 0, S 1, TTL 64 */
	0x00, 0x06, 0x41, 0x40,
};

static const uint8_t eth_mpls3[] = {
	/* Ethernet: dst, src, type 0x8847 MPLS unicast */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x88, 0x47,
	/* MPLS: label 1000, TC 0, S 0, TTL 64 */
	0x00, 0x3e, 0x80, 0x40,
	/* label 2000, TC 5, S 0, TTL 63 */
	0x00, 0x7d, 0x0a, 0x3f,
	/* label 17, TC 0, S 1, TTL 62; IP follows, told by its version nibble */
	0x00, 0x01, 0x11, 0x3e,
};

/* ======================================================================
 * IP packets
 * ====================================================================== */

static const uint8_t ipv4_tcp[] = {
	/* IPv4: ver 4 ihl 5, tos 0, total length 56 */
	0x45, 0x00, 0x00, 0x38,
	/* id 0x1234, flags DF, fragment offset 0 */
	0x12, 0x34, 0x40, 0x00,
	/* ttl 64, proto 6 (TCP), checksum (not checked) */
	0x40, 0x06, 0x00, 0x00,
	/* src 192.168.1.10 */
	0xc0, 0xa8, 0x01, 0x0a,
	/* dst 10.0.0.1 */
	0x0a, 0x00, 0x00, 0x01,
	/* TCP: sport 51000, dport 443 */
	0xc7, 0x38, 0x01, 0xbb,
	/* seq 0x01020304 */
	0x01, 0x02, 0x03, 0x04,
	/* ack 0x0a0b0c0d */
	0x0a, 0x0b, 0x0c, 0x0d,
	/* data offset 8 (32 bytes), flags PSH|ACK, window 0xfaf0 */
	0x80, 0x18, 0xfa, 0xf0,
	/* checksum, urgent pointer */
	0x00, 0x00, 0x00, 0x00,
	/* options: NOP, NOP, timestamps (kind 8 length 10) */
	0x01, 0x01, 0x08, 0x0a, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x02,
	/* payload "abcd" */
	0x61, 0x62, 0x63, 0x64,
};

static const uint8_t ipv4_udp[] = {
	/* IPv4: ver 4 ihl 5, tos 0, total length 32 */
	0x45, 0x00, 0x00, 0x20,
	/* id 0xbeef, no flags, fragment offset 0 */
	0xbe, 0xef, 0x00, 0x00,
	/* ttl 64, proto 17 (UDP), checksum */
	0x40, 0x11, 0x00, 0x00,
	/* src 10.1.2.3 */
	0x0a, 0x01, 0x02, 0x03,
	/* dst 10.4.5.6 */
	0x0a, 0x04, 0x05, 0x06,
	/* UDP: sport 5353, dport 53 */
	0x14, 0xe9, 0x00, 0x35,
	/* length 12, checksum */
	0x00, 0x0c, 0x00, 0x00,
	/* payload */
	0xde, 0xad, 0xbe, 0xef,
};
/* byte offsets inside ipv4_udp, for the variants */
#define V4_TOTAL 2
#define V4_FRAG 6
#define V4_UDPLEN 24

static const uint8_t ipv4_opts_udp[] = {
	/* IPv4: ver 4 ihl 6 (24 bytes), tos 0, total length 36 */
	0x46, 0x00, 0x00, 0x24,
	/* id 1, no flags */
	0x00, 0x01, 0x00, 0x00,
	/* ttl 1, proto 17 (UDP), checksum */
	0x01, 0x11, 0x00, 0x00,
	/* src 10.1.2.3 */
	0x0a, 0x01, 0x02, 0x03,
	/* dst 224.0.0.22 */
	0xe0, 0x00, 0x00, 0x16,
	/* option: router alert (0x94, length 4, value 0) */
	0x94, 0x04, 0x00, 0x00,
	/* UDP: sport 1000, dport 2000, length 12, checksum */
	0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0c, 0x00, 0x00,
	/* payload */
	0x01, 0x02, 0x03, 0x04,
};

static const uint8_t ipv4_icmp[] = {
	/* IPv4: ver 4 ihl 5, total length 28 */
	0x45, 0x00, 0x00, 0x1c,
	/* id 1, no flags */
	0x00, 0x01, 0x00, 0x00,
	/* ttl 64, proto 1 (ICMP), checksum */
	0x40, 0x01, 0x00, 0x00,
	/* src 172.16.0.1 */
	0xac, 0x10, 0x00, 0x01,
	/* dst 172.16.0.2 */
	0xac, 0x10, 0x00, 0x02,
	/* ICMP: type 8 (echo request), code 0, checksum */
	0x08, 0x00, 0x00, 0x00,
	/* identifier 0x1234, sequence 1 */
	0x12, 0x34, 0x00, 0x01,
};

#define V6_SRC 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define V6_DST 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02

static const uint8_t ipv6_tcp[] = {
	/* IPv6: ver 6, traffic class 0, flow label 0x12345 */
	0x60, 0x01, 0x23, 0x45,
	/* payload length 20, next header 6 (TCP), hop limit 64 */
	0x00, 0x14, 0x06, 0x40,
	/* src 2001:db8::1 */
	V6_SRC,
	/* dst 2001:db8::2 */
	V6_DST,
	/* TCP: sport 40000, dport 80 */
	0x9c, 0x40, 0x00, 0x50,
	/* seq 0xfffffffe */
	0xff, 0xff, 0xff, 0xfe,
	/* ack 0 */
	0x00, 0x00, 0x00, 0x00,
	/* data offset 5, flags SYN, window 65535 */
	0x50, 0x02, 0xff, 0xff,
	/* checksum, urgent pointer */
	0x00, 0x00, 0x00, 0x00,
};

static const uint8_t ipv6_udp[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length 12, next header 17 (UDP), hop limit 1 */
	0x00, 0x0c, 0x11, 0x01,
	/* src fe80::1 */
	0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
	/* dst ff02::1:2 */
	0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0, 0x02,
	/* UDP: sport 546, dport 547, length 12, checksum */
	0x02, 0x22, 0x02, 0x23, 0x00, 0x0c, 0x00, 0x00,
	/* payload */
	0xca, 0xfe, 0xba, 0xbe,
};

static const uint8_t ipv6_icmpv6[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length 8, next header 58 (ICMPv6), hop limit 64 */
	0x00, 0x08, 0x3a, 0x40,
	/* src 2001:db8::1, dst 2001:db8::2 */
	V6_SRC, V6_DST,
	/* ICMPv6: type 128 (echo request), code 0, checksum */
	0x80, 0x00, 0x00, 0x00,
	/* identifier 1, sequence 2 */
	0x00, 0x01, 0x00, 0x02,
};

static const uint8_t ipv6_ext_tcp[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length 44 (24 ext + 20 TCP), next header 0 (hop-by-hop), hop limit 64 */
	0x00, 0x2c, 0x00, 0x40,
	V6_SRC, V6_DST,
	/* hop-by-hop: next 43 (routing), length 0 (8 bytes), PadN 4 */
	0x2b, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	/* routing: next 60 (dest opts), length 0, type 0, segments left 0, reserved */
	0x3c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* destination options: next 6 (TCP), length 0, PadN 4 */
	0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
	/* TCP: sport 1024, dport 22, seq 1, ack 0 */
	0x04, 0x00, 0x00, 0x16, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	/* data offset 5, flags SYN, window 1024, checksum, urgent pointer */
	0x50, 0x02, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t ipv6_ah_tcp[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length 44 (24 AH + 20 TCP), next header 51 (AH), hop limit 64 */
	0x00, 0x2c, 0x33, 0x40,
	V6_SRC, V6_DST,
	/* AH: next 6 (TCP), payload length 4 ((4 + 2) * 4 = 24 bytes), reserved */
	0x06, 0x04, 0x00, 0x00,
	/* SPI 0x100, sequence 1 */
	0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01,
	/* ICV, 12 bytes */
	0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac,
	/* TCP: sport 500, dport 179, seq 7, ack 9 */
	0x01, 0xf4, 0x00, 0xb3, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x09,
	/* data offset 5, flags ACK, window 16, checksum, urgent pointer */
	0x50, 0x10, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t ipv6_frag_udp[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length 20 (8 fragment + 8 UDP + 4), next header 44 (fragment), hop limit 64 */
	0x00, 0x14, 0x2c, 0x40,
	V6_SRC, V6_DST,
	/* fragment: next 17 (UDP), reserved, offset 0 M 0 (atomic), id 0xdeadbeef */
	0x11, 0x00, 0x00, 0x00, 0xde, 0xad, 0xbe, 0xef,
	/* UDP: sport 1000, dport 2000, length 12, checksum */
	0x03, 0xe8, 0x07, 0xd0, 0x00, 0x0c, 0x00, 0x00,
	/* payload */
	0x01, 0x02, 0x03, 0x04,
};
#define V6_FRAGOFF (40 + 2) /* offset/M field inside ipv6_frag_udp */

static const uint8_t ipv4_sctp[] = {
	/* IPv4: ver 4 ihl 5, tos 0, total length 36 */
	0x45, 0x00, 0x00, 0x24,
	/* id 7, flags DF */
	0x00, 0x07, 0x40, 0x00,
	/* ttl 64, proto 132 (SCTP), checksum */
	0x40, 0x84, 0x00, 0x00,
	/* src 10.0.0.1 */
	0x0a, 0x00, 0x00, 0x01,
	/* dst 10.0.0.2 */
	0x0a, 0x00, 0x00, 0x02,
	/* SCTP: sport 36412, dport 2905 */
	0x8e, 0x3c, 0x0b, 0x59,
	/* verification tag 0x11223344 */
	0x11, 0x22, 0x33, 0x44,
	/* checksum (CRC32c, not checked) */
	0x00, 0x00, 0x00, 0x00,
	/* chunk: type 11 (COOKIE ACK), flags 0, length 4 */
	0x0b, 0x00, 0x00, 0x04,
};

static const uint8_t ipv6_sctp[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length 16, next header 132 (SCTP), hop limit 64 */
	0x00, 0x10, 0x84, 0x40,
	/* src 2001:db8::1, dst 2001:db8::2 */
	V6_SRC, V6_DST,
	/* SCTP: sport 5000, dport 38412 */
	0x13, 0x88, 0x96, 0x0c,
	/* verification tag 0xa0b0c0d0 */
	0xa0, 0xb0, 0xc0, 0xd0,
	/* checksum */
	0x00, 0x00, 0x00, 0x00,
	/* chunk: type 8 (SHUTDOWN ACK), flags 0, length 4 */
	0x08, 0x00, 0x00, 0x04,
};

/* ======================================================================
 * Overlays: outer headers, tunnel headers. Whole packets are put together
 * by the ov_* builders below, which also set the outer length fields.
 * Outer addresses: UDP carriers 192.0.2.1 -> 192.0.2.2, GRE and IP-in-IP
 * carriers 198.51.100.1 -> 198.51.100.2, IPv6 carriers 2001:db8:ffff::1 -> ::2.
 * ====================================================================== */

#define OV4_UDP_SRC 0xc0, 0x00, 0x02, 0x01 /* 192.0.2.1 */
#define OV4_UDP_DST 0xc0, 0x00, 0x02, 0x02 /* 192.0.2.2 */
#define OV4_SRC 0xc6, 0x33, 0x64, 0x01     /* 198.51.100.1 */
#define OV4_DST 0xc6, 0x33, 0x64, 0x02     /* 198.51.100.2 */
#define OV6_SRC 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01
#define OV6_DST 0x20, 0x01, 0x0d, 0xb8, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02

static const uint8_t ov4_udp_vxlan[] = {
	/* IPv4: ver 4 ihl 5, tos 0, total length (set by ip_len) */
	0x45, 0x00, 0x00, 0x00,
	/* id 1, flags DF */
	0x00, 0x01, 0x40, 0x00,
	/* ttl 64, proto 17 (UDP), checksum */
	0x40, 0x11, 0x00, 0x00,
	/* src 192.0.2.1, dst 192.0.2.2 */
	OV4_UDP_SRC, OV4_UDP_DST,
	/* UDP: sport 49152 (the VTEP's entropy port), dport 4789 VXLAN */
	0xc0, 0x00, 0x12, 0xb5,
	/* length (set by udp_len), checksum 0 */
	0x00, 0x00, 0x00, 0x00,
};
#define OV_DPORT 22 /* UDP destination port inside ov4_udp_* */

static const uint8_t vxlan_vni100[] = {
	/* VXLAN: flags I (0x08), reserved */
	0x08, 0x00, 0x00, 0x00,
	/* VNI 100, reserved */
	0x00, 0x00, 0x64, 0x00,
};

static const uint8_t ov6_udp_geneve[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length (set by ip_len), next header 17 (UDP), hop limit 64 */
	0x00, 0x00, 0x11, 0x40,
	/* src 2001:db8:ffff::1, dst 2001:db8:ffff::2 */
	OV6_SRC, OV6_DST,
	/* UDP: sport 50000, dport 6081 Geneve */
	0xc3, 0x50, 0x17, 0xc1,
	/* length (set by udp_len), checksum */
	0x00, 0x00, 0x00, 0x00,
};

static const uint8_t geneve_2opts_eth[] = {
	/* Geneve: ver 0, opt len 3 (12 bytes); O 0 C 0; protocol 0x6558 Ethernet */
	0x03, 0x00, 0x65, 0x58,
	/* VNI 0x123456, reserved */
	0x12, 0x34, 0x56, 0x00,
	/* option: class 0x0102, type 0x80 (critical), length 1 (4 bytes of data) */
	0x01, 0x02, 0x80, 0x01,
	0xde, 0xad, 0xbe, 0xef,
	/* option: class 0xffff, type 0x01, length 0 */
	0xff, 0xff, 0x01, 0x00,
};

static const uint8_t ov4_udp_geneve[] = {
	/* IPv4: ver 4 ihl 5, total length (set by ip_len), id 2, DF */
	0x45, 0x00, 0x00, 0x00, 0x00, 0x02, 0x40, 0x00,
	/* ttl 64, proto 17 (UDP), checksum */
	0x40, 0x11, 0x00, 0x00,
	/* src 192.0.2.1, dst 192.0.2.2 */
	OV4_UDP_SRC, OV4_UDP_DST,
	/* UDP: sport 50001, dport 6081 Geneve, length (set by udp_len), checksum */
	0xc3, 0x51, 0x17, 0xc1, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t geneve_v4[] = {
	/* Geneve: ver 0, opt len 0; flags 0; protocol 0x0800 IPv4 */
	0x00, 0x00, 0x08, 0x00,
	/* VNI 7, reserved */
	0x00, 0x00, 0x07, 0x00,
};

static const uint8_t ov4_gre[] = {
	/* IPv4: ver 4 ihl 5, total length (set by ip_len), id 3, DF */
	0x45, 0x00, 0x00, 0x00, 0x00, 0x03, 0x40, 0x00,
	/* ttl 64, proto 47 (GRE), checksum */
	0x40, 0x2f, 0x00, 0x00,
	/* src 198.51.100.1, dst 198.51.100.2 */
	OV4_SRC, OV4_DST,
};
#define OV4_PROTO 9 /* protocol byte inside ov4_gre */

static const uint8_t ov6_gre[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length (set by ip_len), next header 47 (GRE), hop limit 64 */
	0x00, 0x00, 0x2f, 0x40,
	/* src 2001:db8:ffff::1, dst 2001:db8:ffff::2 */
	OV6_SRC, OV6_DST,
};
#define OV6_NH 6 /* next header byte inside ov6_gre */

static const uint8_t gre_cks_v4[] = {
	/* GRE: C K S (0xb000), ver 0, protocol 0x0800 IPv4 */
	0xb0, 0x00, 0x08, 0x00,
	/* checksum, reserved1 */
	0x00, 0x00, 0x00, 0x00,
	/* key 0x01020304 */
	0x01, 0x02, 0x03, 0x04,
	/* sequence number 7 */
	0x00, 0x00, 0x00, 0x07,
};

/* GRE: no options, ver 0, protocol 0x86dd IPv6 */
static const uint8_t gre_v6[] = { 0x00, 0x00, 0x86, 0xdd };
/* GRE: no options, ver 0, protocol 0x0800 IPv4 */
static const uint8_t gre_v4[] = { 0x00, 0x00, 0x08, 0x00 };
/* GRE: no options, ver 0, protocol 0x6558 transparent Ethernet bridging */
static const uint8_t gre_teb[] = { 0x00, 0x00, 0x65, 0x58 };
/* GRE: no options, ver 0, protocol 0x8847 MPLS unicast */
static const uint8_t gre_mpls[] = { 0x00, 0x00, 0x88, 0x47 };
/* MPLS: label 100, TC 0, S 1, TTL 64 */
static const uint8_t mpls_label100[] = { 0x00, 0x06, 0x41, 0x40 };
/* GRE: no options (S clear), ver 0, protocol 0x88be: ERSPAN type I, Ethernet follows */
static const uint8_t gre_erspan1[] = { 0x00, 0x00, 0x88, 0xbe };

static const uint8_t gre_erspan2[] = {
	/* GRE: S (0x1000), ver 0, protocol 0x88be ERSPAN type II */
	0x10, 0x00, 0x88, 0xbe,
	/* sequence number 1 */
	0x00, 0x00, 0x00, 0x01,
};

static const uint8_t erspan2[] = {
	/* ERSPAN II: ver 1, VLAN 0 */
	0x10, 0x00,
	/* COS 1, En 0, T 0, session id 0x155 (341) */
	0x21, 0x55,
	/* reserved, index 1 */
	0x00, 0x00, 0x00, 0x01,
};

static const uint8_t gre_erspan3[] = {
	/* GRE: S (0x1000), ver 0, protocol 0x22eb ERSPAN type III */
	0x10, 0x00, 0x22, 0xeb,
	/* sequence number 2 */
	0x00, 0x00, 0x00, 0x02,
};

static const uint8_t erspan3[] = {
	/* ERSPAN III: ver 2, VLAN 10 */
	0x20, 0x0a,
	/* COS 7, BSO 0, T 0, session id 1023 */
	0xe3, 0xff,
	/* timestamp */
	0x12, 0x34, 0x56, 0x78,
	/* SGT 0x0042 */
	0x00, 0x42,
	/* P 1, FT 0, Hw ID 5, D 0, Gra 2, O 0 */
	0x80, 0x54,
};

static const uint8_t erspan3_o[] = {
	/* ERSPAN III: ver 2, VLAN 0, COS 0, session id 7 */
	0x20, 0x00, 0x00, 0x07,
	/* timestamp */
	0x00, 0x00, 0x00, 0x01,
	/* SGT 0, P 0 FT 0 Hw ID 0 D 0 Gra 0, O 1: a platform sub-header follows */
	0x00, 0x00, 0x00, 0x01,
	/* platform specific sub-header: platform id 3, switch id, port index */
	0x0c, 0x00, 0x00, 0x11, 0x00, 0x00, 0x00, 0x22,
};

static const uint8_t gre_pptp[] = {
	/* GRE: K S (0x3000), A (0x0080), ver 1; protocol 0x880b PPP */
	0x30, 0x81, 0x88, 0x0b,
	/* payload length 36 (PPP 4 + IPv4 32), call id 0x4000 */
	0x00, 0x24, 0x40, 0x00,
	/* sequence number 9 */
	0x00, 0x00, 0x00, 0x09,
	/* acknowledgment number 8 */
	0x00, 0x00, 0x00, 0x08,
};

/* PPP inside PPTP: address 0xff, control 0x03, protocol 0x00fd (compressed datagram, CCP/MPPE) */
static const uint8_t ppp_ff03_mppe[] = { 0xff, 0x03, 0x00, 0xfd, 0x90, 0x01, 0x5a, 0xa5 };

static const uint8_t ov4_udp_greudp[] = {
	/* IPv4: ver 4 ihl 5, total length (set by ip_len), id 4, DF */
	0x45, 0x00, 0x00, 0x00, 0x00, 0x04, 0x40, 0x00,
	/* ttl 64, proto 17 (UDP), checksum */
	0x40, 0x11, 0x00, 0x00,
	/* src 192.0.2.1, dst 192.0.2.2 */
	OV4_UDP_SRC, OV4_UDP_DST,
	/* UDP: sport 49152, dport 4754 GRE-in-UDP, length (set by udp_len), checksum */
	0xc0, 0x00, 0x12, 0x92, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t ov4_ipip[] = {
	/* IPv4: ver 4 ihl 5, total length (set by ip_len), id 5, DF */
	0x45, 0x00, 0x00, 0x00, 0x00, 0x05, 0x40, 0x00,
	/* ttl 64, proto 4 (IPv4), checksum */
	0x40, 0x04, 0x00, 0x00,
	/* src 198.51.100.1, dst 198.51.100.2 */
	OV4_SRC, OV4_DST,
};

static const uint8_t ov4_6in4[] = {
	/* IPv4: ver 4 ihl 5, total length (set by ip_len), id 6, DF */
	0x45, 0x00, 0x00, 0x00, 0x00, 0x06, 0x40, 0x00,
	/* ttl 64, proto 41 (IPv6), checksum */
	0x40, 0x29, 0x00, 0x00,
	/* src 198.51.100.1, dst 198.51.100.2 */
	OV4_SRC, OV4_DST,
};

static const uint8_t ov6_4in6[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length (set by ip_len), next header 4 (IPv4), hop limit 64 */
	0x00, 0x00, 0x04, 0x40,
	/* src 2001:db8:ffff::1, dst 2001:db8:ffff::2 */
	OV6_SRC, OV6_DST,
};

static const uint8_t ov6_6in6[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length (set by ip_len), next header 41 (IPv6), hop limit 64 */
	0x00, 0x00, 0x29, 0x40,
	/* src 2001:db8:ffff::1, dst 2001:db8:ffff::2 */
	OV6_SRC, OV6_DST,
};

/* ======================================================================
 * Helpers
 * ====================================================================== */

static size_t cat(uint8_t *out, const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	memcpy(out, a, alen);
	memcpy(out + alen, b, blen);
	return alen + blen;
}
#define CAT(out, a, b) cat(out, a, sizeof(a), b, sizeof(b))

struct run {
	struct pkt p;
	struct decode_stats st;
	bool ok;
};

/* Runs decode_packet over a private copy of exactly `len` bytes (freed
 * afterwards: p.data is cleared), with decode configuration `cfg` (NULL:
 * the defaults). wirelen 0 means "= len". */
static bool run_cfg(struct run *r, const struct decode_cfg *cfg, const uint8_t *buf, size_t len,
		    enum layer first, uint32_t wirelen)
{
	memset(r, 0, sizeof(*r));
	r->p.cfg = cfg;
	uint8_t *copy = malloc(len);
	if (len)
		assert_non_null(copy);
	if (len)
		memcpy(copy, buf, len);
	r->p.data = copy;
	r->p.caplen = (uint32_t)len;
	r->p.wirelen = wirelen ? wirelen : (uint32_t)len;
	r->p.ts_us = 1234567;
	r->ok = decode_packet(&r->p, first, &r->st);
	free(copy);
	r->p.data = NULL;
	return r->ok;
}

static bool run(struct run *r, const uint8_t *buf, size_t len, enum layer first, uint32_t wirelen)
{
	return run_cfg(r, NULL, buf, len, first, wirelen);
}

/* Exactly these layer counts, and at most the one (layer, reason) outcome. */
static void expect_stats(const struct decode_stats *st, const unsigned want[L__COUNT],
			 enum layer el, enum dec_result er)
{
	assert_int_equal(st->pkts, 1);
	for (int l = 0; l < L__COUNT; l++) {
		if (st->layer[l] != want[l])
			fail_msg("layer[%s] = %llu, expected %u", layer_name((enum layer)l),
				 (unsigned long long)st->layer[l], want[l]);
		for (int r = 0; r < DEC__COUNT; r++) {
			uint64_t e = (el != L_NONE && l == (int)el && r == (int)er) ? 1 : 0;
			if (st->result[l][r] != e)
				fail_msg("result[%s][%s] = %llu, expected %llu",
					 layer_name((enum layer)l), dec_result_name((enum dec_result)r),
					 (unsigned long long)st->result[l][r], (unsigned long long)e);
		}
	}
}
#define LAYERS(...) ((const unsigned[L__COUNT]){ __VA_ARGS__ })

static void expect_v4(const struct pkt *p, const char *src, const char *dst)
{
	uint8_t s[16] = { 0 }, d[16] = { 0 };
	assert_int_equal(inet_pton(AF_INET, src, s), 1);
	assert_int_equal(inet_pton(AF_INET, dst, d), 1);
	assert_int_equal(p->ipver, 4);
	assert_memory_equal(p->src, s, 16);
	assert_memory_equal(p->dst, d, 16);
}

static void expect_v6(const struct pkt *p, const char *src, const char *dst)
{
	uint8_t s[16], d[16];
	assert_int_equal(inet_pton(AF_INET6, src, s), 1);
	assert_int_equal(inet_pton(AF_INET6, dst, d), 1);
	assert_int_equal(p->ipver, 6);
	assert_memory_equal(p->src, s, 16);
	assert_memory_equal(p->dst, d, 16);
}

/* The inner IPv4 addresses' own 4 bytes only: under an IPv6 carrier the
 * other 12 are not zero today (test_ipv4_in_ipv6_addresses). */
static void expect_v4_first4(const struct pkt *p, const char *src, const char *dst)
{
	uint8_t s[4], d[4];
	assert_int_equal(inet_pton(AF_INET, src, s), 1);
	assert_int_equal(inet_pton(AF_INET, dst, d), 1);
	assert_int_equal(p->ipver, 4);
	assert_memory_equal(p->src, s, 4);
	assert_memory_equal(p->dst, d, 4);
}

static void expect_offsets(const struct pkt *p, uint32_t l3_off, uint32_t l3_len, uint32_t l4_off,
			   uint32_t payload_off, uint32_t payload_len)
{
	assert_int_equal(p->l3_off, l3_off);
	assert_int_equal(p->l3_len, l3_len);
	assert_int_equal(p->l4_off, l4_off);
	assert_int_equal(p->payload_off, payload_off);
	assert_int_equal(p->payload_len, payload_len);
}

/* A single decoder over buf[len] through a cursor; p.data = buf. */
struct one {
	struct pkt p;
	struct cursor c;
	enum dec_result r;
	size_t used; /* bytes the cursor moved */
};

static enum dec_result one(struct one *o, decoder_fn fn, const uint8_t *buf, size_t len,
			   uint8_t flags)
{
	memset(o, 0, sizeof(*o));
	o->p.data = buf;
	o->p.caplen = o->p.wirelen = (uint32_t)len;
	o->p.flags = flags;
	o->c = cur_make(buf, len);
	o->r = fn(&o->c, &o->p);
	o->used = (size_t)(o->c.p - buf);
	assert_true(o->c.p <= o->c.end);
	return o->r;
}

/* ---- overlays --------------------------------------------------------- */

struct part {
	const uint8_t *p;
	size_t n;
};
#define PART(a) { a, sizeof(a) }

static size_t build(uint8_t *out, const struct part *parts, size_t np)
{
	size_t n = 0;
	for (size_t i = 0; i < np; i++) {
		memcpy(out + n, parts[i].p, parts[i].n);
		n += parts[i].n;
	}
	return n;
}
/* BUILD(out, PART(a), PART(b), ...): the parts one after the other */
#define BUILD(out, ...)                                                                           \
	build(out, (const struct part[]){ __VA_ARGS__ },                                          \
	      sizeof((const struct part[]){ __VA_ARGS__ }) / sizeof(struct part))

/* Sets the length field of the IP header at `off` (told by its version) so
 * the datagram ends at n. */
static void ip_len(uint8_t *b, size_t n, size_t off)
{
	size_t len = (b[off] >> 4) == 4 ? n - off : n - off - 40;
	b[off + ((b[off] >> 4) == 4 ? 2 : 4)] = (uint8_t)(len >> 8);
	b[off + ((b[off] >> 4) == 4 ? 3 : 5)] = (uint8_t)len;
}

/* Sets the UDP length of the header at `off` so the datagram ends at n. */
static void udp_len(uint8_t *b, size_t n, size_t off)
{
	b[off + 4] = (uint8_t)((n - off) >> 8);
	b[off + 5] = (uint8_t)(n - off);
}

/* Ethernet / IPv4 / UDP 4789 / VXLAN VNI 100 / Ethernet / IPv4 / TCP
 * (ipv4_tcp: 192.168.1.10:51000 -> 10.0.0.1:443). */
#define VX_UDP 34   /* outer UDP header */
#define VX_HDR 42   /* VXLAN header */
#define VX_INNER 50 /* inner Ethernet */
static size_t ov_vxlan(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v4), PART(ov4_udp_vxlan), PART(vxlan_vni100), PART(eth_v4),
			 PART(ipv4_tcp));
	ip_len(b, n, 14);
	udp_len(b, n, VX_UDP);
	return n;
}

/* Ethernet / IPv6 / UDP 6081 / Geneve with two options (VNI 0x123456,
 * Ethernet) / Ethernet / IPv4 / UDP (ipv4_udp). */
#define GV_HDR 62   /* Geneve header */
#define GV_INNER 82 /* inner Ethernet */
static size_t ov_geneve_opts(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v6), PART(ov6_udp_geneve), PART(geneve_2opts_eth), PART(eth_v4),
			 PART(ipv4_udp));
	ip_len(b, n, 14);
	udp_len(b, n, 54);
	return n;
}

/* Ethernet / IPv4 / UDP 6081 / Geneve (VNI 7, IPv4) / IPv4 / ICMP echo. */
static size_t ov_geneve_v4(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v4), PART(ov4_udp_geneve), PART(geneve_v4), PART(ipv4_icmp));
	ip_len(b, n, 14);
	udp_len(b, n, 34);
	return n;
}

/* Ethernet / IPv4 (GRE) / `gre` ... / the rest: the GRE family. */
#define OV_GRE(name, ...)                                                                         \
	static size_t name(uint8_t *b)                                                            \
	{                                                                                         \
		size_t n = BUILD(b, PART(eth_v4), PART(ov4_gre), __VA_ARGS__);                    \
		ip_len(b, n, 14);                                                                 \
		return n;                                                                         \
	}
#define GRE_HDR 34 /* the GRE header after Ethernet / IPv4 */
OV_GRE(ov_gre_cks_v4, PART(gre_cks_v4), PART(ipv4_udp))
OV_GRE(ov_gre_teb, PART(gre_teb), PART(eth_v4), PART(ipv4_icmp))
OV_GRE(ov_gre_mpls, PART(gre_mpls), PART(mpls_label100), PART(ipv4_udp))
OV_GRE(ov_gre_erspan1, PART(gre_erspan1), PART(eth_v4), PART(ipv4_udp))
OV_GRE(ov_gre_erspan2, PART(gre_erspan2), PART(erspan2), PART(eth_v4), PART(ipv4_tcp))
OV_GRE(ov_gre_erspan3, PART(gre_erspan3), PART(erspan3), PART(eth_v6), PART(ipv6_udp))
OV_GRE(ov_gre_erspan3_o, PART(gre_erspan3), PART(erspan3_o), PART(eth_v4), PART(ipv4_icmp))
OV_GRE(ov_gre_pptp, PART(gre_pptp), PART(ppp_ff03_v4), PART(ipv4_udp))
OV_GRE(ov_gre_pptp_mppe, PART(gre_pptp), PART(ppp_ff03_mppe))

/* Ethernet / IPv6 (GRE) / GRE (no options) / IPv6 / TCP (ipv6_tcp). */
static size_t ov_gre6_v6(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v6), PART(ov6_gre), PART(gre_v6), PART(ipv6_tcp));
	ip_len(b, n, 14);
	return n;
}

/* Ethernet / IPv4 / UDP 4754 / GRE / IPv4 / ICMP echo. */
static size_t ov_gre_udp(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v4), PART(ov4_udp_greudp), PART(gre_v4), PART(ipv4_icmp));
	ip_len(b, n, 14);
	udp_len(b, n, 34);
	return n;
}

/* Ethernet / IPv4 / UDP 4754 / GRE / IPv4 (proto 4) / IPv4 / ICMP echo:
 * outer UDP ports, then IP-in-IP, then a flow without ports. */
static size_t ov_gre_udp_ipip(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v4), PART(ov4_udp_greudp), PART(gre_v4), PART(ov4_ipip),
			 PART(ipv4_icmp));
	ip_len(b, n, 14);
	udp_len(b, n, 34);
	ip_len(b, n, 46);
	return n;
}

/* IP-in-IP, all four ways. */
static size_t ov_4in4(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v4), PART(ov4_ipip), PART(ipv4_icmp));
	ip_len(b, n, 14);
	return n;
}

static size_t ov_6in4(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v4), PART(ov4_6in4), PART(ipv6_tcp));
	ip_len(b, n, 14);
	return n;
}

static size_t ov_4in6(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v6), PART(ov6_4in6), PART(ipv4_tcp));
	ip_len(b, n, 14);
	return n;
}

static size_t ov_6in6(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v6), PART(ov6_6in6), PART(ipv6_icmpv6));
	ip_len(b, n, 14);
	return n;
}

/* Ethernet / IPv4 (GRE, 198.51.100.x) / GRE / IPv4 (192.0.2.x) / UDP 4789 /
 * VXLAN VNI 100 / Ethernet / IPv4 / TCP. */
#define VG_INNER 74 /* inner Ethernet */
static size_t ov_vxlan_in_gre(uint8_t *b)
{
	size_t n = BUILD(b, PART(eth_v4), PART(ov4_gre), PART(gre_v4), PART(ov4_udp_vxlan),
			 PART(vxlan_vni100), PART(eth_v4), PART(ipv4_tcp));
	ip_len(b, n, 14);
	ip_len(b, n, 38);
	udp_len(b, n, 58);
	return n;
}

/* Raw IP: `depth` IPv4 headers of protocol 4 (10.255.i.1 -> 10.255.i.2),
 * then ipv4_icmp. */
static size_t raw_ipip_stack(uint8_t *b, int depth)
{
	size_t n = 0;
	for (int i = 0; i < depth; i++) {
		memcpy(b + n, ov4_ipip, sizeof(ov4_ipip));
		b[n + 12] = 10, b[n + 13] = 255, b[n + 14] = (uint8_t)i, b[n + 15] = 1;
		b[n + 16] = 10, b[n + 17] = 255, b[n + 18] = (uint8_t)i, b[n + 19] = 2;
		n += sizeof(ov4_ipip);
	}
	memcpy(b + n, ipv4_icmp, sizeof(ipv4_icmp));
	n += sizeof(ipv4_icmp);
	for (int i = 0; i < depth; i++)
		ip_len(b, n, (size_t)i * 20);
	return n;
}

static size_t ov_raw_ipip4(uint8_t *b) { return raw_ipip_stack(b, 4); }
static size_t ov_eth_mpls3_v4(uint8_t *b) { return CAT(b, eth_mpls3, ipv4_udp); }

/* Checks tun[i]: type, id (when has_id) and the outer IPv4/IPv6 addresses
 * (NULL: no outer IP, ipver 0). */
static void expect_tun(const struct pkt *p, unsigned i, enum tunnel_type type, bool has_id,
		       uint32_t id, const char *src, const char *dst)
{
	assert_true(i < p->ntun);
	const struct tunnel *t = &p->tun[i];
	if (t->type != type)
		fail_msg("tun[%u] is %s, expected %s", i, tunnel_type_name((enum tunnel_type)t->type),
			 tunnel_type_name(type));
	assert_int_equal(t->has_id, has_id);
	assert_int_equal(t->id, has_id ? id : 0);
	uint8_t s[16] = { 0 }, d[16] = { 0 };
	if (!src) {
		assert_int_equal(t->ipver, 0);
	} else {
		int v6 = strchr(src, ':') != NULL;
		assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, src, s), 1);
		assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, dst, d), 1);
		assert_int_equal(t->ipver, v6 ? 6 : 4);
	}
	assert_memory_equal(t->src, s, 16);
	assert_memory_equal(t->dst, d, 16);
}

/* The tunnel counters of a decode: tunnelled and tunnel[type] per layer. */
static void expect_tun_stats(const struct decode_stats *st, unsigned tunnelled,
			     const unsigned want[TUN__COUNT])
{
	assert_int_equal(st->tunnelled, tunnelled);
	for (int t = 0; t < TUN__COUNT; t++)
		if (st->tunnel[t] != want[t])
			fail_msg("tunnel[%s] = %llu, expected %u", tunnel_type_name((enum tunnel_type)t),
				 (unsigned long long)st->tunnel[t], want[t]);
}
#define TUNS(...) ((const unsigned[TUN__COUNT]){ __VA_ARGS__ })

/* ======================================================================
 * Single decoders
 * ====================================================================== */

static void test_eth_decoder(void **state)
{
	(void)state;
	struct one o;
	assert_int_equal(one(&o, eth_decode, eth_v4, sizeof(eth_v4), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.p.ethertype, 0x0800);
	assert_int_equal(o.used, 14);
	assert_int_equal(one(&o, eth_decode, eth_v6, sizeof(eth_v6), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	assert_int_equal(one(&o, eth_decode, eth_vlan_v4, 14, 0), DEC_OK);
	assert_int_equal(o.p.next, L_VLAN);
	assert_int_equal(o.p.ethertype, 0x8100);
	for (size_t n = 0; n < 14; n++)
		assert_int_equal(one(&o, eth_decode, eth_v4, n, 0), DEC_TRUNCATED);

	uint8_t b[14];
	memcpy(b, eth_v4, 14);
	b[12] = 0x05, b[13] = 0xdc; /* type 1500: an 802.3 length */
	assert_int_equal(one(&o, eth_decode, b, 14, 0), DEC_UNSUPPORTED);
	b[12] = 0x08, b[13] = 0x06; /* ARP */
	assert_int_equal(one(&o, eth_decode, b, 14, 0), DEC_UNSUPPORTED);
	assert_int_equal(o.p.next, L_NONE);
	b[12] = 0x05, b[13] = 0xdd; /* 1501: neither length nor known type */
	assert_int_equal(one(&o, eth_decode, b, 14, 0), DEC_UNSUPPORTED);
	b[12] = 0x91, b[13] = 0x00; /* old QinQ type */
	assert_int_equal(one(&o, eth_decode, b, 14, 0), DEC_OK);
	assert_int_equal(o.p.next, L_VLAN);
}

static void test_vlan_decoder(void **state)
{
	(void)state;
	struct one o;
	/* the tag that follows the Ethernet header of eth_qinq_v6 */
	const uint8_t *tag2 = eth_qinq_v6 + 18;
	assert_int_equal(one(&o, vlan_decode, eth_qinq_v6 + 14, 4, 0), DEC_OK);
	assert_int_equal(o.p.nvlan, 1);
	assert_int_equal(o.p.vlan[0], 200);
	assert_int_equal(o.p.next, L_VLAN);
	assert_int_equal(o.used, 4);
	/* PCP/DEI bits are masked off */
	assert_int_equal(one(&o, vlan_decode, tag2, 4, 0), DEC_OK);
	assert_int_equal(o.p.vlan[0], 4095);
	assert_int_equal(o.p.next, L_IPV6);
	assert_int_equal(o.p.ethertype, 0x86dd);
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(one(&o, vlan_decode, tag2, n, 0), DEC_TRUNCATED);

	/* a tag when DAVY_MAX_VLAN are already kept */
	memset(&o, 0, sizeof(o));
	o.p.data = tag2;
	o.p.nvlan = DAVY_MAX_VLAN;
	o.c = cur_make(tag2, 4);
	assert_int_equal(vlan_decode(&o.c, &o.p), DEC_MALFORMED);
	assert_int_equal(o.p.nvlan, DAVY_MAX_VLAN);

	/* unknown inner type */
	static const uint8_t arp_tag[] = { /* VID 5, type 0x0806 ARP */ 0x00, 0x05, 0x08, 0x06 };
	assert_int_equal(one(&o, vlan_decode, arp_tag, 4, 0), DEC_UNSUPPORTED);
}

static void test_sll_decoders(void **state)
{
	(void)state;
	struct one o;
	assert_int_equal(one(&o, sll_decode, sll_v4, sizeof(sll_v4), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.p.ethertype, 0x0800);
	assert_int_equal(o.used, 16);
	for (size_t n = 0; n < 16; n++)
		assert_int_equal(one(&o, sll_decode, sll_v4, n, 0), DEC_TRUNCATED);
	uint8_t b[20];
	memcpy(b, sll_v4, 16);
	b[14] = 0x00, b[15] = 0x04; /* Linux pseudo protocol ETH_P_802_2 */
	assert_int_equal(one(&o, sll_decode, b, 16, 0), DEC_UNSUPPORTED);
	b[14] = 0x08, b[15] = 0x06; /* ARP */
	assert_int_equal(one(&o, sll_decode, b, 16, 0), DEC_UNSUPPORTED);
	b[14] = 0x81, b[15] = 0x00; /* a VLAN tag follows (tcpdump -i any keeps some) */
	assert_int_equal(one(&o, sll_decode, b, 16, 0), DEC_OK);
	assert_int_equal(o.p.next, L_VLAN);

	assert_int_equal(one(&o, sll2_decode, sll2_v6, sizeof(sll2_v6), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	assert_int_equal(o.p.ethertype, 0x86dd);
	assert_int_equal(o.used, 20);
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(one(&o, sll2_decode, sll2_v6, n, 0), DEC_TRUNCATED);
	memcpy(b, sll2_v6, 20);
	b[0] = 0x00, b[1] = 0x0c; /* ETH_P_CAN */
	assert_int_equal(one(&o, sll2_decode, b, 20, 0), DEC_UNSUPPORTED);
}

static void test_null_decoder(void **state)
{
	(void)state;
	static const struct {
		uint32_t af;
		enum dec_result r;
		enum layer next;
	} cases[] = {
		{ 2, DEC_OK, L_IPV4 },	   { 10, DEC_OK, L_IPV6 }, { 23, DEC_OK, L_IPV6 },
		{ 24, DEC_OK, L_IPV6 },	   { 28, DEC_OK, L_IPV6 }, { 30, DEC_OK, L_IPV6 },
		{ 7, DEC_UNSUPPORTED, L_NONE }, { 0, DEC_UNSUPPORTED, L_NONE },
		{ 255, DEC_UNSUPPORTED, L_NONE },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		uint32_t af = cases[i].af;
		/* host order of a little-endian writer (DLT_NULL) */
		uint8_t le[4] = { (uint8_t)af, (uint8_t)(af >> 8), (uint8_t)(af >> 16),
				  (uint8_t)(af >> 24) };
		/* network order (DLT_LOOP, or DLT_NULL from a big-endian writer) */
		uint8_t be[4] = { (uint8_t)(af >> 24), (uint8_t)(af >> 16), (uint8_t)(af >> 8),
				  (uint8_t)af };
		struct one o;
		assert_int_equal(one(&o, null_decode, le, 4, 0), cases[i].r);
		if (cases[i].r == DEC_OK) {
			assert_int_equal(o.p.next, cases[i].next);
			assert_int_equal(o.used, 4);
		}
		assert_int_equal(one(&o, null_decode, be, 4, 0), cases[i].r);
		if (cases[i].r == DEC_OK)
			assert_int_equal(o.p.next, cases[i].next);
	}
	struct one o;
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(one(&o, null_decode, null_le_inet, n, 0), DEC_TRUNCATED);
	/* a family that is >= 256 both ways */
	static const uint8_t junk[] = { 0x01, 0x02, 0x03, 0x04 };
	assert_int_equal(one(&o, null_decode, junk, 4, 0), DEC_UNSUPPORTED);
}

static void test_raw_decoder(void **state)
{
	(void)state;
	struct one o;
	assert_int_equal(one(&o, raw_decode, ipv4_udp, sizeof(ipv4_udp), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.used, 0); /* nothing consumed: IP starts here */
	assert_int_equal(one(&o, raw_decode, ipv6_udp, sizeof(ipv6_udp), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	static const uint8_t v5[] = { /* version 5 (ST), ihl 5 */ 0x55, 0x00 };
	assert_int_equal(one(&o, raw_decode, v5, sizeof(v5), 0), DEC_MALFORMED);
	static const uint8_t v0[] = { 0x00 };
	assert_int_equal(one(&o, raw_decode, v0, 1, 0), DEC_MALFORMED);
	assert_int_equal(one(&o, raw_decode, ipv4_udp, 0, 0), DEC_TRUNCATED);
}

static void test_ipv4_decoder(void **state)
{
	(void)state;
	struct one o;
	assert_int_equal(one(&o, ipv4_decode, ipv4_udp, sizeof(ipv4_udp), 0), DEC_OK);
	assert_int_equal(o.p.next, L_UDP);
	assert_int_equal(o.p.l4proto, 17);
	assert_int_equal(o.p.l3_off, 0);
	assert_int_equal(o.p.l3_len, 32);
	assert_int_equal(o.p.l4_off, 20);
	assert_int_equal(o.used, 20);
	assert_int_equal(cur_left(&o.c), 12);
	expect_v4(&o.p, "10.1.2.3", "10.4.5.6");
	for (size_t n = 0; n < 20; n++)
		assert_int_equal(one(&o, ipv4_decode, ipv4_udp, n, 0), DEC_TRUNCATED);
	/* the header is there but the datagram is not */
	for (size_t n = 20; n < 32; n++)
		assert_int_equal(one(&o, ipv4_decode, ipv4_udp, n, 0), DEC_TRUNCATED);
	/* ... unless the capture cut it */
	assert_int_equal(one(&o, ipv4_decode, ipv4_udp, 24, PKT_SNAPPED), DEC_OK);
	assert_int_equal(o.p.l3_len, 24);
	assert_int_equal(cur_left(&o.c), 4);

	/* options skipped */
	assert_int_equal(one(&o, ipv4_decode, ipv4_opts_udp, sizeof(ipv4_opts_udp), 0), DEC_OK);
	assert_int_equal(o.p.l4_off, 24);
	assert_int_equal(o.used, 24);
	for (size_t n = 20; n < 24; n++)
		assert_int_equal(one(&o, ipv4_decode, ipv4_opts_udp, n, PKT_SNAPPED), DEC_TRUNCATED);

	uint8_t b[64];
	/* IHL 4 */
	memcpy(b, ipv4_udp, sizeof(ipv4_udp));
	b[0] = 0x44;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_MALFORMED);
	/* IHL 0 */
	b[0] = 0x40;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_MALFORMED);
	/* version 7 */
	b[0] = 0x75;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_MALFORMED);
	/* version 6 in an IPv4 slot */
	b[0] = 0x65;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_MALFORMED);
	/* total length 19 < header */
	memcpy(b, ipv4_udp, sizeof(ipv4_udp));
	b[V4_TOTAL + 1] = 19;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_MALFORMED);
	/* total length 20 with a 24-byte header */
	memcpy(b, ipv4_opts_udp, sizeof(ipv4_opts_udp));
	b[V4_TOTAL + 1] = 20;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_opts_udp), 0), DEC_MALFORMED);
	/* total length exactly the header: no transport bytes */
	memcpy(b, ipv4_udp, sizeof(ipv4_udp));
	b[V4_TOTAL + 1] = 20;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_OK);
	assert_int_equal(o.p.l3_len, 20);
	assert_int_equal(cur_left(&o.c), 0);
	/* total length 0: everything that is there */
	b[V4_TOTAL + 1] = 0;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_OK);
	assert_int_equal(o.p.l3_len, 32);
	assert_int_equal(cur_left(&o.c), 12);

	/* non-first fragment: offset 185 (1480 bytes) */
	memcpy(b, ipv4_udp, sizeof(ipv4_udp));
	b[V4_FRAG] = 0x00, b[V4_FRAG + 1] = 0xb9;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_OK);
	assert_true(o.p.flags & PKT_FRAGMENT);
	assert_int_equal(o.p.next, L_NONE);
	assert_int_equal(o.p.l4proto, 17);
	assert_int_equal(o.p.frag.offset, 1480);
	assert_int_equal(o.p.frag.more, 0);
	assert_int_equal(o.p.frag.id, 0xbeef);
	/* first fragment: MF, offset 0 -- a fragment too, held for reassembly */
	b[V4_FRAG] = 0x20, b[V4_FRAG + 1] = 0x00;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_OK);
	assert_true(o.p.flags & PKT_FRAGMENT);
	assert_int_equal(o.p.next, L_NONE);
	assert_int_equal(o.p.frag.offset, 0);
	assert_int_equal(o.p.frag.more, 1);
	assert_int_equal(o.p.frag.data_off, 20);
	assert_int_equal(o.p.frag.data_len, 12);
	/* reserved/DF bits alone are not a fragment */
	b[V4_FRAG] = 0xc0, b[V4_FRAG + 1] = 0x00;
	assert_int_equal(one(&o, ipv4_decode, b, sizeof(ipv4_udp), 0), DEC_OK);
	assert_false(o.p.flags & PKT_FRAGMENT);
}

static void test_ipv6_decoder(void **state)
{
	(void)state;
	struct one o;
	assert_int_equal(one(&o, ipv6_decode, ipv6_udp, sizeof(ipv6_udp), 0), DEC_OK);
	assert_int_equal(o.p.next, L_UDP);
	assert_int_equal(o.p.l4proto, 17);
	assert_int_equal(o.p.l3_len, 52);
	assert_int_equal(o.p.l4_off, 40);
	assert_int_equal(o.used, 40);
	expect_v6(&o.p, "fe80::1", "ff02::1:2");
	for (size_t n = 0; n < sizeof(ipv6_udp); n++)
		assert_int_equal(one(&o, ipv6_decode, ipv6_udp, n, 0), DEC_TRUNCATED);
	assert_int_equal(one(&o, ipv6_decode, ipv6_udp, 44, PKT_SNAPPED), DEC_OK);
	assert_int_equal(o.p.l3_len, 44);

	uint8_t b[256];
	memcpy(b, ipv6_udp, sizeof(ipv6_udp));
	b[0] = 0x40; /* version 4 */
	assert_int_equal(one(&o, ipv6_decode, b, sizeof(ipv6_udp), 0), DEC_MALFORMED);
	b[0] = 0x70; /* version 7 */
	assert_int_equal(one(&o, ipv6_decode, b, sizeof(ipv6_udp), 0), DEC_MALFORMED);
	/* payload length 0: what is there */
	memcpy(b, ipv6_udp, sizeof(ipv6_udp));
	b[4] = 0, b[5] = 0;
	assert_int_equal(one(&o, ipv6_decode, b, sizeof(ipv6_udp), 0), DEC_OK);
	assert_int_equal(o.p.l3_len, 52);
	/* trailing bytes beyond the payload length are cut off */
	memcpy(b, ipv6_udp, sizeof(ipv6_udp));
	memset(b + sizeof(ipv6_udp), 0xee, 10);
	assert_int_equal(one(&o, ipv6_decode, b, sizeof(ipv6_udp) + 10, 0), DEC_OK);
	assert_int_equal(o.p.l3_len, 52);
	assert_int_equal(cur_left(&o.c), 12);

	/* hop-by-hop, routing, destination options */
	assert_int_equal(one(&o, ipv6_decode, ipv6_ext_tcp, sizeof(ipv6_ext_tcp), 0), DEC_OK);
	assert_int_equal(o.p.l4proto, 6);
	assert_int_equal(o.p.next, L_TCP);
	assert_int_equal(o.p.l4_off, 64);
	assert_int_equal(o.used, 64);
	/* AH */
	assert_int_equal(one(&o, ipv6_decode, ipv6_ah_tcp, sizeof(ipv6_ah_tcp), 0), DEC_OK);
	assert_int_equal(o.p.l4proto, 6);
	assert_int_equal(o.p.l4_off, 64);
	/* atomic fragment */
	assert_int_equal(one(&o, ipv6_decode, ipv6_frag_udp, sizeof(ipv6_frag_udp), 0), DEC_OK);
	assert_int_equal(o.p.l4proto, 17);
	assert_int_equal(o.p.next, L_UDP);
	assert_int_equal(o.p.l4_off, 48);
	assert_false(o.p.flags & PKT_FRAGMENT);
	/* non-first fragment: offset 100 (800 bytes), M */
	memcpy(b, ipv6_frag_udp, sizeof(ipv6_frag_udp));
	b[V6_FRAGOFF] = 0x03, b[V6_FRAGOFF + 1] = 0x21;
	assert_int_equal(one(&o, ipv6_decode, b, sizeof(ipv6_frag_udp), 0), DEC_OK);
	assert_true(o.p.flags & PKT_FRAGMENT);
	assert_int_equal(o.p.next, L_NONE);
	assert_int_equal(o.p.l4proto, 17);
	assert_int_equal(o.p.l4_off, 48);

	/* ESP and no-next-header end the walk */
	memcpy(b, ipv6_udp, sizeof(ipv6_udp));
	b[6] = 50;
	assert_int_equal(one(&o, ipv6_decode, b, sizeof(ipv6_udp), 0), DEC_OK);
	assert_int_equal(o.p.l4proto, 50);
	assert_int_equal(o.p.next, L_NONE);
	b[6] = 59;
	assert_int_equal(one(&o, ipv6_decode, b, sizeof(ipv6_udp), 0), DEC_OK);
	assert_int_equal(o.p.l4proto, 59);
}

static void test_tcp_decoder(void **state)
{
	(void)state;
	struct one o;
	const uint8_t *tcp = ipv4_tcp + 20;
	size_t len = sizeof(ipv4_tcp) - 20;
	assert_int_equal(one(&o, tcp_decode, tcp, len, 0), DEC_OK);
	assert_int_equal(o.p.sport, 51000);
	assert_int_equal(o.p.dport, 443);
	assert_int_equal(o.p.tcp_seq, 0x01020304);
	assert_int_equal(o.p.tcp_ack, 0x0a0b0c0d);
	assert_int_equal(o.p.tcp_flags, TCP_PSH | TCP_ACK);
	assert_int_equal(o.p.tcp_win, 0xfaf0);
	assert_int_equal(o.p.payload_off, 32);
	assert_int_equal(o.p.payload_len, 4);
	assert_int_equal(o.p.next, L_NONE);
	for (size_t n = 0; n < 32; n++)
		assert_int_equal(one(&o, tcp_decode, tcp, n, 0), DEC_TRUNCATED);
	assert_int_equal(one(&o, tcp_decode, tcp, 32, 0), DEC_OK);
	assert_int_equal(o.p.payload_len, 0);

	uint8_t b[64];
	memcpy(b, tcp, len);
	b[12] = 0x30; /* data offset 3 */
	assert_int_equal(one(&o, tcp_decode, b, len, 0), DEC_MALFORMED);
	b[12] = 0x00; /* data offset 0 */
	assert_int_equal(one(&o, tcp_decode, b, len, 0), DEC_MALFORMED);
	b[12] = 0xf0; /* data offset 15: 60 bytes, only 36 there */
	assert_int_equal(one(&o, tcp_decode, b, len, 0), DEC_TRUNCATED);
	b[12] = 0x50; /* data offset 5: the options become payload */
	assert_int_equal(one(&o, tcp_decode, b, len, 0), DEC_OK);
	assert_int_equal(o.p.payload_off, 20);
	assert_int_equal(o.p.payload_len, 16);
}

static void test_udp_decoder(void **state)
{
	(void)state;
	struct one o;
	const uint8_t *udp = ipv4_udp + 20;
	assert_int_equal(one(&o, udp_decode, udp, 12, 0), DEC_OK);
	assert_int_equal(o.p.sport, 5353);
	assert_int_equal(o.p.dport, 53);
	assert_int_equal(o.p.payload_off, 8);
	assert_int_equal(o.p.payload_len, 4);
	for (size_t n = 0; n < 8; n++)
		assert_int_equal(one(&o, udp_decode, udp, n, 0), DEC_TRUNCATED);

	uint8_t b[16];
	memcpy(b, udp, 12);
	b[5] = 4; /* length 4 */
	assert_int_equal(one(&o, udp_decode, b, 12, 0), DEC_MALFORMED);
	b[5] = 7;
	assert_int_equal(one(&o, udp_decode, b, 12, 0), DEC_MALFORMED);
	b[5] = 8; /* header only */
	assert_int_equal(one(&o, udp_decode, b, 12, 0), DEC_OK);
	assert_int_equal(o.p.payload_len, 0);
	b[5] = 10; /* shorter than what follows: trailing bytes cut */
	assert_int_equal(one(&o, udp_decode, b, 12, 0), DEC_OK);
	assert_int_equal(o.p.payload_len, 2);
	b[5] = 100; /* more than what is there: what is there */
	assert_int_equal(one(&o, udp_decode, b, 12, 0), DEC_OK);
	assert_int_equal(o.p.payload_len, 4);
	b[5] = 0; /* 0 (IPv6 jumbogram) */
	assert_int_equal(one(&o, udp_decode, b, 12, 0), DEC_OK);
	assert_int_equal(o.p.payload_len, 4);
}

static void test_icmp_decoders(void **state)
{
	(void)state;
	struct one o;
	/* type, code and checksum make the header (4 bytes); the rest of the
	 * message (identifier/sequence, quoted packet, ...) is payload */
	assert_int_equal(one(&o, icmp_decode, ipv4_icmp + 20, 8, 0), DEC_OK);
	assert_int_equal(o.p.icmp_type, 8);
	assert_int_equal(o.p.icmp_code, 0);
	assert_int_equal(o.p.payload_off, 4);
	assert_int_equal(o.p.payload_len, 4);
	assert_int_equal(o.p.next, L_NONE);
	assert_int_equal(one(&o, icmpv6_decode, ipv6_icmpv6 + 40, 8, 0), DEC_OK);
	assert_int_equal(o.p.icmp_type, 128);
	assert_int_equal(o.p.payload_off, 4);
	assert_int_equal(o.p.payload_len, 4);
	for (size_t n = 0; n < 4; n++) {
		assert_int_equal(one(&o, icmp_decode, ipv4_icmp + 20, n, 0), DEC_TRUNCATED);
		assert_int_equal(one(&o, icmpv6_decode, ipv6_icmpv6 + 40, n, 0), DEC_TRUNCATED);
	}
	assert_int_equal(one(&o, icmp_decode, ipv4_icmp + 20, 4, 0), DEC_OK);
	assert_int_equal(o.p.payload_len, 0);
	/* a destination unreachable quoting a packet: type and code only */
	static const uint8_t unreach[] = {
		/* ICMP: type 3 code 3 (port unreachable), checksum, unused */
		0x03, 0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		/* quoted IPv4 header (first 4 bytes shown) */
		0x45, 0x00, 0x00, 0x20,
	};
	assert_int_equal(one(&o, icmp_decode, unreach, sizeof(unreach), 0), DEC_OK);
	assert_int_equal(o.p.icmp_type, 3);
	assert_int_equal(o.p.icmp_code, 3);
	assert_int_equal(o.p.payload_len, sizeof(unreach) - 4);
}

static void test_ppp_decoder(void **state)
{
	(void)state;
	struct one o;
	/* with address and control */
	assert_int_equal(one(&o, ppp_decode, ppp_ff03_v4, sizeof(ppp_ff03_v4), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.used, 4);
	/* without: the protocol comes first */
	assert_int_equal(one(&o, ppp_decode, ppp_v6, sizeof(ppp_v6), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	assert_int_equal(o.used, 2);
	/* compressed protocol field, with and without address/control */
	assert_int_equal(one(&o, ppp_decode, ppp_ff03_c21, sizeof(ppp_ff03_c21), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.used, 3);
	assert_int_equal(one(&o, ppp_decode, ppp_c21, sizeof(ppp_c21), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.used, 1);
	static const uint8_t c57[] = { /* compressed protocol 0x57 IPv6 */ 0x57 };
	assert_int_equal(one(&o, ppp_decode, c57, 1, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	assert_int_equal(o.used, 1);
	/* the IP header that follows is not read */
	uint8_t b[64];
	size_t n = CAT(b, ppp_ff03_v4, ipv4_udp);
	assert_int_equal(one(&o, ppp_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.used, 4);
	assert_int_equal(cur_left(&o.c), sizeof(ipv4_udp));

	/* control protocols: LCP 0xc021, IPCP 0x8021, IPV6CP 0x8057; CCP 0x80fd */
	assert_int_equal(one(&o, ppp_decode, ppp_lcp, sizeof(ppp_lcp), 0), DEC_UNSUPPORTED);
	assert_int_equal(o.p.next, L_NONE);
	static const uint8_t ncp[][4] = {
		{ 0xff, 0x03, 0x80, 0x21 }, { 0xff, 0x03, 0x80, 0x57 }, { 0xff, 0x03, 0x80, 0xfd },
		/* no address/control, LCP; compressed 0x3d (multilink) */
		{ 0xc0, 0x21, 0x01, 0x01 }, { 0x3d, 0x00, 0x00, 0x00 },
	};
	for (size_t i = 0; i < sizeof(ncp) / sizeof(ncp[0]); i++)
		assert_int_equal(one(&o, ppp_decode, ncp[i], 4, 0), DEC_UNSUPPORTED);

	/* Cisco HDLC framing on a PPP link: handed on, nothing consumed */
	assert_int_equal(one(&o, ppp_decode, ppp_chdlc_v4, sizeof(ppp_chdlc_v4), 0), DEC_OK);
	assert_int_equal(o.p.next, L_CHDLC);
	assert_int_equal(o.used, 0);
	static const uint8_t chdlc_mcast[] = { 0x8f, 0x00, 0x86, 0xdd };
	assert_int_equal(one(&o, ppp_decode, chdlc_mcast, 4, 0), DEC_OK);
	assert_int_equal(o.p.next, L_CHDLC);
	assert_int_equal(o.used, 0);

	/* cut */
	assert_int_equal(one(&o, ppp_decode, ppp_ff03_v4, 0, 0), DEC_TRUNCATED);
	/* the address byte alone: its control byte is cut */
	assert_int_equal(one(&o, ppp_decode, ppp_ff03_v4, 1, 0), DEC_TRUNCATED);
	assert_int_equal(one(&o, ppp_decode, ppp_chdlc_v4, 1, 0), DEC_TRUNCATED);
	for (size_t k = 2; k < sizeof(ppp_ff03_v4); k++)
		assert_int_equal(one(&o, ppp_decode, ppp_ff03_v4, k, 0), DEC_TRUNCATED);
	assert_int_equal(one(&o, ppp_decode, ppp_v6, 1, 0), DEC_TRUNCATED);
	assert_int_equal(one(&o, ppp_decode, ppp_ff03_c21, 2, 0), DEC_TRUNCATED);
}

static void test_pppoe_decoder(void **state)
{
	(void)state;
	struct one o;
	const uint8_t *hdr = eth_pppoe_v4 + 14;
	/* the session header, the PPP protocol after it */
	assert_int_equal(one(&o, pppoe_decode, hdr, 8, 0), DEC_OK);
	assert_int_equal(o.p.next, L_PPP);
	assert_int_equal(o.used, 6);
	assert_int_equal(cur_left(&o.c), 2);
	for (size_t n = 0; n < 6; n++)
		assert_int_equal(one(&o, pppoe_decode, hdr, n, 0), DEC_TRUNCATED);

	uint8_t b[64];
	memset(b, 0xee, sizeof(b));
	memcpy(b, hdr, 8);
	/* length 10 with 58 bytes after the header: the cursor ends at 10 */
	b[4] = 0x00, b[5] = 10;
	assert_int_equal(one(&o, pppoe_decode, b, sizeof(b), 0), DEC_OK);
	assert_int_equal(cur_left(&o.c), 10);
	/* length 0: nothing after the header */
	b[5] = 0;
	assert_int_equal(one(&o, pppoe_decode, b, sizeof(b), 0), DEC_OK);
	assert_int_equal(cur_left(&o.c), 0);
	/* length beyond the bytes: what is there (the cursor never grows) */
	b[4] = 0x05, b[5] = 0xd4;
	assert_int_equal(one(&o, pppoe_decode, b, sizeof(b), 0), DEC_OK);
	assert_int_equal(cur_left(&o.c), sizeof(b) - 6);

	/* version/type other than 1/1 */
	static const uint8_t vts[] = { 0x00, 0x10, 0x01, 0x12, 0x21, 0xff };
	for (size_t i = 0; i < sizeof(vts); i++) {
		memcpy(b, hdr, 8);
		b[0] = vts[i];
		assert_int_equal(one(&o, pppoe_decode, b, 8, 0), DEC_MALFORMED);
	}
	/* a discovery code in a session frame: PADI 0x09, PADT 0xa7 */
	memcpy(b, hdr, 8);
	b[1] = 0x09;
	assert_int_equal(one(&o, pppoe_decode, b, 8, 0), DEC_MALFORMED);
	b[1] = 0xa7;
	assert_int_equal(one(&o, pppoe_decode, b, 8, 0), DEC_MALFORMED);
}

static void test_chdlc_decoder(void **state)
{
	(void)state;
	struct one o;
	assert_int_equal(one(&o, chdlc_decode, chdlc_v4, sizeof(chdlc_v4), 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.p.ethertype, 0x0800);
	assert_int_equal(o.used, 4);
	assert_int_equal(one(&o, chdlc_decode, chdlc_mpls_v4, sizeof(chdlc_mpls_v4), 0), DEC_OK);
	assert_int_equal(o.p.next, L_MPLS);
	assert_int_equal(o.p.ethertype, 0x8847);
	assert_int_equal(o.used, 4);
	static const uint8_t v6[] = { /* address 0x0f, control 0, IPv6 */ 0x0f, 0x00, 0x86, 0xdd };
	assert_int_equal(one(&o, chdlc_decode, v6, 4, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	for (size_t n = 0; n < 4; n++)
		assert_int_equal(one(&o, chdlc_decode, chdlc_v4, n, 0), DEC_TRUNCATED);

	/* SLARP 0x8035 and CDP 0x2000: link keepalives, no IP */
	static const uint8_t slarp[] = { 0x8f, 0x00, 0x80, 0x35 };
	assert_int_equal(one(&o, chdlc_decode, slarp, 4, 0), DEC_UNSUPPORTED);
	assert_int_equal(o.p.next, L_NONE);
	assert_int_equal(o.p.ethertype, 0x8035);
	static const uint8_t cdp[] = { 0x8f, 0x00, 0x20, 0x00 };
	assert_int_equal(one(&o, chdlc_decode, cdp, 4, 0), DEC_UNSUPPORTED);
}

static void test_ppi_decoder(void **state)
{
	(void)state;
	struct one o;
	assert_int_equal(one(&o, ppi_decode, ppi_eth_v4, sizeof(ppi_eth_v4), 0), DEC_OK);
	assert_int_equal(o.p.next, L_ETH);
	assert_int_equal(o.used, 8);
	/* fields skipped up to the length */
	assert_int_equal(one(&o, ppi_decode, ppi_fields_eth_v4, sizeof(ppi_fields_eth_v4), 0),
			 DEC_OK);
	assert_int_equal(o.p.next, L_ETH);
	assert_int_equal(o.used, 20);
	for (size_t n = 0; n < 8; n++)
		assert_int_equal(one(&o, ppi_decode, ppi_eth_v4, n, 0), DEC_TRUNCATED);
	/* the header is there, the fields are not */
	for (size_t n = 8; n < 20; n++)
		assert_int_equal(one(&o, ppi_decode, ppi_fields_eth_v4, n, 0), DEC_TRUNCATED);

	/* 802.11 inside */
	assert_int_equal(one(&o, ppi_decode, ppi_80211, sizeof(ppi_80211), 0), DEC_UNSUPPORTED);
	assert_int_equal(o.p.next, L_NONE);

	uint8_t b[64];
	memcpy(b, ppi_eth_v4, sizeof(ppi_eth_v4));
	/* the DLT is little-endian: 0x01000000 is not Ethernet */
	b[4] = 0x00, b[7] = 0x01;
	assert_int_equal(one(&o, ppi_decode, b, sizeof(ppi_eth_v4), 0), DEC_UNSUPPORTED);
	/* length below the header */
	static const uint8_t lens[] = { 0, 4, 7 };
	for (size_t i = 0; i < sizeof(lens); i++) {
		memcpy(b, ppi_eth_v4, sizeof(ppi_eth_v4));
		b[2] = lens[i];
		assert_int_equal(one(&o, ppi_decode, b, sizeof(ppi_eth_v4), 0), DEC_MALFORMED);
	}
	/* the length is little-endian: 0x0800 = 2048, past the end */
	memcpy(b, ppi_eth_v4, sizeof(ppi_eth_v4));
	b[2] = 0x00, b[3] = 0x08;
	assert_int_equal(one(&o, ppi_decode, b, sizeof(ppi_eth_v4), 0), DEC_TRUNCATED);
	/* one byte past the end */
	b[2] = (uint8_t)(sizeof(ppi_eth_v4) + 1), b[3] = 0;
	assert_int_equal(one(&o, ppi_decode, b, sizeof(ppi_eth_v4), 0), DEC_TRUNCATED);
	/* exactly the bytes: OK, nothing left for Ethernet */
	b[2] = (uint8_t)sizeof(ppi_eth_v4);
	assert_int_equal(one(&o, ppi_decode, b, sizeof(ppi_eth_v4), 0), DEC_OK);
	assert_int_equal(cur_left(&o.c), 0);
}

/* Ethernet (type 0x8847) and `labels` MPLS labels (label 16 + i, S on the
 * last when `bos`), then ipv4_udp. */
static size_t eth_mpls_stack(uint8_t *b, int labels, bool bos)
{
	memcpy(b, eth_v4, 12);
	b[12] = 0x88, b[13] = 0x47;
	size_t n = 14;
	for (int i = 0; i < labels; i++) {
		uint32_t e = (uint32_t)(16 + i) << 12 | (bos && i + 1 == labels ? 0x100u : 0) | 64;
		b[n++] = (uint8_t)(e >> 24);
		b[n++] = (uint8_t)(e >> 16);
		b[n++] = (uint8_t)(e >> 8);
		b[n++] = (uint8_t)e;
	}
	memcpy(b + n, ipv4_udp, sizeof(ipv4_udp));
	return n + sizeof(ipv4_udp);
}

static void test_mpls_decoder(void **state)
{
	(void)state;
	struct one o;
	uint8_t b[256];
	size_t n;
	/* one label */
	n = CAT(b, eth_mpls1_v4, ipv4_udp);
	assert_int_equal(one(&o, mpls_decode, b + 14, n - 14, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.used, 4);
	/* three labels, IPv4 and IPv6 below */
	n = CAT(b, eth_mpls3, ipv4_udp);
	assert_int_equal(one(&o, mpls_decode, b + 14, n - 14, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.used, 12);
	n = CAT(b, eth_mpls3, ipv6_udp);
	assert_int_equal(one(&o, mpls_decode, b + 14, n - 14, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	assert_int_equal(o.used, 12);
	/* cut inside the stack, or right after it (no version nibble) */
	for (size_t k = 0; k <= 12; k++)
		assert_int_equal(one(&o, mpls_decode, b + 14, k, 0), DEC_TRUNCATED);
	/* no bottom-of-stack bit before the bytes run out */
	n = eth_mpls_stack(b, 3, false);
	for (size_t k = 0; k <= 12; k++)
		assert_int_equal(one(&o, mpls_decode, b + 14, k, 0), DEC_TRUNCATED);

	/* a pseudowire control word (first nibble 0), then Ethernet */
	static const uint8_t pw[] = {
		/* MPLS: label 300, S 1, TTL 255 */
		0x00, 0x12, 0xc1, 0xff,
		/* control word: 0, flags 0, sequence 0 */
		0x00, 0x00, 0x00, 0x00,
		/* Ethernet dst ... */
		0x00, 0x11, 0x22, 0x33,
	};
	assert_int_equal(one(&o, mpls_decode, pw, sizeof(pw), 0), DEC_UNSUPPORTED);
	assert_int_equal(o.p.next, L_NONE);
	static const uint8_t ver5[] = { 0x00, 0x12, 0xc1, 0xff, 0x55, 0x00 };
	assert_int_equal(one(&o, mpls_decode, ver5, sizeof(ver5), 0), DEC_UNSUPPORTED);

	/* DAVY_MAX_LAYERS labels: fine; one more: MALFORMED */
	n = eth_mpls_stack(b, DAVY_MAX_LAYERS, true);
	assert_int_equal(one(&o, mpls_decode, b + 14, n - 14, 0), DEC_OK);
	assert_int_equal(o.used, 4 * DAVY_MAX_LAYERS);
	assert_int_equal(o.p.next, L_IPV4);
	n = eth_mpls_stack(b, DAVY_MAX_LAYERS + 1, true);
	assert_int_equal(one(&o, mpls_decode, b + 14, n - 14, 0), DEC_MALFORMED);
	n = eth_mpls_stack(b, 40, true);
	assert_int_equal(one(&o, mpls_decode, b + 14, n - 14, 0), DEC_MALFORMED);
}

static void test_sctp_decoder(void **state)
{
	(void)state;
	struct one o;
	const uint8_t *sctp = ipv4_sctp + 20;
	assert_int_equal(one(&o, sctp_decode, sctp, 16, 0), DEC_OK);
	assert_int_equal(o.p.sport, 36412);
	assert_int_equal(o.p.dport, 2905);
	assert_int_equal(o.p.payload_off, 12);
	assert_int_equal(o.p.payload_len, 4);
	assert_int_equal(o.p.next, L_NONE);
	assert_int_equal(o.used, 12);
	assert_int_equal(one(&o, sctp_decode, ipv6_sctp + 40, 16, 0), DEC_OK);
	assert_int_equal(o.p.sport, 5000);
	assert_int_equal(o.p.dport, 38412);
	/* the common header alone */
	assert_int_equal(one(&o, sctp_decode, sctp, 12, 0), DEC_OK);
	assert_int_equal(o.p.payload_len, 0);
	for (size_t n = 0; n < 12; n++)
		assert_int_equal(one(&o, sctp_decode, sctp, n, 0), DEC_TRUNCATED);
}

static void test_vxlan_decoder(void **state)
{
	(void)state;
	struct one o;
	uint8_t b[64];
	size_t n = CAT(b, vxlan_vni100, eth_v4);
	assert_int_equal(one(&o, vxlan_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_ETH);
	assert_int_equal(o.used, 8);
	assert_int_equal(o.p.ntun, 1);
	expect_tun(&o.p, 0, TUN_VXLAN, true, 100, NULL, NULL); /* no IP before it here */
	assert_int_equal(o.p.inner_off, 8);
	/* reserved bits (group policy, GPE) are not checked; the VNI is 24 bits */
	b[0] = 0x88, b[1] = 0xff, b[2] = 0xff, b[3] = 0xff;
	b[4] = 0xff, b[5] = 0xff, b[6] = 0xfe, b[7] = 0xff;
	assert_int_equal(one(&o, vxlan_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.tun[0].id, 0xfffffe);
	for (size_t k = 0; k < 8; k++) {
		assert_int_equal(one(&o, vxlan_decode, vxlan_vni100, k, 0), DEC_TRUNCATED);
		assert_int_equal(o.p.ntun, 0);
	}
	/* the header alone: OK, nothing left for Ethernet */
	assert_int_equal(one(&o, vxlan_decode, vxlan_vni100, 8, 0), DEC_OK);
	assert_int_equal(cur_left(&o.c), 0);

	/* max_tunnels (4 by default) already recorded: too deep */
	memset(&o, 0, sizeof(o));
	o.p.data = vxlan_vni100;
	o.p.ntun = 4;
	o.c = cur_make(vxlan_vni100, 8);
	assert_int_not_equal(vxlan_decode(&o.c, &o.p), DEC_OK);
	assert_true(o.p.flags & PKT_TOO_DEEP);
	assert_int_equal(o.p.ntun, 4);
}

/* Which UDP destination ports lead to an overlay decoder. */
static void test_udp_overlay_ports(void **state)
{
	(void)state;
	struct one o;
	uint8_t b[64];
	size_t n = BUILD(b, PART(ov4_udp_vxlan), PART(vxlan_vni100), PART(eth_v4));
	udp_len(b, n, 20);
	const uint8_t *udp = b + 20;
	size_t ulen = n - 20;
	assert_int_equal(one(&o, udp_decode, udp, ulen, 0), DEC_OK);
	assert_int_equal(o.p.dport, 4789);
	assert_int_equal(o.p.next, L_VXLAN);
	assert_int_equal(o.used, 8);
	/* the I flag clear (any other flag set): the UDP flow stands */
	b[20 + 8] = 0xf7;
	assert_int_equal(one(&o, udp_decode, udp, ulen, 0), DEC_OK);
	assert_int_equal(o.p.next, L_NONE);
	b[20 + 8] = 0x08;
	/* 8472 (flannel) too */
	b[OV_DPORT] = 0x21, b[OV_DPORT + 1] = 0x18;
	assert_int_equal(one(&o, udp_decode, udp, ulen, 0), DEC_OK);
	assert_int_equal(o.p.dport, 8472);
	assert_int_equal(o.p.next, L_VXLAN);
	/* an empty datagram to 4789: plain UDP */
	b[OV_DPORT] = 0x12, b[OV_DPORT + 1] = 0xb5;
	udp_len(b, 28, 20);
	assert_int_equal(one(&o, udp_decode, udp, 8, 0), DEC_OK);
	assert_int_equal(o.p.next, L_NONE);
	/* the UDP length bounds the flag byte: length 8 with bytes after it */
	assert_int_equal(one(&o, udp_decode, udp, ulen, 0), DEC_OK);
	assert_int_equal(o.p.next, L_NONE);
	assert_int_equal(o.p.payload_len, 0);
	udp_len(b, n, 20);

	/* 6081 Geneve and 4754 GRE-in-UDP, whatever follows */
	b[OV_DPORT] = 0x17, b[OV_DPORT + 1] = 0xc1;
	assert_int_equal(one(&o, udp_decode, udp, ulen, 0), DEC_OK);
	assert_int_equal(o.p.next, L_GENEVE);
	assert_int_equal(one(&o, udp_decode, udp, 8, 0), DEC_OK);
	assert_int_equal(o.p.next, L_GENEVE);
	b[OV_DPORT] = 0x12, b[OV_DPORT + 1] = 0x92;
	assert_int_equal(one(&o, udp_decode, udp, ulen, 0), DEC_OK);
	assert_int_equal(o.p.next, L_GRE);
	/* the source port does not matter */
	b[OV_DPORT] = 0x00, b[OV_DPORT + 1] = 0x35;
	b[OV_DPORT - 2] = 0x12, b[OV_DPORT - 1] = 0xb5;
	assert_int_equal(one(&o, udp_decode, udp, ulen, 0), DEC_OK);
	assert_int_equal(o.p.next, L_NONE);

	/* a configuration moves the ports */
	struct decode_cfg cfg = *decode_cfg_default();
	cfg.vxlan_ports[0] = 9999;
	cfg.n_vxlan_ports = 1;
	cfg.geneve_ports[0] = 7000;
	cfg.gre_udp_ports[0] = 7001;
	b[OV_DPORT - 2] = 0xc0, b[OV_DPORT - 1] = 0x00;
	static const struct {
		uint16_t port;
		enum layer def, moved;
	} ports[] = {
		{ 4789, L_VXLAN, L_NONE }, { 8472, L_VXLAN, L_NONE },  { 9999, L_NONE, L_VXLAN },
		{ 6081, L_GENEVE, L_NONE }, { 7000, L_NONE, L_GENEVE }, { 4754, L_GRE, L_NONE },
		{ 7001, L_NONE, L_GRE },
	};
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		b[OV_DPORT] = (uint8_t)(ports[i].port >> 8), b[OV_DPORT + 1] = (uint8_t)ports[i].port;
		assert_int_equal(one(&o, udp_decode, udp, ulen, 0), DEC_OK);
		assert_int_equal(o.p.next, ports[i].def);
		memset(&o, 0, sizeof(o));
		o.p.data = udp;
		o.p.cfg = &cfg;
		o.c = cur_make(udp, ulen);
		assert_int_equal(udp_decode(&o.c, &o.p), DEC_OK);
		assert_int_equal(o.p.next, ports[i].moved);
	}
	/* no ports at all: nothing is an overlay */
	cfg.n_vxlan_ports = cfg.n_geneve_ports = cfg.n_gre_udp_ports = 0;
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		b[OV_DPORT] = (uint8_t)(ports[i].port >> 8), b[OV_DPORT + 1] = (uint8_t)ports[i].port;
		memset(&o, 0, sizeof(o));
		o.p.data = udp;
		o.p.cfg = &cfg;
		o.c = cur_make(udp, ulen);
		assert_int_equal(udp_decode(&o.c, &o.p), DEC_OK);
		assert_int_equal(o.p.next, L_NONE);
	}
}

static void test_geneve_decoder(void **state)
{
	(void)state;
	struct one o;
	uint8_t b[128];
	size_t n = CAT(b, geneve_2opts_eth, eth_v4);
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_ETH);
	assert_int_equal(o.used, 20);
	assert_int_equal(o.p.ntun, 1);
	expect_tun(&o.p, 0, TUN_GENEVE, true, 0x123456, NULL, NULL);
	assert_int_equal(o.p.tun[0].opt_count, 2);
	assert_int_equal(o.p.tun[0].opt_len, 12);
	assert_int_equal(o.p.inner_off, 20);
	/* IPv4 and IPv6 inside, no options */
	n = CAT(b, geneve_v4, ipv4_icmp);
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.used, 8);
	assert_int_equal(o.p.tun[0].id, 7);
	assert_int_equal(o.p.tun[0].opt_count, 0);
	assert_int_equal(o.p.tun[0].opt_len, 0);
	b[2] = 0x86, b[3] = 0xdd;
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	/* O and C flags are not checked */
	b[1] = 0xc0;
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_OK);

	/* cut in the fixed header, then in the options */
	for (size_t k = 0; k < 20; k++) {
		assert_int_equal(one(&o, geneve_decode, geneve_2opts_eth, k, 0), DEC_TRUNCATED);
		assert_int_equal(o.p.ntun, 0);
	}
	assert_int_equal(one(&o, geneve_decode, geneve_2opts_eth, 20, 0), DEC_OK);
	/* Opt Len 63 (252 bytes) past the end */
	n = CAT(b, geneve_2opts_eth, eth_v4);
	b[0] = 0x3f;
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_TRUNCATED);
	assert_int_equal(o.p.ntun, 0);
	/* the first option runs past Opt Len: length 3 (12 + 4 bytes) in 12 */
	n = CAT(b, geneve_2opts_eth, eth_v4);
	b[11] = 0x03;
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_MALFORMED);
	assert_int_equal(o.p.ntun, 0);
	/* the second option's data would run past it: length 1 with none left */
	n = CAT(b, geneve_2opts_eth, eth_v4);
	b[19] = 0x01;
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_MALFORMED);
	/* Opt Len 1: the first option header fits, its data does not */
	n = CAT(b, geneve_2opts_eth, eth_v4);
	b[0] = 0x01;
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_MALFORMED);
	/* Opt Len 2: exactly the first option; the second is then the payload */
	b[0] = 0x02;
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.tun[0].opt_count, 1);
	assert_int_equal(o.p.tun[0].opt_len, 8);
	assert_int_equal(o.used, 16);
	/* the reserved bits of an option's length byte are not the length */
	n = CAT(b, geneve_2opts_eth, eth_v4);
	b[11] = 0xe1;
	assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.tun[0].opt_count, 2);
	/* versions 1..3 */
	for (uint8_t v = 1; v < 4; v++) {
		n = CAT(b, geneve_2opts_eth, eth_v4);
		b[0] = (uint8_t)(v << 6 | 0x03);
		assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_MALFORMED);
		assert_int_equal(o.p.ntun, 0);
	}
	/* unknown protocols: ARP 0x0806, MPLS 0x8847, 0 */
	static const uint16_t protos[] = { 0x0806, 0x8847, 0x0000, 0x894f };
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		n = CAT(b, geneve_2opts_eth, eth_v4);
		b[2] = (uint8_t)(protos[i] >> 8), b[3] = (uint8_t)protos[i];
		assert_int_equal(one(&o, geneve_decode, b, n, 0), DEC_UNSUPPORTED);
		assert_int_equal(o.p.ntun, 0);
	}
}

static void test_gre_decoder(void **state)
{
	(void)state;
	struct one o;
	uint8_t b[128];
	size_t n;

	/* C K S: checksum, key, sequence skipped; the key kept */
	n = CAT(b, gre_cks_v4, ipv4_udp);
	assert_int_equal(one(&o, gre_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.used, 16);
	assert_int_equal(o.p.ntun, 1);
	expect_tun(&o.p, 0, TUN_GRE, true, 0x01020304, NULL, NULL);
	assert_int_equal(o.p.inner_off, 16);
	for (size_t k = 0; k < 16; k++) {
		assert_int_equal(one(&o, gre_decode, gre_cks_v4, k, 0), DEC_TRUNCATED);
		assert_int_equal(o.p.ntun, 0);
	}
	/* K alone */
	b[0] = 0x20;
	memmove(b + 4, b + 8, 4);
	assert_int_equal(one(&o, gre_decode, b, 8, 0), DEC_OK);
	assert_int_equal(o.used, 8);
	expect_tun(&o.p, 0, TUN_GRE, true, 0x01020304, NULL, NULL);
	/* key 0 is a key */
	b[4] = b[5] = b[6] = b[7] = 0;
	assert_int_equal(one(&o, gre_decode, b, 8, 0), DEC_OK);
	expect_tun(&o.p, 0, TUN_GRE, true, 0, NULL, NULL);
	/* C alone, S alone: 8 bytes, no key */
	b[0] = 0x80;
	assert_int_equal(one(&o, gre_decode, b, 8, 0), DEC_OK);
	assert_int_equal(o.used, 8);
	expect_tun(&o.p, 0, TUN_GRE, false, 0, NULL, NULL);
	b[0] = 0x10;
	assert_int_equal(one(&o, gre_decode, b, 8, 0), DEC_OK);
	assert_int_equal(o.used, 8);
	assert_int_equal(o.p.tun[0].has_id, 0);
	/* reserved0 bits are not checked */
	b[0] = 0x0f, b[1] = 0xf8;
	assert_int_equal(one(&o, gre_decode, b, 8, 0), DEC_OK);
	assert_int_equal(o.used, 4);

	/* the protocols */
	static const struct {
		const uint8_t *hdr;
		enum layer next;
		uint8_t ntun;
		size_t used; /* = the header's length */
	} protos[] = {
		{ gre_v6, L_IPV6, 1, 4 },      { gre_v4, L_IPV4, 1, 4 },
		{ gre_teb, L_ETH, 1, 4 },      { gre_mpls, L_MPLS, 1, 4 },
		{ gre_erspan1, L_ETH, 2, 4 },  { gre_erspan2, L_ERSPAN, 1, 8 },
		{ gre_erspan3, L_ERSPAN, 1, 8 },
	};
	for (size_t i = 0; i < sizeof(protos) / sizeof(protos[0]); i++) {
		memcpy(b, protos[i].hdr, protos[i].used);
		memcpy(b + protos[i].used, eth_v4, 14);
		assert_int_equal(one(&o, gre_decode, b, protos[i].used + 14, 0), DEC_OK);
		assert_int_equal(o.p.next, protos[i].next);
		assert_int_equal(o.p.ntun, protos[i].ntun);
		assert_int_equal(o.used, protos[i].used);
		assert_int_equal(o.p.inner_off, protos[i].used);
		expect_tun(&o.p, 0, TUN_GRE, false, 0, NULL, NULL);
	}
	/* ERSPAN type I: no ERSPAN header, a layer without an id */
	assert_int_equal(one(&o, gre_decode, gre_erspan1, 4, 0), DEC_OK);
	expect_tun(&o.p, 1, TUN_ERSPAN, false, 0, NULL, NULL);
	/* ERSPAN type I with 3 tunnels already: only the GRE layer fits */
	memset(&o, 0, sizeof(o));
	o.p.data = gre_erspan1;
	o.p.ntun = 3;
	o.c = cur_make(gre_erspan1, 4);
	assert_int_not_equal(gre_decode(&o.c, &o.p), DEC_OK);
	assert_true(o.p.flags & PKT_TOO_DEEP);

	/* unknown protocols: ARP, 0x880b without version 1, WCCP 0x883e */
	static const uint16_t unk[] = { 0x0806, 0x880b, 0x883e, 0x0000 };
	for (size_t i = 0; i < sizeof(unk) / sizeof(unk[0]); i++) {
		uint8_t h[4] = { 0x00, 0x00, (uint8_t)(unk[i] >> 8), (uint8_t)unk[i] };
		assert_int_equal(one(&o, gre_decode, h, 4, 0), DEC_UNSUPPORTED);
		assert_int_equal(o.p.ntun, 0);
	}
	/* the routing bit (RFC 1701 source routes) */
	static const uint8_t routed[] = { 0x40, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00 };
	assert_int_equal(one(&o, gre_decode, routed, sizeof(routed), 0), DEC_MALFORMED);
	assert_int_equal(o.p.ntun, 0);
	static const uint8_t routed_ck[] = { 0xc0, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00 };
	assert_int_equal(one(&o, gre_decode, routed_ck, sizeof(routed_ck), 0), DEC_MALFORMED);
	/* versions 2..7 */
	for (uint8_t v = 2; v < 8; v++) {
		uint8_t h[8] = { 0x00, v, 0x08, 0x00, 0, 0, 0, 0 };
		assert_int_equal(one(&o, gre_decode, h, sizeof(h), 0), DEC_MALFORMED);
		assert_int_equal(o.p.ntun, 0);
	}

	/* version 1 (PPTP): length, call id, sequence, acknowledgment */
	n = CAT(b, gre_pptp, ppp_ff03_v4);
	assert_int_equal(one(&o, gre_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_PPP);
	assert_int_equal(o.used, 16);
	assert_int_equal(o.p.ntun, 1);
	/* the call id differs per direction: not an id of the tunnel */
	expect_tun(&o.p, 0, TUN_GRE, false, 0, NULL, NULL);
	assert_int_equal(o.p.inner_off, 16);
	for (size_t k = 0; k < 16; k++) {
		assert_int_equal(one(&o, gre_decode, gre_pptp, k, 0), DEC_TRUNCATED);
		assert_int_equal(o.p.ntun, 0);
	}
	/* without A: no acknowledgment number */
	b[1] = 0x01;
	assert_int_equal(one(&o, gre_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.used, 12);
	/* without S and A: length and call id only */
	b[0] = 0x20;
	assert_int_equal(one(&o, gre_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.used, 8);
	/* without K, with C, with R, or not PPP: MALFORMED */
	static const uint8_t bad_fv[][2] = { { 0x10, 0x81 }, { 0xb0, 0x81 }, { 0x70, 0x81 } };
	for (size_t i = 0; i < sizeof(bad_fv) / sizeof(bad_fv[0]); i++) {
		n = CAT(b, gre_pptp, ppp_ff03_v4);
		b[0] = bad_fv[i][0], b[1] = bad_fv[i][1];
		assert_int_equal(one(&o, gre_decode, b, n, 0), DEC_MALFORMED);
		assert_int_equal(o.p.ntun, 0);
	}
	n = CAT(b, gre_pptp, ppp_ff03_v4);
	b[2] = 0x08, b[3] = 0x00;
	assert_int_equal(one(&o, gre_decode, b, n, 0), DEC_MALFORMED);
}

static void test_erspan_decoder(void **state)
{
	(void)state;
	struct one o;
	uint8_t b[128];
	size_t n;

	/* type II: the session id is the low 10 bits (COS masked off) */
	n = CAT(b, erspan2, eth_v4);
	assert_int_equal(one(&o, erspan_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_ETH);
	assert_int_equal(o.used, 8);
	assert_int_equal(o.p.ntun, 1);
	expect_tun(&o.p, 0, TUN_ERSPAN, true, 0x155, NULL, NULL);
	assert_int_equal(o.p.inner_off, 8);
	for (size_t k = 0; k < 8; k++)
		assert_int_equal(one(&o, erspan_decode, erspan2, k, 0), DEC_TRUNCATED);
	/* type III, without and with the platform sub-header */
	n = CAT(b, erspan3, eth_v6);
	assert_int_equal(one(&o, erspan_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.used, 12);
	expect_tun(&o.p, 0, TUN_ERSPAN, true, 1023, NULL, NULL);
	for (size_t k = 0; k < 12; k++)
		assert_int_equal(one(&o, erspan_decode, erspan3, k, 0), DEC_TRUNCATED);
	n = CAT(b, erspan3_o, eth_v4);
	assert_int_equal(one(&o, erspan_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.used, 20);
	assert_int_equal(o.p.inner_off, 20);
	expect_tun(&o.p, 0, TUN_ERSPAN, true, 7, NULL, NULL);
	for (size_t k = 0; k < 20; k++) {
		assert_int_equal(one(&o, erspan_decode, erspan3_o, k, 0), DEC_TRUNCATED);
		assert_int_equal(o.p.ntun, 0);
	}
	/* versions 0 (type I has no header) and 3..15 */
	static const uint8_t vers[] = { 0x00, 0x30, 0x70, 0xf0 };
	for (size_t i = 0; i < sizeof(vers); i++) {
		n = CAT(b, erspan3, eth_v4);
		b[0] = (uint8_t)(vers[i] | (b[0] & 0x0f));
		assert_int_equal(one(&o, erspan_decode, b, n, 0), DEC_MALFORMED);
		assert_int_equal(o.p.ntun, 0);
	}
}

/* IP-in-IP in the IP decoders: a tunnel with the outer addresses, and a new
 * transport for the inner header. */
static void test_ipip_decoders(void **state)
{
	(void)state;
	struct one o;
	uint8_t b[128];
	size_t n = BUILD(b, PART(ov4_ipip), PART(ipv4_icmp));
	ip_len(b, n, 0);
	assert_int_equal(one(&o, ipv4_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.p.l4proto, 4);
	assert_int_equal(o.p.ntun, 1);
	expect_tun(&o.p, 0, TUN_IPIP, false, 0, "198.51.100.1", "198.51.100.2");
	assert_int_equal(o.p.inner_off, 20);
	assert_int_equal(o.used, 20);
	n = BUILD(b, PART(ov4_6in4), PART(ipv6_tcp));
	ip_len(b, n, 0);
	assert_int_equal(one(&o, ipv4_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	expect_tun(&o.p, 0, TUN_IPIP, false, 0, "198.51.100.1", "198.51.100.2");
	n = BUILD(b, PART(ov6_4in6), PART(ipv4_tcp));
	ip_len(b, n, 0);
	assert_int_equal(one(&o, ipv6_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV4);
	assert_int_equal(o.p.inner_off, 40);
	expect_tun(&o.p, 0, TUN_IPIP, false, 0, "2001:db8:ffff::1", "2001:db8:ffff::2");
	n = BUILD(b, PART(ov6_6in6), PART(ipv6_icmpv6));
	ip_len(b, n, 0);
	assert_int_equal(one(&o, ipv6_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_IPV6);
	expect_tun(&o.p, 0, TUN_IPIP, false, 0, "2001:db8:ffff::1", "2001:db8:ffff::2");
	/* GRE is not IP-in-IP: no tunnel until the GRE header */
	n = BUILD(b, PART(ov4_gre), PART(gre_v4), PART(ipv4_udp));
	ip_len(b, n, 0);
	assert_int_equal(one(&o, ipv4_decode, b, n, 0), DEC_OK);
	assert_int_equal(o.p.next, L_GRE);
	assert_int_equal(o.p.ntun, 0);
	assert_int_equal(o.p.inner_off, 0);
	/* an IP-in-IP fragment is a fragment: no tunnel yet */
	n = BUILD(b, PART(ov4_ipip), PART(ipv4_icmp));
	ip_len(b, n, 0);
	b[V4_FRAG] = 0x20;
	assert_int_equal(one(&o, ipv4_decode, b, n, 0), DEC_OK);
	assert_true(o.p.flags & PKT_FRAGMENT);
	assert_int_equal(o.p.ntun, 0);

	/* what an outer header left in the transport fields is forgotten */
	const uint8_t *inner[] = { ipv4_icmp, ipv6_icmpv6 };
	const size_t inner_len[] = { sizeof(ipv4_icmp), sizeof(ipv6_icmpv6) };
	const decoder_fn fns[] = { ipv4_decode, ipv6_decode };
	for (int i = 0; i < 2; i++) {
		memset(&o, 0, sizeof(o));
		o.p.data = inner[i];
		o.p.sport = 49152, o.p.dport = 4789; /* as an outer UDP header leaves them */
		o.p.tcp_flags = TCP_SYN;
		o.p.icmp_type = 3, o.p.icmp_code = 1;
		o.p.payload_off = 42, o.p.payload_len = 100;
		o.c = cur_make(inner[i], inner_len[i]);
		assert_int_equal(fns[i](&o.c, &o.p), DEC_OK);
		assert_int_equal(o.p.sport, 0);
		assert_int_equal(o.p.dport, 0);
		assert_int_equal(o.p.tcp_flags, 0);
		assert_int_equal(o.p.icmp_type, 0);
		assert_int_equal(o.p.icmp_code, 0);
		assert_int_equal(o.p.payload_off, 0);
		assert_int_equal(o.p.payload_len, 0);
	}
}

static void test_mpls_tunnel(void **state)
{
	(void)state;
	struct one o;
	uint8_t b[128];
	size_t n = CAT(b, eth_mpls3, ipv4_udp);
	assert_int_equal(one(&o, mpls_decode, b + 14, n - 14, 0), DEC_OK);
	assert_int_equal(o.p.ntun, 1);
	/* the top label (1000), not the bottom one; no outer IP */
	expect_tun(&o.p, 0, TUN_MPLS, true, 1000, NULL, NULL);
	assert_int_equal(o.p.inner_off, 12);
	/* no tunnel for a stack that is not decoded */
	for (size_t k = 0; k <= 12; k++) {
		assert_int_equal(one(&o, mpls_decode, b + 14, k, 0), DEC_TRUNCATED);
		assert_int_equal(o.p.ntun, 0);
	}
}

static void test_tables(void **state)
{
	(void)state;
	assert_int_equal(decode_first_layer(DLT_EN10MB), L_ETH);
	assert_int_equal(decode_first_layer(DLT_LINUX_SLL), L_SLL);
	assert_int_equal(decode_first_layer(DLT_LINUX_SLL2), L_SLL2);
	assert_int_equal(decode_first_layer(DLT_NULL), L_NULL);
	assert_int_equal(decode_first_layer(DLT_LOOP), L_NULL);
	assert_int_equal(decode_first_layer(DLT_RAW), L_RAW);
	assert_int_equal(decode_first_layer(101), L_RAW);
	assert_int_equal(decode_first_layer(DLT_IPV4), L_RAW);
	assert_int_equal(decode_first_layer(DLT_IPV6), L_RAW);
	assert_int_equal(decode_first_layer(DLT_PPP), L_PPP);
	assert_int_equal(decode_first_layer(DLT_PPP_SERIAL), L_PPP);
	assert_int_equal(decode_first_layer(DLT_C_HDLC), L_CHDLC);
	assert_int_equal(decode_first_layer(DLT_PPI), L_PPI);
	assert_int_equal(decode_first_layer(DLT_IEEE802_11), L_NONE);
	assert_int_equal(decode_ipproto(6), L_TCP);
	assert_int_equal(decode_ipproto(17), L_UDP);
	assert_int_equal(decode_ipproto(1), L_ICMP);
	assert_int_equal(decode_ipproto(58), L_ICMPV6);
	assert_int_equal(decode_ipproto(132), L_SCTP);
	assert_int_equal(decode_ipproto(47), L_GRE);
	assert_int_equal(decode_ipproto(4), L_IPV4);
	assert_int_equal(decode_ipproto(41), L_IPV6);
	assert_int_equal(decode_ipproto(50), L_NONE);
	assert_string_equal(layer_name(L_VXLAN), "vxlan");
	assert_string_equal(layer_name(L_GENEVE), "geneve");
	assert_string_equal(layer_name(L_GRE), "gre");
	assert_string_equal(layer_name(L_ERSPAN), "erspan");
	assert_string_equal(tunnel_type_name(TUN_VXLAN), "vxlan");
	assert_string_equal(tunnel_type_name(TUN_GENEVE), "geneve");
	assert_string_equal(tunnel_type_name(TUN_GRE), "gre");
	assert_string_equal(tunnel_type_name(TUN_ERSPAN), "erspan");
	assert_string_equal(tunnel_type_name(TUN_IPIP), "ipip");
	assert_string_equal(tunnel_type_name(TUN_MPLS), "mpls");
	assert_string_equal(tunnel_type_name(TUN__COUNT), "?");
	const struct decode_cfg *dc = decode_cfg_default();
	assert_int_equal(dc->n_vxlan_ports, 2);
	assert_int_equal(dc->vxlan_ports[0], 4789);
	assert_int_equal(dc->vxlan_ports[1], 8472);
	assert_int_equal(dc->n_geneve_ports, 1);
	assert_int_equal(dc->geneve_ports[0], 6081);
	assert_int_equal(dc->n_gre_udp_ports, 1);
	assert_int_equal(dc->gre_udp_ports[0], 4754);
	assert_int_equal(dc->max_tunnels, 4);
	assert_string_equal(layer_name(L_ETH), "eth");
	assert_string_equal(layer_name(L_ICMPV6), "icmpv6");
	assert_string_equal(layer_name(L_PPP), "ppp");
	assert_string_equal(layer_name(L_PPPOE), "pppoe");
	assert_string_equal(layer_name(L_CHDLC), "chdlc");
	assert_string_equal(layer_name(L_PPI), "ppi");
	assert_string_equal(layer_name(L_MPLS), "mpls");
	assert_string_equal(layer_name(L_SCTP), "sctp");
	struct pkt p;
	memset(&p, 0, sizeof(p));
	assert_int_equal(decode_ethertype(&p, 0x8864), L_PPPOE);
	assert_int_equal(p.ethertype, 0x8864);
	assert_int_equal(decode_ethertype(&p, 0x8863), L_NONE); /* PPPoE discovery */
	assert_int_equal(decode_ethertype(&p, 0x8847), L_MPLS);
	assert_int_equal(decode_ethertype(&p, 0x8848), L_MPLS);
	assert_int_equal(decode_ethertype(&p, 0x8035), L_NONE); /* SLARP */
	assert_string_equal(layer_name(L__COUNT), "?");
	assert_string_equal(dec_result_name(DEC_TRUNCATED), "truncated");
	assert_string_equal(dec_result_name(DEC_MALFORMED), "malformed");
	assert_string_equal(dec_result_name(DEC_UNSUPPORTED), "unsupported");
	assert_string_equal(dec_result_name(DEC__COUNT), "?");
	for (int l = 0; l < L__COUNT; l++)
		assert_non_null(layer_name((enum layer)l));
}

/* ======================================================================
 * The chain, end to end
 * ====================================================================== */

static void test_chain_eth_ipv4_tcp(void **state)
{
	(void)state;
	uint8_t b[128];
	size_t n = CAT(b, eth_v4, ipv4_tcp);
	assert_int_equal(n, 70);
	struct run r;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_TCP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.st.bytes, 70);
	assert_true(r.p.flags & PKT_HAS_KEY);
	assert_false(r.p.flags & (PKT_FRAGMENT | PKT_SNAPPED));
	assert_int_equal(r.p.err_layer, L_NONE);
	assert_int_equal(r.p.ethertype, 0x0800);
	assert_int_equal(r.p.nvlan, 0);
	expect_v4(&r.p, "192.168.1.10", "10.0.0.1");
	assert_int_equal(r.p.l4proto, 6);
	assert_int_equal(r.p.sport, 51000);
	assert_int_equal(r.p.dport, 443);
	assert_int_equal(r.p.tcp_flags, TCP_PSH | TCP_ACK);
	expect_offsets(&r.p, 14, 56, 34, 66, 4);
}

static void test_chain_eth_padding(void **state)
{
	(void)state;
	/* Ethernet + IPv4/UDP (46 bytes) + 14 bytes of padding to the 60-byte minimum */
	uint8_t b[128];
	size_t n = CAT(b, eth_v4, ipv4_udp);
	memset(b + n, 0, 14);
	n += 14;
	struct run r;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	assert_int_equal(r.p.dport, 53);
	/* the padding is neither IP nor payload */
	expect_offsets(&r.p, 14, 32, 34, 42, 4);
}

static void test_chain_vlan(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n = CAT(b, eth_vlan_v4, ipv4_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_VLAN] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.nvlan, 1);
	assert_int_equal(r.p.vlan[0], 100);
	assert_int_equal(r.p.ethertype, 0x0800);
	expect_offsets(&r.p, 18, 32, 38, 46, 4);

	/* QinQ */
	n = CAT(b, eth_qinq_v6, ipv6_tcp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_VLAN] = 2, [L_IPV6] = 1, [L_TCP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.nvlan, 2);
	assert_int_equal(r.p.vlan[0], 200);
	assert_int_equal(r.p.vlan[1], 4095);
	assert_int_equal(r.p.ethertype, 0x86dd);
	expect_v6(&r.p, "2001:db8::1", "2001:db8::2");
	assert_int_equal(r.p.sport, 40000);
	assert_int_equal(r.p.dport, 80);
	assert_int_equal(r.p.tcp_flags, TCP_SYN);
	assert_int_equal(r.p.tcp_seq, 0xfffffffe);
	expect_offsets(&r.p, 22, 60, 62, 82, 0);

	/* three tags (0x88a8, 0x8100, 0x9100): the most kept */
	n = CAT(b, eth_3tags_v4, ipv4_icmp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_VLAN] = 3, [L_IPV4] = 1, [L_ICMP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.nvlan, 3);
	assert_int_equal(r.p.vlan[0], 1);
	assert_int_equal(r.p.vlan[1], 2);
	assert_int_equal(r.p.vlan[2], 3);

	/* a fourth tag is MALFORMED */
	n = CAT(b, eth_4tags_v4, ipv4_icmp);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_VLAN] = 3), L_VLAN, DEC_MALFORMED);
	assert_int_equal(r.p.err_layer, L_VLAN);
	assert_false(r.p.flags & PKT_HAS_KEY);
}

static void test_chain_sll(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n = CAT(b, sll_v4, ipv4_icmp);
	assert_true(run(&r, b, n, L_SLL, 0));
	expect_stats(&r.st, LAYERS([L_SLL] = 1, [L_IPV4] = 1, [L_ICMP] = 1), L_NONE, DEC_OK);
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");
	assert_int_equal(r.p.l4proto, 1);
	assert_int_equal(r.p.icmp_type, 8);
	assert_int_equal(r.p.icmp_code, 0);
	assert_int_equal(r.p.sport, 0);
	assert_int_equal(r.p.dport, 0);
	expect_offsets(&r.p, 16, 28, 36, 40, 4);

	n = CAT(b, sll2_v6, ipv6_udp);
	assert_true(run(&r, b, n, L_SLL2, 0));
	expect_stats(&r.st, LAYERS([L_SLL2] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	expect_v6(&r.p, "fe80::1", "ff02::1:2");
	assert_int_equal(r.p.sport, 546);
	assert_int_equal(r.p.dport, 547);
	expect_offsets(&r.p, 20, 52, 60, 68, 4);

	/* SLL carrying a Linux pseudo protocol */
	n = CAT(b, sll_v4, ipv4_icmp);
	b[14] = 0x00, b[15] = 0x04;
	assert_false(run(&r, b, n, L_SLL, 0));
	expect_stats(&r.st, LAYERS(0), L_SLL, DEC_UNSUPPORTED);
}

static void test_chain_null(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n = CAT(b, null_le_inet, ipv4_udp);
	assert_true(run(&r, b, n, L_NULL, 0));
	expect_stats(&r.st, LAYERS([L_NULL] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	expect_offsets(&r.p, 4, 32, 24, 32, 4);

	n = CAT(b, null_be_inet6_30, ipv6_icmpv6);
	assert_true(run(&r, b, n, L_NULL, 0));
	expect_stats(&r.st, LAYERS([L_NULL] = 1, [L_IPV6] = 1, [L_ICMPV6] = 1), L_NONE, DEC_OK);
	expect_v6(&r.p, "2001:db8::1", "2001:db8::2");
	assert_int_equal(r.p.l4proto, 58);
	assert_int_equal(r.p.icmp_type, 128);
	expect_offsets(&r.p, 4, 48, 44, 48, 4);

	/* every IPv6 family value, both byte orders */
	static const uint8_t afs[] = { 10, 23, 24, 28, 30 };
	for (size_t i = 0; i < sizeof(afs); i++) {
		const uint8_t le[4] = { afs[i], 0, 0, 0 }, be[4] = { 0, 0, 0, afs[i] };
		n = CAT(b, le, ipv6_udp);
		assert_true(run(&r, b, n, L_NULL, 0));
		expect_stats(&r.st, LAYERS([L_NULL] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
		n = CAT(b, be, ipv6_udp);
		assert_true(run(&r, b, n, L_NULL, 0));
	}
	/* unknown family (AF_APPLETALK 16 on Linux ... any other value) */
	static const uint8_t unk[] = { 0x11, 0x00, 0x00, 0x00 };
	n = CAT(b, unk, ipv4_udp);
	assert_false(run(&r, b, n, L_NULL, 0));
	expect_stats(&r.st, LAYERS(0), L_NULL, DEC_UNSUPPORTED);
	assert_int_equal(r.p.ipver, 0);
}

static void test_chain_raw(void **state)
{
	(void)state;
	struct run r;
	assert_true(run(&r, ipv4_tcp, sizeof(ipv4_tcp), L_RAW, 0));
	expect_stats(&r.st, LAYERS([L_RAW] = 1, [L_IPV4] = 1, [L_TCP] = 1), L_NONE, DEC_OK);
	expect_offsets(&r.p, 0, 56, 20, 52, 4);
	assert_true(run(&r, ipv6_udp, sizeof(ipv6_udp), L_RAW, 0));
	expect_stats(&r.st, LAYERS([L_RAW] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	uint8_t b[64];
	memcpy(b, ipv4_udp, sizeof(ipv4_udp));
	b[0] = 0x85; /* version 8 */
	assert_false(run(&r, b, sizeof(ipv4_udp), L_RAW, 0));
	expect_stats(&r.st, LAYERS(0), L_RAW, DEC_MALFORMED);
	/* the chain may also start at IP directly */
	assert_true(run(&r, ipv4_udp, sizeof(ipv4_udp), L_IPV4, 0));
	expect_stats(&r.st, LAYERS([L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	/* an empty packet */
	assert_false(run(&r, b, 0, L_RAW, 0));
	expect_stats(&r.st, LAYERS(0), L_RAW, DEC_TRUNCATED);
	/* an unknown link type */
	assert_false(run(&r, ipv4_udp, sizeof(ipv4_udp), L_NONE, 0));
	assert_int_equal(r.st.unknown_linktype, 1);
	expect_stats(&r.st, LAYERS(0), L_NONE, DEC_OK);
}

static void test_chain_eth_unsupported(void **state)
{
	(void)state;
	static const uint8_t arp[] = {
		/* Ethernet: broadcast, src, type 0x0806 ARP */
		0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0x08, 0x06,
		/* ARP: ether/IPv4, request */
		0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
	};
	struct run r;
	assert_false(run(&r, arp, sizeof(arp), L_ETH, 0));
	expect_stats(&r.st, LAYERS(0), L_ETH, DEC_UNSUPPORTED);
	assert_int_equal(r.p.err_layer, L_ETH);
	assert_int_equal(r.p.ethertype, 0x0806);
	/* a cut Ethernet header */
	assert_false(run(&r, arp, 13, L_ETH, 0));
	expect_stats(&r.st, LAYERS(0), L_ETH, DEC_TRUNCATED);
	/* IPv4 carrying ESP: a flow without ports */
	uint8_t b[128];
	size_t n = CAT(b, eth_v4, ipv4_udp);
	b[14 + 9] = 50;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.l4proto, 50);
	assert_int_equal(r.p.sport, 0);
	assert_int_equal(r.p.l4_off, 34);
}

static void test_chain_ipv4_variants(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	const size_t ip = 14; /* IPv4 header offset in b */
	size_t n;

	/* options */
	n = CAT(b, eth_v4, ipv4_opts_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	expect_v4(&r.p, "10.1.2.3", "224.0.0.22");
	assert_int_equal(r.p.sport, 1000);
	assert_int_equal(r.p.dport, 2000);
	expect_offsets(&r.p, 14, 36, 38, 46, 4);

	/* IHL 3 */
	n = CAT(b, eth_v4, ipv4_udp);
	b[ip] = 0x43;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV4, DEC_MALFORMED);
	assert_int_equal(r.p.err_layer, L_IPV4);

	/* version 7 */
	b[ip] = 0x75;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV4, DEC_MALFORMED);

	/* total length 16 < header */
	n = CAT(b, eth_v4, ipv4_udp);
	b[ip + V4_TOTAL + 1] = 16;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV4, DEC_MALFORMED);

	/* total length 200 > frame: truncated ... */
	n = CAT(b, eth_v4, ipv4_udp);
	b[ip + V4_TOTAL + 1] = 200;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV4, DEC_TRUNCATED);
	assert_false(r.p.flags & PKT_SNAPPED);
	/* ... unless the capture snapped it (wire length 214) */
	assert_true(run(&r, b, n, L_ETH, 214));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	assert_true(r.p.flags & PKT_SNAPPED);
	assert_int_equal(r.st.bytes, 214);
	expect_offsets(&r.p, 14, 32, 34, 42, 4);

	/* total length 0: taken as unknown (TSO) */
	n = CAT(b, eth_v4, ipv4_udp);
	b[ip + V4_TOTAL + 1] = 0;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	expect_offsets(&r.p, 14, 32, 34, 42, 4);

	/* non-first fragment: no transport, no key */
	n = CAT(b, eth_v4, ipv4_udp);
	b[ip + V4_FRAG] = 0x00, b[ip + V4_FRAG + 1] = 0xb9;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.st.fragments, 1);
	assert_true(r.p.flags & PKT_FRAGMENT);
	assert_false(r.p.flags & PKT_HAS_KEY);
	assert_int_equal(r.p.err_layer, L_NONE);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 0);
	assert_int_equal(r.p.dport, 0);
	assert_int_equal(r.p.l4_off, 34);

	/* first fragment (MF, offset 0): also held for reassembly, no key yet */
	b[ip + V4_FRAG] = 0x20, b[ip + V4_FRAG + 1] = 0x00;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.st.fragments, 1);
	assert_true(r.p.flags & PKT_FRAGMENT);
	assert_false(r.p.flags & PKT_HAS_KEY);
	assert_int_equal(r.p.frag.more, 1);
	assert_int_equal(r.p.frag.offset, 0);
	assert_int_equal(r.p.sport, 0);
}

static void test_chain_ipv6_ext(void **state)
{
	(void)state;
	uint8_t b[512];
	struct run r;
	size_t n;

	n = CAT(b, eth_v6, ipv6_ext_tcp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_TCP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.sport, 1024);
	assert_int_equal(r.p.dport, 22);
	assert_int_equal(r.p.l4proto, 6);
	expect_offsets(&r.p, 14, 84, 78, 98, 0);

	n = CAT(b, eth_v6, ipv6_ah_tcp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_TCP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.sport, 500);
	assert_int_equal(r.p.dport, 179);
	assert_int_equal(r.p.tcp_flags, TCP_ACK);
	expect_offsets(&r.p, 14, 84, 78, 98, 0);

	/* atomic fragment: decoded as a whole packet */
	n = CAT(b, eth_v6, ipv6_frag_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.sport, 1000);
	assert_int_equal(r.p.dport, 2000);
	expect_offsets(&r.p, 14, 60, 62, 70, 4);

	/* first fragment (offset 0, M): held for reassembly */
	b[14 + V6_FRAGOFF] = 0x00, b[14 + V6_FRAGOFF + 1] = 0x01;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.st.fragments, 1);
	assert_true(r.p.flags & PKT_FRAGMENT);
	assert_int_equal(r.p.frag.more, 1);
	assert_int_equal(r.p.frag.offset, 0);
	assert_int_equal(r.p.frag.proto, 17);
	assert_int_equal(r.p.frag.id, 0xdeadbeef);

	/* non-first fragment: offset 100, M */
	b[14 + V6_FRAGOFF] = 0x03, b[14 + V6_FRAGOFF + 1] = 0x21;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.st.fragments, 1);
	assert_true(r.p.flags & PKT_FRAGMENT);
	assert_false(r.p.flags & PKT_HAS_KEY);
	assert_int_equal(r.p.l4proto, 17);
	assert_int_equal(r.p.sport, 0);
	expect_v6(&r.p, "2001:db8::1", "2001:db8::2");

	/* last fragment: offset 100, no M */
	b[14 + V6_FRAGOFF] = 0x03, b[14 + V6_FRAGOFF + 1] = 0x20;
	assert_false(run(&r, b, n, L_ETH, 0));
	assert_int_equal(r.st.fragments, 1);
}

static const uint8_t ipv6_ext_past_end[] = {
	/* IPv6: ver 6, tc 0, flow 0 */
	0x60, 0x00, 0x00, 0x00,
	/* payload length 8, next header 0 (hop-by-hop), hop limit 64 */
	0x00, 0x08, 0x00, 0x40,
	V6_SRC, V6_DST,
	/* hop-by-hop: next 6, length 1 (16 bytes) -- only 8 are in the payload */
	0x06, 0x01, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00,
};

static void test_chain_ipv6_ext_truncated(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r;
	size_t n = CAT(b, eth_v6, ipv6_ext_past_end);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV6, DEC_TRUNCATED);
	/* the same with bytes after the payload: the payload length still bounds it */
	memset(b + n, 0, 16);
	assert_false(run(&r, b, n + 16, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV6, DEC_TRUNCATED);
	/* and with payload length 0, the frame does */
	b[14 + 4] = 0, b[14 + 5] = 0;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV6, DEC_TRUNCATED);

	/* the AH header cut */
	n = CAT(b, eth_v6, ipv6_ah_tcp);
	b[14 + 5] = 20; /* payload length 20: AH needs 24 */
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV6, DEC_TRUNCATED);
	/* the fragment header cut */
	n = CAT(b, eth_v6, ipv6_frag_udp);
	b[14 + 5] = 6;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_IPV6, DEC_TRUNCATED);
}

/* IPv6 with `next` destination-options headers (8 bytes each), then UDP. */
static size_t ipv6_many_ext(uint8_t *b, int next)
{
	size_t n = 0;
	uint16_t plen = (uint16_t)(next * 8 + 8);
	/* IPv6: ver 6, payload length, next header 60 (dest opts), hop limit 64 */
	const uint8_t hdr[] = { 0x60, 0, 0, 0, (uint8_t)(plen >> 8), (uint8_t)plen, 60, 64,
				V6_SRC, V6_DST };
	memcpy(b, hdr, sizeof(hdr));
	n = sizeof(hdr);
	for (int i = 0; i < next; i++) {
		/* dest opts: next 60, or 17 (UDP) for the last; length 0; PadN 4 */
		const uint8_t e[] = { (uint8_t)(i + 1 < next ? 60 : 17), 0, 1, 4, 0, 0, 0, 0 };
		memcpy(b + n, e, 8);
		n += 8;
	}
	/* UDP: sport 7, dport 9, length 8 */
	const uint8_t u[] = { 0, 7, 0, 9, 0, 8, 0, 0 };
	memcpy(b + n, u, 8);
	return n + 8;
}

static void test_chain_ipv6_too_many_ext(void **state)
{
	(void)state;
	uint8_t b[512];
	struct run r;
	/* DAVY_MAX_IPV6_EXT headers: fine */
	size_t n = ipv6_many_ext(b, DAVY_MAX_IPV6_EXT);
	assert_true(run(&r, b, n, L_RAW, 0));
	expect_stats(&r.st, LAYERS([L_RAW] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.l4_off, 40 + 8 * DAVY_MAX_IPV6_EXT);
	assert_int_equal(r.p.sport, 7);
	/* one more: MALFORMED */
	n = ipv6_many_ext(b, DAVY_MAX_IPV6_EXT + 1);
	assert_false(run(&r, b, n, L_RAW, 0));
	expect_stats(&r.st, LAYERS([L_RAW] = 1), L_IPV6, DEC_MALFORMED);
	/* far more */
	n = ipv6_many_ext(b, 50);
	assert_false(run(&r, b, n, L_RAW, 0));
	expect_stats(&r.st, LAYERS([L_RAW] = 1), L_IPV6, DEC_MALFORMED);
}

static void test_chain_tcp_errors(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n;
	const size_t tcp = 14 + 20;

	/* data offset 3 */
	n = CAT(b, eth_v4, ipv4_tcp);
	b[tcp + 12] = 0x30;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_TCP, DEC_MALFORMED);
	assert_int_equal(r.p.err_layer, L_TCP);
	assert_false(r.p.flags & PKT_HAS_KEY);

	/* header cut by the IP total length: 10 bytes of TCP */
	n = CAT(b, eth_v4, ipv4_tcp);
	b[14 + V4_TOTAL + 1] = 30;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_TCP, DEC_TRUNCATED);

	/* header cut by the capture (snapped: IP lets it through) */
	n = CAT(b, eth_v4, ipv4_tcp);
	assert_false(run(&r, b, tcp + 19, L_ETH, (uint32_t)n));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_TCP, DEC_TRUNCATED);

	/* options cut: 20 bytes of header there, 32 announced */
	assert_false(run(&r, b, tcp + 24, L_ETH, (uint32_t)n));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_TCP, DEC_TRUNCATED);

	/* snapped inside the payload: decoded, with what is there */
	assert_true(run(&r, b, tcp + 34, L_ETH, (uint32_t)n));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_TCP] = 1), L_NONE, DEC_OK);
	expect_offsets(&r.p, 14, 54, 34, 66, 2);
}

static void test_chain_udp_errors(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n;
	const size_t udplen = 14 + V4_UDPLEN;

	/* UDP length 4 */
	n = CAT(b, eth_v4, ipv4_udp);
	b[udplen + 1] = 4;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_UDP, DEC_MALFORMED);

	/* UDP length 300 > the 12 bytes there */
	b[udplen] = 0x01, b[udplen + 1] = 0x2c;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	expect_offsets(&r.p, 14, 32, 34, 42, 4);

	/* UDP header cut by the IP total length */
	n = CAT(b, eth_v4, ipv4_udp);
	b[14 + V4_TOTAL + 1] = 26;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_UDP, DEC_TRUNCATED);
}

static void test_chain_icmp_cut(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n;

	/* ICMP: IPv4 total length 22, two bytes of ICMP */
	n = CAT(b, eth_v4, ipv4_icmp);
	b[14 + V4_TOTAL + 1] = 22;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_ICMP, DEC_TRUNCATED);
	assert_int_equal(r.p.err_layer, L_ICMP);
	/* the same cut by the frame */
	assert_false(run(&r, b, 14 + 22, L_ETH, (uint32_t)n));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_ICMP, DEC_TRUNCATED);

	/* ICMPv6: payload length 2 */
	n = CAT(b, eth_v6, ipv6_icmpv6);
	b[14 + 5] = 2;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1), L_ICMPV6, DEC_TRUNCATED);
	assert_int_equal(r.p.err_layer, L_ICMPV6);
}

static void test_chain_ppp(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n;

	/* with address and control, through the DLT mapping */
	assert_int_equal(decode_first_layer(DLT_PPP), L_PPP);
	n = CAT(b, ppp_ff03_v4, ipv4_udp);
	assert_true(run(&r, b, n, decode_first_layer(DLT_PPP), 0));
	expect_stats(&r.st, LAYERS([L_PPP] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	assert_true(r.p.flags & PKT_HAS_KEY);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	assert_int_equal(r.p.dport, 53);
	expect_offsets(&r.p, 4, 32, 24, 32, 4);

	/* without, IPv6, DLT_PPP_SERIAL */
	n = CAT(b, ppp_v6, ipv6_udp);
	assert_true(run(&r, b, n, decode_first_layer(DLT_PPP_SERIAL), 0));
	expect_stats(&r.st, LAYERS([L_PPP] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	expect_v6(&r.p, "fe80::1", "ff02::1:2");
	expect_offsets(&r.p, 2, 52, 42, 50, 4);

	/* compressed protocol byte, with and without address/control */
	n = CAT(b, ppp_ff03_c21, ipv4_tcp);
	assert_true(run(&r, b, n, L_PPP, 0));
	expect_stats(&r.st, LAYERS([L_PPP] = 1, [L_IPV4] = 1, [L_TCP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.sport, 51000);
	expect_offsets(&r.p, 3, 56, 23, 55, 4);
	n = CAT(b, ppp_c21, ipv4_icmp);
	assert_true(run(&r, b, n, L_PPP, 0));
	expect_stats(&r.st, LAYERS([L_PPP] = 1, [L_IPV4] = 1, [L_ICMP] = 1), L_NONE, DEC_OK);
	expect_offsets(&r.p, 1, 28, 21, 25, 4);

	/* LCP: counted unsupported, no key */
	assert_false(run(&r, ppp_lcp, sizeof(ppp_lcp), L_PPP, 0));
	expect_stats(&r.st, LAYERS(0), L_PPP, DEC_UNSUPPORTED);
	assert_int_equal(r.p.err_layer, L_PPP);
	assert_int_equal(r.p.ipver, 0);
	assert_false(r.p.flags & PKT_HAS_KEY);

	/* Cisco HDLC on a link called PPP */
	n = CAT(b, ppp_chdlc_v4, ipv4_udp);
	assert_true(run(&r, b, n, L_PPP, 0));
	expect_stats(&r.st, LAYERS([L_PPP] = 1, [L_CHDLC] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.ethertype, 0x0800);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	expect_offsets(&r.p, 4, 32, 24, 32, 4);
	/* ... and its SLARP keepalives */
	b[2] = 0x80, b[3] = 0x35;
	assert_false(run(&r, b, n, L_PPP, 0));
	expect_stats(&r.st, LAYERS([L_PPP] = 1), L_CHDLC, DEC_UNSUPPORTED);
	assert_int_equal(r.p.err_layer, L_CHDLC);

	/* cut inside the protocol field */
	assert_false(run(&r, ppp_ff03_v4, 3, L_PPP, 0));
	expect_stats(&r.st, LAYERS(0), L_PPP, DEC_TRUNCATED);
	/* PPP header whole, IPv4 cut */
	n = CAT(b, ppp_ff03_v4, ipv4_udp);
	assert_false(run(&r, b, 4 + 10, L_PPP, 0));
	expect_stats(&r.st, LAYERS([L_PPP] = 1), L_IPV4, DEC_TRUNCATED);
}

static void test_chain_pppoe(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n;

	n = CAT(b, eth_pppoe_v4, ipv4_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 1, [L_PPPOE] = 1, [L_PPP] = 1, [L_IPV4] = 1, [L_UDP] = 1),
		     L_NONE, DEC_OK);
	assert_true(r.p.flags & PKT_HAS_KEY);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	assert_int_equal(r.p.dport, 53);
	expect_offsets(&r.p, 22, 32, 42, 50, 4);

	n = CAT(b, eth_pppoe_v6, ipv6_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 1, [L_PPPOE] = 1, [L_PPP] = 1, [L_IPV6] = 1, [L_UDP] = 1),
		     L_NONE, DEC_OK);
	expect_v6(&r.p, "fe80::1", "ff02::1:2");
	assert_int_equal(r.p.sport, 546);
	assert_int_equal(r.p.dport, 547);
	expect_offsets(&r.p, 22, 52, 62, 70, 4);

	/* version/type 0x12, then 0x21 */
	n = CAT(b, eth_pppoe_v4, ipv4_udp);
	b[14] = 0x12;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_PPPOE, DEC_MALFORMED);
	assert_int_equal(r.p.err_layer, L_PPPOE);
	assert_false(r.p.flags & PKT_HAS_KEY);
	b[14] = 0x21;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_PPPOE, DEC_MALFORMED);
	/* a non-zero code */
	b[14] = 0x11, b[15] = 0x65;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_PPPOE, DEC_MALFORMED);

	/* the PPPoE length trims what follows: 14 bytes of Ethernet padding and
	 * an IPv4 total length of 0 (unknown) -- the datagram is 32 bytes, not 46 */
	n = CAT(b, eth_pppoe_v4, ipv4_udp);
	memset(b + n, 0, 14);
	b[22 + V4_TOTAL] = 0, b[22 + V4_TOTAL + 1] = 0;
	assert_true(run(&r, b, n + 14, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 1, [L_PPPOE] = 1, [L_PPP] = 1, [L_IPV4] = 1, [L_UDP] = 1),
		     L_NONE, DEC_OK);
	expect_offsets(&r.p, 22, 32, 42, 50, 4);
	/* the same with a UDP length of 0: the payload ends at the PPPoE length too */
	b[22 + V4_UDPLEN] = 0, b[22 + V4_UDPLEN + 1] = 0;
	assert_true(run(&r, b, n + 14, L_ETH, 0));
	expect_offsets(&r.p, 22, 32, 42, 50, 4);
	/* PPPoE length 30 (PPP + 28): the last 2 UDP payload bytes are cut off */
	b[PPPOE_LEN + 1] = 30;
	assert_true(run(&r, b, n + 14, L_ETH, 0));
	expect_offsets(&r.p, 22, 28, 42, 50, 0);
	/* PPPoE length 20 (PPP + 18): no room for the IPv4 header */
	b[PPPOE_LEN + 1] = 20;
	assert_false(run(&r, b, n + 14, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_PPPOE] = 1, [L_PPP] = 1), L_IPV4,
		     DEC_TRUNCATED);
	/* PPPoE length 30 with IPv4 total length 32: the datagram is cut */
	n = CAT(b, eth_pppoe_v4, ipv4_udp);
	b[PPPOE_LEN + 1] = 30;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_PPPOE] = 1, [L_PPP] = 1), L_IPV4,
		     DEC_TRUNCATED);
	/* PPPoE length 1: the PPP protocol is cut */
	b[PPPOE_LEN + 1] = 1;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_PPPOE] = 1), L_PPP, DEC_TRUNCATED);
	/* PPPoE length past the frame: what is there */
	b[PPPOE_LEN] = 0x05, b[PPPOE_LEN + 1] = 0xd4;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_offsets(&r.p, 22, 32, 42, 50, 4);

	/* LCP echo in the session stage */
	static const uint8_t lcp_echo[] = {
		/* PPPoE: ver/type 0x11, code 0, session 0x1234, length 10 */
		0x11, 0x00, 0x12, 0x34, 0x00, 0x0a,
		/* PPP: protocol 0xc021 LCP */
		0xc0, 0x21,
		/* LCP: code 9 (Echo-Request), id 1, length 8, magic number */
		0x09, 0x01, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04,
	};
	memcpy(b, eth_pppoe_v4, 14);
	n = 14 + sizeof(lcp_echo);
	memcpy(b + 14, lcp_echo, sizeof(lcp_echo));
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_PPPOE] = 1), L_PPP, DEC_UNSUPPORTED);
	assert_int_equal(r.p.err_layer, L_PPP);
	/* the discovery stage: not decoded */
	b[13] = 0x63;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS(0), L_ETH, DEC_UNSUPPORTED);
	assert_int_equal(r.p.ethertype, 0x8863);
}

static void test_chain_vlan_pppoe(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n = CAT(b, eth_vlan2_pppoe_v4, ipv4_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 1, [L_VLAN] = 2, [L_PPPOE] = 1, [L_PPP] = 1, [L_IPV4] = 1,
			    [L_UDP] = 1),
		     L_NONE, DEC_OK);
	assert_true(r.p.flags & PKT_HAS_KEY);
	assert_int_equal(r.p.nvlan, 2);
	assert_int_equal(r.p.vlan[0], 10);
	assert_int_equal(r.p.vlan[1], 20);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	assert_int_equal(r.p.dport, 53);
	expect_offsets(&r.p, 30, 32, 50, 58, 4);
	/* the PPPoE header cut */
	assert_false(run(&r, b, 14 + 8 + 3, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_VLAN] = 2), L_PPPOE, DEC_TRUNCATED);
	assert_int_equal(r.p.nvlan, 2);
}

static void test_chain_chdlc(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n;

	assert_int_equal(decode_first_layer(DLT_C_HDLC), L_CHDLC);
	n = CAT(b, chdlc_v4, ipv4_udp);
	assert_true(run(&r, b, n, decode_first_layer(DLT_C_HDLC), 0));
	expect_stats(&r.st, LAYERS([L_CHDLC] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.ethertype, 0x0800);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	expect_offsets(&r.p, 4, 32, 24, 32, 4);

	/* MPLS over Cisco HDLC */
	n = CAT(b, chdlc_mpls_v4, ipv4_udp);
	assert_true(run(&r, b, n, L_CHDLC, 0));
	expect_stats(&r.st, LAYERS([L_CHDLC] = 1, [L_MPLS] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.ethertype, 0x8847);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	expect_offsets(&r.p, 8, 32, 28, 36, 4);

	/* SLARP keepalive */
	static const uint8_t slarp[] = {
		/* Cisco HDLC: address 0x8f, control 0, protocol 0x8035 SLARP */
		0x8f, 0x00, 0x80, 0x35,
		/* SLARP: code 2 (keepalive), my sequence 5, your sequence 4, reliability */
		0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0x04, 0xff, 0xff,
	};
	assert_false(run(&r, slarp, sizeof(slarp), L_CHDLC, 0));
	expect_stats(&r.st, LAYERS(0), L_CHDLC, DEC_UNSUPPORTED);
	assert_int_equal(r.p.err_layer, L_CHDLC);
	assert_int_equal(r.p.ethertype, 0x8035);

	/* cut */
	assert_false(run(&r, chdlc_v4, 3, L_CHDLC, 0));
	expect_stats(&r.st, LAYERS(0), L_CHDLC, DEC_TRUNCATED);
	n = CAT(b, chdlc_mpls_v4, ipv4_udp);
	assert_false(run(&r, b, 6, L_CHDLC, 0));
	expect_stats(&r.st, LAYERS([L_CHDLC] = 1), L_MPLS, DEC_TRUNCATED);
}

static void test_chain_ppi(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n;

	assert_int_equal(decode_first_layer(DLT_PPI), L_PPI);
	n = CAT(b, ppi_eth_v4, ipv4_udp);
	assert_true(run(&r, b, n, decode_first_layer(DLT_PPI), 0));
	expect_stats(&r.st, LAYERS([L_PPI] = 1, [L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.ethertype, 0x0800);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	expect_offsets(&r.p, 22, 32, 42, 50, 4);

	/* with a field before the packet */
	n = CAT(b, ppi_fields_eth_v4, ipv4_tcp);
	assert_true(run(&r, b, n, L_PPI, 0));
	expect_stats(&r.st, LAYERS([L_PPI] = 1, [L_ETH] = 1, [L_IPV4] = 1, [L_TCP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.sport, 51000);
	expect_offsets(&r.p, 34, 56, 54, 86, 4);

	/* 802.11 inside */
	assert_false(run(&r, ppi_80211, sizeof(ppi_80211), L_PPI, 0));
	expect_stats(&r.st, LAYERS(0), L_PPI, DEC_UNSUPPORTED);
	assert_int_equal(r.p.err_layer, L_PPI);

	/* length 4 */
	n = CAT(b, ppi_eth_v4, ipv4_udp);
	b[2] = 4;
	assert_false(run(&r, b, n, L_PPI, 0));
	expect_stats(&r.st, LAYERS(0), L_PPI, DEC_MALFORMED);
	assert_int_equal(r.p.err_layer, L_PPI);

	/* length past the end of the packet (255 > 54) */
	b[2] = 0xff;
	assert_false(run(&r, b, n, L_PPI, 0));
	expect_stats(&r.st, LAYERS(0), L_PPI, DEC_TRUNCATED);
	/* ... by one byte */
	b[2] = (uint8_t)(n + 1);
	assert_false(run(&r, b, n, L_PPI, 0));
	expect_stats(&r.st, LAYERS(0), L_PPI, DEC_TRUNCATED);
	/* a length that swallows the Ethernet header: Ethernet is cut */
	b[2] = (uint8_t)(n - 10);
	assert_false(run(&r, b, n, L_PPI, 0));
	expect_stats(&r.st, LAYERS([L_PPI] = 1), L_ETH, DEC_TRUNCATED);
}

static void test_chain_mpls(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r;
	size_t n;

	/* one label */
	n = CAT(b, eth_mpls1_v4, ipv4_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_MPLS] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	assert_true(r.p.flags & PKT_HAS_KEY);
	assert_int_equal(r.p.ethertype, 0x8847);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	expect_offsets(&r.p, 18, 32, 38, 46, 4);
	/* multicast MPLS ethertype */
	b[13] = 0x48;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_MPLS] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.ethertype, 0x8848);

	/* three labels to IPv4 */
	n = CAT(b, eth_mpls3, ipv4_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_MPLS] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	expect_offsets(&r.p, 26, 32, 46, 54, 4);
	/* ... and to IPv6 */
	n = CAT(b, eth_mpls3, ipv6_tcp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_MPLS] = 1, [L_IPV6] = 1, [L_TCP] = 1), L_NONE,
		     DEC_OK);
	expect_v6(&r.p, "2001:db8::1", "2001:db8::2");
	assert_int_equal(r.p.sport, 40000);
	assert_int_equal(r.p.dport, 80);
	expect_offsets(&r.p, 26, 60, 66, 86, 0);
	n = CAT(b, eth_mpls3, ipv6_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_MPLS] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);

	/* no bottom-of-stack bit and the bytes run out */
	n = eth_mpls_stack(b, 3, false);
	assert_false(run(&r, b, 14 + 12, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_MPLS, DEC_TRUNCATED);
	assert_int_equal(r.p.err_layer, L_MPLS);
	assert_false(r.p.flags & PKT_HAS_KEY);
	/* bottom of stack and nothing after it */
	n = eth_mpls_stack(b, 3, true);
	assert_false(run(&r, b, 14 + 12, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_MPLS, DEC_TRUNCATED);

	/* pseudowire control word (first nibble 0) */
	n = CAT(b, eth_mpls1_v4, eth_v4);
	static const uint8_t cw[] = { 0x00, 0x00, 0x00, 0x01 };
	memmove(b + 18 + 4, b + 18, 14);
	memcpy(b + 18, cw, 4);
	n += 4;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_MPLS, DEC_UNSUPPORTED);
	assert_int_equal(r.p.err_layer, L_MPLS);

	/* DAVY_MAX_LAYERS labels decode; one more is MALFORMED */
	n = eth_mpls_stack(b, DAVY_MAX_LAYERS, true);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_MPLS] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.p.l3_off, 14 + 4 * DAVY_MAX_LAYERS);
	n = eth_mpls_stack(b, DAVY_MAX_LAYERS + 1, true);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1), L_MPLS, DEC_MALFORMED);
	assert_int_equal(r.p.err_layer, L_MPLS);
}

static void test_chain_sctp(void **state)
{
	(void)state;
	uint8_t b[128];
	struct run r;
	size_t n;

	n = CAT(b, eth_v4, ipv4_sctp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_SCTP] = 1), L_NONE, DEC_OK);
	assert_true(r.p.flags & PKT_HAS_KEY);
	expect_v4(&r.p, "10.0.0.1", "10.0.0.2");
	assert_int_equal(r.p.l4proto, 132);
	assert_int_equal(r.p.sport, 36412);
	assert_int_equal(r.p.dport, 2905);
	assert_int_equal(r.p.tcp_flags, 0);
	expect_offsets(&r.p, 14, 36, 34, 46, 4);

	n = CAT(b, eth_v6, ipv6_sctp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_SCTP] = 1), L_NONE, DEC_OK);
	assert_true(r.p.flags & PKT_HAS_KEY);
	expect_v6(&r.p, "2001:db8::1", "2001:db8::2");
	assert_int_equal(r.p.l4proto, 132);
	assert_int_equal(r.p.sport, 5000);
	assert_int_equal(r.p.dport, 38412);
	expect_offsets(&r.p, 14, 56, 54, 66, 4);

	/* SCTP cut to 8 bytes by the IPv4 total length */
	n = CAT(b, eth_v4, ipv4_sctp);
	b[14 + V4_TOTAL + 1] = 28;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_SCTP, DEC_TRUNCATED);
	assert_int_equal(r.p.err_layer, L_SCTP);
	assert_false(r.p.flags & PKT_HAS_KEY);
	/* ... by the capture */
	n = CAT(b, eth_v4, ipv4_sctp);
	assert_false(run(&r, b, 14 + 20 + 8, L_ETH, (uint32_t)n));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_SCTP, DEC_TRUNCATED);
	/* ... by the IPv6 payload length */
	n = CAT(b, eth_v6, ipv6_sctp);
	b[14 + 5] = 8;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1), L_SCTP, DEC_TRUNCATED);
	assert_false(r.p.flags & PKT_HAS_KEY);
}

static void test_chain_vxlan(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r;
	size_t n = ov_vxlan(b);
	assert_int_equal(n, 120);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 2, [L_IPV4] = 2, [L_UDP] = 1, [L_VXLAN] = 1, [L_TCP] = 1),
		     L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_VXLAN] = 1));
	assert_true(r.p.flags & PKT_HAS_KEY);
	assert_false(r.p.flags & PKT_TOO_DEEP);
	assert_int_equal(r.p.err_layer, L_NONE);
	assert_int_equal(r.p.ntun, 1);
	expect_tun(&r.p, 0, TUN_VXLAN, true, 100, "192.0.2.1", "192.0.2.2");
	/* the key fields are the inner flow's */
	expect_v4(&r.p, "192.168.1.10", "10.0.0.1");
	assert_int_equal(r.p.l4proto, 6);
	assert_int_equal(r.p.sport, 51000);
	assert_int_equal(r.p.dport, 443);
	assert_int_equal(r.p.tcp_flags, TCP_PSH | TCP_ACK);
	assert_int_equal(r.p.tcp_seq, 0x01020304);
	assert_int_equal(r.p.ethertype, 0x0800);
	expect_offsets(&r.p, 64, 56, 84, 116, 4);
	assert_int_equal(r.p.inner_off, VX_INNER);
	assert_int_equal(pkt_inner_len(&r.p), 70);
	/* the carrier: the outer IPv4/UDP */
	assert_true(r.p.carrier.valid);
	assert_int_equal(r.p.carrier.proto, 17);
	assert_int_equal(r.p.carrier.sport, 49152);
	assert_int_equal(r.p.carrier.dport, 4789);
	assert_int_equal(r.p.carrier.l3_off, 14);
	assert_int_equal(r.p.carrier.l3_len, 106);
	assert_int_equal(r.p.carrier.nvlan, 0);
	/* snapped: the inner length is counted from the wire length */
	assert_true(run(&r, b, n, L_ETH, 1514));
	assert_int_equal(pkt_inner_len(&r.p), 1514 - VX_INNER);

	/* the I flag clear: the UDP flow to 4789 stands */
	b[VX_HDR] = 0x00;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 0, TUNS(0));
	assert_int_equal(r.p.ntun, 0);
	expect_v4(&r.p, "192.0.2.1", "192.0.2.2");
	assert_int_equal(r.p.l4proto, 17);
	assert_int_equal(r.p.sport, 49152);
	assert_int_equal(r.p.dport, 4789);
	expect_offsets(&r.p, 14, 106, 34, 42, 78);
	assert_int_equal(r.p.inner_off, 0);
	assert_int_equal(pkt_inner_len(&r.p), n);
	assert_false(r.p.carrier.valid);
	/* other flags without I (group policy G 0x80, the rest) */
	b[VX_HDR] = 0xf7;
	assert_true(run(&r, b, n, L_ETH, 0));
	assert_int_equal(r.p.ntun, 0);
	assert_int_equal(r.p.dport, 4789);

	/* 4 bytes of UDP payload: the VXLAN header is cut */
	n = ov_vxlan(b);
	n = VX_HDR + 4;
	ip_len(b, n, 14);
	udp_len(b, n, VX_UDP);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_VXLAN,
		     DEC_TRUNCATED);
	expect_tun_stats(&r.st, 0, TUNS(0));
	assert_int_equal(r.p.err_layer, L_VXLAN);
	assert_int_equal(r.p.ntun, 0);
	assert_false(r.p.flags & PKT_HAS_KEY);
	/* header whole, inner Ethernet cut */
	n = ov_vxlan(b);
	n = VX_INNER + 10;
	ip_len(b, n, 14);
	udp_len(b, n, VX_UDP);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1, [L_VXLAN] = 1), L_ETH,
		     DEC_TRUNCATED);
	assert_int_equal(r.p.err_layer, L_ETH);
	expect_tun_stats(&r.st, 0, TUNS(0));

	/* flannel's port 8472 */
	n = ov_vxlan(b);
	b[14 + OV_DPORT] = 0x21, b[14 + OV_DPORT + 1] = 0x18;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 2, [L_IPV4] = 2, [L_UDP] = 1, [L_VXLAN] = 1, [L_TCP] = 1),
		     L_NONE, DEC_OK);
	expect_tun(&r.p, 0, TUN_VXLAN, true, 100, "192.0.2.1", "192.0.2.2");
	expect_v4(&r.p, "192.168.1.10", "10.0.0.1");
	assert_int_equal(r.p.carrier.dport, 8472);

	/* a configuration where VXLAN is port 9999 */
	struct decode_cfg cfg = *decode_cfg_default();
	cfg.vxlan_ports[0] = 9999;
	cfg.n_vxlan_ports = 1;
	b[14 + OV_DPORT] = 0x27, b[14 + OV_DPORT + 1] = 0x0f;
	assert_true(run_cfg(&r, &cfg, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 2, [L_IPV4] = 2, [L_UDP] = 1, [L_VXLAN] = 1, [L_TCP] = 1),
		     L_NONE, DEC_OK);
	expect_tun(&r.p, 0, TUN_VXLAN, true, 100, "192.0.2.1", "192.0.2.2");
	assert_int_equal(r.p.sport, 51000);
	/* ... without it, 9999 is a UDP flow */
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.dport, 9999);
	/* ... and with it, 4789 and 8472 are UDP flows */
	b[14 + OV_DPORT] = 0x12, b[14 + OV_DPORT + 1] = 0xb5;
	assert_true(run_cfg(&r, &cfg, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_UDP] = 1), L_NONE, DEC_OK);
	assert_int_equal(r.p.ntun, 0);
	expect_v4(&r.p, "192.0.2.1", "192.0.2.2");
	assert_int_equal(r.p.sport, 49152);
	assert_int_equal(r.p.dport, 4789);
	b[14 + OV_DPORT] = 0x21, b[14 + OV_DPORT + 1] = 0x18;
	assert_true(run_cfg(&r, &cfg, b, n, L_ETH, 0));
	assert_int_equal(r.p.ntun, 0);
	assert_int_equal(r.p.dport, 8472);
}

static void test_chain_geneve(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r;
	size_t n = ov_geneve_opts(b);
	assert_int_equal(n, 128);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 2, [L_IPV6] = 1, [L_UDP] = 2, [L_GENEVE] = 1, [L_IPV4] = 1),
		     L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_GENEVE] = 1));
	assert_int_equal(r.p.ntun, 1);
	expect_tun(&r.p, 0, TUN_GENEVE, true, 0x123456, "2001:db8:ffff::1", "2001:db8:ffff::2");
	assert_int_equal(r.p.tun[0].opt_count, 2);
	assert_int_equal(r.p.tun[0].opt_len, 12);
	expect_v4_first4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	assert_int_equal(r.p.dport, 53);
	expect_offsets(&r.p, 96, 32, 116, 124, 4);
	assert_int_equal(r.p.inner_off, GV_INNER);
	assert_int_equal(pkt_inner_len(&r.p), 46);
	assert_true(r.p.carrier.valid);
	assert_int_equal(r.p.carrier.proto, 17);
	assert_int_equal(r.p.carrier.sport, 50000);
	assert_int_equal(r.p.carrier.dport, 6081);
	assert_int_equal(r.p.carrier.l3_len, 114);

	/* inner IPv4 (0x0800): the outer UDP ports do not reach the ICMP flow */
	n = ov_geneve_v4(b);
	assert_int_equal(n, 78);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 1, [L_IPV4] = 2, [L_UDP] = 1, [L_GENEVE] = 1, [L_ICMP] = 1),
		     L_NONE, DEC_OK);
	expect_tun(&r.p, 0, TUN_GENEVE, true, 7, "192.0.2.1", "192.0.2.2");
	assert_int_equal(r.p.tun[0].opt_count, 0);
	assert_int_equal(r.p.tun[0].opt_len, 0);
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");
	assert_int_equal(r.p.l4proto, 1);
	assert_int_equal(r.p.icmp_type, 8);
	assert_int_equal(r.p.sport, 0);
	assert_int_equal(r.p.dport, 0);
	expect_offsets(&r.p, 50, 28, 70, 74, 4);
	assert_int_equal(r.p.inner_off, 50);

	/* an option runs past Opt Len */
	n = ov_geneve_opts(b);
	b[GV_HDR + 11] = 0x03;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_GENEVE,
		     DEC_MALFORMED);
	assert_int_equal(r.p.err_layer, L_GENEVE);
	assert_int_equal(r.p.ntun, 0);
	expect_tun_stats(&r.st, 0, TUNS(0));
	/* Opt Len past the end of the datagram */
	n = ov_geneve_opts(b);
	b[GV_HDR] = 0x3f;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_GENEVE,
		     DEC_TRUNCATED);
	/* Opt Len past a UDP length that ends inside the options */
	n = ov_geneve_opts(b);
	udp_len(b, GV_HDR + 16, 54);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_GENEVE,
		     DEC_TRUNCATED);
	/* version 1 */
	n = ov_geneve_opts(b);
	b[GV_HDR] = 0x43;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_GENEVE,
		     DEC_MALFORMED);
	/* an unknown protocol (0x88cc LLDP) */
	n = ov_geneve_opts(b);
	b[GV_HDR + 2] = 0x88, b[GV_HDR + 3] = 0xcc;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_UDP] = 1), L_GENEVE,
		     DEC_UNSUPPORTED);
	assert_int_equal(r.p.err_layer, L_GENEVE);
	assert_false(r.p.flags & PKT_HAS_KEY);
}

/* One GRE packet: layer counts, tunnels (types and ids, outermost first, all
 * carried by 198.51.100.1 -> .2), inner_off. */
static void expect_gre(const uint8_t *b, size_t n, const unsigned layers[L__COUNT],
		       const unsigned tuns[TUN__COUNT], uint32_t inner_off)
{
	struct run r;
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, layers, L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 1, tuns);
	assert_int_equal(r.p.inner_off, inner_off);
	assert_int_equal(pkt_inner_len(&r.p), n - inner_off);
	assert_true(r.p.carrier.valid);
	assert_int_equal(r.p.carrier.proto, 47);
	assert_int_equal(r.p.carrier.l3_off, 14);
	assert_int_equal(r.p.carrier.l3_len, n - 14);
	assert_int_equal(r.p.carrier.sport, 0);
	assert_int_equal(r.p.carrier.dport, 0);
}

static void test_chain_gre(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r;
	size_t n;

	/* C K S carrying IPv4: the key recorded */
	n = ov_gre_cks_v4(b);
	assert_int_equal(n, 82);
	expect_gre(b, n, LAYERS([L_ETH] = 1, [L_IPV4] = 2, [L_GRE] = 1, [L_UDP] = 1),
		   TUNS([TUN_GRE] = 1), 50);
	assert_true(run(&r, b, n, L_ETH, 0));
	assert_int_equal(r.p.ntun, 1);
	expect_tun(&r.p, 0, TUN_GRE, true, 0x01020304, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	assert_int_equal(r.p.dport, 53);
	expect_offsets(&r.p, 50, 32, 70, 78, 4);

	/* no options, over IPv6, carrying IPv6 */
	n = ov_gre6_v6(b);
	assert_int_equal(n, 118);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 2, [L_GRE] = 1, [L_TCP] = 1), L_NONE,
		     DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_GRE] = 1));
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "2001:db8:ffff::1", "2001:db8:ffff::2");
	expect_v6(&r.p, "2001:db8::1", "2001:db8::2");
	assert_int_equal(r.p.sport, 40000);
	assert_int_equal(r.p.dport, 80);
	expect_offsets(&r.p, 58, 60, 98, 118, 0);
	assert_int_equal(r.p.inner_off, 58);
	assert_int_equal(r.p.carrier.proto, 47);

	/* transparent Ethernet bridging */
	n = ov_gre_teb(b);
	expect_gre(b, n, LAYERS([L_ETH] = 2, [L_IPV4] = 2, [L_GRE] = 1, [L_ICMP] = 1),
		   TUNS([TUN_GRE] = 1), 38);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");
	assert_int_equal(r.p.icmp_type, 8);

	/* MPLS: a GRE layer, then an MPLS layer with the label and no address */
	n = ov_gre_mpls(b);
	expect_gre(b, n, LAYERS([L_ETH] = 1, [L_IPV4] = 2, [L_GRE] = 1, [L_MPLS] = 1, [L_UDP] = 1),
		   TUNS([TUN_GRE] = 1, [TUN_MPLS] = 1), 42);
	assert_true(run(&r, b, n, L_ETH, 0));
	assert_int_equal(r.p.ntun, 2);
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "198.51.100.1", "198.51.100.2");
	expect_tun(&r.p, 1, TUN_MPLS, true, 100, NULL, NULL);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");

	/* ERSPAN type I (0x88be without S): two layers, no ids */
	n = ov_gre_erspan1(b);
	expect_gre(b, n, LAYERS([L_ETH] = 2, [L_IPV4] = 2, [L_GRE] = 1, [L_UDP] = 1),
		   TUNS([TUN_GRE] = 1, [TUN_ERSPAN] = 1), 38);
	assert_true(run(&r, b, n, L_ETH, 0));
	assert_int_equal(r.p.ntun, 2);
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "198.51.100.1", "198.51.100.2");
	expect_tun(&r.p, 1, TUN_ERSPAN, false, 0, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");

	/* ERSPAN type II (0x88be with S): the session id */
	n = ov_gre_erspan2(b);
	expect_gre(b, n,
		   LAYERS([L_ETH] = 2, [L_IPV4] = 2, [L_GRE] = 1, [L_ERSPAN] = 1, [L_TCP] = 1),
		   TUNS([TUN_GRE] = 1, [TUN_ERSPAN] = 1), 50);
	assert_true(run(&r, b, n, L_ETH, 0));
	assert_int_equal(r.p.ntun, 2);
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "198.51.100.1", "198.51.100.2");
	expect_tun(&r.p, 1, TUN_ERSPAN, true, 0x155, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "192.168.1.10", "10.0.0.1");
	assert_int_equal(r.p.sport, 51000);

	/* ERSPAN type III, without and with the platform sub-header */
	n = ov_gre_erspan3(b);
	expect_gre(b, n,
		   LAYERS([L_ETH] = 2, [L_IPV4] = 1, [L_GRE] = 1, [L_ERSPAN] = 1, [L_IPV6] = 1,
			  [L_UDP] = 1),
		   TUNS([TUN_GRE] = 1, [TUN_ERSPAN] = 1), 54);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_tun(&r.p, 1, TUN_ERSPAN, true, 1023, "198.51.100.1", "198.51.100.2");
	expect_v6(&r.p, "fe80::1", "ff02::1:2");
	assert_int_equal(r.p.sport, 546);
	n = ov_gre_erspan3_o(b);
	expect_gre(b, n,
		   LAYERS([L_ETH] = 2, [L_IPV4] = 2, [L_GRE] = 1, [L_ERSPAN] = 1, [L_ICMP] = 1),
		   TUNS([TUN_GRE] = 1, [TUN_ERSPAN] = 1), 62);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_tun(&r.p, 1, TUN_ERSPAN, true, 7, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");

	/* version 1 (PPTP) carrying PPP with IPv4 */
	n = ov_gre_pptp(b);
	assert_int_equal(n, 86);
	expect_gre(b, n, LAYERS([L_ETH] = 1, [L_IPV4] = 2, [L_GRE] = 1, [L_PPP] = 1, [L_UDP] = 1),
		   TUNS([TUN_GRE] = 1), 50);
	assert_true(run(&r, b, n, L_ETH, 0));
	assert_int_equal(r.p.ntun, 1);
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_int_equal(r.p.sport, 5353);
	assert_int_equal(r.p.dport, 53);
	expect_offsets(&r.p, 54, 32, 74, 82, 4);
	/* ... compressed/encrypted PPP (protocol 0x00fd): unsupported, no key */
	n = ov_gre_pptp_mppe(b);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_GRE] = 1), L_PPP,
		     DEC_UNSUPPORTED);
	expect_tun_stats(&r.st, 0, TUNS(0));
	assert_int_equal(r.p.err_layer, L_PPP);
	assert_false(r.p.flags & PKT_HAS_KEY);

	/* the routing bit */
	n = ov_gre_cks_v4(b);
	b[GRE_HDR] |= 0x40;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_GRE, DEC_MALFORMED);
	assert_int_equal(r.p.err_layer, L_GRE);
	assert_int_equal(r.p.ntun, 0);
	expect_tun_stats(&r.st, 0, TUNS(0));
	/* version 2 */
	n = ov_gre_cks_v4(b);
	b[GRE_HDR + 1] = 0x02;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_GRE, DEC_MALFORMED);
	/* an unknown protocol (ARP) */
	n = ov_gre_cks_v4(b);
	b[GRE_HDR + 2] = 0x08, b[GRE_HDR + 3] = 0x06;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_GRE, DEC_UNSUPPORTED);
	/* the optional fields cut by the IPv4 total length */
	n = ov_gre_cks_v4(b);
	ip_len(b, GRE_HDR + 10, 14);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_GRE, DEC_TRUNCATED);
	/* ERSPAN II header cut */
	n = ov_gre_erspan2(b);
	ip_len(b, GRE_HDR + 8 + 6, 14);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_GRE] = 1), L_ERSPAN,
		     DEC_TRUNCATED);
	expect_tun_stats(&r.st, 0, TUNS(0));
	/* ERSPAN version 3 */
	n = ov_gre_erspan2(b);
	b[GRE_HDR + 8] = 0x30;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_GRE] = 1), L_ERSPAN,
		     DEC_MALFORMED);

	/* GRE-in-UDP (4754): the UDP ports stay out of the inner ICMP flow */
	n = ov_gre_udp(b);
	assert_int_equal(n, 74);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 1, [L_IPV4] = 2, [L_UDP] = 1, [L_GRE] = 1, [L_ICMP] = 1),
		     L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_GRE] = 1));
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "192.0.2.1", "192.0.2.2");
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");
	assert_int_equal(r.p.l4proto, 1);
	assert_int_equal(r.p.icmp_type, 8);
	assert_int_equal(r.p.sport, 0);
	assert_int_equal(r.p.dport, 0);
	assert_int_equal(r.p.inner_off, 46);
	assert_int_equal(r.p.carrier.proto, 17);
	assert_int_equal(r.p.carrier.sport, 49152);
	assert_int_equal(r.p.carrier.dport, 4754);
}

static void test_chain_ipip(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r;
	size_t n;

	/* 4in4 */
	n = ov_4in4(b);
	assert_int_equal(n, 62);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 2, [L_ICMP] = 1), L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_IPIP] = 1));
	assert_int_equal(r.p.ntun, 1);
	expect_tun(&r.p, 0, TUN_IPIP, false, 0, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");
	assert_int_equal(r.p.l4proto, 1);
	assert_int_equal(r.p.icmp_type, 8);
	assert_int_equal(r.p.sport, 0);
	assert_int_equal(r.p.dport, 0);
	expect_offsets(&r.p, 34, 28, 54, 58, 4);
	assert_int_equal(r.p.inner_off, 34);
	assert_int_equal(pkt_inner_len(&r.p), 28);
	assert_true(r.p.carrier.valid);
	assert_int_equal(r.p.carrier.proto, 4);
	assert_int_equal(r.p.carrier.l3_off, 14);
	assert_int_equal(r.p.carrier.l3_len, 48);

	/* 6in4 */
	n = ov_6in4(b);
	assert_int_equal(n, 94);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1, [L_IPV6] = 1, [L_TCP] = 1), L_NONE,
		     DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_IPIP] = 1));
	expect_tun(&r.p, 0, TUN_IPIP, false, 0, "198.51.100.1", "198.51.100.2");
	expect_v6(&r.p, "2001:db8::1", "2001:db8::2");
	assert_int_equal(r.p.sport, 40000);
	assert_int_equal(r.p.dport, 80);
	assert_int_equal(r.p.tcp_flags, TCP_SYN);
	expect_offsets(&r.p, 34, 60, 74, 94, 0);
	assert_int_equal(r.p.inner_off, 34);
	assert_int_equal(r.p.carrier.proto, 41);

	/* 4in6 */
	n = ov_4in6(b);
	assert_int_equal(n, 110);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 1, [L_IPV4] = 1, [L_TCP] = 1), L_NONE,
		     DEC_OK);
	expect_tun(&r.p, 0, TUN_IPIP, false, 0, "2001:db8:ffff::1", "2001:db8:ffff::2");
	expect_v4_first4(&r.p, "192.168.1.10", "10.0.0.1");
	assert_int_equal(r.p.sport, 51000);
	assert_int_equal(r.p.dport, 443);
	expect_offsets(&r.p, 54, 56, 74, 106, 4);
	assert_int_equal(r.p.inner_off, 54);
	assert_int_equal(r.p.carrier.proto, 4);
	assert_int_equal(r.p.carrier.l3_len, 96);

	/* 6in6 */
	n = ov_6in6(b);
	assert_int_equal(n, 102);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV6] = 2, [L_ICMPV6] = 1), L_NONE, DEC_OK);
	expect_tun(&r.p, 0, TUN_IPIP, false, 0, "2001:db8:ffff::1", "2001:db8:ffff::2");
	expect_v6(&r.p, "2001:db8::1", "2001:db8::2");
	assert_int_equal(r.p.l4proto, 58);
	assert_int_equal(r.p.icmp_type, 128);
	assert_int_equal(r.p.sport, 0);
	expect_offsets(&r.p, 54, 48, 94, 98, 4);
	assert_int_equal(r.p.carrier.proto, 41);

	/* outer UDP ports, then IP-in-IP, then ICMP: nothing of UDP leaks in */
	n = ov_gre_udp_ipip(b);
	assert_int_equal(n, 94);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 1, [L_IPV4] = 3, [L_UDP] = 1, [L_GRE] = 1, [L_ICMP] = 1),
		     L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_GRE] = 1, [TUN_IPIP] = 1));
	assert_int_equal(r.p.ntun, 2);
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "192.0.2.1", "192.0.2.2");
	expect_tun(&r.p, 1, TUN_IPIP, false, 0, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");
	assert_int_equal(r.p.l4proto, 1);
	assert_int_equal(r.p.sport, 0);
	assert_int_equal(r.p.dport, 0);
	assert_int_equal(r.p.icmp_type, 8);
	expect_offsets(&r.p, 66, 28, 86, 90, 4);
	assert_int_equal(r.p.inner_off, 66);
	/* the carrier is the outermost IP: 192.0.2.x over UDP */
	assert_int_equal(r.p.carrier.l3_off, 14);
	assert_int_equal(r.p.carrier.proto, 17);
	assert_int_equal(r.p.carrier.dport, 4754);

	/* the inner header cut by the outer total length */
	n = ov_4in4(b);
	ip_len(b, 14 + 20 + 10, 14);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_IPV4, DEC_TRUNCATED);
	expect_tun_stats(&r.st, 0, TUNS(0));
	assert_false(r.p.flags & PKT_HAS_KEY);
	/* an inner version that is not the announced one */
	n = ov_6in4(b);
	b[34] = 0x45;
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 1), L_IPV6, DEC_MALFORMED);
}

static void test_chain_nesting(void **state)
{
	(void)state;
	uint8_t b[512];
	struct run r;
	size_t n;

	/* VXLAN inside GRE: two layers, outermost first */
	n = ov_vxlan_in_gre(b);
	assert_int_equal(n, 144);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_stats(&r.st,
		     LAYERS([L_ETH] = 2, [L_IPV4] = 3, [L_GRE] = 1, [L_UDP] = 1, [L_VXLAN] = 1,
			    [L_TCP] = 1),
		     L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_GRE] = 1, [TUN_VXLAN] = 1));
	assert_int_equal(r.p.ntun, 2);
	expect_tun(&r.p, 0, TUN_GRE, false, 0, "198.51.100.1", "198.51.100.2");
	expect_tun(&r.p, 1, TUN_VXLAN, true, 100, "192.0.2.1", "192.0.2.2");
	expect_v4(&r.p, "192.168.1.10", "10.0.0.1");
	assert_int_equal(r.p.sport, 51000);
	assert_int_equal(r.p.dport, 443);
	assert_int_equal(r.p.inner_off, VG_INNER);
	assert_int_equal(pkt_inner_len(&r.p), 70);
	/* the carrier is the outermost IP header (GRE), not the VXLAN one */
	assert_int_equal(r.p.carrier.proto, 47);
	assert_int_equal(r.p.carrier.l3_off, 14);
	assert_int_equal(r.p.carrier.sport, 0);

	/* max_tunnels 1: too deep -- not a layer error */
	struct decode_cfg cfg = *decode_cfg_default();
	cfg.max_tunnels = 1;
	assert_false(run_cfg(&r, &cfg, b, n, L_ETH, 0));
	expect_stats(&r.st, LAYERS([L_ETH] = 1, [L_IPV4] = 2, [L_GRE] = 1, [L_UDP] = 1), L_NONE,
		     DEC_OK);
	assert_int_equal(r.st.too_many_layers, 1);
	expect_tun_stats(&r.st, 0, TUNS(0));
	assert_true(r.p.flags & PKT_TOO_DEEP);
	assert_false(r.p.flags & PKT_HAS_KEY);
	assert_int_equal(r.p.err_layer, L_VXLAN);
	assert_int_equal(r.p.ntun, 1);
	/* max_tunnels 2: fine */
	cfg.max_tunnels = 2;
	assert_true(run_cfg(&r, &cfg, b, n, L_ETH, 0));
	assert_int_equal(r.st.too_many_layers, 0);
	assert_int_equal(r.p.ntun, 2);

	/* 4 nested IP-in-IP: the default cap */
	n = raw_ipip_stack(b, 4);
	assert_true(run(&r, b, n, L_RAW, 0));
	expect_stats(&r.st, LAYERS([L_RAW] = 1, [L_IPV4] = 5, [L_ICMP] = 1), L_NONE, DEC_OK);
	expect_tun_stats(&r.st, 1, TUNS([TUN_IPIP] = 4));
	assert_int_equal(r.st.too_many_layers, 0);
	assert_int_equal(r.p.ntun, 4);
	for (unsigned i = 0; i < 4; i++) {
		char s[32], d[32];
		snprintf(s, sizeof(s), "10.255.%u.1", i);
		snprintf(d, sizeof(d), "10.255.%u.2", i);
		expect_tun(&r.p, i, TUN_IPIP, false, 0, s, d);
	}
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");
	assert_int_equal(r.p.inner_off, 80);
	assert_int_equal(r.p.carrier.l3_off, 0);
	/* 5: too deep, counted once as too_many_layers and as no layer error */
	n = raw_ipip_stack(b, 5);
	assert_false(run(&r, b, n, L_RAW, 0));
	expect_stats(&r.st, LAYERS([L_RAW] = 1, [L_IPV4] = 4), L_NONE, DEC_OK);
	assert_int_equal(r.st.too_many_layers, 1);
	expect_tun_stats(&r.st, 0, TUNS(0));
	assert_true(r.p.flags & PKT_TOO_DEEP);
	assert_false(r.p.flags & PKT_HAS_KEY);
	assert_int_equal(r.p.err_layer, L_IPV4);
	assert_int_equal(r.p.ntun, 4);
	/* ... fine with max_tunnels 8 */
	cfg.max_tunnels = 8;
	assert_true(run_cfg(&r, &cfg, b, n, L_RAW, 0));
	assert_int_equal(r.p.ntun, 5);
	n = raw_ipip_stack(b, 8);
	assert_true(run_cfg(&r, &cfg, b, n, L_RAW, 0));
	assert_int_equal(r.p.ntun, 8);
	expect_tun(&r.p, 7, TUN_IPIP, false, 0, "10.255.7.1", "10.255.7.2");
	/* a cap above DAVY_MAX_TUNNELS is DAVY_MAX_TUNNELS */
	cfg.max_tunnels = 200;
	assert_true(run_cfg(&r, &cfg, b, n, L_RAW, 0));
	n = raw_ipip_stack(b, DAVY_MAX_TUNNELS + 1);
	assert_false(run_cfg(&r, &cfg, b, n, L_RAW, 0));
	assert_int_equal(r.st.too_many_layers, 1);
	assert_int_equal(r.p.ntun, DAVY_MAX_TUNNELS);

	/* a struct pkt reused after a too-deep packet starts clean */
	struct decode_stats st;
	memset(&st, 0, sizeof(st));
	struct pkt p;
	memset(&p, 0, sizeof(p));
	uint8_t c[256];
	n = raw_ipip_stack(b, 5);
	p.data = b, p.caplen = p.wirelen = (uint32_t)n;
	assert_false(decode_packet(&p, L_RAW, &st));
	assert_true(p.flags & PKT_TOO_DEEP);
	size_t m = ov_vxlan(c);
	p.data = c, p.caplen = p.wirelen = (uint32_t)m;
	assert_true(decode_packet(&p, L_ETH, &st));
	assert_false(p.flags & PKT_TOO_DEEP);
	assert_int_equal(p.ntun, 1);
	expect_tun(&p, 0, TUN_VXLAN, true, 100, "192.0.2.1", "192.0.2.2");
	m = CAT(c, eth_v4, ipv4_udp);
	p.data = c, p.caplen = p.wirelen = (uint32_t)m;
	assert_true(decode_packet(&p, L_ETH, &st));
	assert_int_equal(p.ntun, 0);
	assert_int_equal(p.inner_off, 0);
	assert_false(p.carrier.valid);
	assert_int_equal(pkt_inner_len(&p), m);
	assert_int_equal(st.too_many_layers, 1);
	assert_int_equal(st.tunnelled, 1);
	assert_int_equal(st.tunnel[TUN_VXLAN], 1);
	assert_int_equal(st.tunnel[TUN_IPIP], 0);
	/* and the counters add up */
	struct decode_stats sum;
	memset(&sum, 0, sizeof(sum));
	decode_stats_add(&sum, &st);
	decode_stats_add(&sum, &st);
	assert_int_equal(sum.too_many_layers, 2);
	assert_int_equal(sum.tunnelled, 2);
	assert_int_equal(sum.tunnel[TUN_VXLAN], 2);
}

static void test_chain_mpls_tunnel(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r;
	size_t n = CAT(b, eth_mpls3, ipv4_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_tun_stats(&r.st, 1, TUNS([TUN_MPLS] = 1));
	assert_int_equal(r.p.ntun, 1);
	/* the top label, no outer IP */
	expect_tun(&r.p, 0, TUN_MPLS, true, 1000, NULL, NULL);
	assert_int_equal(r.p.inner_off, 26);
	assert_int_equal(r.p.l3_off, 26);
	assert_int_equal(pkt_inner_len(&r.p), 32);
	expect_v4(&r.p, "10.1.2.3", "10.4.5.6");
	assert_false(r.p.carrier.valid);

	n = CAT(b, eth_mpls1_v4, ipv4_udp);
	assert_true(run(&r, b, n, L_ETH, 0));
	expect_tun(&r.p, 0, TUN_MPLS, true, 100, NULL, NULL);
	assert_int_equal(r.p.inner_off, 18);
	n = CAT(b, chdlc_mpls_v4, ipv4_udp);
	assert_true(run(&r, b, n, L_CHDLC, 0));
	expect_tun(&r.p, 0, TUN_MPLS, true, 16, NULL, NULL);
	assert_int_equal(r.p.inner_off, 8);
	/* a label stack that does not decode leaves no key and no tunnel count */
	n = eth_mpls_stack(b, DAVY_MAX_LAYERS + 1, true);
	assert_false(run(&r, b, n, L_ETH, 0));
	expect_tun_stats(&r.st, 0, TUNS(0));
	assert_int_equal(r.p.ntun, 0);
}

/* ----------------------------------------------------------------------
 * Regressions: product bugs these tests found (fixed since).
 * ---------------------------------------------------------------------- */

/* proto/ipv4.c copies 4 address bytes into p->src/p->dst and leaves the other
 * 12 as the previous (outer IPv6) header wrote them: IPv4 in an IPv6 carrier
 * (4in6, Geneve/VXLAN/GRE over IPv6) gets the carrier's address bytes in its
 * flow key. decode.h: "IPv4 in the first 4 bytes, rest zero". */
static void test_ipv4_in_ipv6_addresses(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r4in6, rgv;
	size_t n = ov_4in6(b);
	assert_true(run(&r4in6, b, n, L_ETH, 0));
	n = ov_geneve_opts(b);
	assert_true(run(&rgv, b, n, L_ETH, 0));
	static const uint8_t zero[12] = { 0 };
	assert_memory_equal(r4in6.p.src + 4, zero, 12);
	assert_memory_equal(rgv.p.dst + 4, zero, 12);
	expect_v4(&r4in6.p, "192.168.1.10", "10.0.0.1");
	expect_v4(&rgv.p, "10.1.2.3", "10.4.5.6");
}

/* decode_push_tunnel() records the carrier only when ntun == 0, so a tunnel
 * under MPLS (Ethernet / MPLS / IPv4 / GRE / ...) has no carrier, although
 * an outer IP header carried it. */
static void test_carrier_under_mpls(void **state)
{
	(void)state;
	uint8_t b[256];
	struct run r;
	size_t n = BUILD(b, PART(eth_mpls1_v4), PART(ov4_gre), PART(gre_v4), PART(ipv4_icmp));
	ip_len(b, n, 18);
	assert_true(run(&r, b, n, L_ETH, 0));
	assert_int_equal(r.p.ntun, 2);
	expect_tun(&r.p, 0, TUN_MPLS, true, 100, NULL, NULL);
	expect_tun(&r.p, 1, TUN_GRE, false, 0, "198.51.100.1", "198.51.100.2");
	expect_v4(&r.p, "172.16.0.1", "172.16.0.2");
	assert_true(r.p.carrier.valid);
	assert_int_equal(r.p.carrier.ipver, 4);
	assert_int_equal(r.p.carrier.l3_off, 18);
	assert_int_equal(r.p.carrier.proto, 47);
}

/* Stats add up; a reused struct pkt is reset between packets. */
static void test_stats_and_reuse(void **state)
{
	(void)state;
	uint8_t b[128];
	struct decode_stats st, sum;
	memset(&st, 0, sizeof(st));
	memset(&sum, 0, sizeof(sum));
	struct pkt p;
	memset(&p, 0, sizeof(p));

	size_t n = CAT(b, eth_qinq_v6, ipv6_tcp);
	p.data = b, p.caplen = p.wirelen = (uint32_t)n;
	assert_true(decode_packet(&p, L_ETH, &st));
	assert_int_equal(p.nvlan, 2);

	/* then a plain UDP packet into the same struct */
	uint8_t c[128];
	size_t m = CAT(c, eth_v4, ipv4_udp);
	p.data = c, p.caplen = p.wirelen = (uint32_t)m;
	assert_true(decode_packet(&p, L_ETH, &st));
	assert_int_equal(p.nvlan, 0);
	assert_int_equal(p.ipver, 4);
	assert_int_equal(p.tcp_flags, 0);
	static const uint8_t zero[12] = { 0 };
	assert_memory_equal(p.src + 4, zero, 12);
	assert_memory_equal(p.dst + 4, zero, 12);

	/* and a failing one */
	p.caplen = 10;
	assert_false(decode_packet(&p, L_ETH, &st));
	assert_int_equal(p.ipver, 0);
	assert_int_equal(p.err_layer, L_ETH);

	assert_int_equal(st.pkts, 3);
	assert_int_equal(st.layer[L_ETH], 2);
	assert_int_equal(st.layer[L_VLAN], 2);
	assert_int_equal(st.layer[L_IPV6], 1);
	assert_int_equal(st.layer[L_IPV4], 1);
	assert_int_equal(st.result[L_ETH][DEC_TRUNCATED], 1);

	decode_stats_add(&sum, &st);
	decode_stats_add(&sum, &st);
	assert_int_equal(sum.pkts, 6);
	assert_int_equal(sum.bytes, 2 * st.bytes);
	assert_int_equal(sum.layer[L_VLAN], 4);
	assert_int_equal(sum.result[L_ETH][DEC_TRUNCATED], 2);
}

/* ======================================================================
 * Truncated prefixes: no overread, and a consistent answer
 * ====================================================================== */

#define MAX_GOOD 96 /* entries good_packets() may fill */

struct good {
	const char *name;
	uint8_t buf[512];
	size_t len;
	enum layer first;
};

static size_t good_packets(struct good *g)
{
	size_t k = 0;
#define ADD2(nm, a, b, f)                                                                         \
	do {                                                                                      \
		assert_true(k < MAX_GOOD);                                                        \
		g[k].name = nm;                                                                   \
		g[k].len = CAT(g[k].buf, a, b);                                                   \
		g[k].first = f;                                                                   \
		k++;                                                                              \
	} while (0)
	static const uint8_t none[1] = { 0 };
	ADD2("eth ipv4 tcp", eth_v4, ipv4_tcp, L_ETH);
	ADD2("eth ipv4 udp", eth_v4, ipv4_udp, L_ETH);
	ADD2("eth ipv4 opts udp", eth_v4, ipv4_opts_udp, L_ETH);
	ADD2("eth ipv4 icmp", eth_v4, ipv4_icmp, L_ETH);
	ADD2("eth vlan ipv4 udp", eth_vlan_v4, ipv4_udp, L_ETH);
	ADD2("eth qinq ipv6 tcp", eth_qinq_v6, ipv6_tcp, L_ETH);
	ADD2("eth 3 tags ipv4 icmp", eth_3tags_v4, ipv4_icmp, L_ETH);
	ADD2("sll ipv4 icmp", sll_v4, ipv4_icmp, L_SLL);
	ADD2("sll2 ipv6 udp", sll2_v6, ipv6_udp, L_SLL2);
	ADD2("null le ipv4 udp", null_le_inet, ipv4_udp, L_NULL);
	ADD2("null be ipv6 icmpv6", null_be_inet6_30, ipv6_icmpv6, L_NULL);
	ADD2("eth ipv6 ext tcp", eth_v6, ipv6_ext_tcp, L_ETH);
	ADD2("eth ipv6 ah tcp", eth_v6, ipv6_ah_tcp, L_ETH);
	ADD2("eth ipv6 frag udp", eth_v6, ipv6_frag_udp, L_ETH);
	/* raw: the IP packet alone (the 1-byte `none` is dropped) */
	ADD2("raw ipv4 tcp", ipv4_tcp, none, L_RAW);
	g[k - 1].len--;
	ADD2("raw ipv6 udp", ipv6_udp, none, L_RAW);
	g[k - 1].len--;
	/* padded Ethernet */
	ADD2("eth ipv4 udp padded", eth_v4, ipv4_udp, L_ETH);
	memset(g[k - 1].buf + g[k - 1].len, 0, 14);
	g[k - 1].len += 14;
	/* IPv4 non-first fragment (no key even when whole) */
	ADD2("eth ipv4 fragment", eth_v4, ipv4_udp, L_ETH);
	g[k - 1].buf[14 + V4_FRAG + 1] = 0xb9;
	/* IPv6 non-first fragment */
	ADD2("eth ipv6 fragment", eth_v6, ipv6_frag_udp, L_ETH);
	g[k - 1].buf[14 + V6_FRAGOFF] = 0x03, g[k - 1].buf[14 + V6_FRAGOFF + 1] = 0x21;
	/* 16 extension headers */
	g[k].name = "raw ipv6 16 ext";
	g[k].len = ipv6_many_ext(g[k].buf, DAVY_MAX_IPV6_EXT);
	g[k].first = L_RAW;
	k++;
	/* PPP, PPPoE, Cisco HDLC, PPI, MPLS, SCTP */
	ADD2("ppp ff03 ipv4 udp", ppp_ff03_v4, ipv4_udp, L_PPP);
	ADD2("ppp ipv6 udp", ppp_v6, ipv6_udp, L_PPP);
	ADD2("ppp ff03 compressed ipv4 tcp", ppp_ff03_c21, ipv4_tcp, L_PPP);
	ADD2("ppp compressed ipv4 icmp", ppp_c21, ipv4_icmp, L_PPP);
	ADD2("ppp chdlc ipv4 udp", ppp_chdlc_v4, ipv4_udp, L_PPP);
	ADD2("eth pppoe ipv4 udp", eth_pppoe_v4, ipv4_udp, L_ETH);
	ADD2("eth pppoe ipv6 udp", eth_pppoe_v6, ipv6_udp, L_ETH);
	ADD2("eth vlan vlan pppoe ipv4 udp", eth_vlan2_pppoe_v4, ipv4_udp, L_ETH);
	ADD2("chdlc ipv4 udp", chdlc_v4, ipv4_udp, L_CHDLC);
	ADD2("chdlc mpls ipv4 udp", chdlc_mpls_v4, ipv4_udp, L_CHDLC);
	ADD2("ppi eth ipv4 udp", ppi_eth_v4, ipv4_udp, L_PPI);
	ADD2("ppi fields eth ipv4 tcp", ppi_fields_eth_v4, ipv4_tcp, L_PPI);
	ADD2("eth mpls ipv4 udp", eth_mpls1_v4, ipv4_udp, L_ETH);
	ADD2("eth mpls 3 labels ipv4 udp", eth_mpls3, ipv4_udp, L_ETH);
	ADD2("eth mpls 3 labels ipv6 tcp", eth_mpls3, ipv6_tcp, L_ETH);
	ADD2("eth ipv4 sctp", eth_v4, ipv4_sctp, L_ETH);
	ADD2("eth ipv6 sctp", eth_v6, ipv6_sctp, L_ETH);
	g[k].name = "eth mpls 16 labels ipv4 udp";
	g[k].len = eth_mpls_stack(g[k].buf, DAVY_MAX_LAYERS, true);
	g[k].first = L_ETH;
	k++;
#undef ADD2
	/* overlays */
	static const struct {
		const char *name;
		size_t (*build)(uint8_t *);
		enum layer first;
	} ov[] = {
		{ "vxlan eth ipv4 tcp", ov_vxlan, L_ETH },
		{ "geneve 2 options eth ipv4 udp", ov_geneve_opts, L_ETH },
		{ "geneve ipv4 icmp", ov_geneve_v4, L_ETH },
		{ "gre cks ipv4 udp", ov_gre_cks_v4, L_ETH },
		{ "gre over ipv6 ipv6 tcp", ov_gre6_v6, L_ETH },
		{ "gre teb eth ipv4 icmp", ov_gre_teb, L_ETH },
		{ "gre mpls ipv4 udp", ov_gre_mpls, L_ETH },
		{ "gre erspan I eth ipv4 udp", ov_gre_erspan1, L_ETH },
		{ "gre erspan II eth ipv4 tcp", ov_gre_erspan2, L_ETH },
		{ "gre erspan III eth ipv6 udp", ov_gre_erspan3, L_ETH },
		{ "gre erspan III O eth ipv4 icmp", ov_gre_erspan3_o, L_ETH },
		{ "gre pptp ppp ipv4 udp", ov_gre_pptp, L_ETH },
		{ "gre-in-udp ipv4 icmp", ov_gre_udp, L_ETH },
		{ "gre-in-udp ipip ipv4 icmp", ov_gre_udp_ipip, L_ETH },
		{ "4in4 icmp", ov_4in4, L_ETH },
		{ "6in4 tcp", ov_6in4, L_ETH },
		{ "4in6 tcp", ov_4in6, L_ETH },
		{ "6in6 icmpv6", ov_6in6, L_ETH },
		{ "vxlan in gre", ov_vxlan_in_gre, L_ETH },
		{ "raw 4 nested ipip", ov_raw_ipip4, L_RAW },
		{ "eth mpls 3 labels ipv4 udp (tunnel)", ov_eth_mpls3_v4, L_ETH },
	};
	for (size_t i = 0; i < sizeof(ov) / sizeof(ov[0]); i++) {
		assert_true(k < MAX_GOOD);
		g[k].name = ov[i].name;
		g[k].len = ov[i].build(g[k].buf);
		g[k].first = ov[i].first;
		k++;
	}
	/* VXLAN on flannel's port; a UDP flow to 4789 without the I flag */
	assert_true(k + 2 <= MAX_GOOD);
	g[k].name = "vxlan 8472 eth ipv4 tcp";
	g[k].len = ov_vxlan(g[k].buf);
	g[k].buf[14 + OV_DPORT] = 0x21, g[k].buf[14 + OV_DPORT + 1] = 0x18;
	g[k].first = L_ETH;
	k++;
	g[k].name = "udp 4789 without I flag";
	g[k].len = ov_vxlan(g[k].buf);
	g[k].buf[VX_HDR] = 0x00;
	g[k].first = L_ETH;
	k++;
	assert_true(k <= MAX_GOOD);
	return k;
}

/* Checks one decode of a prefix against the decode of the whole packet. */
static void check_prefix(const struct good *g, const struct run *full, const struct run *r,
			 size_t cut, bool snapped)
{
	char what[128];
	snprintf(what, sizeof(what), "%s cut at %zu%s", g->name, cut, snapped ? " (snapped)" : "");
	if (r->st.pkts != 1)
		fail_msg("%s: pkts %llu", what, (unsigned long long)r->st.pkts);
	uint64_t outcomes = 0;
	for (int l = 0; l < L__COUNT; l++)
		for (int k = 0; k < DEC__COUNT; k++)
			outcomes += r->st.result[l][k];
	if (r->ok) {
		if (!full->ok)
			fail_msg("%s: decoded although the whole packet is not", what);
		if (!(r->p.flags & PKT_HAS_KEY) || outcomes != 0)
			fail_msg("%s: ok without key or with an error counted", what);
		if (r->p.ipver != full->p.ipver || memcmp(r->p.src, full->p.src, 16) != 0 ||
		    memcmp(r->p.dst, full->p.dst, 16) != 0 || r->p.l4proto != full->p.l4proto ||
		    r->p.sport != full->p.sport || r->p.dport != full->p.dport ||
		    r->p.nvlan != full->p.nvlan ||
		    memcmp(r->p.vlan, full->p.vlan, sizeof(r->p.vlan[0]) * r->p.nvlan) != 0)
			fail_msg("%s: a different flow than the whole packet", what);
		/* the same tunnels: same types, ids and outer addresses */
		if (r->p.ntun != full->p.ntun || r->p.inner_off != full->p.inner_off ||
		    memcmp(r->p.tun, full->p.tun, sizeof(r->p.tun[0]) * r->p.ntun) != 0)
			fail_msg("%s: tunnels %u (inner at %u), the whole packet %u (inner at %u)",
				 what, r->p.ntun, r->p.inner_off, full->p.ntun, full->p.inner_off);
		if (r->p.inner_off > cut)
			fail_msg("%s: inner_off %u beyond the bytes", what, r->p.inner_off);
		if ((uint64_t)r->p.l3_off + r->p.l3_len > cut || r->p.l4_off > cut ||
		    (uint64_t)r->p.payload_off + r->p.payload_len > cut ||
		    r->p.l3_off != full->p.l3_off || r->p.l4_off != full->p.l4_off)
			fail_msg("%s: offsets beyond the bytes (l3 %u+%u l4 %u payload %u+%u)", what,
				 r->p.l3_off, r->p.l3_len, r->p.l4_off, r->p.payload_off,
				 r->p.payload_len);
		if (full->p.payload_off) {
			size_t want = cut - full->p.payload_off;
			if (want > full->p.payload_len)
				want = full->p.payload_len;
			if (r->p.payload_off != full->p.payload_off || r->p.payload_len != want)
				fail_msg("%s: payload %u+%u, expected %u+%zu", what, r->p.payload_off,
					 r->p.payload_len, full->p.payload_off, want);
		}
		return;
	}
	if (r->p.err_layer != L_NONE) {
		/* exactly one outcome, at the failing layer, and it is truncation:
		 * a prefix of a good packet is never malformed */
		if (outcomes != 1 || r->st.result[r->p.err_layer][DEC_TRUNCATED] != 1)
			fail_msg("%s: failed at %s without exactly one 'truncated'", what,
				 layer_name(r->p.err_layer));
		if (r->p.flags & PKT_HAS_KEY)
			fail_msg("%s: failed with a key", what);
		if ((r->p.flags & PKT_TOO_DEEP) || r->st.too_many_layers)
			fail_msg("%s: too deep", what);
		if (r->st.tunnelled)
			fail_msg("%s: counted as tunnelled without a key", what);
	} else {
		/* no error: a non-first fragment, like the whole packet */
		if (!(r->p.flags & PKT_FRAGMENT) || r->st.fragments != 1 || full->ok)
			fail_msg("%s: false without an error or a fragment", what);
	}
}

static void test_prefixes(void **state)
{
	(void)state;
	struct good *g = calloc(MAX_GOOD, sizeof(*g));
	assert_non_null(g);
	size_t ng = good_packets(g);
	for (size_t i = 0; i < ng; i++) {
		struct run full, r;
		run(&full, g[i].buf, g[i].len, g[i].first, 0);
		if (!full.ok && !(full.p.flags & PKT_FRAGMENT))
			fail_msg("%s does not decode", g[i].name);
		for (size_t cut = 0; cut < g[i].len; cut++) {
			/* the frame really was that short */
			run(&r, g[i].buf, cut, g[i].first, 0);
			check_prefix(&g[i], &full, &r, cut, false);
			/* the capture cut it */
			run(&r, g[i].buf, cut, g[i].first, (uint32_t)g[i].len);
			check_prefix(&g[i], &full, &r, cut, true);
		}
	}
	free(g);
}

/* Random byte flips on the good packets, each copy exactly sized: no crash,
 * no overread (ASan), and the counters stay coherent. */
static void test_mutations(void **state)
{
	(void)state;
	struct good *g = calloc(MAX_GOOD, sizeof(*g));
	assert_non_null(g);
	size_t ng = good_packets(g);
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < ng; i++) {
		for (int iter = 0; iter < 3000; iter++) {
			uint8_t b[512];
			memcpy(b, g[i].buf, g[i].len);
			int flips = 1 + iter % 4;
			for (int f = 0; f < flips; f++) {
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				size_t at = (size_t)(seed >> 33) % g[i].len;
				b[at] = (uint8_t)(seed >> 17);
			}
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			size_t len = (iter & 1) ? g[i].len : (size_t)(seed >> 40) % (g[i].len + 1);
			struct run r;
			run(&r, b, len, g[i].first, (iter & 2) ? (uint32_t)g[i].len : 0);
			uint64_t outcomes = 0;
			for (int l = 0; l < L__COUNT; l++)
				for (int k = 0; k < DEC__COUNT; k++)
					outcomes += r.st.result[l][k];
			assert_true(outcomes <= 1);
			if (r.ok) {
				assert_int_equal(outcomes, 0);
				assert_true((uint64_t)r.p.payload_off + r.p.payload_len <= len);
				assert_true((uint64_t)r.p.l3_off + r.p.l3_len <= len);
				assert_true(r.p.l4_off <= len);
			}
		}
	}
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_eth_decoder),
		cmocka_unit_test(test_vlan_decoder),
		cmocka_unit_test(test_sll_decoders),
		cmocka_unit_test(test_null_decoder),
		cmocka_unit_test(test_raw_decoder),
		cmocka_unit_test(test_ipv4_decoder),
		cmocka_unit_test(test_ipv6_decoder),
		cmocka_unit_test(test_tcp_decoder),
		cmocka_unit_test(test_udp_decoder),
		cmocka_unit_test(test_icmp_decoders),
		cmocka_unit_test(test_ppp_decoder),
		cmocka_unit_test(test_pppoe_decoder),
		cmocka_unit_test(test_chdlc_decoder),
		cmocka_unit_test(test_ppi_decoder),
		cmocka_unit_test(test_mpls_decoder),
		cmocka_unit_test(test_sctp_decoder),
		cmocka_unit_test(test_vxlan_decoder),
		cmocka_unit_test(test_udp_overlay_ports),
		cmocka_unit_test(test_geneve_decoder),
		cmocka_unit_test(test_gre_decoder),
		cmocka_unit_test(test_erspan_decoder),
		cmocka_unit_test(test_ipip_decoders),
		cmocka_unit_test(test_mpls_tunnel),
		cmocka_unit_test(test_tables),
		cmocka_unit_test(test_chain_eth_ipv4_tcp),
		cmocka_unit_test(test_chain_eth_padding),
		cmocka_unit_test(test_chain_vlan),
		cmocka_unit_test(test_chain_sll),
		cmocka_unit_test(test_chain_null),
		cmocka_unit_test(test_chain_raw),
		cmocka_unit_test(test_chain_eth_unsupported),
		cmocka_unit_test(test_chain_ipv4_variants),
		cmocka_unit_test(test_chain_ipv6_ext),
		cmocka_unit_test(test_chain_ipv6_ext_truncated),
		cmocka_unit_test(test_chain_ipv6_too_many_ext),
		cmocka_unit_test(test_chain_tcp_errors),
		cmocka_unit_test(test_chain_udp_errors),
		cmocka_unit_test(test_chain_icmp_cut),
		cmocka_unit_test(test_chain_ppp),
		cmocka_unit_test(test_chain_pppoe),
		cmocka_unit_test(test_chain_vlan_pppoe),
		cmocka_unit_test(test_chain_chdlc),
		cmocka_unit_test(test_chain_ppi),
		cmocka_unit_test(test_chain_mpls),
		cmocka_unit_test(test_chain_sctp),
		cmocka_unit_test(test_chain_vxlan),
		cmocka_unit_test(test_chain_geneve),
		cmocka_unit_test(test_chain_gre),
		cmocka_unit_test(test_chain_ipip),
		cmocka_unit_test(test_chain_nesting),
		cmocka_unit_test(test_chain_mpls_tunnel),
		cmocka_unit_test(test_ipv4_in_ipv6_addresses),
		cmocka_unit_test(test_carrier_under_mpls),
		cmocka_unit_test(test_stats_and_reuse),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_mutations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
