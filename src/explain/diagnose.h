/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * diagnose.h - turn sockets found on a port into named holders: which of
 * them block a request, who holds them, and why the kernel refused.
 */
#ifndef BW_DIAGNOSE_H
#define BW_DIAGNOSE_H

#include <stddef.h>
#include "holders.h"
#include "ledger.h"
#include "event.h"
#include "walkbudget.h"

/*
 * The first DIAG_MAX_HOLDERS of the sockets in l (ranked) as d's holders,
 * named (holder_infos(), bound_by from ledger), the rest counted in
 * d->omitted; l is freed.  0 or -ENOMEM.
 */
int diagnosis_fill(struct diagnosis *d, struct holder_list *l, const struct ledger *ledger);

/*
 * Find who blocks the call ev describes, in the network namespace where it
 * failed.  d is always filled (with no holders and reason "unknown" when
 * the lookup failed); returns 0 or the lookup's -errno.  A walk of every
 * process (when the ledger cannot name the holders) is taken from the
 * requester uid's share of budget; past it none is made and
 * d->walk_skipped says so.  budget NULL: no limit.
 */
int diagnose(struct holders *h, const struct ledger *ledger, struct walk_budget *budget,
	     const struct bw_event *ev, struct diagnosis *d);
/* The same in the network namespace open as netns_fd (-1: the requester's), no limit. */
int diagnose_in(struct holders *h, const struct ledger *ledger, const struct bw_event *ev,
		int netns_fd, struct diagnosis *d);

/*
 * Enrich every socket in l from /proc and, when ledger is not NULL, with
 * the bind() that created it.  0 or -ENOMEM.
 */
int holder_infos(const struct holder_list *l, const struct ledger *ledger,
		 struct holder_info **out);

#endif /* BW_DIAGNOSE_H */
