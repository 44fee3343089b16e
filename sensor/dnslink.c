/* dnslink.c - DNS answers into address -> name links (see dnslink.h). */
#include <stdbool.h>
#include <string.h>

#include "dns.h"
#include "dnslink.h"

struct msg_ctx {
	const struct dns_msg_info *info;
	unsigned ncname, naddr;
	unsigned cname_over, addr_over; /* counted once the message is used */
	struct {
		char owner[DNS_NAME_MAX];
		char target[DNS_NAME_MAX];
	} cname[DNSLINK_CNAMES];
	struct dns_link addr[DNSLINK_ADDRS]; /* sent once the chain is known */
};

/* Whether the question's name leads to `name` through the CNAMEs seen. */
static bool chained(const struct msg_ctx *m, const char *name)
{
	const char *q = m->info->qname;
	if (!q[0])
		return false;
	const char *at = name;
	for (unsigned hops = 0; hops <= m->ncname; hops++) {
		if (strcmp(at, q) == 0)
			return true;
		unsigned i = 0;
		while (i < m->ncname && strcmp(m->cname[i].target, at) != 0)
			i++;
		if (i == m->ncname)
			return false;
		at = m->cname[i].owner;
	}
	return false;
}

static void on_rr(void *vctx, const struct dns_rr *rr)
{
	struct msg_ctx *m = vctx;
	if (rr->type == DNS_TYPE_CNAME) {
		if (m->ncname == DNSLINK_CNAMES) {
			m->cname_over++;
			return;
		}
		memcpy(m->cname[m->ncname].owner, rr->name, sizeof(rr->name));
		memcpy(m->cname[m->ncname].target, rr->target, sizeof(rr->target));
		m->ncname++;
		return;
	}
	if (m->naddr == DNSLINK_ADDRS) {
		m->addr_over++;
		return;
	}
	struct dns_link *l = &m->addr[m->naddr++];
	memset(l, 0, sizeof(*l));
	l->ipver = rr->addr_len == 4 ? 4 : 6;
	memcpy(l->addr, rr->addr, rr->addr_len);
	l->ttl = rr->ttl;
	memcpy(l->name, rr->name, sizeof(l->name));
}

/* A message is read whole through the parser; its header then decides:
 * only responses to standard queries count, only NOERROR ones give links.
 * A parse error after some answers keeps those (dns.h) and is counted. */
static void message(const uint8_t *msg, size_t len, struct dnslink_stats *st, dnslink_fn fn,
		    void *ctx)
{
	struct dns_msg_info info;
	struct msg_ctx m; /* about 25 KB of stack; only counters need zeroing */
	m.ncname = m.naddr = m.cname_over = m.addr_over = 0;
	m.info = &info;
	int rc = dns_parse(msg, len, &info, on_rr, &m);
	if (len < DNS_HEADER_LEN || !info.qr || info.opcode != 0)
		return;
	st->responses++;
	if (info.rcode != DNS_RCODE_NOERROR)
		return;
	if (rc != DNS_OK)
		st->errors++;
	st->cname_overflow += m.cname_over;
	st->addr_overflow += m.addr_over;
	/* the chain is known once every answer was read, whatever their order */
	for (unsigned i = 0; i < m.naddr; i++) {
		struct dns_link *l = &m.addr[i];
		if (strcmp(l->name, info.qname) != 0 && chained(&m, l->name))
			memcpy(l->query, info.qname, sizeof(l->query));
		st->links++;
		fn(ctx, l);
	}
}

struct tcp_ctx {
	struct dnslink_stats *st;
	dnslink_fn fn;
	void *ctx;
};

static void tcp_message(void *arg, const uint8_t *msg, size_t n)
{
	struct tcp_ctx *t = arg;
	message(msg, n, t->st, t->fn, t->ctx);
}

void dnslink_packet(const struct pkt *p, struct dnslink_stats *st, dnslink_fn fn, void *ctx)
{
	if (p->sport != 53 || !p->payload_len || (p->l4proto != 17 && p->l4proto != 6))
		return;
	const uint8_t *b = p->data + p->payload_off;
	size_t len = p->payload_len;
	if (p->l4proto == 17) {
		message(b, len, st, fn, ctx);
		return;
	}
	/* DNS over TCP: whole frames in this segment only */
	struct tcp_ctx t = { st, fn, ctx };
	if (!dns_tcp_messages(b, len, tcp_message, &t))
		st->tcp_split++;
}
