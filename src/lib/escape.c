// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * escape.c - print bytes chosen by a possibly hostile process safely.
 *
 * It owns escaping; it must not decide what is written where.
 *
 * A comm or command line can hold anything, and the records bindwatch
 * writes are read by JSON parsers and by people in terminals, so neither
 * output may be broken or steered by what a process put in its argv.  Both
 * escapers share one scanner that splits the input into well-formed UTF-8
 * characters (after Unicode Table 3-7, which rules out overlong forms,
 * surrogates and code points above U+10FFFF) and stray bytes; they differ
 * only in how a control character or a stray byte is spelled.  C1 controls
 * (U+0080-U+009F) count as control characters: some terminals take U+009B
 * as CSI, the start of an escape sequence.  So do the invisible characters
 * that change how the rest of a line reads without being seen: Unicode's
 * bidirectional controls (U+202E makes "exe.txt" of "txt.exe" on screen)
 * and the line and paragraph separators U+2028/U+2029, which some viewers
 * and JavaScript treat as line breaks (a forged second line).
 *
 * A text record also names processes as COMM[PID] and writes KEY=VALUE
 * fields; a value chosen by someone else than bindwatch (escape.h, enum
 * text_field) is bare only when every byte of it is one that cannot be
 * read as part of the line's syntax (letters, digits and ._-/:@+#~), else
 * it is quoted, so "sshd[1] uid=0 " cannot pose as a pid and a uid, nor a
 * cgroup named "x; held by sshd[1] uid=0 LISTEN ..." as a second holder.
 *
 * A command line is shown as a shell would read it back (shell_quote_argv):
 * joined by spaces, "nginx -g daemon off;" would read as three arguments
 * where there were two, and an empty argument would not show at all.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "escape.h"
#include "util.h"

enum {
	ASCII_CONTROL_END = 0x20, /* C0 controls are below this */
	ASCII_DEL = 0x7f,
	UTF8_CONT_MIN = 0x80,     /* continuation bytes 10xxxxxx */
	UTF8_CONT_MAX = 0xbf,
	UTF8_CONT_BITS = 6,       /* payload bits of a continuation byte */
	UTF8_CONT_MASK = 0x3f,
	C1_FIRST = 0x80,
	C1_LAST = 0x9f,
};

/* Format characters that reorder or break a line without being seen. */
static const struct { uint32_t first, last; } invisible_controls[] = {
	{ 0x061c, 0x061c }, /* ARABIC LETTER MARK */
	{ 0x200e, 0x200f }, /* LEFT-TO-RIGHT MARK, RIGHT-TO-LEFT MARK */
	{ 0x2028, 0x2029 }, /* LINE SEPARATOR, PARAGRAPH SEPARATOR */
	{ 0x202a, 0x202e }, /* embeddings, overrides, POP DIRECTIONAL FORMATTING */
	{ 0x2066, 0x2069 }, /* isolates, POP DIRECTIONAL ISOLATE */
};

/* Bytes of a name that the text line can show bare (see the top comment). */
static const char bare_name_bytes[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/:@+#~";

/* Bytes of an argument a shell reads as they are, outside quotes. */
static const char bare_shell_bytes[] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789%+,-./:=@_";

#define UTF8_REPLACEMENT "\xef\xbf\xbd" /* U+FFFD */

/* The lead byte's payload mask for a character of each length. */
static const unsigned char utf8_lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };

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

/* The code point of the well-formed character s[0..len). */
static uint32_t utf8_decode(const unsigned char *s, size_t len)
{
	uint32_t cp = s[0] & utf8_lead_mask[len];
	size_t i;

	for (i = 1; i < len; i++)
		cp = cp << UTF8_CONT_BITS | (s[i] & UTF8_CONT_MASK);
	return cp;
}

/* A C0 or C1 control, DEL, or one of invisible_controls. */
static bool is_control(uint32_t cp)
{
	size_t i;

	if (cp < ASCII_CONTROL_END || cp == ASCII_DEL || (cp >= C1_FIRST && cp <= C1_LAST))
		return true;
	for (i = 0; i < ARRAY_SIZE(invisible_controls); i++)
		if (cp >= invisible_controls[i].first && cp <= invisible_controls[i].last)
			return true;
	return false;
}

