/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * hooks.h - run an operator's command for each conflict (--exec, and a
 * policy rule's exec).
 */
#ifndef BW_HOOKS_H
#define BW_HOOKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "record.h"

#define HOOK_MAX_ARGS 32

struct hook_child;

struct hooks {
	char *argv[HOOK_MAX_ARGS + 1]; /* the command, split at blanks; NULL-ended */
	char *buf;                     /* the storage argv points into */
	unsigned int max_running;
	uint64_t timeout_ns;
	struct hook_child *running;    /* max_running slots */
	unsigned int nrunning;
	uint64_t skipped;              /* records not handed to a hook: too many running */
};

/*
 * Split cmd (the --exec command; NULL for none) at blanks (no shell, no
 * quoting: a script does what a shell would) and prepare to run hooks.
 * 0 or -EINVAL/-E2BIG/-ENOMEM.
 */
int hooks_init(struct hooks *h, const char *cmd, unsigned int max_running,
	       unsigned int timeout_s);
void hooks_fini(struct hooks *h);

/* Whether hooks_init() set an --exec command up. */
static inline bool hooks_enabled(const struct hooks *h)
{
	return h->argv[0] != NULL;
}

/*
 * Start argv (NULL-ended) for record r (its JSON is json[0..len)); never
 * blocks.  Shares the concurrency limit and the timeout.
 */
void hooks_run(struct hooks *h, char *const argv[], const struct bw_record *r,
	       const char *json, size_t len);

/* Reap finished hooks and kill overdue ones; true while any still runs. */
bool hooks_tend(struct hooks *h);

#endif /* BW_HOOKS_H */
