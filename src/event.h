/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * event.h - the data model of a conflict: the kernel's event, what
 * userspace learned about the processes on both sides (procinfo.h), who
 * holds the port and why (the diagnosis), and what the policy did about it
 * (the action).  Every stage of the pipeline speaks in these types: the
 * capture hands a bw_event to enrichment, diagnose.c fills a diagnosis,
 * reclaim.c an action, and the renderers (record.h), hooks, metrics and
 * the decider read a bw_record.  Plain types, and forward declarations of
 * what the stages above own (a policy's rules, a rule's explanation): it
 * includes nothing above enrich/ and capture/, so every stage may include
 * it.  What frees or copies these types is event.c's; no I/O.
 */
#ifndef BW_EVENT_H
#define BW_EVENT_H

#include <errno.h>
#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "kcaller.h"
#include "netns.h"
#include "procinfo.h"

struct eph_view;
struct explain;
struct ledger_entry;
struct policy_miss;
struct policy_rule;

/* Why the kernel refused a conflict's call (conflict.h says which applies). */
enum conflict_reason {
	REASON_UNKNOWN = 0,          /* no holder found that explains it */
	REASON_LISTENER,             /* a listening socket has the address */
	REASON_BOUND,                /* a bound, not listening, socket; SO_REUSEADDR missing */
	REASON_TIME_WAIT,            /* a TIME_WAIT socket; SO_REUSEADDR missing */
	REASON_WILDCARD_OVERLAP,     /* a different address, but one side is a wildcard */
	REASON_DUAL_STACK_OVERLAP,   /* IPv6 [::] without V6ONLY against IPv4, or the reverse */
	REASON_REUSEPORT_UID,        /* both SO_REUSEPORT, different owners */
	REASON_REUSEPORT_ONE_SIDED,  /* only one side set SO_REUSEPORT */
	REASON_LISTEN_CONFLICT,      /* listen() after a shared (SO_REUSEADDR) bind */
	REASON_UDP_NO_REUSE,         /* UDP without SO_REUSEADDR/SO_REUSEPORT on both */
	REASON_EPHEMERAL_EXHAUSTED,  /* port 0: no free ephemeral port */
};

/*
 * Why no process is named for a socket that has a file (bw_holder.hidden):
 * the kernel writes HOLDER_HIDDEN, holder_infos() says which case it is.
 */
enum holder_hidden {
	HOLDER_SEEN = 0,
	HOLDER_HIDDEN = 1,       /* held where no walk bindwatch made could find it */
	HOLDER_OTHER_PIDNS = 2,  /* bindwatch's pid namespace may not show the process */
	HOLDER_IN_FLIGHT = 3,    /* in flight on a unix socket no process was found holding */
};

/* A socket on the port and what /proc said of the process holding it. */
struct holder_info {
	struct bw_holder h;
	struct proc_info pi; /* all NULL when no process holds it */
	const struct ledger_entry *bound_by; /* the bind() seen for it, or NULL */
	bool binder_exited;  /* the process that bound it is gone */
	bool gone;           /* the kernel had it on the port at the call; closed since */
	int64_t tw_ms_left;  /* TIME_WAIT: ms until the kernel frees it; -1 otherwise or unknown */
};

/* Who holds the port a conflict was about, and why the kernel refused. */
struct diagnosis {
	struct holder_info *holders; /* those that clash, the main one first */
	size_t n;
	size_t omitted;              /* clashing sockets left out past DIAG_MAX_HOLDERS */
	enum conflict_reason reason;
	bool walk_skipped;           /* the requester uid's walk budget was spent: not looked */
};

/* How a reclaim ended (the record's action.result). */
enum action_result {
	ACTION_NONE,      /* a log or alert rule: nothing to do */
	ACTION_RECLAIMED, /* the port was free again within the grace period(s) */
	ACTION_DRY_RUN,   /* --dry-run: decided, nothing signalled */
	ACTION_PROTECTED, /* PID 1, a kernel thread, bindwatch, the protect list */
	ACTION_COOLDOWN,  /* the port was reclaimed (or tried) too recently */
	ACTION_FAILED,    /* nothing could be signalled (gone, reused, unknown) */
	ACTION_TIMEOUT,   /* signalled, but the port stayed held */
	ACTION_IN_PROGRESS, /* a reclaim of the same holder is under way */
};

