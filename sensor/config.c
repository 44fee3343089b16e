/* config.c - the configuration file (davy -c davy.yaml): libyaml's events
 * into davy_option_apply(), and --print-config. The rules are in config.h. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"

/* One file being read. */
struct reader {
	yaml_parser_t p;
	const char *name;
	FILE *msg;
	struct davy_config *cfg;
	unsigned *line_of;   /* per option: the line that set it (0: not yet) */
	const char **key_of; /* ... and its key as written (r or read) */
};

static unsigned line_at(yaml_mark_t m)
{
	return (unsigned)m.line + 1;
}

/* The next event; -1 after a message when libyaml cannot go on. */
static int next(struct reader *r, yaml_event_t *ev)
{
	if (yaml_parser_parse(&r->p, ev))
		return 0;
	const yaml_parser_t *p = &r->p;
	const char *problem = p->problem ? p->problem : "cannot be parsed";
	if (p->error == YAML_READER_ERROR)
		fprintf(r->msg, "davy: %s: not YAML: %s at byte %zu\n", r->name, problem,
			p->problem_offset);
	else if (p->error == YAML_MEMORY_ERROR)
		fprintf(r->msg, "davy: %s: out of memory\n", r->name);
	else if (p->context)
		fprintf(r->msg, "davy: %s:%u:%u: not YAML: %s (%s at line %u)\n", r->name,
			line_at(p->problem_mark), (unsigned)p->problem_mark.column + 1, problem,
			p->context, line_at(p->context_mark));
	else
		fprintf(r->msg, "davy: %s:%u:%u: not YAML: %s\n", r->name, line_at(p->problem_mark),
			(unsigned)p->problem_mark.column + 1, problem);
	return -1;
}

/* Anchors and aliases are refused: a value is what is written where it is. */
static int no_anchor(struct reader *r, const yaml_event_t *ev)
{
	const yaml_char_t *anchor = NULL;
	if (ev->type == YAML_SCALAR_EVENT)
		anchor = ev->data.scalar.anchor;
	else if (ev->type == YAML_SEQUENCE_START_EVENT)
		anchor = ev->data.sequence_start.anchor;
	else if (ev->type == YAML_MAPPING_START_EVENT)
		anchor = ev->data.mapping_start.anchor;
	if (!anchor && ev->type != YAML_ALIAS_EVENT)
		return 0;
	fprintf(r->msg, "davy: %s:%u: YAML anchors and aliases (&name, *name) are not "
		"supported: write the value out\n", r->name, line_at(ev->start_mark));
	return -1;
}

/* A key for messages: at most 64 bytes, anything unprintable as '?'. */
static void show(char *out, size_t len, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k + 1 < len && i < 64; i++)
		out[k++] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[k] = 0;
}

static bool is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	if (ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") ||
	       !strcmp(v, "NULL");
}

