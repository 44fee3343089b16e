/* run.c - the pipeline: sources (a reader of capture files, or one capture
 * thread per interface), N workers, one output thread.
 *
 *   source: pcap -> decode -> hash of the inner flow -> worker queue
 *   worker: flow table -> nDPI -> on flow end: JSON record -> output queue
 *   output: drains every worker's output queue -> file or stdout, Redis
 *
 * Each worker has one input queue per source (SPSC: one producer each) and
 * takes from them in turn. Replay never drops: a full queue makes its
 * producer wait (backoff). Live capture never waits: a full worker queue
 * drops the packet (stats ring_drops, per interface), a full output queue
 * drops the record (drops.output_queue); only the end of a run waits, to
 * deliver what was made (bounded by --shutdown-timeout for Redis).
 *
 * Clocks: a source sends every worker a tick each second of its clock -
 * packet time in replay, wall-clock time in live capture (sent even when no
 * packet comes) - so idle flows end on time whatever share of the traffic a
 * worker gets, and an EOF carrying its last time. A worker's clock is the
 * latest tick of any source; it ends its flows when every source sent EOF.
 *
 * Counters are plain and owned by the thread that writes them. For a stats
 * record or /metrics during the run, each thread publishes a copy under
 * its own mutex once a second of its clock (a worker and a source at each
 * tick, the output thread every few hundred rounds): one lock a second per
 * thread, none per packet.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert_dedup.h"
#include "alert_limit.h"
#include "capture.h"
#include "counters.h"
#include "davy.h"
#include "dns.h"
#include "dnslink.h"
#include "geo.h"
#include "hash.h"
#include "ioc_live.h"
#include "ioc_match.h"
#include "metrics.h"
#include "ingest.h"
#include "pods_live.h"
#include "privs.h"
#include "queue.h"
#include "record.h"
#include "redis_out.h"
#include "reload.h"
#include "stratum_flow.h"

#define OUT_QUEUE_BYTES (4u << 20)
#define STATS_QUEUE_BYTES (1u << 20)
#define TICK_US 1000000ULL

/* A packet handed from a source to a worker: the IP datagram's bytes
 * (from the innermost IP header on) followed by the decoded view, copied up
 * to its last tunnel layer, with offsets rebased to `bytes`. The worker
 * derives the flow key itself from that view, which is how it proves the
 * packet reached the right worker (stats.flow.wrong_thread). */
struct wpkt {
	uint32_t nbytes;
	uint32_t src; /* the source (interface) index */
	_Alignas(8) uint8_t bytes[];
	/* then, 8-aligned: struct pkt, PKT_SIZE(p.ntun) bytes */
};

static size_t align8(size_t n)
{
	return (n + 7) & ~(size_t)7;
}

/* only uint64_t counters */
struct pod_lookup_stats {
	uint64_t lookups; /* endpoint addresses looked up in the pod map */
	uint64_t found;   /* of which a pod's */
};

COUNTERS_ONLY(struct flow_stats);
COUNTERS_ONLY(struct classifier_stats);
COUNTERS_ONLY(struct stratum_flow_stats);
COUNTERS_ONLY(struct reasm_stats);
COUNTERS_ONLY(struct dnscache_stats);
COUNTERS_ONLY(struct ioc_match_stats);
COUNTERS_ONLY(struct pod_lookup_stats);
COUNTERS_ONLY(struct geo_stats);
COUNTERS_ONLY(struct alert_dedup_stats);

/* A worker's counters; summed over workers for the stats record. */
struct totals {
	struct flow_stats fs;
	struct classifier_stats cs;
	struct stratum_flow_stats ss;
	struct reasm_stats rs;
	struct dnscache_stats dc;
	struct ioc_match_stats im;
	struct geo_stats geo;
	struct pod_lookup_stats pods;
	struct alert_dedup_stats dd;
	uint64_t geo_flushes;
	uint64_t alerts[SIG__COUNT];
	uint64_t rate_limited[SIG__COUNT];
	uint64_t records, updates, record_overflow, out_waits, out_drops;
};
COUNTERS_ONLY(struct totals);

/* A source's counters (those ingest keeps are copied in). */
struct source_counters {
	struct decode_stats ds;
	struct defrag_stats df;
	struct dnslink_stats dnsl;
	uint64_t carriers, dispatched;
	uint64_t ring_waits;  /* replay: a full worker queue made the reader wait */
	uint64_t ring_drops;  /* live: packets a full worker queue refused */
	uint64_t link_drops;  /* live: DNS links a full worker queue refused */
	uint64_t received, kernel_drops, interface_drops; /* live: pcap_stats */
	uint64_t files_read, files_damaged;
};
COUNTERS_ONLY(struct source_counters);
COUNTERS_ONLY(struct decode_stats);
COUNTERS_ONLY(struct defrag_stats);
COUNTERS_ONLY(struct dnslink_stats);

struct worker {
	unsigned id, nworkers;
	const struct davy_config *cfg;
	struct mq *in;              /* one queue per source */
	unsigned nsrc;
	bool eof[DAVY_MAX_IFACES];  /* the source's EOF came */
	struct mq out;
	bool live;                  /* drop rather than wait (until `ending`) */
	bool ending;                /* flushing at the end: wait for room */
	uint64_t clock_us;          /* the latest tick */
	const char *const *ifnames; /* live: the interfaces, by index; NULL: replay */
	struct alert_dedup dd;      /* several interfaces: one alert per copy set */
	bool dedup;
	struct flow_table flows;
	struct classifier cls;
	struct stratum_flows stratum;
	struct dnscache dns; /* this worker's replica (dnscache.h) */
	struct ioc_live *live_iocs; /* NULL: --no-iocs */
	const struct ioc_set *iocs; /* live_iocs' set, as of the last quiescent state */
	struct ioc_match_stats iocst;
	struct alert_limit *limit; /* shared by all workers; NULL: no limit */
	struct geo_live *geol;     /* NULL: no --geoip/--asn */
	const struct geo_dbs *geo; /* geol's, as of the last quiescent state */
	struct geo_cache geoc;     /* this worker's lookups */
	struct pods_live *podl;    /* NULL: no --pods */
	const struct pod_map *pods; /* podl's, as of the last quiescent state */
	/* the generations of iocs, pods and geo; when one changes, recheck goes
	 * one up and open flows are checked again at their next packet */
	uint32_t ioc_gen, pods_gen, geo_gen;
	uint8_t recheck;
	struct pod_lookup_stats podst;
	pthread_t th;
	uint64_t records;
	uint64_t alerts[SIG__COUNT];
	uint64_t rate_limited[SIG__COUNT];
	uint64_t updates;
	uint64_t record_overflow;
	uint64_t out_waits;
	uint64_t out_drops;
	/* published at each tick (see the top) */
	pthread_mutex_t mu;
	struct totals snap;
};

struct output {
	FILE *fp;               /* NULL: no file (--redis without -o) */
	const char *path;
	struct redis_out *ro;   /* NULL: no --redis */
	_Atomic bool *stop;     /* set when Redis output gave up: the sources stop */
	atomic_bool shutdown;   /* the run is ending on a signal or live: bound Redis */
	uint32_t shutdown_s;
	struct worker *w;
	unsigned n;
	struct mq stats_q;      /* stats records made during the run (main thread) */
	atomic_bool stats_q_end;
	uint64_t records, bytes;
	int werr; /* first write error (errno) */
	pthread_t th;
	/* published every OUTPUT_SNAP_ROUNDS rounds */
	pthread_mutex_t mu;
	struct redis_out_stats rsnap;
	uint64_t snap_records, snap_bytes, snap_redis_bytes;
	bool snap_redis_down;
};

struct source {
	unsigned id;
	const char *name;   /* the interface; NULL: the capture files */
	const struct davy_config *cfg;
	_Atomic bool *stop; /* SIGINT/SIGTERM, or the output gave up */
	bool stopped;
	bool live, failed;
	atomic_bool done;   /* live: the thread has sent its EOFs */
	struct worker *w;
	unsigned n;
	struct ingest in;   /* decode, reassembly and their counters */
	uint64_t clock_us, next_tick;
	struct source_counters c; /* the counters ingest does not keep */
	pcap_t *pc;         /* live */
	enum layer first;
	struct pkt p;
	pthread_t th;
	bool started;
	/* published at each tick */
	pthread_mutex_t mu;
	struct source_counters snap;
	uint64_t snap_clock;
	/* replay: progress */
	bool progress;
	uint64_t total_bytes, done_bytes;
	struct timespec t0, last_draw;
};

static double since(const struct timespec *a)
{
	struct timespec b;
	clock_gettime(CLOCK_MONOTONIC, &b);
	return (double)(b.tv_sec - a->tv_sec) + (double)(b.tv_nsec - a->tv_nsec) / 1e9;
}

static uint64_t wall_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000ULL + (uint64_t)t.tv_nsec / 1000;
}

/* One worker's counters added into t. */
static void worker_add(struct totals *t, const struct worker *w)
{
	counters_add(&t->fs, &w->flows.st, sizeof(t->fs));
	counters_add(&t->cs, &w->cls.st, sizeof(t->cs));
	counters_add(&t->ss, &w->stratum.st, sizeof(t->ss));
	counters_add(&t->rs, &w->stratum.pool.st, sizeof(t->rs));
	counters_add(&t->dc, &w->dns.st, sizeof(t->dc));
	counters_add(&t->im, &w->iocst, sizeof(t->im));
	counters_add(&t->geo, &w->geoc.st, sizeof(t->geo));
	counters_add(&t->pods, &w->podst, sizeof(t->pods));
	counters_add(&t->dd, &w->dd.st, sizeof(t->dd));
	t->geo_flushes += w->geoc.flushes;
	counters_add(t->alerts, w->alerts, sizeof(t->alerts));
	counters_add(t->rate_limited, w->rate_limited, sizeof(t->rate_limited));
	t->updates += w->updates;
	t->records += w->records;
	t->record_overflow += w->record_overflow;
	t->out_waits += w->out_waits;
	t->out_drops += w->out_drops;
}

static void worker_publish(struct worker *w)
{
	pthread_mutex_lock(&w->mu);
	memset(&w->snap, 0, sizeof(w->snap));
	worker_add(&w->snap, w);
	pthread_mutex_unlock(&w->mu);
}

static void source_get(const struct source *s, struct source_counters *out)
{
	*out = s->c;
	out->ds = s->in.ds;
	out->df = s->in.df.st;
	out->carriers = s->in.carriers;
}

static void source_publish(struct source *s)
{
	pthread_mutex_lock(&s->mu);
	source_get(s, &s->snap);
	s->snap_clock = s->clock_us;
	pthread_mutex_unlock(&s->mu);
}

/* ---- worker ---------------------------------------------------------- */

/* Output space for one record. Replay, and live capture at its end, wait
 * for the output thread; live capture otherwise drops the record (NULL,
 * counted in drops.output_queue). */
static struct mq_msg *worker_reserve(struct worker *w)
{
	struct mq_msg *m = mq_reserve(&w->out, RECORD_MAX);
	if (!m && w->live && !w->ending) {
		w->out_drops++;
		return NULL;
	}
	if (!m) {
		unsigned round = 0;
		w->out_waits++;
		while (!(m = mq_reserve(&w->out, RECORD_MAX)))
			mq_backoff(&round);
	}
	return m;
}

static void worker_commit(struct worker *w, struct mq_msg *m, size_t len)
{
	if (len == 0) {
		w->record_overflow++; /* the reservation is abandoned */
		return;
	}
	mq_commit(&w->out, m, MQ_RECORD, len);
	w->records++;
}

