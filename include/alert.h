/* alert.h - davy's built-in signatures and the EVE `alert` record.
 *
 * Signatures are fixed in code, identified by number (sid) the way Suricata
 * rules are: davy's own sids live in 4960000-4969999 ("496" for T1496).
 * docs/signatures.md lists them with what triggers each, its false-positive
 * risk and its ATT&CK mapping.
 *
 * Policy: at most one alert per flow per signature (the flow's `alerted`
 * bits), written by the worker as soon as the evidence is seen, not at the
 * flow's end.
 */
#ifndef DAVY_ALERT_H
#define DAVY_ALERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "classify.h"
#include "flow.h"
#include "jbuf.h"
#include "record.h"

enum alert_sig {
	SIG_STRATUM_CLIENT = 0, /* a recognised Stratum client message */
	SIG_STRATUM_SERVER,     /* Stratum pool messages, no client message seen */
	SIG_NDPI_MINING,        /* nDPI says Mining, the stream is not readable as Stratum */
	SIG_STRATUM_V2,         /* Stratum V2 handshake shape (heuristic) */
	SIG_IOC_POOL_LOOKUP,    /* a mining-pool domain looked up (DNS query) */
	SIG_IOC_POOL,           /* a connection to a mining pool: SNI, Host, DNS-linked name, address, JA3 */
	SIG_IOC_AGENT,          /* a miner agent in the Stratum session */
	SIG_IOC_WALLET,         /* a listed wallet in the Stratum login */
	SIG_IOC_C2,             /* a C2 address or domain */
	SIG_IOC_POOL_URL,       /* a mining pool named in a stratum URL in cleartext payload */
	SIG_IOC_OTHER,          /* an indicator of another category */
	SIG_IOC_IMAGE,          /* a pod running a listed image (pod identity) */
	SIG_IOC_NAMESPACE,      /* a pod in a listed namespace (weak) */
	SIG_POLICY_COUNTRY,     /* an endpoint in a country of --alert-countries */
	SIG__COUNT
};
_Static_assert(SIG__COUNT <= 16, "struct flow keeps alerted signatures in 16 bits");

/* Where an indicator matched (the alert's ioc.matched). */
enum ioc_where {
	IOC_W_NONE = 0,
	IOC_W_DEST_IP,
	IOC_W_SRC_IP,
	IOC_W_DNS_LINKED,       /* dns_linked_name */
	IOC_W_DNS_LINKED_CNAME, /* dns_linked_cname */
	IOC_W_DNS_RRNAME,       /* the DNS query name */
	IOC_W_DNS_ANSWER,       /* a name in the DNS response's answers: a CNAME
				 * target or an address record's owner */
	IOC_W_TLS_SNI,
	IOC_W_HTTP_HOST,
	IOC_W_JA3,
	IOC_W_STRATUM_LOGIN,    /* the login's wallet part */
	IOC_W_STRATUM_AGENT,
	IOC_W_STRATUM_HOST,     /* the pool host the miner names (stratum.host) */
	IOC_W_PAYLOAD_URL,      /* a stratum+tcp:// URL's host in payload */
	IOC_W_SRC_ASN,          /* the source's network owner (geo.src.asn) */
	IOC_W_DEST_ASN,
	IOC_W_SRC_IMAGE,        /* an image of the source's pod (k8s.src.images) */
	IOC_W_DEST_IMAGE,
	IOC_W_SRC_NAMESPACE,    /* the source pod's namespace (k8s.src.namespace) */
	IOC_W_DEST_NAMESPACE,
	IOC_W__COUNT
};
/* "dest_ip", "src_ip", "dns_linked", "dns_linked_cname", "dns.rrname",
 * "tls.sni", "http.hostname", "tls.ja3.hash", "stratum.login",
 * "stratum.agent", "stratum.host", "payload.stratum_url", "dns.answer",
 * "geo.src.asn", "geo.dest.asn", "k8s.src.images", "k8s.dest.images",
 * "k8s.src.namespace", "k8s.dest.namespace"; "" otherwise. */
const char *ioc_where_name(int w);

struct ioc;

/* Alerts found due while handling one packet or a flow's end. */
struct alert_due {
	unsigned sigs;                     /* 1 << enum alert_sig */
	int8_t dir[SIG__COUNT];            /* flow direction of the evidence (0: from the source) */
	const struct ioc *ioc[SIG__COUNT]; /* indicator signatures: what matched */
	uint8_t where[SIG__COUNT];         /* enum ioc_where; SIG_POLICY_COUNTRY:
					    * the endpoint, 0 source 1 destination */
};

struct signature {
	uint32_t sid;
	uint8_t rev;
	uint8_t severity;       /* 1 high .. 3 low, as Suricata */
	bool no_mitre;          /* not Resource Hijacking: no ATT&CK metadata */
	const char *msg;
	const char *category;
};

const struct signature *alert_signature(enum alert_sig s);

/* Makes signature s due for flow f (evidence in direction dir) unless the
 * flow already had it: sets the flow's alerted bit. Returns whether it was
 * newly due. */
bool alert_due_add(struct flow *f, struct alert_due *due, enum alert_sig s, int dir);

/* A complete `event_type: alert` record about flow f: signature s of due,
 * evidence sent in flow direction due->dir[s] (0: by the flow's source) at
 * ts_us; for an indicator signature, the `ioc` object from due->ioc[s]. */
size_t record_alert(struct jbuf *j, const struct classifier *c, const struct flow *f,
		    enum alert_sig s, const struct alert_due *due, uint64_t ts_us,
		    const struct record_ctx *rc);

#endif
