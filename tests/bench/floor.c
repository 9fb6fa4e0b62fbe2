// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor - attach bpf/floor.bpf.c's empty programs and wait: the benchmark's
 * "floor" configuration, what the hooks bindwatch uses cost with nothing
 * done in them.
 *
 * It takes bindwatch's --mode word (tracepoint, fexit or cgroup), loads
 * only that flavour's programs (bpf_program__set_autoload, as the capture
 * loader does), attaches them, says "ready (mode: MODE)" on stderr, the
 * line scripts/bench.sh waits for from bindwatch too, and holds them until
 * SIGTERM or SIGINT.  The cgroup flavour's sock_addr and sock programs are
 * attached to the cgroup directory CGROUP (the cgroup2 mount, so that every
 * task pays them; scripts/bench.sh finds it), which libbpf cannot attach by itself.  Exit status 0
 * after a signal, 1 when the kernel refuses the flavour (the reason on
 * stderr), 2 for bad usage.
 *
 *   floor --mode tracepoint|fexit
 *   floor --mode cgroup CGROUP
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

#define EXIT_USAGE 2

enum flavour { FLAVOUR_TRACEPOINT, FLAVOUR_FEXIT, FLAVOUR_CGROUP };

static const char *const flavour_names[] = {
	[FLAVOUR_TRACEPOINT] = "tracepoint",
	[FLAVOUR_FEXIT] = "fexit",
	[FLAVOUR_CGROUP] = "cgroup",
};

static int parse_flavour(const char *s, enum flavour *f)
{
	for (size_t i = 0; i < sizeof(flavour_names) / sizeof(flavour_names[0]); i++) {
		if (!strcmp(s, flavour_names[i])) {
			*f = (enum flavour)i;
			return 0;
		}
	}
	return -EINVAL;
}

static void set_flavour(struct floor_bpf *skel, enum flavour f)
{
	bool fexit = f == FLAVOUR_FEXIT, tp = f == FLAVOUR_TRACEPOINT;
	bool cg = f == FLAVOUR_CGROUP;

	bpf_program__set_autoload(skel->progs.floor_fexit_inet_bind, fexit);
	bpf_program__set_autoload(skel->progs.floor_fexit_inet6_bind, fexit);
	bpf_program__set_autoload(skel->progs.floor_fexit_inet_listen, fexit);
	bpf_program__set_autoload(skel->progs.floor_tp_enter_bind, tp);
	bpf_program__set_autoload(skel->progs.floor_tp_exit_bind, tp);
	bpf_program__set_autoload(skel->progs.floor_tp_enter_listen, tp);
	bpf_program__set_autoload(skel->progs.floor_tp_exit_listen, tp);
	bpf_program__set_autoload(skel->progs.floor_tp_uring_complete, tp);
	bpf_program__set_autoload(skel->progs.floor_cg_bind4, cg);
	bpf_program__set_autoload(skel->progs.floor_cg_bind6, cg);
	bpf_program__set_autoload(skel->progs.floor_cg_post_bind4, cg);
	bpf_program__set_autoload(skel->progs.floor_cg_post_bind6, cg);
	bpf_program__set_autoload(skel->progs.floor_cg_sock_release, cg);
	bpf_program__set_autoload(skel->progs.floor_cg_set_state, cg);
}

/*
 * The cgroup programs on dir; their links go into the skeleton, which
 * destroys them with the rest.
 */
static int attach_cgroup(struct floor_bpf *skel, const char *dir)
{
	struct bpf_program *progs[] = {
		skel->progs.floor_cg_bind4, skel->progs.floor_cg_bind6,
		skel->progs.floor_cg_post_bind4, skel->progs.floor_cg_post_bind6,
		skel->progs.floor_cg_sock_release,
	};
	struct bpf_link **links[] = {
		&skel->links.floor_cg_bind4, &skel->links.floor_cg_bind6,
		&skel->links.floor_cg_post_bind4, &skel->links.floor_cg_post_bind6,
		&skel->links.floor_cg_sock_release,
	};
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]) && !err; i++) {
		*links[i] = bpf_program__attach_cgroup(progs[i], fd);
		if (!*links[i])
			err = -errno;
	}
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
	const char *cgroup = argc > 3 ? argv[3] : NULL;
	struct floor_bpf *skel;
	enum flavour flavour;
	sigset_t set;
	int err, sig;

	if (argc < 3 || argc > 4 || strcmp(argv[1], "--mode") ||
	    parse_flavour(argv[2], &flavour) ||
	    (flavour == FLAVOUR_CGROUP) != (cgroup != NULL)) {
		fprintf(stderr, "usage: %s --mode tracepoint|fexit | --mode cgroup CGROUP\n",
			argv[0]);
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
	set_flavour(skel, flavour);
	err = floor_bpf__load(skel);
	if (!err)
		err = floor_bpf__attach(skel);
	if (!err && flavour == FLAVOUR_CGROUP)
		err = attach_cgroup(skel, cgroup);
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