/* The sensor name and the flow's endpoints' enrichment, for its records:
 * looked up when a record is written, through the worker's cache. */
static const struct pod *worker_pod(struct worker *w, const struct flow *f, int side)
{
	if (!w->pods)
		return NULL;
	w->podst.lookups++;
	const struct pod *p = pods_find(w->pods, f->key.ipver,
					f->key.addr[side == 0 ? f->src_side : !f->src_side]);
	w->podst.found += p != NULL;
	return p;
}

static void worker_ctx(struct worker *w, const struct flow *f, struct record_ctx *rc)
{
	rc->sensor = w->cfg->sensor_name;
	rc->iface = w->ifnames ? w->ifnames[f->key.iface] : NULL;
	for (int side = 0; side < 2; side++) {
		rc->pod[side] = worker_pod(w, f, side);
		const struct geo_info *g =
			geo_lookup(&w->geoc, w->geo, f->key.ipver,
				   f->key.addr[side == 0 ? f->src_side : !f->src_side]);
		if (g)
			rc->geo[side] = *g; /* a copy: the other lookup may reuse the slot */
		else
			rc->geo[side].found = false;
	}
}

static void worker_alerts(struct worker *w, struct flow *f, const struct alert_due *due,
			  uint64_t ts_us)
{
	struct record_ctx rc;
	bool have_rc = false;
	/* the rate limit's source: the source's pod (by its first address, so
	 * a dual-stack pod is one source), else the source address */
	const struct pod *sp = w->limit ? worker_pod(w, f, 0) : NULL;
	uint8_t kver = sp ? sp->ipver : f->key.ipver;
	const uint8_t *key = sp ? sp->addr : f->key.addr[f->src_side];
	uint64_t dkey = w->dedup ? flow_key_dispatch_hash(&f->key) : 0;
	for (int s = 0; s < SIG__COUNT; s++) {
		if (!(due->sigs & (1u << s)))
			continue;
		/* a copy of this connection on another interface alerted already */
		if (w->dedup && alert_dedup_check(&w->dd, davy_fmix64(dkey + (uint64_t)(s + 1)),
						  f->key.iface, ts_us))
			continue;
		if (w->limit && !alert_limit_allow(w->limit, kver, key, ts_us)) {
			w->rate_limited[s]++;
			continue;
		}
		if (!have_rc) {
			worker_ctx(w, f, &rc);
			have_rc = true;
		}
		struct mq_msg *m = worker_reserve(w);
		if (!m)
			continue; /* live, the output queue full: counted */
		struct jbuf j;
		jb_init(&j, (char *)m->data, RECORD_MAX);
		worker_commit(w, m, record_alert(&j, &w->cls, f, (enum alert_sig)s, due, ts_us, &rc));
		w->alerts[s]++;
	}
}

static bool flow_mining(const struct flow *f)
{
	return classify_is_mining(&f->cls) && !f->cls.guessed;
}

/* Indicators against what the flow newly offers (ioc_match.h); cheap once
 * its address and host facts are checked and it has no Stratum state. */
static void worker_iocs(struct worker *w, struct flow *f, uint64_t ts_us)
{
	if (!w->iocs || ((f->ioc_done & (IOC_CK_ADDR | IOC_CK_HOST)) == (IOC_CK_ADDR | IOC_CK_HOST) &&
			 !f->stratum))
		return;
	struct alert_due due = { 0 };
	ioc_match_flow(w->iocs, f, f->cls.nf == NULL, &due, &w->iocst);
	if (due.sigs)
		worker_alerts(w, f, &due, ts_us);
}

/* At a flow's first packet: the indicators on its endpoints' identity
 * (AS numbers, pods' images and namespaces: ioc_match_identity) and the
 * --alert-countries policy. Lookups only for what is configured. */
static void worker_identity(struct worker *w, struct flow *f, uint64_t ts_us)
{
	struct alert_due due = { 0 };
	const struct davy_config *cfg = w->cfg;
	bool want_asn = w->iocs && w->geo && w->geo->has_asn && ioc_set_has(w->iocs, IOC_ASN);
	bool want_pod = w->iocs && w->pods &&
			(ioc_set_has(w->iocs, IOC_IMAGE) || ioc_set_has(w->iocs, IOC_NAMESPACE));
	if (want_asn || want_pod) {
		struct ioc_identity id = { { 0, 0 }, { NULL, NULL } };
		for (int side = 0; side < 2; side++) {
			if (want_pod)
				id.pod[side] = worker_pod(w, f, side);
			const struct geo_info *g =
				want_asn ? geo_lookup(&w->geoc, w->geo, f->key.ipver,
						      f->key.addr[side == 0 ? f->src_side : !f->src_side])
					 : NULL;
			id.asn[side] = g ? g->asn : 0;
		}
		ioc_match_identity(w->iocs, f, &id, &due, &w->iocst);
	}
	if (cfg->alert_countries_on && w->geo) {
		for (int side = 1; side >= 0; side--) { /* the destination first */
			const struct geo_info *g =
				geo_lookup(&w->geoc, w->geo, f->key.ipver,
					   f->key.addr[side == 0 ? f->src_side : !f->src_side]);
			if (g && davy_country_listed(cfg->alert_countries, g->country) &&
			    alert_due_add(f, &due, SIG_POLICY_COUNTRY, side == 1 ? 0 : 1)) {
				due.where[SIG_POLICY_COUNTRY] = (uint8_t)side;
				break;
			}
		}
	}
	if (due.sigs)
		worker_alerts(w, f, &due, ts_us);
}

/* After a reload of the indicators, the pod list or the MaxMind databases
 * (worker_quiescent), an open flow's facts are checked again, at its next
 * packet or its end: its addresses and DNS-linked names, host, JA3, Stratum
 * login, host and agent, and its endpoints' identity (a pod the list did not
 * have at the flow's first packet, an image or namespace newly listed, an
 * AS number, the --alert-countries policy). One alert per flow per
 * signature still holds (alert_due_add). What a packet carried only once
 * (payload URLs, DNS answers) is not seen again. */
static inline void worker_recheck(struct worker *w, struct flow *f, uint64_t ts_us)
{
	if (__builtin_expect(f->recheck == w->recheck, 1))
		return;
	f->recheck = w->recheck;
	f->ioc_done = 0;
	w->iocst.rechecks++;
	worker_identity(w, f, ts_us);
}

static void worker_emit_flow(void *ctx, struct flow *f, enum flow_reason why)
{
	struct worker *w = ctx;
	classify_finish(&w->cls, &f->cls);
	worker_recheck(w, f, f->last_us);
	if (f->key.proto == 6) {
		struct alert_due due = { 0 };
		stratum_flow_finish(&w->stratum, f, flow_mining(f), &due);
		if (due.sigs)
			worker_alerts(w, f, &due, f->last_us);
	}
	worker_iocs(w, f, f->last_us);
	struct record_ctx rc;
	worker_ctx(w, f, &rc);
	struct mq_msg *m = worker_reserve(w);
	if (m) {
		struct jbuf j;
		jb_init(&j, (char *)m->data, RECORD_MAX);
		size_t len = record_flow(&j, &w->cls, f, why, false, &rc);
		worker_commit(w, m, len);
	}
	stratum_flow_end(&w->stratum, f);
}

/* One DNS response of a flow (a UDP payload, or one frame of a TCP
 * segment) against the indicators: ioc_match_dns_answer. */
struct answers_ctx {
	struct worker *w;
	struct flow *f;
	int dir;
	struct alert_due *due;
};

static void worker_dns_answer(void *arg, const uint8_t *msg, size_t n)
{
	struct answers_ctx *a = arg;
	ioc_match_dns_answer(a->w->iocs, a->f, msg, n, a->dir, a->due, &a->w->iocst);
}

/* A periodic record of a flow still open (--flow-update-interval). */
static void worker_update_flow(struct worker *w, struct flow *f)
{
	struct record_ctx rc;
	worker_ctx(w, f, &rc);
	struct mq_msg *m = worker_reserve(w);
	if (!m)
		return;
	struct jbuf j;
	jb_init(&j, (char *)m->data, RECORD_MAX);
	worker_commit(w, m, record_flow(&j, &w->cls, f, FLOW_END_TIMEOUT, true, &rc));
	w->updates++;
}

static unsigned worker_of(uint64_t hash, unsigned n)
{
	return (unsigned)(((hash >> 32) * n) >> 32);
}

/* DNS linkage: the flow's destination (else its source) was named by a DNS
 * answer this worker's replica holds. */
static void worker_link_dns(struct worker *w, struct flow *f, uint64_t now_us)
{
	if (!w->dns.slot)
		return;
	const struct dnscache_entry *e =
		dnscache_get(&w->dns, f->key.ipver, f->key.addr[!f->src_side], now_us);
	if (!e)
		e = dnscache_get(&w->dns, f->key.ipver, f->key.addr[f->src_side], now_us);
	if (e)
		flow_link_dns(&w->flows, f, e);
}

static void worker_packet(struct worker *w, struct wpkt *wp)
{
	struct pkt p;
	const struct pkt *src = (const struct pkt *)(wp->bytes + align8(wp->nbytes));
	memcpy(&p, src, PKT_SIZE(src->ntun));
	p.data = wp->bytes;

	struct flow_key k;
	int side;
	flow_key_from_pkt(&p, &k, &side);
	k.iface = wp->src;
	uint64_t h = flow_key_hash(&k);
	/* one hash for most packets: a plain key's dispatch hash is h */
	if (worker_of(flow_key_plain(&k) ? h : flow_key_dispatch_hash(&k), w->nworkers) != w->id)
		w->flows.st.wrong_thread++;

	bool created;
	struct flow *f = flow_packet(&w->flows, &p, &k, h, side, &created);
	if (!f)
		return;
	uint64_t every = w->cfg->flow_update_us;
	if (created) {
		classify_start(&w->cls, &f->cls);
		f->next_update_us = every ? f->first_us + every : 0;
		f->recheck = w->recheck;
		worker_link_dns(w, f, p.ts_us);
		worker_identity(w, f, p.ts_us);
	} else {
		worker_recheck(w, f, p.ts_us);
	}
	if (f->cls.nf)
		classify_packet(&w->cls, &f->cls, wp->bytes, p.l3_len, p.ts_us);
	if (k.proto == 6) {
		bool mining = flow_mining(f);
		if (stratum_flow_wants(f, mining)) {
			struct alert_due due = { 0 };
			stratum_flow_packet(&w->stratum, f, &p, side == f->src_side ? 0 : 1, mining,
					    &due);
			if (due.sigs)
				worker_alerts(w, f, &due, p.ts_us);
		}
	}
	worker_iocs(w, f, p.ts_us);
	if (w->iocs && p.payload_len && (k.proto == 6 || k.proto == 17) &&
	    f->url_pkts[side] < IOC_URL_PKTS) {
		if (++f->url_pkts[side] == IOC_URL_PKTS)
			w->iocst.payload_scan_capped++; /* the bound reached: later packets not scanned */
		w->iocst.payload_scans++;
		struct alert_due due = { 0 };
		const uint8_t *pl = wp->bytes + p.payload_off;
		int dir = side == f->src_side ? 0 : 1;
		ioc_match_payload(w->iocs, f, pl, p.payload_len, dir, &due, &w->iocst);
		if (p.sport == 53) {
			struct answers_ctx a = { w, f, dir, &due };
			if (k.proto == 17)
				worker_dns_answer(&a, pl, p.payload_len);
			else /* whole frames in this segment, as DNS linkage reads them */
				dns_tcp_messages(pl, p.payload_len, worker_dns_answer, &a);
		}
		if (due.sigs)
			worker_alerts(w, f, &due, p.ts_us);
	}
	if (every && p.ts_us >= f->next_update_us) {
		worker_update_flow(w, f);
		f->next_update_us = p.ts_us + every;
	}
}

