// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * duration.c - parse "250ms", "5s", "10m", "1h", "2d".
 *
 * It owns the duration syntax; it must know nothing of conflicts.
 *
 * In the policy file a unit is required (except for a plain "0"): a bare
 * "5" reads as seconds to one person and milliseconds to the next, and a
 * grace period that is off by a factor of 1000 is a bug nobody notices
 * until it matters.  On the command line a bare number is seconds, as
 * timeout(1), sleep(1) and every deploy script's `--timeout 5` mean it:
 * there a value is typed where it is used, and refusing the common form
 * costs a failed deploy.  Digits are accumulated with a cap, so nothing
 * wraps around.
 */
#include <errno.h>
#include <string.h>
#include "duration.h"
#include "util.h"

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

/* The digits at s[0..n) into *v (capped, never wrapped): how many there are. */
static size_t leading_digits(const char *s, size_t n, uint64_t *v)
{
	size_t digits;

	*v = 0;
	for (digits = 0; digits < n && s[digits] >= '0' && s[digits] <= '9'; digits++) {
		if (*v <= DURATION_MAX_MS) /* stop growing: no wrap-around */
			*v = *v * 10 + (uint64_t)(s[digits] - '0');
	}
	return digits;
}

int duration_parse(const char *s, size_t n, uint64_t *ms)
{
	uint64_t v;
	size_t i, digits = leading_digits(s, n, &v);

	if (!digits)
		return -EINVAL;
	if (digits == n && !v) {
		*ms = 0;
		return 0;
	}
	for (i = 0; i < ARRAY_SIZE(units); i++) {
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

int duration_parse_arg(const char *s, uint64_t *ms)
{
	size_t n = strlen(s);
	uint64_t v;

	if (!n || leading_digits(s, n, &v) != n)
		return duration_parse(s, n, ms);
	if (v > DURATION_MAX_MS / MSEC_PER_SEC)
		return -ERANGE;
	*ms = v * MSEC_PER_SEC;
	return 0;
}
