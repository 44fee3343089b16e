/* test_tcp_reasm.c - the TCP stream reassembler (sensor/tcp_reasm.c): every
 * test drives one or more flows through reasm_segment() and checks, per
 * direction, the exact bytes handed to the callback, where the gaps fell and
 * how long they were, and the pool's counters.
 *
 * Every payload is given to reasm_segment() as a malloc'd copy of exactly
 * its length, so AddressSanitizer catches a read outside [data, data+len).
 *
 * Tests of bugs found by fuzz_reasm (since fixed) are at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tcp_reasm.h"

#define STREAM_MAX (64 * 1024)
#define GAPS_MAX 64
#define SYN REASM_SYN
#define ACK REASM_ACK
#define FIN REASM_FIN

/* ======================================================================
 * The rig: a pool, a flow, and a sink recording what the callback got
 * ====================================================================== */

struct gap_ev {
	size_t at;  /* stream offset (bytes delivered before it) */
	size_t len; /* bytes skipped */
};

struct sink {
	uint8_t out[2][STREAM_MAX];
	size_t n[2];
	struct gap_ev gap[2][GAPS_MAX];
	unsigned ngaps[2];
};

struct rig {
	struct reasm_pool pool;
	struct reasm r;
	struct sink *s;
};

static void sink_fn(void *ctx, int dir, const uint8_t *data, size_t len)
{
	struct sink *s = ctx;
	assert_true(dir == 0 || dir == 1);
	if (!data) {
		assert_true(len > 0);
		assert_true(s->ngaps[dir] < GAPS_MAX);
		s->gap[dir][s->ngaps[dir]++] = (struct gap_ev){ s->n[dir], len };
		return;
	}
	assert_true(len > 0);
	assert_true(s->n[dir] + len <= STREAM_MAX);
	memcpy(s->out[dir] + s->n[dir], data, len);
	s->n[dir] += len;
}

static void rig_init(struct rig *t, unsigned chunks)
{
	char err[128];
	assert_int_equal(reasm_pool_init(&t->pool, (size_t)chunks * REASM_CHUNK, err, sizeof(err)), 0);
	assert_int_equal(t->pool.nchunks, chunks);
	reasm_init(&t->r);
	t->s = calloc(1, sizeof(*t->s));
	assert_non_null(t->s);
}

static void sink_clear(struct sink *s)
{
	memset(s, 0, sizeof(*s));
}

/* The pool is whole again: nothing buffered, every chunk free. */
static void assert_pool_full(const struct reasm_pool *p)
{
	assert_int_equal(p->nfree, p->nchunks);
	assert_int_equal(p->st.chunks_used, 0);
}

static void rig_free(struct rig *t)
{
	reasm_release(&t->pool, &t->r);
	assert_pool_full(&t->pool);
	reasm_pool_free(&t->pool);
	free(t->s);
}

/* One segment, its payload in a buffer of exactly len bytes. */
static enum reasm_result seg_r(struct rig *t, struct reasm *r, int dir, uint32_t seq, uint8_t flags,
			       uint32_t ack, const uint8_t *data, size_t len)
{
	uint8_t *copy = malloc(len ? len : 1);
	assert_non_null(copy);
	if (len)
		memcpy(copy, data, len);
	enum reasm_result res = reasm_segment(&t->pool, r, dir, seq, flags, ack, len ? copy : NULL,
					      len, sink_fn, t->s);
	free(copy);
	return res;
}

static enum reasm_result seg(struct rig *t, int dir, uint32_t seq, uint8_t flags, uint32_t ack,
			     const uint8_t *data, size_t len)
{
	return seg_r(t, &t->r, dir, seq, flags, ack, data, len);
}

/* Payload of `len` bytes of message m at stream offset off (no flags). */
static enum reasm_result part(struct rig *t, int dir, uint32_t isn, const uint8_t *m, size_t off,
			      size_t len)
{
	return seg(t, dir, isn + 1 + (uint32_t)off, 0, 0, m + off, len);
}

static void flush(struct rig *t)
{
	reasm_flush(&t->pool, &t->r, sink_fn, t->s);
}

static void assert_stream(const struct sink *s, int dir, const uint8_t *want, size_t n)
{
	assert_int_equal(s->n[dir], n);
	if (n)
		assert_memory_equal(s->out[dir], want, n);
}

static void assert_gap(const struct sink *s, int dir, unsigned k, size_t at, size_t len)
{
	assert_true(k < s->ngaps[dir]);
	assert_int_equal(s->gap[dir][k].at, at);
	assert_int_equal(s->gap[dir][k].len, len);
}

/* Message bytes: varied, different for each seed. */
static void fill(uint8_t *b, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)(i * 131 + (i >> 8) * 7 + seed * 29 + 1);
}

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd_below(uint32_t n)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 0x2545f4914f6cdd1dULL >> 32) % n);
}

/* A handshake: client (0) SYN with isn0, server (1) SYN-ACK with isn1, ACK. */
static void handshake(struct rig *t, uint32_t isn0, uint32_t isn1)
{
	assert_int_equal(seg(t, 0, isn0, SYN, 0, NULL, 0), REASM_OK);
	assert_int_equal(seg(t, 1, isn1, SYN | ACK, isn0 + 1, NULL, 0), REASM_OK);
	assert_int_equal(seg(t, 0, isn0 + 1, ACK, isn1 + 1, NULL, 0), REASM_OK);
}

/* ======================================================================
 * In order, reordered, retransmitted
 * ====================================================================== */