/* A quiescent state for the reloads (reload.h): this worker holds nothing
 * from the indicator set, databases or pod map it had; it picks up the
 * current ones. */
static void worker_quiescent(struct worker *w)
{
	live_quiescent();
	w->iocs = w->live_iocs ? ioc_live_get(w->live_iocs) : NULL;
	w->geo = geo_live_get(w->geol);
	w->pods = pods_live_get(w->podl);
	uint32_t ig = ioc_set_generation(w->iocs), pg = pods_generation(w->pods),
		 gg = w->geo ? w->geo->generation : 0;
	if (ig != w->ioc_gen || pg != w->pods_gen || gg != w->geo_gen) {
		w->ioc_gen = ig;
		w->pods_gen = pg;
		w->geo_gen = gg;
		w->recheck++;
	}
}

/* One message from source q; returns false at that source's EOF. */
static bool worker_message(struct worker *w, struct mq *q, unsigned qi, uint64_t *end_us)
{
	struct mq_msg *m = mq_peek(q);
	uint32_t type = m->type;
	uint64_t t = m->u64;
	if (type == MQ_PKT)
		worker_packet(w, (struct wpkt *)m->data);
	else if (type == MQ_DNS && w->dns.slot)
		dnscache_put(&w->dns, (const struct dns_link *)m->data, t);
	mq_release(q, m);
	if (type == MQ_TICK) {
		if (t > w->clock_us) /* several sources: the latest of their clocks */
			w->clock_us = t;
		flow_expire(&w->flows, w->clock_us);
		worker_publish(w);
	} else if (type == MQ_EOF) {
		w->eof[qi] = true;
		if (t > *end_us)
			*end_us = t;
		return false;
	}
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned round = 0, since_qs = 0, open = w->nsrc;
	uint64_t end_us = 0;
	live_reader_register();
	worker_quiescent(w);
	while (open) {
		bool any = false;
		/* the sources in turn, a batch from each (one source: plain FIFO) */
		for (unsigned qi = 0; qi < w->nsrc; qi++) {
			if (w->eof[qi])
				continue;
			struct mq *q = &w->in[qi];
			for (unsigned budget = 0; budget < 256 && mq_peek(q); budget++) {
				any = true;
				if (++since_qs == IOC_LIVE_QS_EVERY) {
					worker_quiescent(w);
					since_qs = 0;
				}
				if (!worker_message(w, q, qi, &end_us)) {
					open--;
					break;
				}
			}
		}
		if (!any) {
			worker_quiescent(w);
			since_qs = 0;
			mq_idle(&round);
			continue;
		}
		round = 0;
	}
	w->ending = true;
	flow_flush(&w->flows, end_us > w->clock_us ? end_us : w->clock_us);
	worker_publish(w);
	w->iocs = NULL;
	w->geo = NULL;
	w->pods = NULL;
	live_reader_unregister();
	struct mq_msg *m;
	while (!(m = mq_reserve(&w->out, 0)))
		mq_backoff(&round);
	mq_commit(&w->out, m, MQ_EOF, 0);
	return NULL;
}

/* ---- output ---------------------------------------------------------- */

/* Records reach the file in 1 MiB writes; when no record has come for a
 * while (the input is a slow pipe, a quiet link) what is buffered is
 * written out once the output is idle (at most one flush per
 * OUTPUT_IDLE_FLUSH_S), so a reader of the output does not wait on a
 * record that is already made. */
#define OUTPUT_IDLE_FLUSH_S 0.1
#define OUTPUT_SNAP_ROUNDS 256

static void output_publish(struct output *o)
{
	pthread_mutex_lock(&o->mu);
	if (o->ro) {
		o->rsnap = o->ro->st;
		o->snap_redis_bytes = o->ro->used;
		o->snap_redis_down = o->ro->down || o->ro->gave_up || !o->ro->c;
	}
	o->snap_records = o->records;
	o->snap_bytes = o->bytes;
	pthread_mutex_unlock(&o->mu);
}

/* Up to 512 records of queue q to the file and Redis; true if any. Sets
 * *eof at the queue's EOF. */
static bool output_queue(struct output *o, struct mq *q, bool *eof, bool *dirty)
{
	bool any = false;
	struct mq_msg *m;
	for (int budget = 0; budget < 512 && (m = mq_peek(q)); budget++) {
		if (m->type == MQ_EOF) {
			*eof = true;
			mq_release(q, m);
			return true;
		}
		/* wait mode: a full Redis queue leaves the record in the queue
		 * (its producer then waits, or in live capture drops) until
		 * there is room */
		if (o->ro && redis_out_push(o->ro, (const char *)m->data, m->len) == RP_FULL)
			break;
		any = true;
		if (o->fp && !o->werr && fwrite(m->data, 1, m->len, o->fp) != m->len)
			o->werr = errno ? errno : EIO;
		o->records++;
		o->bytes += m->len;
		*dirty = true;
		mq_release(q, m);
	}
	return any;
}

static void *output_main(void *arg)
{
	struct output *o = arg;
	unsigned done = 0, round = 0, rounds = 0;
	bool dirty = false, shut = false;
	struct timespec last_flush;
	clock_gettime(CLOCK_MONOTONIC, &last_flush);
	bool *fin = calloc(o->n, sizeof(*fin));
	if (!fin)
		abort(); /* a few bytes at start-up; nothing sensible to do without them */
	for (;;) {
		bool any = false;
		for (unsigned i = 0; i < o->n; i++) {
			bool eof = false;
			if (!fin[i] && output_queue(o, &o->w[i].out, &eof, &dirty))
				any = true;
			if (eof) {
				fin[i] = true;
				done++;
			}
		}
		bool ignored = false;
		if (output_queue(o, &o->stats_q, &ignored, &dirty))
			any = true;
		if (!shut && o->ro && atomic_load_explicit(&o->shutdown, memory_order_acquire)) {
			redis_out_shutdown(o->ro, o->shutdown_s);
			shut = true;
		}
		if (o->ro) {
			if (redis_out_service(o->ro))
				any = true;
			if (redis_out_gave_up(o->ro))
				atomic_store(o->stop, true);
		}
		if (++rounds % OUTPUT_SNAP_ROUNDS == 0)
			output_publish(o);
		if (done == o->n && !mq_peek(&o->stats_q) && atomic_load(&o->stats_q_end))
			break;
		if (any) {
			round = 0;
			continue;
		}
		if (dirty && round >= 48 && since(&last_flush) >= OUTPUT_IDLE_FLUSH_S) {
			if (o->fp && !o->werr && fflush(o->fp) != 0)
				o->werr = errno ? errno : EIO;
			dirty = false;
			clock_gettime(CLOCK_MONOTONIC, &last_flush);
		}
		mq_idle(&round);
	}
	output_publish(o);
	free(fin);
	return NULL;
}

/* ---- sources ----------------------------------------------------------- */

/* Space in worker w's queue from source s. Replay waits for the worker
 * (counted); live capture returns NULL unless `wait` (its EOF). */
static struct mq_msg *reserve_in(struct source *s, struct worker *w, size_t len, bool wait)
{
	struct mq *q = &w->in[s->id];
	struct mq_msg *m = mq_reserve(q, len);
	if (!m && (!s->live || wait)) {
		unsigned round = 0;
		s->c.ring_waits += !s->live;
		while (!(m = mq_reserve(q, len)))
			mq_backoff(&round);
	}
	return m;
}

static void send_ctl(struct source *s, struct worker *w, uint32_t type, uint64_t t, bool wait)
{
	struct mq_msg *m = reserve_in(s, w, 0, wait);
	if (!m)
		return; /* live: a tick skipped, the next one comes */
	m->u64 = t;
	mq_commit(&w->in[s->id], m, type, 0);
}

static void dispatch(struct source *s, const struct pkt *p)
{
	struct flow_key k;
	int side;
	flow_key_from_pkt(p, &k, &side);
	struct worker *w = &s->w[worker_of(flow_key_dispatch_hash(&k), s->n)];

	size_t psize = PKT_SIZE(p->ntun);
	size_t len = sizeof(struct wpkt) + align8(p->l3_len) + psize;
	struct mq_msg *m = reserve_in(s, w, len, false);
	if (!m) {
		s->c.ring_drops++;
		return;
	}
	struct wpkt *wp = (struct wpkt *)m->data;
	wp->nbytes = p->l3_len;
	wp->src = s->id;
	memcpy(wp->bytes, p->data + p->l3_off, p->l3_len);
	struct pkt *q = (struct pkt *)(wp->bytes + align8(p->l3_len));
	memcpy(q, p, psize);
	q->data = NULL;
	q->l3_off = 0;
	q->l4_off = p->l4_off - p->l3_off;
	q->payload_off = p->payload_off ? p->payload_off - p->l3_off : 0;
	mq_commit(&w->in[s->id], m, MQ_PKT, len);
	s->c.dispatched++;
}

/* A DNS link goes to every worker, after the answer's own packet, so all
 * replicas see it at the same place in the packet sequence (dnscache.h). */
static void source_link(void *ctx, const struct dns_link *l)
{
	struct source *s = ctx;
	for (unsigned i = 0; i < s->n; i++) {
		struct worker *w = &s->w[i];
		struct mq_msg *m = reserve_in(s, w, sizeof(*l), false);
		if (!m) {
			s->c.link_drops++;
			continue;
		}
		memcpy(m->data, l, sizeof(*l));
		m->u64 = s->clock_us;
		mq_commit(&w->in[s->id], m, MQ_DNS, sizeof(*l));
	}
}

static void dispatch_emit(void *ctx, const struct pkt *p)
{
	struct source *s = ctx;
	dispatch(s, p);
	if (s->cfg->dns_cache_entries)
		dnslink_packet(p, &s->c.dnsl, source_link, s);
}

/* The source's clock reached t: ticks to the workers, datagrams time out,
 * the counters are published. */
static void source_tick(struct source *s, uint64_t t)
{
	if (s->next_tick)
		for (unsigned i = 0; i < s->n; i++)
			send_ctl(s, &s->w[i], MQ_TICK, t, false);
	ingest_tick(&s->in, t);
	s->next_tick = t + TICK_US;
	source_publish(s);
}

/* One packet from libpcap into the source's struct pkt (a snapped packet
 * keeps its wire length), and the source's clock forward to its time. */
static inline void source_take(struct source *s, const struct pcap_pkthdr *hdr, const u_char *data)
{
	struct pkt *p = &s->p;
	p->data = data;
	p->caplen = hdr->caplen;
	p->wirelen = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
	p->ts_us = (uint64_t)hdr->ts.tv_sec * 1000000ULL + (uint64_t)hdr->ts.tv_usec;
	if (p->ts_us > s->clock_us)
		s->clock_us = p->ts_us;
}

static void source_end(struct source *s)
{
	for (unsigned i = 0; i < s->n; i++)
		send_ctl(s, &s->w[i], MQ_EOF, s->clock_us, true);
}

