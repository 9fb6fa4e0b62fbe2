/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * park.bpf.h - carry a request from a system call's entry tracepoint to
 * its exit.  The tracepoint flavour sees the socket and the address asked
 * for only at entry (a failed bind() resets the socket's address), and the
 * outcome only at exit: the entry half parks the request, the exit half
 * takes it, adds the outcome and emits the record.  A thread is in one
 * system call at a time: one request per thread ("requests").
 *
 * Must not: let an exit take a request another call parked (the system
 * call must match), nor keep a request past its exit.
 */
#ifndef BW_PARK_BPF_H
#define BW_PARK_BPF_H

#include "capture.bpf.h"
#include "filters.bpf.h"
#include "emit.bpf.h"

#define INFLIGHT_MAX 8192 /* threads inside bind()/listen() at once */

__u32 parked = 0;      /* set once a request was parked: until then an exit has nothing to look up */

/* A parked request and its socket, which the exit reads the port's owners from. */
struct bw_parked {
	struct bw_request req; /* req.syscall 0 in "requests": nothing parked */
	const struct sock *sk;
};

/*
 * Requests parked between entry and exit: one per thread in its task-local
 * storage, freed with the thread; before 5.13, a hash by thread id (the
 * loader sizes the one not used to nothing).
 */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct bw_parked);
} requests SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, INFLIGHT_MAX);
	__type(key, __u32);
	__type(value, struct bw_parked);
} inflight SEC(".maps");

/*
 * Park e, made on socket sk, for the exit half.  "parked" is set by the first park and never
 * cleared, so exits look nothing up while the filters drop every call,
 * and stay read-only on every CPU after: no cache line is shared by two
 * calls.  After it, an exit of a thread that never parked anything finds
 * it has no task-local storage at all, with one load.  A request left by
 * a call whose exit was missed is replaced.
 */
static __always_inline void park(const struct bw_request *e, const struct sock *sk)
{
	struct bw_parked p;
	struct bw_parked *r;
	__u32 tid;

	if (task_btf) {
		r = bpf_task_storage_get(&requests, bpf_get_current_task_btf(), NULL,
					 BPF_LOCAL_STORAGE_GET_F_CREATE);
		if (r) {
			r->req = *e;
			r->sk = sk;
		} else {
			stat_add(BW_STAT_NOSLOT, 1);
		}
	} else {
		tid = (__u32)bpf_get_current_pid_tgid();
		p.req = *e;
		p.sk = sk;
		if (bpf_map_update_elem(&inflight, &tid, &p, BPF_ANY))
			stat_add(BW_STAT_NOSLOT, 1);
	}
	if (!*(volatile __u32 *)&parked)
		parked = 1;
}

static __always_inline int unpark(__u8 syscall, long ret)
{
	struct task_struct *task;
	struct bw_parked *e;
	__u32 tid = 0;

	/* this thread's own park, if any, came before in its program order */
	if (!*(volatile __u32 *)&parked)
		return 0;
	if (task_btf) {
		task = bpf_get_current_task_btf();
		/* a thread that never parked has no local storage: no lookup */
		if (!task->bpf_storage)
			return 0;
		e = bpf_task_storage_get(&requests, task, NULL, 0);
	} else {
		tid = (__u32)bpf_get_current_pid_tgid();
		e = bpf_map_lookup_elem(&inflight, &tid);
	}
	/* nothing parked (a storage's request is marked taken with syscall 0) */
	if (!e || !e->req.syscall)
		return 0;
	/* an entry left by a call whose exit we missed is no match */
	if (e->req.syscall == syscall && request_wanted(&e->req, ret))
		emit(&e->req, e->sk, ret, BW_MODE_TRACEPOINT);
	if (task_btf)
		e->req.syscall = 0;
	else
		bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

#endif /* BW_PARK_BPF_H */
