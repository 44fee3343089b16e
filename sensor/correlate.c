/* correlate.c - `davy correlate`: campaigns from the alert and flow streams
 * in Redis (contract: include/correlate.h; design: docs/DESIGN.md,
 * "Correlator"). */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>
#include <json-c/json.h>

#include "correlate.h"
#include "davy.h"
#include "redis_conn.h"

#define CORR_EXIT_OK 0
#define CORR_EXIT_LOST 1   /* --once: Redis went away part-way */
#define CORR_EXIT_FATAL 2

#define CORR_COUNT 512            /* entries per stream per read */
#define CORR_BLOCK_MS "1000"      /* XREADGROUP BLOCK while waiting */
#define CORR_CLAIM_EVERY_S 10     /* XAUTOCLAIM round every ... */
#define CORR_CLAIM_IDLE_MS "60000"/* ... for entries idle longer than this */
#define CORR_CLAIM_PAGES 8        /* XAUTOCLAIM pages per stream per round */
#define CORR_LIST_CAP "1000"      /* members kept per list of a raised campaign */
#define CORR_BACKOFF_MIN_MS 100
#define CORR_BACKOFF_MAX_MS 5000

/* The Lua script: one observation -> the state (docs/DESIGN.md,
 * "Correlator"). Run with EVALSHA, loaded by SCRIPT LOAD. */
