/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * checkpolicy.h - bindwatch check-policy FILE [--replay LOG [--json]]:
 * check a policy file, and replay a log's conflicts against it.
 */
#ifndef BW_CHECKPOLICY_H
#define BW_CHECKPOLICY_H

/* argv[0] is "check-policy"; returns the exit status. */
int check_policy(int argc, char **argv);

#endif /* BW_CHECKPOLICY_H */
