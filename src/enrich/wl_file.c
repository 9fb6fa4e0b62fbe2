// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wl_file.c - open, read and take apart a container runtime's file
 * (wl_file.h).
 *
 * It owns how a runtime's file is trusted and read; it must not decide
 * which file names which container (the readers do).
 *
 * Whoever can start a container chooses its name, image and labels, and
 * a runtime writes them into its files: so those files are data, never
 * trusted beyond their owner.  A file is taken only when root owns it and
 * only root may write it, opened without following a link (O_NOFOLLOW)
 * or blocking on a FIFO (O_NONBLOCK, then S_ISREG), and read up to a
 * limit through the stall guard: a runtime's directory is root's, but a
 * read the capture thread waits for is bounded all the same.  Strings are
 * taken only whole: a name too long to keep, or holding a NUL, is
 * unknown, never cut into another name.  Control bytes and the like are
 * kept as they are, for the writers to escape.  A file that is there but
 * refused is said once per kind of refusal: otherwise containers would
 * lose their names with nothing to tell why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "log.h"
#include "stallguard.h"
#include "util.h"
#include "wl_file.h"

/* Where each pod field is, in the CRI's annotations, then in the kubelet's labels. */
static const char *const pod_keys[][2] = {
	{ "io.kubernetes.cri.sandbox-name", "io.kubernetes.pod.name" },
	{ "io.kubernetes.cri.sandbox-namespace", "io.kubernetes.pod.namespace" },
	{ "io.kubernetes.cri.sandbox-uid", "io.kubernetes.pod.uid" },
	{ "io.kubernetes.cri.container-name", "io.kubernetes.container.name" },
};

int wl_path(char *buf, size_t len, const char *fmt, ...)
{
	const char *root = getenv(WL_ROOT_ENV);
	size_t n;
	va_list ap;
	int m;

	n = (size_t)snprintf(buf, len, "%s", root ? root : "");
	if (n >= len)
		return -ENAMETOOLONG;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, len - n, fmt, ap);
	va_end(ap);
	return m < 0 || (size_t)m >= len - n ? -ENAMETOOLONG : 0;
}

/* Whether st is a file only root may have written. */
static bool roots_own(const struct stat *st)
{
	return S_ISREG(st->st_mode) && st->st_uid == 0 && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

/* Why a file that is there was not read, in words: once per kind, for the operator. */
static const struct {
	int err;
	const char *why;
} refusals[] = {
	{ -EPERM, "not a regular file that only root may write" },
	{ -EFBIG, "over its size limit" },
	{ -EINVAL, "not JSON" },
	{ -ETIMEDOUT, "its read did not finish in time" },
};

static void say_once(const char *path, int err)
{
	static bool said[ARRAY_SIZE(refusals)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(refusals); i++)
		if (refusals[i].err == err && !__atomic_exchange_n(&said[i], true, __ATOMIC_RELAXED))
			warn("%s: %s; containers whose runtime keeps such a file are named "
			     "by their id only", path, refusals[i].why);
}

static json_t *load(const char *path, size_t max, int *err)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	json_error_t jerr;
	struct stat st;
	size_t len = 0;
	json_t *j;
	char *buf;

	if (fd < 0) {
		*err = errno == ELOOP ? -EPERM : -errno;
		return NULL;
	}
	if (fstat(fd, &st)) {
		*err = -errno;
		close(fd);
		return NULL;
	}
	*err = !roots_own(&st) ? -EPERM : (size_t)st.st_size > max ? -EFBIG : 0;
	if (*err) {
		close(fd);
		return NULL;
	}
	/* one byte more than fstat() said tells a file that grew meanwhile */
	buf = stallguard_read(fd, (size_t)st.st_size + 1, STALLGUARD_WAIT_MS, &len, err);
	if (!buf)
		return NULL;
	j = len > (size_t)st.st_size ? NULL : json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	*err = len > (size_t)st.st_size ? -EAGAIN : j ? 0 : -EINVAL;
	free(buf);
	return j;
}

json_t *wl_load(const char *path, size_t max, int *err)
{
	json_t *j = load(path, max, err);

	if (!j)
		say_once(path, *err);
	return j;
}

char *wl_strv(const json_t *v)
{
	const char *s = json_string_value(v);
	size_t n = s ? json_string_length(v) : 0;

	if (!n || n > WL_STR_MAX || strlen(s) != n)
		return NULL;
	return strdup(s);
}

char *wl_str(const json_t *obj, const char *key)
{
	return wl_strv(json_is_object(obj) ? json_object_get(obj, key) : NULL);
}

/* Field i of the pod keys: the CRI's, else the kubelet's. */
static char *pod_field(const json_t *map, size_t i)
{
	char *s = wl_str(map, pod_keys[i][0]);

	return s ? s : wl_str(map, pod_keys[i][1]);
}

void wl_pod_fill(struct workload_pod *pod, const json_t *map)
{
	char **fields[] = { &pod->name, &pod->namespace, &pod->uid, &pod->container };
	size_t i;

	_Static_assert(ARRAY_SIZE(fields) == ARRAY_SIZE(pod_keys), "a key pair per field");
	for (i = 0; map && i < ARRAY_SIZE(fields); i++)
		if (!*fields[i])
			*fields[i] = pod_field(map, i);
}
