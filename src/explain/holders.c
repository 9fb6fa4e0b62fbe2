// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holders.c - load the holder iterators (bpf/holders.bpf.c), attach them,
 * and close them.
 *
 * It owns the iterators' objects and links, and the names of their pins
 * (removed at close by the monitor that made them); it must not walk them
 * (holders_walk.c), pin them or use pins (holders_pin.c), or enrich or
 * judge what they find.
 *
 * The iterators stay attached for the life of bindwatch, so a lookup
 * costs one in-kernel walk and no /proc scan.  Loading them costs more
 * than a lookup.  libbpf's skeleton reads and parses the kernel's whole
 * BTF (5 MB, ~90 ms) to relocate them and to find their attach points;
 * the light skeleton (bpftool gen skeleton -L) has the kernel do both from
 * the BTF it already holds (~20 ms), and is tried first; libbpf's stays
 * for kernels that cannot (before 5.17).  Before the walkers attach, the
 * kernel is made to show which f_op socket and io_uring files carry
 * (learn_fops()), which the walks compare against.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "holders.skel.h"
#include "holders.lskel.h"
#include "holders_fast.lskel.h"
#include "holders.h"
#include "holders_int.h"
#include "log.h"
#include "procinfo.h"

/* This build's pin directory: FNV-1a of the BPF object it embeds. */
const char *holders_pin_dir(void)
{
	static char dir[PIN_DIR_LEN];
	const unsigned char *p;
	uint32_t hash = 2166136261u;
	size_t i, n;

	if (dir[0])
		return dir;
	p = holders_bpf__elf_bytes(&n);
	for (i = 0; i < n; i++)
		hash = (hash ^ p[i]) * 16777619u;
	snprintf(dir, sizeof(dir), PIN_DIR_FMT, hash);
	return dir;
}

void holders_pin_path(char path[PIN_PATH_LEN], int i)
{
	static const char *const names[PINS] = { "task", "tcp", "udp", "unix", "indirect", "targets" };

	snprintf(path, PIN_PATH_LEN, "%s/%s", holders_pin_dir(), names[i]);
}

void holders_unpin(void)
{
	char path[PIN_PATH_LEN];
	int i;

	for (i = 0; i < PINS; i++) {
		holders_pin_path(path, i);
		unlink(path);
	}
	rmdir(holders_pin_dir());
}

/* The kernel's id of the link behind fd, 0 if it cannot be had. */
static __u32 link_id(int fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

/* Whether the pinned task link is ours: another monitor may have re-pinned. */
static bool pins_ours(const struct holders *h)
{
	char path[PIN_PATH_LEN];
	__u32 pinned;
	int fd;

	holders_pin_path(path, WALK_TASK);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	pinned = link_id(fd);
	close(fd);
	return pinned && pinned == link_id(h->link_fds[WALK_TASK]);
}

struct holders *holders_new(void)
{
	struct holders *h = calloc(1, sizeof(*h));
	int i;

	if (!h)
		return NULL;
	for (i = 0; i < WALKERS; i++)
		h->link_fds[i] = -1;
	h->task_prog_fd = -1;
	h->targets_fd = -1;
	h->own_netns = procinfo_own_netns();
	h->pidns = procinfo_own_pidns();
	return h;
}

/* Read an iterator instance to its end, for its side effects only. */
static int run_iter(int link_fd)
{
	char buf[64];
	int fd = bpf_iter_create(link_fd), err = 0;
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

int holders_iter_link(int prog_fd, union bpf_iter_link_info *info)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .iter_info = info,
		    .iter_info_len = info ? sizeof(*info) : 0);
	int fd = bpf_link_create(prog_fd, 0, BPF_TRACE_ITER, &opts);

	return fd < 0 ? -errno : fd;
}

/* What learn_socket_fops reads and writes, in the loaded object. */
struct learnt {
	const volatile __u64 *socket_fops;
	const volatile __u64 *io_uring_fops;
	volatile __u32 *learn_ring; /* our ring's fd plus one */
};

/*
 * An io_uring of our own, to learn the f_op of io_uring files from: -1
 * when the kernel refuses one (none, or io_uring_disabled), and then no
 * process can have one either, or only one we are not let to walk.
 */
