/* stratum_flow.c - TCP payload in order to the Stratum parser (see
 * stratum_flow.h). */
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "stratum_flow.h"

void stratum_flows_init(struct stratum_flows *s, uint64_t max_live)
{
	memset(s, 0, sizeof(*s));
	s->max_live = max_live;
}

void stratum_flow_end(struct stratum_flows *s, struct flow *f)
{
	if (!f->stratum)
		return;
	stratum_release(&f->stratum->parser);
	free(f->stratum);
	f->stratum = NULL;
	s->st.live--;
}

/* The first payload byte after whitespace, through the cursor; -1: none. */
static int first_byte(const struct pkt *p)
{
	struct cursor c = cur_make(p->data + p->payload_off, p->payload_len);
	while (cur_has(&c, 1)) {
		uint8_t b = cur_u8(&c);
		if (b != ' ' && b != '\t' && b != '\r' && b != '\n')
			return b;
	}
	return -1;
}

static bool start(struct stratum_flows *s, struct flow *f)
{
	if (s->st.live >= s->max_live) {
		s->st.no_memory++;
		f->l7 |= L7_DONE;
		return false;
	}
	struct stratum_flow *sf = calloc(1, sizeof(*sf));
	if (!sf) {
		s->st.no_memory++;
		f->l7 |= L7_DONE;
		return false;
	}
	stratum_init(&sf->parser, &sf->info);
	f->stratum = sf;
	s->st.candidates++;
	if (++s->st.live > s->st.peak_live)
		s->st.peak_live = s->st.live;
	return true;
}

void stratum_flow_packet(struct stratum_flows *s, struct flow *f, const struct pkt *p, int dir,
			 bool mining)
{
	if (f->l7 & L7_DONE)
		return;
	if (!f->stratum) {
		uint8_t seen = dir ? L7_SEEN1 : L7_SEEN0;
		if (p->payload_len && !(f->l7 & seen)) {
			f->l7 |= seen;
			if (first_byte(p) == '{' && !start(s, f))
				return;
		}
		if (!f->stratum && mining && !start(s, f))
			return;
		if (!f->stratum) {
			if ((f->l7 & (L7_SEEN0 | L7_SEEN1)) == (L7_SEEN0 | L7_SEEN1) && !mining)
				f->l7 |= L7_DONE;
			return;
		}
	}

	struct stratum_flow *sf = f->stratum;
	if (p->tcp_flags & TCP_SYN) {
		sf->next_seq[dir] = p->tcp_seq + 1;
		sf->seq_known[dir] = 1;
	}
	uint32_t len = p->payload_len, skip = 0;
	if (!len)
		return;
	if (!sf->seq_known[dir]) {
		sf->next_seq[dir] = p->tcp_seq;
		sf->seq_known[dir] = 1;
	}
	int32_t d = (int32_t)(p->tcp_seq - sf->next_seq[dir]);
	if (d > 0) {
		s->st.gaps++;
		stratum_gap(&sf->parser, &sf->info, dir);
	} else if (d < 0) {
		skip = (uint32_t)-d;
		if (skip >= len) {
			s->st.retransmitted += len;
			return;
		}
		s->st.retransmitted += skip;
	}
	bool known = sf->info.dialect != STRATUM_NONE;
	stratum_feed(&sf->parser, &sf->info, dir, p->data + p->payload_off + skip, len - skip,
		     p->ts_us);
	sf->next_seq[dir] = p->tcp_seq + len;
	if (!known && sf->info.dialect != STRATUM_NONE)
		s->st.recognised++;
	enum stratum_verdict v = stratum_verdict(&sf->info);
	if (v == STRATUM_NOT || v == STRATUM_NOT_FRAMED) {
		s->st.not_stratum++;
		stratum_flow_end(s, f);
		f->l7 |= L7_DONE;
	}
}
