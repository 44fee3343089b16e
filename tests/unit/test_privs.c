/* test_privs.c - dropping root and capabilities (privs.h). Privilege changes
 * cannot be undone, so every case runs davy_drop_privileges() in a forked
 * child, which reads back its own state (/proc/self/status, getresuid,
 * getgroups, setuid(0), opening a root-only file) and sends a report
 * through a pipe; the parent checks it. The child never uses cmocka's
 * asserts and leaves with _exit.
 *
 * Most cases need root (to switch users, or to fake a non-root process with
 * file capabilities: switch to uid 65534 with PR_SET_KEEPCAPS, then capset
 * CAP_NET_RAW,CAP_NET_ADMIN into effective and permitted). Run as another
 * user they are skipped with a message; the replay, unknown-user, threads
 * and describe cases run for everyone. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/capability.h>

#include <cmocka.h>

#include "privs.h"

#define NOBODY 65534u
#define BIT(c) ((uint64_t)1 << (c))

/* A root-owned 0600 file made by the parent (when root): a child that can
 * no longer open it really changed user. */
struct fixture {
	char dir[64];
	char secret[96];
};

struct report {
	char setup_err[160]; /* the child's own preparation failed */
	int rc;
	char err[256];
	struct privs_result res;
	char desc[256];
	bool had_net_raw; /* privs_have_cap(CAP_NET_RAW) just before the call */
	bool has_net_raw; /* ... and after */
	uid_t ruid, euid, suid;
	gid_t rgid, egid, sgid;
	int ngroups;
	bool status_read;
	unsigned long long cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;
	int nnp;
	bool setuid0_ok;
	int open_errno; /* 0: the secret file opened */
};

/* ---- in the child ------------------------------------------------------- */

typedef int (*setup_fn)(char *msg, size_t len);

static int capset3(uint64_t eff, uint64_t prm, uint64_t inh)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	d[0].effective = (uint32_t)eff;
	d[1].effective = (uint32_t)(eff >> 32);
	d[0].permitted = (uint32_t)prm;
	d[1].permitted = (uint32_t)(prm >> 32);
	d[0].inheritable = (uint32_t)inh;
	d[1].inheritable = (uint32_t)(inh >> 32);
	return (int)syscall(SYS_capset, &h, d);
}

/* Root with supplementary groups (0, daemon, adm) and CAP_NET_RAW also in
 * the inheritable and ambient sets, so the drop has all of them to clear. */
