/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * duration.h - durations as people write them: "250ms", "5s", "10m", "1h",
 * "2d", for the policy file and, with plain seconds too ("5"), for every
 * option that takes a DURATION.
 */
#ifndef BW_DURATION_H
#define BW_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define DURATION_MAX_MS (365ULL * 24 * 3600 * 1000) /* a year */
#define DURATION_EXPECTED "a number followed by ms, s, m, h or d"
#define DURATION_ARG_EXPECTED "seconds or a duration (5, 5s, 250ms, 2m)"

/*
 * s[0..n) as decimal digits and one unit (ms, s, m, h, d), or a plain
 * "0", into *ms.  0, -ERANGE for more than DURATION_MAX_MS, or -EINVAL (no
 * digits, no or an unknown unit, a sign, blanks).
 */
int duration_parse(const char *s, size_t n, uint64_t *ms);

/*
 * A command-line value, NUL-terminated: plain digits are seconds ("5" is
 * 5000 ms), anything else is read as duration_parse() reads it.  The same
 * returns.
 */
int duration_parse_arg(const char *s, uint64_t *ms);

#endif /* BW_DURATION_H */
