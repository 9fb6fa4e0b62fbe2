// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy_rule.c - the schema of a rule and of an expect rule: their
 * conditions on a holder, a requester or an owner, the ports, the reclaim
 * and the exec (policy_rule.h).
 *
 * It owns what each of those keys may hold and the message when it does
 * not; it must not read YAML itself (policy_yaml.c) or match (policy_match.c).
 *
 * A probe rule runs no exec: its conflicts alert nobody, so an exec there
 * would be a hook that never runs.
 *
 * A value that could never match is refused when the policy is read,
 * not found out at the first conflict: a comm longer than the kernel
 * keeps, an executable that is no absolute path.  What a process chooses
 * is never trusted as more than text: an exec argument may not start with
 * a placeholder a process chooses (its comm or exe, recvars.h), or the
 * process could hand root's hook an option.  cmdline patterns are
 * admitted by policy_regex.c, bounded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "policy_regex.h"
#include "policy_rule.h"
#include "recvars.h"
#include "template.h"
#include "util.h"
#include "workload.h"

#define COMM_MAX (BW_COMM_LEN - 1) /* the kernel truncates longer names */
#define PORT_ERR_LEN 128
#define DEFAULT_GRACE_MS 5000
#define DEFAULT_COOLDOWN_MS 60000

static const struct keyword protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "any", 0 },
};

static const struct keyword states[] = {
	{ "listen", POLICY_STATE_LISTEN },
	{ "bound", POLICY_STATE_BOUND },
	{ "any", POLICY_STATE_ANY },
};

static const struct keyword actions[] = {
	{ "log", POLICY_LOG }, { "alert", POLICY_ALERT }, { "probe", POLICY_PROBE },
	{ "reclaim", POLICY_RECLAIM },
};

/* An expect rule only says or alerts: an owner is never reclaimed from. */
static const struct keyword expect_actions[] = {
	{ "log", POLICY_LOG }, { "alert", POLICY_ALERT },
};

