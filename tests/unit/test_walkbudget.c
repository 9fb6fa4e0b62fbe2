// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_walkbudget.c - the full holder walks a uid may cost: a burst, then
 * the rate, each uid on its own, and a full table forgetting the fullest;
 * the hints the walks leave.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "util.h"
#include "walkbudget.h"

#define T0 (1000 * NSEC_PER_SEC)

/* Walks uid may take at now, one after another. */
static int drain(struct walk_budget *b, __u32 uid, uint64_t now)
{
	int n = 0;

	while (walk_budget_take(b, uid, now) && n < 1000)
		n++;
	return n;
}

static void burst_then_rate(void **state)
{
	struct walk_budget *b = calloc(1, sizeof(*b));

	assert_int_equal(drain(b, 65534, T0), WALK_BUDGET_BURST);
	/* a second later, the rate's worth more */
	assert_int_equal(drain(b, 65534, T0 + NSEC_PER_SEC), WALK_BUDGET_RATE);
	/* half a walk's time: nothing yet */
	assert_false(walk_budget_take(b, 65534, T0 + NSEC_PER_SEC + NSEC_PER_SEC / 2 / WALK_BUDGET_RATE));
	/* a long idle spell refills the burst, no more */
	assert_int_equal(drain(b, 65534, T0 + 3600 * NSEC_PER_SEC), WALK_BUDGET_BURST);
	free(b);
}

/* One uid's walks never use up another's. */
static void uids_apart(void **state)
{
	struct walk_budget *b = calloc(1, sizeof(*b));

	assert_int_equal(drain(b, 65534, T0), WALK_BUDGET_BURST);
	assert_int_equal(drain(b, 0, T0), WALK_BUDGET_BURST);
	assert_false(walk_budget_take(b, 65534, T0));
	free(b);
}

/*
 * More uids than the table holds: an exhausted uid is not forgotten (that
 * would refill it) while a full one can be.
 */
static void full_table_keeps_the_exhausted(void **state)
{
	struct walk_budget *b = calloc(1, sizeof(*b));
	__u32 uid;

	assert_int_equal(drain(b, 65534, T0), WALK_BUDGET_BURST);
	for (uid = 1; uid < 10 * WALK_BUDGET_UIDS; uid++)
		assert_true(walk_budget_take(b, uid, T0));
	assert_false(walk_budget_take(b, 65534, T0));
	assert_int_equal(b->n, WALK_BUDGET_UIDS);
	free(b);
}

/* Hints: a ring, the oldest forgotten. */
static void hints_bounded(void **state)
{
	struct walk_budget *b = calloc(1, sizeof(*b));
	struct bw_holder h = { .ino = 100, .pid = 1, .sock.port = 8080 };
	size_t i;

	walk_hint_add(b, &h);
	assert_int_equal(b->hints[0].ino, 100);
	assert_int_equal(b->hints[0].pid, 1);
	assert_int_equal(b->hints[0].sock.port, 8080);
	h.ino = 200;
	for (i = 0; i < WALK_HINTS; i++)
		walk_hint_add(b, &h);
	for (i = 0; i < WALK_HINTS; i++)
		assert_int_equal(b->hints[i].ino, 200);
	free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(burst_then_rate),
		cmocka_unit_test(uids_apart),
		cmocka_unit_test(full_table_keeps_the_exhausted),
		cmocka_unit_test(hints_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
