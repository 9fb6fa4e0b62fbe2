// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * duration.c - parse "250ms", "5s", "10m", "1h", "2d".
 *
 * It owns the duration syntax; it must know nothing of conflicts.
 *
 * A unit is required (except for a plain "0"): a bare "5" reads as seconds
 * to one person and milliseconds to the next, and a grace period or a window that is off by
 * a factor of 1000 is a bug nobody notices until it matters.  Digits are
 * accumulated with a cap, so nothing wraps around.
 */
#include <errno.h>
#include <string.h>
#include "duration.h"

static const struct {
	const char *name;
	uint64_t ms;
} units[] = {
	{ "ms", 1 },
	{ "s", 1000 },
	{ "m", 60 * 1000 },
	{ "h", 3600 * 1000 },
	{ "d", 24 * 3600 * 1000 },
};

int duration_parse(const char *s, size_t n, uint64_t *ms)
{
	uint64_t v = 0;
	size_t i, digits;

	for (digits = 0; digits < n && s[digits] >= '0' && s[digits] <= '9'; digits++) {
		if (v <= DURATION_MAX_MS) /* stop growing: no wrap-around */
			v = v * 10 + (uint64_t)(s[digits] - '0');
	}
	if (!digits)
		return -EINVAL;
	if (digits == n && !v) {
		*ms = 0;
		return 0;
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (n - digits == strlen(units[i].name) &&
		    !memcmp(s + digits, units[i].name, n - digits)) {
			if (v > DURATION_MAX_MS / units[i].ms)
				return -ERANGE;
			*ms = v * units[i].ms;
			return 0;
		}
	}
	return -EINVAL;
}