/* "reclaimed", "dry-run", ... (the record's action.result); NULL for ACTION_NONE. */
const char *action_result_name(enum action_result r);

#define ACTION_MAX_PIDS 16
/* Holders a diagnosis lists at most: as many as one reclaim may signal. */
#define DIAG_MAX_HOLDERS ACTION_MAX_PIDS
#define ACTION_MAX_SIGNALS 2

/* What the policy decided for a conflict, and what came of it. */
struct record_action {
	const char *rule;     /* the rule that matched */
	const char *type;     /* "log", "alert", "reclaim" or "probe" */
	bool probe;           /* a probe rule's: written, counted apart, never alerted */
	char *const *exec;    /* the rule's exec templates, run once the record is written; NULL: none */
	enum action_result result;
	const char *why;      /* protected, failed: why not; otherwise NULL */
	int signals[ACTION_MAX_SIGNALS]; /* sent, in order (dry-run: would be) */
	unsigned int nsignals;
	uint32_t pids[ACTION_MAX_PIDS]; /* the processes signalled (or not) */
	unsigned int npids;
	int64_t freed_after_ms; /* from the first signal; -1: not freed */
	uint64_t id;          /* a reclaim's number (from 1) once it took its cooldown; 0: none */
	/* cooldown, in-progress: the reclaim waited for */
	uint64_t wait_id;
	const char *wait_rule;
	struct timespec wait_since; /* cooldown: when it ended; in-progress: when it started */
	int64_t remaining_ms; /* cooldown: how long it still lasts */
};

/* What a record reports (bw_record.kind): the call, or what it did to a port's ownership. */
enum record_kind {
	RECORD_CALL,             /* "conflict", "error" or "ok" */
	RECORD_UNEXPECTED_OWNER, /* a success on an expected port by a caller no owner matches */
	RECORD_REUSEPORT_JOIN,   /* a success joining a SO_REUSEPORT group of other processes */
	RECORD_INCIDENT_END,     /* a conflict incident ended (incident_log.h) */
};

/* The conflict incident a conflict record belongs to (incident_log.h). */
struct incident_note {
	uint64_t id;        /* from 1, in the order incidents began */
	uint64_t processes; /* the processes whose failures the record's count holds */
};

/* Why an incident ended (the incident-end record's "end"). */
enum incident_end {
	INCIDENT_RESOLVED, /* the requester side bound the port */
	INCIDENT_IDLE,     /* no failure for --incident-idle */
	INCIDENT_EVICTED,  /* its place in the table went to a newer incident */
};

/* A holder an incident's conflicts met, by its identity (identity.h). */
struct incident_holder {
	uint32_t pid;        /* the last process of that identity; 0: none named */
	int64_t uid;         /* its real uid; -1: unknown */
	char comm[BW_COMM_LEN];
	uint64_t count;      /* failures against it */
};

#define INCIDENT_HOLDERS_MAX 8 /* holders an incident names; more are counted */

/* What an incident-end record says of its incident. */
struct incident_summary {
	uint64_t id;
	enum incident_end end;
	uint64_t count;          /* failures in all */
	uint64_t processes;      /* distinct processes that failed */
	struct timespec first, last; /* CLOCK_REALTIME of the first and last failure */
	uint64_t duration_ms;    /* first failure to the resolving call, else to the last failure */
	struct incident_holder holders[INCIDENT_HOLDERS_MAX];
	size_t nholders;
	uint64_t holders_omitted; /* failures against holders past INCIDENT_HOLDERS_MAX */
};

