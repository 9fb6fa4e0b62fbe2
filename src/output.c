// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * output.c - write rendered records to their sinks.
 *
 * Each record is rendered once per format into a reused buffer and written
 * with one write(2) ending in a newline, so concurrent readers (tail -f, a
 * log shipper) never see a partial line.  stdout carries text or JSON; the
 * --log file always carries JSON, opened O_APPEND so several writers and
 * rotation tools behave.  A failed write is reported and the record counts
 * as not written; it never stops capture.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "log.h"
#include "output.h"

#define LOG_MODE 0640

static int write_all(int fd, const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Write the line in out->line, newline included, to fd. */
static void put(struct output *out, int fd, const char *what)
{
	int err;

	if (out->line.oom) {
		warn("out of memory formatting a record for %s", what);
		return;
	}
	err = write_all(fd, out->line.s, out->line.len);
	if (err)
		warn("cannot write a record to %s: %s", what, strerror(-err));
}

/* out->line holds a JSON object: write it wherever JSON goes. */
static void put_json(struct output *out)
{
	strbuf_addc(&out->line, '\n');
	if (out->json)
		put(out, STDOUT_FILENO, "stdout");
	if (out->log_fd >= 0)
		put(out, out->log_fd, out->log_path);
}

/* out->line holds a text line: write it to stdout. */
static void put_text(struct output *out)
{
	strbuf_addc(&out->line, '\n');
	put(out, STDOUT_FILENO, "stdout");
}

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL | O_CLOEXEC, LOG_MODE);

	/* a file we create gets exactly LOG_MODE, whatever the umask */
	if (fd >= 0 && fchmod(fd, LOG_MODE)) {
		close(fd);
		return -errno;
	}
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int output_open(struct output *out, const struct bw_options *o)
{
	memset(out, 0, sizeof(*out));
	out->json = o->json;
	out->log_fd = -1;
	out->log_path = o->log_path;
	strbuf_init(&out->line);
	if (o->log_path) {
		out->log_fd = open_log(o->log_path);
		if (out->log_fd < 0) {
			warn("--log: cannot open '%s': %s", o->log_path, strerror(-out->log_fd));
			return out->log_fd;
		}
	}
	return 0;
}

void output_close(struct output *out)
{
	if (out->log_fd >= 0)
		close(out->log_fd);
	out->log_fd = -1;
	strbuf_free(&out->line);
}

void output_record(struct output *out, const struct bw_record *r)
{
	if (!out->json) {
		strbuf_reset(&out->line);
		record_text(&out->line, r);
		put_text(out);
	}
	if (out->json || out->log_fd >= 0) {
		strbuf_reset(&out->line);
		record_json(&out->line, r);
		put_json(out);
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
	if (out->json || out->log_fd >= 0) {
		strbuf_reset(&out->line);
		lost_json(&out->line, count, &now);
		put_json(out);
	}
}