static const char corr_lua[] =
"-- davy correlate: applies one observation to the campaign state\n"
"-- (docs/DESIGN.md, \"Correlator\"). Idempotent: applied twice, the second\n"
"-- time changes nothing and writes no record. Keys are computed here from\n"
"-- the prefix: a standalone Redis, not Redis Cluster.\n"
"-- ARGV: prefix, window, min_sources, min_sensors, min_pools, maxlen, ttl,\n"
"--       list cap, t, t_iso, source, sensor, pool, alias, wallet, alert id\n"
"-- Returns {0, \"\", 0}: older than the window; {1, \"\", n}: applied; {2,\n"
"-- record, n}: applied, and the campaign's record. n: members this call\n"
"-- trimmed from the campaign's visible lists by the list cap.\n"
"local P = ARGV[1]\n"
"local window = tonumber(ARGV[2])\n"
"local min_sources, min_sensors, min_pools = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])\n"
"local maxlen, ttl, cap = ARGV[6], tonumber(ARGV[7]), tonumber(ARGV[8])\n"
"local ts, t, t_iso = ARGV[9], tonumber(ARGV[9]), ARGV[10]\n"
"local source, sensor, pool = ARGV[11], ARGV[12], ARGV[13]\n"
"local alias, wallet, alert = ARGV[14], ARGV[15], ARGV[16]\n"
"\n"
"local LISTS = {\"sources\", \"sensors\", \"pools\", \"wallets\"}\n"
"local SETS = {\"sources\", \"sensors\", \"pools\", \"wallets\", \"srcpool\", \"ids\", \"alerts\"}\n"
"-- the lists a campaign record shows (srcpool and ids are the script's own)\n"
"local SHOWN = {sources = true, sensors = true, pools = true, wallets = true, alerts = true}\n"
"\n"
"local function gkey(g, s) return P .. \":corr:g:\" .. g .. \":\" .. s end\n"
"local function idkey(id) return P .. \":corr:id:\" .. id end\n"
"local function mkey(g) return gkey(g, \"meta\") end\n"
"-- scores always travel as \"%.6f\" strings (Lua's tostring keeps 14 digits)\n"
"local function fmt(x) return string.format(\"%.6f\", x) end\n"
"\n"
"-- the live group of an id, or nil (a group that expired leaves none)\n"
"local function group_of(id)\n"
"  local g = redis.call(\"GET\", idkey(id))\n"
"  if g and redis.call(\"EXISTS\", mkey(g)) == 1 then return g end\n"
"  return nil\n"
"end\n"
"\n"
"local seen, groups = {}, {}\n"
"local function add_groups(list)\n"
"  for _, id in ipairs(list) do\n"
"    local g = group_of(id)\n"
"    if g and not seen[g] then seen[g] = true; groups[#groups + 1] = g end\n"
"  end\n"
"end\n"
"\n"
"local ids = {\"p:\" .. pool}\n"
"if alias ~= \"\" then ids[#ids + 1] = \"a:\" .. alias end\n"
"if wallet ~= \"\" then ids[#ids + 1] = \"w:\" .. wallet end\n"
"add_groups(ids)\n"
"\n"
"local function latest()\n"
"  local last, last_iso = t, t_iso\n"
"  for _, g in ipairs(groups) do\n"
"    local m = redis.call(\"HMGET\", mkey(g), \"last\", \"last_iso\")\n"
"    if tonumber(m[1]) > last then last, last_iso = tonumber(m[1]), m[2] end\n"
"  end\n"
"  return last, last_iso\n"
"end\n"
"local last, last_iso = latest()\n"
"if t < last - window then return {0, \"\", 0} end\n"
"\n"
"-- one source reaching several pools: those pools' groups become one. A\n"
"-- pool counts once by its address when the evidence is a connection (the\n"
"-- feed's domain and the DNS-linked name of one flow are one pool), else\n"
"-- by its name\n"
"local pkey = alias ~= \"\" and (\"a:\" .. alias) or (\"p:\" .. pool)\n"
"local skey = P .. \":corr:src:\" .. source\n"
"redis.call(\"ZADD\", skey, \"GT\", ts, pkey)\n"
"local smax = tonumber(redis.call(\"ZRANGE\", skey, -1, -1, \"WITHSCORES\")[2])\n"
"redis.call(\"ZREMRANGEBYSCORE\", skey, \"-inf\", \"(\" .. fmt(smax - window))\n"
"redis.call(\"EXPIRE\", skey, ttl)\n"
"local spools = redis.call(\"ZRANGE\", skey, 0, -1, \"WITHSCORES\")\n"
"local linked = #spools / 2 >= min_pools\n"
"if linked then\n"
"  local more = {}\n"
"  for i = 1, #spools, 2 do more[#more + 1] = spools[i] end\n"
"  add_groups(more)\n"
"  last, last_iso = latest()\n"
"end\n"
"\n"
"-- the survivor: the earliest raised campaign, else the oldest group\n"
"local surv, best\n"
"for _, g in ipairs(groups) do\n"
"  local seq = tonumber(redis.call(\"HGET\", mkey(g), \"seq\") or \"0\") or 0\n"
"  local rank = seq > 0 and seq or 1e15 + tonumber(g)\n"
"  if not best or rank < best then best, surv = rank, g end\n"
"end\n"
"if not surv then\n"
"  surv = tostring(redis.call(\"INCR\", P .. \":corr:next\"))\n"
"  redis.call(\"HSET\", mkey(surv), \"first\", ts, \"first_iso\", t_iso, \"last\", ts, \"last_iso\", t_iso,\n"
"             \"raised\", \"0\", \"seq\", \"0\", \"updates\", \"0\", \"alerts\", \"0\", \"reasons\", \"\")\n"
"  groups[#groups + 1] = surv\n"
"end\n"
"\n"
"-- groups not raised hold only the window: drop what is older\n"
"local lo = last - window\n"
"for _, g in ipairs(groups) do\n"
"  if redis.call(\"HGET\", mkey(g), \"raised\") ~= \"1\" then\n"
"    local bound = \"(\" .. fmt(lo)\n"
"    for _, id in ipairs(redis.call(\"ZRANGEBYSCORE\", gkey(g, \"ids\"), \"-inf\", bound)) do\n"
"      if redis.call(\"GET\", idkey(id)) == g then redis.call(\"DEL\", idkey(id)) end\n"
"    end\n"
"    for _, s in ipairs(SETS) do redis.call(\"ZREMRANGEBYSCORE\", gkey(g, s), \"-inf\", bound) end\n"
"    redis.call(\"HSET\", mkey(g), \"alerts\", redis.call(\"ZCARD\", gkey(g, \"alerts\")))\n"
"    if redis.call(\"EXISTS\", gkey(g, \"ids\")) == 0 then  -- nothing left: starts again\n"
"      redis.call(\"HSET\", mkey(g), \"first\", ts, \"first_iso\", t_iso)\n"
"    end\n"
"  end\n"
"end\n"
"\n"
"local function size()\n"
"  local n = 0\n"
"  for _, s in ipairs(LISTS) do n = n + redis.call(\"ZCARD\", gkey(surv, s)) end\n"
"  return n\n"
"end\n"
"local before = size()\n"
"local sm = mkey(surv)\n"
"\n"
"-- merge the other groups into the survivor\n"
"for _, g in ipairs(groups) do\n"
"  if g ~= surv then\n"
"    for _, s in ipairs(SETS) do\n"
"      redis.call(\"ZUNIONSTORE\", gkey(surv, s), 2, gkey(surv, s), gkey(g, s), \"AGGREGATE\", \"MAX\")\n"
"    end\n"
"    for _, id in ipairs(redis.call(\"ZRANGE\", gkey(g, \"ids\"), 0, -1)) do\n"
"      redis.call(\"SET\", idkey(id), surv, \"EX\", ttl)\n"
"    end\n"
"    local a = redis.call(\"HMGET\", sm, \"first\", \"first_iso\", \"alerts\", \"reasons\")\n"
"    local b = redis.call(\"HMGET\", mkey(g), \"first\", \"first_iso\", \"alerts\", \"reasons\", \"trimmed\")\n"
"    if tonumber(b[1]) < tonumber(a[1]) then redis.call(\"HSET\", sm, \"first\", b[1], \"first_iso\", b[2]) end\n"
"    redis.call(\"HSET\", sm, \"alerts\", tonumber(a[3]) + tonumber(b[3]))\n"
"    if b[5] then redis.call(\"HINCRBY\", sm, \"trimmed\", b[5]) end\n"
"    if b[4] ~= \"\" then\n"
"      redis.call(\"HSET\", sm, \"reasons\", a[4] == \"\" and b[4] or a[4] .. \",\" .. b[4])\n"
"    end\n"
"    for _, s in ipairs(SETS) do redis.call(\"DEL\", gkey(g, s)) end\n"
"    redis.call(\"DEL\", mkey(g))\n"
"  end\n"
"end\n"
"\n"
"-- the observation itself (ZADD GT: scores only grow; a member already\n"
"-- there is not new)\n"
"local function add(s, score, member)\n"
"  return redis.call(\"ZADD\", gkey(surv, s), \"GT\", score, member)\n"
"end\n"
"add(\"sources\", ts, source)\n"
"if sensor ~= \"\" then add(\"sensors\", ts, sensor) end\n"
"add(\"pools\", ts, pool)\n"
"if wallet ~= \"\" then add(\"wallets\", ts, wallet) end\n"
"add(\"srcpool\", ts, source .. \"\\n\" .. pkey)\n"
"if alert ~= \"\" and add(\"alerts\", ts, alert) == 1 then redis.call(\"HINCRBY\", sm, \"alerts\", 1) end\n"
"if linked then\n"
"  for i = 1, #spools, 2 do\n"
"    add(\"srcpool\", spools[i + 1], source .. \"\\n\" .. spools[i])\n"
"    ids[#ids + 1] = spools[i]\n"
"  end\n"
"end\n"
"for _, id in ipairs(ids) do\n"
"  add(\"ids\", ts, id)\n"
"  redis.call(\"SET\", idkey(id), surv, \"EX\", ttl)\n"
"end\n"
"local first = tonumber(redis.call(\"HGET\", sm, \"first\"))\n"
"if t < first then redis.call(\"HSET\", sm, \"first\", ts, \"first_iso\", t_iso) end\n"
"redis.call(\"HSET\", sm, \"last\", fmt(last), \"last_iso\", last_iso)\n"
"local grew = size() > before\n"
"\n"
"local raised = redis.call(\"HGET\", sm, \"raised\") == \"1\"\n"
"local trimmed = 0\n"
"if raised then\n"
"  for _, s in ipairs(SETS) do\n"
"    local n = redis.call(\"ZREMRANGEBYRANK\", gkey(surv, s), 0, -(cap + 1))\n"
"    if SHOWN[s] then trimmed = trimmed + n end\n"
"  end\n"
"  if trimmed > 0 then redis.call(\"HINCRBY\", sm, \"trimmed\", trimmed) end\n"
"end\n"
"for _, s in ipairs(SETS) do redis.call(\"EXPIRE\", gkey(surv, s), ttl) end\n"
"redis.call(\"EXPIRE\", sm, ttl)\n"
"if raised and not grew then return {1, \"\", trimmed} end\n"
"\n"
"-- the rules, over what the window holds\n"
"local bound = fmt(lo)\n"
"local held = {}\n"
"if redis.call(\"ZCOUNT\", gkey(surv, \"sources\"), bound, \"+inf\") >= min_sources then\n"
"  held[#held + 1] = \"sources\"\n"
"end\n"
"if redis.call(\"ZCOUNT\", gkey(surv, \"sensors\"), bound, \"+inf\") >= min_sensors then\n"
"  held[#held + 1] = \"sensors\"\n"
"end\n"
"local per, most = {}, 0\n"
"for _, sp in ipairs(redis.call(\"ZRANGEBYSCORE\", gkey(surv, \"srcpool\"), bound, \"+inf\")) do\n"
"  local src = string.match(sp, \"^(.*)\\n\")\n"
"  per[src] = (per[src] or 0) + 1\n"
"  if per[src] > most then most = per[src] end\n"
"end\n"
"if most >= min_pools then held[#held + 1] = \"pools\" end\n"
"if not raised and #held == 0 then return {1, \"\", trimmed} end\n"
"\n"
"-- reasons: every rule that has held for this campaign, in a fixed order\n"
"local had = {}\n"
"for r in string.gmatch(redis.call(\"HGET\", sm, \"reasons\"), \"[^,]+\") do had[r] = true end\n"
"for _, r in ipairs(held) do had[r] = true end\n"
"local reasons = {}\n"
"for _, r in ipairs({\"sources\", \"sensors\", \"pools\"}) do\n"
"  if had[r] then reasons[#reasons + 1] = r end\n"
"end\n"
"redis.call(\"HSET\", sm, \"reasons\", table.concat(reasons, \",\"))\n"
"if not raised then\n"
"  local seq = redis.call(\"INCR\", P .. \":corr:campaigns\")\n"
"  redis.call(\"HSET\", sm, \"raised\", \"1\", \"seq\", seq, \"campaign_id\", tostring(seq))\n"
"end\n"
"local updates = redis.call(\"HINCRBY\", sm, \"updates\", 1)\n"
"local m = redis.call(\"HMGET\", sm, \"campaign_id\", \"first_iso\", \"alerts\", \"trimmed\")\n"
"\n"
"local function enc(v) return (string.gsub(cjson.encode(v), \"\\\\/\", \"/\")) end\n"
"local function arr(v) if #v == 0 then return \"[]\" end return enc(v) end\n"
"local function members(s)\n"
"  local v = redis.call(\"ZRANGE\", gkey(surv, s), 0, -1)\n"
"  table.sort(v)\n"
"  return v\n"
"end\n"
"local wallets = members(\"wallets\")\n"
"local rec = \"{\\\"timestamp\\\":\" .. enc(last_iso) .. \",\\\"event_type\\\":\\\"campaign\\\"\" ..\n"
"  \",\\\"campaign_id\\\":\" .. enc(m[1]) .. \",\\\"reasons\\\":\" .. arr(reasons) ..\n"
"  \",\\\"sources\\\":\" .. arr(members(\"sources\")) .. \",\\\"sensors\\\":\" .. arr(members(\"sensors\")) ..\n"
"  \",\\\"pools\\\":\" .. arr(members(\"pools\")) ..\n"
"  (#wallets > 0 and \",\\\"wallets\\\":\" .. arr(wallets) or \"\") ..\n"
"  \",\\\"first\\\":\" .. enc(m[2]) .. \",\\\"last\\\":\" .. enc(last_iso) ..\n"
"  \",\\\"alert_ids\\\":\" .. arr(redis.call(\"ZRANGE\", gkey(surv, \"alerts\"), -cap, -1)) ..\n"
"  \",\\\"alerts\\\":\" .. m[3] ..\n"
"  ((m[4] and tonumber(m[4]) > 0) and \",\\\"members_trimmed\\\":\" .. m[4] or \"\") ..\n"
"  \",\\\"window\\\":\" .. ARGV[2] .. \",\\\"update\\\":\" .. updates .. \"}\"\n"
"if maxlen == \"0\" then\n"
"  redis.call(\"XADD\", P .. \":campaign\", \"*\", \"json\", rec, \"event_type\", \"campaign\",\n"
"             \"campaign_id\", m[1])\n"
"else\n"
"  redis.call(\"XADD\", P .. \":campaign\", \"MAXLEN\", \"~\", maxlen, \"*\", \"json\", rec,\n"
"             \"event_type\", \"campaign\", \"campaign_id\", m[1])\n"
"end\n"
"return {2, rec, trimmed}\n";

