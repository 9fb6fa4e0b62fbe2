// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * incident.c - one conflict seen over and over is one incident: page once.
 *
 * It owns identities and the per-kind alert tables; it must not run hooks
 * or signal.
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
 * restarted holder of the same identity stays the same incident, which is
 * also what keys a reclaim's cooldown (reclaim.c).
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
 *
 * Identities are hashed (SipHash-2-4 with a key drawn at start) into 64
 * bits next to the exact uid: the table stays small whatever the paths,
 * and a name crafted to collide would need the key.
 */
#include <string.h>
#include <sys/random.h>
#include "incident.h"
#include "util.h"

#define SIP_C_ROUNDS 2
#define SIP_D_ROUNDS 4

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static void sip_round(uint64_t v[4])
{
	v[0] += v[1]; v[1] = rotl(v[1], 13); v[1] ^= v[0]; v[0] = rotl(v[0], 32);
	v[2] += v[3]; v[3] = rotl(v[3], 16); v[3] ^= v[2];
	v[0] += v[3]; v[3] = rotl(v[3], 21); v[3] ^= v[0];
	v[2] += v[1]; v[1] = rotl(v[1], 17); v[1] ^= v[2]; v[2] = rotl(v[2], 32);
}

/* SipHash-2-4 of s[0..n) under the key (k0, k1). */
static uint64_t siphash(uint64_t k0, uint64_t k1, const char *s, size_t n)
{
	uint64_t v[4] = { k0 ^ 0x736f6d6570736575ULL, k1 ^ 0x646f72616e646f6dULL,
			  k0 ^ 0x6c7967656e657261ULL, k1 ^ 0x7465646279746573ULL };
	uint64_t m, b = (uint64_t)n << 56;
	size_t i, left = n % 8;
	int r;

	for (i = 0; i + 8 <= n; i += 8) {
		memcpy(&m, s + i, 8); /* little-endian hosts only: a key of our own */
		v[3] ^= m;
		for (r = 0; r < SIP_C_ROUNDS; r++)
			sip_round(v);
		v[0] ^= m;
	}
	for (i = 0; i < left; i++)
		b |= (uint64_t)(unsigned char)s[n - left + i] << (8 * i);
	v[3] ^= b;
	for (r = 0; r < SIP_C_ROUNDS; r++)
		sip_round(v);
	v[0] ^= b;
	v[2] ^= 0xff;
	for (r = 0; r < SIP_D_ROUNDS; r++)
		sip_round(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

uint64_t incident_seed(void)
{
	uint64_t seed = 0;

	if (getrandom(&seed, sizeof(seed), 0) != sizeof(seed))
		seed = 0;
	return seed;
}

/* Hash of "kind" NUL "name": a unit cannot pose as an exe of the same text. */
static uint64_t hash_of(uint64_t seed, const char *kind, const char *name)
{
	size_t nk = strlen(kind) + 1, nn = strlen(name);
	uint64_t h = siphash(seed, ~seed, kind, nk);

	return siphash(seed, h, name, nn) | 1; /* never 0: that is "nothing known" */
}

/* Whether unit names a service: a supervisor restarts those (not scopes, slices). */
static bool is_service(const char *unit)
{
	static const char sfx[] = ".service";
	size_t n = strlen(unit), k = sizeof(sfx) - 1;

	return n > k && !strcmp(unit + n - k, sfx) && strncmp(unit, "user@", strlen("user@"));
}

void identity_of(struct identity *out, uint64_t seed, const struct proc_info *pi, int64_t uid)
{
	out->uid = uid;
	out->id = 0;
	if (!pi)
		return;
	/* below a user's delegation the user names cgroups as it likes: the exe then */
	if (!pi->user_unit && pi->container[0])
		out->id = hash_of(seed, "container", pi->container);
	else if (!pi->user_unit && pi->unit && is_service(pi->unit))
		out->id = hash_of(seed, "unit", pi->unit);
	else if (pi->exe)
		out->id = hash_of(seed, "exe", pi->exe);
}

void identity_of_ino(struct identity *out, uint64_t seed, uint64_t exe_ino, int64_t uid)
{
	char ino[sizeof(exe_ino)];

	memcpy(ino, &exe_ino, sizeof(ino));
	out->uid = uid;
	out->id = exe_ino ? siphash(seed, ~seed, ino, sizeof(ino)) | 1 : 0;
}

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
