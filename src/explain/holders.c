// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holders.c - run the holder iterators and collect what they write.
 *
 * It owns the holder iterators and entering another netns to run them; it
 * must not enrich or judge what they find.
 *
 * The iterators stay attached for the life of bindwatch; each lookup puts
 * its target in the "targets" map under the reading thread's id and reads
 * one fresh iterator instance per walk, so a lookup costs one in-kernel
 * walk and no /proc scan.  iter/task sees every namespace at once and
 * filters by namespace inode itself.  iter/tcp and iter/udp are scoped to
 * the namespace of the thread that creates the instance, so for another
 * namespace a short-lived thread enters it (nsrun.c) and creates the
 * instance there; bindwatch's own threads never leave their namespace.
 *
 * A socket with a file that no process was seen holding may be in flight
 * or in an io_uring (HOLDERS_INDIRECT): iter/unix finds it in a unix
 * socket's queue and the carrier's holder is looked for in turn, a
 * carrier at a time (name_carrier()); holders_indirect walks the rings.
 * holders_find_in() walks one process's descriptors alone, through an
 * iterator link made for that process (the monitor's diagnosis, when the
 * ledger says where to look).
 *
 * Loading the iterators costs more than a lookup.  libbpf's skeleton reads
 * and parses the kernel's whole BTF (5 MB, ~90 ms) to relocate them and to
 * find their attach points; the light skeleton (bpftool gen skeleton -L)
 * has the kernel do both from the BTF it already holds (~20 ms), and is
 * tried first; libbpf's stays for kernels that cannot (before 5.17).  So
 * much for loading; beyond it, the monitor pins its links and the targets map
 * in bpffs, and `bindwatch who` uses them when they are there: a running
 * monitor makes every `who` a walk and nothing else.  Only one monitor runs
 * at a time (instance.c), so when it pins, every bindwatch pin directory
 * there is a leftover of a monitor that was killed, of this build or
 * another: all of them are removed first.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/io_uring.h>
#include <netinet/in.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "holders.skel.h"
#include "holders.lskel.h"
#include "holders_fast.lskel.h"
#include "holders.h"
#include "log.h"
#include "nsrun.h"
#include "procinfo.h"

#define READ_CHUNK (64 * 1024)
#define BPFFS "/sys/fs/bpf"
#define STR_(x) #x
#define STR(x) STR_(x)
/*
 * Named for the ABI version and a hash of the programs: a bindwatch of
 * another build never runs these (a monitor killed with SIGKILL leaves its
 * pins, and an upgrade must not keep using them).
 */
#define PIN_DIR_PREFIX "bindwatch-v"
#define PIN_DIR_FMT BPFFS "/" PIN_DIR_PREFIX STR(BW_ABI_VERSION) "-%08x"
#define PIN_DIR_LEN (sizeof(PIN_DIR_FMT) + 8)

enum walker { WALK_TASK, WALK_TCP, WALK_UDP, WALK_UNIX, WALK_INDIRECT, WALKERS };

/*
 * Carriers followed from a socket in flight to a process: its unix
 * socket, that one's carrier when it was sent away too, and so on.
 */
#define MAX_CARRIER_HOPS 4

/* What is pinned: the walkers' links, then the targets map. */
#define PINS (WALKERS + 1)
#define PIN_PATH_LEN (PIN_DIR_LEN + 16)

/* This build's pin directory: FNV-1a of the BPF object it embeds. */
static const char *pin_dir(void)
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

static void pin_path(char path[PIN_PATH_LEN], int i)
{
	static const char *const names[PINS] = { "task", "tcp", "udp", "unix", "indirect", "targets" };

	snprintf(path, PIN_PATH_LEN, "%s/%s", pin_dir(), names[i]);
}

struct holders {
	struct holders_fast_lbpf *fast;    /* loaded by the fast light skeleton, */
	struct holders_lbpf *lskel;        /* or by the light skeleton, */
	struct holders_bpf *skel;          /* or by libbpf's; none: a monitor's pins */
	int link_fds[WALKERS];             /* -1: that walker is not loaded */
	int task_prog_fd;                  /* holders_task, for one process's walk; -1: pins */
	int targets_fd;
	__u32 own_netns;
	__u32 pidns;                       /* bindwatch's pid namespace */
	bool pinned;                       /* we pinned them: unpin on close */
};

static struct holders *holders_new(void)
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

static int iter_link(int prog_fd, union bpf_iter_link_info *info)
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
	int link = iter_link(prog_fd, &info);

	if (link < 0) /* an older kernel: every process (cheap once one socket is seen) */
		link = iter_link(prog_fd, NULL);
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
		h->link_fds[i] = iter_link(prog_fds[i], NULL);
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

