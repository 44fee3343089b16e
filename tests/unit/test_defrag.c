/* test_defrag.c - IPv4 and IPv6 reassembly (sensor/defrag.c) end to end:
 * real Ethernet frames are built fragment by fragment, decoded with
 * decode_packet (which stops at the fragment with PKT_FRAGMENT), handed to
 * defrag_add, and the datagram it hands back is decoded with decode_resume
 * and compared, byte for byte, with the unfragmented datagram.
 *
 * Frames are built by small functions, commented header by header. Every
 * frame given to the decoder and to defrag_add is a malloc'd copy of exactly
 * its length, so AddressSanitizer catches the smallest overread.
 *
 * Tests of behaviour that the contract (defrag.h) asks for but the code
 * did not do at first (bugs found by these tests, since fixed) are at the end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "decode.h"
#include "defrag.h"

#define FRAME_MAX (DEFRAG_HDR_MAX + 65536 + 256)
#define T0 1700000000000000ULL /* packet time of the first fragment, us */
#define SEC 1000000ULL

/* ======================================================================
 * Helpers: random numbers, byte writers, datagram contents
 * ====================================================================== */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd_next(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static uint32_t rnd_below(uint32_t n)
{
	return (uint32_t)(rnd_next(&rng) % n);
}

static void shuffle(unsigned *a, unsigned n)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = rnd_below(i), t = a[i - 1];
		a[i - 1] = a[j];
		a[j] = t;
	}
}

static uint8_t *w8(uint8_t *p, uint8_t v)
{
	*p = v;
	return p + 1;
}

static uint8_t *w16(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
	return p + 2;
}

static uint8_t *w32(uint8_t *p, uint32_t v)
{
	p = w16(p, v >> 16);
	return w16(p, v & 0xffff);
}

static uint8_t *wmem(uint8_t *p, const void *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void fill_random(uint8_t *d, uint32_t n, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ULL + 1;
	for (uint32_t i = 0; i < n; i++)
		d[i] = (uint8_t)(rnd_next(&s) >> 56);
}

/* A UDP datagram of `len` bytes: header (ports, length, checksum 0), then
 * pseudo-random bytes from `seed`. */
static void fill_udp(uint8_t *d, uint32_t len, uint16_t sport, uint16_t dport, uint64_t seed)
{
	fill_random(d, len, seed);
	uint8_t *p = w16(d, sport);
	p = w16(p, dport);
	p = w16(p, len);
	w16(p, 0);
}

/* A TCP segment of `len` bytes: header (ports, seq 1, ack 0, data offset 5,
 * flags PSH|ACK, window 512, checksum 0, urgent 0), then bytes from `seed`. */
static void fill_tcp(uint8_t *d, uint32_t len, uint16_t sport, uint16_t dport, uint64_t seed)
{
	fill_random(d, len, seed);
	uint8_t *p = w16(d, sport);
	p = w16(p, dport);
	p = w32(p, 1);
	p = w32(p, 0);
	p = w8(p, 0x50);
	p = w8(p, TCP_PSH | TCP_ACK);
	p = w16(p, 512);
	p = w16(p, 0);
	w16(p, 0);
}

/* ======================================================================
 * Frame builders
 * ====================================================================== */

/* One IP datagram and what surrounds it. */
struct dgspec {
	uint8_t ipver;       /* 4 or 6 */
	uint8_t proto;       /* transport: 17 UDP, 6 TCP */
	uint8_t src[16];     /* IPv4 in the first 4 bytes, rest zero */
	uint8_t dst[16];
	uint32_t id;         /* IPv4: 16 bits */
	int vlan;            /* 802.1Q VID, -1: untagged */
	bool hbh;            /* IPv6: a hop-by-hop header before the fragment header */
	bool df;             /* IPv4: DF set in every fragment */
	uint8_t v4opt;       /* IPv4: bytes of options (multiple of 4) */
	const uint8_t *data; /* the datagram's data: transport header onwards */
	uint32_t len;
};

static const uint8_t macs[12] = {
	/* Ethernet: dst 00:11:22:33:44:55, src 66:77:88:99:aa:bb */
	0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
};

static void v4spec(struct dgspec *s, uint32_t a, uint32_t b, uint32_t id, const uint8_t *data,
		   uint32_t len)
{
	memset(s, 0, sizeof(*s));
	s->ipver = 4;
	s->proto = 17;
	w32(s->src, a);
	w32(s->dst, b);
	s->id = id;
	s->vlan = -1;
	s->data = data;
	s->len = len;
}

static void v6spec(struct dgspec *s, uint16_t a, uint16_t b, uint32_t id, bool hbh,
		   const uint8_t *data, uint32_t len)
{
	memset(s, 0, sizeof(*s));
	s->ipver = 6;
	s->proto = 17;
	/* 2001:db8::a and 2001:db8::b */
	w16(s->src, 0x2001);
	w16(s->src + 2, 0x0db8);
	w16(s->src + 14, a);
	w16(s->dst, 0x2001);
	w16(s->dst + 2, 0x0db8);
	w16(s->dst + 14, b);
	s->id = id;
	s->hbh = hbh;
	s->vlan = -1;
	s->data = data;
	s->len = len;
}

/* The link header: Ethernet, maybe one 802.1Q tag. */
static size_t put_link(const struct dgspec *s, uint8_t *out)
{
	uint8_t *p = wmem(out, macs, 12);
	if (s->vlan >= 0) {
		/* type 0x8100 802.1Q; tag: PCP 0, DEI 0, VID */
		p = w16(p, 0x8100);
		p = w16(p, (uint32_t)s->vlan);
	}
	/* type 0x0800 IPv4 or 0x86dd IPv6 */
	p = w16(p, s->ipver == 4 ? 0x0800 : 0x86dd);
	return (size_t)(p - out);
}

/* The IP part of a frame: a fragment (data [off, off + len) of the
 * datagram, from `bytes` or else from s->data), or with frag false the
 * whole datagram as reassembly must give it back. */
static size_t put_ip(const struct dgspec *s, bool frag, uint32_t off, const uint8_t *bytes,
		     uint32_t len, bool more, uint8_t *out)
{
	uint8_t *p = out;
	if (s->ipver == 4) {
		uint32_t hl = 20u + s->v4opt;
		/* IPv4: version 4, IHL, TOS 0 */
		p = w8(p, (uint8_t)(0x40 | hl / 4));
		p = w8(p, 0);
		/* total length: header and this fragment's data */
		p = w16(p, hl + len);
		/* identification */
		p = w16(p, s->id & 0xffff);
		/* flags (DF 0x4000, MF 0x2000), offset in 8-byte units */
		p = w16(p, (s->df ? 0x4000u : 0) | (more ? 0x2000u : 0) | off / 8);
		/* TTL 64, protocol, checksum (not checked) */
		p = w8(p, 64);
		p = w8(p, s->proto);
		p = w16(p, 0);
		/* source, destination */
		p = wmem(p, s->src, 4);
		p = wmem(p, s->dst, 4);
		/* options: NOPs, then end of list */
		for (unsigned i = 0; i < s->v4opt; i++)
			p = w8(p, i + 1 == s->v4opt ? 0 : 1);
	} else {
		uint32_t ext = (s->hbh ? 8u : 0) + (frag ? 8u : 0);
		/* IPv6: version 6, traffic class 0, flow label 0 */
		p = w32(p, 0x60000000);
		/* payload length: extension headers and data */
		p = w16(p, ext + len);
		/* next header: hop-by-hop 0, fragment 44, or the transport; hop limit 64 */
		p = w8(p, s->hbh ? 0 : frag ? 44 : s->proto);
		p = w8(p, 64);
		/* source, destination */
		p = wmem(p, s->src, 16);
		p = wmem(p, s->dst, 16);
		if (s->hbh) {
			/* hop-by-hop: next header, length 0 (8 bytes); PadN (type 1,
			 * length 4, 4 zero bytes) */
			p = w8(p, frag ? 44 : s->proto);
			p = w8(p, 0);
			p = w8(p, 1);
			p = w8(p, 4);
			p = w32(p, 0);
		}
		if (frag) {
			/* fragment: next header (transport), reserved, offset | M, id */
			p = w8(p, s->proto);
			p = w8(p, 0);
			p = w16(p, off | (more ? 1u : 0));
			p = w32(p, s->id);
		}
	}
	p = wmem(p, bytes ? bytes : s->data + off, len);
	return (size_t)(p - out);
}

static size_t build_frag(const struct dgspec *s, uint32_t off, const uint8_t *bytes,
			 uint32_t len, bool more, uint8_t *out)
{
	size_t n = put_link(s, out);
	return n + put_ip(s, true, off, bytes, len, more, out + n);
}

/* The VTEPs of every VXLAN packet here: 192.0.2.1 -> 192.0.2.2. */
#define VTEP_A 0xc0000201u
#define VTEP_B 0xc0000202u

/* What an outer IPv4 datagram carries for VXLAN: UDP and VXLAN headers,
 * then the inner frame. */
static size_t vxlan_payload(uint32_t vni, const uint8_t *inner, size_t n, uint8_t *out)
{
	/* UDP: source port 54321, destination port 4789 (VXLAN), length, checksum 0 */
	uint8_t *p = w16(out, 54321);
	p = w16(p, 4789);
	p = w16(p, (uint32_t)(16 + n));
	p = w16(p, 0);
	/* VXLAN: flags 0x08 (I), reserved; VNI, reserved */
	p = w32(p, 0x08000000);
	p = w32(p, vni << 8);
	p = wmem(p, inner, n);
	return (size_t)(p - out);
}

/* A whole (unfragmented) VXLAN packet carrying `inner`:
 * Ethernet/IPv4 192.0.2.1 -> 192.0.2.2/UDP 4789/VXLAN vni/inner. */
static size_t wrap_vxlan(uint32_t vni, const uint8_t *inner, size_t n, uint8_t *out)
{
	/* Ethernet: dst, src, type 0x0800 IPv4 */
	uint8_t *p = wmem(out, macs, 12);
	p = w16(p, 0x0800);
	/* IPv4: IHL 5, TOS 0, total length, id 0x7777, DF, TTL 64, UDP, checksum 0 */
	p = w8(p, 0x45);
	p = w8(p, 0);
	p = w16(p, (uint32_t)(20 + 16 + n));
	p = w16(p, 0x7777);
	p = w16(p, 0x4000);
	p = w8(p, 64);
	p = w8(p, 17);
	p = w16(p, 0);
	/* 192.0.2.1 -> 192.0.2.2 */
	p = w32(p, VTEP_A);
	p = w32(p, VTEP_B);
	p += vxlan_payload(vni, inner, n, p);
	return (size_t)(p - out);
}

/* ======================================================================
 * The rig: reassembly, decode counters, the last result
 * ====================================================================== */

struct rig {
	struct defrag d;
	struct decode_stats ds;
	struct pkt frag;   /* the last fragment decoded (its data is gone) */
	struct pkt out;    /* the last datagram completed, decoded */
	enum layer l;
	uint32_t off;
	bool key;          /* decode_resume's answer on out */
};

static uint8_t scratch[FRAME_MAX];

static void rig_init(struct rig *r, uint32_t max, uint32_t timeout)
{
	memset(r, 0, sizeof(*r));
	struct defrag_cfg cfg;
	defrag_cfg_default(&cfg);
	assert_int_equal(cfg.max_datagrams, 256);
	assert_int_equal(cfg.timeout_s, 60);
	if (max)
		cfg.max_datagrams = max;
	if (timeout)
		cfg.timeout_s = timeout;
	char err[128];
	assert_int_equal(defrag_init(&r->d, &cfg, err, sizeof(err)), 0);
	assert_int_equal(r->d.st.active, 0);
}

/* Decodes a frame (a copy of exactly its length) that must be a fragment,
 * hands it to reassembly; when that completes a datagram, decodes it with
 * decode_resume into r->out and returns true. */
static bool feed_frame(struct rig *r, const uint8_t *frame, size_t n, uint64_t ts)
{
	uint8_t *copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, frame, n);
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.data = copy;
	p.caplen = p.wirelen = (uint32_t)n;
	p.ts_us = ts;
	assert_false(decode_packet(&p, L_ETH, &r->ds));
	assert_true(p.flags & PKT_FRAGMENT);
	r->frag = p;
	bool done = defrag_add(&r->d, &p, &r->out, &r->l, &r->off);
	free(copy);
	if (done)
		r->key = decode_resume(&r->out, r->l, r->off, &r->ds);
	return done;
}

