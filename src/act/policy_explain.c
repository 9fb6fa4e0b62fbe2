// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy_explain.c - render a rule's first failed condition (policy_explain.h).
 *
 * It owns the sentence for a miss; it must not match.
 *
 * Both values are quoted and text_escape()d, the process's because it
 * chose it (a comm or command line may hold quotes or terminal escapes),
 * the policy's so that the line stays one line whatever the file holds.
 * The JSON form carries the same sentence under "why" and the parts
 * apart, for tools.
 */
#include <stdio.h>
#include <string.h>
#include "escape.h"
#include "policy_explain.h"

#define FIELD_LEN 32 /* "requester.user_unit" */

static void quoted(struct strbuf *sb, const char *s, bool cut)
{
	strbuf_addc(sb, '"');
	text_escape(sb, s, strlen(s));
	strbuf_addc(sb, '"');
	if (cut)
		strbuf_adds(sb, "...");
}

/* "holder.exe", or "proto" for a rule-wide field. */
static const char *field_name(char buf[FIELD_LEN], const struct policy_miss *m)
{
	snprintf(buf, FIELD_LEN, "%s%s%s", m->side ? m->side : "", m->side ? "." : "", m->field);
	return buf;
}

/* Fields whose values are words or numbers of the policy's own, never a process's text. */
static bool is_word(const char *field)
{
	return !strcmp(field, "port") || !strcmp(field, "proto") || !strcmp(field, "uid") ||
	       !strcmp(field, "state") || !strcmp(field, "min_age");
}

static void why(struct strbuf *sb, const struct policy_miss *m)
{
	char field[FIELD_LEN];

	strbuf_adds(sb, field_name(field, m));
	if (!m->known) {
		strbuf_adds(sb, " is unknown (the rule wants ");
		quoted(sb, m->want, false);
		strbuf_addc(sb, ')');
	} else if (!strcmp(m->field, "min_age")) {
		strbuf_addf(sb, ": the process was %s old, the rule wants %s", m->got, m->want);
	} else if (!strcmp(m->field, "port")) {
		strbuf_addf(sb, " %s is not among the rule's ports", m->got);
	} else if (is_word(m->field)) {
		strbuf_addf(sb, " %s is not %s", m->got, m->want);
	} else if (m->gave_up) {
		strbuf_addc(sb, ' ');
		quoted(sb, m->got, m->got_cut);
		strbuf_adds(sb, ": the pattern ");
		quoted(sb, m->want, false);
		strbuf_addf(sb, " gave up (%s), which counts as no match", m->gave_up);
	} else {
		strbuf_addc(sb, ' ');
		quoted(sb, m->got, m->got_cut);
		strbuf_adds(sb, " does not match ");
		quoted(sb, m->want, false);
	}
}

void explain_text(struct strbuf *sb, const struct explain *e)
{
	strbuf_adds(sb, "rule ");
	text_escape(sb, e->rule, strlen(e->rule));
	strbuf_adds(sb, ": ");
	why(sb, &e->miss);
}

/* What explain_json() and explain_json_unmet() call the values. */
struct explain_keys {
	const char *got, *got_cut, *want;
};

static void json_with(struct jw *w, const char *key, const struct explain *e,
		      const struct explain_keys *k)
{
	const struct policy_miss *m = &e->miss;
	char field[FIELD_LEN];
	struct strbuf sb;

	jw_obj_begin(w, key);
	jw_str(w, "rule", e->rule);
	jw_uint(w, "line", e->line);
	jw_str(w, "field", field_name(field, m));
	jw_str(w, k->got, m->known ? m->got : NULL);
	jw_bool(w, k->got_cut, m->got_cut);
	jw_str(w, k->want, m->want);
	jw_str(w, "gave_up", m->gave_up);
	strbuf_init(&sb);
	why(&sb, m);
	jw_strn(w, "why", sb.s, sb.len);
	strbuf_free(&sb);
	jw_obj_end(w);
}

void explain_json(struct jw *w, const char *key, const struct explain *e)
{
	static const struct explain_keys keys = { "value", "value_truncated", "condition" };

	json_with(w, key, e, &keys);
}

void explain_json_unmet(struct jw *w, const struct explain *e)
{
	static const struct explain_keys keys = { "got", "got_truncated", "want" };

	json_with(w, NULL, e, &keys);
}
