/* test_metrics.c - the metrics endpoint: address parsing, the Prometheus text
 * writer (exact output, escaping, rules, overflow), and a real server on
 * 127.0.0.1 (and ::1 where there is IPv6) spoken to with a plain socket. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "metrics.h"

/* ======================================================================
 * A validator of the text format 0.0.4, independent of the writer: every
 * line is a comment or `name{labels} value [timestamp]`, every sample's
 * family has a TYPE line before it, no family is typed twice, escapes are
 * the ones the format allows, and the text is valid UTF-8.
 * ==================================================================== */

#define VMAX_FAMILIES 1024

static bool v_name_char(char c, bool first, bool colon)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':') ||
	       (!first && c >= '0' && c <= '9');
}

/* Reads a name at *s; returns its length (0: none). */
static size_t v_name(const char *s, const char *end, bool colon)
{
	size_t n = 0;
	while (s + n < end && v_name_char(s[n], n == 0, colon))
		n++;
	return n;
}

static bool v_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		unsigned c = s[i], k, cp;
		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) k = 1, cp = c & 0x1f;
		else if ((c & 0xf0) == 0xe0) k = 2, cp = c & 0x0f;
		else if ((c & 0xf8) == 0xf0) k = 3, cp = c & 0x07;
		else return false;
		if (i + k >= n)
			return false;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		static const unsigned min[] = { 0, 0x80, 0x800, 0x10000 };
		if (cp < min[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static bool v_number(const char *s, size_t n, bool integer)
{
	char b[64];
	if (n == 0 || n >= sizeof(b))
		return false;
	memcpy(b, s, n);
	b[n] = 0;
	if (!integer && (!strcmp(b, "NaN") || !strcmp(b, "+Inf") || !strcmp(b, "-Inf")))
		return true;
	char *e;
	errno = 0;
	if (integer)
		(void)strtoll(b, &e, 10);
	else
		(void)strtod(b, &e);
	/* strtod would take "inf", "nan", hex: Prometheus' parser spells those differently */
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789+-.eE", b[i]))
			return false;
	/* a float that underflows (subnormals) is fine, one that overflows is not */
	return *e == 0 && (integer ? errno == 0 : !isinf(strtod(b, NULL)));
}

/* 0 if text is a valid exposition, else -1 with the line and what is wrong. */
static int validate(const char *text, size_t len, char *why, size_t whylen)
{
	static char typed[VMAX_FAMILIES][PROM_NAME_MAX + 1];
	size_t ntyped = 0;
	char fam[PROM_NAME_MAX + 1] = "";
	int line = 0;
#define BAD(...) do { int o_ = snprintf(why, whylen, "line %d: ", line); \
		snprintf(why + o_, whylen - (size_t)o_, __VA_ARGS__); return -1; } while (0)

	if (!v_utf8((const unsigned char *)text, len))
		BAD("not valid UTF-8");
	if (len && text[len - 1] != '\n')
		BAD("the text does not end with a newline");
	const char *s = text, *end = text + len;
	while (s < end) {
		line++;
		const char *eol = memchr(s, '\n', (size_t)(end - s));
		if (!eol)
			BAD("no newline");
		if (s == eol)
			BAD("empty line");
		if (*s == '#') {
			const char *q = s + 1;
			bool help = eol - q > 6 && !strncmp(q, " HELP ", 6);
			bool type = eol - q > 6 && !strncmp(q, " TYPE ", 6);
			if (!help && !type) { /* another comment: allowed */
				s = eol + 1;
				continue;
			}
			q += 6;
			size_t n = v_name(q, eol, true);
			if (!n || n > PROM_NAME_MAX)
				BAD("bad name in # %s", help ? "HELP" : "TYPE");
			char name[PROM_NAME_MAX + 1];
			memcpy(name, q, n);
			name[n] = 0;
			q += n;
			if (type) {
				if (*q != ' ')
					BAD("no type after the name");
				q++;
				size_t tl = (size_t)(eol - q);
				static const char *const types[] = { "counter", "gauge", "histogram",
								     "summary", "untyped" };
				bool ok = false;
				for (size_t i = 0; i < 5; i++)
					if (strlen(types[i]) == tl && !strncmp(q, types[i], tl))
						ok = true;
				if (!ok)
					BAD("unknown type '%.*s'", (int)tl, q);
				for (size_t i = 0; i < ntyped; i++)
					if (!strcmp(typed[i], name))
						BAD("second TYPE line for %s", name);
				if (ntyped == VMAX_FAMILIES)
					BAD("too many families for the validator");
				strcpy(typed[ntyped++], name);
				strcpy(fam, name);
			} else {
				if (q < eol && *q != ' ')
					BAD("no space after the HELP name");
				for (; q < eol; q++)
					if (*q == '\\') {
						if (q + 1 >= eol || (q[1] != '\\' && q[1] != 'n'))
							BAD("bad escape in HELP");
						q++;
					}
			}
			s = eol + 1;
			continue;
		}
		/* a sample */
		size_t n = v_name(s, eol, true);
		if (!n)
			BAD("a sample line does not start with a metric name");
		if (!fam[0] || strlen(fam) != n || strncmp(fam, s, n) != 0)
			BAD("sample '%.*s' has no TYPE line before it (family now: '%s')", (int)n, s,
			    fam);
		const char *q = s + n;
		if (q < eol && *q == '{') {
			q++;
			char seen[16][64];
			size_t nseen = 0;
			while (q < eol && *q != '}') {
				size_t ln = v_name(q, eol, false);
				if (!ln)
					BAD("bad label name");
				if (ln < 64 && nseen < 16) {
					for (size_t i = 0; i < nseen; i++)
						if (strlen(seen[i]) == ln && !strncmp(seen[i], q, ln))
							BAD("label given twice");
					memcpy(seen[nseen], q, ln);
					seen[nseen++][ln] = 0;
				}
				q += ln;
				if (q + 1 >= eol || q[0] != '=' || q[1] != '"')
					BAD("expected =\" after a label name");
				q += 2;
				while (q < eol && *q != '"') {
					if (*q == '\\') {
						if (q + 1 >= eol || !strchr("\\\"n", q[1]))
							BAD("bad escape in a label value");
						q++;
					}
					q++;
				}
				if (q >= eol)
					BAD("unterminated label value");
				q++;
				if (q < eol && *q == ',')
					q++;
				else if (q < eol && *q != '}')
					BAD("expected , or } after a label value");
			}
			if (q >= eol)
				BAD("unterminated label set");
			q++;
		}
		if (q >= eol || *q != ' ')
			BAD("no space before the value");
		q++;
		const char *v = q;
		while (q < eol && *q != ' ')
			q++;
		if (!v_number(v, (size_t)(q - v), false))
			BAD("bad value '%.*s'", (int)(q - v), v);
		if (q < eol) {
			q++;
			if (!v_number(q, (size_t)(eol - q), true))
				BAD("bad timestamp");
		}
		s = eol + 1;
	}
	return 0;
#undef BAD
}

static void assert_valid(const char *text, size_t len)
{
	char why[256];
	if (validate(text, len, why, sizeof(why)) != 0) {
		print_error("invalid exposition: %s\n%s\n", why, text);
		fail();
	}
}

static void test_validator_itself(void **state)
{
	(void)state;
	char why[256];
	static const char *const bad[] = {
		"x 1\n",                                   /* no TYPE */
		"# TYPE x counter\ny 1\n",                 /* other family */
		"# TYPE x counter\n# TYPE x counter\n",    /* typed twice */
		"# TYPE x counter\nx{a=\"b} 1\n",          /* unterminated */
		"# TYPE x counter\nx{a=\"\\t\"} 1\n",      /* bad escape */
		"# TYPE x counter\nx one\n",               /* bad value */
		"# TYPE x counter\nx 1",                   /* no newline */
		"# TYPE x counter\nx{a=\"\xff\"} 1\n",     /* not UTF-8 */
		"# TYPE x blob\n",                         /* bad type */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(validate(bad[i], strlen(bad[i]), why, sizeof(why)), -1);
	const char *good = "# HELP x a \\\\ b\n# TYPE x gauge\nx{a=\"\\\"\",b=\"\"} -Inf\nx 1e+30 17\n";
	assert_int_equal(validate(good, strlen(good), why, sizeof(why)), 0);
}

/* ======================================================================
 * Addresses
 * ==================================================================== */

static void test_addr_good(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		int family;
		const char *out; /* metrics_format_addr */
	} t[] = {
		{ "0.0.0.0:9477", AF_INET, "0.0.0.0:9477" },
		{ "127.0.0.1:9477", AF_INET, "127.0.0.1:9477" },
		{ "10.1.2.3:80", AF_INET, "10.1.2.3:80" },
		{ "127.0.0.1:0", AF_INET, "127.0.0.1:0" },
		{ "127.0.0.1:65535", AF_INET, "127.0.0.1:65535" },
		{ ":9477", AF_INET, "0.0.0.0:9477" },
		{ "9477", AF_INET, "0.0.0.0:9477" },
		{ "0", AF_INET, "0.0.0.0:0" },
		{ "[::]:9477", AF_INET6, "[::]:9477" },
		{ "[::1]:9477", AF_INET6, "[::1]:9477" },
		{ "[2001:db8::1]:1", AF_INET6, "[2001:db8::1]:1" },
		{ "[::ffff:127.0.0.1]:9477", AF_INET6, "[::ffff:127.0.0.1]:9477" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		char err[256] = "", out[80];
		int rc = metrics_parse_addr(t[i].in, &ss, &len, err, sizeof(err));
		if (rc != 0)
			print_error("'%s': %s\n", t[i].in, err);
		assert_int_equal(rc, 0);
		assert_int_equal(ss.ss_family, t[i].family);
		assert_int_equal(len, t[i].family == AF_INET ? sizeof(struct sockaddr_in)
							      : sizeof(struct sockaddr_in6));
		metrics_format_addr((struct sockaddr *)&ss, out, sizeof(out));
		assert_string_equal(out, t[i].out);
	}
}

static void test_addr_bad(void **state)
{
	(void)state;
	static const struct {
		const char *in;
		const char *msg; /* a part of the message */
	} t[] = {
		{ "", "empty address" },
		{ "127.0.0.1", "missing port" },
		{ "127.0.0.1:", "missing port after ':'" },
		{ "127.0.0.1:65536", "port 65536 is out of range (0..65535)" },
		{ "127.0.0.1:99999999999999999999", "out of range" },
		{ "127.0.0.1:-1", "port '-1' is not a number" },
		{ "127.0.0.1:http", "port 'http' is not a number" },
		{ "127.0.0.1:94 77", "is not a number" },
		{ "localhost:9477", "host names are not accepted" },
		{ "localhost", "host names are not accepted" },
		{ "metrics.example.com:9477", "host names are not accepted (no DNS lookups" },
		{ "300.1.2.3:9477", "bad IPv4 address '300.1.2.3'" },
		{ "1.2.3:9477", "bad IPv4 address '1.2.3'" },
		{ "::1:9477", "an IPv6 address needs brackets" },
		{ "::", "an IPv6 address needs brackets" },
		{ "[::1]", "missing port after ']'" },
		{ "[::1]9477", "expected ':PORT' after ']'" },
		{ "[::1:9477", "missing ']'" },
		{ "[]:9477", "empty IPv6 address" },
		{ "[fe80::1%eth0]:9477", "zone ids" },
		{ "[::g]:9477", "bad IPv6 address '::g'" },
		{ "[127.0.0.1]:9477", "bad IPv6 address" },
		{ "[::1]:", "missing port after ':'" },
		{ "[::1]:70000", "out of range" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct sockaddr_storage ss;
		socklen_t len = 0;
		char err[256] = "";
		int rc = metrics_parse_addr(t[i].in, &ss, &len, err, sizeof(err));
		if (rc != -1 || !strstr(err, t[i].msg))
			print_error("'%s': rc %d, message '%s', expected '%s'\n", t[i].in, rc, err,
				    t[i].msg);
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, t[i].msg));
	}
	/* NULL is an empty address */
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];
	assert_int_equal(metrics_parse_addr(NULL, &ss, &len, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "empty address"));
}

