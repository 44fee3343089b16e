/* ingest.c - decode, reassemble, emit (see ingest.h). */
#include <string.h>

#include "ingest.h"

int ingest_init(struct ingest *in, const struct defrag_cfg *dc, bool report_carriers, char *err,
		size_t errlen)
{
	memset(in, 0, sizeof(*in));
	in->report_carriers = report_carriers;
	return defrag_init(&in->df, dc, err, errlen);
}

void ingest_free(struct ingest *in)
{
	defrag_free(&in->df);
}

void ingest_tick(struct ingest *in, uint64_t now_us)
{
	defrag_expire(&in->df, now_us);
}

bool ingest_carrier(const struct pkt *p, struct pkt *c)
{
	/* After reassembly the frame is the first fragment's headers and the
	 * whole datagram: the carrier's datagram as that fragment's frame gave
	 * it may not fit. Keep what is inside the frame. */
	if (!p->carrier.valid || p->carrier.l3_off >= p->caplen)
		return false;
	*c = *p;
	c->ipver = p->carrier.ipver;
	memcpy(c->src, p->carrier.src, 16);
	memcpy(c->dst, p->carrier.dst, 16);
	c->l4proto = p->carrier.proto;
	c->sport = p->carrier.sport;
	c->dport = p->carrier.dport;
	c->l3_off = p->carrier.l3_off;
	c->l3_len = p->carrier.l3_len;
	if (c->l3_len > p->caplen - c->l3_off)
		c->l3_len = p->caplen - c->l3_off;
	c->l4_off = p->carrier.l4_off;
	/* its payload: the tunnel, after the UDP header for UDP carriers */
	uint32_t end = c->l3_off + c->l3_len;
	c->payload_off = c->l4_off + (c->l4proto == 17 ? 8 : 0);
	c->payload_len = end > c->payload_off ? end - c->payload_off : 0;
	c->tcp_flags = 0;
	c->icmp_type = c->icmp_code = 0;
	c->nvlan = p->carrier.nvlan;
	c->ntun = 0;
	c->inner_off = 0;
	return c->l4_off <= c->l3_off + c->l3_len;
}

void ingest_packet(struct ingest *in, struct pkt *p, enum layer first, ingest_emit_fn emit,
		   void *ctx)
{
	bool key = decode_packet(p, first, &in->ds);
	struct pkt whole;
	/* a datagram can be fragmented at several layers: each round resumes
	 * inside the datagram the previous one completed */
	for (int round = 0; !key && (p->flags & PKT_FRAGMENT) && round < DAVY_MAX_TUNNELS; round++) {
		enum layer l;
		uint32_t off;
		if (!defrag_add(&in->df, p, &whole, &l, &off))
			return;
		p = &whole;
		key = decode_resume(p, l, off, &in->ds);
	}
	if (!key)
		return;
	emit(ctx, p);
	struct pkt c;
	if (in->report_carriers && p->ntun && ingest_carrier(p, &c)) {
		in->carriers++;
		emit(ctx, &c);
	}
}
