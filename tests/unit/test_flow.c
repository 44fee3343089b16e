/* test_flow.c - the per-worker flow table: keys, accounting, TCP state,
 * source side, timeouts, flush and eviction, tunnelled flows (keys with
 * tunnel ids, the first packet's tunnel layers, the tunnel pool). nDPI is not
 * involved: the flow's `cls` stays zeroed. */
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
	struct flow_tunnels tun; /* a copy of *f->tun (n = 0 when NULL) */
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
		memset(&c->e[c->n].tun, 0, sizeof(c->e[c->n].tun));
		if (f->tun)
			c->e[c->n].tun = *f->tun;
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
	/* the pool never grew beyond max_flows; no tunnel memory for flows
	 * outside tunnels */
	assert_int_equal(x->t.flows.bytes, 3 * sizeof(struct flow));
	assert_int_equal(x->t.tunnels.bytes, 0);
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

/* ---- tunnelled flows ---------------------------------------------------- */

/* Frames for decode_packet: Ethernet, optional overlay, IPv4, TCP (20 bytes,
 * no payload). */

static size_t put_eth(uint8_t *b, uint16_t type)
{
	/* Ethernet: dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb, type */
	static const uint8_t macs[12] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
					  0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };
	memcpy(b, macs, 12);
	b[12] = (uint8_t)(type >> 8), b[13] = (uint8_t)type;
	return 14;
}

static size_t put_ipv4(uint8_t *b, uint16_t total, uint8_t proto, const char *src, const char *dst)
{
	/* IPv4: ver 4 ihl 5, tos 0, total length; id 1, no flags; ttl 64,
	 * protocol, checksum 0 (not checked); src; dst */
	const uint8_t h[12] = { 0x45, 0, (uint8_t)(total >> 8), (uint8_t)total, 0, 1, 0, 0,
				64, proto, 0, 0 };
	memcpy(b, h, 12);
	assert_int_equal(inet_pton(AF_INET, src, b + 12), 1);
	assert_int_equal(inet_pton(AF_INET, dst, b + 16), 1);
	return 20;
}

static size_t put_tcp(uint8_t *b, uint16_t sport, uint16_t dport, uint8_t flags)
{
	/* TCP: ports; seq 1; ack 0; data offset 5, flags, window 1024; checksum, urgent */
	const uint8_t h[20] = { (uint8_t)(sport >> 8), (uint8_t)sport, (uint8_t)(dport >> 8),
				(uint8_t)dport, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0x04, 0x00 };
	memcpy(b, h, 20);
	return 20;
}

/* Ethernet / IPv4 / TCP */
static size_t plain_frame(uint8_t *b, const char *isrc, const char *idst, uint16_t isport,
			  uint16_t idport, uint8_t fl)
{
	size_t n = put_eth(b, 0x0800);
	n += put_ipv4(b + n, 40, 6, isrc, idst);
	return n + put_tcp(b + n, isport, idport, fl);
}

/* Ethernet / IPv4 (osrc -> odst) / UDP (osport -> 4789) / VXLAN vni /
 * the plain frame: 104 bytes, the inner frame from byte 50 (54 bytes). */
static size_t vxlan_frame(uint8_t *b, const char *osrc, const char *odst, uint16_t osport,
			  uint32_t vni, const char *isrc, const char *idst, uint16_t isport,
			  uint16_t idport, uint8_t fl)
{
	size_t n = put_eth(b, 0x0800);
	n += put_ipv4(b + n, 20 + 8 + 8 + 54, 17, osrc, odst);
	/* UDP: sport, dport 4789, length 70, checksum 0 */
	const uint8_t udp[8] = { (uint8_t)(osport >> 8), (uint8_t)osport, 0x12, 0xb5, 0, 70, 0, 0 };
	memcpy(b + n, udp, 8);
	n += 8;
	/* VXLAN: flags I, reserved, VNI, reserved */
	const uint8_t vx[8] = { 0x08, 0, 0, 0, (uint8_t)(vni >> 16), (uint8_t)(vni >> 8),
				(uint8_t)vni, 0 };
	memcpy(b + n, vx, 8);
	n += 8;
	return n + plain_frame(b + n, isrc, idst, isport, idport, fl);
}

