/* ingest.h - one captured frame in, the packets with flow keys out.
 *
 * Decodes a frame, reassembles its IP fragments (at whatever layer they
 * are: each reassembled datagram is decoded on from its IP header, and may
 * itself hold fragments), and hands every packet that has a flow key to the
 * caller: the frame itself or its reassembled datagram, and, when carriers
 * are reported, its outermost tunnel carrier as a packet of its own.
 * Owned by one thread (the reader); counts into its own decode_stats.
 */
#ifndef DAVY_INGEST_H
#define DAVY_INGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "defrag.h"

typedef void (*ingest_emit_fn)(void *ctx, const struct pkt *p);

struct ingest {
	struct decode_stats ds;
	struct defrag df;
	bool report_carriers;
	uint64_t carriers; /* carrier packets emitted */
};

/* Returns 0, or -1 with a message in err. */
int ingest_init(struct ingest *in, const struct defrag_cfg *dc, bool report_carriers, char *err,
		size_t errlen);
void ingest_free(struct ingest *in);

/* Decodes `p` (its caller fields set; first = decode_first_layer(dlt)) and
 * calls emit for each packet with a flow key. */
void ingest_packet(struct ingest *in, struct pkt *p, enum layer first, ingest_emit_fn emit,
		   void *ctx);

/* The clock moved to now_us (packet time): incomplete datagrams time out. */
void ingest_tick(struct ingest *in, uint64_t now_us);

/* The carrier of a tunnelled packet (p->carrier.valid) as a packet: the outer
 * IP header's addresses and transport, its VLAN tags, the whole frame, its
 * datagram cut to what the frame holds. False when there is none to make. */
bool ingest_carrier(const struct pkt *p, struct pkt *c);

#endif
