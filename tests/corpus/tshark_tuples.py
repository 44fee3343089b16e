#!/usr/bin/python3
"""Independent reference for the TCP/UDP 5-tuples a capture contains, via tshark.

Usage: tshark_tuples.py [--stats] [--no-maybe] [--inner] CAPTURE

Prints sorted (by code point, i.e. LC_ALL=C order), unique lines

    T <proto> <ipA> <portA> <ipB> <portB>   plain flow: must be in davy's flow table
    O <proto> <ipA> <portA> <ipB> <portB>   outer carrier flow of a tunnel packet:
                                            davy MAY report it
    M <proto> <ipA> <portA> <ipB> <portB>   plain flow seen only in packets whose IP,
                                            TCP or UDP header is damaged, or in first
                                            fragments (davy reports a fragmented
                                            datagram only once it is reassembled):
                                            davy MAY report it (leave out with --no-maybe)
    I <proto> <ipA> <portA> <ipB> <portB>   only with --inner: innermost flow of a
                                            tunnel packet (informational)

proto is TCP or UDP; the endpoints are ordered so that (ipA, portA) <= (ipB, portB)
comparing the address as packed bytes (4 or 16), then the port as an integer.
Addresses are printed by Python's ipaddress module (IPv6 compressed).
An M line is printed only if the same tuple is not also a T line.
See README.md in this directory for the rules.

--stats writes per-category packet counts to stderr as "S <what>: <n>" lines.

Exit status: 0 ok (also when tshark could read only the start of the file: a
"W ..." line goes to stderr), 3 when tshark cannot read the file at all
("E ..." on stderr), 2 on bad usage.

Only the Python standard library is used; tshark 4.0 must be on PATH.
"""

import ipaddress
import re
import subprocess
import sys
import tempfile

SEP = "\t"     # between fields
AGG = "\x1f"   # between occurrences of one field (never in tshark's summaries)

# Protocol items are printed as their summary line, one occurrence per layer, e.g.
#   "Internet Protocol Version 4, Src: 10.0.0.1, Dst: 10.0.0.2"
#   "Transmission Control Protocol, Src Port: 1, Dst Port: 2, Seq: 0, Len: 0"
# which keeps source and destination of one layer together even when a field is
# missing in another layer (bogus IPv4 version, short header, ...).  frame.protocols
# gives the order of the layers; the k-th "ip" token is the k-th "ip" item, etc.
FIELDS = [
    "frame.number",
    "frame.protocols",
    "ip",
    "ipv6",
    "tcp",
    "udp",
    "ip.flags.mf",
    "ipv6.fraghdr.more",
    "_ws.expert.message",
]

PREFS = {
    # no IP reassembly: each fragment stands alone, only first fragments carry ports
    "ip.defragment": "FALSE",
    "ipv6.defragment": "FALSE",
    # sFlow datagrams carry sampled packet headers; they are not a tunnel, so do not
    # dissect them (otherwise every sFlow datagram would look like a 2-IP packet)
    "sflow.enable_dissection": "FALSE",
    # speed only: none of these change which layers exist
    "tcp.analyze_sequence_numbers": "FALSE",
    "tcp.calculate_timestamps": "FALSE",
    "udp.calculate_timestamps": "FALSE",
}

IP_RE = re.compile(r"Src: ([0-9A-Fa-f:.]+), Dst: ([0-9A-Fa-f:.]+)")
PORT_RE = re.compile(r"Src Port: (\d+), Dst Port: (\d+)")

# Expert messages (of the only IP and transport layer in a plain packet) that make a
# header too damaged to say whether a sensor should build a flow from it.
DAMAGE_RE = re.compile(
    r"^(?:IPv4 total length exceeds packet length"
    r"|IPv6 payload length exceeds framing length"
    r"|Bad length value \d+ [<>]"            # UDP length < 8 or > IP payload
    r"|Bogus TCP header length"
    r"|Short segment\. Segment/fragment does not contain a full TCP header)"
)


def norm(proto, src, sport, dst, dport):
    """Return the normalised 'PROTO ipA portA ipB portB' string."""
    a = ipaddress.ip_address(src)
    b = ipaddress.ip_address(dst)
    ka = (a.packed, int(sport))
    kb = (b.packed, int(dport))
    if kb < ka:
        a, b, sport, dport = b, a, dport, sport
    return "%s %s %d %s %d" % (proto, a, int(sport), b, int(dport))


def ip_layer(item):
    m = IP_RE.search(item)
    if not m:
        return None
    try:
        ipaddress.ip_address(m.group(1))
        ipaddress.ip_address(m.group(2))
    except ValueError:
        return None
    return m.group(1), m.group(2)


def transport(name, item):
    """(sport, dport, damaged) of a tcp/udp item, or None if it has no ports."""
    m = PORT_RE.search(item)
    if not m:
        return None
    damaged = False
    if name == "tcp" and ", Len: " not in item:
        # tshark appends "Len:" only once the data offset was found sane
        damaged = True
    return m.group(1), m.group(2), damaged


def bump(stats, key):
    stats[key] = stats.get(key, 0) + 1


def tuple_on(layers, item_at, at):
    """Normalised tuple of the TCP/UDP layer directly on the IP layer at index `at`.

    Returns (tuple-string, damaged) or a string saying why there is none."""
    addrs = ip_layer(item_at[at])
    if addrs is None:
        return "IP header bogus"
    # the next layer, skipping IPv6 extension headers (ipv6.hopopts, ipv6.routing,
    # ipv6.dstopts, ipv6.fraghdr); anything else (icmp, gre, ip, ah, esp, data for
    # a non-first fragment, ...) means there is no transport directly on this IP
    i = at + 1
    while i < len(layers) and layers[i].startswith("ipv6."):
        i += 1
    if i >= len(layers) or layers[i] not in ("tcp", "udp"):
        return "no TCP/UDP on IP"
    tp = transport(layers[i], item_at[i])
    if tp is None:
        return "transport without ports"
    sport, dport, damaged = tp
    return norm(layers[i].upper(), addrs[0], sport, addrs[1], dport), damaged


