/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record.h - a kernel event plus what userspace learned about it, and its
 * two renderings: a readable line and a JSON object (the public schema,
 * documented in README.md, "JSON records").
 */
#ifndef BW_RECORD_H
#define BW_RECORD_H

#include <net/if.h>
#include <stdint.h>
#include <time.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "conflict.h"
#include "explain.h"
#include "ledger.h"
#include "netns.h"
#include "procinfo.h"
#include "strbuf.h"

#define RECORD_VERSION 1

/* A socket on the port and what /proc said of the process holding it. */
struct holder_info {
	struct bw_holder h;
	struct proc_info pi; /* all NULL when no process holds it */
	const struct ledger_entry *bound_by; /* the bind() seen for it, or NULL */
	bool binder_exited;  /* the process that bound it is gone */
};

/* Who holds the port a conflict was about, and why the kernel refused. */
struct diagnosis {
	struct holder_info *holders; /* those that clash, the main one first */
	size_t n;
	size_t omitted;              /* clashing sockets left out past DIAG_MAX_HOLDERS */
	enum conflict_reason reason;
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

#define ACTION_MAX_PIDS 16
/* Holders a diagnosis lists at most: as many as one reclaim may signal. */
#define DIAG_MAX_HOLDERS ACTION_MAX_PIDS
#define ACTION_MAX_SIGNALS 2

/* What the policy decided for a conflict, and what came of it. */
struct record_action {
	const char *rule;     /* the rule that matched */
	const char *type;     /* "log", "alert" or "reclaim" */
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

/* "reclaimed", "dry-run", ...; NULL for ACTION_NONE. */
const char *action_result_name(enum action_result r);

struct bw_record {
	const struct bw_event *ev;
	const struct proc_info *req;  /* the requester */
	const struct diagnosis *diag; /* NULL unless a conflict was diagnosed */
	const struct record_action *action; /* NULL when no rule matched */
	const struct explain *unmatched; /* --dry-run: the first rule on the port did not match */
	struct timespec wall;         /* CLOCK_REALTIME of the call */
	char bound_dev[IF_NAMESIZE];  /* name of ev->sock.bound_ifindex, or "" */
	char netns_name[NETNS_NAME_LEN]; /* the requester's netns (netns_label()), or "" */
	/* for an alert hook's copy only: conflicts of its incident not alerted since its last run */
	const uint64_t *suppressed;
};

/* "fexit", "tracepoint", or "auto" for another value (enum bw_mode). */
const char *mode_name(int mode);

/* "conflict" (EADDRINUSE), "error" (another errno) or "ok". */
const char *record_event_name(const struct bw_event *ev);

/* Append one line / one JSON object, each without the trailing newline. */
void record_text(struct strbuf *sb, const struct bw_record *r);
/* The text line without its time, for logs that stamp their own (syslog). */
void record_summary(struct strbuf *sb, const struct bw_record *r);
void record_json(struct strbuf *sb, const struct bw_record *r);

/* The answer of `bindwatch who`: the sockets on port (proto may be NULL). */
void who_text(struct strbuf *sb, const struct holder_info *v, size_t n);
void who_json(struct strbuf *sb, const struct holder_info *v, size_t n,
	      unsigned int port, const char *proto, __u32 netns,
	      const struct timespec *wall);

/* Records the kernel could not deliver (ring buffer full). */
void lost_text(struct strbuf *sb, uint64_t count, const struct timespec *wall);
void lost_summary(struct strbuf *sb, uint64_t count);
void lost_json(struct strbuf *sb, uint64_t count, const struct timespec *wall);

/*
 * count failures of uid that its rate limit held back, the first of them at
 * since (all of them before wall).
 */
void suppressed_text(struct strbuf *sb, uint32_t uid, uint64_t count,
		     const struct timespec *since, const struct timespec *wall);
void suppressed_summary(struct strbuf *sb, uint32_t uid, uint64_t count,
			const struct timespec *since);
void suppressed_json(struct strbuf *sb, uint32_t uid, uint64_t count,
		     const struct timespec *since, const struct timespec *wall);

/* Records not handed to an alert hook: its queue was full (hooks.h). */
void hooks_dropped_text(struct strbuf *sb, uint64_t count, const struct timespec *wall);
void hooks_dropped_summary(struct strbuf *sb, uint64_t count);
void hooks_dropped_json(struct strbuf *sb, uint64_t count, const struct timespec *wall);

#endif /* BW_RECORD_H */
