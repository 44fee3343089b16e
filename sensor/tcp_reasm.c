/* tcp_reasm.c - TCP stream reassembly, per direction, into a callback (see
 * tcp_reasm.h for the contract and the policies). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tcp_reasm.h"

/* How far ahead of `next` a segment or an acknowledgement may lie. Beyond
 * it the numbers are garbage (or another connection's): they are ignored,
 * so that they cannot make a direction skip the world. Keeping every
 * buffered byte within 2^31 of `next` also keeps the modulo-2^32
 * comparisons below meaningful. */
#define REASM_WINDOW (1u << 30)

static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

static uint32_t piece_end(const struct reasm_piece *pc)
{
	return pc->seq + pc->len;
}

/* Bytes still free in the piece's chunk. */
static uint32_t room(const struct reasm_piece *pc)
{
	return (uint32_t)REASM_CHUNK - pc->len;
}

static uint32_t umin(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint8_t *chunk_mem(const struct reasm_pool *p, uint32_t c)
{
	return p->mem + (size_t)c * REASM_CHUNK;
}

int reasm_pool_init(struct reasm_pool *p, size_t bytes, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	size_t n = bytes / REASM_CHUNK;
	if (n == 0)
		n = 1;
	if (n > UINT32_MAX) {
		snprintf(err, errlen, "tcp_reasm: a pool of %zu bytes is too large", bytes);
		return -1;
	}
	p->mem = malloc(n * REASM_CHUNK);
	p->free = malloc(n * sizeof(*p->free));
	if (!p->mem || !p->free) {
		snprintf(err, errlen, "tcp_reasm: out of memory for %zu chunks", n);
		reasm_pool_free(p);
		return -1;
	}
	for (size_t i = 0; i < n; i++) /* chunk 0 on top */
		p->free[i] = (uint32_t)(n - 1 - i);
	p->nfree = p->nchunks = (uint32_t)n;
	p->st.chunks = n;
	return 0;
}

void reasm_pool_free(struct reasm_pool *p)
{
	free(p->mem);
	free(p->free);
	p->mem = NULL;
	p->free = NULL;
	p->nfree = p->nchunks = 0; /* the counters stay readable */
}

/* The caller has checked p->nfree > 0. */
static uint32_t chunk_get(struct reasm_pool *p)
{
	if (++p->st.chunks_used > p->st.peak_chunks_used)
		p->st.peak_chunks_used = p->st.chunks_used;
	return p->free[--p->nfree];
}

static void chunk_put(struct reasm_pool *p, uint32_t c)
{
	p->free[p->nfree++] = c;
	p->st.chunks_used--;
}

static void dir_release(struct reasm_pool *p, struct reasm_dir *d)
{
	for (unsigned i = 0; i < d->npieces; i++)
		chunk_put(p, d->piece[i].chunk);
	d->npieces = 0;
}

void reasm_init(struct reasm *r)
{
	memset(r, 0, sizeof(*r));
}

void reasm_release(struct reasm_pool *p, struct reasm *r)
{
	dir_release(p, &r->d[0]);
	dir_release(p, &r->d[1]);
}

size_t reasm_buffered(const struct reasm *r, int dir)
{
	const struct reasm_dir *d = &r->d[dir ? 1 : 0];
	size_t n = 0;
	for (unsigned i = 0; i < d->npieces; i++)
		n += d->piece[i].len;
	return n;
}

/* Delivers the pieces that start at `next`, in order, and returns their
 * chunks. The state is updated before the callback runs. */
static void drain(struct reasm_pool *p, struct reasm_dir *d, int dir, reasm_fn fn, void *ctx)
{
	while (d->npieces > 0 && d->piece[0].seq == d->next) {
		struct reasm_piece pc = d->piece[0];
		d->npieces--;
		memmove(&d->piece[0], &d->piece[1], d->npieces * sizeof(pc));
		d->next += pc.len;
		p->st.delivered_bytes += pc.len;
		fn(ctx, dir, chunk_mem(p, pc.chunk), pc.len);
		chunk_put(p, pc.chunk);
	}
}

/* Skips from `next` to `to` (after `next`), reports it, and delivers the
 * pieces that became contiguous. */
static void gap(struct reasm_pool *p, struct reasm_dir *d, int dir, uint32_t to, uint64_t *kind,
		reasm_fn fn, void *ctx)
{
	uint32_t n = to - d->next;
	d->next = to;
	p->st.gaps++;
	(*kind)++;
	p->st.gap_bytes += n;
	fn(ctx, dir, NULL, n);
	drain(p, d, dir, fn, ctx);
}

/* An acknowledgement of direction `dir`: what it acknowledges and we never
 * saw is lost to the capture. Data ends at the FIN (the FIN's own sequence
 * number is not a byte). The ACK is placed against `next` first: modulo
 * 2^32, "before" is only meaningful between numbers less than 2^31 apart. */
static void acked(struct reasm_pool *p, struct reasm *r, int dir, uint32_t ack, reasm_fn fn,
		  void *ctx)
{
	struct reasm_dir *d = &r->d[dir];
	if (!d->started || !seq_lt(d->next, ack) || ack - d->next > REASM_WINDOW)
		return;
	uint32_t limit = d->fin && seq_lt(d->fin_seq, ack) ? d->fin_seq : ack;
	while (seq_lt(d->next, limit)) {
		uint32_t to = d->npieces > 0 ? seq_min(d->piece[0].seq, limit) : limit;
		gap(p, d, dir, to, &p->st.gaps_ack, fn, ctx);
	}
}

/* First copy wins: counts the bytes of [s, e) (data at `b`) that are
 * already buffered, and those of them that differ. */
static void count_overlaps(struct reasm_pool *p, const struct reasm_dir *d, uint32_t s,
			   uint32_t e, const uint8_t *b)
{
	for (unsigned i = 0; i < d->npieces; i++) {
		const struct reasm_piece *pc = &d->piece[i];
		uint32_t lo = seq_lt(s, pc->seq) ? pc->seq : s;
		uint32_t hi = seq_min(e, piece_end(pc));
		if (!seq_lt(lo, hi))
			continue;
		const uint8_t *x = b + (lo - s), *y = chunk_mem(p, pc->chunk) + (lo - pc->seq);
		p->st.dup_bytes += hi - lo;
		for (uint32_t j = 0; j < hi - lo; j++)
			p->st.conflict_bytes += x[j] != y[j];
	}
}

/* The payload [s0, s0 + len) of a started direction: delivers what is in
 * order, buffers the rest. Returns -1 when the pool has no chunk. */
static int place(struct reasm_pool *p, struct reasm_dir *d, int dir, uint32_t s0,
		 const uint8_t *data, size_t len, reasm_fn fn, void *ctx)
{
	if (len >= REASM_WINDOW || (int32_t)(s0 - d->next) > (int32_t)REASM_WINDOW) {
		p->st.far_ahead++;
		return 0;
	}
	uint32_t pos = s0, e = s0 + (uint32_t)len;
	if (seq_lt(pos, d->next)) { /* already delivered (or skipped) */
		uint32_t old = d->next - pos;
		if (old > len)
			old = (uint32_t)len;
		p->st.dup_bytes += old;
		pos += old;
		if (pos == e) /* all old: far from next, so compare nothing */
			return 0;
	}
	count_overlaps(p, d, pos, e, data + (pos - s0));

	bool in = false, out = false;
	while (seq_lt(pos, e)) {
		if (seq_lt(pos, d->next)) { /* in a piece just delivered: counted */
			pos = seq_min(e, d->next);
			continue;
		}
		unsigned i = 0, np = d->npieces;
		while (i < np && !seq_lt(pos, piece_end(&d->piece[i])))
			i++;
		struct reasm_piece *pc = i < np ? &d->piece[i] : NULL;
		if (pc && !seq_lt(pos, pc->seq)) { /* inside piece i: counted */
			pos = seq_min(e, piece_end(pc));
			continue;
		}
		/* a hole [pos, hole) of the buffer that this segment fills */
		uint32_t hole = pc ? seq_min(e, pc->seq) : e, n = hole - pos, k;
		const uint8_t *src = data + (pos - s0);
		struct reasm_piece *prev = i > 0 ? &d->piece[i - 1] : NULL;
		if (pos == d->next) {
			d->next = hole;
			p->st.delivered_bytes += n;
			in = true;
			fn(ctx, dir, src, n);
			drain(p, d, dir, fn, ctx);
			pos = hole;
			continue;
		}
		if (prev && piece_end(prev) == pos && room(prev) > 0) {
			/* continues piece i-1: append into its chunk */
			k = umin(n, room(prev));
			memcpy(chunk_mem(p, prev->chunk) + prev->len, src, k);
			prev->len = (uint16_t)(prev->len + k);
			pos += k;
		} else if (pc && hole == pc->seq && room(pc) > 0) {
			/* ends where piece i starts: prepend the hole's tail */
			k = umin(n, room(pc));
			uint8_t *m = chunk_mem(p, pc->chunk);
			memmove(m + k, m, pc->len);
			memcpy(m, src + (n - k), k);
			pc->seq -= k;
			pc->len = (uint16_t)(pc->len + k);
		} else if (np == REASM_SEGS) {
			/* no room: skip to the first piece, or to this segment
			 * when it comes first (the bytes in hand are kept) */
			gap(p, d, dir, seq_min(pos, d->piece[0].seq), &p->st.gaps_full, fn, ctx);
			continue;
		} else if (p->nfree == 0) {
			return -1;
		} else {
			k = umin(n, REASM_CHUNK);
			memmove(&d->piece[i + 1], &d->piece[i], (np - i) * sizeof(d->piece[0]));
			d->piece[i] = (struct reasm_piece){ .seq = pos, .len = (uint16_t)k,
							    .chunk = chunk_get(p) };
			memcpy(chunk_mem(p, d->piece[i].chunk), src, k);
			d->npieces++;
			pos += k;
		}
		out = true;
	}
	p->st.in_order += in;
	p->st.out_of_order += out;
	return 0;
}

enum reasm_result reasm_segment(struct reasm_pool *p, struct reasm *r, int dir, uint32_t seq,
				uint8_t flags, uint32_t ack, const uint8_t *data, size_t len,
				reasm_fn fn, void *ctx)
{
	if (r->abandoned)
		return REASM_ABANDONED;
	dir = dir ? 1 : 0;
	struct reasm_dir *d = &r->d[dir];

	/* what the other side had sent before this segment comes first */
	if (flags & REASM_ACK)
		acked(p, r, 1 - dir, ack, fn, ctx);

	if (flags & REASM_SYN) {
		/* the same ISN again is a retransmitted SYN, not a new start */
		if (!d->started || seq + 1 != d->next) {
			if (d->started) {
				p->st.syn_resets++;
				dir_release(p, d);
			}
			d->next = seq + 1;
			d->started = 1;
			d->fin = 0;
		}
		seq++; /* payload on a SYN (TCP Fast Open) follows it */
	}
	if (len > 0) {
		p->st.segments++;
		if (!d->started) { /* mid-stream start */
			d->next = seq;
			d->started = 1;
		}
		if (place(p, d, dir, seq, data, len, fn, ctx) < 0) {
			reasm_release(p, r);
			r->abandoned = 1;
			p->st.abandoned++;
			return REASM_ABANDONED;
		}
	}
	if ((flags & REASM_FIN) && d->started && !d->fin) {
		uint32_t f = seq + (uint32_t)len;
		if (!seq_lt(f, d->next) && f - d->next <= REASM_WINDOW) {
			d->fin = 1;
			d->fin_seq = f;
		}
	}
	return REASM_OK;
}

void reasm_flush(struct reasm_pool *p, struct reasm *r, reasm_fn fn, void *ctx)
{
	for (int dir = 0; dir < 2; dir++) {
		struct reasm_dir *d = &r->d[dir];
		while (d->npieces > 0) /* the first piece is after next: a hole */
			gap(p, d, dir, d->piece[0].seq, &p->st.gaps_flush, fn, ctx);
	}
}
