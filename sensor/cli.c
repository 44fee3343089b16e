/* cli.c - command-line options into a struct davy_config. */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ndpi_api.h>
#include <pcap/pcap.h>

#include "davy.h"

static const char usage[] =
"usage: davy -r FILE [-r FILE ...] [options] [BPF filter expression]\n"
"       davy correlate --redis URL [options]   (see davy correlate --help)\n"
"\n"
"Replays pcap/pcapng captures, tracks bidirectional flows, classifies them\n"
"with nDPI and writes one EVE-style JSON record per flow, then one stats\n"
"record. Several -r files are replayed in order as one timeline.\n"
"\n"
"Input and output:\n"
"  -r, --read FILE          capture to replay (pcap or pcapng, any link type\n"
"                           libpcap reads); repeatable; '-' is standard input\n"
"  -o, --output FILE        where records go; '-' is stdout, the default\n"
"                           unless --redis is given\n"
"  BPF filter expression    trailing arguments, as for tcpdump, e.g. 'tcp port 443'\n"
"\n"
"Processing:\n"
"      --workers N          worker threads (default: cores - 1, at least 1)\n"
"      --max-flows N        flows tracked at once, all workers together\n"
"                           (default 1000000); beyond it the least recently\n"
"                           used flow is written with reason 'evicted'\n"
"      --timeout G.S=SEC    idle timeout of protocol group G (tcp, udp, icmp,\n"
"                           other) in state S (new, established, closed);\n"
"                           repeatable. Defaults: tcp 60/600/60, udp 30/300,\n"
"                           icmp 30/300, other 30/300\n"
"      --ndpi-packets N     packets given to nDPI per flow before it gives up\n"
"                           (default 24, at most 255)\n"
"      --ring-size BYTES    each worker's input queue (default 16M; K, M, G)\n"
"      --sensor-name NAME   sensor.name in records (default: $NODE_NAME, else\n"
"                           the host name)\n"
"\n"
"Overlays (the flow is the innermost one; see docs/DESIGN.md):\n"
"      --vxlan-ports LIST   UDP destination ports that carry VXLAN\n"
"                           (default 4789,8472; '' for none)\n"
"      --geneve-ports LIST  UDP ports that carry Geneve (default 6081)\n"
"      --gre-udp-ports LIST UDP ports that carry GRE-in-UDP (default 4754)\n"
"      --tunnel-depth N     tunnel layers unwrapped (default 4, at most 8);\n"
"                           deeper packets are counted as too_many_layers\n"
"      --defrag-datagrams N IP datagrams in reassembly at once (default 256;\n"
"                           64 KiB each at most); the oldest is dropped\n"
"      --defrag-timeout SEC packet time a datagram may take to complete\n"
"                           (default 60)\n"
"      --report-tunnel-carriers  also report the outermost carrier of each\n"
"                           tunnel (the UDP 4789 stream, the GRE or IP-in-IP\n"
"                           packets) as a flow of its own (default: off)\n"
"\n"
"Redis (see docs/DESIGN.md, \"Redis output\"):\n"
"      --redis URL          also publish every record to Redis Streams:\n"
"                           redis://[[user]:password@]host[:port][/db] or\n"
"                           unix:///path/to/socket[?db=N] (default:\n"
"                           $DAVY_REDIS_URL). Records then go only to Redis\n"
"                           unless -o is given\n"
"      --redis-prefix P     stream names P:flow, P:alert, P:stats; alerts are\n"
"                           also published on P:alerts (default davy)\n"
"      --redis-maxlen N     XADD MAXLEN ~ N (default 1000000; 0: no trimming)\n"
"      --redis-queue BYTES  records waiting for Redis (default 256M; K, M, G)\n"
"      --redis-queue-full wait|drop  when that queue is full: wait (the\n"
"                           default for replay: nothing is lost) or drop and\n"
"                           count (live capture: never block)\n"
"      --redis-timeout SEC  give up after SEC seconds without delivery while\n"
"                           records wait, naming what was not delivered, and\n"
"                           exit 2 (default 60; 0: wait forever)\n"
"\n"
"Mining detection (see docs/signatures.md):\n"
"      --flow-update-interval SEC  also write a flow record (flow.reason\n"
"                           \"update\") every SEC seconds of packet time while\n"
"                           a flow is open (default 300; 0: never)\n"
"      --stratum-flows N    Stratum candidate flows parsed at once, all workers\n"
"                           together (default 16384); more are counted\n"
"      --reassembly-memory BYTES  out-of-order TCP bytes buffered, all workers\n"
"                           together (default 64M; K, M, G)\n"
"\n"
"Alerts (see docs/signatures.md):\n"
"      --alert-rate-limit N[/SEC]  at most N alerts per source address in each\n"
"                           SEC seconds of packet time (default 100/60; SEC\n"
"                           defaults to 60); the rest are counted in\n"
"                           stats.alerts.rate_limited. 0 turns the limit off\n"
"      --alert-rate-sources N  sources the limit tracks at once (default 65536);\n"
"                           beyond it alerts pass and are counted\n"
"\n"
"Indicators (see iocs/README.md):\n"
"      --iocs PATH          a feed file, or a folder of them (plain or Zeek Intel\n"
"                           format); repeatable; default: the shipped feeds,\n"
"                           " DAVY_IOCS_DIR "\n"
"      --no-iocs            load no feed\n"
"      --iocs-check-interval SEC  reload every feed when one of the --iocs files\n"
"                           changed, checked every SEC seconds (default 10; 0:\n"
"                           only on SIGHUP). SIGHUP always reloads; a failed\n"
"                           reload keeps the previous indicators\n"
"\n"
"Enrichment (see docs/records.md, \"geo\"):\n"
"      --geoip PATH         a GeoLite2/GeoIP2 City or Country database, or any\n"
"                           MMDB of that layout (DB-IP lite): public endpoints\n"
"                           get geo.src/geo.dest country and city\n"
"      --asn PATH           a GeoLite2-ASN layout database: asn and as_org\n"
"      --geo-check-interval SEC  reopen the databases when a file changed,\n"
"                           checked every SEC seconds (default 300; 0: only on\n"
"                           SIGHUP). SIGHUP always reopens them\n"
"      --alert-countries CC[,CC...]  alert (policy, sid 4960201) on a flow with\n"
"                           an endpoint in one of these countries (ISO 3166-1\n"
"                           alpha-2 codes; needs --geoip). Default: off\n"
"      --pods PATH          the output of `kubectl get pods -A -o json`: pod\n"
"                           addresses get k8s.src/k8s.dest (namespace, pod,\n"
"                           node, app, service_account, images, owner)\n"
"      --pods-check-interval SEC  reread --pods when it changed, checked every\n"
"                           SEC seconds (default 5; 0: only on SIGHUP); a\n"
"                           reread that fails keeps the previous pods\n"
"\n"
"DNS linkage (a connection to an address a DNS answer named carries the name):\n"
"      --dns-cache-size N   addresses remembered (default 8192; each worker keeps\n"
"                           a replica of about 540 bytes per entry); 0 turns\n"
"                           DNS linkage off\n"
"      --dns-min-ttl SEC    keep an answer at least this long whatever its TTL\n"
"                           (default 300; at most a day)\n"
"\n"
"Messages:\n"
"      --progress           always show the progress line on stderr\n"
"      --no-progress        never show it (default: shown when stderr is a\n"
"                           terminal and every input is a regular file)\n"
"  -q, --quiet              no summary line at the end\n"
"  -h, --help               this text\n"
"  -V, --version            the version, and the libraries in use\n"
"\n"
"Exit status: 0 done; 1 done, but some input was damaged; 2 could not run.\n";