static void progress_draw(struct source *s, pcap_t *pc, bool final)
{
	if (!s->progress)
		return;
	if (final) {
		fputs("\r\033[K", stderr);
		return;
	}
	if (since(&s->last_draw) < 0.25)
		return;
	clock_gettime(CLOCK_MONOTONIC, &s->last_draw);
	long pos = ftell(pcap_file(pc));
	uint64_t done = s->done_bytes + (pos > 0 ? (uint64_t)pos : 0);
	double el = since(&s->t0);
	fprintf(stderr, "\rdavy: %5.1f%%  %" PRIu64 " packets  %.0f packets/s\033[K",
		s->total_bytes ? 100.0 * (double)done / (double)s->total_bytes : 0.0, s->in.ds.pkts,
		el > 0 ? (double)s->in.ds.pkts / el : 0.0);
}

struct run;
static void run_stats_poll(struct run *R);

static void read_file(struct source *s, struct run *R, pcap_t *pc, const char *path)
{
	int dlt = pcap_datalink(pc);
	enum layer first = decode_first_layer(dlt);
	if (first == L_NONE) {
		const char *dn = pcap_datalink_val_to_name(dlt);
		fprintf(stderr, "davy: %s: link type %s (%d) is not supported; its packets are counted, not decoded\n",
			path, dn ? dn : "?", dlt);
	}
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct pkt *p = &s->p;
	uint64_t n = 0;
	int rc;
	while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
		n++;
		source_take(s, hdr, data);
		if (s->clock_us >= s->next_tick)
			source_tick(s, s->clock_us);
		ingest_packet(&s->in, p, first, dispatch_emit, s);
		if ((n & 4095) == 0) {
			progress_draw(s, pc, false);
			run_stats_poll(R);
			if (atomic_load_explicit(s->stop, memory_order_relaxed)) {
				s->stopped = true;
				return;
			}
		}
	}
	if (rc == PCAP_ERROR) {
		s->c.files_damaged++;
		progress_draw(s, pc, true);
		fprintf(stderr, "davy: %s: capture damaged or unreadable after packet %" PRIu64 ": %s\n", path, n,
			pcap_geterr(pc));
	}
}

static bool all_regular(const struct davy_config *cfg, uint64_t *total)
{
	*total = 0;
	for (unsigned i = 0; i < cfg->nfiles; i++) {
		struct stat st;
		if (strcmp(cfg->files[i], "-") == 0 || stat(cfg->files[i], &st) != 0 ||
		    !S_ISREG(st.st_mode))
			return false;
		*total += (uint64_t)st.st_size;
	}
	return true;
}

/* Replay: every file in turn, in this (the main) thread. Returns an exit
 * status for "-" alone failing to open, else DAVY_EXIT_OK. */
static int replay(struct source *s, struct run *R)
{
	const struct davy_config *cfg = s->cfg;
	char err[512];
	int status = DAVY_EXIT_OK;
	clock_gettime(CLOCK_MONOTONIC, &s->t0);
	s->progress = cfg->progress == 1 ||
		      (cfg->progress == -1 && isatty(STDERR_FILENO) && all_regular(cfg, &s->total_bytes));
	if (s->progress && !s->total_bytes)
		all_regular(cfg, &s->total_bytes);
	for (unsigned i = 0; i < cfg->nfiles && !s->stopped; i++) {
		const char *path = cfg->files[i];
		pcap_t *pc = capture_open_file(cfg, path, err, sizeof(err));
		if (!pc) {
			/* "-" is only opened here; a named file vanished since the check */
			fprintf(stderr, "davy: %s\n", err);
			s->c.files_damaged++;
			if (strcmp(path, "-") == 0 && cfg->nfiles == 1)
				status = DAVY_EXIT_FATAL;
			continue;
		}
		read_file(s, R, pc, strcmp(path, "-") == 0 ? "standard input" : path);
		long pos = ftell(pcap_file(pc));
		s->done_bytes += pos > 0 ? (uint64_t)pos : 0;
		s->c.files_read++;
		pcap_close(pc);
	}
	progress_draw(s, NULL, true);
	source_publish(s);
	source_end(s);
	return status;
}

/* Live: one packet from libpcap. */
static void live_packet(u_char *arg, const struct pcap_pkthdr *hdr, const u_char *data)
{
	struct source *s = (struct source *)arg;
	source_take(s, hdr, data);
	ingest_packet(&s->in, &s->p, s->first, dispatch_emit, s);
}

static void live_pcap_stats(struct source *s)
{
	struct pcap_stat ps;
	if (pcap_stats(s->pc, &ps) == 0) {
		s->c.received = ps.ps_recv;
		s->c.kernel_drops = ps.ps_drop;
		s->c.interface_drops = ps.ps_ifdrop;
	}
}

/* Live: a capture thread. Waits for packets at most CAPTURE_TIMEOUT_MS at a
 * time, so the wall clock ticks and the stop flag is seen on an idle link. */
static void *capture_main(void *arg)
{
	struct source *s = arg;
	struct pollfd pfd = { .fd = pcap_get_selectable_fd(s->pc), .events = POLLIN };
	while (!atomic_load_explicit(s->stop, memory_order_relaxed)) {
		if (poll(&pfd, 1, CAPTURE_TIMEOUT_MS) < 0 && errno != EINTR) {
			fprintf(stderr, "davy: %s: poll: %s; capture on it ends\n", s->name, strerror(errno));
			s->failed = true;
			break;
		}
		int rc = pcap_dispatch(s->pc, 4096, live_packet, (u_char *)s);
		if (rc == PCAP_ERROR) {
			fprintf(stderr, "davy: %s: capture failed after %" PRIu64 " packets: %s; capture on it ends\n",
				s->name, s->in.ds.pkts, pcap_geterr(s->pc));
			s->failed = true;
			break;
		}
		uint64_t now = wall_us();
		if (now > s->clock_us)
			s->clock_us = now;
		if (s->clock_us >= s->next_tick) {
			live_pcap_stats(s);
			source_tick(s, s->clock_us);
		}
	}
	s->stopped = !s->failed;
	live_pcap_stats(s);
	source_publish(s);
	source_end(s);
	atomic_store(&s->done, true);
	return NULL;
}

/* ---- stats record and summary --------------------------------------- */

static void layer_counters(struct jbuf *j, const struct decode_stats *ds)
{
	jb_obj_open(j, "layers");
	for (int l = 1; l < L__COUNT; l++) {
		jb_obj_open(j, layer_name(l));
		jb_u64(j, "ok", ds->layer[l]);
		for (int r = 1; r < DEC__COUNT; r++)
			jb_u64(j, dec_result_name(r), ds->result[l][r]);
		jb_obj_close(j);
	}
	jb_obj_close(j);
}

static uint64_t decode_errors(const struct decode_stats *ds)
{
	uint64_t e = ds->too_many_layers;
	for (int l = 0; l < L__COUNT; l++)
		e += ds->result[l][DEC_TRUNCATED] + ds->result[l][DEC_MALFORMED];
	return e;
}

/* An object of per-signature counters keyed by signature id. */
static void by_signature(struct jbuf *j, const char *name, const uint64_t n[SIG__COUNT])
{
	jb_obj_open(j, name);
	for (int s = 0; s < SIG__COUNT; s++) {
		char sid[16];
		snprintf(sid, sizeof(sid), "%u", alert_signature((enum alert_sig)s)->sid);
		jb_u64(j, sid, n[s]);
	}
	jb_obj_close(j);
}

/* An object of Redis output counters keyed by record type. */
static void by_type(struct jbuf *j, const char *name, const uint64_t n[RR__COUNT])
{
	jb_obj_open(j, name);
	for (int t = 0; t < RR__COUNT; t++)
		jb_u64(j, redis_rec_name(t), n[t]);
	jb_obj_close(j);
}

/* The Redis output's counters (stats.output.redis_*). */
static void redis_stats(struct jbuf *j, const struct redis_out_stats *st, size_t cap)
{
	by_type(j, "redis_delivered", st->delivered);
	jb_u64(j, "redis_published", st->published);
	jb_u64(j, "redis_errors", st->errors);
	jb_u64(j, "redis_reconnects", st->reconnects);
	jb_u64(j, "redis_dropped", redis_total(st->dropped));
	by_type(j, "redis_dropped_by_type", st->dropped);
	jb_u64(j, "redis_undelivered", redis_total(st->undelivered));
	jb_u64(j, "redis_resent", st->resent);
	jb_u64(j, "redis_batches", st->batches);
	jb_u64(j, "redis_batch_max", st->batch_max);
	jb_u64(j, "redis_queued", st->queued_records);
	jb_u64(j, "redis_queue_max", st->queue_max);
	jb_u64(j, "redis_queue_size", cap);
}

/* The reloadable inputs, for the stats record. */
struct inputs {
	struct ioc_live *live;
	struct geo_live *geo;
	struct pods_live *pods;
};

/* Frees what was loaded (at the end, or on a start-up error). */
static void inputs_free(struct inputs *in)
{
	if (in->live)
		ioc_live_free(in->live);
	if (in->geo)
		geo_live_free(in->geo);
	if (in->pods)
		pods_live_free(in->pods);
}

static void pods_stats(struct jbuf *j, const struct totals *t, struct pods_live *pl)
{
	const struct pod_map *m = pods_live_get(pl);
	const struct pods_stats *ps = pods_map_stats(m);
	jb_obj_open(j, "pods");
	jb_u64(j, "pods", pods_count(m));
	jb_u64(j, "addresses", pods_addresses(m));
	jb_u64(j, "items", ps->items);
	jb_u64(j, "host_network", ps->host_network);
	jb_u64(j, "finished", ps->finished);
	jb_u64(j, "no_address", ps->no_address);
	jb_u64(j, "not_pods", ps->not_pods);
	jb_u64(j, "bad_items", ps->bad_items);
	jb_u64(j, "bad_addresses", ps->bad_addresses);
	jb_u64(j, "bad_strings", ps->bad_strings);
	jb_u64(j, "address_conflicts", ps->address_conflicts);
	jb_u64(j, "images_cut", ps->images_cut);
	jb_u64(j, "memory", pods_bytes(m));
	jb_u64(j, "reloads", pl->reloads);
	jb_u64(j, "reload_failures", pl->reload_failures);
	jb_u64(j, "lookups", t->pods.lookups);
	jb_u64(j, "found", t->pods.found);
	jb_obj_close(j);
}

/* Everything a stats record says, gathered: at the end from the threads'
 * own counters (they have stopped), during the run from what they
 * published. */
struct stats_view {
	const struct davy_config *cfg;
	uint64_t clock_us;
	double elapsed;
	const struct source_counters *per_src; /* nsrc */
	const char *const *names;              /* live: the interfaces; NULL: replay */
	unsigned nsrc;
	struct source_counters src;            /* summed */
	struct totals t;                       /* summed over workers */
	const struct inputs *in;
	struct alert_limit *limit;
	const struct redis_out_stats *rst;     /* NULL: no Redis */
	size_t rcap;
	uint64_t stats_dropped;                /* mid-run stats records not queued */
};

