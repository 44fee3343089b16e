/* defrag.h - IPv4 and IPv6 reassembly, at any layer (outer fragments of a
 * VXLAN packet, inner fragments inside a tunnel), owned by the reader thread.
 *
 * Invariants and policy:
 *  - A datagram is keyed by IP version, addresses, identification (and, for
 *    IPv4, protocol) plus the layers around it: VLAN tags and every tunnel
 *    layer's type, identifier and addresses, so equal inner datagrams in two
 *    overlays never mix.
 *  - Bounds: at most `max_datagrams` in reassembly (each holds up to 64 KiB
 *    of data plus 2 KiB of headers, from a pool that grows to that bound and
 *    never shrinks); a datagram is dropped when its first fragment is older
 *    than `timeout_s` of packet time. When full, the oldest datagram is
 *    dropped (`evicted`) to make room.
 *  - Overlaps: the data that arrived first wins, at 8-byte granularity (the
 *    unit of fragment offsets); every overlap is counted, and an overlap
 *    whose bytes differ from what is kept is counted again as
 *    `overlap_conflicts` (the mark of an evasion attempt).
 *  - Dropped whole and counted: a datagram that would exceed 65,535 bytes
 *    (`too_big`); inconsistent lengths -- two different ends, data past the
 *    end (`inconsistent`). A non-last fragment whose length is not a
 *    multiple of 8 is dropped alone (`inconsistent`, RFC 8200 4.5).
 *  - A first fragment too small to hold its transport header is legal: it
 *    is reassembled like any other and counted as `tiny_first`.
 *  - A reassembled datagram is handed back as a packet whose bytes are the
 *    link and outer headers of the first fragment, the IP header rewritten
 *    (IPv4: total length, fragment field cleared; IPv6: payload length,
 *    fragment header removed), then the data. Its wire length is that whole
 *    frame; its time is the completing fragment's. It counts as one packet.
 */
#ifndef DAVY_DEFRAG_H
#define DAVY_DEFRAG_H

#include <stdbool.h>
#include <stdint.h>

#include "decode.h"

#define DEFRAG_HDR_MAX 2048  /* link, outer and IP headers kept per datagram */
#define DEFRAG_DATA_MAX 65535

struct defrag_cfg {
	uint32_t max_datagrams; /* default 256 */
	uint32_t timeout_s;     /* default 60 */
};

struct defrag_stats {
	uint64_t fragments;       /* fragments taken */
	uint64_t reassembled;     /* datagrams completed */
	uint64_t timeouts;        /* datagrams dropped incomplete after the timeout */
	uint64_t evicted;         /* datagrams dropped to make room */
	uint64_t overlaps;
	uint64_t overlap_conflicts;
	uint64_t too_big;
	uint64_t inconsistent;
	uint64_t tiny_first;
	uint64_t no_memory;       /* fragments dropped: no tracker could be had */
	uint64_t active, peak_active;
	uint64_t pool_bytes;
};

struct defrag_dg;

struct defrag {
	struct defrag_cfg cfg;
	struct defrag_dg **buckets;
	uint64_t mask;
	struct defrag_dg *oldest, *newest; /* by first fragment */
	struct defrag_dg *free;
	uint64_t have;                     /* trackers allocated */
	uint8_t *out[2];                   /* assembled frames, used in turn */
	unsigned out_next;
	struct defrag_stats st;
};

void defrag_cfg_default(struct defrag_cfg *c);
/* Returns 0, or -1 with a message in err. */
int defrag_init(struct defrag *d, const struct defrag_cfg *cfg, char *err, size_t errlen);
void defrag_free(struct defrag *d);

/* Takes the fragment `p` (decode_packet returned with PKT_FRAGMENT). When it
 * completes its datagram, fills `out` (a packet to continue decoding with
 * decode_resume(out, *layer, *off, ...); its bytes stay valid until the
 * second next call) and returns true. */
bool defrag_add(struct defrag *d, const struct pkt *p, struct pkt *out, enum layer *layer,
		uint32_t *off);

/* Drops datagrams whose first fragment is older than the timeout at now_us. */
void defrag_expire(struct defrag *d, uint64_t now_us);

#endif
