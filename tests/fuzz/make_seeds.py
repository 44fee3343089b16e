#!/usr/bin/python3
"""make_seeds.py - writes the seed corpora of the fuzz targets.

    /usr/bin/python3 tests/fuzz/make_seeds.py [OUTDIR]

OUTDIR defaults to tests/fuzz/corpus next to this script. Writes
OUTDIR/fuzz_decode/* (one packet each, with the selector byte of
fuzz_decode.c in front), OUTDIR/fuzz_pcap/* (small pcap and pcapng files,
and two record streams with the selector byte of fuzz_pcap.c in front) and
OUTDIR/fuzz_reasm/* (segment sequences in the layout of fuzz_reasm.c),
OUTDIR/fuzz_dns/* (DNS messages and DNS-over-TCP streams), and
the reproducers of open bugs into tests/fuzz/repro/.
Everything is built here with struct; nothing is copied from elsewhere.
The output is deterministic, so re-running it changes nothing.
"""
import os
import struct
import sys

# ---- packet builders -------------------------------------------------------


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ip4(a):
    return bytes(int(x) for x in a.split("."))


def ip6(a):
    head, _, tail = a.partition("::")
    h = [int(x, 16) for x in head.split(":") if x]
    t = [int(x, 16) for x in tail.split(":") if x]
    return struct.pack("!8H", *(h + [0] * (8 - len(h) - len(t)) + t))


MAC_A = bytes.fromhex("020000000001")
MAC_B = bytes.fromhex("020000000002")


def eth(payload, etype, dst=MAC_B, src=MAC_A):
    return dst + src + struct.pack("!H", etype) + payload


def vlan(payload, vid, etype, pcp=0):
    return struct.pack("!HH", (pcp << 13) | vid, etype) + payload


def ipv4(payload, proto, src="10.0.0.1", dst="10.0.0.2", options=b"", frag=0x4000,
         total=None, ident=1, ttl=64):
    ihl = 5 + len(options) // 4
    if total is None:
        total = ihl * 4 + len(payload)
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, total, ident, frag, ttl, proto, 0,
                    ip4(src), ip4(dst)) + options
    h = h[:10] + struct.pack("!H", csum(h)) + h[12:]
    return h + payload


def ipv6(payload, nh, src="2001:db8::1", dst="2001:db8::2", plen=None):
    if plen is None:
        plen = len(payload)
    return struct.pack("!IHBB16s16s", 0x60000000, plen, nh, 64, ip6(src), ip6(dst)) + payload


def tcp(sport, dport, flags, seq=1000, ack=0, payload=b"", options=b"", win=65535):
    off = 5 + len(options) // 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, off << 4, flags, win, 0, 0) + \
        options + payload


def udp(sport, dport, payload=b"", length=None):
    if length is None:
        length = 8 + len(payload)
    return struct.pack("!HHHH", sport, dport, length, 0) + payload


def icmp(typ, code, payload=b""):
    return struct.pack("!BBHHH", typ, code, 0, 0x1234, 1) + payload


