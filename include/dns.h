/* dns.h - a parser of DNS messages (RFC 1035) for DNS linkage: the header,
 * the question section and the answer section's A, AAAA and CNAME records;
 * and the 2-byte length framing of DNS over TCP (RFC 1035 4.2.2, RFC 7766).
 *
 * Invariants:
 *  - No global state, no allocation, no I/O: dns_parse() reads the message
 *    only through struct cursor (cursor.h), writes only *info and its own
 *    stack, and calls fn synchronously. It is reentrant.
 *  - Nothing is read at or past msg + len. Work is bounded by len: every
 *    name costs at most DNS_MAX_JUMPS pointer jumps and 255 wire bytes.
 *  - Every name handed out (info->qname, rr->name, rr->target) is
 *    NUL-terminated inside its DNS_NAME_MAX array, at most 253 characters,
 *    lower-case ASCII (A-Z folded to a-z; other bytes as received), without
 *    a trailing dot; the root name is "". Each character is in '!'..'~';
 *    a '.' only separates labels.
 *  - fn is called once per A, AAAA or CNAME answer record of class IN, in
 *    message order, only after the whole record was read and checked. The
 *    struct dns_rr it gets lives on dns_parse()'s stack: copy what you keep.
 *  - *info is zeroed first, then filled as parsing goes: after an error it
 *    holds everything read before it, and the records already given to fn
 *    stay given (the caller keeps what was read).
 *
 * What is accepted. The 12-byte header is read whole (any opcode, any
 * flags). Then QDCOUNT questions (name, type, class) are read and the first
 * is reported (qname, qtype, qclass). Then ANCOUNT resource records:
 *  - A (1) and AAAA (28) of class IN (1): RDLENGTH must be 4 or 16
 *    (DNS_ERR_RDLENGTH otherwise); the address bytes are reported.
 *  - CNAME (5) of class IN: the RDATA is exactly one name, which may be
 *    compressed (its pointers reach the whole message); a name running past
 *    RDLENGTH or ending before it is DNS_ERR_RDLENGTH.
 *  - Every other type, and A/AAAA/CNAME of any other class (class is
 *    compared whole, so mDNS's cache-flush bit makes it "other"), is skipped
 *    by its RDLENGTH without looking inside: MX, TXT, OPT, ...
 *  - The TTL is a uint32; a TTL with its top bit set is reported as 0
 *    (RFC 2181 section 8).
 * The authority and additional sections are not read: bytes after the
 * answer section are never looked at, so a message cut there parses OK.
 *
 * Names (RFC 1035 4.1.4). A length byte 0x01..0x3f is a label of that many
 * bytes; 0x00 ends the name; 0xc0..0xff with the next byte is a 14-bit
 * compression pointer to an offset in the message; 0x40..0xbf (a label over
 * 63 bytes, or the reserved/obsolete extended label types 0x40 and 0x80) is
 * DNS_ERR_LABEL. A name's wire form (length bytes, labels, the final 0x00,
 * counted across pointers) is at most 255 bytes, else DNS_ERR_NAME_TOO_LONG;
 * so its text is at most 253 characters.
 * Pointers must go strictly backwards, and each jump further back than the
 * last: a pointer's target must be below the offset where the bytes being
 * read began (the name's own start, or the previous pointer's target), and
 * at or after the 12-byte header; and the name pointed to must end (with
 * its 0x00 or its own pointer) before that offset too. Real compressors
 * only point at names written earlier, which satisfy this. So a loop
 * cannot even start, and a record depends on no byte after its own end
 * (a message cut anywhere reports the same first records):
 *  - a target past the pointer itself, or inside the header:
 *    DNS_ERR_PTR_BAD ("forward"). A cycle of two or more pointers always
 *    has such a forward step and is refused there;
 *  - a target at the pointer itself or back into the bytes this name has
 *    read since its start or its last jump (a self-pointer, a name that
 *    would repeat itself), or a name pointed to that runs on into the
 *    bytes that point to it: DNS_ERR_PTR_LOOP;
 *  - more than DNS_MAX_JUMPS jumps in one name: DNS_ERR_PTR_LOOP.
 * A name with a byte outside '!'..'~' (0x21..0x7e: controls, space, bytes
 * over 0x7e, so raw UTF-8 too; IDNs travel as "xn--" ASCII) or a '.' inside
 * a label is well-formed DNS but is not kept: such text could not be told
 * apart from another name (a label "pool.example" is not the two labels
 * "pool" and "example"), and no indicator should match it. The record it
 * owns or targets is read and checked as usual but not given to fn, and
 * counted in info->bad_names; parsing goes on. For the first question, qname
 * stays "" and DNS_INFO_QNAME_BAD is set.
 *
 * Errors. dns_parse() stops at the first error and returns it; the header,
 * questions and records before it are reported. A message that ends inside
 * the header, a question or an answer record is DNS_ERR_TRUNCATED (a UDP
 * response with TC set may legitimately be short: the records before the
 * cut still count). Errors in a name stop the parse even though the
 * record's RDLENGTH might allow skipping it: a message with one broken name
 * is not trusted further.
 *
 * What the caller should use. dns_parse() reports answers whatever the QR
 * bit, opcode and rcode are. A resolution cache should take only responses
 * (qr 1) to standard queries (opcode 0), usually with rcode 0: in an UPDATE
 * (opcode 5) the second section holds prerequisites, not answers, and a
 * "query" can carry answer records too. The parser does not check that the
 * answers belong to the question or its CNAME chain (bailiwick): that is
 * the caller's policy.
 *
 * DNS over TCP. Each message is preceded by its length as 2 big-endian
 * bytes (so a message is at most 65,535 bytes); the stream is the sequence
 * of these frames. dns_tcp_frame() looks at the start of a buffer of stream
 * bytes and says whether the first frame is complete; the caller reassembles
 * the stream (in order) into a buffer of at most DNS_TCP_FRAME_MAX bytes,
 * parses buf + 2, drops the frame and calls it again.
 */
