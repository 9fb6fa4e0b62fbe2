// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * output.c - write rendered records to their sinks.
 *
 * It owns the sinks and their retries; it must not render records
 * (record.c).
 *
 * Each record is rendered once per format into a reused buffer and written
 * with one write(2) ending in a newline, so concurrent readers (tail -f, a
 * log shipper) never see a partial line.  stdout carries text or JSON; the
 * --log file always carries JSON, opened O_APPEND so several writers and
 * rotation tools behave.  A failed write (a full disk: ENOSPC, EDQUOT, EIO)
 * never stops capture: what was not written, from the middle of a line on,
 * is kept in memory (up to PENDING_MAX, then new records are counted as
 * dropped) and written before anything else once writes succeed again,
 * tried with each record and each tick of the main loop.  So a full disk
 * costs no record and tears no line as long as it is freed in time; the
 * failure and the recovery are each reported once.  When stdout's
 * reader goes away (EPIPE: `bindwatch | head`) the monitor stops, as a
 * filter in a pipeline should.  SIGHUP reopens the log by name, for
 * logrotate: records go to the old file until the new one is open.  The
 * log is opened without following a link or waiting on a FIFO, and must be
 * a regular file of bindwatch's own, writable by it alone (open_log()),
 * when bindwatch starts and at each reopen: the directory it is in may
 * let others put something of their choosing at that path.
 * --syslog sends each record's text, without its time, at LOG_WARNING for
 * a conflict, LOG_NOTICE for one a reclaim rule acted on, and LOG_INFO for
 * a probe's conflict and other calls (LOG_ERR for loss, LOG_WARNING for
 * dropped hooks), which
 * journald and any syslog daemon pick up.  It is sent by hand to /dev/log
 * (RFC 3164 framing, as syslog(3) does) rather than with syslog(3), which
 * drops what it cannot send without a word: a missing /dev/log is said at
 * start, and a send that fails is reported when failures start and stop.
 * The send never waits (a stalled syslog daemon must not stall capture).
 * Every record a sink could not take at once is counted in
 * bindwatch_output_errors_total{sink}.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "output.h"
#include "record.h"

#define LOG_MODE 0640
#define PENDING_MAX (4U << 20)
#define WHY_LEN 128 /* a reason a log file is refused */
#define SYSLOG_PATH "/dev/log"
#define SYSLOG_IDENT "bindwatch"
#define SYSLOG_TIME_LEN 32 /* "Dec  1 18:25:47" */

/* Write as much of s->pending as s takes; 0 once all of it is written. */
static int write_pending(struct output *out, struct sink *s)
{
	struct strbuf *p = &s->pending;
	size_t done = 0;
	ssize_t n;
	int err = 0;

	while (done < p->len) {
		n = write(s->fd, p->s + done, p->len - done);
		if (n < 0 && errno == EINTR && !*out->stop)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		done += n;
	}
	if (done)
		s->begun = p->s[done - 1] != '\n';
	memmove(p->s, p->s + done, p->len - done + 1);
	p->len -= done;
	return err;
}

/* Write s's pending lines; report a failure when it starts and when it ends. */
static void drain(struct output *out, struct sink *s)
{
	int err = write_pending(out, s);

	if (err == -EPIPE && s == &out->out) {
		out->closed = true; /* nobody reads stdout any more */
		return;
	}
	if (err && err != -EINTR && !s->err)
		warn("cannot write records to %s: %s; keeping them in memory (up to %u KiB) "
		     "and retrying", s->name, strerror(-err), PENDING_MAX / 1024);
	if (!err && s->err)
		warn("writing records to %s again; %llu %s dropped meanwhile", s->name,
		     (unsigned long long)s->dropped, plural(s->dropped, "record", "records"));
	if (!err)
		s->dropped = 0;
	if (err != -EINTR)
		s->err = err;
}

/* A record s cannot take: counted while writes fail (and reported when they
 * work again), reported at once otherwise. */
static void drop(struct sink *s, const char *why)
{
	if (s->err)
		s->dropped++;
	else
		warn("a record for %s was dropped: %s", s->name, why);
}

