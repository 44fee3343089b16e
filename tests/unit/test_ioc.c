/* test_ioc.c - the indicator set: both feed formats with their bad lines
 * (messages naming file:line, counters), directives, type detection,
 * normalisation, longest-prefix match (IPv4, IPv6), domains against
 * look-alikes, ports, JA3, wallets, agents, duplicates, folder order, the
 * count bound, over-long lines, chunked reading, and the shipped iocs/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "feed.h"
#include "ioc.h"

/* ---- helpers ---- */

#define MAX_MSGS 64

struct msgs {
	char text[MAX_MSGS][512];
	int n;
	int total;
};

static void collect(void *arg, const char *msg)
{
	struct msgs *m = arg;
	if (m->n < MAX_MSGS)
		snprintf(m->text[m->n++], sizeof(m->text[0]), "%s", msg);
	m->total++;
}

/* whether some message contains both a and b */
static bool has_msg(const struct msgs *m, const char *a, const char *b)
{
	for (int i = 0; i < m->n; i++)
		if (strstr(m->text[i], a) && (!b || strstr(m->text[i], b)))
			return true;
	return false;
}

static void dump_msgs(const struct msgs *m)
{
	for (int i = 0; i < m->n; i++)
		fprintf(stderr, "  msg: %s\n", m->text[i]);
}

static struct ioc_set *new_set(struct msgs *m, uint64_t max)
{
	memset(m, 0, sizeof(*m));
	struct ioc_opts o = { .max_indicators = max, .msg = collect, .msg_arg = m };
	struct ioc_set *s = ioc_set_new(&o);
	assert_non_null(s);
	return s;
}

static void load(struct ioc_set *s, const char *name, const char *text, struct ioc_stats *st)
{
	memset(st, 0, sizeof(*st));
	assert_int_equal(ioc_load_buffer(s, name, text, strlen(text), st), 0);
}

/* the invariants of ioc.h */
static void check_sums(const struct ioc_stats *st)
{
	assert_int_equal(st->lines, st->comments + st->good + st->bad + st->unsupported);
	assert_int_equal(st->good, st->stored + st->duplicates + st->over_limit);
	uint64_t sum = 0;
	for (int t = 0; t < IOC_TYPE__COUNT; t++)
		sum += st->by_type[t];
	assert_int_equal(sum, st->stored);
}

static const struct ioc *ip4(const struct ioc_set *s, const char *a)
{
	uint8_t b[4];
	assert_int_equal(inet_pton(AF_INET, a, b), 1);
	return ioc_find_ip(s, 4, b);
}

static const struct ioc *ip6(const struct ioc_set *s, const char *a)
{
	uint8_t b[16];
	assert_int_equal(inet_pton(AF_INET6, a, b), 1);
	return ioc_find_ip(s, 6, b);
}

static const struct ioc *dom(const struct ioc_set *s, const char *n)
{
	return ioc_find_domain(s, n, strlen(n));
}

#define XMR_WALLET "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
#define ETH_WALLET "0x52908400098527886E0F7030069857D2E4169EE7"

/* ---- plain format ---- */

static void test_plain_fields_and_defaults(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "feeds/pools.txt",
	     "# mining pools\n"
	     "\n"
	     "supportxmr.com\tpool docs\tmining-pool\tMonero pool\thigh\n"
	     "nanopool.org\n"
	     "3333\n"
	     "domain:c3pool.com\t-\t-\t-\tlow\n"
	     "   \t  \n"
	     "agent:XMRig\n",
	     &st);
	check_sums(&st);
	assert_int_equal(st.lines, 8);
	assert_int_equal(st.comments, 3);
	assert_int_equal(st.good, 5);
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.by_type[IOC_DOMAIN], 3);
	assert_int_equal(st.by_type[IOC_PORT], 1);
	assert_int_equal(st.by_type[IOC_AGENT], 1);
	assert_int_equal(ioc_set_count(s), 5);

	const struct ioc *i = dom(s, "supportxmr.com");
	assert_non_null(i);
	assert_string_equal(i->value, "supportxmr.com");
	assert_int_equal(i->type, IOC_DOMAIN);
	assert_string_equal(i->feed, "pools");
	assert_string_equal(i->source, "pool docs");
	assert_string_equal(i->category, "mining-pool");
	assert_string_equal(i->description, "Monero pool");
	assert_int_equal(i->severity, IOC_SEV_HIGH);
	assert_int_equal(i->line, 3);

	/* defaults by type; "-" is "not given" */
	i = dom(s, "nanopool.org");
	assert_string_equal(i->category, "unknown");
	assert_string_equal(i->source, "");
	assert_string_equal(i->description, "");
	assert_int_equal(i->severity, IOC_SEV_MEDIUM);
	i = ioc_find_port(s, 3333);
	assert_non_null(i);
	assert_string_equal(i->category, "miner-port");
	assert_int_equal(i->severity, IOC_SEV_LOW);
	i = dom(s, "c3pool.com");
	assert_string_equal(i->category, "unknown");
	assert_int_equal(i->severity, IOC_SEV_LOW);
	i = ioc_find_agent(s, "XMRig/6.21", 10);
	assert_string_equal(i->category, "miner-agent");

	/* equal strings are stored once */
	assert_ptr_equal(dom(s, "nanopool.org")->feed, dom(s, "supportxmr.com")->feed);
	assert_ptr_equal(dom(s, "nanopool.org")->category, dom(s, "c3pool.com")->category);
	assert_int_equal(m.total, 0);
	const struct ioc_stats *tot = ioc_set_stats(s);
	assert_int_equal(tot->stored, 5);
	assert_int_equal(tot->files, 1);
	ioc_set_free(s);
}

