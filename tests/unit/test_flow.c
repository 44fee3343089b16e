/* test_flow.c - the per-worker flow table: keys, accounting, TCP state,
 * source side, timeouts, flush and eviction. nDPI is not involved: the flow's
 * `cls` stays zeroed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "flow.h"

#define SEC 1000000ULL

/* ---- helpers ----------------------------------------------------------- */

static struct pkt mkpkt(const char *src, const char *dst, uint8_t proto, uint16_t sport,
			uint16_t dport, uint8_t tcp_flags, uint64_t ts_us, uint32_t wirelen)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	int v6 = strchr(src, ':') != NULL;
	p.ipver = v6 ? 6 : 4;
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, src, p.src), 1);
	assert_int_equal(inet_pton(v6 ? AF_INET6 : AF_INET, dst, p.dst), 1);
	p.l4proto = proto;
	p.sport = sport;
	p.dport = dport;
	p.tcp_flags = tcp_flags;
	p.ts_us = ts_us;
	p.wirelen = p.caplen = wirelen;
	p.flags = PKT_HAS_KEY;
	return p;
}

#define MAX_ENDED 64

struct ended {
	struct flow f; /* a copy taken in the callback */
	enum flow_reason why;
};

struct ctx {
	struct ended e[MAX_ENDED];
	int n;
};

static void on_end(void *vctx, struct flow *f, enum flow_reason why)
{
	struct ctx *c = vctx;
	assert_non_null(f);
	if (c->n < MAX_ENDED) { /* keeps the first ones; counts all */
		c->e[c->n].f = *f;
		c->e[c->n].why = why;
	}
	c->n++;
}

struct fixture {
	struct flow_table t;
	struct flow_timeouts to;
	struct ctx c;
};

static struct fixture *fx_new(uint64_t max_flows)
{
	struct fixture *x = calloc(1, sizeof(*x));
	assert_non_null(x);
	flow_timeouts_default(&x->to);
	char err[128];
	assert_int_equal(flow_table_init(&x->t, max_flows, &x->to, on_end, &x->c, err, sizeof(err)),
			 0);
	return x;
}

static void fx_free(struct fixture *x)
{
	flow_flush(&x->t, 0);
	flow_table_free(&x->t);
	free(x);
}

/* Keys, hashes and feeds one packet. */
static struct flow *feed(struct fixture *x, const struct pkt *p, int *side, bool *created)
{
	struct flow_key k;
	int s;
	bool c;
	flow_key_from_pkt(p, &k, &s);
	struct flow *f = flow_packet(&x->t, p, &k, flow_key_hash(&k), s, &c);
	if (side)
		*side = s;
	if (created)
		*created = c;
	return f;
}

static uint8_t tcls(enum flow_pgroup g, enum flow_state s)
{
	return (uint8_t)(g * FLOW__STATES + s);
}

/* ---- keys -------------------------------------------------------------- */

static void expect_symmetric(const struct pkt *a, const struct pkt *b)
{
	struct flow_key ka, kb;
	int sa = -1, sb = -1;
	flow_key_from_pkt(a, &ka, &sa);
	flow_key_from_pkt(b, &kb, &sb);
	assert_memory_equal(&ka, &kb, sizeof(ka));
	assert_int_equal(flow_key_hash(&ka), flow_key_hash(&kb));
	assert_true((sa == 0 && sb == 1) || (sa == 1 && sb == 0));
}

