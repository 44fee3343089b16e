/* fuzz_dns.c - libFuzzer target: arbitrary bytes through the DNS message
 * parser and the DNS-over-TCP framing helper (proto/dns.c).
 *
 * Each input is used three ways:
 *  1. as one DNS message: dns_parse() on a malloc'd copy of exactly its
 *     size (AddressSanitizer reports any read past it);
 *  2. cut at two places (chosen from the first and last bytes): a prefix
 *     must report exactly the first records of the whole message (pointers
 *     only go backwards, so a record depends on nothing after its end), and
 *     parse OK when the whole message did and the cut is past the answers;
 *  3. as a TCP stream: frames taken off with dns_tcp_frame() while growing
 *     the buffer in chunks of 1 + data[0] % 7 bytes (as a reassembler would
 *     deliver them), each message parsed; the frames found must be those of
 *     one pass over the whole stream.
 *
 * Checked in the callback, for every record: type A/AAAA/CNAME with the
 * matching address length (4, 16, 0) and zeros after it; the names
 * NUL-terminated inside their arrays, their lengths right, at most 253
 * characters, only '!'..'~' without 'A'-'Z', labels of 1..63 characters
 * (no empty label, no leading or trailing dot); the TTL below 2^31; index
 * = the answers read so far. After each parse: the counters ordered
 * (reported <= answers <= ancount, questions <= qdcount), offset <= len, the
 * header fields equal to the bytes, a result from the enum, and a complete
 * parse on DNS_OK. A violation prints what failed and abort()s, which
 * libFuzzer reports as a crash with the input saved.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz_dns"
#include "fuzz_invariant.h"

#define KEEP 64 /* records compared between a message and its prefixes */

struct ctx {
	const struct dns_msg_info *info;
	int n;
	struct dns_rr rr[KEEP];
};

static void check_name(const char *s, size_t cap, uint16_t len)
{
	const char *nul = memchr(s, '\0', cap);
	CHECK(nul != NULL);
	CHECK((size_t)(nul - s) == len);
	CHECK(len <= 253);
	if (len == 0)
		return;
	CHECK(s[0] != '.' && s[len - 1] != '.');
	size_t label = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		CHECK(ch >= 0x21 && ch <= 0x7e);
		CHECK(!(ch >= 'A' && ch <= 'Z'));
		if (ch == '.') {
			CHECK(label > 0);
			label = 0;
		} else {
			label++;
			CHECK(label <= DNS_LABEL_MAX);
		}
	}
}

static void on_rr(void *arg, const struct dns_rr *rr)
{
	struct ctx *c = arg;
	check_name(rr->name, sizeof(rr->name), rr->name_len);
	check_name(rr->target, sizeof(rr->target), rr->target_len);
	switch (rr->type) {
	case DNS_TYPE_A:
		CHECK(rr->addr_len == 4);
		break;
	case DNS_TYPE_AAAA:
		CHECK(rr->addr_len == 16);
		break;
	case DNS_TYPE_CNAME:
		CHECK(rr->addr_len == 0);
		break;
	default:
		CHECK(!"a type other than A, AAAA, CNAME");
	}
	if (rr->type != DNS_TYPE_CNAME)
		CHECK(rr->target_len == 0);
	for (size_t i = rr->addr_len; i < sizeof(rr->addr); i++)
		CHECK(rr->addr[i] == 0);
	CHECK(rr->ttl < 0x80000000u);
	/* info is filled as parsing goes: this record was just counted */
	CHECK(c->info->answers >= 1 && rr->index == c->info->answers - 1);
	CHECK(c->info->reported == c->n + 1);
	if (c->n < KEEP)
		c->rr[c->n] = *rr;
	c->n++;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* dns_parse() of a copy of m[0..len) with every check; returns its result. */
static int parse(const uint8_t *m, size_t len, struct dns_msg_info *info, struct ctx *c)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		abort();
	if (len)
		memcpy(copy, m, len);
	memset(info, 0xa5, sizeof(*info)); /* dns_parse() must set everything */
	memset(c, 0, sizeof(*c));
	c->info = info;
	int r = dns_parse(copy, len, info, on_rr, c);
	free(copy);

	CHECK(r <= 0 && r >= DNS_RESULT_MIN);
	CHECK(strcmp(dns_result_name(r), "unknown") != 0);
	CHECK(info->reported == c->n);
	CHECK(info->reported <= info->answers);
	CHECK(info->answers <= info->ancount);
	CHECK(info->questions <= info->qdcount);
	CHECK(info->offset <= len);
	CHECK(info->bad_names <= (uint32_t)info->questions + 2u * info->answers);
	check_name(info->qname, sizeof(info->qname), (uint16_t)strlen(info->qname));
	CHECK(!!(info->qflags & DNS_INFO_QUESTION) == (info->questions > 0));
	if (info->qflags & DNS_INFO_QNAME_BAD)
		CHECK(info->qname[0] == '\0' && (info->qflags & DNS_INFO_QUESTION));
	CHECK((info->qflags & ~(DNS_INFO_QUESTION | DNS_INFO_QNAME_BAD)) == 0);
	if (!(info->qflags & DNS_INFO_QUESTION))
		CHECK(info->qname[0] == '\0' && info->qtype == 0 && info->qclass == 0);
	if (len < DNS_HEADER_LEN) {
		CHECK(r == DNS_ERR_TRUNCATED);
		CHECK(info->id == 0 && info->flags == 0 && info->qdcount == 0 &&
		      info->ancount == 0 && info->offset == 0);
	} else {
		CHECK(info->id == be16(m) && info->flags == be16(m + 2));
		CHECK(info->qdcount == be16(m + 4) && info->ancount == be16(m + 6));
		CHECK(info->nscount == be16(m + 8) && info->arcount == be16(m + 10));
		CHECK(info->qr == m[2] >> 7 && info->opcode == (m[2] >> 3 & 0x0f));
		CHECK(info->rcode == (m[3] & 0x0f));
		CHECK(info->offset >= DNS_HEADER_LEN);
	}
	if (r == DNS_OK)
		CHECK(info->questions == info->qdcount && info->answers == info->ancount);
	return r;
}

