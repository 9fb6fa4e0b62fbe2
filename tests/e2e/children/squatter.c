// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * squatter.c - a process that holds a port without a descriptor on it,
 * for the end-to-end tests of the indirect holders (test_holders.py).
 *
 *   squatter MODE PROTO PORT [HOPS]
 *
 * opens a PROTO ("tcp": listening, "udp") socket on 127.0.0.1:PORT (0:
 * any free port), then, by MODE:
 *   fd        keeps it open, as any server does (the control);
 *   inflight  sends it with SCM_RIGHTS on a socketpair of its own and
 *             closes its descriptor: the socket sits in the queue of the
 *             pair's other end; with HOPS > 1 that end is itself sent on
 *             a new pair, HOPS - 1 times, and closed;
 *   io_uring  registers it in an io_uring's file table and closes it.
 * Then prints one JSON line, {"pid","port","inode","carrier_inode"} (the
 * inode of the unix socket or ring that holds it), or {"skip": why} when
 * the kernel refuses io_uring, and waits until its stdin closes.
 */
#include <errno.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define BACKLOG 16

static void die(const char *what)
{
	fprintf(stderr, "squatter: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long inode_of(int fd)
{
	struct stat st;

	if (fstat(fd, &st))
		die("fstat");
	return st.st_ino;
}

/* Send fd on a new socketpair and close it: the returned end's queue holds it. */
static int send_away(int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("socketpair");
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sv[0], &msg, 0) != 1)
		die("sendmsg");
	close(fd);
	close(sv[0]);
	return sv[1];
}

/* Register fd in a new io_uring and close it; the ring's fd, or -1. */
static int register_in_ring(int fd)
{
	struct io_uring_params p = { 0 };
	int ring = syscall(__NR_io_uring_setup, 1, &p);

	if (ring < 0)
		return -1;
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_FILES, &fd, 1))
		die("io_uring_register");
	close(fd);
	return ring;
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int udp, fd, holder, hops;
	unsigned long ino;
	char buf[64];

	if (argc < 4) {
		fprintf(stderr, "usage: squatter fd|inflight|io_uring tcp|udp PORT [HOPS]\n");
		return 2;
	}
	udp = !strcmp(argv[2], "udp");
	hops = argc > 4 ? atoi(argv[4]) : 1;
	a.sin_port = htons(atoi(argv[3]));
	fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, 0);
	if (fd < 0)
		die("socket");
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || (!udp && listen(fd, BACKLOG)))
		die("bind/listen");
	if (getsockname(fd, (struct sockaddr *)&a, &len))
		die("getsockname");
	ino = inode_of(fd);
	holder = fd;
	if (!strcmp(argv[1], "inflight")) {
		for (holder = send_away(fd); --hops > 0;)
			holder = send_away(holder);
	} else if (!strcmp(argv[1], "io_uring")) {
		holder = register_in_ring(fd);
		if (holder < 0) {
			printf("{\"skip\":\"io_uring_setup: %s\"}\n", strerror(errno));
			return 0;
		}
	}
	printf("{\"pid\":%d,\"port\":%d,\"inode\":%lu,\"carrier_inode\":%lu}\n", getpid(),
	       ntohs(a.sin_port), ino, inode_of(holder));
	fflush(stdout);
	while (read(0, buf, sizeof(buf)) > 0)
		;
	return 0;
}
