/* fuzz_pcap.c - libFuzzer target: arbitrary bytes as a capture FILE through
 * libpcap's reader and the sensor's reader loop.
 *
 * The bytes are opened with fmemopen() + pcap_fopen_offline() (so pcap and
 * pcapng, either byte order, micro- or nanosecond, are all reachable), then
 * the loop of read_file() in sensor/run.c runs: pcap_next_ex(), the wire
 * length taken as max(len, caplen), a clock tick each second of packet time
 * (flow_expire, ingest_tick), and ingest_packet() (sensor/ingest.c, the
 * reader's own code): decode_packet() from decode_first_layer(pcap_datalink()),
 * IP reassembly at any layer, carriers; then what dispatch() and the worker do for
 * keyed packets: the flow key and hash, the copy of the IP datagram and of
 * PKT_SIZE(ntun) bytes of the packet, the worker's rebuilt view and key, and
 * the flow table (flow_packet; flow_flush at the end); tunnelled packets
 * also dispatch their carrier flow (as with --report-tunnel-carriers).
 * For TCP, what the worker does next: Stratum candidates, stream
 * reassembly, the parser, the V2 heuristic, and the alert and flow records
 * written into a buffer (stratum_flow.c, tcp_reasm.c, alert.c, record.c).
 * Threads and queues are left out, and so is nDPI (not instrumented, not
 * davy's code): its Mining verdict is played by a bit of the flow hash. The flow table and the reassembly table are kept tiny so
 * that their eviction paths run. At most MAX_PKTS packets are read per input.
 *
 * Checked: the invariants of fuzz_check.h on every decoded packet, the
 * rebased offsets inside the copied datagram, the worker's key equal to the
 * reader's, and the flow and reassembly counters at the end (the rewritten
 * IP headers of reassembled datagrams are checked by tests/unit/test_defrag.c).
 *
 * Input layout:
 *   - starting with a pcap or pcapng magic number: the file as it is;
 *   - otherwise byte 0 chooses a pcap global header that is put in front of
 *     bytes 1.. (which then start at the first packet record):
 *       bits 0-2: link type: EN10MB, LINUX_SLL, LINUX_SLL2, NULL, RAW, PPP,
 *                 C_HDLC, PPI
 *       bit 3:    nanosecond magic
 *       bit 4:    written in big-endian order (records too)
 *       bits 5-7: snaplen: 65535, 262144, 96, 0, 1, 1500, 0x7fffffff, 0xffffffff
 *
 * Each packet is copied into a malloc'd buffer of exactly caplen bytes
 * before decoding, so AddressSanitizer reports a read past the captured bytes
 * (libpcap's own buffer is larger than the packet).
 *
 * FUZZ_PCAP_DUMP=FILE in the environment writes the capture file that was
 * read (with the header put in front) to FILE, to replay an input with
 * `davy -r FILE` or tcpdump.
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alert.h"
#include "decode.h"
#include "dnslink.h"
#include "ingest.h"
#include "flow.h"
#include "fuzz_check.h"
#include "record.h"
#include "stratum_flow.h"

#define MAX_PKTS 4096
#define MAX_FLOWS 4 /* small, so that eviction (LRU) is reached */
#define MAX_DATAGRAMS 4 /* in reassembly; small for the same reason */
#define TICK_US 1000000ULL
#define MAX_STRATUM 2 /* candidate flows at once: the refusal path runs */
#define REASM_BYTES (4 * REASM_CHUNK) /* tiny: abandonment runs */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* byte 0, bits 0-2; a pcap file (the other input form) may name any */
static const uint32_t link_types[8] = {
	DLT_EN10MB, DLT_LINUX_SLL,
#ifdef DLT_LINUX_SLL2
	DLT_LINUX_SLL2,
#else
	276,
#endif
	DLT_NULL, DLT_RAW, DLT_PPP, DLT_C_HDLC, DLT_PPI,
};

static const uint32_t snaplens[] = {
	65535, 262144, 96, 0, 1, 1500, 0x7fffffff, 0xffffffff,
};

static bool has_magic(const uint8_t *d, size_t n)
{
	static const uint8_t magics[][4] = {
		{ 0xd4, 0xc3, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0xc3, 0xd4 }, /* pcap us */
		{ 0x4d, 0x3c, 0xb2, 0xa1 }, { 0xa1, 0xb2, 0x3c, 0x4d }, /* pcap ns */
		{ 0x0a, 0x0d, 0x0d, 0x0a },                             /* pcapng SHB */
	};
	if (n < 4)
		return false;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
		if (memcmp(d, magics[i], 4) == 0)
			return true;
	return false;
}

