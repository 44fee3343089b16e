/* redis_out.c - records to Redis Streams, pipelined (see include/redis_out.h). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cursor.h"
#include "redis_out.h"

#define BATCH_MIN 16u
#define BATCH_MAX REDIS_BATCH_MAX
#define BATCH_START 64u
#define BATCH_BYTES (2u << 20)
#define BACKOFF_MIN_US 100000ULL
#define BACKOFF_MAX_US 5000000ULL
#define IO_TIMEOUT_S 5
#define CONNECT_TIMEOUT_MS 2000
#define HIGH_WATER_PCT 90 /* drop mode: flows and stats only below this */

/* One queued record: this header, then the record, padded to 8 bytes. */
struct rq_ent {
	uint32_t len;  /* record bytes; RQ_WRAP: the ring continues at 0 */
	uint8_t type;  /* enum redis_rec */
	uint8_t pad[3];
	struct rec_fields f;
};
#define RQ_WRAP UINT32_MAX

static void format_words(struct redis_out *ro);
static void unsend(struct redis_out *ro);

static uint64_t now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000ULL + (uint64_t)t.tv_nsec / 1000;
}

static size_t ent_size(size_t len)
{
	return (sizeof(struct rq_ent) + len + 7) & ~(size_t)7;
}

const char *redis_rec_name(enum redis_rec t)
{
	switch (t) {
	case RR_FLOW: return "flow";
	case RR_ALERT: return "alert";
	case RR_STATS: return "stats";
	default: return "other";
	}
}

/* ---- the flat fields ------------------------------------------------- */

static const char *const field_key[RF__COUNT] = {
	[RF_TIMESTAMP] = "timestamp", [RF_EVENT_TYPE] = "event_type", [RF_SRC_IP] = "src_ip",
	[RF_DEST_IP] = "dest_ip", [RF_DEST_PORT] = "dest_port", [RF_APP_PROTO] = "app_proto",
	[RF_SIGNATURE_ID] = "signature_id",
};

static void skip_ws(struct cursor *c)
{
	while (cur_has(c, 1) && (c->p[0] == ' ' || c->p[0] == '\t' || c->p[0] == '\r' ||
				 c->p[0] == '\n'))
		c->p++;
}

/* A string's content (escapes kept as written): [*s, *s + *n). */
static bool scan_str(struct cursor *c, const uint8_t **s, size_t *n)
{
	if (cur_u8(c) != '"')
		return false;
	*s = c->p;
	for (;;) {
		uint8_t ch = cur_u8(c);
		if (c->failed)
			return false;
		if (ch == '\\')
			cur_u8(c);
		else if (ch == '"')
			break;
	}
	*n = (size_t)(c->p - 1 - *s);
	return !c->failed;
}

static bool scan_value(struct cursor *c, int depth, const uint8_t **vs, size_t *vn);

/* An object or array after its opening byte; in an object whose members we
 * want (`want`: a table of keys), values of wanted keys go to rf. */
static bool scan_members(struct cursor *c, int depth, bool object, const uint8_t *base,
			 struct rec_fields *rf, int want)
{
	uint8_t close = object ? '}' : ']';
	skip_ws(c);
	if (cur_has(c, 1) && c->p[0] == close) {
		c->p++;
		return true;
	}
	for (;;) {
		const uint8_t *ks = NULL;
		size_t kn = 0;
		skip_ws(c);
		if (object) {
			if (!scan_str(c, &ks, &kn))
				return false;
			skip_ws(c);
			if (cur_u8(c) != ':')
				return false;
			skip_ws(c);
		}
		bool nested = cur_has(c, 1) && (c->p[0] == '{' || c->p[0] == '[');
		if (object && want == 1 && nested && kn == 5 && memcmp(ks, "alert", 5) == 0 &&
		    c->p[0] == '{') {
			c->p++;
			if (depth >= JB_MAX_DEPTH || !scan_members(c, depth + 1, true, base, rf, 2))
				return false;
		} else {
			const uint8_t *vs = NULL;
			size_t vn = 0;
			if (!scan_value(c, depth, &vs, &vn))
				return false;
			for (int f = 0; object && want && vs && f < RF__COUNT; f++) {
				if ((want == 2) != (f == RF_SIGNATURE_ID))
					continue;
				if (strlen(field_key[f]) == kn && memcmp(ks, field_key[f], kn) == 0 &&
				    vn <= UINT16_MAX && (size_t)(vs - base) <= UINT16_MAX) {
					rf->off[f] = (uint16_t)(vs - base);
					rf->len[f] = (uint16_t)vn;
				}
			}
		}
		skip_ws(c);
		uint8_t ch = cur_u8(c);
		if (c->failed)
			return false;
		if (ch == close)
			return true;
		if (ch != ',')
			return false;
	}
}

