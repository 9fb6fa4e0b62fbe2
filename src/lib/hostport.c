// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hostport.c - "127.0.0.1:8080", "[::1]:8080", ":8080", "8080".
 *
 * It owns the syntax of an address and port on the command line, shared
 * by every option and argument that takes one; it must not decide what a
 * missing address means (each caller's default) nor look anything up.
 *
 * ":PORT" with nothing before the colon is every address, the form a
 * service's configuration gives it in (haproxy's `bind :80`, Go's
 * ":9464"), of both families, so an answer never misses one; each caller
 * says how it binds or checks every address.  A hostname is refused: it may resolve to several
 * addresses, and the answer would be for one of them.
 */
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include "hostport.h"
#include "portlist.h"

/* addr[0..n) as an address of family into hp. */
static int parse_addr(const char *addr, size_t n, int family, struct hostport *hp,
		      const char **why)
{
	char text[INET6_ADDRSTRLEN];

	if (n < sizeof(text)) {
		memcpy(text, addr, n);
		text[n] = '\0';
		if (inet_pton(family, text, hp->addr) == 1) {
			hp->family = family;
			hp->kind = HOSTPORT_GIVEN;
			return 0;
		}
	}
	*why = family == AF_INET6 ? "expected an IPv6 address in brackets, e.g. [::1]:8080"
				  : "expected an IPv4 address before the colon, e.g. 127.0.0.1:8080";
	return -EINVAL;
}

/* s[0..n) up to the port: the address part, and where the port starts. */
static int parse_host(const char *s, size_t n, struct hostport *hp, const char **port,
		      const char **why)
{
	const char *colon = memchr(s, ':', n), *close;

	if (n && s[0] == '[') {
		close = memchr(s, ']', n);
		if (!close || close + 1 == s + n || close[1] != ':') {
			*why = "expected [IPv6]:PORT, e.g. [::]:8080";
			return -EINVAL;
		}
		*port = close + 2;
		return parse_addr(s + 1, close - s - 1, AF_INET6, hp, why);
	}
	*port = colon ? colon + 1 : s;
	if (colon && memchr(colon + 1, ':', s + n - colon - 1)) {
		*why = "IPv6 addresses go in brackets, e.g. [::1]:8080";
		return -EINVAL;
	}
	if (!colon || colon == s) {
		hp->kind = colon ? HOSTPORT_ALL : HOSTPORT_DEFAULT;
		return 0;
	}
	return parse_addr(s, colon - s, AF_INET, hp, why);
}

int hostport_parse(const char *s, size_t n, struct hostport *hp, const char **why)
{
	const char *port;
	int err;

	memset(hp, 0, sizeof(*hp));
	err = parse_host(s, n, hp, &port, why);
	if (err)
		return err;
	if (portlist_port(port, s + n - port, &hp->port)) {
		*why = "expected a port from 1 to 65535";
		return -EINVAL;
	}
	return 0;
}
