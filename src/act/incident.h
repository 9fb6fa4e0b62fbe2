/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * incident.h - who is in a conflict (a holder's and a requester's identity),
 * and a bounded table of incidents that says when an alert is due.
 */
#ifndef BW_INCIDENT_H
#define BW_INCIDENT_H

#include <stdbool.h>
#include <stdint.h>
#include "procinfo.h"
#include "event.h"

#define INCIDENTS_MAX 256
#define INCIDENTS_UID_SHARE (INCIDENTS_MAX / 4) /* of them, one requester uid's */
#define INCIDENT_INTERVAL_DEFAULT_MS (5 * 60 * 1000ULL) /* --exec-interval */

/*
 * A holder as a supervisor sees it: its uid, and its container or service
 * unit when the system manager names one (a restart keeps it), else its
 * executable.  id is a keyed hash (the key: incident_seed()), so a user
 * cannot aim a name at a collision without knowing it; a collision could
 * only join identities of the same uid.
 */
struct identity {
	int64_t uid;  /* -1: unknown */
	uint64_t id;  /* 0: nothing known of the process (no holder, or gone) */
};

/* A random key for identity_of(); 0 when the kernel gives no randomness. */
uint64_t incident_seed(void);

/* pi's identity with uid (-1: unknown), keyed by seed; pi NULL: no process. */
void identity_of(struct identity *out, uint64_t seed, const struct proc_info *pi, int64_t uid);

/*
 * A requester's identity: uid and the inode of its executable (exe_ino,
 * 0: none), which the kernel gives with each call, so it stays the same
 * once the process has exited, as a storm's later records find it.
 */
void identity_of_ino(struct identity *out, uint64_t seed, uint64_t exe_ino, int64_t uid);

static inline bool identity_eq(const struct identity *a, const struct identity *b)
{
	return a->uid == b->uid && a->id == b->id;
}

/* One conflict's parties: where, which holder, which requester. */
struct incident_key {
	uint32_t netns;
	unsigned int port;
	int proto;
	struct identity holder;
	struct identity requester;
};

struct incident {
	struct incident_key key;
	uint32_t owner;        /* the requester's uid, for its share */
	bool used;
	int outcome;           /* the last alerted outcome (0: none) */
	uint64_t seen_ns;      /* the last conflict, CLOCK_MONOTONIC */
	uint64_t alerted_ns;   /* the last alert */
	uint64_t suppressed;   /* conflicts not alerted since */
};

struct incidents {
	uint64_t interval_ns;  /* --exec-interval */
	uint64_t seed;         /* identity_of()'s key */
	struct incident slot[INCIDENTS_MAX];
};

void incidents_init(struct incidents *t, uint64_t interval_ms, uint64_t seed);

/*
 * The incident of conflict record r: its main holder (identity_of(), its
 * real uid as diagnosed) and its requester (identity_of_ino()).
 */
void incident_key_of(struct incident_key *k, uint64_t seed, const struct bw_record *r);

/*
 * count conflicts (a storm's record stands for several) of incident k, of
 * requester uid owner, at now (ns, CLOCK_MONOTONIC), ended in outcome
 * (0: none, such as a cooldown: never a change).  True when an alert is
 * due: the incident is new (or was forgotten), outcome differs from the
 * one last alerted, or the interval has passed since the last alert;
 * *suppressed is then the number of conflicts not alerted since that one.
 */
bool incidents_alert(struct incidents *t, const struct incident_key *k, uint32_t owner,
		     int outcome, uint64_t count, uint64_t now, uint64_t *suppressed);

/* incidents_alert() for record r, its action's result the outcome. */
bool incidents_record(struct incidents *t, const struct bw_record *r, uint64_t now,
		      uint64_t *suppressed);

#endif /* BW_INCIDENT_H */
