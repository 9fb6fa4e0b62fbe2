// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * verdict.c - whether a conflict's holders may be signalled (verdict.h).
 *
 * It owns every check before a signal, the cooldowns and the reclaim slots;
 * it must not read /proc, open pidfds, signal or read a clock.
 *
 * Killing the wrong process is the worst thing bindwatch could do, so a
 * reclaim passes these checks in order, and any that fails ends it with
 * the result recorded:
 *
 *  0. A reclaim of the same holder under way, on the same port, protocol
 *     and network namespace (or of any holder, when no process holds the
 *     port any more): in-progress, naming that reclaim.
 *  1. The targets are the processes holding the socket the rule matched
 *     (holders[0]: every process sharing it after fork).  No process (a
 *     TIME_WAIT or kernel socket), one /proc no longer describes (gone, or
 *     its pid now another process's: the start time differs), one whose
 *     command, executable or (when protect names units) unit is unknown,
 *     or a diagnosis that left holders out (diagnosis.omitted): failed.
 *  2. A target that is PID 1, a kernel thread, bindwatch itself, the
 *     requester itself or on the protect list, a socket PID 1 also holds
 *     (systemd socket activation), a target of another user than the
 *     requester (its real uid, verdict_uid(), unless the requester is
 *     root, or the rule names the requester's uid: the operator's
 *     choice), or a target the rule does
 *     not match by itself (it was matched on the main holder only):
 *     protected.  Everything a requester shows but its uid is its own
 *     choice; the uid check is what keeps a user from having root's
 *     processes killed by looking like the rule's requester.  A target
 *     that is a container runtime's port proxy (conmon, docker-proxy...)
 *     is protected too, the why naming the container: the port is the
 *     container's, published, and stopping the container frees it.
 *  3. A reclaim of the same holder within the rule's cooldown (from the
 *     end of that reclaim): cooldown, naming that reclaim, its rule, when
 *     it ended and the time left; no pids, none was signalled.  The holder
 *     is its identity (identity.h: uid and container, service unit or
 *     executable), so a service manager that restarts it at once does not
 *     meet a kill loop, and another stale process on the port is not held
 *     off by the first one's reclaim.  Each reclaim that gets this far
 *     has a number (action.id), counted from 1 at start.
 *     The slots for running reclaims (VERDICT_MAX_RUNNING) and cooldowns
 *     are shared fairly: a requester uid, or a network namespace, may
 *     hold at most a quarter of each, so one user's reclaims (of its own
 *     stale processes, say in many namespaces) cannot leave none for
 *     another's: failed, with the quota named.
 *  4. --dry-run: dry-run, with the signal and pids it would have used (the
 *     cooldown starts as for a real reclaim, so the log shows what would
 *     happen; its why says that the reclaim it waits for was a dry-run).
 *
 * Every decided record also says why the rules naming its port tried
 * before the one that matched did not match (record "unmatched"), to test
 * a policy before enabling it and to read an outcome after.
 *
 * Check 5, that each target is still the process decided about (its
 * start time, executable and uids, as diagnosed) immediately before each
 * signal, and the signals are reclaim.c's.  One table holds both the
 * running reclaims and the cooldowns that follow them: a slot is taken
 * when a reclaim is decided and cools down from verdict_end() on.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/tcp.h>
#include "cgpath.h"
#include "escape.h"
#include "strbuf.h"
#include "util.h"
#include "verdict.h"

#define SHORT_ID_LEN 12 /* of a container id, as docker ps shows it */
#define PROXY_NAME_MAX 64 /* bytes of a container's name a why quotes */

#define RUNNING_QUOTA (VERDICT_MAX_RUNNING / VERDICT_QUOTA_SHARE)
#define COOLDOWNS_QUOTA (VERDICT_MAX_COOLDOWNS / VERDICT_QUOTA_SHARE)

void verdicts_init(struct verdicts *v)
{
	memset(v, 0, sizeof(*v));
}

void verdicts_fini(struct verdicts *v)
{
	size_t i;

	for (i = 0; i < VERDICT_MAX_COOLDOWNS; i++)
		free(v->cooldowns[i].rule);
}

static bool running(const struct cooldown *c)
{
	return c->until_ns == UINT64_MAX;
}

/*
 * The holder hi as the policy sees it; pointing into hi and b.  Its uid is
 * the process's real uid (verdict_uid()).
 */
