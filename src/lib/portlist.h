/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * portlist.h - parse port lists such as "80,443,8000-8099" into a bitmap.
 *
 * The bitmap has one bit per port (65536 bits as 1024 64-bit words, bit
 * (port % 64) of word (port / 64)) and is handed to the kernel as is, so the
 * port filter costs one load and one test per bind().
 */
#ifndef BW_PORTLIST_H
#define BW_PORTLIST_H

#include <stddef.h>
#include <stdint.h>

#define PORTLIST_WORDS (65536 / 64)

/*
 * Parse text (comma-separated ports "N" and inclusive ranges "N-M",
 * 1 <= N <= M <= 65535, optional blanks around tokens) and OR the ports
 * into bitmap.  Returns the number of distinct ports in text (>= 1) or
 * -EINVAL; on error bitmap is left unchanged and err (of size errlen)
 * names the offending token and what was expected, e.g. "'70000': port
 * must be 1-65535", "'90-80': range is reversed", "'': empty entry",
 * "'http': not a port number".
 */
int portlist_parse(const char *text, uint64_t bitmap[PORTLIST_WORDS],
		   char *err, size_t errlen);

/* s[0..n) as one port, decimal digits only, 1-65535: 0 or -EINVAL. */
int portlist_port(const char *s, size_t n, unsigned int *port);

static inline int portlist_has(const uint64_t bitmap[PORTLIST_WORDS],
			       unsigned int port)
{
	return port < 65536 && (bitmap[port / 64] >> (port % 64)) & 1;
}

#endif /* BW_PORTLIST_H */