static void test_key_symmetry(void **state)
{
	(void)state;
	struct pkt a = mkpkt("10.0.0.1", "10.0.0.2", 6, 40000, 80, 0, 0, 60);
	struct pkt b = mkpkt("10.0.0.2", "10.0.0.1", 6, 80, 40000, 0, 0, 60);
	expect_symmetric(&a, &b);

	struct flow_key k;
	int side;
	flow_key_from_pkt(&a, &k, &side);
	/* normalised: the lower address is side 0 */
	assert_int_equal(side, 0);
	assert_memory_equal(k.addr[0], a.src, 16);
	assert_memory_equal(k.addr[1], a.dst, 16);
	assert_int_equal(k.port[0], 40000);
	assert_int_equal(k.port[1], 80);
	assert_int_equal(k.proto, 6);
	assert_int_equal(k.ipver, 4);
	assert_int_equal(k.tunnel_id, 0);
	flow_key_from_pkt(&b, &k, &side);
	assert_int_equal(side, 1);

	/* IPv6 UDP */
	a = mkpkt("2001:db8::ff", "2001:db8::1", 17, 53, 5353, 0, 0, 90);
	b = mkpkt("2001:db8::1", "2001:db8::ff", 17, 5353, 53, 0, 0, 90);
	expect_symmetric(&a, &b);
	flow_key_from_pkt(&a, &k, &side);
	assert_int_equal(side, 1);
	assert_int_equal(k.ipver, 6);
	assert_int_equal(k.port[0], 5353);

	/* same address: ordered by port */
	a = mkpkt("127.0.0.1", "127.0.0.1", 17, 9000, 53, 0, 0, 50);
	b = mkpkt("127.0.0.1", "127.0.0.1", 17, 53, 9000, 0, 0, 50);
	expect_symmetric(&a, &b);
	flow_key_from_pkt(&a, &k, &side);
	assert_int_equal(side, 1);
	assert_int_equal(k.port[0], 53);

	/* ICMP: no ports in the key, whatever the decoder left there */
	a = mkpkt("192.0.2.1", "192.0.2.2", 1, 8, 0, 0, 0, 84);
	b = mkpkt("192.0.2.2", "192.0.2.1", 1, 0, 0, 0, 0, 84);
	expect_symmetric(&a, &b);
	flow_key_from_pkt(&a, &k, &side);
	assert_int_equal(k.port[0], 0);
	assert_int_equal(k.port[1], 0);

	/* different tuples give different keys */
	struct flow_key k1, k2;
	a = mkpkt("10.0.0.1", "10.0.0.2", 6, 40000, 80, 0, 0, 60);
	b = mkpkt("10.0.0.1", "10.0.0.2", 6, 40001, 80, 0, 0, 60);
	flow_key_from_pkt(&a, &k1, &side);
	flow_key_from_pkt(&b, &k2, &side);
	assert_memory_not_equal(&k1, &k2, sizeof(k1));
	b = mkpkt("10.0.0.1", "10.0.0.2", 17, 40000, 80, 0, 0, 60);
	flow_key_from_pkt(&b, &k2, &side);
	assert_memory_not_equal(&k1, &k2, sizeof(k1));
}

static void test_key_vlan(void **state)
{
	(void)state;
	struct pkt a = mkpkt("10.0.0.1", "10.0.0.2", 17, 1000, 2000, 0, SEC, 100);
	struct pkt b = a;
	a.nvlan = 1;
	a.vlan[0] = 10;
	b.nvlan = 1;
	b.vlan[0] = 20;
	struct flow_key ka, kb;
	int s;
	flow_key_from_pkt(&a, &ka, &s);
	flow_key_from_pkt(&b, &kb, &s);
	assert_int_equal(ka.vlan[0], 10);
	assert_int_equal(kb.vlan[0], 20);
	assert_memory_not_equal(&ka, &kb, sizeof(ka));

	/* QinQ: both tags matter, and the reverse direction with the same
	 * tags is the same flow */
	struct pkt q = a, r = mkpkt("10.0.0.2", "10.0.0.1", 17, 2000, 1000, 0, SEC, 100);
	q.nvlan = 2;
	q.vlan[0] = 100;
	q.vlan[1] = 10;
	r.nvlan = 2;
	r.vlan[0] = 100;
	r.vlan[1] = 10;
	expect_symmetric(&q, &r);

	struct fixture *x = fx_new(100);
	bool created;
	struct flow *fa = feed(x, &a, NULL, &created);
	assert_true(created);
	struct flow *fb = feed(x, &b, NULL, &created);
	assert_true(created);
	assert_ptr_not_equal(fa, fb);
	struct flow *fq = feed(x, &q, NULL, &created);
	assert_true(created);
	assert_int_equal(fq->nvlan, 2);
	assert_ptr_equal(feed(x, &r, NULL, &created), fq);
	assert_false(created);
	/* untagged is yet another flow */
	struct pkt u = a;
	u.nvlan = 0;
	feed(x, &u, NULL, &created);
	assert_true(created);
	assert_int_equal(x->t.st.created, 4);
	assert_int_equal(x->t.st.active, 4);
	fx_free(x);
}

