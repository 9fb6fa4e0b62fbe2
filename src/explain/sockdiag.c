// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sockdiag.c - the holders of a port from NETLINK_SOCK_DIAG and /proc.
 *
 * It owns asking the kernel's socket tables (inet_diag) and matching the
 * sockets found to /proc/PID/fd; it must not load BPF, enrich or judge
 * what it finds.
 *
 * Loading the holder iterators costs a fixed ~10-20 ms (verifying them)
 * before any walk, about what ss takes for the whole answer on a quiet
 * host.  On a host with few open files the same answer is had the way ss has it,
 * but filtered earlier: three dumps (TCP, UDP IPv4, UDP IPv6) with the
 * port compared in the kernel (INET_DIAG_REQ_BYTECODE), so only the
 * sockets on the port come back, every state included (bound only ones
 * too, kernel 6.7+); then, only when one of them has a file, one pass over
 * /proc/PID/fd looking for those few inodes.  The result is laid out as
 * holders_find() lays out the iterators' (struct bw_holder, the same
 * order and the same rules: one record per process and descriptor, one
 * connection per process, at most MAX_PER_PROCESS per process, the
 * sockets no process holds last), so `who` prints either the same way.
 *
 * What the tables do not tell: SO_REUSEADDR and SO_REUSEPORT are read from
 * the holder's socket itself (pidfd_getfd(), then getsockopt()) and are
 * unknown (off) for a socket no process holds; the start time comes from
 * /proc/PID/stat in clock ticks, not in nanoseconds.  A socket with a
 * file no process in /proc holds is hidden, held from outside our pid
 * namespace, except in the initial pid namespace, which sees every
 * process: there it is one the kernel opened for itself, or a file in
 * flight in an SCM_RIGHTS message, or one registered in an io_uring, and
 * only the iterators can tell which: -EOPNOTSUPP, as when a process's
 * descriptors cannot be read (one more privileged than us) and a socket
 * is left that no process was seen holding.  The indirect holders
 * (HOLDERS_INDIRECT) are the iterators' alone: -EOPNOTSUPP too.  A namespace other than our own is entered by a short-lived thread that
 * only opens the netlink socket there, as holders.c does for the table
 * iterators.
 *
 * The same dumps, with a range of ports compared instead of one, give a
 * namespace's ephemeral range's sockets and where they connect to
 * (sockdiag_range(), ephemeral.c), their processes from one pass over
 * every /proc/PID/fd that names each socket's first holder.
 *
 * The same tables tell the metrics endpoint who is at the other end of a
 * connection from this host (sockdiag_peer_uid()): one exact lookup of
 * the peer's socket by its four addresses and ports, no dump.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include "procinfo.h"
#include "kconfig.h"
#include "nsrun.h"
#include "sockdiag.h"
#include "util.h"

/*
 * Open files on the host (/proc/sys/fs/file-nr) up to which the /proc scan
 * is cheaper than loading the iterators.  Measured on 2 vCPUs (who of a
 * held port, median of 7): the scan costs about 6 us per open file
 * (procfs builds an inode for each descriptor), loading the iterators
 * about 12 ms more than asking the tables; at 1,900 files the table
 * answer was 4 ms faster, at 2,900 files 3 ms slower.
 */
#define SUITS_MAX_FILES 2500
#define FILE_NR "/proc/sys/fs/file-nr"

/* The iterators' cap (bpf/holders.bpf.c): the same answer from both. */
#define MAX_PER_PROCESS 64

/* Kernel states (include/net/tcp_states.h) <netinet/tcp.h> does not name. */
#define TCP_STATE_NEW_SYN_RECV 12
#define TCP_STATE_BOUND_INACTIVE 13 /* a bound TCP socket's state in a dump (6.7+) */
#define ALL_STATES 0xffffffffu
/* requests belong to their listener (its accept queue), as for the iterators */
#define DUMP_STATES (ALL_STATES & ~(1u << TCP_SYN_RECV | 1u << TCP_STATE_NEW_SYN_RECV))
/* idiag_timer of a TIME_WAIT socket, whose idiag_state is its substate */
#define DIAG_TIMER_TIMEWAIT 3

