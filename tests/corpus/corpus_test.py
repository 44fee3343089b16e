#!/usr/bin/python3
"""corpus_test - davy on real traffic recorded by other people.

For every capture in ../shared/corpus/ndpi (the nDPI project's test pcaps):
  - davy runs with --workers 1 and --workers 2: no crash, no sanitizer report,
    exit status 0 (or 1 with a message naming the file, for damaged files);
  - the two runs give identical flow records (up to order);
  - davy's TCP/UDP flows agree with an independent count by tshark
    (tshark_tuples.py): every plain tuple tshark sees is a davy flow, and every
    davy flow is a tuple tshark sees (plain, tunnel carrier, or in a packet
    tshark itself flags as damaged, or the innermost flow of a tunnel, or the
    carrier of a tunnel davy does not unwrap); no overlay carrier davy
    unwraps is a flow; and for the tunnel captures, every innermost flow
    tshark finds is a davy flow.
Skips, saying why, when the corpus folder or tshark is absent.
tshark's answers are cached in build/corpus-cache/ (keyed by file size and
mtime), so the sanitizer pass does not pay for them again.
Usage: corpus_test.py DAVY
"""
import concurrent.futures
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "lib"))
sys.path.insert(0, HERE)
from davytest import ROOT, Tally, canonical, flow_records, run_davy  # noqa: E402
from flows_from_eve import norm  # noqa: E402

CORPUS = os.path.normpath(os.path.join(ROOT, "..", "shared", "corpus", "ndpi"))
CACHE = os.path.join(ROOT, "build", "corpus-cache")
JOBS = int(os.environ.get("DAVY_TEST_JOBS", "2"))


