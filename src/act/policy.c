// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy.c - read the reclaim policy and match conflicts against it.
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
 * or exe), or the process could hand root's hook an option.  cmdline
 * patterns run under PCRE2 rather than glibc's regex engine, which could
 * be made to take gigabytes to compile or minutes to run on a command
 * line the holder or requester chose: PCRE2 bounds the compile (pattern
 * length, nesting, compiled size) and each search (a match, depth and heap
 * limit), and sees at most POLICY_CMDLINE_MAX bytes.  Its worst case
 * measured on this project's machine: 5-10 ms on a 4 KiB line (a scan
 * from every start that the match limit does not count, "\d+\D" on
 * digits, or a depth-limited alternation, "(a|aa)+$"); nested repetitions
 * give up in 1-1.5 ms; uncapped, 64 KiB took the first 1.3-1.4 s.
 *
 * The file is opened by walking its path from / with openat(O_NOFOLLOW),
 * each directory checked on its descriptor as sshd's StrictModes checks
 * by name: a policy anyone but root can replace is no policy.
 *
 * Matching runs once per conflict window: per rule one bitmap test, then
 * the conditions, cheapest first, the regular expression last.  The same
 * code explains a miss (check-policy --replay, --dry-run): given a
 * policy_miss, the test that failed fills it in and matching stops there,
 * so an explanation can never disagree with what the monitor decides.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <netinet/in.h>
#include <pcre2.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>
#include "bindwatch.h"
#include "duration.h"
#include "policy.h"
#include "recvars.h"
#include "template.h"
#include "util.h"


#define COMM_MAX (BW_COMM_LEN - 1) /* the kernel truncates longer names */
#define UID_MAX_VALID 4294967294LL /* (uid_t)-1 is "no uid" */
#define QUOTE_MAX 80               /* bytes of a bad value shown in a message */
#define NUM_LEN 24                 /* a 64-bit number in decimal, and a unit */
#define PORT_ERR_LEN 128
#define REGEX_ERR_LEN 128
#define REGEX_MAX_LEN 4096         /* bytes of a pattern */
#define REGEX_MAX_NEST 32          /* nested parentheses */
#define REGEX_MATCH_LIMIT 100000   /* backtracking steps of one search: ~1-2 ms */
#define REGEX_DEPTH_LIMIT 5000     /* nested backtracking points */
#define REGEX_HEAP_LIMIT_KIB 2048  /* backtracking memory */
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

static const struct keyword signals[] = {
	{ "TERM", SIGTERM }, { "INT", SIGINT }, { "HUP", SIGHUP }, { "QUIT", SIGQUIT },
	{ "KILL", SIGKILL }, { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 },
};

#define SIGNALS_EXPECTED "TERM, INT, HUP, QUIT, KILL, USR1 or USR2"

/* A compiled cmdline pattern, with what each search needs. */
struct policy_regex {
	pcre2_code *code;
	pcre2_match_data *md;
	pcre2_match_context *mctx; /* the limits */
	char *source;              /* the pattern, for explanations */
	bool reported;             /* a limit was reached and reported */
};

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

static void regex_free(struct policy_regex *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_match_data_free(re->md);
	pcre2_code_free(re->code);
	free(re->source);
	free(re);
}

/*
 * Compile s, its compile bounded by REGEX_MAX_LEN and REGEX_MAX_NEST (and
 * PCRE2's own limit on the compiled size), with the search limits set.
 */
static int regex_compile(struct parser *ps, const char *s, struct policy_regex **out)
{
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	PCRE2_UCHAR msg[REGEX_ERR_LEN];
	struct policy_regex *re;
	PCRE2_SIZE off;
	int err = 0;

	re = calloc(1, sizeof(*re));
	if (!re || !cctx) {
		free(re);
		pcre2_compile_context_free(cctx);
		return nomem(ps);
	}
	pcre2_set_max_pattern_length(cctx, REGEX_MAX_LEN);
	pcre2_set_parens_nest_limit(cctx, REGEX_MAX_NEST);
	re->code = pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, &err, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (!re->code) {
		regex_free(re);
		if (err == PCRE2_ERROR_HEAP_FAILED)
			return nomem(ps);
		pcre2_get_error_message(err, msg, sizeof(msg));
		return fail(ps, ps->line,
			    "'cmdline': bad regular expression '%.*s': %s (at offset %zu)",
			    QUOTED(s), (const char *)msg, (size_t)off);
	}
	re->md = pcre2_match_data_create_from_pattern(re->code, NULL);
	re->mctx = pcre2_match_context_create(NULL);
	re->source = strdup(s);
	if (!re->md || !re->mctx || !re->source) {
		regex_free(re);
		return nomem(ps);
	}
	pcre2_set_match_limit(re->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mctx, REGEX_HEAP_LIMIT_KIB);
	*out = re;
	return 0;
}

