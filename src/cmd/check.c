// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check.c - `bindwatch check [[ADDR]:]PORT[/tcp|/udp] [OPTIONS]` and
 * `bindwatch wait ... --timeout DURATION`.
 *
 * It owns the two commands' options, output and exit codes; it must not
 * keep anything running past its answer.
 *
 * check answers once: free (exit 0) or busy (exit 1, with the holders and
 * the reason a conflict record would give).  wait asks again every
 * WAIT_POLL_MS until the answer is free or the timeout ends.  A running
 * monitor's pinned iterators are used when there are some, as `who` does;
 * the monitor has no signal for "a port was released" (close() of a socket
 * is not a call it traces, and a TIME_WAIT ends in a timer), so wait polls
 * either way.  Each poll walks every process's descriptors in the kernel:
 * at 10 a second that stays a small fraction of a core on a busy host.
 * Exit 3 when it could not look: never "free" for a lookup that did not
 * happen.
 *
 * ":PORT" is every address of both families: a script cannot tell which
 * one the service will bind, so the answer is for both binds, to 0.0.0.0
 * and to [::] (--v6only applies to the latter), one line or JSON object
 * each, free only when both are.
 */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "bindspec.h"
#include "cgroup.h"
#include "check.h"
#include "cmd.h"
#include "duration.h"
#include "exitcode.h"
#include "holders.h"
#include "log.h"
#include "nsarg.h"
#include "privs.h"
#include "record.h"
#include "usage.h"
#include "util.h"

#define PAGE "bindwatch-check(8)"
#define CHECK_BINDS_MAX 2 /* ":PORT": 0.0.0.0 and [::] */
#define WAIT_POLL_MS 100 /* a modest rate: each poll walks every process's fds */
#define NS_PER_MS 1000000ULL
#define MS_PER_S 1000
#define UID_MAX_VALID 0xfffffffeUL /* (uid_t)-1 means "no uid" to the kernel */

static const char check_usage[] =
"Usage: bindwatch check [[ADDR]:]PORT[/tcp|/udp] [OPTIONS]\n"
"       bindwatch wait [[ADDR]:]PORT[/tcp|/udp] [OPTIONS] --timeout DURATION\n"
"Would a bind() to ADDR:PORT with these options succeed now?  check answers\n"
"free or busy, with the holders and the reason a conflict record gives; wait\n"
"asks again every 100 ms until the answer is free or DURATION ends.  ADDR\n"
"defaults to 0.0.0.0; [::]:PORT is IPv6; :PORT is every address (both binds,\n"
"0.0.0.0 and [::], answered; free when both are); the protocol defaults to tcp.\n"
"\n"
"  --reuseaddr        the socket sets SO_REUSEADDR\n"
"  --reuseport        the socket sets SO_REUSEPORT\n"
"  --v6only           the socket sets IPV6_V6ONLY (IPv6 addresses only)\n"
"  --uid UID          the socket's owner (default: bindwatch's uid)\n"
"  --dev IFNAME       the socket is bound to this device (SO_BINDTODEVICE)\n"
"  --freebind         the socket sets IP_FREEBIND\n"
"  --listen           the caller will also listen() (tcp only)\n"
"  --netns PATH       the bind happens in this network namespace\n"
"  --pid PID          ... in the network namespace of process PID\n"
"  --timeout DURATION wait only: how long, in seconds or with a unit: 5, 30s,\n"
"                     500ms, 2m (0: check once)\n"
"  --json             one JSON object on stdout (one a line, for each bind)\n"
"  --btf FILE         kernel BTF, when /sys/kernel/btf/vmlinux is missing\n"
"  -v, --verbose      show libbpf's log and which holder walk loaded\n"
"\n"
"Exit status: 0 free, 1 busy (wait: still busy at the timeout, the last\n"
"answer printed), 2 bad usage, 3 could not look (not root, BPF refused, a\n"
"namespace that cannot be opened).  See bindwatch-check(8).\n";

struct check_opts {
	const char *cmd;       /* "check" or "wait" */
	struct bw_sock sock;   /* the intended bind: address, port and options */
	bool all;              /* ":PORT": sock is 0.0.0.0, and [::] is asked too */
	const char *dev;       /* --dev */
	const char *netns;     /* --netns PATH */
	const char *pid;       /* --pid PID */
	const char *btf;
	uint64_t timeout_ms;
	bool timeout_set;
	bool listen;
	bool json;
	bool verbose;
};

enum { OPT_REUSEADDR = 256, OPT_REUSEPORT, OPT_V6ONLY, OPT_UID, OPT_DEV, OPT_FREEBIND,
       OPT_LISTEN, OPT_NETNS, OPT_PID, OPT_TIMEOUT, OPT_JSON, OPT_BTF };

