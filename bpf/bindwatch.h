/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * bindwatch.h - the one ABI shared by the kernel programs (bpf/) and the
 * userspace loader (src/).
 *
 * Everything the kernel tells userspace travels as a struct bw_event through
 * the ring buffer; everything userspace tells the kernel is in the .rodata
 * section of the BPF object (set between open and load) and in the filter
 * maps.  Plain fixed-width types only, explicit padding, a version field and
 * a size assertion, so a mismatch between the two halves fails the build
 * instead of corrupting records.
 */
#ifndef BINDWATCH_H
#define BINDWATCH_H

#define BW_ABI_VERSION 1
#define BW_COMM_LEN 16
#define BW_ARGS_LEN 256 /* head of the requester's argv, read at the call */
#define BW_PORT_WORDS (65536 / 64) /* port filter bitmap, one bit per port */

/* Which system call failed (or succeeded, with --all). */
enum bw_syscall {
	BW_SYS_BIND = 1,
	BW_SYS_LISTEN = 2,
	BW_SYS_CONNECT = 3, /* connect() out of ephemeral ports (EADDRNOTAVAIL) */
};

/* How the call reached the socket layer (bw_event.via). */
enum bw_call_via {
	BW_CALL_SYSCALL = 0,  /* the bind()/listen()/connect() system call */
	BW_CALL_IO_URING = 1, /* an io_uring request (IORING_OP_BIND, _LISTEN, _CONNECT) */
	BW_CALL_KERNEL = 2,   /* the kernel's own socket (kernel_bind: VXLAN, sunrpc, ...) */
};

/* Which hook produced the record: the capture mode. */
enum bw_mode {
	BW_MODE_TRACEPOINT = 1,
	BW_MODE_FEXIT = 2,
	BW_MODE_CGROUP = 3, /* cgroup sock_addr hooks on the root cgroup: no syscall tracepoint */
};

/* Outcomes reported besides EADDRINUSE, which always is (--errors, --all). */
enum bw_report {
	BW_REPORT_ERRORS = 1 << 0,  /* --errors all: every other failure */
	BW_REPORT_SUCCESS = 1 << 1, /* --all: successful calls */
	BW_REPORT_BINDS = 1 << 2,   /* successful bind()s, for the ledger */
	BW_REPORT_REUSEPORT = 1 << 3, /* --reuseport-watch: successful calls on SO_REUSEPORT sockets */
};

/* In-kernel filters that are switched on (bw_config.filters). */
enum bw_filter {
	BW_FILTER_PORT = 1 << 0,
	BW_FILTER_PID = 1 << 1,
	BW_FILTER_COMM = 1 << 2,
	BW_FILTER_CGROUP = 1 << 3,
};

/* Socket options of the requesting socket, read when the call was made. */
enum bw_sockflag {
	BW_SF_REUSEADDR = 1 << 0,
	BW_SF_REUSEPORT = 1 << 1,
	BW_SF_V6ONLY = 1 << 2,
	BW_SF_FREEBIND = 1 << 3,
	BW_SF_TRANSPARENT = 1 << 4,
};

/* What a struct bw_event reports (bw_event.kind). */
enum bw_event_kind {
	BW_EVENT_CALL = 0,       /* a bind() or listen(), possibly standing for a storm */
	BW_EVENT_SUPPRESSED = 1, /* failures of one uid over its rate limit (uid, count, since_ns) */
	BW_EVENT_LOST = 2,       /* records of one uid the ring had no room for, in failures (uid, count) */
};

/*
 * Which failures a record's count stands for (bw_event.scope), from the
 * narrowest: identical calls, calls of one process on any address of one
 * port (past BW_STORM_ADDRESSES of them), any call of one uid whose share
 * of the storm table is used up.
 */
enum bw_scope {
	BW_SCOPE_ADDRESS = 0,
	BW_SCOPE_PORT = 1,
	BW_SCOPE_UID = 2,
};

/*
 * Per-CPU counters in the "stats" map, summed by userspace: the loss no
 * uid is known for.  The rest is counted per uid and sent as BW_EVENT_LOST.
 */
enum bw_stat {
	BW_STAT_LOST = 0,   /* records the ring buffer had no room for, of a uid with no entry in
			     * "uids", or with no room for its BW_EVENT_LOST record at exit */
	BW_STAT_NOSLOT = 1, /* requests the in-flight map had no room for */
	BW_STAT_MAX = 2,
};

/* An inet socket's address and options, as bind() or a holder has them. */
struct bw_sock {
	__u32 netns;         /* inode of the socket's network namespace */
	__s32 bound_ifindex; /* SO_BINDTODEVICE, 0 when unbound */
	__u32 sockflags;     /* enum bw_sockflag */
	__u32 uid;           /* socket owner (what SO_REUSEPORT compares) */
	__u16 family;        /* AF_INET or AF_INET6 */
	__u16 type;          /* SOCK_STREAM, SOCK_DGRAM, ... */
	__u16 protocol;      /* IPPROTO_TCP, IPPROTO_UDP, ... */
	__u16 port;          /* host byte order */
	__u8 addr[16];       /* IPv4 in the first 4 bytes */
};

