/* run.c - the replay pipeline: one reader (this thread), N workers, one
 * output thread.
 *
 *   reader: pcap -> decode -> symmetric hash of the flow key -> worker queue
 *   worker: flow table -> nDPI -> on flow end: JSON record -> output queue
 *   output: drains every worker's output queue -> file or stdout
 *
 * Replay never drops: a full queue makes its producer wait (backoff). The
 * reader also sends every worker a clock tick each second of packet time, so
 * idle flows end on time whatever share of the traffic a worker gets, and an
 * EOF carrying the last packet time, so every worker ends its flows with the
 * same reasons for any worker count.
 */
#include <errno.h>
#include <inttypes.h>
#include <pcap/pcap.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alert_limit.h"
#include "counters.h"
#include "davy.h"
#include "dnslink.h"
#include "geo.h"
#include "ioc_live.h"
#include "ioc_match.h"
#include "ingest.h"
#include "pods_live.h"
#include "queue.h"
#include "record.h"
#include "redis_out.h"
#include "reload.h"
#include "stratum_flow.h"

#define OUT_QUEUE_BYTES (4u << 20)
#define TICK_US 1000000ULL

/* A packet handed from the reader to a worker: the IP datagram's bytes
 * (from the innermost IP header on) followed by the decoded view, copied up
 * to its last tunnel layer, with offsets rebased to `bytes`. The worker
 * derives the flow key itself from that view, which is how it proves the
 * packet reached the right worker (stats.flow.wrong_thread). */
