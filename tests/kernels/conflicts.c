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
 *   uring-tcp-ipv4   holder listens on 127.0.0.1:P; requester binds it with
 *                    an io_uring IORING_OP_BIND request (Linux 6.11), no
 *                    bind() system call               -> bind EADDRINUSE
 *                    "via":"io_uring"; on a kernel without the opcode the
 *                    request fails with EINVAL and there is nothing to see
 *   uring-listen-tcp-ipv4  as listen-tcp-ipv4, the second listen an
 *                    IORING_OP_LISTEN request          -> listen EADDRINUSE
 *                    "via":"io_uring" (EINVAL before 6.11)
 *   kernel-vxlan-udp-ipv4  holder bound to UDP 0.0.0.0:4789; a VXLAN device
 *                    on port 4789 is made (rtnetlink: busybox's ip has no
 *                    vxlan) and brought up: the kernel's own bind fails
 *                    -> bind EADDRINUSE "via":"kernel", requester this
 *                    process, the caller in module vxlan (fexit; nothing
 *                    in tracepoint mode)
 *   held-vxlan-udp-ipv4  a VXLAN device on port 4790 is up; requester
 *                    bind()s UDP 0.0.0.0:4790      -> bind EADDRINUSE, the
 *                    holder a kernel socket
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
 * "storm PORT PID FAILURES", after each io_uring case "uring CASE PORT PID
 * RES" (RES: the request's result, -98 or -22 without the opcode), after
 * the VXLAN cases "kernel CASE PORT PID RES" and "held CASE PORT PID RES"
 * (RES: 0 or -errno of bringing the device up, of the requester's bind),
 * before the PID 1 case "pid1 PORT PID", and before the ephemeral one
 * "ephemeral PORT PID LO HI".  The VXLAN devices (named
 * after this process, so a second run in the same guest makes its own)
 * are deleted at the end.  When a call does not fail with EADDRINUSE (or a setup call
 * fails) it prints "conflicts: error CASE: what happened" and the exit
 * status is 1; the checker reports that reason against the case.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_link.h>
#include <linux/io_uring.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
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
/* uapi linux/io_uring.h, enum io_uring_op (6.11+; older headers lack them) */
#define OP_BIND 56
#define OP_LISTEN 57
#define VXLAN_PORT 4789      /* IANA's, what a conflict with a real deployment would be on */
#define VXLAN_HELD_PORT 4790 /* the device that stays up, holding it */
#define VXLAN_VNI 42
#define RTNL_BUF 1024
#define STORM_BINDS 20000
#define MAX_HELD 32
#define PORT_RANGE_FILE "/proc/sys/net/ipv4/ip_local_port_range"
#define EPH_LO 61000 /* above the default range: nothing else is on these ports */
#define EPH_PORTS 8
#define RANGE_TEXT_LEN 64

static int failures;
static int held[MAX_HELD]; /* sockets kept open until the end */
static char saved_range[RANGE_TEXT_LEN]; /* the guest's ephemeral range, restored at the end */
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

/*
 * Two SO_REUSEADDR sockets sharing 127.0.0.1:P (in *a), the first
 * listening: the second's listen() is the conflict.  P, or -1 (said);
 * *first and *second are to be held either way.
 */
static int listen_pair(const char *name, int *first, int *second, union addr *a)
{
	int port;

	*second = -1;
	*first = new_socket(name, AF_INET, SOCK_STREAM, &OPT_REUSEADDR);
	if (*first < 0)
		return -1;
	port = bind_any_port(name, *first, AF_INET, a);
	if (port < 0)
		return -1;
	*second = new_socket(name, AF_INET, SOCK_STREAM, &OPT_REUSEADDR);
	if (*second < 0)
		return -1;
	if (bind(*second, &a->sa, sizeof(a->v4))) {
		error(name, errno, "second bind() (both SO_REUSEADDR, none listening)");
		return -1;
	}
	if (listen(*first, 1)) {
		error(name, errno, "first listen()");
		return -1;
	}
	return port;
}

/* Two SO_REUSEADDR sockets share 127.0.0.1:P until both try to listen. */
static void listen_conflict(const char *name)
{
	int first, second, port, ret, err;
	union addr a;

	port = listen_pair(name, &first, &second, &a);
	if (port >= 0) {
		expect("listen", "tcp", AF_INET, port, &OPT_REUSEADDR);
		ret = listen(second, 1);
		err = errno;
		outcome(name, "listen()", ret, err);
	}
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

/*
 * Make one io_uring request, op on fd (the address a for a bind, a
 * backlog for a listen), on a ring of one entry set up for it, with the
 * raw system calls (this binary is static, on arm64 too, and liburing is
 * not there); its result, 0 or -errno.
 */
static int uring_request(const char *name, int op, int fd, const union addr *a)
{
	struct io_uring_params p = { 0 };
	int ring = syscall(__NR_io_uring_setup, 1, &p), res = -1;
	size_t sq_len, cq_len, sqe_len = sizeof(struct io_uring_sqe);
	void *sq, *cq, *sqes;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	unsigned int *tail;

	if (ring < 0)
		return error(name, errno, "io_uring_setup()");
	sq_len = p.sq_off.array + p.sq_entries * sizeof(unsigned int);
	cq_len = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
	sq = mmap(NULL, sq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQ_RING);
	cq = mmap(NULL, cq_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_CQ_RING);
	sqes = mmap(NULL, sqe_len, PROT_READ | PROT_WRITE, MAP_SHARED, ring, IORING_OFF_SQES);
	if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) {
		error(name, errno, "mmap() of the io_uring");
		goto out;
	}
	sqe = sqes;
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	if (op == OP_BIND) {
		sqe->addr = (unsigned long)&a->sa;
		sqe->off = a->sa.sa_family == AF_INET6 ? sizeof(a->v6) : sizeof(a->v4); /* addr2 */
	} else {
		sqe->len = 1; /* the backlog */
	}
	((unsigned int *)((char *)sq + p.sq_off.array))[0] = 0;
	tail = (unsigned int *)((char *)sq + p.sq_off.tail);
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) != 1) {
		error(name, errno, "io_uring_enter()");
		goto out;
	}
	cqe = (struct io_uring_cqe *)((char *)cq + p.cq_off.cqes);
	res = cqe->res;
