/* test_jbuf.c - the fixed-buffer JSON writer: structure, escaping, overflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jbuf.h"

/* Finishes j and compares the whole output (with its '\n'). */
static void expect_out(struct jbuf *j, const char *want)
{
	size_t n = jb_finish(j);
	assert_false(j->overflow);
	assert_int_equal(n, strlen(want));
	assert_string_equal(j->buf, want);
}

/* One string member "s" written with jb_strn, compared in full. */
static void expect_str(const char *in, size_t n, const char *want_value)
{
	char buf[512], want[512];
	struct jbuf j;
	jb_init(&j, buf, sizeof(buf));
	jb_strn(&j, "s", in, n);
	snprintf(want, sizeof(want), "{\"s\":\"%s\"}\n", want_value);
	expect_out(&j, want);
}

static void test_empty(void **state)
{
	(void)state;
	char buf[16];
	struct jbuf j;
	jb_init(&j, buf, sizeof(buf));
	expect_out(&j, "{}\n");
}

static void test_scalars_and_commas(void **state)
{
	(void)state;
	char buf[256];
	struct jbuf j;
	jb_init(&j, buf, sizeof(buf));
	jb_u64(&j, "a", 0);
	jb_u64(&j, "b", UINT64_MAX);
	jb_i64(&j, "c", INT64_MIN);
	jb_i64(&j, "d", 42);
	jb_bool(&j, "e", true);
	jb_bool(&j, "f", false);
	jb_str(&j, "g", "");
	expect_out(&j, "{\"a\":0,\"b\":18446744073709551615,\"c\":-9223372036854775808,"
		       "\"d\":42,\"e\":true,\"f\":false,\"g\":\"\"}\n");
}

static void test_nested(void **state)
{
	(void)state;
	char buf[256];
	struct jbuf j;
	jb_init(&j, buf, sizeof(buf));
	jb_u64(&j, "a", 1);
	jb_obj_open(&j, "b");
	jb_str(&j, "c", "x");
	jb_arr_open(&j, "d");
	jb_u64(&j, NULL, 1);
	jb_u64(&j, NULL, 2);
	jb_obj_open(&j, NULL);
	jb_bool(&j, "e", true);
	jb_obj_close(&j);
	jb_arr_open(&j, NULL);
	jb_arr_close(&j);
	jb_str(&j, NULL, "s");
	jb_arr_close(&j);
	jb_bool(&j, "f", false);
	jb_obj_close(&j);
	jb_obj_open(&j, "empty");
	jb_obj_close(&j);
	jb_arr_open(&j, "none");
	jb_arr_close(&j);
	jb_i64(&j, "g", -5);
	expect_out(&j, "{\"a\":1,\"b\":{\"c\":\"x\",\"d\":[1,2,{\"e\":true},[],\"s\"],\"f\":false},"
		       "\"empty\":{},\"none\":[],\"g\":-5}\n");
}

static void test_max_depth(void **state)
{
	(void)state;
	char buf[512];
	struct jbuf j;
	/* JB_MAX_DEPTH - 1 levels below the top-level object fit */
	jb_init(&j, buf, sizeof(buf));
	for (int i = 0; i < JB_MAX_DEPTH - 1; i++)
		jb_arr_open(&j, i == 0 ? "a" : NULL);
	for (int i = 0; i < JB_MAX_DEPTH - 1; i++)
		jb_arr_close(&j);
	char want[128] = "{\"a\":";
	for (int i = 0; i < JB_MAX_DEPTH - 1; i++)
		strcat(want, "[");
	for (int i = 0; i < JB_MAX_DEPTH - 1; i++)
		strcat(want, "]");
	strcat(want, "}\n");
	expect_out(&j, want);

	/* one more is refused */
	jb_init(&j, buf, sizeof(buf));
	for (int i = 0; i < JB_MAX_DEPTH; i++)
		jb_arr_open(&j, i == 0 ? "a" : NULL);
	assert_true(j.overflow);
	for (int i = 0; i < JB_MAX_DEPTH; i++)
		jb_arr_close(&j);
	assert_int_equal(jb_finish(&j), 0);
}

