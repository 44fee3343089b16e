/* ioc_match.h - a flow's facts against the indicator set (ioc.h), and the
 * indicator alerts they make due (alert.h, docs/signatures.md).
 *
 * When each fact is checked (once per flow each; flow->ioc_done bits):
 *  - the flow's first packet: its destination address, then its source
 *    address (address and CIDR indicators, longest prefix), and its
 *    DNS-linked names (dns_linked_name, dns_linked_cname: domain
 *    indicators, suffix match at label boundaries);
 *  - when nDPI's detection ends (or the flow ends): the DNS query name
 *    (dns.rrname), TLS SNI (tls.sni) or HTTP Host (http.hostname), and the
 *    TLS client's JA3 hash;
 *  - when the Stratum parser has them: the login's wallet part
 *    (stratum.login), the miner agent (stratum.agent) and the pool host the
 *    miner names (stratum.host: mining.subscribe's host, a pool's
 *    client.reconnect; domain or address indicators);
 *  - ioc_match_dns_answer(): the names in a DNS response's answers (each
 *    CNAME target, and each A/AAAA/CNAME owner other than the query), so
 *    that a lookup whose CNAME chain leads to a pool alerts on the DNS
 *    flow itself (dns.answer), as the query name would; run.c calls it
 *    for responses from port 53: a UDP payload, or each whole frame of a
 *    TCP segment (dns_tcp_messages: a response split across segments is
 *    not joined, as for DNS linkage), in the first IOC_URL_PKTS payload
 *    packets of each direction;
 *  - ioc_match_payload(): the host of every stratum URL (stratum_url.h:
 *    "stratum+tcp://", "+ssl", "+tls", "stratum2+") in the payload of the
 *    first IOC_URL_PKTS packets with payload of each direction of a TCP or
 *    UDP flow (payload.stratum_url; domain or address indicators). Each
 *    packet on its own: a URL split across packets is not joined.
 *  - ioc_match_identity(): at the flow's first packet, what enrichment knows
 *    of its endpoints: AS numbers, pod images and namespaces (below).
 * After a reload of the indicators, the pod list or the MaxMind
 * databases, an open flow's facts are checked again (run.c, worker_recheck: ioc_done is cleared at
 * its next packet, or at its end), except payload URLs and DNS answers,
 * which were in packets already gone.
 * Port indicators are a weak signal and never alert alone: they are not
 * checked here.
 *
 * Which signature an indicator makes due: an image -> SIG_IOC_IMAGE; a
 * namespace -> SIG_IOC_NAMESPACE (low severity by default: a weak signal);
 * category "c2" -> SIG_IOC_C2;
 * an agent -> SIG_IOC_AGENT; a wallet -> SIG_IOC_WALLET; category
 * "mining-pool" -> SIG_IOC_POOL_LOOKUP when matched on a DNS query name
 * or answer name,
 * SIG_IOC_POOL_URL when matched on a payload URL, else SIG_IOC_POOL; any other category -> SIG_IOC_OTHER. The first match of
 * a signature in a flow is the one reported (one alert per flow per
 * signature). The alert's severity follows the indicator's confidence.
 */
#ifndef DAVY_IOC_MATCH_H
#define DAVY_IOC_MATCH_H

#include "alert.h"
#include "flow.h"
#include "ioc.h"

/* flow->ioc_done bits */
#define IOC_CK_ADDR 0x01
#define IOC_CK_HOST 0x02
#define IOC_CK_WALLET 0x04
#define IOC_CK_AGENT 0x08
#define IOC_CK_SHOST 0x10
#define IOC_CK_IDENTITY 0x20

/* payload packets per flow direction scanned for stratum URLs */
#define IOC_URL_PKTS 64

/* only uint64_t counters: counters.h adds them up */
struct ioc_match_stats {
	uint64_t checks;   /* facts looked up */
	uint64_t matches;  /* of which an indicator matched */
	uint64_t by_where[IOC_W__COUNT];
	uint64_t payload_scans;       /* packets scanned for stratum URLs (and DNS answers) */
	uint64_t payload_scan_capped; /* flow directions that reached IOC_URL_PKTS */
	uint64_t rechecks;  /* open flows checked again after a reload (run.c) */
};

/* Checks what flow f newly offers (see above) and adds the alerts due.
 * classified: nDPI's detection has ended for f. */
void ioc_match_flow(const struct ioc_set *set, struct flow *f, bool classified,
		    struct alert_due *due, struct ioc_match_stats *st);

/* The names in the answers of a DNS response msg (n bytes: a UDP payload,
 * or one TCP frame's message) sent in flow direction dir. */
void ioc_match_dns_answer(const struct ioc_set *set, struct flow *f, const uint8_t *msg,
			  size_t n, int dir, struct alert_due *due, struct ioc_match_stats *st);

/* The stratum URLs in one packet's payload (n bytes) sent in flow
 * direction dir (0: by the flow's source). The caller counts packets
 * (flow->url_pkts, IOC_URL_PKTS). */
void ioc_match_payload(const struct ioc_set *set, struct flow *f, const uint8_t *payload,
		       size_t n, int dir, struct alert_due *due, struct ioc_match_stats *st);

/* What enrichment knows of a flow's endpoints, for the indicators on
 * identity ([0] the flow's source, [1] its destination): the network owner
 * (0: unknown, or no ASN indicator listed) and the pod (NULL: none). */
struct pod;
struct ioc_identity {
	uint32_t asn[2];
	const struct pod *pod[2];
};

/* Once per flow (IOC_CK_IDENTITY), at its first packet: ASN indicators
 * against each endpoint's AS number (geo.src.asn / geo.dest.asn), image
 * indicators against each endpoint pod's images (prefix match:
 * ioc_find_image; k8s.*.images), namespace indicators against its namespace
 * (k8s.*.namespace). The destination is checked before the source. An image
 * or namespace alert's direction is the pod's side: a flow from the pod is
 * to_server, a flow to it to_client. */
void ioc_match_identity(const struct ioc_set *set, struct flow *f, const struct ioc_identity *id,
			struct alert_due *due, struct ioc_match_stats *st);

#endif
