/* cli.c - command-line options into a struct davy_config, and the option
 * table and setter the configuration file shares (config.h). */
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
#include <yaml.h>

#include "config.h"
#include "davy.h"

static const char usage[] =
"usage: davy -r FILE [-r FILE ...] [options] [BPF filter expression]\n"
"       davy -i IFACE [-i IFACE ...] [options] [BPF filter expression]\n"
"       davy correlate --redis URL [options]   (see davy correlate --help)\n"
"\n"
"Replays pcap/pcapng captures or captures live, tracks bidirectional flows,\n"
"classifies them with nDPI and writes one EVE-style JSON record per flow and\n"
"alert, then one stats record. Several -r files are replayed in order as one\n"
"timeline; live capture runs until SIGINT or SIGTERM.\n"
"\n"
"Input and output:\n"
"  -r, --read FILE          capture to replay (pcap or pcapng, any link type\n"
"                           libpcap reads); repeatable; '-' is standard input\n"
"  -i, --interface IFACE    capture live on IFACE (libpcap); repeatable, one\n"
"                           capture thread each. 'auto': those of cni0, cbr0,\n"
"                           flannel.1, vxlan.calico, cilium_vxlan,\n"
"                           genev_sys_6081 that exist, and the default\n"
"                           route's interface (logged at start)\n"
"      --no-promisc         do not put the interfaces in promiscuous mode\n"
"      --snaplen N          bytes kept of each packet (default 262144)\n"
"      --buffer-size BYTES  kernel capture buffer per interface (default 64M;\n"
"                           K, M, G)\n"
"  -o, --output FILE        where records go; '-' is stdout, the default\n"
"                           unless --redis is given\n"
"  BPF filter expression    trailing arguments, as for tcpdump, e.g. 'tcp port 443'\n"
"\n"
"Configuration file (see README.md, \"Configuration file\"):\n"
"  -c, --config FILE        read settings from a YAML file: keys are the long\n"
"                           option names (workers: 4, iocs: [a, b], filter:\n"
"                           'tcp port 3333'); the command line overrides it,\n"
"                           and a repeatable option given there replaces the\n"
"                           file's list\n"
"      --print-config       print the settings in effect (file and command\n"
"                           line) as such a file, and exit; a Redis password\n"
"                           is printed as ***\n"
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
"Running (see README.md, \"Live capture\"):\n"
"      --shutdown-timeout SEC  on SIGINT/SIGTERM, time allowed to deliver the\n"
"                           queued records (default 10); what is left is\n"
"                           counted and named\n"
"      --stats-interval SEC also write a stats record every SEC seconds\n"
"                           (default 0: only at the end; SIGUSR1: one now)\n"
"      --metrics ADDR:PORT  serve Prometheus /metrics and /healthz (e.g.\n"
"                           127.0.0.1:9477, [::]:9477)\n"
"      --user NAME          after opening the capture, run as NAME with no\n"
"                           capabilities (default: nobody when live capture\n"
"                           starts as root; 'root' keeps root)\n"
"      --group NAME         and as group NAME (default: NAME's group)\n"
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


