/* ioc.h - the indicator set: pool, C2 and miner indicators loaded from feed
 * files (plain or Zeek Intel format) into an immutable set, and the
 * lookups the sensor matches traffic with.
 *
 * Invariants:
 *  - A `struct ioc_set` is built by one thread (ioc_set_new, then any number
 *    of ioc_load_path / ioc_load_buffer calls into the same set) and is never
 *    changed after it has been handed to readers. Every function taking a
 *    `const struct ioc_set *` only reads: it allocates nothing, takes no
 *    lock and keeps no state, so any number of threads may look up the same
 *    set at once. Reload = build a new set, publish its pointer (RCU or an
 *    epoch scheme), free the old one with ioc_set_free() once no reader can
 *    hold it. A `const struct ioc *` (and every string in it) lives as long
 *    as its set.
 *  - Every string of a `struct ioc` is NUL-terminated and never NULL;
 *    `value` is the normalised indicator (below), `category` is never empty,
 *    `source` and `description` are "" when the feed gave none. Strings are
 *    kept in arenas; equal feed/category/source/description strings are
 *    stored once.
 *  - An indicator is stored at most once: the same normalised value (for
 *    addresses and CIDRs: the same network and prefix length; for agents:
 *    the same text ignoring case) loaded again, from the same or another
 *    feed, is counted in `duplicates` and the first one loaded is kept
 *    (files of a folder load in name order, so the result does not depend
 *    on the file system).
 *  - The set holds at most `max_indicators` indicators (default
 *    IOC_MAX_INDICATORS); good lines beyond are counted in `over_limit`.
 *  - Counters add up, for a set and for each load call:
 *      lines  = comments + good + bad + unsupported
 *      good   = stored + duplicates + over_limit
 *      stored = the sum of by_type[] = ioc_set_count() (for the set)
 *  - No global state: messages go to the sink given in `struct ioc_opts`.
 *
 * FEED FILES
 *
 * Loading takes a file, or a folder: every regular file in it (symlinks
 * followed; subfolders are not entered), in byte order of their names,
 * skipping names that start with '.' or with "README" (any case). A file
 * that cannot be opened or read is an error naming it; the other files of
 * a folder still load. Every indicator carries its feed name: the file's
 * basename without its last extension ("iocs/pools.txt" -> "pools").
 *
 * Lines end with '\n'; a '\r' before it is dropped (CRLF files), a UTF-8 BOM
 * at the start of the file is skipped, and the last line needs no '\n'.
 * A line holds at most IOC_LINE_MAX bytes before its '\n'; a longer one is a
 * bad line (counted in `long_lines` too). A line with a control byte
 * (below 0x20 but TAB, or 0x7f; NUL included) is a bad line.
 *
 * A file is in Zeek format when its first non-empty line that is not a "#@"
 * directive starts with "#fields" or "#separator" (followed by a blank, the
 * separator or the end); otherwise it is in the plain format.
 *
 * Plain format: one indicator a line, then optional TAB-separated fields:
 *
 *     [type:]value[<TAB>source[<TAB>category[<TAB>description[<TAB>severity]]]]
 *
 *  - Blank lines, and lines whose first non-blank byte is '#', are comments
 *    (whole lines only: "pool.example # note" is a bad line).
 *  - type is one of ip, cidr (alias subnet), domain, port, ja3, wallet,
 *    agent, url, asn, image, namespace, any case, followed by ':'. ip: and
 *    cidr: both take an address or address/length (the stored type is ip
 *    for an address, cidr for a prefix).
 *  - Without a type (and without a `type=` directive), the value is, in this
 *    order: an IPv4 or IPv6 address (inet_pton); address/length (CIDR); 32
 *    hex digits (JA3); a wallet by shape (stratum_wallet_type(): Monero,
 *    Bitcoin, Ethereum); a number 1-65535 (port); a URL (contains "://");
 *    a host name with at least one dot (domain). Anything else is a bad
 *    line, e.g. `iocs/pools.txt:12: not an IP, CIDR, domain, URL, port,
 *    JA3 or wallet: 'foo bar'`. Agent, ASN, image and namespace values need
 *    their type (or a `type=` directive).
 *  - Fields: leading and trailing blanks are trimmed; an empty field or "-"
 *    means "not given". More than five fields is a bad line. severity is
 *    low, medium, high (any case) or 1, 2, 3; category is 1 to
 *    IOC_CATEGORY_MAX bytes of [A-Za-z0-9._-], stored lower-case.
 *  - Directives: a line starting with "#@" sets defaults for the lines after
 *    it in the same file (until another directive sets the same key):
 *
 *        #@ category=mining-pool severity=medium source="public pool docs"
 *
 *    Space-separated key=value pairs; a value is a run of non-blank bytes or
 *    a double-quoted string (no escapes; it ends at the next '"'). Keys:
 *    category, severity, source, description (or desc), type (a type name:
 *    lines without a `type:` prefix are that type, no detection). An empty
 *    value or "-" resets the key to "not given". An unknown key or a bad
 *    value makes the whole directive a bad line, and none of it applies.
 *    Directives work in Zeek files too (Zeek skips '#' lines).
 *
 * Zeek Intel format (Zeek's input framework, as MISP and other exporters
 * write it):
 *
 *     #fields<TAB>indicator<TAB>indicator_type<TAB>meta.source<TAB>meta.desc
 *     pool.example.net<TAB>Intel::DOMAIN<TAB>my feed<TAB>-
 *
 *  - "#fields" names the columns of the lines after it (another "#fields"
 *    line renames them), in any order; "indicator" and "indicator_type" are
 *    required (data lines under a header without them are bad lines).
 *    Known columns: meta.source -> source, meta.desc -> description,
 *    meta.cif_confidence (0-100, or 0-10 scaled x10: >= 85 high, >= 50
 *    medium, else low), and davy's own meta.category and meta.severity
 *    (as in the plain format); every other column (meta.url, meta.do_notice,
 *    meta.if_in, ...) is ignored. The header's names may be separated by
 *    the separator or by blanks; data fields only by the separator.
 *  - "#separator \x09" (or a single literal byte) sets the separator (TAB by
 *    default); every other '#' line (#set_separator, #empty_field,
 *    #unset_field, #path, #open, #types, #close, comments) is skipped.
 *    "-" and "(empty)" are empty fields. A data line before any #fields is a
 *    bad line.
 *  - indicator_type: Intel::ADDR -> ip, Intel::SUBNET -> cidr,
 *    Intel::DOMAIN -> domain, Intel::URL -> url, Intel::SOFTWARE -> agent,
 *    Intel::JA3 -> ja3 (the zeek ja3 package's type). Intel::CERT_HASH,
 *    EMAIL, USER_NAME, FILE_HASH, FILE_NAME, PUBKEY_HASH and any other type
 *    are not used by davy: counted in `unsupported` and skipped, with one
 *    message per type per file (for the first 16 unknown type names).
 *  - Unlike Zeek (exact match), a domain matches its subdomains too.
 *
 * Defaults. category: the line's field (or meta.category), else the file's
 * `category=` directive, else the feed name's category: a feed named after
 * one of c2, mining-pool, miner-agent, miner-port, miner-image, wallet, or starting with
 * one of these followed by '-', '_' or '.' ("c2-feodo.txt" -> c2), so that an
 * exported list dropped into the folder under such a name needs no edit;
 * else by type: port -> miner-port, agent -> miner-agent, wallet -> wallet,
 * image -> miner-image, namespace -> namespace, anything else -> "unknown".
 * severity: the line's field (or meta.severity, else meta.cif_confidence),
 * else the directive's, else by type: port and namespace -> low (weak
 * signals), anything else -> medium.
 *
 * NORMALISATION (what `value` holds)
 *  - ip/cidr: inet_ntop() text of the network ("10.0.0.0/8", "2001:db8::/32",
 *    "192.0.2.1"); addr[] in network byte order with the host bits cleared
 *    (a CIDR given with host bits set is masked, not refused); prefix 0 is
 *    refused (it would match everything). An IPv4-mapped IPv6 address or
 *    prefix (::ffff:a.b.c.d, length >= 96) is stored as IPv4.
 *  - domain: lower-case, one trailing '.' removed, a leading "*." or "."
 *    removed; 1-253 bytes of [a-z0-9_-] in labels of 1-63 bytes separated by
 *    '.', the last label not all digits ("10.0.0.256" is not a name). A
 *    detected domain needs a dot; an explicit `domain:` one may be a single
 *    label (it then matches a whole TLD: careful).
 *  - url: the scheme and "://" removed (Zeek's Intel::URL convention), the
 *    host part (up to the first '/', '?' or '#') lower-cased, the rest kept:
 *    "HTTP://Evil.Example/a?B" -> "evil.example/a?B". No domain indicator is
 *    derived from a URL's host: URL feeds list pages on shared hosts, and
 *    the host would then match all of the host's traffic.
 *  - ja3: 32 hex digits, lower-case. port: 1-65535, decimal.
 *  - wallet: 1-255 printable non-blank bytes, kept as given (base58 and
 *    bech32 are case-sensitive), except Ethereum "0x" + 40 hex, lower-cased
 *    (its mixed case is only a checksum).
 *  - agent: 1-255 printable bytes (blanks inside allowed), kept as given.
 *  - asn: "AS" + decimal 1..4294967295 ("as64496" and "64496" load as
 *    "AS64496"). namespace: 1-255 printable non-blank bytes, as given.
 *  - image: 1-255 printable non-blank bytes, without a leading Docker Hub
 *    registry ("docker.io/", "index.docker.io/", "registry-1.docker.io/")
 *    and then "library/": "docker.io/library/xmrig" is stored as "xmrig".
 *
 * MATCHING (what each lookup returns: the stored indicator, or NULL)
 *  - ioc_find_domain(): the query is compared ignoring case, one trailing
 *    '.' ignored; its suffixes at label boundaries are tried from the whole
 *    name down to its last label, and the first (most specific) stored one
 *    wins: "pool.supportxmr.com" matches "supportxmr.com";
 *    "notsupportxmr.com" and "supportxmr.com.evil.net" do not. One hash
 *    table probe per label (the suffixes' hashes come from one pass over the
 *    name, right to left).
 *  - ioc_find_ip(): longest-prefix match over the addresses and CIDRs of the
 *    query's family: one hash table per prefix length present, probed from
 *    the longest length present to the shortest (at most 32 probes for
 *    IPv4, 128 for IPv6; as many as distinct lengths in the feeds). Two
 *    bitmaps per family skip most probes: one bit per value of the top 24
 *    bits (2 MiB), set where a network of length >= 24 starts, and one per
 *    value of the top 16 bits (8 KiB) for lengths 16-23; only lengths below
 *    16 are always probed. An IPv4-mapped IPv6 query (::ffff:a.b.c.d) is
 *    looked up as IPv4 first.
 *  - ioc_find_port(): one array read (a 65536-entry index).
 *  - ioc_find_ja3(): exact, ignoring case.
 *  - ioc_find_wallet(): the exact string; when that is not listed, its
 *    wallet part (up to the first '.', '+' or '/', as stratum.h splits a
 *    login) - so the login "WALLET.rig1" matches the listed "WALLET".
 *    Ethereum-shaped queries are compared lower-cased.
 *  - ioc_find_agent(): each agent pattern is looked for in the query,
 *    ignoring ASCII case, as a whole word: the bytes just before and after
 *    the match must not be letters or digits (or must be the ends of the
 *    query). "XMRig/6.21.0", "xmrig-proxy/6" and "SRBMiner-MULTI/2.4"
 *    match XMRig / SRBMiner; "T-Rex" does not match "ST-Rexx", "xmrig" does
 *    not match "XMRigCC" (list it on its own). The first pattern loaded
 *    that matches wins. Cost: a loop over all patterns, each a scan of the
 *    query (patterns x query length byte compares, a first-byte test
 *    skipping most): fine for the few hundred patterns of agent feeds and
 *    agents of at most a few hundred bytes, looked up once per Stratum
 *    login; not meant for thousands of patterns.
 *  - ioc_find_image(): the image reference (as a pod spec names it), less a
 *    Docker Hub registry and "library/" as above, against the image
 *    indicators as prefixes, byte for byte: "kannix/monero-miner" matches
 *    "kannix/monero-miner:latest", "docker.io/kannix/monero-miner@sha256:..."
 *    and "kannix/monero-miner-v2" (list "kannix/monero-miner:" to pin the
 *    repository). One probe per length an image indicator has (a 256-bit
 *    map of the lengths present), longest first.
 *  - ioc_find_exact(): any type; the query is normalised as a feed value of
 *    that type would be, then looked up exactly (a CIDR: that network and
 *    length only; a domain: that name only). The lookup for url, asn and
 *    namespace (the matcher formats an AS number as "AS64496").
 *
 * MESSAGES: "FILE:LINE: what is wrong: 'excerpt'" (the excerpt at most 60
 * bytes, bytes other than printable ASCII as \xHH), e.g.
 * "iocs/pools.txt:12: not an IP, CIDR, domain, URL, port, JA3 or wallet:
 * 'foo bar'"; "FILE: cannot open: REASON" for a file that cannot be read.
 *
 * BOUNDS: IOC_LINE_MAX bytes a line; `max_indicators` indicators a set
 * (at most IOC_MAX_INDICATORS_HARD); `max_messages` messages per file, then
 * one "FILE: N more messages not shown" line (errors and the "set is full"
 * message are not capped). Memory: about 125 bytes per indicator (the
 * 72-byte struct, its value, hash slots), plus up to 4 MiB of address
 * bitmaps: 1,000,000 indicators load in about 1.2 s into about 120 MiB
 * (bench/ioc_load.c, bench/RESULTS.md).
 */
