"""davytest - shared helpers for davy's Python test suites (stdlib + jsonschema).

Every suite counts checks with a Tally and ends with the line
'<suite>: N passed, N failed' (and ', N skipped'), which tests/run_all.sh adds up.
"""
import ipaddress
import json
import os
import struct
import subprocess
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class Tally:
    def __init__(self, suite):
        self.suite = suite
        self.passed = self.failed = self.skipped = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {self.suite}: {what}" + (f"\n     {detail}" if detail else ""), flush=True)
        return ok

    def skip(self, what, why):
        self.skipped += 1
        print(f"SKIP {self.suite}: {what}: {why}", flush=True)

    def run_parts(self, parts):
        """Runs (name, function) parts in order: an exception in one is one
        failure naming it (with its traceback), not the end of the suite;
        prints each part's time."""
        import time
        import traceback
        for name, fn in parts:
            t0 = time.time()
            try:
                fn()
            except Exception as e:
                traceback.print_exc()
                self.check(False, f"{name}: raised {type(e).__name__}: {e}")
            print(f"{self.suite}: {name} took {time.time() - t0:.1f} s", flush=True)

    def finish(self):
        line = f"{self.suite}: {self.passed} passed, {self.failed} failed"
        if self.skipped:
            line += f", {self.skipped} skipped"
        print(line, flush=True)
        return 1 if self.failed else 0


def run_davy(davy, args, stdin=None, timeout=300):
    """Runs davy with records to a temporary file; returns (rc, records, stderr)."""
    with tempfile.NamedTemporaryFile(prefix="davy-test-", suffix=".json", delete=False) as out:
        path = out.name
    try:
        p = subprocess.run([davy, "-q", "--no-progress", "-o", path] + list(args),
                           stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=timeout)
        with open(path, "rb") as f:
            raw = f.read()
    finally:
        os.unlink(path)
    records = [json.loads(line) for line in raw.decode("utf-8").splitlines() if line.strip()]
    return p.returncode, records, p.stderr.decode("utf-8", "replace")


def norm_ip(s):
    return str(ipaddress.ip_address(s))


def schema_validator():
    """A validator for docs/record.schema.json, or None when jsonschema is absent."""
    try:
        import jsonschema
    except ImportError:
        return None
    with open(os.path.join(ROOT, "docs", "record.schema.json")) as f:
        schema = json.load(f)
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def schema_errors(validator, record):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(record)]


def check_schema(tally, what, records, hint=None):
    """One check: every record matches docs/record.schema.json (a skip,
    saying why, without python3-jsonschema). hint(errors) may add a
    sentence to the failure."""
    v = schema_validator()
    if v is None:
        tally.skip(f"{what}: records match docs/record.schema.json", "python3-jsonschema is missing")
        return
    errs = [(r.get("event_type"), e) for r in records for e in schema_errors(v, r)]
    tally.check(not errs, f"{what}: every record matches docs/record.schema.json",
                ((hint(errs) or "") if hint and errs else "") + str(errs[:3]))


def stats_of(records):
    """The stats object of the last stats record ({} when none)."""
    st = [r for r in records if r.get("event_type") == "stats"]
    return st[-1].get("stats", {}) if st else {}


def flow_records(records):
    """The flow records that end a flow (periodic "update" records excluded)."""
    return [r for r in records if r.get("event_type") == "flow"
            and r.get("flow", {}).get("reason") != "update"]


def update_records(records):
    """The periodic flow records of flows still open (flow.reason "update")."""
    return [r for r in records if r.get("event_type") == "flow"
            and r.get("flow", {}).get("reason") == "update"]


def alert_records(records):
    return [r for r in records if r.get("event_type") == "alert"]


def canonical(records):
    """Records as sorted canonical JSON lines, for order-insensitive comparison."""
    return sorted(json.dumps(r, sort_keys=True) for r in records)


# ---- hand-built captures, fast enough for tens of thousands of packets ----

def _csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack(f"!{len(b) // 2}H", b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def udp4(src, dst, sport, dport, payload=b"x" * 32):
    """An IPv4/UDP datagram (for LINKTYPE_RAW captures)."""
    ulen = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 1, 0, 64, 17, 0,
                      ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    hdr = hdr[:10] + struct.pack("!H", _csum(hdr)) + hdr[12:]
    return hdr + udp


def udp6(src, dst, sport, dport, payload=b"x" * 32):
    """An IPv6/UDP datagram (for LINKTYPE_RAW captures), UDP checksum set."""
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    ulen = 8 + len(payload)
    udp = struct.pack("!HHHH", sport, dport, ulen, 0) + payload
    c = _csum(s + d + struct.pack("!IxxxB", ulen, 17) + udp) or 0xffff
    udp = udp[:6] + struct.pack("!H", c) + udp[8:]
    return struct.pack("!IHBB", 6 << 28, ulen, 17, 64) + s + d + udp


def udp_any(src, dst, sport, dport, payload=b"x" * 32):
    """udp4 or udp6 by the addresses' family."""
    return (udp6 if ":" in src else udp4)(src, dst, sport, dport, payload)


# pcap file header, microsecond times, LINKTYPE_RAW (101)
PCAP_HEADER_RAW = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)


