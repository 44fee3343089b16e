/* davy.h - the sensor's run-time configuration and entry point.
 *
 * A `struct davy_config` is filled once (cli.c: the command line, over the
 * configuration file of -c, config.h) and then passed as const to every
 * stage. Nothing else is
 * global: each thread owns its state (see docs/DESIGN.md).
 */
#ifndef DAVY_DAVY_H
#define DAVY_DAVY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "defrag.h"
#include "flow.h"
#include "redis_conn.h"

#define DAVY_VERSION "0.1.0"
#define DAVY_MAX_WORKERS 64
#define DAVY_MAX_FILES 4096
#define DAVY_MAX_IOC_PATHS 64
#define DAVY_MAX_IFACES 16
#ifndef DAVY_IOCS_DIR
#define DAVY_IOCS_DIR "iocs" /* the Makefile sets the shipped feeds' folder */
#endif

/* Whether ISO 3166-1 alpha-2 code cc (two upper-case letters) is listed in
 * a country bitmap (struct davy_config's alert_countries). */
static inline bool davy_country_listed(const uint8_t map[85], const char *cc)
{
	if (cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z' || cc[2])
		return false;
	unsigned b = (unsigned)(cc[0] - 'A') * 26u + (unsigned)(cc[1] - 'A');
	return map[b >> 3] & (1u << (b & 7));
}

/* Exit statuses. */
#define DAVY_EXIT_OK 0
#define DAVY_EXIT_DAMAGED 1 /* completed, but some input was damaged */
#define DAVY_EXIT_FATAL 2   /* could not run: bad option, unreadable input, ... */

struct davy_kept;

struct davy_config {
	const char *files[DAVY_MAX_FILES]; /* -r, in order; "-" is standard input */
	unsigned nfiles;
	const char *ifaces[DAVY_MAX_IFACES]; /* -i, in order; "auto" picks the node's
					    * bridge, overlay and uplink devices */
	unsigned nifaces;
	bool no_promisc;                   /* --no-promisc */
	uint32_t snaplen;                  /* --snaplen */
	size_t buffer_bytes;               /* --buffer-size: kernel buffer per interface */
	uint32_t shutdown_timeout_s;       /* --shutdown-timeout */
	uint32_t stats_interval_s;         /* --stats-interval; 0: only at the end */
	const char *metrics_addr;          /* --metrics ADDR:PORT; NULL: none */
	const char *user;                  /* --user; NULL: nobody for live capture as root */
	const char *group;                 /* --group; NULL: the user's group */
	const char *out_path;              /* -o; "-" is standard output; NULL: standard
					    * output, or nothing when --redis is given */
	char *bpf;                         /* trailing arguments joined, or the file's
					    * filter; malloc'd, or NULL */
	unsigned workers;                  /* --workers */
	char sensor_name[256];             /* --sensor-name, $NODE_NAME, hostname */
	uint64_t max_flows;                /* --max-flows, for all workers together */
	unsigned ndpi_max_pkts;            /* --ndpi-packets */
	struct flow_timeouts timeouts;     /* --timeout CLASS.STATE=SECONDS */
	struct decode_cfg decode;          /* --vxlan-ports, --geneve-ports,
					    * --gre-udp-ports, --tunnel-depth */
	size_t ring_bytes;                 /* --ring-size: per worker input queue */
	bool report_carriers;              /* --report-tunnel-carriers */
	struct defrag_cfg defrag;          /* --defrag-datagrams, --defrag-timeout */
	uint64_t flow_update_us;           /* --flow-update-interval; 0 never */
	uint64_t stratum_flows;            /* --stratum-flows, all workers together */
	size_t reasm_bytes;                /* --reassembly-memory, all workers together */
	const char *ioc_paths[DAVY_MAX_IOC_PATHS]; /* --iocs, in order; none: DAVY_IOCS_DIR */
	unsigned nioc_paths;
	bool no_iocs;                      /* --no-iocs */
	uint32_t iocs_check_s;             /* --iocs-check-interval; 0: SIGHUP only */
	uint32_t alert_rate_limit;         /* --alert-rate-limit N: per source per window; 0 off */
	uint64_t alert_rate_window_us;     /* --alert-rate-limit N/SEC */
	uint64_t alert_rate_sources;       /* --alert-rate-sources */
	uint64_t dns_cache_entries;        /* --dns-cache-size: per worker replica; 0 off */
	const char *geoip_path;            /* --geoip: City/Country MMDB; NULL none */
	const char *asn_path;              /* --asn: ASN MMDB; NULL none */
	uint32_t geo_check_s;              /* --geo-check-interval; 0: SIGHUP only */
	uint8_t alert_countries[85];       /* --alert-countries: bit (A-Z)*26+(A-Z) */
	bool alert_countries_on;
	const char *pods_path;             /* --pods: kubectl get pods -A -o json; NULL none */
	uint32_t pods_check_s;             /* --pods-check-interval; 0: SIGHUP only */
	uint32_t dns_min_ttl;              /* --dns-min-ttl */
	bool redis_on;                     /* --redis URL or $DAVY_REDIS_URL */
	struct redis_url redis;
	char redis_prefix[64];             /* --redis-prefix (davy) */
	uint64_t redis_maxlen;             /* --redis-maxlen: MAXLEN ~ N; 0 no trimming */
	size_t redis_queue_bytes;          /* --redis-queue */
	bool redis_drop;                   /* --redis-queue-full drop (else wait) */
	bool redis_full_given;             /* --redis-queue-full was set (live: drop by default) */
	uint32_t redis_timeout_s;          /* --redis-timeout; 0 wait forever */
	int progress;                      /* -1 auto (a terminal), 0 off, 1 on */
	bool quiet;                        /* -q: no summary line */
	struct davy_kept *kept;            /* strings read from the configuration file
					    * (config.h: davy_config_keep/_free) */
};

/* Fills the defaults. */
void davy_config_default(struct davy_config *cfg);

/* Parses the command line into cfg, over the file of -c FILE (config.h).
 * Returns -1 to run, or an exit status (0 after --help, --version or
 * --print-config, DAVY_EXIT_FATAL with a message on stderr). Release cfg
 * with davy_config_free() (config.h) either way. */
int davy_cli_parse(struct davy_config *cfg, int argc, char **argv);

/* An unsigned number in [min, max] (with `suffix`, K/M/G multiply by
 * 2^10/2^20/2^30) for option opt. Returns 0, or -1 after a message
 * "PROG: option OPT: ..." on stderr. Shared by the sensor and the correlator. */
int davy_parse_u64(const char *prog, const char *opt, const char *s, uint64_t min,
		   uint64_t max, bool suffix, uint64_t *out);

/* A name (a key prefix, a group): 1 to max printable characters without
 * spaces. Returns 0, or -1 after a message naming PROG and OPT. */
int davy_check_name(const char *prog, const char *opt, const char *s, size_t max);

/* Replays the configured files, or captures the configured interfaces
 * until SIGINT/SIGTERM. Returns an exit status. */
int davy_run(const struct davy_config *cfg);

#endif
