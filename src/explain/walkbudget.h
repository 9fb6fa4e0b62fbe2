/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * walkbudget.h - how many full holder walks each requester uid's
 * conflicts may cost (a token bucket per uid), and which process the
 * last walks found holding each socket, so that the next conflict on it
 * needs none.
 */
#ifndef BW_WALKBUDGET_H
#define BW_WALKBUDGET_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "bindwatch.h"

#define WALK_BUDGET_RATE 1   /* full walks a second, per uid */
#define WALK_BUDGET_BURST 20 /* at once, per uid */
#define WALK_BUDGET_UIDS 64  /* uids tracked; a full bucket is forgotten first */
#define WALK_HINTS 1024      /* sockets whose holder a walk found, the oldest forgotten */

struct walk_bucket {
	__u32 uid;
	uint64_t credit_ns;  /* walks left, in ns of refill: WALK_NS each */
	uint64_t last_ns;    /* when credit_ns was last brought up to date */
};

struct walk_hint {
	__u64 ino;           /* a socket */
	__u32 pid;           /* a process a walk found holding it */
	struct bw_sock sock; /* where it is bound */
};

struct walk_budget {
	struct walk_bucket v[WALK_BUDGET_UIDS];
	size_t n;
	struct walk_hint hints[WALK_HINTS];
	size_t next_hint;    /* slot the next hint goes to */
};

/*
 * Take one full walk from uid's budget at now_ns (CLOCK_MONOTONIC):
 * true when it had one left.
 */
bool walk_budget_take(struct walk_budget *b, __u32 uid, uint64_t now_ns);

/* Remember that a walk found h (a process holding a socket). */
void walk_hint_add(struct walk_budget *b, const struct bw_holder *h);

#endif /* BW_WALKBUDGET_H */
