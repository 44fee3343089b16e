/* test_dnscache.c - the worker's DNS linkage replica: put and get, TTL
 * clamping and expiry in packet time, updates, eviction when a probe window
 * is full, IPv4 and IPv6 kept apart, names bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "dnscache.h"

#define SEC 1000000ULL
#define T0 (1700000000ULL * SEC)

static struct dns_link link_of(const char *ip, const char *name, const char *query, uint32_t ttl)
{
	struct dns_link l;
	memset(&l, 0, sizeof(l));
	l.ipver = strchr(ip, ':') ? 6 : 4;
	assert_int_equal(inet_pton(l.ipver == 6 ? AF_INET6 : AF_INET, ip, l.addr), 1);
	snprintf(l.name, sizeof(l.name), "%s", name);
	snprintf(l.query, sizeof(l.query), "%s", query);
	l.ttl = ttl;
	return l;
}

static const struct dnscache_entry *get(struct dnscache *c, const char *ip, uint64_t now)
{
	uint8_t a[16] = { 0 };
	int v = strchr(ip, ':') ? 6 : 4;
	assert_int_equal(inet_pton(v == 6 ? AF_INET6 : AF_INET, ip, a), 1);
	return dnscache_get(c, v, a, now);
}

static void test_put_get_expire(void **state)
{
	(void)state;
	struct dnscache c;
	char err[128];
	assert_int_equal(dnscache_init(&c, 1000, 300, 86400, err, sizeof(err)), 0);
	assert_int_equal(c.mask + 1, 1024);
	struct dns_link l = link_of("203.0.113.77", "pool-lb.cdn.example", "pool.supportxmr.com", 60);
	dnscache_put(&c, &l, T0);
	const struct dnscache_entry *e = get(&c, "203.0.113.77", T0 + 10 * SEC);
	assert_non_null(e);
	assert_string_equal(e->name, "pool-lb.cdn.example");
	assert_string_equal(e->query, "pool.supportxmr.com");
	/* a TTL of 60 s is kept for the 300 s floor, and no longer */
	assert_non_null(get(&c, "203.0.113.77", T0 + 299 * SEC));
	assert_null(get(&c, "203.0.113.77", T0 + 301 * SEC));
	assert_null(get(&c, "203.0.113.78", T0));
	/* the ceiling */
	l = link_of("198.51.100.1", "a.example", "", 0xffffffffu);
	dnscache_put(&c, &l, T0);
	assert_non_null(get(&c, "198.51.100.1", T0 + 86399 * SEC));
	assert_null(get(&c, "198.51.100.1", T0 + 86401 * SEC));
	assert_int_equal(c.st.links, 2);
	assert_int_equal(c.st.hits, 3);
	assert_int_equal(c.st.lookups, 6);
	dnscache_free(&c);
}

static void test_update_and_families(void **state)
{
	(void)state;
	struct dnscache c;
	char err[128];
	assert_int_equal(dnscache_init(&c, 64, 300, 3600, err, sizeof(err)), 0);
	struct dns_link l = link_of("192.0.2.1", "old.example", "", 600);
	dnscache_put(&c, &l, T0);
	l = link_of("192.0.2.1", "new.example", "", 600);
	dnscache_put(&c, &l, T0 + SEC);
	assert_string_equal(get(&c, "192.0.2.1", T0 + 2 * SEC)->name, "new.example");
	assert_int_equal(c.st.updates, 1);
	/* ::c000:201 has the same 4 first bytes in no way; and a v6 address
	 * whose bytes start like the v4 one is still another entry */
	struct dns_link l6 = link_of("c000:201::", "six.example", "", 600);
	dnscache_put(&c, &l6, T0);
	assert_string_equal(get(&c, "c000:201::", T0)->name, "six.example");
	assert_string_equal(get(&c, "192.0.2.1", T0 + 2 * SEC)->name, "new.example");
	dnscache_free(&c);
}

static void test_eviction_bound(void **state)
{
	(void)state;
	struct dnscache c;
	char err[128];
	assert_int_equal(dnscache_init(&c, 1, 300, 3600, err, sizeof(err)), 0);
	assert_int_equal(c.mask + 1, DNSCACHE_PROBE); /* one window: every address collides */
	char ip[32];
	for (int i = 0; i < DNSCACHE_PROBE; i++) {
		snprintf(ip, sizeof(ip), "10.0.0.%d", i + 1);
		struct dns_link l = link_of(ip, "x.example", "", 300 + (uint32_t)i);
		dnscache_put(&c, &l, T0);
	}
	assert_int_equal(c.st.evicted_live, 0);
	struct dns_link l = link_of("10.0.1.1", "y.example", "", 900);
	dnscache_put(&c, &l, T0);
	/* the entry that expires first (10.0.0.1, 300 s) made room */
	assert_int_equal(c.st.evicted_live, 1);
	assert_null(get(&c, "10.0.0.1", T0));
	assert_non_null(get(&c, "10.0.0.2", T0));
	assert_non_null(get(&c, "10.0.1.1", T0));
	/* an expired entry is reused without counting an eviction */
	l = link_of("10.0.2.1", "z.example", "", 300);
	dnscache_put(&c, &l, T0 + 1000 * SEC);
	assert_int_equal(c.st.evicted_live, 1);
	dnscache_free(&c);
}

static void test_name_bounds(void **state)
{
	(void)state;
	struct dnscache c;
	char err[128];
	assert_int_equal(dnscache_init(&c, 8, 300, 3600, err, sizeof(err)), 0);
	struct dns_link l;
	memset(&l, 'a', sizeof(l)); /* names without a NUL: bounded anyway */
	l.ipver = 4;
	l.ttl = 300;
	dnscache_put(&c, &l, T0);
	const struct dnscache_entry *e = dnscache_get(&c, 4, l.addr, T0);
	assert_non_null(e);
	assert_int_equal(strlen(e->name), DNSCACHE_NAME_MAX - 1);
	assert_int_equal(strlen(e->query), DNSCACHE_NAME_MAX - 1);
	dnscache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_put_get_expire),
		cmocka_unit_test(test_update_and_families),
		cmocka_unit_test(test_eviction_bound),
		cmocka_unit_test(test_name_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
