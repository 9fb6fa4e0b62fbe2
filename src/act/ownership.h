/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ownership.h - the two judgements on a successful call: an unexpected
 * owner of an expected port, and a SO_REUSEPORT group joined by another
 * program, user or cgroup.
 */
#ifndef BW_OWNERSHIP_H
#define BW_OWNERSHIP_H

#include "event.h"
#include "holders.h"
#include "policy.h"

/*
 * The first expect rule of p naming ev's port and protocol when ev's caller
 * (of which /proc said pi) meets the owner of none of them, with why in m;
 * NULL when the caller is an expected owner, or nothing names the port.
 */
const struct policy_rule *ownership_expect_miss(const struct policy *p, const struct bw_event *ev,
						const struct proc_info *pi, struct policy_miss *m);

/*
 * The other members of the SO_REUSEPORT group the successful bind() ev
 * joined, enriched, into d, when one of them differs from the caller (pi)
 * in executable, socket uid or cgroup; d is left empty otherwise (no group,
 * or only instances of the caller's own program).  0 or -errno; free d
 * with diagnosis_free().
 */
int ownership_reuseport_join(struct holders *h, const struct ledger *ledger,
			     const struct bw_event *ev, const struct proc_info *pi,
			     struct diagnosis *d);

#endif /* BW_OWNERSHIP_H */
