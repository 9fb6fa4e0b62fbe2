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
} __attribute__((preserve_access_index));

struct inet_sock___66 {
	unsigned long inet_flags;
} __attribute__((preserve_access_index));

enum {
	BW_INET_FLAGS_FREEBIND = 11,
	BW_INET_FLAGS_TRANSPARENT = 15,
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

#endif /* BW_CORE_FIXES_BPF_H */
