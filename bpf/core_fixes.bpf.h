/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * core_fixes.bpf.h - every kernel-layout difference bindwatch meets, in one
 * place.
 *
 * vmlinux.h describes one kernel; CO-RE relocates field offsets for the
 * others, but a field that moved or changed type needs a "___flavor" struct
 * describing the old layout and a bpf_core_field_exists() test to choose at
 * load time.  Each fix names the kernel commit (hash and subject) that
 * forced it, as bcc's libbpf-tools do.  Version macros are never used:
 * distribution kernels backport.
 */
#ifndef BW_CORE_FIXES_BPF_H
#define BW_CORE_FIXES_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include "bindwatch.h"

/*
 * Linux 6.6 moved the inet_sock flag bitfields (freebind, transparent, ...)
 * into the atomic bit word inet_sock.inet_flags: commits 3f7e753206bb
 * ("inet: move inet->freebind to inet->inet_flags") and 4bd0623f04ee
 * ("inet: move inet->transparent to inet->inet_flags").  The bit numbers come from an anonymous enum that CO-RE
 * cannot relocate; they have not changed since 6.6 and are copied here.
 */
struct inet_sock___pre66 {
	__u8 freebind : 1;
	__u8 transparent : 1;
	__u8 bind_address_no_port : 1;
} __attribute__((preserve_access_index));

struct inet_sock___66 {
	unsigned long inet_flags;
} __attribute__((preserve_access_index));

enum {
	BW_INET_FLAGS_FREEBIND = 11,
	BW_INET_FLAGS_TRANSPARENT = 15,
	BW_INET_FLAGS_BIND_ADDRESS_NO_PORT = 18, /* "inet: move inet->bind_address_no_port to inet->inet_flags", the same series */
};

/* BW_SF_FREEBIND and BW_SF_TRANSPARENT of sk: one read of the flag word since 6.6. */
static __always_inline __u32 inet_sockflags(const struct sock *sk)
{
	__u32 flags = 0;

	if (bpf_core_field_exists(struct inet_sock___66, inet_flags)) {
		unsigned long f = BPF_CORE_READ((struct inet_sock___66 *)sk, inet_flags);

		if (f & (1UL << BW_INET_FLAGS_FREEBIND))
			flags |= BW_SF_FREEBIND;
		if (f & (1UL << BW_INET_FLAGS_TRANSPARENT))
			flags |= BW_SF_TRANSPARENT;
		return flags;
	}
	const struct inet_sock___pre66 *old = (const void *)sk;

	if (BPF_CORE_READ_BITFIELD_PROBED(old, freebind))
		flags |= BW_SF_FREEBIND;
	if (BPF_CORE_READ_BITFIELD_PROBED(old, transparent))
		flags |= BW_SF_TRANSPARENT;
	return flags;
}

/* IP_BIND_ADDRESS_NO_PORT of sk: a bind() to port 0 then takes no port. */
static __always_inline bool inet_bind_no_port(const struct sock *sk)
{
	if (bpf_core_field_exists(struct inet_sock___66, inet_flags))
		return BPF_CORE_READ((struct inet_sock___66 *)sk, inet_flags) &
		       (1UL << BW_INET_FLAGS_BIND_ADDRESS_NO_PORT);
	const struct inet_sock___pre66 *old = (const void *)sk;

	return BPF_CORE_READ_BITFIELD_PROBED(old, bind_address_no_port);
}

/*
 * Linux 5.6 turned sk_type and sk_protocol from bitfields into u16 fields
 * (commit bf9765145b85, "sock: Make sk_protocol a 16-bit value"): read_sock()
 * in sock.bpf.h reads them from a span with BW_SPAN_FIELD, which takes
 * both layouts.
 */

/*
 * Linux 5.5 renamed task_struct.real_start_time to start_boottime: commit
 * cf25e24db61c ("time: Rename tsk->real_start_time to ->start_boottime").
 * Both count ns since boot including suspend, which is what /proc/PID/stat
 * field 22 reports.
 */
struct task_struct___pre55 {
	__u64 real_start_time;
} __attribute__((preserve_access_index));

static __always_inline __u64 task_start_boottime(const struct task_struct *t)
{
	if (bpf_core_field_exists(t->start_boottime))
		return BPF_CORE_READ(t, start_boottime);
	const struct task_struct___pre55 *old = (const void *)t;

	return BPF_CORE_READ(old, real_start_time);
}

