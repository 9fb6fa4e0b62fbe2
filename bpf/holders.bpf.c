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
 *  - iter/tcp and iter/udp visit the socket tables of the namespace the
 *    iterator was created in, and yield only what no process holds:
 *    TIME_WAIT sockets, orphaned connections, and sockets the kernel opened
 *    for itself (VXLAN, in-kernel servers).
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

/*
 * A socket from a table iterator that no process holds, or NULL: one in
 * TIME_WAIT, an orphan (closed by its process, still finishing), or one the
 * kernel opened for itself (a tunnel, an in-kernel server), which has a
 * struct socket but no file.  Connections still in a listener's accept
 * queue also have no socket yet; they are the listener's, counted in its
 * accept_queue, and skipped.
 */
static __always_inline bool unheld(const struct sock_common *skc, struct bw_holder *h)
{
	const struct sock *sk = (const struct sock *)skc;
	struct socket *sock;

	if (!read_sock_common(skc, &h->sock))
		return false;
	h->state = BPF_CORE_READ(skc, skc_state);
	if (h->state == TCP_TIME_WAIT)
		return true;
	/* request sockets belong to their listener */
	if (h->state == TCP_NEW_SYN_RECV)
		return false;
	sock = BPF_CORE_READ(sk, sk_socket);
	if (sock && BPF_CORE_READ(sock, file))
		return false; /* holders_task_file reports it */
	if (!sock && !(BPF_CORE_READ(skc, skc_flags) &
		       (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DEAD))))
		return false; /* not yet accepted */
	h->kernel = sock != NULL;
	read_sock(sk, &h->sock);
	return true;
}

/* Table iterators are scoped to one namespace; the netns check still holds. */
static __always_inline void emit_unheld(struct seq_file *seq, const struct sock_common *skc,
					__u32 uid, __u16 type, __u16 protocol)
{
	struct bw_holder h = {};

	if (!skc || !unheld(skc, &h))
		return;
	h.sock.type = type;
	h.sock.protocol = protocol;
	h.sock.uid = uid;
	if (on_target(&h.sock))
		bpf_seq_write(seq, &h, sizeof(h));
}

SEC("iter/tcp")
int holders_tcp(struct bpf_iter__tcp *ctx)
{
	emit_unheld(ctx->meta->seq, ctx->sk_common, ctx->uid, SOCK_STREAM, IPPROTO_TCP);
	return 0;
}

SEC("iter/udp")
int holders_udp(struct bpf_iter__udp *ctx)
{
	emit_unheld(ctx->meta->seq, (struct sock_common *)ctx->udp_sk, ctx->uid,
		    SOCK_DGRAM, IPPROTO_UDP);
	return 0;
}