static const char usage[] =
"usage: davy correlate --redis URL [options]\n"
"\n"
"Reads the alert and flow records davy's sensors publish to Redis (streams\n"
"P:alert and P:flow) through a consumer group, and raises a campaign when,\n"
"within a sliding window, one pool (domain, address or wallet) is reached\n"
"from several sources (a pod where pod metadata exists, else an address) or\n"
"from several sensors, or one source reaches several pools. Campaign records\n"
"(event_type \"campaign\") go to the stream P:campaign and to stdout, one JSON\n"
"object per line: one when the campaign is raised, then one each time it\n"
"gains a source, sensor, pool or wallet. State is kept in Redis (keys\n"
"P:corr:...), so several correlators share the work and resume after a\n"
"restart; it needs a standalone Redis (not Redis Cluster).\n"
"\n"
"      --redis URL          redis://[[user]:password@]host[:port][/db] or\n"
"                           unix:///path/to/socket[?db=N] (default:\n"
"                           $DAVY_REDIS_URL)\n"
"      --redis-prefix P     streams P:alert, P:flow, P:campaign (default davy)\n"
"      --group NAME         consumer group (default davy-correlate)\n"
"      --consumer NAME      consumer name in the group (default HOST-PID)\n"
"      --window SEC         sliding window, seconds of record time (default 7200)\n"
"      --min-sources N      distinct sources that make a campaign (default 3)\n"
"      --min-sensors N      distinct sensors that make a campaign (default 2)\n"
"      --min-pools N        pools one source must reach (default 3)\n"
"      --campaign-maxlen N  XADD MAXLEN ~ N on P:campaign (default 1000000;\n"
"                           0: no trimming)\n"
"      --once               process what the streams hold, then exit\n"
"  -q, --quiet              no summary line at the end\n"
"  -h, --help               this text\n"
"\n"
"Exit status: 0 done (SIGINT/SIGTERM, or --once finished); 1 --once lost\n"
"Redis part-way; 2 could not run (an option, Redis unreachable with --once).\n";

struct corr_cfg {
	struct redis_url url;
	char where[600];           /* the URL for messages, password hidden */
	const char *prefix;
	const char *group;
	char consumer[256];
	char window[24], min_sources[24], min_sensors[24], min_pools[24];
	char maxlen[24], ttl[24];  /* as the script's arguments */
	uint64_t window_s;
	bool once, quiet;
};

