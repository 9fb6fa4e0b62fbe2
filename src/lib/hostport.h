/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hostport.h - an address and port as written on the command line:
 * "PORT", ":PORT", "ADDR:PORT" or "[ADDR6]:PORT", for check's and wait's
 * target and --metrics.
 */
#ifndef BW_HOSTPORT_H
#define BW_HOSTPORT_H

#include <stddef.h>
#include <stdint.h>

#define HOSTPORT_ADDR_LEN 16 /* an IPv6 address; an IPv4 one fills the first 4 bytes */

enum hostport_kind {
	HOSTPORT_DEFAULT, /* "PORT": the address the command defaults to */
	HOSTPORT_ALL,     /* ":PORT": every address, IPv4 and IPv6 */
	HOSTPORT_GIVEN,   /* "ADDR:PORT", "[ADDR6]:PORT": that address */
};

struct hostport {
	enum hostport_kind kind;
	int family;                       /* AF_INET or AF_INET6; 0 unless GIVEN */
	uint8_t addr[HOSTPORT_ADDR_LEN];  /* zeros unless GIVEN */
	unsigned int port;                /* 1 to 65535 */
};

/*
 * s[0..n) into hp.  An IPv4 address is dotted, never a name; an IPv6 one
 * goes in brackets, so that "::1:8080" is never read two ways.  0, or
 * -EINVAL with *why saying what was expected.
 */
int hostport_parse(const char *s, size_t n, struct hostport *hp, const char **why);

#endif /* BW_HOSTPORT_H */
