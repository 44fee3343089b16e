/* test_dns.c - the DNS message parser (proto/dns.c): A, AAAA, CNAME chains,
 * compression, several questions, TTLs, every truncation of valid
 * responses, pointer loops and forward pointers, over-long labels and
 * names, bad RDLENGTHs, skipped types, case folding, names with bytes that
 * are not kept, two real responses from the nDPI corpus, and the TCP
 * framing helper. Messages are byte arrays commented field by field. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns.h"

/* ---- collecting what dns_parse() reports ---- */

#define GOT_MAX 32

struct got {
	int n;
	struct dns_rr rr[GOT_MAX];
};

static void collect(void *ctx, const struct dns_rr *rr)
{
	struct got *g = ctx;
	/* the contract of dns.h, on every record */
	assert_true(memchr(rr->name, '\0', sizeof(rr->name)) != NULL);
	assert_true(memchr(rr->target, '\0', sizeof(rr->target)) != NULL);
	assert_int_equal(strlen(rr->name), rr->name_len);
	assert_int_equal(strlen(rr->target), rr->target_len);
	if (g->n < GOT_MAX)
		g->rr[g->n] = *rr;
	g->n++;
}

/* Parses a copy of m[0..len) in a buffer of exactly len bytes (so
 * AddressSanitizer sees any read past it). */
static int parse(const uint8_t *m, size_t len, struct dns_msg_info *info, struct got *g)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, m, len);
	memset(g, 0, sizeof(*g));
	int r = dns_parse(copy, len, info, collect, g);
	free(copy);
	return r;
}

static void assert_a(const struct dns_rr *rr, const char *name, uint32_t ttl, uint8_t a,
		     uint8_t b, uint8_t c, uint8_t d)
{
	const uint8_t want[16] = { a, b, c, d };
	assert_int_equal(rr->type, DNS_TYPE_A);
	assert_string_equal(rr->name, name);
	assert_int_equal(rr->ttl, ttl);
	assert_int_equal(rr->addr_len, 4);
	assert_memory_equal(rr->addr, want, 16);
	assert_string_equal(rr->target, "");
}

static void assert_cname(const struct dns_rr *rr, const char *name, uint32_t ttl,
			 const char *target)
{
	assert_int_equal(rr->type, DNS_TYPE_CNAME);
	assert_string_equal(rr->name, name);
	assert_int_equal(rr->ttl, ttl);
	assert_int_equal(rr->addr_len, 0);
	assert_string_equal(rr->target, target);
}

/* ---- a small builder for the messages made in code ---- */

struct mb {
	uint8_t b[1024];
	size_t n;
};

