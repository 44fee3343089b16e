/* pods.c - the pod map (pods.h): the pod list kubectl writes, parsed one
 * item at a time (a structural scanner finds each item's bytes, json-c
 * parses them), read into an immutable open-addressing table from pod IP
 * to pod.
 *
 * A map is one allocation for the struct, one for the pods, one for the
 * address table and a chain of arena blocks for the strings and the image
 * lists. While it is built, an intern table (freed at the end) keeps each
 * distinct string, and each distinct image list, once: with thousands of
 * pods, namespaces, nodes, images and owner kinds repeat.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cursor.h"
#include "hash.h"
#include "pods.h"

#define ARENA_FIRST 4096u        /* bytes of the first arena block */
#define ARENA_BLOCK (64u * 1024) /* and of the later ones, at most */
#define EXCERPT_MAX 60           /* bytes of a string quoted in a message */
#define ADDR_TEXT_MAX 64         /* bytes of an address's text, NUL included */
#define BLOB_BIT 0x80000000u     /* intern length flag: an image list */

/* An address slot: ipver 0 is empty. IPv4 in the first 4 bytes, the rest 0. */
struct slot {
	uint8_t addr[16];
	uint32_t pod; /* index in pods[] */
	uint8_t ipver;
};

struct arena_block {
	struct arena_block *next;
	size_t size, used; /* bytes of data after the header */
};

struct pod_map {
	struct pod *pods;
	size_t npods, pods_cap;
	struct slot *slots;
	size_t mask; /* slots: mask + 1, a power of two, at most half full */
	size_t naddrs;
	struct arena_block *arena; /* newest first */
	size_t arena_bytes;
	struct pods_stats st;
	uint32_t generation; /* pods_generation() */
};

/* A string (or image list) kept, while the map is built. */
struct interned {
	const void *p;
	uint64_t hash;
	uint32_t len;   /* bytes; BLOB_BIT set for an image list */
	uint32_t stamp; /* 1 + the last item whose images held it */
};

/* What pods_parse carries through one file. */
struct build {
	struct pod_map *m;
	const char *name;
	FILE *said; /* the messages, held until the file is known good */
	char *said_buf;
	size_t said_len;
	uint64_t nmsg; /* messages, said or not */
	struct interned *tab;
	size_t tab_mask, tab_n;
	bool oom;
	/* the item in hand, for messages */
	size_t item;
	const char *ns, *pname; /* NULL until known good */
};

static const struct pods_stats no_stats;
static const char *const no_images[1] = { NULL };

/* ---- hashing ---- */

/* The two halves multiplied by odd constants (each a bijection), one
 * rotated, then murmur3's finaliser: every input bit reaches every output
 * bit, so consecutive pod IPs spread over the table. */
static uint64_t addr_hash(int ipver, const uint8_t k[16])
{
	uint64_t x, y;
	memcpy(&x, k, 8);
	memcpy(&y, k + 8, 8);
	x *= 0x9e3779b97f4a7c15ull;
	y = (y + (uint64_t)ipver) * 0xc2b2ae3d27d4eb4full;
	return davy_fmix64(x ^ (y << 31 | y >> 33));
}

static uint64_t bytes_hash(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 0x243f6a8885a308d3ull ^ (n * 0x9e3779b97f4a7c15ull);
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, s, 8);
		h = (h ^ davy_fmix64(w)) * 0x100000001b3ull;
		s += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, s, n);
	return davy_fmix64(h ^ w);
}

/* ---- arena ---- */

/* n bytes aligned for pointers, living as long as the map; NULL when out
 * of memory. */
static void *arena_alloc(struct pod_map *m, size_t n)
{
	n = (n + 7) & ~(size_t)7;
	struct arena_block *b = m->arena;
	if (!b || b->size - b->used < n) {
		size_t size = b ? 2 * b->size : ARENA_FIRST;
		if (size > ARENA_BLOCK)
			size = ARENA_BLOCK;
		if (size < n)
			size = n;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = m->arena;
		b->size = size;
		b->used = 0;
		m->arena = b;
		m->arena_bytes += sizeof(*b) + size;
	}
	void *p = (char *)(b + 1) + b->used;
	b->used += n;
	return p;
}

/* ---- intern table ---- */

/* The entry holding the n bytes at p (blob: an image list, else a string
 * kept with a NUL after it), added if new; NULL when out of memory. */
static struct interned *intern(struct build *b, const void *p, size_t n, bool blob)
{
	uint32_t len = (uint32_t)n | (blob ? BLOB_BIT : 0);
	uint64_t h = bytes_hash(p, n) ^ blob;
	if (2 * (b->tab_n + 1) > b->tab_mask + 1) {
		size_t cap = b->tab ? 2 * (b->tab_mask + 1) : 256;
		struct interned *t = calloc(cap, sizeof(*t));
		if (!t) {
			b->oom = true;
			return NULL;
		}
		for (size_t i = 0; b->tab && i <= b->tab_mask; i++) {
			if (!b->tab[i].p)
				continue;
			size_t j = b->tab[i].hash & (cap - 1);
			while (t[j].p)
				j = (j + 1) & (cap - 1);
			t[j] = b->tab[i];
		}
		free(b->tab);
		b->tab = t;
		b->tab_mask = cap - 1;
	}
	size_t i = h & b->tab_mask;
	for (; b->tab[i].p; i = (i + 1) & b->tab_mask) {
		struct interned *e = &b->tab[i];
		if (e->hash == h && e->len == len && memcmp(e->p, p, n) == 0)
			return e;
	}
	char *copy = arena_alloc(b->m, n + !blob);
	if (!copy) {
		b->oom = true;
		return NULL;
	}
	memcpy(copy, p, n);
	if (!blob)
		copy[n] = '\0';
	b->tab[i] = (struct interned){ .p = copy, .hash = h, .len = len };
	b->tab_n++;
	return &b->tab[i];
}

