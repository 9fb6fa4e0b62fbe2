/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check_cmd.h - `bindwatch check` and `bindwatch wait`: would a bind()
 * succeed now, and waiting until it would, for deploy scripts and
 * ExecStartPre=.
 */
#ifndef BW_CHECK_CMD_H
#define BW_CHECK_CMD_H

/* argv[0] is "check" or "wait".  Returns the exit status: 0 free, 1 busy, 2 usage, 3 unknown. */
int check_main(int argc, char **argv);

#endif /* BW_CHECK_CMD_H */
