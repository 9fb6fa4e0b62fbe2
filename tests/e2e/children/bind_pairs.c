// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * bind_pairs.c - the kernel's bind_wildcard selftest as a replay for
 * test_bind_pairs.py: rounds of two sockets on one fresh port, made and
 * closed as fast as the calls go, so that a socket that blocks a call is
 * closed microseconds after it.
 *
 *   bind_pairs [--pause FD]
 *
 * reads rounds from stdin, one a line, tab-separated:
 *
 *   ID PROTO CALL OPT UID EP1 EP2 [PROBE ...]
 *
 * PROTO tcp or udp; EP an address, "ADDR/v6only" for an IPv6 socket with
 * IPV6_V6ONLY (every other IPv6 socket clears it, whatever the sysctl).
 * The first socket, owned by UID (made with that fsuid, so SO_REUSEPORT
 * sees another user), binds EP1 on port 0 (the kernel picks a free one);
 * the second binds EP2 on that port; both set OPT (plain, reuseaddr,
 * reuseport).  CALL "listen": both bind, then both listen (the second
 * listen is the call that may fail).  Each PROBE address is then bound on
 * the port by a socket of no options, kept open like the pair (what the
 * selftest does after its two sockets).  Then every socket of the round
 * is closed at once.  Each call made prints a line:
 *
 *   ID STEP CALL ADDR V6ONLY PORT ERRNO      (ERRNO 0 on success)
 *
 * STEP counts the round's calls from 1.  A line "sync" is answered with
 * "synced".  With --pause, before the call that may fail (the second bind,
 * or the second listen) it prints "pause ID PORT" and waits for a line on
 * descriptor FD (stdin carries the rounds): time for `bindwatch check` to
 * predict the call.
 */
#define _GNU_SOURCE /* setfsuid */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_LEN 1024
#define FIELDS_MAX 24
#define FIXED_FIELDS 7 /* ID PROTO CALL OPT UID EP1 EP2 */
#define ROUND_SOCKETS (FIELDS_MAX - FIXED_FIELDS + 2)
#define BACKLOG 8
#define V6ONLY_SUFFIX "/v6only"

struct endpoint {
	int family;
	bool v6only;
	char addr[INET6_ADDRSTRLEN];
	union {
		struct sockaddr_in v4;
		struct sockaddr_in6 v6;
	} sa;
};

struct round {
	const char *id;
	int type;
	bool listen;
	int opt; /* SO_REUSEADDR, SO_REUSEPORT or 0 */
	uid_t uid;
	unsigned int port;
	unsigned int step;
};

static void die(const char *what)
{
	fprintf(stderr, "bind_pairs: %s: %s\n", what, errno ? strerror(errno) : "bad input");
	exit(1);
}

static void parse_endpoint(const char *text, struct endpoint *ep)
{
	size_t n = strcspn(text, "/");

	memset(ep, 0, sizeof(*ep));
	if (n >= sizeof(ep->addr))
		die(text);
	memcpy(ep->addr, text, n);
	ep->v6only = !strcmp(text + n, V6ONLY_SUFFIX);
	if (text[n] && !ep->v6only)
		die(text);
	ep->family = strchr(ep->addr, ':') ? AF_INET6 : AF_INET;
	ep->sa.v4.sin_family = ep->family;
	if (inet_pton(ep->family, ep->addr, ep->family == AF_INET6 ?
		      (void *)&ep->sa.v6.sin6_addr : (void *)&ep->sa.v4.sin_addr) != 1)
		die(text);
}

/* ep's sockaddr set to port; its length. */
static socklen_t set_port(struct endpoint *ep, unsigned int port)
{
	if (ep->family == AF_INET6) {
		ep->sa.v6.sin6_port = htons(port);
		return sizeof(ep->sa.v6);
	}
	ep->sa.v4.sin_port = htons(port);
	return sizeof(ep->sa.v4);
}

static void set_int(int fd, int level, int name, int value)
{
	if (setsockopt(fd, level, name, &value, sizeof(value)))
		die("setsockopt");
}

/* A socket for ep, owned by uid (the inode's owner, which SO_REUSEPORT compares). */
static int open_socket(const struct round *r, const struct endpoint *ep, int opt, uid_t uid)
{
	struct stat st;
	int fd;

	setfsuid(uid);
	fd = socket(ep->family, r->type, 0);
	setfsuid(0);
	if (fd < 0)
		die("socket");
	if (fstat(fd, &st))
		die("fstat");
	if (st.st_uid != uid) {
		errno = EPERM;
		die("socket owner (setfsuid needs root)");
	}
	if (ep->family == AF_INET6)
		set_int(fd, IPPROTO_IPV6, IPV6_V6ONLY, ep->v6only);
	if (opt)
		set_int(fd, SOL_SOCKET, opt, 1);
	return fd;
}

