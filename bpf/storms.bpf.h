/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * storms.bpf.h - the storm table: identical failures counted, not each
 * recorded.
 *
 * A crash-looping service can fail bind() hundreds of thousands of times
 * a second.  Identical failures (struct bw_storm_key: the same process,
 * call and outcome on the same socket, every option included, so that a
 * record stands only for calls it describes) are counted in the "storms"
 * map: the first goes out at once, later ones only add to a count, and the
 * first failure after window_ns sends one record standing for all of them
 * (bw_event.count).  Failures after a storm's last record are sent by the
 * flusher (flush.bpf.h), which userspace runs once per window; it also
 * retires a storm idle for a window, whether or not its process lives on.
 * Loss is counted in failures, not records, so the counts plus the loss
 * add up to the failures exactly.
 *
 * Bounds: a process failing on more than BW_STORM_ADDRESSES addresses of
 * one port gets one storm for the port; each uid may hold storm_quota
 * entries of the table (its share in uids.bpf.h), all uids storms_max
 * together, and beyond, a uid's failures count into one aggregate of its
 * own, which always has room.
 *
 * Must not: build or send a record (it says how many failures the record
 * sent now stands for, emit.bpf.h sends it), nor delete a storm: only the
 * flusher retires one, so that every failure counted is sent once.
 */
#ifndef BW_STORMS_BPF_H
#define BW_STORMS_BPF_H

#include "capture.bpf.h"
#include "uids.bpf.h"

/* Set by the loader between open and load. */
const volatile __u64 window_ns = 0;               /* storm window, 0: none */
const volatile __u32 storms_max = 0;              /* storms of all uids, own aggregates aside */
const volatile __u32 storm_quota = 0;             /* storms of one uid, its own aggregate aside */

__u64 storms_live = 0; /* entries of "storms" that count against storms_max */

/*
 * Failures being aggregated, one entry per storm (struct bw_storm_key).
 * Sized by the loader to storms_max plus one aggregate per entry of "uids".
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct bw_storm_key);
	__type(value, struct bw_storm);
} storms SEC(".maps");

/*
 * Take what storm s counted since its last record, if its window is over at
 * now (or if force): one caller per window wins the compare-and-swap on
 * last_ns, and the count is taken with a compare-and-swap to 0, so each
 * failure goes into exactly one record and a retired storm stays retired.
 * 0 when there is nothing to send (what a lost race leaves is taken later).
 */
static __always_inline __u64 take_count(struct bw_storm *s, __u64 now, bool force)
{
	__u64 last = s->last_ns, n;
	int i;

	if (!force && (__s64)(now - last) < (__s64)window_ns)
		return 0;
	if (__sync_val_compare_and_swap(&s->last_ns, last, now) != last)
		return 0;
	for (i = 0; i < CAS_TRIES; i++) {
		n = *(volatile __u64 *)&s->count;
		if (!n || n & BW_STORM_RETIRED)
			return 0;
		if (__sync_val_compare_and_swap(&s->count, n, 0) == n)
			return n;
	}
	return 0;
}

/* Count one failure at now into s: what a record sent now stands for (0: none yet); -1 if s is retired. */
static __always_inline long count_into(struct bw_storm *s, __u64 now)
{
	if (__sync_fetch_and_add(&s->count, 1) & BW_STORM_RETIRED)
		return -1;
	return take_count(s, now, false);
}

/*
 * Start storm k with the failure in cur: true once it is in the table.  A
 * storm of scope address or port takes one of u's storm_quota entries and
 * one of the storms_max shared by all uids; the uid's own aggregate takes
 * neither (the table has room for one per uid).
 */
static __always_inline bool start_storm(struct bw_storm *cur, const struct bw_storm_key *k,
					struct bw_uid *u)
{
	bool shared = k->scope != BW_SCOPE_UID;

	if (shared) {
		if (__sync_fetch_and_add(&u->storms, 1) >= storm_quota)
			goto undo_uid;
		if (__sync_fetch_and_add(&storms_live, 1) >= storms_max)
			goto undo_live;
	}
	cur->count = 0;
	cur->last_ns = cur->tmpl.ts_ns;
	cur->addresses = 1;
	cur->tmpl.scope = k->scope;
	if (!bpf_map_update_elem(&storms, k, cur, BPF_NOEXIST))
		return true;
	/* another CPU started it a moment ago */
	if (!shared)
		return false;
undo_live:
	__sync_fetch_and_add(&storms_live, -1);
undo_uid:
	__sync_fetch_and_add(&u->storms, -1);
	return false;
}

