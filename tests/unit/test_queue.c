/* test_queue.c - the bounded SPSC message queue: order, sizes, wrap-around,
 * refusal when full, and a two-thread run with content checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>
#include <cmocka.h>

#include "queue.h"

#define HDR sizeof(struct mq_msg)

static size_t charge_of(size_t len)
{
	return (HDR + len + 7) & ~(size_t)7;
}

static uint8_t pattern(uint64_t seq, size_t i)
{
	return (uint8_t)(seq * 131u + i * 7u + (seq >> 8));
}

static void fill(struct mq_msg *m, uint64_t seq, size_t len)
{
	for (size_t i = 0; i < len; i++)
		m->data[i] = pattern(seq, i);
}

static int check(const struct mq_msg *m, uint64_t seq, size_t len)
{
	if (m->u64 != seq || m->len != len || m->type != MQ_PKT)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (m->data[i] != pattern(seq, i))
			return 0;
	return 1;
}

static unsigned wraps; /* times a message went below the previous one */
static uint8_t *last_at;

static struct mq_msg *put(struct mq *q, uint64_t seq, size_t len)
{
	struct mq_msg *m = mq_reserve(q, len);
	if (!m)
		return NULL;
	if (last_at && (uint8_t *)m <= last_at)
		wraps++;
	last_at = (uint8_t *)m;
	assert_true(((uintptr_t)m & 7) == 0);
	assert_true((uint8_t *)m >= q->arena && (uint8_t *)m + charge_of(len) <= q->arena + q->cap);
	fill(m, seq, len);
	m->u64 = seq;
	mq_commit(q, m, MQ_PKT, len);
	return m;
}

static void get(struct mq *q, uint64_t seq, size_t len)
{
	struct mq_msg *m = mq_peek(q);
	assert_non_null(m);
	assert_true(check(m, seq, len));
	mq_release(q, m);
}

static void test_init_rounding(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 1001, 5), 0);
	assert_int_equal(q.nslots, 8);
	assert_int_equal(q.cap, 1008);
	assert_null(mq_peek(&q));
	mq_free(&q);
	assert_int_equal(mq_init(&q, 64, 0), 0);
	assert_int_equal(q.nslots, 2);
	mq_free(&q);
}

static void test_order(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 4096, 16), 0);
	assert_null(mq_peek(&q));
	for (uint64_t i = 0; i < 5; i++)
		assert_non_null(put(&q, i, i * 10));
	assert_int_equal(atomic_load(&q.used), charge_of(0) + charge_of(10) + charge_of(20) +
							 charge_of(30) + charge_of(40));
	/* peek without release returns the same message */
	struct mq_msg *a = mq_peek(&q), *b = mq_peek(&q);
	assert_ptr_equal(a, b);
	assert_true(check(a, 0, 0));
	mq_release(&q, a);
	for (uint64_t i = 1; i < 5; i++)
		get(&q, i, i * 10);
	assert_null(mq_peek(&q));
	assert_int_equal(atomic_load(&q.used), 0);
	assert_int_equal(q.full, 0);
	mq_free(&q);
}

/* Control messages carry no data; the type and u64 travel. */
static void test_types(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 256, 8), 0);
	static const uint32_t types[] = { MQ_TICK, MQ_EOF, MQ_RECORD };
	for (int i = 0; i < 3; i++) {
		struct mq_msg *m = mq_reserve(&q, 0);
		assert_non_null(m);
		m->u64 = 1000 + (uint64_t)i;
		mq_commit(&q, m, types[i], 0);
	}
	for (int i = 0; i < 3; i++) {
		struct mq_msg *m = mq_peek(&q);
		assert_non_null(m);
		assert_int_equal(m->type, types[i]);
		assert_int_equal(m->u64, 1000 + i);
		assert_int_equal(m->len, 0);
		mq_release(&q, m);
	}
	mq_free(&q);
}

/* Committing less than was reserved charges only what was committed. */
static void test_commit_shorter(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 1024, 8), 0);
	struct mq_msg *m = mq_reserve(&q, 500);
	assert_non_null(m);
	fill(m, 9, 3);
	m->u64 = 9;
	mq_commit(&q, m, MQ_PKT, 3);
	assert_int_equal(atomic_load(&q.used), charge_of(3));
	struct mq_msg *n = put(&q, 10, 100);
	assert_non_null(n);
	assert_ptr_equal((uint8_t *)n, (uint8_t *)m + charge_of(3));
	get(&q, 9, 3);
	get(&q, 10, 100);
	mq_free(&q);
}

