/* tcp_reasm.h - TCP stream reassembly for the flows that need it (Stratum
 * candidates): each direction's payload, in sequence order, to a callback.
 *
 * Invariants:
 *  - A `struct reasm_pool` belongs to one worker thread. Out-of-order bytes
 *    are copied into its chunks (REASM_CHUNK bytes each), allocated once at
 *    start-up: the packet path never calls malloc and takes no lock.
 *  - A `struct reasm` (one per reassembled flow, inside the caller's flow
 *    state) holds at most REASM_SEGS buffered pieces per direction, each at
 *    most REASM_CHUNK bytes and in one chunk; pieces are sorted by sequence
 *    number, never overlap each other, and all lie after `next`.
 *  - Sequence numbers are compared modulo 2^32 (RFC 1982 style, through a
 *    signed 32-bit difference), so streams that wrap around 2^32 work.
 *  - Every byte handed to the callback for a direction follows the previous
 *    one in sequence space, or follows a gap reported before it. No byte is
 *    handed over twice.
 *
 * Policies:
 *  - Start. A SYN sets the direction's next sequence number to ISN + 1 (a
 *    SYN for a direction already started resets it: its buffered pieces are
 *    released, counted in `syn_resets`). Without a SYN (capture started
 *    mid-connection) the first segment carrying payload starts the direction
 *    at its own sequence number. A SYN with the ISN the direction already
 *    has (a retransmitted SYN or SYN-ACK) changes nothing.
 *  - Retransmissions and overlaps: the first copy wins. Bytes already
 *    delivered, or already buffered, are never replaced by a later copy; only
 *    the bytes of a segment not seen before are used (counted in
 *    `dup_bytes`; bytes of a later copy that differ from the first are
 *    counted in `conflict_bytes` when the first is still buffered).
 *  - Out of order: a segment after `next` is buffered, cut into pieces of at
 *    most REASM_CHUNK bytes, when the direction has pieces and the pool has
 *    chunks for it. When the missing bytes arrive the contiguous pieces are
 *    delivered and their chunks returned.
 *  - Gaps (bytes lost to the capture). A gap is declared and counted in
 *    `gaps` (callback with data NULL) when
 *      a) the other direction acknowledges bytes this direction never
 *         showed (ACK beyond `next`): skip to the first buffered piece or to
 *         the acknowledged number, whichever comes first (`gaps_ack`);
 *      b) a segment cannot be buffered because the direction already holds
 *         REASM_SEGS pieces: skip to the first buffered piece and deliver
 *         from there (`gaps_full`) - the one-sided capture's case, where no
 *         ACK is seen. When the segment lies before the first piece, skip
 *         only to the segment and deliver it (the bytes in hand are kept);
 *      c) reasm_flush() at the flow's end: what remains buffered is
 *         delivered, with a gap before each hole (`gaps_flush`).
 *    A segment's ACK is taken before its own payload (it speaks of what
 *    the other side had sent before). An out-of-order segment that continues
 *    a buffered piece, or ends where one starts, is copied into that piece's
 *    chunk while it has room (1-byte segments reordered take one piece).
 *  - Garbage numbers: a segment starting more than 1 GiB (2^30) after
 *    `next`, or of 1 GiB or more, is ignored (`far_ahead`); one before
 *    `next` is a retransmission. An ACK more than 1 GiB ahead is ignored.
 *  - FIN takes one sequence number; it is not data and is never reported as
 *    a gap (an ACK of the FIN's number + 1 skips nothing). The first FIN of
 *    a direction counts. RST changes nothing here (the flow table ends the
 *    flow).
 *  - Pool exhausted: the flow that cannot get a chunk stops being reassembled
 *    (`abandoned`): its pieces are released and reasm_segment() returns
 *    REASM_ABANDONED then and for every later call; the caller keeps what it
 *    already learnt from the stream.
 */
#ifndef DAVY_TCP_REASM_H
#define DAVY_TCP_REASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REASM_CHUNK 2048 /* bytes per buffered piece */
#define REASM_SEGS 16    /* buffered pieces per direction */

