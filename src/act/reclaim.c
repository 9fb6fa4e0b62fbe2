// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * reclaim.c - the operator's runbook (find the holder, check it, signal it,
 * verify the port is free) done at the moment a deploy fails, for holders
 * the policy names, and for nothing else.
 *
 * It owns the reclaims under way (pidfds, signals, grace, re-diagnosis); it
 * must not decide whether to signal (verdict.c) or write records (its
 * done() does).
 *
 * This is the half that touches processes; whether a holder may be
 * signalled at all is verdict.c's decision, made on the diagnosis: each
 * holder's identity (procinfo.h: start time, executable, real, effective
 * and saved uids) as read then, and what else /proc said.  Then check 5:
 * each target is opened with pidfd_open() and only then checked to be the
 * process that was diagnosed (pid and start time); every signal goes
 * through that pidfd, so a pid reused in between is never signalled.  And
 * immediately before every signal, the first and the escalation alike,
 * each target's identity is read again (/proc/PID opened after its pidfd,
 * checked against the start time) and compared with the decision's: a
 * holder that exec'd another program (a setuid-root one makes it root) or
 * changed users since is not the process decided about, so that signal
 * goes to none of the targets and the reclaim fails, saying which holder
 * changed and how.  A target gone by then is passed over; only a signal
 * delivered to at least one target is recorded.  None left: failed.
 *
 * All of this runs on the decider's thread (decider.c), never on the one
 * that reads the ring buffer.  Then the rule's signal goes out and the
 * reclaim runs in the background: every CHECK_MS the original request is
 * diagnosed again, and the port counts as free only when nothing would
 * block it any more (checked, not assumed from the processes' exit).
 * After the grace period the escalation signal (if any) goes to the
 * targets still alive, with one more grace period; then the result is
 * reclaimed or timeout.  The record is written when the reclaim ends, with
 * what was done and how long the port took to free up (and the rule's
 * exec runs with it, hooks.c); capture never waits for it.  When bindwatch
 * stops, reclaims under way are ended and their records written.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "diagnose.h"
#include "log.h"
#include "procinfo.h"
#include "reclaim.h"
#include "util.h"
#include "verdict.h"

#define CHECK_MS 50
#define SIG_NAME_LEN 32 /* "SIGKILL", "signal 64" */

/* A process a reclaim signals: act.pids[i] is targets[i]'s pid. */
struct target {
	int pidfd;                  /* -1: gone */
	uint64_t start_ns;          /* since boot, as diagnosed */
	struct proc_identity seen;  /* as the decision saw it */
};

/* A reclaim under way: its own copy of the record and of the rule's settings. */
struct job {
	struct held_record rec;
	struct record_action act;
	char *rule;                 /* act.rule points here */
	char **exec;                /* act.exec: the rule's exec templates, or NULL */
	char why[VERDICT_WHY_LEN];  /* act.why, when it is the job's own */
	/* the record's unmatched, its rule names in names: the policy may be reloaded meanwhile */
	struct explain misses[POLICY_MAX_MISSES];
	char *names[POLICY_MAX_MISSES];
	size_t nmisses, misses_more;
	struct policy_reclaim how;
	struct target targets[ACTION_MAX_PIDS];
	uint64_t start_ns;          /* first signal, CLOCK_MONOTONIC */
	uint64_t deadline_ns;       /* end of the current grace period */
	uint64_t next_check_ns;
	bool escalated;
};

struct reclaimer {
	struct verdicts v;
	struct holders *holders;
	bw_emit_fn done;
	void *arg;
	struct job *jobs[VERDICT_MAX_RUNNING];
	size_t njobs;
};

int reclaim_new(struct reclaimer **out, struct holders *holders, bool dry_run,
		bw_emit_fn done, void *arg)
{
	struct reclaimer *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return -ENOMEM;
	verdicts_init(&rc->v);
	rc->v.dry_run = dry_run;
	rc->v.self = (uint32_t)getpid();
	rc->v.seed = identity_seed();
	rc->holders = holders;
	rc->done = done;
	rc->arg = arg;
	*out = rc;
	return 0;
}

static void job_free(struct job *j)
{
	unsigned int i;

	for (i = 0; i < j->act.npids; i++)
		if (j->targets[i].pidfd >= 0)
			close(j->targets[i].pidfd);
	held_record_free(&j->rec);
	free(j->rule);
	strv_free(j->exec);
	for (i = 0; i < j->nmisses; i++)
		free(j->names[i]);
	free(j);
}

void reclaim_free(struct reclaimer *rc)
{
	size_t i;

	if (!rc)
		return;
	for (i = 0; i < rc->njobs; i++)
		job_free(rc->jobs[i]);
	verdicts_fini(&rc->v);
	policy_free(rc->v.policy);
	free(rc);
}

void reclaim_set_policy(struct reclaimer *rc, struct policy *p)
{
	policy_free(rc->v.policy);
	rc->v.policy = p;
}

/* Target t is gone: nothing more is sent to it. */
static void forget(struct target *t)
{
	close(t->pidfd);
	t->pidfd = -1;
}

/* "SIGKILL", or "signal 40" for one without a name. */
static void signal_name(char *buf, size_t len, int sig)
{
	const char *abbrev = sigabbrev_np(sig);

	if (abbrev)
		snprintf(buf, len, "SIG%s", abbrev);
	else
		snprintf(buf, len, "signal %d", sig);
}

/*
 * Whether each target of j still running is the process the decision was
 * about, read now; a target gone is forgotten.  -ECANCELED when one is
 * not, with why (len bytes) naming it and what changed, for sig.
 */
static int recheck(struct job *j, int sig, char *why, size_t len)
{
	char what[PROCINFO_EXPLAIN_LEN], name[SIG_NAME_LEN];
	struct proc_identity now;
	unsigned int i, changes;

	for (i = 0; i < j->act.npids; i++) {
		struct target *t = &j->targets[i];

		if (t->pidfd < 0)
			continue;
		if (procinfo_identity(j->act.pids[i], t->start_ns, &now)) {
			forget(t);
			continue;
		}
		changes = procinfo_identity_changes(&t->seen, &now);
		if (!changes)
			continue;
		procinfo_identity_explain(what, sizeof(what), changes, &t->seen, &now);
		signal_name(name, sizeof(name), sig);
		snprintf(why, len, "holder %u is not the process the decision was about: %s; %s "
			 "was sent to no holder", j->act.pids[i], what, name);
		return -ECANCELED;
	}
	return 0;
}

/*
 * Send sig to every target of j still running, once each is checked to be
 * the process the decision was about; record sig if it reached one.  The
 * number of targets it reached, or -ECANCELED with why (len bytes) when
 * one was another process by then: then it was sent to none.
 */
static int signal_targets(struct job *j, int sig, char *why, size_t len)
{
	unsigned int i, sent = 0;
	int err = recheck(j, sig, why, len);

	if (err)
		return err;
	for (i = 0; i < j->act.npids; i++) {
		struct target *t = &j->targets[i];

		if (t->pidfd < 0)
			continue;
		if (!syscall(SYS_pidfd_send_signal, t->pidfd, sig, NULL, 0))
			sent++;
		else if (errno == ESRCH)
			forget(t);
		else
			warn("cannot signal %u: %s", j->act.pids[i], strerror(errno));
	}
	if (sent && j->act.nsignals < ACTION_MAX_SIGNALS)
		j->act.signals[j->act.nsignals++] = sig;
	return sent;
}

/* A reclaim has ended: the record goes out (and with it the rule's exec). */
static void job_finish(struct reclaimer *rc, struct job *j, enum action_result result)
{
	struct bw_record r;

	struct timespec wall;

	held_record_view(&j->rec, &r);
	r.action = &j->act;
	r.misses = j->misses;
	r.nmisses = j->nmisses;
	r.misses_more = j->misses_more;
	j->act.result = result;
	clock_gettime(CLOCK_REALTIME, &wall);
	verdict_end(&rc->v, j->act.id, j->how.cooldown_ms, now_ns(CLOCK_MONOTONIC), &wall);
	rc->done(rc->arg, &r);
}

/*
 * Whether the request j is about would still be refused: by the sockets
 * on the port now, not those the kernel had there at the call (its owners
 * would hold it forever).
 */
static bool still_held(struct reclaimer *rc, struct job *j)
{
	struct diagnosis d = {};
	struct bw_event now = j->rec.ev;
	bool held;

	now.owners_flags = 0;
	held = diagnose(rc->holders, NULL, NULL, &now, &d) || d.n;

	diagnosis_free(&d);
	return held;
}

void reclaim_stop(struct reclaimer *rc)
{
	struct job *j;

	if (rc)
		rc->v.stopping = true;
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
			j->escalated = true;
			j->deadline_ns = now + j->how.grace_ms * NSEC_PER_MSEC;
			if (signal_targets(j, j->how.escalate, j->why, sizeof(j->why)) < 0) {
				j->act.why = j->why;
				result = ACTION_FAILED;
			}
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

/* Keep r's unmatched for the record j writes when it ends; what cannot be copied is left out. */
static void keep_misses(struct job *j, const struct bw_record *r)
{
	size_t i;

	for (i = 0; i < r->nmisses; i++) {
		if (!(j->names[i] = strdup(r->misses[i].rule)))
			break;
		j->misses[i] = r->misses[i];
		j->misses[i].rule = j->names[i];
	}
	j->nmisses = i;
	j->misses_more = r->misses_more + r->nmisses - i;
}

/*
 * Check 5 and the first signal: a job that owns the record from now on.
 * False when nothing was signalled: act says why.
 */
static bool start(struct reclaimer *rc, const struct policy_rule *rule, struct held_record *rec,
		  const struct bw_record *r, struct record_action *act)
{
	const struct diagnosis *diag = &rec->diag;
	struct job *j;
	unsigned int i;
	size_t k;
	int sent;

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
	j->act.exec = j->exec;
	keep_misses(j, r);
	/* the targets in the order verdict_decide() listed them in act->pids */
	for (k = 0, i = 0; k < diag->n; k++) {
		const struct holder_info *hi = &diag->holders[k];

		if (!verdict_is_target(diag, hi))
			continue;
		j->targets[i] = (struct target){ .start_ns = hi->h.start_ns, .seen = hi->pi.id };
		j->targets[i++].pidfd = procinfo_pidfd(hi->h.pid, hi->h.start_ns);
	}
	for (; i < ACTION_MAX_PIDS; i++)
		j->targets[i].pidfd = -1;
	j->how = rule->reclaim;
	sent = signal_targets(j, j->how.signal, rc->v.why, sizeof(rc->v.why));
	if (sent <= 0) {
		act->why = sent ? rc->v.why :
			   "the holder exited (or its pid was reused) before it could be signalled";
		act->result = ACTION_FAILED;
		job_free(j);
		return false;
	}
	/* the job owns the record from now on: its heap parts move, pointers stay valid */
	j->rec = *rec;
	memset(rec, 0, sizeof(*rec));
	j->start_ns = now_ns(CLOCK_MONOTONIC);
	j->deadline_ns = j->start_ns + j->how.grace_ms * NSEC_PER_MSEC;
	j->next_check_ns = j->start_ns + CHECK_MS * NSEC_PER_MSEC;
	rc->jobs[rc->njobs++] = j;
	return true;
}

bool reclaim_decide(struct reclaimer *rc, struct held_record *rec, struct bw_record *r,
		    struct record_action *act)
{
	const struct policy_rule *rule;
	struct verdict_input in = { 0 };

	/* most conflicts are on ports no rule names: no work for them */
	if (!rc->v.policy || !policy_names(rc->v.policy, r->ev->sock.port, r->ev->sock.protocol))
		return false;
	in.now_ns = now_ns(CLOCK_MONOTONIC);
	in.boot_ns = now_ns(CLOCK_BOOTTIME);
	clock_gettime(CLOCK_REALTIME, &in.wall);
	if (verdict_decide(&rc->v, r, &in, act, &rule) != VERDICT_SIGNAL)
		return false;
	if (start(rc, rule, rec, r, act))
		return true;
	verdict_end(&rc->v, act->id, rule->reclaim.cooldown_ms, now_ns(CLOCK_MONOTONIC), &in.wall);
	return false;
}
