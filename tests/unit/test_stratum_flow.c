/* test_stratum_flow.c - mining detection on TCP flows (sensor/stratum_flow.c):
 * which flows become candidates, the alerts due (client, server alone,
 * nDPI Mining unreadable, Stratum V2) and when, nDPI overruled, late nDPI
 * verdicts, streams reordered through the reassembler, the candidate bound,
 * a last line without its newline. Flows come from the real flow table;
 * nDPI's Mining verdict is given as the argument the worker would pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "flow.h"
#include "stratum_flow.h"

#define SEC 1000000ULL
#define CLI "10.244.1.23"
#define SRV "203.0.113.77"

static const char LOGIN[] =
	"{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"login\",\"params\":{\"login\":"
	"\"44AFFq5kSiGBoZ4NMDwYtN18obc8AemS33DBLWs3H7otXft3XjrpDtQGv7SqSsaBYBb98uNbr2VBBEt7f2wfn3RVGQBEP3A\","
	"\"pass\":\"x\",\"agent\":\"XMRig/6.21.0\",\"algo\":[\"rx/0\"]}}\n";
static const char JOB[] =
	"{\"jsonrpc\":\"2.0\",\"method\":\"job\",\"params\":{\"blob\":\"0e0ef0a4c8a6065f5f5f5f5f5f5f5f5f5f5f5f5f"
	"5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f5f00000000\",\"job_id\":\"j2\",\"target\":\"b88d0600\"}}\n";
static const char SUBMIT[] =
	"{\"id\":2,\"jsonrpc\":\"2.0\",\"method\":\"submit\",\"params\":{\"id\":\"a\",\"job_id\":\"j2\","
	"\"nonce\":\"00000001\",\"result\":\"" "aa" "\"}}\n";

struct env {
	struct flow_table t;
	struct stratum_flows s;
	uint32_t seq[2]; /* next sequence number per side (0: client) */
	uint64_t now;
	struct flow *f;
	struct alert_due due; /* accumulated */
	unsigned calls;
};

static void on_end(void *ctx, struct flow *f, enum flow_reason why)
{
	struct env *e = ctx;
	stratum_flow_end(&e->s, f);
	(void)why;
}

static struct env *env_new(uint64_t max_live)
{
	struct env *e = calloc(1, sizeof(*e));
	assert_non_null(e);
	struct flow_timeouts to;
	flow_timeouts_default(&to);
	char err[256];
	assert_int_equal(flow_table_init(&e->t, 64, &to, on_end, e, err, sizeof(err)), 0);
	assert_int_equal(stratum_flows_init(&e->s, max_live, 64 * REASM_CHUNK, err, sizeof(err)), 0);
	e->seq[0] = 0x1000;
	e->seq[1] = 0xfffffff0u; /* the server's stream wraps around 2^32 */
	e->now = 1700000000 * SEC;
	for (int i = 0; i < SIG__COUNT; i++)
		e->due.dir[i] = -1;
	return e;
}

static void env_free(struct env *e)
{
	flow_flush(&e->t, e->now);
	assert_int_equal(e->s.st.live, 0);
	assert_int_equal(e->s.pool.st.chunks_used, 0);
	flow_table_free(&e->t);
	stratum_flows_free(&e->s);
	free(e);
}

/* One packet from side `from` (0: client CLI:40002, 1: server SRV:port) with
 * sequence number seq, as the worker hands it on. */
static void send_at(struct env *e, int from, uint16_t port, uint8_t flags, uint32_t seq,
		    const void *payload, size_t len, bool mining)
{
	struct pkt p;
	memset(&p, 0, sizeof(p));
	p.ipver = 4;
	p.l4proto = 6;
	inet_pton(AF_INET, from ? SRV : CLI, p.src);
	inet_pton(AF_INET, from ? CLI : SRV, p.dst);
	p.sport = from ? port : 40002;
	p.dport = from ? 40002 : port;
	p.tcp_flags = flags;
	p.tcp_seq = seq;
	p.tcp_ack = e->seq[!from];
	p.data = payload;
	p.payload_off = 0;
	p.payload_len = (uint32_t)len;
	p.caplen = p.wirelen = (uint32_t)(54 + len);
	p.flags = PKT_HAS_KEY;
	e->now += 1000;
	p.ts_us = e->now;

	struct flow_key k;
	int side;
	flow_key_from_pkt(&p, &k, &side);
	bool created;
	struct flow *f = flow_packet(&e->t, &p, &k, flow_key_hash(&k), side, &created);
	assert_non_null(f);
	e->f = f;
	if (!stratum_flow_wants(f, mining))
		return;
	struct alert_due d = { 0 };
	stratum_flow_packet(&e->s, f, &p, side == f->src_side ? 0 : 1, mining, &d);
	for (int i = 0; i < SIG__COUNT; i++)
		if (d.sigs & (1u << i)) {
			assert_false(e->due.sigs & (1u << i)); /* once per flow per signature */
			e->due.sigs |= 1u << i;
			e->due.dir[i] = d.dir[i];
		}
	e->calls++;
}