static bool feed(struct rig *r, const struct dgspec *s, uint32_t off, uint32_t len, bool more,
		 uint64_t ts)
{
	size_t n = build_frag(s, off, NULL, len, more, scratch);
	return feed_frame(r, scratch, n, ts);
}

static bool feed_bytes(struct rig *r, const struct dgspec *s, uint32_t off,
		       const uint8_t *bytes, uint32_t len, bool more, uint64_t ts)
{
	size_t n = build_frag(s, off, bytes, len, more, scratch);
	return feed_frame(r, scratch, n, ts);
}

static void st_is(const struct rig *r, uint64_t fragments, uint64_t reassembled,
		  uint64_t active, uint64_t peak)
{
	assert_int_equal(r->d.st.fragments, fragments);
	assert_int_equal(r->d.st.reassembled, reassembled);
	assert_int_equal(r->d.st.active, active);
	assert_int_equal(r->d.st.peak_active, peak);
}

static void no_anomalies(const struct rig *r)
{
	const struct defrag_stats *s = &r->d.st;
	assert_int_equal(s->timeouts, 0);
	assert_int_equal(s->evicted, 0);
	assert_int_equal(s->overlaps, 0);
	assert_int_equal(s->overlap_conflicts, 0);
	assert_int_equal(s->too_big, 0);
	assert_int_equal(s->inconsistent, 0);
	assert_int_equal(s->no_memory, 0);
}

static uint32_t ip_hdr_len(const struct dgspec *s)
{
	return s->ipver == 4 ? 20u + s->v4opt : 40u + (s->hbh ? 8u : 0);
}

/* Checks the datagram the rig completed last against `s` with `expect`
 * as its data (NULL: s->data): frame = `prefix` (NULL: s's own link
 * header) + the unfragmented IP datagram; decoded fields; time `ts`. */
static void check_whole_as(const struct pkt *o, enum layer l, uint32_t off, bool key,
			   const struct dgspec *s, const uint8_t *expect, const uint8_t *prefix,
			   size_t plen, uint64_t ts)
{
	uint8_t link[32];
	if (!prefix) {
		plen = put_link(s, link);
		prefix = link;
	}
	struct dgspec e = *s;
	if (expect)
		e.data = expect;
	uint8_t *ip = malloc(FRAME_MAX);
	assert_non_null(ip);
	size_t iplen = put_ip(&e, false, 0, NULL, e.len, false, ip);
	uint32_t hl = ip_hdr_len(s);
	assert_int_equal(iplen, hl + s->len);

	assert_true(key);
	assert_int_equal(l, s->ipver == 4 ? L_IPV4 : L_IPV6);
	assert_int_equal(off, plen);
	/* the frame: link and outer headers of the first fragment, then the
	 * datagram with its IP header rewritten */
	assert_int_equal(o->caplen, plen + iplen);
	assert_int_equal(o->wirelen, plen + iplen);
	assert_memory_equal(o->data, prefix, plen);
	assert_memory_equal(o->data + plen, ip, iplen);
	free(ip);
	/* IPv4: total length, fragment field cleared but DF;
	 * IPv6: payload length, fragment header gone, naming byte patched */
	const uint8_t *h = o->data + plen;
	if (s->ipver == 4) {
		assert_int_equal(be16(h + 2), hl + s->len);
		assert_int_equal(be16(h + 4), s->id & 0xffff);
		assert_int_equal(be16(h + 6), s->df ? 0x4000 : 0);
	} else {
		assert_int_equal(be16(h + 4), hl - 40 + s->len);
		if (s->hbh) {
			assert_int_equal(h[6], 0);
			assert_int_equal(h[40], s->proto);
		} else {
			assert_int_equal(h[6], s->proto);
		}
	}
	/* decoded */
	assert_true(o->flags & PKT_HAS_KEY);
	assert_false(o->flags & PKT_FRAGMENT);
	assert_int_equal(o->ipver, s->ipver);
	assert_int_equal(o->l4proto, s->proto);
	assert_memory_equal(o->src, s->src, 16);
	assert_memory_equal(o->dst, s->dst, 16);
	assert_int_equal(o->l3_off, plen);
	assert_int_equal(o->l3_len, hl + s->len);
	assert_int_equal(o->l4_off, plen + hl);
	assert_memory_equal(o->data + o->l4_off, e.data, s->len);
	assert_int_equal(o->sport, be16(e.data));
	assert_int_equal(o->dport, be16(e.data + 2));
	if (s->proto == 17) {
		assert_int_equal(o->payload_off, plen + hl + 8);
		assert_int_equal(o->payload_len, s->len - 8);
	}
	assert_int_equal(o->ts_us, ts);
}

static void check_whole(const struct rig *r, const struct dgspec *s, uint64_t ts)
{
	check_whole_as(&r->out, r->l, r->off, r->key, s, NULL, NULL, 0, ts);
}

/* A plan: the fragments of a datagram. */
struct fr {
	uint32_t off, len;
	bool more;
};

/* Cuts [0, len) into pieces of `size` bytes (a multiple of 8). */
static unsigned split(uint32_t len, uint32_t size, struct fr *f)
{
	unsigned n = 0;
	for (uint32_t off = 0; off < len; off += size, n++) {
		f[n].off = off;
		f[n].len = len - off > size ? size : len - off;
		f[n].more = off + size < len;
	}
	return n;
}

/* Feeds the pieces in `order` (one every microsecond from `ts`): only the last
 * completes the datagram, which is then checked. Counters move by one
 * datagram. */
static void run_order(struct rig *r, const struct dgspec *s, const struct fr *f,
		      const unsigned *order, unsigned n, uint64_t ts)
{
	uint64_t frags = r->d.st.fragments, done = r->d.st.reassembled;
	uint64_t active = r->d.st.active;
	for (unsigned i = 0; i < n; i++) {
		const struct fr *x = &f[order[i]];
		bool c = feed(r, s, x->off, x->len, x->more, ts + i);
		assert_int_equal(c, i + 1 == n);
		assert_int_equal(r->d.st.fragments, frags + i + 1);
		assert_int_equal(r->d.st.reassembled, done + (i + 1 == n));
		assert_int_equal(r->d.st.active, active + (i + 1 < n));
		assert_true(r->d.st.peak_active >= active + 1);
	}
	check_whole(r, s, ts + n - 1);
}

/* ======================================================================
 * Orders
 * ====================================================================== */