static size_t stats_record(struct jbuf *j, const struct stats_view *v)
{
	const struct davy_config *cfg = v->cfg;
	const struct source_counters *r = &v->src;
	const struct totals *t = &v->t;
	const struct inputs *in = v->in;
	char ts[RECORD_TIME_LEN];
	record_time(ts, v->clock_us);
	jb_str(j, "timestamp", ts);
	jb_str(j, "event_type", "stats");
	jb_obj_open(j, "stats");
	jb_u64(j, "uptime", (uint64_t)v->elapsed);
	jb_obj_open(j, "capture");
	jb_u64(j, "files", r->files_read);
	jb_u64(j, "files_damaged", r->files_damaged);
	if (v->names) {
		jb_arr_open(j, "interfaces");
		for (unsigned i = 0; i < v->nsrc; i++) {
			const struct source_counters *c = &v->per_src[i];
			jb_obj_open(j, NULL);
			jb_str(j, "name", v->names[i]);
			jb_u64(j, "pkts", c->ds.pkts);
			jb_u64(j, "bytes", c->ds.bytes);
			jb_u64(j, "received", c->received);
			jb_u64(j, "kernel_drops", c->kernel_drops);
			jb_u64(j, "interface_drops", c->interface_drops);
			jb_u64(j, "ring_drops", c->ring_drops);
			jb_u64(j, "dns_link_drops", c->link_drops);
			jb_u64(j, "decode_errors", decode_errors(&c->ds));
			jb_obj_close(j);
		}
		jb_arr_close(j);
	}
	jb_obj_close(j);
	jb_obj_open(j, "decoder");
	jb_u64(j, "pkts", r->ds.pkts);
	jb_u64(j, "bytes", r->ds.bytes);
	jb_u64(j, "dispatched", r->dispatched);
	jb_u64(j, "carriers", r->carriers);
	jb_u64(j, "errors", decode_errors(&r->ds));
	uint64_t unsup = 0;
	for (int l = 0; l < L__COUNT; l++)
		unsup += r->ds.result[l][DEC_UNSUPPORTED];
	jb_u64(j, "unsupported", unsup);
	jb_u64(j, "fragments", r->ds.fragments);
	jb_u64(j, "too_many_layers", r->ds.too_many_layers);
	jb_u64(j, "unknown_linktype", r->ds.unknown_linktype);
	jb_u64(j, "tunnelled", r->ds.tunnelled);
	jb_obj_open(j, "tunnels");
	for (int tt = 1; tt < TUN__COUNT; tt++)
		jb_u64(j, tunnel_type_name(tt), r->ds.tunnel[tt]);
	jb_obj_close(j);
	layer_counters(j, &r->ds);
	jb_obj_close(j);
	const struct defrag_stats *df = &r->df;
	jb_obj_open(j, "defrag");
	jb_u64(j, "fragments", df->fragments);
	jb_u64(j, "reassembled", df->reassembled);
	jb_u64(j, "timeouts", df->timeouts);
	jb_u64(j, "evicted", df->evicted);
	jb_u64(j, "overlaps", df->overlaps);
	jb_u64(j, "overlap_conflicts", df->overlap_conflicts);
	jb_u64(j, "too_big", df->too_big);
	jb_u64(j, "inconsistent", df->inconsistent);
	jb_u64(j, "tiny_first", df->tiny_first);
	jb_u64(j, "no_memory", df->no_memory);
	jb_u64(j, "active", df->active);
	jb_u64(j, "peak_active", df->peak_active);
	jb_u64(j, "pool_bytes", df->pool_bytes);
	jb_obj_close(j);
	jb_obj_open(j, "flow");
	jb_u64(j, "created", t->fs.created);
	jb_u64(j, "timeout", t->fs.ended[FLOW_END_TIMEOUT]);
	jb_u64(j, "shutdown", t->fs.ended[FLOW_END_SHUTDOWN]);
	jb_u64(j, "evicted", t->fs.ended[FLOW_END_EVICTED]);
	jb_u64(j, "no_memory", t->fs.no_memory);
	jb_u64(j, "peak_active", t->fs.peak_active);
	jb_u64(j, "max", cfg->max_flows);
	jb_u64(j, "pool_bytes", t->fs.pool_bytes);
	jb_u64(j, "wrong_thread", t->fs.wrong_thread);
	jb_u64(j, "tunnel_no_memory", t->fs.tunnel_no_memory);
	jb_obj_close(j);
	jb_obj_open(j, "ndpi");
	jb_u64(j, "calls", t->cs.calls);
	jb_u64(j, "detected", t->cs.detected);
	jb_u64(j, "gave_up", t->cs.gave_up);
	jb_u64(j, "peak_live", t->cs.peak_live);
	jb_u64(j, "no_memory", t->cs.no_memory);
	jb_obj_close(j);
	jb_obj_open(j, "stratum");
	jb_u64(j, "candidates", t->ss.candidates);
	jb_u64(j, "recognised", t->ss.recognised);
	jb_u64(j, "not_stratum", t->ss.not_stratum);
	jb_u64(j, "ndpi_overruled", t->ss.ndpi_overruled);
	jb_u64(j, "v2_checked", t->ss.v2_checked);
	jb_u64(j, "abandoned", t->ss.abandoned);
	jb_u64(j, "no_memory", t->ss.no_memory);
	jb_u64(j, "peak_live", t->ss.peak_live);
	jb_u64(j, "max", cfg->stratum_flows);
	jb_u64(j, "pool_bytes", t->ss.pool_bytes);
	jb_obj_close(j);
	jb_obj_open(j, "reassembly");
	jb_u64(j, "segments", t->rs.segments);
	jb_u64(j, "in_order", t->rs.in_order);
	jb_u64(j, "out_of_order", t->rs.out_of_order);
	jb_u64(j, "delivered_bytes", t->rs.delivered_bytes);
	jb_u64(j, "dup_bytes", t->rs.dup_bytes);
	jb_u64(j, "conflict_bytes", t->rs.conflict_bytes);
	jb_u64(j, "gaps", t->rs.gaps);
	jb_u64(j, "gaps_ack", t->rs.gaps_ack);
	jb_u64(j, "gaps_full", t->rs.gaps_full);
	jb_u64(j, "gaps_flush", t->rs.gaps_flush);
	jb_u64(j, "gap_bytes", t->rs.gap_bytes);
	jb_u64(j, "syn_resets", t->rs.syn_resets);
	jb_u64(j, "far_ahead", t->rs.far_ahead);
	jb_u64(j, "abandoned", t->rs.abandoned);
	jb_u64(j, "peak_bytes", t->rs.peak_chunks_used * REASM_CHUNK);
	jb_u64(j, "memory", t->rs.chunks * REASM_CHUNK);
	jb_obj_close(j);
	jb_obj_open(j, "dns_linkage");
	jb_u64(j, "responses", r->dnsl.responses);
	jb_u64(j, "errors", r->dnsl.errors);
	jb_u64(j, "links", r->dnsl.links);
	jb_u64(j, "tcp_split", r->dnsl.tcp_split);
	jb_u64(j, "cname_overflow", r->dnsl.cname_overflow);
	jb_u64(j, "addr_overflow", r->dnsl.addr_overflow);
	jb_u64(j, "cache_entries", cfg->dns_cache_entries);
	jb_u64(j, "cache_updates", t->dc.updates);
	jb_u64(j, "cache_evicted_live", t->dc.evicted_live);
	jb_u64(j, "lookups", t->dc.lookups);
	jb_u64(j, "hits", t->dc.hits);
	jb_u64(j, "flows_linked", t->fs.dns_linked);
	jb_u64(j, "flows_no_memory", t->fs.dns_no_memory);
	jb_obj_close(j);
	struct ioc_live *live = in->live;
	jb_obj_open(j, "iocs");
	const struct ioc_set *set = live ? ioc_live_get(live) : NULL;
	jb_u64(j, "indicators", set ? ioc_set_count(set) : 0);
	jb_u64(j, "files", set ? ioc_set_stats(set)->files : 0);
	jb_u64(j, "bad_lines", set ? ioc_set_stats(set)->bad : 0);
	jb_u64(j, "memory", set ? ioc_set_bytes(set) : 0);
	jb_u64(j, "reloads", live ? live->reloads : 0);
	jb_u64(j, "reload_failures", live ? live->reload_failures : 0);
	jb_u64(j, "checks", t->im.checks);
	jb_u64(j, "payload_scans", t->im.payload_scans);
	jb_u64(j, "payload_scan_capped", t->im.payload_scan_capped);
	jb_u64(j, "flows_rechecked", t->im.rechecks);
	jb_u64(j, "matches", t->im.matches);
	jb_obj_open(j, "matched");
	for (int wh = 1; wh < IOC_W__COUNT; wh++)
		jb_u64(j, ioc_where_name(wh), t->im.by_where[wh]);
	jb_obj_close(j);
	jb_obj_close(j);
	jb_obj_open(j, "alerts");
	uint64_t nal = 0;
	for (int s = 0; s < SIG__COUNT; s++)
		nal += t->alerts[s];
	jb_u64(j, "total", nal);
	by_signature(j, "by_signature", t->alerts);
	uint64_t nlim = 0;
	for (int s = 0; s < SIG__COUNT; s++)
		nlim += t->rate_limited[s];
	jb_u64(j, "rate_limited", nlim);
	by_signature(j, "rate_limited_by_signature", t->rate_limited);
	jb_u64(j, "rate_limit", cfg->alert_rate_limit);
	jb_u64(j, "rate_window", cfg->alert_rate_window_us / 1000000);
	jb_u64(j, "rate_table_full", v->limit ? atomic_load(&v->limit->table_full) : 0);
	jb_u64(j, "duplicates", t->dd.suppressed);
	jb_u64(j, "duplicate_table_replaced", t->dd.replaced);
	jb_obj_close(j);
	if (cfg->geoip_path || cfg->asn_path) {
		jb_obj_open(j, "geo");
		jb_u64(j, "lookups", t->geo.lookups);
		jb_u64(j, "cache_hits", t->geo.cache_hits);
		jb_u64(j, "not_found", t->geo.not_found);
		jb_u64(j, "skipped", t->geo.skipped);
		jb_u64(j, "errors", t->geo.errors);
		jb_u64(j, "cache_size", GEO_CACHE_SLOTS); /* per worker */
		jb_u64(j, "cache_flushes", t->geo_flushes);
		jb_u64(j, "reloads", in->geo->reloads);
		jb_u64(j, "reload_failures", in->geo->reload_failures);
		jb_obj_close(j);
	}
	if (in->pods)
		pods_stats(j, t, in->pods);
	jb_obj_open(j, "queues");
	jb_u64(j, "worker_full_waits", r->ring_waits);
	jb_u64(j, "output_full_waits", t->out_waits);
	jb_obj_close(j);
	/* replay waits instead of dropping: there, all but record_too_big stay 0 */
	uint64_t redis_dropped = v->rst ? redis_total(v->rst->dropped) : 0;
	jb_obj_open(j, "drops");
	jb_u64(j, "kernel", r->kernel_drops);
	jb_u64(j, "interface", r->interface_drops);
	jb_u64(j, "ring", r->ring_drops);
	jb_u64(j, "output", t->out_drops + redis_dropped);
	jb_u64(j, "output_queue", t->out_drops);
	jb_u64(j, "redis_queue", redis_dropped);
	jb_u64(j, "dns_links", r->link_drops);
	jb_u64(j, "stats_records", v->stats_dropped);
	jb_u64(j, "record_too_big", t->record_overflow);
	jb_obj_close(j);
	jb_obj_open(j, "output");
	jb_u64(j, "records", t->records);
	jb_u64(j, "flow_updates", t->updates);
	if (v->rst)
		redis_stats(j, v->rst, v->rcap);
	jb_obj_close(j);
	jb_u64(j, "workers", cfg->workers);
	jb_obj_close(j);
	jb_obj_open(j, "sensor");
	jb_str(j, "name", cfg->sensor_name);
	jb_obj_close(j);
	return jb_finish(j);
}

