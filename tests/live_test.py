#!/usr/bin/python3
"""live_test - live capture (-i) in network namespaces the test makes.

Each part makes namespaces with veth pairs (IPv6 off, so the kernel sends
nothing of its own), starts davy capturing one end inside a namespace and
plays captures into the other end with tcpreplay:
  - same: every capture of a set, played once, gives the same flows (the
    5-tuple, packet and byte counts, app_proto) and the same alerts
    (signature, 5-tuple, evidence) as davy's offline replay of that file;
    records name the interface (in_iface); SIGUSR1 writes a stats record
    while davy runs;
  - sigterm: SIGTERM while tcpreplay still plays: davy exits 0, and every
    flow it created has its record, in the file and in a real Redis
    (started by the test), by --shutdown-timeout;
  - burst: a burst far faster than one worker with the smallest queue:
    davy keeps capturing, counts what it dropped (ring or kernel drops,
    per interface), does not hang, and accounts for every packet it
    decoded (dispatched + ring drops);
  - two: two interfaces at once, different captures on each, then the same
    capture on both: one flow record per interface, one alert per
    connection (the copies counted in stats.alerts.duplicates);
  - metrics: --metrics serves /metrics (Prometheus text: packets, drops by
    reason, decode errors by layer, flows, queues, memory, alerts by
    signature, per interface and per worker) and /healthz;
  - auto: -i auto in a namespace with a cni0 bridge and a default route
    picks both and says so;
  - privileges: started as root, davy runs as nobody with no capability
    once it captures (/proc/PID/status);
  - errors: a missing interface, a bad filter, no CAP_NET_RAW: start-up
    errors that say what to do.
Needs root (namespaces, capture) and tcpreplay; skips with the reason
otherwise.
Usage: live_test.py PATH/TO/davy
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import (ROOT, Tally, alert_records, check_schema, flow_records,  # noqa: E402
                      run_davy, stats_of)

t = Tally("live")
DAVY = os.path.abspath(sys.argv[1]) if len(sys.argv) > 1 else os.path.join(ROOT, "build", "davy")
PCAPS = os.path.join(ROOT, "pcaps")
TAG = f"dv{os.getpid() % 10000}"


def sh(*args, check=True):
    p = subprocess.run(list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=60)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(args)}: {p.stderr.decode(errors='replace').strip()}")
    return p


class Net:
    """Namespaces with veth pairs: pair i is (A side, B side); the A side
    is where tcpreplay plays, the B side where davy captures."""

    def __init__(self, name, pairs=1):
        self.ns = f"{TAG}{name}"
        self.pairs = []
        sh("ip", "netns", "add", self.ns)
        self.up = True
        self._sysctl(self.ns)
        for i in range(pairs):
            a, b = f"{TAG}a{i}", f"{TAG}b{i}"
            # both ends in the one namespace: nothing touches the host's
            sh("ip", "link", "add", a, "netns", self.ns, "mtu", "9000", "type", "veth",
               "peer", "name", b, "netns", self.ns, "mtu", "9000")
            for d in (a, b):
                self.run("ip", "link", "set", d, "up")
            self.pairs.append((a, b))
        self.run("ip", "link", "set", "lo", "up")

    def _sysctl(self, ns):
        for k in ("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"):
            sh("ip", "netns", "exec", ns, "sysctl", "-q", "-w", k, check=False)

    def run(self, *args, check=True):
        return sh("ip", "netns", "exec", self.ns, *args, check=check)

    def popen(self, args, **kw):
        return subprocess.Popen(["ip", "netns", "exec", self.ns] + list(args), **kw)

    def replay(self, dev, pcap, extra=()):
        """tcpreplay into dev (the A side); returns packets it sent."""
        p = self.run("tcpreplay", "-q", "-i", dev, *(extra or ["--topspeed"]), pcap, check=False)
        out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
        sent = 0
        for line in out.splitlines():
            if line.strip().startswith("Actual:") and "packets" in line:
                sent = int(line.split()[1])
        return sent, out

    def close(self):
        if self.up:
            sh("ip", "netns", "del", self.ns, check=False)
            self.up = False


class Sensor:
    """davy capturing inside a namespace, records to a file."""

    def __init__(self, net, args, tmp):
        self.out = os.path.join(tmp, f"live-{time.monotonic_ns()}.json")
        self.errf = open(self.out + ".err", "w+")
        self.p = net.popen([DAVY, "--no-progress", "-o", self.out] + list(args),
                           stdout=subprocess.DEVNULL, stderr=self.errf)
        self.wait_text("capturing on", 20)

    def err(self):
        self.errf.flush()
        with open(self.out + ".err") as f:
            return f.read()

    def wait_text(self, text, secs):
        end = time.time() + secs
        while time.time() < end:
            if text in self.err():
                return True
            if self.p.poll() is not None:
                return False
            time.sleep(0.05)
        return False

    def records(self):
        try:
            with open(self.out) as f:
                raw = f.read()
        except FileNotFoundError:
            return []
        # the last line may be half written while davy runs
        return [json.loads(x) for x in raw.splitlines() if x.strip() and x.endswith("}")]

    def stats_now(self, want_pkts, secs=15):
        """SIGUSR1 until a stats record shows at least want_pkts packets."""
        end = time.time() + secs
        while time.time() < end:
            self.p.send_signal(signal.SIGUSR1)
            time.sleep(0.3)
            st = [r for r in self.records() if r.get("event_type") == "stats"]
            if st and st[-1]["stats"]["decoder"]["pkts"] >= want_pkts:
                return st[-1]["stats"]
        return None

    def stop(self, sig=signal.SIGTERM, secs=60):
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(timeout=secs)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            rc = None
        return rc, self.records(), self.err()


def flow_key(r):
    return (r["src_ip"], r.get("src_port"), r["dest_ip"], r.get("dest_port"), r["proto"])


def flow_facts(r):
    f = r["flow"]
    return flow_key(r) + (f["pkts_toserver"], f["pkts_toclient"], f["bytes_toserver"],
                          f["bytes_toclient"], r.get("app_proto"))


def untimed(v):
    """v without its times (a replay into a veth gets new packet times)."""
    if isinstance(v, dict):
        return {k: untimed(x) for k, x in v.items()
                if not (isinstance(x, str) and len(x) > 19 and x[4] == "-" and x[10] == "T")}
    if isinstance(v, list):
        return [untimed(x) for x in v]
    return v


def alert_facts(r):
    ev = untimed({k: r[k] for k in ("stratum", "ioc", "tls", "dns", "http", "k8s") if k in r})
    return flow_key(r) + (r["alert"]["signature_id"], json.dumps(ev, sort_keys=True))


def offline(pcap, args):
    rc, recs, err = run_davy(DAVY, ["-r", pcap] + list(args))
    return recs


SAME = [("demo.pcap", []), ("campaign_pool.pcap", []), ("ioc_c2.pcap", []),
        ("stratum_vxlan.pcap", []), ("dns_linkage.pcap", []),
        ("pods_miner.pcap", ["--pods", os.path.join(PCAPS, "pods_miner.json")])]


def part_same(tmp):
    net = Net("s")
    try:
        a, b = net.pairs[0]
        for name, extra in SAME:
            pcap = os.path.join(PCAPS, name)
            want = offline(pcap, ["--workers", "2"] + extra)
            nwant = stats_of(want)["decoder"]["pkts"]
            s = Sensor(net, ["-i", b, "--user", "root", "--workers", "2"] + extra, tmp)
            sent, out = net.replay(a, pcap)
            t.check(sent == nwant, f"same {name}: tcpreplay sent every packet", out[-300:])
            mid = s.stats_now(nwant)
            t.check(mid is not None, f"same {name}: SIGUSR1 gives a stats record that counts the packets",
                    s.err()[-500:])
            rc, recs, err = s.stop()
            t.check(rc == 0, f"same {name}: davy exits 0 on SIGTERM", f"rc={rc} {err[-500:]}")
            st = stats_of(recs)
            t.check(st.get("decoder", {}).get("pkts") == nwant,
                    f"same {name}: captured every packet", f"{st.get('capture')}")
            got_f = sorted(map(flow_facts, flow_records(recs)))
            want_f = sorted(map(flow_facts, flow_records(want)))
            t.check(got_f == want_f, f"same {name}: the same flows as offline replay",
                    f"live only {sorted(set(got_f) - set(want_f))[:3]}, offline only "
                    f"{sorted(set(want_f) - set(got_f))[:3]}")
            got_a = sorted(map(alert_facts, alert_records(recs)))
            want_a = sorted(map(alert_facts, alert_records(want)))
            t.check(got_a == want_a, f"same {name}: the same alerts as offline replay",
                    f"live {got_a[:3]}, offline {want_a[:3]}")
            t.check(all(r.get("in_iface") == b for r in flow_records(recs) + alert_records(recs)),
                    f"same {name}: records name the interface (in_iface)")
            ifs = st.get("capture", {}).get("interfaces", [])
            t.check(len(ifs) == 1 and ifs[0]["name"] == b and ifs[0]["pkts"] == nwant,
                    f"same {name}: stats.capture.interfaces counts the interface", f"{ifs}")
            check_schema(t, f"same {name}", recs)
    finally:
        net.close()


def multi_flow_pcap(path, nflows=4000, per_flow=6):
    """A capture of many short TCP flows (Ethernet), written with the stdlib."""
    import struct
    from davytest import _csum as csum, pcap_record
    out = [struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)]
    ts = 1700000000.0
    for i in range(nflows):
        src = bytes([10, (i >> 16) & 255, (i >> 8) & 255, i & 255])
        dst = bytes([192, 0, 2, 1 + i % 200])
        for k in range(per_flow):
            fwd = k % 2 == 0
            payload = b"GET /x HTTP/1.1\r\n\r\n" if k == 2 else b"y" * 40
            s_, d_ = (src, dst) if fwd else (dst, src)
            sp, dp = (20000 + i % 40000, 80) if fwd else (80, 20000 + i % 40000)
            tcp = struct.pack("!HHIIBBHHH", sp, dp, k, 0, 5 << 4, 0x18, 65535, 0, 0) + payload
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0, 64, 6, 0, s_, d_)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
            out.append(pcap_record(ts, eth + ip + tcp))
            ts += 0.0001
    with open(path, "wb") as f:
        f.write(b"".join(out))
    return nflows * per_flow


def part_sigterm(tmp):
    try:
        from redistest import RedisServer
    except ImportError as e:
        t.skip("sigterm", f"tests/lib/redistest.py: {e}")
        return
    if not shutil.which("redis-server"):
        t.skip("sigterm: SIGTERM during traffic loses no record", "redis-server is not installed")
        return
    pcap = os.path.join(tmp, "many.pcap")
    npk = multi_flow_pcap(pcap, nflows=20000)
    net = Net("t")
    try:
        a, b = net.pairs[0]
        # a Unix socket: davy's namespace has its own loopback
        with RedisServer(unixsocket=True) as rs:
            s = Sensor(net, ["-i", b, "--user", "root", "--workers", "2", "--redis", rs.unix_url(),
                             "--shutdown-timeout", "20"], tmp)
            rp = net.popen(["tcpreplay", "-q", "-i", a, "--pps", "40000", pcap],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(1.5)
            playing = rp.poll() is None
            rc, recs, err = s.stop()
            rp.wait(timeout=60)
            t.check(playing, "sigterm: SIGTERM came while tcpreplay was still playing")
            t.check(rc == 0, "sigterm: davy exits 0", f"rc={rc} {err[-600:]}")
            st = stats_of(recs)
            fl = st.get("flow", {})
            ended = fl.get("timeout", 0) + fl.get("shutdown", 0) + fl.get("evicted", 0)
            t.check(fl.get("created", 0) > 1000 and ended == fl.get("created"),
                    "sigterm: every flow davy created ended (timeout, shutdown or evicted)", f"{fl}")
            t.check(len(flow_records(recs)) == fl.get("created"),
                    "sigterm: a flow record in the file for every flow created",
                    f"{len(flow_records(recs))} records, {fl.get('created')} created")
            t.check(st.get("drops", {}).get("output") == 0, "sigterm: no record dropped on the way out",
                    f"{st.get('drops')}")
            with rs.client() as r:
                xl = r.cmd("XLEN", "davy:flow")
            t.check(xl == fl.get("created"), "sigterm: Redis holds a flow record for every flow created",
                    f"XLEN davy:flow = {xl}, created {fl.get('created')}")
            t.check("SIGTERM: stopped capture" in err, "sigterm: davy says it stopped on SIGTERM", err[-300:])
    finally:
        net.close()


def part_burst(tmp):
    pcap = os.path.join(tmp, "burst.pcap")
    # every packet a new flow: the worker's dearest work (a flow, nDPI)
    npk = multi_flow_pcap(pcap, nflows=60000, per_flow=1)
    net = Net("b")
    try:
        a, b = net.pairs[0]
        s = Sensor(net, ["-i", b, "--user", "root", "--workers", "1", "--ring-size", "1M",
                         "--buffer-size", "1M", "--ndpi-packets", "255"], tmp)
        t0 = time.time()
        sent, out = net.replay(a, pcap, ["--topspeed", "--loop", "8"])
        rc, recs, err = s.stop(secs=60)
        t.check(rc == 0, "burst: davy exits 0 after the burst (no hang)", f"rc={rc} {err[-400:]}")
        st = stats_of(recs)
        ifs = (st.get("capture", {}).get("interfaces") or [{}])[0]
        drops = ifs.get("ring_drops", 0) + ifs.get("kernel_drops", 0) + ifs.get("interface_drops", 0)
        t.check(drops > 0, "burst: a burst faster than the worker gives counted drops",
                f"sent {sent} in {time.time() - t0:.1f} s; interface {ifs}")
        dec = st.get("decoder", {})
        t.check(dec.get("dispatched", -1) + ifs.get("ring_drops", 0) == dec.get("pkts"),
                "burst: every decoded packet was dispatched or counted as a ring drop", f"{dec.get('pkts')} {ifs}")
        t.check(st.get("drops", {}).get("ring") == ifs.get("ring_drops") and
                st.get("drops", {}).get("kernel") == ifs.get("kernel_drops"),
                "burst: stats.drops adds up the interfaces' drops", f"{st.get('drops')}")
        print(f"live: burst: sent {sent}, captured {dec.get('pkts')}, ring drops {ifs.get('ring_drops')}, "
              f"kernel drops {ifs.get('kernel_drops')}", flush=True)
    finally:
        net.close()


def part_two(tmp):
    net = Net("w", pairs=2)
    try:
        (a0, b0), (a1, b1) = net.pairs
        p0 = os.path.join(PCAPS, "demo.pcap")
        p1 = os.path.join(PCAPS, "campaign_pool.pcap")
        w0, w1 = offline(p0, []), offline(p1, [])
        s = Sensor(net, ["-i", b0, "-i", b1, "--user", "root", "--workers", "2"], tmp)
        net.replay(a0, p0)
        net.replay(a1, p1)
        s.stats_now(stats_of(w0)["decoder"]["pkts"] + stats_of(w1)["decoder"]["pkts"])
        rc, recs, err = s.stop()
        t.check(rc == 0, "two: davy exits 0", err[-300:])
        by = {b0: [], b1: []}
        for r in flow_records(recs):
            by.setdefault(r.get("in_iface"), []).append(flow_facts(r))
        t.check(sorted(by[b0]) == sorted(map(flow_facts, flow_records(w0))) and
                sorted(by[b1]) == sorted(map(flow_facts, flow_records(w1))),
                "two: each interface's flows are those of the capture played into it",
                f"{len(by[b0])} / {len(by[b1])} flows")
        ifs = {i["name"]: i for i in stats_of(recs).get("capture", {}).get("interfaces", [])}
        t.check(ifs.get(b0, {}).get("pkts") == stats_of(w0)["decoder"]["pkts"] and
                ifs.get(b1, {}).get("pkts") == stats_of(w1)["decoder"]["pkts"],
                "two: packets counted per interface", f"{ifs}")

        # the same capture on both: a flow per interface, one alert per connection
        s = Sensor(net, ["-i", b0, "-i", b1, "--user", "root", "--workers", "2"], tmp)
        net.replay(a0, p1)
        net.replay(a1, p1)
        s.stats_now(2 * stats_of(w1)["decoder"]["pkts"])
        rc, recs, err = s.stop()
        want_f = sorted(map(flow_facts, flow_records(w1)))
        got0 = sorted(flow_facts(r) for r in flow_records(recs) if r.get("in_iface") == b0)
        got1 = sorted(flow_facts(r) for r in flow_records(recs) if r.get("in_iface") == b1)
        t.check(got0 == want_f and got1 == want_f,
                "two: a connection seen on both interfaces has a flow record for each",
                f"{len(got0)} + {len(got1)} vs {len(want_f)}")
        want_a = sorted(a[:-1] for a in map(alert_facts, alert_records(w1)))
        got_a = sorted(a[:-1] for a in map(alert_facts, alert_records(recs)))
        t.check(len(want_a) > 0 and got_a == want_a,
                "two: ... and one alert per connection and signature, not one per interface",
                f"{len(got_a)} alerts, offline {len(want_a)}")
        dup = stats_of(recs).get("alerts", {}).get("duplicates")
        t.check(dup == len(want_a), "two: the suppressed copies are counted (stats.alerts.duplicates)",
                f"duplicates {dup}, alerts {len(want_a)}")
    finally:
        net.close()


FETCH = ("import sys, urllib.request, urllib.error\n"
         "try:\n"
         "    r = urllib.request.urlopen(sys.argv[1], timeout=10)\n"
         "    print(r.status); print(r.headers.get('Content-Type')); sys.stdout.write(r.read().decode())\n"
         "except urllib.error.HTTPError as e:\n"
         "    print(e.code); print(''); sys.stdout.write(e.read().decode())\n")


def fetch(net, url):
    p = net.run(sys.executable, "-c", FETCH, url, check=False)
    lines = p.stdout.decode(errors="replace").split("\n", 2)
    return (int(lines[0]) if lines[0].isdigit() else None), lines[1] if len(lines) > 1 else "", \
        lines[2] if len(lines) > 2 else ""


def prom_samples(text):
    """{(name, frozenset(labels)): value} of a Prometheus text exposition;
    raises ValueError on a line that is not one."""
    import re
    out, typed = {}, set()
    for line in text.splitlines():
        if line.startswith("# TYPE "):
            typed.add(line.split()[2])
            continue
        if not line or line.startswith("#"):
            continue
        m = re.fullmatch(r'([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)', line)
        if not m or m.group(1) not in typed:
            raise ValueError(f"not a sample of a typed family: {line!r}")
        labels = frozenset(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"', m.group(2) or ""))
        out[(m.group(1), labels)] = float(m.group(3))
    return out


def part_metrics(tmp):
    net = Net("m", pairs=2)
    try:
        (a0, b0), (a1, b1) = net.pairs
        p0 = os.path.join(PCAPS, "demo.pcap")
        w0 = offline(p0, [])
        s = Sensor(net, ["-i", b0, "-i", b1, "--user", "root", "--workers", "2",
                         "--metrics", "127.0.0.1:9477"], tmp)
        net.replay(a0, p0)
        n0 = stats_of(w0)["decoder"]["pkts"]
        s.stats_now(n0)
        time.sleep(1.2)  # the threads publish once a second
        code, ctype, body = fetch(net, "http://127.0.0.1:9477/metrics")
        t.check(code == 200 and ctype.startswith("text/plain; version=0.0.4"),
                "metrics: /metrics answers in Prometheus text format", f"{code} {ctype}")
        try:
            m = prom_samples(body)
            t.check(True, "metrics: every line is a sample of a typed family")
        except ValueError as e:
            m = {}
            t.check(False, "metrics: every line is a sample of a typed family", str(e))
        def val(name, **lb):
            return m.get((name, frozenset(lb.items())))
        t.check(val("davy_packets_total", interface=b0) == n0 and val("davy_packets_total", interface=b1) == 0,
                "metrics: packets per interface", f"{val('davy_packets_total', interface=b0)}")
        for reason in ("kernel", "interface", "ring"):
            t.check(val("davy_packet_drops_total", interface=b0, reason=reason) == 0,
                    f"metrics: {reason} drops per interface")
        want_al = {str(k): v for k, v in stats_of(w0)["alerts"]["by_signature"].items()}
        got_al = {dict(k[1])["signature_id"]: v for k, v in m.items() if k[0] == "davy_alerts_total"}
        t.check(got_al == {k: float(v) for k, v in want_al.items()},
                "metrics: alerts by signature as the offline stats record", f"{got_al}")
        t.check(val("davy_flows_active", worker="0") is not None and val("davy_flows_active", worker="1") is not None,
                "metrics: active flows per worker")
        t.check(val("davy_worker_queue_bytes", worker="1", interface=b1) is not None,
                "metrics: queue depth per worker and interface")
        t.check(val("davy_decode_errors_total", layer="tcp", kind="malformed") == 0,
                "metrics: decode errors by layer")
        t.check(val("davy_defrag_memory_bytes", interface=b0) is not None and
                val("davy_reassembly_memory_bytes", worker="0") is not None,
                "metrics: fragment and reassembly memory")
        code, _, body = fetch(net, "http://127.0.0.1:9477/healthz")
        t.check(code == 200, "metrics: /healthz is 200 while capturing", f"{code} {body}")
        code, _, _ = fetch(net, "http://127.0.0.1:9477/nope")
        t.check(code == 404, "metrics: another path is 404")
        rc, recs, err = s.stop()
        t.check(rc == 0, "metrics: davy exits 0", err[-300:])
        # a port taken is a start-up error
        blocker = net.popen([sys.executable, "-c", "import socket,time; s=socket.socket(); "
                             "s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); "
                             "s.bind(('127.0.0.1', 9478)); s.listen(); time.sleep(30)"])
        time.sleep(0.5)
        p = net.run(DAVY, "-i", b0, "--user", "root", "-o", "/dev/null", "--metrics", "127.0.0.1:9478",
                    check=False)
        blocker.kill()
        e = p.stderr.decode(errors="replace")
        t.check(p.returncode == 2 and "--metrics" in e and "9478" in e,
                "metrics: a port in use is a start-up error naming it", e[-300:])
    finally:
        net.close()


def part_auto(tmp):
    net = Net("u")
    try:
        a, b = net.pairs[0]
        net.run("ip", "link", "add", "cni0", "type", "bridge")
        net.run("ip", "link", "set", "cni0", "up")
        net.run("ip", "addr", "add", "192.0.2.2/24", "dev", b)
        net.run("ip", "route", "add", "default", "via", "192.0.2.1", "dev", b)
        s = Sensor(net, ["-i", "auto", "--user", "root", "--workers", "1"], tmp)
        rc, recs, err = s.stop()
        t.check("-i auto: cni0 (the CNI bridge)" in err, "auto: picks the CNI bridge and says so", err[-400:])
        t.check(f"-i auto: {b} (the default route's interface)" in err,
                "auto: picks the default route's interface and says so", err[-400:])
        names = [i["name"] for i in stats_of(recs).get("capture", {}).get("interfaces", [])]
        t.check(names == ["cni0", b], "auto: captures on both", f"{names}")
        net.run("ip", "route", "del", "default")
        net.run("ip", "link", "del", "cni0")
        p = net.run(DAVY, "-i", "auto", "-o", "/dev/null", check=False)
        e = p.stderr.decode(errors="replace")
        t.check(p.returncode == 2 and "no interface to capture" in e,
                "auto: nothing to pick is a start-up error that says what to do", e[-300:])
    finally:
        net.close()


def proc_status(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.split()
    return out


def part_privileges(tmp):
    net = Net("p")
    try:
        a, b = net.pairs[0]
        # a LeakSanitizer build cannot inspect a process that gave up its
        # privileges (it becomes non-dumpable): leaks are checked elsewhere
        env = dict(os.environ, ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")
        out = os.path.join(tmp, "privs.json")
        errp = os.path.join(tmp, "privs.err")
        with open(errp, "w") as ef:
            p = net.popen([DAVY, "-i", b, "-o", out, "--workers", "1"], stdout=subprocess.DEVNULL,
                          stderr=ef, env=env)
            end = time.time() + 20
            while time.time() < end and "capturing on" not in open(errp).read():
                time.sleep(0.05)
            st = proc_status(p.pid)
            net.replay(a, os.path.join(PCAPS, "demo.pcap"))
            time.sleep(0.5)
            p.send_signal(signal.SIGTERM)
            rc = p.wait(timeout=60)
        err = open(errp).read()
        t.check(st.get("Uid", [None])[:3] == ["65534"] * 3 and st.get("Gid", [None])[:3] == ["65534"] * 3,
                "privileges: started as root, davy runs as nobody once it captures",
                f"Uid {st.get('Uid')} Gid {st.get('Gid')}")
        caps = {k: int(st.get(k, ["1"])[0], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
        t.check(all(v == 0 for v in caps.values()), "privileges: ... with no capability at all", f"{caps}")
        t.check(st.get("NoNewPrivs") == ["1"], "privileges: ... and no_new_privs set", f"{st.get('NoNewPrivs')}")
        t.check("running as nobody" in err, "privileges: davy says who it runs as", err[-300:])
        recs = [json.loads(x) for x in open(out).read().splitlines() if x.strip()]
        t.check(rc == 0 and len(flow_records(recs)) > 0,
                "privileges: ... and still captures and writes its records", f"rc={rc} {err[-300:]}")
    finally:
        net.close()


def part_errors(tmp):
    net = Net("e")
    try:
        p = net.run(DAVY, "-i", "nosuch0", "-o", "/dev/null", check=False)
        e = p.stderr.decode(errors="replace")
        t.check(p.returncode == 2 and "nosuch0" in e and "no such interface" in e.lower(),
                "errors: an interface that does not exist is named at start-up", e[-300:])
        p = net.run(DAVY, "-i", net.pairs[0][1], "-o", "/dev/null", "tcp port", check=False)
        e = p.stderr.decode(errors="replace")
        t.check(p.returncode == 2 and "bad BPF filter" in e, "errors: a bad filter is refused at start-up", e[-300:])
        if os.geteuid() == 0 and shutil.which("setpriv"):
            p = net.run("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                        "--inh-caps=-all", DAVY, "-i", net.pairs[0][1], "-o", "/dev/null", check=False)
            e = p.stderr.decode(errors="replace")
            t.check(p.returncode == 2 and "CAP_NET_RAW" in e,
                    "errors: capturing without the capability says which one is needed", e[-300:])
        else:
            t.skip("errors: capturing without the capability", "needs root and setpriv")
    finally:
        net.close()


def main():
    if os.geteuid() != 0:
        t.skip("live capture", "needs root: network namespaces and capture")
        return t.finish()
    if not shutil.which("tcpreplay"):
        t.skip("live capture", "tcpreplay is not installed (make deps)")
        return t.finish()
    try:
        Net("probe").close()
    except Exception as e:
        t.skip("live capture", f"cannot create a network namespace here: {e}")
        return t.finish()
    sys.path.insert(0, os.path.join(ROOT, "tests", "lib"))
    with tempfile.TemporaryDirectory(prefix="davy-live-") as tmp:
        os.chmod(tmp, 0o755)
        t.run_parts([("same", lambda: part_same(tmp)), ("sigterm", lambda: part_sigterm(tmp)),
                     ("burst", lambda: part_burst(tmp)), ("two", lambda: part_two(tmp)),
                     ("metrics", lambda: part_metrics(tmp)),
                     ("auto", lambda: part_auto(tmp)), ("privileges", lambda: part_privileges(tmp)),
                     ("errors", lambda: part_errors(tmp))])
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