/* Write the line in out->line, newline included, to s: after what is pending. */
static void put(struct output *out, struct sink *s)
{
	if (s->fd < 0)
		return;
	if (out->line.oom) {
		warn("out of memory formatting a record for %s", s->name);
		return;
	}
	if (s->pending.len + out->line.len > PENDING_MAX) {
		drop(s, "too much is waiting to be written");
		metrics_output_error(out->metrics, s->kind);
		return;
	}
	strbuf_add(&s->pending, out->line.s, out->line.len);
	if (s->pending.oom) { /* the clean prefix stays: only this record is lost */
		s->pending.oom = false;
		drop(s, "out of memory");
	}
	drain(out, s);
	if (s->err)
		metrics_output_error(out->metrics, s->kind);
}

/* out->line holds a JSON object: write it wherever JSON goes. */
static void put_json(struct output *out)
{
	strbuf_addc(&out->line, '\n');
	if (out->json)
		put(out, &out->out);
	put(out, &out->log);
}

/* out->line holds a text line: write it to stdout. */
static void put_text(struct output *out)
{
	strbuf_addc(&out->line, '\n');
	put(out, &out->out);
}

/* Connect the syslog socket to /dev/log (anew after a failure).  0 or -errno. */
static int syslog_connect(struct output *out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = SYSLOG_PATH };

	return connect(out->syslog_fd, (struct sockaddr *)&sa, sizeof(sa)) ? -errno : 0;
}

/* "a FIFO", "a directory", ...: what a file that is not a regular one is. */
static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO:
		return "a FIFO";
	case S_IFSOCK:
		return "a socket";
	case S_IFDIR:
		return "a directory";
	case S_IFCHR:
		return "a character device";
	case S_IFBLK:
		return "a block device";
	case S_IFLNK:
		return "a symbolic link";
	default:
		return "not a regular file";
	}
}

/*
 * Whether the open log st may be written: a regular file, bindwatch's own,
 * that only its owner may write, with no other name.  0, or -EPERM with
 * why[] saying what is wrong.
 */
static int check_log(const struct stat *st, char *why, size_t len)
{
	if (!S_ISREG(st->st_mode))
		snprintf(why, len, "%s, not a regular file", file_kind(st->st_mode));
	else if (st->st_uid != geteuid())
		snprintf(why, len, "owned by uid %u, not by bindwatch's uid %u",
			 (unsigned int)st->st_uid, (unsigned int)geteuid());
	else if (st->st_mode & (S_IWGRP | S_IWOTH))
		snprintf(why, len, "mode %04o: writable by group or others (chmod go-w)",
			 (unsigned int)(st->st_mode & ALLPERMS));
	else if (st->st_nlink != 1)
		snprintf(why, len, "%lu hard links, where a log file has one",
			 (unsigned long)st->st_nlink);
	else
		return 0;
	return -EPERM;
}

/* Why open() failed on the log's path, in words. */
static void open_failure(const char *path, int err, char *why, size_t len)
{
	struct stat st;

	if (err == -ELOOP)
		snprintf(why, len, "a symbolic link (links are refused)");
	else if ((err == -ENXIO || err == -EISDIR) && !lstat(path, &st))
		snprintf(why, len, "%s, not a regular file", file_kind(st.st_mode));
	else
		snprintf(why, len, "%s", strerror(-err));
}

/*
 * Open (or create, mode LOG_MODE whatever the umask) the log for appending.
 * bindwatch runs as root and the log's directory may be writable by others,
 * who could put there a symbolic link (O_NOFOLLOW refuses it), a FIFO
 * (O_NONBLOCK: opening one without a reader fails with ENXIO instead of
 * waiting for a reader forever), a device, or a file of their own that
 * they would go on reading and rewriting; check_log() refuses those.  The
 * fd or -errno, why[] saying what is wrong.
 */
static int open_log(const char *path, char *why, size_t len)
{
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK;
	int fd = open(path, flags | O_CREAT | O_EXCL, LOG_MODE), err;
	struct stat st;

	if (fd >= 0 && fchmod(fd, LOG_MODE))
		goto fail;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, flags);
	if (fd < 0) {
		err = -errno;
		open_failure(path, err, why, len);
		return err;
	}
	if (fstat(fd, &st))
		goto fail;
	err = check_log(&st, why, len);
	if (err) {
		close(fd);
		return err;
	}
	/* regular files ignore it, but no write to the log should ever be partial */
	if (fcntl(fd, F_SETFL, O_APPEND))
		goto fail;
	return fd;
fail:
	err = -errno;
	snprintf(why, len, "%s", strerror(-err));
	close(fd);
	return err;
}