/* Ethernet / IPv4 (proto 4, 198.51.100.1 -> .2) / IPv4 / TCP */
static size_t ipip_frame(uint8_t *b, const char *isrc, const char *idst, uint16_t isport,
			 uint16_t idport, uint8_t fl)
{
	size_t n = put_eth(b, 0x0800);
	n += put_ipv4(b + n, 60, 4, "198.51.100.1", "198.51.100.2");
	n += put_ipv4(b + n, 40, 6, isrc, idst);
	return n + put_tcp(b + n, isport, idport, fl);
}

/* Ethernet (0x8847) / MPLS label (S, TTL 64) / IPv4 / TCP */
static size_t mpls_frame(uint8_t *b, uint32_t label, const char *isrc, const char *idst,
			 uint16_t isport, uint16_t idport, uint8_t fl)
{
	size_t n = put_eth(b, 0x8847);
	uint32_t e = label << 12 | 0x100 | 64;
	const uint8_t m[4] = { (uint8_t)(e >> 24), (uint8_t)(e >> 16), (uint8_t)(e >> 8),
			       (uint8_t)e };
	memcpy(b + n, m, 4);
	n += 4;
	n += put_ipv4(b + n, 40, 6, isrc, idst);
	return n + put_tcp(b + n, isport, idport, fl);
}

/* Decodes a frame into a packet for the flow table (ts_us given). */
static struct pkt decoded(const uint8_t *b, size_t n, uint64_t ts_us)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	struct decode_stats st;
	memset(&st, 0, sizeof(st));
	p.data = b;
	p.caplen = p.wirelen = (uint32_t)n;
	p.ts_us = ts_us;
	assert_true(decode_packet(&p, L_ETH, &st));
	p.data = NULL;
	return p;
}

static struct flow_key key_of(const struct pkt *p)
{
	struct flow_key k;
	int s;
	flow_key_from_pkt(p, &k, &s);
	return k;
}

/* One tunnel layer on a hand-made packet. */
static void add_tun(struct pkt *p, enum tunnel_type type, bool has_id, uint32_t id)
{
	assert_true(p->ntun < DAVY_MAX_TUNNELS);
	struct tunnel *t = &p->tun[p->ntun++];
	memset(t, 0, sizeof(*t));
	t->type = (uint8_t)type;
	t->has_id = has_id;
	t->id = id;
}

static void test_tunnel_key_vxlan_directions(void **state)
{
	(void)state;
	uint8_t b[256];
	/* client to server: VTEP 192.0.2.1 -> 192.0.2.2, entropy port 49152 */
	size_t n = vxlan_frame(b, "192.0.2.1", "192.0.2.2", 49152, 100, "10.0.0.1", "10.0.0.2",
			       40000, 80, TCP_SYN);
	struct pkt a = decoded(b, n, 1 * SEC);
	/* the answer: the VTEPs swapped, another entropy port */
	n = vxlan_frame(b, "192.0.2.2", "192.0.2.1", 61000, 100, "10.0.0.2", "10.0.0.1", 80, 40000,
			TCP_SYN | TCP_ACK);
	struct pkt r = decoded(b, n, 2 * SEC);
	assert_int_equal(a.ntun, 1);
	assert_int_equal(r.ntun, 1);
	expect_symmetric(&a, &r);

	struct flow_key k = key_of(&a);
	assert_int_not_equal(k.tunnel_id, 0);
	assert_int_equal(k.proto, 6);
	assert_int_equal(k.port[0], 40000);
	assert_int_equal(k.port[1], 80);
	uint8_t in[16] = { 0 };
	assert_int_equal(inet_pton(AF_INET, "10.0.0.1", in), 1);
	assert_memory_equal(k.addr[0], in, 16);
	/* the same inner flow outside the tunnel is another flow */
	n = plain_frame(b, "10.0.0.1", "10.0.0.2", 40000, 80, TCP_SYN);
	struct pkt u = decoded(b, n, 3 * SEC);
	struct flow_key ku = key_of(&u);
	assert_int_equal(ku.tunnel_id, 0);
	assert_memory_not_equal(&k, &ku, sizeof(k));

	struct fixture *x = fx_new(10);
	int sa, sr;
	bool created;
	struct flow *f = feed(x, &a, &sa, &created);
	assert_non_null(f);
	assert_true(created);
	assert_ptr_equal(feed(x, &r, &sr, &created), f);
	assert_false(created);
	assert_int_not_equal(sa, sr);
	assert_int_equal(f->state, FLOW_ESTABLISHED);
	assert_int_equal(f->src_side, sa);
	assert_int_equal(x->t.st.created, 1);
	/* the untunnelled one is separate */
	assert_ptr_not_equal(feed(x, &u, NULL, &created), f);
	assert_true(created);
	assert_int_equal(x->t.st.created, 2);
	fx_free(x);
}

