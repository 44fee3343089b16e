/* ioc_live.h - the indicator set the workers match against, and its reload
 * while capture goes on (SIGHUP, or a feed file that changed).
 *
 * Invariants:
 *  - One set is current at any time. Workers read it through
 *    ioc_live_get() with no lock and no atomic read-modify-write: a
 *    pointer load. The set itself is immutable (ioc.h).
 *  - Reload builds a complete new set in the reloader thread, from every
 *    configured path, then publishes it with one atomic pointer store. A
 *    worker sees either the old set or the new one, never a mix.
 *  - The old set is freed only after a grace period (reload.h): each
 *    worker is a registered reader of the process's RCU domain and passes
 *    a quiescent state between messages, at least every IOC_LIVE_QS_EVERY
 *    messages and whenever its input queue is empty; it holds no `const
 *    struct ioc *` across one. The reload waits for live_synchronize(),
 *    then frees the old set.
 *  - A reload that fails keeps the previous set: when a path cannot be
 *    read (missing, no permission, an unreadable folder), when memory runs
 *    out, or when a path gives no indicator at all but bad lines (a file
 *    being rewritten in place). The log says which path and that the
 *    previous set stays. Bad lines in an otherwise good load are reported
 *    (FILE:LINE) and skipped, as at start-up.
 *  - Flows keep what they were matched against: facts already checked
 *    (ioc_match.h, flow->ioc_done) are not checked again against a new set;
 *    facts checked after the swap use the new one.
 *
 * Triggers (reload.h's thread): SIGHUP, and every `--iocs-check-interval`
 * seconds a fingerprint of the paths (ioc_path_fingerprint) that differs
 * from the one taken before the last load (ioc_live_changed). Write feeds
 * by renaming a complete file into place; a file caught half-written
 * either fails (kept old set) or loads partly, and the next check, seeing
 * it changed again, loads it again.
 */
#ifndef DAVY_IOC_LIVE_H
#define DAVY_IOC_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "ioc.h"

#define IOC_LIVE_QS_EVERY 256 /* messages between a worker's quiescent states */

struct ioc_live {
	_Atomic(struct ioc_set *) cur;
	const char *const *paths;
	unsigned npaths;
	bool shipped;       /* paths are the shipped feeds (messages say so) */
	bool quiet;         /* no message on a successful reload */
	FILE *log;
	uint64_t fp;        /* fingerprint taken before the current set's load */
	/* written by the reloader thread; read by others after it stopped */
	_Atomic uint64_t reloads, reload_failures; /* the reloader writes, stats read */
};

/* Loads every path into the first set (ioc_load_path): returns 0, or -1
 * with a message in err (a path that cannot be read, out of memory). paths
 * must outlive l. */
int ioc_live_init(struct ioc_live *l, const char *const *paths, unsigned npaths, bool shipped,
		  bool quiet, FILE *log, char *err, size_t errlen);

/* Frees the current set. After the reloader stopped and every reader ended. */
void ioc_live_free(struct ioc_live *l);

/* Reloads now, in the calling thread (the reloader's item; tests too):
 * returns true when a new set was published. why names the trigger in the
 * log. Only one thread may reload at a time. l is a `struct ioc_live *`. */
bool ioc_live_reload(void *l, const char *why);

/* The reloader's check: the paths' fingerprint differs from the one taken
 * before the current set's load. */
bool ioc_live_changed(void *l);

/* ---- readers (worker threads) ---- */

/* The current set; valid until the calling reader's next quiescent state
 * (reload.h). */
static inline const struct ioc_set *ioc_live_get(struct ioc_live *l)
{
	return atomic_load_explicit(&l->cur, memory_order_acquire);
}

#endif
