/* test_ioc_match.c - a flow's facts against an indicator set
 * (sensor/ioc_match.c): which fact is checked when, which signature each
 * category makes due, once per flow per signature, ports never alerting,
 * look-alike names not matching. The set is loaded from a feed in memory;
 * flows come from the real flow table; nDPI's results are set by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <ndpi_protocol_ids.h>

#include "ioc_match.h"
#include "pods.h"
#include "stratum_flow.h"

#define SEC 1000000ULL

static const char FEED[] =
	"#@ category=mining-pool severity=medium\n"
	"supportxmr.com\n"
	"203.0.113.0/24\n"
	"#@ category=c2 severity=high\n"
	"198.51.100.66\n"
	"evil-c2.example\n"
	"#@ category=miner-port severity=low\n"
	"port:3333\n"
	"#@ category=miner-agent severity=high\n"
	"agent:XMRig\n"
	"#@ category=wallet severity=high\n"
	"wallet:44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\n"
	"#@ category=phishing severity=low\n"
	"bad.example\n"
	"#@ category=c2 severity=high\n"
	"asn:AS64666\n"
	"#@ category=miner-image severity=high\n"
	"image:kannix/monero-miner\n"
	"namespace:anonymous\n";

struct env {
	struct ioc_set *set;
	struct flow_table t;
	struct ioc_match_stats st;
};

static void on_end(void *ctx, struct flow *f, enum flow_reason why)
{
	(void)ctx, (void)f, (void)why;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	e->set = ioc_set_new(NULL);
	assert_non_null(e->set);
	assert_int_equal(ioc_load_buffer(e->set, "test", FEED, sizeof(FEED) - 1, NULL), 0);
	assert_int_equal(ioc_set_stats(e->set)->bad, 0);
	struct flow_timeouts to;
	flow_timeouts_default(&to);
	char err[128];
	assert_int_equal(flow_table_init(&e->t, 64, &to, on_end, e, err, sizeof(err)), 0);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;
	flow_flush(&e->t, 0);
	flow_table_free(&e->t);
	ioc_set_free(e->set);
	free(e);
	return 0;
}

static struct flow *mkflow(struct env *e, const char *src, const char *dst, uint16_t dport)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.ipver = 4;
	p.l4proto = 6;
	inet_pton(AF_INET, src, p.src);
	inet_pton(AF_INET, dst, p.dst);
	p.sport = 40000;
	p.dport = dport;
	p.tcp_flags = TCP_SYN;
	p.ts_us = 1700000000 * SEC;
	p.caplen = p.wirelen = 60;
	p.flags = PKT_HAS_KEY;
	struct flow_key k;
	int side;
	flow_key_from_pkt(&p, &k, &side);
	bool created;
	struct flow *f = flow_packet(&e->t, &p, &k, flow_key_hash(&k), side, &created);
	assert_non_null(f);
	return f;
}

static struct alert_due check(struct env *e, struct flow *f, bool classified)
{
	struct alert_due d;
	memset(&d, 0, sizeof(d));
	ioc_match_flow(e->set, f, classified, &d, &e->st);
	return d;
}

#define BIT(s) (1u << (s))

static void test_addresses(void **state)
{
	struct env *e = *state;
	struct flow *f = mkflow(e, "10.244.1.23", "203.0.113.77", 443);
	struct alert_due d = check(e, f, false);
	assert_int_equal(d.sigs, BIT(SIG_IOC_POOL));
	assert_int_equal(d.where[SIG_IOC_POOL], IOC_W_DEST_IP);
	assert_string_equal(d.ioc[SIG_IOC_POOL]->value, "203.0.113.0/24");
	assert_int_equal(d.dir[SIG_IOC_POOL], 0);
	d = check(e, f, false); /* checked once */
	assert_int_equal(d.sigs, 0);
	/* a C2 address as the source (the flow's first packet came from it) */
	f = mkflow(e, "198.51.100.66", "10.244.1.40", 51000);
	d = check(e, f, false);
	assert_int_equal(d.sigs, BIT(SIG_IOC_C2));
	assert_int_equal(d.where[SIG_IOC_C2], IOC_W_SRC_IP);
	assert_int_equal(d.dir[SIG_IOC_C2], 1);
	/* a neighbour of the listed /24 and of the C2 host */
	f = mkflow(e, "10.244.1.23", "198.51.100.67", 3333);
	d = check(e, f, false);
	assert_int_equal(d.sigs, 0); /* port 3333 is listed: never an alert alone */
}

