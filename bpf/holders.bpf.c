// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * holders.bpf.c - find every socket on one port, and who holds it, inside
 * the kernel.
 *
 * ss -p, lsof and fuser read every /proc/PID/fd of every process and only
 * then filter by port.  Here the kernel walks the same tables and writes
 * out only the sockets on the port in question, as struct bw_holder
 * records read from the iterator's file descriptor:
 *
 *  - iter/task visits every process, and walks its descriptor table.  A
 *    socket on the port, in the network namespace asked for, yields one
 *    record per (process, fd) holding it, so processes that share a socket
 *    after fork() are each named.  This sees sockets in every state,
 *    including bound but not listening ones, which no socket table shows.
 *
 *  - iter/tcp and iter/udp visit the socket tables of the namespace the
 *    iterator was created in, and yield only what no process holds:
 *    TIME_WAIT sockets, orphaned connections, and sockets the kernel opened
 *    for itself (VXLAN, in-kernel servers).
 *
 *  - iter/unix and a second iter/task (holders_indirect) find who holds a
 *    socket no descriptor table shows: in flight, or in an io_uring (see
 *    there).
 *
 * Built twice: as is, and with HOLDERS_FAST (holders_fast.bpf.o), where the
 * descriptor walk reads a word's 64 file pointers in one helper call and
 * follows file -> socket -> sock with plain loads through bpf_rdonly_cast()
 * (kernel 6.2+), instead of four helper calls per descriptor, in one
 * unrolled pass over the word, so that only a socket on the port costs a
 * loop callback: the walk of a host with 20,000 open sockets is what a
 * conflict record waits for.  holders.c loads the fast build first and
 * falls back to this one (-v says which).
 *
 * Each reader puts its target (port, protocol, namespace) in the "targets"
 * map under its own thread before it reads: a program runs in the reader's
 * context, so several readers (the monitor and any number of `bindwatch
 * who` using its pinned iterators) never see each other's.  A thread is
 * named by its pid namespace and its id there, which is what a reader in a
 * container can know of itself.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include "bindwatch.h"
#include "sock.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

struct {
	/* LRU: an entry a killed reader left behind ages out */
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 256); /* readers at once */
	__type(key, struct bw_reader);
	__type(value, struct bw_target);
} targets SEC(".maps");

#ifdef HOLDERS_FAST
extern void *bpf_rdonly_cast(const void *obj, __u32 btf_id) __ksym;
#endif

/* What the current reader looks for; NULL when it set nothing. */
static __always_inline const struct bw_target *lookup_target(void)
{
#ifdef HOLDERS_FAST
	/* plain loads from a task the verifier trusts; numbers[] has a variable index */
	struct task_struct *task = bpf_get_current_task_btf();
	struct pid *pid = task->thread_pid;
	struct pid_namespace *ns;
	struct upid up = {};
	struct bw_reader r;

	bpf_probe_read_kernel(&up, sizeof(up), (void *)pid +
			      bpf_core_field_offset(struct pid, numbers) +
			      (__u64)pid->level * bpf_core_type_size(struct upid));
	ns = bpf_rdonly_cast(up.ns, bpf_core_type_id_kernel(struct pid_namespace));
	r.tid = up.nr;
	r.pidns = ns->ns.inum;
	return bpf_map_lookup_elem(&targets, &r);
#else
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct pid *pid = BPF_CORE_READ(task, thread_pid);
	unsigned int level = BPF_CORE_READ(pid, level);
	struct upid up = {};
	struct bw_reader r;

	/* numbers[level]: the id in the thread's own (innermost) pid namespace */
	bpf_probe_read_kernel(&up, sizeof(up), (void *)pid +
			      bpf_core_field_offset(struct pid, numbers) +
			      (__u64)level * bpf_core_type_size(struct upid));
	r.tid = up.nr;
	r.pidns = BPF_CORE_READ(up.ns, ns.inum);
	return bpf_map_lookup_elem(&targets, &r);
#endif
}

