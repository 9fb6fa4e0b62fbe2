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
 *   cycle_ns         socket() + bind() to a free 127.0.0.1 port + close():
 *                    the successful calls every service makes, which
 *                    bindwatch must let through at (almost) no cost.
 *   uring_nop_ns     an io_uring IORING_OP_NOP, submitted and waited for
 *                    with one io_uring_enter(): what an io_uring user that
 *                    never binds pays for the completion tracepoint
 *                    bindwatch watches io_uring's binds on (tracepoint
 *                    mode); 0 when the kernel refuses io_uring.
 *   storm2_same_ns   failing bind() in PROCS processes at once, each
 *   storm2_diff_ns   pinned to its own CPU (round robin), all on one held
 *                    port, then each on a port of its own: the storm
 *                    table shared across CPUs.  The figure is the mean of
 *                    the processes' medians.
 *
 * Each measurement is a short warm-up, then R timed runs of N calls; the
 * median of the R per-call averages is printed, which shrugs off a run hit
 * by an interrupt or a migration.  Any bind() that does not fail with
 * EADDRINUSE aborts the program: the numbers would mean something else.
 * "failures" is every failing bind() made, warm-ups included, so that a
 * monitor's counts can be checked against it exactly.
 *
 * --flood N makes N failing binds and nothing else; --distinct P,Q opens Q
 * held ports and has P fresh processes fail once on each: P x Q distinct
 * storms (what a monitor's memory is measured after).  Both print only
 * "failures".
 *
 * Output: "NAME VALUE" lines, or with --json a single JSON object.
 * scripts/bench.sh runs this with nothing attached, with the floor and
 * with bindwatch, and compares.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/io_uring.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sched.h>
#include <sys/wait.h>
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
#define DEFAULT_PROCS         2
#define MAX_PROCS             64
#define MAX_DISTINCT_PORTS    1000
#define FREE_PORT_FIRST       20000 /* the cycle's port: below the usual ephemeral range */
#define FREE_PORT_SPAN        10000
#define CYCLE_MOVES           3

enum { OPT_JSON = 0x100, OPT_FLOOD, OPT_DISTINCT };

struct config {
	long bind_iters;
	long getppid_iters;
	int repeats;
	int procs;
	int json;
	long flood;          /* --flood N: only N failing binds */
	long distinct_procs; /* --distinct P,Q */
	long distinct_ports;
};

struct target {
	int ring;                  /* an io_uring of one entry, for uring_loop; -1: none */
	unsigned int *sq_tail, *cq_head;
	struct io_uring_sqe *sqe;
	int listener;              /* holds the port */
	int sock;                  /* the socket we keep failing to bind */
	struct sockaddr_in addr;   /* 127.0.0.1:port of the listener */
	struct sockaddr_in free;   /* 127.0.0.1:port found free, for cycle_loop */
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
		"  -p P     processes of the concurrent storms (default %d, at most %d)\n"
		"  --flood N        only N failing binds\n"
		"  --distinct P,Q   only: P processes fail once on each of Q ports\n"
		"  --json   print one JSON object instead of name/value lines\n"
		"  -h       show this help\n",
		prog, DEFAULT_BIND_ITERS, DEFAULT_GETPPID_ITERS, DEFAULT_REPEATS,
		MAX_REPEATS, DEFAULT_PROCS, MAX_PROCS);
}