/* One scalar value of option o (key `key`): checked, kept, applied. */
static int scalar_value(struct reader *r, const struct davy_option *o, const char *key,
			const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	size_t n = ev->data.scalar.length;
	unsigned line = line_at(ev->start_mark);
	char where[160];
	snprintf(where, sizeof(where), "%s:%u: %s", r->name, line, key);
	/* no control characters (a line break would also break the one-line
	 * messages that quote the value) */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c < 0x20 || c == 0x7f) {
			fprintf(r->msg, "davy: %s: the value holds a control character "
				"(0x%02x: a line break, a tab...)\n", where, c);
			return -1;
		}
	}
	if (is_null(ev)) {
		fprintf(r->msg, "davy: %s: no value (write '%s: VALUE', or leave the key out)\n",
			where, key);
		return -1;
	}
	if (o->has_arg == no_argument) {
		if (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE"))
			return davy_option_apply(r->cfg, o, NULL, where, r->msg);
		if (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE"))
			return 0;
		fprintf(r->msg, "davy: %s: '%s' is neither true nor false\n", where, v);
		return -1;
	}
	const char *kept = davy_config_keep(r->cfg, v, n);
	if (!kept) {
		fprintf(r->msg, "davy: %s: out of memory\n", where);
		return -1;
	}
	return davy_option_apply(r->cfg, o, kept, where, r->msg);
}

/* The value of key `key` (the event after it). */
static int value(struct reader *r, const struct davy_option *o, const char *key)
{
	yaml_event_t ev;
	if (next(r, &ev))
		return -1;
	int rc = no_anchor(r, &ev);
	unsigned line = line_at(ev.start_mark);
	if (rc == 0 && ev.type == YAML_SCALAR_EVENT) {
		rc = scalar_value(r, o, key, &ev);
	} else if (rc == 0 && ev.type == YAML_SEQUENCE_START_EVENT) {
		if (!(o->flags & DAVY_OPT_LIST)) {
			fprintf(r->msg, "davy: %s:%u: %s: a list, but %s takes one value\n", r->name,
				line, key, key);
			rc = -1;
		}
		while (rc == 0) {
			yaml_event_t item;
			if (next(r, &item)) {
				rc = -1;
				break;
			}
			if (item.type == YAML_SEQUENCE_END_EVENT) {
				yaml_event_delete(&item);
				break;
			}
			rc = no_anchor(r, &item);
			if (rc == 0 && item.type == YAML_SCALAR_EVENT) {
				rc = scalar_value(r, o, key, &item);
			} else if (rc == 0) {
				fprintf(r->msg, "davy: %s:%u: %s: a %s inside the list; each item "
					"must be one value\n", r->name, line_at(item.start_mark), key,
					item.type == YAML_MAPPING_START_EVENT ? "mapping" : "list");
				rc = -1;
			}
			yaml_event_delete(&item);
		}
	} else if (rc == 0) {
		/* a mapping (the only other event a value can start with) */
		fprintf(r->msg, "davy: %s:%u: %s: a mapping, but %s takes %s\n", r->name, line, key,
			key, (o->flags & DAVY_OPT_LIST) ? "a value or a list of values" : "one value");
		rc = -1;
	}
	yaml_event_delete(&ev);
	return rc;
}

/* The key/value pairs of the top-level mapping, up to its end. */
static int mapping(struct reader *r)
{
	for (;;) {
		yaml_event_t ev;
		if (next(r, &ev))
			return -1;
		if (ev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		int rc = no_anchor(r, &ev);
		unsigned line = line_at(ev.start_mark);
		if (rc == 0 && ev.type != YAML_SCALAR_EVENT) {
			fprintf(r->msg, "davy: %s:%u: a key must be an option name, not a %s\n",
				r->name, line, ev.type == YAML_MAPPING_START_EVENT ? "mapping" : "list");
			rc = -1;
		}
		const char *key = rc == 0 ? (const char *)ev.data.scalar.value : "";
		size_t klen = rc == 0 ? ev.data.scalar.length : 0;
		const struct davy_option *o = NULL;
		char shown[80];
		if (rc == 0) {
			show(shown, sizeof(shown), key, klen);
			o = memchr(key, 0, klen) ? NULL : davy_option_find(key);
			if (!o) {
				fprintf(r->msg, "davy: %s:%u: unknown key '%s' (keys are the long "
					"option names of davy --help, without the dashes)\n",
					r->name, line, shown);
				rc = -1;
			} else if (o->flags & DAVY_OPT_CLI) {
				fprintf(r->msg, "davy: %s:%u: '%s' is not a setting: give --%s on "
					"the command line\n", r->name, line, shown, o->name);
				rc = -1;
			}
		}
		if (rc == 0) {
			size_t k = (size_t)(o - davy_options);
			if (r->line_of[k]) {
				if (strcmp(r->key_of[k], key) == 0)
					fprintf(r->msg, "davy: %s:%u: duplicate key '%s' (first on "
						"line %u)\n", r->name, line, shown, r->line_of[k]);
				else
					fprintf(r->msg, "davy: %s:%u: duplicate key '%s': '%s' on line "
						"%u is the same setting\n", r->name, line, shown,
						r->key_of[k], r->line_of[k]);
				rc = -1;
			} else {
				r->line_of[k] = line;
				r->key_of[k] = strcmp(key, o->name) == 0 ? o->name : "";
				if (r->key_of[k][0] == 0) {
					/* the short spelling: keep it for the message above */
					r->key_of[k] = davy_config_keep(r->cfg, key, klen);
					rc = r->key_of[k] ? 0 : -1;
				}
			}
		}
		if (rc == 0)
			rc = value(r, o, shown);
		yaml_event_delete(&ev);
		if (rc)
			return -1;
	}
}

/* The whole stream: nothing, or one document holding one mapping. */
static int stream(struct reader *r)
{
	yaml_event_t ev;
	if (next(r, &ev))
		return -1;
	yaml_event_delete(&ev); /* STREAM-START */
	bool had_document = false;
	for (;;) {
		if (next(r, &ev))
			return -1;
		yaml_event_type_t t = ev.type;
		unsigned line = line_at(ev.start_mark);
		yaml_event_delete(&ev);
		if (t == YAML_STREAM_END_EVENT)
			return 0;
		/* DOCUMENT-START */
		if (had_document) {
			fprintf(r->msg, "davy: %s:%u: a second YAML document: a configuration "
				"file holds one\n", r->name, line);
			return -1;
		}
		had_document = true;
		if (next(r, &ev))
			return -1;
		int rc = no_anchor(r, &ev);
		/* "---" alone (a null document) sets nothing, as an empty file */
		bool empty = rc == 0 && ev.type == YAML_SCALAR_EVENT && is_null(&ev);
		if (rc == 0 && !empty && ev.type != YAML_MAPPING_START_EVENT) {
			fprintf(r->msg, "davy: %s:%u: the top level must be a mapping of settings "
				"(workers: 4, ...)\n", r->name, line_at(ev.start_mark));
			rc = -1;
		}
		yaml_event_delete(&ev);
		if (rc || (!empty && mapping(r)))
			return -1;
		if (next(r, &ev))
			return -1;
		yaml_event_delete(&ev); /* DOCUMENT-END */
	}
}

int config_load_buffer(struct davy_config *cfg, const char *name, const char *buf, size_t len,
		       FILE *msg)
{
	if (len > CONFIG_MAX_BYTES) {
		fprintf(msg, "davy: %s: larger than %u bytes (1 MiB): not a configuration file\n",
			name, CONFIG_MAX_BYTES);
		return -1;
	}
	size_t nopt = 0;
	while (davy_options[nopt].name)
		nopt++;
	struct reader r = { .name = name, .msg = msg, .cfg = cfg };
	r.line_of = calloc(nopt, sizeof(*r.line_of));
	r.key_of = calloc(nopt, sizeof(*r.key_of));
	int rc = -1;
	if (!r.line_of || !r.key_of || !yaml_parser_initialize(&r.p)) {
		fprintf(msg, "davy: %s: out of memory\n", name);
	} else {
		yaml_parser_set_input_string(&r.p, (const unsigned char *)buf, len);
		rc = stream(&r);
		yaml_parser_delete(&r.p);
	}
	free(r.line_of);
	free(r.key_of);
	return rc;
}

int config_load(struct davy_config *cfg, const char *path, FILE *msg)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(msg, "davy: option --config: cannot open '%s': %s\n", path, strerror(errno));
		return -1;
	}
	size_t cap = CONFIG_MAX_BYTES + 1, len = 0;
	char *buf = malloc(cap);
	if (!buf) {
		fclose(f);
		fprintf(msg, "davy: %s: out of memory\n", path);
		return -1;
	}
	while (len < cap) {
		size_t n = fread(buf + len, 1, cap - len, f);
		if (n == 0)
			break;
		len += n;
	}
	int rc;
	if (ferror(f)) {
		fprintf(msg, "davy: option --config: cannot read '%s': %s\n", path, strerror(errno));
		rc = -1;
	} else {
		rc = config_load_buffer(cfg, path, buf, len, msg);
	}
	fclose(f);
	free(buf);
	return rc;
}