static void test_tunnel_key_ids(void **state)
{
	(void)state;
	uint8_t b[256];
	/* the same inner 5-tuple in VNI 100 and VNI 200 */
	size_t n = vxlan_frame(b, "192.0.2.1", "192.0.2.2", 49152, 100, "10.0.0.1", "10.0.0.2",
			       40000, 80, TCP_SYN);
	struct pkt v100 = decoded(b, n, 1 * SEC);
	n = vxlan_frame(b, "192.0.2.1", "192.0.2.2", 49152, 200, "10.0.0.1", "10.0.0.2", 40000, 80,
			TCP_SYN);
	struct pkt v200 = decoded(b, n, 1 * SEC);
	struct flow_key k100 = key_of(&v100), k200 = key_of(&v200);
	assert_int_not_equal(k100.tunnel_id, k200.tunnel_id);
	assert_memory_not_equal(&k100, &k200, sizeof(k100));
	assert_int_not_equal(flow_key_hash(&k100), flow_key_hash(&k200));
	struct fixture *x = fx_new(10);
	bool created;
	struct flow *f1 = feed(x, &v100, NULL, &created);
	assert_true(created);
	struct flow *f2 = feed(x, &v200, NULL, &created);
	assert_true(created);
	assert_ptr_not_equal(f1, f2);
	assert_int_equal(f1->tun->t[0].id, 100);
	assert_int_equal(f2->tun->t[0].id, 200);
	/* each VNI's next packet finds its own flow */
	v100.ts_us = v200.ts_us = 2 * SEC;
	assert_ptr_equal(feed(x, &v200, NULL, &created), f2);
	assert_ptr_equal(feed(x, &v100, NULL, &created), f1);
	assert_int_equal(x->t.st.created, 2);
	fx_free(x);

	/* by hand: GRE key 5, no key, key 6, key 0 */
	struct pkt base = mkpkt("10.0.0.1", "10.0.0.2", 17, 1000, 53, 0, SEC, 100);
	struct pkt gre5 = base, gre_nokey = base, gre6 = base, gre0 = base;
	add_tun(&gre5, TUN_GRE, true, 5);
	add_tun(&gre_nokey, TUN_GRE, false, 0);
	add_tun(&gre6, TUN_GRE, true, 6);
	add_tun(&gre0, TUN_GRE, true, 0);
	struct flow_key kb = key_of(&base), k5 = key_of(&gre5), kn = key_of(&gre_nokey),
			k6 = key_of(&gre6), k0 = key_of(&gre0);
	assert_memory_not_equal(&k5, &kn, sizeof(k5));
	assert_memory_not_equal(&k5, &k6, sizeof(k5));
	assert_memory_not_equal(&k0, &kn, sizeof(k0)); /* key 0 is a key */
	/* GRE without a key has no id: the key of the bare packet */
	assert_memory_equal(&kn, &kb, sizeof(kn));
	/* the two directions of a keyed GRE flow */
	struct pkt gre5r = mkpkt("10.0.0.2", "10.0.0.1", 17, 53, 1000, 0, SEC, 100);
	add_tun(&gre5r, TUN_GRE, true, 5);
	expect_symmetric(&gre5, &gre5r);

	/* the same id in different overlays is not the same tenant */
	struct pkt vx = base, gv = base;
	add_tun(&vx, TUN_VXLAN, true, 5);
	add_tun(&gv, TUN_GENEVE, true, 5);
	struct flow_key kvx = key_of(&vx), kgv = key_of(&gv);
	assert_memory_not_equal(&kvx, &kgv, sizeof(kvx));
	assert_memory_not_equal(&kvx, &k5, sizeof(kvx));
	/* ERSPAN sessions differ; ERSPAN type I has none */
	struct pkt e1 = base, e2 = base, e0 = base;
	add_tun(&e1, TUN_ERSPAN, true, 1);
	add_tun(&e2, TUN_ERSPAN, true, 2);
	add_tun(&e0, TUN_ERSPAN, false, 0);
	struct flow_key ke1 = key_of(&e1), ke2 = key_of(&e2), ke0 = key_of(&e0);
	assert_memory_not_equal(&ke1, &ke2, sizeof(ke1));
	assert_memory_equal(&ke0, &kb, sizeof(ke0));
	/* nested: every layer's id counts */
	struct pkt n1 = base, n2 = base;
	add_tun(&n1, TUN_GRE, true, 5);
	add_tun(&n1, TUN_VXLAN, true, 100);
	add_tun(&n2, TUN_GRE, true, 6);
	add_tun(&n2, TUN_VXLAN, true, 100);
	struct flow_key kn1 = key_of(&n1), kn2 = key_of(&n2);
	assert_memory_not_equal(&kn1, &kn2, sizeof(kn1));
	assert_memory_not_equal(&kn1, &k5, sizeof(kn1));
}

