#!/usr/bin/python3
"""cli_test - davy's command line: options, messages, exit statuses, inputs.

Each check runs the real binary on captures from pcaps/. Usage: cli_test.py DAVY
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import (PCAP_HEADER_RAW, ROOT, Tally, canonical, flow_records,  # noqa: E402
                      pcap_record, run_davy, udp4)

P = lambda name: os.path.join(ROOT, "pcaps", name)  # noqa: E731


def raw(davy, args, stdin=None):
    p = subprocess.run([davy] + args, stdin=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def main():
    davy = os.path.abspath(sys.argv[1])
    t = Tally("cli")

    # --help documents every long option the parser accepts
    rc, out, err = raw(davy, ["--help"])
    t.check(rc == 0 and "usage: davy" in out, "--help exits 0 with usage", err)
    src = open(os.path.join(ROOT, "sensor", "cli.c")).read()
    longopts = re.findall(r'\{ "([a-z-]+)", (?:required|no)_argument', src)
    t.check(len(longopts) >= 10, "cli.c long options found", str(longopts))
    for o in longopts:
        t.check(f"--{o}" in out, f"--help documents --{o}")
    rc, out, err = raw(davy, ["--version"])
    t.check(rc == 0 and out.startswith("davy ") and "nDPI" in out and "libpcap" in out,
            "--version names davy, libpcap and nDPI", out)

    # bad options: exit 2, one line naming the option
    for args, needle in ((["--bogus", "-r", P("eth_tcp_http.pcap")], "--bogus"),
                         (["-Z"], "-Z"),
                         (["--workers", "0", "-r", P("eth_tcp_http.pcap")], "--workers"),
                         (["--workers", "many", "-r", P("eth_tcp_http.pcap")], "--workers"),
                         (["--max-flows", "-5", "-r", P("eth_tcp_http.pcap")], "--max-flows"),
                         (["--timeout", "tcp.sleepy=5", "-r", P("eth_tcp_http.pcap")], "--timeout"),
                         (["--timeout", "tcp.new=x", "-r", P("eth_tcp_http.pcap")], "--timeout"),
                         (["--ring-size", "12Q", "-r", P("eth_tcp_http.pcap")], "--ring-size"),
                         (["-r"], "-r"),
                         ([], "-r FILE"),
                         (["-r", "-", "-r", "-"], "standard input")):
        rc, out, err = raw(davy, args)
        t.check(rc == 2 and needle in err and out == "" and err.count("\n") == 1,
                f"bad option {args}: exit 2, one line naming {needle}", f"rc={rc} err={err!r}")

    # unreadable inputs: exit 2 before anything is written, naming the file
    missing = os.path.join(ROOT, "pcaps", "no-such-file.pcap")
    for args, needle in ((["-r", missing], missing),
                         (["-r", P("not_a_capture.pcap")], "not_a_capture.pcap"),
                         (["-r", P("eth_tcp_http.pcap"), "-r", missing], missing),
                         (["-r", P("eth_tcp_http.pcap"), "tcp", "port", "(("], "bad BPF filter")):
        rc, out, err = raw(davy, args)
        t.check(rc == 2 and needle in err and out == "", f"unreadable input {args[-1]}: exit 2",
                f"rc={rc} out={out[:200]!r} err={err!r}")
    rc, out, err = raw(davy, ["-r", P("eth_tcp_http.pcap"), "-o", "/nonexistent-dir/x.json"])
    t.check(rc == 2 and "/nonexistent-dir/x.json" in err, "unwritable output: exit 2", err)

    # the default output is stdout, and the summary line goes to stderr
    rc, out, err = raw(davy, ["-r", P("eth_tcp_http.pcap"), "--sensor-name", "s1"])
    lines = out.splitlines()
    t.check(rc == 0 and len(lines) == 3 and '"event_type":"stats"' in lines[-1],
            "stdout carries 2 flow records and 1 stats record", out)
    t.check(re.search(r"^davy: 12 packets, 2 flows, 0 decode errors, [0-9.]+ s, [0-9]+ packets/s$",
                      err, re.M) is not None, "summary line on stderr", err)
    rc, out2, err = raw(davy, ["-r", P("eth_tcp_http.pcap"), "--sensor-name", "s1", "-o", "-"])
    t.check(out2 == out, "-o - is stdout")

    # sensor name: option, then $NODE_NAME, then the host name
    env = dict(os.environ, NODE_NAME="node-7")
    p = subprocess.run([davy, "-q", "-r", P("eth_tcp_http.pcap")], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    t.check('"sensor":{"name":"node-7"}' in p.stdout.decode(), "$NODE_NAME names the sensor")
    env.pop("NODE_NAME")
    p = subprocess.run([davy, "-q", "-r", P("eth_tcp_http.pcap")], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    host = os.uname().nodename
    t.check(f'"sensor":{{"name":"{host}"}}' in p.stdout.decode(), "host name names the sensor")

    # -r - reads standard input, and gives what -r FILE gives
    rc1, r1, _ = run_davy(davy, ["-r", P("eth_udp_dns.pcap"), "--sensor-name", "x"])
    with open(P("eth_udp_dns.pcap"), "rb") as f:
        rc2, r2, err = run_davy(davy, ["-r", "-", "--sensor-name", "x"], stdin=f)
    t.check(rc1 == rc2 == 0 and canonical(flow_records(r1)) == canonical(flow_records(r2))
            and len(flow_records(r1)) == 4, "-r - equals -r FILE", err)
    with open(P("eth_tcp_http.pcapng"), "rb") as f:
        rc, r3, err = run_davy(davy, ["-r", "-"], stdin=f)
    t.check(rc == 0 and len(flow_records(r3)) == 2, "-r - reads pcapng too", err)

    # several files are one timeline: flows of all, one stats record
    rc, recs, err = run_davy(davy, ["-r", P("eth_tcp_http.pcap"), "-r", P("eth_udp_dns.pcap"),
                                    "-r", P("sll.pcap")])
    stats = [r for r in recs if r["event_type"] == "stats"]
    t.check(rc == 0 and len(flow_records(recs)) == 2 + 4 + 2 and len(stats) == 1
            and stats[0]["stats"]["capture"]["files"] == 3, "three files, one timeline",
            f"rc={rc} flows={len(flow_records(recs))} err={err}")
    # the same file twice: its flows meet again within the timeout
    rc, recs, err = run_davy(davy, ["-r", P("eth_udp_dns.pcap"), "-r", P("eth_udp_dns.pcap")])
    fl = flow_records(recs)
    t.check(rc == 0 and len(fl) == 4 and all(r["flow"]["pkts_toserver"] == 2 for r in fl),
            "a file replayed twice continues its flows", str([r["flow"] for r in fl]))
    # a damaged file among good ones: exit 1, the good files' records written
    rc, recs, err = run_davy(davy, ["-r", P("eth_tcp_http.pcap"), "-r", P("truncated_file.pcap"),
                                    "-r", P("eth_udp_dns.pcap")])
    t.check(rc == 1 and "truncated_file.pcap" in err and len(flow_records(recs)) >= 2 + 4,
            "damaged file in the middle: exit 1, other files read", f"rc={rc} err={err}")

    # BPF filter expression from the trailing arguments
    rc, recs, err = run_davy(davy, ["-r", P("eth_udp_dns.pcap"), "udp", "and", "port", "53"])
    fl = flow_records(recs)
    t.check(rc == 0 and len(fl) == 2 and all(r["proto"] == "UDP" for r in fl),
            "BPF 'udp and port 53' keeps the two DNS flows", str([r["proto"] for r in fl]))
    rc, recs, err = run_davy(davy, ["-r", P("eth_udp_dns.pcap"), "icmp or icmp6"])
    t.check(rc == 0 and sorted(r["proto"] for r in flow_records(recs)) == ["ICMP", "IPv6-ICMP"],
            "BPF as one quoted argument", err)

    # --max-flows: least recently used flows are evicted, and counted; nothing is lost
    rc, recs, err = run_davy(davy, ["-r", P("bigflows.pcap"), "--max-flows", "10", "--workers", "1"])
    fl = flow_records(recs)
    st = recs[-1]["stats"]["flow"]
    ev = [r for r in fl if r["flow"]["reason"] == "evicted"]
    t.check(rc == 0 and len(fl) == 50 and len(ev) == 40 and st["evicted"] == 40
            and st["peak_active"] == 10, "--max-flows 10 over 50 flows: 40 evicted",
            f"flows={len(fl)} evicted={len(ev)} stats={st}")
    t.check(sum(r["flow"]["pkts_toserver"] + r["flow"]["pkts_toclient"] for r in fl) == 100,
            "eviction loses no packet")

    # --timeout changes the idle timeout of one class
    rc, recs, err = run_davy(davy, ["-r", P("timeouts.pcap")])
    base = len(flow_records(recs))
    rc, recs, err = run_davy(davy, ["-r", P("timeouts.pcap"), "--timeout", "udp.new=200"])
    t.check(rc == 0 and len(flow_records(recs)) == base - 1,
            "--timeout udp.new=200 merges the flows split by 100 s of silence",
            f"{base} vs {len(flow_records(recs))}")

    # --ndpi-packets bounds what nDPI sees
    rc, recs, err = run_davy(davy, ["-r", P("eth_tcp_http.pcap"), "--ndpi-packets", "1"])
    calls = recs[-1]["stats"]["ndpi"]["calls"]
    t.check(rc == 0 and calls <= 2, "--ndpi-packets 1: at most one nDPI call per flow", str(calls))

    # the progress line: forced on, it shows percent and packets/s on stderr
    rc, out, err = raw(davy, ["--progress", "-r", P("eth_tcp_http.pcap"), "-o", "/dev/null"])
    t.check(rc == 0 and "\033[K" in err, "--progress draws and clears its line", repr(err))
    rc, out, err = raw(davy, ["-r", P("eth_tcp_http.pcap"), "-o", "/dev/null"])
    t.check("%" not in err, "no progress line when stderr is not a terminal", repr(err))

    # overlays: carriers are not flows, unless asked for
    rc, recs, err = run_davy(davy, ["-r", P("vxlan.pcap")])
    plain = flow_records(recs)
    inner = [r for r in plain if r.get("tunnel")]
    t.check(rc == 0 and inner and recs[-1]["stats"]["decoder"]["carriers"] == 0,
            "vxlan.pcap: inner flows, no carrier", err)
    rc, recs, err = run_davy(davy, ["-r", P("vxlan.pcap"), "--report-tunnel-carriers"])
    fl = flow_records(recs)
    carriers = [r for r in fl if not r.get("tunnel") and r.get("dest_port") in (4789, 8472)
                and r not in plain]
    st = recs[-1]["stats"]["decoder"]
    t.check(rc == 0 and carriers and st["carriers"] == st["tunnelled"]
            and len(fl) == len(plain) + len(carriers)
            and all(r["tunnel"] for r in fl if r in inner),
            "--report-tunnel-carriers adds the VXLAN carrier flows, nothing else changes",
            f"carriers={len(carriers)} stats={st}")
    outer = {(r["src_ip"], r["dest_ip"]) for r in carriers}
    want = {(t_["src_ip"], t_["dest_ip"]) for r in inner for t_ in r["tunnel"]}
    t.check(outer and outer <= want | {(b, a) for a, b in want},
            "carrier flows are between the tunnel endpoints", f"{outer} vs {want}")
    # the overlay ports are options
    rc, recs, err = run_davy(davy, ["-r", P("vxlan.pcap"), "--vxlan-ports", ""])
    t.check(rc == 0 and not any(r.get("tunnel") for r in flow_records(recs)),
            "--vxlan-ports '' turns VXLAN decoding off", err)
    rc, recs, err = run_davy(davy, ["-r", P("nested.pcap"), "--tunnel-depth", "1"])
    t.check(rc == 0 and recs[-1]["stats"]["decoder"]["too_many_layers"] >= 2,
            "--tunnel-depth 1 counts deeper packets as too_many_layers",
            str(recs[-1]["stats"]["decoder"]["too_many_layers"]))

    # regression (found by fuzz_pcap): the carrier of a reassembled inner
    # datagram once reached past the frame into uninitialised memory, which
    # only valgrind sees (the read stayed inside the reassembly buffer)
    repro = os.path.join(ROOT, "tests", "fuzz", "corpus", "fuzz_pcap",
                         "regress_vxlan_padded_inner_frags_carrier.pcap")
    if shutil.which("valgrind") and "asan" not in davy:
        p = subprocess.run(["valgrind", "-q", "--error-exitcode=9", davy, "-q", "--workers", "1",
                            "--report-tunnel-carriers", "-o", "/dev/null", "-r", repro],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
        t.check(p.returncode == 0, "carrier of a reassembled datagram: valgrind-clean",
                p.stderr.decode()[-2000:])
    else:
        t.skip("valgrind regression", "valgrind absent, or this davy is built with ASan")

    # -q silences the summary; records still written
    rc, out, err = raw(davy, ["-q", "-r", P("eth_tcp_http.pcap")])
    t.check(rc == 0 and err == "" and len(out.splitlines()) == 3, "-q: no summary", err)

    # unsupported link type: counted, named, not fatal
    with tempfile.NamedTemporaryFile(suffix=".pcap", delete=False) as f:
        import struct
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 105))  # 802.11
        f.write(struct.pack("<IIII", 1704067200, 0, 4, 4) + b"\x08\x00\x00\x00")
        name = f.name
    try:
        rc, recs, err = run_davy(davy, ["-r", name])
        t.check(rc == 0 and "not supported" in err and name in err
                and recs[-1]["stats"]["decoder"]["unknown_linktype"] == 1,
                "an unsupported link type is named and counted", err)
    finally:
        os.unlink(name)

    # indicators: the shipped feeds by default; --iocs replaces them; --no-iocs
    def iocs_of(recs):
        return sorted((r["alert"]["signature_id"], r["ioc"]["indicator"], r["ioc"]["matched"])
                      for r in recs if r.get("event_type") == "alert" and "ioc" in r)
    rc, _, err = raw(davy, ["-r", P("demo.pcap"), "-o", "/dev/null"])
    t.check(rc == 0 and re.search(r"^davy: \d+ indicators from \d+ feed files \(0 bad lines skipped\)$",
                                  err, re.M) is not None, "the shipped feeds load by default", err)
    rc, recs, err = run_davy(davy, ["-r", P("demo.pcap")])
    # demo.pcap: the pod looks up pool.supportxmr.com, connects to the answer
    # and logs in with XMRig (its capture description)
    t.check(iocs_of(recs) == [(4960101, "supportxmr.com", "dns.rrname"),
                              (4960102, "supportxmr.com", "dns_linked"),
                              (4960103, "XMRig", "stratum.agent")],
            "demo.pcap: pool lookup, pool connection by DNS-linked name, miner agent",
            str(iocs_of(recs)))
    rc, recs, err = run_davy(davy, ["--no-iocs", "-r", P("demo.pcap")])
    t.check(rc == 0 and iocs_of(recs) == [] and recs[-1]["stats"]["iocs"]["indicators"] == 0,
            "--no-iocs: no indicator alert", str(iocs_of(recs)))
    with tempfile.TemporaryDirectory() as d:
        feed = os.path.join(d, "c2-test.txt")
        with open(feed, "w") as f:
            f.write("# test feed\n203.0.113.77\tthe test\n"
                    "not an indicator at all\n10.244.1.0/24\t-\tlab\n")
        rc, recs, err = run_davy(davy, ["--iocs", feed, "-r", P("demo.pcap")])
        t.check(rc == 0 and f"{feed}:3:" in err, "a bad feed line is named by file:line, not fatal",
                err)
        got = iocs_of(recs)
        t.check((4960105, "203.0.113.77", "dest_ip") in got
                and not any(s in (4960101, 4960103) for s, _, _ in got),
                "--iocs replaces the shipped feeds; a c2-named feed's address alerts as C2", str(got))
        t.check(any(s == 4960109 and i == "10.244.1.0/24" for s, i, _ in got),
                "an indicator of another category alerts as such", str(got))
        missing = os.path.join(d, "absent")
        rc, out, err = raw(davy, ["--iocs", missing, "-r", P("demo.pcap")])
        t.check(rc == 2 and missing in err and out == "", "an unreadable feed path: exit 2, named",
                err)
        rate_limit(davy, t, d)
        dns_answer(davy, t, d)
    return t.finish()


def dns_answer(davy, t, d):
    """A lookup whose CNAME chain leads to a listed pool alerts on the DNS
    flow itself (ioc.matched dns.answer); a chain to a look-alike does not."""
    from scapy.all import DNS, DNSQR, DNSRR, IP, UDP, wrpcap  # noqa: E402
    pkts = []
    for i, (q, cname) in enumerate([("cdn.innocent.example", "gulf.moneroocean.stream"),
                                    ("other.innocent.example", "notmoneroocean.stream")]):
        ans = DNSRR(rrname=q, type="CNAME", rdata=cname, ttl=300) / \
            DNSRR(rrname=cname, type="A", rdata=f"203.0.113.{60 + i}", ttl=300)
        qry = IP(src="10.244.9.9", dst="10.96.0.10") / UDP(sport=41000 + i, dport=53) / \
            DNS(id=7 + i, rd=1, qd=DNSQR(qname=q))
        rsp = IP(src="10.96.0.10", dst="10.244.9.9") / UDP(sport=53, dport=41000 + i) / \
            DNS(id=7 + i, qr=1, rd=1, ra=1, qd=DNSQR(qname=q), an=ans)
        qry.time, rsp.time = 1_700_000_000 + i, 1_700_000_000.01 + i
        pkts += [qry, rsp]
    cap = os.path.join(d, "cname.pcap")
    wrpcap(cap, pkts)
    rc, recs, err = run_davy(davy, ["-r", cap])
    al = [(r["src_port"], r["alert"]["signature_id"], r.get("ioc", {}).get("indicator"),
           r.get("ioc", {}).get("matched"), r["direction"]) for r in recs if r.get("event_type") == "alert"]
    t.check(rc == 0 and al == [(41000, 4960101, "moneroocean.stream", "dns.answer", "to_client")],
            "a CNAME chain to a pool alerts on the lookup (dns.answer); the look-alike chain does not",
            str(al))

    # the same over TCP: a response in one segment is read (dns.answer); one
    # split across two segments is not (no reassembly for DNS, as linkage)
    from scapy.all import TCP, raw  # noqa: E402
    pkts = []
    for i, split in enumerate([False, True]):
        q = "cdn%d.innocent.example" % i
        cname = "gulf.moneroocean.stream"
        ans = DNSRR(rrname=q, type="CNAME", rdata=cname, ttl=300) / \
            DNSRR(rrname=cname, type="A", rdata="203.0.113.7%d" % i, ttl=300)
        qmsg = raw(DNS(id=9 + i, rd=1, qd=DNSQR(qname=q)))
        rmsg = raw(DNS(id=9 + i, qr=1, rd=1, ra=1, qd=DNSQR(qname=q), an=ans))
        qb = len(qmsg).to_bytes(2, "big") + qmsg
        rb = len(rmsg).to_bytes(2, "big") + rmsg
        c, s_, sp = "10.244.9.8", "10.96.0.10", 42000 + i
        t0 = 1_700_000_100 + i
        seq = [(c, s_, sp, 53, "S", 100, 0, b""), (s_, c, 53, sp, "SA", 500, 101, b""),
               (c, s_, sp, 53, "A", 101, 501, b""), (c, s_, sp, 53, "PA", 101, 501, qb)]
        if split:
            seq += [(s_, c, 53, sp, "PA", 501, 101 + len(qb), rb[:20]),
                    (s_, c, 53, sp, "PA", 521, 101 + len(qb), rb[20:])]
        else:
            seq += [(s_, c, 53, sp, "PA", 501, 101 + len(qb), rb)]
        for k, (src, dst, a, b, fl, sq, ak, pl) in enumerate(seq):
            pk = IP(src=src, dst=dst) / TCP(sport=a, dport=b, flags=fl, seq=sq, ack=ak) / pl
            pk.time = t0 + k * 0.001
            pkts.append(pk)
    cap = os.path.join(d, "cname_tcp.pcap")
    wrpcap(cap, pkts)
    rc, recs, err = run_davy(davy, ["-r", cap])
    al = [(r["src_port"], r["alert"]["signature_id"], r.get("ioc", {}).get("indicator"),
           r.get("ioc", {}).get("matched"), r["direction"]) for r in recs if r.get("event_type") == "alert"]
    t.check(rc == 0 and al == [(42000, 4960101, "moneroocean.stream", "dns.answer", "to_client")],
            "DNS over TCP: a response in one segment alerts on the lookup (dns.answer); one split "
            "across segments is not read", str(al))


def rate_limit(davy, t, d):
    """--alert-rate-limit: per source, per window of packet time, the same
    counts for any worker count (include/alert_limit.h)."""
    feed = os.path.join(d, "c2.txt")
    with open(feed, "w") as f:
        f.write("192.0.2.99\t-\tc2\n")
    # (source, window start offset, flows): one alert each (a new flow to the C2 address)
    plan = [("10.0.0.1", 0, 25), ("10.0.0.2", 0, 3), ("10.0.0.3", 0, 12), ("10.0.0.1", 60, 4)]
    t0 = 1_699_999_980.0  # a multiple of 60 s: windows start at t0 and t0 + 60
    pkts = []
    for src, off, n in plan:
        for i in range(n):
            pkts.append((t0 + off + 1 + i * 0.5, src, 30000 + off * 100 + i))
    pkts.sort()
    cap = os.path.join(d, "rate.pcap")
    with open(cap, "wb") as f:
        f.write(PCAP_HEADER_RAW)
        for ts, src, sport in pkts:
            f.write(pcap_record(ts, udp4(src, "192.0.2.99", sport, 4444)))

    def per_source_window(recs):
        c = {}
        for r in recs:
            if r.get("event_type") == "alert":
                k = (r["src_ip"], 60 if r["src_port"] >= 36000 else 0)
                c[k] = c.get(k, 0) + 1
        return c

    want = {("10.0.0.1", 0): 10, ("10.0.0.2", 0): 3, ("10.0.0.3", 0): 10, ("10.0.0.1", 60): 4}
    for nw in (1, 2, 4):
        rc, recs, err = run_davy(davy, ["--iocs", feed, "--alert-rate-limit", "10/60",
                                        "--workers", str(nw), "-r", cap])
        got = per_source_window(recs)
        al = recs[-1]["stats"]["alerts"] if recs else {}
        t.check(rc == 0 and got == want,
                f"--alert-rate-limit 10/60, {nw} workers: min(due, 10) alerts per source and window",
                f"{got} stats {al}")
        t.check(al.get("rate_limited") == 17 and al.get("rate_limited_by_signature", {}).get("4960105") == 17
                and al.get("total") == 27 and al.get("rate_limit") == 10 and al.get("rate_window") == 60,
                f"{nw} workers: stats.alerts counts 27 written, 17 rate-limited", str(al))
        t.check(sum(1 for r in flow_records(recs) if r["flow"]["alerted"]) == 44,
                f"{nw} workers: a rate-limited alert still marks its flow alerted")
        if nw == 1:
            first = sorted(r["src_port"] for r in recs if r.get("event_type") == "alert"
                           and r["src_ip"] == "10.0.0.1" and r["src_port"] < 36000)
            t.check(first == list(range(30000, 30010)),
                    "1 worker: the first 10 of the window in packet order are the ones written",
                    str(first))
    rc, recs, err = run_davy(davy, ["--iocs", feed, "--alert-rate-limit", "0", "-r", cap])
    t.check(rc == 0 and sum(1 for r in recs if r.get("event_type") == "alert") == 44
            and recs[-1]["stats"]["alerts"]["rate_limited"] == 0,
            "--alert-rate-limit 0: no limit, all 44 alerts")
    rc, recs, err = run_davy(davy, ["--iocs", feed, "-r", cap])
    t.check(rc == 0 and sum(1 for r in recs if r.get("event_type") == "alert") == 44,
            "default limit (100/60) does not cut 25 alerts a minute")
    for bad in ("5/0", "x", "/60", "5/x", "-1"):
        rc, out, err = raw(davy, ["--alert-rate-limit", bad, "-r", P("demo.pcap")])
        t.check(rc == 2 and "--alert-rate-limit" in err and out == "",
                f"--alert-rate-limit {bad!r}: exit 2 with a message", err)


if __name__ == "__main__":
    sys.exit(main())