struct corr_stats {
	uint64_t entries;          /* stream entries read */
	uint64_t observations;     /* of them, observations applied */
	uint64_t unparsable;       /* json missing or not JSON */
	uint64_t script_errors;    /* the script answered an error */
	uint64_t records;          /* campaign records written */
	uint64_t trimmed;          /* list members dropped by the list cap */
};

/* One entry of a batch: where it came from, and what it says. */
struct corr_entry {
	int stream;                /* 0: P:alert, 1: P:flow */
	char id[48];
	bool is_obs;
	struct corr_obs obs;
};

struct corr {
	const struct corr_cfg *cfg;
	redisContext *c;
	char sha[48];
	char key[2][300];          /* P:alert, P:flow */
	bool claim_ok;             /* XAUTOCLAIM exists (Redis >= 6.2) */
	struct corr_entry *batch;  /* 2 * CORR_COUNT entries */
	size_t n;
	struct corr_stats st;
	sigset_t stop;             /* SIGINT, SIGTERM: blocked, polled */
};

/* ---- observations -------------------------------------------------------- */

static const char *jstr(struct json_object *o, const char *k1, const char *k2)
{
	struct json_object *v = NULL;
	if (!o || !json_object_object_get_ex(o, k1, &v))
		return NULL;
	if (k2 && !json_object_object_get_ex(v, k2, &v))
		return NULL;
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

/* Copies s into out[cap], cut to fit, control characters as '?' (a name
 * with a newline must not reach the script's "source\npool" pairs). */
static void copy_name(char *out, size_t cap, const char *s, bool lower)
{
	size_t i = 0;
	for (; s && s[i] && i + 1 < cap; i++) {
		unsigned char ch = (unsigned char)s[i];
		out[i] = ch < 0x20 || ch == 0x7f ? '?' : lower ? (char)tolower(ch) : (char)ch;
	}
	out[i] = '\0';
}

/* "addr:port", "[v6addr]:port"; empty when the record lacks either, or
 * when the address is not an IPv4 or IPv6 address (a forged record must not
 * make a long name that is cut, and so collides, here). */
static void addr_port(char *out, size_t cap, struct json_object *rec, const char *ip_key,
		      const char *port_key)
{
	struct json_object *p = NULL;
	const char *ip = jstr(rec, ip_key, NULL);
	unsigned char bin[16];
	out[0] = '\0';
	if (!ip || (inet_pton(AF_INET, ip, bin) != 1 && inet_pton(AF_INET6, ip, bin) != 1) ||
	    !json_object_object_get_ex(rec, port_key, &p) || !json_object_is_type(p, json_type_int))
		return;
	char buf[80];
	snprintf(buf, sizeof(buf), strchr(ip, ':') ? "[%s]:%d" : "%s:%d", ip,
		 json_object_get_int(p));
	copy_name(out, cap, buf, true);
}

/* The source of one side ("src" or "dest"): the pod, where pod metadata
 * exists ({"k8s": {"src": {"namespace": N, "pod": P}}} gives "N/P"), else
 * the address (src_ip / dest_ip). Pod metadata is a later issue's: this is
 * the one place that knows its shape. */
static void source_of(char *out, size_t cap, struct json_object *rec, const char *side)
{
	struct json_object *k8s = NULL, *s = NULL;
	if (json_object_object_get_ex(rec, "k8s", &k8s) && json_object_object_get_ex(k8s, side, &s)) {
		const char *ns = jstr(s, "namespace", NULL), *pod = jstr(s, "pod", NULL);
		if (ns && pod && *pod) {
			char buf[CORR_NAME_MAX];
			snprintf(buf, sizeof(buf), "%s/%s", ns, pod);
			copy_name(out, cap, buf, false);
			return;
		}
	}
	copy_name(out, cap, jstr(rec, strcmp(side, "src") == 0 ? "src_ip" : "dest_ip", NULL), false);
}

/* "2024-01-01T00:00:00.500000+0000" (or Z, or +hh:mm) -> epoch seconds. */
static int parse_time(const char *s, double *out)
{
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	int n = 0;
	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			 &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
		return -1;
	const char *p = s + n;
	double frac = 0, scale = 0.1;
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	long off = 0;
	if (*p == '+' || *p == '-') {
		int sign = *p == '+' ? 1 : -1, hh, mm;
		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2 && sscanf(p + 1, "%2d%2d", &hh, &mm) != 2)
			return -1;
		off = sign * (hh * 3600L + mm * 60L);
	} else if (*p != 'Z' && *p != '\0') {
		return -1;
	}
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	time_t t = timegm(&tm);
	if (t == (time_t)-1)
		return -1;
	*out = (double)(t - off) + frac;
	return 0;
}

/* The wallet part of a Stratum login: without ".worker" ("+worker",
 * "/worker") when the parser named that worker. */
static void wallet_of(char *out, size_t cap, const char *login, const char *worker)
{
	size_t ll = strlen(login), wl = worker ? strlen(worker) : 0;
	size_t keep = ll;
	if (wl && ll > wl + 1 && strcmp(login + ll - wl, worker) == 0 &&
	    strchr(".+/", login[ll - wl - 1]))
		keep = ll - wl - 1;
	char buf[CORR_NAME_MAX];
	snprintf(buf, sizeof(buf), "%.*s", (int)(keep < sizeof(buf) ? keep : sizeof(buf) - 1), login);
	copy_name(out, cap, buf, strncmp(buf, "0x", 2) == 0 || strncmp(buf, "0X", 2) == 0);
}

