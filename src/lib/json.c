// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * json.c - the one-line JSON writer behind --json output.
 *
 * It owns JSON syntax; it must not know record keys.
 *
 * Record code states fields in order and the writer decides where commas
 * go: each open object or array remembers whether it has a member yet.
 * Every string, keys included, goes through json_escape(), so no field can
 * break the line.  Errors are sticky like sb->oom: after one, the writer
 * writes nothing more and the caller drops the record after one check.
 */
#include <inttypes.h>
#include <string.h>
#include "escape.h"
#include "json.h"

void jw_init(struct jw *w, struct strbuf *sb)
{
	w->sb = sb;
	w->depth = 0;
	w->err = false;
}

/*
 * Start a value: the comma before it, if it is not the first member of
 * the enclosing object or array, and its key.  False once w->err is set.
 */
static bool jw_value(struct jw *w, const char *key)
{
	if (w->err)
		return false;
	if (w->depth) {
		if (!w->first[w->depth - 1])
			strbuf_addc(w->sb, ',');
		w->first[w->depth - 1] = false;
	}
	if (key) {
		json_escape(w->sb, key, strlen(key));
		strbuf_addc(w->sb, ':');
	}
	return true;
}

static void jw_open(struct jw *w, const char *key, char bracket)
{
	if (w->depth == JSON_MAX_DEPTH)
		w->err = true;
	if (!jw_value(w, key))
		return;
	strbuf_addc(w->sb, bracket);
	w->first[w->depth++] = true;
}

static void jw_close(struct jw *w, char bracket)
{
	if (!w->depth)
		w->err = true;
	if (w->err)
		return;
	strbuf_addc(w->sb, bracket);
	w->depth--;
}

void jw_obj_begin(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}

void jw_obj_end(struct jw *w)
{
	jw_close(w, '}');
}

void jw_arr_begin(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}

void jw_arr_end(struct jw *w)
{
	jw_close(w, ']');
}

void jw_str(struct jw *w, const char *key, const char *s)
{
	if (s)
		jw_strn(w, key, s, strlen(s));
	else
		jw_null(w, key);
}

void jw_strn(struct jw *w, const char *key, const void *s, size_t n)
{
	if (jw_value(w, key))
		json_escape(w->sb, s, n);
}

void jw_int(struct jw *w, const char *key, int64_t v)
{
	if (jw_value(w, key))
		strbuf_addf(w->sb, "%" PRId64, v);
}

void jw_uint(struct jw *w, const char *key, uint64_t v)
{
	if (jw_value(w, key))
		strbuf_addf(w->sb, "%" PRIu64, v);
}

void jw_bool(struct jw *w, const char *key, bool v)
{
	if (jw_value(w, key))
		strbuf_adds(w->sb, v ? "true" : "false");
}

void jw_null(struct jw *w, const char *key)
{
	if (jw_value(w, key))
		strbuf_adds(w->sb, "null");
}