out:
	close(ring); /* the mappings go with the process */
	return res;
}

/* The io_uring request's result: EADDRINUSE, or EINVAL from a kernel without op. */
static void uring_outcome(const char *name, const char *call, int port, int res)
{
	printf("uring %s %d %d %d\n", name, port, (int)getpid(), res);
	if (res != -EINVAL && res != -1)
		outcome(name, call, res, -res);
}

/* A requester binds, through io_uring, the port a holder listens on. */
static void uring_bind_conflict(const char *name)
{
	int holder, req = -1, port;
	union addr a;

	holder = new_socket(name, AF_INET, SOCK_STREAM, &OPT_NONE);
	if (holder < 0)
		return;
	port = bind_any_port(name, holder, AF_INET, &a);
	if (port < 0 || listen(holder, 1)) {
		if (port >= 0)
			error(name, errno, "holder listen()");
		goto out;
	}
	req = new_socket(name, AF_INET, SOCK_STREAM, &OPT_NONE);
	if (req >= 0)
		uring_outcome(name, "IORING_OP_BIND", port, uring_request(name, OP_BIND, req, &a));
out:
	hold(req);
	hold(holder);
}

/* listen_conflict's sockets, the second listen an io_uring request. */
static void uring_listen_conflict(const char *name)
{
	int first, second, port;
	union addr a;

	port = listen_pair(name, &first, &second, &a);
	if (port >= 0)
		uring_outcome(name, "IORING_OP_LISTEN", port,
			      uring_request(name, OP_LISTEN, second, &a));
	hold(second);
	hold(first);
}

