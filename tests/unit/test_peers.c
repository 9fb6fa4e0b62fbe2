// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_peers.c - how the metrics endpoint shares its connections out.
 *
 * The attacker here is one local user: it must get PEERS_PER_KEY
 * connections however many addresses it uses, and, with many uids (or
 * remote addresses), fill the table only until someone else comes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include "peers.h"

#define ROOT 0
#define NOBODY 65534

static struct peers table;

static int admit_uid(uint32_t uid, uint64_t now, bool *evicted)
{
	struct peer_key k;

	peer_key_local(&k, uid);
	return peers_admit(&table, &k, now, evicted);
}

static int reset(void **state)
{
	(void)state;
	memset(&table, 0, sizeof(table));
	return 0;
}

static void test_per_uid(void **state)
{
	bool evicted;
	int i, slot;

	(void)state;
	for (i = 0; i < PEERS_PER_KEY; i++)
		assert_true(admit_uid(NOBODY, (uint64_t)i, &evicted) >= 0);
	assert_int_equal(admit_uid(NOBODY, 100, &evicted), -EBUSY);
	/* another uid is not held back */
	assert_true(admit_uid(ROOT, 101, &evicted) >= 0);
	assert_false(evicted);
	/* one of nobody's goes: nobody may have one more */
	slot = admit_uid(ROOT, 102, &evicted);
	peers_release(&table, slot);
	for (i = 0; i < PEERS_MAX && !(table.used[i] && table.key[i].uid == NOBODY); i++)
		;
	peers_release(&table, i);
	assert_true(admit_uid(NOBODY, 103, &evicted) >= 0);
	assert_int_equal(admit_uid(NOBODY, 104, &evicted), -EBUSY);
}

static void test_remote_by_address(void **state)
{
	uint8_t a[PEER_ADDR_LEN] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 1 };
	uint8_t b[PEER_ADDR_LEN] = { [10] = 0xff, [11] = 0xff, 192, 0, 2, 2 };
	uint8_t v6a[PEER_ADDR_LEN] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [15] = 1 };
	uint8_t v6b[PEER_ADDR_LEN] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1, [8] = 0xaa, [15] = 2 };
	struct peer_key ka, kb, k6a, k6b, local;
	bool evicted;
	int i;

	(void)state;
	peer_key_remote(&ka, a);
	peer_key_remote(&kb, b);
	peer_key_remote(&k6a, v6a);
	peer_key_remote(&k6b, v6b);
	peer_key_local(&local, ROOT);
	assert_memory_not_equal(&ka, &kb, sizeof(ka));
	/* one IPv6 /64 is one peer */
	assert_memory_equal(&k6a, &k6b, sizeof(k6a));
	/* a uid is no address */
	assert_memory_not_equal(&ka, &local, sizeof(ka));
	for (i = 0; i < PEERS_PER_KEY; i++)
		assert_true(peers_admit(&table, &ka, (uint64_t)i, &evicted) >= 0);
	assert_int_equal(peers_admit(&table, &ka, 10, &evicted), -EBUSY);
	assert_true(peers_admit(&table, &kb, 11, &evicted) >= 0);
	for (i = 0; i < PEERS_PER_KEY; i++)
		assert_true(peers_admit(&table, &k6a, (uint64_t)(20 + i), &evicted) >= 0);
	assert_int_equal(peers_admit(&table, &k6b, 30, &evicted), -EBUSY);
}

/* One user with PEERS_MAX uids, one connection each: the table is full. */
static void fill_one_each(uint32_t first)
{
	bool evicted;
	uint32_t i;

	for (i = 0; i < PEERS_MAX; i++) {
		assert_true(admit_uid(first + i, i, &evicted) >= 0);
		assert_false(evicted);
	}
}

static void test_full_newcomer_gets_in(void **state)
{
	bool evicted;
	int slot;

	(void)state;
	fill_one_each(100000);
	/* root holds nothing: it takes the oldest connection of a peer holding more */
	slot = admit_uid(ROOT, 1000, &evicted);
	assert_int_equal(slot, 0);
	assert_true(evicted);
	assert_int_equal(table.key[slot].uid, ROOT);
	/* another newcomer pushes out the next oldest, not root's */
	slot = admit_uid(200000, 1001, &evicted);
	assert_int_equal(slot, 1);
	assert_true(evicted);
	/* but a peer already holding one does not get a second */
	assert_int_equal(admit_uid(ROOT, 1002, &evicted), -EBUSY);
}

static void test_full_fullest_gives_up(void **state)
{
	bool evicted;
	int i, slot;

	(void)state;
	/* nobody holds 4, the rest one each, till the table is full */
	for (i = 0; i < PEERS_PER_KEY; i++)
		assert_true(admit_uid(NOBODY, (uint64_t)(100 + i), &evicted) >= 0);
	for (i = 0; i < PEERS_MAX - PEERS_PER_KEY; i++)
		assert_true(admit_uid(100000 + (uint32_t)i, (uint64_t)i, &evicted) >= 0);
	/* a newcomer takes nobody's oldest, though others' are older */
	slot = admit_uid(ROOT, 1000, &evicted);
	assert_true(evicted);
	assert_int_equal(table.since[slot], 1000);
	for (i = 0; i < PEERS_MAX; i++)
		if (table.used[i] && table.key[i].uid == NOBODY)
			assert_true(table.since[i] > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_per_uid, reset),
		cmocka_unit_test_setup(test_remote_by_address, reset),
		cmocka_unit_test_setup(test_full_newcomer_gets_in, reset),
		cmocka_unit_test_setup(test_full_fullest_gives_up, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
