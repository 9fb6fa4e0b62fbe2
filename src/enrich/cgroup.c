// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgroup.c - cgroup v2 ids and paths.
 *
 * It owns cgroup id <-> path translation, where the cgroup2 mount and
 * bindwatch's own cgroup are, and what the mount says of a cgroup's owner;
 * it must not judge what a path's names mean
 * (cgpath.c).
 *
 * The kernel stamps each record with the requester's cgroup id, which is
 * the kernfs file handle of the cgroup directory.  open_by_handle_at() on
 * the cgroup2 mount turns the id back into a directory, and so into a path,
 * without /proc and without racing the process's exit.  On hybrid systems
 * cgroup2 is mounted at /sys/fs/cgroup/unified; the mount is found from
 * /proc/self/mountinfo rather than assumed.
 *
 * A conflict names its requester's and its holders' cgroups, mostly the
 * same few: the last CACHE_SLOTS paths are kept for CACHE_NS, so that a
 * record costs one translation (three system calls) per cgroup, not one
 * per process.  Ids are never reused while the system runs; a cgroup
 * renamed meanwhile (a delegated user may rename its own) shows its
 * old name for at most CACHE_NS.
 *
 * Where the system manager's part of a path ends (cgpath.h) is kept with
 * the path: each cgroup from the root is opened below the one before it
 * (openat, O_NOFOLLOW) and its directory asked who may create cgroups in
 * it, up to the first that someone other than root may.  Ownership is what
 * systemd's Delegate= with User= does (it chowns the unit's directory to
 * the user); trusted.delegate is what it sets on every delegated unit,
 * root's too.  Only trusted.* counts: a user may set user.* attributes on
 * the cgroups it owns.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include "cgpath.h"
#include "cgroup.h"
#include "util.h"

#define FILEID_KERNFS 0xfe /* include/linux/exportfs.h */
#define CACHE_SLOTS 16
#define CACHE_NS (1 * NSEC_PER_SEC)
#define DELEGATE_XATTR "trusted.delegate" /* systemd: src/core/cgroup.c */
#define XATTR_WORD_MAX 8 /* bytes of the longest yes-word */

static char mount_path[PATH_MAX];
static int mount_fd = -1;

struct cgroup_handle {
	struct file_handle fh;
	uint64_t id;
};

/* Fields of a mountinfo line: ... mount-point ... - fstype source opts */
static int find_cgroup2_mount(char *path, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "re");
	char *line = NULL, mnt[PATH_MAX], *sep;
	size_t cap = 0;
	int err = -ENOENT;

	if (!f)
		return -errno;
	while (getline(&line, &cap, f) > 0) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep + 3, "cgroup2 ", strlen("cgroup2 ")))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1)
			continue;
		if (strlen(mnt) >= len) {
			err = -ENAMETOOLONG;
			break;
		}
		strcpy(path, mnt);
		err = 0;
		break;
	}
	free(line);
	fclose(f);
	return err;
}