struct bw_record {
	const struct bw_event *ev;
	enum record_kind kind;
	/* ownership records: the expect rule naming the port, or NULL */
	const struct policy_rule *expect;
	const struct policy_miss *expect_miss; /* unexpected-owner: the owner condition missed */
	bool alert;                   /* an ownership record the hooks alert with */
	const struct proc_info *req;  /* the requester */
	/* "via" kernel: the function and module that bound, or NULL when not known */
	const struct kcaller *kcaller;
	const struct diagnosis *diag; /* NULL unless a conflict was diagnosed;
					 reuseport-join: the group's other members */
	const struct record_action *action; /* NULL when no rule matched */
	const struct explain *unmatched; /* --dry-run: the first rule on the port did not match */
	/* the rules naming the port tried before the one that matched (or all), and why not */
	const struct explain *misses;
	size_t nmisses;
	size_t misses_more;           /* rules that did not match past misses */
	struct timespec wall;         /* CLOCK_REALTIME of the call */
	uint64_t boot_ns;             /* CLOCK_BOOTTIME of the call, for the holders' ages; 0: unknown */
	char bound_dev[IF_NAMESIZE];  /* name of ev->sock.bound_ifindex, or "" */
	char netns_name[NETNS_NAME_LEN]; /* the requester's netns (netns_label()), or "" */
	/* a conflict: its incident; NULL outside one */
	const struct incident_note *incident;
	/* RECORD_INCIDENT_END: the incident; ev, req and diag are its last conflict's */
	const struct incident_summary *ended;
	/* for an alert hook's copy only: conflicts of its incident not alerted since its last run */
	const uint64_t *suppressed;
	/* a conflict over ephemeral ports: its namespace's range and who holds it; NULL: none */
	const struct eph_view *ephemeral;
};

/*
 * Whether r is a conflict a probe rule matched (a configuration test that
 * binds, as nginx -t does): no hook alerts for it, and the metrics count it
 * apart from the conflicts.
 */
static inline bool record_probe(const struct bw_record *r)
{
	return r->action && r->action->probe;
}

/*
 * Whether ev is a connect() that found no free ephemeral port (TCP's
 * EADDRNOTAVAIL, UDP's EAGAIN from its automatic bind), or a bind() to
 * port 0 that found none: a conflict over the ephemeral range.
 */
static inline bool event_ephemeral(const struct bw_event *ev)
{
	if (ev->syscall == BW_SYS_CONNECT)
		return ev->ret == -EADDRNOTAVAIL || ev->ret == -EAGAIN;
	return ev->syscall == BW_SYS_BIND && ev->ret == -EADDRINUSE && !ev->sock.port;
}

/* Whether ev is a conflict: EADDRINUSE, or a connect() out of ephemeral ports. */
static inline bool event_conflict(const struct bw_event *ev)
{
	return ev->ret == -EADDRINUSE || event_ephemeral(ev);
}

/*
 * "conflict" (EADDRINUSE), "error" (another errno), "ok",
 * "unexpected-owner", "reuseport-join" or "incident-end": the record's "event".
 */
const char *record_event_name(const struct bw_record *r);

/*
 * Where a stage hands a record to be written (the monitor's emit()): from
 * whichever thread the stage runs on, so it must be safe to call from any.
 */
typedef void (*bw_emit_fn)(void *arg, const struct bw_record *r);

/*
 * A conflict's record that owns everything it points to, for a record
 * written later (once decided, once a reclaim ends).  The diagnosis's
 * bound_by entries are copied: the ledger they point into moves on.
 */
struct held_record {
	struct bw_event ev;
	struct proc_info req;
	struct diagnosis diag;
	struct ledger_entry *bound; /* diag.holders[i].bound_by point here */
	struct timespec wall;
	uint64_t boot_ns;
	char bound_dev[IF_NAMESIZE];
	char netns_name[NETNS_NAME_LEN];
};

/* Free d's holders (their /proc reads); d is left empty. */
void diagnosis_free(struct diagnosis *d);
/* Free v[0..n) and what /proc said of each; NULL is fine. */
void holder_infos_free(struct holder_info *v, size_t n);

/*
 * Take the record r, whose requester and diagnosis are req and diag (left
 * empty), into h.  0, or -ENOMEM with nothing taken.
 */
int held_record_take(struct held_record *h, const struct bw_record *r, struct proc_info *req,
		     struct diagnosis *diag);

/*
 * A copy of record r (its event, requester and diagnosis; not its action)
 * into h: 0, or -ENOMEM with nothing held.
 */
int held_record_copy(struct held_record *h, const struct bw_record *r);

/* About the memory a held record takes. */
size_t held_record_size(const struct held_record *h);

/* r as a record pointing into h, with no action. */
void held_record_view(struct held_record *h, struct bw_record *r);

void held_record_free(struct held_record *h);

#endif /* BW_EVENT_H */