/* ---- accounting and state --------------------------------------------- */

static void test_accounting(void **state)
{
	(void)state;
	struct fixture *x = fx_new(100);
	struct pkt fwd = mkpkt("10.1.1.1", "10.2.2.2", 17, 5000, 53, 0, 10 * SEC, 70);
	struct pkt rev = mkpkt("10.2.2.2", "10.1.1.1", 17, 53, 5000, 0, 11 * SEC, 300);
	int sf, sr;
	bool created;
	struct flow *f = feed(x, &fwd, &sf, &created);
	assert_non_null(f);
	assert_true(created);
	assert_int_equal(f->state, FLOW_NEW);
	assert_int_equal(f->tclass, tcls(FLOW_P_UDP, FLOW_NEW));
	assert_int_equal(f->first_us, 10 * SEC);
	for (int i = 0; i < 2; i++) {
		fwd.ts_us += SEC;
		assert_ptr_equal(feed(x, &fwd, NULL, &created), f);
		assert_false(created);
	}
	for (int i = 0; i < 4; i++) {
		rev.ts_us += SEC;
		assert_ptr_equal(feed(x, &rev, &sr, &created), f);
		assert_false(created);
	}
	assert_int_not_equal(sf, sr);
	assert_int_equal(f->pkts[sf], 3);
	assert_int_equal(f->bytes[sf], 3 * 70);
	assert_int_equal(f->pkts[sr], 4);
	assert_int_equal(f->bytes[sr], 4 * 300);
	assert_int_equal(f->src_side, sf);
	assert_true(flow_dir_toserver(f, sf));
	assert_false(flow_dir_toserver(f, sr));
	assert_int_equal(f->first_us, 10 * SEC);
	assert_int_equal(f->last_us, 15 * SEC);
	/* both sides seen: established */
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	assert_int_equal(f->tclass, tcls(FLOW_P_UDP, FLOW_ESTABLISHED));
	assert_int_equal(f->tcp_seen & (FLOW_SEEN_SIDE0 | FLOW_SEEN_SIDE1),
			 FLOW_SEEN_SIDE0 | FLOW_SEEN_SIDE1);
	assert_null(f->cls.nf);
	assert_int_equal(x->t.st.created, 1);
	assert_int_equal(x->t.st.active, 1);
	assert_int_equal(x->c.n, 0);
	fx_free(x);
}

static void test_icmp_fields(void **state)
{
	(void)state;
	struct fixture *x = fx_new(10);
	struct pkt p = mkpkt("192.0.2.1", "192.0.2.2", 1, 0, 0, 0, SEC, 84);
	p.icmp_type = 8;
	p.icmp_code = 0;
	bool created;
	struct flow *f = feed(x, &p, NULL, &created);
	assert_int_equal(f->icmp_type, 8);
	assert_int_equal(f->tclass, tcls(FLOW_P_ICMP, FLOW_NEW));
	struct pkt r = mkpkt("192.0.2.2", "192.0.2.1", 1, 0, 0, 0, 2 * SEC, 84);
	assert_ptr_equal(feed(x, &r, NULL, &created), f);
	assert_int_equal(f->icmp_type, 8); /* of the first packet */
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	fx_free(x);
}

#define C "10.0.0.1"  /* client */
#define S "10.0.0.2"  /* server */

static struct pkt c2s(uint8_t fl, uint64_t t) { return mkpkt(C, S, 6, 33000, 443, fl, t, 60); }
static struct pkt s2c(uint8_t fl, uint64_t t) { return mkpkt(S, C, 6, 443, 33000, fl, t, 60); }