static void put8(struct mb *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void put16(struct mb *m, unsigned v)
{
	put8(m, v >> 8);
	put8(m, v & 0xff);
}

static void put32(struct mb *m, uint32_t v)
{
	put16(m, v >> 16);
	put16(m, v & 0xffff);
}

static void put_label(struct mb *m, const char *s)
{
	put8(m, (unsigned)strlen(s));
	for (const char *p = s; *p; p++)
		put8(m, (uint8_t)*p);
}

static void put_hdr(struct mb *m, unsigned id, unsigned flags, unsigned qd, unsigned an)
{
	m->n = 0;
	put16(m, id);
	put16(m, flags);
	put16(m, qd);
	put16(m, an);
	put16(m, 0);
	put16(m, 0);
}

/* type, class, TTL and an A record's RDATA 192.0.2.x */
static void put_a_tail(struct mb *m, unsigned x)
{
	put16(m, DNS_TYPE_A);
	put16(m, DNS_CLASS_IN);
	put32(m, 60);
	put16(m, 4);
	put8(m, 192);
	put8(m, 0);
	put8(m, 2);
	put8(m, x);
}

/* ---- messages ---- */

/* "example.com A" answered with one address */
static const uint8_t msg_a[] = {
	/* 0: id 0x1234, flags 0x8180 (QR, RD, RA; opcode 0, rcode 0),
	 *    qd 1, an 1, ns 0, ar 0 */
	0x12, 0x34, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	/* 12: question example.com, type A, class IN */
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00, 0x01,
	/* 29: answer: name -> 12, type A, class IN, TTL 3600, rdlength 4 */
	0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04,
	93, 184, 216, 34,
	/* 45 */
};

/* "example.com AAAA" answered with one address */
static const uint8_t msg_aaaa[] = {
	/* id 0x4321, flags 0x8580 (QR, AA, RD, RA), qd 1, an 1 */
	0x43, 0x21, 0x85, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	/* 12: example.com AAAA IN */
	7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x1c, 0x00, 0x01,
	/* 29: -> 12, AAAA, IN, TTL 300, rdlength 16,
	 *     2606:2800:220:1:248:1893:25c8:1946 */
	0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x10,
	0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,
	0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46,
	/* 57 */
};

/* www.pool.example -> CNAME pool.example -> A x2, the names compressed
 * against the question */
static const uint8_t msg_chain[] = {
	/* 0: id 0xbeef, flags 0x8180, qd 1, an 3 */
	0xbe, 0xef, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
	/* 12: www.pool.example A IN ("pool.example" starts at 16) */
	3, 'w', 'w', 'w', 4, 'p', 'o', 'o', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
	0x00, 0x01, 0x00, 0x01,
	/* 34: -> 12 CNAME IN TTL 300 rdlength 2: -> 16 */
	0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x02, 0xc0, 0x10,
	/* 48: -> 16 A IN TTL 60: 192.0.2.10 */
	0xc0, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 192, 0, 2, 10,
	/* 64: -> 16 A IN TTL 60: 192.0.2.11 */
	0xc0, 0x10, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 192, 0, 2, 11,
	/* 80 */
};
static const size_t chain_ends[] = { 48, 64, 80 };

/* Real: ../shared/corpus/ndpi/dns_ambiguous_names.pcap, frame 6, the UDP
 * payload (tshark -r ... -Y frame.number==6 -T fields -e udp.payload):
 * api.teams.skype.com -> teams-afd.trafficmanager.net ->
 * teams-afd-trafficmanager-net.s-0004.s-msedge.net -> s-0004.s-msedge.net
 * A 52.113.194.131, then an OPT record in the additional section. Its
 * pointers go to pointers and into earlier RDATA. */
static const uint8_t msg_teams[] = {
	/* 0: id 0xdbbb, flags 0x8180, qd 1, an 4, ns 0, ar 1 */
	0xdb, 0xbb, 0x81, 0x80, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x01,
	/* 12: api.teams.skype.com A IN */
	0x03, 0x61, 0x70, 0x69, 0x05, 0x74, 0x65, 0x61, 0x6d, 0x73, 0x05, 0x73, 0x6b, 0x79,
	0x70, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00, 0x01,
	/* 37: -> 12 CNAME IN TTL 3219 rdlength 30: teams-afd.trafficmanager.net */
	0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x0c, 0x93, 0x00, 0x1e,
	0x09, 0x74, 0x65, 0x61, 0x6d, 0x73, 0x2d, 0x61, 0x66, 0x64, 0x0e, 0x74, 0x72, 0x61,
	0x66, 0x66, 0x69, 0x63, 0x6d, 0x61, 0x6e, 0x61, 0x67, 0x65, 0x72, 0x03, 0x6e, 0x65,
	0x74, 0x00,
	/* 79: -> 49 CNAME IN TTL 236 rdlength 47:
	 *     teams-afd-trafficmanager-net.s-0004.s-msedge + -> 74 ("net") */
	0xc0, 0x31, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0xec, 0x00, 0x2f,
	0x1c, 0x74, 0x65, 0x61, 0x6d, 0x73, 0x2d, 0x61, 0x66, 0x64, 0x2d, 0x74, 0x72, 0x61,
	0x66, 0x66, 0x69, 0x63, 0x6d, 0x61, 0x6e, 0x61, 0x67, 0x65, 0x72, 0x2d, 0x6e, 0x65,
	0x74, 0x06, 0x73, 0x2d, 0x30, 0x30, 0x30, 0x34, 0x08, 0x73, 0x2d, 0x6d, 0x73, 0x65,
	0x64, 0x67, 0x65, 0xc0, 0x4a,
	/* 138: -> 91 CNAME IN TTL 141 rdlength 2: -> 120 (s-0004.s-msedge.net) */
	0xc0, 0x5b, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x8d, 0x00, 0x02, 0xc0, 0x78,
	/* 152: -> 120 A IN TTL 141: 52.113.194.131 */
	0xc0, 0x78, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x8d, 0x00, 0x04,
	0x34, 0x71, 0xc2, 0x83,
	/* 168: additional: OPT, root name, UDP size 512 */
	0x00, 0x00, 0x29, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	/* 179 */
};
static const size_t teams_ends[] = { 79, 138, 152, 168 };

/* Real: ../shared/corpus/ndpi/dns-invalid-chars.pcap, frame 2, the UDP
 * payload: the question www.allyourbasesare\001\002\003ongto.cn A, answered
 * 19.185.141.241 under the same (compressed) name. */
static const uint8_t msg_invalid_chars[] = {
	/* id 0x9f6c, flags 0x8180, qd 1, an 1 */
	0x9f, 0x6c, 0x81, 0x80, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
	/* 12: www . allyourbasesare\1\2\3ongto . cn, A IN */
	0x03, 0x77, 0x77, 0x77, 0x17, 0x61, 0x6c, 0x6c, 0x79, 0x6f, 0x75, 0x72, 0x62, 0x61,
	0x73, 0x65, 0x73, 0x61, 0x72, 0x65, 0x01, 0x02, 0x03, 0x6f, 0x6e, 0x67, 0x74, 0x6f,
	0x02, 0x63, 0x6e, 0x00, 0x00, 0x01, 0x00, 0x01,
	/* 48: -> 12 A IN TTL 60: 19.185.141.241 */
	0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
	0x13, 0xb9, 0x8d, 0xf1,
};

/* ---- tests ---- */

static void test_a_answer(void **state)
{
	(void)state;
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(msg_a, sizeof(msg_a), &info, &g), DNS_OK);
	assert_int_equal(info.id, 0x1234);
	assert_int_equal(info.flags, 0x8180);
	assert_int_equal(info.qr, 1);
	assert_int_equal(info.opcode, 0);
	assert_int_equal(info.rcode, DNS_RCODE_NOERROR);
	assert_int_equal(info.qdcount, 1);
	assert_int_equal(info.ancount, 1);
	assert_int_equal(info.nscount, 0);
	assert_int_equal(info.arcount, 0);
	assert_int_equal(info.qflags, DNS_INFO_QUESTION);
	assert_string_equal(info.qname, "example.com");
	assert_int_equal(info.qtype, DNS_TYPE_A);
	assert_int_equal(info.qclass, DNS_CLASS_IN);
	assert_int_equal(info.questions, 1);
	assert_int_equal(info.answers, 1);
	assert_int_equal(info.reported, 1);
	assert_int_equal(info.bad_names, 0);
	assert_int_equal(info.offset, sizeof(msg_a));
	assert_int_equal(g.n, 1);
	assert_a(&g.rr[0], "example.com", 3600, 93, 184, 216, 34);
	assert_int_equal(g.rr[0].index, 0);
	assert_int_equal(g.rr[0].name_len, 11);
}

static void test_aaaa_answer(void **state)
{
	(void)state;
	static const uint8_t want[16] = { 0x26, 0x06, 0x28, 0x00, 0x02, 0x20, 0x00, 0x01,
					  0x02, 0x48, 0x18, 0x93, 0x25, 0xc8, 0x19, 0x46 };
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(msg_aaaa, sizeof(msg_aaaa), &info, &g), DNS_OK);
	assert_int_equal(info.flags & DNS_FLAG_AA, DNS_FLAG_AA);
	assert_int_equal(info.qtype, DNS_TYPE_AAAA);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.rr[0].type, DNS_TYPE_AAAA);
	assert_string_equal(g.rr[0].name, "example.com");
	assert_int_equal(g.rr[0].ttl, 300);
	assert_int_equal(g.rr[0].addr_len, 16);
	assert_memory_equal(g.rr[0].addr, want, 16);
}

