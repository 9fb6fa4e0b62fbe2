/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * nsrun.h - run one call inside another network namespace.  It owns the
 * short-lived thread that enters the namespace; it must not keep anything
 * open there or move the rest of the process.
 */
#ifndef BW_NSRUN_H
#define BW_NSRUN_H

/*
 * fn(arg) in the network namespace open as netns_fd (-1: this one, called
 * directly), from a thread of its own that enters it with setns(): a
 * socket or file fn creates belongs to that namespace, and every other
 * thread stays where it is.  fn's result (0, an fd or -errno), or -errno
 * when the thread could not start or enter the namespace.
 */
int nsrun(int netns_fd, int (*fn)(void *arg), void *arg);

#endif /* BW_NSRUN_H */
