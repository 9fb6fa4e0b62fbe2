/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bindrules.bpf.h - the kernel's own rules for a bind(), applied by the
 * cgroup flavour at cgroup/bind4 and bind6, which run before the kernel
 * checks anything (inet_bind_sk()/inet6_bind_sk() call them first): which
 * error the call is bound to return before the port is even looked at, or
 * 0 when only the port can decide (EADDRINUSE, or a success that
 * post_bind4/6 will see).
 *
 * The order is the kernel's (__inet_bind(), __inet6_bind(), Linux 5.x to
 * 6.18):
 *   IPv4: EADDRNOTAVAIL (not a local address, without freebind,
 *         transparent or ip_nonlocal_bind), EACCES (a port below
 *         ip_unprivileged_port_start without CAP_NET_BIND_SERVICE in the
 *         socket's network namespace), EINVAL (the socket is bound or
 *         not closed);
 *   IPv6: EINVAL (multicast on a stream socket), EACCES, EINVAL (bound),
 *         EINVAL (v4-mapped on a v6-only socket), EADDRNOTAVAIL.
 * A local address is one of an up device's addresses in the socket's
 * namespace, any address in the prefix of a loopback device's (the local
 * route the kernel adds for it), a broadcast or multicast address (IPv4),
 * or a non-tentative address of any device (IPv6).  What is not read
 * (documented in doc/bindwatch.8): local routes added by hand and VRF
 * tables, an IPv6 scope id (the sockaddr's, which the hook does not get),
 * anycast addresses, and namespaces with more than BW_DEVS_MAX devices or a
 * device with more than BW_ADDRS_MAX addresses: the scan then gives up and
 * takes the address as local.
 *
 * Must not: write any map, nor read the task beyond its credentials.
 */
#ifndef BW_BINDRULES_BPF_H
#define BW_BINDRULES_BPF_H

#include <bpf/bpf_endian.h>
#include "capture.bpf.h"
#include "sock.bpf.h"
#include "core_fixes.bpf.h"

#define EINVAL 22        /* uapi asm-generic/errno-base.h */
#define EACCES 13
#define EADDRNOTAVAIL 99 /* uapi asm-generic/errno.h */

#define BW_DEVS_MAX 256   /* devices of a namespace scanned for an address */
#define BW_ADDRS_MAX 16   /* addresses of a device scanned */
#define BW_USERNS_MAX 33  /* user namespace levels (the kernel nests at most 32) */

#define BW_TCP_CLOSE 7            /* include/net/tcp_states.h */
#define BW_SOCK_STREAM 1
#define BW_CAP_NET_BIND_SERVICE 10 /* uapi linux/capability.h */
#define BW_IFF_UP 0x1             /* uapi linux/if.h */
#define BW_IFF_LOOPBACK 0x8
#define BW_IFA_F_OPTIMISTIC 0x04  /* uapi linux/if_addr.h */
#define BW_IFA_F_TENTATIVE 0x40
#define BW_V6_MULTICAST 0xff      /* the first byte of an IPv6 multicast address */
#define BW_V4MAPPED 0xffff        /* the third word of ::ffff:a.b.c.d */

/* The node after node in a kernel list (struct list_head). */
#define BW_LIST_NEXT(node) ((void *)BPF_CORE_READ((struct list_head *)(node), next))

/*
 * Whether an up device's IPv4 addresses make a4 (network order) local.
 * This and the two below are global functions: each is verified once, not
 * in every path of its callers, which the device and address loops would
 * multiply past the verifier's limit; their arguments are plain numbers,
 * as such a function's must be.
 */
__noinline int dev_has_v4(__u64 devp, __be32 a4)
{
	const struct net_device *dev = (const void *)devp;
	bool loopback = BPF_CORE_READ(dev, flags) & BW_IFF_LOOPBACK;
	struct in_ifaddr *ifa = BPF_CORE_READ(dev, ip_ptr, ifa_list);
	int i;

	for (i = 0; i < BW_ADDRS_MAX && ifa; i++) {
		__be32 local = BPF_CORE_READ(ifa, ifa_local), mask = BPF_CORE_READ(ifa, ifa_mask);

		if (a4 == local || a4 == BPF_CORE_READ(ifa, ifa_broadcast) ||
		    (loopback && (a4 & mask) == (local & mask)))
			return 1;
		ifa = BPF_CORE_READ(ifa, ifa_next);
	}
	return 0;
}

/* Whether one of dev's IPv6 addresses, not tentative, is a6_hi:a6_lo. */
__noinline int dev_has_v6(__u64 devp, __u64 a6_hi, __u64 a6_lo)
{
	const struct net_device *dev = (const void *)devp;
	__u32 link = bpf_core_field_offset(struct inet6_ifaddr, if_list);
	struct inet6_dev *idev = BPF_CORE_READ(dev, ip6_ptr);
	struct list_head *head, *pos;
	__u64 addr[2];
	__u32 flags;
	int i;

	if (!idev)
		return 0; /* no IPv6 on it */
	head = (void *)idev + bpf_core_field_offset(struct inet6_dev, addr_list);
	pos = BW_LIST_NEXT(head);
	for (i = 0; i < BW_ADDRS_MAX && pos && pos != head; i++) {
		const struct inet6_ifaddr *ifp = (void *)pos - link;

		flags = BPF_CORE_READ(ifp, flags);
		if (!bpf_probe_read_kernel(addr, sizeof(addr), &ifp->addr) &&
		    addr[0] == a6_hi && addr[1] == a6_lo &&
		    (!(flags & BW_IFA_F_TENTATIVE) || flags & BW_IFA_F_OPTIMISTIC))
			return 1;
		pos = BW_LIST_NEXT(pos);
	}
	return 0;
}

/*
 * Whether the address is one of netp's (v4: a4; else a6_hi:a6_lo): the devices of
 * the namespace in turn.  A scan that runs out of its bounds says yes, so
 * that a real conflict is never taken for EADDRNOTAVAIL.
 */
__noinline int addr_is_local(__u64 netp, int v4, __be32 a4, __u64 a6_hi, __u64 a6_lo)
{
	__u32 link = bpf_core_field_offset(struct net_device, dev_list);
	struct list_head *head = (void *)netp + bpf_core_field_offset(struct net, dev_base_head);
	struct list_head *pos = BW_LIST_NEXT(head);
	int i;

	for (i = 0; i < BW_DEVS_MAX; i++) {
		const struct net_device *dev = (void *)pos - link;

		if (!pos || pos == head)
			return 0;
		if (v4 ? BPF_CORE_READ(dev, flags) & BW_IFF_UP && dev_has_v4((__u64)dev, a4)
		       : dev_has_v6((__u64)dev, a6_hi, a6_lo))
			return 1;
		pos = BW_LIST_NEXT(pos);
	}
	return 1;
}

/* Whether the current task has CAP_NET_BIND_SERVICE in user namespace ns (cap_capable()). */
static __always_inline bool may_bind_service(const struct user_namespace *ns)
{
	const struct cred *cred = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), cred);
	const struct user_namespace *mine = BPF_CORE_READ(cred, user_ns);
	int i, level = BPF_CORE_READ(mine, level);

	for (i = 0; i < BW_USERNS_MAX && ns; i++) {
		if (ns == mine)
			return cred_cap_effective(cred) & (1ULL << BW_CAP_NET_BIND_SERVICE);
		if (BPF_CORE_READ(ns, level) <= level)
			return false;
		/* the owner of a namespace has every capability in it */
		if (BPF_CORE_READ(ns, parent) == mine &&
		    BPF_CORE_READ(ns, owner.val) == BPF_CORE_READ(cred, euid.val))
			return true;
		ns = BPF_CORE_READ(ns, parent);
	}
	return false;
}