static int parse_uid(const struct check_opts *o, const char *arg, __u32 *uid)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(arg, &end, 10);
	if (errno || *end || end == arg || arg[0] == '-' || v > UID_MAX_VALID) {
		usage_error(PAGE, "%s: --uid: '%s': expected a numeric uid", o->cmd, arg);
		return -EINVAL;
	}
	*uid = v;
	return 0;
}

static int parse_timeout(struct check_opts *o, const char *arg)
{
	if (duration_parse_arg(arg, &o->timeout_ms)) {
		usage_error(PAGE, "%s: --timeout: '%s': expected %s", o->cmd, arg,
			    DURATION_ARG_EXPECTED);
		return -EINVAL;
	}
	o->timeout_set = true;
	return 0;
}

/* One option; 1 for --help, 0, or -EINVAL. */
static int parse_opt(struct check_opts *o, int c)
{
	switch (c) {
	case OPT_REUSEADDR: o->sock.sockflags |= BW_SF_REUSEADDR; return 0;
	case OPT_REUSEPORT: o->sock.sockflags |= BW_SF_REUSEPORT; return 0;
	case OPT_V6ONLY: o->sock.sockflags |= BW_SF_V6ONLY; return 0;
	case OPT_FREEBIND: o->sock.sockflags |= BW_SF_FREEBIND; return 0;
	case OPT_UID: return parse_uid(o, optarg, &o->sock.uid);
	case OPT_DEV: o->dev = optarg; return 0;
	case OPT_LISTEN: o->listen = true; return 0;
	case OPT_NETNS: o->netns = optarg; return 0;
	case OPT_PID: o->pid = optarg; return 0;
	case OPT_TIMEOUT: return parse_timeout(o, optarg);
	case OPT_JSON: o->json = true; return 0;
	case OPT_BTF: o->btf = optarg; return 0;
	case 'v': o->verbose = true; return 0;
	case 'h': fputs(check_usage, stdout); return 1;
	default: return -EINVAL;
	}
}

/* What the options say together, once the target is known. */
static int validate(const struct check_opts *o)
{
	bool wait = !strcmp(o->cmd, "wait");

	if (o->netns && o->pid) {
		usage_error(PAGE, "%s: --netns and --pid both name a namespace; give one", o->cmd);
		return -EINVAL;
	}
	if ((o->sock.sockflags & BW_SF_V6ONLY) && o->sock.family != AF_INET6 && !o->all) {
		usage_error(PAGE, "%s: --v6only: only an IPv6 address can be v6only, e.g. [::]:%u",
			    o->cmd, o->sock.port);
		return -EINVAL;
	}
	if (o->listen && o->sock.protocol == IPPROTO_UDP) {
		usage_error(PAGE, "%s: --listen: UDP sockets do not listen", o->cmd);
		return -EINVAL;
	}
	if (o->dev && strlen(o->dev) >= IF_NAMESIZE) {
		usage_error(PAGE, "%s: --dev: '%s': expected a device name of at most %d characters",
			    o->cmd, o->dev, IF_NAMESIZE - 1);
		return -EINVAL;
	}
	if (wait != o->timeout_set) {
		usage_error(PAGE, "%s", wait ? "wait: --timeout DURATION is required (e.g. 30)"
					   : "check: --timeout is for wait");
		return -EINVAL;
	}
	return 0;
}