static void tx(struct env *e, int from, uint16_t port, uint8_t flags, const void *payload,
		 size_t len, bool mining)
{
	send_at(e, from, port, flags, e->seq[from], payload, len, mining);
	e->seq[from] += (uint32_t)len + ((flags & (TCP_SYN | TCP_FIN)) ? 1 : 0);
}

static void handshake(struct env *e, uint16_t port)
{
	tx(e, 0, port, TCP_SYN, NULL, 0, false);
	tx(e, 1, port, TCP_SYN | TCP_ACK, NULL, 0, false);
	tx(e, 0, port, TCP_ACK, NULL, 0, false);
}

static void line(struct env *e, int from, const char *s, bool mining)
{
	tx(e, from, 3333, TCP_ACK | TCP_PSH, s, strlen(s), mining);
}

static void finish(struct env *e, bool mining)
{
	struct alert_due d = { 0 };
	stratum_flow_finish(&e->s, e->f, mining, &d);
	for (int i = 0; i < SIG__COUNT; i++)
		if (d.sigs & (1u << i)) {
			assert_false(e->due.sigs & (1u << i));
			e->due.sigs |= 1u << i;
			e->due.dir[i] = d.dir[i];
		}
}

#define BIT(s) (1u << (s))

/* ---- tests --------------------------------------------------------------- */

static void test_client_alert_once(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 3333);
	assert_int_equal(e->due.sigs, 0);
	line(e, 0, LOGIN, false);
	assert_int_equal(e->due.sigs, BIT(SIG_STRATUM_CLIENT));
	assert_int_equal(e->due.dir[SIG_STRATUM_CLIENT], 0);
	assert_true(e->f->alerted & BIT(SIG_STRATUM_CLIENT));
	line(e, 1, JOB, false);   /* server messages after a client: no second alert */
	line(e, 0, SUBMIT, false);
	assert_int_equal(e->due.sigs, BIT(SIG_STRATUM_CLIENT));
	assert_int_equal(e->f->stratum->info.dialect, STRATUM_CRYPTONOTE);
	assert_int_equal(e->s.st.candidates, 1);
	assert_int_equal(e->s.st.recognised, 1);
	env_free(e);
}

static void test_server_side_alone(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 3333);
	line(e, 1, JOB, false);
	assert_int_equal(e->due.sigs, BIT(SIG_STRATUM_SERVER));
	assert_int_equal(e->due.dir[SIG_STRATUM_SERVER], 1);
	/* the client shows up later: its alert comes too */
	line(e, 0, SUBMIT, false);
	assert_int_equal(e->due.sigs, BIT(SIG_STRATUM_SERVER) | BIT(SIG_STRATUM_CLIENT));
	env_free(e);
}

static void test_not_candidate_costs_nothing(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 80);
	const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n", *rep = "HTTP/1.1 200 OK\r\n\r\n{}";
	tx(e, 0, 80, TCP_ACK, req, strlen(req), false);
	tx(e, 1, 80, TCP_ACK, rep, strlen(rep), false);
	assert_null(e->f->stratum);
	assert_true(e->f->l7 & L7_DONE);
	unsigned calls = e->calls;
	tx(e, 0, 80, TCP_ACK, req, strlen(req), false);
	assert_int_equal(e->calls, calls); /* the worker does not even call */
	assert_int_equal(e->s.st.candidates, 0);
	env_free(e);
}

static void test_reordered_segments(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 3333);
	size_t n = strlen(LOGIN), a = 40, b = 90;
	uint32_t s0 = e->seq[0];
	/* the login in three segments: the last, the first, the middle */
	send_at(e, 0, 3333, TCP_ACK, s0 + (uint32_t)b, LOGIN + b, n - b, false);
	send_at(e, 0, 3333, TCP_ACK, s0, LOGIN, a, false);
	assert_int_equal(e->due.sigs, 0);
	send_at(e, 0, 3333, TCP_ACK, s0 + (uint32_t)a, LOGIN + a, b - a, false);
	assert_int_equal(e->due.sigs, BIT(SIG_STRATUM_CLIENT));
	assert_string_equal(e->f->stratum->info.agent, "XMRig/6.21.0");
	e->seq[0] += (uint32_t)n;
	/* a retransmission of the whole login changes nothing */
	send_at(e, 0, 3333, TCP_ACK, s0, LOGIN, n, false);
	assert_int_equal(e->f->stratum->info.messages, 1);
	/* the server's stream crosses 2^32 */
	line(e, 1, JOB, false);
	line(e, 1, JOB, false);
	assert_int_equal(e->f->stratum->info.jobs, 2);
	env_free(e);
}