static void test_tunnel_key_mpls_ipip(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = plain_frame(b, "10.0.0.1", "10.0.0.2", 40000, 80, TCP_SYN);
	struct pkt u = decoded(b, n, SEC);
	struct flow_key ku = key_of(&u);

	/* MPLS labels are per hop: two labels, the same key as without */
	n = mpls_frame(b, 100, "10.0.0.1", "10.0.0.2", 40000, 80, TCP_SYN);
	struct pkt m100 = decoded(b, n, SEC);
	n = mpls_frame(b, 200, "10.0.0.1", "10.0.0.2", 40000, 80, TCP_SYN);
	struct pkt m200 = decoded(b, n, SEC);
	assert_int_equal(m100.ntun, 1);
	assert_int_equal(m100.tun[0].type, TUN_MPLS);
	assert_int_equal(m100.tun[0].id, 100);
	struct flow_key km100 = key_of(&m100), km200 = key_of(&m200);
	assert_memory_equal(&km100, &ku, sizeof(ku));
	assert_memory_equal(&km200, &ku, sizeof(ku));
	assert_int_equal(flow_key_hash(&km100), flow_key_hash(&ku));

	/* IP-in-IP: no id, the key of the inner packet */
	n = ipip_frame(b, "10.0.0.1", "10.0.0.2", 40000, 80, TCP_SYN);
	struct pkt ip = decoded(b, n, SEC);
	assert_int_equal(ip.ntun, 1);
	assert_int_equal(ip.tun[0].type, TUN_IPIP);
	struct flow_key kip = key_of(&ip);
	assert_memory_equal(&kip, &ku, sizeof(ku));
	/* the reverse direction through the same tunnel */
	n = ipip_frame(b, "10.0.0.2", "10.0.0.1", 80, 40000, TCP_SYN | TCP_ACK);
	struct pkt ipr = decoded(b, n, SEC);
	expect_symmetric(&ip, &ipr);

	/* so all of them are one flow */
	struct fixture *x = fx_new(10);
	bool created;
	struct flow *f = feed(x, &u, NULL, &created);
	assert_true(created);
	assert_null(f->tun);
	assert_ptr_equal(feed(x, &m100, NULL, &created), f);
	assert_ptr_equal(feed(x, &m200, NULL, &created), f);
	assert_ptr_equal(feed(x, &ip, NULL, &created), f);
	assert_ptr_equal(feed(x, &ipr, NULL, &created), f);
	assert_int_equal(x->t.st.created, 1);
	/* a flow first seen untunnelled keeps no tunnel layers */
	assert_null(f->tun);
	assert_int_equal(x->t.tunnels.have, 0);
	fx_free(x);

	/* by hand, with an id-carrying layer as well: MPLS and IP-in-IP around
	 * a VXLAN layer change nothing beyond the VNI */
	struct pkt base = mkpkt("10.0.0.1", "10.0.0.2", 17, 1000, 53, 0, SEC, 100);
	struct pkt vx = base, wrapped = base;
	add_tun(&vx, TUN_VXLAN, true, 100);
	add_tun(&wrapped, TUN_MPLS, true, 16);
	add_tun(&wrapped, TUN_IPIP, false, 0);
	add_tun(&wrapped, TUN_VXLAN, true, 100);
	struct flow_key kvx = key_of(&vx), kw = key_of(&wrapped);
	assert_memory_equal(&kvx, &kw, sizeof(kvx));
}

