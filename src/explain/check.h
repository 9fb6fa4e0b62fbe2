/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * check.h - "would this bind() succeed now, and if not, who is in the
 * way?": a call that has not been made, diagnosed as a failed one is.
 */
#ifndef BW_CHECK_H
#define BW_CHECK_H

#include <stdbool.h>
#include "event.h"
#include "holders.h"

struct check_answer {
	struct bw_event ev;      /* the intended call, as the kernel would capture it */
	struct diagnosis diag;   /* what blocks it: free when diag.n is 0 */
	bool reuseaddr_frees;    /* busy, but SO_REUSEADDR on the new socket would do */
};

/*
 * The ifindex of device dev in the network namespace open as netns_fd (-1:
 * bindwatch's own).  0, -ENODEV when it has none of that name, or -errno.
 */
int check_dev_index(const char *dev, int netns_fd, __s32 *ifindex);

/*
 * Diagnose a bind() of sock (address, port, protocol, options, owner uid,
 * device and namespace inode set) in the namespace open as netns_fd (-1:
 * bindwatch's own) against the sockets on the port now.  a is always
 * filled; 0 or the lookup's -errno (then the answer means nothing).
 */
int check_run(struct holders *h, const struct bw_sock *sock, bool listen, int netns_fd,
	      struct check_answer *a);
void check_answer_free(struct check_answer *a);

#endif /* BW_CHECK_H */