int corr_observation(struct json_object *rec, const char *alert_id, struct corr_obs *o)
{
	memset(o, 0, sizeof(*o));
	const char *et = jstr(rec, "event_type", NULL);
	struct json_object *st = NULL, *a = NULL, *sid_o = NULL;
	json_object_object_get_ex(rec, "stratum", &st);
	int sid = 0;
	if (et && strcmp(et, "alert") == 0) {
		if (!json_object_object_get_ex(rec, "alert", &a) ||
		    !json_object_object_get_ex(a, "signature_id", &sid_o))
			return 0;
		sid = json_object_get_int(sid_o);
		bool stratum = sid == 4960001 || sid == 4960002 || sid == 4960004;
		bool ioc = sid >= 4960101 && sid <= 4960106;
		if (!stratum && !ioc)
			return 0;
	} else if (et && strcmp(et, "flow") == 0) {
		const char *role = jstr(st, "role", NULL);
		if (!role || (strcmp(role, "client") != 0 && strcmp(role, "both") != 0))
			return 0;
		alert_id = NULL;
	} else {
		return 0;
	}
	const char *ts = jstr(rec, "timestamp", NULL);
	if (parse_time(ts, &o->t) != 0)
		return 0;
	copy_name(o->t_iso, sizeof(o->t_iso), ts, false);

	const char *ioc_type = jstr(rec, "ioc", "type"), *ioc_ind = jstr(rec, "ioc", "indicator");
	const char *matched = jstr(rec, "ioc", "matched");
	bool from_dns = sid == 4960101 || sid == 4960106;
	bool connection = !from_dns && !(matched && strncmp(matched, "dns.", 4) == 0);
	bool reversed = matched && strcmp(matched, "src_ip") == 0; /* a listed host called in */

	source_of(o->source, sizeof(o->source), rec, reversed ? "dest" : "src");
	copy_name(o->sensor, sizeof(o->sensor), jstr(rec, "sensor", "name"), false);
	if (alert_id)
		copy_name(o->alert_id, sizeof(o->alert_id), alert_id, false);

	const char *pool = NULL;
	if (reversed)
		pool = jstr(rec, "src_ip", NULL);
	else if (ioc_ind && ((ioc_type && strcmp(ioc_type, "domain") == 0) || from_dns))
		pool = ioc_ind;
	if (!pool && !reversed && !(pool = jstr(st, "host", NULL)) && !(pool = jstr(rec, "tls", "sni")))
		pool = jstr(rec, "dns_linked_name", NULL);
	if (pool)
		copy_name(o->pool, sizeof(o->pool), pool, true);
	else if (connection)
		addr_port(o->pool, sizeof(o->pool), rec, "dest_ip", "dest_port");
	if (connection && !reversed)
		addr_port(o->alias, sizeof(o->alias), rec, "dest_ip", "dest_port");

	if (ioc_ind && ioc_type && strcmp(ioc_type, "wallet") == 0) {
		copy_name(o->wallet, sizeof(o->wallet), ioc_ind, strncmp(ioc_ind, "0x", 2) == 0);
	} else if (jstr(st, "wallet_type", NULL) && jstr(st, "login", NULL)) {
		wallet_of(o->wallet, sizeof(o->wallet), jstr(st, "login", NULL),
			  jstr(st, "worker", NULL));
	}
	return o->source[0] && o->pool[0] ? 1 : 0;
}

/* ---- options --------------------------------------------------------------- */

enum {
	OPT_REDIS = 256, OPT_PREFIX, OPT_GROUP, OPT_CONSUMER, OPT_WINDOW, OPT_MIN_SOURCES,
	OPT_MIN_SENSORS, OPT_MIN_POOLS, OPT_MAXLEN, OPT_ONCE,
};

static const struct option longopts[] = {
	{ "redis", required_argument, NULL, OPT_REDIS },
	{ "redis-prefix", required_argument, NULL, OPT_PREFIX },
	{ "group", required_argument, NULL, OPT_GROUP },
	{ "consumer", required_argument, NULL, OPT_CONSUMER },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "min-sources", required_argument, NULL, OPT_MIN_SOURCES },
	{ "min-sensors", required_argument, NULL, OPT_MIN_SENSORS },
	{ "min-pools", required_argument, NULL, OPT_MIN_POOLS },
	{ "campaign-maxlen", required_argument, NULL, OPT_MAXLEN },
	{ "once", no_argument, NULL, OPT_ONCE },
	{ "quiet", no_argument, NULL, 'q' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

#define CORR_PROG "davy correlate"

/* A decimal number in [min, max] into out (as text, for the script).
 * Returns 0, or -1 with a message naming the option. */
static int parse_num(const char *opt, const char *s, uint64_t min, uint64_t max, char *out,
		     size_t cap, uint64_t *val)
{
	uint64_t v;
	if (davy_parse_u64(CORR_PROG, opt, s, min, max, false, &v) != 0)
		return -1;
	snprintf(out, cap, "%" PRIu64, v);
	if (val)
		*val = v;
	return 0;
}

static int check_name(const char *opt, const char *s, size_t max)
{
	return davy_check_name(CORR_PROG, opt, s, max);
}

static int parse_args(struct corr_cfg *cfg, int argc, char **argv)
{
	const char *url = NULL, *url_from = "--redis";
	memset(cfg, 0, sizeof(*cfg));
	cfg->prefix = "davy";
	cfg->group = "davy-correlate";
	char host[200] = "localhost";
	gethostname(host, sizeof(host) - 1);
	snprintf(cfg->consumer, sizeof(cfg->consumer), "%s-%ld", host, (long)getpid());
	snprintf(cfg->window, sizeof(cfg->window), "7200");
	cfg->window_s = 7200;
	snprintf(cfg->min_sources, sizeof(cfg->min_sources), "3");
	snprintf(cfg->min_sensors, sizeof(cfg->min_sensors), "2");
	snprintf(cfg->min_pools, sizeof(cfg->min_pools), "3");
	snprintf(cfg->maxlen, sizeof(cfg->maxlen), "1000000");

	int c;
	optind = 0; /* glibc: start again (main may have parsed before) */
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+:qh", longopts, NULL)) != -1) {
		switch (c) {
		case OPT_REDIS:
			url = optarg;
			break;
		case OPT_PREFIX:
			if (check_name("--redis-prefix", optarg, 200) != 0)
				return CORR_EXIT_FATAL;
			cfg->prefix = optarg;
			break;
		case OPT_GROUP:
			if (check_name("--group", optarg, 200) != 0)
				return CORR_EXIT_FATAL;
			cfg->group = optarg;
			break;
		case OPT_CONSUMER:
			if (check_name("--consumer", optarg, sizeof(cfg->consumer) - 1) != 0)
				return CORR_EXIT_FATAL;
			snprintf(cfg->consumer, sizeof(cfg->consumer), "%s", optarg);
			break;
		case OPT_WINDOW:
			if (parse_num("--window", optarg, 1, 86400 * 365, cfg->window,
				      sizeof(cfg->window), &cfg->window_s) != 0)
				return CORR_EXIT_FATAL;
			break;
		case OPT_MIN_SOURCES:
			if (parse_num("--min-sources", optarg, 1, 1000000, cfg->min_sources,
				      sizeof(cfg->min_sources), NULL) != 0)
				return CORR_EXIT_FATAL;
			break;
		case OPT_MIN_SENSORS:
			if (parse_num("--min-sensors", optarg, 1, 1000000, cfg->min_sensors,
				      sizeof(cfg->min_sensors), NULL) != 0)
				return CORR_EXIT_FATAL;
			break;
		case OPT_MIN_POOLS:
			if (parse_num("--min-pools", optarg, 1, 1000000, cfg->min_pools,
				      sizeof(cfg->min_pools), NULL) != 0)
				return CORR_EXIT_FATAL;
			break;
		case OPT_MAXLEN:
			if (parse_num("--campaign-maxlen", optarg, 0, 1ULL << 40, cfg->maxlen,
				      sizeof(cfg->maxlen), NULL) != 0)
				return CORR_EXIT_FATAL;
			break;
		case OPT_ONCE:
			cfg->once = true;
			break;
		case 'q':
			cfg->quiet = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return CORR_EXIT_OK;
		case ':':
			fprintf(stderr, "davy correlate: option %s needs a value (see davy correlate "
				"--help)\n", argv[optind - 1]);
			return CORR_EXIT_FATAL;
		default:
			if (optopt && optopt < 256)
				fprintf(stderr, "davy correlate: unknown option '-%c' (see davy correlate "
					"--help)\n", optopt);
			else
				fprintf(stderr, "davy correlate: unknown option '%s' (see davy correlate "
					"--help)\n", argv[optind - 1]);
			return CORR_EXIT_FATAL;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "davy correlate: unexpected argument '%s' (see davy correlate "
			"--help)\n", argv[optind]);
		return CORR_EXIT_FATAL;
	}
	if (!url) {
		url = getenv("DAVY_REDIS_URL");
		url_from = "DAVY_REDIS_URL";
		if (!url || !*url) {
			fprintf(stderr, "davy correlate: --redis URL is needed (or $DAVY_REDIS_URL)\n");
			return CORR_EXIT_FATAL;
		}
	}
	char err[1024];
	if (redis_url_parse(&cfg->url, url, err, sizeof(err)) != 0) {
		fprintf(stderr, "davy correlate: %s: %s\n", url_from, err);
		return CORR_EXIT_FATAL;
	}
	redis_url_describe(&cfg->url, cfg->where, sizeof(cfg->where));
	snprintf(cfg->ttl, sizeof(cfg->ttl), "%" PRIu64, 2 * cfg->window_s);
	return -1;
}

