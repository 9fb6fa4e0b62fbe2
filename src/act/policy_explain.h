/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * policy_explain.h - say why a policy rule did not match a conflict, in the
 * words check-policy --replay and --dry-run records use.
 *
 * The matcher itself finds the first condition that failed (policy.h,
 * struct policy_miss); this module only renders it, the value a process
 * showed escaped like every other such value:
 *
 *   holder.exe "/usr/bin/redis-check-rdb" does not match "/usr/bin/redis-server"
 *   requester.uid 1000 is not 0
 *   holder.min_age: the process was 1500ms old, the rule wants 10m
 *   holder.state bound is not listen
 *   holder.exe is unknown (the rule wants "/usr/bin/python3*")
 *   holder.container.name "web" does not match "api*"
 *   requester.pod.namespace is unknown (the rule wants "ci")
 *   proto udp is not tcp
 *   holder.cmdline "aaaa...": the pattern "(a|aa)+$" gave up (match limit), which
 *     counts as no match
 */
#ifndef BW_POLICY_EXPLAIN_H
#define BW_POLICY_EXPLAIN_H

#include "json.h"
#include "policy.h"
#include "strbuf.h"

/* A rule that did not match, and why. */
struct explain {
	const char *rule;     /* its name */
	unsigned int line;    /* where it starts in the policy file */
	struct policy_miss miss;
};

/* Append why e's rule did not match, as in the examples above. */
void explain_text(struct strbuf *sb, const struct explain *e);

/*
 * Write e as a JSON object under key (NULL in an array): "rule", "line",
 * "field" ("holder.exe"), "value" (null: unknown), "value_truncated",
 * "condition", "gave_up" (null, or the PCRE2 limit) and "why" (the text).
 */
void explain_json(struct jw *w, const char *key, const struct explain *e);

/*
 * Write e as a record's "unmatched" element: "rule", "line", "field",
 * "want" (the condition), "got" (null: unknown), "got_truncated",
 * "gave_up" and "why", in the words expect's "unmet" uses.
 */
void explain_json_unmet(struct jw *w, const struct explain *e);

#endif /* BW_POLICY_EXPLAIN_H */
