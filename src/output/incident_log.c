// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * incident_log.c - conflict incidents as the records tell them
 * (incident_log.h).
 *
 * It owns the incident table, what a conflict record of an incident
 * stands for and when an incident ends; it must not render or write a
 * record (its write() does), run hooks or touch the kernel's maps.
 *
 * A service that cannot get its port and is restarted by its supervisor
 * fails once per process: the kernel's storms (one per process) cannot
 * join those failures, so this does, in userspace.  An incident is the
 * place (network namespace, port, protocol) and the requester as a
 * supervisor restarts it (identity_of_requester(): uid, and container,
 * service unit or executable), not its pid.  Its first conflict is
 * written at once; a later one that tells nothing new (the same call,
 * address and socket options, the same main holder identity, reason and
 * rule, no action taken: what the kernel's storms tell apart, but the
 * process) is held back and
 * counted, and the next record, written once --window has passed and
 * then twice as long after each record (up to INCIDENT_STEP_MAX_MS),
 * stands for all held back since: "count" the failures, "incident"
 * the id and the processes.  News (another address or holder, a reclaim,
 * a policy explanation, failures of a whole uid) is written at once,
 * after what is held back.  So the counts of an incident's records add up exactly to
 * its failures.
 *
 * The incident ends with one incident-end record: "resolved" when a
 * process of the same place and requester identity binds or listens
 * successfully (the monitor has the kernel report successes on the ports
 * of open incidents), "idle" after --incident-idle without a failure, or
 * "evicted" when its place in the table is taken.  A record a record
 * stands for is the latest held back; it is kept whole while the
 * requester's uid is within its share of INCIDENT_LOG_BYTES (and all
 * within that), else only its event (no command line, no holders): the
 * counts stay exact either way.
 *
 * The table is fixed and any local user makes conflicts at will: one
 * requester uid holds at most INCIDENT_LOG_UID_SHARE incidents and past
 * that ends its own least recently failed one; a full table takes from
 * the uid holding the most, only when that is more than the newcomer's.
 * Ending an incident early only writes its records sooner: nothing is
 * lost, and a user cannot end another's incidents but by holding more
 * of them than that user.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "incident_log.h"
#include "util.h"

static const struct proc_info no_proc;

/* ns from then to now; 0 when then is later (a stamp taken on another CPU). */
static uint64_t since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

struct incident_log *incident_log_new(uint64_t idle_ms, uint64_t step_ms, uint64_t seed,
				      incident_write_fn write, void *arg)
{
	struct incident_log *l = calloc(1, sizeof(*l));

	if (!l)
		return NULL;
	l->idle_ns = idle_ms * NSEC_PER_MSEC;
	l->step_ns = step_ms * NSEC_PER_MSEC;
	l->seed = seed;
	l->write = write;
	l->arg = arg;
	return l;
}

static void drop_action(struct logged_incident *c)
{
	size_t i;

	for (i = 0; c->action_exec && c->action_exec[i]; i++)
		free(c->action_exec[i]);
	free(c->action_exec);
	free(c->action_rule);
	c->action_exec = NULL;
	c->action_rule = NULL;
	c->has_action = false;
}

static void drop_last(struct logged_incident *c)
{
	drop_action(c);
	if (!c->last)
		return;
	held_record_free(c->last);
	free(c->last);
	c->last = NULL;
	c->last_bytes = 0;
}

/*
 * A copy of the action of a log or alert rule a (only those are held
 * back): its rule's name and exec, which a reload would free.  0 or -ENOMEM.
 */
static int keep_action(struct logged_incident *c, const struct record_action *a)
{
	size_t i, n = 0;

	while (a->exec && a->exec[n])
		n++;
	c->action = *a;
	c->action_rule = strdup(a->rule);
	c->action_exec = a->exec ? calloc(n + 1, sizeof(*c->action_exec)) : NULL;
	if (!c->action_rule || (a->exec && !c->action_exec))
		goto oom;
	for (i = 0; i < n; i++)
		if (!(c->action_exec[i] = strdup(a->exec[i])))
			goto oom;
	c->action.rule = c->action_rule;
	c->action.exec = c->action_exec;
	c->has_action = true;
	return 0;
oom:
	drop_action(c);
	return -ENOMEM;
}

void incident_log_free(struct incident_log *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < INCIDENT_LOG_MAX; i++)
		drop_last(&l->slot[i]);
	free(l);
}

