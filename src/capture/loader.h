/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader.h - bring the kernel half up and down: choose the
 * capture mode by trying, configure filters, load, attach, read counters.
 */
#ifndef BW_LOADER_H
#define BW_LOADER_H

#include <stdbool.h>
#include <stdint.h>
#include "options.h"

struct bindwatch_bpf;

struct bw_loader {
	struct bindwatch_bpf *skel;
	enum bw_mode mode;
};

/* Load and attach in o->mode (auto: fexit, else tracepoint).  0 or -errno. */
int loader_start(struct bw_loader *l, const struct bw_options *o);

/* Detach every program; the maps stay readable until loader_destroy(). */
void loader_detach(struct bw_loader *l);
void loader_destroy(struct bw_loader *l);

int loader_ringbuf_fd(const struct bw_loader *l);

/*
 * Make successful calls on the ports in ports (NULL: none) records: the
 * ports the policy's expect rules name, set at start and at each reload.
 */
void loader_set_expect(const struct bw_loader *l, const uint64_t ports[BW_PORT_WORDS]);

/*
 * Queue the records storms owe: for each storm whose window is over (all:
 * every storm, once the programs are detached), the failures counted since
 * its last record; retire the storms idle for a window; queue one
 * suppressed record per uid whose rate limit held failures back.  Run once
 * per window.  0 or -errno.
 */
int loader_flush(const struct bw_loader *l, bool all);

/* Sum the per-CPU counters into stats[BW_STAT_MAX].  0 or -errno. */
int loader_stats(const struct bw_loader *l, uint64_t stats[BW_STAT_MAX]);

#endif /* BW_LOADER_H */
