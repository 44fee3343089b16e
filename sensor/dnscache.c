/* dnscache.c - a worker's replica of the DNS linkage cache (dnscache.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnscache.h"

int dnscache_init(struct dnscache *c, uint64_t entries, uint32_t min_ttl_s, uint32_t max_ttl_s,
		  char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	uint64_t n = DNSCACHE_PROBE;
	while (n < entries && n < (1ULL << 30))
		n <<= 1;
	c->slot = calloc(n, sizeof(*c->slot));
	if (!c->slot) {
		snprintf(err, errlen, "cannot allocate a DNS cache of %llu entries",
			 (unsigned long long)n);
		return -1;
	}
	c->mask = n - 1;
	c->min_ttl_us = (uint64_t)min_ttl_s * 1000000ULL;
	c->max_ttl_us = (uint64_t)(max_ttl_s < min_ttl_s ? min_ttl_s : max_ttl_s) * 1000000ULL;
	return 0;
}

void dnscache_free(struct dnscache *c)
{
	free(c->slot);
	c->slot = NULL;
}

static uint64_t addr_hash(int ipver, const uint8_t *a)
{
	uint64_t w[2];
	memcpy(w, a, 16);
	uint64_t h = (w[0] * 0x9e3779b97f4a7c15ULL) ^ (w[1] + (uint64_t)ipver) * 0xc2b2ae3d27d4eb4fULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static int same(const struct dnscache_entry *e, int ipver, const uint8_t *a)
{
	return e->ipver == ipver && memcmp(e->addr, a, 16) == 0;
}

void dnscache_put(struct dnscache *c, const struct dns_link *l, uint64_t now_us)
{
	uint64_t h = addr_hash(l->ipver, l->addr);
	struct dnscache_entry *victim = NULL, *hit = NULL;
	for (unsigned i = 0; i < DNSCACHE_PROBE; i++) {
		struct dnscache_entry *e = &c->slot[(h + i) & c->mask];
		if (e->expires_us && same(e, l->ipver, l->addr)) {
			hit = e;
			break;
		}
		if (!victim || e->expires_us < victim->expires_us)
			victim = e; /* free (0) or expired entries come first */
	}
	c->st.links++;
	struct dnscache_entry *e = hit;
	if (hit) {
		c->st.updates++;
	} else {
		e = victim;
		if (e->expires_us > now_us)
			c->st.evicted_live++;
	}
	uint64_t ttl = (uint64_t)l->ttl * 1000000ULL;
	if (ttl < c->min_ttl_us)
		ttl = c->min_ttl_us;
	if (ttl > c->max_ttl_us)
		ttl = c->max_ttl_us;
	e->expires_us = now_us + ttl + 1; /* never 0 */
	e->ipver = l->ipver;
	memcpy(e->addr, l->addr, 16);
	snprintf(e->name, sizeof(e->name), "%.*s", (int)strnlen(l->name, sizeof(l->name)), l->name);
	snprintf(e->query, sizeof(e->query), "%.*s", (int)strnlen(l->query, sizeof(l->query)),
		 l->query);
}

const struct dnscache_entry *dnscache_get(struct dnscache *c, int ipver, const uint8_t *addr,
					  uint64_t now_us)
{
	c->st.lookups++;
	uint64_t h = addr_hash(ipver, addr);
	for (unsigned i = 0; i < DNSCACHE_PROBE; i++) {
		const struct dnscache_entry *e = &c->slot[(h + i) & c->mask];
		if (e->expires_us > now_us && same(e, ipver, addr)) {
			c->st.hits++;
			return e;
		}
	}
	return NULL;
}
