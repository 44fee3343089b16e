/* fuzz_check.h - invariants of a decoded packet and its flow key, shared by
 * the fuzz targets (each target is one .c file; this is included, not
 * linked). A violation prints the packet's fields and abort()s, which
 * libFuzzer reports as a crash with the input saved.
 *
 * The invariants are those the reader relies on: dispatch() in sensor/run.c
 * copies l3_len bytes from l3_off and rebases l4_off and payload_off onto
 * l3_off; the flow table relies on the key being normalised
 * ((addr[0], port[0]) <= (addr[1], port[1])) and its hash symmetric.
 */
#ifndef DAVY_FUZZ_CHECK_H
#define DAVY_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "flow.h"

static const struct pkt *cur_pkt; /* for the report on a violation */

static void violated(const char *what)
{
	const struct pkt *p = cur_pkt;
	fprintf(stderr,
		"fuzz: invariant violated: %s\n"
		"  caplen=%u wirelen=%u flags=0x%x ipver=%u l4proto=%u nvlan=%u\n"
		"  l3_off=%u l3_len=%u l4_off=%u payload_off=%u payload_len=%u\n"
		"  sport=%u dport=%u\n",
		what, p->caplen, p->wirelen, p->flags, p->ipver, p->l4proto, p->nvlan,
		p->l3_off, p->l3_len, p->l4_off, p->payload_off, p->payload_len,
		p->sport, p->dport);
	abort();
}

#define CHECK(cond)                     \
	do {                            \
		if (!(cond))            \
			violated(#cond); \
	} while (0)

/* (addr[0], port[0]) <= (addr[1], port[1]) */
static int key_side_cmp(const struct flow_key *k)
{
	int c = memcmp(k->addr[0], k->addr[1], 16);
	if (c != 0)
		return c;
	return (int)k->port[0] - (int)k->port[1];
}

static void check_key(const struct pkt *p)
{
	struct flow_key k;
	int side = -1;
	flow_key_from_pkt(p, &k, &side);
	uint64_t h = flow_key_hash(&k);

	CHECK(side == 0 || side == 1);
	CHECK(key_side_cmp(&k) <= 0);
	CHECK(k.ipver == p->ipver);
	CHECK(k.proto == p->l4proto);
	for (int i = p->nvlan; i < DAVY_MAX_VLAN; i++)
		CHECK(k.vlan[i] == 0);
	/* the side that sent it is the key side holding its source address */
	CHECK(memcmp(k.addr[side], p->src, 16) == 0);
	CHECK(memcmp(k.addr[!side], p->dst, 16) == 0);

	/* the reverse direction finds the same key and hash, from the other side
	 * (or the same side when both ends are equal) */
	struct pkt r = *p;
	memcpy(r.src, p->dst, 16);
	memcpy(r.dst, p->src, 16);
	r.sport = p->dport;
	r.dport = p->sport;
	struct flow_key rk;
	int rside = -1;
	flow_key_from_pkt(&r, &rk, &rside);
	CHECK(memcmp(&k, &rk, sizeof(k)) == 0);
	CHECK(flow_key_hash(&rk) == h);
	if (key_side_cmp(&k) != 0)
		CHECK(rside == !side);

	/* the hash is a function of the key alone */
	CHECK(flow_key_hash(&k) == h);
}

static void check_pkt(const struct pkt *p)
{
	uint64_t caplen = p->caplen;
	uint64_t l3_end = (uint64_t)p->l3_off + p->l3_len;

	CHECK(p->flags & PKT_HAS_KEY);
	CHECK(!(p->flags & PKT_FRAGMENT));
	CHECK(!!(p->flags & PKT_SNAPPED) == (p->caplen < p->wirelen));
	CHECK(p->ipver == 4 || p->ipver == 6);
	CHECK(p->nvlan <= DAVY_MAX_VLAN);
	for (int i = 0; i < p->nvlan; i++)
		CHECK(p->vlan[i] <= 0x0fff);
	/* IPv4 addresses fill 4 bytes and the rest is zero (decode.h), also for
	 * an inner IPv4 header under an outer IPv6 one */
	if (p->ipver == 4)
		for (int i = 4; i < 16; i++)
			CHECK(p->src[i] == 0 && p->dst[i] == 0);

	/* the captured IP datagram is inside the capture */
	CHECK(l3_end <= caplen);
	CHECK(p->l3_len >= (p->ipver == 4 ? 20u : 40u));
	/* the transport header starts inside the datagram */
	CHECK(p->l4_off >= p->l3_off + (p->ipver == 4 ? 20u : 40u));
	CHECK(p->l4_off <= l3_end);
	/* the payload is inside the datagram (dispatch rebases it onto l3_off) */
	if (p->payload_len > 0) {
		CHECK((uint64_t)p->payload_off + p->payload_len <= caplen);
		CHECK((uint64_t)p->payload_off + p->payload_len <= l3_end);
	}
	if (p->payload_off != 0) {
		CHECK(p->payload_off >= p->l4_off);
		CHECK(p->payload_off <= l3_end);
	}
	/* tunnels: the recorded layers fit, and the carrier's IP datagram that
	 * dispatch_carrier() copies is inside the capture */
	CHECK(p->ntun <= DAVY_MAX_TUNNELS);
	for (int i = 0; i < p->ntun; i++)
		CHECK(p->tun[i].type > TUN_NONE && p->tun[i].type < TUN__COUNT);
	if (p->ntun > 0)
		CHECK(p->inner_off <= caplen);
	if (p->ntun > 0 && p->carrier.valid) {
		CHECK((uint64_t)p->carrier.l3_off + p->carrier.l3_len <= caplen);
		CHECK(p->carrier.l3_off <= p->l3_off);
	}

	/* fixed transport headers before the payload */
	switch (p->l4proto) {
	case 6:
		CHECK(p->payload_off >= p->l4_off + 20);
		break;
	case 17:
		CHECK(p->payload_off == p->l4_off + 8);
		break;
	case 132:
		CHECK(p->payload_off >= p->l4_off + 12);
		break;
	case 1: case 58: /* type, code, checksum; maybe the rest of the header */
		CHECK(p->payload_off >= p->l4_off + 4 && p->payload_off <= p->l4_off + 8);
		break;
	default:
		break;
	}
}

/* Everything checked after decode_packet() returned `keyed` for p. */
static void check_decoded(const struct pkt *p, bool keyed)
{
	cur_pkt = p;
	CHECK(p->err_layer < L__COUNT);
	CHECK(!!(p->flags & PKT_SNAPPED) == (p->caplen < p->wirelen));
	if (!keyed) {
		CHECK(!(p->flags & PKT_HAS_KEY));
		return;
	}
	check_pkt(p);
	check_key(p);
	/* what dispatch() does with the datagram (ASan checks the read) */
	uint8_t *copy = malloc(p->l3_len ? p->l3_len : 1);
	if (copy) {
		memcpy(copy, p->data + p->l3_off, p->l3_len);
		free(copy);
	}
}

#endif
