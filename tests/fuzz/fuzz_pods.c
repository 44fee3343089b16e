/* fuzz_pods.c - libFuzzer target: arbitrary bytes as a pod list (the output
 * of `kubectl get pods -A -o json`) to pods_parse() (sensor/pods.c).
 * Whoever can create pods chooses their names, labels and images.
 *
 * The bytes are parsed from a malloc'd copy of exactly their size (so
 * AddressSanitizer reports a read past it), with the messages written to a
 * memory stream. Checks:
 *  - on NULL: a NUL-terminated error naming the list, "pod list 'fuzz': ...",
 *    no item counted unless the error is out of memory;
 *  - the counters add up: items = pods + host_network + finished +
 *    no_address + not_pods + bad_items, addresses >= pods; the map's
 *    counters, pods_count() and pods_addresses() equal them;
 *  - one message per bad part (bad_items + bad_strings + bad_addresses +
 *    address_conflicts), at most PODS_MESSAGES_MAX, then the "N more" line
 *    with the right N; every line starts with "fuzz: " and holds only
 *    printable ASCII (excerpts are escaped);
 *  - a second walk of the same JSON (json-c, outside pods.c) collects every
 *    string under a "podIP" or "ip" key anywhere and every address text it
 *    parses to (IPv4-mapped ones as IPv4): each one found in the map gives a pod whose strings are
 *    non-NULL, NUL-terminated within POD_STR_MAX bytes without control
 *    bytes, ns and name non-empty, at most POD_IMAGES_MAX distinct images
 *    (NULL after them), and whose own key (ipver, addr) finds the same pod
 *    (also as an IPv4-mapped IPv6 address for IPv4 keys); the distinct
 *    addresses found are exactly pods_addresses() and the distinct pods
 *    found exactly pods_count();
 *  - a second parse without a message stream or counters gives the same
 *    counters (the map is a function of the bytes);
 *  - pods_parse reads the list item by item with its own scanner: it says
 *    "not JSON" (or "empty") exactly when json-c's strict parse of the
 *    whole input (depth PODS_DEPTH_MAX, only blanks after the value) fails;
 *    when json-c takes it and the input holds no backslash (so no key is
 *    spelt with an escape, which pods_parse does not decode), the outcome
 *    follows from json-c's tree: not an object, kind "Pod" (1 item),
 *    "PodList"/"List" with an "items" array (its length in items) or
 *    without one, another kind.
 * A violation prints what failed and abort()s: libFuzzer saves the input.
 */
#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "pods.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz_pods"
#include "fuzz_invariant.h"

#define MAX_ADDRS 4096

/* addresses met in the second walk, as (ipver, 16 bytes) */
struct addrs {
	uint8_t a[MAX_ADDRS][17];
	size_t n;
};

static void add_text(struct addrs *s, const char *t, size_t len)
{
	char buf[64];
	uint8_t a[16] = { 0 };
	if (s->n == MAX_ADDRS || len == 0 || len >= sizeof(buf) || memchr(t, 0, len))
		return;
	memcpy(buf, t, len);
	buf[len] = '\0';
	int v = 0;
	if (inet_pton(AF_INET, buf, a) == 1)
		v = 4;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		v = 6;
	if (!v)
		return;
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (v == 6 && memcmp(a, mapped, 12) == 0) { /* one address of the map */
		v = 4;
		memmove(a, a + 12, 4);
		memset(a + 4, 0, 12);
	}
	s->a[s->n][0] = (uint8_t)v;
	memcpy(&s->a[s->n][1], a, 16);
	s->n++;
}

/* every string under a key "podIP" or "ip", at any depth */
static void walk(struct json_object *o, struct addrs *s)
{
	if (json_object_is_type(o, json_type_array)) {
		size_t n = json_object_array_length(o);
		for (size_t i = 0; i < n; i++)
			walk(json_object_array_get_idx(o, i), s);
	} else if (json_object_is_type(o, json_type_object)) {
		json_object_object_foreach(o, k, v)
		{
			if (json_object_is_type(v, json_type_string) &&
			    (strcmp(k, "podIP") == 0 || strcmp(k, "ip") == 0))
				add_text(s, json_object_get_string(v),
					 (size_t)json_object_get_string_len(v));
			else
				walk(v, s);
		}
	}
}

static int cmp17(const void *a, const void *b)
{
	return memcmp(a, b, 17);
}