static void test_tcp_handshake_fin(void **state)
{
	(void)state;
	struct fixture *x = fx_new(10);
	int sc, ss;
	struct pkt p = c2s(TCP_SYN, 1);
	struct flow *f = feed(x, &p, &sc, NULL);
	assert_int_equal(f->state, FLOW_NEW);
	assert_int_equal(f->tclass, tcls(FLOW_P_TCP, FLOW_NEW));
	assert_true(f->tcp_seen & FLOW_SEEN_SYN);
	p = s2c(TCP_SYN | TCP_ACK, 2);
	feed(x, &p, &ss, NULL);
	assert_true(f->tcp_seen & FLOW_SEEN_SYNACK);
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	assert_int_equal(f->tclass, tcls(FLOW_P_TCP, FLOW_ESTABLISHED));
	assert_int_equal(f->src_side, sc);
	p = c2s(TCP_ACK, 3);
	feed(x, &p, NULL, NULL);
	p = c2s(TCP_ACK | TCP_PSH, 4);
	feed(x, &p, NULL, NULL);
	/* FIN one way: still established */
	p = c2s(TCP_FIN | TCP_ACK, 5);
	feed(x, &p, NULL, NULL);
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	assert_true(f->tcp_seen & (sc ? FLOW_SEEN_FIN1 : FLOW_SEEN_FIN0));
	/* FIN the other way: closed */
	p = s2c(TCP_FIN | TCP_ACK, 6);
	feed(x, &p, NULL, NULL);
	assert_int_equal(f->state, FLOW_CLOSED);
	assert_int_equal(f->tclass, tcls(FLOW_P_TCP, FLOW_CLOSED));
	/* the last ACK stays in the same flow, still closed */
	p = c2s(TCP_ACK, 7);
	bool created;
	assert_ptr_equal(feed(x, &p, NULL, &created), f);
	assert_false(created);
	assert_int_equal(f->state, FLOW_CLOSED);
	assert_int_equal(f->pkts[sc], 5);
	assert_int_equal(f->pkts[ss], 2);
	assert_int_equal(x->c.n, 0);
	fx_free(x);
}

static void test_tcp_rst(void **state)
{
	(void)state;
	struct fixture *x = fx_new(10);
	struct pkt p = c2s(TCP_SYN, 1);
	struct flow *f = feed(x, &p, NULL, NULL);
	p = s2c(TCP_RST | TCP_ACK, 2);
	feed(x, &p, NULL, NULL);
	assert_int_equal(f->state, FLOW_CLOSED);
	assert_int_equal(f->tclass, tcls(FLOW_P_TCP, FLOW_CLOSED));

	/* RST in an established flow */
	struct pkt q = mkpkt("10.9.9.9", "10.8.8.8", 6, 1, 2, TCP_SYN, 1, 60);
	struct flow *g = feed(x, &q, NULL, NULL);
	q = mkpkt("10.8.8.8", "10.9.9.9", 6, 2, 1, TCP_SYN | TCP_ACK, 2, 60);
	feed(x, &q, NULL, NULL);
	assert_int_equal(g->state, FLOW_ESTABLISHED);
	q = mkpkt("10.9.9.9", "10.8.8.8", 6, 1, 2, TCP_RST, 3, 60);
	feed(x, &q, NULL, NULL);
	assert_int_equal(g->state, FLOW_CLOSED);

	/* a lone RST as the first packet */
	q = mkpkt("10.7.7.7", "10.6.6.6", 6, 5, 6, TCP_RST, 1, 60);
	struct flow *h = feed(x, &q, NULL, NULL);
	assert_int_equal(h->state, FLOW_CLOSED);
	fx_free(x);
}

