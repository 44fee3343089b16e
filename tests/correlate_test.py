#!/usr/bin/python3
"""correlate_test - `davy correlate` against a real redis-server.

Every check starts its own redis-server (tests/lib/redistest.py) and fills
the streams P:alert and P:flow: from captures, with `davy -r CAPTURE --redis
URL` when this davy has the Redis output, else with `davy -r CAPTURE -o
FILE` and an XADD per record (stream P:<event_type>, fields json,
event_type, sensor), or with records built here. Checks:
  - pcaps/campaign_pool.pcap (three pods, one pool): exactly one campaign,
    its sources the three pods, the pool domain among its pools, alert ids
    that are entries of P:alert, the HTTP flow's address nowhere; stdout and
    P:campaign agree; every record has exactly the documented fields and
    validates against docs/record.schema.json;
  - idempotence: a new consumer of the same group reads nothing and writes
    nothing; a second group that reads everything again writes nothing;
    a consumer resumes its own pending entries; entries of a dead consumer
    are claimed (XAUTOCLAIM);
  - the rules: two sources to one pool make no campaign; one source seen by
    three sensors does (sensors); one source reaching three pools does
    (pools); a fourth source later makes exactly one update (update 2);
    observations older than the window do not count;
  - what an observation is: pods as sources, DNS lookups (the resolver is no
    pool), wallets with their worker cut and 0x wallets lower-cased, IPv6
    pool addresses, a listed host calling in, nDPI-only Mining alerts and
    flows without Stratum ignored;
  - ../shared/corpus/ndpi (skipped when absent): every file replayed as one
    timeline: no campaign;
  - a bad entry is counted, named and skipped; options; --once with Redis
    unreachable exits 2 naming the URL without its password;
  - running correlators: two share a group (one record per change), survive
    SCRIPT FLUSH and a Redis crash and restart (AOF), stop on SIGTERM.
Usage: correlate_test.py DAVY
"""
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import ROOT, Tally, run_davy, schema_errors, schema_validator  # noqa: E402
from redistest import RedisServer, free_port, xrange_all  # noqa: E402

P = lambda name: os.path.join(ROOT, "pcaps", name)  # noqa: E731
CORPUS = os.path.normpath(os.path.join(ROOT, "..", "shared", "corpus", "ndpi"))

PODS = ["10.244.1.11", "10.244.2.12", "10.244.3.13"]
POOL = "pool.example-mining.test"
POOL_IP = "198.51.100.77"
HTTP_IP = "203.0.113.80"
FIELDS = {"timestamp", "event_type", "campaign_id", "reasons", "sources", "sensors", "pools",
          "wallets", "first", "last", "alert_ids", "alerts", "window", "update"}
OPTIONAL = {"wallets", "members_trimmed"}
TIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}\+0000$")
T0 = 1704067200.0  # 2024-01-01T00:00:00Z


# ---- filling the streams --------------------------------------------------

