/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * connect.bpf.h - a connect() that found no free ephemeral port, read into
 * a struct bw_request: the connecting socket (sock.bpf.h) and where it
 * connected to (in sock.addr, capture.bpf.h says why, and dport).
 *
 * Only failures are read.  TCP picks a local port for an unbound socket
 * in __inet_hash_connect() and fails with EADDRNOTAVAIL when every port of
 * ip_local_port_range is taken for that destination; UDP binds one at
 * connect() (inet_autobind()) and fails with EAGAIN.  The fexit flavour
 * sits on inet_hash_connect()/inet6_hash_connect() (two arguments in every
 * kernel since 4.x, unlike __inet_hash_connect(), which took a fifth in
 * 6.13), where the destination is already in the socket; the tracepoint
 * flavour (--ephemeral) has sys_exit_connect alone, reading the call's
 * descriptor and sockaddr from the task's saved registers
 * (bpf_task_pt_regs(), Linux 5.15), so a connect() that succeeds costs
 * one comparison and no entry program.
 *
 * For a capture without syscall tracepoints (the cgroup mode): TCP's
 * connect() sets SYN_SENT before it picks the port and CLOSE when that
 * fails (tcp_v4_connect(), tcp_v6_connect()), so tp_btf/inet_sock_set_state
 * seeing SYN_SENT -> CLOSE on a socket still without a local port is this
 * failure, its destination still in the socket; not built here.
 *
 * Must not: read anything before the outcome says the call failed so, nor
 * write any map: what becomes of the request is the caller's.
 */
#ifndef BW_CONNECT_BPF_H
#define BW_CONNECT_BPF_H

#include <bpf/bpf_tracing.h>
#include "capture.bpf.h"
#include "filters.bpf.h"
#include "request.bpf.h"

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

/* Whether ret is protocol's answer to a connect() that found no port. */
static __always_inline bool connect_exhausted(__u16 protocol, long ret)
{
	return (protocol == IPPROTO_TCP && ret == -EADDRNOTAVAIL) ||
	       (protocol == IPPROTO_UDP && ret == -EAGAIN);
}

/*
 * The request of a connect() on sk (inode ino) to daddr:dport (dport in
 * host order), failed with ret.  False when it is not to be reported: not
 * an exhaustion, or filtered out (--port matches the destination's port:
 * the socket has none).
 */
static __always_inline bool connect_request(struct bw_request *e, const struct sock *sk,
					    __u64 ino, const __u8 daddr[16], long ret)
{
	if (!sk || !read_sock(sk, &e->sock) || !connect_exhausted(e->sock.protocol, ret))
		return false;
	/* where the destination travels (capture.bpf.h) */
	__builtin_memcpy(e->sock.addr, daddr, sizeof(e->sock.addr));
	e->sock_ino = ino;
	e->syscall = BW_SYS_CONNECT;
	e->watch = port_wanted(e->dport) ? REQ_FILTERED : 0;
	return e->watch;
}

/* The destination of a connect() from the sockaddr it was given (user memory), into daddr. */
static __always_inline void dest_from_user(struct bw_request *e, __u8 daddr[16], const void *uaddr)
{
	union bw_sockaddr sa;

	e->dport = read_sockaddr(&sa, uaddr, true);
	if (sa.v4.sin_family == AF_INET6)
		__builtin_memcpy(daddr, &sa.v6.sin6_addr, sizeof(sa.v6.sin6_addr));
	else
		__builtin_memcpy(daddr, &sa.v4.sin_addr, sizeof(sa.v4.sin_addr));
}

/* The destination of a connecting sk, which tcp_v{4,6}_connect() set before picking a port. */
static __always_inline void dest_from_sock(struct bw_request *e, __u8 daddr[16],
					   const struct sock *sk)
{
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family == AF_INET6)
		BPF_CORE_READ_INTO((struct in6_addr *)daddr, sk, __sk_common.skc_v6_daddr);
	else
		BPF_CORE_READ_INTO((__u32 *)daddr, sk, __sk_common.skc_daddr);
	e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
}

/* fexit: a TCP connect() of sk whose port picking returned ret. */
static __always_inline bool hash_connect_request(struct bw_request *e, struct sock *sk, long ret)
{
	__u8 daddr[16] = {};

	if (ret != -EADDRNOTAVAIL || !task_wanted())
		return false;
	dest_from_sock(e, daddr, sk);
	return connect_request(e, sk, BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino), daddr,
			       ret);
}

/*
 * The socket behind fd in the current task and its inode, or NULL: as
 * fd_to_sock(), a probe read per pointer instead of its 256-byte span,
 * which with the record's emission would pass a program's stack.  Only
 * failed calls come here, where the few reads more cost nothing.
 */
static __always_inline struct sock *fd_sock_ptrs(int fd, __u64 *ino)
{
	unsigned int max_fds = 0;
	struct file **fds = task_files(&max_fds), *file = NULL;
	struct socket *sock;

	if (fd < 0 || !fds || (unsigned int)fd >= max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	if (!file || (BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	*ino = BPF_CORE_READ(file, f_inode, i_ino);
	sock = BPF_CORE_READ(file, private_data);
	return BPF_CORE_READ(sock, sk);
}

/*
 * Tracepoint: the connect() now returning ret, its descriptor and sockaddr
 * read from the registers the system call was entered with.  A function
 * of its own (a BPF subprogram), so its frame and the record's emission's
 * are not one.  e is zeroed by the caller.
 */
static __noinline int sys_connect_request(struct bw_request *e, long ret)
{
	__u8 daddr[16] = {};
	struct pt_regs *regs;
	__u64 ino = 0;

	if (!e || (ret != -EADDRNOTAVAIL && ret != -EAGAIN) || !task_wanted())
		return false;
	regs = (struct pt_regs *)bpf_task_pt_regs(bpf_get_current_task_btf());
	dest_from_user(e, daddr, (const void *)PT_REGS_PARM2_CORE_SYSCALL(regs));
	return connect_request(e, fd_sock_ptrs(PT_REGS_PARM1_CORE_SYSCALL(regs), &ino), ino, daddr,
			       ret);
}

#endif /* BW_CONNECT_BPF_H */