/* ---- Redis --------------------------------------------------------------- */

static bool reply_is_error(const redisReply *r, const char *prefix)
{
	return r && r->type == REDIS_REPLY_ERROR &&
	       strncmp(r->str, prefix, strlen(prefix)) == 0;
}

/* One command, reply checked. Returns the reply (caller frees), or NULL
 * with the context broken (c->err) or, for an error reply, a message in
 * err naming what. */
static redisReply *cmd(struct corr *k, int argc, const char **argv, char *err, size_t errlen)
{
	redisReply *r = redisCommandArgv(k->c, argc, argv, NULL);
	if (!r) {
		snprintf(err, errlen, "%s: %s", argv[0], k->c->errstr[0] ? k->c->errstr : "connection lost");
		return NULL;
	}
	return r;
}

/* Loads the script, creates the groups. Returns 0; -1 with err when the
 * connection broke (c->err set) or Redis refused (c->err clear). */
static int setup(struct corr *k, char *err, size_t errlen)
{
	const char *load[] = { "SCRIPT", "LOAD", corr_lua };
	redisReply *r = cmd(k, 3, load, err, errlen);
	if (!r)
		return -1;
	if (r->type != REDIS_REPLY_STRING || r->len >= sizeof(k->sha)) {
		snprintf(err, errlen, "SCRIPT LOAD refused: %s",
			 r->type == REDIS_REPLY_ERROR ? r->str : "unexpected reply");
		freeReplyObject(r);
		return -1;
	}
	memcpy(k->sha, r->str, r->len);
	k->sha[r->len] = '\0';
	freeReplyObject(r);
	for (int s = 0; s < 2; s++) {
		const char *a[] = { "XGROUP", "CREATE", k->key[s], k->cfg->group, "0", "MKSTREAM" };
		if (!(r = cmd(k, 6, a, err, errlen)))
			return -1;
		if (r->type == REDIS_REPLY_ERROR && !reply_is_error(r, "BUSYGROUP")) {
			snprintf(err, errlen, "XGROUP CREATE %s %s refused: %s", k->key[s],
				 k->cfg->group, r->str);
			freeReplyObject(r);
			return -1;
		}
		freeReplyObject(r);
	}
	return 0;
}

/* Reads one entry ([id, [field, value, ...]]) into the batch. */
static void take_entry(struct corr *k, int stream, const redisReply *e)
{
	if (e->type != REDIS_REPLY_ARRAY || e->elements < 1 ||
	    e->element[0]->type != REDIS_REPLY_STRING || k->n >= 2 * CORR_COUNT)
		return;
	struct corr_entry *x = &k->batch[k->n++];
	x->stream = stream;
	x->is_obs = false;
	snprintf(x->id, sizeof(x->id), "%s", e->element[0]->str);
	k->st.entries++;
	const redisReply *f = e->elements > 1 ? e->element[1] : NULL;
	const char *json = NULL;
	for (size_t i = 0; f && f->type == REDIS_REPLY_ARRAY && i + 1 < f->elements; i += 2)
		if (f->element[i]->type == REDIS_REPLY_STRING &&
		    strcmp(f->element[i]->str, "json") == 0 &&
		    f->element[i + 1]->type == REDIS_REPLY_STRING)
			json = f->element[i + 1]->str;
	if (!f || f->type != REDIS_REPLY_ARRAY)
		return; /* deleted while pending: acknowledged, nothing to read */
	enum json_tokener_error jerr = json_tokener_success;
	struct json_object *rec = json ? json_tokener_parse_verbose(json, &jerr) : NULL;
	if (!rec || !json_object_is_type(rec, json_type_object)) {
		k->st.unparsable++;
		fprintf(stderr, "davy correlate: %s entry %s: %s; skipped\n", k->key[stream], x->id,
			!json ? "no json field" : rec ? "json is not an object"
						    : json_tokener_error_desc(jerr));
		json_object_put(rec);
		return;
	}
	x->is_obs = corr_observation(rec, stream == 0 ? x->id : NULL, &x->obs) == 1;
	json_object_put(rec);
}

/* Takes every entry of an XREADGROUP / XAUTOCLAIM style reply
 * ([[stream, [entries]], ...]). */
static void take_streams(struct corr *k, const redisReply *r)
{
	for (size_t i = 0; r && r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
		const redisReply *s = r->element[i];
		if (s->type != REDIS_REPLY_ARRAY || s->elements != 2 ||
		    s->element[0]->type != REDIS_REPLY_STRING)
			continue;
		int stream = strcmp(s->element[0]->str, k->key[0]) == 0 ? 0 : 1;
		const redisReply *es = s->element[1];
		for (size_t j = 0; es->type == REDIS_REPLY_ARRAY && j < es->elements; j++)
			take_entry(k, stream, es->element[j]);
	}
}

