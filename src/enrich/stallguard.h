/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * stallguard.h - reads that another process can make block, bounded in time.
 */
#ifndef BW_STALLGUARD_H
#define BW_STALLGUARD_H

#include <stddef.h>

#define STALLGUARD_WAIT_MS 100 /* the longest a read is waited for */
#define STALLGUARD_STUCK_MAX 4 /* reads left blocked before no more are tried */

/*
 * Read up to max bytes of fd (taken: it is closed) into a new
 * NUL-terminated buffer of *lenp bytes, waiting at most wait_ms.  NULL
 * with *err: -ETIMEDOUT when the read did not finish in time (it is left
 * to finish, or not, on its own; its result is dropped), -EAGAIN when
 * STALLGUARD_STUCK_MAX reads are stuck already, so none is tried, -ENOMEM,
 * or the read's -errno.  Safe to call from several threads.
 */
char *stallguard_read(int fd, size_t max, unsigned int wait_ms, size_t *lenp, int *err);

/* Reads abandoned so far, for the caller to report. */
unsigned int stallguard_stuck(void);

#endif /* BW_STALLGUARD_H */
