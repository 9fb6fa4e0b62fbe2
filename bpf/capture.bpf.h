/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * capture.bpf.h - what every part of the capture programs shares: the
 * request a call makes (struct bw_request), the counters of what could
 * not be recorded ("stats"), the retry bound of a compare-and-swap, and
 * whether the task's fields are plain loads (task_btf).
 *
 * The capture headers (this one, filters, request, uids, ratelimit,
 * storms, record, emit, park and flush .bpf.h) define maps and global
 * variables, not only functions: bindwatch.bpf.c alone includes them, and
 * its skeleton is their one home.  Another BPF object (holders.bpf.c)
 * must not include them, or it would carry maps of the same names of its
 * own.  Each includes only headers listed before it at the head of
 * bindwatch.bpf.c, so that they read, and build, bottom up.
 *
 * Must not: hold what only one concern uses (it goes to that concern's
 * header), nor a kernel-layout difference (core_fixes.bpf.h has them all).
 */
#ifndef BW_CAPTURE_BPF_H
#define BW_CAPTURE_BPF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bindwatch.h"

#define CAS_TRIES 4 /* compare-and-swap attempts before leaving it to later */

/*
 * Set by the loader between open and load.  The kernel lets tracing
 * programs use task-local storage (Linux 5.13, commit a10787e6d58c, "bpf:
 * Enable task local storage for tracing programs"; typed task pointers,
 * bpf_get_current_task_btf(), came in 5.11): requests are parked in
 * "requests" instead of "inflight", and the task's fields are plain loads
 * instead of a probe read per pointer.
 */
const volatile bool task_btf = false;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, BW_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

/*
 * What a call asked for, known on entry: the socket half of a record.  Kept
 * small, on the stack and parked; the record itself is built in the
 * ring buffer.  Small it must stay: fexit_inet_bind's frame and the one
 * it calls are within 16 bytes of the verifier's 512.  So a connect()'s
 * destination address travels in sock.addr, where a bind() has the
 * address it asks for (the connecting socket's own address is not
 * recorded: it has no port), and record.bpf.h moves it to bw_event.daddr;
 * and a kernel stack's id, below BW_KSTACKS_MAX, is kept in 16 bits.
 */
struct bw_request {
	struct bw_sock sock; /* BW_SYS_CONNECT: addr is the destination's */
	__u64 sock_ino;
	__u8 syscall; /* 0 in "requests": nothing parked */
	__u8 watch;   /* enum req_watch: why a success would be a record */
	__u8 via;     /* enum bw_call_via: how the call reached the socket */
	__u8 __pad;
	__u16 dport;  /* BW_SYS_CONNECT: the destination's port */
	__u16 kstack; /* BW_CALL_KERNEL: bw_event.kstack (at most BW_KSTACKS_MAX) */
};

_Static_assert(sizeof(struct bw_request) == 56, "bw_request grew: fexit frames pass 512");
_Static_assert(BW_KSTACKS_MAX < 0xffff, "a kstack id no longer fits bw_request.kstack");

/* Why a successful call is wanted besides --all and the ledger. */
enum req_watch {
	REQ_FILTERED = 1 << 0, /* the port is in --port (or there is no --port) */
	REQ_WATCHED = 1 << 1,  /* an expected port, or SO_REUSEPORT with --reuseport-watch */
};

/* Atomic: the flusher may run on the same CPU as a capture program. */
static __always_inline void stat_add(__u32 idx, __u64 n)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &idx);

	if (v)
		__sync_fetch_and_add(v, n);
}

#endif /* BW_CAPTURE_BPF_H */
