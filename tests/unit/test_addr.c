// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_addr.c - the names records use for addresses, protocols, address
 * families, socket types and errors.
 *
 * These strings are what users grep for and what JSON consumers switch
 * on, so each is pinned exactly, including the fallbacks for values a
 * newer kernel may report and the -ENOSPC of a buffer too small.
 */
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "addr.h"

#define NAME_LEN 32
#define PORT_HTTP_ALT 8080
#define PORT_HTTPS 443
#define PORT_MAX 65535
#define IPPROTO_UNASSIGNED 253 /* RFC 3692 experimental */
#define ERRNO_UNKNOWN 4095

static const uint8_t v4_loopback[4] = { 127, 0, 0, 1 };
static const uint8_t v4_any[4];
static const uint8_t v6_loopback[16] = { [15] = 1 };
static const uint8_t v6_any[16];
static const uint8_t v6_mapped[16] = {
	[10] = 0xff, [11] = 0xff, [12] = 10, [15] = 1,
};
static const uint8_t v6_doc[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_all_ones[16] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
};

static char buf[ADDR_STRLEN];

static void test_addr_format(void **state)
{
	(void)state;
	assert_int_equal(addr_format(buf, sizeof(buf), AF_INET, v4_loopback), 0);
	assert_string_equal(buf, "127.0.0.1");
	assert_int_equal(addr_format(buf, sizeof(buf), AF_INET, v4_any), 0);
	assert_string_equal(buf, "0.0.0.0");
	assert_int_equal(addr_format(buf, sizeof(buf), AF_INET6, v6_loopback), 0);
	assert_string_equal(buf, "::1");
	assert_int_equal(addr_format(buf, sizeof(buf), AF_INET6, v6_any), 0);
	assert_string_equal(buf, "::");
	assert_int_equal(addr_format(buf, sizeof(buf), AF_INET6, v6_mapped), 0);
	assert_string_equal(buf, "::ffff:10.0.0.1");
	assert_int_equal(addr_format(buf, sizeof(buf), AF_INET6, v6_doc), 0);
	assert_string_equal(buf, "2001:db8::1");
}

static void test_addr_port_format(void **state)
{
	(void)state;
	assert_int_equal(addr_port_format(buf, sizeof(buf), AF_INET, v4_loopback,
					  PORT_HTTP_ALT), 0);
	assert_string_equal(buf, "127.0.0.1:8080");
	assert_int_equal(addr_port_format(buf, sizeof(buf), AF_INET, v4_any, 0),
			 0);
	assert_string_equal(buf, "0.0.0.0:0");
	assert_int_equal(addr_port_format(buf, sizeof(buf), AF_INET6,
					  v6_loopback, PORT_HTTP_ALT), 0);
	assert_string_equal(buf, "[::1]:8080");
	assert_int_equal(addr_port_format(buf, sizeof(buf), AF_INET6, v6_any,
					  PORT_HTTPS), 0);
	assert_string_equal(buf, "[::]:443");
	assert_int_equal(addr_port_format(buf, sizeof(buf), AF_INET6, v6_mapped,
					  PORT_HTTPS), 0);
	assert_string_equal(buf, "[::ffff:10.0.0.1]:443");
}

