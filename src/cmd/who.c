// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * who.c - `bindwatch who [[ADDR]:]PORT[/tcp|/udp] [--netns PATH | --pid PID] [--json]`,
 * and `bindwatch who --ephemeral[=udp] [--netns NAME|PATH|PID] [--json]`.
 *
 * It owns the command's output and exit codes; it must not keep anything
 * running.
 *
 * Loads only the holder iterators, asks the kernel once for the sockets on
 * PORT in the chosen network namespace, and prints every one with the
 * process holding it.  ss, lsof and fuser read every /proc/PID/fd on the
 * host before they filter; here the kernel filters while it walks, so the
 * cost does not grow with the number of unrelated sockets in /proc.
 * Exit status 0 when something holds the port, 1 when nothing does, 3
 * when it could not tell: never "free" for a lookup that did not happen.
 * The target is written as check's: PORT and ":PORT" are every address;
 * ADDR:PORT keeps the sockets whose address overlaps ADDR (ADDR itself, a
 * wildcard covering it), those a bind() to ADDR:PORT would meet.
 *
 * --ephemeral asks of a namespace's ephemeral range instead (ephemeral.h):
 * its size, how much of it is in use, and the processes holding most of
 * it, with their destinations; from the socket tables and /proc, no BPF.
 * Exit status 0 when some port of the range is in use, 1 when none is.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include "addr.h"
#include "cgroup.h"
#include "cmd.h"
#include "conflict.h"
#include "diagnose.h"
#include "ephemeral.h"
#include "exitcode.h"
#include "hostport.h"
#include "holders.h"
#include "log.h"
#include "netns.h"
#include "nsarg.h"
#include "privs.h"
#include "procinfo.h"
#include "record.h"
#include "sockdiag.h"
#include "usage.h"
#include "util.h"

#define PAGE "bindwatch-who(8)"

static const char who_usage[] =
"Usage: bindwatch who [[ADDR]:]PORT[/tcp|/udp] [--netns PATH | --pid PID] [--all]\n"
"                     [--json] [--source auto|bpf|sockdiag]\n"
"       bindwatch who --ephemeral[=tcp|udp] [--netns NAME|PATH|PID] [--json]\n"
"Show the sockets on PORT and the processes holding them.  Sockets no process\n"
"holds (TIME_WAIT, kernel sockets) are shown when no process holds the port.\n"
"PORT and :PORT are every address; ADDR:PORT or [ADDR6]:PORT only the sockets\n"
"a bind() to that address would meet (on it, or on a wildcard covering it).\n"
"\n"
"  --all          also show sockets no process holds when some process does\n"
"  --ephemeral[=tcp|udp]  instead of a port: the ephemeral port range\n"
"                 (ip_local_port_range less ip_local_reserved_ports), how\n"
"                 much of it is in use, TIME_WAIT, and the processes\n"
"                 holding most of it with their destinations (default tcp)\n"
"  --netns PATH   look in this network namespace (e.g. /run/netns/NAME; a\n"
"                 bare NAME is /run/netns/NAME, a bare number a PID's)\n"
"  --pid PID      look in the network namespace of process PID\n"
"  --json         one JSON object on stdout\n"
"  --source SRC   where to look: auto (default), bpf (the iterators) or\n"
"                 sockdiag (the socket tables and /proc)\n"
"  --btf FILE     kernel BTF, when /sys/kernel/btf/vmlinux is missing\n"
"  -v, --verbose  show libbpf's log and which holder walk loaded\n"
"\n"
"Exit status: 0 when something holds the port (--ephemeral: some port of the\n"
"range), 1 when nothing does, 2 for\n"
"bad usage, 3 when it could not look (not root, BPF refused, a namespace\n"
"that cannot be opened).  See bindwatch-who(8).\n";

struct who_opts {
	struct hostport target; /* the port, and the address when one is given */
	int protocol;       /* IPPROTO_TCP, IPPROTO_UDP or 0 for both */
	const char *netns;  /* --netns PATH */
	const char *pid;    /* --pid PID */
	const char *btf;
	const char *source; /* --source: auto, bpf or sockdiag */
	bool all;           /* --all: unheld sockets too, always */
	int ephemeral;      /* --ephemeral: the range of this protocol, not a port; 0: a port */
	bool json;
	bool verbose;
};

static int parse_target(const char *arg, struct who_opts *o)
{
	const char *slash = strchr(arg, '/'), *why;

	if (hostport_parse(arg, slash ? (size_t)(slash - arg) : strlen(arg), &o->target, &why)) {
		usage_error(PAGE, "who: '%s': %s ([[ADDR]:]PORT[/tcp|/udp])", arg, why);
		return -EINVAL;
	}
	if (!slash)
		o->protocol = 0;
	else if (!strcmp(slash + 1, "tcp"))
		o->protocol = IPPROTO_TCP;
	else if (!strcmp(slash + 1, "udp"))
		o->protocol = IPPROTO_UDP;
	else {
		usage_error(PAGE, "who: '%s': expected /tcp or /udp after the port", arg);
		return -EINVAL;
	}
	return 0;
}