def pcap_record(ts, pkt):
    """One pcap record of pkt at epoch time ts (float seconds)."""
    usec = int(round((ts % 1) * 1e6))
    return struct.pack("<IIII", int(ts) + usec // 1000000, usec % 1000000, len(pkt), len(pkt)) + pkt


class LiveDavy:
    """davy reading a LINKTYPE_RAW capture from its stdin, packet by packet,
    records on stdout and messages on stderr read as they come: for what
    happens while davy runs (reloads, SIGHUP). Checks go to tally."""

    def __init__(self, tally, davy, args, timeout=60):
        self.T, self.timeout = tally, timeout
        self.p = subprocess.Popen([davy, "--no-progress", "-r", "-"] + list(args),
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.records, self.errlines = [], []
        self._out, self._err = b"", b""
        self.p.stdin.write(PCAP_HEADER_RAW)
        self.p.stdin.flush()
        self.t = 1_700_000_000.0
        self.sport = 40000

    def send(self, src, dst, dport=9999, sport=None):
        """One UDP packet src -> dst from a new source port (a new flow), or
        from sport (a packet of that flow); returns the port."""
        if sport is None:
            self.sport += 1
            sport = self.sport
        self.t += 0.001
        self.p.stdin.write(pcap_record(self.t, udp4(src, dst, sport, dport)))
        self.p.stdin.flush()
        return sport

    def _pump(self, timeout):
        """Reads what is there within timeout; returns whether any byte came."""
        import select
        r, _, _ = select.select([self.p.stdout, self.p.stderr], [], [], timeout)
        got = False
        for fp in r:
            chunk = os.read(fp.fileno(), 65536)
            got = got or bool(chunk)
            if fp is self.p.stdout:
                self._out += chunk
                *lines, self._out = self._out.split(b"\n")
                self.records += [json.loads(x) for x in lines if x.strip()]
            else:
                self._err += chunk
                *lines, self._err = self._err.split(b"\n")
                self.errlines += [x.decode("utf-8", "replace") for x in lines]
        return got

    def wait(self, what, pred):
        """Reads until pred() holds; a check that fails on timeout."""
        import time
        end = time.monotonic() + self.timeout
        while not pred():
            if time.monotonic() > end or (self.p.poll() is not None and not self._pump(0)):
                return self.T.check(False, f"{what}: not seen within {self.timeout} s",
                                    "stderr: " + " | ".join(self.errlines[-5:]))
            self._pump(0.2)
        return self.T.check(True, what)

    def wait_msg(self, what, text, after):
        return self.wait(what, lambda: any(text in m for m in self.errlines[after:]))

    def alert_for(self, sport):
        return [r for r in self.records if r.get("event_type") == "alert"
                and r.get("src_port") == sport]

    def finish(self):
        import time
        self.p.stdin.close()
        end = time.monotonic() + self.timeout
        while self.p.poll() is None and time.monotonic() < end:
            self._pump(0.2)
        if self.p.poll() is None:
            self.p.kill()
        while self._pump(0):
            pass
        self.records += [json.loads(x) for x in self._out.split(b"\n") if x.strip()]
        self.errlines += [x.decode("utf-8", "replace") for x in self._err.split(b"\n") if x]
        return self.p.wait()


# ---- MaxMind databases written at test time (tests/lib/mkmmdb.pl) ----

def perl_has(module):
    """(True, "") when perl can load module, else (False, why)."""
    try:
        p = subprocess.run(["perl", f"-M{module}", "-e", "1"], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
    except OSError as e:
        return False, f"perl: {e}"
    if p.returncode != 0:
        return False, f"perl module {module} is missing (Debian: libmaxmind-db-writer-perl)"
    return True, ""


def mkmmdb(kind, table, out):
    """Writes an MMDB file (city, country or asn layout) from a table of
    rows; returns (ok, stderr)."""
    p = subprocess.run(["perl", os.path.join(ROOT, "tests", "lib", "mkmmdb.pl"), kind, "-", out],
                       input=json.dumps(table).encode(), stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=120)
    ok = p.returncode == 0 and os.path.exists(out) and os.path.getsize(out) > 0
    return ok, f"rc={p.returncode} {p.stderr.decode()[-400:]}"
