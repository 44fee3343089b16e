/* ioc.c - the indicator set: feed files read through proto/feed.c into
 * arenas and hash tables, and the read-only lookups (contract, formats and
 * matching rules: ioc.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "feed.h"
#include "ioc.h"

#define ARENA_FIRST (16u << 10) /* the first arena chunk; each next one twice */
#define ARENA_CHUNK (1u << 20)  /* ... up to this */
#define BLOCK_SHIFT 12          /* indicators per block: 4096 */
#define BLOCK (1u << BLOCK_SHIFT)
#define READ_BUF (64u << 10)    /* file read buffer (> 2 lines) */
#define HTAB_MIN 16
#define TOP24_BYTES ((1u << 24) / 8)
#define TOP16_BYTES ((1u << 16) / 8)

/* ---- arena: strings that live as long as the set ---- */

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	char data[];
};

struct arena {
	struct arena_chunk *head; /* the chunk being filled */
	size_t bytes;
	size_t next;              /* size of the next chunk */
};

/* A NUL-terminated copy of s[0..n), or NULL when out of memory. */
static char *arena_strdup(struct arena *a, const char *s, size_t n)
{
	struct arena_chunk *c = a->head;
	if (!c || c->cap - c->used < n + 1) {
		if (a->next < ARENA_FIRST)
			a->next = ARENA_FIRST;
		bool own = n + 1 > a->next / 4; /* a big string gets a chunk of its own */
		size_t cap = own ? n + 1 : a->next;
		c = malloc(sizeof(*c) + cap);
		if (!c)
			return NULL;
		c->cap = cap;
		c->used = 0;
		if (!own && a->next < ARENA_CHUNK)
			a->next *= 2;
		if (!own || !a->head) {
			c->next = a->head;
			a->head = c;
		} else { /* a big string's own chunk: the head keeps its room */
			c->next = a->head->next;
			a->head->next = c;
		}
		a->bytes += sizeof(*c) + cap;
	}
	char *p = c->data + c->used;
	memcpy(p, s, n);
	p[n] = '\0';
	c->used += n + 1;
	return p;
}

static void arena_free(struct arena *a)
{
	struct arena_chunk *c = a->head;
	while (c) {
		struct arena_chunk *next = c->next;
		free(c);
		c = next;
	}
	a->head = NULL;
	a->bytes = 0;
}

/* ---- hashing ---- */

#define FNV_OFFSET 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static inline int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static inline bool is_alnum(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static inline uint32_t hash_final(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return (uint32_t)(h >> 32);
}

/* FNV-1a over the bytes from the last to the first, so that the hashes of
 * all suffixes of a name come out of one pass (ioc_find_domain()). */
static uint32_t str_hash(const char *s, size_t n, bool fold)
{
	uint64_t h = FNV_OFFSET;
	for (size_t i = n; i-- > 0;)
		h = (h ^ (uint64_t)(fold ? lc((unsigned char)s[i]) : (unsigned char)s[i])) * FNV_PRIME;
	return hash_final(h);
}

static uint32_t net_hash(const uint8_t *a, size_t n, unsigned plen)
{
	uint64_t h = FNV_OFFSET ^ plen;
	for (size_t i = 0; i < n; i++)
		h = (h ^ a[i]) * FNV_PRIME;
	return hash_final(h);
}

static bool mem_eq_fold(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)b[i]))
			return false;
	return true;
}

/* Which string types compare ignoring ASCII case (stored lower-case, but
 * agents as given). */
static bool type_folds(int type)
{
	return type == IOC_DOMAIN || type == IOC_JA3 || type == IOC_AGENT;
}

/* ---- hash tables: open addressing, (hash, ref) slots, ref 0 empty ---- */

struct hslot {
	uint32_t h;
	uint32_t ref; /* indicator index + 1 (or string index + 1) */
};

struct htab {
	struct hslot *slot;
	uint32_t mask; /* slots - 1; 0 with slot NULL */
	uint32_t used;
};

/* Room for one more entry at a load of at most 1/2. 0, or -1. */
static int htab_reserve(struct htab *t)
{
	if (t->slot && (t->used + 1) * 2 <= t->mask + 1)
		return 0;
	uint32_t size = t->slot ? (t->mask + 1) * 2 : HTAB_MIN;
	if (size == 0 || size > (1u << 31))
		return -1;
	struct hslot *ns = calloc(size, sizeof(*ns));
	if (!ns)
		return -1;
	uint32_t mask = size - 1;
	if (t->slot) {
		for (uint32_t i = 0; i <= t->mask; i++) {
			if (!t->slot[i].ref)
				continue;
			uint32_t j = t->slot[i].h & mask;
			while (ns[j].ref)
				j = (j + 1) & mask;
			ns[j] = t->slot[i];
		}
		free(t->slot);
	}
	t->slot = ns;
	t->mask = mask;
	return 0;
}

