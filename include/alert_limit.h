/* alert_limit.h - at most N alerts per source address per window of packet
 * time, shared by every worker (--alert-rate-limit N/SECONDS).
 *
 * Policy:
 *  - The source is the alert's src_ip (the flow's initiator: the pod or
 *    host that opened the connection or sent the DNS query). Time is packet
 *    time, cut in fixed windows of `window_us` (window = ts / window_us),
 *    so a replay gives the same result however fast it runs.
 *  - Within a window a source gets `limit` alerts; further ones are not
 *    written and are counted (suppressed). The flow still counts as alerted
 *    for that signature (one alert per flow per signature): a suppressed
 *    alert does not come back later in the flow.
 *  - One table for all workers, not one per worker: a per-worker limit
 *    would let a source through N times the worker count, and how many of
 *    its alerts pass would depend on --workers. Here the number written
 *    per (source, window) is min(alerts due, limit) for any worker count;
 *    with several workers only which of a window's alerts are the first
 *    `limit` may differ (workers reach them in their own order).
 *  - The table is taken only when an alert is due, never per packet: a
 *    lock per stripe of buckets (ALERT_LIMIT_STRIPES), held for a few
 *    compares.
 *  - Bounded: `entries` slots (rounded up to a power of two, at least 4),
 *    4-way set associative by address hash. A (source, window) pair
 *    replaces the entry of its bucket with the oldest window, if that
 *    window is older than its own. When all four ways hold this window or
 *    a newer one (a flood of distinct sources into one bucket), the alert
 *    is written - fail open: never lose an alert because of the table -
 *    and counted in table_full.
 *  - No global state; counters are atomics, read after the workers end.
 */
#ifndef DAVY_ALERT_LIMIT_H
#define DAVY_ALERT_LIMIT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALERT_LIMIT_WAYS 4
#define ALERT_LIMIT_STRIPES 64

struct alert_limit_entry {
	uint8_t addr[16];
	uint8_t ipver; /* 0: empty */
	uint32_t count;
	uint64_t window;
};

struct alert_limit {
	uint32_t limit;       /* alerts per source per window */
	uint64_t window_us;
	size_t nbuckets;      /* power of two */
	struct alert_limit_entry *e; /* nbuckets * ALERT_LIMIT_WAYS */
	pthread_mutex_t stripe[ALERT_LIMIT_STRIPES];
	_Atomic uint64_t allowed, suppressed, table_full;
};

/* limit > 0, window_us > 0. Returns 0, or -1 with a message in err. */
int alert_limit_init(struct alert_limit *l, uint32_t limit, uint64_t window_us, size_t entries,
		     char *err, size_t errlen);
void alert_limit_free(struct alert_limit *l);

/* Whether an alert from source addr (ipver 4: the first 4 bytes) at packet
 * time ts_us may be written; counts it either way. Thread-safe. */
bool alert_limit_allow(struct alert_limit *l, uint8_t ipver, const uint8_t addr[16],
		       uint64_t ts_us);

/* Bytes the table holds. */
size_t alert_limit_bytes(const struct alert_limit *l);

#endif