/* ======================================================================
 * The writer
 * ==================================================================== */

static const char EXAMPLE[] =
	"# HELP davy_packets_total Packets read, by worker.\n"
	"# TYPE davy_packets_total counter\n"
	"davy_packets_total{worker=\"0\"} 1234\n"
	"davy_packets_total{worker=\"1\"} 18446744073709551615\n"
	"# HELP davy_queue_fill Fill of a \\\\ queue,\\nin \"parts\".\n"
	"# TYPE davy_queue_fill gauge\n"
	"davy_queue_fill{queue=\"out \\\"main\\\"\",path=\"C:\\\\x\\nnext\"} 0.25\n"
	"# TYPE davy:up gauge\n"
	"davy:up 1\n";

static void write_example(struct prom *p)
{
	const char *const w0[] = { "worker", "0", NULL };
	const char *const w1[] = { "worker", "1", NULL };
	const char *const q[] = { "queue", "out \"main\"", "path", "C:\\x\nnext", NULL };
	prom_family(p, "davy_packets_total", PROM_COUNTER, "Packets read, by worker.");
	prom_u64(p, "davy_packets_total", w0, 1234);
	prom_u64(p, "davy_packets_total", w1, UINT64_MAX);
	prom_family(p, "davy_queue_fill", PROM_GAUGE, "Fill of a \\ queue,\nin \"parts\".");
	prom_f64(p, "davy_queue_fill", q, 0.25);
	prom_family(p, "davy:up", PROM_GAUGE, NULL);
	prom_u64(p, "davy:up", NULL, 1);
}