/*
 * The target of the iterator session being read, as this CPU last looked
 * it up: a session (one open iterator) has one reader and one target, and
 * its id is never reused, so the reader's target is looked up once per
 * session and CPU rather than once per task or socket visited.  A program
 * stays on its CPU but may be preempted there by another session's, which
 * may rewrite the entry: it is copied out and kept only if its session id
 * is the same before and after, and a writer clears the id first.
 */
struct session_target {
	__u64 session_id;
	struct bw_target t;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct session_target);
} sessions SEC(".maps");

/* What the current reader looks for, into *out; false when it set nothing. */
static __always_inline bool my_target(const struct bpf_iter_meta *meta, struct bw_target *out)
{
	struct session_target *c;
	const struct bw_target *t;
	__u64 id = meta->session_id;
	__u32 zero = 0;

	c = bpf_map_lookup_elem(&sessions, &zero);
	if (c && *(volatile __u64 *)&c->session_id == id) {
		*out = c->t;
		barrier();
		if (*(volatile __u64 *)&c->session_id == id)
			return true;
	}
	t = lookup_target();
	if (!t)
		return false;
	*out = *t;
	if (c) {
		*(volatile __u64 *)&c->session_id = 0;
		barrier();
		c->t = *out;
		barrier();
		*(volatile __u64 *)&c->session_id = id;
	}
	return true;
}

static __always_inline bool on_target(const struct bw_target *t, const struct bw_sock *s)
{
	return s->port == t->port && s->netns == t->netns &&
	       (!t->protocol || s->protocol == t->protocol);
}

/*
 * The f_op of every socket file.  Learnt once, by learn_socket_fops, from
 * a file the kernel itself vouches for as a socket (bpf_sock_from_file);
 * the symbol socket_file_ops is static, so it cannot be linked against.
 */
__u64 socket_fops = 0;

/*
 * The f_op of every io_uring file, learnt from one bindwatch sets up for
 * the purpose, whose descriptor plus one userspace puts in learn_ring (0:
 * none, io_uring_setup() was refused: no ring is walked).
 */
__u64 io_uring_fops = 0;
__u32 learn_ring = 0;

SEC("iter/task_file")
int learn_socket_fops(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;

	if (file && !socket_fops && bpf_sock_from_file(file))
		socket_fops = (__u64)BPF_CORE_READ(file, f_op);
	if (file && !io_uring_fops && learn_ring && ctx->fd == learn_ring - 1)
		io_uring_fops = (__u64)BPF_CORE_READ(file, f_op);
	return 0;
}

#define BITS_PER_WORD 64

#ifdef HOLDERS_FAST
/*
 * One word's file pointers, read at once (too big for the stack), and the
 * bits of those that are sockets on the port: kept in map memory, whose
 * values the verifier does not follow, so that it sees one mask, not one
 * per combination of bits.
 */
struct word_files {
	struct file *files[BITS_PER_WORD];
	unsigned long hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct word_files);
} scratch SEC(".maps");
#endif

/*
 * Records one process may write in one run: the iterator's buffer holds
 * about 300, and the walk must stay below that or the whole read fails.
 */
#define MAX_PER_PROCESS 64

/* One process's descriptor table, walked a bitmap word at a time. */
struct fd_walk {
	struct seq_file *seq;
	struct task_struct *task;
	struct file **fds;
	unsigned long *open_fds;
	struct bw_target t;
	__u32 words;         /* max_fds / BITS_PER_WORD */
	__u32 base;          /* fd of bit 0 of the current word */
	unsigned long bits;  /* open fds of the current word not yet checked */
	__u32 written;       /* records written for this process */
	__u32 connection;    /* a connection socket on the port was written */
#ifdef HOLDERS_FAST
	struct word_files *word; /* the current word's file pointers */
#endif
};

/*
 * Always 0, but not known to be by the verifier: the per-process counters
 * start from it, so the verifier sees them as ranges, not as 0, 1, 2, ...,
 * and its walk of the loop callbacks converges in a few passes.
 */
__u32 counters_start = 0;

/*
 * h's socket fields from sk (a struct sock *), the socket of file (a
 * struct file *), and whether it is on t (its port was compared already).
 * A global function, so that the verifier checks read_sock() once, not
 * once for each loop that calls it: the indirect walks' loops made
 * loading the object twice as slow.
 */