/* EACCES when port needs CAP_NET_BIND_SERVICE in net and the caller lacks it, else 0. */
static __always_inline int port_errno(const struct net *net, __u16 port)
{
	if (port && port < BPF_CORE_READ(net, ipv4.sysctl_ip_prot_sock) &&
	    !may_bind_service(BPF_CORE_READ(net, user_ns)))
		return -EACCES;
	return 0;
}

/* Whether an IPv4 address is valid to bind on net (inet_addr_valid_or_nonlocal()). */
static __always_inline bool v4_valid(const struct net *net, __u32 flags, __be32 a4)
{
	__u8 first = ((const __u8 *)&a4)[0];

	return !a4 || a4 == 0xffffffff || (first & 0xf0) == 0xe0 || /* any, broadcast, multicast */
	       flags & (BW_SF_FREEBIND | BW_SF_TRANSPARENT) ||
	       BPF_CORE_READ(net, ipv4.sysctl_ip_nonlocal_bind) ||
	       addr_is_local((__u64)net, true, a4, 0, 0);
}

/*
 * The error bind() of s (the requested address and port, the socket's
 * options) on socket sk returns before it looks at the port, or 0.  v6:
 * the call is bind6's (an IPv6 socket), else bind4's.  A subprogram: its
 * stack is its own, not added to its caller's.
 */
static __noinline int bind_errno(const struct sock *sk, const struct bw_sock *s, bool v6)
{
	const struct net *net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	bool bound = BPF_CORE_READ(sk, __sk_common.skc_state) != BW_TCP_CLOSE ||
		     BPF_CORE_READ(sk, __sk_common.skc_num);
	__u64 a6[2];
	__u32 w[4];
	int err;

	__builtin_memcpy(w, s->addr, sizeof(w));
	__builtin_memcpy(a6, s->addr, sizeof(a6));
	if (!v6) {
		if (!v4_valid(net, s->sockflags, w[0]))
			return -EADDRNOTAVAIL;
		err = port_errno(net, s->port);
		return err ?: bound ? -EINVAL : 0;
	}
	if (s->addr[0] == BW_V6_MULTICAST && s->type == BW_SOCK_STREAM)
		return -EINVAL;
	err = port_errno(net, s->port);
	if (err || bound)
		return err ?: -EINVAL;
	if (!w[0] && !w[1] && w[2] == bpf_htonl(BW_V4MAPPED)) {
		if (s->sockflags & BW_SF_V6ONLY)
			return -EINVAL;
		return v4_valid(net, s->sockflags, w[3]) ? 0 : -EADDRNOTAVAIL;
	}
	if ((!a6[0] && !a6[1]) || s->addr[0] == BW_V6_MULTICAST ||
	    s->sockflags & (BW_SF_FREEBIND | BW_SF_TRANSPARENT) ||
	    BPF_CORE_READ(net, ipv6.sysctl.ip_nonlocal_bind))
		return 0;
	return addr_is_local((__u64)net, false, 0, a6[0], a6[1]) ? 0 : -EADDRNOTAVAIL;
}

#endif /* BW_BINDRULES_BPF_H */
