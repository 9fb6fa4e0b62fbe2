// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_ephemeral.c - a namespace's ephemeral range as the kernel prints
 * its two sysctls, and the tally of the sockets on it: ports in use,
 * TIME_WAIT, sockets no process holds, and the top holders by sockets
 * with their destinations, most first.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "ephemeral.h"

#define LO 40000
#define HI 40007
#define ERR_LEN 160
#define PID_A 100
#define PID_B 200
#define DEST_PORT 5432

static void test_range_parse(void **state)
{
	struct eph_range r;
	char err[ERR_LEN];

	(void)state;
	assert_int_equal(eph_range_parse("40000\t40007\n", "\n", &r, err, sizeof(err)), 0);
	assert_int_equal(r.lo, LO);
	assert_int_equal(r.hi, HI);
	assert_int_equal(r.size, HI - LO + 1);
	/* reserved ports inside the range are not the kernel's to pick; outside, nothing */
	assert_int_equal(eph_range_parse("40000\t40007\n", "40001,40003-40004,8080\n", &r, err,
					 sizeof(err)), 0);
	assert_int_equal(r.size, HI - LO + 1 - 3);
	assert_int_equal(eph_range_parse("40007 40000", "", &r, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "ip_local_port_range"));
	assert_int_equal(eph_range_parse("40000", "", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(eph_range_parse("1 70000", "", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(eph_range_parse("1 2 3", "", &r, err, sizeof(err)), -EINVAL);
	assert_int_equal(eph_range_parse("40000 40007", "x", &r, err, sizeof(err)), -EINVAL);
}

/* A TCP socket on port held by pid (0: none) in state, connected to 10.0.0.dest_host:dport. */
static struct sockdiag_conn conn(uint16_t port, uint32_t pid, int state, uint8_t dest_host,
				 uint16_t dport)
{
	struct sockdiag_conn c = { .h = { .pid = pid, .state = state } };

	c.h.sock.family = AF_INET;
	c.h.sock.protocol = IPPROTO_TCP;
	c.h.sock.port = port;
	c.daddr[0] = 10;
	c.daddr[3] = dest_host;
	c.dport = dport;
	return c;
}

static void view_init(struct eph_view *v)
{
	char err[ERR_LEN];

	memset(v, 0, sizeof(*v));
	v->protocol = IPPROTO_TCP;
	assert_int_equal(eph_range_parse("40000 40007", "40007", &v->range, err, sizeof(err)), 0);
}

static void test_tally_counts(void **state)
{
	struct sockdiag_conn c[] = {
		conn(LO, PID_A, TCP_ESTABLISHED, 1, DEST_PORT),
		conn(LO, PID_A, TCP_ESTABLISHED, 2, DEST_PORT),    /* same port, other destination */
		conn(LO + 1, 0, TCP_TIME_WAIT, 1, DEST_PORT),
		conn(LO + 2, 0, TCP_FIN_WAIT2, 1, DEST_PORT),      /* an orphan */
		conn(HI, PID_B, TCP_ESTABLISHED, 1, DEST_PORT),    /* reserved: not the range's */
		conn(LO - 1, PID_B, TCP_ESTABLISHED, 1, DEST_PORT), /* below the range */
	};
	struct eph_view v;

	(void)state;
	view_init(&v);
	c[5].h.sock.protocol = IPPROTO_UDP; /* and another protocol's */
	eph_tally(&v, c, sizeof(c) / sizeof(c[0]));
	assert_int_equal(v.range.size, HI - LO);
	assert_int_equal(v.in_use, 3);
	assert_int_equal(v.sockets, 4);
	assert_int_equal(v.time_wait, 1);
	assert_int_equal(v.unheld, 1);
	assert_int_equal(v.ntop, 1);
	assert_int_equal(v.top[0].pid, PID_A);
	assert_int_equal(v.top[0].sockets, 2);
	assert_int_equal(v.top[0].ndests, 2);
}

static void test_tally_top_order(void **state)
{
	struct sockdiag_conn c[EPH_TOP_MAX * 8];
	struct eph_view v;
	size_t n = 0, i;
	uint32_t pid;

	(void)state;
	view_init(&v);
	/* process pid (1..EPH_TOP_MAX+1) holds pid sockets: the smallest falls off */
	for (pid = 1; pid <= EPH_TOP_MAX + 1; pid++)
		for (i = 0; i < pid; i++)
			c[n++] = conn(LO + i, pid, TCP_ESTABLISHED, 1 + i % 2, DEST_PORT);
	eph_tally(&v, c, n);
	assert_int_equal(v.ntop, EPH_TOP_MAX);
	assert_int_equal(v.other_holders, 1);
	for (i = 0; i < EPH_TOP_MAX; i++)
		assert_int_equal(v.top[i].pid, EPH_TOP_MAX + 1 - i);
	/* process 6: 3 sockets to 10.0.0.1, 3 to 10.0.0.2 */
	assert_int_equal(v.top[0].sockets, EPH_TOP_MAX + 1);
	assert_int_equal(v.top[0].dests[0].sockets + v.top[0].dests[1].sockets, EPH_TOP_MAX + 1);
}

static void test_tally_destinations(void **state)
{
	struct sockdiag_conn c[16];
	struct eph_view v;
	size_t n = 0, i;

	(void)state;
	view_init(&v);
	/* one process: 4 sockets to .4, 3 to .3, 2 to .2, 1 to .1, 1 unconnected */
	for (i = 1; i <= 4; i++)
		for (size_t j = 0; j < i; j++)
			c[n++] = conn(LO + j, PID_A, TCP_ESTABLISHED, i, DEST_PORT);
	c[n++] = conn(LO + 5, PID_A, TCP_LISTEN, 0, 0);
	eph_tally(&v, c, n);
	assert_int_equal(v.top[0].sockets, 11);
	assert_int_equal(v.top[0].ndests, EPH_DEST_MAX);
	assert_int_equal(v.top[0].dests[0].addr[3], 4);
	assert_int_equal(v.top[0].dests[0].sockets, 4);
	assert_int_equal(v.top[0].dests[1].sockets, 3);
	assert_int_equal(v.top[0].dests[2].sockets, 2);
	assert_int_equal(v.top[0].other_dests, 2);
	assert_int_equal(v.top[0].dests[0].port, DEST_PORT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_range_parse),
		cmocka_unit_test(test_tally_counts),
		cmocka_unit_test(test_tally_top_order),
		cmocka_unit_test(test_tally_destinations),
	};

	return cmocka_run_group_tests_name("ephemeral", tests, NULL, NULL);
}
