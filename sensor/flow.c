/* flow.c - per-worker flow table: chained hash, slab pool, timeout lists. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "hash.h"

#define FLOW_SLAB 1024

static const char *const state_names[FLOW__STATES] = { "new", "established", "closed" };
static const char *const reason_names[FLOW__REASONS] = { "timeout", "shutdown", "evicted" };
static const char *const pgroup_names[FLOW__PGROUPS] = { "tcp", "udp", "icmp", "other" };

const char *flow_state_name(enum flow_state s) { return state_names[s]; }
const char *flow_reason_name(enum flow_reason r) { return reason_names[r]; }
const char *flow_pgroup_name(enum flow_pgroup g) { return pgroup_names[g]; }

void flow_timeouts_default(struct flow_timeouts *t)
{
	static const uint32_t d[FLOW__PGROUPS][FLOW__STATES] = {
		[FLOW_P_TCP] = { 60, 600, 60 },
		[FLOW_P_UDP] = { 30, 300, 30 },
		[FLOW_P_ICMP] = { 30, 300, 30 },
		[FLOW_P_OTHER] = { 30, 300, 0 },
	};
	memcpy(t->s, d, sizeof(d));
}

static enum flow_pgroup pgroup_of(uint8_t proto)
{
	switch (proto) {
	case 6: return FLOW_P_TCP;
	case 17: return FLOW_P_UDP;
	case 1: case 58: return FLOW_P_ICMP;
	default: return FLOW_P_OTHER;
	}
}

void flow_key_from_pkt(const struct pkt *p, struct flow_key *k, int *side)
{
	memset(k, 0, sizeof(*k));
	bool ports = p->l4proto == 6 || p->l4proto == 17 || p->l4proto == 132;
	uint16_t sp = ports ? p->sport : 0, dp = ports ? p->dport : 0;
	int c = memcmp(p->src, p->dst, 16);
	if (c < 0 || (c == 0 && sp <= dp)) {
		memcpy(k->addr[0], p->src, 16);
		memcpy(k->addr[1], p->dst, 16);
		k->port[0] = sp;
		k->port[1] = dp;
		*side = 0;
	} else {
		memcpy(k->addr[0], p->dst, 16);
		memcpy(k->addr[1], p->src, 16);
		k->port[0] = dp;
		k->port[1] = sp;
		*side = 1;
	}
	for (int i = 0; i < p->nvlan; i++)
		k->vlan[i] = p->vlan[i];
	k->proto = p->l4proto;
	k->ipver = p->ipver;
	uint64_t tid = 0;
	for (unsigned i = 0; i < p->ntun; i++) {
		const struct tunnel *t = &p->tun[i];
		if (!t->has_id || t->type == TUN_MPLS)
			continue; /* labels are per hop, not per tenant */
		tid = (tid * 0x9e3779b97f4a7c15ULL) ^ ((uint64_t)t->type << 32 | t->id);
	}
	k->tunnel_id = tid;
}

bool flow_key_plain(const struct flow_key *k)
{
	for (int i = 0; i < DAVY_MAX_VLAN; i++)
		if (k->vlan[i])
			return false;
	return k->iface == 0 && k->tunnel_id == 0;
}

uint64_t flow_key_dispatch_hash(const struct flow_key *k)
{
	if (flow_key_plain(k))
		return flow_key_hash(k);
	struct flow_key t = *k;
	memset(t.vlan, 0, sizeof(t.vlan));
	t.iface = 0;
	t.tunnel_id = 0;
	return flow_key_hash(&t);
}

uint64_t flow_key_hash(const struct flow_key *k)
{
	uint64_t w[sizeof(*k) / 8];
	memcpy(w, k, sizeof(w));
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (size_t i = 0; i < sizeof(w) / 8; i++)
		h = (h ^ w[i]) * 0x100000001b3ULL + (h >> 29);
	return davy_fmix64(h);
}


