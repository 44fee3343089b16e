/* test_stratum_url.c - stratum URLs in payload (stratum_url.h): schemes,
 * userinfo, ports, IPv4 and IPv6 hosts, case, several URLs in one buffer,
 * and what is not taken (other schemes, upper case schemes, bad ports,
 * bad host bytes, an authority too long, a scheme cut by the buffer's end). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "stratum_url.h"

/* The hosts of every URL in s, joined with ' ' (ports as ":N"). */
static const char *scan(const char *s)
{
	static char out[2048];
	out[0] = 0;
	size_t pos = 0, n = strlen(s);
	struct stratum_url u;
	while (stratum_url_next((const uint8_t *)s, n, &pos, &u)) {
		size_t l = strlen(out);
		snprintf(out + l, sizeof(out) - l, "%s%s%s", l ? " " : "", u.ipv6 ? "[v6]" : "", u.host);
		if (u.port) {
			l = strlen(out);
			snprintf(out + l, sizeof(out) - l, ":%u", u.port);
		}
	}
	assert_int_equal(pos, n);
	return out;
}

static void test_found(void **state)
{
	(void)state;
	assert_string_equal(scan("./xmrig -o stratum+tcp://pool.supportxmr.com:3333 -u W"),
			    "pool.supportxmr.com:3333");
	assert_string_equal(scan("\"url\":\"stratum+ssl://user:x@XMR.Pool.MinerGate.com:45700\""),
			    "xmr.pool.minergate.com:45700");
	assert_string_equal(scan("stratum+tls://10.0.0.5"), "10.0.0.5");
	assert_string_equal(scan("-o stratum2+tcp://[2001:DB8::1]:4444/x"), "[v6]2001:db8::1:4444");
	assert_string_equal(scan("a stratum+tcp://a.example:1,stratum+tcp://b.example:2\n"
				 "stratum+tcp://c.example"),
			    "a.example:1 b.example:2 c.example");
	assert_string_equal(scan("stratum+tcp://u@v@last.example:"), "last.example");
	assert_string_equal(scan("xxstratum+tcp://h.example"), "h.example");
	assert_string_equal(scan("stratum+stratum+tcp://h.example"), "h.example");
}

static void test_not_taken(void **state)
{
	(void)state;
	assert_string_equal(scan("http://pool.supportxmr.com:3333"), "");
	assert_string_equal(scan("STRATUM+TCP://pool.supportxmr.com"), "");
	assert_string_equal(scan("stratum+udp://pool.example"), "");
	assert_string_equal(scan("stratum+tcp:/pool.example"), "");
	assert_string_equal(scan("stratum+tcp://"), "");
	assert_string_equal(scan("stratum+tcp://:3333"), "");
	assert_string_equal(scan("stratum+tcp://host.example:0"), "");
	assert_string_equal(scan("stratum+tcp://host.example:65536"), "");
	assert_string_equal(scan("stratum+tcp://host.example:123456"), "");
	assert_string_equal(scan("stratum+tcp://host.example:12a"), "");
	assert_string_equal(scan("stratum+tcp://ho$t.example"), "");
	assert_string_equal(scan("stratum+tcp://[zz::1]"), "");
	assert_string_equal(scan("stratum+tcp://[::1"), "");
	assert_string_equal(scan("stratum+tc"), "");
	assert_string_equal(scan("stratum"), "");
	assert_string_equal(scan("+"), "");
	assert_string_equal(scan(""), "");
	char big[700];
	memcpy(big, "stratum+tcp://", 14);
	memset(big + 14, 'a', 600);
	big[614] = 0;
	assert_string_equal(scan(big), ""); /* authority longer than STRATUM_URL_AUTH_MAX */
	memset(big + 14, 'a', 254);
	big[268] = 0;
	assert_string_equal(scan(big), ""); /* host longer than 253 */
}

/* Bytes around and between: NUL, binary, a URL at the very end. */
static void test_binary_payload(void **state)
{
	(void)state;
	uint8_t buf[64];
	memset(buf, 0, sizeof(buf));
	memcpy(buf + 3, "\xff+\x00stratum+tcp://bin.example:1\x00", 31);
	const char *tail = "stratum+ssl://end.example";
	memcpy(buf + sizeof(buf) - strlen(tail), tail, strlen(tail));
	size_t pos = 0;
	struct stratum_url u;
	assert_true(stratum_url_next(buf, sizeof(buf), &pos, &u));
	assert_string_equal(u.host, "bin.example");
	assert_string_equal(u.scheme, "stratum+tcp");
	assert_int_equal(u.start, 6);
	assert_true(stratum_url_next(buf, sizeof(buf), &pos, &u));
	assert_string_equal(u.host, "end.example");
	assert_int_equal(u.end, sizeof(buf));
	assert_false(stratum_url_next(buf, sizeof(buf), &pos, &u));
	assert_int_equal(pos, sizeof(buf));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_found),
		cmocka_unit_test(test_not_taken),
		cmocka_unit_test(test_binary_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