enum {
	OPT_WORKERS = 256, OPT_MAX_FLOWS, OPT_TIMEOUT, OPT_NDPI_PKTS, OPT_RING, OPT_SENSOR,
	OPT_PROGRESS, OPT_NO_PROGRESS, OPT_VXLAN, OPT_GENEVE, OPT_GRE_UDP, OPT_TUN_DEPTH,
	OPT_CARRIERS, OPT_DF_MAX, OPT_DF_TIMEOUT, OPT_FLOW_UPDATE, OPT_STRATUM_FLOWS,
	OPT_REASM_MEM, OPT_DNS_CACHE, OPT_DNS_MIN_TTL, OPT_IOCS, OPT_NO_IOCS, OPT_IOCS_CHECK, OPT_ALERT_RATE, OPT_ALERT_RATE_SOURCES,
	OPT_GEOIP, OPT_ASN, OPT_GEO_CHECK, OPT_ALERT_COUNTRIES, OPT_PODS, OPT_PODS_CHECK, OPT_REDIS, OPT_REDIS_PREFIX, OPT_REDIS_MAXLEN, OPT_REDIS_QUEUE, OPT_REDIS_FULL, OPT_REDIS_TIMEOUT,
};

static const struct option longopts[] = {
	{ "read", required_argument, NULL, 'r' },
	{ "output", required_argument, NULL, 'o' },
	{ "workers", required_argument, NULL, OPT_WORKERS },
	{ "max-flows", required_argument, NULL, OPT_MAX_FLOWS },
	{ "timeout", required_argument, NULL, OPT_TIMEOUT },
	{ "ndpi-packets", required_argument, NULL, OPT_NDPI_PKTS },
	{ "ring-size", required_argument, NULL, OPT_RING },
	{ "sensor-name", required_argument, NULL, OPT_SENSOR },
	{ "vxlan-ports", required_argument, NULL, OPT_VXLAN },
	{ "geneve-ports", required_argument, NULL, OPT_GENEVE },
	{ "gre-udp-ports", required_argument, NULL, OPT_GRE_UDP },
	{ "tunnel-depth", required_argument, NULL, OPT_TUN_DEPTH },
	{ "report-tunnel-carriers", no_argument, NULL, OPT_CARRIERS },
	{ "defrag-datagrams", required_argument, NULL, OPT_DF_MAX },
	{ "defrag-timeout", required_argument, NULL, OPT_DF_TIMEOUT },
	{ "flow-update-interval", required_argument, NULL, OPT_FLOW_UPDATE },
	{ "stratum-flows", required_argument, NULL, OPT_STRATUM_FLOWS },
	{ "reassembly-memory", required_argument, NULL, OPT_REASM_MEM },
	{ "iocs", required_argument, NULL, OPT_IOCS },
	{ "no-iocs", no_argument, NULL, OPT_NO_IOCS },
	{ "iocs-check-interval", required_argument, NULL, OPT_IOCS_CHECK },
	{ "alert-rate-limit", required_argument, NULL, OPT_ALERT_RATE },
	{ "alert-rate-sources", required_argument, NULL, OPT_ALERT_RATE_SOURCES },
	{ "dns-cache-size", required_argument, NULL, OPT_DNS_CACHE },
	{ "dns-min-ttl", required_argument, NULL, OPT_DNS_MIN_TTL },
	{ "geoip", required_argument, NULL, OPT_GEOIP },
	{ "asn", required_argument, NULL, OPT_ASN },
	{ "geo-check-interval", required_argument, NULL, OPT_GEO_CHECK },
	{ "alert-countries", required_argument, NULL, OPT_ALERT_COUNTRIES },
	{ "pods", required_argument, NULL, OPT_PODS },
	{ "pods-check-interval", required_argument, NULL, OPT_PODS_CHECK },
	{ "redis", required_argument, NULL, OPT_REDIS },
	{ "redis-prefix", required_argument, NULL, OPT_REDIS_PREFIX },
	{ "redis-maxlen", required_argument, NULL, OPT_REDIS_MAXLEN },
	{ "redis-queue", required_argument, NULL, OPT_REDIS_QUEUE },
	{ "redis-queue-full", required_argument, NULL, OPT_REDIS_FULL },
	{ "redis-timeout", required_argument, NULL, OPT_REDIS_TIMEOUT },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ NULL, 0, NULL, 0 },
};

