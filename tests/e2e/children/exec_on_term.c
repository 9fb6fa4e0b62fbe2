// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * exec_on_term.c - a port holder for test_trust_signals.py, run as nobody:
 * it listens on 127.0.0.1:PORT, prints "ready", and when SIGTERM comes
 * (a reclaim's first signal) does what MODE says, inside the grace period:
 *
 *   exec PROG [ARG...]  exec()s PROG, which inherits the listening socket
 *                       and so holds the port on: a setuid-root PROG makes
 *                       the holder root
 *   ignore              nothing: SIGTERM is ignored, it holds the port
 *                       until SIGKILL
 *   fork-exit           forks a child that holds the socket on and prints
 *                       "child PID", then exits itself
 *
 * It (and the fork-exit child) exits when stdin closes.
 * Usage: exec_on_term PORT MODE [PROG ARG...]
 */
#define _GNU_SOURCE /* ppoll */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static volatile sig_atomic_t termed;

static void on_term(int sig)
{
	(void)sig;
	termed = 1;
}

static int listen_on(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM, 0); /* no SOCK_CLOEXEC: an exec keeps it */

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, SOMAXCONN)) {
		perror("exec_on_term: listen");
		exit(1);
	}
	return fd;
}

/* Until stdin closes (0) or SIGTERM comes (1); SIGTERM is blocked outside. */
static int wait_term(const sigset_t *unblocked)
{
	struct pollfd in = { .fd = STDIN_FILENO, .events = POLLIN };
	char buf[64];

	for (;;) {
		if (termed)
			return 1;
		if (ppoll(&in, 1, NULL, unblocked) < 0) {
			if (errno != EINTR)
				return 0;
			continue;
		}
		if (read(STDIN_FILENO, buf, sizeof(buf)) <= 0)
			return 0;
	}
}

static void wait_eof(void)
{
	char buf[64];

	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_term };
	sigset_t term, old;
	pid_t child;

	if (argc < 3 || (!strcmp(argv[2], "exec") && argc < 4)) {
		fprintf(stderr, "usage: exec_on_term PORT exec|ignore|fork-exit [PROG ARG...]\n");
		return 2;
	}
	if (!strcmp(argv[2], "ignore"))
		sa.sa_handler = SIG_IGN;
	sigemptyset(&term);
	sigaddset(&term, SIGTERM);
	sigprocmask(SIG_BLOCK, &term, &old);
	sigaction(SIGTERM, &sa, NULL);
	listen_on(atoi(argv[1]));
	printf("ready\n");
	fflush(stdout);
	if (!wait_term(&old))
		return 0;
	if (!strcmp(argv[2], "exec")) {
		sigprocmask(SIG_SETMASK, &old, NULL);
		execv(argv[3], argv + 3);
		perror("exec_on_term: exec");
		return 1;
	}
	child = fork(); /* fork-exit */
	if (child == 0) {
		printf("child %d\n", getpid());
		fflush(stdout);
		wait_eof();
		return 0;
	}
	return child < 0;
}