static void test_pool_init(void **state)
{
	(void)state;
	struct reasm_pool p;
	char err[64];
	assert_int_equal(reasm_pool_init(&p, 0, err, sizeof(err)), 0);
	assert_int_equal(p.nchunks, 1);
	assert_int_equal(p.st.chunks, 1);
	reasm_pool_free(&p);
	assert_int_equal(reasm_pool_init(&p, 5 * REASM_CHUNK - 1, err, sizeof(err)), 0);
	assert_int_equal(p.nchunks, 4);
	assert_int_equal(p.nfree, 4);
	assert_int_equal(p.st.chunks, 4);
	assert_int_equal(p.st.chunks_used, 0);
	reasm_pool_free(&p);
	assert_null(p.mem);
	assert_null(p.free);
}

static void test_in_order(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t c[300], s[500];
	fill(c, sizeof(c), 1);
	fill(s, sizeof(s), 2);
	handshake(&t, 1000, 9000);
	assert_int_equal(part(&t, 0, 1000, c, 0, 100), REASM_OK);
	assert_int_equal(part(&t, 1, 9000, s, 0, 250), REASM_OK);
	assert_int_equal(part(&t, 0, 1000, c, 100, 200), REASM_OK);
	assert_int_equal(part(&t, 1, 9000, s, 250, 250), REASM_OK);
	assert_stream(t.s, 0, c, sizeof(c));
	assert_stream(t.s, 1, s, sizeof(s));
	const struct reasm_stats *st = &t.pool.st;
	assert_int_equal(st->segments, 4);
	assert_int_equal(st->in_order, 4);
	assert_int_equal(st->out_of_order, 0);
	assert_int_equal(st->delivered_bytes, 800);
	assert_int_equal(st->dup_bytes, 0);
	assert_int_equal(st->gaps, 0);
	assert_int_equal(st->peak_chunks_used, 0);
	assert_int_equal(t.r.d[0].next, 1301);
	assert_int_equal(t.r.d[1].next, 9501);
	rig_free(&t);
}

/* A message cut into random segments of 1..maxseg bytes, shuffled in
 * windows of at most REASM_SEGS segments (so that buffering never runs out
 * of pieces), some segments sent twice; ISNs anywhere, wrap-around too. */
static void run_shuffle(uint32_t isn, size_t len, unsigned maxseg, unsigned window, bool dups)
{
	struct rig t;
	rig_init(&t, 2 * REASM_SEGS);
	static uint8_t m[STREAM_MAX];
	fill(m, len, isn);
	static struct { size_t off, len; } sg[STREAM_MAX];
	unsigned n = 0;
	for (size_t off = 0; off < len; n++) {
		size_t l = 1 + rnd_below(maxseg);
		if (l > len - off)
			l = len - off;
		sg[n].off = off;
		sg[n].len = l;
		off += l;
	}
	assert_int_equal(seg(&t, 0, isn, SYN, 0, NULL, 0), REASM_OK);
	uint64_t dup_bytes = 0, sent = 0;
	unsigned order[2 * REASM_SEGS];
	for (unsigned b = 0; b < n; b += window) {
		unsigned k = 0;
		for (unsigned i = b; i < n && i < b + window; i++) {
			order[k++] = i;
			if (dups && rnd_below(4) == 0) {
				order[k++] = i;
				dup_bytes += sg[i].len;
			}
		}
		for (unsigned i = k; i > 1; i--) {
			unsigned j = rnd_below(i), x = order[i - 1];
			order[i - 1] = order[j];
			order[j] = x;
		}
		for (unsigned i = 0; i < k; i++) {
			assert_int_equal(part(&t, 0, isn, m, sg[order[i]].off, sg[order[i]].len),
					 REASM_OK);
			sent++;
			assert_true(t.r.d[0].npieces <= REASM_SEGS);
		}
	}
	assert_stream(t.s, 0, m, len);
	const struct reasm_stats *st = &t.pool.st;
	assert_int_equal(st->segments, sent);
	assert_int_equal(st->delivered_bytes, len);
	assert_int_equal(st->dup_bytes, dup_bytes);
	assert_int_equal(st->conflict_bytes, 0);
	assert_int_equal(st->gaps, 0);
	assert_int_equal(t.s->ngaps[0], 0);
	assert_int_equal(t.r.d[0].npieces, 0);
	assert_int_equal(t.r.d[0].next, isn + 1 + (uint32_t)len);
	assert_pool_full(&t.pool);
	rig_free(&t);
}

static void test_random_reorder(void **state)
{
	(void)state;
	static const uint32_t isns[] = { 0, 1000, 0xFFFFFF00u, 0xFFFFFFFFu, 0x7FFFFFF0u,
					 0xFFFFF000u };
	for (unsigned it = 0; it < 600; it++) {
		uint32_t isn = it < 60 ? isns[it % 6] : (uint32_t)rnd_below(0xFFFFFFFFu);
		size_t len = 1 + rnd_below(it % 3 == 0 ? 6000 : 400);
		unsigned maxseg = 1 + rnd_below(it % 4 == 0 ? 2048 : 40);
		unsigned window = 1 + rnd_below(REASM_SEGS);
		run_shuffle(isn, len, maxseg, window, it % 2 == 1);
	}
}

/* Short streams, 1-byte segments, all in reverse: the first byte comes
 * last. Reversed 1-byte segments are prepended into one piece. */
