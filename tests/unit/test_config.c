/* test_config.c - the configuration file reader and --print-config
 * (config.h): values kept by the config and released, lists from a file,
 * flags true/false, one error line naming file, line and key, the first
 * error stops the reading, and the printer's escapes (controls, line
 * separators, bytes that are not UTF-8) read back by libyaml. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static struct davy_config *fresh(void)
{
	struct davy_config *c = malloc(sizeof(*c));
	assert_non_null(c);
	davy_config_default(c);
	return c;
}

static void done(struct davy_config *c)
{
	davy_config_free(c);
	free(c);
}

/* Loads text; returns the result and the messages in msg[len]. */
static int load(struct davy_config *c, const char *text, char *msg, size_t len)
{
	FILE *m = fmemopen(msg, len, "w");
	assert_non_null(m);
	setvbuf(m, NULL, _IONBF, 0);
	memset(msg, 0, len);
	int rc = config_load_buffer(c, "t.yaml", text, strlen(text), m);
	fclose(m);
	return rc;
}

static char *print(const struct davy_config *c)
{
	char *out = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&out, &n);
	assert_non_null(f);
	assert_int_equal(config_print(c, f), 0);
	fclose(f);
	return out;
}

static void test_values_and_lists(void **state)
{
	(void)state;
	struct davy_config *c = fresh();
	char msg[512];
	assert_int_equal(load(c, "workers: 3\nread: [a.pcap, 'b c.pcap']\niocs: one\n"
				 "no-iocs: true\nquiet: false\nfilter: tcp port 1\n", msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(c->workers, 3);
	assert_int_equal(c->nfiles, 2);
	assert_string_equal(c->files[1], "b c.pcap");
	assert_int_equal(c->nioc_paths, 1);
	assert_string_equal(c->ioc_paths[0], "one");
	assert_true(c->no_iocs);
	assert_false(c->quiet); /* false: as if absent */
	assert_string_equal(c->bpf, "tcp port 1");
	done(c);
}

static void test_errors_name_line_and_key(void **state)
{
	(void)state;
	static const struct {
		const char *text, *msg;
	} cases[] = {
		{ "workers: 2\n\nwokers: 1\n", "davy: t.yaml:3: unknown key 'wokers'" },
		{ "max-flows: 9\nworkers: 65\n", "davy: t.yaml:2: workers: '65' is not a number from 1 to 64\n" },
		{ "workers: 2\nworkers: 2\n", "davy: t.yaml:2: duplicate key 'workers' (first on line 1)\n" },
		{ "workers: *x\n", "davy: t.yaml:1: YAML anchors and aliases" },
		{ "workers: [1]\n", "davy: t.yaml:1: workers: a list, but workers takes one value\n" },
		{ "[1, 2]\n", "davy: t.yaml:1: the top level must be a mapping" },
		{ "workers: 'x\n", "davy: t.yaml:2:1: not YAML: " },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct davy_config *c = fresh();
		char msg[512];
		assert_int_equal(load(c, cases[i].text, msg, sizeof(msg)), -1);
		assert_memory_equal(msg, cases[i].msg, strlen(cases[i].msg));
		assert_non_null(strchr(msg, '\n'));
		assert_null(strchr(msg, '\n') + 1 == msg + strlen(msg) ? NULL : "more than one line");
		done(c);
	}
}

static void test_print_escapes_read_back(void **state)
{
	(void)state;
	/* a sensor name as the command line may give it: controls, a line
	 * separator, a C1 control, quotes and backslashes */
	struct davy_config *a = fresh(), *b = fresh();
	const struct davy_option *o = davy_option_find("sensor-name");
	assert_non_null(o);
	assert_int_equal(davy_option_apply(a, o, "n\"\\\xe2\x80\xa8\xc2\x85\xc3\xa9", "t", stderr), 0);
	assert_int_equal(davy_option_apply(a, davy_option_find("r"), "x.pcap", "t", stderr), 0);
	char *p1 = print(a);
	assert_non_null(strstr(p1, "sensor-name: \"n\\\"\\\\\\u2028\\x85\xc3\xa9\"\n"));
	char msg[512];
	assert_int_equal(load(b, p1, msg, sizeof(msg)), 0);
	assert_string_equal(b->sensor_name, a->sensor_name);
	char *p2 = print(b);
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
	/* a byte that is not UTF-8 is written as \xNN: still YAML */
	assert_int_equal(davy_option_apply(a, o, "bad\xff", "t", stderr), 0);
	p1 = print(a);
	assert_non_null(strstr(p1, "sensor-name: \"bad\\xff\"\n"));
	done(b);
	b = fresh();
	assert_int_equal(load(b, p1, msg, sizeof(msg)), 0);
	assert_string_equal(b->sensor_name, "bad\xc3\xbf"); /* U+00FF: not the same */
	free(p1);
	done(a);
	done(b);
}

static void test_sizes_and_empty(void **state)
{
	(void)state;
	struct davy_config *c = fresh();
	char msg[512];
	assert_int_equal(load(c, "", msg, sizeof(msg)), 0);
	assert_int_equal(load(c, "# only a comment\n", msg, sizeof(msg)), 0);
	assert_int_equal(load(c, "ring-size: 3145728\nreassembly-memory: 65537\n", msg, sizeof(msg)), 0);
	char *p = print(c);
	assert_non_null(strstr(p, "ring-size: 3M\n"));
	assert_non_null(strstr(p, "reassembly-memory: 65537\n"));
	free(p);
	done(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_values_and_lists),
		cmocka_unit_test(test_errors_name_line_and_key),
		cmocka_unit_test(test_print_escapes_read_back),
		cmocka_unit_test(test_sizes_and_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
