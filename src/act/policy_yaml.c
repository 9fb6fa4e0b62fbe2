// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy_yaml.c - the policy file's YAML, read event by event under the
 * schema's control (policy_yaml.h).
 *
 * It owns the walk over libyaml's events, the scalar types a field may
 * have and the file:line messages for bad input; it must not know which
 * keys the policy has (policy.c, policy_rule.c).
 *
 * libyaml's event parser is walked directly rather than its document
 * loader, which resolves aliases silently: they could not be refused, and
 * a few lines of them walk like a huge tree.  Anchors, aliases and tags
 * are refused as they come, so the schema only ever sees plain scalars,
 * lists and mappings, each read where the schema expects it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "duration.h"
#include "policy_yaml.h"
#include "util.h"

#define UID_MAX_VALID 4294967294LL /* (uid_t)-1 is "no uid" */

/* ---- errors */

int ps_fail(struct parser *ps, size_t line, const char *fmt, ...)
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

int ps_nomem(struct parser *ps)
{
	snprintf(ps->err, ps->errlen, "%s: out of memory", ps->name);
	return -ENOMEM;
}

int ps_missing(struct parser *ps, size_t line, const char *key, const char *where)
{
	return ps_fail(ps, line, "missing required key '%s' %s", key, where);
}

/* libyaml's own complaint, at its line. */
static int syntax_error(struct parser *ps)
{
	const yaml_parser_t *yp = &ps->yp;
	size_t line = yp->problem_mark.line + 1, off, i;

	if (yp->error == YAML_MEMORY_ERROR)
		return ps_nomem(ps);
	if (yp->error == YAML_READER_ERROR) { /* an offset, no mark */
		off = yp->problem_offset < ps->len ? yp->problem_offset : ps->len;
		for (line = 1, i = 0; i < off; i++)
			line += ps->text[i] == '\n';
	}
	if (yp->context)
		return ps_fail(ps, line, "bad YAML: %s (%s)", yp->problem, yp->context);
	return ps_fail(ps, line, "bad YAML: %s", yp->problem);
}

/* ---- events */

/* Make the next event current; refuse aliases, anchors and tags. */
int ps_next(struct parser *ps)
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
		return ps_fail(ps, ev_line(ev), "alias '*%s': anchors and aliases are not allowed",
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
		return ps_fail(ps, ev_line(ev), "anchor '&%s': anchors and aliases are not allowed",
			       anchor);
	/* Types come from the schema; a tag could only disagree with it. */
	if (tag)
		return ps_fail(ps, ev_line(ev), "tag '%s': tags are not allowed", tag);
	return 0;
}

/* A plain empty, "~" or "null" scalar: YAML's null. */
bool ps_is_null(const yaml_event_t *ev)
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
const char *ps_what_is(const yaml_event_t *ev)
{
	switch (ev->type) {
	case YAML_MAPPING_START_EVENT:
		return "a mapping";
	case YAML_SEQUENCE_START_EVENT:
		return "a list";
	case YAML_SCALAR_EVENT:
		return ps_is_null(ev) ? "null" : "a string";
	default:
		return "the end of a block";
	}
}

/* ---- scalars: each reads the current event, the value of ps->key */

/* The current event as a C string (valid until ps_next()): not null, no NUL. */
int ps_get_scalar(struct parser *ps, const char *expected, const char **s)
{
	const yaml_event_t *ev = &ps->ev;

	if (ev->type != YAML_SCALAR_EVENT || ps_is_null(ev))
		return ps_fail(ps, ps->line, "'%s': expected %s, got %s", ps->key, expected,
			       ps_what_is(ev));
	*s = (const char *)ev->data.scalar.value;
	if (strlen(*s) != ev->data.scalar.length)
		return ps_fail(ps, ps->line, "'%s': expected %s, got a string with a NUL byte",
			       ps->key, expected);
	return 0;
}

int ps_get_string(struct parser *ps, bool allow_empty, char **dst)
{
	const char *s;
	int rc;

	rc = ps_get_scalar(ps, "a string", &s);
	if (rc)
		return rc;
	if (!*s && !allow_empty)
		return ps_fail(ps, ps->line, "'%s': expected a non-empty string", ps->key);
	*dst = strdup(s);
	return *dst ? 0 : ps_nomem(ps);
}