void davy_config_default(struct davy_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	cfg->workers = cores > 1 ? (unsigned)(cores - 1) : 1;
	if (cfg->workers > DAVY_MAX_WORKERS)
		cfg->workers = DAVY_MAX_WORKERS;
	cfg->max_flows = 1000000;
	cfg->ndpi_max_pkts = 24;
	cfg->ring_bytes = 16u << 20;
	cfg->progress = -1;
	flow_timeouts_default(&cfg->timeouts);
	cfg->decode = *decode_cfg_default();
	defrag_cfg_default(&cfg->defrag);
	cfg->flow_update_us = 300 * 1000000ULL;
	cfg->stratum_flows = 16384;
	cfg->reasm_bytes = 64u << 20;
	cfg->dns_cache_entries = 8192;
	cfg->dns_min_ttl = 300;
	cfg->iocs_check_s = 10;
	cfg->geo_check_s = 300;
	cfg->pods_check_s = 5;
	cfg->alert_rate_limit = 100;
	cfg->alert_rate_window_us = 60 * 1000000ULL;
	cfg->alert_rate_sources = 65536;
	snprintf(cfg->redis_prefix, sizeof(cfg->redis_prefix), "davy");
	cfg->redis_maxlen = 1000000;
	cfg->redis_queue_bytes = 256u << 20;
	cfg->redis_timeout_s = 60;
}