def classify(protos, items, experts, stats, inner=False):
    """Return a list of (kind, tuple-string) for one packet."""
    layers = protos.split(":")
    count = {"ip": 0, "ipv6": 0, "tcp": 0, "udp": 0}
    item_at = {}  # layer index -> summary item of that ip/ipv6/tcp/udp layer
    for i, name in enumerate(layers):
        if name in count:
            if count[name] < len(items[name]):
                item_at[i] = items[name][count[name]]
            count[name] += 1
    if any(count[n] != len(items[n]) for n in count):
        bump(stats, "skip: layer/item count mismatch")
        return []
    ip_pos = [i for i, name in enumerate(layers) if name in ("ip", "ipv6")]
    if not ip_pos:
        bump(stats, "no IP")
        return []
    res = []
    outer = tuple_on(layers, item_at, ip_pos[0])
    if len(ip_pos) > 1:
        # several IP headers: tunnel, or an ICMP error quoting a packet
        if isinstance(outer, str):
            bump(stats, "multi-IP, outermost: " + outer)
        else:
            bump(stats, "O packets")
            res.append(("O", outer[0]))
        if inner:
            # innermost IP header that is not quoted inside an ICMP/ICMPv6 message
            stop = next((i for i, n in enumerate(layers) if n in ("icmp", "icmpv6")),
                        len(layers))
            deepest = [i for i in ip_pos if i < stop][-1]
            if deepest != ip_pos[0]:
                inn = tuple_on(layers, item_at, deepest)
                if not isinstance(inn, str):
                    res.append(("I", inn[0]))
        return res
    if isinstance(outer, str):
        bump(stats, "single IP, " + outer)
        return res
    tup, damaged = outer
    if not damaged:
        damaged = any(DAMAGE_RE.match(e) for e in experts)
    if damaged:
        bump(stats, "M packets")
        res.append(("M", tup))
    else:
        bump(stats, "T packets")
        res.append(("T", tup))
    return res


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    opts = set(a for a in argv[1:] if a.startswith("--"))
    if len(args) != 1 or opts - {"--stats", "--no-maybe", "--inner"}:
        sys.stderr.write("usage: %s [--stats] [--no-maybe] [--inner] CAPTURE\n" % argv[0])
        return 2
    path = args[0]
    cmd = ["tshark", "-n", "-r", path]
    for k, v in PREFS.items():
        cmd += ["-o", "%s:%s" % (k, v)]
    cmd += ["-T", "fields", "-E", "separator=" + SEP, "-E", "occurrence=a",
            "-E", "aggregator=" + AGG, "-E", "quote=n", "-E", "header=n"]
    for f in FIELDS:
        cmd += ["-e", f]
    try:
        errf = tempfile.TemporaryFile()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errf,
                                stdin=subprocess.DEVNULL)
    except OSError as e:
        sys.stderr.write("E cannot run tshark: %s\n" % e)
        return 3
    out = {"T": set(), "M": set(), "O": set(), "I": set()}
    stats = {}
    npkt = 0
    for raw in proc.stdout:
        line = raw.decode("utf-8", "replace").rstrip("\n")
        # the expert messages come last: a stray tab in one cannot shift the others
        parts = line.split(SEP, len(FIELDS) - 1)
        if len(parts) != len(FIELDS):
            bump(stats, "skip: unparsable line")
            continue
        npkt += 1
        _, protos, ip4, ip6, tcp, udp, mf4, mf6, exp = parts
        items = {
            "ip": ip4.split(AGG) if ip4 else [],
            "ipv6": ip6.split(AGG) if ip6 else [],
            "tcp": tcp.split(AGG) if tcp else [],
            "udp": udp.split(AGG) if udp else [],
        }
        experts = exp.split(AGG) if exp else []
        # a first fragment (more fragments follow) carries ports, but davy
        # reassembles before it builds a flow: a datagram that never
        # completes makes no flow, so such a tuple is only a MAY (M)
        more = any(v in ("1", "True") for v in (mf4 + AGG + mf6).split(AGG))
        for kind, tup in classify(protos, items, experts, stats, "--inner" in opts):
            out["M" if more and kind == "T" else kind].add(tup)
    rc = proc.wait()
    errf.seek(0)
    err = errf.read().decode("utf-8", "replace")
    msgs = [l.strip() for l in err.splitlines()
            if l.strip() and "Running as user" not in l and "Dissector bug" not in l]
    msg = " / ".join(msgs) or "tshark exit status %d" % rc
    if rc != 0 and (rc < 0 or npkt == 0):
        sys.stderr.write("E %s: %s\n" % (path, msg))
        return 3
    if rc != 0:
        sys.stderr.write("W %s: read %d packets, then: %s\n" % (path, npkt, msg))
    if stats.get("skip: unparsable line"):
        sys.stderr.write("W %s: %d unparsable tshark output lines\n"
                         % (path, stats["skip: unparsable line"]))
    lines = ["T " + t for t in out["T"]] + ["O " + t for t in out["O"]]
    if "--no-maybe" not in opts:
        lines += ["M " + t for t in out["M"] - out["T"]]
    lines += ["I " + t for t in out["I"]]
    sys.stdout.write("".join(l + "\n" for l in sorted(set(lines))))
    if "--stats" in opts:
        stats["packets"] = npkt
        for k in sorted(stats):
            sys.stderr.write("S %s: %d\n" % (k, stats[k]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