static void test_cname_chain(void **state)
{
	(void)state;
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(msg_chain, sizeof(msg_chain), &info, &g), DNS_OK);
	assert_string_equal(info.qname, "www.pool.example");
	assert_int_equal(info.answers, 3);
	assert_int_equal(info.reported, 3);
	assert_int_equal(g.n, 3);
	assert_cname(&g.rr[0], "www.pool.example", 300, "pool.example");
	assert_int_equal(g.rr[0].target_len, 12);
	assert_a(&g.rr[1], "pool.example", 60, 192, 0, 2, 10);
	assert_a(&g.rr[2], "pool.example", 60, 192, 0, 2, 11);
	assert_int_equal(g.rr[2].index, 2);
}

/* Labels followed by a pointer, a pointer to such a name (two jumps), a
 * label in front of that (a pointer to a pointer-ended name). */
static void test_compression(void **state)
{
	(void)state;
	static const uint8_t m[] = {
		/* id 1, flags 0x8180, qd 1, an 3 */
		0x00, 0x01, 0x81, 0x80, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
		/* 12: www.pool.example A IN */
		3, 'w', 'w', 'w', 4, 'p', 'o', 'o', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0,
		0x00, 0x01, 0x00, 0x01,
		/* 34: -> 12 CNAME IN TTL 300 rdlength 6: "cdn" -> 16, at 46 */
		0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x06,
		3, 'c', 'd', 'n', 0xc0, 0x10,
		/* 52: -> 46 (cdn.pool.example) A IN TTL 60: 192.0.2.20 */
		0xc0, 0x2e, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04,
		192, 0, 2, 20,
		/* 68: "edge" -> 46, A IN TTL 60: 192.0.2.21 */
		4, 'e', 'd', 'g', 'e', 0xc0, 0x2e, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
		0x00, 0x04, 192, 0, 2, 21,
	};
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m, sizeof(m), &info, &g), DNS_OK);
	assert_int_equal(g.n, 3);
	assert_cname(&g.rr[0], "www.pool.example", 300, "cdn.pool.example");
	assert_a(&g.rr[1], "cdn.pool.example", 60, 192, 0, 2, 20);
	assert_a(&g.rr[2], "edge.cdn.pool.example", 60, 192, 0, 2, 21);
	assert_int_equal(info.offset, sizeof(m));
}

static void test_multiple_questions(void **state)
{
	(void)state;
	static const uint8_t m[] = {
		/* id 2, flags 0x8180, qd 2, an 2 */
		0x00, 0x02, 0x81, 0x80, 0x00, 0x02, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
		/* 12: a.example.com A IN ("example.com" at 14) */
		1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00, 0x01,
		/* 31: "b" -> 14, AAAA IN */
		1, 'b', 0xc0, 0x0e, 0x00, 0x1c, 0x00, 0x01,
		/* 39: -> 12 A IN TTL 60: 192.0.2.1 */
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 192, 0, 2, 1,
		/* 55: -> 31 AAAA IN TTL 60: 2001:db8::1 */
		0xc0, 0x1f, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x10,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	};
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m, sizeof(m), &info, &g), DNS_OK);
	assert_int_equal(info.questions, 2);
	assert_string_equal(info.qname, "a.example.com"); /* the first */
	assert_int_equal(info.qtype, DNS_TYPE_A);
	assert_int_equal(g.n, 2);
	assert_a(&g.rr[0], "a.example.com", 60, 192, 0, 2, 1);
	assert_string_equal(g.rr[1].name, "b.example.com");
	assert_int_equal(g.rr[1].addr_len, 16);
	assert_int_equal(g.rr[1].addr[15], 1);
}

/* RFC 2181 section 8: a TTL with the top bit set is 0. */
static void test_ttl_top_bit(void **state)
{
	(void)state;
	static const uint32_t ttls[] = { 0x80000000u, 0x80000001u, 0xffffffffu, 0x7fffffffu, 0 };
	static const uint32_t want[] = { 0, 0, 0, 0x7fffffffu, 0 };
	struct mb m;
	put_hdr(&m, 3, 0x8180, 1, 5);
	put_label(&m, "ttl"); /* 12 */
	put_label(&m, "example");
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	for (int i = 0; i < 5; i++) {
		put16(&m, 0xc00c);
		put16(&m, DNS_TYPE_A);
		put16(&m, DNS_CLASS_IN);
		put32(&m, ttls[i]);
		put16(&m, 4);
		put32(&m, 0xc0000200u + (uint32_t)i);
	}
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_OK);
	assert_int_equal(g.n, 5);
	for (int i = 0; i < 5; i++)
		assert_int_equal(g.rr[i].ttl, want[i]);
}

/* Every prefix of a valid response: never a crash (ASan), a truncation
 * error before the end of the answer section with exactly the records that
 * ended before the cut reported (the same ones, in order), OK after it. */
static void cut_everywhere(const uint8_t *m, size_t len, const size_t *ends, int nends,
			   size_t q_end)
{
	struct dns_msg_info full;
	struct got all;
	assert_int_equal(parse(m, len, &full, &all), DNS_OK);
	assert_int_equal(all.n, nends);
	size_t an_end = ends[nends - 1];

	for (size_t k = 0; k <= len; k++) {
		struct dns_msg_info info;
		struct got g;
		int r = parse(m, k, &info, &g);
		int whole = 0;
		while (whole < nends && ends[whole] <= k)
			whole++;
		if (k < an_end)
			assert_int_equal(r, DNS_ERR_TRUNCATED);
		else
			assert_int_equal(r, DNS_OK);
		assert_int_equal(g.n, whole);
		assert_int_equal(info.reported, whole);
		assert_int_equal(info.answers, whole);
		for (int i = 0; i < whole; i++)
			assert_memory_equal(&g.rr[i], &all.rr[i], sizeof(g.rr[i]));
		assert_true(info.offset <= k);
		if (k < DNS_HEADER_LEN) {
			/* nothing of a partial header */
			assert_int_equal(info.id, 0);
			assert_int_equal(info.ancount, 0);
			assert_int_equal(info.offset, 0);
		} else {
			assert_int_equal(info.id, full.id);
			assert_int_equal(info.ancount, full.ancount);
		}
		if (k >= q_end) {
			assert_int_equal(info.questions, 1);
			assert_string_equal(info.qname, full.qname);
		} else {
			assert_int_equal(info.questions, 0);
			assert_int_equal(info.qflags, 0);
			assert_string_equal(info.qname, "");
		}
	}
}

