/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * flush.bpf.h - the flusher's two walks, of the storm table (flush_storm())
 * and of the uids (flush_uid()), for flush_storms in bindwatch.bpf.c: a
 * program userspace runs once per window, never a hook.
 *
 * Must not: delete a storm or a uid's entry that a capture program may
 * still count in.  A storm is retired first (its count marked
 * BW_STORM_RETIRED, see storm_join()), an entry's gate first (UID_RETIRED,
 * see uid_hold()), so that a capture that comes after counts elsewhere.
 */
#ifndef BW_FLUSH_BPF_H
#define BW_FLUSH_BPF_H

#include "capture.bpf.h"
#include "uids.bpf.h"
#include "ratelimit.bpf.h"
#include "storms.bpf.h"
#include "emit.bpf.h"

struct flush_ctx {
	__u64 now;
	__u32 all;
};

/* Delete storm k, marked retired; give its entry back to its uid's share. */
static __always_inline void forget(const struct bw_storm_key *k)
{
	__u32 uid = k->uid;
	bool shared = k->scope != BW_SCOPE_UID;
	struct bw_uid *u;

	if (bpf_map_delete_elem(&storms, k) || !shared)
		return;
	__sync_fetch_and_add(&storms_live, -1);
	u = bpf_map_lookup_elem(&uids, &uid);
	if (u)
		__sync_fetch_and_add(&u->storms, -1);
}

/*
 * Send what storm s counted since its last record, if its window is over;
 * retire it if nothing failed for a whole window since then.
 */
static long flush_storm(struct bpf_map *map, struct bw_storm_key *k,
			struct bw_storm *s, struct flush_ctx *c)
{
	struct bw_event *e;
	__u64 n = s->count;

	if (n & BW_STORM_RETIRED) { /* a delete that failed: try again */
		forget(k);
		return 0;
	}
	if (!n) {
		if (!c->all && (__s64)(c->now - s->last_ns) >= (__s64)window_ns &&
		    !__sync_val_compare_and_swap(&s->count, 0, BW_STORM_RETIRED))
			forget(k);
		return 0;
	}
	n = take_count(s, c->now, c->all);
	if (!n || !admit(k->uid, n, c->now))
		return 0;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		lose_uid(k->uid, n);
		return 0;
	}
	__builtin_memcpy(e, &s->tmpl, sizeof(*e));
	e->count = n;
	e->ts_ns = c->now;
	/* userspace, which runs this program, drains the ring right after */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * Queue a record of kind (BW_EVENT_SUPPRESSED, BW_EVENT_LOST) of uid's n
 * failures, the first at since (0: not said): 0, or -1 when the ring has
 * no room for it.
 */
static __always_inline int owe(__u8 kind, __u32 uid, __u64 n, __u64 since, __u64 now)
{
	struct bw_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);

	if (!e)
		return -1;
	__builtin_memset(e, 0, sizeof(*e));
	e->version = BW_ABI_VERSION;
	e->kind = kind;
	e->uid = uid;
	e->count = n;
	e->ts_ns = now;
	e->since_ns = since;
	/* userspace, which runs this program, drains the ring right after */
	bpf_ringbuf_submit(e, BPF_RB_NO_WAKEUP);
	return 0;
}

/*
 * Whether uid's entry u holds nothing a fresh one would not: no storm of
 * its share, nor its own aggregate; nothing owed; every budget full again.
 */
static __always_inline bool uid_idle(__u32 uid, const struct bw_uid *u, __u64 now)
{
	struct bw_storm_key k;

	if (u->storms || u->suppressed || u->lost || (__s64)(u->tat - now) > 0 ||
	    (__s64)(u->ledger_tat - now) > 0 || (__s64)(u->watch_tat - now) > 0)
		return false;
	/* the key of its aggregate, as bw_storm_key_of() makes it */
	__builtin_memset(&k, 0, sizeof(k));
	k.uid = uid;
	k.scope = BW_SCOPE_UID;
	return !bpf_map_lookup_elem(&storms, &k);
}

/*
 * Delete uid's entry u if it is idle, so that the table holds the uids at
 * work, not every uid ever seen.  A capture may be about to count in it
 * (it looked the entry up a moment ago): the gate is retired only while
 * nobody holds it, and a hold asked for after that fails, so that capture
 * counts elsewhere (see uid_hold()); what a hold counted and gave back
 * between the first look and the retirement is seen by the second look,
 * which then keeps the entry.  So no count is ever lost with an entry.  A
 * capture that only moves a budget (the tat fields) takes no hold: one
 * that does so just as the entry goes lets its uid start again with a full
 * budget, one record early.
 */
static __always_inline void prune(__u32 uid, struct bw_uid *u, __u64 now)
{
	__u64 live = uid_gate(uid);

	if (!uid_idle(uid, u, now) ||
	    __sync_val_compare_and_swap(&u->gate, live, live | UID_RETIRED) != live)
		return;
	if (uid_idle(uid, u, now) && !bpf_map_delete_elem(&uids, &uid))
		return;
	/* busy again: no hold writes a retired gate, so it is ours to reopen */
	u->gate = live;
}

/*
 * Send the records uid is owed, of the failures its rate limit held back
 * and of those the ring had no room for; then delete its entry if idle.
 * A record the ring has no room for is owed again at the next window; at
 * the last flush (all), suppressed failures then count as lost, and lost
 * ones as lost of no uid ("stats" needs no ring).
 */
static long flush_uid(struct bpf_map *map, __u32 *uid, struct bw_uid *u, struct flush_ctx *c)
{
	__u64 n = u->suppressed ? __sync_lock_test_and_set(&u->suppressed, 0) : 0;

	if (n && owe(BW_EVENT_SUPPRESSED, *uid, n, u->since_ns, c->now))
		__sync_fetch_and_add(c->all ? &u->lost : &u->suppressed, n);
	n = u->lost ? __sync_lock_test_and_set(&u->lost, 0) : 0;
	if (n && owe(BW_EVENT_LOST, *uid, n, 0, c->now)) {
		if (c->all)
			stat_add(BW_STAT_LOST, n);
		else
			__sync_fetch_and_add(&u->lost, n);
	}
	prune(*uid, u, c->now);
	return 0;
}

#endif /* BW_FLUSH_BPF_H */
