// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * floor - attach bpf/floor.bpf.c's empty programs and wait: the benchmark's
 * "floor" configuration, what the hooks bindwatch uses cost with nothing
 * done in them.
 *
 * It takes bindwatch's --mode word (tracepoint or fexit), loads only that
 * flavour's programs (bpf_program__set_autoload, as src/loader.c does),
 * attaches them, says "ready (mode: MODE)" on stderr, the line
 * scripts/bench.sh waits for from bindwatch too, and holds them until
 * SIGTERM or SIGINT.  Exit status 0 after a signal, 1 when the kernel
 * refuses the flavour (the reason on stderr), 2 for bad usage.
 *
 *   floor --mode tracepoint|fexit
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "floor.skel.h"

#define EXIT_USAGE 2

static void set_flavour(struct floor_bpf *skel, bool fexit)
{
	bpf_program__set_autoload(skel->progs.floor_fexit_inet_bind, fexit);
	bpf_program__set_autoload(skel->progs.floor_fexit_inet6_bind, fexit);
	bpf_program__set_autoload(skel->progs.floor_fexit_inet_listen, fexit);
	bpf_program__set_autoload(skel->progs.floor_tp_enter_bind, !fexit);
	bpf_program__set_autoload(skel->progs.floor_tp_exit_bind, !fexit);
	bpf_program__set_autoload(skel->progs.floor_tp_enter_listen, !fexit);
	bpf_program__set_autoload(skel->progs.floor_tp_exit_listen, !fexit);
	bpf_program__set_autoload(skel->progs.floor_tp_uring_complete, !fexit);
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
	bool fexit;
	int err, sig;

	if (argc != 3 || strcmp(argv[1], "--mode") ||
	    (strcmp(argv[2], "tracepoint") && strcmp(argv[2], "fexit"))) {
		fprintf(stderr, "usage: %s --mode tracepoint|fexit\n", argv[0]);
		return EXIT_USAGE;
	}
	fexit = !strcmp(argv[2], "fexit");
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
	set_flavour(skel, fexit);
	err = floor_bpf__load(skel);
	if (!err)
		err = floor_bpf__attach(skel);
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
