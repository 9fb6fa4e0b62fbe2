// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holders.c - run the holder iterators and collect what they write.
 *
 * The iterators stay attached for the life of bindwatch; each lookup sets
 * the target in .bss and reads one fresh iterator instance per table, so a
 * lookup costs one in-kernel walk and no /proc scan.  iter/task sees every
 * namespace at once and filters by namespace inode itself.  iter/tcp
 * and iter/udp are scoped to the namespace of the thread that creates the
 * instance, so
 * for another namespace a short-lived thread enters it with setns() and
 * creates the instance there; bindwatch's own threads never leave their
 * namespace, so nothing else can be confused by a failed return.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "holders.skel.h"
#include "holders.h"
#include "procinfo.h"

#define READ_CHUNK (64 * 1024)

struct holders {
	struct holders_bpf *skel;
	struct bpf_link *task;
	struct bpf_link *tcp;
	struct bpf_link *udp;
	__u32 own_netns;
};

/* Read an iterator instance to its end, for its side effects only. */
static int run_iter(struct bpf_link *link)
{
	char buf[64];
	int fd = bpf_iter_create(bpf_link__fd(link)), err = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		;
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/*
 * Have the kernel show which f_op socket files carry (holders_task compares
 * against it).  A socket of our own guarantees there is one to find.
 */
static int learn_socket_fops(struct holders_bpf *skel)
{
	struct bpf_link *link = bpf_program__attach_iter(skel->progs.learn_socket_fops, NULL);
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;

	if (!link || sock < 0)
		err = -errno;
	else
		err = run_iter(link);
	if (!err && !skel->bss->socket_fops)
		err = -ENOENT;
	if (sock >= 0)
		close(sock);
	bpf_link__destroy(link);
	return err;
}

int holders_open(struct holders **hp, const char *btf_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	struct holders *h = calloc(1, sizeof(*h));
	int err;

	if (!h)
		return -ENOMEM;
	h->own_netns = procinfo_own_netns();
	h->skel = holders_bpf__open_opts(&oo);
	if (!h->skel) {
		err = -errno;
		goto fail;
	}
	err = holders_bpf__load(h->skel);
	if (err)
		goto fail;
	err = learn_socket_fops(h->skel);
	if (err)
		goto fail;
	h->task = bpf_program__attach_iter(h->skel->progs.holders_task, NULL);
	if (!h->task) {
		err = -errno;
		goto fail;
	}
	h->tcp = bpf_program__attach_iter(h->skel->progs.holders_tcp, NULL);
	h->udp = h->tcp ? bpf_program__attach_iter(h->skel->progs.holders_udp, NULL) : NULL;
	if (!h->udp) {
		err = -errno;
		goto fail;
	}
	*hp = h;
	return 0;
fail:
	holders_close(h);
	return err;
}

void holders_close(struct holders *h)
{
	if (!h)
		return;
	bpf_link__destroy(h->udp);
	bpf_link__destroy(h->tcp);
	bpf_link__destroy(h->task);
	holders_bpf__destroy(h->skel);
	free(h);
}

__u32 holders_own_netns(const struct holders *h)
{
	return h->own_netns;
}

/* Read a whole iterator instance; append its records to out.  Closes fd. */
static int drain(int fd, struct holder_list *out)
{
	char *buf = NULL;
	size_t len = 0, cap = 0, i;
	ssize_t n;
	int err = 0;

	for (;;) {
		if (cap - len < READ_CHUNK) {
			char *p = realloc(buf, cap + READ_CHUNK);

			if (!p) {
				err = -ENOMEM;
				break;
			}
			buf = p;
			cap += READ_CHUNK;
		}
		n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			err = n < 0 ? -errno : 0;
			break;
		}
		len += n;
	}
	close(fd);
	if (!err && len % sizeof(struct bw_holder))
		err = -EPROTO;
	if (!err && len) {
		struct bw_holder *v = realloc(out->v, (out->n + len / sizeof(*v)) * sizeof(*v));

		if (!v)
			err = -ENOMEM;
		for (i = 0; v && i < len / sizeof(*v); i++)
			memcpy(&v[out->n++], buf + i * sizeof(*v), sizeof(*v));
		if (v)
			out->v = v;
	}
	free(buf);
	return err;
}

struct netns_iter {
	int link_fd;
	int netns_fd;
	int result; /* iterator fd or -errno */
};

static void *netns_iter_thread(void *arg)
{
	struct netns_iter *ni = arg;

	if (setns(ni->netns_fd, CLONE_NEWNET))
		ni->result = -errno;
	else if ((ni->result = bpf_iter_create(ni->link_fd)) < 0)
		ni->result = -errno;
	return NULL;
}

/* An iterator instance of link created inside netns_fd's namespace. */
static int iter_in_netns(struct bpf_link *link, int netns_fd)
{
	struct netns_iter ni = { .link_fd = bpf_link__fd(link), .netns_fd = netns_fd };
	pthread_t t;
	int err = pthread_create(&t, NULL, netns_iter_thread, &ni);

	if (err)
		return -err;
	pthread_join(t, NULL);
	return ni.result;
}

/* Several fds of one process on one socket (dup()) are one holder. */
static void drop_duplicates(struct holder_list *l)
{
	size_t i, j, kept = 0;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < kept; j++)
			if (l->v[j].pid == l->v[i].pid && l->v[j].ino == l->v[i].ino && l->v[i].pid)
				break;
		if (j == kept)
			l->v[kept++] = l->v[i];
	}
	l->n = kept;
}

/*
 * Walk a socket table (iter/tcp, iter/udp) of q's namespace.  Without a way
 * into another namespace only the process-held sockets are known: 0.
 */
static int drain_table(struct holders *h, struct bpf_link *link,
		       const struct holder_query *q, struct holder_list *out)
{
	int fd;

	if (q->netns == h->own_netns) {
		fd = bpf_iter_create(bpf_link__fd(link));
		if (fd < 0)
			fd = -errno;
	} else if (q->netns_fd >= 0) {
		fd = iter_in_netns(link, q->netns_fd);
	} else {
		return 0;
	}
	return fd < 0 ? fd : drain(fd, out);
}

int holders_find(struct holders *h, const struct holder_query *q, struct holder_list *out)
{
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	h->skel->bss->target_port = q->port;
	h->skel->bss->target_protocol = q->protocol;
	h->skel->bss->target_netns = q->netns;
	if (q->kinds & HOLDERS_PROCESSES) {
		fd = bpf_iter_create(bpf_link__fd(h->task));
		err = fd < 0 ? -errno : drain(fd, out);
	}
	if (!err && q->kinds & HOLDERS_UNHELD && q->protocol != IPPROTO_UDP)
		err = drain_table(h, h->tcp, q, out);
	if (!err && q->kinds & HOLDERS_UNHELD && q->protocol != IPPROTO_TCP)
		err = drain_table(h, h->udp, q, out);
	if (err) {
		holder_list_free(out);
		return err;
	}
	drop_duplicates(out);
	return 0;
}

void holder_list_free(struct holder_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
