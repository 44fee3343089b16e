/* alert_limit.c - alerts per source per window of packet time
 * (alert_limit.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert_limit.h"

int alert_limit_init(struct alert_limit *l, uint32_t limit, uint64_t window_us, size_t entries,
		     char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	if (limit == 0 || window_us == 0) {
		snprintf(err, errlen, "alert rate limit: the limit and the window must be > 0");
		return -1;
	}
	size_t nb = 1;
	while (nb * ALERT_LIMIT_WAYS < entries)
		nb <<= 1;
	l->limit = limit;
	l->window_us = window_us;
	l->nbuckets = nb;
	l->e = calloc(nb * ALERT_LIMIT_WAYS, sizeof(*l->e));
	if (!l->e) {
		snprintf(err, errlen, "alert rate limit: no memory for %zu sources",
			 nb * ALERT_LIMIT_WAYS);
		return -1;
	}
	for (int i = 0; i < ALERT_LIMIT_STRIPES; i++)
		pthread_mutex_init(&l->stripe[i], NULL);
	atomic_init(&l->allowed, 0);
	atomic_init(&l->suppressed, 0);
	atomic_init(&l->table_full, 0);
	return 0;
}

void alert_limit_free(struct alert_limit *l)
{
	if (!l->e)
		return;
	for (int i = 0; i < ALERT_LIMIT_STRIPES; i++)
		pthread_mutex_destroy(&l->stripe[i]);
	free(l->e);
	l->e = NULL;
}

static uint64_t addr_hash(uint8_t ipver, const uint8_t *a)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ ipver;
	size_t n = ipver == 4 ? 4 : 16;
	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

bool alert_limit_allow(struct alert_limit *l, uint8_t ipver, const uint8_t addr[16],
		       uint64_t ts_us)
{
	uint8_t key[16] = { 0 };
	memcpy(key, addr, ipver == 4 ? 4 : 16);
	uint64_t win = ts_us / l->window_us;
	size_t b = (size_t)addr_hash(ipver, key) & (l->nbuckets - 1);
	struct alert_limit_entry *way = &l->e[b * ALERT_LIMIT_WAYS];
	pthread_mutex_t *mu = &l->stripe[b % ALERT_LIMIT_STRIPES];
	bool ok;

	pthread_mutex_lock(mu);
	struct alert_limit_entry *hit = NULL, *oldest = NULL;
	for (int i = 0; i < ALERT_LIMIT_WAYS; i++) {
		struct alert_limit_entry *e = &way[i];
		if (e->ipver == ipver && e->window == win && memcmp(e->addr, key, 16) == 0) {
			hit = e;
			break;
		}
		/* the replacement candidate: an empty way, else the oldest window */
		if (e->ipver == 0) {
			if (!oldest || oldest->ipver != 0)
				oldest = e;
		} else if (!oldest || (oldest->ipver != 0 && e->window < oldest->window)) {
			oldest = e;
		}
	}
	if (!hit && (oldest->ipver == 0 || oldest->window < win)) {
		hit = oldest;
		memcpy(hit->addr, key, 16);
		hit->ipver = ipver;
		hit->window = win;
		hit->count = 0;
	}
	if (!hit) {
		ok = true; /* fail open (alert_limit.h) */
		atomic_fetch_add_explicit(&l->table_full, 1, memory_order_relaxed);
	} else {
		ok = hit->count < l->limit;
		if (ok)
			hit->count++;
	}
	pthread_mutex_unlock(mu);
	atomic_fetch_add_explicit(ok ? &l->allowed : &l->suppressed, 1, memory_order_relaxed);
	return ok;
}

size_t alert_limit_bytes(const struct alert_limit *l)
{
	return l->nbuckets * ALERT_LIMIT_WAYS * sizeof(*l->e);
}
