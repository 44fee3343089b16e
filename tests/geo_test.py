#!/usr/bin/python3
"""geo_test - GeoIP/ASN enrichment (--geoip, --asn) of flow and alert records.

Builds, in a temporary folder, small MMDB files in the GeoLite2-City,
GeoLite2-Country and GeoLite2-ASN layouts from tables (tests/lib/mkmmdb.pl,
MaxMind::DB::Writer::Tree) and a LINKTYPE_RAW capture of one-packet UDP
flows, then checks against the record contract:
  - every flow and alert record has "geo": {"src": {...}, "dest": {...}},
    an endpoint's object only when the endpoint is public and a database
    knows it; inside, in this order and each only when known: country (ISO
    code), city, asn (integer), as_org. No "geo" when neither endpoint has
    anything. IPv4 and IPv6 alike;
  - private and reserved endpoints (RFC 1918, CGNAT, loopback, link-local,
    the documentation ranges, ULA, ...) get nothing even though the tables
    cover them on purpose (the "ZZ"/"TRAP" rows);
  - --geoip and --asn are independent: only the fields of the databases
    given; a GeoLite2-Country file is accepted by --geoip; without either,
    no "geo" and no stats.geo anywhere;
  - a database that cannot be opened (missing, truncated, random bytes,
    empty) is a start-up error: exit 2, naming the file, no records;
  - stats.geo counters (lookups, cache_hits, not_found, skipped, errors,
    cache_size) are consistent; the per-worker cache hits when one public
    destination is in 50 flows (--workers 1);
  - every record matches docs/record.schema.json.
Skips, saying why, when perl's MaxMind::DB::Writer::Tree is missing (Debian:
libmaxmind-db-writer-perl).

Usage: geo_test.py DAVY
"""
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from davytest import (PCAP_HEADER_RAW, LiveDavy, Tally, alert_records,  # noqa: E402
                      flow_records, mkmmdb as build_mmdb, norm_ip, pcap_record, perl_has,
                      run_davy, stats_of, udp_any)
from davytest import check_schema as check_schema_of  # noqa: E402

T = Tally("geo")
DAVY = None
ORDER = ("country", "city", "asn", "as_org")
T0 = 1700000000.0

# ---- the databases ----------------------------------------------------------

# Rows covering private and reserved ranges: a sensor that looks these up
# instead of skipping them shows "ZZ" / AS64496 "TRAP-RESERVED" in a record.
TRAP_NETS = ["10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
             "192.168.0.0/16", "192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24",
             "fc00::/7", "fe80::/10", "2001:db8::/32"]
# Names with non-ASCII and JSON-special characters, to see them written intact.
BR_CITY = "S\u00e3o Paulo"
BR_ORG = 'N\u00facleo "NIC.br" \\ test'

CITY_TABLE = [{"net": "8.8.8.0/24", "country": "US", "city": "Mountain View"},
              {"net": "1.1.1.0/24", "country": "AU"},
              {"net": "2001:4860::/32", "country": "US"},
              {"net": "200.160.0.0/20", "country": "BR", "city": BR_CITY}] + \
             [{"net": n, "country": "ZZ", "city": "Trap"} for n in TRAP_NETS]
ASN_TABLE = [{"net": "8.8.8.0/24", "asn": 15169, "org": "GOOGLE"},
             {"net": "1.1.1.0/24", "asn": 13335, "org": "CLOUDFLARENET"},
             {"net": "2001:4860::/32", "asn": 15169, "org": "GOOGLE"},
             {"net": "200.160.0.0/20", "asn": 22548, "org": BR_ORG}] + \
            [{"net": n, "asn": 64496, "org": "TRAP-RESERVED"} for n in TRAP_NETS]
COUNTRY_TABLE = [{k: v for k, v in r.items() if k != "city"} for r in CITY_TABLE]

