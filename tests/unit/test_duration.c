// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_duration.c - durations: the policy file's (a unit required) and the
 * command line's (plain seconds too).
 *
 * A duration read wrongly is off by a factor of a thousand and nobody
 * notices until it matters, so each accepted form is pinned to its
 * milliseconds and the refused ones are refused by both parsers alike.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "duration.h"

#define MS_PER_S 1000ULL

static const struct {
	const char *text;
	uint64_t ms;
} with_units[] = {
	{ "0", 0 },
	{ "250ms", 250 },
	{ "5s", 5 * MS_PER_S },
	{ "2m", 2 * 60 * MS_PER_S },
	{ "1h", 3600 * MS_PER_S },
	{ "2d", 2 * 24 * 3600 * MS_PER_S },
	{ "365d", DURATION_MAX_MS },
	{ "0s", 0 },
};

/* Refused by both: no digits, a sign, blanks, fractions, unknown units. */
static const char *const refused[] = {
	"", "s", "-5s", "+5s", " 5s", "5s ", "5 s", "1.5s", "5x", "5S", "5sec", "0x10", "5ms5",
};

static int parse(const char *s, uint64_t *ms)
{
	return duration_parse(s, strlen(s), ms);
}

static void test_units_read_alike(void **state)
{
	uint64_t ms;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(with_units) / sizeof(with_units[0]); i++) {
		ms = 1;
		assert_int_equal(parse(with_units[i].text, &ms), 0);
		assert_int_equal(ms, with_units[i].ms);
		ms = 1;
		assert_int_equal(duration_parse_arg(with_units[i].text, &ms), 0);
		assert_int_equal(ms, with_units[i].ms);
	}
}

/* The policy file keeps its unit: bindwatch-policy(5) says a bare number is an error. */
static void test_policy_needs_a_unit(void **state)
{
	uint64_t ms = 7;

	(void)state;
	assert_int_equal(parse("5", &ms), -EINVAL);
	assert_int_equal(parse("30", &ms), -EINVAL);
	assert_int_equal(ms, 7);
}

/* On the command line a bare number is seconds, as timeout(1) reads it. */
static void test_arg_plain_seconds(void **state)
{
	uint64_t ms;

	(void)state;
	assert_int_equal(duration_parse_arg("5", &ms), 0);
	assert_int_equal(ms, 5 * MS_PER_S);
	assert_int_equal(duration_parse_arg("30", &ms), 0);
	assert_int_equal(ms, 30 * MS_PER_S);
	assert_int_equal(duration_parse_arg("007", &ms), 0);
	assert_int_equal(ms, 7 * MS_PER_S);
	assert_int_equal(duration_parse_arg("31536000", &ms), 0); /* 365d */
	assert_int_equal(ms, DURATION_MAX_MS);
}

static void test_refused(void **state)
{
	uint64_t ms = 7;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		assert_int_equal(parse(refused[i], &ms), -EINVAL);
		assert_int_equal(duration_parse_arg(refused[i], &ms), -EINVAL);
	}
	assert_int_equal(ms, 7);
}

/* Over a year is -ERANGE, however many digits: nothing wraps around. */
static void test_range(void **state)
{
	uint64_t ms = 7;

	(void)state;
	assert_int_equal(parse("366d", &ms), -ERANGE);
	assert_int_equal(duration_parse_arg("366d", &ms), -ERANGE);
	assert_int_equal(duration_parse_arg("31536001", &ms), -ERANGE);
	assert_int_equal(duration_parse_arg("99999999999999999999999999", &ms), -ERANGE);
	assert_int_equal(parse("99999999999999999999999999ms", &ms), -ERANGE);
	assert_int_equal(ms, 7);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_units_read_alike),
		cmocka_unit_test(test_policy_needs_a_unit),
		cmocka_unit_test(test_arg_plain_seconds),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_range),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
