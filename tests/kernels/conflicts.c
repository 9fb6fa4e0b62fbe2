// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * conflicts - make the address conflicts bindwatch must report, with real
 * sockets on loopback, for the kernel matrix (scripts/kernel-matrix.sh).
 *
 * It runs as a static binary inside a throwaway qemu guest whose /init has
 * started bindwatch, so it assumes nothing of the guest but a kernel: it
 * brings lo up itself (SIOCSIFFLAGS; harmless when /init already did).
 *
 * Cases, each a holder socket plus a requester socket in this process:
 *
 *   bind-tcp-ipv4    holder listens on 127.0.0.1:P; requester bind()s it,
 *                    with IP_TRANSPARENT set            -> bind EADDRINUSE
 *   bind-tcp-ipv6    holder listens on [::1]:P; requester bind()s it, with
 *                    IPV6_V6ONLY set                    -> bind EADDRINUSE
 *   bind-udp-ipv4    holder bound to 127.0.0.1:P; requester bind()s it,
 *                    with IP_FREEBIND set               -> bind EADDRINUSE
 *   listen-tcp-ipv4  two SO_REUSEADDR sockets both bind 127.0.0.1:P (allowed
 *                    while neither listens); the first listen()s, the
 *                    second's listen()                  -> listen EADDRINUSE
 *   storm-tcp-ipv4   holder listens on 127.0.0.1:P; requester bind()s it
 *                    STORM_BINDS times                  -> a few records whose
 *                    counts add up to the failures
 *   inflight-tcp-ipv4  holder listens on 127.0.0.1:P, is sent with
 *                    SCM_RIGHTS on a socketpair and closed; requester
 *                    bind()s it                         -> bind EADDRINUSE, the
 *                    holder named via "in-flight" (iter/unix, UNIXCB layout)
 *   ring-udp-ipv4    holder bound to 127.0.0.1:P, registered in an io_uring
 *                    and closed; requester bind()s it   -> bind EADDRINUSE, the
 *                    holder named via "io_uring" (the ring's file table layout)
 *   pid1-tcp-ipv4    PID 1 listens on 127.0.0.1:PORT (the first argument);
 *                    requester bind()s it               -> bind EADDRINUSE, and
 *                    a reclaim rule for PORT refused ("protected")
 *   ephemeral-tcp-ipv4  a listener on 127.0.0.1:P; ip_local_port_range
 *                    shrunk to EPH_PORTS ports; that many connections to
 *                    P, then one more connect()         -> connect EADDRNOTAVAIL
 *                    (fexit mode: a record naming this process as holding
 *                    the range; the range is restored after)
 *
 * "conflicts init PORT CMD ARGS..." is the guest's PID 1: it listens on
 * 127.0.0.1:PORT, as systemd does for an activated socket, runs CMD as its
 * child, reaps every orphan, and powers the guest off once CMD has ended.
 *
 * P is the ephemeral port the kernel gave the holder, so nothing else in
 * the guest can be on it.  Every socket stays open until HOLD_MS after the
 * last case, as a real holder would: bindwatch names a port's holders from
 * userspace once the record arrives, and must find them there.
 *
 * The socket options set on the requesters are ones bindwatch reads from
 * bitfields whose layout changed across kernels (inet_sock's freebind and
 * transparent became inet_flags in 6.6; sock_common's skc_reuse and
 * skc_ipv6only), so a record showing them true proves the CO-RE read picked
 * the right layout; a zero would prove nothing.
 *
 * Just before each failing call it prints, line buffered, on stdout:
 *
 *   expect SYSCALL PROTO FAMILY ADDR PORT PID KEY=0|1...
 *
 * e.g. "expect bind udp ipv4 127.0.0.1 40123 57 reuseaddr=0 freebind=1
 * transparent=0"; the KEY=VALUE fields are the JSON record's socket.KEY
 * booleans.  Before each indirect case it prints "indirect CASE PORT PID
 * VIA" (VIA: the holder's expected "via").  After the storm it prints
 * "storm PORT PID FAILURES", and
 * before the PID 1 case "pid1 PORT PID", before the ephemeral one
 * "ephemeral PORT PID LO HI".  When a call does not fail with EADDRINUSE (or a setup call
 * fails) it prints "conflicts: error CASE: what happened" and the exit
 * status is 1; the checker reports that reason against the case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct sockopt {
	int level, name;
	const char *key; /* the JSON record's socket.KEY */
};

static const struct sockopt OPT_NONE = { 0, 0, NULL };
static const struct sockopt OPT_TRANSPARENT = { SOL_IP, IP_TRANSPARENT, "transparent" };
static const struct sockopt OPT_FREEBIND = { SOL_IP, IP_FREEBIND, "freebind" };
static const struct sockopt OPT_V6ONLY = { SOL_IPV6, IPV6_V6ONLY, "v6only" };
static const struct sockopt OPT_REUSEADDR = { SOL_SOCKET, SO_REUSEADDR, "reuseaddr" };

union addr {
	struct sockaddr sa;
	struct sockaddr_in v4;
	struct sockaddr_in6 v6;
};

#define HOLD_MS 1000
#define STORM_BINDS 20000
#define MAX_HELD 32
#define PORT_RANGE_FILE "/proc/sys/net/ipv4/ip_local_port_range"
#define EPH_LO 61000 /* above the default range: nothing else is on these ports */
#define EPH_PORTS 8
#define RANGE_TEXT_LEN 64

static int failures;
static int held[MAX_HELD]; /* sockets kept open until the end */
static size_t nheld;

/* Keep fd open until exit (close it now if there is no room). */
static void hold(int fd)
{
	if (fd < 0)
		return;
	if (nheld < MAX_HELD)
		held[nheld++] = fd;
	else
		close(fd);
}

/* Report a failed step of case name; err is an errno value or 0. */
__attribute__((format(printf, 3, 4)))
static int error(const char *name, int err, const char *fmt, ...)
{
	va_list ap;

	printf("conflicts: error %s: ", name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	if (err)
		printf(": %s", strerror(err));
	putchar('\n');
	failures++;
	return -1;
}

static void lo_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || ioctl(fd, SIOCGIFFLAGS, &ifr)) {
		error("setup", errno, "SIOCGIFFLAGS lo");
	} else if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(fd, SIOCSIFFLAGS, &ifr))
			error("setup", errno, "SIOCSIFFLAGS lo up");
	}
	if (fd >= 0)
		close(fd);
}

