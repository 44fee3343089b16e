/* test_redis.c - the Redis output without a Redis server (redis_conn.h,
 * redis_out.h): URL forms and errors, descriptions without the password, the
 * flat fields of real and hostile records (rec_fields_scan), the queue's wait
 * and drop policies, the ring's wrap, and giving up on a closed port with its
 * report. The only network use is connecting to 127.0.0.1:1, which is
 * closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "jbuf.h"
#include "redis_conn.h"
#include "redis_out.h"

/* ---- URLs ------------------------------------------------------------------ */

struct url_case {
	const char *in;
	bool is_unix;
	const char *host;
	int port, db;
	bool has_auth;
	const char *user, *password;
};

static const struct url_case url_ok[] = {
	{ "redis://localhost", false, "localhost", 6379, 0, false, "", "" },
	{ "redis://redis.example:6380", false, "redis.example", 6380, 0, false, "", "" },
	{ "redis://10.0.0.5:6379/2", false, "10.0.0.5", 6379, 2, false, "", "" },
	{ "redis://10.0.0.5/15", false, "10.0.0.5", 6379, 15, false, "", "" },
	{ "redis://host/", false, "host", 6379, 0, false, "", "" },
	{ "redis://host:1", false, "host", 1, 0, false, "", "" },
	{ "redis://host:65535/1000000", false, "host", 65535, 1000000, false, "", "" },
	{ "redis://:s3cret@redis.example", false, "redis.example", 6379, 0, true, "", "s3cret" },
	{ "redis://davy:s3cret@redis.example:7000/1", false, "redis.example", 7000, 1, true, "davy",
	  "s3cret" },
	/* percent-encoded '@', ':' and '%' in the password, '%2F' in the user */
	{ "redis://da%2Fvy:p%40ss%3Aw%25rd@host:6380/4", false, "host", 6380, 4, true, "da/vy",
	  "p@ss:w%rd" },
	/* the last '@' separates: a raw '@' and ':' may stay in the password */
	{ "redis://:p@ss:w@host", false, "host", 6379, 0, true, "", "p@ss:w" },
	/* a user without a password: no AUTH */
	{ "redis://davy:@host", false, "host", 6379, 0, true, "davy", "" }, /* AUTH davy "" (nopass) */
	{ "redis://[::1]:6380/2", false, "::1", 6380, 2, false, "", "" },
	{ "redis://[2001:db8::5]", false, "2001:db8::5", 6379, 0, false, "", "" },
	{ "redis://:pw@[2001:db8::5]/3", false, "2001:db8::5", 6379, 3, true, "", "pw" },
	{ "unix:///run/redis/redis.sock", true, "/run/redis/redis.sock", 0, 0, false, "", "" },
	{ "unix:///run/redis.sock?db=3", true, "/run/redis.sock", 0, 3, false, "", "" },
	{ "unix://:pw@/run/redis.sock", true, "/run/redis.sock", 0, 0, true, "", "pw" },
	{ "unix://davy:p%40w@/run/redis.sock?db=1", true, "/run/redis.sock", 0, 1, true, "davy",
	  "p@w" },
};

static void test_url_forms(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(url_ok) / sizeof(url_ok[0]); i++) {
		const struct url_case *k = &url_ok[i];
		struct redis_url u;
		char err[256] = "";
		if (redis_url_parse(&u, k->in, err, sizeof(err)) != 0)
			fail_msg("%s: %s", k->in, err);
		assert_int_equal(u.is_unix, k->is_unix);
		assert_string_equal(u.host, k->host);
		assert_int_equal(u.port, k->port);
		assert_int_equal(u.db, k->db);
		assert_int_equal(u.has_auth, k->has_auth);
		assert_string_equal(u.user, k->user);
		assert_string_equal(u.password, k->password);
	}
}

/* The longest parts that fit: a 255-byte host, socket path and password and
 * a 127-byte user; one byte more is an error (test_url_errors). */
static void test_url_limits(void **state)
{
	(void)state;
	char url[1200], err[256];
	struct redis_url u;
	char h[256], pw[256], user[128];
	memset(h, 'h', 255);
	h[255] = 0;
	memset(pw, 'p', 255);
	pw[255] = 0;
	memset(user, 'u', 127);
	user[127] = 0;
	snprintf(url, sizeof(url), "redis://%s:%s@%s:1/1", user, pw, h);
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), 0);
	assert_string_equal(u.host, h);
	assert_string_equal(u.password, pw);
	assert_string_equal(u.user, user);
	h[0] = '/';
	snprintf(url, sizeof(url), "unix://%s", h);
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), 0);
	assert_string_equal(u.host, h);
}

