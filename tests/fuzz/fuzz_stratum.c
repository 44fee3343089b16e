/* fuzz_stratum.c - libFuzzer target: arbitrary bytes through the Stratum
 * parser (proto/stratum.c), in both directions and in arbitrary chunks.
 *
 * Input layout: byte 0 chooses the mode.
 *   bit 0 clear, "chunk mode": the rest is a sequence of records
 *     ctl, bytes...: ctl bit 0 is the direction; ctl >> 1 == 0x7f is a gap
 *     in that direction (no bytes follow); ctl >> 1 == 0x7e feeds all the
 *     rest; otherwise (ctl >> 1) + 1 bytes follow (fewer at the end).
 *   bit 0 set, "line mode": the rest is text lines; a line starting with
 *     '<' goes to direction 1 (the '<' dropped), one starting with '>' to
 *     direction 0 (dropped), any other to direction 0 as it is. Each line
 *     and its '\n' is fed in chunks of 1 + (byte0 >> 1) + 7 * line % 61
 *     bytes; a second parser is fed the same lines whole, and both must end
 *     with the same struct stratum_info (a line split anywhere reads the
 *     same).
 *
 * Every chunk is copied into a malloc'd buffer of exactly its size, so
 * AddressSanitizer reports any read past it. After every feed the invariants
 * of stratum.h are checked; a violation prints what failed and abort()s,
 * which libFuzzer reports as a crash with the input saved.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stratum.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_NAME "fuzz_stratum"
#include "fuzz_invariant.h"

#define STR_OK(s) CHECK(memchr((s), '\0', sizeof(s)) != NULL)

struct ctx {
	struct stratum_parser sp;
	struct stratum_info info;
};

static void check(const struct ctx *c)
{
	const struct stratum_info *i = &c->info;
	STR_OK(i->login);
	STR_OK(i->worker);
	STR_OK(i->pass);
	STR_OK(i->agent);
	STR_OK(i->algo);
	STR_OK(i->rigid);
	STR_OK(i->difficulty);
	CHECK(i->dialect < STRATUM__COUNT);
	CHECK(i->roles <= (STRATUM_ROLE_CLIENT | STRATUM_ROLE_SERVER));
	CHECK(i->client_dir >= -1 && i->client_dir <= 1);
	CHECK(!!(i->roles & STRATUM_ROLE_CLIENT) == (i->client_dir >= 0));
	CHECK(i->wallet_type <= STRATUM_WALLET_ETHEREUM);
	CHECK(i->diff_kind <= STRATUM_DIFF_TARGET);
	CHECK(i->authorized <= 2);
	CHECK(i->accepted + i->rejected <= i->submits);
	CHECK(i->stratum_messages <= i->messages);
	CHECK(i->first_us <= i->last_us);
	CHECK(!!(i->seen & STRATUM_SEEN_JOB) == (i->jobs > 0));
	CHECK(!!(i->seen & STRATUM_SEEN_SUBMIT) == (i->submits > 0));
	CHECK((stratum_verdict(i) == STRATUM_IS) == (i->dialect != STRATUM_NONE));
	CHECK(stratum_evidence(i) <= (STRATUM_EV_CLIENT | STRATUM_EV_SERVER));
	CHECK(strlen(stratum_dialect_name(i->dialect)) > 0);

	/* nothing is attributed to a flow that was not recognised */
	if (i->dialect == STRATUM_NONE) {
		CHECK(i->roles == 0);
		CHECK(i->jobs == 0 && i->submits == 0 && i->seen == 0);
		CHECK(i->login[0] == '\0' && i->agent[0] == '\0');
		CHECK(i->stratum_messages == 0);
	}

	/* login, wallet part, worker and wallet type agree */
	size_t ln = strlen(i->login);
	CHECK(i->wallet_len <= ln);
	CHECK(i->wallet_type == stratum_wallet_type(i->login, i->wallet_len));
	if (i->wallet_len < ln && i->dialect != STRATUM_ETHPROXY)
		CHECK(strncmp(i->worker, i->login + i->wallet_len + 1, sizeof(i->worker) - 1) == 0);

	for (int d = 0; d < 2; d++) {
		const struct stratum_dir *sd = &c->sp.dir[d];
		CHECK(sd->len < STRATUM_LINE_MAX);
		CHECK(sd->line[sd->len] == '\0');
		CHECK(sd->state <= STRATUM_DIR_SKIP);
		if (sd->state != STRATUM_DIR_LINE)
			CHECK(sd->len == 0);
	}
	for (int k = 0; k < STRATUM_PENDING_MAX; k++)
		CHECK(c->sp.pending[k].idlen < STRATUM_ID_MAX);
}

