#!/usr/bin/python3
"""Deterministic generator of davy's test captures and of their ground truth.

    /usr/bin/python3 pcaps/gen.py pcaps/

writes every capture into the given directory, plus manifest.json that says,
for each capture, which flows davy must report and how many packets must be
counted as decode errors, as unattributed fragments or as unsupported.

Needs Debian's python3-scapy (2.5); scapy only builds the IP/TCP/UDP/ICMP
bytes. Link headers, pcap and pcapng files are written here with struct, so the
output is byte-identical on every run: timestamps are fixed (the first packet of
every capture is at 2024-01-01T00:00:00Z), IP ids, TCP sequence numbers, MAC
addresses and DNS ids are explicit, and nothing reads the clock or a random
source.

The truth is not typed in by hand. Every packet is built with a label of what
it is meant to be (a flow packet, a decode error, a non-first fragment, an
unsupported frame); a small reference decoder below then re-reads the bytes
exactly as davy is specified to, checks that it agrees with the label, and a
reference flow table (rules in RULES) turns the decoded packets into the
expected flow records.
"""

import hashlib
import ipaddress
import json
import logging
import os
import struct
import sys

logging.getLogger("scapy.runtime").setLevel(logging.ERROR)
from scapy.all import (  # noqa: E402
    DNS, DNSQR, DNSRR, ICMP, IP, IPv6, TCP, UDP, Raw, raw,
    ICMPv6EchoRequest, ICMPv6EchoReply, ICMPv6DestUnreach,
    IPOption_NOP, IPOption_Router_Alert, IPOption_RR, IPOption_Timestamp,
    IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, IPv6ExtHdrHopByHop,
    IPv6ExtHdrRouting, IPv6ExtHdrSegmentRouting, PadN, RouterAlert,
)

T0 = 1704067200  # 2024-01-01T00:00:00Z
T0_US = T0 * 1_000_000

# Link types (LINKTYPE_* as written in pcap/pcapng files).
LT_NULL, LT_ETH, LT_RAW, LT_LOOP, LT_SLL, LT_IPV4, LT_IPV6, LT_SLL2 = (
    0, 1, 101, 108, 113, 228, 229, 276)

ETH_IPV4, ETH_IPV6, ETH_ARP = 0x0800, 0x86DD, 0x0806
TPID_8021Q, TPID_8021AD, TPID_9100 = 0x8100, 0x88A8, 0x9100
VLAN_TPIDS = (TPID_8021Q, TPID_8021AD, TPID_9100)
MAX_VLAN = 3

# Idle timeouts in seconds, per protocol class and state.
TIMEOUTS = {
    "TCP": {"new": 60, "established": 600, "closed": 60},
    "UDP": {"new": 30, "established": 300},
    "ICMP": {"new": 30, "established": 300},
    "IPv6-ICMP": {"new": 30, "established": 300},
}

RULES = {
    "flow_key": "proto + unordered pair of (address, port) + list of VLAN ids "
                "(outermost first). ICMP/ICMPv6 flows are keyed by addresses "
                "only (ports 0): every ICMP message between two hosts is one "
                "flow. The capture interface is not part of the key.",
    "src": "sender of the first packet of the flow; where that packet is a "
           "SYN-ACK, src is its receiver (the SYN sender). toserver = src->dest.",
    "state": "new until packets were seen in both directions, then "
             "established (TCP too: a completed handshake or midstream "
             "traffic both ways). TCP becomes closed on RST, or once a FIN "
             "was seen from both sides; closed never goes back.",
    "timeouts_s": TIMEOUTS,
    "timeout_rule": "a packet arriving more than timeout(state) seconds after "
                    "the flow's last packet ends that flow (reason timeout) "
                    "and starts a new one with the same key",
    "reason": "for flows still open at end of input: timeout if "
              "(last packet ts of the whole capture - flow end) > "
              "timeout(state), else shutdown. No capture is exactly on a "
              "boundary.",
    "bytes": "sums of wire lengths (pcap orig_len / pcapng original length), "
             "link header and Ethernet padding included",
    "start_end": "epoch seconds (float, microsecond precision) of the flow's "
                 "first and last packet",
    "decode_errors": "packets truncated or malformed at some layer; "
                     "attributed to no flow",
    "fragments_unattributed": "non-first IPv4/IPv6 fragments (offset != 0); "
                              "a first fragment with the whole L4 header and "
                              "an atomic IPv6 fragment belong to their flow",
    "decode_error_kinds": [
        "link header shorter than its fixed size (Ethernet < 14 bytes, ...)",
        "more than 3 VLAN tags",
        "IPv4: < 20 bytes, version != 4, IHL < 5, options cut, total length < "
        "IHL*4, total length > captured bytes while caplen == wire len",
        "IPv6: < 40 bytes, version != 6, payload length > captured bytes while "
        "caplen == wire len, an extension header (0, 43, 44, 60) running past "
        "the end",
        "raw IP (101) with a version nibble other than 4 or 6",
        "TCP: < 20 bytes of header available (also when cut by snaplen), data "
        "offset < 5",
        "UDP: < 8 bytes, length field < 8",
        "ICMP/ICMPv6: < 4 bytes",
    ],
    "snaplen": "a packet cut by the snaplen (caplen < wire len) whose headers "
               "are all present is attributed normally",
    "unsupported": "well-formed frames davy does not decode (ARP, 802.3 "
                   "length frames, unknown ethertypes); not errors, no flow",
    "packets": "records in the file (complete records only for a truncated "
               "file) = sum of flow packets + decode_errors + "
               "fragments_unattributed + unsupported",
    "ip_format": "IPv6 addresses in RFC 5952 compressed form",
}

MAC_CLIENT = bytes.fromhex("02000000000a")
MAC_SERVER = bytes.fromhex("020000000001")  # the router / server side


def us(seconds):
    """Offset in seconds from T0 -> absolute microseconds."""
    return T0_US + round(seconds * 1_000_000)


# --------------------------------------------------------------------------
# Link layers (plain struct, no scapy)

def eth(l3, src=MAC_CLIENT, dst=MAC_SERVER, tags=(), ethertype=None, pad=True):
    """Ethernet II frame around L3 bytes. tags: [(tpid, vid, pcp), ...]
    outermost first. Padded to the 60-byte minimum like a real NIC would."""
    if ethertype is None:
        ethertype = ETH_IPV6 if l3[:1] and l3[0] >> 4 == 6 else ETH_IPV4
    hdr = dst + src
    for tpid, vid, pcp in tags:
        hdr += struct.pack("!HH", tpid, (pcp << 13) | vid)
    frame = hdr + struct.pack("!H", ethertype) + l3
    if pad and len(frame) < 60:
        frame += b"\x00" * (60 - len(frame))
    return frame


def sll(l3, outgoing=False, addr=MAC_CLIENT):
    """Linux cooked v1 (DLT_LINUX_SLL) header: 16 bytes."""
    proto = ETH_IPV6 if l3[0] >> 4 == 6 else ETH_IPV4
    pkttype = 4 if outgoing else 0
    return struct.pack("!HHH8sH", pkttype, 1, 6, addr, proto) + l3


def sll2(l3, outgoing=False, addr=MAC_CLIENT, ifindex=2):
    """Linux cooked v2 (DLT_LINUX_SLL2) header: 20 bytes."""
    proto = ETH_IPV6 if l3[0] >> 4 == 6 else ETH_IPV4
    pkttype = 4 if outgoing else 0
    return struct.pack("!HHIHBB8s", proto, 0, ifindex, 1, pkttype, 6, addr) + l3


def null(l3, family=None, order="<"):
    """BSD loopback header: 4-byte address family in host byte order
    (order '<') or network order for DLT_LOOP (order '>')."""
    if family is None:
        family = 30 if l3[0] >> 4 == 6 else 2
    return struct.pack(order + "I", family) + l3


# --------------------------------------------------------------------------
# L3/L4 builders (scapy)

def ip_hdr(src, dst, ipid, ttl=64, options=None, ext=None):
    """IPv4 or IPv6 header (scapy layer) by address family. ext: a scapy
    chain of IPv6 extension headers placed after the fixed header."""
    if ":" in src:
        h = IPv6(src=src, dst=dst, hlim=ttl, fl=0, tc=0)
        if ext is not None:
            h = h / ext
        return h
    kw = {"options": options} if options else {}
    return IP(src=src, dst=dst, id=ipid, ttl=ttl, flags="DF", tos=0, **kw)


