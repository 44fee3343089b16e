#!/usr/bin/python3
"""Cross-checks manifest.json against tshark (independent of gen.py's own
reference decoder):

    /usr/bin/python3 pcaps/check_tshark.py pcaps/

For every capture, the packets and bytes tshark puts under each flow key
(proto, unordered (address, port) pair, VLAN ids outermost first; ICMP with
ports 0) must equal the manifest's sums over flows with that key. tshark is
more lenient than davy with damaged packets, so where the manifest counts
decode errors only manifest flows are checked (tshark may see more). Needs
tshark 4.x; IP reassembly is switched off so non-first fragments carry no
ports and are skipped, as davy skips them.
"""
import collections
import ipaddress
import json
import os
import subprocess
import sys

FIELDS = ["frame.len", "frame.protocols", "vlan.id", "ieee8021ad.id", "ip.src", "ip.dst",
          "ipv6.src", "ipv6.dst", "tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport"]
L4 = {"tcp": "TCP", "udp": "UDP", "icmp": "ICMP", "icmpv6": "IPv6-ICMP"}


def first(v):
    return v.split(",")[0] if v else ""


def tshark_keys(path, npkts):
    cmd = ["tshark", "-r", path, "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
           "-T", "fields", "-E", "separator=|"]
    for f in FIELDS:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    pkts, byts = collections.Counter(), collections.Counter()
    for line in out.splitlines()[:npkts]:
        v = dict(zip(FIELDS, line.split("|")))
        protos = v["frame.protocols"].split(":")
        q = v["vlan.id"].split(",") if v["vlan.id"] else []
        ad = v["ieee8021ad.id"].split(",") if v["ieee8021ad.id"] else []
        vlans = []
        for p in protos:
            if p == "vlan":
                vlans.append(int(q.pop(0)))
            elif p == "ieee8021ad":
                vlans.append(int(ad.pop(0)))
        src, dst = first(v["ip.src"] or v["ipv6.src"]), first(v["ip.dst"] or v["ipv6.dst"])
        l4 = [L4[p] for p in protos if p in L4]
        if not src or not l4:
            continue
        proto = l4[0]
        sp = dp = 0
        if proto in ("TCP", "UDP"):
            sp = int(first(v[proto.lower() + ".srcport"]))
            dp = int(first(v[proto.lower() + ".dstport"]))
        ends = sorted([(str(ipaddress.ip_address(src)), sp), (str(ipaddress.ip_address(dst)), dp)])
        key = (proto, tuple(ends), tuple(vlans))
        pkts[key] += 1
        byts[key] += int(v["frame.len"])
    return pkts, byts


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    m = json.load(open(os.path.join(d, "manifest.json")))
    bad = 0
    for name, c in m["captures"].items():
        if c.get("error") == "not_a_capture" or c["packets"] == 0:
            continue
        if c.get("fragments"):
            print("skip %s: fragment capture (checked with tshark -o ip.defragment:TRUE)" % name)
            continue
        if any(f.get("tunnel") for f in c["flows"]) or c.get("too_many_layers"):
            # tshark keys flows on the outermost IP header and counts whole
            # frames; tunnel captures need a per-frame check (innermost
            # tuple, inner bytes), which this script does not do
            print("skip %s: tunnel capture" % name)
            continue
        got, gotb = tshark_keys(os.path.join(d, name), c["packets"])
        exp, expb = collections.Counter(), collections.Counter()
        for f in c["flows"]:
            ends = sorted([(f["src_ip"], f["src_port"]), (f["dest_ip"], f["dest_port"])])
            key = (f["proto"], tuple(ends), tuple(f.get("vlan", [])))
            exp[key] += f["pkts_toserver"] + f["pkts_toclient"]
            expb[key] += f["bytes_toserver"] + f["bytes_toclient"]
        keys = set(exp) if c["decode_errors"] else set(exp) | set(got)
        diff = {k: (got.get(k, 0), gotb.get(k, 0), exp.get(k, 0), expb.get(k, 0))
                for k in keys if (got.get(k), gotb.get(k)) != (exp.get(k), expb.get(k))}
        if diff:
            bad += 1
            print("DIFF %s (tshark pkts, bytes, manifest pkts, bytes): %s" % (name, diff))
        else:
            print("ok   %s: %d flow keys" % (name, len(exp)))
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