# What the sensor must say of each address of the capture, worked out by hand
# (not from the tables): (City part, ASN part); both empty: nothing.
PUBLIC = {
    "8.8.8.8": ({"country": "US", "city": "Mountain View"}, {"asn": 15169, "as_org": "GOOGLE"}),
    "1.1.1.1": ({"country": "AU"}, {"asn": 13335, "as_org": "CLOUDFLARENET"}),
    "9.9.9.9": ({}, {}),
    "2001:4860:4860::8888": ({"country": "US"}, {"asn": 15169, "as_org": "GOOGLE"}),
    "200.160.0.8": ({"country": "BR", "city": BR_CITY}, {"asn": 22548, "as_org": BR_ORG}),
}
SRC4, SRC6 = "10.244.1.10", "fd00::10"
RESERVED4 = ["100.64.0.5", "127.0.0.1", "169.254.1.1", "192.168.1.1", "172.16.0.1",
             "192.0.2.1", "198.51.100.1", "203.0.113.1"]
RESERVED6 = ["fe80::1", "2001:db8::1"]
RESERVED = [SRC4, SRC6] + RESERVED4 + RESERVED6
IOCS = ["1.1.1.1", "192.0.2.1", "2001:4860:4860::8888"]  # alerts, via --iocs


def endpoint(ip, city, asn):
    """The object an endpoint must have (None: none), given which kinds of
    database are in use (city: "city", "country" or None; asn: bool)."""
    ip = norm_ip(ip)
    if ip not in PUBLIC:
        return None
    c, a = PUBLIC[ip]
    o = {}
    if city:
        o.update({k: v for k, v in c.items() if city == "city" or k == "country"})
    if asn:
        o.update(a)
    return o or None


def expected_geo(rec, city, asn):
    g = {}
    for side in ("src", "dest"):
        e = endpoint(rec["src_ip" if side == "src" else "dest_ip"], city, asn)
        if e is not None:
            g[side] = e
    return g or None


# ---- the capture --------------------------------------------------------------

def pairs():
    """The (src, dest) of each flow of the main capture."""
    p = [(SRC4, "8.8.8.8"), (SRC4, "1.1.1.1"), (SRC4, "9.9.9.9"), (SRC4, "200.160.0.8"),
         (SRC6, "2001:4860:4860::8888"),
         ("8.8.8.8", "1.1.1.1"),            # public to public: both get geo
         ("1.1.1.1", "9.9.9.9")]            # one known, one in no database
    for r in RESERVED4:
        p += [(SRC4, r), (r, "8.8.8.8")]
    for r in RESERVED6:
        p += [(SRC6, r), (r, "2001:4860:4860::8888")]
    return p


def write_capture(path, flows):
    with open(path, "wb") as f:
        f.write(PCAP_HEADER_RAW)
        for i, (src, dst) in enumerate(flows):
            pkt = udp_any(src, dst, 20000 + i, 9000)
            f.write(pcap_record(T0 + i * 0.01, pkt))


# ---- helpers ------------------------------------------------------------------


def key(rec):
    return (norm_ip(rec["src_ip"]), norm_ip(rec["dest_ip"]))


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def shape_errors(records):
    """Field order and types inside geo's endpoint objects."""
    bad = []
    for r in records:
        g = r.get("geo")
        if g is None:
            continue
        if not isinstance(g, dict) or not g or set(g) - {"src", "dest"}:
            bad.append((key(r), g))
            continue
        for side, o in g.items():
            if (not isinstance(o, dict) or not o or list(o) != [k for k in ORDER if k in o]
                    or any(not isinstance(o[k], str) or not o[k]
                           for k in ("country", "city", "as_org") if k in o)
                    or ("asn" in o and not (is_int(o["asn"]) and o["asn"] > 0))):
                bad.append((key(r), side, o))
    return bad


