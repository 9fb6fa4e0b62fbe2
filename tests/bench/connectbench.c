// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * connectbench - the per-call cost of connect(), for what capturing
 * connect() out of ephemeral ports (--ephemeral, a program on
 * sys_exit_connect) adds to the calls it does not concern.
 *
 *   udp_connect_ns    connect() of one UDP socket, to two destinations in
 *                     turn: a route lookup, no port picked (the cheapest
 *                     connect(), where a program's cost shows most)
 *   tcp_refused_ns    a TCP connect() to a closed port of 127.0.0.1: a
 *                     socket, an ephemeral port picked, a RST, a close
 *
 * Each is the median of R rounds of N calls.  Output: "NAME VALUE" lines.
 *
 *   connectbench [-n N] [-r R]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_ITERS 200000
#define DEFAULT_ROUNDS 7
#define TCP_ITERS_DIV 20     /* a refused TCP connect() costs ~20 UDP ones */
#define UDP_PORT_A 9         /* discard: nothing needs to listen for a UDP connect() */
#define UDP_PORT_B 7
#define NSEC_PER_SEC 1000000000.0
#define MAX_ROUNDS 101

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

static struct sockaddr_in loopback(unsigned short port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return a;
}

/* ns per UDP connect() over n calls, or -1. */
static double udp_round(long n)
{
	struct sockaddr_in a = loopback(UDP_PORT_A), b = loopback(UDP_PORT_B);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	double t0;
	long i;

	if (fd < 0)
		return -1;
	t0 = now();
	for (i = 0; i < n; i++)
		if (connect(fd, (struct sockaddr *)(i & 1 ? &a : &b), sizeof(a))) {
			close(fd);
			return -1;
		}
	t0 = (now() - t0) / n;
	close(fd);
	return t0;
}

/* A port of 127.0.0.1 nothing listens on (bound, not listening, by us). */
static int closed_port(int *holder, unsigned short *port)
{
	struct sockaddr_in a = loopback(0);
	socklen_t len = sizeof(a);

	*holder = socket(AF_INET, SOCK_STREAM, 0);
	if (*holder < 0 || bind(*holder, (struct sockaddr *)&a, sizeof(a)) ||
	    getsockname(*holder, (struct sockaddr *)&a, &len))
		return -1;
	*port = ntohs(a.sin_port);
	return 0;
}

/* ns per refused TCP connect() (socket and close included) over n calls, or -1. */
static double tcp_round(long n, unsigned short port)
{
	struct sockaddr_in a = loopback(port);
	double t0 = now();
	long i;
	int fd;

	for (i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_STREAM, 0);
		if (fd < 0)
			return -1;
		if (!connect(fd, (struct sockaddr *)&a, sizeof(a)) || errno != ECONNREFUSED) {
			close(fd);
			return -1;
		}
		close(fd);
	}
	return (now() - t0) / n;
}

static int by_value(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return (a > b) - (a < b);
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), by_value);
	return v[n / 2];
}

int main(int argc, char **argv)
{
	long iters = DEFAULT_ITERS;
	int rounds = DEFAULT_ROUNDS, c, r, holder;
	double udp[MAX_ROUNDS], tcp[MAX_ROUNDS];
	unsigned short port;

	while ((c = getopt(argc, argv, "n:r:")) != -1) {
		if (c == 'n' && (iters = atol(optarg)) > 0)
			continue;
		if (c == 'r' && (rounds = atoi(optarg)) > 0 && rounds <= MAX_ROUNDS)
			continue;
		fprintf(stderr, "usage: %s [-n N] [-r R (1-%d)]\n", argv[0], MAX_ROUNDS);
		return 2;
	}
	if (closed_port(&holder, &port)) {
		perror("connectbench: a closed port");
		return 1;
	}
	for (r = 0; r < rounds; r++) {
		udp[r] = udp_round(iters);
		tcp[r] = tcp_round(iters / TCP_ITERS_DIV, port);
		if (udp[r] < 0 || tcp[r] < 0) {
			perror("connectbench: connect");
			return 1;
		}
	}
	printf("udp_connect_ns %.1f\ntcp_refused_ns %.1f\n", median(udp, rounds),
	       median(tcp, rounds));
	close(holder);
	return 0;
}
