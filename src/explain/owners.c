// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * owners.c - the sockets the kernel had on a failing call's port, read
 * at the call (bw_event.owners), as holders.
 *
 * It owns turning an owner into a holder, judging which owners block the
 * call (conflict.c's rules, on the sockets and states as the kernel had
 * them) and which of them a walk no longer finds: a holder that closed a
 * microsecond after the failure is still the holder of the record, with
 * no process to name but the one the ledger saw bind it.  It must not
 * walk or read /proc (diagnose.c does, through holders.h).
 */
#include <string.h>
#include "owners.h"

bool owners_known(const struct bw_event *ev)
{
	return (ev->owners_flags & BW_OWNERS_LOOKED) && !(ev->owners_flags & BW_OWNERS_MORE) &&
	       ev->owners_n <= BW_OWNERS_MAX;
}

void owner_holder(struct bw_holder *h, const struct bw_owner *o)
{
	memset(h, 0, sizeof(*h));
	h->sock = o->sock;
	h->ino = o->ino;
	h->state = o->state;
	h->kernel = o->kernel;
}

size_t owners_clashing(const struct bw_event *ev, const struct conflict_req *req, __u64 own_ino,
		       struct bw_holder out[BW_OWNERS_MAX])
{
	size_t i, n = 0;

	if (!owners_known(ev))
		return 0;
	for (i = 0; i < ev->owners_n; i++) {
		owner_holder(&out[n], &ev->owners[i]);
		if (!(own_ino && out[n].ino == own_ino) && conflict_clash(req, &out[n]))
			n++;
	}
	return n;
}

/* Whether l has the socket ino. */
static bool list_has(const struct holder_list *l, __u64 ino)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].ino == ino)
			return true;
	return false;
}

int owners_add_gone(struct holder_list *l, const struct bw_event *ev,
		    const struct conflict_req *req, struct owners_gone *g)
{
	struct bw_holder o[BW_OWNERS_MAX];
	size_t i, n = owners_clashing(ev, req, ev->sock_ino, o);
	bool empty = !l->n;
	int err = 0;

	memset(g, 0, sizeof(*g));
	for (i = 0; i < n && !err; i++) {
		if (o[i].ino ? list_has(l, o[i].ino) : !empty)
			continue;
		err = holder_list_add(l, &o[i]);
		if (err)
			break;
		if (o[i].ino)
			g->ino[g->n++] = o[i].ino;
		else
			g->unheld = true;
	}
	return err;
}

bool owners_is_gone(const struct owners_gone *g, const struct bw_holder *h)
{
	size_t i;

	if (!h->ino)
		return g->unheld && !h->pid;
	for (i = 0; i < g->n; i++)
		if (g->ino[i] == h->ino && !h->pid)
			return true;
	return false;
}
