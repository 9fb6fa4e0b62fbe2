// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * portlist.c - turn --port text into the bitmap the kernel filter tests.
 *
 * It owns the port list syntax and bitmap; it must know nothing of
 * conflicts.
 *
 * The parser is strict because a port filter that silently drops or
 * misreads an entry hides the very failures the user asked to see: no
 * signs, no hex, no empty entries, no numbers that wrap around, and the
 * error quotes the entry it could not read.  Ports are collected in a
 * bitmap of their own first, so the caller's bitmap is untouched on error
 * and a port named twice is counted once.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "portlist.h"

enum {
	PORT_MIN = 1,
	PORT_MAX = 65535,
	WORD_BITS = 64,
	DECIMAL = 10,
};

#define BLANKS " \t"

enum port_err {
	PE_OK,
	PE_EMPTY,
	PE_NAN,
	PE_RANGE,
	PE_REVERSED,
};

static const char *const port_err_text[] = {
	[PE_EMPTY] = "empty entry",
	[PE_NAN] = "not a port number",
	[PE_RANGE] = "port must be 1-65535",
	[PE_REVERSED] = "range is reversed",
};

/* Parse s[0..n) as a decimal port, digits only. */
static enum port_err parse_port(const char *s, size_t n, unsigned int *port)
{
	unsigned long v = 0;
	size_t i;

	if (!n)
		return PE_NAN;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return PE_NAN;
		if (v <= PORT_MAX) /* stop growing: no wrap-around */
			v = v * DECIMAL + (unsigned long)(s[i] - '0');
	}
	if (v < PORT_MIN || v > PORT_MAX)
		return PE_RANGE;
	*port = (unsigned int)v;
	return PE_OK;
}

int portlist_port(const char *s, size_t n, unsigned int *port)
{
	return parse_port(s, n, port) == PE_OK ? 0 : -EINVAL;
}

/* Parse the entry s[0..n), "N" or "N-M", into the range [*lo, *hi]. */
static enum port_err parse_entry(const char *s, size_t n, unsigned int *lo,
				 unsigned int *hi)
{
	const char *dash = memchr(s, '-', n);
	enum port_err e;

	if (!n)
		return PE_EMPTY;
	if (!dash) {
		e = parse_port(s, n, lo);
		*hi = *lo;
		return e;
	}
	e = parse_port(s, (size_t)(dash - s), lo);
	if (e == PE_OK)
		e = parse_port(dash + 1, n - (size_t)(dash - s) - 1, hi);
	if (e == PE_OK && *lo > *hi)
		e = PE_REVERSED;
	return e;
}

/* The entry starting at tok, without surrounding blanks, as s[0..*n). */
static const char *trim_entry(const char *tok, size_t *n)
{
	const char *s = tok + strspn(tok, BLANKS);
	size_t len = strcspn(s, ",");

	while (len && strchr(BLANKS, s[len - 1]))
		len--;
	*n = len;
	return s;
}

static void set_ports(uint64_t bitmap[PORTLIST_WORDS], unsigned int lo,
		      unsigned int hi)
{
	unsigned int port;

	for (port = lo; port <= hi; port++)
		bitmap[port / WORD_BITS] |= (uint64_t)1 << (port % WORD_BITS);
}

int portlist_parse(const char *text, uint64_t bitmap[PORTLIST_WORDS],
		   char *err, size_t errlen)
{
	uint64_t found[PORTLIST_WORDS] = { 0 };
	const char *tok = text, *s;
	unsigned int lo, hi;
	enum port_err e;
	int count = 0;
	size_t i, n;

	for (;;) {
		s = trim_entry(tok, &n);
		e = parse_entry(s, n, &lo, &hi);
		if (e != PE_OK) {
			snprintf(err, errlen, "'%.*s': %s", (int)n, s,
				 port_err_text[e]);
			return -EINVAL;
		}
		set_ports(found, lo, hi);
		tok += strcspn(tok, ",");
		if (*tok == '\0')
			break;
		tok++; /* past the comma */
	}
	for (i = 0; i < PORTLIST_WORDS; i++) {
		bitmap[i] |= found[i];
		count += __builtin_popcountll(found[i]);
	}
	return count;
}