__noinline bool fill_sock(struct bw_holder *h, __u64 sk_addr, __u64 file_addr,
			  const struct bw_target *t)
{
	struct sock *sk = (struct sock *)sk_addr;
	struct file *file = (struct file *)file_addr;

	if (!h || !t || !read_sock(sk, &h->sock) || !on_target(t, &h->sock))
		return false;
	h->state = BPF_CORE_READ(sk, __sk_common.skc_state);
	h->ino = BPF_CORE_READ(file, f_inode, i_ino);
	h->file_refs = file_refs(file);
	h->ack_backlog = BPF_CORE_READ(sk, sk_ack_backlog);
	h->max_ack_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
	return true;
}

/* h's process fields: task holds it through descriptor fd. */
static __always_inline void fill_process(struct bw_holder *h, struct task_struct *task, __u32 fd)
{
	h->pid = BPF_CORE_READ(task, tgid);
	h->fd = fd;
	h->start_ns = task_start_boottime(BPF_CORE_READ(task, group_leader));
	h->cgroup_id = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn, id);
	BPF_CORE_READ_STR_INTO(&h->comm, task, comm);
}

/* A socket that is a connection, not a listener, a bound socket or UDP. */
static __always_inline bool is_connection(const struct bw_holder *h)
{
	return h->sock.protocol != IPPROTO_UDP && h->state != TCP_LISTEN && h->state != TCP_CLOSE;
}

/*
 * Report the file open as fd if it is a socket on the target.  A server's
 * accepted connections share its port: one per process is written, the
 * listener being what matters.
 */
static __always_inline void check_fd(struct fd_walk *w, __u32 fd)
{
	struct task_struct *task = w->task;
	struct bw_holder h = {};
	struct file *file = NULL;
	struct sock *sk;
#ifdef HOLDERS_FAST
	struct socket *sock;
	struct file *f;

	file = w->word->files[fd & (BITS_PER_WORD - 1)];
	f = bpf_rdonly_cast(file, bpf_core_type_id_kernel(struct file));
	if (!f || (__u64)f->f_op != socket_fops)
		return;
	sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
	sk = sock->sk;
	/* one load rejects almost every socket: the port */
	if (!sk || sk->__sk_common.skc_num != w->t.port)
		return;
	/* fill_sock() takes addresses, not the verifier's typed pointers */
	sk = BPF_CORE_READ(sock, sk);
#else
	struct socket *sock;

	bpf_probe_read_kernel(&file, sizeof(file), &w->fds[fd]);
	if (!file || (__u64)BPF_CORE_READ(file, f_op) != socket_fops)
		return;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	/* one load rejects almost every socket: the port */
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_num) != w->t.port)
		return;
#endif
	if (!fill_sock(&h, (__u64)sk, (__u64)file, &w->t))
		return;
	if (is_connection(&h) && w->connection)
		return;
	w->connection |= is_connection(&h);
	fill_process(&h, task, fd);
	if (!bpf_seq_write(w->seq, &h, sizeof(h)))
		w->written++;
}

/*
 * Bit j of the current word.  A loop callback, not an unrolled loop, so the
 * verifier checks check_fd() once rather than once per bit.
 */
static long walk_bit(__u32 j, struct fd_walk *w)
{
	/* bpf_loop runs j below BITS_PER_WORD; the mask tells the verifier */
	__u32 bit = j & (BITS_PER_WORD - 1);

	if (!w->bits || w->written >= MAX_PER_PROCESS)
		return 1;
	if (w->bits & (1UL << bit)) {
		w->bits &= ~(1UL << bit);
		check_fd(w, w->base + bit);
	}
	return 0;
}

#ifdef HOLDERS_FAST
/*
 * The bits of w->bits whose file is a socket on the target's port: an
 * unrolled pass of plain loads over the word, so that only those cost a
 * loop callback (an indirect call each) and check_fd()'s reads.
 */