static void test_refuse_too_big(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 256, 8), 0);
	assert_null(mq_reserve(&q, 256));
	assert_int_equal(q.full, 1);
	assert_non_null(mq_reserve(&q, 256 - HDR)); /* exactly the arena */
	mq_free(&q);
}

static void test_refuse_arena_full(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 1024, 64), 0);
	size_t len = 100, c = charge_of(len); /* 128 */
	uint64_t n = 0;
	while (put(&q, n, len))
		n++;
	assert_int_equal(n, 1024 / c);
	assert_int_equal(q.full, 1);
	assert_null(mq_reserve(&q, len));
	assert_int_equal(q.full, 2);
	assert_int_equal(q.peak_used, n * c);
	/* one release makes room for exactly one more */
	get(&q, 0, len);
	assert_non_null(put(&q, n, len));
	assert_null(mq_reserve(&q, len));
	for (uint64_t i = 1; i <= n; i++)
		get(&q, i, len);
	assert_null(mq_peek(&q));
	assert_int_equal(atomic_load(&q.used), 0);
	mq_free(&q);
}

static void test_refuse_slots_full(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 65536, 4), 0);
	/* nslots - 1 messages at once */
	for (uint64_t i = 0; i < 3; i++)
		assert_non_null(put(&q, i, 1));
	uint64_t full = q.full;
	assert_null(mq_reserve(&q, 1));
	assert_int_equal(q.full, full + 1);
	get(&q, 0, 1);
	assert_non_null(put(&q, 3, 1));
	for (uint64_t i = 1; i < 4; i++)
		get(&q, i, 1);
	mq_free(&q);
}

/* Fill to refusal and drain, many rounds, with sizes that do not divide the
 * arena, so the write position lands everywhere and wraps with waste. */
static void test_wrap_fill_drain(void **state)
{
	(void)state;
	struct mq q;
	const size_t cap = 1000;
	assert_int_equal(mq_init(&q, cap, 64), 0);
	static const size_t sizes[] = { 1, 13, 37, 101, 250, 0, 7, 333, 64, 5 };
	const size_t nsizes = sizeof(sizes) / sizeof(sizes[0]);
	wraps = 0;
	last_at = NULL;
	uint64_t seq_in = 0, seq_out = 0, refused = 0;
	size_t lens[1024]; /* by seq & 1023; at most 63 in flight */
	for (int round = 0; round < 3000; round++) {
		size_t k = 0;
		for (;;) {
			size_t len = sizes[(seq_in + (uint64_t)round) % nsizes];
			if (!put(&q, seq_in, len)) {
				refused++;
				break;
			}
			lens[seq_in & 1023] = len;
			seq_in++;
			k++;
			assert_true(atomic_load(&q.used) <= q.cap);
			assert_true(seq_in - seq_out < 64);
		}
		assert_int_equal(q.full, refused);
		/* drain all but (round % 3) messages: the kept ones shift where the
		 * next round starts relative to the free space */
		uint64_t keep = (uint64_t)round % 3;
		while (seq_in - seq_out > keep) {
			get(&q, seq_out, lens[seq_out & 1023]);
			seq_out++;
		}
		if (keep == 0) {
			assert_null(mq_peek(&q));
			assert_int_equal(atomic_load(&q.used), 0);
		}
	}
	while (seq_out < seq_in) {
		get(&q, seq_out, lens[seq_out & 1023]);
		seq_out++;
	}
	assert_null(mq_peek(&q));
	assert_int_equal(atomic_load(&q.used), 0);
	assert_true(seq_in > 3000 * 2);
	assert_true(wraps > 1000);
	assert_int_equal(seq_in, seq_out);
	assert_true(q.peak_used <= q.cap);
	mq_free(&q);
}

/* Keep several messages in flight while cycling through the arena. */
static void test_wrap_interleaved(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 777, 8), 0);
	uint64_t in = 0, out = 0;
	static size_t lens[1 << 16];
	for (int step = 0; step < 200000 && in < (1 << 16); step++) {
		size_t len = (size_t)((in * 2654435761u) >> 7) % 200;
		if ((step % 5) != 4 && put(&q, in, len)) {
			lens[in] = len;
			in++;
		} else if (out < in) {
			get(&q, out, lens[out]);
			out++;
		}
	}
	while (out < in) {
		get(&q, out, lens[out]);
		out++;
	}
	assert_true(in > 10000);
	assert_int_equal(atomic_load(&q.used), 0);
	mq_free(&q);
}

