/* alert.c - built-in signatures and alert records (see alert.h). */
#include "alert.h"
#include "ioc.h"
#include "record.h"
#include "stratum_flow.h"

#define CAT_MINING "Crypto Currency Mining Activity Detected"

static const struct signature sigs[SIG__COUNT] = {
	[SIG_STRATUM_CLIENT] = { 4960001, 1, 1, false, "DAVY MINING Stratum client session (login, subscribe, authorize or submit)",
				 CAT_MINING },
	[SIG_STRATUM_SERVER] = { 4960002, 1, 1, false, "DAVY MINING Stratum pool messages seen from the server side alone",
				 CAT_MINING },
	[SIG_NDPI_MINING] = { 4960003, 1, 2, false, "DAVY MINING nDPI classified the flow as Mining, stream not readable as Stratum",
			      CAT_MINING },
	[SIG_STRATUM_V2] = { 4960004, 1, 3, false, "DAVY MINING possible Stratum V2 (Noise handshake 64/170 bytes, framed records)",
			     CAT_MINING },
	[SIG_IOC_POOL_LOOKUP] = { 4960101, 1, 2, false, "DAVY IOC mining pool domain looked up", CAT_MINING },
	[SIG_IOC_POOL] = { 4960102, 1, 2, false, "DAVY IOC connection to a mining pool", CAT_MINING },
	[SIG_IOC_AGENT] = { 4960103, 1, 1, false, "DAVY IOC miner agent in a Stratum session", CAT_MINING },
	[SIG_IOC_WALLET] = { 4960104, 1, 1, false, "DAVY IOC listed wallet in a Stratum login", CAT_MINING },
	[SIG_IOC_C2] = { 4960105, 1, 1, false, "DAVY IOC command-and-control address or domain",
			 "A Network Trojan was Detected" },
	[SIG_IOC_POOL_URL] = { 4960106, 1, 2, false, "DAVY IOC mining pool named in a cleartext stratum URL",
			       CAT_MINING },
	[SIG_IOC_OTHER] = { 4960109, 1, 2, false, "DAVY IOC listed indicator", "Potentially Bad Traffic" },
	[SIG_IOC_IMAGE] = { 4960107, 1, 1, false, "DAVY IOC flow of a pod running a listed image", CAT_MINING },
	[SIG_IOC_NAMESPACE] = { 4960108, 1, 3, false, "DAVY IOC flow of a pod in a listed namespace",
				"Potentially Bad Traffic" },
	[SIG_POLICY_COUNTRY] = { 4960201, 1, 3, true, "DAVY POLICY connection with a listed country",
				 "Potential Corporate Privacy Violation" },
};

const char *ioc_where_name(int w)
{
	static const char *const n[IOC_W__COUNT] = {
		[IOC_W_DEST_IP] = "dest_ip", [IOC_W_SRC_IP] = "src_ip",
		[IOC_W_DNS_LINKED] = "dns_linked", [IOC_W_DNS_LINKED_CNAME] = "dns_linked_cname",
		[IOC_W_DNS_RRNAME] = "dns.rrname", [IOC_W_DNS_ANSWER] = "dns.answer", [IOC_W_TLS_SNI] = "tls.sni",
		[IOC_W_HTTP_HOST] = "http.hostname", [IOC_W_JA3] = "tls.ja3.hash",
		[IOC_W_STRATUM_LOGIN] = "stratum.login", [IOC_W_STRATUM_AGENT] = "stratum.agent",
		[IOC_W_STRATUM_HOST] = "stratum.host", [IOC_W_PAYLOAD_URL] = "payload.stratum_url",
		[IOC_W_SRC_ASN] = "geo.src.asn", [IOC_W_DEST_ASN] = "geo.dest.asn",
		[IOC_W_SRC_IMAGE] = "k8s.src.images", [IOC_W_DEST_IMAGE] = "k8s.dest.images",
		[IOC_W_SRC_NAMESPACE] = "k8s.src.namespace", [IOC_W_DEST_NAMESPACE] = "k8s.dest.namespace",
	};
	return w > 0 && w < IOC_W__COUNT ? n[w] : "";
}