static int own_ring(void)
{
	struct io_uring_params p = {};
	long fd = syscall(__NR_io_uring_setup, 1, &p);

	return fd < 0 ? -1 : (int)fd;
}

/*
 * Have the kernel show which f_op socket and io_uring files carry (the
 * walks compare against them; learn_socket_fops writes them).  A socket
 * and a ring of our own guarantee there is one to find, and the walk is
 * limited to this process where the kernel allows (6.1+).
 */
static int learn_fops(int prog_fd, const struct learnt *l)
{
	union bpf_iter_link_info info = { .task.pid = getpid() };
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), err;
	int ring = own_ring();
	int link = holders_iter_link(prog_fd, &info);

	if (link < 0) /* an older kernel: every process (cheap once one socket is seen) */
		link = holders_iter_link(prog_fd, NULL);
	*l->learn_ring = ring >= 0 ? ring + 1 : 0;
	if (sock < 0)
		err = -errno;
	else
		err = link < 0 ? link : run_iter(link);
	if (!err && !*l->socket_fops)
		err = -ENOENT;
	if (!err && !*l->io_uring_fops)
		note("holder iterators: no io_uring could be set up: rings are not walked");
	if (sock >= 0)
		close(sock);
	if (ring >= 0)
		close(ring);
	if (link >= 0)
		close(link);
	return err;
}

/*
 * Learn the f_ops, then attach the walkers: their links in h.  A walker
 * not loaded (prog fd -1) stays unattached.
 */
static int attach(struct holders *h, int learn_fd, const struct learnt *l,
		  const int prog_fds[WALKERS])
{
	int i, err = learn_fops(learn_fd, l);

	h->task_prog_fd = prog_fds[WALK_TASK];
	for (i = 0; i < WALKERS && !err; i++) {
		if (prog_fds[i] < 0)
			continue;
		h->link_fds[i] = holders_iter_link(prog_fds[i], NULL);
		if (h->link_fds[i] < 0)
			err = h->link_fds[i];
	}
	return err;
}

/* What a load left, whole or halfway: links, then the objects. */
static void unload(struct holders *h)
{
	int i;

	for (i = 0; i < WALKERS; i++) {
		if (h->link_fds[i] >= 0)
			close(h->link_fds[i]);
		h->link_fds[i] = -1;
	}
	if (h->fast)
		holders_fast_lbpf__destroy(h->fast);
	if (h->lskel)
		holders_lbpf__destroy(h->lskel);
	holders_bpf__destroy(h->skel);
	h->fast = NULL;
	h->lskel = NULL;
	h->skel = NULL;
	h->task_prog_fd = -1;
	h->targets_fd = -1;
}

/*
 * Through a light skeleton (holders_lbpf, or holders_fast_lbpf, the same
 * programs with the faster walk) into h->field: no BTF parsed here.
 * 0 or -errno.
 */
#define OPEN_LIGHT(h, field, skel)						\
({										\
	int progs_[WALKERS];							\
										\
	(h)->field = skel##__open_and_load();					\
	!(h)->field ? (errno ? -errno : -EINVAL) : (				\
	progs_[WALK_TASK] = (h)->field->progs.holders_task.prog_fd,		\
	progs_[WALK_TCP] = (h)->field->progs.holders_tcp.prog_fd,		\
	progs_[WALK_UDP] = (h)->field->progs.holders_udp.prog_fd,		\
	progs_[WALK_UNIX] = (h)->field->progs.holders_unix.prog_fd,		\
	progs_[WALK_INDIRECT] = (h)->field->progs.holders_indirect.prog_fd,	\
	(h)->targets_fd = (h)->field->maps.targets.map_fd,			\
	attach((h), (h)->field->progs.learn_socket_fops.prog_fd,		\
	       &(struct learnt){ &(h)->field->bss->socket_fops,			\
				 &(h)->field->bss->io_uring_fops,		\
				 &(h)->field->bss->learn_ring }, progs_));	\
})

