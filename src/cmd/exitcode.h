/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * exitcode.h - what bindwatch's exit status tells a script, the same for
 * every command: 0 and 1 are each command's answer (or EXIT_SUCCESS and
 * EXIT_FAILURE, "could not run"), 2 is bad usage, 3 "could not look".
 */
#ifndef BW_EXITCODE_H
#define BW_EXITCODE_H

#define EXIT_USAGE 2   /* bad usage: said on stderr, nothing done */
#define EXIT_UNKNOWN 3 /* could not look: a script must not read it as "free" */

/* who */
#define EXIT_HELD 0
#define EXIT_NOT_HELD 1

/* check and wait */
#define EXIT_FREE 0
#define EXIT_BUSY 1 /* also: wait's timeout ended first */

#endif /* BW_EXITCODE_H */