static int setup_root_ambient(char *msg, size_t len)
{
	uint64_t all = 0;
	const gid_t groups[] = { 0, 1, 4 };
	if (setgroups(3, groups) != 0 || getgroups(0, NULL) != 3) {
		snprintf(msg, len, "setgroups: %s", strerror(errno));
		return -1;
	}
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0) {
		snprintf(msg, len, "capget: %s", strerror(errno));
		return -1;
	}
	all = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	if (capset3(all, all, BIT(CAP_NET_RAW)) != 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) != 0) {
		snprintf(msg, len, "raising ambient CAP_NET_RAW: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* A process that is not root but holds capabilities, as with file caps
 * cap_net_raw,cap_net_admin+ep: uid/gid 65534 keeping caps across the
 * switch, then exactly the wanted ones (plus CAP_NET_RAW ambient). */
static int fake_filecaps(uint64_t caps, char *msg, size_t len)
{
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0 || setgroups(0, NULL) != 0 ||
	    setresgid(NOBODY, NOBODY, NOBODY) != 0 || setresuid(NOBODY, NOBODY, NOBODY) != 0) {
		snprintf(msg, len, "switching to uid 65534 with keepcaps: %s", strerror(errno));
		return -1;
	}
	if (capset3(caps, caps, BIT(CAP_NET_RAW)) != 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0) != 0) {
		snprintf(msg, len, "giving uid 65534 its capabilities: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static int setup_filecaps(char *msg, size_t len)
{
	return fake_filecaps(BIT(CAP_NET_RAW) | BIT(CAP_NET_ADMIN), msg, len);
}

static int setup_filecaps_setpcap(char *msg, size_t len)
{
	return fake_filecaps(BIT(CAP_NET_RAW) | BIT(CAP_NET_ADMIN) | BIT(CAP_SETPCAP), msg, len);
}

static int block_fd[2] = { -1, -1 };

static void *blocked_thread(void *arg)
{
	char c;
	(void)arg;
	while (read(block_fd[0], &c, 1) < 0 && errno == EINTR)
		;
	return NULL;
}

static int setup_second_thread(char *msg, size_t len)
{
	pthread_t t;
	if (pipe(block_fd) != 0 || pthread_create(&t, NULL, blocked_thread, NULL) != 0) {
		snprintf(msg, len, "starting a thread failed");
		return -1;
	}
	return 0;
}

static void read_status(struct report *r)
{
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return;
	char line[256];
	int seen = 0;
	r->nnp = -1;
	while (fgets(line, sizeof(line), f)) {
		seen += sscanf(line, "CapInh: %llx", &r->cap_inh) == 1;
		seen += sscanf(line, "CapPrm: %llx", &r->cap_prm) == 1;
		seen += sscanf(line, "CapEff: %llx", &r->cap_eff) == 1;
		seen += sscanf(line, "CapBnd: %llx", &r->cap_bnd) == 1;
		seen += sscanf(line, "CapAmb: %llx", &r->cap_amb) == 1;
		seen += sscanf(line, "NoNewPrivs: %d", &r->nnp) == 1;
	}
	fclose(f);
	r->status_read = seen == 6;
}

static void write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			_exit(3);
		c += w;
		n -= (size_t)w;
	}
}

static void child(int fd, const struct fixture *fx, setup_fn setup, const struct privs_cfg *pc)
{
	struct report r;
	memset(&r, 0, sizeof(r));
	if (setup && setup(r.setup_err, sizeof(r.setup_err)) != 0) {
		write_all(fd, &r, sizeof(r));
		_exit(0);
	}
	r.had_net_raw = privs_have_cap(CAP_NET_RAW);
	r.rc = davy_drop_privileges(pc, &r.res, r.err, sizeof(r.err));
	privs_describe(&r.res, r.desc, sizeof(r.desc));
	r.has_net_raw = privs_have_cap(CAP_NET_RAW);
	getresuid(&r.ruid, &r.euid, &r.suid);
	getresgid(&r.rgid, &r.egid, &r.sgid);
	r.ngroups = getgroups(0, NULL);
	read_status(&r);
	int sfd = open(fx->secret, O_RDONLY);
	r.open_errno = sfd >= 0 ? 0 : errno;
	if (sfd >= 0)
		close(sfd);
	r.setuid0_ok = r.euid != 0 && setuid(0) == 0; /* last: it may make us root */
	write_all(fd, &r, sizeof(r));
	_exit(0);
}

/* ---- in the parent ------------------------------------------------------- */

/* Runs setup then davy_drop_privileges(pc) in a child; fills *r. */
static void run_child(const struct fixture *fx, setup_fn setup, const struct privs_cfg *pc,
		      struct report *r)
{
	int p[2];
	assert_int_equal(pipe(p), 0);
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		child(p[1], fx, setup, pc);
	}
	close(p[1]);
	size_t got = 0;
	while (got < sizeof(*r)) {
		ssize_t n = read(p[0], (char *)r + got, sizeof(*r) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(p[0]);
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("child ended with status %#x", st);
	assert_int_equal(got, sizeof(*r));
	if (r->setup_err[0])
		fail_msg("child set-up: %s", r->setup_err);
	assert_true(r->status_read);
}

static bool need_root(void)
{
	if (geteuid() == 0)
		return true;
	print_message("skipped: needs root to switch users and fake file capabilities "
		      "(running as uid %u)\n",
		      (unsigned)geteuid());
	return false;
}

/* The state every successful drop must leave. */
static void assert_dropped(const struct report *r)
{
	assert_int_equal(r->cap_eff, 0);
	assert_int_equal(r->cap_prm, 0);
	assert_int_equal(r->cap_inh, 0);
	assert_int_equal(r->cap_amb, 0);
	assert_int_equal(r->nnp, 1);
	assert_false(r->setuid0_ok);
	assert_false(r->has_net_raw);
	assert_true(r->res.caps_dropped);
	assert_true(r->res.no_new_privs);
	assert_int_equal(r->open_errno, EACCES);
}

static void assert_unchanged_root(const struct report *r)
{
	assert_int_equal(r->euid, 0);
	assert_int_equal(r->ruid, 0);
	assert_int_equal(r->suid, 0);
	assert_int_not_equal(r->cap_eff, 0);
	assert_int_not_equal(r->cap_bnd, 0);
	assert_int_equal(r->nnp, 0);
	assert_int_equal(r->open_errno, 0);
	assert_true(r->has_net_raw);
	assert_false(r->res.caps_dropped);
	assert_false(r->res.no_new_privs);
	assert_false(r->res.user_changed);
}

/* ---- the cases ------------------------------------------------------------ */

static void test_root_live_default_is_nobody(void **state)
{
	const struct fixture *fx = *state;
	if (!need_root())
		skip();
	struct privs_cfg pc = { .user = NULL, .group = NULL, .live = true };
	struct report r;
	run_child(fx, setup_root_ambient, &pc, &r);
	if (r.rc != 0)
		fail_msg("drop failed: %s", r.err);
	assert_true(r.had_net_raw);
	assert_int_equal(r.ruid, NOBODY);
	assert_int_equal(r.euid, NOBODY);
	assert_int_equal(r.suid, NOBODY);
	assert_int_equal(r.rgid, NOBODY);
	assert_int_equal(r.egid, NOBODY);
	assert_int_equal(r.sgid, NOBODY);
	assert_int_equal(r.ngroups, 0);
	assert_int_equal(r.cap_bnd, 0);
	assert_dropped(&r);
	assert_int_equal(r.res.outcome, PRIVS_SWITCHED);
	assert_int_equal(r.res.uid_before, 0);
	assert_int_equal(r.res.gid_before, 0);
	assert_int_equal(r.res.uid_after, NOBODY);
	assert_int_equal(r.res.gid_after, NOBODY);
	assert_string_equal(r.res.user, "nobody");
	assert_true(r.res.user_changed);
	assert_true(r.res.had_caps);
	assert_true(r.res.bounding_cleared);
	assert_string_equal(r.desc, "running as nobody (uid 65534, gid 65534); capabilities dropped");
}

static void test_root_user_by_uid_and_group(void **state)
{
	const struct fixture *fx = *state;
	if (!need_root())
		skip();
	struct report r;

	/* a numeric uid with a passwd entry: its name and primary group */
	struct privs_cfg pc = { .user = "65534", .live = true };
	run_child(fx, NULL, &pc, &r);
	if (r.rc != 0)
		fail_msg("--user 65534: %s", r.err);
	assert_int_equal(r.euid, NOBODY);
	assert_int_equal(r.egid, NOBODY);
	assert_string_equal(r.res.user, "nobody");
	assert_int_equal(r.cap_bnd, 0);
	assert_dropped(&r);

	/* a group by name */
	pc = (struct privs_cfg){ .user = "nobody", .group = "daemon", .live = true };
	run_child(fx, NULL, &pc, &r);
	if (r.rc != 0)
		fail_msg("--user nobody --group daemon: %s", r.err);
	assert_int_equal(r.euid, NOBODY);
	assert_int_equal(r.rgid, 1);
	assert_int_equal(r.egid, 1);
	assert_int_equal(r.sgid, 1);
	assert_int_equal(r.ngroups, 0);
	assert_dropped(&r);

	/* a uid without a passwd entry needs a group ... */
	pc = (struct privs_cfg){ .user = "12345", .live = true };
	run_child(fx, NULL, &pc, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "--user 12345: uid 12345 has no passwd entry: give --group");
	assert_unchanged_root(&r);

	/* ... and works with one, also when replaying files */
	pc = (struct privs_cfg){ .user = "12345", .group = "12346", .live = false };
	run_child(fx, NULL, &pc, &r);
	if (r.rc != 0)
		fail_msg("--user 12345 --group 12346: %s", r.err);
	assert_int_equal(r.ruid, 12345);
	assert_int_equal(r.euid, 12345);
	assert_int_equal(r.suid, 12345);
	assert_int_equal(r.egid, 12346);
	assert_dropped(&r);
	assert_string_equal(r.res.user, "");
	assert_string_equal(r.desc, "running as uid 12345 (gid 12346); capabilities dropped");
}

static void test_root_user_root_stays_root(void **state)
{
	const struct fixture *fx = *state;
	if (!need_root())
		skip();
	const char *names[] = { "root", "0" };
	for (size_t i = 0; i < 2; i++) {
		struct privs_cfg pc = { .user = names[i], .live = true };
		struct report r;
		run_child(fx, NULL, &pc, &r);
		if (r.rc != 0)
			fail_msg("--user %s: %s", names[i], r.err);
		assert_int_equal(r.res.outcome, PRIVS_STAYED_ROOT);
		assert_unchanged_root(&r);
		assert_string_equal(r.res.user, "root");
		assert_string_equal(r.desc, "still running as root (uid 0, gid 0): --user root keeps "
					    "every capability");
	}
	struct privs_cfg pc = { .user = "root", .group = "daemon", .live = true };
	struct report r;
	run_child(fx, NULL, &pc, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "--group daemon with --user root: staying root keeps every "
				   "group; name another user or drop --group");
	assert_unchanged_root(&r);
}

/* Runs for everyone: the name is looked up before anything changes. */
static void test_unknown_user_and_group(void **state)
{
	const struct fixture *fx = *state;
	struct privs_cfg pc = { .user = "no-such-davy-user", .live = true };
	struct report r;
	run_child(fx, NULL, &pc, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "unknown user 'no-such-davy-user'");
	assert_int_equal(r.euid, geteuid());
	assert_int_equal(r.nnp, 0);

	if (geteuid() != 0)
		return;
	pc = (struct privs_cfg){ .user = "nobody", .group = "no-such-davy-group", .live = true };
	run_child(fx, NULL, &pc, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "unknown group 'no-such-davy-group'");
	assert_unchanged_root(&r);
}

/* Runs for everyone: replaying files without --user changes nothing. */
static void test_replay_without_user_keeps_everything(void **state)
{
	const struct fixture *fx = *state;
	struct privs_cfg pc = { .user = NULL, .live = false };
	struct report r, base;
	memset(&base, 0, sizeof(base));
	read_status(&base); /* the parent's: what the child had before the call */
	assert_true(base.status_read);
	run_child(fx, NULL, &pc, &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.res.outcome, PRIVS_KEPT);
	assert_int_equal(r.euid, geteuid());
	assert_int_equal(r.egid, getegid());
	assert_int_equal(r.res.uid_before, r.res.uid_after);
	assert_false(r.res.user_changed);
	assert_false(r.res.caps_dropped);
	assert_false(r.res.no_new_privs);
	assert_int_equal(r.nnp, 0);
	assert_int_equal(r.cap_eff, base.cap_eff);
	assert_int_equal(r.cap_bnd, base.cap_bnd);
	assert_non_null(strstr(r.desc, "privileges unchanged (reading files)"));
	if (geteuid() == 0) {
		assert_unchanged_root(&r);
		assert_string_equal(r.desc, "running as root (uid 0, gid 0); privileges unchanged "
					    "(reading files)");
	}

	pc.group = "daemon";
	run_child(fx, NULL, &pc, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "--group daemon: needs --user when reading files (replay "
				   "keeps the current user)");
	assert_int_equal(r.nnp, 0);
}

static void test_nonroot_with_caps_drops_them(void **state)
{
	const struct fixture *fx = *state;
	if (!need_root())
		skip();
	/* no --user, and --user naming ourselves by name and by uid */
	const char *users[] = { NULL, "nobody", "65534" };
	for (size_t i = 0; i < 3; i++) {
		struct privs_cfg pc = { .user = users[i], .live = true };
		struct report r;
		run_child(fx, setup_filecaps, &pc, &r);
		if (r.rc != 0)
			fail_msg("--user %s: %s", users[i] ? users[i] : "(none)", r.err);
		assert_true(r.had_net_raw);
		assert_int_equal(r.res.outcome, PRIVS_CAPS_DROPPED);
		assert_int_equal(r.euid, NOBODY);
		assert_int_equal(r.ruid, NOBODY);
		assert_int_equal(r.suid, NOBODY);
		assert_int_equal(r.egid, NOBODY);
		assert_false(r.res.user_changed);
		assert_int_equal(r.res.uid_before, NOBODY);
		assert_true(r.res.had_caps);
		assert_dropped(&r);
		/* no CAP_SETPCAP: the bounding set stays, and says so */
		assert_int_not_equal(r.cap_bnd, 0);
		assert_false(r.res.bounding_cleared);
		assert_string_equal(r.desc, "running as nobody (uid 65534, gid 65534); capabilities "
					    "dropped (bounding set kept: no CAP_SETPCAP)");
	}

	/* with CAP_SETPCAP among the file caps, the bounding set goes too */
	struct privs_cfg pc = { .live = true };
	struct report r;
	run_child(fx, setup_filecaps_setpcap, &pc, &r);
	if (r.rc != 0)
		fail_msg("with CAP_SETPCAP: %s", r.err);
	assert_dropped(&r);
	assert_int_equal(r.cap_bnd, 0);
	assert_true(r.res.bounding_cleared);
	assert_string_equal(r.desc, "running as nobody (uid 65534, gid 65534); capabilities dropped");
}

static void test_nonroot_cannot_switch(void **state)
{
	const struct fixture *fx = *state;
	if (!need_root())
		skip();
	static const struct {
		const char *user, *group, *err;
	} cases[] = {
		{ "daemon", NULL, "--user daemon: not running as root, cannot switch from uid 65534" },
		{ "root", NULL, "--user root: not running as root, cannot switch from uid 65534" },
		{ "0", NULL, "--user 0: not running as root, cannot switch from uid 65534" },
		{ "nobody", "daemon",
		  "--group daemon: not running as root, cannot switch from gid 65534" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct privs_cfg pc = { .user = cases[i].user, .group = cases[i].group, .live = true };
		struct report r;
		run_child(fx, setup_filecaps, &pc, &r);
		assert_int_equal(r.rc, -1);
		assert_string_equal(r.err, cases[i].err);
		assert_int_equal(r.euid, NOBODY);
		assert_true(r.has_net_raw); /* refused before anything was dropped */
	}
}

/* Runs for everyone: capset is per thread, so a second thread is refused. */
static void test_refuses_with_threads(void **state)
{
	const struct fixture *fx = *state;
	struct privs_cfg pc = { .live = true };
	struct report r;
	run_child(fx, setup_second_thread, &pc, &r);
	assert_int_equal(r.rc, -1);
	assert_string_equal(r.err, "privileges must be dropped before any thread starts "
				   "(2 threads running)");
	assert_int_equal(r.euid, geteuid());
	assert_int_equal(r.nnp, 0);
}

static void test_describe_and_have_cap(void **state)
{
	(void)state;
	struct privs_result res = { .outcome = PRIVS_CAPS_DROPPED,
				    .uid_before = 1000,
				    .uid_after = 1000,
				    .gid_before = 1000,
				    .gid_after = 1000,
				    .user = "alice",
				    .had_caps = false,
				    .caps_dropped = true,
				    .bounding_cleared = true,
				    .no_new_privs = true };
	char buf[256];
	privs_describe(&res, buf, sizeof(buf));
	assert_string_equal(buf, "running as alice (uid 1000, gid 1000); no capabilities");
	char small[12];
	privs_describe(&res, small, sizeof(small));
	assert_string_equal(small, "running as ");

	assert_false(privs_have_cap(-1));
	assert_false(privs_have_cap(64));
	if (geteuid() == 0)
		assert_true(privs_have_cap(CAP_NET_RAW));
}

/* ---- the fixture: a root-only file in a world-readable directory --------- */

static int make_fixture(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	if (!fx)
		return -1;
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/davy-privs.XXXXXX");
	if (!mkdtemp(fx->dir) || chmod(fx->dir, 0755) != 0)
		return -1;
	snprintf(fx->secret, sizeof(fx->secret), "%s/secret", fx->dir);
	int fd = open(fx->secret, O_WRONLY | O_CREAT | O_EXCL, 0600);
	if (fd < 0 || write(fd, "root only\n", 10) != 10)
		return -1;
	close(fd);
	*state = fx;
	return 0;
}

static int free_fixture(void **state)
{
	struct fixture *fx = *state;
	unlink(fx->secret);
	rmdir(fx->dir);
	free(fx);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_live_default_is_nobody),
		cmocka_unit_test(test_root_user_by_uid_and_group),
		cmocka_unit_test(test_root_user_root_stays_root),
		cmocka_unit_test(test_unknown_user_and_group),
		cmocka_unit_test(test_replay_without_user_keeps_everything),
		cmocka_unit_test(test_nonroot_with_caps_drops_them),
		cmocka_unit_test(test_nonroot_cannot_switch),
		cmocka_unit_test(test_refuses_with_threads),
		cmocka_unit_test(test_describe_and_have_cap),
	};
	return cmocka_run_group_tests(tests, make_fixture, free_fixture);
}
