/* fuzz_reasm.c - libFuzzer target: arbitrary segment sequences through the
 * TCP stream reassembler (sensor/tcp_reasm.c), one flow on a small pool.
 *
 * Input layout:
 *   byte 0: pool size, 1 + (byte & 15) chunks (exhaustion is easy to reach);
 *   bytes 1-4, 5-8: the reference numbers ("ISNs") of directions 0 and 1,
 *     big-endian (missing bytes are 0);
 *   then operations, each starting with a control byte c:
 *     c & 1: the direction d.
 *     (c >> 1) & 3 == 3: no segment: (c >> 3) & 3 is 0 reasm_flush(), 1
 *       reasm_release(), 2 reasm_release() + reasm_init() (a new flow),
 *       3 nothing.
 *     otherwise the segment's sequence number: 0: the direction's `next`
 *       (reference + 1 before it started) plus a signed byte; 1: the
 *       reference + 1 plus a big-endian 16-bit offset; 2: 4 bytes, as they
 *       are. Then:
 *     flags byte f: f & 0x17 are the TCP flags (FIN, SYN, RST, ACK); f & 0x08
 *       takes the payload bytes from the input instead of generating them.
 *     with ACK, an ack byte a: 0x80 is followed by a 4-byte acknowledgement
 *       number; otherwise the other direction's `next` plus (int8_t)a.
 *     length byte L: below 0xF0 the payload length; otherwise
 *       4 * (((L & 15) << 8) | next byte), up to 16380 bytes.
 *     Generated payload bytes are a function of direction and sequence
 *     number (gen()), so that every copy of a byte agrees; input payload
 *     bytes are whatever comes next in the input (fewer at its end).
 * At the end: reasm_flush(), reasm_release().
 * With FUZZ_REASM_TRACE set in the environment, every operation and the
 * final counters are printed on stderr (to read a crashing input).
 *
 * Every payload is a malloc'd copy of exactly its length (AddressSanitizer
 * catches any read outside it). Checked, with abort() on a violation:
 *  - per direction, each delivered byte follows the previous one in sequence
 *    space, or a reported gap (so no byte is delivered twice); `next` is past
 *    what the callback is given; the first byte is where the direction
 *    started (the SYN's number + 1, or the first payload's);
 *  - delivered bytes equal the generated ones while a direction had no
 *    input payload; data points inside the segment or inside one chunk;
 *  - a gap from an ACK never goes past the ACK, nor past a FIN;
 *  - pieces sorted, non-overlapping, after `next`, 1..REASM_CHUNK bytes,
 *    each in its own chunk, no chunk both used and free; counters add up;
 *  - an abandoned flow holds nothing, calls back never, returns
 *    REASM_ABANDONED; after flush or release the pool is full again.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_reasm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                        \
	do {                                                               \
		if (!(cond)) {                                             \
			fprintf(stderr, "fuzz_reasm: invariant violated: %s (line %d)\n", \
				#cond, __LINE__);                          \
			abort();                                           \
		}                                                          \
	} while (0)

struct ctx {
	struct reasm_pool pool;
	struct reasm r;
	uint32_t cur[2];   /* sequence number of the next byte expected */
	bool known[2];     /* cur is valid */
	bool raw[2];       /* the direction had input payload: no content check */
	const uint8_t *seg;/* the payload of the call under way */
	size_t seglen;
	bool in_call;      /* callbacks allowed */
	bool trace;        /* FUZZ_REASM_TRACE */
	bool has_ack;      /* the call under way carries an ACK ... */
	int ack_dir;       /* ... of this direction ... */
	uint32_t ack;      /* ... up to this number */
	uint64_t gaps_ack; /* st.gaps_ack at the last gap */
	uint64_t delivered, gap_bytes, gaps, abandons;
};

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static uint8_t gen(int dir, uint32_t s)
{
	return (uint8_t)(((s * 2654435761u) >> 24) ^ (s >> 8) ^ (uint32_t)dir * 0x5a);
}

static void cb(void *arg, int dir, const uint8_t *p, size_t len)
{
	struct ctx *c = arg;
	const struct reasm_dir *d = &c->r.d[dir];
	CHECK(c->in_call);
	CHECK(dir == 0 || dir == 1);
	CHECK(len > 0);
	CHECK(d->started);
	uint32_t n = (uint32_t)len;
	CHECK(c->known[dir]);
	CHECK(c->cur[dir] + n == d->next);
	if (c->trace)
		fprintf(stderr, "  dir %d: %s %zu bytes\n", dir, p ? "data" : "GAP", len);
	if (!p) {
		c->gaps++;
		c->gap_bytes += len;
		if (c->pool.st.gaps_ack != c->gaps_ack) { /* a gap from an ACK */
			c->gaps_ack = c->pool.st.gaps_ack;
			CHECK(c->has_ack && c->ack_dir == dir);
			CHECK(!seq_lt(c->ack, d->next));
			if (d->fin)
				CHECK(!seq_lt(d->fin_seq, d->next));
		}
	} else {
		bool in_seg = c->seg && p >= c->seg && p + len <= c->seg + c->seglen;
		const uint8_t *end = c->pool.mem + (size_t)c->pool.nchunks * REASM_CHUNK;
		bool in_chunk = p >= c->pool.mem && p + len <= end &&
				(size_t)(p - c->pool.mem) / REASM_CHUNK ==
					(size_t)(p + len - 1 - c->pool.mem) / REASM_CHUNK;
		CHECK(in_seg || in_chunk);
		if (!c->raw[dir])
			for (uint32_t i = 0; i < n; i++)
				CHECK(p[i] == gen(dir, c->cur[dir] + i));
		c->delivered += len;
	}
	c->cur[dir] = d->next;
}