/* --alert-countries: comma-separated ISO 3166-1 alpha-2 codes, any case;
 * repeatable (the lists add up). */
static int parse_countries(struct davy_config *cfg, const char *arg)
{
	const char *p = arg;
	for (;;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		char cc[3] = { 0 };
		if (n == 2) {
			cc[0] = (char)toupper((unsigned char)p[0]);
			cc[1] = (char)toupper((unsigned char)p[1]);
		}
		if (n != 2 || cc[0] < 'A' || cc[0] > 'Z' || cc[1] < 'A' || cc[1] > 'Z') {
			fprintf(stderr, "davy: --alert-countries '%s': '%.*s' is not a two-letter country code (ISO 3166-1 alpha-2, e.g. KP,IR)\n",
				arg, (int)(n > 16 ? 16 : n), p);
			return -1;
		}
		unsigned b = (unsigned)(cc[0] - 'A') * 26u + (unsigned)(cc[1] - 'A');
		cfg->alert_countries[b >> 3] |= (uint8_t)(1u << (b & 7));
		cfg->alert_countries_on = true;
		if (!e)
			return 0;
		p = e + 1;
	}
}

/* A Redis URL into cfg; what names it (the option or the variable) goes
 * into the message. */
static int set_redis_url(struct davy_config *cfg, const char *what, const char *url)
{
	char err[512];
	if (redis_url_parse(&cfg->redis, url, err, sizeof(err)) != 0) {
		fprintf(stderr, "davy: %s: %s\n", what, err);
		return -1;
	}
	cfg->redis_on = true;
	return 0;
}

/* The sensor's own messages start "davy: ". */
static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, bool suffix,
		     uint64_t *out)
{
	return davy_parse_u64("davy", opt, s, min, max, suffix, out);
}

/* A comma-separated list of 1 to DAVY_MAX_PORTS ports, or '' for none. */
static int parse_ports(const char *opt, const char *s, uint16_t *ports, uint8_t *n)
{
	uint8_t k = 0;
	const char *p = s;
	while (*p) {
		char num[8];
		size_t len = strcspn(p, ",");
		uint64_t v;
		if (len == 0 || len >= sizeof(num) || k >= DAVY_MAX_PORTS)
			goto bad;
		memcpy(num, p, len);
		num[len] = 0;
		if (parse_u64(opt, num, 1, 65535, false, &v) != 0)
			return -1;
		ports[k++] = (uint16_t)v;
		p += len;
		if (*p == ',' && *++p == 0)
			goto bad;
	}
	*n = k;
	return 0;
bad:
	fprintf(stderr, "davy: option %s: '%s' is not a list of up to %d ports like 4789,8472\n",
		opt, s, DAVY_MAX_PORTS);
	return -1;
}

int davy_parse_u64(const char *prog, const char *opt, const char *s, uint64_t min,
		   uint64_t max, bool suffix, uint64_t *out)
{
	char *end;
	errno = 0;
	if (!*s || *s == '-')
		goto bad;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		goto bad;
	if (suffix && *end) {
		unsigned shift = *end == 'K' || *end == 'k' ? 10 : *end == 'M' || *end == 'm' ? 20
			       : *end == 'G' || *end == 'g' ? 30 : 64;
		if (shift == 64 || end[1] || v > (UINT64_MAX >> shift))
			goto bad;
		v <<= shift;
		end++;
	}
	if (*end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "%s: option %s: '%s' is not a number from %" PRIu64 " to %" PRIu64 "%s\n",
		prog, opt, s, min, max, suffix ? " (K, M, G suffixes allowed)" : "");
	return -1;
}