static void test_type_detection(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "d.txt",
	     "192.0.2.7\n"                               /* 1 ip */
	     "2001:db8::1\n"                             /* 2 ip v6 */
	     "198.51.100.0/24\n"                         /* 3 cidr */
	     "2001:db8:1::/48\n"                         /* 4 cidr v6 */
	     "E7D705A3286E19EA42F587B344EE6865\n"        /* 5 ja3 */
	     XMR_WALLET "\n"                             /* 6 wallet */
	     ETH_WALLET "\n"                             /* 7 wallet */
	     "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq\n" /* 8 wallet */
	     "14444\n"                                   /* 9 port */
	     "stratum+tcp://Pool.Example.net:3333\n"     /* 10 url */
	     "Pool.Example.ORG.\n"                       /* 11 domain */
	     "foo bar\n"                                 /* 12 bad */
	     "localhost\n"                               /* 13 bad: no dot */
	     "70000\n"                                   /* 14 bad port */
	     "0\n"                                       /* 15 bad port */
	     "10.0.0.256\n"                              /* 16 bad */
	     "10.0.0.0/33\n"                             /* 17 bad prefix */
	     "10.0.0.0/0\n"                              /* 18 bad prefix */
	     "ip:example.com\n"                          /* 19 bad */
	     "ja3:abc\n"                                 /* 20 bad */
	     "port:99999\n"                              /* 21 bad */
	     "nosuchtype:x.example\n"                    /* 22 bad */
	     "pool.example.com # inline\n"               /* 23 bad */
	     "asn:AS64496\n"                             /* 24 asn */
	     "asn:64497\n"                               /* 25 asn */
	     "image:docker.io/xmrig/xmrig:latest\n"      /* 26 image */
	     "namespace:kube-miner\n"                    /* 27 namespace */
	     "subnet:203.0.113.0/25\n"                   /* 28 cidr */
	     "cidr:203.0.113.200\n"                      /* 29 ip */
	     "WALLET:someAccount-1\n"                    /* 30 wallet */
	     "url:evil.example/x\n"                      /* 31 url */
	     "x.example\ta\tb\tc\tlow\textra\n"          /* 32 bad: 6 fields */
	     "x.example\t\tBad Category!\n"              /* 33 bad category */
	     "x.example\t\t\t\tsevere\n",                /* 34 bad severity */
	     &st);
	check_sums(&st);
	if (st.bad != 15)
		dump_msgs(&m);
	assert_int_equal(st.lines, 34);
	assert_int_equal(st.bad, 15);
	assert_int_equal(st.good, 19);
	assert_int_equal(st.by_type[IOC_IP], 3);
	assert_int_equal(st.by_type[IOC_CIDR], 3);
	assert_int_equal(st.by_type[IOC_JA3], 1);
	assert_int_equal(st.by_type[IOC_WALLET], 4);
	assert_int_equal(st.by_type[IOC_PORT], 1);
	assert_int_equal(st.by_type[IOC_URL], 2);
	assert_int_equal(st.by_type[IOC_DOMAIN], 1);
	assert_int_equal(st.by_type[IOC_ASN], 2);
	assert_int_equal(st.by_type[IOC_IMAGE], 1);
	assert_int_equal(st.by_type[IOC_NAMESPACE], 1);

	/* messages name file:line and say what is wrong */
	assert_true(has_msg(&m, "d.txt:12: not an IP, CIDR, domain, URL, port, JA3 or wallet", "'foo bar'"));
	assert_true(has_msg(&m, "d.txt:13: not an IP", "'localhost'"));
	assert_true(has_msg(&m, "d.txt:14: port out of range", "'70000'"));
	assert_true(has_msg(&m, "d.txt:15: port out of range", NULL));
	assert_true(has_msg(&m, "d.txt:16: not an IP", "'10.0.0.256'"));
	assert_true(has_msg(&m, "d.txt:17: bad prefix length", NULL));
	assert_true(has_msg(&m, "d.txt:18: bad prefix length", NULL));
	assert_true(has_msg(&m, "d.txt:19: not an IP address or CIDR", "'example.com'"));
	assert_true(has_msg(&m, "d.txt:20: not a JA3 hash", NULL));
	assert_true(has_msg(&m, "d.txt:21: not a port", NULL));
	assert_true(has_msg(&m, "d.txt:22: not an IP", NULL));
	assert_true(has_msg(&m, "d.txt:23: not an IP", NULL));
	assert_true(has_msg(&m, "d.txt:32: more than 5", NULL));
	assert_true(has_msg(&m, "d.txt:33: bad category", "'Bad Category!'"));
	assert_true(has_msg(&m, "d.txt:34: bad severity", "'severe'"));
	assert_int_equal(m.total, 15);

	assert_int_equal(ip4(s, "192.0.2.7")->type, IOC_IP);
	assert_int_equal(ip6(s, "2001:db8::1")->type, IOC_IP);
	assert_int_equal(ip4(s, "198.51.100.99")->type, IOC_CIDR);
	assert_int_equal(ip6(s, "2001:db8:1:ffff::2")->type, IOC_CIDR);
	assert_int_equal(ip4(s, "203.0.113.200")->type, IOC_IP);
	assert_string_equal(ip4(s, "203.0.113.1")->value, "203.0.113.0/25");
	assert_non_null(ioc_find_exact(s, IOC_ASN, "as64496", 7));
	assert_string_equal(ioc_find_exact(s, IOC_ASN, "64497", 5)->value, "AS64497");
	assert_non_null(ioc_find_exact(s, IOC_IMAGE, "docker.io/xmrig/xmrig:latest", 28));
	assert_null(ioc_find_exact(s, IOC_IMAGE, "docker.io/xmrig/xmrig:LATEST", 28));
	assert_non_null(ioc_find_exact(s, IOC_NAMESPACE, "kube-miner", 10));
	assert_non_null(ioc_find_wallet(s, "someAccount-1", 13));
	assert_null(dom(s, "localhost"));
	ioc_set_free(s);
}

static void test_normalisation(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "n.txt",
	     "*.Wild.Example.COM\n"
	     ".dot.example.net.\n"
	     "domain:tld-only\n"
	     "HTTP://Evil.Example:8080/Path?Q=1\n"
	     "url:Zeek.Example/a/B\n"
	     "10.1.2.3/8\n"
	     "2001:DB8:0:0:0:0:0:0/32\n"
	     "::ffff:192.0.2.1\n"
	     "::ffff:198.51.100.0/120\n"
	     "ja3:ABCDEF0123456789ABCDEF0123456789\n"
	     ETH_WALLET "\n"
	     "domain:under_score.example\n",
	     &st);
	check_sums(&st);
	if (st.bad)
		dump_msgs(&m);
	assert_int_equal(st.bad, 0);
	assert_string_equal(dom(s, "wild.example.com")->value, "wild.example.com");
	assert_non_null(dom(s, "a.WILD.example.com."));
	assert_string_equal(dom(s, "dot.example.net")->value, "dot.example.net");
	assert_string_equal(dom(s, "anything.tld-only")->value, "tld-only");
	assert_string_equal(dom(s, "under_score.example")->value, "under_score.example");
	assert_non_null(ioc_find_exact(s, IOC_URL, "evil.example:8080/Path?Q=1", 26));
	const struct ioc *u = ioc_find_exact(s, IOC_URL, "http://EVIL.example:8080/Path?Q=1", 33);
	assert_non_null(u);
	assert_string_equal(u->value, "evil.example:8080/Path?Q=1");
	assert_null(ioc_find_exact(s, IOC_URL, "evil.example:8080/path?q=1", 26));
	assert_non_null(ioc_find_exact(s, IOC_URL, "https://zeek.example/a/B", 24));
	/* no domain is derived from a URL */
	assert_null(dom(s, "evil.example"));
	/* CIDR host bits cleared; text canonical */
	const struct ioc *c = ip4(s, "10.200.0.1");
	assert_non_null(c);
	assert_string_equal(c->value, "10.0.0.0/8");
	assert_int_equal(c->prefix, 8);
	assert_int_equal(c->family, 4);
	assert_memory_equal(c->addr, "\x0a\0\0\0", 4);
	assert_string_equal(ip6(s, "2001:db8:ffff::1")->value, "2001:db8::/32");
	/* IPv4-mapped entries are IPv4; a mapped query finds them too */
	assert_string_equal(ip4(s, "192.0.2.1")->value, "192.0.2.1");
	assert_int_equal(ip4(s, "192.0.2.1")->family, 4);
	assert_string_equal(ip4(s, "198.51.100.77")->value, "198.51.100.0/24");
	assert_non_null(ip6(s, "::ffff:192.0.2.1"));
	/* JA3 lower-case, looked up in any case */
	const struct ioc *j = ioc_find_ja3(s, "abcdef0123456789ABCDEF0123456789", 32);
	assert_non_null(j);
	assert_string_equal(j->value, "abcdef0123456789abcdef0123456789");
	/* Ethereum wallets lower-case */
	const struct ioc *w = ioc_find_wallet(s, "0x52908400098527886e0f7030069857d2e4169ee7", 42);
	assert_non_null(w);
	assert_string_equal(w->value, "0x52908400098527886e0f7030069857d2e4169ee7");
	assert_non_null(ioc_find_wallet(s, ETH_WALLET, strlen(ETH_WALLET)));
	ioc_set_free(s);
}

