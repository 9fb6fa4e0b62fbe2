/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bindspec.h - the address of a bind() a caller intends, as written on the
 * command line of `bindwatch check` and `wait`: [[ADDR]:]PORT[/tcp|/udp].
 */
#ifndef BW_BINDSPEC_H
#define BW_BINDSPEC_H

#include <stdbool.h>
#include <linux/types.h>
#include "bindwatch.h"

#define BINDSPEC_EXPECTED \
	"[[ADDR]:]PORT[/tcp|/udp]: 8080, :8080, 127.0.0.1:8080, [::]:8080/udp, port 1 to 65535"

/*
 * Parse arg into s's family, type, protocol, address and port (the other
 * fields are left as they are).  No ADDR: 0.0.0.0; "[::]:PORT" is IPv6;
 * ":PORT" is every address: s is 0.0.0.0 and *all is set (the caller
 * answers for [::] too).  No protocol: TCP.  0, or -EINVAL with *why
 * saying what was expected.
 */
int bindspec_parse(const char *arg, struct bw_sock *s, bool *all, const char **why);

#endif /* BW_BINDSPEC_H */
