#!/usr/bin/python3
"""config_test - the configuration file (davy -c davy.yaml) and --print-config.

Every setting from a file, precedence over the file, the start-up errors
(file:line and key), the --print-config round trip, deploy/davy.yaml, and a
capture replayed with settings from the file or from the command line.
Usage: config_test.py DAVY
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import ROOT, Tally, canonical, run_davy  # noqa: E402

P = lambda name: os.path.join(ROOT, "pcaps", name)  # noqa: E731

# one value per setting, different from its default, as written in a file
# and as --print-config writes it back (None: written as given)
SAMPLES = {
    "read": (["a.pcap", "b.pcap"], None),
    "interface": (["eth0", "cni0"], None),
    "no-promisc": ("true", None),
    "snaplen": ("1500", None),
    "buffer-size": ("8M", None),
    "output": ("out.json", None),
    "filter": ("tcp port 3333", None),
    "workers": ("3", None),
    "max-flows": ("5000", None),
    "timeout": (["tcp.established=1200", "udp.new=7"], None),
    "ndpi-packets": ("12", None),
    "ring-size": ("32M", None),
    "sensor-name": ("node-a", None),
    "vxlan-ports": ("4789,4790", None),
    "geneve-ports": ("", None),
    "gre-udp-ports": ("4755", None),
    "tunnel-depth": ("2", None),
    "defrag-datagrams": ("100", None),
    "defrag-timeout": ("30", None),
    "report-tunnel-carriers": ("true", None),
    "redis": ("redis://127.0.0.1:6390/2", None),
    "redis-prefix": ("dv", None),
    "redis-maxlen": ("10", None),
    "redis-queue": ("2097152", "2M"),
    "redis-queue-full": ("drop", None),
    "redis-timeout": ("9", None),
    "flow-update-interval": ("0", None),
    "stratum-flows": ("99", None),
    "reassembly-memory": ("128K", None),
    "alert-rate-limit": ("5/30", None),
    "alert-rate-sources": ("100", None),
    "iocs": (["iocs/c2.txt", "iocs/mining-pools.txt"], None),
    "no-iocs": ("true", None),
    "iocs-check-interval": ("0", None),
    "geoip": ("/nonexistent/city.mmdb", None),
    "asn": ("/nonexistent/asn.mmdb", None),
    "geo-check-interval": ("7", None),
    "alert-countries": (["kp", "IR"], ["IR", "KP"]),
    "pods": ("/nonexistent/pods.json", None),
    "pods-check-interval": ("0", None),
    "dns-cache-size": ("0", None),
    "dns-min-ttl": ("60", None),
    "shutdown-timeout": ("5", None),
    "stats-interval": ("60", None),
    "metrics": ("127.0.0.1:9477", None),
    "user": ("nobody", None),
    "group": ("nogroup", None),
    "progress": ("true", None),
    "no-progress": ("false", None),  # false: as if absent (progress stays on)
    "quiet": ("true", None),
}


def raw(davy, args, env=None, cwd=None):
    p = subprocess.run([davy] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=120, env=env, cwd=cwd)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def yq(s):
    """s as a YAML double-quoted scalar (the samples are plain ASCII)."""
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def to_yaml(settings):
    out = []
    for k, v in settings.items():
        if isinstance(v, list):
            out.append(f"{k}: [{', '.join(yq(x) for x in v)}]")
        elif v in ("true", "false"):
            out.append(f"{k}: {v}")
        else:
            out.append(f"{k}: {yq(v)}")
    return "\n".join(out) + "\n"


def parse_printed(text):
    """--print-config's output into {key: str or [str]} (its own simple
    layout: 'key: value', 'key: []', or 'key:' and '  - item' lines)."""
    d, key = {}, None
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if line.startswith("  - "):
            d[key].append(unq(line[4:]))
            continue
        key, _, v = line.partition(":")
        v = v.strip()
        d[key] = [] if v in ("", "[]") else unq(v)
    return d


def unq(v):
    if v.startswith('"') and v.endswith('"'):
        return v[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return v


def option_table():
    """(name, flags) of every entry of cli.c's davy_options."""
    src = open(os.path.join(ROOT, "sensor", "cli.c")).read()
    body = src[src.index("const struct davy_option davy_options[]"):]
    body = body[:body.index("{ NULL, 0, 0, 0 }")]
    rows = re.findall(r'\{ (?:\.name = )?"([a-z-]+)",[^}]*?(?:\.flags = )?([A-Z_|]+|0) \}', body)
    return rows


