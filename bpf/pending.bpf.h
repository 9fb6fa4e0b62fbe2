/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * pending.bpf.h - the cgroup flavour's calls whose outcome is not known
 * yet.  cgroup/bind4 and bind6 run before the kernel looks at the port,
 * and no hook runs when get_port() refuses it: a bind() the rules
 * (bindrules.bpf.h) cannot decide is kept here, by socket cookie, with its
 * whole record taken in the caller's context (its argv is readable then,
 * not after its exit), until the call is known to be over:
 *
 *   post_bind4/6      the port was granted: a success;
 *   bind4/6 again     the same socket's next bind(): the last one failed;
 *   listen()          (inet_sock_set_state to TCP_LISTEN): the same;
 *   sock_release      the socket is closed (or its owner exited): the same;
 *   the sweep         run by userspace while something is pending: a
 *                     request older than SETTLE_NS whose socket is still
 *                     unbound and unlocked failed.
 *
 * A listen() is kept the same way from its TCP_CLOSE -> TCP_LISTEN
 * (inet_csk_listen_start(), before get_port()); TCP_LISTEN -> TCP_CLOSE
 * while it is kept is get_port() refusing it, in the same call; the
 * socket's release or the sweep finding it listening is its success.
 *
 * Each request is taken once: whoever wins the compare-and-swap on its
 * claim decides it and deletes it.  The table is bounded (PENDING_MAX);
 * a request it has no room for counts in BW_STAT_NOSLOT, as a parked one
 * does in the tracepoint flavour.
 *
 * Must not: decide a request its socket's call may still be in (the
 * sweep leaves a locked or young one), nor read the task when deciding:
 * the decision may come in another task's context.
 */
#ifndef BW_PENDING_BPF_H
#define BW_PENDING_BPF_H

#include "capture.bpf.h"
#include "filters.bpf.h"
#include "emit.bpf.h"
#include "bindrules.bpf.h"

#define PENDING_MAX 8192          /* calls of the cgroup flavour undecided at once */
#define SETTLE_NS (20 * 1000000ULL) /* a call not over after this is one the sweep may decide */
#define BW_TCP_LISTEN 10          /* include/net/tcp_states.h */

/* A call kept until its outcome is known. */
struct pending {
	struct bw_request req;
	struct bw_event rec; /* taken at the call, with ret -EADDRINUSE */
	__u64 sk;            /* the socket's address, for the sweep's look at it */
	__u64 cookie;        /* its key: a deleted entry's memory may be reused at once */
	__u32 claim;         /* 0 while pending; 1 once taken by whoever decides it */
	__u32 __pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, PENDING_MAX);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, __u64); /* socket cookie */
	__type(value, struct pending);
} pending SEC(".maps");

/* A zeroed request, copied in as a new entry is made: a struct pending outgrows the stack. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pending);
} pending_blank SEC(".maps");

__u64 pending_n = 0; /* entries of "pending": userspace sweeps while it is not 0 */

/* What is known of a kept call when it is decided (settle()). */
enum settle_why {
	SETTLE_SUCCESS, /* the port was granted (post_bind), the socket listens */
	SETTLE_FAILED,  /* the call is over without it */
};

/*
 * Take p (whose key is cookie) if nobody has: then decide it as why says
 * and delete it.  Not inlined, as keep() is not: a subprogram's stack is
 * its own, and the cgroup programs' would outgrow the limit with both.
 */
static __noinline int settle_entry(__u64 cookie, struct pending *p, enum settle_why why)
{
	long ret = why == SETTLE_SUCCESS ? 0 : -EADDRINUSE;

	if (__sync_val_compare_and_swap(&p->claim, 0, 1))
		return 0;
	/* found before another decided and deleted it, and reused for another socket: not ours */
	if (p->cookie != cookie) {
		p->claim = 0;
		return 0;
	}
	if (request_wanted(&p->req, ret))
		emit_built(&p->req, &p->rec, ret);
	if (!bpf_map_delete_elem(&pending, &cookie))
		__sync_fetch_and_add(&pending_n, -1);
	return 0;
}

/* Decide the call kept for the socket of cookie, if any, as why says. */
static __always_inline void settle(__u64 cookie, enum settle_why why)
{
	struct pending *p;

	if (!*(volatile __u64 *)&pending_n)
		return;
	p = bpf_map_lookup_elem(&pending, &cookie);
	if (p)
		settle_entry(cookie, p, why);
}

/*
 * Keep req, a call on socket sk (a plain address) whose outcome the
 * rules left open, with its record taken now from the calling task.
 */
static __noinline int keep(__u64 cookie, const struct bw_request *req, __u64 sk)
{
	__u32 zero = 0;
	struct pending *blank = bpf_map_lookup_elem(&pending_blank, &zero), *p;

	if (!blank || bpf_map_update_elem(&pending, &cookie, blank, BPF_NOEXIST)) {
		stat_add(BW_STAT_NOSLOT, 1);
		return 0;
	}
	p = bpf_map_lookup_elem(&pending, &cookie);
	if (!p)
		return 0;
	p->req = *req;
	p->sk = sk;
	p->cookie = cookie;
	fill_head(&p->rec, req, -EADDRINUSE, BW_MODE_CGROUP, bpf_ktime_get_ns());
	fill_rest(&p->rec, (const struct sock *)sk);
	__sync_fetch_and_add(&pending_n, 1);
	return 0;
}

/*
 * The sweep's walk: decide what has been kept longer than SETTLE_NS and
 * whose call is over; delete what was decided but not deleted (a delete
 * the hash refused, busy on that CPU).
 */
static long sweep_one(struct bpf_map *map, __u64 *cookie, struct pending *p, __u64 *now)
{
	const struct sock *sk = (const void *)p->sk;

	if (*now - p->rec.ts_ns < SETTLE_NS)
		return 0;
	if (p->claim) {
		if (!bpf_map_delete_elem(&pending, cookie))
			__sync_fetch_and_add(&pending_n, -1);
		return 0;
	}
	if (BPF_CORE_READ(sk, sk_lock.owned))
		return 0;
	if (p->req.syscall == BW_SYS_LISTEN)
		settle_entry(*cookie, p, BPF_CORE_READ(sk, __sk_common.skc_state) == BW_TCP_LISTEN ?
					 SETTLE_SUCCESS : SETTLE_FAILED);
	else /* a port without a post_bind seen (one bpf_bind() took) is a success */
		settle_entry(*cookie, p, BPF_CORE_READ(sk, __sk_common.skc_num) ?
					 SETTLE_SUCCESS : SETTLE_FAILED);
	return 0;
}

#endif /* BW_PENDING_BPF_H */