static void test_writer_example(void **state)
{
	(void)state;
	char buf[1024];
	struct prom p;
	prom_init(&p, buf, sizeof(buf));
	assert_string_equal(buf, "");
	write_example(&p);
	assert_true(prom_ok(&p));
	assert_string_equal(buf, EXAMPLE);
	assert_int_equal(p.len, strlen(EXAMPLE));
	assert_valid(buf, p.len);
}

static const char *f64_text(double v, char *buf, size_t cap)
{
	struct prom p;
	prom_init(&p, buf, cap);
	prom_family(&p, "x", PROM_GAUGE, NULL);
	size_t mark = p.len;
	prom_f64(&p, "x", NULL, v);
	assert_true(prom_ok(&p));
	assert_valid(buf, p.len);
	buf[p.len - 1] = 0; /* the newline */
	return buf + mark + 2;
}

static void test_writer_values(void **state)
{
	(void)state;
	char b[128];
	assert_string_equal(f64_text(0.25, b, sizeof(b)), "0.25");
	assert_string_equal(f64_text(0.1, b, sizeof(b)), "0.1");
	assert_string_equal(f64_text(0, b, sizeof(b)), "0");
	assert_string_equal(f64_text(-3, b, sizeof(b)), "-3");
	assert_string_equal(f64_text(1e300, b, sizeof(b)), "1e+300");
	assert_string_equal(f64_text(NAN, b, sizeof(b)), "NaN");
	assert_string_equal(f64_text(INFINITY, b, sizeof(b)), "+Inf");
	assert_string_equal(f64_text(-INFINITY, b, sizeof(b)), "-Inf");
	const double hard[] = { 1.0 / 3, 2.0 / 3, 5e-324, 1.7976931348623157e308, 123456789.123 };
	for (size_t i = 0; i < sizeof(hard) / sizeof(hard[0]); i++)
		assert_true(strtod(f64_text(hard[i], b, sizeof(b)), NULL) == hard[i]);
}

/* The label value `in` comes out as `want` (between the quotes). */
static void expect_label(const char *in, const char *want)
{
	char buf[256], exp[256];
	struct prom p;
	const char *const lb[] = { "l", in, NULL };
	prom_init(&p, buf, sizeof(buf));
	prom_family(&p, "m", PROM_GAUGE, NULL);
	prom_u64(&p, "m", lb, 7);
	assert_true(prom_ok(&p));
	snprintf(exp, sizeof(exp), "# TYPE m gauge\nm{l=\"%s\"} 7\n", want);
	assert_string_equal(buf, exp);
	assert_valid(buf, p.len);
}

