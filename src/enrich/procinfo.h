/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * procinfo.h - what /proc still knows about a process named in a record.
 */
#ifndef BW_PROCINFO_H
#define BW_PROCINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "cgpath.h"

struct proc_info {
	bool exited;       /* gone, a zombie, or its pid reused, before it was read */
	char *exe;         /* NULL when unknown */
	char *cmdline;     /* argv joined by single spaces; NULL when unknown */
	char *args;        /* the same argv, its arguments separated by '\0' */
	size_t cmdline_len; /* of both */
	bool cmdline_truncated; /* cut at the command-line limit */
	char *cgroup;      /* relative to the cgroup2 root; NULL when unknown */
	/* the cgroup's names (cgpath.h): the system part's, then the delegated part's */
	char *unit;        /* innermost systemd unit the system manager named, or NULL */
	char *user_unit;   /* innermost unit in a delegated subtree, or NULL */
	char container[CG_CONTAINER_ID_LEN + 1]; /* the system part's; "" when none */
};

#define PROCINFO_CMDLINE_DEFAULT 4096   /* bytes of a command line kept */
#define PROCINFO_CMDLINE_MIN 64
#define PROCINFO_CMDLINE_MAX (1 << 20)

/*
 * Keep at most max bytes (PROCINFO_CMDLINE_MIN..PROCINFO_CMDLINE_MAX) of
 * each command line from now on: a process chooses its argv, up to
 * megabytes, and every record that names it would carry it.
 */
void procinfo_set_cmdline_max(size_t max);

/*
 * Fill pi for the process pid that started start_ns after boot and made
 * its call in cgroup cgroup_id, running the executable with inode exe_ino
 * then (0: not known).  Never fails: whatever cannot be read stays NULL,
 * and pi->exited tells why.  A process that exec'd another program since
 * the call gets no exe or cmdline: /proc no longer describes the call.
 * cmdline false: the command line is not read from /proc (the caller has
 * the whole argv from the call itself: procinfo_args()).
 */
void procinfo_read(struct proc_info *pi, uint32_t pid, uint64_t start_ns,
		   uint64_t cgroup_id, uint64_t exe_ino, bool cmdline);
void procinfo_free(struct proc_info *pi);

/*
 * Without a command line from /proc (not read, or the requester exited or
 * exec'd first), use the NUL-separated argv head args[0..len) the kernel
 * captured at the call; cut: the kernel captured only the head of a longer
 * argv.
 */
void procinfo_args(struct proc_info *pi, const char *args, size_t len, bool cut);

/*
 * An fd of the network namespace of process pid, if it is still the one
 * that started start_ns after boot; -1 otherwise.
 */
int procinfo_open_netns(uint32_t pid, uint64_t start_ns);

/* True while process pid is the one that started start_ns after boot. */
bool procinfo_alive(uint32_t pid, uint64_t start_ns);

/*
 * A pidfd for process pid if it is still the one that started start_ns
 * after boot, else -ESRCH (or pidfd_open's -errno).  The check is made once
 * the pidfd is open, so the pidfd names that process whatever becomes of
 * the pid: a signal sent through it never reaches a process that reused it.
 */
int procinfo_pidfd(uint32_t pid, uint64_t start_ns);

/* Whether process pid that started start_ns after boot still runs exe. */
bool procinfo_runs(uint32_t pid, uint64_t start_ns, const char *exe);

/*
 * The real uid (-1 when unreadable) of process pid that started start_ns
 * after boot, and whether it is a kernel thread.  0, or -ESRCH when that
 * process is gone.
 */
int procinfo_identity(uint32_t pid, uint64_t start_ns, int64_t *uid, bool *kthread);

/* Inodes of bindwatch's own network and pid namespaces, or 0. */
uint32_t procinfo_own_netns(void);
uint32_t procinfo_own_pidns(void);

/* The initial pid namespace's inode (include/linux/proc_ns.h): it sees every process. */
#define PROC_PID_INIT_INO 0xEFFFFFFCU

/* Clock ticks since boot, as /proc/PID/stat field 22 gives a start time. */
uint64_t procinfo_ticks(uint64_t ns);

#endif /* BW_PROCINFO_H */