static void test_directives(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "dir.txt",
	     "#@ category=Mining-Pool severity=high source=\"public pool docs\" desc=pools\n"
	     "a.example\n"
	     "b.example\t\tc2\n"
	     "#@ severity= source=-\n"
	     "c.example\n"
	     "#@ type=agent category=miner-agent\n"
	     "lolMiner\n"
	     "domain:d.example\n"
	     "#@ type=-\n"
	     "#@ nonsense=1 category=c2\n"
	     "#@ category=\"bad cat\"\n"
	     "#@ severity=9\n"
	     "#@ type=nosuch\n"
	     "#@ source=\"unterminated\n"
	     "#@ just words\n"
	     "#@\n"
	     "e.example\n",
	     &st);
	check_sums(&st);
	assert_int_equal(st.bad, 7);
	assert_int_equal(st.comments, 4);
	assert_true(has_msg(&m, "dir.txt:10: directive: unknown key", "'nonsense'"));
	assert_true(has_msg(&m, "dir.txt:11: directive: bad category", NULL));
	assert_true(has_msg(&m, "dir.txt:12: directive: bad severity", NULL));
	assert_true(has_msg(&m, "dir.txt:13: directive: unknown type", NULL));
	assert_true(has_msg(&m, "dir.txt:14: directive: no closing", NULL));
	assert_true(has_msg(&m, "dir.txt:15: directive: expected key=value", NULL));
	assert_true(has_msg(&m, "dir.txt:16: directive without key=value", NULL));

	const struct ioc *i = dom(s, "a.example");
	assert_string_equal(i->category, "mining-pool");
	assert_int_equal(i->severity, IOC_SEV_HIGH);
	assert_string_equal(i->source, "public pool docs");
	assert_string_equal(i->description, "pools");
	/* the line's field wins over the directive */
	assert_string_equal(dom(s, "b.example")->category, "c2");
	/* reset keys fall back to the defaults; the others stay */
	i = dom(s, "c.example");
	assert_int_equal(i->severity, IOC_SEV_MEDIUM);
	assert_string_equal(i->source, "");
	assert_string_equal(i->category, "mining-pool");
	assert_string_equal(i->description, "pools");
	/* type=agent: no detection; a type: prefix still wins */
	assert_non_null(ioc_find_agent(s, "lolMiner 1.76", 13));
	assert_non_null(dom(s, "d.example"));
	/* a bad directive changes nothing (category stays miner-agent) */
	assert_string_equal(dom(s, "e.example")->category, "miner-agent");
	ioc_set_free(s);
}

static void test_feed_name_category(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "/tmp/x/c2-feodo.txt", "192.0.2.10\nc2.example\n", &st);
	load(s, "mining-pool.extra.list", "pool2.example\n", &st);
	load(s, "c2fake.txt", "192.0.2.11\n", &st);
	assert_string_equal(ip4(s, "192.0.2.10")->category, "c2");
	assert_string_equal(ip4(s, "192.0.2.10")->feed, "c2-feodo");
	assert_string_equal(dom(s, "c2.example")->category, "c2");
	assert_string_equal(dom(s, "pool2.example")->category, "mining-pool");
	assert_string_equal(dom(s, "pool2.example")->feed, "mining-pool.extra");
	assert_string_equal(ip4(s, "192.0.2.11")->category, "unknown");
	assert_string_equal(ip4(s, "192.0.2.11")->feed, "c2fake");
	ioc_set_free(s);
}

/* ---- Zeek format ---- */