static int cond_cmdline(struct parser *ps, void *obj)
{
	struct policy_cond *c = obj;
	const char *s;
	int rc;

	rc = get_scalar(ps, "a regular expression", &s);
	return rc ? rc : regex_compile(ps, s, &c->cmdline);
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
	int v, rc;

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

static int add_port(struct parser *ps, void *obj)
{
	struct policy_rule *r = obj;
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
	if (portlist_parse(s, r->ports, msg, sizeof(msg)) < 0)
		return fail(ps, ps->line, "port %s", msg);
	return 0;
}

static bool no_ports(const struct policy_rule *r)
{
	size_t i;

	for (i = 0; i < PORTLIST_WORDS; i++)
		if (r->ports[i])
			return false;
	return true;
}

static int match_port(struct parser *ps, void *obj)
{
	size_t line = ps->line;
	int rc;

	if (ps->ev.type != YAML_SEQUENCE_START_EVENT)
		return add_port(ps, obj);
	rc = parse_list(ps, add_port, obj);
	if (!rc && no_ports(obj))
		return fail(ps, line,
			    "'port': expected a port, a range or a list of them, got an empty list");
	return rc;
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
	int v, rc;

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

enum { TOP_VERSION, TOP_PROTECT, TOP_RULES, TOP_FIELDS };

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

static const struct field top_fields[TOP_FIELDS] = {
	[TOP_VERSION] = { "version", top_version },
	[TOP_PROTECT] = { "protect", top_protect },
	[TOP_RULES] = { "rules", top_rules },
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

/* ---- the file */

/* fd must be a regular file only root can write, of a sane size. */
static int check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: refused: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != 0) {
		snprintf(err, errlen, "%s: refused: owned by uid %u, must be owned by root", path,
			 (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "%s: refused: writable by group or others (mode %04o); chmod go-w %s",
			 path, (unsigned int)(st.st_mode & 07777), path);
		return -EPERM;
	}
	if (st.st_size > POLICY_MAX_SIZE) {
		snprintf(err, errlen, "%s: refused: larger than %d bytes", path, POLICY_MAX_SIZE);
		return -EFBIG;
	}
	return 0;
}

/* All of fd into *buf (malloc'd), at most POLICY_MAX_SIZE bytes. */
static int read_file(int fd, const char *path, char **buf, size_t *len, char *err,
		     size_t errlen)
{
	size_t cap = POLICY_MAX_SIZE + 1; /* one more: a file that grew is seen */
	ssize_t n;
	int rc;

	*len = 0;
	*buf = malloc(cap);
	if (!*buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (*len < cap) {
		n = read(fd, *buf + *len, cap - *len);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			return rc;
		}
		*len += (size_t)n;
	}
	snprintf(err, errlen, "%s: refused: larger than %d bytes", path, POLICY_MAX_SIZE);
	return -EFBIG;
}

/*
 * Directory dir[0..len) of the policy's path, open as fd: refused unless
 * root owns it and nobody else can replace its entries.  Group or other
 * write is allowed only with the sticky bit (as /tmp), which keeps others
 * from renaming or removing root's entries.
 */
static int check_dir(int fd, const char *path, const char *dir, int len, char *err,
		     size_t errlen)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %.*s: %s", path, len, dir, strerror(-rc));
		return rc;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen,
			 "%s: refused: %.*s is a symbolic link; give the path without links "
			 "(as realpath(1) prints it)", path, len, dir);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %.*s: %s", path, len, dir, strerror(ENOTDIR));
		return -ENOTDIR;
	}
	if (st.st_uid != 0) {
		snprintf(err, errlen,
			 "%s: refused: directory %.*s is owned by uid %u, and whoever owns it can "
			 "replace the policy; chown root %.*s, or keep the policy elsewhere",
			 path, len, dir, (unsigned int)st.st_uid, len, dir);
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen,
			 "%s: refused: directory %.*s is writable by group or others (mode %04o), "
			 "who could replace the policy; chmod go-w %.*s",
			 path, len, dir, (unsigned int)(st.st_mode & 07777), len, dir);
		return -EPERM;
	}
	return 0;
}

