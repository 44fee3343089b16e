/* redis_out.h - records to Redis Streams, from the output thread.
 *
 * Every record becomes one XADD to the stream of its event type
 * (PREFIX:flow, PREFIX:alert, PREFIX:stats; any other type PREFIX:<type>),
 * `MAXLEN ~ maxlen`, with the fields
 *   json          the record (one JSON object, without the newline)
 *   event_type    sensor (the sensor name)
 *   src_ip dest_ip dest_port app_proto signature_id   where the record has them
 * (the flat fields are read from the record's top level; signature_id from
 * its `alert` object). Alerts are also PUBLISHed, the record as message, on
 * PREFIX:alerts for live subscribers (best effort: a failed PUBLISH is
 * counted in `errors`, not retried; the stream is the durable copy).
 *
 * Owner: one thread (the output thread, then the main thread after joining
 * it). Nothing here is shared or locked.
 *
 * Queue: records wait in one bounded byte ring (`queue_bytes`, counted in
 * `queue_max`) from redis_out_push() until Redis acknowledged them. A record
 * leaves the ring only after its XADD reply came back without error: so a
 * record is never lost while it is queued, and one may be written twice
 * around a reconnect (the batch it was in is sent again). Delivery is at
 * least once; a consumer drops duplicates by (flow_id, sensor, event_type,
 * timestamp) - see docs/DESIGN.md.
 *
 * Pipelining: redis_out_service() writes a batch of commands in one write and
 * reads their replies together, with up to REDIS_INFLIGHT (2) batches
 * written at once, so Redis works on one while davy reads the other's
 * replies and formats the next. The batch is what is queued, up to a
 * cap that adapts to load: it doubles (to 8192 records or 2 MiB) while the
 * queue holds more than a batch, and halves (to 16) when batches run small,
 * so a quiet sensor sends small batches soon and a busy one large batches.
 *
 * Failures: a connection that cannot be made, or breaks (EOF, I/O error,
 * I/O timeout 5 s), is dropped and made again after a capped exponential
 * backoff (100 ms doubling to 5 s). An error reply (WRONGTYPE, OOM, ...) to
 * an XADD keeps that record and the ones after it queued and retries them
 * after the same backoff. Each outage is logged once when it starts and once
 * when it ends; `errors` counts failed connects, broken connections and
 * error replies; `reconnects` the connections made after the first.
 *
 * When the queue is full:
 *   wait mode (replay): redis_out_push() refuses the record; the caller keeps
 *     it and calls redis_out_service() until there is room. If nothing was
 *     delivered for `timeout_s` (0: wait forever) while records wait, the
 *     output gives up: what is queued, and every record pushed later, is
 *     counted as undelivered (by type, with the range of their timestamps)
 *     and redis_out_report() says so.
 *   drop mode (live capture: never block): flow and stats records are
 *     dropped once the queue is 90% full, alerts only when it is full; each
 *     drop is counted in `dropped` by type.
 */
#ifndef DAVY_REDIS_OUT_H
#define DAVY_REDIS_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "record.h"
#include "redis_conn.h"

enum redis_rec { RR_FLOW, RR_ALERT, RR_STATS, RR_OTHER, RR__COUNT };

struct redis_out_cfg {
	struct redis_url url;
	char prefix[64];        /* stream names: PREFIX:flow, ... */
	uint64_t maxlen;        /* MAXLEN ~ N; 0: no trimming */
	size_t queue_bytes;     /* the queue's bound */
	bool drop_when_full;    /* drop mode (see above) */
	uint32_t timeout_s;     /* wait mode: give up after this long without delivery */
	const char *sensor;     /* the `sensor` field */
	bool quiet;             /* no outage messages */
	FILE *log;              /* where outages are reported (stderr) */
};

struct redis_out_stats {
	uint64_t delivered[RR__COUNT]; /* XADDs acknowledged */
	uint64_t published;            /* PUBLISHes acknowledged */
	uint64_t errors;               /* redis_errors */
	uint64_t reconnects;           /* redis_reconnects */
	uint64_t dropped[RR__COUNT];   /* redis_dropped (drop mode, queue full) */
	uint64_t undelivered[RR__COUNT]; /* after giving up */
	uint64_t batches, batch_max, resent;
	uint64_t queue_max;            /* most bytes queued at once */
	uint64_t queued_records;       /* now */
};

#define REDIS_INFLIGHT 2
#define REDIS_BATCH_MAX 8192

