#!/usr/bin/python3
"""pods_test - Kubernetes pod identity (--pods) in flow and alert records.

Checks, against include/pods.h, include/pods_live.h and docs/records.md:
  - pcaps/pods_miner.pcap with pcaps/pods_miner.json (gen.py writes both):
    every record of a pod's flow has k8s.src with exactly the pod's
    namespace, pod, node, app (label app, else app.kubernetes.io/name),
    service_account, images and owner; the miner pod's Stratum session
    alerts with k8s and geo filled; its TLS flow (encrypted, to an address
    and name listed nowhere) alerts on the shipped image indicator
    kannix/monero-miner (sid 4960107, matched k8s.src.images); the
    dual-stack pod is found by either address; the host-network pod's node
    address and the finished pod's address get no k8s;
  - a flow to a pod gets k8s.dest, and its image alert is to_client;
  - namespace indicators alert (sid 4960108, low severity); the alert rate
    limit counts a dual-stack pod as one source;
  - stats.pods counters; without --pods no k8s and no stats.pods;
  - a pod list that cannot be read or parsed is a start-up error naming
    the file; bad items are reported as "FILE: item N (ns/name): ..." and
    skipped;
  - reload while running: a changed file is reread (--pods-check-interval),
    a malformed one keeps the previous pods, SIGHUP rereads;
  - every record matches docs/record.schema.json.
The geo part needs perl's MaxMind::DB::Writer::Tree (Debian:
libmaxmind-db-writer-perl); without it those checks are skipped, saying so.

Usage: pods_test.py DAVY
"""
import json
import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import (PCAP_HEADER_RAW, ROOT, LiveDavy, Tally, alert_records,  # noqa: E402
                      flow_records, mkmmdb, norm_ip, pcap_record, perl_has, run_davy,
                      stats_of, udp_any)
from davytest import check_schema as check_schema_of  # noqa: E402

os.environ.setdefault("TSAN_OPTIONS", "suppressions=" + os.path.join(ROOT, "tests", "tsan.supp"))

T = Tally("pods")
DAVY = None
CAP = os.path.join(ROOT, "pcaps", "pods_miner.pcap")
PODS = os.path.join(ROOT, "pcaps", "pods_miner.json")
MINER, TRAIN, TRAIN6, NODE, DONE = ("10.244.7.21", "10.244.7.22", "fd00:10:244:7::22",
                                    "10.0.0.5", "10.244.7.30")
POOL, TLS, WEB, WEB6 = "89.44.10.20", "89.44.10.30", "89.44.10.40", "2a02:5e0::40"
# What the records must say of each pod, written out by hand from gen.py's
# PODS_MINER (not read from the JSON file).
MINER_K8S = {"namespace": "anonymous", "pod": "tf-notebook-0", "node": "gpu-node-3",
             "app": "tf-notebook", "service_account": "default-editor",
             "images": ["docker.io/kannix/monero-miner:latest"],
             "owner": {"kind": "StatefulSet", "name": "tf-notebook"}}
TRAIN_K8S = {"namespace": "anonymous", "pod": "tf-train-7c9f8-x2x4q", "node": "gpu-node-3",
             "app": "tf-train", "service_account": "default-editor",
             "images": ["tensorflow/tensorflow:2.14.0-gpu-jupyter", "busybox:1.36"],
             "owner": {"kind": "ReplicaSet", "name": "tf-train-7c9f8"}}
K8S_OF = {MINER: MINER_K8S, TRAIN: TRAIN_K8S, TRAIN6: TRAIN_K8S}
CITY = [{"net": "89.44.10.0/24", "country": "NL", "city": "Amsterdam"},
        {"net": "2a02:5e0::/32", "country": "DE"}]
ASN = [{"net": "89.44.10.0/24", "asn": 64600, "org": "EXAMPLE-POOL-HOSTING"},
       {"net": "2a02:5e0::/32", "asn": 64601, "org": "EXAMPLE-WEB"}]
GEO_OF = {POOL: {"country": "NL", "city": "Amsterdam", "asn": 64600,
                 "as_org": "EXAMPLE-POOL-HOSTING"},
          TLS: {"country": "NL", "city": "Amsterdam", "asn": 64600,
                "as_org": "EXAMPLE-POOL-HOSTING"},
          WEB: {"country": "NL", "city": "Amsterdam", "asn": 64600,
                "as_org": "EXAMPLE-POOL-HOSTING"},
          WEB6: {"country": "DE", "asn": 64601, "as_org": "EXAMPLE-WEB"}}


