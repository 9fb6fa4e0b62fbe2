// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * diagnose.c - from "EADDRINUSE on 8080" to "held by python3[815], which
 * listens on 0.0.0.0:8080".
 *
 * It owns the diagnosis of a conflict (holders that block it, named, main
 * one first); it must not decide or signal.
 *
 * The holder iterators return every socket on the port; the kernel's
 * rules (conflict.c) keep those that really block the request, and the
 * requesting socket itself is left out (after a shared SO_REUSEADDR bind
 * it sits on the port too).  The main holder, the one the reason is about,
 * comes first: a listener held by a live process is the likeliest answer
 * to "who has my port".  Sockets no process holds (TIME_WAIT, kernel
 * sockets) are looked for only when no process-held socket blocks the
 * request; the holders no descriptor table shows (a socket in flight in
 * an SCM_RIGHTS message, one in an io_uring's registered files) only when
 * then a socket with a file has no process, or nothing blocks it at all.  Holders are enriched right away, while their
 * processes most likely still run; one that exits meanwhile is reported as
 * seen, marked exited.
 *
 * A record the kernel filled with the port's sockets at the call
 * (bw_event.owners, owners.c) names them first: each that blocks the call
 * is looked for in the descriptor table of the process the ledger saw
 * bind it, alone (find_by_owners()), else by the walks below; one no walk
 * finds any more closed after the failure and is still its holder, as the
 * kernel had it, marked gone.  A record without them (a port with more
 * sockets than a record holds, a protocol with no such index) is
 * diagnosed by the walks alone.
 *
 * A monitor first asks the ledger (and what its last walks found) which
 * processes hold sockets where the request would clash, and walks those
 * alone (find_by_ledger()); every process is walked only when that finds
 * no blocking socket or not every reference to one, and such walks are
 * counted against the requester uid's walk budget (walkbudget.c): any
 * user can hold sockets by the hundred thousand and make conflicts all
 * day, and a walk of every process costs in proportion to all of them.
 *
 * A port's sockets and the processes sharing them are anyone's to
 * multiply (fork a thousand children, open SO_REUSEPORT sockets), and each
 * holder costs /proc reads and a command line in the record.  So only the
 * first DIAG_MAX_HOLDERS in rank order are enriched and listed; the record
 * counts the rest (diagnosis.omitted).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "conflict.h"
#include "diagnose.h"
#include "kconfig.h"
#include "owners.h"
#include "proxy.h"
#include "util.h"

/* Processes the ledger may name for one port before the full walk is cheaper. */
#define FAST_MAX_BINDERS 8

/* Lower sorts first: live listeners, then other held sockets, then the rest. */
static int rank(const struct bw_holder *h)
{
	if (h->pid && h->state == TCP_LISTEN)
		return 0;
	return h->pid ? 1 : 2;
}

/* By rank, then by pid: the same holders always give the same main one. */
static int by_rank(const void *a, const void *b)
{
	const struct bw_holder *x = a, *y = b;

	if (rank(x) != rank(y))
		return rank(x) - rank(y);
	return (x->pid > y->pid) - (x->pid < y->pid);
}

/* What the holders found say of a socket no process was named for. */
static void say_why_hidden(struct holder_info *hi)
{
	if (!hi->h.hidden)
		return;
	/* the process may be out of sight, wherever the socket is */
	if (procinfo_own_pidns() != PROC_PID_INIT_INO)
		hi->h.hidden = HOLDER_OTHER_PIDNS;
	else if (hi->h.via == BW_VIA_INFLIGHT)
		hi->h.hidden = HOLDER_IN_FLIGHT;
	else
		hi->h.hidden = HOLDER_HIDDEN;
}

/*
 * A runtime's port proxy (conmon, docker-proxy, a containerd shim) is in
 * no container itself: it gets the workload of the container it holds
 * the port for (proxy.c says when it is believed).
 */
static void name_proxy(struct holder_info *hi)
{
	if (!hi->pi.workload)
		hi->pi.workload = proxy_workload(&hi->pi, hi->h.pid, hi->h.sock.protocol,
						 hi->h.sock.port);
}

int holder_infos(const struct holder_list *l, const struct ledger *ledger,
		 struct holder_info **out)
{
	struct holder_info *v = calloc(l->n ? l->n : 1, sizeof(*v));
	const struct ledger_entry *b;
	size_t i;

	if (!v)
		return -ENOMEM;
	for (i = 0; i < l->n; i++) {
		v[i].h = l->v[i];
		if (v[i].h.pid) {
			procinfo_read(&v[i].pi, v[i].h.pid, v[i].h.start_ns, v[i].h.cgroup_id, 0,
				      PROCINFO_CMDLINE | PROCINFO_IDENTITY);
			name_proxy(&v[i]);
		} else {
			v[i].pi.id = PROC_IDENTITY_UNKNOWN; /* no process: no uid, not root's */
		}
		b = ledger ? ledger_find(ledger, v[i].h.ino) : NULL;
		v[i].bound_by = b;
		/* a server usually bound its own socket: then /proc was just read */
		if (b && b->pid == v[i].h.pid && b->start_ns == v[i].h.start_ns)
			v[i].binder_exited = v[i].pi.exited;
		else if (b)
			v[i].binder_exited = !procinfo_alive(b->pid, b->start_ns);
		v[i].tw_ms_left = v[i].h.state == TCP_TIME_WAIT ?
				  kconfig_jiffies_ms(v[i].h.tw_jiffies_left) : -1;
		say_why_hidden(&v[i]);
	}
	*out = v;
	return 0;
}

/* Keep only the sockets in l that block req, other than the requester's own. */
static void keep_clashing(struct holder_list *l, const struct conflict_req *req,
			  __u64 own_ino)
{
	size_t i, kept = 0;

	for (i = 0; i < l->n; i++)
		if (!(own_ino && l->v[i].ino == own_ino) && conflict_clash(req, &l->v[i]))
			l->v[kept++] = l->v[i];
	l->n = kept;
}

int diagnosis_fill(struct diagnosis *d, struct holder_list *l, const struct ledger *ledger)
{
	int err;

	if (l->n > DIAG_MAX_HOLDERS) {
		d->omitted = l->n - DIAG_MAX_HOLDERS;
		l->n = DIAG_MAX_HOLDERS;
	}
	err = l->n ? holder_infos(l, ledger, &d->holders) : 0;
	if (!err)
		d->n = l->n;
	holder_list_free(l);
	return err;
}

/*
 * The sockets of kinds in q's namespace that block req, other than the
 * requester's own, into l (emptied first).  0 or -errno.
 */
static int find_clashing(struct holders *h, struct holder_query *q, unsigned int kinds,
			 const struct conflict_req *req, __u64 own_ino, struct holder_list *l)
{
	int err;

	holder_list_free(l);
	q->kinds = kinds;
	err = holders_find(h, q, l);
	if (!err)
		keep_clashing(l, req, own_ino);
	return err;
}

/* Add pid to the set of FAST_MAX_BINDERS in p; false when it is full. */
static bool add_binder(__u32 p[FAST_MAX_BINDERS], size_t *n, __u32 pid)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (p[i] == pid)
			return true;
	if (*n == FAST_MAX_BINDERS)
		return false;
	p[(*n)++] = pid;
	return true;
}

