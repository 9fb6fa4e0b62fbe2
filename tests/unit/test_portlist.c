// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_portlist.c - the --port parser and the bitmap it fills.
 *
 * A lenient parser would quietly filter on the wrong ports, so most cases
 * here are inputs that must be refused, each with the message the user
 * sees; the rest pin the bitmap layout the kernel program relies on.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "portlist.h"

#define ERR_LEN 128
#define PORT_LIMIT 65536

static uint64_t bitmap[PORTLIST_WORDS];
static char err[ERR_LEN];

static int parse(const char *text)
{
	memset(bitmap, 0, sizeof(bitmap));
	memset(err, 0, sizeof(err));
	return portlist_parse(text, bitmap, err, sizeof(err));
}

static unsigned int count_ports(void)
{
	unsigned int port, n = 0;

	for (port = 0; port < PORT_LIMIT; port++)
		n += (unsigned int)portlist_has(bitmap, port);
	return n;
}

static void assert_refused(const char *text, const char *message)
{
	uint64_t zero[PORTLIST_WORDS] = { 0 };

	assert_int_equal(parse(text), -EINVAL);
	assert_string_equal(err, message);
	assert_memory_equal(bitmap, zero, sizeof(zero));
}

static void test_single(void **state)
{
	(void)state;
	assert_int_equal(parse("80"), 1);
	assert_true(portlist_has(bitmap, 80));
	assert_false(portlist_has(bitmap, 79));
	assert_false(portlist_has(bitmap, 81));
	assert_int_equal(count_ports(), 1);
}

static void test_range(void **state)
{
	(void)state;
	assert_int_equal(parse("8000-8099"), 100);
	assert_false(portlist_has(bitmap, 7999));
	assert_true(portlist_has(bitmap, 8000));
	assert_true(portlist_has(bitmap, 8099));
	assert_false(portlist_has(bitmap, 8100));
	assert_int_equal(count_ports(), 100);
	assert_int_equal(parse("443-443"), 1);
}

static void test_list_with_blanks(void **state)
{
	(void)state;
	assert_int_equal(parse(" 80 , 443,\t8000-8002\t"), 5);
	assert_true(portlist_has(bitmap, 80));
	assert_true(portlist_has(bitmap, 443));
	assert_true(portlist_has(bitmap, 8002));
	assert_int_equal(count_ports(), 5);
}

static void test_duplicates_counted_once(void **state)
{
	(void)state;
	assert_int_equal(parse("80,80,79-81,81"), 3);
	assert_int_equal(count_ports(), 3);
}

static void test_boundaries(void **state)
{
	(void)state;
	assert_int_equal(parse("1"), 1);
	assert_true(portlist_has(bitmap, 1));
	assert_int_equal(parse("65535"), 1);
	assert_true(portlist_has(bitmap, 65535));
	assert_int_equal(parse("1-65535"), 65535);
	assert_false(portlist_has(bitmap, 0));
	assert_int_equal(count_ports(), 65535);
	assert_int_equal(parse("00080"), 1);
	assert_true(portlist_has(bitmap, 80));
}

/* Bit (port % 64) of word (port / 64), as the BPF side tests it. */
static void test_bitmap_layout(void **state)
{
	(void)state;
	assert_int_equal(parse("1,63,64,65535"), 4);
	assert_int_equal(bitmap[0], (UINT64_C(1) << 1) | (UINT64_C(1) << 63));
	assert_int_equal(bitmap[1], 1);
	assert_int_equal(bitmap[PORTLIST_WORDS - 1], UINT64_C(1) << 63);
	assert_false(portlist_has(bitmap, PORT_LIMIT));
}

static void test_adds_to_bitmap(void **state)
{
	(void)state;
	memset(bitmap, 0, sizeof(bitmap));
	assert_int_equal(portlist_parse("22", bitmap, err, sizeof(err)), 1);
	assert_int_equal(portlist_parse("80", bitmap, err, sizeof(err)), 1);
	assert_true(portlist_has(bitmap, 22));
	assert_true(portlist_has(bitmap, 80));
}

