/* stratum.c - Stratum mining protocols (v1, EthereumStratum/1.0.0,
 * eth-proxy, CryptoNote/XMRig) over newline-framed JSON-RPC; see stratum.h
 * for the recognition rules.
 *
 *   miner                                   pool
 *     {"id":1,"method":"mining.subscribe","params":["cgminer/4.10.0"]}\n  ->
 *   <-  {"id":1,"result":[[["mining.notify","ae68..."]],"08000002",4],"error":null}\n
 *
 * Framing is ours, JSON is json-c's: stratum_feed() assembles lines in the
 * direction's fixed buffer (reading the input only through a cursor) and
 * hands each complete line, with its length, to json_tokener_parse_ex().
 * Everything after that reads the json-c tree by member name, and strings
 * only with the lengths json-c reports.
 */
#include "stratum.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json.h>

#include "cursor.h"

/* What an outstanding request was; a response matched to it by id is read
 * as the answer to that. */
enum req_kind {
	K_FREE = 0,
	K_SUBSCRIBE,
	K_AUTHORIZE,   /* mining.authorize */
	K_SUBMIT,      /* mining.submit, eth_submitWork, CryptoNote submit */
	K_ETH_LOGIN,   /* eth_submitLogin */
	K_ETH_GETWORK,
	K_CN_LOGIN,
	K_CN_TENTATIVE, /* a CryptoNote-like login awaiting a job */
	K_OTHER,       /* a recognised request whose answer tells nothing */
};

/* ---- bounded strings ---- */

static void set_str(char *dst, size_t cap, const char *s, size_t n)
{
	if (n > cap - 1)
		n = cap - 1;
	if (n)
		memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Appends s[0..n) to the NUL-terminated dst, truncating. */
static void add_str(char *dst, size_t cap, const char *s, size_t n)
{
	size_t have = strnlen(dst, cap - 1);
	set_str(dst + have, cap - have, s, n);
}

static bool lit_eq(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n == l && memcmp(s, lit, l) == 0;
}

static bool has_prefix(const char *s, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(s, lit, l) == 0;
}

static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') ||
		      (ch >= 'A' && ch <= 'F')))
			return false;
	}
	return true;
}

static bool all_in(const char *s, size_t n, const char *set)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\0' || !strchr(set, s[i]))
			return false;
	return true;
}

static bool is_space(uint8_t b)
{
	return b == ' ' || b == '\t' || b == '\r' || b == '\n' || b == '\f' || b == '\v';
}

/* ---- reading the json-c tree ---- */

/* The member key of obj, or NULL (absent, JSON null, or obj not an object). */
static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;
	if (!obj || !json_object_is_type(obj, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(obj, key, &v))
		return NULL;
	return v;
}

static bool has_member(struct json_object *obj, const char *key)
{
	return obj && json_object_is_type(obj, json_type_object) &&
	       json_object_object_get_ex(obj, key, NULL);
}

/* True when v is a string; *s, *n: its bytes (not necessarily ending at
 * the first NUL). */
static bool str_of(struct json_object *v, const char **s, size_t *n)
{
	if (!v || !json_object_is_type(v, json_type_string))
		return false;
	*s = json_object_get_string(v);
	int len = json_object_get_string_len(v);
	*n = len > 0 ? (size_t)len : 0;
	return *s != NULL;
}

static bool is_str(struct json_object *v)
{
	return v && json_object_is_type(v, json_type_string);
}

/* Element i of array v, or NULL. */
static struct json_object *elem(struct json_object *v, size_t i)
{
	if (!v || !json_object_is_type(v, json_type_array))
		return NULL;
	if (i >= json_object_array_length(v))
		return NULL;
	return json_object_array_get_idx(v, i);
}

static size_t arr_len(struct json_object *v)
{
	if (!v || !json_object_is_type(v, json_type_array))
		return 0;
	return json_object_array_length(v);
}

/* Copies string member v into dst; false (dst untouched) if not a string. */
static bool take_str(char *dst, size_t cap, struct json_object *v)
{
	const char *s;
	size_t n;
	if (!str_of(v, &s, &n))
		return false;
	set_str(dst, cap, s, n);
	return true;
}

