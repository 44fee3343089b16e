/* geo.h - where an address is: country, city, network owner (libmaxminddb).
 *
 * `--geoip PATH` opens a GeoLite2/GeoIP2 City or Country database, or any
 * MMDB with that layout (DB-IP lite, ip-location-db): `country.iso_code`,
 * `city.names.en`. `--asn PATH` opens one in the GeoLite2-ASN layout:
 * `autonomous_system_number`, `autonomous_system_organization`. Either may
 * be given alone. The files are memory-mapped (MMDB_MODE_MMAP) once at
 * start; lookups in an open database are safe from every worker at once
 * (libmaxminddb reads the map only).
 *
 * Skipped ranges (geo_skip): an endpoint in RFC 1918, CGNAT 100.64/10,
 * loopback, link-local, unspecified, multicast, "this network", benchmarking
 * 198.18/15, 240/4, the documentation ranges (192.0.2/24, 198.51.100/24,
 * 203.0.113/24, 2001:db8::/32), IPv6 ULA fc00::/7, link-local fe80::/10,
 * multicast ff00::/8, loopback and unspecified gets no lookup and no `geo`.
 * IPv4-mapped IPv6 addresses are looked at as IPv4.
 *
 * Cost: records are enriched when they are written (a flow's record, its
 * alerts), never per packet, through a per-worker direct-mapped cache
 * (GEO_CACHE_SLOTS entries, about 250 bytes each): a colliding address
 * replaces the slot (counted by the lookups that miss).
 */
#ifndef DAVY_GEO_H
#define DAVY_GEO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <maxminddb.h>

#define GEO_CACHE_SLOTS 4096

struct geo_dbs {
	bool has_city, has_asn;
	MMDB_s city, asn;
};

/* What is known of one address; `found` false: nothing (or skipped). */
struct geo_info {
	bool found;
	char country[4];   /* ISO 3166-1 alpha-2; empty: unknown */
	char city[64];     /* English name; empty: unknown */
	uint32_t asn;      /* 0: unknown */
	char as_org[128];
};

struct geo_stats {
	uint64_t lookups;   /* endpoints asked for (public ones) */
	uint64_t cache_hits;
	uint64_t not_found; /* in no database */
	uint64_t skipped;   /* private or reserved: not looked up */
	uint64_t errors;    /* libmaxminddb errors (a damaged database) */
};

struct geo_slot {
	uint8_t used, ipver;
	uint8_t addr[16];
	struct geo_info info;
};

/* One worker's cache; zeroed memory is an empty cache. */
struct geo_cache {
	struct geo_slot *slot; /* GEO_CACHE_SLOTS */
	struct geo_stats st;
};

/* Opens the databases named (NULL: not used). -1 with a message naming
 * the file and libmaxminddb's reason in err; nothing stays open then. */
int geo_open(struct geo_dbs *g, const char *city_path, const char *asn_path, char *err,
	     size_t errlen);
void geo_close(struct geo_dbs *g);
static inline bool geo_enabled(const struct geo_dbs *g) { return g && (g->has_city || g->has_asn); }

/* True for an address in a skipped range (above). a: 4 or 16 bytes. */
bool geo_skip(int ipver, const uint8_t *a);

int geo_cache_init(struct geo_cache *c, char *err, size_t errlen);
void geo_cache_free(struct geo_cache *c);

/* What the databases say of one address (through the cache); NULL when
 * the address is skipped or in no database. */
const struct geo_info *geo_lookup(struct geo_cache *c, const struct geo_dbs *g, int ipver,
				  const uint8_t *a);

#endif