static void test_writer_escaping(void **state)
{
	(void)state;
	expect_label("", "");
	expect_label("plain", "plain");
	expect_label("a\\b", "a\\\\b");
	expect_label("say \"hi\"", "say \\\"hi\\\"");
	expect_label("two\nlines", "two\\nlines");
	expect_label("tab\tcr\r", "tab\tcr\r"); /* only \\, \" and \n are escaped */
	expect_label("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	/* not UTF-8: each bad byte becomes U+FFFD */
	expect_label("a\xff" "b", "a\xef\xbf\xbd" "b");
	expect_label("\xc0\xaf", "\xef\xbf\xbd\xef\xbf\xbd");                /* overlong '/' */
	expect_label("\xed\xa0\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* a surrogate */
	expect_label("\xe2\x82", "\xef\xbf\xbd\xef\xbf\xbd");                /* cut short */
	expect_label("\xf4\x90\x80\x80", "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"); /* > U+10FFFF */

	/* HELP: backslash and newline escaped, quotes as they are */
	char buf[256];
	struct prom p;
	prom_init(&p, buf, sizeof(buf));
	prom_family(&p, "h", PROM_COUNTER, "a \"b\" \\c\nd \xff");
	assert_true(prom_ok(&p));
	assert_string_equal(buf, "# HELP h a \"b\" \\\\c\\nd \xef\xbf\xbd\n# TYPE h counter\n");
	assert_valid(buf, p.len);
}

static void test_writer_overflow(void **state)
{
	(void)state;
	/* Every cut of the example keeps whole units and sets overflow. */
	const size_t full = strlen(EXAMPLE);
	for (size_t cap = 0; cap <= full + 1; cap++) {
		char *buf = malloc(cap ? cap : 1);
		assert_non_null(buf);
		struct prom p;
		prom_init(&p, cap ? buf : NULL, cap);
		write_example(&p);
		assert_false(p.invalid);
		if (cap == full + 1) {
			assert_false(p.overflow);
			assert_string_equal(buf, EXAMPLE);
		} else {
			assert_true(p.overflow);
			assert_false(prom_ok(&p));
			if (cap) {
				assert_int_equal(strlen(buf), p.len);
				assert_memory_equal(buf, EXAMPLE, p.len); /* a prefix ... */
				/* ... of whole units: it ends a line, and not a family's
				 * HELP line (HELP and TYPE go together) */
				assert_true(p.len == 0 || buf[p.len - 1] == '\n');
				const char *last = buf;
				for (size_t i = 0; i + 1 < p.len; i++)
					if (buf[i] == '\n')
						last = buf + i + 1;
				assert_true(p.len == 0 || strncmp(last, "# HELP", 6) != 0);
				if (p.len < full)
					assert_valid(buf, p.len);
			}
		}
		free(buf);
	}
	/* after an overflow nothing more is written, even what would fit */
	char small[48];
	struct prom p;
	prom_init(&p, small, sizeof(small));
	prom_family(&p, "x", PROM_GAUGE, NULL);
	const char *const big[] = { "l", "0123456789012345678901234567890123456789", NULL };
	prom_u64(&p, "x", big, 1);
	assert_true(p.overflow);
	assert_string_equal(small, "# TYPE x gauge\n");
	prom_u64(&p, "x", NULL, 1);
	prom_family(&p, "y", PROM_GAUGE, NULL);
	assert_string_equal(small, "# TYPE x gauge\n");
	assert_false(p.invalid);
}

/* A call that breaks a rule sets invalid with `why` and writes nothing. */
static void test_writer_rules(void **state)
{
	(void)state;
	enum { FAMILY, SAMPLE };
	static const struct {
		int kind;
		const char *name;
		const char *l1, *v1, *l2, *v2;
		const char *why;
	} t[] = {
		{ FAMILY, "", NULL, NULL, NULL, NULL, "invalid metric name ''" },
		{ FAMILY, "1abc", NULL, NULL, NULL, NULL, "invalid metric name '1abc'" },
		{ FAMILY, "a-b", NULL, NULL, NULL, NULL, "invalid metric name 'a-b'" },
		{ FAMILY, "a b", NULL, NULL, NULL, NULL, "invalid metric name" },
		{ FAMILY, "fam", NULL, NULL, NULL, NULL, "family 'fam' opened twice" },
		{ SAMPLE, "other", NULL, NULL, NULL, NULL, "sample 'other' in family 'fam'" },
		{ SAMPLE, "fam", "a:b", "1", NULL, NULL, "invalid label name 'a:b'" },
		{ SAMPLE, "fam", "9x", "1", NULL, NULL, "invalid label name '9x'" },
		{ SAMPLE, "fam", "", "1", NULL, NULL, "invalid label name ''" },
		{ SAMPLE, "fam", "__name__", "1", NULL, NULL, "reserved" },
		{ SAMPLE, "fam", "a", NULL, NULL, NULL, "label 'a' has no value" },
		{ SAMPLE, "fam", "a", "1", "a", "2", "label 'a' given twice" },
	};
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		char buf[256];
		struct prom p;
		prom_init(&p, buf, sizeof(buf));
		prom_family(&p, "fam", PROM_GAUGE, "h");
		assert_true(prom_ok(&p));
		size_t len = p.len;
		const char *lb[5] = { t[i].l1, t[i].v1, t[i].l2, t[i].v2, NULL };
		if (t[i].kind == FAMILY)
			prom_family(&p, t[i].name, PROM_GAUGE, "h");
		else
			prom_u64(&p, t[i].name, t[i].l1 ? lb : NULL, 1);
		if (!p.invalid || !strstr(p.why, t[i].why))
			print_error("case %zu: invalid %d why '%s', expected '%s'\n", i, p.invalid,
				    p.why, t[i].why);
		assert_true(p.invalid);
		assert_non_null(strstr(p.why, t[i].why));
		assert_int_equal(p.len, len);
		assert_int_equal(strlen(buf), len);
		/* and nothing after it */
		prom_u64(&p, "fam", NULL, 1);
		assert_int_equal(p.len, len);
		assert_false(p.overflow);
	}

	/* a sample before any family */
	char buf[256];
	struct prom p;
	prom_init(&p, buf, sizeof(buf));
	prom_u64(&p, "x", NULL, 1);
	assert_true(p.invalid);
	assert_non_null(strstr(p.why, "before any family"));
	assert_int_equal(p.len, 0);

	/* names: the longest accepted, one more refused */
	char name[PROM_NAME_MAX + 2], big[512];
	memset(name, 'n', sizeof(name));
	name[PROM_NAME_MAX] = 0;
	prom_init(&p, big, sizeof(big));
	prom_family(&p, name, PROM_GAUGE, NULL);
	prom_u64(&p, name, NULL, 1);
	assert_true(prom_ok(&p));
	name[PROM_NAME_MAX] = 'n';
	name[PROM_NAME_MAX + 1] = 0;
	prom_family(&p, name, PROM_GAUGE, NULL);
	assert_true(p.invalid);
	assert_non_null(strstr(p.why, "longer than"));
}

static void test_writer_many_families(void **state)
{
	(void)state;
	size_t cap = 64 * (PROM_FAMILIES_MAX + 1);
	char *buf = malloc(cap);
	assert_non_null(buf);
	struct prom p;
	prom_init(&p, buf, cap);
	char name[32];
	for (int i = 0; i < PROM_FAMILIES_MAX; i++) {
		snprintf(name, sizeof(name), "f_%d", i);
		prom_family(&p, name, i % 2 ? PROM_GAUGE : PROM_COUNTER, NULL);
		prom_u64(&p, name, NULL, (uint64_t)i);
	}
	assert_true(prom_ok(&p));
	assert_valid(buf, p.len);
	/* each name again is a duplicate (the table is full, not confused) */
	prom_family(&p, "f_17", PROM_GAUGE, NULL);
	assert_true(p.invalid);
	p.invalid = false;
	prom_family(&p, "f_extra", PROM_GAUGE, NULL);
	assert_true(p.invalid);
	assert_non_null(strstr(p.why, "more than"));
	free(buf);
}

/* ======================================================================
 * The server
 * ==================================================================== */

enum { R_NORMAL, R_FAIL, R_BADNAME };

/* What the callbacks read: atomics, since they run on the server's thread. */
struct tctx {
	atomic_int mode;
	atomic_bool healthy;
	atomic_uint renders;
};

/* A normal, healthy context that has rendered nothing yet. */
static void tctx_init(struct tctx *t)
{
	atomic_init(&t->mode, R_NORMAL);
	atomic_init(&t->healthy, true);
	atomic_init(&t->renders, 0);
}

static const char WHY_DOWN[] = "redis: nothing delivered for 61 s";

static int render(void *vctx, struct prom *p)
{
	struct tctx *t = vctx;
	atomic_fetch_add(&t->renders, 1);
	int mode = atomic_load(&t->mode);
	if (mode == R_FAIL)
		return -1;
	write_example(p);
	if (mode == R_BADNAME)
		prom_family(p, "bad-name", PROM_GAUGE, NULL);
	return 0;
}

static bool health(void *vctx, char *why, size_t whylen)
{
	struct tctx *t = vctx;
	if (atomic_load(&t->healthy))
		return true;
	snprintf(why, whylen, "%s", WHY_DOWN);
	return false;
}

struct resp {
	char raw[65536];
	size_t len;
	int status;
	const char *body; /* into raw */
	size_t body_len;
};

/* Sends req to the server on addr:port and reads until the server closes.
 * 0, or -1 if it could not connect. */
static int http_from(const char *src, int family, const char *addr, int port, const char *req,
		     struct resp *r)
{
	struct sockaddr_storage ss;
	socklen_t len;
	memset(&ss, 0, sizeof(ss));
	if (family == AF_INET) {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;
		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		inet_pton(AF_INET, addr, &a->sin_addr);
		len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, addr, &a->sin6_addr);
		len = sizeof(*a);
	}
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct timeval tv = { .tv_sec = 5 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (src) { /* IPv4 only */
		struct sockaddr_in b = { .sin_family = AF_INET };
		inet_pton(AF_INET, src, &b.sin_addr);
		if (bind(fd, (struct sockaddr *)&b, sizeof(b)) < 0) {
			close(fd);
			return -1;
		}
	}
	if (connect(fd, (struct sockaddr *)&ss, len) < 0) {
		close(fd);
		return -1;
	}
	size_t n = strlen(req), off = 0;
	while (off < n) {
		ssize_t w = send(fd, req + off, n - off, MSG_NOSIGNAL);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	r->len = 0;
	for (;;) {
		ssize_t k = recv(fd, r->raw + r->len, sizeof(r->raw) - 1 - r->len, 0);
		if (k <= 0)
			break;
		r->len += (size_t)k;
		if (r->len == sizeof(r->raw) - 1)
			break;
	}
	close(fd);
	r->raw[r->len] = 0;
	r->status = 0;
	r->body = NULL;
	r->body_len = 0;
	if (r->len > 12 && !strncmp(r->raw, "HTTP/1.", 7))
		r->status = atoi(r->raw + 9);
	const char *sep = strstr(r->raw, "\r\n\r\n");
	if (sep) {
		r->body = sep + 4;
		r->body_len = r->len - (size_t)(r->body - r->raw);
	}
	return 0;
}

static int http_to(int family, const char *addr, int port, const char *req, struct resp *r)
{
	return http_from(NULL, family, addr, port, req, r);
}

static void http(int port, const char *req, struct resp *r)
{
	assert_int_equal(http_to(AF_INET, "127.0.0.1", port, req, r), 0);
	assert_non_null(r->body); /* a whole header */
}

/* The value of header `name` (case-insensitive), or NULL. */
static const char *header(const struct resp *r, const char *name, char *out, size_t cap)
{
	const char *s = strstr(r->raw, "\r\n");
	size_t nl = strlen(name);
	while (s && s + 2 < r->body) {
		s += 2;
		const char *e = strstr(s, "\r\n");
		if (!e)
			break;
		if ((size_t)(e - s) > nl + 1 && !strncasecmp(s, name, nl) && s[nl] == ':') {
			const char *v = s + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(out, cap, "%.*s", (int)(e - v), v);
			return out;
		}
		s = e;
	}
	return NULL;
}

static struct metrics_server *start_local(struct tctx *t, size_t buf_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];
	assert_int_equal(metrics_parse_addr("127.0.0.1:0", &ss, &len, err, sizeof(err)), 0);
	struct metrics_server *s = metrics_start((struct sockaddr *)&ss, len, buf_size, render,
						 health, t, err, sizeof(err));
	if (!s)
		print_error("metrics_start: %s\n", err);
	assert_non_null(s);
	assert_true(metrics_port(s) > 0);
	return s;
}

static void test_server_metrics(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t);
	struct metrics_server *s = start_local(&t, 0);
	int port = metrics_port(s);
	struct resp *r = malloc(sizeof(*r));
	char h[256];

	/* what the render callback produces, written here the same way */
	char want[2048];
	struct prom p;
	prom_init(&p, want, sizeof(want));
	render(&t, &p);
	assert_true(prom_ok(&p));

	http(port, "GET /metrics HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 200);
	assert_non_null(header(r, "Content-Type", h, sizeof(h)));
	assert_string_equal(h, "text/plain; version=0.0.4; charset=utf-8");
	assert_non_null(header(r, "Content-Length", h, sizeof(h)));
	assert_int_equal(atoi(h), p.len);
	assert_int_equal(r->body_len, p.len);
	assert_memory_equal(r->body, want, p.len);
	assert_valid(r->body, r->body_len);

	/* HTTP/1.1 with Host and Connection: close, a query string */
	http(port, "GET /metrics?name[]=x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", r);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body_len, p.len);
	assert_memory_equal(r->body, want, p.len);

	/* HEAD: the headers, no body */
	http(port, "HEAD /metrics HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 200);
	assert_non_null(header(r, "Content-Type", h, sizeof(h)));
	assert_string_equal(h, "text/plain; version=0.0.4; charset=utf-8");
	assert_int_equal(r->body_len, 0);

	/* a body on a GET is read and dropped */
	http(port, "GET /metrics HTTP/1.0\r\nContent-Length: 4\r\n\r\nabcd", r);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body_len, p.len);

	/* HTTP/1.1 keep-alive: two requests on one connection (pipelined), the
	 * first answer leaves it open */
	http(port, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
		   "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", r);
	assert_int_equal(r->status, 200);
	assert_true(!header(r, "Connection", h, sizeof(h)) || strcasecmp(h, "close") != 0);
	const char *second = strstr(r->body, "HTTP/1.1 200 OK\r\n");
	assert_non_null(second);
	assert_memory_equal(r->body, want, p.len);
	assert_ptr_equal(second, r->body + p.len);
	const char *body2 = strstr(second, "\r\n\r\n");
	assert_non_null(body2);
	assert_int_equal(strlen(body2 + 4), p.len);
	assert_memory_equal(body2 + 4, want, p.len);

	struct metrics_counters c;
	metrics_counters(s, &c);
	assert_int_equal(c.requests, 6);
	assert_int_equal(c.metrics_served, 6);
	assert_int_equal(c.log_messages, 0);
	assert_int_equal(c.bytes_max, p.len);
	assert_int_equal(c.errors + c.overflows + c.not_found + c.bad_method, 0);
	metrics_stop(s);
	free(r);
}

