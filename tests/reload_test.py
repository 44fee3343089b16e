#!/usr/bin/python3
"""reload_test - indicator feeds reloaded while davy runs (include/ioc_live.h).

Part 1, in step with the traffic: davy reads a capture from a pipe (-r -), so
the test decides which packets it has seen before a feed changes, and with
--workers 1 the packets are handled in order: once the alert about a later
packet is out, every earlier packet has been matched. Each step waits for
davy's own message on stderr, then sends the next packets:
  - a changed feed file (renamed into place) is reloaded by the periodic
    check (--iocs-check-interval 1): the address it no longer lists stops
    alerting, the one it now lists starts;
  - a bad line in a reloaded feed is reported as FILE:LINE and skipped;
  - a feed that fails entirely (only bad lines; then removed) keeps the
    previous set, and the log says so; the old indicators still alert;
  - with --iocs-check-interval 0 a changed file is not reloaded until
    SIGHUP;
  - the stats record counts the reloads and the failed ones.
Part 2, under load: a replay of a generated capture while the feed is
rewritten and SIGHUP sent every few milliseconds: davy exits 0, writes every
flow record a run without reloads writes (flow.alerted aside, which depends
on the set in use), counts its reloads, and - when this binary is built
with ThreadSanitizer (make test-tsan) - TSan reports nothing.
Part 3, stop signals: SIGTERM, then SIGINT, a second into a replay far longer
than the test: davy stops reading, ends as at the end of its input (every
flow's record, open ones as shutdown; the stats record), exits 0 and says how
many packets it read.
Usage: reload_test.py PATH/TO/davy
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
from davytest import (PCAP_HEADER_RAW as PCAP_HEADER, ROOT, LiveDavy, Tally,  # noqa: E402
                      flow_records, pcap_record as record, run_davy, stats_of,
                      udp4 as udp_packet)

# A ThreadSanitizer build (make test-tsan) needs the suppressions of what TSan
# cannot see (tests/tsan.supp, include/tsan.h); other builds ignore this.
os.environ.setdefault("TSAN_OPTIONS", "suppressions=" + os.path.join(ROOT, "tests", "tsan.supp"))

T = Tally("reload")
STEP_TIMEOUT = 60  # seconds to wait for one message from davy (TSan builds are slow)


def write_feed(path, lines):
    """Replaces the feed atomically (rename), as ioc_live.h asks."""
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write("#@ category=c2 severity=high source=reload-test\n")
        f.write("".join(line + "\n" for line in lines))
    os.rename(tmp, path)


class Davy(LiveDavy):
    """davy reading a capture from its stdin with one C2 feed."""

    def __init__(self, davy, feed, extra):
        super().__init__(T, davy, ["--workers", "1", "--iocs", feed] + extra,
                         timeout=STEP_TIMEOUT)

    def send(self, dst, sport=None):
        return super().send("10.1.2.3", dst, sport=sport)

    def wait_alert(self, what, sport, indicator):
        ok = self.wait(what, lambda: self.alert_for(sport))
        if ok:
            a = self.alert_for(sport)[0]
            T.check(a["alert"]["signature_id"] == 4960105 and
                    a.get("ioc", {}).get("indicator") == indicator,
                    f"{what}: C2 alert naming {indicator}", json.dumps(a)[:300])


def tsan_clean(what, errlines):
    bad = [m for m in errlines if "ThreadSanitizer" in m]
    T.check(not bad, f"{what}: no ThreadSanitizer report", "\n".join(bad[:5]))


def in_step(davy, tmp):
    feed = os.path.join(tmp, "c2.txt")
    write_feed(feed, ["192.0.2.10"])
    d = Davy(davy, feed, ["--iocs-check-interval", "1"])
    d.wait_msg("start-up load message", "1 indicators from 1 feed files", 0)

    s1 = d.send("192.0.2.10")
    d.wait_alert("listed address alerts before any reload", s1, "192.0.2.10")

    n = len(d.errlines)
    time.sleep(1.1)  # a new mtime second on file systems with coarse times
    write_feed(feed, ["192.0.2.20", "not an indicator at all"])
    d.wait_msg("changed feed reloaded by the periodic check",
               "indicators reloaded (feed files changed): 1 indicators", n)
    T.check(any(f"{feed}:3:" in m for m in d.errlines[n:]),
            "bad line in the reloaded feed reported as FILE:LINE", " | ".join(d.errlines[n:]))
    s2 = d.send("192.0.2.10")
    s3 = d.send("192.0.2.20")
    d.wait_alert("newly listed address alerts after the reload", s3, "192.0.2.20")
    T.check(not d.alert_for(s2), "address no longer listed does not alert after the reload",
            json.dumps(d.alert_for(s2))[:300])

    n = len(d.errlines)
    time.sleep(1.1)
    write_feed(feed, ["this line is bad", "so is this one"])
    d.wait_msg("feed of bad lines only: reload fails and says the old set stays",
               "still using the previous 1 indicators", n)
    s4 = d.send("192.0.2.20")
    d.wait_alert("previous set still in use after a failed reload", s4, "192.0.2.20")

    n = len(d.errlines)
    os.unlink(feed)
    d.wait_msg("feed removed: reload fails naming the path", f"cannot load indicators from '{feed}'", n)
    s5 = d.send("192.0.2.20")
    d.wait_alert("previous set still in use after the feed vanished", s5, "192.0.2.20")

    n = len(d.errlines)
    write_feed(feed, ["192.0.2.30"])
    d.wait_msg("feed back: reloaded", "indicators reloaded (feed files changed)", n)
    s6 = d.send("192.0.2.30")
    d.wait_alert("restored feed alerts", s6, "192.0.2.30")

    rc = d.finish()
    T.check(rc == 0, "in-step run exits 0", f"exit {rc}; " + " | ".join(d.errlines[-5:]))
    io = stats_of(d.records).get("iocs", {})
    T.check(io.get("reloads") == 2 and io.get("reload_failures") == 2,
            "stats.iocs counts 2 reloads and 2 failed reloads", json.dumps(io))
    T.check(len(flow_records(d.records)) == 6, "every flow of the piped capture has its record",
            str(len(flow_records(d.records))))
    tsan_clean("in-step run", d.errlines)


def sighup_only(davy, tmp):
    feed = os.path.join(tmp, "hup.txt")
    write_feed(feed, ["192.0.2.40"])
    d = Davy(davy, feed, ["--iocs-check-interval", "0"])
    d.wait_msg("start-up load message (SIGHUP-only run)", "1 indicators from 1 feed files", 0)
    time.sleep(1.1)
    write_feed(feed, ["192.0.2.50"])
    time.sleep(2.5)  # longer than any check interval would be
    s1 = d.send("192.0.2.40")
    d.wait_alert("--iocs-check-interval 0: a changed file is not reloaded by itself", s1,
                 "192.0.2.40")
    # a flow to the address the next set lists, open across the reload
    s0 = d.send("192.0.2.50")
    s1b = d.send("192.0.2.40")  # after s0: once its alert is out, s0 was handled
    d.wait("an open flow's packet before the reload", lambda: d.alert_for(s1b))
    T.check(not d.alert_for(s0), "an address not yet listed does not alert",
            json.dumps(d.alert_for(s0))[:300])
    n = len(d.errlines)
    d.p.send_signal(signal.SIGHUP)
    d.wait_msg("SIGHUP reloads", "indicators reloaded (SIGHUP): 1 indicators", n)
    s2 = d.send("192.0.2.40")
    s3 = d.send("192.0.2.50")
    d.wait_alert("after SIGHUP the new indicator alerts", s3, "192.0.2.50")
    T.check(not d.alert_for(s2), "after SIGHUP the old indicator does not")
    d.send("192.0.2.50", sport=s0)  # the open flow's next packet
    d.wait_alert("a flow open across the reload is checked again at its next packet", s0,
                 "192.0.2.50")
    d.send("192.0.2.50", sport=s0)
    d.send("192.0.2.40", sport=s1)  # alerted before; the new set no longer lists it
    rc = d.finish()
    T.check(rc == 0, "SIGHUP run exits 0 (SIGHUP does not end davy)", f"exit {rc}")
    T.check(len(d.alert_for(s0)) == 1 and len(d.alert_for(s1)) == 1,
            "one alert per flow: more packets after the re-check add none",
            f"{len(d.alert_for(s0))} and {len(d.alert_for(s1))} alerts")
    io = stats_of(d.records).get("iocs", {})
    T.check(io.get("reloads") == 1, "stats.iocs.reloads is 1", json.dumps(io))
    # open at the reload: s0, s1, s1b (s2, s3 were created after it)
    T.check(io.get("flows_rechecked") == 3, "stats.iocs.flows_rechecked counts the 3 flows open "
            "at the reload, each once", json.dumps(io))
    tsan_clean("SIGHUP run", d.errlines)


def load_capture(path, flows=4000, per_flow=40):
    """Many UDP flows, every 8th to an address the feeds list in turn."""
    with open(path, "wb") as f:
        f.write(PCAP_HEADER)
        t = 1_700_000_000.0
        for i in range(per_flow):
            for k in range(flows):
                dst = f"198.51.{100 + (k % 8)}.{k % 250 + 1}"
                t += 0.00002
                f.write(record(t, udp_packet(f"10.2.{k // 250}.{k % 250 + 1}", dst,
                                             20000 + k, 5001)))


def under_load(davy, tmp):
    cap = os.path.join(tmp, "load.pcap")
    load_capture(cap)
    feed = os.path.join(tmp, "load.txt")
    sets = [[f"198.51.{100 + j}.0/24" for j in range(0, 8, 2)],
            [f"198.51.{100 + j}.0/24" for j in range(1, 8, 2)] + ["garbage line"]]
    write_feed(feed, sets[0])
    args = ["--workers", "3", "-r", cap, "-r", cap, "--iocs", feed, "--iocs-check-interval", "1"]
    rc0, base, err0 = run_davy(davy, args)
    T.check(rc0 == 0, "baseline replay exits 0", err0[-300:])

    out = os.path.join(tmp, "load.json")
    p = subprocess.Popen([davy, "--no-progress", "-o", out] + args,
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    first = p.stderr.readline()  # the start-up load message: SIGHUP is handled from here on
    T.check(b"indicators from" in first, "load message before the replay", first.decode()[:200])
    errbuf = [first]
    reader = threading.Thread(target=lambda: errbuf.append(p.stderr.read()))
    reader.start()
    swaps = 0
    while p.poll() is None:
        write_feed(feed, sets[swaps % 2])
        swaps += 1
        try:
            p.send_signal(signal.SIGHUP)
        except ProcessLookupError:
            break
        time.sleep(0.005)
    rc = p.wait()
    reader.join()
    err = b"".join(errbuf).decode("utf-8", "replace")
    with open(out) as f:
        recs = [json.loads(x) for x in f if x.strip()]
    T.check(rc == 0, "replay with feeds swapped and SIGHUP under load exits 0",
            f"exit {rc}: {err[-500:]}")

    def strip(rs):
        out_ = []
        for r in flow_records(rs):
            r = dict(r)
            r["flow"] = {k: v for k, v in r["flow"].items() if k != "alerted"}
            out_.append(json.dumps(r, sort_keys=True))
        return sorted(out_)

    a, b = strip(base), strip(recs)
    T.check(len(a) > 1000 and a == b,
            f"every flow record of the run without reloads is there ({len(a)} flows)",
            f"baseline {len(a)}, under reload {len(b)}")
    io = next((r["stats"]["iocs"] for r in recs if r.get("event_type") == "stats"), {})
    T.check(io.get("reloads", 0) >= 1 and io.get("reloads", 0) + io.get("reload_failures", 0) >= 1,
            f"reloads happened during the replay ({swaps} swaps sent)", json.dumps(io))
    alerts = [r for r in recs if r.get("event_type") == "alert"]
    T.check(all(r.get("ioc", {}).get("indicator", "").startswith("198.51.1") for r in alerts),
            "every alert under reload names an indicator of one of the two sets")
    tsan_clean("replay under reload", err.splitlines())


def stop_signals(davy, tmp):
    """SIGTERM and SIGINT stop a long replay: the run ends as at the end of
    its input (open flows as shutdown, a stats record), exit 0, and says so."""
    cap = os.path.join(tmp, "signals.pcap")
    load_capture(cap, flows=500, per_flow=40)  # 20,000 packets
    for sig, name in ((signal.SIGTERM, "SIGTERM"), (signal.SIGINT, "SIGINT")):
        out = os.path.join(tmp, "signals.json")
        # 4000 times the file: 80 million packets, far longer than the test
        p = subprocess.Popen([davy, "--no-progress", "--no-iocs", "-o", out] + ["-r", cap] * 4000,
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(1.0)
        p.send_signal(sig)
        try:
            _, err = p.communicate(timeout=STEP_TIMEOUT)
        except subprocess.TimeoutExpired:
            p.kill()
            _, err = p.communicate()
            T.check(False, f"{name}: davy ends within {STEP_TIMEOUT} s of the signal")
            continue
        err = err.decode("utf-8", "replace")
        with open(out) as f:
            recs = [json.loads(x) for x in f if x.strip()]
        st = stats_of(recs)
        pkts = st.get("decoder", {}).get("pkts", 0)
        T.check(p.returncode == 0, f"{name}: exit 0", f"exit {p.returncode}: {err[-300:]}")
        T.check(f"davy: {name}: stopped reading after {pkts} packets" in err
                and 0 < pkts < 4000 * 20000,
                f"{name}: the message says how many packets were read (fewer than the input)",
                err[-300:])
        fl = flow_records(recs)
        T.check(st and fl and all(r["flow"]["reason"] in ("shutdown", "timeout") for r in fl)
                and any(r["flow"]["reason"] == "shutdown" for r in fl)
                and st.get("flow", {}).get("created") == len(fl),
                f"{name}: every flow created has its record (open ones as shutdown), and the "
                "stats record is written", f"{len(fl)} flow records; stats.flow "
                f"{json.dumps(st.get('flow'))}")
        tsan_clean(name, err.splitlines())


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    davy = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="davy-reload-") as tmp:
        in_step(davy, tmp)
        sighup_only(davy, tmp)
        under_load(davy, tmp)
        stop_signals(davy, tmp)
    return T.finish()


if __name__ == "__main__":
    sys.exit(main())
