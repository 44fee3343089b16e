/* classify.h - nDPI 4.2 glue: one detection module per worker, nDPI flow
 * state only while a flow is being classified.
 *
 * Invariants:
 *  - A `struct classifier` belongs to one worker thread.
 *  - A flow's `nf` is non-NULL exactly while detection runs. Detection ends
 *    when nDPI knows the application and expects no more metadata, or after
 *    `max_pkts` packets (then nDPI's give-up guess is taken). At that point
 *    the results are copied into `struct classify` and `nf` goes back to the
 *    worker's pool, so a long-lived flow costs only `struct classify`.
 *  - nDPI flow buffers are pooled per worker (bound: one per live flow, which
 *    the flow table bounds); nDPI's own internal allocations are its own.
 */
#ifndef DAVY_CLASSIFY_H
#define DAVY_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ndpi_flow_struct;
struct ndpi_detection_module_struct;

#define CLASSIFY_HOST_MAX 80 /* nDPI 4.2's host_server_name size */

struct classify {
	struct ndpi_flow_struct *nf; /* NULL when not (or no longer) classifying */
	uint64_t risk;               /* nDPI risk bitmap */
	uint16_t app, master;        /* nDPI protocol ids */
	uint16_t category;
	uint8_t confidence;          /* ndpi_confidence_t */
	uint8_t dpi_pkts;            /* packets given to nDPI */
	uint8_t done;                /* detection finished */
	uint8_t guessed;             /* result came from nDPI's give-up guess */
	char host[CLASSIFY_HOST_MAX]; /* SNI / DNS query / HTTP Host */
	char ja3[33];                /* TLS client JA3 hash */
};

/* only uint64_t counters: counters.h adds them up */
struct classifier_stats {
	uint64_t calls;        /* ndpi_detection_process_packet calls */
	uint64_t detected;     /* flows finished with a DPI result */
	uint64_t gave_up;      /* flows finished by the packet cap or flow end */
	uint64_t live;         /* nDPI flow states in use */
	uint64_t peak_live;
	uint64_t no_memory;    /* nDPI state could not be allocated */
};

struct classifier {
	struct ndpi_detection_module_struct *ndpi;
	unsigned max_pkts;
	void *pool;            /* free nDPI flow buffers, linked through their first word */
	struct classifier_stats st;
};

/* Returns 0, or -1 with a message in err. */
int classifier_init(struct classifier *c, unsigned max_pkts, char *err, size_t errlen);
void classifier_free(struct classifier *c);

/* Starts detection for a new flow (cls must be zeroed). */
void classify_start(struct classifier *c, struct classify *cls);
/* Gives one IP packet (header onwards) to nDPI while detection runs. */
void classify_packet(struct classifier *c, struct classify *cls, const uint8_t *ip,
		     uint32_t len, uint64_t ts_us);
/* Ends detection now (flow end): takes nDPI's guess and releases the state. */
void classify_finish(struct classifier *c, struct classify *cls);

/* Names for records; never NULL (empty string when unknown). */
const char *classify_proto_name(const struct classifier *c, uint16_t id);
const char *classify_category_name(const struct classifier *c, uint16_t cat);
const char *classify_confidence_name(uint8_t conf);
/* EVE-style app_proto ("tls", "http", "dns", ...), or NULL when nDPI found
 * nothing better than a port guess. */
const char *classify_app_proto(const struct classifier *c, const struct classify *cls,
			       char *buf, size_t len);
/* Calls fn for each nDPI risk set in the bitmap. */
void classify_foreach_risk(uint64_t risk, void (*fn)(void *ctx, const char *name), void *ctx);
/* True when the flow's protocol is TLS/DTLS/QUIC, DNS or HTTP (master or app). */
bool classify_is_tls(const struct classify *cls);
bool classify_is_dns(const struct classify *cls);
bool classify_is_http(const struct classify *cls);
bool classify_is_mining(const struct classify *cls);

#endif