static __always_inline unsigned long port_hits(const struct fd_walk *w)
{
	struct socket *sock;
	struct file *f;
	struct sock *sk;
	int j;

	w->word->hits = 0;
#pragma unroll
	for (j = 0; j < BITS_PER_WORD; j++) {
		if (!(w->bits & (1UL << j)))
			continue;
		f = bpf_rdonly_cast(w->word->files[j], bpf_core_type_id_kernel(struct file));
		if (!f || (__u64)f->f_op != socket_fops)
			continue;
		sock = bpf_rdonly_cast(f->private_data, bpf_core_type_id_kernel(struct socket));
		sk = sock->sk;
		if (sk && sk->__sk_common.skc_num == w->t.port)
			w->word->hits |= 1UL << j;
	}
	return w->word->hits;
}
#endif

static long walk_word(__u32 i, struct fd_walk *w)
{
	if (i >= w->words || w->written >= MAX_PER_PROCESS)
		return 1;
	w->bits = 0;
	bpf_probe_read_kernel(&w->bits, sizeof(w->bits), &w->open_fds[i]);
	w->base = i * BITS_PER_WORD;
#ifdef HOLDERS_FAST
	/* max_fds is a whole number of words: the word's pointers are all there */
	if (w->bits && bpf_probe_read_kernel(w->word, sizeof(*w->word), &w->fds[w->base]))
		return 1;
	if (w->bits)
		w->bits = port_hits(w);
#endif
	if (w->bits)
		bpf_loop(BITS_PER_WORD, walk_bit, w, 0);
	return 0;
}

/*
 * Every process's open descriptors, walked here rather than by
 * iter/task_file: one program run per process instead of one per file, and
 * two loads for a file that is no socket on the port.
 */
SEC("iter/task")
int holders_task(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct fd_walk w = { .seq = ctx->meta->seq, .task = task };
	struct files_struct *files;
	struct fdtable *fdt;
#ifdef HOLDERS_FAST
	__u32 zero = 0;

	/* plain loads: ctx->task is a task the verifier trusts */
	if (!task || !socket_fops)
		return 0;
	files = task->files;
	/* kernel threads have none; threads sharing their leader's would repeat it */
	if (!files || (task->pid != task->tgid && files == task->group_leader->files))
		return 0;
	w.word = bpf_map_lookup_elem(&scratch, &zero);
	if (!w.word || !my_target(ctx->meta, &w.t))
		return 0;
	w.written = counters_start;
	w.connection = counters_start;
	fdt = files->fdt;
	w.fds = fdt->fd;
	w.open_fds = fdt->open_fds;
	w.words = fdt->max_fds / BITS_PER_WORD;
#else
	if (!task || !socket_fops || !my_target(ctx->meta, &w.t))
		return 0;
	w.written = counters_start;
	w.connection = counters_start;
	files = BPF_CORE_READ(task, files);
	/* kernel threads have none; threads sharing their leader's would repeat it */
	if (!files || (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) &&
		       files == BPF_CORE_READ(task, group_leader, files)))
		return 0;
	fdt = BPF_CORE_READ(files, fdt);
	w.fds = BPF_CORE_READ(fdt, fd);
	w.open_fds = BPF_CORE_READ(fdt, open_fds);
	w.words = BPF_CORE_READ(fdt, max_fds) / BITS_PER_WORD;
#endif
	bpf_loop(w.words, walk_word, &w, 0);
	return 0;
}

/*
 * Jiffies until a TIME_WAIT socket's timer frees it: 0 once it is due (it
 * may wait for the timer softirq a little longer).  Jiffies, not ms: HZ is
 * a build option of the kernel, read by userspace where libbpf's kconfig
 * would fail the load of a kernel that ships no config.
 */
static __always_inline __u32 tw_jiffies_left(const struct inet_timewait_sock *tw)
{
	__u64 expires = BPF_CORE_READ(tw, tw_timer.expires);
	__u64 now = bpf_jiffies64();

	/* expires is an unsigned long of jiffies; both are the same 64-bit clock */
	return expires > now ? (__u32)(expires - now) : 0;
}

/*
 * A socket from a table iterator that no process holds, or NULL: one in
 * TIME_WAIT, an orphan (closed by its process, still finishing), or one the
 * kernel opened for itself (a tunnel, an in-kernel server), which has a
 * struct socket but no file.  Connections still in a listener's accept
 * queue also have no socket yet; they are the listener's, counted in its
 * accept_queue, and skipped.  (holders_task reports the sockets that do
 * have a file.)
 */
