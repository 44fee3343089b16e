/* feed.c - the line parser of indicator feeds, plain and Zeek Intel format
 * (formats, directives and normalisation: ioc.h; contract: feed.h). */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "feed.h"
#include "stratum.h"

/* ---- bytes ---- */

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static bool is_hex(int c)
{
	return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* printable ASCII without the blank */
static bool is_graph(int c)
{
	return c > 0x20 && c < 0x7f;
}

static void trim(const char **s, size_t *n)
{
	while (*n > 0 && is_blank((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && is_blank((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);
	return n >= k && memcmp(s, prefix, k) == 0;
}

static bool eq_nocase(const char *s, size_t n, const char *word)
{
	return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

/* The quoted excerpt of s[0..n) for messages: at most 60 bytes, others
 * than printable ASCII as \xHH. */
static void excerpt(char *dst, size_t dl, const char *s, size_t n)
{
	size_t o = 0, i;
	if (dl < 8) {
		if (dl)
			dst[0] = '\0';
		return;
	}
	dst[o++] = '\'';
	for (i = 0; i < n && i < 60 && o + 6 < dl; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c < 0x7f && c != '\'') {
			dst[o++] = (char)c;
		} else {
			snprintf(dst + o, dl - o, "\\x%02x", c);
			o += 4;
		}
	}
	if (i < n && o + 4 < dl) {
		memcpy(dst + o, "...", 3);
		o += 3;
	}
	dst[o++] = '\'';
	dst[o] = '\0';
}

static int fail(char *why, size_t wl, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t wl, const char *fmt, ...)
{
	if (wl) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(why, wl, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* fail() with the excerpt of s as the last %s, in functions that have
 * `why` and `wl`: FAIL_X returns -1, BAD_X returns FEED_BAD */
#define FAIL_X(msg, s, n)                                    \
	do {                                                 \
		char x_[80];                                 \
		if (!wl)                                     \
			return -1;                           \
		excerpt(x_, sizeof(x_), (s), (n));           \
		return fail(why, wl, msg ": %s", x_);        \
	} while (0)
#define BAD_X(msg, s, n)                                     \
	do {                                                 \
		char x_[80];                                 \
		excerpt(x_, sizeof(x_), (s), (n));           \
		fail(why, wl, msg ": %s", x_);               \
		return FEED_BAD;                             \
	} while (0)
#define BAD(...)                                             \
	do {                                                 \
		fail(why, wl, __VA_ARGS__);                  \
		return FEED_BAD;                             \
	} while (0)

/* ---- names ---- */

static const struct {
	const char *name;
	int type;
} type_names[] = {
	{ "ip", IOC_IP },         { "cidr", IOC_CIDR },   { "subnet", IOC_CIDR },
	{ "domain", IOC_DOMAIN }, { "port", IOC_PORT },   { "ja3", IOC_JA3 },
	{ "wallet", IOC_WALLET }, { "agent", IOC_AGENT }, { "url", IOC_URL },
	{ "asn", IOC_ASN },       { "image", IOC_IMAGE }, { "namespace", IOC_NAMESPACE },
};

int feed_type_by_name(const char *s, size_t n)
{
	for (size_t i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (eq_nocase(s, n, type_names[i].name))
			return type_names[i].type;
	return IOC_NONE;
}

static const char *const name_categories[] = {
	"c2", "mining-pool", "miner-agent", "miner-port", "miner-image", "wallet",
};

const char *feed_name_category(const char *feed)
{
	for (size_t i = 0; i < sizeof(name_categories) / sizeof(name_categories[0]); i++) {
		size_t k = strlen(name_categories[i]);
		if (strncasecmp(feed, name_categories[i], k) == 0 &&
		    (feed[k] == '\0' || feed[k] == '-' || feed[k] == '_' || feed[k] == '.'))
			return name_categories[i];
	}
	return NULL;
}

const char *feed_type_category(int type)
{
	switch (type) {
	case IOC_PORT: return "miner-port";
	case IOC_AGENT: return "miner-agent";
	case IOC_WALLET: return "wallet";
	case IOC_IMAGE: return "miner-image";
	case IOC_NAMESPACE: return "namespace";
	default: return "unknown";
	}
}

int feed_type_severity(int type)
{
	return type == IOC_PORT || type == IOC_NAMESPACE ? IOC_SEV_LOW : IOC_SEV_MEDIUM;
}

size_t feed_image_skip(const char *s, size_t n)
{
	static const char *const hub[] = { "docker.io/", "index.docker.io/", "registry-1.docker.io/" };
	/* to a fixed point, so a value normalised once normalises to itself
	 * ("docker.io/docker.io/x"): the feed stores it, lookups redo it */
	size_t off = 0, prev;
	do {
		prev = off;
		for (size_t i = 0; i < sizeof(hub) / sizeof(hub[0]); i++) {
			size_t k = strlen(hub[i]);
			if (n - off >= k && strncasecmp(s + off, hub[i], k) == 0) {
				off += k;
				break;
			}
		}
		if (n - off >= 8 && memcmp(s + off, "library/", 8) == 0)
			off += 8;
	} while (off != prev);
	return off;
}

/* Zeek's indicator types; type IOC_NONE: not used by davy. */
static const struct {
	const char *name;
	int type;
} zeek_types[] = {
	{ "Intel::ADDR", IOC_IP },        { "Intel::SUBNET", IOC_CIDR },
	{ "Intel::DOMAIN", IOC_DOMAIN },  { "Intel::URL", IOC_URL },
	{ "Intel::SOFTWARE", IOC_AGENT }, { "Intel::JA3", IOC_JA3 },
	{ "Intel::CERT_HASH", IOC_NONE }, { "Intel::EMAIL", IOC_NONE },
	{ "Intel::USER_NAME", IOC_NONE }, { "Intel::FILE_HASH", IOC_NONE },
	{ "Intel::FILE_NAME", IOC_NONE }, { "Intel::PUBKEY_HASH", IOC_NONE },
};
#define N_ZEEK_TYPES (sizeof(zeek_types) / sizeof(zeek_types[0]))

static const char *const zeek_columns[FEED_COL__COUNT] = {
	[FEED_COL_INDICATOR] = "indicator",
	[FEED_COL_TYPE] = "indicator_type",
	[FEED_COL_SOURCE] = "meta.source",
	[FEED_COL_DESC] = "meta.desc",
	[FEED_COL_CONFIDENCE] = "meta.cif_confidence",
	[FEED_COL_CATEGORY] = "meta.category",
	[FEED_COL_SEVERITY] = "meta.severity",
};

/* ---- values ---- */

static int parse_severity(const char *s, size_t n)
{
	if (eq_nocase(s, n, "low") || eq_nocase(s, n, "1"))
		return IOC_SEV_LOW;
	if (eq_nocase(s, n, "medium") || eq_nocase(s, n, "2"))
		return IOC_SEV_MEDIUM;
	if (eq_nocase(s, n, "high") || eq_nocase(s, n, "3"))
		return IOC_SEV_HIGH;
	return 0;
}

/* Copies a valid category into out (lower-case); false if not valid. */
static bool parse_category(const char *s, size_t n, char *out)
{
	if (n == 0 || n > IOC_CATEGORY_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!(is_alpha(c) || is_digit(c) || c == '.' || c == '_' || c == '-'))
			return false;
		out[i] = (char)lc(c);
	}
	out[n] = '\0';
	return true;
}

static void set_value(struct feed_entry *e, int type, const char *s, size_t n)
{
	e->type = (uint8_t)type;
	memcpy(e->value, s, n);
	e->value[n] = '\0';
	e->value_len = n;
}

/* address or address/length; 0, -1 not an address, -2 bad length */
static int parse_net(const char *s, size_t n, struct feed_entry *e)
{
	char buf[64];
	if (n == 0 || n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *slash = memchr(buf, '/', n);
	int plen = -1;
	if (slash) {
		*slash = '\0';
		const char *d = slash + 1;
		size_t dn = strlen(d);
		plen = 0;
		for (size_t i = 0; i < dn; i++)
			plen = is_digit((unsigned char)d[i]) && plen < 1000 ? plen * 10 + (d[i] - '0') : 1000;
		if (dn == 0 || dn > 3)
			plen = 1000; /* bad, once the address is known to be one */
	}
	uint8_t a[16];
	int fam;
	memset(a, 0, sizeof(a));
	if (inet_pton(AF_INET, buf, a) == 1)
		fam = 4;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		fam = 6;
	else
		return -1;
	int maxp = fam == 4 ? 32 : 128;
	if (!slash)
		plen = maxp;
	else if (plen < 1 || plen > maxp)
		return -2;
	/* IPv4-mapped IPv6: store as IPv4 */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (fam == 6 && plen >= 96 && memcmp(a, mapped, 12) == 0) {
		if (plen == 96)
			return -2;
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		fam = 4;
		plen -= 96;
		maxp = 32;
	}
	/* clear the host bits */
	for (int bit = plen; bit < 128; bit++)
		a[bit / 8] &= (uint8_t)~(0x80u >> (bit % 8));
	char txt[INET6_ADDRSTRLEN + 8];
	if (!inet_ntop(fam == 4 ? AF_INET : AF_INET6, a, txt, INET6_ADDRSTRLEN))
		return -1;
	if (slash)
		snprintf(txt + strlen(txt), 8, "/%d", plen);
	set_value(e, slash ? IOC_CIDR : IOC_IP, txt, strlen(txt));
	e->family = (uint8_t)fam;
	e->prefix = (uint8_t)plen;
	memcpy(e->addr, a, 16);
	return 0;
}

/* 0, or -1 with why */
static int parse_domain(const char *s, size_t n, bool need_dot, struct feed_entry *e, char *why,
			size_t wl)
{
	const char *o = s;
	size_t on = n;
	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	} else if (n >= 1 && s[0] == '.') {
		s++;
		n--;
	}
	if (n == 0)
		FAIL_X("empty domain", o, on);
	if (n > IOC_DOMAIN_MAX)
		FAIL_X("domain longer than 253 bytes", o, on);
	size_t label = 0, dots = 0;
	bool all_digits = true;
	for (size_t i = 0; i < n; i++) {
		int c = lc((unsigned char)s[i]);
		if (c == '.') {
			if (label == 0)
				FAIL_X("empty label in domain", o, on);
			label = 0;
			all_digits = true;
			dots++;
		} else if (is_alpha(c) || is_digit(c) || c == '-' || c == '_') {
			if (++label > 63)
				FAIL_X("domain label longer than 63 bytes", o, on);
			if (!is_digit(c))
				all_digits = false;
		} else {
			FAIL_X("bad character in domain", o, on);
		}
		e->value[i] = (char)c;
	}
	if (label == 0)
		FAIL_X("empty label in domain", o, on);
	if (all_digits)
		FAIL_X("domain's last label is a number", o, on);
	if (need_dot && dots == 0)
		FAIL_X("domain without a dot", o, on);
	e->type = IOC_DOMAIN;
	e->value[n] = '\0';
	e->value_len = n;
	return 0;
}

static int parse_url(const char *s, size_t n, struct feed_entry *e, char *why, size_t wl)
{
	const char *o = s;
	size_t on = n;
	for (size_t i = 0; i + 2 < n; i++) {
		if (s[i] == ':' && s[i + 1] == '/' && s[i + 2] == '/') {
			if (i == 0 || !is_alpha((unsigned char)s[0]))
				FAIL_X("bad URL scheme", o, on);
			for (size_t k = 1; k < i; k++) {
				int c = (unsigned char)s[k];
				if (!(is_alpha(c) || is_digit(c) || c == '+' || c == '.' || c == '-'))
					FAIL_X("bad URL scheme", o, on);
			}
			s += i + 3;
			n -= i + 3;
			break;
		}
		if (s[i] == '/' || s[i] == '?' || s[i] == '#')
			break;
	}
	size_t host = 0;
	while (host < n && s[host] != '/' && s[host] != '?' && s[host] != '#')
		host++;
	/* an empty port ("x:" + "//...") would read as a scheme next time:
	 * the stored form must parse to itself */
	if (host == 0 || s[host - 1] == ':')
		FAIL_X("URL without a host", o, on);
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (!is_graph(c) && c < 0x80)
			FAIL_X("blank in URL", o, on);
		e->value[i] = (char)(i < host ? lc(c) : c);
	}
	e->type = IOC_URL;
	e->value[n] = '\0';
	e->value_len = n;
	return 0;
}

/* 1-max bytes; graph: no blanks; else blanks inside allowed (agents) */
static bool plain_text(const char *s, size_t n, size_t max, bool graph)
{
	if (n == 0 || n > max)
		return false;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)s[i];
		if (graph ? !is_graph(c) : (c < 0x20 || c == 0x7f))
			return false;
	}
	return true;
}

static bool eth_shape(const char *s, size_t n)
{
	if (n != 42 || s[0] != '0' || lc((unsigned char)s[1]) != 'x')
		return false;
	for (size_t i = 2; i < n; i++)
		if (!is_hex((unsigned char)s[i]))
			return false;
	return true;
}

static void set_wallet(struct feed_entry *e, const char *s, size_t n)
{
	set_value(e, IOC_WALLET, s, n);
	if (eth_shape(s, n))
		for (size_t i = 0; i < n; i++)
			e->value[i] = (char)lc((unsigned char)e->value[i]);
}

static bool ja3_shape(const char *s, size_t n)
{
	if (n != 32)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_hex((unsigned char)s[i]))
			return false;
	return true;
}

static void set_ja3(struct feed_entry *e, const char *s, size_t n)
{
	set_value(e, IOC_JA3, s, n);
	for (size_t i = 0; i < n; i++)
		e->value[i] = (char)lc((unsigned char)e->value[i]);
}

/* decimal digits only, 1..10 of them; -1 otherwise */
static long long parse_number(const char *s, size_t n)
{
	if (n == 0 || n > 10)
		return -1;
	long long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_digit((unsigned char)s[i]))
			return false;
	return n > 0;
}

static void set_port(struct feed_entry *e, unsigned port)
{
	char t[8];
	int k = snprintf(t, sizeof(t), "%u", port);
	set_value(e, IOC_PORT, t, (size_t)k);
	e->port = (uint16_t)port;
}

int feed_parse_value(int type, const char *s, size_t n, struct feed_entry *e, char *why, size_t wl)
{
	trim(&s, &n);
	e->family = e->prefix = 0;
	e->port = 0;
	memset(e->addr, 0, sizeof(e->addr));
	if (n == 0)
		return fail(why, wl, "empty value");
	if (n >= FEED_VALUE_BUF - 8)
		return fail(why, wl, "value too long");
	int r;
	long long v;
	switch (type) {
	case IOC_NONE:
		r = parse_net(s, n, e);
		if (r == 0)
			return 0;
		if (r == -2)
			FAIL_X("bad prefix length (1-32, 1-128, ::ffff:0:0/96 not allowed)", s, n);
		if (ja3_shape(s, n)) {
			set_ja3(e, s, n);
			return 0;
		}
		if (stratum_wallet_type(s, n) != STRATUM_WALLET_NONE) {
			set_wallet(e, s, n);
			return 0;
		}
		v = parse_number(s, n);
		if (v >= 1 && v <= 65535) {
			set_port(e, (unsigned)v);
			return 0;
		}
		if (v >= 0 || all_digits(s, n))
			FAIL_X("port out of range 1-65535", s, n);
		if (memmem(s, n, "://", 3))
			return parse_url(s, n, e, why, wl);
		if (memchr(s, '.', n) && parse_domain(s, n, true, e, why, wl) == 0)
			return 0;
		FAIL_X("not an IP, CIDR, domain, URL, port, JA3 or wallet", s, n);
	case IOC_IP:
	case IOC_CIDR:
		r = parse_net(s, n, e);
		if (r == -2)
			FAIL_X("bad prefix length (1-32, 1-128, ::ffff:0:0/96 not allowed)", s, n);
		if (r != 0)
			FAIL_X("not an IP address or CIDR", s, n);
		return 0;
	case IOC_DOMAIN:
		return parse_domain(s, n, false, e, why, wl);
	case IOC_PORT:
		v = parse_number(s, n);
		if (v < 1 || v > 65535)
			FAIL_X("not a port 1-65535", s, n);
		set_port(e, (unsigned)v);
		return 0;
	case IOC_JA3:
		if (!ja3_shape(s, n))
			FAIL_X("not a JA3 hash (32 hex digits)", s, n);
		set_ja3(e, s, n);
		return 0;
	case IOC_WALLET:
		if (!plain_text(s, n, IOC_SHORT_MAX, true))
			FAIL_X("bad wallet (1-255 printable bytes, no blanks)", s, n);
		set_wallet(e, s, n);
		return 0;
	case IOC_AGENT:
		if (!plain_text(s, n, IOC_SHORT_MAX, false))
			FAIL_X("bad agent (1-255 bytes)", s, n);
		set_value(e, IOC_AGENT, s, n);
		return 0;
	case IOC_URL:
		return parse_url(s, n, e, why, wl);
	case IOC_ASN: {
		const char *d = s;
		size_t dn = n;
		if (dn > 2 && lc((unsigned char)d[0]) == 'a' && lc((unsigned char)d[1]) == 's') {
			d += 2;
			dn -= 2;
		}
		v = parse_number(d, dn);
		if (v < 1 || v > 4294967295LL)
			FAIL_X("not an AS number (AS1-AS4294967295)", s, n);
		char t[16];
		int k = snprintf(t, sizeof(t), "AS%lld", v);
		set_value(e, IOC_ASN, t, (size_t)k);
		return 0;
	}
	case IOC_IMAGE: {
		size_t k = feed_image_skip(s, n);
		if (k == n || !plain_text(s, n, IOC_SHORT_MAX, true))
			FAIL_X("bad image (1-255 printable bytes, no blanks)", s, n);
		set_value(e, type, s + k, n - k);
		return 0;
	}
	case IOC_NAMESPACE:
		if (!plain_text(s, n, IOC_SHORT_MAX, true))
			FAIL_X("bad value (1-255 printable bytes, no blanks)", s, n);
		set_value(e, type, s, n);
		return 0;
	default:
		return fail(why, wl, "unknown type %d", type);
	}
}

/* ---- splitting ---- */

void feed_init(struct feed_state *fs)
{
	memset(fs, 0, sizeof(*fs));
	fs->sep = '\t';
	for (int i = 0; i < FEED_COL__COUNT; i++)
		fs->col[i] = -1;
}

enum feed_split_result feed_split(struct feed_state *fs, struct cursor *buf, bool final,
				  struct cursor *line)
{
	for (;;) {
		size_t left = cur_left(buf);
		if (left == 0)
			return FEED_SPLIT_MORE;
		const uint8_t *nl = memchr(buf->p, '\n', left);
		if (fs->skipping) {
			if (!nl) {
				cur_skip(buf, left);
				return FEED_SPLIT_MORE;
			}
			cur_skip(buf, (size_t)(nl - buf->p) + 1);
			fs->skipping = false;
			continue;
		}
		size_t len = nl ? (size_t)(nl - buf->p) : left;
		if (len > IOC_LINE_MAX) {
			fs->line++;
			if (nl) {
				cur_skip(buf, len + 1);
			} else {
				cur_skip(buf, left);
				fs->skipping = !final;
			}
			return FEED_SPLIT_LONG;
		}
		if (!nl && !final)
			return FEED_SPLIT_MORE;
		*line = cur_sub(buf, len);
		cur_skip(buf, nl ? len + 1 : len);
		fs->line++;
		return FEED_SPLIT_LINE;
	}
}

/* ---- lines ---- */

/* The next field of c up to sep (or the end); c moves past the separator.
 * False when c was already empty after the last field. */
static bool next_field(struct cursor *c, uint8_t sep, bool *more, struct feed_text *f)
{
	if (!*more)
		return false;
	size_t left = cur_left(c);
	const uint8_t *s = memchr(c->p, sep, left);
	size_t n = s ? (size_t)(s - c->p) : left;
	f->p = (const char *)c->p;
	f->n = n;
	cur_skip(c, s ? n + 1 : n);
	*more = s != NULL;
	return true;
}

/* trimmed; "-" and "(empty)" (Zeek) are "not given" */
static void field_value(struct feed_text *f, bool zeek)
{
	trim(&f->p, &f->n);
	if ((f->n == 1 && f->p[0] == '-') || (zeek && f->n == 7 && memcmp(f->p, "(empty)", 7) == 0))
		f->n = 0;
}

/* Fills what the line did not give from the directive defaults. */
static void apply_defaults(const struct feed_state *fs, struct feed_entry *e)
{
	if (!e->category[0] && fs->def_category_len)
		memcpy(e->category, fs->def_category, fs->def_category_len + 1);
	if (!e->source.n && fs->def_source_len) {
		e->source.p = fs->def_source;
		e->source.n = fs->def_source_len;
	}
	if (!e->description.n && fs->def_desc_len) {
		e->description.p = fs->def_desc;
		e->description.n = fs->def_desc_len;
	}
	if (!e->severity)
		e->severity = fs->def_severity;
}

/* "#@ key=value ..." after the "#@" */
static enum feed_result directive(struct feed_state *fs, const char *s, size_t n, char *why,
				  size_t wl)
{
	/* parsed into a copy first: a bad directive changes nothing */
	struct feed_state d = *fs;
	size_t i = 0;
	bool any = false;
	for (;;) {
		while (i < n && is_blank((unsigned char)s[i]))
			i++;
		if (i == n)
			break;
		size_t k0 = i;
		while (i < n && s[i] != '=' && !is_blank((unsigned char)s[i]))
			i++;
		const char *key = s + k0;
		size_t kn = i - k0;
		if (i == n || s[i] != '=') {
			BAD_X("directive: expected key=value", key, kn);
		}
		i++;
		const char *val;
		size_t vn;
		if (i < n && s[i] == '"') {
			const char *q = memchr(s + i + 1, '"', n - i - 1);
			if (!q)
				BAD_X("directive: no closing '\"'", s + i, n - i);
			val = s + i + 1;
			vn = (size_t)(q - val);
			i = (size_t)(q - s) + 1;
		} else {
			size_t v0 = i;
			while (i < n && !is_blank((unsigned char)s[i]))
				i++;
			val = s + v0;
			vn = i - v0;
		}
		bool reset = vn == 0 || (vn == 1 && val[0] == '-');
		any = true;
		if (eq_nocase(key, kn, "category")) {
			if (reset) {
				d.def_category[0] = '\0';
				d.def_category_len = 0;
			} else if (parse_category(val, vn, d.def_category)) {
				d.def_category_len = vn;
			} else {
				BAD_X("directive: bad category ([a-z0-9._-], at most 32 bytes)", val, vn);
			}
		} else if (eq_nocase(key, kn, "severity")) {
			int sev = reset ? 0 : parse_severity(val, vn);
			if (!reset && !sev)
				BAD_X("directive: bad severity (low, medium, high or 1-3)", val, vn);
			d.def_severity = (uint8_t)sev;
		} else if (eq_nocase(key, kn, "type")) {
			int t = reset ? IOC_NONE : feed_type_by_name(val, vn);
			if (!reset && t == IOC_NONE)
				BAD_X("directive: unknown type", val, vn);
			d.def_type = (uint8_t)t;
		} else if (eq_nocase(key, kn, "source") || eq_nocase(key, kn, "description") ||
			   eq_nocase(key, kn, "desc")) {
			bool src = eq_nocase(key, kn, "source");
			char *dst = src ? d.def_source : d.def_desc;
			size_t *dl = src ? &d.def_source_len : &d.def_desc_len;
			if (vn > FEED_TEXT_MAX)
				BAD_X("directive: value longer than 255 bytes", val, vn);
			if (reset)
				vn = 0;
			memcpy(dst, val, vn);
			dst[vn] = '\0';
			*dl = vn;
		} else {
			BAD_X("directive: unknown key (category, severity, source, description, type)",
			       key, kn);
		}
	}
	if (!any)
		BAD("directive without key=value");
	*fs = d;
	return FEED_SKIP;
}

/* "#fields ..." after the "#fields" */
static enum feed_result zeek_fields(struct feed_state *fs, const char *s, size_t n, char *why,
				    size_t wl)
{
	for (int c = 0; c < FEED_COL__COUNT; c++)
		fs->col[c] = -1;
	fs->have_fields = true;
	size_t i = 0;
	int idx = 0;
	while (i < n && idx < FEED_ZEEK_COLUMNS) {
		while (i < n && (is_blank((unsigned char)s[i]) || (uint8_t)s[i] == fs->sep))
			i++;
		if (i == n)
			break;
		size_t k0 = i;
		while (i < n && !is_blank((unsigned char)s[i]) && (uint8_t)s[i] != fs->sep)
			i++;
		for (int c = 0; c < FEED_COL__COUNT; c++)
			if (fs->col[c] < 0 && i - k0 == strlen(zeek_columns[c]) &&
			    memcmp(s + k0, zeek_columns[c], i - k0) == 0)
				fs->col[c] = (int16_t)idx;
		idx++;
	}
	if (fs->col[FEED_COL_INDICATOR] < 0 || fs->col[FEED_COL_TYPE] < 0)
		BAD("#fields names no 'indicator' or no 'indicator_type' column");
	return FEED_SKIP;
}

/* "#separator X" after the "#separator" */
static void zeek_separator(struct feed_state *fs, const char *s, size_t n)
{
	trim(&s, &n);
	if (n == 4 && s[0] == '\\' && s[1] == 'x' && is_hex((unsigned char)s[2]) &&
	    is_hex((unsigned char)s[3])) {
		char h[3] = { s[2], s[3], '\0' };
		unsigned v = (unsigned)strtoul(h, NULL, 16);
		if (v != '\n' && v != 0)
			fs->sep = (uint8_t)v;
	} else if (n == 1) {
		fs->sep = (uint8_t)s[0];
	}
}

static uint32_t name_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* Whether this unused Zeek type is reported for the first time in the file. */
static bool first_unsupported(struct feed_state *fs, int known, const char *s, size_t n)
{
	if (known >= 0) {
		bool first = !(fs->unsupported_seen & (1u << known));
		fs->unsupported_seen |= 1u << known;
		return first;
	}
	uint32_t h = name_hash(s, n);
	for (unsigned i = 0; i < fs->n_unknown_seen; i++)
		if (fs->unknown_seen[i] == h)
			return false;
	if (fs->n_unknown_seen == FEED_ZEEK_NAMES)
		return false;
	fs->unknown_seen[fs->n_unknown_seen++] = h;
	return true;
}

static enum feed_result zeek_data(struct feed_state *fs, const char *s, size_t n,
				  struct feed_entry *e, char *why, size_t wl)
{
	if (!fs->have_fields)
		BAD("data line before any #fields header");
	if (fs->col[FEED_COL_INDICATOR] < 0 || fs->col[FEED_COL_TYPE] < 0)
		BAD("the #fields header names no 'indicator' or 'indicator_type' column");
	struct feed_text f[FEED_COL__COUNT];
	memset(f, 0, sizeof(f));
	struct cursor c = cur_make((const uint8_t *)s, n);
	bool more = true;
	struct feed_text fld;
	for (int idx = 0; idx < FEED_ZEEK_COLUMNS && next_field(&c, fs->sep, &more, &fld); idx++)
		for (int k = 0; k < FEED_COL__COUNT; k++)
			if (fs->col[k] == idx) {
				f[k] = fld;
				field_value(&f[k], true);
			}
	if (!f[FEED_COL_INDICATOR].n)
		BAD("missing indicator");
	if (!f[FEED_COL_TYPE].n)
		BAD("missing indicator_type");
	int type = IOC_NONE, known = -1;
	for (size_t i = 0; i < N_ZEEK_TYPES; i++)
		if (f[FEED_COL_TYPE].n == strlen(zeek_types[i].name) &&
		    memcmp(f[FEED_COL_TYPE].p, zeek_types[i].name, f[FEED_COL_TYPE].n) == 0) {
			type = zeek_types[i].type;
			known = (int)i;
		}
	if (type == IOC_NONE) {
		e->zeek_type = f[FEED_COL_TYPE];
		e->first_of_type = first_unsupported(fs, known, f[FEED_COL_TYPE].p, f[FEED_COL_TYPE].n);
		if (e->first_of_type) {
			char x[80];
			excerpt(x, sizeof(x), f[FEED_COL_TYPE].p, f[FEED_COL_TYPE].n);
			fail(why, wl, "%s indicators are not used by davy: skipped (counted)", x);
		}
		return FEED_UNSUPPORTED;
	}
	char w2[FEED_WHY_MAX];
	if (feed_parse_value(type, f[FEED_COL_INDICATOR].p, f[FEED_COL_INDICATOR].n, e, w2,
			     sizeof(w2)) != 0) {
		fail(why, wl, "%s: %s", zeek_types[known].name, w2);
		return FEED_BAD;
	}
	e->source = f[FEED_COL_SOURCE];
	e->description = f[FEED_COL_DESC];
	if (f[FEED_COL_CATEGORY].n &&
	    !parse_category(f[FEED_COL_CATEGORY].p, f[FEED_COL_CATEGORY].n, e->category)) {
		char x[80];
		excerpt(x, sizeof(x), f[FEED_COL_CATEGORY].p, f[FEED_COL_CATEGORY].n);
		BAD("bad meta.category ([a-z0-9._-], at most 32 bytes): %s", x);
	}
	if (f[FEED_COL_SEVERITY].n) {
		e->severity = (uint8_t)parse_severity(f[FEED_COL_SEVERITY].p, f[FEED_COL_SEVERITY].n);
		if (!e->severity) {
			char x[80];
			excerpt(x, sizeof(x), f[FEED_COL_SEVERITY].p, f[FEED_COL_SEVERITY].n);
			BAD("bad meta.severity (low, medium, high or 1-3): %s", x);
		}
	} else if (f[FEED_COL_CONFIDENCE].n && f[FEED_COL_CONFIDENCE].n < 32) {
		char num[32], *end;
		memcpy(num, f[FEED_COL_CONFIDENCE].p, f[FEED_COL_CONFIDENCE].n);
		num[f[FEED_COL_CONFIDENCE].n] = '\0';
		double x = strtod(num, &end);
		if (end != num && *end == '\0' && x >= 0 && x <= 100) {
			if (x <= 10)
				x *= 10;
			e->severity = x >= 85 ? IOC_SEV_HIGH : x >= 50 ? IOC_SEV_MEDIUM : IOC_SEV_LOW;
		}
	}
	apply_defaults(fs, e);
	return FEED_ENTRY;
}

static enum feed_result plain_data(struct feed_state *fs, const char *s, size_t n,
				   struct feed_entry *e, char *why, size_t wl)
{
	struct feed_text f[5];
	memset(f, 0, sizeof(f));
	struct cursor c = cur_make((const uint8_t *)s, n);
	bool more = true;
	int nf = 0;
	struct feed_text fld;
	while (next_field(&c, '\t', &more, &fld)) {
		if (nf == 5)
			BAD_X("more than 5 TAB-separated fields (value, source, category, description, severity)",
			      s, n);
		f[nf++] = fld;
	}
	struct feed_text v = f[0];
	trim(&v.p, &v.n);
	int type = fs->def_type;
	const char *colon = memchr(v.p, ':', v.n);
	if (colon) {
		int t = feed_type_by_name(v.p, (size_t)(colon - v.p));
		if (t != IOC_NONE) {
			type = t;
			v.n -= (size_t)(colon - v.p) + 1;
			v.p = colon + 1;
		}
	}
	if (feed_parse_value(type, v.p, v.n, e, why, wl) != 0)
		return FEED_BAD;
	for (int i = 1; i < 5; i++)
		field_value(&f[i], false);
	e->source = f[1];
	if (f[2].n && !parse_category(f[2].p, f[2].n, e->category))
		BAD_X("bad category ([a-z0-9._-], at most 32 bytes)", f[2].p, f[2].n);
	e->description = f[3];
	if (f[4].n) {
		e->severity = (uint8_t)parse_severity(f[4].p, f[4].n);
		if (!e->severity)
			BAD_X("bad severity (low, medium, high or 1-3)", f[4].p, f[4].n);
	}
	apply_defaults(fs, e);
	return FEED_ENTRY;
}

static bool header_word(const char *s, size_t n, const char *word, uint8_t sep)
{
	size_t k = strlen(word);
	return starts_with(s, n, word) && (n == k || is_blank((unsigned char)s[k]) || (uint8_t)s[k] == sep);
}

enum feed_result feed_line(struct feed_state *fs, struct cursor *line, struct feed_entry *e,
			   char *why, size_t wl)
{
	const char *s = (const char *)line->p;
	size_t n = cur_left(line);
	e->type = IOC_NONE;
	e->severity = 0;
	e->value[0] = '\0';
	e->value_len = 0;
	e->category[0] = '\0';
	e->source.p = e->description.p = e->zeek_type.p = NULL;
	e->source.n = e->description.n = e->zeek_type.n = 0;
	e->first_of_type = false;
	if (wl)
		why[0] = '\0';

	if (fs->line == 1 && n >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;
		n -= 3;
	}
	if (n > 0 && s[n - 1] == '\r')
		n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
			BAD("control byte 0x%02x in the line", ch);
	}
	const char *t = s;
	size_t tn = n;
	trim(&t, &tn);
	if (tn == 0)
		return FEED_SKIP;
	/* the first non-empty line that is not a directive decides the format */
	if (starts_with(t, tn, "#@"))
		return directive(fs, t + 2, tn - 2, why, wl);
	if (fs->format == FEED_FMT_UNKNOWN)
		fs->format = header_word(t, tn, "#fields", fs->sep) || header_word(t, tn, "#separator", fs->sep)
			     ? FEED_FMT_ZEEK : FEED_FMT_PLAIN;
	if (t[0] == '#') {
		if (fs->format == FEED_FMT_ZEEK) {
			if (header_word(t, tn, "#fields", fs->sep))
				return zeek_fields(fs, t + 7, tn - 7, why, wl);
			if (header_word(t, tn, "#separator", fs->sep))
				zeek_separator(fs, t + 10, tn - 10);
		}
		return FEED_SKIP;
	}
	if (fs->format == FEED_FMT_ZEEK)
		return zeek_data(fs, s, n, e, why, wl);
	return plain_data(fs, t, tn, e, why, wl);
}
