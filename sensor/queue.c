/* queue.c - bounded SPSC message queue: a byte arena plus a ck_ring. */
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "queue.h"
#include "tsan.h"

#define MQ_ALIGN 8u

static size_t align_up(size_t n)
{
	return (n + MQ_ALIGN - 1) & ~(size_t)(MQ_ALIGN - 1);
}

int mq_init(struct mq *q, size_t arena_bytes, unsigned nslots)
{
	memset(q, 0, sizeof(*q));
	unsigned n = 2;
	while (n < nslots)
		n <<= 1;
	q->nslots = n;
	q->cap = align_up(arena_bytes);
	q->slots = calloc(n, sizeof(*q->slots));
	q->arena = malloc(q->cap);
	if (!q->slots || !q->arena) {
		mq_free(q);
		return -1;
	}
	ck_ring_init(&q->ring, n);
	atomic_init(&q->used, 0);
	return 0;
}

void mq_free(struct mq *q)
{
	free(q->slots);
	free(q->arena);
	q->slots = NULL;
	q->arena = NULL;
}

struct mq_msg *mq_reserve(struct mq *q, size_t len)
{
	size_t need = align_up(sizeof(struct mq_msg) + len);
	if (need > q->cap) {
		q->full++;
		return NULL;
	}
	/* one slot is always kept free by ck_ring */
	if (ck_ring_size(&q->ring) + 1 >= q->nslots) {
		q->full++;
		return NULL;
	}
	size_t used = atomic_load_explicit(&q->used, memory_order_acquire);
	if (used == 0)
		q->head = 0; /* empty: start over, so no wrap waste can refuse a fitting message */
	size_t waste = 0, at = q->head;
	if (at + need > q->cap) {
		waste = q->cap - at; /* the tail end is skipped; charged to this message */
		at = 0;
	}
	if (used + waste + need > q->cap) {
		q->full++;
		return NULL;
	}
	struct mq_msg *m = (struct mq_msg *)(q->arena + at);
	q->pending = m;
	q->pending_waste = waste;
	return m;
}

void mq_commit(struct mq *q, struct mq_msg *m, uint32_t type, size_t len)
{
	size_t need = align_up(sizeof(struct mq_msg) + len);
	size_t at = (size_t)((uint8_t *)m - q->arena);
	m->charged = (uint32_t)(need + q->pending_waste);
	m->len = (uint32_t)len;
	m->type = type;
	q->head = at + need;
	if (q->head == q->cap)
		q->head = 0;
	size_t used = atomic_fetch_add_explicit(&q->used, m->charged, memory_order_acq_rel) +
		      m->charged;
	if (used > q->peak_used)
		q->peak_used = used;
	q->pending = NULL;
	/* cannot fail: mq_reserve checked the slot count and only this thread enqueues */
	TSAN_RELEASE(&q->ring); /* ck_ring's publication of m (tsan.h) */
	ck_ring_enqueue_spsc(&q->ring, q->slots, m);
}

struct mq_msg *mq_peek(struct mq *q)
{
	if (!q->cur) {
		void *p;
		if (!ck_ring_dequeue_spsc(&q->ring, q->slots, &p))
			return NULL;
		TSAN_ACQUIRE(&q->ring); /* the producer's writes to p are visible (tsan.h) */
		q->cur = p;
	}
	return q->cur;
}

void mq_release(struct mq *q, struct mq_msg *m)
{
	atomic_fetch_sub_explicit(&q->used, m->charged, memory_order_release);
	q->cur = NULL;
}

void mq_idle(unsigned *round)
{
	if (*round < MQ_IDLE_ROUNDS) {
		mq_backoff(round);
		return;
	}
	struct timespec ts = { 0, MQ_IDLE_SLEEP_US * 1000L };
	nanosleep(&ts, NULL);
}

void mq_backoff(unsigned *round)
{
	unsigned r = (*round)++;
	if (r < 32) {
#if defined(__x86_64__) || defined(__i386__)
		__builtin_ia32_pause();
#endif
	} else if (r < 48) {
		sched_yield();
	} else {
		struct timespec ts = { 0, 50 * 1000 };
		nanosleep(&ts, NULL);
	}
}
