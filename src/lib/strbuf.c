// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * strbuf.c - the growable buffer every output record is built in.
 *
 * It owns the buffer and its out-of-memory flag; it must know nothing of
 * records.
 *
 * Records are assembled in memory and written with one write(2), so the
 * buffer must grow without bound checks at each call site.  Instead of
 * returning an error from every append, a failure sets the sticky sb->oom
 * and makes later appends no-ops: the buffer then holds a clean prefix of
 * the record and the caller drops it after a single check.  An empty
 * buffer points at a static "" so sb->s is usable before any allocation.
 * The NULL-terminated string vectors of the policy (a rule's exec) and of
 * the reclaims that copy them are freed and copied here too.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "strbuf.h"

/* Smallest allocation; one typical record fits without regrowing. */
#define STRBUF_MIN_CAP 256

static char strbuf_empty[1];

void strbuf_init(struct strbuf *sb)
{
	sb->s = strbuf_empty;
	sb->len = 0;
	sb->cap = 0;
	sb->oom = false;
}

void strbuf_free(struct strbuf *sb)
{
	if (sb->cap)
		free(sb->s);
	strbuf_init(sb);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	sb->oom = false;
	if (sb->cap)
		sb->s[0] = '\0';
}

/* Make room for n more bytes plus the NUL; false (and sb->oom) if not. */
static bool strbuf_grow(struct strbuf *sb, size_t n)
{
	size_t need, cap;
	char *s;

	if (sb->oom)
		return false;
	if (n >= SIZE_MAX - sb->len)
		goto fail;
	need = sb->len + n + 1;
	if (need <= sb->cap)
		return true;

	cap = sb->cap > SIZE_MAX / 2 ? SIZE_MAX : sb->cap * 2;
	if (cap < need)
		cap = need;
	if (cap < STRBUF_MIN_CAP)
		cap = STRBUF_MIN_CAP;
	s = realloc(sb->cap ? sb->s : NULL, cap);
	if (!s)
		goto fail;
	sb->s = s;
	sb->cap = cap;
	return true;
fail:
	sb->oom = true;
	return false;
}

void strbuf_add(struct strbuf *sb, const void *data, size_t n)
{
	if (!n || !strbuf_grow(sb, n))
		return;
	memcpy(sb->s + sb->len, data, n);
	sb->len += n;
	sb->s[sb->len] = '\0';
}

void strbuf_addc(struct strbuf *sb, char c)
{
	strbuf_add(sb, &c, 1);
}

void strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		sb->oom = true;
		return;
	}
	if (!strbuf_grow(sb, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(sb->s + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void strv_free(char **v)
{
	char **s;

	for (s = v; s && *s; s++)
		free(*s);
	free(v);
}

char **strv_dup(char *const *v)
{
	size_t n = 0, i;
	char **d;

	while (v && v[n])
		n++;
	d = calloc(n + 1, sizeof(*d));
	for (i = 0; d && i < n; i++) {
		d[i] = strdup(v[i]);
		if (!d[i]) {
			strv_free(d);
			return NULL;
		}
	}
	return d;
}
