// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bindspec.c - "127.0.0.1:8080/tcp" to the struct bw_sock the kernel would
 * have captured for that bind().
 *
 * It owns the syntax of a bind target; it must not look anything up.
 *
 * IPv6 addresses go in brackets, as in a URL, so that "::1:8080" is never
 * read two ways; an IPv4 address is dotted, never a hostname (a name may
 * resolve to several addresses, and check answers for one bind()).  No
 * libbpf: unit-tested without root.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "bindspec.h"
#include "portlist.h"

/* Longest address text between the brackets or before the colon, plus NUL. */
#define ADDR_TEXT_LEN INET6_ADDRSTRLEN

static int parse_proto(const char *p, struct bw_sock *s, const char **why)
{
	if (!p || !strcmp(p, "tcp")) {
		s->type = SOCK_STREAM;
		s->protocol = IPPROTO_TCP;
	} else if (!strcmp(p, "udp")) {
		s->type = SOCK_DGRAM;
		s->protocol = IPPROTO_UDP;
	} else {
		*why = "expected /tcp or /udp after the port";
		return -EINVAL;
	}
	return 0;
}

/* addr[0..n) as an address of family into s. */
static int parse_addr(const char *addr, size_t n, int family, struct bw_sock *s,
		      const char **why)
{
	char text[ADDR_TEXT_LEN];

	memset(s->addr, 0, sizeof(s->addr));
	s->family = family;
	if (n >= sizeof(text))
		goto bad;
	memcpy(text, addr, n);
	text[n] = '\0';
	if (inet_pton(family, text, s->addr) == 1)
		return 0;
bad:
	*why = family == AF_INET6 ? "expected an IPv6 address in brackets, e.g. [::1]:8080"
				  : "expected an IPv4 address before the colon, e.g. 127.0.0.1:8080";
	return -EINVAL;
}

int bindspec_parse(const char *arg, struct bw_sock *s, const char **why)
{
	const char *slash = strchr(arg, '/'), *colon, *port;
	size_t end = slash ? (size_t)(slash - arg) : strlen(arg);
	unsigned int p;
	int err;

	err = parse_proto(slash ? slash + 1 : NULL, s, why);
	if (err)
		return err;
	if (arg[0] == '[') {
		const char *close = memchr(arg, ']', end);

		if (!close || close + 1 == arg + end || close[1] != ':') {
			*why = "expected [IPv6]:PORT, e.g. [::]:8080";
			return -EINVAL;
		}
		err = parse_addr(arg + 1, close - arg - 1, AF_INET6, s, why);
		port = close + 2;
	} else if ((colon = memchr(arg, ':', end))) {
		if (memchr(colon + 1, ':', arg + end - colon - 1)) {
			*why = "IPv6 addresses go in brackets, e.g. [::1]:8080";
			return -EINVAL;
		}
		err = parse_addr(arg, colon - arg, AF_INET, s, why);
		port = colon + 1;
	} else {
		err = parse_addr("0.0.0.0", strlen("0.0.0.0"), AF_INET, s, why);
		port = arg;
	}
	if (err)
		return err;
	if (portlist_port(port, arg + end - port, &p)) {
		*why = "expected a port from 1 to 65535";
		return -EINVAL;
	}
	s->port = p;
	return 0;
}