static void test_tunnel_flow_first_packet(void **state)
{
	(void)state;
	uint8_t b[256];
	struct fixture *x = fx_new(10);
	size_t n = vxlan_frame(b, "192.0.2.1", "192.0.2.2", 49152, 100, "10.0.0.1", "10.0.0.2",
			       40000, 80, TCP_SYN);
	assert_int_equal(n, 104);
	struct pkt a = decoded(b, n, 1 * SEC);
	assert_int_equal(a.inner_off, 50);
	assert_int_equal(pkt_inner_len(&a), 54);
	n = vxlan_frame(b, "192.0.2.2", "192.0.2.1", 61000, 100, "10.0.0.2", "10.0.0.1", 80, 40000,
			TCP_SYN | TCP_ACK);
	struct pkt r = decoded(b, n, 2 * SEC);
	r.wirelen = 1000; /* a snapped packet: the inner length is the wire's */

	int sa, sr;
	bool created;
	struct flow *f = feed(x, &a, &sa, &created);
	assert_true(created);
	assert_non_null(f->tun);
	assert_int_equal(f->tun->n, 1);
	assert_memory_equal(&f->tun->t[0], &a.tun[0], sizeof(a.tun[0]));
	assert_int_equal(f->tun->t[0].type, TUN_VXLAN);
	assert_int_equal(f->tun->t[0].id, 100);
	uint8_t vtep1[16] = { 0 };
	assert_int_equal(inet_pton(AF_INET, "192.0.2.1", vtep1), 1);
	assert_memory_equal(f->tun->t[0].src, vtep1, 16);
	/* the answer, with the VTEPs the other way round: the first packet's
	 * layers stay */
	assert_ptr_equal(feed(x, &r, &sr, &created), f);
	assert_false(created);
	assert_int_equal(f->tun->n, 1);
	assert_memory_equal(&f->tun->t[0], &a.tun[0], sizeof(a.tun[0]));
	assert_memory_equal(f->tun->t[0].src, vtep1, 16);
	/* bytes are the inner frame's */
	assert_int_equal(f->bytes[sa], 54);
	assert_int_equal(f->bytes[sr], 1000 - 50);
	a.ts_us = 3 * SEC;
	feed(x, &a, NULL, NULL);
	assert_int_equal(f->bytes[sa], 2 * 54);
	assert_int_equal(f->pkts[sa], 2);
	assert_int_equal(f->pkts[sr], 1);

	/* two layers, by hand: both kept, outermost first; bytes from inner_off */
	struct pkt g = mkpkt("10.9.0.1", "10.9.0.2", 17, 1000, 53, 0, SEC, 300);
	add_tun(&g, TUN_GRE, true, 5);
	add_tun(&g, TUN_VXLAN, true, 77);
	g.tun[0].ipver = 4;
	g.tun[0].src[0] = 198, g.tun[0].src[1] = 51, g.tun[0].src[2] = 100, g.tun[0].src[3] = 1;
	g.inner_off = 88;
	struct flow *fg = feed(x, &g, &sa, &created);
	assert_true(created);
	assert_int_equal(fg->tun->n, 2);
	assert_memory_equal(fg->tun->t, g.tun, 2 * sizeof(g.tun[0]));
	assert_int_equal(fg->bytes[sa], 300 - 88);
	/* a later packet of the flow with other layers changes nothing (the
	 * key is the same: the ids are) */
	struct pkt g2 = g;
	g2.ts_us = 2 * SEC;
	g2.tun[0].src[3] = 99;
	g2.inner_off = 0;
	assert_ptr_equal(feed(x, &g2, NULL, &created), fg);
	assert_int_equal(fg->tun->t[0].src[3], 1);
	assert_int_equal(fg->bytes[sa], 300 - 88 + 300);

	/* inner_off past the wire length counts 0 bytes, not a wrapped number */
	struct pkt h = mkpkt("10.9.0.3", "10.9.0.4", 17, 1, 2, 0, SEC, 40);
	add_tun(&h, TUN_VXLAN, true, 1);
	h.inner_off = 50;
	struct flow *fh = feed(x, &h, &sa, &created);
	assert_int_equal(fh->bytes[sa], 0);
	assert_int_equal(fh->pkts[sa], 1);

	/* the layers reach the end callback intact */
	struct flow_key ka = key_of(&a);
	flow_flush(&x->t, 4 * SEC);
	assert_int_equal(x->c.n, 3);
	int seen = 0;
	for (int i = 0; i < 3; i++) {
		if (memcmp(&x->c.e[i].f.key, &ka, sizeof(ka)) == 0) {
			assert_int_equal(x->c.e[i].tun.n, 1);
			assert_int_equal(x->c.e[i].tun.t[0].id, 100);
			assert_memory_equal(x->c.e[i].tun.t[0].src, vtep1, 16);
			seen++;
		}
		if (x->c.e[i].tun.n == 2) {
			assert_int_equal(x->c.e[i].tun.t[0].type, TUN_GRE);
			assert_int_equal(x->c.e[i].tun.t[1].id, 77);
			seen++;
		}
	}
	assert_int_equal(seen, 2);
	assert_int_equal(x->t.st.tunnel_no_memory, 0);
	fx_free(x);
}

