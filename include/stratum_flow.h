/* stratum_flow.h - a flow's TCP payload, in order, to the Stratum parser.
 *
 * Only candidate flows pay: a TCP flow becomes a candidate when the first
 * payload byte of either direction (after whitespace) is '{', or when nDPI
 * says Mining. Other flows are marked done after their first payload in each
 * direction and cost nothing more.
 *
 * Stream handling (a first, minimal reassembler; out-of-order buffering
 * comes next): bytes are delivered in sequence order per direction; a
 * retransmission or overlap delivers only the bytes not delivered yet (first
 * copy wins); a jump forward is a gap: the parser drops its partial line and
 * resumes at the next newline (counted). A missing SYN is fine: the parser
 * starts at the first '{' line or the next newline.
 *
 * Bounds: at most `max_live` candidate states per worker (about 10 KB each),
 * `no_memory` counts the flows that could not get one. A flow whose parser
 * says "not Stratum" releases its state at once.
 */
#ifndef DAVY_STRATUM_FLOW_H
#define DAVY_STRATUM_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"
#include "stratum.h"

struct flow;

struct stratum_flow {
	struct stratum_parser parser;
	struct stratum_info info;
	uint32_t next_seq[2];
	uint8_t seq_known[2];
};

/* only uint64_t counters: counters.h adds them up */
struct stratum_flow_stats {
	uint64_t candidates;   /* flows that got a parser */
	uint64_t recognised;   /* of which a dialect was recognised */
	uint64_t not_stratum;  /* released: the parser said not Stratum */
	uint64_t gaps;         /* sequence gaps skipped */
	uint64_t retransmitted; /* payload bytes already delivered, dropped */
	uint64_t no_memory;    /* candidates refused at the bound */
	uint64_t live, peak_live;
};

struct stratum_flows {
	uint64_t max_live;
	struct stratum_flow_stats st;
};

/* Flow bits kept in struct flow (l7). */
#define L7_SEEN0 0x01  /* first payload of direction 0 looked at */
#define L7_SEEN1 0x02
#define L7_DONE  0x04  /* nothing more to do for this flow */

void stratum_flows_init(struct stratum_flows *s, uint64_t max_live);

/* One TCP packet of flow f; dir 0 = from the flow's source. mining: nDPI
 * classified the flow as Mining. */
void stratum_flow_packet(struct stratum_flows *s, struct flow *f, const struct pkt *p, int dir,
			 bool mining);

/* The flow ends: frees its state (after the record was written). */
void stratum_flow_end(struct stratum_flows *s, struct flow *f);

#endif
