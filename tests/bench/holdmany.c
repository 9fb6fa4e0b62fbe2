// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holdmany - a busy host in one command: P processes holding S TCP sockets
 * each, alive until told to exit.
 *
 * ss -p, lsof and fuser read every /proc/PID/fd on the host, and bindwatch's
 * holder iterator walks every open file, so what they cost depends on how
 * many processes and sockets the host has, not on the port asked about.
 * scripts/bench-who.sh starts this to put 1,000 processes and 20,000
 * sockets on the machine and times them against it.
 *
 * Design:
 *
 *  - The parent makes itself a process group leader (setpgid) first, so the
 *    whole crowd can be killed with one kill(-PGID), and blocks the signals
 *    it will wait for before forking, so none is lost in between.
 *  - Each child opens its sockets with port 0 (the kernel picks a free
 *    ephemeral port).  L of them listen on 127.0.0.1, each on its own port,
 *    as services would.  The rest are only bound, not listening (what a
 *    client with a fixed source address, or a half-started server, holds:
 *    such sockets sit in no socket table, only in the process's fd table),
 *    on 127.0.1.K with K from 1 to 250 by child: spread over addresses,
 *    they do not need 15,000 distinct ports, so starting takes well under
 *    a second instead of several (bind(0) searches longer as one address's
 *    ports fill up) and the host keeps most of its ephemeral range.  Each
 *    child then reports one status byte on a shared pipe (0, or the errno
 *    that stopped it; one-byte writes are atomic) and sleeps in pause().
 *  - Children die with the parent (PR_SET_PDEATHSIG SIGKILL), so even a
 *    SIGKILL of the parent alone leaves nothing behind.
 *  - When every child has reported, the parent prints one "ready ..." line
 *    on stdout and waits in sigwait() for SIGTERM, SIGINT or SIGHUP, then
 *    SIGKILLs and reaps every child and exits 0.  A child that dies before
 *    that (SIGCHLD) means the host is not what was asked for: the parent
 *    tears everything down and exits 1.
 *  - RLIMIT_NOFILE is raised when S sockets would not fit under it.
 *
 * Output: "ready P processes, N sockets (L listening), pgid G" on stdout;
 * errors on stderr.  Exit status 0 after a signal, 1 on failure, 2 for bad
 * usage.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* pipe2 */
#endif
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "parse.h"

#define DEFAULT_PROCS      1000
#define DEFAULT_SOCKETS    20
#define DEFAULT_LISTENERS  5
#define MAX_PROCS          30000
#define MAX_SOCKETS        10000
#define SPARE_FDS          16   /* stdio, the status pipe, and some slack */
#define LISTEN_BACKLOG     16
#define BOUND_NET          0x7f000100u   /* 127.0.1.0/24 */
#define BOUND_ADDRS        250           /* 127.0.1.1 .. 127.0.1.250 */

struct config {
	long procs;
	long sockets;     /* per process */
	long listeners;   /* per process, among sockets */
};

static void usage(FILE *f, const char *prog)
{
	fprintf(f,
		"Usage: %s [-n PROCS] [-s SOCKETS] [-l LISTENERS]\n"
		"Start PROCS processes holding SOCKETS TCP sockets each on 127.0.0.1\n"
		"(LISTENERS of them listening, the rest only bound), print \"ready\"\n"
		"and keep them until SIGTERM, SIGINT or SIGHUP.\n"
		"\n"
		"  -n PROCS      processes (default %d, at most %d)\n"
		"  -s SOCKETS    sockets per process (default %d, at most %d)\n"
		"  -l LISTENERS  listening sockets per process (default %d)\n"
		"  -h            show this help\n",
		prog, DEFAULT_PROCS, MAX_PROCS, DEFAULT_SOCKETS, MAX_SOCKETS,
		DEFAULT_LISTENERS);
}

static int parse_args(int argc, char **argv, struct config *c)
{
	int opt;

	*c = (struct config){
		.procs = DEFAULT_PROCS,
		.sockets = DEFAULT_SOCKETS,
		.listeners = DEFAULT_LISTENERS,
	};
	while ((opt = getopt(argc, argv, "n:s:l:h")) != -1) {
		switch (opt) {
		case 'n':
			if (parse_long(optarg, 1, MAX_PROCS, &c->procs)) {
				fprintf(stderr, "holdmany: bad -n '%s' (1..%d)\n",
					optarg, MAX_PROCS);
				return -1;
			}
			break;
		case 's':
			if (parse_long(optarg, 1, MAX_SOCKETS, &c->sockets)) {
				fprintf(stderr, "holdmany: bad -s '%s' (1..%d)\n",
					optarg, MAX_SOCKETS);
				return -1;
			}
			break;
		case 'l':
			if (parse_long(optarg, 0, MAX_SOCKETS, &c->listeners)) {
				fprintf(stderr, "holdmany: bad -l '%s'\n", optarg);
				return -1;
			}
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
		fprintf(stderr, "holdmany: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (c->listeners > c->sockets) {
		fprintf(stderr, "holdmany: -l %ld is more than -s %ld\n",
			c->listeners, c->sockets);
		return -1;
	}
	return 0;
}

/* Make room for the sockets plus stdio and the pipe. */
static int raise_nofile(long sockets)
{
	rlim_t need = (rlim_t)sockets + SPARE_FDS;
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl)) {
		perror("holdmany: getrlimit");
		return -1;
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need)
		return 0;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < need)
		rl.rlim_max = need;   /* root may raise the hard limit too */
	rl.rlim_cur = need;
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		perror("holdmany: setrlimit(RLIMIT_NOFILE)");
		return -1;
	}
	return 0;
}

