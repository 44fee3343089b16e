#!/usr/bin/python3
"""mkenrich.py - the enrichment benchmark's inputs (bench/run.sh, 4e):

    mkenrich.py OUTDIR [PODS=10000]

writes OUTDIR/city.json and OUTDIR/asn.json (tables for tests/lib/mkmmdb.pl:
a country for every /8 the synthetic capture's servers use, 23-202, and
30,000 more specific /16-/24 networks with cities and AS numbers under
them, so lookups walk deep trees as in a real GeoLite2 file), and
OUTDIR/pods.json: PODS pods from tests/lib/mkpods.py whose first 2,000
single-address pods carry the synthetic capture's client addresses
(gen_synth: 10.1.(c >> 8).(1 + (c & 0xfe)) for its 4,000 clients c: 2,000
distinct addresses), so that pod lookups find pods as on a node's own
traffic. Deterministic.
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "lib"))
import mkpods  # noqa: E402

CC = ["US", "DE", "NL", "FR", "GB", "JP", "CN", "RU", "BR", "IN", "SG", "CA", "AU", "KR", "SE"]


def tables(rnd):
    city, asn = [], []
    for a in range(23, 203):
        if a in (100, 127):
            continue
        city.append({"net": f"{a}.0.0.0/8", "country": rnd.choice(CC)})
        asn.append({"net": f"{a}.0.0.0/8", "asn": 64512 + a, "org": f"EXAMPLE-NET-{a}"})
    seen = set()
    while len(seen) < 30000:
        a = rnd.randrange(23, 203)
        if a in (100, 127):
            continue
        plen = rnd.choice((16, 18, 20, 22, 24))
        v = (a << 24 | rnd.randrange(1 << 24)) >> (32 - plen) << (32 - plen)
        net = "%d.%d.%d.%d/%d" % (v >> 24, v >> 16 & 255, v >> 8 & 255, v & 255, plen)
        if net in seen:
            continue
        seen.add(net)
        city.append({"net": net, "country": rnd.choice(CC), "city": f"City {len(seen)}"})
        asn.append({"net": net, "asn": 1000 + len(seen), "org": f"Example Hosting {len(seen)}"})
    return city, asn


def main():
    out = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 10000
    rnd = random.Random(7)
    city, asn = tables(rnd)
    for name, t in (("city", city), ("asn", asn)):
        with open(os.path.join(out, f"{name}.json"), "w") as f:
            json.dump(t, f)
    lst = mkpods.pod_list(mkpods.generate(n, seed=1))
    c = 0
    for p in lst["items"]:
        st = p.get("status", {})
        if c >= 4000 or p["spec"].get("hostNetwork") or len(st.get("podIPs", [])) != 1:
            continue
        ip = "10.%d.%d.%d" % (1 + (c >> 16), (c >> 8) & 255, 1 + (c & 0xfe))
        st["podIP"], st["podIPs"] = ip, [{"ip": ip}]
        c += 2
    with open(os.path.join(out, "pods.json"), "w") as f:
        json.dump(lst, f, indent=4)
    print(f"mkenrich: {len(city)} city rows, {len(asn)} asn rows, {n} pods ({c // 2} on client addresses)")


if __name__ == "__main__":
    main()