def tshark_tuples(path):
    """{'T': set, 'O': set, 'M': set} from tshark_tuples.py, cached; None if unreadable."""
    st = os.stat(path)
    tag = f"{st.st_size} {int(st.st_mtime)}\n"
    cache = os.path.join(CACHE, os.path.basename(path) + ".v2.tuples")
    text = None
    if os.path.exists(cache):
        with open(cache) as f:
            if f.readline() == tag:
                text = f.read()
    if text is None:
        p = subprocess.run([sys.executable, os.path.join(HERE, "tshark_tuples.py"), "--inner", path],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
        if p.returncode == 3:
            text = "E\n"
        elif p.returncode != 0:
            raise RuntimeError(f"tshark_tuples.py {path}: exit {p.returncode}: {p.stderr.decode()}")
        else:
            text = p.stdout.decode()
        os.makedirs(CACHE, exist_ok=True)
        with open(cache + ".tmp", "w") as f:
            f.write(tag + text)
        os.replace(cache + ".tmp", cache)
    if text.startswith("E"):
        return None
    out = {"T": set(), "O": set(), "M": set(), "I": set()}
    for line in text.splitlines():
        kind, _, tup = line.partition(" ")
        if kind in out:
            out[kind].add(tup)
    return out


def davy_tuples(records):
    out = set()
    for r in flow_records(records):
        if r["proto"] in ("TCP", "UDP"):
            out.add(norm(r["proto"], r["src_ip"], r["src_port"], r["dest_ip"], r["dest_port"]))
    return out


CLASSIFICATION = ("ndpi", "app_proto", "tls", "dns", "http")
# Overlays davy unwraps by default (UDP destination ports; davy --help), and
# the corpus files whose inner flows must all be found.
CARRIER_PORTS = {4789, 8472, 6081, 4754}
TUNNEL_FILES = {"vxlan.pcap", "gre.pcapng", "4in4tunnel.pcap", "6in4tunnel.pcap",
                "4in6tunnel.pcap", "6in6tunnel.pcap"}


# The four pool sessions of mining.pcapng (see ../shared/corpus/README.md):
# (pool port, dialect, login as sent), read off the capture with tshark.
MINING = {"mining.pcapng": sorted([
    (3333, "stratum_v1", "t1fAhZF5aUJdY7CikGULHmeYk7id8qmvbAd.rig4"),
    (3333, "stratum_v1", "t1fJuHWrfcWnYMYyP9VAF96vRnvND2NziMG.c1"),
    (9050, "cryptonote", "4BCeEPhodgPMbPWFN1dPwhWXdRX8q4mhhdZdA1dtSMLTLCEYvAj9QXjXAfF7CugEbmfBhgkqHbdgK9b2wKA6nqRZQCgvCDm.cb2b73415c4faf214035a73b9d947c202342f3bf3bdf632132bd6d7af98cb257.ryzen"),
    (9999, "eth_proxy", "0x9c99d212f7e5daa18ab50810e0fd255d1f04303b/tester.worker1/vvesely@mailinator"),
])}


STRATUM_SIDS = {4960001, 4960002, 4960004}  # docs/signatures.md
IOC_SIDS = range(4960100, 4960200)
# the corpus's mining and cryptocurrency captures (see its README): the
# shipped feeds may alert there, and nowhere else above low severity
CRYPTO = {"mining.pcapng", "bitcoin.pcap", "ethereum.pcap", "monero.pcap"}
SID_NDPI_MINING = 4960003  # follows nDPI, whose Mining cache is per worker


def carrier_port(tup):
    """True for a UDP tuple to or from an overlay port davy unwraps."""
    proto, _, pa, _, pb = tup.split()
    return proto == "UDP" and (int(pa) in CARRIER_PORTS or int(pb) in CARRIER_PORTS)
# Protocols whose nDPI 4.2 dissectors consult a cache kept in the detection
# module (struct ndpi_detection_module_struct: ookla_cache, bittorrent_cache,
# zoom_cache, stun_cache, tls_cert_cache, mining_cache, msteams_cache).
CACHED = {"STUN", "Zoom", "Ookla", "BitTorrent", "Mining", "Teams", "Skype_Teams",
          "Skype_TeamsCall"}


def uses_module_cache(r):
    n = r.get("ndpi", {})
    return n.get("confidence") == "DPI (cache)" or n.get("app") in CACHED or n.get("master") in CACHED


def comparable(f1, f2):
    """Canonical flow records of two runs, ready to compare. nDPI keeps
    cross-flow caches per detection module (one per worker): a flow that nDPI
    classified only through its cache ("confidence": "DPI (cache)") can be
    classified otherwise when another worker count splits the flows
    differently. For such flows (matched by flow_id, which is deterministic)
    the classification fields are left out on both sides; everything else
    must be identical. Returns (records1, records2, number of such flows)."""
    by1 = {r["flow_id"]: r for r in f1}
    by2 = {r["flow_id"]: r for r in f2}
    n = 0
    for fid in set(by1) & set(by2):
        x, y = by1[fid], by2[fid]
        if uses_module_cache(x) or uses_module_cache(y):
            n += any(x.get(k) != y.get(k) for k in CLASSIFICATION)
            for k in CLASSIFICATION:
                x.pop(k, None)
                y.pop(k, None)
    return canonical(f1), canonical(f2), n


def one(davy, path, use_tshark):
    res = {"path": path}
    for w in (1, 2):
        res[w] = run_davy(davy, ["--workers", str(w), "-r", path], timeout=600)
    res["tshark"] = tshark_tuples(path) if use_tshark else None
    return res


def main():
    davy = os.path.abspath(sys.argv[1])
    t = Tally("corpus")
    if not os.path.isdir(CORPUS):
        t.skip("real-traffic corpus", f"{CORPUS} is absent")
        return t.finish()
    use_tshark = shutil.which("tshark") is not None
    if not use_tshark:
        t.skip("independent flow count", "tshark is not installed (make deps installs it)")
    files = sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS)
                   if os.path.isfile(os.path.join(CORPUS, f)) and not f.endswith(".md"))
    damaged = []
    cache_flows = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=JOBS) as ex:
        for res in ex.map(lambda p: one(davy, p, use_tshark), files):
            name = os.path.basename(res["path"])
            for w in (1, 2):
                rc, recs, err = res[w]
                label = f"{name} --workers {w}"
                t.check("Sanitizer" not in err and "runtime error" not in err,
                        f"{label}: no sanitizer report", err[-3000:])
                if rc == 1:
                    t.check(res["path"] in err and "after packet" in err,
                            f"{label}: exit 1 names the file and the damage", err)
                    if w == 1:
                        damaged.append(name)
                else:
                    t.check(rc == 0, f"{label}: exit status 0", f"rc={rc} {err[-2000:]}")
                if t.check(bool(recs) and recs[-1].get("event_type") == "stats",
                           f"{label}: ends with a stats record"):
                    wt = recs[-1]["stats"]["flow"]["wrong_thread"]
                    t.check(wt == 0, f"{label}: every packet reached its flow's worker",
                            f"wrong_thread {wt}")
            r1, r2 = res[1][1], res[2][1]
            st_flows = [r for r in flow_records(r1) if r.get("stratum")]
            alerts = [r for r in r1 if r.get("event_type") == "alert"]
            stratum_alerts = [r for r in alerts if r["alert"]["signature_id"] in STRATUM_SIDS]
            if name in MINING:
                got = sorted((r["dest_port"], r["stratum"]["dialect"], r["stratum"].get("login", ""))
                             for r in st_flows)
                t.check(got == MINING[name], f"{name}: every pool session read as Stratum",
                        f"got {got}\nwant {MINING[name]}")
                # the alert comes at the first client message (a v1 subscribe
                # comes before the authorize that carries the login): its
                # session is found by flow_id, the login in the flow record
                by_id = {r["flow_id"]: r for r in st_flows}
                got = sorted((r["dest_port"], r.get("stratum", {}).get("dialect"),
                              by_id.get(r["flow_id"], {}).get("stratum", {}).get("login", ""))
                             for r in stratum_alerts)
                t.check(got == MINING[name], f"{name}: one Stratum alert per pool session, "
                        "with its dialect (and the session's login)", f"got {got}\nwant {MINING[name]}")
                eth = [r["stratum"] for r in st_flows if r["stratum"]["dialect"] == "eth_proxy"]
                t.check(eth and eth[0].get("wallet_type") == "ethereum"
                        and eth[0].get("worker") == "tester.worker1/vvesely@mailinator",
                        f"{name}: nanopool's wallet/worker/email login split", str(eth[:1]))
                t.check(all("T1496" in r["alert"]["metadata"]["mitre_technique_id"]
                            for r in stratum_alerts), f"{name}: alerts carry ATT&CK T1496")
            else:
                t.check(not st_flows, f"{name}: no Stratum found in ordinary traffic",
                        str([(r["dest_port"], r["stratum"]) for r in st_flows][:3]))
                t.check(not stratum_alerts, f"{name}: no Stratum alert in ordinary traffic",
                        str([(r["dest_port"], r["alert"]["signature_id"]) for r in stratum_alerts][:3]))
            # the shipped feeds (loaded by default) stay quiet on ordinary traffic
            loud = [r for r in alerts if r["alert"]["signature_id"] in IOC_SIDS
                    and r["alert"]["severity"] <= 2]
            if name not in CRYPTO:
                t.check(not loud, f"{name}: the shipped feeds raise no high or medium alert",
                        str([(r["dest_ip"], r.get("dest_port"), r.get("ioc")) for r in loud][:3]))
            t.check(all(r.get("ioc") for r in alerts if r["alert"]["signature_id"] in IOC_SIDS),
                    f"{name}: every indicator alert names its indicator")
            # 4960003 only where nDPI said Mining
            mining_ids = {r["flow_id"] for r in flow_records(r1)
                          if "Mining" in (r["ndpi"].get("app"), r["ndpi"].get("master"))}
            odd = [r for r in alerts if r["alert"]["signature_id"] == SID_NDPI_MINING
                   and r["flow_id"] not in mining_ids]
            t.check(not odd, f"{name}: nDPI Mining alerts only on flows nDPI calls Mining",
                    str([(r["dest_port"], r["flow_id"]) for r in odd][:3]))
            flow_ids = {r["flow_id"] for r in flow_records(r1)}
            t.check(all(r["flow_id"] in flow_ids for r in alerts),
                    f"{name}: every alert names a flow that has a flow record")
            keys = {(r["flow_id"], r["alert"]["signature_id"]) for r in alerts}
            t.check(len(keys) == len(alerts), f"{name}: at most one alert per flow per signature")
            a2 = [r for r in r2 if r.get("event_type") == "alert"]
            t.check(canonical([r for r in alerts if r["alert"]["signature_id"] != SID_NDPI_MINING]) ==
                    canonical([r for r in a2 if r["alert"]["signature_id"] != SID_NDPI_MINING]),
                    f"{name}: identical Stratum alerts for 1 and 2 workers")
            a, b, n = comparable(flow_records(r1), flow_records(r2))
            cache_flows += n
            t.check(a == b, f"{name}: identical flow records for 1 and 2 workers",
                    f"{len(a)} vs {len(b)} flows; first difference: "
                    f"{next(((x, y) for x, y in zip(a, b) if x != y), None)}")
            ts = res["tshark"]
            if ts is None:
                continue
            mine = davy_tuples(r1)
            missing = ts["T"] - mine
            carriers = {o for o in ts["O"] if carrier_port(o)}
            extra = mine - ts["T"] - ts["I"] - ts["M"] - (ts["O"] - carriers)
            t.check(not missing, f"{name}: every flow tshark sees is a davy flow",
                    f"{len(missing)} missing, e.g. {sorted(missing)[:5]}")
            t.check(not extra, f"{name}: every davy flow is one tshark sees",
                    f"{len(extra)} extra, e.g. {sorted(extra)[:5]}")
            t.check(not (mine & carriers), f"{name}: no overlay carrier reported as a flow",
                    f"{sorted(mine & carriers)[:5]}")
            if name in TUNNEL_FILES:
                inner = ts["I"] - mine
                t.check(ts["I"] and not inner, f"{name}: every inner flow tshark sees is a davy flow",
                        f"{len(ts['I'])} inner, {len(inner)} missing, e.g. {sorted(inner)[:5]}")
    print(f"corpus: {len(files)} captures replayed; damaged (exit 1): {', '.join(damaged) or 'none'}")
    print(f"corpus: {cache_flows} flows classified differently by 1 and 2 workers, all through "
          "nDPI's per-worker caches (allowed: docs/records.md)")
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
