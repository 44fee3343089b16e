/* test_geo.c - the ranges that get no geo, and database open errors
 * (include/geo.h). Lookups in real databases: tests/geo_test.py, with
 * MMDB files written at test time. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "geo.h"

static bool skip_text(const char *s)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, s, a) == 1)
		return geo_skip(4, a);
	assert_int_equal(inet_pton(AF_INET6, s, a), 1);
	return geo_skip(6, a);
}

static void test_skipped(void **state)
{
	(void)state;
	static const char *const skipped[] = {
		"0.1.2.3", "10.0.0.1", "10.255.255.255", "100.64.0.1", "100.127.255.255",
		"127.0.0.1", "169.254.1.1", "172.16.0.1", "172.31.255.255", "192.0.0.8",
		"192.0.2.1", "192.168.1.1", "198.18.0.1", "198.19.255.255", "198.51.100.7",
		"203.0.113.9", "224.0.0.251", "239.255.255.250", "240.0.0.1", "255.255.255.255",
		"::", "::1", "fc00::1", "fd12:3456::1", "fe80::1", "febf::1", "ff02::1",
		"2001:db8::1", "2001:db8:ffff::1", "::ffff:10.1.2.3", "::ffff:192.168.0.1",
	};
	for (size_t i = 0; i < sizeof(skipped) / sizeof(skipped[0]); i++) {
		if (!skip_text(skipped[i]))
			fail_msg("%s should be skipped", skipped[i]);
	}
}

static void test_public(void **state)
{
	(void)state;
	static const char *const public[] = {
		"1.1.1.1", "8.8.8.8", "9.255.255.255", "11.0.0.1", "100.63.255.255", "100.128.0.1",
		"172.15.255.255", "172.32.0.1", "192.0.1.1", "192.0.3.1", "192.169.0.1",
		"198.17.255.255", "198.20.0.1", "198.51.99.1", "203.0.112.1", "223.255.255.255",
		"2001:4860:4860::8888", "2606:4700::1111", "fec0::1", "2001:db9::1",
		"::ffff:8.8.8.8",
	};
	for (size_t i = 0; i < sizeof(public) / sizeof(public[0]); i++) {
		if (skip_text(public[i]))
			fail_msg("%s should not be skipped", public[i]);
	}
}

static void test_open_errors(void **state)
{
	(void)state;
	struct geo_dbs g;
	char err[512];
	assert_int_equal(geo_open(&g, "/nonexistent/City.mmdb", NULL, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--geoip /nonexistent/City.mmdb"));
	assert_false(geo_enabled(&g));
	char path[] = "/tmp/davy-geo-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "not an mmdb at all", 18), 18);
	close(fd);
	assert_int_equal(geo_open(&g, NULL, path, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "--asn"));
	assert_non_null(strstr(err, path));
	unlink(path);
	/* nothing asked: nothing open, lookups answer nothing */
	assert_int_equal(geo_open(&g, NULL, NULL, err, sizeof(err)), 0);
	assert_false(geo_enabled(&g));
	struct geo_cache c;
	assert_int_equal(geo_cache_init(&c, err, sizeof(err)), 0);
	uint8_t a[4] = { 8, 8, 8, 8 };
	assert_null(geo_lookup(&c, &g, 4, a));
	assert_int_equal(c.st.lookups, 0);
	geo_cache_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_skipped),
		cmocka_unit_test(test_public),
		cmocka_unit_test(test_open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
