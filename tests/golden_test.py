#!/usr/bin/python3
"""golden_test - davy against the ground truth of its own test captures.

pcaps/gen.py builds every capture in pcaps/ and writes, from the same packets,
what davy must report (pcaps/manifest.json): each flow with its direction,
counters, times, state and end reason; the decode errors, fragments and
unsupported frames; the damaged files; and, from gen.py's reference model of
davy's Stratum detection, each flow's stratum object, the alerts, the
reassembly gap counters and the periodic (update) flow records. This suite
replays each capture with --workers 1, 2 and 4 and checks:
  - the flow records equal the manifest's flows, field by field, stratum
    object included (a flow without one in the manifest must have none);
  - the alerts are exactly the manifest's (flow, signature) pairs, at the
    manifest's time and direction where it states them, with ATT&CK T1496
    metadata, a severity and a category, and for sids 4960001/4960002 a
    stratum object of the expected dialect;
  - the update records (flow.reason "update") are exactly the manifest's;
  - DNS linkage: each flow record's dns_linked_name / dns_linked_cname equal
    the manifest's (absent where it has none); every alert and update record
    carries the names of its flow;
  - the stats record's counters equal the manifest's (stats.reassembly gaps
    where the manifest states them; stats.dns_linkage responses, errors,
    links, tcp_split, cname_overflow, flows_linked);
  - every record validates against docs/record.schema.json;
  - flow, alert and update records are identical, up to order, for 1, 2 and
    4 workers;
  - damaged files give the documented exit status and message.
Usage: golden_test.py PATH/TO/davy
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import (ROOT, Tally, alert_records, canonical, flow_records, norm_ip, run_davy,  # noqa: E402
                      schema_errors, schema_validator, update_records)


def ts(s):
    """EVE time string -> epoch seconds (float)."""
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def flow_id_key(f):
    return (f["proto"], norm_ip(f["src_ip"]), f.get("src_port", 0), norm_ip(f["dest_ip"]),
            f.get("dest_port", 0), tuple(f.get("vlan", [])), round(f["start"], 6))


def actual_key(r):
    return (r["proto"], norm_ip(r["src_ip"]), r.get("src_port", 0), norm_ip(r["dest_ip"]),
            r.get("dest_port", 0), tuple(r.get("vlan", [])), round(ts(r["flow"]["start"]), 6))


TUNNEL_KEYS = ("type", "src_ip", "dest_ip", "vni", "key", "session_id", "label")


def tunnels(lst):
    """A tunnel array reduced to the contract's keys, addresses normalised."""
    return [{k: (norm_ip(v) if k.endswith("_ip") else v) for k, v in t.items() if k in TUNNEL_KEYS}
            for t in (lst or [])]


FIELDS = ("pkts_toserver", "pkts_toclient", "bytes_toserver", "bytes_toclient", "state", "reason")
COUNTS = FIELDS[:4]
# the stratum object's fields the manifest states (pcaps/gen.py STRATUM_FIELDS)
STRATUM_FIELDS = ("dialect", "role", "login", "wallet_type", "worker", "pass", "agent", "algo",
                  "rigid", "difficulty", "jobs", "submits", "accepted", "rejected")
STRATUM_SIDS = (4960001, 4960002)


def stratum_of(obj):
    """A stratum object reduced to the fields the manifest states."""
    return {k: v for k, v in obj.items() if k in STRATUM_FIELDS} if obj is not None else None


def key_of(fl):
    """An alert's or update's flow in the manifest -> comparable key."""
    return (fl["proto"], norm_ip(fl["src_ip"]), fl.get("src_port", 0), norm_ip(fl["dest_ip"]),
            fl.get("dest_port", 0), round(fl["start"], 6))


def record_key(r):
    return (r["proto"], norm_ip(r["src_ip"]), r.get("src_port", 0), norm_ip(r["dest_ip"]),
            r.get("dest_port", 0), round(ts(r["flow"]["start"]), 6))


