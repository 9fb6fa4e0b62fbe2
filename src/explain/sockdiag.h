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

#endif /* BW_SOCKDIAG_H */