/*
 * Linux 6.13 made struct file's reference count a file_ref_t, f_ref,
 * whose counter holds the references less one (commit 90ee6ed776c0,
 * "fs: port files to file_ref"); before, atomic_long_t f_count held them.
 */
struct file___pre613 {
	atomic_long_t f_count;
} __attribute__((preserve_access_index));

/* spelled out: a vmlinux.h of an older kernel (arm64's) has no file_ref_t */
struct file_ref___613 {
	atomic_long_t refcnt;
};

struct file___613 {
	struct file_ref___613 f_ref;
} __attribute__((preserve_access_index));

static __always_inline __u32 file_refs(const struct file *f)
{
	const struct file___613 *now = (const void *)f;
	const struct file___pre613 *old = (const void *)f;

	if (bpf_core_field_exists(now->f_ref))
		return BPF_CORE_READ(now, f_ref.refcnt.counter) + 1;
	return BPF_CORE_READ(old, f_count.counter);
}

/*
 * An io_uring's registered files.  Up to 6.12 they are
 * ctx->file_table.files[i].file_ptr, ctx->nr_user_files of them; Linux
 * 6.13's rework of io_uring resources (io_uring/rsrc: "io_uring/filetable:
 * kill io_fixed_file", the table became file_table.data) keeps them as
 * ctx->file_table.data.nodes[i]->file_ptr, data.nr of them, a node NULL
 * for an empty slot.  Either way the file pointer's low bits are flags
 * (FFS_NOWAIT, FFS_ISREG, and FFS_SCM up to 6.6).
 */
struct io_fixed_file___pre613 {
	unsigned long file_ptr;
} __attribute__((preserve_access_index));

struct io_file_table___pre613 {
	struct io_fixed_file___pre613 *files;
} __attribute__((preserve_access_index));

struct io_ring_ctx___pre613 {
	struct io_file_table___pre613 file_table;
	unsigned int nr_user_files;
} __attribute__((preserve_access_index));

/* spelled out too: a vmlinux.h of an older kernel (arm64's) has neither */
struct io_rsrc_node___613 {
	unsigned long file_ptr;
} __attribute__((preserve_access_index));

struct io_rsrc_data___613 {
	unsigned int nr;
	struct io_rsrc_node___613 **nodes;
} __attribute__((preserve_access_index));

struct io_file_table___613 {
	struct io_rsrc_data___613 data;
} __attribute__((preserve_access_index));

struct io_ring_ctx___613 {
	struct io_file_table___613 file_table;
} __attribute__((preserve_access_index));

#define BW_IO_FILE_FLAGS 7UL

/* How many file slots ring has. */
static __always_inline __u32 io_ring_files(const struct io_ring_ctx *ctx)
{
	const struct io_ring_ctx___613 *now = (const void *)ctx;
	const struct io_ring_ctx___pre613 *old = (const void *)ctx;

	if (bpf_core_field_exists(now->file_table.data))
		return BPF_CORE_READ(now, file_table.data.nr);
	return BPF_CORE_READ(old, nr_user_files);
}

/* The file registered in slot i of ctx's table, or NULL. */
static __always_inline struct file *io_ring_file(const struct io_ring_ctx *ctx, __u32 i)
{
	const struct io_ring_ctx___613 *now = (const void *)ctx;
	const struct io_ring_ctx___pre613 *old = (const void *)ctx;
	unsigned long ptr = 0;

	if (bpf_core_field_exists(now->file_table.data)) {
		struct io_rsrc_node___613 **nodes = BPF_CORE_READ(now, file_table.data.nodes);
		struct io_rsrc_node___613 *node = NULL;

		bpf_probe_read_kernel(&node, sizeof(node), &nodes[i]);
		ptr = node ? BPF_CORE_READ(node, file_ptr) : 0;
	} else {
		struct io_fixed_file___pre613 *files = BPF_CORE_READ(old, file_table.files);

		bpf_probe_read_kernel(&ptr, sizeof(ptr), &files[i].file_ptr);
	}
	return (struct file *)(ptr & ~BW_IO_FILE_FLAGS);
}