static void holder_proc(struct policy_proc *pp, const struct holder_info *hi, uint64_t boot_ns,
			struct policy_proc_bufs *b)
{
	bool live = hi->h.pid && !hi->pi.exited;

	policy_proc_of(pp, live ? hi->h.comm : NULL, &hi->pi, live ? verdict_uid(hi) : -1,
		       hi->h.start_ns, boot_ns, b);
	pp->id = live ? &hi->pi.id : NULL;
	if (hi->h.state == TCP_LISTEN)
		pp->state = POLICY_STATE_LISTEN;
	else if (hi->h.state == TCP_CLOSE)
		pp->state = POLICY_STATE_BOUND;
}

/* Whether c is about the port, protocol and network namespace s is. */
static bool same_port(const struct cooldown *c, const struct bw_sock *s)
{
	return c->netns == s->netns && c->port == s->port && c->proto == s->protocol;
}

/*
 * The slot of holder on the port ev is about, cooling down or with a
 * reclaim under way, or a free (expired) one; NULL when every slot is in
 * use.  *active: it is cooling down.
 */
static struct cooldown *cooldown_slot(struct verdicts *v, const struct bw_event *ev,
				      const struct identity *holder, uint64_t now, bool *active)
{
	struct cooldown *free_slot = NULL, *c;
	size_t i;

	*active = false;
	for (i = 0; i < VERDICT_MAX_COOLDOWNS; i++) {
		c = &v->cooldowns[i];
		if (same_port(c, &ev->sock) && identity_eq(&c->holder, holder) && now < c->until_ns) {
			*active = true;
			return c;
		}
		if (!free_slot && now >= c->until_ns)
			free_slot = c;
	}
	return free_slot;
}

/*
 * The reclaim under way on the port ev is about of holder, or of any
 * holder when no process holds the port now (the one signalled is gone,
 * its socket not yet): NULL when none.
 */
static const struct cooldown *running_for(const struct verdicts *v, const struct bw_event *ev,
					  const struct identity *holder)
{
	const struct cooldown *c;
	size_t i;

	for (i = 0; i < VERDICT_MAX_COOLDOWNS; i++) {
		c = &v->cooldowns[i];
		if (running(c) && same_port(c, &ev->sock) &&
		    (!holder->id || identity_eq(&c->holder, holder)))
			return c;
	}
	return NULL;
}

void verdict_end(struct verdicts *v, uint64_t id, uint64_t cooldown_ms, uint64_t now_ns,
		 const struct timespec *wall)
{
	struct cooldown *c;
	size_t i;

	for (i = 0; i < VERDICT_MAX_COOLDOWNS; i++) {
		c = &v->cooldowns[i];
		if (c->id == id && running(c)) {
			c->since = *wall;
			c->until_ns = now_ns + cooldown_ms * NSEC_PER_MSEC;
		}
	}
}

/*
 * act waits for the reclaim of cooldown c, at now: remaining time, no
 * pids.  Under --dry-run that reclaim signalled nothing, and says so.
 */
static void wait_cooldown(const struct verdicts *v, struct record_action *act,
			  const struct cooldown *c, uint64_t now)
{
	act->result = ACTION_COOLDOWN;
	act->why = v->dry_run ? "dry-run: the same holder would have been reclaimed within the "
				"rule's cooldown (nothing was signalled)" :
		   "the same holder was reclaimed within the rule's cooldown";
	act->npids = 0; /* none was signalled for this record */
	act->wait_id = c->id;
	act->wait_rule = c->rule;
	act->wait_since = c->since;
	act->remaining_ms = (int64_t)((c->until_ns - now) / NSEC_PER_MSEC);
}

bool verdict_may_signal(const struct policy_rule *rule, int64_t req, int64_t target, char *why,
			size_t len)
{
	if (req == 0 || req == target || rule->requester.uid >= 0)
		return true;
	if (target < 0)
		snprintf(why, len, "the holder's uid could not be read and the requester's is %lld: "
			 "a reclaim crosses users only when the rule names requester uid",
			 (long long)req);
	else
		snprintf(why, len, "the holder runs as uid %lld and the requester as uid %lld: a "
			 "reclaim crosses users only when the rule names requester uid",
			 (long long)target, (long long)req);
	return false;
}

/* s, at most max bytes of it, escaped: the runtime's files (or a log) gave it */
static void add_escaped(struct strbuf *sb, const char *s, size_t max)
{
	text_escape(sb, s, strnlen(s, max));
}

