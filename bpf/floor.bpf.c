// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor.bpf.c - the floor of bindwatch's overhead, for the benchmark only:
 * empty programs on exactly the hooks bindwatch.bpf.c attaches in each
 * mode, so that `make bench` can tell what the hooks cost by themselves
 * (for the syscall tracepoints: every system call of every task on the
 * slow path, plus the program call) from what bindwatch does in them.
 *
 * Keep the lists in step with the capture programs' SEC() names: the
 * tracepoint flavour's four sys_enter/sys_exit programs for bind() and
 * listen() and its io_uring completion program, the fexit flavour's
 * three, and the cgroup flavour's sock_addr and sock hooks (attached to
 * the root cgroup by tests/bench/floor.c) with the socket state
 * tracepoint that sees listen().  The storm flusher is run by userspace,
 * never by a hook, so it has no counterpart here.
 * tests/bench/floor.c loads one flavour, as the bindwatch loader does.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

/* what a cgroup program returns to let the call go on */
#define FLOOR_CG_ALLOW 1

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* ---- fexit flavour ---------------------------------------------------- */

SEC("fexit/inet_bind")
int BPF_PROG(floor_fexit_inet_bind)
{
	return 0;
}

SEC("fexit/inet6_bind")
int BPF_PROG(floor_fexit_inet6_bind)
{
	return 0;
}

SEC("fexit/inet_listen")
int BPF_PROG(floor_fexit_inet_listen)
{
	return 0;
}

/* ---- tracepoint flavour ----------------------------------------------- */

SEC("tracepoint/syscalls/sys_exit_bind")
int floor_tp_exit_bind(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_listen")
int floor_tp_exit_listen(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_bind")
int floor_tp_enter_bind(void *ctx)
{
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_listen")
int floor_tp_enter_listen(void *ctx)
{
	return 0;
}

/* ---- cgroup flavour --------------------------------------------------- */

SEC("cgroup/bind4")
int floor_cg_bind4(struct bpf_sock_addr *ctx)
{
	return FLOOR_CG_ALLOW;
}

SEC("cgroup/bind6")
int floor_cg_bind6(struct bpf_sock_addr *ctx)
{
	return FLOOR_CG_ALLOW;
}

SEC("cgroup/post_bind4")
int floor_cg_post_bind4(struct bpf_sock *ctx)
{
	return FLOOR_CG_ALLOW;
}

SEC("cgroup/post_bind6")
int floor_cg_post_bind6(struct bpf_sock *ctx)
{
	return FLOOR_CG_ALLOW;
}

SEC("cgroup/sock_release")
int floor_cg_sock_release(struct bpf_sock *ctx)
{
	return FLOOR_CG_ALLOW;
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(floor_cg_set_state)
{
	return 0;
}

SEC("tp_btf/io_uring_complete")
int BPF_PROG(floor_tp_uring_complete)
{
	return 0;
}