static void test_server_health(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t);
	struct metrics_server *s = start_local(&t, 0);
	int port = metrics_port(s);
	struct resp *r = malloc(sizeof(*r));
	char h[256];

	http(port, "GET /healthz HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body_len, 3);
	assert_memory_equal(r->body, "ok\n", 3);
	assert_non_null(header(r, "Content-Type", h, sizeof(h)));
	assert_string_equal(h, "text/plain; charset=utf-8");

	atomic_store(&t.healthy, false);
	http(port, "GET /healthz HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 503);
	assert_int_equal(r->body_len, strlen(WHY_DOWN) + 1);
	assert_memory_equal(r->body, WHY_DOWN, strlen(WHY_DOWN));
	assert_int_equal(r->body[strlen(WHY_DOWN)], '\n');

	http(port, "HEAD /healthz HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 503);
	assert_int_equal(r->body_len, 0);

	atomic_store(&t.healthy, true);
	http(port, "GET /healthz HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 200);

	struct metrics_counters c;
	metrics_counters(s, &c);
	assert_int_equal(c.requests, 4);
	assert_int_equal(c.health_served, 4);
	assert_int_equal(c.health_failed, 2);
	assert_int_equal(atomic_load(&t.renders), 0);
	metrics_stop(s);

	/* no health callback: always healthy */
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];
	assert_int_equal(metrics_parse_addr("127.0.0.1:0", &ss, &len, err, sizeof(err)), 0);
	s = metrics_start((struct sockaddr *)&ss, len, 4096, render, NULL, &t, err, sizeof(err));
	assert_non_null(s);
	http(metrics_port(s), "GET /healthz HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 200);
	metrics_stop(s);
	free(r);
}

static void test_server_errors(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t);
	struct metrics_server *s = start_local(&t, 0);
	int port = metrics_port(s);
	struct resp *r = malloc(sizeof(*r));
	char h[256];

	/* unknown paths: 404 naming the two that exist */
	static const char *const paths[] = { "/", "/metric", "/metrics/", "/healthz/x", "/METRICS" };
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		char req[128];
		snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\n\r\n", paths[i]);
		http(port, req, r);
		assert_int_equal(r->status, 404);
		assert_non_null(strstr(r->body, "/metrics"));
		assert_non_null(strstr(r->body, "/healthz"));
	}

	/* other methods: 405 with Allow */
	http(port, "POST /metrics HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", r);
	assert_int_equal(r->status, 405);
	assert_non_null(header(r, "Allow", h, sizeof(h)));
	assert_string_equal(h, "GET, HEAD");
	http(port, "DELETE /healthz HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 405);
	http(port, "PUT /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 3\r\n\r\nabc", r);
	assert_int_equal(r->status, 405);

	/* the render callback fails */
	atomic_store(&t.mode, R_FAIL);
	http(port, "GET /metrics HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 500);
	assert_non_null(strstr(r->body, "render failed"));

	/* the render callback breaks a writer rule: 500 saying which */
	atomic_store(&t.mode, R_BADNAME);
	http(port, "GET /metrics HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 500);
	assert_non_null(strstr(r->body, "invalid metric name 'bad-name'"));

	atomic_store(&t.mode, R_NORMAL);
	http(port, "GET /metrics HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 200);

	struct metrics_counters c;
	metrics_counters(s, &c);
	assert_int_equal(c.requests, 5 + 3 + 3);
	assert_int_equal(c.not_found, 5);
	assert_int_equal(c.bad_method, 3);
	assert_int_equal(c.errors, 2);
	assert_int_equal(c.overflows, 0);
	assert_int_equal(c.metrics_served, 1);
	assert_int_equal(c.log_messages, 0);
	metrics_stop(s);
	free(r);
}

static void test_server_overflow(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t);
	struct metrics_server *s = start_local(&t, 100); /* the example is longer */
	struct resp *r = malloc(sizeof(*r));
	http(metrics_port(s), "GET /metrics HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 500);
	assert_non_null(strstr(r->body, "exceeds its 100-byte buffer"));
	/* the health probe still answers */
	http(metrics_port(s), "GET /healthz HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 200);
	struct metrics_counters c;
	metrics_counters(s, &c);
	assert_int_equal(c.overflows, 1);
	assert_int_equal(c.errors, 0);
	assert_int_equal(c.metrics_served, 0);
	metrics_stop(s);

	/* exactly big enough (the text and its NUL) */
	s = start_local(&t, sizeof(EXAMPLE));
	http(metrics_port(s), "GET /metrics HTTP/1.0\r\n\r\n", r);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body_len, strlen(EXAMPLE));
	metrics_stop(s);
	free(r);
}

struct client_arg {
	int port;
	int ok;
	const char *want;
	size_t want_len;
};

static void *client(void *varg)
{
	struct client_arg *a = varg;
	struct resp *r = malloc(sizeof(*r));
	for (int i = 0; r && i < 25; i++) {
		const char *req = i % 5 == 4 ? "GET /healthz HTTP/1.0\r\n\r\n" : "GET /metrics HTTP/1.0\r\n\r\n";
		if (http_to(AF_INET, "127.0.0.1", a->port, req, r) != 0)
			continue;
		if (i % 5 == 4 ? r->status == 200
			       : r->status == 200 && r->body_len == a->want_len &&
					 !memcmp(r->body, a->want, a->want_len))
			a->ok++;
	}
	free(r);
	return NULL;
}

/* Several clients at once: every answer whole and right (and, under
 * ThreadSanitizer, no race on the one render buffer). */
static void test_server_concurrent(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t);
	struct metrics_server *s = start_local(&t, 0);
	enum { N = 4 };
	pthread_t th[N];
	struct client_arg a[N];
	for (int i = 0; i < N; i++) {
		a[i] = (struct client_arg){ metrics_port(s), 0, EXAMPLE, strlen(EXAMPLE) };
		assert_int_equal(pthread_create(&th[i], NULL, client, &a[i]), 0);
	}
	for (int i = 0; i < N; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(a[i].ok, 25);
	}
	struct metrics_counters c;
	metrics_counters(s, &c);
	assert_int_equal(c.requests, N * 25);
	assert_int_equal(c.metrics_served, N * 20);
	assert_int_equal(c.health_served, N * 5);
	assert_int_equal(atomic_load(&t.renders), N * 20);
	metrics_stop(s);
}

/* One address holds at most METRICS_CONN_PER_IP connections: idle ones from
 * 127.0.0.1 do not keep a probe from 127.0.0.2 out. */
static void test_server_conn_limits(void **state)
{
	(void)state;
	struct tctx t;
	tctx_init(&t);
	struct metrics_server *s = start_local(&t, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)metrics_port(s)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	enum { N = METRICS_CONN_PER_IP + 3 };
	int fd[N];
	for (int i = 0; i < N; i++) {
		fd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		assert_true(fd[i] >= 0);
		assert_int_equal(connect(fd[i], (struct sockaddr *)&a, sizeof(a)), 0);
	}
	/* the ones over the limit are closed by the server, the others wait */
	int closed = 0;
	bool gone[N] = { false };
	for (int round = 0; round < 100 && closed < N - METRICS_CONN_PER_IP; round++) {
		usleep(20 * 1000);
		for (int i = 0; i < N; i++) {
			char c;
			if (!gone[i] && recv(fd[i], &c, 1, MSG_DONTWAIT) == 0) {
				gone[i] = true;
				closed++;
			}
		}
	}
	usleep(50 * 1000); /* and no more than those */
	for (int i = 0; i < N; i++) {
		char c;
		if (!gone[i] && recv(fd[i], &c, 1, MSG_DONTWAIT) == 0)
			closed++;
	}
	assert_int_equal(closed, N - METRICS_CONN_PER_IP);

	struct resp *r = malloc(sizeof(*r));
	if (http_from("127.0.0.2", AF_INET, "127.0.0.1", metrics_port(s),
		      "GET /healthz HTTP/1.0\r\n\r\n", r) == 0) {
		assert_int_equal(r->status, 200);
	} else {
		print_message("no 127.0.0.2 here: the other-address probe is skipped\n");
	}
	for (int i = 0; i < N; i++)
		close(fd[i]);
	/* the slots come back (once the server has seen the closes) */
	r->status = 0;
	for (int i = 0; i < 50 && r->status != 200; i++) {
		if (i)
			usleep(20 * 1000);
		http_to(AF_INET, "127.0.0.1", metrics_port(s), "GET /healthz HTTP/1.0\r\n\r\n", r);
	}
	assert_int_equal(r->status, 200);
	struct metrics_counters c;
	metrics_counters(s, &c);
	assert_true(c.log_messages >= N - METRICS_CONN_PER_IP);
	metrics_stop(s);
	free(r);
}

static void test_server_port_in_use(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 1), 0);
	socklen_t len = sizeof(a);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);

	char in[64], err[256] = "", want[128];
	struct sockaddr_storage ss;
	socklen_t sl;
	snprintf(in, sizeof(in), "127.0.0.1:%u", ntohs(a.sin_port));
	assert_int_equal(metrics_parse_addr(in, &ss, &sl, err, sizeof(err)), 0);
	struct tctx t;
	tctx_init(&t);
	struct metrics_server *s =
		metrics_start((struct sockaddr *)&ss, sl, 0, render, health, &t, err, sizeof(err));
	assert_null(s);
	snprintf(want, sizeof(want), "metrics %s: cannot bind: ", in);
	print_message("port in use: %s\n", err);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, strerror(EADDRINUSE)));
	assert_non_null(strstr(err, "another process"));
	close(fd);

	/* an address no interface has (TEST-NET-1) */
	assert_int_equal(metrics_parse_addr("192.0.2.1:0", &ss, &sl, err, sizeof(err)), 0);
	s = metrics_start((struct sockaddr *)&ss, sl, 0, render, health, &t, err, sizeof(err));
	assert_null(s);
	assert_non_null(strstr(err, "metrics 192.0.2.1:0: cannot bind: "));
	assert_non_null(strstr(err, "no local interface"));

	/* no render function; not an IP address */
	assert_int_equal(metrics_parse_addr("127.0.0.1:0", &ss, &sl, err, sizeof(err)), 0);
	assert_null(metrics_start((struct sockaddr *)&ss, sl, 0, NULL, health, &t, err, sizeof(err)));
	assert_non_null(strstr(err, "no render function"));
	struct sockaddr un = { .sa_family = AF_UNIX };
	assert_null(metrics_start(&un, sizeof(un), 0, render, health, &t, err, sizeof(err)));
	assert_non_null(strstr(err, "not an IPv4 or IPv6"));
	metrics_stop(NULL);
}