def check_schema(what, records):
    check_schema_of(T, what, records)


def sids(alerts, src, dport):
    return sorted(a["alert"]["signature_id"] for a in alerts
                  if norm_ip(a["src_ip"]) == src and a.get("dest_port") == dport)


# ---- pod lists ------------------------------------------------------------------

def pod(ns, name, ips, images=("busybox:1.36",), host_network=False, phase="Running"):
    spec = {"containers": [{"name": f"c{i}", "image": im} for i, im in enumerate(images)],
            "nodeName": "node-1", "serviceAccountName": "default"}
    if host_network:
        spec["hostNetwork"] = True
    st = {"phase": phase}
    if ips:
        st["podIP"] = ips[0]
        st["podIPs"] = [{"ip": a} for a in ips]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"namespace": ns, "name": name},
            "spec": spec, "status": st}


def write_pods(path, items, kind="List"):
    """Replaces the file atomically (rename), as pods_live.h asks."""
    with open(path + ".tmp", "w") as f:
        json.dump({"apiVersion": "v1", "kind": kind, "items": items}, f)
    os.rename(path + ".tmp", path)


def write_capture(path, pairs):
    with open(path, "wb") as f:
        f.write(PCAP_HEADER_RAW)
        for i, (src, dst) in enumerate(pairs):
            f.write(pcap_record(1_700_000_000 + i * 0.01, udp_any(src, dst, 20000 + i, 9000)))


# ---- tests -----------------------------------------------------------------------

def test_capture(tmp):
    """The miner pod of pods_miner.pcap, with both databases."""
    ok, why = perl_has("MaxMind::DB::Writer::Tree")
    geo = []
    if ok:
        city, asn = os.path.join(tmp, "city.mmdb"), os.path.join(tmp, "asn.mmdb")
        for kind, table, out in (("city", CITY, city), ("asn", ASN, asn)):
            built, err = mkmmdb(kind, table, out)
            T.check(built, f"tooling: mkmmdb.pl writes the {kind} database", err)
        geo = ["--geoip", city, "--asn", asn]
    else:
        T.skip("capture: geo filled in alerts and flows", why)
    rc, recs, err = run_davy(DAVY, ["-r", CAP, "--pods", PODS] + geo)
    T.check(rc == 0, "capture: --pods pcaps/pods_miner.json exits 0", err[-400:])
    flows, alerts = flow_records(recs), alert_records(recs)
    T.check(len(flows) == 7, "capture: 7 flow records", str(len(flows)))
    bad = []
    for r in flows + alerts:
        src, dst = norm_ip(r["src_ip"]), norm_ip(r["dest_ip"])
        want = {"src": K8S_OF[src]} if src in K8S_OF else None
        if r.get("k8s") != want:
            bad.append((src, dst, r.get("dest_port"), r.get("k8s")))
        if geo and r.get("geo") != ({"dest": GEO_OF[dst]} if dst in GEO_OF else None):
            bad.append((src, dst, "geo", r.get("geo")))
        if any(list(o) != [k for k in MINER_K8S if k in o] for o in (r.get("k8s") or {}).values()):
            bad.append((src, dst, "order", list(r["k8s"].get("src", {}))))
    T.check(not bad, "capture: every flow and alert record has exactly its pod's k8s.src "
            "(fields in the documented order)" + (" and its destination's geo" if geo else "")
            + "; the host-network node address and the finished pod's have none", str(bad[:3]))
    T.check(sids(alerts, MINER, 3333) == [4960001, 4960102, 4960103, 4960107],
            "capture: the Stratum session alerts (Stratum client, pool by DNS link, XMRig agent, "
            "miner image)", str(sids(alerts, MINER, 3333)))
    tls = [a for a in alerts if a.get("dest_port") == 443]
    T.check(len(tls) == 1 and tls[0]["alert"]["signature_id"] == 4960107
            and tls[0]["direction"] == "to_server"
            and tls[0].get("ioc", {}).get("indicator") == "kannix/monero-miner"
            and tls[0]["ioc"].get("matched") == "k8s.src.images"
            and tls[0]["ioc"].get("type") == "image" and tls[0]["ioc"].get("feed") == "miner-images"
            and tls[0]["alert"]["severity"] == 1 and tls[0].get("k8s") == {"src": MINER_K8S}
            and (not geo or tls[0].get("geo") == {"dest": GEO_OF[TLS]}),
            "capture: the miner pod's TLS flow (SNI and address listed nowhere) has one alert: "
            "4960107, indicator kannix/monero-miner from the shipped miner-images feed, matched "
            "k8s.src.images, severity 1, with k8s" + (" and geo" if geo else ""),
            json.dumps(tls)[:600])
    tf = [r for r in flows if r.get("dest_port") == 443]
    T.check(len(tf) == 1 and tf[0].get("app_proto") == "tls",
            "capture: that flow is TLS (its flow record's app_proto)", json.dumps(tf)[:300])
    others = [a for a in alerts if norm_ip(a["src_ip"]) != MINER]
    T.check(not others, "capture: no alert for the TensorFlow pod, the node or the finished pod "
            "(no namespace indicator is shipped)", json.dumps(others)[:300])
    p = stats_of(recs).get("pods") or {}
    want = {"pods": 2, "addresses": 3, "items": 4, "host_network": 1, "finished": 1,
            "no_address": 0, "bad_items": 0, "bad_addresses": 0, "reloads": 0,
            "reload_failures": 0}
    T.check(all(p.get(k) == v for k, v in want.items()) and p.get("found", 0) > 0
            and p.get("lookups", 0) >= p.get("found", 0) and p.get("memory", 0) > 0,
            "capture: stats.pods says 2 pods, 3 addresses, 4 items, 1 host-network, 1 finished, "
            "lookups >= found > 0", json.dumps(p))
    check_schema("capture", recs)

    rc, recs, err = run_davy(DAVY, ["-r", CAP])
    T.check(rc == 0 and not any("k8s" in r for r in recs) and "pods" not in stats_of(recs)
            and not any(r["alert"]["signature_id"] == 4960107 for r in alert_records(recs)),
            "capture: without --pods no record has k8s, no image alert, no stats.pods",
            err[-300:])