static void test_src_side(void **state)
{
	(void)state;
	struct fixture *x = fx_new(10);
	int s1, s2;

	/* UDP: the first sender */
	struct pkt p = mkpkt("10.0.0.9", "10.0.0.3", 17, 53, 40000, 0, 1, 80);
	struct flow *f = feed(x, &p, &s1, NULL);
	assert_int_equal(f->src_side, s1);
	p = mkpkt("10.0.0.3", "10.0.0.9", 17, 40000, 53, 0, 2, 80);
	feed(x, &p, &s2, NULL);
	assert_int_equal(f->src_side, s1);

	/* TCP picked up mid-stream: the first sender, until a SYN shows the
	 * real client */
	p = s2c(TCP_ACK, 1);
	f = feed(x, &p, &s1, NULL);
	assert_int_equal(f->src_side, s1);
	p = c2s(TCP_SYN, 2);
	feed(x, &p, &s2, NULL);
	assert_int_equal(f->src_side, s2);
	/* a later SYN from the other side does not move it again */
	p = s2c(TCP_SYN, 3);
	feed(x, &p, NULL, NULL);
	assert_int_equal(f->src_side, s2);

	/* the first packet is a SYN-ACK: the source is its receiver */
	p = mkpkt("192.168.1.1", "192.168.1.200", 6, 80, 51000, TCP_SYN | TCP_ACK, 1, 60);
	f = feed(x, &p, &s1, NULL);
	assert_int_equal(f->src_side, !s1);
	p = mkpkt("192.168.1.200", "192.168.1.1", 6, 51000, 80, TCP_ACK, 2, 60);
	feed(x, &p, &s2, NULL);
	assert_int_equal(f->src_side, s2);
	assert_true(flow_dir_toserver(f, s2));

	/* the same with the SYN-ACK sender on side 0 */
	p = mkpkt("192.168.1.200", "192.168.1.1", 6, 80, 51000, TCP_SYN | TCP_ACK, 1, 60);
	f = feed(x, &p, &s1, NULL);
	assert_int_equal(f->src_side, !s1);
	fx_free(x);
}

/* ---- timeouts ----------------------------------------------------------- */

static void test_expire(void **state)
{
	(void)state;
	struct fixture *x = fx_new(10);
	uint64_t t0 = 1000 * SEC;
	uint64_t udp_new = x->to.s[FLOW_P_UDP][FLOW_NEW] * SEC;
	struct pkt p = mkpkt("10.0.0.1", "10.0.0.2", 17, 1, 2, 0, t0, 100);
	struct flow *f = feed(x, &p, NULL, NULL);
	struct flow_key key = f->key;

	flow_expire(&x->t, t0 + udp_new); /* exactly the timeout: still alive */
	assert_int_equal(x->c.n, 0);
	assert_int_equal(x->t.st.active, 1);
	flow_expire(&x->t, t0 + udp_new + 1);
	assert_int_equal(x->c.n, 1);
	assert_int_equal(x->c.e[0].why, FLOW_END_TIMEOUT);
	assert_memory_equal(&x->c.e[0].f.key, &key, sizeof(key));
	assert_int_equal(x->c.e[0].f.pkts[0] + x->c.e[0].f.pkts[1], 1);
	assert_int_equal(x->t.st.ended[FLOW_END_TIMEOUT], 1);
	assert_int_equal(x->t.st.active, 0);
	/* ended once only */
	flow_expire(&x->t, t0 + 100 * udp_new);
	assert_int_equal(x->c.n, 1);

	/* the state's own timeout applies: established UDP lives longer */
	p.ts_us = t0;
	f = feed(x, &p, NULL, NULL);
	struct pkt r = mkpkt("10.0.0.2", "10.0.0.1", 17, 2, 1, 0, t0, 100);
	feed(x, &r, NULL, NULL);
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	flow_expire(&x->t, t0 + udp_new + 1);
	assert_int_equal(x->c.n, 1);
	flow_expire(&x->t, t0 + x->to.s[FLOW_P_UDP][FLOW_ESTABLISHED] * SEC + 1);
	assert_int_equal(x->c.n, 2);
	assert_int_equal(x->c.e[1].why, FLOW_END_TIMEOUT);
	assert_int_equal(x->c.e[1].f.state, FLOW_ESTABLISHED);

	/* a time before the last packet never expires anything */
	p.ts_us = t0 + 500 * SEC;
	feed(x, &p, NULL, NULL);
	flow_expire(&x->t, t0);
	assert_int_equal(x->c.n, 2);
	fx_free(x);
}