static int parse_args(int argc, char **argv, struct config *c)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "flood", required_argument, NULL, OPT_FLOOD },
		{ "distinct", required_argument, NULL, OPT_DISTINCT },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long v;
	int opt;

	*c = (struct config){
		.bind_iters = DEFAULT_BIND_ITERS,
		.getppid_iters = DEFAULT_GETPPID_ITERS,
		.repeats = DEFAULT_REPEATS,
		.procs = DEFAULT_PROCS,
	};
	while ((opt = getopt_long(argc, argv, "n:r:p:h", longopts, NULL)) != -1) {
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
		case 'p':
			if (parse_long(optarg, 1, MAX_PROCS, &v)) {
				fprintf(stderr, "bindbench: bad -p '%s' (1..%d)\n",
					optarg, MAX_PROCS);
				return -1;
			}
			c->procs = (int)v;
			break;
		case OPT_FLOOD:
			if (parse_long(optarg, 1, LONG_MAX, &c->flood)) {
				fprintf(stderr, "bindbench: bad --flood '%s'\n", optarg);
				return -1;
			}
			break;
		case OPT_DISTINCT: {
			char *comma = strchr(optarg, ',');

			if (!comma || (*comma = '\0', parse_long(optarg, 1, MAX_PROCS * MAX_PROCS,
								  &c->distinct_procs)) ||
			    parse_long(comma + 1, 1, MAX_DISTINCT_PORTS, &c->distinct_ports)) {
				fprintf(stderr, "bindbench: bad --distinct (expected P,Q: "
					"processes up to %d, ports up to %d)\n",
					MAX_PROCS * MAX_PROCS, MAX_DISTINCT_PORTS);
				return -1;
			}
			break;
		}
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

/*
 * A port of 127.0.0.1 free now, below the ephemeral range where no other
 * process's connect() or bind() to port 0 takes it, into a->sin_port: bound,
 * then let go at close.  0 or -1.
 */
static int pick_free_port(struct sockaddr_in *a)
{
	unsigned int port = FREE_PORT_FIRST + getpid() % FREE_PORT_SPAN, tries;

	for (tries = 0; tries < FREE_PORT_SPAN; tries++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		bool bound;

		if (s < 0) {
			perror("bindbench: socket");
			return -1;
		}
		a->sin_port = htons(port);
		bound = !bind(s, (struct sockaddr *)a, sizeof(*a));
		close(s);
		if (bound)
			return 0;
		port = port + 1 < FREE_PORT_FIRST + FREE_PORT_SPAN ? port + 1 : FREE_PORT_FIRST;
	}
	fprintf(stderr, "bindbench: no free port in %u-%u\n", FREE_PORT_FIRST,
		FREE_PORT_FIRST + FREE_PORT_SPAN - 1);
	return -1;
}

/* A listener on an ephemeral 127.0.0.1 port, and a second, unbound socket. */
static int target_open(struct target *t)
{
	socklen_t len = sizeof(t->addr);

	t->listener = t->sock = t->ring = -1;
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
	t->free = t->addr;
	if (pick_free_port(&t->free))
		return -1;
	t->sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (t->sock < 0) {
		perror("bindbench: socket");
		return -1;
	}
	return 0;
}

static void target_close(struct target *t)
{
	if (t->ring >= 0)
		close(t->ring); /* the mappings go with the process */
	if (t->sock >= 0)
		close(t->sock);
	if (t->listener >= 0)
		close(t->listener);
}

/* One failing bind; -1 if it did something other than EADDRINUSE. */
static int bind_fails(int sock, const struct sockaddr_in *addr)
{
	if (bind(sock, (const struct sockaddr *)addr, sizeof(*addr)) == 0) {
		fprintf(stderr, "bindbench: bind to held port %u succeeded\n",
			ntohs(addr->sin_port));
		return -1;
	}
	if (errno != EADDRINUSE) {
		fprintf(stderr, "bindbench: bind: %s (expected EADDRINUSE)\n",
			strerror(errno));
		return -1;
	}
	return 0;
}

/* n failing binds; -1 if any call did something other than EADDRINUSE. */
static int bind_loop(const struct target *t, long n)
{
	for (long i = 0; i < n; i++)
		if (bind_fails(t->sock, &t->addr))
			return -1;
	return 0;
}

static int getppid_loop(const struct target *t, long n)
{
	(void)t;
	for (long i = 0; i < n; i++)
		getppid();
	return 0;
}

/*
 * Set up t's io_uring of one entry, its one SQE a NOP that stays as it is
 * (slot 0 of the SQ array, never rewritten): each loop round only moves
 * the SQ tail and the CQ head.  No io_uring (refused, disabled): no ring,
 * and the figure is 0.
 */
static void ring_open(struct target *t)
{
	struct io_uring_params p = { 0 };
	void *sq, *cq, *sqes;

	t->ring = syscall(__NR_io_uring_setup, 1, &p);
	if (t->ring < 0)
		return;
	sq = mmap(NULL, p.sq_off.array + p.sq_entries * sizeof(unsigned int),
		  PROT_READ | PROT_WRITE, MAP_SHARED, t->ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe),
		  PROT_READ | PROT_WRITE, MAP_SHARED, t->ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED,
		    t->ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		close(t->ring);
		t->ring = -1;
		return;
	}
	t->sqe = sqes;
	memset(t->sqe, 0, sizeof(*t->sqe));
	t->sqe->opcode = IORING_OP_NOP;
	((unsigned int *)((char *)sq + p.sq_off.array))[0] = 0;
	t->sq_tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	t->cq_head = (unsigned int *)((char *)cq + p.cq_off.head);
}