class Tcp:
    """One TCP connection; tracks sequence numbers so that packets are
    consistent. Each call returns the L3 bytes of one packet."""

    def __init__(self, cli, cport, srv, sport, cisn=1000, sisn=5000,
                 cipid=100, sipid=2000, ipopts=None, ext=None):
        self.cli, self.cport, self.srv, self.sport = cli, cport, srv, sport
        self.seq = {True: cisn, False: sisn}  # True = from client
        self.ipid = {True: cipid, False: sipid}
        self.ipopts = ipopts  # callable(from_client) -> IPv4 options or None
        self.ext = ext        # callable(from_client) -> IPv6 ext chain or None

    def pkt(self, fc, flags, payload=b"", opts=None, win=None):
        src, dst = (self.cli, self.srv) if fc else (self.srv, self.cli)
        sp, dp = (self.cport, self.sport) if fc else (self.sport, self.cport)
        ack = self.seq[not fc] if "A" in flags else 0
        ipo = self.ipopts(fc) if self.ipopts else None
        ext = self.ext(fc) if self.ext else None
        h = ip_hdr(src, dst, self.ipid[fc], options=ipo, ext=ext)
        t = TCP(sport=sp, dport=dp, seq=self.seq[fc], ack=ack, flags=flags,
                window=win if win is not None else (64240 if fc else 65160),
                options=opts or [], urgptr=0)
        p = h / t
        if payload:
            p = p / Raw(payload)
        self.ipid[fc] += 1
        self.seq[fc] += len(payload) + ("S" in flags) + ("F" in flags)
        return raw(p)

    SYN_OPTS = [("MSS", 1460), ("SAckOK", b""), ("NOP", None), ("WScale", 7)]

    def syn(self):
        return self.pkt(True, "S", opts=self.SYN_OPTS)

    def synack(self):
        return self.pkt(False, "SA", opts=self.SYN_OPTS)

    def ack(self, fc):
        return self.pkt(fc, "A")

    def data(self, fc, payload):
        return self.pkt(fc, "PA", payload)

    def fin(self, fc):
        return self.pkt(fc, "FA")

    def rstack(self, fc):
        return self.pkt(fc, "RA", win=0)


def udp(src, sport, dst, dport, payload, ipid=300, options=None, ext=None):
    p = ip_hdr(src, dst, ipid, options=options, ext=ext) / UDP(sport=sport, dport=dport)
    return raw(p / Raw(bytes(payload)))


def dns_query(qid, name, qtype):
    return raw(DNS(id=qid, rd=1, qd=DNSQR(qname=name, qtype=qtype)))


def dns_answer(qid, name, qtype, rdata):
    return raw(DNS(id=qid, qr=1, rd=1, ra=1, qd=DNSQR(qname=name, qtype=qtype),
                   an=DNSRR(rrname=name, type=qtype, ttl=3600, rdata=rdata)))


def icmp_echo(src, dst, ipid, req, ident, seq, payload=b"davy-ping-0123456789"):
    if ":" in src:
        cls = ICMPv6EchoRequest if req else ICMPv6EchoReply
        return raw(ip_hdr(src, dst, ipid) / cls(id=ident, seq=seq, data=payload))
    return raw(ip_hdr(src, dst, ipid) / ICMP(type=8 if req else 0, id=ident, seq=seq) / Raw(payload))


HTTP_REQ = (b"GET / HTTP/1.1\r\nHost: www.example.com\r\n"
            b"User-Agent: davy-test/1.0\r\nAccept: */*\r\n\r\n")
HTTP_BODY = (b"<!doctype html>\n<html><head><title>Example Domain</title></head>"
             b"<body><h1>Example Domain</h1><p>davy test page.</p></body></html>\n")
HTTP_RESP = (b"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=UTF-8\r\n"
             b"Content-Length: " + str(len(HTTP_BODY)).encode() + b"\r\n"
             b"Connection: close\r\n\r\n" + HTTP_BODY)


# --------------------------------------------------------------------------
# Capture container and writers

class Rec:
    __slots__ = ("ts_us", "data", "wirelen", "expect", "iface", "note")

    def __init__(self, ts_us, data, wirelen, expect, iface, note):
        self.ts_us, self.data, self.wirelen = ts_us, data, wirelen
        self.expect, self.iface, self.note = expect, iface, note


class Cap:
    def __init__(self, name, linktype, desc, fmt="pcap", snaplen=65535,
                 order="<", nsec=False, ifaces=None):
        self.name, self.linktype, self.desc = name, linktype, desc
        self.fmt, self.snaplen, self.order, self.nsec = fmt, snaplen, order, nsec
        # pcapng: list of dicts {linktype, name, tsresol}
        self.ifaces = ifaces or [{"linktype": linktype, "name": "eth0", "tsresol": 6}]
        self.recs = []
        self.extra = {}          # extra manifest fields (error, ...)
        self.complete = None     # records that survive truncation
        self.chop = 0            # bytes removed from the end of the file

    def add(self, t, frame, expect="flow", caplen=None, iface=0, note=None):
        """t: seconds after T0. expect: flow | error | frag | unsupported."""
        wirelen = len(frame)
        data = frame if caplen is None else frame[:caplen]
        self.recs.append(Rec(us(t), data, wirelen, expect, iface, note))

    def linktype_of(self, rec):
        return self.ifaces[rec.iface]["linktype"] if self.fmt == "pcapng" else self.linktype

    # -- writers
    def pcap_bytes(self):
        o = self.order
        magic = 0xA1B23C4D if self.nsec else 0xA1B2C3D4
        out = [struct.pack(o + "IHHiIII", magic, 2, 4, 0, 0, self.snaplen, self.linktype)]
        for r in self.recs:
            sec, frac = divmod(r.ts_us, 1_000_000)
            if self.nsec:
                frac *= 1000
            out.append(struct.pack(o + "IIII", sec, frac, len(r.data), r.wirelen))
            out.append(r.data)
        return b"".join(out)

    def pcapng_bytes(self):
        def block(btype, body):
            body += b"\x00" * (-len(body) % 4)
            n = len(body) + 12
            return struct.pack("<II", btype, n) + body + struct.pack("<I", n)

        def opt(code, val):
            return struct.pack("<HH", code, len(val)) + val + b"\x00" * (-len(val) % 4)

        end = struct.pack("<HH", 0, 0)
        out = [block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
                     + opt(1, b"davy test capture (pcaps/gen.py)")
                     + opt(4, b"davy pcaps/gen.py") + end)]
        for ifc in self.ifaces:
            opts = opt(2, ifc["name"].encode())
            if ifc["tsresol"] != 6:
                opts += opt(9, bytes([ifc["tsresol"]]))
            out.append(block(1, struct.pack("<HHI", ifc["linktype"], 0, self.snaplen)
                             + opts + end))

        def units(r):
            res = self.ifaces[r.iface]["tsresol"]
            return r.ts_us * 10 ** res // 1_000_000

        for r in self.recs:
            ts = units(r)
            body = struct.pack("<IIIII", r.iface, ts >> 32, ts & 0xFFFFFFFF,
                               len(r.data), r.wirelen) + r.data
            body += b"\x00" * (-len(body) % 4)
            out.append(block(6, body))
        if len(self.ifaces) > 1 and self.recs:
            # An Interface Statistics Block: readers must skip it.
            r = self.recs[-1]
            ts = units(r)
            n = sum(1 for x in self.recs if x.iface == r.iface)
            out.append(block(5, struct.pack("<III", r.iface, ts >> 32, ts & 0xFFFFFFFF)
                             + opt(4, struct.pack("<Q", n))
                             + opt(5, struct.pack("<Q", 0)) + end))
        return b"".join(out)

    def file_bytes(self):
        b = self.pcapng_bytes() if self.fmt == "pcapng" else self.pcap_bytes()
        return b[:len(b) - self.chop] if self.chop else b


# --------------------------------------------------------------------------
# Reference decoder: what davy must make of one record.

class Dec:
    __slots__ = ("kind", "why", "proto", "src", "dst", "sport", "dport", "vlan", "flags")

    def __init__(self, kind, why=""):
        self.kind, self.why = kind, why
        self.proto = self.src = self.dst = None
        self.sport = self.dport = 0
        self.vlan = ()
        self.flags = 0