bool verdict_is_proxy(const struct policy_proc *holder, char *why, size_t len)
{
	const char *name = holder->wl[POLICY_WL_NAME], *runtime = holder->wl[POLICY_WL_RUNTIME];
	struct strbuf sb;

	if (!holder->proxy)
		return false;
	strbuf_init(&sb);
	if (runtime && *runtime)
		add_escaped(&sb, runtime, PROXY_NAME_MAX);
	else
		strbuf_adds(&sb, "a container runtime");
	strbuf_adds(&sb, "'s port proxy for container ");
	if (name && *name)
		add_escaped(&sb, name, PROXY_NAME_MAX);
	else if (holder->wl_id && *holder->wl_id)
		add_escaped(&sb, holder->wl_id, SHORT_ID_LEN);
	else
		strbuf_addc(&sb, '?');
	snprintf(why, len, "the holder is %s: stop or restart the container instead",
		 sb.oom ? "a container runtime's port proxy" : sb.s);
	strbuf_free(&sb);
	return true;
}

bool verdict_is_protected(const struct policy *p, const struct policy_proc *holder, char *why,
			  size_t len)
{
	struct policy_protect_hit hit;
	struct strbuf sb;

	if (!policy_protected(p, holder, &hit))
		return false;
	strbuf_init(&sb);
	if (hit.entry) { /* the operator's glob, escaped so the line stays one line */
		strbuf_addc(&sb, '"');
		add_escaped(&sb, hit.entry, len);
		strbuf_addc(&sb, '"');
	} else {
		strbuf_addf(&sb, "%lld", (long long)hit.uid);
	}
	snprintf(why, len, "the holder is on the protect list (%s %s)", hit.key,
		 sb.oom ? "?" : sb.s);
	strbuf_free(&sb);
	return true;
}

/* A share of the reclaim slots and how much of it one holder uses. */
struct quota {
	size_t held;
	int max;
	const char *slots, *holder, *holding, *per;
	unsigned int id;
};

/*
 * Whether the requester's uid, or the network namespace of ev, already
 * holds its share of the running reclaims or of the cooldown slots; if so,
 * v->why names the quota.
 */
static bool over_quota(struct verdicts *v, const struct bw_event *ev, uint64_t now)
{
	size_t i, uid_runs = 0, ns_runs = 0, uid_cds = 0, ns_cds = 0;
	const struct cooldown *c;
	struct quota q[4];

	for (i = 0; i < VERDICT_MAX_COOLDOWNS; i++) {
		c = &v->cooldowns[i];
		uid_runs += running(c) && c->uid == ev->uid;
		ns_runs += running(c) && c->netns == ev->sock.netns;
		uid_cds += now < c->until_ns && c->uid == ev->uid;
		ns_cds += now < c->until_ns && c->netns == ev->sock.netns;
	}
	q[0] = (struct quota){ uid_runs, RUNNING_QUOTA, "reclaim", "requester uid",
			       "reclaims under way", "uid", ev->uid };
	q[1] = (struct quota){ ns_runs, RUNNING_QUOTA, "reclaim", "network namespace",
			       "reclaims under way", "namespace", ev->sock.netns };
	q[2] = (struct quota){ uid_cds, COOLDOWNS_QUOTA, "cooldown", "requester uid",
			       "ports cooling down", "uid", ev->uid };
	q[3] = (struct quota){ ns_cds, COOLDOWNS_QUOTA, "cooldown", "network namespace",
			       "ports cooling down", "namespace", ev->sock.netns };
	for (i = 0; i < ARRAY_SIZE(q); i++) {
		if (q[i].held < (size_t)q[i].max)
			continue;
		snprintf(v->why, sizeof(v->why), "%s quota: %s %u already has %zu %s (at most %d per %s)",
			 q[i].slots, q[i].holder, q[i].id, q[i].held, q[i].holding, q[i].max, q[i].per);
		return true;
	}
	return false;
}

static size_t nrunning(const struct verdicts *v)
{
	size_t i, n = 0;

	for (i = 0; i < VERDICT_MAX_COOLDOWNS; i++)
		n += running(&v->cooldowns[i]);
	return n;
}

/*
 * Checks 1 and 2: fill act->pids with the processes holding the matched
 * socket; the result that ends the reclaim, or ACTION_NONE to go on.
 */