def check_records(what, records, city, asn, want_pairs):
    """Flow and alert records against expected_geo; one check per flow."""
    flows = flow_records(records)
    alerts = alert_records(records)
    got = {}
    for r in flows:
        got.setdefault(key(r), []).append(r)
    want = [(norm_ip(s), norm_ip(d)) for s, d in want_pairs]
    T.check(sorted(got) == sorted(want) and all(len(v) == 1 for v in got.values()),
            f"{what}: one flow record for each flow of the capture",
            f"missing {sorted(set(want) - set(got))[:5]}, extra {sorted(set(got) - set(want))[:5]}")
    for k in want:
        for r in got.get(k, []):
            exp = expected_geo(r, city, asn)
            T.check(r.get("geo") == exp, f"{what}: flow {k[0]} -> {k[1]}: geo "
                    + (json.dumps(exp, ensure_ascii=False) if exp else "absent"),
                    f"got {json.dumps(r.get('geo'), ensure_ascii=False)}")
    bad = [(key(r), r.get("geo")) for r in alerts if r.get("geo") != expected_geo(r, city, asn)]
    T.check(not bad, f"{what}: every alert record's geo is its endpoints' ({len(alerts)} alerts)",
            str(bad[:3]))
    bad = shape_errors(flows + alerts)
    T.check(not bad, f"{what}: inside geo, fields in the order {', '.join(ORDER)}; country, city "
            "and as_org non-empty strings, asn a positive integer; only src and dest", str(bad[:3]))
    others = [r for r in records if r.get("event_type") not in ("flow", "alert") and "geo" in r]
    T.check(not others, f"{what}: no geo on records other than flow and alert",
            str([r.get("event_type") for r in others][:3]))
    return flows, alerts


def check_schema(what, records):
    check_schema_of(T, what, records, lambda errs: "(every error names geo: the schema lacks geo / "
                    "stats.geo?) " if all("geo" in e for _, e in errs) else "")


def mkmmdb(kind, table, out):
    ok, err = build_mmdb(kind, table, out)
    T.check(ok, f"tooling: mkmmdb.pl writes the {kind} database", err)
    return ok


# ---- tests ----------------------------------------------------------------------

def test_tooling(dbs):
    """The test databases say what the suite expects, read back with an
    independent reader (MaxMind::DB::Reader, pure perl: a dependency of the
    writer), so that a failure below is the sensor's, not the tables'."""
    ok, why = perl_has("MaxMind::DB::Reader")
    if not ok:
        T.skip("tooling: the databases read back as written", why)
        return
    addrs = list(PUBLIC) + RESERVED + ["::ffff:8.8.8.8"]
    prog = r'''
use strict; use warnings; use JSON::PP; use MaxMind::DB::Reader;
my $r = MaxMind::DB::Reader->new(file => shift @ARGV);
my $m = $r->metadata;
my %o = (meta => {type => $m->database_type, ip_version => 0 + $m->ip_version,
                  record_size => 0 + $m->record_size});
$o{$_} = $r->record_for_address($_) for @ARGV;
print JSON::PP->new->canonical->utf8->encode(\%o);
'''
    for kind, layout, size in (("city", "GeoLite2-City", 28), ("asn", "GeoLite2-ASN", 24),
                               ("country", "GeoLite2-Country", 24)):
        p = subprocess.run(["perl", "-e", prog, dbs[kind]] + addrs, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=120)
        if not T.check(p.returncode == 0, f"tooling: {kind} database reads back",
                       p.stderr.decode()[-400:]):
            continue
        got = json.loads(p.stdout)
        T.check(got["meta"] == {"type": layout, "ip_version": 6, "record_size": size},
                f"tooling: {kind} database is {layout}, IPv6 tree, record size {size}",
                str(got["meta"]))
        bad = []
        for a in addrs:
            rec = got.get(a)
            if a in RESERVED:
                want = ({"country": {"iso_code": "ZZ"}} if kind != "asn" else
                        {"autonomous_system_number": 64496,
                         "autonomous_system_organization": "TRAP-RESERVED"})
                if kind == "city":
                    want["city"] = {"names": {"en": "Trap"}}
            else:
                c, n = PUBLIC[norm_ip(a)] if a in PUBLIC else PUBLIC["8.8.8.8"]
                want = {}
                if kind != "asn":
                    if "country" in c:
                        want["country"] = {"iso_code": c["country"]}
                    if "city" in c and kind == "city":
                        want["city"] = {"names": {"en": c["city"]}}
                elif n:
                    want = {"autonomous_system_number": n["asn"],
                            "autonomous_system_organization": n["as_org"]}
                want = want or None
            if rec != want:
                bad.append((a, rec, want))
        T.check(not bad, f"tooling: {kind} database holds the table (trap rows for reserved "
                "ranges included; IPv4 reachable as ::ffff:a.b.c.d too)", str(bad[:3]))