/* path made absolute with the working directory (which getcwd() gives without links). */
static int absolute(const char *path, char **abs, char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	int rc;

	*abs = NULL;
	if (path[0] == '/') {
		*abs = strdup(path);
	} else if (!getcwd(cwd, sizeof(cwd))) {
		rc = -errno;
		snprintf(err, errlen, "%s: the working directory: %s", path, strerror(-rc));
		return rc;
	} else if (asprintf(abs, "%s/%s", cwd, path) < 0) {
		*abs = NULL;
	}
	if (!*abs) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Open the policy file path for reading, walking from / one component at a
 * time (openat with O_NOFOLLOW), each directory checked on its descriptor
 * before the next is looked up in it.  The fd, or -errno with err set.
 */
static int open_checked(const char *path, char *err, size_t errlen)
{
	const char *c, *next;
	char *abs, name[NAME_MAX + 1];
	int dirfd, fd = -1, rc;
	size_t n;

	rc = absolute(path, &abs, err, errlen);
	if (rc)
		return rc;
	dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	rc = dirfd < 0 ? -errno : check_dir(dirfd, path, "/", 1, err, errlen);
	if (dirfd < 0)
		snprintf(err, errlen, "%s: /: %s", path, strerror(-rc));
	for (c = abs + strspn(abs, "/"); !rc; c = next + strspn(next, "/")) {
		n = strcspn(c, "/");
		next = c + n;
		if (n > NAME_MAX) {
			rc = -ENAMETOOLONG;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			break;
		}
		memcpy(name, c, n);
		name[n] = '\0';
		if (!strcmp(name, "..")) {
			rc = -EINVAL;
			snprintf(err, errlen, "%s: refused: '..' in the path; give it without",
				 path);
			break;
		}
		if (!next[strspn(next, "/")]) { /* the file */
			/* O_NONBLOCK: a FIFO must not hang the open; check_file() refuses it */
			fd = openat(dirfd, n ? name : ".", O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				    O_NONBLOCK);
			rc = fd < 0 ? -errno : 0;
			if (rc == -ELOOP)
				snprintf(err, errlen, "%s: refused: a symbolic link", path);
			else if (rc)
				snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			break;
		}
		if (!strcmp(name, "."))
			continue;
		fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(dirfd);
		dirfd = fd;
		rc = fd < 0 ? -errno : check_dir(fd, path, abs, (int)(next - abs), err, errlen);
		if (fd < 0)
			snprintf(err, errlen, "%s: %.*s: %s", path, (int)(next - abs), abs,
				 strerror(-rc));
	}
	if (dirfd >= 0)
		close(dirfd);
	free(abs);
	return rc ? rc : fd;
}

int policy_load(const char *path, struct policy **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len;
	int fd, rc;

	*out = NULL;
	fd = open_checked(path, err, errlen);
	if (fd < 0)
		return fd;
	rc = check_file(fd, path, err, errlen);
	if (!rc)
		rc = read_file(fd, path, &buf, &len, err, errlen);
	close(fd);
	/* only now may a message quote the file */
	if (!rc)
		rc = policy_parse(path, buf, len, out, err, errlen);
	free(buf);
	return rc;
}

/* ---- freeing */

static void free_cond(struct policy_cond *c)
{
	free(c->comm);
	free(c->exe);
	free(c->unit);
	free(c->user_unit);
	regex_free(c->cmdline);
}

void policy_free(struct policy *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nrules; i++) {
		free(p->rules[i].name);
		free_cond(&p->rules[i].holder);
		free_cond(&p->rules[i].requester);
		strv_free(p->rules[i].exec);
	}
	free(p->rules);
	strv_free(p->protect.comm);
	strv_free(p->protect.unit);
	strv_free(p->protect.exe);
	free(p->protect.uid);
	free(p->path);
	free(p);
}

