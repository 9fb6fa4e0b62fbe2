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
#include <arpa/inet.h>
#include <netinet/in.h>
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

static struct sockaddr_in v4(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };

	assert_int_equal(inet_pton(AF_INET, addr, &sa.sin_addr), 1);
	return sa;
}

static struct sockaddr_in6 v6(const char *addr)
{
	struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };

	assert_int_equal(inet_pton(AF_INET6, addr, &sa.sin6_addr), 1);
	return sa;
}

static void test_remote_by_address(void **state)
{
	struct sockaddr_in a = v4("192.0.2.1"), b = v4("192.0.2.2");
	struct sockaddr_in6 mapped = v6("::ffff:192.0.2.1");
	struct sockaddr_in6 v6a = v6("2001:db8:0:1::1"), v6b = v6("2001:db8:0:1:aa::2");
	struct sockaddr_in6 v6c = v6("2001:db8:0:2::1");
	struct peer_key ka, kb, km, k6a, k6b, k6c, local;
	bool evicted;
	int i;

	(void)state;
	peer_key_remote(&ka, (struct sockaddr *)&a);
	peer_key_remote(&kb, (struct sockaddr *)&b);
	peer_key_remote(&km, (struct sockaddr *)&mapped);
	peer_key_remote(&k6a, (struct sockaddr *)&v6a);
	peer_key_remote(&k6b, (struct sockaddr *)&v6b);
	peer_key_remote(&k6c, (struct sockaddr *)&v6c);
	peer_key_local(&local, ROOT);
	assert_memory_not_equal(&ka, &kb, sizeof(ka));
	/* an IPv4 peer of an IPv6 listener is the same peer */
	assert_memory_equal(&ka, &km, sizeof(ka));
	/* one IPv6 /64 is one peer, another /64 another */
	assert_memory_equal(&k6a, &k6b, sizeof(k6a));
	assert_memory_not_equal(&k6a, &k6c, sizeof(k6a));
	/* a uid is no address */
	assert_memory_not_equal(&ka, &local, sizeof(ka));
	for (i = 0; i < PEERS_PER_KEY; i++)
		assert_true(peers_admit(&table, &ka, (uint64_t)i, &evicted) >= 0);
	assert_int_equal(peers_admit(&table, &km, 10, &evicted), -EBUSY);
	assert_true(peers_admit(&table, &kb, 11, &evicted) >= 0);
	for (i = 0; i < PEERS_PER_KEY; i++)
		assert_true(peers_admit(&table, &k6a, (uint64_t)(20 + i), &evicted) >= 0);
	assert_int_equal(peers_admit(&table, &k6b, 30, &evicted), -EBUSY);
	assert_true(peers_admit(&table, &k6c, 31, &evicted) >= 0);
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