/* Any value; a string's or a scalar's bytes are returned in vs/vn (NULL for
 * objects and arrays). */
static bool scan_value(struct cursor *c, int depth, const uint8_t **vs, size_t *vn)
{
	*vs = NULL;
	*vn = 0;
	uint8_t ch = cur_peek(c, 0);
	if (c->failed)
		return false;
	if (ch == '"')
		return scan_str(c, vs, vn);
	if (ch == '{' || ch == '[') {
		c->p++;
		return depth < JB_MAX_DEPTH && scan_members(c, depth + 1, ch == '{', NULL, NULL, 0);
	}
	const uint8_t *s = c->p;
	while (cur_has(c, 1) && c->p[0] != ',' && c->p[0] != '}' && c->p[0] != ']' &&
	       c->p[0] != ' ' && c->p[0] != '\n' && c->p[0] != '\r' && c->p[0] != '\t')
		c->p++;
	if (c->p == s)
		return false;
	*vs = s;
	*vn = (size_t)(c->p - s);
	return true;
}

int rec_fields_scan(const char *rec, size_t len, struct rec_fields *rf)
{
	memset(rf, 0, sizeof(*rf));
	struct cursor c = cur_make((const uint8_t *)rec, len);
	skip_ws(&c);
	if (cur_u8(&c) != '{')
		return -1;
	return scan_members(&c, 1, true, (const uint8_t *)rec, rf, 1) ? 0 : -1;
}

static enum redis_rec rec_type(const char *rec, const struct rec_fields *f)
{
	const char *s = rec + f->off[RF_EVENT_TYPE];
	size_t n = f->len[RF_EVENT_TYPE];
	if (n == 4 && memcmp(s, "flow", 4) == 0)
		return RR_FLOW;
	if (n == 5 && memcmp(s, "alert", 5) == 0)
		return RR_ALERT;
	if (n == 5 && memcmp(s, "stats", 5) == 0)
		return RR_STATS;
	return RR_OTHER;
}

/* ---- set-up ---------------------------------------------------------- */

int redis_out_init(struct redis_out *ro, const struct redis_out_cfg *cfg, char *err, size_t errlen)
{
	memset(ro, 0, sizeof(*ro));
	ro->cfg = *cfg;
	if (!ro->cfg.log)
		ro->cfg.log = stderr;
	redis_url_describe(&cfg->url, ro->where, sizeof(ro->where));
	size_t min = 4 * ent_size(RECORD_MAX);
	if (ro->cfg.queue_bytes < min)
		ro->cfg.queue_bytes = min;
	ro->cap = (ro->cfg.queue_bytes + 7) & ~(size_t)7;
	ro->ring = malloc(ro->cap);
	/* a batch: BATCH_BYTES of records plus one more, each up to three
	 * times (json, flat fields, PUBLISH copy), plus command words */
	ro->cmd_cap = 3 * ((size_t)BATCH_BYTES + RECORD_MAX) + (size_t)BATCH_MAX * 1024;
	ro->cmd = malloc(ro->cmd_cap);
	if (!ro->ring || !ro->cmd) {
		free(ro->ring);
		free(ro->cmd);
		snprintf(err, errlen, "cannot allocate the Redis queue (%zu bytes)", ro->cap);
		return -1;
	}
	ro->batch_cap = BATCH_START;
	ro->backoff_us = BACKOFF_MIN_US;
	format_words(ro);
	return 0;
}