static int parse(int argc, char **argv, struct who_opts *o)
{
	static const struct option opts[] = {
		{ "netns", required_argument, NULL, 'n' },
		{ "pid", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{ "all", no_argument, NULL, 'a' },
		{ "btf", required_argument, NULL, 'b' },
		{ "source", required_argument, NULL, 's' },
		{ "ephemeral", optional_argument, NULL, 'e' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, USAGE_GETOPT_QUIET "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o->netns = optarg;
			break;
		case 'p':
			o->pid = optarg;
			break;
		case 'j':
			o->json = true;
			break;
		case 'a':
			o->all = true;
			break;
		case 'b':
			o->btf = optarg;
			break;
		case 's':
			if (strcmp(optarg, "auto") && strcmp(optarg, "bpf") && strcmp(optarg, "sockdiag")) {
				usage_error(PAGE, "who: --source: '%s': expected auto, bpf or sockdiag",
					    optarg);
				return -EINVAL;
			}
			o->source = optarg;
			break;
		case 'e':
			o->ephemeral = !optarg || !strcmp(optarg, "tcp") ? IPPROTO_TCP :
				       !strcmp(optarg, "udp") ? IPPROTO_UDP : 0;
			if (!o->ephemeral) {
				usage_error(PAGE, "who: --ephemeral: '%s': expected tcp or udp", optarg);
				return -EINVAL;
			}
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			fputs(who_usage, stdout);
			return 1;
		default:
			usage_bad_option(PAGE, "who", c, argv, opts);
			return -EINVAL;
		}
	}
	if (o->netns && o->pid) {
		usage_error(PAGE, "who: --netns and --pid both name a namespace; give one");
		return -EINVAL;
	}
	if (o->ephemeral && optind != argc) {
		usage_error(PAGE, "who: --ephemeral takes no PORT");
		return -EINVAL;
	}
	if (o->ephemeral)
		return 0;
	if (optind != argc - 1) {
		usage_error(PAGE, "who: expected one [[ADDR]:]PORT[/tcp|/udp]");
		return -EINVAL;
	}
	return parse_target(argv[optind], o);
}

static const char *proto_label(int protocol)
{
	return protocol == IPPROTO_TCP ? "tcp" : protocol == IPPROTO_UDP ? "udp" : NULL;
}

/* "nothing holds port 8080/tcp", "... on 127.0.0.1" when an address was given. */
static void say_nothing(const struct who_opts *o)
{
	char addr[ADDR_STRLEN];
	bool on = o->target.kind == HOSTPORT_GIVEN &&
		  !addr_format(addr, sizeof(addr), o->target.family, o->target.addr);

	warn("nothing holds port %u%s%s%s%s", o->target.port, o->protocol ? "/" : "",
	     o->protocol ? proto_label(o->protocol) : "", on ? " on " : "", on ? addr : "");
}

static void print(const struct who_opts *o, const struct holder_info *v, size_t n, __u32 netns)
{
	struct strbuf sb;
	struct timespec now;

	strbuf_init(&sb);
	if (o->json) {
		clock_gettime(CLOCK_REALTIME, &now);
		who_json(&sb, v, n, o->target.port, proto_label(o->protocol), netns, &now);
	} else {
		who_text(&sb, v, n);
	}
	if (sb.len)
		puts(sb.s);
	strbuf_free(&sb);
	if (!n && !o->json)
		say_nothing(o);
}

/* Whether a bind() to the ADDR:PORT given would meet socket s (any, without ADDR). */
static bool on_target(const struct who_opts *o, const struct bw_sock *s)
{
	struct bw_sock want = *s;
	struct conflict_req req = { .sock = &want };

	if (o->target.kind != HOSTPORT_GIVEN)
		return true;
	want.family = o->target.family;
	memcpy(want.addr, o->target.addr, sizeof(want.addr));
	want.bound_ifindex = 0;
	want.sockflags = 0;
	return conflict_may_clash(&req, s);
}

/* Keep only l's sockets on_target(); none left, l is freed (as a lookup that found none). */
static void keep_on_target(const struct who_opts *o, struct holder_list *l)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++)
		if (on_target(o, &l->v[i].sock))
			l->v[n++] = l->v[i];
	l->n = n;
	if (!n)
		holder_list_free(l);
}

/*
 * holders_find() on h, or without it sockdiag_find(), which hands over to
 * the iterators (loaded then into *h) when the tables and /proc cannot
 * tell.
 */
static int find_any(const struct who_opts *o, struct holders **h, const struct holder_query *q,
		    struct holder_list *l)
{
	int err;

	if (*h)
		return holders_find(*h, q, l);
	err = sockdiag_find(q, l);
	if (err == -EOPNOTSUPP && !strcmp(o->source, "sockdiag"))
		warn("who: --source sockdiag cannot tell: a socket on the port has a file no "
		     "process was seen holding (in flight, in an io_uring, or held by a process "
		     "whose descriptors cannot be read); --source bpf can");
	if (err != -EOPNOTSUPP || !strcmp(o->source, "sockdiag"))
		return err;
	err = holders_open(h, o->btf);
	return err ? err : holders_find(*h, q, l);
}

