/* ioc_live.c - the current indicator set and its reload (ioc_live.h). */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include <urcu-qsbr.h>

#include "ioc_live.h"

/* The grace period's guarantee for ThreadSanitizer (tsan.h): each reader
 * releases tsan_anchor at its quiescent states, and the reloader acquires
 * it after synchronize_rcu(): every read of the old set happened before its
 * free. */
#include "tsan.h"

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
		  uint32_t check_s, bool quiet, FILE *log, char *err, size_t errlen)
{
	memset(l, 0, sizeof(*l));
	l->paths = paths;
	l->npaths = npaths;
	l->shipped = shipped;
	l->check_s = check_s;
	l->quiet = quiet;
	l->log = log;
	atomic_init(&l->stop, false);
	l->fp = fingerprint(l);
	struct ioc_set *s = build(l, false, err, errlen);
	if (!s)
		return -1;
	atomic_init(&l->cur, s);
	say_loaded(l, s, "");
	return 0;
}

bool ioc_live_reload(struct ioc_live *l, const char *why)
{
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
	struct ioc_set *old = atomic_exchange_explicit(&l->cur, s, memory_order_acq_rel);
	synchronize_rcu(); /* every reader passed a quiescent state: none holds old */
	TSAN_ACQUIRE(&l->tsan_anchor);
	ioc_set_free(old);
	l->reloads++;
	char what[96];
	snprintf(what, sizeof(what), "indicators reloaded (%s): ", why);
	say_loaded(l, s, what);
	return true;
}

static void *reloader_main(void *arg)
{
	struct ioc_live *l = arg;
	sigset_t hup;
	sigemptyset(&hup);
	sigaddset(&hup, SIGHUP);
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	next.tv_sec += l->check_s ? l->check_s : 3600;
	while (!atomic_load(&l->stop)) {
		struct timespec now, to = { 0, 0 };
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec < next.tv_sec || (now.tv_sec == next.tv_sec && now.tv_nsec < next.tv_nsec)) {
			to.tv_sec = next.tv_sec - now.tv_sec;
			to.tv_nsec = next.tv_nsec - now.tv_nsec;
			if (to.tv_nsec < 0) {
				to.tv_sec--;
				to.tv_nsec += 1000000000L;
			}
		}
		int sig = sigtimedwait(&hup, NULL, &to);
		if (atomic_load(&l->stop))
			break;
		if (sig == SIGHUP) {
			ioc_live_reload(l, "SIGHUP");
			continue;
		}
		if (sig < 0 && errno == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &next);
		next.tv_sec += l->check_s ? l->check_s : 3600;
		if (!l->check_s)
			continue;
		l->reload_checks++;
		if (fingerprint(l) != l->fp)
			ioc_live_reload(l, "feed files changed");
	}
	return NULL;
}

int ioc_live_start(struct ioc_live *l)
{
	if (pthread_create(&l->th, NULL, reloader_main, l) != 0)
		return -1;
	l->running = true;
	return 0;
}

void ioc_live_stop(struct ioc_live *l)
{
	if (!l->running)
		return;
	atomic_store(&l->stop, true);
	pthread_kill(l->th, SIGHUP); /* wakes sigtimedwait; SIGHUP is blocked there */
	pthread_join(l->th, NULL);
	l->running = false;
}

void ioc_live_free(struct ioc_live *l)
{
	ioc_set_free(atomic_load(&l->cur));
	atomic_store(&l->cur, NULL);
}

void ioc_live_reader_register(void)
{
	rcu_register_thread();
}

void ioc_live_reader_unregister(struct ioc_live *l)
{
	TSAN_RELEASE(&l->tsan_anchor);
	rcu_unregister_thread();
}

void ioc_live_quiescent(struct ioc_live *l)
{
	TSAN_RELEASE(&l->tsan_anchor);
	rcu_quiescent_state();
}