static int cmp_ptr(const void *a, const void *b)
{
	const void *x = *(const void *const *)a, *y = *(const void *const *)b;
	return x < y ? -1 : x > y;
}

static void check_str(const char *s)
{
	CHECK(s != NULL);
	const char *nul = memchr(s, '\0', POD_STR_MAX + 1);
	CHECK(nul != NULL);
	for (const char *p = s; p < nul; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
}

static void check_pod(const struct pod_map *m, const struct pod *p)
{
	check_str(p->ns);
	check_str(p->name);
	CHECK(p->ns[0] != '\0' && p->name[0] != '\0');
	check_str(p->node);
	check_str(p->app);
	check_str(p->service_account);
	check_str(p->owner_kind);
	check_str(p->owner_name);
	CHECK(p->images != NULL);
	CHECK(p->nimages <= POD_IMAGES_MAX);
	for (uint32_t i = 0; i < p->nimages; i++) {
		check_str(p->images[i]);
		for (uint32_t j = 0; j < i; j++)
			CHECK(strcmp(p->images[i], p->images[j]) != 0);
	}
	CHECK(p->images[p->nimages] == NULL);
	CHECK(p->ipver == 4 || p->ipver == 6);
	if (p->ipver == 4) {
		for (int i = 4; i < 16; i++)
			CHECK(p->addr[i] == 0);
		uint8_t mapped[16] = { [10] = 0xff, [11] = 0xff };
		memcpy(mapped + 12, p->addr, 4);
		CHECK(pods_find(m, 6, mapped) == p);
	}
	CHECK(pods_find(m, p->ipver, p->addr) == p);
}

static void check_messages(const char *msgs, size_t len, const struct pods_stats *st)
{
	uint64_t bad = st->bad_items + st->bad_strings + st->bad_addresses + st->address_conflicts;
	size_t lines = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msgs[i];
		CHECK(c == '\n' || (c >= 0x20 && c < 0x7f));
		if (i == 0 || msgs[i - 1] == '\n')
			CHECK(len - i >= 6 && memcmp(msgs + i, "fuzz: ", 6) == 0);
		lines += c == '\n';
	}
	CHECK(len == 0 || msgs[len - 1] == '\n');
	if (bad <= PODS_MESSAGES_MAX) {
		CHECK(lines == bad);
	} else {
		CHECK(lines == PODS_MESSAGES_MAX + 1);
		char more[64];
		snprintf(more, sizeof(more), "fuzz: %llu more messages not shown\n",
			 (unsigned long long)(bad - PODS_MESSAGES_MAX));
		size_t n = strlen(more);
		CHECK(len >= n && memcmp(msgs + len - n, more, n) == 0);
	}
}

/* json-c's strict parse of the whole input, as pods.h describes it: the
 * value, or NULL with *ok false when json-c rejects it (a top-level JSON
 * null gives NULL with *ok true). */
static struct json_object *whole(const char *buf, size_t size, bool *ok)
{
	struct json_tokener *tok = json_tokener_new_ex(PODS_DEPTH_MAX);
	CHECK(tok != NULL);
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_ALLOW_TRAILING_CHARS);
	struct json_object *root = json_tokener_parse_ex(tok, buf, (int)size);
	size_t end = json_tokener_get_parse_end(tok);
	if (json_tokener_get_error(tok) == json_tokener_continue) {
		root = json_tokener_parse_ex(tok, "", 1);
		end = size;
	}
	*ok = json_tokener_get_error(tok) == json_tokener_success;
	json_tokener_free(tok);
	for (size_t i = end; *ok && i < size; i++)
		*ok = buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r';
	if (!*ok) {
		json_object_put(root);
		root = NULL;
	}
	return root;
}

static bool is_str(struct json_object *v, const char *s)
{
	return json_object_is_type(v, json_type_string) &&
	       strcmp(json_object_get_string(v), s) == 0;
}