static void test_truncated_everywhere(void **state)
{
	(void)state;
	cut_everywhere(msg_chain, sizeof(msg_chain), chain_ends, 3, 34);
	cut_everywhere(msg_teams, sizeof(msg_teams), teams_ends, 4, 37);
	static const size_t a_end[] = { 45 };
	cut_everywhere(msg_a, sizeof(msg_a), a_end, 1, 29);
}

static void test_empty_and_null(void **state)
{
	(void)state;
	struct dns_msg_info info;
	memset(&info, 0x55, sizeof(info));
	assert_int_equal(dns_parse(NULL, 0, &info, NULL, NULL), DNS_ERR_TRUNCATED);
	assert_int_equal(info.offset, 0);
	assert_int_equal(info.qdcount, 0);
	assert_int_equal(dns_parse(NULL, 100, NULL, NULL, NULL), DNS_ERR_TRUNCATED);
	/* no info and no callback: still parsed and checked */
	assert_int_equal(dns_parse(msg_teams, sizeof(msg_teams), NULL, NULL, NULL), DNS_OK);
	assert_int_equal(dns_parse(msg_teams, 100, NULL, NULL, NULL), DNS_ERR_TRUNCATED);
}

/* An A record first, then one whose owner is a pointer to itself: the first
 * stays reported. Then a name that points back to its own start. */
static void test_pointer_self_loop(void **state)
{
	(void)state;
	struct mb m;
	put_hdr(&m, 4, 0x8180, 1, 2);
	put_label(&m, "loop"); /* 12 */
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00c); /* 22 */
	put_a_tail(&m, 1);
	size_t at = m.n; /* 38: a pointer to 38 */
	put16(&m, 0xc000 | (unsigned)at);
	put_a_tail(&m, 2);
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_PTR_LOOP);
	assert_int_equal(g.n, 1);
	assert_a(&g.rr[0], "loop", 60, 192, 0, 2, 1);
	assert_int_equal(info.answers, 1);
	assert_int_equal(info.offset, at);

	/* the question "a" -> 12 (its own start): would repeat forever */
	static const uint8_t q[] = {
		0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		1, 'a', 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01,
	};
	assert_int_equal(parse(q, sizeof(q), &info, &g), DNS_ERR_PTR_LOOP);
	assert_int_equal(info.questions, 0);
	assert_int_equal(info.qflags, 0);

	/* a name that jumps back before its own start into bytes that read on
	 * into the name itself and reach its pointer again */
	put_hdr(&m, 6, 0x8180, 1, 2);
	put_label(&m, "x"); /* 12 */
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00c); /* 19: a private type, RDATA one byte: 0x02 */
	put16(&m, 0xff00);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 60);
	put16(&m, 1);
	put8(&m, 2);
	size_t own = m.n; /* 32: "b" -> 31: label (0x01 'b'), then -> 31 again */
	put_label(&m, "b");
	put16(&m, 0xc000 | (unsigned)(own - 1));
	put_a_tail(&m, 3);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_PTR_LOOP);
	assert_int_equal(info.answers, 1);
	assert_int_equal(g.n, 0);
	/* "b" -> 17 (the question's class, 00 01: the 0x00 reads as the root
	 * name) is a valid name "b" */
	m.b[own + 3] = 17;
	assert_int_equal(m.b[17], 0);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_OK);
	assert_int_equal(g.n, 1);
	assert_string_equal(g.rr[0].name, "b");

	/* a pointer into the middle of an earlier name, where a byte 0x20
	 * reads as a 32-byte label that would run on past the pointer (into
	 * this record and after it): the name pointed to must end before the
	 * bytes pointing to it (found by fuzz_dns) */
	put_hdr(&m, 10, 0x8180, 1, 2);
	put_label(&m, "a b"); /* 12; the 0x20 at 14 */
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00e); /* 21 -> 14 */
	put_a_tail(&m, 4);
	put16(&m, 0xc00c);
	put_a_tail(&m, 5);
	assert_true(m.n > 14 + 1 + 32 + 1);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_PTR_LOOP);
	assert_int_equal(info.bad_names, 1); /* the question's "a b" */
	assert_int_equal(info.answers, 0);
}

/* Two pointers pointing at each other: a cycle always has a forward step,
 * refused as DNS_ERR_PTR_BAD, whichever end the name starts at. */
