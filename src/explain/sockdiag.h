/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * sockdiag.h - the sockets on a port from the kernel's socket tables
 * (NETLINK_SOCK_DIAG, as ss reads them) and their holders from /proc:
 * what `bindwatch who` answers with when no monitor has pinned the holder
 * iterators and the host is small enough for a /proc scan to beat loading
 * them.
 */
#ifndef BW_SOCKDIAG_H
#define BW_SOCKDIAG_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "holders.h"

/*
 * Whether this host is small enough for sockdiag_find() to be the faster
 * source: its cost grows with every open file on the host, the
 * iterators' cost is mostly a fixed load.  The number of open files is
 * the kernel's (/proc/sys/fs/file-nr), one read.
 */
bool sockdiag_suits(void);

/*
 * The same answer as holders_find() for the same query, from the socket
 * tables and /proc.  0 or -errno (-EOPNOTSUPP: this kernel cannot be asked
 * that way, or a socket may be held by a process whose descriptors we may
 * not read: use the iterators); out is empty on error and must be freed
 * with holder_list_free() otherwise.
 */
int sockdiag_find(const struct holder_query *q, struct holder_list *out);

/* A socket on a port of a range, and the other end of its connection. */
struct sockdiag_conn {
	struct bw_holder h; /* pid, fd, comm, start_ns: its process's, 0 when none was found */
	__u8 daddr[16];     /* IPv4 in the first 4 bytes; all 0 when not connected */
	__u16 dport;
};

/*
 * Every socket of q->protocol (0: TCP and UDP) in q's namespace whose
 * local port is in [lo, hi], the ports compared in the kernel; with
 * owners, each with a file named with the process holding it (the first
 * in /proc order for a shared one): one pass over every /proc/PID/fd.
 * Where the kernel has no diag module loaded, from /proc/net's tables.
 * *out (free()) holds *n of them.  0 or -errno.
 */
int sockdiag_range(const struct holder_query *q, __u16 lo, __u16 hi, bool owners,
		   struct sockdiag_conn **out, size_t *n);

/* A sock_diag socket of our own network namespace, or -errno. */
int sockdiag_open(void);

/*
 * The uid owning the socket at the other end of a TCP connection we
 * accepted, when that end is a socket of this network namespace: peer is
 * its address (the connection's remote end), local ours, both of one
 * family (AF_INET or AF_INET6; an IPv4 peer of an IPv6 listener unmapped
 * first).  0; -ENOENT when no process of this namespace holds that end (a
 * remote peer, or one that closed its socket); or -errno.  fd is a
 * sockdiag_open() socket; one request, one answer, never waited for.
 */
int sockdiag_peer_uid(int fd, const struct sockaddr *peer, const struct sockaddr *local,
		      uint32_t *uid);

#endif /* BW_SOCKDIAG_H */
