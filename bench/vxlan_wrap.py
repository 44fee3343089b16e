#!/usr/bin/env python3
"""bench/vxlan_wrap.py - wrap every frame of an Ethernet capture in VXLAN.

    python3 bench/vxlan_wrap.py [--plain] IN OUT [INFO]

IN is a classic pcap (micro- or nanosecond, either byte order) or a pcapng
whose interfaces are all Ethernet. OUT is written as a classic pcap,
microsecond timestamps, link type Ethernet, where each frame becomes

    outer Ethernet (14) + outer IPv4 (20) + UDP (8) + VXLAN (8) + the frame

that is 50 bytes more (caplen and len both grow by 50; timestamps are kept):

- outer IPv4 between two "nodes", 192.0.2.11 and 192.0.2.12 (documentation
  range, RFC 5737), TTL 64, no options, DF clear, identification = packet
  number mod 65536, header checksum filled in;
- the outer direction follows the inner one: a packet whose inner source is
  the lower endpoint of its flow (endpoints compared as (address, port))
  goes 192.0.2.11 -> 192.0.2.12, the others 192.0.2.12 -> 192.0.2.11; the
  outer MAC addresses (02:00:00:00:00:0b / 0c) follow the addresses;
- UDP destination 4789, source 49152 + (hash of the inner flow's normalised
  5-tuple) mod 16384, as VTEPs pick it for ECMP entropy, so one inner flow
  keeps one source port (the same in both directions); checksum 0 (allowed
  for UDP over IPv4, what Linux sends by default);
- VXLAN: flags 0x08 (I), VNI 4096.

The hash is CRC-32 (zlib) of: protocol, lower address, lower port, higher
address, higher port. Fragments (IPv4 MF or offset, IPv6 fragment header)
hash with ports 0, as Linux does for fragments. Non-IP frames are wrapped as
they are: their "endpoints" are the MAC addresses, their protocol the
EtherType.

--plain writes the frames unchanged through the same reader and writer: the
unwrapped copy in the same container (classic pcap, microseconds), so that
the two differ only by the overlay (libpcap reads pcapng at a different cost).

The output is deterministic: the same input gives the same bytes. A summary
goes to INFO (or stderr): key=value lines, among them packets=, ip_packets=
(frames with an IPv4/IPv6 header, what davy counts as tunnelled) and
flows= (distinct normalised 5-tuples).
"""

import os
import struct
import sys
import time
import zlib

VNI = 4096
DPORT = 4789
NODE_A = bytes([192, 0, 2, 11])
NODE_B = bytes([192, 0, 2, 12])
MAC_A = bytes([2, 0, 0, 0, 0, 0x0B])
MAC_B = bytes([2, 0, 0, 0, 0, 0x0C])
WRAP = 14 + 20 + 8 + 8
LINKTYPE_ETHERNET = 1

PORT_PROTOS = (6, 17, 132, 136)  # TCP, UDP, SCTP, UDP-Lite: ports first
V6_EXT = (0, 43, 60)  # hop-by-hop, routing, destination options


class BadInput(Exception):
    pass