/* A scalar as text: strings as they are, numbers as JSON writes them. */
static bool value_text(char *dst, size_t cap, struct json_object *v)
{
	if (take_str(dst, cap, v))
		return true;
	if (!v)
		return false;
	if (json_object_is_type(v, json_type_int)) {
		snprintf(dst, cap, "%" PRId64, json_object_get_int64(v));
		return true;
	}
	if (json_object_is_type(v, json_type_double)) {
		const char *t = json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN);
		if (!t)
			return false;
		set_str(dst, cap, t, strlen(t));
		return true;
	}
	return false;
}

/* algo: a string, or a list of strings joined with ','. */
static bool algo_text(char *dst, size_t cap, struct json_object *v)
{
	if (take_str(dst, cap, v))
		return true;
	size_t n = arr_len(v);
	if (!v || !json_object_is_type(v, json_type_array))
		return false;
	dst[0] = '\0';
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const char *s;
		size_t l;
		if (!str_of(elem(v, i), &s, &l))
			continue;
		if (!first)
			add_str(dst, cap, ",", 1);
		add_str(dst, cap, s, l);
		first = false;
	}
	return true;
}

/* ---- wallets ---- */

static const char base58[] = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
static const char bech32[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

enum stratum_wallet stratum_wallet_type(const char *s, size_t n)
{
	if (!s)
		return STRATUM_WALLET_NONE;
	if (n == 42 && s[0] == '0' && s[1] == 'x' && is_hex(s + 2, 40))
		return STRATUM_WALLET_ETHEREUM;
	if ((n == 95 || n == 106) && (s[0] == '4' || s[0] == '8') && all_in(s, n, base58))
		return STRATUM_WALLET_MONERO;
	if (n >= 26 && n <= 35 && (s[0] == '1' || s[0] == '3') && all_in(s, n, base58))
		return STRATUM_WALLET_BITCOIN;
	if (n >= 3 + 11 && n <= 3 + 71 && has_prefix(s, n, "bc1") &&
	    all_in(s + 3, n - 3, bech32))
		return STRATUM_WALLET_BITCOIN;
	return STRATUM_WALLET_NONE;
}

const char *stratum_wallet_name(int w)
{
	switch (w) {
	case STRATUM_WALLET_MONERO: return "monero";
	case STRATUM_WALLET_BITCOIN: return "bitcoin";
	case STRATUM_WALLET_ETHEREUM: return "ethereum";
	default: return "";
	}
}

const char *stratum_dialect_name(int d)
{
	switch (d) {
	case STRATUM_NONE: return "none";
	case STRATUM_V1: return "stratum_v1";
	case STRATUM_ETHSTRATUM: return "ethereum_stratum";
	case STRATUM_ETHPROXY: return "eth_proxy";
	case STRATUM_CRYPTONOTE: return "cryptonote";
	default: return "unknown";
	}
}

/* Bytes of login before the worker suffix ('.', '+' or '/'). */
static size_t wallet_part(const char *login, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (login[i] == '.' || login[i] == '+' || login[i] == '/')
			return i;
	return n;
}

/* Sets login (as sent) and what derives from it: wallet part, its type and
 * the worker suffix. */
static void set_login(struct stratum_info *info, const char *s, size_t n)
{
	set_str(info->login, sizeof(info->login), s, n);
	size_t stored = strlen(info->login);
	size_t w = wallet_part(info->login, stored);
	info->wallet_len = (uint16_t)w;
	info->wallet_type = (uint8_t)stratum_wallet_type(info->login, w);
	if (w < stored)
		set_str(info->worker, sizeof(info->worker), info->login + w + 1, stored - w - 1);
	else
		info->worker[0] = '\0';
}

/* ---- bookkeeping ---- */

static void set_dialect(struct stratum_info *info, int d)
{
	/* the first dialect stays, except that EthereumStratum is v1 plus a
	 * marker that may come later */
	if (info->dialect == STRATUM_NONE ||
	    (info->dialect == STRATUM_V1 && d == STRATUM_ETHSTRATUM))
		info->dialect = (uint8_t)d;
}

static void as_client(struct stratum_info *info, int dir)
{
	info->roles |= STRATUM_ROLE_CLIENT;
	info->client_dir = (int8_t)dir;
}

static void as_server(struct stratum_info *info)
{
	info->roles |= STRATUM_ROLE_SERVER;
}

static void note_job(struct stratum_info *info)
{
	info->jobs++;
	info->seen |= STRATUM_SEEN_JOB;
}

static void note_submit(struct stratum_info *info)
{
	info->submits++;
	info->seen |= STRATUM_SEEN_SUBMIT;
}

/* ---- request ids ---- */

/* An id as a comparable key: 'i' + decimal for integers, 's' + bytes for
 * strings. Other ids (null, absent, ...) are not tracked. */
static bool id_key(struct json_object *id, char *key, uint8_t *klen)
{
	const char *s;
	size_t n;
	if (id && json_object_is_type(id, json_type_int)) {
		int w = snprintf(key, STRATUM_ID_MAX, "i%" PRId64, json_object_get_int64(id));
		if (w < 0 || w >= STRATUM_ID_MAX)
			return false;
		*klen = (uint8_t)w;
		return true;
	}
	if (str_of(id, &s, &n)) {
		if (n > STRATUM_ID_MAX - 2)
			n = STRATUM_ID_MAX - 2;
		key[0] = 's';
		memcpy(key + 1, s, n);
		key[n + 1] = '\0';
		*klen = (uint8_t)(n + 1);
		return true;
	}
	return false;
}

static void pending_add(struct stratum_parser *sp, struct stratum_info *info,
			struct json_object *id, int kind, int dir)
{
	char key[STRATUM_ID_MAX];
	uint8_t klen;
	if (!id_key(id, key, &klen))
		return;
	struct stratum_pending *slot = NULL, *oldest = &sp->pending[0];
	for (size_t i = 0; i < STRATUM_PENDING_MAX; i++) {
		struct stratum_pending *e = &sp->pending[i];
		if (e->kind == K_FREE) {
			slot = e;
			break;
		}
		if (e->seq < oldest->seq)
			oldest = e;
	}
	if (!slot) {
		slot = oldest;
		info->pending_dropped++;
	}
	memcpy(slot->id, key, klen);
	slot->idlen = klen;
	slot->kind = (uint8_t)kind;
	slot->dir = (uint8_t)dir;
	slot->seq = ++sp->seq;
}

/* Takes the oldest request with this id sent in the other direction;
 * returns its kind (K_FREE: none) and its key in key/klen. */
static int pending_take(struct stratum_parser *sp, struct json_object *id, int dir,
			char *key, uint8_t *klen)
{
	if (!id_key(id, key, klen))
		return K_FREE;
	struct stratum_pending *best = NULL;
	for (size_t i = 0; i < STRATUM_PENDING_MAX; i++) {
		struct stratum_pending *e = &sp->pending[i];
		if (e->kind == K_FREE || e->dir == dir || e->idlen != *klen ||
		    memcmp(e->id, key, *klen) != 0)
			continue;
		if (!best || e->seq < best->seq)
			best = e;
	}
	if (!best)
		return K_FREE;
	int kind = best->kind;
	memset(best, 0, sizeof(*best));
	return kind;
}

/* ---- shapes ---- */

/* A CryptoNote job object: "blob" (>= 64 hex digits) and "job_id" strings.
 * Counts it and takes its target and algo. */
static bool cn_job(struct stratum_info *info, struct json_object *job)
{
	const char *blob, *jid;
	size_t bn, jn;
	if (!str_of(member(job, "blob"), &blob, &bn) || bn < 64 || !is_hex(blob, bn) ||
	    !str_of(member(job, "job_id"), &jid, &jn))
		return false;
	note_job(info);
	if (take_str(info->difficulty, sizeof(info->difficulty), member(job, "target")))
		info->diff_kind = STRATUM_DIFF_TARGET;
	if (info->algo[0] == '\0')
		algo_text(info->algo, sizeof(info->algo), member(job, "algo"));
	return true;
}

/* "0x" + lo..hi hex digits */
static bool is_0xhex(struct json_object *v, size_t lo, size_t hi)
{
	const char *s;
	size_t n;
	return str_of(v, &s, &n) && n >= 2 + lo && n <= 2 + hi && s[0] == '0' &&
	       s[1] == 'x' && is_hex(s + 2, n - 2);
}

/* eth-proxy work: [header "0x"+64, seed "0x"+64, target "0x"+1..64 (, height)] */
static bool eth_work(struct stratum_info *info, struct json_object *res)
{
	size_t n = arr_len(res);
	if ((n != 3 && n != 4) || !is_0xhex(elem(res, 0), 64, 64) ||
	    !is_0xhex(elem(res, 1), 64, 64) || !is_0xhex(elem(res, 2), 1, 64))
		return false;
	note_job(info);
	take_str(info->difficulty, sizeof(info->difficulty), elem(res, 2));
	info->diff_kind = STRATUM_DIFF_TARGET;
	return true;
}

static bool is_mining_name(struct json_object *v)
{
	const char *s;
	size_t n;
	return str_of(v, &s, &n) && has_prefix(s, n, "mining.") && n > 7;
}

static bool is_ethstratum_marker(struct json_object *v)
{
	const char *s;
	size_t n;
	return str_of(v, &s, &n) && has_prefix(s, n, "EthereumStratum/");
}

/* The result of mining.subscribe (stratum.h); returns the dialect it
 * shows, or STRATUM_NONE. */
static int sub_result(struct json_object *res)
{
	size_t n = arr_len(res);
	if (n == 0)
		return STRATUM_NONE;
	struct json_object *first = elem(res, 0);
	size_t fn = arr_len(first);
	if (fn > 0 && is_mining_name(elem(first, 0))) {
		/* one [method, id(, protocol)] triple */
		for (size_t i = 1; i < fn; i++)
			if (is_ethstratum_marker(elem(first, i)))
				return STRATUM_ETHSTRATUM;
		return STRATUM_V1;
	}
	if (fn > 0) {
		/* a list of [method, id] pairs */
		bool pairs = true;
		for (size_t i = 0; i < fn && pairs; i++) {
			struct json_object *p = elem(first, i);
			pairs = arr_len(p) >= 2 && is_mining_name(elem(p, 0));
		}
		if (pairs)
			return STRATUM_V1;
	}
	const char *x;
	size_t xn;
	struct json_object *sz = elem(res, 2);
	struct json_object *subs = elem(res, 0);
	if (n == 3 && (!subs || json_object_is_type(subs, json_type_array)) &&
	    str_of(elem(res, 1), &x, &xn) && xn >= 2 && xn <= 32 && xn % 2 == 0 &&
	    is_hex(x, xn) && sz && json_object_is_type(sz, json_type_int) &&
	    json_object_get_int64(sz) >= 1 && json_object_get_int64(sz) <= 32)
		return STRATUM_V1;
	return STRATUM_NONE;
}

/* 1 accepted, -1 rejected, 0 cannot tell */
static int share_outcome(struct json_object *msg)
{
	if (member(msg, "error"))
		return -1;
	struct json_object *res = member(msg, "result");
	if (res && json_object_is_type(res, json_type_boolean))
		return json_object_get_boolean(res) ? 1 : -1;
	const char *s;
	size_t n;
	if (str_of(member(res, "status"), &s, &n))
		return (n == 2 && (s[0] == 'O' || s[0] == 'o') && (s[1] == 'K' || s[1] == 'k')) ? 1 : 0;
	return 0;
}

/* ---- requests and notifications ---- */

static void apply_cn_login(struct stratum_info *info, struct json_object *params)
{
	const char *s;
	size_t n;
	if (str_of(member(params, "login"), &s, &n))
		set_login(info, s, n);
	take_str(info->pass, sizeof(info->pass), member(params, "pass"));
	take_str(info->agent, sizeof(info->agent), member(params, "agent"));
	algo_text(info->algo, sizeof(info->algo), member(params, "algo"));
	take_str(info->rigid, sizeof(info->rigid), member(params, "rigid"));
	info->seen |= STRATUM_SEEN_LOGIN;
}

/* The CryptoNote login rule of stratum.h. Returns true when recognised;
 * holds a tentative login otherwise when it has a "login" member. */
static bool cn_login(struct stratum_parser *sp, struct stratum_info *info, int dir,
		     struct json_object *params, struct json_object *id)
{
	const char *login;
	size_t ln;
	if (!str_of(member(params, "login"), &login, &ln) || ln == 0)
		return false;
	struct json_object *algo = member(params, "algo");
	int score = 0;
	score += is_str(member(params, "pass"));
	score += is_str(member(params, "agent"));
	score += is_str(algo) || (algo && json_object_is_type(algo, json_type_array));
	score += is_str(member(params, "rigid"));
	if (stratum_wallet_type(login, wallet_part(login, ln)) != STRATUM_WALLET_NONE)
		score += 2;
	if (score >= 3) {
		set_dialect(info, STRATUM_CRYPTONOTE);
		apply_cn_login(info, params);
		pending_add(sp, info, id, K_CN_LOGIN, dir);
		as_client(info, dir);
		return true;
	}
	if (score == 0)
		return false;
	/* not yet: wait for the server to answer with a job */
	struct stratum_held *h = &sp->held;
	memset(h, 0, sizeof(*h));
	if (!id_key(id, h->id, &h->idlen))
		return false;
	h->valid = 1;
	h->dir = (uint8_t)dir;
	set_str(h->login, sizeof(h->login), login, ln);
	take_str(h->pass, sizeof(h->pass), member(params, "pass"));
	take_str(h->agent, sizeof(h->agent), member(params, "agent"));
	algo_text(h->algo, sizeof(h->algo), algo);
	take_str(h->rigid, sizeof(h->rigid), member(params, "rigid"));
	pending_add(sp, info, id, K_CN_TENTATIVE, dir);
	return false;
}

static bool request(struct stratum_parser *sp, struct stratum_info *info, int dir,
		    struct json_object *msg, const char *m, size_t mn)
{
	struct json_object *params = member(msg, "params");
	struct json_object *id = member(msg, "id");
	const char *s;
	size_t n;

	/* Stratum v1 and EthereumStratum, client */
	if (lit_eq(m, mn, "mining.subscribe")) {
		set_dialect(info, STRATUM_V1);
		take_str(info->agent, sizeof(info->agent), elem(params, 0));
		/* [agent, session, host, port]: the pool host the miner was given */
		if (!info->host[0])
			take_str(info->host, sizeof(info->host), elem(params, 2));
		for (size_t i = 0; i < arr_len(params); i++)
			if (is_ethstratum_marker(elem(params, i)))
				set_dialect(info, STRATUM_ETHSTRATUM);
		info->seen |= STRATUM_SEEN_SUBSCRIBE;
		pending_add(sp, info, id, K_SUBSCRIBE, dir);
		as_client(info, dir);
		return true;
	}
	if (lit_eq(m, mn, "mining.authorize")) {
		set_dialect(info, STRATUM_V1);
		if (str_of(elem(params, 0), &s, &n))
			set_login(info, s, n);
		take_str(info->pass, sizeof(info->pass), elem(params, 1));
		info->seen |= STRATUM_SEEN_AUTHORIZE;
		pending_add(sp, info, id, K_AUTHORIZE, dir);
		as_client(info, dir);
		return true;
	}
	if (lit_eq(m, mn, "mining.submit")) {
		set_dialect(info, STRATUM_V1);
		note_submit(info);
		pending_add(sp, info, id, K_SUBMIT, dir);
		as_client(info, dir);
		return true;
	}
	if (lit_eq(m, mn, "mining.configure") || lit_eq(m, mn, "mining.extranonce.subscribe") ||
	    lit_eq(m, mn, "mining.suggest_difficulty")) {
		set_dialect(info, STRATUM_V1);
		pending_add(sp, info, id, K_OTHER, dir);
		as_client(info, dir);
		return true;
	}

	/* client.reconnect [host, port, wait]: a pool sends its miner elsewhere.
	 * The host is kept (the first one named wins); not Stratum evidence by
	 * itself: other JSON-RPC services could use the name. */
	if (lit_eq(m, mn, "client.reconnect")) {
		if (!info->host[0])
			take_str(info->host, sizeof(info->host), elem(params, 0));
		return false;
	}

	/* Stratum v1 and EthereumStratum, server */
	if (lit_eq(m, mn, "mining.notify")) {
		if (arr_len(params) < 3)
			return false;
		/* EthereumStratum: [job_id, seedhash, headerhash, clean] */
		const char *a, *b;
		size_t an, bn;
		struct json_object *clean = elem(params, 3);
		if (arr_len(params) == 4 && str_of(elem(params, 1), &a, &an) && an == 64 &&
		    is_hex(a, an) && str_of(elem(params, 2), &b, &bn) && bn == 64 &&
		    is_hex(b, bn) && clean && json_object_is_type(clean, json_type_boolean))
			set_dialect(info, STRATUM_ETHSTRATUM);
		else
			set_dialect(info, STRATUM_V1);
		note_job(info);
		as_server(info);
		return true;
	}
	if (lit_eq(m, mn, "mining.set_difficulty")) {
		char text[sizeof(info->difficulty)];
		if (!value_text(text, sizeof(text), elem(params, 0)) || text[0] == '\0')
			return false;
		memcpy(info->difficulty, text, sizeof(text));
		info->diff_kind = STRATUM_DIFF_DIFFICULTY;
		info->seen |= STRATUM_SEEN_DIFFICULTY;
		set_dialect(info, STRATUM_V1);
		as_server(info);
		return true;
	}
	if (lit_eq(m, mn, "mining.set_extranonce") || lit_eq(m, mn, "mining.set_version_mask")) {
		set_dialect(info, STRATUM_V1);
		as_server(info);
		return true;
	}

	/* eth-proxy, client */
	if (lit_eq(m, mn, "eth_submitLogin")) {
		set_dialect(info, STRATUM_ETHPROXY);
		if (str_of(elem(params, 0), &s, &n))
			set_login(info, s, n);
		take_str(info->pass, sizeof(info->pass), elem(params, 1));
		/* the "worker" member only when the login has no suffix at all
		 * ("wallet." has an empty one) */
		if (info->login[0] && info->wallet_len == strlen(info->login))
			take_str(info->worker, sizeof(info->worker), member(msg, "worker"));
		info->seen |= STRATUM_SEEN_LOGIN;
		pending_add(sp, info, id, K_ETH_LOGIN, dir);
		as_client(info, dir);
		return true;
	}
	if (lit_eq(m, mn, "eth_getWork") || lit_eq(m, mn, "eth_submitWork") ||
	    lit_eq(m, mn, "eth_submitHashrate")) {
		int kind = K_OTHER;
		set_dialect(info, STRATUM_ETHPROXY);
		if (lit_eq(m, mn, "eth_getWork")) {
			kind = K_ETH_GETWORK;
		} else if (lit_eq(m, mn, "eth_submitWork")) {
			kind = K_SUBMIT;
			note_submit(info);
		}
		pending_add(sp, info, id, kind, dir);
		as_client(info, dir);
		return true;
	}

	/* CryptoNote */
	if (lit_eq(m, mn, "login"))
		return cn_login(sp, info, dir, params, id);
	if (lit_eq(m, mn, "submit")) {
		if (!has_member(params, "job_id") || !has_member(params, "nonce") ||
		    !has_member(params, "result"))
			return false;
		set_dialect(info, STRATUM_CRYPTONOTE);
		note_submit(info);
		pending_add(sp, info, id, K_SUBMIT, dir);
		as_client(info, dir);
		return true;
	}
	if (lit_eq(m, mn, "job")) {
		if (!cn_job(info, params))
			return false;
		set_dialect(info, STRATUM_CRYPTONOTE);
		as_server(info);
		return true;
	}
	if (lit_eq(m, mn, "keepalived") || lit_eq(m, mn, "getjob")) {
		if (info->dialect != STRATUM_CRYPTONOTE)
			return false;
		pending_add(sp, info, id, K_OTHER, dir);
		as_client(info, dir);
		return true;
	}
	return false;
}

/* ---- responses ---- */

/* A response whose request we did not see: by its shape alone. */
static bool response_shape(struct stratum_info *info, struct json_object *msg)
{
	struct json_object *res = member(msg, "result");
	int d = sub_result(res);
	if (d != STRATUM_NONE) {
		set_dialect(info, d);
		info->seen |= STRATUM_SEEN_SUB_RESULT;
		as_server(info);
		return true;
	}
	if (eth_work(info, res)) {
		set_dialect(info, STRATUM_ETHPROXY);
		as_server(info);
		return true;
	}
	if (cn_job(info, member(res, "job"))) {
		set_dialect(info, STRATUM_CRYPTONOTE);
		as_server(info);
		return true;
	}
	return false;
}

static bool response(struct stratum_parser *sp, struct stratum_info *info, int dir,
		     struct json_object *msg)
{
	char key[STRATUM_ID_MAX];
	uint8_t klen = 0;
	struct json_object *id = member(msg, "id");
	struct json_object *res = member(msg, "result");
	int kind = pending_take(sp, id, dir, key, &klen);
	bool ok = !member(msg, "error") && res &&
		  !(json_object_is_type(res, json_type_boolean) && !json_object_get_boolean(res));

	switch (kind) {
	case K_FREE:
		if (id)
			info->unmatched++;
		return response_shape(info, msg);
	case K_SUBSCRIBE: {
		int d = sub_result(res);
		if (d != STRATUM_NONE) {
			set_dialect(info, d);
			info->seen |= STRATUM_SEEN_SUB_RESULT;
		}
		break;
	}
	case K_AUTHORIZE:
	case K_ETH_LOGIN:
		info->authorized = ok ? 1 : 2;
		break;
	case K_SUBMIT: {
		int o = share_outcome(msg);
		if (o > 0)
			info->accepted++;
		else if (o < 0)
			info->rejected++;
		break;
	}
	case K_ETH_GETWORK:
		eth_work(info, res);
		break;
	case K_CN_LOGIN:
		cn_job(info, member(res, "job"));
		info->authorized = ok ? 1 : 2;
		break;
	case K_CN_TENTATIVE: {
		struct stratum_held *h = &sp->held;
		bool mine = h->valid && h->idlen == klen && memcmp(h->id, key, klen) == 0;
		if (!mine || !cn_job(info, member(res, "job"))) {
			if (mine)
				memset(h, 0, sizeof(*h));
			return false;
		}
		/* the server confirmed a pool login with a job */
		set_dialect(info, STRATUM_CRYPTONOTE);
		set_login(info, h->login, strlen(h->login));
		memcpy(info->pass, h->pass, sizeof(info->pass));
		memcpy(info->agent, h->agent, sizeof(info->agent));
		memcpy(info->algo, h->algo, sizeof(info->algo));
		memcpy(info->rigid, h->rigid, sizeof(info->rigid));
		info->seen |= STRATUM_SEEN_LOGIN;
		info->authorized = 1;
		as_client(info, h->dir);
		memset(h, 0, sizeof(*h));
		break;
	}
	default:
		break;
	}
	as_server(info);
	return true;
}

/* ---- lines ---- */

static bool handle(struct stratum_parser *sp, struct stratum_info *info, int dir,
		   struct json_object *msg)
{
	const char *m;
	size_t mn;
	if (str_of(member(msg, "method"), &m, &mn))
		return request(sp, info, dir, msg, m, mn);
	if (has_member(msg, "result") || has_member(msg, "error"))
		return response(sp, info, dir, msg);
	return false;
}

static void not_stratum_line(struct stratum_info *info)
{
	if (info->dialect == STRATUM_NONE)
		info->nonstratum_lines++;
}

/* One complete line (without its '\n') in d->line[0..d->len). */
static void line_done(struct stratum_parser *sp, struct stratum_info *info, int dir,
		      uint64_t ts_us)
{
	struct stratum_dir *d = &sp->dir[dir];
	size_t n = d->len;
	size_t i = 0;
	while (i < n && is_space((uint8_t)d->line[i]))
		i++;
	if (i == n)
		return; /* blank: keep-alive newlines are not lines */

	if (!sp->tok)
		sp->tok = json_tokener_new_ex(STRATUM_JSON_DEPTH);
	struct json_object *msg = NULL;
	if (sp->tok) {
		json_tokener_reset(sp->tok);
		msg = json_tokener_parse_ex(sp->tok, d->line, (int)n);
	}
	bool whole = msg && json_object_is_type(msg, json_type_object);
	if (whole) {
		/* nothing but whitespace after the object */
		for (size_t e = json_tokener_get_parse_end(sp->tok); e < n; e++)
			if (!is_space((uint8_t)d->line[e])) {
				whole = false;
				break;
			}
	}
	if (!whole) {
		json_object_put(msg);
		info->garbage_lines++;
		bool text = true;
		for (size_t k = i; k < n && text; k++) {
			uint8_t b = (uint8_t)d->line[k];
			text = (b >= 0x20 && b != 0x7f) || b == '\t' || b == '\r';
		}
		info->text_lines += text;
		not_stratum_line(info);
		return;
	}
	if (info->messages++ == 0)
		info->first_us = ts_us;
	info->last_us = ts_us;
	if (handle(sp, info, dir, msg))
		info->stratum_messages++;
	else
		not_stratum_line(info);
	json_object_put(msg);
}

/* n bytes of this direction consumed, none of them the first newline. */
static void count_bytes(struct stratum_dir *d, struct stratum_info *info, size_t n)
{
	d->bytes += n;
	if (!d->newline_seen && d->bytes >= STRATUM_FRAME_MAX)
		info->not_framed = 1;
}

/* The newline was consumed. */
static void count_newline(struct stratum_dir *d)
{
	d->bytes++;
	d->newline_seen = 1;
}

void stratum_feed(struct stratum_parser *sp, struct stratum_info *info, int dir,
		  const uint8_t *data, size_t len, uint64_t ts_us)
{
	if ((dir != 0 && dir != 1) || !data)
		return;
	struct stratum_dir *d = &sp->dir[dir];
	struct cursor c = cur_make(data, len);

	while (cur_left(&c) > 0) {
		if (d->state == STRATUM_DIR_START) {
			/* maybe mid-line: parse from here only if a '{' comes first */
			uint8_t b = cur_u8(&c);
			if (b == '\n') {
				count_newline(d);
				d->state = STRATUM_DIR_LINE;
				continue;
			}
			count_bytes(d, info, 1);
			if (is_space(b))
				continue;
			if (b == '{') {
				d->line[0] = '{';
				d->line[1] = '\0';
				d->len = 1;
				d->state = STRATUM_DIR_LINE;
			} else {
				info->resyncs++;
				d->state = STRATUM_DIR_SKIP;
			}
			continue;
		}
		size_t left = cur_left(&c);
		const uint8_t *nl = memchr(c.p, '\n', left);
		size_t take = nl ? (size_t)(nl - c.p) : left;

		if (d->state == STRATUM_DIR_LINE && d->len + take > STRATUM_LINE_MAX - 1) {
			/* counted once, when the line outgrows the buffer */
			info->overlong_lines++;
			not_stratum_line(info);
			d->len = 0;
			d->line[0] = '\0';
			d->state = STRATUM_DIR_SKIP;
		}
		if (d->state == STRATUM_DIR_SKIP) {
			cur_skip(&c, take);
		} else {
			cur_copy(&c, d->line + d->len, take);
			d->len += (uint32_t)take;
			d->line[d->len] = '\0';
		}
		count_bytes(d, info, take);
		if (!nl)
			break;
		cur_skip(&c, 1);
		count_newline(d);
		if (d->state == STRATUM_DIR_LINE)
			line_done(sp, info, dir, ts_us);
		d->len = 0;
		d->line[0] = '\0';
		d->state = STRATUM_DIR_LINE;
	}
}

void stratum_gap(struct stratum_parser *sp, struct stratum_info *info, int dir)
{
	if (dir != 0 && dir != 1)
		return;
	struct stratum_dir *d = &sp->dir[dir];
	d->len = 0;
	d->line[0] = '\0';
	d->state = STRATUM_DIR_SKIP;
	info->gaps++;
}

void stratum_end(struct stratum_parser *sp, struct stratum_info *info, uint64_t ts_us)
{
	for (int dir = 0; dir < 2; dir++) {
		struct stratum_dir *d = &sp->dir[dir];
		if (d->state == STRATUM_DIR_LINE && d->len > 0)
			line_done(sp, info, dir, ts_us);
		d->len = 0;
		d->line[0] = '\0';
		d->state = STRATUM_DIR_SKIP;
	}
}

/* ---- life cycle and verdicts ---- */

void stratum_init(struct stratum_parser *sp, struct stratum_info *info)
{
	memset(sp, 0, sizeof(*sp));
	memset(info, 0, sizeof(*info));
	info->client_dir = -1;
}

void stratum_release(struct stratum_parser *sp)
{
	if (sp->tok)
		json_tokener_free(sp->tok);
	sp->tok = NULL;
}

bool stratum_readable(const struct stratum_info *info)
{
	return info->messages > 0 || info->text_lines * 2 > info->garbage_lines;
}

unsigned stratum_evidence(const struct stratum_info *info)
{
	unsigned ev = STRATUM_EV_NONE;
	if (info->seen & (STRATUM_SEEN_LOGIN | STRATUM_SEEN_SUBSCRIBE | STRATUM_SEEN_AUTHORIZE))
		ev |= STRATUM_EV_CLIENT;
	if (info->seen & STRATUM_SEEN_JOB)
		ev |= STRATUM_EV_SERVER;
	return ev;
}

enum stratum_verdict stratum_verdict(const struct stratum_info *info)
{
	if (info->dialect != STRATUM_NONE)
		return STRATUM_IS;
	if (info->not_framed)
		return STRATUM_NOT_FRAMED;
	if (info->nonstratum_lines >= STRATUM_NOT_LINES)
		return STRATUM_NOT;
	return STRATUM_UNDECIDED;
}
