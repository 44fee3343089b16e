/* privs.c - giving up root and capabilities after the capture handles are
 * open (see include/privs.h). Raw Linux interfaces only: capget/capset
 * through syscall(), the bounding and ambient sets through prctl(). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/capability.h>

#include "privs.h"

/* getpw*_r/getgr*_r buffers start here and double on ERANGE up to the max
 * (a group with thousands of members needs more than sysconf suggests). */
#define LOOKUP_BUF_START 16384u
#define LOOKUP_BUF_MAX (1u << 20)

/* ---- capabilities ---------------------------------------------------------- */

struct capsets {
	uint64_t eff, prm, inh;
};

/* This thread's three sets. Returns 0, or -1 with errno. */
static int caps_get(struct capsets *c)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) != 0)
		return -1;
	c->eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	c->prm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	c->inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return 0;
}

/* Sets this thread's effective, permitted and inheritable sets to 0 (lowering
 * needs no privilege). Returns 0, or -1 with errno. */
static int caps_clear(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[_LINUX_CAPABILITY_U32S_3];
	memset(d, 0, sizeof(d));
	return syscall(SYS_capset, &h, d) == 0 ? 0 : -1;
}

bool privs_have_cap(int cap)
{
	struct capsets c;
	if (cap < 0 || cap > 63 || caps_get(&c) != 0)
		return false;
	return (c.eff >> cap) & 1u;
}

/* The highest capability number the running kernel knows: cap_last_cap,
 * else the one our headers know. At most 63 (capset's 64 bits). */
static int cap_last(void)
{
	int last = CAP_LAST_CAP;
	FILE *f = fopen("/proc/sys/kernel/cap_last_cap", "re");
	if (f) {
		int v;
		if (fscanf(f, "%d", &v) == 1 && v >= 0)
			last = v;
		fclose(f);
	}
	return last > 63 ? 63 : last;
}

/* Drops every capability from the bounding set, stopping quietly at the
 * first EPERM (no CAP_SETPCAP) or at a cap the kernel does not know
 * (EINVAL). *cleared tells whether the set is empty afterwards. Returns 0, or
 * -1 with a message on any other error. */
static int bounding_clear(int last, bool *cleared, char *err, size_t errlen)
{
	*cleared = false;
	for (int c = 0; c <= last; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0 && errno == EINVAL)
			break;
		if (r < 0) {
			snprintf(err, errlen, "prctl(PR_CAPBSET_READ, %d): %s", c, strerror(errno));
			return -1;
		}
		if (r == 0)
			continue;
		if (prctl(PR_CAPBSET_DROP, c, 0, 0, 0) != 0) {
			if (errno == EPERM || errno == EINVAL)
				break;
			snprintf(err, errlen, "prctl(PR_CAPBSET_DROP, %d): %s", c, strerror(errno));
			return -1;
		}
	}
	for (int c = 0; c <= last; c++) {
		int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
		if (r < 0)
			break;
		if (r == 1)
			return 0;
	}
	*cleared = true;
	return 0;
}

/* Empties the ambient set. Kernels before 4.3 have none (EINVAL): fine.
 * Returns 0, or -1 with a message. */
static int ambient_clear(char *err, size_t errlen)
{
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) == 0 || errno == EINVAL)
		return 0;
	snprintf(err, errlen, "prctl(PR_CAP_AMBIENT_CLEAR_ALL): %s", strerror(errno));
	return -1;
}

static bool ambient_empty(int last)
{
	for (int c = 0; c <= last; c++) {
		int r = prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, c, 0, 0);
		if (r < 0)
			break; /* no ambient set, or a cap the kernel does not know */
		if (r == 1)
			return false;
	}
	return true;
}

/* ---- users and groups --------------------------------------------------- */

struct who {
	uid_t uid;
	gid_t gid;     /* primary group, when has_gid */
	bool has_gid;
	char name[64]; /* "" when there is no passwd entry */
};

/* getpw*_r and getgr*_r report "not found" as 0 with a NULL result, or (per
 * POSIX and the man page) as one of these. */
static bool not_found(int e)
{
	return e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM;
}

/* Looks up a passwd entry by name (name != NULL) or by uid into w.
 * Returns 1 found, 0 not found, -1 with errno on a lookup error. */
