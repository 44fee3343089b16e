#!/usr/bin/python3
"""ioc_golden_test - davy's indicator alerts against the ground truth of its indicator captures.

pcaps/gen.py builds the indicator captures (pcaps/ioc_*.pcap) and, from a
reference model of davy's indicator matching (the plain feed format, its
lookups, which fact of a flow is checked when and which signature it makes
due: pcaps/manifest.json rules.iocs), writes into each capture's `iocs`
object in pcaps/manifest.json what davy must report when it is given the
feeds iocs.feeds (the shipped iocs/ and tests/data/test-iocs.txt). This
suite replays every capture that has one with --iocs for each of those
feeds and --workers 1, 2 and 4, and checks:
  - the indicator alerts (signatures 4960101-4960109) are exactly the
    manifest's: each expected (flow, signature) raised once, nothing else;
    each with the manifest's ioc.indicator, ioc.matched, ioc.category,
    ioc.feed, ioc.type, ioc.severity, alert severity, direction and time,
    and the flow_id of its flow record;
  - no look-alike flow (built to resemble an indicator's flow) raises an
    indicator alert;
  - each flow record's dns_linked_name / dns_linked_cname equal the
    manifest's (the TLS flow without SNI is caught through its name), and
    every alert matched on a DNS-linked name carries that name;
  - a flow's stratum object has `host` exactly where the manifest says
    (iocs.stratum_hosts), with that host;
  - the flows and the other alerts (Stratum) are the manifest's: the feeds
    change nothing else;
  - stats.iocs: the indicators stored, feed files read, bad lines, and the
    facts matched per place (matched.<where>) are the manifest's;
  - every record validates against docs/record.schema.json;
  - flow and alert records are identical, up to order, for 1, 2 and 4
    workers.
Usage: ioc_golden_test.py PATH/TO/davy
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import (ROOT, Tally, alert_records, canonical, flow_records, norm_ip, run_davy,  # noqa: E402
                      schema_errors, schema_validator)

IOC_SIDS = range(4960101, 4960110)
IOC_FIELDS = ("indicator", "type", "feed", "category", "severity", "matched")
DNS_FIELDS = ("dns_linked_name", "dns_linked_cname")


def ts(s):
    """EVE time string -> epoch seconds (float)."""
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def key_of(fl):
    """A flow in the manifest (a flow, or an alert's or look-alike's flow) -> comparable key."""
    return (fl["proto"], norm_ip(fl["src_ip"]), fl.get("src_port", 0), norm_ip(fl["dest_ip"]),
            fl.get("dest_port", 0), round(fl["start"], 6))


def record_key(r):
    return (r["proto"], norm_ip(r["src_ip"]), r.get("src_port", 0), norm_ip(r["dest_ip"]),
            r.get("dest_port", 0), round(ts(r["flow"]["start"]), 6))


def show(k):
    return f"{k[1]}:{k[2]}->{k[3]}:{k[4]}"


def dns_names(obj):
    return {k: obj[k] for k in DNS_FIELDS if k in obj}


def check_ioc_alerts(t, label, iocs, alerts, flows):
    flow_ids = {record_key(r): r["flow_id"] for r in flows}
    exp = {key_of(a["flow"]) + (a["signature_id"],): a for a in iocs["alerts"]}
    act = {}
    for r in alerts:
        k = record_key(r) + (r["alert"]["signature_id"],)
        t.check(k not in act, f"{label}: one indicator alert per flow and signature",
                f"duplicate {k}")
        act[k] = r
    for k, e in sorted(exp.items()):
        what = f"{label}: alert {k[6]} ({e['ioc']['matched']} {e['ioc']['indicator']}) on {show(k)}"
        if not t.check(k in act, f"{what} raised"):
            continue
        r = act[k]
        got = {f: (r.get("ioc") or {}).get(f) for f in IOC_FIELDS}
        t.check(got == e["ioc"], f"{what} ioc object", f"got {got} want {e['ioc']}")
        t.check(abs(ts(r["timestamp"]) - e["timestamp"]) < 1e-6, f"{what} time",
                f"got {r['timestamp']} want {e['timestamp']:.6f}")
        t.check(r.get("direction") == e["direction"], f"{what} direction",
                f"got {r.get('direction')} want {e['direction']}")
        t.check(r["alert"].get("severity") == e["severity"], f"{what} severity",
                f"got {r['alert'].get('severity')} want {e['severity']}")
        t.check(r.get("flow_id") == flow_ids.get(k[:6]), f"{what} flow_id is its flow record's",
                f"got {r.get('flow_id')} want {flow_ids.get(k[:6])}")
        if e["ioc"]["matched"] in ("dns_linked", "dns_linked_cname"):
            field = "dns_linked_name" if e["ioc"]["matched"] == "dns_linked" else "dns_linked_cname"
            t.check(r.get(field) == e["fact"], f"{what} carries {field}",
                    f"got {r.get(field)} want {e['fact']}")
    extra = sorted(set(act) - set(exp))
    t.check(not extra, f"{label}: no unexpected indicator alert",
            "; ".join(f"{k[6]} on {show(k)} at {act[k]['timestamp']}: {act[k].get('ioc')}"
                      for k in extra))
    reported = {record_key(r) for r in flows}
    for fl in iocs["lookalikes"]:
        k = key_of(fl)
        t.check(k in reported, f"{label}: look-alike {show(k)} reported as a flow")
        got = sorted(f"{s} {(act[x].get('ioc') or {}).get('matched')} "
                     f"{(act[x].get('ioc') or {}).get('indicator')}"
                     for x in act for s in [x[6]] if x[:6] == k)
        t.check(not got, f"{label}: look-alike {show(k)} raises no indicator alert", str(got))


def check_flows(t, label, cap, iocs, flows, others):
    exp = {key_of(f): f for f in cap["flows"]}
    act = {record_key(r): r for r in flows}
    t.check(sorted(exp) == sorted(act), f"{label}: the manifest's flows, one record each",
            f"missing {sorted(set(exp) - set(act))} extra {sorted(set(act) - set(exp))}")
    for k in sorted(set(exp) & set(act)):
        got, want = dns_names(act[k]), dns_names(exp[k])
        t.check(got == want, f"{label}: flow {show(k)} dns_linked_name/cname",
                f"got {got} want {want}")
    hosts = {key_of(h["flow"]): h["host"] for h in iocs["stratum_hosts"]}
    for k in sorted(set(act)):
        st = act[k].get("stratum")
        if st is None and k not in hosts:
            continue
        got = (st or {}).get("host")
        t.check(got == hosts.get(k), f"{label}: flow {show(k)} stratum.host",
                f"got {got} want {hosts.get(k)}")
    exp_other = sorted(key_of(a["flow"]) + (a["signature_id"],) for a in cap.get("alerts", []))
    act_other = sorted(record_key(r) + (r["alert"]["signature_id"],) for r in others)
    t.check(exp_other == act_other, f"{label}: the other alerts are the manifest's",
            f"got {act_other} want {exp_other}")


def check_stats(t, label, want, got):
    for k in ("indicators", "files", "bad_lines"):
        t.check(got.get(k) == want[k], f"{label}: stats.iocs.{k}", f"got {got.get(k)} want {want[k]}")
    for w, n in want["matched"].items():
        g = got.get("matched", {}).get(w, 0)
        t.check(g == n, f"{label}: stats.iocs.matched.{w}", f"got {g} want {n}")


def main():
    davy = os.path.abspath(sys.argv[1])
    t = Tally("ioc")
    with open(os.path.join(ROOT, "pcaps", "manifest.json")) as f:
        manifest = json.load(f)
    validator = schema_validator()
    if validator is None:
        t.skip("schema", "python3-jsonschema is not installed (make deps installs it)")
    caps = {n: c for n, c in sorted(manifest["captures"].items()) if c.get("iocs")}
    t.check(bool(caps), "the manifest has captures with indicators")
    for name, cap in caps.items():
        iocs = cap["iocs"]
        feeds = [a for p in iocs["feeds"] for a in ("--iocs", os.path.join(ROOT, p))]
        runs = {}
        for workers in (1, 2, 4):
            label = f"{name} (--workers {workers})"
            rc, recs, err = run_davy(davy, ["--workers", str(workers), "--sensor-name", "ioc"]
                                     + feeds + ["-r", os.path.join(ROOT, "pcaps", name)])
            if not t.check(rc == 0, f"{label}: exit status 0", f"rc={rc} stderr={err!r}"):
                continue
            runs[workers] = recs
            if validator is not None:
                bad = [(i, e) for i, r in enumerate(recs) for e in schema_errors(validator, r)]
                t.check(not bad, f"{label}: records match the schema", str(bad[:5]))
            flows = flow_records(recs)
            alerts = alert_records(recs)
            ioc_alerts = [r for r in alerts if r["alert"]["signature_id"] in IOC_SIDS]
            others = [r for r in alerts if r["alert"]["signature_id"] not in IOC_SIDS]
            check_ioc_alerts(t, label, iocs, ioc_alerts, flows)
            check_flows(t, label, cap, iocs, flows, others)
            stats = [r["stats"] for r in recs if r.get("event_type") == "stats"]
            if t.check(len(stats) == 1, f"{label}: one stats record"):
                check_stats(t, label, iocs["stats"], stats[0].get("iocs", {}))
        for w in (2, 4):
            if 1 in runs and w in runs:
                for what, sel in (("flow", flow_records), ("alert", alert_records)):
                    t.check(canonical(sel(runs[1])) == canonical(sel(runs[w])),
                            f"{name}: identical {what} records for 1 and {w} workers")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
