/* fuzz_feed.c - libFuzzer target: arbitrary bytes as one indicator feed
 * file (plain or Zeek format, decided by its content as for any file)
 * through the loader (proto/feed.c, sensor/ioc.c), then lookups.
 *
 * The input is the feed file itself (the seeds are ordinary feed files). It
 * is loaded three times: whole with ioc_load_buffer(), and through
 * ioc_load_stream() in chunks of 1 + size % 61 bytes and of 4093 bytes (so
 * lines and over-long lines are cut everywhere). The three sets must have
 * the same counters and the same indicators in the same order. One input
 * in three loads into a set bounded to 1 + size % 16 indicators, so the
 * count bound runs too. Every chunk is copied into a buffer of exactly its
 * size, so AddressSanitizer reports any read past it. Then:
 *  - the counters add up (ioc.h): lines = comments + good + bad +
 *    unsupported, good = stored + duplicates + over_limit, the sum of
 *    by_type = stored = ioc_set_count();
 *  - every indicator is well-formed (strings NUL-terminated and of the
 *    right length, category not empty, severity 1-3, addresses masked to
 *    their prefix) and is found by its own lookups: ioc_find_exact()
 *    returns it; a domain, port, JA3 or wallet lookup returns it; an
 *    address lookup returns a network at least as specific that holds it;
 *    an agent lookup returns some pattern;
 *  - lookups of values taken from the input (the first 64 lines, the first
 *    128 blank-, TAB- or ':'-separated tokens, the 4 and 16 bytes at each of
 *    the first 256 offsets) do not crash, and what they
 *    return matches the query (a domain is the query or one of its suffixes
 *    after a '.', a network holds the address).
 * Messages must be one line of printable bytes. A violation prints what
 * failed and abort()s, which libFuzzer reports as a crash with the input.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ioc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "fuzz_feed: invariant violated: %s (line %d)\n", \
				#cond, __LINE__);                          \
			abort();                                           \
		}                                                          \
	} while (0)

static void on_msg(void *arg, const char *msg)
{
	(void)arg;
	CHECK(msg != NULL);
	for (const char *p = msg; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

struct reader {
	const uint8_t *p;
	size_t left, chunk;
};

static long rd(void *arg, uint8_t *buf, size_t cap)
{
	struct reader *r = arg;
	size_t n = r->left < r->chunk ? r->left : r->chunk;
	if (n > cap)
		n = cap;
	if (n) {
		uint8_t *copy = malloc(n);
		if (!copy)
			return -1;
		memcpy(copy, r->p, n);
		memcpy(buf, copy, n);
		free(copy);
	}
	r->p += n;
	r->left -= n;
	return (long)n;
}

static void check_sums(const struct ioc_stats *st, const struct ioc_set *s)
{
	CHECK(st->lines == st->comments + st->good + st->bad + st->unsupported);
	CHECK(st->good == st->stored + st->duplicates + st->over_limit);
	CHECK(st->long_lines <= st->bad);
	uint64_t sum = 0;
	for (int t = 0; t < IOC_TYPE__COUNT; t++)
		sum += st->by_type[t];
	CHECK(st->by_type[IOC_NONE] == 0);
	CHECK(sum == st->stored);
	CHECK(st->stored == ioc_set_count(s));
	CHECK(st->files == 1 && st->errors == 0);
}

static bool masked(const struct ioc *c)
{
	int bits = c->family == 4 ? 32 : 128;
	for (int b = c->prefix; b < 128; b++)
		if (c->addr[b / 8] & (0x80u >> (b % 8)))
			return false;
	return c->prefix >= 1 && c->prefix <= bits;
}

/* whether network n holds address a (16 bytes, v4 in the first 4) */
static bool holds(const struct ioc *n, int family, const uint8_t *a)
{
	if (n->family != family)
		return false;
	for (int b = 0; b < n->prefix; b++) {
		unsigned m = 0x80u >> (b % 8);
		if ((n->addr[b / 8] & m) != (a[b / 8] & m))
			return false;
	}
	return true;
}

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* a domain result for query q: q itself or a suffix after a '.' */
static void check_domain_result(const struct ioc *r, const char *q, size_t n)
{
	if (!r)
		return;
	CHECK(r->type == IOC_DOMAIN);
	if (n > 0 && q[n - 1] == '.')
		n--;
	size_t m = r->value_len;
	CHECK(m <= n);
	for (size_t i = 0; i < m; i++)
		CHECK(lc((unsigned char)q[n - m + i]) == r->value[i]);
	CHECK(m == n || q[n - m - 1] == '.');
}

static void check_indicator(const struct ioc_set *s, const struct ioc *c)
{
	CHECK(c->value && c->feed && c->category && c->source && c->description);
	CHECK(strlen(c->value) == c->value_len && c->value_len > 0);
	CHECK(c->category[0] != '\0');
	CHECK(strcmp(c->feed, "fuzz") == 0);
	CHECK(c->severity >= IOC_SEV_LOW && c->severity <= IOC_SEV_HIGH);
	CHECK(c->type > IOC_NONE && c->type < IOC_TYPE__COUNT);
	CHECK(c->line >= 1);
	CHECK(ioc_find_exact(s, c->type, c->value, c->value_len) == c);
	switch (c->type) {
	case IOC_IP:
	case IOC_CIDR: {
		CHECK(c->family == 4 || c->family == 6);
		CHECK(masked(c));
		if (c->type == IOC_IP)
			CHECK(c->prefix == (c->family == 4 ? 32 : 128));
		const struct ioc *r = ioc_find_ip(s, c->family, c->addr);
		CHECK(r != NULL && r->prefix >= c->prefix && holds(r, c->family, c->addr));
		break;
	}
	case IOC_DOMAIN:
		CHECK(ioc_find_domain(s, c->value, c->value_len) == c);
		break;
	case IOC_PORT:
		CHECK(c->port >= 1 && ioc_find_port(s, c->port) == c);
		break;
	case IOC_JA3:
		CHECK(c->value_len == 32 && ioc_find_ja3(s, c->value, 32) == c);
		break;
	case IOC_WALLET:
		CHECK(ioc_find_wallet(s, c->value, c->value_len) == c);
		break;
	case IOC_AGENT: {
		const struct ioc *r = ioc_find_agent(s, c->value, c->value_len);
		CHECK(r != NULL && r->type == IOC_AGENT && r->value_len <= c->value_len);
		break;
	}
	default:
		break;
	}
}

