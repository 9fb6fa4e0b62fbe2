/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ephemeral.h - a network namespace's ephemeral ports: the range the kernel
 * picks from (ip_local_port_range less ip_local_reserved_ports), how much
 * of it sockets take, and the processes that take most of it, with where
 * their connections go.  What a record of a connect() (or a bind() to port
 * 0) that found no free port says, what `bindwatch who --ephemeral` prints
 * and what the ephemeral gauges count.
 */
#ifndef BW_EPHEMERAL_H
#define BW_EPHEMERAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "netns.h"
#include "portlist.h"
#include "procinfo.h"
#include "sockdiag.h"

#define EPH_TOP_MAX 5  /* processes a view names, those holding most ports first */
#define EPH_DEST_MAX 3 /* destinations named per process, the most used first */
#define EPH_SYSCTL_LEN 4096 /* room for ip_local_reserved_ports as the kernel prints it */

/* The ports the kernel picks ephemeral ones from. */
struct eph_range {
	uint16_t lo, hi;                   /* ip_local_port_range */
	uint64_t reserved[PORTLIST_WORDS]; /* ip_local_reserved_ports */
	uint32_t size;                     /* ports of [lo, hi] not reserved */
};

/* Where some of a process's sockets of the range connect to. */
struct eph_dest {
	uint16_t family;
	uint16_t port;
	__u8 addr[16];
	uint32_t sockets;
};

/* A process holding sockets on ports of the range. */
struct eph_holder {
	uint32_t pid;
	uint64_t start_ns;
	uint32_t uid;                       /* the sockets' owner */
	char comm[BW_COMM_LEN];
	uint32_t sockets;                   /* its sockets on ports of the range */
	struct eph_dest dests[EPH_DEST_MAX];
	size_t ndests;
	uint32_t other_dests;               /* its sockets to destinations past dests */
	struct proc_info pi;                /* its workload, exe, ... (ephemeral_view()) */
};

/* A namespace's range, its use, and its top holders. */
struct eph_view {
	__u32 netns;
	int protocol;        /* IPPROTO_TCP or IPPROTO_UDP: their ports are apart */
	struct eph_range range;
	uint32_t in_use;     /* ports of the range some socket is on */
	uint32_t sockets;    /* sockets on them */
	uint32_t time_wait;  /* of which in TIME_WAIT */
	uint32_t unheld;     /* of which, TIME_WAIT aside, no process was found holding */
	struct eph_holder top[EPH_TOP_MAX];
	size_t ntop;
	uint32_t other_holders; /* processes past top */
	bool owners;         /* the processes were looked for */
};

/*
 * The range from the text of ip_local_port_range ("LO\tHI") and of
 * ip_local_reserved_ports (a port list, or empty).  0, or -EINVAL with
 * what was expected in err.
 */
int eph_range_parse(const char *range, const char *reserved, struct eph_range *r, char *err,
		    size_t errlen);

/*
 * Count into v (whose range is set) the n sockets of c, v->protocol's
 * only, and name the top holders (no /proc read): c is sorted on the way.
 */
void eph_tally(struct eph_view *v, struct sockdiag_conn *c, size_t n);

/*
 * The view of protocol in the namespace open as netns_fd (-1: our own),
 * whose inode is netns; owners: the processes too (a pass over every
 * /proc/PID/fd, then each top holder's /proc), else the counts alone (one
 * dump of the socket tables, filtered by port in the kernel).  0 or
 * -errno, with nothing to free; else free it with eph_view_free().
 */
int ephemeral_view(int netns_fd, __u32 netns, int protocol, bool owners, struct eph_view *v);

/*
 * ephemeral_view() with owners for the conflict ev: in its requester's
 * namespace (-ESRCH when that is another and the requester is gone), of
 * its socket's protocol.
 */
int ephemeral_for(const struct bw_event *ev, struct eph_view *v);

void eph_view_free(struct eph_view *v);

/*
 * The gauges' namespaces are bounded: the monitor's own and the busiest
 * few others, chosen by ports in use among at most EPH_WATCH_MAX
 * candidates: those `ip netns` names (/run/netns) and those of the last
 * conflicts over ephemeral ports.
 */
#define EPH_GAUGE_NETNS 5 /* the monitor's own namespace and the 4 busiest others */
#define EPH_WATCH_MAX 16

/* One namespace's TCP range and its use, for the gauges. */
struct eph_gauge {
	__u32 netns;
	char name[NETNS_NAME_LEN]; /* "" for none */
	uint32_t in_use, size;
};

/* The candidates besides /run/netns: namespaces of recent conflicts, by their requester. */
struct eph_watch {
	struct {
		__u32 netns;
		uint32_t pid;       /* a process in it: its requester */
		uint64_t start_ns;
		char name[NETNS_NAME_LEN];
	} v[EPH_WATCH_MAX];
	size_t n;
	size_t next;        /* the oldest, replaced when full */
};

/* Note the namespace of the conflict ev, named name ("" for none). */
void eph_watch_note(struct eph_watch *w, const struct bw_event *ev, const char *name);

/*
 * Sample the candidates' TCP ranges (counts only): the monitor's own
 * first, then the busiest, into out; their number.  A noted namespace
 * whose requester is gone is dropped.
 */
size_t eph_watch_sample(struct eph_watch *w, struct eph_gauge out[EPH_GAUGE_NETNS]);

#endif /* BW_EPHEMERAL_H */
