/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * enrich.h - turn a kernel record into an event a person can read: the
 * requester's /proc (exe, command line, cgroup, unit, container), the
 * name of the device its socket is bound to and of its network namespace.
 * It owns those reads and their once-per-kind warnings; it must not look
 * for holders (diagnose.h) or write anything out.
 */
#ifndef BW_ENRICH_H
#define BW_ENRICH_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>
#include "bindwatch.h"
#include "netns.h"
#include "procinfo.h"

struct enricher {
	uint32_t own_netns;        /* bindwatch's network namespace */
	struct netns_names netns;  /* names of the others, from NETNS_DIR */
	int netns_err;             /* the last name lookup's error, 0 */
};

/* Ready to enrich, keeping at most cmdline_max bytes of a command line. */
void enrich_init(struct enricher *e, size_t cmdline_max);
void enrich_fini(struct enricher *e);

/*
 * Read what ev's requester shows now into *pi (procinfo_free() it); name
 * the device its socket is bound to and its network namespace into
 * bound_dev and netns_name ("" when unknown: a record's fields of those
 * names).  Called as soon as the record arrives, while the requester most
 * likely exists.
 */
void enrich_event(struct enricher *e, const struct bw_event *ev, struct proc_info *pi,
		  char bound_dev[IF_NAMESIZE], char netns_name[NETNS_NAME_LEN]);

#endif /* BW_ENRICH_H */
