// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * template.c - expand and check exec argument templates (template.h).
 *
 * One walk serves both: the policy checker runs it without output to
 * admit a rule's exec, the hook runner with output to build the argv, so
 * what is admitted is exactly what expands.  Values are copied verbatim:
 * a comm of "{port}" stays that text.
 */
#include <errno.h>
#include <string.h>
#include "template.h"

/*
 * Expand t into out (NULL: check only).  On an error *bad points at the
 * brace that starts the unknown placeholder or is unbalanced.  *lead is
 * set to the brace of the first chosen placeholder that no fixed text
 * precedes, else to NULL.
 */
static enum template_err walk(const char *t, const struct template_var *vars, size_t nvars,
			      struct strbuf *out, const char **bad, const char **lead)
{
	bool fixed = false; /* fixed text so far */
	const char *close;
	size_t i, n;

	*lead = NULL;
	for (;;) {
		n = strcspn(t, "{}");
		if (out)
			strbuf_add(out, t, n);
		fixed |= n > 0;
		t += n;
		if (!*t)
			return TEMPLATE_OK;
		if (t[1] == t[0]) { /* "{{" or "}}" */
			if (out)
				strbuf_addc(out, *t);
			fixed = true;
			t += 2;
			continue;
		}
		*bad = t;
		close = strpbrk(t + 1, "{}");
		if (*t == '}' || !close || *close == '{')
			return TEMPLATE_UNBALANCED;
		n = (size_t)(close - t - 1);
		for (i = 0; i < nvars; i++)
			if (strlen(vars[i].name) == n && !memcmp(vars[i].name, t + 1, n))
				break;
		if (i == nvars)
			return TEMPLATE_UNKNOWN;
		if (!*lead && !fixed && vars[i].chosen)
			*lead = t;
		if (out && vars[i].value)
			strbuf_adds(out, vars[i].value);
		t = close + 1;
	}
}

enum template_err template_check(const char *tmpl, const struct template_var *vars,
				 size_t nvars, const char **bad)
{
	const char *lead;
	enum template_err err = walk(tmpl, vars, nvars, NULL, bad, &lead);

	if (err == TEMPLATE_OK && lead) {
		*bad = lead;
		return TEMPLATE_LEADS;
	}
	return err;
}

int template_expand(const char *tmpl, const struct template_var *vars, size_t nvars,
		    struct strbuf *out)
{
	const char *bad, *lead;

	if (walk(tmpl, vars, nvars, out, &bad, &lead) != TEMPLATE_OK)
		return -EINVAL;
	return out->oom ? -ENOMEM : 0;
}