static int uring_loop(const struct target *t, long n)
{
	for (long i = 0; i < n; i++) {
		__atomic_store_n(t->sq_tail, *t->sq_tail + 1, __ATOMIC_RELEASE);
		if (syscall(__NR_io_uring_enter, t->ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) != 1) {
			perror("bindbench: io_uring_enter");
			return -1;
		}
		__atomic_store_n(t->cq_head, *t->cq_head + 1, __ATOMIC_RELEASE);
	}
	return 0;
}

/*
 * n times socket() + bind() + close() on t->free (a closed, never-listening
 * socket frees its port at once, so each cycle finds it free again).  Now
 * and then the port is still taken for a moment (seen under load, cause
 * not found): the cycle then moves to another free port, at most
 * CYCLE_MOVES times a loop.
 */
static int cycle_loop(const struct target *t, long n)
{
	struct sockaddr_in a = t->free;
	int moves = 0;

	for (long i = 0; i < n; i++) {
		int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int err = s < 0 || bind(s, (const struct sockaddr *)&a, sizeof(a)) ? errno : 0;

		if (s >= 0)
			close(s);
		if (err == EADDRINUSE && moves < CYCLE_MOVES) {
			moves++;
			if (pick_free_port(&a))
				return -1;
			i--;
		} else if (err) {
			fprintf(stderr, "bindbench: socket+bind to 127.0.0.1:%u: %s\n",
				ntohs(a.sin_port), strerror(err));
			return -1;
		}
	}
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* Calls measure() makes for n calls a run: the warm-up and the runs. */
static long measure_calls(long n, int repeats)
{
	return n / WARMUP_DIVISOR + n * repeats;
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

/* Pin the calling process to CPU i modulo the CPUs it may use. */
static void pin(int i)
{
	cpu_set_t allowed, one;
	int cpu, seen = -1;

	if (sched_getaffinity(0, sizeof(allowed), &allowed))
		return;
	i %= CPU_COUNT(&allowed);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, &allowed) && ++seen == i)
			break;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	sched_setaffinity(0, sizeof(one), &one);
}

/*
 * c->procs processes failing bind() at once, each on its own CPU: on the
 * port of *shared, or (shared NULL) each on a port of its own.  They start
 * together (one byte each on a pipe); *ns is the mean of their medians.
 */
static int storm(const struct config *c, const struct target *shared, double *ns)
{
	int go[2], res[2], ok = 0, status;
	double sum = 0, v;
	char byte = 0;

	if (pipe2(go, O_CLOEXEC) || pipe2(res, O_CLOEXEC)) {
		perror("bindbench: pipe");
		return -1;
	}
	for (int i = 0; i < c->procs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("bindbench: fork");
			break;
		}
		if (pid == 0) {
			struct target own = { .listener = -1, .sock = -1 };
			int err;

			close(go[1]);
			close(res[0]);
			pin(i);
			if (shared) {
				own.addr = shared->addr;
				own.sock = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
				err = own.sock < 0;
			} else {
				err = target_open(&own);
			}
			if (read(go[0], &byte, 1) != 1)
				err = 1;
			if (!err)
				err = measure(bind_loop, &own, c->bind_iters, c->repeats, &v);
			if (!err && write(res[1], &v, sizeof(v)) != sizeof(v))
				err = 1;
			_exit(err ? EXIT_FAILURE : EXIT_SUCCESS);
		}
	}
	close(go[0]);
	close(res[1]);
	for (int i = 0; i < c->procs; i++)
		if (write(go[1], &byte, 1) != 1)
			break;
	close(go[1]);
	while (read(res[0], &v, sizeof(v)) == sizeof(v)) {
		sum += v;
		ok++;
	}
	close(res[0]);
	while (wait(&status) > 0)
		if (!WIFEXITED(status) || WEXITSTATUS(status))
			ok = -1;
	if (ok != c->procs) {
		fprintf(stderr, "bindbench: a storm process failed\n");
		return -1;
	}
	*ns = sum / c->procs;
	return 0;
}

