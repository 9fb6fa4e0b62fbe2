// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * log.c - warn(), note() and the libbpf log hook.
 *
 * It owns bindwatch's own messages on stderr; it must never carry records.
 *
 * libbpf prints warnings when a probe by trying fails (an fexit program the
 * kernel refuses, say), which is expected and handled; showing them by
 * default would read like an error.  bindwatch reports what matters in its
 * own words and leaves libbpf's detail, and its own (note()), to -v.
 */
#include <stdarg.h>
#include <stdio.h>
#include <bpf/libbpf.h>
#include "log.h"

static bool verbose;

static void say(const char *fmt, va_list ap)
{
	fputs("bindwatch: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

void note(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	va_start(ap, fmt);
	say(fmt, ap);
	va_end(ap);
}

static int libbpf_verbose(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

static int libbpf_quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

void log_setup_libbpf(bool on)
{
	verbose = on;
	libbpf_set_print(on ? libbpf_verbose : libbpf_quiet);
}