def test_full(tmp, dbs, cap, iocs):
    args = ["-r", cap, "--iocs", iocs]
    rc, recs, err = run_davy(DAVY, args + ["--geoip", dbs["city"], "--asn", dbs["asn"]])
    T.check(rc == 0, "full: --geoip CITY --asn ASN exits 0", err[-400:])
    flows, alerts = check_records("full", recs, "city", True, pairs())
    for ioc in IOCS:
        n = sum(1 for r in alerts if norm_ip(ioc) in key(r))
        T.check(n > 0, f"full: the capture alerts on {ioc} (geo on alerts is checked)", str(n))
    both = [r for r in flows if key(r) == ("8.8.8.8", "1.1.1.1")]
    T.check(bool(both) and set(both[0].get("geo", {})) == {"src", "dest"},
            "full: public to public 8.8.8.8 -> 1.1.1.1: both endpoints have geo",
            str(both[0].get("geo") if both else "no flow"))
    v6 = [r for r in flows if key(r) == (SRC6, "2001:4860:4860::8888")]
    T.check(bool(v6) and v6[0].get("geo") == {"dest": {"country": "US", "asn": 15169,
                                                       "as_org": "GOOGLE"}},
            "full: IPv6 fd00::10 -> 2001:4860:4860::8888: dest US, AS15169 GOOGLE, no src",
            str(v6[0].get("geo") if v6 else "no flow"))
    cf = [r for r in flows if key(r) == (SRC4, "1.1.1.1")]
    T.check(bool(cf) and "city" not in cf[0].get("geo", {}).get("dest", {"city": 1}),
            "full: 1.1.1.1 (country only in the City table): no city key",
            str(cf[0].get("geo") if cf else "no flow"))
    trap = [r for r in flows + alerts if "ZZ" in json.dumps(r.get("geo"))
            or "TRAP" in json.dumps(r.get("geo"))]
    T.check(not trap, "full: no private or reserved endpoint was looked up (no trap row shows)",
            str([(key(r), r.get("geo")) for r in trap][:3]))

    st = stats_of(recs)
    g = st.get("geo")
    names = ("lookups", "cache_hits", "not_found", "skipped", "errors", "cache_size")
    if T.check(isinstance(g, dict) and all(is_int(g.get(k)) and g[k] >= 0 for k in names),
               "full: stats.geo has the integer counters " + ", ".join(names), str(g)):
        seen = {a for r in flows + alerts for a in key(r)}
        public = {norm_ip(a) for a in PUBLIC} & seen
        reserved = {norm_ip(a) for a in RESERVED} & seen
        T.check(g["lookups"] >= g["cache_hits"], "full: stats.geo lookups >= cache_hits", str(g))
        T.check(g["lookups"] >= len(public),
                f"full: stats.geo lookups >= the {len(public)} public addresses", str(g))
        T.check(g["lookups"] >= g["not_found"] >= 1,
                "full: stats.geo lookups >= not_found >= 1 (9.9.9.9 is in no database)", str(g))
        T.check(g["skipped"] >= len(reserved),
                f"full: stats.geo skipped >= the {len(reserved)} private/reserved addresses",
                str(g))
        T.check(g["errors"] == 0, "full: stats.geo errors 0", str(g))
        T.check(g["cache_size"] > 0, "full: stats.geo cache_size > 0", str(g))
    check_schema("full", recs)

    # the same with several workers: each worker's cache gives the same answers
    rc, recs, err = run_davy(DAVY, args + ["--geoip", dbs["city"], "--asn", dbs["asn"],
                                           "--workers", "3"])
    T.check(rc == 0, "workers 3: exits 0", err[-400:])
    check_records("workers 3", recs, "city", True, pairs())

    # without databases: no geo anywhere, and no stats.geo
    rc, recs, err = run_davy(DAVY, args)
    T.check(rc == 0, "none: no --geoip/--asn exits 0", err[-400:])
    T.check(not any("geo" in r for r in recs) and len(flow_records(recs)) == len(pairs()),
            "none: no record has geo", str([key(r) for r in recs if "geo" in r][:3]))
    T.check("geo" not in stats_of(recs) and bool(stats_of(recs)),
            "none: the stats record has no stats.geo", str(stats_of(recs).get("geo")))
    check_schema("none", recs)


