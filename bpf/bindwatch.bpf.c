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