/* ---- --print-config -------------------------------------------------- */

/* The code point of the UTF-8 sequence at s[0, n) and its length in *len;
 * -1 when it is not one (overlong, a surrogate, beyond U+10FFFF, cut). */
static long utf8_at(const unsigned char *s, size_t n, size_t *len)
{
	unsigned c = s[0];
	size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
		 : (c & 0xf8) == 0xf0 ? 4 : 0;
	if (k == 0 || k > n)
		return -1;
	long cp = k == 1 ? (long)c : k == 2 ? (long)(c & 0x1f) : k == 3 ? (long)(c & 0x0f)
		: (long)(c & 0x07);
	for (size_t i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	static const long least[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < least[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = k;
	return cp;
}

/* s as a YAML double-quoted scalar: what libyaml would not take as it is
 * (controls, line breaks, non-characters, bytes that are not UTF-8) is
 * escaped. */
static void put_str(FILE *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	fputc('"', out);
	for (size_t i = 0; i < n;) {
		size_t k;
		long cp = utf8_at(s + i, n - i, &k);
		if (cp < 0) {
			fprintf(out, "\\x%02x", s[i]);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (int)cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			fprintf(out, "\\x%02lx", cp);
		else if (cp == 0x2028 || cp == 0x2029 || cp == 0xfeff || cp >= 0xfffe)
			fprintf(out, cp > 0xffff ? "\\U%08lx" : "\\u%04lx", cp);
		else
			fwrite(s + i, 1, k, out);
		i += k;
	}
	fputc('"', out);
}

/* A byte count, with the largest K/M/G suffix that divides it. */
static void put_size(FILE *out, uint64_t v)
{
	if (v && v % (1u << 30) == 0)
		fprintf(out, "%" PRIu64 "G", v >> 30);
	else if (v && v % (1u << 20) == 0)
		fprintf(out, "%" PRIu64 "M", v >> 20);
	else if (v && v % (1u << 10) == 0)
		fprintf(out, "%" PRIu64 "K", v >> 10);
	else
		fprintf(out, "%" PRIu64, v);
}

static void put_ports(FILE *out, const uint16_t *p, unsigned n)
{
	char buf[8 * DAVY_MAX_PORTS];
	size_t k = 0;
	buf[0] = 0;
	for (unsigned i = 0; i < n; i++)
		k += (size_t)snprintf(buf + k, sizeof(buf) - k, "%s%u", i ? "," : "", p[i]);
	put_str(out, buf);
}

static void put_list(FILE *out, const char *const *v, unsigned n)
{
	if (n == 0) {
		fputs(" []", out);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		fputs("\n  - ", out);
		put_str(out, v[i]);
	}
}

int config_print(const struct davy_config *cfg, FILE *out)
{
	static const char *const groups[FLOW__PGROUPS] = { "tcp", "udp", "icmp", "other" };
	static const char *const states[FLOW__STATES] = { "new", "established", "closed" };
	fputs("# davy's settings (davy --print-config); davy -c FILE reads this back\n", out);
	for (const struct davy_option *o = davy_options; o->name; o++) {
		if (o->flags & DAVY_OPT_CLI)
			continue;
		/* flags: written when on */
		bool on = o->id == 'q' ? cfg->quiet
			: o->id == DAVY_O_NO_IOCS ? cfg->no_iocs
			: o->id == DAVY_O_CARRIERS ? cfg->report_carriers
			: o->id == DAVY_O_NO_PROMISC ? cfg->no_promisc
			: o->id == DAVY_O_PROGRESS ? cfg->progress == 1
			: o->id == DAVY_O_NO_PROGRESS ? cfg->progress == 0 : false;
		if (o->has_arg == no_argument) {
			if (on)
				fprintf(out, "%s: true\n", o->name);
			continue;
		}
		/* settings that may be unset */
		const char *opt = o->id == 'o' ? cfg->out_path : o->id == DAVY_O_FILTER ? cfg->bpf
				: o->id == DAVY_O_GEOIP ? cfg->geoip_path
				: o->id == DAVY_O_ASN ? cfg->asn_path
				: o->id == DAVY_O_PODS ? cfg->pods_path
				: o->id == DAVY_O_METRICS ? cfg->metrics_addr
				: o->id == DAVY_O_USER ? cfg->user
				: o->id == DAVY_O_GROUP ? cfg->group : "";
		if (!opt || (o->id == DAVY_O_REDIS && !cfg->redis_on) ||
		    (o->id == DAVY_O_SENSOR && !cfg->sensor_name[0]) ||
		    (o->id == DAVY_O_ALERT_COUNTRIES && !cfg->alert_countries_on))
			continue;
		fprintf(out, "%s:", o->name);
		if (!(o->flags & DAVY_OPT_LIST))
			fputc(' ', out);
		switch (o->id) {
		case 'r':
			put_list(out, cfg->files, cfg->nfiles);
			break;
		case 'i':
			put_list(out, cfg->ifaces, cfg->nifaces);
			break;
		case DAVY_O_IOCS:
			put_list(out, cfg->ioc_paths, cfg->nioc_paths);
			break;
		case DAVY_O_TIMEOUT:
			for (int g = 0; g < FLOW__PGROUPS; g++)
				for (int s = 0; s < FLOW__STATES; s++)
					fprintf(out, "\n  - \"%s.%s=%" PRIu32 "\"", groups[g], states[s],
						cfg->timeouts.s[g][s]);
			break;
		case DAVY_O_ALERT_COUNTRIES:
			for (unsigned b = 0; b < 26 * 26; b++)
				if (cfg->alert_countries[b >> 3] & (1u << (b & 7)))
					fprintf(out, "\n  - \"%c%c\"", 'A' + b / 26, 'A' + b % 26);
			break;
		case 'o':
		case DAVY_O_FILTER:
		case DAVY_O_GEOIP:
		case DAVY_O_ASN:
		case DAVY_O_PODS:
		case DAVY_O_METRICS:
		case DAVY_O_USER:
		case DAVY_O_GROUP:
			put_str(out, opt);
			break;
		case DAVY_O_SENSOR:
			put_str(out, cfg->sensor_name);
			break;
		case DAVY_O_REDIS: {
			char url[1024];
			redis_url_describe(&cfg->redis, url, sizeof(url));
			put_str(out, url);
			break;
		}
		case DAVY_O_REDIS_PREFIX:
			put_str(out, cfg->redis_prefix);
			break;
		case DAVY_O_REDIS_FULL:
			put_str(out, cfg->redis_drop ? "drop" : "wait");
			break;
		case DAVY_O_VXLAN:
			put_ports(out, cfg->decode.vxlan_ports, cfg->decode.n_vxlan_ports);
			break;
		case DAVY_O_GENEVE:
			put_ports(out, cfg->decode.geneve_ports, cfg->decode.n_geneve_ports);
			break;
		case DAVY_O_GRE_UDP:
			put_ports(out, cfg->decode.gre_udp_ports, cfg->decode.n_gre_udp_ports);
			break;
		case DAVY_O_ALERT_RATE:
			fprintf(out, "\"%" PRIu32 "/%" PRIu64 "\"", cfg->alert_rate_limit,
				cfg->alert_rate_window_us / 1000000);
			break;
		case DAVY_O_RING:
			put_size(out, cfg->ring_bytes);
			break;
		case DAVY_O_REASM_MEM:
			put_size(out, cfg->reasm_bytes);
			break;
		case DAVY_O_REDIS_QUEUE:
			put_size(out, cfg->redis_queue_bytes);
			break;
		case DAVY_O_BUFFER:
			put_size(out, cfg->buffer_bytes);
			break;
		default: {
			uint64_t v = o->id == DAVY_O_WORKERS ? cfg->workers
				: o->id == DAVY_O_MAX_FLOWS ? cfg->max_flows
				: o->id == DAVY_O_NDPI_PKTS ? cfg->ndpi_max_pkts
				: o->id == DAVY_O_TUN_DEPTH ? cfg->decode.max_tunnels
				: o->id == DAVY_O_DF_MAX ? cfg->defrag.max_datagrams
				: o->id == DAVY_O_DF_TIMEOUT ? cfg->defrag.timeout_s
				: o->id == DAVY_O_FLOW_UPDATE ? cfg->flow_update_us / 1000000
				: o->id == DAVY_O_STRATUM_FLOWS ? cfg->stratum_flows
				: o->id == DAVY_O_ALERT_RATE_SOURCES ? cfg->alert_rate_sources
				: o->id == DAVY_O_IOCS_CHECK ? cfg->iocs_check_s
				: o->id == DAVY_O_DNS_CACHE ? cfg->dns_cache_entries
				: o->id == DAVY_O_DNS_MIN_TTL ? cfg->dns_min_ttl
				: o->id == DAVY_O_GEO_CHECK ? cfg->geo_check_s
				: o->id == DAVY_O_PODS_CHECK ? cfg->pods_check_s
				: o->id == DAVY_O_REDIS_MAXLEN ? cfg->redis_maxlen
				: o->id == DAVY_O_REDIS_TIMEOUT ? cfg->redis_timeout_s
				: o->id == DAVY_O_SNAPLEN ? cfg->snaplen
				: o->id == DAVY_O_SHUTDOWN_TIMEOUT ? cfg->shutdown_timeout_s
				: o->id == DAVY_O_STATS_INTERVAL ? cfg->stats_interval_s : 0;
			fprintf(out, "%" PRIu64, v);
			break;
		}
		}
		fputc('\n', out);
	}
	return ferror(out) ? -1 : 0;
}
