/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cmd.h - bindwatch's commands, one file each in cmd/, dispatched by the
 * table in main.c.  Each takes the arguments from its own name on
 * (argv[0] is "who", "check", ...; the monitor's is the program's) and
 * returns the process's exit status (exitcode.h).  Each --help names the
 * command's manual page.
 */
#ifndef BW_CMD_H
#define BW_CMD_H

/* bindwatch [OPTIONS]: the monitor, until SIGINT or SIGTERM (monitor.c). */
int cmd_monitor(int argc, char **argv);

/* bindwatch who PORT ...: who holds a port now (who.c). */
int cmd_who(int argc, char **argv);

/* bindwatch check|wait [ADDR:]PORT ...: would a bind() succeed now (check.c). */
int cmd_check(int argc, char **argv);

/* bindwatch check-policy FILE [--replay LOG]: a policy file, read (check_policy.c). */
int cmd_check_policy(int argc, char **argv);

#endif /* BW_CMD_H */