static void put32(uint8_t *b, uint32_t v, bool be)
{
	for (int i = 0; i < 4; i++)
		b[i] = (uint8_t)(be ? v >> (24 - 8 * i) : v >> (8 * i));
}

static void put16(uint8_t *b, uint16_t v, bool be)
{
	b[0] = (uint8_t)(be ? v >> 8 : v);
	b[1] = (uint8_t)(be ? v : v >> 8);
}

/* The reader and one worker, as in sensor/run.c, without threads or queues. */
struct rd {
	struct ingest in;
	struct flow_table t;
	struct stratum_flows sf;
	struct dnslink_stats dnsl;
	struct classifier *cls; /* for record names only: no packet reaches nDPI */
	uint64_t ended;      /* flows handed to on_end */
	uint64_t dispatched;
};

/* nDPI is left out; its Mining verdict is played by the flow hash, arriving
 * after a few packets, so the candidate, late-verdict, overruling and
 * unreadable-stream paths all run. */
static bool fake_mining(const struct flow *f)
{
	return (f->hash & 3) == 0 && f->pkts[0] + f->pkts[1] > 2;
}

/* The records the worker would write: alerts due, and (at the end) the flow
 * record; each must fit and end in a newline. */
static void write_records(struct rd *r, const struct flow *f, const struct alert_due *due,
			  int why)
{
	static char buf[RECORD_MAX];
	static const struct record_ctx rc = { .sensor = "fuzz" };
	struct jbuf j;
	for (int s = 0; s < SIG__COUNT; s++) {
		if (!(due->sigs & (1u << s)))
			continue;
		if (!(f->alerted & (1u << s)) || due->dir[s] < 0 || due->dir[s] > 1) {
			fprintf(stderr, "fuzz_pcap: alert %d due but not marked, or bad direction\n", s);
			abort();
		}
		jb_init(&j, buf, sizeof(buf));
		size_t n = record_alert(&j, r->cls, f, (enum alert_sig)s, due, f->last_us, &rc);
		if (n == 0 || buf[n - 1] != '\n')
			abort();
	}
	if (why < 0)
		return;
	jb_init(&j, buf, sizeof(buf));
	size_t n = record_flow(&j, r->cls, f, (enum flow_reason)why, false, &rc);
	if (n == 0 || buf[n - 1] != '\n')
		abort();
}

/* What the worker's flow table sees ending. */
static void on_end(void *ctx, struct flow *f, enum flow_reason why)
{
	struct rd *r = ctx;
	r->ended++;
	if ((unsigned)why >= FLOW__REASONS || f->state >= FLOW__STATES ||
	    f->src_side > 1 || f->first_us > f->last_us || f->pkts[0] + f->pkts[1] == 0 ||
	    memcmp(f->key.addr[0], f->key.addr[1], 16) > 0 ||
	    (memcmp(f->key.addr[0], f->key.addr[1], 16) == 0 && f->key.port[0] > f->key.port[1]) ||
	    f->hash != flow_key_hash(&f->key)) {
		fprintf(stderr, "fuzz_pcap: bad flow at its end (reason %d state %d side %d)\n",
			(int)why, (int)f->state, (int)f->src_side);
		abort();
	}
	/* what the worker does at a flow's end: the last alerts, the record */
	struct alert_due due = { 0 };
	if (f->key.proto == 6)
		stratum_flow_finish(&r->sf, f, fake_mining(f), &due);
	write_records(r, f, &due, why);
	stratum_flow_end(&r->sf, f);
}

/* worker_packet(): the worker's view is rebuilt from the datagram bytes and
 * the first PKT_SIZE(ntun) bytes of the reader's struct pkt. */