static void test_lost_segment_acked(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 3333);
	line(e, 0, LOGIN, false);
	e->seq[0] += (uint32_t)strlen(SUBMIT); /* a submit lost to the capture */
	tx(e, 1, 3333, TCP_ACK, NULL, 0, false); /* the pool acknowledges it */
	/* the parser resumes after the next newline: this submit is skipped */
	line(e, 0, SUBMIT, false);
	assert_int_equal(e->f->stratum->info.submits, 0);
	line(e, 0, SUBMIT, false);
	assert_int_equal(e->f->stratum->info.submits, 1);
	assert_int_equal(e->f->stratum->info.gaps, 1);
	assert_int_equal(e->s.pool.st.gaps_ack, 1);
	env_free(e);
}

static void test_ndpi_unreadable(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 3333);
	uint8_t bin[1400];
	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(0x80 | (i * 7));  /* no newline, no '{' */
	tx(e, 0, 3333, TCP_ACK, bin, sizeof(bin), false);
	assert_true(e->f->l7 & L7_SEEN0);
	assert_null(e->f->stratum);
	/* nDPI says Mining: read from here on; 4096 bytes without a newline */
	for (int i = 0; i < 4; i++)
		tx(e, 0, 3333, TCP_ACK, bin, sizeof(bin), true);
	assert_int_equal(e->due.sigs, BIT(SIG_NDPI_MINING));
	assert_true(e->f->l7 & L7_UNREADABLE);
	assert_int_equal(e->s.st.ndpi_overruled, 0);
	env_free(e);
}

static void test_ndpi_overruled(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 8080);
	const char *rpc = "{\"jsonrpc\":\"2.0\",\"method\":\"getblock\",\"params\":[1],\"id\":1}\n";
	for (int i = 0; i < 4; i++)
		tx(e, 0, 8080, TCP_ACK, rpc, strlen(rpc), true);
	assert_int_equal(e->due.sigs, 0);
	assert_int_equal(e->s.st.ndpi_overruled, 1);
	assert_int_equal(e->s.st.not_stratum, 1);
	assert_null(e->f->stratum);
	finish(e, true);
	assert_int_equal(e->due.sigs, 0);
	assert_int_equal(e->s.st.ndpi_overruled, 1);
	env_free(e);
}

static void test_late_mining_after_release(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 8080);
	const char *rpc = "{\"method\":\"login\",\"params\":{\"username\":\"bob\",\"password\":\"x\"},\"id\":1}\n";
	for (int i = 0; i < 4; i++)
		tx(e, 0, 8080, TCP_ACK, rpc, strlen(rpc), false);
	assert_true(e->f->l7 & L7_DONE);
	assert_true(e->f->l7 & L7_READABLE);
	tx(e, 1, 8080, TCP_ACK, rpc, strlen(rpc), true); /* nDPI's verdict, late */
	assert_int_equal(e->due.sigs, 0); /* the hard case stays quiet */
	assert_int_equal(e->s.st.ndpi_overruled, 1);
	env_free(e);
}

static void test_http_jsonrpc_overrules(void **state)
{
	/* JSON-RPC over HTTP that nDPI calls Mining: text lines, no alert */
	struct env *e = env_new(16);
	handshake(e, 8080);
	const char *req = "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
			  "Content-Length: 50\r\n\r\n{\"method\":\"mining.x\",\"id\":1}";
	tx(e, 0, 8080, TCP_ACK, req, strlen(req), true);
	finish(e, true);
	assert_int_equal(e->due.sigs, 0);
	assert_int_equal(e->s.st.ndpi_overruled, 1);
	env_free(e);
}

static void test_last_line_without_newline(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 8080);
	const char *rpc = "{\"jsonrpc\": \"2.0\", \"method\": \"echo\", \"params\": [\"x\"], \"id\": \"a\"}";
	tx(e, 0, 8080, TCP_ACK, rpc, strlen(rpc), true);
	assert_int_equal(e->f->stratum->info.messages, 0);
	finish(e, true);
	assert_int_equal(e->f->stratum->info.messages, 1);
	assert_int_equal(e->due.sigs, 0);
	assert_int_equal(e->s.st.ndpi_overruled, 1);
	env_free(e);
}

