/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * reclaim.h - act on a conflict as the policy says: log, alert, or reclaim
 * the port by signalling the stale process that holds it.  It owns the
 * reclaims under way (pidfds, signals, grace, re-diagnosis); whether to
 * signal at all is verdict.h's to say, and it must not write records
 * itself (done() does).
 */
#ifndef BW_RECLAIM_H
#define BW_RECLAIM_H

#include <stdbool.h>
#include "holders.h"
#include "diagnose.h"
#include "policy.h"
#include "event.h"

struct reclaimer;

/*
 * A reclaimer that checks ports with holders, signals nothing when
 * dry_run, and hands finished records to done(arg, ...) (which runs the
 * rule's exec with them, record_action.exec).  0 or -ENOMEM.
 */
int reclaim_new(struct reclaimer **out, struct holders *holders, bool dry_run,
		bw_emit_fn done, void *arg);

/* Running reclaims are abandoned: their processes stay as they are. */
void reclaim_free(struct reclaimer *rc);

/*
 * Use policy p from now on (the reclaimer takes over the caller's
 * reference and drops the one before); running reclaims finish with the
 * rule they started with.
 */
void reclaim_set_policy(struct reclaimer *rc, struct policy *p);

/*
 * What the policy says of the diagnosed conflict rec, seen as the record r
 * (held_record_view()).  Returns false when r is to be written now, with
 * r->action set (or left NULL: no rule matched); act is the storage for
 * it.  Returns true when a reclaim has started: the reclaimer took rec
 * over (it is left empty, r no longer valid) and hands the record to
 * done() once the port is free or the reclaim has given up.
 */
bool reclaim_decide(struct reclaimer *rc, struct held_record *rec, struct bw_record *r,
		    struct record_action *act);

/* End every running reclaim now (bindwatch stops), writing its record. */
void reclaim_stop(struct reclaimer *rc);

/* Check running reclaims, finish those that are done; true while any runs. */
bool reclaim_tend(struct reclaimer *rc);

#endif /* BW_RECLAIM_H */