def compare_flows(t, name, expected, actual):
    exp = {flow_id_key(f): f for f in expected}
    act = {}
    for r in actual:
        k = actual_key(r)
        t.check(k not in act, f"{name}: one record per flow", f"duplicate {k}")
        act[k] = r
    missing = sorted(set(exp) - set(act))
    extra = sorted(set(act) - set(exp))
    t.check(not missing, f"{name}: every expected flow reported", f"missing {missing}")
    t.check(not extra, f"{name}: no unexpected flow", f"extra {extra}")
    for k in sorted(set(exp) & set(act)):
        e, r = exp[k], act[k]
        got = {f: r["flow"][f] for f in FIELDS}
        want = {f: e[f] for f in FIELDS}
        t.check(got == want, f"{name}: flow {k[:5]} counters/state/reason", f"got {got} want {want}")
        t.check(abs(ts(r["flow"]["end"]) - e["end"]) < 1e-6, f"{name}: flow {k[:5]} end time",
                f"got {r['flow']['end']} want {e['end']}")
        t.check(r["timestamp"] == r["flow"]["start"], f"{name}: flow timestamp is its start")
        t.check(tunnels(r.get("tunnel")) == tunnels(e.get("tunnel")), f"{name}: flow {k[:5]} tunnel",
                f"got {r.get('tunnel')} want {e.get('tunnel')}")
        got, want = stratum_of(r.get("stratum")), e.get("stratum")
        t.check(got == want, f"{name}: flow {k[:5]} stratum object",
                f"got {got} want {want}")
        got, want = dns_names(r), dns_names(e)
        t.check(got == want, f"{name}: flow {k[:5]} dns_linked_name/cname",
                f"got {got} want {want}")


DNS_FIELDS = ("dns_linked_name", "dns_linked_cname")


def dns_names(obj):
    """A record's (or manifest flow's) DNS linkage: {field: value} of those present."""
    return {k: obj[k] for k in DNS_FIELDS if k in obj}


def compare_dns_linked(t, name, flows, others):
    """Alert and update records carry their flow's DNS names (as its flow record)."""
    names = {record_key(r): dns_names(r) for r in flows}
    for r in others:
        k = record_key(r)
        what = "alert" if r.get("event_type") == "alert" else "update"
        t.check(dns_names(r) == names.get(k, {}),
                f"{name}: {what} on {k[1]}:{k[2]}->{k[3]}:{k[4]} has its flow's DNS names",
                f"got {dns_names(r)} want {names.get(k, {})}")


def compare_alerts(t, name, expected, actual, flows):
    """Alerts: the exact set of (flow, signature); time, direction and
    dialect where the manifest states them; the fixed parts of the record."""
    flow_ids = {record_key(r): r["flow_id"] for r in flows}
    exp = {key_of(a["flow"]) + (a["signature_id"],): a for a in expected}
    act = {}
    for r in actual:
        k = record_key(r) + (r["alert"]["signature_id"],)
        t.check(k not in act, f"{name}: one alert per flow and signature", f"duplicate {k}")
        act[k] = r
    missing = sorted(set(exp) - set(act))
    extra = sorted(set(act) - set(exp))
    t.check(not missing, f"{name}: every expected alert raised", f"missing {missing}")
    t.check(not extra, f"{name}: no unexpected alert",
            "extra " + "; ".join(f"{k} at {act[k]['timestamp']} {act[k].get('direction')}"
                                 for k in extra))
    for k in sorted(set(exp) & set(act)):
        e, r = exp[k], act[k]
        what = f"{name}: alert {k[6]} on {k[1]}:{k[2]}->{k[3]}:{k[4]}"
        if "timestamp" in e:
            t.check(abs(ts(r["timestamp"]) - e["timestamp"]) < 1e-6, f"{what} time",
                    f"got {r['timestamp']} want {e['timestamp']:.6f}")
        if "direction" in e:
            t.check(r.get("direction") == e["direction"], f"{what} direction",
                    f"got {r.get('direction')} want {e['direction']}")
        al = r["alert"]
        t.check("T1496" in al.get("metadata", {}).get("mitre_technique_id", []),
                f"{what} ATT&CK T1496 metadata", str(al.get("metadata")))
        t.check(isinstance(al.get("severity"), int) and bool(al.get("category")),
                f"{what} severity and category", str(al))
        t.check(r.get("flow_id") == flow_ids.get(k[:6]), f"{what} flow_id is its flow record's",
                f"got {r.get('flow_id')} want {flow_ids.get(k[:6])}")
        if k[6] in STRATUM_SIDS:
            got = (r.get("stratum") or {}).get("dialect")
            t.check(got == e.get("dialect"), f"{what} stratum object and dialect",
                    f"got {got} want {e.get('dialect')}")


def compare_updates(t, name, expected, actual):
    exp = {key_of(u["flow"]) + (round(u["timestamp"], 6),): u for u in expected}
    act = {}
    for r in actual:
        k = record_key(r) + (round(ts(r["timestamp"]), 6),)
        t.check(k not in act, f"{name}: one update record per flow and time", f"duplicate {k}")
        act[k] = r
    missing = sorted(set(exp) - set(act))
    extra = sorted(set(act) - set(exp))
    t.check(not missing, f"{name}: every expected update record written", f"missing {missing}")
    t.check(not extra, f"{name}: no unexpected update record", f"extra {extra}")
    for k in sorted(set(exp) & set(act)):
        got = {f: act[k]["flow"].get(f) for f in COUNTS}
        want = {f: exp[k][f] for f in COUNTS}
        t.check(got == want, f"{name}: update {k[1]}:{k[2]} at {k[6]} counters so far",
                f"got {got} want {want}")