static void check_state(struct ctx *c)
{
	const struct reasm_pool *p = &c->pool;
	const struct reasm_stats *st = &p->st;
	uint8_t used[16] = { 0 };
	CHECK(p->nchunks >= 1 && p->nchunks <= 16 && p->nfree <= p->nchunks);
	for (uint32_t i = 0; i < p->nfree; i++) {
		CHECK(p->free[i] < p->nchunks && !used[p->free[i]]);
		used[p->free[i]] = 1;
	}
	uint32_t held = 0;
	for (int dir = 0; dir < 2; dir++) {
		const struct reasm_dir *d = &c->r.d[dir];
		size_t bytes = 0;
		CHECK(d->npieces <= REASM_SEGS);
		if (c->r.abandoned)
			CHECK(d->npieces == 0);
		if (d->npieces)
			CHECK(d->started);
		if (c->known[dir])
			CHECK(c->cur[dir] == d->next);
		uint32_t prev_end = d->next;
		for (unsigned i = 0; i < d->npieces; i++) {
			const struct reasm_piece *pc = &d->piece[i];
			CHECK(pc->len >= 1 && pc->len <= REASM_CHUNK);
			CHECK(pc->chunk < p->nchunks && !used[pc->chunk]);
			used[pc->chunk] = 1;
			/* after next (strictly for the first), then sorted, apart */
			CHECK(i == 0 ? seq_lt(prev_end, pc->seq) : !seq_lt(pc->seq, prev_end));
			CHECK(pc->seq - d->next < (1u << 31));
			prev_end = pc->seq + pc->len;
			CHECK(prev_end - d->next < (1u << 31));
			if (!c->raw[dir]) {
				const uint8_t *m = p->mem + (size_t)pc->chunk * REASM_CHUNK;
				for (unsigned k = 0; k < pc->len; k++)
					CHECK(m[k] == gen(dir, pc->seq + k));
			}
			bytes += pc->len;
			held++;
		}
		CHECK(reasm_buffered(&c->r, dir) == bytes);
	}
	CHECK(held + p->nfree == p->nchunks);
	CHECK(st->chunks == p->nchunks);
	CHECK(st->chunks_used == held);
	CHECK(st->peak_chunks_used >= st->chunks_used && st->peak_chunks_used <= st->chunks);
	CHECK(st->gaps == st->gaps_ack + st->gaps_full + st->gaps_flush);
	CHECK(st->gaps == c->gaps && st->gap_bytes == c->gap_bytes);
	CHECK(st->delivered_bytes == c->delivered);
	CHECK(st->conflict_bytes <= st->dup_bytes);
	CHECK(st->in_order <= st->segments && st->out_of_order <= st->segments);
	CHECK(st->abandoned == c->abandons);
}

static void check_pool_full(const struct ctx *c)
{
	CHECK(c->pool.nfree == c->pool.nchunks);
	CHECK(c->pool.st.chunks_used == 0);
}

/* Reads n big-endian bytes (0 past the end). */
static uint32_t be(const uint8_t *p, size_t size, size_t *i, unsigned n)
{
	uint32_t v = 0;
	for (unsigned k = 0; k < n; k++)
		v = v << 8 | (*i < size ? p[(*i)++] : 0);
	return v;
}

static void segment(struct ctx *c, int dir, uint32_t seq, uint8_t flags, uint32_t ack,
		    const uint8_t *pay, size_t len)
{
	struct reasm_dir *d = &c->r.d[dir];
	uint32_t s0 = seq + ((flags & REASM_SYN) ? 1 : 0);
	if (c->trace)
		fprintf(stderr, "seg dir %d seq %u flags 0x%02x ack %u len %zu%s (next %u %u)\n",
			dir, seq, flags, ack, len, pay ? " input" : "", c->r.d[0].next,
			c->r.d[1].next);
	bool was_abandoned = c->r.abandoned;
	/* where the direction starts, as tcp_reasm.h says */
	if ((flags & REASM_SYN) && (!d->started || seq + 1 != d->next)) {
		c->cur[dir] = seq + 1;
		c->known[dir] = !was_abandoned;
	} else if (!d->started && len > 0 && !was_abandoned) {
		c->cur[dir] = s0;
		c->known[dir] = true;
	}
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return;
	if (pay)
		memcpy(buf, pay, len);
	else
		for (size_t k = 0; k < len; k++)
			buf[k] = gen(dir, s0 + (uint32_t)k);
	if (pay && len)
		c->raw[dir] = true;
	c->seg = buf;
	c->seglen = len;
	c->has_ack = flags & REASM_ACK;
	c->ack_dir = 1 - dir;
	c->ack = ack;
	c->gaps_ack = c->pool.st.gaps_ack;
	c->in_call = !was_abandoned;
	enum reasm_result res = reasm_segment(&c->pool, &c->r, dir, seq, flags, ack,
					      len ? buf : NULL, len, cb, c);
	c->in_call = false;
	c->seg = NULL;
	free(buf);
	if (was_abandoned)
		CHECK(res == REASM_ABANDONED);
	CHECK((res == REASM_ABANDONED) == !!c->r.abandoned);
	if (res == REASM_ABANDONED) { /* what was buffered is gone */
		c->abandons += !was_abandoned;
		c->known[0] = c->known[1] = false;
		check_pool_full(c);
	}
	check_state(c);
}

