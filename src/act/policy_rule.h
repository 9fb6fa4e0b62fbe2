/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * policy_rule.h - the parts of the policy's schema the document is made
 * of (policy.c): a rule, an expect rule, and the checks its protect list
 * shares with their conditions.
 */
#ifndef BW_POLICY_RULE_H
#define BW_POLICY_RULE_H

#include <stddef.h>
#include "policy.h"
#include "policy_yaml.h"

/* One rule, the current event (a mapping), appended to ps->p's rules. */
int policy_parse_rule(struct parser *ps, void *obj);
/* One expect rule, the current event (a mapping), appended to ps->p's expects. */
int policy_parse_expect(struct parser *ps, void *obj);
/* Free the rules v[0..n) and what they hold; v itself too. */
void policy_rules_free(struct policy_rule *v, size_t n);

/* Refuse a comm s longer than the kernel keeps: it could never match. */
int policy_check_comm(struct parser *ps, const struct strlist *l, const char *s);
/* Refuse an executable s that is no absolute path (or glob of one). */
int policy_check_exe(struct parser *ps, const struct strlist *l, const char *s);
/* Refuse a runtime s no workload is ever of. */
int policy_check_runtime(struct parser *ps, const struct strlist *l, const char *s);

/*
 * A container: or pod: mapping being read: its fields, which fill the
 * slots[first..first + n) of a struct policy_cond's or policy_protect's
 * wl, in enum policy_wl's order.
 */
struct wl_map {
	const struct field *fields;
	size_t n;
	size_t first;
	void *slots; /* char *[POLICY_WL_FIELDS] or char **[POLICY_WL_FIELDS] */
};

/* The slot of wl the key being read (ps->key, one of wl's fields) fills. */
size_t policy_wl_slot(const struct parser *ps, const struct wl_map *wl);

#endif /* BW_POLICY_RULE_H */
