/* correlate.h - `davy correlate`: mining campaigns across sources, sensors
 * and pools, from the records davy's sensors write to Redis.
 *
 *   davy correlate --redis URL [--redis-prefix P] [--group NAME] [--consumer NAME]
 *                  [--window SEC] [--min-sources N] [--min-sensors N] [--min-pools N]
 *                  [--campaign-maxlen N] [--once] [-q]
 *
 * Contract (docs/DESIGN.md, "Correlator"; the record: docs/records.md):
 *  - Input: the streams P:alert and P:flow (P: --redis-prefix, default
 *    "davy"), read through the consumer group --group (created at 0 with
 *    MKSTREAM when missing), as consumer --consumer (default HOST-PID). Each
 *    entry's `json` field is the record. At start a consumer reads its own
 *    pending entries first; every ~10 s it also claims (XAUTOCLAIM, Redis
 *    >= 6.2) entries idle for more than 60 s, left by correlators that died.
 *  - Observations (corr_observation below): Stratum and indicator alerts,
 *    and flows with a Stratum client side, each naming a source, a sensor,
 *    a pool, an address alias and a wallet.
 *  - State lives in Redis (keys P:corr:...), changed by one Lua script per
 *    observation, atomically, so several correlators share the work and a
 *    restarted one resumes. The script computes its keys: a standalone Redis
 *    (or a primary with replicas), not Redis Cluster.
 *  - Output: `event_type: "campaign"` records, appended to P:campaign
 *    (MAXLEN ~ --campaign-maxlen) by the script and written to stdout, one
 *    JSON object per line: when a group of observations first meets a rule
 *    (update 1), then each time it gains a source, sensor, pool or wallet.
 *  - Delivery is at least once: a batch's entries are acknowledged (XACK)
 *    after the script ran for each. The script is idempotent: an
 *    observation applied again changes nothing and writes no record.
 *  - Entries whose `json` is missing or not JSON are counted, named on
 *    stderr (stream and entry id), acknowledged and skipped.
 *  - Redis gone: reconnect with capped exponential backoff (100 ms to 5 s),
 *    one message per outage. With --once (read what the streams hold, then
 *    exit 0), failing to connect at start is exit 2, naming the URL (without
 *    its password), and losing the connection later is exit 1.
 *  - Exit statuses: 0 done (SIGINT/SIGTERM, or --once finished); 1 --once
 *    lost Redis part-way; 2 could not run (an option, its value, the URL,
 *    Redis unreachable at start with --once, Redis refused the set-up).
 *    Unless -q, one summary line on stderr at exit.
 */
#ifndef DAVY_CORRELATE_H
#define DAVY_CORRELATE_H

#include <json-c/json.h>

/* Runs `davy correlate`; argv[0] is "correlate". Returns the exit status. */
int davy_correlate(int argc, char **argv);

/* ---- observations (one function, used by davy_correlate) ---------------- */

#define CORR_NAME_MAX 512 /* longer names are cut (the same cut every time) */

/* What one record says about a campaign. Strings are NUL-terminated; empty
 * means absent (alias, wallet, alert_id, sensor). */
struct corr_obs {
	double t;                      /* the record's timestamp, epoch seconds */
	char t_iso[40];                /* the same, as written in the record */
	char source[CORR_NAME_MAX];    /* "namespace/pod", else the address */
	char sensor[256];              /* sensor.name */
	char pool[CORR_NAME_MAX];      /* a domain (lower case) or "addr:port" */
	char alias[64];                /* "addr:port" / "[v6addr]:port" of a connection */
	char wallet[CORR_NAME_MAX];    /* the login's wallet part */
	char alert_id[48];             /* the P:alert entry id; flows have none */
};

/* Fills o from rec (a parsed davy record). alert_id: the stream entry id
 * when rec came from P:alert, else NULL. Returns 1 when rec is an
 * observation, 0 when it says nothing about campaigns (another signature,
 * a flow without a Stratum client, no usable timestamp or source).
 *
 * Which records:
 *  - alerts with signature 4960001, 4960002, 4960004 (Stratum) or
 *    4960101..4960106 (indicators). Not 4960003 (nDPI says Mining, no
 *    Stratum read: Ethereum peers, which are no pool) nor 4960109.
 *  - flows whose `stratum.role` is "client" or "both".
 * Fields:
 *  - source: `k8s.src.namespace + "/" + k8s.src.pod` when the record has
 *    that object (the assumed shape of pod metadata:
 *    {"k8s": {"src": {"namespace": "...", "pod": "..."}, "dest": {...}}}),
 *    else `src_ip`. For an indicator matched on the source address
 *    (`ioc.matched` "src_ip": a listed host connected to a pod) the sides
 *    swap: the source is the destination, the pool the source address.
 *  - pool: `ioc.indicator` when `ioc.type` is "domain" or the signature is
 *    4960101 (a DNS lookup) or 4960106 (a pool URL in a payload); else
 *    `stratum.host`; else `tls.sni`; else `dns_linked_name`; else, for
 *    connection evidence, `dest_ip:dest_port`. Lower-cased.
 *  - alias: `dest_ip:dest_port` for connection evidence (not 4960101 or
 *    4960106, and `ioc.matched` not "dns.*"): the pool's address.
 *  - wallet: `ioc.indicator` when `ioc.type` is "wallet"; else, when
 *    `stratum.wallet_type` is present, `stratum.login` without its
 *    ".worker" ("+worker", "/worker") suffix when `stratum.worker` is that
 *    suffix, else the whole login. "0x" (Ethereum) wallets are lower-cased.
 *  - time: `timestamp` ("2024-01-01T00:00:00.500000+0000"). */
int corr_observation(struct json_object *rec, const char *alert_id, struct corr_obs *o);

#endif
