// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * incident.c - one conflict seen over and over is one incident: page once.
 *
 * It owns the per-kind alert tables; it must not run hooks or signal.
 *
 * A requester retrying every second against a stale holder makes a record
 * each time (records are never suppressed), but an alert hook (--exec, a
 * rule's exec) should run when the incident starts, when something changes
 * and, while it lasts, once per --exec-interval with the number of
 * conflicts it did not alert for.  An incident is the port, protocol and
 * network namespace, the holder's identity (uid and exe, or the container
 * or service unit a supervisor restarts) and the requester's (uid and the
 * inode of its executable, known even once it has exited): a
 * different holder or requester is a change, so a new incident.  A
 * restarted holder of the same identity (identity.h) stays the same
 * incident, which is also what keys a reclaim's cooldown (verdict.c).
 *
 * The table is fixed (INCIDENTS_MAX) and any local user makes conflicts at
 * will, so it is shared out by requester uid: one uid holds at most
 * INCIDENTS_UID_SHARE incidents and past that forgets its own least
 * recently seen one; a full table first reuses incidents quiet for longer
 * than the interval, then takes from the uid holding the most, and only
 * when that uid holds more than the newcomer.  Forgetting an incident
 * only ever makes its next conflict alert again (as new): a user cannot
 * silence another's alerts, and re-triggers them only by holding more
 * incidents than that user.
 */
#include <string.h>
#include "incident.h"
#include "util.h"

void incidents_init(struct incidents *t, uint64_t interval_ms, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	t->interval_ns = interval_ms * NSEC_PER_MSEC;
	t->seed = seed;
}

void incident_key_of(struct incident_key *k, uint64_t seed, const struct bw_record *r)
{
	const struct holder_info *h = r->diag && r->diag->n ? &r->diag->holders[0] : NULL;

	memset(k, 0, sizeof(*k));
	k->netns = r->ev->sock.netns;
	k->port = r->ev->sock.port;
	k->proto = r->ev->sock.protocol;
	identity_of_ino(&k->requester, seed, r->ev->exe_ino, r->ev->uid);
	/* the process's real uid, as diagnosed: the uid reclaims judge it by */
	identity_of(&k->holder, seed, h && h->h.pid ? &h->pi : NULL,
		    h && h->h.pid ? h->pi.id.ruid : -1);
}

static bool key_eq(const struct incident_key *a, const struct incident_key *b)
{
	return a->netns == b->netns && a->port == b->port && a->proto == b->proto &&
	       identity_eq(&a->holder, &b->holder) && identity_eq(&a->requester, &b->requester);
}

static size_t owned_by(const struct incidents *t, uint32_t uid)
{
	size_t i, n = 0;

	for (i = 0; i < INCIDENTS_MAX; i++)
		n += t->slot[i].used && t->slot[i].owner == uid;
	return n;
}

/* The least recently seen incident of uid. */
static struct incident *oldest_of(struct incidents *t, uint32_t uid)
{
	struct incident *best = NULL, *c;
	size_t i;

	for (i = 0; i < INCIDENTS_MAX; i++) {
		c = &t->slot[i];
		if (c->used && c->owner == uid && (!best || c->seen_ns < best->seen_ns))
			best = c;
	}
	return best;
}

/* Where a new incident of owner goes (see the top of the file). */
static struct incident *slot_for(struct incidents *t, uint32_t owner, uint64_t now)
{
	struct incident *quiet = NULL, *c;
	size_t i, mine = owned_by(t, owner), most = 0, n;
	uint32_t biggest = owner;

	if (mine >= INCIDENTS_UID_SHARE)
		return oldest_of(t, owner);
	for (i = 0; i < INCIDENTS_MAX; i++) {
		c = &t->slot[i];
		if (!c->used)
			return c;
		if (now - c->seen_ns >= t->interval_ns && (!quiet || c->seen_ns < quiet->seen_ns))
			quiet = c;
	}
	if (quiet)
		return quiet;
	for (i = 0; i < INCIDENTS_MAX; i++) {
		n = owned_by(t, t->slot[i].owner);
		if (n > most) {
			most = n;
			biggest = t->slot[i].owner;
		}
	}
	return oldest_of(t, most > mine ? biggest : owner);
}

bool incidents_alert(struct incidents *t, const struct incident_key *k, uint32_t owner,
		     int outcome, uint64_t count, uint64_t now, uint64_t *suppressed)
{
	struct incident *c = NULL;
	size_t i;

	for (i = 0; i < INCIDENTS_MAX && !c; i++)
		if (t->slot[i].used && key_eq(&t->slot[i].key, k))
			c = &t->slot[i];
	if (!c) {
		c = slot_for(t, owner, now);
		*c = (struct incident){ .key = *k, .owner = owner, .used = true,
					.outcome = outcome, .seen_ns = now, .alerted_ns = now };
		*suppressed = 0;
		return true;
	}
	c->seen_ns = now;
	if ((outcome && outcome != c->outcome) || now - c->alerted_ns >= t->interval_ns) {
		*suppressed = c->suppressed;
		c->suppressed = 0;
		c->alerted_ns = now;
		if (outcome)
			c->outcome = outcome;
		return true;
	}
	c->suppressed += count;
	return false;
}

/* A reclaim's end is news; a cooldown or one under way is not. */
static int outcome_of(const struct record_action *a)
{
	if (!a || a->result == ACTION_COOLDOWN || a->result == ACTION_IN_PROGRESS)
		return ACTION_NONE;
	return a->result;
}

bool incidents_record(struct incidents *t, const struct bw_record *r, uint64_t now,
		      uint64_t *suppressed)
{
	struct incident_key k;

	incident_key_of(&k, t->seed, r);
	return incidents_alert(t, &k, r->ev->uid, outcome_of(r->action), r->ev->count ? r->ev->count : 1,
			       now, suppressed);
}
