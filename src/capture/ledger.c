// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ledger.c - a fixed-size ring of the binds bindwatch has seen, keyed by
 * socket inode.  The inode is what the holder iterators report, and unlike
 * a pid it names the socket itself: the process that bound it may have
 * exited and left it to a child.  A fixed ring keeps memory bounded on a
 * host that binds all day; a lookup is a linear scan, microseconds, done
 * only when a conflict is diagnosed.
 *
 * It owns the memory of successful binds, bounded per uid; it must not read
 * /proc.
 *
 * Any user can bind sockets by the thousand, and would push every other
 * user's binds out of a plain ring.  So one uid holds at most
 * LEDGER_UID_SHARE entries: past that its new binds replace its own oldest
 * ones, wherever they are in the ring.  Entries are then no longer in ring
 * order, so each carries a sequence number, and a lookup takes the newest
 * entry for an inode (inode numbers are reused once a socket is closed).
 */
#include <string.h>
#include "ledger.h"

/* The oldest entry of uid when uid holds its whole share, else NULL. */
static struct ledger_entry *over_share(struct ledger *l, __u32 uid)
{
	struct ledger_entry *oldest = NULL;
	size_t i, held = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].uid != uid)
			continue;
		held++;
		if (!oldest || l->v[i].seq < oldest->seq)
			oldest = &l->v[i];
	}
	return held >= LEDGER_UID_SHARE ? oldest : NULL;
}

void ledger_add(struct ledger *l, const struct bw_event *ev, const struct timespec *wall)
{
	struct ledger_entry *e = over_share(l, ev->uid);

	if (!e) {
		e = &l->v[l->next];
		l->next = (l->next + 1) % LEDGER_MAX;
		if (l->n < LEDGER_MAX)
			l->n++;
	}
	e->ino = ev->sock_ino;
	e->start_ns = ev->start_ns;
	e->seq = ++l->seq;
	e->pid = ev->pid;
	e->uid = ev->uid;
	e->sock = ev->sock;
	memcpy(e->comm, ev->comm, sizeof(e->comm));
	e->wall = *wall;
}

const struct ledger_entry *ledger_find(const struct ledger *l, __u64 ino)
{
	const struct ledger_entry *found = NULL;
	size_t i;

	if (!ino)
		return NULL;
	for (i = 0; i < l->n; i++)
		if (l->v[i].ino == ino && (!found || l->v[i].seq > found->seq))
			found = &l->v[i];
	return found;
}
