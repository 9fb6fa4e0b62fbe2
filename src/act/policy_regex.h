/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * policy_regex.h - the cmdline patterns of a policy, admitted and run
 * under bounds.  It owns PCRE2 and its limits; it must not know the
 * policy's schema (policy.c) or what a match means (policy_match.c).
 */
#ifndef BW_POLICY_REGEX_H
#define BW_POLICY_REGEX_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include "policy.h"

#define POLICY_REGEX_ERR_LEN 128

/*
 * A compiled cmdline pattern and its limits: read-only once compiled, so
 * the threads that share a policy may search with it at once (each search
 * brings its own match data).
 */
struct policy_regex {
	pcre2_code *code;
	pcre2_match_context *mctx; /* the limits */
	char *source;              /* the pattern, for explanations */
	bool reported;             /* a limit was reached and reported: set once, atomically */
};

/*
 * Compile pattern s into *out with its compile and every later search
 * bounded.  0, -ENOMEM, or -EINVAL with PCRE2's message in why (len
 * bytes) and the offset in s where it failed in *offset.
 */
int policy_regex_compile(const char *s, struct policy_regex **out, char *why, size_t len,
			 size_t *offset);
void policy_regex_free(struct policy_regex *re);

/*
 * Whether re matches the first POLICY_CMDLINE_MAX bytes of s.  A search
 * that hits a limit (or finds no memory for its match data) counts as no
 * match: *gave_up names the limit, and the first time for re, p->on_limit
 * is told (rule r, side "holder" or "requester"); p NULL: nobody is.
 */
bool policy_regex_holds(const struct policy *p, const struct policy_rule *r, const char *side,
			struct policy_regex *re, const char *s, const char **gave_up);

#endif /* BW_POLICY_REGEX_H */