static char vxlan_names[2][IFNAMSIZ]; /* the devices made, deleted at the end */

/* Append attribute type (len bytes of data) to n; the attribute, for nesting. */
static struct rtattr *add_attr(struct nlmsghdr *n, int type, const void *data, size_t len)
{
	struct rtattr *rta = (struct rtattr *)((char *)n + NLMSG_ALIGN(n->nlmsg_len));

	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	n->nlmsg_len = NLMSG_ALIGN(n->nlmsg_len) + RTA_ALIGN(rta->rta_len);
	return rta;
}

/* Close nested attribute nest at the end of n. */
static void end_nest(struct nlmsghdr *n, struct rtattr *nest)
{
	nest->rta_len = (char *)n + n->nlmsg_len - (char *)nest;
}

struct link_req {
	struct nlmsghdr n;
	struct ifinfomsg i;
	char attrs[RTNL_BUF];
};

/* A link request of type for device name; its acknowledgement's 0 or -errno. */
static int rtnl_link(int type, int flags, const char *name,
		     void (*more)(struct nlmsghdr *, int), int port)
{
	struct link_req req = {
		.n = { .nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg)), .nlmsg_type = type,
		       .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags },
		.i = { .ifi_family = AF_UNSPEC },
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char buf[RTNL_BUF];
	struct nlmsghdr *ack = (struct nlmsghdr *)buf;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), err;
	ssize_t len;

	if (fd < 0)
		return -errno;
	add_attr(&req.n, IFLA_IFNAME, name, strlen(name) + 1);
	if (more)
		more(&req.n, port);
	if (sendto(fd, &req, req.n.nlmsg_len, 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
	} else {
		len = recv(fd, buf, sizeof(buf), 0);
		err = len < 0 ? -errno : ack->nlmsg_type == NLMSG_ERROR ?
			((struct nlmsgerr *)NLMSG_DATA(ack))->error : -EPROTO;
	}
	close(fd);
	return err;
}

/* The linkinfo of a VXLAN device of VNI VXLAN_VNI on UDP port. */
static void vxlan_info(struct nlmsghdr *n, int port)
{
	struct rtattr *info = add_attr(n, IFLA_LINKINFO, NULL, 0), *data;
	__u32 vni = VXLAN_VNI;
	__u16 be_port = htons(port);

	add_attr(n, IFLA_INFO_KIND, "vxlan", strlen("vxlan"));
	data = add_attr(n, IFLA_INFO_DATA, NULL, 0);
	add_attr(n, IFLA_VXLAN_ID, &vni, sizeof(vni));
	add_attr(n, IFLA_VXLAN_PORT, &be_port, sizeof(be_port));
	end_nest(n, data);
	end_nest(n, info);
}

/*
 * Make VXLAN device number i on port and bring it up, as `ip link add
 * ... type vxlan id 42 dstport PORT; ip link set ... up` would: the result
 * of bringing it up, 0 or -errno (where the kernel binds the port).
 */