#ifndef DAVY_IOC_H
#define DAVY_IOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define IOC_LINE_MAX 4096              /* bytes a feed line, before its '\n' */
#define IOC_MAX_INDICATORS 10000000u   /* default bound of a set */
#define IOC_MAX_INDICATORS_HARD 0x7fffffffu
#define IOC_MAX_MESSAGES 20u           /* default messages printed per file */
#define IOC_DOMAIN_MAX 253
#define IOC_CATEGORY_MAX 32
#define IOC_SHORT_MAX 255              /* agent, wallet, image, namespace */

enum ioc_type {
	IOC_NONE = 0,
	IOC_IP,        /* an address: prefix 32 or 128 */
	IOC_CIDR,      /* a network */
	IOC_DOMAIN,
	IOC_PORT,
	IOC_JA3,
	IOC_WALLET,
	IOC_AGENT,
	IOC_URL,
	IOC_ASN,       /* a network owner: "AS64496" */
	IOC_IMAGE,     /* a container image reference prefix */
	IOC_NAMESPACE, /* a Kubernetes namespace */
	IOC_TYPE__COUNT
};

enum ioc_severity { IOC_SEV_LOW = 1, IOC_SEV_MEDIUM = 2, IOC_SEV_HIGH = 3 };

struct ioc {
	const char *value;       /* normalised indicator */
	const char *feed;        /* feed file name without extension */
	const char *category;    /* e.g. "mining-pool", "c2"; never "" */
	const char *source;      /* "" when none */
	const char *description; /* "" when none */
	uint32_t value_len;      /* strlen(value) */
	uint32_t line;           /* line in its feed file */
	uint8_t type;            /* enum ioc_type */
	uint8_t severity;        /* enum ioc_severity */
	uint8_t family;          /* ip/cidr: 4 or 6; else 0 */
	uint8_t prefix;          /* ip/cidr: prefix length (ip: 32 or 128) */
	uint16_t port;           /* port: the port */
	uint8_t addr[16];        /* ip/cidr: network order, host bits zero;
				  * IPv4 in the first 4 bytes, the rest zero */
};

