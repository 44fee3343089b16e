/* dns.c - DNS messages (RFC 1035 4.1) for DNS linkage: the header, the
 * questions, and the answers' A, AAAA and CNAME records; DNS-over-TCP
 * framing. The contract is in dns.h.
 *
 *                                  1  1  1  1  1  1
 *    0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  |                      ID                       |
 *  |QR|   Opcode  |AA|TC|RD|RA|   Z    |   RCODE   |
 *  |                    QDCOUNT                    |
 *  |                    ANCOUNT                    |
 *  |                    NSCOUNT                    |
 *  |                    ARCOUNT                    |
 *  +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
 *  question:  QNAME (labels or pointer) | QTYPE | QCLASS
 *  answer RR: NAME | TYPE | CLASS | TTL (32) | RDLENGTH | RDATA
 *
 * Names are read by read_name(): in place through the caller's cursor, and
 * after a compression pointer through a fresh cursor over the whole message
 * started at the target, so a pointer can never lead a read outside msg.
 */
#include "dns.h"

#include <stdbool.h>
#include <string.h>

#include "cursor.h"

/* read_name()'s result besides DNS_OK and the errors: a well-formed name
 * with a byte we do not keep (dns.h); its text is "". */
#define NAME_BAD_CHARS 1

/* The message, for following pointers. */
struct msg {
	const uint8_t *p;
	size_t len;
};

static size_t off_of(const struct msg *m, const struct cursor *c)
{
	return (size_t)(c->p - m->p);
}

/* Ran out of bytes while reading r. Before any jump r is the name's
 * in-place reading: truncation, and c takes its failed state, so a caller
 * that limited c (to a CNAME's RDATA) tells "ran past the limit" from
 * c->failed. After a jump r ends where the bytes that jumped began: a name
 * pointed to that runs into the name pointing to it is a loop. */
static int name_ran_out(struct cursor *c, const struct cursor *r, unsigned jumps)
{
	if (jumps > 0)
		return DNS_ERR_PTR_LOOP;
	*c = *r;
	return DNS_ERR_TRUNCATED;
}

/* Reads the name that starts at c. On return c is past the name's in-place
 * bytes (up to its end, or its first pointer) when the result is DNS_OK or
 * NAME_BAD_CHARS; after DNS_ERR_TRUNCATED c->failed is set (the in-place
 * bytes ran out); after other errors c is unspecified. out (DNS_NAME_MAX
 * bytes) gets the text, lower-cased, "" unless DNS_OK; *out_len its length. */
static int read_name(const struct msg *m, struct cursor *c, char *out, uint16_t *out_len)
{
	struct cursor r = *c;        /* the bytes being read now */
	size_t limit = off_of(m, c); /* pointer targets must be below this */
	unsigned jumps = 0;
	size_t wire = 0;             /* wire bytes so far, final 0x00 excluded */
	size_t n = 0;                /* text bytes written to out */
	bool bad = false;

	out[0] = '\0';
	*out_len = 0;
	for (;;) {
		size_t here = off_of(m, &r);
		uint8_t b = cur_u8(&r);
		if (r.failed)
			return name_ran_out(c, &r, jumps);
		if (b == 0)
			break;
		if ((b & 0xc0) == 0xc0) {
			uint8_t lo = cur_u8(&r);
			if (r.failed)
				return name_ran_out(c, &r, jumps);
			if (jumps == 0)
				*c = r; /* the name's in-place bytes end here */
			size_t target = (size_t)(b & 0x3f) << 8 | lo;
			if (target > here || target < DNS_HEADER_LEN)
				return DNS_ERR_PTR_BAD;
			if (target >= limit || ++jumps > DNS_MAX_JUMPS)
				return DNS_ERR_PTR_LOOP;
			/* the name pointed to must end before the bytes that
			 * point to it (real compressors point at names written
			 * earlier): read it from target up to the old limit only,
			 * so a record depends on nothing after its own end */
			r = cur_make(m->p, limit);
			cur_skip(&r, target); /* target < limit: cannot fail */
			limit = target;
			continue;
		}
		if (b > DNS_LABEL_MAX)
			return DNS_ERR_LABEL;
		/* this label, and at least the final 0x00 after it */
		if (wire + 1 + b + 1 > DNS_NAME_WIRE_MAX)
			return DNS_ERR_NAME_TOO_LONG;
		wire += 1 + (size_t)b;
		if (!cur_need(&r, b))
			return name_ran_out(c, &r, jumps);
		/* n + 1 + b <= wire - 1 <= 253 (one length byte per label, the
		 * first without a dot): out always has room for the NUL */
		if (n > 0)
			out[n++] = '.';
		for (uint8_t i = 0; i < b; i++) {
			uint8_t ch = cur_u8(&r);
			if (ch < 0x21 || ch > 0x7e || ch == '.')
				bad = true;
			if (ch >= 'A' && ch <= 'Z')
				ch = (uint8_t)(ch - 'A' + 'a');
			out[n++] = (char)ch;
		}
	}
	if (jumps == 0)
		*c = r;
	if (bad) {
		out[0] = '\0';
		return NAME_BAD_CHARS;
	}
	out[n] = '\0';
	*out_len = (uint16_t)n;
	return DNS_OK;
}