/* A message of up to half the arena fits in an empty queue wherever the
 * write position was left (what run.c relies on: its messages are far below
 * half of --ring-size). */
static void test_empty_queue_half_arena(void **state)
{
	(void)state;
	struct mq q;
	const size_t cap = 1000;
	assert_int_equal(mq_init(&q, cap, 16), 0);
	for (uint64_t k = 0; k < 2000; k++) {
		/* a small message moves the write position somewhere new */
		size_t small = (size_t)(k * 37) % 200;
		assert_non_null(put(&q, k, small));
		get(&q, k, small);
		size_t len = cap / 2 - HDR;
		if (!put(&q, k, len))
			fail_msg("half-arena message refused on an empty queue, head %zu", q.head);
		get(&q, k, len);
	}
	mq_free(&q);
}

/* Any message the arena can hold (need <= cap) must eventually be accepted
 * once the consumer has drained everything. Currently a message of more
 * than half the arena is refused forever on an empty queue when the write
 * position sits near the middle (see the report); the test skips while that
 * stands. */
static void test_empty_queue_big_message(void **state)
{
	(void)state;
	struct mq q;
	assert_int_equal(mq_init(&q, 1000, 16), 0);
	assert_non_null(put(&q, 1, 480)); /* charged 504: head = 504 */
	get(&q, 1, 480);
	assert_int_equal(atomic_load(&q.used), 0);
	struct mq_msg *m = NULL;
	for (int tries = 0; tries < 100 && !m; tries++)
		m = mq_reserve(&q, 576); /* charge 600 <= cap, queue empty */
	assert_non_null(m); /* an empty queue takes any message that fits the arena */
	mq_free(&q);
}

/* ---- two threads ---------------------------------------------------------- */

#define NMSG 1000000u

struct tt {
	struct mq q;
	unsigned bad;
	uint64_t got;
};

static size_t tt_len(uint64_t i)
{
	/* 0..611 bytes, irregular */
	return (size_t)((i * 2654435761u) ^ (i >> 3)) % 612;
}

static void *producer(void *arg)
{
	struct tt *t = arg;
	unsigned round = 0;
	for (uint64_t i = 0; i < NMSG; i++) {
		size_t len = tt_len(i);
		struct mq_msg *m;
		while (!(m = mq_reserve(&t->q, len)))
			mq_backoff(&round);
		round = 0;
		fill(m, i, len);
		m->u64 = i;
		mq_commit(&t->q, m, i + 1 == NMSG ? MQ_EOF : MQ_PKT, len);
	}
	return NULL;
}

static void *consumer(void *arg)
{
	struct tt *t = arg;
	unsigned round = 0;
	for (uint64_t i = 0;; i++) {
		struct mq_msg *m;
		while (!(m = mq_peek(&t->q)))
			mq_backoff(&round);
		round = 0;
		size_t len = tt_len(i);
		uint32_t type = m->type;
		if (type == MQ_EOF)
			m->type = MQ_PKT; /* for check() */
		if (!check(m, i, len))
			t->bad++;
		t->got++;
		mq_release(&t->q, m);
		if (type == MQ_EOF)
			break;
	}
	return NULL;
}

static void test_two_threads(void **state)
{
	(void)state;
	struct tt *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	/* a small arena (not a multiple of typical sizes) so both sides wait
	 * and the arena wraps thousands of times */
	assert_int_equal(mq_init(&t->q, 6000, 32), 0);
	pthread_t p, c;
	assert_int_equal(pthread_create(&c, NULL, consumer, t), 0);
	assert_int_equal(pthread_create(&p, NULL, producer, t), 0);
	assert_int_equal(pthread_join(p, NULL), 0);
	assert_int_equal(pthread_join(c, NULL), 0);
	assert_int_equal(t->bad, 0);
	assert_int_equal(t->got, NMSG);
	assert_null(mq_peek(&t->q));
	assert_int_equal(atomic_load(&t->q.used), 0);
	assert_true(t->q.peak_used <= t->q.cap);
	mq_free(&t->q);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rounding),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_types),
		cmocka_unit_test(test_commit_shorter),
		cmocka_unit_test(test_refuse_too_big),
		cmocka_unit_test(test_refuse_arena_full),
		cmocka_unit_test(test_refuse_slots_full),
		cmocka_unit_test(test_wrap_fill_drain),
		cmocka_unit_test(test_wrap_interleaved),
		cmocka_unit_test(test_empty_queue_half_arena),
		cmocka_unit_test(test_empty_queue_big_message),
		cmocka_unit_test(test_two_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
