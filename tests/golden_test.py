#!/usr/bin/python3
"""golden_test - davy against the ground truth of its own test captures.

pcaps/gen.py builds every capture in pcaps/ and writes, from the same packets,
what davy must report (pcaps/manifest.json): each flow with its direction,
counters, times, state and end reason; the decode errors, fragments and
unsupported frames; the damaged files. This suite replays each capture with
--workers 1, 2 and 4 and checks:
  - the flow records equal the manifest's flows, field by field;
  - the stats record's counters equal the manifest's;
  - every record validates against docs/record.schema.json;
  - the records are identical, up to order, for 1, 2 and 4 workers;
  - damaged files give the documented exit status and message.
Usage: golden_test.py PATH/TO/davy
"""
import datetime
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import ROOT, Tally, canonical, flow_records, norm_ip, run_davy, schema_errors, schema_validator  # noqa: E402


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
            rc, recs, err = run_davy(davy, ["--workers", str(workers), "--sensor-name", "golden",
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
        for w in (2, 4):
            if 1 in runs and w in runs:
                t.check(canonical(flow_records(runs[1])) == canonical(flow_records(runs[w])),
                        f"{name}: identical flow records for 1 and {w} workers")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
