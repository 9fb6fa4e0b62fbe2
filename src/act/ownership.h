/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ownership.h - what a successful call did to a port's ownership: an
 * unexpected owner of an expected port, or a SO_REUSEPORT group joined by
 * another program, user or cgroup; each written as a record of its kind.
 */
#ifndef BW_OWNERSHIP_H
#define BW_OWNERSHIP_H

#include <stdbool.h>
#include <time.h>
#include "enrich.h"
#include "event.h"
#include "holders.h"
#include "ledger.h"
#include "policy.h"

/* What judges the monitor's successful calls, and where their records go. */
struct ownership {
	const struct policy *expect; /* the expect rules in force; NULL: none */
	bool reuseport_all;          /* --reuseport-watch: joins on every port */
	struct enricher *enrich;     /* the requester's /proc, as for a conflict */
	bw_emit_fn emit;             /* writes the records, as reclaim's done() */
	void *arg;
	/*
	 * The last holder lookup's error, 0: the monitor's, shared so that a
	 * failing lookup is said once, whichever record it was for.
	 */
	int *lookup_err;
};

/*
 * The successful call ev (at wall): when its port is one an expect rule of
 * o names, or its socket has SO_REUSEPORT and the port is expected or
 * reuseport_all is set, write through o->emit what it did to the port's
 * ownership: an unexpected-owner record when its caller meets the owner of
 * no expect rule naming the port, a reuseport-join record when the group
 * its bind() joined (found with h, its holders' bind()s in ledger) has a
 * member of another executable, socket uid or cgroup.  Nothing otherwise.
 */
void ownership_check(struct ownership *o, struct holders *h, const struct ledger *ledger,
		     const struct bw_event *ev, const struct timespec *wall);

#endif /* BW_OWNERSHIP_H */