static enum action_result pick_targets(struct verdicts *v, const struct bw_record *r,
				       const struct verdict_input *in,
				       const struct policy_rule *rule,
				       const struct policy_proc *requester,
				       struct record_action *act)
{
	const struct diagnosis *d = r->diag;
	const struct bw_event *ev = r->ev;
	const struct holder_info *main = &d->holders[0];
	struct policy_proc_bufs bufs;
	struct policy_proc pp;
	size_t i;

	/* a sharer left out of the diagnosis could be signalled unchecked, or missed */
	if (d->omitted) {
		act->why = "more processes and sockets hold the port than one reclaim checks";
		return ACTION_FAILED;
	}
	for (i = 0; i < d->n; i++) {
		const struct holder_info *hi = &d->holders[i];

		if (!verdict_is_target(d, hi))
			continue;
		if (hi->h.pid == 1) {
			act->why = "PID 1 holds the socket (socket activation?)";
			return ACTION_PROTECTED;
		}
		act->pids[act->npids++] = hi->h.pid; /* d->n <= ACTION_MAX_PIDS */
	}
	if (!act->npids) {
		act->why = main->h.kernel ? "the kernel holds the socket" :
			   main->h.hidden == HOLDER_OTHER_PIDNS ?
			   "a process bindwatch cannot see holds the socket" :
			   main->h.hidden == HOLDER_IN_FLIGHT ?
			   "the socket is in flight on a unix socket no process holds" :
			   main->h.hidden ? "no process bindwatch can find holds the socket" :
			   "no process holds the socket";
		return ACTION_FAILED;
	}
	for (i = 0; i < d->n; i++) {
		const struct holder_info *hi = &d->holders[i];

		if (!verdict_is_target(d, hi))
			continue;
		if (hi->h.pid == v->self) {
			act->why = "the holder is bindwatch itself";
			return ACTION_PROTECTED;
		}
		if (hi->h.pid == ev->pid) {
			act->why = "the requester holds the socket itself";
			return ACTION_PROTECTED;
		}
		if (hi->pi.exited) {
			act->why = "a holder exited (or its pid was reused) before it could be checked";
			return ACTION_FAILED;
		}
		holder_proc(&pp, hi, in->boot_ns, &bufs);
		if (hi->pi.id.kthread) {
			act->why = "the holder is a kernel thread";
			return ACTION_PROTECTED;
		}
		if (verdict_is_proxy(&pp, v->why, sizeof(v->why))) {
			act->why = v->why;
			return ACTION_PROTECTED;
		}
		if (verdict_is_protected(v->policy, &pp, v->why, sizeof(v->why))) {
			act->why = v->why;
			return ACTION_PROTECTED;
		}
		if (!verdict_may_signal(rule, ev->uid, pp.uid, v->why, sizeof(v->why))) {
			act->why = v->why;
			return ACTION_PROTECTED;
		}
		/* protect ignores what it cannot see: so must the reclaimer */
		if (!pp.comm || !pp.exe) {
			act->why = "the holder's command or executable could not be read";
			return ACTION_FAILED;
		}
		if (v->policy->protect.unit && !pp.unit && !pp.container) {
			act->why = "the holder's unit could not be read, and the protect list names units";
			return ACTION_FAILED;
		}
		if (policy_protect_blind(v->policy, &pp)) {
			act->why = "the holder's container could not be identified (only its id is known), "
				   "and the protect list names containers or pods";
			return ACTION_FAILED;
		}
		/* the rule was matched on the main holder: every sharer must match it too */
		if (policy_match(v->policy, ev->sock.port, ev->sock.protocol, &pp, requester) != rule) {
			act->why = "a process sharing the socket does not match the rule";
			return ACTION_PROTECTED;
		}
	}
	return ACTION_NONE;
}

/* r says why the rules naming its port before the one that matched did not (why). */
static void explain_misses(struct verdicts *v, struct bw_record *r,
			   const struct policy_misses *why)
{
	size_t i;

	for (i = 0; i < why->n; i++)
		v->unmatched[i] = (struct explain){ why->rule[i]->name, why->rule[i]->line,
						    why->miss[i] };
	r->misses = why->n ? v->unmatched : NULL;
	r->nmisses = why->n;
	r->misses_more = why->more;
	/* the older key: the first rule naming the port is the first tried */
	r->unmatched = v->dry_run && why->n ? &v->unmatched[0] : NULL;
}

