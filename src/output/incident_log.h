/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * incident_log.h - conflict incidents as the records tell them: a crash
 * loop's conflicts, one process after another, are one incident whose
 * records add up across its processes, and that ends with one
 * incident-end record.  (incident.h is the hooks' table: when an alert is
 * due.)
 */
#ifndef BW_INCIDENT_LOG_H
#define BW_INCIDENT_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "event.h"
#include "identity.h"
#include "portlist.h"

#define INCIDENT_LOG_MAX 256                     /* open incidents, all users */
#define INCIDENT_LOG_UID_SHARE (INCIDENT_LOG_MAX / 4) /* of them, one requester uid's */
#define INCIDENT_LOG_BYTES (16U << 20)           /* the records they keep, all users */
#define INCIDENT_LOG_UID_BYTES (INCIDENT_LOG_BYTES / 4) /* of which one uid's */
#define INCIDENT_IDLE_DEFAULT_MS (30 * 1000ULL)  /* --incident-idle */
#define INCIDENT_IDLE_MAX_MS (24 * 3600 * 1000ULL)
#define INCIDENT_STEP_MAX_MS (60 * 1000ULL)      /* the longest wait between an incident's records */
#define INCIDENT_RECENT 8                        /* processes told apart at once */

/* Where an incident's records go (the monitor's writer); under the caller's lock. */
typedef void (*incident_write_fn)(void *arg, const struct bw_record *r);

/*
 * What stays the same across a crash loop: the place (network namespace,
 * port, protocol) and the requester as identity_of_requester() names it.
 */
struct incident_place {
	uint32_t netns;
	unsigned int port;
	int proto;
	struct identity requester;
};

struct recent_proc {
	uint32_t pid;
	uint64_t start_ns;
	uint64_t gen;      /* the record it was last counted in */
};

struct logged_incident {
	struct incident_place key;
	bool used;
	uint32_t owner;              /* the requester's uid, for its share */
	uint64_t id;
	uint64_t count, processes;   /* failures and distinct processes, in all */
	uint64_t first_ns, last_ns;  /* CLOCK_MONOTONIC of the first and last failure */
	struct timespec first_wall, last_wall; /* the same, CLOCK_REALTIME */
	uint64_t written_ns;         /* the last record written */
	uint64_t step_ns;            /* the least time to the next record but news */
	uint64_t pending;            /* failures since that record, not yet written */
	uint64_t pending_procs;      /* the processes they are of */
	uint64_t gen;                /* records written */
	struct recent_proc recent[INCIDENT_RECENT];
	size_t next_recent;
	/* what the last record written said: a record that says otherwise is news */
	struct bw_sock sock;         /* the call's address and socket */
	uint8_t syscall, scope;
	struct identity holder;
	int reason;                  /* -1: not diagnosed */
	char rule[64];               /* its rule's name, "" for none */
	struct bw_event ev;          /* the latest failure's event */
	struct held_record *last;    /* and all of its record, when there was room */
	size_t last_bytes;
	/* its rule's (a log or alert rule) when it was held back: the policy may be reloaded */
	struct record_action action;
	bool has_action;
	char *action_rule;
	char **action_exec;
	struct identity holder_ids[INCIDENT_HOLDERS_MAX]; /* summary.holders' identities */
	struct incident_summary summary; /* holders seen so far */
};

struct incident_log {
	uint64_t idle_ns;        /* --incident-idle */
	uint64_t step_ns;        /* --window: the first wait between records; 0: a record each */
	uint64_t seed;           /* identity_of()'s key */
	uint64_t next_id;
	incident_write_fn write;
	void *arg;
	struct logged_incident slot[INCIDENT_LOG_MAX];
};

/*
 * An empty log that writes with write(arg, record), ends an incident after
 * idle_ms without a failure, and holds an incident's conflicts back for
 * step_ms after one of its records, then twice as long after each next
 * one, up to INCIDENT_STEP_MAX_MS (0: every conflict is written).  NULL
 * without memory.
 */
struct incident_log *incident_log_new(uint64_t idle_ms, uint64_t step_ms, uint64_t seed,
				      incident_write_fn write, void *arg);
void incident_log_free(struct incident_log *l);

/* The place conflict (or success) record r is of: where, and its requester. */
void incident_place_of(struct incident_place *k, uint64_t seed, const struct bw_record *r);

/*
 * Conflict record r (an EADDRINUSE call) at now (CLOCK_MONOTONIC ns):
 * counted in its incident (begun if new, evicting one when the table is
 * full) and written with "incident", standing for the failures held back
 * since the incident's last record; or held back itself when it tells
 * nothing new (same holder, reason and rule, no action taken) within the
 * wait since that record.
 */
void incident_log_conflict(struct incident_log *l, const struct bw_record *r, uint64_t now);

/*
 * Successful call r (enriched: r->req): the incident it resolves, if any,
 * ends ("resolved").
 */
void incident_log_success(struct incident_log *l, const struct bw_record *r);

/*
 * Write what incidents held back once their wait is over (all: now, at
 * stop), and end those without a failure for the idle time.
 */
void incident_log_tick(struct incident_log *l, uint64_t now, bool all);

/* Whether an open incident is on port and proto in network namespace netns. */
bool incident_log_open_on(const struct incident_log *l, unsigned int port, int proto,
			  uint32_t netns);

/* Set the bits of the ports of open incidents in ports. */
void incident_log_ports(const struct incident_log *l, uint64_t ports[PORTLIST_WORDS]);

#endif /* BW_INCIDENT_LOG_H */