#ifndef DAVY_DNS_H
#define DAVY_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DNS_HEADER_LEN 12
#define DNS_NAME_MAX 254          /* 253 characters + NUL */
#define DNS_NAME_WIRE_MAX 255     /* wire bytes of a name, RFC 1035 3.1 */
#define DNS_LABEL_MAX 63
#define DNS_MAX_JUMPS 16          /* compression pointers followed per name */
#define DNS_TCP_FRAME_MAX 65537   /* 2-byte length + the largest message */

/* RR types and the class reported */
#define DNS_TYPE_A 1
#define DNS_TYPE_CNAME 5
#define DNS_TYPE_AAAA 28
#define DNS_CLASS_IN 1

/* info->flags bits (the header's second 16-bit word, as sent) */
#define DNS_FLAG_QR 0x8000
#define DNS_FLAG_AA 0x0400
#define DNS_FLAG_TC 0x0200
#define DNS_FLAG_RD 0x0100
#define DNS_FLAG_RA 0x0080

/* rcodes worth a name */
#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_NXDOMAIN 3

/* dns_parse() and dns_tcp_frame() results: 0 or one of these. */
enum dns_result {
	DNS_OK = 0,
	DNS_ERR_TRUNCATED = -1,     /* the bytes end inside the header, a
				     * question or an answer record; for
				     * dns_tcp_frame(): more bytes needed */
	DNS_ERR_LABEL = -2,         /* length byte 0x40..0xbf */
	DNS_ERR_PTR_BAD = -3,       /* pointer forward (past itself) or into
				     * the header */
	DNS_ERR_PTR_LOOP = -4,      /* pointer to itself or back into the name
				     * being read, a name pointed to running
				     * into its pointer, > DNS_MAX_JUMPS jumps */
	DNS_ERR_NAME_TOO_LONG = -5, /* more than 255 wire bytes */
	DNS_ERR_RDLENGTH = -6,      /* A not 4, AAAA not 16, CNAME RDATA not
				     * exactly one name */
};
#define DNS_RESULT_MIN DNS_ERR_RDLENGTH

