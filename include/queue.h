/* queue.h - bounded single-producer/single-consumer message queue.
 *
 * Variable-length messages live in a byte arena; their descriptors travel
 * through a Concurrency Kit ck_ring (SPSC), which orders the producer's
 * writes before the consumer's reads. Messages are consumed in FIFO order,
 * so arena space is returned in the order it was taken.
 *
 * Invariants:
 *  - Exactly one producer thread and one consumer thread per queue.
 *  - Bound: `arena_bytes` of messages and `slots - 1` messages at once.
 *  - mq_reserve() never blocks; it returns NULL when the bound bites and
 *    counts it in `full`. The caller decides the policy (replay: wait and
 *    retry; live capture: drop and count).
 *  - Nothing is allocated after mq_init().
 */
#ifndef DAVY_QUEUE_H
#define DAVY_QUEUE_H

#include <ck_ring.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum mq_type { MQ_PKT = 1, MQ_TICK, MQ_EOF, MQ_RECORD, MQ_DNS };

struct mq_msg {
	uint32_t charged; /* arena bytes this message holds (with wrap waste) */
	uint32_t len;     /* bytes in data[] */
	uint32_t type;    /* enum mq_type */
	uint32_t pad;
	uint64_t u64;     /* a small payload for control messages (e.g. a time) */
	_Alignas(8) uint8_t data[];
};

struct mq {
	ck_ring_t ring;
	ck_ring_buffer_t *slots;
	unsigned nslots;
	uint8_t *arena;
	size_t cap;
	size_t head;            /* producer only: next write offset */
	struct mq_msg *pending; /* producer only: reserved, not committed */
	size_t pending_waste;
	_Atomic size_t used;    /* arena bytes in use */
	struct mq_msg *cur;     /* consumer only: dequeued, not released */
	uint64_t full;          /* reservations refused */
	uint64_t peak_used;
};

/* nslots is rounded up to a power of two. Returns 0, or -1 (no memory). */
int mq_init(struct mq *q, size_t arena_bytes, unsigned nslots);
void mq_free(struct mq *q);

/* Producer: room for a message of up to `len` data bytes, or NULL. */
struct mq_msg *mq_reserve(struct mq *q, size_t len);
/* Producer: publishes the reserved message with its final length (<= the
 * reserved one). */
void mq_commit(struct mq *q, struct mq_msg *m, uint32_t type, size_t len);

/* Consumer: the oldest message, or NULL when empty. */
struct mq_msg *mq_peek(struct mq *q);
/* Consumer: gives the oldest message's space back. */
void mq_release(struct mq *q, struct mq_msg *m);

/* Backoff for a thread that found a queue full or empty: spins briefly,
 * then yields, then sleeps a few tens of microseconds. `round` counts
 * consecutive waits; reset it to 0 after progress. */
void mq_backoff(unsigned *round);

/* The same for a consumer waiting for input that may not come for a long
 * time (a quiet link): after MQ_IDLE_ROUNDS rounds of mq_backoff it sleeps
 * MQ_IDLE_SLEEP_US each round, so an idle sensor wakes each thread about
 * a thousand times a second instead of twenty thousand. The producer's
 * side cannot lose by it: a queue holds far more than a millisecond of
 * traffic (--ring-size, at least 1 MiB per interface). */
#define MQ_IDLE_ROUNDS 64
#define MQ_IDLE_SLEEP_US 1000
void mq_idle(unsigned *round);

#endif