static void worker_packet(struct rd *r, const uint8_t *bytes, const struct pkt *q,
			  const struct flow_key *rk, int rside)
{
	struct pkt p;
	memset(&p, 0x5a, sizeof(p)); /* what PKT_SIZE does not copy is garbage */
	memcpy(&p, q, PKT_SIZE(q->ntun));
	p.data = bytes;
	cur_pkt = &p;
	CHECK(p.l4_off <= p.l3_len);
	if (p.payload_len > 0)
		CHECK((uint64_t)p.payload_off + p.payload_len <= p.l3_len);

	struct flow_key k;
	int side;
	flow_key_from_pkt(&p, &k, &side);
	/* the worker finds the key the reader chose the worker by */
	CHECK(memcmp(&k, rk, sizeof(k)) == 0 && side == rside);
	uint64_t h = flow_key_hash(&k);
	bool created;
	struct flow *f = flow_packet(&r->t, &p, &k, h, side, &created);
	if (!f || r->t.st.active > MAX_FLOWS) {
		fprintf(stderr, "fuzz_pcap: flow table: %s (active %llu)\n",
			f ? "over its bound" : "no flow", (unsigned long long)r->t.st.active);
		abort();
	}
	if (k.proto == 6) {
		bool mining = fake_mining(f);
		if (stratum_flow_wants(f, mining)) {
			struct alert_due due = { 0 };
			stratum_flow_packet(&r->sf, f, &p, side == f->src_side ? 0 : 1, mining, &due);
			write_records(r, f, &due, -1);
		}
		if (r->sf.st.live > MAX_STRATUM || r->sf.pool.st.chunks_used > r->sf.pool.nchunks)
			abort();
	}
}

/* dispatch(): the datagram and the packet's first PKT_SIZE(ntun) bytes are
 * copied (each into an exactly sized block, for ASan), offsets rebased. */
static void dispatch(struct rd *r, const struct pkt *p)
{
	struct flow_key k;
	int side;
	flow_key_from_pkt(p, &k, &side);

	uint8_t *bytes = malloc(p->l3_len);
	size_t psize = PKT_SIZE(p->ntun);
	struct pkt *q = malloc(sizeof(struct pkt)); /* a wpkt holds psize of it */
	if ((!bytes && p->l3_len) || !q) {
		free(bytes);
		free(q);
		return;
	}
	memcpy(bytes, p->data + p->l3_off, p->l3_len);
	memcpy(q, p, psize);
	q->data = NULL;
	q->l3_off = 0;
	q->l4_off = p->l4_off - p->l3_off;
	q->payload_off = p->payload_off ? p->payload_off - p->l3_off : 0;
	r->dispatched++;
	worker_packet(r, bytes, q, &k, side);
	free(q);
	free(bytes);
}

/* The reader's DNS linkage: each link must hold bounded, lower-case names
 * and a plausible address family. */
static void on_link(void *ctx, const struct dns_link *l)
{
	(void)ctx;
	if ((l->ipver != 4 && l->ipver != 6) || strnlen(l->name, sizeof(l->name)) == sizeof(l->name) ||
	    strnlen(l->query, sizeof(l->query)) == sizeof(l->query)) {
		fprintf(stderr, "fuzz_pcap: bad DNS link\n");
		abort();
	}
	for (const char *c = l->name; *c; c++)
		if (*c >= 'A' && *c <= 'Z')
			abort();
}

/* What the reader hands on: sensor/ingest.c decides (decode, reassembly
 * at any layer, carriers); this checks each packet and plays the worker. */
static void emit(void *ctx, const struct pkt *p)
{
	check_decoded(p, true);
	cur_pkt = p;
	CHECK(p->ipver == 4 || p->ipver == 6);
	CHECK((uint64_t)p->l3_off + p->l3_len <= p->caplen);
	dispatch(ctx, p);
	struct rd *r = ctx;
	dnslink_packet(p, &r->dnsl, on_link, NULL);
}