/* After htab_reserve(). */
static void htab_insert(struct htab *t, uint32_t h, uint32_t ref)
{
	uint32_t j = h & t->mask;
	while (t->slot[j].ref)
		j = (j + 1) & t->mask;
	t->slot[j].h = h;
	t->slot[j].ref = ref;
	t->used++;
}

static size_t htab_bytes(const struct htab *t)
{
	return t->slot ? (size_t)(t->mask + 1) * sizeof(struct hslot) : 0;
}

/* ---- the set ---- */

struct ioc_set {
	struct ioc **blocks;           /* BLOCK indicators each */
	size_t nblocks, cap_blocks;
	uint32_t count;
	uint64_t max;
	struct arena arena;
	/* interned feed/category/source/description strings */
	struct htab strs;
	const char **strv;
	uint32_t nstr, cap_strv;
	/* exact tables of the string types, by type (domain included) */
	struct htab exact[IOC_TYPE__COUNT];
	/* addresses and networks: [family 4, 6][prefix length] */
	struct htab net[2][129];
	uint8_t lens[2][129];          /* lengths present, longest first */
	uint8_t nlens[2];
	/* filters: a bit per value of an address's top 24 (16) bits, set when
	 * a network of length >= 24 (16..23) starts there; NULL until one */
	uint8_t *top24[2];             /* 2^24 bits */
	uint8_t *top16[2];             /* 2^16 bits */
	uint32_t *ports;               /* 65536 refs, NULL until a port */
	uint8_t image_lens[32];        /* bit n: an image indicator n bytes long */
	uint32_t *agents;              /* refs, load order */
	uint32_t nagents, cap_agents;
	struct ioc_opts opts;
	struct ioc_stats stats;
	uint32_t generation;           /* ioc_set_generation() */
};

static inline const struct ioc *at(const struct ioc_set *s, uint32_t ref)
{
	uint32_t i = ref - 1;
	return &s->blocks[i >> BLOCK_SHIFT][i & (BLOCK - 1)];
}

struct ioc_set *ioc_set_new(const struct ioc_opts *opts)
{
	struct ioc_set *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	if (opts)
		s->opts = *opts;
	s->max = s->opts.max_indicators ? s->opts.max_indicators : IOC_MAX_INDICATORS;
	if (s->max > IOC_MAX_INDICATORS_HARD)
		s->max = IOC_MAX_INDICATORS_HARD;
	if (!s->opts.max_messages)
		s->opts.max_messages = IOC_MAX_MESSAGES;
	return s;
}

void ioc_set_free(struct ioc_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nblocks; i++)
		free(s->blocks[i]);
	free(s->blocks);
	arena_free(&s->arena);
	free(s->strs.slot);
	free(s->strv);
	for (int t = 0; t < IOC_TYPE__COUNT; t++)
		free(s->exact[t].slot);
	for (int f = 0; f < 2; f++)
		for (int l = 0; l <= 128; l++)
			free(s->net[f][l].slot);
	for (int f = 0; f < 2; f++) {
		free(s->top24[f]);
		free(s->top16[f]);
	}
	free(s->ports);
	free(s->agents);
	free(s);
}

size_t ioc_set_count(const struct ioc_set *s)
{
	return s ? s->count : 0;
}

uint32_t ioc_set_generation(const struct ioc_set *s)
{
	return s ? s->generation : 0;
}

void ioc_set_set_generation(struct ioc_set *s, uint32_t g)
{
	s->generation = g;
}

const struct ioc *ioc_set_at(const struct ioc_set *s, size_t i)
{
	if (!s || i >= s->count)
		return NULL;
	return at(s, (uint32_t)i + 1);
}

const struct ioc_stats *ioc_set_stats(const struct ioc_set *s)
{
	return &s->stats;
}

size_t ioc_set_bytes(const struct ioc_set *s)
{
	size_t b = sizeof(*s) + s->arena.bytes + s->nblocks * BLOCK * sizeof(struct ioc) +
		   s->cap_blocks * sizeof(*s->blocks) + htab_bytes(&s->strs) +
		   s->cap_strv * sizeof(*s->strv) + s->cap_agents * sizeof(*s->agents);
	for (int t = 0; t < IOC_TYPE__COUNT; t++)
		b += htab_bytes(&s->exact[t]);
	for (int f = 0; f < 2; f++)
		for (int l = 0; l <= 128; l++)
			b += htab_bytes(&s->net[f][l]);
	if (s->ports)
		b += 65536 * sizeof(*s->ports);
	for (int f = 0; f < 2; f++)
		b += (s->top24[f] ? TOP24_BYTES : 0) + (s->top16[f] ? TOP16_BYTES : 0);
	return b;
}