/* lookups of s[0..n) as anything */
static void probe(const struct ioc_set *s, const char *q, size_t n)
{
	check_domain_result(ioc_find_domain(s, q, n), q, n);
	const struct ioc *r = ioc_find_wallet(s, q, n);
	CHECK(!r || r->type == IOC_WALLET);
	r = ioc_find_agent(s, q, n);
	CHECK(!r || (r->type == IOC_AGENT && r->value_len <= n));
	r = ioc_find_ja3(s, q, n);
	CHECK(!r || (r->type == IOC_JA3 && n == 32));
	for (int t = IOC_IP; t < IOC_TYPE__COUNT; t++) {
		r = ioc_find_exact(s, (enum ioc_type)t, q, n);
		CHECK(!r || r->type == t || (t == IOC_IP && r->type == IOC_CIDR) ||
		      (t == IOC_CIDR && r->type == IOC_IP));
	}
}

static void probe_addr(const struct ioc_set *s, const uint8_t *p, size_t n)
{
	uint8_t a[16] = { 0 };
	if (n >= 4) {
		memcpy(a, p, 4);
		const struct ioc *r = ioc_find_ip(s, 4, a);
		CHECK(!r || (r->family == 4 && holds(r, 4, a)));
	}
	if (n >= 16) {
		memcpy(a, p, 16);
		const struct ioc *r = ioc_find_ip(s, 6, a);
		CHECK(!r || holds(r, r->family, r->family == 4 ? a + 12 : a));
	}
	if (n >= 2)
		(void)ioc_find_port(s, (uint16_t)(p[0] << 8 | p[1]));
}

static void same_sets(const struct ioc_set *a, const struct ioc_set *b)
{
	CHECK(memcmp(ioc_set_stats(a), ioc_set_stats(b), sizeof(struct ioc_stats)) == 0);
	CHECK(ioc_set_count(a) == ioc_set_count(b));
	for (size_t i = 0; i < ioc_set_count(a); i++) {
		const struct ioc *x = ioc_set_at(a, i), *y = ioc_set_at(b, i);
		CHECK(x->type == y->type && x->line == y->line && x->severity == y->severity);
		CHECK(strcmp(x->value, y->value) == 0 && strcmp(x->category, y->category) == 0);
		CHECK(strcmp(x->source, y->source) == 0 && strcmp(x->description, y->description) == 0);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ioc_opts o = { .msg = on_msg, .max_messages = 5 };
	if (size % 3 == 0)
		o.max_indicators = 1 + size % 16;
	struct ioc_set *whole = ioc_set_new(&o);
	struct ioc_set *small = ioc_set_new(&o);
	struct ioc_set *big = ioc_set_new(&o);
	if (!whole || !small || !big)
		goto out;

	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		goto out;
	memcpy(copy, data, size);
	struct ioc_stats st;
	memset(&st, 0, sizeof(st));
	int rc = ioc_load_buffer(whole, "dir/fuzz.txt", copy, size, &st);
	free(copy);
	CHECK(rc == 0);
	check_sums(&st, whole);
	CHECK(memcmp(&st, ioc_set_stats(whole), sizeof(st)) == 0);

	struct reader r1 = { data, size, 1 + size % 61 };
	CHECK(ioc_load_stream(small, "dir/fuzz.txt", rd, &r1, NULL) == 0);
	struct reader r2 = { data, size, 4093 };
	CHECK(ioc_load_stream(big, "dir/fuzz.txt", rd, &r2, NULL) == 0);
	same_sets(whole, small);
	same_sets(whole, big);

	for (size_t i = 0; i < ioc_set_count(whole); i++)
		check_indicator(whole, ioc_set_at(whole, i));
	CHECK(ioc_set_at(whole, ioc_set_count(whole)) == NULL);

	/* values from the input: the first lines, tokens and windows (a cap
	 * keeps big inputs fast) */
	const char *t = (const char *)data;
	size_t start = 0, probes = 0;
	for (size_t i = 0; i <= size && probes < 64; i++) {
		if (i == size || data[i] == '\n') {
			probe(whole, t + start, i - start);
			probes++;
			start = i + 1;
		}
	}
	start = 0;
	probes = 0;
	for (size_t i = 0; i <= size && probes < 128; i++) {
		if (i == size || data[i] == '\n' || data[i] == '\t' || data[i] == ' ' || data[i] == ':') {
			if (i > start) {
				probe(whole, t + start, i - start);
				probes++;
			}
			start = i + 1;
		}
	}
	for (size_t i = 0; i < size && i < 256; i++)
		probe_addr(whole, data + i, size - i);
	(void)ioc_set_bytes(whole);
out:
	ioc_set_free(whole);
	ioc_set_free(small);
	ioc_set_free(big);
	return 0;
}