def test_one_db(dbs, cap, iocs):
    for what, opts, city, asn in (("asn only", ["--asn", dbs["asn"]], None, True),
                                  ("city only", ["--geoip", dbs["city"]], "city", False),
                                  ("country db", ["--geoip", dbs["country"]], "country", False),
                                  ("country + asn", ["--geoip", dbs["country"],
                                                     "--asn", dbs["asn"]], "country", True)):
        rc, recs, err = run_davy(DAVY, ["-r", cap, "--iocs", iocs] + opts)
        T.check(rc == 0, f"{what}: {' '.join(o for o in opts if o.startswith('--'))} exits 0",
                err[-400:])
        check_records(what, recs, city, asn, pairs())
        keys = {k for r in recs for o in (r.get("geo") or {}).values() for k in o}
        allowed = ({"country", "city"} if city == "city" else {"country"} if city else set()) | \
            ({"asn", "as_org"} if asn else set())
        T.check(keys and keys <= allowed, f"{what}: geo holds only {sorted(allowed)}",
                str(sorted(keys)))
        g = stats_of(recs).get("geo")
        T.check(isinstance(g, dict) and g.get("skipped", 0) > 0 and g.get("errors") == 0,
                f"{what}: stats.geo present, skipped > 0, errors 0", str(g))
        check_schema(what, recs)


def test_cache(tmp, dbs):
    """One public destination in 50 flows, one worker: the cache answers."""
    cap = os.path.join(tmp, "cache.pcap")
    flows = [(f"10.244.1.{10 + i}", "8.8.8.8") for i in range(50)]
    write_capture(cap, flows)
    rc, recs, err = run_davy(DAVY, ["-r", cap, "--no-iocs", "--workers", "1",
                                    "--geoip", dbs["city"], "--asn", dbs["asn"]])
    T.check(rc == 0, "cache: 50 flows to 8.8.8.8 with --workers 1 exits 0", err[-400:])
    fr = flow_records(recs)
    want = {"dest": {"country": "US", "city": "Mountain View", "asn": 15169, "as_org": "GOOGLE"}}
    T.check(len(fr) == 50 and all(r.get("geo") == want for r in fr),
            "cache: all 50 flow records have 8.8.8.8's geo (and no src)",
            f"{len(fr)} flows; {[r.get('geo') for r in fr if r.get('geo') != want][:2]}")
    g = stats_of(recs).get("geo") or {}
    T.check(g.get("cache_hits", 0) >= 40, "cache: stats.geo cache_hits >= 40", str(g))
    T.check(g.get("lookups", 0) >= 50 and g.get("lookups", 0) >= g.get("cache_hits", 0),
            "cache: stats.geo lookups >= 50 (one per flow record) and >= cache_hits", str(g))
    T.check(g.get("skipped", 0) >= 50 and g.get("not_found") == 0 and g.get("errors") == 0,
            "cache: stats.geo skipped >= 50 (the private sources), not_found 0, errors 0", str(g))