struct rq_batch { /* a batch written, replies not yet read */
	unsigned k;
	uint8_t types[REDIS_BATCH_MAX];
};

enum rf_field { RF_TIMESTAMP, RF_EVENT_TYPE, RF_SRC_IP, RF_DEST_IP, RF_DEST_PORT, RF_APP_PROTO,
		RF_SIGNATURE_ID, RF__COUNT };

struct redis_out {
	struct redis_out_cfg cfg;
	redisContext *c;
	char where[512];         /* the URL, without its password */
	/* the queue: a byte ring of entries (header + record) */
	unsigned char *ring;
	size_t cap, head, tail, used; /* byte offsets; used counts wrap waste too */
	uint64_t nrec;
	/* batches: formatted commands, in flight */
	char *cmd;
	size_t cmd_cap;
	unsigned batch_cap;
	uint64_t sent_n;          /* oldest records written, replies not read */
	size_t send_off;          /* ring offset of the first record not written */
	struct rq_batch infl[REDIS_INFLIGHT];
	unsigned infl_head, ninfl;
	/* command words formatted once (format_words) */
	char w_xadd[RR__COUNT][256], w_sensor[300], w_field[RF__COUNT][32], w_pub[128];
	size_t w_xadd_len[RR__COUNT], w_sensor_len, w_field_len[RF__COUNT], w_pub_len;
	/* failures */
	bool connected_once, down, gave_up, draining;
	uint64_t deadline_us;     /* redis_out_shutdown: give up at this time; 0 none */
	uint32_t shutdown_s;
	bool deadline_hit;
	uint64_t backoff_us, next_try_us, down_since_us, stall_since_us;
	char last_err[1024];
	char undel_first[RECORD_TIME_LEN], undel_last[RECORD_TIME_LEN];
	struct redis_out_stats st;
};

/* Sets up the queue and buffers (no connection yet: the first
 * redis_out_service() connects). -1 with a message in err. */
int redis_out_init(struct redis_out *ro, const struct redis_out_cfg *cfg, char *err, size_t errlen);

/* Connects now, once: at start-up a URL that cannot be reached is worth a
 * warning (replay then waits for it). Returns 0 when connected. */
int redis_out_connect_now(struct redis_out *ro);

enum redis_push { RP_QUEUED, RP_FULL, RP_DROPPED, RP_UNDELIVERED };

/* Queues one record (a JSON line as the workers write it). RP_FULL only in
 * wait mode: the record was not taken. */
enum redis_push redis_out_push(struct redis_out *ro, const char *rec, size_t len);

/* One step: (re)connects when due, sends one batch when connected and
 * something is queued, gives up when the wait-mode timeout passed. Returns
 * true when it made progress (delivered something). */
bool redis_out_service(struct redis_out *ro);

/* Shutdown (SIGINT/SIGTERM): from now on wait for room instead of dropping,
 * and give up on what is still queued `timeout_s` seconds from now (the
 * undelivered records are counted and redis_out_report names them). */
void redis_out_shutdown(struct redis_out *ro, uint32_t timeout_s);

/* Services until the queue is empty or the output gave up (wait mode
 * timeout; in drop mode the same timeout bounds this final wait). Returns 0
 * when everything queued was delivered. */
int redis_out_drain(struct redis_out *ro);

/* True once the output gave up (nothing more will be sent). */
static inline bool redis_out_gave_up(const struct redis_out *ro) { return ro->gave_up; }

/* After a drain that failed: one message naming what was not delivered. */
void redis_out_report(const struct redis_out *ro, FILE *fp);

/* A counter of struct redis_out_stats over all record types. */
static inline uint64_t redis_total(const uint64_t n[RR__COUNT])
{
	uint64_t sum = 0;
	for (int t = 0; t < RR__COUNT; t++)
		sum += n[t];
	return sum;
}

/* The stream key's suffix for a record type ("flow", ...). */
const char *redis_rec_name(enum redis_rec t);

void redis_out_free(struct redis_out *ro);

/* Exposed for tests and the fuzz target: the flat fields of one record
 * (offsets into rec of each value, without quotes; len 0: absent). */
struct rec_fields {
	uint16_t off[RF__COUNT], len[RF__COUNT];
};
/* Reads the top level of one JSON object (and the `alert` object one level
 * down) through the cursor. Returns 0, or -1 when rec is not a JSON object
 * this scanner can walk (the fields found before the problem are kept). */
int rec_fields_scan(const char *rec, size_t len, struct rec_fields *rf);

#endif