/* ---- messages ---- */

/* s[0, n) quoted for a message: bytes outside ' '..'~' (and the backslash)
 * as \xHH, cut after EXCERPT_MAX bytes with "...". */
#define EXCERPT_BUF (EXCERPT_MAX * 4 + 4)
static const char *excerpt(char out[EXCERPT_BUF], const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;
	for (size_t i = 0; i < n && i < EXCERPT_MAX; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x20 || c >= 0x7f || c == '\\') {
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		} else {
			out[o++] = (char)c;
		}
	}
	if (n > EXCERPT_MAX) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

/* One message about the item in hand: "NAME: item N (ns/name): TEXT". */
__attribute__((format(printf, 2, 3))) static void say(struct build *b, const char *fmt, ...)
{
	if (++b->nmsg > PODS_MESSAGES_MAX || !b->said)
		return;
	char ns[EXCERPT_BUF], name[EXCERPT_BUF], nm[EXCERPT_BUF];
	excerpt(nm, b->name, strlen(b->name));
	if (b->ns && b->pname)
		fprintf(b->said, "%s: item %zu (%s/%s): ", nm, b->item,
			excerpt(ns, b->ns, strlen(b->ns)), excerpt(name, b->pname, strlen(b->pname)));
	else
		fprintf(b->said, "%s: item %zu: ", nm, b->item);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(b->said, fmt, ap);
	va_end(ap);
	fputc('\n', b->said);
}

/* "base", or "base[idx]tail" when idx >= 0. */
static const char *field(char *out, size_t cap, const char *base, long idx, const char *tail)
{
	if (idx < 0)
		return base;
	snprintf(out, cap, "%s[%ld]%s", base, idx, tail);
	return out;
}

/* ---- reading an item ---- */

static struct json_object *get(struct json_object *o, const char *key, json_type t)
{
	struct json_object *v;
	if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, t))
		return NULL;
	return v;
}

/* Whether s[0, n) can be kept: at most POD_STR_MAX bytes, no control byte;
 * if not, counted and said (what/idx/tail name the field). */
static bool str_ok(struct build *b, const char *s, size_t n, const char *what, long idx,
		   const char *tail)
{
	char f[128], e[EXCERPT_BUF];
	if (n > POD_STR_MAX) {
		b->m->st.bad_strings++;
		say(b, "%s '%s' is %zu bytes, more than %d", field(f, sizeof(f), what, idx, tail),
		    excerpt(e, s, n), n, POD_STR_MAX);
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) {
			b->m->st.bad_strings++;
			say(b, "%s '%s' holds a control byte", field(f, sizeof(f), what, idx, tail),
			    excerpt(e, s, n));
			return false;
		}
	}
	return true;
}

/* Whether v is the string s (whole: an embedded NUL does not match). */
static bool str_is(struct json_object *v, const char *s)
{
	return json_object_is_type(v, json_type_string) &&
	       (size_t)json_object_get_string_len(v) == strlen(s) &&
	       memcmp(json_object_get_string(v), s, strlen(s)) == 0;
}

/* The string v as kept (its entry in the intern table), or NULL when
 * absent, of the wrong type, bad (counted and said; what/idx/tail name the
 * field) or when memory ran out (b->oom). */
static struct interned *take_entry(struct build *b, struct json_object *v, const char *what,
				   long idx, const char *tail)
{
	if (!json_object_is_type(v, json_type_string))
		return NULL;
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	if (!str_ok(b, s, n, what, idx, tail))
		return NULL;
	return intern(b, s, n, false);
}

/* The same, as the string kept, "" for nothing. */
static const char *take(struct build *b, struct json_object *v, const char *what)
{
	struct interned *e = take_entry(b, v, what, -1, NULL);
	return e ? e->p : "";
}

/* Address text to (ipver, 16 bytes); 0 when it is not one. IPv4-mapped IPv6
 * addresses become IPv4. */
static int parse_addr(const char *s, size_t n, uint8_t a[16])
{
	char t[ADDR_TEXT_MAX];
	if (n == 0 || n >= sizeof(t) || memchr(s, '\0', n))
		return 0;
	memcpy(t, s, n);
	t[n] = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, t, a) == 1)
		return 4;
	if (inet_pton(AF_INET6, t, a) != 1)
		return 0;
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (memcmp(a, mapped, 12) == 0) {
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
		return 4;
	}
	return 6;
}

static struct slot *slot_of(const struct pod_map *m, int ipver, const uint8_t k[16])
{
	size_t i = addr_hash(ipver, k) & m->mask;
	for (;; i = (i + 1) & m->mask) {
		struct slot *s = &m->slots[i];
		if (s->ipver == 0 || (s->ipver == ipver && memcmp(s->addr, k, 16) == 0))
			return s;
	}
}