def test_namespace_and_limit(tmp):
    """namespace: indicators (weak: low severity); the rate limit's source
    is the pod, whatever its address."""
    feed = os.path.join(tmp, "ns.txt")
    with open(feed, "w") as f:
        f.write("namespace:anonymous\n")
    rc, recs, err = run_davy(DAVY, ["-r", CAP, "--pods", PODS, "--iocs", feed])
    T.check(rc == 0, "namespace: exits 0", err[-300:])
    ns = [a for a in alert_records(recs) if a["alert"]["signature_id"] == 4960108]
    got = sorted((norm_ip(a["src_ip"]), a.get("dest_port")) for a in ns)
    T.check(got == sorted([(MINER, 53), (MINER, 3333), (MINER, 443), (TRAIN, 80), (TRAIN6, 80)]),
            "namespace: every flow of the two pods in namespace anonymous alerts 4960108 once "
            "(by IPv4 and IPv6), none other", str(got))
    T.check(all(a["alert"]["severity"] == 3 and a["ioc"]["matched"] == "k8s.src.namespace"
                and a["ioc"]["severity"] == "low" and a["ioc"]["category"] == "namespace"
                for a in ns), "namespace: severity 3 (low by default), matched k8s.src.namespace",
            json.dumps(ns[:1])[:300])
    # the TensorFlow pod alerts twice (IPv4, IPv6); as one source, the limit
    # of 1 a minute lets one through; counted by address it would be two
    rc, recs, err = run_davy(DAVY, ["-r", CAP, "--pods", PODS, "--iocs", feed,
                                    "--alert-rate-limit", "1/60"])
    tr = [a for a in alert_records(recs) if a.get("k8s", {}).get("src", {}).get("pod")
          == TRAIN_K8S["pod"]]
    T.check(rc == 0 and len(tr) == 1,
            "namespace: --alert-rate-limit 1/60 lets one alert of the dual-stack pod through "
            "(its two addresses are one source)", f"{len(tr)} alerts; {err[-200:]}")
    rc, recs, err = run_davy(DAVY, ["-r", CAP, "--iocs", feed, "--alert-rate-limit", "1/60"])
    T.check(rc == 0 and not any(a["alert"]["signature_id"] == 4960108 for a in alert_records(recs)),
            "namespace: without --pods no namespace is known and no namespace alert",
            err[-200:])


