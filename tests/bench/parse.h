/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * parse.h - the command-line number parsing the benchmark programs share.
 */
#ifndef BW_BENCH_PARSE_H
#define BW_BENCH_PARSE_H

#include <errno.h>
#include <stdlib.h>

#define DECIMAL 10

/* s as a whole decimal number in [min, max] into *out: 0, or -1. */
static inline int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, DECIMAL);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

#endif /* BW_BENCH_PARSE_H */