/* ---- the run --------------------------------------------------------- */

struct run {
	const struct davy_config *cfg;
	struct source *src;
	unsigned nsrc;
	bool live;
	const char *names[DAVY_MAX_IFACES];
	struct worker *w;
	unsigned n;
	struct output o;
	struct inputs inp;
	struct alert_limit *limit;
	struct redis_out *ro;
	struct reloader rl;
	struct timespec t0;
	/* mid-run stats records (main thread) */
	unsigned usr1_seen;
	struct timespec next_stats;
	_Atomic uint64_t stats_dropped;
	_Atomic bool *stop;
	struct metrics_server *metrics;
};

/* The view from what the threads published (mid-run). */
static void run_view_published(struct run *R, struct stats_view *v,
			       struct source_counters *per, struct redis_out_stats *rst)
{
	memset(v, 0, sizeof(*v));
	v->cfg = R->cfg;
	v->elapsed = since(&R->t0);
	v->per_src = per;
	v->names = R->live ? R->names : NULL;
	v->nsrc = R->nsrc;
	for (unsigned i = 0; i < R->nsrc; i++) {
		pthread_mutex_lock(&R->src[i].mu);
		per[i] = R->src[i].snap;
		pthread_mutex_unlock(&R->src[i].mu);
		counters_add(&v->src, &per[i], sizeof(v->src));
	}
	for (unsigned i = 0; i < R->n; i++) {
		pthread_mutex_lock(&R->w[i].mu);
		counters_add(&v->t, &R->w[i].snap, sizeof(v->t));
		pthread_mutex_unlock(&R->w[i].mu);
	}
	v->clock_us = R->live ? wall_us() : 0;
	for (unsigned i = 0; i < R->nsrc && !R->live; i++) {
		pthread_mutex_lock(&R->src[i].mu);
		if (R->src[i].snap_clock > v->clock_us)
			v->clock_us = R->src[i].snap_clock; /* replay: packet time */
		pthread_mutex_unlock(&R->src[i].mu);
	}
	v->in = &R->inp;
	v->limit = R->limit;
	if (R->ro) {
		pthread_mutex_lock(&R->o.mu);
		*rst = R->o.rsnap;
		pthread_mutex_unlock(&R->o.mu);
		v->rst = rst;
		v->rcap = R->ro->cap;
	}
	v->stats_dropped = R->stats_dropped;
}

/* A stats record now (SIGUSR1, --stats-interval), through the output
 * thread's stats queue; dropped and counted when that queue is full. */
static void run_stats_emit(struct run *R)
{
	static const size_t cap = RECORD_MAX;
	struct mq_msg *m = mq_reserve(&R->o.stats_q, cap);
	if (!m) {
		R->stats_dropped++;
		return;
	}
	struct stats_view v;
	struct source_counters per[DAVY_MAX_IFACES];
	struct redis_out_stats rst;
	run_view_published(R, &v, per, &rst);
	struct jbuf j;
	jb_init(&j, (char *)m->data, cap);
	/* the feeds, databases and pod map are read as an RCU reader */
	live_reader_register();
	size_t len = stats_record(&j, &v);
	live_reader_unregister();
	if (len)
		mq_commit(&R->o.stats_q, m, MQ_RECORD, len);
	else
		R->stats_dropped++; /* cannot happen: the stats record fits RECORD_MAX */
}

static bool reached(const struct timespec *t)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > t->tv_sec || (now.tv_sec == t->tv_sec && now.tv_nsec >= t->tv_nsec);
}

/* Called by the main thread now and then: a stats record when SIGUSR1 came
 * or --stats-interval is due. */
static void run_stats_poll(struct run *R)
{
	unsigned usr1 = atomic_load_explicit(&R->rl.stats_requests, memory_order_relaxed);
	bool due = R->cfg->stats_interval_s && reached(&R->next_stats);
	if (usr1 == R->usr1_seen && !due)
		return;
	R->usr1_seen = usr1;
	if (due) {
		clock_gettime(CLOCK_MONOTONIC, &R->next_stats);
		R->next_stats.tv_sec += R->cfg->stats_interval_s;
	}
	run_stats_emit(R);
}

/* ---- /metrics and /healthz (metrics.h) -------------------------------- */

/* Runs on the metrics server's thread: reads only what the threads
 * published (under their mutexes), atomics, and the reloadable inputs as
 * an RCU reader. */
static int metrics_render(void *ctx, struct prom *p)
{
	struct run *R = ctx;
	struct stats_view v;
	struct source_counters per[DAVY_MAX_IFACES];
	struct redis_out_stats rst;
	run_view_published(R, &v, per, &rst);
	char b[32];
	const char *ifn[DAVY_MAX_IFACES];
	for (unsigned i = 0; i < R->nsrc; i++)
		ifn[i] = R->live ? R->names[i] : "files";
	/* per worker, from their published counters */
	struct totals wt[DAVY_MAX_WORKERS];
	char wl[DAVY_MAX_WORKERS][12];
	for (unsigned i = 0; i < R->n; i++) {
		pthread_mutex_lock(&R->w[i].mu);
		wt[i] = R->w[i].snap;
		pthread_mutex_unlock(&R->w[i].mu);
		snprintf(wl[i], sizeof(wl[i]), "%u", i);
	}
#define LB(...) ((const char *const[]){ __VA_ARGS__, NULL })
/* A family with one sample per interface (i) or per worker (i) */
#define PER_IFACE(name, type, help, value)                                      \
	do {                                                                    \
		prom_family(p, name, type, help);                               \
		for (unsigned i = 0; i < R->nsrc; i++)                          \
			prom_u64(p, name, LB("interface", ifn[i]), (value));    \
	} while (0)
#define PER_WORKER(name, type, help, value)                                     \
	do {                                                                    \
		prom_family(p, name, type, help);                               \
		for (unsigned i = 0; i < R->n; i++)                             \
			prom_u64(p, name, LB("worker", wl[i]), (value));        \
	} while (0)
	prom_family(p, "davy_uptime_seconds", PROM_GAUGE, "seconds since the run started");
	prom_f64(p, "davy_uptime_seconds", NULL, v.elapsed);

	PER_IFACE("davy_packets_total", PROM_COUNTER, "packets captured or read, per interface", per[i].ds.pkts);
	PER_IFACE("davy_bytes_total", PROM_COUNTER, "their wire bytes, per interface", per[i].ds.bytes);
	prom_family(p, "davy_packet_drops_total", PROM_COUNTER,
		    "packets lost, per interface and reason: kernel (the capture ring overflowed), interface (the NIC dropped), ring (a worker queue was full)");
	for (unsigned i = 0; i < R->nsrc; i++) {
		prom_u64(p, "davy_packet_drops_total", LB("interface", ifn[i], "reason", "kernel"), per[i].kernel_drops);
		prom_u64(p, "davy_packet_drops_total", LB("interface", ifn[i], "reason", "interface"), per[i].interface_drops);
		prom_u64(p, "davy_packet_drops_total", LB("interface", ifn[i], "reason", "ring"), per[i].ring_drops);
	}
	prom_family(p, "davy_record_drops_total", PROM_COUNTER,
		    "records lost: output_queue (a worker's output queue was full), redis_queue (the Redis queue was full), stats (a stats record found no room), too_big");
	prom_u64(p, "davy_record_drops_total", LB("reason", "output_queue"), v.t.out_drops);
	prom_u64(p, "davy_record_drops_total", LB("reason", "redis_queue"), v.rst ? redis_total(v.rst->dropped) : 0);
	prom_u64(p, "davy_record_drops_total", LB("reason", "stats"), v.stats_dropped);
	prom_u64(p, "davy_record_drops_total", LB("reason", "too_big"), v.t.record_overflow);
	prom_family(p, "davy_decode_errors_total", PROM_COUNTER, "headers that were truncated or malformed, per layer");
	for (int l = 1; l < L__COUNT; l++) {
		prom_u64(p, "davy_decode_errors_total", LB("layer", layer_name(l), "kind", "truncated"), v.src.ds.result[l][DEC_TRUNCATED]);
		prom_u64(p, "davy_decode_errors_total", LB("layer", layer_name(l), "kind", "malformed"), v.src.ds.result[l][DEC_MALFORMED]);
	}
	PER_IFACE("davy_defrag_datagrams", PROM_GAUGE, "IP datagrams in reassembly, per interface", per[i].df.active);
	PER_IFACE("davy_defrag_memory_bytes", PROM_GAUGE, "memory of the fragment reassembly pools, per interface",
		  per[i].df.pool_bytes);

	PER_WORKER("davy_flows_active", PROM_GAUGE, "flows open, per worker",
		   wt[i].fs.created - wt[i].fs.ended[FLOW_END_TIMEOUT] - wt[i].fs.ended[FLOW_END_SHUTDOWN] -
			   wt[i].fs.ended[FLOW_END_EVICTED]);
	prom_family(p, "davy_flows_total", PROM_COUNTER, "flows ended, per worker and reason (evicted: the flow table was full)");
	for (unsigned i = 0; i < R->n; i++)
		for (int r = 0; r < FLOW__REASONS; r++)
			prom_u64(p, "davy_flows_total", LB("worker", wl[i], "reason", flow_reason_name((enum flow_reason)r)),
				 wt[i].fs.ended[r]);
	PER_WORKER("davy_worker_records_total", PROM_COUNTER, "records written, per worker", wt[i].records);
	PER_WORKER("davy_reassembly_memory_bytes", PROM_GAUGE, "TCP reassembly memory reserved, per worker",
		   wt[i].rs.chunks * REASM_CHUNK);
	PER_WORKER("davy_reassembly_peak_bytes", PROM_GAUGE, "most TCP reassembly memory in use at once, per worker",
		   wt[i].rs.peak_chunks_used * REASM_CHUNK);
	prom_family(p, "davy_worker_queue_bytes", PROM_GAUGE, "bytes waiting in a worker's input queue, per worker and interface");
	for (unsigned i = 0; i < R->n; i++)
		for (unsigned q = 0; q < R->nsrc; q++)
			prom_u64(p, "davy_worker_queue_bytes", LB("worker", wl[i], "interface", ifn[q]),
				 atomic_load_explicit(&R->w[i].in[q].used, memory_order_relaxed));
	PER_WORKER("davy_output_queue_bytes", PROM_GAUGE, "bytes of records waiting in a worker's output queue",
		   atomic_load_explicit(&R->w[i].out.used, memory_order_relaxed));
#undef PER_IFACE
#undef PER_WORKER

	prom_family(p, "davy_alerts_total", PROM_COUNTER, "alerts written, per signature");
	for (int s = 0; s < SIG__COUNT; s++) {
		snprintf(b, sizeof(b), "%u", alert_signature((enum alert_sig)s)->sid);
		prom_u64(p, "davy_alerts_total", LB("signature_id", b), v.t.alerts[s]);
	}
	prom_family(p, "davy_alerts_rate_limited_total", PROM_COUNTER, "alerts held back by --alert-rate-limit, per signature");
	for (int s = 0; s < SIG__COUNT; s++) {
		snprintf(b, sizeof(b), "%u", alert_signature((enum alert_sig)s)->sid);
		prom_u64(p, "davy_alerts_rate_limited_total", LB("signature_id", b), v.t.rate_limited[s]);
	}
	prom_family(p, "davy_alerts_duplicates_total", PROM_COUNTER, "alerts not written: a copy of the connection on another interface alerted");
	prom_u64(p, "davy_alerts_duplicates_total", NULL, v.t.dd.suppressed);

	if (v.rst) {
		bool down;
		uint64_t qbytes;
		pthread_mutex_lock(&R->o.mu);
		down = R->o.snap_redis_down;
		qbytes = R->o.snap_redis_bytes;
		pthread_mutex_unlock(&R->o.mu);
		prom_family(p, "davy_redis_up", PROM_GAUGE, "1 while davy is connected to Redis");
		prom_u64(p, "davy_redis_up", NULL, down ? 0 : 1);
		prom_family(p, "davy_redis_queue_records", PROM_GAUGE, "records waiting for Redis");
		prom_u64(p, "davy_redis_queue_records", NULL, v.rst->queued_records);
		prom_family(p, "davy_redis_queue_bytes", PROM_GAUGE, "bytes waiting for Redis (of --redis-queue)");
		prom_u64(p, "davy_redis_queue_bytes", NULL, qbytes);
		prom_family(p, "davy_redis_delivered_total", PROM_COUNTER, "records Redis acknowledged, per type");
		for (int ty = 0; ty < RR__COUNT; ty++)
			prom_u64(p, "davy_redis_delivered_total", LB("type", redis_rec_name(ty)), v.rst->delivered[ty]);
		prom_family(p, "davy_redis_errors_total", PROM_COUNTER, "Redis errors (replies and connections)");
		prom_u64(p, "davy_redis_errors_total", NULL, v.rst->errors);
		prom_family(p, "davy_redis_reconnects_total", PROM_COUNTER, "reconnections to Redis");
		prom_u64(p, "davy_redis_reconnects_total", NULL, v.rst->reconnects);
	}
#undef LB
	return prom_ok(p) ? 0 : -1;
}