static __always_inline bool unheld(const struct sock_common *skc, struct bw_holder *h)
{
	const struct sock *sk = (const struct sock *)skc;
	struct socket *sock;

	if (!read_sock_common(skc, &h->sock))
		return false;
	h->state = BPF_CORE_READ(skc, skc_state);
	if (h->state == TCP_TIME_WAIT) {
		h->tw_jiffies_left = tw_jiffies_left((const struct inet_timewait_sock *)skc);
		return true;
	}
	/* request sockets belong to their listener */
	if (h->state == TCP_NEW_SYN_RECV)
		return false;
	sock = BPF_CORE_READ(sk, sk_socket);
	if (sock && BPF_CORE_READ(sock, file)) {
		/*
		 * holders_task reports it, if its process is one this pid
		 * namespace shows; a TCP listener or a UDP socket is returned
		 * here too, marked, and kept only if that walk did not see it
		 * (a TCP socket only bound is in no table these walk)
		 */
		read_sock(sk, &h->sock);
		if (h->sock.protocol != IPPROTO_UDP && h->state != TCP_LISTEN)
			return false;
		h->hidden = 1;
		h->ino = BPF_CORE_READ(sock, file, f_inode, i_ino);
		h->ack_backlog = BPF_CORE_READ(sk, sk_ack_backlog);
		h->max_ack_backlog = BPF_CORE_READ(sk, sk_max_ack_backlog);
		return true;
	}
	if (!sock && !(BPF_CORE_READ(skc, skc_flags) &
		       (1UL << bpf_core_enum_value(enum sock_flags, SOCK_DEAD))))
		return false; /* not yet accepted */
	h->kernel = sock != NULL;
	read_sock(sk, &h->sock);
	return true;
}

/* Table iterators are scoped to one namespace; the netns check still holds. */
static __always_inline void emit_unheld(const struct bpf_iter_meta *meta,
					const struct sock_common *skc, __u32 uid, __u16 type,
					__u16 protocol)
{
	struct seq_file *seq = meta->seq;
	struct bw_holder h = {};
	struct bw_target t;

	if (!skc || !my_target(meta, &t) || BPF_CORE_READ(skc, skc_num) != t.port ||
	    !unheld(skc, &h))
		return;
	h.sock.type = type;
	h.sock.protocol = protocol;
	h.sock.uid = uid;
	if (on_target(&t, &h.sock))
		bpf_seq_write(seq, &h, sizeof(h));
}

SEC("iter/tcp")
int holders_tcp(struct bpf_iter__tcp *ctx)
{
	emit_unheld(ctx->meta, ctx->sk_common, ctx->uid, SOCK_STREAM, IPPROTO_TCP);
	return 0;
}

SEC("iter/udp")
int holders_udp(struct bpf_iter__udp *ctx)
{
	emit_unheld(ctx->meta, (struct sock_common *)ctx->udp_sk, ctx->uid,
		    SOCK_DGRAM, IPPROTO_UDP);
	return 0;
}

/*
 * Holders no descriptor table shows, looked for only when a socket on the
 * port has a file and no process was seen holding it (holders.c):
 *
 *  - iter/unix visits the unix sockets of the namespace the iterator was
 *    created in, and each message queued on one: a message sent with
 *    SCM_RIGHTS carries files (UNIXCB(skb).fp), which stay open, held by
 *    nobody's descriptor, until someone receives them.  A socket on the
 *    port found there is written with the carrier's inode (via_ino); the
 *    process that can receive it is whoever holds the carrier.  With a
 *    carrier target it looks for that unix socket in flight instead, for a
 *    carrier that was itself sent away.
 *
 *  - holders_indirect, an iter/task, walks every descriptor table for a
 *    carrier target (who holds this unix socket), or, for a port, into
 *    the registered file table of each io_uring open there: a registered
 *    file stays open after its descriptor is closed.
 *
 * Both read with probe reads: queues and tables change under the walk,
 * and a read that races with a free reads garbage, never faults.  Each
 * loop is bounded.
 */