/* Counters; only uint64_t, so they can be added word by word. */
struct ioc_stats {
	uint64_t files;       /* files read (a buffer counts as one) */
	uint64_t errors;      /* files or folders that could not be read */
	uint64_t lines;
	uint64_t comments;    /* blank, comment, directive and header lines */
	uint64_t good;        /* lines that gave an indicator */
	uint64_t bad;         /* bad lines, skipped */
	uint64_t long_lines;  /* of the bad ones: longer than IOC_LINE_MAX */
	uint64_t unsupported; /* Zeek lines of types davy does not use */
	uint64_t duplicates;  /* good lines already in the set (first kept) */
	uint64_t over_limit;  /* good lines dropped: the set was full (or memory
			       * ran out: then the rest of the file is not read) */
	uint64_t stored;      /* indicators added */
	uint64_t by_type[IOC_TYPE__COUNT]; /* indicators added, by type */
	uint64_t messages;    /* messages emitted */
	uint64_t suppressed;  /* messages over the per-file cap, not emitted */
};

/* Receives one message, without a trailing newline. */
typedef void (*ioc_msg_fn)(void *arg, const char *msg);

struct ioc_opts {
	uint64_t max_indicators; /* 0: IOC_MAX_INDICATORS */
	uint32_t max_messages;   /* per file; 0: IOC_MAX_MESSAGES */
	ioc_msg_fn msg;          /* each message; NULL: written to msg_file */
	void *msg_arg;
	FILE *msg_file;          /* with msg NULL: one line each; both NULL: silent */
};

