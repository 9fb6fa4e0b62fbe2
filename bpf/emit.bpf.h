/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * emit.bpf.h - send a call's record to userspace through the ring buffer
 * ("events"): at once, or through the call's storm, within its uid's
 * budget.
 *
 * Records are submitted without waking userspace each time (see
 * wakeup_flags()): one wakeup per record costs several microseconds per
 * failing bind() in a storm.  Userspace also polls with a timeout, so a
 * record never waits longer than that.  A record the ring has no room for
 * is counted as lost, of its uid (uids.bpf.h) or, with none, in "stats":
 * never dropped silently.
 *
 * Must not: read the socket (the request is complete when it comes here),
 * nor wake userspace for every record.
 */
#ifndef BW_EMIT_BPF_H
#define BW_EMIT_BPF_H

#include "capture.bpf.h"
#include "filters.bpf.h"
#include "uids.bpf.h"
#include "ratelimit.bpf.h"
#include "storms.bpf.h"
#include "record.bpf.h"

#define SCRATCH_LEVELS 4  /* records built at once on one CPU */

/* Set by the loader between open and load. */
const volatile __u64 wakeup_interval_ns = 0;
const volatile __u64 wakeup_bytes = 0;

__u64 last_wakeup_ns = 0;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22); /* resized by the loader */
} events SEC(".maps");

/*
 * Where each CPU builds a record (too big for the stack), as a storm entry,
 * and its storm key, which is alive while the record is read and so would
 * add its 64 bytes to the deepest point of the fexit programs' frame (at
 * the verifier's 512 on 6.1): one per nesting level, since fexit programs
 * run preemptible and another task's call may run one on this CPU while
 * the first is half done.
 */
struct scratch_slot {
	struct bw_storm storm;
	struct bw_storm_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SCRATCH_LEVELS);
	__type(key, __u32);
	__type(value, struct scratch_slot);
} scratch SEC(".maps");

/* This CPU's scratch level in use. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} nesting SEC(".maps");

/*
 * How a record queued at now is submitted: without waking userspace,
 * unless the last wakeup is older than wakeup_interval_ns or the ring is
 * filling up.
 */
static __always_inline __u64 wakeup_flags(__u64 now)
{
	if (now - last_wakeup_ns >= wakeup_interval_ns ||
	    bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA) >= wakeup_bytes) {
		last_wakeup_ns = now;
		return BPF_RB_FORCE_WAKEUP;
	}
	return BPF_RB_NO_WAKEUP;
}

/*
 * Count a record of uid's n failures (or one success) that the ring had no
 * room for.  A successful bind() sent only for userspace's ledger is no
 * record: its loss costs a "bound_by", not a count.
 */
static __always_inline void lose(__u32 uid, long ret, __u64 n, bool watched)
{
	if (ret < 0 || watched || report & BW_REPORT_SUCCESS)
		lose_uid(uid, n);
}

/* Queue e, built in map memory (a storm's record). */
static __always_inline void send(struct bw_event *e, bool watched)
{
	if (bpf_ringbuf_output(&events, e, sizeof(*e), wakeup_flags(e->ts_ns)))
		lose(e->uid, e->ret, e->count, watched);
}

/*
 * The record of req's call with outcome ret, in e: from the calling task,
 * or a copy of built, the record the cgroup flavour took at the call
 * (when the outcome is known later, maybe in another task), with its
 * outcome.  Head only (fill_head()) for now: fill_rest() adds the rest
 * of a record not built.
 */
static __always_inline void fill_from(struct bw_event *e, const struct bw_request *req,
				      const struct bw_event *built, long ret, __u8 mode, __u64 now)
{
	if (!built) {
		fill_head(e, req, ret, mode, now);
		return;
	}
	__builtin_memcpy(e, built, sizeof(*e));
	e->ret = ret;
}

/*
 * A record of one call, built where it goes, in the ring: a success, or a
 * failure without storms (--window 0).
 */
