// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * nsrun.c - one call inside another network namespace (nsrun.h).
 *
 * It owns the thread that enters the namespace; it must not know what the
 * call does.  setns() moves only the calling thread, and a socket or an
 * iterator keeps the namespace it was made in, so a thread that enters,
 * makes one, and ends leaves bindwatch itself where it was: the holder
 * iterators, the sock_diag socket and a device lookup all use this.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include "nsrun.h"

struct call {
	int netns_fd;
	int (*fn)(void *arg);
	void *arg;
	int result;
};

static void *call_thread(void *p)
{
	struct call *c = p;

	c->result = setns(c->netns_fd, CLONE_NEWNET) ? -errno : c->fn(c->arg);
	return NULL;
}

int nsrun(int netns_fd, int (*fn)(void *arg), void *arg)
{
	struct call c = { netns_fd, fn, arg, 0 };
	pthread_t t;
	int err;

	if (netns_fd < 0)
		return fn(arg);
	err = pthread_create(&t, NULL, call_thread, &c);
	if (err)
		return -err;
	pthread_join(t, NULL);
	return c.result;
}
