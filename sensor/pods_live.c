/* pods_live.c - the pod map in use and its reload (pods_live.h). */
#include <inttypes.h>
#include <string.h>

#include "ioc.h"
#include "pods_live.h"
#include "reload.h"

static void say_loaded(const struct pods_live *l, const struct pod_map *m, const char *what)
{
	if (!l->log)
		return;
	const struct pods_stats *st = pods_map_stats(m);
	fprintf(l->log,
		"davy: %s%zu pods (%zu addresses) from '%s'; not attributed: %" PRIu64
		" host-network, %" PRIu64 " finished, %" PRIu64 " without an address\n",
		what, pods_count(m), pods_addresses(m), l->path, st->host_network, st->finished,
		st->no_address);
	fflush(l->log);
}

int pods_live_init(struct pods_live *l, const char *path, bool quiet, FILE *log, char *err,
		   size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->path = path;
	l->quiet = quiet;
	l->log = log;
	l->fp = ioc_path_fingerprint(path);
	struct pod_map *m = pods_load(path, log, NULL, err, errlen);
	if (!m)
		return -1;
	atomic_init(&l->cur, m);
	if (!quiet)
		say_loaded(l, m, "");
	return 0;
}

bool pods_live_reload(void *arg, const char *why)
{
	struct pods_live *l = arg;
	char err[512];
	l->fp = ioc_path_fingerprint(l->path); /* before reading: a change during it shows next time */
	struct pod_map *m = pods_load(l->path, l->log, NULL, err, sizeof(err));
	if (!m) {
		l->reload_failures++;
		const struct pod_map *old = atomic_load_explicit(&l->cur, memory_order_relaxed);
		if (l->log) {
			fprintf(l->log, "davy: pod list reload (%s) failed: %s; still using the previous %zu pods\n",
				why, err, pods_count(old));
			fflush(l->log);
		}
		return false;
	}
	/* only this thread writes cur: the relaxed load sees the latest map */
	pods_set_generation(m, pods_generation(atomic_load_explicit(&l->cur, memory_order_relaxed)) + 1);
	struct pod_map *old = atomic_exchange_explicit(&l->cur, m, memory_order_acq_rel);
	live_synchronize(); /* no worker holds a pod of old */
	pods_free(old);
	l->reloads++;
	if (!l->quiet) {
		char what[96];
		snprintf(what, sizeof(what), "pod list reloaded (%s): ", why);
		say_loaded(l, m, what);
	}
	return true;
}

bool pods_live_changed(void *arg)
{
	struct pods_live *l = arg;
	return ioc_path_fingerprint(l->path) != l->fp;
}

void pods_live_free(struct pods_live *l)
{
	pods_free(atomic_load(&l->cur));
	atomic_store(&l->cur, NULL);
}
