/* geo.c - MaxMind enrichment (see include/geo.h). */
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "geo.h"
#include "ioc.h"
#include "reload.h"

static int open_one(MMDB_s *db, const char *opt, const char *path, char *err, size_t errlen)
{
	int rc = MMDB_open(path, MMDB_MODE_MMAP, db);
	if (rc != MMDB_SUCCESS) {
		snprintf(err, errlen, "%s %s: cannot open the database: %s%s%s", opt, path,
			 MMDB_strerror(rc), rc == MMDB_IO_ERROR ? ": " : "",
			 rc == MMDB_IO_ERROR ? strerror(errno) : "");
		return -1;
	}
	return 0;
}

int geo_open(struct geo_dbs *g, const char *city_path, const char *asn_path, char *err,
	     size_t errlen)
{
	memset(g, 0, sizeof(*g));
	if (city_path) {
		if (open_one(&g->city, "--geoip", city_path, err, errlen) != 0)
			return -1;
		g->has_city = true;
	}
	if (asn_path) {
		if (open_one(&g->asn, "--asn", asn_path, err, errlen) != 0) {
			geo_close(g);
			return -1;
		}
		g->has_asn = true;
	}
	return 0;
}

void geo_close(struct geo_dbs *g)
{
	if (g->has_city)
		MMDB_close(&g->city);
	if (g->has_asn)
		MMDB_close(&g->asn);
	g->has_city = g->has_asn = false;
}

/* ---- skipped ranges -------------------------------------------------- */

struct net4 {
	uint32_t net;
	int len;
};

static const struct net4 skip4[] = {
	{ 0x00000000, 8 },  /* "this network" */
	{ 0x0a000000, 8 },  /* RFC 1918 */
	{ 0x64400000, 10 }, /* CGNAT */
	{ 0x7f000000, 8 },  /* loopback */
	{ 0xa9fe0000, 16 }, /* link-local */
	{ 0xac100000, 12 }, /* RFC 1918 */
	{ 0xc0000000, 24 }, /* IETF protocol assignments */
	{ 0xc0000200, 24 }, /* TEST-NET-1 */
	{ 0xc0a80000, 16 }, /* RFC 1918 */
	{ 0xc6120000, 15 }, /* benchmarking */
	{ 0xc6336400, 24 }, /* TEST-NET-2 */
	{ 0xcb007100, 24 }, /* TEST-NET-3 */
	{ 0xe0000000, 4 },  /* multicast */
	{ 0xf0000000, 4 },  /* reserved, broadcast */
};

static bool skip_v4(const uint8_t *a)
{
	uint32_t v = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	for (size_t i = 0; i < sizeof(skip4) / sizeof(skip4[0]); i++)
		if ((v & (~0u << (32 - skip4[i].len))) == skip4[i].net)
			return true;
	return false;
}

bool geo_skip(int ipver, const uint8_t *a)
{
	if (ipver == 4)
		return skip_v4(a);
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a, mapped, 12) == 0)
		return skip_v4(a + 12);
	static const uint8_t zero[15] = { 0 };
	if (memcmp(a, zero, 15) == 0 && (a[15] == 0 || a[15] == 1))
		return true;                          /* :: and ::1 */
	if ((a[0] & 0xfe) == 0xfc)                    /* ULA fc00::/7 */
		return true;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)    /* link-local fe80::/10 */
		return true;
	if (a[0] == 0xff)                             /* multicast */
		return true;
	if (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8) /* documentation */
		return true;
	return false;
}

/* ---- lookups --------------------------------------------------------- */

int geo_cache_init(struct geo_cache *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->slot = calloc(GEO_CACHE_SLOTS, sizeof(*c->slot));
	if (!c->slot) {
		snprintf(err, errlen, "cannot allocate the geo cache");
		return -1;
	}
	return 0;
}

void geo_cache_free(struct geo_cache *c)
{
	free(c->slot);
	c->slot = NULL;
}

static void get_str(MMDB_entry_s *e, char *out, size_t cap, uint64_t *errors, ...)
{
	MMDB_entry_data_s d;
	va_list ap;
	va_start(ap, errors);
	int rc = MMDB_vget_value(e, &d, ap);
	va_end(ap);
	if (rc == MMDB_SUCCESS && d.has_data && d.type == MMDB_DATA_TYPE_UTF8_STRING) {
		size_t n = d.data_size < cap - 1 ? d.data_size : cap - 1;
		memcpy(out, d.utf8_string, n);
		out[n] = '\0';
	} else if (rc != MMDB_SUCCESS && rc != MMDB_LOOKUP_PATH_DOES_NOT_MATCH_DATA_ERROR) {
		(*errors)++;
	}
}

static MMDB_lookup_result_s lookup(const MMDB_s *db, int ipver, const uint8_t *a, int *err)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	if (ipver == 4) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a, 4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a, 16);
	}
	return MMDB_lookup_sockaddr(db, (const struct sockaddr *)&ss, err);
}