/* pods_parse's outcome (m, st, err) against json-c's whole parse */
static void check_oracle(const char *buf, size_t size, struct json_object *root, bool ok,
			 const struct pod_map *m, const struct pods_stats *st, const char *err)
{
	static const char not_json[] = "pod list 'fuzz': not JSON at byte ";
	bool said_not_json = m == NULL && (strncmp(err, not_json, sizeof(not_json) - 1) == 0 ||
					   strcmp(err, "pod list 'fuzz': empty") == 0);
	CHECK(said_not_json == !ok);
	if (!ok)
		return;
	if (memchr(buf, '\\', size))
		return;
	struct json_object *kind = NULL, *items = NULL;
	if (!json_object_is_type(root, json_type_object)) {
		CHECK(m == NULL && strcmp(err, "pod list 'fuzz': not a PodList, List or Pod (not a "
						 "JSON object)") == 0);
		return;
	}
	json_object_object_get_ex(root, "kind", &kind);
	if (is_str(kind, "Pod")) {
		CHECK(m != NULL && st->items == 1);
	} else if (is_str(kind, "PodList") || is_str(kind, "List")) {
		json_object_object_get_ex(root, "items", &items);
		if (json_object_is_type(items, json_type_array))
			CHECK(m != NULL && st->items == json_object_array_length(items));
		else
			CHECK(m == NULL && strcmp(err, "pod list 'fuzz': no \"items\" array") == 0);
	} else {
		static const char other[] = "pod list 'fuzz': not a PodList, List or Pod (";
		CHECK(m == NULL && strncmp(err, other, sizeof(other) - 1) == 0 &&
		      (strncmp(err + sizeof(other) - 1, "kind '", 6) == 0 ||
		       strcmp(err + sizeof(other) - 1, "no kind)") == 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	char *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	char *msgs = NULL;
	size_t msglen = 0;
	FILE *f = open_memstream(&msgs, &msglen);
	if (!f) {
		free(buf);
		return 0;
	}
	struct pods_stats st;
	char err[512];
	memset(&st, 0xa5, sizeof(st));
	memset(err, 'E', sizeof(err));
	struct pod_map *m = pods_parse("fuzz", buf, size, f, &st, err, sizeof(err));
	fclose(f);

	CHECK(st.items == st.pods + st.host_network + st.finished + st.no_address + st.not_pods +
				  st.bad_items);
	CHECK(st.addresses >= st.pods);
	check_messages(msgs, msglen, &st);
	free(msgs);
	bool jc_ok;
	struct json_object *root = whole(buf, size, &jc_ok);
	if (m || !strstr(err, "out of memory"))
		check_oracle(buf, size, root, jc_ok, m, &st, err);
	if (!m) {
		json_object_put(root);
		CHECK(memchr(err, '\0', sizeof(err)) != NULL);
		CHECK(strncmp(err, "pod list 'fuzz': ", 17) == 0);
		if (!strstr(err, "out of memory"))
			CHECK(st.items == 0);
		CHECK(pods_parse("fuzz", buf, size, NULL, NULL, NULL, 0) == NULL);
		free(buf);
		return 0;
	}
	CHECK(memcmp(pods_map_stats(m), &st, sizeof(st)) == 0);
	CHECK(pods_count(m) == st.pods);
	CHECK(pods_addresses(m) == st.addresses);
	CHECK(st.items <= PODS_MAX);
	CHECK(pods_bytes(m) >= pods_count(m) * sizeof(struct pod) + 2 * pods_addresses(m) * 16);

	/* the second walk */
	CHECK(root != NULL); /* pods_parse took it: it is an object */
	static struct addrs seen;
	seen.n = 0;
	walk(root, &seen);
	json_object_put(root);
	qsort(seen.a, seen.n, 17, cmp17);
	static const struct pod *found[MAX_ADDRS];
	size_t naddr = 0, npod = 0;
	for (size_t i = 0; i < seen.n; i++) {
		if (i > 0 && memcmp(seen.a[i], seen.a[i - 1], 17) == 0)
			continue;
		const struct pod *p = pods_find(m, seen.a[i][0], &seen.a[i][1]);
		if (!p)
			continue;
		naddr++;
		check_pod(m, p);
		found[npod++] = p;
	}
	if (seen.n < MAX_ADDRS) {
		CHECK(naddr == pods_addresses(m));
		qsort(found, npod, sizeof(found[0]), cmp_ptr);
		size_t distinct = 0;
		for (size_t i = 0; i < npod; i++)
			distinct += i == 0 || found[i] != found[i - 1];
		CHECK(distinct == pods_count(m));
	}

	/* the same counters again, without stream or counters */
	struct pod_map *m2 = pods_parse("fuzz", buf, size, NULL, NULL, NULL, 0);
	CHECK(m2 != NULL);
	CHECK(memcmp(pods_map_stats(m2), &st, sizeof(st)) == 0);
	CHECK(pods_bytes(m2) == pods_bytes(m));
	pods_free(m2);
	pods_free(m);
	free(buf);
	return 0;
}