/* Messages walked on one unix socket's queue (a default one holds a few hundred). */
#define MAX_QUEUED_SKBS 4096
/* Files in one SCM_RIGHTS message: the kernel's SCM_MAX_FD. */
#define BW_SCM_MAX_FD 253
/* Slots walked of one io_uring's registered file table. */
#define MAX_RING_FILES 65536

/* One unix socket's receive queue, walked a message at a time. */
struct queue_walk {
	struct seq_file *seq;
	struct bw_target t;
	struct sk_buff *skb;    /* the message to look at next */
	struct scm_fp_list *fp; /* its files */
	__u64 carrier;          /* the queue's socket's inode */
	__u32 nfiles;           /* files in fp */
	__u32 left;             /* messages not yet looked at */
	__u32 written;
};

/* File i of the current message: a socket on the target port, or the carrier looked for. */
static long walk_scm_file(__u32 i, struct queue_walk *w)
{
	struct bw_holder h = {};
	struct file *file = NULL;
	struct socket *sock;
	struct sock *sk;

	if (i >= w->nfiles || w->written >= MAX_PER_PROCESS)
		return 1;
	bpf_probe_read_kernel(&file, sizeof(file), (void *)w->fp +
			      bpf_core_field_offset(struct scm_fp_list, fp) + (__u64)i * sizeof(file));
	if (!file || (__u64)BPF_CORE_READ(file, f_op) != socket_fops)
		return 0;
	if (w->t.carrier) {
		if (BPF_CORE_READ(file, f_inode, i_ino) != w->t.carrier)
			return 0;
		h.ino = w->t.carrier;
	} else {
		sock = BPF_CORE_READ(file, private_data);
		sk = BPF_CORE_READ(sock, sk);
		if (!sk || BPF_CORE_READ(sk, __sk_common.skc_num) != w->t.port ||
		    !fill_sock(&h, (__u64)sk, (__u64)file, &w->t))
			return 0;
	}
	h.via = BW_VIA_INFLIGHT;
	h.via_ino = w->carrier;
	if (!bpf_seq_write(w->seq, &h, sizeof(h)))
		w->written++;
	return 0;
}

static long walk_skb(__u32 i, struct queue_walk *w)
{
	struct sk_buff *skb = w->skb;
	struct scm_fp_list *fp = NULL;

	if (!skb || !w->left || w->written >= MAX_PER_PROCESS)
		return 1;
	w->left--;
	/* UNIXCB(skb): struct unix_skb_parms in skb->cb */
	bpf_probe_read_kernel(&fp, sizeof(fp), (void *)skb +
			      bpf_core_field_offset(struct sk_buff, cb) +
			      bpf_core_field_offset(struct unix_skb_parms, fp));
	if (fp) {
		w->fp = fp;
		w->nfiles = (__u16)BPF_CORE_READ(fp, count);
		bpf_loop(BW_SCM_MAX_FD, walk_scm_file, w, 0);
	}
	w->skb = BPF_CORE_READ(skb, next);
	return 0;
}

SEC("iter/unix")
int holders_unix(struct bpf_iter__unix *ctx)
{
	struct unix_sock *u = ctx->unix_sk;
	struct queue_walk w = { .seq = ctx->meta->seq };

	if (!u || !socket_fops || !bpf_core_type_exists(struct unix_skb_parms) ||
	    !my_target(ctx->meta, &w.t))
		return 0;
	w.left = BPF_CORE_READ(u, sk.sk_receive_queue.qlen);
	if (!w.left)
		return 0;
	w.skb = BPF_CORE_READ(u, sk.sk_receive_queue.next);
	w.carrier = BPF_CORE_READ(u, sk.sk_socket, file, f_inode, i_ino);
	w.written = counters_start;
	bpf_loop(MAX_QUEUED_SKBS, walk_skb, &w, 0);
	return 0;
}

/*
 * One process's descriptor table, for the indirect holders: every slot
 * read in one flat loop (this walk runs only for a socket no process was
 * seen holding; one loop level instead of two keeps its verification as
 * cheap as the rest of the object's).
 */
