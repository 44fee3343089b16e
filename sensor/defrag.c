/* defrag.c - IPv4/IPv6 reassembly (see defrag.h for the contract). */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "defrag.h"

#define BLOCKS ((DEFRAG_DATA_MAX + 7) / 8)

struct dg_key {
	uint8_t src[16], dst[16];
	uint64_t ctx;   /* VLAN tags and tunnel layers around the datagram */
	uint32_t id;
	uint8_t ipver, proto;
	uint16_t pad;
};

struct defrag_dg {
	struct dg_key key;
	uint64_t hash;
	struct defrag_dg *hnext;
	struct defrag_dg *older, *newer;
	uint64_t first_us;
	uint32_t total;       /* data bytes, known once the last fragment came */
	uint32_t blocks;      /* 8-byte blocks held */
	uint32_t prefix_len;  /* bytes before the IP header (first fragment) */
	uint32_t hdr_len;     /* IP header, or IPv6 unfragmentable part */
	uint32_t nh_off;      /* IPv6: naming byte, from the IP header's start */
	uint8_t have_last, have_first;
	struct pkt state;     /* the first fragment's decode, up to its IP header */
	uint8_t bitmap[(BLOCKS + 7) / 8];
	uint8_t head[DEFRAG_HDR_MAX];
	uint8_t data[DEFRAG_DATA_MAX + 8];
};

void defrag_cfg_default(struct defrag_cfg *c)
{
	c->max_datagrams = 256;
	c->timeout_s = 60;
}

int defrag_init(struct defrag *d, const struct defrag_cfg *cfg, char *err, size_t errlen)
{
	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	if (d->cfg.max_datagrams < 1)
		d->cfg.max_datagrams = 1;
	uint64_t n = 64;
	while (n < 2ULL * d->cfg.max_datagrams && n < (1ULL << 24))
		n <<= 1;
	d->buckets = calloc(n, sizeof(*d->buckets));
	d->out[0] = malloc(DEFRAG_HDR_MAX + DEFRAG_DATA_MAX);
	d->out[1] = malloc(DEFRAG_HDR_MAX + DEFRAG_DATA_MAX);
	if (!d->buckets || !d->out[0] || !d->out[1]) {
		snprintf(err, errlen, "defrag: out of memory");
		defrag_free(d);
		return -1;
	}
	d->mask = n - 1;
	d->st.pool_bytes = 2 * (DEFRAG_HDR_MAX + DEFRAG_DATA_MAX);
	return 0;
}

static void free_list(struct defrag_dg *g, int by_hash)
{
	while (g) {
		struct defrag_dg *n = by_hash ? g->hnext : g->newer;
		free(g);
		g = n;
	}
}

void defrag_free(struct defrag *d)
{
	free_list(d->oldest, 0);
	free_list(d->free, 1);
	free(d->buckets);
	free(d->out[0]);
	free(d->out[1]);
	memset(d, 0, sizeof(*d));
}

static inline uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 32);
}

static void make_key(const struct pkt *p, struct dg_key *k, uint64_t *hash)
{
	memset(k, 0, sizeof(*k));
	memcpy(k->src, p->src, 16);
	memcpy(k->dst, p->dst, 16);
	k->id = p->frag.id;
	k->ipver = p->ipver;
	k->proto = p->ipver == 4 ? p->frag.proto : 0;
	uint64_t c = p->nvlan;
	for (unsigned i = 0; i < p->nvlan; i++)
		c = mix(c, p->vlan[i]);
	for (unsigned i = 0; i < p->ntun; i++) {
		const struct tunnel *t = &p->tun[i];
		c = mix(c, (uint64_t)t->type << 40 | (uint64_t)t->has_id << 32 | t->id);
		for (int j = 0; j < 16; j += 8) {
			uint64_t a, b;
			memcpy(&a, t->src + j, 8);
			memcpy(&b, t->dst + j, 8);
			c = mix(mix(c, a), b);
		}
	}
	k->ctx = c;
	uint64_t w[sizeof(*k) / 8];
	memcpy(w, k, sizeof(w));
	uint64_t h = 0;
	for (size_t i = 0; i < sizeof(w) / 8; i++)
		h = mix(h, w[i]);
	*hash = h;
}