static __always_inline void emit_one(const struct bw_request *req, const struct sock *sk,
				     const struct bw_event *built,
				     long ret, __u8 mode, __u64 now)
{
	__u32 uid = built ? built->uid : bpf_get_current_uid_gid();
	struct bw_event *e;

	if (ret < 0 && !admit(uid, 1, now))
		return;
	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		lose(uid, ret, 1, req->watch & REQ_WATCHED);
		return;
	}
	fill_from(e, req, built, ret, mode, now);
	if (!built)
		fill_rest(e, sk);
	bpf_ringbuf_submit(e, wakeup_flags(now));
}

/*
 * A failure with storms on (--window): one inside a storm's window is found
 * from the record's head (the storm key) and only counted, before the
 * costly part of the record (fill_rest) is read.  The record is built in
 * this CPU's scratch, since a storm's first one is also kept as its
 * template.
 */
static __always_inline void emit_storm(const struct bw_request *req, const struct sock *sk,
				       const struct bw_event *built,
				       long ret, __u8 mode, __u64 now)
{
	__u32 zero = 0, level;
	__u32 *nest = bpf_map_lookup_elem(&nesting, &zero);
	struct scratch_slot *slot;
	struct bw_storm_key *k;
	struct bw_storm *cur, *s;
	struct bw_event *e;
	long n;

	if (!nest)
		return;
	level = *nest;
	slot = bpf_map_lookup_elem(&scratch, &level);
	if (!slot) { /* nested deeper than SCRATCH_LEVELS */
		lose_uid(built ? built->uid : bpf_get_current_uid_gid(), 1);
		return;
	}
	*nest = level + 1;
	cur = &slot->storm;
	k = &slot->key;
	e = &cur->tmpl;
	fill_from(e, req, built, ret, mode, now);
	bw_storm_key_of(k, e, BW_SCOPE_ADDRESS);
	s = bpf_map_lookup_elem(&storms, k);
	n = s ? count_into(s, now) : -1;
	if (!n)
		goto out; /* counted: inside the storm's window */
	if (n > 0) {
		/* the first failure after the window: stands for n */
		e->count = n;
		if (admit(e->uid, n, now)) {
			if (!built)
				fill_rest(e, sk);
			send(e, req->watch & REQ_WATCHED);
		}
		goto out;
	}
	/* no storm, or a retired one: start one with the whole record */
	if (!built)
		fill_rest(e, sk);
	e->count = storm_count(cur, k);
	if (e->count && admit(e->uid, e->count, now))
		send(e, req->watch & REQ_WATCHED);
out:
	*nest = level;
}

/*
 * Send the record of req's call on socket sk (only probe-read, for its
 * port's owners) with outcome ret at now, made from the calling task or
 * from built (fill_from()).  sk is not in the request: the fexit
 * programs' frame, where a request is built, has no 8 bytes to spare (the
 * verifier of 6.1 counts 512 with lose_uid's).  Successes go out as
 * success_admit() says, asked before anything is looked up or read, so
 * one past the ledger's budget costs nothing more.
 */
static __always_inline void emit_from(const struct bw_request *req, const struct sock *sk,
				      const struct bw_event *built, long ret, __u8 mode, __u64 now)
{
	__u32 uid = built ? built->uid : bpf_get_current_uid_gid();

	/* --all's successes are asked for: the ledger's and watched ones are limited */
	if (ret >= 0) {
		if (success_admit(req, uid, now))
			emit_one(req, sk, built, ret, mode, now);
	} else if (window_ns) {
		emit_storm(req, sk, built, ret, mode, now);
	} else {
		emit_one(req, sk, built, ret, mode, now);
	}
}

/* Make a record of req, made on socket sk, its outcome ret and the calling task; send it. */
static __always_inline void emit(const struct bw_request *req, const struct sock *sk, long ret,
				 __u8 mode)
{
	emit_from(req, sk, NULL, ret, mode, bpf_ktime_get_ns());
}

/*
 * Send built, a record taken at its call, now that its outcome ret is
 * known; its storm and rate limit count it at the call's time.
 */
static __always_inline void emit_built(const struct bw_request *req, const struct bw_event *built,
				       long ret)
{
	emit_from(req, NULL, built, ret, built->mode, built->ts_ns);
}

#endif /* BW_EMIT_BPF_H */