void incident_place_of(struct incident_place *k, uint64_t seed, const struct bw_record *r)
{
	memset(k, 0, sizeof(*k));
	k->netns = r->ev->sock.netns;
	k->port = r->ev->sock.port;
	k->proto = r->ev->sock.protocol;
	identity_of_requester(&k->requester, seed, r->req, r->ev->exe_ino, r->ev->uid);
}

static bool place_eq(const struct incident_place *a, const struct incident_place *b)
{
	return a->netns == b->netns && a->port == b->port && a->proto == b->proto &&
	       identity_eq(&a->requester, &b->requester);
}

static struct logged_incident *find(struct incident_log *l, const struct incident_place *k)
{
	size_t i;

	for (i = 0; i < INCIDENT_LOG_MAX; i++)
		if (l->slot[i].used && place_eq(&l->slot[i].key, k))
			return &l->slot[i];
	return NULL;
}

static size_t owned_by(const struct incident_log *l, uint32_t uid)
{
	size_t i, n = 0;

	for (i = 0; i < INCIDENT_LOG_MAX; i++)
		n += l->slot[i].used && l->slot[i].owner == uid;
	return n;
}

/* The memory incidents keep in records: uid's into *mine, everyone's into *all. */
static void bytes_kept(const struct incident_log *l, uint32_t uid, size_t *mine, size_t *all)
{
	size_t i;

	*mine = *all = 0;
	for (i = 0; i < INCIDENT_LOG_MAX; i++) {
		*all += l->slot[i].last_bytes;
		if (l->slot[i].used && l->slot[i].owner == uid)
			*mine += l->slot[i].last_bytes;
	}
}

/* The incident of uid that failed least recently. */
static struct logged_incident *oldest_of(struct incident_log *l, uint32_t uid)
{
	struct logged_incident *best = NULL, *c;
	size_t i;

	for (i = 0; i < INCIDENT_LOG_MAX; i++) {
		c = &l->slot[i];
		if (c->used && c->owner == uid && (!best || c->last_ns < best->last_ns))
			best = c;
	}
	return best;
}

/* Where a new incident of owner goes (see the top of the file): free, or to be ended. */
static struct logged_incident *slot_for(struct incident_log *l, uint32_t owner)
{
	size_t i, mine = owned_by(l, owner), most = 0, n;
	uint32_t biggest = owner;

	if (mine >= INCIDENT_LOG_UID_SHARE)
		return oldest_of(l, owner);
	for (i = 0; i < INCIDENT_LOG_MAX; i++)
		if (!l->slot[i].used)
			return &l->slot[i];
	for (i = 0; i < INCIDENT_LOG_MAX; i++) {
		n = owned_by(l, l->slot[i].owner);
		if (n > most) {
			most = n;
			biggest = l->slot[i].owner;
		}
	}
	return oldest_of(l, most > mine ? biggest : owner);
}

/* c's latest failure as a record: whole when kept, else its event alone. */
static void view_of(struct logged_incident *c, struct bw_record *r)
{
	if (c->last) {
		held_record_view(c->last, r);
	} else {
		memset(r, 0, sizeof(*r));
		r->ev = &c->ev;
		r->req = &no_proc;
		r->wall = c->last_wall;
	}
	r->action = c->has_action ? &c->action : NULL;
}

/* A record of c was written at now: the next waits twice as long, or from the start after news. */
static void written(struct incident_log *l, struct logged_incident *c, uint64_t now, bool news)
{
	c->pending = 0;
	c->pending_procs = 0;
	c->gen++;
	c->written_ns = now;
	if (news || !c->step_ns)
		c->step_ns = l->step_ns;
	else if (c->step_ns < INCIDENT_STEP_MAX_MS * NSEC_PER_MSEC)
		c->step_ns *= 2;
}

/* Write what c holds back, as its latest failure's record. */
static void flush(struct incident_log *l, struct logged_incident *c, uint64_t now)
{
	struct incident_note note = { .id = c->id, .processes = c->pending_procs };
	struct bw_record r;
	struct bw_event ev;

	if (!c->pending)
		return;
	view_of(c, &r);
	ev = *r.ev;
	ev.count = c->pending;
	r.ev = &ev;
	r.incident = &note;
	l->write(l->arg, &r);
	written(l, c, now, false);
}

