/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * policy_yaml.h - the reader the policy's schema (policy.c, policy_rule.c)
 * is written with: each function reads the current event as the value of
 * ps->key, or walks a list or mapping of them, and fails with the file,
 * the line and what was expected.  Whatever it allocates is hung on the
 * policy being read at once, so after any error one policy_free()
 * releases it all.
 */
#ifndef BW_POLICY_YAML_H
#define BW_POLICY_YAML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <yaml.h>
#include "policy.h"

#define QUOTE_MAX 80 /* bytes of a bad value shown in a message */
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

/* Where an event starts, as a message counts lines (from 1). */
static inline size_t ev_line(const yaml_event_t *ev)
{
	return ev->start_mark.line + 1;
}

/* "NAME:LINE: " and the message into ps->err; returns -EINVAL, for "return ps_fail(...)". */
__attribute__((format(printf, 3, 4)))
int ps_fail(struct parser *ps, size_t line, const char *fmt, ...);
/* "NAME: out of memory"; returns -ENOMEM. */
int ps_nomem(struct parser *ps);
/* A required key absent from the mapping at line (where: "in rule"). */
int ps_missing(struct parser *ps, size_t line, const char *key, const char *where);

/* Make the next event current; refuse aliases, anchors and tags. */
int ps_next(struct parser *ps);
/* A plain empty, "~" or "null" scalar: YAML's null. */
bool ps_is_null(const yaml_event_t *ev);
/* What the current event is, for "expected X, got Y". */
const char *ps_what_is(const yaml_event_t *ev);

/* The current event as a C string (valid until ps_next()): not null, no NUL. */
int ps_get_scalar(struct parser *ps, const char *expected, const char **s);
/* A copy of the current string into *dst (empty only with allow_empty). */
int ps_get_string(struct parser *ps, bool allow_empty, char **dst);
/* One of kw[0..n) by name into *value; expected says which, for the message. */
int ps_get_keyword(struct parser *ps, const struct keyword *kw, size_t n,
		   const char *expected, int *value);
/* A duration (duration.h) into *ms. */
int ps_get_duration(struct parser *ps, uint64_t *ms);
/* A uid, 0 to 4294967294, into *uid. */
int ps_get_uid(struct parser *ps, int64_t *uid);

/*
 * The list that is the current event, each element handed to elem() as
 * the current event with ps->line at its line.
 */
int ps_parse_list(struct parser *ps, int (*elem)(struct parser *ps, void *obj), void *obj);
/*
 * The mapping that is the current event: each key one of fields[0..n),
 * given once, its value read by that field's parse().  lines[i] is set to
 * the line of fields[i].key, or 0 when absent.  where ("in match") ends
 * messages.
 */
int ps_parse_mapping(struct parser *ps, const char *where, const struct field *fields,
		     size_t n, void *obj, size_t *lines);
/*
 * The list of strings that is the current event into *v (NULL-terminated;
 * left NULL for an empty list).  The first string is never empty; the
 * others only with allow_empty.  check (may be NULL) vets each one.
 */
int ps_parse_strings(struct parser *ps, char ***v, bool allow_empty,
		     int (*check)(struct parser *ps, const struct strlist *l, const char *s));

#endif /* BW_POLICY_YAML_H */
