"""davytest - shared helpers for davy's Python test suites (stdlib + jsonschema).

Every suite counts checks with a Tally and ends with the line
'<suite>: N passed, N failed' (and ', N skipped'), which tests/run_all.sh adds up.
"""
import ipaddress
import json
import os
import struct
import subprocess
import sys
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


# pcap file header, microsecond times, LINKTYPE_RAW (101)
PCAP_HEADER_RAW = struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 101)


def pcap_record(ts, pkt):
    """One pcap record of pkt at epoch time ts (float seconds)."""
    usec = int(round((ts % 1) * 1e6))
    return struct.pack("<IIII", int(ts) + usec // 1000000, usec % 1000000, len(pkt), len(pkt)) + pkt
