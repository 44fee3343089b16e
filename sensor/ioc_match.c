/* ioc_match.c - a flow's facts against the indicator set (ioc_match.h). */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include "classify.h"
#include "dns.h"
#include "ioc_match.h"
#include "pods.h"
#include "stratum_flow.h"
#include "stratum_url.h"

static enum alert_sig sig_of(const struct ioc *ioc, enum ioc_where where)
{
	if (ioc->type == IOC_IMAGE)
		return SIG_IOC_IMAGE;
	if (ioc->type == IOC_NAMESPACE)
		return SIG_IOC_NAMESPACE;
	if (strcmp(ioc->category, "c2") == 0)
		return SIG_IOC_C2;
	if (ioc->type == IOC_AGENT)
		return SIG_IOC_AGENT;
	if (ioc->type == IOC_WALLET)
		return SIG_IOC_WALLET;
	if (strcmp(ioc->category, "mining-pool") == 0)
		return where == IOC_W_DNS_RRNAME || where == IOC_W_DNS_ANSWER ? SIG_IOC_POOL_LOOKUP
		       : where == IOC_W_PAYLOAD_URL ? SIG_IOC_POOL_URL : SIG_IOC_POOL;
	return SIG_IOC_OTHER;
}

/* One fact looked up: a match makes its signature due. */
static void hit(struct flow *f, const struct ioc *ioc, enum ioc_where where, int dir,
		struct alert_due *due, struct ioc_match_stats *st)
{
	st->checks++;
	if (!ioc || ioc->type == IOC_PORT)
		return;
	st->matches++;
	st->by_where[where]++;
	enum alert_sig s = sig_of(ioc, where);
	if (alert_due_add(f, due, s, dir)) {
		due->ioc[s] = ioc;
		due->where[s] = (uint8_t)where;
	}
}

static const struct ioc *domain(const struct ioc_set *set, const char *name)
{
	return name[0] ? ioc_find_domain(set, name, strlen(name)) : NULL;
}

/* A host as a miner writes it: an IPv4 or IPv6 address, else a name. */
static const struct ioc *host(const struct ioc_set *set, const char *h)
{
	uint8_t a[16] = { 0 };
	if (inet_pton(AF_INET, h, a) == 1)
		return ioc_find_ip(set, 4, a);
	if (inet_pton(AF_INET6, h, a) == 1)
		return ioc_find_ip(set, 6, a);
	return domain(set, h);
}

struct answer_ctx {
	const struct ioc_set *set;
	struct flow *f;
	const struct dns_msg_info *info;
	int dir;
	struct alert_due *due;
	struct ioc_match_stats *st;
};

static void on_answer(void *ctx, const struct dns_rr *rr)
{
	struct answer_ctx *a = ctx;
	if (strcmp(rr->name, a->info->qname) != 0)
		hit(a->f, domain(a->set, rr->name), IOC_W_DNS_ANSWER, a->dir, a->due, a->st);
	if (rr->target[0])
		hit(a->f, domain(a->set, rr->target), IOC_W_DNS_ANSWER, a->dir, a->due, a->st);
}

void ioc_match_dns_answer(const struct ioc_set *set, struct flow *f, const uint8_t *msg,
			  size_t n, int dir, struct alert_due *due, struct ioc_match_stats *st)
{
	if (!set)
		return;
	struct dns_msg_info info;
	memset(&info, 0, sizeof(info));
	struct answer_ctx a = { set, f, &info, dir, due, st };
	/* the query name is parsed before any answer, so on_answer can compare */
	dns_parse(msg, n, &info, on_answer, &a);
}

void ioc_match_payload(const struct ioc_set *set, struct flow *f, const uint8_t *payload,
		       size_t n, int dir, struct alert_due *due, struct ioc_match_stats *st)
{
	if (!set)
		return;
	size_t pos = 0;
	struct stratum_url u;
	while (stratum_url_next(payload, n, &pos, &u))
		hit(f, host(set, u.host), IOC_W_PAYLOAD_URL, dir, due, st);
}

