/* flow.h - the per-worker flow table.
 *
 * Invariants:
 *  - A table belongs to one worker thread; nothing in it is shared or locked.
 *  - A flow key is normalised: (addr[0], port[0]) <= (addr[1], port[1]), so
 *    both directions of a conversation find one entry. "side 0" and "side 1"
 *    below are the key's two sides; `src_side` says which one is the flow's
 *    source (first sender, or the SYN sender where the SYN was seen).
 *  - At most `max_flows` flows live at once. Flow memory comes from a pool
 *    that grows in slabs up to that bound and is never returned, so the packet
 *    path allocates nothing once the pool has grown (policy when full: the
 *    least recently used flow is ended with reason "evicted" and counted).
 *  - Time is packet time. A flow idle for longer than the timeout of its
 *    (protocol, state) class ends with reason "timeout": checked when the
 *    next packet of the same key arrives and on every clock tick.
 *  - Ended flows are handed to the caller's `on_end` callback once, then
 *    their memory is reused.
 */
#ifndef DAVY_FLOW_H
#define DAVY_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "classify.h"
#include "pool.h"

struct stratum_flow;
#include "decode.h"
#include "dnscache.h"

enum flow_state { FLOW_NEW = 0, FLOW_ESTABLISHED, FLOW_CLOSED, FLOW__STATES };
enum flow_reason { FLOW_END_TIMEOUT = 0, FLOW_END_SHUTDOWN, FLOW_END_EVICTED, FLOW__REASONS };
enum flow_pgroup { FLOW_P_TCP = 0, FLOW_P_UDP, FLOW_P_ICMP, FLOW_P_OTHER, FLOW__PGROUPS };

/* 56 bytes, hashed as seven 64-bit words; padding is always zero. */
struct flow_key {
	uint8_t addr[2][16];
	uint16_t port[2];
	uint16_t vlan[DAVY_MAX_VLAN];
	uint8_t proto;
	uint8_t ipver;
	uint32_t iface;     /* the capture interface's index (live, several
			     * interfaces: alert_dedup.h); 0 in replay */
	uint64_t tunnel_id; /* the identifiers of every tunnel layer (VNI, GRE key,
			     * ERSPAN session) folded together; 0 = none */
};
_Static_assert(sizeof(struct flow_key) == 56, "flow_key is hashed as seven 64-bit words");

/* The tunnel layers of a flow's first packet, kept out of line: only
 * tunnelled flows pay for them. */
struct flow_tunnels {
	struct flow_tunnels *next_free;
	uint8_t n;
	struct tunnel t[DAVY_MAX_TUNNELS];
};


/* The names a flow's address was resolved from (DNS linkage, dnscache.h),
 * kept out of line: only linked flows pay for them. */
struct flow_dns {
	char name[DNSCACHE_NAME_MAX];  /* the name the client looked up */
	char cname[DNSCACHE_NAME_MAX]; /* the A/AAAA record's owner when a CNAME
					* chain led there, else "" */
};

struct flow {
	struct flow_key key;
	uint64_t hash;
	struct flow *hnext;             /* hash chain */
	struct flow *lprev, *lnext;     /* timeout-class list, oldest first */
	uint64_t first_us, last_us;
	uint64_t pkts[2], bytes[2];     /* sent by side 0 / side 1 */
	uint8_t src_side;
	uint8_t state;                  /* enum flow_state */
	uint8_t tclass;                 /* index of its timeout list */
	uint8_t tcp_seen;               /* FLOW_SEEN_* */
	uint8_t nvlan;
	uint8_t icmp_type, icmp_code;   /* of the first ICMP packet */
	uint8_t recheck;                /* the worker's re-check round its indicator
					 * facts were checked in (ioc_match.h); it wraps:
					 * a flow silent through exactly 256 reloads
					 * is not checked again */
	struct flow_tunnels *tun;       /* NULL for a flow outside tunnels */
	struct flow_dns *dns;           /* NULL unless DNS-linked */
	struct stratum_flow *stratum;   /* candidate flows only (stratum_flow.h) */
	uint8_t l7;                     /* L7_* (stratum_flow.h) */
	uint16_t alerted;               /* 1 << enum alert_sig, per signature written */
	uint8_t ioc_done;               /* IOC_CK_* (ioc_match.h): facts checked */
	uint8_t v2;                     /* Stratum V2 heuristic stage (stratum_flow.c) */
	uint8_t url_pkts[2];            /* payload packets scanned for stratum URLs, by key
					 * side (ioc_match.h) */
	uint32_t isn[2];                /* TCP initial sequence numbers by key side: of
					 * the source when FLOW_SEEN_SYN, of the
					 * destination when FLOW_SEEN_SYNACK */
	uint64_t next_update_us;        /* next periodic flow record; 0: none */
	struct classify cls;
};

