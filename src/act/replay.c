// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * replay.c - decide a logged conflict under a policy (replay.h).
 *
 * It owns reading a logged record back; it must not signal anything or
 * write to the log.
 *
 * A line is parsed with jansson (duplicate keys refused, no NUL in a
 * string), then every field the decision reads is checked for its type
 * before use: a record whose "exe" is a number is refused by name
 * ("requester.exe: expected a string or null"), never guessed at.  Only
 * what matching needs is read; the rest of a record (and keys a later
 * version adds) is ignored.
 */
#include <errno.h>
#include <limits.h>
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include "addr.h"
#include "cgpath.h"
#include "escape.h"
#include "policy_explain.h"
#include "json.h"
#include "replay.h"
#include "util.h"
#include "verdict.h"

#define PORT_MAX 65535
#define UID_MAX_VALID 4294967295LL
#define PID_1 1
#define THEN_LEN 64
#define WHERE_LEN 48 /* "holders[0].workload.pod." */

/* One side of the conflict as the record gives it. */
struct side {
	struct policy_proc pp;
	struct proc_identity id; /* a holder's recorded uids, for pp.id */
	int64_t pid;         /* -1: none */
	char container[CG_CONTAINER_ID_LEN + 1];
};

struct conflict {
	unsigned int port;
	int proto;
	const char *proto_name, *addr, *time;
	struct side req, hold;
	bool held;           /* a holder is recorded */
	enum replay_outcome logged; /* what its action shows */
	const char *logged_rule; /* the rule that matched then, or NULL */
};

/* What the rule that matched would come to, as far as the record tells. */
struct ruling {
	enum replay_outcome result;
	char why[VERDICT_WHY_LEN];
};

/* An outcome as JSON names it (a record's result, a decision's), and as text says it. */
static const struct { const char *json, *text; } outcomes[OUTCOMES] = {
	[OUTCOME_NO_RULE] = { "no-rule", "no rule" },
	[OUTCOME_LOG] = { "log", "log" },
	[OUTCOME_ALERT] = { "alert", "alert" },
	[OUTCOME_PROBE] = { "probe", "probe" },
	[OUTCOME_WOULD_RECLAIM] = { "would-reclaim", "would reclaim" },
	[OUTCOME_RECLAIMED] = { "reclaimed", "reclaimed" },
	[OUTCOME_DRY_RUN] = { "dry-run", "dry-run" },
	[OUTCOME_PROTECTED] = { "protected", "protected" },
	[OUTCOME_COOLDOWN] = { "cooldown", "cooldown" },
	[OUTCOME_IN_PROGRESS] = { "in-progress", "in-progress" },
	[OUTCOME_FAILED] = { "failed", "failed" },
	[OUTCOME_TIMEOUT] = { "timeout", "timeout" },
	[OUTCOME_UNKNOWN] = { "unknown", "unknown" },
};

/* The outcome a log's word names (a result or a type), OUTCOME_UNKNOWN if none. */
static enum replay_outcome outcome_of(const char *word)
{
	size_t i;

	for (i = 0; i < OUTCOMES; i++)
		if (!strcmp(outcomes[i].json, word))
			return i;
	return OUTCOME_UNKNOWN;
}

struct reader {
	char *err;
	size_t errlen;
};