/* The pinned targets map has this build's layout (a stale pin may not). */
static bool targets_compatible(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return !bpf_obj_get_info_by_fd(fd, &info, &len) &&
	       info.key_size == sizeof(struct bw_reader) &&
	       info.value_size == sizeof(struct bw_target);
}

int holders_open_pinned(struct holders **hp)
{
	struct holders *h = holders_new();
	char path[PIN_PATH_LEN];
	int i, err = 0;

	if (!h)
		return -ENOMEM;
	for (i = 0; i < PINS && !err; i++) {
		int *fd = i < WALKERS ? &h->link_fds[i] : &h->targets_fd;

		pin_path(path, i);
		*fd = bpf_obj_get(path);
		/* a monitor whose kernel has no iter/unix pins no indirect walkers */
		if (*fd < 0 && (i == WALK_UNIX || i == WALK_INDIRECT))
			*fd = -1;
		else if (*fd < 0)
			err = -errno;
	}
	if (!err && !targets_compatible(h->targets_fd))
		err = -ENOENT;
	if (err) {
		holders_close(h);
		return err;
	}
	*hp = h;
	return 0;
}

static void unpin(void)
{
	char path[PIN_PATH_LEN];
	int i;

	for (i = 0; i < PINS; i++) {
		pin_path(path, i);
		unlink(path);
	}
	rmdir(pin_dir());
}

/* Empty and remove directory name of BPFFS (a pin directory). */
static void remove_pin_dir(int bpffs, const char *name)
{
	int fd = openat(bpffs, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	while ((e = readdir(d)))
		if (e->d_name[0] != '.')
			unlinkat(fd, e->d_name, 0);
	closedir(d);
	unlinkat(bpffs, name, AT_REMOVEDIR);
}

/* Every bindwatch pin directory: what monitors killed before us left. */
static void remove_stale_pins(void)
{
	DIR *d = opendir(BPFFS);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && !strncmp(e->d_name, PIN_DIR_PREFIX, strlen(PIN_DIR_PREFIX)))
			remove_pin_dir(dirfd(d), e->d_name);
	closedir(d);
}

static int ensure_bpffs(void)
{
	struct statfs fs;

	if (!statfs(BPFFS, &fs) && fs.f_type == BPF_FS_MAGIC)
		return 0;
	return mount("bpf", BPFFS, "bpf", 0, "mode=0700") ? -errno : 0;
}

int holders_pin(struct holders *h)
{
	char path[PIN_PATH_LEN];
	int i, err = ensure_bpffs();

	if (err)
		return err;
	remove_stale_pins();
	if (mkdir(pin_dir(), 0700) && errno != EEXIST)
		return -errno;
	for (i = 0; i < PINS && !err; i++) {
		int fd = i < WALKERS ? h->link_fds[i] : h->targets_fd;

		pin_path(path, i);
		if (fd >= 0 && bpf_obj_pin(fd, path))
			err = -errno;
	}
	if (err)
		unpin();
	h->pinned = !err;
	return err;
}

/* Whether the pinned task link is ours: another monitor may have re-pinned. */
/* The kernel's id of the link behind fd, 0 if it cannot be had. */
static __u32 link_id(int fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

static bool pins_ours(const struct holders *h)
{
	char path[PIN_PATH_LEN];
	__u32 pinned;
	int fd;

	pin_path(path, WALK_TASK);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return false;
	pinned = link_id(fd);
	close(fd);
	return pinned && pinned == link_id(h->link_fds[WALK_TASK]);
}

void holders_close(struct holders *h)
{
	if (!h)
		return;
	if (h->pinned && pins_ours(h))
		unpin();
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

/*
 * Several fds of one process on one socket (dup()) are one holder; a
 * socket a table walk found with a file is dropped when a process was seen
 * holding it (process entries come first).
 */
void holder_list_dedup(struct holder_list *l)
{
	size_t i, j, kept = 0;

	for (i = 0; i < l->n; i++) {
		for (j = 0; j < kept; j++)
			if (l->v[j].ino == l->v[i].ino &&
			    ((l->v[j].pid == l->v[i].pid && l->v[i].pid) || l->v[i].hidden))
				break;
		if (j == kept)
			l->v[kept++] = l->v[i];
	}
	l->n = kept;
}

bool holder_list_hidden(const struct holder_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].hidden)
			return true;
	return false;
}

int holder_list_add(struct holder_list *l, const struct bw_holder *h)
{
	struct bw_holder *v = realloc(l->v, (l->n + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	l->v = v;
	v[l->n++] = *h;
	return 0;
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
	link = iter_link(h->task_prog_fd, &info);
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

void holder_list_free(struct holder_list *l)
{
	free(l->v);
	memset(l, 0, sizeof(*l));
}