static void test_ipv4_in_order(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[1000];
	fill_udp(data, sizeof(data), 1111, 53, 1);
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 0x1234, data, sizeof(data));
	struct fr f[8];
	unsigned n = split(1000, 256, f);
	assert_int_equal(n, 4);

	/* [0,256) [256,512) [512,768) MF, [768,1000) last */
	assert_false(feed(&r, &s, 0, 256, true, T0));
	st_is(&r, 1, 0, 1, 1);
	assert_int_equal(r.frag.frag.offset, 0);
	assert_int_equal(r.frag.frag.data_len, 256);
	assert_int_equal(r.frag.frag.hdr_len, 20);
	assert_int_equal(r.frag.frag.ip_off, 14);
	assert_true(r.frag.frag.more);
	assert_false(feed(&r, &s, 256, 256, true, T0 + 1));
	st_is(&r, 2, 0, 1, 1);
	assert_false(feed(&r, &s, 512, 256, true, T0 + 2));
	st_is(&r, 3, 0, 1, 1);
	assert_true(feed(&r, &s, 768, 232, false, T0 + 3));
	st_is(&r, 4, 1, 0, 1);
	check_whole(&r, &s, T0 + 3);
	assert_int_equal(r.out.l3_len, 1020);
	assert_int_equal(r.out.wirelen, 14 + 1020);
	assert_int_equal(r.out.sport, 1111);
	assert_int_equal(r.out.dport, 53);
	no_anomalies(&r);
	assert_int_equal(r.d.st.tiny_first, 0);
	/* the decode counters saw four fragments, one at each decode */
	assert_int_equal(r.ds.pkts, 4);
	assert_int_equal(r.ds.fragments, 4);

	/* DF kept, options kept: a 24-byte header */
	s.df = true;
	s.v4opt = 4;
	s.id = 0x1235;
	unsigned order[4] = {0, 1, 2, 3};
	run_order(&r, &s, f, order, 4, T0 + 10 * SEC);
	assert_int_equal(r.out.l3_len, 1024);
	st_is(&r, 8, 2, 0, 1);
	no_anomalies(&r);
	defrag_free(&r.d);
}

static void test_ipv6_in_order(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[1000];
	fill_udp(data, sizeof(data), 2222, 443, 2);
	struct dgspec s;
	struct fr f[8];
	unsigned n = split(1000, 256, f);
	unsigned order[4] = {0, 1, 2, 3};

	/* no extension header: the IPv6 header's next header becomes UDP */
	v6spec(&s, 0xa, 0xb, 0xdeadbeef, false, data, sizeof(data));
	run_order(&r, &s, f, order, n, T0);
	assert_int_equal(r.frag.frag.hdr_len, 40);
	assert_int_equal(r.frag.frag.nh_off, 14 + 6);
	assert_int_equal(r.frag.frag.id, 0xdeadbeef);
	assert_int_equal(r.out.l3_len, 1040);
	assert_int_equal(r.out.wirelen, 14 + 1040);
	st_is(&r, 4, 1, 0, 1);

	/* hop-by-hop before the fragment header: its next header becomes UDP,
	 * the hop-by-hop header stays */
	v6spec(&s, 0xa, 0xb, 0xdeadbef0, true, data, sizeof(data));
	run_order(&r, &s, f, order, n, T0 + 10 * SEC);
	assert_int_equal(r.frag.frag.hdr_len, 48);
	assert_int_equal(r.frag.frag.nh_off, 14 + 40);
	assert_int_equal(r.out.l3_len, 1048);
	assert_int_equal(r.out.l4_off, 14 + 48);
	assert_int_equal(r.out.data[14 + 6], 0);
	assert_int_equal(r.out.data[14 + 40], 17);
	assert_int_equal(be16(r.out.data + 14 + 4), 1008);
	st_is(&r, 8, 2, 0, 1);
	no_anomalies(&r);
	defrag_free(&r.d);
}

static void test_reverse_order(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[3001];
	fill_udp(data, sizeof(data), 3333, 80, 3);
	struct fr f[32];
	unsigned n = split(sizeof(data), 400, f);
	unsigned order[32];
	for (unsigned i = 0; i < n; i++)
		order[i] = n - 1 - i;
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 7, data, sizeof(data));
	run_order(&r, &s, f, order, n, T0);
	v6spec(&s, 1, 2, 7, true, data, sizeof(data));
	run_order(&r, &s, f, order, n, T0);
	v6spec(&s, 1, 2, 8, false, data, sizeof(data));
	run_order(&r, &s, f, order, n, T0);
	st_is(&r, 3 * n, 3, 0, 1);
	no_anomalies(&r);
	defrag_free(&r.d);
}

static void test_last_first(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[1000];
	fill_udp(data, sizeof(data), 4444, 123, 4);
	struct fr f[8];
	unsigned n = split(1000, 256, f);
	unsigned order[4] = {3, 0, 1, 2};
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 9, data, sizeof(data));
	run_order(&r, &s, f, order, n, T0);
	unsigned order2[4] = {3, 1, 2, 0}; /* the first one last */
	v6spec(&s, 1, 2, 9, true, data, sizeof(data));
	run_order(&r, &s, f, order2, n, T0);
	st_is(&r, 8, 2, 0, 1);
	no_anomalies(&r);
	defrag_free(&r.d);
}

static void test_random_order(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t *data = malloc(20000);
	assert_non_null(data);
	struct fr f[2600];
	unsigned order[2600];
	uint64_t frags = 0;
	rng = 12345;
	for (unsigned k = 0; k < 60; k++) {
		uint32_t len = 100 + rnd_below(19900);
		uint32_t size = 8 * (1 + rnd_below(200));
		fill_udp(data, len, (uint16_t)(1000 + k), 9999, 100 + k);
		unsigned n = split(len, size, f);
		if (n < 2)
			continue;
		for (unsigned i = 0; i < n; i++)
			order[i] = i;
		shuffle(order, n);
		struct dgspec s;
		if (k % 3 == 0)
			v4spec(&s, 0x0a000001, 0x0a000002, k, data, len);
		else
			v6spec(&s, 1, 2, k, k % 3 == 1, data, len);
		run_order(&r, &s, f, order, n, T0 + k * SEC);
		frags += n;
	}
	assert_int_equal(r.d.st.fragments, frags);
	assert_int_equal(r.d.st.active, 0);
	assert_int_equal(r.d.st.peak_active, 1);
	no_anomalies(&r);
	free(data);
	defrag_free(&r.d);
}

/* ======================================================================
 * Overlaps
 * ====================================================================== */

static void test_duplicate(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[1000];
	fill_udp(data, sizeof(data), 5555, 53, 5);
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 10, data, sizeof(data));

	/* last, first, last again (29 blocks), second, second again (32 blocks), third */
	assert_false(feed(&r, &s, 768, 232, false, T0));
	assert_false(feed(&r, &s, 0, 256, true, T0 + 1));
	assert_false(feed(&r, &s, 768, 232, false, T0 + 2));
	assert_int_equal(r.d.st.overlaps, 29);
	assert_false(feed(&r, &s, 256, 256, true, T0 + 3));
	assert_false(feed(&r, &s, 256, 256, true, T0 + 4));
	assert_int_equal(r.d.st.overlaps, 29 + 32);
	st_is(&r, 5, 0, 1, 1);
	assert_true(feed(&r, &s, 512, 256, true, T0 + 5));
	check_whole(&r, &s, T0 + 5);
	st_is(&r, 6, 1, 0, 1);
	assert_int_equal(r.d.st.overlaps, 61);
	assert_int_equal(r.d.st.overlap_conflicts, 0);
	assert_int_equal(r.d.st.inconsistent, 0);

	/* IPv6: the first fragment twice, the second copy with another hop-by-hop */
	v6spec(&s, 1, 2, 10, true, data, sizeof(data));
	assert_false(feed(&r, &s, 0, 256, true, T0 + 6));
	s.hbh = false;
	assert_false(feed(&r, &s, 0, 256, true, T0 + 7)); /* same key: kept, counted */
	s.hbh = true;
	assert_int_equal(r.d.st.overlaps, 61 + 32);
	assert_false(feed(&r, &s, 256, 512, true, T0 + 8));
	assert_true(feed(&r, &s, 768, 232, false, T0 + 9));
	check_whole(&r, &s, T0 + 9); /* the first fragment's headers */
	st_is(&r, 10, 2, 0, 1);
	assert_int_equal(r.d.st.overlap_conflicts, 0);
	defrag_free(&r.d);
}

