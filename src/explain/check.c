// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check.c - diagnose a bind() before it is made.
 *
 * It owns the synthetic request and what the answer adds to a diagnosis;
 * it must not print (check_cmd.c does) or decide anything.
 *
 * The intended call becomes the struct bw_event the capture programs would
 * have written for it, and goes through the same diagnosis as a live
 * conflict (diagnose.c, conflict.c): the same sockets, the same kernel
 * rules, so "check says free" and "the monitor would name no holder" can
 * never disagree.  The answer holds only at the moment of the lookup; a
 * caller that needs the port must still handle EADDRINUSE.
 *
 * listen() re-checks the port against the same rules as bind(), and the
 * one socket that could fail it after a successful bind is a listener,
 * which the bind already clashes with: the request is a bind() either
 * way, and --listen only makes the answer say which call was asked about.
 *
 * When the only blockers are TIME_WAIT sockets, the same diagnosis is run
 * again with SO_REUSEADDR on the request, rather than judging from the
 * listed holders: a busy port may have more TIME_WAIT sockets than a
 * diagnosis lists, each with the SO_REUSEADDR of the socket it came from.
 */
#include <errno.h>
#include <net/if.h>
#include <netinet/tcp.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "nsrun.h"
#include "diagnose.h"

#define CHECK_COMM "bindwatch"

/* nsrun() call: the ifindex of the device named *arg, or -errno. */
static int dev_index(void *arg)
{
	unsigned int i = if_nametoindex(arg);

	return i ? (int)i : errno == ENXIO || errno == ENODEV ? -ENODEV : -errno;
}

int check_dev_index(const char *dev, int netns_fd, __s32 *ifindex)
{
	int i = nsrun(netns_fd, dev_index, (void *)dev);

	if (i < 0)
		return i;
	*ifindex = i;
	return 0;
}

/* The record the capture programs would write for this bind() by us. */
static void synthetic_call(struct bw_event *ev, const struct bw_sock *sock, bool listen)
{
	memset(ev, 0, sizeof(*ev));
	ev->version = BW_ABI_VERSION;
	ev->syscall = listen ? BW_SYS_LISTEN : BW_SYS_BIND;
	ev->kind = BW_EVENT_CALL;
	ev->count = 1;
	ev->pid = ev->tid = getpid();
	ev->ppid = getppid();
	ev->uid = sock->uid;
	ev->gid = getgid();
	ev->sock = *sock;
	memcpy(ev->comm, CHECK_COMM, sizeof(CHECK_COMM));
}

/* Every blocker listed is a TIME_WAIT socket (there is at least one). */
static bool time_wait_only(const struct diagnosis *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (d->holders[i].h.pid || d->holders[i].h.state != TCP_TIME_WAIT)
			return false;
	return d->n > 0;
}

int check_run(struct holders *h, const struct bw_sock *sock, bool listen, int netns_fd,
	      struct check_answer *a)
{
	struct bw_event bind_ev;
	struct diagnosis with_reuse;
	int err;

	memset(a, 0, sizeof(*a));
	synthetic_call(&a->ev, sock, listen);
	/* diagnosed as the bind(): see the top of this file */
	bind_ev = a->ev;
	bind_ev.syscall = BW_SYS_BIND;
	err = diagnose_in(h, NULL, &bind_ev, netns_fd, &a->diag);
	if (err || !time_wait_only(&a->diag) || (sock->sockflags & BW_SF_REUSEADDR))
		return err;
	bind_ev.sock.sockflags |= BW_SF_REUSEADDR;
	/* a failed second look only loses the hint, not the answer */
	if (!diagnose_in(h, NULL, &bind_ev, netns_fd, &with_reuse))
		a->reuseaddr_frees = !with_reuse.n;
	diagnosis_free(&with_reuse);
	return 0;
}

void check_answer_free(struct check_answer *a)
{
	diagnosis_free(&a->diag);
}
