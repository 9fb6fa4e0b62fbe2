// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * escape.c - print bytes chosen by a possibly hostile process safely.
 *
 * A comm or command line can hold anything, and the records bindwatch
 * writes are read by JSON parsers and by people in terminals, so neither
 * output may be broken or steered by what a process put in its argv.  Both
 * escapers share one scanner that splits the input into well-formed UTF-8
 * characters (after Unicode Table 3-7, which rules out overlong forms,
 * surrogates and code points above U+10FFFF) and stray bytes; they differ
 * only in how a control character or a stray byte is spelled.  C1 controls
 * (U+0080-U+009F) count as control characters: some terminals take U+009B
 * as CSI, the start of an escape sequence.
 */
#include <stdbool.h>
#include "escape.h"

enum {
	ASCII_CONTROL_END = 0x20, /* C0 controls are below this */
	ASCII_DEL = 0x7f,
	UTF8_CONT_MIN = 0x80,     /* continuation bytes 10xxxxxx */
	UTF8_CONT_MAX = 0xbf,
	UTF8_C1_LEAD = 0xc2,      /* U+0080-U+009F is C2 80 - C2 9F */
	UTF8_C1_LAST = 0x9f,
};

#define UTF8_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Unicode Table 3-7 "Well-Formed UTF-8 Byte Sequences", multi-byte rows. */
static const struct utf8_form {
	unsigned char lead_min, lead_max; /* first byte */
	unsigned char next_min, next_max; /* second byte */
	unsigned char len;
} utf8_forms[] = {
	{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
	{ 0xe0, 0xe0, 0xa0, 0xbf, 3 }, /* not overlong */
	{ 0xe1, 0xec, 0x80, 0xbf, 3 },
	{ 0xed, 0xed, 0x80, 0x9f, 3 }, /* not a surrogate */
	{ 0xee, 0xef, 0x80, 0xbf, 3 },
	{ 0xf0, 0xf0, 0x90, 0xbf, 4 }, /* not overlong */
	{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
	{ 0xf4, 0xf4, 0x80, 0x8f, 4 }, /* not above U+10FFFF */
};

static bool utf8_is_cont(unsigned char c)
{
	return c >= UTF8_CONT_MIN && c <= UTF8_CONT_MAX;
}

/* Length of the well-formed character at s[0..n), or 0 for a stray byte. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	const struct utf8_form *f;
	size_t i;

	if (s[0] < UTF8_CONT_MIN)
		return 1;
	for (f = utf8_forms; f < utf8_forms + ARRAY_SIZE(utf8_forms); f++) {
		if (s[0] < f->lead_min || s[0] > f->lead_max)
			continue;
		if (n < f->len || s[1] < f->next_min || s[1] > f->next_max)
			return 0;
		for (i = 2; i < f->len; i++)
			if (!utf8_is_cont(s[i]))
				return 0;
		return f->len;
	}
	return 0;
}

static bool is_control(const unsigned char *s, size_t len)
{
	if (len == 1)
		return s[0] < ASCII_CONTROL_END || s[0] == ASCII_DEL;
	return len == 2 && s[0] == UTF8_C1_LEAD && s[1] <= UTF8_C1_LAST;
}

struct escaper {
	/* a control character of len bytes (1, or 2 for C1) */
	void (*control)(struct strbuf *sb, const unsigned char *s, size_t len);
	/* a byte that is not part of a well-formed character */
	void (*stray)(struct strbuf *sb, const unsigned char *s, size_t len);
};

static void escape(struct strbuf *sb, const unsigned char *s, size_t n,
		   const struct escaper *e)
{
	size_t len;

	for (; n; s += len, n -= len) {
		len = utf8_len(s, n);
		if (!len) {
			len = 1;
			e->stray(sb, s, len);
		} else if (is_control(s, len)) {
			e->control(sb, s, len);
		} else if (*s == '"' || *s == '\\') {
			strbuf_addc(sb, '\\');
			strbuf_addc(sb, (char)*s);
		} else {
			strbuf_add(sb, s, len);
		}
	}
}

static void json_control(struct strbuf *sb, const unsigned char *s, size_t len)
{
	/* a C1 character's code point is its second byte */
	unsigned int cp = s[len - 1];

	switch (cp) {
	case '\b':
		strbuf_adds(sb, "\\b");
		break;
	case '\f':
		strbuf_adds(sb, "\\f");
		break;
	case '\n':
		strbuf_adds(sb, "\\n");
		break;
	case '\r':
		strbuf_adds(sb, "\\r");
		break;
	case '\t':
		strbuf_adds(sb, "\\t");
		break;
	default:
		strbuf_addf(sb, "\\u%04x", cp);
	}
}

static void json_stray(struct strbuf *sb, const unsigned char *s, size_t len)
{
	(void)s;
	(void)len;
	strbuf_adds(sb, UTF8_REPLACEMENT);
}

static void text_hex(struct strbuf *sb, const unsigned char *s, size_t len)
{
	while (len--)
		strbuf_addf(sb, "\\x%02x", *s++);
}

void json_escape(struct strbuf *sb, const void *data, size_t n)
{
	static const struct escaper json = {
		.control = json_control,
		.stray = json_stray,
	};

	strbuf_addc(sb, '"');
	escape(sb, data, n, &json);
	strbuf_addc(sb, '"');
}

void text_escape(struct strbuf *sb, const void *data, size_t n)
{
	static const struct escaper text = {
		.control = text_hex,
		.stray = text_hex,
	};

	escape(sb, data, n, &text);
}
