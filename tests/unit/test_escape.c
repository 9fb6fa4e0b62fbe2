// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_escape.c - hostile comm and command-line bytes in JSON and text.
 *
 * Exact expected strings pin the spelling of each escape; exhaustive runs
 * over all one- and two-byte inputs and many random ones then check the
 * promises in escape.h with an independent decoder: the JSON output is one
 * valid JSON string of valid UTF-8, the text output one line that holds
 * no control character (bidirectional controls and U+2028/U+2029
 * included); the value of every guarded field (enum text_field) is one
 * bare word or one quoted string.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include "escape.h"

#define OUT_MAX 4096
#define FFFD "\xef\xbf\xbd"
#define BYTE_VALUES 256
#define RANDOM_RUNS 200000
#define RANDOM_LEN_MAX 8
#define JSON_HEX_DIGITS 4
#define C0_END 0x20
#define LCG_MUL 1103515245u /* the sample rand() in C99 7.20.2.2 */
#define LCG_ADD 12345u

static char out[OUT_MAX];

typedef void escape_fn(struct strbuf *sb, const void *data, size_t n);

/* Escape into out[]; NULL (failing the comparison) if anything is off. */
static const char *run(escape_fn *fn, const void *in, size_t n)
{
	struct strbuf sb;
	bool ok;

	strbuf_init(&sb);
	fn(&sb, in, n);
	ok = !sb.oom && sb.len < OUT_MAX && strlen(sb.s) == sb.len;
	if (ok)
		memcpy(out, sb.s, sb.len + 1);
	strbuf_free(&sb);
	return ok ? out : NULL;
}

static void comm(struct strbuf *sb, const void *data, size_t n)
{
	text_field(sb, TEXT_COMM, data, n);
}

/* String literals keep their embedded NULs. */
#define JSON(lit) run(json_escape, lit, sizeof(lit) - 1)
#define TEXT(lit) run(text_escape, lit, sizeof(lit) - 1)
#define NAME(lit) run(comm, lit, sizeof(lit) - 1)

/* U+202E RIGHT-TO-LEFT OVERRIDE, U+2028 LINE SEPARATOR, U+2066 LRI */
#define RLO "\xe2\x80\xae"
#define LSEP "\xe2\x80\xa8"
#define LRI "\xe2\x81\xa6"

/*
 * Independent oracle: decode one UTF-8 character from the definition
 * (shortest form, no surrogates, at most U+10FFFF).  Returns its length
 * and code point, or 0.
 */
