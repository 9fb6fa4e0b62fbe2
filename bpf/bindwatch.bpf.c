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
 *    resets the socket's address when bind() fails; it parks the request
 *    in the thread's task-local storage ("requests"; the "inflight" hash
 *    keyed by thread id before 5.13).  The exit half adds the outcome and
 *    emits it.
 *
 * Filters (--port, --pid, --comm, --cgroup) run before anything is parked
 * or reserved, so filtered-out calls cost a few loads.
 *
 * Successful calls are records only when asked for: all of them (--all),
 * the bind()s the ledger learns of (within a budget per uid), and the
 * watched ones (struct bw_request.watch): calls on the ports the policy's
 * expect rules name ("expect_ports", written by userspace at start and at
 * each reload), and, with --reuseport-watch, calls on SO_REUSEPORT
 * sockets.  Both tests use what the call already read (the port, the
 * socket's flags), so every other successful call costs a bit test more.
 * A watched success over its uid's budget counts as lost, never silently
 * dropped: a process must not hide its one bind on an expected port
 * behind a loop of others.  Records are
 * submitted without waking userspace unless the last wakeup is older than
 * wakeup_interval_ns or the ring is filling up: one wakeup per record costs
 * several microseconds per failing bind() in a storm.  Userspace also polls
 * with a timeout, so a record never waits longer than that.  A record the
 * ring has no room for is counted in "stats", never dropped silently.
 *
 * Storms: a crash-looping service can fail bind() hundreds of thousands of
 * times a second.  Identical failures (struct bw_storm_key: the same
 * process, call and outcome on the same socket, every option included,
 * so that a record stands only for calls it describes) are counted in
 * the "storms" map: the first goes out at once, later ones only add to a
 * count, and the first failure after window_ns sends one record standing
 * for all of them (bw_event.count).  Failures after a storm's last record
 * are sent by flush_storms, which userspace runs once per window; it also
 * retires a storm idle for a window, whether or not its process lives on.
 * Loss is counted in failures, not records, so the counts plus the loss
 * add up to the failures exactly.
 *
 * Bounds, so that one user cannot flood the log or blind the accounting
 * of others: a process failing on more than BW_STORM_ADDRESSES addresses
 * of one port gets one storm for the port; each uid may hold storm_quota
 * entries of the table (the "uids" map keeps its share) and, beyond,
 * its failures count into one aggregate of its own, which always has room;
 * and each uid has a budget of records (a token bucket, rate_interval_ns
 * and rate_tolerance_ns): failures it cannot pay for are counted, exactly,
 * in a suppressed record that flush_storms sends per uid and window.  What
 * the ring has no room for is counted per uid too, and sent the same way
 * as a lost record of that uid.  A uid's entry goes once it holds nothing
 * (prune()), so the table of uids is never full of uids long gone.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "bindwatch.h"
#include "sock.bpf.h"
#include "filters.bpf.h"
#include "request.bpf.h"
#include "uids.bpf.h"
#include "storms.bpf.h"
#include "ratelimit.bpf.h"
#include "record.bpf.h"
#include "emit.bpf.h"
#include "park.bpf.h"
#include "flush.bpf.h"


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