/*
 * Where the TCP bind hash keeps a port's sockets.  Up to Linux 6.7 each
 * struct inet_bind_bucket (one per netns, port and l3mdev) lists them in
 * tb->owners.  Linux 6.8's series "tcp: Link bhash2 to bhash" ("tcp: Link
 * bhash2 to bhash.", "tcp: Unlink sk from bhash.", "tcp: Link sk and twsk
 * to tb2->owners using skc_bind_node.") lists the port's address buckets
 * (struct inet_bind2_bucket, by tb2->bhash_node) in tb->bhash2 instead,
 * and the sockets in each tb2->owners.  Either way a socket, full or
 * TIME_WAIT, is linked by its sock_common's skc_bind_node.
 */
struct inet_bind_bucket___pre68 {
	struct hlist_head owners;
} __attribute__((preserve_access_index));

struct inet_bind_bucket___68 {
	struct hlist_head bhash2;
} __attribute__((preserve_access_index));

struct inet_bind2_bucket___68 {
	struct hlist_node bhash_node;
	struct hlist_head owners;
} __attribute__((preserve_access_index));

/* True when a port's sockets hang off its address buckets (6.8+). */
static __always_inline bool bhash_by_address(void)
{
	return bpf_core_field_exists(struct inet_bind_bucket___68, bhash2);
}

/*
 * Linux 6.1 gave TCP a hash table per network namespace (commit
 * d1e5e6408b30, "tcp: Introduce optional per-netns ehash."): tcp_prot's
 * h.hashinfo became NULL and each netns's table is
 * net->ipv4.tcp_death_row.hashinfo (the bind hash, bhash, stays shared).
 * Linux 6.2 did the same for UDP (commit 9804985bf27f, "udp: Introduce
 * optional per-netns hash table."): udp_prot's h.udp_table became NULL,
 * the table is net->ipv4.udp_table.  Before either, the protocol's own
 * pointer is the table.
 */
struct netns_ipv4___61 {
	struct inet_timewait_death_row tcp_death_row;
} __attribute__((preserve_access_index));

struct net___61 {
	struct netns_ipv4___61 ipv4;
} __attribute__((preserve_access_index));

struct netns_ipv4___62 {
	struct udp_table *udp_table;
} __attribute__((preserve_access_index));

struct net___62 {
	struct netns_ipv4___62 ipv4;
} __attribute__((preserve_access_index));

static __always_inline struct inet_hashinfo *tcp_hashinfo(const struct sock *sk,
							  const struct net *net)
{
	struct inet_hashinfo *h = BPF_CORE_READ(sk, __sk_common.skc_prot, h.hashinfo);

	if (h || !bpf_core_field_exists(struct netns_ipv4___61, tcp_death_row.hashinfo))
		return h;
	return BPF_CORE_READ((const struct net___61 *)net, ipv4.tcp_death_row.hashinfo);
}

static __always_inline struct udp_table *udp_table_of(const struct sock *sk,
						      const struct net *net)
{
	struct udp_table *t = BPF_CORE_READ(sk, __sk_common.skc_prot, h.udp_table);

	if (t || !bpf_core_field_exists(struct netns_ipv4___62, udp_table))
		return t;
	return BPF_CORE_READ((const struct net___62 *)net, ipv4.udp_table);
}

/*
 * Linux 6.3 made kernel_cap_t one u64 (commit f122a08b197d, "capability:
 * just use a 'u64' instead of a 'u32[2]' array"); before, two u32 words,
 * the low one first.
 */
struct kernel_cap_struct___pre63 {
	__u32 cap[2];
} __attribute__((preserve_access_index));

struct cred___pre63 {
	struct kernel_cap_struct___pre63 cap_effective;
} __attribute__((preserve_access_index));

/* spelled out: a vmlinux.h of an older kernel has kernel_cap_t as the struct above */
struct kernel_cap___63 {
	__u64 val;
} __attribute__((preserve_access_index));

struct cred___63 {
	struct kernel_cap___63 cap_effective;
} __attribute__((preserve_access_index));

/* The effective capabilities of cred, as one 64-bit set. */
static __always_inline __u64 cred_cap_effective(const struct cred *cred)
{
	const struct cred___63 *now = (const void *)cred;
	const struct cred___pre63 *old = (const void *)cred;

	if (bpf_core_field_exists(now->cap_effective.val))
		return BPF_CORE_READ(now, cap_effective.val);
	return BPF_CORE_READ(old, cap_effective.cap[0]) |
	       (__u64)BPF_CORE_READ(old, cap_effective.cap[1]) << 32;
}

#endif /* BW_CORE_FIXES_BPF_H */
