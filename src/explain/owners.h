/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * owners.h - the sockets the kernel had on a failing call's port
 * (bw_event.owners, bpf/owners.bpf.h) as holders: which of them block the
 * call, and which a walk of the processes no longer finds (closed since).
 */
#ifndef BW_OWNERS_H
#define BW_OWNERS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "conflict.h"
#include "holders.h"

/* The owners' sockets that were closed by the time they were looked for. */
struct owners_gone {
	__u64 ino[BW_OWNERS_MAX]; /* those with a file */
	size_t n;
	bool unheld;              /* those without (TIME_WAIT, kernel): every one in the list */
};

/* Whether ev carries every socket its port had (looked, none left out). */
bool owners_known(const struct bw_event *ev);

/* The owner o as a holder no process is named for yet. */
void owner_holder(struct bw_holder *h, const struct bw_owner *o);

/*
 * The owners of ev that block req, other than the socket own_ino, as
 * holders into out.  How many.
 */
size_t owners_clashing(const struct bw_event *ev, const struct conflict_req *req, __u64 own_ino,
		       struct bw_holder out[BW_OWNERS_MAX]);

/*
 * Append to l each of ev's clashing owners that l, the sockets a walk
 * found, lacks: by inode; those without a file only when l is empty (a
 * walk looks for them only then).  They are the holders as the kernel had
 * them, closed since; g says which they are.  0 or -ENOMEM.
 */
int owners_add_gone(struct holder_list *l, const struct bw_event *ev,
		    const struct conflict_req *req, struct owners_gone *g);

/* Whether h is one of the sockets g says were closed. */
bool owners_is_gone(const struct owners_gone *g, const struct bw_holder *h);

#endif /* BW_OWNERS_H */