/*
 * One socket on port 0 (the kernel picks): a listener on 127.0.0.1, or a
 * bound-only socket on the loopback address addr (host order).
 */
static int open_socket(int listening, uint32_t addr)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_addr.s_addr = htonl(listening ? INADDR_LOOPBACK : addr),
		.sin_port = 0,
	};
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) ||
	    (listening && listen(fd, LISTEN_BACKLOG))) {
		int err = errno;

		close(fd);
		errno = err;
		return -1;
	}
	return fd;
}

/* The child: open the sockets, report, sleep until killed.  Never returns. */
static void child(const struct config *c, long index, pid_t parent,
		  int status_fd, const sigset_t *oldmask)
{
	uint32_t bound_addr = BOUND_NET | (uint32_t)(1 + index % BOUND_ADDRS);
	unsigned char status = 0;
	int null;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
		_exit(EXIT_FAILURE);
	sigprocmask(SIG_SETMASK, oldmask, NULL);
	/* do not keep the caller's stdout open (a pipe would never see EOF) */
	null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(null, STDOUT_FILENO);
		if (null > STDERR_FILENO)
			close(null);
	}
	for (long i = 0; i < c->sockets; i++) {
		if (open_socket(i < c->listeners, bound_addr) < 0) {
			status = errno > 0 && errno <= UCHAR_MAX ? (unsigned char)errno
								 : UCHAR_MAX;
			break;
		}
	}
	if (write(status_fd, &status, 1) != 1 || status)
		_exit(EXIT_FAILURE);
	close(status_fd);
	for (;;)
		pause();
}

/* SIGKILL and reap every child started so far. */
static void teardown(const pid_t *pids, long n)
{
	for (long i = 0; i < n; i++)
		kill(pids[i], SIGKILL);
	for (long i = 0; i < n; i++)
		while (waitpid(pids[i], NULL, 0) < 0 && errno == EINTR)
			;
}

/* Read one status byte per child; 0 when all are ready. */
static int wait_ready(int status_fd, long procs)
{
	unsigned char buf[4096];
	long got = 0;

	while (got < procs) {
		ssize_t n = read(status_fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			perror("holdmany: reading child status");
			return -1;
		}
		if (n == 0) {
			fprintf(stderr, "holdmany: %ld of %ld processes died before "
				"reporting\n", procs - got, procs);
			return -1;
		}
		for (ssize_t i = 0; i < n; i++) {
			if (buf[i]) {
				fprintf(stderr, "holdmany: a process could not open "
					"its sockets: %s\n", strerror(buf[i]));
				return -1;
			}
		}
		got += n;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct config c;
	sigset_t wait_set, oldmask;
	pid_t parent, *pids;
	int status_pipe[2], sig = 0, rc = EXIT_FAILURE;
	long started = 0;

	if (parse_args(argc, argv, &c))
		return 2;
	if (raise_nofile(c.sockets))
		return EXIT_FAILURE;
	pids = calloc(c.procs, sizeof(*pids));
	if (!pids) {
		perror("holdmany: calloc");
		return EXIT_FAILURE;
	}
	/* one group for the whole crowd; fails only if already a session leader */
	if (setpgid(0, 0) && getpgid(0) != getpid())
		fprintf(stderr, "holdmany: setpgid: %s (continuing)\n", strerror(errno));

	sigemptyset(&wait_set);
	sigaddset(&wait_set, SIGTERM);
	sigaddset(&wait_set, SIGINT);
	sigaddset(&wait_set, SIGHUP);
	sigaddset(&wait_set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &wait_set, &oldmask) ||
	    pipe2(status_pipe, O_CLOEXEC)) {
		perror("holdmany: setup");
		free(pids);
		return EXIT_FAILURE;
	}
	parent = getpid();
	for (; started < c.procs; started++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "holdmany: fork after %ld processes: %s\n",
				started, strerror(errno));
			goto out;
		}
		if (pid == 0) {
			close(status_pipe[0]);
			child(&c, started, parent, status_pipe[1], &oldmask);
		}
		pids[started] = pid;
	}
	close(status_pipe[1]);
	status_pipe[1] = -1;
	if (wait_ready(status_pipe[0], c.procs))
		goto out;

	printf("ready %ld processes, %ld sockets (%ld listening), pgid %d\n",
	       c.procs, c.procs * c.sockets, c.procs * c.listeners, (int)getpgid(0));
	if (fflush(stdout))
		goto out;
	if (sigwait(&wait_set, &sig)) {
		perror("holdmany: sigwait");
		goto out;
	}
	if (sig == SIGCHLD)
		fprintf(stderr, "holdmany: a process exited before being told to\n");
	else
		rc = EXIT_SUCCESS;
out:
	if (status_pipe[1] >= 0)
		close(status_pipe[1]);
	close(status_pipe[0]);
	teardown(pids, started);
	free(pids);
	return rc;
}
