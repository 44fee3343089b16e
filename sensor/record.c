/* record.c - EVE-style flow records. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "community_id.h"
#include "pods.h"
#include "record.h"
#include "stratum_flow.h"

static char *put_num(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void record_time(char *out, uint64_t ts_us)
{
	time_t s = (time_t)(ts_us / 1000000);
	struct tm tm;
	gmtime_r(&s, &tm);
	unsigned year = tm.tm_year + 1900 > 9999 ? 9999 : (unsigned)(tm.tm_year + 1900);
	char *p = out;
	p = put_num(p, year, 4);
	*p++ = '-';
	p = put_num(p, (unsigned)tm.tm_mon + 1, 2);
	*p++ = '-';
	p = put_num(p, (unsigned)tm.tm_mday, 2);
	*p++ = 'T';
	p = put_num(p, (unsigned)tm.tm_hour, 2);
	*p++ = ':';
	p = put_num(p, (unsigned)tm.tm_min, 2);
	*p++ = ':';
	p = put_num(p, (unsigned)tm.tm_sec, 2);
	*p++ = '.';
	p = put_num(p, (unsigned)(ts_us % 1000000), 6);
	memcpy(p, "+0000", 6);
}

uint64_t record_flow_id(const struct flow *f)
{
	uint64_t x = f->hash ^ (f->first_us * 0x9e3779b97f4a7c15ULL);
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 29;
	return x & ((1ULL << 51) - 1);
}

void record_addr(char *out, size_t len, int ipver, const uint8_t *a)
{
	if (!inet_ntop(ipver == 4 ? AF_INET : AF_INET6, a, out, (socklen_t)len))
		snprintf(out, len, "?");
}

static const char *proto_name(uint8_t proto, char *buf, size_t len)
{
	switch (proto) {
	case 6: return "TCP";
	case 17: return "UDP";
	case 1: return "ICMP";
	case 58: return "IPv6-ICMP";
	case 132: return "SCTP";
	case 47: return "GRE";
	case 50: return "ESP";
	case 51: return "AH";
	default:
		snprintf(buf, len, "%u", proto);
		return buf;
	}
}

void record_flow_header(struct jbuf *j, const struct flow *f)
{
	int s = f->src_side, d = !s;
	char a[INET6_ADDRSTRLEN], pb[8];
	bool ports = f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132;
	bool icmp = f->key.proto == 1 || f->key.proto == 58;

	record_addr(a, sizeof(a), f->key.ipver, f->key.addr[s]);
	jb_str(j, "src_ip", a);
	if (ports)
		jb_u64(j, "src_port", f->key.port[s]);
	record_addr(a, sizeof(a), f->key.ipver, f->key.addr[d]);
	jb_str(j, "dest_ip", a);
	if (ports)
		jb_u64(j, "dest_port", f->key.port[d]);
	jb_str(j, "proto", proto_name(f->key.proto, pb, sizeof(pb)));
	if (icmp) {
		jb_u64(j, "icmp_type", f->icmp_type);
		jb_u64(j, "icmp_code", f->icmp_code);
	}
	if (f->nvlan) {
		jb_arr_open(j, "vlan");
		for (int i = 0; i < f->nvlan; i++)
			jb_u64(j, NULL, f->key.vlan[i]);
		jb_arr_close(j);
	}
	if (f->tun && f->tun->n) {
		jb_arr_open(j, "tunnel");
		for (unsigned i = 0; i < f->tun->n; i++) {
			const struct tunnel *t = &f->tun->t[i];
			jb_obj_open(j, NULL);
			jb_str(j, "type", tunnel_type_name(t->type));
			if (t->ipver) {
				record_addr(a, sizeof(a), t->ipver, t->src);
				jb_str(j, "src_ip", a);
				record_addr(a, sizeof(a), t->ipver, t->dst);
				jb_str(j, "dest_ip", a);
			}
			if (t->has_id) {
				static const char *const id_name[TUN__COUNT] = {
					[TUN_VXLAN] = "vni", [TUN_GENEVE] = "vni", [TUN_GRE] = "key",
					[TUN_ERSPAN] = "session_id", [TUN_MPLS] = "label",
				};
				if (id_name[t->type])
					jb_u64(j, id_name[t->type], t->id);
			}
			if (t->type == TUN_GENEVE) {
				jb_u64(j, "options", t->opt_count);
				jb_u64(j, "options_len", t->opt_len);
			}
			jb_obj_close(j);
		}
		jb_arr_close(j);
	}
	char cid[COMMUNITY_ID_LEN];
	uint16_t sp = ports ? f->key.port[s] : icmp ? f->icmp_type : 0;
	uint16_t dp = ports ? f->key.port[d] : icmp ? f->icmp_code : 0;
	if (community_id_v1(0, f->key.ipver, f->key.addr[s], f->key.addr[d], f->key.proto, sp, dp,
			    cid) == 0)
		jb_str(j, "community_id", cid);
	if (f->dns) {
		jb_str(j, "dns_linked_name", f->dns->name);
		if (f->dns->cname[0])
			jb_str(j, "dns_linked_cname", f->dns->cname);
	}
}

static void str_if(struct jbuf *j, const char *key, const char *v)
{
	if (v[0])
		jb_str(j, key, v);
}

void record_stratum(struct jbuf *j, const struct stratum_info *si)
{
	char t[RECORD_TIME_LEN];
	jb_obj_open(j, "stratum");
	jb_str(j, "dialect", stratum_dialect_name(si->dialect));
	unsigned r = si->roles & (STRATUM_ROLE_CLIENT | STRATUM_ROLE_SERVER);
	jb_str(j, "role", r == (STRATUM_ROLE_CLIENT | STRATUM_ROLE_SERVER) ? "both"
			  : r == STRATUM_ROLE_SERVER ? "server" : "client");
	str_if(j, "login", si->login);
	if (si->wallet_type != STRATUM_WALLET_NONE)
		jb_str(j, "wallet_type", stratum_wallet_name(si->wallet_type));
	str_if(j, "worker", si->worker);
	str_if(j, "pass", si->pass);
	str_if(j, "agent", si->agent);
	str_if(j, "host", si->host);
	str_if(j, "algo", si->algo);
	str_if(j, "rigid", si->rigid);
	str_if(j, "difficulty", si->difficulty);
	jb_u64(j, "jobs", si->jobs);
	jb_u64(j, "submits", si->submits);
	jb_u64(j, "accepted", si->accepted);
	jb_u64(j, "rejected", si->rejected);
	if (si->first_us) {
		record_time(t, si->first_us);
		jb_str(j, "first", t);
		record_time(t, si->last_us);
		jb_str(j, "last", t);
	}
	jb_obj_close(j);
}

static void risk_cb(void *ctx, const char *name)
{
	jb_str(ctx, NULL, name);
}

void record_app_proto(struct jbuf *j, const struct classifier *c, const struct flow *f)
{
	char ap[32];
	if (f->stratum && f->stratum->info.dialect != STRATUM_NONE) {
		jb_str(j, "app_proto", "stratum");
		return;
	}
	const char *app_proto = classify_app_proto(c, &f->cls, ap, sizeof(ap));
	if (app_proto)
		jb_str(j, "app_proto", app_proto);
}

void record_flow_summary(struct jbuf *j, const struct flow *f)
{
	char ts[RECORD_TIME_LEN];
	int s = f->src_side, d = !s;
	record_time(ts, f->first_us);
	jb_obj_open(j, "flow");
	jb_u64(j, "pkts_toserver", f->pkts[s]);
	jb_u64(j, "pkts_toclient", f->pkts[d]);
	jb_u64(j, "bytes_toserver", f->bytes[s]);
	jb_u64(j, "bytes_toclient", f->bytes[d]);
	jb_str(j, "start", ts);
	jb_obj_close(j);
}

static void geo_object(struct jbuf *j, const char *key, const struct geo_info *g)
{
	jb_obj_open(j, key);
	if (g->country[0])
		jb_str(j, "country", g->country);
	if (g->city[0])
		jb_str(j, "city", g->city);
	if (g->asn)
		jb_u64(j, "asn", g->asn);
	if (g->as_org[0])
		jb_str(j, "as_org", g->as_org);
	jb_obj_close(j);
}

static void opt_str(struct jbuf *j, const char *key, const char *v)
{
	if (v[0])
		jb_str(j, key, v);
}

static void pod_object(struct jbuf *j, const char *key, const struct pod *p)
{
	jb_obj_open(j, key);
	jb_str(j, "namespace", p->ns);
	jb_str(j, "pod", p->name);
	opt_str(j, "node", p->node);
	opt_str(j, "app", p->app);
	opt_str(j, "service_account", p->service_account);
	if (p->nimages) {
		jb_arr_open(j, "images");
		for (uint32_t i = 0; i < p->nimages; i++)
			jb_str(j, NULL, p->images[i]);
		jb_arr_close(j);
	}
	if (p->owner_kind[0] || p->owner_name[0]) {
		jb_obj_open(j, "owner");
		opt_str(j, "kind", p->owner_kind);
		opt_str(j, "name", p->owner_name);
		jb_obj_close(j);
	}
	jb_obj_close(j);
}

void record_trailer(struct jbuf *j, const struct record_ctx *rc)
{
	if (rc->pod[0] || rc->pod[1]) {
		jb_obj_open(j, "k8s");
		if (rc->pod[0])
			pod_object(j, "src", rc->pod[0]);
		if (rc->pod[1])
			pod_object(j, "dest", rc->pod[1]);
		jb_obj_close(j);
	}
	if (rc->geo[0].found || rc->geo[1].found) {
		jb_obj_open(j, "geo");
		if (rc->geo[0].found)
			geo_object(j, "src", &rc->geo[0]);
		if (rc->geo[1].found)
			geo_object(j, "dest", &rc->geo[1]);
		jb_obj_close(j);
	}
	if (rc->iface)
		jb_str(j, "in_iface", rc->iface);
	jb_obj_open(j, "sensor");
	jb_str(j, "name", rc->sensor);
	jb_obj_close(j);
}

size_t record_flow(struct jbuf *j, const struct classifier *c, const struct flow *f,
		   enum flow_reason why, bool update, const struct record_ctx *rc)
{
	char ts[RECORD_TIME_LEN], te[RECORD_TIME_LEN];
	const struct classify *cl = &f->cls;
	int s = f->src_side, d = !s;

	record_time(ts, f->first_us);
	record_time(te, f->last_us);
	jb_str(j, "timestamp", update ? te : ts);
	jb_u64(j, "flow_id", record_flow_id(f));
	jb_str(j, "event_type", "flow");
	record_flow_header(j, f);
	record_app_proto(j, c, f);

	jb_obj_open(j, "flow");
	jb_u64(j, "pkts_toserver", f->pkts[s]);
	jb_u64(j, "pkts_toclient", f->pkts[d]);
	jb_u64(j, "bytes_toserver", f->bytes[s]);
	jb_u64(j, "bytes_toclient", f->bytes[d]);
	jb_str(j, "start", ts);
	jb_str(j, "end", te);
	jb_u64(j, "age", (f->last_us / 1000000) - (f->first_us / 1000000));
	jb_str(j, "state", flow_state_name(f->state));
	jb_str(j, "reason", update ? "update" : flow_reason_name(why));
	jb_bool(j, "alerted", f->alerted != 0);
	jb_obj_close(j);

	jb_obj_open(j, "ndpi");
	jb_str(j, "app", classify_proto_name(c, cl->app));
	if (cl->master)
		jb_str(j, "master", classify_proto_name(c, cl->master));
	jb_str(j, "category", classify_category_name(c, cl->category));
	jb_str(j, "confidence", classify_confidence_name(cl->confidence));
	if (cl->host[0] && !classify_is_tls(cl) && !classify_is_dns(cl) && !classify_is_http(cl))
		jb_str(j, "host", cl->host);
	if (cl->risk) {
		jb_arr_open(j, "risks");
		classify_foreach_risk(cl->risk, risk_cb, j);
		jb_arr_close(j);
	}
	jb_obj_close(j);

	if (cl->host[0]) {
		if (classify_is_tls(cl)) {
			jb_obj_open(j, "tls");
			jb_str(j, "sni", cl->host);
			if (cl->ja3[0]) {
				jb_obj_open(j, "ja3");
				jb_str(j, "hash", cl->ja3);
				jb_obj_close(j);
			}
			jb_obj_close(j);
		} else if (classify_is_dns(cl)) {
			jb_obj_open(j, "dns");
			jb_str(j, "rrname", cl->host);
			jb_obj_close(j);
		} else if (classify_is_http(cl)) {
			jb_obj_open(j, "http");
			jb_str(j, "hostname", cl->host);
			jb_obj_close(j);
		}
	} else if (cl->ja3[0]) {
		jb_obj_open(j, "tls");
		jb_obj_open(j, "ja3");
		jb_str(j, "hash", cl->ja3);
		jb_obj_close(j);
		jb_obj_close(j);
	}

	if (f->stratum && f->stratum->info.dialect != STRATUM_NONE)
		record_stratum(j, &f->stratum->info);

	record_trailer(j, rc);
	return jb_finish(j);
}