static void test_overlap_conflict(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[1000], alt[1000], expect[1000];
	fill_udp(data, sizeof(data), 6666, 53, 6);
	memcpy(alt, data, sizeof(alt));
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 11, data, sizeof(data));

	/* [0,256) original; then [128,512) whose byte 130 differs: 16 blocks
	 * overlap, one of them conflicts; the first bytes are kept */
	alt[130] ^= 0xff;
	assert_false(feed(&r, &s, 0, 256, true, T0));
	assert_false(feed_bytes(&r, &s, 128, alt + 128, 384, true, T0 + 1));
	assert_int_equal(r.d.st.overlaps, 16);
	assert_int_equal(r.d.st.overlap_conflicts, 1);
	assert_false(feed(&r, &s, 512, 256, true, T0 + 2));
	assert_true(feed(&r, &s, 768, 232, false, T0 + 3));
	check_whole(&r, &s, T0 + 3);
	st_is(&r, 4, 1, 0, 1);

	/* the other way round: [128,512) with bytes 128..255 all different
	 * first, then the original [0,256): its 16 overlapping blocks all
	 * conflict and the altered bytes stay */
	for (unsigned i = 128; i < 256; i++)
		alt[i] = (uint8_t)(data[i] ^ 0x5a);
	memcpy(expect, data, sizeof(expect));
	memcpy(expect + 128, alt + 128, 128);
	s.id = 12;
	assert_false(feed_bytes(&r, &s, 128, alt + 128, 384, true, T0 + 4));
	assert_false(feed(&r, &s, 0, 256, true, T0 + 5));
	assert_int_equal(r.d.st.overlaps, 32);
	assert_int_equal(r.d.st.overlap_conflicts, 17);
	assert_false(feed(&r, &s, 768, 232, false, T0 + 6));
	assert_true(feed(&r, &s, 512, 256, true, T0 + 7));
	check_whole_as(&r.out, r.l, r.off, r.key, &s, expect, NULL, 0, T0 + 7);

	/* IPv6, a conflicting copy of the last (partial) block: the last
	 * fragment [768,1000) then [768,1000) with byte 999 changed */
	v6spec(&s, 1, 2, 13, true, data, sizeof(data));
	memcpy(alt, data, sizeof(alt));
	alt[999] ^= 1;
	assert_false(feed(&r, &s, 768, 232, false, T0 + 8));
	assert_false(feed_bytes(&r, &s, 768, alt + 768, 232, false, T0 + 9));
	assert_int_equal(r.d.st.overlaps, 32 + 29);
	assert_int_equal(r.d.st.overlap_conflicts, 18);
	assert_false(feed(&r, &s, 0, 512, true, T0 + 10));
	assert_true(feed(&r, &s, 512, 256, true, T0 + 11));
	check_whole(&r, &s, T0 + 11);
	st_is(&r, 12, 3, 0, 1);
	assert_int_equal(r.d.st.inconsistent, 0);
	defrag_free(&r.d);
}

/* ======================================================================
 * Dropped: too big, inconsistent
 * ====================================================================== */

static void test_too_big(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t *data = malloc(65536 + 64);
	assert_non_null(data);
	fill_udp(data, 65536 + 64, 7777, 53, 7);
	struct dgspec s;

	/* IPv4: 20 + 65515 = 65535 bytes is the largest datagram */
	v4spec(&s, 0x0a000001, 0x0a000002, 20, data, 65515);
	w16(data + 4, 65515); /* UDP length */
	assert_false(feed(&r, &s, 0, 32768, true, T0));
	assert_true(feed(&r, &s, 32768, 65515 - 32768, false, T0 + 1));
	check_whole(&r, &s, T0 + 1);
	assert_int_equal(be16(r.out.data + 14 + 2), 65535);
	st_is(&r, 2, 1, 0, 1);

	/* one byte more: the last fragment is too big, the datagram dropped */
	s.id = 21;
	assert_false(feed(&r, &s, 0, 32768, true, T0 + 2));
	assert_false(feed(&r, &s, 32768, 65516 - 32768, false, T0 + 3));
	assert_int_equal(r.d.st.too_big, 1);
	st_is(&r, 4, 1, 0, 1);
	/* a fragment at the largest offset (65528) with 16 bytes, first */
	s.id = 22;
	assert_false(feed(&r, &s, 65528, 16, false, T0 + 4));
	assert_int_equal(r.d.st.too_big, 2);
	assert_int_equal(r.d.st.active, 0);
	/* a fragment far out, after others: the whole datagram goes */
	s.id = 23;
	assert_false(feed(&r, &s, 0, 1480, true, T0 + 5));
	assert_false(feed(&r, &s, 1480, 1480, true, T0 + 6));
	assert_int_equal(r.d.st.active, 1);
	assert_false(feed(&r, &s, 65520, 16, true, T0 + 7));
	assert_int_equal(r.d.st.too_big, 3);
	assert_int_equal(r.d.st.active, 0);
	/* ... and what comes after starts afresh (and does not complete) */
	assert_false(feed(&r, &s, 2960, 100, false, T0 + 8));
	assert_int_equal(r.d.st.active, 1);
	assert_int_equal(r.d.st.reassembled, 1);

	/* IPv6, no extension header: a payload of 65535 bytes fits */
	v6spec(&s, 1, 2, 24, false, data, 65535);
	w16(data + 4, 65535);
	assert_false(feed(&r, &s, 0, 32768, true, T0 + 9));
	assert_true(feed(&r, &s, 32768, 65535 - 32768, false, T0 + 10));
	check_whole(&r, &s, T0 + 10);
	assert_int_equal(be16(r.out.data + 14 + 4), 65535);
	/* 65536 does not */
	s.id = 25;
	assert_false(feed(&r, &s, 0, 32768, true, T0 + 11));
	assert_false(feed(&r, &s, 32768, 32768, false, T0 + 12));
	assert_int_equal(r.d.st.too_big, 4);
	assert_int_equal(r.d.st.active, 1); /* the IPv4 leftover */
	assert_int_equal(r.d.st.reassembled, 2);
	assert_int_equal(r.d.st.inconsistent, 0);
	free(data);
	defrag_free(&r.d);
}

static void test_inconsistent_ends(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[1300];
	fill_udp(data, sizeof(data), 8888, 53, 8);
	w16(data + 4, 1000); /* UDP length */
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 30, data, 1000);

	/* two different last fragments: ends 1000 and 992 */
	assert_false(feed(&r, &s, 0, 256, true, T0));
	assert_false(feed(&r, &s, 768, 232, false, T0 + 1));
	assert_false(feed(&r, &s, 768, 224, false, T0 + 2));
	assert_int_equal(r.d.st.inconsistent, 1);
	st_is(&r, 3, 0, 0, 1);
	/* dropped whole: the rest does not complete it */
	assert_false(feed(&r, &s, 256, 256, true, T0 + 3));
	assert_false(feed(&r, &s, 512, 256, true, T0 + 4));
	st_is(&r, 5, 0, 1, 1);

	/* IPv6: the same, the different end first */
	v6spec(&s, 1, 2, 30, true, data, 1000);
	assert_false(feed(&r, &s, 256, 744, false, T0 + 5));
	assert_false(feed(&r, &s, 768, 232, false, T0 + 6)); /* same end: fine */
	assert_int_equal(r.d.st.inconsistent, 1);
	assert_int_equal(r.d.st.overlaps, 29);
	assert_false(feed(&r, &s, 768, 240, false, T0 + 7));
	assert_int_equal(r.d.st.inconsistent, 2);
	assert_int_equal(r.d.st.active, 1);

	/* data past the end, after the end is known */
	v4spec(&s, 0x0a000001, 0x0a000002, 31, data, 1000);
	assert_false(feed(&r, &s, 768, 232, false, T0 + 8));
	assert_false(feed(&r, &s, 1024, 256, true, T0 + 9));
	assert_int_equal(r.d.st.inconsistent, 3);
	assert_int_equal(r.d.st.active, 1);
	/* data past the end, before the end is known */
	s.id = 32;
	assert_false(feed(&r, &s, 1024, 256, true, T0 + 10));
	assert_int_equal(r.d.st.active, 2);
	assert_false(feed(&r, &s, 768, 232, false, T0 + 11));
	assert_int_equal(r.d.st.inconsistent, 4);
	assert_int_equal(r.d.st.active, 1);
	assert_int_equal(r.d.st.reassembled, 0);
	assert_int_equal(r.d.st.too_big, 0);
	defrag_free(&r.d);
}

static void test_not_multiple_of_8(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[1000];
	fill_udp(data, sizeof(data), 9999, 53, 9);
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 40, data, sizeof(data));

	/* a non-last fragment of 250 bytes: dropped alone */
	assert_false(feed(&r, &s, 0, 256, true, T0));
	assert_false(feed(&r, &s, 256, 250, true, T0 + 1));
	assert_int_equal(r.d.st.inconsistent, 1);
	st_is(&r, 2, 0, 1, 1);
	/* the datagram still completes with the right one */
	assert_false(feed(&r, &s, 768, 232, false, T0 + 2));
	assert_false(feed(&r, &s, 256, 256, true, T0 + 3));
	assert_true(feed(&r, &s, 512, 256, true, T0 + 4));
	check_whole(&r, &s, T0 + 4);
	st_is(&r, 5, 1, 0, 1);
	assert_int_equal(r.d.st.overlaps, 0);

	/* IPv6, the bad one first: nothing is held for it */
	v6spec(&s, 1, 2, 40, false, data, sizeof(data));
	assert_false(feed(&r, &s, 0, 257, true, T0 + 5));
	assert_int_equal(r.d.st.inconsistent, 2);
	st_is(&r, 6, 1, 0, 1);
	assert_false(feed(&r, &s, 0, 512, true, T0 + 6));
	assert_true(feed(&r, &s, 512, 488, false, T0 + 7));
	check_whole(&r, &s, T0 + 7);
	st_is(&r, 8, 2, 0, 1);
	assert_int_equal(r.d.st.inconsistent, 2);
	assert_int_equal(r.d.st.overlaps, 0);
	defrag_free(&r.d);
}

/* ======================================================================
 * Tiny first fragment, atomic fragment
 * ====================================================================== */