static void test_url_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"", "localhost:6379", "http://host:6379", "rediss://host", "REDIS://host",
		"redis:/host", "unix:/run/redis.sock",
		/* no host */
		"redis://", "redis://:6379", "redis://:pw@", "redis://:pw@:6379/1", "redis:///0",
		"redis://[]:6379",
		/* ports */
		"redis://host:0", "redis://host:65536", "redis://host:abc", "redis://host:",
		"redis://host:-1", "redis://host:99999999999", "redis://host:1:2", "redis://[::1]:",
		"redis://[::1]:0", "redis://[::1]:x",
		/* databases */
		"redis://host/x", "redis://host/1x", "redis://host/-1", "redis://host:6379/1000001",
		"redis://host/0/1",
		/* brackets */
		"redis://[::1", "redis://[::1:6379/0", "redis://[::1/2]", "redis://[::1]x",
		"redis://[::1]6379",
		/* unix */
		"unix://", "unix://run/redis.sock", "unix://:pw@run/redis.sock", "unix://?db=1",
		"unix:///run/redis.sock?database=3", "unix:///run/redis.sock?db=x",
		"unix:///run/redis.sock?db=", "unix:///run/redis.sock?db=1&x=2",
		"unix:///run/redis.sock?", "unix:///run/redis.sock?db=-1",
		/* userinfo and escapes */
		"redis://userpw@host", "redis://:%4@host", "redis://:%zz@host", "redis://:abc%@host",
		"redis://:%00@host", "redis://%g1:pw@host", "redis://:%4g@host",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct redis_url u;
		char err[512] = "";
		if (redis_url_parse(&u, bad[i], err, sizeof(err)) != -1)
			fail_msg("'%s' was taken: host '%s' port %d db %d", bad[i], u.host, u.port,
				 u.db);
		if (!err[0])
			fail_msg("'%s': no message", bad[i]);
	}

	/* one byte over each limit */
	char url[1200], err[256], big[300];
	struct redis_url u;
	memset(big, 'x', 256);
	big[256] = 0;
	snprintf(url, sizeof(url), "redis://%s:6379", big);
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), -1);
	assert_true(err[0]);
	snprintf(url, sizeof(url), "redis://[%s]:6379", big);
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), -1);
	snprintf(url, sizeof(url), "redis://:%s@host", big);
	err[0] = 0;
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), -1);
	assert_true(err[0]);
	assert_null(strstr(err, big)); /* the message does not repeat the password */
	big[0] = '/';
	snprintf(url, sizeof(url), "unix://%s", big);
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), -1);
	big[128] = 0;
	snprintf(url, sizeof(url), "redis://%s:pw@host", big + 1);
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), 0); /* 127: fits */
	snprintf(url, sizeof(url), "redis://%s:pw@host", big);
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), -1); /* 128 */

	/* a small error buffer is filled, truncated, terminated */
	char small[8];
	memset(small, 'z', sizeof(small));
	assert_int_equal(redis_url_parse(&u, "redis://host:0", small, sizeof(small)), -1);
	assert_non_null(memchr(small, 0, sizeof(small)));
	assert_true(small[0]);
}

/* A message about a URL that cannot be parsed must not show its password
 * either (it goes to stderr, and from there to logs). Every rejected form
 * except the wrong scheme keeps it out. The wrong scheme is separate
 * (test_url_scheme_error_password) because it does show it. */
static void test_url_error_no_password(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"redis://:hunter2@host:0",        "redis://davy:hunter2@host/x",
		"redis://davy:hunter2@[::1",      "redis://:hunter2@",
		"unix://:hunter2@run/redis.sock", "unix://:hunter2@/run/r.sock?db=x",
		"redis://:hunter2%zz@host",       "redis://davy:hunter2@host:1:2",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct redis_url u;
		char err[512] = "";
		assert_int_equal(redis_url_parse(&u, bad[i], err, sizeof(err)), -1);
		if (strstr(err, "hunter2"))
			fail_msg("'%s': the message shows the password: %s", bad[i], err);
	}
}

/* A URL with another scheme is not quoted in the message (it may hold a
 * password): only its scheme is named. */
static void test_url_scheme_error_password(void **state)
{
	(void)state;
	struct redis_url u;
	char err[512] = "";
	assert_int_equal(redis_url_parse(&u, "rediss://:hunter2@host:6380", err, sizeof(err)), -1);
	assert_true(err[0]);
	assert_null(strstr(err, "hunter2"));
	assert_non_null(strstr(err, "'rediss'"));
	assert_null(strstr(err, "hunter2"));
}