static int pw_find(const char *name, uid_t uid, struct who *w)
{
	for (size_t len = LOOKUP_BUF_START;; len *= 2) {
		char *buf = malloc(len);
		if (!buf)
			return -1;
		struct passwd pw, *found = NULL;
		int e = name ? getpwnam_r(name, &pw, buf, len, &found)
			     : getpwuid_r(uid, &pw, buf, len, &found);
		if (e == 0 && found) {
			w->uid = pw.pw_uid;
			w->gid = pw.pw_gid;
			w->has_gid = true;
			snprintf(w->name, sizeof(w->name), "%s", pw.pw_name);
			free(buf);
			return 1;
		}
		free(buf);
		if (e == ERANGE && len < LOOKUP_BUF_MAX)
			continue;
		if (not_found(e))
			return 0;
		errno = e;
		return -1;
	}
}

/* Looks up a group by name. Returns 1 found (*gid set), 0 not found, -1 with
 * errno on a lookup error. */
static int gr_find(const char *name, gid_t *gid)
{
	for (size_t len = LOOKUP_BUF_START;; len *= 2) {
		char *buf = malloc(len);
		if (!buf)
			return -1;
		struct group gr, *found = NULL;
		int e = getgrnam_r(name, &gr, buf, len, &found);
		if (e == 0 && found) {
			*gid = gr.gr_gid;
			free(buf);
			return 1;
		}
		free(buf);
		if (e == ERANGE && len < LOOKUP_BUF_MAX)
			continue;
		if (not_found(e))
			return 0;
		errno = e;
		return -1;
	}
}

/* A decimal id: digits only, below (uid_t)-1 (which means "unchanged" to
 * the set*id calls). */
static bool parse_id(const char *s, unsigned long *out)
{
	if (!*s)
		return false;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	errno = 0;
	unsigned long v = strtoul(s, NULL, 10);
	if (errno == ERANGE || v >= (unsigned long)(uid_t)-1)
		return false;
	*out = v;
	return true;
}

/* --user s: a name first, then a numeric uid (with or without a passwd
 * entry). Returns 0, or -1 with a message. */
static int resolve_user(const char *s, struct who *w, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	int f = pw_find(s, 0, w);
	if (f < 0) {
		snprintf(err, errlen, "cannot look up user '%s': %s", s, strerror(errno));
		return -1;
	}
	if (f == 1)
		return 0;
	unsigned long v;
	if (!parse_id(s, &v)) {
		snprintf(err, errlen, "unknown user '%s'", s);
		return -1;
	}
	if (pw_find(NULL, (uid_t)v, w) < 0) {
		snprintf(err, errlen, "cannot look up uid %lu: %s", v, strerror(errno));
		return -1;
	}
	w->uid = (uid_t)v; /* not found: no name, no primary group */
	return 0;
}

/* --group s: a name first, then a numeric gid. Returns 0, or -1 with a message. */
static int resolve_group(const char *s, gid_t *gid, char *err, size_t errlen)
{
	int f = gr_find(s, gid);
	if (f < 0) {
		snprintf(err, errlen, "cannot look up group '%s': %s", s, strerror(errno));
		return -1;
	}
	if (f == 1)
		return 0;
	unsigned long v;
	if (!parse_id(s, &v)) {
		snprintf(err, errlen, "unknown group '%s'", s);
		return -1;
	}
	*gid = (gid_t)v;
	return 0;
}

/* "user 'nobody' (uid 65534)", or "uid 12345" without a passwd entry. */
static void who_label(const struct who *w, char *buf, size_t len)
{
	if (w->name[0])
		snprintf(buf, len, "user '%s' (uid %u)", w->name, (unsigned)w->uid);
	else
		snprintf(buf, len, "uid %u", (unsigned)w->uid);
}

/* "Threads:" from /proc/self/status; -1 when it cannot be read. */
static int threads_running(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	if (!f)
		return -1;
	char line[256];
	int n = -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	fclose(f);
	return n;
}

/* ---- the common tail: no capabilities, no way back, no new privileges ---- */

/* After the ids are final: capset to 0 and verify, verify the ambient set,
 * prove setuid(0) fails, set no_new_privs. what names the target for
 * messages. Returns 0, or -1 with a message. */
