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
 *    (stratum.login) and the miner agent (stratum.agent).
 * Port indicators are a weak signal and never alert alone: they are not
 * checked here.
 *
 * Which signature an indicator makes due: category "c2" -> SIG_IOC_C2;
 * an agent -> SIG_IOC_AGENT; a wallet -> SIG_IOC_WALLET; category
 * "mining-pool" -> SIG_IOC_POOL_LOOKUP when matched on a DNS query name,
 * else SIG_IOC_POOL; any other category -> SIG_IOC_OTHER. The first match of
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

/* only uint64_t counters: counters.h adds them up */
struct ioc_match_stats {
	uint64_t checks;   /* facts looked up */
	uint64_t matches;  /* of which an indicator matched */
	uint64_t by_where[IOC_W__COUNT];
};

/* Checks what flow f newly offers (see above) and adds the alerts due.
 * classified: nDPI's detection has ended for f. */
void ioc_match_flow(const struct ioc_set *set, struct flow *f, bool classified,
		    struct alert_due *due, struct ioc_match_stats *st);

#endif
