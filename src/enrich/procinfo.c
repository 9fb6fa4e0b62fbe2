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
 *
 * A holder's identity (struct proc_identity: start time, the executable's
 * device and inode, real, effective and saved uids) is read with the rest
 * and read again before each signal a reclaim sends; comparing the two
 * (procinfo_identity_changes(), pure) tells a process that exec'd another
 * program or changed users since the decision from the one decided about.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
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
#include "workload.h"

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

/* The executable's device and inode into id; false when unreadable (or none). */
static bool stat_exe(int dirfd, struct proc_identity *id)
{
	struct stat st;

	if (fstatat(dirfd, "exe", &st, 0))
		return false;
	id->exe_dev = st.st_dev;
	id->exe_ino = st.st_ino;
	return true;
}

/*
 * The executable's path, and its device and inode into id, unless it is no
 * longer the one with inode ino (0: any).  Without its device and inode
 * there is no path either: a path alone cannot tell an exec'd program from
 * the one named.
 */
static char *read_exe(int dirfd, uint64_t ino, struct proc_identity *id)
{
	char buf[PATH_MAX];
	ssize_t n;

	if (!stat_exe(dirfd, id) || (ino && id->exe_ino != ino)) {
		id->exe_dev = id->exe_ino = 0;
		return NULL;
	}
	n = readlinkat(dirfd, "exe", buf, sizeof(buf) - 1);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return strdup(buf);
}

/*
 * The real, effective and saved uids on the "Uid:" line of /proc/PID/status
 * (the fourth is the filesystem uid) into id; unknown when unreadable.
 */
static void read_uids(int dirfd, struct proc_identity *id)
{
	char *status = read_at(dirfd, "status", 4096, NULL), *p;
	unsigned long r, e, s;

	p = status ? strstr(status, "\nUid:") : NULL;
	if (p && sscanf(p + strlen("\nUid:"), " %lu %lu %lu", &r, &e, &s) == 3) {
		id->ruid = r;
		id->euid = e;
		id->suid = s;
	}
	free(status);
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

/*
 * unit, user_unit, container and workload from pi->cgroup, of which
 * sys_len bytes are the system's
 */
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
	pi->workload = workload_of_cgroup(pi->cgroup, sys_len);
}

