/* stratum_flow.h - mining detection on TCP flows: which flows are Stratum
 * candidates, their streams reassembled in order into the Stratum parser,
 * the Stratum V2 heuristic, and which alerts are due.
 *
 * Only candidates pay: a TCP flow becomes a candidate when the first payload
 * byte of either direction (after whitespace) is '{', or when nDPI says
 * Mining. Every other TCP flow costs one look at the first payload of each
 * direction (and, for flows that start with a SYN and a 64-byte client
 * payload, the few packets of the Stratum V2 test); then it is marked done.
 *
 * A candidate's two directions go through the TCP reassembler (tcp_reasm.h:
 * out-of-order buffering in a per-worker pool, first copy wins, gaps counted)
 * into the Stratum parser (stratum.h), which resumes at the next newline
 * after a gap or a mid-stream start.
 *
 * Alerts due (alert.h). After every piece of stream fed to the parser:
 *  - SIG_STRATUM_CLIENT once a recognised client message was seen;
 *  - SIG_STRATUM_SERVER once recognised pool messages were seen and no
 *    client message has been, in this flow, so far;
 * when the parser gives up on a candidate that nDPI calls Mining, or the
 * flow ends so, with no dialect recognised:
 *  - SIG_NDPI_MINING if the parser could not read the stream
 *    (stratum_readable(): no JSON object and mostly non-text lines, or no
 *    complete line at all - binary, encrypted, not line-framed);
 *  - otherwise the parser read the stream (JSON, or text such as HTTP
 *    carrying JSON-RPC) and found no Stratum: it overrules nDPI (counted in
 *    ndpi_overruled), no alert;
 * and SIG_STRATUM_V2 when the V2 heuristic's three conditions hold. Each
 * signature at most once per flow: the flow's `alerted` bits are set here.
 *
 * Bounds: at most `max_live` candidate states per worker (about 11 KB each:
 * two line buffers, the id table, the reassembly pieces), from a pool that
 * grows in slabs and is reused (no malloc per flow once grown); `no_memory`
 * counts flows refused at the bound. A flow whose parser says "not Stratum" releases
 * its state at once. Reassembly memory is the worker's pool (`reasm_bytes`).
 * A flow whose reassembly is abandoned (pool exhausted) keeps its state and
 * verdict but is not parsed further (`abandoned`).
 */
#ifndef DAVY_STRATUM_FLOW_H
#define DAVY_STRATUM_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "alert.h"
#include "decode.h"
#include "pool.h"
#include "stratum.h"
#include "tcp_reasm.h"

struct flow;

struct stratum_flow {
	struct stratum_parser parser;
	struct stratum_info info;
	struct reasm reasm;
	uint8_t stopped;  /* reassembly abandoned: nothing more is parsed */
};

/* only uint64_t counters: counters.h adds them up */
struct stratum_flow_stats {
	uint64_t candidates;     /* flows that got a parser */
	uint64_t recognised;     /* of which a dialect was recognised */
	uint64_t not_stratum;    /* released: the parser said not Stratum */
	uint64_t no_memory;      /* candidates refused at the bound */
	uint64_t abandoned;      /* candidates whose reassembly stopped (pool) */
	uint64_t ndpi_overruled; /* nDPI said Mining, the parser read JSON, no Stratum */
	uint64_t v2_checked;     /* flows whose first client payload was 64 bytes */
	uint64_t live, peak_live;
	uint64_t pool_bytes;     /* held by the candidate state pool */
};

struct stratum_flows {
	uint64_t max_live;
	struct pool states;      /* struct stratum_flow, grown in slabs to max_live */
	struct reasm_pool pool;
	struct stratum_flow_stats st;
};


/* Flow bits kept in struct flow (l7). */
#define L7_SEEN0 0x01      /* first payload of direction 0 looked at */
#define L7_SEEN1 0x02
#define L7_DONE 0x04       /* nothing more to do for this flow */
#define L7_MINING 0x08     /* nDPI's Mining verdict was taken into account */
#define L7_READABLE 0x10   /* the parser gave up on a stream it could read */
#define L7_UNREADABLE 0x20 /* the parser gave up on a stream it could not read */

/* Returns 0, or -1 with a message in err (reassembly pool). */
int stratum_flows_init(struct stratum_flows *s, uint64_t max_live, size_t reasm_bytes,
		       char *err, size_t errlen);
void stratum_flows_free(struct stratum_flows *s);

/* True when stratum_flow_packet() has anything to do for this packet. */
static inline bool stratum_flow_wants(const struct flow *f, bool mining)
{
	return !(f->l7 & L7_DONE) || (mining && !(f->l7 & L7_MINING));
}

/* One TCP packet of flow f; dir 0 = from the flow's source. mining: nDPI
 * classified the flow as Mining. Alerts that became due are added to *due. */
void stratum_flow_packet(struct stratum_flows *s, struct flow *f, const struct pkt *p, int dir,
			 bool mining, struct alert_due *due);

/* The flow ends: delivers what reassembly still holds, takes the final nDPI
 * decision; alerts due are added to *due. Call before the flow record. */
void stratum_flow_finish(struct stratum_flows *s, struct flow *f, bool mining,
			 struct alert_due *due);

/* Frees the flow's state (after its record was written). */
void stratum_flow_end(struct stratum_flows *s, struct flow *f);

/* Shannon entropy of buf[0..n), in bits per byte (0 for n == 0). */
double stratum_entropy(const uint8_t *buf, size_t n);

#endif