_Static_assert(sizeof(struct bw_sock) == 40, "struct bw_sock layout changed");

/*
 * A socket the kernel had on the requested port at the failing call, read
 * by the program that saw the failure from the kernel's own port index
 * (TCP's bind hash, UDP's hash table): the holder as it was, which a
 * holder that closes a microsecond later cannot take away.  Userspace
 * names the process from the socket.
 */
struct bw_owner {
	struct bw_sock sock; /* its address, options, owner uid and namespace */
	__u64 ino;           /* socket inode; 0 without a file (TIME_WAIT, kernel socket) */
	__u64 cookie;        /* socket cookie; 0 if none was ever assigned */
	__u8 state;          /* TCP_* state; TCP_CLOSE for bound only, and for UDP */
	__u8 kernel;         /* opened by the kernel itself */
	__u8 __pad[6];
};

_Static_assert(sizeof(struct bw_owner) == 64, "struct bw_owner layout changed");

/* Frames of a kernel stack kept in "kstacks" (bw_event.kstack), innermost first. */
#define BW_KSTACK_DEPTH 32
/* Distinct stacks "kstacks" keeps; an id, once given, is never another stack's. */
#define BW_KSTACKS_MAX 256

/* Owners a record carries; past that, BW_OWNERS_MORE and a walk by port. */
#define BW_OWNERS_MAX 4

/* What bw_event.owners says (bw_event.owners_flags). */
enum bw_owners_flag {
	BW_OWNERS_LOOKED = 1 << 0, /* the kernel read the port's index: owners_n is all it had */
	BW_OWNERS_MORE = 1 << 1,   /* the port had more sockets than owners[] holds */
};

/* One failing (or, with --all, succeeding) bind() or listen(). */
struct bw_event {
	__u16 version;       /* BW_ABI_VERSION */
	__u8 syscall;        /* enum bw_syscall */
	__u8 mode;           /* enum bw_mode */
	__s32 ret;           /* 0 or -errno, as the call returned it */
	__u64 ts_ns;         /* CLOCK_MONOTONIC at return */
	union {
		__u64 start_ns;  /* requester's process start, ns since boot */
		__u64 since_ns;  /* BW_EVENT_SUPPRESSED: CLOCK_MONOTONIC of the first */
	};
	__u64 cgroup_id;     /* cgroup v2 id of the requester */
	__u64 sock_ino;      /* inode of the requesting socket */
	__u64 exe_ino;       /* inode of the requester's executable, 0 if none */
	__u32 pid;           /* thread group id */
	__u32 tid;
	__u32 ppid;
	__u32 uid;
	__u32 gid;
	__u32 count;         /* failures this record stands for */
	__u16 args_len;      /* bytes used in args */
	__u8 kind;           /* enum bw_event_kind */
	__u8 scope;          /* enum bw_scope: what count stands for */
	__u8 owners_n;       /* entries of owners[] filled */
	__u8 owners_flags;   /* enum bw_owners_flag */
	__u8 via;            /* enum bw_call_via */
	__u8 __pad;
	struct bw_sock sock; /* requested address and the socket's options */
	char comm[BW_COMM_LEN];
	/*
	 * NUL-separated argv as the process had it at the call, possibly cut:
	 * the command line survives a requester that exits before userspace
	 * can read /proc.
	 */
	char args[BW_ARGS_LEN];
	/* the sockets on the port when the call failed (BW_OWNERS_LOOKED) */
	struct bw_owner owners[BW_OWNERS_MAX];
	__u8 daddr[16];      /* BW_SYS_CONNECT: the destination (IPv4 in the first 4 bytes) */
	__u16 dport;         /* BW_SYS_CONNECT: its port, host byte order */
	__u16 __pad2;
	/*
	 * BW_CALL_KERNEL (fexit): 1 + the id in the "kstacks" map of the
	 * kernel stack of the call, whose frames name the function and the
	 * module that bound; 0 when there is none
	 */
	__u32 kstack;
};

_Static_assert(sizeof(struct bw_event) == 672, "struct bw_event layout changed");

/*
 * What makes failures one storm, for aggregation: one record stands for
 * every failure of its storm, so everything the record says of a call
 * (and the conflict reason derives from) is in the key.  BW_SCOPE_ADDRESS:
 * the same requester process (pid and start time, since pids are reused),
 * uid, call, outcome, and the whole requesting socket: address, port,
 * family, type, protocol, SO_REUSEADDR, SO_REUSEPORT, IPV6_V6ONLY,
 * freebind, transparent, bound device, socket owner and network namespace.
 * BW_SCOPE_PORT: the same with sock.addr all zero, any address.
 * BW_SCOPE_UID: only uid and scope are set.
 */
struct bw_storm_key {
	__u64 start_ns;
	__u32 pid;
	__u32 uid;
	__s32 ret;
	__u8 syscall;
	__u8 scope;          /* enum bw_scope */
	__u16 __pad;
	struct bw_sock sock; /* the requested address and the socket's options */
};