void redis_out_free(struct redis_out *ro)
{
	if (ro->c)
		redisFree(ro->c);
	free(ro->ring);
	free(ro->cmd);
	ro->c = NULL;
	ro->ring = NULL;
	ro->cmd = NULL;
}

/* ---- the queue ------------------------------------------------------- */

static struct rq_ent *ent_at(struct redis_out *ro, size_t off)
{
	return (struct rq_ent *)(void *)(ro->ring + off);
}

/* Where the entry expected at off is: at 0 when off holds a wrap marker
 * or too little room for a header (the end's remainder is not used). */
static size_t ent_off(struct redis_out *ro, size_t off)
{
	return ro->cap - off < sizeof(struct rq_ent) || ent_at(ro, off)->len == RQ_WRAP ? 0 : off;
}

/* The oldest entry (*off: the tail, moved past a wrap); NULL when empty. */
static struct rq_ent *q_first(struct redis_out *ro, size_t *off)
{
	if (ro->nrec == 0)
		return NULL;
	*off = ent_off(ro, *off);
	return ent_at(ro, *off);
}

/* Where an entry of size sz goes, or SIZE_MAX when there is no room. */
static size_t q_room(const struct redis_out *ro, size_t sz, size_t *waste)
{
	*waste = 0;
	if (ro->used + sz > ro->cap)
		return SIZE_MAX;
	if (ro->head >= ro->tail || ro->nrec == 0) {
		size_t h = ro->nrec == 0 ? 0 : ro->head;
		if (ro->cap - h >= sz)
			return h;
		/* wrap: the end's remainder is wasted until the tail passes it */
		if (ro->nrec && ro->tail >= sz) {
			*waste = ro->cap - h;
			return ro->used + sz + *waste > ro->cap ? SIZE_MAX : 0;
		}
		return SIZE_MAX;
	}
	return ro->tail - ro->head >= sz ? ro->head : SIZE_MAX;
}

static void q_pop(struct redis_out *ro)
{
	size_t t = ro->tail;
	struct rq_ent *e = q_first(ro, &t);
	if (!e)
		return;
	size_t waste = t == ro->tail ? 0 : ro->cap - ro->tail;
	size_t sz = ent_size(e->len);
	ro->used -= sz + waste;
	ro->tail = t + sz;
	ro->nrec--;
	if (ro->nrec == 0)
		ro->head = ro->tail = ro->used = 0;
}

static void count_undelivered(struct redis_out *ro, const char *rec, const struct rec_fields *f,
			      enum redis_rec t)
{
	ro->st.undelivered[t]++;
	size_t n = f->len[RF_TIMESTAMP];
	if (!n || n >= RECORD_TIME_LEN)
		return;
	char ts[RECORD_TIME_LEN];
	memcpy(ts, rec + f->off[RF_TIMESTAMP], n);
	ts[n] = '\0';
	/* fixed-width UTC times: text order is time order */
	if (!ro->undel_first[0] || strcmp(ts, ro->undel_first) < 0)
		memcpy(ro->undel_first, ts, n + 1);
	if (strcmp(ts, ro->undel_last) > 0)
		memcpy(ro->undel_last, ts, n + 1);
}