struct indirect_walk {
	struct seq_file *seq;
	struct task_struct *task;
	struct file **fds;
	struct bw_target t;
	struct file *ring;        /* the io_uring being walked */
	__u32 ring_fd;
	__u32 ring_files;         /* its slots */
	__u32 max_fds;
	__u32 written;
};

/* Slot i of the ring being walked: a socket on the port? */
static long walk_ring_slot(__u32 i, struct indirect_walk *w)
{
	struct file *ring = w->ring;
	struct io_ring_ctx *ctx = BPF_CORE_READ(ring, private_data);
	struct bw_holder h = {};
	struct socket *sock;
	struct file *file;
	struct sock *sk;

	if (i >= w->ring_files || w->written >= MAX_PER_PROCESS)
		return 1;
	file = io_ring_file(ctx, i);
	if (!file || (__u64)BPF_CORE_READ(file, f_op) != socket_fops)
		return 0;
	sock = BPF_CORE_READ(file, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk || BPF_CORE_READ(sk, __sk_common.skc_num) != w->t.port ||
	    !fill_sock(&h, (__u64)sk, (__u64)file, &w->t))
		return 0;
	fill_process(&h, w->task, w->ring_fd);
	h.via = BW_VIA_IO_URING;
	h.via_ino = BPF_CORE_READ(ring, f_inode, i_ino);
	if (!bpf_seq_write(w->seq, &h, sizeof(h)))
		w->written++;
	return 0;
}

/* Write that the process holds the carrier, as descriptor fd. */
static __noinline void write_carrier_holder(struct indirect_walk *w, __u32 fd)
{
	struct bw_holder h = {};

	if (!w)
		return;
	h.ino = w->t.carrier;
	fill_process(&h, w->task, fd);
	if (!bpf_seq_write(w->seq, &h, sizeof(h)))
		w->written++;
}

/*
 * Descriptor fd: the carrier looked for (written once per process: the
 * first descriptor), or an io_uring, whose registered files are walked.
 */
static long walk_indirect_fd(__u32 fd, struct indirect_walk *w)
{
	struct file *file = NULL;
	__u64 f_op;

	if (fd >= w->max_fds || w->written >= MAX_PER_PROCESS)
		return 1;
	bpf_probe_read_kernel(&file, sizeof(file), &w->fds[fd]);
	if (!file)
		return 0;
	f_op = (__u64)BPF_CORE_READ(file, f_op);
	if (w->t.carrier) {
		if (f_op != socket_fops || BPF_CORE_READ(file, f_inode, i_ino) != w->t.carrier)
			return 0;
		write_carrier_holder(w, fd);
		return 1;
	}
	if (!io_uring_fops || f_op != io_uring_fops)
		return 0;
	w->ring = file;
	w->ring_fd = fd;
	w->ring_files = io_ring_files(BPF_CORE_READ(file, private_data));
	bpf_loop(MAX_RING_FILES, walk_ring_slot, w, 0);
	return 0;
}

/* Descriptors walked of one process: the kernel's default nr_open. */
#define MAX_INDIRECT_FDS (1 << 20)

SEC("iter/task")
int holders_indirect(struct bpf_iter__task *ctx)
{
	struct task_struct *task = ctx->task;
	struct indirect_walk w = { .seq = ctx->meta->seq, .task = task };
	struct files_struct *files;
	struct fdtable *fdt;

	if (!task || !socket_fops || !my_target(ctx->meta, &w.t))
		return 0;
	/* a port's sockets are found here only in rings */
	if (!w.t.carrier && !io_uring_fops)
		return 0;
	w.written = counters_start;
	files = BPF_CORE_READ(task, files);
	if (!files || (BPF_CORE_READ(task, pid) != BPF_CORE_READ(task, tgid) &&
		       files == BPF_CORE_READ(task, group_leader, files)))
		return 0;
	fdt = BPF_CORE_READ(files, fdt);
	w.fds = BPF_CORE_READ(fdt, fd);
	w.max_fds = BPF_CORE_READ(fdt, max_fds);
	bpf_loop(w.max_fds < MAX_INDIRECT_FDS ? w.max_fds : MAX_INDIRECT_FDS, walk_indirect_fd, &w, 0);
	return 0;
}
