/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * owners.bpf.h - the sockets the kernel had on a port at the failing
 * call, read from the kernel's own index of that port into the record
 * (bw_event.owners): TCP's bind hash, where every bound socket of a port
 * is listed, TIME_WAIT ones included; UDP's hash table by port.  The
 * holder as it was, which a holder that closes a microsecond after the
 * failure cannot take away: userspace names its process from the socket.
 *
 * Only lists are followed, a bounded number of nodes (BW_OWNERS_STEPS) in
 * all, and a socket is read only once it is one of the BW_OWNERS_MAX
 * kept; a lookup cut short says so (BW_OWNERS_MORE) and userspace walks
 * by port as without it.  The lists are read without their locks, by
 * probe reads: a list changing under the walk gives a wrong or short
 * answer, never a fault.
 *
 * A socket is read through the record's args as scratch (BW_SOCK_SCRATCH
 * bytes), not the stack: a capture program's frame leaves less than
 * that to the programs it calls (512 bytes in all), so fill_owners()
 * must run before the args are read.
 *
 * Must not: touch a map, nor decide whether a record goes out
 * (record.bpf.h calls it for a failure's record); no kernel-layout
 * difference here (core_fixes.bpf.h).
 */
#ifndef BW_OWNERS_BPF_H
#define BW_OWNERS_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bindwatch.h"
#include "core_fixes.bpf.h"
#include "sock.bpf.h"

/* List nodes followed per lookup, buckets and sockets together. */
#define BW_OWNERS_STEPS 48

_Static_assert(BW_SOCK_SCRATCH <= BW_ARGS_LEN, "a socket's spans must fit in a record's args");

/*
 * What a lookup looks for.  What it finds goes straight into the record:
 * owners_n counts the sockets kept, and each kept socket's address waits
 * in its entry's ino until read_owner() reads the socket.  Kept in the
 * record, not on the stack, so that the verifier does not follow every
 * count of sockets found through every step of the walk.
 */
struct owners_walk {
	const struct net *net;
	const struct sock_common *self; /* the requesting socket: not its own holder */
	__u16 port;
};

/* The hash of port in net, before the table's mask: inet_bhashfn(), udp_hashfn(). */
static __always_inline __u32 port_hash(const struct net *net, __u16 port)
{
	return port + BPF_CORE_READ(net, hash_mix);
}

#define BW_CONTAINER(ptr, type, member) \
	((type *)((void *)(ptr) - bpf_core_field_offset(type, member)))

static __always_inline struct hlist_node *node_next(const struct hlist_node *n)
{
	return BPF_CORE_READ(n, next);
}

/* Whether e has no room left for another owner, and said so. */
static __always_inline bool owners_full(const struct bw_event *e)
{
	return e->owners_flags & BW_OWNERS_MORE;
}

/* Keep skc in e unless it is the requester's own; past BW_OWNERS_MAX, only say there were more. */
static __always_inline void keep_owner(struct bw_event *e, const struct owners_walk *w,
				 const struct sock_common *skc)
{
	__u32 n = e->owners_n;

	if (skc == w->self)
		return;
	if (n >= BW_OWNERS_MAX) {
		e->owners_flags |= BW_OWNERS_MORE;
		return;
	}
	e->owners[n].ino = (__u64)skc;
	e->owners_n = n + 1;
}

/*
 * The bind hash bucket's chain from tb (buckets of any port whose hash
 * falls there): the sockets of the bucket of w's port and netns, directly
 * (to 6.7) or through its address buckets (6.8+).  One node per step, the
 * socket lists first, so the buckets' order is kept.
 */
static __always_inline void walk_bhash(struct bw_event *e, const struct owners_walk *w,
				       struct hlist_node *tb)
{
	bool by_address = bhash_by_address();
	struct hlist_node *tb2 = NULL, *skn = NULL;
	struct inet_bind_bucket *b;
	int i;

	for (i = 0; i < BW_OWNERS_STEPS && !owners_full(e); i++) {
		if (skn) {
			keep_owner(e, w, BW_CONTAINER(skn, struct sock_common, skc_bind_node));
			skn = node_next(skn);
		} else if (tb2) {
			skn = BPF_CORE_READ(BW_CONTAINER(tb2, struct inet_bind2_bucket___68,
							 bhash_node), owners.first);
			tb2 = node_next(tb2);
		} else if (tb) {
			b = BW_CONTAINER(tb, struct inet_bind_bucket, node);
			if (BPF_CORE_READ(b, port) == w->port &&
			    BPF_CORE_READ(b, ib_net.net) == w->net) {
				if (by_address)
					tb2 = BPF_CORE_READ((struct inet_bind_bucket___68 *)b,
							    bhash2.first);
				else
					skn = BPF_CORE_READ((struct inet_bind_bucket___pre68 *)b,
							    owners.first);
			}
			tb = node_next(tb);
		} else {
			return;
		}
	}
	if (skn || tb2 || tb)
		e->owners_flags |= BW_OWNERS_MORE;
}

/* TCP: the bind hash bucket of the port, as inet_bhashfn() finds it. */
static __always_inline void tcp_owners(struct bw_event *e, const struct owners_walk *w,
				       const struct sock *sk)
{
	struct inet_hashinfo *h = tcp_hashinfo(sk, w->net);
	struct inet_bind_hashbucket *bhash;
	__u32 size, slot;

	if (!h)
		return;
	bhash = BPF_CORE_READ(h, bhash);
	size = BPF_CORE_READ(h, bhash_size);
	if (!bhash || !size)
		return;
	slot = port_hash(w->net, w->port) & (size - 1);
	bhash = (void *)bhash + slot * bpf_core_type_size(struct inet_bind_hashbucket);
	walk_bhash(e, w, BPF_CORE_READ(bhash, chain.first));
}

/* UDP (and UDP-Lite): the slot of the port, as udp_hashfn() finds it, linked by skc_node. */
static __always_inline void udp_owners(struct bw_event *e, const struct owners_walk *w,
				       const struct sock *sk)
{
	struct udp_table *t = udp_table_of(sk, w->net);
	const struct sock_common *skc;
	struct hlist_node *skn;
	struct udp_hslot *hash;
	__u32 slot;
	int i;

	if (!t)
		return;
	hash = BPF_CORE_READ(t, hash);
	if (!hash)
		return;
	slot = port_hash(w->net, w->port) & BPF_CORE_READ(t, mask);
	hash = (void *)hash + slot * bpf_core_type_size(struct udp_hslot);
	skn = BPF_CORE_READ(hash, head.first);
	for (i = 0; i < BW_OWNERS_STEPS && skn && !owners_full(e); i++) {
		skc = BW_CONTAINER(skn, struct sock_common, skc_node);
		if (BPF_CORE_READ(skc, skc_num) == w->port && BPF_CORE_READ(skc, skc_net.net) == w->net)
			keep_owner(e, w, skc);
		skn = node_next(skn);
	}
	if (skn)
		e->owners_flags |= BW_OWNERS_MORE;
}

/*
 * One socket of the port, whose address keep_owner() left in o->ino: its
 * address and options (a TIME_WAIT one has only its sock_common), inode,
 * cookie and state, and whether the kernel opened it (a struct socket
 * with no file).
 */
static __always_inline void read_owner(struct bw_owner *o, __u8 *scratch)
{
	const struct sock_common *skc = (const void *)o->ino;
	const struct sock *sk = (const struct sock *)skc;
	struct socket *sock;
	struct file *file;

	__builtin_memset(o, 0, sizeof(*o));
	o->state = BPF_CORE_READ(skc, skc_state);
	if (bpf_core_field_exists(skc->skc_cookie))
		o->cookie = BPF_CORE_READ(skc, skc_cookie.counter);
	if (o->state == TCP_TIME_WAIT) {
		read_sock_common_in(skc, &o->sock, scratch);
		o->sock.type = SOCK_STREAM;
		o->sock.protocol = IPPROTO_TCP;
		return;
	}
	read_sock_in(sk, &o->sock, scratch);
	sock = BPF_CORE_READ(sk, sk_socket);
	file = sock ? BPF_CORE_READ(sock, file) : NULL;
	if (file)
		o->ino = BPF_CORE_READ(file, f_inode, i_ino);
	else
		o->kernel = sock != NULL;
}

/*
 * Fill e->owners from the index of the port e asked for (for listen(),
 * the port sk is bound to), in sk's namespace and protocol; sk is the
 * requesting socket, never one of its own owners.  Port 0 and protocols
 * without such an index leave the record without BW_OWNERS_LOOKED.
 * Uses e->args as scratch.  Not inlined: one copy serves every hook.
 */
static __noinline void fill_owners(struct bw_event *e, const struct sock *sk)
{
	struct owners_walk w = { .self = (const void *)sk, .port = e->sock.port };
	__u32 i;

	e->owners_n = 0;
	e->owners_flags = 0;
	if (!sk || !w.port)
		return;
	w.net = BPF_CORE_READ(sk, __sk_common.skc_net.net);
	if (e->sock.protocol == IPPROTO_TCP)
		tcp_owners(e, &w, sk);
	else if (e->sock.protocol == IPPROTO_UDP || e->sock.protocol == IPPROTO_UDPLITE)
		udp_owners(e, &w, sk);
	else
		return;
	for (i = 0; i < BW_OWNERS_MAX && i < e->owners_n; i++)
		read_owner(&e->owners[i], (__u8 *)e->args);
	e->owners_flags |= BW_OWNERS_LOOKED;
}

#endif /* BW_OWNERS_BPF_H */