/* ---- matching */

/* An empty string is as unknown as NULL (procinfo's "no container"). */
static bool known(const char *s)
{
	return s && *s;
}

static bool glob_holds(const char *pattern, const char *s)
{
	return known(s) && !fnmatch(pattern, s, 0);
}

/*
 * Whether re finds a match in the first POLICY_CMDLINE_MAX bytes of s.  A
 * search that reaches a limit counts as none, and is reported the first
 * time, for rule r's side; *gave_up then says which limit.
 */
static bool regex_holds(const struct policy *p, const struct policy_rule *r, const char *side,
			struct policy_regex *re, const char *s, const char **gave_up)
{
	PCRE2_UCHAR why[REGEX_ERR_LEN];
	int rc;

	rc = pcre2_match(re->code, (PCRE2_SPTR)s, strnlen(s, POLICY_CMDLINE_MAX), 0, 0, re->md,
			 re->mctx);
	if (rc >= 0) /* 0: a match, its groups not kept */
		return true;
	if (rc == PCRE2_ERROR_NOMATCH)
		return false;
	*gave_up = rc == PCRE2_ERROR_MATCHLIMIT ? "match limit" :
		   rc == PCRE2_ERROR_DEPTHLIMIT ? "depth limit" :
		   rc == PCRE2_ERROR_HEAPLIMIT ? "heap limit" : "error";
	if (!re->reported) {
		re->reported = true;
		pcre2_get_error_message(rc, why, sizeof(why));
		if (p->on_limit)
			p->on_limit(p->on_limit_arg, r, side, (const char *)why);
	}
	return false;
}

/* Copy s (NULL: "") into dst[POLICY_MISS_VALUE_MAX], cut at a UTF-8 boundary if longer. */
static void copy_value(char *dst, bool *cut, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	*cut = n >= POLICY_MISS_VALUE_MAX;
	if (*cut) /* never half a character: back up over continuation bytes */
		for (n = POLICY_MISS_VALUE_MAX - 1; n && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
			;
	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
}

/*
 * Record in m (if not NULL) that field of side failed: the condition want
 * and the value got (NULL: unknown), or the limit a pattern gave up on.
 * Returns false, for "return miss(...)".
 */
static bool miss(struct policy_miss *m, const char *side, const char *field,
		 const char *want, const char *got, const char *gave_up)
{
	bool cut;

	if (!m)
		return false;
	m->side = side;
	m->field = field;
	m->known = got != NULL;
	m->gave_up = gave_up;
	copy_value(m->want, &cut, want);
	copy_value(m->got, &m->got_cut, got);
	return false;
}

static const char *state_word(enum policy_state s)
{
	return s == POLICY_STATE_LISTEN ? "listen" : s == POLICY_STATE_BOUND ? "bound" : NULL;
}

/* A number for miss(): its text in buf, or NULL when unknown (negative). */
static const char *num(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		return NULL;
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

/* A duration in ms as a policy writes it: the largest unit that is exact ("10m", "1500ms"). */
static const char *ms(char *buf, size_t len, int64_t v)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
	};
	size_t i;

	if (v < 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (v && v % units[i].ms == 0) {
			snprintf(buf, len, "%lld%s", (long long)(v / units[i].ms), units[i].unit);
			return buf;
		}
	snprintf(buf, len, "%lldms", (long long)v);
	return buf;
}

/*
 * Whether rule r's conditions c on one side (named side) hold for pr; the
 * first that does not is described in m (if not NULL).  The cheap tests
 * first, the regular expression last.
 */
static bool cond_holds(const struct policy *p, const struct policy_rule *r, const char *side,
		       const struct policy_cond *c, const struct policy_proc *pr,
		       struct policy_miss *m)
{
	static const struct policy_proc unknown = { .uid = -1, .age_ms = -1 };
	char want[NUM_LEN], got[NUM_LEN];
	const char *gave_up = NULL;

	if (!pr)
		pr = &unknown;
	if (c->state != POLICY_STATE_ANY && pr->state != c->state)
		return miss(m, side, "state", state_word(c->state), state_word(pr->state), NULL);
	if (c->uid >= 0 && pr->uid != c->uid)
		return miss(m, side, "uid", num(want, sizeof(want), c->uid),
			    num(got, sizeof(got), pr->uid), NULL);
	if (c->min_age_ms >= 0 && pr->age_ms < c->min_age_ms) /* unknown: -1 */
		return miss(m, side, "min_age", ms(want, sizeof(want), c->min_age_ms),
			    ms(got, sizeof(got), pr->age_ms), NULL);
	if (c->comm && !(known(pr->comm) && !strcmp(c->comm, pr->comm)))
		return miss(m, side, "comm", c->comm, known(pr->comm) ? pr->comm : NULL, NULL);
	if (c->unit && !glob_holds(c->unit, pr->unit) && !glob_holds(c->unit, pr->container))
		return miss(m, side, "unit", c->unit, known(pr->unit) ? pr->unit :
			    known(pr->container) ? pr->container : NULL, NULL);
	if (c->user_unit && !glob_holds(c->user_unit, pr->user_unit))
		return miss(m, side, "user_unit", c->user_unit,
			    known(pr->user_unit) ? pr->user_unit : NULL, NULL);
	if (c->exe && !glob_holds(c->exe, pr->exe))
		return miss(m, side, "exe", c->exe, known(pr->exe) ? pr->exe : NULL, NULL);
	if (!c->cmdline)
		return true;
	if (!known(pr->cmdline))
		return miss(m, side, "cmdline", c->cmdline->source, NULL, NULL);
	if (!regex_holds(p, r, side, c->cmdline, pr->cmdline, &gave_up))
		return miss(m, side, "cmdline", c->cmdline->source, pr->cmdline, gave_up);
	return true;
}

static const char *proto_word(int proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "another protocol";
}

static bool rule_names(const struct policy_rule *r, unsigned int port, int proto)
{
	return portlist_has(r->ports, port) && (!r->proto || r->proto == proto);
}

bool policy_names(const struct policy *p, unsigned int port, int proto)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (rule_names(&p->rules[i], port, proto))
			return true;
	return false;
}