static void flush(struct ctx *c)
{
	c->in_call = true;
	c->has_ack = false;
	c->gaps_ack = c->pool.st.gaps_ack;
	reasm_flush(&c->pool, &c->r, cb, c);
	c->in_call = false;
	check_pool_full(c);
	check_state(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return 0;
	char err[128];
	if (reasm_pool_init(&c->pool, (size_t)(1 + (data[0] & 15)) * REASM_CHUNK, err,
			    sizeof(err)) != 0) {
		free(c);
		return 0;
	}
	/* the reassembler must rely on reasm_init() alone */
	memset(&c->r, 0xa5, sizeof(c->r));
	reasm_init(&c->r);
	size_t i = 1;
	uint32_t isn[2];
	isn[0] = be(data, size, &i, 4);
	isn[1] = be(data, size, &i, 4);
	c->trace = getenv("FUZZ_REASM_TRACE") != NULL;
	check_state(c);

	while (i < size) {
		uint8_t ctl = data[i++];
		int dir = ctl & 1;
		unsigned kind = (ctl >> 1) & 3;
		struct reasm_dir *d = &c->r.d[dir];
		if (kind == 3) {
			if (c->trace)
				fprintf(stderr, "op %u\n", (ctl >> 3) & 3);
			switch ((ctl >> 3) & 3) {
			case 0:
				flush(c);
				break;
			case 1:
			case 2:
				reasm_release(&c->pool, &c->r);
				check_pool_full(c);
				if (((ctl >> 3) & 3) == 2) {
					reasm_init(&c->r);
					c->known[0] = c->known[1] = false;
					c->raw[0] = c->raw[1] = false;
				}
				check_state(c);
				break;
			default:
				break;
			}
			continue;
		}
		uint32_t seq;
		if (kind == 0)
			seq = (d->started ? d->next : isn[dir] + 1) +
			      (uint32_t)(int8_t)be(data, size, &i, 1);
		else if (kind == 1)
			seq = isn[dir] + 1 + be(data, size, &i, 2);
		else
			seq = be(data, size, &i, 4);
		uint8_t f = (uint8_t)be(data, size, &i, 1);
		uint8_t flags = f & (REASM_FIN | REASM_SYN | REASM_RST | REASM_ACK);
		uint32_t ack = 0;
		if (flags & REASM_ACK) {
			uint8_t a = (uint8_t)be(data, size, &i, 1);
			ack = a == 0x80 ? be(data, size, &i, 4) :
					  c->r.d[1 - dir].next + (uint32_t)(int8_t)a;
		}
		size_t len = be(data, size, &i, 1);
		if (len >= 0xF0)
			len = 4 * (((len & 15) << 8) | be(data, size, &i, 1));
		const uint8_t *pay = NULL;
		if (f & 0x08) {
			if (len > size - i)
				len = size - i;
			pay = data + i;
			i += len;
		}
		segment(c, dir, seq, flags, ack, pay, len);
	}

	flush(c);
	reasm_release(&c->pool, &c->r);
	check_pool_full(c);
	if (c->trace) {
		const struct reasm_stats *st = &c->pool.st;
		fprintf(stderr,
			"segments %llu in_order %llu out_of_order %llu delivered %llu dup %llu "
			"conflict %llu gaps %llu (ack %llu full %llu flush %llu, %llu bytes) "
			"syn_resets %llu abandoned %llu far_ahead %llu peak_chunks %llu/%llu\n",
			(unsigned long long)st->segments, (unsigned long long)st->in_order,
			(unsigned long long)st->out_of_order, (unsigned long long)st->delivered_bytes,
			(unsigned long long)st->dup_bytes, (unsigned long long)st->conflict_bytes,
			(unsigned long long)st->gaps, (unsigned long long)st->gaps_ack,
			(unsigned long long)st->gaps_full, (unsigned long long)st->gaps_flush,
			(unsigned long long)st->gap_bytes, (unsigned long long)st->syn_resets,
			(unsigned long long)st->abandoned, (unsigned long long)st->far_ahead,
			(unsigned long long)st->peak_chunks_used, (unsigned long long)st->chunks);
	}
	reasm_pool_free(&c->pool);
	free(c);
	return 0;
}