static void test_pointer_cycle(void **state)
{
	(void)state;
	struct mb m;
	put_hdr(&m, 7, 0x8180, 1, 2);
	put_label(&m, "cyc"); /* 12 */
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	/* 21: answer 1, name -> 37 (answer 2's name, forward) */
	put16(&m, 0xc000 | 37);
	put_a_tail(&m, 1);
	/* 37: answer 2, name -> 21 (answer 1's name) */
	assert_int_equal(m.n, 37);
	put16(&m, 0xc000 | 21);
	put_a_tail(&m, 2);
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_PTR_BAD);
	assert_int_equal(g.n, 0);
	assert_int_equal(info.questions, 1);

	/* start at the other end: answer 1 is a valid A, answer 2 -> 53 -> 37 */
	put_hdr(&m, 8, 0x8180, 1, 2);
	put_label(&m, "cyc");
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00c); /* 21 */
	put_a_tail(&m, 1);
	/* 37: answer 2's name -> 53 (forward, past itself) */
	put16(&m, 0xc000 | 53);
	put_a_tail(&m, 2);
	assert_int_equal(m.n, 53);
	put16(&m, 0xc000 | 37); /* 53: -> 37, never reached */
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_PTR_BAD);
	assert_int_equal(g.n, 1);
	assert_a(&g.rr[0], "cyc", 60, 192, 0, 2, 1);

	/* a two-pointer cycle entered backwards: answer 2's name -> 35 -> 33,
	 * and 33 -> 35 is the forward step */
	put_hdr(&m, 9, 0x8180, 1, 2);
	put_label(&m, "cyc");
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	/* 21: a private type whose RDATA is two pointers at each other */
	put16(&m, 0xc00c);
	put16(&m, 0xff00);
	put16(&m, DNS_CLASS_IN);
	put32(&m, 60);
	put16(&m, 4);
	assert_int_equal(m.n, 33);
	put16(&m, 0xc000 | 35); /* 33 -> 35 */
	put16(&m, 0xc000 | 33); /* 35 -> 33 */
	put16(&m, 0xc000 | 35); /* 37: answer 2's name */
	put_a_tail(&m, 2);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_PTR_BAD);
	assert_int_equal(info.answers, 1);
	put_hdr(&m, 9, 0x8180, 1, 2); /* the same with answer 2 -> 33 */
	m.n = 37;
	put16(&m, 0xc000 | 33);
	put_a_tail(&m, 2);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_PTR_BAD);
}

static void test_forward_pointer(void **state)
{
	(void)state;
	/* the question's name -> 20, past the pointer */
	static const uint8_t fwd[] = {
		0x00, 0x0a, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xc0, 0x14, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 1, 'z', 0,
	};
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(fwd, sizeof(fwd), &info, &g), DNS_ERR_PTR_BAD);
	/* -> 5, into the header */
	static const uint8_t hdr[] = {
		0x00, 0x0b, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xc0, 0x05, 0x00, 0x01, 0x00, 0x01,
	};
	assert_int_equal(parse(hdr, sizeof(hdr), &info, &g), DNS_ERR_PTR_BAD);
	/* -> 0x3fff, beyond the message */
	static const uint8_t far[] = {
		0x00, 0x0c, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		0xff, 0xff, 0x00, 0x01, 0x00, 0x01,
	};
	assert_int_equal(parse(far, sizeof(far), &info, &g), DNS_ERR_PTR_BAD);
	/* a pointer cut after its first byte */
	assert_int_equal(parse(far, 13, &info, &g), DNS_ERR_TRUNCATED);
}

/* Question i is a pointer to question i - 1's name: it takes i jumps.
 * DNS_MAX_JUMPS are followed, one more is a loop. */
static void test_too_many_jumps(void **state)
{
	(void)state;
	struct mb m;
	put_hdr(&m, 11, 0x0100, DNS_MAX_JUMPS + 2, 0);
	size_t prev = m.n;
	put_label(&m, "deep");
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	for (int i = 1; i <= DNS_MAX_JUMPS + 1; i++) {
		size_t here = m.n;
		put16(&m, 0xc000 | (unsigned)prev);
		put16(&m, DNS_TYPE_A);
		put16(&m, DNS_CLASS_IN);
		prev = here;
	}
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_PTR_LOOP);
	assert_int_equal(info.questions, DNS_MAX_JUMPS + 1); /* 0..16 read */
	assert_string_equal(info.qname, "deep");
	/* without the last one it is fine */
	m.b[5] = DNS_MAX_JUMPS + 1;
	assert_int_equal(parse(m.b, m.n - 6, &info, &g), DNS_OK);
	assert_int_equal(info.questions, DNS_MAX_JUMPS + 1);
}

static void test_label_types(void **state)
{
	(void)state;
	static const uint8_t bytes[] = { 64, 0x40, 0x7f, 0x80, 0xbf };
	for (size_t i = 0; i < sizeof(bytes); i++) {
		struct mb m;
		put_hdr(&m, 12, 0x0100, 1, 0);
		put8(&m, bytes[i]);
		for (int k = 0; k < 70; k++)
			put8(&m, 'a');
		put8(&m, 0);
		put16(&m, DNS_TYPE_A);
		put16(&m, DNS_CLASS_IN);
		struct dns_msg_info info;
		struct got g;
		assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_LABEL);
	}
	/* 63 is the longest label */
	struct mb m;
	put_hdr(&m, 12, 0x0100, 1, 0);
	put8(&m, 63);
	for (int k = 0; k < 63; k++)
		put8(&m, 'a');
	put8(&m, 0);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_OK);
	assert_int_equal(strlen(info.qname), 63);
}

/* labels of the given lengths, ending the name with 0 when end */
static void put_labels(struct mb *m, const int *lens, int n, char ch, int end)
{
	for (int i = 0; i < n; i++) {
		put8(m, (unsigned)lens[i]);
		for (int k = 0; k < lens[i]; k++)
			put8(m, (uint8_t)ch);
	}
	if (end)
		put8(m, 0);
}