def test_inbound(tmp):
    """A flow to a pod: k8s.dest, image alert to_client."""
    pods = os.path.join(tmp, "inbound.json")
    write_pods(pods, [pod("mine", "xmr-1", ["10.244.9.1", "fd00::9:1"],
                          ["docker.io/kannix/monero-miner:v2"])])
    cap = os.path.join(tmp, "inbound.pcap")
    write_capture(cap, [("10.0.0.9", "10.244.9.1"), ("fd00::1", "fd00::9:1"),
                        ("10.244.9.1", "10.244.9.1")])
    rc, recs, err = run_davy(DAVY, ["-r", cap, "--pods", pods])
    T.check(rc == 0, "inbound: exits 0", err[-300:])
    fl = {norm_ip(r["src_ip"]): r for r in flow_records(recs)}
    want = {"namespace": "mine", "pod": "xmr-1", "node": "node-1", "service_account": "default",
            "images": ["docker.io/kannix/monero-miner:v2"]}
    T.check(fl.get("10.0.0.9", {}).get("k8s") == {"dest": want}
            and fl.get("fd00::1", {}).get("k8s") == {"dest": want},
            "inbound: a flow to the pod (IPv4 or IPv6) has k8s.dest only; no app or owner "
            "when the pod has none", json.dumps([r.get("k8s") for r in fl.values()])[:400])
    T.check(fl.get("10.244.9.1", {}).get("k8s") == {"src": want, "dest": want},
            "inbound: pod to itself: k8s.src and k8s.dest", json.dumps(fl.get("10.244.9.1"))[:300])
    al = [a for a in alert_records(recs) if norm_ip(a["src_ip"]) == "10.0.0.9"]
    T.check(len(al) == 1 and al[0]["ioc"]["matched"] == "k8s.dest.images"
            and al[0]["direction"] == "to_client",
            "inbound: the image alert of a flow to the pod: matched k8s.dest.images, to_client",
            json.dumps(al)[:300])
    check_schema("inbound", recs)


def test_bad_files(tmp):
    cap = os.path.join(tmp, "one.pcap")
    write_capture(cap, [("10.244.9.1", "10.0.0.9")])
    cases = [("missing", None, "cannot read pod list"),
             ("not JSON", '{"kind": "List", "items": [', "not JSON"),
             ("a Deployment", '{"kind": "Deployment", "items": []}', "not a PodList, List or Pod"),
             ("no items", '{"kind": "PodList"}', "items"),
             ("empty", "", "empty")]
    for what, text, msg in cases:
        path = os.path.join(tmp, f"bad-{what.replace(' ', '_')}.json")
        if text is not None:
            with open(path, "w") as f:
                f.write(text)
        rc, recs, err = run_davy(DAVY, ["-r", cap, "--pods", path])
        T.check(rc == 2 and path in err and msg in err and not recs,
                f"bad files: {what}: exit 2, the message names the file and says {msg!r}",
                f"rc={rc} {err[-300:]}")
    # bad items: reported, skipped, the rest used
    path = os.path.join(tmp, "items.json")
    write_pods(path, [pod("good", "one", ["10.244.9.1"]), "not an object",
                      {"kind": "Pod", "metadata": {"namespace": "x"}},
                      pod("good", "two", ["10.244.9.2", "300.1.1.1"]),
                      pod("good", "three", ["10.244.9.1"]),
                      {"kind": "Service", "metadata": {"namespace": "x", "name": "svc"}}])
    rc, recs, err = run_davy(DAVY, ["-r", cap, "--pods", path])
    p = stats_of(recs).get("pods") or {}
    T.check(rc == 0 and p.get("pods") == 2 and p.get("bad_items") == 2
            and p.get("bad_addresses") == 1 and p.get("address_conflicts") == 1
            and p.get("not_pods") == 1,
            "bad items: 2 pods kept; 2 bad items, 1 bad address, 1 address conflict, 1 non-pod "
            "counted in stats.pods", f"rc={rc} {json.dumps(p)} {err[-300:]}")
    T.check(f"{path}: item 3 (good/two): status.podIPs[1].ip '300.1.1.1' is not an IP address"
            in err, "bad items: the message names the file, the item (its index in items), "
            "the field and the bad address", err[-500:])
    fl = flow_records(recs)
    T.check(len(fl) == 1 and fl[0].get("k8s", {}).get("src", {}).get("pod") == "one",
            "bad items: an address claimed twice stays with the first pod", json.dumps(fl)[:300])