static void unlink_dg(struct defrag *d, struct defrag_dg *g)
{
	struct defrag_dg **pp = &d->buckets[g->hash & d->mask];
	while (*pp && *pp != g)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = g->hnext;
	if (g->older) g->older->newer = g->newer; else d->oldest = g->newer;
	if (g->newer) g->newer->older = g->older; else d->newest = g->older;
	g->hnext = d->free;
	d->free = g;
	d->st.active--;
}

void defrag_expire(struct defrag *d, uint64_t now_us)
{
	uint64_t t = (uint64_t)d->cfg.timeout_s * 1000000ULL;
	while (d->oldest && now_us > d->oldest->first_us && now_us - d->oldest->first_us > t) {
		d->st.timeouts++;
		unlink_dg(d, d->oldest);
	}
}

static struct defrag_dg *get_dg(struct defrag *d)
{
	if (d->st.active >= d->cfg.max_datagrams && d->oldest) {
		d->st.evicted++;
		unlink_dg(d, d->oldest);
	}
	struct defrag_dg *g = d->free;
	if (g) {
		d->free = g->hnext;
	} else if (d->have < d->cfg.max_datagrams) {
		g = malloc(sizeof(*g));
		if (!g)
			return NULL;
		d->have++;
		d->st.pool_bytes += sizeof(*g);
	} else {
		return NULL;
	}
	return g;
}

/* True when a block at or past `end` is already held. */
static bool has_beyond(const struct defrag_dg *g, uint32_t end)
{
	/* a held block at end / 8 reaches past end even when end is not a
	 * multiple of 8: only the last fragment can fill part of a block */
	for (uint32_t b = end / 8; b < BLOCKS; b++)
		if (g->bitmap[b / 8] & (1u << (b % 8)))
			return true;
	return false;
}

static uint32_t min_transport(uint8_t proto)
{
	switch (proto) {
	case 6: return 20;
	case 17: return 8;
	case 132: return 12;
	case 1: case 58: return 4;
	default: return 0;
	}
}

/* Builds the whole frame of a complete datagram into an output buffer. */
static void assemble(struct defrag *d, struct defrag_dg *g, const struct pkt *last,
		     struct pkt *out, enum layer *layer, uint32_t *off)
{
	uint64_t ts = last->ts_us; /* `last` may be `out` itself: read it first */
	uint8_t *o = d->out[d->out_next];
	d->out_next ^= 1;
	uint32_t hl = g->prefix_len + g->hdr_len;
	memcpy(o, g->head, hl);
	memcpy(o + hl, g->data, g->total);
	uint8_t *ip = o + g->prefix_len;
	if (g->key.ipver == 4) {
		uint32_t tot = g->hdr_len + g->total;
		ip[2] = (uint8_t)(tot >> 8);
		ip[3] = (uint8_t)tot;
		ip[6] &= 0x40; /* keep DF; clear MF and the offset */
		ip[7] = 0;
	} else {
		uint32_t plen = g->hdr_len - 40 + g->total;
		ip[4] = (uint8_t)(plen >> 8);
		ip[5] = (uint8_t)plen;
		ip[g->nh_off] = g->key.proto ? g->key.proto : g->state.frag.proto;
	}
	memcpy(out, &g->state, PKT_SIZE(g->state.ntun));
	out->data = o;
	out->caplen = out->wirelen = hl + g->total;
	out->ts_us = ts;
	out->flags = 0;
	/* a tunnel carrier around the datagram was described by the offset-0
	 * fragment's frame: keep it inside this one */
	if (out->carrier.valid && out->carrier.l3_off >= out->caplen)
		out->carrier.valid = 0;
	else if (out->carrier.valid && out->carrier.l3_len > out->caplen - out->carrier.l3_off)
		out->carrier.l3_len = out->caplen - out->carrier.l3_off;
	*layer = g->key.ipver == 4 ? L_IPV4 : L_IPV6;
	*off = g->prefix_len;
	d->st.reassembled++;
}