bool policy_rule_holds(const struct policy *p, const struct policy_rule *r, unsigned int port,
		       int proto, const struct policy_proc *holder,
		       const struct policy_proc *requester, struct policy_miss *m)
{
	char want[NUM_LEN], got[NUM_LEN];

	if (!portlist_has(r->ports, port))
		return miss(m, NULL, "port", num(want, sizeof(want), port),
			    num(got, sizeof(got), port), NULL);
	if (r->proto && r->proto != proto)
		return miss(m, NULL, "proto", proto_word(r->proto), proto_word(proto), NULL);
	return cond_holds(p, r, "holder", &r->holder, holder, m) &&
	       cond_holds(p, r, "requester", &r->requester, requester, m);
}

const struct policy_rule *policy_match(const struct policy *p, unsigned int port,
				       int proto, const struct policy_proc *holder,
				       const struct policy_proc *requester)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (rule_names(&p->rules[i], port, proto) &&
		    policy_rule_holds(p, &p->rules[i], port, proto, holder, requester, NULL))
			return &p->rules[i];
	return NULL;
}

const struct policy_rule *policy_first_miss(const struct policy *p, unsigned int port,
					    int proto, const struct policy_proc *holder,
					    const struct policy_proc *requester,
					    struct policy_miss *m)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (rule_names(&p->rules[i], port, proto))
			return policy_rule_holds(p, &p->rules[i], port, proto, holder, requester, m)
			       ? NULL : &p->rules[i];
	return NULL;
}

static bool any_glob(char *const *globs, const char *s)
{
	for (; globs && *globs; globs++)
		if (glob_holds(*globs, s))
			return true;
	return false;
}

bool policy_protected(const struct policy *p, const struct policy_proc *holder)
{
	char *const *comm;
	size_t i;

	if (!holder)
		return false;
	for (i = 0; i < p->protect.nuid && holder->uid >= 0; i++)
		if (p->protect.uid[i] == holder->uid)
			return true;
	for (comm = p->protect.comm; comm && *comm && known(holder->comm); comm++)
		if (!strcmp(*comm, holder->comm))
			return true;
	return any_glob(p->protect.unit, holder->unit) ||
	       any_glob(p->protect.unit, holder->container) ||
	       any_glob(p->protect.exe, holder->exe);
}

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
