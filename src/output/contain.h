/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * contain.h - keep everything an alert hook starts inside the hook's run:
 * started with it, and ended with it, whatever it does.  hooks.c decides
 * when a hook starts and ends; this file starts it and ends all of it.
 */
#ifndef BW_CONTAIN_H
#define BW_CONTAIN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The test switch that makes a kernel with cgroup.kill take the fallback. */
#define CONTAIN_TEST_NO_CGROUP "BINDWATCH_TEST_NO_HOOK_CGROUP"
#define CONTAIN_DIR "bindwatch-hooks" /* bindwatch's, in its own cgroup */
#define CONTAIN_NAME_LEN 32           /* "hook-N" */

/* How a hook's processes are kept together, the best first. */
enum contain_mode {
	CONTAIN_GROUP,     /* its process group only: neither way below works */
	CONTAIN_SUBREAPER, /* child subreapers; orphans killed as our children */
	CONTAIN_CGROUP,    /* a cgroup of its own, killed whole by cgroup.kill */
};

struct containment {
	enum contain_mode mode;
	int dirfd;                 /* CONTAIN_CGROUP: the hooks' parent cgroup */
	char dir[PATH_MAX];        /* its path, for messages */
	uint64_t next;             /* the N of the next hook-N */
	bool orphans;              /* CONTAIN_SUBREAPER: look for orphans next pass */
};

/* One hook: the process bindwatch started, and all it starts. */
struct contained {
	pid_t pid;                 /* our child until reaped; its process group's id */
	int cgfd;                  /* CONTAIN_CGROUP: its cgroup's directory, else -1 */
	char name[CONTAIN_NAME_LEN]; /* its cgroup's name in CONTAIN_DIR */
};

/*
 * Pick the best way this system allows and set it up; c was zeroed (which
 * is CONTAIN_GROUP).  The hooks' cgroups go in dir (CONTAIN_DIR), made in
 * this process's own cgroup.  why (len bytes) says why a better way is not
 * used ("" for none).  Call once, after the monitor lock is taken: a dir
 * left by a bindwatch that died has its processes killed.
 */
void contain_init(struct containment *c, const char *dir, char *why, size_t len);
/* Remove the hooks' parent cgroup (the hooks must be released first). */
void contain_fini(struct containment *c);

/*
 * Start argv (PATH searched) with envp, in as stdin and bindwatch's stderr
 * as stdout and stderr, in a process group of its own and contained as c
 * says.  0, or -errno with *what saying what failed ("run": the exec;
 * "contain": joining or making its cgroup); nothing is left then.
 */
int contain_spawn(struct containment *c, char *const argv[], char *const envp[], int in,
		  struct contained *k, const char **what);

/*
 * SIGKILL the hook and everything it started: call when it has exited
 * (before reaping it) or its time is up.  0 or -errno.
 */
int contain_end(struct containment *c, struct contained *k);

/*
 * After contain_end() and reaping the hook: 0 once everything it started
 * is gone (its cgroup removed), -EBUSY while some of it still exits, or
 * another -errno (its cgroup could not be removed; nothing is left to do).
 */
int contain_release(struct containment *c, struct contained *k);

/*
 * CONTAIN_SUBREAPER: kill and reap the orphans that came to bindwatch,
 * every child of ours for which is_hook() is false.  True while some are
 * still there (call again on the next pass).
 */
bool contain_tend(struct containment *c, bool (*is_hook)(void *arg, pid_t pid), void *arg);

#endif /* BW_CONTAIN_H */