/* Counts the objects on a pool's free list. */
static uint64_t pool_free_count(const struct pool *pl)
{
	uint64_t n = 0;
	for (void *o = pl->free; o; o = *(void **)o)
		n++;
	return n;
}

/* Tunnel layers go back to their pool when flows end: many tunnelled flows
 * through a small table never need more than max_flows of them. */
static void test_tunnel_pool_returned(void **state)
{
	(void)state;
	const uint64_t max = 16;
	struct fixture *x = fx_new(max);
	uint64_t t = SEC;
	/* eviction: 3000 flows, 16 at a time */
	for (uint32_t i = 0; i < 3000; i++) {
		struct pkt p = mkpkt("10.0.0.1", "10.0.0.2", 17, 1000, 53, 0, t++, 150);
		add_tun(&p, TUN_VXLAN, true, i + 1);
		p.inner_off = 50;
		bool created;
		struct flow *f = feed(x, &p, NULL, &created);
		assert_non_null(f);
		assert_true(created);
		assert_non_null(f->tun);
		assert_int_equal(f->tun->t[0].id, i + 1);
	}
	assert_int_equal(x->t.st.ended[FLOW_END_EVICTED], 3000 - max);
	assert_int_equal(x->t.st.tunnel_no_memory, 0);
	assert_int_equal(x->t.st.no_memory, 0);
	assert_true(x->t.tunnels.have <= max);
	assert_int_equal(x->t.tunnels.bytes, x->t.tunnels.have * sizeof(struct flow_tunnels));
	assert_true(x->t.flows.have <= max);
	uint64_t tbytes = x->t.tunnels.bytes, fbytes = x->t.flows.bytes;

	/* timeouts: rounds of 16 flows that all expire */
	for (int round = 0; round < 50; round++) {
		for (uint32_t i = 0; i < max; i++) {
			struct pkt p = mkpkt("10.0.0.1", "10.0.0.2", 17, (uint16_t)(2000 + i), 53, 0,
					     t, 150);
			add_tun(&p, TUN_GENEVE, true, (uint32_t)round);
			bool created;
			struct flow *f = feed(x, &p, NULL, &created);
			assert_non_null(f);
			assert_non_null(f->tun);
		}
		t += 1000 * SEC;
		flow_expire(&x->t, t);
		assert_int_equal(x->t.st.active, 0);
		/* everything is back */
		assert_int_equal(pool_free_count(&x->t.tunnels), x->t.tunnels.have);
		assert_int_equal(pool_free_count(&x->t.flows), x->t.flows.have);
	}
	assert_int_equal(x->t.tunnels.bytes, tbytes);
	assert_int_equal(x->t.flows.bytes, fbytes);
	assert_int_equal(x->t.st.tunnel_no_memory, 0);

	/* flows outside tunnels take nothing from the tunnel pool, and mixed
	 * traffic still fits */
	for (uint32_t i = 0; i < 200; i++) {
		struct pkt p = mkpkt("10.0.0.3", "10.0.0.4", 6, (uint16_t)(3000 + i), 80, TCP_SYN, t++,
				     60);
		if (i % 2)
			add_tun(&p, TUN_GRE, true, i);
		bool created;
		struct flow *f = feed(x, &p, NULL, &created);
		assert_non_null(f);
		assert_true((f->tun != NULL) == (i % 2 == 1));
	}
	assert_int_equal(x->t.tunnels.bytes, tbytes);
	assert_int_equal(x->t.flows.bytes, fbytes);
	assert_int_equal(x->t.st.tunnel_no_memory, 0);
	flow_flush(&x->t, t);
	assert_int_equal(pool_free_count(&x->t.tunnels), x->t.tunnels.have);
	assert_int_equal(x->t.st.created, 3000 + 50 * max + 200);
	fx_free(x);
}