static void test_zeek(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "misp.intel",
	     "#separator \\x09\n"                                                    /* 1 */
	     "#set_separator\t,\n"                                                   /* 2 */
	     "#path\tintel\n"                                                        /* 3 */
	     "#fields\tmeta.desc\tindicator_type\tmeta.url\tindicator\tmeta.source\tmeta.cif_confidence\n" /* 4 */
	     "Feodo C2\tIntel::ADDR\t-\t192.0.2.66\tabuse.ch\t95\n"                   /* 5 */
	     "-\tIntel::DOMAIN\thttp://x\tPool.Zeek.Example\tMISP\t-\n"               /* 6 */
	     "(empty)\tIntel::SUBNET\t-\t198.51.100.0/24\t-\t5\n"                    /* 7 */
	     "sw\tIntel::SOFTWARE\t-\tNBMiner\t-\t6\n"                                /* 8 */
	     "j\tIntel::JA3\t-\t0123456789abcdef0123456789abcdef\t-\t-\n"             /* 9 */
	     "u\tIntel::URL\t-\tbad.example/dl.sh\t-\t-\n"                           /* 10 */
	     "e\tIntel::EMAIL\t-\ta@b.example\t-\t-\n"                               /* 11 */
	     "e\tIntel::EMAIL\t-\tc@d.example\t-\t-\n"                               /* 12 */
	     "h\tIntel::FILE_HASH\t-\tabc\t-\t-\n"                                   /* 13 */
	     "h\tIntel::CERT_HASH\t-\tabc\t-\t-\n"                                   /* 14 */
	     "x\tIntel::FUTURE\t-\tabc\t-\t-\n"                                      /* 15 */
	     "x\tIntel::FUTURE\t-\tdef\t-\t-\n"                                      /* 16 */
	     "bad\tIntel::ADDR\t-\tnot-an-ip\t-\t-\n"                                /* 17 */
	     "bad\tIntel::ADDR\t-\t-\t-\t-\n"                                        /* 18 */
	     "short\n"                                                               /* 19 */
	     "#close\t2024-01-01-00-00-00\n",                                        /* 20 */
	     &st);
	check_sums(&st);
	if (st.bad != 3)
		dump_msgs(&m);
	assert_int_equal(st.lines, 20);
	assert_int_equal(st.comments, 5);
	assert_int_equal(st.good, 6);
	assert_int_equal(st.unsupported, 6);
	assert_int_equal(st.bad, 3);
	/* once per type per file */
	assert_true(has_msg(&m, "misp.intel:11: 'Intel::EMAIL' indicators are not used", NULL));
	assert_false(has_msg(&m, "misp.intel:12:", NULL));
	assert_true(has_msg(&m, "misp.intel:13: 'Intel::FILE_HASH'", NULL));
	assert_true(has_msg(&m, "misp.intel:14: 'Intel::CERT_HASH'", NULL));
	assert_true(has_msg(&m, "misp.intel:15: 'Intel::FUTURE'", NULL));
	assert_false(has_msg(&m, "misp.intel:16:", NULL));
	assert_true(has_msg(&m, "misp.intel:17: Intel::ADDR: not an IP address or CIDR", "'not-an-ip'"));
	assert_true(has_msg(&m, "misp.intel:18: missing indicator", NULL));
	assert_true(has_msg(&m, "misp.intel:19: missing indicator", NULL));

	const struct ioc *i = ip4(s, "192.0.2.66");
	assert_non_null(i);
	assert_string_equal(i->description, "Feodo C2");
	assert_string_equal(i->source, "abuse.ch");
	assert_int_equal(i->severity, IOC_SEV_HIGH);
	assert_string_equal(i->feed, "misp");
	i = dom(s, "www.pool.zeek.example");
	assert_non_null(i);
	assert_string_equal(i->source, "MISP");
	assert_string_equal(i->description, "");
	assert_int_equal(i->severity, IOC_SEV_MEDIUM);
	i = ip4(s, "198.51.100.3");
	assert_int_equal(i->severity, IOC_SEV_MEDIUM); /* 5 of 10 -> 50 */
	assert_string_equal(i->description, "");
	assert_int_equal(ioc_find_agent(s, "nbminer/42.3", 12)->severity, IOC_SEV_MEDIUM);
	assert_non_null(ioc_find_ja3(s, "0123456789abcdef0123456789abcdef", 32));
	assert_non_null(ioc_find_exact(s, IOC_URL, "http://bad.example/dl.sh", 24));

	/* a second file: another separator, davy's columns, data before #fields */
	load(s, "z2.txt",
	     "#separator |\n"
	     "1.2.3.4|Intel::ADDR\n"
	     "#fields|indicator|indicator_type|meta.category|meta.severity\n"
	     "192.0.2.99|Intel::ADDR|c2|high\n"
	     "192.0.2.98|Intel::ADDR|Bad Cat|\n"
	     "192.0.2.97|Intel::ADDR||nope\n"
	     "#@ category=mining-pool\n"
	     "zz.example|Intel::DOMAIN\n"
	     "#fields|meta.source\n"
	     "192.0.2.96|Intel::ADDR\n",
	     &st);
	check_sums(&st);
	assert_int_equal(st.good, 2);
	assert_int_equal(st.bad, 5);
	assert_true(has_msg(&m, "z2.txt:2: data line before any #fields", NULL));
	assert_true(has_msg(&m, "z2.txt:5: bad meta.category", NULL));
	assert_true(has_msg(&m, "z2.txt:6: bad meta.severity", NULL));
	assert_true(has_msg(&m, "z2.txt:9: #fields names no 'indicator'", NULL));
	assert_true(has_msg(&m, "z2.txt:10: the #fields header names no", NULL));
	assert_string_equal(ip4(s, "192.0.2.99")->category, "c2");
	assert_int_equal(ip4(s, "192.0.2.99")->severity, IOC_SEV_HIGH);
	assert_string_equal(dom(s, "zz.example")->category, "mining-pool");

	/* "#fields" with blanks between names; a directive before it */
	load(s, "z3.txt",
	     "#@ category=c2\n"
	     "#fields indicator indicator_type\n"
	     "192.0.2.95\tIntel::ADDR\n",
	     &st);
	check_sums(&st);
	assert_int_equal(st.good, 1);
	assert_string_equal(ip4(s, "192.0.2.95")->category, "c2");
	/* a plain file whose first line is a comment stays plain */
	load(s, "z4.txt", "# plain\n#fields indicator indicator_type\n192.0.2.94\n", &st);
	assert_int_equal(st.good, 1);
	assert_int_equal(st.comments, 2);
	ioc_set_free(s);
}

/* ---- matching ---- */

static void test_longest_prefix_v4(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "nets.txt",
	     "10.0.0.0/8\t\t\tslash8\n"
	     "10.1.0.0/16\t\t\tslash16\n"
	     "10.1.2.0/24\t\t\tslash24\n"
	     "10.1.2.3\t\t\thost\n"
	     "172.16.0.0/12\t\t\tslash12\n"
	     "192.0.2.128/25\t\t\tslash25\n"
	     "10.7.2.0/23\t\t\tslash23\n",
	     &st);
	assert_int_equal(st.stored, 7);
	assert_string_equal(ip4(s, "10.7.3.255")->description, "slash23");
	assert_string_equal(ip4(s, "10.7.4.0")->description, "slash8");
	assert_string_equal(ip4(s, "10.6.2.1")->description, "slash8");
	assert_string_equal(ip4(s, "10.1.2.3")->description, "host");
	assert_string_equal(ip4(s, "10.1.2.4")->description, "slash24");
	assert_string_equal(ip4(s, "10.1.3.4")->description, "slash16");
	assert_string_equal(ip4(s, "10.2.3.4")->description, "slash8");
	assert_null(ip4(s, "11.1.2.3"));
	assert_string_equal(ip4(s, "172.31.255.255")->description, "slash12");
	assert_null(ip4(s, "172.32.0.0"));
	assert_string_equal(ip4(s, "192.0.2.200")->description, "slash25");
	assert_null(ip4(s, "192.0.2.127"));
	/* exact lookups see only that network */
	assert_string_equal(ioc_find_exact(s, IOC_CIDR, "10.1.0.0/16", 11)->description, "slash16");
	assert_null(ioc_find_exact(s, IOC_CIDR, "10.1.0.0/17", 11));
	assert_null(ioc_find_exact(s, IOC_IP, "10.1.2.4", 8));
	/* a v6 query never sees v4 entries but through ::ffff: */
	assert_null(ip6(s, "::a01:203"));
	assert_string_equal(ip6(s, "::ffff:10.1.2.3")->description, "host");
	assert_null(ioc_find_ip(s, 5, (const uint8_t *)"\x0a\x01\x02\x03"));
	ioc_set_free(s);
}