def decode(linktype, data, wirelen):
    snapped = len(data) < wirelen

    def err(why):
        return Dec("error", why)

    vlans = []
    if linktype == LT_ETH:
        if len(data) < 14:
            return err("eth: frame < 14 bytes")
        et, off = struct.unpack_from("!H", data, 12)[0], 14
        if et < 0x0600:
            return Dec("unsupported", "802.3 length frame")
    elif linktype == LT_SLL:
        if len(data) < 16:
            return err("sll: < 16 bytes")
        et, off = struct.unpack_from("!H", data, 14)[0], 16
    elif linktype == LT_SLL2:
        if len(data) < 20:
            return err("sll2: < 20 bytes")
        et, off = struct.unpack_from("!H", data, 0)[0], 20
    elif linktype in (LT_NULL, LT_LOOP):
        if len(data) < 4:
            return err("null: < 4 bytes")
        fam = struct.unpack_from("<I" if linktype == LT_NULL else "!I", data, 0)[0]
        off = 4
        if fam == 2:
            et = ETH_IPV4
        elif fam in (24, 28, 30):
            et = ETH_IPV6
        else:
            return Dec("unsupported", "null: family %d" % fam)
    elif linktype == LT_RAW:
        if len(data) < 1:
            return err("raw: empty")
        v = data[0] >> 4
        if v not in (4, 6):
            return err("raw: version %d" % v)
        et, off = (ETH_IPV4 if v == 4 else ETH_IPV6), 0
    elif linktype == LT_IPV4:
        et, off = ETH_IPV4, 0
    elif linktype == LT_IPV6:
        et, off = ETH_IPV6, 0
    else:
        raise ValueError("linktype %d" % linktype)

    while et in VLAN_TPIDS:
        if len(data) < off + 4:
            return err("vlan: tag cut")
        if len(vlans) == MAX_VLAN:
            return err("vlan: more than %d tags" % MAX_VLAN)
        tci, et = struct.unpack_from("!HH", data, off)
        vlans.append(tci & 0x0FFF)
        off += 4

    frag = False
    if et == ETH_IPV4:
        ip = data[off:]
        if len(ip) < 20:
            return err("ipv4: < 20 bytes")
        if ip[0] >> 4 != 4:
            return err("ipv4: version %d" % (ip[0] >> 4))
        ihl = (ip[0] & 15) * 4
        if ihl < 20:
            return err("ipv4: IHL < 5")
        if len(ip) < ihl:
            return err("ipv4: options cut")
        tot = struct.unpack_from("!H", ip, 2)[0]
        if tot < ihl:
            return err("ipv4: total length < header")
        if tot > len(ip) and not snapped:
            return err("ipv4: total length > frame")
        ip = ip[:tot]
        fo = struct.unpack_from("!H", ip, 6)[0]
        if fo & 0x1FFF:
            frag = True
        proto = ip[9]
        src, dst = ip[12:16], ip[16:20]
        l4 = ip[ihl:]
    elif et == ETH_IPV6:
        ip = data[off:]
        if len(ip) < 40:
            return err("ipv6: < 40 bytes")
        if ip[0] >> 4 != 6:
            return err("ipv6: version %d" % (ip[0] >> 4))
        plen = struct.unpack_from("!H", ip, 4)[0]
        if 40 + plen > len(ip) and not snapped:
            return err("ipv6: payload length > frame")
        ip = ip[:40 + plen]
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        p = 40
        while proto in (0, 43, 44, 60):
            if len(ip) < p + 8:
                return err("ipv6: extension header %d cut" % proto)
            if proto == 44:
                fo = struct.unpack_from("!H", ip, p + 2)[0]
                if fo >> 3:
                    frag = True
                    break
                hl = 8
            else:
                hl = (ip[p + 1] + 1) * 8
                if len(ip) < p + hl:
                    return err("ipv6: extension header %d runs past the end" % proto)
            proto, p = ip[p], p + hl
        l4 = ip[p:]
    elif et == ETH_ARP:
        return Dec("unsupported", "arp")
    else:
        return Dec("unsupported", "ethertype %#x" % et)

    if frag:
        return Dec("frag", "non-first fragment")

    d = Dec("flow")
    d.src = str(ipaddress.ip_address(bytes(src)))
    d.dst = str(ipaddress.ip_address(bytes(dst)))
    d.vlan = tuple(vlans)
    v6 = et == ETH_IPV6
    if proto == 6:
        if len(l4) < 20:
            return err("tcp: < 20 bytes")
        if l4[12] >> 4 < 5:
            return err("tcp: data offset < 5")
        d.proto = "TCP"
        d.sport, d.dport = struct.unpack_from("!HH", l4, 0)
        d.flags = l4[13]
    elif proto == 17:
        if len(l4) < 8:
            return err("udp: < 8 bytes")
        if struct.unpack_from("!H", l4, 4)[0] < 8:
            return err("udp: length < 8")
        d.proto = "UDP"
        d.sport, d.dport = struct.unpack_from("!HH", l4, 0)
    elif (proto == 1 and not v6) or (proto == 58 and v6):
        if len(l4) < 4:
            return err("icmp: < 4 bytes")
        d.proto = "IPv6-ICMP" if v6 else "ICMP"
    else:
        return Dec("unsupported", "ip proto %d" % proto)
    return d


# --------------------------------------------------------------------------
# Reference flow table

class Flow:
    def __init__(self, d, ts, idx):
        self.proto = d.proto
        synack = d.proto == "TCP" and (d.flags & 0x12) == 0x12
        if synack:
            self.src, self.sport, self.dst, self.dport = d.dst, d.dport, d.src, d.sport
        else:
            self.src, self.sport, self.dst, self.dport = d.src, d.sport, d.dst, d.dport
        self.vlan = d.vlan
        self.pkts = [0, 0]
        self.bytes = [0, 0]
        self.start = self.end = ts
        self.idx = idx
        self.fin = [False, False]
        self.closed = False
        self.reason = None

    def state(self):
        if self.closed:
            return "closed"
        return "established" if self.pkts[0] and self.pkts[1] else "new"

    def timeout_us(self):
        return TIMEOUTS[self.proto][self.state()] * 1_000_000

    def update(self, d, ts, wirelen):
        toclient = int((d.src, d.sport) != (self.src, self.sport))
        self.pkts[toclient] += 1
        self.bytes[toclient] += wirelen
        self.end = ts
        if self.proto == "TCP":
            if d.flags & 0x04:
                self.closed = True
            if d.flags & 0x01:
                self.fin[toclient] = True
                if all(self.fin):
                    self.closed = True

    def record(self):
        r = {"proto": self.proto, "src_ip": self.src, "src_port": self.sport,
             "dest_ip": self.dst, "dest_port": self.dport}
        if self.vlan:
            r["vlan"] = list(self.vlan)
        r.update({"pkts_toserver": self.pkts[0], "pkts_toclient": self.pkts[1],
                  "bytes_toserver": self.bytes[0], "bytes_toclient": self.bytes[1],
                  "start": self.start / 1e6, "end": self.end / 1e6,
                  "state": self.state(), "reason": self.reason})
        return r


KIND_NAMES = {"error": "decode_error", "frag": "fragment", "unsupported": "unsupported"}


def truth(cap):
    recs = cap.complete if cap.complete is not None else cap.recs
    counts = {"error": 0, "frag": 0, "unsupported": 0}
    table, done, unattributed = {}, [], []
    for i, r in enumerate(recs):
        d = decode(cap.linktype_of(r), r.data, r.wirelen)
        if d.kind != r.expect:
            raise SystemExit("%s record %d (%s): built as %s, decodes as %s (%s)"
                             % (cap.name, i + 1, r.note, r.expect, d.kind, d.why))
        if d.kind != "flow":
            counts[d.kind] += 1
            un = {"frame": i + 1, "kind": KIND_NAMES[d.kind], "why": d.why}
            if r.note:
                un["built_as"] = r.note
            unattributed.append(un)
            continue
        if d.proto in ("ICMP", "IPv6-ICMP"):
            d.sport = d.dport = 0
        ends = sorted([(d.src, d.sport), (d.dst, d.dport)])
        key = (d.proto, d.vlan, tuple(ends))
        f = table.get(key)
        if f is not None and r.ts_us - f.end > f.timeout_us():
            f.reason = "timeout"
            done.append(f)
            f = None
        if f is None:
            f = table[key] = Flow(d, r.ts_us, i)
        f.update(d, r.ts_us, r.wirelen)
    last = recs[-1].ts_us if recs else 0
    for f in table.values():
        gap = last - f.end
        assert gap != f.timeout_us(), "flow exactly on a timeout boundary"
        f.reason = "timeout" if gap > f.timeout_us() else "shutdown"
        done.append(f)
    done.sort(key=lambda f: (f.start, f.idx))
    return {"decode_errors": counts["error"],
            "fragments_unattributed": counts["frag"],
            "unsupported": counts["unsupported"],
            "unattributed_packets": unattributed,
            "flows": [f.record() for f in done]}


# --------------------------------------------------------------------------
# The captures

CLI4, SRV4 = "192.0.2.10", "198.51.100.80"
CLI6, SRV6 = "2001:db8::10", "2001:db8:0:1::80"


def http_flow(cap, t, link, cli=CLI4, cport=49152, srv=SRV4, sport=80,
              cisn=0x1000, sisn=0x8000, iface=0):
    """The 10-packet HTTP exchange of capture 1; link(l3, from_client)."""
    c = Tcp(cli, cport, srv, sport, cisn, sisn)
    seq = [
        (0.000, True, c.syn()),
        (0.020, False, c.synack()),
        (0.0201, True, c.ack(True)),
        (0.0203, True, c.data(True, HTTP_REQ)),
        (0.040, False, c.ack(False)),
        (0.045, False, c.data(False, HTTP_RESP)),
        (0.0452, True, c.ack(True)),
        (0.050, True, c.fin(True)),
        (0.070, False, c.fin(False)),
        (0.0701, True, c.ack(True)),
    ]
    for dt, fc, l3 in seq:
        cap.add(t + dt, link(l3, fc), iface=iface)


def eth_link(tags=()):
    def f(l3, fc):
        return eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT), tags=tags)
    return f


