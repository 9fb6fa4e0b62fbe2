/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * notify.h - tell a service manager that bindwatch is ready (sd_notify).
 */
#ifndef BW_NOTIFY_H
#define BW_NOTIFY_H

/*
 * Send state (e.g. "READY=1") to $NOTIFY_SOCKET.  0 when sent or when the
 * variable is unset (not started by a service manager), else -errno.
 */
int notify_send(const char *state);

#endif /* BW_NOTIFY_H */