static void test_bitmap_untouched_on_error(void **state)
{
	(void)state;
	memset(bitmap, 0, sizeof(bitmap));
	assert_int_equal(portlist_parse("22", bitmap, err, sizeof(err)), 1);
	assert_int_equal(portlist_parse("80,http", bitmap, err, sizeof(err)),
			 -EINVAL);
	assert_true(portlist_has(bitmap, 22));
	assert_false(portlist_has(bitmap, 80));
	assert_int_equal(count_ports(), 1);
}

static void test_out_of_range(void **state)
{
	(void)state;
	assert_refused("0", "'0': port must be 1-65535");
	assert_refused("65536", "'65536': port must be 1-65535");
	assert_refused("70000", "'70000': port must be 1-65535");
	assert_refused("0-80", "'0-80': port must be 1-65535");
	assert_refused("80-65536", "'80-65536': port must be 1-65535");
	assert_refused("80,70000", "'70000': port must be 1-65535");
}

/* Numbers that wrap around to a valid port in a careless parser. */
static void test_overflow(void **state)
{
	(void)state;
	assert_refused("4294967376", "'4294967376': port must be 1-65535");
	assert_refused("18446744073709551696",
		       "'18446744073709551696': port must be 1-65535");
	assert_refused("99999999999999999999999999999999999999",
		       "'99999999999999999999999999999999999999': "
		       "port must be 1-65535");
	assert_refused("99999999999999999999x",
		       "'99999999999999999999x': not a port number");
}

static void test_reversed(void **state)
{
	(void)state;
	assert_refused("90-80", "'90-80': range is reversed");
	assert_refused("81-80", "'81-80': range is reversed");
	assert_refused("65535-1", "'65535-1': range is reversed");
}

static void test_empty_entries(void **state)
{
	(void)state;
	assert_refused("", "'': empty entry");
	assert_refused("  ", "'': empty entry");
	assert_refused(",,", "'': empty entry");
	assert_refused("80,,443", "'': empty entry");
	assert_refused("80,", "'': empty entry");
	assert_refused(",80", "'': empty entry");
	assert_refused("80, ", "'': empty entry");
}

static void test_not_numbers(void **state)
{
	(void)state;
	assert_refused("http", "'http': not a port number");
	assert_refused("80, http ,443", "'http': not a port number");
	assert_refused("80-", "'80-': not a port number");
	assert_refused("-80", "'-80': not a port number");
	assert_refused("-", "'-': not a port number");
	assert_refused("+80", "'+80': not a port number");
	assert_refused("-1", "'-1': not a port number");
	assert_refused("0x50", "'0x50': not a port number");
	assert_refused("8 0", "'8 0': not a port number");
	assert_refused("80 - 90", "'80 - 90': not a port number");
	assert_refused("80-90-100", "'80-90-100': not a port number");
	assert_refused("80:90", "'80:90': not a port number");
	assert_refused("80\n", "'80\n': not a port number");
	assert_refused("1e3", "'1e3': not a port number");
}

static void test_small_error_buffer(void **state)
{
	uint64_t map[PORTLIST_WORDS] = { 0 };
	char small[8];

	(void)state;
	assert_int_equal(portlist_parse("nonsense", map, small, sizeof(small)),
			 -EINVAL);
	assert_string_equal(small, "'nonsen");
	assert_int_equal(portlist_parse("nonsense", map, NULL, 0), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_list_with_blanks),
		cmocka_unit_test(test_duplicates_counted_once),
		cmocka_unit_test(test_boundaries),
		cmocka_unit_test(test_bitmap_layout),
		cmocka_unit_test(test_adds_to_bitmap),
		cmocka_unit_test(test_bitmap_untouched_on_error),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_reversed),
		cmocka_unit_test(test_empty_entries),
		cmocka_unit_test(test_not_numbers),
		cmocka_unit_test(test_small_error_buffer),
	};

	return cmocka_run_group_tests_name("portlist", tests, NULL, NULL);
}
