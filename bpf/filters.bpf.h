/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * filters.bpf.h - which calls are wanted: the filters (--port, --pid,
 * --comm, --cgroup), the outcomes asked for (--errors, --all, the ledger's
 * successful bind()s) and the successes watched besides.
 *
 * The filters run before anything is parked or reserved, so filtered-out
 * calls cost a few loads.  Successful calls are records only when asked
 * for: all of them (--all), the bind()s the ledger learns of (within a
 * budget per uid, ratelimit.bpf.h), and the watched ones (struct
 * bw_request.watch): calls on the ports the policy's expect rules name
 * ("expect_ports", written by userspace at start and at each reload), and,
 * with --reuseport-watch, calls on SO_REUSEPORT sockets.  Both tests use
 * what the call already read (the port, the socket's flags), so every
 * other successful call costs a bit test more.
 *
 * Must not: read the socket or the task beyond its pid, comm and cgroup,
 * nor write any map: every bind() and listen() on the host pays for what
 * runs here.
 */
#ifndef BW_FILTERS_BPF_H
#define BW_FILTERS_BPF_H

#include "capture.bpf.h"

#define EADDRINUSE 98 /* uapi asm-generic/errno.h */
#define EADDRNOTAVAIL 99
#define EAGAIN 11

/* Set by the loader between open and load. */
const volatile __u32 filters = 0;                 /* enum bw_filter bits */
const volatile __u32 report = 0;                  /* enum bw_report bits */
const volatile __u64 filter_cgroup_id = 0;
const volatile __u32 filter_cgroup_level = 0;
const volatile __u64 port_bitmap[BW_PORT_WORDS] = {};

/* Ports the policy's expect rules name; userspace rewrites both on reload. */
__u64 expect_ports[BW_PORT_WORDS] = {};
__u32 expect_ports_set = 0; /* some bit of expect_ports is set */

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* resized to the --pid list */
	__type(key, __u32);
	__type(value, __u8);
} pid_filter SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* resized to the --comm list */
	__type(key, char[BW_COMM_LEN]);
	__type(value, __u8);
} comm_filter SEC(".maps");

static __always_inline bool task_wanted(void)
{
	if (filters & BW_FILTER_PID) {
		__u32 tgid = bpf_get_current_pid_tgid() >> 32;

		if (!bpf_map_lookup_elem(&pid_filter, &tgid))
			return false;
	}
	if (filters & BW_FILTER_COMM) {
		char comm[BW_COMM_LEN] = {};

		bpf_get_current_comm(comm, sizeof(comm));
		if (!bpf_map_lookup_elem(&comm_filter, comm))
			return false;
	}
	if (filters & BW_FILTER_CGROUP &&
	    bpf_get_current_ancestor_cgroup_id(filter_cgroup_level) != filter_cgroup_id)
		return false;
	return true;
}

/*
 * port's bit in bitmap.  The word's index is masked behind a compiler
 * barrier: the compiler knows a __u16 needs no mask, but verifiers before
 * 6.x's byte-swap tracking (Debian's 6.1 and 6.12) lose the bound of a
 * port that went through bpf_ntohs() and refuse the load unmasked.
 */
static __always_inline bool port_bit(const volatile __u64 *bitmap, __u16 port)
{
	__u32 word = port / 64;

	barrier_var(word);
	return (bitmap[word & (BW_PORT_WORDS - 1)] >> (port % 64)) & 1;
}

static __always_inline bool port_wanted(__u16 port)
{
	if (!(filters & BW_FILTER_PORT))
		return true;
	return port_bit(port_bitmap, port);
}

static __always_inline bool expected_port(__u16 port)
{
	return port_bit(expect_ports, port);
}

/* Whether outcome ret of syscall is asked for (--errors, --all, the ledger). */
static __always_inline bool outcome_asked(long ret, __u8 syscall)
{
	/* connect(): only running out of ephemeral ports (connect.bpf.h) */
	if (syscall == BW_SYS_CONNECT)
		return ret == -EADDRNOTAVAIL || ret == -EAGAIN;
	if (ret == -EADDRINUSE)
		return true;
	if (ret == 0)
		return report & BW_REPORT_SUCCESS ||
		       (syscall == BW_SYS_BIND && report & BW_REPORT_BINDS);
	return ret < 0 && report & BW_REPORT_ERRORS;
}

/*
 * Whether a call with outcome ret may be wanted, before its socket is read
 * (fexit): asked for, or a success that something may watch.
 */
static __always_inline bool outcome_wanted(long ret, __u8 syscall)
{
	return outcome_asked(ret, syscall) ||
	       (ret == 0 && (report & BW_REPORT_REUSEPORT || expect_ports_set));
}

/* Whether req's call with outcome ret is wanted, now that its socket is known. */
static __always_inline bool request_wanted(const struct bw_request *req, long ret)
{
	if (ret == 0 && req->watch & REQ_WATCHED)
		return true;
	return req->watch & REQ_FILTERED && outcome_asked(ret, req->syscall);
}

/*
 * Whether a call on port may be wanted, before its socket is read: in
 * --port, expected, or any port with --reuseport-watch (the socket's flag
 * decides then).
 */
static __always_inline bool port_may_matter(__u16 port)
{
	return port_wanted(port) || expected_port(port) || report & BW_REPORT_REUSEPORT;
}

/* The watch bits of a request on socket s (enum req_watch). */
static __always_inline __u8 watch_of(const struct bw_sock *s)
{
	__u8 w = port_wanted(s->port) ? REQ_FILTERED : 0;

	if (expected_port(s->port) ||
	    (report & BW_REPORT_REUSEPORT && s->sockflags & BW_SF_REUSEPORT))
		w |= REQ_WATCHED;
	return w;
}

#endif /* BW_FILTERS_BPF_H */
