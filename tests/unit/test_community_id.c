/* test_community_id.c - Community ID v1 against known vectors.
 *
 * The first vector is the spec README's example. The other expected values
 * were computed independently of sensor/community_id.c with a small Python
 * script (hashlib + base64) written from the spec
 * (https://github.com/corelight/community-id-spec):
 *
 *   data = pack('!H', seed) + saddr + daddr + pack('BB', proto, 0)
 *          [+ pack('!HH', sport, dport) for TCP/UDP/SCTP/ICMP/ICMPv6]
 *   ICMP:   {8:0,0:8,13:14,14:13,15:16,16:15,10:9,9:10,17:18,18:17}
 *   ICMPv6: {128:129,129:128,130:131,131:130,133:134,134:133,135:136,
 *            136:135,139:140,140:139,144:145,145:144}
 *   a mapped type: sport = type, dport = mapped type, two-way;
 *   any other type: sport = type, dport = code, one-way (never swapped);
 *   swap endpoints unless one-way or (saddr, sport) < (daddr, dport);
 *   id = "1:" + base64(sha1(data)).
 *
 * The script first reproduced the published pycommunityid test vectors
 * (TCP, UDP, ICMP 8/0, ICMPv6 135, IP proto 46, seed 1) before printing the
 * constants below.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "community_id.h"

struct vec {
	const char *what;
	uint16_t seed;
	int ipver;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport;
	const char *expect;
};

static const struct vec vectors[] = {
	/* spec README example */
	{ "tcp v4 readme", 0, 4, "128.232.110.120", "66.35.250.204", 6, 34855, 80,
	  "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ "tcp v4 readme reversed", 0, 4, "66.35.250.204", "128.232.110.120", 6, 80, 34855,
	  "1:LQU9qZlK+B5F3KDmev6m5PMibrg=" },
	{ "tcp v4 seed 1", 1, 4, "128.232.110.120", "66.35.250.204", 6, 34855, 80,
	  "1:3V71V58M3Ksw/yuFALMcW0LAHvc=" },
	{ "udp v4", 0, 4, "10.0.0.1", "192.168.100.200", 17, 5353, 53,
	  "1:99pl3d/Nm+//cEQomkpLiWUNthU=" },
	{ "udp v4 reversed", 0, 4, "192.168.100.200", "10.0.0.1", 17, 53, 5353,
	  "1:99pl3d/Nm+//cEQomkpLiWUNthU=" },
	{ "tcp v6", 0, 6, "2001:db8::1", "2001:db8::2", 6, 443, 51000,
	  "1:2TiKiiiSIuDma9IxOEOpx4wCXWM=" },
	{ "tcp v6 reversed", 0, 6, "2001:db8::2", "2001:db8::1", 6, 51000, 443,
	  "1:2TiKiiiSIuDma9IxOEOpx4wCXWM=" },
	/* equal addresses: ordered by port */
	{ "udp v6 same address", 0, 6, "2001:db8::5", "2001:db8::5", 17, 4000, 3000,
	  "1:8cb/v5fjZQQY2DYX3Egq+vunr88=" },
	{ "udp v6 same address reversed", 0, 6, "2001:db8::5", "2001:db8::5", 17, 3000, 4000,
	  "1:8cb/v5fjZQQY2DYX3Egq+vunr88=" },
	/* ICMP echo request / reply: sport = type, dport = code */
	{ "icmp echo request", 0, 4, "192.168.0.89", "192.168.0.1", 1, 8, 0,
	  "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ "icmp echo reply", 0, 4, "192.168.0.1", "192.168.0.89", 1, 0, 0,
	  "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	/* port unreachable: one-way, each direction its own id */
	{ "icmp 3/3 a->b", 0, 4, "10.1.1.1", "10.2.2.2", 1, 3, 3,
	  "1:hHis9kMTbxwKpq2tcyeUWhlnA1s=" },
	{ "icmp 3/3 b->a", 0, 4, "10.2.2.2", "10.1.1.1", 1, 3, 3,
	  "1:0o4v6EQXYf0Fi3R9HHCy+FDFCOY=" },
	{ "icmpv6 echo request", 0, 6, "fe80::1", "fe80::2", 58, 128, 0,
	  "1:3H+V/JVcqh/phPel5utt4dOKqOU=" },
	{ "icmpv6 echo reply", 0, 6, "fe80::2", "fe80::1", 58, 129, 0,
	  "1:3H+V/JVcqh/phPel5utt4dOKqOU=" },
	/* published pycommunityid vector: neighbor solicitation */
	{ "icmpv6 135", 0, 6, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 58, 135, 0,
	  "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	{ "icmpv6 136 reversed", 0, 6, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 58,
	  136, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY=" },
	/* GRE: no ports in the hash (the port arguments are ignored) */
	{ "gre v4", 0, 4, "10.9.8.7", "10.1.2.3", 47, 0, 0, "1:wbTgQaTQnm6fBgsbpR0X6cfRKfA=" },
	{ "gre v4 reversed", 0, 4, "10.1.2.3", "10.9.8.7", 47, 1234, 5678,
	  "1:wbTgQaTQnm6fBgsbpR0X6cfRKfA=" },
	{ "sctp v4", 0, 4, "192.168.170.8", "192.168.170.56", 132, 7, 80,
	  "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=" },
	{ "sctp v4 reversed", 0, 4, "192.168.170.56", "192.168.170.8", 132, 80, 7,
	  "1:jQgCxbku+pNGw8WPbEc/TS/uTpQ=" },
	/* published pycommunityid vectors, also reproduced by the script */
	{ "tcp v4 low ports (pycommunityid issue 3)", 0, 4, "10.0.0.1", "10.0.0.2", 6, 10, 11569,
	  "1:SXBGMX1lBOwhhoDrZynfROxnhnM=" },
	{ "icmp 20/0 one-way", 0, 4, "192.168.0.89", "192.168.0.1", 1, 20, 0,
	  "1:3o2RFccXzUgjl7zDpqmY7yJi8rI=" },
	{ "icmp 20/1 one-way: the code counts", 0, 4, "192.168.0.89", "192.168.0.1", 1, 20, 1,
	  "1:tz/fHIDUHs19NkixVVoOZywde+I=" },
	{ "icmp 0/20: reply, the code is ignored", 0, 4, "192.168.0.1", "192.168.0.89", 1, 0, 20,
	  "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=" },
	{ "icmpv6 3/0 one-way a->b", 0, 6, "3ffe:507:0:1:260:97ff:fe07:69ea",
	  "3ffe:507:0:1:200:86ff:fe05:80da", 58, 3, 0, "1:NdobDX8PQNJbAyfkWxhtL2Pqp5w=" },
	{ "icmpv6 3/0 one-way b->a", 0, 6, "3ffe:507:0:1:200:86ff:fe05:80da",
	  "3ffe:507:0:1:260:97ff:fe07:69ea", 58, 3, 0, "1:/OGBt9BN1ofenrmSPWYicpij2Vc=" },
	/* published: IP proto 46 (RSVP), no ports */
	{ "ip proto 46", 0, 4, "10.1.24.4", "10.1.12.1", 46, 0, 0,
	  "1:/nQI4Rh/TtY3mf0R2gJFBkVlgS4=" },
};

static void addr(int ipver, const char *s, uint8_t out[16])
{
	memset(out, 0, 16);
	assert_int_equal(inet_pton(ipver == 4 ? AF_INET : AF_INET6, s, out), 1);
}

static void compute(const struct vec *v, char out[COMMUNITY_ID_LEN])
{
	uint8_t s[16], d[16];
	addr(v->ipver, v->src, s);
	addr(v->ipver, v->dst, d);
	memset(out, 'X', COMMUNITY_ID_LEN);
	assert_int_equal(community_id_v1(v->seed, v->ipver, s, d, v->proto, v->sport, v->dport,
					 out), 0);
}

static void test_vectors(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char out[COMMUNITY_ID_LEN];
		compute(&vectors[i], out);
		if (strcmp(out, vectors[i].expect) != 0)
			fail_msg("%s: got %s, expected %s", vectors[i].what, out, vectors[i].expect);
	}
}

