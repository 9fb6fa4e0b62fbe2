// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy.c - parse the reclaim policy (policy.h): libyaml's events walked
 * against the schema.  It owns the schema and the messages for bad input;
 * it must not open files (policy_file.c), run patterns (policy_regex.c)
 * or match conflicts (policy_match.c).
 *
 * The file decides which processes bindwatch may signal, so it is read
 * strictly: every key is known and given once, every value has the type
 * and range its field needs, and the first problem ends the parse with the
 * file, the line and what was expected.  libyaml's event parser is walked
 * directly rather than its document loader, which resolves aliases
 * silently: they could not be refused, and a few lines of them walk like
 * a huge tree.  The walk is a recursive descent over the schema, never over
 * the input: a value nested where the schema has no mapping or list is
 * an error at once, so no input can run the stack deep.  Whatever the
 * parse allocates is hung on the policy at once, so after any error one
 * policy_free() releases it all.
 *
 * What a process chooses is never trusted as more than text.  An exec
 * argument may not start with a placeholder a process chooses (its comm
 * or exe, recvars.h), or the process could hand root's hook an option.
 * cmdline patterns are admitted by policy_regex.c, bounded.
 */
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "duration.h"
#include "policy.h"
#include "policy_regex.h"
#include "recvars.h"
#include "template.h"
#include "util.h"


#define COMM_MAX (BW_COMM_LEN - 1) /* the kernel truncates longer names */
#define UID_MAX_VALID 4294967294LL /* (uid_t)-1 is "no uid" */
#define QUOTE_MAX 80               /* bytes of a bad value shown in a message */
#define PORT_ERR_LEN 128
#define DEFAULT_GRACE_MS 5000
#define DEFAULT_COOLDOWN_MS 60000

/* A value in a message: at most QUOTE_MAX bytes of s, for "'%.*s'". */
#define QUOTED(s) QUOTE_MAX, (s)

struct parser {
	yaml_parser_t yp;
	yaml_event_t ev;        /* the current event */
	bool have_ev;           /* ev is to be deleted */
	const char *name;       /* the file, for messages */
	const char *text;
	size_t len;
	char *err;
	size_t errlen;
	const char *key;        /* the key whose value is being read */
	size_t line;            /* where a bad value is reported: its key's
				   line, or its own in a list */
	struct policy *p;
	size_t rules_cap;
	size_t expects_cap;
};

/* One key of a mapping and the function that reads its value into obj. */
struct field {
	const char *key;
	int (*parse)(struct parser *ps, void *obj);
};

/* A NULL-terminated string vector being filled from a YAML list. */
struct strlist {
	char ***v;
	size_t n, cap;
	bool allow_empty;
	int (*check)(struct parser *ps, const struct strlist *l, const char *s);
};

struct keyword {
	const char *name;
	int value;
};

static const struct keyword protos[] = {
	{ "tcp", IPPROTO_TCP }, { "udp", IPPROTO_UDP }, { "any", 0 },
};

static const struct keyword states[] = {
	{ "listen", POLICY_STATE_LISTEN },
	{ "bound", POLICY_STATE_BOUND },
	{ "any", POLICY_STATE_ANY },
};