class Cfg:
    def __init__(self, tmp):
        self.tmp, self.n = tmp, 0

    def file(self, text, name=None):
        self.n += 1
        path = os.path.join(self.tmp, name or f"c{self.n}.yaml")
        with open(path, "w") as f:
            f.write(text)
        return path


def main():
    davy = os.path.abspath(sys.argv[1])
    t = Tally("config")
    tmp = tempfile.mkdtemp(prefix="davy-config-")
    C = Cfg(tmp)
    env = dict(os.environ)
    env.pop("DAVY_REDIS_URL", None)
    env["NODE_NAME"] = "env-node"

    def printed(args, what):
        rc, out, err = raw(davy, ["--print-config"] + args, env=env)
        t.check(rc == 0 and err == "", f"{what}: --print-config exits 0, silent", f"rc={rc} {err}")
        return parse_printed(out), out

    # ---- every setting of the option table can come from the file
    def every_setting():
        rows = option_table()
        t.check(len(rows) >= 40, "the option table is found in cli.c", str(rows))
        keys = [n for n, fl in rows if "DAVY_OPT_CLI" not in fl]
        t.check(sorted(keys) == sorted(SAMPLES), "a sample value for every file setting",
                f"missing {sorted(set(keys) - set(SAMPLES))}, extra {sorted(set(SAMPLES) - set(keys))}")
        d, out = printed(["-c", C.file(to_yaml({k: v for k, (v, _) in SAMPLES.items()}))],
                         "every setting")
        for k, (v, shown) in SAMPLES.items():
            want = shown if shown is not None else v
            if k == "no-progress":
                t.check(k not in d and d.get("progress") == "true",
                        "no-progress: false changes nothing", out)
                continue
            if k == "timeout":  # printed: all 12 group.state cells
                t.check(len(d.get(k, [])) == 12 and all(x in d[k] for x in v),
                        "setting timeout from the file", str(d.get(k)))
                continue
            t.check(d.get(k) == want, f"setting {k} from the file", f"want {want!r}, got {d.get(k)!r}")
        # and the same, printed, from the command line
        args = []
        for k, (v, shown) in SAMPLES.items():
            if k == "filter":
                continue
            for x in (v if isinstance(v, list) else [v]):
                if x == "true":
                    args.append(f"--{k}")
                elif x != "false":
                    args += [f"--{k}", x]
        rc, out2, err = raw(davy, ["--print-config"] + args + ["tcp", "port", "3333"], env=env)
        t.check(rc == 0 and out2 == out, "the file and the command line print the same settings",
                f"rc={rc} {err}")
        # short keys are the short options
        d, _ = printed(["-c", C.file("r: x.pcap\no: y.json\nq: true\n")], "short keys")
        t.check(d.get("read") == ["x.pcap"] and d.get("output") == "y.json" and d.get("quiet") == "true",
                "keys r, o, q are -r, -o, -q")
        d, _ = printed(["-c", C.file("read: one.pcap\niocs: iocs/c2.txt\ntimeout: udp.new=5\n")],
                       "one value for a list")
        t.check(d.get("read") == ["one.pcap"] and d.get("iocs") == ["iocs/c2.txt"] and
                "udp.new=5" in d.get("timeout", []), "a repeatable setting takes a single value too")

    # ---- precedence: defaults < environment < file < command line; lists replaced
    def precedence():
        f = C.file("workers: 3\nsensor-name: from-file\niocs: [a, b]\nread: [x.pcap, y.pcap]\n"
                   "timeout: [tcp.new=5, udp.new=7]\nalert-countries: [KP]\ngeoip: g.mmdb\n"
                   "filter: udp\nno-iocs: true\nredis: redis://file-host:6379/0\n")
        d, _ = printed(["-c", f], "file alone")
        t.check(d["workers"] == "3" and d["sensor-name"] == "from-file", "the file over the defaults and $NODE_NAME")
        e2 = dict(env, DAVY_REDIS_URL="redis://env-host:6379/0")
        rc, out, err = raw(davy, ["-c", f, "--print-config"], env=e2)
        t.check("file-host" in out and "env-host" not in out, "the file over $DAVY_REDIS_URL", out)
        d, _ = printed(["-c", f, "--workers", "5", "--sensor-name", "cli", "--iocs", "z",
                        "-r", "c.pcap", "--timeout", "udp.new=9", "--alert-countries", "IR",
                        "tcp", "port", "1"], "file and command line")
        t.check(d["workers"] == "5" and d["sensor-name"] == "cli", "the command line over the file")
        t.check(d["iocs"] == ["z"], "--iocs replaces the file's list", str(d["iocs"]))
        t.check(d["read"] == ["c.pcap"], "-r replaces the file's list", str(d["read"]))
        t.check("udp.new=9" in d["timeout"] and "tcp.new=60" in d["timeout"],
                "--timeout replaces the file's timeouts (tcp.new back to its default)", str(d["timeout"]))
        t.check(d["alert-countries"] == ["IR"], "--alert-countries replaces the file's", str(d["alert-countries"]))
        t.check(d["filter"] == "tcp port 1", "trailing arguments replace the file's filter", d["filter"])
        t.check(d.get("no-iocs") == "true" and d["geoip"] == "g.mmdb",
                "what the command line does not give stays from the file")
        d, _ = printed(["-c", f, "--iocs", "z1", "--iocs", "z2"], "two --iocs")
        t.check(d["iocs"] == ["z1", "z2"], "several --iocs on the command line add up", str(d["iocs"]))

    # ---- errors: exit 2, one line naming the file, the line and the key
    def errors():
        cases = [
            ("workers: 4\nwokers: 3\n", r":2: unknown key 'wokers'"),
            ("sensor-name: a\n\nworkers: 0\n", r":3: workers: '0' is not a number from 1 to 64"),
            ("max-flows: -5\n", r":1: max-flows: '-5' is not a number"),
            ("ring-size: 12Q\n", r":1: ring-size: '12Q' is not a number"),
            ("timeout:\n  - tcp.new=5\n  - tcp.sleepy=5\n", r":3: timeout: 'tcp.sleepy=5' is not GROUP.STATE=SECONDS"),
            ("vxlan-ports: 4789,x\n", r":1: vxlan-ports: 'x' is not a number from 1 to 65535"),
            ("redis: http://x\n", r":1: redis: Redis URL: scheme 'http' is not understood"),
            ("redis-queue-full: maybe\n", r":1: redis-queue-full: 'maybe' is neither 'wait' nor 'drop'"),
            ("alert-countries: [KP, XYZ]\n", r":1: alert-countries: 'XYZ': 'XYZ' is not a two-letter"),
            ("redis-prefix: 'a b'\n", r":1: redis-prefix: 'a b' must be 1 to 63 printable"),
            ("sensor-name: ''\n", r":1: sensor-name: must be 1 to 255 characters"),
            ("no-iocs: yes\n", r":1: no-iocs: 'yes' is neither true nor false"),
            ("workers:\n", r":1: workers: no value"),
            ("workers: ~\n", r":1: workers: no value"),
            ("workers: [1, 2]\n", r":1: workers: a list, but workers takes one value"),
            ("workers:\n  n: 1\n", r":2: workers: a mapping, but workers takes one value"),
            ("iocs:\n  - a\n  - [b]\n", r":3: iocs: a list inside the list"),
            ("iocs: {a: 1}\n", r":1: iocs: a mapping, but iocs takes a value or a list of values"),
            ("workers: 2\nmax-flows: 9\nworkers: 3\n", r":3: duplicate key 'workers' \(first on line 1\)"),
            ("r: a.pcap\nread: b.pcap\n", r":2: duplicate key 'read': 'r' on line 1 is the same setting"),
            ("workers: &w 2\n", r":1: YAML anchors and aliases"),
            ("base: &b 2\n", r":1: unknown key 'base'"),
            ("workers: 2\nmax-flows: *w\n", r":2: YAML anchors and aliases"),
            ("- workers\n", r":1: the top level must be a mapping"),
            ("just text\n", r":1: the top level must be a mapping"),
            ("workers: 2\n---\nworkers: 3\n", r":2: a second YAML document"),
            ("workers: \"2\n", r":2:1: not YAML: found unexpected end of stream"),
            ("iocs: [a, b\nworkers: 2\n", r":2:\d+: not YAML: did not find expected ',' or '\]'"),
            ("config: other.yaml\n", r":1: 'config' is not a setting: give --config on the command line"),
            ("print-config: true\n", r":1: 'print-config' is not a setting"),
            ("sensor-name: \"a\\nb\"\n", r":1: sensor-name: the value holds a control character"),
            ("? [a]\n: 1\n", r":1: a key must be an option name, not a list"),
        ]
        for text, pattern in cases:
            f = C.file(text)
            rc, out, err = raw(davy, ["-c", f, "-r", P("eth_tcp_http.pcap")], env=env)
            ok = (rc == 2 and out == "" and err.count("\n") == 1 and
                  re.search("^davy: " + re.escape(f) + pattern, err) is not None)
            t.check(ok, f"error {pattern!r}: exit 2, one line naming the file", f"rc={rc} err={err!r}")
        # the same message from the command line, with the option's name
        rc, _, err = raw(davy, ["--workers", "0", "--print-config"], env=env)
        t.check(rc == 2 and err == "davy: option --workers: '0' is not a number from 1 to 64\n",
                "the command line's message is unchanged", err)
        missing = os.path.join(tmp, "no-such.yaml")
        rc, out, err = raw(davy, ["-c", missing, "-r", P("eth_tcp_http.pcap")], env=env)
        t.check(rc == 2 and f"cannot open '{missing}'" in err and err.count("\n") == 1,
                "a missing file: exit 2, named", err)
        rc, out, err = raw(davy, ["-c", tmp, "-r", P("eth_tcp_http.pcap")], env=env)
        t.check(rc == 2 and f"cannot read '{tmp}'" in err, "a folder: exit 2, named", err)
        if os.geteuid() != 0:
            f = C.file("workers: 2\n")
            os.chmod(f, 0)
            rc, out, err = raw(davy, ["-c", f, "--print-config"], env=env)
            t.check(rc == 2 and "cannot open" in err and f in err, "an unreadable file: exit 2", err)
        else:
            t.skip("an unreadable file", "running as root: every file is readable")
        big = C.file("# padding\n" * 110000)
        rc, out, err = raw(davy, ["-c", big, "--print-config"], env=env)
        t.check(rc == 2 and "larger than 1048576 bytes" in err, "a file over 1 MiB: exit 2", err)
        with open(C.file(""), "wb") as fb:
            path = fb.name
            fb.write(b"workers: \xff\xfe\n")
        rc, out, err = raw(davy, ["-c", path, "--print-config"], env=env)
        t.check(rc == 2 and "not YAML" in err and path in err, "bytes that are not UTF-8: not YAML", err)
        rc, out, err = raw(davy, ["-c", C.file(""), "-c", C.file(""), "--print-config"], env=env)
        t.check(rc == 2 and "--config: given twice" in err, "-c twice: exit 2", err)
        # empty files and comments set nothing
        for text in ("", "# nothing\n", "---\n", "{}\n"):
            rc, out, err = raw(davy, ["-c", C.file(text), "--print-config"], env=env)
            rc2, out2, _ = raw(davy, ["--print-config"], env=env)
            t.check(rc == 0 and out == out2, f"file {text!r} sets nothing", err)

    # ---- --print-config: no capture needed; print, read back, print again
    def round_trip():
        rc, out, err = raw(davy, ["--print-config", "-r", "/nonexistent.pcap"], env=env)
        t.check(rc == 0 and "/nonexistent.pcap" in out, "--print-config reads no capture", err)
        rc, out, err = raw(davy, ["--print-config"], env=env)
        t.check(rc == 0 and out.startswith("# davy") and "sensor-name: \"env-node\"" in out,
                "--print-config needs no -r, shows $NODE_NAME", err)
        args = ["--workers", "2", "--sensor-name", 'we"ird \\ näme', "--iocs", "iocs/c2.txt",
                "--timeout", "udp.new=7", "--redis", "redis://127.0.0.1:6390/4", "--redis-queue", "3M",
                "--geoip", "/x/city.mmdb", "--alert-countries", "kp,ir", "--no-progress", "-q",
                "-r", "a b.pcap", "-r", "-", "--vxlan-ports", "", "tcp", "port", "3333"]
        rc, p1, err = raw(davy, ["--print-config"] + args, env=env)
        t.check(rc == 0, "round trip: first print", err)
        f = C.file(p1)
        rc, p2, err = raw(davy, ["-c", f, "--print-config"], env=env)
        t.check(rc == 0 and p2 == p1, "round trip: printed, read back, printed again: identical",
                f"{err}\n{p1}\n----\n{p2}")
        rc, p3, err = raw(davy, ["-c", f, "--print-config"], env=dict(env, NODE_NAME="other"))
        t.check(rc == 0 and p3 == p1, "round trip: the file's sensor-name over $NODE_NAME", err)
        # a password is never printed
        rc, out, err = raw(davy, ["--redis", "redis://user:s3cr3t-pw@h:6379/1", "--print-config"], env=env)
        t.check(rc == 0 and "s3cr3t" not in out and 'redis: "redis://user:***@h:6379/1"' in out,
                "the Redis password is printed as ***", out)
        rc, out, err = raw(davy, ["--print-config"], env=dict(env, DAVY_REDIS_URL="redis://:pw9@h:1/0"))
        t.check(rc == 0 and "pw9" not in out and "***" in out, "$DAVY_REDIS_URL's password too", out)

    # ---- deploy/davy.yaml, the shipped example
    def deploy_example():
        path = os.path.join(ROOT, "deploy", "davy.yaml")
        t.check(os.path.exists(path), "deploy/davy.yaml exists")
        d, out = printed(["-c", path], "deploy/davy.yaml")
        t.check(len(d) > 20 and "redis" in d and d.get("iocs"), "deploy/davy.yaml sets Redis and iocs", out)
        keys = set(re.findall(r"^#?\s*([a-z-]+):", open(path).read(), re.M))
        t.check(len(keys) >= 20, "deploy/davy.yaml shows most settings", str(sorted(keys)))

    # ---- a capture: settings from the file give the records of the command line
    def same_records():
        settings = ["--workers", "2", "--sensor-name", "cfg-node", "--iocs", os.path.join(ROOT, "iocs"),
                    "--timeout", "tcp.established=1200", "--alert-rate-limit", "50/60"]
        rc1, r1, e1 = run_davy(davy, ["-r", P("demo.pcap")] + settings)
        f = C.file(f"read: {yq(P('demo.pcap'))}\nworkers: 2\nsensor-name: cfg-node\n"
                   f"iocs: [{yq(os.path.join(ROOT, 'iocs'))}]\ntimeout: [tcp.established=1200]\n"
                   "alert-rate-limit: 50/60\n")
        rc2, r2, e2 = run_davy(davy, ["-c", f])
        strip = [{k: v for k, v in r.items() if k != "stats"} for r in r1]
        strip2 = [{k: v for k, v in r.items() if k != "stats"} for r in r2]
        t.check(rc1 == rc2 == 0 and len(r1) > 5 and canonical(strip) == canonical(strip2),
                "demo.pcap: the file's settings give the command line's records", f"{e1} {e2}")
        t.check(all(r.get("sensor", {}).get("name") == "cfg-node" for r in r2 if "sensor" in r) and
                any(r["event_type"] == "alert" for r in r2), "the records carry the file's sensor name, alerts")
        # the filter from the file
        rc1, r1, e1 = run_davy(davy, ["-r", P("eth_udp_dns.pcap"), "udp", "and", "port", "53"])
        rc2, r2, e2 = run_davy(davy, ["-c", C.file(f"r: {yq(P('eth_udp_dns.pcap'))}\n"
                                                   "filter: udp and port 53\n")])
        fl1 = [r for r in r1 if r["event_type"] == "flow"]
        fl2 = [r for r in r2 if r["event_type"] == "flow"]
        t.check(rc1 == rc2 == 0 and len(fl1) == 2 and canonical(fl1) == canonical(fl2),
                "filter: from the file filters as the trailing arguments do", f"{e1} {e2}")

    t.run_parts([("every setting", every_setting), ("precedence", precedence), ("errors", errors),
                 ("round trip", round_trip), ("deploy example", deploy_example),
                 ("same records", same_records)])
    subprocess.run(["rm", "-rf", tmp])
    return t.finish()


if __name__ == "__main__":
    sys.exit(main())
