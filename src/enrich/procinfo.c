// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * procinfo.c - enrich a record with the requester's exe, command line and
 * cgroup, without ever describing the wrong process.
 *
 * It owns every read of another process's /proc entries; it must not trust
 * one it cannot tie to the process recorded.
 *
 * By the time userspace reads a record the requester may have exited and
 * its pid been reused.  Two guards: the start time the kernel recorded must
 * equal /proc/PID/stat's, and every later read goes through a descriptor of
 * the /proc/PID directory opened before that check.  Such a descriptor
 * stays bound to the process it was opened for: once that process is gone,
 * reads through it fail instead of showing a newcomer with the same pid.
 *
 * A command line is the process's own choice, megabytes of it if it likes,
 * so only its first cmdline_max bytes are kept (procinfo_set_cmdline_max(),
 * --cmdline-max), and the record says when it was cut.  It is kept twice:
 * joined by spaces (what policies match and older readers know) and as the
 * arguments themselves, to print them exactly.  Trailing empty arguments
 * are not kept: they cannot be told from the NUL padding a process that
 * rewrites its title (setproctitle(), as nginx) leaves behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "cgroup.h"
#include "procinfo.h"
#include "stallguard.h"
#include "util.h"

#define STAT_STATE_FIELD 3      /* proc(5): "state" */
#define STAT_FLAGS_FIELD 9      /* proc(5): "flags" */
#define STAT_STARTTIME_FIELD 22 /* proc(5): "starttime" */
#define PF_KTHREAD 0x00200000   /* include/linux/sched.h */
#define CGROUP_V2_PREFIX "0::"

static size_t cmdline_max = PROCINFO_CMDLINE_DEFAULT;

void procinfo_set_cmdline_max(size_t max)
{
	cmdline_max = max;
}

uint64_t procinfo_ticks(uint64_t ns)
{
	static long hz;

	if (!hz)
		hz = sysconf(_SC_CLK_TCK);
	return ns / (NSEC_PER_SEC / hz);
}

/* Read up to max bytes of dirfd/name into a new NUL-terminated buffer. */
static char *read_at(int dirfd, const char *name, size_t max, size_t *lenp)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n;
	char *buf;

	if (fd < 0)
		return NULL;
	buf = malloc(max + 1);
	while (buf && len < max && (n = read(fd, buf + len, max - len)) > 0)
		len += n;
	close(fd);
	if (buf)
		buf[len] = '\0';
	if (lenp)
		*lenp = len;
	return buf;
}

/* A descriptor of /proc/PID, or -1. */
static int open_pid_dir(uint32_t pid)
{
	char dir[32];

	snprintf(dir, sizeof(dir), "/proc/%u", pid);
	return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}


/*
 * Read /proc/PID/stat in dirfd: the state letter, the flags (proc(5) field
 * 9, PF_*) and the start time in clock ticks.  False when unreadable.
 */
static bool read_stat(int dirfd, char *state, unsigned long *flags, unsigned long long *start)
{
	char *stat = read_at(dirfd, "stat", 1024, NULL), *p;
	int field;

	/* comm may hold spaces and ')': the fields after it follow the last ')' */
	p = stat ? strrchr(stat, ')') : NULL;
	if (!p || sscanf(p + 1, " %c", state) != 1)
		p = NULL;
	/* each step moves p to the blank before the next field */
	for (field = STAT_STATE_FIELD - 1; p && field < STAT_STARTTIME_FIELD; field++) {
		p = strchr(p + 1, ' ');
		if (p && field + 1 == STAT_FLAGS_FIELD && sscanf(p, " %lu", flags) != 1)
			p = NULL;
	}
	p = p && sscanf(p, " %llu", start) == 1 ? p : NULL;
	free(stat);
	return p != NULL;
}

/*
 * Whether /proc/PID in dirfd is the process that started ticks after boot
 * and has not exited; its flags into *flags (may be NULL).
 */
static bool same_process(int dirfd, uint64_t ticks, unsigned long *flags)
{
	unsigned long long start;
	unsigned long f;
	char state;

	if (!read_stat(dirfd, &state, &f, &start) || start != ticks || state == 'Z' || state == 'X')
		return false;
	if (flags)
		*flags = f;
	return true;
}