static void feed(struct ctx *c, int dir, const uint8_t *p, size_t n, uint64_t ts)
{
	uint8_t *buf = malloc(n ? n : 1);
	if (!buf)
		return;
	memcpy(buf, p, n);
	stratum_feed(&c->sp, &c->info, dir, buf, n, ts);
	free(buf);
	check(c);
}

static void same(const struct stratum_info *a, const struct stratum_info *b)
{
	CHECK(a->dialect == b->dialect && a->roles == b->roles && a->client_dir == b->client_dir);
	CHECK(a->wallet_type == b->wallet_type && a->wallet_len == b->wallet_len);
	CHECK(a->seen == b->seen && a->authorized == b->authorized && a->diff_kind == b->diff_kind);
	CHECK(a->not_framed == b->not_framed);
	CHECK(strcmp(a->login, b->login) == 0 && strcmp(a->worker, b->worker) == 0);
	CHECK(strcmp(a->pass, b->pass) == 0 && strcmp(a->agent, b->agent) == 0);
	CHECK(strcmp(a->algo, b->algo) == 0 && strcmp(a->rigid, b->rigid) == 0);
	CHECK(strcmp(a->difficulty, b->difficulty) == 0);
	CHECK(a->jobs == b->jobs && a->submits == b->submits);
	CHECK(a->accepted == b->accepted && a->rejected == b->rejected);
	CHECK(a->messages == b->messages && a->stratum_messages == b->stratum_messages);
	CHECK(a->garbage_lines == b->garbage_lines && a->overlong_lines == b->overlong_lines);
	CHECK(a->nonstratum_lines == b->nonstratum_lines && a->unmatched == b->unmatched);
	CHECK(a->resyncs == b->resyncs && a->pending_dropped == b->pending_dropped);
	CHECK(a->first_us == b->first_us && a->last_us == b->last_us);
}

static void chunk_mode(struct ctx *c, const uint8_t *p, size_t n)
{
	uint64_t ts = 1700000000000000ULL;
	size_t i = 0;
	while (i < n) {
		uint8_t ctl = p[i++];
		int dir = ctl & 1;
		unsigned op = ctl >> 1;
		if (op == 0x7f) {
			stratum_gap(&c->sp, &c->info, dir);
			check(c);
			continue;
		}
		size_t len = op == 0x7e ? n - i : (size_t)op + 1;
		if (len > n - i)
			len = n - i;
		feed(c, dir, p + i, len, ts++);
		i += len;
	}
}

static void line_mode(struct ctx *a, struct ctx *b, uint8_t mode, const uint8_t *p, size_t n)
{
	uint64_t ts = 1700000000000000ULL;
	size_t i = 0, line = 0;
	while (i < n) {
		const uint8_t *nl = memchr(p + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - p) + 1 : n; /* one past the '\n' */
		int dir = 0;
		size_t start = i;
		if (p[i] == '<' || p[i] == '>') {
			dir = p[i] == '<';
			start++;
		}
		size_t chunk = 1 + (mode >> 1) + (7 * line) % 61;
		for (size_t k = start; k < end; k += chunk)
			feed(a, dir, p + k, end - k < chunk ? end - k : chunk, ts);
		if (end > start)
			feed(b, dir, p + start, end - start, ts);
		i = end;
		line++;
		ts++;
	}
	same(&a->info, &b->info);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct ctx *a = malloc(sizeof(*a));
	struct ctx *b = malloc(sizeof(*b));
	if (!a || !b) {
		free(a);
		free(b);
		return 0;
	}
	/* the parser must not rely on anything but stratum_init() */
	memset(a, 0xa5, sizeof(*a));
	memset(b, 0x5a, sizeof(*b));
	stratum_init(&a->sp, &a->info);
	stratum_init(&b->sp, &b->info);
	check(a);

	if (data[0] & 1)
		line_mode(a, b, data[0], data + 1, size - 1);
	else
		chunk_mode(a, data + 1, size - 1);

	stratum_release(&a->sp);
	stratum_release(&b->sp);
	free(a);
	free(b);
	return 0;
}