int davy_check_name(const char *prog, const char *opt, const char *s, size_t max)
{
	size_t n = strlen(s);
	bool ok = n > 0 && n <= max;
	for (size_t i = 0; ok && i < n; i++)
		ok = isgraph((unsigned char)s[i]);
	if (!ok)
		fprintf(stderr, "%s: option %s: '%s' must be 1 to %zu printable characters "
			"without spaces\n", prog, opt, s, max);
	return ok ? 0 : -1;
}

static int parse_timeout(struct davy_config *cfg, const char *s)
{
	static const char *const groups[FLOW__PGROUPS] = { "tcp", "udp", "icmp", "other" };
	static const char *const states[FLOW__STATES] = { "new", "established", "closed" };
	const char *dot = strchr(s, '.'), *eq = strchr(s, '=');
	if (dot && eq && dot < eq) {
		for (int g = 0; g < FLOW__PGROUPS; g++) {
			if (strlen(groups[g]) != (size_t)(dot - s) || strncmp(s, groups[g], (size_t)(dot - s)))
				continue;
			for (int st = 0; st < FLOW__STATES; st++) {
				if (strlen(states[st]) != (size_t)(eq - dot - 1) ||
				    strncmp(dot + 1, states[st], (size_t)(eq - dot - 1)))
					continue;
				uint64_t v;
				if (parse_u64("--timeout", eq + 1, 0, 86400 * 7, false, &v) != 0)
					return -1;
				cfg->timeouts.s[g][st] = (uint32_t)v;
				return 0;
			}
		}
	}
	fprintf(stderr, "davy: option --timeout: '%s' is not GROUP.STATE=SECONDS "
			"(GROUP: tcp, udp, icmp, other; STATE: new, established, closed)\n", s);
	return -1;
}

static void version(void)
{
	printf("davy %s\n%s\nnDPI %s\nhiredis %d.%d.%d\n", DAVY_VERSION, pcap_lib_version(),
	       ndpi_revision(), HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH);
}

