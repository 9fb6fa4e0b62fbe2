// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * instance.c - the monitor lock: one bindwatch monitor per host.
 *
 * Two monitors would each attach to every bind() on the host, double every
 * record and alert, and fight over the pins `bindwatch who` reads (the
 * second replaced the first's, and removed them when it stopped).  So a
 * monitor takes an exclusive flock(2) on a file under /run, which only
 * root can write, before it loads anything, and holds it until it exits;
 * a second one is refused, naming the pid that holds the lock.  The lock
 * belongs to the open file, not to the file's existence, so a monitor
 * killed with SIGKILL leaves nothing to clean up: the kernel drops its
 * lock, and the next monitor, as the only one, removes whatever pins were
 * left behind (holders_pin()).  The descriptor is close-on-exec: a hook
 * that outlives bindwatch must not keep the lock.
 *
 * The file is opened without following links and must be a regular file
 * owned by root, so nothing another user placed there is written to.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include "instance.h"
#include "log.h"

#define LOCK_MODE 0644
#define PID_TEXT_LEN 24

/* The pid the lock holder wrote into fd, or 0 when unreadable. */
static long holder_pid(int fd)
{
	char buf[PID_TEXT_LEN] = "";
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

/* Replace the file's contents with our pid, for the next one's message. */
static int write_pid(int fd)
{
	char buf[PID_TEXT_LEN];
	int len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(fd, 0) || pwrite(fd, buf, len, 0) != len)
		return errno ? -errno : -EIO;
	return 0;
}

static int check_file(int fd, const char *path)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		warn("refusing the lock file %s: not a regular file owned by uid %u; remove it",
		     path, (unsigned int)geteuid());
		return -EPERM;
	}
	return 0;
}

int instance_lock(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, LOCK_MODE);
	int err;
	long pid;

	if (fd < 0) {
		err = -errno;
		warn("cannot open the lock file %s: %s", path,
		     err == -ELOOP ? "a symbolic link, refused" : strerror(-err));
		return err;
	}
	err = check_file(fd, path);
	if (!err && flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		pid = err == -EBUSY ? holder_pid(fd) : 0;
		if (err != -EBUSY)
			warn("cannot lock %s: %s", path, strerror(-err));
		else if (pid > 0)
			warn("another bindwatch monitor is running (pid %ld, lock %s); "
			     "stop it first", pid, path);
		else
			warn("another bindwatch monitor is running (lock %s); stop it first", path);
	}
	if (!err && (err = write_pid(fd)))
		warn("cannot write to the lock file %s: %s", path, strerror(-err));
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}