def cap_eth_tcp_http(name="eth_tcp_http.pcap", fmt="pcap", order="<", nsec=False):
    cap = Cap(name, LT_ETH, "Ethernet IPv4 TCP: HTTP GET www.example.com with "
              "handshake, 200 response and FIN both ways; second flow SYN -> "
              "RST/ACK", fmt=fmt, order=order, nsec=nsec)
    http_flow(cap, 0.0, eth_link())
    c = Tcp(CLI4, 49153, SRV4, 8080, 0x2000, 0)
    cap.add(1.0, eth(c.syn()))
    cap.add(1.010, eth(c.rstack(False), MAC_SERVER, MAC_CLIENT))
    return cap


def cap_eth_udp_dns():
    cap = Cap("eth_udp_dns.pcap", LT_ETH, "Ethernet: IPv4 UDP DNS A example.org "
              "query/response, IPv6 UDP DNS AAAA query/response, ICMP echo "
              "request/reply, ICMPv6 echo request/reply")
    q = dns_query(0x1A2B, "example.org", "A")
    a = dns_answer(0x1A2B, "example.org", "A", "203.0.113.200")
    cap.add(0.0, eth(udp(CLI4, 53001, "198.51.100.53", 53, q, ipid=300)))
    cap.add(0.012, eth(udp("198.51.100.53", 53, CLI4, 53001, a, ipid=4000), MAC_SERVER, MAC_CLIENT))
    q = dns_query(0x3C4D, "example.org", "AAAA")
    a = dns_answer(0x3C4D, "example.org", "AAAA", "2001:db8::200")
    cap.add(0.5, eth(udp(CLI6, 53002, "2001:db8::53", 53, q)))
    cap.add(0.514, eth(udp("2001:db8::53", 53, CLI6, 53002, a), MAC_SERVER, MAC_CLIENT))
    cap.add(1.0, eth(icmp_echo(CLI4, "198.51.100.1", 301, True, 0x1234, 1)))
    cap.add(1.003, eth(icmp_echo("198.51.100.1", CLI4, 4001, False, 0x1234, 1), MAC_SERVER, MAC_CLIENT))
    cap.add(1.5, eth(icmp_echo(CLI6, "2001:db8::1", 0, True, 0x5678, 1)))
    cap.add(1.502, eth(icmp_echo("2001:db8::1", CLI6, 0, False, 0x5678, 1), MAC_SERVER, MAC_CLIENT))
    return cap


def udp_pair(cap, t, link, cli, cport, srv, sport, req=b"ping", rep=b"pong",
             ipid=300, dt=0.001, iface=0):
    cap.add(t, link(udp(cli, cport, srv, sport, req, ipid=ipid), True), iface=iface)
    cap.add(t + dt, link(udp(srv, sport, cli, cport, rep, ipid=ipid + 1000), False), iface=iface)


def cap_vlan_qinq():
    cap = Cap("vlan_qinq.pcap", LT_ETH, "VLAN: HTTP flow of capture 1 under "
              "802.1Q vid 100; UDP under 802.1ad 200 + 802.1Q 300; UDP under 3 "
              "tags (88a8 10, 8100 20, 8100 30); the same UDP 5-tuple under vid "
              "101 and vid 102 (pcp 5) = 2 flows; IPv6 UDP under vid 400; UDP "
              "under 0x9100 500 + 8100 501")
    q = lambda vid, pcp=0: (TPID_8021Q, vid, pcp)  # noqa: E731
    http_flow(cap, 0.0, eth_link([q(100)]))
    udp_pair(cap, 1.0, eth_link([(TPID_8021AD, 200, 0), q(300)]),
             "192.0.2.30", 40000, "198.51.100.30", 5100, ipid=500)
    udp_pair(cap, 1.1, eth_link([(TPID_8021AD, 10, 0), q(20), q(30)]),
             "192.0.2.31", 40001, "198.51.100.31", 5101, ipid=510)
    udp_pair(cap, 1.2, eth_link([q(101)]), "192.0.2.32", 40002, "198.51.100.32", 5102, ipid=520)
    udp_pair(cap, 1.21, eth_link([q(102, pcp=5)]), "192.0.2.32", 40002, "198.51.100.32", 5102,
             ipid=530)
    udp_pair(cap, 1.3, eth_link([q(400)]), "2001:db8::33", 40003, "2001:db8:0:1::33", 5103)
    udp_pair(cap, 1.4, eth_link([(TPID_9100, 500, 0), q(501)]),
             "192.0.2.34", 40004, "198.51.100.34", 5104, ipid=540)
    return cap


def cap_sll(v2):
    name = "sll2.pcap" if v2 else "sll.pcap"
    fn = sll2 if v2 else sll
    cap = Cap(name, LT_SLL2 if v2 else LT_SLL,
              "Linux cooked capture %s (DLT %d): IPv4 TCP flow (handshake, data "
              "both ways, FIN both ways) and an IPv6 UDP flow"
              % ("v2" if v2 else "v1", LT_SLL2 if v2 else LT_SLL))
    link = lambda l3, fc: fn(l3, outgoing=fc)  # noqa: E731
    c = Tcp("10.244.1.5", 38000, "10.244.2.7", 6379, 0x3000, 0x9000)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.001, False, c.synack()),
                       (0.0011, True, c.ack(True)),
                       (0.002, True, c.data(True, b"*1\r\n$4\r\nPING\r\n")),
                       (0.003, False, c.data(False, b"+PONG\r\n")),
                       (0.0031, True, c.fin(True)), (0.004, False, c.fin(False)),
                       (0.0041, True, c.ack(True))]:
        cap.add(dt, link(l3, fc))
    udp_pair(cap, 0.5, link, "2001:db8::5", 41000,
             "2001:db8:0:2::7", 53, req=dns_query(0x1111, "svc.example.org", "AAAA"),
             rep=dns_answer(0x1111, "svc.example.org", "AAAA", "2001:db8::7"))
    return cap


def tcp_small(cli, cport, srv, sport, isn=0x4000):
    """Handshake, one request, one response, FIN both ways: list of
    (dt, from_client, l3)."""
    c = Tcp(cli, cport, srv, sport, isn, isn + 0x10000)
    return [(0.0, True, c.syn()), (0.001, False, c.synack()), (0.0011, True, c.ack(True)),
            (0.002, True, c.data(True, b"hello\n")), (0.003, False, c.data(False, b"world\n")),
            (0.0031, True, c.fin(True)), (0.004, False, c.fin(False)),
            (0.0041, True, c.ack(True))]


def cap_raw(name, lt, families):
    cap = Cap(name, lt, {
        LT_RAW: "raw IP (LINKTYPE_RAW 101), IPv4 and IPv6 mixed: IPv4 TCP flow, "
                "IPv6 TCP flow, IPv4 UDP flow, IPv6 UDP flow",
        LT_IPV4: "raw IPv4 (LINKTYPE_IPV4 228): TCP flow and UDP flow",
        LT_IPV6: "raw IPv6 (LINKTYPE_IPV6 229): TCP flow and UDP flow"}[lt])
    link = lambda l3, fc: l3  # noqa: E731
    t = 0.0
    if 4 in families:
        for dt, fc, l3 in tcp_small("10.244.1.20", 42000, "10.244.3.30", 8080):
            cap.add(t + dt, link(l3, fc))
        t += 0.1
    if 6 in families:
        for dt, fc, l3 in tcp_small("2001:db8::20", 42001, "2001:db8:0:3::30", 8080, 0x5000):
            cap.add(t + dt, link(l3, fc))
        t += 0.1
    if 4 in families:
        udp_pair(cap, t, link, "10.244.1.20", 42002, "10.244.3.30", 9000, ipid=700)
        t += 0.1
    if 6 in families:
        udp_pair(cap, t, link, "2001:db8::20", 42003, "2001:db8:0:3::30", 9000)
    return cap


def cap_null(loop=False):
    if loop:
        cap = Cap("loop.pcap", LT_LOOP, "DLT_LOOP (108): 4-byte address family in "
                  "network byte order: IPv4 (2) UDP flow and IPv6 (24) UDP flow")
        order, fams6 = ">", [24]
    else:
        cap = Cap("null_loopback.pcap", LT_NULL, "BSD NULL/loopback (DLT 0), family "
                  "little-endian host order: IPv4 (2) TCP flow; IPv6 UDP flows "
                  "with family 30 (macOS), 24 (NetBSD/OpenBSD), 28 (FreeBSD)")
        order, fams6 = "<", [30, 24, 28]
    if not loop:
        for dt, fc, l3 in tcp_small("127.0.0.1", 43000, "127.0.0.1", 8000):
            cap.add(dt, null(l3, 2, order))
    else:
        udp_pair(cap, 0.0, lambda l3, fc: null(l3, 2, order),
                 "127.0.0.1", 43001, "127.0.0.1", 8001)
    for i, fam in enumerate(fams6):
        udp_pair(cap, 0.5 + i * 0.1, lambda l3, fc, fam=fam: null(l3, fam, order),
                 "::1", 43010 + i, "::1", 8010 + i)
    return cap