/* Every setting, in --help's order (config.h). */
const struct davy_option davy_options[] = {
	{ "read", required_argument, 'r', DAVY_OPT_LIST },
	{ "interface", required_argument, 'i', DAVY_OPT_LIST },
	{ "no-promisc", no_argument, DAVY_O_NO_PROMISC, 0 },
	{ "snaplen", required_argument, DAVY_O_SNAPLEN, 0 },
	{ "buffer-size", required_argument, DAVY_O_BUFFER, 0 },
	{ "output", required_argument, 'o', 0 },
	/* the trailing arguments on the command line; a key only in the file */
	{ .name = "filter", .has_arg = required_argument, .id = DAVY_O_FILTER, .flags = DAVY_OPT_FILE },
	{ "config", required_argument, 'c', DAVY_OPT_CLI },
	{ "print-config", no_argument, DAVY_O_PRINT_CONFIG, DAVY_OPT_CLI },
	{ "workers", required_argument, DAVY_O_WORKERS, 0 },
	{ "max-flows", required_argument, DAVY_O_MAX_FLOWS, 0 },
	{ "timeout", required_argument, DAVY_O_TIMEOUT, DAVY_OPT_LIST },
	{ "ndpi-packets", required_argument, DAVY_O_NDPI_PKTS, 0 },
	{ "ring-size", required_argument, DAVY_O_RING, 0 },
	{ "sensor-name", required_argument, DAVY_O_SENSOR, 0 },
	{ "vxlan-ports", required_argument, DAVY_O_VXLAN, 0 },
	{ "geneve-ports", required_argument, DAVY_O_GENEVE, 0 },
	{ "gre-udp-ports", required_argument, DAVY_O_GRE_UDP, 0 },
	{ "tunnel-depth", required_argument, DAVY_O_TUN_DEPTH, 0 },
	{ "defrag-datagrams", required_argument, DAVY_O_DF_MAX, 0 },
	{ "defrag-timeout", required_argument, DAVY_O_DF_TIMEOUT, 0 },
	{ "report-tunnel-carriers", no_argument, DAVY_O_CARRIERS, 0 },
	{ "redis", required_argument, DAVY_O_REDIS, 0 },
	{ "redis-prefix", required_argument, DAVY_O_REDIS_PREFIX, 0 },
	{ "redis-maxlen", required_argument, DAVY_O_REDIS_MAXLEN, 0 },
	{ "redis-queue", required_argument, DAVY_O_REDIS_QUEUE, 0 },
	{ "redis-queue-full", required_argument, DAVY_O_REDIS_FULL, 0 },
	{ "redis-timeout", required_argument, DAVY_O_REDIS_TIMEOUT, 0 },
	{ "flow-update-interval", required_argument, DAVY_O_FLOW_UPDATE, 0 },
	{ "stratum-flows", required_argument, DAVY_O_STRATUM_FLOWS, 0 },
	{ "reassembly-memory", required_argument, DAVY_O_REASM_MEM, 0 },
	{ "alert-rate-limit", required_argument, DAVY_O_ALERT_RATE, 0 },
	{ "alert-rate-sources", required_argument, DAVY_O_ALERT_RATE_SOURCES, 0 },
	{ "iocs", required_argument, DAVY_O_IOCS, DAVY_OPT_LIST },
	{ "no-iocs", no_argument, DAVY_O_NO_IOCS, 0 },
	{ "iocs-check-interval", required_argument, DAVY_O_IOCS_CHECK, 0 },
	{ "geoip", required_argument, DAVY_O_GEOIP, 0 },
	{ "asn", required_argument, DAVY_O_ASN, 0 },
	{ "geo-check-interval", required_argument, DAVY_O_GEO_CHECK, 0 },
	{ "alert-countries", required_argument, DAVY_O_ALERT_COUNTRIES, DAVY_OPT_LIST },
	{ "pods", required_argument, DAVY_O_PODS, 0 },
	{ "pods-check-interval", required_argument, DAVY_O_PODS_CHECK, 0 },
	{ "dns-cache-size", required_argument, DAVY_O_DNS_CACHE, 0 },
	{ "dns-min-ttl", required_argument, DAVY_O_DNS_MIN_TTL, 0 },
	{ "shutdown-timeout", required_argument, DAVY_O_SHUTDOWN_TIMEOUT, 0 },
	{ "stats-interval", required_argument, DAVY_O_STATS_INTERVAL, 0 },
	{ "metrics", required_argument, DAVY_O_METRICS, 0 },
	{ "user", required_argument, DAVY_O_USER, 0 },
	{ "group", required_argument, DAVY_O_GROUP, 0 },
	{ "progress", no_argument, DAVY_O_PROGRESS, 0 },
	{ "no-progress", no_argument, DAVY_O_NO_PROGRESS, 0 },
	{ "quiet", no_argument, 'q', 0 },
	{ "help", no_argument, 'h', DAVY_OPT_CLI },
	{ "version", no_argument, 'V', DAVY_OPT_CLI },
	{ NULL, 0, 0, 0 },
};

#define N_OPTIONS (sizeof(davy_options) / sizeof(davy_options[0]) - 1)

const struct davy_option *davy_option_find(const char *name)
{
	for (const struct davy_option *o = davy_options; o->name; o++)
		if (strcmp(o->name, name) == 0 || (o->id < 256 && name[0] == o->id && !name[1]))
			return o;
	return NULL;
}

const char *davy_option_short(const struct davy_option *o, char buf[2])
{
	if (o->id >= 256)
		return NULL;
	buf[0] = (char)o->id;
	buf[1] = 0;
	return buf;
}

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
	cfg->snaplen = 262144;
	cfg->buffer_bytes = 64u << 20;
	cfg->shutdown_timeout_s = 10;
}