static void test_name_too_long(void **state)
{
	(void)state;
	struct dns_msg_info info;
	struct got g;
	struct mb m;
	/* 63 + 63 + 63 + 61 with their length bytes and the 0: 255 wire bytes,
	 * 253 characters: the longest name */
	static const int l255[] = { 63, 63, 63, 61 };
	put_hdr(&m, 13, 0x8180, 1, 2);
	put_labels(&m, l255, 4, 'q', 1);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	put16(&m, 0xc00c);
	put_a_tail(&m, 1);
	size_t ok_end = m.n;
	/* answer 2: "a" + -> 12: 257 bytes */
	put_label(&m, "a");
	put16(&m, 0xc00c);
	put_a_tail(&m, 2);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_NAME_TOO_LONG);
	assert_int_equal(strlen(info.qname), 253);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.rr[0].name_len, 253);
	assert_int_equal(info.offset, ok_end);

	/* 256 in place: 63 + 63 + 63 + 62 */
	static const int l256[] = { 63, 63, 63, 62 };
	put_hdr(&m, 14, 0x0100, 1, 0);
	put_labels(&m, l256, 4, 'q', 1);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_NAME_TOO_LONG);
	assert_string_equal(info.qname, "");

	/* 128 one-byte labels: 257 wire bytes, but short labels */
	int ones[128];
	for (int i = 0; i < 128; i++)
		ones[i] = 1;
	put_hdr(&m, 15, 0x0100, 1, 0);
	put_labels(&m, ones, 127, 'x', 1); /* 255: fine */
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_OK);
	assert_int_equal(strlen(info.qname), 253);
	put_hdr(&m, 15, 0x0100, 1, 0);
	put_labels(&m, ones, 128, 'x', 1);
	put16(&m, DNS_TYPE_A);
	put16(&m, DNS_CLASS_IN);
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_ERR_NAME_TOO_LONG);
}

static void test_bad_rdlength(void **state)
{
	(void)state;
	struct dns_msg_info info;
	struct got g;
	/* msg_a with rdlength 5 and a fifth byte */
	uint8_t m[sizeof(msg_a) + 1];
	memcpy(m, msg_a, sizeof(msg_a));
	m[40] = 5;
	m[45] = 0;
	assert_int_equal(parse(m, sizeof(m), &info, &g), DNS_ERR_RDLENGTH);
	assert_int_equal(g.n, 0);
	assert_int_equal(info.answers, 0);
	/* rdlength 3 */
	m[40] = 3;
	assert_int_equal(parse(m, sizeof(m) - 2, &info, &g), DNS_ERR_RDLENGTH);
	/* AAAA with 4 bytes */
	uint8_t m6[sizeof(msg_aaaa)];
	memcpy(m6, msg_aaaa, sizeof(m6));
	m6[40] = 4;
	assert_int_equal(parse(m6, sizeof(msg_aaaa) - 12, &info, &g), DNS_ERR_RDLENGTH);
	/* an A record of another class is skipped, whatever its length */
	m[40] = 5;
	m[34] = 3; /* class CH */
	assert_int_equal(parse(m, sizeof(m), &info, &g), DNS_OK);
	assert_int_equal(g.n, 0);
	assert_int_equal(info.answers, 1);

	/* CNAME: a byte after the name */
	uint8_t c[sizeof(msg_chain) + 1];
	memcpy(c, msg_chain, 46);
	c[45] = 3;            /* rdlength 3 */
	c[46] = 0xc0;
	c[47] = 0x10;
	c[48] = 0;
	memcpy(c + 49, msg_chain + 48, sizeof(msg_chain) - 48);
	assert_int_equal(parse(c, sizeof(c), &info, &g), DNS_ERR_RDLENGTH);
	/* CNAME: the name runs past rdlength 1 (the pointer's second byte
	 * outside the RDATA) */
	memcpy(c, msg_chain, sizeof(msg_chain));
	c[45] = 1;
	assert_int_equal(parse(c, sizeof(msg_chain), &info, &g), DNS_ERR_RDLENGTH);
	/* CNAME: rdlength 0 */
	c[45] = 0;
	assert_int_equal(parse(c, sizeof(msg_chain), &info, &g), DNS_ERR_RDLENGTH);
	/* an RDATA beyond the message is a truncation */
	memcpy(c, msg_chain, sizeof(msg_chain));
	c[45] = 200;
	assert_int_equal(parse(c, sizeof(msg_chain), &info, &g), DNS_ERR_TRUNCATED);
}

/* MX, TXT, OPT, an A record in class CH and a private type are skipped by
 * their RDLENGTH; the A record after them is reported. */
static void test_skipped_types(void **state)
{
	(void)state;
	static const uint8_t m[] = {
		/* id 0x0d0d, flags 0x8180, qd 1, an 6 */
		0x0d, 0x0d, 0x81, 0x80, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x00,
		/* 12: example.com ANY IN */
		7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0x00, 0xff, 0x00, 0x01,
		/* 29: MX 10 mail.example.com */
		0xc0, 0x0c, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x09,
		0x00, 0x0a, 4, 'm', 'a', 'i', 'l', 0xc0, 0x0c,
		/* TXT "hello world" */
		0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x0c,
		11, 'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd',
		/* OPT (root owner, UDP size 4096, no options) */
		0x00, 0x00, 0x29, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		/* A in class CH (3) */
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 10, 0, 0, 1,
		/* type 65280 (private use), 3 bytes that are no name */
		0xc0, 0x0c, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x03, 0xc0, 0xff, 0xff,
		/* A IN 192.0.2.99 */
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 192, 0, 2, 99,
	};
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m, sizeof(m), &info, &g), DNS_OK);
	assert_int_equal(info.qtype, 255);
	assert_int_equal(info.answers, 6);
	assert_int_equal(info.reported, 1);
	assert_int_equal(g.n, 1);
	assert_a(&g.rr[0], "example.com", 60, 192, 0, 2, 99);
	assert_int_equal(g.rr[0].index, 5);
}

static void test_root_owner(void **state)
{
	(void)state;
	struct mb m;
	put_hdr(&m, 16, 0x8180, 0, 1); /* no question at all */
	put8(&m, 0);                   /* root */
	put_a_tail(&m, 5);
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m.b, m.n, &info, &g), DNS_OK);
	assert_int_equal(info.qflags, 0);
	assert_int_equal(info.questions, 0);
	assert_int_equal(g.n, 1);
	assert_a(&g.rr[0], "", 60, 192, 0, 2, 5);
	assert_int_equal(g.rr[0].name_len, 0);
}