static const struct keyword actions[] = {
	{ "log", POLICY_LOG }, { "alert", POLICY_ALERT }, { "reclaim", POLICY_RECLAIM },
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

/* ---- errors */

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *ps, size_t line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(ps->err, ps->errlen, "%s:%zu: ", ps->name, line);
	if (n >= 0 && (size_t)n < ps->errlen) {
		va_start(ap, fmt);
		vsnprintf(ps->err + n, ps->errlen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

static int nomem(struct parser *ps)
{
	snprintf(ps->err, ps->errlen, "%s: out of memory", ps->name);
	return -ENOMEM;
}

static int missing(struct parser *ps, size_t line, const char *key, const char *where)
{
	return fail(ps, line, "missing required key '%s' %s", key, where);
}

static size_t ev_line(const yaml_event_t *ev)
{
	return ev->start_mark.line + 1;
}

/* libyaml's own complaint, at its line. */
static int syntax_error(struct parser *ps)
{
	const yaml_parser_t *yp = &ps->yp;
	size_t line = yp->problem_mark.line + 1, off, i;

	if (yp->error == YAML_MEMORY_ERROR)
		return nomem(ps);
	if (yp->error == YAML_READER_ERROR) { /* an offset, no mark */
		off = yp->problem_offset < ps->len ? yp->problem_offset : ps->len;
		for (line = 1, i = 0; i < off; i++)
			line += ps->text[i] == '\n';
	}
	if (yp->context)
		return fail(ps, line, "bad YAML: %s (%s)", yp->problem, yp->context);
	return fail(ps, line, "bad YAML: %s", yp->problem);
}

/* ---- events */

/* Make the next event current; refuse aliases, anchors and tags. */
static int next(struct parser *ps)
{
	const yaml_event_t *ev = &ps->ev;
	const yaml_char_t *anchor = NULL, *tag = NULL;

	if (ps->have_ev)
		yaml_event_delete(&ps->ev);
	ps->have_ev = yaml_parser_parse(&ps->yp, &ps->ev);
	if (!ps->have_ev)
		return syntax_error(ps);
	switch (ev->type) {
	case YAML_ALIAS_EVENT:
		return fail(ps, ev_line(ev), "alias '*%s': anchors and aliases are not allowed",
			    ev->data.alias.anchor);
	case YAML_SCALAR_EVENT:
		anchor = ev->data.scalar.anchor;
		tag = ev->data.scalar.tag;
		break;
	case YAML_SEQUENCE_START_EVENT:
		anchor = ev->data.sequence_start.anchor;
		tag = ev->data.sequence_start.tag;
		break;
	case YAML_MAPPING_START_EVENT:
		anchor = ev->data.mapping_start.anchor;
		tag = ev->data.mapping_start.tag;
		break;
	default:
		break;
	}
	if (anchor)
		return fail(ps, ev_line(ev), "anchor '&%s': anchors and aliases are not allowed",
			    anchor);
	/* Types come from the schema; a tag could only disagree with it. */
	if (tag)
		return fail(ps, ev_line(ev), "tag '%s': tags are not allowed", tag);
	return 0;
}

/* A plain empty, "~" or "null" scalar: YAML's null. */
static bool is_null(const yaml_event_t *ev)
{
	static const char *const nulls[] = { "", "~", "null", "Null", "NULL" };
	size_t i;

	if (ev->type != YAML_SCALAR_EVENT || ev->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	for (i = 0; i < ARRAY_SIZE(nulls); i++)
		if (!strcmp((const char *)ev->data.scalar.value, nulls[i]))
			return true;
	return false;
}

/* What the current event is, for "expected X, got Y". */
static const char *what_is(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		return is_null(ev) ? "null" : "a string";
	default:
		return "the end of a block";
	}
}

/* ---- scalars: each reads the current event, the value of ps->key */

/* The current event as a C string (valid until next()): not null, no NUL. */
static int get_scalar(struct parser *ps, const char *expected, const char **s)
{
	const yaml_event_t *ev = &ps->ev;

	if (ev->type != YAML_SCALAR_EVENT || is_null(ev))
		return fail(ps, ps->line, "'%s': expected %s, got %s", ps->key, expected,
			    what_is(ev));
	*s = (const char *)ev->data.scalar.value;
	if (strlen(*s) != ev->data.scalar.length)
		return fail(ps, ps->line, "'%s': expected %s, got a string with a NUL byte",
			    ps->key, expected);
	return 0;
}

static int get_string(struct parser *ps, bool allow_empty, char **dst)
{
	const char *s;
	int rc;

	rc = get_scalar(ps, "a string", &s);
	if (rc)
		return rc;
	if (!*s && !allow_empty)
		return fail(ps, ps->line, "'%s': expected a non-empty string", ps->key);
	*dst = strdup(s);
	return *dst ? 0 : nomem(ps);
}

static int get_keyword(struct parser *ps, const struct keyword *kw, size_t n,
		       const char *expected, int *value)
{
	const char *s;
	size_t i;
	int rc;

	rc = get_scalar(ps, expected, &s);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		if (!strcmp(s, kw[i].name)) {
			*value = kw[i].value;
			return 0;
		}
	}
	return fail(ps, ps->line, "'%s': expected %s, got '%.*s'", ps->key, expected, QUOTED(s));
}

/* A signal name, "TERM" or "SIGTERM"; "none" (0) too if allow_none. */
static int get_signal(struct parser *ps, bool allow_none, int *sig)
{
	const char *expected = allow_none ? "none, " SIGNALS_EXPECTED : SIGNALS_EXPECTED;
	const char *s, *name;
	size_t i;
	int rc;

	rc = get_scalar(ps, expected, &s);
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
	return fail(ps, ps->line, "'%s': expected %s, got '%.*s'", ps->key, expected, QUOTED(s));
}

static int get_duration(struct parser *ps, uint64_t *ms)
{
	const char *s;
	int rc;

	rc = get_scalar(ps, "a duration", &s);
	if (rc)
		return rc;
	rc = duration_parse(s, strlen(s), ms);
	if (rc == -ERANGE)
		return fail(ps, ps->line, "'%s': duration '%.*s' is over 365d", ps->key, QUOTED(s));
	if (rc)
		return fail(ps, ps->line, "'%s': bad duration '%.*s' (expected %s)", ps->key,
			    QUOTED(s), DURATION_EXPECTED);
	return 0;
}

static int get_uid(struct parser *ps, int64_t *uid)
{
	const char *s, *c;
	int64_t v = 0;
	int rc;

	rc = get_scalar(ps, "a uid", &s);
	if (rc)
		return rc;
	for (c = s; *c >= '0' && *c <= '9'; c++)
		if (v <= UID_MAX_VALID) /* stop growing: no wrap-around */
			v = v * 10 + (*c - '0');
	if (c == s || *c || v > UID_MAX_VALID)
		return fail(ps, ps->line, "'%s': bad uid '%.*s' (expected an integer 0-%lld)",
			    ps->key, QUOTED(s), UID_MAX_VALID);
	*uid = v;
	return 0;
}

/* ---- checks on strings that could never match */

static int check_comm(struct parser *ps, const struct strlist *l, const char *s)
{
	if (strlen(s) > COMM_MAX)
		return fail(ps, ps->line,
			    "'%s': '%.*s' can never match: the kernel keeps %d characters of a comm",
			    ps->key, QUOTED(s), COMM_MAX);
	return 0;
}

static int check_exe(struct parser *ps, const struct strlist *l, const char *s)
{
	if (!strchr("/*?[", s[0]))
		return fail(ps, ps->line,
			    "'%s': '%.*s' can never match: executable paths are absolute",
			    ps->key, QUOTED(s));
	return 0;
}

/* ---- structure */

/*
 * The list that is the current event, each element handed to elem() as
 * the current event with ps->line at its line.
 */
static int parse_list(struct parser *ps, int (*elem)(struct parser *ps, void *obj), void *obj)
{
	const char *key = ps->key;
	int rc;

	if (ps->ev.type != YAML_SEQUENCE_START_EVENT)
		return fail(ps, ps->line, "'%s': expected a list, got %s", key, what_is(&ps->ev));
	while (!(rc = next(ps)) && ps->ev.type != YAML_SEQUENCE_END_EVENT) {
		ps->key = key;
		ps->line = ev_line(&ps->ev);
		rc = elem(ps, obj);
		if (rc)
			return rc;
	}
	return rc;
}

/*
 * The mapping that is the current event: each key one of fields[0..n),
 * given once, its value read by that field's parse().  lines[i] is set to
 * the line of fields[i].key, or 0 when absent.  where ("in match") ends
 * messages.
 */
static int parse_mapping(struct parser *ps, const char *where, const struct field *fields,
			 size_t n, void *obj, size_t *lines)
{
	const yaml_event_t *ev = &ps->ev;
	const char *key;
	size_t i, line;
	int rc;

	if (ev->type != YAML_MAPPING_START_EVENT)
		return fail(ps, ps->line, "'%s': expected a mapping, got %s", ps->key, what_is(ev));
	memset(lines, 0, n * sizeof(*lines));
	while (!(rc = next(ps)) && ev->type != YAML_MAPPING_END_EVENT) {
		line = ev_line(ev);
		if (ev->type != YAML_SCALAR_EVENT || is_null(ev))
			return fail(ps, line, "expected a key %s, got %s", where, what_is(ev));
		key = (const char *)ev->data.scalar.value;
		if (strlen(key) != ev->data.scalar.length)
			return fail(ps, line, "expected a key %s, got a string with a NUL byte",
				    where);
		for (i = 0; i < n && strcmp(key, fields[i].key); i++)
			;
		if (i == n)
			return fail(ps, line, "unknown key '%.*s' %s", QUOTED(key), where);
		if (lines[i])
			return fail(ps, line, "duplicate key '%s' %s (first at line %zu)", key,
				    where, lines[i]);
		lines[i] = line;
		rc = next(ps);
		if (rc)
			return rc;
		ps->key = fields[i].key;
		ps->line = line;
		rc = fields[i].parse(ps, obj);
		if (rc)
			return rc;
	}
	return rc;
}

static int push_string(struct parser *ps, void *obj)
{
	struct strlist *l = obj;
	size_t cap;
	char **v;
	int rc;

	if (l->n + 1 >= l->cap) { /* room for the string and the NULL */
		cap = l->cap ? 2 * l->cap : 4;
		v = realloc(*l->v, cap * sizeof(*v));
		if (!v)
			return nomem(ps);
		memset(v + l->n, 0, (cap - l->n) * sizeof(*v));
		*l->v = v;
		l->cap = cap;
	}
	rc = get_string(ps, l->allow_empty && l->n, &(*l->v)[l->n]);
	if (rc)
		return rc;
	l->n++;
	return l->check ? l->check(ps, l, (*l->v)[l->n - 1]) : 0;
}

/*
 * The list of strings that is the current event into *v (NULL-terminated;
 * left NULL for an empty list).  The first string is never empty; the
 * others only with allow_empty.
 */
static int parse_strings(struct parser *ps, char ***v, bool allow_empty,
			 int (*check)(struct parser *ps, const struct strlist *l, const char *s))
{
	struct strlist l = { .v = v, .allow_empty = allow_empty, .check = check };

	return parse_list(ps, push_string, &l);
}

/* ---- exec templates */

/* The program is exec'd as is; each argument is a template. */
static int check_exec(struct parser *ps, const struct strlist *l, const char *s)
{
	struct template_var vars[RECORD_VARS];
	const char *bad;
	int name;

	if (l->n > POLICY_MAX_EXEC)
		return fail(ps, ps->line, "'exec': more than %d elements", POLICY_MAX_EXEC);
	if (l->n == 1) {
		if (strpbrk(s, "{}"))
			return fail(ps, ps->line,
				    "'exec': the program '%.*s' cannot hold placeholders", QUOTED(s));
		return 0;
	}
	record_vars_names(vars);
	switch (template_check(s, vars, RECORD_VARS, &bad)) {
	case TEMPLATE_UNKNOWN:
		return fail(ps, ps->line, "'exec': unknown placeholder '%.*s'",
			    (int)strcspn(bad, "}") + 1, bad);
	case TEMPLATE_UNBALANCED:
		return fail(ps, ps->line,
			    "'exec': unbalanced '%c' in '%.*s' (write '%c%c' for a literal brace)",
			    *bad, QUOTED(s), *bad, *bad);
	case TEMPLATE_LEADS:
		name = (int)strcspn(bad, "}") + 1;
		return fail(ps, ps->line,
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
       COND_STATE, COND_FIELDS };

static int cond_comm(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	int rc = get_string(ps, false, &c->comm);

	return rc ? rc : check_comm(ps, NULL, c->comm);
}

static int cond_exe(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	int rc = get_string(ps, false, &c->exe);

	return rc ? rc : check_exe(ps, NULL, c->exe);
}

static int cond_cmdline(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	const char *s;
	int rc;

	char why[POLICY_REGEX_ERR_LEN];
	size_t off;

	rc = get_scalar(ps, "a regular expression", &s);
	if (rc)
		return rc;
	rc = policy_regex_compile(s, &c->cmdline, why, sizeof(why), &off);
	if (rc == -ENOMEM)
		return nomem(ps);
	if (rc)
		return fail(ps, ps->line, "'cmdline': bad regular expression '%.*s': %s (at offset %zu)",
			    QUOTED(s), why, off);
	return 0;
}

static int cond_uid(struct parser *ps, void *obj)
{
	return get_uid(ps, &((struct policy_cond *)obj)->uid);
}

static int cond_unit(struct parser *ps, void *obj)
{
	return get_string(ps, false, &((struct policy_cond *)obj)->unit);
}

static int cond_user_unit(struct parser *ps, void *obj)
{
	return get_string(ps, false, &((struct policy_cond *)obj)->user_unit);
}

static int cond_min_age(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	uint64_t ms;
	int rc;

	rc = get_duration(ps, &ms);
	if (!rc)
		c->min_age_ms = (int64_t)ms; /* at most DURATION_MAX_MS */
	return rc;
}

static int cond_state(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	int v = 0, rc;

	rc = get_keyword(ps, states, ARRAY_SIZE(states), "listen, bound or any", &v);
	if (!rc)
		c->state = (enum policy_state)v;
	return rc;
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

	rc = get_scalar(ps, "a port or a range", &s);
	if (rc)
		return rc;
	if (strchr(s, ','))
		return fail(ps, ps->line,
			    "port '%.*s': one port or range per entry (expected a list: [80, 443])",
			    QUOTED(s));
	if (portlist_parse(s, ports, msg, sizeof(msg)) < 0)
		return fail(ps, ps->line, "port %s", msg);
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
	rc = parse_list(ps, add_port, ports);
	if (!rc && no_ports(ports))
		return fail(ps, line,
			    "'port': expected a port, a range or a list of them, got an empty list");
	return rc;
}

static int match_port(struct parser *ps, void *obj)
{
	return parse_ports(ps, ((struct policy_rule *)obj)->ports);
}

static int match_proto(struct parser *ps, void *obj)
{
	return get_keyword(ps, protos, ARRAY_SIZE(protos), "tcp, udp or any",
			   &((struct policy_rule *)obj)->proto);
}

static int match_holder(struct parser *ps, void *obj)
{
	size_t lines[COND_FIELDS];

	return parse_mapping(ps, "in holder", cond_fields, COND_FIELDS,
			     &((struct policy_rule *)obj)->holder, lines);
}

static int match_requester(struct parser *ps, void *obj)
{
	size_t lines[COND_FIELDS];
	int rc;

	rc = parse_mapping(ps, "in requester", cond_fields, COND_FIELDS,
			   &((struct policy_rule *)obj)->requester, lines);
	if (!rc && lines[COND_STATE])
		return fail(ps, lines[COND_STATE],
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
	return get_duration(ps, &((struct policy_reclaim *)obj)->grace_ms);
}

static int reclaim_escalate(struct parser *ps, void *obj)
{
	return get_signal(ps, true, &((struct policy_reclaim *)obj)->escalate);
}

static int reclaim_cooldown(struct parser *ps, void *obj)
{
	return get_duration(ps, &((struct policy_reclaim *)obj)->cooldown_ms);
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
	return get_string(ps, false, &((struct policy_rule *)obj)->name);
}

static int rule_match(struct parser *ps, void *obj)
{
	size_t lines[MATCH_FIELDS], line = ps->line;
	int rc;

	rc = parse_mapping(ps, "in match", match_fields, MATCH_FIELDS, obj, lines);
	if (!rc && !lines[MATCH_PORT])
		return missing(ps, line, "port", "in match");
	return rc;
}

static int rule_action(struct parser *ps, void *obj)
{
	struct policy_rule *r = obj;
	int v = 0, rc;

	rc = get_keyword(ps, actions, ARRAY_SIZE(actions), "log, alert or reclaim", &v);
	if (!rc)
		r->action = (enum policy_action)v;
	return rc;
}

static int rule_reclaim(struct parser *ps, void *obj)
{
	size_t lines[RECLAIM_FIELDS];

	return parse_mapping(ps, "in reclaim", reclaim_fields, RECLAIM_FIELDS,
			     &((struct policy_rule *)obj)->reclaim, lines);
}

static int rule_exec(struct parser *ps, void *obj)
{
	struct policy_rule *r = obj;
	size_t line = ps->line;
	int rc;

	rc = parse_strings(ps, &r->exec, true, check_exec);
	if (!rc && !r->exec)
		return fail(ps, line,
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
		return fail(ps, ps->line, "too many rules (at most %d)", POLICY_MAX_RULES);
	if (p->nrules == ps->rules_cap) {
		cap = ps->rules_cap ? 2 * ps->rules_cap : 4;
		r = realloc(p->rules, cap * sizeof(*r));
		if (!r)
			return nomem(ps);
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
			return fail(ps, line, "duplicate rule name '%.*s' (first at line %u)",
				    QUOTED(r->name), o->line);
	return 0;
}

static int parse_rule(struct parser *ps, void *obj)
{
	size_t lines[RULE_FIELDS], line = ps->line;
	struct policy_rule *r = NULL;
	int rc;

	if (ps->ev.type != YAML_MAPPING_START_EVENT)
		return fail(ps, line, "'rules': expected a rule (a mapping), got %s",
			    what_is(&ps->ev));
	rc = add_rule(ps, &r);
	if (!rc)
		rc = parse_mapping(ps, "in rule", rule_fields, RULE_FIELDS, r, lines);
	if (rc)
		return rc;
	if (!lines[RULE_NAME])
		return missing(ps, line, "name", "in rule");
	if (!lines[RULE_MATCH])
		return missing(ps, line, "match", "in rule");
	if (!lines[RULE_ACTION])
		return missing(ps, line, "action", "in rule");
	if (lines[RULE_RECLAIM] && r->action != POLICY_RECLAIM)
		return fail(ps, lines[RULE_RECLAIM],
			    "'reclaim' is only allowed with action: reclaim");
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

	rc = parse_mapping(ps, "in owner", cond_fields, COND_FIELDS,
			   &((struct policy_rule *)obj)->requester, lines);
	if (!rc && lines[COND_STATE])
		return fail(ps, lines[COND_STATE],
			    "'state' is not allowed in owner (the call is what the socket does)");
	return rc;
}

static int expect_action(struct parser *ps, void *obj)
{
	struct policy_rule *r = obj;
	int v = POLICY_LOG, rc;

	rc = get_keyword(ps, expect_actions, ARRAY_SIZE(expect_actions), "log or alert", &v);
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
		return fail(ps, ps->line, "too many expect rules (at most %d)", POLICY_MAX_RULES);
	if (p->nexpects == ps->expects_cap) {
		cap = ps->expects_cap ? 2 * ps->expects_cap : 4;
		r = realloc(p->expects, cap * sizeof(*r));
		if (!r)
			return nomem(ps);
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

static int parse_expect(struct parser *ps, void *obj)
{
	size_t lines[EXPECT_FIELDS], line = ps->line;
	struct policy_rule *r = NULL, *o;
	int rc;

	if (ps->ev.type != YAML_MAPPING_START_EVENT)
		return fail(ps, line, "'expect': expected an expect rule (a mapping), got %s",
			    what_is(&ps->ev));
	rc = add_expect(ps, &r);
	if (!rc)
		rc = parse_mapping(ps, "in expect", expect_fields, EXPECT_FIELDS, r, lines);
	if (rc)
		return rc;
	if (!lines[EXPECT_NAME])
		return missing(ps, line, "name", "in expect");
	if (!lines[EXPECT_PORT])
		return missing(ps, line, "port", "in expect");
	if (!lines[EXPECT_OWNER])
		return missing(ps, line, "owner", "in expect");
	if (!lines[EXPECT_ACTION])
		return missing(ps, line, "action", "in expect");
	for (o = ps->p->expects; o < r; o++)
		if (!strcmp(o->name, r->name))
			return fail(ps, lines[EXPECT_NAME],
				    "duplicate expect name '%.*s' (first at line %u)",
				    QUOTED(r->name), o->line);
	return 0;
}

/* ---- the document */

enum { PROTECT_COMM, PROTECT_UNIT, PROTECT_EXE, PROTECT_UID, PROTECT_FIELDS };

static int protect_comm(struct parser *ps, void *obj)
{
	return parse_strings(ps, &((struct policy *)obj)->protect.comm, false, check_comm);
}

static int protect_unit(struct parser *ps, void *obj)
{
	return parse_strings(ps, &((struct policy *)obj)->protect.unit, false, NULL);
}

static int protect_exe(struct parser *ps, void *obj)
{
	return parse_strings(ps, &((struct policy *)obj)->protect.exe, false, check_exe);
}

static int push_uid(struct parser *ps, void *obj)
{
	struct policy_protect *pr = obj;
	int64_t *v;

	/* grown one at a time: protect lists are short */
	v = realloc(pr->uid, (pr->nuid + 1) * sizeof(*v));
	if (!v)
		return nomem(ps);
	pr->uid = v;
	if (get_uid(ps, &v[pr->nuid]))
		return -EINVAL;
	pr->nuid++;
	return 0;
}

static int protect_uid(struct parser *ps, void *obj)
{
	return parse_list(ps, push_uid, &((struct policy *)obj)->protect);
}

static const struct field protect_fields[PROTECT_FIELDS] = {
	[PROTECT_COMM] = { "comm", protect_comm },
	[PROTECT_UNIT] = { "unit", protect_unit },
	[PROTECT_EXE] = { "exe", protect_exe },
	[PROTECT_UID] = { "uid", protect_uid },
};

enum { TOP_VERSION, TOP_PROTECT, TOP_RULES, TOP_EXPECT, TOP_FIELDS };

static int top_version(struct parser *ps, void *obj)
{
	const char *s;
	int rc;

	rc = get_scalar(ps, "1", &s);
	if (!rc && strcmp(s, "1"))
		return fail(ps, ps->line, "'version' must be 1");
	return rc;
}

static int top_protect(struct parser *ps, void *obj)
{
	size_t lines[PROTECT_FIELDS];

	return parse_mapping(ps, "in protect", protect_fields, PROTECT_FIELDS, obj, lines);
}

static int top_rules(struct parser *ps, void *obj)
{
	return parse_list(ps, parse_rule, obj);
}

static int top_expect(struct parser *ps, void *obj)
{
	return parse_list(ps, parse_expect, obj);
}

static const struct field top_fields[TOP_FIELDS] = {
	[TOP_VERSION] = { "version", top_version },
	[TOP_PROTECT] = { "protect", top_protect },
	[TOP_RULES] = { "rules", top_rules },
	[TOP_EXPECT] = { "expect", top_expect },
};

#define EMPTY_POLICY "empty policy (expected a mapping with 'version' and 'rules')"

/* The stream: exactly one document, a mapping. */
static int parse_stream(struct parser *ps)
{
	const yaml_event_t *ev = &ps->ev;
	size_t lines[TOP_FIELDS], line;
	int rc;

	rc = next(ps); /* STREAM-START */
	if (!rc)
		rc = next(ps);
	if (rc)
		return rc;
	if (ev->type == YAML_STREAM_END_EVENT)
		return fail(ps, 1, EMPTY_POLICY);
	line = ev_line(ev); /* DOCUMENT-START */
	rc = next(ps);
	if (rc)
		return rc;
	if (is_null(ev))
		return fail(ps, line, EMPTY_POLICY);
	line = ev_line(ev);
	if (ev->type != YAML_MAPPING_START_EVENT)
		return fail(ps, line, "expected a mapping at the top level, got %s", what_is(ev));
	rc = parse_mapping(ps, "at the top level", top_fields, TOP_FIELDS, ps->p, lines);
	if (!rc && !lines[TOP_VERSION])
		rc = missing(ps, line, "version", "at the top level");
	if (!rc)
		rc = next(ps); /* DOCUMENT-END */
	if (!rc)
		rc = next(ps);
	if (!rc && ev->type != YAML_STREAM_END_EVENT)
		return fail(ps, ev_line(ev), "only one YAML document is allowed");
	return rc;
}

int policy_parse(const char *name, const char *text, size_t len,
		 struct policy **out, char *err, size_t errlen)
{
	struct parser ps = {
		.name = name, .text = text, .len = len, .err = err, .errlen = errlen,
	};
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	ps.p = calloc(1, sizeof(*ps.p));
	if (!ps.p || !(ps.p->path = strdup(name))) {
		free(ps.p);
		return nomem(&ps);
	}
	if (!yaml_parser_initialize(&ps.yp)) {
		policy_free(ps.p);
		return nomem(&ps);
	}
	yaml_parser_set_input_string(&ps.yp, (const unsigned char *)(len ? text : ""), len);
	rc = parse_stream(&ps);
	if (ps.have_ev)
		yaml_event_delete(&ps.ev);
	yaml_parser_delete(&ps.yp);
	if (rc) {
		policy_free(ps.p);
		return rc;
	}
	*out = ps.p;
	return 0;
}

/* ---- freeing */

static void free_cond(struct policy_cond *c)
{
	free(c->comm);
	free(c->exe);
	free(c->unit);
	free(c->user_unit);
	policy_regex_free(c->cmdline);
}

static void free_rules(struct policy_rule *v, size_t n)
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

void policy_free(struct policy *p)
{
	if (!p)
		return;
	free_rules(p->rules, p->nrules);
	free_rules(p->expects, p->nexpects);
	strv_free(p->protect.comm);
	strv_free(p->protect.unit);
	strv_free(p->protect.exe);
	free(p->protect.uid);
	free(p->path);
	free(p);
}

/* ---- describing rules */

bool policy_cross_user(const struct policy_rule *r, char *msg, size_t len)
{
	int64_t req = r->requester.uid, hold = r->holder.uid;

	if (r->action != POLICY_RECLAIM || req <= 0 || hold == req)
		return false;
	if (hold >= 0)
		snprintf(msg, len, "rule '%s' (line %u) lets uid %lld have processes of uid %lld "
			 "signalled", r->name, r->line, (long long)req, (long long)hold);
	else
		snprintf(msg, len, "rule '%s' (line %u) lets uid %lld have processes of any user "
			 "signalled (root's too) when they match its holder conditions",
			 r->name, r->line, (long long)req);
	return true;
}

const char *policy_action_name(enum policy_action a)
{
	static const char *const names[] = {
		[POLICY_LOG] = "log", [POLICY_ALERT] = "alert", [POLICY_RECLAIM] = "reclaim",
	};

	return (unsigned int)a < ARRAY_SIZE(names) ? names[a] : "unknown";
}
