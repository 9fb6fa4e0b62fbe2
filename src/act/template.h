/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * template.h - exec argument templates: "--port={port}", "{{" and "}}"
 * for literal braces.  It owns the syntax and the rule that a value a
 * process chooses may not start an argument; it must not know which
 * variables exist (recvars.h) or run anything (hooks.h).
 */
#ifndef BW_TEMPLATE_H
#define BW_TEMPLATE_H

#include <stdbool.h>
#include <stddef.h>
#include "strbuf.h"

/* A placeholder name ("port", "holder.pid") and its value (NULL: ""). */
struct template_var {
	const char *name;
	const char *value;
	bool chosen;          /* a process chooses the value: never an argument's start */
};

enum template_err {
	TEMPLATE_OK,
	TEMPLATE_UNKNOWN,     /* a name not in vars */
	TEMPLATE_UNBALANCED,  /* a brace that opens or closes nothing */
	TEMPLATE_LEADS,       /* a chosen value with no fixed text before it */
};

/*
 * Check tmpl against vars: TEMPLATE_OK or the first problem, with *bad
 * pointing at the brace that starts the placeholder at fault.
 */
enum template_err template_check(const char *tmpl, const struct template_var *vars,
				 size_t nvars, const char **bad);

/*
 * Expand tmpl into out, values verbatim (not expanded again).  0, -EINVAL
 * for an unknown name or an unbalanced brace (out then holds a partial
 * expansion), -ENOMEM if out ran out of memory.
 */
int template_expand(const char *tmpl, const struct template_var *vars, size_t nvars,
		    struct strbuf *out);

#endif /* BW_TEMPLATE_H */