void ioc_match_flow(const struct ioc_set *set, struct flow *f, bool classified,
		    struct alert_due *due, struct ioc_match_stats *st)
{
	if (!set)
		return;
	int s = f->src_side, d = !s;
	if (!(f->ioc_done & IOC_CK_ADDR)) {
		f->ioc_done |= IOC_CK_ADDR;
		hit(f, ioc_find_ip(set, f->key.ipver, f->key.addr[d]), IOC_W_DEST_IP, 0, due, st);
		hit(f, ioc_find_ip(set, f->key.ipver, f->key.addr[s]), IOC_W_SRC_IP, 1, due, st);
		if (f->dns) {
			hit(f, domain(set, f->dns->name), IOC_W_DNS_LINKED, 0, due, st);
			hit(f, domain(set, f->dns->cname), IOC_W_DNS_LINKED_CNAME, 0, due, st);
		}
	}
	const struct classify *cl = &f->cls;
	if (classified && !(f->ioc_done & IOC_CK_HOST)) {
		f->ioc_done |= IOC_CK_HOST;
		if (cl->host[0]) {
			enum ioc_where w = classify_is_dns(cl) ? IOC_W_DNS_RRNAME
					 : classify_is_tls(cl) ? IOC_W_TLS_SNI
					 : classify_is_http(cl) ? IOC_W_HTTP_HOST : IOC_W_NONE;
			if (w != IOC_W_NONE)
				hit(f, domain(set, cl->host), w, 0, due, st);
		}
		if (cl->ja3[0])
			hit(f, ioc_find_ja3(set, cl->ja3, strlen(cl->ja3)), IOC_W_JA3, 0, due, st);
	}
	const struct stratum_flow *sf = f->stratum;
	if (!sf || sf->info.dialect == STRATUM_NONE)
		return;
	const struct stratum_info *si = &sf->info;
	int cdir = si->client_dir >= 0 ? si->client_dir : 0;
	if (si->login[0] && !(f->ioc_done & IOC_CK_WALLET)) {
		f->ioc_done |= IOC_CK_WALLET;
		hit(f, ioc_find_wallet(set, si->login, strlen(si->login)), IOC_W_STRATUM_LOGIN, cdir, due,
		    st);
	}
	if (si->host[0] && !(f->ioc_done & IOC_CK_SHOST)) {
		f->ioc_done |= IOC_CK_SHOST;
		hit(f, host(set, si->host), IOC_W_STRATUM_HOST, cdir, due, st);
	}
	if (si->agent[0] && !(f->ioc_done & IOC_CK_AGENT)) {
		f->ioc_done |= IOC_CK_AGENT;
		hit(f, ioc_find_agent(set, si->agent, strlen(si->agent)), IOC_W_STRATUM_AGENT, cdir,
		    due, st);
	}
}

static const struct ioc *asn(const struct ioc_set *set, uint32_t n)
{
	if (!n)
		return NULL;
	char t[16];
	int k = snprintf(t, sizeof(t), "AS%u", n);
	return ioc_find_exact(set, IOC_ASN, t, (size_t)k);
}

static const struct ioc *image(const struct ioc_set *set, const struct pod *p)
{
	for (uint32_t i = 0; i < p->nimages; i++) {
		const struct ioc *r = ioc_find_image(set, p->images[i], strlen(p->images[i]));
		if (r)
			return r;
	}
	return NULL;
}

void ioc_match_identity(const struct ioc_set *set, struct flow *f, const struct ioc_identity *id,
			struct alert_due *due, struct ioc_match_stats *st)
{
	if (!set || (f->ioc_done & IOC_CK_IDENTITY))
		return;
	f->ioc_done |= IOC_CK_IDENTITY;
	static const uint8_t w_asn[2] = { IOC_W_SRC_ASN, IOC_W_DEST_ASN };
	static const uint8_t w_img[2] = { IOC_W_SRC_IMAGE, IOC_W_DEST_IMAGE };
	static const uint8_t w_ns[2] = { IOC_W_SRC_NAMESPACE, IOC_W_DEST_NAMESPACE };
	/* the destination first, as for addresses; dir: who sent the evidence */
	for (int side = 1; side >= 0; side--) {
		int dir = side == 1 ? 0 : 1;
		if (id->asn[side])
			hit(f, asn(set, id->asn[side]), w_asn[side], dir, due, st);
		const struct pod *p = id->pod[side];
		if (!p)
			continue;
		if (p->nimages && ioc_set_has(set, IOC_IMAGE))
			hit(f, image(set, p), w_img[side], side, due, st);
		if (p->ns[0] && ioc_set_has(set, IOC_NAMESPACE))
			hit(f, ioc_find_exact(set, IOC_NAMESPACE, p->ns, strlen(p->ns)), w_ns[side], side,
			    due, st);
	}
}