def ext6(nh, body):
    """A generic IPv6 extension header (hop-by-hop, routing, dest opts)."""
    total = 2 + len(body)
    pad = (-total) % 8
    body += b"\x01" + bytes([pad - 2]) + b"\0" * (pad - 2) if pad >= 2 else b"\0" * pad
    return struct.pack("!BB", nh, (2 + len(body)) // 8 - 1) + body


def frag6(nh, offset, more, ident=7):
    return struct.pack("!BBHI", nh, 0, (offset << 3) | (1 if more else 0), ident)


def ah6(nh, icv=b"\0" * 12):
    return struct.pack("!BBHII", nh, (12 + len(icv)) // 4 - 2, 0, 0x100, 1) + icv


def sll(payload, proto, ptype=0):
    return struct.pack("!HHH8sH", ptype, 1, 6, MAC_A + b"\0\0", proto) + payload


def sll2(payload, proto, ifindex=2, ptype=0):
    return struct.pack("!HHIHBB8s", proto, 0, ifindex, 1, ptype, 6, MAC_A + b"\0\0") + payload


def null_le(payload, af):
    return struct.pack("<I", af) + payload


def ppp(payload, proto, hdlc=True, compress=False):
    head = b"\xff\x03" if hdlc else b""
    return head + (bytes([proto]) if compress else struct.pack("!H", proto)) + payload


def chdlc(payload, etype, addr=0x0F):
    return struct.pack("!BBH", addr, 0, etype) + payload


def ppi(payload, dlt=1, fields=b""):
    return struct.pack("<BBHI", 0, 0, 8 + len(fields), dlt) + fields + payload


def pppoe(payload, session=0x1234):
    return struct.pack("!BBHH", 0x11, 0, session, len(payload)) + payload


def mpls(payload, labels):
    out = b""
    for i, label in enumerate(labels):
        bos = 1 if i == len(labels) - 1 else 0
        out += struct.pack("!I", (label << 12) | (bos << 8) | 64)
    return out + payload


def sctp(sport, dport, chunks=b""):
    return struct.pack("!HHII", sport, dport, 0, 0) + chunks


SCTP_INIT = struct.pack("!BBHIIHHI", 1, 0, 20, 0xCAFE, 65536, 10, 10, 1)


def vxlan(frame, vni=42):
    return struct.pack("!II", 0x08000000, vni << 8) + frame


def geneve(payload, proto, vni=7, options=b""):
    return struct.pack("!BBHI", len(options) // 4, 0, proto, vni << 8) + options + payload


def gre(payload, proto, key=None, seq=None, csum_=False):
    fl = (0x8000 if csum_ else 0) | (0x2000 if key is not None else 0) | \
        (0x1000 if seq is not None else 0)
    out = struct.pack("!HH", fl, proto)
    if csum_:
        out += b"\0\0\0\0"
    if key is not None:
        out += struct.pack("!I", key)
    if seq is not None:
        out += struct.pack("!I", seq)
    return out + payload


def gre_pptp(ppp_frame, call_id=5, seq=1):
    return struct.pack("!HHHHI", 0x3001, 0x880B, len(ppp_frame), call_id, seq) + ppp_frame


def erspan2(frame, session=3, vlan_=0):
    return struct.pack("!HHI", 0x1000 | vlan_, session, 0) + frame


def erspan3(frame, session=4):
    return struct.pack("!HHIHH", 0x2000, session, 0x11223344, 0, 0) + frame


def frag4(payload, proto, chunk, src="10.9.0.1", dst="10.9.0.2", ident=0x4242):
    """IPv4 fragments of one datagram; chunk is a multiple of 8."""
    out = []
    for off in range(0, len(payload), chunk):
        more = off + chunk < len(payload)
        out.append(ipv4(payload[off:off + chunk], proto, src=src, dst=dst, ident=ident,
                        frag=(0x2000 if more else 0) | (off // 8)))
    return out


def frag6_all(payload, proto, chunk, ident=0x77, pre=b"", pre_nh=None):
    """IPv6 fragments of one datagram, an optional unfragmentable header first."""
    out = []
    for off in range(0, len(payload), chunk):
        more = off + chunk < len(payload)
        fh = frag6(proto, off // 8, more, ident)
        out.append(ipv6(pre + fh + payload[off:off + chunk], pre_nh if pre else 44))
    return out


DNS_Q = bytes.fromhex("123401000001000000000000076578616d706c6503636f6d0000010001")
HTTP_GET = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n"
MSS_SACK = bytes.fromhex("020405b40402080a000000010000000001030307")

# ---- fuzz_decode seeds: selector byte + one packet --------------------------
# selector bits 0-2: 0 EN10MB, 1 LINUX_SLL, 2 LINUX_SLL2, 3 NULL, 4 RAW, 5 PPP,
# 6 C_HDLC, 7 PPI; bit 3: snapped (wirelen > caplen); bits 4-7: how much longer.
EN10MB, SLL, SLL2, NULL, RAW, PPP, CHDLC, PPI, SNAP = 0, 1, 2, 3, 4, 5, 6, 7, 0x08

decode_seeds = {
    "eth_ipv4_tcp_syn": (EN10MB, eth(ipv4(tcp(40000, 80, 0x02, options=MSS_SACK), 6), 0x0800)),
    "eth_ipv4_tcp_http": (EN10MB, eth(ipv4(tcp(40000, 80, 0x18, seq=1001, ack=5001,
                                              payload=HTTP_GET), 6), 0x0800)),
    "eth_ipv4_udp_dns": (EN10MB, eth(ipv4(udp(5353, 53, DNS_Q), 17), 0x0800)),
    "eth_ipv4_icmp_echo": (EN10MB, eth(ipv4(icmp(8, 0, b"ping" * 4), 1), 0x0800)),
    "eth_ipv4_opts_padded": (EN10MB, eth(ipv4(udp(1, 2), 17, options=b"\x01\x01\x01\x00"),
                                         0x0800) + b"\0" * 14),
    "eth_ipv4_frag_nonfirst": (EN10MB, eth(ipv4(b"\xaa" * 16, 17, frag=0x0002), 0x0800)),
    "eth_ipv4_tso_total0": (EN10MB, eth(ipv4(tcp(40000, 443, 0x10), 6, total=0), 0x0800)),
    "eth_arp": (EN10MB, eth(bytes.fromhex("0001080006040001") + MAC_A + ip4("10.0.0.1") +
                            b"\0" * 6 + ip4("10.0.0.2"), 0x0806, dst=b"\xff" * 6)),
    "eth_vlan_ipv4_udp": (EN10MB, eth(vlan(ipv4(udp(1234, 4321, b"hello"), 17), 100, 0x0800),
                                      0x8100)),
    "eth_qinq_ipv6_tcp": (EN10MB, eth(vlan(vlan(ipv6(tcp(50000, 443, 0x02), 6), 20, 0x86dd),
                                           10, 0x8100), 0x88a8)),
    "eth_ipv6_ext_udp": (EN10MB, eth(ipv6(ext6(60, b"") + ext6(44, b"") + frag6(17, 0, True) +
                                          udp(546, 547, b"dhcp"), 0), 0x86dd)),
    "eth_ipv6_frag_nonfirst": (EN10MB, eth(ipv6(frag6(17, 185, False) + b"\xbb" * 24, 44),
                                           0x86dd)),
    "eth_ipv6_ah_icmpv6": (EN10MB, eth(ipv6(ah6(58) + icmp(128, 0, b"echo"), 51), 0x86dd)),
    "sll_ipv4_tcp": (SLL, sll(ipv4(tcp(22, 51000, 0x18, payload=b"SSH-2.0-x\r\n"), 6), 0x0800)),
    "sll2_ipv6_udp": (SLL2, sll2(ipv6(udp(40001, 53, DNS_Q), 17), 0x86dd)),
    "null_ipv4_udp": (NULL, null_le(ipv4(udp(5000, 5001, b"x"), 17,
                                         src="127.0.0.1", dst="127.0.0.1"), 2)),
    "null_ipv6_tcp": (NULL, null_le(ipv6(tcp(5000, 5001, 0x02), 6, src="::1", dst="::1"), 30)),
    # the IP total length says 80, 54 bytes captured, the wire had more
    "raw_ipv4_tcp_snapped": (RAW | SNAP | 0x30,
                             ipv4(tcp(443, 40000, 0x10, payload=b"\x17" * 40), 6)[:54]),
    "raw_ipv6_udp": (RAW, ipv6(udp(123, 123, b"\x23" + b"\0" * 47), 17)),
    "ipv4_sctp_init": (RAW, ipv4(sctp(5000, 38412, SCTP_INIT), 132)),
    "ppp_hdlc_ipv4_tcp": (PPP, ppp(ipv4(tcp(40000, 25, 0x02), 6), 0x0021)),
    "ppp_pfc_ipv6_udp": (PPP, ppp(ipv6(udp(500, 500, b"ike"), 17), 0x57, hdlc=False,
                                  compress=True)),
    "ppp_cisco_framing": (PPP, chdlc(ipv4(udp(7, 7), 17), 0x0800, addr=0x8F)),
    "chdlc_ipv4_udp": (CHDLC, chdlc(ipv4(udp(161, 40000, b"snmp"), 17), 0x0800)),
    "ppi_eth_ipv4_tcp": (PPI, ppi(eth(ipv4(tcp(1, 2, 0x02), 6), 0x0800),
                              fields=struct.pack("<HH", 2, 4) + b"\0" * 4)),
    "eth_pppoe_ipv4_tcp": (EN10MB, eth(pppoe(ppp(ipv4(tcp(40000, 443, 0x02), 6), 0x0021,
                                                 hdlc=False)), 0x8864)),
    "eth_mpls2_ipv4_udp": (EN10MB, eth(mpls(ipv4(udp(1, 2, b"mpls"), 17), [16, 17]), 0x8847)),
    "ipv4_udp_vxlan_eth_ipv4_tcp": (RAW, ipv4(udp(40000, 4789, vxlan(eth(
        ipv4(tcp(1, 2, 0x02), 6, src="192.168.0.1", dst="192.168.0.2"), 0x0800))), 17)),
    "ipv6_udp_geneve_opts_ipv4_udp": (RAW, ipv6(udp(40000, 6081, geneve(
        ipv4(udp(3, 4, b"g"), 17), 0x0800, options=struct.pack("!HBB", 0x0102, 0x80, 1) +
        b"\0" * 4)), 17)),
    "ipv6_udp_geneve_opts_eth_ipv6": (RAW, ipv6(udp(40000, 6081, geneve(
        eth(ipv6(udp(3, 4, b"g"), 17, src="fd00::1", dst="fd00::2"), 0x86DD), 0x6558,
        options=struct.pack("!HBB", 0x0102, 0x80, 1) + b"\0" * 4)), 17)),
    "ipv4_udp_geneve_ipv4_icmp": (RAW, ipv4(udp(40000, 6081, geneve(
        ipv4(icmp(0, 0), 1, src="10.5.0.1", dst="10.5.0.2"), 0x0800)), 17)),
    "ipv4_gre_key_ipv6_udp": (RAW, ipv4(gre(ipv6(udp(5, 6), 17), 0x86DD, key=99, seq=1), 47)),
    "ipv4_gre_teb_eth_ipv4": (RAW, ipv4(gre(eth(ipv4(udp(5, 6), 17), 0x0800), 0x6558), 47)),
    "ipv4_gre_erspan2_eth": (EN10MB, eth(ipv4(gre(erspan2(eth(ipv4(tcp(7, 8, 0x02), 6), 0x0800)),
                                                   0x88BE, seq=1), 47), 0x0800)),
    "ipv4_gre_erspan3_eth": (RAW, ipv4(gre(erspan3(eth(ipv6(udp(9, 10), 17), 0x86DD)), 0x22EB,
                                           seq=2), 47)),
    "ipv4_gre_pptp_ppp_ipv4": (RAW, ipv4(gre_pptp(ppp(ipv4(udp(53, 53), 17), 0x0021)), 47)),
    "ipv4_udp_gre_in_udp_ipv4": (RAW, ipv4(udp(40000, 4754, gre(ipv4(udp(1, 1), 17), 0x0800)),
                                           17)),
    "ipv4_ipip_tcp": (RAW, ipv4(ipv4(tcp(1, 2, 0x02), 6, src="172.16.0.1", dst="172.16.0.2"), 4)),
    "ipv6_in_ipv4_udp": (RAW, ipv4(ipv6(udp(1, 2), 17), 41)),
    # regressions: an inner IPv4 header under an outer IPv6 one once kept
    # bytes 4..15 of the outer addresses in p->src/p->dst
    "regress_ipv4_in_ipv6_addr_tail": (RAW, ipv6(ipv4(udp(1000, 2000, b"x"), 17), 4)),
    "regress_vxlan_over_ipv6_inner_ipv4_esp": (RAW, ipv6(udp(40000, 4789, vxlan(eth(
        ipv4(b"\0" * 16, 50), 0x0800))), 17)),
    "vxlan_in_vxlan_deep": (RAW | 0x80, ipv4(udp(1, 4789, vxlan(eth(ipv4(udp(2, 4789, vxlan(eth(
        ipv4(gre(ipv4(udp(3, 4), 17), 0x0800), 47), 0x0800))), 17), 0x0800))), 17)),
    "eth_vlan_mpls_ipv6_sctp": (EN10MB, eth(vlan(mpls(ipv6(sctp(1, 2, SCTP_INIT), 132), [100]),
                                                 5, 0x8847), 0x8100)),
}

# ---- fuzz_pcap seeds ----------------------------------------------------------


def pcap_file(linktype, records, snaplen=65535, nano=False, big=False):
    e = ">" if big else "<"
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    out = struct.pack(e + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype)
    return out + pcap_records(records, nano, big)


def pcap_records(records, nano=False, big=False):
    e = ">" if big else "<"
    out = b""
    for ts, data, wirelen in records:
        sec, frac = int(ts), round((ts - int(ts)) * (1e9 if nano else 1e6))
        out += struct.pack(e + "IIII", sec, frac, len(data), wirelen or len(data)) + data
    return out


def pcapng_file(linktype, records):
    def block(btype, body):
        body += b"\0" * ((-len(body)) % 4)
        n = 12 + len(body)
        return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

    shb = block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1))
    idb = block(1, struct.pack("<HHI", linktype, 0, 65535))
    out = shb + idb
    for ts, data, wirelen in records:
        t = int(ts * 1e6)
        out += block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, len(data),
                                    wirelen or len(data)) + data)
    return out


T0 = 1700000000.0
C, S = ("10.1.0.1", "10.2.0.2")


def conv_tcp():
    """A short TCP conversation over Ethernet, one record snapped."""
    def p(src, dst, sp, dp, fl, seq, ack, data=b""):
        return eth(ipv4(tcp(sp, dp, fl, seq=seq, ack=ack, payload=data), 6, src=src, dst=dst),
                   0x0800)
    recs = [
        (T0 + 0.000, p(C, S, 40000, 80, 0x02, 100, 0), 0),
        (T0 + 0.010, p(S, C, 80, 40000, 0x12, 500, 101), 0),
        (T0 + 0.020, p(C, S, 40000, 80, 0x10, 101, 501), 0),
        (T0 + 0.030, p(C, S, 40000, 80, 0x18, 101, 501, HTTP_GET), 0),
        (T0 + 0.040, p(S, C, 80, 40000, 0x18, 501, 139, b"HTTP/1.1 200 OK\r\n" + b"y" * 60)[:80],
         14 + 20 + 20 + 77),
        (T0 + 0.050, p(C, S, 40000, 80, 0x11, 139, 578), 0),
        (T0 + 0.060, p(S, C, 80, 40000, 0x11, 578, 140), 0),
        (T0 + 0.070, p(C, S, 40000, 80, 0x10, 140, 579), 0),
    ]
    return recs


def mixed_eth():
    """UDP, ICMP, VLAN, IPv6 and a flow seen again after its timeout."""
    return [
        (T0 + 0.0, eth(ipv4(udp(5353, 53, DNS_Q), 17), 0x0800), 0),
        (T0 + 0.1, eth(ipv4(udp(53, 5353, DNS_Q), 17, src="10.0.0.2", dst="10.0.0.1"), 0x0800), 0),
        (T0 + 0.2, eth(ipv4(icmp(8, 0, b"abcd"), 1), 0x0800), 0),
        (T0 + 0.3, eth(vlan(ipv4(udp(1, 2, b"v"), 17), 7, 0x0800), 0x8100), 0),
        (T0 + 0.4, eth(ipv6(udp(1000, 2000, b"six"), 17), 0x86dd), 0),
        (T0 + 2.5, eth(ipv4(tcp(1, 2, 0x04), 6), 0x0800), 0),
        (T0 + 95.0, eth(ipv4(udp(5353, 53, DNS_Q), 17), 0x0800), 0),
        (T0 + 94.0, eth(ipv4(udp(7, 7, b"late"), 17), 0x0800), 0),
    ]


def sll2_recs():
    return [
        (T0, sll2(ipv6(tcp(50000, 22, 0x02), 6), 0x86dd), 0),
        (T0 + 0.5, sll2(ipv4(udp(68, 67, b"\x01" * 20), 17), 0x0800), 0),
    ]


pcap_seeds = {
    "eth_tcp_conv.pcap": pcap_file(1, conv_tcp()),
    "eth_mixed_ns_be.pcap": pcap_file(1, mixed_eth(), nano=True, big=True),
    "sll2.pcap": pcap_file(276, sll2_recs(), snaplen=262144),
    "sll.pcap": pcap_file(113, [(T0, sll(ipv4(udp(1, 2, b"s"), 17), 0x0800), 0)]),
    "null.pcap": pcap_file(0, [(T0, null_le(ipv4(udp(9, 9), 17), 2), 0),
                               (T0 + 1, null_le(ipv6(udp(9, 9), 17), 24), 0)]),
    "raw_snaplen96.pcap": pcap_file(101, [(T0, ipv4(udp(1, 2, b"r" * 100), 17)[:96], 128)],
                                    snaplen=96),
    "raw.pcapng": pcapng_file(101, [(T0, ipv4(tcp(1, 2, 0x02), 6), 0),
                                    (T0 + 1, ipv6(icmp(128, 0), 58), 0)]),
    "unsupported_linktype.pcap": pcap_file(105, [(T0, b"\x08\x02" + b"\0" * 30, 0)]),
    "ppp.pcap": pcap_file(9, [(T0, ppp(ipv4(tcp(1, 2, 0x02), 6), 0x0021), 0),
                              (T0 + 1, ppp(ipv4(tcp(2, 1, 0x12), 6, src="10.0.0.2",
                                                dst="10.0.0.1"), 0x0021), 0)]),
    "chdlc.pcap": pcap_file(104, [(T0, chdlc(ipv6(udp(1, 2), 17), 0x86DD), 0)]),
    "ppi.pcap": pcap_file(192, [(T0, ppi(eth(ipv4(udp(1, 2), 17), 0x0800)), 0)]),
    "eth_frag4.pcap": pcap_file(1, [
        (T0 + i * 0.001, eth(f, 0x0800), 0) for i, f in enumerate(
            reversed(frag4(udp(1000, 53, DNS_Q * 3), 17, 32)))]),
    "eth_frag4_overlap.pcap": pcap_file(1, [
        (T0, eth(ipv4(udp(7, 7, b"A" * 24), 17, frag=0x2000, ident=9), 0x0800), 0),
        (T0 + 0.001, eth(ipv4(b"B" * 16, 17, frag=0x2000 | 2, ident=9), 0x0800), 0),
        (T0 + 0.002, eth(ipv4(b"C" * 8, 17, frag=4, ident=9), 0x0800), 0)]),
    "raw_frag6_hbh.pcap": pcap_file(101, [
        (T0 + i, f, 0) for i, f in enumerate(frag6_all(tcp(1, 2, 0x18, payload=b"D" * 60), 6, 32,
                                                       pre=ext6(44, b""), pre_nh=0))]),
    "vxlan_inner_frag.pcap": pcap_file(1, [
        (T0 + i, eth(ipv4(udp(40000, 4789, vxlan(eth(f, 0x0800))), 17), 0x0800), 0)
        for i, f in enumerate(frag4(icmp(8, 0, b"p" * 40), 1, 24))]),
    "eth_tunnels.pcap": pcap_file(1, [
        (T0, eth(pppoe(ppp(ipv4(udp(1, 2, b"a"), 17), 0x0021, hdlc=False)), 0x8864), 0),
        (T0 + 1, eth(mpls(ipv4(tcp(3, 4, 0x02), 6), [16, 17, 18]), 0x8847), 0),
        (T0 + 2, eth(ipv4(sctp(5, 6, SCTP_INIT), 132), 0x0800), 0)]),
    # selector byte (fuzz_pcap.c) + records only: 0x00 = EN10MB, LE, us, 65535
    "hdr00_eth_records": b"\x00" + pcap_records(conv_tcp()[:3]),
    # 0x1b = NULL link (3), nanosecond (0x08), big-endian (0x10), snaplen 65535
    "hdr1b_null_records": b"\x1b" + pcap_records(
        [(T0, struct.pack(">I", 2) + ipv4(udp(1, 2), 17), 0)], nano=True, big=True),
}


# ---- fuzz_reasm seeds: operations on one reassembled flow ------------------
# Layout in fuzz_reasm.c: pool byte (1 + (b & 15) chunks), the two directions'
# reference numbers (big-endian), then one operation after another.
R_FIN, R_SYN, R_RST, R_ACK, R_RAW = 0x01, 0x02, 0x04, 0x10, 0x08


def r_seg(d, off, flags=0, ack=None, n=0, raw=None, near=None, seq=None):
    """A segment of direction d: at the reference + 1 + off (16 bits), or
    `near` the direction's next (signed byte), or at absolute `seq`. ack is
    an absolute number, or ("near", delta) from the other side's next. n
    generated payload bytes, or the bytes of raw."""
    if seq is not None:
        out = struct.pack("!BI", d | 4, seq)
    elif near is not None:
        out = struct.pack("!Bb", d, near)
    else:
        out = struct.pack("!BH", d | 2, off)
    if ack is not None:
        flags |= R_ACK
    if raw is not None:
        flags |= R_RAW
        n = len(raw)
    out += bytes([flags])
    if ack is not None:
        out += struct.pack("!b", ack[1]) if isinstance(ack, tuple) else struct.pack("!BI", 0x80, ack)
    if n < 0xF0:
        out += bytes([n])
    else:
        assert n % 4 == 0 and n // 4 < 4096
        out += struct.pack("!BB", 0xF0 | (n // 4) >> 8, (n // 4) & 0xFF)
    return out + (raw or b"")


R_FLUSH, R_RELEASE, R_NEWFLOW = b"\x06", b"\x0e", b"\x16"


def r_input(chunks, isn0, isn1, ops):
    return bytes([chunks - 1]) + struct.pack("!II", isn0, isn1) + b"".join(ops)


def r_handshake(i0, i1):
    return [r_seg(0, 0, R_SYN, seq=i0), r_seg(1, 0, R_SYN, ack=i0 + 1, seq=i1),
            r_seg(0, 0, ack=i1 + 1)]


reasm_seeds = {
    "in_order_fin": r_input(8, 1000, 9000, r_handshake(1000, 9000) + [
        r_seg(0, 0, n=100), r_seg(1, 0, ack=("near", 0), n=200), r_seg(0, 100, n=50),
        r_seg(0, 150, R_FIN, ack=("near", 0)), r_seg(1, 200, R_FIN, ack=1000 + 152),
        r_seg(0, 151, ack=9000 + 202)]),
    "reorder_1byte": r_input(2, 7, 3000, [r_seg(0, 0, R_SYN, seq=7)] + [
        r_seg(0, k ^ 1, n=1) for k in range(40)] + [r_seg(0, k, n=1) for k in range(39, -1, -3)]),
    "wrap_reversed": r_input(8, 0xFFFFFF00, 0x7FFFFFF0, [r_seg(0, 0, R_SYN, seq=0xFFFFFF00)] + [
        r_seg(0, off, n=64) for off in range(576, -1, -64)]),
    "ack_gap": r_input(8, 100, 200, r_handshake(100, 200) + [
        r_seg(0, 0, n=100), r_seg(0, 200, n=100), r_seg(1, 0, ack=101 + 300, n=10),
        r_seg(0, 100, n=100), r_seg(0, 350, n=20), r_seg(1, 10, ack=101 + 500)]),
    "full_one_sided": r_input(16, 0, 0, [r_seg(0, 0, R_SYN, seq=0)] + [
        r_seg(0, 100 + 2048 * k, n=2048) for k in range(17)]),
    "exhaustion": r_input(1, 5, 50, r_handshake(5, 50) + [
        r_seg(0, 10, n=10), r_seg(0, 30, n=10), r_seg(0, 0, n=40), r_seg(1, 0, n=5)]),
    "overlap_raw": r_input(4, 40, 80, [r_seg(1, 0, R_SYN, seq=80), r_seg(1, 10, n=20),
                                      r_seg(1, 5, raw=b"0123456789ABCDEFGHIJ"),
                                      r_seg(1, 0, n=40), r_seg(1, 0, near=-1, n=1)]),
    "flush_release_newflow": r_input(6, 0x7FFFFFFF, 1, r_handshake(0x7FFFFFFF, 1) + [
        r_seg(0, 20, n=30), r_seg(0, 5000, n=4000), r_seg(1, 9, n=3), R_FLUSH,
        r_seg(1, 40, n=3), R_RELEASE, R_NEWFLOW, r_seg(1, 0, near=0, n=12),
        r_seg(0, 0, n=9, seq=123456), r_seg(0, 0, R_SYN, seq=777)]),
    "midstream_syn_reset": r_input(8, 1 << 31, 3, [
        r_seg(0, 0, n=30, seq=1 << 31), r_seg(0, 60, n=30), r_seg(1, 0, ack=("near", 60), n=8),
        r_seg(0, 0, R_SYN, seq=12345), r_seg(0, 0, n=10, seq=12346),
        r_seg(0, 0, n=10, seq=12356 + (1 << 30) + 100)]),
    # regressions: a segment all before next, by almost 2^31, was compared
    # with pieces almost 2^31 ahead (read far outside it)
    "regress_old_segment_far_pieces": r_input(8, 0, 0, [
        r_seg(0, 0, n=10, seq=(1 << 31) + 1), r_seg(0, 0, n=20, seq=(1 << 31) + 100),
        r_seg(0, 0, n=100, seq=13)]),
    # an old ACK (before next) that is after the FIN modulo 2^32 made gaps
    # up to the FIN, past the ACK
    "regress_old_ack_after_far_fin": r_input(8, 0, 0, [
        r_seg(1, 0, n=10, seq=1 << 31), r_seg(1, 0, R_FIN, n=100, seq=(1 << 31) + 60),
        r_seg(0, 0, ack=100, seq=5)]),
}


# ---- fuzz_dns seeds: DNS messages (fuzz_dns.c reads each input as one ---------
# message and as a DNS-over-TCP stream of 2-byte length-prefixed frames)

def dns_name(name, end=True):
    """Wire labels of a dotted name; with end, the final 0."""
    out = b"".join(bytes([len(lab)]) + lab.encode("latin-1") for lab in name.split(".") if lab)
    return out + (b"\0" if end else b"")


def dns_ptr(off):
    return struct.pack("!H", 0xC000 | off)


def dns_hdr(ident, flags, qd, an, ns=0, ar=0):
    return struct.pack("!6H", ident, flags, qd, an, ns, ar)


def dns_q(name, qtype=1, qclass=1):
    return (dns_name(name) if isinstance(name, str) else name) + struct.pack("!HH", qtype, qclass)


def dns_rr(owner, rtype, rdata, ttl=60, rclass=1):
    return owner + struct.pack("!HHIH", rtype, rclass, ttl, len(rdata)) + rdata


def dns_tcp(*msgs):
    return b"".join(struct.pack("!H", len(m)) + m for m in msgs)


def _dns_chain():
    # www.pool.example (12) -> CNAME "cdn" + -> 16 (pool.example), at 46;
    # A records for cdn.pool.example (-> 46) and edge + -> 46
    q = dns_hdr(0xBEEF, 0x8180, 1, 4) + dns_q("www.pool.example")
    a1 = dns_rr(dns_ptr(12), 5, b"\x03cdn" + dns_ptr(16), ttl=300)
    a2 = dns_rr(dns_ptr(46), 1, bytes([192, 0, 2, 10]))
    a3 = dns_rr(dns_name("edge", False) + dns_ptr(46), 1, bytes([192, 0, 2, 11]))
    a4 = dns_rr(dns_ptr(46), 28, bytes.fromhex("20010db8000000000000000000000001"))
    return q + a1 + a2 + a3 + a4


def _dns_deep():
    # question i points at question i - 1's name: 16 jumps, the most followed
    out = dns_hdr(7, 0x0100, 17, 0) + dns_q("deep")
    prev = 12
    for _ in range(16):
        here = len(out)
        out += dns_q(dns_ptr(prev))
        prev = here
    return out


_dns_a = dns_hdr(0x1234, 0x8180, 1, 1) + dns_q("example.com") + \
    dns_rr(dns_ptr(12), 1, bytes([93, 184, 216, 34]), ttl=3600)
_dns_aaaa = dns_hdr(0x4321, 0x8580, 1, 1) + dns_q("example.com", 28) + \
    dns_rr(dns_ptr(12), 28, bytes.fromhex("26062800022000010248189325c81946"), ttl=300)

dns_seeds = {
    "a_response": _dns_a,
    "aaaa_response": _dns_aaaa,
    "cname_chain_compressed": _dns_chain(),
    "query": dns_hdr(0xABCD, 0x0100, 1, 0) + dns_q("pool.supportxmr.com"),
    # a.example.com A, then "b" + -> 14 AAAA; answers to both
    "two_questions": dns_hdr(2, 0x8180, 2, 2) + dns_q("a.example.com") +
    dns_q(b"\x01b" + dns_ptr(14), 28) + dns_rr(dns_ptr(12), 1, bytes([192, 0, 2, 1])) +
    dns_rr(dns_ptr(31), 28, bytes(15) + b"\x01"),
    # MX, TXT, OPT, A in class CH, a private type, then A IN; TTL top bit
    "skipped_types": dns_hdr(0x0D0D, 0x8180, 1, 6) + dns_q("example.com", 255) +
    dns_rr(dns_ptr(12), 15, b"\x00\x0a" + dns_name("mail", False) + dns_ptr(12)) +
    dns_rr(dns_ptr(12), 16, b"\x0bhello world") +
    dns_rr(b"\0", 41, b"", ttl=0, rclass=4096) +
    dns_rr(dns_ptr(12), 1, bytes([10, 0, 0, 1]), rclass=3) +
    dns_rr(dns_ptr(12), 0xFF00, b"\xc0\xff\xff") +
    dns_rr(dns_ptr(12), 1, bytes([192, 0, 2, 99]), ttl=0x80000001),
    # NXDOMAIN with an SOA in the authority section (not read)
    "nxdomain": dns_hdr(0x0F0F, 0x8183, 1, 0, 1) + dns_q("nope.example") +
    dns_rr(dns_ptr(17), 6, dns_name("ns", False) + dns_ptr(17) + dns_name("hostmaster", False) +
           dns_ptr(17) + struct.pack("!5I", 1, 7200, 3600, 1209600, 300), ttl=3600),
    # names not kept: a '.' in a label, a space, UTF-8, upper case kept
    "bad_chars": dns_hdr(0x1010, 0x8180, 1, 4) + dns_q("Pool.Example") +
    dns_rr(b"\x03a.b" + dns_ptr(12), 1, bytes([10, 0, 0, 1])) +
    dns_rr(dns_ptr(12), 5, b"\x03a b" + dns_ptr(12)) +
    dns_rr(b"\x05caf\xc3\xa9" + dns_ptr(12), 28, bytes(16)) +
    dns_rr(dns_ptr(12), 1, bytes([192, 0, 2, 7])),
    # the longest name (255 wire bytes), then "a" + -> it (257: too long)
    "long_names": dns_hdr(13, 0x8180, 1, 2) +
    dns_q(".".join(c * n for c, n in (("q", 63), ("r", 63), ("s", 63), ("t", 61)))) +
    dns_rr(dns_ptr(12), 1, bytes([192, 0, 2, 1])) +
    dns_rr(dns_name("a", False) + dns_ptr(12), 1, bytes([192, 0, 2, 2])),
    "deep_pointers": _dns_deep(),
    # an A record, then a name pointing to itself
    "self_pointer": dns_hdr(4, 0x8180, 1, 2) + dns_q("loop") +
    dns_rr(dns_ptr(12), 1, bytes([192, 0, 2, 1])) + dns_rr(dns_ptr(38), 1, bytes([192, 0, 2, 2])),
    # DNS over TCP: two frames back to back, then half of a third
    "tcp_frames": dns_tcp(_dns_a, _dns_aaaa) + struct.pack("!H", 200) + _dns_a[:20],
    # regression (fuzz_dns's input, as found): the answer's name -> 14, a
    # 0x1c read as a 28-byte label running past the pointer, so a prefix of
    # the message reported something else; now a pointer loop
    "regress_pointed_name_past_pointer": bytes.fromhex(
        "432100420001000103636f6d00001c0001c00e001c000100"
        "00012c00107fffffff782cffffff6561011c00012c00"),
}


# ---- reproducers of bugs found by fuzzing (tests/fuzz/repro/) ------------------
# Not in the seed corpus while the bug is open (every `make fuzz` would stop at
# once); move each into the seeds above once fixed, as a regression seed.

def _carrier_padded():
    """VXLAN carrying a small ICMP echo in two legal inner IPv4 fragments, each
    inner Ethernet frame padded to 60 bytes: the carrier of the reassembled
    packet (p->carrier, from the first fragment) reaches past its frame."""
    recs = []
    for i, f in enumerate(frag4(icmp(8, 0, b"abcdefgh"), 1, 8)):
        inner = eth(f, 0x0800)
        inner += b"\0" * (60 - len(inner))
        recs.append((T0 + i * 0.001, eth(ipv4(udp(40000, 4789, vxlan(inner)), 17), 0x0800), 0))
    return pcap_file(1, recs)


repro = {
    "pcap_vxlan_padded_inner_frags_carrier.pcap": _carrier_padded(),
}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus")
    total = 0
    for target, seeds in (("fuzz_decode", {k: bytes([s]) + d for k, (s, d) in
                                           decode_seeds.items()}),
                          ("fuzz_pcap", pcap_seeds), ("fuzz_reasm", reasm_seeds),
                          ("fuzz_dns", dns_seeds)):
        d = os.path.join(out, target)
        os.makedirs(d, exist_ok=True)
        for name, data in sorted(seeds.items()):
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += len(data)
    rdir = os.path.join(here, "repro")
    os.makedirs(rdir, exist_ok=True)
    for name, data in sorted(repro.items()):
        with open(os.path.join(rdir, name), "wb") as f:
            f.write(data)
    print("make_seeds: %d files, %d bytes in %s; %d reproducers in %s" % (
        len(decode_seeds) + len(pcap_seeds) + len(reasm_seeds) + len(dns_seeds), total, out, len(repro), rdir))


if __name__ == "__main__":
    main()
