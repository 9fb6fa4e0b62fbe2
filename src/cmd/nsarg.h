/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * nsarg.h - the network namespace a one-shot command (who, check, wait)
 * looks in: --netns PATH (or NAME in /run/netns, or PID) or --pid PID.
 */
#ifndef BW_NSARG_H
#define BW_NSARG_H

#include <linux/types.h>

/*
 * Open the namespace that path (--netns: a path, a name of `ip netns`, or
 * a process id) or pid (--pid) names, at most one
 * of them set: *fd is -1 when neither is (bindwatch's own), else an open
 * fd of it with *ino its inode.  0, -EINVAL for a bad argument (a usage
 * error, said pointing to the manual page), or another -errno; warns
 * prefixed with cmd.
 */
int nsarg_open(const char *cmd, const char *page, const char *path, const char *pid, int *fd,
	       __u32 *ino);

#endif /* BW_NSARG_H */
