// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * instance.c - the monitor lock: one bindwatch monitor per host.
 *
 * It owns the lock files; it must not load BPF.
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
 *
 * A root monitor in an empty root (a chroot, a minimal container: the
 * static binary needs nothing else) finds no /run; it makes it, as the
 * boot would have: root's, mode 0755 whatever the umask (other users read
 * /run/netns and the like).  Nothing is followed: mkdir(2) follows no
 * link, and what it made is opened without following one before its mode
 * is set.  Only /run is made: a monitor that is not root keeps its lock
 * in a directory that must already be its user's.
 *
 * A monitor that is not root (a service user with capabilities, bindwatch(8),
 * CAPABILITIES) cannot create files in /run: its lock is
 * /run/bindwatch/bindwatch.lock, in a directory its user owns
 * (RuntimeDirectory=bindwatch).  So is a root monitor's when that
 * directory is root's: the service's, where ProtectSystem=strict leaves
 * /run itself read-only.  So that a root monitor and a
 * capability-only one still exclude each other, each also locks the other's
 * lock file when it exists: opened read-only, never written, for flock(2)
 * alone.  Two starting at once each take their own lock first and then
 * fail on the other's: at worst both refuse, never both run.  The refusal
 * names the pid /proc/locks gives for the lock, not the one in the file:
 * a monitor that is not root cannot write its pid into root's file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <unistd.h>
#include "instance.h"
#include "log.h"

#define LOCK_MODE 0644
#define RUN_DIR_MODE 0755
#define PID_TEXT_LEN 24
#define LOCKS_LINE_LEN 256 /* a /proc/locks line */

/*
 * The pid holding the flock on fd, as /proc/locks names it (the pid written
 * in the file may be stale: a monitor that is not root cannot write root's
 * lock file), else the one the file holds, or 0.
 */
static long holder_pid(int fd)
{
	char buf[PID_TEXT_LEN] = "", line[LOCKS_LINE_LEN];
	unsigned int maj, min;
	unsigned long ino;
	struct stat st;
	long pid = 0;
	FILE *f = fstat(fd, &st) ? NULL : fopen("/proc/locks", "re");
	ssize_t n;

	while (f && !pid && fgets(line, sizeof(line), f))
		if (sscanf(line, "%*d: FLOCK %*s %*s %ld %x:%x:%lu", &pid, &maj, &min, &ino) != 4 ||
		    maj != major(st.st_dev) || min != minor(st.st_dev) || ino != st.st_ino)
			pid = 0;
	if (f)
		fclose(f);
	if (pid > 0)
		return pid;
	n = pread(fd, buf, sizeof(buf) - 1, 0);
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

/* Say that the lock on fd at path is held, by whom when the file tells. */
static void report_busy(int fd, const char *path)
{
	long pid = holder_pid(fd);

	if (pid > 0)
		warn("another bindwatch monitor is running (pid %ld, lock %s); "
		     "stop it first", pid, path);
	else
		warn("another bindwatch monitor is running (lock %s); stop it first", path);
}

/* Take this monitor's own lock at path, creating it, and write our pid. */
static int lock_own(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, LOCK_MODE);
	int err;

	if (fd < 0) {
		err = -errno;
		warn("cannot open the lock file %s: %s%s", path,
		     err == -ELOOP ? "a symbolic link, refused" : strerror(-err),
		     geteuid() && err != -ELOOP ? "; a monitor that is not root keeps its lock in "
		     INSTANCE_LOCK_DIR ", which must exist and be its user's "
		     "(RuntimeDirectory=bindwatch)" : "");
		return err;
	}
	err = check_file(fd, path);
	if (!err && flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			report_busy(fd, path);
		else
			warn("cannot lock %s: %s", path, strerror(-err));
	}
	if (!err && (err = write_pid(fd)))
		warn("cannot write to the lock file %s: %s", path, strerror(-err));
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

/*
 * Lock the other kind of monitor's lock file at path, if there is one:
 * its fd, -ENOENT when there is none, or another -errno (reported).
 */
static int lock_other(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC), err;
	struct stat st;

	if (fd < 0 && errno == ENOENT)
		return -ENOENT;
	if (fd < 0) {
		err = -errno;
		warn("cannot open the lock file %s to check for another monitor: %s", path,
		     err == -ELOOP ? "a symbolic link, refused" : strerror(-err));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		warn("refusing the lock file %s: not a regular file; remove it", path);
		close(fd);
		return -EPERM;
	}
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		err = errno == EWOULDBLOCK ? -EBUSY : -errno;
		if (err == -EBUSY)
			report_busy(fd, path);
		else
			warn("cannot lock %s: %s", path, strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

/* Make INSTANCE_RUN_DIR if it is missing (see the top of this file). */
static int make_run_dir(void)
{
	int fd, err = 0;

	if (mkdir(INSTANCE_RUN_DIR, RUN_DIR_MODE))
		return errno == EEXIST ? 0 : -errno;
	fd = open(INSTANCE_RUN_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchmod(fd, RUN_DIR_MODE))
		err = -errno;
	if (fd >= 0)
		close(fd);
	return err;
}

/*
 * This monitor's own lock file: in /run/bindwatch/ when not root, or when
 * that is root's directory (a root service's RuntimeDirectory=, the one
 * place it may write under ProtectSystem=strict); else /run/bindwatch.lock.
 */
static const char *own_path(void)
{
	struct stat st;

	if (geteuid() || (!stat(INSTANCE_LOCK_DIR, &st) && S_ISDIR(st.st_mode) && !st.st_uid))
		return INSTANCE_LOCK_DIR_FILE;
	return INSTANCE_LOCK_PATH;
}

int instance_lock(int fds[2])
{
	const char *own = own_path();
	int other, err;

	/* own_path() gives INSTANCE_LOCK_PATH to root alone */
	if (!strcmp(own, INSTANCE_LOCK_PATH) && (err = make_run_dir())) {
		warn("cannot create %s for the lock file %s: %s", INSTANCE_RUN_DIR, own,
		     strerror(-err));
		return err;
	}
	fds[0] = lock_own(own);
	if (fds[0] < 0)
		return fds[0];
	other = lock_other(strcmp(own, INSTANCE_LOCK_PATH) ? INSTANCE_LOCK_PATH : INSTANCE_LOCK_DIR_FILE);
	if (other < 0 && other != -ENOENT) {
		close(fds[0]);
		return other;
	}
	fds[1] = other;
	return 0;
}

void instance_unlock(const int fds[2])
{
	close(fds[0]);
	if (fds[1] >= 0)
		close(fds[1]);
}
