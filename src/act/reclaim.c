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
 * signalled at all is verdict.c's decision, made from what is read here
 * just before it (each holder's uid, whether it is a kernel thread,
 * whether its pid still names the process diagnosed: start time).  Then
 * check 5: each target is opened with pidfd_open() and only then checked
 * to be the process that was diagnosed (pid and start time, still running
 * the executable it had); every signal goes through that pidfd, so a pid
 * reused in between is never signalled.  None left: failed.
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

/* A reclaim under way: its own copy of the record and of the rule's settings. */
struct job {
	struct held_record rec;
	struct record_action act;
	char *rule;                 /* act.rule points here */
	char **exec;                /* act.exec: the rule's exec templates, or NULL */
	struct policy_reclaim how;
	int pidfds[ACTION_MAX_PIDS];
	uint64_t start_ns;          /* first signal, CLOCK_MONOTONIC */
	uint64_t deadline_ns;       /* end of the current grace period */
	uint64_t next_check_ns;
	bool escalated;
};

struct reclaimer {
	struct verdicts v;
	struct holders *holders;
	reclaim_done_fn done;
	void *arg;
	struct job *jobs[VERDICT_MAX_RUNNING];
	size_t njobs;
};

int reclaim_new(struct reclaimer **out, struct holders *holders, bool dry_run,
		reclaim_done_fn done, void *arg)
{
	struct reclaimer *rc = calloc(1, sizeof(*rc));

	if (!rc)
		return -ENOMEM;
	verdicts_init(&rc->v);
	rc->v.dry_run = dry_run;
	rc->v.self = (uint32_t)getpid();
	rc->v.seed = incident_seed();
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
	verdicts_fini(&rc->v);
	policy_free(rc->v.policy);
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
	policy_free(rc->v.policy);
	rc->v.policy = p;
	if (p)
		p->on_limit = on_limit;
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

/* A reclaim has ended: the record goes out (and with it the rule's exec). */
static void job_finish(struct reclaimer *rc, struct job *j, enum action_result result)
{
	struct bw_record r;

	struct timespec wall;

	held_record_view(&j->rec, &r);
	r.action = &j->act;
	j->act.result = result;
	clock_gettime(CLOCK_REALTIME, &wall);
	verdict_end(&rc->v, j->act.id, j->how.cooldown_ms, now_ns(CLOCK_MONOTONIC), &wall);
	rc->done(rc->arg, &r);
}

/* Whether the request j is about would still be refused. */
static bool still_held(struct reclaimer *rc, struct job *j)
{
	struct diagnosis d = {};
	bool held = diagnose(rc->holders, NULL, NULL, &j->rec.ev, &d) || d.n;

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

/* Check 5 and the first signal: a job that owns the record from now on. */
static bool start(struct reclaimer *rc, const struct policy_rule *rule, struct held_record *rec,
		  struct record_action *act)
{
	const struct diagnosis *diag = &rec->diag;
	struct job *j;
	unsigned int i, alive = 0;
	size_t k;

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
	for (i = 0; i < ACTION_MAX_PIDS; i++)
		j->pidfds[i] = -1;
	/* the targets in the order verdict_decide() listed them in act->pids */
	for (k = 0, i = 0; k < diag->n; k++) {
		const struct holder_info *hi = &diag->holders[k];

		if (!verdict_is_target(diag, hi))
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
	j->start_ns = now_ns(CLOCK_MONOTONIC);
	j->deadline_ns = j->start_ns + j->how.grace_ms * NSEC_PER_MSEC;
	j->next_check_ns = j->start_ns + CHECK_MS * NSEC_PER_MSEC;
	send_signal(j, j->how.signal);
	rc->jobs[rc->njobs++] = j;
	return true;
}

/* What /proc says now of each holder of d, for verdict_decide(). */
static void check_holders(const struct diagnosis *d, struct holder_check *checks)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct bw_holder *h = &d->holders[i].h;

		checks[i] = (struct holder_check){ .err = -ESRCH, .uid = -1 };
		if (h->pid)
			checks[i].err = procinfo_identity(h->pid, h->start_ns, &checks[i].uid,
							  &checks[i].kthread);
	}
}

bool reclaim_decide(struct reclaimer *rc, struct held_record *rec, struct bw_record *r,
		    struct record_action *act)
{
	struct holder_check checks[DIAG_MAX_HOLDERS];
	const struct policy_rule *rule;
	struct verdict_input in = { .checks = checks };

	/* most conflicts are on ports no rule names: no /proc reads for them */
	if (!rc->v.policy || !policy_names(rc->v.policy, r->ev->sock.port, r->ev->sock.protocol))
		return false;
	check_holders(&rec->diag, checks);
	in.now_ns = now_ns(CLOCK_MONOTONIC);
	in.boot_ns = now_ns(CLOCK_BOOTTIME);
	clock_gettime(CLOCK_REALTIME, &in.wall);
	if (verdict_decide(&rc->v, r, &in, act, &rule) != VERDICT_SIGNAL)
		return false;
	if (start(rc, rule, rec, act))
		return true;
	verdict_end(&rc->v, act->id, rule->reclaim.cooldown_ms, now_ns(CLOCK_MONOTONIC), &in.wall);
	return false;
}
