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
 * The fields every socket shares, from its sock_common: family, bound
 * address and port, device, namespace, SO_REUSEADDR/SO_REUSEPORT/V6ONLY.
 * False when it is not an inet socket.
 */
static __always_inline bool read_sock_common(const struct sock_common *skc,
					     struct bw_sock *s)
{
	s->family = BPF_CORE_READ(skc, skc_family);
	if (s->family != AF_INET && s->family != AF_INET6)
		return false;
	s->port = BPF_CORE_READ(skc, skc_num);
	if (s->family == AF_INET6) {
		BPF_CORE_READ_INTO(&s->addr, skc, skc_v6_rcv_saddr);
	} else {
		/* READ_INTO reads sizeof(dst): go through a 4-byte local */
		__be32 v4 = BPF_CORE_READ(skc, skc_rcv_saddr);

		__builtin_memcpy(s->addr, &v4, sizeof(v4));
	}
	s->bound_ifindex = BPF_CORE_READ(skc, skc_bound_dev_if);
	s->netns = BPF_CORE_READ(skc, skc_net.net, ns.inum);
	if (BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuse))
		s->sockflags |= BW_SF_REUSEADDR;
	if (BPF_CORE_READ_BITFIELD_PROBED(skc, skc_reuseport))
		s->sockflags |= BW_SF_REUSEPORT;
	if (s->family == AF_INET6 && BPF_CORE_READ_BITFIELD_PROBED(skc, skc_ipv6only))
		s->sockflags |= BW_SF_V6ONLY;
	return true;
}

/* A full socket: the common part plus type, protocol, owner and flags. */
static __always_inline bool read_sock(const struct sock *sk, struct bw_sock *s)
{
	if (!read_sock_common(&sk->__sk_common, s))
		return false;
	s->type = sk_type(sk);
	s->protocol = sk_protocol(sk);
	s->uid = BPF_CORE_READ(sk, sk_uid.val);
	if (inet_freebind(sk))
		s->sockflags |= BW_SF_FREEBIND;
	if (inet_transparent(sk))
		s->sockflags |= BW_SF_TRANSPARENT;
	return true;
}

#endif /* BW_SOCK_BPF_H */
