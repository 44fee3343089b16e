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
from davytest import ROOT, Tally, canonical, flow_records, run_davy  # noqa: E402

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
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