/*
 * Checks 3 and 4 for a reclaim that passed checks 1 and 2 against holder:
 * VERDICT_SIGNAL when it is to go ahead, its slot taken.
 */
static enum verdict take_slot(struct verdicts *v, const struct policy_rule *rule,
			      const struct bw_record *r, const struct verdict_input *in,
			      struct record_action *act, const struct identity *holder)
{
	const struct bw_event *ev = r->ev;
	struct cooldown *cd;
	char *name = NULL;
	bool active;

	cd = cooldown_slot(v, ev, holder, in->now_ns, &active);
	if (active) {
		wait_cooldown(v, act, cd, in->now_ns);
		return VERDICT_WRITE;
	}
	if (over_quota(v, ev, in->now_ns))
		act->why = v->why;
	else if (!cd)
		act->why = "too many holders are cooling down";
	else if (!(name = strdup(rule->name)))
		act->why = "out of memory";
	if (!name) {
		act->result = ACTION_FAILED;
		act->npids = 0; /* none was signalled */
		return VERDICT_WRITE;
	}
	free(cd->rule);
	*cd = (struct cooldown){ ev->sock.netns, ev->sock.port, ev->sock.protocol, *holder,
				 ev->uid, UINT64_MAX, ++v->last_id, name, in->wall };
	act->id = cd->id;
	if (v->dry_run) {
		act->signals[act->nsignals++] = rule->reclaim.signal;
		act->result = ACTION_DRY_RUN;
	} else if (v->stopping) {
		act->why = "bindwatch was stopping";
		act->result = ACTION_FAILED;
	} else if (nrunning(v) > VERDICT_MAX_RUNNING) { /* this one included */
		act->why = "too many reclaims under way";
		act->result = ACTION_FAILED;
	} else {
		return VERDICT_SIGNAL;
	}
	verdict_end(v, act->id, rule->reclaim.cooldown_ms, in->now_ns, &in->wall);
	return VERDICT_WRITE;
}

enum verdict verdict_decide(struct verdicts *v, struct bw_record *r,
			    const struct verdict_input *in, struct record_action *act,
			    const struct policy_rule **rule)
{
	const struct diagnosis *diag = r->diag;
	const struct bw_event *ev = r->ev;
	struct policy_proc holder, requester;
	struct policy_proc_bufs hbufs, rbufs;
	const struct cooldown *c;
	struct policy_misses why;
	struct identity id;

	*rule = NULL;
	/* most conflicts are on ports no rule names: no work for them */
	if (!v->policy || !policy_names(v->policy, ev->sock.port, ev->sock.protocol))
		return VERDICT_NONE;
	policy_proc_of(&requester, ev->comm, r->req, ev->uid, ev->start_ns, in->boot_ns, &rbufs);
	if (diag->n)
		holder_proc(&holder, &diag->holders[0], in->boot_ns, &hbufs);
	*rule = policy_match_why(v->policy, ev->sock.port, ev->sock.protocol,
				 diag->n ? &holder : NULL, &requester, &why);
	explain_misses(v, r, &why);
	if (!*rule)
		return VERDICT_NONE;
	memset(act, 0, sizeof(*act));
	act->rule = (*rule)->name;
	act->type = policy_action_name((*rule)->action);
	act->probe = (*rule)->action == POLICY_PROBE;
	act->exec = (*rule)->exec;
	act->freed_after_ms = -1;
	r->action = act;
	if ((*rule)->action != POLICY_RECLAIM)
		return VERDICT_WRITE;
	identity_of(&id, v->seed, diag->n && diag->holders[0].h.pid &&
		    !diag->holders[0].pi.exited ? &diag->holders[0].pi : NULL,
		    diag->n ? holder.uid : -1);
	if ((c = running_for(v, ev, &id))) {
		act->result = ACTION_IN_PROGRESS;
		act->why = "a reclaim of the same holder is under way";
		act->wait_id = c->id;
		act->wait_rule = c->rule;
		act->wait_since = c->since;
		return VERDICT_WRITE;
	}
	if (!diag->n) {
		act->why = "no holder was found";
		act->result = ACTION_FAILED;
		return VERDICT_WRITE;
	}
	act->result = pick_targets(v, r, in, *rule, &requester, act);
	if (act->result != ACTION_NONE)
		return VERDICT_WRITE;
	return take_slot(v, *rule, r, in, act, &id);
}
