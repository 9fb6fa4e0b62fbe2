// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_shellquote.c - argv shown as a shell would read it back.
 *
 * Exact strings pin the spelling ('daemon off;', '' for an empty argument,
 * '\'' for a quote); then many random argvs, of the bytes that matter to a
 * shell, go through shell_quote_argv() and back through an independent
 * reader of POSIX shell words (bare bytes, '...' and \x outside quotes,
 * split at unquoted blanks), which must give the same arguments.
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
#define ARGS_MAX 8
#define ARG_LEN_MAX 6
#define RANDOM_RUNS 100000
#define LCG_MUL 1103515245u /* the sample rand() in C99 7.20.2.2 */
#define LCG_ADD 12345u

static char out[OUT_MAX];

/* Quote the NUL-separated lit into out[]. */
static const char *quote(const char *args, size_t n)
{
	struct strbuf sb;
	bool ok;

	strbuf_init(&sb);
	shell_quote_argv(&sb, args, n);
	ok = !sb.oom && sb.len < OUT_MAX;
	if (ok)
		memcpy(out, sb.s, sb.len + 1);
	strbuf_free(&sb);
	return ok ? out : NULL;
}

#define Q(lit) quote(lit, sizeof(lit) - 1)

static void test_bare(void **state)
{
	(void)state;
	assert_string_equal(Q("nginx"), "nginx");
	assert_string_equal(Q("python3\0-m\0http.server\08080"), "python3 -m http.server 8080");
	assert_string_equal(Q("/usr/bin/x\0--a=b,c:d@e%f+g_h"), "/usr/bin/x --a=b,c:d@e%f+g_h");
}

static void test_quoted(void **state)
{
	(void)state;
	assert_string_equal(Q("nginx\0-g\0daemon off;"), "nginx -g 'daemon off;'");
	assert_string_equal(Q("a\0\0b"), "a '' b");
	assert_string_equal(Q("echo\0it's"), "echo 'it'\\''s'");
	assert_string_equal(Q("x\0$HOME\0*\0~\0#c\0a\"b\0a\\b"),
			    "x '$HOME' '*' '~' '#c' 'a\"b' 'a\\b'");
	assert_string_equal(Q("sh\0-c\0a\nb"), "sh -c 'a\nb'");
}

static void test_empty(void **state)
{
	(void)state;
	/* one empty argument (a lone argv[0] of "") */
	assert_string_equal(quote("", 0), "''");
	assert_string_equal(Q("\0"), "'' ''");
}

/* The independent reader: out[] back into NUL-separated words. */
static size_t unquote(const char *s, char *words, size_t *nwords)
{
	size_t len = 0;
	bool in_word = false, quoted = false;

	*nwords = 0;
	for (; *s; s++) {
		if (quoted) {
			if (*s == '\'')
				quoted = false;
			else
				words[len++] = *s;
			continue;
		}
		if (*s == ' ') {
			if (in_word)
				words[len++] = '\0';
			in_word = false;
			continue;
		}
		if (!in_word)
			(*nwords)++;
		in_word = true;
		if (*s == '\'')
			quoted = true;
		else if (*s == '\\')
			words[len++] = *++s;
		else
			words[len++] = *s;
	}
	assert_false(quoted);
	return len;
}

static void test_random_round_trip(void **state)
{
	static const char alphabet[] = "a Z0'\"\\;$*~#=\t\n-/";
	uint32_t seed = 1;
	char args[ARGS_MAX * (ARG_LEN_MAX + 1)], back[OUT_MAX];
	size_t run, i, j, n, nargs, len, nback;

	(void)state;
	for (run = 0; run < RANDOM_RUNS; run++) {
		seed = seed * LCG_MUL + LCG_ADD;
		nargs = 1 + (seed >> 16) % ARGS_MAX;
		len = 0;
		for (i = 0; i < nargs; i++) {
			seed = seed * LCG_MUL + LCG_ADD;
			n = (seed >> 16) % (ARG_LEN_MAX + 1);
			for (j = 0; j < n; j++) {
				seed = seed * LCG_MUL + LCG_ADD;
				args[len++] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
			}
			if (i + 1 < nargs)
				args[len++] = '\0';
		}
		assert_non_null(quote(args, len));
		assert_int_equal(unquote(out, back, &nback), len);
		assert_int_equal(nback, nargs);
		assert_memory_equal(back, args, len);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bare),
		cmocka_unit_test(test_quoted),
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_random_round_trip),
	};

	return cmocka_run_group_tests_name("shellquote", tests, NULL, NULL);
}