/* An indicator signature's severity is the indicator's confidence (ioc.h:
 * 3 high .. 1 low; EVE: 1 high .. 3 low). */
static unsigned severity(const struct signature *sg, const struct ioc *ioc)
{
	if (!ioc || ioc->severity < 1 || ioc->severity > 3)
		return sg->severity;
	return 4u - ioc->severity;
}

bool alert_due_add(struct flow *f, struct alert_due *due, enum alert_sig s, int dir)
{
	unsigned bit = 1u << s;
	if (f->alerted & bit)
		return false;
	f->alerted |= (uint16_t)bit;
	due->sigs |= bit;
	due->dir[s] = (int8_t)dir;
	due->ioc[s] = NULL;
	due->where[s] = IOC_W_NONE;
	return true;
}

const struct signature *alert_signature(enum alert_sig s)
{
	return (unsigned)s < SIG__COUNT ? &sigs[s] : NULL;
}

static void meta(struct jbuf *j, const char *key, const char *val)
{
	jb_arr_open(j, key);
	jb_str(j, NULL, val);
	jb_arr_close(j);
}

size_t record_alert(struct jbuf *j, const struct classifier *c, const struct flow *f,
		    enum alert_sig s, const struct alert_due *due, uint64_t ts_us,
		    const struct record_ctx *rc)
{
	const struct signature *sg = alert_signature(s);
	int dir = due->dir[s];
	const struct ioc *ioc = due->ioc[s];
	char ts[RECORD_TIME_LEN];
	record_time(ts, ts_us);
	jb_str(j, "timestamp", ts);
	jb_u64(j, "flow_id", record_flow_id(f));
	jb_str(j, "event_type", "alert");
	record_flow_header(j, f);
	jb_str(j, "direction", dir == 0 ? "to_server" : "to_client");
	record_app_proto(j, c, f);

	jb_obj_open(j, "alert");
	jb_str(j, "action", "allowed");
	jb_u64(j, "gid", 1);
	jb_u64(j, "signature_id", sg->sid);
	jb_u64(j, "rev", sg->rev);
	jb_str(j, "signature", sg->msg);
	jb_str(j, "category", sg->category);
	jb_u64(j, "severity", severity(sg, ioc));
	if (!sg->no_mitre) {
		jb_obj_open(j, "metadata");
		meta(j, "mitre_tactic_id", "TA0040");
		meta(j, "mitre_tactic_name", "Impact");
		meta(j, "mitre_technique_id", "T1496");
		meta(j, "mitre_technique_name", "Resource_Hijacking");
		jb_obj_close(j);
	}
	jb_obj_close(j);

	if (ioc) {
		jb_obj_open(j, "ioc");
		jb_str(j, "indicator", ioc->value);
		jb_str(j, "type", ioc_type_name(ioc->type));
		jb_str(j, "feed", ioc->feed);
		jb_str(j, "category", ioc->category);
		if (ioc->source[0])
			jb_str(j, "source", ioc->source);
		if (ioc->description[0])
			jb_str(j, "description", ioc->description);
		jb_str(j, "severity", ioc_severity_name(ioc->severity));
		jb_str(j, "matched", ioc_where_name(due->where[s]));
		jb_obj_close(j);
	}
	if (s == SIG_POLICY_COUNTRY) {
		int side = due->where[s] ? 1 : 0;
		jb_obj_open(j, "policy");
		jb_str(j, "rule", "alert-countries");
		jb_str(j, "country", rc->geo[side].country);
		jb_str(j, "matched", side ? "geo.dest.country" : "geo.src.country");
		jb_obj_close(j);
	}
	if (f->stratum && f->stratum->info.dialect != STRATUM_NONE)
		record_stratum(j, &f->stratum->info);
	record_flow_summary(j, f);
	record_trailer(j, rc);
	return jb_finish(j);
}