int ps_get_keyword(struct parser *ps, const struct keyword *kw, size_t n,
		       const char *expected, int *value)
{
	const char *s;
	size_t i;
	int rc;

	rc = ps_get_scalar(ps, expected, &s);
	if (rc)
		return rc;
	for (i = 0; i < n; i++) {
		if (!strcmp(s, kw[i].name)) {
			*value = kw[i].value;
			return 0;
		}
	}
	return ps_fail(ps, ps->line, "'%s': expected %s, got '%.*s'", ps->key, expected, QUOTED(s));
}

int ps_get_duration(struct parser *ps, uint64_t *ms)
{
	const char *s;
	int rc;

	rc = ps_get_scalar(ps, "a duration", &s);
	if (rc)
		return rc;
	rc = duration_parse(s, strlen(s), ms);
	if (rc == -ERANGE)
		return ps_fail(ps, ps->line, "'%s': duration '%.*s' is over 365d", ps->key, QUOTED(s));
	if (rc)
		return ps_fail(ps, ps->line, "'%s': bad duration '%.*s' (expected %s)", ps->key,
			       QUOTED(s), DURATION_EXPECTED);
	return 0;
}

int ps_get_uid(struct parser *ps, int64_t *uid)
{
	const char *s, *c;
	int64_t v = 0;
	int rc;

	rc = ps_get_scalar(ps, "a uid", &s);
	if (rc)
		return rc;
	for (c = s; *c >= '0' && *c <= '9'; c++)
		if (v <= UID_MAX_VALID) /* stop growing: no wrap-around */
			v = v * 10 + (*c - '0');
	if (c == s || *c || v > UID_MAX_VALID)
		return ps_fail(ps, ps->line, "'%s': bad uid '%.*s' (expected an integer 0-%lld)",
			       ps->key, QUOTED(s), UID_MAX_VALID);
	*uid = v;
	return 0;
}

/* ---- structure */

/*
 * The list that is the current event, each element handed to elem() as
 * the current event with ps->line at its line.
 */
int ps_parse_list(struct parser *ps, int (*elem)(struct parser *ps, void *obj), void *obj)
{
	const char *key = ps->key;
	int rc;

	if (ps->ev.type != YAML_SEQUENCE_START_EVENT)
		return ps_fail(ps, ps->line, "'%s': expected a list, got %s", key, ps_what_is(&ps->ev));
	while (!(rc = ps_next(ps)) && ps->ev.type != YAML_SEQUENCE_END_EVENT) {
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
int ps_parse_mapping(struct parser *ps, const char *where, const struct field *fields,
			 size_t n, void *obj, size_t *lines)
{
	const yaml_event_t *ev = &ps->ev;
	const char *key;
	size_t i, line;
	int rc;

	if (ev->type != YAML_MAPPING_START_EVENT)
		return ps_fail(ps, ps->line, "'%s': expected a mapping, got %s", ps->key, ps_what_is(ev));
	memset(lines, 0, n * sizeof(*lines));
	while (!(rc = ps_next(ps)) && ev->type != YAML_MAPPING_END_EVENT) {
		line = ev_line(ev);
		if (ev->type != YAML_SCALAR_EVENT || ps_is_null(ev))
			return ps_fail(ps, line, "expected a key %s, got %s", where, ps_what_is(ev));
		key = (const char *)ev->data.scalar.value;
		if (strlen(key) != ev->data.scalar.length)
			return ps_fail(ps, line, "expected a key %s, got a string with a NUL byte",
				       where);
		for (i = 0; i < n && strcmp(key, fields[i].key); i++)
			;
		if (i == n)
			return ps_fail(ps, line, "unknown key '%.*s' %s", QUOTED(key), where);
		if (lines[i])
			return ps_fail(ps, line, "duplicate key '%s' %s (first at line %zu)", key,
				       where, lines[i]);
		lines[i] = line;
		rc = ps_next(ps);
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
			return ps_nomem(ps);
		memset(v + l->n, 0, (cap - l->n) * sizeof(*v));
		*l->v = v;
		l->cap = cap;
	}
	rc = ps_get_string(ps, l->allow_empty && l->n, &(*l->v)[l->n]);
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
int ps_parse_strings(struct parser *ps, char ***v, bool allow_empty,
			 int (*check)(struct parser *ps, const struct strlist *l, const char *s))
{
	struct strlist l = { .v = v, .allow_empty = allow_empty, .check = check };

	return ps_parse_list(ps, push_string, &l);
}