static void test_names_and_lookalikes(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *host;
		uint16_t proto;
		unsigned sigs;
		int where;
	} cases[] = {
		{ "pool.supportxmr.com", NDPI_PROTOCOL_DNS, BIT(SIG_IOC_POOL_LOOKUP), IOC_W_DNS_RRNAME },
		{ "pool.supportxmr.com", NDPI_PROTOCOL_TLS, BIT(SIG_IOC_POOL), IOC_W_TLS_SNI },
		{ "supportxmr.com", NDPI_PROTOCOL_HTTP, BIT(SIG_IOC_POOL), IOC_W_HTTP_HOST },
		{ "notsupportxmr.com", NDPI_PROTOCOL_TLS, 0, 0 },
		{ "supportxmr.com.evil.net", NDPI_PROTOCOL_DNS, 0, 0 },
		{ "x.evil-c2.example", NDPI_PROTOCOL_TLS, BIT(SIG_IOC_C2), IOC_W_TLS_SNI },
		{ "bad.example", NDPI_PROTOCOL_HTTP, BIT(SIG_IOC_OTHER), IOC_W_HTTP_HOST },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char dst[32];
		snprintf(dst, sizeof(dst), "192.0.2.%zu", 10 + i);
		struct flow *f = mkflow(e, "10.244.1.23", dst, 443);
		assert_int_equal(check(e, f, false).sigs, 0);
		snprintf(f->cls.host, sizeof(f->cls.host), "%s", cases[i].host);
		f->cls.app = cases[i].proto;
		struct alert_due d = check(e, f, false); /* not classified yet */
		assert_int_equal(d.sigs, 0);
		d = check(e, f, true);
		assert_int_equal(d.sigs, cases[i].sigs);
		for (int s = 0; s < SIG__COUNT; s++)
			if (d.sigs & BIT(s))
				assert_int_equal(d.where[s], cases[i].where);
		assert_int_equal(check(e, f, true).sigs, 0);
	}
}

static void test_dns_linked(void **state)
{
	struct env *e = *state;
	struct flow *f = mkflow(e, "10.244.1.23", "192.0.2.99", 443);
	struct dnscache_entry de;
	memset(&de, 0, sizeof(de));
	snprintf(de.name, sizeof(de.name), "lb.cdn.example");
	snprintf(de.query, sizeof(de.query), "xmr.supportxmr.com");
	flow_link_dns(&e->t, f, &de);
	struct alert_due d = check(e, f, false);
	assert_int_equal(d.sigs, BIT(SIG_IOC_POOL));
	assert_int_equal(d.where[SIG_IOC_POOL], IOC_W_DNS_LINKED);
	assert_string_equal(d.ioc[SIG_IOC_POOL]->value, "supportxmr.com");
	assert_string_equal(d.ioc[SIG_IOC_POOL]->category, "mining-pool");
}

static void test_stratum_fields(void **state)
{
	struct env *e = *state;
	struct stratum_flow sf;
	memset(&sf, 0, sizeof(sf));
	stratum_init(&sf.parser, &sf.info);
	static const char login[] =
		"{\"id\":1,\"method\":\"login\",\"params\":{\"login\":"
		"\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A.rig1\","
		"\"pass\":\"x\",\"agent\":\"xmrig/6.21.0 (Linux x86_64)\",\"algo\":[\"rx/0\"]}}\n";
	stratum_feed(&sf.parser, &sf.info, 0, (const uint8_t *)login, sizeof(login) - 1, 1);
	assert_int_equal(sf.info.dialect, STRATUM_CRYPTONOTE);
	struct flow *f = mkflow(e, "10.244.1.23", "192.0.2.200", 8080);
	f->stratum = &sf;
	struct alert_due d = check(e, f, false);
	f->stratum = NULL;
	stratum_release(&sf.parser);
	assert_int_equal(d.sigs, BIT(SIG_IOC_WALLET) | BIT(SIG_IOC_AGENT));
	assert_int_equal(d.where[SIG_IOC_WALLET], IOC_W_STRATUM_LOGIN);
	assert_int_equal(d.where[SIG_IOC_AGENT], IOC_W_STRATUM_AGENT);
	assert_string_equal(d.ioc[SIG_IOC_AGENT]->value, "XMRig");
	assert_true(e->st.matches >= 2);
}