/* A prefix of the message reports the whole message's first records. */
static void check_prefix(const uint8_t *data, size_t size, size_t k, int full_r,
			 const struct dns_msg_info *full, const struct ctx *fc,
			 struct dns_msg_info *info, struct ctx *c)
{
	int r = parse(data, k, info, c);
	CHECK(c->n <= fc->n);
	for (int i = 0; i < c->n && i < KEEP; i++)
		CHECK(memcmp(&c->rr[i], &fc->rr[i], sizeof(c->rr[i])) == 0);
	CHECK(info->answers <= full->answers);
	if (full_r == DNS_OK && k >= full->offset) {
		CHECK(r == DNS_OK);
		CHECK(c->n == fc->n);
	}
	(void)size;
}

/* The frames of a stream, one pass: their lengths, at most 64 kept. */
struct frames {
	size_t n;
	int len[64];
};

static void frame_check(const uint8_t *buf, size_t have, int n, size_t need)
{
	CHECK(need >= 2 && need <= DNS_TCP_FRAME_MAX);
	if (n == DNS_ERR_TRUNCATED) {
		CHECK(need > have);
		if (have >= 2)
			CHECK(need == 2 + (size_t)be16(buf));
	} else {
		CHECK(n >= 0 && n <= 65535);
		CHECK(need == 2 + (size_t)n && need <= have);
		CHECK(n == be16(buf));
	}
}

/* dns_tcp_messages' callback: each message where the one pass found it */
struct seg {
	const uint8_t *base;
	size_t got, at;
	const struct frames *whole;
};

static void seg_message(void *arg, const uint8_t *msg, size_t n)
{
	struct seg *s = arg;
	CHECK(msg == s->base + s->at + 2);
	if (s->got < 64)
		CHECK((int)n == s->whole->len[s->got]);
	s->at += 2 + n;
	s->got++;
}

static void tcp_stream(const uint8_t *data, size_t size, struct dns_msg_info *info,
		       struct ctx *c)
{
	/* one pass over the whole stream */
	struct frames whole = { 0 };
	size_t at = 0;
	for (;;) {
		size_t need = 0;
		int n = dns_tcp_frame(data + at, size - at, &need);
		frame_check(data + at, size - at, n, need);
		if (n < 0)
			break;
		if (whole.n < 64)
			whole.len[whole.n] = n;
		whole.n++;
		at += need;
	}

	/* one segment's messages without reassembly: the same frames, in the
	 * same places; false exactly when bytes of a frame are left over */
	struct seg s = { data, 0, 0, &whole };
	bool all = dns_tcp_messages(data, size, seg_message, &s);
	CHECK(s.got == whole.n);
	CHECK(all == (at == size));

	/* the same stream arriving in chunks, reassembled in a buffer */
	size_t chunk = 1 + (size ? data[0] % 7 : 0);
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		abort();
	size_t have = 0, got = 0;
	for (size_t i = 0; i < size; i += chunk) {
		size_t k = size - i < chunk ? size - i : chunk;
		memcpy(buf + have, data + i, k);
		have += k;
		for (;;) {
			size_t need = 0;
			int n = dns_tcp_frame(buf, have, &need);
			frame_check(buf, have, n, need);
			if (n < 0)
				break;
			CHECK(got < whole.n);
			if (got < 64)
				CHECK(whole.len[got] == n);
			got++;
			parse(buf + 2, (size_t)n, info, c);
			memmove(buf, buf + need, have - need);
			have -= need;
		}
	}
	CHECK(got == whole.n);
	CHECK(have == size - at);
	free(buf);
	CHECK(dns_tcp_frame(NULL, size, NULL) == DNS_ERR_TRUNCATED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *fc = malloc(sizeof(*fc));
	struct ctx *c = malloc(sizeof(*c));
	if (!fc || !c)
		abort();
	struct dns_msg_info full, info;

	int r = parse(data, size, &full, fc);
	if (size > 0) {
		check_prefix(data, size, data[0] % (size + 1), r, &full, fc, &info, c);
		check_prefix(data, size, size - 1 - data[size - 1] % size, r, &full, fc, &info, c);
	}
	tcp_stream(data, size, &info, c);

	free(fc);
	free(c);
	return 0;
}