static void test_url_describe(void **state)
{
	(void)state;
	static const struct {
		const char *in, *out;
	} cases[] = {
		{ "redis://localhost", "redis://localhost:6379/0" },
		{ "redis://:hunter2@redis.example:7000/3", "redis://:***@redis.example:7000/3" },
		{ "redis://davy:hunter2@redis.example", "redis://davy:***@redis.example:6379/0" },
		{ "redis://davy:hun%74er2@host", "redis://davy:***@host:6379/0" },
		{ "redis://davy:@host", "redis://davy:***@host:6379/0" },
		{ "redis://:hunter2@[::1]:6380/2", "redis://:***@[::1]:6380/2" },
		{ "unix:///run/redis.sock", "unix:///run/redis.sock?db=0" },
		{ "unix://:hunter2@/run/redis.sock?db=3", "unix://:***@/run/redis.sock?db=3" },
		{ "unix://davy:hunter2@/run/redis.sock", "unix://davy:***@/run/redis.sock?db=0" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct redis_url u;
		char err[256], out[512];
		assert_int_equal(redis_url_parse(&u, cases[i].in, err, sizeof(err)), 0);
		redis_url_describe(&u, out, sizeof(out));
		assert_string_equal(out, cases[i].out);
		assert_null(strstr(out, "hunter2"));
	}
	/* the longest password is not in it either, and a short buffer is
	 * truncated and terminated */
	char url[400], pw[256], err[256], out[600];
	memset(pw, 'P', 255);
	pw[255] = 0;
	snprintf(url, sizeof(url), "redis://davy:%s@host", pw);
	struct redis_url u;
	assert_int_equal(redis_url_parse(&u, url, err, sizeof(err)), 0);
	redis_url_describe(&u, out, sizeof(out));
	assert_null(strstr(out, "PP"));
	char small[10];
	redis_url_describe(&u, small, sizeof(small));
	assert_string_equal(small, "redis://d");
}

/* ---- rec_fields_scan ------------------------------------------------------- */

/* Scans rec from a heap copy of exactly its length (AddressSanitizer builds
 * catch any read past it) and checks every field found lies inside. */
static int scan_n(const char *rec, size_t n, struct rec_fields *rf)
{
	char *copy = malloc(n ? n : 1);
	assert_non_null(copy);
	memcpy(copy, rec, n);
	int rc = rec_fields_scan(copy, n, rf);
	free(copy);
	for (int f = 0; f < RF__COUNT; f++)
		if (rf->len[f])
			assert_true((size_t)rf->off[f] + rf->len[f] <= n);
	return rc;
}

static int scan(const char *rec, struct rec_fields *rf)
{
	return scan_n(rec, strlen(rec), rf);
}

/* Field f's value as written (escapes kept), or "<absent>". */
static const char *fv(const char *rec, const struct rec_fields *rf, enum rf_field f)
{
	static char out[RF__COUNT][512];
	if (!rf->len[f])
		return "<absent>";
	snprintf(out[f], sizeof(out[f]), "%.*s", (int)rf->len[f], rec + rf->off[f]);
	return out[f];
}

/* Records as davy writes them (pcaps/vxlan.pcap and pcaps/demo.pcap): a flow
 * in a VXLAN tunnel whose `tunnel` objects have their own src_ip/dest_ip
 * after the flow's, an alert, a stats record (shortened). */
static const char REC_FLOW[] =
	"{\"timestamp\":\"2024-01-01T00:00:00.000000+0000\",\"flow_id\":2117642229027485,"
	"\"event_type\":\"flow\",\"src_ip\":\"10.244.1.10\",\"src_port\":45000,"
	"\"dest_ip\":\"10.244.2.20\",\"dest_port\":8080,\"proto\":\"TCP\","
	"\"tunnel\":[{\"type\":\"vxlan\",\"src_ip\":\"192.0.2.11\",\"dest_ip\":\"192.0.2.12\","
	"\"vni\":4096}],\"community_id\":\"1:KQl26FJAaDC5U8VmuHwHNQx+AB8=\",\"app_proto\":\"http\","
	"\"flow\":{\"pkts_toserver\":6,\"pkts_toclient\":4,\"bytes_toserver\":417,"
	"\"bytes_toclient\":457,\"start\":\"2024-01-01T00:00:00.000000+0000\","
	"\"end\":\"2024-01-01T00:00:00.070100+0000\",\"age\":0,\"state\":\"closed\","
	"\"reason\":\"shutdown\",\"alerted\":false},\"ndpi\":{\"app\":\"HTTP\",\"category\":\"Web\","
	"\"confidence\":\"DPI\",\"risks\":[\"Known Protocol on Non Standard Port\"]},"
	"\"http\":{\"hostname\":\"www.example.com\"},\"sensor\":{\"name\":\"vm\"}}";

static const char REC_ALERT[] =
	"{\"timestamp\":\"2024-01-01T00:00:00.060500+0000\",\"flow_id\":1744270313072011,"
	"\"event_type\":\"alert\",\"src_ip\":\"10.244.1.23\",\"src_port\":40002,"
	"\"dest_ip\":\"203.0.113.77\",\"dest_port\":3333,\"proto\":\"TCP\","
	"\"community_id\":\"1:FexTjbrggm4A/CdIL9Pu3fhBVKQ=\","
	"\"dns_linked_name\":\"pool.supportxmr.com\",\"direction\":\"to_server\","
	"\"app_proto\":\"stratum\",\"alert\":{\"action\":\"allowed\",\"gid\":1,"
	"\"signature_id\":4960001,\"rev\":1,\"signature\":\"DAVY MINING Stratum client session "
	"(login, subscribe, authorize or submit)\",\"category\":\"Crypto Currency Mining Activity "
	"Detected\",\"severity\":1,\"metadata\":{\"mitre_tactic_id\":[\"TA0040\"],"
	"\"mitre_tactic_name\":[\"Impact\"],\"mitre_technique_id\":[\"T1496\"],"
	"\"mitre_technique_name\":[\"Resource_Hijacking\"]}},\"stratum\":{\"dialect\":\"cryptonote\","
	"\"role\":\"client\",\"login\":\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7"
	"SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\",\"wallet_type\":\"monero\",\"pass\":\"x\","
	"\"agent\":\"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0\",\"algo\":\"rx/0,cn/r\","
	"\"jobs\":0,\"submits\":0,\"accepted\":0,\"rejected\":0,"
	"\"first\":\"2024-01-01T00:00:00.060500+0000\",\"last\":\"2024-01-01T00:00:00.060500+0000\"},"
	"\"flow\":{\"pkts_toserver\":3,\"pkts_toclient\":1,\"bytes_toserver\":446,"
	"\"bytes_toclient\":66,\"start\":\"2024-01-01T00:00:00.010000+0000\"},"
	"\"sensor\":{\"name\":\"vm\"}}";

static const char REC_STATS[] =
	"{\"timestamp\":\"2024-01-01T00:00:41.550100+0000\",\"event_type\":\"stats\","
	"\"stats\":{\"uptime\":0,\"capture\":{\"files\":1,\"files_damaged\":0},"
	"\"decoder\":{\"pkts\":33,\"bytes\":3758,\"tunnels\":{\"vxlan\":0,\"geneve\":0},"
	"\"layers\":{\"eth\":{\"ok\":33,\"truncated\":0,\"malformed\":0,\"unsupported\":0}}},"
	"\"flows\":{\"src_ip\":\"not this\",\"dest_port\":9}},\"sensor\":{\"name\":\"vm\"}}";

static void test_scan_real_records(void **state)
{
	(void)state;
	struct rec_fields rf;

	assert_int_equal(scan(REC_FLOW, &rf), 0);
	assert_string_equal(fv(REC_FLOW, &rf, RF_TIMESTAMP), "2024-01-01T00:00:00.000000+0000");
	assert_string_equal(fv(REC_FLOW, &rf, RF_EVENT_TYPE), "flow");
	assert_string_equal(fv(REC_FLOW, &rf, RF_SRC_IP), "10.244.1.10");
	assert_string_equal(fv(REC_FLOW, &rf, RF_DEST_IP), "10.244.2.20");
	assert_string_equal(fv(REC_FLOW, &rf, RF_DEST_PORT), "8080");
	assert_string_equal(fv(REC_FLOW, &rf, RF_APP_PROTO), "http");
	assert_string_equal(fv(REC_FLOW, &rf, RF_SIGNATURE_ID), "<absent>");
	/* a string's offset is after its quote, a number's at its first digit */
	assert_int_equal(REC_FLOW[rf.off[RF_SRC_IP] - 1], '"');
	assert_int_equal(REC_FLOW[rf.off[RF_DEST_PORT] - 1], ':');

	assert_int_equal(scan(REC_ALERT, &rf), 0);
	assert_string_equal(fv(REC_ALERT, &rf, RF_TIMESTAMP), "2024-01-01T00:00:00.060500+0000");
	assert_string_equal(fv(REC_ALERT, &rf, RF_EVENT_TYPE), "alert");
	assert_string_equal(fv(REC_ALERT, &rf, RF_SRC_IP), "10.244.1.23");
	assert_string_equal(fv(REC_ALERT, &rf, RF_DEST_IP), "203.0.113.77");
	assert_string_equal(fv(REC_ALERT, &rf, RF_DEST_PORT), "3333");
	assert_string_equal(fv(REC_ALERT, &rf, RF_APP_PROTO), "stratum");
	assert_string_equal(fv(REC_ALERT, &rf, RF_SIGNATURE_ID), "4960001");

	assert_int_equal(scan(REC_STATS, &rf), 0);
	assert_string_equal(fv(REC_STATS, &rf, RF_TIMESTAMP), "2024-01-01T00:00:41.550100+0000");
	assert_string_equal(fv(REC_STATS, &rf, RF_EVENT_TYPE), "stats");
	assert_string_equal(fv(REC_STATS, &rf, RF_SRC_IP), "<absent>");
	assert_string_equal(fv(REC_STATS, &rf, RF_DEST_PORT), "<absent>");
	assert_string_equal(fv(REC_STATS, &rf, RF_SIGNATURE_ID), "<absent>");

	/* with the newline the workers end each record with */
	char line[sizeof(REC_FLOW) + 1];
	snprintf(line, sizeof(line), "%s\n", REC_FLOW);
	assert_int_equal(scan(line, &rf), 0);
	assert_string_equal(fv(line, &rf, RF_SRC_IP), "10.244.1.10");
}

static void test_scan_nested_and_escapes(void **state)
{
	(void)state;
	struct rec_fields rf;

	/* nested src_ip/dest_ip/dest_port before the top-level ones, quotes and
	 * backslashes escaped inside strings, a key-like text inside a string */
	static const char r1[] =
		"{\"timestamp\":\"2024-01-01T00:00:00.000000+0000\",\"event_type\":\"flow\","
		"\"tunnel\":[{\"type\":\"vxlan\",\"src_ip\":\"192.0.2.11\",\"dest_ip\":\"192.0.2.12\","
		"\"vni\":4096},{\"type\":\"gre\",\"src_ip\":\"192.0.2.99\"}],"
		"\"http\":{\"url\":\"/x?\\\"src_ip\\\":\\\"6.6.6.6\\\",\\\"dest_port\\\":1\","
		"\"ua\":\"a\\\\\",\"dest_port\":1,\"inner\":{\"src_ip\":\"7.7.7.7\",\"l\":[[],{},[{}]]}},"
		"\"note\":\"\\\\\\\"},\\\"src_ip\\\":\\\"8.8.8.8\",\"src_ip\":\"10.244.1.10\","
		"\"dest_ip\":\"10.244.2.20\",\"dest_port\":8080,\"app_proto\":\"a\\\"b\"}";
	assert_int_equal(scan(r1, &rf), 0);
	assert_string_equal(fv(r1, &rf, RF_EVENT_TYPE), "flow");
	assert_string_equal(fv(r1, &rf, RF_SRC_IP), "10.244.1.10");
	assert_string_equal(fv(r1, &rf, RF_DEST_IP), "10.244.2.20");
	assert_string_equal(fv(r1, &rf, RF_DEST_PORT), "8080");
	assert_string_equal(fv(r1, &rf, RF_APP_PROTO), "a\\\"b"); /* as written */

	/* only nested ones: nothing is taken; an `alert` that is not at the top
	 * level gives no signature_id, nor does a top-level signature_id */
	static const char r2[] =
		"{\"event_type\":\"flow\",\"tunnel\":{\"src_ip\":\"192.0.2.11\",\"dest_port\":4789},"
		"\"x\":[{\"dest_ip\":\"1.1.1.1\"},\"src_ip\"],\"signature_id\":5,"
		"\"dns\":{\"alert\":{\"signature_id\":9}},\"app\":{\"app_proto\":\"tls\"}}";
	assert_int_equal(scan(r2, &rf), 0);
	assert_string_equal(fv(r2, &rf, RF_EVENT_TYPE), "flow");
	assert_string_equal(fv(r2, &rf, RF_SRC_IP), "<absent>");
	assert_string_equal(fv(r2, &rf, RF_DEST_IP), "<absent>");
	assert_string_equal(fv(r2, &rf, RF_DEST_PORT), "<absent>");
	assert_string_equal(fv(r2, &rf, RF_APP_PROTO), "<absent>");
	assert_string_equal(fv(r2, &rf, RF_SIGNATURE_ID), "<absent>");

	/* in `alert`: only signature_id, not one further down, not other keys */
	static const char r3[] =
		"{\"event_type\":\"alert\",\"alert\":{\"src_ip\":\"9.9.9.9\",\"gid\":1,"
		"\"metadata\":{\"signature_id\":7},\"signature_id\":4960001,\"timestamp\":\"no\"},"
		"\"timestamp\":\"2024-01-01T00:00:00.000000+0000\"}";
	assert_int_equal(scan(r3, &rf), 0);
	assert_string_equal(fv(r3, &rf, RF_SIGNATURE_ID), "4960001");
	assert_string_equal(fv(r3, &rf, RF_SRC_IP), "<absent>");
	assert_string_equal(fv(r3, &rf, RF_TIMESTAMP), "2024-01-01T00:00:00.000000+0000");

	/* whitespace anywhere JSON allows it; keys that only start or end like
	 * a wanted one are not it */
	static const char r4[] = " \r\n{ \"event_type\" :\t\"stats\" ,\n  \"src_ip2\": \"1.2.3.4\","
				 "\"xsrc_ip\":\"4.3.2.1\",\"src_i\":\"5.5.5.5\","
				 "\"dest_port\" : 53 ,\"alert\" : { \"signature_id\" : 12 } }\n";
	assert_int_equal(scan(r4, &rf), 0);
	assert_string_equal(fv(r4, &rf, RF_EVENT_TYPE), "stats");
	assert_string_equal(fv(r4, &rf, RF_SRC_IP), "<absent>");
	assert_string_equal(fv(r4, &rf, RF_DEST_PORT), "53");
	assert_string_equal(fv(r4, &rf, RF_SIGNATURE_ID), "12");

	assert_int_equal(scan("{}", &rf), 0);
	assert_int_equal(scan("{ }", &rf), 0);
	for (int f = 0; f < RF__COUNT; f++)
		assert_int_equal(rf.len[f], 0);
}

/* `depth` objects nested: {"a":{"a":...{"a":1}...}}; with alert, the
 * innermost key before the 1 is signature_id in an `alert` at the top. */
static char *nest(int depth, bool arrays)
{
	char *s = malloc((size_t)depth * 8 + 32);
	size_t o = 0;
	s[o++] = '{';
	for (int i = 1; i < depth; i++) {
		if (arrays) {
			memcpy(s + o, "\"a\":[", 5);
			o += 5;
			for (; i < depth - 1; i++)
				s[o++] = '[';
			break;
		}
		memcpy(s + o, "\"a\":{", 5);
		o += 5;
	}
	if (!arrays || depth == 1) {
		memcpy(s + o, "\"a\":1", 5);
		o += 5;
	} else {
		s[o++] = '1';
	}
	for (int i = 1; i < depth; i++)
		s[o++] = arrays ? ']' : '}';
	s[o++] = '}';
	s[o] = 0;
	return s;
}

static void test_scan_malformed(void **state)
{
	(void)state;
	struct rec_fields rf;
	static const char *const bad[] = {
		"", " ", "\n", "[1,2]", "\"event_type\"", "42", "null", "}",
		"{", "{\"", "{\"a\"", "{\"a\":", "{\"a\":1", "{\"a\":1,", "{\"a\":\"x", "{\"a\":\"x\\",
		"{\"a\":\"x\\\"}", "{\"a\":1,}", "{,}", "{\"a\" 1}", "{\"a\":1 \"b\":2}", "{\"a\":}",
		"{a:1}", "{\"a\":[1,2}", "{\"a\":{\"b\":1]}", "{\"a\":[}", "{\"alert\":{\"signature_id\":}}",
		"{\"a\":1]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (scan(bad[i], &rf) != -1)
			fail_msg("'%s' was taken", bad[i]);

	/* fields found before the problem are kept */
	static const char cut[] = "{\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\",\"x\":";
	assert_int_equal(scan(cut, &rf), -1);
	assert_string_equal(fv(cut, &rf, RF_EVENT_TYPE), "flow");
	assert_string_equal(fv(cut, &rf, RF_SRC_IP), "10.0.0.1");

	/* every prefix of a real record is truncated: -1, nothing read past it */
	static const char *const recs[] = { REC_FLOW, REC_ALERT, REC_STATS };
	for (size_t r = 0; r < 3; r++) {
		size_t n = strlen(recs[r]);
		for (size_t k = 0; k < n; k++)
			if (scan_n(recs[r], k, &rf) != -1)
				fail_msg("record %zu cut at %zu was taken", r, k);
		assert_int_equal(scan_n(recs[r], n, &rf), 0);
	}

	/* nesting: JB_MAX_DEPTH levels (the record's own included) are walked,
	 * one more is refused; objects, arrays, and `alert` */
	for (int arrays = 0; arrays < 2; arrays++) {
		char *ok = nest(JB_MAX_DEPTH, arrays), *deep = nest(JB_MAX_DEPTH + 1, arrays);
		if (scan(ok, &rf) != 0)
			fail_msg("%d levels refused: %s", JB_MAX_DEPTH, ok);
		if (scan(deep, &rf) != -1)
			fail_msg("%d levels taken: %s", JB_MAX_DEPTH + 1, deep);
		free(ok);
		free(deep);
	}
	/* far deeper than that: refused without recursing that far */
	size_t n = 200000;
	char *deep = malloc(n + 8);
	memcpy(deep, "{\"a\":", 5);
	memset(deep + 5, '[', n);
	deep[n + 5] = 0;
	assert_int_equal(scan(deep, &rf), -1);
	memset(deep + 5, '{', n);
	assert_int_equal(scan(deep, &rf), -1);
	free(deep);
}

/* ---- the queue ------------------------------------------------------------ */

#define CLOSED_URL "redis://:hunter2@127.0.0.1:1"
#define REC_LEN 400

static void out_cfg(struct redis_out_cfg *cfg, bool drop, uint32_t timeout_s, FILE *log)
{
	memset(cfg, 0, sizeof(*cfg));
	char err[256];
	assert_int_equal(redis_url_parse(&cfg->url, CLOSED_URL, err, sizeof(err)), 0);
	snprintf(cfg->prefix, sizeof(cfg->prefix), "davy");
	cfg->maxlen = 1000;
	cfg->queue_bytes = 0; /* raised to the minimum, 4 records of RECORD_MAX */
	cfg->drop_when_full = drop;
	cfg->timeout_s = timeout_s;
	cfg->sensor = "test";
	cfg->quiet = log == NULL;
	cfg->log = log;
}

/* out_cfg() and redis_out_init(), for tests that need nothing else. */
static void open_out(struct redis_out *ro, bool drop, uint32_t timeout_s, FILE *log)
{
	struct redis_out_cfg cfg;
	char err[256];
	out_cfg(&cfg, drop, timeout_s, log);
	assert_int_equal(redis_out_init(ro, &cfg, err, sizeof(err)), 0);
}

/* A record of event type `type` with timestamp ts, padded to exactly
 * REC_LEN bytes plus a newline (as the workers write it). */
static const char *mkrec(const char *type, const char *ts)
{
	static char buf[REC_LEN + 2];
	int n = snprintf(buf, sizeof(buf),
			 "{\"timestamp\":\"%s\",\"flow_id\":1,\"event_type\":\"%s\","
			 "\"src_ip\":\"10.0.0.1\",\"src_port\":40000,\"dest_ip\":\"10.0.0.2\","
			 "\"dest_port\":3333,\"proto\":\"TCP\",\"app_proto\":\"stratum\",%s\"pad\":\"",
			 ts, type,
			 strcmp(type, "alert") == 0 ? "\"alert\":{\"signature_id\":4960001}," : "");
	assert_true(n > 0 && n < REC_LEN - 2);
	memset(buf + n, 'x', (size_t)(REC_LEN - 2 - n));
	memcpy(buf + REC_LEN - 2, "\"}\n", 4);
	assert_int_equal(strlen(buf), REC_LEN + 1);
	return buf;
}

static const char *ts_of(int minute, int us)
{
	static char ts[RECORD_TIME_LEN];
	snprintf(ts, sizeof(ts), "2024-01-01T00:%02d:00.%06d+0000", minute, us);
	return ts;
}

static enum redis_push push(struct redis_out *ro, const char *type, int minute, int us)
{
	const char *r = mkrec(type, ts_of(minute, us));
	return redis_out_push(ro, r, strlen(r));
}

/* The bytes one REC_LEN record takes in the queue (its header and padding
 * are the queue's business): what one push into an empty queue uses. */
static size_t ent_bytes(void)
{
	struct redis_out ro;
	open_out(&ro, false, 0, NULL);
	assert_int_equal(push(&ro, "flow", 0, 0), RP_QUEUED);
	size_t e = ro.used;
	redis_out_free(&ro);
	assert_true(e >= REC_LEN && e <= REC_LEN + 64 && e % 8 == 0);
	return e;
}

static void test_queue_minimum(void **state)
{
	(void)state;
	struct redis_out ro;
	struct redis_out_cfg cfg;
	char err[256];
	out_cfg(&cfg, false, 0, NULL);
	cfg.queue_bytes = 1;
	assert_int_equal(redis_out_init(&ro, &cfg, err, sizeof(err)), 0);
	size_t min = ro.cap;
	assert_true(min >= 4 * (size_t)RECORD_MAX);
	assert_int_equal(ro.nrec, 0);
	assert_string_equal(ro.where, "redis://:***@127.0.0.1:1/0");
	redis_out_free(&ro);
	cfg.queue_bytes = 0;
	assert_int_equal(redis_out_init(&ro, &cfg, err, sizeof(err)), 0);
	assert_int_equal(ro.cap, min);
	redis_out_free(&ro);
	/* a record of RECORD_MAX bytes fits (4 of them) */
	assert_int_equal(redis_out_init(&ro, &cfg, err, sizeof(err)), 0);
	char *big = malloc(RECORD_MAX);
	memset(big, ' ', RECORD_MAX);
	memcpy(big, "{\"event_type\":\"flow\"", 20);
	big[RECORD_MAX - 1] = '}';
	for (int i = 0; i < 4; i++)
		assert_int_equal(redis_out_push(&ro, big, RECORD_MAX), RP_QUEUED);
	assert_int_equal(redis_out_push(&ro, big, RECORD_MAX), RP_FULL);
	assert_int_equal(ro.nrec, 4);
	free(big);
	redis_out_free(&ro);
}

/* Wait mode: records are taken until the queue is full, then refused
 * (RP_FULL: the caller keeps them), never dropped; a connection that fails
 * changes nothing. */
static void test_queue_wait_full(void **state)
{
	(void)state;
	size_t e = ent_bytes();
	struct redis_out ro;
	open_out(&ro, false, 0, NULL);
	size_t fit = ro.cap / e;
	assert_true(fit >= 4 * RECORD_MAX / (REC_LEN + 64));
	size_t n = 0;
	while (n <= fit && push(&ro, n % 3 ? "flow" : "stats", 0, (int)n) == RP_QUEUED)
		n++;
	assert_int_equal(n, fit);
	assert_int_equal(ro.nrec, fit);
	assert_int_equal(ro.st.queued_records, fit);
	assert_int_equal(ro.st.queue_max, fit * e);
	for (int i = 0; i < 20; i++) {
		assert_int_equal(push(&ro, "flow", 1, i), RP_FULL);
		assert_int_equal(push(&ro, "alert", 1, i), RP_FULL);
		assert_int_equal(push(&ro, "stats", 1, i), RP_FULL);
		assert_int_equal(push(&ro, "dns", 1, i), RP_FULL);
	}
	/* 127.0.0.1:1 refuses: no progress, one error, then the backoff */
	assert_false(redis_out_service(&ro));
	assert_false(redis_out_service(&ro));
	assert_false(redis_out_gave_up(&ro));
	assert_in_range(ro.st.errors, 1, 2); /* 2 only if 100 ms passed in between */
	assert_null(ro.c);
	assert_true(ro.down);
	assert_null(strstr(ro.last_err, "hunter2"));
	assert_int_equal(push(&ro, "alert", 2, 0), RP_FULL);
	assert_int_equal(ro.nrec, fit);
	for (int t = 0; t < RR__COUNT; t++) {
		assert_int_equal(ro.st.dropped[t], 0);
		assert_int_equal(ro.st.undelivered[t], 0);
		assert_int_equal(ro.st.delivered[t], 0);
	}
	redis_out_free(&ro);
}

/* Drop mode: flows, stats and other records are dropped once taking one
 * would fill more than 90%; alerts are taken until the queue is full, then
 * dropped; each drop counted by type. */
static void test_queue_drop_policy(void **state)
{
	(void)state;
	size_t e = ent_bytes();
	struct redis_out ro;
	open_out(&ro, true, 5, NULL);
	size_t fit = ro.cap / e, high = ro.cap * 90 / (100 * e);
	assert_true(high < fit);
	size_t n = 0;
	while (n <= fit && push(&ro, "flow", 0, (int)n) == RP_QUEUED)
		n++;
	assert_int_equal(n, high);
	assert_int_equal(ro.st.dropped[RR_FLOW], 1);
	assert_true(ro.used * 100 <= ro.cap * 90 && (ro.used + e) * 100 > ro.cap * 90);
	assert_int_equal(push(&ro, "stats", 0, 0), RP_DROPPED);
	assert_int_equal(push(&ro, "stats", 0, 1), RP_DROPPED);
	assert_int_equal(push(&ro, "dns", 0, 0), RP_DROPPED);
	assert_int_equal(ro.st.dropped[RR_STATS], 2);
	assert_int_equal(ro.st.dropped[RR_OTHER], 1);
	assert_int_equal(ro.st.dropped[RR_ALERT], 0);
	/* the last 10% is for alerts */
	size_t alerts = 0;
	while (alerts <= fit && push(&ro, "alert", 1, (int)alerts) == RP_QUEUED) {
		alerts++;
		assert_int_equal(push(&ro, "flow", 2, (int)alerts), RP_DROPPED);
	}
	assert_int_equal(alerts, fit - high);
	assert_int_equal(ro.nrec, fit);
	assert_int_equal(ro.st.dropped[RR_ALERT], 1);
	assert_int_equal(ro.st.dropped[RR_FLOW], 1 + alerts);
	assert_int_equal(push(&ro, "alert", 3, 0), RP_DROPPED);
	assert_int_equal(ro.st.dropped[RR_ALERT], 2);
	/* drop mode never gives up on its own (only a drain does) */
	assert_false(redis_out_service(&ro));
	assert_false(redis_out_gave_up(&ro));
	assert_int_equal(ro.nrec, fit);
	redis_out_free(&ro);
}

/* The ring's wrap. Records leave the queue only when Redis acknowledges
 * them, which needs a server; so delivery of the oldest k records is played
 * here by moving the ring's public fields exactly as a delivered record's
 * removal does (tail past them, their bytes out of `used`, nrec down; no
 * wrap waste before the first wrap), and giving up is made due at once
 * (stall_since_us long ago). Then alerts must go to the ring's start, in
 * the room the k records left, and giving up must walk the wrapped ring:
 * the undelivered counts and the time range show each record was read back
 * from where it was put. Three ends of the ring: room for no header at the
 * end, room for a header (the wrap marker) but no record, exactly full. */
static void test_queue_wrap(void **state)
{
	(void)state;
	size_t e = ent_bytes();
	struct redis_out_cfg cfg;
	out_cfg(&cfg, false, 1, NULL);
	struct redis_out ro;
	char err[256];
	assert_int_equal(redis_out_init(&ro, &cfg, err, sizeof(err)), 0);
	size_t min = ro.cap;
	redis_out_free(&ro);
	size_t base = (min / e + 1) * e;
	size_t ends[] = { base + 8, base + e - 8, base };
	for (size_t w = 0; w < 3; w++) {
		for (size_t k = 1; k <= 5; k += 2) {
			cfg.queue_bytes = ends[w];
			assert_int_equal(redis_out_init(&ro, &cfg, err, sizeof(err)), 0);
			assert_int_equal(ro.cap, ends[w]);
			size_t n = 0;
			while (push(&ro, "flow", 0, (int)n) == RP_QUEUED)
				n++;
			assert_int_equal(n, ends[w] / e);
			assert_int_equal(ro.head, n * e);
			/* k records delivered */
			ro.tail = k * e;
			ro.used -= k * e;
			ro.nrec -= k;
			size_t a = 0;
			while (a <= k && push(&ro, "alert", 1, (int)a) == RP_QUEUED)
				a++;
			assert_int_equal(a, k);
			assert_int_equal(ro.head, k * e);
			assert_int_equal(ro.used, ro.cap); /* the end's remainder counts */
			assert_int_equal(push(&ro, "flow", 2, 0), RP_FULL);
			assert_int_equal(push(&ro, "alert", 2, 0), RP_FULL);
			/* give up: every queued record counted from its own bytes */
			ro.stall_since_us = 1;
			assert_false(redis_out_service(&ro));
			assert_true(redis_out_gave_up(&ro));
			assert_int_equal(ro.nrec, 0);
			assert_int_equal(ro.used, 0);
			assert_int_equal(ro.st.undelivered[RR_FLOW], n - k);
			assert_int_equal(ro.st.undelivered[RR_ALERT], k);
			assert_int_equal(ro.st.undelivered[RR_STATS] + ro.st.undelivered[RR_OTHER], 0);
			assert_string_equal(ro.undel_first, ts_of(0, (int)k));
			assert_string_equal(ro.undel_last, ts_of(1, (int)k - 1));
			redis_out_free(&ro);
		}
	}
}

/* Wait mode, timeout 1 s, nothing listening: the drain gives up after about
 * a second; what was queued and what is pushed later is counted by type,
 * with the range of its times, and the report says so without the
 * password. */
static void test_give_up_report(void **state)
{
	(void)state;
	char *logbuf = NULL, *repbuf = NULL;
	size_t loglen = 0, replen = 0;
	FILE *log = open_memstream(&logbuf, &loglen);
	assert_non_null(log);
	struct redis_out ro;
	open_out(&ro, false, 1, log);
	assert_int_equal(redis_out_connect_now(&ro), -1);
	assert_int_equal(push(&ro, "flow", 3, 250000), RP_QUEUED);
	assert_int_equal(push(&ro, "alert", 1, 500000), RP_QUEUED);
	assert_int_equal(push(&ro, "flow", 7, 0), RP_QUEUED);
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	assert_int_equal(redis_out_drain(&ro), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double el = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	assert_true(el > 0.5 && el < 5.0);
	assert_true(redis_out_gave_up(&ro));
	assert_int_equal(ro.nrec, 0);
	assert_int_equal(ro.st.undelivered[RR_FLOW], 2);
	assert_int_equal(ro.st.undelivered[RR_ALERT], 1);
	assert_int_equal(ro.st.undelivered[RR_STATS], 0);
	assert_int_equal(ro.st.undelivered[RR_OTHER], 0);
	assert_true(ro.st.errors >= 1);
	for (int t = 0; t < RR__COUNT; t++)
		assert_int_equal(ro.st.dropped[t], 0);
	/* after giving up: counted, never queued */
	assert_int_equal(push(&ro, "stats", 0, 1), RP_UNDELIVERED);
	assert_int_equal(ro.st.undelivered[RR_STATS], 1);
	assert_int_equal(ro.nrec, 0);
	assert_false(redis_out_service(&ro));
	assert_int_equal(redis_out_drain(&ro), -1);

	FILE *rep = open_memstream(&repbuf, &replen);
	assert_non_null(rep);
	redis_out_report(&ro, rep);
	fclose(rep);
	assert_non_null(strstr(repbuf, "gave up on redis://:***@127.0.0.1:1/0 after 1 s"));
	if (!strstr(repbuf, "not delivered: 4 records (2 flow, 1 alert, 1 stats, 0 other)"))
		fail_msg("report: %s", repbuf);
	if (!strstr(repbuf, "record times 2024-01-01T00:00:00.000001+0000 to "
			    "2024-01-01T00:07:00.000000+0000"))
		fail_msg("report: %s", repbuf);
	assert_null(strstr(repbuf, "hunter2"));
	/* one line, ending the report */
	assert_non_null(strchr(repbuf, '\n'));
	assert_int_equal(strchr(repbuf, '\n') - repbuf + 1, (long)replen);

	/* the outage was reported once, without the password */
	fclose(log);
	assert_non_null(strstr(logbuf, "davy: redis: "));
	assert_null(strstr(logbuf, "hunter2"));
	const char *second = strstr(logbuf, "davy: redis: ");
	assert_null(strstr(second + 1, "davy: redis: "));
	redis_out_free(&ro);
	free(logbuf);
	free(repbuf);
}

/* The give-up clock runs only while records wait: an outage during which
 * the queue was empty does not count against a record pushed later (it is
 * given up only after it has itself waited timeout_s). */
static void test_give_up_clock_starts_with_waiting(void **state)
{
	(void)state;
	struct redis_out ro;
	open_out(&ro, false, 1, NULL);
	assert_int_equal(redis_out_connect_now(&ro), -1);
	/* 1.2 s of outage with an empty queue, serviced as the output thread does */
	for (int i = 0; i < 12; i++) {
		assert_false(redis_out_service(&ro));
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	assert_int_equal(push(&ro, "flow", 0, 0), RP_QUEUED);
	assert_false(redis_out_service(&ro));
	bool early = redis_out_gave_up(&ro);
	/* ... and then it is given up, once it has waited the timeout */
	bool later = redis_out_drain(&ro) != 0 && redis_out_gave_up(&ro);
	redis_out_free(&ro);
	assert_false(early);
	assert_true(later);
}

/* Nothing queued, nothing undelivered: drain succeeds at once, no report. */
static void test_drain_empty(void **state)
{
	(void)state;
	struct redis_out ro;
	open_out(&ro, false, 1, NULL);
	assert_int_equal(redis_out_drain(&ro), 0);
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	redis_out_report(&ro, fp);
	fclose(fp);
	assert_int_equal(len, 0);
	free(buf);
	redis_out_free(&ro);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url_forms),
		cmocka_unit_test(test_url_limits),
		cmocka_unit_test(test_url_errors),
		cmocka_unit_test(test_url_error_no_password),
		cmocka_unit_test(test_url_scheme_error_password),
		cmocka_unit_test(test_url_describe),
		cmocka_unit_test(test_scan_real_records),
		cmocka_unit_test(test_scan_nested_and_escapes),
		cmocka_unit_test(test_scan_malformed),
		cmocka_unit_test(test_queue_minimum),
		cmocka_unit_test(test_queue_wait_full),
		cmocka_unit_test(test_queue_drop_policy),
		cmocka_unit_test(test_queue_wrap),
		cmocka_unit_test(test_give_up_report),
		cmocka_unit_test(test_give_up_clock_starts_with_waiting),
		cmocka_unit_test(test_drain_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
