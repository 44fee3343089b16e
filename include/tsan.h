/* tsan.h - telling ThreadSanitizer about ordering it cannot see.
 *
 * TSan follows C11 atomics, pthread calls and the like. It does not see the
 * fences that Concurrency Kit's ck_ring (queue.c) and liburcu's grace
 * periods (ioc_live.c) issue from inline assembly or from uninstrumented
 * libraries, and would then report races that are not there. Where davy
 * relies on such an ordering, the side that publishes calls TSAN_RELEASE on
 * an address standing for the channel, and the side that observes it
 * calls TSAN_ACQUIRE on the same address: TSan then knows that everything
 * before the release happened before everything after the acquire. Each
 * use says which guarantee it stands for. In builds without
 * -fsanitize=thread these are nothing.
 */
#ifndef DAVY_TSAN_H
#define DAVY_TSAN_H

#if defined(__SANITIZE_THREAD__)
#define DAVY_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define DAVY_TSAN 1
#endif
#endif

#ifdef DAVY_TSAN
void __tsan_acquire(void *addr);
void __tsan_release(void *addr);
#define TSAN_ACQUIRE(a) __tsan_acquire((void *)(a))
#define TSAN_RELEASE(a) __tsan_release((void *)(a))
#else
#define TSAN_ACQUIRE(a) ((void)(a))
#define TSAN_RELEASE(a) ((void)(a))
#endif

#endif
