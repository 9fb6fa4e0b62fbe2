/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * metrics.h - Prometheus metrics at http://ADDR:PORT/metrics (--metrics).
 */
#ifndef BW_METRICS_H
#define BW_METRICS_H

#include <stdint.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "event.h"

struct metrics;
struct policy;

/* Where records are written, for bindwatch_output_errors_total{sink}. */
enum metrics_sink { METRICS_SINK_STDOUT, METRICS_SINK_LOG, METRICS_SINK_SYSLOG, METRICS_SINKS };

/* "PORT", ":PORT", "ADDR:PORT" or "[ADDR6]:PORT" into ss: 0 or -EINVAL. */
int metrics_parse_listen(const char *s, struct sockaddr_storage *ss);

/*
 * Serve metrics on listen ("PORT", ":PORT", "ADDR:PORT" or "[ADDR6]:PORT";
 * "PORT" is loopback, ":PORT" every address); mode is the capture mode for
 * bindwatch_info, p the policy in force (NULL: none).  0 or -errno
 * (reported).
 */
int metrics_start(struct metrics **mp, const char *listen, const char *mode,
		  const struct policy *p);
void metrics_stop(struct metrics *m);

/*
 * The expect rules in force are now p's (NULL: none): each has its
 * bindwatch_unexpected_owner_total series, at 0 when new.  From the
 * thread that writes ownership records.  0 or -ENOMEM (reported: the
 * previous rules' series stay).
 */
int metrics_expect(struct metrics *m, const struct policy *p);

/*
 * Account for a record (a conflict, a probe's apart: record_probe(); an
 * unexpected owner; a SO_REUSEPORT join), for failures lost (of a uid or of none), for one holder lookup's
 * duration.
 */
void metrics_record(struct metrics *m, const struct bw_record *r);
void metrics_lost(struct metrics *m, uint64_t count);
/* Failures a uid's rate limit held back (counted in a suppressed record). */
void metrics_suppressed(struct metrics *m, uint64_t count);
/* A reclaim rule's decision (result ACTION_RECLAIMED ... ACTION_TIMEOUT). */
void metrics_reclaim(struct metrics *m, enum action_result result);
void metrics_lookup(struct metrics *m, double seconds);
/* Records not handed to an alert hook: its queue was full. */
void metrics_hooks_dropped(struct metrics *m, uint64_t count);
/* A conflict whose holder walk was skipped: its uid's walk budget was spent. */
void metrics_walk_skipped(struct metrics *m);
/* The last sample of the ephemeral ranges' use (ephemeral.h), g[0..n). */
struct eph_gauge;
void metrics_ephemeral(struct metrics *m, const struct eph_gauge *g, size_t n);
/* A record a sink could not take at once (kept for a retry, or lost). */
void metrics_output_error(struct metrics *m, enum metrics_sink sink);

#endif /* BW_METRICS_H */
