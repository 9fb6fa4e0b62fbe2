// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy_regex.c - cmdline patterns under PCRE2, bounded (policy_regex.h).
 *
 * It owns PCRE2 and its limits; it must not know the schema.
 *
 * A pattern runs on command lines other users choose, so it runs under
 * PCRE2 rather than glibc's regex engine, which could be made to take
 * gigabytes to compile or minutes to run on a command line the holder or
 * requester chose: PCRE2 bounds the compile (pattern length, nesting,
 * compiled size) and each search (a match, depth and heap limit), and sees
 * at most POLICY_CMDLINE_MAX bytes.  Its worst case measured on this
 * project's machine: 5-10 ms on a 4 KiB line (a scan from every start
 * that the match limit does not count, "\\d+\\D" on digits, or a
 * depth-limited alternation, "(a|aa)+$"); nested repetitions give up in
 * 1-1.5 ms; uncapped, 64 KiB took the first 1.3-1.4 s.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "policy_regex.h"

#define REGEX_MAX_LEN 4096         /* bytes of a pattern */
#define REGEX_MAX_NEST 32          /* nested parentheses */
#define REGEX_MATCH_LIMIT 100000   /* backtracking steps of one search: ~1-2 ms */
#define REGEX_DEPTH_LIMIT 5000     /* nested backtracking points */
#define REGEX_HEAP_LIMIT_KIB 2048  /* backtracking memory */

void policy_regex_free(struct policy_regex *re)
{
	if (!re)
		return;
	pcre2_match_context_free(re->mctx);
	pcre2_code_free(re->code);
	free(re->source);
	free(re);
}

/*
 * Compile s, its compile bounded by REGEX_MAX_LEN and REGEX_MAX_NEST (and
 * PCRE2's own limit on the compiled size), with the search limits set.
 */
int policy_regex_compile(const char *s, struct policy_regex **out, char *why, size_t len,
			 size_t *offset)
{
	pcre2_compile_context *cctx = pcre2_compile_context_create(NULL);
	struct policy_regex *re;
	PCRE2_SIZE off;
	int err = 0;

	re = calloc(1, sizeof(*re));
	if (!re || !cctx) {
		free(re);
		pcre2_compile_context_free(cctx);
		return -ENOMEM;
	}
	pcre2_set_max_pattern_length(cctx, REGEX_MAX_LEN);
	pcre2_set_parens_nest_limit(cctx, REGEX_MAX_NEST);
	re->code = pcre2_compile((PCRE2_SPTR)s, PCRE2_ZERO_TERMINATED, 0, &err, &off, cctx);
	pcre2_compile_context_free(cctx);
	if (!re->code) {
		policy_regex_free(re);
		if (err == PCRE2_ERROR_HEAP_FAILED)
			return -ENOMEM;
		pcre2_get_error_message(err, (PCRE2_UCHAR *)why, len);
		*offset = off;
		return -EINVAL;
	}
	re->mctx = pcre2_match_context_create(NULL);
	re->source = strdup(s);
	if (!re->mctx || !re->source) {
		policy_regex_free(re);
		return -ENOMEM;
	}
	pcre2_set_match_limit(re->mctx, REGEX_MATCH_LIMIT);
	pcre2_set_depth_limit(re->mctx, REGEX_DEPTH_LIMIT);
	pcre2_set_heap_limit(re->mctx, REGEX_HEAP_LIMIT_KIB);
	*out = re;
	return 0;
}

bool policy_regex_holds(const struct policy *p, const struct policy_rule *r, const char *side,
			struct policy_regex *re, const char *s, const char **gave_up)
{
	/* one pair: where the match is, which nothing reads; its groups are not kept */
	pcre2_match_data *md = pcre2_match_data_create(1, NULL);
	PCRE2_UCHAR why[POLICY_REGEX_ERR_LEN];
	int rc;

	rc = md ? pcre2_match(re->code, (PCRE2_SPTR)s, strnlen(s, POLICY_CMDLINE_MAX), 0, 0, md,
			      re->mctx) : PCRE2_ERROR_NOMEMORY;
	pcre2_match_data_free(md);
	if (rc >= 0) /* 0: a match, its groups not kept */
		return true;
	if (rc == PCRE2_ERROR_NOMATCH)
		return false;
	*gave_up = rc == PCRE2_ERROR_MATCHLIMIT ? "match limit" :
		   rc == PCRE2_ERROR_DEPTHLIMIT ? "depth limit" :
		   rc == PCRE2_ERROR_HEAPLIMIT ? "heap limit" : "error";
	if (p && p->on_limit && !__atomic_exchange_n(&re->reported, true, __ATOMIC_RELAXED)) {
		pcre2_get_error_message(rc, why, sizeof(why));
		p->on_limit(p->on_limit_arg, r, side, (const char *)why);
	}
	return false;
}
