/* test_alert_limit.c - alerts per source per window (alert_limit.h): the
 * limit within a window, a new window starting over, sources and families
 * kept apart, a late alert of an older window, the table's bound (fail
 * open, counted), and exact counts with several threads at once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <pthread.h>

#include "alert_limit.h"

#define SEC 1000000ULL
#define T0 (1699999980ULL * SEC) /* a multiple of 60 s */

static void addr_of(const char *ip, uint8_t *ipver, uint8_t a[16])
{
	memset(a, 0, 16);
	*ipver = strchr(ip, ':') ? 6 : 4;
	assert_int_equal(inet_pton(*ipver == 6 ? AF_INET6 : AF_INET, ip, a), 1);
}

static unsigned allow_n(struct alert_limit *l, const char *ip, uint64_t ts, unsigned n)
{
	uint8_t v, a[16];
	addr_of(ip, &v, a);
	unsigned ok = 0;
	for (unsigned i = 0; i < n; i++)
		ok += alert_limit_allow(l, v, a, ts + i);
	return ok;
}

static void test_limit_and_windows(void **state)
{
	(void)state;
	struct alert_limit l;
	char err[128];
	assert_int_equal(alert_limit_init(&l, 5, 60 * SEC, 1024, err, sizeof(err)), 0);
	/* T0 is a multiple of 60 s: one window is [T0, T0 + 60 s) */
	assert_int_equal(allow_n(&l, "10.0.0.1", T0, 8), 5);
	assert_int_equal(allow_n(&l, "10.0.0.1", T0 + 59 * SEC, 2), 0);
	assert_int_equal(allow_n(&l, "10.0.0.2", T0, 3), 3); /* another source */
	assert_int_equal(allow_n(&l, "::a00:1", T0, 6), 5);   /* IPv6, not 10.0.0.1 */
	assert_int_equal(allow_n(&l, "10.0.0.1", T0 + 60 * SEC, 6), 5); /* next window */
	/* a late alert of the previous window (another worker lagging) finds
	 * that window's entry, still full */
	assert_int_equal(allow_n(&l, "10.0.0.1", T0 + 10 * SEC, 1), 0);
	assert_int_equal(atomic_load(&l.allowed), 5 + 3 + 5 + 5);
	assert_int_equal(atomic_load(&l.suppressed), 3 + 2 + 1 + 1 + 1);
	assert_int_equal(atomic_load(&l.table_full), 0);
	alert_limit_free(&l);
}

static void test_bad_config(void **state)
{
	(void)state;
	struct alert_limit l;
	char err[128];
	assert_int_equal(alert_limit_init(&l, 0, 60 * SEC, 16, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "> 0"));
	assert_int_equal(alert_limit_init(&l, 1, 0, 16, err, sizeof(err)), -1);
	alert_limit_free(&l); /* nothing allocated: fine */
}

/* A table of 4 entries (one bucket): a fifth source in the same window
 * cannot get an entry: its alerts pass (fail open) and are counted. */
static void test_table_full_fails_open(void **state)
{
	(void)state;
	struct alert_limit l;
	char err[128];
	assert_int_equal(alert_limit_init(&l, 1, 60 * SEC, 4, err, sizeof(err)), 0);
	assert_int_equal(l.nbuckets, 1);
	assert_int_equal(alert_limit_bytes(&l), 4 * sizeof(struct alert_limit_entry));
	char ip[32];
	for (int i = 1; i <= 4; i++) {
		snprintf(ip, sizeof(ip), "192.0.2.%d", i);
		assert_int_equal(allow_n(&l, ip, T0, 2), 1);
	}
	assert_int_equal(allow_n(&l, "192.0.2.5", T0, 3), 3);
	assert_int_equal(atomic_load(&l.table_full), 3);
	/* in the next window the old entries are replaced again */
	assert_int_equal(allow_n(&l, "192.0.2.5", T0 + 60 * SEC, 3), 1);
	assert_int_equal(atomic_load(&l.table_full), 3);
	alert_limit_free(&l);
}

struct hammer {
	struct alert_limit *l;
	unsigned allowed;
};

static void *hammer_main(void *arg)
{
	struct hammer *h = arg;
	char ip[32];
	for (int round = 0; round < 200; round++)
		for (int s = 0; s < 50; s++) {
			snprintf(ip, sizeof(ip), "10.9.%d.%d", s / 200, s % 200);
			h->allowed += allow_n(h->l, ip, T0 + (uint64_t)(round / 100) * 60 * SEC, 1);
		}
	return NULL;
}

/* Four threads, 50 sources, 2 windows, 400 alerts per source per window:
 * exactly limit per (source, window) pass, however the threads interleave. */
static void test_threads_exact(void **state)
{
	(void)state;
	struct alert_limit l;
	char err[128];
	assert_int_equal(alert_limit_init(&l, 7, 60 * SEC, 4096, err, sizeof(err)), 0);
	struct hammer h[4];
	pthread_t th[4];
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ .l = &l };
		assert_int_equal(pthread_create(&th[i], NULL, hammer_main, &h[i]), 0);
	}
	unsigned total = 0;
	for (int i = 0; i < 4; i++) {
		pthread_join(th[i], NULL);
		total += h[i].allowed;
	}
	assert_int_equal(total, 50 * 2 * 7);
	assert_int_equal(atomic_load(&l.allowed), 50 * 2 * 7);
	assert_int_equal(atomic_load(&l.suppressed), 4 * 200 * 50 - 50 * 2 * 7);
	alert_limit_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_limit_and_windows),
		cmocka_unit_test(test_bad_config),
		cmocka_unit_test(test_table_full_fails_open),
		cmocka_unit_test(test_threads_exact),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
