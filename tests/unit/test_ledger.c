// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_ledger.c - the ledger of binds: lookups by socket inode, newest
 * first, and one uid's share, so no user can push the others' binds out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "ledger.h"

static void add(struct ledger *l, __u64 ino, __u32 pid, __u32 uid)
{
	struct bw_event ev = { .sock_ino = ino, .pid = pid, .uid = uid, .start_ns = pid * 10 };
	struct timespec wall = { .tv_sec = (time_t)pid };

	ledger_add(l, &ev, &wall);
}

static void finds_by_inode(void **state)
{
	struct ledger *l = calloc(1, sizeof(*l));
	const struct ledger_entry *e;

	add(l, 100, 1, 0);
	add(l, 200, 2, 0);
	e = ledger_find(l, 200);
	assert_non_null(e);
	assert_int_equal(e->pid, 2);
	assert_int_equal(e->start_ns, 20);
	assert_null(ledger_find(l, 300));
	assert_null(ledger_find(l, 0));
	free(l);
}

/* An inode reused after its socket closed: the newer bind wins. */
static void newest_wins(void **state)
{
	struct ledger *l = calloc(1, sizeof(*l));

	add(l, 100, 1, 0);
	add(l, 100, 2, 0);
	assert_int_equal(ledger_find(l, 100)->pid, 2);
	free(l);
}

/* Without shares, the ring forgets the oldest entries once full. */
static void ring_forgets_oldest(void **state)
{
	struct ledger *l = calloc(1, sizeof(*l));
	__u32 i;

	for (i = 0; i < LEDGER_MAX + 1; i++)
		add(l, 1000 + i, i + 1, i); /* every bind by another uid */
	assert_null(ledger_find(l, 1000));
	assert_non_null(ledger_find(l, 1001));
	assert_non_null(ledger_find(l, 1000 + LEDGER_MAX));
	free(l);
}

/*
 * uid 65534 binds 20 times the ledger's size after root's binds: root's
 * stay, 65534 keeps its share of its newest, and after more of root's
 * binds (which take the ring's oldest slots: 65534's) the newest entry of
 * an inode 65534 reused still wins.
 */
static void one_uid_keeps_its_share(void **state)
{
	struct ledger *l = calloc(1, sizeof(*l));
	size_t i, held = 0;
	__u32 k;

	for (k = 0; k < 100; k++)
		add(l, 10 + k, 1000 + k, 0);
	for (k = 0; k < 20 * LEDGER_MAX; k++)
		add(l, 100000 + k, 5000, 65534);
	for (k = 0; k < 100; k++)
		assert_non_null(ledger_find(l, 10 + k));
	for (i = 0; i < l->n; i++)
		held += l->v[i].uid == 65534;
	assert_int_equal(held, LEDGER_UID_SHARE);
	assert_non_null(ledger_find(l, 100000 + 20 * LEDGER_MAX - 1));
	assert_non_null(ledger_find(l, 100000 + 20 * LEDGER_MAX - LEDGER_UID_SHARE));
	assert_null(ledger_find(l, 100000 + 20 * LEDGER_MAX - LEDGER_UID_SHARE - 1));
	add(l, 100000 + 20 * LEDGER_MAX - 1, 6000, 65534); /* a reused inode */
	assert_int_equal(ledger_find(l, 100000 + 20 * LEDGER_MAX - 1)->pid, 6000);
	free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(finds_by_inode),
		cmocka_unit_test(newest_wins),
		cmocka_unit_test(ring_forgets_oldest),
		cmocka_unit_test(one_uid_keeps_its_share),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
