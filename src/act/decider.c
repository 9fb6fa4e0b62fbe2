// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * decider.c - run the policy's decisions off the thread that reads the
 * ring buffer.
 *
 * It owns the decision thread and its bounded queue; it must not decide
 * itself (reclaim.c, verdict.c) or read the ring buffer.
 *
 * Deciding a conflict means matching rules whose patterns run on command
 * lines other users choose, reading /proc for every process sharing the
 * socket, signalling, and then checking the port every few milliseconds
 * until it is free.  None of that may hold up capture: a record about an
 * unrelated conflict must not wait behind a slow match.  So the ring-buffer
 * thread enriches and diagnoses every record as before, writes those on
 * ports no rule names at once, and hands the rest over here, through a
 * bounded queue: DECIDER_QUEUE_MAX conflicts, at most DECIDER_UID_SHARE of
 * them from one requester uid, so one user flooding a named port cannot
 * crowd out another's decision (what does not fit is written at once,
 * undecided, and said so).  This thread owns the reclaimer: it decides,
 * tends running reclaims, swaps in a reloaded policy, and writes decided
 * records through the caller's done(), which serializes output.
 *
 * Which ports a rule names is known to the ring-buffer thread from its own
 * copy (three port bitmaps made when the policy is handed over), so it never
 * reads the policy this thread may be replacing.  A queued conflict is a
 * held_record (event.h): it owns all it points to, the ledger entries
 * its holders were bound by included.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include "decider.h"
#include "diagnose.h"
#include "log.h"
#include "util.h"

#define TEND_MS 10       /* how often running reclaims are looked at */
#define IDLE_MS 1000     /* the longest wait when nothing runs */

/* The ports rules name: for any protocol, TCP only, UDP only. */
struct portset {
	uint64_t any[PORTLIST_WORDS], tcp[PORTLIST_WORDS], udp[PORTLIST_WORDS];
};

struct decider {
	struct reclaimer *rc;
	bw_emit_fn done;
	void *arg;
	struct portset names;         /* the submitting thread's */
	pthread_t thread;
	pthread_mutex_t lock;         /* guards what follows */
	pthread_cond_t wake;
	struct held_record *queue[DECIDER_QUEUE_MAX]; /* oldest first */
	size_t n;
	struct policy *reloaded;      /* to take over, or NULL */
	bool stop;
};

static void portset_of(struct portset *s, const struct policy *p)
{
	size_t i, w;

	memset(s, 0, sizeof(*s));
	for (i = 0; i < p->nrules; i++) {
		const struct policy_rule *r = &p->rules[i];
		uint64_t *set = r->proto == IPPROTO_TCP ? s->tcp : r->proto == IPPROTO_UDP ? s->udp
											: s->any;

		for (w = 0; w < PORTLIST_WORDS; w++)
			set[w] |= r->ports[w];
	}
}

bool decider_names(const struct decider *d, unsigned int port, int proto)
{
	return portlist_has(d->names.any, port) ||
	       (proto == IPPROTO_TCP && portlist_has(d->names.tcp, port)) ||
	       (proto == IPPROTO_UDP && portlist_has(d->names.udp, port));
}

/* Decide rec, and write it unless a reclaim has taken it over; free it. */
static void decide(struct decider *d, struct held_record *rec)
{
	struct record_action act;
	struct bw_record r;

	held_record_view(rec, &r);
	if (!reclaim_decide(d->rc, rec, &r, &act))
		d->done(d->arg, &r);
	held_record_free(rec);
	free(rec);
}

static void *run(void *arg)
{
	struct decider *d = arg;
	bool busy = false, stopped = false;
	struct held_record *p;
	struct policy *pol;

	for (;;) {
		struct timespec until = deadline_after_ms(CLOCK_MONOTONIC, busy ? TEND_MS : IDLE_MS);

		pthread_mutex_lock(&d->lock);
		while (!d->n && !d->reloaded && !d->stop &&
		       pthread_cond_timedwait(&d->wake, &d->lock, &until) != ETIMEDOUT)
			;
		p = NULL;
		if (d->n) {
			p = d->queue[0];
			memmove(d->queue, d->queue + 1, --d->n * sizeof(*d->queue));
		}
		pol = d->reloaded;
		d->reloaded = NULL;
		/* once told to stop: end the reclaims, then decide what is queued */
		if (d->stop && !stopped) {
			stopped = true;
			pthread_mutex_unlock(&d->lock);
			reclaim_stop(d->rc);
			pthread_mutex_lock(&d->lock);
		}
		pthread_mutex_unlock(&d->lock);
		if (pol)
			reclaim_set_policy(d->rc, pol);
		if (p)
			decide(d, p);
		else if (stopped)
			return NULL;
		busy = reclaim_tend(d->rc);
	}
}

int decider_start(struct decider **out, struct reclaimer *rc, struct policy *p,
		  bw_emit_fn done, void *arg)
{
	struct decider *d = calloc(1, sizeof(*d));
	pthread_condattr_t ca;
	int err;

	if (!d)
		return -ENOMEM;
	d->rc = rc;
	d->done = done;
	d->arg = arg;
	portset_of(&d->names, p);
	reclaim_set_policy(rc, p);
	pthread_mutex_init(&d->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &ca);
	pthread_condattr_destroy(&ca);
	err = -pthread_create(&d->thread, NULL, run, d);
	if (err) {
		pthread_cond_destroy(&d->wake);
		pthread_mutex_destroy(&d->lock);
		free(d);
		return err;
	}
	*out = d;
	return 0;
}

/* Queued conflicts of requester uid. */
static size_t queued_of(const struct decider *d, uint32_t uid)
{
	size_t i, n = 0;

	for (i = 0; i < d->n; i++)
		n += d->queue[i]->ev.uid == uid;
	return n;
}

int decider_submit(struct decider *d, const struct bw_record *r, struct proc_info *req,
		   struct diagnosis *diag)
{
	struct held_record *p;
	int err = 0;

	pthread_mutex_lock(&d->lock);
	if (d->n == DECIDER_QUEUE_MAX || queued_of(d, r->ev->uid) >= DECIDER_UID_SHARE)
		err = -EBUSY;
	else if (!(p = malloc(sizeof(*p))))
		err = -ENOMEM;
	else if ((err = held_record_take(p, r, req, diag)))
		free(p);
	else
		d->queue[d->n++] = p;
	pthread_mutex_unlock(&d->lock);
	if (!err)
		pthread_cond_signal(&d->wake);
	return err;
}

void decider_reload(struct decider *d, struct policy *p)
{
	struct policy *old;

	portset_of(&d->names, p);
	pthread_mutex_lock(&d->lock);
	old = d->reloaded; /* two reloads before the thread woke: the newer wins */
	d->reloaded = p;
	pthread_mutex_unlock(&d->lock);
	pthread_cond_signal(&d->wake);
	policy_free(old);
}

void decider_stop(struct decider *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->lock);
	d->stop = true;
	pthread_mutex_unlock(&d->lock);
	pthread_cond_signal(&d->wake);
	pthread_join(d->thread, NULL);
	policy_free(d->reloaded);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->lock);
	free(d);
}