enum redis_push redis_out_push(struct redis_out *ro, const char *rec, size_t len)
{
	if (len && rec[len - 1] == '\n')
		len--;
	struct rec_fields f;
	rec_fields_scan(rec, len, &f); /* our own records always scan */
	enum redis_rec t = rec_type(rec, &f);
	if (ro->gave_up) {
		count_undelivered(ro, rec, &f, t);
		return RP_UNDELIVERED;
	}
	size_t sz = ent_size(len), waste;
	size_t at = q_room(ro, sz, &waste);
	if (at != SIZE_MAX && ro->cfg.drop_when_full && t != RR_ALERT &&
	    (ro->used + sz + waste) * 100 > ro->cap * HIGH_WATER_PCT)
		at = SIZE_MAX; /* keep the last 10% for alerts */
	if (at == SIZE_MAX) {
		if (!ro->cfg.drop_when_full)
			return RP_FULL;
		ro->st.dropped[t]++;
		return RP_DROPPED;
	}
	if (waste) {
		if (ro->cap - ro->head >= sizeof(struct rq_ent))
			ent_at(ro, ro->head)->len = RQ_WRAP;
		ro->used += waste;
	}
	struct rq_ent *e = ent_at(ro, at);
	e->len = (uint32_t)len;
	e->type = (uint8_t)t;
	e->f = f;
	memcpy(e + 1, rec, len);
	ro->head = at + sz;
	ro->used += sz;
	ro->nrec++;
	ro->st.queued_records = ro->nrec;
	if (ro->used > ro->st.queue_max)
		ro->st.queue_max = ro->used;
	return RP_QUEUED;
}

/* ---- connection ------------------------------------------------------ */

static void outage_start(struct redis_out *ro, const char *what)
{
	uint64_t now = now_us();
	if (!ro->down) {
		ro->down = true;
		ro->down_since_us = now;
		if (!ro->cfg.quiet)
			fprintf(ro->cfg.log,
				"davy: redis: %s; %" PRIu64 " records wait in the queue, retrying "
				"(this outage is reported once)\n",
				what, ro->nrec);
	}
	snprintf(ro->last_err, sizeof(ro->last_err), "%s", what);
	ro->next_try_us = now + ro->backoff_us;
	ro->backoff_us = ro->backoff_us * 2 > BACKOFF_MAX_US ? BACKOFF_MAX_US : ro->backoff_us * 2;
}

static void outage_end(struct redis_out *ro)
{
	if (ro->down && !ro->cfg.quiet)
		fprintf(ro->cfg.log, "davy: redis: %s: delivering again after %.1f s\n", ro->where,
			(double)(now_us() - ro->down_since_us) / 1e6);
	ro->down = false;
	ro->backoff_us = BACKOFF_MIN_US;
	ro->stall_since_us = 0;
}

static void drop_conn(struct redis_out *ro, const char *what)
{
	char msg[1024];
	snprintf(msg, sizeof(msg), "%s: %s", ro->where,
		 ro->c && ro->c->errstr[0] ? ro->c->errstr : what);
	if (ro->c)
		redisFree(ro->c);
	ro->c = NULL;
	if (ro->sent_n)
		unsend(ro);
	ro->st.errors++;
	outage_start(ro, msg);
}

static bool try_connect(struct redis_out *ro)
{
	char err[512];
	struct timeval cto = { CONNECT_TIMEOUT_MS / 1000, (CONNECT_TIMEOUT_MS % 1000) * 1000 };
	struct timeval io = { IO_TIMEOUT_S, 0 };
	ro->c = redis_url_connect(&ro->cfg.url, cto, io, err, sizeof(err));
	if (!ro->c) {
		ro->st.errors++;
		outage_start(ro, err + (strncmp(err, "Redis ", 6) == 0 ? 6 : 0));
		return false;
	}
	if (ro->connected_once)
		ro->st.reconnects++;
	ro->connected_once = true;
	return true;
}

int redis_out_connect_now(struct redis_out *ro)
{
	if (ro->c)
		return 0;
	return try_connect(ro) ? 0 : -1;
}

/* ---- commands ------------------------------------------------------ */

static char *put_len(char *o, char lead, size_t n)
{
	char d[24];
	int k = 0;
	do {
		d[k++] = (char)('0' + n % 10);
		n /= 10;
	} while (n);
	*o++ = lead;
	while (k)
		*o++ = d[--k];
	*o++ = '\r';
	*o++ = '\n';
	return o;
}

static char *put_bulk(char *o, const char *s, size_t n)
{
	o = put_len(o, '$', n);
	memcpy(o, s, n);
	o += n;
	*o++ = '\r';
	*o++ = '\n';
	return o;
}

static char *put_raw(char *o, const char *s, size_t n)
{
	memcpy(o, s, n);
	return o + n;
}