bool defrag_add(struct defrag *d, const struct pkt *p, struct pkt *out, enum layer *layer,
		uint32_t *off)
{
	d->st.fragments++;
	defrag_expire(d, p->ts_us);

	const struct pkt *f = p;
	uint32_t foff = f->frag.offset, flen = f->frag.data_len;
	if (f->frag.more && (flen % 8) != 0) {
		d->st.inconsistent++; /* RFC 8200 4.5: such a fragment is discarded */
		return false;
	}

	struct dg_key k;
	uint64_t h;
	make_key(f, &k, &h);
	struct defrag_dg *g = d->buckets[h & d->mask];
	while (g && (g->hash != h || memcmp(&g->key, &k, sizeof(k)) != 0))
		g = g->hnext;
	if (!g) {
		g = get_dg(d);
		if (!g) {
			d->st.no_memory++;
			return false;
		}
		memset(g, 0, offsetof(struct defrag_dg, head));
		g->key = k;
		g->hash = h;
		g->first_us = p->ts_us;
		g->hnext = d->buckets[h & d->mask];
		d->buckets[h & d->mask] = g;
		g->older = d->newest;
		if (d->newest) d->newest->newer = g; else d->oldest = g;
		d->newest = g;
		if (++d->st.active > d->st.peak_active)
			d->st.peak_active = d->st.active;
	}

	/* IPv4: header + data <= 65535; IPv6: payload length = extension
	 * headers before the fragment header + data <= 65535 */
	uint32_t hmax = f->ipver == 4 ? f->frag.hdr_len : f->frag.hdr_len - 40;
	if ((uint64_t)foff + flen + hmax > DEFRAG_DATA_MAX) {
		d->st.too_big++;
		unlink_dg(d, g);
		return false;
	}
	uint32_t end = foff + flen;
	if (!f->frag.more) {
		if ((g->have_last && g->total != end) || (!g->have_last && has_beyond(g, end))) {
			d->st.inconsistent++;
			unlink_dg(d, g);
			return false;
		}
		g->have_last = 1;
		g->total = end;
	} else if (g->have_last && end > g->total) {
		d->st.inconsistent++;
		unlink_dg(d, g);
		return false;
	}

	if (foff == 0 && !g->have_first) {
		uint32_t pl = f->frag.ip_off, hl = f->frag.hdr_len;
		if (pl + hl > DEFRAG_HDR_MAX) {
			d->st.too_big++;
			unlink_dg(d, g);
			return false;
		}
		memcpy(g->head, f->data, pl + hl);
		g->prefix_len = pl;
		g->hdr_len = hl;
		g->nh_off = f->frag.nh_off ? f->frag.nh_off - f->frag.ip_off : 0;
		memcpy(&g->state, f, PKT_SIZE(f->ntun));
		g->have_first = 1;
		if (flen < min_transport(f->frag.proto))
			d->st.tiny_first++;
	}

	const uint8_t *src = f->data + f->frag.data_off;
	for (uint32_t b = foff / 8; b * 8 < end; b++) {
		uint32_t s = b * 8, n = end - s < 8 ? end - s : 8;
		if (g->bitmap[b / 8] & (1u << (b % 8))) {
			d->st.overlaps++;
			if (memcmp(g->data + s, src + (s - foff), n) != 0)
				d->st.overlap_conflicts++;
			continue; /* first wins */
		}
		memcpy(g->data + s, src + (s - foff), n);
		g->bitmap[b / 8] |= (uint8_t)(1u << (b % 8));
		g->blocks++;
	}

	if (!g->have_last || !g->have_first || g->blocks != (g->total + 7) / 8)
		return false;
	/* the header that will carry the length is the offset-0 fragment's,
	 * which can be longer than the one checked fragment by fragment */
	uint32_t len_field = g->key.ipver == 4 ? g->hdr_len + g->total : g->hdr_len - 40 + g->total;
	if (len_field > DEFRAG_DATA_MAX) {
		d->st.too_big++;
		unlink_dg(d, g);
		return false;
	}
	assemble(d, g, p, out, layer, off);
	unlink_dg(d, g);
	return true;
}
