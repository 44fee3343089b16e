/* dnslink.h - the reader's half of DNS linkage: DNS answers seen on the
 * wire become address -> name links (struct dns_link, dnscache.h) that the
 * reader hands to every worker, in packet order.
 *
 * Which answers count: UDP or TCP from port 53 (DNS over TCP only when the
 * segment holds whole frames: answers split across segments are counted in
 * tcp_split, not reassembled), a response (QR) to a standard query (opcode
 * 0) with rcode NOERROR. Each A or AAAA answer of class IN gives one link:
 * the record's owner, and the question's name when a chain of CNAME answers
 * in the same message (in any order) leads from the question to that owner
 * (the name the client looked up; records outside the chain keep only their
 * owner). Links are handed on once the message is read. At most
 * DNSLINK_CNAMES CNAME and DNSLINK_ADDRS address records per message are
 * used (more are counted). Nothing is allocated; the state is the caller's
 * stats struct and one per-thread scratch area.
 */
#ifndef DAVY_DNSLINK_H
#define DAVY_DNSLINK_H

#include <stdint.h>

#include "decode.h"
#include "dnscache.h"

#define DNSLINK_CNAMES 16
#define DNSLINK_ADDRS 32

/* only uint64_t counters: counters.h adds them up */
struct dnslink_stats {
	uint64_t responses;    /* DNS responses parsed (standard query, any rcode) */
	uint64_t errors;       /* of which malformed (dns_parse() error) */
	uint64_t links;        /* A/AAAA answers handed to the workers */
	uint64_t tcp_split;    /* DNS-over-TCP segments without a whole frame */
	uint64_t cname_overflow; /* CNAME answers beyond DNSLINK_CNAMES */
	uint64_t addr_overflow;  /* A/AAAA answers beyond DNSLINK_ADDRS */
};

typedef void (*dnslink_fn)(void *ctx, const struct dns_link *l);

/* Looks at one decoded packet; for a DNS answer, calls fn for each link. */
void dnslink_packet(const struct pkt *p, struct dnslink_stats *st, dnslink_fn fn, void *ctx);

#endif
