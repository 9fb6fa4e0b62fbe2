/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * json.h - a minimal streaming writer for one-line JSON objects.
 *
 * The writer tracks where commas go, so record formatting code reads as a
 * list of fields.  Keys are trusted literals; string values go through
 * json_escape().  Nesting is limited to JSON_MAX_DEPTH, far more than a
 * record needs; going deeper, or closing more than was opened, sets the
 * sticky error jw->err (like sb->oom), after which nothing more is written.
 */
#ifndef BW_JSON_H
#define BW_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "strbuf.h"

#define JSON_MAX_DEPTH 8

struct jw {
	struct strbuf *sb;
	int depth;
	bool first[JSON_MAX_DEPTH]; /* no member written yet at this level */
	bool err;                   /* nesting too deep or unbalanced */
};

void jw_init(struct jw *w, struct strbuf *sb);
/* key is NULL for the top-level object and for array elements */
void jw_obj_begin(struct jw *w, const char *key);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w, const char *key);
void jw_arr_end(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *s); /* NULL -> null */
void jw_strn(struct jw *w, const char *key, const void *s, size_t n);
void jw_int(struct jw *w, const char *key, int64_t v);
void jw_uint(struct jw *w, const char *key, uint64_t v);
void jw_bool(struct jw *w, const char *key, bool v);
void jw_null(struct jw *w, const char *key);

#endif /* BW_JSON_H */