def has_redis_output(davy):
    p = subprocess.run([davy, "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode("utf-8", "replace")
    return "--redis " in out and "--redis-prefix" in out


def xadd_records(r, records, prefix="davy"):
    """XADDs each record to prefix:<event_type>; returns the entry ids."""
    cmds = [("XADD", "%s:%s" % (prefix, rec["event_type"]), "*", "json", json.dumps(rec),
             "event_type", rec["event_type"], "sensor", rec.get("sensor", {}).get("name", ""))
            for rec in records]
    ids = []
    for k in range(0, len(cmds), 1000):
        ids += r.pipeline(cmds[k:k + 1000])
    return ids


def populate(ctx, srv, inputs, sensor="node-a", prefix="davy", bpf=()):
    """Replays inputs (capture paths) into srv's streams; returns davy's exit status."""
    files = [a for p in inputs for a in ("-r", p)]
    if ctx["redis_output"]:
        p = subprocess.run([ctx["davy"], "-q", "--no-progress", "--sensor-name", sensor,
                            "--redis", srv.url(), "--redis-prefix", prefix] + files + list(bpf),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=900)
        return p.returncode
    rc, recs, _ = run_davy(ctx["davy"], ["--sensor-name", sensor] + files + list(bpf), timeout=900)
    with srv.client() as r:
        xadd_records(r, recs, prefix)
    return rc


def correlate(ctx, url, *args, env=None, once=True):
    """Runs davy correlate; returns (rc, records on stdout, stderr)."""
    cmd = [ctx["davy"], "correlate"] + (["--redis", url] if url else []) + \
        (["--once"] if once else []) + list(args)
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300, env=env)
    out = p.stdout.decode("utf-8", "replace")
    recs = []
    for line in out.splitlines():
        try:
            recs.append(json.loads(line))
        except ValueError:
            recs.append({"unparsable stdout line": line})
    ctx.setdefault("printed", []).extend(recs)
    return p.returncode, recs, p.stderr.decode("utf-8", "replace")


def campaigns(r, prefix="davy"):
    """The records of prefix:campaign, parsed, with the entries' flat fields."""
    out = []
    for eid, f in xrange_all(r, prefix + ":campaign"):
        rec = json.loads(f["json"])
        out.append((rec, f))
    return out


# ---- records built here ---------------------------------------------------

def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f+0000")


def alert(t, src, dst, dport, sid=4960001, sensor="node-a", stratum=None, ioc=None, dns=None,
          k8s=None, sport=40000):
    rec = {"timestamp": iso(t), "flow_id": 1000 + sport, "event_type": "alert",
           "src_ip": src, "src_port": sport, "dest_ip": dst, "dest_port": dport,
           "proto": "TCP", "direction": "to_server",
           "alert": {"action": "allowed", "gid": 1, "signature_id": sid, "rev": 1,
                     "signature": "test", "category": "test", "severity": 1}}
    if dns:
        rec["dns_linked_name"] = dns
    if ioc:
        rec["ioc"] = ioc
    if stratum is not None:
        rec["stratum"] = stratum
    if k8s:
        rec["k8s"] = k8s
    rec["sensor"] = {"name": sensor}
    return rec


def flow(t, src, dst, dport, sensor="node-a", stratum=None, dns=None, sport=41000):
    rec = {"timestamp": iso(t), "flow_id": 2000 + sport, "event_type": "flow",
           "src_ip": src, "src_port": sport, "dest_ip": dst, "dest_port": dport, "proto": "TCP",
           "flow": {"pkts_toserver": 5, "pkts_toclient": 5, "state": "closed", "reason": "shutdown"}}
    if dns:
        rec["dns_linked_name"] = dns
    if stratum is not None:
        rec["stratum"] = stratum
    rec["sensor"] = {"name": sensor}
    return rec


def cn(login, worker=None, role="client", wallet_type="monero"):
    s = {"dialect": "cryptonote", "role": role, "login": login, "agent": "XMRig/6.21.0"}
    if wallet_type:
        s["wallet_type"] = wallet_type
    if worker:
        s["worker"] = worker
    return s


# ---- checks ---------------------------------------------------------------

SCHEMA = schema_validator()


def check_record_shape(t, what, rec):
    if SCHEMA is not None:
        errs = schema_errors(SCHEMA, rec)
        t.check(not errs, f"{what}: valid against docs/record.schema.json", "; ".join(errs[:5]))
    keys = set(rec)
    ok = FIELDS - OPTIONAL <= keys <= FIELDS | OPTIONAL
    t.check(ok, f"{what}: exactly the documented fields", f"{sorted(keys ^ FIELDS)}")
    t.check(rec.get("event_type") == "campaign" and isinstance(rec.get("campaign_id"), str)
            and all(TIME_RE.match(rec.get(k, "")) for k in ("timestamp", "first", "last"))
            and rec.get("timestamp") == rec.get("last") and rec["first"] <= rec["last"]
            and all(isinstance(rec.get(k), list) and all(isinstance(x, str) for x in rec[k])
                    for k in ("reasons", "sources", "sensors", "pools", "alert_ids"))
            and ("wallets" not in rec or (isinstance(rec["wallets"], list) and rec["wallets"]))
            and set(rec.get("reasons", ["?"])) <= {"sources", "sensors", "pools"}
            and rec.get("reasons")
            and isinstance(rec.get("alerts"), int) and rec["alerts"] >= len(rec["alert_ids"])
            and isinstance(rec.get("window"), int) and isinstance(rec.get("update"), int)
            and rec["update"] >= 1, f"{what}: field types and values", json.dumps(rec)[:600])


def summary(err):
    m = re.search(r"davy correlate: (\d+) entries read, (\d+) observations, (\d+) unparsable, "
                  r"(\d+) script errors, (\d+) campaign records written", err)
    return tuple(int(x) for x in m.groups()) if m else None


def test_campaign_pool(t, ctx):
    with RedisServer() as srv, srv.client() as r:
        rc = populate(ctx, srv, [P("campaign_pool.pcap")])
        t.check(rc == 0, "campaign_pool.pcap replayed into Redis", f"rc={rc}")
        alert_ids = {eid for eid, _ in xrange_all(r, "davy:alert")}
        t.check(len(alert_ids) >= 3, "the capture's alerts are in davy:alert", str(len(alert_ids)))
        rc, recs, err = correlate(ctx, srv.url())
        t.check(rc == 0, "correlate --once: exit 0", f"rc={rc} {err}")
        s = summary(err)
        t.check(s is not None and s[0] == r.cmd("XLEN", "davy:alert") + r.cmd("XLEN", "davy:flow")
                and s[1] > 0 and s[2] == 0 and s[4] == len(recs),
                "summary line: entries read, observations, records", err)
        ids = {x.get("campaign_id") for x in recs}
        t.check(len(recs) >= 1 and len(ids) == 1, "exactly one campaign", json.dumps(recs)[:800])
        if not recs:
            return
        for i, rec in enumerate(recs):
            check_record_shape(t, f"campaign_pool record {i + 1}", rec)
        t.check([x["update"] for x in recs] == list(range(1, len(recs) + 1)),
                "updates count 1, 2, ...", str([x["update"] for x in recs]))
        last = recs[-1]
        t.check(sorted(last["sources"]) == PODS, "its sources are the three pods", str(last["sources"]))
        t.check(POOL in last["pools"], "its pools name the pool's domain", str(last["pools"]))
        t.check(last["reasons"] == ["sources"], "raised because of three sources", str(last["reasons"]))
        t.check(len(last.get("wallets", [])) == 1 and "." not in last["wallets"][0]
                and len(last["wallets"][0]) == 95, "one wallet, the login without its worker",
                str(last.get("wallets")))
        t.check(last["sensors"] == ["node-a"], "the sensor", str(last["sensors"]))
        t.check(last["alert_ids"] and set(last["alert_ids"]) <= alert_ids,
                "alert ids are entries of davy:alert", str(last["alert_ids"]))
        t.check(last["alerts"] == len(last["alert_ids"]), "alerts counts them", str(last["alerts"]))
        t.check(last["window"] == 7200 and last["first"] < last["last"], "window and times",
                json.dumps(last))
        text = json.dumps(recs)
        t.check(HTTP_IP not in text, "the HTTP flow is not part of the campaign", text[:500])
        stream = campaigns(r)
        t.check([x for x, _ in stream] == recs, "davy:campaign holds exactly what stdout had",
                f"{len(stream)} vs {len(recs)}")
        t.check(all(f.get("event_type") == "campaign" and f.get("campaign_id") == x["campaign_id"]
                    for x, f in stream), "davy:campaign entries carry event_type and campaign_id")

        # idempotence and resumption
        n = r.cmd("XLEN", "davy:campaign")
        rc, again, err = correlate(ctx, srv.url(), "--consumer", "another")
        s = summary(err)
        t.check(rc == 0 and again == [] and s is not None and s[0] == 0,
                "same group, new consumer: nothing read, nothing written", f"rc={rc} {err}")
        rc, again, err = correlate(ctx, srv.url(), "--group", "second")
        s = summary(err)
        t.check(rc == 0 and again == [] and s is not None and s[0] > 0 and s[4] == 0
                and r.cmd("XLEN", "davy:campaign") == n,
                "a second group reads everything again and writes nothing", f"rc={rc} {err}")
        pend = r.cmd("XPENDING", "davy:alert", "davy-correlate")
        t.check(pend[0] == 0, "every entry acknowledged", str(pend))


def test_resume_and_claim(t, ctx, recs):
    """A consumer's own pending entries are read first; a dead one's are claimed."""
    with RedisServer() as srv, srv.client() as r:
        xadd_records(r, recs)
        for g in ("g1", "g2"):
            r.cmd("XGROUP", "CREATE", "davy:alert", g, "0", "MKSTREAM")
            r.cmd("XGROUP", "CREATE", "davy:flow", g, "0", "MKSTREAM")
        got = r.cmd("XREADGROUP", "GROUP", "g1", "crashed", "STREAMS", "davy:alert", "davy:flow",
                    ">", ">")
        n = sum(len(s[1]) for s in got)
        rc, out, err = correlate(ctx, srv.url(), "--group", "g1", "--consumer", "crashed")
        s = summary(err)
        t.check(rc == 0 and s is not None and s[0] == n and len({x["campaign_id"] for x in out}) == 1,
                "a restarted consumer reads its pending entries first (one campaign)",
                f"rc={rc} read {s} of {n}; {err}")
        t.check(r.cmd("XPENDING", "davy:alert", "g1")[0] == 0, "and acknowledges them")
        # entries a dead consumer took, idle for two minutes: XAUTOCLAIM
        r.cmd("DEL", *[k for k in r.cmd("KEYS", "davy:corr:*")])
        r.cmd("DEL", "davy:campaign")
        got = r.cmd("XREADGROUP", "GROUP", "g2", "dead", "STREAMS", "davy:alert", "davy:flow",
                    ">", ">")
        for key, entries in got:
            r.cmd("XCLAIM", key, "g2", "dead", "0", *[e[0] for e in entries], "IDLE", "120000")
        rc, out, err = correlate(ctx, srv.url(), "--group", "g2", "--consumer", "alive")
        s = summary(err)
        t.check(rc == 0 and s is not None and s[0] == n and len({x["campaign_id"] for x in out}) == 1,
                "entries of a dead consumer are claimed and make the campaign", f"rc={rc} {s} {err}")
        t.check(r.cmd("XPENDING", "davy:alert", "g2")[0] == 0
                and r.cmd("XPENDING", "davy:flow", "g2")[0] == 0, "claimed entries acknowledged")


def test_rules_from_captures(t, ctx):
    # two sources to one pool: no campaign (the capture without its third pod)
    with RedisServer() as srv, srv.client() as r:
        populate(ctx, srv, [P("campaign_pool.pcap")], bpf=["not", "host", PODS[2]])
        rc, out, err = correlate(ctx, srv.url())
        s = summary(err)
        t.check(rc == 0 and out == [] and s is not None and s[1] > 0 and not r.cmd("EXISTS", "davy:campaign"),
                "two sources to one pool: no campaign", f"rc={rc} {out} {err}")
    # one source seen by three sensors: a campaign by sensors
    with RedisServer() as srv, srv.client() as r:
        for node in ("node-1", "node-2", "node-3"):
            populate(ctx, srv, [P("campaign_pool.pcap")], sensor=node, bpf=["host", PODS[0]])
        rc, out, err = correlate(ctx, srv.url())
        ids = {x.get("campaign_id") for x in out}
        t.check(rc == 0 and len(ids) == 1, "one source, three sensors: one campaign", f"{out} {err}")
        if out:
            last = out[-1]
            t.check(last["sensors"] == ["node-1", "node-2", "node-3"] and last["sources"] == [PODS[0]]
                    and "sensors" in last["reasons"] and "sources" not in last["reasons"],
                    "raised because of sensors, listing all three", json.dumps(last)[:600])
            t.check([x["update"] for x in out] == [1, 2] and len(out[0]["sensors"]) == 2,
                    "raised at the second sensor, updated at the third",
                    str([(x["update"], x["sensors"]) for x in out]))


def test_rules_built(t, ctx):
    wallet = "4" + "A" * 94
    with RedisServer() as srv, srv.client() as r:
        def run(prefix, recs, *args):
            xadd_records(r, recs, prefix)
            return correlate(ctx, srv.url(), "--redis-prefix", prefix, *args)

        # one source reaching three pools
        recs = [alert(T0 + i, "10.244.9.9", "192.0.2.%d" % (i + 1), 3333, dns="p%d.pool.test" % i,
                      stratum=cn("4%s%d" % ("B" * 93, i), None)) for i in range(3)]
        rc, out, err = run("pools", recs)
        t.check(rc == 0 and len(out) == 1 and out[0]["reasons"] == ["pools"]
                and out[0]["sources"] == ["10.244.9.9"]
                and out[0]["pools"] == ["p0.pool.test", "p1.pool.test", "p2.pool.test"]
                and len(out[0]["wallets"]) == 3,
                "one source reaching three pools: one campaign (pools)", f"{out} {err}")
        rc, out, err = run("pools2", recs[:2])
        t.check(rc == 0 and out == [], "one source reaching two pools: none", f"{out} {err}")
        # one flow named twice (the feed's domain in the indicator alert, the
        # DNS-linked name in the Stratum alert) is one pool: two pools, none
        ioc = {"indicator": "moneroocean.stream", "type": "domain", "matched": "dns_linked"}
        recs = [alert(T0, "10.244.9.8", "192.0.2.50", 3333, sid=4960102, ioc=ioc,
                      dns="gulf.moneroocean.stream"),
                alert(T0, "10.244.9.8", "192.0.2.50", 3333, dns="gulf.moneroocean.stream",
                      stratum=cn("4%s" % ("C" * 94), None)),
                alert(T0 + 1, "10.244.9.8", "192.0.2.51", 3333, dns="p9.pool.test",
                      stratum=cn("4%s" % ("D" * 94), None), sport=40001)]
        rc, out, err = run("pools3", recs)
        t.check(rc == 0 and out == [], "one flow's two pool names count as one pool: two pools, "
                "no campaign", f"{out} {err}")

        # growth: a fourth source later makes exactly one update
        recs = [alert(T0 + 10 * i, "10.244.5.%d" % i, POOL_IP, 3333, dns=POOL,
                      stratum=cn(wallet + ".w%d" % i, "w%d" % i)) for i in range(3)]
        rc, out1, err = run("grow", recs)
        t.check(rc == 0 and len(out1) == 1 and out1[0]["update"] == 1 and len(out1[0]["sources"]) == 3
                and out1[0]["wallets"] == [wallet], "three sources: the campaign, update 1", f"{out1} {err}")
        fourth = alert(T0 + 600, "10.244.5.3", POOL_IP, 3333, dns=POOL, stratum=cn(wallet + ".w3", "w3"))
        rc, out2, err = run("grow", [fourth])
        t.check(rc == 0 and len(out2) == 1 and out2[0]["update"] == 2 and len(out2[0]["sources"]) == 4
                and out1 and out2[0]["campaign_id"] == out1[0]["campaign_id"]
                and out2[0]["first"] == out1[0]["first"] and out2[0]["last"] == iso(T0 + 600)
                and out2[0]["alerts"] == 4, "a fourth source: exactly one update (update 2)",
                f"{out2} {err}")
        rc, out3, err = run("grow", [dict(fourth, flow_id=99)])
        t.check(rc == 0 and out3 == [], "the same source again: no record (nothing grew)", f"{out3} {err}")
        t.check(r.cmd("XLEN", "grow:campaign") == 2, "grow:campaign holds the two records")

        # the list cap: a raised campaign keeps the newest 1000 members of
        # each list, counts what it dropped (members_trimmed, the summary)
        n = 1010
        big = [alert(T0 + i, "10.%d.%d.%d" % (100 + i // 65536, i // 256 % 256, i % 256), POOL_IP, 3333,
                     dns=POOL, sport=40000 + i % 20000) for i in range(n)]
        rc, out, err = run("cap", big, "--campaign-maxlen", "10")
        last = out[-1] if out else {}
        newest = sorted(x["src_ip"] for x in big[n - 1000:])
        t.check(rc == 0 and len(out) == n - 2 and last.get("sources") == newest
                and len(last.get("alert_ids", [])) == 1000 and last.get("alerts") == n
                and last.get("members_trimmed") == 2 * (n - 1000)
                and all("members_trimmed" not in x for x in out[:1000 - 2]),
                "the list cap: the newest 1000 sources and alert ids kept, the rest counted in "
                "members_trimmed (absent until something was trimmed)",
                f"rc={rc} records={len(out)} sources={len(last.get('sources', []))} "
                f"alert_ids={len(last.get('alert_ids', []))} alerts={last.get('alerts')} "
                f"members_trimmed={last.get('members_trimmed')} {err[-300:]}")
        m = re.search(r"(\d+) list members trimmed", err)
        t.check(m and int(m.group(1)) == 2 * (n - 1000), "the summary counts the members trimmed",
                err.strip()[-300:])
        if out:
            check_record_shape(t, "a trimmed campaign record", last)

        # the window: observations older than it do not count
        old = [alert(T0, "10.244.6.1", POOL_IP, 3333, dns=POOL),
               alert(T0 + 1, "10.244.6.2", POOL_IP, 3333, dns=POOL),
               alert(T0 + 3 * 3600, "10.244.6.3", POOL_IP, 3333, dns=POOL)]
        rc, out, err = run("win1", old)
        t.check(rc == 0 and out == [], "two sources, a third three hours later: none", f"{out} {err}")
        rc, out, err = run("win2", old[::-1])
        t.check(rc == 0 and out == [], "the same, the late one read first: none", f"{out} {err}")
        rc, out, err = run("win3", old, "--window", "14400")
        t.check(rc == 0 and len(out) == 1 and out[0]["window"] == 14400,
                "with --window 14400 they make one", f"{out} {err}")

        # pods are the sources where pod metadata exists (three pods, one node address)
        pods = [alert(T0 + i, "10.0.0.5", POOL_IP, 3333, dns=POOL,
                      k8s={"src": {"namespace": "batch", "pod": "job-%d" % i}}) for i in range(3)]
        rc, out, err = run("pods", pods)
        t.check(rc == 0 and len(out) == 1 and out[0]["sources"] == ["batch/job-0", "batch/job-1",
                                                                    "batch/job-2"],
                "three pods behind one address: a campaign of pods", f"{out} {err}")

        # DNS lookups of one pool domain: the pool is the domain, the resolver is none
        look = lambda t0, src, name: alert(  # noqa: E731
            t0, src, "10.96.0.10", 53, sid=4960101,
            ioc={"indicator": name, "type": "domain", "matched": "dns.rrname"})
        rc, out, err = run("dns", [look(T0, "10.244.7.1", "moneroocean.stream"),
                                   look(T0 + 1, "10.244.7.2", "moneroocean.stream"),
                                   look(T0 + 2, "10.244.7.3", "MoneroOcean.Stream")])
        t.check(rc == 0 and len(out) == 1 and out[0]["pools"] == ["moneroocean.stream"],
                "three lookups of a pool domain: one campaign, the domain (lower case) its pool",
                f"{out} {err}")
        rc, out, err = run("dns2", [look(T0, "10.244.7.1", "a.pool.test"),
                                    look(T0 + 1, "10.244.7.2", "a.pool.test"),
                                    look(T0 + 2, "10.244.7.3", "b.pool.test")])
        t.check(rc == 0 and out == [], "lookups of two pools through one resolver: none", f"{out} {err}")

        # one wallet across pool addresses (0x wallet: lower case, worker cut), IPv6
        eth = "0xAbCdEf0123456789aBcDeF0123456789AbCdEf01"
        recs = [alert(T0, "10.244.8.1", "192.0.2.50", 4444, stratum=cn(eth + ".rig1", "rig1", "client", "ethereum")),
                alert(T0 + 1, "10.244.8.2", "2001:db8::50", 4444, stratum=cn(eth.lower(), None, "client", "ethereum")),
                flow(T0 + 2, "10.244.8.3", "192.0.2.51", 4444, stratum=cn(eth + "/rig3", "rig3", "both", "ethereum"))]
        rc, out, err = run("wallet", recs)
        t.check(rc == 0 and len(out) == 1 and out[0].get("wallets") == [eth.lower()]
                and out[0]["pools"] == ["192.0.2.50:4444", "192.0.2.51:4444", "[2001:db8::50]:4444"]
                and len(out[0]["alert_ids"]) == 2 and out[0]["alerts"] == 2,
                "one wallet at three pool addresses: one campaign (a flow counts, without an alert id)",
                f"{out} {err}")

        # a listed host that calls in: the pods are the sources, its address the pool
        recs = [alert(T0 + i, "198.51.100.66", "10.244.4.%d" % i, 8080, sid=4960105,
                      ioc={"indicator": "198.51.100.66", "type": "ip", "matched": "src_ip"})
                for i in range(3)]
        rc, out, err = run("callin", recs)
        t.check(rc == 0 and len(out) == 1 and out[0]["pools"] == ["198.51.100.66"]
                and out[0]["sources"] == ["10.244.4.0", "10.244.4.1", "10.244.4.2"],
                "a listed host calling three pods: the pods are the sources", f"{out} {err}")

        # what is not an observation
        recs = [alert(T0 + i, "10.244.3.%d" % i, "203.0.113.9", 30303, sid=4960003) for i in range(5)]
        recs += [alert(T0 + i, "10.244.3.%d" % i, "203.0.113.9", 30303, sid=4960109,
                       ioc={"indicator": "203.0.113.9", "type": "ip", "matched": "dest_ip"})
                 for i in range(5)]
        recs += [flow(T0 + i, "10.244.3.%d" % i, "203.0.113.9", 30303) for i in range(5)]
        recs += [flow(T0 + i, "10.244.3.%d" % i, "203.0.113.9", 30303,
                      stratum={"dialect": "stratum_v1", "role": "server"}) for i in range(5)]
        rc, out, err = run("not", recs)
        s = summary(err)
        t.check(rc == 0 and out == [] and s is not None and s[0] == 20 and s[1] == 0,
                "nDPI-only Mining alerts, 4960109, flows without a Stratum client: not observations",
                f"{out} {err}")


def test_bad_entries(t, ctx):
    with RedisServer() as srv, srv.client() as r:
        a = r.cmd("XADD", "davy:alert", "*", "json", "{not json", "event_type", "alert")
        b = r.cmd("XADD", "davy:flow", "*", "event_type", "flow")
        c = r.cmd("XADD", "davy:alert", "*", "json", "[1,2]")
        xadd_records(r, [alert(T0 + i, "10.244.2.%d" % i, POOL_IP, 3333, dns=POOL) for i in range(3)])
        rc, out, err = correlate(ctx, srv.url())
        s = summary(err)
        t.check(rc == 0 and s is not None and s[2] == 3 and len(out) == 1,
                "entries that are not JSON records: counted and skipped, the rest processed",
                f"rc={rc} {s} {err}")
        t.check(all(x in err for x in (a, b, c)) and "davy:alert" in err and "davy:flow" in err,
                "each named by stream and entry id", err)
        t.check(r.cmd("XPENDING", "davy:alert", "davy-correlate")[0] == 0
                and r.cmd("XPENDING", "davy:flow", "davy-correlate")[0] == 0,
                "and acknowledged")


def test_options(t, ctx):
    davy = ctx["davy"]
    p = subprocess.run([davy, "correlate", "--help"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = p.stdout.decode()
    src = open(os.path.join(ROOT, "sensor", "correlate.c")).read()
    longopts = re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument', src)
    t.check(p.returncode == 0 and "usage: davy correlate" in out and len(longopts) >= 10,
            "correlate --help exits 0 with usage", out[:200])
    for o in longopts:
        t.check(f"--{o}" in out, f"correlate --help documents --{o}")
    port = free_port()
    url = f"redis://:s3cret@127.0.0.1:{port}/0"
    for args, needle in ((["--bogus"], "--bogus"), (["--window", "0"], "--window"),
                         (["--window", "x"], "--window"), (["--min-sources", "-1"], "--min-sources"),
                         (["--min-pools"], "--min-pools"), (["--redis", "http://x"], "Redis URL"),
                         (["--group", "a b"], "--group"), (["extra"], "extra")):
        a = args if "--redis" in args else ["--redis", url] + args
        p = subprocess.run([davy, "correlate", "--once"] + a, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=30)
        err = p.stderr.decode()
        t.check(p.returncode == 2 and needle in err and p.stdout == b"" and err.count("\n") == 1,
                f"bad option {args}: exit 2, one line naming {needle}", f"rc={p.returncode} {err!r}")
    env = dict(os.environ)
    env.pop("DAVY_REDIS_URL", None)
    rc, out, err = correlate(ctx, None, env=env)
    t.check(rc == 2 and "--redis" in err, "no URL: exit 2 asking for --redis", err)
    rc, out, err = correlate(ctx, url)
    t.check(rc == 2 and f"127.0.0.1:{port}" in err and "s3cret" not in err and out == [],
            "--once, Redis unreachable: exit 2 naming the URL without its password", err)
    with RedisServer(password="pw") as srv, srv.client() as r:
        xadd_records(r, [alert(T0 + i, "10.244.2.%d" % i, POOL_IP, 3333, dns=POOL) for i in range(3)])
        env["DAVY_REDIS_URL"] = srv.url()
        rc, out, err = correlate(ctx, None, env=env)
        t.check(rc == 0 and len(out) == 1, "$DAVY_REDIS_URL (with a password) when --redis is absent",
                f"rc={rc} {err}")
        rc, out, err = correlate(ctx, srv.url(password="wrong"))
        t.check(rc == 2 and "AUTH" in err and "wrong" not in err, "a refused AUTH: exit 2", err)
        rc, out, err = correlate(ctx, srv.url(), "-q", "--group", "quiet")
        t.check(rc == 0 and err == "", "-q: no summary line", err)


def test_corpus(t, ctx):
    if not os.path.isdir(CORPUS):
        t.skip("corpus: no campaign in ../shared/corpus/ndpi", f"{CORPUS} is absent")
        return
    files = sorted(os.path.join(CORPUS, f) for f in os.listdir(CORPUS)
                   if os.path.isfile(os.path.join(CORPUS, f)) and not f.endswith(".md"))
    with RedisServer() as srv, srv.client() as r:
        rc = populate(ctx, srv, files, sensor="corpus")
        n = r.cmd("XLEN", "davy:alert") + r.cmd("XLEN", "davy:flow")
        t.check(rc in (0, 1) and n > 1000, f"corpus: {len(files)} captures replayed into Redis",
                f"rc={rc}, {n} entries")
        rc, out, err = correlate(ctx, srv.url())
        s = summary(err)
        t.check(rc == 0 and s is not None and s[0] == n and s[1] > 0,
                "corpus: every entry read, the mining sessions observed", f"rc={rc} {err}")
        t.check(out == [] and not r.cmd("EXISTS", "davy:campaign"),
                "corpus: no campaign record", json.dumps(out)[:1000])


def wait_for(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.1)
    return pred()


def test_running(t, ctx, recs):
    """Two correlators share a group; SCRIPT FLUSH; Redis crashes and comes back."""
    with RedisServer(aof=True) as srv:
        procs = []
        for name in ("c1", "c2"):
            procs.append(subprocess.Popen([ctx["davy"], "correlate", "--redis", srv.url(),
                                           "--consumer", name], stdout=subprocess.PIPE,
                                          stderr=subprocess.PIPE))
        try:
            r = srv.client()
            xadd_records(r, recs)
            t.check(wait_for(lambda: r.cmd("XLEN", "davy:campaign") >= 1, 20),
                    "running: the campaign appears")
            r.cmd("SCRIPT", "FLUSH")
            wallet = "4" + "C" * 94
            xadd_records(r, [alert(T0 + 500, "10.244.5.77", POOL_IP, 3333, dns=POOL,
                                   stratum=cn(wallet, None))])
            t.check(wait_for(lambda: r.cmd("XLEN", "davy:campaign") >= 2, 20),
                    "running: after SCRIPT FLUSH, a new source makes an update")
            r.close()
            srv.kill(signal.SIGKILL)
            time.sleep(0.5)
            srv.restart()
            r = srv.client()
            xadd_records(r, [alert(T0 + 900, "10.244.5.78", POOL_IP, 3333, dns=POOL)])
            t.check(wait_for(lambda: r.cmd("XLEN", "davy:campaign") >= 3, 30),
                    "running: after Redis crashed and restarted, another source makes an update")
            time.sleep(1.5)
        finally:
            outs = []
            for p in procs:
                p.send_signal(signal.SIGTERM)
                try:
                    o, e = p.communicate(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
                    o, e = p.communicate()
                outs.append((p.returncode, o.decode(), e.decode()))
        t.check(all(rc == 0 for rc, _, _ in outs), "running: SIGTERM ends both with exit 0",
                str([(rc, e[-300:]) for rc, _, e in outs]))
        t.check(all(summary(e) is not None for _, _, e in outs), "running: each writes its summary")
        t.check(all("reconnecting" in e and "connected again" in e for _, _, e in outs),
                "running: the outage is reported once, and the return", outs[0][2][-600:])
        printed = [json.loads(line) for _, o, _ in outs for line in o.splitlines()]
        stream = [x for x, _ in campaigns(r)]
        t.check(sorted(x["update"] for x in printed) == [1, 2, 3]
                and sorted(json.dumps(x) for x in printed) == sorted(json.dumps(x) for x in stream)
                and len({x["campaign_id"] for x in stream}) == 1,
                "running: one record per change across both correlators, as in davy:campaign",
                json.dumps(printed)[:800])
        t.check(sum(summary(e)[1] for _, _, e in outs if summary(e)) >= len(recs) // 2,
                "running: the work was read")
        r.close()


def main():
    davy = os.path.abspath(sys.argv[1])
    t = Tally("correlate")
    ok, why = RedisServer.available()
    if not ok:
        t.skip("correlator suite", why)
        return t.finish()
    ctx = {"davy": davy, "redis_output": has_redis_output(davy)}
    print("correlate: streams filled by " + ("davy --redis" if ctx["redis_output"]
                                               else "davy -o FILE and XADD"), flush=True)
    rc, pool_recs, err = run_davy(davy, ["--sensor-name", "node-a", "-r", P("campaign_pool.pcap")])
    t.check(rc == 0 and pool_recs, "campaign_pool.pcap replays", err)
    pool_recs = [x for x in pool_recs if x["event_type"] in ("alert", "flow")]
    test_campaign_pool(t, ctx)
    test_resume_and_claim(t, ctx, pool_recs)
    test_rules_from_captures(t, ctx)
    test_rules_built(t, ctx)
    test_bad_entries(t, ctx)
    test_options(t, ctx)
    test_running(t, ctx, pool_recs)
    test_corpus(t, ctx)
    # every record any run printed, whatever the scenario
    bad = []
    for rec in ctx.get("printed", []):
        keys = set(rec)
        errs = schema_errors(SCHEMA, rec) if SCHEMA is not None else []
        if errs or not (FIELDS - OPTIONAL <= keys <= FIELDS | OPTIONAL):
            bad.append((rec, errs))
    t.check(len(ctx.get("printed", [])) >= 10 and not bad,
            f"all {len(ctx.get('printed', []))} campaign records printed: the documented fields, "
            "valid against the schema", str(bad[:2]))
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