static const struct keyword signals[] = {
	{ "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP }, { "QUIT", SIGQUIT },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
};

#define SIGNALS_EXPECTED "TERM, INT, HUP, QUIT, KILL, USR1 or USR2"

/* A signal name, "TERM" or "SIGTERM"; "none" (0) too if allow_none. */
static int get_signal(struct parser *ps, bool allow_none, int *sig)
{
	const char *expected = allow_none ? "none, " SIGNALS_EXPECTED : SIGNALS_EXPECTED;
	const char *s, *name;
	size_t i;
	int rc;

	rc = ps_get_scalar(ps, expected, &s);
	if (rc)
		return rc;
	if (allow_none && !strcmp(s, "none")) {
		*sig = 0;
		return 0;
	}
	name = strncmp(s, "SIG", 3) ? s : s + 3;
	for (i = 0; i < ARRAY_SIZE(signals); i++) {
		if (!strcmp(name, signals[i].name)) {
			*sig = signals[i].value;
			return 0;
		}
	}
	return ps_fail(ps, ps->line, "'%s': expected %s, got '%.*s'", ps->key, expected, QUOTED(s));
}

/* ---- checks on strings that could never match */

int policy_check_comm(struct parser *ps, const struct strlist *l, const char *s)
{
	if (strlen(s) > COMM_MAX)
		return ps_fail(ps, ps->line,
			       "'%s': '%.*s' can never match: the kernel keeps %d characters of a comm",
			       ps->key, QUOTED(s), COMM_MAX);
	return 0;
}

int policy_check_exe(struct parser *ps, const struct strlist *l, const char *s)
{
	if (!strchr("/*?[", s[0]))
		return ps_fail(ps, ps->line,
			       "'%s': '%.*s' can never match: executable paths are absolute",
			       ps->key, QUOTED(s));
	return 0;
}

/* ---- workloads: container: and pod: */

/* A runtime: workload.h does not name could never match. */
int policy_check_runtime(struct parser *ps, const struct strlist *l, const char *s)
{
	if (workload_runtime_known(s))
		return 0;
	return ps_fail(ps, ps->line,
		       "'runtime': expected podman, docker, containerd or cri-o, got '%.*s'",
		       QUOTED(s));
}

/*
 * Which of the slots of wl a key of container: or pod: fills: the
 * mapping's fields are in enum policy_wl's order from first.
 */
size_t policy_wl_slot(const struct parser *ps, const struct wl_map *wl)
{
	size_t i;

	for (i = 0; i < wl->n && strcmp(ps->key, wl->fields[i].key); i++)
		;
	return wl->first + i; /* ps_parse_mapping() calls only for a key of fields */
}

/* ---- exec templates */

/* The program is exec'd as is; each argument is a template. */
static int check_exec(struct parser *ps, const struct strlist *l, const char *s)
{
	struct template_var vars[RECORD_VARS];
	const char *bad;
	int name;

	if (l->n > POLICY_MAX_EXEC)
		return ps_fail(ps, ps->line, "'exec': more than %d elements", POLICY_MAX_EXEC);
	if (l->n == 1) {
		if (strpbrk(s, "{}"))
			return ps_fail(ps, ps->line,
				       "'exec': the program '%.*s' cannot hold placeholders", QUOTED(s));
		return 0;
	}
	record_vars_names(vars);
	switch (template_check(s, vars, RECORD_VARS, &bad)) {
	case TEMPLATE_UNKNOWN:
		return ps_fail(ps, ps->line, "'exec': unknown placeholder '%.*s'",
			       (int)strcspn(bad, "}") + 1, bad);
	case TEMPLATE_UNBALANCED:
		return ps_fail(ps, ps->line,
			       "'exec': unbalanced '%c' in '%.*s' (write '%c%c' for a literal brace)",
			       *bad, QUOTED(s), *bad, *bad);
	case TEMPLATE_LEADS:
		name = (int)strcspn(bad, "}") + 1;
		return ps_fail(ps, ps->line,
			       "'exec': argument '%.*s' starts with '%.*s', whose value the process chooses: "
			       "a name like '-f/etc/shadow' would be an option to the program; "
			       "put fixed text first, as in '--name=%.*s'",
			       QUOTED(s), name, bad, name, bad);
	default:
		return 0;
	}
}

/* ---- conditions on a holder or requester */

enum { COND_COMM, COND_EXE, COND_CMDLINE, COND_UID, COND_UNIT, COND_USER_UNIT, COND_MIN_AGE,
       COND_STATE, COND_CONTAINER, COND_POD, COND_FIELDS };

static int cond_comm(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	int rc = ps_get_string(ps, false, &c->comm);

	return rc ? rc : policy_check_comm(ps, NULL, c->comm);
}

static int cond_exe(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	int rc = ps_get_string(ps, false, &c->exe);

	return rc ? rc : policy_check_exe(ps, NULL, c->exe);
}

static int cond_cmdline(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	const char *s;
	int rc;

	char why[POLICY_REGEX_ERR_LEN];
	size_t off;

	rc = ps_get_scalar(ps, "a regular expression", &s);
	if (rc)
		return rc;
	rc = policy_regex_compile(s, &c->cmdline, why, sizeof(why), &off);
	if (rc == -ENOMEM)
		return ps_nomem(ps);
	if (rc)
		return ps_fail(ps, ps->line, "'cmdline': bad regular expression '%.*s': %s (at offset %zu)",
			       QUOTED(s), why, off);
	return 0;
}

static int cond_uid(struct parser *ps, void *obj)
{
	return ps_get_uid(ps, &((struct policy_cond *)obj)->uid);
}

static int cond_unit(struct parser *ps, void *obj)
{
	return ps_get_string(ps, false, &((struct policy_cond *)obj)->unit);
}

static int cond_user_unit(struct parser *ps, void *obj)
{
	return ps_get_string(ps, false, &((struct policy_cond *)obj)->user_unit);
}

static int cond_min_age(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	uint64_t ms;
	int rc;

	rc = ps_get_duration(ps, &ms);
	if (!rc)
		c->min_age_ms = (int64_t)ms; /* at most DURATION_MAX_MS */
	return rc;
}

static int cond_state(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	int v = 0, rc;

	rc = ps_get_keyword(ps, states, ARRAY_SIZE(states), "listen, bound or any", &v);
	if (!rc)
		c->state = (enum policy_state)v;
	return rc;
}

/* One glob of a condition's container: or pod: (obj: its struct wl_map, slots a char *[]). */
static int cond_wl(struct parser *ps, void *obj)
{
	const struct wl_map *wl = obj;
	size_t slot = policy_wl_slot(ps, wl);
	char **dst = &((char **)wl->slots)[slot];
	int rc = ps_get_string(ps, false, dst);

	if (!rc && slot == POLICY_WL_RUNTIME)
		rc = policy_check_runtime(ps, NULL, *dst);
	return rc;
}

static const struct field cond_container_fields[POLICY_WL_CONTAINER_KEYS] = {
	{ "name", cond_wl }, { "image", cond_wl }, { "runtime", cond_wl },
};

static const struct field cond_pod_fields[POLICY_WL_POD_KEYS] = {
	{ "namespace", cond_wl }, { "name", cond_wl }, { "container", cond_wl },
};

static int cond_container(struct parser *ps, void *obj)
{
	struct wl_map wl = { cond_container_fields, POLICY_WL_CONTAINER_KEYS, POLICY_WL_NAME,
			     ((struct policy_cond *)obj)->wl };
	size_t lines[POLICY_WL_CONTAINER_KEYS];

	return ps_parse_mapping(ps, "in container", wl.fields, wl.n, &wl, lines);
}

static int cond_pod(struct parser *ps, void *obj)
{
	struct wl_map wl = { cond_pod_fields, POLICY_WL_POD_KEYS, POLICY_WL_POD_NAMESPACE,
			     ((struct policy_cond *)obj)->wl };
	size_t lines[POLICY_WL_POD_KEYS];

	return ps_parse_mapping(ps, "in pod", wl.fields, wl.n, &wl, lines);
}

static const struct field cond_fields[COND_FIELDS] = {
	[COND_COMM] = { "comm", cond_comm },
	[COND_EXE] = { "exe", cond_exe },
	[COND_CMDLINE] = { "cmdline", cond_cmdline },
	[COND_UID] = { "uid", cond_uid },
	[COND_UNIT] = { "unit", cond_unit },
	[COND_USER_UNIT] = { "user_unit", cond_user_unit },
	[COND_MIN_AGE] = { "min_age", cond_min_age },
	[COND_STATE] = { "state", cond_state },
	[COND_CONTAINER] = { "container", cond_container },
	[COND_POD] = { "pod", cond_pod },
};

/* ---- match */

enum { MATCH_PORT, MATCH_PROTO, MATCH_HOLDER, MATCH_REQUESTER, MATCH_FIELDS };

/* One port or range into the bitmap obj (uint64_t[PORTLIST_WORDS]). */
static int add_port(struct parser *ps, void *obj)
{
	uint64_t *ports = obj;
	char msg[PORT_ERR_LEN];
	const char *s;
	int rc;

	rc = ps_get_scalar(ps, "a port or a range", &s);
	if (rc)
		return rc;
	if (strchr(s, ','))
		return ps_fail(ps, ps->line,
			       "port '%.*s': one port or range per entry (expected a list: [80, 443])",
			       QUOTED(s));
	if (portlist_parse(s, ports, msg, sizeof(msg)) < 0)
		return ps_fail(ps, ps->line, "port %s", msg);
	return 0;
}

static bool no_ports(const uint64_t *ports)
{
	size_t i;

	for (i = 0; i < PORTLIST_WORDS; i++)
		if (ports[i])
			return false;
	return true;
}

/* A port, a range or a list of them into the bitmap ports. */
static int parse_ports(struct parser *ps, uint64_t *ports)
{
	size_t line = ps->line;
	int rc;

	if (ps->ev.type != YAML_SEQUENCE_START_EVENT)
		return add_port(ps, ports);
	rc = ps_parse_list(ps, add_port, ports);
	if (!rc && no_ports(ports))
		return ps_fail(ps, line,
			       "'port': expected a port, a range or a list of them, got an empty list");
	return rc;
}

static int match_port(struct parser *ps, void *obj)
{
	return parse_ports(ps, ((struct policy_rule *)obj)->ports);
}

static int match_proto(struct parser *ps, void *obj)
{
	return ps_get_keyword(ps, protos, ARRAY_SIZE(protos), "tcp, udp or any",
			      &((struct policy_rule *)obj)->proto);
}

static int match_holder(struct parser *ps, void *obj)
{
	size_t lines[COND_FIELDS];

	return ps_parse_mapping(ps, "in holder", cond_fields, COND_FIELDS,
				&((struct policy_rule *)obj)->holder, lines);
}

static int match_requester(struct parser *ps, void *obj)
{
	size_t lines[COND_FIELDS];
	int rc;

	rc = ps_parse_mapping(ps, "in requester", cond_fields, COND_FIELDS,
			      &((struct policy_rule *)obj)->requester, lines);
	if (!rc && lines[COND_STATE])
		return ps_fail(ps, lines[COND_STATE],
			       "'state' is not allowed in requester (only the holder's socket has one)");
	return rc;
}

static const struct field match_fields[MATCH_FIELDS] = {
	[MATCH_PORT] = { "port", match_port },
	[MATCH_PROTO] = { "proto", match_proto },
	[MATCH_HOLDER] = { "holder", match_holder },
	[MATCH_REQUESTER] = { "requester", match_requester },
};

/* ---- reclaim */

enum { RECLAIM_SIGNAL, RECLAIM_GRACE, RECLAIM_ESCALATE, RECLAIM_COOLDOWN, RECLAIM_FIELDS };

static int reclaim_signal(struct parser *ps, void *obj)
{
	return get_signal(ps, false, &((struct policy_reclaim *)obj)->signal);
}

static int reclaim_grace(struct parser *ps, void *obj)
{
	return ps_get_duration(ps, &((struct policy_reclaim *)obj)->grace_ms);
}

static int reclaim_escalate(struct parser *ps, void *obj)
{
	return get_signal(ps, true, &((struct policy_reclaim *)obj)->escalate);
}

static int reclaim_cooldown(struct parser *ps, void *obj)
{
	return ps_get_duration(ps, &((struct policy_reclaim *)obj)->cooldown_ms);
}

static const struct field reclaim_fields[RECLAIM_FIELDS] = {
	[RECLAIM_SIGNAL] = { "signal", reclaim_signal },
	[RECLAIM_GRACE] = { "grace", reclaim_grace },
	[RECLAIM_ESCALATE] = { "escalate", reclaim_escalate },
	[RECLAIM_COOLDOWN] = { "cooldown", reclaim_cooldown },
};

/* ---- rules */

enum { RULE_NAME, RULE_MATCH, RULE_ACTION, RULE_RECLAIM, RULE_EXEC, RULE_FIELDS };

static int rule_name(struct parser *ps, void *obj)
{
	return ps_get_string(ps, false, &((struct policy_rule *)obj)->name);
}

static int rule_match(struct parser *ps, void *obj)
{
	size_t lines[MATCH_FIELDS], line = ps->line;
	int rc;

	rc = ps_parse_mapping(ps, "in match", match_fields, MATCH_FIELDS, obj, lines);
	if (!rc && !lines[MATCH_PORT])
		return ps_missing(ps, line, "port", "in match");
	return rc;
}

static int rule_action(struct parser *ps, void *obj)
{
	struct policy_rule *r = obj;
	int v = 0, rc;

	rc = ps_get_keyword(ps, actions, ARRAY_SIZE(actions), "log, alert, probe or reclaim", &v);
	if (!rc)
		r->action = (enum policy_action)v;
	return rc;
}

static int rule_reclaim(struct parser *ps, void *obj)
{
	size_t lines[RECLAIM_FIELDS];

	return ps_parse_mapping(ps, "in reclaim", reclaim_fields, RECLAIM_FIELDS,
				&((struct policy_rule *)obj)->reclaim, lines);
}

static int rule_exec(struct parser *ps, void *obj)
{
	struct policy_rule *r = obj;
	size_t line = ps->line;
	int rc;

	r->exec_line = line;
	rc = ps_parse_strings(ps, &r->exec, true, check_exec);
	if (!rc && !r->exec)
		return ps_fail(ps, line,
			       "'exec': expected the program and its arguments, got an empty list");
	return rc;
}

static const struct field rule_fields[RULE_FIELDS] = {
	[RULE_NAME] = { "name", rule_name },
	[RULE_MATCH] = { "match", rule_match },
	[RULE_ACTION] = { "action", rule_action },
	[RULE_RECLAIM] = { "reclaim", rule_reclaim },
	[RULE_EXEC] = { "exec", rule_exec },
};

static void cond_init(struct policy_cond *c)
{
	c->uid = -1;
	c->min_age_ms = -1;
}

/* A new rule at the end of p, with its defaults, owned by p from now on. */
static int add_rule(struct parser *ps, struct policy_rule **out)
{
	struct policy *p = ps->p;
	struct policy_rule *r;
	size_t cap;

	if (p->nrules == POLICY_MAX_RULES)
		return ps_fail(ps, ps->line, "too many rules (at most %d)", POLICY_MAX_RULES);
	if (p->nrules == ps->rules_cap) {
		cap = ps->rules_cap ? 2 * ps->rules_cap : 4;
		r = realloc(p->rules, cap * sizeof(*r));
		if (!r)
			return ps_nomem(ps);
		p->rules = r;
		ps->rules_cap = cap;
	}
	r = &p->rules[p->nrules++];
	memset(r, 0, sizeof(*r));
	cond_init(&r->holder);
	cond_init(&r->requester);
	r->reclaim.signal = SIGTERM;
	r->reclaim.grace_ms = DEFAULT_GRACE_MS;
	r->reclaim.cooldown_ms = DEFAULT_COOLDOWN_MS;
	r->line = (unsigned int)ps->line;
	*out = r;
	return 0;
}

static int check_unique(struct parser *ps, const struct policy_rule *r, size_t line)
{
	const struct policy_rule *o;

	for (o = ps->p->rules; o < r; o++)
		if (!strcmp(o->name, r->name))
			return ps_fail(ps, line, "duplicate rule name '%.*s' (first at line %u)",
				       QUOTED(r->name), o->line);
	return 0;
}

int policy_parse_rule(struct parser *ps, void *obj)
{
	size_t lines[RULE_FIELDS], line = ps->line;
	struct policy_rule *r = NULL;
	int rc;

	if (ps->ev.type != YAML_MAPPING_START_EVENT)
		return ps_fail(ps, line, "'rules': expected a rule (a mapping), got %s",
			       ps_what_is(&ps->ev));
	rc = add_rule(ps, &r);
	if (!rc)
		rc = ps_parse_mapping(ps, "in rule", rule_fields, RULE_FIELDS, r, lines);
	if (rc)
		return rc;
	if (!lines[RULE_NAME])
		return ps_missing(ps, line, "name", "in rule");
	if (!lines[RULE_MATCH])
		return ps_missing(ps, line, "match", "in rule");
	if (!lines[RULE_ACTION])
		return ps_missing(ps, line, "action", "in rule");
	if (lines[RULE_RECLAIM] && r->action != POLICY_RECLAIM)
		return ps_fail(ps, lines[RULE_RECLAIM],
			       "'reclaim' is only allowed with action: reclaim");
	if (lines[RULE_EXEC] && r->action == POLICY_PROBE)
		return ps_fail(ps, lines[RULE_EXEC],
			       "'exec' is not allowed with action: probe (a probe alerts nobody)");
	return check_unique(ps, r, lines[RULE_NAME]);
}

/* ---- expect: port ownership */

enum { EXPECT_NAME, EXPECT_PORT, EXPECT_PROTO, EXPECT_OWNER, EXPECT_ACTION, EXPECT_FIELDS };

static int expect_port(struct parser *ps, void *obj)
{
	return parse_ports(ps, ((struct policy_rule *)obj)->ports);
}

/* The owner's conditions are the requester's of a rule: the caller's. */
static int expect_owner(struct parser *ps, void *obj)
{
	size_t lines[COND_FIELDS];
	int rc;

	rc = ps_parse_mapping(ps, "in owner", cond_fields, COND_FIELDS,
			      &((struct policy_rule *)obj)->requester, lines);
	if (!rc && lines[COND_STATE])
		return ps_fail(ps, lines[COND_STATE],
			       "'state' is not allowed in owner (the call is what the socket does)");
	return rc;
}

static int expect_action(struct parser *ps, void *obj)
{
	struct policy_rule *r = obj;
	int v = POLICY_LOG, rc;

	rc = ps_get_keyword(ps, expect_actions, ARRAY_SIZE(expect_actions), "log or alert", &v);
	if (!rc)
		r->action = (enum policy_action)v;
	return rc;
}

static const struct field expect_fields[EXPECT_FIELDS] = {
	[EXPECT_NAME] = { "name", rule_name },
	[EXPECT_PORT] = { "port", expect_port },
	[EXPECT_PROTO] = { "proto", match_proto },
	[EXPECT_OWNER] = { "owner", expect_owner },
	[EXPECT_ACTION] = { "action", expect_action },
};

/* A new expect rule at the end of p, owned by p from now on. */
static int add_expect(struct parser *ps, struct policy_rule **out)
{
	struct policy *p = ps->p;
	struct policy_rule *r;
	size_t cap;

	if (p->nexpects == POLICY_MAX_RULES)
		return ps_fail(ps, ps->line, "too many expect rules (at most %d)", POLICY_MAX_RULES);
	if (p->nexpects == ps->expects_cap) {
		cap = ps->expects_cap ? 2 * ps->expects_cap : 4;
		r = realloc(p->expects, cap * sizeof(*r));
		if (!r)
			return ps_nomem(ps);
		p->expects = r;
		ps->expects_cap = cap;
	}
	r = &p->expects[p->nexpects++];
	memset(r, 0, sizeof(*r));
	cond_init(&r->holder);
	cond_init(&r->requester);
	r->line = (unsigned int)ps->line;
	*out = r;
	return 0;
}

int policy_parse_expect(struct parser *ps, void *obj)
{
	size_t lines[EXPECT_FIELDS], line = ps->line;
	struct policy_rule *r = NULL, *o;
	int rc;

	if (ps->ev.type != YAML_MAPPING_START_EVENT)
		return ps_fail(ps, line, "'expect': expected an expect rule (a mapping), got %s",
			       ps_what_is(&ps->ev));
	rc = add_expect(ps, &r);
	if (!rc)
		rc = ps_parse_mapping(ps, "in expect", expect_fields, EXPECT_FIELDS, r, lines);
	if (rc)
		return rc;
	if (!lines[EXPECT_NAME])
		return ps_missing(ps, line, "name", "in expect");
	if (!lines[EXPECT_PORT])
		return ps_missing(ps, line, "port", "in expect");
	if (!lines[EXPECT_OWNER])
		return ps_missing(ps, line, "owner", "in expect");
	if (!lines[EXPECT_ACTION])
		return ps_missing(ps, line, "action", "in expect");
	for (o = ps->p->expects; o < r; o++)
		if (!strcmp(o->name, r->name))
			return ps_fail(ps, lines[EXPECT_NAME],
				       "duplicate expect name '%.*s' (first at line %u)",
				       QUOTED(r->name), o->line);
	return 0;
}

static void free_cond(struct policy_cond *c)
{
	size_t i;

	for (i = 0; i < POLICY_WL_FIELDS; i++)
		free(c->wl[i]);
	free(c->comm);
	free(c->exe);
	free(c->unit);
	free(c->user_unit);
	policy_regex_free(c->cmdline);
}

void policy_rules_free(struct policy_rule *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free_cond(&v[i].holder);
		free_cond(&v[i].requester);
		strv_free(v[i].exec);
	}
	free(v);
}