/* only uint64_t counters: counters.h adds them up */
struct reasm_stats {
	uint64_t segments;       /* segments with payload given to reasm_segment() */
	uint64_t in_order;       /* of which delivered at once (at least in part) */
	uint64_t out_of_order;   /* of which buffered (at least in part) */
	uint64_t delivered_bytes;
	uint64_t dup_bytes;      /* bytes seen before (retransmission, overlap) */
	uint64_t conflict_bytes; /* of which different from the first copy */
	uint64_t gaps;           /* gaps reported: gaps_ack + gaps_full + gaps_flush */
	uint64_t gaps_ack, gaps_full, gaps_flush;
	uint64_t gap_bytes;      /* sequence space skipped by gaps */
	uint64_t syn_resets;
	uint64_t abandoned;      /* flows that stopped: the pool had no chunk */
	uint64_t far_ahead;      /* segments ignored: over 1 GiB ahead of next */
	uint64_t chunks_used;    /* now */
	uint64_t peak_chunks_used;
	uint64_t chunks;         /* the pool's size */
};

struct reasm_pool {
	uint8_t *mem;      /* chunks * REASM_CHUNK bytes */
	uint32_t *free;    /* stack of free chunk indices */
	uint32_t nfree;
	uint32_t nchunks;
	struct reasm_stats st;
};

struct reasm_piece {
	uint32_t seq;
	uint16_t len;   /* 1..REASM_CHUNK */
	uint16_t pad;
	uint32_t chunk; /* index in the pool */
};

struct reasm_dir {
	uint32_t next;    /* next sequence number to deliver */
	uint8_t started;  /* next is valid */
	uint8_t fin;      /* a FIN was seen; fin_seq is valid */
	uint8_t npieces;
	uint8_t pad;
	uint32_t fin_seq; /* sequence number of the FIN */
	struct reasm_piece piece[REASM_SEGS];
};

struct reasm {
	struct reasm_dir d[2];
	uint8_t abandoned;
};

enum reasm_result { REASM_OK = 0, REASM_ABANDONED };

/* Called with bytes of direction dir in order; data NULL (len 0 or the bytes
 * skipped when known) reports a gap before the next bytes. The bytes are
 * valid during the call only; when it runs, d[dir].next is already past
 * them (or past the gap). It must not call reasm_*() on the same flow. */
typedef void (*reasm_fn)(void *ctx, int dir, const uint8_t *data, size_t len);

/* TCP flag bits as in the TCP header. */
#define REASM_FIN 0x01
#define REASM_SYN 0x02
#define REASM_RST 0x04
#define REASM_ACK 0x10

/* Allocates `bytes` of chunks (rounded down to REASM_CHUNK; at least one).
 * Returns 0, or -1 with a message in err. */
int reasm_pool_init(struct reasm_pool *p, size_t bytes, char *err, size_t errlen);
void reasm_pool_free(struct reasm_pool *p);

/* Zeroes a flow's state; allocates nothing. */
void reasm_init(struct reasm *r);

/* One segment sent in direction dir (0 or 1): its sequence number, TCP
 * flags, acknowledgement number (used when flags has REASM_ACK) and payload.
 * Delivers what becomes contiguous through fn, in order. */
enum reasm_result reasm_segment(struct reasm_pool *p, struct reasm *r, int dir, uint32_t seq,
				uint8_t flags, uint32_t ack, const uint8_t *data, size_t len,
				reasm_fn fn, void *ctx);

/* The flow ends: delivers every buffered piece, in order, with a gap before
 * each hole, then releases them. */
void reasm_flush(struct reasm_pool *p, struct reasm *r, reasm_fn fn, void *ctx);

/* Returns the flow's chunks to the pool without delivering them. */
void reasm_release(struct reasm_pool *p, struct reasm *r);

/* Bytes buffered in direction dir now. */
size_t reasm_buffered(const struct reasm *r, int dir);

#endif
