/* pods.h - which Kubernetes workload an address belongs to: the pod list
 * that `kubectl get pods -A -o json` writes, read into an immutable map from
 * pod IP to pod.
 *
 * Input: a JSON object whose "kind" is "PodList" or "List" (kubectl writes
 * "List") with an "items" array, or a single object of kind "Pod". A List's
 * items of another kind are skipped (counted in not_pods); an item without
 * a "kind" is taken as a Pod. The top-level members may come in any order
 * (kubectl writes "items" before "kind"); of a key given twice the last
 * counts, as with json-c. The keys "kind" and "items" are matched byte for
 * byte: one spelt with an escape ("it\u0065ms") is another key.
 *
 * How it is read: one item at a time. A scanner (the bytes read through a
 * cursor, cursor.h) walks the structure of the top-level object and of its
 * "items" array and finds each item's bytes; json-c (strict) parses each
 * item alone, and it is read and freed before the next. Every other byte
 * is given to json-c too (keys, "kind", the other members, in pieces of at
 * most a few KiB when large), so a file is taken exactly when json-c's
 * strict parse of the whole file would take it: JSON's four blanks,
 * json-c's strings, escapes and numbers (NaN and Infinity included), no
 * trailing comma, nothing but blanks after the value, no value nested
 * deeper than PODS_DEPTH_MAX levels (the top level is level 1). A single
 * Pod is parsed by json-c whole.
 * Peak memory while reading: the input (pods_load: the file, read whole)
 * plus one item's json-c tree (a few KiB to a few tens of KiB for a real
 * pod) plus the map being built; no longer json-c's tree of the whole file
 * (about 6 times its size). 10,000 pods, 100 MB: about 104 MB resident at
 * the peak, of which 100 MB the file.
 *
 * What a pod gives (every string "" when absent, never NULL):
 *  - ns, name: metadata.namespace, metadata.name (both required: an item
 *    without them, or where they are not strings or empty, is a bad item);
 *  - node: spec.nodeName;
 *  - app: metadata.labels["app"], else metadata.labels["app.kubernetes.io/name"];
 *  - service_account: spec.serviceAccountName, else spec.serviceAccount;
 *  - images: the "image" of spec.initContainers[], spec.containers[] and
 *    spec.ephemeralContainers[], in that order, each distinct one once, at
 *    most POD_IMAGES_MAX (more counted in images_cut); images[nimages] is
 *    NULL;
 *  - owner_kind, owner_name: the metadata.ownerReferences[] entry with
 *    "controller": true, else the first entry;
 *  - addresses: status.podIPs[].ip, else (no podIPs or none in it)
 *    status.podIP. IPv4-mapped IPv6 addresses are taken as IPv4. The first
 *    one mapped to the pod is its key (ipver, addr) for per-workload bounds
 *    (the alert rate limit).
 *
 * Not attributed (the pod is counted, not mapped):
 *  - spec.hostNetwork true: its addresses are the node's, shared by every
 *    host-network pod and the node itself (host_network);
 *  - status.phase "Succeeded" or "Failed": it has finished and its address
 *    may already belong to another pod (finished);
 *  - no address yet, e.g. Pending, or none left once bad addresses and
 *    those of earlier pods are set aside (no_address).
 * So items = pods + host_network + finished + no_address + not_pods +
 * bad_items.
 *
 * Bad parts, counted and skipped, never fatal for the file: an item that is
 * not an object or lacks namespace/name (bad_items); an address that is not
 * an IP (bad_addresses; the pod's other addresses are kept); a field of the
 * wrong JSON type is taken as absent; a string longer than POD_STR_MAX bytes
 * or holding a control byte (below 0x20, or 0x7f) is taken as absent
 * (bad_strings). An address already mapped to an earlier pod stays with
 * that pod (address_conflicts). Each bad part gets one message on the `msg`
 * stream given (NULL: none), at most PODS_MESSAGES_MAX a file, then one
 * "N more" line: "NAME: item 17 (ns/name): status.podIPs[1].ip 'x' is not
 * an IP address".
 *
 * Whole-file errors (NULL returned, the reason in err, naming the file):
 * the file cannot be read, is larger than PODS_FILE_MAX, is empty, is not
 * JSON ("not JSON at byte N: REASON", N the byte where the problem is,
 * json-c's reason or the scanner's in json-c's words), is not an object of a
 * kind above, has no "items" array, holds more than PODS_MAX items, or
 * memory runs out. Not being JSON is found before any of the others, and
 * anywhere in the file, inside an item too: an item json-c rejects fails
 * the whole file, not just that item. A file that fails says nothing of
 * the items read before the failure (their messages are held until the
 * file is known good) and counts none (st all 0), but for out of memory. A
 * reload that fails keeps the previous map (the caller's policy).
 *
 * Invariants: a map is built by one call and never changed; every function
 * taking a `const struct pod_map *` only reads (no allocation, no lock, no
 * state), so any number of threads may look up the same map. A `const
 * struct pod *` and its strings live as long as the map. No global state.
 *
 * Cost: pods_find is one hash of the address and a linear probe of an
 * open-addressing table at most half full. Memory: the strings (each
 * distinct string of a map - namespace, node, image, ... - stored once),
 * about 90 bytes a pod and 24 bytes an address slot, 2 to 4 slots an
 * address: about 200 bytes a pod in all for 10,000 pods with unique names.
 * pods_parse is linear in the file: the items' bytes are scanned twice (to
 * find the end of "items", then item by item) and parsed once by json-c,
 * about 0.5 s for 10,000 pods in 100 MB.
 */
