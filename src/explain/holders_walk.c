// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holders_walk.c - run the holder iterators and collect what they write.
 *
 * It owns a lookup's walks and entering another netns to run them; it must
 * not load the iterators (holders.c) or enrich or judge what they find.
 *
 * Each lookup puts its target in the "targets" map under the reading
 * thread's id and reads one fresh iterator instance per walk.  iter/task
 * sees every namespace at once and filters by namespace inode itself.
 * iter/tcp and iter/udp are scoped to the namespace of the thread that
 * creates the instance, so for another namespace a short-lived thread
 * enters it (nsrun.c) and creates the instance there; bindwatch's own
 * threads never leave their namespace.
 *
 * A socket with a file that no process was seen holding may be in flight
 * or in an io_uring (HOLDERS_INDIRECT): iter/unix finds it in a unix
 * socket's queue and the carrier's holder is looked for in turn, a
 * carrier at a time (name_carrier()); holders_indirect walks the rings.
 * holders_find_in() walks one process's descriptors alone, through an
 * iterator link made for that process (the monitor's diagnosis, when the
 * ledger says where to look).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include "holders.h"
#include "holders_int.h"
#include "nsrun.h"

#define READ_CHUNK (64 * 1024)
/*
 * Carriers followed from a socket in flight to a process: its unix
 * socket, that one's carrier when it was sent away too, and so on.
 */
#define MAX_CARRIER_HOPS 4

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

/* nsrun() call: an instance of the iterator link *arg points to, or -errno. */
static int iter_create(void *arg)
{
	int fd = bpf_iter_create(*(int *)arg);

	return fd < 0 ? -errno : fd;
}

/* Make t what this thread's walks look for.  0 or -errno. */
static int set_target(struct holders *h, const struct bw_target *t)
{
	struct bw_reader self = { .tid = gettid(), .pidns = h->pidns };

	return bpf_map_update_elem(h->targets_fd, &self, t, BPF_ANY) ? -errno : 0;
}

/*
 * Walk a socket table (iter/tcp, iter/udp, iter/unix) of q's namespace.
 * Without a way into another namespace only the process-held sockets are
 * known: 0.
 */
static int drain_table(struct holders *h, enum walker which,
		       const struct holder_query *q, struct holder_list *out)
{
	int fd;

	if (q->netns != h->own_netns && q->netns_fd < 0)
		return 0;
	fd = nsrun(q->netns == h->own_netns ? -1 : q->netns_fd, iter_create, &h->link_fds[which]);
	return fd < 0 ? fd : drain(fd, out);
}

/* Walk every process (iter/task, or holders_indirect). */
static int drain_tasks(struct holders *h, enum walker which, struct holder_list *out)
{
	int fd = bpf_iter_create(h->link_fds[which]);

	return fd < 0 ? -errno : drain(fd, out);
}

/* s, the socket in flight, as held by the process of c (holding its carrier). */
static struct bw_holder held_through(const struct bw_holder *s, const struct bw_holder *c)
{
	struct bw_holder named = *s;

	named.pid = c->pid;
	named.fd = c->fd;
	named.start_ns = c->start_ns;
	named.cgroup_id = c->cgroup_id;
	memcpy(named.comm, c->comm, sizeof(named.comm));
	return named;
}

/*
 * Name who can receive s, a socket in flight on the unix socket
 * s->via_ino: each process holding that carrier, or the one that carrier
 * was itself sent on, and so on up to MAX_CARRIER_HOPS (via_hops says how
 * many); s itself, hidden, when none does.  Appended to out.  The walks
 * look for the carrier; t, the port, is the target again after.
 */
