// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * enrich.c - what the kernel's record leaves out, read from the system
 * (enrich.h).
 *
 * It owns the enrichment of a record; it must not look for holders or write
 * anything out.
 *
 * The requester's /proc entries are read first: it may exit at any
 * moment, and what its entries no longer say, the kernel captured at the
 * call (its argv, when the read fails or is cut).  Reads of another
 * process's command line go through stallguard.c, since a process can
 * make them block.  A device index or a namespace inode means something
 * only in its own namespace, so names are given only where they hold.
 * A failing lookup is said once per kind of failure, never per record.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/stat.h>
#include "enrich.h"
#include "log.h"
#include "procinfo.h"
#include "util.h"

void enrich_init(struct enricher *e, size_t cmdline_max)
{
	struct stat nsfs;

	memset(e, 0, sizeof(*e));
	e->own_netns = procinfo_own_netns();
	/* namespace files are on nsfs: whatever device our own is on */
	netns_names_init(&e->netns, NETNS_DIR, stat("/proc/self/ns/net", &nsfs) ? 0 : nsfs.st_dev, 0);
	procinfo_set_cmdline_max(cmdline_max);
}

void enrich_fini(struct enricher *e)
{
	netns_names_free(&e->netns);
}

void enrich_event(struct enricher *e, const struct bw_event *ev, struct proc_info *pi,
		  char bound_dev[IF_NAMESIZE], char netns_name[NETNS_NAME_LEN])
{
	/* a full buffer: the argv may have gone on */
	bool cut = ev->args_len >= sizeof(ev->args);
	size_t len = cut ? sizeof(ev->args) : ev->args_len;
	/*
	 * The argv the kernel read at the call, whole when it ends inside the
	 * buffer with its last argument's NUL (a title rewritten past the
	 * argument area does not): then /proc's command line, a read another
	 * thread must make in case the process blocks it, is not needed.
	 */
	bool whole = !cut && len && !ev->args[len - 1];
	int err;

	procinfo_read(pi, ev->pid, ev->start_ns, ev->cgroup_id, ev->exe_ino,
		      whole ? 0 : PROCINFO_CMDLINE);
	procinfo_args(pi, ev->args, len, cut);
	/* an interface index means something only in its own namespace */
	if (ev->sock.bound_ifindex && ev->sock.netns == e->own_netns &&
	    !if_indextoname(ev->sock.bound_ifindex, bound_dev))
		bound_dev[0] = '\0';
	if (!netns_label(&e->netns, ev->sock.netns, e->own_netns, pi, now_ns(CLOCK_MONOTONIC),
			 netns_name, &err))
		netns_name[0] = '\0';
	if (err && err != e->netns_err) /* once per kind of failure */
		warn("%s: %s; records name no network namespace", NETNS_DIR, err == -EPERM ?
		     "refused: a link, or not a directory only root can write" : strerror(-err));
	e->netns_err = err;
}
