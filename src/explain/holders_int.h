/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * holders_int.h - what the holder iterators' three files share: the
 * loaded (or pinned) iterators, and their pins' names.  Not for use
 * outside explain/holders*.c; holders.h is the interface.
 */
#ifndef BW_HOLDERS_INT_H
#define BW_HOLDERS_INT_H

#include <stdbool.h>
#include <linux/bpf.h>
#include <linux/types.h>
#include "bindwatch.h"

#define BPFFS "/sys/fs/bpf"
#define STR_(x) #x
#define STR(x) STR_(x)
/*
 * Named for the ABI version and a hash of the programs: a bindwatch of
 * another build never runs these (a monitor killed with SIGKILL leaves its
 * pins, and an upgrade must not keep using them).
 */
#define PIN_DIR_PREFIX "bindwatch-v"
#define PIN_DIR_FMT BPFFS "/" PIN_DIR_PREFIX STR(BW_ABI_VERSION) "-%08x"
#define PIN_DIR_LEN (sizeof(PIN_DIR_FMT) + 8)

enum walker { WALK_TASK, WALK_TCP, WALK_UDP, WALK_UNIX, WALK_INDIRECT, WALKERS };

/* What is pinned: the walkers' links, then the targets map. */
#define PINS (WALKERS + 1)
#define PIN_PATH_LEN (PIN_DIR_LEN + 16)

struct holders_fast_lbpf;
struct holders_lbpf;
struct holders_bpf;

/* The iterators, loaded (holders.c) or a monitor's pins (holders_pin.c). */
struct holders {
	struct holders_fast_lbpf *fast;    /* loaded by the fast light skeleton, */
	struct holders_lbpf *lskel;        /* or by the light skeleton, */
	struct holders_bpf *skel;          /* or by libbpf's; none: a monitor's pins */
	int link_fds[WALKERS];             /* -1: that walker is not loaded */
	int task_prog_fd;                  /* holders_task, for one process's walk; -1: pins */
	int targets_fd;
	__u32 own_netns;
	__u32 pidns;                       /* bindwatch's pid namespace */
	bool pinned;                       /* we pinned them: unpin on close */
};

/* A holders with nothing loaded yet (every fd -1).  NULL: out of memory. */
struct holders *holders_new(void);

/* A link of iterator program prog_fd, for one process with info.  fd or -errno. */
int holders_iter_link(int prog_fd, union bpf_iter_link_info *info);

/* This build's pin directory (PIN_DIR_FMT): a hash of the programs it embeds. */
const char *holders_pin_dir(void);

/* Path of pin i (enum walker, or WALKERS: the targets map) into path. */
void holders_pin_path(char path[PIN_PATH_LEN], int i);

/* Remove this build's pins and their directory. */
void holders_unpin(void);

#endif /* BW_HOLDERS_INT_H */
