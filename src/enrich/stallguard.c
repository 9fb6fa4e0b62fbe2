// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * stallguard.c - a read that another process can make block for ever,
 * done by a reader thread and waited for only so long.
 *
 * It owns the reader thread and its time limit; it must not let a read
 * block the caller.
 *
 * /proc/PID/cmdline is read out of the process's own memory, and any user
 * can put its argv on pages whose faults never complete: unmap the stack
 * page that holds it and map a file from a FUSE mount its own daemon never
 * answers.  A plain read would then stop bindwatch's capture for good.  So
 * each calling thread hands such reads to a reader thread of its own and
 * waits at most wait_ms.  A reader that does not answer in time is
 * abandoned: it owns the request from then on, drops the result if the
 * read ever ends, and exits; the next read starts a new reader.  Stuck
 * readers are counted, and past STALLGUARD_STUCK_MAX no read is tried at
 * all (the caller says the data is unknown), so threads and descriptors
 * stay bounded whatever the processes do.  Reads that finish in time, all
 * of them on a sane host, cost a hand-over to an idle thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>
#include "stallguard.h"
#include "util.h"


/* One read: filled by the reader, freed by whoever is last to hold it. */
struct request {
	int fd;
	size_t max;
	char *buf;
	size_t len;
	int err;
	bool done;       /* the reader finished it */
	bool abandoned;  /* the caller gave up waiting: the reader frees it */
};

struct reader {
	pthread_t thread;
	pthread_cond_t wake;     /* a request was handed over */
	struct request *req;     /* the one to do, or NULL */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER; /* guards every field above */
static pthread_cond_t done = PTHREAD_COND_INITIALIZER;   /* a reader finished a request */
static unsigned int stuck;                               /* readers abandoned */
static __thread struct reader *mine;                     /* this thread's reader */

static void request_free(struct request *r)
{
	free(r->buf);
	free(r);
}

static void do_read(struct request *r)
{
	ssize_t n;

	r->buf = malloc(r->max + 1);
	while (r->buf && r->len < r->max) {
		n = read(r->fd, r->buf + r->len, r->max - r->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			r->err = -errno;
		if (n <= 0)
			break;
		r->len += n;
	}
	if (r->buf)
		r->buf[r->len] = '\0';
	else
		r->err = -ENOMEM;
	close(r->fd);
}

static void *reader_run(void *arg)
{
	struct reader *rd = arg;
	struct request *r;

	for (;;) {
		pthread_mutex_lock(&lock);
		while (!rd->req)
			pthread_cond_wait(&rd->wake, &lock);
		r = rd->req;
		pthread_mutex_unlock(&lock);
		do_read(r);
		pthread_mutex_lock(&lock);
		rd->req = NULL;
		if (r->abandoned) {
			/* our caller has moved on to another reader: we are done */
			pthread_mutex_unlock(&lock);
			request_free(r);
			pthread_cond_destroy(&rd->wake);
			free(rd);
			return NULL;
		}
		r->done = true;
		pthread_cond_broadcast(&done);
		pthread_mutex_unlock(&lock);
	}
}

static struct reader *reader_new(void)
{
	struct reader *rd = calloc(1, sizeof(*rd));
	pthread_attr_t attr;
	int err;

	if (!rd)
		return NULL;
	pthread_cond_init(&rd->wake, NULL);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	err = pthread_create(&rd->thread, &attr, reader_run, rd);
	pthread_attr_destroy(&attr);
	if (err) {
		pthread_cond_destroy(&rd->wake);
		free(rd);
		return NULL;
	}
	return rd;
}

/* Wait (lock held) until r is done or the deadline passes: true if done. */
static bool wait_done(struct request *r, unsigned int wait_ms)
{
	/* the condition variable waits on its default clock, CLOCK_REALTIME */
	struct timespec until = deadline_after_ms(CLOCK_REALTIME, wait_ms);

	while (!r->done)
		if (pthread_cond_timedwait(&done, &lock, &until) == ETIMEDOUT)
			return r->done;
	return true;
}

unsigned int stallguard_stuck(void)
{
	unsigned int n;

	pthread_mutex_lock(&lock);
	n = stuck;
	pthread_mutex_unlock(&lock);
	return n;
}

char *stallguard_read(int fd, size_t max, unsigned int wait_ms, size_t *lenp, int *err)
{
	struct request *r = calloc(1, sizeof(*r));
	char *buf = NULL;

	pthread_mutex_lock(&lock);
	*err = stuck >= STALLGUARD_STUCK_MAX ? -EAGAIN : !r ? -ENOMEM : 0;
	if (!*err && !mine && !(mine = reader_new()))
		*err = -ENOMEM;
	if (*err) {
		pthread_mutex_unlock(&lock);
		close(fd);
		free(r);
		return NULL;
	}
	r->fd = fd;
	r->max = max;
	mine->req = r;
	pthread_cond_signal(&mine->wake);
	if (!wait_done(r, wait_ms)) {
		r->abandoned = true;
		mine = NULL;
		stuck++;
		pthread_mutex_unlock(&lock);
		*err = -ETIMEDOUT;
		return NULL;
	}
	pthread_mutex_unlock(&lock);
	*err = r->err;
	if (!*err) {
		buf = r->buf;
		*lenp = r->len;
		r->buf = NULL;
	}
	request_free(r);
	return buf;
}