struct wpkt {
	uint32_t nbytes;
	uint32_t pad;
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

struct worker {
	unsigned id, nworkers;
	const struct davy_config *cfg;
	struct mq in, out;
	struct flow_table flows;
	struct classifier cls;
	struct stratum_flows stratum;
	struct dnscache dns; /* this worker's replica (dnscache.h) */
	struct ioc_live *live;      /* NULL: --no-iocs */
	const struct ioc_set *iocs; /* live's set, as of the last quiescent state */
	struct ioc_match_stats iocst;
	struct alert_limit *limit; /* shared by all workers; NULL: no limit */
	struct geo_live *geol;     /* NULL: no --geoip/--asn */
	const struct geo_dbs *geo; /* geol's, as of the last quiescent state */
	struct geo_cache geoc;     /* this worker's lookups */
	struct pods_live *podl;    /* NULL: no --pods */
	const struct pod_map *pods; /* podl's, as of the last quiescent state */
	struct pod_lookup_stats podst;
	pthread_t th;
	uint64_t records;
	uint64_t alerts[SIG__COUNT];
	uint64_t rate_limited[SIG__COUNT];
	uint64_t updates;
	uint64_t record_overflow;
	uint64_t out_waits;
	uint64_t in_waits; /* written by the reader */
};

struct output {
	FILE *fp;               /* NULL: no file (--redis without -o) */
	const char *path;
	struct redis_out *ro;   /* NULL: no --redis */
	_Atomic bool *stop;     /* set when Redis output gave up: the reader stops */
	struct worker *w;
	unsigned n;
	uint64_t records, bytes;
	int werr; /* first write error (errno) */
	pthread_t th;
};

struct reader {
	const struct davy_config *cfg;
	_Atomic bool *stop; /* the output gave up: stop reading (counted as stopped) */
	bool stopped;
	struct worker *w;
	unsigned n;
	struct ingest in;  /* decode, reassembly and their counters */
	uint64_t clock_us, next_tick;
	uint64_t files_read, files_damaged;
	uint64_t dispatched;
	struct dnslink_stats dnsl;
	/* progress */
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

/* ---- worker ---------------------------------------------------------- */

/* Output space for one record; replay waits for the output thread. */
static struct mq_msg *worker_reserve(struct worker *w)
{
	struct mq_msg *m = mq_reserve(&w->out, RECORD_MAX);
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
	for (int s = 0; s < SIG__COUNT; s++) {
		if (!(due->sigs & (1u << s)))
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

static void worker_emit_flow(void *ctx, struct flow *f, enum flow_reason why)
{
	struct worker *w = ctx;
	classify_finish(&w->cls, &f->cls);
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
	struct jbuf j;
	jb_init(&j, (char *)m->data, RECORD_MAX);
	size_t len = record_flow(&j, &w->cls, f, why, false, &rc);
	stratum_flow_end(&w->stratum, f);
	worker_commit(w, m, len);
}

/* A periodic record of a flow still open (--flow-update-interval). */
static void worker_update_flow(struct worker *w, struct flow *f)
{
	struct record_ctx rc;
	worker_ctx(w, f, &rc);
	struct mq_msg *m = worker_reserve(w);
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
	uint64_t h = flow_key_hash(&k);
	if (worker_of(h, w->nworkers) != w->id)
		w->flows.st.wrong_thread++;

	bool created;
	struct flow *f = flow_packet(&w->flows, &p, &k, h, side, &created);
	if (!f)
		return;
	uint64_t every = w->cfg->flow_update_us;
	if (created) {
		classify_start(&w->cls, &f->cls);
		f->next_update_us = every ? f->first_us + every : 0;
		worker_link_dns(w, f, p.ts_us);
		worker_identity(w, f, p.ts_us);
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
		if (k.proto == 17 && p.sport == 53)
			ioc_match_dns_answer(w->iocs, f, pl, p.payload_len, dir, &due, &w->iocst);
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
	w->iocs = w->live ? ioc_live_get(w->live) : NULL;
	w->geo = geo_live_get(w->geol);
	w->pods = pods_live_get(w->podl);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned round = 0, since_qs = 0;
	live_reader_register();
	worker_quiescent(w);
	for (;;) {
		struct mq_msg *m = mq_peek(&w->in);
		if (!m) {
			worker_quiescent(w);
			since_qs = 0;
			mq_backoff(&round);
			continue;
		}
		round = 0;
		if (++since_qs == IOC_LIVE_QS_EVERY) {
			worker_quiescent(w);
			since_qs = 0;
		}
		uint32_t type = m->type;
		uint64_t t = m->u64;
		if (type == MQ_PKT)
			worker_packet(w, (struct wpkt *)m->data);
		else if (type == MQ_DNS && w->dns.slot)
			dnscache_put(&w->dns, (const struct dns_link *)m->data, t);
		mq_release(&w->in, m);
		if (type == MQ_TICK) {
			flow_expire(&w->flows, t);
		} else if (type == MQ_EOF) {
			flow_flush(&w->flows, t);
			break;
		}
	}
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
 * while (the input is a slow pipe, later a quiet link) what is buffered is
 * written out once the output is idle (at most one flush per
 * OUTPUT_IDLE_FLUSH_S), so a reader of the output does not wait on a
 * record that is already made. */
#define OUTPUT_IDLE_FLUSH_S 0.1

static void *output_main(void *arg)
{
	struct output *o = arg;
	unsigned done = 0, round = 0;
	bool dirty = false;
	struct timespec last_flush;
	clock_gettime(CLOCK_MONOTONIC, &last_flush);
	bool *fin = calloc(o->n, sizeof(*fin));
	if (!fin)
		abort(); /* a few bytes at start-up; nothing sensible to do without them */
	while (done < o->n) {
		bool any = false;
		for (unsigned i = 0; i < o->n; i++) {
			if (fin[i])
				continue;
			struct mq_msg *m;
			for (int budget = 0; budget < 512 && (m = mq_peek(&o->w[i].out)); budget++) {
				if (m->type == MQ_EOF) {
					any = true;
					fin[i] = true;
					done++;
					mq_release(&o->w[i].out, m);
					break;
				}
				/* wait mode: a full Redis queue leaves the record in the
				 * worker's queue (the worker then waits) until there is room */
				if (o->ro && redis_out_push(o->ro, (const char *)m->data, m->len) == RP_FULL)
					break;
				any = true;
				if (o->fp && !o->werr && fwrite(m->data, 1, m->len, o->fp) != m->len)
					o->werr = errno ? errno : EIO;
				o->records++;
				o->bytes += m->len;
				dirty = true;
				mq_release(&o->w[i].out, m);
			}
		}
		if (o->ro) {
			if (redis_out_service(o->ro))
				any = true;
			if (redis_out_gave_up(o->ro))
				atomic_store(o->stop, true);
		}
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
		mq_backoff(&round);
	}
	free(fin);
	return NULL;
}

/* ---- reader ---------------------------------------------------------- */

/* Space in a worker's input queue; replay waits for the worker (counted). */
static struct mq_msg *reserve_in(struct worker *w, size_t len)
{
	struct mq_msg *m = mq_reserve(&w->in, len);
	if (!m) {
		unsigned round = 0;
		w->in_waits++;
		while (!(m = mq_reserve(&w->in, len)))
			mq_backoff(&round);
	}
	return m;
}

static void send_ctl(struct worker *w, uint32_t type, uint64_t t)
{
	struct mq_msg *m = reserve_in(w, 0);
	m->u64 = t;
	mq_commit(&w->in, m, type, 0);
}

static void dispatch(struct reader *r, const struct pkt *p)
{
	struct flow_key k;
	int side;
	flow_key_from_pkt(p, &k, &side);
	struct worker *w = &r->w[worker_of(flow_key_hash(&k), r->n)];

	size_t psize = PKT_SIZE(p->ntun);
	size_t len = sizeof(struct wpkt) + align8(p->l3_len) + psize;
	struct mq_msg *m = reserve_in(w, len);
	struct wpkt *wp = (struct wpkt *)m->data;
	wp->nbytes = p->l3_len;
	memcpy(wp->bytes, p->data + p->l3_off, p->l3_len);
	struct pkt *q = (struct pkt *)(wp->bytes + align8(p->l3_len));
	memcpy(q, p, psize);
	q->data = NULL;
	q->l3_off = 0;
	q->l4_off = p->l4_off - p->l3_off;
	q->payload_off = p->payload_off ? p->payload_off - p->l3_off : 0;
	mq_commit(&w->in, m, MQ_PKT, len);
	r->dispatched++;
}

/* A DNS link goes to every worker, after the answer's own packet, so all
 * replicas see it at the same place in the packet sequence (dnscache.h). */
static void reader_link(void *ctx, const struct dns_link *l)
{
	struct reader *r = ctx;
	for (unsigned i = 0; i < r->n; i++) {
		struct worker *w = &r->w[i];
		struct mq_msg *m = reserve_in(w, sizeof(*l));
		memcpy(m->data, l, sizeof(*l));
		m->u64 = r->clock_us;
		mq_commit(&w->in, m, MQ_DNS, sizeof(*l));
	}
}

static void dispatch_emit(void *ctx, const struct pkt *p)
{
	struct reader *r = ctx;
	dispatch(r, p);
	if (r->cfg->dns_cache_entries)
		dnslink_packet(p, &r->dnsl, reader_link, r);
}

static void progress_draw(struct reader *r, pcap_t *pc, bool final)
{
	if (!r->progress)
		return;
	if (final) {
		fputs("\r\033[K", stderr);
		return;
	}
	if (since(&r->last_draw) < 0.25)
		return;
	clock_gettime(CLOCK_MONOTONIC, &r->last_draw);
	long pos = ftell(pcap_file(pc));
	uint64_t done = r->done_bytes + (pos > 0 ? (uint64_t)pos : 0);
	double el = since(&r->t0);
	fprintf(stderr, "\rdavy: %5.1f%%  %" PRIu64 " packets  %.0f packets/s\033[K",
		r->total_bytes ? 100.0 * (double)done / (double)r->total_bytes : 0.0, r->in.ds.pkts,
		el > 0 ? (double)r->in.ds.pkts / el : 0.0);
}

static pcap_t *open_input(const struct davy_config *cfg, const char *path, char *err, size_t errlen)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	pcap_t *pc = pcap_open_offline(path, eb);
	if (!pc) {
		snprintf(err, errlen, "cannot read capture '%s': %s", path, eb);
		return NULL;
	}
	if (cfg->bpf) {
		struct bpf_program prog;
		if (pcap_compile(pc, &prog, cfg->bpf, 1, PCAP_NETMASK_UNKNOWN) != 0) {
			snprintf(err, errlen, "bad BPF filter '%s' (for '%s'): %s", cfg->bpf, path,
				 pcap_geterr(pc));
			pcap_close(pc);
			return NULL;
		}
		int rc = pcap_setfilter(pc, &prog);
		pcap_freecode(&prog);
		if (rc != 0) {
			snprintf(err, errlen, "cannot apply BPF filter to '%s': %s", path,
				 pcap_geterr(pc));
			pcap_close(pc);
			return NULL;
		}
	}
	return pc;
}

static void read_file(struct reader *r, pcap_t *pc, const char *path)
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
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.cfg = &r->cfg->decode;
	uint64_t n = 0;
	int rc;
	while ((rc = pcap_next_ex(pc, &hdr, &data)) == 1) {
		n++;
		p.data = data;
		p.caplen = hdr->caplen;
		p.wirelen = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
		p.ts_us = (uint64_t)hdr->ts.tv_sec * 1000000ULL + (uint64_t)hdr->ts.tv_usec;
		if (p.ts_us > r->clock_us)
			r->clock_us = p.ts_us;
		if (r->clock_us >= r->next_tick) {
			if (r->next_tick)
				for (unsigned i = 0; i < r->n; i++)
					send_ctl(&r->w[i], MQ_TICK, r->clock_us);
			ingest_tick(&r->in, r->clock_us);
			r->next_tick = r->clock_us + TICK_US;
		}
		ingest_packet(&r->in, &p, first, dispatch_emit, r);
		if ((n & 4095) == 0) {
			progress_draw(r, pc, false);
			if (r->stop && atomic_load_explicit(r->stop, memory_order_relaxed)) {
				r->stopped = true;
				return;
			}
		}
	}
	if (rc == PCAP_ERROR) {
		r->files_damaged++;
		progress_draw(r, pc, true);
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

COUNTERS_ONLY(struct flow_stats);
COUNTERS_ONLY(struct classifier_stats);
COUNTERS_ONLY(struct stratum_flow_stats);
COUNTERS_ONLY(struct reasm_stats);
COUNTERS_ONLY(struct dnscache_stats);
COUNTERS_ONLY(struct ioc_match_stats);
COUNTERS_ONLY(struct pod_lookup_stats);

struct totals {
	struct flow_stats fs;
	struct classifier_stats cs;
	struct stratum_flow_stats ss;
	struct reasm_stats rs;
	struct dnscache_stats dc;
	struct ioc_match_stats im;
	struct geo_stats geo;
	uint64_t geo_flushes;
	struct pod_lookup_stats pods;
	uint64_t alerts[SIG__COUNT];
	uint64_t rate_limited[SIG__COUNT];
	uint64_t records, updates, record_overflow, in_waits, out_waits;
};

/* Peaks are summed too: the most each worker held, together. */
static void sum_workers(const struct worker *w, unsigned n, struct totals *t)
{
	memset(t, 0, sizeof(*t));
	for (unsigned i = 0; i < n; i++) {
		counters_add(&t->fs, &w[i].flows.st, sizeof(t->fs));
		counters_add(&t->cs, &w[i].cls.st, sizeof(t->cs));
		counters_add(&t->ss, &w[i].stratum.st, sizeof(t->ss));
		counters_add(&t->rs, &w[i].stratum.pool.st, sizeof(t->rs));
		counters_add(&t->dc, &w[i].dns.st, sizeof(t->dc));
		counters_add(&t->im, &w[i].iocst, sizeof(t->im));
		counters_add(&t->geo, &w[i].geoc.st, sizeof(t->geo));
		t->geo_flushes += w[i].geoc.flushes;
		counters_add(&t->pods, &w[i].podst, sizeof(t->pods));
		counters_add(t->alerts, w[i].alerts, sizeof(t->alerts));
		counters_add(t->rate_limited, w[i].rate_limited, sizeof(t->rate_limited));
		t->updates += w[i].updates;
		t->records += w[i].records;
		t->record_overflow += w[i].record_overflow;
		t->in_waits += w[i].in_waits;
		t->out_waits += w[i].out_waits;
	}
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
static void redis_stats(struct jbuf *j, const struct redis_out *ro)
{
	by_type(j, "redis_delivered", ro->st.delivered);
	jb_u64(j, "redis_published", ro->st.published);
	jb_u64(j, "redis_errors", ro->st.errors);
	jb_u64(j, "redis_reconnects", ro->st.reconnects);
	jb_u64(j, "redis_dropped", redis_total(ro->st.dropped));
	by_type(j, "redis_dropped_by_type", ro->st.dropped);
	jb_u64(j, "redis_undelivered", redis_total(ro->st.undelivered));
	jb_u64(j, "redis_resent", ro->st.resent);
	jb_u64(j, "redis_batches", ro->st.batches);
	jb_u64(j, "redis_batch_max", ro->st.batch_max);
	jb_u64(j, "redis_queued", ro->st.queued_records);
	jb_u64(j, "redis_queue_max", ro->st.queue_max);
	jb_u64(j, "redis_queue_size", ro->cap);
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

static size_t stats_record(struct jbuf *j, const struct davy_config *cfg, const struct reader *r,
			   const struct totals *t, const struct inputs *in, struct alert_limit *limit,
			   const struct redis_out *ro, double elapsed)
{
	char ts[RECORD_TIME_LEN];
	record_time(ts, r->clock_us);
	jb_str(j, "timestamp", ts);
	jb_str(j, "event_type", "stats");
	jb_obj_open(j, "stats");
	jb_u64(j, "uptime", (uint64_t)elapsed);
	jb_obj_open(j, "capture");
	jb_u64(j, "files", r->files_read);
	jb_u64(j, "files_damaged", r->files_damaged);
	jb_obj_close(j);
	jb_obj_open(j, "decoder");
	jb_u64(j, "pkts", r->in.ds.pkts);
	jb_u64(j, "bytes", r->in.ds.bytes);
	jb_u64(j, "dispatched", r->dispatched);
	jb_u64(j, "carriers", r->in.carriers);
	jb_u64(j, "errors", decode_errors(&r->in.ds));
	uint64_t unsup = 0;
	for (int l = 0; l < L__COUNT; l++)
		unsup += r->in.ds.result[l][DEC_UNSUPPORTED];
	jb_u64(j, "unsupported", unsup);
	jb_u64(j, "fragments", r->in.ds.fragments);
	jb_u64(j, "too_many_layers", r->in.ds.too_many_layers);
	jb_u64(j, "unknown_linktype", r->in.ds.unknown_linktype);
	jb_u64(j, "tunnelled", r->in.ds.tunnelled);
	jb_obj_open(j, "tunnels");
	for (int tt = 1; tt < TUN__COUNT; tt++)
		jb_u64(j, tunnel_type_name(tt), r->in.ds.tunnel[tt]);
	jb_obj_close(j);
	layer_counters(j, &r->in.ds);
	jb_obj_close(j);
	const struct defrag_stats *df = &r->in.df.st;
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
	jb_u64(j, "rate_table_full", limit ? atomic_load(&limit->table_full) : 0);
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
	jb_u64(j, "worker_full_waits", t->in_waits);
	jb_u64(j, "output_full_waits", t->out_waits);
	jb_obj_close(j);
	jb_obj_open(j, "drops");
	jb_u64(j, "ring", 0);   /* replay waits instead of dropping */
	/* the Redis queue full in drop mode; replay waits */
	jb_u64(j, "output", ro ? redis_total(ro->st.dropped) : 0);
	jb_u64(j, "record_too_big", t->record_overflow);
	jb_obj_close(j);
	jb_obj_open(j, "output");
	jb_u64(j, "records", t->records);
	jb_u64(j, "flow_updates", t->updates);
	if (ro)
		redis_stats(j, ro);
	jb_obj_close(j);
	jb_u64(j, "workers", cfg->workers);
	jb_obj_close(j);
	jb_obj_open(j, "sensor");
	jb_str(j, "name", cfg->sensor_name);
	jb_obj_close(j);
	return jb_finish(j);
}

/* ---- the run --------------------------------------------------------- */

int davy_run(const struct davy_config *cfg)
{
	char err[512];
	int status = DAVY_EXIT_OK;
	/* SIGHUP reloads, SIGINT/SIGTERM stop reading (reload.h): blocked from
	 * here on, in this thread and every thread it starts; the reloader's
	 * thread takes them with sigtimedwait */
	sigset_t hup;
	reloader_signals(&hup);
	pthread_sigmask(SIG_BLOCK, &hup, NULL);

	/* Every named file must open (and take the filter) before anything runs. */
	for (unsigned i = 0; i < cfg->nfiles; i++) {
		if (strcmp(cfg->files[i], "-") == 0)
			continue;
		pcap_t *pc = open_input(cfg, cfg->files[i], err, sizeof(err));
		if (!pc) {
			fprintf(stderr, "davy: %s\n", err);
			return DAVY_EXIT_FATAL;
		}
		pcap_close(pc);
	}

	/* What davy reads from files besides captures: loaded before anything
	 * runs, reloaded on SIGHUP or when a file changes (reload.h). SIGHUP was
	 * blocked above, before any thread starts, so only the reloader's
	 * sigtimedwait takes it. A start-up error frees what was loaded. */
	struct inputs inp = { NULL, NULL, NULL };
	struct reloader rl;
	reloader_init(&rl);
	/* MaxMind databases and the pod list: a file that does not open is a
	 * start-up error; reopened on SIGHUP and when they change */
	struct geo_live geo_set, *geo = NULL;
	if (cfg->geoip_path || cfg->asn_path) {
		if (geo_live_init(&geo_set, cfg->geoip_path, cfg->asn_path, stderr, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			return DAVY_EXIT_FATAL;
		}
		inp.geo = &geo_set;
		geo = &geo_set;
		reloader_add(&rl, geo_live_reload, geo_live_changed, geo, "database files changed",
			     cfg->geo_check_s);
	}
	struct pods_live pods_set, *pods = NULL;
	if (cfg->pods_path) {
		if (pods_live_init(&pods_set, cfg->pods_path, cfg->quiet, stderr, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			inputs_free(&inp);
			return DAVY_EXIT_FATAL;
		}
		inp.pods = &pods_set;
		pods = &pods_set;
		reloader_add(&rl, pods_live_reload, pods_live_changed, pods, "pod list changed",
			     cfg->pods_check_s);
	}

	static const char *const shipped[] = { DAVY_IOCS_DIR };
	struct ioc_live live_set, *live = NULL;
	if (!cfg->no_iocs) {
		bool sh = cfg->nioc_paths == 0;
		if (ioc_live_init(&live_set, sh ? shipped : cfg->ioc_paths, sh ? 1 : cfg->nioc_paths,
				  sh, cfg->quiet, stderr, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			inputs_free(&inp);
			return DAVY_EXIT_FATAL;
		}
		live = &live_set;
		inp.live = live;
		reloader_add(&rl, ioc_live_reload, ioc_live_changed, live, "feed files changed",
			     cfg->iocs_check_s);
	}

	struct output o = { .path = cfg->out_path };
	/* records go to -o; with --redis and no -o only to Redis */
	bool to_file = cfg->out_path || !cfg->redis_on;
	bool to_stdout = to_file && (!cfg->out_path || strcmp(cfg->out_path, "-") == 0);
	o.fp = !to_file ? NULL : to_stdout ? stdout : fopen(cfg->out_path, "w");
	if (to_file && !o.fp) {
		fprintf(stderr, "davy: cannot open output '%s': %s\n", cfg->out_path, strerror(errno));
		inputs_free(&inp);
		return DAVY_EXIT_FATAL;
	}
	char *obuf = to_file ? malloc(1 << 20) : NULL; /* freed after the stream is closed */
	if (obuf)
		setvbuf(o.fp, obuf, _IOFBF, 1 << 20);

	/* Redis: connected once now, so a wrong URL is reported at start; the
	 * replay then waits for Redis (redis_out.h) */
	struct redis_out ro_set, *ro = NULL;
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
			inputs_free(&inp);
			if (o.fp && !to_stdout) {
				fclose(o.fp);
				free(obuf); /* stdout keeps its buffer until exit */
			}
			return DAVY_EXIT_FATAL;
		}
		ro = &ro_set;
		redis_out_connect_now(ro); /* a failure is reported once, then retried */
	}
	o.ro = ro;
	o.stop = &stop;

	struct alert_limit limit_tab, *limit = NULL;
	if (cfg->alert_rate_limit) {
		if (alert_limit_init(&limit_tab, cfg->alert_rate_limit, cfg->alert_rate_window_us,
				     cfg->alert_rate_sources, err, sizeof(err)) != 0) {
			fprintf(stderr, "davy: %s\n", err);
			return DAVY_EXIT_FATAL;
		}
		limit = &limit_tab;
	}

	unsigned n = cfg->workers;
	struct worker *w = calloc(n, sizeof(*w));
	if (!w) {
		fprintf(stderr, "davy: out of memory\n");
		return DAVY_EXIT_FATAL;
	}
	uint64_t per_worker = (cfg->max_flows + n - 1) / n;
	for (unsigned i = 0; i < n; i++) {
		w[i].id = i;
		w[i].nworkers = n;
		w[i].cfg = cfg;
		w[i].live = live;
		w[i].limit = limit;
		w[i].geol = geo;
		w[i].podl = pods;
		if (mq_init(&w[i].in, cfg->ring_bytes, (unsigned)(cfg->ring_bytes / 256)) != 0 ||
		    mq_init(&w[i].out, OUT_QUEUE_BYTES, 4096) != 0) {
			fprintf(stderr, "davy: cannot allocate queues for worker %u\n", i);
			return DAVY_EXIT_FATAL;
		}
		if ((cfg->dns_cache_entries &&
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

	struct reader r = { .cfg = cfg, .w = w, .n = n, .stop = &stop };
	if (ingest_init(&r.in, &cfg->defrag, cfg->report_carriers, err, sizeof(err)) != 0) {
		fprintf(stderr, "davy: %s\n", err);
		return DAVY_EXIT_FATAL;
	}
	clock_gettime(CLOCK_MONOTONIC, &r.t0);
	r.progress = cfg->progress == 1 ||
		     (cfg->progress == -1 && isatty(STDERR_FILENO) && all_regular(cfg, &r.total_bytes));
	if (r.progress && !r.total_bytes)
		all_regular(cfg, &r.total_bytes);

	for (unsigned i = 0; i < n; i++)
		if (pthread_create(&w[i].th, NULL, worker_main, &w[i]) != 0) {
			fprintf(stderr, "davy: cannot start worker thread %u\n", i);
			return DAVY_EXIT_FATAL;
		}
	o.w = w;
	o.n = n;
	if (pthread_create(&o.th, NULL, output_main, &o) != 0) {
		fprintf(stderr, "davy: cannot start output thread\n");
		return DAVY_EXIT_FATAL;
	}
	rl.stop_flag = &stop;
	if (reloader_start(&rl) != 0)
		fprintf(stderr, "davy: cannot start the signal thread; feeds, databases and pods will not reload, SIGINT/SIGTERM are not taken\n");

	for (unsigned i = 0; i < cfg->nfiles && !r.stopped; i++) {
		const char *path = cfg->files[i];
		pcap_t *pc = open_input(cfg, path, err, sizeof(err));
		if (!pc) {
			/* "-" is only opened here; a named file vanished since the check */
			fprintf(stderr, "davy: %s\n", err);
			r.files_damaged++;
			if (strcmp(path, "-") == 0 && cfg->nfiles == 1)
				status = DAVY_EXIT_FATAL;
			continue;
		}
		read_file(&r, pc, strcmp(path, "-") == 0 ? "standard input" : path);
		long pos = ftell(pcap_file(pc));
		r.done_bytes += pos > 0 ? (uint64_t)pos : 0;
		r.files_read++;
		pcap_close(pc);
	}
	progress_draw(&r, NULL, true);

	for (unsigned i = 0; i < n; i++)
		send_ctl(&w[i], MQ_EOF, r.clock_us);
	for (unsigned i = 0; i < n; i++)
		pthread_join(w[i].th, NULL);
	pthread_join(o.th, NULL);
	reloader_stop(&rl);
	double elapsed = since(&r.t0);

	struct totals t;
	sum_workers(w, n, &t);
	char sbuf[RECORD_MAX];
	struct jbuf j;
	jb_init(&j, sbuf, sizeof(sbuf));
	/* Redis: what is queued is delivered before the stats record is made,
	 * so its redis_* counters cover every other record */
	if (ro)
		redis_out_drain(ro);
	size_t slen = stats_record(&j, cfg, &r, &t, &inp, limit, ro, elapsed);
	if (ro && slen && redis_out_push(ro, sbuf, slen) == RP_FULL)
		fprintf(stderr, "davy: redis: no room for the stats record\n"); /* cannot happen: drained */
	if (ro && redis_out_drain(ro) != 0) {
		redis_out_report(ro, stderr);
		status = DAVY_EXIT_FATAL;
	}
	int sig = atomic_load(&rl.signal);
	if (sig)
		fprintf(stderr, "davy: %s: stopped reading after %" PRIu64 " packets; open flows ended as shutdown\n",
			sig == SIGINT ? "SIGINT" : "SIGTERM", r.in.ds.pkts);
	else if (r.stopped)
		fprintf(stderr, "davy: reading stopped early because records could not be delivered to Redis\n");
	if (o.fp) {
		if (!o.werr && slen && fwrite(sbuf, 1, slen, o.fp) != slen)
			o.werr = errno ? errno : EIO;
		if (fflush(o.fp) != 0 && !o.werr)
			o.werr = errno ? errno : EIO;
		if (!to_stdout && fclose(o.fp) != 0 && !o.werr)
			o.werr = errno ? errno : EIO;
	}
	if (o.werr) {
		fprintf(stderr, "davy: writing records to '%s' failed: %s\n",
			to_stdout ? "standard output" : cfg->out_path, strerror(o.werr));
		status = DAVY_EXIT_FATAL;
	}

	if (!cfg->quiet)
		fprintf(stderr,
			"davy: %" PRIu64 " packets, %" PRIu64 " flows, %" PRIu64
			" decode errors, %.2f s, %.0f packets/s\n",
			r.in.ds.pkts, t.fs.created, decode_errors(&r.in.ds), elapsed,
			elapsed > 0 ? (double)r.in.ds.pkts / elapsed : 0.0);

	for (unsigned i = 0; i < n; i++) {
		classifier_free(&w[i].cls);
		geo_cache_free(&w[i].geoc);
		stratum_flows_free(&w[i].stratum);
		dnscache_free(&w[i].dns);
		flow_table_free(&w[i].flows);
		mq_free(&w[i].in);
		mq_free(&w[i].out);
	}
	free(w);
	ingest_free(&r.in);
	inputs_free(&inp);
	if (limit)
		alert_limit_free(limit);
	if (ro)
		redis_out_free(ro);

	/* SIGHUP stays blocked: one arriving now, as the run ends, must not end
	 * the process with the default action (it was meant as a reload) */
	if (!to_stdout)
		free(obuf); /* stdout keeps its buffer until exit; NULL without a file */
	if (status == DAVY_EXIT_OK && r.files_damaged)
		status = DAVY_EXIT_DAMAGED;
	return status;
}