struct ioc_set;

/* ---- building (one thread) ---- */

/* An empty set; opts may be NULL (defaults, silent). NULL when out of
 * memory. */
struct ioc_set *ioc_set_new(const struct ioc_opts *opts);
/* Frees the set and everything it holds; NULL is fine. */
void ioc_set_free(struct ioc_set *set);

/* Loads a feed file, or every feed file of a folder, into the set. Adds
 * what it did to *st (when not NULL) and to the set's totals. Returns 0, or
 * -1 when a file or the folder could not be read or memory ran out (the
 * message names it; what was loaded stays in the set, consistent). Bad lines
 * are not failures. */
int ioc_load_path(struct ioc_set *set, const char *path, struct ioc_stats *st);
/* A fingerprint of what ioc_load_path(path) would read: the path's own
 * stat data and, for a folder, each feed file's name, inode, size and
 * modification time (in any readdir order). Equal fingerprints: nothing to
 * reload. 0 when path cannot be stat()ed (any other value otherwise). */
uint64_t ioc_path_fingerprint(const char *path);
/* Loads len bytes as one feed file called name (for messages and the feed
 * name). Returns 0, or -1 when memory ran out. */
int ioc_load_buffer(struct ioc_set *set, const char *name, const void *data, size_t len,
		    struct ioc_stats *st);
