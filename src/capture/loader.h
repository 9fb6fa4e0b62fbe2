/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * loader.h - bring the kernel half up and down: choose the
 * capture mode by trying, configure filters, load, attach, read counters.
 */
#ifndef BW_LOADER_H
#define BW_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "bindwatch.h"
#include "portlist.h"

#define MODE_AUTO 0 /* besides enum bw_mode: try fexit, fall back to tracepoint */
#define CGROUP_LINKS 5 /* the cgroup flavour's programs on the root cgroup */

/* What the capture is asked for: the command line's capture options. */
struct capture_config {
	int mode;                 /* MODE_AUTO or enum bw_mode */
	const char *btf_path;     /* kernel BTF; NULL: the running kernel's */
	const char *cgroup_path;  /* only this cgroup v2 and below it; NULL: all */
	uint64_t window_ms;       /* storm aggregation, 0 for none */
	unsigned int rate_limit;  /* records a second per uid, 0 for none */
	unsigned int rate_burst;  /* records at once per uid */
	__u32 report;             /* enum bw_report bits */
	bool ephemeral;           /* --ephemeral: connect() in tracepoint mode too */
	bool port_filter;         /* only the ports in ports */
	uint64_t ports[PORTLIST_WORDS];
	uint32_t *pids;           /* only these processes, when npids */
	size_t npids;
	char (*comms)[BW_COMM_LEN]; /* only these command names, when ncomms */
	size_t ncomms;
};

struct bindwatch_bpf;

struct bpf_link;

struct bw_loader {
	struct bindwatch_bpf *skel;
	enum bw_mode mode;
	struct bpf_link *cgroup_links[CGROUP_LINKS]; /* cgroup mode's attachments */
	bool connect;                                /* connect() out of ephemeral ports is seen */
};

/* Load and attach in c->mode (auto: fexit, else tracepoint).  0 or -errno. */
int loader_start(struct bw_loader *l, const struct capture_config *c);

/* Detach every program; the maps stay readable until loader_destroy(). */
void loader_detach(struct bw_loader *l);
void loader_destroy(struct bw_loader *l);

int loader_ringbuf_fd(const struct bw_loader *l);

/*
 * The frames of kernel stack kstack (bw_event.kstack) into ips, innermost
 * first: how many, or -errno (-ENOENT for none).
 */
int loader_kstack(const struct bw_loader *l, uint32_t kstack, uint64_t ips[BW_KSTACK_DEPTH]);

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

/*
 * Whether the cgroup mode keeps calls whose outcome is not known yet:
 * loader_sweep() is then due within a few ms.
 */
bool loader_pending(const struct bw_loader *l);

/* Decide the kept calls whose call is over (cgroup mode).  0 or -errno. */
int loader_sweep(const struct bw_loader *l);

/* Sum the per-CPU counters into stats[BW_STAT_MAX].  0 or -errno. */
int loader_stats(const struct bw_loader *l, uint64_t stats[BW_STAT_MAX]);

#endif /* BW_LOADER_H */
