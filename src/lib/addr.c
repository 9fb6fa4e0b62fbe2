// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * addr.c - names for the numbers in a struct bw_event.
 *
 * It owns number-to-name tables; it must know nothing of conflicts.
 *
 * The kernel reports families, socket types, protocols and errors as
 * numbers; records carry the names a user would search for, in the
 * spelling ss(8) and the errno(3) table use.  Unknown values still get a
 * stable name ("ip-N", "E<n>") so that a record is never dropped or
 * mislabelled because a newer kernel grew a protocol.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include "addr.h"

int addr_format(char *buf, size_t len, int family, const uint8_t *addr)
{
	if (family != AF_INET && family != AF_INET6)
		return -EAFNOSUPPORT;
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		return -errno;
	return 0;
}

int addr_port_format(char *buf, size_t len, int family, const uint8_t *addr,
		     unsigned int port)
{
	const char *fmt = family == AF_INET6 ? "[%s]:%u" : "%s:%u";
	char host[INET6_ADDRSTRLEN];
	int err, n;

	err = addr_format(host, sizeof(host), family, addr);
	if (err)
		return err;
	n = snprintf(buf, len, fmt, host, port);
	if (n < 0 || (size_t)n >= len)
		return -ENOSPC;
	return 0;
}

/* A name for protocol 0, which means "the default for this type". */
static const char *default_proto_name(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "tcp";
	case SOCK_DGRAM:
		return "udp";
	default:
		return NULL;
	}
}

static const char *known_proto_name(int type, int protocol)
{
	if (type == SOCK_RAW)
		return "raw";
	switch (protocol) {
	case IPPROTO_IP:
		return default_proto_name(type);
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_UDPLITE:
		return "udplite";
	case IPPROTO_SCTP:
		return "sctp";
	case IPPROTO_MPTCP:
		return "mptcp";
	default:
		return NULL;
	}
}

const char *proto_name(char *buf, size_t len, int type, int protocol)
{
	const char *name = known_proto_name(type, protocol);

	if (name)
		snprintf(buf, len, "%s", name);
	else
		snprintf(buf, len, "ip-%d", protocol);
	return buf;
}

const char *family_name(int family)
{
	switch (family) {
	case AF_INET:
		return "ipv4";
	case AF_INET6:
		return "ipv6";
	default:
		return NULL;
	}
}

const char *socktype_name(int type)
{
	switch (type) {
	case SOCK_STREAM:
		return "stream";
	case SOCK_DGRAM:
		return "dgram";
	case SOCK_RAW:
		return "raw";
	case SOCK_SEQPACKET:
		return "seqpacket";
	default:
		return NULL;
	}
}

const char *errno_name(char *buf, size_t len, int err)
{
	/* glibc names 0 "0"; keep every answer in the "E..." form */
	const char *name = err > 0 ? strerrorname_np(err) : NULL;

	if (name)
		return name;
	snprintf(buf, len, "E%d", err);
	return buf;
}
