// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bindspec.c - "127.0.0.1:8080/tcp" to the struct bw_sock the kernel would
 * have captured for that bind().
 *
 * It owns what a bind target means (the address syntax is hostport.c's);
 * it must not look anything up.
 *
 * No address is 0.0.0.0, as it always was; ":PORT" is every address, which
 * a caller answers for as two binds, 0.0.0.0 and [::].  No libbpf:
 * unit-tested without root.
 */
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "bindspec.h"
#include "hostport.h"

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

int bindspec_parse(const char *arg, struct bw_sock *s, bool *all, const char **why)
{
	const char *slash = strchr(arg, '/');
	struct hostport hp;
	int err;

	_Static_assert(sizeof(hp.addr) == sizeof(s->addr), "an address fits either way");
	err = parse_proto(slash ? slash + 1 : NULL, s, why);
	if (!err)
		err = hostport_parse(arg, slash ? (size_t)(slash - arg) : strlen(arg), &hp, why);
	if (err)
		return err;
	s->family = hp.kind == HOSTPORT_GIVEN ? hp.family : AF_INET;
	memcpy(s->addr, hp.addr, sizeof(s->addr));
	s->port = hp.port;
	*all = hp.kind == HOSTPORT_ALL;
	return 0;
}