#ifndef DAVY_PODS_H
#define DAVY_PODS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define PODS_FILE_MAX (1ull << 30) /* bytes a pod list file */
#define PODS_MAX 1000000u          /* items a list */
#define PODS_DEPTH_MAX 64          /* JSON nesting, levels (json-c's depth) */
#define POD_IMAGES_MAX 8           /* images kept a pod (records stay small) */
#define POD_STR_MAX 256            /* bytes a kept string (names: 253 at most) */
#define PODS_MESSAGES_MAX 10       /* messages a file, then one "N more" line */

struct pod {
	const char *ns, *name, *node, *app, *service_account;
	const char *owner_kind, *owner_name;
	const char *const *images;
	uint32_t nimages;
	uint8_t ipver;    /* the pod's first address: 4 or 6 */
	uint8_t addr[16]; /* network order; IPv4 in the first 4 bytes */
};

/* only uint64_t counters */
struct pods_stats {
	uint64_t items;             /* entries of "items" (1 for a single Pod) */
	uint64_t pods;              /* pods mapped by address */
	uint64_t addresses;         /* addresses mapped */
	uint64_t host_network;      /* skipped: spec.hostNetwork */
	uint64_t finished;          /* skipped: status.phase Succeeded or Failed */
	uint64_t no_address;        /* skipped: no pod IP */
	uint64_t not_pods;          /* List items of another kind */
	uint64_t bad_items;
	uint64_t bad_addresses;
	uint64_t bad_strings;
	uint64_t address_conflicts;
	uint64_t images_cut;
};

struct pod_map;

/* A map from len bytes of JSON (need not be NUL-terminated); name is the
 * file's name for messages. NULL on a whole-file error (above), with the
 * reason in err. st (may be NULL) receives the counters either way. */
struct pod_map *pods_parse(const char *name, const char *buf, size_t len, FILE *msg,
			   struct pods_stats *st, char *err, size_t errlen);

/* pods_parse of the file at path. */
struct pod_map *pods_load(const char *path, FILE *msg, struct pods_stats *st, char *err,
			  size_t errlen);

void pods_free(struct pod_map *m);

/* The pod whose address a is (ipver 4: 4 bytes, 6: 16 bytes; an
 * IPv4-mapped IPv6 address is looked up as IPv4), or NULL. m may be NULL. */
const struct pod *pods_find(const struct pod_map *m, int ipver, const uint8_t *a);

size_t pods_count(const struct pod_map *m);     /* pods mapped */
/* Which load of a live map this is (pods_live.h: 0 for the first, one more
 * at each reload; 0 for NULL); workers compare it to re-check open flows. */
uint32_t pods_generation(const struct pod_map *m);
void pods_set_generation(struct pod_map *m, uint32_t g);
size_t pods_addresses(const struct pod_map *m); /* addresses mapped */
size_t pods_bytes(const struct pod_map *m);     /* memory held */
const struct pods_stats *pods_map_stats(const struct pod_map *m);

#endif