static int finish_drop(const char *what, int last, struct privs_result *res, char *err,
		       size_t errlen)
{
	if (caps_clear() != 0) {
		snprintf(err, errlen, "%s: capset: %s", what, strerror(errno));
		return -1;
	}
	struct capsets c;
	if (caps_get(&c) != 0) {
		snprintf(err, errlen, "%s: capget: %s", what, strerror(errno));
		return -1;
	}
	if (c.eff || c.prm || c.inh) {
		snprintf(err, errlen,
			 "%s: capabilities still set after capset (effective %#llx, permitted "
			 "%#llx, inheritable %#llx)",
			 what, (unsigned long long)c.eff, (unsigned long long)c.prm,
			 (unsigned long long)c.inh);
		return -1;
	}
	if (!ambient_empty(last)) {
		snprintf(err, errlen, "%s: ambient capabilities still set", what);
		return -1;
	}
	res->caps_dropped = true;

	if (setuid(0) == 0) {
		snprintf(err, errlen, "%s: could regain root: setuid(0) succeeded after the drop",
			 what);
		return -1;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		snprintf(err, errlen, "%s: prctl(PR_SET_NO_NEW_PRIVS): %s", what, strerror(errno));
		return -1;
	}
	res->no_new_privs = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1;
	if (!res->no_new_privs) {
		snprintf(err, errlen, "%s: no_new_privs is not set after PR_SET_NO_NEW_PRIVS", what);
		return -1;
	}
	return 0;
}

/* Checks that real, effective and saved uid and gid are u and g. */
static int ids_are(uid_t u, gid_t g, const char *what, char *err, size_t errlen)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) {
		snprintf(err, errlen, "%s: getresuid/getresgid: %s", what, strerror(errno));
		return -1;
	}
	if (ru != u || eu != u || su != u || rg != g || eg != g || sg != g) {
		snprintf(err, errlen,
			 "%s: ids after the switch are uid %u/%u/%u gid %u/%u/%u "
			 "(real/effective/saved), wanted uid %u gid %u",
			 what, (unsigned)ru, (unsigned)eu, (unsigned)su, (unsigned)rg,
			 (unsigned)eg, (unsigned)sg, (unsigned)u, (unsigned)g);
		return -1;
	}
	return 0;
}

/* euid 0 to tgt (not root). */
static int switch_from_root(const struct who *tgt, int last, struct privs_result *res,
			    char *err, size_t errlen)
{
	char what[128], label[100];
	who_label(tgt, label, sizeof(label));
	snprintf(what, sizeof(what), "cannot switch to %s", label);

	if (bounding_clear(last, &res->bounding_cleared, err, errlen) != 0)
		return -1;
	if (ambient_clear(err, errlen) != 0)
		return -1;
	if (setgroups(0, NULL) != 0) {
		snprintf(err, errlen, "%s: setgroups: %s", what, strerror(errno));
		return -1;
	}
	if (setresgid(tgt->gid, tgt->gid, tgt->gid) != 0) {
		snprintf(err, errlen, "%s: setresgid(%u): %s", what, (unsigned)tgt->gid,
			 strerror(errno));
		return -1;
	}
	if (setresuid(tgt->uid, tgt->uid, tgt->uid) != 0) {
		snprintf(err, errlen, "%s: setresuid: %s", what, strerror(errno));
		return -1;
	}
	res->uid_after = tgt->uid;
	res->gid_after = tgt->gid;
	res->user_changed = res->uid_after != res->uid_before;
	snprintf(res->user, sizeof(res->user), "%s", tgt->name);

	if (ids_are(tgt->uid, tgt->gid, what, err, errlen) != 0)
		return -1;
	int n = getgroups(0, NULL);
	if (n != 0) {
		snprintf(err, errlen, "%s: %d supplementary groups left after setgroups", what, n);
		return -1;
	}
	/* "could regain root" reads better with the user's name in front */
	snprintf(what, sizeof(what), "%s", label);
	if (finish_drop(what, last, res, err, errlen) != 0)
		return -1;
	res->outcome = PRIVS_SWITCHED;
	return 0;
}

/* euid not 0: keep the user, drop every capability. */
static int drop_not_root(uid_t ru, uid_t eu, uid_t su, gid_t rg, gid_t eg, gid_t sg, int last,
			 struct privs_result *res, char *err, size_t errlen)
{
	char what[64];
	snprintf(what, sizeof(what), "uid %u", (unsigned)eu);

	if (bounding_clear(last, &res->bounding_cleared, err, errlen) != 0)
		return -1;
	if (ambient_clear(err, errlen) != 0)
		return -1;
	/* A setuid-non-root binary: forget the real and saved ids (allowed
	 * without privilege, since the new ids are the current effective ones). */
	if (rg != eg || sg != eg) {
		if (setresgid(eg, eg, eg) != 0) {
			snprintf(err, errlen, "%s: setresgid(%u): %s", what, (unsigned)eg,
				 strerror(errno));
			return -1;
		}
	}
	if (ru != eu || su != eu) {
		if (setresuid(eu, eu, eu) != 0) {
			snprintf(err, errlen, "%s: setresuid(%u): %s", what, (unsigned)eu,
				 strerror(errno));
			return -1;
		}
	}
	if (ids_are(eu, eg, what, err, errlen) != 0)
		return -1;
	if (finish_drop(what, last, res, err, errlen) != 0)
		return -1;
	res->outcome = PRIVS_CAPS_DROPPED;
	return 0;
}

