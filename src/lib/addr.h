/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * addr.h - names for what the kernel reports as numbers: addresses,
 * protocols, address families and errno values.
 */
#ifndef BW_ADDR_H
#define BW_ADDR_H

#include <stddef.h>
#include <stdint.h>

/* Longest "[ffff:...:255.255.255.255]:65535" plus NUL. */
#define ADDR_STRLEN 56

/*
 * Format the 4 (AF_INET) or 16 (AF_INET6) bytes at addr as text, the way
 * inet_ntop() does ("127.0.0.1", "::1", "::ffff:10.0.0.1").  Returns 0,
 * -EAFNOSUPPORT for another family, or -ENOSPC when len is too small.
 */
int addr_format(char *buf, size_t len, int family, const uint8_t *addr);

/* Same with the port: "127.0.0.1:8080", "[::1]:8080". */
int addr_port_format(char *buf, size_t len, int family, const uint8_t *addr,
		     unsigned int port);

/*
 * Protocol name for the JSON "proto" key: "tcp", "udp", "udplite", "sctp",
 * "mptcp", "raw" (SOCK_RAW), or "ip-N" for anything else.  Returns buf.
 */
const char *proto_name(char *buf, size_t len, int type, int protocol);

/* "ipv4", "ipv6", or NULL for another family. */
const char *family_name(int family);

/* "stream", "dgram", "raw", "seqpacket", or NULL for another type. */
const char *socktype_name(int type);

/*
 * "EADDRINUSE" for EADDRINUSE, ...; "E<n>" in buf for unknown values,
 * 0 and negative ones (the caller negates a -errno return value).
 */
const char *errno_name(char *buf, size_t len, int err);

#endif /* BW_ADDR_H */