/* End c: what it holds back, then its incident-end record at end_ns (wall: end). */
static void end(struct incident_log *l, struct logged_incident *c, enum incident_end why,
		uint64_t end_ns, const struct timespec *wall)
{
	struct incident_note note = { .id = c->id, .processes = c->processes };
	struct bw_record r;
	struct bw_event ev;

	flush(l, c, end_ns);
	c->summary.id = c->id;
	c->summary.end = why;
	c->summary.count = c->count;
	c->summary.processes = c->processes;
	c->summary.first = c->first_wall;
	c->summary.last = c->last_wall;
	c->summary.duration_ms = since(why == INCIDENT_RESOLVED ? end_ns : c->last_ns, c->first_ns) /
				 NSEC_PER_MSEC;
	view_of(c, &r);
	ev = *r.ev;
	ev.ts_ns = end_ns;
	r.ev = &ev;
	r.kind = RECORD_INCIDENT_END;
	r.wall = *wall;
	r.incident = &note;
	r.ended = &c->summary;
	l->write(l->arg, &r);
	drop_last(c);
	memset(c, 0, sizeof(*c));
}

static void wall_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

/* The incident of place k, begun for r's requester if new. */
static struct logged_incident *incident_for(struct incident_log *l, const struct incident_place *k,
					    uint32_t owner, uint64_t now)
{
	struct logged_incident *c = find(l, k);
	struct timespec wall;

	if (c)
		return c;
	c = slot_for(l, owner);
	if (c->used) {
		wall_now(&wall);
		end(l, c, INCIDENT_EVICTED, now, &wall);
	}
	c->key = *k;
	c->used = true;
	c->owner = owner;
	c->id = ++l->next_id;
	c->reason = -1;
	return c;
}

/* The identity of r's main holder (identity_of()), and that holder. */
static const struct holder_info *main_holder(const struct incident_log *l, const struct bw_record *r,
					     struct identity *id)
{
	const struct holder_info *h = r->diag && r->diag->n ? &r->diag->holders[0] : NULL;

	identity_of(id, l->seed, h && h->h.pid ? &h->pi : NULL, h && h->h.pid ? h->pi.id.ruid : -1);
	return h;
}

/* Whether r tells nothing c's last record did not: it may be held back. */
static bool same_news(const struct incident_log *l, const struct logged_incident *c,
		      const struct bw_record *r)
{
	const struct record_action *a = r->action;
	struct identity holder;

	main_holder(l, r, &holder);
	if (r->ev->scope == BW_SCOPE_UID || r->unmatched || (a && a->result != ACTION_NONE))
		return false;
	if (c->pending + r->ev->count > UINT32_MAX) /* a record's count is 32 bits */
		return false;
	return !memcmp(&r->ev->sock, &c->sock, sizeof(c->sock)) && r->ev->syscall == c->syscall &&
	       r->ev->scope == c->scope && identity_eq(&holder, &c->holder) &&
	       c->reason == (r->diag ? (int)r->diag->reason : -1) && !strcmp(c->rule, a ? a->rule : "");
}

/* What r says that a later record must repeat to be held back. */
static void note_news(const struct incident_log *l, struct logged_incident *c,
		      const struct bw_record *r)
{
	c->sock = r->ev->sock;
	c->syscall = r->ev->syscall;
	c->scope = r->ev->scope;
	main_holder(l, r, &c->holder);
	c->reason = r->diag ? (int)r->diag->reason : -1;
	snprintf(c->rule, sizeof(c->rule), "%s", r->action ? r->action->rule : "");
}

/*
 * Keep r as c's latest failure: its event and its rule's action, and all
 * of it if there is room (see the top of the file).
 */
static void keep(struct incident_log *l, struct logged_incident *c, const struct bw_record *r)
{
	size_t size, mine, all;
	struct held_record *h;

	c->ev = *r->ev;
	drop_last(c);
	/* without memory for it the record written later names no rule */
	if (r->action && r->action->result == ACTION_NONE)
		keep_action(c, r->action);
	h = malloc(sizeof(*h));
	if (!h || held_record_copy(h, r)) {
		free(h);
		return;
	}
	size = held_record_size(h);
	bytes_kept(l, c->owner, &mine, &all);
	if (mine + size > INCIDENT_LOG_UID_BYTES || all + size > INCIDENT_LOG_BYTES) {
		held_record_free(h);
		free(h);
		return;
	}
	c->last = h;
	c->last_bytes = size;
}