struct escaper {
	/* a control character, code point cp, of len bytes */
	void (*control)(struct strbuf *sb, const unsigned char *s, size_t len, uint32_t cp);
	/* a byte that is not part of a well-formed character */
	void (*stray)(struct strbuf *sb, const unsigned char *s, size_t len);
};

static void escape(struct strbuf *sb, const unsigned char *s, size_t n,
		   const struct escaper *e)
{
	size_t len;
	uint32_t cp;

	for (; n; s += len, n -= len) {
		len = utf8_len(s, n);
		cp = len ? utf8_decode(s, len) : 0;
		if (!len) {
			len = 1;
			e->stray(sb, s, len);
		} else if (is_control(cp)) {
			e->control(sb, s, len, cp);
		} else if (*s == '"' || *s == '\\') {
			strbuf_addc(sb, '\\');
			strbuf_addc(sb, (char)*s);
		} else {
			strbuf_add(sb, s, len);
		}
	}
}

static void json_control(struct strbuf *sb, const unsigned char *s, size_t len, uint32_t cp)
{
	(void)s;
	(void)len;
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
		strbuf_addf(sb, "\\u%04x", (unsigned int)cp);
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

static void text_control(struct strbuf *sb, const unsigned char *s, size_t len, uint32_t cp)
{
	(void)cp;
	text_hex(sb, s, len);
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
		.control = text_control,
		.stray = text_hex,
	};

	escape(sb, data, n, &text);
}

size_t utf8_head(const void *data, size_t n, size_t max)
{
	const unsigned char *s = data;
	size_t head = 0, len;

	if (n <= max)
		return n;
	for (; head < max; head += len) {
		len = utf8_len(s + head, n - head);
		if (!len)
			len = 1;
		if (head + len > max)
			break;
	}
	return head;
}

static const char *const text_field_keys[TEXT_FIELDS] = {
	[TEXT_COMM] = NULL, [TEXT_UNIT] = "unit", [TEXT_USER_UNIT] = "user_unit",
	[TEXT_CONTAINER] = "container", [TEXT_NETNS] = "netns", [TEXT_DEV] = "dev",
	[TEXT_EXE] = "exe", [TEXT_GOT] = NULL, [TEXT_LOGGED] = NULL,
	[TEXT_WORKLOAD] = NULL,
};

const char *text_field_key(enum text_field f)
{
	return (unsigned int)f < TEXT_FIELDS ? text_field_keys[f] : NULL;
}

void text_field(struct strbuf *sb, enum text_field f, const void *value, size_t n)
{
	const char *key = text_field_key(f), *s = value;
	size_t i;

	if (key) {
		strbuf_adds(sb, key);
		strbuf_addc(sb, '=');
	}
	for (i = 0; i < n && s[i] && strchr(bare_name_bytes, s[i]); i++)
		;
	if (n && i == n) {
		strbuf_add(sb, s, n);
		return;
	}
	strbuf_addc(sb, '"');
	text_escape(sb, value, n);
	strbuf_addc(sb, '"');
}

/* One argument arg[0..n), quoted only when a shell would need it. */
static void shell_quote_one(struct strbuf *sb, const char *arg, size_t n)
{
	size_t i;

	for (i = 0; i < n && memchr(bare_shell_bytes, arg[i], sizeof(bare_shell_bytes) - 1); i++)
		;
	if (n && i == n) {
		strbuf_add(sb, arg, n);
		return;
	}
	strbuf_addc(sb, '\'');
	for (i = 0; i < n; i++) {
		if (arg[i] == '\'')
			strbuf_adds(sb, "'\\''"); /* close, an escaped quote, reopen */
		else
			strbuf_addc(sb, arg[i]);
	}
	strbuf_addc(sb, '\'');
}

void shell_quote_argv(struct strbuf *sb, const char *args, size_t n)
{
	const char *p = args, *end = args + n, *nul;

	for (;;) {
		nul = memchr(p, '\0', end - p);
		shell_quote_one(sb, p, (nul ? nul : end) - p);
		if (!nul)
			break;
		strbuf_addc(sb, ' ');
		p = nul + 1;
	}
}