int davy_cli_parse(struct davy_config *cfg, int argc, char **argv)
{
	int c;
	uint64_t v;
	opterr = 0;
	/* '+': stop at the first non-option, which starts the BPF expression */
	while ((c = getopt_long(argc, argv, "+r:o:qhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (cfg->nfiles >= DAVY_MAX_FILES) {
				fprintf(stderr, "davy: option -r: more than %d files\n", DAVY_MAX_FILES);
				return DAVY_EXIT_FATAL;
			}
			cfg->files[cfg->nfiles++] = optarg;
			break;
		case 'o':
			cfg->out_path = optarg;
			break;
		case OPT_WORKERS:
			if (parse_u64("--workers", optarg, 1, DAVY_MAX_WORKERS, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->workers = (unsigned)v;
			break;
		case OPT_MAX_FLOWS:
			if (parse_u64("--max-flows", optarg, 1, 1ULL << 32, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->max_flows = v;
			break;
		case OPT_TIMEOUT:
			if (parse_timeout(cfg, optarg))
				return DAVY_EXIT_FATAL;
			break;
		case OPT_NDPI_PKTS:
			if (parse_u64("--ndpi-packets", optarg, 1, 255, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->ndpi_max_pkts = (unsigned)v;
			break;
		case OPT_RING:
			if (parse_u64("--ring-size", optarg, 1u << 20, 1ULL << 32, true, &v))
				return DAVY_EXIT_FATAL;
			cfg->ring_bytes = (size_t)v;
			break;
		case OPT_SENSOR:
			if (!*optarg || strlen(optarg) >= sizeof(cfg->sensor_name)) {
				fprintf(stderr, "davy: option --sensor-name: must be 1 to %zu characters\n",
					sizeof(cfg->sensor_name) - 1);
				return DAVY_EXIT_FATAL;
			}
			snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "%s", optarg);
			break;
		case OPT_VXLAN:
			if (parse_ports("--vxlan-ports", optarg, cfg->decode.vxlan_ports,
					&cfg->decode.n_vxlan_ports))
				return DAVY_EXIT_FATAL;
			break;
		case OPT_GENEVE:
			if (parse_ports("--geneve-ports", optarg, cfg->decode.geneve_ports,
					&cfg->decode.n_geneve_ports))
				return DAVY_EXIT_FATAL;
			break;
		case OPT_GRE_UDP:
			if (parse_ports("--gre-udp-ports", optarg, cfg->decode.gre_udp_ports,
					&cfg->decode.n_gre_udp_ports))
				return DAVY_EXIT_FATAL;
			break;
		case OPT_TUN_DEPTH:
			if (parse_u64("--tunnel-depth", optarg, 0, DAVY_MAX_TUNNELS, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->decode.max_tunnels = (uint8_t)v;
			break;
		case OPT_DF_MAX:
			if (parse_u64("--defrag-datagrams", optarg, 1, 1u << 20, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->defrag.max_datagrams = (uint32_t)v;
			break;
		case OPT_DF_TIMEOUT:
			if (parse_u64("--defrag-timeout", optarg, 1, 3600, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->defrag.timeout_s = (uint32_t)v;
			break;
		case OPT_FLOW_UPDATE:
			if (parse_u64("--flow-update-interval", optarg, 0, 86400 * 365, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->flow_update_us = v * 1000000ULL;
			break;
		case OPT_STRATUM_FLOWS:
			if (parse_u64("--stratum-flows", optarg, 1, 1u << 24, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->stratum_flows = v;
			break;
		case OPT_REASM_MEM:
			if (parse_u64("--reassembly-memory", optarg, 64u << 10, 64ULL << 30, true, &v))
				return DAVY_EXIT_FATAL;
			cfg->reasm_bytes = (size_t)v;
			break;
		case OPT_IOCS:
			if (cfg->nioc_paths >= DAVY_MAX_IOC_PATHS) {
				fprintf(stderr, "davy: option --iocs: more than %d paths\n",
					DAVY_MAX_IOC_PATHS);
				return DAVY_EXIT_FATAL;
			}
			cfg->ioc_paths[cfg->nioc_paths++] = optarg;
			break;
		case OPT_NO_IOCS:
			cfg->no_iocs = true;
			break;
		case OPT_ALERT_RATE: {
			/* N, N/SECONDS, or 0 (off) */
			char num[24];
			const char *slash = strchr(optarg, '/');
			size_t nl = slash ? (size_t)(slash - optarg) : strlen(optarg);
			if (nl == 0 || nl >= sizeof(num)) {
				fprintf(stderr, "davy: option --alert-rate-limit: '%s' is not N or N/SECONDS\n",
					optarg);
				return DAVY_EXIT_FATAL;
			}
			memcpy(num, optarg, nl);
			num[nl] = 0;
			if (parse_u64("--alert-rate-limit", num, 0, 1000000000, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->alert_rate_limit = (uint32_t)v;
			if (slash) {
				if (parse_u64("--alert-rate-limit (seconds)", slash + 1, 1, 86400 * 7, false,
					      &v))
					return DAVY_EXIT_FATAL;
				cfg->alert_rate_window_us = v * 1000000ULL;
			}
			break;
		}
		case OPT_ALERT_RATE_SOURCES:
			if (parse_u64("--alert-rate-sources", optarg, 4, 1u << 26, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->alert_rate_sources = v;
			break;
		case OPT_IOCS_CHECK:
			if (parse_u64("--iocs-check-interval", optarg, 0, 86400, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->iocs_check_s = (uint32_t)v;
			break;
		case OPT_DNS_CACHE:
			if (parse_u64("--dns-cache-size", optarg, 0, 1u << 24, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->dns_cache_entries = v;
			break;
		case OPT_DNS_MIN_TTL:
			if (parse_u64("--dns-min-ttl", optarg, 0, 86400, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->dns_min_ttl = (uint32_t)v;
			break;
		case OPT_GEOIP:
			cfg->geoip_path = optarg;
			break;
		case OPT_ASN:
			cfg->asn_path = optarg;
			break;
		case OPT_GEO_CHECK:
			if (parse_u64("--geo-check-interval", optarg, 0, 86400, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->geo_check_s = (uint32_t)v;
			break;
		case OPT_ALERT_COUNTRIES:
			if (parse_countries(cfg, optarg) != 0)
				return DAVY_EXIT_FATAL;
			break;
		case OPT_PODS:
			cfg->pods_path = optarg;
			break;
		case OPT_PODS_CHECK:
			if (parse_u64("--pods-check-interval", optarg, 0, 86400, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->pods_check_s = (uint32_t)v;
			break;
		case OPT_REDIS:
			if (set_redis_url(cfg, "option --redis", optarg) != 0)
				return DAVY_EXIT_FATAL;
			break;
		case OPT_REDIS_PREFIX:
			if (davy_check_name("davy", "--redis-prefix", optarg,
					    sizeof(cfg->redis_prefix) - 1) != 0)
				return DAVY_EXIT_FATAL;
			snprintf(cfg->redis_prefix, sizeof(cfg->redis_prefix), "%s", optarg);
			break;
		case OPT_REDIS_MAXLEN:
			if (parse_u64("--redis-maxlen", optarg, 0, 1ULL << 40, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->redis_maxlen = v;
			break;
		case OPT_REDIS_QUEUE:
			if (parse_u64("--redis-queue", optarg, 1u << 20, 64ULL << 30, true, &v))
				return DAVY_EXIT_FATAL;
			cfg->redis_queue_bytes = (size_t)v;
			break;
		case OPT_REDIS_FULL:
			if (strcmp(optarg, "wait") == 0)
				cfg->redis_drop = false;
			else if (strcmp(optarg, "drop") == 0)
				cfg->redis_drop = true;
			else {
				fprintf(stderr, "davy: option --redis-queue-full: '%s' is neither "
					"'wait' nor 'drop'\n", optarg);
				return DAVY_EXIT_FATAL;
			}
			break;
		case OPT_REDIS_TIMEOUT:
			if (parse_u64("--redis-timeout", optarg, 0, 86400 * 7, false, &v))
				return DAVY_EXIT_FATAL;
			cfg->redis_timeout_s = (uint32_t)v;
			break;
		case OPT_CARRIERS:
			cfg->report_carriers = true;
			break;
		case OPT_PROGRESS:
			cfg->progress = 1;
			break;
		case OPT_NO_PROGRESS:
			cfg->progress = 0;
			break;
		case 'q':
			cfg->quiet = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return DAVY_EXIT_OK;
		case 'V':
			version();
			return DAVY_EXIT_OK;
		case ':':
			fprintf(stderr, "davy: option %s needs a value (see davy --help)\n",
				argv[optind - 1]);
			return DAVY_EXIT_FATAL;
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "davy: unknown option '-%c' (see davy --help)\n", optopt);
			else
				fprintf(stderr, "davy: unknown option '%s' (see davy --help)\n",
					argv[optind - 1]);
			return DAVY_EXIT_FATAL;
		}
	}

	if (!cfg->redis_on) {
		const char *env = getenv("DAVY_REDIS_URL");
		if (env && *env && set_redis_url(cfg, "DAVY_REDIS_URL", env) != 0)
			return DAVY_EXIT_FATAL;
	}

	if (cfg->alert_countries_on && !cfg->geoip_path) {
		fprintf(stderr, "davy: option --alert-countries needs a country database: --geoip PATH\n");
		return DAVY_EXIT_FATAL;
	}

	if (cfg->nfiles == 0) {
		fprintf(stderr, "davy: nothing to read: give a capture with -r FILE (see davy --help)\n");
		return DAVY_EXIT_FATAL;
	}
	unsigned stdin_n = 0;
	for (unsigned i = 0; i < cfg->nfiles; i++)
		stdin_n += strcmp(cfg->files[i], "-") == 0;
	if (stdin_n > 1) {
		fprintf(stderr, "davy: option -r: standard input ('-') can be read only once\n");
		return DAVY_EXIT_FATAL;
	}

	if (optind < argc) {
		size_t len = 0;
		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		cfg->bpf = malloc(len);
		if (!cfg->bpf)
			return DAVY_EXIT_FATAL;
		cfg->bpf[0] = 0;
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(cfg->bpf, " ");
			strcat(cfg->bpf, argv[i]);
		}
	}

	if (!cfg->sensor_name[0]) {
		const char *nn = getenv("NODE_NAME");
		if (nn && *nn)
			snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "%s", nn);
		else if (gethostname(cfg->sensor_name, sizeof(cfg->sensor_name) - 1) != 0)
			snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "unknown");
	}
	return -1;
}
