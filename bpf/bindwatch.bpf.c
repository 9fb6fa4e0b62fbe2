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
 *    for the exit half, which adds the outcome and emits it.  io_uring's
 *    binds and listens, which take no system call of their own, are seen
 *    beside them when they complete (tp_btf/io_uring_complete); fexit on
 *    inet_bind sees them as it sees any.
 *
 *  - cgroup/bind4 and bind6 on the root cgroup v2, with post_bind4/6,
 *    sock_release and tp_btf/inet_sock_set_state, for kernels that refuse
 *    trampolines: no syscall tracepoint, so nothing on any other system
 *    call.  The bind hooks run before the kernel checks the call; what the
 *    kernel's rules decide then (bindrules.bpf.h) is recorded at once, the
 *    rest kept until the call is known to be over (pending.bpf.h).
 *
 * Two more entry points, the storm flusher and the sweep of the cgroup
 * flavour's kept calls, are run by userspace.
 *
 * This file holds the entry points and nothing they share: that is in the
 * capture headers, one concern each, each including only headers listed
 * before it:
 *
 *   capture.bpf.h    the request (struct bw_request), "stats", task_btf
 *   filters.bpf.h    which calls are wanted: --port, --pid, --comm,
 *                    --cgroup, the outcomes asked for, the watched successes
 *   request.bpf.h    reading a call: its sockaddr, its socket, its fd
 *   uring.bpf.h      reading an io_uring bind or listen from its request
 *   kstack.bpf.h     the kernel stack of the kernel's own binds (fexit)
 *   uids.bpf.h       each uid's share of what is kept
 *   ratelimit.bpf.h  each uid's budgets of records
 *   storms.bpf.h     identical failures counted, not each recorded
 *   record.bpf.h     a record built from the request and the task
 *   emit.bpf.h       a record sent through the ring buffer
 *   park.bpf.h       a request carried from a tracepoint's entry to its exit
 *   bindrules.bpf.h  the kernel's rules for a bind(), before the port
 *   pending.bpf.h    the cgroup flavour's calls whose outcome is not known yet
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
#include "uring.bpf.h"
#include "kstack.bpf.h"
#include "uids.bpf.h"
#include "storms.bpf.h"
#include "emit.bpf.h"
#include "park.bpf.h"
#include "bindrules.bpf.h"
#include "pending.bpf.h"
#include "flush.bpf.h"
#include "connect.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- fexit flavour ---------------------------------------------------- */

/*
 * How a call the fexit programs record came (call_via()); for the
 * kernel's own, its stack too.
 */
static __always_inline void fexit_via(void *ctx, struct bw_request *e, const struct socket *sock)
{
	e->via = call_via(sock);
	if (e->via == BW_CALL_KERNEL)
		e->kstack = kernel_stack(ctx);
}

static __always_inline int fexit_bind(void *ctx, struct socket *sock,
				      const struct sockaddr *uaddr, int ret)
{
	struct bw_request e = {};
	union bw_sockaddr sa;

	if (outcome_wanted(ret, BW_SYS_BIND) && port_may_matter(read_sockaddr(&sa, uaddr, false)) &&
	    task_wanted() &&
	    bind_request(&e, BPF_CORE_READ(sock, sk), BPF_CORE_READ(sock, file, f_inode, i_ino),
			 &sa) && request_wanted(&e, ret)) {
		fexit_via(ctx, &e, sock);
		emit(&e, BPF_CORE_READ(sock, sk), ret, BW_MODE_FEXIT);
	}
	return 0;
}

SEC("fexit/inet_bind")
int BPF_PROG(fexit_inet_bind, struct socket *sock, struct sockaddr *uaddr,
	     int addr_len, int ret)
{
	return fexit_bind(ctx, sock, uaddr, ret);
}

SEC("fexit/inet6_bind")
int BPF_PROG(fexit_inet6_bind, struct socket *sock, struct sockaddr *uaddr,
	     int addr_len, int ret)
{
	return fexit_bind(ctx, sock, uaddr, ret);
}

/* inet_listen serves both inet_stream_ops and inet6_stream_ops. */
SEC("fexit/inet_listen")
int BPF_PROG(fexit_inet_listen, struct socket *sock, int backlog, int ret)
{
	struct bw_request e = {};

	if (outcome_wanted(ret, BW_SYS_LISTEN) && task_wanted() &&
	    listen_request(&e, BPF_CORE_READ(sock, sk), BPF_CORE_READ(sock, file, f_inode, i_ino)) &&
	    request_wanted(&e, ret)) {
		fexit_via(ctx, &e, sock);
		emit(&e, BPF_CORE_READ(sock, sk), ret, BW_MODE_FEXIT);
	}
	return 0;
}