static int read_header(struct cursor *c, struct dns_msg_info *info)
{
	info->id = cur_be16(c);
	info->flags = cur_be16(c);
	info->qdcount = cur_be16(c);
	info->ancount = cur_be16(c);
	info->nscount = cur_be16(c);
	info->arcount = cur_be16(c);
	if (c->failed) {
		/* nothing of a partial header is reported */
		memset(info, 0, sizeof(*info));
		return DNS_ERR_TRUNCATED;
	}
	info->qr = (uint8_t)(info->flags >> 15);
	info->opcode = (uint8_t)(info->flags >> 11 & 0x0f);
	info->rcode = (uint8_t)(info->flags & 0x0f);
	return DNS_OK;
}

static int read_questions(const struct msg *m, struct cursor *c, struct dns_msg_info *info)
{
	char name[DNS_NAME_MAX];
	for (uint32_t q = 0; q < info->qdcount; q++) {
		uint16_t nlen;
		int r = read_name(m, c, name, &nlen);
		if (r < 0)
			return r;
		uint16_t qtype = cur_be16(c);
		uint16_t qclass = cur_be16(c);
		if (c->failed)
			return DNS_ERR_TRUNCATED;
		if (r == NAME_BAD_CHARS)
			info->bad_names++;
		if (q == 0) {
			info->qflags |= DNS_INFO_QUESTION;
			if (r == NAME_BAD_CHARS)
				info->qflags |= DNS_INFO_QNAME_BAD;
			memcpy(info->qname, name, (size_t)nlen + 1);
			info->qtype = qtype;
			info->qclass = qclass;
		}
		info->questions++;
		info->offset = (uint32_t)off_of(m, c);
	}
	return DNS_OK;
}

/* Reads one answer record into rr; *report says whether fn should get it. */
static int read_answer(const struct msg *m, struct cursor *c, struct dns_rr *rr, bool *report,
		       struct dns_msg_info *info)
{
	*report = false;
	int nr = read_name(m, c, rr->name, &rr->name_len);
	if (nr < 0)
		return nr;
	uint16_t type = cur_be16(c);
	uint16_t rclass = cur_be16(c);
	uint32_t ttl = cur_be32(c);
	uint16_t rdlength = cur_be16(c);
	if (c->failed)
		return DNS_ERR_TRUNCATED;
	struct cursor rd = cur_sub(c, rdlength);
	if (cur_left(&rd) < rdlength)
		return DNS_ERR_TRUNCATED;
	cur_skip(c, rdlength);