static int set_opt(int fd, const struct sockopt *o)
{
	int one = 1;

	return o->key ? setsockopt(fd, o->level, o->name, &one, sizeof(one)) : 0;
}

static int new_socket(const char *name, int family, int type, const struct sockopt *o)
{
	int fd = socket(family, type | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return error(name, errno, "socket()");
	if (set_opt(fd, o)) {
		error(name, errno, "setsockopt %s", o->key);
		close(fd);
		return -1;
	}
	return fd;
}

/* Loopback address of family with port 0. */
static socklen_t loopback(int family, union addr *a)
{
	memset(a, 0, sizeof(*a));
	if (family == AF_INET6) {
		a->v6.sin6_family = AF_INET6;
		a->v6.sin6_addr = in6addr_loopback;
		return sizeof(a->v6);
	}
	a->v4.sin_family = AF_INET;
	a->v4.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof(a->v4);
}

/* Bind fd to loopback port 0 and return the port the kernel chose. */
static int bind_any_port(const char *name, int fd, int family, union addr *a)
{
	socklen_t len = loopback(family, a), alen = len;

	if (bind(fd, &a->sa, len) || getsockname(fd, &a->sa, &alen))
		return error(name, errno, "holder bind()");
	return ntohs(family == AF_INET6 ? a->v6.sin6_port : a->v4.sin_port);
}

static void expect(const char *syscall, const char *proto, int family, int port,
		   const struct sockopt *opt)
{
	static const char *const keys[] = { "reuseaddr", "v6only", "freebind", "transparent" };
	size_t i;

	printf("expect %s %s %s %s %d %d", syscall, proto,
	       family == AF_INET6 ? "ipv6" : "ipv4",
	       family == AF_INET6 ? "::1" : "127.0.0.1", port, (int)getpid());
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		/* v6only is null in IPv4 records: say nothing about it there */
		if (!strcmp(keys[i], "v6only") && family != AF_INET6)
			continue;
		printf(" %s=%d", keys[i], opt->key && !strcmp(opt->key, keys[i]));
	}
	putchar('\n');
}

/* The outcome of the call the case is about: EADDRINUSE or an error. */
static int outcome(const char *name, const char *call, int ret, int err)
{
	if (ret == 0)
		return error(name, 0, "%s succeeded, expected EADDRINUSE", call);
	if (err != EADDRINUSE)
		return error(name, err, "%s failed, but not with EADDRINUSE", call);
	return 0;
}

