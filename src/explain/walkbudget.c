// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * walkbudget.c - the full holder walks a uid's conflicts may cost.
 *
 * A holder is named cheaply when the ledger knows who bound its socket
 * (diagnose.c); otherwise every descriptor table on the host is walked,
 * which costs in proportion to everyone's open files.  Any user can make
 * conflicts all day on sockets no ledger knows, so each requester uid
 * has a bucket: WALK_BUDGET_BURST walks at once, refilled at
 * WALK_BUDGET_RATE a second.  One user's conflicts then cost the monitor
 * a bounded share of a CPU, and never another uid's walks.
 *
 * A walk's findings are kept as hints (a socket, where it is bound, and a
 * process holding it, WALK_HINTS of them in a ring): the next conflict on
 * the same port walks that process alone, as for a socket the ledger knows.  Only
 * budgeted walks add hints, at most DIAG_MAX_HOLDERS each, so one user
 * pushes out others' hints at the pace of its budget.
 *
 * It owns that accounting; it must not walk, or know what a walk is.
 * Pure: no clock of its own (the caller passes the time), unit-tested.
 *
 * The table holds WALK_BUDGET_UIDS uids; a new one takes the place of
 * one whose bucket is full again, which is the same as forgetting it, or,
 * when none is, of the one fullest: a user with many uids gets at most a
 * fresh bucket per uid, what it would have anyway.
 */
#include <string.h>
#include "util.h"
#include "walkbudget.h"

#define WALK_NS (NSEC_PER_SEC / WALK_BUDGET_RATE)
#define FULL_NS (WALK_BUDGET_BURST * WALK_NS)

/* b's bucket for uid at now_ns, refilled; a new full one if uid had none. */
static struct walk_bucket *bucket(struct walk_budget *b, __u32 uid, uint64_t now_ns)
{
	struct walk_bucket *k, *fullest = NULL;
	size_t i;

	for (i = 0; i < b->n; i++) {
		k = &b->v[i];
		if (now_ns > k->last_ns) {
			k->credit_ns += now_ns - k->last_ns;
			if (k->credit_ns > FULL_NS)
				k->credit_ns = FULL_NS;
			k->last_ns = now_ns;
		}
		if (k->uid == uid)
			return k;
		if (!fullest || k->credit_ns > fullest->credit_ns)
			fullest = k;
	}
	k = b->n < WALK_BUDGET_UIDS ? &b->v[b->n++] : fullest;
	k->uid = uid;
	k->credit_ns = FULL_NS;
	k->last_ns = now_ns;
	return k;
}

bool walk_budget_take(struct walk_budget *b, __u32 uid, uint64_t now_ns)
{
	struct walk_bucket *k = bucket(b, uid, now_ns);

	if (k->credit_ns < WALK_NS)
		return false;
	k->credit_ns -= WALK_NS;
	return true;
}

void walk_hint_add(struct walk_budget *b, const struct bw_holder *h)
{
	struct walk_hint *k = &b->hints[b->next_hint];

	k->ino = h->ino;
	k->pid = h->pid;
	k->sock = h->sock;
	b->next_hint = (b->next_hint + 1) % WALK_HINTS;
}