/* The command words that do not change from record to record, formatted
 * once: "XADD PREFIX:type [MAXLEN ~ N] * json", the sensor field, each flat
 * field's name, "PUBLISH PREFIX:alerts". */
static void format_words(struct redis_out *ro)
{
	char key[96], maxlen[24], *o;
	for (int t = 0; t < RR__COUNT; t++) {
		o = ro->w_xadd[t];
		snprintf(key, sizeof(key), "%s:%s", ro->cfg.prefix, redis_rec_name(t));
		o = put_bulk(o, "XADD", 4);
		o = put_bulk(o, key, strlen(key));
		if (ro->cfg.maxlen) {
			snprintf(maxlen, sizeof(maxlen), "%" PRIu64, ro->cfg.maxlen);
			o = put_bulk(o, "MAXLEN", 6);
			o = put_bulk(o, "~", 1);
			o = put_bulk(o, maxlen, strlen(maxlen));
		}
		o = put_bulk(o, "*", 1);
		o = put_bulk(o, "json", 4);
		ro->w_xadd_len[t] = (size_t)(o - ro->w_xadd[t]);
	}
	const char *sn = ro->cfg.sensor ? ro->cfg.sensor : "";
	o = put_bulk(ro->w_sensor, "sensor", 6);
	o = put_bulk(o, sn, strlen(sn));
	ro->w_sensor_len = (size_t)(o - ro->w_sensor);
	for (int f = 0; f < RF__COUNT; f++) {
		o = put_bulk(ro->w_field[f], field_key[f], strlen(field_key[f]));
		ro->w_field_len[f] = (size_t)(o - ro->w_field[f]);
	}
	snprintf(key, sizeof(key), "%s:alerts", ro->cfg.prefix);
	o = put_raw(ro->w_pub, "*3\r\n", 4);
	o = put_bulk(o, "PUBLISH", 7);
	o = put_bulk(o, key, strlen(key));
	ro->w_pub_len = (size_t)(o - ro->w_pub);
}

/* The XADD for one entry (and the PUBLISH for an alert) at o. */
static char *format_ent(const struct redis_out *ro, char *o, const struct rq_ent *e)
{
	const char *rec = (const char *)(e + 1);
	unsigned nf = 2; /* json, sensor */
	for (int f = RF_EVENT_TYPE; f < RF__COUNT; f++)
		nf += e->f.len[f] != 0;
	o = put_len(o, '*', 2 + (ro->cfg.maxlen ? 3 : 0) + 1 + 2 * nf);
	o = put_raw(o, ro->w_xadd[e->type], ro->w_xadd_len[e->type]);
	o = put_bulk(o, rec, e->len);
	o = put_raw(o, ro->w_sensor, ro->w_sensor_len);
	for (int f = RF_EVENT_TYPE; f < RF__COUNT; f++) {
		if (!e->f.len[f])
			continue;
		o = put_raw(o, ro->w_field[f], ro->w_field_len[f]);
		o = put_bulk(o, rec + e->f.off[f], e->f.len[f]);
	}
	if (e->type == RR_ALERT) {
		o = put_raw(o, ro->w_pub, ro->w_pub_len);
		o = put_bulk(o, rec, e->len);
	}
	return o;
}

/* The entry at *off (following a wrap marker), and *off moved past it. */
static struct rq_ent *ent_next(struct redis_out *ro, size_t *off)
{
	size_t t = ent_off(ro, *off);
	struct rq_ent *e = ent_at(ro, t);
	*off = t + ent_size(e->len);
	return e;
}

/* Forgets what is in flight (a connection lost or a refused record): it
 * is all sent again, from the oldest record not acknowledged. */
static void unsend(struct redis_out *ro)
{
	ro->st.resent += ro->sent_n;
	ro->sent_n = 0;
	ro->send_off = ro->tail;
	ro->ninfl = 0;
}

/* Writes the next batch (records queued and not yet sent, up to the cap)
 * without waiting for replies. False when there was nothing to send or the
 * connection broke. */