_Static_assert(sizeof(struct bw_storm_key) == 64, "struct bw_storm_key layout changed");

/*
 * The key of the storm at scope that failure e belongs to; shared with
 * userspace so the unit tests hold it to what the comment above says.
 */
static inline __attribute__((always_inline)) void
bw_storm_key_of(struct bw_storm_key *k, const struct bw_event *e, __u8 scope)
{
	__builtin_memset(k, 0, sizeof(*k));
	k->uid = e->uid;
	k->scope = scope;
	if (scope == BW_SCOPE_UID)
		return;
	k->start_ns = e->start_ns;
	k->pid = e->pid;
	k->ret = e->ret;
	k->syscall = e->syscall;
	k->sock = e->sock;
	if (scope == BW_SCOPE_PORT)
		__builtin_memset(k->sock.addr, 0, sizeof(k->sock.addr));
}

/* Distinct addresses of one port a process may fail on before they aggregate. */
#define BW_STORM_ADDRESSES 8

/* bw_storm.count: the storm is being deleted; nothing may count into it. */
#define BW_STORM_RETIRED (1ULL << 63)

/* One storm: failures not yet in a record, and the record to repeat. */
struct bw_storm {
	__u64 count;         /* failures since the storm's last record; BW_STORM_RETIRED */
	__u64 last_ns;       /* CLOCK_MONOTONIC of that record, or of the storm's start */
	__u32 addresses;     /* BW_SCOPE_PORT: addresses of the port not in a storm of their own */
	__u32 __pad;
	struct bw_event tmpl; /* the storm's first record */
};

_Static_assert(sizeof(struct bw_storm) == 696, "struct bw_storm layout changed");

/* The context of the flush_storms program, run by userspace. */
struct bw_flush_args {
	__u32 all;   /* 1: flush every storm now (at exit), not only idle ones */
	__u32 __pad;
};

/*
 * What a holder lookup looks for, set by each reader of the iterators:
 * the sockets on a port, or (carrier set) who holds one unix socket, in a
 * descriptor table or in flight on another unix socket's queue.
 */
struct bw_target {
	__u16 port;
	__u16 protocol; /* IPPROTO_*, 0 for any */
	__u32 netns;    /* inode of the network namespace */
	__u64 carrier;  /* inode of a unix socket to find, or 0: the port */
};

_Static_assert(sizeof(struct bw_target) == 16, "struct bw_target layout changed");

/* Who reads an iterator: a thread, by its id in its own pid namespace. */
struct bw_reader {
	__u32 tid;
	__u32 pidns; /* inode of that pid namespace */
};

_Static_assert(sizeof(struct bw_reader) == 8, "struct bw_reader layout changed");

/* How a process holds a socket (bw_holder.via). */
enum bw_via {
	BW_VIA_FD = 0,       /* in its descriptor table */
	BW_VIA_INFLIGHT = 1, /* in an SCM_RIGHTS message queued on a unix socket it holds */
	BW_VIA_IO_URING = 2, /* in the registered file table of an io_uring it holds */
};

/*
 * A socket on the port in question, written by the holder iterators: one
 * per (process, fd) holding it, or one with pid 0 for a socket no process
 * holds (TIME_WAIT, orphaned).  The walks of the indirect holders write
 * the same: a socket in flight (via BW_VIA_INFLIGHT, pid 0, via_ino the
 * unix socket whose queue carries it), a socket in an io_uring's file
 * table (via BW_VIA_IO_URING, pid and fd those of the ring), and, for a
 * carrier target, each holder of the carrier (ino the carrier's; pid 0
 * and via_ino the next carrier when it is itself in flight).
 */
struct bw_holder {
	__u64 ino;             /* socket inode; 0 without a file */
	__u64 start_ns;        /* holder's process start, ns since boot */
	__u64 cgroup_id;       /* holder's cgroup v2 id */
	__u32 pid;             /* 0 when no process holds it */
	__u32 fd;
	__u32 ack_backlog;     /* listeners: connections waiting for accept() */
	__u32 max_ack_backlog; /* listeners: the listen() backlog */
	__u8 state;            /* TCP_* state; TCP_CLOSE with a port: bound */
	__u8 kernel;           /* opened by the kernel itself (no file, no process) */
	__u8 hidden;           /* 1: has a file, but no process bindwatch can see holds it */
	__u8 via;              /* enum bw_via */
	/*
	 * TIME_WAIT: jiffies until the kernel frees it (its tw_timer), 0
	 * otherwise; userspace turns it into ms with the kernel's HZ (kconfig.h)
	 */
	__u32 tw_jiffies_left;
	struct bw_sock sock;
	char comm[BW_COMM_LEN];
	__u64 via_ino;         /* BW_VIA_INFLIGHT: the carrier's inode; BW_VIA_IO_URING: the ring's */
	__u32 file_refs;       /* references to the socket's file when it was read */
	__u32 via_hops;        /* BW_VIA_INFLIGHT: carriers from the holder to the socket */
};

_Static_assert(sizeof(struct bw_holder) == 120, "struct bw_holder layout changed");

#endif /* BINDWATCH_H */
