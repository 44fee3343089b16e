/* stratum_flow.c - mining detection on TCP flows (see stratum_flow.h). */
#include <math.h>
#include <string.h>

#include "flow.h"
#include "stratum_flow.h"

/* Stratum V2 heuristic (docs/signatures.md, sid 4960004): stages kept in
 * flow->v2. */
enum {
	V2_START = 0,  /* waiting for the first client payload */
	V2_HELLO,      /* client sent 64 high-entropy bytes; waiting for 170 */
	V2_ANSWER,     /* server answered 170; waiting for a client record */
	V2_RECORD,     /* client record seen; waiting for a server record */
	V2_OFF,        /* decided (alerted or not a match) */
};
#define STATE_SLAB 64            /* candidate states allocated at a time */
#define V2_HELLO_LEN 64
#define V2_ANSWER_LEN 170
#define V2_MIN_RECORD 38        /* Noise record: 6-byte header + 2 MACs of 16 */
#define V2_MIN_ENTROPY 5.0      /* bits per byte; 64 random bytes average ~5.7 */

int stratum_flows_init(struct stratum_flows *s, uint64_t max_live, size_t reasm_bytes,
		       char *err, size_t errlen)
{
	memset(s, 0, sizeof(*s));
	s->max_live = max_live;
	pool_init(&s->states, sizeof(struct stratum_flow), max_live, STATE_SLAB);
	return reasm_pool_init(&s->pool, reasm_bytes, err, errlen);
}

void stratum_flows_free(struct stratum_flows *s)
{
	reasm_pool_free(&s->pool);
	pool_release(&s->states);
}

double stratum_entropy(const uint8_t *buf, size_t n)
{
	if (!n)
		return 0;
	unsigned cnt[256] = { 0 };
	for (size_t i = 0; i < n; i++)
		cnt[buf[i]]++;
	double h = 0;
	for (int i = 0; i < 256; i++)
		if (cnt[i]) {
			double q = (double)cnt[i] / (double)n;
			h -= q * log2(q);
		}
	return h;
}

void stratum_flow_end(struct stratum_flows *s, struct flow *f)
{
	if (!f->stratum)
		return;
	reasm_release(&s->pool, &f->stratum->reasm);
	stratum_release(&f->stratum->parser);
	pool_put(&s->states, f->stratum);
	f->stratum = NULL;
	s->st.live--;
}

/* The direction's initial sequence number, when its SYN (or SYN-ACK) was
 * seen. */
static bool isn_of(const struct flow *f, int dir, uint32_t *isn)
{
	if (!(f->tcp_seen & (dir == 0 ? FLOW_SEEN_SYN : FLOW_SEEN_SYNACK)))
		return false;
	*isn = f->isn[dir == 0 ? f->src_side : !f->src_side];
	return true;
}

#define FIRST_NOT_YET (-2)

/* The direction's first payload byte after whitespace (-1: none in this
 * packet), read through the cursor from the stream's first byte when the
 * SYN gave it, so a reordered first segment is recognised when it comes;
 * FIRST_NOT_YET when this packet does not hold the stream's first byte. */
static int first_byte(const struct flow *f, const struct pkt *p, int dir)
{
	uint32_t off = 0, isn;
	if (isn_of(f, dir, &isn)) {
		int32_t d = (int32_t)(isn + 1 - p->tcp_seq);
		if (d < 0 || (uint32_t)d >= p->payload_len)
			return FIRST_NOT_YET;
		off = (uint32_t)d;
	}
	struct cursor c = cur_make(p->data + p->payload_off, p->payload_len);
	cur_skip(&c, off);
	while (cur_has(&c, 1)) {
		uint8_t b = cur_u8(&c);
		if (b != ' ' && b != '\t' && b != '\r' && b != '\n')
			return b;
	}
	return -1;
}

static void nothing(void *ctx, int dir, const uint8_t *data, size_t len)
{
	(void)ctx, (void)dir, (void)data, (void)len;
}

/* seen: the flow's L7_SEEN* bits before this packet (directions whose
 * earlier payload was not kept start at their next segment instead). */