/* Only idle flows go; the others stay, in any class. */
static void test_expire_partial(void **state)
{
	(void)state;
	struct fixture *x = fx_new(100);
	uint64_t t0 = 5000 * SEC;
	for (int i = 0; i < 10; i++) {
		char dst[32];
		snprintf(dst, sizeof(dst), "10.0.1.%d", i + 1);
		struct pkt p = mkpkt("10.0.0.1", dst, i % 2 ? 6 : 17, 1000, 53, 0,
				     t0 + (uint64_t)i * SEC, 60);
		feed(x, &p, NULL, NULL);
	}
	/* UDP new: 30 s, TCP new: 60 s. At t0 + 35 s: UDP flows started at
	 * t0 + 0, 2, 4 (idle > 30 s) go; TCP flows stay. */
	flow_expire(&x->t, t0 + 35 * SEC);
	assert_int_equal(x->c.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(x->c.e[i].why, FLOW_END_TIMEOUT);
		assert_int_equal(x->c.e[i].f.key.proto, 17);
		assert_int_equal(x->c.e[i].f.last_us, t0 + (uint64_t)i * 2 * SEC);
	}
	assert_int_equal(x->t.st.active, 7);
	fx_free(x);
}

static void test_timeout_then_same_key(void **state)
{
	(void)state;
	struct fixture *x = fx_new(10);
	uint64_t t0 = 77 * SEC;
	uint64_t to = x->to.s[FLOW_P_TCP][FLOW_ESTABLISHED] * SEC;
	struct pkt p = c2s(TCP_SYN, t0);
	bool created;
	struct flow *f = feed(x, &p, NULL, &created);
	assert_true(created);
	p = s2c(TCP_SYN | TCP_ACK, t0 + 1);
	feed(x, &p, NULL, NULL);
	assert_int_equal(f->state, FLOW_ESTABLISHED);

	/* exactly at the timeout: the same flow */
	p = c2s(TCP_ACK, t0 + 1 + to);
	assert_ptr_equal(feed(x, &p, NULL, &created), f);
	assert_false(created);
	assert_int_equal(x->c.n, 0);

	/* one microsecond past it: the old flow ends, a new one starts */
	uint64_t last = t0 + 1 + to;
	p = c2s(TCP_ACK, last + to + 1);
	int side;
	struct flow *g = feed(x, &p, &side, &created);
	assert_non_null(g);
	assert_true(created);
	assert_int_equal(x->c.n, 1);
	assert_int_equal(x->c.e[0].why, FLOW_END_TIMEOUT);
	assert_int_equal(x->c.e[0].f.pkts[0] + x->c.e[0].f.pkts[1], 3);
	assert_int_equal(x->c.e[0].f.last_us, last);
	assert_int_equal(g->first_us, last + to + 1);
	assert_int_equal(g->pkts[side], 1);
	assert_int_equal(g->pkts[!side], 0);
	assert_int_equal(g->state, FLOW_NEW);
	assert_int_equal(x->t.st.created, 2);
	assert_int_equal(x->t.st.ended[FLOW_END_TIMEOUT], 1);
	assert_int_equal(x->t.st.active, 1);
	fx_free(x);
}

