/* alert_dedup.h - one alert per flow when its packets are captured on
 * several interfaces.
 *
 * A packet of a pod's connection can be captured twice: on the CNI bridge
 * and, VXLAN-wrapped or routed, on the uplink. davy keeps one flow per
 * interface (the capture interface is part of the flow key, as Suricata's
 * livedev tracking does), so each interface's record counts what that
 * interface saw. Alerts are not repeated: every copy of a connection goes to
 * the same worker (the dispatch hash leaves out the interface, VLAN tags and
 * tunnel identifiers), and that worker's table remembers, per signature and
 * inner 5-tuple, which interface alerted last and when. An alert for the
 * same signature and 5-tuple from another interface within
 * ALERT_DEDUP_WINDOW_US of it is suppressed and counted
 * (stats.alerts.duplicates). The same interface alerting again (a new
 * connection that reuses the 5-tuple) is not suppressed.
 *
 * Policy limits (docs/DESIGN.md): a copy whose addresses were rewritten on
 * the way (SNAT to the node's address on the uplink) is a different
 * 5-tuple and alerts on its own; two tenants using the same inner
 * addresses on different interfaces within the window would be taken for
 * copies. Replay reads one source, so nothing is ever suppressed there.
 *
 * Bound: `slots` entries (a power of two), direct-mapped by the key's hash;
 * a newer key takes the slot (counted in `replaced` when the old one was
 * still inside the window). Entries are matched by a 64-bit hash of the
 * key. No allocation after init; one table per worker, no lock.
 */
#ifndef DAVY_ALERT_DEDUP_H
#define DAVY_ALERT_DEDUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ALERT_DEDUP_SLOTS 4096
#define ALERT_DEDUP_WINDOW_US (60 * 1000000ULL)

struct alert_dedup_stats {
	uint64_t suppressed; /* alerts not written: a copy from another interface */
	uint64_t replaced;   /* entries overwritten inside their window */
};

struct alert_dedup_slot {
	uint64_t key;
	uint64_t ts_us;
	uint32_t iface;
	uint32_t used;
};

struct alert_dedup {
	struct alert_dedup_slot *slot;
	uint32_t mask;
	struct alert_dedup_stats st;
};

/* slots: rounded up to a power of two. Returns 0, or -1 with a message. */
int alert_dedup_init(struct alert_dedup *d, unsigned slots, char *err, size_t errlen);
void alert_dedup_free(struct alert_dedup *d);

/* An alert with key `key` (signature and inner 5-tuple, hashed) on
 * interface `iface` at ts_us: true when it is a copy to suppress (counted),
 * false when it is to be written (and is remembered). */
bool alert_dedup_check(struct alert_dedup *d, uint64_t key, uint32_t iface, uint64_t ts_us);

#endif
