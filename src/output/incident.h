/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * incident.h - a bounded table of incidents (a conflict's place and its
 * parties' identities, identity.h) that says when an alert is due.
 */
#ifndef BW_INCIDENT_H
#define BW_INCIDENT_H

#include <stdbool.h>
#include <stdint.h>
#include "event.h"
#include "identity.h"

#define INCIDENTS_MAX 256
#define INCIDENTS_UID_SHARE (INCIDENTS_MAX / 4) /* of them, one requester uid's */
#define INCIDENT_INTERVAL_DEFAULT_MS (5 * 60 * 1000ULL) /* --exec-interval */

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
