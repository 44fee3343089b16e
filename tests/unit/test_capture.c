/* test_capture.c - what `-i auto` reads and picks (capture.h): the default
 * route's interface from files laid out as the kernel's /proc/net/route and
 * /proc/net/ipv6_route, and capture_resolve's list (each name once, the
 * bound). The live capture itself is tested in tests/live_test.py, in a
 * network namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "capture.h"
#include "davy.h"

/* Writes text to a fresh temporary file; its path into path[64]. */
static void table(char path[64], const char *text)
{
	snprintf(path, 64, "/tmp/davy-test-route-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

#define V4_HEAD "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"

/* The lowest metric wins among default routes that are up; other routes,
 * down routes and the header do not count. */
static void test_route4(void **state)
{
	(void)state;
	char path[64], out[32];
	table(path, V4_HEAD
	      "eth9\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"   /* 192.168.0.0/24 */
	      "eth1\t00000000\t0100A8C0\t0003\t0\t0\t200\t00000000\t0\t0\t0\n" /* default, metric 200 */
	      "eth2\t00000000\t0101A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" /* default, metric 100 */
	      "eth3\t00000000\t0102A8C0\t0002\t0\t0\t5\t00000000\t0\t0\t0\n"   /* default, not up */
	      "eth4\t00000000\t0103A8C0\t0003\t0\t0\t300\t00000000\t0\t0\t0\n");
	assert_int_equal(capture_default_route_in(path, false, out, sizeof(out)), 0);
	assert_string_equal(out, "eth2");
	unlink(path);

	table(path, V4_HEAD "eth9\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n");
	strcpy(out, "unchanged");
	assert_int_equal(capture_default_route_in(path, false, out, sizeof(out)), -1);
	assert_string_equal(out, "unchanged");
	unlink(path);

	table(path, "");
	assert_int_equal(capture_default_route_in(path, false, out, sizeof(out)), -1);
	unlink(path);
	assert_int_equal(capture_default_route_in("/nonexistent/route", false, out, sizeof(out)), -1);
}

#define Z32 "00000000000000000000000000000000"

static void test_route6(void **state)
{
	(void)state;
	char path[64], out[32];
	table(path,
	      /* 2001:db8::/32, not a default route */
	      "20010db8000000000000000000000000 20 " Z32 " 00 " Z32 " 00000100 00000001 00000000 00000001     eth9\n"
	      /* ::/0 through lo (the kernel's unreachable entry; a low metric here) */
	      Z32 " 00 " Z32 " 00 " Z32 " 00000001 00000001 00000000 00200201       lo\n"
	      /* ::/0 through eth1, metric 0x400 */
	      Z32 " 00 " Z32 " 00 fe800000000000000000000000000001 00000400 00000001 00000000 00000003     eth1\n"
	      /* ::/0 through eth2, metric 0x100, but not up */
	      Z32 " 00 " Z32 " 00 fe800000000000000000000000000002 00000100 00000001 00000000 00000002     eth2\n");
	assert_int_equal(capture_default_route_in(path, true, out, sizeof(out)), 0);
	assert_string_equal(out, "eth1");
	/* the same file read as an IPv4 table holds no route */
	assert_int_equal(capture_default_route_in(path, false, out, sizeof(out)), -1);
	unlink(path);
}

/* Named interfaces are kept as given and in order, each once, whether they
 * exist or not (opening tells), up to DAVY_MAX_IFACES. */
static void test_resolve_names(void **state)
{
	(void)state;
	struct davy_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	const char *names[DAVY_MAX_IFACES];
	char store[DAVY_MAX_IFACES][16];
	char err[256] = "";
	cfg.ifaces[cfg.nifaces++] = "lo";
	cfg.ifaces[cfg.nifaces++] = "dvnope0";
	cfg.ifaces[cfg.nifaces++] = "lo";
	assert_int_equal(capture_resolve(&cfg, names, store, NULL, err, sizeof(err)), 2);
	assert_string_equal(names[0], "lo");
	assert_string_equal(names[1], "dvnope0");

	static char many[DAVY_MAX_IFACES][16];
	cfg.nifaces = 0;
	for (int i = 0; i < DAVY_MAX_IFACES; i++) {
		snprintf(many[i], sizeof(many[i]), "dv%d", i);
		cfg.ifaces[cfg.nifaces++] = many[i];
	}
	assert_int_equal(capture_resolve(&cfg, names, store, NULL, err, sizeof(err)), DAVY_MAX_IFACES);
	assert_string_equal(names[DAVY_MAX_IFACES - 1], "dv15");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_route4),
		cmocka_unit_test(test_route6),
		cmocka_unit_test(test_resolve_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