/* A requester with option opt binds the port a holder already has. */
static void bind_conflict(const char *name, int family, int type, const struct sockopt *opt)
{
	const char *proto = type == SOCK_STREAM ? "tcp" : "udp";
	int holder, req = -1, port, ret, err;
	union addr a;
	socklen_t len;

	holder = new_socket(name, family, type, &OPT_NONE);
	if (holder < 0)
		return;
	port = bind_any_port(name, holder, family, &a);
	if (port < 0)
		goto out;
	if (type == SOCK_STREAM && listen(holder, 1)) {
		error(name, errno, "holder listen()");
		goto out;
	}
	req = new_socket(name, family, type, opt);
	if (req < 0)
		goto out;
	len = family == AF_INET6 ? sizeof(a.v6) : sizeof(a.v4);
	expect("bind", proto, family, port, opt);
	ret = bind(req, &a.sa, len);
	err = errno;
	outcome(name, "bind()", ret, err);
out:
	hold(req);
	hold(holder);
}

/* Two SO_REUSEADDR sockets share 127.0.0.1:P until both try to listen. */
static void listen_conflict(const char *name)
{
	int first, second = -1, port, ret, err;
	union addr a;

	first = new_socket(name, AF_INET, SOCK_STREAM, &OPT_REUSEADDR);
	if (first < 0)
		return;
	port = bind_any_port(name, first, AF_INET, &a);
	if (port < 0)
		goto out;
	second = new_socket(name, AF_INET, SOCK_STREAM, &OPT_REUSEADDR);
	if (second < 0)
		goto out;
	if (bind(second, &a.sa, sizeof(a.v4))) {
		error(name, errno, "second bind() (both SO_REUSEADDR, none listening)");
		goto out;
	}
	if (listen(first, 1)) {
		error(name, errno, "first listen()");
		goto out;
	}
	expect("listen", "tcp", AF_INET, port, &OPT_REUSEADDR);
	ret = listen(second, 1);
	err = errno;
	outcome(name, "listen()", ret, err);
out:
	hold(second);
	hold(first);
}

/* A requester fails to bind a held port STORM_BINDS times in a row. */
static void storm(const char *name)
{
	int holder, req = -1, port, i, failed = 0;
	union addr a;

	holder = new_socket(name, AF_INET, SOCK_STREAM, &OPT_NONE);
	if (holder < 0)
		return;
	port = bind_any_port(name, holder, AF_INET, &a);
	if (port < 0)
		goto out;
	if (listen(holder, 1)) {
		error(name, errno, "holder listen()");
		goto out;
	}
	req = new_socket(name, AF_INET, SOCK_STREAM, &OPT_NONE);
	if (req < 0)
		goto out;
	for (i = 0; i < STORM_BINDS; i++)
		if (bind(req, &a.sa, sizeof(a.v4)) && errno == EADDRINUSE)
			failed++;
	printf("storm %d %d %d\n", port, (int)getpid(), failed);
out:
	hold(req);
	hold(holder);
}

/* Send fd with SCM_RIGHTS on a new socketpair, close it: the pair's other end holds it. */
static int send_away(const char *name, int fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))] = { 0 }, byte = 'x';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		return error(name, errno, "socketpair()");
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	if (sendmsg(sv[0], &msg, 0) != 1) {
		close(sv[0]);
		close(sv[1]);
		return error(name, errno, "sendmsg(SCM_RIGHTS)");
	}
	close(sv[0]);
	return sv[1];
}

/* Register fd in a new io_uring's file table, close it: the ring holds it. */
static int register_in_ring(const char *name, int fd)
{
	struct io_uring_params p = { 0 };
	int ring = syscall(__NR_io_uring_setup, 1, &p);

	if (ring < 0)
		return error(name, errno, "io_uring_setup()");
	if (syscall(__NR_io_uring_register, ring, IORING_REGISTER_FILES, &fd, 1)) {
		close(ring);
		return error(name, errno, "io_uring_register(IORING_REGISTER_FILES)");
	}
	return ring;
}

/*
 * A holder no descriptor shows (sent away, or in a ring: away() takes it
 * and returns what holds it now); the requester binds its port.
 */
static void indirect_conflict(const char *name, int type, const char *via,
			      int (*away)(const char *, int))
{
	int holder, keeper, req = -1, port, ret, err;
	union addr a;

	holder = new_socket(name, AF_INET, type, &OPT_NONE);
	if (holder < 0)
		return;
	port = bind_any_port(name, holder, AF_INET, &a);
	if (port < 0 || (type == SOCK_STREAM && listen(holder, 1))) {
		if (port >= 0)
			error(name, errno, "holder listen()");
		hold(holder);
		return;
	}
	keeper = away(name, holder);
	if (keeper < 0) {
		hold(holder);
		return;
	}
	close(holder);
	hold(keeper);
	req = new_socket(name, AF_INET, type, &OPT_NONE);
	if (req < 0)
		return;
	printf("indirect %s %d %d %s\n", name, port, (int)getpid(), via);
	ret = bind(req, &a.sa, sizeof(a.v4));
	err = errno;
	outcome(name, "bind()", ret, err);
	hold(req);
}