/* kept strings: a list of blocks, each one string */
struct davy_kept {
	struct davy_kept *next;
	char s[];
};

const char *davy_config_keep(struct davy_config *cfg, const char *s, size_t n)
{
	struct davy_kept *k = malloc(sizeof(*k) + n + 1);
	if (!k)
		return NULL;
	memcpy(k->s, s, n);
	k->s[n] = 0;
	k->next = cfg->kept;
	cfg->kept = k;
	return k->s;
}

void davy_config_free(struct davy_config *cfg)
{
	while (cfg->kept) {
		struct davy_kept *k = cfg->kept;
		cfg->kept = k->next;
		free(k);
	}
	free(cfg->bpf);
	cfg->bpf = NULL;
}

/* An unsigned number in [min, max] (K/M/G with suffix); messages name
 * `where` ("option --workers", "davy.yaml:7: workers"). */
static int num_at(FILE *msg, const char *prog, const char *where, const char *s, uint64_t min,
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
	fprintf(msg, "%s: %s: '%s' is not a number from %" PRIu64 " to %" PRIu64 "%s\n",
		prog, where, s, min, max, suffix ? " (K, M, G suffixes allowed)" : "");
	return -1;
}

int davy_parse_u64(const char *prog, const char *opt, const char *s, uint64_t min,
		   uint64_t max, bool suffix, uint64_t *out)
{
	char where[128];
	snprintf(where, sizeof(where), "option %s", opt);
	return num_at(stderr, prog, where, s, min, max, suffix, out);
}

/* A name of 1 to max printable characters without spaces; messages name
 * `where`, as num_at's. */
static int name_at(FILE *msg, const char *prog, const char *where, const char *s, size_t max)
{
	size_t n = strlen(s);
	bool ok = n > 0 && n <= max;
	for (size_t i = 0; ok && i < n; i++)
		ok = isgraph((unsigned char)s[i]);
	if (ok)
		return 0;
	fprintf(msg, "%s: %s: '%s' must be 1 to %zu printable characters without spaces\n",
		prog, where, s, max);
	return -1;
}

int davy_check_name(const char *prog, const char *opt, const char *s, size_t max)
{
	char where[128];
	snprintf(where, sizeof(where), "option %s", opt);
	return name_at(stderr, prog, where, s, max);
}

/* --alert-countries: comma-separated ISO 3166-1 alpha-2 codes, any case;
 * repeatable (the lists add up). */
static int parse_countries(struct davy_config *cfg, const char *arg, const char *where, FILE *msg)
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
			fprintf(msg, "davy: %s: '%s': '%.*s' is not a two-letter country code (ISO 3166-1 alpha-2, e.g. KP,IR)\n",
				where, arg, (int)(n > 16 ? 16 : n), p);
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

/* A Redis URL into cfg; what names it (the option, the file's line or the
 * variable) goes into the message. */
static int set_redis_url(struct davy_config *cfg, const char *what, const char *url, FILE *msg)
{
	char err[512];
	if (redis_url_parse(&cfg->redis, url, err, sizeof(err)) != 0) {
		fprintf(msg, "davy: %s: %s\n", what, err);
		cfg->redis_on = false;
		return -1;
	}
	cfg->redis_on = true;
	return 0;
}

/* A comma-separated list of 1 to DAVY_MAX_PORTS ports, or '' for none. */
static int parse_ports(const char *where, FILE *msg, const char *s, uint16_t *ports, uint8_t *n)
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
		if (num_at(msg, "davy", where, num, 1, 65535, false, &v) != 0)
			return -1;
		ports[k++] = (uint16_t)v;
		p += len;
		if (*p == ',' && *++p == 0)
			goto bad;
	}
	*n = k;
	return 0;
bad:
	fprintf(msg, "davy: %s: '%s' is not a list of up to %d ports like 4789,8472\n",
		where, s, DAVY_MAX_PORTS);
	return -1;
}

static int parse_timeout(struct davy_config *cfg, const char *s, const char *where, FILE *msg)
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
				if (num_at(msg, "davy", where, eq + 1, 0, 86400 * 7, false, &v) != 0)
					return -1;
				cfg->timeouts.s[g][st] = (uint32_t)v;
				return 0;
			}
		}
	}
	fprintf(msg, "davy: %s: '%s' is not GROUP.STATE=SECONDS "
		     "(GROUP: tcp, udp, icmp, other; STATE: new, established, closed)\n", where, s);
	return -1;
}

