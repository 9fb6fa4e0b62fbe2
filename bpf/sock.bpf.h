/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sock.bpf.h - read an inet socket into a struct bw_sock, the same way for
 * the capture programs (the requesting socket) and the holder iterators
 * (the sockets already on the port), so the two can be compared field by
 * field in userspace.
 *
 * Everything goes through CO-RE probe reads: the socket may be a full sock
 * or, from iter/tcp, only a sock_common (TIME_WAIT), and must never be
 * dereferenced past what its state guarantees.
 */
#ifndef BW_SOCK_BPF_H
#define BW_SOCK_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include "bindwatch.h"
#include "core_fixes.bpf.h"

/* uapi values that vmlinux.h, which carries types only, lacks */
#define AF_INET 2
#define AF_INET6 10
#define S_IFMT 00170000
#define S_IFSOCK 0140000

/*
 * Spans: a probe read costs about as much whatever its size (tens of ns,
 * most of it the call), so the fields a record needs are read a span at a
 * time, [lo, hi) of the object in one bpf_probe_read_kernel() into a local
 * copy, and taken from the copy.  Offsets and sizes come from CO-RE
 * relocations, so the verifier sees them as constants: every access into
 * the copy is checked against its size at load, and a kernel whose span
 * does not fit the copy is caught by the check in the reader, never read
 * past.
 */
#define BW_FIELD_END(type, field) \
	(bpf_core_field_offset(type, field) + bpf_core_field_size(type, field))

/* field of the object whose span from byte lo was copied to buf (a bitfield or not) */
#define BW_SPAN_FIELD(buf, lo, s, field) ({					\
	unsigned long off = __CORE_RELO(s, field, BYTE_OFFSET) - (lo);	\
	unsigned long long val = 0;						\
	const void *p;								\
										\
	/* a scalar first: the verifier refuses subtracting from a stack pointer */ \
	asm volatile("" : "+r"(off));						\
	p = (const void *)(buf) + off;						\
	switch (__CORE_RELO(s, field, BYTE_SIZE)) {				\
	case 1: val = *(const __u8 *)p; break;					\
	case 2: val = *(const __u16 *)p; break;					\
	case 4: val = *(const __u32 *)p; break;					\
	case 8: val = *(const __u64 *)p; break;					\
	}									\
	val <<= __CORE_RELO(s, field, LSHIFT_U64);				\
	val >>= __CORE_RELO(s, field, RSHIFT_U64);				\
	val;									\
})

/*
 * Where a span starts (rounded down) and its copy is placed: the verifier
 * refuses a misaligned stack access, so each field must sit in the copy at
 * the alignment it has in the object.
 */
#define BW_SPAN_ALIGN 8

/* Room for sock_common up to skc_v6_rcv_saddr (88 bytes on x86_64 6.x). */
#define BW_SKC_SPAN 96

/*
 * The fields every socket shares, from its sock_common: family, bound
 * address and port, device, namespace, SO_REUSEADDR/SO_REUSEPORT/V6ONLY.
 * False when it is not an inet socket.  One read of the span the fields
 * lie in, into buf (BW_SKC_SPAN bytes, BW_SPAN_ALIGN-aligned), one for the
 * namespace's inode.
 */
static __always_inline bool read_sock_common_in(const struct sock_common *skc,
						struct bw_sock *s, __u8 *buf)
{
	const struct sock_common *c = (const void *)buf;
	__u32 hi = BW_FIELD_END(struct sock_common, skc_v6_rcv_saddr);
	struct net *net;

	if (BW_FIELD_END(struct sock_common, skc_net) > hi)
		hi = BW_FIELD_END(struct sock_common, skc_net);
	if (BW_FIELD_END(struct sock_common, skc_bound_dev_if) > hi)
		hi = BW_FIELD_END(struct sock_common, skc_bound_dev_if);
	if (hi > BW_SKC_SPAN || bpf_probe_read_kernel(buf, hi, skc))
		return false;
	s->family = BW_SPAN_FIELD(buf, 0, c, skc_family);
	if (s->family != AF_INET && s->family != AF_INET6)
		return false;
	s->port = BW_SPAN_FIELD(buf, 0, c, skc_num);
	if (s->family == AF_INET6) {
		__builtin_memcpy(s->addr, buf + bpf_core_field_offset(c->skc_v6_rcv_saddr),
				 sizeof(s->addr));
	} else {
		__be32 v4 = BW_SPAN_FIELD(buf, 0, c, skc_rcv_saddr);

		__builtin_memcpy(s->addr, &v4, sizeof(v4));
	}
	s->bound_ifindex = BW_SPAN_FIELD(buf, 0, c, skc_bound_dev_if);
	net = (struct net *)BW_SPAN_FIELD(buf, 0, c, skc_net.net);
	s->netns = BPF_CORE_READ(net, ns.inum);
	if (BW_SPAN_FIELD(buf, 0, c, skc_reuse))
		s->sockflags |= BW_SF_REUSEADDR;
	if (BW_SPAN_FIELD(buf, 0, c, skc_reuseport))
		s->sockflags |= BW_SF_REUSEPORT;
	if (s->family == AF_INET6 && BW_SPAN_FIELD(buf, 0, c, skc_ipv6only))
		s->sockflags |= BW_SF_V6ONLY;
	return true;
}