/* Loads one feed file delivered by read_fn, which fills up to cap bytes and
 * returns how many (0 at the end, -1 on an error, with errno set): a file
 * descriptor, or the fuzz target's chunks. Returns as ioc_load_path(). */
int ioc_load_stream(struct ioc_set *set, const char *name,
		    long (*read_fn)(void *arg, uint8_t *buf, size_t cap), void *arg,
		    struct ioc_stats *st);

/* ---- reading (any number of threads; const) ---- */

/* family 4: addr holds 4 bytes; family 6: 16 bytes (network order). */
const struct ioc *ioc_find_ip(const struct ioc_set *set, int family, const uint8_t *addr);
const struct ioc *ioc_find_domain(const struct ioc_set *set, const char *name, size_t len);
const struct ioc *ioc_find_port(const struct ioc_set *set, uint16_t port);
const struct ioc *ioc_find_ja3(const struct ioc_set *set, const char *hex, size_t len);
const struct ioc *ioc_find_wallet(const struct ioc_set *set, const char *s, size_t len);
const struct ioc *ioc_find_agent(const struct ioc_set *set, const char *s, size_t len);
const struct ioc *ioc_find_exact(const struct ioc_set *set, enum ioc_type type,
				 const char *s, size_t len);
/* An image indicator that is a prefix of the image reference s (both
 * without a Docker Hub registry and "library/": feed_image_skip); the
 * longest listed prefix wins. */
const struct ioc *ioc_find_image(const struct ioc_set *set, const char *s, size_t len);
/* Whether the set holds an indicator of that type (matchers skip work). */
bool ioc_set_has(const struct ioc_set *set, enum ioc_type type);

/* Indicators stored, and the i-th of them (load order; NULL past the end). */
size_t ioc_set_count(const struct ioc_set *set);
const struct ioc *ioc_set_at(const struct ioc_set *set, size_t i);

/* Which load of a live set this is (ioc_live.h: 0 for the first, one more
 * at each reload; 0 for NULL). Workers compare it to re-check open flows
 * against a new set. Set before the set is published. */
uint32_t ioc_set_generation(const struct ioc_set *set);
void ioc_set_set_generation(struct ioc_set *set, uint32_t g);
/* The set's totals over all its loads. */
const struct ioc_stats *ioc_set_stats(const struct ioc_set *set);
/* Bytes of memory the set holds (arenas, tables, indicators). */
size_t ioc_set_bytes(const struct ioc_set *set);

/* "ip", "cidr", "domain", "port", "ja3", "wallet", "agent", "url", "asn",
 * "image", "namespace"; "none" for 0 and out of range. */
const char *ioc_type_name(int type);
/* "low", "medium", "high"; "none" otherwise. */
const char *ioc_severity_name(int sev);

#endif