/* Applies the batch: one EVALSHA per observation (pipelined), the records
 * to stdout, then one XACK per stream. Returns 0, or -1 when the
 * connection broke (nothing acknowledged: the entries stay pending). */
static int apply_batch(struct corr *k, char *err, size_t errlen)
{
	const struct corr_cfg *cfg = k->cfg;
	bool *retry = calloc(k->n ? k->n : 1, sizeof(bool));
	if (!retry) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bool again = true;
	for (int round = 0; again && round < 2; round++) {
		again = false;
		for (size_t i = 0; i < k->n; i++) {
			struct corr_entry *x = &k->batch[i];
			if (!x->is_obs || (round > 0 && !retry[i]))
				continue;
			char t[40];
			snprintf(t, sizeof(t), "%.6f", x->obs.t);
			const char *a[] = { "EVALSHA", k->sha, "0", cfg->prefix, cfg->window,
					    cfg->min_sources, cfg->min_sensors, cfg->min_pools,
					    cfg->maxlen, cfg->ttl, CORR_LIST_CAP, t, x->obs.t_iso,
					    x->obs.source, x->obs.sensor, x->obs.pool, x->obs.alias,
					    x->obs.wallet, x->obs.alert_id };
			redisAppendCommandArgv(k->c, (int)(sizeof(a) / sizeof(a[0])), a, NULL);
		}
		for (size_t i = 0; i < k->n; i++) {
			struct corr_entry *x = &k->batch[i];
			if (!x->is_obs || (round > 0 && !retry[i]))
				continue;
			redisReply *r = NULL;
			if (redisGetReply(k->c, (void **)&r) != REDIS_OK || !r) {
				snprintf(err, errlen, "EVALSHA: %s",
					 k->c->errstr[0] ? k->c->errstr : "connection lost");
				free(retry);
				return -1;
			}
			retry[i] = false;
			if (reply_is_error(r, "NOSCRIPT")) {
				retry[i] = again = true;
			} else if (r->type == REDIS_REPLY_ERROR) {
				k->st.script_errors++;
				fprintf(stderr, "davy correlate: %s entry %s: the script failed: %s\n",
					k->key[x->stream], x->id, r->str);
			} else {
				k->st.observations++;
				bool three = r->type == REDIS_REPLY_ARRAY && r->elements == 3;
				if (three && r->element[2]->type == REDIS_REPLY_INTEGER &&
				    r->element[2]->integer > 0)
					k->st.trimmed += (uint64_t)r->element[2]->integer;
				if (three && r->element[0]->type == REDIS_REPLY_INTEGER &&
				    r->element[0]->integer == 2 &&
				    r->element[1]->type == REDIS_REPLY_STRING) {
					fwrite(r->element[1]->str, 1, r->element[1]->len, stdout);
					fputc('\n', stdout);
					k->st.records++;
				}
			}
			freeReplyObject(r);
		}
		if (again) { /* Redis lost its scripts (restart, SCRIPT FLUSH) */
			const char *load[] = { "SCRIPT", "LOAD", corr_lua };
			redisReply *r = cmd(k, 3, load, err, errlen);
			if (!r) {
				free(retry);
				return -1;
			}
			freeReplyObject(r);
		}
	}
	free(retry);
	fflush(stdout);

	/* acknowledge, one XACK per stream */
	for (int s = 0; s < 2; s++) {
		size_t m = 0;
		for (size_t i = 0; i < k->n; i++)
			m += k->batch[i].stream == s;
		if (!m)
			continue;
		const char **a = malloc((m + 3) * sizeof(*a));
		if (!a) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		a[0] = "XACK";
		a[1] = k->key[s];
		a[2] = cfg->group;
		size_t j = 3;
		for (size_t i = 0; i < k->n; i++)
			if (k->batch[i].stream == s)
				a[j++] = k->batch[i].id;
		redisReply *r = cmd(k, (int)j, a, err, errlen);
		free(a);
		if (!r)
			return -1;
		freeReplyObject(r);
	}
	k->n = 0;
	return 0;
}

/* One XREADGROUP: ids "0"/"0"-style cursors (own pending entries) or ">".
 * Returns the number of entries read, or -1 (connection). For pending
 * reads the cursors move to the last id read. */
static long read_group(struct corr *k, char cursor[2][48], bool block, char *err, size_t errlen)
{
	char count[16];
	snprintf(count, sizeof(count), "%d", CORR_COUNT);
	const char *a[16];
	int n = 0;
	a[n++] = "XREADGROUP";
	a[n++] = "GROUP";
	a[n++] = k->cfg->group;
	a[n++] = k->cfg->consumer;
	a[n++] = "COUNT";
	a[n++] = count;
	if (block) {
		a[n++] = "BLOCK";
		a[n++] = CORR_BLOCK_MS;
	}
	a[n++] = "STREAMS";
	a[n++] = k->key[0];
	a[n++] = k->key[1];
	a[n++] = cursor ? cursor[0] : ">";
	a[n++] = cursor ? cursor[1] : ">";
	redisReply *r = cmd(k, n, a, err, errlen);
	if (!r)
		return -1;
	if (r->type == REDIS_REPLY_ERROR) {
		/* a stream or the group deleted under us: create them again */
		fprintf(stderr, "davy correlate: XREADGROUP: %s; setting up again\n", r->str);
		freeReplyObject(r);
		if (setup(k, err, errlen) != 0)
			return k->c->err ? -1 : 0;
		return 0;
	}
	size_t before = k->n;
	take_streams(k, r);
	if (cursor) {
		for (size_t i = before; i < k->n; i++)
			snprintf(cursor[k->batch[i].stream], 48, "%s", k->batch[i].id);
	}
	freeReplyObject(r);
	long got = (long)(k->n - before);
	if (apply_batch(k, err, errlen) != 0)
		return -1;
	return got;
}

/* One XAUTOCLAIM round over both streams: entries idle for more than
 * CORR_CLAIM_IDLE_MS, left by consumers that died. Returns 0 or -1. */