def cap_ipv6_ext():
    cap = Cap("ipv6_ext.pcap", LT_ETH, "IPv6 extension headers: TCP flow with "
              "hop-by-hop (router alert) on every packet; UDP with routing type 4 "
              "(SRH, segments left 0); UDP with routing type 0 (segments left 0); "
              "UDP with destination options; UDP in an atomic fragment (offset 0, "
              "M=0); UDP behind HBH+DestOpt+Routing+Fragment(atomic)+DestOpt")
    hbh = lambda fc: IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])  # noqa: E731
    c = Tcp("2001:db8::40", 44000, "2001:db8:0:4::40", 443, 0x6000, 0x7000, ext=hbh)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.001, False, c.synack()),
                       (0.0011, True, c.ack(True)), (0.002, True, c.data(True, b"\x16\x03\x01\x00\x04abcd")),
                       (0.003, False, c.data(False, b"\x16\x03\x03\x00\x04efgh")),
                       (0.0031, True, c.rstack(True))]:
        cap.add(dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    A, B = "2001:db8::41", "2001:db8:0:4::41"
    srh = IPv6ExtHdrSegmentRouting(addresses=[B, "2001:db8:0:ff::1"], segleft=0, tag=0)
    cap.add(0.1, eth(udp(A, 44001, B, 61001, b"srh", ext=srh)))
    cap.add(0.101, eth(udp(B, 61001, A, 44001, b"srh-reply"), MAC_SERVER, MAC_CLIENT))
    rh0 = IPv6ExtHdrRouting(addresses=["2001:db8:0:ff::2"], segleft=0)
    cap.add(0.2, eth(udp(A, 44002, B, 61002, b"rh0", ext=rh0)))
    cap.add(0.201, eth(udp(B, 61002, A, 44002, b"rh0-reply", ext=rh0), MAC_SERVER, MAC_CLIENT))
    dst = IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")])
    cap.add(0.3, eth(udp(A, 44003, B, 61003, b"dstopt", ext=dst)))
    frag = IPv6ExtHdrFragment(offset=0, m=0, id=0xDA4E0001)
    cap.add(0.4, eth(udp(A, 44004, B, 61004, b"atomic fragment", ext=frag)))
    cap.add(0.401, eth(udp(B, 61004, A, 44004, b"atomic reply",
                           ext=IPv6ExtHdrFragment(offset=0, m=0, id=0xDA4E0002)),
                       MAC_SERVER, MAC_CLIENT))
    chain = (IPv6ExtHdrHopByHop(options=[RouterAlert(value=0)])
             / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")])
             / IPv6ExtHdrRouting(addresses=["2001:db8:0:ff::3"], segleft=0)
             / IPv6ExtHdrFragment(offset=0, m=0, id=0xDA4E0003)
             / IPv6ExtHdrDestOpt(options=[PadN(optdata=b"\x00\x00\x00\x00")]))
    cap.add(0.5, eth(udp(A, 44005, B, 61005, b"long chain", ext=chain)))
    return cap


def cap_ipv4_options():
    cap = Cap("ipv4_options.pcap", LT_ETH, "IPv4 options: TCP flow whose client "
              "packets carry Record Route (IHL 15) and server packets NOP+Router "
              "Alert (IHL 7); UDP with Router Alert (IHL 6); UDP with Timestamp "
              "option (IHL 7)")

    def opts(fc):
        if fc:
            return [IPOption_RR(pointer=12, routers=["192.0.2.1", "192.0.2.2"] + ["0.0.0.0"] * 7)]
        return [IPOption_NOP(), IPOption_Router_Alert()]
    c = Tcp("192.0.2.50", 45000, "198.51.100.50", 80, 0x7000, 0x8000, ipopts=opts)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.001, False, c.synack()),
                       (0.0011, True, c.ack(True)), (0.002, True, c.data(True, HTTP_REQ)),
                       (0.003, False, c.data(False, b"HTTP/1.1 204 No Content\r\n\r\n")),
                       (0.0031, True, c.fin(True)), (0.004, False, c.fin(False)),
                       (0.0041, True, c.ack(True))]:
        cap.add(dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    cap.add(0.1, eth(udp("192.0.2.51", 45001, "198.51.100.51", 61001, b"ra",
                         options=[IPOption_Router_Alert()])))
    cap.add(0.101, eth(udp("198.51.100.51", 61001, "192.0.2.51", 45001, b"ra-reply",
                           options=[IPOption_Router_Alert()]), MAC_SERVER, MAC_CLIENT))
    ts_opt = IPOption_Timestamp(flg=0, pointer=9, timestamp=12345)
    cap.add(0.2, eth(udp("192.0.2.52", 45002, "198.51.100.52", 61002, b"ts", options=[ts_opt])))
    return cap


def cap_tcp_midstream():
    cap = Cap("tcp_midstream.pcap", LT_ETH, "TCP midstream: flow whose first packet "
              "is the SYN-ACK from 203.0.113.10:443 (src = the client); flow whose "
              "first packet is client data (no SYN at all)")
    c = Tcp("192.0.2.60", 50000, "203.0.113.10", 443, 0x11000, 0x22000)
    c.syn()  # the SYN happened before the capture started: not added
    rows = [(0.0, False, c.synack()), (0.0001, True, c.ack(True)),
            (0.001, True, c.data(True, b"\x16\x03\x01\x00\x05hello")),
            (0.02, False, c.data(False, b"\x16\x03\x03\x00\x05world")),
            (0.0201, True, c.ack(True))]
    d = Tcp("192.0.2.61", 50001, "203.0.113.10", 443, 0x33000, 0x44000)
    d.seq[True] += 517
    d.seq[False] += 4096
    rows += [(0.5, True, d.data(True, b"\x17\x03\x03\x00\x08appdata1")),
             (0.51, False, d.data(False, b"\x17\x03\x03\x00\x08appdata2")),
             (0.5101, True, d.ack(True))]
    for dt, fc, l3 in rows:
        cap.add(dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    return cap


def set16(b, off, v):
    b = bytearray(b)
    struct.pack_into("!H", b, off, v)
    return bytes(b)


def cap_damaged():
    cap = Cap("damaged.pcap", LT_ETH, "decode errors, one packet of each kind: "
              "Ethernet < 14 bytes, IHL 4, IP version 7, IPv4 total length < "
              "header, IPv6 of 30 bytes, TCP data offset 3, TCP header cut to 10 "
              "bytes by snaplen, UDP length 4, ICMP of 2 bytes, IPv6 hop-by-hop "
              "running past the end, IPv4 total length > frame, 4 VLAN tags, IPv4 "
              "of 1 byte (see unattributed_packets); interleaved with one good "
              "IPv4 UDP flow of 2 packets")
    good = lambda fc, ipid: eth(  # noqa: E731
        udp("192.0.2.70", 46000, "198.51.100.70", 53, dns_query(0x7070, "example.org", "A"), ipid=ipid) if fc else
        udp("198.51.100.70", 53, "192.0.2.70", 46000, dns_answer(0x7070, "example.org", "A", "203.0.113.70"), ipid=ipid),
        *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT))
    u = udp("192.0.2.71", 46001, "198.51.100.71", 9, b"damaged")
    t = Tcp("192.0.2.71", 46002, "198.51.100.71", 80, 0x100, 0x200)
    k = 0.0

    def bad(frame, note, caplen=None):
        nonlocal k
        cap.add(k, frame, "error", caplen=caplen, note=note)
        k += 0.01

    bad(eth(b"", pad=False)[:10], "ethernet frame of 10 bytes")
    b = bytearray(u)
    b[0] = 0x44
    bad(eth(bytes(b), pad=False), "IPv4 IHL=4")
    b = bytearray(u)
    b[0] = 0x75
    bad(eth(bytes(b), ethertype=ETH_IPV4, pad=False), "IP version 7 under ethertype 0x0800")
    cap.add(k, good(True, 800), note="good query")
    k += 0.01
    bad(eth(set16(u, 2, 16), pad=False), "IPv4 total length 16 < header")
    v6 = udp("2001:db8::71", 46003, "2001:db8:0:7::71", 9, b"damaged")
    bad(eth(v6[:30], pad=False), "IPv6 of 30 bytes")
    tb = bytearray(t.syn())
    tb[20 + 12] = (3 << 4) | (tb[20 + 12] & 15)
    bad(eth(bytes(tb), pad=False), "TCP data offset 3")
    bad(eth(t.data(True, b"x" * 200)), "TCP header cut to 10 bytes by snaplen",
        caplen=14 + 20 + 10)
    bad(eth(set16(u, 20 + 4, 4), pad=False), "UDP length field 4")
    ic = raw(IP(src="192.0.2.71", dst="198.51.100.71", id=900, flags="DF") / ICMP(type=8))
    bad(eth(set16(ic[:22], 2, 22), pad=False), "ICMP cut to 2 bytes (IP total length 22)")
    ext = raw(IPv6(src="2001:db8::71", dst="2001:db8:0:7::71", nh=0, plen=8)) + \
        bytes([17, 3]) + b"\x01\x04\x00\x00\x00\x00"
    bad(eth(ext, pad=False), "IPv6 hop-by-hop says 32 bytes, 8 present")
    bad(eth(u, pad=False)[:-4], "IPv4 total length > frame (caplen == wirelen)")
    four = [(TPID_8021AD, 1, 0), (TPID_8021Q, 2, 0), (TPID_8021Q, 3, 0), (TPID_8021Q, 4, 0)]
    bad(eth(u, tags=four), "4 VLAN tags (more than 3)")
    cap.add(k, good(False, 5000), note="good answer")
    k += 0.01
    bad(eth(b"\x45", pad=False), "IPv4 header of 1 byte")
    return cap


def cap_timeouts():
    cap = Cap("timeouts.pcap", LT_ETH, "UDP flow (one way, state new) then 100 s "
              "silence then the same 5-tuple again (2 flows, first ends by "
              "timeout); lone TCP SYN that is idle > 60 s at end of input "
              "(timeout); established TCP flow whose last packet is the last "
              "packet of the file (shutdown)")
    A, B = "192.0.2.80", "198.51.100.80"
    cap.add(0.0, eth(udp(A, 47100, B, 61000, b"one", ipid=1)))
    cap.add(0.5, eth(udp(A, 47100, B, 61000, b"two", ipid=2)))
    s = Tcp(A, 47001, B, 80, 0x500, 0x600)
    cap.add(1.0, eth(s.syn()))
    cap.add(100.5, eth(udp(A, 47100, B, 61000, b"three", ipid=3)))
    cap.add(100.6, eth(udp(B, 61000, A, 47100, b"reply", ipid=4), MAC_SERVER, MAC_CLIENT))
    c = Tcp(A, 47002, B, 443, 0x700, 0x800)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.01, False, c.synack()),
                       (0.0101, True, c.ack(True)), (0.02, True, c.data(True, b"abc")),
                       (0.03, False, c.data(False, b"defgh")), (0.0301, True, c.ack(True))]:
        cap.add(200.0 + dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    return cap


def cap_timeouts_eof():
    cap = Cap("timeouts_eof.pcap", LT_ETH, "end-of-input reasons: established TCP "
              "flow idle 700 s (> 600) and established UDP flow idle 310 s (> 300) "
              "at the last packet -> timeout; a closed TCP flow idle 50 s (< 60) and "
              "the final UDP packet -> shutdown")
    A, B = "192.0.2.90", "198.51.100.90"
    c = Tcp(A, 48000, B, 22, 0x900, 0xA00)
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.01, False, c.synack()),
                       (0.0101, True, c.ack(True)), (0.02, True, c.data(True, b"SSH-2.0-x\r\n")),
                       (0.03, False, c.data(False, b"SSH-2.0-y\r\n"))]:
        cap.add(dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    udp_pair(cap, 390.0, eth_link(), A, 48001, B, 61123, ipid=20)
    for dt, fc, l3 in tcp_small(A, 48002, B, 80, 0xB00):
        cap.add(650.0 + dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)))
    cap.add(700.03, eth(udp(A, 48003, B, 514, b"<13>last", ipid=30)))
    return cap


