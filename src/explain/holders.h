/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * holders.h - every socket on a port in a network namespace, and the
 * processes holding it, found by BPF iterators (bpf/holders.bpf.c).
 */
#ifndef BW_HOLDERS_H
#define BW_HOLDERS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "bindwatch.h"

struct holders;

/* Which sockets a lookup looks for. */
enum holder_kind {
	HOLDERS_PROCESSES = 1 << 0, /* held through a process's descriptor */
	HOLDERS_UNHELD = 1 << 1,    /* no process holds them: TIME_WAIT, orphans, kernel */
	HOLDERS_INDIRECT = 1 << 2,  /* held in flight (SCM_RIGHTS) or in an io_uring */
};

struct holder_query {
	unsigned int kinds; /* enum holder_kind bits */
	__u32 netns;    /* inode of the namespace to look in */
	int netns_fd;   /* an open fd of it, or -1; needed for TIME_WAIT sockets
			 * in a namespace other than bindwatch's own */
	__u16 port;
	__u16 protocol; /* IPPROTO_TCP, IPPROTO_UDP, or 0 for both */
};

struct holder_list {
	struct bw_holder *v;
	size_t n;
};

/* Load and attach the iterators.  0 or -errno. */
int holders_open(struct holders **hp, const char *btf_path);

/*
 * holders_open() in a thread of its own, so that the monitor loads its
 * capture programs meanwhile (each load spends most of its time parsing
 * the kernel's BTF on one CPU).  holders_open_wait() joins it and gives
 * holders_open()'s result; the thread is started with the caller's
 * capabilities.  0 or -errno.
 */
struct holders_loading;
int holders_open_start(struct holders_loading **lp, const char *btf_path);
int holders_open_wait(struct holders_loading *l, struct holders **hp);

/* Use the iterators a running monitor pinned.  0, or -ENOENT when none is. */
int holders_open_pinned(struct holders **hp);

/*
 * Pin loaded iterators for `bindwatch who`, after removing the pins any
 * monitor killed before left (call it only holding the monitor lock,
 * instance.h); holders_close() unpins them.
 */
int holders_pin(struct holders *h);

void holders_close(struct holders *h);

/* bindwatch's own network namespace inode. */
__u32 holders_own_netns(const struct holders *h);

/*
 * Fill out with the sockets q describes: one entry per (process, socket),
 * then the sockets no process holds (pid 0), as q->kinds asks.  0 or -errno; out is empty
 * on error and must be freed with holder_list_free() otherwise.
 */
int holders_find(struct holders *h, const struct holder_query *q, struct holder_list *out);

/*
 * The same for the process pid alone (HOLDERS_PROCESSES), appended to out
 * as they come, one record per descriptor (with the socket's file_refs):
 * a walk of one descriptor table.  0 or -errno (-EOPNOTSUPP: the kernel,
 * or iterators a monitor pinned, cannot limit a walk to one process).
 */
int holders_find_in(struct holders *h, const struct holder_query *q, __u32 pid,
		    struct holder_list *out);
void holder_list_free(struct holder_list *l);
/*
 * Whether a socket in l has a file no process was seen holding: then the
 * indirect holders (HOLDERS_INDIRECT) may name who holds it.
 */
bool holder_list_hidden(const struct holder_list *l);
/*
 * One entry per (process, socket) of l, as holders_find() leaves it:
 * several descriptors of one process on one socket are one holder.
 */
void holder_list_dedup(struct holder_list *l);
/* Append h to l.  0 or -ENOMEM. */
int holder_list_add(struct holder_list *l, const struct bw_holder *h);

#endif /* BW_HOLDERS_H */
