/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * usage.h - how every command says it was called wrongly: one line on
 * stderr naming the word at fault and what was expected, ending with
 * where to read more ("; see bindwatch-check(8) or --help"), then exit
 * EXIT_USAGE.  A deploy log gets the line, not the whole help.
 */
#ifndef BW_USAGE_H
#define BW_USAGE_H

#include <getopt.h>

/* The optstring prefix that has getopt_long() report nothing itself. */
#define USAGE_GETOPT_QUIET ":"

/* "bindwatch: MESSAGE; see PAGE or --help" on stderr. */
__attribute__((format(printf, 2, 3)))
void usage_error(const char *page, const char *fmt, ...);

/*
 * getopt_long()'s '?' or ':' (called with opterr 0 and an optstring that
 * starts with USAGE_GETOPT_QUIET), said as usage_error() says it: the word
 * of argv at fault, prefixed with "cmd: " unless cmd is NULL.
 */
void usage_bad_option(const char *page, const char *cmd, int c, char *const argv[],
		      const struct option *opts);

#endif /* BW_USAGE_H */