/* Healthy while every capture thread runs and the output has not given up. */
static bool metrics_health(void *ctx, char *why, size_t whylen)
{
	struct run *R = ctx;
	if (atomic_load(R->stop)) {
		snprintf(why, whylen, "stopping (a signal, or records could not be delivered to Redis)\n");
		return false;
	}
	for (unsigned i = 0; R->live && i < R->nsrc; i++)
		if (atomic_load(&R->src[i].done)) {
			snprintf(why, whylen, "capture on %s has ended\n", R->names[i]);
			return false;
		}
	return true;
}

/* Frees what davy_run set up; safe on a partly set-up run. */
static void run_free(struct run *R)
{
	for (unsigned i = 0; i < R->n; i++) {
		struct worker *w = &R->w[i];
		classifier_free(&w->cls);
		geo_cache_free(&w->geoc);
		stratum_flows_free(&w->stratum);
		dnscache_free(&w->dns);
		flow_table_free(&w->flows);
		alert_dedup_free(&w->dd);
		if (w->in)
			for (unsigned q = 0; q < R->nsrc; q++)
				mq_free(&w->in[q]);
		free(w->in);
		mq_free(&w->out);
		pthread_mutex_destroy(&w->mu);
	}
	free(R->w);
	R->w = NULL;
	for (unsigned i = 0; i < R->nsrc; i++) {
		ingest_free(&R->src[i].in);
		if (R->src[i].pc)
			pcap_close(R->src[i].pc);
		pthread_mutex_destroy(&R->src[i].mu);
	}
	free(R->src);
	R->src = NULL;
	mq_free(&R->o.stats_q);
	pthread_mutex_destroy(&R->o.mu);
	inputs_free(&R->inp);
	if (R->limit)
		alert_limit_free(R->limit);
	if (R->ro)
		redis_out_free(R->ro);
}

/* Opens the live sources (before anything else: the capture needs the
 * privileges davy may give up afterwards). Returns 0 or -1 after a message. */
static int open_live(struct run *R, char store[DAVY_MAX_IFACES][16])
{
	const struct davy_config *cfg = R->cfg;
	char err[512];
	int n = capture_resolve(cfg, R->names, store, cfg->quiet ? NULL : stderr, err, sizeof(err));
	if (n < 0) {
		fprintf(stderr, "davy: %s\n", err);
		return -1;
	}
	R->src = calloc((size_t)n, sizeof(*R->src));
	if (!R->src) {
		fprintf(stderr, "davy: out of memory\n");
		return -1;
	}
	for (int i = 0; i < n; i++) {
		struct source *s = &R->src[i];
		pthread_mutex_init(&s->mu, NULL);
		R->nsrc = (unsigned)i + 1;
		s->name = R->names[i];
		s->pc = capture_open_live(cfg, s->name, stderr, err, sizeof(err));
		if (!s->pc) {
			fprintf(stderr, "davy: %s\n", err);
			return -1;
		}
		int dlt = pcap_datalink(s->pc);
		s->first = decode_first_layer(dlt);
		if (s->first == L_NONE) {
			const char *dn = pcap_datalink_val_to_name(dlt);
			fprintf(stderr, "davy: %s: link type %s (%d) is not supported\n", s->name,
				dn ? dn : "?", dlt);
			return -1;
		}
	}
	return 0;
}