static int claim_round(struct corr *k, char *err, size_t errlen)
{
	char count[16];
	snprintf(count, sizeof(count), "%d", CORR_COUNT);
	for (int s = 0; s < 2 && k->claim_ok; s++) {
		char start[48] = "0-0";
		for (int page = 0; page < CORR_CLAIM_PAGES; page++) {
			const char *a[] = { "XAUTOCLAIM", k->key[s], k->cfg->group, k->cfg->consumer,
					    CORR_CLAIM_IDLE_MS, start, "COUNT", count };
			redisReply *r = cmd(k, 8, a, err, errlen);
			if (!r)
				return -1;
			if (r->type == REDIS_REPLY_ERROR) {
				if (strstr(r->str, "unknown command")) {
					fprintf(stderr, "davy correlate: this Redis has no XAUTOCLAIM "
						"(Redis < 6.2): entries of dead consumers are not "
						"taken over\n");
					k->claim_ok = false;
				}
				freeReplyObject(r);
				break;
			}
			bool more = false;
			if (r->type == REDIS_REPLY_ARRAY && r->elements >= 2 &&
			    r->element[0]->type == REDIS_REPLY_STRING &&
			    r->element[1]->type == REDIS_REPLY_ARRAY) {
				snprintf(start, sizeof(start), "%s", r->element[0]->str);
				more = strcmp(start, "0-0") != 0;
				const redisReply *es = r->element[1];
				for (size_t j = 0; j < es->elements; j++)
					take_entry(k, s, es->element[j]);
			}
			freeReplyObject(r);
			if (apply_batch(k, err, errlen) != 0)
				return -1;
			if (!more)
				break;
		}
	}
	return 0;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Waits ms milliseconds; true when SIGINT/SIGTERM came meanwhile. */
static bool wait_stop(struct corr *k, long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	return sigtimedwait(&k->stop, NULL, &ts) > 0;
}

static bool stop_pending(struct corr *k)
{
	return wait_stop(k, 0);
}

/* Connects and sets up. Returns 0; -1 with err. fatal: Redis answered but
 * refused the set-up (no point retrying the same way). */
static int connect_redis(struct corr *k, bool *fatal, char *err, size_t errlen)
{
	struct timeval cto = { 2, 0 }, io = { 10, 0 };
	*fatal = false;
	if (k->c) {
		redisFree(k->c);
		k->c = NULL;
	}
	k->c = redis_url_connect(&k->cfg->url, cto, io, err, errlen);
	if (!k->c)
		return -1;
	char e2[512];
	if (setup(k, e2, sizeof(e2)) != 0) {
		*fatal = k->c->err == 0;
		snprintf(err, errlen, "Redis %.300s: %.400s", k->cfg->where, e2);
		redisFree(k->c);
		k->c = NULL;
		return -1;
	}
	return 0;
}

/* Reconnects with capped exponential backoff, one message per outage.
 * Returns 0 when connected, 1 when asked to stop. */
static int reconnect(struct corr *k, const char *why)
{
	fprintf(stderr, "davy correlate: Redis %s: %s; reconnecting (every 0.1 s to 5 s)\n",
		k->cfg->where, why);
	double t0 = now_s();
	long ms = CORR_BACKOFF_MIN_MS;
	for (;;) {
		if (wait_stop(k, ms))
			return 1;
		char err[1024];
		bool fatal;
		if (connect_redis(k, &fatal, err, sizeof(err)) == 0) {
			fprintf(stderr, "davy correlate: Redis %s: connected again after %.1f s\n",
				k->cfg->where, now_s() - t0);
			return 0;
		}
		ms = ms * 2 > CORR_BACKOFF_MAX_MS ? CORR_BACKOFF_MAX_MS : ms * 2;
	}
}

int davy_correlate(int argc, char **argv)
{
	struct corr_cfg cfg;
	int rc = parse_args(&cfg, argc, argv);
	if (rc >= 0)
		return rc;

	struct corr k;
	memset(&k, 0, sizeof(k));
	k.cfg = &cfg;
	k.claim_ok = true;
	snprintf(k.key[0], sizeof(k.key[0]), "%s:alert", cfg.prefix);
	snprintf(k.key[1], sizeof(k.key[1]), "%s:flow", cfg.prefix);
	k.batch = calloc(2 * CORR_COUNT, sizeof(*k.batch));
	if (!k.batch) {
		fprintf(stderr, "davy correlate: out of memory\n");
		return CORR_EXIT_FATAL;
	}
	sigemptyset(&k.stop);
	sigaddset(&k.stop, SIGINT);
	sigaddset(&k.stop, SIGTERM);
	sigprocmask(SIG_BLOCK, &k.stop, NULL);
	signal(SIGPIPE, SIG_IGN); /* Redis gone: a write error, not death */

	char err[1024];
	bool fatal = false, stopped = false;
	if (connect_redis(&k, &fatal, err, sizeof(err)) != 0) {
		if (cfg.once || fatal) {
			fprintf(stderr, "davy correlate: %s\n", err);
			free(k.batch);
			return CORR_EXIT_FATAL;
		}
		if (reconnect(&k, err) != 0)
			stopped = true;
	}

	rc = CORR_EXIT_OK;
	bool pending = true; /* own pending entries first, after each (re)connect */
	char cursor[2][48] = { "0", "0" };
	double next_claim = 0;
	while (!stopped) {
		long got;
		if (pending) {
			got = read_group(&k, cursor, false, err, sizeof(err));
			if (got == 0) {
				pending = false;
				next_claim = 0;
			}
		} else if (now_s() >= next_claim) {
			got = claim_round(&k, err, sizeof(err)) == 0 ? 1 : -1;
			next_claim = now_s() + CORR_CLAIM_EVERY_S;
		} else {
			got = read_group(&k, NULL, !cfg.once, err, sizeof(err));
			if (got == 0 && cfg.once)
				break;
		}
		if (got < 0) {
			k.n = 0;
			if (cfg.once) {
				fprintf(stderr, "davy correlate: Redis %s: %s; stopped (entries not "
					"acknowledged are read again by the next run)\n", cfg.where, err);
				rc = CORR_EXIT_LOST;
				break;
			}
			if (reconnect(&k, err) != 0)
				break;
			pending = true;
			snprintf(cursor[0], sizeof(cursor[0]), "0");
			snprintf(cursor[1], sizeof(cursor[1]), "0");
		}
		if (stop_pending(&k))
			break;
	}
	if (!cfg.quiet)
		fprintf(stderr, "davy correlate: %" PRIu64 " entries read, %" PRIu64 " observations, %"
			PRIu64 " unparsable, %" PRIu64 " script errors, %" PRIu64
			" campaign records written, %" PRIu64 " list members trimmed (each list keeps its newest "
			CORR_LIST_CAP ")\n", k.st.entries, k.st.observations,
			k.st.unparsable, k.st.script_errors, k.st.records, k.st.trimmed);
	if (k.c)
		redisFree(k.c);
	free(k.batch);
	return rc;
}