static void test_flush_reasons(void **state)
{
	(void)state;
	struct fixture *x = fx_new(10);
	uint64_t t0 = 100 * SEC;
	struct pkt a = mkpkt("10.0.0.1", "10.0.0.2", 17, 1, 2, 0, t0, 60);
	struct pkt b = mkpkt("10.0.0.3", "10.0.0.4", 17, 1, 2, 0, t0 + 20 * SEC, 60);
	feed(x, &a, NULL, NULL);
	feed(x, &b, NULL, NULL);
	/* at t0 + 40 s the first is idle 40 s (> 30), the second 20 s */
	flow_flush(&x->t, t0 + 40 * SEC);
	assert_int_equal(x->c.n, 2);
	int timeout = 0, shutdown = 0;
	for (int i = 0; i < 2; i++) {
		if (x->c.e[i].why == FLOW_END_TIMEOUT) {
			timeout++;
			assert_int_equal(x->c.e[i].f.first_us, t0);
		} else {
			assert_int_equal(x->c.e[i].why, FLOW_END_SHUTDOWN);
			assert_int_equal(x->c.e[i].f.first_us, t0 + 20 * SEC);
			shutdown++;
		}
	}
	assert_int_equal(timeout, 1);
	assert_int_equal(shutdown, 1);
	assert_int_equal(x->t.st.ended[FLOW_END_TIMEOUT], 1);
	assert_int_equal(x->t.st.ended[FLOW_END_SHUTDOWN], 1);
	assert_int_equal(x->t.st.active, 0);
	/* nothing left */
	flow_flush(&x->t, t0 + 1000 * SEC);
	assert_int_equal(x->c.n, 2);
	fx_free(x);
}

/* ---- eviction ----------------------------------------------------------- */

static void test_evict_lru(void **state)
{
	(void)state;
	struct fixture *x = fx_new(3);
	struct pkt f1 = mkpkt("10.0.0.1", "10.0.0.2", 17, 1, 2, 0, 1 * SEC, 60);
	struct pkt f2 = mkpkt("10.0.0.3", "10.0.0.4", 6, 1, 2, TCP_SYN, 2 * SEC, 60);
	struct pkt f3 = mkpkt("10.0.0.5", "10.0.0.6", 1, 0, 0, 0, 3 * SEC, 60);
	struct pkt f4 = mkpkt("10.0.0.7", "10.0.0.8", 17, 1, 2, 0, 5 * SEC, 60);
	struct pkt f5 = mkpkt("10.0.0.9", "10.0.0.10", 17, 1, 2, 0, 6 * SEC, 60);
	bool created;
	struct flow *a = feed(x, &f1, NULL, &created);
	feed(x, &f2, NULL, &created);
	feed(x, &f3, NULL, &created);
	assert_int_equal(x->t.st.active, 3);
	struct flow_key k2;
	int s;
	flow_key_from_pkt(&f2, &k2, &s);
	/* flow 1 becomes the most recent */
	f1.ts_us = 4 * SEC;
	assert_ptr_equal(feed(x, &f1, NULL, &created), a);
	assert_false(created);
	/* a fourth flow evicts the least recently seen: flow 2 (TCP), although
	 * it sits in another timeout class than the newest */
	assert_non_null(feed(x, &f4, NULL, &created));
	assert_true(created);
	assert_int_equal(x->c.n, 1);
	assert_int_equal(x->c.e[0].why, FLOW_END_EVICTED);
	assert_memory_equal(&x->c.e[0].f.key, &k2, sizeof(k2));
	assert_int_equal(x->t.st.ended[FLOW_END_EVICTED], 1);
	assert_int_equal(x->t.st.active, 3);
	assert_int_equal(x->t.st.peak_active, 3);
	assert_int_equal(x->t.st.created, 4);
	assert_int_equal(x->t.st.no_memory, 0);
	/* next: flow 3 (last seen at 3 s) */
	feed(x, &f5, NULL, &created);
	assert_int_equal(x->c.n, 2);
	assert_int_equal(x->c.e[1].why, FLOW_END_EVICTED);
	assert_int_equal(x->c.e[1].f.key.proto, 1);
	assert_int_equal(x->t.st.ended[FLOW_END_EVICTED], 2);
	/* the pool never grew beyond max_flows */
	assert_int_equal(x->t.st.pool_bytes, 3 * sizeof(struct flow));
	/* the survivors are still found */
	f1.ts_us = 7 * SEC;
	assert_ptr_equal(feed(x, &f1, NULL, &created), a);
	assert_false(created);
	fx_free(x);
}