/*
 * A descriptor of /proc/PID if pid is still the process that started start_ns
 * after boot (not exited, not a zombie), or -1.
 */
static int open_same_process(uint32_t pid, uint64_t start_ns)
{
	int dirfd = open_pid_dir(pid);

	if (dirfd >= 0 && !same_process(dirfd, procinfo_ticks(start_ns), NULL)) {
		close(dirfd);
		return -1;
	}
	return dirfd;
}

/* The executable's path, unless it is no longer the one with inode ino. */
static char *read_exe(int dirfd, uint64_t ino)
{
	char buf[PATH_MAX];
	struct stat st;
	ssize_t n;

	if (ino && (fstatat(dirfd, "exe", &st, 0) || st.st_ino != ino))
		return NULL;
	n = readlinkat(dirfd, "exe", buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/*
 * Keep the NUL-separated argv in s[0..len) (s has room for len + 1 bytes)
 * as pi's args and, joined by spaces, its cmdline; free s and keep neither
 * when it is empty, as for kernel threads and zombies.
 */
static void set_args(struct proc_info *pi, char *s, size_t len)
{
	size_t i;

	while (len && s[len - 1] == '\0')
		len--;
	if (!len || !(pi->cmdline = malloc(len + 1))) {
		free(s);
		return;
	}
	s[len] = '\0';
	for (i = 0; i < len; i++)
		pi->cmdline[i] = s[i] ? s[i] : ' ';
	pi->cmdline[len] = '\0';
	pi->args = s;
	pi->cmdline_len = len;
}

/*
 * One byte past the limit is read, to tell a cut command line from a whole
 * one.  The read is of the process's memory, which it can make block: it is
 * given STALLGUARD_WAIT_MS (stallguard.c), then the command line is unknown.
 */
static void read_cmdline(struct proc_info *pi, int dirfd)
{
	int fd = openat(dirfd, "cmdline", O_RDONLY | O_CLOEXEC), err;
	size_t len = 0;
	char *s = fd < 0 ? NULL : stallguard_read(fd, cmdline_max + 1, STALLGUARD_WAIT_MS, &len, &err);

	if (!s)
		return;
	pi->cmdline_truncated = len > cmdline_max;
	set_args(pi, s, pi->cmdline_truncated ? cmdline_max : len);
}

void procinfo_args(struct proc_info *pi, const char *args, size_t len, bool cut)
{
	char *s;

	if (pi->cmdline || !len)
		return;
	if (len > cmdline_max) {
		len = cmdline_max;
		cut = true;
	}
	s = malloc(len + 1);
	if (!s)
		return;
	memcpy(s, args, len);
	set_args(pi, s, len);
	pi->cmdline_truncated = pi->cmdline && cut;
}

/* The cgroup v2 line of /proc/PID/cgroup, "0::/path". */
static char *read_cgroup_file(int dirfd)
{
	char *s = read_at(dirfd, "cgroup", 64 * 1024, NULL), *line, *save = NULL, *path = NULL;

	for (line = s ? strtok_r(s, "\n", &save) : NULL; line; line = strtok_r(NULL, "\n", &save))
		if (!strncmp(line, CGROUP_V2_PREFIX, strlen(CGROUP_V2_PREFIX))) {
			path = strdup(line + strlen(CGROUP_V2_PREFIX));
			break;
		}
	free(s);
	return path;
}

/* unit, user_unit and container from pi->cgroup, of which sys_len bytes are the system's */
static void describe_cgroup(struct proc_info *pi, size_t sys_len)
{
	char unit[NAME_MAX + 1];

	if (!pi->cgroup)
		return;
	if (!cgpath_unit(pi->cgroup, sys_len, unit, sizeof(unit)))
		pi->unit = strdup(unit);
	if (!cgpath_user_unit(pi->cgroup, sys_len, unit, sizeof(unit)))
		pi->user_unit = strdup(unit);
	if (cgpath_container(pi->cgroup, sys_len, pi->container))
		pi->container[0] = '\0';
}

void procinfo_read(struct proc_info *pi, uint32_t pid, uint64_t start_ns,
		   uint64_t cgroup_id, uint64_t exe_ino, bool cmdline)
{
	char path[PATH_MAX];
	size_t sys_len = 0;
	int dirfd;

	memset(pi, 0, sizeof(*pi));
	/* the id the kernel recorded is the cgroup at the time of the call */
	if (!cgroup_path_from_id(cgroup_id, path, sizeof(path), &sys_len))
		pi->cgroup = strdup(path);

	dirfd = open_same_process(pid, start_ns);
	if (dirfd < 0) {
		pi->exited = true;
	} else {
		pi->exe = read_exe(dirfd, exe_ino);
		/* no exe: exec'd since the call, so this cmdline is another program's */
		if (cmdline && (pi->exe || !exe_ino))
			read_cmdline(pi, dirfd);
		if (!pi->cgroup && (pi->cgroup = read_cgroup_file(dirfd)))
			sys_len = cgroup_system_len(pi->cgroup);
		/* the process may have exited while we read */
		pi->exited = !same_process(dirfd, procinfo_ticks(start_ns), NULL);
		close(dirfd);
	}
	describe_cgroup(pi, sys_len);
}

int procinfo_open_netns(uint32_t pid, uint64_t start_ns)
{
	int dirfd = open_same_process(pid, start_ns), fd;

	if (dirfd < 0)
		return -1;
	fd = openat(dirfd, "ns/net", O_RDONLY | O_CLOEXEC);
	close(dirfd);
	return fd < 0 ? -1 : fd;
}

bool procinfo_alive(uint32_t pid, uint64_t start_ns)
{
	int dirfd = open_same_process(pid, start_ns);

	if (dirfd < 0)
		return false;
	close(dirfd);
	return true;
}

int procinfo_pidfd(uint32_t pid, uint64_t start_ns)
{
	int pidfd = syscall(SYS_pidfd_open, pid, 0), dirfd;

	if (pidfd < 0)
		return -errno;
	/* checked after the pidfd pins the process: the pid may be reused by now */
	dirfd = open_same_process(pid, start_ns);
	if (dirfd < 0) {
		close(pidfd);
		return -ESRCH;
	}
	close(dirfd);
	return pidfd;
}

bool procinfo_runs(uint32_t pid, uint64_t start_ns, const char *exe)
{
	int dirfd = open_same_process(pid, start_ns);
	char *now;
	bool same;

	if (dirfd < 0)
		return false;
	now = read_exe(dirfd, 0);
	close(dirfd);
	same = now && exe && !strcmp(now, exe);
	free(now);
	return same;
}

/* The real uid on the "Uid:" line of /proc/PID/status, or -1. */
static int64_t read_uid(int dirfd)
{
	char *status = read_at(dirfd, "status", 4096, NULL), *p;
	unsigned long uid;
	int64_t v = -1;

	p = status ? strstr(status, "\nUid:") : NULL;
	if (p && sscanf(p + 5, " %lu", &uid) == 1)
		v = uid;
	free(status);
	return v;
}

int procinfo_identity(uint32_t pid, uint64_t start_ns, int64_t *uid, bool *kthread)
{
	int dirfd = open_pid_dir(pid);
	unsigned long flags = 0;
	bool same;

	if (dirfd < 0)
		return -ESRCH;
	*uid = read_uid(dirfd);
	same = same_process(dirfd, procinfo_ticks(start_ns), &flags);
	close(dirfd);
	if (!same)
		return -ESRCH;
	*kthread = flags & PF_KTHREAD;
	return 0;
}

static uint32_t own_ns(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : st.st_ino;
}

uint32_t procinfo_own_netns(void)
{
	return own_ns("/proc/self/ns/net");
}

uint32_t procinfo_own_pidns(void)
{
	return own_ns("/proc/self/ns/pid");
}

void procinfo_free(struct proc_info *pi)
{
	free(pi->exe);
	free(pi->cmdline);
	free(pi->args);
	free(pi->cgroup);
	free(pi->unit);
	free(pi->user_unit);
	memset(pi, 0, sizeof(*pi));
}