def cap_truncated(name, chop_in_header):
    cap = Cap(name, LT_ETH, "valid pcap whose last record is cut %s (file "
              "truncated); the complete records before it decode normally"
              % ("inside its 16-byte record header" if chop_in_header else
                 "in the middle of its packet data"))
    udp_pair(cap, 0.0, eth_link(), CLI4, 53003, "198.51.100.53", 53,
             req=dns_query(0x2222, "example.org", "A"),
             rep=dns_answer(0x2222, "example.org", "A", "203.0.113.200"), ipid=310)
    c = Tcp(CLI4, 49160, SRV4, 80, 0x1000, 0x8000)
    cap.add(0.1, eth(c.syn()))
    cap.add(0.12, eth(c.synack(), MAC_SERVER, MAC_CLIENT))
    cap.add(0.1201, eth(c.ack(True)))
    cap.add(0.1203, eth(c.data(True, HTTP_REQ)))
    last = cap.recs[-1]
    cap.complete = cap.recs[:-1]
    cap.chop = (len(last.data) + 16 - 7) if chop_in_header else len(last.data) // 2
    cap.extra["error"] = "truncated"
    return cap


def cap_pcapng_mixed():
    cap = Cap("pcapng_mixed.pcapng", LT_ETH, "pcapng, two interfaces: 0 = Ethernet "
              "(if_tsresol default, us) with an IPv4 TCP flow, 1 = raw IP (101, "
              "if_tsresol 9 = ns) with IPv4 and IPv6 UDP flows; packets "
              "interleaved in time; ends with an Interface Statistics Block. libpcap "
              "1.10 refuses mixed link types at the second interface: davy must "
              "exit 1 naming the file, with no flows",
              fmt="pcapng", ifaces=[{"linktype": LT_ETH, "name": "eth0", "tsresol": 6},
                                    {"linktype": LT_RAW, "name": "tun0", "tsresol": 9}])
    rows = []
    for dt, fc, l3 in tcp_small("192.0.2.100", 51000, "198.51.100.100", 8443, 0xD00):
        rows.append((dt, eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT)), 0))
    rows.append((0.0005, udp("10.244.5.1", 51001, "10.244.6.1", 53, dns_query(0x5151, "tun.example.org", "A"), ipid=40), 1))
    rows.append((0.0025, udp("10.244.6.1", 53, "10.244.5.1", 51001, dns_answer(0x5151, "tun.example.org", "A", "10.244.7.1"), ipid=41), 1))
    rows.append((0.0035, udp("2001:db8::101", 51002, "2001:db8:0:6::1", 53, dns_query(0x5252, "tun.example.org", "AAAA")), 1))
    rows.append((0.0045, udp("2001:db8:0:6::1", 53, "2001:db8::101", 51002, dns_answer(0x5252, "tun.example.org", "AAAA", "2001:db8:0:7::1")), 1))
    rows.sort(key=lambda r: r[0])
    for t, frame, iface in rows:
        cap.add(t, frame, iface=iface)
    # libpcap 1.10 (Debian bookworm), davy's reader, refuses a pcapng whose
    # interfaces have different link types ("an interface has a type 101
    # different from the type of the first interface") when it meets the
    # second IDB, before the first packet. davy must say so and exit 1.
    cap.complete = []
    cap.extra["error"] = "unreadable"
    return cap


def cap_icmp_error():
    cap = Cap("icmp_error.pcap", LT_ETH, "ICMP errors only: ICMPv4 destination "
              "unreachable 3/3 from router 192.0.2.1 quoting a UDP packet of "
              "192.0.2.10, and ICMPv6 destination unreachable 1/4 from 2001:db8::1 "
              "quoting an IPv6 UDP packet; 2 ICMP flows, no UDP flow")
    inner = raw(IP(src=CLI4, dst="198.51.100.20", id=77, ttl=1, flags="DF")
                / UDP(sport=5000, dport=33434) / Raw(b"traceroute"))
    cap.add(0.0, eth(raw(IP(src="192.0.2.1", dst=CLI4, id=60, ttl=64, tos=0xC0)
                         / ICMP(type=3, code=3) / Raw(inner)), MAC_SERVER, MAC_CLIENT))
    inner6 = raw(IPv6(src=CLI6, dst="2001:db8:0:1::20", hlim=1)
                 / UDP(sport=5001, dport=33435) / Raw(b"traceroute"))
    cap.add(0.5, eth(raw(IPv6(src="2001:db8::1", dst=CLI6, hlim=64)
                         / ICMPv6DestUnreach(code=4) / Raw(inner6)), MAC_SERVER, MAC_CLIENT))
    return cap


def cap_bigflows():
    cap = Cap("bigflows.pcap", LT_ETH, "50 short UDP flows (request + reply) from "
              "10.244.1.10 ports 30000..30049 to 10.244.2.20:8125, all within 1 s")
    for i in range(50):
        udp_pair(cap, i * 0.019, eth_link(), "10.244.1.10", 30000 + i, "10.244.2.20", 8125,
                 req=b"m%02d:1|c" % i, rep=b"ok", ipid=1000 + i, dt=0.005)
    cap.recs.sort(key=lambda r: r.ts_us)
    return cap


