/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * program.h - whether a hook's program can be run: --exec's and a policy
 * rule's exec are both refused at start when it cannot, rather than at
 * the first conflict.
 */
#ifndef BW_PROGRAM_H
#define BW_PROGRAM_H

/*
 * Find prog as posix_spawnp() will: a path when it holds a '/', else the
 * first runnable one in $PATH (/bin:/usr/bin without one).  0 when it is
 * a regular file this process may execute; -ENOENT when there is no such
 * program, -EACCES (or another -errno of stat(2) or access(2)) when it is
 * there but not runnable, -ENOMEM.
 */
int program_find(const char *prog);

/* What program_find()'s err says: "no such program", "not an executable file", ... */
const char *program_error(int err);

#endif /* BW_PROGRAM_H */
