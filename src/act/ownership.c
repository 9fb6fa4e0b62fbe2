// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ownership.c - whether a successful bind() or listen() is news about who
 * owns a port: a caller on a port the policy's expect rules name that
 * meets none of their owners (unexpected-owner), or a bind() that joins a
 * SO_REUSEPORT group whose other members run another executable, as
 * another uid or in another cgroup (reuseport-join).  It owns those two
 * judgements and the kind of record each makes; it must not write records
 * (its emit() does) or touch the kernel's maps (loader.c).
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
#include "log.h"
#include "ownership.h"
#include "util.h"

/*
 * The first expect rule of p naming ev's port and protocol when ev's caller
 * (of which /proc said pi) meets the owner of none of them, with why in m;
 * NULL when the caller is an expected owner, or nothing names the port.
 */
static const struct policy_rule *expect_miss(const struct policy *p, const struct bw_event *ev,
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

/*
 * The other members of the SO_REUSEPORT group the successful bind() ev
 * joined, enriched, into d, when one of them differs from the caller (pi)
 * in executable, socket uid or cgroup; d is left empty otherwise (no group,
 * or only instances of the caller's own program).  0 or -errno; free d
 * with diagnosis_free().
 */
static int reuseport_join(struct holders *h, const struct ledger *ledger,
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

void ownership_check(struct ownership *o, struct holders *h, const struct ledger *ledger,
		     const struct bw_event *ev, const struct timespec *wall)
{
	const struct policy_rule *named = policy_expect_names(o->expect, ev->sock.port,
							      ev->sock.protocol);
	struct bw_record r = { .ev = ev, .wall = *wall, .expect = named };
	struct policy_miss miss;
	struct diagnosis diag;
	struct proc_info pi;
	int err;

	if (!named && !(o->reuseport_all && ev->sock.sockflags & BW_SF_REUSEPORT))
		return;
	enrich_event(o->enrich, ev, &pi, r.bound_dev, r.netns_name);
	r.req = &pi;
	if (named && (r.expect = expect_miss(o->expect, ev, &pi, &miss))) {
		r.kind = RECORD_UNEXPECTED_OWNER;
		r.expect_miss = &miss;
		r.alert = r.expect->action == POLICY_ALERT;
		o->emit(o->arg, &r);
	}
	if (ev->syscall == BW_SYS_BIND && h) {
		err = reuseport_join(h, ledger, ev, &pi, &diag);
		if (err && err != *o->lookup_err)
			warn("holder lookup failed: %s; SO_REUSEPORT joins go unreported",
			     strerror(-err));
		*o->lookup_err = err;
		if (diag.n) {
			r.kind = RECORD_REUSEPORT_JOIN;
			r.expect = named;
			r.expect_miss = NULL;
			/* on a port no expect names, --reuseport-watch asked for it */
			r.alert = !named || named->action == POLICY_ALERT;
			r.diag = &diag;
			o->emit(o->arg, &r);
		}
		diagnosis_free(&diag);
	}
	procinfo_free(&pi);
}