static bool send_batch(struct redis_out *ro)
{
	if (ro->ninfl == REDIS_INFLIGHT || ro->sent_n >= ro->nrec)
		return false;
	struct rq_batch *b = &ro->infl[(ro->infl_head + ro->ninfl) % REDIS_INFLIGHT];
	char *o = ro->cmd;
	size_t off = ro->send_off, bytes = 0;
	unsigned k = 0;
	while (ro->sent_n + k < ro->nrec && k < ro->batch_cap && bytes < BATCH_BYTES) {
		size_t prev = off;
		struct rq_ent *e = ent_next(ro, &off);
		/* the json, the flat fields (parts of it) and a PUBLISH copy, plus
		 * command words */
		if ((size_t)(o - ro->cmd) + 3 * (size_t)e->len + 2048 > ro->cmd_cap) {
			off = prev;
			break;
		}
		o = format_ent(ro, o, e);
		b->types[k++] = e->type;
		bytes += e->len;
	}
	if (k == 0)
		return false;
	int done = 0;
	if (redisAppendFormattedCommand(ro->c, ro->cmd, (size_t)(o - ro->cmd)) != REDIS_OK) {
		drop_conn(ro, "cannot queue commands");
		return false;
	}
	do {
		if (redisBufferWrite(ro->c, &done) != REDIS_OK) {
			drop_conn(ro, "write failed");
			return false;
		}
	} while (!done);
	b->k = k;
	ro->ninfl++;
	ro->sent_n += k;
	ro->send_off = off;
	ro->st.batches++;
	if (k > ro->st.batch_max)
		ro->st.batch_max = k;
	return true;
}

/* Reads the replies of the oldest batch in flight. Records are done in
 * order up to the first refused XADD; after a refusal the replies of the
 * other batch in flight are read too (to keep the connection in step) and
 * everything not done is sent again after the backoff. */
static bool read_batch(struct redis_out *ro)
{
	unsigned done = 0;
	bool in_order = true, lost = false;
	char errmsg[256] = "";
	unsigned nb = ro->ninfl;
	for (unsigned bi = 0; bi < nb && !lost; bi++) {
		if (bi > 0 && in_order)
			break; /* the second batch is read now only after a refusal */
		struct rq_batch *b = &ro->infl[(ro->infl_head + bi) % REDIS_INFLIGHT];
		for (unsigned i = 0; i < b->k && !lost; i++) {
			for (int part = 0; part < (b->types[i] == RR_ALERT ? 2 : 1); part++) {
				void *rep = NULL;
				if (redisGetReply(ro->c, &rep) != REDIS_OK || !rep) {
					lost = true;
					break;
				}
				redisReply *rp = rep;
				bool bad = rp->type == REDIS_REPLY_ERROR;
				if (bad) {
					ro->st.errors++;
					if (!errmsg[0])
						snprintf(errmsg, sizeof(errmsg), "%s refused: %.*s",
							 part ? "PUBLISH" : "XADD", (int)rp->len, rp->str);
				}
				if (part == 0) {
					if (bad)
						in_order = false;
					else if (in_order) {
						done++;
						ro->st.delivered[b->types[i]]++;
					}
				} else if (!bad) {
					ro->st.published++;
				}
				freeReplyObject(rep);
			}
		}
	}
	unsigned k0 = ro->infl[ro->infl_head].k;
	for (unsigned i = 0; i < done; i++)
		q_pop(ro);
	ro->sent_n -= done;
	ro->st.queued_records = ro->nrec;
	if (lost) {
		unsend(ro);
		drop_conn(ro, "connection lost");
	} else if (!in_order) {
		char msg[1024];
		unsend(ro);
		snprintf(msg, sizeof(msg), "%s: %s", ro->where, errmsg);
		outage_start(ro, msg); /* the connection is fine: retry after the backoff */
	} else {
		ro->infl_head = (ro->infl_head + 1) % REDIS_INFLIGHT;
		ro->ninfl--;
		if (ro->sent_n == 0)
			ro->send_off = ro->tail;
		outage_end(ro);
		if (k0 == ro->batch_cap && ro->nrec - ro->sent_n >= ro->batch_cap)
			ro->batch_cap = ro->batch_cap * 2 > BATCH_MAX ? BATCH_MAX : ro->batch_cap * 2;
		else if (k0 < ro->batch_cap / 4)
			ro->batch_cap = ro->batch_cap / 2 < BATCH_MIN ? BATCH_MIN : ro->batch_cap / 2;
	}
	return done > 0;
}

