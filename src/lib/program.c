// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * program.c - find a hook's program as it will be run (program.h).
 *
 * It owns the lookup; it must not run anything.  A program that is there
 * but not runnable in one $PATH directory does not end the search: a
 * later one may be, as posix_spawnp() would find it.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "program.h"

#define DEFAULT_PATH "/bin:/usr/bin"

/* Whether path is a regular file this process may execute: 0, or -errno. */
static int runnable(const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	return faccessat(AT_FDCWD, path, X_OK, AT_EACCESS) ? -errno : 0;
}

int program_find(const char *prog)
{
	char *path, *save = NULL, *dir;
	char full[PATH_MAX];
	int err = -ENOENT, e;

	if (strchr(prog, '/'))
		return runnable(prog);
	if (!*prog)
		return -ENOENT;
	if (!(path = strdup(getenv("PATH") ? getenv("PATH") : DEFAULT_PATH)))
		return -ENOMEM;
	for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
		if (snprintf(full, sizeof(full), "%s/%s", dir, prog) >= (int)sizeof(full))
			continue;
		e = runnable(full);
		if (e != -ENOENT)
			err = e; /* found; or there, but not runnable: look on */
		if (!e)
			break;
	}
	free(path);
	return err;
}

const char *program_error(int err)
{
	return err == -ENOENT ? "no such program" : err == -ENOMEM ? "out of memory" :
	       "not an executable file";
}