static void test_full_reversal(void **state)
{
	(void)state;
	for (size_t len = 1; len <= 64; len++) {
		for (unsigned segl = 1; segl <= 3; segl++) {
			struct rig t;
			rig_init(&t, 4);
			uint8_t m[64];
			fill(m, len, (unsigned)len);
			uint32_t isn = 0xFFFFFFF0u; /* wraps for the longer ones */
			assert_int_equal(seg(&t, 0, isn, SYN, 0, NULL, 0), REASM_OK);
			size_t nseg = (len + segl - 1) / segl;
			for (size_t k = nseg; k-- > 0;) {
				size_t off = k * segl, l = len - off < segl ? len - off : segl;
				assert_int_equal(part(&t, 0, isn, m, off, l), REASM_OK);
				if (k > 0)
					assert_int_equal(t.s->n[0], 0);
			}
			assert_stream(t.s, 0, m, len);
			assert_int_equal(t.pool.st.gaps, 0);
			assert_int_equal(t.pool.st.segments, nseg);
			assert_int_equal(t.pool.st.out_of_order, nseg - 1);
			assert_int_equal(t.pool.st.in_order, 1);
			assert_true(t.pool.st.peak_chunks_used <= 1);
			rig_free(&t);
		}
	}
	/* reversed 1000-byte segments: one piece each, up to REASM_SEGS */
	struct rig t;
	rig_init(&t, REASM_SEGS);
	static uint8_t m[17 * 1000];
	fill(m, sizeof(m), 77);
	assert_int_equal(seg(&t, 0, 5, SYN, 0, NULL, 0), REASM_OK);
	for (size_t k = 17; k-- > 0;)
		assert_int_equal(part(&t, 0, 5, m, k * 1000, 1000), REASM_OK);
	assert_stream(t.s, 0, m, sizeof(m));
	assert_int_equal(t.pool.st.gaps, 0);
	rig_free(&t);
}

static void test_retransmission(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t m[100], other[100];
	fill(m, sizeof(m), 3);
	fill(other, sizeof(other), 4);
	handshake(&t, 50, 70);
	assert_int_equal(part(&t, 0, 50, m, 0, 60), REASM_OK);
	/* the same bytes again, and then different ones at the same place */
	assert_int_equal(part(&t, 0, 50, m, 0, 60), REASM_OK);
	assert_int_equal(part(&t, 0, 50, other, 10, 30), REASM_OK);
	/* partly old, partly new */
	assert_int_equal(part(&t, 0, 50, m, 40, 60), REASM_OK);
	/* a keepalive: one old byte at next - 1, and an empty ACK */
	assert_int_equal(seg(&t, 0, 50 + 100, ACK, 71, m + 99, 1), REASM_OK);
	assert_int_equal(seg(&t, 0, 50 + 101, ACK, 71, NULL, 0), REASM_OK);
	assert_stream(t.s, 0, m, 100);
	const struct reasm_stats *st = &t.pool.st;
	assert_int_equal(st->segments, 5);
	assert_int_equal(st->dup_bytes, 60 + 30 + 20 + 1);
	assert_int_equal(st->conflict_bytes, 0); /* delivered bytes are not kept */
	assert_int_equal(st->in_order, 2);
	assert_int_equal(st->delivered_bytes, 100);
	assert_int_equal(st->gaps, 0);
	rig_free(&t);
}

/* ======================================================================
 * Overlaps with buffered pieces: the first copy wins
 * ====================================================================== */

static void test_overlap_conflict(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t m[40], x[40];
	fill(m, sizeof(m), 5);
	memcpy(x, m, sizeof(x));
	for (size_t i = 12; i < 18; i++) /* 6 bytes differ inside [10, 20) */
		x[i] ^= 0xFF;
	assert_int_equal(seg(&t, 0, 0, SYN, 0, NULL, 0), REASM_OK);
	assert_int_equal(part(&t, 0, 0, m, 10, 10), REASM_OK);     /* [10,20) buffered */
	assert_int_equal(part(&t, 0, 0, x, 5, 20), REASM_OK);      /* [5,25) over it */
	assert_int_equal(t.s->n[0], 0);
	assert_int_equal(t.r.d[0].npieces, 1); /* [5,10) and [20,25) joined it */
	assert_int_equal(reasm_buffered(&t.r, 0), 20);
	assert_int_equal(t.pool.st.dup_bytes, 10);
	assert_int_equal(t.pool.st.conflict_bytes, 6);
	assert_int_equal(part(&t, 0, 0, m, 0, 5), REASM_OK);
	assert_int_equal(part(&t, 0, 0, m, 25, 15), REASM_OK);
	assert_stream(t.s, 0, m, 40); /* the first copy's bytes */
	assert_int_equal(t.pool.st.gaps, 0);
	rig_free(&t);
}

/* A segment overlapping two pieces partly, and an in-order segment running
 * into a buffered piece with other bytes: the buffered ones are delivered. */
