/* privs.h - giving up root and capabilities once the capture handles are open.
 *
 * Live capture needs CAP_NET_RAW (and CAP_NET_ADMIN for promiscuous mode)
 * only to open its handles; everything after that (decoding hostile bytes,
 * talking to Redis, reading IOC files) runs better without them. davy opens
 * its capture handles first, then calls davy_drop_privileges() once.
 *
 * Contract:
 *   - Call it while the process is single-threaded, before any other thread
 *     starts. At the syscall level setresuid/setresgid/setgroups and capset
 *     change only the calling thread. glibc's setuid-family wrappers
 *     broadcast the change to every thread, but capset has no such wrapper:
 *     a thread started earlier would keep its capabilities. The call checks
 *     "Threads:" in /proc/self/status (when /proc is readable) and fails if
 *     more than one thread is running.
 *   - On failure (-1) the process may be half-dropped (for example switched
 *     user but still holding inheritable capabilities). The caller must print
 *     err and exit; it must not carry on.
 *   - Irreversible: nothing here can be undone, which is the point.
 *
 * What happens (pc->user / pc->group / pc->live):
 *
 *   Replaying files (live false), no --user and no --group: nothing at all.
 *   The analyst's run keeps its own rights to read later files. Outcome
 *   PRIVS_KEPT. (--group without --user when replaying is an error: there is
 *   no user to pair the group with.)
 *
 *   Otherwise the target user is pc->user, by name or numeric uid (a name is
 *   looked up first, then an all-digits string is taken as a uid); NULL means
 *   "nobody" when euid is 0, the current user when it is not. The target
 *   group is pc->group (name, then numeric gid), or the user's primary group
 *   from the passwd entry; a numeric uid without a passwd entry needs an
 *   explicit group. Look-ups use getpwnam_r/getgrnam_r with a heap buffer
 *   freed before returning.
 *
 *   euid 0, target uid 0 (--user root, --user 0): nothing is changed, every
 *   capability is kept; outcome PRIVS_STAYED_ROOT and the caller warns.
 *   A --group with it is an error (root keeps every group anyway).
 *
 *   euid 0, another target: outcome PRIVS_SWITCHED.
 *     1. clear the capability bounding set (PR_CAPBSET_DROP for every cap up
 *        to /proc/sys/kernel/cap_last_cap, else CAP_LAST_CAP) while we still
 *        have CAP_SETPCAP; EPERM (a root without CAP_SETPCAP) is not fatal
 *        and leaves bounding_cleared false;
 *     2. clear the ambient set (EINVAL on kernels before 4.3 is tolerated);
 *     3. setgroups(0, NULL): supplementary groups are dropped entirely, not
 *        re-initialised with initgroups() - a sensor needs no group of the
 *        target user but its primary one, and "nobody" should have none;
 *     4. setresgid(g, g, g), then setresuid(u, u, u);
 *     5. verify getresuid/getresgid all equal the target and no
 *        supplementary group is left;
 *     6. capset effective, permitted and inheritable to 0 (the kernel
 *        already cleared effective/permitted unless SECBIT_KEEP_CAPS was set;
 *        inheritable it never clears) and verify with capget;
 *     7. setuid(0) must fail; if it succeeds that is an error ("could regain
 *        root").
 *
 *   euid not 0 (file capabilities, setcap, a container's uid 65534 with
 *   cap_net_raw,cap_net_admin+ep): switching user is impossible. --user must
 *   name the current (effective) user and --group the current gid, else an
 *   error. Outcome PRIVS_CAPS_DROPPED:
 *     1. try to clear the bounding set; without CAP_SETPCAP the kernel says
 *        EPERM, which is ignored and leaves bounding_cleared false (unless the
 *        set was empty already);
 *     2. clear the ambient set;
 *     3. if real/effective/saved ids differ (a setuid-non-root binary), set
 *        all three to the effective ones, so the real or saved id cannot be
 *        switched back to; supplementary groups are kept (they are the
 *        user's own, and changing them needs CAP_SETGID);
 *     4. capset effective/permitted/inheritable to 0 and verify;
 *     5. setuid(0) must fail.
 *
 *   Whenever something was dropped (PRIVS_SWITCHED, PRIVS_CAPS_DROPPED), the
 *   last step is prctl(PR_SET_NO_NEW_PRIVS, 1): nothing executed later can
 *   gain privileges through setuid bits or file capabilities.
 *
 * Not done here: the kernel makes the process non-dumpable when its
 * credentials are lowered (unless fs.suid_dumpable is 1), which keeps other
 * processes of the same user (many daemons run as "nobody") from ptracing
 * davy and its open capture sockets; this module leaves that flag as the
 * kernel set it.
 */
#ifndef DAVY_PRIVS_H
#define DAVY_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct privs_cfg {
	const char *user;  /* --user: name or numeric uid; NULL: the default above */
	const char *group; /* --group: name or numeric gid; NULL: the user's primary group */
	bool live;         /* capturing from an interface (false: reading files) */
};

enum privs_outcome {
	PRIVS_KEPT,         /* nothing done: replaying files without --user */
	PRIVS_STAYED_ROOT,  /* --user root: still root with every capability */
	PRIVS_SWITCHED,     /* was root: now the target user, no capabilities */
	PRIVS_CAPS_DROPPED, /* was not root: same user, no capabilities */
};

/* What happened, for davy's log line and stats. Ids are the effective ones. */
struct privs_result {
	enum privs_outcome outcome;
	uid_t uid_before, uid_after;
	gid_t gid_before, gid_after;
	char user[64];         /* name of uid_after; "" if it has no passwd entry */
	bool user_changed;     /* uid_after != uid_before */
	bool had_caps;         /* some effective/permitted/inheritable cap before */
	bool caps_dropped;     /* effective, permitted, inheritable, ambient now 0 */
	bool bounding_cleared; /* the bounding set is now empty */
	bool no_new_privs;     /* PR_SET_NO_NEW_PRIVS is set */
};

/* Does what the table above says for pc. Returns 0 with res filled in, or -1
 * with a message in err naming what failed and why, e.g.
 *   unknown user 'x'
 *   cannot switch to user 'nobody' (uid 65534): setresuid: Operation not permitted
 *   --user bob: not running as root, cannot switch from uid 1000
 * res is always written (ids before, as far as known, on failure). */
int davy_drop_privileges(const struct privs_cfg *pc, struct privs_result *res, char *err,
			 size_t errlen);

/* One line for stderr, e.g.
 *   running as nobody (uid 65534, gid 65534); capabilities dropped
 * buf always ends with '\0' (len > 0). */
void privs_describe(const struct privs_result *r, char *buf, size_t len);

/* Whether cap (CAP_NET_RAW, ...) is in this thread's effective set, read
 * with capget. false for a cap outside 0..63 or when capget fails. Used to
 * explain a capture open failure ("needs CAP_NET_RAW; CAP_NET_ADMIN for
 * promiscuous mode"). */
bool privs_have_cap(int cap);

#endif