/* Whether every reference to the socket ino is one of l's descriptors. */
static bool all_refs_seen(const struct holder_list *l, __u64 ino)
{
	size_t i, fds = 0;
	__u32 refs = 0;

	for (i = 0; i < l->n; i++)
		if (l->v[i].ino == ino) {
			fds++;
			refs = l->v[i].file_refs;
		}
	return fds && fds == refs;
}

/* Add to binders each process the ledger or a hint places on a socket that may block req. */
static bool candidates(const struct ledger *ledger, const struct walk_budget *walks,
		       const struct conflict_req *req, __u32 binders[FAST_MAX_BINDERS], size_t *n)
{
	size_t i;

	for (i = 0; i < ledger->n; i++)
		if (ledger->v[i].sock.port && conflict_may_clash(req, &ledger->v[i].sock) &&
		    !add_binder(binders, n, ledger->v[i].pid))
			return false;
	for (i = 0; i < WALK_HINTS; i++)
		if (walks->hints[i].ino && conflict_may_clash(req, &walks->hints[i].sock) &&
		    !add_binder(binders, n, walks->hints[i].pid))
			return false;
	return *n > 0;
}

/*
 * The processes holding q's port, found without walking every process:
 * the ledger says which processes bound a socket where req would clash
 * (a bind of port 0 cannot tell where: the kernel chose the port), hints
 * say which processes the last walks found holding one, and the
 * descriptor tables of those processes alone are walked.  It holds when
 * a socket that blocks req is found there, and every reference to each
 * such socket is one of those descriptors (a socket shared after fork(),
 * in flight or in a ring has more, and then more holders).  A socket on
 * the port that no ledger entry or hint points to is not looked for:
 * another process's, bound before bindwatch started and never found by a
 * walk, is left out of the record.  -EAGAIN when it does not hold.
 */