def main():
    davy = os.path.abspath(sys.argv[1])
    t = Tally("golden")
    with open(os.path.join(ROOT, "pcaps", "manifest.json")) as f:
        manifest = json.load(f)
    validator = schema_validator()
    if validator is None:
        t.skip("schema", "python3-jsonschema is not installed (make deps installs it)")

    for name, cap in sorted(manifest["captures"].items()):
        path = os.path.join(ROOT, "pcaps", name)
        runs = {}
        for workers in (1, 2, 4):
            rc, recs, err = run_davy(davy, ["--workers", str(workers), "--sensor-name", "golden", "--no-iocs",
                                            "-r", path])
            runs[workers] = recs
            label = f"{name} (--workers {workers})"
            error = cap.get("error")
            if error == "not_a_capture":
                t.check(rc == 2, f"{label}: exit status 2", f"rc={rc} stderr={err!r}")
                t.check(path in err and "cannot read capture" in err,
                        f"{label}: message names the file and the problem", err)
                t.check(recs == [], f"{label}: no records", f"{len(recs)} records")
                continue
            if error in ("truncated", "unreadable"):
                t.check(rc == 1, f"{label}: exit status 1 (completed, input damaged)",
                        f"rc={rc} stderr={err!r}")
                t.check(path in err and "damaged or unreadable after packet" in err,
                        f"{label}: message names the file and the damage", err)
            else:
                t.check(rc == 0, f"{label}: exit status 0", f"rc={rc} stderr={err!r}")
            if validator is not None:
                bad = [(i, e) for i, r in enumerate(recs) for e in schema_errors(validator, r)]
                t.check(not bad, f"{label}: records match the schema", str(bad[:5]))
            stats = [r for r in recs if r.get("event_type") == "stats"]
            if not t.check(len(stats) == 1 and recs and recs[-1]["event_type"] == "stats",
                           f"{label}: exactly one stats record, last"):
                continue
            st = stats[0]["stats"]
            dec = st["decoder"]
            t.check(dec["pkts"] == cap["packets"], f"{label}: packets counted",
                    f"got {dec['pkts']} want {cap['packets']}")
            t.check(dec["errors"] == cap["decode_errors"], f"{label}: decode errors counted",
                    f"got {dec['errors']} want {cap['decode_errors']}: {dec['layers']}")
            want_frags = cap.get("fragments", cap.get("fragments_unattributed"))
            t.check(dec["fragments"] == want_frags, f"{label}: fragments counted",
                    f"got {dec['fragments']} want {want_frags}")
            t.check(dec["unsupported"] == cap["unsupported"], f"{label}: unsupported frames counted",
                    f"got {dec['unsupported']} want {cap['unsupported']}")
            t.check(st["workers"] == workers, f"{label}: stats name the worker count")
            t.check(st["flow"]["wrong_thread"] == 0, f"{label}: every packet reached its flow's worker",
                    f"wrong_thread {st['flow']['wrong_thread']}")
            for k, want in cap.get("defrag", {}).items():
                t.check(st["defrag"].get(k) == want, f"{label}: defrag.{k} counted",
                        f"got {st['defrag'].get(k)} want {want}")
            if cap.get("too_many_layers"):
                t.check(dec["too_many_layers"] == cap["too_many_layers"],
                        f"{label}: too_many_layers counted",
                        f"got {dec['too_many_layers']} want {cap['too_many_layers']}")
            flows = flow_records(recs)
            t.check(st["flow"]["created"] == len(flows), f"{label}: one record per created flow",
                    f"created {st['flow']['created']}, records {len(flows)}")
            compare_flows(t, label, cap["flows"], flows)
            compare_alerts(t, label, cap.get("alerts", []), alert_records(recs), flows)
            compare_updates(t, label, cap.get("updates", []), update_records(recs))
            compare_dns_linked(t, label, flows, alert_records(recs) + update_records(recs))
            for k, want in cap.get("dns_linkage", {}).items():
                got = st.get("dns_linkage", {}).get(k)
                t.check(got == want, f"{label}: dns_linkage.{k} counted", f"got {got} want {want}")
            for k, want in cap.get("reassembly", {}).items():
                got = st.get("reassembly", {}).get(k)
                t.check(got == want, f"{label}: reassembly.{k} counted", f"got {got} want {want}")
        for w in (2, 4):
            if 1 in runs and w in runs:
                for what, sel in (("flow", flow_records), ("alert", alert_records),
                                  ("update", update_records)):
                    t.check(canonical(sel(runs[1])) == canonical(sel(runs[w])),
                            f"{name}: identical {what} records for 1 and {w} workers")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