static void test_longest_prefix_v6(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "nets6.txt",
	     "2001:db8::/32\t\t\tslash32\n"
	     "2001:db8:aa00::/40\t\t\tslash40\n"
	     "2001:db8:aabb::/48\t\t\tslash48\n"
	     "2001:db8:aabb:cc00::/57\t\t\tslash57\n"
	     "2001:db8:aabb:cc00::1\t\t\thost\n"
	     "2001:db8:aabb:cc00::/127\t\t\tslash127\n",
	     &st);
	assert_int_equal(st.stored, 6);
	assert_string_equal(ip6(s, "2001:db8:aabb:cc00::1")->description, "host");
	assert_string_equal(ip6(s, "2001:db8:aabb:cc00::")->description, "slash127");
	assert_string_equal(ip6(s, "2001:db8:aabb:cc00::2")->description, "slash57");
	assert_string_equal(ip6(s, "2001:db8:aabb:cc7f::2")->description, "slash57");
	assert_string_equal(ip6(s, "2001:db8:aabb:cc80::2")->description, "slash48");
	assert_string_equal(ip6(s, "2001:db8:aa01::")->description, "slash40");
	assert_string_equal(ip6(s, "2001:db8:ab00::")->description, "slash32");
	assert_null(ip6(s, "2001:db9::"));
	assert_null(ip4(s, "32.1.13.184"));
	ioc_set_free(s);
}

static void test_domains_and_lookalikes(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "pools.txt",
	     "supportxmr.com\t\t\tapex\n"
	     "eu.pool.supportxmr.com\t\t\tdeep\n"
	     "xmrpool.eu\n",
	     &st);
	assert_string_equal(dom(s, "supportxmr.com")->description, "apex");
	assert_string_equal(dom(s, "pool.supportxmr.com")->description, "apex");
	assert_string_equal(dom(s, "POOL.SupportXMR.com.")->description, "apex");
	assert_string_equal(dom(s, "x.eu.pool.supportxmr.com")->description, "deep");
	assert_string_equal(dom(s, "eu.pool.supportxmr.com")->description, "deep");
	assert_null(dom(s, "notsupportxmr.com"));
	assert_null(dom(s, "supportxmr.com.evil.net"));
	assert_null(dom(s, "supportxmr.co"));
	assert_null(dom(s, "upportxmr.com"));
	assert_null(dom(s, "com"));
	assert_null(dom(s, ""));
	assert_null(dom(s, "."));
	assert_null(dom(s, "supportxmr-com"));
	assert_non_null(dom(s, "a..supportxmr.com"));
	assert_non_null(dom(s, "xmrpool.eu"));
	assert_null(ioc_find_domain(s, NULL, 0));
	/* an over-long query still finds its short suffix */
	char big[1200];
	memset(big, 'a', sizeof(big));
	for (size_t i = 1; i < 1100; i += 2)
		big[i] = '.';
	memcpy(big + 1100, ".xmrpool.eu", 11);
	assert_non_null(ioc_find_domain(s, big, 1111));
	/* exact domain lookups see only that name */
	assert_null(ioc_find_exact(s, IOC_DOMAIN, "pool.supportxmr.com", 19));
	assert_non_null(ioc_find_exact(s, IOC_DOMAIN, "SUPPORTXMR.com", 14));
	ioc_set_free(s);
}

static void test_ports_ja3_wallets(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "mix.txt",
	     "port:1\nport:65535\n3333\n"
	     "e7d705a3286e19ea42f587b344ee6865\n"
	     XMR_WALLET "\n"
	     "wallet:acct+x\n",
	     &st);
	assert_int_equal(st.stored, 6);
	assert_non_null(ioc_find_port(s, 1));
	assert_non_null(ioc_find_port(s, 65535));
	assert_non_null(ioc_find_port(s, 3333));
	assert_null(ioc_find_port(s, 0));
	assert_null(ioc_find_port(s, 3334));
	assert_int_equal(ioc_find_port(s, 3333)->port, 3333);
	assert_non_null(ioc_find_ja3(s, "E7D705A3286E19EA42F587B344EE6865", 32));
	assert_null(ioc_find_ja3(s, "e7d705a3286e19ea42f587b344ee686", 31));
	/* wallet: exact, then the wallet part of a login */
	assert_non_null(ioc_find_wallet(s, XMR_WALLET, strlen(XMR_WALLET)));
	assert_non_null(ioc_find_wallet(s, XMR_WALLET ".rig1", strlen(XMR_WALLET) + 5));
	assert_non_null(ioc_find_wallet(s, XMR_WALLET "+5000", strlen(XMR_WALLET) + 5));
	assert_non_null(ioc_find_wallet(s, XMR_WALLET "/w/e@x", strlen(XMR_WALLET) + 6));
	assert_null(ioc_find_wallet(s, XMR_WALLET, strlen(XMR_WALLET) - 1));
	assert_null(ioc_find_wallet(s, "x" XMR_WALLET, strlen(XMR_WALLET) + 1));
	/* a listed wallet with a separator in it matches exactly */
	assert_non_null(ioc_find_wallet(s, "acct+x", 6));
	assert_null(ioc_find_wallet(s, "acct", 4));
	/* the empty set */
	struct ioc_set *e = new_set(&m, 0);
	assert_null(ioc_find_port(e, 3333));
	assert_null(ioc_find_wallet(e, "a", 1));
	assert_null(ioc_find_agent(e, "xmrig", 5));
	assert_null(ip4(e, "1.2.3.4"));
	assert_null(dom(e, "a.b"));
	assert_null(ioc_find_ja3(e, "e7d705a3286e19ea42f587b344ee6865", 32));
	ioc_set_free(e);
	ioc_set_free(s);
}

static const struct ioc *agent(const struct ioc_set *s, const char *q)
{
	return ioc_find_agent(s, q, strlen(q));
}

static void test_agents(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "agents.txt",
	     "#@ type=agent\n"
	     "XMRig\nT-Rex\nxmr-stak\nSRBMiner\nlolMiner\nXMRigCC\nagent:cpuminer\nNBMiner\nxmrig\n",
	     &st);
	assert_int_equal(st.stored, 8);
	assert_int_equal(st.duplicates, 1); /* xmrig = XMRig, ignoring case */
	assert_string_equal(agent(s, "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0")->value, "XMRig");
	assert_string_equal(agent(s, "xmrig/6.21.0")->value, "XMRig");
	assert_string_equal(agent(s, "XMRIG")->value, "XMRig");
	assert_string_equal(agent(s, "xmrig-proxy/6.21")->value, "XMRig");
	assert_string_equal(agent(s, "XMRigCC/3.3.3 (Linux)")->value, "XMRigCC");
	assert_string_equal(agent(s, "t-rex/0.26.8")->value, "T-Rex");
	assert_string_equal(agent(s, "T-Rex")->value, "T-Rex");
	assert_string_equal(agent(s, "SRBMiner-MULTI/2.4.6")->value, "SRBMiner");
	assert_string_equal(agent(s, "cpuminer-opt/3.8.8.1")->value, "cpuminer");
	assert_string_equal(agent(s, "lolMiner 1.76")->value, "lolMiner");
	assert_string_equal(agent(s, "xmr-stak/2.10.8/..")->value, "xmr-stak");
	/* whole words only */
	assert_null(agent(s, "ST-Rexx"));
	assert_null(agent(s, "my-t-rexer/1"));
	assert_null(agent(s, "Mozilla/5.0 (X11; Linux x86_64) Firefox/115.0"));
	assert_null(agent(s, "axmrig"));
	assert_null(agent(s, "xmrig2"));
	assert_null(agent(s, "NBMiner2"));
	assert_null(agent(s, "XMRi"));
	assert_null(agent(s, ""));
	assert_non_null(ioc_find_exact(s, IOC_AGENT, "t-rex", 5));
	ioc_set_free(s);
}

