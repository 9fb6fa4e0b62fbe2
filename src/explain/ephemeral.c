// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * ephemeral.c - a namespace's ephemeral port range, its use and who uses
 * it (ephemeral.h).
 *
 * It owns reading the range and the sockets on it (ephemeral_tally.c
 * counts them), and the gauges' choice of namespaces; it must not write
 * records.
 *
 * The range is the namespace's own: /proc/sys/net resolves to the
 * namespace of the thread that opens it, so both files are read by a
 * short-lived thread inside it (nsrun.h).  The sockets come from one dump
 * of the socket tables with the range compared in the kernel
 * (sockdiag_range()): the kernel walks its tables, but only the range's
 * sockets are copied out, so counting costs about what `ss -s` costs and
 * never a walk of the processes.  Naming the processes does walk them
 * (every /proc/PID/fd once), so it is asked for apart: records and `who`
 * do, the gauges do not.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "ephemeral.h"
#include "log.h"
#include "nsrun.h"
#include "util.h"

#define PORT_RANGE_FILE "/proc/sys/net/ipv4/ip_local_port_range"
#define RESERVED_FILE "/proc/sys/net/ipv4/ip_local_reserved_ports"
#define RANGE_TEXT_LEN 64
#define PARSE_ERR_LEN 160

struct sysctls {
	char range[RANGE_TEXT_LEN];
	char reserved[EPH_SYSCTL_LEN];
};

/* The whole of path into buf (len bytes, NUL-terminated): 0 or -errno. */
static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return err;
}

/* nsrun() call: both files, as the namespace it runs in has them. */
static int read_sysctls(void *arg)
{
	struct sysctls *s = arg;
	int err = read_text(PORT_RANGE_FILE, s->range, sizeof(s->range));

	return err ? err : read_text(RESERVED_FILE, s->reserved, sizeof(s->reserved));
}

int ephemeral_view(int netns_fd, __u32 netns, int protocol, bool owners, struct eph_view *v)
{
	struct holder_query q = { .netns = netns, .netns_fd = netns_fd, .protocol = protocol };
	struct sockdiag_conn *c = NULL;
	struct sysctls *s = calloc(1, sizeof(*s));
	char why[PARSE_ERR_LEN];
	size_t i, n = 0;
	int err;

	memset(v, 0, sizeof(*v));
	if (!s)
		return -ENOMEM;
	err = nsrun(netns_fd, read_sysctls, s);
	if (!err && (err = eph_range_parse(s->range, s->reserved, &v->range, why, sizeof(why))))
		warn("%s", why);
	free(s);
	v->netns = netns;
	v->protocol = protocol;
	v->owners = owners;
	if (!err)
		err = sockdiag_range(&q, v->range.lo, v->range.hi, owners, &c, &n);
	if (err)
		return err;
	eph_tally(v, c, n);
	free(c);
	for (i = 0; owners && i < v->ntop; i++)
		procinfo_read(&v->top[i].pi, v->top[i].pid, v->top[i].start_ns, 0, 0, 0);
	return 0;
}

int ephemeral_for(const struct bw_event *ev, struct eph_view *v)
{
	int fd = -1, err;

	if (ev->sock.netns != procinfo_own_netns()) {
		fd = procinfo_open_netns(ev->pid, ev->start_ns);
		if (fd < 0)
			return -ESRCH;
	}
	err = ephemeral_view(fd, ev->sock.netns, ev->sock.protocol, true, v);
	if (fd >= 0)
		close(fd);
	return err;
}

void eph_view_free(struct eph_view *v)
{
	size_t i;

	for (i = 0; i < v->ntop; i++)
		procinfo_free(&v->top[i].pi);
	v->ntop = 0;
}

void eph_watch_note(struct eph_watch *w, const struct bw_event *ev, const char *name)
{
	size_t i, slot;

	for (i = 0; i < w->n; i++)
		if (w->v[i].netns == ev->sock.netns)
			break;
	if (i < w->n) {
		slot = i;
	} else if (w->n < EPH_WATCH_MAX) {
		slot = w->n++;
	} else {
		slot = w->next;
		w->next = (w->next + 1) % EPH_WATCH_MAX;
	}
	w->v[slot].netns = ev->sock.netns;
	w->v[slot].pid = ev->pid;
	w->v[slot].start_ns = ev->start_ns;
	snprintf(w->v[slot].name, sizeof(w->v[slot].name), "%s", name ? name : "");
}

/* Sample the namespace open as fd (-1: ours), inode ino, into g; false if already or unreadable. */
static bool sample_one(int fd, __u32 ino, const char *name, struct eph_gauge *g, size_t n)
{
	struct eph_view v;
	size_t i;

	for (i = 0; i < n; i++)
		if (g[i].netns == ino)
			return false;
	if (ephemeral_view(fd, ino, IPPROTO_TCP, false, &v))
		return false;
	g[n] = (struct eph_gauge){ .netns = ino, .in_use = v.in_use, .size = v.range.size };
	snprintf(g[n].name, sizeof(g[n].name), "%s", name);
	return true;
}

/* The namespaces /run/netns names, sampled into g after n; the new count. */
static size_t sample_named(struct eph_gauge *g, size_t n, size_t max)
{
	DIR *d = opendir(NETNS_DIR);
	struct dirent *e;
	struct stat st;
	int fd;

	while (d && n < max && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		fd = openat(dirfd(d), e->d_name, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (!fstat(fd, &st) && sample_one(fd, st.st_ino, e->d_name, g, n))
			n++;
		close(fd);
	}
	if (d)
		closedir(d);
	return n;
}

static int by_use(const void *a, const void *b)
{
	const struct eph_gauge *x = a, *y = b;

	return (y->in_use > x->in_use) - (y->in_use < x->in_use);
}

size_t eph_watch_sample(struct eph_watch *w, struct eph_gauge out[EPH_GAUGE_NETNS])
{
	struct eph_gauge g[1 + 2 * EPH_WATCH_MAX];
	size_t i, n = 0;
	int fd;

	if (sample_one(-1, procinfo_own_netns(), "", g, n))
		n++;
	for (i = 0; i < w->n; i++) {
		fd = procinfo_open_netns(w->v[i].pid, w->v[i].start_ns);
		if (fd < 0) { /* its requester is gone: so is our way in */
			w->v[i--] = w->v[--w->n];
			w->next = 0;
			continue;
		}
		if (sample_one(fd, w->v[i].netns, w->v[i].name, g, n))
			n++;
		close(fd);
	}
	n = sample_named(g, n, ARRAY_SIZE(g));
	/* the own namespace stays first; the busiest others after it */
	if (n > 1)
		qsort(g + 1, n - 1, sizeof(*g), by_use);
	if (n > EPH_GAUGE_NETNS)
		n = EPH_GAUGE_NETNS;
	memcpy(out, g, n * sizeof(*g));
	return n;
}
