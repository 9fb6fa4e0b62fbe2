// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * usage.c - usage errors in one line, the same for every command.
 *
 * It owns the wording of "you called me wrongly"; it must not parse any
 * command's options (each command's file does).
 *
 * getopt_long()'s own messages name the program by argv[0] and come
 * before ours on a line of their own; they are silenced and said here, in
 * bindwatch's form, from what getopt_long() leaves behind: optind is past
 * a long option at fault, optopt is a short one.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "log.h"
#include "usage.h"

#define USAGE_MSG_LEN 512

void usage_error(const char *page, const char *fmt, ...)
{
	char msg[USAGE_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	warn("%s; see %s or --help", msg, page);
}

/* Whether "--name" (n bytes, dashes included) is one of opts taking no value. */
static int takes_no_value(const struct option *opts, const char *name, size_t n)
{
	for (; opts->name; opts++)
		if (strlen(opts->name) == n - 2 && !memcmp(opts->name, name + 2, n - 2))
			return opts->has_arg == no_argument;
	return 0;
}

void usage_bad_option(const char *page, const char *cmd, int c, char *const argv[],
		      const struct option *opts)
{
	const char *word = optind > 0 ? argv[optind - 1] : "", *eq;
	const char *sep = cmd ? ": " : "";
	char shortopt[] = { '-', (char)optopt, '\0' };

	if (cmd == NULL)
		cmd = "";
	if (strncmp(word, "--", 2))
		word = optopt ? shortopt : word; /* a short option, maybe within "-vx" */
	eq = strchr(word, '=');
	if (c == ':')
		usage_error(page, "%s%s%s needs a value", cmd, sep, word);
	else if (eq && takes_no_value(opts, word, eq - word))
		usage_error(page, "%s%s%.*s takes no value", cmd, sep, (int)(eq - word), word);
	else
		usage_error(page, "%s%sunknown option '%s'", cmd, sep, word);
}