static void test_escape_quote_backslash(void **state)
{
	(void)state;
	expect_str("a\"b\\c", 5, "a\\\"b\\\\c");
	expect_str("\"", 1, "\\\"");
	expect_str("\\", 1, "\\\\");
	expect_str("/", 1, "/");
}

static void test_escape_controls(void **state)
{
	(void)state;
	expect_str("\x01", 1, "\\u0001");
	expect_str("a\nb\tc\rd", 7, "a\\nb\\tc\\rd");
	expect_str("\x1f\x08\x0c", 3, "\\u001f\\u0008\\u000c");
	expect_str("x\0y", 3, "x\\u0000y");
	/* DEL is allowed unescaped in JSON */
	expect_str("\x7f", 1, "\x7f");
}

/* Keys are trusted literals (jbuf.h) and are written as they are. */
static void test_key_verbatim(void **state)
{
	(void)state;
	char buf[64];
	struct jbuf j;
	jb_init(&j, buf, sizeof(buf));
	jb_u64(&j, "flow.pkts_toserver", 18446744073709551615ULL);
	jb_u64(&j, "zero", 0);
	expect_out(&j, "{\"flow.pkts_toserver\":18446744073709551615,\"zero\":0}\n");
}

static void test_utf8_valid(void **state)
{
	(void)state;
	/* U+00E9, U+20AC, U+1F600, U+0080, U+07FF, U+E000, U+FFFF, U+10000, U+10FFFF */
	static const char s[] = "\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xc2\x80 \xdf\xbf "
				"\xee\x80\x80 \xef\xbf\xbf \xf0\x90\x80\x80 \xf4\x8f\xbf\xbf";
	expect_str(s, sizeof(s) - 1, s);
	/* U+D7FF: the last code point before the surrogates */
	expect_str("\xed\x9f\xbf", 3, "\xed\x9f\xbf");
}

static void test_utf8_invalid(void **state)
{
	(void)state;
	/* stray continuation bytes and bytes never valid */
	expect_str("\x80", 1, "\\u0080");
	expect_str("a\xbf" "b", 3, "a\\u00bfb");
	expect_str("\xff\xfe", 2, "\\u00ff\\u00fe");
	expect_str("\xf5\x80\x80\x80", 4, "\\u00f5\\u0080\\u0080\\u0080");
	/* overlong forms */
	expect_str("\xc0\xaf", 2, "\\u00c0\\u00af");
	expect_str("\xc1\xbf", 2, "\\u00c1\\u00bf");
	expect_str("\xe0\x80\xaf", 3, "\\u00e0\\u0080\\u00af");
	expect_str("\xf0\x80\x80\xaf", 4, "\\u00f0\\u0080\\u0080\\u00af");
	/* surrogates U+D800 and U+DFFF */
	expect_str("\xed\xa0\x80", 3, "\\u00ed\\u00a0\\u0080");
	expect_str("\xed\xbf\xbf", 3, "\\u00ed\\u00bf\\u00bf");
	/* above U+10FFFF */
	expect_str("\xf4\x90\x80\x80", 4, "\\u00f4\\u0090\\u0080\\u0080");
	/* lead byte without enough continuation bytes, mid-string and at the end */
	expect_str("\xe2\x82" "x", 3, "\\u00e2\\u0082x");
	expect_str("x\xe2\x82", 3, "x\\u00e2\\u0082");
	expect_str("\xc3", 1, "\\u00c3");
	expect_str("\xf0\x9f\x98", 3, "\\u00f0\\u009f\\u0098");
	/* a valid character right after an invalid byte survives */
	expect_str("\xc3\xc3\xa9", 3, "\\u00c3\xc3\xa9");
}