static void test_longest_fits(void **state)
{
	(void)state;
	assert_int_equal(addr_port_format(buf, sizeof(buf), AF_INET6,
					  v6_all_ones, PORT_MAX), 0);
	assert_string_equal(buf,
			    "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
}

static void test_unknown_family(void **state)
{
	(void)state;
	assert_int_equal(addr_format(buf, sizeof(buf), AF_UNIX, v6_any),
			 -EAFNOSUPPORT);
	assert_int_equal(addr_format(buf, sizeof(buf), AF_UNSPEC, v6_any),
			 -EAFNOSUPPORT);
	assert_int_equal(addr_port_format(buf, sizeof(buf), AF_PACKET, v6_any,
					  PORT_HTTPS), -EAFNOSUPPORT);
}

static void test_small_buffers(void **state)
{
	char small[sizeof("127.0.0.1:8080")];

	(void)state;
	assert_int_equal(addr_format(small, sizeof("127.0.0.1"), AF_INET,
				     v4_loopback), 0);
	assert_string_equal(small, "127.0.0.1");
	assert_int_equal(addr_format(small, sizeof("127.0.0.1") - 1, AF_INET,
				     v4_loopback), -ENOSPC);
	assert_int_equal(addr_format(small, 0, AF_INET6, v6_loopback), -ENOSPC);

	assert_int_equal(addr_port_format(small, sizeof(small), AF_INET,
					  v4_loopback, PORT_HTTP_ALT), 0);
	assert_string_equal(small, "127.0.0.1:8080");
	assert_int_equal(addr_port_format(small, sizeof(small) - 1, AF_INET,
					  v4_loopback, PORT_HTTP_ALT), -ENOSPC);
	assert_int_equal(addr_port_format(small, sizeof("[::1]:8080"),
					  AF_INET6, v6_loopback, PORT_HTTP_ALT),
			 0);
	assert_string_equal(small, "[::1]:8080");
	assert_int_equal(addr_port_format(small, sizeof("[::1]:8080") - 1,
					  AF_INET6, v6_loopback, PORT_HTTP_ALT),
			 -ENOSPC);
	assert_int_equal(addr_port_format(small, 0, AF_INET, v4_loopback, 0),
			 -ENOSPC);
}

static void test_proto_name(void **state)
{
	static const struct {
		int type, protocol;
		const char *name;
	} cases[] = {
		{ SOCK_STREAM, IPPROTO_TCP, "tcp" },
		{ SOCK_STREAM, 0, "tcp" },
		{ SOCK_DGRAM, IPPROTO_UDP, "udp" },
		{ SOCK_DGRAM, 0, "udp" },
		{ SOCK_DGRAM, IPPROTO_UDPLITE, "udplite" },
		{ SOCK_SEQPACKET, IPPROTO_SCTP, "sctp" },
		{ SOCK_STREAM, IPPROTO_SCTP, "sctp" },
		{ SOCK_STREAM, IPPROTO_MPTCP, "mptcp" },
		{ SOCK_RAW, IPPROTO_ICMP, "raw" },
		{ SOCK_RAW, IPPROTO_TCP, "raw" },
		{ SOCK_RAW, 0, "raw" },
		{ SOCK_SEQPACKET, 0, "ip-0" },
		{ SOCK_DGRAM, IPPROTO_ICMP, "ip-1" },
		{ SOCK_STREAM, IPPROTO_UNASSIGNED, "ip-253" },
	};
	char name[NAME_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_ptr_equal(proto_name(name, sizeof(name), cases[i].type,
					    cases[i].protocol), name);
		assert_string_equal(name, cases[i].name);
	}
}

static void test_proto_name_small_buffer(void **state)
{
	char name[sizeof("ud")];

	(void)state;
	assert_string_equal(proto_name(name, sizeof(name), SOCK_STREAM,
				       IPPROTO_MPTCP), "mp");
	assert_string_equal(proto_name(name, sizeof(name), SOCK_STREAM,
				       IPPROTO_UNASSIGNED), "ip");
}

static void test_family_name(void **state)
{
	(void)state;
	assert_string_equal(family_name(AF_INET), "ipv4");
	assert_string_equal(family_name(AF_INET6), "ipv6");
	assert_null(family_name(AF_UNIX));
	assert_null(family_name(AF_UNSPEC));
}

static void test_socktype_name(void **state)
{
	(void)state;
	assert_string_equal(socktype_name(SOCK_STREAM), "stream");
	assert_string_equal(socktype_name(SOCK_DGRAM), "dgram");
	assert_string_equal(socktype_name(SOCK_RAW), "raw");
	assert_string_equal(socktype_name(SOCK_SEQPACKET), "seqpacket");
	assert_null(socktype_name(SOCK_RDM));
	assert_null(socktype_name(0));
}

static void test_errno_name(void **state)
{
	char name[NAME_LEN];

	(void)state;
	assert_string_equal(errno_name(name, sizeof(name), EADDRINUSE),
			    "EADDRINUSE");
	assert_string_equal(errno_name(name, sizeof(name), EACCES), "EACCES");
	assert_string_equal(errno_name(name, sizeof(name), EINVAL), "EINVAL");
	assert_string_equal(errno_name(name, sizeof(name),
				       EADDRNOTAVAIL), "EADDRNOTAVAIL");
}

static void test_errno_name_unknown(void **state)
{
	char name[NAME_LEN], small[sizeof("E4")];

	(void)state;
	assert_ptr_equal(errno_name(name, sizeof(name), ERRNO_UNKNOWN), name);
	assert_string_equal(name, "E4095");
	assert_string_equal(errno_name(name, sizeof(name), 0), "E0");
	assert_string_equal(errno_name(name, sizeof(name), -EPERM), "E-1");
	assert_string_equal(errno_name(small, sizeof(small), ERRNO_UNKNOWN),
			    "E4");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_format),
		cmocka_unit_test(test_addr_port_format),
		cmocka_unit_test(test_longest_fits),
		cmocka_unit_test(test_unknown_family),
		cmocka_unit_test(test_small_buffers),
		cmocka_unit_test(test_proto_name),
		cmocka_unit_test(test_proto_name_small_buffer),
		cmocka_unit_test(test_family_name),
		cmocka_unit_test(test_socktype_name),
		cmocka_unit_test(test_errno_name),
		cmocka_unit_test(test_errno_name_unknown),
	};

	return cmocka_run_group_tests_name("addr", tests, NULL, NULL);
}
