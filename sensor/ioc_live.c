/* ioc_live.c - the current indicator set and its reload (ioc_live.h). */
#include <inttypes.h>
#include <string.h>

#include "ioc_live.h"
#include "reload.h"

static uint64_t fingerprint(const struct ioc_live *l)
{
	uint64_t fp = 0;
	for (unsigned i = 0; i < l->npaths; i++)
		fp = fp * 0x100000001b3ULL + ioc_path_fingerprint(l->paths[i]);
	return fp;
}

/* A complete set from every path, or NULL with the reason in err. On
 * reload, a path that gives no indicator but bad lines fails too. */
static struct ioc_set *build(const struct ioc_live *l, bool reload, char *err, size_t errlen)
{
	struct ioc_opts io = { .msg_file = l->log };
	struct ioc_set *s = ioc_set_new(&io);
	if (!s) {
		snprintf(err, errlen, "out of memory for indicators");
		return NULL;
	}
	for (unsigned i = 0; i < l->npaths; i++) {
		struct ioc_stats st = { 0 };
		const char *p = l->paths[i];
		if (ioc_load_path(s, p, &st) != 0) {
			snprintf(err, errlen, "cannot load indicators from '%s'%s", p,
				 l->shipped ? " (the shipped feeds; --iocs PATH or --no-iocs)" : "");
			ioc_set_free(s);
			return NULL;
		}
		if (reload && st.good == 0 && st.bad > 0) {
			snprintf(err, errlen, "'%s' gave no indicator, only %" PRIu64 " bad lines", p,
				 st.bad);
			ioc_set_free(s);
			return NULL;
		}
	}
	return s;
}

static void say_loaded(const struct ioc_live *l, const struct ioc_set *s, const char *what)
{
	if (l->quiet || !l->log)
		return;
	const struct ioc_stats *is = ioc_set_stats(s);
	fprintf(l->log, "davy: %s%zu indicators from %" PRIu64 " feed files (%" PRIu64
		" bad lines skipped)\n", what, ioc_set_count(s), is->files, is->bad);
	fflush(l->log);
}

int ioc_live_init(struct ioc_live *l, const char *const *paths, unsigned npaths, bool shipped,
		  bool quiet, FILE *log, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->paths = paths;
	l->npaths = npaths;
	l->shipped = shipped;
	l->quiet = quiet;
	l->log = log;
	l->fp = fingerprint(l);
	struct ioc_set *s = build(l, false, err, errlen);
	if (!s)
		return -1;
	atomic_init(&l->cur, s);
	say_loaded(l, s, "");
	return 0;
}

bool ioc_live_reload(void *arg, const char *why)
{
	struct ioc_live *l = arg;
	char err[512];
	uint64_t fp = fingerprint(l); /* before reading: a change during the load shows next time */
	struct ioc_set *s = build(l, true, err, sizeof(err));
	l->fp = fp;
	if (!s) {
		l->reload_failures++;
		const struct ioc_set *old = atomic_load_explicit(&l->cur, memory_order_relaxed);
		if (l->log) {
			fprintf(l->log, "davy: indicator reload (%s) failed: %s; still using the previous %zu indicators\n",
				why, err, old ? ioc_set_count(old) : 0);
			fflush(l->log);
		}
		return false;
	}
	/* only this thread writes cur: the relaxed load sees the latest set */
	ioc_set_set_generation(s, ioc_set_generation(atomic_load_explicit(&l->cur, memory_order_relaxed)) + 1);
	struct ioc_set *old = atomic_exchange_explicit(&l->cur, s, memory_order_acq_rel);
	live_synchronize(); /* every reader passed a quiescent state: none holds old */
	ioc_set_free(old);
	l->reloads++;
	char what[96];
	snprintf(what, sizeof(what), "indicators reloaded (%s): ", why);
	say_loaded(l, s, what);
	return true;
}

bool ioc_live_changed(void *arg)
{
	struct ioc_live *l = arg;
	return fingerprint(l) != l->fp;
}

void ioc_live_free(struct ioc_live *l)
{
	ioc_set_free(atomic_load(&l->cur));
	atomic_store(&l->cur, NULL);
}