void procinfo_read(struct proc_info *pi, uint32_t pid, uint64_t start_ns,
		   uint64_t cgroup_id, uint64_t exe_ino, unsigned int what)
{
	uint64_t ticks = procinfo_ticks(start_ns);
	unsigned long flags = 0;
	char path[PATH_MAX];
	size_t sys_len = 0;
	int dirfd;

	memset(pi, 0, sizeof(*pi));
	pi->id = PROC_IDENTITY_UNKNOWN;
	/* the id the kernel recorded is the cgroup at the time of the call */
	if (!cgroup_path_from_id(cgroup_id, path, sizeof(path), &sys_len))
		pi->cgroup = strdup(path);

	dirfd = open_pid_dir(pid);
	if (dirfd < 0 || !same_process(dirfd, ticks, &flags)) {
		pi->exited = true;
	} else {
		pi->id.start_ticks = ticks;
		pi->exe = read_exe(dirfd, exe_ino, &pi->id);
		/* no exe: exec'd since the call, so this cmdline is another program's */
		if ((what & PROCINFO_CMDLINE) && (pi->exe || !exe_ino))
			read_cmdline(pi, dirfd);
		if (!pi->cgroup && (pi->cgroup = read_cgroup_file(dirfd)))
			sys_len = cgroup_system_len(pi->cgroup);
		if (what & PROCINFO_IDENTITY) {
			pi->id.kthread = flags & PF_KTHREAD;
			read_uids(dirfd, &pi->id);
		}
		/* the process may have exited while we read */
		pi->exited = !same_process(dirfd, ticks, NULL);
	}
	if (dirfd >= 0)
		close(dirfd);
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

int procinfo_identity(uint32_t pid, uint64_t start_ns, struct proc_identity *id)
{
	uint64_t ticks = procinfo_ticks(start_ns);
	int dirfd = open_pid_dir(pid);
	unsigned long flags = 0;
	bool same;

	*id = PROC_IDENTITY_UNKNOWN;
	if (dirfd < 0)
		return -ESRCH;
	same = same_process(dirfd, ticks, &flags);
	if (same) {
		id->start_ticks = ticks;
		id->kthread = flags & PF_KTHREAD;
		/* the executable first, the uids after: as procinfo_read() */
		stat_exe(dirfd, id);
		read_uids(dirfd, id);
		/* reads through dirfd fail once the process is gone: recheck it ran on */
		same = same_process(dirfd, ticks, NULL);
	}
	close(dirfd);
	return same ? 0 : -ESRCH;
}

/* Whether uid a is known and b is it. */
static bool same_uid(int64_t a, int64_t b)
{
	return a >= 0 && a == b;
}

unsigned int procinfo_identity_changes(const struct proc_identity *then,
				       const struct proc_identity *now)
{
	unsigned int c = 0;

	if (then->start_ticks != now->start_ticks)
		c |= PROC_CHANGED_START;
	if (!then->exe_ino || then->exe_ino != now->exe_ino || then->exe_dev != now->exe_dev)
		c |= PROC_CHANGED_EXE;
	if (!same_uid(then->ruid, now->ruid))
		c |= PROC_CHANGED_RUID;
	if (!same_uid(then->euid, now->euid))
		c |= PROC_CHANGED_EUID;
	if (!same_uid(then->suid, now->suid))
		c |= PROC_CHANGED_SUID;
	return c;
}

/* "65534, 65534, 0": id's real, effective and saved uids, "?" for one unknown. */
static void uids_text(char *buf, size_t len, const struct proc_identity *id)
{
	const int64_t uids[] = { id->ruid, id->euid, id->suid };
	size_t i, n = 0;

	buf[0] = '\0';
	for (i = 0; i < ARRAY_SIZE(uids) && n < len; i++)
		n += uids[i] < 0 ? snprintf(buf + n, len - n, "%s?", i ? ", " : "") :
		     snprintf(buf + n, len - n, "%s%lld", i ? ", " : "", (long long)uids[i]);
}

/* Room for "4294967295, 4294967295, 4294967295". */
#define UIDS_TEXT_LEN 40

/* Append a clause to buf[0..*n), after "; " unless it is the first. */
__attribute__((format(printf, 4, 5)))
static void clause(char *buf, size_t len, size_t *n, const char *fmt, ...)
{
	va_list ap;

	if (*n >= len)
		return;
	if (*n)
		*n += snprintf(buf + *n, len - *n, "; ");
	if (*n >= len)
		return;
	va_start(ap, fmt);
	*n += vsnprintf(buf + *n, len - *n, fmt, ap);
	va_end(ap);
}

void procinfo_identity_explain(char *buf, size_t len, unsigned int changes,
			       const struct proc_identity *then,
			       const struct proc_identity *now)
{
	char was[UIDS_TEXT_LEN], is[UIDS_TEXT_LEN];
	size_t n = 0;

	buf[0] = '\0';
	if (changes & PROC_CHANGED_START)
		clause(buf, len, &n, "its start time changed (its pid is another process's)");
	if (changes & PROC_CHANGED_EXE)
		clause(buf, len, &n, "it exec'd another program (its executable changed)");
	if (changes & (PROC_CHANGED_RUID | PROC_CHANGED_EUID | PROC_CHANGED_SUID)) {
		uids_text(was, sizeof(was), then);
		uids_text(is, sizeof(is), now);
		clause(buf, len, &n, "its uids (real, effective, saved) %s are now %s", was, is);
	}
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

/* A copy of n bytes at s into *out (NULL for NULL): 0, or -ENOMEM. */
static int dup_bytes(char **out, const char *s, size_t n)
{
	*out = NULL;
	if (!s)
		return 0;
	*out = malloc(n);
	if (!*out)
		return -ENOMEM;
	memcpy(*out, s, n);
	return 0;
}

static int dup_str(char **out, const char *s)
{
	return dup_bytes(out, s, s ? strlen(s) + 1 : 0);
}

int procinfo_copy(struct proc_info *dst, const struct proc_info *src)
{
	/* cmdline and args: cmdline_len bytes and their NUL */
	size_t n = src->cmdline_len + 1;

	*dst = *src;
	dst->workload = NULL;
	if (dup_str(&dst->exe, src->exe) | dup_bytes(&dst->cmdline, src->cmdline, n) |
	    dup_bytes(&dst->args, src->args, n) | dup_str(&dst->cgroup, src->cgroup) |
	    dup_str(&dst->unit, src->unit) | dup_str(&dst->user_unit, src->user_unit) ||
	    (src->workload && !(dst->workload = workload_dup(src->workload)))) {
		procinfo_free(dst);
		return -ENOMEM;
	}
	return 0;
}

size_t procinfo_size(const struct proc_info *pi)
{
	size_t n = sizeof(*pi);

	n += pi->exe ? strlen(pi->exe) + 1 : 0;
	n += pi->cmdline ? 2 * (pi->cmdline_len + 1) : 0;
	n += pi->cgroup ? strlen(pi->cgroup) + 1 : 0;
	n += pi->unit ? strlen(pi->unit) + 1 : 0;
	n += pi->user_unit ? strlen(pi->user_unit) + 1 : 0;
	return n;
}

void procinfo_free(struct proc_info *pi)
{
	free(pi->exe);
	free(pi->cmdline);
	free(pi->args);
	free(pi->cgroup);
	free(pi->unit);
	free(pi->user_unit);
	workload_free(pi->workload);
	memset(pi, 0, sizeof(*pi));
}