static void test_tiny_first(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[220];
	fill_tcp(data, sizeof(data), 40000, 22, 10);
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 50, data, sizeof(data));
	s.proto = 6;

	/* TCP: a first fragment of 8 bytes (ports only), then the rest */
	assert_false(feed(&r, &s, 0, 8, true, T0));
	assert_int_equal(r.d.st.tiny_first, 1);
	assert_true(feed(&r, &s, 8, 212, false, T0 + 1));
	check_whole(&r, &s, T0 + 1);
	assert_int_equal(r.out.tcp_flags, TCP_PSH | TCP_ACK);
	assert_int_equal(r.out.payload_len, 200);
	st_is(&r, 2, 1, 0, 1);

	/* the rest first, then the tiny one */
	s.id = 51;
	assert_false(feed(&r, &s, 8, 212, false, T0 + 2));
	assert_true(feed(&r, &s, 0, 8, true, T0 + 3));
	check_whole(&r, &s, T0 + 3);
	assert_int_equal(r.d.st.tiny_first, 2);

	/* a first fragment of 24 bytes holds the TCP header: not tiny */
	s.id = 52;
	assert_false(feed(&r, &s, 0, 24, true, T0 + 4));
	assert_true(feed(&r, &s, 24, 196, false, T0 + 5));
	check_whole(&r, &s, T0 + 5);
	assert_int_equal(r.d.st.tiny_first, 2);

	/* UDP over IPv6: 8 bytes are enough (not tiny); 0 bytes are */
	fill_udp(data, sizeof(data), 40001, 53, 11);
	v6spec(&s, 1, 2, 53, true, data, sizeof(data));
	assert_false(feed(&r, &s, 0, 8, true, T0 + 6));
	assert_int_equal(r.d.st.tiny_first, 2);
	assert_true(feed(&r, &s, 8, 212, false, T0 + 7));
	check_whole(&r, &s, T0 + 7);
	s.id = 54;
	assert_false(feed(&r, &s, 0, 0, true, T0 + 8));
	assert_int_equal(r.d.st.tiny_first, 3);
	assert_false(feed(&r, &s, 0, 8, true, T0 + 9)); /* not counted again */
	assert_true(feed(&r, &s, 8, 212, false, T0 + 10));
	check_whole(&r, &s, T0 + 10);
	assert_int_equal(r.d.st.tiny_first, 3);
	st_is(&r, 11, 5, 0, 1);
	assert_int_equal(r.d.st.inconsistent, 0);
	assert_int_equal(r.d.st.overlaps, 0);
	defrag_free(&r.d);
}

static void test_atomic_ipv6(void **state)
{
	(void)state;
	uint8_t data[100];
	fill_udp(data, sizeof(data), 1234, 5678, 12);
	struct dgspec s;
	struct decode_stats ds;
	memset(&ds, 0, sizeof(ds));
	for (int hbh = 0; hbh < 2; hbh++) {
		v6spec(&s, 1, 2, 60, hbh, data, sizeof(data));
		/* a fragment header with offset 0 and M clear */
		size_t n = build_frag(&s, 0, NULL, sizeof(data), false, scratch);
		assert_int_equal(n, 14 + 40 + (hbh ? 8 : 0) + 8 + sizeof(data));
		uint8_t *f = malloc(n);
		assert_non_null(f);
		memcpy(f, scratch, n);
		struct pkt p;
		memset(&p, 0, sizeof(p));
		p.data = f;
		p.caplen = p.wirelen = (uint32_t)n;
		assert_true(decode_packet(&p, L_ETH, &ds));
		assert_false(p.flags & PKT_FRAGMENT);
		assert_int_equal(p.l4proto, 17);
		assert_int_equal(p.sport, 1234);
		assert_int_equal(p.dport, 5678);
		assert_int_equal(p.l4_off, n - sizeof(data));
		assert_int_equal(p.payload_len, sizeof(data) - 8);
		free(f);
	}
	assert_int_equal(ds.fragments, 0);
}

/* ======================================================================
 * Timeouts, eviction
 * ====================================================================== */

static void test_timeout_expire(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[1000];
	fill_udp(data, sizeof(data), 1000, 53, 13);
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 70, data, sizeof(data));

	assert_false(feed(&r, &s, 0, 256, true, T0));
	assert_false(feed(&r, &s, 256, 256, true, T0 + 50 * SEC));
	defrag_expire(&r.d, T0 + 60 * SEC); /* exactly the timeout: kept */
	assert_int_equal(r.d.st.timeouts, 0);
	assert_int_equal(r.d.st.active, 1);
	defrag_expire(&r.d, T0 - SEC); /* time going back: nothing happens */
	assert_int_equal(r.d.st.active, 1);
	defrag_expire(&r.d, T0 + 60 * SEC + 1);
	assert_int_equal(r.d.st.timeouts, 1);
	st_is(&r, 2, 0, 0, 1);
	/* the rest comes: the first fragment is gone, no completion */
	assert_false(feed(&r, &s, 512, 256, true, T0 + 61 * SEC));
	assert_false(feed(&r, &s, 768, 232, false, T0 + 61 * SEC));
	assert_false(feed(&r, &s, 256, 256, true, T0 + 61 * SEC));
	st_is(&r, 5, 0, 1, 1);
	/* until it is sent again */
	assert_true(feed(&r, &s, 0, 256, true, T0 + 62 * SEC));
	check_whole(&r, &s, T0 + 62 * SEC);
	st_is(&r, 6, 1, 0, 1);

	/* a shorter timeout */
	defrag_free(&r.d);
	rig_init(&r, 0, 5);
	v6spec(&s, 1, 2, 70, true, data, sizeof(data));
	assert_false(feed(&r, &s, 0, 256, true, T0));
	defrag_expire(&r.d, T0 + 5 * SEC);
	assert_int_equal(r.d.st.active, 1);
	defrag_expire(&r.d, T0 + 6 * SEC);
	assert_int_equal(r.d.st.timeouts, 1);
	assert_int_equal(r.d.st.active, 0);
	defrag_free(&r.d);
}

static void test_timeout_late_fragment(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t a[1000], b[1000];
	fill_udp(a, sizeof(a), 1001, 53, 14);
	fill_udp(b, sizeof(b), 1002, 53, 15);
	struct dgspec sa, sb;
	v4spec(&sa, 0x0a000001, 0x0a000002, 80, a, sizeof(a));
	v6spec(&sb, 1, 2, 80, false, b, sizeof(b));

	assert_false(feed(&r, &sa, 0, 256, true, T0));
	assert_false(feed(&r, &sa, 256, 256, true, T0 + 10 * SEC));
	assert_false(feed(&r, &sb, 0, 256, true, T0 + 30 * SEC));
	st_is(&r, 3, 0, 2, 2);
	/* 70 s after A began: A is dropped before its late fragment is taken,
	 * which starts A afresh; B (40 s old) stays */
	assert_false(feed(&r, &sa, 512, 256, true, T0 + 70 * SEC));
	assert_int_equal(r.d.st.timeouts, 1);
	st_is(&r, 4, 0, 2, 2);
	assert_false(feed(&r, &sa, 768, 232, false, T0 + 70 * SEC));
	st_is(&r, 5, 0, 2, 2);
	/* B completes */
	assert_false(feed(&r, &sb, 256, 512, true, T0 + 80 * SEC));
	assert_true(feed(&r, &sb, 768, 232, false, T0 + 80 * SEC + 5));
	check_whole(&r, &sb, T0 + 80 * SEC + 5);
	st_is(&r, 7, 1, 1, 2);
	/* a fragment of B 100 s later: B is done; the new start of A (70 s) is
	 * 30 s old and stays; B's fragment starts a new B */
	assert_false(feed(&r, &sb, 0, 256, true, T0 + 100 * SEC));
	st_is(&r, 8, 1, 2, 2);
	assert_int_equal(r.d.st.timeouts, 1);
	/* at 131 s the new A (70 s) goes with the next fragment (of another
	 * datagram); the new B (100 s) stays */
	sb.id = 81;
	assert_false(feed(&r, &sb, 0, 256, true, T0 + 131 * SEC));
	assert_int_equal(r.d.st.timeouts, 2);
	st_is(&r, 9, 1, 2, 2);
	defrag_expire(&r.d, T0 + 200 * SEC);
	assert_int_equal(r.d.st.timeouts, 4);
	assert_int_equal(r.d.st.active, 0);
	assert_int_equal(r.d.st.evicted, 0);
	defrag_free(&r.d);
}