void davy_option_reset(struct davy_config *cfg, const struct davy_option *o)
{
	switch (o->id) {
	case 'r':
		cfg->nfiles = 0;
		break;
	case 'i':
		cfg->nifaces = 0;
		break;
	case DAVY_O_IOCS:
		cfg->nioc_paths = 0;
		break;
	case DAVY_O_TIMEOUT:
		flow_timeouts_default(&cfg->timeouts);
		break;
	case DAVY_O_ALERT_COUNTRIES:
		memset(cfg->alert_countries, 0, sizeof(cfg->alert_countries));
		cfg->alert_countries_on = false;
		break;
	default:
		break;
	}
}

int davy_option_apply(struct davy_config *cfg, const struct davy_option *o, const char *optarg,
		      const char *where, FILE *msg)
{
	uint64_t v;
#define NUM(min, max, suffix) \
	(num_at(msg, "davy", where, optarg, (min), (max), (suffix), &v) != 0)
	switch (o->id) {
	case 'r':
		if (cfg->nfiles >= DAVY_MAX_FILES) {
			fprintf(msg, "davy: %s: more than %d files\n", where, DAVY_MAX_FILES);
			return -1;
		}
		cfg->files[cfg->nfiles++] = optarg;
		break;
	case 'i':
		if (cfg->nifaces >= DAVY_MAX_IFACES) {
			fprintf(msg, "davy: %s: more than %d interfaces\n", where, DAVY_MAX_IFACES);
			return -1;
		}
		if (name_at(msg, "davy", where, optarg, 63))
			return -1;
		for (unsigned k = 0; k < cfg->nifaces; k++)
			if (strcmp(cfg->ifaces[k], optarg) == 0) {
				fprintf(msg, "davy: %s: interface '%s' given twice\n", where, optarg);
				return -1;
			}
		cfg->ifaces[cfg->nifaces++] = optarg;
		break;
	case DAVY_O_NO_PROMISC:
		cfg->no_promisc = true;
		break;
	case DAVY_O_SNAPLEN:
		if (NUM(96, 262144, false))
			return -1;
		cfg->snaplen = (uint32_t)v;
		break;
	case DAVY_O_BUFFER:
		if (NUM(1u << 20, 4ULL << 30, true))
			return -1;
		cfg->buffer_bytes = (size_t)v;
		break;
	case DAVY_O_SHUTDOWN_TIMEOUT:
		if (NUM(1, 3600, false))
			return -1;
		cfg->shutdown_timeout_s = (uint32_t)v;
		break;
	case DAVY_O_STATS_INTERVAL:
		if (NUM(0, 86400, false))
			return -1;
		cfg->stats_interval_s = (uint32_t)v;
		break;
	case DAVY_O_METRICS:
		if (!*optarg) {
			fprintf(msg, "davy: %s: give ADDR:PORT, e.g. 127.0.0.1:9477\n", where);
			return -1;
		}
		cfg->metrics_addr = optarg;
		break;
	case DAVY_O_USER:
		if (name_at(msg, "davy", where, optarg, 255))
			return -1;
		cfg->user = optarg;
		break;
	case DAVY_O_GROUP:
		if (name_at(msg, "davy", where, optarg, 255))
			return -1;
		cfg->group = optarg;
		break;
	case 'o':
		cfg->out_path = optarg;
		break;
	case DAVY_O_FILTER: {
		char *b = strdup(optarg);
		if (!b) {
			fprintf(msg, "davy: %s: out of memory\n", where);
			return -1;
		}
		free(cfg->bpf);
		cfg->bpf = b;
		break;
	}
	case DAVY_O_WORKERS:
		if (NUM(1, DAVY_MAX_WORKERS, false))
			return -1;
		cfg->workers = (unsigned)v;
		break;
	case DAVY_O_MAX_FLOWS:
		if (NUM(1, 1ULL << 32, false))
			return -1;
		cfg->max_flows = v;
		break;
	case DAVY_O_TIMEOUT:
		if (parse_timeout(cfg, optarg, where, msg))
			return -1;
		break;
	case DAVY_O_NDPI_PKTS:
		if (NUM(1, 255, false))
			return -1;
		cfg->ndpi_max_pkts = (unsigned)v;
		break;
	case DAVY_O_RING:
		if (NUM(1u << 20, 1ULL << 32, true))
			return -1;
		cfg->ring_bytes = (size_t)v;
		break;
	case DAVY_O_SENSOR:
		if (!*optarg || strlen(optarg) >= sizeof(cfg->sensor_name)) {
			fprintf(msg, "davy: %s: must be 1 to %zu characters\n", where,
				sizeof(cfg->sensor_name) - 1);
			return -1;
		}
		snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "%s", optarg);
		break;
	case DAVY_O_VXLAN:
		if (parse_ports(where, msg, optarg, cfg->decode.vxlan_ports,
				&cfg->decode.n_vxlan_ports))
			return -1;
		break;
	case DAVY_O_GENEVE:
		if (parse_ports(where, msg, optarg, cfg->decode.geneve_ports,
				&cfg->decode.n_geneve_ports))
			return -1;
		break;
	case DAVY_O_GRE_UDP:
		if (parse_ports(where, msg, optarg, cfg->decode.gre_udp_ports,
				&cfg->decode.n_gre_udp_ports))
			return -1;
		break;
	case DAVY_O_TUN_DEPTH:
		if (NUM(0, DAVY_MAX_TUNNELS, false))
			return -1;
		cfg->decode.max_tunnels = (uint8_t)v;
		break;
	case DAVY_O_DF_MAX:
		if (NUM(1, 1u << 20, false))
			return -1;
		cfg->defrag.max_datagrams = (uint32_t)v;
		break;
	case DAVY_O_DF_TIMEOUT:
		if (NUM(1, 3600, false))
			return -1;
		cfg->defrag.timeout_s = (uint32_t)v;
		break;
	case DAVY_O_FLOW_UPDATE:
		if (NUM(0, 86400 * 365, false))
			return -1;
		cfg->flow_update_us = v * 1000000ULL;
		break;
	case DAVY_O_STRATUM_FLOWS:
		if (NUM(1, 1u << 24, false))
			return -1;
		cfg->stratum_flows = v;
		break;
	case DAVY_O_REASM_MEM:
		if (NUM(64u << 10, 64ULL << 30, true))
			return -1;
		cfg->reasm_bytes = (size_t)v;
		break;
	case DAVY_O_IOCS:
		if (cfg->nioc_paths >= DAVY_MAX_IOC_PATHS) {
			fprintf(msg, "davy: %s: more than %d paths\n", where, DAVY_MAX_IOC_PATHS);
			return -1;
		}
		cfg->ioc_paths[cfg->nioc_paths++] = optarg;
		break;
	case DAVY_O_NO_IOCS:
		cfg->no_iocs = true;
		break;
	case DAVY_O_ALERT_RATE: {
		/* N, N/SECONDS, or 0 (off) */
		char num[24], secs[160];
		const char *slash = strchr(optarg, '/');
		size_t nl = slash ? (size_t)(slash - optarg) : strlen(optarg);
		if (nl == 0 || nl >= sizeof(num)) {
			fprintf(msg, "davy: %s: '%s' is not N or N/SECONDS\n", where, optarg);
			return -1;
		}
		memcpy(num, optarg, nl);
		num[nl] = 0;
		if (num_at(msg, "davy", where, num, 0, 1000000000, false, &v))
			return -1;
		cfg->alert_rate_limit = (uint32_t)v;
		if (slash) {
			snprintf(secs, sizeof(secs), "%s (seconds)", where);
			if (num_at(msg, "davy", secs, slash + 1, 1, 86400 * 7, false, &v))
				return -1;
			cfg->alert_rate_window_us = v * 1000000ULL;
		}
		break;
	}
	case DAVY_O_ALERT_RATE_SOURCES:
		if (NUM(4, 1u << 26, false))
			return -1;
		cfg->alert_rate_sources = v;
		break;
	case DAVY_O_IOCS_CHECK:
		if (NUM(0, 86400, false))
			return -1;
		cfg->iocs_check_s = (uint32_t)v;
		break;
	case DAVY_O_DNS_CACHE:
		if (NUM(0, 1u << 24, false))
			return -1;
		cfg->dns_cache_entries = v;
		break;
	case DAVY_O_DNS_MIN_TTL:
		if (NUM(0, 86400, false))
			return -1;
		cfg->dns_min_ttl = (uint32_t)v;
		break;
	case DAVY_O_GEOIP:
		cfg->geoip_path = optarg;
		break;
	case DAVY_O_ASN:
		cfg->asn_path = optarg;
		break;
	case DAVY_O_GEO_CHECK:
		if (NUM(0, 86400, false))
			return -1;
		cfg->geo_check_s = (uint32_t)v;
		break;
	case DAVY_O_ALERT_COUNTRIES:
		if (parse_countries(cfg, optarg, where, msg) != 0)
			return -1;
		break;
	case DAVY_O_PODS:
		cfg->pods_path = optarg;
		break;
	case DAVY_O_PODS_CHECK:
		if (NUM(0, 86400, false))
			return -1;
		cfg->pods_check_s = (uint32_t)v;
		break;
	case DAVY_O_REDIS:
		if (set_redis_url(cfg, where, optarg, msg) != 0)
			return -1;
		break;
	case DAVY_O_REDIS_PREFIX:
		if (name_at(msg, "davy", where, optarg, sizeof(cfg->redis_prefix) - 1))
			return -1;
		snprintf(cfg->redis_prefix, sizeof(cfg->redis_prefix), "%s", optarg);
		break;
	case DAVY_O_REDIS_MAXLEN:
		if (NUM(0, 1ULL << 40, false))
			return -1;
		cfg->redis_maxlen = v;
		break;
	case DAVY_O_REDIS_QUEUE:
		if (NUM(1u << 20, 64ULL << 30, true))
			return -1;
		cfg->redis_queue_bytes = (size_t)v;
		break;
	case DAVY_O_REDIS_FULL:
		if (strcmp(optarg, "wait") == 0)
			cfg->redis_drop = false;
		else if (strcmp(optarg, "drop") == 0)
			cfg->redis_drop = true;
		else {
			fprintf(msg, "davy: %s: '%s' is neither 'wait' nor 'drop'\n", where, optarg);
			return -1;
		}
		cfg->redis_full_given = true;
		break;
	case DAVY_O_REDIS_TIMEOUT:
		if (NUM(0, 86400 * 7, false))
			return -1;
		cfg->redis_timeout_s = (uint32_t)v;
		break;
	case DAVY_O_CARRIERS:
		cfg->report_carriers = true;
		break;
	case DAVY_O_PROGRESS:
		cfg->progress = 1;
		break;
	case DAVY_O_NO_PROGRESS:
		cfg->progress = 0;
		break;
	case 'q':
		cfg->quiet = true;
		break;
	default:
		fprintf(msg, "davy: %s: not a setting\n", where);
		return -1;
	}
