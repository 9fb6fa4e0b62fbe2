/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * options.h - bindwatch's command line, parsed into one struct: the
 * loader's part (kernel filters) and the outputs' are their own config
 * structs, handed to each as they are.
 */
#ifndef BW_OPTIONS_H
#define BW_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "loader.h"
#include "output.h"

/* Where a usage error of the monitor points (usage.h). */
#define OPTIONS_PAGE "bindwatch(8)"

struct bw_options {
	struct capture_config capture; /* --mode, --port, --pid, --comm, --cgroup, ... */
	struct output_config output;   /* --json, --log, --syslog */
	bool verbose;
	const char *metrics;      /* --metrics ADDR:PORT */
	const char *exec;         /* --exec CMD */
	uint64_t exec_timeout_ms; /* --exec-timeout: a hook still running is killed */
	unsigned int exec_max;    /* --exec-max N */
	uint64_t exec_interval_ms; /* --exec-interval: an incident's hooks again after */
	unsigned int exec_on;     /* --exec-on: enum hook_on bits */
	uint64_t incident_idle_ms; /* --incident-idle: a conflict incident ends after */
	size_t cmdline_max;       /* --cmdline-max: bytes of a command line kept */
	const char *policy_path;  /* --policy FILE */
	bool dry_run;             /* --dry-run: decide, signal nothing */
};

/*
 * Parse argv into o.  Returns 0 to run, 1 when --help or --version was
 * answered, or -EINVAL after one line saying what was wrong (usage.h; the
 * caller exits 2).
 */
int options_parse(int argc, char **argv, struct bw_options *o);
void options_free(struct bw_options *o);

#endif /* BW_OPTIONS_H */
