// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holders.bpf.c - find every socket on one port, and who holds it, inside
 * the kernel.
 *
 * ss -p, lsof and fuser read every /proc/PID/fd of every process and only
 * then filter by port.  Here the kernel walks the same tables and writes
 * out only the sockets on the port in question, as struct bw_holder
 * records read from the iterator's file descriptor:
 *
 *  - iter/task_file visits every open file of every process.  A socket on
 *    the port, in the network namespace asked for, yields one record per
 *    (process, fd) holding it, so processes that share a socket after
 *    fork() are each named.  This sees sockets in every state, including
 *    bound but not listening ones, which no socket table iterator shows.
 *
 *  - iter/tcp visits the TCP tables of the namespace the iterator was
 *    created in, and yields only what no process holds: TIME_WAIT sockets
 *    and orphaned connections.
 *
 * The target (port, protocol, namespace) is set in .bss before each walk;
 * userspace runs one walk at a time.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bindwatch.h"
#include "sock.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

__u16 target_port = 0;
__u16 target_protocol = 0; /* IPPROTO_*, 0 for any */
__u32 target_netns = 0;

static __always_inline bool on_target(const struct bw_sock *s)
{
	return s->port == target_port && s->netns == target_netns &&
	       (!target_protocol || s->protocol == target_protocol);
}

SEC("iter/task_file")
int holders_task_file(struct bpf_iter__task_file *ctx)
{
	struct task_struct *task = ctx->task;
	struct file *file = ctx->file;
	struct bw_holder h = {};
	struct socket *sock;
	struct sock *sk;

	if (!task || !file)
		return 0;
	sock = bpf_sock_from_file(file);
	if (!sock)
		return 0;
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || !read_sock(sk, &h.sock) || !on_target(&h.sock))
		return 0;
	h.ino = BPF_CORE_READ(file, f_inode, i_ino);
	h.pid = BPF_CORE_READ(task, tgid);
	h.fd = ctx->fd;
	h.start_ns = task_start_boottime(BPF_CORE_READ(task, group_leader));
	h.cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	h.state = BPF_CORE_READ(sk, __sk_common.skc_state);
	h.ack_backlog = BPF_CORE_READ(sk, sk_ack_backlog);
	h.max_ack_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	BPF_CORE_READ_STR_INTO(&h.comm, task, comm);
	bpf_seq_write(ctx->meta->seq, &h, sizeof(h));
	return 0;
}

SEC("iter/tcp")
int holders_tcp(struct bpf_iter__tcp *ctx)
{
	struct sock_common *skc = ctx->sk_common;
	struct bw_holder h = {};

	if (!skc || !read_sock_common(skc, &h.sock))
		return 0;
	h.state = BPF_CORE_READ(skc, skc_state);
	/* request sockets belong to their listener, which is reported */
	if (h.state == TCP_NEW_SYN_RECV)
		return 0;
	if (h.state != TCP_TIME_WAIT) {
		const struct sock *sk = (const struct sock *)skc;

		/* a socket some process holds is reported by holders_task_file */
		if (BPF_CORE_READ(sk, sk_socket))
			return 0;
		read_sock(sk, &h.sock);
	}
	h.sock.type = SOCK_STREAM;
	h.sock.protocol = IPPROTO_TCP;
	h.sock.uid = ctx->uid;
	if (on_target(&h.sock))
		bpf_seq_write(ctx->meta->seq, &h, sizeof(h));
	return 0;
}
