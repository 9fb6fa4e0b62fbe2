/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * output.h - where records go: stdout (text or JSON) and the --log file.
 */
#ifndef BW_OUTPUT_H
#define BW_OUTPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "metrics.h"
#include "event.h"
#include "strbuf.h"

/* Where records go: the command line's output options. */
struct output_config {
	bool json;            /* --json: JSON lines on stdout, not text */
	bool syslog;          /* --syslog: also to syslog, LOG_DAEMON */
	const char *log_path; /* --log FILE; NULL: none */
};

/* One destination of records. */
struct sink {
	int fd;           /* -1 when not in use */
	const char *name; /* for messages: "stdout" or the log's path */
	struct strbuf pending; /* lines a failed write left */
	bool begun;       /* the first of them is partly written already */
	int err;          /* the write failure being retried, 0 */
	uint64_t dropped; /* records not kept while pending was full */
	enum metrics_sink kind;
};

struct output {
	bool json;
	struct sink out;   /* stdout */
	struct sink log;   /* --log FILE */
	bool syslog;       /* --syslog */
	int syslog_fd;     /* a datagram socket for /dev/log, connected once it could be */
	int syslog_err;    /* the last send's failure, 0 */
	struct metrics *metrics; /* where write failures are counted; NULL: nowhere */
	bool closed;       /* stdout's reader went away: time to stop */
	const volatile sig_atomic_t *stop; /* set by a signal: stop waiting on writes */
	struct strbuf line; /* reused for every record */
	uint64_t records;  /* records rendered */
};

/*
 * Open the sinks c names; a write blocked on a slow reader gives up once
 * *stop is set.  0 or -errno (reported).
 */
int output_open(struct output *out, const struct output_config *c,
		const volatile sig_atomic_t *stop);
void output_close(struct output *out);

/*
 * Open the --log path anew (after logrotate renamed the file).  If that
 * fails the old file stays in use, so nothing is lost; the failure is
 * reported.
 */
void output_reopen(struct output *out);

/* Try again to write what a failed write (ENOSPC, EIO) left pending. */
void output_retry(struct output *out);

/* Whether output_record() needs the record's JSON (--json, --log). */
bool output_wants_json(const struct output *out);
/* Write r to every sink; json: its record_json(), when output_wants_json(). */
void output_record(struct output *out, const struct bw_record *r, const struct strbuf *json);
/* count failures lost of uid (NULL: of no uid known). */
void output_lost(struct output *out, const uint32_t *uid, uint64_t count);
/* count failures of uid held back by its rate limit since since, until wall. */
void output_suppressed(struct output *out, uint32_t uid, uint64_t count,
		       const struct timespec *since, const struct timespec *wall);

/* count records were not handed to an alert hook (hooks_take_dropped()). */
void output_hooks_dropped(struct output *out, uint64_t count);

#endif /* BW_OUTPUT_H */
