// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_stallguard.c - reads that block for ever are given up on in time,
 * on real descriptors: a pipe whose writer stays open and silent blocks a
 * read exactly as a command line on pages that never fault in does.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "stallguard.h"

#define WAIT_MS 50
#define NSEC_PER_MSEC 1000000L

static long elapsed_ms(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / NSEC_PER_MSEC;
}

/* A pipe's read end that holds text[0..len) and then ends. */
static int finished_pipe(const char *text, size_t len)
{
	int p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], text, len), (ssize_t)len);
	close(p[1]);
	return p[0];
}

#define ARGV "python3\0-m\0http.server"

static void reads_what_is_there(void **state)
{
	size_t len = 0;
	int err;
	char *s = stallguard_read(finished_pipe(ARGV, sizeof(ARGV) - 1), 64, WAIT_MS, &len, &err);

	assert_int_equal(err, 0);
	assert_non_null(s);
	assert_int_equal(len, sizeof(ARGV) - 1);
	assert_memory_equal(s, ARGV, len);
	free(s);
	/* max bytes at most, NUL-terminated */
	s = stallguard_read(finished_pipe("abcdef", 6), 3, WAIT_MS, &len, &err);
	assert_int_equal(err, 0);
	assert_string_equal(s, "abc");
	free(s);
}

/*
 * Reads that never end come back after the wait, each with -ETIMEDOUT,
 * then, once STALLGUARD_STUCK_MAX are stuck, none is tried (-EAGAIN at
 * once); a read that would have worked is refused too.  Runs last: it
 * leaves the module with every reader stuck.
 */
static void stuck_reads_are_abandoned(void **state)
{
	struct timespec t0;
	size_t len;
	unsigned int i;
	int p[2], err;

	for (i = 0; i < STALLGUARD_STUCK_MAX; i++) {
		assert_int_equal(pipe(p), 0); /* p[1] stays open: the read blocks */
		clock_gettime(CLOCK_MONOTONIC, &t0);
		assert_null(stallguard_read(p[0], 64, WAIT_MS, &len, &err));
		assert_int_equal(err, -ETIMEDOUT);
		assert_true(elapsed_ms(&t0) >= WAIT_MS - 1);
		assert_int_equal(stallguard_stuck(), i + 1);
	}
	assert_null(stallguard_read(finished_pipe("abc", 3), 64, WAIT_MS, &len, &err));
	assert_int_equal(err, -EAGAIN);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reads_what_is_there),
		cmocka_unit_test(stuck_reads_are_abandoned),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