/* info->qflags */
enum {
	DNS_INFO_QUESTION = 1 << 0,   /* the first question was read whole */
	DNS_INFO_QNAME_BAD = 1 << 1,  /* ... but its name has bytes not kept */
};

/* What dns_parse() read of the message. */
struct dns_msg_info {
	uint16_t id;
	uint16_t flags;        /* header bits as sent: DNS_FLAG_* */
	uint8_t qr;            /* 1: a response */
	uint8_t opcode;        /* 0: QUERY */
	uint8_t rcode;         /* the header's 4 bits (no EDNS extension) */
	uint8_t qflags;        /* DNS_INFO_* */
	uint16_t qdcount, ancount, nscount, arcount; /* as in the header */

	/* the first question (when DNS_INFO_QUESTION) */
	uint16_t qtype, qclass;
	char qname[DNS_NAME_MAX];

	uint16_t questions;    /* questions read whole */
	uint16_t answers;      /* answer records read whole (given or not) */
	uint16_t reported;     /* of which given to fn */
	uint16_t bad_names;    /* names not kept for their bytes: of
				* questions, and owners and CNAME targets of
				* A/AAAA/CNAME IN answers (those not given) */
	uint32_t offset;       /* bytes read whole: just past the header, the
				* last whole question or the last whole
				* answer record */
};

/* One A, AAAA or CNAME answer record of class IN. */
struct dns_rr {
	uint16_t type;          /* DNS_TYPE_A, _AAAA or _CNAME */
	uint16_t index;         /* its place in the answer section, from 0 */
	uint32_t ttl;           /* seconds; 0 when sent with the top bit set */
	uint16_t name_len;      /* strlen(name) */
	uint16_t target_len;    /* strlen(target); 0 unless CNAME */
	uint8_t addr_len;       /* 4 (A), 16 (AAAA), 0 (CNAME) */
	uint8_t addr[16];       /* the address; zero past addr_len */
	char name[DNS_NAME_MAX];   /* owner */
	char target[DNS_NAME_MAX]; /* CNAME target; "" otherwise */
};

typedef void (*dns_rr_fn)(void *ctx, const struct dns_rr *rr);

/* Parses one DNS message msg[0..len) (a UDP payload, or the message of a
 * TCP frame without its length) up to the end of its answer section, filling
 * *info (which may be NULL) and calling fn(ctx, rr) (fn may be NULL) for
 * each A, AAAA and CNAME answer of class IN, as described above. Returns
 * DNS_OK, or the first error (a negative enum dns_result). */
int dns_parse(const uint8_t *msg, size_t len, struct dns_msg_info *info, dns_rr_fn fn,
	      void *ctx);

/* DNS over TCP framing: buf[0..len) holds stream bytes starting at a frame's
 * 2-byte length. Returns the first message's length n (0..65535) when the
 * whole frame is there: the message is buf[2 .. 2 + n) and the next frame
 * starts at buf + 2 + n. Returns DNS_ERR_TRUNCATED when more bytes are
 * needed. *need (when not NULL) is set to the frame's whole size as far as
 * known: 2 while the length is incomplete, then 2 + n (never more than
 * DNS_TCP_FRAME_MAX). A zero-length message is returned as 0 (dns_parse()
 * says DNS_ERR_TRUNCATED of it). */
int dns_tcp_frame(const uint8_t *buf, size_t len, size_t *need);

/* The DNS-over-TCP messages of one segment's payload, without reassembly:
 * calls fn(ctx, msg, n) for each whole frame from the segment's first byte
 * on. Returns false when the segment ends inside a frame (a message split
 * across segments: the rest is not looked at), else true. */
bool dns_tcp_messages(const uint8_t *buf, size_t len,
		      void (*fn)(void *ctx, const uint8_t *msg, size_t n), void *ctx);

/* "ok", "truncated", "bad label", ...; "unknown" for other values. */
const char *dns_result_name(int r);

#endif