#undef NUM
	return 0;
}

static void version(void)
{
	printf("davy %s\n%s\nnDPI %s\nhiredis %d.%d.%d\nlibyaml %s\n", DAVY_VERSION,
	       pcap_lib_version(), ndpi_revision(), HIREDIS_MAJOR, HIREDIS_MINOR, HIREDIS_PATCH,
	       yaml_get_version_string());
}

/* One option of the command line, kept until the file is read. */
struct cli_arg {
	const struct davy_option *o;
	const char *value;
	bool is_short;
};

/* Collects the options (-h and -V answer at once), reads the file of -c,
 * then applies the command line over it. */
static int cli_parse(struct davy_config *cfg, int argc, char **argv, struct cli_arg *args)
{
	struct option lo[N_OPTIONS + 1];
	size_t nlo = 0;
	for (const struct davy_option *o = davy_options; o->name; o++)
		if (!(o->flags & DAVY_OPT_FILE))
			lo[nlo++] = (struct option){ o->name, o->has_arg, NULL, o->id };
	lo[nlo] = (struct option){ NULL, 0, NULL, 0 };

	const char *config_path = NULL;
	bool print_config = false;
	int nargs = 0, c, li;
	opterr = 0;
	optind = 0; /* glibc: start afresh (the parser may run more than once) */
	/* '+': stop at the first non-option, which starts the BPF expression */
	while (li = -1, (c = getopt_long(argc, argv, "+r:i:o:c:qhV", lo, &li)) != -1) {
		switch (c) {
		case 'h':
			fputs(usage, stdout);
			return DAVY_EXIT_OK;
		case 'V':
			version();
			return DAVY_EXIT_OK;
		case 'c':
			if (config_path) {
				fprintf(stderr, "davy: option --config: given twice ('%s', '%s'); "
					"give one file\n", config_path, optarg);
				return DAVY_EXIT_FATAL;
			}
			config_path = optarg;
			break;
		case DAVY_O_PRINT_CONFIG:
			print_config = true;
			break;
		case ':':
			fprintf(stderr, "davy: option %s needs a value (see davy --help)\n",
				argv[optind - 1]);
			return DAVY_EXIT_FATAL;
		case '?':
			if (optopt && optopt < 256)
				fprintf(stderr, "davy: unknown option '-%c' (see davy --help)\n", optopt);
			else
				fprintf(stderr, "davy: unknown option '%s' (see davy --help)\n",
					argv[optind - 1]);
			return DAVY_EXIT_FATAL;
		default:
			for (const struct davy_option *o = davy_options; o->name; o++)
				if (o->id == c)
					args[nargs++] = (struct cli_arg){ o, optarg, li < 0 };
			break;
		}
	}

	if (config_path && config_load(cfg, config_path, stderr) != 0)
		return DAVY_EXIT_FATAL;

	/* the command line over the file: a list given here replaces the file's */
	bool listed[N_OPTIONS] = { false };
	for (int i = 0; i < nargs; i++) {
		const struct davy_option *o = args[i].o;
		size_t k = (size_t)(o - davy_options);
		char where[64];
		if ((o->flags & DAVY_OPT_LIST) && !listed[k]) {
			davy_option_reset(cfg, o);
			listed[k] = true;
		}
		if (args[i].is_short)
			snprintf(where, sizeof(where), "option -%c", o->id);
		else
			snprintf(where, sizeof(where), "option --%s", o->name);
		if (davy_option_apply(cfg, o, args[i].value, where, stderr) != 0)
			return DAVY_EXIT_FATAL;
	}

	if (optind < argc) {
		size_t len = 0;
		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		char *bpf = malloc(len);
		if (!bpf)
			return DAVY_EXIT_FATAL;
		bpf[0] = 0;
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(bpf, " ");
			strcat(bpf, argv[i]);
		}
		free(cfg->bpf);
		cfg->bpf = bpf;
	}

	if (!cfg->redis_on) {
		const char *env = getenv("DAVY_REDIS_URL");
		if (env && *env && set_redis_url(cfg, "DAVY_REDIS_URL", env, stderr) != 0)
			return DAVY_EXIT_FATAL;
	}

	if (cfg->alert_countries_on && !cfg->geoip_path) {
		fprintf(stderr, "davy: option --alert-countries needs a country database: --geoip PATH\n");
		return DAVY_EXIT_FATAL;
	}

	if (cfg->nfiles == 0 && cfg->nifaces == 0 && !print_config) {
		fprintf(stderr, "davy: nothing to read: give a capture with -r FILE or an interface with -i IFACE (see davy --help)\n");
		return DAVY_EXIT_FATAL;
	}
	if (cfg->nfiles && cfg->nifaces && !print_config) {
		fprintf(stderr, "davy: options -r and -i: replay captures or capture interfaces, not both in one run\n");
		return DAVY_EXIT_FATAL;
	}
	/* live capture never blocks on a slow Redis unless told to */
	if (cfg->nifaces && !cfg->redis_full_given)
		cfg->redis_drop = true;
	unsigned stdin_n = 0;
	for (unsigned i = 0; i < cfg->nfiles; i++)
		stdin_n += strcmp(cfg->files[i], "-") == 0;
	if (stdin_n > 1) {
		fprintf(stderr, "davy: option -r: standard input ('-') can be read only once\n");
		return DAVY_EXIT_FATAL;
	}

	if (!cfg->sensor_name[0]) {
		const char *nn = getenv("NODE_NAME");
		if (nn && *nn)
			snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "%s", nn);
		else if (gethostname(cfg->sensor_name, sizeof(cfg->sensor_name) - 1) != 0)
			snprintf(cfg->sensor_name, sizeof(cfg->sensor_name), "unknown");
	}

	if (print_config) {
		if (config_print(cfg, stdout) != 0 || fflush(stdout) != 0) {
			fprintf(stderr, "davy: --print-config: cannot write: %s\n", strerror(errno));
			return DAVY_EXIT_FATAL;
		}
		return DAVY_EXIT_OK;
	}
	return -1;
}

int davy_cli_parse(struct davy_config *cfg, int argc, char **argv)
{
	struct cli_arg *args = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*args));
	if (!args) {
		fprintf(stderr, "davy: out of memory\n");
		return DAVY_EXIT_FATAL;
	}
	int rc = cli_parse(cfg, argc, argv, args);
	free(args);
	return rc;
}