const char *ioc_type_name(int type)
{
	static const char *const names[IOC_TYPE__COUNT] = {
		[IOC_NONE] = "none",     [IOC_IP] = "ip",       [IOC_CIDR] = "cidr",
		[IOC_DOMAIN] = "domain", [IOC_PORT] = "port",   [IOC_JA3] = "ja3",
		[IOC_WALLET] = "wallet", [IOC_AGENT] = "agent", [IOC_URL] = "url",
		[IOC_ASN] = "asn",       [IOC_IMAGE] = "image", [IOC_NAMESPACE] = "namespace",
	};
	return type > 0 && type < IOC_TYPE__COUNT ? names[type] : "none";
}

const char *ioc_severity_name(int sev)
{
	switch (sev) {
	case IOC_SEV_LOW: return "low";
	case IOC_SEV_MEDIUM: return "medium";
	case IOC_SEV_HIGH: return "high";
	default: return "none";
	}
}

/* ---- lookups (const) ---- */

/* the ref of the indicator of table t with hash h whose value is s[0..n) */
static uint32_t find_str(const struct ioc_set *s, const struct htab *t, uint32_t h, const char *str,
			 size_t n, bool fold)
{
	if (!t->slot)
		return 0;
	for (uint32_t j = h & t->mask;; j = (j + 1) & t->mask) {
		const struct hslot *sl = &t->slot[j];
		if (!sl->ref)
			return 0;
		if (sl->h != h)
			continue;
		const struct ioc *c = at(s, sl->ref);
		if (c->value_len == n &&
		    (fold ? mem_eq_fold(c->value, str, n) : memcmp(c->value, str, n) == 0))
			return sl->ref;
	}
}

/* a (masked) network of length plen in family index fi */
static uint32_t find_net(const struct ioc_set *s, int fi, const uint8_t *a, unsigned plen)
{
	const struct htab *t = &s->net[fi][plen];
	if (!t->slot)
		return 0;
	size_t n = fi ? 16 : 4;
	uint32_t h = net_hash(a, n, plen);
	for (uint32_t j = h & t->mask;; j = (j + 1) & t->mask) {
		const struct hslot *sl = &t->slot[j];
		if (!sl->ref)
			return 0;
		if (sl->h != h)
			continue;
		const struct ioc *c = at(s, sl->ref);
		if (c->prefix == plen && memcmp(c->addr, a, n) == 0)
			return sl->ref;
	}
}

static void mask_addr(uint8_t *out, const uint8_t *a, size_t n, unsigned plen)
{
	size_t full = plen / 8;
	memcpy(out, a, full);
	if (full < n) {
		out[full] = plen % 8 ? (uint8_t)(a[full] & (0xff00u >> (plen % 8))) : 0;
		memset(out + full + 1, 0, n - full - 1);
	}
}

const struct ioc *ioc_find_ip(const struct ioc_set *s, int family, const uint8_t *addr)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (!s || !addr || (family != 4 && family != 6))
		return NULL;
	if (family == 6 && memcmp(addr, mapped, 12) == 0) {
		const struct ioc *r = ioc_find_ip(s, 4, addr + 12);
		if (r)
			return r;
	}
	int fi = family == 6;
	size_t n = fi ? 16 : 4;
	uint8_t m[16];
	/* the filters rule out most lengths for most addresses: one bit each */
	uint32_t t24 = (uint32_t)addr[0] << 16 | (uint32_t)addr[1] << 8 | addr[2];
	uint32_t t16 = t24 >> 8;
	bool any24 = s->top24[fi] && (s->top24[fi][t24 >> 3] >> (t24 & 7) & 1);
	bool any16 = s->top16[fi] && (s->top16[fi][t16 >> 3] >> (t16 & 7) & 1);
	for (unsigned k = 0; k < s->nlens[fi]; k++) {
		unsigned plen = s->lens[fi][k];
		if ((plen >= 24 && !any24) || (plen >= 16 && plen < 24 && !any16))
			continue;
		mask_addr(m, addr, n, plen);
		uint32_t ref = find_net(s, fi, m, plen);
		if (ref)
			return at(s, ref);
	}
	return NULL;
}

const struct ioc *ioc_find_domain(const struct ioc_set *s, const char *name, size_t len)
{
	if (!s || !name)
		return NULL;
	const struct htab *t = &s->exact[IOC_DOMAIN];
	if (!t->used)
		return NULL;
	if (len > 0 && name[len - 1] == '.')
		len--;
	/* hashes of the suffixes starting at label boundaries, shortest first;
	 * a stored name has at most 127 labels in 253 bytes, so longer
	 * suffixes, or more of them, cannot match */
	uint32_t hs[128];
	size_t start[128];
	unsigned k = 0;
	uint64_t h = FNV_OFFSET;
	for (size_t i = len; i-- > 0;) {
		if (len - i > IOC_DOMAIN_MAX)
			break;
		h = (h ^ (uint64_t)lc((unsigned char)name[i])) * FNV_PRIME;
		if (i == 0 || name[i - 1] == '.') {
			if (k == 128)
				break;
			hs[k] = hash_final(h);
			start[k++] = i;
		}
	}
	while (k-- > 0) {
		uint32_t ref = find_str(s, t, hs[k], name + start[k], len - start[k], true);
		if (ref)
			return at(s, ref);
	}
	return NULL;
}