def cap_fragments():
    cap = Cap("fragments.pcap", LT_ETH, "IP fragments: IPv4 UDP datagram in 3 "
              "fragments (first carries the UDP header -> attributed, 2 non-first "
              "-> unattributed) + unfragmented reply; IPv6 UDP in 2 fragments with "
              "the non-first one arriving first")
    payload = bytes(range(256)) * 2 + b"davy" * 22  # 600 bytes
    full = raw(IP(src="192.0.2.110", dst="198.51.100.110", id=0x4242, flags=0, ttl=64)
               / UDP(sport=52000, dport=7000) / Raw(payload))
    hdr, body = full[:20], full[20:]  # 608 bytes of UDP

    def frag4(off, chunk, more):
        h = bytearray(hdr)
        struct.pack_into("!H", h, 2, 20 + len(chunk))
        struct.pack_into("!H", h, 6, (0x2000 if more else 0) | (off // 8))
        struct.pack_into("!H", h, 10, 0)
        s = sum(struct.unpack("!10H", bytes(h)))
        while s >> 16:
            s = (s & 0xFFFF) + (s >> 16)
        struct.pack_into("!H", h, 10, ~s & 0xFFFF)
        return bytes(h) + chunk
    cap.add(0.0, eth(frag4(0, body[:256], True)))
    cap.add(0.0001, eth(frag4(256, body[256:512], True)), "frag")
    cap.add(0.0002, eth(frag4(512, body[512:], False)), "frag")
    cap.add(0.01, eth(udp("198.51.100.110", 7000, "192.0.2.110", 52000, b"got it", ipid=9),
                      MAC_SERVER, MAC_CLIENT))
    full6 = raw(IPv6(src="2001:db8::110", dst="2001:db8:0:1::110", nh=17)
                / UDP(sport=52001, dport=7001) / Raw(payload))[40:]
    first, rest = full6[:304], full6[304:]

    def frag6(off, chunk, more):
        return raw(IPv6(src="2001:db8::110", dst="2001:db8:0:1::110", hlim=64)
                   / IPv6ExtHdrFragment(nh=17, offset=off // 8, m=int(more), id=0xF00D)
                   / Raw(chunk))
    cap.add(0.1, eth(frag6(304, rest, False)), "frag")
    cap.add(0.1001, eth(frag6(0, first, True)))
    return cap


def cap_snaplen():
    cap = Cap("snaplen.pcap", LT_ETH, "snaplen 96: HTTP flow whose large response "
              "is captured only up to 96 bytes (caplen < wire len but all headers "
              "present): attributed normally, bytes count the wire length",
              snaplen=96)
    c = Tcp(CLI4, 49170, SRV4, 80, 0x1500, 0x9500)
    big = b"HTTP/1.1 200 OK\r\nContent-Length: 1200\r\n\r\n" + b"A" * 1200
    for dt, fc, l3 in [(0.0, True, c.syn()), (0.02, False, c.synack()),
                       (0.0201, True, c.ack(True)), (0.0203, True, c.data(True, HTTP_REQ)),
                       (0.045, False, c.data(False, big)), (0.0452, True, c.ack(True)),
                       (0.05, False, c.fin(False)), (0.0501, True, c.fin(True)),
                       (0.07, False, c.ack(False))]:
        frame = eth(l3, *(MAC_CLIENT, MAC_SERVER) if fc else (MAC_SERVER, MAC_CLIENT))
        cap.add(dt, frame, caplen=min(96, len(frame)))
    return cap


def cap_unsupported():
    cap = Cap("unsupported.pcap", LT_ETH, "frames davy counts as unsupported, not "
              "errors: ARP request/reply, an 802.3 length frame (STP BPDU over "
              "LLC), LLDP (ethertype 0x88cc); plus one good UDP flow")
    arp = lambda op, sm, sip, tm, tip: struct.pack(  # noqa: E731
        "!HHBBH6s4s6s4s", 1, 0x0800, 6, 4, op, sm, ipaddress.ip_address(sip).packed,
        tm, ipaddress.ip_address(tip).packed)
    cap.add(0.0, eth(arp(1, MAC_CLIENT, "192.0.2.10", b"\0" * 6, "192.0.2.1"),
                     dst=b"\xff" * 6, ethertype=ETH_ARP), "unsupported")
    cap.add(0.001, eth(arp(2, MAC_SERVER, "192.0.2.1", MAC_CLIENT, "192.0.2.10"),
                       MAC_SERVER, MAC_CLIENT, ethertype=ETH_ARP), "unsupported")
    bridge = struct.pack("!H", 0x8000) + MAC_SERVER
    bpdu = (struct.pack("!HBBB", 0, 0, 0, 0) + bridge + struct.pack("!I", 0) + bridge
            + struct.pack("!HHHHH", 0x8001, 0, 20 * 256, 2 * 256, 15 * 256))
    llc = b"\x42\x42\x03" + bpdu
    cap.add(0.5, eth(llc, MAC_SERVER, bytes.fromhex("0180c2000000"), ethertype=len(llc)),
            "unsupported")
    tlv = lambda typ, val: struct.pack("!H", (typ << 9) | len(val)) + val  # noqa: E731
    lldp = tlv(1, b"\x04" + MAC_SERVER) + tlv(2, b"\x05eth0") + tlv(3, struct.pack("!H", 120)) \
        + tlv(0, b"")
    cap.add(0.6, eth(lldp, MAC_SERVER, bytes.fromhex("0180c200000e"), ethertype=0x88CC),
            "unsupported")
    udp_pair(cap, 1.0, eth_link(), "192.0.2.120", 53120, "198.51.100.120", 53,
             req=dns_query(0x1212, "example.org", "A"),
             rep=dns_answer(0x1212, "example.org", "A", "203.0.113.120"), ipid=50)
    return cap


def cap_empty():
    return Cap("empty.pcap", LT_ETH, "a valid pcap global header and no packets")


def tls_client_hello(sni):
    """A deterministic TLS 1.2 ClientHello carrying `sni`."""
    from scapy.layers.tls.all import (TLS, TLSClientHello, TLS_Ext_ServerName, ServerName,
                                      TLS_Ext_SupportedGroups, TLS_Ext_SupportedPointFormat,
                                      TLS_Ext_SignatureAlgorithms)
    ch = TLSClientHello(version=0x0303, gmt_unix_time=0x65920080, random_bytes=bytes(range(28)),
                        sid=b"", ciphers=[0x1301, 0x1302, 0xc02f, 0xc030], comp=[0],
                        ext=[TLS_Ext_ServerName(servernames=[ServerName(servername=sni.encode())]),
                             TLS_Ext_SupportedGroups(groups=[29, 23]),
                             TLS_Ext_SupportedPointFormat(ecpl=[0]),
                             TLS_Ext_SignatureAlgorithms(sig_algs=[0x0403, 0x0804])])
    return raw(TLS(msg=[ch], version=0x0301))


XMRIG_LOGIN = (b'{"id":1,"jsonrpc":"2.0","method":"login","params":{"login":'
               b'"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A",'
               b'"pass":"x","agent":"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0",'
               b'"rigid":"","algo":["rx/0","cn/r"]}}\n')
XMRIG_RESULT = (b'{"id":1,"jsonrpc":"2.0","error":null,"result":{"id":"d4e3f2a1","job":'
                b'{"blob":"0e0ef0a4c8a60600","job_id":"job-1","target":"b88d0600","algo":"rx/0",'
                b'"height":3012345,"seed_hash":"00"},"extensions":["algo","nicehash","connect","tls","keepalive"],'
                b'"status":"OK"}}\n')
XMRIG_JOB = (b'{"jsonrpc":"2.0","method":"job","params":{"blob":"0e0ef0a4c8a60601","job_id":"job-2",'
             b'"target":"b88d0600","algo":"rx/0","height":3012346,"seed_hash":"00"}}\n')
XMRIG_SUBMIT = (b'{"id":2,"jsonrpc":"2.0","method":"submit","params":{"id":"d4e3f2a1","job_id":"job-2",'
                b'"nonce":"2d000000","result":"00aa","algo":"rx/0"}}\n')
XMRIG_OK = b'{"id":2,"jsonrpc":"2.0","error":null,"result":{"status":"OK"}}\n'


def cap_demo():
    """What `make demo` replays: a node's view of a compromised pod and two
    ordinary ones. Pod 10.244.1.23 resolves a mining pool and logs in to it
    with XMRig over cleartext Stratum on port 3333; pod 10.244.1.40 fetches
    a page over HTTP and opens a TLS session; the node itself resolves a
    name over a tagged VLAN."""
    cap = Cap("demo.pcap", LT_ETH, "demo for `make demo`: a pod resolves pool.supportxmr.com "
              "and speaks XMRig Stratum (login, job, submit) to 203.0.113.77:3333; another "
              "pod does HTTP and a TLS ClientHello with SNI www.example.com; a DNS query on "
              "VLAN 20")
    miner, pool = "10.244.1.23", "203.0.113.77"
    cap.add(0.0, eth(udp(miner, 40001, "10.96.0.10", 53,
                         dns_query(0x7001, "pool.supportxmr.com", "A"), ipid=500)))
    cap.add(0.004, eth(udp("10.96.0.10", 53, miner, 40001,
                           dns_answer(0x7001, "pool.supportxmr.com", "A", pool), ipid=900),
                       MAC_SERVER, MAC_CLIENT))
    c = Tcp(miner, 40002, pool, 3333, 0x11000, 0x22000)
    link = eth_link()
    for dt, fc, l3 in [(0.010, True, c.syn()), (0.060, False, c.synack()),
                       (0.0601, True, c.ack(True)), (0.0605, True, c.data(True, XMRIG_LOGIN)),
                       (0.110, False, c.data(False, XMRIG_RESULT)), (0.1101, True, c.ack(True)),
                       (30.0, False, c.data(False, XMRIG_JOB)), (30.0001, True, c.ack(True)),
                       (41.5, True, c.data(True, XMRIG_SUBMIT)), (41.55, False, c.data(False, XMRIG_OK)),
                       (41.5501, True, c.ack(True))]:
        cap.add(dt, link(l3, fc))
    http_flow(cap, 2.0, link, cli="10.244.1.40", cport=51000)
    t = Tcp("10.244.1.40", 51001, SRV4, 443, 0x31000, 0x42000)
    for dt, fc, l3 in [(3.0, True, t.syn()), (3.02, False, t.synack()), (3.0201, True, t.ack(True)),
                       (3.0202, True, t.data(True, tls_client_hello("www.example.com"))),
                       (3.04, False, t.ack(False)), (3.5, True, t.fin(True)),
                       (3.52, False, t.fin(False)), (3.5201, True, t.ack(True))]:
        cap.add(dt, link(l3, fc))
    udp_pair(cap, 5.0, eth_link(tags=[(0x8100, 20, 0)]), "192.0.2.5", 40100, "192.0.2.53", 53,
             req=dns_query(0x7002, "kubernetes.default.svc.cluster.local", "A"),
             rep=dns_answer(0x7002, "kubernetes.default.svc.cluster.local", "A", "10.96.0.1"),
             ipid=700, dt=0.002)
    cap.recs.sort(key=lambda r: r.ts_us)  # stable: same-time packets keep their order
    return cap


def build_all():
    caps = [
        cap_demo(),
        cap_eth_tcp_http(),
        cap_eth_tcp_http("eth_tcp_http.pcapng", fmt="pcapng"),
        cap_eth_tcp_http("eth_tcp_http_be.pcap", order=">"),
        cap_eth_tcp_http("eth_tcp_http_nsec.pcap", nsec=True),
        cap_eth_udp_dns(),
        cap_vlan_qinq(),
        cap_sll(False),
        cap_sll(True),
        cap_raw("raw_ip.pcap", LT_RAW, (4, 6)),
        cap_raw("raw_ipv4.pcap", LT_IPV4, (4,)),
        cap_raw("raw_ipv6.pcap", LT_IPV6, (6,)),
        cap_null(),
        cap_null(loop=True),
        cap_ipv6_ext(),
        cap_ipv4_options(),
        cap_tcp_midstream(),
        cap_damaged(),
        cap_fragments(),
        cap_snaplen(),
        cap_unsupported(),
        cap_timeouts(),
        cap_timeouts_eof(),
        cap_truncated("truncated_file.pcap", False),
        cap_truncated("truncated_rechdr.pcap", True),
        cap_pcapng_mixed(),
        cap_icmp_error(),
        cap_bigflows(),
        cap_empty(),
    ]
    caps[1].desc = "pcapng (SHB, one IDB, EPBs) equivalent of eth_tcp_http.pcap"
    caps[2].desc = "big-endian pcap (magic a1b2c3d4 written big-endian) equivalent of eth_tcp_http.pcap"
    caps[3].desc = "nanosecond pcap (magic a1b23c4d) equivalent of eth_tcp_http.pcap"
    return caps


NOT_A_CAPTURE = (b"This is not a packet capture.\n"
                 b"It is a text file with some junk in it: \x00\x01\x02 GIF89a <?xml ?>\n"
                 b"davy must refuse it cleanly (error not_a_capture), not crash.\n")


README_HEAD = """\
# Test captures

Generated, with their ground truth, by `gen.py`; this README is generated too
(edit `gen.py`, not the output). Regenerate, byte-identically, with

    /usr/bin/python3 pcaps/gen.py pcaps/

(Debian's `python3-scapy` 2.5: `apt-get install python3-scapy`; the pyenv
`python3` on PATH has no scapy). Timestamps start at 2024-01-01T00:00:00Z
(1704067200); addresses are documentation ranges (192.0.2.0/24,
198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32), 10.244.x.x "pods" and
loopback. Each file's sha256 is in the manifest.

`manifest.json` holds the truth: `rules` (flow key, src choice, states,
timeouts, end reasons, what is a decode error) and `captures`, keyed by file
name, each with `description`, `format` (pcap / pcapng / null),
`linktype` (or `linktypes` per pcapng interface), `byte_order`,
`ts_resolution`, `snaplen`, `size`, `sha256`, `packets` (records; complete
ones for a truncated file), `error` (`truncated` / `not_a_capture`, only for
bad files), `decode_errors`, `fragments_unattributed`, `unsupported`,
`last_ts`, `unattributed_packets` (frame number, kind, why; only when any) and
`flows`: one object per expected flow record, sorted by start, with `proto`
(TCP, UDP, ICMP, IPv6-ICMP), `src_ip`, `src_port`, `dest_ip`, `dest_port`
(0 for ICMP), `vlan` (outermost first; absent when untagged),
`pkts_toserver`, `pkts_toclient`, `bytes_toserver`, `bytes_toclient` (wire
lengths), `start`, `end` (epoch seconds), `state` (new / established /
closed) and `reason` (timeout / shutdown). Invariant: `packets` = flow packets
+ decode_errors + fragments_unattributed + unsupported.

The truth is computed, not typed: each packet is built with a label (flow
packet, decode error, fragment, unsupported), a reference decoder in `gen.py`
re-reads the bytes by davy's rules and must agree with the label, and a
reference flow table applies the flow rules. `check_tshark.py` cross-checks
the manifest's per-flow packet and byte sums against tshark
(`/usr/bin/python3 pcaps/check_tshark.py pcaps/`).

## Captures

| file | link type | contents / what it tests |
| --- | --- | --- |
"""


def write_readme(outdir, manifest):
    lines = [README_HEAD]
    for name, c in manifest["captures"].items():
        if c.get("format") == "pcapng":
            lt = "pcapng " + "+".join(str(x) for x in c["linktypes"])
        elif c.get("format") == "pcap":
            lt = str(c["linktype"])
        else:
            lt = "-"
        n = len(c["flows"])
        extra = []
        if c["decode_errors"]:
            extra.append("%d decode errors" % c["decode_errors"])
        if c["fragments_unattributed"]:
            extra.append("%d unattributed fragments" % c["fragments_unattributed"])
        if c["unsupported"]:
            extra.append("%d unsupported" % c["unsupported"])
        if c.get("error"):
            extra.append("error %s" % c["error"])
        tail = " (%d flow%s%s)" % (n, "" if n == 1 else "s", "".join(", " + e for e in extra))
        lines.append("| `%s` | %s | %s%s |\n" % (name, lt, c["description"], tail))
    with open(os.path.join(outdir, "README.md"), "w") as f:
        f.write("".join(lines))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: gen.py OUTDIR")
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    manifest = {
        "generator": "pcaps/gen.py",
        "regenerate": "/usr/bin/python3 pcaps/gen.py pcaps/",
        "epoch_base": T0,
        "rules": RULES,
        "captures": {},
    }
    for cap in build_all():
        for r in cap.recs:
            assert r.ts_us >= T0_US
        assert [r.ts_us for r in cap.recs] == sorted(r.ts_us for r in cap.recs), cap.name
        data = cap.file_bytes()
        with open(os.path.join(outdir, cap.name), "wb") as f:
            f.write(data)
        t = truth(cap)
        recs = cap.complete if cap.complete is not None else cap.recs
        entry = {"description": cap.desc, "format": cap.fmt}
        if cap.fmt == "pcapng":
            entry["linktypes"] = [i["linktype"] for i in cap.ifaces]
            entry["ts_resolution"] = ["ns" if i["tsresol"] == 9 else "us" for i in cap.ifaces]
        else:
            entry["linktype"] = cap.linktype
            entry["byte_order"] = "big" if cap.order == ">" else "little"
            entry["ts_resolution"] = "ns" if cap.nsec else "us"
            entry["snaplen"] = cap.snaplen
        entry["size"] = len(data)
        entry["sha256"] = hashlib.sha256(data).hexdigest()
        entry["packets"] = len(recs)
        if cap.extra:
            entry.update(cap.extra)
        entry["decode_errors"] = t["decode_errors"]
        entry["fragments_unattributed"] = t["fragments_unattributed"]
        entry["unsupported"] = t["unsupported"]
        entry["last_ts"] = recs[-1].ts_us / 1e6 if recs else None
        if t["unattributed_packets"]:
            entry["unattributed_packets"] = t["unattributed_packets"]
        entry["flows"] = t["flows"]
        n = sum(f["pkts_toserver"] + f["pkts_toclient"] for f in t["flows"])
        assert n + t["decode_errors"] + t["fragments_unattributed"] + t["unsupported"] \
            == len(recs), cap.name
        manifest["captures"][cap.name] = entry
    with open(os.path.join(outdir, "not_a_capture.pcap"), "wb") as f:
        f.write(NOT_A_CAPTURE)
    manifest["captures"]["not_a_capture.pcap"] = {
        "description": "a text file with junk; not a capture of any format",
        "format": None, "size": len(NOT_A_CAPTURE),
        "sha256": hashlib.sha256(NOT_A_CAPTURE).hexdigest(), "error": "not_a_capture",
        "packets": 0, "decode_errors": 0, "fragments_unattributed": 0,
        "unsupported": 0, "last_ts": None, "flows": []}
    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    write_readme(outdir, manifest)


if __name__ == "__main__":
    main()
