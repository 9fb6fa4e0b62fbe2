/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * verdict.h - the reclaim decision: which rule a conflict meets, and
 * whether its holders may be signalled, given what /proc said of them.
 * It owns the checks that keep bindwatch from signalling the wrong process,
 * the cooldowns and the running reclaims' slots; it must not read /proc,
 * open pidfds, signal or read a clock (the diagnosis brings what /proc said
 * of each holder, its identity included, and reclaim.c the clocks), so that
 * every refusal is tested without a kernel.
 */
#ifndef BW_VERDICT_H
#define BW_VERDICT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include "event.h"
#include "policy_explain.h"
#include "identity.h"
#include "policy.h"

#define VERDICT_MAX_RUNNING 16    /* reclaims under way */
#define VERDICT_MAX_COOLDOWNS 256 /* holders recently reclaimed (or tried) */
#define VERDICT_QUOTA_SHARE 4     /* a uid or netns may hold 1/VERDICT_QUOTA_SHARE of each */
#define VERDICT_WHY_LEN 384

/*
 * A reclaim under way (until_ns UINT64_MAX), or its holder cooling down
 * after it: on its port, in its network namespace.
 */
struct cooldown {
	uint32_t netns;
	unsigned int port;
	int proto;
	struct identity holder;
	uint32_t uid;      /* the requester's, for its quota */
	uint64_t until_ns; /* CLOCK_MONOTONIC */
	uint64_t id;       /* the reclaim's */
	char *rule;        /* its rule's name */
	struct timespec since; /* when it started; once ended, when it ended */
};

/* What decisions remember, and how they are made. */
struct verdicts {
	struct policy *policy;
	bool dry_run;
	bool stopping;              /* start nothing more */
	uint32_t self;              /* bindwatch's pid */
	uint64_t seed;              /* for holder identities (identity.h) */
	uint64_t last_id;           /* the last reclaim's number */
	struct cooldown cooldowns[VERDICT_MAX_COOLDOWNS];
	char why[VERDICT_WHY_LEN];  /* a decision's why, until the next decision */
	struct explain unmatched[POLICY_MAX_MISSES]; /* a record's misses, likewise */
};

/* The moment of a decision. */
struct verdict_input {
	uint64_t now_ns;                   /* CLOCK_MONOTONIC */
	uint64_t boot_ns;                  /* CLOCK_BOOTTIME: processes' ages */
	struct timespec wall;              /* CLOCK_REALTIME */
};

enum verdict {
	VERDICT_NONE,   /* no rule matched: write r as it is */
	VERDICT_WRITE,  /* act filled in: write r now */
	VERDICT_SIGNAL, /* act->pids are to be signalled: reclaim act->id is under way */
};

/* Empty books; the caller sets policy, dry_run, self and seed. */
void verdicts_init(struct verdicts *v);
/* Free the rule names the cooldowns keep (not the policy). */
void verdicts_fini(struct verdicts *v);

/*
 * The policy's say on the diagnosed conflict r (r->diag and r->req set).
 * VERDICT_NONE leaves act alone.  Otherwise act is filled in and r->action
 * points at it (act->rule and the like point into v, valid until the next
 * call); for VERDICT_SIGNAL, *rule is the matching rule, act->pids the
 * processes to signal (each holding the socket the rule matched, in
 * r->diag order), and the reclaim counts as running until verdict_end().
 * Whatever the verdict, r->misses says which rules naming the port did not
 * match and why (in v->unmatched), and under --dry-run r->unmatched the
 * first of them when it is the first rule naming the port.
 */
enum verdict verdict_decide(struct verdicts *v, struct bw_record *r,
			    const struct verdict_input *in, struct record_action *act,
			    const struct policy_rule **rule);

/*
 * Reclaim id ended at now/wall (it could not start, or finished): its
 * holder cools down for cooldown_ms from now on.
 */
void verdict_end(struct verdicts *v, uint64_t id, uint64_t cooldown_ms, uint64_t now_ns,
		 const struct timespec *wall);

/*
 * The uid a holder is judged by, in the cross-user check and in holder
 * conditions: its process's real uid (-1: unknown), as read when it was
 * diagnosed.  kill(2) lets a user signal a process whose real or saved uid
 * is its own, so a requester of this uid could signal the holder itself: a
 * reclaim does nothing for it that it could not do.  Not the socket's owner
 * (the process may have changed users since it opened the socket, as an
 * nginx worker does), nor the effective uid (what the process acts as on
 * files; kill(2) does not look at it).  Records give it as holders[].ruid,
 * and check-policy --replay reads it from there (replay.c).
 */
static inline int64_t verdict_uid(const struct holder_info *hi)
{
	return hi->pi.id.ruid;
}

/*
 * Whether a requester of uid req may have a holder of uid target (-1:
 * unknown; verdict_uid()) signalled under rule: root may, a user only its
 * own processes, unless the rule names the requester's uid.  If not, why
 * (len bytes) says why.  The monitor's decision and check-policy --replay's.
 */
bool verdict_may_signal(const struct policy_rule *rule, int64_t req, int64_t target, char *why,
			size_t len);

/*
 * Whether holder is a container runtime's port proxy (conmon,
 * docker-proxy, ...) for a container: it holds the port because the
 * container publishes it, and signalling it would cut the container off
 * (or kill it) without freeing the port for good.  If so, why (len bytes)
 * names the container and says what to do instead.  The monitor's
 * decision and check-policy --replay's.
 */
bool verdict_is_proxy(const struct policy_proc *holder, char *why, size_t len);

/*
 * Whether p's protect list covers holder.  If so, why (len bytes) names
 * the entry: "the holder is on the protect list (protect.comm \"sshd\")".
 * The monitor's decision and check-policy --replay's.
 */
bool verdict_is_protected(const struct policy *p, const struct policy_proc *holder, char *why,
			  size_t len);

/* Whether r's holder is one the jobs target: a process holding the matched socket. */
static inline bool verdict_is_target(const struct diagnosis *d, const struct holder_info *hi)
{
	return hi->h.pid && hi->h.ino == d->holders[0].h.ino;
}

#endif /* BW_VERDICT_H */
