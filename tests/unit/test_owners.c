// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_owners.c - the sockets the kernel had on a port at the failing
 * call (bw_event.owners) as holders: which are used at all (looked, none
 * left out), which block the call (the requester's own never), and which
 * a walk's list lacks, so are gone: by inode, and those without a file
 * only when the walk found nothing.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "owners.h"

#define PORT 8080
#define INO_LISTENER 1001
#define INO_OWN 1002
#define INO_OTHER 1003
#define PID_SERVER 815

static struct bw_owner tcp_owner(__u8 state, __u64 ino)
{
	struct bw_owner o;

	memset(&o, 0, sizeof(o));
	o.sock.family = AF_INET;
	o.sock.type = SOCK_STREAM;
	o.sock.protocol = IPPROTO_TCP;
	o.sock.port = PORT;
	o.sock.addr[0] = 127;
	o.sock.addr[3] = 1;
	o.state = state;
	o.ino = ino;
	return o;
}

/* A failed bind() of 127.0.0.1:PORT by socket INO_OWN, the kernel's owners in o. */
static struct bw_event event_with(const struct bw_owner *o, size_t n, __u8 flags)
{
	struct bw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.syscall = BW_SYS_BIND;
	ev.sock = tcp_owner(TCP_CLOSE, 0).sock;
	ev.sock_ino = INO_OWN;
	ev.owners_flags = flags;
	ev.owners_n = n;
	memcpy(ev.owners, o, n * sizeof(*o));
	return ev;
}

static void test_known_only_when_looked_and_complete(void **state)
{
	struct bw_owner o[1] = { tcp_owner(TCP_LISTEN, INO_LISTENER) };
	struct bw_event ev = event_with(o, 1, BW_OWNERS_LOOKED);
	struct conflict_req req = { .sock = &ev.sock };
	struct bw_holder h[BW_OWNERS_MAX];

	(void)state;
	assert_true(owners_known(&ev));
	assert_int_equal(owners_clashing(&ev, &req, ev.sock_ino, h), 1);
	ev.owners_flags = BW_OWNERS_LOOKED | BW_OWNERS_MORE;
	assert_false(owners_known(&ev));
	assert_int_equal(owners_clashing(&ev, &req, ev.sock_ino, h), 0);
	ev.owners_flags = 0;
	assert_false(owners_known(&ev));
	ev.owners_flags = BW_OWNERS_LOOKED;
	ev.owners_n = BW_OWNERS_MAX + 1; /* never trusted past the array */
	assert_false(owners_known(&ev));
}

static void test_clashing_leaves_out_own_and_other_addresses(void **state)
{
	struct bw_owner o[3] = { tcp_owner(TCP_CLOSE, INO_OWN), tcp_owner(TCP_LISTEN, INO_OTHER),
				 tcp_owner(TCP_LISTEN, INO_LISTENER) };
	struct bw_holder h[BW_OWNERS_MAX];
	struct bw_event ev;
	struct conflict_req req;

	(void)state;
	o[1].sock.addr[3] = 2; /* 127.0.0.2: another address, no clash */
	ev = event_with(o, 3, BW_OWNERS_LOOKED);
	req = (struct conflict_req){ .sock = &ev.sock };
	assert_int_equal(owners_clashing(&ev, &req, ev.sock_ino, h), 1);
	assert_int_equal(h[0].ino, INO_LISTENER);
	assert_int_equal(h[0].state, TCP_LISTEN);
	assert_int_equal(h[0].pid, 0);
	assert_int_equal(conflict_reason(&req, &h[0]), REASON_LISTENER);
}

static void test_gone_by_inode(void **state)
{
	struct bw_owner o[1] = { tcp_owner(TCP_LISTEN, INO_LISTENER) };
	struct bw_event ev = event_with(o, 1, BW_OWNERS_LOOKED);
	struct conflict_req req = { .sock = &ev.sock };
	struct holder_list l = {};
	struct owners_gone g;
	struct bw_holder live;

	(void)state;
	/* the walk found nothing: the listener is added, gone */
	assert_int_equal(owners_add_gone(&l, &ev, &req, &g), 0);
	assert_int_equal(l.n, 1);
	assert_true(owners_is_gone(&g, &l.v[0]));
	holder_list_free(&l);
	/* the walk found it held by a process: nothing added, nothing gone */
	owner_holder(&live, &o[0]);
	live.pid = PID_SERVER;
	assert_int_equal(holder_list_add(&l, &live), 0);
	assert_int_equal(owners_add_gone(&l, &ev, &req, &g), 0);
	assert_int_equal(l.n, 1);
	assert_false(owners_is_gone(&g, &l.v[0]));
	holder_list_free(&l);
}

static void test_unheld_gone_only_when_walk_found_nothing(void **state)
{
	struct bw_owner o[1] = { tcp_owner(TCP_TIME_WAIT, 0) };
	struct bw_event ev = event_with(o, 1, BW_OWNERS_LOOKED);
	struct conflict_req req = { .sock = &ev.sock };
	struct holder_list l = {};
	struct owners_gone g;
	struct bw_holder other;

	(void)state;
	assert_int_equal(owners_add_gone(&l, &ev, &req, &g), 0);
	assert_int_equal(l.n, 1);
	assert_true(owners_is_gone(&g, &l.v[0]));
	assert_int_equal(conflict_reason(&req, &l.v[0]), REASON_TIME_WAIT);
	holder_list_free(&l);
	/* a walk that found another blocking socket: the TIME_WAIT one is not looked for */
	owner_holder(&other, &(struct bw_owner){ .sock = ev.sock, .state = TCP_LISTEN,
						 .ino = INO_OTHER });
	other.pid = PID_SERVER;
	assert_int_equal(holder_list_add(&l, &other), 0);
	assert_int_equal(owners_add_gone(&l, &ev, &req, &g), 0);
	assert_int_equal(l.n, 1);
	assert_false(owners_is_gone(&g, &l.v[0]));
	holder_list_free(&l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_only_when_looked_and_complete),
		cmocka_unit_test(test_clashing_leaves_out_own_and_other_addresses),
		cmocka_unit_test(test_gone_by_inode),
		cmocka_unit_test(test_unheld_gone_only_when_walk_found_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