/* find_any(), keeping the sockets on the address asked for. */
static int find(const struct who_opts *o, struct holders **h, const struct holder_query *q,
		struct holder_list *l)
{
	int err = find_any(o, h, q, l);

	if (!err)
		keep_on_target(o, l);
	return err;
}

static int lookup(const struct who_opts *o)
{
	struct holder_query q = {
		.port = o->target.port,
		.protocol = o->protocol,
		.netns_fd = -1,
	};
	struct holders *h = NULL;
	struct holder_info *v = NULL;
	struct holder_list l = {};
	bool held = false;
	int err;

	/*
	 * a running monitor's iterators spare loading our own; without them a
	 * small host is answered from the socket tables (sockdiag.c), with
	 * no BPF object opened at all
	 */
	err = strcmp(o->source, "sockdiag") ? holders_open_pinned(&h) : -ENOENT;
	if (err && (!strcmp(o->source, "sockdiag") ||
		    (!strcmp(o->source, "auto") && sockdiag_suits())))
		err = 0;
	else if (err)
		err = holders_open(&h, o->btf);
	if (err) {
		warn("cannot load the holder iterators: %s (run with -v for libbpf's log)",
		     strerror(-err));
		return EXIT_UNKNOWN;
	}
	q.netns = h ? holders_own_netns(h) : procinfo_own_netns();
	err = nsarg_open("who", PAGE, o->netns, o->pid, &q.netns_fd, &q.netns);
	if (err) {
		holders_close(h);
		return err == -EINVAL ? EXIT_USAGE : EXIT_UNKNOWN;
	}
	/* a busy server's port has thousands of TIME_WAIT sockets: not by default */
	q.kinds = o->all ? HOLDERS_PROCESSES | HOLDERS_UNHELD : HOLDERS_PROCESSES;
	err = find(o, &h, &q, &l);
	if (!err && !l.n && !o->all) {
		q.kinds = HOLDERS_UNHELD;
		err = find(o, &h, &q, &l);
	}
	/* as a conflict's diagnosis: who holds a socket no descriptor table shows */
	if (!err && holder_list_hidden(&l)) {
		holder_list_free(&l);
		q.kinds |= HOLDERS_UNHELD | HOLDERS_INDIRECT;
		err = find(o, &h, &q, &l);
	}
	if (!err)
		err = holder_infos(&l, NULL, &v);
	if (err) {
		warn("holder lookup failed: %s", strerror(-err));
	} else {
		print(o, v, l.n, q.netns);
		held = l.n > 0;
	}
	holder_infos_free(v, l.n);
	holder_list_free(&l);
	if (q.netns_fd >= 0)
		close(q.netns_fd);
	holders_close(h);
	if (err)
		return EXIT_UNKNOWN;
	return held ? EXIT_HELD : EXIT_NOT_HELD;
}

/* The name /run/netns has for the namespace open as fd (inode ino), or "". */
static void name_netns(int fd, __u32 ino, char name[NETNS_NAME_LEN])
{
	struct netns_names nn;
	struct stat st;

	name[0] = '\0';
	if (fd < 0 || fstat(fd, &st))
		return;
	netns_names_init(&nn, NETNS_DIR, st.st_dev, 0);
	if (netns_name(&nn, ino, now_ns(CLOCK_MONOTONIC), name))
		name[0] = '\0';
	netns_names_free(&nn);
}

/* who --ephemeral: the range of the namespace asked for, and its holders. */
static int ephemeral(const struct who_opts *o)
{
	char name[NETNS_NAME_LEN];
	struct eph_view v;
	struct strbuf sb;
	struct timespec now;
	__u32 ino = procinfo_own_netns();
	int fd = -1, err = nsarg_open("who", PAGE, o->netns, o->pid, &fd, &ino);

	if (err)
		return err == -EINVAL ? EXIT_USAGE : EXIT_UNKNOWN;
	name_netns(fd, ino, name);
	err = ephemeral_view(fd, ino, o->ephemeral, true, &v);
	if (fd >= 0)
		close(fd);
	if (err) {
		warn("who: cannot read the ephemeral ports of netns %u: %s", ino, strerror(-err));
		return EXIT_UNKNOWN;
	}
	strbuf_init(&sb);
	if (o->json) {
		clock_gettime(CLOCK_REALTIME, &now);
		who_ephemeral_json(&sb, &v, name, &now);
	} else {
		ephemeral_text(&sb, &v, name);
	}
	if (sb.len)
		puts(sb.s);
	strbuf_free(&sb);
	eph_view_free(&v);
	return v.in_use ? EXIT_HELD : EXIT_NOT_HELD;
}

int cmd_who(int argc, char **argv)
{
	struct who_opts o = { .source = "auto" };
	int err = parse(argc, argv, &o);

	if (err)
		return err > 0 ? EXIT_HELD : EXIT_USAGE;
	log_setup_libbpf(o.verbose);
	if (privs_check())
		return EXIT_UNKNOWN;
	cgroup_init();
	err = o.ephemeral ? ephemeral(&o) : lookup(&o);
	cgroup_fini();
	return err;
}
