/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hooks.h - run an operator's command for each conflict (--exec, and a
 * policy rule's exec): the one hook runner.  It owns the children, their
 * slots, queue and timeouts and the once-per-incident rule; it must not
 * decide what a conflict means (the policy does) or block the caller.
 */
#ifndef BW_HOOKS_H
#define BW_HOOKS_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "contain.h"
#include "incident.h"
#include "event.h"
#include "strbuf.h"

#define HOOK_MAX_ARGS 32
#define HOOK_QUEUE_MAX 64          /* hooks waiting for a slot, all users */
#define HOOK_QUEUE_BYTES (4U << 20) /* and the memory they may take */
#define HOOK_STOP_WAIT_MS 1000     /* at stop: for running hooks, then for the killed */

struct hook_child;
struct hook_job;

/* Which hook a record is for: each alerts once per incident on its own. */
enum hook_kind {
	HOOK_EXEC, /* --exec */
	HOOK_RULE, /* a policy rule's exec */
	HOOK_KINDS
};

/* What --exec runs for (--exec-on); a rule's exec runs for its alerts only. */
enum hook_on {
	HOOK_ON_ALERT = 1 << 0,        /* conflicts and ownership alerts, once per incident */
	HOOK_ON_INCIDENT_END = 1 << 1, /* each incident-end record (incident_log.h) */
};

struct hooks {
	pthread_mutex_t lock;          /* held by every function below */
	char *argv[HOOK_MAX_ARGS + 1]; /* the command, split at blanks; NULL-ended */
	char *buf;                     /* the storage argv points into */
	unsigned int on;               /* enum hook_on: what argv runs for */
	unsigned int max_running;
	uint64_t timeout_ns;
	struct hook_child *running;    /* max_running slots */
	unsigned int nrunning;
	struct hook_job *queue[HOOK_QUEUE_MAX]; /* oldest first */
	unsigned int nqueued;
	size_t queued_bytes;
	uint64_t dropped;              /* hooks not run: the queue was full */
	uint64_t dropped_reported;     /* of those, handed to hooks_take_dropped() */
	struct incidents *incidents;   /* HOOK_KINDS tables: alerts already made */
	struct containment contain;    /* how all a hook starts ends with it */
};

/*
 * Split cmd (the --exec command; NULL for none) at blanks (no shell, no
 * quoting: a script does what a shell would) and prepare to run hooks, an
 * incident's again after interval_ms (--exec-interval) at the latest,
 * cmd for the records on (enum hook_on) names.  0 or -EINVAL/-E2BIG/-ENOMEM.
 */
int hooks_init(struct hooks *h, const char *cmd, unsigned int on, unsigned int max_running,
	       uint64_t timeout_ms, uint64_t interval_ms);
/*
 * Set up how hooks are contained (contain.h) and say which way, once: call
 * after the monitor lock is taken, when hooks may run.
 */
void hooks_contain(struct hooks *h);
/* Whether ending a hook signals its processes (no cgroup.kill): CAP_KILL is kept. */
bool hooks_signal(const struct hooks *h);
/*
 * Queued hooks are not run (and said so); running ones get at most
 * HOOK_STOP_WAIT_MS (less if their timeout comes first), then are killed
 * with all they started (and said so).
 */
void hooks_fini(struct hooks *h);

/* Whether hooks_init() set an --exec command up. */
static inline bool hooks_enabled(const struct hooks *h)
{
	return h->argv[0] != NULL;
}

/* Whether hooks_alert() may run a hook for record r: render its JSON only then. */
bool hooks_wanted(const struct hooks *h, const struct bw_record *r);

/*
 * The hooks of conflict record r whose incident's alert is due (incident.h):
 * --exec, and the exec of the rule r's action names (record_action.exec,
 * its templates expanded with r's variables, recvars.h).  Each gets json
 * (r's JSON record, rendered once by the caller) with "suppressed", the
 * conflicts of its incident not alerted since, on stdin.  A hook runs now
 * or, when r's requester has no free slot, once one is free; never blocks;
 * everything is copied.  An incident-end record r runs --exec, when
 * --exec-on asks for it, each time (json and a newline on stdin).  All hooks share the concurrency limit, the queue
 * and the timeout; the slots and the queue are shared fairly between the
 * requesters' uids.  A probe's conflict (record_probe()) runs none.
 */
void hooks_alert(struct hooks *h, const struct bw_record *r, const struct strbuf *json);

/* Reap finished hooks, kill overdue ones, start queued ones; true while
 * any runs or waits. */
bool hooks_tend(struct hooks *h);

/* Hooks dropped (not run: the queue was full) since the last call. */
uint64_t hooks_take_dropped(struct hooks *h);

#endif /* BW_HOOKS_H */
