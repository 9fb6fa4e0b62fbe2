// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy_file.c - open and read a policy file safely (policy_load()).  It
 * owns the checks on the file and every directory above it, and on the
 * programs its rules' exec name; it must not parse (policy.c).
 *
 * The file is opened by walking its path from / with openat(O_NOFOLLOW),
 * each directory checked on its descriptor as sshd's StrictModes checks
 * by name: a policy anyone but root can replace is no policy.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "policy.h"
#include "program.h"

/* fd must be a regular file only root can write, of a sane size. */
static int check_file(int fd, const char *path, char *err, size_t errlen)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(-rc));
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: refused: not a regular file", path);
		return -EINVAL;
	}
	if (st.st_uid != 0) {
		snprintf(err, errlen, "%s: refused: owned by uid %u, must be owned by root", path,
			 (unsigned int)st.st_uid);
		return -EPERM;
	}
	if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		snprintf(err, errlen,
			 "%s: refused: writable by group or others (mode %04o); chmod go-w %s",
			 path, (unsigned int)(st.st_mode & 07777), path);
		return -EPERM;
	}
	if (st.st_size > POLICY_MAX_SIZE) {
		snprintf(err, errlen, "%s: refused: larger than %d bytes", path, POLICY_MAX_SIZE);
		return -EFBIG;
	}
	return 0;
}

/* All of fd into *buf (malloc'd), at most POLICY_MAX_SIZE bytes. */
static int read_file(int fd, const char *path, char **buf, size_t *len, char *err,
		     size_t errlen)
{
	size_t cap = POLICY_MAX_SIZE + 1; /* one more: a file that grew is seen */
	ssize_t n;
	int rc;

	*len = 0;
	*buf = malloc(cap);
	if (!*buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (*len < cap) {
		n = read(fd, *buf + *len, cap - *len);
		if (n == 0)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = -errno;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			return rc;
		}
		*len += (size_t)n;
	}
	snprintf(err, errlen, "%s: refused: larger than %d bytes", path, POLICY_MAX_SIZE);
	return -EFBIG;
}

/*
 * Directory dir[0..len) of the policy's path, open as fd: refused unless
 * root owns it and nobody else can replace its entries.  Group or other
 * write is allowed only with the sticky bit (as /tmp), which keeps others
 * from renaming or removing root's entries.
 */
static int check_dir(int fd, const char *path, const char *dir, int len, char *err,
		     size_t errlen)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st)) {
		rc = -errno;
		snprintf(err, errlen, "%s: %.*s: %s", path, len, dir, strerror(-rc));
		return rc;
	}
	if (S_ISLNK(st.st_mode)) {
		snprintf(err, errlen,
			 "%s: refused: %.*s is a symbolic link; give the path without links "
			 "(as realpath(1) prints it)", path, len, dir);
		return -ELOOP;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %.*s: %s", path, len, dir, strerror(ENOTDIR));
		return -ENOTDIR;
	}
	if (st.st_uid != 0) {
		snprintf(err, errlen,
			 "%s: refused: directory %.*s is owned by uid %u, and whoever owns it can "
			 "replace the policy; chown root %.*s, or keep the policy elsewhere",
			 path, len, dir, (unsigned int)st.st_uid, len, dir);
		return -EPERM;
	}
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !(st.st_mode & S_ISVTX)) {
		snprintf(err, errlen,
			 "%s: refused: directory %.*s is writable by group or others (mode %04o), "
			 "who could replace the policy; chmod go-w %.*s",
			 path, len, dir, (unsigned int)(st.st_mode & 07777), len, dir);
		return -EPERM;
	}
	return 0;
}

