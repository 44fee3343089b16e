#!/usr/bin/python3
"""Turn davy's EVE JSON lines into normalised TCP/UDP flow tuples.

Usage: flows_from_eve.py [EVE.json ...]   (default: standard input)

Reads JSON objects, one per line.  For every object with event_type "flow" and
proto TCP or UDP (case-insensitive; 6 and 17 are accepted too) it prints

    <proto> <ipA> <portA> <ipB> <portB>

normalised exactly like tshark_tuples.py (endpoints ordered by packed address bytes,
then port; addresses printed by Python's ipaddress), sorted and unique.  Other event
types and protocols are ignored, and so is the "vlan" field (flows that differ only
by VLAN collapse into one line).

Blank lines are skipped.  Lines that are not JSON objects, and TCP/UDP flow records
without usable addresses or ports, are reported on stderr as "E <where>: <why>"; the
good records are still printed and the exit status is then 1 (0 otherwise).

Standard library only.
"""

import fileinput
import ipaddress
import json
import sys

PROTOS = {"TCP": "TCP", "UDP": "UDP", "6": "TCP", "17": "UDP"}


def norm(proto, src, sport, dst, dport):
    """Same normalisation as tshark_tuples.norm()."""
    a = ipaddress.ip_address(src)
    b = ipaddress.ip_address(dst)
    sport = int(sport)
    dport = int(dport)
    if not (0 <= sport <= 65535 and 0 <= dport <= 65535):
        raise ValueError("port out of range")
    if (b.packed, dport) < (a.packed, sport):
        a, b, sport, dport = b, a, dport, sport
    return "%s %s %d %s %d" % (proto, a, sport, b, dport)


def main(argv):
    out = set()
    bad = 0
    for line in fileinput.input(argv[1:]):
        where = "%s:%d" % (fileinput.filename(), fileinput.filelineno())
        line = line.strip()
        if not line:
            continue
        try:
            rec = json.loads(line)
        except ValueError as e:
            sys.stderr.write("E %s: not JSON: %s\n" % (where, e))
            bad += 1
            continue
        if not isinstance(rec, dict):
            sys.stderr.write("E %s: not a JSON object\n" % where)
            bad += 1
            continue
        if rec.get("event_type") != "flow":
            continue
        proto = PROTOS.get(str(rec.get("proto", "")).upper())
        if proto is None:
            continue
        try:
            out.add(norm(proto, rec["src_ip"], rec["src_port"],
                         rec["dest_ip"], rec["dest_port"]))
        except (KeyError, ValueError, TypeError) as e:
            sys.stderr.write("E %s: bad %s flow record: %s %s\n"
                             % (where, proto, type(e).__name__, e))
            bad += 1
    sys.stdout.write("".join(t + "\n" for t in sorted(out)))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
