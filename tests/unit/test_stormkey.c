// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_stormkey.c - which failures one storm record may stand for
 * (bw_storm_key_of() in bpf/bindwatch.h, the function the kernel half runs).
 *
 * A record repeats its storm's first failure with a count, so two calls go
 * into one storm only when everything a record says of them is the same:
 * the whole requesting socket, every byte of it, at the address scope; the
 * same but any address at the port scope; only the uid at the uid scope.
 * The byte-wise checks make a field added to struct bw_sock split storms
 * without anyone remembering to add it here.
 */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "conflict.h"

#define PORT 8080
#define UID_ALICE 1000
#define NETNS_HOST 4026531840u
#define PID 4242
#define START_NS 123456789ULL
#define EADDRINUSE_RET (-98)

/* A failed bind() of 127.0.0.1:PORT over TCP, no options, by alice. */
static struct bw_event failure(void)
{
	struct bw_event e;

	memset(&e, 0, sizeof(e));
	e.version = BW_ABI_VERSION;
	e.syscall = BW_SYS_BIND;
	e.ret = EADDRINUSE_RET;
	e.start_ns = START_NS;
	e.pid = PID;
	e.tid = PID;
	e.uid = UID_ALICE;
	e.count = 1;
	e.sock.family = AF_INET;
	e.sock.type = SOCK_STREAM;
	e.sock.protocol = IPPROTO_TCP;
	e.sock.port = PORT;
	e.sock.netns = NETNS_HOST;
	e.sock.uid = UID_ALICE;
	e.sock.addr[0] = 127;
	e.sock.addr[3] = 1;
	return e;
}

static bool same_storm(const struct bw_event *a, const struct bw_event *b, __u8 scope)
{
	struct bw_storm_key ka, kb;

	bw_storm_key_of(&ka, a, scope);
	bw_storm_key_of(&kb, b, scope);
	return !memcmp(&ka, &kb, sizeof(ka));
}

/* Any byte of the socket changed: another storm at the address scope. */
static void test_every_socket_byte_splits(void **state)
{
	const struct bw_event base = failure();
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(base.sock); i++) {
		struct bw_event e = base;

		((unsigned char *)&e.sock)[i] ^= 0x01;
		if (!same_storm(&base, &e, BW_SCOPE_ADDRESS))
			continue;
		fail_msg("byte %zu of struct bw_sock is not in the storm key", i);
	}
}

/* The same, but the address, at the port scope: the options split it. */
static void test_port_scope_ignores_only_the_address(void **state)
{
	const struct bw_event base = failure();
	const size_t addr = offsetof(struct bw_sock, addr);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(base.sock); i++) {
		struct bw_event e = base;
		bool in_addr = i >= addr && i < addr + sizeof(base.sock.addr);

		((unsigned char *)&e.sock)[i] ^= 0x01;
		if (same_storm(&base, &e, BW_SCOPE_PORT) != in_addr)
			fail_msg("byte %zu of struct bw_sock: port scope %s", i,
				 in_addr ? "splits on the address" : "merges differing sockets");
	}
}

/* The caller and the outcome split storms too; the thread does not. */
static void test_requester_and_outcome(void **state)
{
	const struct bw_event base = failure();
	struct bw_event e;

	(void)state;
	e = base, e.pid++;
	assert_false(same_storm(&base, &e, BW_SCOPE_ADDRESS));
	e = base, e.start_ns++; /* the pid reused by another process */
	assert_false(same_storm(&base, &e, BW_SCOPE_ADDRESS));
	e = base, e.uid++;
	assert_false(same_storm(&base, &e, BW_SCOPE_ADDRESS));
	e = base, e.syscall = BW_SYS_LISTEN;
	assert_false(same_storm(&base, &e, BW_SCOPE_ADDRESS));
	e = base, e.ret = -EACCES;
	assert_false(same_storm(&base, &e, BW_SCOPE_ADDRESS));
	e = base, e.tid++, e.ts_ns += 1000, e.sock_ino++;
	assert_true(same_storm(&base, &e, BW_SCOPE_ADDRESS));
}

/* The uid's own aggregate: any call of the uid, nothing else. */
static void test_uid_scope(void **state)
{
	const struct bw_event base = failure();
	struct bw_event e = base;
	struct bw_storm_key k;

	(void)state;
	e.pid++, e.sock.port++, e.sock.sockflags = BW_SF_REUSEADDR, e.ret = -EACCES;
	assert_true(same_storm(&base, &e, BW_SCOPE_UID));
	e.uid++;
	assert_false(same_storm(&base, &e, BW_SCOPE_UID));
	bw_storm_key_of(&k, &base, BW_SCOPE_UID);
	assert_int_equal(k.scope, BW_SCOPE_UID);
	assert_int_equal(k.uid, UID_ALICE);
	assert_int_equal(k.pid, 0);
	assert_int_equal(k.sock.port, 0);
}

/*
 * The reproduction of issue 10: a bind() without and one with SO_REUSEADDR
 * against a TIME_WAIT socket without it get different explanations, so
 * they must be different storms.
 */
static void test_time_wait_reuseaddr(void **state)
{
	struct bw_event plain = failure(), reuse = failure();
	struct bw_holder tw;
	struct conflict_req rp = { .sock = &plain.sock }, rr = { .sock = &reuse.sock };
	struct strbuf a, b;

	(void)state;
	reuse.sock.sockflags = BW_SF_REUSEADDR;
	memset(&tw, 0, sizeof(tw));
	tw.sock = plain.sock;
	tw.state = TCP_TIME_WAIT;
	assert_true(conflict_clash(&rp, &tw));
	assert_true(conflict_clash(&rr, &tw));
	strbuf_init(&a);
	strbuf_init(&b);
	conflict_explain(&a, conflict_reason(&rp, &tw), &rp, &tw);
	conflict_explain(&b, conflict_reason(&rr, &tw), &rr, &tw);
	assert_string_not_equal(a.s, b.s);
	strbuf_free(&a);
	strbuf_free(&b);
	assert_false(same_storm(&plain, &reuse, BW_SCOPE_ADDRESS));
	assert_false(same_storm(&plain, &reuse, BW_SCOPE_PORT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_socket_byte_splits),
		cmocka_unit_test(test_port_scope_ignores_only_the_address),
		cmocka_unit_test(test_requester_and_outcome),
		cmocka_unit_test(test_uid_scope),
		cmocka_unit_test(test_time_wait_reuseaddr),
	};

	return cmocka_run_group_tests_name("stormkey", tests, NULL, NULL);
}