static bool start(struct stratum_flows *s, struct flow *f, uint8_t seen)
{
	struct stratum_flow *sf = pool_get(&s->states);
	if (!sf) {
		s->st.no_memory++;
		return false;
	}
	s->st.pool_bytes = s->states.bytes;
	stratum_init(&sf->parser, &sf->info);
	reasm_init(&sf->reasm);
	sf->stopped = 0;
	/* a stream none of whose payload passed yet starts where its SYN said,
	 * not at this packet (which may be out of order) */
	for (int dir = 0; dir < 2; dir++) {
		uint32_t isn;
		if (!(seen & (dir ? L7_SEEN1 : L7_SEEN0)) && isn_of(f, dir, &isn))
			reasm_segment(&s->pool, &sf->reasm, dir, isn, REASM_SYN, 0, NULL, 0, nothing, NULL);
	}
	f->stratum = sf;
	s->st.candidates++;
	if (++s->st.live > s->st.peak_live)
		s->st.peak_live = s->st.live;
	return true;
}

/* nDPI said Mining and the parser is done without a dialect: alert when it
 * could not read the stream, else it overrules nDPI. */
static void mining_unconfirmed(struct stratum_flows *s, struct flow *f, bool readable,
			       int dir, struct alert_due *due)
{
	if (readable)
		s->st.ndpi_overruled++;
	else
		alert_due_add(f, due, SIG_NDPI_MINING, dir);
}

/* Stream bytes (or a gap: data NULL) of one direction, in order. */
struct feed_ctx {
	struct stratum_flows *s;
	struct flow *f;
	uint64_t ts_us;
	struct alert_due *due;
};

/* After the parser took more of the stream: counts a new recognition and
 * finds the alerts due. server_dir: where server messages came from. */
static void evidence(struct feed_ctx *fc, bool was_known, int server_dir)
{
	struct flow *f = fc->f;
	const struct stratum_info *si = &f->stratum->info;
	if (!was_known && si->dialect != STRATUM_NONE)
		fc->s->st.recognised++;
	if (si->roles & STRATUM_ROLE_CLIENT)
		alert_due_add(f, fc->due, SIG_STRATUM_CLIENT, si->client_dir >= 0 ? si->client_dir : 0);
	else if (si->roles & STRATUM_ROLE_SERVER)
		alert_due_add(f, fc->due, SIG_STRATUM_SERVER, server_dir);
}

static void feed(void *ctx, int dir, const uint8_t *data, size_t len)
{
	struct feed_ctx *fc = ctx;
	struct flow *f = fc->f;
	struct stratum_flow *sf = f->stratum;
	if (!data) {
		stratum_gap(&sf->parser, &sf->info, dir);
		return;
	}
	bool known = sf->info.dialect != STRATUM_NONE;
	stratum_feed(&sf->parser, &sf->info, dir, data, len, fc->ts_us);
	evidence(fc, known, dir);
}

/* Stratum V2 heuristic on one packet with payload (see the enum above). */
static void v2_packet(struct stratum_flows *s, struct flow *f, const struct pkt *p, int dir,
		      struct alert_due *due)
{
	uint32_t n = p->payload_len;
	switch (f->v2) {
	case V2_START: {
		/* only a flow whose start was seen knows its first client payload */
		uint32_t isn;
		if (dir != 0 || n != V2_HELLO_LEN || !isn_of(f, 0, &isn) || p->tcp_seq != isn + 1) {
			f->v2 = V2_OFF;
			break;
		}
		s->st.v2_checked++;
		f->v2 = stratum_entropy(p->data + p->payload_off, n) >= V2_MIN_ENTROPY ? V2_HELLO
										   : V2_OFF;
		break;
	}
	case V2_HELLO:
		f->v2 = dir == 1 && n == V2_ANSWER_LEN ? V2_ANSWER : V2_OFF;
		break;
	case V2_ANSWER:
		f->v2 = dir == 0 && n >= V2_MIN_RECORD ? V2_RECORD : V2_OFF;
		break;
	case V2_RECORD:
		if (dir == 0)
			break; /* more client records may come first */
		if (n >= V2_MIN_RECORD)
			alert_due_add(f, due, SIG_STRATUM_V2, dir); /* the answer completed it */
		f->v2 = V2_OFF;
		break;
	default:
		break;
	}
}

