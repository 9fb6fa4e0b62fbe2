// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * uring_call.c - a process that binds or listens through io_uring
 * (IORING_OP_BIND, IORING_OP_LISTEN: Linux 6.11), never through the
 * bind() and listen() system calls, for the end-to-end tests of
 * io_uring capture (test_capture.py).
 *
 *   uring_call bind PROTO ADDR PORT [reuseaddr]
 *   uring_call listen tcp ADDR PORT
 *
 * bind: a PROTO ("tcp", "udp") IPv4 socket, SO_REUSEADDR with
 * "reuseaddr", binds ADDR:PORT with an IORING_OP_BIND request.
 * listen: a TCP socket with SO_REUSEADDR binds ADDR:PORT with bind(),
 * prints {"bound": true} and waits for a line on stdin (another
 * SO_REUSEADDR socket on the port listens meanwhile), then listens with an
 * IORING_OP_LISTEN request.
 * Then prints one JSON line, {"pid","tid","res","inode"} (res: the
 * request's result, 0 or -errno; inode: the socket's), or {"skip": why}
 * when the kernel refuses io_uring or lacks the opcode, and waits until
 * its stdin closes, so that the record's requester is alive.
 *
 * Debian's liburing 2.3 predates both opcodes: the requests are prepared
 * by number, as liburing 2.7's io_uring_prep_bind()/_listen() do (the
 * address in addr, its length in addr2, the backlog in len).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <liburing.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* uapi linux/io_uring.h, enum io_uring_op */
#define OP_BIND 56
#define OP_LISTEN 57
#define BACKLOG 16
#define RING_ENTRIES 4

static void die(const char *what, int err)
{
	fprintf(stderr, "uring_call: %s: %s\n", what, strerror(err));
	exit(1);
}

static void skip(const char *why)
{
	printf("{\"skip\": \"%s\"}\n", why);
	exit(0);
}

/* Read stdin until a newline (go) or its end. */
static void wait_line(void)
{
	int c;

	while ((c = getchar()) != EOF && c != '\n')
		;
}

/* Whether the kernel's io_uring knows op. */
static int supported(struct io_uring *ring, int op)
{
	struct io_uring_probe *p = io_uring_get_probe_ring(ring);
	int ok = p && io_uring_opcode_supported(p, op);

	io_uring_free_probe(p);
	return ok;
}

/* Submit op on fd (addr and addr_len for a bind, backlog for a listen); its result. */
static int submit(struct io_uring *ring, int op, int fd, const struct sockaddr_in *sa)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int err, res;

	if (op == OP_BIND)
		io_uring_prep_rw(op, sqe, fd, sa, 0, sizeof(*sa));
	else
		io_uring_prep_rw(op, sqe, fd, NULL, BACKLOG, 0);
	err = io_uring_submit(ring);
	if (err < 0)
		die("io_uring_submit", -err);
	err = io_uring_wait_cqe(ring, &cqe);
	if (err < 0)
		die("io_uring_wait_cqe", -err);
	res = cqe->res;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct io_uring ring;
	int one = 1, fd, op, err, res;
	struct stat st;

	if (argc < 5 || (strcmp(argv[1], "bind") && strcmp(argv[1], "listen"))) {
		fprintf(stderr, "usage: uring_call bind|listen tcp|udp ADDR PORT [reuseaddr]\n");
		return 2;
	}
	op = strcmp(argv[1], "bind") ? OP_LISTEN : OP_BIND;
	sa.sin_port = htons(atoi(argv[4]));
	if (inet_pton(AF_INET, argv[3], &sa.sin_addr) != 1)
		die(argv[3], EINVAL);
	err = io_uring_queue_init(RING_ENTRIES, &ring, 0);
	if (err < 0)
		skip("the kernel refuses io_uring");
	if (!supported(&ring, op))
		skip(op == OP_BIND ? "the kernel has no IORING_OP_BIND (Linux 6.11+)"
				   : "the kernel has no IORING_OP_LISTEN (Linux 6.11+)");
	fd = socket(AF_INET, strcmp(argv[2], "udp") ? SOCK_STREAM : SOCK_DGRAM, 0);
	if (fd < 0)
		die("socket", errno);
	if ((op == OP_LISTEN || (argc > 5 && !strcmp(argv[5], "reuseaddr"))) &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR", errno);
	if (op == OP_LISTEN) {
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
			die("bind", errno);
		printf("{\"bound\": true}\n");
		fflush(stdout);
		wait_line();
	}
	res = submit(&ring, op, fd, &sa);
	if (fstat(fd, &st))
		die("fstat", errno);
	printf("{\"pid\": %d, \"tid\": %ld, \"res\": %d, \"inode\": %lu}\n", getpid(),
	       syscall(SYS_gettid), res, (unsigned long)st.st_ino);
	fflush(stdout);
	wait_line();
	io_uring_queue_exit(&ring);
	return 0;
}