static bool have_ipv6_loopback(void)
{
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
		return false;
	struct sockaddr_in6 a = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT };
	bool ok = bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return ok;
}

static void test_server_ipv6(void **state)
{
	(void)state;
	if (!have_ipv6_loopback())
		skip();
	struct tctx t;
	tctx_init(&t);
	struct resp *r = malloc(sizeof(*r));
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];

	/* [::1]: IPv6 only there */
	assert_int_equal(metrics_parse_addr("[::1]:0", &ss, &len, err, sizeof(err)), 0);
	struct metrics_server *s =
		metrics_start((struct sockaddr *)&ss, len, 0, render, health, &t, err, sizeof(err));
	if (!s)
		print_error("%s\n", err);
	assert_non_null(s);
	assert_int_equal(http_to(AF_INET6, "::1", metrics_port(s), "GET /metrics HTTP/1.0\r\n\r\n", r), 0);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->body_len, strlen(EXAMPLE));
	metrics_stop(s);

	/* [::]: dual-stack, so IPv4 clients reach it too */
	assert_int_equal(metrics_parse_addr("[::]:0", &ss, &len, err, sizeof(err)), 0);
	s = metrics_start((struct sockaddr *)&ss, len, 0, render, health, &t, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(http_to(AF_INET6, "::1", metrics_port(s), "GET /healthz HTTP/1.0\r\n\r\n", r), 0);
	assert_int_equal(r->status, 200);
	assert_int_equal(http_to(AF_INET, "127.0.0.1", metrics_port(s), "GET /healthz HTTP/1.0\r\n\r\n", r), 0);
	assert_int_equal(r->status, 200);
	metrics_stop(s);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_validator_itself),
		cmocka_unit_test(test_addr_good),
		cmocka_unit_test(test_addr_bad),
		cmocka_unit_test(test_writer_example),
		cmocka_unit_test(test_writer_values),
		cmocka_unit_test(test_writer_escaping),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_writer_rules),
		cmocka_unit_test(test_writer_many_families),
		cmocka_unit_test(test_server_metrics),
		cmocka_unit_test(test_server_health),
		cmocka_unit_test(test_server_errors),
		cmocka_unit_test(test_server_overflow),
		cmocka_unit_test(test_server_concurrent),
		cmocka_unit_test(test_server_conn_limits),
		cmocka_unit_test(test_server_port_in_use),
		cmocka_unit_test(test_server_ipv6),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