static void test_eviction(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 2, 0);
	uint8_t a[1000], b[1000], c[1000];
	fill_udp(a, sizeof(a), 1, 53, 16);
	fill_udp(b, sizeof(b), 2, 53, 17);
	fill_udp(c, sizeof(c), 3, 53, 18);
	struct dgspec sa, sb, sc;
	v4spec(&sa, 0x0a000001, 0x0a000002, 90, a, sizeof(a));
	v4spec(&sb, 0x0a000001, 0x0a000002, 91, b, sizeof(b));
	v6spec(&sc, 1, 2, 92, true, c, sizeof(c));
	uint64_t pool0 = r.d.st.pool_bytes;
	assert_int_equal(pool0, 2 * (DEFRAG_HDR_MAX + DEFRAG_DATA_MAX));

	assert_false(feed(&r, &sa, 0, 256, true, T0));
	assert_false(feed(&r, &sb, 0, 256, true, T0 + 1));
	st_is(&r, 2, 0, 2, 2);
	uint64_t pool2 = r.d.st.pool_bytes;
	assert_true(pool2 > pool0);
	/* C: the oldest (A) goes */
	assert_false(feed(&r, &sc, 0, 256, true, T0 + 2));
	assert_int_equal(r.d.st.evicted, 1);
	st_is(&r, 3, 0, 2, 2);
	/* the newest completes */
	assert_false(feed(&r, &sc, 256, 512, true, T0 + 3));
	assert_true(feed(&r, &sc, 768, 232, false, T0 + 4));
	check_whole(&r, &sc, T0 + 4);
	st_is(&r, 5, 1, 1, 2);
	/* B still there */
	assert_false(feed(&r, &sb, 256, 512, true, T0 + 5));
	assert_true(feed(&r, &sb, 768, 232, false, T0 + 6));
	check_whole(&r, &sb, T0 + 6);
	st_is(&r, 7, 2, 0, 2);
	/* A's rest starts a new A that cannot complete */
	assert_false(feed(&r, &sa, 256, 512, true, T0 + 7));
	assert_false(feed(&r, &sa, 768, 232, false, T0 + 8));
	st_is(&r, 9, 2, 1, 2);
	assert_int_equal(r.d.st.evicted, 1);
	/* many more datagrams: the pool never grows past two trackers */
	for (uint32_t i = 0; i < 20; i++) {
		sc.id = 100 + i;
		assert_false(feed(&r, &sc, 0, 256, true, T0 + 10 + i));
	}
	assert_int_equal(r.d.st.evicted, 1 + 19);
	assert_int_equal(r.d.st.active, 2);
	assert_int_equal(r.d.st.peak_active, 2);
	assert_int_equal(r.d.st.pool_bytes, pool2);
	/* and the newest still completes */
	assert_true(feed(&r, &sc, 256, 744, false, T0 + 40));
	check_whole(&r, &sc, T0 + 40);
	assert_int_equal(r.d.st.no_memory, 0);

	/* max_datagrams 0 is taken as 1 */
	defrag_free(&r.d);
	struct defrag_cfg cfg = {.max_datagrams = 0, .timeout_s = 60};
	char err[64];
	assert_int_equal(defrag_init(&r.d, &cfg, err, sizeof(err)), 0);
	assert_false(feed(&r, &sa, 0, 256, true, T0));
	assert_false(feed(&r, &sb, 0, 256, true, T0));
	assert_int_equal(r.d.st.evicted, 1);
	assert_int_equal(r.d.st.active, 1);
	assert_false(feed(&r, &sb, 256, 512, true, T0));
	assert_true(feed(&r, &sb, 768, 232, false, T0));
	check_whole(&r, &sb, T0);
	defrag_free(&r.d);
}

/* ======================================================================
 * Keys: what keeps datagrams apart
 * ====================================================================== */

/* Feeds two datagrams' fragments interleaved (a0 b0 a1 b1 ...): each must
 * complete with its own bytes. */
static void interleave(struct rig *r, const struct dgspec *a, const struct dgspec *b)
{
	struct fr f[8];
	unsigned n = split(a->len, 256, f);
	assert_int_equal(a->len, b->len);
	uint64_t done = r->d.st.reassembled;
	for (unsigned i = 0; i < n; i++) {
		bool last = i + 1 == n;
		assert_int_equal(feed(r, a, f[i].off, f[i].len, f[i].more, T0 + 2 * i), last);
		if (last)
			check_whole(r, a, T0 + 2 * i);
		else
			assert_int_equal(r->d.st.active, i == 0 ? 1 : 2);
		assert_int_equal(feed(r, b, f[i].off, f[i].len, f[i].more, T0 + 2 * i + 1), last);
		if (last)
			check_whole(r, b, T0 + 2 * i + 1);
		else
			assert_int_equal(r->d.st.active, 2);
	}
	assert_int_equal(r->d.st.reassembled, done + 2);
	assert_int_equal(r->d.st.active, 0);
	assert_int_equal(r->d.st.peak_active, 2);
	assert_int_equal(r->d.st.overlaps, 0);
}

static void test_keys(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t a[1000], b[1000], t[1000];
	fill_udp(a, sizeof(a), 1, 53, 19);
	fill_udp(b, sizeof(b), 2, 53, 20);
	fill_tcp(t, sizeof(t), 3, 80, 21);
	struct dgspec sa, sb;

	/* IPv4: same id, different source */
	v4spec(&sa, 0x0a000001, 0x0a000002, 100, a, sizeof(a));
	v4spec(&sb, 0x0a000003, 0x0a000002, 100, b, sizeof(b));
	interleave(&r, &sa, &sb);
	/* different destination */
	v4spec(&sb, 0x0a000001, 0x0a000004, 100, b, sizeof(b));
	interleave(&r, &sa, &sb);
	/* different protocol */
	v4spec(&sb, 0x0a000001, 0x0a000002, 100, t, sizeof(t));
	sb.proto = 6;
	interleave(&r, &sa, &sb);
	/* IPv6: same id, different destination */
	v6spec(&sa, 1, 2, 100, false, a, sizeof(a));
	v6spec(&sb, 1, 3, 100, true, b, sizeof(b));
	interleave(&r, &sa, &sb);
	/* IPv6 id 100 and IPv4 id 100 between "the same" addresses */
	v4spec(&sa, 0x0a000001, 0x0a000002, 100, a, sizeof(a));
	v6spec(&sb, 1, 2, 100, false, b, sizeof(b));
	memset(sb.src, 0, 16);
	memset(sb.dst, 0, 16);
	w32(sb.src, 0x0a000001);
	w32(sb.dst, 0x0a000002);
	interleave(&r, &sa, &sb);

	/* VLAN 100 and VLAN 200 */
	v4spec(&sa, 0x0a000001, 0x0a000002, 101, a, sizeof(a));
	v4spec(&sb, 0x0a000001, 0x0a000002, 101, b, sizeof(b));
	sa.vlan = 100;
	sb.vlan = 200;
	interleave(&r, &sa, &sb);
	assert_int_equal(r.out.nvlan, 1);
	assert_int_equal(r.out.vlan[0], 200);
	assert_int_equal(r.out.l3_off, 18);
	/* tagged and untagged */
	sb.vlan = -1;
	interleave(&r, &sa, &sb);
	/* IPv6 on VLANs 1 and 2 */
	v6spec(&sa, 1, 2, 101, true, a, sizeof(a));
	v6spec(&sb, 1, 2, 101, true, b, sizeof(b));
	sa.vlan = 1;
	sb.vlan = 2;
	interleave(&r, &sa, &sb);
	assert_int_equal(r.d.st.fragments, 8 * 4 * 2);
	assert_int_equal(r.d.st.inconsistent, 0);
	defrag_free(&r.d);
}

/* The same inner datagram (addresses, id) inside VXLAN VNIs 1 and 2. */
static void test_vxlan_vnis(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t a[1000], b[1000];
	fill_udp(a, sizeof(a), 1, 53, 22);
	fill_udp(b, sizeof(b), 2, 53, 23);
	struct dgspec sa, sb;
	v4spec(&sa, 0x0a010001, 0x0a010002, 110, a, sizeof(a));
	v4spec(&sb, 0x0a010001, 0x0a010002, 110, b, sizeof(b));
	struct fr f[8];
	unsigned n = split(1000, 256, f);
	uint8_t *inner = malloc(FRAME_MAX), *frame = malloc(FRAME_MAX);
	uint8_t *first[2] = {malloc(128), malloc(128)};
	assert_non_null(inner);
	assert_non_null(frame);
	assert_non_null(first[0]);
	assert_non_null(first[1]);
	const size_t prefix = 14 + 20 + 8 + 8 + 14;

	for (int same = 0; same < 2; same++) {
		/* round 1: different bytes in each VNI; round 2: the very same */
		const struct dgspec *s[2] = {&sa, same ? &sa : &sb};
		for (unsigned i = 0; i < n; i++) {
			for (unsigned v = 0; v < 2; v++) {
				size_t in = build_frag(s[v], f[i].off, NULL, f[i].len, f[i].more, inner);
				size_t fn = wrap_vxlan(v + 1, inner, in, frame);
				if (i == 0)
					memcpy(first[v], frame, prefix);
				bool done = feed_frame(&r, frame, fn, T0 + 2 * i + v);
				assert_int_equal(r.frag.ntun, 1);
				assert_int_equal(r.frag.tun[0].id, v + 1);
				assert_int_equal(r.frag.frag.ip_off, prefix);
				assert_int_equal(done, i + 1 == n);
				if (!done) {
					assert_int_equal(r.d.st.active, i == 0 && v == 0 ? 1 : 2);
					continue;
				}
				check_whole_as(&r.out, r.l, r.off, r.key, s[v], NULL, first[v], prefix,
					       T0 + 2 * i + v);
				assert_int_equal(r.out.ntun, 1);
				assert_int_equal(r.out.tun[0].type, TUN_VXLAN);
				assert_int_equal(r.out.tun[0].id, v + 1);
				assert_int_equal(r.out.inner_off, 14 + 20 + 8 + 8);
				assert_int_equal(r.out.wirelen, prefix + 20 + 1000);
				assert_int_equal(r.out.carrier.valid, 1);
				assert_int_equal(r.out.carrier.dport, 4789);
			}
		}
		assert_int_equal(r.d.st.active, 0);
	}
	/* a VNI 1 datagram missing its last fragment, the last in VNI 2: nothing */
	for (unsigned i = 0; i < n; i++) {
		size_t in = build_frag(&sa, f[i].off, NULL, f[i].len, f[i].more, inner);
		size_t fn = wrap_vxlan(i + 1 == n ? 2 : 1, inner, in, frame);
		assert_false(feed_frame(&r, frame, fn, T0 + 100 + i));
	}
	assert_int_equal(r.d.st.active, 2);
	assert_int_equal(r.d.st.reassembled, 4);
	assert_int_equal(r.d.st.peak_active, 2);
	assert_int_equal(r.d.st.overlaps, 0);
	free(inner);
	free(frame);
	free(first[0]);
	free(first[1]);
	defrag_free(&r.d);
}