static void test_readme_example(void **state)
{
	(void)state;
	char a[COMMUNITY_ID_LEN], b[COMMUNITY_ID_LEN];
	compute(&vectors[0], a);
	assert_string_equal(a, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	compute(&vectors[1], b);
	assert_string_equal(a, b);
}

static void test_length_and_terminator(void **state)
{
	(void)state;
	char out[COMMUNITY_ID_LEN];
	compute(&vectors[5], out);
	assert_int_equal(strlen(out), COMMUNITY_ID_LEN - 1);
	assert_int_equal(out[COMMUNITY_ID_LEN - 1], '\0');
	assert_memory_equal(out, "1:", 2);
}

/* Both directions of every two-way case agree; the one-way ICMP type does not. */
static void test_symmetry(void **state)
{
	(void)state;
	uint8_t a[16], b[16];
	char x[COMMUNITY_ID_LEN], y[COMMUNITY_ID_LEN];
	addr(4, "172.16.0.9", a);
	addr(4, "172.16.0.10", b);
	static const uint8_t protos[] = { 6, 17, 132 };
	for (size_t i = 0; i < sizeof(protos); i++) {
		for (unsigned sp = 0; sp < 70000; sp += 9973) {
			assert_int_equal(community_id_v1(7, 4, a, b, protos[i], (uint16_t)sp, 443, x), 0);
			assert_int_equal(community_id_v1(7, 4, b, a, protos[i], 443, (uint16_t)sp, y), 0);
			assert_string_equal(x, y);
		}
	}
	/* echo request a->b and echo reply b->a, any code */
	assert_int_equal(community_id_v1(0, 4, a, b, 1, 8, 0, x), 0);
	assert_int_equal(community_id_v1(0, 4, b, a, 1, 0, 5, y), 0);
	assert_string_equal(x, y);
	/* one-way: time exceeded */
	assert_int_equal(community_id_v1(0, 4, a, b, 1, 11, 0, x), 0);
	assert_int_equal(community_id_v1(0, 4, b, a, 1, 11, 0, y), 0);
	assert_string_not_equal(x, y);
	/* the seed matters */
	assert_int_equal(community_id_v1(0, 4, a, b, 6, 1, 2, x), 0);
	assert_int_equal(community_id_v1(1, 4, a, b, 6, 1, 2, y), 0);
	assert_string_not_equal(x, y);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_readme_example),
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_length_and_terminator),
		cmocka_unit_test(test_symmetry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