def frames_pcap(data):
    """Classic pcap: yields (sec, usec, caplen, wirelen, offset)."""
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e, nano = "<", False
    elif magic == b"\xa1\xb2\xc3\xd4":
        e, nano = ">", False
    elif magic == b"\x4d\x3c\xb2\xa1":
        e, nano = "<", True
    elif magic == b"\xa1\xb2\x3c\x4d":
        e, nano = ">", True
    else:
        raise BadInput("not a pcap file")
    linktype = struct.unpack_from(e + "I", data, 20)[0] & 0x0FFFFFFF
    if linktype != LINKTYPE_ETHERNET:
        raise BadInput("link type %d, not Ethernet" % linktype)
    rec = struct.Struct(e + "IIII")
    off, n = 24, len(data)
    while off + 16 <= n:
        sec, frac, cap, wire = rec.unpack_from(data, off)
        off += 16
        if off + cap > n:
            raise BadInput("truncated record at byte %d" % (off - 16))
        yield sec, (frac // 1000 if nano else frac), cap, wire, off
        off += cap


def frames_pcapng(data):
    """pcapng: yields (sec, usec, caplen, wirelen, offset) for EPB/SPB."""
    off, n = 0, len(data)
    e = "<"
    ifaces = []  # (linktype, ticks per second, snaplen)
    while off + 12 <= n:
        btype = struct.unpack_from(e + "I", data, off)[0]
        if btype == 0x0A0D0D0A:  # section header: byte order may change
            bom = data[off + 8:off + 12]
            if bom == b"\x4d\x3c\x2b\x1a":
                e = "<"
            elif bom == b"\x1a\x2b\x3c\x4d":
                e = ">"
            else:
                raise BadInput("bad pcapng byte-order magic")
            ifaces = []
        blen = struct.unpack_from(e + "I", data, off + 4)[0]
        if blen < 12 or off + blen > n:
            raise BadInput("truncated pcapng block at byte %d" % off)
        body = off + 8
        end = off + blen - 4
        if btype == 1:  # interface description
            lt, _res, snap = struct.unpack_from(e + "HHI", data, body)
            tps = 1000000
            p = body + 8
            while p + 4 <= end:
                code, olen = struct.unpack_from(e + "HH", data, p)
                if code == 0:
                    break
                if code == 9 and olen >= 1:  # if_tsresol
                    r = data[p + 4]
                    tps = 2 ** (r & 0x7F) if r & 0x80 else 10 ** r
                p += 4 + ((olen + 3) & ~3)
            if lt != LINKTYPE_ETHERNET:
                raise BadInput("interface %d: link type %d, not Ethernet" % (len(ifaces), lt))
            ifaces.append((lt, tps, snap))
        elif btype == 6:  # enhanced packet
            ifid, hi, lo, cap, wire = struct.unpack_from(e + "IIIII", data, body)
            if ifid >= len(ifaces):
                raise BadInput("packet for unknown interface %d" % ifid)
            tps = ifaces[ifid][1]
            ticks = (hi << 32) | lo
            sec, rem = divmod(ticks, tps)
            usec = rem * 1000000 // tps
            yield sec, usec, cap, wire, body + 20
        elif btype == 3:  # simple packet: no timestamp, caplen from block
            wire = struct.unpack_from(e + "I", data, body)[0]
            cap = min(wire, blen - 16)
            yield 0, 0, cap, wire, body + 4
        elif btype == 2:  # obsolete packet block
            ifid, _drops, hi, lo, cap, wire = struct.unpack_from(e + "HHIIII", data, body)
            tps = ifaces[ifid][1] if ifid < len(ifaces) else 1000000
            sec, rem = divmod((hi << 32) | lo, tps)
            yield sec, rem * 1000000 // tps, cap, wire, body + 20
        off += blen


def flow_of(data, off, cap):
    """(is_ip, lower_is_src, key bytes) for the frame at data[off:off+cap]."""
    end = off + cap
    if cap < 14:
        return False, True, b"short"
    et = (data[off + 12] << 8) | data[off + 13]
    p = off + 14
    while et in (0x8100, 0x88A8, 0x9100) and p + 4 <= end:
        et = (data[p + 2] << 8) | data[p + 3]
        p += 4
    proto = -1
    if et == 0x0800 and p + 20 <= end and data[p] >> 4 == 4:
        ihl = (data[p] & 0x0F) * 4
        proto = data[p + 9]
        frag = ((data[p + 6] << 8) | data[p + 7]) & 0x3FFF
        src = data[p + 12:p + 16]
        dst = data[p + 16:p + 20]
        l4 = p + ihl
    elif et == 0x86DD and p + 40 <= end and data[p] >> 4 == 6:
        proto = data[p + 6]
        src = data[p + 8:p + 24]
        dst = data[p + 24:p + 40]
        l4 = p + 40
        frag = 0
        for _ in range(8):
            if proto in V6_EXT and l4 + 2 <= end:
                proto, l4 = data[l4], l4 + (data[l4 + 1] + 1) * 8
            elif proto == 51 and l4 + 2 <= end:  # AH
                proto, l4 = data[l4], l4 + (data[l4 + 1] + 2) * 4
            elif proto == 44 and l4 + 8 <= end:  # fragment
                frag = ((data[l4 + 2] << 8) | data[l4 + 3]) & 0xFFF9
                proto, l4 = data[l4], l4 + 8
            else:
                break
    if proto < 0:
        # non-IP: the MAC addresses are the endpoints, the EtherType the protocol
        dst, src = data[off:off + 6], data[off + 6:off + 12]
        sp = dp = 0
        proto = et
        is_ip = False
    else:
        is_ip = True
        sp = dp = 0
        if not frag and proto in PORT_PROTOS and l4 + 4 <= end:
            sp = (data[l4] << 8) | data[l4 + 1]
            dp = (data[l4 + 2] << 8) | data[l4 + 3]
    s = (src, sp)
    d = (dst, dp)
    if s <= d:
        lo, hi, lower_is_src = s, d, True
    else:
        lo, hi, lower_is_src = d, s, False
    key = struct.pack("!I", proto) + lo[0] + struct.pack("!H", lo[1]) + hi[0] + struct.pack("!H", hi[1])
    return is_ip, lower_is_src, key


def ip_checksum(hdr):
    s = sum(struct.unpack("!10H", hdr))
    s = (s & 0xFFFF) + (s >> 16)
    s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def main(argv):
    plain = len(argv) > 1 and argv[1] == "--plain"
    if plain:
        argv = argv[:1] + argv[2:]
    if len(argv) not in (3, 4):
        sys.stderr.write("usage: vxlan_wrap.py [--plain] IN OUT [INFO]\n")
        return 2
    t0 = time.monotonic()
    with open(argv[1], "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        frames, fmt = frames_pcapng(data), "pcapng"
        snap_in = 0
    else:
        frames, fmt = frames_pcap(data), "pcap"
        snap_in = struct.unpack_from("<I" if data[:1] in (b"\xd4", b"\x4d") else ">I", data, 16)[0] if len(data) >= 24 else 0

    rec = struct.Struct("<IIII")
    udp_vxlan = struct.Struct("!HHHH")  # sport dport len csum
    vx = struct.pack("!II", 0x08000000, VNI << 8)
    eth_ab = MAC_B + MAC_A + b"\x08\x00"  # A -> B: dst B, src A
    eth_ba = MAC_A + MAC_B + b"\x08\x00"
    ports = {}  # normalised key -> source port
    out = []
    npk = nip = nnonip = 0
    max_cap = 0
    for sec, usec, cap, wire, off in frames:
        is_ip, lower_is_src, key = flow_of(data, off, cap)
        sport = ports.get(key)
        if sport is None:
            sport = 49152 + zlib.crc32(key) % 16384
            ports[key] = sport
        if is_ip:
            nip += 1
        else:
            nnonip += 1
        npk += 1
        if plain:
            out.append(rec.pack(sec, usec, cap, wire))
            out.append(data[off:off + cap])
            if cap > max_cap:
                max_cap = cap
            continue
        if lower_is_src:
            eth, sa, da = eth_ab, NODE_A, NODE_B
        else:
            eth, sa, da = eth_ba, NODE_B, NODE_A
        # lengths follow the wire length; caplen is simply 50 more
        tot = 20 + 8 + 8 + wire
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, tot & 0xFFFF, (npk - 1) & 0xFFFF, 0, 64, 17, 0, sa, da)
        ip = ip[:10] + struct.pack("!H", ip_checksum(ip)) + ip[12:]
        udp = udp_vxlan.pack(sport, DPORT, (8 + 8 + wire) & 0xFFFF, 0)
        out.append(rec.pack(sec, usec, cap + WRAP, wire + WRAP))
        out.append(eth)
        out.append(ip)
        out.append(udp)
        out.append(vx)
        out.append(data[off:off + cap])
        if cap + WRAP > max_cap:
            max_cap = cap + WRAP
    grow = 0 if plain else WRAP
    snap = max(65535, snap_in + grow if snap_in else 0, max_cap)
    hdr = struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, snap, LINKTYPE_ETHERNET)
    tmp = argv[2] + ".tmp"
    with open(tmp, "wb") as f:
        f.write(hdr)
        f.write(b"".join(out))
    os.replace(tmp, argv[2])
    info = (
        "input=%s\nformat=%s\nmode=%s\npackets=%d\nip_packets=%d\nnon_ip_packets=%d\nflows=%d\n"
        "vni=%d\nseconds=%.2f\n" % (argv[1], fmt, "plain" if plain else "vxlan", npk, nip, nnonip, len(ports), VNI, time.monotonic() - t0)
    )
    if len(argv) == 4:
        with open(argv[3], "w") as f:
            f.write(info)
    else:
        sys.stderr.write(info)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv))
    except BadInput as ex:
        sys.stderr.write("vxlan_wrap.py: %s: %s\n" % (sys.argv[1], ex))
        sys.exit(1)
