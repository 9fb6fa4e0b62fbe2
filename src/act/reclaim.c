// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * reclaim.c - the operator's runbook (find the holder, check it, signal it,
 * verify the port is free) done at the moment a deploy fails, for holders
 * the policy names, and for nothing else.
 *
 * Killing the wrong process is the worst thing bindwatch could do, so a
 * reclaim passes these checks in order, and any that fails ends it with
 * the result recorded:
 *
 *  1. The targets are the processes holding the socket the rule matched
 *     (holders[0]: every process sharing it after fork).  No process (a
 *     TIME_WAIT or kernel socket), one /proc no longer describes, one
 *     whose command, executable or (when protect names units) unit is
 *     unknown, or a diagnosis that left holders out (diagnosis.omitted):
 *     failed.
 *  2. A target that is PID 1, a kernel thread, bindwatch itself, the
 *     requester itself or on the protect list, a socket PID 1 also holds
 *     (systemd socket activation), a target of another user than the
 *     requester (unless the requester is root, or the rule names the
 *     requester's uid: the operator's choice), or a target the rule does
 *     not match by itself (it was matched on the main holder only):
 *     protected.  Everything a requester shows but its uid is its own
 *     choice; the uid check is what keeps a user from having root's
 *     processes killed by looking like the rule's requester.
 *  0. (Before 1.)  A reclaim of the same holder under way, on the same
 *     port, protocol and network namespace (or of any holder, when no
 *     process holds the port any more): in-progress, naming that reclaim.
 *  3. A reclaim of the same holder within the rule's cooldown (from the
 *     end of that reclaim): cooldown, naming that reclaim, its rule, when
 *     it ended and the time left; no pids, none was signalled.  The holder
 *     is its identity (incident.h: uid and container, service unit or
 *     executable), so a service manager that restarts it at once does not
 *     meet a kill loop, and another stale process on the port is not held
 *     off by the first one's reclaim.  Each reclaim that gets this far
 *     has a number (action.id), counted from 1 at start.
 *     The slots for running reclaims (MAX_JOBS) and cooldowns are shared
 *     fairly: a requester uid, or a network namespace, may hold at most a
 *     quarter of each, so one user's reclaims (of its own stale processes,
 *     say in many namespaces) cannot leave none for another's: failed,
 *     with the quota named.
 *  4. --dry-run: dry-run, with the signal and pids it would have used (the
 *     cooldown starts as for a real reclaim, so the log shows what would
 *     happen).  Under --dry-run every decided record also says why the
 *     first rule naming its port did not match, when it did not
 *     (policy.unmatched), to test a policy before enabling it.
 *  5. Each target is opened with pidfd_open() and only then checked to be
 *     the process that was diagnosed (pid and start time, still running
 *     the executable it had); every signal goes through that pidfd, so a
 *     pid reused in between is never signalled.  None left: failed.
 *
 * All of this runs on the decider's thread (decider.c), never on the one
 * that reads the ring buffer.  Then the rule's signal goes out and the
 * reclaim runs in the background: every CHECK_MS the original request is diagnosed again,
 * and the port counts as free only when nothing would block it any more
 * (checked, not assumed from the processes' exit).  After the grace period
 * the escalation signal (if any) goes to the targets still alive, with one
 * more grace period; then the result is reclaimed or timeout.  The record
 * is written when the reclaim ends, with what was done and how long the
 * port took to free up; capture never waits for it.  When bindwatch stops,
 * reclaims under way are ended and their records written.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "addr.h"
#include "diagnose.h"
#include "log.h"
#include "explain.h"
#include "procinfo.h"
#include "reclaim.h"
#include "record.h"
#include "util.h"

#define CHECK_MS 50
#define MAX_JOBS 16
#define MAX_COOLDOWNS 256
#define QUOTA_SHARE 4      /* a uid or netns may hold 1/QUOTA_SHARE of the slots */
#define JOBS_QUOTA (MAX_JOBS / QUOTA_SHARE)
#define COOLDOWNS_QUOTA (MAX_COOLDOWNS / QUOTA_SHARE)
#define VAR_LEN 32
#define WHY_LEN 192

_Static_assert(POLICY_MAX_EXEC == HOOK_MAX_ARGS, "a rule's exec must fit a hook's argv");

/* A holder recently reclaimed (or tried): on its port, in its network namespace. */
struct cooldown {
	uint32_t netns;
	unsigned int port;
	int proto;
	struct identity holder;
	uint32_t uid;      /* the requester's, for its quota */
	uint64_t until_ns; /* CLOCK_MONOTONIC; UINT64_MAX while the reclaim runs */
	uint64_t id;       /* the reclaim's */
	char *rule;        /* its rule's name */
	struct timespec since; /* when it ended */
};

/* What policy_proc_of() points into. */
struct proc_bufs {
	char comm[BW_COMM_LEN + 1];
	char container[CG_CONTAINER_ID_LEN + 1];
};

/* A reclaim under way: its own copy of the record and of the rule's settings. */
struct job {
	struct held_record rec;
	struct record_action act;
	char *rule;                 /* act.rule points here */
	char **exec;                /* the rule's exec templates, or NULL */
	struct policy_reclaim how;
	int pidfds[ACTION_MAX_PIDS];
	uint64_t start_ns;          /* first signal, CLOCK_MONOTONIC */
	uint64_t deadline_ns;       /* end of the current grace period */
	uint64_t next_check_ns;
	bool escalated;
	struct identity holder;     /* whose reclaim: in-progress for the same */
	struct timespec started;    /* CLOCK_REALTIME of the first signal */
	uint64_t cooldown_ms;
};

struct reclaimer {
	struct policy *policy;
	struct holders *holders;
	struct hooks *hooks;
	bool dry_run;
	reclaim_done_fn done;
	void *arg;
	struct job *jobs[MAX_JOBS];
	size_t njobs;
	struct cooldown cooldowns[MAX_COOLDOWNS];
	bool stopping;              /* reclaim_stop() ran: start nothing more */
	uint64_t last_id;           /* the last reclaim's number */
	uint64_t seed;              /* for holder identities (incident.h) */
	char why[WHY_LEN];          /* a decision's why, until the next decision */
	struct explain unmatched;   /* --dry-run: a record's policy.unmatched, likewise */
};

int reclaim_new(struct reclaimer **out, struct holders *holders,
		struct hooks *hooks, bool dry_run, reclaim_done_fn done, void *arg)
{
	struct reclaimer *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return -ENOMEM;
	rc->holders = holders;
	rc->hooks = hooks;
	rc->dry_run = dry_run;
	rc->done = done;
	rc->arg = arg;
	rc->seed = incident_seed();
	*out = rc;
	return 0;
}

static void job_free(struct job *j)
{
	unsigned int i;

	for (i = 0; i < j->act.npids; i++)
		if (j->pidfds[i] >= 0)
			close(j->pidfds[i]);
	held_record_free(&j->rec);
	free(j->rule);
	strv_free(j->exec);
	free(j);
}

void reclaim_free(struct reclaimer *rc)
{
	size_t i;

	if (!rc)
		return;
	for (i = 0; i < rc->njobs; i++)
		job_free(rc->jobs[i]);
	for (i = 0; i < MAX_COOLDOWNS; i++)
		free(rc->cooldowns[i].rule);
	policy_free(rc->policy);
	free(rc);
}

/* Once per pattern: the match gave up, so the rule did not apply where it might have. */
static void on_limit(void *arg, const struct policy_rule *r, const char *side, const char *why)
{
	warn("rule %s (line %u): its %s cmdline pattern gave up on a command line (%s) and "
	     "counts as not matching; further cases are not reported", r->name, r->line, side, why);
}

void reclaim_set_policy(struct reclaimer *rc, struct policy *p)
{
	policy_free(rc->policy);
	rc->policy = p;
	if (p)
		p->on_limit = on_limit;
}

/* A process as the policy's conditions see it; pointing into pi and b. */
static void policy_proc_of(struct policy_proc *pp, const char *comm, const struct proc_info *pi,
			   int64_t uid, uint64_t start_ns, struct proc_bufs *b)
{
	uint64_t boot = now_ns(CLOCK_BOOTTIME);

	pp->comm = comm;
	pp->exe = pi->exe;
	pp->cmdline = pi->cmdline;
	pp->unit = pi->unit;
	pp->user_unit = pi->user_unit;
	/* below a user's delegation a "container" is a name the user chose */
	pp->container = pi->cgroup && pi->container[0] &&
			!cgpath_system_container(pi->cgroup, b->container) ? b->container : NULL;
	pp->uid = uid;
	pp->age_ms = boot > start_ns ? (int64_t)((boot - start_ns) / NSEC_PER_MSEC) : -1;
	pp->state = POLICY_STATE_ANY;
}

/*
 * The holder hi as the policy sees it, pointing into hi and b.  0, or
 * -ESRCH when no process or another one holds the pid now; *kthread: the
 * process is a kernel thread.
 */
static int holder_proc(struct policy_proc *pp, const struct holder_info *hi,
		       struct proc_bufs *b, bool *kthread)
{
	int64_t uid = -1;
	int err = hi->h.pid ? procinfo_identity(hi->h.pid, hi->h.start_ns, &uid, kthread) : -ESRCH;

	if (err) {
		uid = -1;
		*kthread = false;
	}
	memcpy(b->comm, hi->h.comm, BW_COMM_LEN);
	b->comm[BW_COMM_LEN] = '\0';
	policy_proc_of(pp, hi->h.pid && !hi->pi.exited ? b->comm : NULL, &hi->pi, uid,
		       hi->h.start_ns, b);
	if (hi->h.state == TCP_LISTEN)
		pp->state = POLICY_STATE_LISTEN;
	else if (hi->h.state == TCP_CLOSE)
		pp->state = POLICY_STATE_BOUND;
	return err;
}

/* Whether hi is a process holding the socket the rule was matched on. */
static bool is_target(const struct diagnosis *d, const struct holder_info *hi)
{
	return hi->h.pid && hi->h.ino == d->holders[0].h.ino;
}

/*
 * The cooldown slot of holder on the port ev is about, or a free (expired)
 * one; NULL when every slot is in use.  *active: it is cooling down.
 */
static struct cooldown *cooldown_slot(struct reclaimer *rc, const struct bw_event *ev,
				      const struct identity *holder, uint64_t now, bool *active)
{
	const struct bw_sock *s = &ev->sock;
	struct cooldown *free_slot = NULL, *c;
	size_t i;

	*active = false;
	for (i = 0; i < MAX_COOLDOWNS; i++) {
		c = &rc->cooldowns[i];
		if (c->netns == s->netns && c->port == s->port && c->proto == s->protocol &&
		    identity_eq(&c->holder, holder) && now < c->until_ns) {
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
static const struct job *running_for(const struct reclaimer *rc, const struct bw_event *ev,
				     const struct identity *holder)
{
	const struct bw_sock *s = &ev->sock;
	size_t i;

	for (i = 0; i < rc->njobs; i++) {
		const struct job *j = rc->jobs[i];
		const struct bw_sock *js = &j->rec.ev.sock;

		if (js->netns == s->netns && js->port == s->port && js->protocol == s->protocol &&
		    (!holder->id || identity_eq(&j->holder, holder)))
			return j;
	}
	return NULL;
}

/* The reclaim id ended now: its holder cools down from now on. */
static void cooldown_end(struct reclaimer *rc, uint64_t id, uint64_t cooldown_ms)
{
	struct cooldown *c;
	size_t i;

	for (i = 0; i < MAX_COOLDOWNS; i++) {
		c = &rc->cooldowns[i];
		if (c->id == id && c->until_ns == UINT64_MAX) {
			clock_gettime(CLOCK_REALTIME, &c->since);
			c->until_ns = now_ns(CLOCK_MONOTONIC) + cooldown_ms * NSEC_PER_MSEC;
		}
	}
}

/* act waits for the reclaim of cooldown c, at now: remaining time, no pids. */
static void wait_cooldown(struct record_action *act, const struct cooldown *c, uint64_t now)
{
	act->result = ACTION_COOLDOWN;
	act->why = "the same holder was reclaimed within the rule's cooldown";
	act->npids = 0; /* none was signalled for this record */
	act->wait_id = c->id;
	act->wait_rule = c->rule;
	act->wait_since = c->since;
	act->remaining_ms = (int64_t)((c->until_ns - now) / NSEC_PER_MSEC);
}

/*
 * Whether a requester of uid req may have target (of uid target, -1:
 * unknown) signalled under rule: root may, a user only its own processes,
 * unless the rule names the requester's uid.  If not, rc->why says why.
 */
static bool may_signal(struct reclaimer *rc, const struct policy_rule *rule, uint32_t req,
		       int64_t target)
{
	if (req == 0 || (int64_t)req == target || rule->requester.uid >= 0)
		return true;
	if (target < 0)
		snprintf(rc->why, sizeof(rc->why),
			 "the holder's uid could not be read and the requester's is %u: a reclaim "
			 "crosses users only when the rule names requester uid", req);
	else
		snprintf(rc->why, sizeof(rc->why),
			 "the holder runs as uid %lld and the requester as uid %u: a reclaim "
			 "crosses users only when the rule names requester uid", (long long)target, req);
	return false;
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
 * rc->why names the quota.
 */
static bool over_quota(struct reclaimer *rc, const struct bw_event *ev, uint64_t now)
{
	size_t i, uid_jobs = 0, ns_jobs = 0, uid_cds = 0, ns_cds = 0;
	const struct cooldown *c;
	struct quota q[4];

	for (i = 0; i < rc->njobs; i++) {
		uid_jobs += rc->jobs[i]->rec.ev.uid == ev->uid;
		ns_jobs += rc->jobs[i]->rec.ev.sock.netns == ev->sock.netns;
	}
	for (i = 0; i < MAX_COOLDOWNS; i++) {
		c = &rc->cooldowns[i];
		uid_cds += now < c->until_ns && c->uid == ev->uid;
		ns_cds += now < c->until_ns && c->netns == ev->sock.netns;
	}
	q[0] = (struct quota){ uid_jobs, JOBS_QUOTA, "reclaim", "requester uid",
			       "reclaims under way", "uid", ev->uid };
	q[1] = (struct quota){ ns_jobs, JOBS_QUOTA, "reclaim", "network namespace",
			       "reclaims under way", "namespace", ev->sock.netns };
	q[2] = (struct quota){ uid_cds, COOLDOWNS_QUOTA, "cooldown", "requester uid",
			       "ports cooling down", "uid", ev->uid };
	q[3] = (struct quota){ ns_cds, COOLDOWNS_QUOTA, "cooldown", "network namespace",
			       "ports cooling down", "namespace", ev->sock.netns };
	for (i = 0; i < ARRAY_SIZE(q); i++) {
		if (q[i].held < (size_t)q[i].max)
			continue;
		snprintf(rc->why, sizeof(rc->why), "%s quota: %s %u already has %zu %s (at most %d per %s)",
			 q[i].slots, q[i].holder, q[i].id, q[i].held, q[i].holding, q[i].max, q[i].per);
		return true;
	}
	return false;
}

/*
 * Checks 1 and 2: fill act->pids with the processes holding the matched
 * socket; the result that ends the reclaim, or ACTION_NONE to go on.
 */
static enum action_result pick_targets(struct reclaimer *rc, const struct diagnosis *d,
				       const struct policy_rule *rule, const struct bw_event *ev,
				       const struct policy_proc *requester,
				       struct record_action *act)
{
	const struct holder_info *main = &d->holders[0];
	struct proc_bufs bufs;
	struct policy_proc pp;
	bool kthread;
	size_t i;

	/* a sharer left out of the diagnosis could be signalled unchecked, or missed */
	if (d->omitted) {
		act->why = "more processes and sockets hold the port than one reclaim checks";
		return ACTION_FAILED;
	}
	for (i = 0; i < d->n; i++) {
		const struct holder_info *hi = &d->holders[i];

		if (!is_target(d, hi))
			continue;
		if (hi->h.pid == 1) {
			act->why = "PID 1 holds the socket (socket activation?)";
			return ACTION_PROTECTED;
		}
		act->pids[act->npids++] = hi->h.pid; /* d->n <= ACTION_MAX_PIDS */
	}
	if (!act->npids) {
		act->why = main->h.kernel ? "the kernel holds the socket" :
			   main->h.hidden ? "a process bindwatch cannot see holds the socket" :
			   "no process holds the socket";
		return ACTION_FAILED;
	}
	for (i = 0; i < d->n; i++) {
		const struct holder_info *hi = &d->holders[i];

		if (!is_target(d, hi))
			continue;
		if (hi->h.pid == (uint32_t)getpid()) {
			act->why = "the holder is bindwatch itself";
			return ACTION_PROTECTED;
		}
		if (hi->h.pid == ev->pid) {
			act->why = "the requester holds the socket itself";
			return ACTION_PROTECTED;
		}
		if (holder_proc(&pp, hi, &bufs, &kthread) || hi->pi.exited) {
			act->why = "a holder exited (or its pid was reused) before it could be checked";
			return ACTION_FAILED;
		}
		if (kthread) {
			act->why = "the holder is a kernel thread";
			return ACTION_PROTECTED;
		}
		if (policy_protected(rc->policy, &pp)) {
			act->why = "the holder is on the protect list";
			return ACTION_PROTECTED;
		}
		if (!may_signal(rc, rule, ev->uid, pp.uid)) {
			act->why = rc->why;
			return ACTION_PROTECTED;
		}
		/* protect ignores what it cannot see: so must the reclaimer */
		if (!pp.comm || !pp.exe) {
			act->why = "the holder's command or executable could not be read";
			return ACTION_FAILED;
		}
		if (rc->policy->protect.unit && !pp.unit && !pp.container) {
			act->why = "the holder's unit could not be read, and the protect list names units";
			return ACTION_FAILED;
		}
		/* the rule was matched on the main holder: every sharer must match it too */
		if (policy_match(rc->policy, ev->sock.port, ev->sock.protocol, &pp, requester) != rule) {
			act->why = "a process sharing the socket does not match the rule";
			return ACTION_PROTECTED;
		}
	}
	return ACTION_NONE;
}

/* Send sig to every target still open; record it once. */
static void send_signal(struct job *j, int sig)
{
	unsigned int i;

	for (i = 0; i < j->act.npids; i++) {
		if (j->pidfds[i] < 0)
			continue;
		if (syscall(SYS_pidfd_send_signal, j->pidfds[i], sig, NULL, 0) && errno != ESRCH)
			warn("cannot signal %u: %s", j->act.pids[i], strerror(errno));
	}
	if (j->act.nsignals < ACTION_MAX_SIGNALS)
		j->act.signals[j->act.nsignals++] = sig;
}

/* The value of exec placeholder name for record r. */
static const char *var_value(const struct bw_record *r, const char *name, char *buf)
{
	const struct holder_info *h = r->diag && r->diag->n ? &r->diag->holders[0] : NULL;
	const struct bw_event *ev = r->ev;

	if (!strcmp(name, "port"))
		snprintf(buf, VAR_LEN, "%u", ev->sock.port);
	else if (!strcmp(name, "proto"))
		return proto_name(buf, VAR_LEN, ev->sock.type, ev->sock.protocol);
	else if (!strcmp(name, "rule"))
		return r->action->rule;
	else if (!strcmp(name, "action"))
		return r->action->result ? action_result_name(r->action->result) : r->action->type;
	else if (!strcmp(name, "reason"))
		return r->diag ? conflict_reason_code(r->diag->reason) : "unknown";
	else if (!strcmp(name, "holder.pid") && h && h->h.pid)
		snprintf(buf, VAR_LEN, "%u", h->h.pid);
	else if (!strcmp(name, "holder.comm") && h && h->h.pid)
		snprintf(buf, VAR_LEN, "%.*s", BW_COMM_LEN, h->h.comm);
	else if (!strcmp(name, "holder.exe") && h)
		return h->pi.exe;
	else if (!strcmp(name, "requester.pid"))
		snprintf(buf, VAR_LEN, "%u", ev->pid);
	else if (!strcmp(name, "requester.comm"))
		snprintf(buf, VAR_LEN, "%.*s", BW_COMM_LEN, ev->comm);
	else if (!strcmp(name, "requester.exe"))
		return r->req ? r->req->exe : NULL;
	else
		return NULL;
	return buf;
}

/*
 * Run a rule's exec for r, when its incident's alert is due: placeholders
 * expanded, the JSON record (with "suppressed") on stdin.
 */
static void run_exec(struct reclaimer *rc, char *const *tmpl, const struct bw_record *r)
{
	char bufs[POLICY_EXEC_VARS][VAR_LEN], *argv[HOOK_MAX_ARGS + 1] = {};
	struct strbuf args[HOOK_MAX_ARGS], json;
	struct policy_var vars[POLICY_EXEC_VARS];
	struct bw_record alert;
	uint64_t suppressed;
	size_t i, n;

	/* once per incident: a retrying requester is not news */
	if (!hooks_due(rc->hooks, HOOK_RULE, r, &suppressed))
		return;
	alert = *r;
	alert.suppressed = &suppressed;
	r = &alert;
	for (i = 0; i < POLICY_EXEC_VARS; i++) {
		vars[i].name = policy_exec_vars[i].name;
		vars[i].value = var_value(r, vars[i].name, bufs[i]);
	}
	for (n = 0; tmpl[n] && n < HOOK_MAX_ARGS; n++) {
		strbuf_init(&args[n]);
		if (policy_expand(tmpl[n], vars, POLICY_EXEC_VARS, &args[n]) || args[n].oom)
			warn("rule %s: cannot expand exec argument '%s'", r->action->rule, tmpl[n]);
		argv[n] = args[n].s;
	}
	strbuf_init(&json);
	record_json(&json, r);
	strbuf_addc(&json, '\n');
	if (!json.oom)
		hooks_run(rc->hooks, argv, r, json.s, json.len);
	strbuf_free(&json);
	for (i = 0; i < n; i++)
		strbuf_free(&args[i]);
}

/* A reclaim has ended: the record goes out, then the rule's exec. */
static void job_finish(struct reclaimer *rc, struct job *j, enum action_result result)
{
	struct bw_record r;

	held_record_view(&j->rec, &r);
	r.action = &j->act;
	j->act.result = result;
	cooldown_end(rc, j->act.id, j->cooldown_ms);
	rc->done(rc->arg, &r);
	if (j->exec)
		run_exec(rc, j->exec, &r);
}

/* Whether the request j is about would still be refused. */
static bool still_held(struct reclaimer *rc, struct job *j)
{
	struct diagnosis d = {};
	bool held = diagnose(rc->holders, NULL, &j->rec.ev, &d) || d.n;

	diagnosis_free(&d);
	return held;
}

void reclaim_stop(struct reclaimer *rc)
{
	struct job *j;

	if (rc)
		rc->stopping = true;
	while (rc && rc->njobs) {
		j = rc->jobs[--rc->njobs];
		if (still_held(rc, j)) {
			j->act.why = "bindwatch stopped before the port was free";
			job_finish(rc, j, ACTION_TIMEOUT);
		} else {
			j->act.freed_after_ms = (now_ns(CLOCK_MONOTONIC) - j->start_ns) / NSEC_PER_MSEC;
			job_finish(rc, j, ACTION_RECLAIMED);
		}
		job_free(j);
	}
}

bool reclaim_tend(struct reclaimer *rc)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	size_t i = 0;

	while (i < rc->njobs) {
		struct job *j = rc->jobs[i];
		enum action_result result = ACTION_NONE;

		if (now < j->next_check_ns) {
			i++;
			continue;
		}
		j->next_check_ns = now + CHECK_MS * NSEC_PER_MSEC;
		if (!still_held(rc, j)) {
			j->act.freed_after_ms = (now_ns(CLOCK_MONOTONIC) - j->start_ns) / NSEC_PER_MSEC;
			result = ACTION_RECLAIMED;
		} else if (now >= j->deadline_ns && j->how.escalate && !j->escalated) {
			send_signal(j, j->how.escalate);
			j->escalated = true;
			j->deadline_ns = now + j->how.grace_ms * NSEC_PER_MSEC;
		} else if (now >= j->deadline_ns) {
			result = ACTION_TIMEOUT;
		}
		if (result == ACTION_NONE) {
			i++;
			continue;
		}
		job_finish(rc, j, result);
		job_free(j);
		rc->jobs[i] = rc->jobs[--rc->njobs];
	}
	return rc->njobs > 0;
}

/* Step 5 and the first signal: a job that owns the record from now on. */
static bool start(struct reclaimer *rc, const struct policy_rule *rule, struct held_record *rec,
		  struct record_action *act, const struct identity *holder)
{
	const struct diagnosis *diag = &rec->diag;
	struct job *j;
	unsigned int i, alive = 0;
	size_t k;

	if (rc->njobs == MAX_JOBS) {
		act->why = "too many reclaims under way";
		act->result = ACTION_FAILED;
		return false;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->rule = strdup(rule->name)) || (rule->exec && !(j->exec = strv_dup(rule->exec)))) {
		if (j)
			free(j->rule);
		free(j);
		act->why = "out of memory";
		act->result = ACTION_FAILED;
		return false;
	}
	j->act = *act;
	j->act.rule = j->rule;
	for (i = 0; i < ACTION_MAX_PIDS; i++)
		j->pidfds[i] = -1;
	/* the targets in the order pick_targets() listed them in act->pids */
	for (k = 0, i = 0; k < diag->n; k++) {
		const struct holder_info *hi = &diag->holders[k];

		if (!is_target(diag, hi))
			continue;
		j->pidfds[i] = procinfo_pidfd(hi->h.pid, hi->h.start_ns);
		/* checked as it was diagnosed: an exec since then makes it another program */
		if (j->pidfds[i] >= 0 && !procinfo_runs(hi->h.pid, hi->h.start_ns, hi->pi.exe)) {
			act->why = "a holder exec'd another program before it could be signalled";
			act->result = ACTION_FAILED;
			job_free(j);
			return false;
		}
		alive += j->pidfds[i++] >= 0;
	}
	if (!alive) {
		act->why = "the holder exited (or its pid was reused) before it could be signalled";
		act->result = ACTION_FAILED;
		job_free(j);
		return false;
	}
	/* the job owns the record from now on: its heap parts move, pointers stay valid */
	j->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	j->how = rule->reclaim;
	j->holder = *holder;
	j->cooldown_ms = rule->reclaim.cooldown_ms;
	clock_gettime(CLOCK_REALTIME, &j->started);
	j->start_ns = now_ns(CLOCK_MONOTONIC);
	j->deadline_ns = j->start_ns + j->how.grace_ms * NSEC_PER_MSEC;
	j->next_check_ns = j->start_ns + CHECK_MS * NSEC_PER_MSEC;
	send_signal(j, j->how.signal);
	rc->jobs[rc->njobs++] = j;
	return true;
}

/* --dry-run: r says why the first rule naming its port did not match, if it did not. */
static void explain_first(struct reclaimer *rc, struct bw_record *r,
			  const struct policy_proc *holder, const struct policy_proc *requester)
{
	const struct policy_rule *miss;

	miss = policy_first_miss(rc->policy, r->ev->sock.port, r->ev->sock.protocol, holder,
				 requester, &rc->unmatched.miss);
	if (!miss)
		return;
	rc->unmatched.rule = miss->name;
	rc->unmatched.line = miss->line;
	r->unmatched = &rc->unmatched;
}

/*
 * Checks 3 to 5 for a reclaim that passed checks 1 and 2 against holder:
 * true when a job took rec over.
 */
static bool reclaim_holder(struct reclaimer *rc, const struct policy_rule *rule,
			   struct held_record *rec, const struct bw_record *r,
			   struct record_action *act, const struct identity *holder)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	struct cooldown *cd;
	char *name;
	bool active;

	cd = cooldown_slot(rc, r->ev, holder, now, &active);
	if (active) {
		wait_cooldown(act, cd, now);
		return false;
	}
	name = NULL;
	if (over_quota(rc, r->ev, now))
		act->why = rc->why;
	else if (!cd)
		act->why = "too many holders are cooling down";
	else if (!(name = strdup(rule->name)))
		act->why = "out of memory";
	if (!name) {
		act->result = ACTION_FAILED;
		act->npids = 0; /* none was signalled */
		return false;
	}
	free(cd->rule);
	*cd = (struct cooldown){ r->ev->sock.netns, r->ev->sock.port, r->ev->sock.protocol,
				 *holder, r->ev->uid, UINT64_MAX, ++rc->last_id, name, {} };
	act->id = cd->id;
	if (rc->dry_run) {
		act->signals[act->nsignals++] = rule->reclaim.signal;
		act->result = ACTION_DRY_RUN;
	} else if (rc->stopping) {
		act->why = "bindwatch was stopping";
		act->result = ACTION_FAILED;
	} else if (start(rc, rule, rec, act, holder)) {
		return true;
	}
	cooldown_end(rc, act->id, rule->reclaim.cooldown_ms);
	return false;
}

bool reclaim_decide(struct reclaimer *rc, struct held_record *rec, struct bw_record *r,
		    struct record_action *act)
{
	const struct diagnosis *diag = &rec->diag;
	const struct policy_rule *rule;
	struct policy_proc holder, requester;
	struct proc_bufs hbufs, rbufs;
	struct identity id;
	const struct job *j;
	bool kthread;

	/* most conflicts are on ports no rule names: no /proc reads for them */
	if (!rc->policy || !policy_names(rc->policy, r->ev->sock.port, r->ev->sock.protocol))
		return false;
	memcpy(rbufs.comm, r->ev->comm, BW_COMM_LEN);
	rbufs.comm[BW_COMM_LEN] = '\0';
	policy_proc_of(&requester, rbufs.comm, &rec->req, r->ev->uid, r->ev->start_ns, &rbufs);
	if (diag->n)
		holder_proc(&holder, &diag->holders[0], &hbufs, &kthread);
	rule = policy_match(rc->policy, r->ev->sock.port, r->ev->sock.protocol,
			    diag->n ? &holder : NULL, &requester);
	if (rc->dry_run)
		explain_first(rc, r, diag->n ? &holder : NULL, &requester);
	if (!rule)
		return false;
	memset(act, 0, sizeof(*act));
	act->rule = rule->name;
	act->type = policy_action_name(rule->action);
	act->freed_after_ms = -1;
	r->action = act;
	if (rule->action == POLICY_RECLAIM) {
		identity_of(&id, rc->seed, diag->n && diag->holders[0].h.pid &&
			    !diag->holders[0].pi.exited ? &diag->holders[0].pi : NULL,
			    diag->n ? holder.uid : -1);
		if ((j = running_for(rc, r->ev, &id))) {
			act->result = ACTION_IN_PROGRESS;
			act->why = "a reclaim of the same holder is under way";
			act->wait_id = j->act.id;
			act->wait_rule = j->rule;
			act->wait_since = j->started;
		} else if (!diag->n) {
			act->why = "no holder was found";
			act->result = ACTION_FAILED;
		} else {
			act->result = pick_targets(rc, diag, rule, r->ev, &requester, act);
		}
	}
	if (act->result == ACTION_NONE && rule->action == POLICY_RECLAIM &&
	    reclaim_holder(rc, rule, rec, r, act, &id))
		return true;
	if (rule->exec)
		run_exec(rc, rule->exec, r);
	return false;
}
