/* reload.c - the reloader thread and the RCU domain (reload.h). */
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <urcu-qsbr.h>

#include "reload.h"
#include "tsan.h"

/* ThreadSanitizer's view of the grace period (tsan.h): every read of an
 * old object by a reader happened before its quiescent state (release),
 * and live_synchronize (acquire) returns after all of them. Process-wide
 * like the RCU domain it stands for; an annotation only, never read. */
static char tsan_anchor;

void live_reader_register(void)
{
	rcu_register_thread();
}

void live_reader_unregister(void)
{
	TSAN_RELEASE(&tsan_anchor);
	rcu_unregister_thread();
}

void live_quiescent(void)
{
	TSAN_RELEASE(&tsan_anchor);
	rcu_quiescent_state();
}

void live_synchronize(void)
{
	synchronize_rcu();
	TSAN_ACQUIRE(&tsan_anchor);
}

void reloader_init(struct reloader *r)
{
	memset(r, 0, sizeof(*r));
	atomic_init(&r->stop, false);
	atomic_init(&r->signal, 0);
	atomic_init(&r->stats_requests, 0u);
}

int reloader_add(struct reloader *r, bool (*reload)(void *, const char *),
		 bool (*changed)(void *), void *ctx, const char *changed_why, uint32_t check_s)
{
	if (r->n == RELOAD_ITEMS_MAX)
		return -1;
	struct reload_item *it = &r->item[r->n++];
	it->reload = reload;
	it->changed = changed;
	it->ctx = ctx;
	it->changed_why = changed_why;
	it->check_s = changed ? check_s : 0;
	return 0;
}

static bool before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

static void schedule(struct reload_item *it)
{
	clock_gettime(CLOCK_MONOTONIC, &it->next);
	it->next.tv_sec += it->check_s;
}

void reloader_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGUSR1);
}

static void *reloader_main(void *arg)
{
	struct reloader *r = arg;
	sigset_t hup;
	reloader_signals(&hup);
	for (unsigned i = 0; i < r->n; i++)
		schedule(&r->item[i]);
	while (!atomic_load(&r->stop)) {
		/* until the earliest check (an hour when none is periodic) */
		struct timespec now, due;
		clock_gettime(CLOCK_MONOTONIC, &now);
		due = now;
		due.tv_sec += 3600;
		for (unsigned i = 0; i < r->n; i++)
			if (r->item[i].check_s && before(&r->item[i].next, &due))
				due = r->item[i].next;
		struct timespec to = { 0, 0 };
		if (before(&now, &due)) {
			to.tv_sec = due.tv_sec - now.tv_sec;
			to.tv_nsec = due.tv_nsec - now.tv_nsec;
			if (to.tv_nsec < 0) {
				to.tv_sec--;
				to.tv_nsec += 1000000000L;
			}
		}
		int sig = sigtimedwait(&hup, NULL, &to);
		if (atomic_load(&r->stop))
			break;
		if (sig == SIGINT || sig == SIGTERM) {
			int none = 0;
			atomic_compare_exchange_strong(&r->signal, &none, sig);
			if (r->stop_flag)
				atomic_store(r->stop_flag, true);
			continue;
		}
		if (sig == SIGUSR1) {
			atomic_fetch_add(&r->stats_requests, 1u);
			continue;
		}
		if (sig == SIGHUP) {
			r->sighups++;
			for (unsigned i = 0; i < r->n; i++)
				r->item[i].reload(r->item[i].ctx, "SIGHUP");
			continue;
		}
		if (sig < 0 && errno == EINTR)
			continue;
		clock_gettime(CLOCK_MONOTONIC, &now);
		for (unsigned i = 0; i < r->n; i++) {
			struct reload_item *it = &r->item[i];
			if (!it->check_s || before(&now, &it->next))
				continue;
			schedule(it);
			if (it->changed(it->ctx))
				it->reload(it->ctx, it->changed_why);
		}
	}
	return NULL;
}

int reloader_start(struct reloader *r)
{
	if (pthread_create(&r->th, NULL, reloader_main, r) != 0)
		return -1;
	r->running = true;
	return 0;
}

void reloader_stop(struct reloader *r)
{
	if (!r->running)
		return;
	atomic_store(&r->stop, true);
	pthread_kill(r->th, SIGHUP); /* wakes sigtimedwait; SIGHUP is blocked there */
	pthread_join(r->th, NULL);
	r->running = false;
}