/*
 * A TCP connect() that found no free local port (connect.bpf.h).  Run on
 * every TCP connect() of an unbound socket: a comparison when it succeeds.
 * It comes as a bind does: a system call, an io_uring request
 * (IORING_OP_CONNECT) or the kernel's own socket (kernel_connect()).
 */
static __always_inline int fexit_hash_connect(void *ctx, struct sock *sk, int ret)
{
	struct bw_request e = {};

	if (hash_connect_request(&e, sk, ret) && request_wanted(&e, ret)) {
		fexit_via(ctx, &e, BPF_CORE_READ(sk, sk_socket));
		emit(&e, NULL, ret, BW_MODE_FEXIT);
	}
	return 0;
}

SEC("fexit/inet_hash_connect")
int BPF_PROG(fexit_inet_hash_connect, struct inet_timewait_death_row *death_row,
	     struct sock *sk, int ret)
{
	return fexit_hash_connect(ctx, sk, ret);
}

SEC("fexit/inet6_hash_connect")
int BPF_PROG(fexit_inet6_hash_connect, struct inet_timewait_death_row *death_row,
	     struct sock *sk, int ret)
{
	return fexit_hash_connect(ctx, sk, ret);
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
		emit(&e, NULL, ctx->ret, BW_MODE_TRACEPOINT);
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
		park(&e, sk);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int tp_enter_listen(struct trace_event_raw_sys_enter *ctx)
{
	struct bw_request e = {};
	struct sock *sk;
	__u64 ino = 0;

	if (!task_wanted())
		return 0;
	sk = fd_to_sock(ctx->args[0], &ino);
	if (listen_request(&e, sk, ino))
		park(&e, sk);
	return 0;
}

/* ---- cgroup flavour ---------------------------------------------------- */

/*
 * A socket's address as a plain number: the verifier refuses arithmetic
 * on the socket pointer a sock_addr context gives, and the probe reads
 * that read the socket (sock.bpf.h) need it.
 */
static __always_inline __u64 sock_address(const void *sk)
{
	__u64 addr = 0;

	bpf_probe_read_kernel(&addr, sizeof(addr), &sk);
	return addr;
}

/*
 * The sockaddr of a bind() as the cgroup hook has it: bind4 may read only
 * the IPv4 fields of its context, bind6 only the IPv6 ones.
 */
static __always_inline __u16 ctx_sockaddr(union bw_sockaddr *sa, const struct bpf_sock_addr *ctx,
					  bool v6)
{
	__builtin_memset(sa, 0, sizeof(*sa));
	if (v6) {
		sa->v6.sin6_family = AF_INET6;
		sa->v6.sin6_addr.in6_u.u6_addr32[0] = ctx->user_ip6[0];
		sa->v6.sin6_addr.in6_u.u6_addr32[1] = ctx->user_ip6[1];
		sa->v6.sin6_addr.in6_u.u6_addr32[2] = ctx->user_ip6[2];
		sa->v6.sin6_addr.in6_u.u6_addr32[3] = ctx->user_ip6[3];
	} else {
		sa->v4.sin_family = AF_INET;
		sa->v4.sin_addr.s_addr = ctx->user_ip4;
	}
	sa->v4.sin_port = ctx->user_port; /* sin_port and sin6_port share their offset */
	return bpf_ntohs(sa->v4.sin_port);
}

/*
 * The request of a bind() of sa on socket sk (a plain address), in e: a
 * subprogram, as emit_refused() and settle_entry() are, so that the
 * socket's read copies and the record's making have a stack each.
 */
static __noinline bool cg_bind_request(struct bw_request *e, __u64 sk, const union bw_sockaddr *sa)
{
	const struct sock *s = (const void *)sk;

	if (!bind_request(e, s, BPF_CORE_READ(s, sk_socket, file, f_inode, i_ino), sa))
		return false;
	e->via = call_via(BPF_CORE_READ(s, sk_socket));
	return true;
}

/* The same for a listen() on socket sk. */
static __noinline bool cg_listen_request(struct bw_request *e, __u64 sk)
{
	const struct sock *s = (const void *)sk;

	if (!listen_request(e, s, BPF_CORE_READ(s, sk_socket, file, f_inode, i_ino)))
		return false;
	e->via = call_via(BPF_CORE_READ(s, sk_socket));
	return true;
}

/*
 * Record req's call, which the kernel's rules say fails with err: never
 * with EADDRINUSE, so no port's owners to read (no socket).
 */
static __noinline int emit_refused(const struct bw_request *req, int err)
{
	if (request_wanted(req, err))
		emit(req, NULL, err, BW_MODE_CGROUP);
	return 0;
}

/*
 * A bind() about to be checked: the socket's last one, if kept, is over
 * and failed; this one's outcome is the kernel's rules' if they decide
 * it, else it is kept until post_bind or the call's end says.  Always
 * allows the call.
 */
static __always_inline int cg_bind(struct bpf_sock_addr *ctx, bool v6)
{
	__u64 cookie = bpf_get_socket_cookie(ctx), sk = sock_address(ctx->sk);
	struct bw_request e = {};
	union bw_sockaddr sa;
	int err;

	settle(cookie, SETTLE_FAILED);
	if (!port_may_matter(ctx_sockaddr(&sa, ctx, v6)) || !task_wanted() ||
	    !cg_bind_request(&e, sk, &sa))
		return 1;
	err = bind_errno((const struct sock *)sk, &e.sock, v6);
	if (err)
		emit_refused(&e, err);
	/* port 0 with IP_BIND_ADDRESS_NO_PORT takes no port: no post_bind, no failure */
	else if (e.sock.port || !inet_bind_no_port((const struct sock *)sk))
		keep(cookie, &e, sk);
	return 1;
}

SEC("cgroup/bind4")
int cg_bind4(struct bpf_sock_addr *ctx)
{
	return cg_bind(ctx, false);
}

SEC("cgroup/bind6")
int cg_bind6(struct bpf_sock_addr *ctx)
{
	return cg_bind(ctx, true);
}

/* The port was granted: the kept bind() succeeded. */
SEC("cgroup/post_bind4")
int cg_post_bind4(struct bpf_sock *ctx)
{
	settle(bpf_get_socket_cookie(ctx), SETTLE_SUCCESS);
	return 1;
}

SEC("cgroup/post_bind6")
int cg_post_bind6(struct bpf_sock *ctx)
{
	settle(bpf_get_socket_cookie(ctx), SETTLE_SUCCESS);
	return 1;
}

/*
 * The socket is closed: a bind() kept failed; a listen() kept succeeded
 * if the socket listens (inet_release() runs this before the protocol's
 * close takes it out of TCP_LISTEN).
 */
SEC("cgroup/sock_release")
int cg_sock_release(struct bpf_sock *ctx)
{
	__u64 cookie = bpf_get_socket_cookie(ctx);
	struct pending *p;

	if (!*(volatile __u64 *)&pending_n)
		return 1;
	p = bpf_map_lookup_elem(&pending, &cookie);
	if (p)
		settle_entry(cookie, p, p->req.syscall == BW_SYS_LISTEN &&
					ctx->state == BW_TCP_LISTEN ? SETTLE_SUCCESS : SETTLE_FAILED);
	return 1;
}

/*
 * listen(): inet_csk_listen_start() moves the socket to TCP_LISTEN before
 * get_port() and back to TCP_CLOSE when it refuses, in the same call,
 * before the socket was ever hashed.  A bind() kept on it is over and
 * failed (it got no port); the listen() is kept from the first change
 * and decided by the second, or by the socket's release or the sweep.
 */
SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(cg_listen_state, const struct sock *sk, int oldstate, int newstate)
{
	__u64 cookie, addr;
	struct bw_request e = {};

	if (newstate == BW_TCP_LISTEN && oldstate == BW_TCP_CLOSE) {
		cookie = bpf_get_socket_cookie((void *)sk);
		settle(cookie, SETTLE_FAILED);
		addr = sock_address(sk);
		if (task_wanted() && cg_listen_request(&e, addr))
			keep(cookie, &e, addr);
	} else if (oldstate == BW_TCP_LISTEN && newstate == BW_TCP_CLOSE) {
		settle(bpf_get_socket_cookie((void *)sk), SETTLE_FAILED);
	}
	return 0;
}

/*
 * Run by userspace while calls are kept (pending_n): decide those whose
 * call is over (sweep_one()).
 */
SEC("syscall")
int sweep_pending(void *args)
{
	__u64 now = bpf_ktime_get_ns();

	bpf_for_each_map_elem(&pending, sweep_one, &now, 0);
	return 0;
}

/*
 * A call of io_uring's, sent in a call of its own: its stack frame and
 * uring_request()'s (the socket's span) are never on the stack together,
 * where both in one would pass the verifier's 512 bytes.
 */
static __noinline void uring_emit(const struct bw_request *e, __u64 sk, long ret)
{
	emit(e, (const struct sock *)sk, ret, BW_MODE_TRACEPOINT);
}

/*
 * io_uring's bind and listen requests, which no syscall tracepoint sees,
 * as they complete: with the tracepoints, and only then.
 */
SEC("tp_btf/io_uring_complete")
int BPF_PROG(tp_uring_complete, void *ring, void *req)
{
	struct bw_request e = {};
	long ret = 0;
	__u64 sk = 0;

	if (uring_request(&e, req, &ret, &sk))
		uring_emit(&e, sk, ret);
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