static int name_carrier(struct holders *h, const struct holder_query *q,
			const struct bw_target *t, struct bw_holder *s, struct holder_list *out)
{
	struct bw_target ct = *t;
	struct holder_list found = {};
	bool named = false;
	size_t i;
	int err = 0, reset;

	for (ct.carrier = s->via_ino, s->via_hops = 1;
	     !err && !named && ct.carrier && s->via_hops <= MAX_CARRIER_HOPS; s->via_hops++) {
		err = set_target(h, &ct);
		if (!err)
			err = drain_tasks(h, WALK_INDIRECT, &found);
		for (i = 0; !err && i < found.n; i++) {
			struct bw_holder n = held_through(s, &found.v[i]);

			err = holder_list_add(out, &n);
		}
		named = found.n > 0;
		holder_list_free(&found);
		if (!err && !named)
			err = drain_table(h, WALK_UNIX, q, &found);
		ct.carrier = !err && found.n ? found.v[0].via_ino : 0;
		holder_list_free(&found);
	}
	if (named)
		s->via_hops--;
	if (!err && !named) {
		s->hidden = 1;
		err = holder_list_add(out, s);
	}
	reset = set_target(h, t);
	return err ? err : reset;
}

/*
 * The holders no descriptor table shows: sockets on the port in flight
 * (named by who holds their carrier) and in io_uring rings.  Nothing when
 * the kernel could not load the walks.
 */
static int walk_indirect(struct holders *h, const struct holder_query *q,
			 const struct bw_target *t, struct holder_list *out)
{
	struct holder_list inflight = {};
	size_t i;
	int err;

	if (h->link_fds[WALK_UNIX] < 0 || h->link_fds[WALK_INDIRECT] < 0)
		return 0;
	err = drain_table(h, WALK_UNIX, q, &inflight);
	if (!err)
		err = drain_tasks(h, WALK_INDIRECT, out);
	for (i = 0; !err && i < inflight.n; i++)
		err = name_carrier(h, q, t, &inflight.v[i], out);
	holder_list_free(&inflight);
	return err;
}

/*
 * The indirect holders come first: a socket the tables found with a file
 * and no process (hidden) is then dropped when they named it.
 */
static int walk(struct holders *h, const struct holder_query *q, const struct bw_target *t,
		struct holder_list *out)
{
	int err = 0;

	if (q->kinds & HOLDERS_INDIRECT)
		err = walk_indirect(h, q, t, out);
	if (!err && q->kinds & HOLDERS_PROCESSES)
		err = drain_tasks(h, WALK_TASK, out);
	if (!err && q->kinds & HOLDERS_UNHELD && q->protocol != IPPROTO_UDP)
		err = drain_table(h, WALK_TCP, q, out);
	if (!err && q->kinds & HOLDERS_UNHELD && q->protocol != IPPROTO_TCP)
		err = drain_table(h, WALK_UDP, q, out);
	return err;
}

int holders_find(struct holders *h, const struct holder_query *q, struct holder_list *out)
{
	struct bw_target t = { .port = q->port, .protocol = q->protocol, .netns = q->netns };
	/* the programs run as the reader: each thread has a target of its own */
	struct bw_reader self = { .tid = gettid(), .pidns = h->pidns };
	int err;

	memset(out, 0, sizeof(*out));
	err = set_target(h, &t);
	if (err)
		return err;
	err = walk(h, q, &t, out);
	bpf_map_delete_elem(h->targets_fd, &self);
	if (err) {
		holder_list_free(out);
		return err;
	}
	holder_list_dedup(out);
	return 0;
}

int holders_find_in(struct holders *h, const struct holder_query *q, __u32 pid,
		    struct holder_list *out)
{
	struct bw_target t = { .port = q->port, .protocol = q->protocol, .netns = q->netns };
	struct bw_reader self = { .tid = gettid(), .pidns = h->pidns };
	union bpf_iter_link_info info = { .task.pid = pid };
	int link, fd, err;

	if (h->task_prog_fd < 0)
		return -EOPNOTSUPP;
	/* a kernel without the filter (before 6.1) would walk every process */
	link = holders_iter_link(h->task_prog_fd, &info);
	if (link < 0)
		return link == -EINVAL ? -EOPNOTSUPP : link;
	err = set_target(h, &t);
	if (!err) {
		fd = bpf_iter_create(link);
		err = fd < 0 ? -errno : drain(fd, out);
		bpf_map_delete_elem(h->targets_fd, &self);
	}
	close(link);
	return err;
}
