/* record.h - EVE-style JSON records (one object per line).
 *
 * Field names follow Suricata's EVE JSON wherever EVE has the field; davy's
 * own facts sit in their own objects (ndpi, sensor, ...). The schema is in
 * docs/records.md and docs/record.schema.json; tests check records against it.
 * Every function writes into a caller-owned jbuf and allocates nothing.
 */
#ifndef DAVY_RECORD_H
#define DAVY_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "decode.h"
#include "flow.h"
#include "geo.h"
#include "jbuf.h"

#define RECORD_MAX 16384 /* bytes one record may take; bigger is counted and dropped */
#define RECORD_TIME_LEN 40

/* "2024-01-01T00:00:00.000000+0000" (EVE's form: UTC, microseconds). */
void record_time(char *out, uint64_t ts_us);

/* EVE's flow_id: a 51-bit number (exact in a JSON double), derived from the
 * flow key and its start time, so it is the same for any worker count. */
uint64_t record_flow_id(const struct flow *f);

/* Writes the flow's endpoint fields (src_ip ... proto, vlan, tunnel,
 * community_id, dns_linked_name) oriented src -> dest. Shared by every
 * record about a flow. */
void record_flow_header(struct jbuf *j, const struct flow *f);

/* What every record about a flow carries besides the flow itself: the
 * sensor's name, and what enrichment knows of its endpoints (record
 * orientation: 0 src, 1 dest; `found` false: nothing). */
struct pod;
struct record_ctx {
	const char *sensor;
	struct geo_info geo[2];
	const struct pod *pod[2]; /* NULL: not a pod's address (or no --pods) */
	const char *iface;        /* the capture interface (live); NULL: replay */
};

/* The end of every record about a flow: `k8s` and `geo` (each when an
 * endpoint has something) and `sensor`. */
void record_trailer(struct jbuf *j, const struct record_ctx *rc);

/* A complete `event_type: flow` record: for a flow that ended with reason
 * `why`, or (update true) for a flow still open, whose record then says
 * reason "update" and carries the time of its last packet as timestamp. */
size_t record_flow(struct jbuf *j, const struct classifier *c, const struct flow *f,
		   enum flow_reason why, bool update, const struct record_ctx *rc);

/* app_proto: "stratum" once the Stratum parser recognised a dialect, else
 * nDPI's (omitted when nDPI has nothing better than a port guess). */
void record_app_proto(struct jbuf *j, const struct classifier *c, const struct flow *f);

/* A short `flow` object (packet and byte counts so far, start) for records
 * about a flow other than its own flow record (alerts). */
void record_flow_summary(struct jbuf *j, const struct flow *f);

/* The flow's `stratum` object (davy's own: dialect, role, login, ...). */
struct stratum_info;
void record_stratum(struct jbuf *j, const struct stratum_info *si);

/* Formats an address of the given IP version. */
void record_addr(char *out, size_t len, int ipver, const uint8_t *a);

#endif
