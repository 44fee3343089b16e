"""redis_test - davy's Redis output against a real redis-server.

Every test starts its own redis-server on a free loopback port
(tests/lib/redistest.py) and checks what arrived with a plain RESP client:
  - content: every record of a replay is in its stream, byte for byte, in
    order, with the flat fields; alerts are PUBLISHed; prefix and MAXLEN;
  - Redis down at start, then up: the replay waits, the outage is logged
    once, nothing is lost;
  - Redis killed with SIGKILL mid-replay (AOF on) and restarted: nothing
    lost (duplicates allowed: delivery is at least once);
  - reply errors: WRONGTYPE (given up after --redis-timeout, naming what was
    not delivered) and OOM (retried until Redis has room again);
  - drop mode (live capture's policy): a full queue drops and counts, alerts
    last; records queued while Redis was away arrive when it returns;
  - AUTH (password, ACL user), database selection, unix sockets,
    $DAVY_REDIS_URL.
Skips, saying why, when redis-server cannot run.

Usage: redis_test.py DAVY
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import (ROOT, Tally, PCAP_HEADER_RAW, pcap_record, schema_errors,  # noqa: E402
                      schema_validator, stats_of, udp4)
from redistest import RedisServer, Resp, RespError, free_port, xrange_all  # noqa: E402

T = Tally("redis")
DAVY = None
PCAPS = os.path.join(ROOT, "pcaps")
IOCS = os.path.join(ROOT, "tests", "data", "test-iocs.txt")
FLAT = ("src_ip", "dest_ip", "dest_port", "app_proto")


def run(args, env=None, stdin=None, timeout=120):
    """davy with records also to a file; returns (rc, records, raw lines, stderr)."""
    with tempfile.NamedTemporaryFile(prefix="davy-redis-", suffix=".json", delete=False) as f:
        path = f.name
    try:
        e = dict(os.environ)
        e.pop("DAVY_REDIS_URL", None)
        e.update(env or {})
        p = subprocess.run([DAVY, "--no-progress", "-o", path] + args, env=e, stdin=stdin,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
        lines = open(path, "rb").read().decode().splitlines()
    finally:
        os.unlink(path)
    return p.returncode, [json.loads(x) for x in lines], lines, p.stderr.decode()


def streams(r, prefix="davy"):
    return {t: xrange_all(r, f"{prefix}:{t}") for t in ("flow", "alert", "stats")}


def check_exact(what, lines, got, sensor):
    """Stream entries == the file's records of each type, in order, byte for
    byte, with the right flat fields."""
    for t in ("flow", "alert", "stats"):
        want = [x for x in lines if json.loads(x)["event_type"] == t]
        have = [f["json"] for _, f in got[t]]
        T.check(have == want, f"{what}: {t} stream equals the file's {t} records",
                f"{len(have)} entries, {len(want)} records")
    bad = []
    for t in ("flow", "alert", "stats"):
        for eid, f in got[t]:
            rec = json.loads(f["json"])
            want = {"json": f["json"], "event_type": t, "sensor": sensor}
            for k in FLAT:
                if k in rec:
                    want[k] = str(rec[k])
            if t == "alert":
                want["signature_id"] = str(rec["alert"]["signature_id"])
            if f != want:
                bad.append((t, eid, sorted(set(f) ^ set(want)) or "values"))
    T.check(not bad, f"{what}: flat fields are exactly event_type, sensor and those the record has",
            str(bad[:3]))


def big_capture(path, n=30000, step=0.002):
    """n one-packet UDP flows, one every `step` s of packet time (from
    2023-11-14T22:13:20Z): with UDP's 30 s timeout, records are written from
    half-way through the replay on."""
    with open(path, "wb") as f:
        f.write(PCAP_HEADER_RAW)
        t0 = 1700000000.0
        for i in range(n):
            f.write(pcap_record(t0 + i * step,
                                udp4(f"10.{(i >> 16) & 255}.{(i >> 8) & 255}.{i & 255}",
                                     "192.0.2.1", 10000 + i % 50000, 9999)))


def feeder(path, parts, stdin):
    """Writes the capture to stdin, calling each (fraction, function) of
    parts once that fraction of its packets has been written."""
    data = open(path, "rb").read()
    hdr, body = data[:24], data[24:]
    rec = 16 + 20 + 8 + 32
    n = len(body) // rec
    stdin.write(hdr)
    done = 0
    for frac, fn in parts + [(1.0, None)]:
        cut = int(n * frac)
        stdin.write(body[done * rec:cut * rec])
        stdin.flush()
        done = cut
        if fn:
            fn()
    stdin.close()


def wait_for(cond, timeout=30):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


def xlen(srv, key="davy:flow"):
    try:
        with srv.client() as r:
            return r.cmd("XLEN", key)
    except (OSError, RespError):
        return -1


# ---- tests ----------------------------------------------------------------

def test_content():
    with RedisServer(extra=("--stream-node-max-entries", "10")) as srv:
        sub = Resp(port=srv.port)
        sub.cmd("SUBSCRIBE", "davy:alerts")
        files = ["stratum_dialects.pcap", "ioc_c2.pcap", "ioc_url.pcap", "bigflows.pcap"]
        args = ["--sensor-name", "node-a", "--iocs", IOCS, "--redis", srv.url()]
        for f in files:
            args += ["-r", os.path.join(PCAPS, f)]
        rc, recs, lines, err = run(args)
        T.check(rc == 0, "content: replay with --redis exits 0", err[-400:])
        with srv.client() as r:
            got = streams(r)
        T.check(len(got["alert"]) > 10 and len(got["flow"]) > 50,
                "content: the captures gave flows and alerts",
                f'{len(got["flow"])} flows, {len(got["alert"])} alerts')
        check_exact("content", lines, got, "node-a")
        v = schema_validator()
        errs = [e for x in recs for e in schema_errors(v, x)]
        T.check(not errs, "content: every record, the stats record's redis_* counters included, "
                "matches docs/record.schema.json", str(errs[:3]))
        st = stats_of(recs)["output"]
        T.check(st["redis_delivered"] == {"flow": len(got["flow"]), "alert": len(got["alert"]),
                                          "stats": 0, "other": 0},
                "content: stats.output.redis_delivered counts what arrived (the stats record "
                "itself is made after)", str(st["redis_delivered"]))
        T.check(st["redis_errors"] == 0 and st["redis_reconnects"] == 0 and st["redis_dropped"] == 0,
                "content: no errors, reconnects or drops", str(st))
        T.check(st["redis_batches"] < len(lines),
                "content: pipelined (fewer batches than records)", str(st["redis_batches"]))
        # PUBLISH: one message per alert, the record itself
        sub.sock.settimeout(5)
        msgs = []
        try:
            while len(msgs) < len(got["alert"]):
                m = sub._reply()
                msgs.append(m[2])
        except OSError:
            pass
        sub.close()
        T.check(msgs == [f["json"] for _, f in got["alert"]],
                "content: every alert was PUBLISHed on davy:alerts, in order",
                f"{len(msgs)} messages for {len(got['alert'])} alerts")

        # prefix and MAXLEN ~ (the server keeps 10 entries per node)
        rc, recs, lines, err = run(["-r", os.path.join(PCAPS, "bigflows.pcap"), "--redis",
                                    srv.url(), "--redis-prefix", "k8s-a", "--redis-maxlen", "20"])
        with srv.client() as r:
            n = r.cmd("XLEN", "k8s-a:flow")
            total = sum(1 for x in recs if x["event_type"] == "flow")
        T.check(rc == 0 and 20 <= n <= 30 < total,
                "content: --redis-prefix names the streams, --redis-maxlen trims them (~)",
                f"XLEN {n} of {total}")


def test_wait_for_redis():
    port = free_port()
    result = {}

    def davy():
        result["r"] = run(["-r", os.path.join(PCAPS, "stratum_dialects.pcap"),
                           "--redis", f"redis://127.0.0.1:{port}/0", "--redis-timeout", "30"])
    th = threading.Thread(target=davy)
    th.start()
    time.sleep(1.5)
    srv = RedisServer(port=port)
    th.join(60)
    rc, recs, lines, err = result["r"]
    with srv:
        with srv.client() as r:
            got = streams(r)
        T.check(rc == 0, "down at start: the replay waited for Redis and exits 0", err[-300:])
        T.check(err.count("cannot connect") == 1 and "delivering again" in err,
                "down at start: the outage is logged once, and its end", err[-600:])
        want = sum(1 for x in recs if x["event_type"] != "stats")
        have = len(got["flow"]) + len(got["alert"])
        T.check(have == want and len(got["stats"]) == 1, "down at start: nothing lost",
                f"{have} of {want}")
        st = stats_of(recs)["output"]
        T.check(st["redis_errors"] >= 1 and st["redis_reconnects"] == 0,
                "down at start: failed connects counted in redis_errors", str(st))


def test_kill_mid_replay(tmp):
    cap = os.path.join(tmp, "many.pcap")
    big_capture(cap)
    with RedisServer(aof=True) as srv:
        p = subprocess.Popen([DAVY, "--no-progress", "-q", "-r", "-", "-o", os.path.join(tmp, "k.json"),
                              "--redis", srv.url(), "--redis-timeout", "60", "--workers", "2"],
                             stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        state = {}

        def kill():
            state["before"] = wait_for(lambda: xlen(srv) > 500, 30)
            srv.kill(signal.SIGKILL)
            state["at_kill"] = True

        def restart():
            time.sleep(1.0)
            srv.restart()
        feeder(cap, [(0.7, kill), (0.85, restart)], p.stdin)
        err = p.stderr.read().decode()
        rc = p.wait(120)
        lines = open(os.path.join(tmp, "k.json")).read().splitlines()
        with srv.client() as r:
            got = streams(r)
        T.check(state.get("before"), "SIGKILL: Redis was killed while records were being written")
        T.check(rc == 0, "SIGKILL: the replay completes (exit 0)", err[-500:])
        have = [f["json"] for t in got for _, f in got[t]]
        missing = set(lines) - set(have)
        T.check(not missing and len(lines) > 25000, "SIGKILL: every record is in the streams after "
                "the restart (AOF)", f"{len(missing)} of {len(lines)} missing")
        T.check(len(set(have)) == len(set(lines)) and set(have) <= set(lines),
                "SIGKILL: nothing else is there; duplicates only of real records",
                f"{len(have) - len(set(have))} duplicates")
        st = json.loads(lines[-1])["stats"]["output"]
        T.check(st["redis_errors"] >= 1 and st["redis_reconnects"] >= 1,
                "SIGKILL: redis_errors and redis_reconnects count the outage", str(st))
        T.check(err.count("davy: redis:") == 2,
                "SIGKILL: one message when the outage starts, one when it ends", err)


def test_reply_errors():
    with RedisServer() as srv:
        with srv.client() as r:
            r.cmd("SET", "davy:stats", "not a stream")
        rc, recs, lines, err = run(["-r", os.path.join(PCAPS, "stratum_dialects.pcap"),
                                    "--redis", srv.url(), "--redis-timeout", "2"])
        with srv.client() as r:
            got = {t: r.cmd("XLEN", f"davy:{t}") for t in ("flow", "alert")}
        nflow = sum(1 for x in recs if x["event_type"] == "flow")
        nalert = sum(1 for x in recs if x["event_type"] == "alert")
        T.check(rc == 2 and "WRONGTYPE" in err and "not delivered: 1 records (0 flow, 0 alert, 1 stats"
                in err, "WRONGTYPE: retried until --redis-timeout, then exit 2 naming what was "
                "not delivered", err[-500:])
        T.check(got == {"flow": nflow, "alert": nalert},
                "WRONGTYPE: the records before it were delivered", f"{got}")
        T.check(err.count("WRONGTYPE") == 2, "WRONGTYPE: logged once (and named in the final error)",
                err)

    with RedisServer() as srv:
        with srv.client() as r:
            r.cmd("CONFIG", "SET", "maxmemory-policy", "noeviction")
            r.cmd("CONFIG", "SET", "maxmemory", "1")
        result = {}

        def davy():
            result["r"] = run(["-r", os.path.join(PCAPS, "stratum_dialects.pcap"),
                               "--redis", srv.url(), "--redis-timeout", "30"])
        th = threading.Thread(target=davy)
        th.start()
        time.sleep(1.5)
        with srv.client() as r:
            r.cmd("CONFIG", "SET", "maxmemory", "0")
        th.join(60)
        rc, recs, lines, err = result["r"]
        with srv.client() as r:
            got = streams(r)
        T.check(rc == 0 and "OOM" in err, "OOM: retried until Redis had room, exit 0", err[-400:])
        check_exact("OOM", lines, got, recs[0]["sensor"]["name"])
        T.check(stats_of(recs)["output"]["redis_errors"] >= 1, "OOM: counted in redis_errors")


def test_drop_mode(tmp):
    cap = os.path.join(tmp, "many.pcap")
    if not os.path.exists(cap):
        big_capture(cap)
    # Redis never there: the 1 MiB queue fills; flows are dropped first
    port = free_port()
    rc, recs, lines, err = run(["-r", cap, "--redis", f"redis://127.0.0.1:{port}",
                                "--redis-queue-full", "drop", "--redis-queue", "1M",
                                "--redis-timeout", "1"], timeout=120)
    st = stats_of(recs)
    out = st["output"]
    total = len(recs) - 1
    T.check(out["redis_dropped"] > 0 and out["redis_dropped_by_type"]["flow"] == out["redis_dropped"]
            and st["drops"]["output"] == out["redis_dropped"],
            "drop mode: a full queue drops flows and counts them (stats.drops.output)", str(out))
    T.check(out["redis_dropped"] + out["redis_undelivered"] == total,
            "drop mode: every record is either dropped or reported undelivered", f"{out} of {total}")
    T.check(rc == 2 and "not delivered" in err, "drop mode: the end-of-run wait is bounded by "
            "--redis-timeout and says what was not delivered", err[-300:])

    # Redis comes back mid-replay: what waited is delivered, the rest counted
    srv = None
    p = subprocess.Popen([DAVY, "--no-progress", "-q", "-r", "-", "-o", os.path.join(tmp, "d.json"),
                          "--redis", f"redis://127.0.0.1:{port}", "--redis-queue-full", "drop",
                          "--redis-queue", "1M", "--redis-timeout", "60"],
                         stdin=subprocess.PIPE, stderr=subprocess.PIPE)

    def start():
        nonlocal srv
        time.sleep(0.5)
        srv = RedisServer(port=port)
    feeder(cap, [(0.85, start)], p.stdin)
    err = p.stderr.read().decode()
    rc = p.wait(120)
    lines = open(os.path.join(tmp, "d.json")).read().splitlines()
    with srv:
        with srv.client() as r:
            got = streams(r)
    recs = [json.loads(x) for x in lines]
    out = recs[-1]["stats"]["output"]
    have = set(f["json"] for t in got for _, f in got[t])
    early = [x for x in lines[:-1] if json.loads(x)["flow"]["start"] < "2023-11-14T22:13:25"]
    T.check(rc == 0, "drop mode, Redis back: exit 0", err[-300:])
    T.check(len(have) + out["redis_dropped"] == len(lines) and have <= set(lines),
            "drop mode, Redis back: delivered + dropped == every record", f"{len(have)} + {out}")
    T.check(out["redis_dropped"] > 0 and any(x in have for x in early),
            "drop mode, Redis back: records queued while it was away were delivered")


def test_auth_db_unix():
    with RedisServer(password="s3cret:@pw", unixsocket=True) as srv:
        with srv.client() as r:
            r.cmd("ACL", "SETUSER", "davy", "on", ">pw2", "~*", "&*", "+@all")
        pcap = os.path.join(PCAPS, "stratum_dialects.pcap")
        url = f"redis://:s3cret%3A%40pw@127.0.0.1:{srv.port}/3"
        rc, recs, lines, err = run(["-r", pcap, "--redis", url])
        with srv.client(db=3) as r3, srv.client(db=0) as r0:
            n3, n0 = r3.cmd("XLEN", "davy:alert"), r0.cmd("XLEN", "davy:alert")
        nal = sum(1 for x in recs if x["event_type"] == "alert")
        T.check(rc == 0 and n3 == nal and n0 == 0,
                "auth: password (percent-encoded ':' and '@') and db 3", f"{rc} {n3} {n0} {err}")
        rc, recs, lines, err = run(["-r", pcap, "--redis", srv.url(user="davy", password="pw2", db=4)])
        with srv.client(db=4) as r:
            T.check(rc == 0 and r.cmd("XLEN", "davy:alert") == nal, "auth: ACL user and password",
                    err[-300:])
        rc, recs, lines, err = run(["-r", pcap, "--redis", srv.url(password="wrong"),
                                    "--redis-timeout", "1"])
        T.check(rc == 2 and "AUTH" in err and "wrong" not in err,
                "auth: a wrong password fails naming AUTH, without showing the password", err[-400:])
        rc, recs, lines, err = run(["-r", pcap, "--redis", srv.unix_url(db=5)])
        with srv.client(db=5) as r:
            T.check(rc == 0 and r.cmd("XLEN", "davy:alert") == nal, "unix socket with ?db=5",
                    err[-300:])
        rc, recs, lines, err = run(["-r", pcap], env={"DAVY_REDIS_URL": srv.url(db=6)})
        with srv.client(db=6) as r:
            T.check(rc == 0 and r.cmd("XLEN", "davy:alert") == nal, "$DAVY_REDIS_URL", err[-300:])
    demo = os.path.join(PCAPS, "demo.pcap")
    for args, word in ((["--redis", "redis://h:70000"], "port"),
                       (["--redis", "rediss://:hunter2@h"], "scheme 'rediss'"),
                       (["--redis", "redis://h", "--redis-queue-full", "block"], "--redis-queue-full"),
                       (["--redis", "redis://h", "--redis-prefix", "a b"], "--redis-prefix"),
                       (["--redis", "redis://h", "--redis-timeout", "soon"], "--redis-timeout"),
                       (["--redis", "redis://h", "--redis-queue", "1K"], "--redis-queue")):
        rc, _, _, err = run(["-r", demo] + args)
        T.check(rc == 2 and word in err and "hunter2" not in err,
                f"bad option {args[-1]!r}: a start-up error naming it", err)
    rc, _, _, err = run(["-r", demo], env={"DAVY_REDIS_URL": "redis://"})
    T.check(rc == 2 and "DAVY_REDIS_URL" in err, "a bad $DAVY_REDIS_URL is named", err)


def main():
    global DAVY
    DAVY = os.path.abspath(sys.argv[1])
    ok, why = RedisServer.available()
    if not ok:
        T.skip("all Redis tests", why)
        return T.finish()
    with tempfile.TemporaryDirectory(prefix="davy-redis-") as tmp:
        T.run_parts((("content", test_content), ("wait", test_wait_for_redis),
                     ("kill", lambda: test_kill_mid_replay(tmp)),
                     ("errors", test_reply_errors), ("drop", lambda: test_drop_mode(tmp)),
                     ("auth", test_auth_db_unix)))
    return T.finish()


if __name__ == "__main__":
    sys.exit(main())