static void test_partial_overlaps(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 8);
	uint8_t m[60], x[60];
	fill(m, sizeof(m), 6);
	fill(x, sizeof(x), 7); /* differs from m everywhere */
	for (size_t i = 0; i < sizeof(m); i++)
		if (x[i] == m[i])
			x[i] ^= 1;
	assert_int_equal(seg(&t, 0, 100, SYN, 0, NULL, 0), REASM_OK);
	assert_int_equal(part(&t, 0, 100, m, 10, 10), REASM_OK);   /* [10,20) */
	assert_int_equal(part(&t, 0, 100, m, 30, 10), REASM_OK);   /* [30,40) */
	/* [15,35): 5 bytes over each piece, [20,30) is new */
	uint8_t y[20];
	memcpy(y, m + 15, 20);
	y[0] ^= 0x55;  /* byte 15: in the first piece */
	y[19] ^= 0x55; /* byte 34: in the second piece */
	assert_int_equal(seg(&t, 0, 101 + 15, ACK, 0, y, 20), REASM_OK);
	assert_int_equal(t.pool.st.dup_bytes, 10);
	assert_int_equal(t.pool.st.conflict_bytes, 2);
	assert_int_equal(reasm_buffered(&t.r, 0), 30);
	for (unsigned i = 1; i < t.r.d[0].npieces; i++) /* sorted, apart */
		assert_true((int32_t)(t.r.d[0].piece[i].seq - t.r.d[0].piece[i - 1].seq -
				      t.r.d[0].piece[i - 1].len) >= 0);
	/* in order, [0,50) of other bytes: [0,10) and [40,50) are taken from
	 * it, [10,40) from the pieces (30 dup bytes, all different) */
	uint8_t z[50];
	memcpy(z, x, 50);
	memcpy(z, m, 10);
	memcpy(z + 40, m + 40, 10);
	assert_int_equal(seg(&t, 0, 101, ACK, 0, z, 50), REASM_OK);
	assert_stream(t.s, 0, m, 50);
	assert_int_equal(t.pool.st.dup_bytes, 40);
	assert_int_equal(t.pool.st.conflict_bytes, 32);
	assert_int_equal(t.pool.st.in_order, 1);
	assert_int_equal(t.pool.st.delivered_bytes, 50);
	assert_int_equal(reasm_buffered(&t.r, 0), 0);
	assert_pool_full(&t.pool);
	rig_free(&t);
}

/* ======================================================================
 * Sequence numbers: wrap-around, mid-stream start, SYN, far ahead
 * ====================================================================== */

static void test_wraparound(void **state)
{
	(void)state;
	uint8_t m[1024];
	fill(m, sizeof(m), 8);
	static const uint32_t isns[] = { 0xFFFFFF00u, 0xFFFFFFFEu, 0xFFFFFFFFu, 0x7FFFFF00u };
	for (unsigned k = 0; k < 4; k++) {
		uint32_t isn = isns[k];
		/* in order, 100-byte segments */
		struct rig t;
		rig_init(&t, 4);
		handshake(&t, isn, isn ^ 0x80000000u);
		for (size_t off = 0; off < sizeof(m); off += 100)
			assert_int_equal(part(&t, 0, isn, m, off, off + 100 > 1024 ? 24 : 100),
					 REASM_OK);
		assert_stream(t.s, 0, m, sizeof(m));
		assert_int_equal(t.r.d[0].next, isn + 1 + 1024);
		/* the server acknowledges it all: no gap */
		assert_int_equal(seg(&t, 1, isn ^ 0x80000000u, ACK, isn + 1025, NULL, 0), REASM_OK);
		assert_int_equal(t.pool.st.gaps, 0);
		rig_free(&t);

		/* out of order across 2^32: the second half first */
		rig_init(&t, 4);
		assert_int_equal(seg(&t, 0, isn, SYN, 0, NULL, 0), REASM_OK);
		assert_int_equal(part(&t, 0, isn, m, 600, 424), REASM_OK);
		assert_int_equal(part(&t, 0, isn, m, 300, 300), REASM_OK);
		assert_int_equal(part(&t, 0, isn, m, 100, 150), REASM_OK);
		assert_int_equal(t.s->n[0], 0);
		assert_int_equal(part(&t, 0, isn, m, 0, 300), REASM_OK); /* overlaps [100,250) */
		assert_stream(t.s, 0, m, sizeof(m));
		assert_int_equal(t.pool.st.dup_bytes, 150);
		assert_int_equal(t.pool.st.gaps, 0);
		rig_free(&t);
	}
}

static void test_midstream_start(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t c[200], s[100];
	fill(c, sizeof(c), 9);
	fill(s, sizeof(s), 10);
	/* no SYN: empty ACKs start nothing, the first payload starts */
	assert_int_equal(seg(&t, 0, 5000, ACK, 7000, NULL, 0), REASM_OK);
	assert_false(t.r.d[0].started);
	assert_int_equal(seg(&t, 0, 5000, ACK, 7000, c, 50), REASM_OK);
	assert_true(t.r.d[0].started);
	assert_int_equal(seg(&t, 0, 5100, ACK, 7000, c + 100, 100), REASM_OK); /* ahead */
	assert_int_equal(seg(&t, 0, 5050, ACK, 7000, c + 50, 50), REASM_OK);
	assert_stream(t.s, 0, c, 200);
	/* the server starts at its first payload; its ACK of all the client
	 * sent gaps nothing */
	assert_int_equal(seg(&t, 1, 7000, ACK, 5200, s, 100), REASM_OK);
	assert_stream(t.s, 1, s, 100);
	assert_int_equal(t.pool.st.gaps, 0);
	/* earlier bytes of a started direction are old */
	assert_int_equal(seg(&t, 1, 6990, ACK, 5200, s, 10), REASM_OK);
	assert_int_equal(t.pool.st.dup_bytes, 10);
	rig_free(&t);
}

