// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_bindspec.c - the [[ADDR]:]PORT[/tcp|/udp] argument of check and wait,
 * and the address syntax it shares with who and --metrics (hostport.c).
 *
 * A lenient parser would answer for a bind nobody intends (the wrong
 * family, port or protocol), so most cases are inputs that must be
 * refused, each with the reason the user sees; the rest pin what each
 * accepted form becomes in the struct bw_sock the diagnosis compares.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <cmocka.h>
#include "bindspec.h"
#include "hostport.h"

#define UNTOUCHED_UID 4242

static void assert_parsed_all(const char *arg, bool all_expected, int family, const char *addr,
			      unsigned int port, int protocol)
{
	struct bw_sock s = { .uid = UNTOUCHED_UID };
	__u8 want[sizeof(s.addr)] = { 0 };
	const char *why = NULL;
	bool all = !all_expected;

	assert_int_equal(bindspec_parse(arg, &s, &all, &why), 0);
	assert_null(why);
	assert_int_equal(all, all_expected);
	assert_int_equal(s.family, family);
	assert_int_equal(inet_pton(family, addr, want), 1);
	assert_memory_equal(s.addr, want, sizeof(want));
	assert_int_equal(s.port, port);
	assert_int_equal(s.protocol, protocol);
	assert_int_equal(s.type, protocol == IPPROTO_UDP ? SOCK_DGRAM : SOCK_STREAM);
	assert_int_equal(s.uid, UNTOUCHED_UID); /* options are the caller's */
}

static void assert_parsed(const char *arg, int family, const char *addr, unsigned int port,
			  int protocol)
{
	assert_parsed_all(arg, false, family, addr, port, protocol);
}

static void assert_refused(const char *arg, const char *why_expected)
{
	struct bw_sock s = { 0 };
	const char *why = NULL;
	bool all;

	assert_int_equal(bindspec_parse(arg, &s, &all, &why), -EINVAL);
	assert_non_null(why);
	assert_string_equal(why, why_expected);
}

static void test_port_alone_is_ipv4_wildcard_tcp(void **state)
{
	(void)state;
	assert_parsed("8080", AF_INET, "0.0.0.0", 8080, IPPROTO_TCP);
	assert_parsed("1", AF_INET, "0.0.0.0", 1, IPPROTO_TCP);
	assert_parsed("65535/udp", AF_INET, "0.0.0.0", 65535, IPPROTO_UDP);
}

static void test_ipv4_address(void **state)
{
	(void)state;
	assert_parsed("127.0.0.1:8080", AF_INET, "127.0.0.1", 8080, IPPROTO_TCP);
	assert_parsed("10.1.2.3:53/udp", AF_INET, "10.1.2.3", 53, IPPROTO_UDP);
	assert_parsed("0.0.0.0:80/tcp", AF_INET, "0.0.0.0", 80, IPPROTO_TCP);
}

static void test_ipv6_in_brackets(void **state)
{
	(void)state;
	assert_parsed("[::]:8080", AF_INET6, "::", 8080, IPPROTO_TCP);
	assert_parsed("[::1]:443/tcp", AF_INET6, "::1", 443, IPPROTO_TCP);
	assert_parsed("[::ffff:127.0.0.1]:53/udp", AF_INET6, "::ffff:127.0.0.1", 53, IPPROTO_UDP);
}

/* haproxy's `bind :80`: every address, answered as 0.0.0.0 and [::] by the caller */
static void test_colon_port_is_every_address(void **state)
{
	(void)state;
	assert_parsed_all(":8080", true, AF_INET, "0.0.0.0", 8080, IPPROTO_TCP);
	assert_parsed_all(":53/udp", true, AF_INET, "0.0.0.0", 53, IPPROTO_UDP);
	assert_parsed_all(":65535/tcp", true, AF_INET, "0.0.0.0", 65535, IPPROTO_TCP);
}