/* ======================================================================
 * Nested: an outer IPv4 datagram, fragmented, carrying VXLAN with an
 * inner IPv4 fragment
 * ====================================================================== */

struct nested {
	uint8_t inner_data[2000];
	struct dgspec in;    /* 10.1.0.1 -> 10.1.0.2, UDP 5000 -> 6000, id 0x4242 */
	uint8_t *outer_data; /* UDP/VXLAN 42/inner fragment: the outer datagram's data */
	struct dgspec out;   /* 192.0.2.1 -> 192.0.2.2, id 0x0101 */
	uint8_t *whole;      /* the other inner fragment in a whole VXLAN packet */
	size_t whole_len;
};

/* The inner datagram in two fragments, [0,1400) and [1400,2000); the one
 * `carried` (0 or 1) is carried by the fragmented outer datagram, the other
 * by a whole VXLAN packet. */
static void nested_make(struct nested *x, int carried)
{
	fill_udp(x->inner_data, 2000, 5000, 6000, 24);
	v4spec(&x->in, 0x0a010001, 0x0a010002, 0x4242, x->inner_data, 2000);
	uint8_t *inner = malloc(FRAME_MAX);
	x->outer_data = malloc(FRAME_MAX);
	x->whole = malloc(FRAME_MAX);
	assert_non_null(inner);
	assert_non_null(x->outer_data);
	assert_non_null(x->whole);
	size_t n = carried == 0 ? build_frag(&x->in, 0, NULL, 1400, true, inner)
				: build_frag(&x->in, 1400, NULL, 600, false, inner);
	size_t on = vxlan_payload(42, inner, n, x->outer_data);
	v4spec(&x->out, VTEP_A, VTEP_B, 0x0101, x->outer_data, (uint32_t)on);
	n = carried == 0 ? build_frag(&x->in, 1400, NULL, 600, false, inner)
			 : build_frag(&x->in, 0, NULL, 1400, true, inner);
	x->whole_len = wrap_vxlan(42, inner, n, x->whole);
	free(inner);
}

static void nested_free(struct nested *x)
{
	free(x->outer_data);
	free(x->whole);
}

static void test_nested(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	struct nested x;
	nested_make(&x, 0);
	uint32_t on = x.out.len;
	assert_int_equal(on, 8 + 8 + 14 + 20 + 1400);

	/* the inner last fragment, in a whole VXLAN packet */
	assert_false(feed_frame(&r, x.whole, x.whole_len, 1000));
	assert_int_equal(r.frag.ntun, 1);
	assert_int_equal(r.frag.frag.offset, 1400);
	st_is(&r, 1, 0, 1, 1);
	/* the outer datagram in two fragments */
	assert_false(feed(&r, &x.out, 0, 800, true, 2000));
	assert_int_equal(r.frag.ntun, 0);
	st_is(&r, 2, 0, 2, 2);
	assert_true(feed(&r, &x.out, 800, on - 800, false, 3000));
	st_is(&r, 3, 1, 1, 2);

	/* resumed: the outer datagram decodes down to the inner fragment */
	struct pkt a = r.out;
	assert_false(r.key);
	assert_true(a.flags & PKT_FRAGMENT);
	assert_int_equal(r.l, L_IPV4);
	assert_int_equal(r.off, 14);
	assert_int_equal(a.ntun, 1);
	assert_int_equal(a.tun[0].type, TUN_VXLAN);
	assert_int_equal(a.tun[0].id, 42);
	assert_int_equal(a.frag.offset, 0);
	assert_true(a.frag.more);
	assert_int_equal(a.frag.data_len, 1400);
	assert_int_equal(a.frag.id, 0x4242);
	assert_int_equal(a.frag.ip_off, 14 + 20 + 16 + 14);
	assert_int_equal(a.ts_us, 3000);
	assert_int_equal(a.caplen, 14 + 20 + on);
	assert_int_equal(a.wirelen, 14 + 20 + on);
	/* its frame is the outer datagram, whole */
	uint8_t *exp_outer = malloc(FRAME_MAX);
	assert_non_null(exp_outer);
	size_t en = put_link(&x.out, exp_outer);
	en += put_ip(&x.out, false, 0, NULL, on, false, exp_outer + en);
	assert_int_equal(en, a.caplen);
	assert_memory_equal(a.data, exp_outer, en);

	/* the second round: a.data (one output buffer) is the fragment's
	 * source while the other buffer is filled */
	struct pkt b;
	enum layer l;
	uint32_t off;
	assert_true(defrag_add(&r.d, &a, &b, &l, &off));
	st_is(&r, 4, 2, 0, 2);
	assert_ptr_not_equal(a.data, b.data);
	assert_memory_equal(a.data, exp_outer, en); /* the first output intact */
	assert_true(decode_resume(&b, l, off, &r.ds));
	/* the inner datagram behind the outer headers of its first fragment */
	const size_t prefix = 14 + 20 + 16 + 14;
	check_whole_as(&b, l, off, true, &x.in, NULL, exp_outer, prefix, 3000);
	assert_int_equal(b.ntun, 1);
	assert_int_equal(b.tun[0].id, 42);
	assert_int_equal(b.sport, 5000);
	assert_int_equal(b.dport, 6000);
	assert_int_equal(b.l3_len, 2020);
	assert_int_equal(b.wirelen, prefix + 2020);
	assert_int_equal(b.inner_off, 14 + 20 + 16);

	/* the next datagram completed goes where `a` was; `b` stays intact */
	uint8_t *copy_b = malloc(b.caplen);
	assert_non_null(copy_b);
	memcpy(copy_b, b.data, b.caplen);
	uint8_t data[100];
	fill_udp(data, sizeof(data), 7, 8, 25);
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 0x999, data, sizeof(data));
	assert_false(feed(&r, &s, 0, 48, true, 4000));
	assert_true(feed(&r, &s, 48, 52, false, 4001));
	check_whole(&r, &s, 4001);
	assert_ptr_equal(r.out.data, a.data);
	assert_ptr_not_equal(r.out.data, b.data);
	assert_memory_equal(b.data, copy_b, b.caplen);
	st_is(&r, 6, 3, 0, 2);
	no_anomalies(&r);

	free(copy_b);
	free(exp_outer);
	nested_free(&x);
	defrag_free(&r.d);
}

/* What sensor/run.c's handle() does: decode, then reassemble and resume
 * as long as a fragment comes out, into one `whole` packet. */
static bool reader_handle(struct rig *r, const uint8_t *frame, size_t n, uint64_t ts,
			  struct pkt *res, uint8_t *copy_out)
{
	uint8_t *copy = malloc(n);
	assert_non_null(copy);
	memcpy(copy, frame, n);
	struct pkt first;
	memset(&first, 0, sizeof(first));
	first.data = copy;
	first.caplen = first.wirelen = (uint32_t)n;
	first.ts_us = ts;
	struct pkt *p = &first;
	bool key = decode_packet(p, L_ETH, &r->ds);
	struct pkt whole;
	for (int round = 0; !key && (p->flags & PKT_FRAGMENT) && round < DAVY_MAX_TUNNELS;
	     round++) {
		enum layer l;
		uint32_t off;
		if (!defrag_add(&r->d, p, &whole, &l, &off)) {
			free(copy);
			return false;
		}
		whole.cfg = p->cfg;
		p = &whole;
		key = decode_resume(p, l, off, &r->ds);
	}
	if (key) {
		*res = *p;
		memcpy(copy_out, p->data, p->caplen);
	}
	free(copy);
	return key;
}

static void test_nested_like_reader(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	struct nested x;
	uint8_t *got = malloc(FRAME_MAX), *exp = malloc(FRAME_MAX);
	assert_non_null(got);
	assert_non_null(exp);
	struct pkt res;
	const size_t prefix = 14 + 20 + 16 + 14;

	/* the inner first fragment inside the fragmented outer datagram; the
	 * inner last one in a whole packet, before */
	nested_make(&x, 0);
	assert_false(reader_handle(&r, x.whole, x.whole_len, 1000, &res, got));
	size_t n = build_frag(&x.out, 0, NULL, 504, true, scratch);
	assert_false(reader_handle(&r, scratch, n, 2000, &res, got));
	n = build_frag(&x.out, 504, NULL, x.out.len - 504, false, scratch);
	assert_true(reader_handle(&r, scratch, n, 3000, &res, got));
	size_t en = put_link(&x.out, exp);
	en += put_ip(&x.out, false, 0, NULL, x.out.len, false, exp + en);
	res.data = got;
	check_whole_as(&res, L_IPV4, (uint32_t)prefix, true, &x.in, NULL, exp, prefix, 3000);
	st_is(&r, 4, 2, 0, 2);
	nested_free(&x);

	/* the inner last fragment inside the fragmented outer datagram, the
	 * first (offset 0) before in a whole packet: the datagram completes
	 * with the outer datagram's last fragment, at 3000 */
	nested_make(&x, 1);
	assert_false(reader_handle(&r, x.whole, x.whole_len, 1000, &res, got));
	memcpy(exp, x.whole, prefix); /* the first inner fragment's headers */
	n = build_frag(&x.out, 0, NULL, 304, true, scratch);
	assert_false(reader_handle(&r, scratch, n, 2000, &res, got));
	n = build_frag(&x.out, 304, NULL, x.out.len - 304, false, scratch);
	assert_true(reader_handle(&r, scratch, n, 3000, &res, got));
	res.data = got;
	check_whole_as(&res, L_IPV4, (uint32_t)prefix, true, &x.in, NULL, exp, prefix, 3000);
	st_is(&r, 8, 4, 0, 2);
	no_anomalies(&r);
	nested_free(&x);
	free(got);
	free(exp);
	defrag_free(&r.d);
}