static void give_up(struct redis_out *ro)
{
	ro->gave_up = true;
	size_t t = ro->tail;
	struct rq_ent *e;
	while ((e = q_first(ro, &t))) {
		count_undelivered(ro, (const char *)(e + 1), &e->f, (enum redis_rec)e->type);
		q_pop(ro);
		t = ro->tail;
	}
	ro->st.queued_records = 0;
	ro->sent_n = 0;
	ro->ninfl = 0;
	ro->send_off = ro->tail;
	if (ro->c)
		redisFree(ro->c);
	ro->c = NULL;
}

bool redis_out_service(struct redis_out *ro)
{
	if (ro->gave_up)
		return false;
	uint64_t now = now_us();
	if (!ro->nrec)
		ro->stall_since_us = 0; /* the give-up clock runs only while records wait */
	if ((!ro->down || now >= ro->next_try_us) && (ro->c || try_connect(ro)) && ro->nrec) {
		/* keep up to REDIS_INFLIGHT batches written: Redis works on one
		 * while the replies of the other are read and the next one is
		 * formatted */
		send_batch(ro);
		if (ro->c && ro->ninfl < REDIS_INFLIGHT && ro->sent_n < ro->nrec)
			send_batch(ro);
		if (ro->c && ro->ninfl && read_batch(ro))
			return true;
	}
	if (ro->deadline_us && ro->nrec && now >= ro->deadline_us) {
		ro->deadline_hit = true; /* shutdown: the time allowed is over */
		give_up(ro);
		return false;
	}
	/* no progress: give up once records have waited through an outage for
	 * the timeout (wait mode, or the final drain) */
	if (ro->nrec && ro->down) {
		if (!ro->stall_since_us)
			ro->stall_since_us = now;
		else if (ro->cfg.timeout_s && (!ro->cfg.drop_when_full || ro->draining) &&
			 now - ro->stall_since_us >= (uint64_t)ro->cfg.timeout_s * 1000000ULL)
			give_up(ro);
	}
	return false;
}

void redis_out_shutdown(struct redis_out *ro, uint32_t timeout_s)
{
	ro->draining = true;
	ro->cfg.drop_when_full = false;
	ro->shutdown_s = timeout_s;
	ro->deadline_us = now_us() + (uint64_t)timeout_s * 1000000ULL;
}

int redis_out_drain(struct redis_out *ro)
{
	ro->draining = true;
	while (ro->nrec && !ro->gave_up) {
		if (!redis_out_service(ro)) {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
	}
	return redis_total(ro->st.undelivered) ? -1 : 0;
}

void redis_out_report(const struct redis_out *ro, FILE *fp)
{
	uint64_t n = redis_total(ro->st.undelivered);
	if (!n)
		return;
	char after[96];
	if (ro->deadline_hit)
		snprintf(after, sizeof(after), "at shutdown, after --shutdown-timeout %u s", ro->shutdown_s);
	else
		snprintf(after, sizeof(after), "after %u s without delivery", ro->cfg.timeout_s);
	fprintf(fp,
		"davy: redis: gave up on %s %s (last error: %s); "
		"not delivered: %" PRIu64 " records (%" PRIu64 " flow, %" PRIu64 " alert, %" PRIu64
		" stats, %" PRIu64 " other), record times %s to %s\n",
		ro->where, after, ro->last_err[0] ? ro->last_err : "none", n,
		ro->st.undelivered[RR_FLOW], ro->st.undelivered[RR_ALERT], ro->st.undelivered[RR_STATS],
		ro->st.undelivered[RR_OTHER], ro->undel_first[0] ? ro->undel_first : "-",
		ro->undel_last[0] ? ro->undel_last : "-");
}
