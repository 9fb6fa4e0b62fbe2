/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * strbuf.h - a growable, always NUL-terminated byte buffer, and helpers for
 * NULL-terminated string vectors.
 *
 * Every record is formatted into one strbuf and written with a single
 * write(2), so a reader of the log never sees half a line.  An allocation
 * failure is sticky (sb->oom) instead of being checked after every append:
 * later appends are ignored, so the buffer keeps a clean prefix, and the
 * caller checks once, before writing.  strbuf_reset() empties the buffer
 * and clears oom, keeping the memory for the next record.
 */
#ifndef BW_STRBUF_H
#define BW_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

struct strbuf {
	char *s;    /* NUL-terminated; never NULL after strbuf_init() */
	size_t len; /* bytes before the NUL */
	size_t cap;
	bool oom;   /* an append failed for lack of memory */
};

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_add(struct strbuf *sb, const void *data, size_t n);
void strbuf_addc(struct strbuf *sb, char c);
void strbuf_adds(struct strbuf *sb, const char *s);
__attribute__((format(printf, 2, 3)))
void strbuf_addf(struct strbuf *sb, const char *fmt, ...);

/* Free the NULL-terminated vector v and its strings; NULL is fine. */
void strv_free(char **v);

/* A copy of the NULL-terminated vector v (NULL: an empty one), or NULL. */
char **strv_dup(char *const *v);

#endif /* BW_STRBUF_H */