/* ======================================================================
 * Stress: 10,000 random datagrams
 * ====================================================================== */

#define STRESS_N 10000
#define STRESS_BATCH 40

struct sdg {
	struct dgspec s;
	uint8_t *data;
	struct fr f[300];
	unsigned nf;
	unsigned seq[320]; /* the order of arrival, duplicates included */
	unsigned nseq, next;
	bool done;
};

static void test_stress(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	struct sdg *g = calloc(STRESS_BATCH, sizeof(*g));
	assert_non_null(g);
	for (unsigned j = 0; j < STRESS_BATCH; j++) {
		g[j].data = malloc(65536);
		assert_non_null(g[j].data);
	}
	rng = 0xc0ffee;
	uint64_t fed = 0, expect_overlaps = 0, dups = 0;
	uint64_t ts = T0;
	unsigned completed = 0;

	for (unsigned base = 0; base < STRESS_N; base += STRESS_BATCH) {
		unsigned nb = STRESS_N - base < STRESS_BATCH ? STRESS_N - base : STRESS_BATCH;
		unsigned left = 0;
		for (unsigned j = 0; j < nb; j++) {
			struct sdg *x = &g[j];
			unsigned i = base + j;
			uint32_t r100 = rnd_below(100), len;
			if (r100 < 90)
				len = 16 + rnd_below(4000);
			else if (r100 < 99)
				len = 4000 + rnd_below(16000);
			else
				len = 20000 + rnd_below(65515 - 20000 + 1);
			fill_udp(x->data, len, (uint16_t)(1024 + i % 50000), 53, i);
			if (rnd_below(2))
				v4spec(&x->s, 0x0a000000 | rnd_below(4), 0x0a010000 | rnd_below(4), i,
				       x->data, len);
			else
				v6spec(&x->s, (uint16_t)rnd_below(4), (uint16_t)rnd_below(4), i,
				       rnd_below(2), x->data, len);
			if (rnd_below(8) == 0)
				x->s.vlan = (int)rnd_below(4);
			/* pieces: random multiples of 8 (lo to cap units), at
			 * least two, at most 251 */
			uint32_t lo = len / 8 / 250 + 1, cap = 1 + rnd_below(200);
			if (cap < lo)
				cap = lo;
			x->nf = 0;
			for (uint32_t off = 0; off < len;) {
				uint32_t sz = 8 * (lo + rnd_below(cap - lo + 1));
				if (off == 0 && sz >= len)
					sz = 8 * (1 + rnd_below((len - 1) / 8));
				struct fr *f = &x->f[x->nf++];
				assert_true(x->nf <= 300);
				f->off = off;
				f->len = sz < len - off ? sz : len - off;
				f->more = off + f->len < len;
				off += f->len;
			}
			assert_true(x->nf >= 2);
			for (unsigned k = 0; k < x->nf; k++)
				x->seq[k] = k;
			shuffle(x->seq, x->nf);
			x->nseq = x->nf;
			/* duplicates of any but the last to arrive, inserted
			 * anywhere before it */
			unsigned nd = rnd_below(4) == 0 ? 1 + rnd_below(3) : 0;
			for (unsigned d = 0; d < nd && x->nseq < 320; d++) {
				unsigned src = x->seq[rnd_below(x->nseq - 1)];
				while (x->seq[x->nseq - 1] == src)
					src = x->seq[rnd_below(x->nseq - 1)];
				unsigned at = rnd_below(x->nseq); /* before the last */
				memmove(&x->seq[at + 1], &x->seq[at],
					(x->nseq - at) * sizeof(x->seq[0]));
				x->seq[at] = src;
				x->nseq++;
				expect_overlaps += (x->f[src].len + 7) / 8;
				dups++;
			}
			x->next = 0;
			x->done = false;
			left += x->nseq;
		}
		/* interleave the datagrams at random */
		while (left) {
			unsigned pick = rnd_below(left), j = 0;
			while (pick >= g[j].nseq - g[j].next) {
				pick -= g[j].nseq - g[j].next;
				j++;
			}
			struct sdg *x = &g[j];
			const struct fr *f = &x->f[x->seq[x->next++]];
			left--;
			bool c = feed(&r, &x->s, f->off, f->len, f->more, ts++);
			fed++;
			assert_int_equal(c, x->next == x->nseq);
			if (c) {
				check_whole(&r, &x->s, ts - 1);
				x->done = true;
				completed++;
			}
		}
		for (unsigned j = 0; j < nb; j++)
			assert_true(g[j].done);
		assert_int_equal(r.d.st.active, 0);
	}
	assert_int_equal(completed, STRESS_N);
	assert_int_equal(r.d.st.reassembled, STRESS_N);
	assert_int_equal(r.d.st.fragments, fed);
	assert_int_equal(r.d.st.active, 0);
	assert_true(r.d.st.peak_active <= STRESS_BATCH);
	assert_true(r.d.st.peak_active >= STRESS_BATCH / 2);
	assert_true(dups > 0);
	assert_int_equal(r.d.st.overlaps, expect_overlaps);
	assert_int_equal(r.d.st.overlap_conflicts, 0);
	assert_int_equal(r.d.st.inconsistent, 0);
	assert_int_equal(r.d.st.too_big, 0);
	assert_int_equal(r.d.st.timeouts, 0);
	assert_int_equal(r.d.st.evicted, 0);
	assert_int_equal(r.d.st.no_memory, 0);
	for (unsigned j = 0; j < STRESS_BATCH; j++)
		free(g[j].data);
	free(g);
	defrag_free(&r.d);
}

/* ======================================================================
 * Regressions: what the contract asks and the code once did not do.
 * Found by these tests; fixed in sensor/defrag.c.
 * ====================================================================== */

/* IPv6 with extension headers before the fragment header: the reassembled
 * payload length (those headers + data) must fit 16 bits. */
static void test_bug_ipv6_payload_too_big(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t *data = malloc(65536);
	assert_non_null(data);
	fill_udp(data, 65535, 1, 2, 26);
	struct dgspec s;
	/* hop-by-hop (8) + 65527 = 65535: fits */
	v6spec(&s, 1, 2, 200, true, data, 65527);
	w16(data + 4, 65527);
	assert_false(feed(&r, &s, 0, 32768, true, T0));
	assert_true(feed(&r, &s, 32768, 65527 - 32768, false, T0 + 1));
	check_whole(&r, &s, T0 + 1);
	/* hop-by-hop (8) + 65535 = 65543: does not */
	s.id = 201;
	s.len = 65535;
	w16(data + 4, 65535);
	assert_false(feed(&r, &s, 0, 32768, true, T0 + 2));
	assert_false(feed(&r, &s, 32768, 65535 - 32768, false, T0 + 3));
	assert_int_equal(r.d.st.too_big, 1);
	assert_int_equal(r.d.st.active, 0);
	free(data);
	defrag_free(&r.d);
}

/* Data past the end inside the last block: [0,16) MF and a last fragment
 * [8,12) -- bytes 12..15 lie past the end whichever comes first. */
static void test_bug_past_end_in_last_block(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r, 0, 0);
	uint8_t data[16];
	fill_udp(data, sizeof(data), 1, 2, 27);
	struct dgspec s;
	v4spec(&s, 0x0a000001, 0x0a000002, 210, data, 12);
	/* the last first: inconsistent (this order works today) */
	assert_false(feed(&r, &s, 8, 4, false, T0));
	assert_false(feed(&r, &s, 0, 16, true, T0 + 1));
	assert_int_equal(r.d.st.inconsistent, 1);
	/* the long one first: must be the same */
	s.id = 211;
	assert_false(feed(&r, &s, 0, 16, true, T0 + 2));
	assert_false(feed(&r, &s, 8, 4, false, T0 + 3));
	assert_int_equal(r.d.st.inconsistent, 2);
	assert_int_equal(r.d.st.reassembled, 0);
	defrag_free(&r.d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4_in_order),
		cmocka_unit_test(test_ipv6_in_order),
		cmocka_unit_test(test_reverse_order),
		cmocka_unit_test(test_last_first),
		cmocka_unit_test(test_random_order),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_overlap_conflict),
		cmocka_unit_test(test_too_big),
		cmocka_unit_test(test_inconsistent_ends),
		cmocka_unit_test(test_not_multiple_of_8),
		cmocka_unit_test(test_tiny_first),
		cmocka_unit_test(test_atomic_ipv6),
		cmocka_unit_test(test_timeout_expire),
		cmocka_unit_test(test_timeout_late_fragment),
		cmocka_unit_test(test_eviction),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_vxlan_vnis),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_nested_like_reader),
		cmocka_unit_test(test_stress),
		cmocka_unit_test(test_bug_ipv6_payload_too_big),
		cmocka_unit_test(test_bug_past_end_in_last_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