static void test_upper_case(void **state)
{
	(void)state;
	static const uint8_t m[] = {
		/* id 0x0e0e, flags 0x8180, qd 1, an 2 */
		0x0e, 0x0e, 0x81, 0x80, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
		/* 12: WwW.ExAmPlE.CoM A IN */
		3, 'W', 'w', 'W', 7, 'E', 'x', 'A', 'm', 'P', 'l', 'E', 3, 'C', 'o', 'M', 0,
		0x00, 0x01, 0x00, 0x01,
		/* 33: -> 12 CNAME "_Edge-1!~" "Z" -> 16 */
		0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x0e,
		9, '_', 'E', 'd', 'g', 'e', '-', '1', '!', '~', 1, 'Z', 0xc0, 0x10,
		/* 59: -> 45 A */
		0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 192, 0, 2, 7,
	};
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m, sizeof(m), &info, &g), DNS_OK);
	assert_string_equal(info.qname, "www.example.com");
	assert_int_equal(g.n, 2);
	assert_cname(&g.rr[0], "www.example.com", 60, "_edge-1!~.z.example.com");
	assert_a(&g.rr[1], "_edge-1!~.z.example.com", 60, 192, 0, 2, 7);
}

static void test_nxdomain(void **state)
{
	(void)state;
	static const uint8_t m[] = {
		/* id 0x0f0f, flags 0x8183 (QR RD RA, NXDOMAIN), qd 1, an 0, ns 1 */
		0x0f, 0x0f, 0x81, 0x83, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00,
		/* 12: nope.example A IN */
		4, 'n', 'o', 'p', 'e', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x00, 0x01, 0x00, 0x01,
		/* 30: authority: example SOA (not read: its RDATA is cut short on
		 * purpose, and garbage follows) */
		0xc0, 0x11, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x40,
		2, 'n', 's', 0xc0, 0x11, 0xff, 0xff,
	};
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m, sizeof(m), &info, &g), DNS_OK);
	assert_int_equal(info.rcode, DNS_RCODE_NXDOMAIN);
	assert_int_equal(info.nscount, 1);
	assert_string_equal(info.qname, "nope.example");
	assert_int_equal(info.answers, 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(info.offset, 30);
}

/* Names with a '.' in a label, a space, UTF-8, a control byte: their
 * records are read but not reported, counted; parsing goes on. */
static void test_bad_chars(void **state)
{
	(void)state;
	static const uint8_t m[] = {
		/* id 0x1010, flags 0x8180, qd 1, an 4 */
		0x10, 0x10, 0x81, 0x80, 0x00, 0x01, 0x00, 0x04, 0x00, 0x00, 0x00, 0x00,
		/* 12: pool.example A IN */
		4, 'p', 'o', 'o', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0x00, 0x01, 0x00, 0x01,
		/* 30: "a.b" (one label) -> 12, A IN */
		3, 'a', '.', 'b', 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
		0x00, 0x04, 10, 0, 0, 1,
		/* 50: -> 12 CNAME "a b" -> 12 */
		0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x06,
		3, 'a', ' ', 'b', 0xc0, 0x0c,
		/* 68: "café" in UTF-8 -> 12, AAAA IN */
		5, 'c', 'a', 'f', 0xc3, 0xa9, 0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c,
		0x00, 0x10, 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
		/* 102: -> 12 A IN 192.0.2.7 */
		0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x04, 192, 0, 2, 7,
	};
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(m, sizeof(m), &info, &g), DNS_OK);
	assert_int_equal(info.qflags, DNS_INFO_QUESTION);
	assert_int_equal(info.answers, 4);
	assert_int_equal(info.reported, 1);
	assert_int_equal(info.bad_names, 3);
	assert_int_equal(g.n, 1);
	assert_a(&g.rr[0], "pool.example", 60, 192, 0, 2, 7);
	assert_int_equal(g.rr[0].index, 3);

	/* a question with DEL (0x7f) */
	static const uint8_t q[] = {
		0x10, 0x11, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		2, 'x', 0x7f, 3, 'c', 'o', 'm', 0, 0x00, 0x1c, 0x00, 0x01,
	};
	assert_int_equal(parse(q, sizeof(q), &info, &g), DNS_OK);
	assert_int_equal(info.qr, 0);
	assert_int_equal(info.qflags, DNS_INFO_QUESTION | DNS_INFO_QNAME_BAD);
	assert_string_equal(info.qname, "");
	assert_int_equal(info.qtype, DNS_TYPE_AAAA);
	assert_int_equal(info.bad_names, 1);
}

static void test_real_cname_chain(void **state)
{
	(void)state;
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(sizeof(msg_teams), 179);
	assert_int_equal(parse(msg_teams, sizeof(msg_teams), &info, &g), DNS_OK);
	assert_int_equal(info.id, 0xdbbb);
	assert_int_equal(info.arcount, 1);
	assert_string_equal(info.qname, "api.teams.skype.com");
	assert_int_equal(info.offset, 168); /* the OPT record is not read */
	assert_int_equal(g.n, 4);
	assert_cname(&g.rr[0], "api.teams.skype.com", 3219, "teams-afd.trafficmanager.net");
	assert_cname(&g.rr[1], "teams-afd.trafficmanager.net", 236,
		     "teams-afd-trafficmanager-net.s-0004.s-msedge.net");
	assert_cname(&g.rr[2], "teams-afd-trafficmanager-net.s-0004.s-msedge.net", 141,
		     "s-0004.s-msedge.net");
	assert_a(&g.rr[3], "s-0004.s-msedge.net", 141, 52, 113, 194, 131);
}

static void test_real_invalid_chars(void **state)
{
	(void)state;
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(msg_invalid_chars, sizeof(msg_invalid_chars), &info, &g), DNS_OK);
	assert_int_equal(info.qflags, DNS_INFO_QUESTION | DNS_INFO_QNAME_BAD);
	assert_string_equal(info.qname, "");
	assert_int_equal(info.answers, 1);
	assert_int_equal(info.reported, 0);
	assert_int_equal(info.bad_names, 2);
	assert_int_equal(g.n, 0);
}

