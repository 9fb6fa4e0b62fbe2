/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uids.bpf.h - each uid's share of what the capture programs keep, so that
 * one user cannot flood the log or blind the accounting of others: its
 * entries in the storm table (storm_quota, storms.bpf.h), its record
 * budgets (ratelimit.bpf.h), and the failures its budget held back or the
 * ring had no room for, which the flusher sends as a suppressed or a lost
 * record of that uid (flush.bpf.h).
 *
 * An entry is made on first use and deleted once it holds nothing (prune(),
 * flush.bpf.h), so the table is never full of uids long gone.  The kernel
 * may reuse a deleted entry's memory at once, while a capture program
 * still holds a pointer to it: whatever is counted in an entry is counted
 * under a hold on it (uid_hold()), which fails once the entry is no longer
 * that uid's live one.
 *
 * Must not: count in an entry without a hold (only a budget, a tat field,
 * is moved without one), nor delete an entry: only the flusher does,
 * behind a retired gate.
 */
#ifndef BW_UIDS_BPF_H
#define BW_UIDS_BPF_H

#include "capture.bpf.h"

/* One uid's share: its storms, its rate limit, what the limit held back, what was lost. */
struct bw_uid {
	__u64 gate;       /* the uid, and the holds on the entry: see uid_hold() */
	__u64 storms;     /* its entries in "storms", its own aggregate aside */
	__u64 tat;        /* rate limit: GCRA's theoretical arrival time, CLOCK_MONOTONIC */
	__u64 suppressed; /* failures held back since its last suppressed record */
	__u64 since_ns;   /* when the first of them was held back */
	__u64 lost;       /* its records the ring had no room for, in failures, since its last lost record */
	__u64 ledger_tat; /* the same as tat for successful bind()s sent for the ledger */
	__u64 watch_tat;  /* the same for watched successful calls (bw_request.watch) */
};

/*
 * The gate of an entry (bw_uid.gate): its uid in the upper half, and in the
 * lower the holds taken on it (uid_hold()) or UID_RETIRED while
 * flush_uid() deletes it.
 */
#define UID_RETIRED (1ULL << 31)

/*
 * Entries are deleted once idle (see prune()), so that one user cycling
 * through many uids does not keep the table full for good.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* resized by the loader */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u32);
	__type(value, struct bw_uid);
} uids SEC(".maps");

static __always_inline __u64 uid_gate(__u32 uid)
{
	return (__u64)uid << 32;
}

/*
 * uid's share, created on first use; NULL when "uids" is full.  What is
 * only a limit (the tat fields) may be read and moved through it as is;
 * what is counted (storms, suppressed, lost) only under uid_hold().
 */
static __always_inline struct bw_uid *uid_state(__u32 uid)
{
	struct bw_uid *u = bpf_map_lookup_elem(&uids, &uid), fresh = { .gate = uid_gate(uid) };

	if (u)
		return u;
	bpf_map_update_elem(&uids, &uid, &fresh, BPF_NOEXIST);
	return bpf_map_lookup_elem(&uids, &uid);
}

/*
 * Take a hold on u, looked up as uid's entry, so that flush_uid() cannot
 * delete it while something is counted in it: false if it is being
 * deleted, or if it is no longer uid's.  The kernel may give a deleted
 * element's memory to the next entry created at once (the hash's memory
 * allocator reuses it on the same CPU, without waiting for readers), so a
 * pointer looked up a moment ago may now be another uid's entry, or a
 * deleted one: the hold is a compare-and-swap of the gate that succeeds
 * only while the gate still names uid and is not retired, so nothing is
 * ever written to an entry that is not uid's live one.  (A gate read while
 * a reused element is being filled could, in principle, be torn; that
 * needs this program stalled from its lookup through a whole flush and
 * the creation of another entry on another CPU.)
 */
static __always_inline bool uid_hold(struct bw_uid *u, __u32 uid)
{
	__u64 g;
	int i;

	for (i = 0; i < CAS_TRIES; i++) {
		g = *(volatile __u64 *)&u->gate;
		if (g >> 32 != uid || g & UID_RETIRED)
			return false;
		if (__sync_val_compare_and_swap(&u->gate, g, g + 1) == g)
			return true;
	}
	return false; /* other holders keep beating us to it */
}

static __always_inline void uid_release(struct bw_uid *u)
{
	__sync_fetch_and_add(&u->gate, -1);
}

/*
 * Count n failures (or watched successes) of uid as lost: in uid's entry,
 * which flush_uid() reports in a lost record of uid; in "stats", of no
 * uid, when uid has none.  A function of its own (a global one, verified
 * once), not inlined: it is called from many places, and only when the
 * ring is full.  Not from the entry programs, whose stack has no room
 * left for its frame (the verifier of 6.1 counts 544 bytes): a request
 * they have no room to park counts in BW_STAT_NOSLOT, of no uid.
 */
__noinline int lose_uid(__u32 uid, __u64 n)
{
	struct bw_uid *u = uid_state(uid);

	if (u && uid_hold(u, uid)) {
		__sync_fetch_and_add(&u->lost, n);
		uid_release(u);
		return 0;
	}
	stat_add(BW_STAT_LOST, n);
	return 0;
}

#endif /* BW_UIDS_BPF_H */
