// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_json.c - commas, nesting and errors of the JSON record writer.
 *
 * Records are compared as exact strings: a misplaced comma or an unclosed
 * bracket is the typical writer bug, and only the full text shows it.
 * Error tests check that a bad call stops all output, so a broken record
 * is a prefix the caller can detect and drop, never garbage.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include "json.h"

_Static_assert(JSON_MAX_DEPTH == 8, "the depth tests spell out 8 levels");

struct fixture {
	struct strbuf sb;
	struct jw w;
};

static int setup(void **state)
{
	static struct fixture f;

	strbuf_init(&f.sb);
	jw_init(&f.w, &f.sb);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	strbuf_free(&f->sb);
	return 0;
}

static void test_empty_object(void **state)
{
	struct fixture *f = *state;

	jw_obj_begin(&f->w, NULL);
	jw_obj_end(&f->w);
	assert_string_equal(f->sb.s, "{}");
	assert_false(f->w.err);
	assert_int_equal(f->w.depth, 0);
}

static void test_scalars(void **state)
{
	struct fixture *f = *state;

	jw_obj_begin(&f->w, NULL);
	jw_str(&f->w, "s", "x");
	jw_int(&f->w, "i", -98);
	jw_uint(&f->w, "u", 8080);
	jw_bool(&f->w, "t", true);
	jw_bool(&f->w, "f", false);
	jw_null(&f->w, "n");
	jw_str(&f->w, "ns", NULL);
	jw_obj_end(&f->w);
	assert_string_equal(f->sb.s,
			    "{\"s\":\"x\",\"i\":-98,\"u\":8080,\"t\":true,"
			    "\"f\":false,\"n\":null,\"ns\":null}");
	assert_false(f->w.err);
}

static void test_integer_limits(void **state)
{
	struct fixture *f = *state;

	jw_arr_begin(&f->w, NULL);
	jw_int(&f->w, NULL, INT64_MIN);
	jw_int(&f->w, NULL, INT64_MAX);
	jw_int(&f->w, NULL, 0);
	jw_uint(&f->w, NULL, UINT64_MAX);
	jw_arr_end(&f->w);
	assert_string_equal(f->sb.s,
			    "[-9223372036854775808,9223372036854775807,0,"
			    "18446744073709551615]");
}

static void test_nesting_commas(void **state)
{
	struct fixture *f = *state;

	jw_obj_begin(&f->w, NULL);
	jw_int(&f->w, "a", 1);
	jw_obj_begin(&f->w, "o");
	jw_bool(&f->w, "x", true);
	jw_obj_end(&f->w);
	jw_arr_begin(&f->w, "l");
	jw_int(&f->w, NULL, 1);
	jw_str(&f->w, NULL, "two");
	jw_null(&f->w, NULL);
	jw_obj_begin(&f->w, NULL);
	jw_obj_end(&f->w);
	jw_arr_begin(&f->w, NULL);
	jw_arr_end(&f->w);
	jw_arr_end(&f->w);
	jw_obj_begin(&f->w, "e");
	jw_obj_end(&f->w);
	jw_bool(&f->w, "z", false);
	jw_obj_end(&f->w);
	assert_string_equal(f->sb.s,
			    "{\"a\":1,\"o\":{\"x\":true},"
			    "\"l\":[1,\"two\",null,{},[]],\"e\":{},\"z\":false}");
	assert_false(f->w.err);
	assert_int_equal(f->w.depth, 0);
}

static void test_first_member_nested(void **state)
{
	struct fixture *f = *state;

	jw_arr_begin(&f->w, NULL);
	jw_arr_begin(&f->w, NULL);
	jw_arr_begin(&f->w, NULL);
	jw_arr_end(&f->w);
	jw_int(&f->w, NULL, 1);
	jw_arr_end(&f->w);
	jw_int(&f->w, NULL, 2);
	jw_arr_end(&f->w);
	assert_string_equal(f->sb.s, "[[[],1],2]");
}

static void test_hostile_strings(void **state)
{
	static const char comm[] = "\"}\n{\"evil\":1\x1b[2J";
	struct fixture *f = *state;

	jw_obj_begin(&f->w, NULL);
	jw_str(&f->w, "comm", comm);
	jw_strn(&f->w, "cmdline", "sh\0-c\0$(reboot)", 15);
	jw_str(&f->w, "k\"ey", "");
	jw_obj_end(&f->w);
	assert_string_equal(f->sb.s,
			    "{\"comm\":\"\\\"}\\n{\\\"evil\\\":1\\u001b[2J\","
			    "\"cmdline\":\"sh\\u0000-c\\u0000$(reboot)\","
			    "\"k\\\"ey\":\"\"}");
}

static void test_max_depth(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < JSON_MAX_DEPTH; i++)
		jw_arr_begin(&f->w, NULL);
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		jw_arr_end(&f->w);
	assert_false(f->w.err);
	assert_string_equal(f->sb.s, "[[[[[[[[]]]]]]]]");
}

static void test_too_deep(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		jw_obj_begin(&f->w, i ? "k" : NULL);
	assert_true(f->w.err);
	assert_string_equal(f->sb.s,
			    "{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{");
	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		jw_obj_end(&f->w);
	jw_int(&f->w, "after", 1);
	assert_true(f->w.err);
	assert_string_equal(f->sb.s,
			    "{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{\"k\":{");
}

static void test_unbalanced_end(void **state)
{
	struct fixture *f = *state;

	jw_obj_begin(&f->w, NULL);
	jw_obj_end(&f->w);
	jw_obj_end(&f->w);
	assert_true(f->w.err);
	jw_arr_end(&f->w);
	jw_str(&f->w, NULL, "x");
	assert_string_equal(f->sb.s, "{}");
}

static void test_end_before_begin(void **state)
{
	struct fixture *f = *state;

	jw_arr_end(&f->w);
	assert_true(f->w.err);
	jw_obj_begin(&f->w, NULL);
	assert_string_equal(f->sb.s, "");
}

/* One writer per record: a new record starts with no stray comma. */
static void test_reuse_after_reset(void **state)
{
	struct fixture *f = *state;

	jw_obj_begin(&f->w, NULL);
	jw_int(&f->w, "a", 1);
	jw_obj_end(&f->w);
	strbuf_reset(&f->sb);
	jw_init(&f->w, &f->sb);
	jw_obj_begin(&f->w, NULL);
	jw_int(&f->w, "b", 2);
	jw_obj_end(&f->w);
	assert_string_equal(f->sb.s, "{\"b\":2}");
}

#define WITH_WRITER(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WITH_WRITER(test_empty_object),
		WITH_WRITER(test_scalars),
		WITH_WRITER(test_integer_limits),
		WITH_WRITER(test_nesting_commas),
		WITH_WRITER(test_first_member_nested),
		WITH_WRITER(test_hostile_strings),
		WITH_WRITER(test_max_depth),
		WITH_WRITER(test_too_deep),
		WITH_WRITER(test_unbalanced_end),
		WITH_WRITER(test_end_before_begin),
		WITH_WRITER(test_reuse_after_reset),
	};

	return cmocka_run_group_tests_name("json", tests, NULL, NULL);
}
