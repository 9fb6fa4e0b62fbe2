/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * uring.bpf.h - read an io_uring request that bound or listened
 * (IORING_OP_BIND, IORING_OP_LISTEN: Linux 6.11) into a struct
 * bw_request, when it completes.
 *
 * Those requests reach inet_bind() and inet_listen() through neither the
 * bind() nor the listen() system call: the syscall tracepoints never see
 * them.  The BTF tracepoint io_uring_complete does, with no trampoline: it
 * fires as a request's completion is posted, and the request (struct
 * io_kiocb) still has everything a record needs: its opcode, its file
 * (the socket), its result (req->cqe.res, which the completion is copied
 * from) and, for a bind, the address the submitter asked for, copied in
 * at prep time into req->async_data (uring_bind_addr(); a failed bind
 * resets the socket's own).  Of the tracepoint's arguments only the
 * request is used: it is the second one on every kernel, and the others
 * changed (6.12 passes user_data, res and cflags after it, 6.18 the
 * posted CQE).  A kernel without the opcodes never completes a request with
 * them (io_init_req() zeroes an unknown opcode): the program loads and
 * sees nothing there.
 *
 * Not seen: a completion the ring had no room for (CQ overflow: the
 * kernel traces io_uring_cqe_overflow instead, without the request), and
 * a successful request submitted with IOSQE_CQE_SKIP_SUCCESS, which posts
 * none.
 *
 * Must not: read more than the request's head before its opcode is known:
 * every io_uring completion on the host runs this far.
 */
#ifndef BW_URING_BPF_H
#define BW_URING_BPF_H

#include "capture.bpf.h"
#include "filters.bpf.h"
#include "request.bpf.h"

/* uapi linux/io_uring.h, enum io_uring_op (Debian's liburing 2.3 predates them) */
#define BW_IORING_OP_BIND 56
#define BW_IORING_OP_LISTEN 57

/*
 * Room for struct io_kiocb from its file to cqe.res: 92 bytes on x86_64
 * 6.x, the file being in a union with the 64 bytes of a command's data.
 */
#define BW_IO_HEAD_SPAN 96

/*
 * The call request req made, if it is an io_uring bind or listen: its
 * file in *file and its result in *ret.  0 for any other request, and
 * when the head cannot be read (the tracepoint passes no request for a
 * completion the kernel posts on its own).  One read of the span of the
 * head the three fields lie in.
 */
static __always_inline __u8 uring_call(const void *req, struct file **file, long *ret)
{
	__u8 buf[BW_IO_HEAD_SPAN] __attribute__((aligned(BW_SPAN_ALIGN)));
	const struct io_kiocb *r = (const void *)buf;
	__u32 hi = BW_FIELD_END(struct io_kiocb, cqe.res);
	__u8 op;

	if (BW_FIELD_END(struct io_kiocb, opcode) > hi)
		hi = BW_FIELD_END(struct io_kiocb, opcode);
	if (BW_FIELD_END(struct io_kiocb, file) > hi)
		hi = BW_FIELD_END(struct io_kiocb, file);
	if (!req || hi > sizeof(buf) || bpf_probe_read_kernel(buf, hi, req))
		return 0;
	op = BW_SPAN_FIELD(buf, 0, r, opcode);
	if (op != BW_IORING_OP_BIND && op != BW_IORING_OP_LISTEN)
		return 0;
	*file = (struct file *)BW_SPAN_FIELD(buf, 0, r, file);
	*ret = (__s32)BW_SPAN_FIELD(buf, 0, r, cqe.res);
	return op == BW_IORING_OP_BIND ? BW_SYS_BIND : BW_SYS_LISTEN;
}

/* The sockaddr's family, first in struct sockaddr_storage and its kin. */
#define BW_SA_FAMILY(sa) (*(const __u16 *)(sa))

/*
 * The address a bind request io_uring copied in at prep time, its async
 * data being io.  Two layouts: the sockaddr_storage as the async data
 * itself (io_uring/net: "Avoid msghdr on op_connect/op_bind async data",
 * 2026, also in stable kernels: Debian's 6.12.118), or before it an
 * io_async_msghdr with the address in its addr.  The types did not
 * change, only which one a bind allocates, so CO-RE cannot tell them
 * apart; the data can: a sockaddr starts with its family, the socket's
 * own, where an io_async_msghdr starts with a pointer: later kernels'
 * iou_vec.iovec (6.18's; a kernel address, 8-byte aligned: never AF_INET's
 * 2 nor AF_INET6's 10 in its low 16 bits), or 6.11/6.12's fast_iov.iov_base,
 * NULL for a bind unless the header was recycled from a send or receive
 * whose user buffer's address ended in those 16 bits.  family is the
 * socket's; sa receives the address.
 */
static __always_inline __u16 uring_bind_addr(union bw_sockaddr *sa, const void *io,
					     __u16 family)
{
	__u16 port = read_sockaddr(sa, io, false);

	if (BW_SA_FAMILY(sa) == family)
		return port;
	return read_sockaddr(sa, io + bpf_core_field_offset(struct io_async_msghdr, addr), false);
}

/*
 * Build the request of io_uring request req into e, its result in *ret
 * and its socket in *skp (for the port's owners, only probe-read):
 * false unless it is a bind or listen that is wanted.  The filters that
 * need no socket run first, as for the system calls.  A call of its own:
 * its stack frame (the socket's span) and emit()'s are never on the
 * stack together (uring_emit() in bindwatch.bpf.c).
 */
static __noinline bool uring_request(struct bw_request *e, const void *req, long *ret,
				     __u64 *skp)
{
	struct file *file = NULL;
	union bw_sockaddr sa;
	struct sock *sk;
	__u64 ino = 0;
	__u16 family;
	void *io;
	__u8 call = uring_call(req, &file, ret);
	bool wanted;

	if (!call || !outcome_wanted(*ret, call) || !task_wanted())
		return false;
	if (call == BW_SYS_BIND) {
		io = BPF_CORE_READ((const struct io_kiocb *)req, async_data);
		sk = file_to_sock(file, &ino);
		if (!io || !sk)
			return false;
		family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if (!port_may_matter(uring_bind_addr(&sa, io, family)))
			return false;
		wanted = bind_request(e, sk, ino, &sa);
	} else {
		sk = file_to_sock(file, &ino);
		wanted = listen_request(e, sk, ino);
	}
	e->via = BW_CALL_IO_URING;
	*skp = (__u64)sk;
	return wanted && request_wanted(e, *ret);
}

#endif /* BW_URING_BPF_H */