static void test_refused(void **state)
{
	(void)state;
	assert_refused("", "expected a port from 1 to 65535");
	assert_refused("0", "expected a port from 1 to 65535");
	assert_refused("65536", "expected a port from 1 to 65535");
	assert_refused("80x", "expected a port from 1 to 65535");
	assert_refused("127.0.0.1:", "expected a port from 1 to 65535");
	assert_refused("8080/", "expected /tcp or /udp after the port");
	assert_refused("8080/sctp", "expected /tcp or /udp after the port");
	assert_refused("8080/tcp/udp", "expected /tcp or /udp after the port");
	assert_refused("::1:8080", "IPv6 addresses go in brackets, e.g. [::1]:8080");
	assert_refused("localhost:8080",
		       "expected an IPv4 address before the colon, e.g. 127.0.0.1:8080");
	assert_refused("127.1:8080",
		       "expected an IPv4 address before the colon, e.g. 127.0.0.1:8080");
	assert_refused("[::1]8080", "expected [IPv6]:PORT, e.g. [::]:8080");
	assert_refused("[::1]:", "expected a port from 1 to 65535");
	assert_refused("[::1", "expected [IPv6]:PORT, e.g. [::]:8080");
	assert_refused("[127.0.0.1]:80", "expected an IPv6 address in brackets, e.g. [::1]:8080");
	assert_refused("[::1]/tcp", "expected [IPv6]:PORT, e.g. [::]:8080");
	assert_refused(":", "expected a port from 1 to 65535");
	assert_refused(":0", "expected a port from 1 to 65535");
	assert_refused(":/tcp", "expected a port from 1 to 65535");
	assert_refused("::8080", "IPv6 addresses go in brackets, e.g. [::1]:8080");
	assert_refused(":8080/sctp", "expected /tcp or /udp after the port");
	assert_refused("[]:8080", "expected an IPv6 address in brackets, e.g. [::1]:8080");
	assert_refused("[:8080", "expected [IPv6]:PORT, e.g. [::]:8080");
	assert_refused(" :8080", "expected an IPv4 address before the colon, e.g. 127.0.0.1:8080");
	assert_refused(": 8080", "expected a port from 1 to 65535");
}

/* hostport_parse() on its own: what each form is, for who and --metrics. */
static void assert_hostport(const char *text, enum hostport_kind kind, int family,
			    const char *addr, unsigned int port)
{
	uint8_t want[HOSTPORT_ADDR_LEN] = { 0 };
	struct hostport hp;
	const char *why = NULL;

	memset(&hp, 0xa5, sizeof(hp)); /* every field is set, whatever was there */
	assert_int_equal(hostport_parse(text, strlen(text), &hp, &why), 0);
	assert_null(why);
	assert_int_equal(hp.kind, kind);
	assert_int_equal(hp.family, family);
	if (addr)
		assert_int_equal(inet_pton(family, addr, want), 1);
	assert_memory_equal(hp.addr, want, sizeof(want));
	assert_int_equal(hp.port, port);
}

static void test_hostport_kinds(void **state)
{
	(void)state;
	assert_hostport("9464", HOSTPORT_DEFAULT, 0, NULL, 9464);
	assert_hostport(":9464", HOSTPORT_ALL, 0, NULL, 9464);
	assert_hostport("0.0.0.0:9464", HOSTPORT_GIVEN, AF_INET, "0.0.0.0", 9464);
	assert_hostport("[::]:9464", HOSTPORT_GIVEN, AF_INET6, "::", 9464);
	assert_hostport("[::1]:1", HOSTPORT_GIVEN, AF_INET6, "::1", 1);
}

/* Only s[0..n) is read: bindspec hands over the text before "/tcp". */
static void test_hostport_reads_only_n(void **state)
{
	struct hostport hp;
	const char *why = NULL;

	(void)state;
	assert_int_equal(hostport_parse(":80/tcp", strlen(":80"), &hp, &why), 0);
	assert_int_equal(hp.port, 80);
	assert_int_equal(hostport_parse("8080", 0, &hp, &why), -EINVAL);
	assert_string_equal(why, "expected a port from 1 to 65535");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_port_alone_is_ipv4_wildcard_tcp),
		cmocka_unit_test(test_ipv4_address),
		cmocka_unit_test(test_ipv6_in_brackets),
		cmocka_unit_test(test_colon_port_is_every_address),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_hostport_kinds),
		cmocka_unit_test(test_hostport_reads_only_n),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