static void test_syn_reset(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t a[100], b[100];
	fill(a, sizeof(a), 11);
	fill(b, sizeof(b), 12);
	assert_int_equal(seg(&t, 0, 1000, SYN, 0, NULL, 0), REASM_OK);
	assert_int_equal(part(&t, 0, 1000, a, 0, 10), REASM_OK);
	assert_int_equal(part(&t, 0, 1000, a, 50, 10), REASM_OK); /* buffered */
	assert_int_equal(t.pool.st.chunks_used, 1);
	/* a retransmitted SYN: nothing changes */
	assert_int_equal(seg(&t, 1, 3000, SYN | ACK, 1001, NULL, 0), REASM_OK);
	assert_int_equal(seg(&t, 1, 3000, SYN | ACK, 1001, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.syn_resets, 0);
	/* a new connection on the same ports: a SYN with another ISN */
	assert_int_equal(seg(&t, 0, 800000, SYN, 0, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.syn_resets, 1);
	assert_int_equal(t.r.d[0].npieces, 0);
	assert_int_equal(t.pool.st.chunks_used, 0);
	assert_int_equal(t.r.d[0].next, 800001);
	/* payload on a SYN (TFO) follows the SYN's number */
	assert_int_equal(seg(&t, 1, 60000, SYN | ACK, 800001, b, 40), REASM_OK);
	assert_int_equal(t.pool.st.syn_resets, 2);
	assert_int_equal(t.r.d[1].next, 60041);
	assert_int_equal(part(&t, 0, 800000, b, 0, 100), REASM_OK);
	/* the old connection's first 10 bytes, then the new one's */
	assert_int_equal(t.s->n[0], 110);
	assert_memory_equal(t.s->out[0], a, 10);
	assert_memory_equal(t.s->out[0] + 10, b, 100);
	assert_stream(t.s, 1, b, 40);
	assert_int_equal(t.pool.st.gaps, 0);
	rig_free(&t);
}

static void test_far_ahead_and_absurd_ack(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t m[10];
	fill(m, sizeof(m), 13);
	handshake(&t, 0, 0);
	/* more than 1 GiB ahead: ignored */
	assert_int_equal(seg(&t, 0, 1 + (1u << 30) + 1, ACK, 1, m, 10), REASM_OK);
	assert_int_equal(t.pool.st.far_ahead, 1);
	assert_int_equal(t.r.d[0].npieces, 0);
	/* exactly 1 GiB ahead: buffered */
	assert_int_equal(seg(&t, 0, 1 + (1u << 30), ACK, 1, m, 10), REASM_OK);
	assert_int_equal(t.r.d[0].npieces, 1);
	/* far behind: old */
	assert_int_equal(seg(&t, 0, 1 - (1u << 31), ACK, 1, m, 10), REASM_OK);
	assert_int_equal(t.pool.st.dup_bytes, 10);
	/* an absurd ACK changes nothing, counts nothing */
	assert_int_equal(seg(&t, 1, 1, ACK, 1 + (1u << 30) + 100, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.gaps, 0);
	assert_int_equal(t.r.d[0].next, 1);
	/* one exactly 1 GiB ahead is believed: a gap to the piece, the piece */
	assert_int_equal(seg(&t, 1, 1, ACK, 1 + (1u << 30), NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.gaps_ack, 1);
	assert_gap(t.s, 0, 0, 0, 1u << 30);
	assert_stream(t.s, 0, m, 10);
	assert_int_equal(seg(&t, 1, 1, ACK, 1 + (1u << 30) + 20, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.gaps_ack, 2);
	assert_gap(t.s, 0, 1, 10, 10);
	assert_int_equal(t.pool.st.gap_bytes, (1u << 30) + 10);
	rig_free(&t);
}

/* ======================================================================
 * Gaps: ACK, full, flush; FIN
 * ====================================================================== */

static void test_ack_gap(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t m[400];
	fill(m, sizeof(m), 14);
	handshake(&t, 100, 200);
	assert_int_equal(part(&t, 0, 100, m, 0, 100), REASM_OK);
	/* [100,200) lost to the capture; [200,300) buffered */
	assert_int_equal(part(&t, 0, 100, m, 200, 100), REASM_OK);
	assert_int_equal(t.s->n[0], 100);
	/* the server acknowledges [0,300): the hole is a gap, then [200,300) */
	assert_int_equal(seg(&t, 1, 201, ACK, 101 + 300, NULL, 0), REASM_OK);
	assert_int_equal(t.s->ngaps[0], 1);
	assert_gap(t.s, 0, 0, 100, 100);
	assert_int_equal(t.s->n[0], 200);
	assert_memory_equal(t.s->out[0] + 100, m + 200, 100);
	/* the lost bytes come late: old */
	assert_int_equal(part(&t, 0, 100, m, 100, 100), REASM_OK);
	/* then more bytes in order */
	assert_int_equal(part(&t, 0, 100, m, 300, 100), REASM_OK);
	assert_memory_equal(t.s->out[0] + 200, m + 300, 100);
	const struct reasm_stats *st = &t.pool.st;
	assert_int_equal(st->gaps, 1);
	assert_int_equal(st->gaps_ack, 1);
	assert_int_equal(st->gap_bytes, 100);
	assert_int_equal(st->dup_bytes, 100);
	assert_int_equal(st->delivered_bytes, 300);
	/* an ACK past everything, with a piece in between and bytes after it */
	uint8_t more[20];
	fill(more, sizeof(more), 15);
	assert_int_equal(seg(&t, 0, 101 + 450, ACK, 201, more, 20), REASM_OK); /* [450,470) */
	assert_int_equal(seg(&t, 1, 201, ACK, 101 + 500, NULL, 0), REASM_OK);
	assert_int_equal(st->gaps_ack, 3);
	assert_gap(t.s, 0, 1, 300, 50);
	assert_gap(t.s, 0, 2, 320, 30);
	assert_memory_equal(t.s->out[0] + 300, more, 20);
	assert_int_equal(t.r.d[0].next, 101 + 500);
	assert_int_equal(st->gap_bytes, 180);
	/* the ACK from a segment that carries data too; the gap first */
	uint8_t reply[5] = "hello";
	assert_int_equal(seg(&t, 1, 201, ACK, 101 + 510, reply, 5), REASM_OK);
	assert_gap(t.s, 0, 3, 320, 10);
	assert_stream(t.s, 1, reply, 5);
	rig_free(&t);
}

/* One-sided capture: a segment is lost and no ACK is ever seen. */
static void test_one_sided_full(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, REASM_SEGS + 2);
	static uint8_t m[100 + (REASM_SEGS + 1) * REASM_CHUNK];
	fill(m, sizeof(m), 16);
	assert_int_equal(seg(&t, 0, 0, SYN, 0, NULL, 0), REASM_OK);
	/* [0,100) lost; REASM_SEGS full pieces after it */
	for (unsigned k = 0; k < REASM_SEGS; k++)
		assert_int_equal(part(&t, 0, 0, m, 100 + (size_t)k * REASM_CHUNK, REASM_CHUNK),
				 REASM_OK);
	assert_int_equal(t.r.d[0].npieces, REASM_SEGS);
	assert_int_equal(t.s->n[0], 0);
	/* one more needs a piece: gap to the first piece, all of them, then it */
	size_t last = 100 + (size_t)REASM_SEGS * REASM_CHUNK;
	assert_int_equal(part(&t, 0, 0, m, last, REASM_CHUNK), REASM_OK);
	assert_int_equal(t.s->ngaps[0], 1);
	assert_gap(t.s, 0, 0, 0, 100);
	assert_stream(t.s, 0, m + 100, sizeof(m) - 100);
	const struct reasm_stats *st = &t.pool.st;
	assert_int_equal(st->gaps, 1);
	assert_int_equal(st->gaps_full, 1);
	assert_int_equal(st->gap_bytes, 100);
	assert_int_equal(st->peak_chunks_used, REASM_SEGS);
	assert_pool_full(&t.pool);
	rig_free(&t);

	/* the segment that finds the pieces full lies before them: the gap
	 * goes only to it, and its bytes are kept */
	rig_init(&t, REASM_SEGS + 2);
	assert_int_equal(seg(&t, 0, 0, SYN, 0, NULL, 0), REASM_OK);
	for (unsigned k = 0; k < REASM_SEGS; k++)
		assert_int_equal(part(&t, 0, 0, m, 200 + (size_t)k * REASM_CHUNK, REASM_CHUNK),
				 REASM_OK);
	assert_int_equal(part(&t, 0, 0, m, 150, 50), REASM_OK); /* [150,200) */
	assert_int_equal(t.s->ngaps[0], 1);
	assert_gap(t.s, 0, 0, 0, 150);
	assert_stream(t.s, 0, m + 150, 50 + (size_t)REASM_SEGS * REASM_CHUNK);
	assert_int_equal(t.pool.st.gaps_full, 1);
	rig_free(&t);
}

static void test_flush_holes(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 8);
	uint8_t m[100], s[30];
	fill(m, sizeof(m), 17);
	fill(s, sizeof(s), 18);
	handshake(&t, 0, 500);
	assert_int_equal(part(&t, 0, 0, m, 0, 10), REASM_OK);
	assert_int_equal(part(&t, 0, 0, m, 20, 10), REASM_OK);
	assert_int_equal(part(&t, 0, 0, m, 30, 5), REASM_OK);  /* joins [20,30) */
	assert_int_equal(part(&t, 0, 0, m, 60, 40), REASM_OK);
	assert_int_equal(part(&t, 1, 500, s, 10, 20), REASM_OK);
	assert_int_equal(reasm_buffered(&t.r, 0), 55);
	assert_int_equal(reasm_buffered(&t.r, 1), 20);
	assert_int_equal(t.pool.st.chunks_used, 3);
	flush(&t);
	assert_int_equal(t.s->ngaps[0], 2);
	assert_gap(t.s, 0, 0, 10, 10);
	assert_gap(t.s, 0, 1, 25, 25);
	assert_int_equal(t.s->n[0], 65);
	assert_memory_equal(t.s->out[0], m, 10);
	assert_memory_equal(t.s->out[0] + 10, m + 20, 15);
	assert_memory_equal(t.s->out[0] + 25, m + 60, 40);
	assert_int_equal(t.s->ngaps[1], 1);
	assert_gap(t.s, 1, 0, 0, 10);
	assert_stream(t.s, 1, s + 10, 20);
	const struct reasm_stats *st = &t.pool.st;
	assert_int_equal(st->gaps, 3);
	assert_int_equal(st->gaps_flush, 3);
	assert_int_equal(st->gap_bytes, 45);
	assert_int_equal(reasm_buffered(&t.r, 0), 0);
	assert_pool_full(&t.pool);
	/* a flush with nothing buffered reports nothing */
	flush(&t);
	assert_int_equal(st->gaps, 3);
	rig_free(&t);
}

static void test_fin_ack(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t m[50];
	fill(m, sizeof(m), 19);
	handshake(&t, 10, 20);
	assert_int_equal(seg(&t, 0, 11, ACK | FIN, 21, m, 50), REASM_OK);
	assert_true(t.r.d[0].fin);
	assert_int_equal(t.r.d[0].fin_seq, 61);
	/* the server acknowledges the FIN (61 + 1): no gap */
	assert_int_equal(seg(&t, 1, 21, ACK | FIN, 62, NULL, 0), REASM_OK);
	assert_int_equal(seg(&t, 0, 62, ACK, 22, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.gaps, 0);
	assert_stream(t.s, 0, m, 50);
	rig_free(&t);

	/* bytes lost before the FIN: the gap is those bytes only */
	rig_init(&t, 4);
	handshake(&t, 10, 20);
	assert_int_equal(part(&t, 0, 10, m, 0, 20), REASM_OK);
	assert_int_equal(seg(&t, 0, 11 + 40, ACK | FIN, 21, m + 40, 10), REASM_OK); /* [40,50) */
	assert_int_equal(seg(&t, 1, 21, ACK, 62, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.gaps_ack, 1);
	assert_int_equal(t.pool.st.gap_bytes, 20);
	assert_gap(t.s, 0, 0, 20, 20);
	assert_int_equal(t.s->n[0], 30);
	assert_memory_equal(t.s->out[0] + 20, m + 40, 10);
	rig_free(&t);

	/* a FIN alone, all bytes lost before it */
	rig_init(&t, 4);
	handshake(&t, 10, 20);
	assert_int_equal(seg(&t, 0, 61, ACK | FIN, 21, NULL, 0), REASM_OK);
	assert_int_equal(seg(&t, 1, 21, ACK, 62, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.gap_bytes, 50);
	assert_int_equal(t.r.d[0].next, 61);
	rig_free(&t);
}

/* ======================================================================
 * The pool: exhaustion, release, large segments, coalescing
 * ====================================================================== */

static void test_pool_exhaustion(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 3);
	struct reasm b;
	reasm_init(&b);
	uint8_t m[3 * REASM_CHUNK];
	fill(m, sizeof(m), 20);
	/* flow A (t.r) holds two chunks */
	assert_int_equal(seg(&t, 0, 0, SYN, 0, NULL, 0), REASM_OK);
	assert_int_equal(part(&t, 0, 0, m, 100, 10), REASM_OK);
	assert_int_equal(part(&t, 0, 0, m, 200, 10), REASM_OK);
	/* flow B gets the third and runs out */
	assert_int_equal(seg_r(&t, &b, 1, 0, SYN, 0, NULL, 0), REASM_OK);
	assert_int_equal(seg_r(&t, &b, 1, 1, ACK, 0, m, 10), REASM_OK);
	assert_int_equal(seg_r(&t, &b, 1, 1 + 100, ACK, 0, m + 100, 10), REASM_OK);
	assert_int_equal(t.pool.st.chunks_used, 3);
	assert_int_equal(t.pool.nfree, 0);
	assert_int_equal(seg_r(&t, &b, 1, 1 + 200, ACK, 0, m + 200, 10), REASM_ABANDONED);
	assert_true(b.abandoned);
	assert_int_equal(t.pool.st.abandoned, 1);
	assert_int_equal(t.pool.st.chunks_used, 2); /* B's chunk came back */
	assert_int_equal(reasm_buffered(&b, 1), 0);
	/* from then on: nothing more, counted once */
	assert_int_equal(seg_r(&t, &b, 1, 1 + 10, ACK, 0, m + 10, 90), REASM_ABANDONED);
	assert_int_equal(seg_r(&t, &b, 0, 7, SYN, 0, NULL, 0), REASM_ABANDONED);
	assert_int_equal(t.pool.st.abandoned, 1);
	assert_int_equal(t.s->n[1], 10);
	reasm_flush(&t.pool, &b, sink_fn, t.s);
	assert_int_equal(t.s->n[1], 10);
	assert_int_equal(t.s->ngaps[1], 0);
	reasm_release(&t.pool, &b);
	/* flow A goes on */
	assert_int_equal(part(&t, 0, 0, m, 0, 100), REASM_OK);
	assert_int_equal(part(&t, 0, 0, m, 110, 90), REASM_OK);
	assert_stream(t.s, 0, m, 210);
	assert_int_equal(t.pool.st.peak_chunks_used, 3);
	assert_pool_full(&t.pool);
	rig_free(&t);
}

static void test_release(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 8);
	uint8_t m[5000];
	fill(m, sizeof(m), 21);
	handshake(&t, 0, 0);
	assert_int_equal(part(&t, 0, 0, m, 10, 4000), REASM_OK);
	assert_int_equal(part(&t, 1, 0, m, 10, 100), REASM_OK);
	assert_int_equal(part(&t, 1, 0, m, 500, 100), REASM_OK);
	assert_int_equal(t.pool.st.chunks_used, 4);
	reasm_release(&t.pool, &t.r);
	assert_pool_full(&t.pool);
	assert_int_equal(reasm_buffered(&t.r, 0), 0);
	assert_int_equal(reasm_buffered(&t.r, 1), 0);
	assert_int_equal(t.s->n[0] + t.s->n[1], 0);
	assert_int_equal(t.pool.st.peak_chunks_used, 4);
	rig_free(&t);
}

static void test_large_segment(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 8);
	static uint8_t m[6000];
	fill(m, sizeof(m), 22);
	assert_int_equal(seg(&t, 0, 0xFFFFF800u, SYN, 0, NULL, 0), REASM_OK);
	/* [1000, 6000) out of order: 2048 + 2048 + 904 */
	assert_int_equal(part(&t, 0, 0xFFFFF800u, m, 1000, 5000), REASM_OK);
	assert_int_equal(t.r.d[0].npieces, 3);
	assert_int_equal(t.r.d[0].piece[0].len, REASM_CHUNK);
	assert_int_equal(t.r.d[0].piece[1].len, REASM_CHUNK);
	assert_int_equal(t.r.d[0].piece[2].len, 5000 - 2 * REASM_CHUNK);
	assert_int_equal(reasm_buffered(&t.r, 0), 5000);
	assert_int_equal(t.pool.st.chunks_used, 3);
	assert_int_equal(t.pool.st.out_of_order, 1);
	assert_int_equal(part(&t, 0, 0xFFFFF800u, m, 0, 1000), REASM_OK);
	assert_stream(t.s, 0, m, sizeof(m));
	assert_pool_full(&t.pool);
	rig_free(&t);
}

/* 1-byte segments, a hole first: they go into one chunk, not one piece
 * each (captures of interactive sessions). */
static void test_coalesce_small(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 2);
	uint8_t m[300];
	fill(m, sizeof(m), 23);
	assert_int_equal(seg(&t, 0, 0, SYN, 0, NULL, 0), REASM_OK);
	for (size_t i = 1; i < 300; i++)
		assert_int_equal(part(&t, 0, 0, m, i, 1), REASM_OK);
	assert_int_equal(t.r.d[0].npieces, 1);
	assert_int_equal(t.pool.st.peak_chunks_used, 1);
	/* pairs swapped: 2 1 4 3 ... */
	assert_int_equal(part(&t, 0, 0, m, 0, 1), REASM_OK);
	assert_stream(t.s, 0, m, 300);
	sink_clear(t.s);
	uint32_t isn = 300;
	for (size_t i = 0; i + 1 < 300; i += 2) {
		assert_int_equal(part(&t, 0, isn, m, i + 1, 1), REASM_OK);
		assert_int_equal(part(&t, 0, isn, m, i, 1), REASM_OK);
	}
	assert_stream(t.s, 0, m, 300);
	assert_int_equal(t.pool.st.gaps, 0);
	assert_int_equal(t.pool.st.peak_chunks_used, 1);
	rig_free(&t);
}

/* ======================================================================
 * Bugs found by fuzzing (tests/fuzz/corpus/fuzz_reasm/regress_*)
 * ====================================================================== */

/* A segment entirely before next by almost 2^31 was compared with a piece
 * almost 2^31 after it: modulo 2^32 they seemed to overlap (a wild read). */
static void test_bug_old_segment_far_pieces(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t m[100];
	fill(m, sizeof(m), 24);
	assert_int_equal(seg(&t, 0, (1u << 31) + 1, 0, 0, m, 10), REASM_OK); /* next 2^31+11 */
	assert_int_equal(seg(&t, 0, (1u << 31) + 100, 0, 0, m, 20), REASM_OK);
	assert_int_equal(seg(&t, 0, 13, 0, 0, m, 100), REASM_OK); /* 2^31 - 2 before */
	assert_int_equal(t.pool.st.dup_bytes, 100);
	assert_int_equal(t.pool.st.conflict_bytes, 0);
	assert_int_equal(reasm_buffered(&t.r, 0), 20);
	rig_free(&t);
}

/* An old ACK (before next) that lay after a far FIN modulo 2^32 made gaps
 * up to the FIN, beyond the ACK. */
static void test_bug_old_ack_after_far_fin(void **state)
{
	(void)state;
	struct rig t;
	rig_init(&t, 4);
	uint8_t m[100];
	fill(m, sizeof(m), 25);
	assert_int_equal(seg(&t, 1, 1u << 31, 0, 0, m, 10), REASM_OK);
	assert_int_equal(seg(&t, 1, (1u << 31) + 60, FIN, 0, m, 100), REASM_OK);
	assert_int_equal(t.r.d[1].fin_seq, (1u << 31) + 160);
	assert_int_equal(seg(&t, 0, 5, ACK, 100, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.gaps, 0);
	assert_int_equal(t.r.d[1].next, (1u << 31) + 10);
	/* the right ACK still skips to the FIN, not past it */
	assert_int_equal(seg(&t, 0, 5, ACK, (1u << 31) + 161, NULL, 0), REASM_OK);
	assert_int_equal(t.pool.st.gaps_ack, 1);
	assert_int_equal(t.pool.st.gap_bytes, 50);
	assert_int_equal(t.r.d[1].next, (1u << 31) + 160);
	assert_int_equal(t.s->n[1], 110);
	rig_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_init),
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_random_reorder),
		cmocka_unit_test(test_full_reversal),
		cmocka_unit_test(test_retransmission),
		cmocka_unit_test(test_overlap_conflict),
		cmocka_unit_test(test_partial_overlaps),
		cmocka_unit_test(test_wraparound),
		cmocka_unit_test(test_midstream_start),
		cmocka_unit_test(test_syn_reset),
		cmocka_unit_test(test_far_ahead_and_absurd_ack),
		cmocka_unit_test(test_ack_gap),
		cmocka_unit_test(test_one_sided_full),
		cmocka_unit_test(test_flush_holes),
		cmocka_unit_test(test_fin_ack),
		cmocka_unit_test(test_pool_exhaustion),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_large_segment),
		cmocka_unit_test(test_coalesce_small),
		cmocka_unit_test(test_bug_old_segment_far_pieces),
		cmocka_unit_test(test_bug_old_ack_after_far_fin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
