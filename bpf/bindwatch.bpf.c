// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bindwatch.bpf.c - the kernel half of bindwatch: catch bind() and listen()
 * calls on inet sockets that fail (EADDRINUSE by default) and stream one
 * struct bw_event per failure to userspace through a ring buffer.
 *
 * Two flavours of hook produce the same record; the loader loads one:
 *
 *  - fexit on inet_bind/inet6_bind/inet_listen: runs only for inet sockets
 *    and sees the call's return value and its arguments together.  No cost
 *    to any other system call.
 *
 *  - the syscalls:sys_{enter,exit}_{bind,listen} tracepoints, for kernels
 *    that refuse BPF trampolines.  The entry half looks the socket up from
 *    the fd and captures the requested address then, because the kernel
 *    resets the socket's address when bind() fails, and parks the request
 *    for the exit half, which adds the outcome and emits it.
 *
 * A third entry point, the storm flusher, is run by userspace.
 *
 * This file holds the entry points and nothing they share: that is in the
 * capture headers, one concern each, each including only headers listed
 * before it:
 *
 *   capture.bpf.h    the request (struct bw_request), "stats", task_btf
 *   filters.bpf.h    which calls are wanted: --port, --pid, --comm,
 *                    --cgroup, the outcomes asked for, the watched successes
 *   request.bpf.h    reading a call: its sockaddr, its socket, its fd
 *   uids.bpf.h       each uid's share of what is kept
 *   ratelimit.bpf.h  each uid's budgets of records
 *   storms.bpf.h     identical failures counted, not each recorded
 *   record.bpf.h     a record built from the request and the task
 *   emit.bpf.h       a record sent through the ring buffer
 *   park.bpf.h       a request carried from a tracepoint's entry to its exit
 *   flush.bpf.h      the flusher's walks of the storms and the uids
 *   connect.bpf.h    a connect() that found no free ephemeral port
 *
 * and in those it shares with holders.bpf.c: bindwatch.h (the ABI),
 * sock.bpf.h (reading a socket) and core_fixes.bpf.h (every kernel-layout
 * difference).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "bindwatch.h"
#include "capture.bpf.h"
#include "filters.bpf.h"
#include "request.bpf.h"
#include "uids.bpf.h"
#include "storms.bpf.h"
#include "emit.bpf.h"
#include "park.bpf.h"
#include "flush.bpf.h"
#include "connect.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- fexit flavour ---------------------------------------------------- */

static __always_inline int fexit_bind(struct socket *sock,
				      const struct sockaddr *uaddr, int ret)
{
	struct bw_request e = {};
	union bw_sockaddr sa;

	if (outcome_wanted(ret, BW_SYS_BIND) && port_may_matter(read_sockaddr(&sa, uaddr, false)) &&
	    task_wanted() &&
	    bind_request(&e, BPF_CORE_READ(sock, sk), BPF_CORE_READ(sock, file, f_inode, i_ino),
			 &sa) && request_wanted(&e, ret))
		emit(&e, ret, BW_MODE_FEXIT);
	return 0;
}

SEC("fexit/inet_bind")
int BPF_PROG(fexit_inet_bind, struct socket *sock, struct sockaddr *uaddr,
	     int addr_len, int ret)
{
	return fexit_bind(sock, uaddr, ret);
}

SEC("fexit/inet6_bind")
int BPF_PROG(fexit_inet6_bind, struct socket *sock, struct sockaddr *uaddr,
	     int addr_len, int ret)
{
	return fexit_bind(sock, uaddr, ret);
}

/* inet_listen serves both inet_stream_ops and inet6_stream_ops. */
SEC("fexit/inet_listen")
int BPF_PROG(fexit_inet_listen, struct socket *sock, int backlog, int ret)
{
	struct bw_request e = {};

	if (outcome_wanted(ret, BW_SYS_LISTEN) && task_wanted() &&
	    listen_request(&e, BPF_CORE_READ(sock, sk), BPF_CORE_READ(sock, file, f_inode, i_ino)) &&
	    request_wanted(&e, ret))
		emit(&e, ret, BW_MODE_FEXIT);
	return 0;
}