static void run_capture(pcap_t *pc, const struct decode_cfg *dcfg)
{
	int dlt = pcap_datalink(pc);
	enum layer first = decode_first_layer(dlt);
	(void)pcap_datalink_val_to_name(dlt);

	static struct rd r; /* big: keep it off the stack */
	memset(&r, 0, sizeof(r));
	struct flow_timeouts to;
	flow_timeouts_default(&to);
	struct defrag_cfg dfc;
	defrag_cfg_default(&dfc);
	dfc.max_datagrams = MAX_DATAGRAMS;
	char err[256];
	static struct classifier cls;
	static bool have_cls;
	if (!have_cls) {
		if (classifier_init(&cls, 1, err, sizeof(err)) != 0) {
			fprintf(stderr, "fuzz_pcap: %s\n", err);
			abort();
		}
		have_cls = true;
	}
	r.cls = &cls;
	if (stratum_flows_init(&r.sf, MAX_STRATUM, REASM_BYTES, err, sizeof(err)) != 0)
		return;
	if (flow_table_init(&r.t, MAX_FLOWS, &to, on_end, &r, err, sizeof(err)) != 0) {
		stratum_flows_free(&r.sf);
		return;
	}
	if (ingest_init(&r.in, &dfc, true, err, sizeof(err)) != 0) {
		flow_table_free(&r.t);
		stratum_flows_free(&r.sf);
		return;
	}

	uint64_t clock_us = 0, next_tick = 0, n = 0;
	struct pcap_pkthdr *hdr;
	const u_char *bytes;
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.cfg = dcfg;
	int rc = 0;
	while (n < MAX_PKTS && (rc = pcap_next_ex(pc, &hdr, &bytes)) == 1) {
		n++;
		/* exactly sized copy of the captured bytes */
		uint8_t *buf = malloc(hdr->caplen);
		if (!buf && hdr->caplen)
			break;
		if (hdr->caplen)
			memcpy(buf, bytes, hdr->caplen);
		p.data = buf;
		p.caplen = hdr->caplen;
		p.wirelen = hdr->len < hdr->caplen ? hdr->caplen : hdr->len;
		p.ts_us = (uint64_t)hdr->ts.tv_sec * 1000000ULL + (uint64_t)hdr->ts.tv_usec;
		if (p.ts_us > clock_us)
			clock_us = p.ts_us;
		if (clock_us >= next_tick) {
			if (next_tick)
				flow_expire(&r.t, clock_us);
			ingest_tick(&r.in, clock_us);
			next_tick = clock_us + TICK_US;
		}
		ingest_packet(&r.in, &p, first, emit, &r);
		free(buf);
	}
	if (n < MAX_PKTS && rc == PCAP_ERROR)
		(void)pcap_geterr(pc);

	flow_flush(&r.t, clock_us);
	uint64_t ended = r.t.st.ended[0] + r.t.st.ended[1] + r.t.st.ended[2];
	if (r.t.st.active != 0 || ended != r.t.st.created || r.ended != r.t.st.created ||
	    r.in.df.st.active > MAX_DATAGRAMS) {
		fprintf(stderr, "fuzz_pcap: counters: flows active %llu created %llu ended %llu; "
			"datagrams active %llu\n",
			(unsigned long long)r.t.st.active, (unsigned long long)r.t.st.created,
			(unsigned long long)ended, (unsigned long long)r.in.df.st.active);
		abort();
	}
	if (r.sf.st.live != 0 || r.sf.pool.st.chunks_used != 0 || r.sf.pool.nfree != r.sf.pool.nchunks) {
		fprintf(stderr, "fuzz_pcap: Stratum states or reassembly chunks left after the end\n");
		abort();
	}
	ingest_free(&r.in);
	flow_table_free(&r.t);
	stratum_flows_free(&r.sf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	uint8_t *file = NULL;
	const uint8_t *fbytes = data;
	size_t flen = size;
	if (!has_magic(data, size)) {
		uint8_t sel = data[0];
		bool be = sel & 0x10;
		flen = 24 + size - 1;
		file = malloc(flen);
		if (!file)
			return 0;
		put32(file, (sel & 0x08) ? 0xa1b23c4d : 0xa1b2c3d4, be);
		put16(file + 4, 2, be);
		put16(file + 6, 4, be);
		put32(file + 8, 0, be);  /* thiszone */
		put32(file + 12, 0, be); /* sigfigs */
		put32(file + 16, snaplens[sel >> 5], be);
		put32(file + 20, link_types[sel & 7], be);
		memcpy(file + 24, data + 1, size - 1);
		fbytes = file;
	}

	const char *dump = getenv("FUZZ_PCAP_DUMP");
	if (dump && *dump) {
		FILE *df = fopen(dump, "wb");
		if (df) {
			fwrite(fbytes, 1, flen, df);
			fclose(df);
		}
	}

	/* read-only: fmemopen does not write to the buffer in "rb" mode */
	FILE *fp = fmemopen((void *)(uintptr_t)fbytes, flen, "rb");
	if (fp) {
		char eb[PCAP_ERRBUF_SIZE] = "";
		pcap_t *pc = pcap_fopen_offline(fp, eb);
		if (pc) {
			run_capture(pc, NULL); /* the default decode configuration */
			pcap_close(pc); /* closes fp */
		} else {
			fclose(fp);
		}
	}
	free(file);
	return 0;
}
