/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * duration.h - durations as people write them: "250ms", "5s", "10m", "1h",
 * "2d", for --window and the policy file.
 */
#ifndef BW_DURATION_H
#define BW_DURATION_H

#include <stddef.h>
#include <stdint.h>

#define DURATION_MAX_MS (365ULL * 24 * 3600 * 1000) /* a year */
#define DURATION_EXPECTED "a number followed by ms, s, m, h or d"

/*
 * s[0..n) as decimal digits and one unit (ms, s, m, h, d), or a plain
 * "0", into *ms.  0, -ERANGE for more than DURATION_MAX_MS, or -EINVAL (no
 * digits, no or an unknown unit, a sign, blanks).
 */
int duration_parse(const char *s, size_t n, uint64_t *ms);

#endif /* BW_DURATION_H */