#define RECV_BUF (32 * 1024)
#define PEER_REPLY_BUF 1024 /* one inet_diag_msg and the attributes sent unasked */
/* the loopback device's index in every namespace (LOOPBACK_IFINDEX, include/net/net_namespace.h) */
#define LOOPBACK_IFINDEX 1
#define SOCKET_LINK_PREFIX "socket:["
#define PROC_STAT_MAX 1024
#define STAT_STARTTIME_FIELD 22 /* proc_pid_stat(5), counted from pid as 1 */

/* One socket on the port, as the tables show it. */
struct diag_sock {
	struct bw_holder h;   /* pid, fd, comm, start_ns: 0 until a process is found */
	bool seen;            /* a process holds it */
	__u8 daddr[16];       /* the remote end, for sockdiag_range() */
	__u16 dport;
};

struct diag_list {
	struct diag_sock *v;
	size_t n;
};

bool sockdiag_suits(void)
{
	FILE *f = fopen(FILE_NR, "re");
	unsigned long files;
	bool small;

	if (!f)
		return false;
	small = fscanf(f, "%lu", &files) == 1 && files <= SUITS_MAX_FILES;
	fclose(f);
	return small;
}

/* nsrun() call (arg unused): a sock_diag socket, or -errno. */
static int diag_socket(void *arg)
{
	int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);

	return fd < 0 ? -errno : fd;
}

int sockdiag_open(void)
{
	return diag_socket(NULL);
}

/* A sock_diag socket of q's namespace, or -errno. */
static int open_diag(const struct holder_query *q)
{
	if (q->netns == procinfo_own_netns())
		return diag_socket(NULL);
	if (q->netns_fd < 0)
		return -ENOENT;
	return nsrun(q->netns_fd, diag_socket, NULL);
}

/* Fill h from one inet_diag_msg and its attributes. */
static void from_msg(const struct holder_query *q, int protocol, const struct nlmsghdr *nh,
		     struct bw_holder *h)
{
	const struct inet_diag_msg *m = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*m));
	const struct rtattr *a;

	memset(h, 0, sizeof(*h));
	h->sock.netns = q->netns;
	h->sock.family = m->idiag_family;
	h->sock.protocol = protocol;
	h->sock.type = protocol == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	h->sock.port = ntohs(m->id.idiag_sport);
	h->sock.uid = m->idiag_uid;
	h->sock.bound_ifindex = m->id.idiag_if;
	memcpy(h->sock.addr, m->id.idiag_src,
	       m->idiag_family == AF_INET ? sizeof(struct in_addr) : sizeof(h->sock.addr));
	h->ino = m->idiag_inode;
	h->state = m->idiag_state;
	if (protocol == IPPROTO_TCP && m->idiag_timer == DIAG_TIMER_TIMEWAIT) {
		h->state = TCP_TIME_WAIT;
		h->tw_jiffies_left = kconfig_ms_jiffies(m->idiag_expires);
	}
	else if (h->state == TCP_STATE_BOUND_INACTIVE)
		h->state = TCP_CLOSE; /* what the socket's own state is */
	if (h->state == TCP_LISTEN) {
		h->ack_backlog = m->idiag_rqueue;
		h->max_ack_backlog = m->idiag_wqueue;
	}
	for (a = (const struct rtattr *)(m + 1); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == INET_DIAG_SKV6ONLY && RTA_PAYLOAD(a) >= 1 &&
		    *(const __u8 *)RTA_DATA(a))
			h->sock.sockflags |= BW_SF_V6ONLY;
		if (a->rta_type == INET_DIAG_SOCKOPT && RTA_PAYLOAD(a) >= sizeof(struct inet_diag_sockopt)) {
			const struct inet_diag_sockopt *o = RTA_DATA(a);

			if (o->freebind)
				h->sock.sockflags |= BW_SF_FREEBIND;
			if (o->transparent)
				h->sock.sockflags |= BW_SF_TRANSPARENT;
		}
	}
}