/* Room for one more address, the table staying at most half full. */
static bool slots_reserve(struct build *b)
{
	struct pod_map *m = b->m;
	if (2 * (m->naddrs + 1) <= m->mask + 1)
		return true;
	size_t cap = 2 * (m->mask + 1);
	struct slot *t = calloc(cap, sizeof(*t));
	if (!t) {
		b->oom = true;
		return false;
	}
	struct slot *old = m->slots;
	size_t old_cap = m->mask + 1;
	m->slots = t;
	m->mask = cap - 1;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].ipver)
			*slot_of(m, old[i].ipver, old[i].addr) = old[i];
	free(old);
	return true;
}

/* Maps the address text v (a field named what/idx/tail) to the pod in hand,
 * the next of pods[]; p's key is its first address mapped. */
static void add_addr(struct build *b, struct pod *p, struct json_object *v, const char *what,
		     long idx, const char *tail)
{
	struct pod_map *m = b->m;
	if (!json_object_is_type(v, json_type_string))
		return;
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	uint8_t a[16];
	char f[128], e[EXCERPT_BUF];
	int ipver = parse_addr(s, n, a);
	if (!ipver) {
		m->st.bad_addresses++;
		say(b, "%s '%s' is not an IP address", field(f, sizeof(f), what, idx, tail),
		    excerpt(e, s, n));
		return;
	}
	if (!slots_reserve(b))
		return;
	struct slot *sl = slot_of(m, ipver, a);
	if (sl->ipver) {
		if (sl->pod == m->npods)
			return; /* this pod's again */
		const struct pod *o = &m->pods[sl->pod];
		char ons[EXCERPT_BUF], oname[EXCERPT_BUF];
		m->st.address_conflicts++;
		say(b, "%s '%s' is already pod %s/%s's, kept there", field(f, sizeof(f), what, idx, tail),
		    excerpt(e, s, n), excerpt(ons, o->ns, strlen(o->ns)),
		    excerpt(oname, o->name, strlen(o->name)));
		return;
	}
	memcpy(sl->addr, a, 16);
	sl->ipver = (uint8_t)ipver;
	sl->pod = (uint32_t)m->npods;
	m->naddrs++;
	m->st.addresses++;
	if (!p->ipver) {
		p->ipver = (uint8_t)ipver;
		memcpy(p->addr, a, 16);
	}
}

/* The images of spec's three container lists, each distinct one once. */
static void take_images(struct build *b, struct pod *p, struct json_object *spec)
{
	static const char *const lists[] = { "initContainers", "containers", "ephemeralContainers" };
	const char *kept[POD_IMAGES_MAX + 1];
	uint32_t n = 0;
	uint32_t stamp = (uint32_t)b->item + 1;
	for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
		struct json_object *arr = get(spec, lists[l], json_type_array);
		size_t len = arr ? json_object_array_length(arr) : 0;
		char what[32];
		snprintf(what, sizeof(what), "spec.%s", lists[l]);
		for (size_t i = 0; i < len && !b->oom; i++) {
			struct json_object *c = json_object_array_get_idx(arr, i);
			struct interned *e = take_entry(b, get(c, "image", json_type_string), what,
							(long)i, ".image");
			if (!e || e->stamp == stamp)
				continue;
			e->stamp = stamp;
			if (n < POD_IMAGES_MAX)
				kept[n++] = e->p;
			else
				b->m->st.images_cut++;
		}
	}
	p->images = no_images;
	p->nimages = n;
	if (n == 0 || b->oom)
		return;
	kept[n] = NULL;
	struct interned *e = intern(b, kept, (n + 1) * sizeof(kept[0]), true);
	if (e)
		p->images = e->p;
}

/* The owner reference with "controller": true, else the first one. */
static void take_owner(struct build *b, struct pod *p, struct json_object *meta)
{
	struct json_object *refs = get(meta, "ownerReferences", json_type_array);
	size_t len = refs ? json_object_array_length(refs) : 0;
	struct json_object *pick = NULL;
	long at = -1;
	for (size_t i = 0; i < len; i++) {
		struct json_object *r = json_object_array_get_idx(refs, i);
		if (!json_object_is_type(r, json_type_object))
			continue;
		struct json_object *c = get(r, "controller", json_type_boolean);
		if (!pick || (c && json_object_get_boolean(c))) {
			bool controller = c && json_object_get_boolean(c);
			pick = r;
			at = (long)i;
			if (controller)
				break;
		}
	}
	p->owner_kind = p->owner_name = "";
	if (!pick)
		return;
	struct interned *e;
	e = take_entry(b, get(pick, "kind", json_type_string), "metadata.ownerReferences", at,
		       ".kind");
	if (e)
		p->owner_kind = e->p;
	e = take_entry(b, get(pick, "name", json_type_string), "metadata.ownerReferences", at,
		       ".name");
	if (e)
		p->owner_name = e->p;
}

/* A required metadata string (namespace, name): the kept one, or NULL with
 * the item counted bad. */
static const char *required(struct build *b, struct json_object *meta, const char *key)
{
	char what[32];
	snprintf(what, sizeof(what), "metadata.%s", key);
	struct json_object *v = NULL;
	if (json_object_is_type(meta, json_type_object))
		json_object_object_get_ex(meta, key, &v);
	const char *why = "is missing";
	if (v && !json_object_is_type(v, json_type_string)) {
		why = "is not a string";
	} else if (v && json_object_get_string_len(v) == 0) {
		why = "is empty";
	} else if (v) {
		struct interned *e = take_entry(b, v, what, -1, NULL);
		if (e)
			return e->p;
		if (b->oom)
			return NULL;
		why = "is not usable";
	}
	b->m->st.bad_items++;
	say(b, "%s %s", what, why);
	return NULL;
}