static void test_last_line_is_stratum(void **state)
{
	struct env *e = env_new(16);
	handshake(e, 3333);
	tx(e, 0, 3333, TCP_ACK, LOGIN, strlen(LOGIN) - 1, false); /* without its '\n' */
	assert_int_equal(e->due.sigs, 0);
	finish(e, false);
	assert_int_equal(e->due.sigs, BIT(SIG_STRATUM_CLIENT));
	assert_int_equal(e->s.st.recognised, 1);
	env_free(e);
}

static void test_candidate_bound(void **state)
{
	struct env *e = env_new(1);
	handshake(e, 3333);
	line(e, 0, LOGIN, false);
	struct flow *first = e->f;
	/* a second pool connection from another port: refused at the bound */
	struct pkt p;
	(void)p;
	e->seq[0] = 0x9000;
	e->seq[1] = 0x7000;
	tx(e, 0, 3334, TCP_SYN, NULL, 0, true);
	tx(e, 1, 3334, TCP_SYN | TCP_ACK, NULL, 0, true);
	tx(e, 0, 3334, TCP_ACK, LOGIN, strlen(LOGIN), true);
	assert_ptr_not_equal(e->f, first);
	assert_null(e->f->stratum);
	assert_int_equal(e->s.st.no_memory, 1);
	/* nDPI says Mining and the stream cannot be read: that alert instead */
	assert_true(e->due.sigs & BIT(SIG_NDPI_MINING));
	env_free(e);
}

static uint32_t rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

static void v2_flow(struct env *e, size_t hello, bool random, size_t answer)
{
	uint8_t buf[256];
	uint32_t x = 2463534242u;
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = random ? (uint8_t)rnd(&x) : 'a';
	handshake(e, 34255);
	tx(e, 0, 34255, TCP_ACK | TCP_PSH, buf, hello, false);
	tx(e, 1, 34255, TCP_ACK | TCP_PSH, buf + 64, answer, false);
	tx(e, 0, 34255, TCP_ACK | TCP_PSH, buf + 8, 90, false);
	tx(e, 1, 34255, TCP_ACK | TCP_PSH, buf + 16, 120, false);
}

static void test_v2_heuristic(void **state)
{
	struct env *e = env_new(16);
	v2_flow(e, 64, true, 170);
	assert_int_equal(e->due.sigs, BIT(SIG_STRATUM_V2));
	assert_int_equal(e->s.st.v2_checked, 1);
	assert_int_equal(e->s.st.candidates, 0);
	assert_true(e->f->l7 & L7_DONE);
	env_free(e);

	e = env_new(16);
	v2_flow(e, 63, true, 170);
	assert_int_equal(e->due.sigs, 0);
	env_free(e);
	e = env_new(16);
	v2_flow(e, 64, false, 170); /* low entropy */
	assert_int_equal(e->due.sigs, 0);
	assert_int_equal(e->s.st.v2_checked, 1);
	env_free(e);
	e = env_new(16);
	v2_flow(e, 64, true, 171);
	assert_int_equal(e->due.sigs, 0);
	env_free(e);
}

static void test_entropy(void **state)
{
	uint8_t b[256];
	for (int i = 0; i < 256; i++)
		b[i] = (uint8_t)i;
	assert_true(stratum_entropy(b, 256) > 7.999 && stratum_entropy(b, 256) < 8.001);
	memset(b, 'a', 64);
	assert_true(stratum_entropy(b, 64) == 0.0);
	b[0] = 'b';
	assert_true(stratum_entropy(b, 2) > 0.999 && stratum_entropy(b, 2) < 1.001);
	assert_true(stratum_entropy(b, 0) == 0.0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_client_alert_once),
		cmocka_unit_test(test_server_side_alone),
		cmocka_unit_test(test_not_candidate_costs_nothing),
		cmocka_unit_test(test_reordered_segments),
		cmocka_unit_test(test_lost_segment_acked),
		cmocka_unit_test(test_ndpi_unreadable),
		cmocka_unit_test(test_ndpi_overruled),
		cmocka_unit_test(test_late_mining_after_release),
		cmocka_unit_test(test_http_jsonrpc_overrules),
		cmocka_unit_test(test_last_line_without_newline),
		cmocka_unit_test(test_last_line_is_stratum),
		cmocka_unit_test(test_candidate_bound),
		cmocka_unit_test(test_v2_heuristic),
		cmocka_unit_test(test_entropy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