/*
 * A TCP connect() that found no free local port (connect.bpf.h).  Run on
 * every TCP connect() of an unbound socket: a comparison when it succeeds.
 */
SEC("fexit/inet_hash_connect")
int BPF_PROG(fexit_inet_hash_connect, struct inet_timewait_death_row *death_row,
	     struct sock *sk, int ret)
{
	struct bw_request e = {};

	if (hash_connect_request(&e, sk, ret) && request_wanted(&e, ret))
		emit(&e, ret, BW_MODE_FEXIT);
	return 0;
}

SEC("fexit/inet6_hash_connect")
int BPF_PROG(fexit_inet6_hash_connect, struct inet_timewait_death_row *death_row,
	     struct sock *sk, int ret)
{
	struct bw_request e = {};

	if (hash_connect_request(&e, sk, ret) && request_wanted(&e, ret))
		emit(&e, ret, BW_MODE_FEXIT);
	return 0;
}

/* ---- tracepoint flavour ----------------------------------------------- */

/*
 * The exit programs come first: the skeleton attaches in this order, and an
 * entry parked by a call already under way when only the entry half was
 * attached would otherwise wait for, and be taken by, a later call.
 */
SEC("tracepoint/syscalls/sys_exit_bind")
int tp_exit_bind(struct trace_event_raw_sys_exit *ctx)
{
	return unpark(BW_SYS_BIND, ctx->ret);
}

SEC("tracepoint/syscalls/sys_exit_listen")
int tp_exit_listen(struct trace_event_raw_sys_exit *ctx)
{
	return unpark(BW_SYS_LISTEN, ctx->ret);
}

/*
 * --ephemeral: connect() out of ephemeral ports, from its exit alone
 * (connect.bpf.h); loaded only where bpf_task_pt_regs() is.
 */
SEC("tracepoint/syscalls/sys_exit_connect")
int tp_exit_connect(struct trace_event_raw_sys_exit *ctx)
{
	struct bw_request e = {};

	if (sys_connect_request(&e, ctx->ret) && request_wanted(&e, ctx->ret))
		emit(&e, ctx->ret, BW_MODE_TRACEPOINT);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_bind")
int tp_enter_bind(struct trace_event_raw_sys_enter *ctx)
{
	const void *uaddr = (const void *)ctx->args[1];
	struct bw_request e = {};
	union bw_sockaddr sa;
	struct sock *sk;
	__u64 ino = 0;

	/* the filters first: a call they drop costs no socket lookup */
	if (!port_may_matter(read_sockaddr(&sa, uaddr, true)) || !task_wanted())
		return 0;
	sk = fd_to_sock(ctx->args[0], &ino);
	if (bind_request(&e, sk, ino, &sa))
		park(&e);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int tp_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	struct bw_request e = {};
	__u64 ino = 0;

	if (task_wanted() && listen_request(&e, fd_to_sock(ctx->args[0], &ino), ino))
		park(&e);
	return 0;
}

/* ---- storm flusher ------------------------------------------------------ */

/*
 * Run by userspace once per window (bpf_prog_test_run): a storm that has
 * stopped still owes a record for its last window's failures, one idle for
 * a window gives its entry back, a uid over its rate limit is owed a
 * record of what was held back and one whose records the ring had no room
 * for a record of that, and a uid with nothing left goes.
 */
SEC("syscall")
int flush_storms(struct bw_flush_args *args)
{
	struct flush_ctx c = { .now = bpf_ktime_get_ns(), .all = args->all };

	bpf_for_each_map_elem(&storms, flush_storm, &c, 0);
	bpf_for_each_map_elem(&uids, flush_uid, &c, 0);
	return 0;
}