int cgroup_init(void)
{
	int err = find_cgroup2_mount(mount_path, sizeof(mount_path));

	if (err)
		return err;
	mount_fd = open(mount_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return mount_fd < 0 ? -errno : 0;
}

int cgroup_root_fd(void)
{
	return mount_fd >= 0 ? mount_fd : -ENOENT;
}

void cgroup_fini(void)
{
	if (mount_fd >= 0)
		close(mount_fd);
	mount_fd = -1;
}

/* Recent translations, by id modulo CACHE_SLOTS: every thread's. */
static struct cached_path {
	uint64_t id;
	uint64_t when_ns; /* CLOCK_MONOTONIC of the translation */
	char *path;       /* NULL: empty slot */
	size_t sys_len;   /* of path: cgroup_system_len() */
} cache[CACHE_SLOTS];
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* The cached path of id into path and its system part's length (0), or -ENOENT. */
static int cache_get(uint64_t id, uint64_t now, char *path, size_t len, size_t *sys_len)
{
	struct cached_path *c = &cache[id % CACHE_SLOTS];
	int err = -ENOENT;

	pthread_mutex_lock(&cache_lock);
	if (c->path && c->id == id && now - c->when_ns < CACHE_NS &&
	    snprintf(path, len, "%s", c->path) < (int)len) {
		*sys_len = c->sys_len;
		err = 0;
	}
	pthread_mutex_unlock(&cache_lock);
	return err;
}

static void cache_put(uint64_t id, uint64_t now, const char *path, size_t sys_len)
{
	struct cached_path *c = &cache[id % CACHE_SLOTS];
	char *copy = strdup(path);

	if (!copy)
		return;
	pthread_mutex_lock(&cache_lock);
	free(c->path);
	c->id = id;
	c->when_ns = now;
	c->path = copy;
	c->sys_len = sys_len;
	pthread_mutex_unlock(&cache_lock);
}

static int translate(uint64_t id, char *path, size_t len)
{
	struct cgroup_handle h = {
		.fh = { .handle_bytes = sizeof(uint64_t), .handle_type = FILEID_KERNFS },
		.id = id,
	};
	char link[64], full[PATH_MAX];
	size_t mlen = strlen(mount_path);
	ssize_t n;
	int fd, err = 0;

	if (mount_fd < 0)
		return -ENOENT;
	fd = open_by_handle_at(mount_fd, &h.fh, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, full, sizeof(full) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	full[n] = '\0';
	if (strncmp(full, mount_path, mlen) || (full[mlen] && full[mlen] != '/'))
		return -ENOENT;
	if (snprintf(path, len, "%s", full[mlen] ? full + mlen : "/") >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* systemd's parse_boolean() yes-words: how it reads its own attribute */
static const char *const yes_words[] = { "1", "yes", "y", "true", "t", "on" };

/* Whether systemd marked the cgroup open as fd delegated. */
static bool marked_delegated(int fd)
{
	char v[XATTR_WORD_MAX + 1];
	ssize_t n = fgetxattr(fd, DELEGATE_XATTR, v, sizeof(v) - 1);
	size_t i;

	if (n <= 0)
		return false;
	v[n] = '\0';
	for (i = 0; i < ARRAY_SIZE(yes_words); i++)
		if (!strcasecmp(v, yes_words[i]))
			return true;
	return false;
}

/* The walk from a root down a path: the cgroup reached last. */
struct walk {
	int root; /* the caller's */
	int fd;   /* root, or the last cgroup opened */
};

/* cgpath_owner_fn: the last component of path[0..len), opened below the one before. */
static enum cgpath_owner owner_at(const char *path, size_t len, void *arg)
{
	struct walk *w = arg;
	const char *name = memrchr(path, '/', len);
	char buf[NAME_MAX + 1];
	struct stat st;
	size_t n;
	int fd;

	name = name ? name + 1 : path;
	n = (size_t)(path + len - name);
	if (n > NAME_MAX)
		return CGPATH_UNKNOWN;
	memcpy(buf, name, n);
	buf[n] = '\0';
	if (!strcmp(buf, ".") || !strcmp(buf, "..")) /* no cgroup's name: never walk up */
		return CGPATH_UNKNOWN;
	fd = openat(w->fd, buf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return CGPATH_UNKNOWN;
	if (w->fd != w->root)
		close(w->fd);
	w->fd = fd;
	if (fstat(fd, &st))
		return CGPATH_UNKNOWN;
	/* whoever may create cgroups in it names those below it */
	if (st.st_uid != 0 || st.st_mode & (S_IWGRP | S_IWOTH) || marked_delegated(fd))
		return CGPATH_DELEGATED;
	return CGPATH_SYSTEM;
}

size_t cgroup_system_len_at(int rootfd, const char *path)
{
	struct walk w = { rootfd, rootfd };
	size_t n = cgpath_system_len(path, owner_at, &w);

	if (w.fd != w.root)
		close(w.fd);
	return n;
}

size_t cgroup_system_len(const char *path)
{
	return cgroup_system_len_at(mount_fd, path);
}

int cgroup_path_from_id(uint64_t id, char *path, size_t len, size_t *sys_len)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	int err = cache_get(id, now, path, len, sys_len);

	if (err) {
		err = translate(id, path, len);
		if (err)
			return err;
		*sys_len = cgroup_system_len(path);
		cache_put(id, now, path, *sys_len);
	}
	return err;
}

int cgroup_id_from_path(const char *path, uint64_t *id, unsigned int *level)
{
	struct cgroup_handle h = { .fh = { .handle_bytes = sizeof(uint64_t) } };
	char full[PATH_MAX], canon[PATH_MAX];
	size_t mlen = strlen(mount_path);
	const char *rel, *p;
	int mnt_id;

	if (mount_fd < 0)
		return -ENOENT;
	/* accept both "/sys/fs/cgroup/x" and "/x" (relative to the root) */
	if (!strncmp(path, mount_path, mlen) && (!path[mlen] || path[mlen] == '/'))
		rel = path + mlen;
	else
		rel = path;
	if (snprintf(full, sizeof(full), "%s/%s", mount_path, rel) >= (int)sizeof(full))
		return -ENAMETOOLONG;
	if (!realpath(full, canon))
		return -errno;
	if (strncmp(canon, mount_path, mlen) || (canon[mlen] && canon[mlen] != '/'))
		return -EXDEV; /* ".." led out of the cgroup2 mount */
	if (name_to_handle_at(AT_FDCWD, canon, &h.fh, &mnt_id, 0))
		return -errno;
	*id = h.id;
	*level = 0;
	for (p = canon + mlen; *p; p++)
		if (*p != '/' && p[-1] == '/')
			(*level)++;
	return 0;
}

/* The cgroup v2 line of /proc/self/cgroup is "0::/path". */
int cgroup_self_dir(char *path, size_t len)
{
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int err = -ENOENT;

	if (mount_fd < 0)
		return -ENOENT;
	f = fopen("/proc/self/cgroup", "re");
	if (!f)
		return -errno;
	while ((n = getline(&line, &cap, f)) > 0) {
		if (strncmp(line, "0::/", strlen("0::/")))
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		/* "0::/" is the root: the mount itself */
		err = snprintf(path, len, "%s%s", mount_path, line[4] ? line + 3 : "") >= (int)len ?
		      -ENAMETOOLONG : 0;
		break;
	}
	free(line);
	fclose(f);
	return err;
}
