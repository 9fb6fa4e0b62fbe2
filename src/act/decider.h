/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * decider.h - the policy's decisions and reclaims, on a thread of their own.
 */
#ifndef BW_DECIDER_H
#define BW_DECIDER_H

#include <stdbool.h>
#include <stdint.h>
#include "policy.h"
#include "portlist.h"
#include "reclaim.h"
#include "event.h"

#define DECIDER_QUEUE_MAX 64 /* conflicts waiting for a decision */
#define DECIDER_UID_SHARE 16 /* of them, at most this many of one requester uid */

struct decider;

/*
 * Start the thread that decides for reclaimer rc by policy p (the caller's
 * reference, handed to rc whatever the outcome) and writes each decided record
 * through done(arg, ...), which must be safe to call from that thread.
 * 0 or -errno.
 */
int decider_start(struct decider **out, struct reclaimer *rc, struct policy *p,
		  bw_emit_fn done, void *arg);

/* Whether some rule names port of protocol proto: whether to submit. */
bool decider_names(const struct decider *d, unsigned int port, int proto);

/*
 * Hand the diagnosed conflict r over (its requester req and diagnosis
 * diag are taken, left empty).  0; -EBUSY when the queue, or r's
 * requester uid's share of it, is full, -ENOMEM; then nothing is taken and
 * the caller writes the record itself, undecided.
 */
int decider_submit(struct decider *d, const struct bw_record *r, struct proc_info *req,
		   struct diagnosis *diag);

/* Decide by policy p from now on (a reference taken over; running reclaims keep theirs). */
void decider_reload(struct decider *d, struct policy *p);

/*
 * Stop: reclaims under way end and write their records, conflicts still
 * queued are decided (nothing more is signalled) and written, the thread
 * is joined.  NULL is fine.
 */
void decider_stop(struct decider *d);

#endif /* BW_DECIDER_H */
