/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * log.h - the one way bindwatch talks to the operator about itself.
 *
 * Records go to the output sinks (output.h); everything else, errors and
 * status lines, goes through warn() to stderr with a "bindwatch:" prefix.
 * libbpf's own chatter is shown only with -v.
 */
#ifndef BW_LOG_H
#define BW_LOG_H

#include <stdbool.h>

__attribute__((format(printf, 1, 2)))
void warn(const char *fmt, ...);

/* Like warn(), for a detail shown only with -v (log_setup_libbpf(true)). */
__attribute__((format(printf, 1, 2)))
void note(const char *fmt, ...);

/* one or many, as n asks: "1 rule", "2 rules", "0 rules" */
static inline const char *plural(unsigned long long n, const char *one, const char *many)
{
	return n == 1 ? one : many;
}

/* Route libbpf's log and note() through stderr: everything when verbose, else nothing. */
void log_setup_libbpf(bool verbose);

#endif /* BW_LOG_H */
