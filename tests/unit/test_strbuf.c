// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_strbuf.c - the buffer every record is built in.
 *
 * What can go wrong here is memory: growth across many doublings, sizes
 * that overflow size_t, allocations that fail.  The sticky oom flag is the
 * only error report, so the tests check that it is set exactly when an
 * append is lost and that the text before it stays intact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <cmocka.h>
#include "strbuf.h"

#define MIB (1024 * 1024)
#define BIG_BLOCK (64 * MIB)
#define MANY_CHARS 1000000
#define WIDE_FIELD 100000

/* Let a failed huge malloc() return NULL under ASan, as libc's does. */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1";
}

static void test_init_is_empty(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	assert_non_null(sb.s);
	assert_string_equal(sb.s, "");
	assert_int_equal(sb.len, 0);
	assert_false(sb.oom);
	strbuf_free(&sb);
	assert_non_null(sb.s);
	assert_string_equal(sb.s, "");
}

static void test_appends(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "port ");
	strbuf_addf(&sb, "%u/%s", 8080u, "tcp");
	strbuf_addc(&sb, ' ');
	strbuf_add(&sb, "in use!!", 6);
	assert_string_equal(sb.s, "port 8080/tcp in use");
	assert_int_equal(sb.len, strlen("port 8080/tcp in use"));
	assert_false(sb.oom);
	strbuf_free(&sb);
}

static void test_empty_appends(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_add(&sb, NULL, 0);
	strbuf_adds(&sb, "");
	strbuf_addf(&sb, "%s", "");
	assert_string_equal(sb.s, "");
	assert_int_equal(sb.len, 0);
	assert_false(sb.oom);
	strbuf_free(&sb);
}

static void test_embedded_nul(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_add(&sb, "a\0b", 3);
	assert_int_equal(sb.len, 3);
	assert_memory_equal(sb.s, "a\0b", 4);
	strbuf_free(&sb);
}

static void test_reset_keeps_memory(void **state)
{
	struct strbuf sb;
	size_t cap;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "first record");
	cap = sb.cap;
	strbuf_reset(&sb);
	assert_string_equal(sb.s, "");
	assert_int_equal(sb.len, 0);
	assert_int_equal(sb.cap, cap);
	strbuf_adds(&sb, "second");
	assert_string_equal(sb.s, "second");
	strbuf_free(&sb);
}

static void test_reset_before_alloc(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_reset(&sb);
	assert_string_equal(sb.s, "");
	strbuf_free(&sb);
}

static void test_many_small_appends(void **state)
{
	struct strbuf sb;
	size_t i;

	(void)state;
	strbuf_init(&sb);
	for (i = 0; i < MANY_CHARS; i++)
		strbuf_addc(&sb, (char)('a' + i % 26));
	assert_false(sb.oom);
	assert_int_equal(sb.len, MANY_CHARS);
	assert_int_equal(strlen(sb.s), MANY_CHARS);
	assert_int_equal(sb.s[MANY_CHARS - 1], 'a' + (MANY_CHARS - 1) % 26);
	strbuf_free(&sb);
}

static void test_big_block(void **state)
{
	struct strbuf sb;
	char *block = malloc(BIG_BLOCK);

	(void)state;
	assert_non_null(block);
	memset(block, 'x', BIG_BLOCK);
	strbuf_init(&sb);
	strbuf_addc(&sb, '<');
	strbuf_add(&sb, block, BIG_BLOCK);
	strbuf_addc(&sb, '>');
	assert_false(sb.oom);
	assert_int_equal(sb.len, BIG_BLOCK + 2);
	assert_int_equal(sb.s[0], '<');
	assert_int_equal(sb.s[BIG_BLOCK], 'x');
	assert_int_equal(sb.s[BIG_BLOCK + 1], '>');
	assert_int_equal(sb.s[BIG_BLOCK + 2], '\0');
	free(block);
	strbuf_free(&sb);
}

static void test_addf_grows(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "[");
	strbuf_addf(&sb, "%*d]", WIDE_FIELD, 42);
	assert_false(sb.oom);
	assert_int_equal(sb.len, WIDE_FIELD + 2);
	assert_string_equal(sb.s + WIDE_FIELD - 1, "42]");
	assert_int_equal(sb.s[1], ' ');
	strbuf_free(&sb);
}

/* A length near SIZE_MAX must not wrap around to a small allocation. */
static void test_size_overflow(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "abc");
	strbuf_add(&sb, "x", SIZE_MAX);
	assert_true(sb.oom);
	assert_string_equal(sb.s, "abc");
	assert_int_equal(sb.len, 3);

	strbuf_reset(&sb);
	strbuf_adds(&sb, "abc");
	strbuf_add(&sb, "x", SIZE_MAX - 3);
	assert_true(sb.oom);
	strbuf_reset(&sb);
	strbuf_adds(&sb, "abc");
	strbuf_add(&sb, "x", SIZE_MAX - 4);
	assert_true(sb.oom);
	assert_string_equal(sb.s, "abc");
	strbuf_free(&sb);
}

static void test_alloc_failure(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "kept");
	strbuf_add(&sb, "x", SIZE_MAX / 2);
	assert_true(sb.oom);
	assert_string_equal(sb.s, "kept");
	assert_int_equal(sb.len, 4);
	strbuf_free(&sb);
}

static void test_oom_is_sticky(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "a");
	strbuf_add(&sb, "x", SIZE_MAX);
	strbuf_adds(&sb, "b");
	strbuf_addc(&sb, 'c');
	strbuf_addf(&sb, "%d", 1);
	assert_true(sb.oom);
	assert_string_equal(sb.s, "a");

	strbuf_reset(&sb);
	assert_false(sb.oom);
	strbuf_adds(&sb, "ok");
	assert_string_equal(sb.s, "ok");
	strbuf_free(&sb);
}

static void test_addf_encoding_error(void **state)
{
	static const wchar_t not_unicode[] = { 0x110000, 0 };
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	strbuf_adds(&sb, "a");
	strbuf_addf(&sb, "%ls", not_unicode);
	assert_true(sb.oom);
	assert_string_equal(sb.s, "a");
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_empty_appends),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_reset_keeps_memory),
		cmocka_unit_test(test_reset_before_alloc),
		cmocka_unit_test(test_many_small_appends),
		cmocka_unit_test(test_big_block),
		cmocka_unit_test(test_addf_grows),
		cmocka_unit_test(test_size_overflow),
		cmocka_unit_test(test_alloc_failure),
		cmocka_unit_test(test_oom_is_sticky),
		cmocka_unit_test(test_addf_encoding_error),
	};

	return cmocka_run_group_tests_name("strbuf", tests, NULL, NULL);
}