/* Releases a candidate the parser gave up on. */
static void give_up(struct stratum_flows *s, struct flow *f, bool mining, int dir,
		    struct alert_due *due)
{
	bool readable = stratum_readable(&f->stratum->info);
	s->st.not_stratum++;
	stratum_flow_end(s, f);
	f->l7 |= L7_DONE | (readable ? L7_READABLE : L7_UNREADABLE);
	if (mining) {
		f->l7 |= L7_MINING;
		mining_unconfirmed(s, f, readable, dir, due);
	}
}

void stratum_flow_packet(struct stratum_flows *s, struct flow *f, const struct pkt *p, int dir,
			 bool mining, struct alert_due *due)
{
	if (f->l7 & L7_DONE) {
		/* nDPI's Mining verdict came after this flow was settled */
		if (!mining || (f->l7 & L7_MINING))
			return;
		f->l7 |= L7_MINING;
		if (f->l7 & (L7_READABLE | L7_UNREADABLE)) {
			mining_unconfirmed(s, f, (f->l7 & L7_READABLE) != 0, dir, due);
			return;
		}
		if (f->stratum)
			return; /* stopped (abandoned): it keeps its verdict */
		f->l7 &= (uint8_t)~L7_DONE; /* read it after all, from here on */
	}
	if (p->payload_len && f->v2 != V2_OFF)
		v2_packet(s, f, p, dir, due);
	if (!f->stratum) {
		uint8_t seen_before = f->l7, seen = dir ? L7_SEEN1 : L7_SEEN0;
		bool want = mining;
		if (p->payload_len && !(f->l7 & seen)) {
			/* a reordered first segment: read the stream from its SYN
			 * to know (the parser decides on the first line) */
			int b = first_byte(f, p, dir);
			f->l7 |= seen;
			want = want || b == '{' || b == FIRST_NOT_YET;
		}
		if (want && !start(s, f, seen_before)) {
			f->l7 |= L7_DONE;
			if (mining) {
				f->l7 |= L7_MINING;
				alert_due_add(f, due, SIG_NDPI_MINING, dir); /* could not read it */
			}
			return;
		}
		if (!f->stratum) {
			if ((f->l7 & (L7_SEEN0 | L7_SEEN1)) == (L7_SEEN0 | L7_SEEN1) &&
			    f->v2 == V2_OFF)
				f->l7 |= L7_DONE;
			return;
		}
	}
	if (mining)
		f->l7 |= L7_MINING;

	struct stratum_flow *sf = f->stratum;
	if (sf->stopped)
		return;
	struct feed_ctx fc = { s, f, p->ts_us, due };
	uint8_t flags = p->tcp_flags & (REASM_FIN | REASM_SYN | REASM_RST | REASM_ACK);
	if (reasm_segment(&s->pool, &sf->reasm, dir, p->tcp_seq, flags, p->tcp_ack,
			  p->data + p->payload_off, p->payload_len, feed, &fc) == REASM_ABANDONED) {
		sf->stopped = 1;
		s->st.abandoned++;
		stratum_release(&sf->parser); /* the verdict (info) stays */
		return;
	}
	enum stratum_verdict v = stratum_verdict(&sf->info);
	if (v == STRATUM_NOT || v == STRATUM_NOT_FRAMED)
		give_up(s, f, mining, dir, due);
}

void stratum_flow_finish(struct stratum_flows *s, struct flow *f, bool mining,
			 struct alert_due *due)
{
	struct stratum_flow *sf = f->stratum;
	int dir = 0;
	if (sf && !sf->stopped) {
		struct feed_ctx fc = { s, f, f->last_us, due };
		reasm_flush(&s->pool, &sf->reasm, feed, &fc);
		bool known = sf->info.dialect != STRATUM_NONE;
		stratum_end(&sf->parser, &sf->info, f->last_us);
		evidence(&fc, known, sf->info.client_dir >= 0 ? !sf->info.client_dir : 1);
	}
	if (!mining || (f->l7 & L7_MINING && !f->stratum))
		return; /* not Mining, or already decided */
	f->l7 |= L7_MINING;
	if (sf && sf->info.dialect != STRATUM_NONE)
		return;
	mining_unconfirmed(s, f, sf ? stratum_readable(&sf->info) : (f->l7 & L7_READABLE) != 0, dir,
			   due);
}