def test_bad_databases(tmp, dbs, cap):
    real = open(dbs["city"], "rb").read()
    truncated = os.path.join(tmp, "truncated.mmdb")
    with open(truncated, "wb") as f:
        f.write(real[:min(1000, len(real) // 2)])
    rnd = os.path.join(tmp, "random.mmdb")
    with open(rnd, "wb") as f:
        f.write(random.Random(7).randbytes(4096))
    empty = os.path.join(tmp, "empty.mmdb")
    open(empty, "wb").close()
    missing = os.path.join(tmp, "no-such-file.mmdb")
    for opt in ("--geoip", "--asn"):
        for what, path in (("missing", missing), ("truncated", truncated), ("random bytes", rnd),
                           ("empty", empty)):
            other = ["--asn", dbs["asn"]] if opt == "--geoip" else ["--geoip", dbs["city"]]
            rc, recs, err = run_davy(DAVY, ["-r", cap, "--no-iocs", opt, path] + other)
            T.check(rc == 2 and path in err and not recs,
                    f"bad database: {opt} {what} file: exit 2, stderr names "
                    f"{os.path.basename(path)}, no records",
                    f"rc={rc} records={len(recs)} err={err[-300:]!r}")


def test_asn_iocs(tmp, dbs, cap):
    """asn: indicators match an endpoint's network owner (geo.*.asn)."""
    feed = os.path.join(tmp, "asn.txt")
    with open(feed, "w") as f:
        f.write("asn:AS15169\tgeo test\tc2\tlisted network owner\thigh\n"
                "asn:13335\tgeo test\tmining-pool\n")
    rc, recs, err = run_davy(DAVY, ["-r", cap, "--iocs", feed, "--geoip", dbs["city"],
                                    "--asn", dbs["asn"]])
    T.check(rc == 0, "asn iocs: exits 0", err[-400:])
    got = {}
    for a in alert_records(recs):
        i = a.get("ioc", {})
        got.setdefault(key(a), []).append((a["alert"]["signature_id"], i.get("indicator"),
                                           i.get("matched")))
    want = {(SRC4, "8.8.8.8"): [(4960105, "AS15169", "geo.dest.asn")],
            (SRC6, "2001:4860:4860::8888"): [(4960105, "AS15169", "geo.dest.asn")],
            (SRC4, "1.1.1.1"): [(4960102, "AS13335", "geo.dest.asn")],
            # the destination first: AS13335 (mining-pool), then the source's AS15169 (c2)
            ("8.8.8.8", "1.1.1.1"): [(4960102, "AS13335", "geo.dest.asn"),
                                     (4960105, "AS15169", "geo.src.asn")],
            ("1.1.1.1", "9.9.9.9"): [(4960102, "AS13335", "geo.src.asn")]}
    for r in RESERVED4:
        want[(r, "8.8.8.8")] = [(4960105, "AS15169", "geo.dest.asn")]
    for r in RESERVED6:
        want[(norm_ip(r), "2001:4860:4860::8888")] = [(4960105, "AS15169", "geo.dest.asn")]
    got = {k: sorted(v) for k, v in got.items()}
    T.check(got == want, "asn iocs: each flow with a listed AS number on either side alerts "
            "once per signature, matched geo.dest.asn / geo.src.asn, and no other flow does",
            f"missing {sorted(set(want) - set(got))[:3]}, extra {sorted(set(got) - set(want))[:3]}, "
            f"differing {[(k, got[k], want[k]) for k in set(got) & set(want) if got[k] != want[k]][:3]}")
    m = (stats_of(recs).get("iocs") or {}).get("matched") or {}
    T.check(m.get("geo.dest.asn") == 4 + len(RESERVED4) + len(RESERVED6)
            and m.get("geo.src.asn") == 2,
            "asn iocs: stats.iocs.matched counts geo.dest.asn and geo.src.asn", json.dumps(m))
    rc, recs, err = run_davy(DAVY, ["-r", cap, "--iocs", feed, "--geoip", dbs["city"]])
    T.check(rc == 0 and not alert_records(recs),
            "asn iocs: without --asn no AS number is known and nothing alerts", err[-300:])


def test_countries(tmp, dbs, cap):
    """--alert-countries: a policy alert naming the country and the endpoint."""
    rc, recs, err = run_davy(DAVY, ["-r", cap, "--no-iocs", "--geoip", dbs["city"],
                                    "--alert-countries", "us,BR"])
    T.check(rc == 0, "countries: --alert-countries us,BR exits 0", err[-400:])
    got = {}
    for a in alert_records(recs):
        p = a.get("policy", {})
        got.setdefault(key(a), []).append((a["alert"]["signature_id"], p.get("country"),
                                           p.get("matched"), a["alert"]["severity"],
                                           "metadata" in a["alert"], p.get("rule")))
    dest = (4960201, "US", "geo.dest.country", 3, False, "alert-countries")
    want = {(SRC4, "8.8.8.8"): [dest], (SRC6, "2001:4860:4860::8888"): [dest],
            (SRC4, "200.160.0.8"): [(4960201, "BR", "geo.dest.country", 3, False,
                                     "alert-countries")],
            ("8.8.8.8", "1.1.1.1"): [(4960201, "US", "geo.src.country", 3, False,
                                      "alert-countries")]}
    for r in RESERVED4:
        want[(r, "8.8.8.8")] = [dest]
    for r in RESERVED6:
        want[(norm_ip(r), "2001:4860:4860::8888")] = [dest]
    T.check(got == want, "countries: one policy alert (sid 4960201, severity 3, no ATT&CK "
            "metadata) per flow with an endpoint in US or BR, naming the country and "
            "geo.dest.country / geo.src.country; none for AU or unknown endpoints",
            f"missing {sorted(set(want) - set(got))[:3]}, extra {sorted(set(got) - set(want))[:3]}, "
            f"differing {[(k, got[k], want[k]) for k in set(got) & set(want) if got[k] != want[k]][:3]}")
    check_schema("countries", recs)
    for what, args, text in (
            ("a three-letter code", ["--geoip", dbs["city"], "--alert-countries", "USA"],
             "'USA' is not a two-letter country code"),
            ("an empty entry", ["--geoip", dbs["city"], "--alert-countries", "US,,BR"],
             "'' is not a two-letter country code"),
            ("no --geoip", ["--asn", dbs["asn"], "--alert-countries", "US"],
             "--alert-countries needs a country database")):
        rc, recs, err = run_davy(DAVY, ["-r", cap, "--no-iocs"] + args)
        T.check(rc == 2 and text in err and not recs, f"countries: {what} is refused (exit 2, "
                f"says {text!r})", f"rc={rc} {err[-300:]}")


def test_reload(tmp):
    """A database replaced on disk is reopened on SIGHUP (and by the
    periodic check); one that does not open keeps the previous one."""
    us = [{"net": "8.8.8.0/24", "country": "US"}]
    ca = [{"net": "8.8.8.0/24", "country": "CA"}]
    db_us, db_ca, live = (os.path.join(tmp, n) for n in ("us.mmdb", "ca.mmdb", "live.mmdb"))
    if not (mkmmdb("city", us, db_us) and mkmmdb("city", ca, db_ca)):
        return

    def put(src):
        with open(src, "rb") as f:
            data = f.read()
        with open(live + ".tmp", "wb") as f:
            f.write(data)
        os.rename(live + ".tmp", live)

    def country(d, what):
        port = d.send("10.1.1.1", "8.8.8.8")
        if d.wait(f"{what}: the flow's policy alert is written", lambda: d.alert_for(port)):
            return d.alert_for(port)[0].get("policy", {}).get("country")
        return None

    put(db_us)
    d = LiveDavy(T, DAVY, ["--workers", "1", "--no-iocs", "--geoip", live, "--alert-countries",
                           "US,CA", "--geo-check-interval", "0"])
    T.check(country(d, "reload: start") == "US", "reload: the first database says US")
    put(db_ca)
    T.check(country(d, "reload: replaced, no SIGHUP") == "US",
            "reload: a replaced file is not reopened without SIGHUP (--geo-check-interval 0)")
    n = len(d.errlines)
    d.p.send_signal(signal.SIGHUP)
    d.wait_msg("reload: SIGHUP reopens the databases", "MaxMind databases reopened (SIGHUP)", n)
    T.check(country(d, "reload: after SIGHUP") == "CA",
            "reload: after SIGHUP the new database answers (the worker's cache was emptied)")
    with open(live + ".tmp", "wb") as f:
        f.write(b"not a MaxMind database" * 10)
    os.rename(live + ".tmp", live)
    n = len(d.errlines)
    d.p.send_signal(signal.SIGHUP)
    d.wait_msg("reload: a damaged file fails the reload, naming it and keeping the databases",
               f"MaxMind database reload (SIGHUP) failed: --geoip {live}: cannot open", n)
    T.check(country(d, "reload: after the failed reload") == "CA",
            "reload: after a failed reload the previous database still answers")
    rc = d.finish()
    g = stats_of(d.records).get("geo") or {}
    T.check(rc == 0 and g.get("reloads") == 1 and g.get("reload_failures") == 1
            and g.get("cache_flushes") == 1,
            "reload: exit 0; stats.geo reloads 1, reload_failures 1, cache_flushes 1",
            f"rc={rc} {json.dumps(g)}")

    put(db_us)
    d = LiveDavy(T, DAVY, ["--workers", "1", "--no-iocs", "--geoip", live, "--alert-countries",
                           "US,CA", "--geo-check-interval", "1"])
    T.check(country(d, "reload check: start") == "US", "reload check: US at start")
    time.sleep(1.1)  # a different modification time
    n = len(d.errlines)
    put(db_ca)
    d.wait_msg("reload check: a replaced file is reopened by the periodic check",
               "MaxMind databases reopened (database files changed)", n)
    T.check(country(d, "reload check: after") == "CA", "reload check: then the new one answers")
    d.finish()

    # a flow open across the reload is checked again at its next packet
    de = [{"net": "8.8.8.0/24", "country": "DE"}, {"net": "9.9.9.0/24", "country": "US"}]
    db_de = os.path.join(tmp, "de.mmdb")
    if not mkmmdb("city", de, db_de):
        return
    put(db_de)
    d = LiveDavy(T, DAVY, ["--workers", "1", "--no-iocs", "--geoip", live, "--alert-countries",
                           "US,CA", "--geo-check-interval", "0"])
    open_port = d.send("10.1.1.1", "8.8.8.8")
    marker = d.send("10.1.1.1", "9.9.9.9")  # handled after open_port (one worker)
    d.wait("recheck: a flow to a listed country alerts", lambda: d.alert_for(marker))
    T.check(not d.alert_for(open_port), "recheck: DE is not listed: no alert at first",
            json.dumps(d.alert_for(open_port))[:300])
    put(db_ca)
    n = len(d.errlines)
    d.p.send_signal(signal.SIGHUP)
    d.wait_msg("recheck: SIGHUP reopens the databases", "MaxMind databases reopened (SIGHUP)", n)
    d.send("10.1.1.1", "8.8.8.8", sport=open_port)
    if d.wait("recheck: the open flow's next packet, with the new database, alerts",
              lambda: d.alert_for(open_port)):
        T.check(d.alert_for(open_port)[0].get("policy", {}).get("country") == "CA",
                "recheck: the alert names CA", json.dumps(d.alert_for(open_port)[0])[:300])
    rc = d.finish()
    T.check(rc == 0 and len(d.alert_for(open_port)) == 1
            and (stats_of(d.records).get("iocs") or {}).get("flows_rechecked", 0) >= 2,
            "recheck: exit 0; one alert; stats.iocs.flows_rechecked counts the open flows",
            f"rc={rc} {json.dumps(stats_of(d.records).get('iocs'))[:300]}")


def main():
    global DAVY
    DAVY = os.path.abspath(sys.argv[1])
    ok, why = perl_has("MaxMind::DB::Writer::Tree")
    if not ok:
        T.skip("all geo tests", why)
        return T.finish()
    with tempfile.TemporaryDirectory(prefix="davy-geo-") as tmp:
        dbs = {k: os.path.join(tmp, f"{k}.mmdb") for k in ("city", "asn", "country")}
        built = [mkmmdb(k, t, dbs[k]) for k, t in (("city", CITY_TABLE), ("asn", ASN_TABLE),
                                                   ("country", COUNTRY_TABLE))]
        if not all(built):
            return T.finish()
        cap = os.path.join(tmp, "geo.pcap")
        write_capture(cap, pairs())
        iocs = os.path.join(tmp, "iocs.txt")
        with open(iocs, "w") as f:
            f.writelines(f"ip:{a}\tgeo test\tc2\tgeo test address\thigh\n" for a in IOCS)
        T.run_parts((("tooling", lambda: test_tooling(dbs)),
                     ("full", lambda: test_full(tmp, dbs, cap, iocs)),
                     ("one database", lambda: test_one_db(dbs, cap, iocs)),
                     ("cache", lambda: test_cache(tmp, dbs)),
                     ("bad databases", lambda: test_bad_databases(tmp, dbs, cap)),
                     ("asn indicators", lambda: test_asn_iocs(tmp, dbs, cap)),
                     ("alert countries", lambda: test_countries(tmp, dbs, cap)),
                     ("reload", lambda: test_reload(tmp))))
    return T.finish()


if __name__ == "__main__":
    sys.exit(main())
