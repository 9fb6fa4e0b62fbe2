// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * output.c - write rendered records to their sinks.
 *
 * Each record is rendered once per format into a reused buffer and written
 * with one write(2) ending in a newline, so concurrent readers (tail -f, a
 * log shipper) never see a partial line.  stdout carries text or JSON; the
 * --log file always carries JSON, opened O_APPEND so several writers and
 * rotation tools behave.  A failed write is reported and never stops
 * capture; a line it left half written is ended before the next record, so
 * one bad write costs one record, not the line after it too.  When stdout's
 * reader goes away (EPIPE: `bindwatch | head`) the monitor stops, as a
 * filter in a pipeline should.  SIGHUP reopens the log by name, for
 * logrotate: records go to the old file until the new one is open.
 * --syslog sends each record's text, without its time, at LOG_WARNING for
 * a conflict and LOG_INFO for other calls (LOG_ERR for loss), which
 * journald and any syslog daemon pick up.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "output.h"

#define LOG_MODE 0640

/* Write all of buf to s; on failure, note whether a line was left half done. */
static int write_all(struct output *out, struct sink *s, const char *buf, size_t len)
{
	size_t done = 0;
	ssize_t n;

	while (done < len) {
		n = write(s->fd, buf + done, len - done);
		if (n < 0 && errno == EINTR && !*out->stop)
			continue;
		if (n < 0) {
			int err = -errno;

			s->torn = done > 0;
			return err;
		}
		done += n;
	}
	return 0;
}

/* Write the line in out->line, newline included, to s. */
static void put(struct output *out, struct sink *s)
{
	int err;

	if (s->fd < 0)
		return;
	if (out->line.oom) {
		warn("out of memory formatting a record for %s", s->name);
		return;
	}
	/* a torn line ends here, so the next record starts a line of its own */
	err = s->torn ? write_all(out, s, "\n", 1) : 0;
	if (!err) {
		s->torn = false;
		err = write_all(out, s, out->line.s, out->line.len);
	}
	if (err == -EPIPE && s == &out->out) {
		out->closed = true; /* nobody reads stdout any more */
		return;
	}
	if (err && err != -EINTR)
		warn("cannot write a record to %s: %s", s->name, strerror(-err));
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

/*
 * Open (or create, mode LOG_MODE whatever the umask) the log for appending.
 * A symbolic link or anything but a regular file is refused: bindwatch runs
 * as root, and the log's directory may be writable by others.
 */
static int open_log(const char *path)
{
	const int flags = O_WRONLY | O_APPEND | O_CLOEXEC | O_NOFOLLOW;
	int fd = open(path, flags | O_CREAT | O_EXCL, LOG_MODE), err;
	struct stat st;

	if (fd >= 0 && fchmod(fd, LOG_MODE))
		goto fail;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, flags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		goto fail;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	return fd;
fail:
	err = -errno;
	close(fd);
	return err;
}

int output_open(struct output *out, const struct bw_options *o,
		const volatile sig_atomic_t *stop)
{
	memset(out, 0, sizeof(*out));
	out->json = o->json;
	out->syslog = o->syslog;
	out->stop = stop;
	out->out = (struct sink){ .fd = STDOUT_FILENO, .name = "stdout" };
	out->log = (struct sink){ .fd = -1, .name = o->log_path };
	strbuf_init(&out->line);
	if (o->syslog)
		openlog("bindwatch", LOG_PID | LOG_NDELAY, LOG_DAEMON);
	if (o->log_path) {
		out->log.fd = open_log(o->log_path);
		if (out->log.fd < 0) {
			warn("--log: cannot open '%s': %s", o->log_path,
			     out->log.fd == -EINVAL ? "not a regular file" : strerror(-out->log.fd));
			return out->log.fd;
		}
	}
	return 0;
}

void output_reopen(struct output *out)
{
	int fd;

	if (out->log.fd < 0)
		return;
	fd = open_log(out->log.name);
	if (fd < 0) {
		warn("--log: cannot reopen '%s', still writing to the old file: %s", out->log.name,
		     fd == -EINVAL ? "not a regular file" : strerror(-fd));
		return;
	}
	close(out->log.fd);
	out->log.fd = fd;
	out->log.torn = false; /* a new file starts clean */
}

void output_close(struct output *out)
{
	if (out->log.fd >= 0)
		close(out->log.fd);
	out->log.fd = -1;
	strbuf_free(&out->line);
	if (out->syslog)
		closelog();
}

/* out->line holds a text line without its time: send it to syslog. */
static void put_syslog(struct output *out, int priority)
{
	if (!out->line.oom)
		syslog(priority, "%s", out->line.s);
}

void output_record(struct output *out, const struct bw_record *r)
{
	if (!out->json) {
		strbuf_reset(&out->line);
		record_text(&out->line, r);
		put_text(out);
	}
	if (out->json || out->log.fd >= 0) {
		strbuf_reset(&out->line);
		record_json(&out->line, r);
		put_json(out);
	}
	if (out->syslog) {
		strbuf_reset(&out->line);
		record_summary(&out->line, r);
		put_syslog(out, r->ev->ret == -EADDRINUSE ? LOG_WARNING : LOG_INFO);
	}
	out->records++;
}

void output_lost(struct output *out, uint64_t count)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	if (!out->json) {
		strbuf_reset(&out->line);
		lost_text(&out->line, count, &now);
		put_text(out);
	}
	if (out->json || out->log.fd >= 0) {
		strbuf_reset(&out->line);
		lost_json(&out->line, count, &now);
		put_json(out);
	}
	if (out->syslog) {
		strbuf_reset(&out->line);
		lost_summary(&out->line, count);
		put_syslog(out, LOG_ERR);
	}
}