static int find_by_ledger(struct holders *h, const struct ledger *ledger,
			  const struct walk_budget *walks, const struct holder_query *q,
			  const struct conflict_req *req, __u64 own_ino, struct holder_list *l)
{
	__u32 binders[FAST_MAX_BINDERS];
	size_t i, n = 0;
	bool blocked = false;
	int err = 0;

	if (!ledger || !walks || !candidates(ledger, walks, req, binders, &n))
		return -EAGAIN;
	/* a binder gone (ESRCH) holds nothing */
	for (i = 0; i < n && (!err || err == -ESRCH); i++)
		err = holders_find_in(h, q, binders[i], l);
	for (i = 0; i < l->n && (!err || err == -ESRCH); i++)
		if (l->v[i].ino != own_ino && conflict_clash(req, &l->v[i])) {
			blocked = true;
			if (!all_refs_seen(l, l->v[i].ino))
				err = -EAGAIN;
		}
	if ((err && err != -ESRCH) || !blocked) {
		holder_list_free(l);
		return -EAGAIN;
	}
	return 0;
}

/*
 * The processes holding the sockets the kernel had on the port (ev's
 * owners): each that blocks req and has a file is looked for in the
 * descriptor table of the process the ledger saw bind it, alone.  It
 * holds when each is found there with every reference to it.  -EAGAIN
 * when it does not: an owner bound before bindwatch started, or by
 * another process than holds it now, passed on, or closed since; or no
 * owner with a file (TIME_WAIT, kernel sockets: the walks find those).
 */
static int find_by_owners(struct holders *h, const struct ledger *ledger,
			  const struct holder_query *q, const struct conflict_req *req,
			  const struct bw_event *ev, struct holder_list *l)
{
	struct bw_holder o[BW_OWNERS_MAX];
	size_t i, nb = 0, n = owners_clashing(ev, req, ev->sock_ino, o);
	const struct ledger_entry *b;
	__u32 binders[FAST_MAX_BINDERS];
	int err = 0;

	for (i = 0; ledger && i < n; i++) {
		b = o[i].ino ? ledger_find(ledger, o[i].ino) : NULL;
		if (o[i].ino && (!b || !add_binder(binders, &nb, b->pid)))
			return -EAGAIN;
	}
	if (!nb)
		return -EAGAIN;
	for (i = 0; i < nb && !err; i++)
		err = holders_find_in(h, q, binders[i], l);
	for (i = 0; i < n && !err; i++)
		if (o[i].ino && !all_refs_seen(l, o[i].ino))
			err = -EAGAIN;
	if (err) {
		holder_list_free(l);
		return -EAGAIN;
	}
	return 0;
}

/*
 * The sockets of q's port that block ev's call (req), from the owners'
 * binders or the ledger's when that holds, else from a walk of every
 * process if the requester uid's walk budget has one left (*skipped is
 * set when not).  Into l.  0 or -errno.
 */
static int find_processes(struct holders *h, const struct ledger *ledger,
			  struct walk_budget *budget, const struct bw_event *ev,
			  struct holder_query *q, const struct conflict_req *req,
			  struct holder_list *l, bool *skipped)
{
	__u64 own_ino = ev->sock_ino;
	__u32 uid = ev->uid;
	int err = find_by_owners(h, ledger, q, req, ev, l);
	size_t i;