int output_open(struct output *out, const struct output_config *o,
		const volatile sig_atomic_t *stop)
{
	char why[WHY_LEN];

	memset(out, 0, sizeof(*out));
	out->json = o->json;
	out->syslog = o->syslog;
	out->stop = stop;
	out->out = (struct sink){ .fd = STDOUT_FILENO, .name = "stdout",
				  .kind = METRICS_SINK_STDOUT };
	out->log = (struct sink){ .fd = -1, .name = o->log_path, .kind = METRICS_SINK_LOG };
	out->syslog_fd = -1;
	strbuf_init(&out->line);
	strbuf_init(&out->out.pending);
	strbuf_init(&out->log.pending);
	if (o->syslog) {
		out->syslog_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (out->syslog_fd < 0) {
			int err = -errno;

			warn("--syslog: cannot open a socket: %s", strerror(-err));
			return err;
		}
		out->syslog_err = syslog_connect(out);
		if (out->syslog_err)
			warn("--syslog: cannot reach the system log at %s: %s; records for it are "
			     "counted as output errors (sink \"syslog\") until it can be reached",
			     SYSLOG_PATH, strerror(-out->syslog_err));
	}
	if (o->log_path) {
		out->log.fd = open_log(o->log_path, why, sizeof(why));
		if (out->log.fd < 0) {
			warn("--log: cannot use '%s': %s", o->log_path, why);
			return out->log.fd;
		}
	}
	return 0;
}

void output_reopen(struct output *out)
{
	struct stat was, now;
	char why[WHY_LEN];
	int fd;

	if (out->log.fd < 0)
		return;
	fd = open_log(out->log.name, why, sizeof(why));
	/* not rotated (SIGHUP also reloads the policy): keep writing as before */
	if (fd >= 0 && !fstat(fd, &now) && !fstat(out->log.fd, &was) &&
	    now.st_dev == was.st_dev && now.st_ino == was.st_ino) {
		close(fd);
		return;
	}
	if (fd < 0) {
		warn("--log: cannot use '%s' at reopen, still writing to the old file: %s",
		     out->log.name, why);
		return;
	}
	/* a line begun in the old file ends there, or not at all */
	if (write_pending(out, &out->log) && out->log.begun) {
		const char *nl = memchr(out->log.pending.s, '\n', out->log.pending.len);
		size_t rest = nl ? (size_t)(nl - out->log.pending.s) + 1 : out->log.pending.len;

		memmove(out->log.pending.s, out->log.pending.s + rest,
			out->log.pending.len - rest + 1);
		out->log.pending.len -= rest;
		out->log.begun = false;
		out->log.dropped++;
	}
	close(out->log.fd);
	out->log.fd = fd;
	drain(out, &out->log);
}

void output_retry(struct output *out)
{
	if (out->out.pending.len && !out->closed)
		drain(out, &out->out);
	if (out->log.fd >= 0 && out->log.pending.len)
		drain(out, &out->log);
}

/* A last try for what s still has pending; say what could not be written. */
static void close_sink(struct output *out, struct sink *s)
{
	if (s->fd >= 0 && s->pending.len && write_pending(out, s))
		warn("%zu bytes of records could not be written to %s", s->pending.len, s->name);
	if (s->dropped)
		warn("%llu %s dropped from %s while it could not be written",
		     (unsigned long long)s->dropped,
		     plural(s->dropped, "record was", "records were"), s->name);
	strbuf_free(&s->pending);
}

void output_close(struct output *out)
{
	if (out->closed) /* nobody to write them to */
		strbuf_reset(&out->out.pending);
	close_sink(out, &out->out);
	close_sink(out, &out->log);
	if (out->log.fd >= 0)
		close(out->log.fd);
	out->log.fd = -1;
	strbuf_free(&out->line);
	if (out->syslog_fd >= 0)
		close(out->syslog_fd);
	out->syslog_fd = -1;
}

