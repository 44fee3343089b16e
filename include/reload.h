/* reload.h - the one thread that reloads what davy reads from files while
 * capture goes on (indicator feeds, MaxMind databases, the pod list), and
 * the read-copy-update domain the workers read those through.
 *
 * Each reloadable thing is an item: a reload function (build a complete new
 * object from its files, publish it with one atomic pointer store, wait for
 * a grace period with live_synchronize(), free the old one; on failure keep
 * the old one and say so) and, optionally, a changed function (cheap: a
 * fingerprint of its files' stat data) checked every check_s seconds.
 *
 * Triggers: SIGHUP reloads every item, in the order added (the caller blocks
 * SIGHUP, SIGINT and SIGTERM in every thread; this thread takes them with
 * sigtimedwait). SIGINT and SIGTERM set *stop_flag (the reader then stops
 * at its next check, and the run ends as at the end of its input: open
 * flows flushed as `shutdown`, every queued record delivered) and are
 * remembered in `signal`; the thread runs for them even with no item. Each
 * item whose check_s is not 0 is asked changed() every check_s seconds
 * (monotonic clock) and reloaded when it says so.
 *
 * The RCU domain: liburcu's QSBR flavour (urcu-qsbr), one per process.
 * Every worker is a registered reader (live_reader_register) and reports a
 * quiescent state (live_quiescent) between messages - it then holds no
 * pointer into any reloadable object. live_synchronize() returns once every
 * registered reader has passed one after the call began. A reader that
 * unregistered (it ended) is not waited for. One process-wide anchor tells
 * ThreadSanitizer about that ordering (tsan.h): readers release it at their
 * quiescent states, live_synchronize acquires it.
 */
#ifndef DAVY_RELOAD_H
#define DAVY_RELOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <signal.h>
#include <stdint.h>
#include <time.h>

#define RELOAD_ITEMS_MAX 4

struct reload_item {
	bool (*reload)(void *ctx, const char *why); /* true: a new object is in use */
	bool (*changed)(void *ctx);                 /* NULL: SIGHUP only */
	void *ctx;
	const char *changed_why;                    /* the reload's reason in the log */
	uint32_t check_s;                           /* 0: SIGHUP only */
	struct timespec next;                       /* next check (monotonic) */
};

struct reloader {
	struct reload_item item[RELOAD_ITEMS_MAX];
	unsigned n;
	uint64_t sighups;  /* written by the reloader; read after reloader_stop */
	_Atomic bool *stop_flag; /* set on SIGINT/SIGTERM; NULL: ignored */
	atomic_int signal;       /* the first SIGINT/SIGTERM taken, or 0 */
	atomic_uint stats_requests; /* SIGUSR1s taken: each asks for a stats record */
	atomic_bool stop;
	bool running;
	pthread_t th;
};

void reloader_init(struct reloader *r);

/* Adds an item (changed_why: e.g. "feed files changed"); -1 when RELOAD_ITEMS_MAX are there. Before reloader_start. */
int reloader_add(struct reloader *r, bool (*reload)(void *, const char *),
		 bool (*changed)(void *), void *ctx, const char *changed_why, uint32_t check_s);

/* The signals the thread takes (SIGHUP, SIGINT, SIGTERM, SIGUSR1): to block in
 * every thread before any starts. */
void reloader_signals(sigset_t *set);

/* Starts the thread. The signals above must be blocked in the caller.
 * Returns 0 or -1. */
int reloader_start(struct reloader *r);

/* Stops and joins the thread (a reload under way completes first). */
void reloader_stop(struct reloader *r);

/* ---- the RCU domain ---- */

void live_reader_register(void);
void live_reader_unregister(void);
/* The calling reader holds no pointer into any reloadable object. */
void live_quiescent(void);
/* Waits until every registered reader has passed a quiescent state. Called
 * by the thread that published a new object, before it frees the old. */
void live_synchronize(void);

#endif
