/* pods_live.h - the pod map the workers read (pods.h), and its reload.
 *
 * `--pods PATH` is loaded at start (a file that cannot be read or parsed is
 * a start-up error naming it) and loaded again on SIGHUP and when its stat
 * fingerprint changed (checked every --pods-check-interval seconds; the
 * deployment's sidecar rewrites it). A reload builds a complete new map in
 * the reloader thread (reload.h), publishes it with one pointer store and
 * frees the old one after the grace period. A reload that fails (the file
 * is gone, not JSON, not a pod list: e.g. caught half-written) keeps the
 * previous map, and the log says so and why. Write the file by renaming a
 * complete file into place.
 *
 * Readers (workers) take pods_live_get() after each quiescent state; a
 * `const struct pod *` is valid until the next one.
 */
#ifndef DAVY_PODS_LIVE_H
#define DAVY_PODS_LIVE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "pods.h"

struct pods_live {
	_Atomic(struct pod_map *) cur;
	const char *path; /* outlives the struct */
	bool quiet;       /* no message on a successful reload */
	FILE *log;
	uint64_t fp;      /* stat fingerprint taken before the current map's load */
	/* written by the reloader thread; read by others after it stopped */
	_Atomic uint64_t reloads, reload_failures; /* the reloader writes, stats read */
};

int pods_live_init(struct pods_live *l, const char *path, bool quiet, FILE *log, char *err,
		   size_t errlen);
/* Reload items (reload.h); arg is a `struct pods_live *`. */
bool pods_live_reload(void *arg, const char *why);
bool pods_live_changed(void *arg);
/* After the reloader stopped and every reader ended. */
void pods_live_free(struct pods_live *l);

static inline const struct pod_map *pods_live_get(struct pods_live *l)
{
	return l ? atomic_load_explicit(&l->cur, memory_order_acquire) : NULL;
}

#endif