static bool pods_reserve(struct build *b)
{
	struct pod_map *m = b->m;
	if (m->npods < m->pods_cap)
		return true;
	size_t cap = m->pods_cap ? 2 * m->pods_cap : 16;
	struct pod *t = realloc(m->pods, cap * sizeof(*t));
	if (!t) {
		b->oom = true;
		return false;
	}
	m->pods = t;
	m->pods_cap = cap;
	return true;
}

/* Item number `index` (a Pod if it has no kind). */
static void add_item(struct build *b, struct json_object *it, size_t index)
{
	struct pod_map *m = b->m;
	b->item = index;
	b->ns = b->pname = NULL;
	m->st.items++;
	if (!json_object_is_type(it, json_type_object)) {
		m->st.bad_items++;
		say(b, "not an object");
		return;
	}
	struct json_object *kind = get(it, "kind", json_type_string);
	if (kind &&
	    str_ok(b, json_object_get_string(kind), (size_t)json_object_get_string_len(kind),
		   "kind", -1, NULL) &&
	    !str_is(kind, "Pod")) {
		m->st.not_pods++;
		return;
	}
	struct json_object *meta = get(it, "metadata", json_type_object);
	const char *ns = required(b, meta, "namespace");
	const char *name = ns ? required(b, meta, "name") : NULL;
	if (!ns || !name)
		return;
	b->ns = ns;
	b->pname = name;
	struct json_object *spec = get(it, "spec", json_type_object);
	struct json_object *status = get(it, "status", json_type_object);
	struct json_object *hn = get(spec, "hostNetwork", json_type_boolean);
	if (hn && json_object_get_boolean(hn)) {
		m->st.host_network++;
		return;
	}
	struct json_object *phase = get(status, "phase", json_type_string);
	if (str_is(phase, "Succeeded") || str_is(phase, "Failed")) {
		m->st.finished++;
		return;
	}

	if (!pods_reserve(b))
		return;
	struct pod p = { .ns = ns, .name = name };
	struct json_object *ips = get(status, "podIPs", json_type_array);
	size_t nips = ips ? json_object_array_length(ips) : 0;
	for (size_t i = 0; i < nips && !b->oom; i++)
		add_addr(b, &p, get(json_object_array_get_idx(ips, i), "ip", json_type_string),
			 "status.podIPs", (long)i, ".ip");
	if (nips == 0)
		add_addr(b, &p, get(status, "podIP", json_type_string), "status.podIP", -1, NULL);
	if (b->oom)
		return;
	if (!p.ipver) {
		m->st.no_address++;
		return;
	}

	struct json_object *labels = get(meta, "labels", json_type_object);
	p.node = take(b, get(spec, "nodeName", json_type_string), "spec.nodeName");
	p.app = take(b, get(labels, "app", json_type_string), "metadata.labels.app");
	if (!*p.app)
		p.app = take(b, get(labels, "app.kubernetes.io/name", json_type_string),
			     "metadata.labels.app.kubernetes.io/name");
	p.service_account =
		take(b, get(spec, "serviceAccountName", json_type_string), "spec.serviceAccountName");
	if (!*p.service_account)
		p.service_account =
			take(b, get(spec, "serviceAccount", json_type_string), "spec.serviceAccount");
	take_owner(b, &p, meta);
	take_images(b, &p, spec);
	if (b->oom)
		return;
	m->pods[m->npods++] = p;
	m->st.pods++;
}

/* ---- the file ---- */

