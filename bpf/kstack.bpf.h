/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * kstack.bpf.h - the kernel stack of a bind or listen the kernel made on
 * a socket of its own (kernel_bind() from VXLAN, Geneve, WireGuard,
 * sunrpc, ...), for fexit mode, which sees them: a record's requester is
 * then the task on whose behalf the kernel bound (ip bringing vxlan0 up),
 * and the stack names the function and module that bound, which userspace
 * finds in /proc/kallsyms (src/enrich/kcaller.c).
 *
 * Stacks are kept by the kernel in "kstacks", one per distinct stack, a
 * record carrying its id (bw_event.kstack).  A stack whose bucket another
 * holds is not kept (the record then names no caller) rather than
 * replacing one an earlier record may still point to: an id is never
 * given to another stack, so userspace names each id's caller once.  The
 * map is bounded, and distinct stacks are few: one per path a driver
 * binds by.
 *
 * Must not: take a stack for any other call (only the kernel's own binds
 * are rare enough to pay for one).
 */
#ifndef BW_KSTACK_BPF_H
#define BW_KSTACK_BPF_H

#include "capture.bpf.h"

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, BW_KSTACKS_MAX); /* the loader cuts it to one without fexit */
	__uint(key_size, sizeof(__u32));
	__uint(value_size, BW_KSTACK_DEPTH * sizeof(__u64));
} kstacks SEC(".maps");

/* bw_event.kstack of the current call, made by a program with context ctx. */
static __always_inline __u32 kernel_stack(void *ctx)
{
	long id = bpf_get_stackid(ctx, &kstacks, 0);

	return id < 0 ? 0 : (__u32)id + 1;
}

#endif /* BW_KSTACK_BPF_H */
