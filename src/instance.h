/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * instance.h - one monitor per host at a time.
 */
#ifndef BW_INSTANCE_H
#define BW_INSTANCE_H

#define INSTANCE_LOCK_PATH "/run/bindwatch.lock"

/*
 * Take the host's monitor lock at path: an fd to keep open for as long as
 * the monitor runs (the kernel drops the lock when it closes, at exit or
 * SIGKILL alike), or -EBUSY when another monitor holds it, -errno when the
 * lock file cannot be used (each reported, naming the path).
 */
int instance_lock(const char *path);

#endif /* BW_INSTANCE_H */
