// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ownership.c - whether a successful bind() or listen() is news about who
 * owns a port: a caller on a port the policy's expect rules name that
 * meets none of their owners (unexpected-owner), or a bind() that joins a
 * SO_REUSEPORT group whose other members run another executable, as
 * another uid or in another cgroup (reuseport-join).  It owns those two
 * judgements; it must not write records (monitor.c emits them) or touch the
 * kernel's maps (loader.c).
 *
 * The group is read after the fact, from the holder iterators: the
 * sockets of processes in the caller's network namespace on the same
 * address, port, protocol and device with SO_REUSEPORT set, the caller's
 * own socket aside.  The kernel lets only sockets of one uid share a port
 * this way, so in practice a member differs by its executable or its
 * cgroup: another instance of the same program in the same service does
 * not count.  A value that cannot be read (a process gone, an executable
 * /proc hides) counts as different: a hijacker must not hide by exiting.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cgpath.h"
#include "diagnose.h"
#include "ownership.h"
#include "util.h"

const struct policy_rule *ownership_expect_miss(const struct policy *p, const struct bw_event *ev,
						const struct proc_info *pi, struct policy_miss *m)
{
	struct policy_proc_bufs b;
	struct policy_proc pp;

	if (!p || !p->nexpects)
		return NULL;
	policy_proc_of(&pp, ev->comm, pi, ev->uid, ev->start_ns, now_ns(CLOCK_BOOTTIME), &b);
	return policy_expect_miss(p, ev->sock.port, ev->sock.protocol, &pp, m);
}

/* Whether h is a socket of the group ev's socket joined (and not that socket). */
static bool same_group(const struct bw_holder *h, const struct bw_event *ev)
{
	const struct bw_sock *a = &h->sock, *b = &ev->sock;

	return h->ino != ev->sock_ino && a->sockflags & BW_SF_REUSEPORT &&
	       a->family == b->family && a->type == b->type && a->protocol == b->protocol &&
	       a->bound_ifindex == b->bound_ifindex && !memcmp(a->addr, b->addr, sizeof(a->addr));
}

/* Whether member m is another program, user or cgroup than ev's caller (pi). */
static bool differs(const struct holder_info *m, const struct bw_event *ev,
		    const struct proc_info *pi)
{
	if (m->h.sock.uid != ev->sock.uid || m->h.cgroup_id != ev->cgroup_id)
		return true;
	return !m->pi.exe || !pi->exe || strcmp(m->pi.exe, pi->exe);
}

int ownership_reuseport_join(struct holders *h, const struct ledger *ledger,
			     const struct bw_event *ev, const struct proc_info *pi,
			     struct diagnosis *d)
{
	struct holder_query q = {
		.kinds = HOLDERS_PROCESSES,
		.netns = ev->sock.netns,
		.netns_fd = -1,
		.port = ev->sock.port,
		.protocol = ev->sock.protocol,
	};
	struct holder_list l;
	size_t i, kept = 0;
	bool other = false;
	int err;

	memset(d, 0, sizeof(*d));
	if (!h || !ev->sock.port || !(ev->sock.sockflags & BW_SF_REUSEPORT))
		return 0;
	if (q.netns != holders_own_netns(h))
		q.netns_fd = procinfo_open_netns(ev->pid, ev->start_ns);
	err = holders_find(h, &q, &l);
	if (q.netns_fd >= 0)
		close(q.netns_fd);
	if (err)
		return err;
	for (i = 0; i < l.n; i++)
		if (same_group(&l.v[i], ev))
			l.v[kept++] = l.v[i];
	l.n = kept;
	err = diagnosis_fill(d, &l, ledger);
	if (err)
		return err;
	for (i = 0; i < d->n && !other; i++)
		other = differs(&d->holders[i], ev, pi);
	if (!other)
		diagnosis_free(d);
	return 0;
}