/* Grow l by one socket h, its remote end from m. */
static int diag_add(struct diag_list *l, const struct bw_holder *h, const struct inet_diag_msg *m)
{
	struct diag_sock *v;

	/* doubling: a range's dump may hold the namespace's every connection */
	if (!(l->n & (l->n - 1))) {
		v = realloc(l->v, (l->n ? 2 * l->n : 1) * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
	}
	v = &l->v[l->n++];
	memset(v, 0, sizeof(*v));
	v->h = *h;
	v->dport = ntohs(m->id.idiag_dport);
	memcpy(v->daddr, m->id.idiag_dst,
	       m->idiag_family == AF_INET ? sizeof(struct in_addr) : sizeof(v->daddr));
	return 0;
}

/*
 * The port filter: lo <= source port <= hi, two comparisons that each
 * jump over their operand when true and past the end (rejected) when not.
 * A port is the range [port, port].
 */
#define BC_CMP_LEN (2 * sizeof(struct inet_diag_bc_op)) /* a comparison and its operand */

struct port_filter {
	struct rtattr rta;
	struct inet_diag_bc_op op[4];
};

static void port_filter(struct port_filter *f, __u16 lo, __u16 hi)
{
	f->rta.rta_len = RTA_LENGTH(sizeof(f->op));
	f->rta.rta_type = INET_DIAG_REQ_BYTECODE;
	f->op[0] = (struct inet_diag_bc_op){ .code = INET_DIAG_BC_S_GE, .yes = BC_CMP_LEN,
					     .no = sizeof(f->op) + sizeof(__u32) };
	f->op[1] = (struct inet_diag_bc_op){ .no = lo };
	f->op[2] = (struct inet_diag_bc_op){ .code = INET_DIAG_BC_S_LE, .yes = BC_CMP_LEN,
					     .no = BC_CMP_LEN + sizeof(__u32) };
	f->op[3] = (struct inet_diag_bc_op){ .no = hi };
}

/*
 * One dump of protocol, the ports [lo, hi] compared in the kernel.  TCP is asked
 * the old way (TCPDIAG_GETSOCK), which dumps both families in one walk of
 * the kernel's connection and bind tables (sized for the machine, walked
 * whole, empty buckets too: the dearest part of a small answer); UDP, the
 * current way (SOCK_DIAG_BY_FAMILY), once per family.
 */
static int dump(int fd, const struct holder_query *q, int family, int protocol, __u16 lo,
		__u16 hi, struct diag_list *l)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req r;
		struct port_filter f;
	} tcp = {
		.nh = {
			.nlmsg_len = sizeof(tcp),
			.nlmsg_type = TCPDIAG_GETSOCK,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.r = { .idiag_states = DUMP_STATES },
	};
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
		struct port_filter f;
	} udp = {
		.nh = {
			.nlmsg_len = sizeof(udp),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
		},
		.r = {
			.sdiag_family = family,
			.sdiag_protocol = protocol,
			.idiag_states = DUMP_STATES,
			/* INET_DIAG_SKV6ONLY and INET_DIAG_SOCKOPT come unasked */
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	char *buf = malloc(RECV_BUF);
	int err = 0;
	bool done = false;

	if (!buf)
		return -ENOMEM;
	port_filter(&tcp.f, lo, hi);
	port_filter(&udp.f, lo, hi);
	if (protocol == IPPROTO_TCP ?
	    sendto(fd, &tcp, sizeof(tcp), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0 :
	    sendto(fd, &udp, sizeof(udp), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		err = -errno;
	while (!err && !done) {
		ssize_t n = recv(fd, buf, RECV_BUF, 0);
		struct nlmsghdr *nh;
		int len;

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : -EPROTO;
			break;
		}
		len = n;
		for (nh = (struct nlmsghdr *)buf; !err && NLMSG_OK(nh, len); nh = NLMSG_NEXT(nh, len)) {
			struct bw_holder h;

			if (nh->nlmsg_type == NLMSG_DONE) {
				done = true;
				break;
			}
			if (nh->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(nh);

				/* no diag module for this protocol: the iterators can tell */
				err = e->error == -ENOENT ? -EOPNOTSUPP : e->error ? e->error : -EPROTO;
				break;
			}
			if ((nh->nlmsg_type != SOCK_DIAG_BY_FAMILY && nh->nlmsg_type != TCPDIAG_GETSOCK) ||
			    nh->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
				continue;
			from_msg(q, protocol, nh, &h);
			/* the bytecode filtered; a kernel without it would not have */
			if (h.sock.port >= lo && h.sock.port <= hi)
				err = diag_add(l, &h, NLMSG_DATA(nh));
		}
	}
	free(buf);
	return err;
}

/* Every socket on a port in [lo, hi] in q's namespace, as q->protocol asks. */
static int dump_all(const struct holder_query *q, __u16 lo, __u16 hi, struct diag_list *l)
{
	static const int families[] = { AF_INET, AF_INET6 };
	static const int protocols[] = { IPPROTO_TCP, IPPROTO_UDP };
	int fd = open_diag(q), err = 0;
	size_t i, j;

	if (fd < 0)
		return fd;
	for (i = 0; i < ARRAY_SIZE(protocols) && !err; i++)
		for (j = 0; j < ARRAY_SIZE(families) && !err; j++)
			/* one TCP dump has both families */
			if ((!q->protocol || q->protocol == protocols[i]) &&
			    (protocols[i] != IPPROTO_TCP || !j))
				err = dump(fd, q, families[j], protocols[i], lo, hi, l);
	close(fd);
	return err;
}

/*
 * The socket inode a /proc/PID/fd entry links to, or 0; *unreadable is
 * set when the kernel would not say (a process more privileged than us).
 */
static __u64 fd_socket(int fd_dir, const char *name, bool *unreadable)
{
	char link[64];
	ssize_t n = readlinkat(fd_dir, name, link, sizeof(link) - 1);

	if (n < 0 && errno == EACCES)
		*unreadable = true;
	if (n <= (ssize_t)strlen(SOCKET_LINK_PREFIX) ||
	    strncmp(link, SOCKET_LINK_PREFIX, strlen(SOCKET_LINK_PREFIX)))
		return 0;
	link[n] = '\0';
	return strtoull(link + strlen(SOCKET_LINK_PREFIX), NULL, 10);
}

/* comm and start time (ns since boot, to the clock tick) from /proc/PID/stat. */
static void read_stat(int pid_dir, struct bw_holder *h)
{
	char buf[PROC_STAT_MAX], *open, *close_, *p;
	int fd = openat(pid_dir, "stat", O_RDONLY | O_CLOEXEC), field;
	unsigned long long ticks;
	ssize_t n;

	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	buf[n] = '\0';
	open = strchr(buf, '(');
	close_ = strrchr(buf, ')');
	if (!open || !close_ || close_ < open)
		return;
	n = close_ - open - 1;
	memcpy(h->comm, open + 1, (size_t)n < sizeof(h->comm) - 1 ? (size_t)n : sizeof(h->comm) - 1);
	/* field 3 (state) follows ") " */
	for (p = close_ + 2, field = 3; *p && field < STAT_STARTTIME_FIELD; p++)
		if (*p == ' ')
			field++;
	if (field == STAT_STARTTIME_FIELD && sscanf(p, "%llu", &ticks) == 1)
		h->start_ns = ticks * (NSEC_PER_SEC / sysconf(_SC_CLK_TCK));
}

/*
 * SO_REUSEADDR and SO_REUSEPORT, which the tables do not carry, from the
 * socket itself: a copy of the holder's descriptor, closed at once (the
 * holder still has its own, so the socket is untouched).
 */
static void read_reuse(int pidfd, __u32 fd, struct bw_holder *h)
{
	int sock = pidfd < 0 ? -1 : (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0), on;
	socklen_t len = sizeof(on);
	struct stat st;

	if (sock < 0)
		return;
	/* the holder may have closed fd and opened another since we read its link */
	if (fstat(sock, &st) || st.st_ino != h->ino) {
		close(sock);
		return;
	}
	if (!getsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &on, &len) && on)
		h->sock.sockflags |= BW_SF_REUSEADDR;
	len = sizeof(on);
	if (!getsockopt(sock, SOL_SOCKET, SO_REUSEPORT, &on, &len) && on)
		h->sock.sockflags |= BW_SF_REUSEPORT;
	close(sock);
}

static bool is_connection(const struct bw_holder *h)
{
	return h->sock.protocol != IPPROTO_UDP && h->state != TCP_LISTEN &&
	       h->state != TCP_CLOSE;
}

/* The sockets of l that process pid holds, in descriptor order. */
static int scan_process(int proc, const char *pid_name, struct diag_list *l,
			struct holder_list *out, bool *unreadable)
{
	int pid_dir = openat(proc, pid_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd_dir;
	int pidfd = -1, err = 0;
	unsigned int written = 0;
	bool connection = false, stat_read = false;
	struct bw_holder proc_h = {}, h;
	struct dirent *e;
	DIR *d;

	if (pid_dir < 0)
		return 0; /* gone */
	fd_dir = openat(pid_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd_dir >= 0 ? fdopendir(fd_dir) : NULL;
	if (!d) {
		if (fd_dir >= 0)
			close(fd_dir);
		close(pid_dir);
		return 0; /* gone, or a kernel thread */
	}
	while (!err && written < MAX_PER_PROCESS && (e = readdir(d))) {
		__u64 ino;
		size_t i;

		if (e->d_name[0] == '.' || !(ino = fd_socket(fd_dir, e->d_name, unreadable)))
			continue;
		for (i = 0; i < l->n && l->v[i].h.ino != ino; i++)
			;
		if (i == l->n || (is_connection(&l->v[i].h) && connection))
			continue;
		connection |= is_connection(&l->v[i].h);
		if (!stat_read) {
			proc_h.pid = strtoul(pid_name, NULL, 10);
			read_stat(pid_dir, &proc_h);
			pidfd = syscall(SYS_pidfd_open, proc_h.pid, 0);
			stat_read = true;
		}
		l->v[i].seen = true;
		h = l->v[i].h;
		h.pid = proc_h.pid;
		h.start_ns = proc_h.start_ns;
		memcpy(h.comm, proc_h.comm, sizeof(h.comm));
		h.fd = strtoul(e->d_name, NULL, 10);
		read_reuse(pidfd, h.fd, &h);
		err = holder_list_add(out, &h);
		written++;
	}
	closedir(d);
	if (pidfd >= 0)
		close(pidfd);
	close(pid_dir);
	return err;
}

/*
 * /proc entries come in pid order, an fd directory in descriptor order:
 * the order the task iterator writes in.
 */
static int scan_proc(struct diag_list *l, struct holder_list *out, bool *unreadable)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int err = 0;

	if (!d)
		return -errno;
	while (!err && (e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			err = scan_process(dirfd(d), e->d_name, l, out, unreadable);
	closedir(d);
	return err;
}

/*
 * What the table iterators would return for s (bpf/holders.bpf.c,
 * unheld()): TIME_WAIT, orphans and sockets with a file no process
 * showed (TCP listeners and UDP only); a connection with no inode and in
 * a state an orphan never is has not been accepted yet: its listener's.
 */
static bool unheld(const struct diag_sock *s)
{
	const struct bw_holder *h = &s->h;

	if (h->state == TCP_TIME_WAIT)
		return true;
	if (h->ino)
		return !s->seen && (h->sock.protocol == IPPROTO_UDP || h->state == TCP_LISTEN);
	return h->sock.protocol == IPPROTO_UDP ||
	       (h->state != TCP_ESTABLISHED && h->state != TCP_CLOSE_WAIT);
}

int sockdiag_find(const struct holder_query *q, struct holder_list *out)
{
	struct holder_list seen_only = {};
	struct diag_list l = {};
	bool init_pidns = procinfo_own_pidns() == PROC_PID_INIT_INO;
	bool unreadable = false;
	size_t i;
	int err;

	memset(out, 0, sizeof(*out));
	if (q->kinds & HOLDERS_INDIRECT)
		return -EOPNOTSUPP;
	err = dump_all(q, q->port, q->port, &l);
	/* only when some socket has a file; also to know which no process holds */
	for (i = 0; !err && i < l.n; i++)
		if (l.v[i].h.ino) {
			err = scan_proc(&l, q->kinds & HOLDERS_PROCESSES ? out : &seen_only,
					&unreadable);
			break;
		}
	holder_list_free(&seen_only);
	/*
	 * A socket no readable process holds may be held by one whose
	 * descriptors we may not read: only the iterators can tell.
	 */
	for (i = 0; !err && (unreadable || init_pidns) && i < l.n; i++)
		if (l.v[i].h.ino && !l.v[i].seen)
			err = -EOPNOTSUPP;
	for (i = 0; !err && i < l.n && q->kinds & HOLDERS_UNHELD; i++)
		if (unheld(&l.v[i])) {
			struct bw_holder h = l.v[i].h;

			/* outside the initial pid namespace (which handed over above) */
			if (h.ino && h.state != TCP_TIME_WAIT)
				h.hidden = 1;
			err = holder_list_add(out, &h);
		}
	free(l.v);
	if (err)
		holder_list_free(out);
	return err;
}

/* bsearch()/qsort() order of the sockets of a range by inode. */
static int by_ino(const void *a, const void *b)
{
	const struct diag_sock *x = a, *y = b;

	return (x->h.ino > y->h.ino) - (x->h.ino < y->h.ino);
}

/* The process pid_name (its /proc directory) named on each socket of l (by_ino order) it holds. */
static void own_process(int proc, const char *pid_name, struct diag_list *l)
{
	int pid_dir = openat(proc, pid_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC), fd_dir;
	struct bw_holder proc_h = {};
	struct diag_sock key, *s;
	bool unreadable = false;
	struct dirent *e;
	DIR *d;

	if (pid_dir < 0)
		return;
	fd_dir = openat(pid_dir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	d = fd_dir >= 0 ? fdopendir(fd_dir) : NULL;
	if (!d && fd_dir >= 0)
		close(fd_dir);
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.' || !(key.h.ino = fd_socket(fd_dir, e->d_name, &unreadable)))
			continue;
		s = bsearch(&key, l->v, l->n, sizeof(*l->v), by_ino);
		/* a socket shared after fork() is its first process's */
		if (!s || s->seen)
			continue;
		if (!proc_h.pid) {
			proc_h.pid = strtoul(pid_name, NULL, 10);
			read_stat(pid_dir, &proc_h);
		}
		s->seen = true;
		s->h.pid = proc_h.pid;
		s->h.start_ns = proc_h.start_ns;
		s->h.fd = strtoul(e->d_name, NULL, 10);
		memcpy(s->h.comm, proc_h.comm, sizeof(s->h.comm));
	}
	if (d)
		closedir(d);
	close(pid_dir);
}

/* Name the process holding each socket of l with a file: one pass over /proc. */
static int own_all(struct diag_list *l)
{
	DIR *d;
	struct dirent *e;

	if (!l->n)
		return 0;
	qsort(l->v, l->n, sizeof(*l->v), by_ino);
	if (!l->v[l->n - 1].h.ino)
		return 0; /* none has a file (sorted: the largest inode is last) */
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((e = readdir(d)))
		if (e->d_name[0] >= '1' && e->d_name[0] <= '9')
			own_process(dirfd(d), e->d_name, l);
	closedir(d);
	return 0;
}

/* What procnet_read() reads: the range, into l. */
struct procnet_ask {
	const struct holder_query *q;
	__u16 lo, hi;
	struct diag_list *l;
};

/* A /proc/net address, "0100007F:1F90" (IPv4) or 32 hex digits (IPv6): its port. */
static int procnet_addr(const char *s, int family, __u8 addr[16], __u16 *port)
{
	unsigned int w[4], p, i, words = family == AF_INET6 ? 4 : 1;

	for (i = 0; i < words; i++)
		if (sscanf(s + 8 * i, "%8x", &w[i]) != 1)
			return -EINVAL;
	/* the kernel prints each 32-bit word of the address as a host-order number */
	memcpy(addr, w, 4 * words);
	if (sscanf(s + 8 * words, ":%x", &p) != 1)
		return -EINVAL;
	*port = p;
	return 0;
}

/* One line of /proc/net/{tcp,udp}[6] into h and its remote end; -EINVAL for none. */
static int procnet_line(const char *line, int family, int protocol, struct bw_holder *h,
			__u8 daddr[16], __u16 *dport)
{
	char local[64], remote[64];
	unsigned int state, uid;
	unsigned long long ino;

	memset(h, 0, sizeof(*h));
	if (sscanf(line, "%*u: %63s %63s %x %*s %*s %*s %u %*d %llu", local, remote, &state, &uid,
		   &ino) != 5 ||
	    procnet_addr(local, family, h->sock.addr, &h->sock.port) ||
	    procnet_addr(remote, family, daddr, dport))
		return -EINVAL;
	h->sock.family = family;
	h->sock.protocol = protocol;
	h->sock.type = protocol == IPPROTO_TCP ? SOCK_STREAM : SOCK_DGRAM;
	h->sock.uid = uid;
	h->ino = ino;
	h->state = state;
	return 0;
}

/* nsrun() call: the range's sockets from /proc/thread-self/net, this thread's namespace's. */
static int procnet_read(void *arg)
{
	static const struct { const char *file; int family, protocol; } tables[] = {
		{ "tcp", AF_INET, IPPROTO_TCP }, { "tcp6", AF_INET6, IPPROTO_TCP },
		{ "udp", AF_INET, IPPROTO_UDP }, { "udp6", AF_INET6, IPPROTO_UDP },
	};
	struct procnet_ask *a = arg;
	struct inet_diag_msg m = {};
	char path[64], line[256];
	struct bw_holder h;
	size_t i;
	int err = 0;

	for (i = 0; i < ARRAY_SIZE(tables) && !err; i++) {
		FILE *f;

		if (a->q->protocol && a->q->protocol != tables[i].protocol)
			continue;
		snprintf(path, sizeof(path), "/proc/thread-self/net/%s", tables[i].file);
		f = fopen(path, "re");
		if (!f)
			continue; /* no IPv6 */
		while (!err && fgets(line, sizeof(line), f)) {
			__u16 dport;

			if (procnet_line(line, tables[i].family, tables[i].protocol, &h,
					 (__u8 *)m.id.idiag_dst, &dport) ||
			    h.sock.port < a->lo || h.sock.port > a->hi)
				continue;
			h.sock.netns = a->q->netns;
			m.idiag_family = tables[i].family;
			m.id.idiag_dport = htons(dport);
			err = diag_add(a->l, &h, &m);
		}
		fclose(f);
	}
	return err;
}

/*
 * The range's sockets: from a dump, or where the kernel has no diag
 * module for a protocol (a module not loaded, as in a bare initramfs),
 * from /proc/net, which lists every socket of the namespace as text.
 */
static int range_all(const struct holder_query *q, __u16 lo, __u16 hi, struct diag_list *l)
{
	struct procnet_ask a = { q, lo, hi, l };
	int err = dump_all(q, lo, hi, l);

	if (err != -EOPNOTSUPP)
		return err;
	l->n = 0;
	if (q->netns != procinfo_own_netns() && q->netns_fd < 0)
		return -ENOENT;
	return nsrun(q->netns == procinfo_own_netns() ? -1 : q->netns_fd, procnet_read, &a);
}

int sockdiag_range(const struct holder_query *q, __u16 lo, __u16 hi, bool owners,
		   struct sockdiag_conn **out, size_t *n)
{
	struct diag_list l = {};
	struct sockdiag_conn *v;
	size_t i;
	int err = range_all(q, lo, hi, &l);

	if (!err && owners)
		err = own_all(&l);
	v = err ? NULL : calloc(l.n ? l.n : 1, sizeof(*v));
	if (!err && !v)
		err = -ENOMEM;
	for (i = 0; !err && i < l.n; i++) {
		v[i].h = l.v[i].h;
		memcpy(v[i].daddr, l.v[i].daddr, sizeof(v[i].daddr));
		v[i].dport = l.v[i].dport;
	}
	free(l.v);
	if (err)
		return err;
	*out = v;
	*n = l.n;
	return 0;
}

/* sa's port and address, as inet_diag_sockid holds them. */
static void sockid_end(const struct sockaddr *sa, __be16 *port, __be32 addr[4])
{
	const struct sockaddr_in6 *v6 = (const struct sockaddr_in6 *)sa;
	const struct sockaddr_in *v4 = (const struct sockaddr_in *)sa;

	if (sa->sa_family == AF_INET6) {
		*port = v6->sin6_port;
		memcpy(addr, &v6->sin6_addr, sizeof(v6->sin6_addr));
	} else {
		*port = v4->sin_port;
		addr[0] = v4->sin_addr.s_addr;
	}
}

/*
 * The kernel looks the socket up as a packet from local to peer would
 * find it: by the exact four addresses and ports, else a listener on the
 * peer's address and port (any of our sockets may listen there).  So the
 * answer counts only if it is no listener and is connected to our port;
 * and a socket no process holds (closing, or TIME_WAIT, whose uid the
 * kernel reports as 0) has no owner to tell.  idiag_if is the loopback
 * device, which a socket of this host reaching one of its addresses goes
 * through: it also finds sockets bound to that device, and unbound ones.
 */
int sockdiag_peer_uid(int fd, const struct sockaddr *peer, const struct sockaddr *local,
		      uint32_t *uid)
{
	struct {
		struct nlmsghdr nh;
		struct inet_diag_req_v2 r;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST,
		},
		.r = {
			.sdiag_family = peer->sa_family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_states = ALL_STATES,
			.id = {
				.idiag_if = LOOPBACK_IFINDEX,
				.idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE },
			},
		},
	};
	union {
		struct nlmsghdr nh;
		char buf[PEER_REPLY_BUF];
	} reply;
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	const struct inet_diag_msg *m = NLMSG_DATA(&reply.nh);
	ssize_t n;

	sockid_end(peer, &req.r.id.idiag_sport, req.r.id.idiag_src);
	sockid_end(local, &req.r.id.idiag_dport, req.r.id.idiag_dst);
	if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0)
		return -errno;
	/* the kernel answered while sendto() ran: nothing to wait for */
	n = recv(fd, &reply, sizeof(reply), MSG_DONTWAIT);
	if (n < 0)
		return -errno;
	if (!NLMSG_OK(&reply.nh, (size_t)n))
		return -EPROTO;
	if (reply.nh.nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = NLMSG_DATA(&reply.nh);

		return e->error ? e->error : -EPROTO;
	}
	if (reply.nh.nlmsg_type != SOCK_DIAG_BY_FAMILY ||
	    reply.nh.nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return -EPROTO;
	if (m->idiag_state == TCP_LISTEN || m->id.idiag_dport != req.r.id.idiag_dport ||
	    m->id.idiag_sport != req.r.id.idiag_sport || !m->idiag_inode)
		return -ENOENT;
	*uid = m->idiag_uid;
	return 0;
}