static void report(struct round *r, const char *call, const struct endpoint *ep, int err)
{
	printf("%s\t%u\t%s\t%s\t%d\t%u\t%d\n", r->id, ++r->step, call, ep->addr, ep->v6only,
	       r->port, err);
}

/* With --pause: the descriptor its go-ahead comes on; else -1. */
static int pause_fd = -1;

static void pause_for_check(const struct round *r)
{
	char byte;

	printf("pause\t%s\t%u\n", r->id, r->port);
	fflush(stdout);
	errno = 0; /* read() returning 0 (closed) sets none */
	do {
		if (read(pause_fd, &byte, 1) != 1)
			die("no go-ahead on the --pause descriptor");
	} while (byte != '\n');
}

/* bind(); 0 or the errno.  The first bind (port 0) learns the round's port. */
static int do_bind(struct round *r, int fd, struct endpoint *ep)
{
	struct sockaddr_in6 got;
	socklen_t len = sizeof(got);
	socklen_t sa_len = set_port(ep, r->port);
	int err = 0;

	if (bind(fd, (struct sockaddr *)&ep->sa, sa_len))
		err = errno;
	if (!err && !r->port) {
		if (getsockname(fd, (struct sockaddr *)&got, &len))
			die("getsockname");
		r->port = ntohs(got.sin6_port); /* same offset in sockaddr_in */
	}
	report(r, "bind", ep, err);
	return err;
}

static int do_listen(struct round *r, int fd, const struct endpoint *ep)
{
	int err = listen(fd, BACKLOG) ? errno : 0;

	report(r, "listen", ep, err);
	return err;
}

static int parse_opt(const char *opt)
{
	if (!strcmp(opt, "plain"))
		return 0;
	if (!strcmp(opt, "reuseaddr"))
		return SO_REUSEADDR;
	if (!strcmp(opt, "reuseport"))
		return SO_REUSEPORT;
	die(opt);
	return 0;
}

static void play(char **f, int n)
{
	struct round r = {
		.id = f[0], .type = !strcmp(f[1], "udp") ? SOCK_DGRAM : SOCK_STREAM,
		.listen = !strcmp(f[2], "listen"), .opt = parse_opt(f[3]),
		.uid = (uid_t)strtoul(f[4], NULL, 10),
	};
	struct endpoint ep[ROUND_SOCKETS];
	int fd[ROUND_SOCKETS], i, open_n = 0, first_err, second_err;

	for (i = 0; i + FIXED_FIELDS - 2 < n; i++)
		parse_endpoint(f[i + FIXED_FIELDS - 2], &ep[i]);
	fd[open_n++] = open_socket(&r, &ep[0], r.opt, r.uid);
	fd[open_n++] = open_socket(&r, &ep[1], r.opt, 0);
	first_err = do_bind(&r, fd[0], &ep[0]);
	if (first_err)
		goto out; /* no port: nothing to replay */
	if (pause_fd >= 0 && !r.listen)
		pause_for_check(&r);
	second_err = do_bind(&r, fd[1], &ep[1]);
	if (r.listen && !second_err && !do_listen(&r, fd[0], &ep[0])) {
		if (pause_fd >= 0)
			pause_for_check(&r);
		do_listen(&r, fd[1], &ep[1]);
	}
	for (i = 2; i + FIXED_FIELDS - 2 < n; i++) {
		fd[open_n] = open_socket(&r, &ep[i], 0, 0);
		if (do_bind(&r, fd[open_n], &ep[i]))
			close(fd[open_n]);
		else
			open_n++;
	}
out:
	while (open_n)
		close(fd[--open_n]);
}

/* Split line at tabs into f; the number of fields. */
static int split(char *line, char **f)
{
	int n = 0;
	char *save = NULL, *tok;

	line[strcspn(line, "\n")] = '\0';
	for (tok = strtok_r(line, "\t", &save); tok; tok = strtok_r(NULL, "\t", &save)) {
		if (n == FIELDS_MAX)
			die("too many fields");
		f[n++] = tok;
	}
	return n;
}

int main(int argc, char **argv)
{
	char line[LINE_MAX_LEN], *f[FIELDS_MAX];
	int n;

	if (argc == 3 && !strcmp(argv[1], "--pause"))
		pause_fd = atoi(argv[2]);
	else if (argc != 1)
		die("usage: bind_pairs [--pause FD]");
	while (fgets(line, sizeof(line), stdin)) {
		n = split(line, f);
		if (n == 1 && !strcmp(f[0], "sync")) {
			puts("synced");
			fflush(stdout);
		} else if (n >= FIXED_FIELDS) {
			play(f, n);
		} else if (n) {
			errno = 0;
			die("a round needs ID PROTO CALL OPT UID EP1 EP2");
		}
	}
	return 0;
}