/* One datagram to /dev/log: "<PRI>Mmm dd hh:mm:ss bindwatch[PID]: text". */
static int syslog_send(struct output *out, int priority)
{
	char stamp[SYSLOG_TIME_LEN];
	struct strbuf msg;
	struct tm tm;
	time_t now = time(NULL);
	int err = 0;

	strftime(stamp, sizeof(stamp), "%b %e %H:%M:%S", localtime_r(&now, &tm));
	strbuf_init(&msg);
	strbuf_addf(&msg, "<%d>%s %s[%ld]: ", LOG_DAEMON | priority, stamp, SYSLOG_IDENT,
		    (long)getpid());
	strbuf_add(&msg, out->line.s, out->line.len);
	if (msg.oom)
		err = -ENOMEM;
	else if (send(out->syslog_fd, msg.s, msg.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		err = -errno;
	strbuf_free(&msg);
	return err;
}

/*
 * out->line holds a text line without its time: send it to syslog,
 * connecting first when the last try failed (the daemon restarted).
 */
static void put_syslog(struct output *out, int priority)
{
	int err = out->line.oom ? -ENOMEM : 0;

	if (!err && out->syslog_err)
		err = syslog_connect(out);
	if (!err)
		err = syslog_send(out, priority);
	if (err == -ECONNREFUSED || err == -ENOTCONN) {
		err = syslog_connect(out);
		if (!err)
			err = syslog_send(out, priority);
	}
	if (err) {
		metrics_output_error(out->metrics, METRICS_SINK_SYSLOG);
		if (!out->syslog_err)
			warn("cannot send records to the system log at %s: %s; counting them as "
			     "output errors until it works again", SYSLOG_PATH, strerror(-err));
	} else if (out->syslog_err && out->syslog_err != -ENOMEM) {
		warn("sending records to the system log at %s again", SYSLOG_PATH);
	}
	out->syslog_err = err;
}

bool output_wants_json(const struct output *out)
{
	return out->json || out->log.fd >= 0;
}

void output_record(struct output *out, const struct bw_record *r, const struct strbuf *json)
{
	if (!out->json) {
		strbuf_reset(&out->line);
		record_text(&out->line, r);
		put_text(out);
	}
	if (output_wants_json(out)) {
		strbuf_reset(&out->line);
		strbuf_add(&out->line, json->s, json->len);
		out->line.oom |= json->oom;
		put_json(out);
	}
	if (out->syslog) {
		strbuf_reset(&out->line);
		record_summary(&out->line, r);
		put_syslog(out, r->action && r->action->result != ACTION_NONE ? LOG_NOTICE :
				r->kind == RECORD_CALL && event_conflict(r->ev) && !record_probe(r) ?
				LOG_WARNING : LOG_INFO);
	}
	out->records++;
}

/* A record of count things that went missing, in each sink's form. */
static void output_count(struct output *out, uint64_t count, int priority,
			 void (*text)(struct strbuf *, uint64_t, const struct timespec *),
			 void (*summary)(struct strbuf *, uint64_t),
			 void (*json)(struct strbuf *, uint64_t, const struct timespec *))
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (!out->json) {
		strbuf_reset(&out->line);
		text(&out->line, count, &now);
		put_text(out);
	}
	if (out->json || out->log.fd >= 0) {
		strbuf_reset(&out->line);
		json(&out->line, count, &now);
		put_json(out);
	}
	if (out->syslog) {
		strbuf_reset(&out->line);
		summary(&out->line, count);
		put_syslog(out, priority);
	}
}

void output_suppressed(struct output *out, uint32_t uid, uint64_t count,
		       const struct timespec *since, const struct timespec *wall)
{
	if (!out->json) {
		strbuf_reset(&out->line);
		suppressed_text(&out->line, uid, count, since, wall);
		put_text(out);
	}
	if (out->json || out->log.fd >= 0) {
		strbuf_reset(&out->line);
		suppressed_json(&out->line, uid, count, since, wall);
		put_json(out);
	}
	if (out->syslog) {
		strbuf_reset(&out->line);
		suppressed_summary(&out->line, uid, count, since);
		put_syslog(out, LOG_WARNING);
	}
}

void output_lost(struct output *out, const uint32_t *uid, uint64_t count)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (!out->json) {
		strbuf_reset(&out->line);
		lost_text(&out->line, uid, count, &now);
		put_text(out);
	}
	if (out->json || out->log.fd >= 0) {
		strbuf_reset(&out->line);
		lost_json(&out->line, uid, count, &now);
		put_json(out);
	}
	if (out->syslog) {
		strbuf_reset(&out->line);
		lost_summary(&out->line, uid, count);
		put_syslog(out, LOG_ERR);
	}
}

void output_hooks_dropped(struct output *out, uint64_t count)
{
	output_count(out, count, LOG_WARNING, hooks_dropped_text, hooks_dropped_summary,
		     hooks_dropped_json);
}