/* --distinct: P processes, one after another, fail once on each of Q ports. */
static int distinct(const struct config *c)
{
	static struct target t[MAX_DISTINCT_PORTS];
	int err = 0, status;
	long p, q;

	for (q = 0; q < c->distinct_ports && !err; q++)
		err = target_open(&t[q]);
	for (p = 0; p < c->distinct_procs && !err; p++) {
		pid_t pid = fork();

		if (pid < 0) {
			perror("bindbench: fork");
			err = -1;
			break;
		}
		if (pid == 0) {
			for (q = 0; q < c->distinct_ports; q++)
				if (bind_fails(t[q].sock, &t[q].addr))
					_exit(EXIT_FAILURE);
			_exit(EXIT_SUCCESS);
		}
		if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
			err = -1;
	}
	for (q = 0; q < c->distinct_ports; q++)
		target_close(&t[q]);
	if (err)
		return -1;
	printf("failures %ld\n", c->distinct_procs * c->distinct_ports);
	return 0;
}

int main(int argc, char **argv)
{
	struct config c;
	struct target t;
	double bind_ns, getppid_ns, cycle_ns, same_ns, diff_ns, uring_ns = 0;
	long failures;
	int err;

	if (parse_args(argc, argv, &c))
		return EXIT_FAILURE;
	if (c.distinct_procs)
		return distinct(&c) || fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
	if (target_open(&t)) {
		target_close(&t);
		return EXIT_FAILURE;
	}
	if (c.flood) {
		err = bind_loop(&t, c.flood);
		target_close(&t);
		if (err)
			return EXIT_FAILURE;
		printf("failures %ld\n", c.flood);
		return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
	}
	ring_open(&t);
	err = measure(bind_loop, &t, c.bind_iters, c.repeats, &bind_ns) ||
	      measure(getppid_loop, &t, c.getppid_iters, c.repeats, &getppid_ns) ||
	      measure(cycle_loop, &t, c.bind_iters, c.repeats, &cycle_ns) ||
	      (t.ring >= 0 && measure(uring_loop, &t, c.getppid_iters, c.repeats, &uring_ns)) ||
	      storm(&c, &t, &same_ns) || storm(&c, NULL, &diff_ns);
	target_close(&t);
	if (err)
		return EXIT_FAILURE;
	failures = measure_calls(c.bind_iters, c.repeats) * (1 + 2 * c.procs);

	if (c.json)
		printf("{\"failing_bind_ns\":%.1f,\"getppid_ns\":%.1f,\"cycle_ns\":%.1f,"
		       "\"uring_nop_ns\":%.1f,"
		       "\"storm2_same_ns\":%.1f,\"storm2_diff_ns\":%.1f,\"failures\":%ld,"
		       "\"bind_iterations\":%ld,\"getppid_iterations\":%ld,"
		       "\"repeats\":%d,\"procs\":%d}\n",
		       bind_ns, getppid_ns, cycle_ns, uring_ns, same_ns, diff_ns, failures,
		       c.bind_iters, c.getppid_iters, c.repeats, c.procs);
	else
		printf("failing_bind_ns %.1f\ngetppid_ns %.1f\ncycle_ns %.1f\nuring_nop_ns %.1f\n"
		       "storm2_same_ns %.1f\nstorm2_diff_ns %.1f\nfailures %ld\n",
		       bind_ns, getppid_ns, cycle_ns, uring_ns, same_ns, diff_ns, failures);
	return fflush(stdout) ? EXIT_FAILURE : EXIT_SUCCESS;
}
