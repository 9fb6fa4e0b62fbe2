/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * options.h - bindwatch's command line, parsed into one struct that the
 * loader (kernel filters) and the outputs read.
 */
#ifndef BW_OPTIONS_H
#define BW_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "portlist.h"

#define MODE_AUTO 0 /* besides enum bw_mode: try fexit, fall back */

struct bw_options {
	int mode;                 /* MODE_AUTO or enum bw_mode */
	bool json;
	bool syslog;              /* --syslog: also to syslog, LOG_DAEMON */
	bool verbose;
	const char *log_path;
	const char *btf_path;
	const char *cgroup_path;
	const char *metrics;      /* --metrics ADDR:PORT */
	const char *exec;         /* --exec CMD */
	unsigned int exec_timeout; /* --exec-timeout SECONDS */
	unsigned int exec_max;    /* --exec-max N */
	uint64_t exec_interval_ms; /* --exec-interval: an incident's hooks again after */
	uint64_t window_ms;       /* --window: storm aggregation, 0 for none */
	size_t cmdline_max;       /* --cmdline-max: bytes of a command line kept */
	unsigned int rate_limit;  /* --rate-limit: records a second per uid, 0 for none */
	unsigned int rate_burst;  /* --rate-burst: records at once per uid */
	const char *policy_path;  /* --policy FILE */
	bool dry_run;             /* --dry-run: decide, signal nothing */
	__u32 report;             /* enum bw_report bits */
	bool port_filter;
	uint64_t ports[PORTLIST_WORDS];
	uint32_t *pids;
	size_t npids;
	char (*comms)[BW_COMM_LEN];
	size_t ncomms;
};

/*
 * Parse argv into o.  Returns 0 to run, 1 when --help or --version was
 * answered, or -EINVAL after printing what was wrong (the caller exits 2).
 */
int options_parse(int argc, char **argv, struct bw_options *o);
void options_free(struct bw_options *o);

#endif /* BW_OPTIONS_H */
