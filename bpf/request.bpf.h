/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * request.bpf.h - read what a bind() or listen() asks for into a struct
 * bw_request: the sockaddr bind() was given, the socket's own fields
 * (sock.bpf.h), its inode number, and for the tracepoint flavour, which
 * sees only a descriptor (or an io_uring request's file), the socket
 * behind it.
 *
 * The address bind() asks for is read at the call, from the sockaddr:
 * a failed bind() resets the socket's own.  Reads are batched into spans
 * (sock.bpf.h) because each probe read costs about the same whatever its
 * size.
 *
 * Must not: write any map, nor decide more than whether the call is
 * wanted (filters.bpf.h's watch bits): what becomes of the request is the
 * caller's.
 */
#ifndef BW_REQUEST_BPF_H
#define BW_REQUEST_BPF_H

#include <bpf/bpf_endian.h>
#include "capture.bpf.h"
#include "sock.bpf.h"
#include "filters.bpf.h"

#define FDT_SPAN_WORDS 2  /* struct fdtable up to its fd array pointer (16 bytes on 64-bit) */
/* include/linux/sched.h: io_uring's workers and SQPOLL threads */
#define BW_PF_IO_WORKER 0x00000010
/* uapi asm/unistd.h: numbers from 424 on are the same on every architecture */
#define BW_NR_IO_URING_ENTER 426

/* The system call a task's saved registers say it is in. */
#if defined(__TARGET_ARCH_x86)
#define BW_REGS_SYSCALL_NR(regs) ((regs)->orig_ax)
#elif defined(__TARGET_ARCH_arm64)
#define BW_REGS_SYSCALL_NR(regs) ((regs)->syscallno)
#else
#error "BW_REGS_SYSCALL_NR: no pt_regs field for the system call number on this architecture"
#endif

union bw_sockaddr {
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

/* The address bind() asked for, from a sockaddr the kernel already copied. */
static __always_inline void addr_from_sockaddr(struct bw_sock *s,
					       const union bw_sockaddr *sa)
{
	if (s->family == AF_INET6) {
		s->port = bpf_ntohs(sa->v6.sin6_port);
		__builtin_memcpy(s->addr, &sa->v6.sin6_addr, sizeof(sa->v6.sin6_addr));
	} else {
		s->port = bpf_ntohs(sa->v4.sin_port);
		__builtin_memset(s->addr, 0, sizeof(s->addr));
		__builtin_memcpy(s->addr, &sa->v4.sin_addr, sizeof(sa->v4.sin_addr));
	}
}

/*
 * Copy the sockaddr a bind() asks for into sa (from user memory for the
 * tracepoint flavour, from the kernel's copy for fexit) and return its
 * port: sin_port and sin6_port sit at the same offset, so the family need
 * not be known yet.  One read of a sockaddr_in6's size; a sockaddr_in at
 * the very end of a mapping, which that read faults on, is read again at
 * its own size.
 */
static __always_inline __u16 read_sockaddr(union bw_sockaddr *sa, const void *uaddr, bool user)
{
	long err = user ? bpf_probe_read_user(&sa->v6, sizeof(sa->v6), uaddr)
			: bpf_probe_read_kernel(&sa->v6, sizeof(sa->v6), uaddr);

	if (err) {
		__builtin_memset(sa, 0, sizeof(*sa));
		user ? bpf_probe_read_user(&sa->v4, sizeof(sa->v4), uaddr)
		     : bpf_probe_read_kernel(&sa->v4, sizeof(sa->v4), uaddr);
	}
	return bpf_ntohs(sa->v4.sin_port);
}

/*
 * Build the socket half of a bind() record: sk is the socket, ino its
 * inode number, sa the requested sockaddr (read_sockaddr()).  False when
 * it is not to be reported.  The caller has checked the port against the
 * filter; the address was read at the call, because a failed bind()
 * resets the socket's.
 */
static __always_inline bool bind_request(struct bw_request *e, const struct sock *sk,
					 __u64 ino, const union bw_sockaddr *sa)
{
	if (!sk || !read_sock(sk, &e->sock))
		return false;
	/* the socket's own address and port are what it had before the call */
	addr_from_sockaddr(&e->sock, sa);
	e->sock_ino = ino;
	e->syscall = BW_SYS_BIND;
	e->watch = watch_of(&e->sock);
	return e->watch;
}

/* Same for listen(), which claims the address sk is already bound to. */
static __always_inline bool listen_request(struct bw_request *e, const struct sock *sk,
					   __u64 ino)
{
	if (!sk || !read_sock(sk, &e->sock))
		return false;
	e->sock_ino = ino;
	e->syscall = BW_SYS_LISTEN;
	e->watch = watch_of(&e->sock);
	return e->watch;
}

/*
 * How a bind or listen the fexit programs see on sock reached it (enum
 * bw_call_via): the kernel's own socket, one without a file (kernel_bind()
 * from VXLAN, Geneve, sunrpc, ...); an io_uring request, when the task is
 * one of io_uring's threads or its saved registers say it is in
 * io_uring_enter(); else the system call.  Asked only for a call that
 * becomes a record.  Without bpf_task_pt_regs() (Linux 5.15) io_uring's
 * requests pass for system calls; the test is a constant at load, and the
 * verifier skips what it leaves unreachable.
 */
static __always_inline __u8 call_via(const struct socket *sock)
{
	struct task_struct *task;
	struct pt_regs *regs;

	if (!BPF_CORE_READ(sock, file))
		return BW_CALL_KERNEL;
	if (!bpf_core_enum_value_exists(enum bpf_func_id, BPF_FUNC_task_pt_regs))
		return BW_CALL_SYSCALL;
	task = bpf_get_current_task_btf();
	if (task->flags & BW_PF_IO_WORKER)
		return BW_CALL_IO_URING;
	regs = (struct pt_regs *)bpf_task_pt_regs(task);
	return BW_REGS_SYSCALL_NR(regs) == BW_NR_IO_URING_ENTER ? BW_CALL_IO_URING
								 : BW_CALL_SYSCALL;
}

/*
 * The current task's open files: the file table's size and array, plain
 * loads with typed task pointers; else one probe read of the table's first
 * two fields after two for the pointers to it.
 */
static __always_inline struct file **task_files(unsigned int *max_fds)
{
	struct fdtable *fdt;
	/* max_fds and fd, the table's first two fields: one span */
	__u64 span[FDT_SPAN_WORDS] = {};
	__u32 hi = BW_FIELD_END(struct fdtable, fd);

	if (task_btf) {
		fdt = bpf_get_current_task_btf()->files->fdt;
		*max_fds = fdt->max_fds;
		return fdt->fd;
	}
	fdt = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), files, fdt);
	if (BW_FIELD_END(struct fdtable, max_fds) > hi)
		hi = BW_FIELD_END(struct fdtable, max_fds);
	if (hi > sizeof(span) || bpf_probe_read_kernel(span, hi, fdt))
		return NULL;
	*max_fds = BW_SPAN_FIELD(span, 0, fdt, max_fds);
	return (struct file **)BW_SPAN_FIELD(span, 0, fdt, fd);
}

/* Room for struct socket's sk and the first fields of the inode after it (176 bytes on x86_64 6.x). */
#define BW_SOCKALLOC_SPAN 256

/*
 * The socket of file, or NULL if file is no socket; its inode number in
 * *ino, read on the way.  A socket's inode is the second half of its
 * struct socket_alloc, so the inode's mode and number and the socket's sk
 * lie in one span before and in the inode.
 */
static __always_inline struct sock *file_to_sock(const struct file *file, __u64 *ino)
{
	__u8 buf[BW_SOCKALLOC_SPAN] __attribute__((aligned(BW_SPAN_ALIGN)));
	__u32 inode_at = bpf_core_field_offset(struct socket_alloc, vfs_inode);
	__u32 lo = bpf_core_field_offset(struct socket_alloc, socket.sk);
	__u32 end = inode_at + BW_FIELD_END(struct inode, i_ino);
	struct inode *inode;
	const struct inode *in;

	if (!file)
		return NULL;
	inode = BPF_CORE_READ(file, f_inode);
	lo &= ~(__u32)(BW_SPAN_ALIGN - 1);
	if (!inode || end - lo > sizeof(buf) ||
	    bpf_probe_read_kernel(buf, end - lo, (void *)inode - inode_at + lo))
		return NULL;
	in = (const void *)buf + (inode_at - lo);
	if ((BW_SPAN_FIELD(in, 0, in, i_mode) & S_IFMT) != S_IFSOCK)
		return NULL;
	*ino = BW_SPAN_FIELD(in, 0, in, i_ino);
	return (struct sock *)BW_SPAN_FIELD(buf, lo, (struct socket_alloc *)0, socket.sk);
}

/* The socket behind fd in the current task, or NULL (file_to_sock()). */
static __always_inline struct sock *fd_to_sock(int fd, __u64 *ino)
{
	unsigned int max_fds = 0;
	struct file **fds, *file = NULL;

	if (fd < 0)
		return NULL;
	fds = task_files(&max_fds);
	if (!fds || (unsigned int)fd >= max_fds)
		return NULL;
	bpf_probe_read_kernel(&file, sizeof(file), &fds[fd]);
	return file_to_sock(file, ino);
}

#endif /* BW_REQUEST_BPF_H */