static size_t decode(const unsigned char *s, size_t n, uint32_t *cp)
{
	static const uint32_t min_cp[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t len, i;

	if (s[0] < 0x80)
		len = 1, *cp = s[0];
	else if ((s[0] & 0xe0) == 0xc0)
		len = 2, *cp = s[0] & 0x1f;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, *cp = s[0] & 0x0f;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, *cp = s[0] & 0x07;
	else
		return 0;
	if (len > n)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min_cp[len] || *cp > 0x10ffff ||
	    (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return len;
}

/* The list in escape.h, written out again. */
static bool is_control_cp(uint32_t cp)
{
	return cp < C0_END || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c ||
	       cp == 0x200e || cp == 0x200f || cp == 0x2028 || cp == 0x2029 ||
	       (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* s is valid UTF-8 without control characters. */
static bool clean_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), len;
	uint32_t cp;

	for (; n; p += len, n -= len) {
		len = decode(p, n, &cp);
		if (!len || is_control_cp(cp))
			return false;
	}
	return true;
}

/* s is exactly one JSON string (RFC 8259 section 7). */
static bool one_json_string(const char *s)
{
	size_t i, n = strlen(s);

	if (n < 2 || s[0] != '"' || s[n - 1] != '"')
		return false;
	for (i = 1; i < n - 1; i++) {
		if (s[i] == '"')
			return false;
		if (s[i] != '\\')
			continue;
		if (++i == n - 1)
			return false;
		if (s[i] == 'u') {
			if (strspn(s + i + 1, "0123456789abcdefABCDEF") <
			    JSON_HEX_DIGITS)
				return false;
			i += JSON_HEX_DIGITS;
		} else if (!strchr("\"\\/bfnrt", s[i])) {
			return false;
		}
	}
	return true;
}

static void check_json_promise(const void *in, size_t n)
{
	const char *s = run(json_escape, in, n);

	assert_non_null(s);
	assert_true(one_json_string(s));
	assert_true(clean_utf8(s));
}

static void check_text_promise(const void *in, size_t n)
{
	const char *s = run(text_escape, in, n);

	assert_non_null(s);
	assert_true(clean_utf8(s));
}

static void test_json_plain(void **state)
{
	(void)state;
	assert_string_equal(JSON(""), "\"\"");
	assert_string_equal(JSON("nginx"), "\"nginx\"");
	assert_string_equal(JSON("$(reboot)"), "\"$(reboot)\"");
	assert_string_equal(JSON("a/b <c> 'd' `e`"), "\"a/b <c> 'd' `e`\"");
}

static void test_json_quotes_backslashes(void **state)
{
	(void)state;
	assert_string_equal(JSON("\""), "\"\\\"\"");
	assert_string_equal(JSON("\\"), "\"\\\\\"");
	assert_string_equal(JSON("a\"b\\c"), "\"a\\\"b\\\\c\"");
	assert_string_equal(JSON("\",\"evil\":\"1"),
			    "\"\\\",\\\"evil\\\":\\\"1\"");
	assert_string_equal(JSON("\\\""), "\"\\\\\\\"\"");
}

static void test_json_short_forms(void **state)
{
	(void)state;
	assert_string_equal(JSON("\b\f\n\r\t"), "\"\\b\\f\\n\\r\\t\"");
	assert_string_equal(JSON("a\nb"), "\"a\\nb\"");
}

/* The short form JSON has for control byte c, or NULL. */
static const char *json_short_form(unsigned int c)
{
	switch (c) {
	case '\b':
		return "\"\\b\"";
	case '\f':
		return "\"\\f\"";
	case '\n':
		return "\"\\n\"";
	case '\r':
		return "\"\\r\"";
	case '\t':
		return "\"\\t\"";
	default:
		return NULL;
	}
}

static void test_json_every_control_byte(void **state)
{
	char want[sizeof("\"\\u0000\"")];
	unsigned int c;
	char in;

	(void)state;
	for (c = 0; c < C0_END; c++) {
		in = (char)c;
		if (json_short_form(c))
			snprintf(want, sizeof(want), "%s", json_short_form(c));
		else
			snprintf(want, sizeof(want), "\"\\u%04x\"", c);
		assert_string_equal(run(json_escape, &in, 1), want);
	}
	assert_string_equal(JSON("\x00"), "\"\\u0000\"");
	assert_string_equal(JSON("\x1f"), "\"\\u001f\"");
	assert_string_equal(JSON("\x7f"), "\"\\u007f\"");
	assert_string_equal(JSON("a\0b"), "\"a\\u0000b\"");
	assert_string_equal(JSON(" ~"), "\" ~\"");
}

static void test_json_terminal_escapes(void **state)
{
	(void)state;
	assert_string_equal(JSON("\x1b[2J\x1b]0;pwned\x07"),
			    "\"\\u001b[2J\\u001b]0;pwned\\u0007\"");
	assert_string_equal(JSON("ok\r\x1b[Kfake"), "\"ok\\r\\u001b[Kfake\"");
	/* C1 controls: U+009B is CSI to some terminals, U+0085 is NEL */
	assert_string_equal(JSON("\xc2\x9b" "31m"), "\"\\u009b31m\"");
	assert_string_equal(JSON("\xc2\x85"), "\"\\u0085\"");
	assert_string_equal(JSON("\xc2\x80"), "\"\\u0080\"");
	assert_string_equal(JSON("\xc2\x9f"), "\"\\u009f\"");
	assert_string_equal(JSON("\xc2\xa0"), "\"\xc2\xa0\"");
}

static void test_json_valid_utf8_kept(void **state)
{
	(void)state;
	assert_string_equal(JSON("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	assert_string_equal(JSON("\xe2\x82\xac" "5"), "\"\xe2\x82\xac" "5\"");
	assert_string_equal(JSON("\xf0\x9f\x98\x80"), "\"\xf0\x9f\x98\x80\"");
	assert_string_equal(JSON(FFFD), "\"" FFFD "\"");
	/* the edges of each row of Unicode Table 3-7 */
	assert_string_equal(JSON("\xdf\xbf"), "\"\xdf\xbf\"");
	assert_string_equal(JSON("\xe0\xa0\x80"), "\"\xe0\xa0\x80\"");
	assert_string_equal(JSON("\xed\x9f\xbf"), "\"\xed\x9f\xbf\"");
	assert_string_equal(JSON("\xee\x80\x80"), "\"\xee\x80\x80\"");
	assert_string_equal(JSON("\xef\xbf\xbf"), "\"\xef\xbf\xbf\"");
	assert_string_equal(JSON("\xf0\x90\x80\x80"), "\"\xf0\x90\x80\x80\"");
	assert_string_equal(JSON("\xf4\x8f\xbf\xbf"), "\"\xf4\x8f\xbf\xbf\"");
}

static void test_json_invalid_utf8(void **state)
{
	(void)state;
	/* lone continuation bytes */
	assert_string_equal(JSON("\x80"), "\"" FFFD "\"");
	assert_string_equal(JSON("a\xbf" "b"), "\"a" FFFD "b\"");
	/* truncated 2-, 3- and 4-byte sequences, at the end and inside */
	assert_string_equal(JSON("\xc3"), "\"" FFFD "\"");
	assert_string_equal(JSON("\xc3" "a"), "\"" FFFD "a\"");
	assert_string_equal(JSON("\xe2\x82"), "\"" FFFD FFFD "\"");
	assert_string_equal(JSON("\xe2\x82" "\""), "\"" FFFD FFFD "\\\"\"");
	assert_string_equal(JSON("\xf0\x9f\x98"), "\"" FFFD FFFD FFFD "\"");
	assert_string_equal(JSON("\xe2\xe2\x82\xac"), "\"" FFFD "\xe2\x82\xac\"");
	/* overlong encodings of '/' and of U+0000 */
	assert_string_equal(JSON("\xc0\xaf"), "\"" FFFD FFFD "\"");
	assert_string_equal(JSON("\xc1\xbf"), "\"" FFFD FFFD "\"");
	assert_string_equal(JSON("\xe0\x80\xaf"), "\"" FFFD FFFD FFFD "\"");
	assert_string_equal(JSON("\xf0\x80\x80\xaf"),
			    "\"" FFFD FFFD FFFD FFFD "\"");
	assert_string_equal(JSON("\xc0\x80"), "\"" FFFD FFFD "\"");
	/* encoded surrogates */
	assert_string_equal(JSON("\xed\xa0\x80"), "\"" FFFD FFFD FFFD "\"");
	assert_string_equal(JSON("\xed\xbf\xbf"), "\"" FFFD FFFD FFFD "\"");
	/* above U+10FFFF */
	assert_string_equal(JSON("\xf4\x90\x80\x80"),
			    "\"" FFFD FFFD FFFD FFFD "\"");
}

static void test_json_bytes_f5_ff(void **state)
{
	unsigned int c;
	char in;

	(void)state;
	for (c = 0xf5; c < BYTE_VALUES; c++) {
		in = (char)c;
		assert_string_equal(run(json_escape, &in, 1), "\"" FFFD "\"");
	}
}

static void test_text_plain(void **state)
{
	(void)state;
	assert_string_equal(TEXT(""), "");
	assert_string_equal(TEXT("nginx -g daemon off;"), "nginx -g daemon off;");
	assert_string_equal(TEXT("$(reboot)"), "$(reboot)");
	assert_string_equal(TEXT("a\"b\\c"), "a\\\"b\\\\c");
	assert_string_equal(TEXT("\\x41"), "\\\\x41");
}

static void test_text_controls(void **state)
{
	(void)state;
	assert_string_equal(TEXT("a\nb"), "a\\x0ab");
	assert_string_equal(TEXT("\t\r"), "\\x09\\x0d");
	assert_string_equal(TEXT("\x1b[31mred"), "\\x1b[31mred");
	assert_string_equal(TEXT("\x7f\x00"), "\\x7f\\x00");
	assert_string_equal(TEXT("\xc2\x9b" "2J"), "\\xc2\\x9b2J");
}

static void test_text_utf8(void **state)
{
	(void)state;
	assert_string_equal(TEXT("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
			    "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	assert_string_equal(TEXT("\xff"), "\\xff");
	assert_string_equal(TEXT("\x80"), "\\x80");
	assert_string_equal(TEXT("\xc0\xaf"), "\\xc0\\xaf");
	assert_string_equal(TEXT("\xe0\x80\xaf"), "\\xe0\\x80\\xaf");
	assert_string_equal(TEXT("\xed\xa0\x80"), "\\xed\\xa0\\x80");
	assert_string_equal(TEXT("\xe2\x82"), "\\xe2\\x82");
	assert_string_equal(TEXT("\xf0\x9f\x98" "a"), "\\xf0\\x9f\\x98a");
}

static void test_json_invisible_controls(void **state)
{
	(void)state;
	assert_string_equal(JSON("a" RLO "txt.exe"), "\"a\\u202etxt.exe\"");
	assert_string_equal(JSON(LSEP "\xe2\x80\xa9"), "\"\\u2028\\u2029\"");
	assert_string_equal(JSON(LRI "\xe2\x81\xa9"), "\"\\u2066\\u2069\"");
	assert_string_equal(JSON("\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"),
			    "\"\\u200e\\u200f\\u061c\"");
	assert_string_equal(JSON("\xe2\x80\xaa\xe2\x80\xac"), "\"\\u202a\\u202c\"");
	/* their neighbours are ordinary characters */
	assert_string_equal(JSON("\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa"),
			    "\"\xe2\x80\x8d\xe2\x80\xaf\xe2\x81\xa5\xe2\x81\xaa\"");
}

static void test_text_invisible_controls(void **state)
{
	(void)state;
	assert_string_equal(TEXT("a" RLO "txt.exe"), "a\\xe2\\x80\\xaetxt.exe");
	assert_string_equal(TEXT("x" LSEP "y"), "x\\xe2\\x80\\xa8y");
	assert_string_equal(TEXT(LRI), "\\xe2\\x81\\xa6");
	assert_string_equal(TEXT("\xd8\x9c"), "\\xd8\\x9c");
	assert_string_equal(TEXT("\xe2\x80\x8d"), "\xe2\x80\x8d");
}

static void test_name_bare(void **state)
{
	(void)state;
	assert_string_equal(NAME("python3"), "python3");
	assert_string_equal(NAME("kworker/0:1-ev"), "kworker/0:1-ev");
	assert_string_equal(NAME("Chrome_IO.x+@#~"), "Chrome_IO.x+@#~");
}

static void test_name_quoted(void **state)
{
	(void)state;
	assert_string_equal(NAME("sshd[1] uid=0 "), "\"sshd[1] uid=0 \"");
	assert_string_equal(NAME(""), "\"\"");
	assert_string_equal(NAME("a b"), "\"a b\"");
	assert_string_equal(NAME("a=b"), "\"a=b\"");
	assert_string_equal(NAME("(sd-pam)"), "\"(sd-pam)\"");
	assert_string_equal(NAME("x\"y"), "\"x\\\"y\"");
	assert_string_equal(NAME("a;b,c"), "\"a;b,c\"");
	assert_string_equal(NAME("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
	assert_string_equal(NAME("a" RLO "b"), "\"a\\xe2\\x80\\xaeb\"");
	assert_string_equal(NAME("a\nb"), "\"a\\x0ab\"");
	/* a NUL inside the given length is not the end of the name */
	assert_string_equal(NAME("ab\0c"), "\"ab\\x00c\"");
}

/* What a text line's reader needs of a value: one bare word, or one quoted string. */
static void check_one_name(const char *s)
{
	size_t i;

	if (*s != '"') {
		assert_true(*s);
		assert_int_equal(strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "0123456789._-/:@+#~"), strlen(s));
		return;
	}
	for (i = 1; s[i] && s[i] != '"'; i++)
		if (s[i] == '\\')
			i++;
	assert_int_equal(s[i], '"');
	assert_int_equal(s[i + 1], '\0');
}

#define FORGED "x uid=0 cmd=sshd; held by sshd[1] uid=0 LISTEN tcp 127.0.0.1:41095; z.service"

/*
 * The list of guarded fields: each writes KEY= (or nothing) and its value
 * by the same rule, a forged record included.
 */
static void test_every_field(void **state)
{
	static const char *const values[] = {
		FORGED, "nginx.service", "", "a\"b", "a\\\"", "\n uid=0", "docker-" "0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef.scope",
	};
	const char *key, *val;
	struct strbuf sb;
	size_t i;
	int f;

	(void)state;
	for (f = 0; f < TEXT_FIELDS; f++) {
		key = text_field_key(f);
		for (i = 0; i < sizeof(values) / sizeof(values[0]); i++) {
			strbuf_init(&sb);
			text_field(&sb, f, values[i], strlen(values[i]));
			assert_false(sb.oom);
			val = sb.s;
			if (key) {
				assert_int_equal(strncmp(val, key, strlen(key)), 0);
				assert_int_equal(val[strlen(key)], '=');
				val += strlen(key) + 1;
			}
			check_one_name(val);
			strbuf_free(&sb);
		}
	}
	assert_null(text_field_key(TEXT_COMM));
	assert_null(text_field_key(TEXT_FIELDS));
	assert_string_equal(text_field_key(TEXT_UNIT), "unit");
	assert_string_equal(text_field_key(TEXT_USER_UNIT), "user_unit");
	strbuf_init(&sb);
	text_field(&sb, TEXT_USER_UNIT, FORGED, strlen(FORGED));
	assert_string_equal(sb.s, "user_unit=\"" FORGED "\"");
	strbuf_reset(&sb);
	text_field(&sb, TEXT_UNIT, "api.service", strlen("api.service"));
	assert_string_equal(sb.s, "unit=api.service");
	strbuf_free(&sb);
}

/* Every three-byte input with lead byte 0xe2, where the bidi controls live. */
static void test_all_e2_inputs(void **state)
{
	unsigned char in[3] = { 0xe2 };
	unsigned int b, c;

	(void)state;
	for (b = 0; b < BYTE_VALUES; b++) {
		in[1] = (unsigned char)b;
		for (c = 0; c < BYTE_VALUES; c++) {
			in[2] = (unsigned char)c;
			check_json_promise(in, sizeof(in));
			check_text_promise(in, sizeof(in));
		}
	}
}

/* Every one- and two-byte input. */
static void test_all_short_inputs(void **state)
{
	unsigned char in[2];
	unsigned int a, b;

	(void)state;
	for (a = 0; a < BYTE_VALUES; a++) {
		in[0] = (unsigned char)a;
		check_json_promise(in, 1);
		check_text_promise(in, 1);
		for (b = 0; b < BYTE_VALUES; b++) {
			in[1] = (unsigned char)b;
			check_json_promise(in, 2);
			check_text_promise(in, 2);
		}
	}
}

/* Random inputs biased to lead and continuation bytes; fixed seed. */
static void test_random_inputs(void **state)
{
	static const unsigned char pool[] = {
		0x00, 0x1b, '"', '\\', 'a', 0x7f, 0x80, 0x8f, 0x90, 0x9f,
		0xa0, 0xbf, 0xc0, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4,
		0xf5, 0xff,
	};
	unsigned char in[RANDOM_LEN_MAX];
	uint32_t seed = 1;
	size_t run_no, i, n;

	(void)state;
	for (run_no = 0; run_no < RANDOM_RUNS; run_no++) {
		seed = seed * LCG_MUL + LCG_ADD;
		n = 1 + (seed >> 16) % RANDOM_LEN_MAX;
		for (i = 0; i < n; i++) {
			seed = seed * LCG_MUL + LCG_ADD;
			in[i] = pool[(seed >> 16) % sizeof(pool)];
		}
		check_json_promise(in, n);
		check_text_promise(in, n);
	}
}

static void test_appends_to_existing(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "comm=");
	text_escape(&sb, "a\nb", 3);
	strbuf_adds(&sb, " json=");
	json_escape(&sb, "\"", 1);
	assert_string_equal(sb.s, "comm=a\\x0ab json=\"\\\"\"");
	strbuf_free(&sb);
}

/* A head cut at a byte count ends before a character it would split, never inside one. */
static void test_utf8_head(void **state)
{
	static const char euro[] = "ab\xe2\x82\xac";  /* "ab" and U+20AC, 3 bytes */
	static const char stray[] = "ab\xe2\x82x";     /* a sequence cut short: 2 stray bytes */

	(void)state;
	assert_int_equal(utf8_head("abc", 3, 3), 3);
	assert_int_equal(utf8_head("abc", 3, 80), 3);
	assert_int_equal(utf8_head("abc", 3, 2), 2);
	assert_int_equal(utf8_head("abc", 3, 0), 0);
	assert_int_equal(utf8_head(euro, 5, 5), 5);
	assert_int_equal(utf8_head(euro, 5, 4), 2);
	assert_int_equal(utf8_head(euro, 5, 3), 2);
	assert_int_equal(utf8_head(euro, 5, 2), 2);
	assert_int_equal(utf8_head(stray, 5, 3), 3);
	assert_int_equal(utf8_head(stray, 5, 4), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_plain),
		cmocka_unit_test(test_json_quotes_backslashes),
		cmocka_unit_test(test_json_short_forms),
		cmocka_unit_test(test_json_every_control_byte),
		cmocka_unit_test(test_json_terminal_escapes),
		cmocka_unit_test(test_json_valid_utf8_kept),
		cmocka_unit_test(test_json_invalid_utf8),
		cmocka_unit_test(test_json_bytes_f5_ff),
		cmocka_unit_test(test_text_plain),
		cmocka_unit_test(test_text_controls),
		cmocka_unit_test(test_text_utf8),
		cmocka_unit_test(test_json_invisible_controls),
		cmocka_unit_test(test_text_invisible_controls),
		cmocka_unit_test(test_name_bare),
		cmocka_unit_test(test_name_quoted),
		cmocka_unit_test(test_every_field),
		cmocka_unit_test(test_all_short_inputs),
		cmocka_unit_test(test_all_e2_inputs),
		cmocka_unit_test(test_random_inputs),
		cmocka_unit_test(test_appends_to_existing),
		cmocka_unit_test(test_utf8_head),
	};

	return cmocka_run_group_tests_name("escape", tests, NULL, NULL);
}
