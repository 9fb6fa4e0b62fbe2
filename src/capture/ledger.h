/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ledger.h - who bound each socket, remembered from the successful bind()
 * calls bindwatch saw, so a conflict record can tell the story of a port:
 * "bound 3h ago by deploy.sh[812], since exited; now held by python3[815]".
 */
#ifndef BW_LEDGER_H
#define BW_LEDGER_H

#include <stddef.h>
#include <time.h>
#include <linux/types.h>
#include "bindwatch.h"

#define LEDGER_MAX 4096      /* the oldest entries make room for new ones */
#define LEDGER_UID_SHARE 512 /* entries one uid may hold; then its own oldest go */

struct ledger_entry {
	__u64 ino;             /* the socket's inode */
	__u64 start_ns;        /* the binder's process start */
	__u64 seq;             /* order of addition: higher is newer */
	__u32 pid;
	__u32 uid;             /* the binder's */
	struct bw_sock sock;   /* the address bound (port 0: the kernel chose one) */
	char comm[BW_COMM_LEN];
	struct timespec wall;  /* when it was bound */
};

struct ledger {
	struct ledger_entry v[LEDGER_MAX];
	size_t n;    /* entries in use */
	size_t next; /* slot the next entry goes to, unless its uid is over its share */
	__u64 seq;   /* entries added so far */
};

/* Remember the successful bind() ev describes, made at wall. */
void ledger_add(struct ledger *l, const struct bw_event *ev, const struct timespec *wall);

/* The bind of socket ino, or NULL when bindwatch did not see it. */
const struct ledger_entry *ledger_find(const struct ledger *l, __u64 ino);

#endif /* BW_LEDGER_H */