	bool wanted = rclass == DNS_CLASS_IN &&
		      (type == DNS_TYPE_A || type == DNS_TYPE_AAAA || type == DNS_TYPE_CNAME);
	if (!wanted)
		return DNS_OK;

	rr->type = type;
	rr->ttl = (ttl & 0x80000000u) ? 0 : ttl;
	int tr = DNS_OK;
	if (type == DNS_TYPE_CNAME) {
		tr = read_name(m, &rd, rr->target, &rr->target_len);
		if (tr == DNS_ERR_TRUNCATED && rd.failed)
			return DNS_ERR_RDLENGTH; /* the name runs past RDLENGTH */
		if (tr < 0)
			return tr;
		if (cur_left(&rd) != 0)
			return DNS_ERR_RDLENGTH; /* bytes after the name */
		if (tr == NAME_BAD_CHARS)
			info->bad_names++;
	} else {
		size_t want = type == DNS_TYPE_A ? 4 : 16;
		if (rdlength != want)
			return DNS_ERR_RDLENGTH;
		cur_copy(&rd, rr->addr, want);
		rr->addr_len = (uint8_t)want;
	}
	if (nr == NAME_BAD_CHARS)
		info->bad_names++;
	*report = nr == DNS_OK && tr == DNS_OK;
	return DNS_OK;
}

int dns_parse(const uint8_t *msg, size_t len, struct dns_msg_info *info, dns_rr_fn fn,
	      void *ctx)
{
	struct dns_msg_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	static const uint8_t none[1];
	if (!msg) {
		msg = none;
		len = 0;
	}

	struct msg m = { msg, len };
	struct cursor c = cur_make(msg, len);
	int r = read_header(&c, info);
	if (r < 0)
		return r;
	info->offset = DNS_HEADER_LEN;

	r = read_questions(&m, &c, info);
	if (r < 0)
		return r;

	struct dns_rr rr;
	for (uint32_t a = 0; a < info->ancount; a++) {
		bool report;
		memset(&rr, 0, sizeof(rr)); /* what fn sees past the NULs is 0 */
		r = read_answer(&m, &c, &rr, &report, info);
		if (r < 0)
			return r;
		info->answers++;
		info->offset = (uint32_t)off_of(&m, &c);
		if (report) {
			rr.index = (uint16_t)a;
			info->reported++;
			if (fn)
				fn(ctx, &rr);
		}
	}
	return DNS_OK;
}

int dns_tcp_frame(const uint8_t *buf, size_t len, size_t *need)
{
	static const uint8_t none[1];
	struct cursor c = buf ? cur_make(buf, len) : cur_make(none, 0);
	uint16_t n = cur_be16(&c);
	if (c.failed) {
		if (need)
			*need = 2;
		return DNS_ERR_TRUNCATED;
	}
	if (need)
		*need = 2 + (size_t)n;
	if (cur_left(&c) < n)
		return DNS_ERR_TRUNCATED;
	return n;
}

bool dns_tcp_messages(const uint8_t *buf, size_t len,
		      void (*fn)(void *ctx, const uint8_t *msg, size_t n), void *ctx)
{
	size_t off = 0;
	while (off < len) {
		int n = dns_tcp_frame(buf + off, len - off, NULL);
		if (n < 0)
			return false;
		fn(ctx, buf + off + 2, (size_t)n);
		off += 2 + (size_t)n;
	}
	return true;
}

const char *dns_result_name(int r)
{
	switch (r) {
	case DNS_OK: return "ok";
	case DNS_ERR_TRUNCATED: return "truncated";
	case DNS_ERR_LABEL: return "bad label";
	case DNS_ERR_PTR_BAD: return "forward pointer";
	case DNS_ERR_PTR_LOOP: return "pointer loop";
	case DNS_ERR_NAME_TOO_LONG: return "name too long";
	case DNS_ERR_RDLENGTH: return "bad rdlength";
	default: return "unknown";
	}
}