int flow_table_init(struct flow_table *t, uint64_t max_flows, const struct flow_timeouts *to,
		    flow_end_fn on_end, void *ctx, char *err, size_t errlen)
{
	memset(t, 0, sizeof(*t));
	if (max_flows < 1)
		max_flows = 1;
	uint64_t n = 1024;
	while (n < max_flows && n < (1ULL << 30))
		n <<= 1;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets) {
		snprintf(err, errlen, "flow table: cannot allocate %llu buckets",
			 (unsigned long long)n);
		return -1;
	}
	t->mask = n - 1;
	t->max_flows = max_flows;
	pool_init(&t->flows, sizeof(struct flow), max_flows, FLOW_SLAB);
	pool_init(&t->tunnels, sizeof(struct flow_tunnels), max_flows, FLOW_SLAB);
	pool_init(&t->dns, sizeof(struct flow_dns), max_flows, 256);
	t->on_end = on_end;
	t->ctx = ctx;
	for (int g = 0; g < FLOW__PGROUPS; g++)
		for (int s = 0; s < FLOW__STATES; s++)
			t->timeout_us[g * FLOW__STATES + s] = (uint64_t)to->s[g][s] * 1000000ULL;
	return 0;
}

static void list_unlink(struct flow_table *t, struct flow *f)
{
	int c = f->tclass;
	if (f->lprev) f->lprev->lnext = f->lnext; else t->head[c] = f->lnext;
	if (f->lnext) f->lnext->lprev = f->lprev; else t->tail[c] = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void list_append(struct flow_table *t, struct flow *f)
{
	int c = f->tclass;
	f->lnext = NULL;
	f->lprev = t->tail[c];
	if (t->tail[c]) t->tail[c]->lnext = f; else t->head[c] = f;
	t->tail[c] = f;
}

static void flow_end(struct flow_table *t, struct flow *f, enum flow_reason why)
{
	t->on_end(t->ctx, f, why);
	t->st.ended[why]++;
	struct flow **pp = &t->buckets[f->hash & t->mask];
	while (*pp && *pp != f)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = f->hnext;
	list_unlink(t, f);
	if (f->tun)
		pool_put(&t->tunnels, f->tun);
	if (f->dns)
		pool_put(&t->dns, f->dns);
	pool_put(&t->flows, f);
	t->st.active--;
}

/* The least recently seen flow: the oldest head of the class lists. */
static struct flow *lru_victim(struct flow_table *t)
{
	struct flow *v = NULL;
	for (int c = 0; c < FLOW_NCLASSES; c++)
		if (t->head[c] && (!v || t->head[c]->last_us < v->last_us))
			v = t->head[c];
	return v;
}

static struct flow *flow_alloc(struct flow_table *t)
{
	if (t->st.active >= t->max_flows) {
		struct flow *v = lru_victim(t);
		if (v)
			flow_end(t, v, FLOW_END_EVICTED);
	}
	struct flow *f = pool_get(&t->flows);
	if (!f) {
		t->st.no_memory++;
		return NULL;
	}
	memset(f, 0, sizeof(*f));
	return f;
}

static inline bool idle_expired(const struct flow_table *t, const struct flow *f, uint64_t now)
{
	return now > f->last_us && now - f->last_us > t->timeout_us[f->tclass];
}

static void tcp_track(struct flow *f, const struct pkt *p, int side)
{
	uint8_t fl = p->tcp_flags;
	if ((fl & (TCP_SYN | TCP_ACK)) == TCP_SYN) {
		if (!(f->tcp_seen & (FLOW_SEEN_SYN | FLOW_SEEN_SYNACK)))
			f->src_side = (uint8_t)side;
		if (side == f->src_side)
			f->isn[side] = p->tcp_seq;
		f->tcp_seen |= FLOW_SEEN_SYN;
	} else if ((fl & (TCP_SYN | TCP_ACK)) == (TCP_SYN | TCP_ACK)) {
		if (!(f->tcp_seen & (FLOW_SEEN_SYN | FLOW_SEEN_SYNACK)))
			f->src_side = (uint8_t)!side;
		if (side != f->src_side)
			f->isn[side] = p->tcp_seq;
		f->tcp_seen |= FLOW_SEEN_SYNACK;
	}
	if (fl & TCP_FIN)
		f->tcp_seen |= side ? FLOW_SEEN_FIN1 : FLOW_SEEN_FIN0;
	if (fl & TCP_RST)
		f->state = FLOW_CLOSED;
	else if ((f->tcp_seen & (FLOW_SEEN_FIN0 | FLOW_SEEN_FIN1)) ==
		 (FLOW_SEEN_FIN0 | FLOW_SEEN_FIN1))
		f->state = FLOW_CLOSED;
}

struct flow *flow_packet(struct flow_table *t, const struct pkt *p, const struct flow_key *k,
			 uint64_t h, int side, bool *created)
{
	struct flow *f = t->buckets[h & t->mask];
	while (f && (f->hash != h || memcmp(&f->key, k, sizeof(*k)) != 0))
		f = f->hnext;
	if (f && idle_expired(t, f, p->ts_us)) {
		flow_end(t, f, FLOW_END_TIMEOUT);
		f = NULL;
	}
	*created = false;
	if (!f) {
		f = flow_alloc(t);
		if (!f)
			return NULL;
		f->key = *k;
		f->hash = h;
		f->first_us = f->last_us = p->ts_us;
		f->src_side = (uint8_t)side;
		f->nvlan = p->nvlan;
		f->icmp_type = p->icmp_type;
		f->icmp_code = p->icmp_code;
		if (p->ntun) {
			f->tun = pool_get(&t->tunnels);
			if (f->tun) {
				f->tun->n = p->ntun;
				memcpy(f->tun->t, p->tun, p->ntun * sizeof(p->tun[0]));
			} else {
				t->st.tunnel_no_memory++;
			}
		}
		f->tclass = (uint8_t)(pgroup_of(k->proto) * FLOW__STATES + FLOW_NEW);
		t->st.pool_bytes = t->flows.bytes + t->tunnels.bytes + t->dns.bytes;
		uint64_t b = h & t->mask;
		f->hnext = t->buckets[b];
		t->buckets[b] = f;
		list_append(t, f);
		t->st.created++;
		if (++t->st.active > t->st.peak_active)
			t->st.peak_active = t->st.active;
		*created = true;
	}

	f->pkts[side]++;
	f->bytes[side] += pkt_inner_len(p);
	if (p->ts_us > f->last_us)
		f->last_us = p->ts_us;
	f->tcp_seen |= side ? FLOW_SEEN_SIDE1 : FLOW_SEEN_SIDE0;
	if (k->proto == 6)
		tcp_track(f, p, side);
	if (f->state == FLOW_NEW &&
	    (f->tcp_seen & (FLOW_SEEN_SIDE0 | FLOW_SEEN_SIDE1)) == (FLOW_SEEN_SIDE0 | FLOW_SEEN_SIDE1))
		f->state = FLOW_ESTABLISHED;

	uint8_t cls = (uint8_t)(pgroup_of(k->proto) * FLOW__STATES + f->state);
	if (cls != f->tclass || t->tail[cls] != f) {
		list_unlink(t, f);
		f->tclass = cls;
		list_append(t, f);
	}
	return f;
}

void flow_link_dns(struct flow_table *t, struct flow *f, const struct dnscache_entry *e)
{
	if (!f->dns) {
		f->dns = pool_get(&t->dns);
		if (!f->dns) {
			t->st.dns_no_memory++;
			return;
		}
		t->st.pool_bytes = t->flows.bytes + t->tunnels.bytes + t->dns.bytes;
		t->st.dns_linked++;
	}
	bool chain = e->query[0] && strcmp(e->query, e->name) != 0;
	snprintf(f->dns->name, sizeof(f->dns->name), "%s", chain ? e->query : e->name);
	snprintf(f->dns->cname, sizeof(f->dns->cname), "%s", chain ? e->name : "");
}

void flow_expire(struct flow_table *t, uint64_t now_us)
{
	for (int c = 0; c < FLOW_NCLASSES; c++) {
		/* lists are in last-seen order; stop at the first live flow */
		while (t->head[c] && idle_expired(t, t->head[c], now_us))
			flow_end(t, t->head[c], FLOW_END_TIMEOUT);
	}
}

void flow_flush(struct flow_table *t, uint64_t now_us)
{
	for (int c = 0; c < FLOW_NCLASSES; c++)
		while (t->head[c])
			flow_end(t, t->head[c], idle_expired(t, t->head[c], now_us)
							? FLOW_END_TIMEOUT : FLOW_END_SHUTDOWN);
}

void flow_table_free(struct flow_table *t)
{
	pool_release(&t->flows);
	pool_release(&t->tunnels);
	pool_release(&t->dns);
	free(t->buckets);
	memset(t, 0, sizeof(*t));
}