/* read_sock_common_in() into a span on the stack. */
static __always_inline bool read_sock_common(const struct sock_common *skc,
					     struct bw_sock *s)
{
	__u8 buf[BW_SKC_SPAN] __attribute__((aligned(BW_SPAN_ALIGN)));

	return read_sock_common_in(skc, s, buf);
}

/* Room for struct sock from sk_type to sk_uid (48 bytes on x86_64 6.x, more with lock debugging). */
#define BW_SK_SPAN 64

/*
 * Room read_sock_in() takes: the common part's span, reused for the full
 * socket's once the common part is read (the larger of the two).
 */
#define BW_SOCK_SCRATCH BW_SKC_SPAN
_Static_assert(BW_SK_SPAN <= BW_SKC_SPAN, "a full socket's span must fit where the common part's was");

/*
 * What a full socket adds to its common part: type, protocol, owner and
 * flags, through buf (BW_SK_SPAN bytes, BW_SPAN_ALIGN-aligned).  type,
 * protocol and owner lie close together in struct sock (sk_uid a lock and
 * a few words after sk_type): one span, or a read each where lock
 * debugging makes the span outgrow BW_SK_SPAN.  Linux 5.6 turned sk_type
 * and sk_protocol from bitfields into u16 fields (commit bf9765145b85,
 * "sock: Make sk_protocol a 16-bit value"): BW_SPAN_FIELD reads both
 * layouts.
 */
static __always_inline bool read_sock_rest(const struct sock *sk, struct bw_sock *s, __u8 *buf)
{
	__u32 lo = bpf_core_field_offset(struct sock, sk_uid);
	__u32 hi = BW_FIELD_END(struct sock, sk_uid);
	__u32 off_type = __CORE_RELO(sk, sk_type, BYTE_OFFSET);
	__u32 off_proto = __CORE_RELO(sk, sk_protocol, BYTE_OFFSET);
	__u32 end_type = off_type + __CORE_RELO(sk, sk_type, BYTE_SIZE);
	__u32 end_proto = off_proto + __CORE_RELO(sk, sk_protocol, BYTE_SIZE);

	if (off_type < lo)
		lo = off_type;
	if (off_proto < lo)
		lo = off_proto;
	lo &= ~(__u32)(BW_SPAN_ALIGN - 1);
	if (end_type > hi)
		hi = end_type;
	if (end_proto > hi)
		hi = end_proto;
	if (hi - lo > BW_SK_SPAN) {
		s->type = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_type);
		s->protocol = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);
		s->uid = BPF_CORE_READ(sk, sk_uid.val);
	} else if (!bpf_probe_read_kernel(buf, hi - lo, (const void *)sk + lo)) {
		s->type = BW_SPAN_FIELD(buf, lo, sk, sk_type);
		s->protocol = BW_SPAN_FIELD(buf, lo, sk, sk_protocol);
		s->uid = BW_SPAN_FIELD(buf, lo, sk, sk_uid.val);
	} else {
		return false;
	}
	s->sockflags |= inet_sockflags(sk);
	return true;
}

/* A full socket, its spans in scratch (BW_SOCK_SCRATCH bytes, BW_SPAN_ALIGN-aligned), one after the other. */
static __always_inline bool read_sock_in(const struct sock *sk, struct bw_sock *s, __u8 *scratch)
{
	return read_sock_common_in(&sk->__sk_common, s, scratch) && read_sock_rest(sk, s, scratch);
}

/* A full socket, its spans on the stack. */
static __always_inline bool read_sock(const struct sock *sk, struct bw_sock *s)
{
	__u8 buf[BW_SOCK_SCRATCH] __attribute__((aligned(BW_SPAN_ALIGN)));

	return read_sock_in(sk, s, buf);
}

#endif /* BW_SOCK_BPF_H */
