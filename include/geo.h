/* geo.h - where an address is: country, city, network owner (libmaxminddb).
 *
 * `--geoip PATH` opens a GeoLite2/GeoIP2 City or Country database, or any
 * MMDB with that layout (DB-IP lite, ip-location-db): `country.iso_code`,
 * `city.names.en`. `--asn PATH` opens one in the GeoLite2-ASN layout:
 * `autonomous_system_number`, `autonomous_system_organization`. Either may
 * be given alone. The files are memory-mapped (MMDB_MODE_MMAP); lookups in
 * an open database are safe from every worker at once (libmaxminddb reads
 * the map only).
 *
 * Reload (struct geo_live, reload.h): on SIGHUP, and when a file's stat
 * fingerprint changed (checked every --geo-check-interval seconds), both
 * files are opened again into a new `struct geo_dbs`, published with one
 * pointer store; the old one is closed after the grace period. A file that
 * does not open then (missing, half-written, not an MMDB) keeps the
 * databases in use, with a message naming it. Replace files by renaming a
 * complete file into place (geoipupdate does). A worker's cache remembers
 * which databases filled it and empties itself when it sees others.
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

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <maxminddb.h>

#define GEO_CACHE_SLOTS 4096

struct geo_dbs {
	bool has_city, has_asn;
	MMDB_s city, asn;
	uint32_t generation; /* 0 for the first, one more at each reload (geo_live):
			      * workers re-check open flows when it changes */
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
	struct geo_slot *slot;       /* GEO_CACHE_SLOTS */
	const struct geo_dbs *of;    /* the databases the slots came from */
	struct geo_stats st;
	uint64_t flushes;            /* emptied because the databases changed */
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

/* ---- the databases in use, and their reload ---- */

struct geo_live {
	_Atomic(struct geo_dbs *) cur;
	const char *city_path, *asn_path; /* NULL: not used; outlive the struct */
	FILE *log;
	uint64_t fp;                      /* stat fingerprint before the last open */
	/* written by the reloader thread; read by others after it stopped */
	_Atomic uint64_t reloads, reload_failures; /* the reloader writes, stats read */
};

/* Opens the databases (geo_open); -1 with the reason in err. */
int geo_live_init(struct geo_live *l, const char *city_path, const char *asn_path, FILE *log,
		  char *err, size_t errlen);
/* Reload items (reload.h); arg is a `struct geo_live *`. */
bool geo_live_reload(void *arg, const char *why);
bool geo_live_changed(void *arg);
/* After the reloader stopped and every reader ended. */
void geo_live_free(struct geo_live *l);

/* The databases in use; valid until the reader's next quiescent state. */
static inline const struct geo_dbs *geo_live_get(struct geo_live *l)
{
	return l ? atomic_load_explicit(&l->cur, memory_order_acquire) : NULL;
}

#endif