static int parse(int argc, char **argv, struct check_opts *o)
{
	static const struct option opts[] = {
		{ "reuseaddr", no_argument, NULL, OPT_REUSEADDR },
		{ "reuseport", no_argument, NULL, OPT_REUSEPORT },
		{ "v6only", no_argument, NULL, OPT_V6ONLY },
		{ "uid", required_argument, NULL, OPT_UID },
		{ "dev", required_argument, NULL, OPT_DEV },
		{ "freebind", no_argument, NULL, OPT_FREEBIND },
		{ "listen", no_argument, NULL, OPT_LISTEN },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "pid", required_argument, NULL, OPT_PID },
		{ "timeout", required_argument, NULL, OPT_TIMEOUT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *why;
	int c, err;

	o->cmd = argv[0];
	o->sock.uid = getuid();
	opterr = 0;
	while ((c = getopt_long(argc, argv, USAGE_GETOPT_QUIET "vh", opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			usage_bad_option(PAGE, o->cmd, c, argv, opts);
			return -EINVAL;
		}
		err = parse_opt(o, c);
		if (err)
			return err;
	}
	if (optind != argc - 1) {
		usage_error(PAGE, "%s: expected one %s", o->cmd, BINDSPEC_EXPECTED);
		return -EINVAL;
	}
	if (bindspec_parse(argv[optind], &o->sock, &o->all, &why)) {
		usage_error(PAGE, "%s: '%s': %s (%s)", o->cmd, argv[optind], why,
			    BINDSPEC_EXPECTED);
		return -EINVAL;
	}
	return validate(o);
}

static void print(const struct check_opts *o, struct check_answer *a)
{
	struct bw_record r = { .ev = &a->ev, .diag = &a->diag };
	struct strbuf sb;

	clock_gettime(CLOCK_REALTIME, &r.wall);
	r.boot_ns = now_ns(CLOCK_BOOTTIME);
	if (o->dev)
		snprintf(r.bound_dev, sizeof(r.bound_dev), "%s", o->dev);
	strbuf_init(&sb);
	if (o->json)
		check_json(&sb, &r, a->reuseaddr_frees);
	else
		check_text(&sb, &r, a->reuseaddr_frees);
	if (sb.len)
		puts(sb.s);
	strbuf_free(&sb);
	fflush(stdout);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * MS_PER_S + ts.tv_nsec / NS_PER_MS;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = { ms / MS_PER_S, (ms % MS_PER_S) * NS_PER_MS };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The binds the target stands for: itself, or for ":PORT" 0.0.0.0 and [::]. */
static size_t binds(const struct check_opts *o, struct bw_sock socks[CHECK_BINDS_MAX])
{
	socks[0] = o->sock;
	if (!o->all)
		return 1;
	socks[0].sockflags &= ~BW_SF_V6ONLY;
	socks[1] = o->sock;
	socks[1].family = AF_INET6;
	return CHECK_BINDS_MAX;
}

static void answers_free(struct check_answer *a, size_t n)
{
	while (n--)
		check_answer_free(&a[n]);
}

/* Ask once for each of the n binds into a: 0, busy or not in *busy, or -errno (a freed). */
static int ask(const struct check_opts *o, struct holders *h, int netns_fd,
	       const struct bw_sock *socks, size_t n, struct check_answer *a, bool *busy)
{
	size_t i;
	int err;

	*busy = false;
	for (i = 0; i < n; i++) {
		err = check_run(h, &socks[i], o->listen, netns_fd, &a[i]);
		if (err) {
			warn("%s: holder lookup failed: %s", o->cmd, strerror(-err));
			answers_free(a, i + 1); /* check_run() filled a[i] too */
			return err;
		}
		*busy |= a[i].diag.n > 0;
	}
	return 0;
}

/* check once, or (wait) until free or the timeout: the exit status. */
static int answer(const struct check_opts *o, struct holders *h, int netns_fd)
{
	uint64_t deadline = now_ms() + o->timeout_ms, now;
	struct check_answer a[CHECK_BINDS_MAX];
	struct bw_sock socks[CHECK_BINDS_MAX];
	size_t n = binds(o, socks), i;
	bool busy;

	for (;;) {
		if (ask(o, h, netns_fd, socks, n, a, &busy))
			return EXIT_UNKNOWN;
		now = now_ms();
		if (!busy || now >= deadline)
			break;
		answers_free(a, n);
		sleep_ms(deadline - now < WAIT_POLL_MS ? deadline - now : WAIT_POLL_MS);
	}
	for (i = 0; i < n; i++)
		print(o, &a[i]);
	answers_free(a, n);
	return busy ? EXIT_BUSY : EXIT_FREE;
}

static int run(struct check_opts *o)
{
	struct holders *h = NULL;
	int netns_fd = -1, err, status;

	err = nsarg_open(o->cmd, PAGE, o->netns, o->pid, &netns_fd, &o->sock.netns);
	if (err)
		return err == -EINVAL ? EXIT_USAGE : EXIT_UNKNOWN;
	if (o->dev && (err = check_dev_index(o->dev, netns_fd, &o->sock.bound_ifindex))) {
		if (err == -ENODEV)
			usage_error(PAGE, "%s: --dev: '%s': no such device in that network namespace",
				    o->cmd, o->dev);
		else
			warn("%s: --dev: '%s': %s", o->cmd, o->dev, strerror(-err));
		status = err == -ENODEV ? EXIT_USAGE : EXIT_UNKNOWN;
		goto out;
	}
	/* a running monitor's iterators spare loading our own */
	err = holders_open_pinned(&h);
	if (err)
		err = holders_open(&h, o->btf);
	if (err) {
		warn("cannot load the holder iterators: %s (run with -v for libbpf's log)",
		     strerror(-err));
		status = EXIT_UNKNOWN;
		goto out;
	}
	if (netns_fd < 0)
		o->sock.netns = holders_own_netns(h);
	status = answer(o, h, netns_fd);
	holders_close(h);
out:
	if (netns_fd >= 0)
		close(netns_fd);
	return status;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o = {};
	int err = parse(argc, argv, &o);

	if (err)
		return err > 0 ? EXIT_FREE : EXIT_USAGE;
	log_setup_libbpf(o.verbose);
	if (privs_check())
		return EXIT_UNKNOWN;
	cgroup_init();
	err = run(&o);
	cgroup_fini();
	return err;
}