__attribute__((format(printf, 2, 3)))
static int bad(struct reader *rd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rd->err, rd->errlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* o's string key (absent or null: NULL) in *s. */
static int get_str(struct reader *rd, json_t *o, const char *where, const char *key,
		   const char **s)
{
	json_t *v = json_object_get(o, key);

	*s = NULL;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return bad(rd, "%s%s: expected a string or null", where, key);
	*s = json_string_value(v);
	return 0;
}

/* o's integer key within [0, max] in *n; absent or null: -1, or an error if required. */
static int get_num(struct reader *rd, json_t *o, const char *where, const char *key,
		   long long max, bool required, int64_t *n)
{
	json_t *v = json_object_get(o, key);

	*n = -1;
	if ((!v || json_is_null(v)) && !required)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return bad(rd, "%s%s: expected a number from 0 to %lld", where, key, max);
	*n = json_integer_value(v);
	return 0;
}

static int get_bool(struct reader *rd, json_t *o, const char *where, const char *key, bool *b)
{
	json_t *v = json_object_get(o, key);

	*b = false;
	if (!v || json_is_null(v))
		return 0;
	if (!json_is_boolean(v))
		return bad(rd, "%s%s: expected true or false", where, key);
	*b = json_is_true(v);
	return 0;
}

/*
 * A holder's uid as the monitor judges it: its process's real uid ("ruid",
 * verdict.h's verdict_uid(); null: unknown) over s->pp.uid, and its
 * effective and saved uids, which protect by uid also looks at, into
 * s->id.  A record written before holders had them gives only the
 * socket's owner ("uid", already in s->pp.uid): the best there is, and the
 * same unless the process changed users after it opened the socket.
 */
static int holder_uids(struct reader *rd, json_t *o, const char *where, struct side *s)
{
	int err;

	s->id = PROC_IDENTITY_UNKNOWN;
	if (!json_object_get(o, "ruid"))
		return 0;
	if ((err = get_num(rd, o, where, "ruid", UID_MAX_VALID, false, &s->pp.uid)) ||
	    (err = get_num(rd, o, where, "euid", UID_MAX_VALID, false, &s->id.euid)) ||
	    (err = get_num(rd, o, where, "suid", UID_MAX_VALID, false, &s->id.suid)))
		return err;
	s->id.ruid = s->pp.uid;
	s->pp.id = &s->id;
	return 0;
}

/*
 * The recorded container, as the reclaimer takes it: a record names one
 * only from the system manager's part of the cgroup path, which the
 * monitor told from the cgroups' owners, gone by now.  So the id must also
 * be the one the path's names give (cgpath_system_len() without owners):
 * an older bindwatch recorded a container from anywhere in the path.
 */
static const char *recorded_container(const char *cgroup, const char *container,
				      char id[CG_CONTAINER_ID_LEN + 1])
{
	if (!cgroup || !container || !*container ||
	    cgpath_container(cgroup, cgpath_system_len(cgroup, NULL, NULL), id) ||
	    strcmp(id, container))
		return NULL;
	return id;
}

/* o's object key (absent or null: NULL) in *v. */
static int get_obj(struct reader *rd, json_t *o, const char *where, const char *key,
		   json_t **v)
{
	*v = json_object_get(o, key);
	if (*v && json_is_null(*v))
		*v = NULL;
	if (*v && !json_is_object(*v))
		return bad(rd, "%s%s: expected an object or null", where, key);
	return 0;
}

/*
 * The side's "workload" object (doc/records.md; absent or null: none
 * known) into s->pp's workload fields, as the monitor had them.  Its
 * source must be one this version knows: a proxy read as a container's
 * own process could be reclaimed.
 */
static int read_workload(struct reader *rd, json_t *o, const char *where, struct side *s)
{
	static const struct { const char *key; enum policy_wl f; } container_keys[] = {
		{ "name", POLICY_WL_NAME }, { "image", POLICY_WL_IMAGE },
		{ "runtime", POLICY_WL_RUNTIME },
	}, pod_keys[] = {
		{ "namespace", POLICY_WL_POD_NAMESPACE }, { "name", POLICY_WL_POD_NAME },
		{ "container", POLICY_WL_POD_CONTAINER },
	};
	char wwhere[WHERE_LEN], pwhere[WHERE_LEN + sizeof("pod.")];
	const char *source;
	json_t *w, *pod;
	size_t i;
	int err;

	if ((err = get_obj(rd, o, where, "workload", &w)) || !w)
		return err;
	snprintf(wwhere, sizeof(wwhere), "%sworkload.", where);
	snprintf(pwhere, sizeof(pwhere), "%spod.", wwhere);
	if ((err = get_str(rd, w, wwhere, "id", &s->pp.wl_id)) ||
	    (err = get_str(rd, w, wwhere, "source", &source)) ||
	    (err = get_obj(rd, w, wwhere, "pod", &pod)))
		return err;
	for (i = 0; i < ARRAY_SIZE(container_keys); i++)
		if ((err = get_str(rd, w, wwhere, container_keys[i].key,
				   &s->pp.wl[container_keys[i].f])))
			return err;
	for (i = 0; pod && i < ARRAY_SIZE(pod_keys); i++)
		if ((err = get_str(rd, pod, pwhere, pod_keys[i].key, &s->pp.wl[pod_keys[i].f])))
			return err;
	if (!source || (strcmp(source, "cgroup") && strcmp(source, "proxy")))
		return bad(rd, "%ssource: expected \"cgroup\" or \"proxy\"", wwhere);
	s->pp.proxy = !strcmp(source, "proxy");
	return 0;
}

/* A requester or holder object o (named where, "requester."), at the call mono_ns. */
static int read_side(struct reader *rd, json_t *o, const char *where, int64_t mono_ns,
		     bool holder, struct side *s)
{
	const char *cgroup, *container, *state;
	int64_t start;
	bool exited;
	int err;

	if (!json_is_object(o))
		return bad(rd, "%.*s: expected an object", (int)strlen(where) - 1, where);
	if ((err = get_num(rd, o, where, "pid", INT_MAX, !holder, &s->pid)) ||
	    (err = get_num(rd, o, where, "uid", UID_MAX_VALID, true, &s->pp.uid)) ||
	    (holder && (err = holder_uids(rd, o, where, s))) ||
	    (err = get_num(rd, o, where, "start_boottime_ns", INT64_MAX, false, &start)) ||
	    (err = get_bool(rd, o, where, "exited", &exited)) ||
	    (err = get_str(rd, o, where, "comm", &s->pp.comm)) ||
	    (err = get_str(rd, o, where, "exe", &s->pp.exe)) ||
	    (err = get_str(rd, o, where, "cmdline", &s->pp.cmdline)) ||
	    (err = get_str(rd, o, where, "unit", &s->pp.unit)) ||
	    (err = get_str(rd, o, where, "user_unit", &s->pp.user_unit)) ||
	    (err = get_str(rd, o, where, "cgroup", &cgroup)) ||
	    (err = get_str(rd, o, where, "container", &container)) ||
	    (err = get_str(rd, o, where, "state", &state)) ||
	    (err = read_workload(rd, o, where, s)))
		return err;
	s->pp.container = recorded_container(cgroup, container, s->container);
	s->pp.age_ms = start >= 0 && mono_ns >= start ? (mono_ns - start) / NSEC_PER_MSEC : -1;
	s->pp.state = !state ? POLICY_STATE_ANY : !strcmp(state, "LISTEN") ? POLICY_STATE_LISTEN :
		      !strcmp(state, "BOUND") ? POLICY_STATE_BOUND : POLICY_STATE_ANY;
	if (holder && (s->pid < 0 || exited)) {
		/* as the monitor: no process, or a gone one, has no comm and no uid */
		s->pp.comm = NULL;
		s->pp.uid = -1;
		s->pp.id = NULL;
	}
	return 0;
}

/*
 * What the record's "action" shows happened, into c->logged: its result,
 * else its type (a log or alert rule), else no rule matched.
 */
static int read_logged(struct reader *rd, json_t *root, struct conflict *c)
{
	const char *type, *result;
	json_t *a;
	int err;

	c->logged = OUTCOME_NO_RULE;
	if ((err = get_obj(rd, root, "", "action", &a)) || !a)
		return err;
	if ((err = get_str(rd, a, "action.", "rule", &c->logged_rule)) ||
	    (err = get_str(rd, a, "action.", "type", &type)) ||
	    (err = get_str(rd, a, "action.", "result", &result)))
		return err;
	c->logged = result ? outcome_of(result) : type ? outcome_of(type) : OUTCOME_UNKNOWN;
	if (c->logged == OUTCOME_NO_RULE || c->logged == OUTCOME_WOULD_RECLAIM)
		c->logged = OUTCOME_UNKNOWN; /* no record says these */
	return 0;
}

/* The record root, if a conflict, into *c; -ENOMSG for another event. */
static int read_conflict(struct reader *rd, json_t *root, struct conflict *c)
{
	const char *event;
	json_t *holders;
	int64_t port, proto, mono_ns;
	int err;

	if (!json_is_object(root))
		return bad(rd, "expected a JSON object");
	if ((err = get_str(rd, root, "", "event", &event)))
		return err;
	if (!event)
		return bad(rd, "event: missing: not a bindwatch record");
	if (strcmp(event, "conflict"))
		return -ENOMSG;
	if ((err = get_num(rd, root, "", "port", PORT_MAX, true, &port)) ||
	    (err = get_num(rd, json_object_get(root, "socket"), "socket.", "protocol", INT_MAX,
			   true, &proto)) ||
	    (err = get_num(rd, root, "", "mono_ns", INT64_MAX, false, &mono_ns)) ||
	    (err = get_str(rd, root, "", "proto", &c->proto_name)) ||
	    (err = get_str(rd, root, "", "addr", &c->addr)) ||
	    (err = get_str(rd, root, "", "time", &c->time)) ||
	    (err = read_side(rd, json_object_get(root, "requester"), "requester.", mono_ns, false,
			     &c->req)) ||
	    (err = read_logged(rd, root, c)))
		return err;
	c->port = port;
	c->proto = proto;
	holders = json_object_get(root, "holders");
	if (holders && !json_is_array(holders))
		return bad(rd, "holders: expected a list");
	c->held = json_array_size(holders) > 0;
	return c->held ? read_side(rd, json_array_get(holders, 0), "holders[0].", mono_ns, true,
				   &c->hold) : 0;
}

/* "SIGTERM (then SIGKILL after 5000 ms), if ...": what a reclaim would send. */
static void signals(struct ruling *v, size_t off, const struct policy_rule *r)
{
	const char *sig = sigabbrev_np(r->reclaim.signal), *esc = sigabbrev_np(r->reclaim.escalate);

	char then[THEN_LEN] = "";

	if (esc)
		snprintf(then, sizeof(then), " (then SIG%s after %llu ms)", esc,
			 (unsigned long long)r->reclaim.grace_ms);
	snprintf(v->why + off, sizeof(v->why) - off, "SIG%s%s, if the checks on the live "
		 "processes pass (not replayed: the holder still the process recorded, the same "
		 "program as the same uids, the processes sharing the socket, the cooldown)",
		 sig ? sig : "?", then);
}

/*
 * The reclaim checks a record supports, in the reclaimer's order
 * (reclaim.c); what needs the live processes is left to the monitor.
 */
static void judge(const struct policy *p, const struct policy_rule *r,
		  const struct conflict *c, struct ruling *v)
{
	const struct side *h = &c->hold;
	int64_t req = c->req.pp.uid;
	int n;

	v->why[0] = '\0';
	if (r->action != POLICY_RECLAIM) {
		v->result = r->action == POLICY_ALERT ? OUTCOME_ALERT :
			    r->action == POLICY_PROBE ? OUTCOME_PROBE : OUTCOME_LOG;
		return;
	}
	v->result = OUTCOME_PROTECTED;
	if (!c->held || h->pid < 0) {
		v->result = OUTCOME_FAILED;
		snprintf(v->why, sizeof(v->why), "no process holds the socket");
	} else if (h->pid == PID_1) {
		snprintf(v->why, sizeof(v->why), "PID 1 holds the socket (socket activation?)");
	} else if (h->pid == c->req.pid) {
		snprintf(v->why, sizeof(v->why), "the requester holds the socket itself");
	} else if (verdict_is_proxy(&h->pp, v->why, sizeof(v->why))) {
		/* v->why names the container */
	} else if (verdict_is_protected(p, &h->pp, v->why, sizeof(v->why))) {
		/* v->why names the entry */
	} else if (verdict_may_signal(r, req, h->pp.uid, v->why, sizeof(v->why))) {
		v->result = OUTCOME_WOULD_RECLAIM;
		n = snprintf(v->why, sizeof(v->why), "pid %lld with ", (long long)h->pid);
		signals(v, n, r);
	}
}

/* "python3[4242] uid=1000" */
static void text_side(struct strbuf *sb, const struct side *s)
{
	if (s->pp.comm)
		text_field(sb, TEXT_COMM, s->pp.comm, strlen(s->pp.comm));
	else
		strbuf_adds(sb, "?");
	if (s->pid >= 0)
		strbuf_addf(sb, "[%lld]", (long long)s->pid);
	if (s->pp.uid >= 0)
		strbuf_addf(sb, " uid=%lld", (long long)s->pp.uid);
}

/* A word of the operator's (the log's name, a rule's) */
static void text_str(struct strbuf *sb, const char *s)
{
	s = s ? s : "?";
	text_escape(sb, s, strlen(s));
}

/* A value the log gives: it may be any string */
static void text_value(struct strbuf *sb, const char *s)
{
	if (s)
		text_field(sb, TEXT_LOGGED, s, strlen(s));
	else
		strbuf_addc(sb, '?');
}

/*
 * "127.0.0.1:80", "[::]:80": the address as records write it, when the
 * log's is an address; else the log's text as it is.
 */
static void text_endpoint(struct strbuf *sb, const char *addr, unsigned int port)
{
	uint8_t bytes[sizeof(struct in6_addr)];
	char buf[ADDR_STRLEN];
	int family = addr && strchr(addr, ':') ? AF_INET6 : AF_INET;

	if (addr && inet_pton(family, addr, bytes) == 1 &&
	    !addr_port_format(buf, sizeof(buf), family, bytes, port)) {
		strbuf_adds(sb, buf);
		return;
	}
	text_value(sb, addr);
	strbuf_addf(sb, ":%u", port);
}

static void text_head(struct strbuf *sb, const char *name, unsigned long lineno,
		      const struct conflict *c)
{
	text_str(sb, name);
	strbuf_addf(sb, ":%lu: ", lineno);
	text_value(sb, c->time);
	strbuf_addc(sb, ' ');
	text_value(sb, c->proto_name);
	strbuf_addc(sb, ' ');
	text_endpoint(sb, c->addr, c->port);
	strbuf_adds(sb, " by ");
	text_side(sb, &c->req);
	strbuf_adds(sb, ", held by ");
	if (c->held)
		text_side(sb, &c->hold);
	else
		strbuf_adds(sb, "nothing recorded");
	strbuf_addc(sb, '\n');
}

/* Whether a decision's result is a reclaim's (log, alert and probe rules have none). */
static bool is_reclaim(enum replay_outcome o)
{
	return o != OUTCOME_NO_RULE && o != OUTCOME_LOG && o != OUTCOME_ALERT &&
	       o != OUTCOME_PROBE;
}

/* "  logged: reclaimed (rule stale); now: would reclaim (rule stale)" */
static void text_outcomes(struct strbuf *sb, const struct conflict *c,
			  const struct policy_rule *r, const struct ruling *v)
{
	strbuf_addf(sb, "  logged: %s", outcomes[c->logged].text);
	if (c->logged_rule) {
		strbuf_adds(sb, " (rule ");
		text_value(sb, c->logged_rule);
		strbuf_addc(sb, ')');
	}
	strbuf_addf(sb, "; now: %s", outcomes[r ? v->result : OUTCOME_NO_RULE].text);
	if (r) {
		strbuf_adds(sb, " (rule ");
		text_str(sb, r->name);
		strbuf_addc(sb, ')');
	}
	strbuf_addc(sb, '\n');
}

static void text_decision(struct strbuf *sb, const struct policy_rule *r, const struct ruling *v)
{
	strbuf_adds(sb, "  decision: ");
	if (!r) {
		strbuf_adds(sb, "no rule matches: log only\n");
		return;
	}
	strbuf_adds(sb, "rule ");
	text_str(sb, r->name);
	strbuf_addf(sb, " (line %u): %s", r->line, policy_action_name(r->action));
	if (v->result == OUTCOME_WOULD_RECLAIM)
		strbuf_addf(sb, ": would reclaim %s", v->why);
	else if (is_reclaim(v->result))
		strbuf_addf(sb, ": %s: %s", outcomes[v->result].json, v->why);
	strbuf_addc(sb, '\n');
}

static void json_side(struct jw *w, const char *key, const struct side *s)
{
	jw_obj_begin(w, key);
	if (s->pid >= 0)
		jw_int(w, "pid", s->pid);
	else
		jw_null(w, "pid");
	jw_str(w, "comm", s->pp.comm);
	if (s->pp.uid >= 0)
		jw_int(w, "uid", s->pp.uid);
	else
		jw_null(w, "uid");
	jw_str(w, "exe", s->pp.exe);
	jw_obj_end(w);
}

static void json_head(struct jw *w, const char *name, unsigned long lineno,
		      const struct conflict *c)
{
	jw_obj_begin(w, NULL);
	jw_str(w, "log", name);
	jw_uint(w, "line", lineno);
	jw_str(w, "time", c->time);
	jw_str(w, "proto", c->proto_name);
	jw_str(w, "addr", c->addr);
	jw_uint(w, "port", c->port);
	json_side(w, "requester", &c->req);
	if (c->held)
		json_side(w, "holder", &c->hold);
	else
		jw_null(w, "holder");
}

static void json_decision(struct jw *w, const struct policy_rule *r, const struct ruling *v)
{
	jw_obj_begin(w, "decision");
	jw_str(w, "rule", r ? r->name : NULL);
	if (r)
		jw_uint(w, "line", r->line);
	else
		jw_null(w, "line");
	jw_str(w, "type", r ? policy_action_name(r->action) : NULL);
	jw_str(w, "result", r && is_reclaim(v->result) ? outcomes[v->result].json : NULL);
	jw_str(w, "why", r && is_reclaim(v->result) ? v->why : NULL);
	jw_str(w, "outcome", outcomes[r ? v->result : OUTCOME_NO_RULE].json);
	jw_obj_end(w);
}

/* "logged": what the record shows happened. */
static void json_logged(struct jw *w, const struct conflict *c)
{
	jw_obj_begin(w, "logged");
	jw_str(w, "rule", c->logged_rule);
	jw_str(w, "outcome", outcomes[c->logged].json);
	jw_obj_end(w);
}

/* Count c's answer in sum: under rule r (NULL: none), now as v says. */
static void count(struct replay_summary *sum, const struct policy_rule *r,
		  const struct ruling *v, const struct conflict *c)
{
	enum replay_outcome now = r ? v->result : OUTCOME_NO_RULE;
	size_t i;

	for (i = 0; i < sum->n; i++)
		if (sum->rows[i].rule == r && sum->rows[i].now == now &&
		    sum->rows[i].logged == c->logged)
			break;
	if (i == sum->n && sum->n == REPLAY_SUMMARY_ROWS) {
		sum->other++;
		return;
	}
	if (i == sum->n)
		sum->rows[sum->n++] = (struct replay_row){ r, now, c->logged, 0 };
	sum->rows[i].count++;
}

/*
 * The answer for c: the rule policy_match() finds, then each rule naming
 * the port tried before it (every one, when none matches) with the first
 * condition that failed.
 */
static void answer(const struct policy *p, const char *name, unsigned long lineno,
		   const struct conflict *c, bool json, struct strbuf *out,
		   struct replay_summary *sum)
{
	const struct policy_proc *holder = c->held ? &c->hold.pp : NULL;
	const struct policy_rule *match;
	struct ruling v = { .result = OUTCOME_NO_RULE };
	struct policy_misses why;
	struct explain e;
	struct jw w;
	size_t i;

	match = policy_match_why(p, c->port, c->proto, holder, &c->req.pp, &why);
	if (match)
		judge(p, match, c, &v);
	if (sum)
		count(sum, match, &v, c);
	jw_init(&w, out);
	if (json) {
		json_head(&w, name, lineno, c);
		json_logged(&w, c);
		json_decision(&w, match, &v);
		jw_arr_begin(&w, "unmatched");
	} else {
		text_head(out, name, lineno, c);
		text_outcomes(out, c, match, &v);
		text_decision(out, match, &v);
	}
	for (i = 0; i < why.n; i++) {
		e = (struct explain){ why.rule[i]->name, why.rule[i]->line, why.miss[i] };
		if (json) {
			explain_json(&w, NULL, &e);
		} else {
			strbuf_adds(out, "  ");
			explain_text(out, &e);
			strbuf_addc(out, '\n');
		}
	}
	if (json) {
		jw_arr_end(&w);
		jw_uint(&w, "unmatched_more", why.more);
		jw_obj_end(&w);
		strbuf_addc(out, '\n');
	} else if (why.more) {
		strbuf_addf(out, "  and %zu more rules not matched\n", why.more);
	}
}

/* "reclaimed 200, cooldown 7": what the log shows for the rows like row k. */
static void text_logged(struct strbuf *out, const struct replay_summary *sum, size_t k)
{
	size_t i;
	bool first = true;

	for (i = k; i < sum->n; i++) {
		if (sum->rows[i].rule != sum->rows[k].rule || sum->rows[i].now != sum->rows[k].now)
			continue;
		strbuf_addf(out, "%s%s %lu", first ? "" : ", ", outcomes[sum->rows[i].logged].text,
			    sum->rows[i].count);
		first = false;
	}
}

/* Whether row k is the first of its rule and outcome now. */
static bool first_of(const struct replay_summary *sum, size_t k)
{
	size_t i;

	for (i = 0; i < k; i++)
		if (sum->rows[i].rule == sum->rows[k].rule && sum->rows[i].now == sum->rows[k].now)
			return false;
	return true;
}

/* The conflicts of the rows like row k. */
static unsigned long total_of(const struct replay_summary *sum, size_t k)
{
	unsigned long n = 0;
	size_t i;

	for (i = k; i < sum->n; i++)
		if (sum->rows[i].rule == sum->rows[k].rule && sum->rows[i].now == sum->rows[k].now)
			n += sum->rows[i].count;
	return n;
}

static void text_summary_row(struct strbuf *out, const struct replay_summary *sum, size_t k)
{
	const struct policy_rule *r = sum->rows[k].rule;

	strbuf_adds(out, "  ");
	if (r) {
		strbuf_adds(out, "rule ");
		text_str(out, r->name);
		strbuf_addf(out, " (line %u): ", r->line);
	}
	strbuf_addf(out, "%s: %lu (logged: ", outcomes[sum->rows[k].now].text, total_of(sum, k));
	text_logged(out, sum, k);
	strbuf_adds(out, ")\n");
}

static void json_summary_row(struct jw *w, const struct replay_summary *sum, size_t k)
{
	const struct policy_rule *r = sum->rows[k].rule;
	size_t i;

	jw_obj_begin(w, NULL);
	jw_str(w, "rule", r ? r->name : NULL);
	if (r)
		jw_uint(w, "line", r->line);
	else
		jw_null(w, "line");
	jw_str(w, "now", outcomes[sum->rows[k].now].json);
	jw_uint(w, "count", total_of(sum, k));
	jw_obj_begin(w, "logged");
	for (i = k; i < sum->n; i++)
		if (sum->rows[i].rule == r && sum->rows[i].now == sum->rows[k].now)
			jw_uint(w, outcomes[sum->rows[i].logged].json, sum->rows[i].count);
	jw_obj_end(w);
	jw_obj_end(w);
}

void replay_summary_write(const struct replay_summary *sum, bool json, struct strbuf *out)
{
	struct jw w;
	size_t k;

	jw_init(&w, out);
	if (json) {
		jw_obj_begin(&w, NULL);
		jw_arr_begin(&w, "summary");
	} else {
		strbuf_adds(out, "summary:\n");
	}
	for (k = 0; k < sum->n; k++) {
		if (!first_of(sum, k))
			continue;
		if (json)
			json_summary_row(&w, sum, k);
		else
			text_summary_row(out, sum, k);
	}
	if (json) {
		jw_arr_end(&w);
		jw_uint(&w, "other", sum->other);
		jw_obj_end(&w);
		strbuf_addc(out, '\n');
	} else if (sum->other) {
		strbuf_addf(out, "  %lu more in other rules and outcomes\n", sum->other);
	}
}

int replay_line(const struct policy *p, const char *name, unsigned long lineno,
		const char *line, size_t len, bool json, struct strbuf *out,
		struct replay_summary *sum, char *err, size_t errlen)
{
	struct reader rd = { err, errlen };
	struct conflict c = { 0 };
	json_error_t jerr;
	json_t *root;
	int rc;

	if (len > REPLAY_LINE_MAX)
		return bad(&rd, "longer than %d bytes", REPLAY_LINE_MAX);
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root)
		return bad(&rd, "not JSON: %s (column %d)", jerr.text, jerr.column);
	rc = read_conflict(&rd, root, &c);
	if (!rc)
		answer(p, name, lineno, &c, json, out, sum);
	json_decref(root);
	return rc;
}