/* Regression: IPv4 inside an IPv6 carrier once kept the carrier's address
 * bytes in p->src/dst[4..15], so a 4in6 packet did not get the key of its
 * inner packet. */
static void test_4in6_key(void **state)
{
	(void)state;
	uint8_t b[256];
	size_t n = plain_frame(b, "10.0.0.1", "10.0.0.2", 40000, 80, TCP_SYN);
	struct pkt u = decoded(b, n, SEC);
	/* Ethernet (0x86dd) / IPv6 (next header 4, 2001:db8:ffff::1 -> ::2) / IPv4 / TCP */
	n = put_eth(b, 0x86dd);
	/* IPv6: ver 6, tc 0, flow 0; payload length 40, next header 4, hop limit 64 */
	const uint8_t v6[8] = { 0x60, 0, 0, 0, 0, 40, 4, 64 };
	memcpy(b + n, v6, 8);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:ffff::1", b + n + 8), 1);
	assert_int_equal(inet_pton(AF_INET6, "2001:db8:ffff::2", b + n + 24), 1);
	n += 40;
	n += put_ipv4(b + n, 40, 6, "10.0.0.1", "10.0.0.2");
	n += put_tcp(b + n, 40000, 80, TCP_SYN);
	struct pkt t = decoded(b, n, SEC);
	assert_int_equal(t.ntun, 1);
	assert_int_equal(t.tun[0].type, TUN_IPIP);
	struct flow_key ku = key_of(&u), kt = key_of(&t);

	assert_memory_equal(&ku, &kt, sizeof(ku));
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

/* ---- the slab pool ----------------------------------------------------- */

static void test_pool_alignment(void **state)
{
	(void)state;
	struct pool pl;
	pool_init(&pl, 508, 10, 4); /* struct flow_dns's odd size */
	void *o[10];
	for (int i = 0; i < 10; i++) {
		o[i] = pool_get(&pl);
		assert_non_null(o[i]);
		assert_int_equal((uintptr_t)o[i] % _Alignof(max_align_t), 0);
	}
	assert_null(pool_get(&pl)); /* the bound */
	for (int i = 0; i < 10; i++)
		pool_put(&pl, o[i]);
	assert_non_null(pool_get(&pl));
	pool_release(&pl);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pool_alignment),
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
		cmocka_unit_test(test_tunnel_key_vxlan_directions),
		cmocka_unit_test(test_tunnel_key_ids),
		cmocka_unit_test(test_tunnel_key_mpls_ipip),
		cmocka_unit_test(test_tunnel_flow_first_packet),
		cmocka_unit_test(test_tunnel_pool_returned),
		cmocka_unit_test(test_4in6_key),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