/* path made absolute with the working directory (which getcwd() gives without links). */
static int absolute(const char *path, char **abs, char *err, size_t errlen)
{
	char cwd[PATH_MAX];
	int rc;

	*abs = NULL;
	if (path[0] == '/') {
		*abs = strdup(path);
	} else if (!getcwd(cwd, sizeof(cwd))) {
		rc = -errno;
		snprintf(err, errlen, "%s: the working directory: %s", path, strerror(-rc));
		return rc;
	} else if (asprintf(abs, "%s/%s", cwd, path) < 0) {
		*abs = NULL;
	}
	if (!*abs) {
		snprintf(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Open the policy file path for reading, walking from / one component at a
 * time (openat with O_NOFOLLOW), each directory checked on its descriptor
 * before the next is looked up in it.  The fd, or -errno with err set.
 */
static int open_checked(const char *path, char *err, size_t errlen)
{
	const char *c, *next;
	char *abs, name[NAME_MAX + 1];
	int dirfd, fd = -1, rc;
	size_t n;

	rc = absolute(path, &abs, err, errlen);
	if (rc)
		return rc;
	dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	rc = dirfd < 0 ? -errno : check_dir(dirfd, path, "/", 1, err, errlen);
	if (dirfd < 0)
		snprintf(err, errlen, "%s: /: %s", path, strerror(-rc));
	for (c = abs + strspn(abs, "/"); !rc; c = next + strspn(next, "/")) {
		n = strcspn(c, "/");
		next = c + n;
		if (n > NAME_MAX) {
			rc = -ENAMETOOLONG;
			snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			break;
		}
		memcpy(name, c, n);
		name[n] = '\0';
		if (!strcmp(name, "..")) {
			rc = -EINVAL;
			snprintf(err, errlen, "%s: refused: '..' in the path; give it without",
				 path);
			break;
		}
		if (!next[strspn(next, "/")]) { /* the file */
			/* O_NONBLOCK: a FIFO must not hang the open; check_file() refuses it */
			fd = openat(dirfd, n ? name : ".", O_RDONLY | O_NOFOLLOW | O_CLOEXEC |
				    O_NONBLOCK);
			rc = fd < 0 ? -errno : 0;
			if (rc == -ELOOP)
				snprintf(err, errlen, "%s: refused: a symbolic link", path);
			else if (rc)
				snprintf(err, errlen, "%s: %s", path, strerror(-rc));
			break;
		}
		if (!strcmp(name, "."))
			continue;
		fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		close(dirfd);
		dirfd = fd;
		rc = fd < 0 ? -errno : check_dir(fd, path, abs, (int)(next - abs), err, errlen);
		if (fd < 0)
			snprintf(err, errlen, "%s: %.*s: %s", path, (int)(next - abs), abs,
				 strerror(-rc));
	}
	if (dirfd >= 0)
		close(dirfd);
	free(abs);
	return rc ? rc : fd;
}

/*
 * Each rule's exec program must be one that can be run, as --exec's is: a
 * hook that cannot start would be found only at the first conflict.
 */
static int check_programs(const struct policy *p, char *err, size_t errlen)
{
	const struct policy_rule *r;
	int rc;

	for (r = p->rules; r < p->rules + p->nrules; r++) {
		if (!r->exec || !(rc = program_find(r->exec[0])))
			continue;
		snprintf(err, errlen, "%s:%u: 'exec': '%s': %s", p->path, r->exec_line, r->exec[0],
			 program_error(rc));
		return rc;
	}
	return 0;
}

int policy_load(const char *path, struct policy **out, char *err, size_t errlen)
{
	char *buf = NULL;
	size_t len;
	int fd, rc;

	*out = NULL;
	fd = open_checked(path, err, errlen);
	if (fd < 0)
		return fd;
	rc = check_file(fd, path, err, errlen);
	if (!rc)
		rc = read_file(fd, path, &buf, &len, err, errlen);
	close(fd);
	/* only now may a message quote the file */
	if (!rc)
		rc = policy_parse(path, buf, len, out, err, errlen);
	free(buf);
	if (!rc && (rc = check_programs(*out, err, errlen))) {
		policy_free(*out);
		*out = NULL;
	}
	return rc;
}