static void test_duplicates(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "first.txt", "pool.example\t\t\tfirst\n10.0.0.0/8\t\t\tfirst\n3333\t\t\tfirst\n", &st);
	load(s, "second.txt",
	     "POOL.example.\t\t\tsecond\n10.9.9.9/8\t\t\tsecond\nport:3333\t\t\tsecond\n"
	     "10.0.0.1\n10.0.0.1/32\n::ffff:10.0.0.1\n",
	     &st);
	check_sums(&st);
	assert_int_equal(st.good, 6);
	assert_int_equal(st.duplicates, 5);
	assert_int_equal(st.stored, 1);
	assert_string_equal(dom(s, "pool.example")->description, "first");
	assert_string_equal(ip4(s, "10.2.2.2")->description, "first");
	assert_string_equal(ioc_find_port(s, 3333)->description, "first");
	assert_int_equal(ioc_set_count(s), 4);
	ioc_set_free(s);
}

/* ---- files, folders, bounds ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_folder(void **state)
{
	(void)state;
	char dir[] = "/tmp/davy-test-ioc.XXXXXX";
	assert_non_null(mkdtemp(dir));
	write_file(dir, "b.txt", "dup.example\t\t\tfrom b\nb.example\n");
	write_file(dir, "a.txt", "dup.example\t\t\tfrom a\na.example\nfoo bar\n");
	write_file(dir, "README.md", "this is not a feed\n");
	write_file(dir, "readme-too", "not a feed\n");
	write_file(dir, ".hidden", "hidden.example\n");
	write_file(dir, "C.intel", "#fields\tindicator\tindicator_type\nc.example\tIntel::DOMAIN\n");
	char sub[600];
	snprintf(sub, sizeof(sub), "%s/sub", dir);
	assert_int_equal(mkdir(sub, 0700), 0);
	write_file(sub, "s.txt", "sub.example\n");

	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	memset(&st, 0, sizeof(st));
	char withslash[600];
	snprintf(withslash, sizeof(withslash), "%s/", dir);
	assert_int_equal(ioc_load_path(s, withslash, &st), 0);
	check_sums(&st);
	assert_int_equal(st.files, 3);
	assert_int_equal(st.stored, 4);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.bad, 1);
	/* name order: C.intel, a.txt, b.txt (bytes: upper case first) */
	assert_string_equal(dom(s, "dup.example")->description, "from a");
	assert_string_equal(dom(s, "dup.example")->feed, "a");
	assert_string_equal(ioc_set_at(s, 0)->value, "c.example");
	assert_string_equal(ioc_set_at(s, 0)->feed, "C");
	assert_null(ioc_set_at(s, 4));
	assert_null(dom(s, "hidden.example"));
	assert_null(dom(s, "sub.example"));
	char want[700];
	snprintf(want, sizeof(want), "%s/a.txt:3: not an IP", dir);
	assert_true(has_msg(&m, want, "'foo bar'"));

	/* several paths into one set; a file path; a missing path */
	char bpath[700];
	snprintf(bpath, sizeof(bpath), "%s/s.txt", sub);
	memset(&st, 0, sizeof(st));
	assert_int_equal(ioc_load_path(s, bpath, &st), 0);
	assert_non_null(dom(s, "sub.example"));
	assert_string_equal(dom(s, "sub.example")->feed, "s");
	memset(&st, 0, sizeof(st));
	assert_int_equal(ioc_load_path(s, "/nonexistent/davy/feed.txt", &st), -1);
	assert_int_equal(st.errors, 1);
	assert_true(has_msg(&m, "/nonexistent/davy/feed.txt: cannot open", NULL));
	assert_int_equal(ioc_set_stats(s)->errors, 1);
	assert_int_equal(ioc_set_count(s), 5);

	/* an unreadable file in a folder: an error, the others still load */
	if (geteuid() != 0) {
		write_file(dir, "z.txt", "z.example\n");
		char zp[700];
		snprintf(zp, sizeof(zp), "%s/z.txt", dir);
		chmod(zp, 0);
		struct ioc_set *s2 = new_set(&m, 0);
		memset(&st, 0, sizeof(st));
		assert_int_equal(ioc_load_path(s2, dir, &st), -1);
		assert_int_equal(st.errors, 1);
		assert_int_equal(st.stored, 4);
		assert_true(has_msg(&m, "z.txt: cannot open", NULL));
		ioc_set_free(s2);
		unlink(zp);
	}
	ioc_set_free(s);
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static void test_count_bound_and_message_cap(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 3);
	struct ioc_stats st;
	load(s, "big.txt", "a.example\nb.example\na.example\nc.example\nd.example\ne.example\n", &st);
	check_sums(&st);
	assert_int_equal(st.stored, 3);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.over_limit, 2);
	assert_int_equal(ioc_set_count(s), 3);
	assert_true(has_msg(&m, "big.txt:5: the set is full (3 indicators)", NULL));
	assert_int_equal(m.total, 1);
	assert_null(dom(s, "d.example"));
	ioc_set_free(s);

	/* 30 bad lines: 20 messages, then the summary */
	s = new_set(&m, 0);
	char text[30 * 8 + 1];
	text[0] = '\0';
	for (int i = 0; i < 30; i++)
		strcat(text, "bad!!!\n");
	load(s, "bad.txt", text, &st);
	assert_int_equal(st.bad, 30);
	assert_int_equal(m.total, IOC_MAX_MESSAGES + 1);
	assert_int_equal(st.suppressed, 30 - IOC_MAX_MESSAGES);
	assert_true(has_msg(&m, "bad.txt: 10 more messages not shown", NULL));
	ioc_set_free(s);

	/* a FILE* sink */
	char *buf = NULL;
	size_t blen = 0;
	FILE *f = open_memstream(&buf, &blen);
	assert_non_null(f);
	struct ioc_opts o = { .max_messages = 2, .msg_file = f };
	s = ioc_set_new(&o);
	memset(&st, 0, sizeof(st));
	assert_int_equal(ioc_load_buffer(s, "f.txt", "x\ny\nz\n", 6, &st), 0);
	fclose(f);
	assert_non_null(strstr(buf, "f.txt:1: not an IP"));
	assert_non_null(strstr(buf, "f.txt:2: not an IP"));
	assert_null(strstr(buf, "f.txt:3:"));
	assert_non_null(strstr(buf, "f.txt: 1 more messages not shown\n"));
	free(buf);
	ioc_set_free(s);
	/* no sink: silent */
	s = ioc_set_new(NULL);
	assert_int_equal(ioc_load_buffer(s, "q.txt", "x\n", 2, NULL), 0);
	assert_int_equal(ioc_set_stats(s)->bad, 1);
	ioc_set_free(s);
}

