// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * netns.c - name network namespaces by inode from /run/netns.
 *
 * It owns the name cache of /run/netns; it must not enter a namespace.
 *
 * `ip netns add NAME` bind-mounts the namespace file on /run/netns/NAME, so
 * stat() of an entry gives the namespace's inode on the nsfs device.  Only
 * root can write /run/netns, so its entries are names an administrator
 * chose; the directory is opened without following a link and refused when
 * it is not owned by root or is writable by anyone else, and an entry
 * counts only when it is a file on nsfs itself (fstatat() without following
 * links: a symbolic link, or a file on the directory's own tmpfs, is not a
 * namespace).  The file name is shown as it is; the renderers escape it.
 *
 * Cost is bounded per lookup: a hit costs an open and two stat()s (the
 * entry is checked again, since a deleted namespace's inode number may be
 * given to a new one); a miss rescans at most NETNS_SCAN_MAX entries, and
 * only when the directory changed since the last scan or that scan is
 * older than NETNS_RESCAN_NS (`ip netns add` creates the entry before it
 * mounts the namespace on it, so a scan in between misses it without
 * changing the directory again).  A conflict in an unnamed namespace, which
 * any user can make, costs an open and a stat() otherwise.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "netns.h"
#include "util.h"

#define NETNS_RESCAN_NS NSEC_PER_SEC

void netns_names_init(struct netns_names *nn, const char *dir, dev_t nsfs_dev, uid_t owner)
{
	memset(nn, 0, sizeof(*nn));
	nn->dir = dir;
	nn->nsfs_dev = nsfs_dev;
	nn->owner = owner;
}

static void forget(struct netns_names *nn)
{
	size_t i;

	for (i = 0; i < nn->n; i++)
		free(nn->v[i].name);
	free(nn->v);
	nn->v = NULL;
	nn->n = 0;
	nn->scanned = false;
}

void netns_names_free(struct netns_names *nn)
{
	forget(nn);
}

/* The directory, opened if it is trustworthy: an fd, or -errno. */
static int open_dir(const struct netns_names *nn, struct stat *st)
{
	int fd = open(nn->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return errno == ELOOP || errno == ENOTDIR ? -EPERM : -errno;
	if (fstat(fd, st)) {
		int err = -errno;

		close(fd);
		return err;
	}
	if (st->st_uid != nn->owner || st->st_mode & (S_IWGRP | S_IWOTH)) {
		close(fd);
		return -EPERM;
	}
	return fd;
}

/* Whether name in dirfd is the namespace file of inode ino (0: any). */
static bool is_netns(const struct netns_names *nn, int dirfd, const char *name, ino_t *ino)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) || !S_ISREG(st.st_mode) ||
	    st.st_dev != nn->nsfs_dev)
		return false;
	if (*ino && st.st_ino != *ino)
		return false;
	*ino = st.st_ino;
	return true;
}

/* Read up to NETNS_SCAN_MAX entries of the directory open as fd into nn. */
static int scan(struct netns_names *nn, int fd, const struct stat *dir, uint64_t now_ns)
{
	int dfd = dup(fd), n = 0;
	struct dirent *d;
	DIR *dp;

	forget(nn);
	if (dfd < 0)
		return -errno;
	dp = fdopendir(dfd);
	if (!dp) {
		close(dfd);
		return -errno;
	}
	while (n < NETNS_SCAN_MAX && (d = readdir(dp))) {
		struct netns_entry *v;
		ino_t ino = 0;

		n++;
		if (!is_netns(nn, fd, d->d_name, &ino))
			continue;
		v = realloc(nn->v, (nn->n + 1) * sizeof(*v));
		if (!v)
			goto oom;
		nn->v = v;
		v[nn->n].ino = ino;
		if (!(v[nn->n].name = strdup(d->d_name)))
			goto oom;
		nn->n++;
	}
	closedir(dp);
	nn->scanned = true;
	nn->dir_ino = dir->st_ino;
	nn->dir_mtime = dir->st_mtim;
	nn->scanned_ns = now_ns;
	return 0;
oom:
	closedir(dp);
	forget(nn);
	return -ENOMEM;
}

static const struct netns_entry *find(const struct netns_names *nn, uint32_t ino)
{
	size_t i;

	for (i = 0; i < nn->n; i++)
		if (nn->v[i].ino == ino)
			return &nn->v[i];
	return NULL;
}

/* Whether a miss is worth a rescan of the directory dir. */
static bool stale(const struct netns_names *nn, const struct stat *dir, uint64_t now_ns)
{
	return !nn->scanned || nn->dir_ino != dir->st_ino ||
	       nn->dir_mtime.tv_sec != dir->st_mtim.tv_sec ||
	       nn->dir_mtime.tv_nsec != dir->st_mtim.tv_nsec ||
	       now_ns - nn->scanned_ns >= NETNS_RESCAN_NS;
}

int netns_name(struct netns_names *nn, uint32_t ino, uint64_t now_ns,
	       char name[NETNS_NAME_LEN])
{
	const struct netns_entry *e;
	struct stat dir;
	bool gone = false;
	int fd, err = 0;

	fd = open_dir(nn, &dir);
	if (fd < 0) {
		forget(nn);
		return fd;
	}
	e = find(nn, ino);
	if (e) {
		ino_t want = ino;

		gone = !is_netns(nn, fd, e->name, &want);
		if (gone)
			e = NULL; /* deleted, or the number went to another namespace */
	}
	if (!e && (gone || stale(nn, &dir, now_ns))) {
		err = scan(nn, fd, &dir, now_ns);
		e = err ? NULL : find(nn, ino);
	}
	close(fd);
	if (err)
		return err;
	if (!e)
		return -ENOENT;
	memcpy(name, e->name, strlen(e->name) + 1);
	return 0;
}

const char *netns_label(struct netns_names *nn, uint32_t ino, uint32_t own_ino,
			const struct proc_info *pi, uint64_t now_ns,
			char buf[NETNS_NAME_LEN], int *err)
{
	int e;

	*err = 0;
	if (!ino || ino == own_ino)
		return NULL;
	e = netns_name(nn, ino, now_ns, buf);
	if (!e)
		return buf;
	if (e != -ENOENT)
		*err = e;
	/* procinfo takes a container id only from the system manager's cgroups */
	_Static_assert(NETNS_NAME_LEN > CG_CONTAINER_ID_LEN, "a container id fits a name");
	if (!pi || !pi->container[0])
		return NULL;
	memcpy(buf, pi->container, sizeof(pi->container));
	return buf;
}
