/* dnscache.h - DNS linkage: which names resolved to an address, so that a
 * later connection to that address can be matched as if it carried the name
 * (a TLS session to a pool without SNI, issue 5).
 *
 * How "all workers share the cache" is built: the reader parses DNS answers
 * (it sees every packet in capture order) and hands each address -> names
 * link to every worker through its ordered input queue, at the same place in
 * the packet sequence for all of them. Each worker keeps a private replica,
 * so a lookup takes no lock and no atomic, and a replay links exactly the
 * same flows for any worker count (a cache shared by seqlocks would let a
 * fast worker see an answer a slow one has not, or miss one evicted
 * meanwhile). The cost is one copy of the cache per worker; links are a
 * small share of the traffic.
 *
 * Invariants:
 *  - At most `entries` entries (a power of two), allocated once; the packet
 *    path allocates nothing. Open addressing over a window of DNSCACHE_PROBE
 *    slots. Policy when the window is full: the entry that expires first is
 *    replaced (counted in `evicted_live` when it had not expired yet).
 *  - Time is packet time. An entry expires at the answer's time + its TTL,
 *    clamped to [min_ttl, max_ttl] (defaults 300 s and 86,400 s: clients
 *    keep answers past short TTLs, and a pool connection follows its lookup
 *    by seconds to minutes). An expired entry is never returned.
 *  - Names are lower-case, without a trailing dot, NUL-terminated, at most
 *    DNSCACHE_NAME_MAX - 1 bytes (a DNS name is at most 253).
 *  - The same address answered again replaces its names and expiry (the
 *    latest answer wins).
 */
#ifndef DAVY_DNSCACHE_H
#define DAVY_DNSCACHE_H

#include <stddef.h>
#include <stdint.h>

#define DNSCACHE_NAME_MAX 254
#define DNSCACHE_PROBE 8

/* One link, as the reader sends it: the address, the name whose A/AAAA
 * record gave it, and the question's name when a CNAME chain led there
 * (empty when the same). */
struct dns_link {
	uint8_t ipver;   /* 4 or 6 */
	uint8_t pad[3];
	uint32_t ttl;    /* seconds, as in the answer */
	uint8_t addr[16];
	char name[DNSCACHE_NAME_MAX];
	char query[DNSCACHE_NAME_MAX];
};

struct dnscache_entry {
	uint64_t expires_us; /* 0: free */
	uint8_t ipver;
	uint8_t addr[16];
	char name[DNSCACHE_NAME_MAX];
	char query[DNSCACHE_NAME_MAX];
};

/* only uint64_t counters: counters.h adds them up */
struct dnscache_stats {
	uint64_t links;        /* links put */
	uint64_t updates;      /* of which for an address already cached */
	uint64_t evicted_live; /* entries replaced before they expired */
	uint64_t lookups;
	uint64_t hits;
};

struct dnscache {
	struct dnscache_entry *slot;
	uint64_t mask;
	uint64_t min_ttl_us, max_ttl_us;
	struct dnscache_stats st;
};

/* entries is rounded up to a power of two (at least DNSCACHE_PROBE).
 * Returns 0, or -1 with a message in err. */
int dnscache_init(struct dnscache *c, uint64_t entries, uint32_t min_ttl_s, uint32_t max_ttl_s,
		  char *err, size_t errlen);
void dnscache_free(struct dnscache *c);

/* Records a link seen at now_us. */
void dnscache_put(struct dnscache *c, const struct dns_link *l, uint64_t now_us);

/* The live entry for an address at now_us, or NULL. */
const struct dnscache_entry *dnscache_get(struct dnscache *c, int ipver, const uint8_t *addr,
					  uint64_t now_us);

#endif
