/* test_stratum.c - the Stratum parser: each dialect from both sides and
 * from one side alone, key orders and spacing, every split of every line,
 * garbage, over-long lines, gaps, id matching, wallets, and the JSON-RPC
 * services that must not be taken for pools. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stratum.h"

/* ---- conversations: (direction, line without its '\n') ---- */

struct msg {
	int dir;
	const char *line;
};

#define XMR_WALLET "44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A"
#define XMR_BLOB "0e0ef7a139d6f67edf17de7d6f61188767d84a1a3c1fc2d65a9fad68acf2861c4815efcc6065083cc7165afe0213f841b209b22ec69c7fc323bdde269fd35b554afa8050933ff27d9b7501ae9eec"
#define H64A "48ba4d2459b6b22c5aba59002b355f235f79c7f79b7aecca9ed085ebcc042eb9"
#define H64B "28f7f24729415c8075361a2381954d42b04d469f2c558c9ca5c1d08094253077"
#define XMRIG_AGENT "XMRig/6.21.0 (Linux x86_64) libuv/1.44.2 gcc/12.2.0"

static const struct msg xmrig[] = {
	{ 0, "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"" XMR_WALLET "\",\"pass\":\"x\",\"agent\":\"" XMRIG_AGENT "\",\"algo\":[\"rx/0\",\"cn/r\",\"cn/2\"],\"rigid\":\"rig01\"}}" },
	{ 1, "{\"id\":1,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"id\":\"a1b2c3d4\",\"job\":{\"blob\":\"" XMR_BLOB "\",\"job_id\":\"j1\",\"target\":\"b88d0600\",\"algo\":\"rx/0\",\"height\":3000000,\"seed_hash\":\"" H64A "\"},\"extensions\":[\"algo\",\"nicehash\",\"connect\",\"tls\",\"keepalive\"],\"status\":\"OK\"}}" },
	{ 1, "{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{\"blob\":\"" XMR_BLOB "\",\"job_id\":\"j2\",\"target\":\"f3220000\",\"algo\":\"rx/0\",\"height\":3000001,\"seed_hash\":\"" H64A "\"}}" },
	{ 0, "{\"id\":2,\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"id\":\"a1b2c3d4\",\"job_id\":\"j2\",\"nonce\":\"0e000000\",\"result\":\"" H64B "\",\"algo\":\"rx/0\"}}" },
	{ 1, "{\"id\":2,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"OK\"}}" },
	{ 0, "{\"id\":3,\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"id\":\"a1b2c3d4\",\"job_id\":\"j2\",\"nonce\":\"1f000000\",\"result\":\"" H64A "\",\"algo\":\"rx/0\"}}" },
	{ 1, "{\"id\":3,\"jsonrpc\":\"2.0\",\"error\":{\"code\":-1,\"message\":\"Low difficulty share\"}}" },
	{ 0, "{\"id\":4,\"jsonrpc\":\"2.0\",\"method\":\"keepalived\",\"params\":{\"id\":\"a1b2c3d4\"}}" },
	{ 1, "{\"id\":4,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"KEEPALIVED\"}}" },
};

#define NOTIFY_V1 "[\"bf\", \"4d16b6f85af6e2198f44ae2a6de67f78487ae5611b77c6c0440b921e00000000\", \"01000000010000000000000000000000000000000000000000000000000000000000000000ffffffff20020862062f503253482f04b8864e5008\", \"072f736c7573682f000000000100f2052a010000001976a914d23fcdf86f7e756a64a7a9688ef9903327048ed988ac00000000\", [], \"00000002\", \"1c2ac4af\", \"504e86b9\", false]"

static const struct msg cgminer[] = {
	{ 0, "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"cgminer/4.10.0\"]}" },
	{ 1, "{\"id\": 1, \"result\": [[[\"mining.set_difficulty\", \"b4b6693b72a50c7116db18d6497cac52\"], [\"mining.notify\", \"ae6812eb4cd7735a302a8a9dd95cf71f\"]], \"08000002\", 4], \"error\": null}" },
	{ 0, "{\"params\": [\"slush.miner1\", \"password\"], \"id\": 2, \"method\": \"mining.authorize\"}" },
	{ 1, "{\"error\": null, \"id\": 2, \"result\": true}" },
	{ 1, "{\"params\": [32], \"id\": null, \"method\": \"mining.set_difficulty\"}" },
	{ 1, "{\"params\": " NOTIFY_V1 ", \"id\": null, \"method\": \"mining.notify\"}" },
	{ 0, "{\"params\": [\"slush.miner1\", \"bf\", \"00000001\", \"504e86ed\", \"b2957c02\"], \"id\": 4, \"method\": \"mining.submit\"}" },
	{ 1, "{\"error\": null, \"id\": 4, \"result\": true}" },
	{ 0, "{\"params\": [\"slush.miner1\", \"bf\", \"00000002\", \"504e86ed\", \"1b957c03\"], \"id\": 5, \"method\": \"mining.submit\"}" },
	{ 1, "{\"error\": [23, \"Low difficulty share\", null], \"id\": 5, \"result\": null}" },
};

static const struct msg nicehash[] = {
	{ 0, "{\"id\": 1, \"method\": \"mining.subscribe\", \"params\": [\"ethminer/0.19.0\", \"EthereumStratum/1.0.0\"]}" },
	{ 1, "{\"id\": 1, \"result\": [[\"mining.notify\", \"ae6812eb4cd7735a302a8a9dd95cf71f\", \"EthereumStratum/1.0.0\"], \"080c\"], \"error\": null}" },
	{ 0, "{\"id\": 2, \"method\": \"mining.authorize\", \"params\": [\"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy.rig1\", \"x\"]}" },
	{ 1, "{\"id\": 2, \"result\": true, \"error\": null}" },
	{ 1, "{\"id\": null, \"method\": \"mining.set_difficulty\", \"params\": [0.5]}" },
	{ 1, "{\"id\": null, \"method\": \"mining.notify\", \"params\": [\"bf0488aa\", \"" H64A "\", \"" H64B "\", true]}" },
	{ 0, "{\"id\": 244, \"method\": \"mining.submit\", \"params\": [\"3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy.rig1\", \"bf0488aa\", \"6a909d9bbc0f\"]}" },
	{ 1, "{\"id\": 244, \"result\": true, \"error\": null}" },
};