/* The fast walk where the kernel has bpf_rdonly_cast() (6.2+), else the plain one. */
static int open_light(struct holders *h)
{
	int err = OPEN_LIGHT(h, fast, holders_fast_lbpf);

	if (!err) {
		note("holder iterators: the fast walk (bpf_rdonly_cast)");
		return 0;
	}
	unload(h);
	err = OPEN_LIGHT(h, lskel, holders_lbpf);
	if (!err)
		note("holder iterators: the portable walk (probe reads)");
	return err;
}

/*
 * Through libbpf's skeleton, relocated against btf_path or the kernel's.
 * A kernel without iter/unix (before 5.17) loads the rest: the indirect
 * holders are then not looked for (-v says so).
 */
static int open_libbpf(struct holders *h, const char *btf_path)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .btf_custom_path = btf_path);
	int progs[WALKERS], err;

	h->skel = holders_bpf__open_opts(&oo);
	if (!h->skel)
		return -errno;
	err = holders_bpf__load(h->skel);
	if (err) {
		holders_bpf__destroy(h->skel);
		h->skel = holders_bpf__open_opts(&oo);
		if (!h->skel)
			return -errno;
		bpf_program__set_autoload(h->skel->progs.holders_unix, false);
		bpf_program__set_autoload(h->skel->progs.holders_indirect, false);
		err = holders_bpf__load(h->skel);
		if (err)
			return err;
		note("holder iterators: iter/unix did not load: sockets in flight and in "
		     "io_uring rings are not looked for");
	}
	progs[WALK_TASK] = bpf_program__fd(h->skel->progs.holders_task);
	progs[WALK_TCP] = bpf_program__fd(h->skel->progs.holders_tcp);
	progs[WALK_UDP] = bpf_program__fd(h->skel->progs.holders_udp);
	progs[WALK_UNIX] = bpf_program__fd(h->skel->progs.holders_unix);
	progs[WALK_INDIRECT] = bpf_program__fd(h->skel->progs.holders_indirect);
	h->targets_fd = bpf_map__fd(h->skel->maps.targets);
	return attach(h, bpf_program__fd(h->skel->progs.learn_socket_fops),
		      &(struct learnt){ &h->skel->bss->socket_fops, &h->skel->bss->io_uring_fops,
					&h->skel->bss->learn_ring }, progs);
}

int holders_open(struct holders **hp, const char *btf_path)
{
	struct holders *h = holders_new();
	int err;

	if (!h)
		return -ENOMEM;
	/* --btf names BTF the kernel lacks: only libbpf can relocate against it */
	err = btf_path ? -ENOTSUP : open_light(h);
	if (err) {
		unload(h);
		err = open_libbpf(h, btf_path);
	}
	if (err) {
		holders_close(h);
		return err;
	}
	*hp = h;
	return 0;
}

struct holders_loading {
	pthread_t thread;
	const char *btf_path;
	struct holders *h;
	int err;
};

static void *loading_thread(void *arg)
{
	struct holders_loading *l = arg;

	l->err = holders_open(&l->h, l->btf_path);
	return NULL;
}

int holders_open_start(struct holders_loading **lp, const char *btf_path)
{
	struct holders_loading *l = calloc(1, sizeof(*l));
	int err;

	if (!l)
		return -ENOMEM;
	l->btf_path = btf_path;
	err = pthread_create(&l->thread, NULL, loading_thread, l);
	if (err) {
		free(l);
		return -err;
	}
	*lp = l;
	return 0;
}

int holders_open_wait(struct holders_loading *l, struct holders **hp)
{
	int err;

	pthread_join(l->thread, NULL);
	err = l->err;
	if (!err)
		*hp = l->h;
	free(l);
	return err;
}

void holders_close(struct holders *h)
{
	if (!h)
		return;
	if (h->pinned && pins_ours(h))
		holders_unpin();
	/* a monitor's pinned map is ours to close; a loaded one, its object's */
	if (!h->skel && !h->lskel && !h->fast && h->targets_fd >= 0)
		close(h->targets_fd);
	unload(h);
	free(h);
}

__u32 holders_own_netns(const struct holders *h)
{
	return h->own_netns;
}