int davy_run(const struct davy_config *cfg)
{
	char err[512];
	int status = DAVY_EXIT_OK;
	/* SIGHUP reloads, SIGINT/SIGTERM stop, SIGUSR1 asks for a stats record
	 * (reload.h): blocked from here on, in this thread and every thread it
	 * starts; the reloader's thread takes them with sigtimedwait */
	sigset_t sigs;
	reloader_signals(&sigs);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);

	struct run run_set, *R = &run_set;
	memset(R, 0, sizeof(*R));
	R->cfg = cfg;
	R->live = cfg->nifaces > 0;
	pthread_mutex_init(&R->o.mu, NULL);
	reloader_init(&R->rl);
	char store[DAVY_MAX_IFACES][16];

	/* The sources first: every interface opens, or every named file opens
	 * and takes the filter, before anything runs. */
	if (R->live) {
		if (open_live(R, store) != 0) {
			run_free(R);
			return DAVY_EXIT_FATAL;
		}
	} else {
		for (unsigned i = 0; i < cfg->nfiles; i++) {
			if (strcmp(cfg->files[i], "-") == 0)
				continue;
			pcap_t *pc = capture_open_file(cfg, cfg->files[i], err, sizeof(err));
			if (!pc) {
				fprintf(stderr, "davy: %s\n", err);
				run_free(R);
				return DAVY_EXIT_FATAL;
			}
			pcap_close(pc);
		}
		R->src = calloc(1, sizeof(*R->src));
		if (!R->src) {
			fprintf(stderr, "davy: out of memory\n");
			return DAVY_EXIT_FATAL;
		}
		pthread_mutex_init(&R->src[0].mu, NULL);
		R->nsrc = 1;
	}

	/* What davy reads from files besides captures: loaded before anything
	 * runs, reloaded on SIGHUP or when a file changes (reload.h). A
	 * start-up error frees what was loaded. */
	struct geo_live geo_set, *geo = NULL;
	if (cfg->geoip_path || cfg->asn_path) {
		if (geo_live_init(&geo_set, cfg->geoip_path, cfg->asn_path, stderr, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			run_free(R);
			return DAVY_EXIT_FATAL;
		}
		R->inp.geo = &geo_set;
		geo = &geo_set;
		reloader_add(&R->rl, geo_live_reload, geo_live_changed, geo, "database files changed",
			     cfg->geo_check_s);
	}
	struct pods_live pods_set, *pods = NULL;
	if (cfg->pods_path) {
		if (pods_live_init(&pods_set, cfg->pods_path, cfg->quiet, stderr, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			run_free(R);
			return DAVY_EXIT_FATAL;
		}
		R->inp.pods = &pods_set;
		pods = &pods_set;
		reloader_add(&R->rl, pods_live_reload, pods_live_changed, pods, "pod list changed",
			     cfg->pods_check_s);
	}
	static const char *const shipped[] = { DAVY_IOCS_DIR };
	struct ioc_live live_set, *live = NULL;
	if (!cfg->no_iocs) {
		bool sh = cfg->nioc_paths == 0;
		if (ioc_live_init(&live_set, sh ? shipped : cfg->ioc_paths, sh ? 1 : cfg->nioc_paths,
				  sh, cfg->quiet, stderr, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			run_free(R);
			return DAVY_EXIT_FATAL;
		}
		live = &live_set;
		R->inp.live = live;
		reloader_add(&R->rl, ioc_live_reload, ioc_live_changed, live, "feed files changed",
			     cfg->iocs_check_s);
	}

	struct output *o = &R->o;
	o->path = cfg->out_path;
	/* records go to -o; with --redis and no -o only to Redis */
	bool to_file = cfg->out_path || !cfg->redis_on;
	bool to_stdout = to_file && (!cfg->out_path || strcmp(cfg->out_path, "-") == 0);
	o->fp = !to_file ? NULL : to_stdout ? stdout : fopen(cfg->out_path, "w");
	if (to_file && !o->fp) {
		fprintf(stderr, "davy: cannot open output '%s': %s\n", cfg->out_path, strerror(errno));
		run_free(R);
		return DAVY_EXIT_FATAL;
	}
	char *obuf = to_file ? malloc(1 << 20) : NULL; /* freed after the stream is closed */
	if (obuf)
		setvbuf(o->fp, obuf, _IOFBF, 1 << 20);

	/* Redis: connected once now, so a wrong URL is reported at start */
	struct redis_out ro_set;
	_Atomic bool stop = false;
	if (cfg->redis_on) {
		/* Redis gone mid-write must be a write error (EPIPE: reconnect),
		 * not the end of the process. Without --redis, SIGPIPE keeps its
		 * default (davy ... | head ends davy quietly). */
		signal(SIGPIPE, SIG_IGN);
		struct redis_out_cfg rc = {
			.url = cfg->redis, .maxlen = cfg->redis_maxlen,
			.queue_bytes = cfg->redis_queue_bytes, .drop_when_full = cfg->redis_drop,
			.timeout_s = cfg->redis_timeout_s, .sensor = cfg->sensor_name,
			.quiet = false, .log = stderr,
		};
		snprintf(rc.prefix, sizeof(rc.prefix), "%s", cfg->redis_prefix);
		if (redis_out_init(&ro_set, &rc, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			if (o->fp && !to_stdout) {
				fclose(o->fp);
				free(obuf); /* stdout keeps its buffer until exit */
			}
			run_free(R);
			return DAVY_EXIT_FATAL;
		}
		R->ro = &ro_set;
		redis_out_connect_now(R->ro); /* a failure is reported once, then retried */
	}
	o->ro = R->ro;
	o->stop = &stop;
	o->shutdown_s = cfg->shutdown_timeout_s;
	if (mq_init(&o->stats_q, STATS_QUEUE_BYTES, 64) != 0) {
		fprintf(stderr, "davy: cannot allocate the stats queue\n");
		return DAVY_EXIT_FATAL;
	}

	struct alert_limit limit_tab;
	if (cfg->alert_rate_limit) {
		if (alert_limit_init(&limit_tab, cfg->alert_rate_limit, cfg->alert_rate_window_us,
				     cfg->alert_rate_sources, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			return DAVY_EXIT_FATAL;
		}
		R->limit = &limit_tab;
	}

	unsigned n = cfg->workers;
	R->w = calloc(n, sizeof(*R->w));
	if (!R->w) {
		fprintf(stderr, "davy: out of memory\n");
		return DAVY_EXIT_FATAL;
	}
	struct worker *w = R->w;
	uint64_t per_worker = (cfg->max_flows + n - 1) / n;
	/* --ring-size is each worker's input, shared by its queues from the
	 * sources (at least 1 MiB each) */
	size_t ring = cfg->ring_bytes / R->nsrc;
	if (ring < (1u << 20))
		ring = 1u << 20;
	for (unsigned i = 0; i < n; i++) {
		w[i].id = i;
		w[i].nworkers = n;
		w[i].cfg = cfg;
		w[i].nsrc = R->nsrc;
		w[i].live = R->live;
		w[i].ifnames = R->live ? R->names : NULL;
		w[i].live_iocs = live;
		w[i].limit = R->limit;
		w[i].geol = geo;
		w[i].podl = pods;
		pthread_mutex_init(&w[i].mu, NULL);
		R->n = i + 1;
		w[i].in = calloc(R->nsrc, sizeof(*w[i].in));
		bool ok = w[i].in != NULL;
		for (unsigned q = 0; ok && q < R->nsrc; q++)
			ok = mq_init(&w[i].in[q], ring, (unsigned)(ring / 256)) == 0;
		if (!ok || mq_init(&w[i].out, OUT_QUEUE_BYTES, 4096) != 0) {
			fprintf(stderr, "davy: cannot allocate queues for worker %u\n", i);
			return DAVY_EXIT_FATAL;
		}
		w[i].dedup = R->nsrc > 1;
		if ((w[i].dedup && alert_dedup_init(&w[i].dd, ALERT_DEDUP_SLOTS, err, sizeof(err)) != 0) ||
		    (cfg->dns_cache_entries &&
		     dnscache_init(&w[i].dns, cfg->dns_cache_entries, cfg->dns_min_ttl, 86400, err,
				   sizeof(err)) != 0) ||
		    stratum_flows_init(&w[i].stratum, (cfg->stratum_flows + n - 1) / n,
				       cfg->reasm_bytes / n, err, sizeof(err)) != 0 ||
		    flow_table_init(&w[i].flows, per_worker, &cfg->timeouts, worker_emit_flow, &w[i],
				    err, sizeof(err)) != 0 ||
		    classifier_init(&w[i].cls, cfg->ndpi_max_pkts, err, sizeof(err)) != 0 ||
		    (geo && geo_cache_init(&w[i].geoc, err, sizeof(err)) != 0)) {
			fprintf(stderr, "davy: worker %u: %s\n", i, err);
			return DAVY_EXIT_FATAL;
		}
	}

	for (unsigned i = 0; i < R->nsrc; i++) {
		struct source *s = &R->src[i];
		s->id = i;
		s->cfg = cfg;
		s->live = R->live;
		s->stop = &stop;
		s->w = w;
		s->n = n;
		s->p.cfg = &cfg->decode;
		atomic_init(&s->done, false);
		if (ingest_init(&s->in, &cfg->defrag, cfg->report_carriers, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			return DAVY_EXIT_FATAL;
		}
	}

	/* Everything that needs davy's privileges is open (the capture, the
	 * output file, the inputs); no thread runs yet (privs.h). */
	struct privs_cfg pcfg = { .user = cfg->user, .group = cfg->group, .live = R->live };
	struct privs_result pres;
	if (davy_drop_privileges(&pcfg, &pres, err, sizeof(err)) != 0) {
		fprintf(stderr, "davy: %s\n", err);
		return DAVY_EXIT_FATAL;
	}
	if (pres.outcome == PRIVS_STAYED_ROOT ||
	    (pres.outcome != PRIVS_KEPT && !cfg->quiet)) {
		char msg[256];
		privs_describe(&pres, msg, sizeof(msg));
		fprintf(stderr, "davy: %s\n", msg);
	}

	clock_gettime(CLOCK_MONOTONIC, &R->t0);
	R->next_stats = R->t0;
	/* /metrics: its thread starts after the privileges are dropped (it
	 * needs none: use a port above 1023) and reads only what the other
	 * threads publish, which exists from here on */
	R->stop = &stop;
	if (cfg->metrics_addr) {
		struct sockaddr_storage ss;
		socklen_t sl;
		if (metrics_parse_addr(cfg->metrics_addr, &ss, &sl, err, sizeof(err)) != 0 ||
		    !(R->metrics = metrics_start((struct sockaddr *)&ss, sl, 0, metrics_render,
						 metrics_health, R, err, sizeof(err)))) {
			fprintf(stderr, "davy: option --metrics: %s\n", err);
			if (o->fp && !to_stdout)
				fclose(o->fp);
			if (!to_stdout)
				free(obuf);
			run_free(R); /* no thread was started */
			return DAVY_EXIT_FATAL;
		}
		if (!cfg->quiet)
			fprintf(stderr, "davy: metrics on http://%s/metrics and /healthz\n", cfg->metrics_addr);
	}
	R->next_stats.tv_sec += cfg->stats_interval_s;
	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "davy: cannot start worker thread %u\n", i);
			return DAVY_EXIT_FATAL;
		}
	o->w = w;
	o->n = n;
	if (pthread_create(&o->th, NULL, output_main, o) != 0) {
		fprintf(stderr, "davy: cannot start output thread\n");
		return DAVY_EXIT_FATAL;
	}
	R->rl.stop_flag = &stop;
	if (reloader_start(&R->rl) != 0)
		fprintf(stderr, "davy: cannot start the signal thread; feeds, databases and pods will not reload, SIGINT/SIGTERM/SIGUSR1 are not taken\n");

	if (!R->live) {
		status = replay(&R->src[0], R);
	} else {
		for (unsigned i = 0; i < R->nsrc; i++) {
			if (pthread_create(&R->src[i].th, NULL, capture_main, &R->src[i]) != 0) {
				/* its EOFs are sent here, so the workers end */
				fprintf(stderr, "davy: cannot start the capture thread for %s\n", R->names[i]);
				R->src[i].failed = true;
				source_end(&R->src[i]);
				atomic_store(&R->src[i].done, true);
				continue;
			}
			R->src[i].started = true;
		}
		if (!cfg->quiet) {
			fprintf(stderr, "davy: capturing on");
			for (unsigned i = 0; i < R->nsrc; i++)
				fprintf(stderr, " %s", R->names[i]);
			fprintf(stderr, " (%u workers); SIGINT or SIGTERM stops\n", n);
		}
		for (;;) {
			unsigned running = 0;
			for (unsigned i = 0; i < R->nsrc; i++)
				running += !atomic_load(&R->src[i].done);
			if (!running)
				break;
			struct timespec ts = { 0, 50 * 1000 * 1000 };
			nanosleep(&ts, NULL);
			run_stats_poll(R);
		}
		for (unsigned i = 0; i < R->nsrc; i++) {
			if (R->src[i].started)
				pthread_join(R->src[i].th, NULL);
			if (R->src[i].failed)
				status = DAVY_EXIT_DAMAGED;
		}
	}
	/* a signal or live capture: Redis gets --shutdown-timeout for what is queued */
	int sig = atomic_load(&R->rl.signal);
	if (R->live || sig)
		atomic_store_explicit(&o->shutdown, true, memory_order_release);

	for (unsigned i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
	metrics_stop(R->metrics); /* before the threads' state is freed */
	R->metrics = NULL;
	atomic_store(&o->stats_q_end, true);
	pthread_join(o->th, NULL);
	reloader_stop(&R->rl);

	/* the final stats record: from the threads' own counters (all joined) */
	struct stats_view v;
	struct source_counters per[DAVY_MAX_IFACES];
	memset(&v, 0, sizeof(v));
	v.cfg = cfg;
	v.elapsed = since(&R->t0);
	v.names = R->live ? R->names : NULL;
	v.nsrc = R->nsrc;
	v.per_src = per;
	for (unsigned i = 0; i < R->nsrc; i++) {
		source_get(&R->src[i], &per[i]);
		counters_add(&v.src, &per[i], sizeof(v.src));
		if (R->src[i].clock_us > v.clock_us)
			v.clock_us = R->src[i].clock_us;
	}
	for (unsigned i = 0; i < n; i++)
		worker_add(&v.t, &w[i]);
	v.in = &R->inp;
	v.limit = R->limit;
	v.stats_dropped = R->stats_dropped;
	char sbuf[RECORD_MAX];
	struct jbuf j;
	jb_init(&j, sbuf, sizeof(sbuf));
	/* Redis: what is queued is delivered before the stats record is made,
	 * so its redis_* counters cover every other record */
	if (R->ro) {
		redis_out_drain(R->ro);
		v.rst = &R->ro->st;
		v.rcap = R->ro->cap;
	}
	size_t slen = stats_record(&j, &v);
	if (R->ro && slen && redis_out_push(R->ro, sbuf, slen) == RP_FULL)
		fprintf(stderr, "davy: redis: no room for the stats record\n"); /* cannot happen: drained */
	if (R->ro && redis_out_drain(R->ro) != 0) {
		redis_out_report(R->ro, stderr);
		status = DAVY_EXIT_FATAL;
	}
	bool stopped = R->src[0].stopped;
	if (sig)
		fprintf(stderr, "davy: %s: stopped %s after %" PRIu64 " packets; open flows ended as shutdown\n",
			sig == SIGINT ? "SIGINT" : "SIGTERM", R->live ? "capture" : "reading",
			v.src.ds.pkts);
	else if (!R->live && stopped)
		fprintf(stderr, "davy: reading stopped early because records could not be delivered to Redis\n");
	else if (R->live && atomic_load(&stop))
		fprintf(stderr, "davy: capture stopped because records could not be delivered to Redis\n");
	if (o->fp) {
		if (!o->werr && slen && fwrite(sbuf, 1, slen, o->fp) != slen)
			o->werr = errno ? errno : EIO;
		if (fflush(o->fp) != 0 && !o->werr)
			o->werr = errno ? errno : EIO;
		if (!to_stdout && fclose(o->fp) != 0 && !o->werr)
			o->werr = errno ? errno : EIO;
	}
	if (o->werr) {
		fprintf(stderr, "davy: writing records to '%s' failed: %s\n",
			to_stdout ? "standard output" : cfg->out_path, strerror(o->werr));
		status = DAVY_EXIT_FATAL;
	}

	if (!cfg->quiet) {
		uint64_t drops = v.src.kernel_drops + v.src.interface_drops + v.src.ring_drops;
		fprintf(stderr,
			"davy: %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64
			" decode errors, %.2f s, %.0f packets/s",
			v.src.ds.pkts, v.t.fs.created, decode_errors(&v.src.ds), v.elapsed,
			v.elapsed > 0 ? (double)v.src.ds.pkts / v.elapsed : 0.0);
		if (R->live)
			fprintf(stderr, ", %" PRIu64 " packets dropped (kernel %" PRIu64 ", interface %" PRIu64
				", ring %" PRIu64 "), %" PRIu64 " records dropped",
				drops, v.src.kernel_drops, v.src.interface_drops, v.src.ring_drops,
				v.t.out_drops + (R->ro ? redis_total(R->ro->st.dropped) : 0));
		fputc('\n', stderr);
	}

	uint64_t damaged = v.src.files_damaged;
	run_free(R);
	/* SIGHUP stays blocked: one arriving now, as the run ends, must not end
	 * the process with the default action (it was meant as a reload) */
	if (!to_stdout)
		free(obuf); /* stdout keeps its buffer until exit; NULL without a file */
	if (status == DAVY_EXIT_OK && damaged)
		status = DAVY_EXIT_DAMAGED;
	return status;
}