/* Many flows through a small table: every created flow is ended exactly
 * once, by eviction or at the flush. */
static void test_evict_many(void **state)
{
	(void)state;
	struct fixture *x = fx_new(5);
	for (int i = 0; i < 40; i++) {
		char dst[32];
		snprintf(dst, sizeof(dst), "10.1.0.%d", i + 1);
		struct pkt p = mkpkt("10.0.0.1", dst, 17, 1234, 53, 0, (uint64_t)(i + 1) * SEC, 60);
		bool created;
		assert_non_null(feed(x, &p, NULL, &created));
		assert_true(created);
		assert_true(x->t.st.active <= 5);
	}
	assert_int_equal(x->t.st.ended[FLOW_END_EVICTED], 35);
	/* evicted in arrival order */
	for (int i = 0; i < 35; i++)
		assert_int_equal(x->c.e[i].f.first_us, (uint64_t)(i + 1) * SEC);
	flow_flush(&x->t, 41 * SEC);
	assert_int_equal(x->c.n, 40);
	assert_int_equal(x->t.st.ended[FLOW_END_SHUTDOWN], 5);
	assert_int_equal(x->t.st.active, 0);
	assert_int_equal(x->t.st.created, 40);
	fx_free(x);
}

/* More flows than one slab: the pool grows and everything is found again. */
static void test_many_flows(void **state)
{
	(void)state;
	struct fixture *x = fx_new(5000);
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < 3000; i++) {
			struct pkt p = mkpkt("10.0.0.1", "10.0.0.2", 17, (uint16_t)(1000 + i), 53, 0,
					     SEC + (uint64_t)round, 60);
			bool created;
			struct flow *f = feed(x, &p, NULL, &created);
			assert_non_null(f);
			assert_int_equal(created, round == 0);
			assert_int_equal(f->pkts[0] + f->pkts[1], (uint64_t)round + 1);
		}
	}
	assert_int_equal(x->t.st.active, 3000);
	assert_int_equal(x->c.n, 0);
	flow_flush(&x->t, 2 * SEC);
	assert_int_equal(x->t.st.ended[FLOW_END_SHUTDOWN], 3000);
	fx_free(x);
}

static void test_names(void **state)
{
	(void)state;
	assert_string_equal(flow_state_name(FLOW_NEW), "new");
	assert_string_equal(flow_state_name(FLOW_ESTABLISHED), "established");
	assert_string_equal(flow_state_name(FLOW_CLOSED), "closed");
	assert_string_equal(flow_reason_name(FLOW_END_TIMEOUT), "timeout");
	assert_string_equal(flow_reason_name(FLOW_END_SHUTDOWN), "shutdown");
	assert_string_equal(flow_reason_name(FLOW_END_EVICTED), "evicted");
	assert_string_equal(flow_pgroup_name(FLOW_P_ICMP), "icmp");
	struct flow_timeouts t;
	flow_timeouts_default(&t);
	assert_int_equal(t.s[FLOW_P_TCP][FLOW_NEW], 60);
	assert_int_equal(t.s[FLOW_P_TCP][FLOW_ESTABLISHED], 600);
	assert_int_equal(t.s[FLOW_P_UDP][FLOW_NEW], 30);
	assert_int_equal(t.s[FLOW_P_UDP][FLOW_ESTABLISHED], 300);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_symmetry),
		cmocka_unit_test(test_key_vlan),
		cmocka_unit_test(test_accounting),
		cmocka_unit_test(test_icmp_fields),
		cmocka_unit_test(test_tcp_handshake_fin),
		cmocka_unit_test(test_tcp_rst),
		cmocka_unit_test(test_src_side),
		cmocka_unit_test(test_expire),
		cmocka_unit_test(test_expire_partial),
		cmocka_unit_test(test_timeout_then_same_key),
		cmocka_unit_test(test_flush_reasons),
		cmocka_unit_test(test_evict_lru),
		cmocka_unit_test(test_evict_many),
		cmocka_unit_test(test_many_flows),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