/* A requester binds 127.0.0.1:port, which PID 1 holds. */
static void pid1_conflict(const char *name, int port)
{
	union addr a;
	int req = new_socket(name, AF_INET, SOCK_STREAM, &OPT_NONE), ret, err;

	if (req < 0)
		return;
	loopback(AF_INET, &a);
	a.v4.sin_port = htons(port);
	printf("pid1 %d %d\n", port, (int)getpid());
	ret = bind(req, &a.sa, sizeof(a.v4));
	err = errno;
	outcome(name, "bind()", ret, err);
	hold(req);
}

/* Write text to path: 0, or -1 after reporting it against case name. */
static int write_file(const char *name, const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		return error(name, errno, "writing %s", path);
	return 0;
}

/*
 * EPH_PORTS connections to a listener fill a range of as many ports; one
 * more connect() finds none.  The range is the guest's own: restored after.
 */
static void ephemeral_conflict(const char *name)
{
	char old[RANGE_TEXT_LEN] = "", range[RANGE_TEXT_LEN];
	int lst = new_socket(name, AF_INET, SOCK_STREAM, &OPT_NONE), port, fd, i;
	FILE *f = fopen(PORT_RANGE_FILE, "r");
	union addr a;

	if (!f || !fgets(old, sizeof(old), f))
		error(name, errno, "reading %s", PORT_RANGE_FILE);
	if (f)
		fclose(f);
	if (lst < 0 || !old[0] || (port = bind_any_port(name, lst, AF_INET, &a)) < 0 ||
	    listen(lst, 2 * EPH_PORTS))
		return;
	hold(lst);
	snprintf(range, sizeof(range), "%d %d", EPH_LO, EPH_LO + EPH_PORTS - 1);
	if (write_file(name, PORT_RANGE_FILE, range))
		return;
	for (i = 0; i <= EPH_PORTS; i++) {
		fd = new_socket(name, AF_INET, SOCK_STREAM, &OPT_NONE);
		if (fd < 0)
			break;
		if (i == EPH_PORTS)
			printf("ephemeral %d %d %d %d\n", port, (int)getpid(), EPH_LO,
			       EPH_LO + EPH_PORTS - 1);
		if (!connect(fd, &a.sa, sizeof(a.v4)) != (i < EPH_PORTS) ||
		    (i == EPH_PORTS && errno != EADDRNOTAVAIL)) {
			error(name, errno, "connect() %d of %d", i + 1, EPH_PORTS + 1);
			close(fd);
			break;
		}
		hold(fd);
	}
	write_file(name, PORT_RANGE_FILE, old);
}

/* PID 1: hold 127.0.0.1:port, run argv as a child, power off after it. */
static int init(int port, char **argv)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0), status;
	union addr a;
	pid_t child, pid;

	loopback(AF_INET, &a);
	a.v4.sin_port = htons(port);
	if (fd < 0 || bind(fd, &a.sa, sizeof(a.v4)) || listen(fd, 1))
		perror("conflicts init: 127.0.0.1 port");
	child = fork();
	if (child == 0) {
		close(fd);
		execv(argv[0], argv);
		_exit(127);
	}
	do
		pid = wait(&status);
	while (pid != child && !(pid < 0 && errno == ECHILD));
	sync();
	reboot(RB_POWER_OFF);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc > 3 && !strcmp(argv[1], "init"))
		return init(atoi(argv[2]), argv + 3);
	setvbuf(stdout, NULL, _IOLBF, 0);
	lo_up();
	bind_conflict("bind-tcp-ipv4", AF_INET, SOCK_STREAM, &OPT_TRANSPARENT);
	bind_conflict("bind-tcp-ipv6", AF_INET6, SOCK_STREAM, &OPT_V6ONLY);
	bind_conflict("bind-udp-ipv4", AF_INET, SOCK_DGRAM, &OPT_FREEBIND);
	listen_conflict("listen-tcp-ipv4");
	storm("storm-tcp-ipv4");
	indirect_conflict("inflight-tcp-ipv4", SOCK_STREAM, "in-flight", send_away);
	indirect_conflict("ring-udp-ipv4", SOCK_DGRAM, "io_uring", register_in_ring);
	if (argc > 1)
		pid1_conflict("pid1-tcp-ipv4", atoi(argv[1]));
	ephemeral_conflict("ephemeral-tcp-ipv4");
	usleep(HOLD_MS * 1000);
	while (nheld)
		close(held[--nheld]);
	return failures ? 1 : 0;
}