/* Count r's process in c, and in the record being gathered. */
static void count_process(struct logged_incident *c, const struct bw_event *ev)
{
	struct recent_proc *p;
	size_t i;

	for (i = 0; i < INCIDENT_RECENT; i++) {
		p = &c->recent[i];
		if (p->pid == ev->pid && p->start_ns == ev->start_ns && (p->pid || p->start_ns)) {
			if (p->gen != c->gen)
				c->pending_procs++;
			p->gen = c->gen;
			return;
		}
	}
	c->processes++;
	c->pending_procs++;
	c->recent[c->next_recent] = (struct recent_proc){ ev->pid, ev->start_ns, c->gen };
	c->next_recent = (c->next_recent + 1) % INCIDENT_RECENT;
}

/* Count r's failures against its main holder. */
static void count_holder(struct incident_log *l, struct logged_incident *c, const struct bw_record *r)
{
	struct incident_summary *s = &c->summary;
	struct incident_holder *ih = NULL;
	struct identity id;
	const struct holder_info *h = main_holder(l, r, &id);
	size_t i;

	for (i = 0; i < s->nholders && !ih; i++)
		if (identity_eq(&c->holder_ids[i], &id))
			ih = &s->holders[i];
	if (!ih && s->nholders == INCIDENT_HOLDERS_MAX) {
		s->holders_omitted += r->ev->count;
		return;
	}
	if (!ih) {
		c->holder_ids[s->nholders] = id;
		ih = &s->holders[s->nholders++];
	}
	ih->count += r->ev->count;
	ih->pid = h ? h->h.pid : 0;
	ih->uid = h && h->h.pid ? h->pi.id.ruid : -1;
	memset(ih->comm, 0, sizeof(ih->comm));
	if (h && h->h.pid)
		memcpy(ih->comm, h->h.comm, sizeof(ih->comm));
}

/* Count r's failures in c. */
static void count(struct incident_log *l, struct logged_incident *c, const struct bw_record *r)
{
	if (!c->count) {
		c->first_ns = r->ev->ts_ns;
		c->first_wall = r->wall;
	}
	c->count += r->ev->count;
	c->pending += r->ev->count;
	c->last_ns = r->ev->ts_ns;
	c->last_wall = r->wall;
	count_process(c, r->ev);
	count_holder(l, c, r);
}

void incident_log_conflict(struct incident_log *l, const struct bw_record *r, uint64_t now)
{
	struct incident_place k;
	struct logged_incident *c;
	struct incident_note note;
	struct bw_record w = *r;
	struct bw_event ev = *r->ev;
	bool news;

	incident_place_of(&k, l->seed, r);
	c = incident_for(l, &k, r->ev->uid, now);
	news = !l->step_ns || !c->gen || !same_news(l, c, r);
	if (news)
		flush(l, c, now);
	keep(l, c, r);
	count(l, c, r);
	if (!news && since(now, c->written_ns) < c->step_ns)
		return;
	note = (struct incident_note){ .id = c->id, .processes = c->pending_procs };
	ev.count = c->pending;
	w.ev = &ev;
	w.incident = &note;
	l->write(l->arg, &w);
	if (news)
		note_news(l, c, r);
	written(l, c, now, news);
}

void incident_log_success(struct incident_log *l, const struct bw_record *r)
{
	struct incident_place k;
	struct logged_incident *c;

	incident_place_of(&k, l->seed, r);
	c = find(l, &k);
	if (c)
		end(l, c, INCIDENT_RESOLVED, r->ev->ts_ns, &r->wall);
}

void incident_log_tick(struct incident_log *l, uint64_t now, bool all)
{
	struct logged_incident *c;
	struct timespec wall;
	size_t i;

	for (i = 0; i < INCIDENT_LOG_MAX; i++) {
		c = &l->slot[i];
		if (!c->used)
			continue;
		if (all || since(now, c->written_ns) >= c->step_ns)
			flush(l, c, now);
		if (!all && since(now, c->last_ns) >= l->idle_ns) {
			wall_now(&wall);
			end(l, c, INCIDENT_IDLE, now, &wall);
		}
	}
}

bool incident_log_open_on(const struct incident_log *l, unsigned int port, int proto,
			  uint32_t netns)
{
	const struct logged_incident *c;
	size_t i;

	for (i = 0; i < INCIDENT_LOG_MAX; i++) {
		c = &l->slot[i];
		if (c->used && c->key.port == port && c->key.proto == proto && c->key.netns == netns)
			return true;
	}
	return false;
}

void incident_log_ports(const struct incident_log *l, uint64_t ports[PORTLIST_WORDS])
{
	size_t i;

	for (i = 0; i < INCIDENT_LOG_MAX; i++)
		if (l->slot[i].used)
			ports[l->slot[i].key.port / 64] |= 1ULL << (l->slot[i].key.port % 64);
}