/* A query: parsed the same, qr 0; nothing to report. */
static void test_query(void **state)
{
	(void)state;
	static const uint8_t q[] = {
		/* id 0xabcd, flags 0x0100 (RD), qd 1 */
		0xab, 0xcd, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
		/* pool.supportxmr.com A IN */
		4, 'p', 'o', 'o', 'l', 10, 's', 'u', 'p', 'p', 'o', 'r', 't', 'x', 'm', 'r',
		3, 'c', 'o', 'm', 0, 0x00, 0x01, 0x00, 0x01,
	};
	struct dns_msg_info info;
	struct got g;
	assert_int_equal(parse(q, sizeof(q), &info, &g), DNS_OK);
	assert_int_equal(info.qr, 0);
	assert_int_equal(info.id, 0xabcd);
	assert_int_equal(info.flags, DNS_FLAG_RD);
	assert_string_equal(info.qname, "pool.supportxmr.com");
	assert_int_equal(g.n, 0);
	/* an UPDATE (opcode 5) is parsed too; the caller checks the opcode */
	uint8_t u[sizeof(q)];
	memcpy(u, q, sizeof(q));
	u[2] = 5 << 3;
	assert_int_equal(parse(u, sizeof(u), &info, &g), DNS_OK);
	assert_int_equal(info.opcode, 5);
}

static void test_tcp_frame(void **state)
{
	(void)state;
	uint8_t s[2 + sizeof(msg_a) + 2 + sizeof(msg_aaaa)];
	s[0] = 0;
	s[1] = sizeof(msg_a);
	memcpy(s + 2, msg_a, sizeof(msg_a));
	size_t b = 2 + sizeof(msg_a);
	s[b] = 0;
	s[b + 1] = sizeof(msg_aaaa);
	memcpy(s + b + 2, msg_aaaa, sizeof(msg_aaaa));

	size_t need = 0;
	/* partial length */
	assert_int_equal(dns_tcp_frame(s, 0, &need), DNS_ERR_TRUNCATED);
	assert_int_equal(need, 2);
	assert_int_equal(dns_tcp_frame(s, 1, &need), DNS_ERR_TRUNCATED);
	assert_int_equal(need, 2);
	assert_int_equal(dns_tcp_frame(NULL, 5, &need), DNS_ERR_TRUNCATED);
	/* partial message */
	assert_int_equal(dns_tcp_frame(s, 2, &need), DNS_ERR_TRUNCATED);
	assert_int_equal(need, 2 + sizeof(msg_a));
	assert_int_equal(dns_tcp_frame(s, 1 + sizeof(msg_a), NULL), DNS_ERR_TRUNCATED);
	/* exactly one, then two back to back */
	assert_int_equal(dns_tcp_frame(s, 2 + sizeof(msg_a), &need), (int)sizeof(msg_a));
	assert_int_equal(dns_tcp_frame(s, sizeof(s), &need), (int)sizeof(msg_a));
	assert_int_equal(need, b);
	assert_int_equal(dns_tcp_frame(s + b, sizeof(s) - b, &need), (int)sizeof(msg_aaaa));
	assert_int_equal(need, sizeof(s) - b);

	/* the stream arriving one byte at a time, reassembled in a buffer */
	uint8_t buf[sizeof(s)];
	size_t have = 0, msgs = 0;
	int rrs = 0;
	for (size_t i = 0; i < sizeof(s); i++) {
		buf[have++] = s[i];
		int n;
		while ((n = dns_tcp_frame(buf, have, &need)) >= 0) {
			struct dns_msg_info info;
			struct got g;
			assert_int_equal(parse(buf + 2, (size_t)n, &info, &g), DNS_OK);
			rrs += g.n;
			msgs++;
			memmove(buf, buf + 2 + n, have - 2 - (size_t)n);
			have -= 2 + (size_t)n;
		}
		assert_true(need > have);
	}
	assert_int_equal(msgs, 2);
	assert_int_equal(rrs, 2);
	assert_int_equal(have, 0);

	/* a zero-length message, and the largest one's need */
	static const uint8_t zero[] = { 0, 0, 0xff, 0xff };
	assert_int_equal(dns_tcp_frame(zero, sizeof(zero), &need), 0);
	assert_int_equal(need, 2);
	assert_int_equal(dns_tcp_frame(zero + 2, 2, &need), DNS_ERR_TRUNCATED);
	assert_int_equal(need, DNS_TCP_FRAME_MAX);
}

static void test_result_names(void **state)
{
	(void)state;
	assert_string_equal(dns_result_name(DNS_OK), "ok");
	assert_string_equal(dns_result_name(DNS_ERR_TRUNCATED), "truncated");
	assert_string_equal(dns_result_name(DNS_ERR_PTR_LOOP), "pointer loop");
	assert_string_equal(dns_result_name(DNS_ERR_RDLENGTH), "bad rdlength");
	for (int r = DNS_RESULT_MIN; r <= 0; r++)
		assert_string_not_equal(dns_result_name(r), "unknown");
	assert_string_equal(dns_result_name(DNS_RESULT_MIN - 1), "unknown");
	assert_string_equal(dns_result_name(1), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_a_answer),
		cmocka_unit_test(test_aaaa_answer),
		cmocka_unit_test(test_cname_chain),
		cmocka_unit_test(test_compression),
		cmocka_unit_test(test_multiple_questions),
		cmocka_unit_test(test_ttl_top_bit),
		cmocka_unit_test(test_truncated_everywhere),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_pointer_self_loop),
		cmocka_unit_test(test_pointer_cycle),
		cmocka_unit_test(test_forward_pointer),
		cmocka_unit_test(test_too_many_jumps),
		cmocka_unit_test(test_label_types),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_bad_rdlength),
		cmocka_unit_test(test_skipped_types),
		cmocka_unit_test(test_root_owner),
		cmocka_unit_test(test_upper_case),
		cmocka_unit_test(test_nxdomain),
		cmocka_unit_test(test_bad_chars),
		cmocka_unit_test(test_real_cname_chain),
		cmocka_unit_test(test_real_invalid_chars),
		cmocka_unit_test(test_query),
		cmocka_unit_test(test_tcp_frame),
		cmocka_unit_test(test_result_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
