/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * util.h - the few helpers every module may need: time in nanoseconds,
 * deadlines, and the size of an array.  Nothing here allocates or fails.
 */
#ifndef BW_UTIL_H
#define BW_UTIL_H

#include <stdint.h>
#include <time.h>

/* Signed, so a difference of two stamps divides as a difference should. */
#define NSEC_PER_SEC 1000000000LL
#define NSEC_PER_MSEC 1000000LL
#define MSEC_PER_SEC 1000LL

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* clock's time now, in ns. */
static inline uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* clock's time ms from now, as pthread_cond_timedwait() takes a deadline. */
static inline struct timespec deadline_after_ms(clockid_t clock, long ms)
{
	struct timespec t;

	clock_gettime(clock, &t);
	t.tv_nsec += ms * NSEC_PER_MSEC;
	t.tv_sec += t.tv_nsec / NSEC_PER_SEC;
	t.tv_nsec %= NSEC_PER_SEC;
	return t;
}

#endif /* BW_UTIL_H */