/* chunks of `chunk` bytes */
struct reader {
	const char *p;
	size_t left, chunk;
};

static long rd(void *arg, uint8_t *buf, size_t cap)
{
	struct reader *r = arg;
	size_t n = r->left < r->chunk ? r->left : r->chunk;
	if (n > cap)
		n = cap;
	memcpy(buf, r->p, n);
	r->p += n;
	r->left -= n;
	return (long)n;
}

static void test_long_lines_and_chunks(void **state)
{
	(void)state;
	/* lines of 4096 (fits), 4097 and 9000 bytes (too long), CRLF, a BOM,
	 * control bytes, a last line without '\n' */
	size_t cap = 20000;
	char *t = malloc(cap);
	size_t n = 0;
	memcpy(t + n, "\xef\xbb\xbfone.example\r\n", 16);
	n += 16;
	memset(t + n, 'a', 4096 - 4);
	memcpy(t + n + 4092, ".com", 4); /* a bad domain (label > 63) of 4096 */
	n += 4096;
	t[n++] = '\n';
	memset(t + n, 'b', 4097);
	n += 4097;
	t[n++] = '\n';
	memset(t + n, 'c', 9000);
	n += 9000;
	t[n++] = '\n';
	memcpy(t + n, "two.example\r\nbad\x01.example\nnul\0.example\n\nthree.example", 53);
	n += 53;

	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats whole;
	memset(&whole, 0, sizeof(whole));
	assert_int_equal(ioc_load_buffer(s, "long.txt", t, n, &whole), 0);
	check_sums(&whole);
	if (whole.bad != 5)
		dump_msgs(&m);
	assert_int_equal(whole.lines, 9);
	assert_int_equal(whole.bad, 5);
	assert_int_equal(whole.long_lines, 2);
	assert_int_equal(whole.stored, 3);
	assert_true(has_msg(&m, "long.txt:2: not an IP", NULL));
	assert_true(has_msg(&m, "long.txt:3: line longer than 4096 bytes", NULL));
	assert_true(has_msg(&m, "long.txt:4: line longer than 4096 bytes", NULL));
	assert_true(has_msg(&m, "long.txt:6: control byte 0x01", NULL));
	assert_true(has_msg(&m, "long.txt:7: control byte 0x00", NULL));
	assert_non_null(dom(s, "one.example"));
	assert_non_null(dom(s, "three.example"));
	assert_int_equal(dom(s, "three.example")->line, 9);
	ioc_set_free(s);

	/* the same bytes in chunks of any size read the same */
	static const size_t chunks[] = { 1, 2, 3, 7, 100, 4095, 4096, 4097, 5000, 100000 };
	for (size_t k = 0; k < sizeof(chunks) / sizeof(chunks[0]); k++) {
		struct ioc_set *c = new_set(&m, 0);
		struct reader r = { t, n, chunks[k] };
		struct ioc_stats st;
		memset(&st, 0, sizeof(st));
		assert_int_equal(ioc_load_stream(c, "long.txt", rd, &r, &st), 0);
		assert_memory_equal(&st, &whole, sizeof(st));
		assert_int_equal(dom(c, "three.example")->line, 9);
		ioc_set_free(c);
	}
	free(t);

	/* empty input; only a newline */
	s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "empty.txt", "", &st);
	assert_int_equal(st.lines, 0);
	assert_int_equal(st.files, 1);
	load(s, "nl.txt", "\n", &st);
	assert_int_equal(st.lines, 1);
	assert_int_equal(st.comments, 1);
	ioc_set_free(s);
}

static void test_feed_split_state(void **state)
{
	(void)state;
	struct feed_state fs;
	feed_init(&fs);
	struct cursor line;
	struct cursor c = cur_make((const uint8_t *)"ab\ncd", 5);
	assert_int_equal(feed_split(&fs, &c, false, &line), FEED_SPLIT_LINE);
	assert_int_equal(cur_left(&line), 2);
	assert_int_equal(feed_split(&fs, &c, false, &line), FEED_SPLIT_MORE);
	assert_int_equal(cur_left(&c), 2);
	assert_int_equal(feed_split(&fs, &c, true, &line), FEED_SPLIT_LINE);
	assert_int_equal(fs.line, 2);
	assert_int_equal(feed_type_by_name("SUBNET", 6), IOC_CIDR);
	assert_int_equal(feed_type_by_name("nope", 4), IOC_NONE);
	assert_string_equal(ioc_type_name(IOC_NAMESPACE), "namespace");
	assert_string_equal(ioc_type_name(99), "none");
	assert_string_equal(ioc_severity_name(IOC_SEV_HIGH), "high");
	assert_string_equal(ioc_severity_name(0), "none");
}

/* ---- readers share a set ---- */

struct reader_job {
	const struct ioc_set *set;
	unsigned found;
};

static void *reader_main(void *arg)
{
	struct reader_job *j = arg;
	static const char *const names[] = { "pool.supportxmr.com", "notsupportxmr.com", "a.b.c.example",
					     "xmr-eu1.nanopool.org" };
	uint8_t a[4] = { 10, 1, 2, 3 };
	for (unsigned i = 0; i < 20000; i++) {
		const char *n = names[i % 4];
		j->found += ioc_find_domain(j->set, n, strlen(n)) != NULL;
		a[3] = (uint8_t)i;
		j->found += ioc_find_ip(j->set, 4, a) != NULL;
		j->found += ioc_find_port(j->set, (uint16_t)(3330 + i % 8)) != NULL;
		j->found += ioc_find_agent(j->set, "XMRig/6.21.0 (Linux x86_64)", 27) != NULL;
		j->found += ioc_find_exact(j->set, IOC_CIDR, "10.1.0.0/16", 11) != NULL;
	}
	return NULL;
}

static void test_concurrent_readers(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "r.txt",
	     "supportxmr.com\nnanopool.org\n10.0.0.0/8\n10.1.0.0/16\n10.1.2.0/25\n3333\n3334\nagent:XMRig\n", &st);
	pthread_t t[4];
	struct reader_job j[4];
	for (int i = 0; i < 4; i++) {
		j[i].set = s;
		j[i].found = 0;
		assert_int_equal(pthread_create(&t[i], NULL, reader_main, &j[i]), 0);
	}
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	/* per 8 rounds: 4 domain hits, 8 address hits, 2 ports, 8 agents, 8 exact */
	for (int i = 0; i < 4; i++)
		assert_int_equal(j[i].found, 20000 / 8 * (4 + 8 + 2 + 8 + 8));
	ioc_set_free(s);
}

/* ---- the shipped feeds ---- */