const struct ioc *ioc_find_port(const struct ioc_set *s, uint16_t port)
{
	if (!s || !s->ports || !s->ports[port])
		return NULL;
	return at(s, s->ports[port]);
}

static const struct ioc *find_exact_str(const struct ioc_set *s, int type, const char *v, size_t n)
{
	bool fold = type_folds(type);
	uint32_t ref = find_str(s, &s->exact[type], str_hash(v, n, fold), v, n, fold);
	return ref ? at(s, ref) : NULL;
}

const struct ioc *ioc_find_ja3(const struct ioc_set *s, const char *hex, size_t len)
{
	if (!s || !hex || !s->exact[IOC_JA3].used)
		return NULL;
	return find_exact_str(s, IOC_JA3, hex, len);
}

static bool eth_shape(const char *w, size_t n)
{
	if (n != 42 || w[0] != '0' || lc((unsigned char)w[1]) != 'x')
		return false;
	for (size_t i = 2; i < n; i++) {
		int c = lc((unsigned char)w[i]);
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

static const struct ioc *find_wallet1(const struct ioc_set *s, const char *w, size_t n)
{
	bool fold = eth_shape(w, n);
	uint32_t ref = find_str(s, &s->exact[IOC_WALLET], str_hash(w, n, fold), w, n, fold);
	return ref ? at(s, ref) : NULL;
}

/* the wallet part of a login: up to the first '.', '+' or '/' (stratum.h) */
static size_t wallet_part(const char *w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (w[i] == '.' || w[i] == '+' || w[i] == '/')
			return i;
	return n;
}

const struct ioc *ioc_find_wallet(const struct ioc_set *s, const char *w, size_t len)
{
	if (!s || !w || !s->exact[IOC_WALLET].used)
		return NULL;
	const struct ioc *r = find_wallet1(s, w, len);
	if (r)
		return r;
	size_t cut = wallet_part(w, len);
	if (cut > 0 && cut < len)
		return find_wallet1(s, w, cut);
	return NULL;
}

const struct ioc *ioc_find_agent(const struct ioc_set *s, const char *q, size_t len)
{
	if (!s || !q)
		return NULL;
	for (uint32_t k = 0; k < s->nagents; k++) {
		const struct ioc *a = at(s, s->agents[k]);
		size_t m = a->value_len;
		if (m > len)
			continue;
		int c0 = lc((unsigned char)a->value[0]);
		for (size_t i = 0; i + m <= len; i++) {
			if (lc((unsigned char)q[i]) != c0 || !mem_eq_fold(q + i, a->value, m))
				continue;
			if ((i == 0 || !is_alnum((unsigned char)q[i - 1])) &&
			    (i + m == len || !is_alnum((unsigned char)q[i + m])))
				return a;
		}
	}
	return NULL;
}

const struct ioc *ioc_find_image(const struct ioc_set *s, const char *ref, size_t len)
{
	if (!s || !ref || !s->exact[IOC_IMAGE].used)
		return NULL;
	size_t k = feed_image_skip(ref, len);
	ref += k;
	len -= k;
	for (size_t n = len < 255 ? len : 255; n > 0; n--) {
		if (!(s->image_lens[n >> 3] & (1u << (n & 7))))
			continue;
		const struct ioc *r = find_exact_str(s, IOC_IMAGE, ref, n);
		if (r)
			return r;
	}
	return NULL;
}

bool ioc_set_has(const struct ioc_set *s, enum ioc_type type)
{
	return s && type > IOC_NONE && type < IOC_TYPE__COUNT && s->stats.by_type[type] > 0;
}

const struct ioc *ioc_find_exact(const struct ioc_set *s, enum ioc_type type, const char *v,
				 size_t len)
{
	if (!s || !v || type <= IOC_NONE || type >= IOC_TYPE__COUNT)
		return NULL;
	struct feed_entry e;
	if (feed_parse_value(type, v, len, &e, NULL, 0) != 0)
		return NULL;
	uint32_t ref;
	switch (e.type) {
	case IOC_IP:
	case IOC_CIDR:
		ref = find_net(s, e.family == 6, e.addr, e.prefix);
		return ref ? at(s, ref) : NULL;
	case IOC_PORT:
		return ioc_find_port(s, e.port);
	default:
		return find_exact_str(s, e.type, e.value, e.value_len);
	}
}

/* ---- building ---- */

/* The interned copy of p[0..n), or NULL when out of memory. */
static const char *intern(struct ioc_set *s, const char *p, size_t n)
{
	uint32_t h = str_hash(p, n, false);
	if (s->strs.slot) {
		for (uint32_t j = h & s->strs.mask; s->strs.slot[j].ref; j = (j + 1) & s->strs.mask) {
			const struct hslot *sl = &s->strs.slot[j];
			const char *c = s->strv[sl->ref - 1];
			if (sl->h == h && strncmp(c, p, n) == 0 && c[n] == '\0')
				return c;
		}
	}
	if (s->nstr == s->cap_strv) {
		uint32_t cap = s->cap_strv ? s->cap_strv * 2 : 64;
		const char **nv = realloc(s->strv, cap * sizeof(*nv));
		if (!nv)
			return NULL;
		s->strv = nv;
		s->cap_strv = cap;
	}
	if (htab_reserve(&s->strs) != 0)
		return NULL;
	char *c = arena_strdup(&s->arena, p, n);
	if (!c)
		return NULL;
	s->strv[s->nstr++] = c;
	htab_insert(&s->strs, h, s->nstr);
	return c;
}

/* A free indicator slot (index s->count), or NULL when out of memory. */
static struct ioc *next_slot(struct ioc_set *s)
{
	if (s->count == s->nblocks * BLOCK) {
		if (s->nblocks == s->cap_blocks) {
			size_t cap = s->cap_blocks ? s->cap_blocks * 2 : 16;
			struct ioc **nb = realloc(s->blocks, cap * sizeof(*nb));
			if (!nb)
				return NULL;
			s->blocks = nb;
			s->cap_blocks = cap;
		}
		struct ioc *b = malloc(BLOCK * sizeof(*b));
		if (!b)
			return NULL;
		s->blocks[s->nblocks++] = b;
	}
	return &s->blocks[s->count >> BLOCK_SHIFT][s->count & (BLOCK - 1)];
}

static void add_len(struct ioc_set *s, int fi, unsigned plen)
{
	unsigned k = 0, n = s->nlens[fi];
	while (k < n && s->lens[fi][k] > plen)
		k++;
	if (k < n && s->lens[fi][k] == plen)
		return;
	memmove(&s->lens[fi][k + 1], &s->lens[fi][k], n - k);
	s->lens[fi][k] = (uint8_t)plen;
	s->nlens[fi]++;
}

enum add_result { ADD_STORED, ADD_DUPLICATE, ADD_FULL, ADD_NOMEM };

struct meta {
	const char *feed, *category, *source, *description;
	uint8_t severity;
	uint32_t line;
};

static enum add_result add(struct ioc_set *s, const struct feed_entry *e, const struct meta *m)
{
	int fi = e->family == 6;
	uint32_t h = 0;
	struct htab *t = NULL;
	bool fold = type_folds(e->type);

	/* already there? */
	switch (e->type) {
	case IOC_IP:
	case IOC_CIDR:
		if (find_net(s, fi, e->addr, e->prefix))
			return ADD_DUPLICATE;
		t = &s->net[fi][e->prefix];
		h = net_hash(e->addr, fi ? 16 : 4, e->prefix);
		break;
	case IOC_PORT:
		if (s->ports && s->ports[e->port])
			return ADD_DUPLICATE;
		break;
	default:
		t = &s->exact[e->type];
		h = str_hash(e->value, e->value_len, fold);
		if (find_str(s, t, h, e->value, e->value_len, fold))
			return ADD_DUPLICATE;
		break;
	}
	if (s->count >= s->max)
		return ADD_FULL;

	/* everything that can fail, before the set changes */
	struct ioc *c = next_slot(s);
	if (!c)
		return ADD_NOMEM;
	if (t && htab_reserve(t) != 0)
		return ADD_NOMEM;
	if (e->type == IOC_PORT && !s->ports && !(s->ports = calloc(65536, sizeof(*s->ports))))
		return ADD_NOMEM;
	if ((e->type == IOC_IP || e->type == IOC_CIDR) && e->prefix >= 24 && !s->top24[fi] &&
	    !(s->top24[fi] = calloc(1, TOP24_BYTES)))
		return ADD_NOMEM;
	if ((e->type == IOC_IP || e->type == IOC_CIDR) && e->prefix >= 16 && e->prefix < 24 &&
	    !s->top16[fi] && !(s->top16[fi] = calloc(1, TOP16_BYTES)))
		return ADD_NOMEM;
	if (e->type == IOC_AGENT && s->nagents == s->cap_agents) {
		uint32_t cap = s->cap_agents ? s->cap_agents * 2 : 32;
		uint32_t *na = realloc(s->agents, cap * sizeof(*na));
		if (!na)
			return ADD_NOMEM;
		s->agents = na;
		s->cap_agents = cap;
	}
	const char *value = arena_strdup(&s->arena, e->value, e->value_len);
	if (!value)
		return ADD_NOMEM;

	memset(c, 0, sizeof(*c));
	c->value = value;
	c->value_len = (uint32_t)e->value_len;
	c->feed = m->feed;
	c->category = m->category;
	c->source = m->source;
	c->description = m->description;
	c->line = m->line;
	c->type = e->type;
	c->severity = m->severity;
	c->family = e->family;
	c->prefix = e->prefix;
	c->port = e->port;
	memcpy(c->addr, e->addr, sizeof(c->addr));
	uint32_t ref = ++s->count;
	if (t)
		htab_insert(t, h, ref);
	switch (e->type) {
	case IOC_IP:
	case IOC_CIDR: {
		add_len(s, fi, e->prefix);
		uint32_t t24 = (uint32_t)e->addr[0] << 16 | (uint32_t)e->addr[1] << 8 | e->addr[2];
		if (e->prefix >= 24)
			s->top24[fi][t24 >> 3] |= (uint8_t)(1u << (t24 & 7));
		else if (e->prefix >= 16)
			s->top16[fi][t24 >> 11] |= (uint8_t)(1u << (t24 >> 8 & 7));
		break;
	}
	case IOC_PORT:
		s->ports[e->port] = ref;
		break;
	case IOC_AGENT:
		s->agents[s->nagents++] = ref;
		break;
	case IOC_IMAGE:
		if (e->value_len < 256)
			s->image_lens[e->value_len >> 3] |= (uint8_t)(1u << (e->value_len & 7));
		break;
	default:
		break;
	}
	return ADD_STORED;
}

/* ---- loading ---- */

/* One load call: its counters, and the file being read. */
struct load {
	struct ioc_set *set;
	struct ioc_stats add;      /* this call's counters */
	bool nomem;
	/* the current file */
	const char *name;          /* for messages */
	const char *feed;          /* interned feed name */
	const char *feed_category; /* implied by the feed name, or NULL */
	uint32_t file_messages;
	uint64_t file_suppressed;
	bool full_reported;
	struct feed_state fs;
	struct feed_entry e;
	char why[FEED_WHY_MAX];
};

static void emit(struct ioc_set *s, const char *msg)
{
	if (s->opts.msg)
		s->opts.msg(s->opts.msg_arg, msg);
	else if (s->opts.msg_file)
		fprintf(s->opts.msg_file, "%s\n", msg);
}

static void say(struct load *ld, bool capped, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* A message: capped ones count against the file's cap. */
static void say(struct load *ld, bool capped, const char *fmt, ...)
{
	if (capped && ld->file_messages >= ld->set->opts.max_messages) {
		ld->file_suppressed++;
		ld->add.suppressed++;
		return;
	}
	char msg[FEED_WHY_MAX + 512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (capped)
		ld->file_messages++;
	ld->add.messages++;
	emit(ld->set, msg);
}

static void load_init(struct load *ld, struct ioc_set *s)
{
	memset(&ld->add, 0, sizeof(ld->add));
	ld->set = s;
	ld->nomem = false;
}

/* Adds this call's counters to *st and to the set's. */
static void load_finish(struct load *ld, struct ioc_stats *st)
{
	const uint64_t *a = (const uint64_t *)&ld->add;
	uint64_t *t = (uint64_t *)&ld->set->stats;
	for (size_t i = 0; i < sizeof(ld->add) / sizeof(uint64_t); i++) {
		t[i] += a[i];
		if (st)
			((uint64_t *)st)[i] += a[i];
	}
}

static void file_begin(struct load *ld, const char *name)
{
	ld->name = name;
	ld->file_messages = 0;
	ld->file_suppressed = 0;
	ld->full_reported = false;
	feed_init(&ld->fs);
	ld->add.files++;
	/* the feed name: the basename without its last extension */
	const char *b = strrchr(name, '/');
	b = b ? b + 1 : name;
	size_t n = strlen(b);
	const char *dot = strrchr(b, '.');
	if (dot && dot > b)
		n = (size_t)(dot - b);
	ld->feed = intern(ld->set, b, n);
	if (!ld->feed)
		ld->nomem = true;
	ld->feed_category = ld->feed ? feed_name_category(ld->feed) : NULL;
}

static void file_end(struct load *ld)
{
	if (ld->file_suppressed)
		say(ld, false, "%s: %llu more messages not shown", ld->name,
		    (unsigned long long)ld->file_suppressed);
}

static void entry(struct load *ld)
{
	struct ioc_set *s = ld->set;
	const struct feed_entry *e = &ld->e;
	struct meta m;
	m.feed = ld->feed;
	/* defaults: the line's, the directive's (both in e), the feed name's,
	 * the type's */
	const char *cat = e->category[0] ? e->category
			  : ld->feed_category ? ld->feed_category : feed_type_category(e->type);
	m.category = intern(s, cat, strlen(cat));
	m.source = intern(s, e->source.n ? e->source.p : "", e->source.n);
	m.description = intern(s, e->description.n ? e->description.p : "", e->description.n);
	m.severity = e->severity ? e->severity : (uint8_t)feed_type_severity(e->type);
	m.line = ld->fs.line > UINT32_MAX ? UINT32_MAX : (uint32_t)ld->fs.line;
	enum add_result r = (m.category && m.source && m.description) ? add(s, e, &m) : ADD_NOMEM;
	switch (r) {
	case ADD_STORED:
		ld->add.stored++;
		ld->add.by_type[e->type]++;
		break;
	case ADD_DUPLICATE:
		ld->add.duplicates++;
		break;
	case ADD_FULL:
	case ADD_NOMEM:
		ld->add.over_limit++;
		if (r == ADD_NOMEM) {
			ld->nomem = true;
			say(ld, false, "%s:%llu: out of memory: the rest of the file is not loaded", ld->name,
			    (unsigned long long)ld->fs.line);
		} else if (!ld->full_reported) {
			ld->full_reported = true;
			say(ld, false, "%s:%llu: the set is full (%llu indicators): this and later indicators are not stored",
			    ld->name, (unsigned long long)ld->fs.line, (unsigned long long)s->max);
		}
		break;
	}
}

/* Processes every complete line of buf (the last one too when final). */
static void process(struct load *ld, struct cursor *buf, bool final)
{
	struct cursor line;
	while (!ld->nomem) {
		enum feed_split_result sr = feed_split(&ld->fs, buf, final, &line);
		if (sr == FEED_SPLIT_MORE)
			return;
		ld->add.lines++;
		if (sr == FEED_SPLIT_LONG) {
			ld->add.bad++;
			ld->add.long_lines++;
			say(ld, true, "%s:%llu: line longer than %d bytes", ld->name,
			    (unsigned long long)ld->fs.line, IOC_LINE_MAX);
			continue;
		}
		switch (feed_line(&ld->fs, &line, &ld->e, ld->why, sizeof(ld->why))) {
		case FEED_SKIP:
			ld->add.comments++;
			break;
		case FEED_BAD:
			ld->add.bad++;
			say(ld, true, "%s:%llu: %s", ld->name, (unsigned long long)ld->fs.line, ld->why);
			break;
		case FEED_UNSUPPORTED:
			ld->add.unsupported++;
			if (ld->e.first_of_type)
				say(ld, true, "%s:%llu: %s", ld->name, (unsigned long long)ld->fs.line, ld->why);
			break;
		case FEED_ENTRY:
			ld->add.good++;
			entry(ld);
			break;
		}
	}
}

/* A load's state (a few KB: off the stack), or NULL with a message. */
static struct load *load_new(struct ioc_set *s)
{
	struct load *ld = malloc(sizeof(*ld));
	if (!ld) {
		emit(s, "ioc: out of memory");
		return NULL;
	}
	load_init(ld, s);
	return ld;
}

int ioc_load_buffer(struct ioc_set *s, const char *name, const void *data, size_t len,
		    struct ioc_stats *st)
{
	if (!s)
		return -1;
	struct load *ld = load_new(s);
	if (!ld)
		return -1;
	file_begin(ld, name ? name : "(buffer)");
	struct cursor c = cur_make(data, data ? len : 0);
	process(ld, &c, true);
	file_end(ld);
	int rc = ld->nomem ? -1 : 0;
	load_finish(ld, st);
	free(ld);
	return rc;
}

/* One file through read_fn, into ld. 0, or -1 (read error, no memory). */
static int load_stream(struct load *ld, const char *name,
		       long (*read_fn)(void *arg, uint8_t *buf, size_t cap), void *arg)
{
	uint8_t *buf = malloc(READ_BUF);
	if (!buf) {
		say(ld, false, "%s: out of memory", name);
		ld->add.errors++;
		return -1;
	}
	file_begin(ld, name);
	size_t have = 0;
	int rc = 0;
	while (!ld->nomem) {
		long n = read_fn(arg, buf + have, READ_BUF - have);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			say(ld, false, "%s: read error: %s", name, strerror(errno));
			ld->add.errors++;
			rc = -1;
			break;
		}
		if ((size_t)n > READ_BUF - have)
			n = (long)(READ_BUF - have);
		have += (size_t)n;
		struct cursor c = cur_make(buf, have);
		process(ld, &c, n == 0);
		/* what is left is part of one line of at most IOC_LINE_MAX bytes */
		size_t left = cur_left(&c);
		memmove(buf, c.p, left);
		have = left;
		if (n == 0)
			break;
	}
	file_end(ld);
	free(buf);
	return ld->nomem ? -1 : rc;
}

int ioc_load_stream(struct ioc_set *s, const char *name,
		    long (*read_fn)(void *arg, uint8_t *buf, size_t cap), void *arg,
		    struct ioc_stats *st)
{
	if (!s || !read_fn)
		return -1;
	struct load *ld = load_new(s);
	if (!ld)
		return -1;
	int rc = load_stream(ld, name ? name : "(stream)", read_fn, arg);
	load_finish(ld, st);
	free(ld);
	return rc;
}

static long fd_read(void *arg, uint8_t *buf, size_t cap)
{
	return (long)read(*(int *)arg, buf, cap);
}

static int load_file(struct load *ld, const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		say(ld, false, "%s: cannot open: %s", path, strerror(errno));
		ld->add.errors++;
		return -1;
	}
	int rc = load_stream(ld, path, fd_read, &fd);
	close(fd);
	return rc;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool skipped_name(const char *n)
{
	return n[0] == '.' || strncasecmp(n, "README", 6) == 0;
}

static int load_dir(struct load *ld, const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		say(ld, false, "%s: cannot open folder: %s", dir, strerror(errno));
		ld->add.errors++;
		return -1;
	}
	char **names = NULL;
	size_t n = 0, cap = 0;
	int rc = 0;
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--;
	struct dirent *de;
	errno = 0;
	while ((de = readdir(d)) != NULL) {
		if (skipped_name(de->d_name))
			continue;
		size_t pl = dl + 1 + strlen(de->d_name) + 1;
		char *p = malloc(pl);
		if (!p) {
			rc = -1;
			break;
		}
		snprintf(p, pl, "%.*s/%s", (int)dl, dir, de->d_name);
		struct stat sb;
		if (stat(p, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			free(p);
			continue;
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 16;
			char **nn = realloc(names, nc * sizeof(*nn));
			if (!nn) {
				free(p);
				rc = -1;
				break;
			}
			names = nn;
			cap = nc;
		}
		names[n++] = p;
	}
	closedir(d);
	if (rc != 0) {
		say(ld, false, "%s: out of memory listing the folder", dir);
		ld->add.errors++;
	} else {
		if (n == 0)
			say(ld, false, "%s: no feed files in the folder", dir);
		qsort(names, n, sizeof(*names), cmp_names);
		for (size_t i = 0; i < n && !ld->nomem; i++)
			if (load_file(ld, names[i]) != 0)
				rc = -1;
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rc;
}

/* splitmix64's finaliser: a cheap, well-mixed 64-bit hash step */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

static uint64_t stat_hash(const char *name, const struct stat *sb)
{
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	for (const char *c = name; *c; c++)
		h = mix64(h ^ (uint8_t)*c);
	h = mix64(h ^ (uint64_t)sb->st_dev);
	h = mix64(h ^ (uint64_t)sb->st_ino);
	h = mix64(h ^ (uint64_t)sb->st_size);
	h = mix64(h ^ (uint64_t)sb->st_mtim.tv_sec);
	h = mix64(h ^ (uint64_t)sb->st_mtim.tv_nsec);
	return mix64(h ^ (uint64_t)sb->st_mode);
}

uint64_t ioc_path_fingerprint(const char *path)
{
	struct stat sb;
	if (!path || stat(path, &sb) != 0)
		return 0;
	uint64_t fp = stat_hash(path, &sb);
	if (S_ISDIR(sb.st_mode)) {
		DIR *d = opendir(path);
		if (!d)
			return fp ^ 1; /* unreadable folder: differs from the readable one */
		int dfd = dirfd(d);
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			struct stat eb;
			if (skipped_name(de->d_name) || fstatat(dfd, de->d_name, &eb, 0) != 0 ||
			    !S_ISREG(eb.st_mode))
				continue;
			fp += stat_hash(de->d_name, &eb); /* a sum: readdir order does not matter */
		}
		closedir(d);
	}
	return fp ? fp : 1;
}

int ioc_load_path(struct ioc_set *s, const char *path, struct ioc_stats *st)
{
	if (!s || !path)
		return -1;
	struct load *ld = load_new(s);
	if (!ld)
		return -1;
	struct stat sb;
	int rc;
	if (stat(path, &sb) != 0) {
		say(ld, false, "%s: cannot open: %s", path, strerror(errno));
		ld->add.errors++;
		rc = -1;
	} else if (S_ISDIR(sb.st_mode)) {
		rc = load_dir(ld, path);
	} else {
		rc = load_file(ld, path);
	}
	if (ld->nomem)
		rc = -1;
	load_finish(ld, st);
	free(ld);
	return rc;
}