static void fill(const struct geo_dbs *g, int ipver, const uint8_t *a, struct geo_info *in,
		 struct geo_stats *st)
{
	memset(in, 0, sizeof(*in));
	int err = MMDB_SUCCESS;
	if (g->has_city) {
		MMDB_lookup_result_s r = lookup(&g->city, ipver, a, &err);
		if (err != MMDB_SUCCESS)
			st->errors++;
		else if (r.found_entry) {
			get_str(&r.entry, in->country, sizeof(in->country), &st->errors, "country",
				"iso_code", NULL);
			get_str(&r.entry, in->city, sizeof(in->city), &st->errors, "city", "names", "en",
				NULL);
		}
	}
	if (g->has_asn) {
		MMDB_lookup_result_s r = lookup(&g->asn, ipver, a, &err);
		if (err != MMDB_SUCCESS)
			st->errors++;
		else if (r.found_entry) {
			MMDB_entry_data_s d;
			int rc = MMDB_get_value(&r.entry, &d, "autonomous_system_number", NULL);
			if (rc == MMDB_SUCCESS && d.has_data && d.type == MMDB_DATA_TYPE_UINT32)
				in->asn = d.uint32;
			get_str(&r.entry, in->as_org, sizeof(in->as_org), &st->errors,
				"autonomous_system_organization", NULL);
		}
	}
	in->found = in->country[0] || in->city[0] || in->asn || in->as_org[0];
}

const struct geo_info *geo_lookup(struct geo_cache *c, const struct geo_dbs *g, int ipver,
				  const uint8_t *a)
{
	if (!geo_enabled(g))
		return NULL;
	if (c->of != g) { /* other databases than the slots' (a reload) */
		if (c->of) {
			memset(c->slot, 0, GEO_CACHE_SLOTS * sizeof(*c->slot));
			c->flushes++;
		}
		c->of = g;
	}
	if (geo_skip(ipver, a)) {
		c->st.skipped++;
		return NULL;
	}
	size_t alen = ipver == 4 ? 4 : 16;
	c->st.lookups++;
	uint32_t h = 2166136261u; /* FNV-1a over the address */
	for (size_t i = 0; i < alen; i++)
		h = (h ^ a[i]) * 16777619u;
	struct geo_slot *s = &c->slot[h % GEO_CACHE_SLOTS];
	if (s->used && s->ipver == ipver && memcmp(s->addr, a, alen) == 0) {
		c->st.cache_hits++;
	} else {
		s->used = 1;
		s->ipver = (uint8_t)ipver;
		memcpy(s->addr, a, alen);
		fill(g, ipver, a, &s->info, &c->st);
		if (!s->info.found)
			c->st.not_found++;
	}
	return s->info.found ? &s->info : NULL;
}

/* ---- reload ---------------------------------------------------------- */

static uint64_t fingerprint(const struct geo_live *l)
{
	return (l->city_path ? ioc_path_fingerprint(l->city_path) : 0) * 0x100000001b3ULL +
	       (l->asn_path ? ioc_path_fingerprint(l->asn_path) : 0);
}

static struct geo_dbs *open_new(const struct geo_live *l, char *err, size_t errlen)
{
	struct geo_dbs *g = malloc(sizeof(*g));
	if (!g) {
		snprintf(err, errlen, "out of memory for the MaxMind databases");
		return NULL;
	}
	if (geo_open(g, l->city_path, l->asn_path, err, errlen) != 0) {
		free(g);
		return NULL;
	}
	return g;
}

int geo_live_init(struct geo_live *l, const char *city_path, const char *asn_path, FILE *log,
		  char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->city_path = city_path;
	l->asn_path = asn_path;
	l->log = log;
	l->fp = fingerprint(l);
	struct geo_dbs *g = open_new(l, err, errlen);
	if (!g)
		return -1;
	atomic_init(&l->cur, g);
	return 0;
}

bool geo_live_reload(void *arg, const char *why)
{
	struct geo_live *l = arg;
	char err[512];
	l->fp = fingerprint(l); /* before opening: a change during the open shows next time */
	struct geo_dbs *g = open_new(l, err, sizeof(err));
	if (!g) {
		l->reload_failures++;
		if (l->log) {
			fprintf(l->log, "davy: MaxMind database reload (%s) failed: %s; still using the previous databases\n",
				why, err);
			fflush(l->log);
		}
		return false;
	}
	/* only this thread writes cur: the relaxed load sees the latest */
	const struct geo_dbs *prev = atomic_load_explicit(&l->cur, memory_order_relaxed);
	g->generation = prev ? prev->generation + 1 : 0;
	struct geo_dbs *old = atomic_exchange_explicit(&l->cur, g, memory_order_acq_rel);
	live_synchronize(); /* no worker still looks up in old */
	geo_close(old);
	free(old);
	l->reloads++;
	if (l->log) {
		fprintf(l->log, "davy: MaxMind databases reopened (%s)\n", why);
		fflush(l->log);
	}
	return true;
}

bool geo_live_changed(void *arg)
{
	struct geo_live *l = arg;
	return fingerprint(l) != l->fp;
}

void geo_live_free(struct geo_live *l)
{
	struct geo_dbs *g = atomic_load(&l->cur);
	if (g) {
		geo_close(g);
		free(g);
	}
	atomic_store(&l->cur, NULL);
}