#define FLOW_SEEN_SYN     0x01
#define FLOW_SEEN_SYNACK  0x02
#define FLOW_SEEN_FIN0    0x04
#define FLOW_SEEN_FIN1    0x08
#define FLOW_SEEN_SIDE0   0x10
#define FLOW_SEEN_SIDE1   0x20

/* Idle timeouts in seconds, per protocol group and state. */
struct flow_timeouts {
	uint32_t s[FLOW__PGROUPS][FLOW__STATES];
};

/* only uint64_t counters: counters.h adds them up */
struct flow_stats {
	uint64_t created;
	uint64_t ended[FLOW__REASONS];
	uint64_t active;
	uint64_t peak_active;
	uint64_t no_memory;    /* pool could not grow: packet not attributed */
	uint64_t pool_bytes;   /* bytes held by the flow and tunnel pools */
	uint64_t wrong_thread; /* packets whose flow key maps to another worker */
	uint64_t tunnel_no_memory; /* tunnel layers not kept for want of memory */
	uint64_t dns_linked;       /* flows whose address a DNS answer named */
	uint64_t dns_no_memory;    /* DNS-linked names not kept for want of memory */
};

typedef void (*flow_end_fn)(void *ctx, struct flow *f, enum flow_reason why);

#define FLOW_NCLASSES (FLOW__PGROUPS * FLOW__STATES)

struct flow_table {
	struct flow **buckets;
	uint64_t mask;
	uint64_t max_flows;
	struct pool flows;              /* struct flow */
	struct pool tunnels;            /* struct flow_tunnels */
	struct pool dns;                /* struct flow_dns */
	struct flow *head[FLOW_NCLASSES], *tail[FLOW_NCLASSES];
	uint64_t timeout_us[FLOW_NCLASSES];
	flow_end_fn on_end;
	void *ctx;
	struct flow_stats st;
};

/* Defaults close to Suricata's flow-timeouts: tcp 60/600/60, udp 30/300,
 * icmp 30/300, other 30/300/0. */
void flow_timeouts_default(struct flow_timeouts *t);
const char *flow_state_name(enum flow_state s);
const char *flow_reason_name(enum flow_reason r);
const char *flow_pgroup_name(enum flow_pgroup g);

/* Builds the normalised key of a decoded packet; *side is the side (0/1)
 * that sent it. */
void flow_key_from_pkt(const struct pkt *p, struct flow_key *k, int *side);
/* Symmetric by construction (the key is normalised). */
uint64_t flow_key_hash(const struct flow_key *k);
/* The hash that picks a flow's worker: of the inner 5-tuple only (no
 * interface, VLAN tags or tunnel identifier), so every copy of a connection
 * captured on several interfaces meets in one worker (alert_dedup.h). */
uint64_t flow_key_dispatch_hash(const struct flow_key *k);
/* A key with no interface, VLAN tag or tunnel id: its dispatch hash is its
 * flow_key_hash (so a caller that has one need not compute the other). */
bool flow_key_plain(const struct flow_key *k);

/* Returns 0, or -1 with a message in err when memory for the buckets cannot
 * be had. */
int flow_table_init(struct flow_table *t, uint64_t max_flows, const struct flow_timeouts *to,
		    flow_end_fn on_end, void *ctx, char *err, size_t errlen);
/* Frees the table's memory; call flow_flush() first to end the flows. */
void flow_table_free(struct flow_table *t);

/* Finds or creates the flow of `p` (key `k`, hash `h`, sent by `side`) and
 * accounts the packet. Returns NULL only when no flow memory can be had.
 * *created tells whether the flow is new. */
struct flow *flow_packet(struct flow_table *t, const struct pkt *p, const struct flow_key *k,
			 uint64_t h, int side, bool *created);

/* Gives flow f its DNS-linked names (from a dnscache entry); counted in
 * dns_linked, or dns_no_memory when the pool is at its bound. */
void flow_link_dns(struct flow_table *t, struct flow *f, const struct dnscache_entry *e);

/* Ends the flows idle for longer than their timeout at `now_us`. */
void flow_expire(struct flow_table *t, uint64_t now_us);

/* Ends every flow: reason timeout when idle beyond its timeout at `now_us`,
 * else shutdown. */
void flow_flush(struct flow_table *t, uint64_t now_us);

static inline int flow_dir_toserver(const struct flow *f, int side)
{
	return side == f->src_side;
}

#endif