static void test_no_set(void **state)
{
	struct env *e = *state;
	struct flow *f = mkflow(e, "10.244.1.23", "203.0.113.5", 443);
	struct alert_due d;
	memset(&d, 0, sizeof(d));
	ioc_match_flow(NULL, f, true, &d, &e->st);
	assert_int_equal(d.sigs, 0);
}

/* ASN, image and namespace indicators on what enrichment knows */
static void test_identity(void **state)
{
	struct env *e = *state;
	static const char *const imgs[] = { "busybox:1.36", "docker.io/kannix/monero-miner:latest" };
	struct pod miner = { .ns = "anonymous", .name = "nb-0", .node = "", .app = "",
			     .service_account = "", .owner_kind = "", .owner_name = "",
			     .images = imgs, .nimages = 2 };
	struct pod quiet = miner;
	quiet.ns = "team-a";
	quiet.nimages = 1;
	/* a miner pod's flow: the image, then its namespace; the pod is the source */
	struct flow *f = mkflow(e, "10.244.7.21", "89.44.10.30", 443);
	struct alert_due d;
	memset(&d, 0, sizeof(d));
	struct ioc_identity id = { { 0, 0 }, { &miner, NULL } };
	ioc_match_identity(e->set, f, &id, &d, &e->st);
	assert_int_equal(d.sigs, BIT(SIG_IOC_IMAGE) | BIT(SIG_IOC_NAMESPACE));
	assert_int_equal(d.where[SIG_IOC_IMAGE], IOC_W_SRC_IMAGE);
	assert_string_equal(d.ioc[SIG_IOC_IMAGE]->value, "kannix/monero-miner");
	assert_int_equal(d.dir[SIG_IOC_IMAGE], 0);
	assert_int_equal(d.where[SIG_IOC_NAMESPACE], IOC_W_SRC_NAMESPACE);
	memset(&d, 0, sizeof(d));
	ioc_match_identity(e->set, f, &id, &d, &e->st); /* once per flow */
	assert_int_equal(d.sigs, 0);
	/* the pod as the destination: direction to_client */
	f = mkflow(e, "10.0.0.9", "10.244.7.21", 8080);
	struct ioc_identity id2 = { { 0, 0 }, { NULL, &miner } };
	memset(&d, 0, sizeof(d));
	ioc_match_identity(e->set, f, &id2, &d, &e->st);
	assert_int_equal(d.where[SIG_IOC_IMAGE], IOC_W_DEST_IMAGE);
	assert_int_equal(d.dir[SIG_IOC_IMAGE], 1);
	/* another pod: nothing; a listed AS number as the destination's: C2 */
	f = mkflow(e, "10.244.8.1", "89.44.10.31", 443);
	struct ioc_identity id3 = { { 64500, 64666 }, { &quiet, NULL } };
	memset(&d, 0, sizeof(d));
	ioc_match_identity(e->set, f, &id3, &d, &e->st);
	assert_int_equal(d.sigs, BIT(SIG_IOC_C2));
	assert_int_equal(d.where[SIG_IOC_C2], IOC_W_DEST_ASN);
	assert_string_equal(d.ioc[SIG_IOC_C2]->value, "AS64666");
	assert_string_equal(ioc_where_name(IOC_W_DEST_ASN), "geo.dest.asn");
	assert_string_equal(ioc_where_name(IOC_W_SRC_IMAGE), "k8s.src.images");
	/* the listed AS as the source */
	f = mkflow(e, "89.44.10.32", "10.244.8.1", 443);
	struct ioc_identity id4 = { { 64666, 0 }, { NULL, NULL } };
	memset(&d, 0, sizeof(d));
	ioc_match_identity(e->set, f, &id4, &d, &e->st);
	assert_int_equal(d.where[SIG_IOC_C2], IOC_W_SRC_ASN);
	assert_int_equal(d.dir[SIG_IOC_C2], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_lookalikes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dns_linked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stratum_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_no_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_identity, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