static void test_overflow(void **state)
{
	(void)state;
	char buf[16];
	struct jbuf j;
	jb_init(&j, buf, sizeof(buf));
	jb_str(&j, "key", "a string far too long for sixteen bytes");
	assert_true(j.overflow);
	/* the buffer still holds a terminated prefix */
	assert_true(j.len < sizeof(buf));
	assert_int_equal(buf[j.len], '\0');
	assert_int_equal(strncmp(buf, "{\"key\":\"", strlen(buf) < 8 ? strlen(buf) : 8), 0);
	/* sticky: nothing more is written */
	size_t len = j.len;
	jb_u64(&j, "x", 1);
	assert_int_equal(j.len, len);
	assert_int_equal(jb_finish(&j), 0);
	assert_int_equal(j.len, len);
}

/* The exact boundary: "{}\n" needs 4 bytes (with the terminating NUL). */
static void test_overflow_boundary(void **state)
{
	(void)state;
	char buf[8];
	struct jbuf j;
	jb_init(&j, buf, 4);
	assert_int_equal(jb_finish(&j), 3);
	assert_string_equal(buf, "{}\n");
	jb_init(&j, buf, 3);
	assert_int_equal(jb_finish(&j), 0);
	jb_init(&j, buf, 1);
	assert_true(j.overflow);
	assert_int_equal(jb_finish(&j), 0);
	jb_init(&j, buf, 0);
	assert_int_equal(jb_finish(&j), 0);

	/* every capacity up to the exact one fails; the exact one works */
	static const char want[] = "{\"a\":\"\\u0001\xc3\xa9\",\"b\":[1,2]}\n";
	for (size_t cap = 0; cap <= sizeof(want); cap++) {
		char *b = malloc(cap ? cap : 1);
		assert_non_null(b);
		jb_init(&j, b, cap);
		jb_str(&j, "a", "\x01\xc3\xa9");
		jb_arr_open(&j, "b");
		jb_u64(&j, NULL, 1);
		jb_u64(&j, NULL, 2);
		jb_arr_close(&j);
		size_t n = jb_finish(&j);
		if (cap < sizeof(want)) {
			assert_int_equal(n, 0);
			assert_true(j.overflow);
		} else {
			assert_int_equal(n, sizeof(want) - 1);
			assert_string_equal(b, want);
		}
		free(b);
	}
}

static void test_unbalanced_open(void **state)
{
	(void)state;
	char buf[64];
	struct jbuf j;
	jb_init(&j, buf, sizeof(buf));
	jb_obj_open(&j, "a");
	assert_int_equal(jb_finish(&j), 0);

	jb_init(&j, buf, sizeof(buf));
	jb_arr_open(&j, "a");
	jb_arr_open(&j, NULL);
	jb_arr_close(&j);
	assert_int_equal(jb_finish(&j), 0);
}

/* An extra close at the top level, or a close of the wrong kind, must not
 * produce a "successful" line either. Currently jbuf.c does not catch them
 * (see the report): the test skips rather than fails while that stands, and
 * checks the contract once it is fixed. */
static void test_unbalanced_close(void **state)
{
	(void)state;
	char buf[64];
	struct jbuf j;
	jb_init(&j, buf, sizeof(buf));
	jb_obj_close(&j); /* no matching open */
	size_t extra = jb_finish(&j);

	jb_init(&j, buf, sizeof(buf));
	jb_arr_open(&j, "a");
	jb_obj_close(&j); /* '[' closed by '}' */
	size_t wrong = jb_finish(&j);

	assert_int_equal(extra, 0);
	assert_int_equal(wrong, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_scalars_and_commas),
		cmocka_unit_test(test_nested),
		cmocka_unit_test(test_max_depth),
		cmocka_unit_test(test_escape_quote_backslash),
		cmocka_unit_test(test_escape_controls),
		cmocka_unit_test(test_key_verbatim),
		cmocka_unit_test(test_utf8_valid),
		cmocka_unit_test(test_utf8_invalid),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_overflow_boundary),
		cmocka_unit_test(test_unbalanced_open),
		cmocka_unit_test(test_unbalanced_close),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