static int vxlan_up(const char *name, int i, int port)
{
	struct ifreq ifr = { 0 };
	int fd, err;

	snprintf(vxlan_names[i], IFNAMSIZ, "bwvx%d%c", (int)getpid() % 100000, 'a' + i);
	err = rtnl_link(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, vxlan_names[i], vxlan_info, port);
	if (err) {
		error(name, -err, "making VXLAN device %s (no vxlan module?)", vxlan_names[i]);
		vxlan_names[i][0] = '\0';
		return err;
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return error(name, errno, "socket() for SIOCSIFFLAGS");
	snprintf(ifr.ifr_name, IFNAMSIZ, "%s", vxlan_names[i]);
	ifr.ifr_flags = IFF_UP;
	err = ioctl(fd, SIOCSIFFLAGS, &ifr) ? -errno : 0;
	close(fd);
	return err;
}

/* A process holds UDP 0.0.0.0:VXLAN_PORT; a VXLAN device on it comes up. */
static void kernel_vxlan_conflict(const char *name)
{
	int holder = new_socket(name, AF_INET, SOCK_DGRAM, &OPT_NONE), res;
	union addr a;

	if (holder < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.v4.sin_family = AF_INET;
	a.v4.sin_port = htons(VXLAN_PORT);
	if (bind(holder, &a.sa, sizeof(a.v4))) {
		error(name, errno, "holder bind() of UDP port %d", VXLAN_PORT);
		close(holder);
		return;
	}
	res = vxlan_up(name, 0, VXLAN_PORT);
	printf("kernel %s %d %d %d\n", name, VXLAN_PORT, (int)getpid(), res);
	if (res != -EADDRINUSE)
		error(name, -res, "bringing VXLAN up, expected EADDRINUSE");
	hold(holder);
}

/* A VXLAN device holds UDP VXLAN_HELD_PORT; the requester binds it. */
static void held_vxlan_conflict(const char *name)
{
	int req, ret, err;
	union addr a;

	if (vxlan_up(name, 1, VXLAN_HELD_PORT)) {
		error(name, 0, "bringing VXLAN up on port %d failed", VXLAN_HELD_PORT);
		return;
	}
	req = new_socket(name, AF_INET, SOCK_DGRAM, &OPT_NONE);
	if (req < 0)
		return;
	memset(&a, 0, sizeof(a));
	a.v4.sin_family = AF_INET;
	a.v4.sin_port = htons(VXLAN_HELD_PORT);
	ret = bind(req, &a.sa, sizeof(a.v4));
	err = errno;
	printf("held %s %d %d %d\n", name, VXLAN_HELD_PORT, (int)getpid(), ret ? -err : 0);
	outcome(name, "bind()", ret, err);
	hold(req);
}

/* Delete the VXLAN devices made. */
static void vxlan_delete(void)
{
	size_t i;

	for (i = 0; i < sizeof(vxlan_names) / sizeof(vxlan_names[0]); i++)
		if (vxlan_names[i][0])
			rtnl_link(RTM_DELLINK, 0, vxlan_names[i], NULL, 0);
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
 * more connect() finds none.  The range is the guest's own: restored at
 * the end, with the sockets (restore_range()), as the record reads it when
 * it is written, which may be long after the call (a kallsyms pass for
 * the kernel's binds before it takes seconds under TCG).
 */
static void ephemeral_conflict(const char *name)
{
	char range[RANGE_TEXT_LEN];
	int lst = new_socket(name, AF_INET, SOCK_STREAM, &OPT_NONE), port, fd, i;
	FILE *f = fopen(PORT_RANGE_FILE, "r");
	union addr a;

	if (!f || !fgets(saved_range, sizeof(saved_range), f))
		error(name, errno, "reading %s", PORT_RANGE_FILE);
	if (f)
		fclose(f);
	if (lst < 0 || !saved_range[0] || (port = bind_any_port(name, lst, AF_INET, &a)) < 0 ||
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
}

/* Put back the range ephemeral_conflict() shrank, if it did. */
static void restore_range(void)
{
	if (saved_range[0])
		write_file("ephemeral-tcp-ipv4", PORT_RANGE_FILE, saved_range);
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
	uring_bind_conflict("uring-tcp-ipv4");
	uring_listen_conflict("uring-listen-tcp-ipv4");
	/* the held case first: naming the kernel's binder reads kallsyms, slow under TCG */
	held_vxlan_conflict("held-vxlan-udp-ipv4");
	kernel_vxlan_conflict("kernel-vxlan-udp-ipv4");
	if (argc > 1)
		pid1_conflict("pid1-tcp-ipv4", atoi(argv[1]));
	ephemeral_conflict("ephemeral-tcp-ipv4");
	usleep(HOLD_MS * 1000);
	while (nheld)
		close(held[--nheld]);
	restore_range();
	vxlan_delete();
	return failures ? 1 : 0;
}
