/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * instance.h - one monitor per host at a time.
 */
#ifndef BW_INSTANCE_H
#define BW_INSTANCE_H

#define INSTANCE_RUN_DIR "/run"                               /* made by root when missing */
#define INSTANCE_LOCK_PATH INSTANCE_RUN_DIR "/bindwatch.lock" /* a root monitor's */
#define INSTANCE_LOCK_DIR INSTANCE_RUN_DIR "/bindwatch"       /* a service's (RuntimeDirectory=) */
#define INSTANCE_LOCK_DIR_FILE INSTANCE_LOCK_DIR "/bindwatch.lock"

/*
 * Take the host's monitor lock (this monitor's own lock file, in
 * INSTANCE_LOCK_DIR when not root or when that is root's directory, and the
 * other one when it exists; a root monitor makes INSTANCE_RUN_DIR when it
 * is missing): fds[] to keep open for as long as the monitor
 * runs (the kernel drops the locks when they close, at exit or SIGKILL
 * alike).  0, -EBUSY when another monitor holds either, -errno when a lock
 * file cannot be used (each reported, naming the path).
 */
int instance_lock(int fds[2]);
void instance_unlock(const int fds[2]);

#endif /* BW_INSTANCE_H */
