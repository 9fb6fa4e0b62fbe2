// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * nsarg.c - --netns PATH|NAME|PID | --pid PID, for the one-shot commands.
 *
 * It owns opening the namespace a user named; it must not enter it (the
 * holder lookup does, from a thread of its own).
 *
 * The file must be a network namespace (NS_GET_NSTYPE), not just any file:
 * a mistyped path must not silently answer for bindwatch's own namespace.
 * A --netns without a slash is a name of `ip netns` (/run/netns/NAME), or
 * when all digits and no such name exists, a process id as with --pid.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/nsfs.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "netns.h"
#include "nsarg.h"
#include "usage.h"

#define PROC_NS_PATH_LEN 64

/* --netns NAME or PID: the file it names, into buf (len bytes); NULL when name is a path. */
static const char *by_name(const char *name, char *buf, size_t len)
{
	struct stat st;

	if (strchr(name, '/'))
		return NULL;
	snprintf(buf, len, "%s/%s", NETNS_DIR, name);
	if (strspn(name, "0123456789") == strlen(name) && stat(buf, &st))
		snprintf(buf, len, "/proc/%s/ns/net", name);
	return buf;
}

int nsarg_open(const char *cmd, const char *page, const char *path, const char *pid, int *fd,
	       __u32 *ino)
{
	char buf[PROC_NS_PATH_LEN + NETNS_NAME_LEN];
	const char *p = path;
	struct stat st;

	if (path && *path && strcmp(path, ".") && strcmp(path, "..") && by_name(path, buf, sizeof(buf)))
		p = buf;
	if (pid) {
		char *end;
		long v = strtol(pid, &end, 10);

		if (*end || end == pid || v < 1) {
			usage_error(page, "%s: --pid: '%s': expected a process id", cmd, pid);
			return -EINVAL;
		}
		snprintf(buf, sizeof(buf), "/proc/%ld/ns/net", v);
		p = buf;
	}
	*fd = -1;
	if (!p)
		return 0;
	*fd = open(p, O_RDONLY | O_CLOEXEC);
	if (*fd < 0) {
		int err = -errno;

		warn("%s: cannot open '%s': %s", cmd, p, strerror(-err));
		return err;
	}
	if (fstat(*fd, &st) || ioctl(*fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		usage_error(page, "%s: '%s': not a network namespace", cmd, p);
		close(*fd);
		*fd = -1;
		return -EINVAL;
	}
	*ino = st.st_ino;
	return 0;
}