def test_reload(tmp):
    path = os.path.join(tmp, "live.json")
    feed = os.path.join(tmp, "ns.txt")
    with open(feed, "w") as f:
        f.write("namespace:watched\n")

    def pod_of(d, what):
        port = d.send("10.244.9.1", "10.0.0.9")
        if d.wait(f"{what}: the flow's namespace alert is written", lambda: d.alert_for(port)):
            return d.alert_for(port)[0].get("k8s", {}).get("src", {}).get("pod")
        return None

    write_pods(path, [pod("watched", "first", ["10.244.9.1"])])
    d = LiveDavy(T, DAVY, ["--workers", "1", "--iocs", feed, "--pods", path,
                           "--pods-check-interval", "1"])
    d.wait_msg("reload: start-up message", f"1 pods (1 addresses) from '{path}'", 0)
    # a pod whose first flow comes before the pod list has it (the list
    # lags behind the cluster): handled before pod_of's flow, with one worker
    late = d.send("10.244.9.2", "10.0.0.9")
    T.check(pod_of(d, "reload: start") == "first", "reload: the address is pod 'first'")
    T.check(not d.alert_for(late), "reload: an address the list does not have yet: no alert",
            json.dumps(d.alert_for(late))[:300])
    time.sleep(1.1)
    n = len(d.errlines)
    write_pods(path, [pod("watched", "second", ["10.244.9.1"]), pod("watched", "x", ["10.244.9.2"])])
    d.wait_msg("reload: a changed file is reread by the periodic check",
               "pod list reloaded (pod list changed): 2 pods", n)
    T.check(pod_of(d, "reload: after the change") == "second",
            "reload: after the reread the address is pod 'second'")
    d.send("10.244.9.2", "10.0.0.9", sport=late)
    if d.wait("reload: a flow open across the reread is checked again: its pod's namespace alerts",
              lambda: d.alert_for(late)):
        a = d.alert_for(late)[0]
        T.check(a.get("k8s", {}).get("src", {}).get("pod") == "x"
                and a.get("ioc", {}).get("indicator") == "watched",
                "reload: the late alert names pod 'x' and the namespace indicator", json.dumps(a)[:400])
    time.sleep(1.1)
    n = len(d.errlines)
    with open(path + ".tmp", "w") as f:
        f.write('{"kind": "List", "items": [{"metadata": ')
    os.rename(path + ".tmp", path)
    d.wait_msg("reload: a malformed file fails, naming it, and keeps the previous pods",
               f"pod list reload (pod list changed) failed: pod list '{path}': not JSON", n)
    T.check(any("still using the previous 2 pods" in m for m in d.errlines[n:]),
            "reload: the message says the previous 2 pods stay", " | ".join(d.errlines[n:]))
    T.check(pod_of(d, "reload: after the failure") == "second",
            "reload: after the failed reread the previous map still answers")
    rc = d.finish()
    p = stats_of(d.records).get("pods") or {}
    T.check(rc == 0 and p.get("reloads") == 1 and p.get("reload_failures") >= 1,
            "reload: exit 0; stats.pods reloads 1, reload_failures >= 1", f"rc={rc} {json.dumps(p)}")

    write_pods(path, [pod("watched", "first", ["10.244.9.1"])])
    d = LiveDavy(T, DAVY, ["--workers", "1", "--iocs", feed, "--pods", path,
                           "--pods-check-interval", "0"])
    T.check(pod_of(d, "sighup: start") == "first", "sighup: pod 'first' at start")
    time.sleep(1.1)
    write_pods(path, [pod("watched", "third", ["10.244.9.1"])])
    T.check(pod_of(d, "sighup: changed, no signal") == "first",
            "sighup: with --pods-check-interval 0 a changed file is not reread by itself")
    n = len(d.errlines)
    d.p.send_signal(signal.SIGHUP)
    d.wait_msg("sighup: SIGHUP rereads the pod list", "pod list reloaded (SIGHUP): 1 pods", n)
    T.check(pod_of(d, "sighup: after") == "third", "sighup: then the address is pod 'third'")
    T.check(d.finish() == 0, "sighup: exit 0")


def main():
    global DAVY
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    DAVY = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="davy-pods-") as tmp:
        T.run_parts((("capture", lambda: test_capture(tmp)),
                     ("namespace and rate limit", lambda: test_namespace_and_limit(tmp)),
                     ("inbound", lambda: test_inbound(tmp)),
                     ("bad files", lambda: test_bad_files(tmp)),
                     ("reload", lambda: test_reload(tmp))))
    return T.finish()


if __name__ == "__main__":
    sys.exit(main())
