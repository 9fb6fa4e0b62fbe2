// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ledger.c - a fixed-size ring of the binds bindwatch has seen, keyed by
 * socket inode.  The inode is what the holder iterators report, and unlike
 * a pid it names the socket itself: the process that bound it may have
 * exited and left it to a child.  A fixed ring keeps memory bounded on a
 * host that binds all day; a lookup is a linear scan, microseconds, done
 * only when a conflict is diagnosed.
 */
#include <string.h>
#include "ledger.h"

void ledger_add(struct ledger *l, const struct bw_event *ev, const struct timespec *wall)
{
	struct ledger_entry *e = &l->v[l->next];

	e->ino = ev->sock_ino;
	e->start_ns = ev->start_ns;
	e->pid = ev->pid;
	memcpy(e->comm, ev->comm, sizeof(e->comm));
	e->wall = *wall;
	l->next = (l->next + 1) % LEDGER_MAX;
	if (l->n < LEDGER_MAX)
		l->n++;
}

const struct ledger_entry *ledger_find(const struct ledger *l, __u64 ino)
{
	size_t i, slot;

	if (!ino)
		return NULL;
	/* newest first: an inode number can be reused after a socket closes */
	for (i = 1; i <= l->n; i++) {
		slot = (l->next + LEDGER_MAX - i) % LEDGER_MAX;
		if (l->v[slot].ino == ino)
			return &l->v[slot];
	}
	return NULL;
}