static void test_shipped_feeds(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	memset(&st, 0, sizeof(st));
	/* make check runs from the project root */
	const char *dir = access("iocs", R_OK) == 0 ? "iocs" : "../../iocs";
	int rc = ioc_load_path(s, dir, &st);
	if (rc != 0 || st.bad || st.unsupported || st.duplicates)
		dump_msgs(&m);
	assert_int_equal(rc, 0);
	check_sums(&st);
	assert_true(st.files >= 4);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.bad, 0);
	assert_int_equal(st.unsupported, 0);
	assert_int_equal(st.duplicates, 0);
	assert_int_equal(m.total, 0);
	static const char *const pools[] = {
		"supportxmr.com", "nanopool.org", "minexmr.com", "moneroocean.stream", "hashvault.pro",
		"c3pool.com", "2miners.com", "f2pool.com", "ethermine.org", "nicehash.com",
		"unmineable.com", "herominers.com", "minergate.com", "crypto-pool.fr", "xmrpool.eu",
	};
	for (size_t i = 0; i < sizeof(pools) / sizeof(pools[0]); i++) {
		const struct ioc *p = dom(s, pools[i]);
		if (!p)
			fprintf(stderr, "missing pool %s\n", pools[i]);
		assert_non_null(p);
		assert_string_equal(p->category, "mining-pool");
	}
	assert_string_equal(dom(s, "pool.supportxmr.com")->value, "supportxmr.com");
	assert_string_equal(dom(s, "xmr-eu1.nanopool.org")->value, "nanopool.org");
	assert_string_equal(dom(s, "gulf.moneroocean.stream")->value, "moneroocean.stream");
	assert_null(dom(s, "notsupportxmr.com"));
	assert_null(dom(s, "google.com"));
	assert_null(dom(s, "example.org"));
	static const uint16_t ports[] = { 3333, 4444, 5555, 7777, 14433, 14444, 45700 };
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		const struct ioc *p = ioc_find_port(s, ports[i]);
		assert_non_null(p);
		assert_int_equal(p->severity, IOC_SEV_LOW);
		assert_string_equal(p->category, "miner-port");
	}
	assert_null(ioc_find_port(s, 443));
	assert_null(ioc_find_port(s, 80));
	assert_null(ioc_find_port(s, 53));
	static const char *const agents[] = {
		"XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0", "xmr-stak/2.10.8", "cpuminer/2.5.1",
		"cgminer/4.10.0", "bfgminer/5.5.0", "ethminer/0.19.0", "lolMiner 1.76", "SRBMiner-MULTI/2.4.6",
		"NBMiner/42.3", "TeamRedMiner/0.10.10", "T-Rex/0.26.8", "PhoenixMiner/6.2c", "nanominer/3.8.5",
		"GMiner/3.44",
	};
	for (size_t i = 0; i < sizeof(agents) / sizeof(agents[0]); i++) {
		const struct ioc *a = agent(s, agents[i]);
		if (!a)
			fprintf(stderr, "agent not matched: %s\n", agents[i]);
		assert_non_null(a);
		assert_string_equal(a->category, "miner-agent");
	}
	/* ordinary software does not match */
	static const char *const benign[] = {
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
		"curl/8.4.0", "python-requests/2.31.0", "Go-http-client/1.1", "Wget/1.21.3",
		"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", "okhttp/4.9.0",
		"Dalvik/2.1.0 (Linux; U; Android 13)", "Trex-Scanner/1.0",
	};
	for (size_t i = 0; i < sizeof(benign) / sizeof(benign[0]); i++) {
		const struct ioc *a = agent(s, benign[i]);
		if (a)
			fprintf(stderr, "'%s' matched agent %s\n", benign[i], a->value);
		assert_null(a);
	}
	ioc_set_free(s);
}

/* image indicators: Docker Hub forms stripped on both sides, prefix match,
 * the longest listed prefix wins */
static void test_image_prefix(void **state)
{
	(void)state;
	struct msgs m;
	struct ioc_set *s = new_set(&m, 0);
	struct ioc_stats st;
	load(s, "miner-image", "image:kannix/monero-miner\n"
			       "image:docker.io/library/xmrig\n"
			       "image:registry.example.com/team/miner:v2\n"
			       "image:kannix/monero-miner:v9\n"
			       "image:docker.io/\n", &st);
	assert_int_equal(st.stored, 4);
	assert_int_equal(st.bad, 1); /* nothing left after the registry */
	assert_string_equal(ioc_set_at(s, 1)->value, "xmrig");
	assert_string_equal(ioc_set_at(s, 0)->category, "miner-image");
	static const struct {
		const char *ref, *want;
	} cases[] = {
		{ "kannix/monero-miner", "kannix/monero-miner" },
		{ "kannix/monero-miner:latest", "kannix/monero-miner" },
		{ "docker.io/kannix/monero-miner:latest", "kannix/monero-miner" },
		{ "index.docker.io/kannix/monero-miner@sha256:0123", "kannix/monero-miner" },
		{ "kannix/monero-miner:v9.1", "kannix/monero-miner:v9" }, /* the longest */
		{ "xmrig:6.21", "xmrig" },
		{ "docker.io/library/xmrig", "xmrig" },
		{ "library/xmrig-proxy", "xmrig" },
		{ "registry.example.com/team/miner:v2", "registry.example.com/team/miner:v2" },
		{ "registry.example.com/team/miner:v1", NULL },
		{ "quay.io/kannix/monero-miner", NULL }, /* another registry */
		{ "kannix/monero-mine", NULL },
		{ "tensorflow/tensorflow:2.14.0", NULL },
		{ "", NULL },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ioc *r = ioc_find_image(s, cases[i].ref, strlen(cases[i].ref));
		if (!cases[i].want ? r != NULL : !r || strcmp(r->value, cases[i].want) != 0)
			fail_msg("%s: got %s, want %s", cases[i].ref, r ? r->value : "nothing",
				 cases[i].want ? cases[i].want : "nothing");
	}
	assert_true(ioc_set_has(s, IOC_IMAGE));
	assert_false(ioc_set_has(s, IOC_NAMESPACE));
	assert_null(ioc_find_image(NULL, "xmrig", 5));
	/* namespaces: exact, low severity by default */
	load(s, "ns", "namespace:anonymous\n", &st);
	const struct ioc *ns = ioc_find_exact(s, IOC_NAMESPACE, "anonymous", 9);
	assert_non_null(ns);
	assert_int_equal(ns->severity, IOC_SEV_LOW);
	assert_null(ioc_find_exact(s, IOC_NAMESPACE, "anonymous2", 10));
	ioc_set_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_fields_and_defaults),
		cmocka_unit_test(test_type_detection),
		cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_directives),
		cmocka_unit_test(test_feed_name_category),
		cmocka_unit_test(test_zeek),
		cmocka_unit_test(test_longest_prefix_v4),
		cmocka_unit_test(test_longest_prefix_v6),
		cmocka_unit_test(test_domains_and_lookalikes),
		cmocka_unit_test(test_ports_ja3_wallets),
		cmocka_unit_test(test_agents),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_folder),
		cmocka_unit_test(test_count_bound_and_message_cap),
		cmocka_unit_test(test_long_lines_and_chunks),
		cmocka_unit_test(test_feed_split_state),
		cmocka_unit_test(test_concurrent_readers),
		cmocka_unit_test(test_shipped_feeds),
		cmocka_unit_test(test_image_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
