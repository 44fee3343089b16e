#!/usr/bin/python3
"""live_bench - live capture rate: davy -i against tcpdump -w /dev/null.

Makes a network namespace with a veth pair (MTU 9000, IPv6 off), plays a
capture into one end with tcpreplay at several rates (packets/s) and at top
speed, and captures the other end, in turn, with
    davy -i B --workers W --user root -q -o FILE        (the stats record)
    tcpdump -i B -w /dev/null -B KiB                    (its drop count)
both with the same kernel buffer (64 MiB). For each rate it reports what
tcpreplay sent, what each captured and dropped (kernel, and davy's ring
drops), and the highest rate each kept up with without a drop.
Needs root and tcpreplay/tcpdump; prints a Markdown section on stdout.
Usage: live_bench.py DAVY CAPTURE WORKERS RATE[,RATE...]
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

NS = f"dvbench{os.getpid() % 10000}"
A, B = "dvba", "dvbb"


def sh(*a, check=True):
    p = subprocess.run(list(a), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    if check and p.returncode:
        raise RuntimeError(f"{' '.join(a)}: {p.stderr.decode(errors='replace')}")
    return p


def nsx(*a, check=True):
    return sh("ip", "netns", "exec", NS, *a, check=check)


def setup():
    sh("ip", "netns", "add", NS)
    for k in ("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"):
        nsx("sysctl", "-q", "-w", k, check=False)
    sh("ip", "link", "add", A, "netns", NS, "mtu", "9000", "type", "veth", "peer", "name", B,
       "netns", NS, "mtu", "9000")
    for d in (A, B, "lo"):
        nsx("ip", "link", "set", d, "up")


def replay(pcap, rate):
    args = ["tcpreplay", "-q", "--preload-pcap", "-i", A] + (["--topspeed"] if rate == "top" else ["--pps", str(rate)]) + [pcap]
    p = nsx(*args, check=False)
    out = p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")
    m = re.search(r"Actual: (\d+) packets .* in ([0-9.]+) seconds", out)
    return (int(m.group(1)), float(m.group(2))) if m else (0, 0.0)


def wait_text(path, text, secs=20):
    end = time.time() + secs
    while time.time() < end:
        if text in open(path, errors="replace").read():
            return True
        time.sleep(0.05)
    return False


def run_davy(davy, workers, pcap, rate, tmp):
    out, err = os.path.join(tmp, "davy.json"), os.path.join(tmp, "davy.err")
    with open(err, "w") as ef:
        p = subprocess.Popen(["ip", "netns", "exec", NS, davy, "-i", B, "--workers", str(workers),
                              "--user", "root", "--no-progress", "-o", out], stdout=subprocess.DEVNULL,
                             stderr=ef)
        wait_text(err, "capturing on")
        sent, secs = replay(pcap, rate)
        time.sleep(1.0)
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=120)
    st = {}
    with open(out) as f:
        for line in f:
            if '"event_type":"stats"' in line:
                st = json.loads(line)["stats"]
    i = st["capture"]["interfaces"][0]
    return sent, secs, i["pkts"], i["kernel_drops"] + i["interface_drops"], i["ring_drops"]


def run_tcpdump(pcap, rate, tmp):
    err = os.path.join(tmp, "tcpdump.err")
    with open(err, "w") as ef:
        p = subprocess.Popen(["ip", "netns", "exec", NS, "tcpdump", "-i", B, "-n", "-B", "65536",
                              "-w", "/dev/null"], stdout=subprocess.DEVNULL, stderr=ef)
        wait_text(err, "listening on")
        sent, secs = replay(pcap, rate)
        time.sleep(1.0)
        p.send_signal(signal.SIGINT)
        p.wait(timeout=120)
    text = open(err).read()
    cap = re.search(r"(\d+) packets captured", text)
    drop = re.search(r"(\d+) packets dropped by kernel", text)
    return sent, secs, int(cap.group(1)) if cap else 0, int(drop.group(1)) if drop else 0, 0


def main():
    davy, pcap, workers, rates = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4].split(",")
    rates = [r if r == "top" else int(r) for r in rates]
    setup()
    rows = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for rate in rates:
                for tool in ("davy", "tcpdump"):
                    r = run_davy(davy, workers, pcap, rate, tmp) if tool == "davy" else run_tcpdump(pcap, rate, tmp)
                    rows.append((rate, tool) + r)
                    print(f"live_bench: {tool} at {rate}: sent {r[0]} in {r[1]:.2f} s, captured {r[2]}, "
                          f"kernel drops {r[3]}, ring drops {r[4]}", file=sys.stderr, flush=True)
    finally:
        sh("ip", "netns", "del", NS, check=False)
    best = {}
    for rate, tool, sent, secs, cap, kd, rd in rows:
        if sent and cap >= sent and kd == 0 and rd == 0:
            pps = sent / secs if secs else 0
            best[tool] = max(best.get(tool, 0), pps)
    print("## Live capture (issue 8)\n")
    print(f"tcpreplay plays `{os.path.basename(pcap)}` into one end of a veth pair (MTU 9000, in a namespace), "
          f"at each rate below and at top speed; the other end is captured by `davy -i B --workers {workers}` "
          "(records to a file) and, in turn, by `tcpdump -i B -w /dev/null -B 65536`, both with a 64 MiB kernel "
          "buffer. On this 2-core machine tcpreplay, the capture and the workers share the cores.\n")
    print("| rate asked (packets/s) | program | sent | in (s) | sent packets/s | captured | kernel drops | davy ring drops |")
    print("|---|---|---|---|---|---|---|---|")
    for rate, tool, sent, secs, cap, kd, rd in rows:
        print(f"| {rate} | {tool} | {sent} | {secs:.2f} | {sent / secs if secs else 0:,.0f} | {cap} | {kd} | {rd} |")
    print()
    for tool in ("davy", "tcpdump"):
        b = best.get(tool)
        top = [r for r in rows if r[0] == "top" and r[1] == tool]
        kept_up_at_top = top and top[0][2] and top[0][4] >= top[0][2] and top[0][5] == 0 and top[0][6] == 0
        print(f"- {tool}: " + (f"highest rate captured without a drop: **{b:,.0f} packets/s**" if b
                                else "dropped at every rate tried")
              + (" (no drop even at tcpreplay's top speed: this is the sender's limit on this machine, "
                 "not the capture's)" if kept_up_at_top else ""))
    print()


if __name__ == "__main__":
    main()
