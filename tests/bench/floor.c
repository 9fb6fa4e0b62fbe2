// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor - attach bpf/floor.bpf.c's empty programs and wait: the benchmark's
 * "floor" configuration, what the hooks bindwatch uses cost with nothing
 * done in them.
 *
 * It takes bindwatch's --mode word (tracepoint, fexit or cgroup), loads
 * only that flavour's programs (bpf_program__set_autoload, as
 * src/capture/loader.c does), attaches them (the cgroup hooks to the root
 * of the cgroup2 mount, /sys/fs/cgroup or, on hybrid hosts,
 * /sys/fs/cgroup/unified), says "ready (mode: MODE)" on stderr, the line
 * scripts/bench.sh waits for from bindwatch too, and holds them until
 * SIGTERM or SIGINT.  Exit status 0 after a signal, 1 when the kernel
 * refuses the flavour (the reason on stderr), 2 for bad usage.
 *
 *   floor --mode tracepoint|fexit|cgroup
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

#define EXIT_USAGE 2
#define CGROUP_LINKS 5

static const char *const cgroup_roots[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };

/* The cgroup hooks, attached by hand: libbpf attaches no cgroup program by itself. */
static struct bpf_program *cgroup_prog(struct floor_bpf *skel, int i)
{
	struct bpf_program *progs[CGROUP_LINKS] = {
		skel->progs.floor_cg_bind4, skel->progs.floor_cg_bind6,
		skel->progs.floor_cg_post_bind4, skel->progs.floor_cg_post_bind6,
		skel->progs.floor_cg_sock_release,
	};

	return progs[i];
}

static void set_flavour(struct floor_bpf *skel, const char *mode)
{
	bool fexit = !strcmp(mode, "fexit"), tp = !strcmp(mode, "tracepoint");
	bool cg = !strcmp(mode, "cgroup");
	int i;

	bpf_program__set_autoload(skel->progs.floor_fexit_inet_bind, fexit);
	bpf_program__set_autoload(skel->progs.floor_fexit_inet6_bind, fexit);
	bpf_program__set_autoload(skel->progs.floor_fexit_inet_listen, fexit);
	bpf_program__set_autoload(skel->progs.floor_tp_enter_bind, tp);
	bpf_program__set_autoload(skel->progs.floor_tp_exit_bind, tp);
	bpf_program__set_autoload(skel->progs.floor_tp_enter_listen, tp);
	bpf_program__set_autoload(skel->progs.floor_tp_exit_listen, tp);
	for (i = 0; i < CGROUP_LINKS; i++)
		bpf_program__set_autoload(cgroup_prog(skel, i), cg);
	bpf_program__set_autoload(skel->progs.floor_cg_listen_state, cg);
}

/* The root of the cgroup2 mount, open; -errno when there is none. */
static int open_cgroup_root(void)
{
	struct statfs st;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(cgroup_roots) / sizeof(cgroup_roots[0]); i++) {
		if (statfs(cgroup_roots[i], &st) || st.f_type != CGROUP2_SUPER_MAGIC)
			continue;
		fd = open(cgroup_roots[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	return -ENOENT;
}

/* Attach the cgroup hooks to the root cgroup (their links go with the process). */
static int attach_cgroup(struct floor_bpf *skel)
{
	int fd = open_cgroup_root(), i, err = 0;

	if (fd < 0)
		return fd;
	for (i = 0; i < CGROUP_LINKS && !err; i++)
		if (!bpf_program__attach_cgroup(cgroup_prog(skel, i), fd))
			err = -errno;
	close(fd);
	return err;
}

/* Block the signals that end the wait, so none is lost before sigwait(). */
static int block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	return sigprocmask(SIG_BLOCK, set, NULL) ? -errno : 0;
}

int main(int argc, char **argv)
{
	struct floor_bpf *skel;
	sigset_t set;
	int err, sig;

	if (argc != 3 || strcmp(argv[1], "--mode") ||
	    (strcmp(argv[2], "tracepoint") && strcmp(argv[2], "fexit") &&
	     strcmp(argv[2], "cgroup"))) {
		fprintf(stderr, "usage: %s --mode tracepoint|fexit|cgroup\n", argv[0]);
		return EXIT_USAGE;
	}
	err = block_signals(&set);
	if (err) {
		fprintf(stderr, "floor: sigprocmask: %s\n", strerror(-err));
		return EXIT_FAILURE;
	}
	skel = floor_bpf__open();
	if (!skel) {
		fprintf(stderr, "floor: cannot open the BPF object: %s\n", strerror(errno));
		return EXIT_FAILURE;
	}
	set_flavour(skel, argv[2]);
	err = floor_bpf__load(skel);
	if (!err)
		err = floor_bpf__attach(skel);
	if (!err && !strcmp(argv[2], "cgroup"))
		err = attach_cgroup(skel);
	if (err) {
		fprintf(stderr, "floor: the kernel refused the %s programs: %s\n",
			argv[2], strerror(-err));
		floor_bpf__destroy(skel);
		return EXIT_FAILURE;
	}
	fprintf(stderr, "floor: ready (mode: %s)\n", argv[2]);
	err = sigwait(&set, &sig);
	floor_bpf__destroy(skel);
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}