#define ETH_WALLET "0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5"
#define ETH_WORK "[\"0x" H64A "\",\"0x" H64B "\",\"0x00000000ffff00000000ffff00000000ffff00000000ffff00000000ffff0000\"]"

static const struct msg ethproxy[] = {
	{ 0, "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitLogin\",\"params\":[\"" ETH_WALLET "\",\"x\"],\"worker\":\"rig1\"}" },
	{ 1, "{\"id\":1,\"jsonrpc\":\"2.0\",\"result\":true}" },
	{ 0, "{\"id\":5,\"jsonrpc\":\"2.0\",\"method\":\"eth_getWork\",\"params\":[]}" },
	{ 1, "{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":" ETH_WORK "}" },
	{ 1, "{\"id\":0,\"jsonrpc\":\"2.0\",\"result\":" ETH_WORK "}" },
	{ 0, "{\"id\":4,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitWork\",\"params\":[\"0x1060d5b4e5f3a5c9\",\"0x" H64A "\",\"0x" H64B "\"],\"worker\":\"rig1\"}" },
	{ 1, "{\"id\":4,\"jsonrpc\":\"2.0\",\"result\":true}" },
	{ 0, "{\"id\":9,\"jsonrpc\":\"2.0\",\"method\":\"eth_submitHashrate\",\"params\":[\"0x0000000000000000000000000000000000000000000000000000000001312d00\",\"0x" H64B "\"],\"worker\":\"rig1\"}" },
	{ 1, "{\"id\":9,\"jsonrpc\":\"2.0\",\"result\":true}" },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

struct conv {
	const char *name;
	const struct msg *m;
	size_t n;
};

static const struct conv convs[] = {
	{ "xmrig", xmrig, N(xmrig) },
	{ "cgminer", cgminer, N(cgminer) },
	{ "nicehash", nicehash, N(nicehash) },
	{ "ethproxy", ethproxy, N(ethproxy) },
};

#define TS 1700000000000000ULL

struct ctx {
	struct stratum_parser sp;
	struct stratum_info info;
};

static struct ctx *ctx_new(void)
{
	struct ctx *c = malloc(sizeof(*c));
	assert_non_null(c);
	stratum_init(&c->sp, &c->info);
	return c;
}

static void ctx_free(struct ctx *c)
{
	stratum_release(&c->sp);
	free(c);
}

static void feed_str(struct ctx *c, int dir, const char *s)
{
	stratum_feed(&c->sp, &c->info, dir, (const uint8_t *)s, strlen(s), TS);
}

static void feed_line(struct ctx *c, int dir, const char *line)
{
	feed_str(c, dir, line);
	feed_str(c, dir, "\n");
}

/* The whole conversation, optionally one direction only (-1: both). */
static struct ctx *run(const struct msg *m, size_t n, int only_dir)
{
	struct ctx *c = ctx_new();
	for (size_t i = 0; i < n; i++)
		if (only_dir < 0 || m[i].dir == only_dir)
			feed_line(c, m[i].dir, m[i].line);
	return c;
}

static void assert_info_equal(const struct stratum_info *a, const struct stratum_info *b)
{
	assert_int_equal(a->dialect, b->dialect);
	assert_int_equal(a->roles, b->roles);
	assert_int_equal(a->client_dir, b->client_dir);
	assert_int_equal(a->wallet_type, b->wallet_type);
	assert_int_equal(a->wallet_len, b->wallet_len);
	assert_int_equal(a->seen, b->seen);
	assert_int_equal(a->authorized, b->authorized);
	assert_int_equal(a->diff_kind, b->diff_kind);
	assert_int_equal(a->not_framed, b->not_framed);
	assert_string_equal(a->login, b->login);
	assert_string_equal(a->worker, b->worker);
	assert_string_equal(a->pass, b->pass);
	assert_string_equal(a->agent, b->agent);
	assert_string_equal(a->algo, b->algo);
	assert_string_equal(a->rigid, b->rigid);
	assert_string_equal(a->difficulty, b->difficulty);
	assert_int_equal(a->jobs, b->jobs);
	assert_int_equal(a->submits, b->submits);
	assert_int_equal(a->accepted, b->accepted);
	assert_int_equal(a->rejected, b->rejected);
	assert_int_equal(a->messages, b->messages);
	assert_int_equal(a->stratum_messages, b->stratum_messages);
	assert_int_equal(a->garbage_lines, b->garbage_lines);
	assert_int_equal(a->overlong_lines, b->overlong_lines);
	assert_int_equal(a->nonstratum_lines, b->nonstratum_lines);
	assert_int_equal(a->unmatched, b->unmatched);
	assert_int_equal(a->resyncs, b->resyncs);
	assert_int_equal(a->first_us, b->first_us);
	assert_int_equal(a->last_us, b->last_us);
}

/* ---- each dialect, both sides ---- */

static void test_xmrig(void **state)
{
	(void)state;
	assert_int_equal(strlen(XMR_WALLET), 95);
	struct ctx *c = run(xmrig, N(xmrig), -1);
	const struct stratum_info *i = &c->info;
	assert_int_equal(i->dialect, STRATUM_CRYPTONOTE);
	assert_string_equal(stratum_dialect_name(i->dialect), "cryptonote");
	assert_int_equal(i->roles, STRATUM_ROLE_CLIENT | STRATUM_ROLE_SERVER);
	assert_int_equal(i->client_dir, 0);
	assert_string_equal(i->login, XMR_WALLET);
	assert_int_equal(i->wallet_type, STRATUM_WALLET_MONERO);
	assert_string_equal(stratum_wallet_name(i->wallet_type), "monero");
	assert_string_equal(i->worker, "");
	assert_string_equal(i->pass, "x");
	assert_string_equal(i->agent, XMRIG_AGENT);
	assert_string_equal(i->algo, "rx/0,cn/r,cn/2");
	assert_string_equal(i->rigid, "rig01");
	assert_string_equal(i->difficulty, "f3220000");
	assert_int_equal(i->diff_kind, STRATUM_DIFF_TARGET);
	assert_int_equal(i->jobs, 2);
	assert_int_equal(i->submits, 2);
	assert_int_equal(i->accepted, 1);
	assert_int_equal(i->rejected, 1);
	assert_int_equal(i->authorized, 1);
	assert_int_equal(i->messages, 9);
	assert_int_equal(i->stratum_messages, 9);
	assert_int_equal(i->garbage_lines, 0);
	assert_int_equal(i->unmatched, 0);
	assert_int_equal(i->first_us, TS);
	assert_int_equal(stratum_evidence(i), STRATUM_EV_CLIENT | STRATUM_EV_SERVER);
	assert_int_equal(stratum_verdict(i), STRATUM_IS);
	ctx_free(c);
}

static void test_cgminer_v1(void **state)
{
	(void)state;
	struct ctx *c = run(cgminer, N(cgminer), -1);
	const struct stratum_info *i = &c->info;
	assert_int_equal(i->dialect, STRATUM_V1);
	assert_string_equal(stratum_dialect_name(i->dialect), "stratum_v1");
	assert_int_equal(i->roles, STRATUM_ROLE_CLIENT | STRATUM_ROLE_SERVER);
	assert_string_equal(i->login, "slush.miner1");
	assert_int_equal(i->wallet_len, 5);
	assert_string_equal(i->worker, "miner1");
	assert_int_equal(i->wallet_type, STRATUM_WALLET_NONE);
	assert_string_equal(i->pass, "password");
	assert_string_equal(i->agent, "cgminer/4.10.0");
	assert_string_equal(i->difficulty, "32");
	assert_int_equal(i->diff_kind, STRATUM_DIFF_DIFFICULTY);
	assert_int_equal(i->jobs, 1);
	assert_int_equal(i->submits, 2);
	assert_int_equal(i->accepted, 1);
	assert_int_equal(i->rejected, 1);
	assert_int_equal(i->authorized, 1);
	assert_int_equal(i->stratum_messages, N(cgminer));
	assert_true(i->seen & STRATUM_SEEN_SUB_RESULT);
	ctx_free(c);
}

static void test_nicehash(void **state)
{
	(void)state;
	struct ctx *c = run(nicehash, N(nicehash), -1);
	const struct stratum_info *i = &c->info;
	assert_int_equal(i->dialect, STRATUM_ETHSTRATUM);
	assert_string_equal(i->agent, "ethminer/0.19.0");
	assert_string_equal(i->login, "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy.rig1");
	assert_int_equal(i->wallet_type, STRATUM_WALLET_BITCOIN);
	assert_string_equal(i->worker, "rig1");
	assert_string_equal(i->difficulty, "0.5");
	assert_int_equal(i->jobs, 1);
	assert_int_equal(i->submits, 1);
	assert_int_equal(i->accepted, 1);
	assert_int_equal(i->rejected, 0);
	ctx_free(c);
}

static void test_ethproxy(void **state)
{
	(void)state;
	struct ctx *c = run(ethproxy, N(ethproxy), -1);
	const struct stratum_info *i = &c->info;
	assert_int_equal(i->dialect, STRATUM_ETHPROXY);
	assert_string_equal(i->login, ETH_WALLET);
	assert_int_equal(i->wallet_type, STRATUM_WALLET_ETHEREUM);
	assert_string_equal(i->worker, "rig1");
	assert_string_equal(i->pass, "x");
	assert_int_equal(i->jobs, 2);
	assert_int_equal(i->submits, 1);
	assert_int_equal(i->accepted, 1);
	assert_int_equal(i->unmatched, 1); /* the id 0 push */
	assert_int_equal(i->diff_kind, STRATUM_DIFF_TARGET);
	assert_int_equal(i->authorized, 1);
	ctx_free(c);
}

/* ---- one side alone ---- */

static void test_server_side_alone(void **state)
{
	(void)state;
	static const int want[] = { STRATUM_CRYPTONOTE, STRATUM_V1, STRATUM_ETHSTRATUM,
				    STRATUM_ETHPROXY };
	for (size_t k = 0; k < N(convs); k++) {
		struct ctx *c = run(convs[k].m, convs[k].n, 1);
		assert_int_equal(c->info.dialect, want[k]);
		assert_int_equal(c->info.roles, STRATUM_ROLE_SERVER);
		assert_int_equal(stratum_evidence(&c->info), STRATUM_EV_SERVER);
		assert_int_equal(c->info.accepted + c->info.rejected, 0);
		assert_true(c->info.jobs >= 1);
		ctx_free(c);
	}
	/* a lone subscribe result is v1 */
	struct ctx *c = ctx_new();
	feed_line(c, 1, cgminer[1].line);
	assert_int_equal(c->info.dialect, STRATUM_V1);
	ctx_free(c);
}

static void test_client_side_alone(void **state)
{
	(void)state;
	static const int want[] = { STRATUM_CRYPTONOTE, STRATUM_V1, STRATUM_ETHSTRATUM,
				    STRATUM_ETHPROXY };
	for (size_t k = 0; k < N(convs); k++) {
		struct ctx *c = run(convs[k].m, convs[k].n, 0);
		assert_int_equal(c->info.dialect, want[k]);
		assert_int_equal(c->info.roles, STRATUM_ROLE_CLIENT);
		assert_int_equal(stratum_evidence(&c->info), STRATUM_EV_CLIENT);
		assert_true(c->info.submits >= 1);
		assert_int_equal(c->info.jobs, 0);
		ctx_free(c);
	}
}

/* A capture whose source is the pool: client messages on direction 1. */
static void test_reversed_directions(void **state)
{
	(void)state;
	struct ctx *c = ctx_new();
	for (size_t i = 0; i < N(cgminer); i++)
		feed_line(c, !cgminer[i].dir, cgminer[i].line);
	assert_int_equal(c->info.dialect, STRATUM_V1);
	assert_int_equal(c->info.client_dir, 1);
	assert_int_equal(c->info.accepted, 1);
	assert_int_equal(c->info.rejected, 1);
	ctx_free(c);
}

/* ---- key orders and spacing ---- */

static void test_key_orders_and_spacing(void **state)
{
	(void)state;
	static const char *v1[] = {
		"{\"method\":\"mining.authorize\",\"params\":[\"wallet.w1\",\"x\"],\"id\":2}",
		"  {  \"params\" : [ \"wallet.w1\" , \"x\" ] ,\t\"id\" : 2 , \"method\" : \"mining.authorize\" }  \r",
		"{\"id\":2,\n",
	};
	for (size_t k = 0; k < 2; k++) {
		struct ctx *c = ctx_new();
		feed_line(c, 0, v1[k]);
		assert_int_equal(c->info.dialect, STRATUM_V1);
		assert_string_equal(c->info.login, "wallet.w1");
		assert_string_equal(c->info.worker, "w1");
		assert_int_equal(c->info.garbage_lines, 0);
		ctx_free(c);
	}
	/* a message may not span lines: both halves are garbage */
	struct ctx *g = ctx_new();
	feed_str(g, 0, v1[2]);
	feed_line(g, 0, "\"method\":\"mining.authorize\",\"params\":[\"a\",\"b\"]}");
	assert_int_equal(g->info.dialect, STRATUM_NONE);
	assert_int_equal(g->info.garbage_lines, 2);
	ctx_free(g);

	static const char *cn[] = {
		"{\"method\":\"login\",\"params\":{\"agent\":\"xmr-stak/2.10.8\",\"pass\":\"w2\",\"login\":\"" XMR_WALLET "\"},\"id\":1,\"jsonrpc\":\"2.0\"}",
		"{ \"jsonrpc\" : \"2.0\" , \"id\" : 1 , \"params\" : { \"login\" : \"" XMR_WALLET "\" , \"agent\" : \"xmr-stak/2.10.8\" ,\"pass\":\"w2\" } , \"method\" : \"login\" }\r",
	};
	for (size_t k = 0; k < N(cn); k++) {
		struct ctx *c = ctx_new();
		feed_line(c, 0, cn[k]);
		assert_int_equal(c->info.dialect, STRATUM_CRYPTONOTE);
		assert_string_equal(c->info.agent, "xmr-stak/2.10.8");
		assert_string_equal(c->info.pass, "w2");
		ctx_free(c);
	}
	static const char *job[] = {
		"{\"params\":{\"target\":\"b88d0600\",\"job_id\":\"7\",\"blob\":\"" XMR_BLOB "\"},\"method\":\"job\",\"jsonrpc\":\"2.0\"}",
		"{\"method\" :\"job\",   \"params\":{\"job_id\":\"7\",\"blob\":\"" XMR_BLOB "\" ,\"target\":\"b88d0600\"}}",
	};
	for (size_t k = 0; k < N(job); k++) {
		struct ctx *c = ctx_new();
		feed_line(c, 1, job[k]);
		assert_int_equal(c->info.dialect, STRATUM_CRYPTONOTE);
		assert_string_equal(c->info.difficulty, "b88d0600");
		assert_int_equal(c->info.jobs, 1);
		ctx_free(c);
	}
	/* \r\n line ends and blank keep-alive lines */
	struct ctx *c = ctx_new();
	for (size_t i = 0; i < N(cgminer); i++) {
		feed_str(c, cgminer[i].dir, cgminer[i].line);
		feed_str(c, cgminer[i].dir, "\r\n\r\n");
	}
	struct ctx *ref = run(cgminer, N(cgminer), -1);
	assert_info_equal(&c->info, &ref->info);
	ctx_free(c);
	ctx_free(ref);
}

/* ---- splits ---- */

static void test_every_split(void **state)
{
	(void)state;
	for (size_t k = 0; k < N(convs); k++) {
		const struct conv *cv = &convs[k];
		struct ctx *ref = run(cv->m, cv->n, -1);
		/* line i split at every position j (its '\n' included) */
		for (size_t i = 0; i < cv->n; i++) {
			size_t len = strlen(cv->m[i].line);
			char *buf = malloc(len + 1);
			assert_non_null(buf);
			memcpy(buf, cv->m[i].line, len);
			buf[len] = '\n';
			for (size_t j = 0; j <= len + 1; j++) {
				struct ctx *c = ctx_new();
				for (size_t l = 0; l < cv->n; l++) {
					if (l != i) {
						feed_line(c, cv->m[l].dir, cv->m[l].line);
						continue;
					}
					stratum_feed(&c->sp, &c->info, cv->m[l].dir,
						     (const uint8_t *)buf, j, TS);
					stratum_feed(&c->sp, &c->info, cv->m[l].dir,
						     (const uint8_t *)buf + j, len + 1 - j, TS);
				}
				assert_info_equal(&c->info, &ref->info);
				ctx_free(c);
			}
			free(buf);
		}
		/* one byte at a time, everything */
		struct ctx *c = ctx_new();
		for (size_t l = 0; l < cv->n; l++) {
			const char *s = cv->m[l].line;
			for (size_t b = 0; s[b]; b++)
				stratum_feed(&c->sp, &c->info, cv->m[l].dir, (const uint8_t *)s + b, 1, TS);
			stratum_feed(&c->sp, &c->info, cv->m[l].dir, (const uint8_t *)"\n", 1, TS);
		}
		assert_info_equal(&c->info, &ref->info);
		ctx_free(c);
		/* and the whole direction in one call each, when the order
		 * between directions does not matter (server side alone) */
		ctx_free(ref);
	}
	/* zero-length and NULL feeds change nothing */
	struct ctx *c = ctx_new();
	stratum_feed(&c->sp, &c->info, 0, NULL, 10, TS);
	stratum_feed(&c->sp, &c->info, 0, (const uint8_t *)"x", 0, TS);
	stratum_feed(&c->sp, &c->info, 2, (const uint8_t *)"{}\n", 3, TS);
	stratum_feed(&c->sp, &c->info, -1, (const uint8_t *)"{}\n", 3, TS);
	assert_int_equal(c->info.messages + c->info.garbage_lines + c->info.resyncs, 0);
	ctx_free(c);
}

/* ---- garbage, over-long lines, gaps, mid-stream starts ---- */

static void test_garbage_and_overlong(void **state)
{
	(void)state;
	struct ctx *c = ctx_new();
	feed_line(c, 0, cgminer[0].line);
	feed_line(c, 0, "this is not json");
	feed_line(c, 0, "{\"unterminated\": ");
	feed_line(c, 0, "[1,2,3]");
	feed_line(c, 0, "{\"a\":1} trailing");
	feed_line(c, 0, "\"just a string\"");
	static const uint8_t bin[] = "\x01\x02\xff\xfe{\"id\":1}\x00zz\n{\"id\":1}\x00\n";
	stratum_feed(&c->sp, &c->info, 0, bin, sizeof(bin) - 1, TS);

	/* an over-long line, fed in pieces, then a good line */
	char *big = malloc(3 * STRATUM_LINE_MAX);
	assert_non_null(big);
	memset(big, 'a', 3 * STRATUM_LINE_MAX);
	big[0] = '{';
	stratum_feed(&c->sp, &c->info, 0, (const uint8_t *)big, STRATUM_LINE_MAX, TS);
	stratum_feed(&c->sp, &c->info, 0, (const uint8_t *)big, 2 * STRATUM_LINE_MAX, TS);
	feed_str(c, 0, "\n");
	/* exactly the longest line that fits: STRATUM_LINE_MAX - 1 bytes */
	char *fit = malloc(STRATUM_LINE_MAX);
	assert_non_null(fit);
	int pre = snprintf(fit, STRATUM_LINE_MAX, "{\"id\":7,\"method\":\"mining.submit\",\"params\":[\"");
	memset(fit + pre, 'b', STRATUM_LINE_MAX - 1 - pre - 3);
	memcpy(fit + STRATUM_LINE_MAX - 4, "\"]}", 4);
	assert_int_equal(strlen(fit), STRATUM_LINE_MAX - 1);
	feed_line(c, 0, fit);
	assert_int_equal(c->info.overlong_lines, 1);
	assert_int_equal(c->info.submits, 1);
	/* one byte more is over-long */
	feed_str(c, 0, "x");
	feed_line(c, 0, fit);
	assert_int_equal(c->info.overlong_lines, 2);
	assert_int_equal(c->info.submits, 1);

	feed_line(c, 0, cgminer[2].line);
	assert_int_equal(c->info.garbage_lines, 7);
	assert_int_equal(c->info.dialect, STRATUM_V1);
	assert_string_equal(c->info.login, "slush.miner1");
	assert_int_equal(c->info.nonstratum_lines, 0); /* dialect known from line 1 */
	assert_int_equal(c->info.not_framed, 0);
	free(big);
	free(fit);
	ctx_free(c);
}

static void test_gap(void **state)
{
	(void)state;
	struct ctx *c = ctx_new();
	feed_line(c, 0, cgminer[0].line);
	/* half of the authorize, then lost bytes, then the rest of it */
	const char *a = cgminer[2].line;
	size_t half = strlen(a) / 2;
	stratum_feed(&c->sp, &c->info, 0, (const uint8_t *)a, half, TS);
	stratum_gap(&c->sp, &c->info, 0);
	feed_line(c, 0, a + half);
	assert_string_equal(c->info.login, "");
	/* the next line is read */
	feed_line(c, 0, cgminer[2].line);
	assert_string_equal(c->info.login, "slush.miner1");
	assert_int_equal(c->info.gaps, 1);
	assert_int_equal(c->info.garbage_lines, 0);
	/* a gap between lines: the next line is skipped too (it may be a tail) */
	stratum_gap(&c->sp, &c->info, 1);
	feed_line(c, 1, cgminer[5].line);
	assert_int_equal(c->info.jobs, 0);
	feed_line(c, 1, cgminer[5].line);
	assert_int_equal(c->info.jobs, 1);
	assert_int_equal(c->info.gaps, 2);
	stratum_gap(&c->sp, &c->info, 5); /* ignored */
	assert_int_equal(c->info.gaps, 2);
	ctx_free(c);
}

static void test_midstream_start(void **state)
{
	(void)state;
	/* the tail of a line first: skipped to its newline */
	struct ctx *c = ctx_new();
	feed_str(c, 0, "ams\":[\"slush.miner1\",\"x\"],\"id\":2}\n");
	feed_line(c, 0, cgminer[6].line);
	assert_int_equal(c->info.resyncs, 1);
	assert_int_equal(c->info.garbage_lines, 0);
	assert_int_equal(c->info.submits, 1);
	/* leading whitespace and newlines, then '{': parsed */
	feed_str(c, 1, " \r\n\t ");
	feed_line(c, 1, cgminer[7].line);
	assert_int_equal(c->info.resyncs, 1);
	assert_int_equal(c->info.accepted, 1);
	ctx_free(c);
}

/* ---- the hard cases: JSON-RPC that is not mining ---- */

static void test_login_api_is_not_a_pool(void **state)
{
	(void)state;
	static const char *lines[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"username\":\"bob\",\"password\":\"x\"},\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":[\"bob\",\"x\"],\"id\":2}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"bob\",\"pass\":\"x\"},\"id\":3}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"bob@example.com\",\"pass\":\"x\",\"agent\":\"Mozilla/5.0\"},\"id\":4}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"\",\"pass\":\"x\",\"agent\":\"a\",\"rigid\":\"r\"},\"id\":5}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"form\":\"contact\"},\"id\":6}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"keepalived\",\"params\":{\"id\":\"x\"},\"id\":7}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{\"job_id\":\"9\",\"blob\":\"not hex\"}}",
	};
	struct ctx *c = ctx_new();
	for (size_t i = 0; i < N(lines); i++) {
		feed_line(c, 0, lines[i]);
		char resp[128];
		snprintf(resp, sizeof(resp), "{\"jsonrpc\":\"2.0\",\"id\":%zu,\"result\":{\"token\":\"abc\",\"status\":\"OK\"}}", i + 1);
		feed_line(c, 1, resp);
		assert_int_equal(c->info.dialect, STRATUM_NONE);
	}
	assert_string_equal(c->info.login, "");
	assert_int_equal(c->info.roles, 0);
	assert_int_equal(stratum_evidence(&c->info), STRATUM_EV_NONE);
	assert_int_equal(stratum_verdict(&c->info), STRATUM_NOT);
	assert_int_equal(c->info.nonstratum_lines, 2 * N(lines));
	ctx_free(c);

	/* four lines are enough to say so */
	c = ctx_new();
	for (size_t i = 0; i < 3; i++) {
		feed_line(c, 0, lines[i]);
		assert_int_equal(stratum_verdict(&c->info), STRATUM_UNDECIDED);
	}
	feed_line(c, 1, "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{\"token\":\"abc\"}}");
	assert_int_equal(stratum_verdict(&c->info), STRATUM_NOT);
	ctx_free(c);
}

/* A login the rule alone does not accept, confirmed by the pool's job. */
static void test_tentative_login_confirmed(void **state)
{
	(void)state;
	struct ctx *c = ctx_new();
	feed_line(c, 0, "{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":\"myaccount.rig7\",\"pass\":\"x\"}}");
	assert_int_equal(c->info.dialect, STRATUM_NONE);
	assert_string_equal(c->info.login, "");
	feed_line(c, 1, xmrig[1].line);
	assert_int_equal(c->info.dialect, STRATUM_CRYPTONOTE);
	assert_string_equal(c->info.login, "myaccount.rig7");
	assert_string_equal(c->info.worker, "rig7");
	assert_string_equal(c->info.pass, "x");
	assert_int_equal(c->info.roles, STRATUM_ROLE_CLIENT | STRATUM_ROLE_SERVER);
	assert_int_equal(c->info.client_dir, 0);
	assert_int_equal(c->info.jobs, 1);
	assert_true(stratum_evidence(&c->info) & STRATUM_EV_CLIENT);
	ctx_free(c);
}

static void test_generic_jsonrpc(void **state)
{
	(void)state;
	static const char *lines[] = {
		"{\"jsonrpc\":\"2.0\",\"method\":\"subtract\",\"params\":[42,23],\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"result\":19,\"id\":1}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"mining.fake\",\"params\":[],\"id\":2}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"mining.notify\",\"params\":{\"a\":1}}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"mining.set_difficulty\",\"params\":[]}",
		"{\"jsonrpc\":\"2.0\",\"method\":\"Mining.Subscribe\",\"id\":3}",
		"{\"jsonrpc\":\"2.0\",\"result\":[\"abc\",\"de\",4],\"id\":3}",
		"{\"jsonrpc\":\"2.0\",\"result\":[[\"x\",\"y\"]],\"id\":4}",
		"{\"jsonrpc\":\"2.0\",\"result\":[\"0x12\",\"0x34\",\"0x56\"],\"id\":5}",
		"{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32601,\"message\":\"Method not found\"},\"id\":6}",
	};
	struct ctx *c = ctx_new();
	for (size_t i = 0; i < N(lines); i++)
		feed_line(c, (int)(i & 1), lines[i]);
	assert_int_equal(c->info.dialect, STRATUM_NONE);
	assert_int_equal(c->info.roles, 0);
	assert_int_equal(c->info.jobs + c->info.submits, 0);
	assert_int_equal(c->info.messages, N(lines));
	assert_int_equal(stratum_verdict(&c->info), STRATUM_NOT);
	/* not sticky: a real Stratum message still wins */
	feed_line(c, 0, cgminer[0].line);
	assert_int_equal(stratum_verdict(&c->info), STRATUM_IS);
	ctx_free(c);
}

static void test_not_framed(void **state)
{
	(void)state;
	struct ctx *c = ctx_new();
	uint8_t bin[1000];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 7 + 1) == '\n' ? 0 : (uint8_t)(i * 7 + 1);
	for (int i = 0; i < 4; i++)
		stratum_feed(&c->sp, &c->info, 1, bin, sizeof(bin), TS);
	assert_int_equal(stratum_verdict(&c->info), STRATUM_UNDECIDED);
	stratum_feed(&c->sp, &c->info, 1, bin, sizeof(bin), TS);
	assert_int_equal(stratum_verdict(&c->info), STRATUM_NOT_FRAMED);
	ctx_free(c);

	/* a JSON object over STRATUM_FRAME_MAX bytes without a newline */
	c = ctx_new();
	feed_str(c, 0, "{\"id\":1,\"params\":[\"");
	for (int i = 0; i < 100; i++)
		feed_str(c, 0, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	assert_int_equal(c->info.not_framed, 1);
	assert_int_equal(c->info.overlong_lines, 1);
	ctx_free(c);
}

/* ---- ids ---- */

static void test_id_matching(void **state)
{
	(void)state;
	struct ctx *c = ctx_new();
	/* three submits, answered out of order; string and integer ids */
	feed_line(c, 0, "{\"id\":\"a\",\"method\":\"mining.submit\",\"params\":[\"w\",\"1\",\"00\",\"00\",\"00\"]}");
	feed_line(c, 0, "{\"id\":7,\"method\":\"mining.submit\",\"params\":[\"w\",\"1\",\"00\",\"00\",\"01\"]}");
	feed_line(c, 0, "{\"id\":8,\"method\":\"mining.submit\",\"params\":[\"w\",\"1\",\"00\",\"00\",\"02\"]}");
	feed_line(c, 1, "{\"id\":8,\"result\":false,\"error\":null}");
	feed_line(c, 1, "{\"id\":\"7\",\"result\":true,\"error\":null}"); /* string "7" is not 7 */
	feed_line(c, 1, "{\"id\":\"a\",\"result\":true,\"error\":null}");
	feed_line(c, 1, "{\"id\":\"a\",\"result\":true,\"error\":null}"); /* twice: once */
	feed_line(c, 0, "{\"id\":7,\"result\":true,\"error\":null}");   /* same direction */
	assert_int_equal(c->info.submits, 3);
	assert_int_equal(c->info.accepted, 1);
	assert_int_equal(c->info.rejected, 1);
	assert_int_equal(c->info.unmatched, 3);
	feed_line(c, 1, "{\"id\":7,\"result\":true,\"error\":null}");
	assert_int_equal(c->info.accepted, 2);

	/* duplicate ids (ethminer reuses them): first in, first answered */
	feed_line(c, 0, "{\"id\":4,\"method\":\"mining.submit\",\"params\":[]}");
	feed_line(c, 0, "{\"id\":4,\"method\":\"mining.submit\",\"params\":[]}");
	feed_line(c, 1, "{\"id\":4,\"result\":true}");
	feed_line(c, 1, "{\"id\":4,\"result\":null,\"error\":[21,\"Job not found\",null]}");
	assert_int_equal(c->info.accepted, 3);
	assert_int_equal(c->info.rejected, 2);

	/* the table is bounded: the oldest falls out */
	for (int i = 0; i < STRATUM_PENDING_MAX + 3; i++) {
		char line[128];
		snprintf(line, sizeof(line), "{\"id\":%d,\"method\":\"mining.submit\",\"params\":[]}", 100 + i);
		feed_line(c, 0, line);
	}
	assert_int_equal(c->info.pending_dropped, 3);
	feed_line(c, 1, "{\"id\":100,\"result\":true}");
	assert_int_equal(c->info.accepted, 3);
	feed_line(c, 1, "{\"id\":103,\"result\":true}");
	assert_int_equal(c->info.accepted, 4);
	assert_true(c->info.accepted + c->info.rejected <= c->info.submits);
	ctx_free(c);

	/* CryptoNote status strings */
	c = ctx_new();
	feed_line(c, 0, xmrig[3].line);
	feed_line(c, 1, "{\"id\":2,\"jsonrpc\":\"2.0\",\"error\":null,\"result\":{\"status\":\"ok\"}}");
	feed_line(c, 0, xmrig[5].line);
	feed_line(c, 1, "{\"id\":3,\"jsonrpc\":\"2.0\",\"result\":false}");
	assert_int_equal(c->info.accepted, 1);
	assert_int_equal(c->info.rejected, 1);
	ctx_free(c);
}

static void test_authorize_refused(void **state)
{
	(void)state;
	struct ctx *c = ctx_new();
	feed_line(c, 0, cgminer[2].line);
	feed_line(c, 1, "{\"id\":2,\"result\":null,\"error\":[24,\"Unauthorized worker\",null]}");
	assert_int_equal(c->info.authorized, 2);
	ctx_free(c);
}

/* ---- wallets and workers ---- */

static void test_wallets(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		int type;
	} cases[] = {
		{ XMR_WALLET, STRATUM_WALLET_MONERO },
		{ "8VJCPUpeMhcDzM7v4nFJqegxG8NCKW23Pm6zKpkM2MKMAriTxxgku5KgDzVK9HRfBNd1Q3WBQstQKd7VEUE8444pBfkAf3b", STRATUM_WALLET_MONERO },
		{ "4GL7oSXA652ScKtq4FabQJrCu7HE2vitHtJDBLKhxowwyQ6wfNjRZGCGXJ6uxcvL1KdnyLwqZDTUfKUVBFLHut363WhJabiXmNAkD5TDhh", STRATUM_WALLET_MONERO },
		{ "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", STRATUM_WALLET_BITCOIN },
		{ "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy", STRATUM_WALLET_BITCOIN },
		{ "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", STRATUM_WALLET_BITCOIN },
		{ "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297", STRATUM_WALLET_BITCOIN },
		{ ETH_WALLET, STRATUM_WALLET_ETHEREUM },
		{ "0x52BC44D5378309EE2ABF1539BF71DE1B7D7BE3B5", STRATUM_WALLET_ETHEREUM },
		/* near misses */
		{ "", STRATUM_WALLET_NONE },
		{ "slush", STRATUM_WALLET_NONE },
		/* 94 and 96 characters */
		{ "4AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", STRATUM_WALLET_NONE },
		{ "444AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", STRATUM_WALLET_NONE },
		/* starts with 5; contains 0 (not base58) */
		{ "54AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3", STRATUM_WALLET_NONE },
		{ "40AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A", STRATUM_WALLET_NONE },
		{ "1A1zP1eP5QGefi2DMPTfTL5SLmv7Divf0a", STRATUM_WALLET_NONE },  /* 0 */
		{ "2A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", STRATUM_WALLET_NONE },
		{ "1A1zP1eP5QGefi2DMPTfTL5SL", STRATUM_WALLET_NONE },          /* 25 */
		{ "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNaaa", STRATUM_WALLET_NONE }, /* 36 */
		{ "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdb", STRATUM_WALLET_NONE }, /* b */
		{ "BC1QAR0SRRR7XFKVY5L643LYDNW9RE59GTZZWF5MDQ", STRATUM_WALLET_NONE },
		{ "bc1qar0srrr", STRATUM_WALLET_NONE },
		{ "0x52bc44d5378309ee2abf1539bf71de1b7d7be3b", STRATUM_WALLET_NONE },
		{ "0x52bc44d5378309ee2abf1539bf71de1b7d7be3b5a", STRATUM_WALLET_NONE },
		{ "0x52bc44d5378309ee2abf1539bf71de1b7d7be3bg", STRATUM_WALLET_NONE },
		{ "0X52bc44d5378309ee2abf1539bf71de1b7d7be3b5", STRATUM_WALLET_NONE },
	};
	for (size_t i = 0; i < N(cases); i++) {
		if ((int)stratum_wallet_type(cases[i].s, strlen(cases[i].s)) != cases[i].type)
			fail_msg("wallet %zu '%s'", i, cases[i].s);
	}
	assert_int_equal(stratum_wallet_type(NULL, 5), STRATUM_WALLET_NONE);
	/* the length is what counts, not a NUL */
	assert_int_equal(stratum_wallet_type(ETH_WALLET "zz", 42), STRATUM_WALLET_ETHEREUM);
	assert_string_equal(stratum_wallet_name(99), "");
	assert_string_equal(stratum_wallet_name(STRATUM_WALLET_ETHEREUM), "ethereum");
	assert_string_equal(stratum_wallet_name(STRATUM_WALLET_BITCOIN), "bitcoin");
}

static void test_worker_split(void **state)
{
	(void)state;
	static const struct {
		const char *login, *worker;
		int wallet_len, type;
	} cases[] = {
		{ XMR_WALLET ".rig1", "rig1", 95, STRATUM_WALLET_MONERO },
		{ XMR_WALLET "+50000", "50000", 95, STRATUM_WALLET_MONERO },
		{ ETH_WALLET ".farm.a", "farm.a", 42, STRATUM_WALLET_ETHEREUM },
		{ ETH_WALLET "/rig7/ops@example.org", "rig7/ops@example.org", 42, STRATUM_WALLET_ETHEREUM },
		{ "account", "", 7, STRATUM_WALLET_NONE },
		{ "account.", "", 7, STRATUM_WALLET_NONE },
		{ ".w", "w", 0, STRATUM_WALLET_NONE },
	};
	for (size_t i = 0; i < N(cases); i++) {
		struct ctx *c = ctx_new();
		char line[512];
		snprintf(line, sizeof(line), "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"%s\",\"x\"]}", cases[i].login);
		feed_line(c, 0, line);
		assert_string_equal(c->info.login, cases[i].login);
		assert_string_equal(c->info.worker, cases[i].worker);
		assert_int_equal(c->info.wallet_len, cases[i].wallet_len);
		assert_int_equal(c->info.wallet_type, cases[i].type);
		ctx_free(c);
	}
	/* over-long values are truncated, NUL-terminated */
	struct ctx *c = ctx_new();
	char line[1400];
	char val[600];
	memset(val, 'q', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	snprintf(line, sizeof(line), "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"%s\",\"%s\"]}", val, val);
	feed_line(c, 0, line);
	assert_int_equal(strlen(c->info.login), sizeof(c->info.login) - 1);
	assert_int_equal(strlen(c->info.pass), sizeof(c->info.pass) - 1);
	ctx_free(c);
}

/* ---- names, init and reuse ---- */

static void test_names_and_lifecycle(void **state)
{
	(void)state;
	assert_string_equal(stratum_dialect_name(STRATUM_NONE), "none");
	assert_string_equal(stratum_dialect_name(STRATUM_ETHSTRATUM), "ethereum_stratum");
	assert_string_equal(stratum_dialect_name(STRATUM_ETHPROXY), "eth_proxy");
	assert_string_equal(stratum_dialect_name(STRATUM__COUNT), "unknown");
	assert_string_equal(stratum_dialect_name(-1), "unknown");

	struct ctx *c = ctx_new();
	assert_int_equal(c->info.client_dir, -1);
	assert_int_equal(stratum_verdict(&c->info), STRATUM_UNDECIDED);
	stratum_release(&c->sp); /* nothing allocated yet */
	feed_line(c, 0, cgminer[0].line);
	stratum_release(&c->sp);
	stratum_release(&c->sp);
	stratum_init(&c->sp, &c->info);
	feed_line(c, 0, xmrig[0].line);
	assert_int_equal(c->info.dialect, STRATUM_CRYPTONOTE);
	ctx_free(c);
}

/* CryptoNote job algo when the login sent none; difficulty as a string. */
static void test_misc_fields(void **state)
{
	(void)state;
	struct ctx *c = run(xmrig, N(xmrig), 1);
	assert_string_equal(c->info.algo, "rx/0");
	ctx_free(c);
	c = ctx_new();
	feed_line(c, 1, "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[\"1024\"]}");
	feed_line(c, 1, "{\"id\":null,\"method\":\"mining.set_difficulty\",\"params\":[16384]}");
	assert_string_equal(c->info.difficulty, "16384");
	feed_line(c, 1, "{\"method\":\"mining.set_extranonce\",\"params\":[\"08000002\",4]}");
	feed_line(c, 1, "{\"method\":\"mining.set_version_mask\",\"params\":[\"1fffe000\"]}");
	assert_int_equal(c->info.stratum_messages, 4);
	assert_int_equal(stratum_evidence(&c->info), STRATUM_EV_NONE);
	ctx_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_xmrig),
		cmocka_unit_test(test_cgminer_v1),
		cmocka_unit_test(test_nicehash),
		cmocka_unit_test(test_ethproxy),
		cmocka_unit_test(test_server_side_alone),
		cmocka_unit_test(test_client_side_alone),
		cmocka_unit_test(test_reversed_directions),
		cmocka_unit_test(test_key_orders_and_spacing),
		cmocka_unit_test(test_every_split),
		cmocka_unit_test(test_garbage_and_overlong),
		cmocka_unit_test(test_gap),
		cmocka_unit_test(test_midstream_start),
		cmocka_unit_test(test_login_api_is_not_a_pool),
		cmocka_unit_test(test_tentative_login_confirmed),
		cmocka_unit_test(test_generic_jsonrpc),
		cmocka_unit_test(test_not_framed),
		cmocka_unit_test(test_id_matching),
		cmocka_unit_test(test_authorize_refused),
		cmocka_unit_test(test_wallets),
		cmocka_unit_test(test_worker_split),
		cmocka_unit_test(test_names_and_lifecycle),
		cmocka_unit_test(test_misc_fields),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