	if (err)
		err = find_by_ledger(h, ledger, budget, q, req, own_ino, l);

	if (!err) {
		holder_list_dedup(l);
		keep_clashing(l, req, own_ino);
		return 0;
	}
	if (budget && !walk_budget_take(budget, uid, now_ns(CLOCK_MONOTONIC))) {
		*skipped = true;
		return 0;
	}
	err = find_clashing(h, q, HOLDERS_PROCESSES, req, own_ino, l);
	for (i = 0; !err && budget && i < l->n && i < DIAG_MAX_HOLDERS; i++)
		walk_hint_add(budget, &l->v[i]);
	return err;
}

/* Mark d's holders the kernel had on the port and no walk found any more. */
static void mark_gone(struct diagnosis *d, const struct owners_gone *g)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (owners_is_gone(g, &d->holders[i].h)) {
			d->holders[i].gone = true;
			d->holders[i].tw_ms_left = -1; /* its timer was not read */
		}
}

static int diagnose_walk(struct holders *h, const struct ledger *ledger,
			 struct walk_budget *budget, const struct bw_event *ev, int netns_fd,
			 struct diagnosis *d)
{
	struct conflict_req req = { .sock = &ev->sock, .listen = ev->syscall == BW_SYS_LISTEN };
	struct holder_query q = {
		.netns = ev->sock.netns,
		.netns_fd = netns_fd,
		.port = ev->sock.port,
		.protocol = ev->sock.protocol,
	};
	struct holder_list l = {};
	struct owners_gone gone = {};
	int err = 0;

	memset(d, 0, sizeof(*d));
	if (ev->sock.port) {
		if (netns_fd < 0 && q.netns != holders_own_netns(h))
			q.netns_fd = procinfo_open_netns(ev->pid, ev->start_ns);
		/*
		 * Sockets no process holds matter only when no process explains
		 * the conflict: a busy server's port has thousands in TIME_WAIT.
		 * Sockets in flight and in rings are looked for only when a
		 * socket has a file and no process, or nothing explains it;
		 * that walk of every process is within the budget too.
		 */
		err = find_processes(h, ledger, budget, ev, &q, &req, &l, &d->walk_skipped);
		if (!err && !l.n && !d->walk_skipped)
			err = find_clashing(h, &q, HOLDERS_UNHELD, &req, ev->sock_ino, &l);
		if (!err && (!l.n || holder_list_hidden(&l)) && !d->walk_skipped) {
			if (budget && !walk_budget_take(budget, ev->uid, now_ns(CLOCK_MONOTONIC)))
				d->walk_skipped = true;
			else
				err = find_clashing(h, &q, HOLDERS_UNHELD | HOLDERS_INDIRECT, &req,
						    ev->sock_ino, &l);
		}
		/*
		 * The sockets the kernel had on the port at the call and no walk
		 * found: closed since, or (past the walk budget) not looked for.
		 * Either way they are the holders as the call met them, named by
		 * their socket and the ledger's bound_by, never by a process.
		 */
		if (!err)
			err = owners_add_gone(&l, ev, &req, &gone);
		if (l.n) /* l.v may be NULL then */
			qsort(l.v, l.n, sizeof(*l.v), by_rank);
		if (!err)
			err = diagnosis_fill(d, &l, ledger);
		if (!err && !d->walk_skipped) /* without a walk, nothing says which are gone */
			mark_gone(d, &gone);
		holder_list_free(&l);
		if (q.netns_fd >= 0 && q.netns_fd != netns_fd)
			close(q.netns_fd);
	}
	d->reason = conflict_reason(&req, d->n ? &d->holders[0].h : NULL);
	return err;
}

int diagnose(struct holders *h, const struct ledger *ledger, struct walk_budget *budget,
	     const struct bw_event *ev, struct diagnosis *d)
{
	return diagnose_walk(h, ledger, budget, ev, -1, d);
}

int diagnose_in(struct holders *h, const struct ledger *ledger, const struct bw_event *ev,
		int netns_fd, struct diagnosis *d)
{
	return diagnose_walk(h, ledger, NULL, ev, netns_fd, d);
}