/* JSON's four blanks, json-c's too */
static bool blank(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void pods_free(struct pod_map *m)
{
	if (!m)
		return;
	for (struct arena_block *b = m->arena, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(m->pods);
	free(m->slots);
	free(m);
}

__attribute__((format(printf, 3, 4))) static void set_err(char *err, size_t errlen,
							   const char *fmt, ...)
{
	if (!err || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- the scanner: the file's structure, one value at a time ----
 *
 * json-c builds the whole tree of what it is given (about 6 bytes of
 * memory a byte of JSON), so the file is never given to it whole (but for
 * a single Pod): the scanner walks the top-level object and the "items"
 * array through a cursor (cursor.h), checking the structure - brackets
 * that match, a ':' after each key, ',' between members and elements and
 * none before a closing bracket, blanks, nesting - and finds each value's
 * bytes. Strings are skipped to their closing quote (a backslash takes the
 * byte after it) and scalars up to a blank, ',', ']' or '}': json-c reads
 * both, as part of the value json-c is given, so an escape or a number is
 * checked by json-c alone, exactly as in a whole-file parse. What json-c
 * is given: each item; each top-level key and value other than "items";
 * a value larger than CHECK_WHOLE member by member. So the file is taken
 * exactly when json-c (strict, depth PODS_DEPTH_MAX) would take it whole.
 */

#define CHECK_WHOLE 4096u /* bytes of a value json-c checks in one go */

/* One file being scanned. No state outside it. */
struct scan {
	struct cursor c;     /* the part being walked */
	const uint8_t *base; /* byte 0 of the file, for offsets */
	size_t len;          /* bytes of the file */
	const char *nm;      /* the file's name, escaped */
	char *err;
	size_t errlen;
	bool *oom;
};

/* What the first pass finds at the top level of the file. */
struct top {
	bool object;              /* the file is a JSON object */
	struct json_object *kind; /* the last "kind" if a string, else NULL */
	bool items;               /* there is an "items" member: the last one's */
	size_t items_at, items_end, nitems; /* bytes and entries */
};

/* The next byte, not taken; -1 at the end (the cursor does not fail). */
static int peek(struct cursor *c)
{
	return cur_has(c, 1) ? cur_peek(c, 0) : -1;
}

static void skip_blanks(struct cursor *c)
{
	while (blank(peek(c)))
		cur_skip(c, 1);
}

static size_t scan_at(const struct scan *s)
{
	return (size_t)(s->c.p - s->base);
}

/* A cursor over bytes [at, end) of the file. */
static struct cursor scan_range(const struct scan *s, size_t at, size_t end)
{
	struct cursor c = cur_make(s->base, end);
	cur_skip(&c, at);
	return c;
}

/* Byte `at` of the file, -1 past its end. */
static int byte_at(const struct scan *s, size_t at)
{
	struct cursor c = scan_range(s, at, s->len);
	return peek(&c);
}

/* "not JSON at byte AT: WHY" in err; false. */
static bool not_json(struct scan *s, size_t at, const char *why)
{
	set_err(s->err, s->errlen, "pod list '%s': not JSON at byte %zu: %s", s->nm, at, why);
	return false;
}

/* The same at the cursor: "unexpected end of data" when it is at the end. */
static bool bad_here(struct scan *s, const char *why)
{
	return not_json(s, scan_at(s),
			peek(&s->c) < 0 ? json_tokener_error_desc(json_tokener_error_parse_eof) :
					  why);
}

/* Skips the string whose opening quote is at the cursor. false (err set)
 * when the file ends inside it. */
static bool skip_string(struct scan *s)
{
	struct cursor c = s->c;
	cur_skip(&c, 1);
	for (;;) {
		uint8_t b = cur_u8(&c);
		if (b == '"')
			break;
		if (b == '\\')
			cur_skip(&c, 1); /* the escaped byte, whatever it is: json-c checks it */
		if (c.failed) {
			s->c.p = s->c.end;
			return bad_here(s, "");
		}
	}
	s->c = c;
	return true;
}

enum { WANT_VALUE, WANT_KEY, AFTER_VALUE };

/* Skips the value at the cursor (after blanks), one at nesting depth
 * `depth` (0: the file itself): checks its structure, not its strings and
 * scalars. [*at, *end) are its bytes; *count (may be NULL) the entries of
 * the value when it is an array or object. The cursor is left after it.
 * false (err set) when it is malformed, cut short or nests a value deeper
 * than PODS_DEPTH_MAX levels (json-c's rule: depth 0 to PODS_DEPTH_MAX-1).
 * A loop with a stack of the containers open, no recursion. */
static bool skip_value(struct scan *s, unsigned depth, size_t *at, size_t *end, size_t *count)
{
	bool object[PODS_DEPTH_MAX]; /* the containers open, outermost first */
	unsigned open = 0;
	size_t n = 0;
	int want = WANT_VALUE;
	skip_blanks(&s->c);
	*at = scan_at(s);
	for (;;) {
		if (want == AFTER_VALUE && open == 0)
			break;
		skip_blanks(&s->c);
		int b = peek(&s->c);
		if (want == WANT_KEY) {
			if (b != '"')
				return bad_here(s, b == '}' ? "unexpected character" :
							  "quoted object property name expected");
			if (!skip_string(s))
				return false;
			skip_blanks(&s->c);
			if (peek(&s->c) != ':')
				return bad_here(s, "object property name separator ':' expected");
			cur_skip(&s->c, 1);
			want = WANT_VALUE;
		} else if (want == AFTER_VALUE) {
			int close = object[open - 1] ? '}' : ']';
			if (b == ',') {
				cur_skip(&s->c, 1);
				want = object[open - 1] ? WANT_KEY : WANT_VALUE;
			} else if (b == close) {
				cur_skip(&s->c, 1);
				open--;
			} else {
				return bad_here(s, close == '}' ? "object value separator ',' expected" :
								  "array value separator ',' expected");
			}
		} else if (b < 0 || b == ']' || b == '}') {
			return bad_here(s, "unexpected character");
		} else if (depth + open >= PODS_DEPTH_MAX) {
			return not_json(s, scan_at(s), json_tokener_error_desc(json_tokener_error_depth));
		} else {
			n += open == 1;
			want = AFTER_VALUE;
			if (b == '{' || b == '[') {
				cur_skip(&s->c, 1);
				object[open++] = b == '{';
				skip_blanks(&s->c);
				if (peek(&s->c) == (b == '{' ? '}' : ']')) {
					cur_skip(&s->c, 1);
					open--;
				} else {
					want = b == '{' ? WANT_KEY : WANT_VALUE;
				}
			} else if (b == '"') {
				if (!skip_string(s))
					return false;
			} else { /* a scalar, b not a blank, ',', ']', '}' */
				do
					cur_skip(&s->c, 1);
				while ((b = peek(&s->c)) >= 0 && !blank(b) && b != ',' && b != ']' &&
				       b != '}');
			}
		}
	}
	*end = scan_at(s);
	if (count)
		*count = n;
	return true;
}

/* Bytes [at, end) of the file, a value at depth `depth`, parsed by json-c
 * (strict, as a whole-file parse; tok: a tokener made for that depth, or
 * NULL for one made here). *out (out may be NULL: freed) the value, NULL
 * for JSON null. false (err set, or *s->oom) when json-c rejects it or
 * does not take all of it. A scalar is given the byte after it too (a
 * blank, ',', ']' or '}': json-c needs one to tell it has ended), a NUL
 * at the end of the file. */
static bool jparse(struct scan *s, struct json_tokener *tok, size_t at, size_t end,
		   unsigned depth, struct json_object **out)
{
	struct json_tokener *own = NULL;
	if (!tok) {
		tok = own = json_tokener_new_ex((int)(PODS_DEPTH_MAX - depth));
		if (!tok) {
			*s->oom = true;
			return false;
		}
		json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	}
	json_tokener_reset(tok);
	int first = byte_at(s, at);
	size_t n = end - at, more = first != '{' && first != '[' && first != '"' && end < s->len;
	struct json_object *v =
		json_tokener_parse_ex(tok, (const char *)s->base + at, (int)(n + more));
	enum json_tokener_error jerr = json_tokener_get_error(tok);
	size_t used = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		v = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		if (jerr != json_tokener_success)
			jerr = json_tokener_error_parse_eof;
		used = n;
	}
	bool ok = false;
	if (jerr != json_tokener_success)
		not_json(s, at + used, json_tokener_error_desc(jerr));
	else if (used < n) /* "true1": json-c took "true" */
		not_json(s, at + used, depth ? "unexpected character" : "data after the value");
	else
		ok = true;
	if (ok && out)
		*out = v;
	else
		json_object_put(v);
	if (own) /* json_tokener_free(NULL) crashes */
		json_tokener_free(own);
	return ok;
}

/* Whether bytes [at, end) of the file, a value at depth `depth` whose
 * structure skip_value has checked, are JSON json-c takes: in one go up to
 * CHECK_WHOLE bytes, else entry by entry (a key is given to json-c alone),
 * so checking a huge value costs no more memory than a CHECK_WHOLE one.
 * false with err set when not. Recursion: one level per nesting level of
 * the large values, at most PODS_DEPTH_MAX. */
static bool check_value(struct scan *s, size_t at, size_t end, unsigned depth)
{
	int open = byte_at(s, at);
	if (end - at <= CHECK_WHOLE || (open != '{' && open != '['))
		return jparse(s, NULL, at, end, depth, NULL);
	struct cursor saved = s->c;
	s->c = scan_range(s, at, end);
	cur_skip(&s->c, 1);
	skip_blanks(&s->c);
	bool ok = true;
	if (peek(&s->c) == (open == '{' ? '}' : ']'))
		goto done;
	for (;;) {
		size_t vat, vend;
		if (open == '{') {
			size_t kat = scan_at(s);
			if (!skip_string(s) || !jparse(s, NULL, kat, scan_at(s), PODS_DEPTH_MAX - 1, NULL)) {
				ok = false;
				break;
			}
			skip_blanks(&s->c);
			cur_skip(&s->c, 1); /* ':' */
		}
		if (!skip_value(s, depth + 1, &vat, &vend, NULL) ||
		    !check_value(s, vat, vend, depth + 1)) {
			ok = false;
			break;
		}
		skip_blanks(&s->c);
		if (peek(&s->c) != ',')
			break;
		cur_skip(&s->c, 1);
		skip_blanks(&s->c);
	}
done:
	s->c = saved;
	return ok;
}

/* Nothing but blanks left; else "data after the value". */
static bool at_end(struct scan *s)
{
	skip_blanks(&s->c);
	return peek(&s->c) < 0 || not_json(s, scan_at(s), "data after the value");
}

/* Whether the key at [at, end) (its quotes included) is w, byte for byte:
 * a key spelt with an escape is not. */
static bool key_is(const struct scan *s, size_t at, size_t end, const char *w)
{
	char k[8];
	size_t n = strlen(w);
	if (end - at != n + 2 || n > sizeof(k))
		return false;
	struct cursor c = scan_range(s, at + 1, end - 1);
	return cur_copy(&c, k, n) && memcmp(k, w, n) == 0;
}

/* The first pass: the whole file's structure, and every byte of it but
 * the "items" given to json-c: the top-level keys, "kind" (kept in t when
 * a string), every other member. The last of the same key counts, as with
 * json-c. false with err set (or *s->oom) when the file is empty or not
 * JSON json-c takes. */
static bool scan_top(struct scan *s, struct top *t)
{
	skip_blanks(&s->c);
	if (peek(&s->c) < 0) {
		set_err(s->err, s->errlen, "pod list '%s': empty", s->nm);
		return false;
	}
	size_t vat, vend;
	if (peek(&s->c) != '{')
		return skip_value(s, 0, &vat, &vend, NULL) && at_end(s) &&
		       check_value(s, vat, vend, 0);
	t->object = true;
	cur_skip(&s->c, 1);
	skip_blanks(&s->c);
	if (peek(&s->c) == '}') {
		cur_skip(&s->c, 1);
		return at_end(s);
	}
	for (;;) {
		skip_blanks(&s->c);
		size_t kat = scan_at(s), n;
		if (peek(&s->c) != '"')
			return bad_here(s, peek(&s->c) == '}' ? "unexpected character" :
								"quoted object property name expected");
		if (!skip_string(s) || !jparse(s, NULL, kat, scan_at(s), PODS_DEPTH_MAX - 1, NULL))
			return false;
		size_t kend = scan_at(s);
		skip_blanks(&s->c);
		if (peek(&s->c) != ':')
			return bad_here(s, "object property name separator ':' expected");
		cur_skip(&s->c, 1);
		if (!skip_value(s, 1, &vat, &vend, &n))
			return false;
		if (key_is(s, kat, kend, "items")) {
			/* one replaced is never read: checked now */
			if (t->items && !check_value(s, t->items_at, t->items_end, 1))
				return false;
			t->items = true;
			t->items_at = vat;
			t->items_end = vend;
			t->nitems = n;
		} else if (key_is(s, kat, kend, "kind") && byte_at(s, vat) == '"') {
			struct json_object *k = NULL;
			if (!jparse(s, NULL, vat, vend, 1, &k))
				return false;
			json_object_put(t->kind);
			t->kind = k;
		} else {
			if (!check_value(s, vat, vend, 1))
				return false;
			if (key_is(s, kat, kend, "kind")) {
				json_object_put(t->kind);
				t->kind = NULL;
			}
		}
		skip_blanks(&s->c);
		int b = peek(&s->c);
		if (b == '}')
			break;
		if (b != ',')
			return bad_here(s, "object value separator ',' expected");
		cur_skip(&s->c, 1);
	}
	cur_skip(&s->c, 1);
	return at_end(s);
}

/* The second pass over the "items" array at [at, end) (checked by
 * scan_top): each entry given to json-c alone, added, freed before the
 * next. false with err set (or b->oom) when json-c rejects an entry. */
static bool read_items(struct scan *s, struct build *b, size_t at, size_t end)
{
	struct json_tokener *tok = json_tokener_new_ex(PODS_DEPTH_MAX - 2);
	if (!tok) {
		b->oom = true;
		return false;
	}
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	struct cursor saved = s->c;
	s->c = scan_range(s, at, end);
	cur_skip(&s->c, 1);
	skip_blanks(&s->c);
	bool ok = true;
	for (size_t i = 0; ok && peek(&s->c) != ']'; i++) {
		size_t iat, iend;
		struct json_object *it = NULL;
		ok = skip_value(s, 2, &iat, &iend, NULL) && jparse(s, tok, iat, iend, 2, &it);
		if (ok) {
			add_item(b, it, i);
			json_object_put(it);
			ok = !b->oom;
		}
		skip_blanks(&s->c);
		if (peek(&s->c) == ',') {
			cur_skip(&s->c, 1);
			skip_blanks(&s->c);
		}
	}
	s->c = saved;
	json_tokener_free(tok);
	return ok;
}

/* The "items" array of a PodList or List: its entries. false with err set
 * (or b->oom) when it is missing, not an array, too long or not JSON. */
static bool take_items(struct scan *s, struct build *b, const struct top *t)
{
	if (!t->items || byte_at(s, t->items_at) != '[') {
		if (t->items && !check_value(s, t->items_at, t->items_end, 1))
			return false;
		set_err(s->err, s->errlen, "pod list '%s': no \"items\" array", s->nm);
		return false;
	}
	if (t->nitems > PODS_MAX) {
		if (!check_value(s, t->items_at, t->items_end, 1))
			return false;
		set_err(s->err, s->errlen, "pod list '%s': %zu items, more than %u", s->nm, t->nitems,
			PODS_MAX);
		return false;
	}
	return read_items(s, b, t->items_at, t->items_end);
}

struct pod_map *pods_parse(const char *name, const char *buf, size_t len, FILE *msg,
			   struct pods_stats *st, char *err, size_t errlen)
{
	char nm[EXCERPT_BUF];
	excerpt(nm, name ? name : "", name ? strlen(name) : 0);
	struct build b = { .name = name ? name : "" };
	struct scan s = { .base = (const uint8_t *)buf, .len = len, .nm = nm, .err = err,
			  .errlen = errlen, .oom = &b.oom };
	struct top t = { 0 };
	struct json_object *root = NULL;
	bool failed = true;
	if (st)
		*st = no_stats;
	if (err && errlen)
		err[0] = '\0';
	struct pod_map *m = b.m = calloc(1, sizeof(*m));
	if (!m || !(m->slots = calloc(16, sizeof(*m->slots))) ||
	    (msg && !(b.said = open_memstream(&b.said_buf, &b.said_len)))) {
		b.oom = true;
		goto out;
	}
	m->mask = 15;
	if (len > PODS_FILE_MAX) {
		set_err(err, errlen, "pod list '%s': larger than %llu bytes", nm, PODS_FILE_MAX);
		goto out;
	}
	s.c = cur_make(s.base, len);
	if (!scan_top(&s, &t))
		goto out;
	if (!t.object) {
		set_err(err, errlen, "pod list '%s': not a PodList, List or Pod (not a JSON object)",
			nm);
		goto out;
	}
	if (str_is(t.kind, "Pod")) {
		/* one pod: small, read whole (scan_top checked the structure) */
		size_t at, end;
		s.c = cur_make(s.base, len);
		if (!skip_value(&s, 0, &at, &end, NULL) || !jparse(&s, NULL, at, end, 0, &root))
			goto out;
		add_item(&b, root, 0);
	} else if (str_is(t.kind, "PodList") || str_is(t.kind, "List")) {
		if (!take_items(&s, &b, &t))
			goto out;
	} else {
		/* what the file holds is checked before its kind is */
		if (t.items && !check_value(&s, t.items_at, t.items_end, 1))
			goto out;
		char e[EXCERPT_BUF];
		if (t.kind)
			set_err(err, errlen, "pod list '%s': not a PodList, List or Pod (kind '%s')", nm,
				excerpt(e, json_object_get_string(t.kind),
					(size_t)json_object_get_string_len(t.kind)));
		else
			set_err(err, errlen, "pod list '%s': not a PodList, List or Pod (no kind)", nm);
		goto out;
	}
	if (b.oom)
		goto out;
	if (m->npods == 0) {
		free(m->pods);
		m->pods = NULL;
		m->pods_cap = 0;
	} else if (m->npods < m->pods_cap) {
		struct pod *p = realloc(m->pods, m->npods * sizeof(*p));
		if (p) {
			m->pods = p;
			m->pods_cap = m->npods;
		}
	}
	failed = false;
out:
	if (b.oom)
		set_err(err, errlen, "pod list '%s': out of memory", nm);
	if (b.said)
		fclose(b.said);
	/* a file found bad part way says nothing of the items before */
	if (msg && (!failed || b.oom)) {
		if (b.said_len)
			fwrite(b.said_buf, 1, b.said_len, msg);
		if (b.nmsg > PODS_MESSAGES_MAX) {
			char n2[EXCERPT_BUF];
			fprintf(msg, "%s: %llu more messages not shown\n",
				excerpt(n2, b.name, strlen(b.name)),
				(unsigned long long)(b.nmsg - PODS_MESSAGES_MAX));
		}
	}
	free(b.said_buf);
	if (st && m && (!failed || b.oom))
		*st = m->st;
	json_object_put(root);
	json_object_put(t.kind);
	free(b.tab);
	if (failed) {
		pods_free(m);
		return NULL;
	}
	return m;
}

struct pod_map *pods_load(const char *path, FILE *msg, struct pods_stats *st, char *err,
			  size_t errlen)
{
	char nm[EXCERPT_BUF];
	excerpt(nm, path, strlen(path));
	if (st)
		*st = no_stats;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		set_err(err, errlen, "cannot read pod list '%s': %s", nm, strerror(errno));
		return NULL;
	}
	struct stat sb;
	if (fstat(fd, &sb) != 0) {
		set_err(err, errlen, "cannot read pod list '%s': %s", nm, strerror(errno));
		close(fd);
		return NULL;
	}
	if (sb.st_size > (off_t)PODS_FILE_MAX) {
		set_err(err, errlen, "pod list '%s': larger than %llu bytes", nm, PODS_FILE_MAX);
		close(fd);
		return NULL;
	}
	/* read to the end, not st_size bytes: the file may be a pipe, or still
	 * growing; one byte over PODS_FILE_MAX tells it is too large */
	size_t cap = sb.st_size > 0 ? (size_t)sb.st_size + 1 : 65536, len = 0;
	char *buf = malloc(cap);
	int rerr = 0;
	while (buf && len <= PODS_FILE_MAX) {
		if (len == cap) {
			size_t ncap = cap > PODS_FILE_MAX / 2 ? PODS_FILE_MAX + 1 : cap * 2;
			char *t = realloc(buf, ncap);
			if (!t) {
				free(buf);
				buf = NULL;
				break;
			}
			buf = t;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rerr = r < 0 ? errno : 0;
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	struct pod_map *m = NULL;
	if (!buf)
		set_err(err, errlen, "pod list '%s': out of memory", nm);
	else if (rerr)
		set_err(err, errlen, "cannot read pod list '%s': %s", nm, strerror(rerr));
	else if (len > PODS_FILE_MAX)
		set_err(err, errlen, "pod list '%s': larger than %llu bytes", nm, PODS_FILE_MAX);
	else
		m = pods_parse(path, buf, len, msg, st, err, errlen);
	free(buf);
	return m;
}

const struct pod *pods_find(const struct pod_map *m, int ipver, const uint8_t *a)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	uint8_t k[16] = { 0 };
	if (!m || !a || m->naddrs == 0)
		return NULL;
	if (ipver == 4) {
		memcpy(k, a, 4);
	} else if (ipver == 6 && memcmp(a, mapped, 12) == 0) {
		ipver = 4;
		memcpy(k, a + 12, 4);
	} else if (ipver == 6) {
		memcpy(k, a, 16);
	} else {
		return NULL;
	}
	const struct slot *s = slot_of(m, ipver, k);
	return s->ipver ? &m->pods[s->pod] : NULL;
}

size_t pods_count(const struct pod_map *m)
{
	return m ? m->npods : 0;
}

uint32_t pods_generation(const struct pod_map *m)
{
	return m ? m->generation : 0;
}

void pods_set_generation(struct pod_map *m, uint32_t g)
{
	m->generation = g;
}

size_t pods_addresses(const struct pod_map *m)
{
	return m ? m->naddrs : 0;
}

size_t pods_bytes(const struct pod_map *m)
{
	if (!m)
		return 0;
	return sizeof(*m) + m->pods_cap * sizeof(*m->pods) + (m->mask + 1) * sizeof(*m->slots) +
	       m->arena_bytes;
}

const struct pods_stats *pods_map_stats(const struct pod_map *m)
{
	return m ? &m->st : &no_stats;
}