/*
 * A failure on an address its process has no storm for: counted into the
 * process's storm of the port (>= 0: what to send now) once it has failed
 * on BW_STORM_ADDRESSES addresses of it, else -1, the address noted.
 */
static __always_inline long port_storm(struct bw_storm *cur, struct bw_uid *u)
{
	struct bw_storm_key k;
	struct bw_storm *p;

	bw_storm_key_of(&k, &cur->tmpl, BW_SCOPE_PORT);
	p = bpf_map_lookup_elem(&storms, &k);
	if (!p) {
		start_storm(cur, &k, u); /* sends nothing: counts addresses */
		return -1;
	}
	if (__sync_fetch_and_add(&p->addresses, 1) < BW_STORM_ADDRESSES)
		return -1;
	return count_into(p, cur->tmpl.ts_ns);
}

/* Count the failure into its uid's own aggregate: what to send now. */
static __always_inline __u64 uid_storm(struct bw_storm *cur, struct bw_uid *u)
{
	struct bw_storm_key k;
	struct bw_storm *s;
	long n;

	bw_storm_key_of(&k, &cur->tmpl, BW_SCOPE_UID);
	if (start_storm(cur, &k, u))
		return 1;
	s = bpf_map_lookup_elem(&storms, &k);
	if (s && (n = count_into(s, cur->tmpl.ts_ns)) >= 0)
		return n;
	/* its aggregate is being retired this instant: a record of its own */
	cur->tmpl.scope = BW_SCOPE_ADDRESS;
	return 1;
}

/*
 * Account the failure in cur->tmpl, which has no storm of its address (ka,
 * looked up by emit()), to its storm, setting cur->tmpl.scope to the storm's.  Returns how many failures a record sent now must stand for:
 * 1 for a storm's first failure, everything counted since the storm's last
 * record for the first failure after a window has passed, 0 inside the
 * window.  A failure on an address the process has no storm for starts
 * one, unless the process already failed on BW_STORM_ADDRESSES addresses
 * of that port (then it counts into the storm of the port) or its uid has
 * used up its share of the table (then into the uid's own aggregate).
 *
 * Exactness: every failure is added to exactly one count, and a count is
 * taken only by a compare-and-swap to 0 by whoever then sends it, the
 * capture programs here or flush_storm(); the compare-and-swap on last_ns
 * lets one of them per window do so.  flush_storm() retires an idle storm
 * by a compare-and-swap of its count from 0 to BW_STORM_RETIRED, and only
 * then deletes it: an add that lands after that sees the mark in the value
 * its fetch-and-add returns, and that failure goes elsewhere (a new storm,
 * or a record of its own), so nothing counted in a retired entry is ever
 * owed.  One window is left, and it needs a storm idle for a whole window
 * to fail again at the very instant it is retired: the kernel may reuse a
 * deleted hash element at once, so a capture that looked the entry up just
 * before the mark, and was then held up between its lookup and its add
 * until the entry was deleted and its memory reused by a new storm, would
 * count into that new storm.  Capture programs on syscall tracepoints run
 * with preemption off, so there the hold-up is an interrupt's length.
 *
 * u is the uid's entry, held (uid_hold()): what start_storm() counts in it
 * cannot land in an entry flush_uid() deletes.
 */
static __always_inline __u64 storm_join(struct bw_storm *cur, const struct bw_storm_key *ka,
					struct bw_uid *u)
{
	struct bw_event *e = &cur->tmpl;
	struct bw_storm *s;
	long n;

	/* emit() found no storm of the address (or a retired one): a new one */
	n = port_storm(cur, u);
	if (n >= 0) {
		e->scope = BW_SCOPE_PORT;
		return n;
	}
	if (start_storm(cur, ka, u)) {
		e->scope = BW_SCOPE_ADDRESS;
		return 1;
	}
	s = bpf_map_lookup_elem(&storms, ka); /* started by another CPU meanwhile? */
	if (s && (n = count_into(s, e->ts_ns)) >= 0) {
		e->scope = BW_SCOPE_ADDRESS;
		return n;
	}
	return uid_storm(cur, u);
}

/* storm_join() with the failure's uid entry held. */
static __always_inline __u64 storm_count(struct bw_storm *cur, const struct bw_storm_key *ka)
{
	__u32 uid = cur->tmpl.uid;
	struct bw_uid *u = uid_state(uid);
	__u64 n;

	/* no uid to charge it to (or its entry is being deleted): a record of its own */
	if (!u || !uid_hold(u, uid))
		return 1;
	n = storm_join(cur, ka, u);
	uid_release(u);
	return n;
}

#endif /* BW_STORMS_BPF_H */
