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

struct workload;

/*
 * What makes a process the one a decision was about, read together through
 * one descriptor of /proc/PID: the same process (start time), running the
 * same file (the executable's device and inode: a path can be replaced, an
 * exec changes them) as the same users.  A reclaim signals a process only
 * while all of it is unchanged (reclaim.c).
 */
struct proc_identity {
	uint64_t start_ticks;      /* /proc/PID/stat field 22 */
	uint64_t exe_dev, exe_ino; /* of the executable; exe_ino 0: unknown, or none (kernel thread) */
	int64_t ruid, euid, suid;  /* real, effective, saved: /proc/PID/status "Uid:"; -1: unknown */
	bool kthread;              /* a kernel thread (PF_KTHREAD) */
};

/* An identity of which nothing is known. */
#define PROC_IDENTITY_UNKNOWN ((struct proc_identity){ .ruid = -1, .euid = -1, .suid = -1 })

/* The fields of two identities that differ (procinfo_identity_changes()). */
enum proc_change {
	PROC_CHANGED_START = 1 << 0, /* another process has the pid now */
	PROC_CHANGED_EXE = 1 << 1,   /* it exec'd another program */
	PROC_CHANGED_RUID = 1 << 2,
	PROC_CHANGED_EUID = 1 << 3,
	PROC_CHANGED_SUID = 1 << 4,
};

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
	struct workload *workload; /* its container or pod (workload.h); NULL: none, or unknown */
	/* its executable's device and inode with exe; the rest with PROCINFO_IDENTITY only */
	struct proc_identity id;
};

/* What procinfo_read() reads besides the executable and cgroup. */
enum procinfo_what {
	PROCINFO_CMDLINE = 1 << 0,  /* the command line */
	PROCINFO_IDENTITY = 1 << 1, /* the uids and kernel-thread flag of id */
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
 * then (0: not known).  Never fails: whatever cannot be read stays NULL
 * (or unknown in pi->id), and pi->exited tells why.  A process that exec'd
 * another program since the call gets no exe or cmdline: /proc no longer
 * describes the call.  what: PROCINFO_* (without PROCINFO_CMDLINE the
 * caller has the whole argv from the call itself: procinfo_args()).  The
 * uids are read after the executable, so that an exec in between shows
 * as a changed executable, never as another program's uids passing for
 * this one's.
 */
void procinfo_read(struct proc_info *pi, uint32_t pid, uint64_t start_ns,
		   uint64_t cgroup_id, uint64_t exe_ino, unsigned int what);
void procinfo_free(struct proc_info *pi);
/* A deep copy of src into dst: 0, or -ENOMEM with dst left empty. */
int procinfo_copy(struct proc_info *dst, const struct proc_info *src);
/* About the memory pi takes (its workload aside), for tables that bound it. */
size_t procinfo_size(const struct proc_info *pi);

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

/*
 * The identity of process pid that started start_ns after boot, as it is
 * now (what cannot be read, unknown): 0, or -ESRCH when that process is
 * gone (a zombie, or its pid another process's).  Open a pidfd first to
 * signal what this describes (procinfo_pidfd()).
 */
int procinfo_identity(uint32_t pid, uint64_t start_ns, struct proc_identity *id);

/*
 * The PROC_CHANGED_* fields in which now differs from then; a field unknown
 * on either side counts as changed: an identity that cannot be confirmed
 * is not the same.
 */
unsigned int procinfo_identity_changes(const struct proc_identity *then,
				       const struct proc_identity *now);

#define PROCINFO_EXPLAIN_LEN 256 /* room for procinfo_identity_explain()'s longest */

/*
 * What changes says changed from then to now, in words, into buf: "it
 * exec'd another program (its executable changed); its uids (real,
 * effective, saved) 65534, 65534, 65534 are now 0, 0, 0".
 */
void procinfo_identity_explain(char *buf, size_t len, unsigned int changes,
			       const struct proc_identity *then,
			       const struct proc_identity *now);

/* Inodes of bindwatch's own network and pid namespaces, or 0. */
uint32_t procinfo_own_netns(void);
uint32_t procinfo_own_pidns(void);

/* The initial pid namespace's inode (include/linux/proc_ns.h): it sees every process. */
#define PROC_PID_INIT_INO 0xEFFFFFFCU

/* Clock ticks since boot, as /proc/PID/stat field 22 gives a start time. */
uint64_t procinfo_ticks(uint64_t ns);

#endif /* BW_PROCINFO_H */