int davy_drop_privileges(const struct privs_cfg *pc, struct privs_result *res, char *err,
			 size_t errlen)
{
	memset(res, 0, sizeof(*res));
	if (errlen)
		err[0] = '\0';

	uid_t ru, eu, su;
	gid_t rg, eg, sg;
	if (getresuid(&ru, &eu, &su) != 0 || getresgid(&rg, &eg, &sg) != 0) {
		snprintf(err, errlen, "getresuid/getresgid: %s", strerror(errno));
		return -1;
	}
	res->uid_before = res->uid_after = eu;
	res->gid_before = res->gid_after = eg;
	struct who cur = { .uid = eu };
	if (pw_find(NULL, eu, &cur) == 1)
		snprintf(res->user, sizeof(res->user), "%s", cur.name);
	res->outcome = PRIVS_KEPT;

	if (!pc->live && !pc->user) {
		if (pc->group) {
			snprintf(err, errlen,
				 "--group %s: needs --user when reading files (replay keeps the "
				 "current user)",
				 pc->group);
			return -1;
		}
		return 0;
	}

	int nthreads = threads_running();
	if (nthreads > 1) {
		snprintf(err, errlen,
			 "privileges must be dropped before any thread starts (%d threads running)",
			 nthreads);
		return -1;
	}
	struct capsets before;
	if (caps_get(&before) != 0) {
		snprintf(err, errlen, "capget: %s", strerror(errno));
		return -1;
	}
	res->had_caps = before.eff || before.prm || before.inh;
	int last = cap_last();

	/* the target user */
	struct who tgt;
	const char *uname = pc->user ? pc->user : (eu == 0 ? "nobody" : NULL);
	if (uname) {
		if (resolve_user(uname, &tgt, err, errlen) != 0)
			return -1;
	} else {
		tgt = cur;
		tgt.gid = eg;
		tgt.has_gid = true;
	}

	if (eu == 0) {
		if (tgt.uid == 0) {
			if (pc->group) {
				snprintf(err, errlen,
					 "--group %s with --user %s: staying root keeps every group; "
					 "name another user or drop --group",
					 pc->group, uname);
				return -1;
			}
			res->outcome = PRIVS_STAYED_ROOT;
			return 0;
		}
		if (pc->group) {
			if (resolve_group(pc->group, &tgt.gid, err, errlen) != 0)
				return -1;
			tgt.has_gid = true;
		} else if (!tgt.has_gid) {
			snprintf(err, errlen, "--user %s: uid %u has no passwd entry: give --group",
				 uname, (unsigned)tgt.uid);
			return -1;
		}
		return switch_from_root(&tgt, last, res, err, errlen);
	}

	if (tgt.uid != eu) {
		snprintf(err, errlen, "--user %s: not running as root, cannot switch from uid %u",
			 uname, (unsigned)eu);
		return -1;
	}
	if (pc->group) {
		gid_t g;
		if (resolve_group(pc->group, &g, err, errlen) != 0)
			return -1;
		if (g != eg) {
			snprintf(err, errlen,
				 "--group %s: not running as root, cannot switch from gid %u",
				 pc->group, (unsigned)eg);
			return -1;
		}
	}
	return drop_not_root(ru, eu, su, rg, eg, sg, last, res, err, errlen);
}

void privs_describe(const struct privs_result *r, char *buf, size_t len)
{
	if (!len)
		return;
	char who[128];
	if (r->user[0])
		snprintf(who, sizeof(who), "%s (uid %u, gid %u)", r->user, (unsigned)r->uid_after,
			 (unsigned)r->gid_after);
	else
		snprintf(who, sizeof(who), "uid %u (gid %u)", (unsigned)r->uid_after,
			 (unsigned)r->gid_after);

	switch (r->outcome) {
	case PRIVS_KEPT:
		snprintf(buf, len, "running as %s; privileges unchanged (reading files)", who);
		return;
	case PRIVS_STAYED_ROOT:
		snprintf(buf, len, "still running as %s: --user root keeps every capability", who);
		return;
	case PRIVS_SWITCHED:
	case PRIVS_CAPS_DROPPED:
		snprintf(buf, len, "running as %s; %s%s", who,
			 r->had_caps ? "capabilities dropped" : "no capabilities",
			 r->bounding_cleared ? "" : " (bounding set kept: no CAP_SETPCAP)");
		return;
	}
	snprintf(buf, len, "running as %s", who);
}
