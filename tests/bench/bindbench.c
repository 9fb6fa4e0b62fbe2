// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bindbench - the per-call cost bindwatch adds, measured from the outside.
 *
 * Two loops on one thread, each timed with CLOCK_MONOTONIC:
 *
 *   failing_bind_ns  bind() of one pre-created TCP socket to 127.0.0.1:P,
 *                    where P is held by a listener of our own, so every call
 *                    fails with EADDRINUSE: exactly the event bindwatch
 *                    records.  A failed bind leaves the socket unbound, so
 *                    the same socket is retried and the loop makes no other
 *                    syscall.
 *   getppid_ns       getppid(), the cheapest real syscall (glibc does not
 *                    cache it): enabling any syscall tracepoint sends every
 *                    syscall of every task through the slow path, and this
 *                    shows that tax.
 *
 * Each measurement is a short warm-up, then R timed runs of N calls; the
 * median of the R per-call averages is printed, which shrugs off a run hit
 * by an interrupt or a migration.  Any bind() that does not fail with
 * EADDRINUSE aborts the program: the numbers would mean something else.
 *
 * Output: "failing_bind_ns X" and "getppid_ns Y", one per line, or with
 * --json a single JSON object.  scripts/bench.sh runs this with and without
 * bindwatch attached and compares.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "parse.h"

#define DEFAULT_BIND_ITERS    200000L
#define DEFAULT_GETPPID_ITERS 2000000L
#define DEFAULT_REPEATS       5
#define MAX_REPEATS           101
#define WARMUP_DIVISOR        10   /* warm-up is N / WARMUP_DIVISOR calls */
#define LISTEN_BACKLOG        1
#define NS_PER_SEC            1000000000.0

enum { OPT_JSON = 0x100 };

struct config {
	long bind_iters;
	long getppid_iters;
	int repeats;
	int json;
};

struct target {
	int listener;              /* holds the port */
	int sock;                  /* the socket we keep failing to bind */
	struct sockaddr_in addr;   /* 127.0.0.1:port of the listener */
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-n N] [-r R] [--json]\n"
		"Time a failing bind() (EADDRINUSE) and getppid(), in ns per call.\n"
		"\n"
		"  -n N     calls per run for both loops (default %ld for bind,\n"
		"           %ld for getppid)\n"
		"  -r R     runs per measurement; the median is reported (default %d,\n"
		"           at most %d)\n"
		"  --json   print one JSON object instead of name/value lines\n"
		"  -h       show this help\n",
		prog, DEFAULT_BIND_ITERS, DEFAULT_GETPPID_ITERS, DEFAULT_REPEATS,
		MAX_REPEATS);
}

static int parse_args(int argc, char **argv, struct config *c)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int opt;

	*c = (struct config){
		.bind_iters = DEFAULT_BIND_ITERS,
		.getppid_iters = DEFAULT_GETPPID_ITERS,
		.repeats = DEFAULT_REPEATS,
	};
	while ((opt = getopt_long(argc, argv, "n:r:h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'n':
			if (parse_long(optarg, 1, LONG_MAX, &v)) {
				fprintf(stderr, "bindbench: bad -n '%s'\n", optarg);
				return -1;
			}
			c->bind_iters = c->getppid_iters = v;
			break;
		case 'r':
			if (parse_long(optarg, 1, MAX_REPEATS, &v)) {
				fprintf(stderr, "bindbench: bad -r '%s' (1..%d)\n",
					optarg, MAX_REPEATS);
				return -1;
			}
			c->repeats = (int)v;
			break;
		case OPT_JSON:
			c->json = 1;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(EXIT_SUCCESS);
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "bindbench: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 0;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NS_PER_SEC + ts.tv_nsec;
}

/* A listener on an ephemeral 127.0.0.1 port, and a second, unbound socket. */
static int target_open(struct target *t)
{
	socklen_t len = sizeof(t->addr);

	t->listener = t->sock = -1;
	memset(&t->addr, 0, sizeof(t->addr));
	t->addr.sin_family = AF_INET;
	t->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	t->addr.sin_port = 0;

	t->listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->listener < 0 ||
	    bind(t->listener, (struct sockaddr *)&t->addr, sizeof(t->addr)) ||
	    listen(t->listener, LISTEN_BACKLOG) ||
	    getsockname(t->listener, (struct sockaddr *)&t->addr, &len)) {
		perror("bindbench: listener");
		return -1;
	}
	t->sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->sock < 0) {
		perror("bindbench: socket");
		return -1;
	}
	return 0;
}

static void target_close(struct target *t)
{
	if (t->sock >= 0)
		close(t->sock);
	if (t->listener >= 0)
		close(t->listener);
}

/* n failing binds; -1 if any call did something other than EADDRINUSE. */
static int bind_loop(const struct target *t, long n)
{
	const struct sockaddr *sa = (const struct sockaddr *)&t->addr;

	for (long i = 0; i < n; i++) {
		if (bind(t->sock, sa, sizeof(t->addr)) == 0) {
			fprintf(stderr, "bindbench: bind to held port %u succeeded\n",
				ntohs(t->addr.sin_port));
			return -1;
		}
		if (errno != EADDRINUSE) {
			fprintf(stderr, "bindbench: bind: %s (expected EADDRINUSE)\n",
				strerror(errno));
			return -1;
		}
	}
	return 0;
}

static int getppid_loop(const struct target *t, long n)
{
	(void)t;
	for (long i = 0; i < n; i++)
		getppid();
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Median over repeats runs of the average ns per call of loop(t, n). */
static int measure(int (*loop)(const struct target *, long),
		   const struct target *t, long n, int repeats, double *median)
{
	double per_call[MAX_REPEATS];
	long warmup = n / WARMUP_DIVISOR;

	if (warmup > 0 && loop(t, warmup))
		return -1;
	for (int r = 0; r < repeats; r++) {
		double start = now_ns();

		if (loop(t, n))
			return -1;
		per_call[r] = (now_ns() - start) / n;
	}
	qsort(per_call, repeats, sizeof(per_call[0]), cmp_double);
	*median = repeats % 2 ? per_call[repeats / 2]
			      : (per_call[repeats / 2 - 1] + per_call[repeats / 2]) / 2;
	return 0;
}

int main(int argc, char **argv)
{
	struct config c;
	struct target t;
	double bind_ns, getppid_ns;
	int err;

	if (parse_args(argc, argv, &c))
		return EXIT_FAILURE;
	if (target_open(&t)) {
		target_close(&t);
		return EXIT_FAILURE;
	}
	err = measure(bind_loop, &t, c.bind_iters, c.repeats, &bind_ns) ||
	      measure(getppid_loop, &t, c.getppid_iters, c.repeats, &getppid_ns);
	target_close(&t);
	if (err)
		return EXIT_FAILURE;

	if (c.json)
		printf("{\"failing_bind_ns\":%.1f,\"getppid_ns\":%.1f,"
		       "\"bind_iterations\":%ld,\"getppid_iterations\":%ld,"
		       "\"repeats\":%d}\n",
		       bind_ns, getppid_ns, c.bind_iters, c.getppid_iters, c.repeats);
	else
		printf("failing_bind_ns %.1f\ngetppid_ns %.1f\n", bind_ns, getppid_ns);
	return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
}
