/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * netns.h - the name of a network namespace, for records: the entry of
 * /run/netns bound to it (`ip netns add NAME`), or the container id of the
 * process in it where the system manager's cgroups say which one.
 */
#ifndef BW_NETNS_H
#define BW_NETNS_H

#include <limits.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>
#include "procinfo.h"

#define NETNS_DIR "/run/netns"
#define NETNS_NAME_LEN (NAME_MAX + 1)
/* Directory entries read per scan: the rest of a bigger directory is unnamed. */
#define NETNS_SCAN_MAX 1024

struct netns_entry {
	uint32_t ino;
	char *name;
};

/* What the last scan of the directory found; one thread uses it. */
struct netns_names {
	const char *dir;          /* NETNS_DIR, or a test's */
	dev_t nsfs_dev;           /* st_dev of namespace files (nsfs) */
	uid_t owner;              /* who must own dir: root */
	struct netns_entry *v;
	size_t n;
	bool scanned;             /* v is a scan of the directory below */
	ino_t dir_ino;            /* the directory scanned */
	struct timespec dir_mtime;
	uint64_t scanned_ns;      /* when, on the caller's clock */
};

/* An empty cache of the names in dir, whose files are on nsfs_dev (nn new or freed). */
void netns_names_init(struct netns_names *nn, const char *dir, dev_t nsfs_dev, uid_t owner);

/*
 * The name in nn->dir of the network namespace with inode ino, at now_ns
 * (any monotonic clock, for the rescan interval): 0 with name set, -ENOENT
 * when it has none (or the directory does not exist), -EPERM when the
 * directory is a link, not owned by nn->owner or writable by others (then
 * no name is believed), -ENOMEM, or another -errno from reading it.
 */
int netns_name(struct netns_names *nn, uint32_t ino, uint64_t now_ns,
	       char name[NETNS_NAME_LEN]);

/*
 * What a record calls the requester's network namespace ino: NULL for
 * bindwatch's own (own_ino), else its name in nn (0 from netns_name()),
 * else pi's container id when the system manager's part of its cgroup
 * path names one, else NULL.  *err: netns_name()'s error other than
 * -ENOENT, or 0.
 */
const char *netns_label(struct netns_names *nn, uint32_t ino, uint32_t own_ino,
			const struct proc_info *pi, uint64_t now_ns,
			char buf[NETNS_NAME_LEN], int *err);

void netns_names_free(struct netns_names *nn);

#endif /* BW_NETNS_H */
