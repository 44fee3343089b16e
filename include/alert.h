/* alert.h - davy's built-in signatures and the EVE `alert` record.
 *
 * Signatures are fixed in code, identified by number (sid) the way Suricata
 * rules are: davy's own sids live in 4960000-4969999 ("496" for T1496).
 * docs/signatures.md lists them with what triggers each, its false-positive
 * risk and its ATT&CK mapping.
 *
 * Policy: at most one alert per flow per signature (the flow's `alerted`
 * bits), written by the worker as soon as the evidence is seen, not at the
 * flow's end.
 */
#ifndef DAVY_ALERT_H
#define DAVY_ALERT_H

#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "flow.h"
#include "jbuf.h"

enum alert_sig {
	SIG_STRATUM_CLIENT = 0, /* a recognised Stratum client message */
	SIG_STRATUM_SERVER,     /* Stratum pool messages, no client message seen */
	SIG_NDPI_MINING,        /* nDPI says Mining, the stream is not readable as Stratum */
	SIG_STRATUM_V2,         /* Stratum V2 handshake shape (heuristic) */
	SIG__COUNT
};
_Static_assert(SIG__COUNT <= 8, "struct flow keeps alerted signatures in 8 bits");

struct signature {
	uint32_t sid;
	uint8_t rev;
	uint8_t severity;       /* 1 high .. 3 low, as Suricata */
	const char *msg;
	const char *category;
};

const struct signature *alert_signature(enum alert_sig s);

/* A complete `event_type: alert` record about flow f: signature s, evidence
 * sent in flow direction dir (0: by the flow's source) at ts_us. */
size_t record_alert(struct jbuf *j, const struct classifier *c, const struct flow *f,
		    enum alert_sig s, int dir, uint64_t ts_us, const char *sensor);

#endif
