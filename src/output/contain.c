// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * contain.c - where an alert hook's processes live, and how they all end.
 *
 * It owns the hooks' cgroups, bindwatch as a subreaper and the orphans it
 * adopts, and the fork and exec of a hook; it must not decide when a hook
 * starts or ends (hooks.c does), nor report (it returns -errno).
 *
 * A hook is the operator's program, but it runs on any user's conflict and
 * does what programs do: leave children behind with & or nohup, start a
 * session of its own with setsid, daemonize with a double fork.  Nothing it
 * starts may outlive its run, nor bindwatch.  So, the best way first:
 *
 * - A cgroup of its own, where the kernel has cgroup.kill (Linux 5.14):
 *   hook-N in CONTAIN_DIR, a directory in bindwatch's own cgroup v2.  The
 *   child writes itself into hook-N before exec, so all it starts is born
 *   inside; at its end one write of "1" to cgroup.kill SIGKILLs them all,
 *   whatever session or group they made, and hook-N is removed once
 *   cgroup.events says "populated 0", checked on later passes, never waited
 *   for.  No controller is enabled, so bindwatch may stay in the cgroup
 *   above them (the kernel's no-internal-process rule is about
 *   controllers); a service manager must delegate that cgroup (systemd:
 *   Delegate=).  A CONTAIN_DIR left by a bindwatch that died has its
 *   processes killed at start.
 *
 * - Otherwise (no cgroup2, a read-only one as in most containers, an older
 *   kernel, or CONTAIN_TEST_NO_CGROUP set): child subreapers.  Each hook is
 *   made a subreaper before exec, so while it runs, the orphans of its
 *   descendants are re-parented to it and stay its own; when it ends they
 *   all come to bindwatch, a subreaper too, whose only children besides
 *   its hooks are such orphans.  They are found in /proc/self/task/(*)/
 *   children, killed with their process groups and reaped, level by level
 *   as each dies and its own children come up.  A process is signalled
 *   only while it is our unreaped child, and a group only by the id its
 *   leader's pid, our child, holds: no id can have been reused.  Without
 *   the children files (CONFIG_PROC_CHILDREN) only the hook's process group
 *   is killed (CONTAIN_GROUP), and a child that leaves it outlives the hook.
 *
 * Either way the hook runs in a process group of its own (a Ctrl-C meant
 * for bindwatch does not reach it), killed at its end too.  A hook running
 * as root can still hand work to something outside on purpose (systemd-run,
 * at, writing itself into another cgroup): the operator's program chose it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "cgroup.h"
#include "contain.h"
#include "util.h"

#define CGROUP_MODE 0755
#define NAME_TRIES 64             /* hook-N names taken by leftovers skipped */
#define EVENTS_LEN 256            /* cgroup.events: "populated 0\nfrozen 0\n" */
#define PROC_PATH_LEN 64
#define GONE_WAIT_NS (1 * NSEC_PER_SEC) /* at start and stop: for cgroups to empty */
#define GONE_PASS_MS 10
#define EXIT_CANNOT_RUN 127       /* as a shell says it */

/* What a child that could not exec tells its parent through the pipe. */
struct spawn_failure {
	int exec;  /* 0: joining its cgroup or becoming a subreaper failed */
	int err;   /* errno */
};

/* Write "1" to cgroup.kill of the cgroup at dirfd: SIGKILL to all it holds. */
static int cgroup_kill(int dirfd)
{
	int fd = openat(dirfd, "cgroup.kill", O_WRONLY | O_CLOEXEC), err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, "1", 1) != 1)
		err = -errno;
	close(fd);
	return err;
}

/* Whether the cgroup at dirfd (or one below) still holds a live process: 1, 0, or -errno. */
static int populated(int dirfd)
{
	int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC), err = 0;
	char buf[EVENTS_LEN];
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	if (n < 0)
		err = -errno;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	return strstr(buf, "populated 0") ? 0 : 1;
}

/* The hooks' parent left by a bindwatch that died: its hooks end now, their cgroups go. */
static void kill_leftovers(struct containment *c)
{
	struct timespec pass = { .tv_nsec = GONE_PASS_MS * NSEC_PER_MSEC };
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + GONE_WAIT_NS;
	int fd = dup(c->dirfd);
	struct dirent *e;
	DIR *d;

	cgroup_kill(c->dirfd);
	while (populated(c->dirfd) > 0 && now_ns(CLOCK_MONOTONIC) < deadline)
		nanosleep(&pass, NULL);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	/* what cannot be removed yet keeps its name: new hooks skip it */
	while ((e = readdir(d)))
		if (e->d_type == DT_DIR && e->d_name[0] != '.')
			unlinkat(c->dirfd, e->d_name, AT_REMOVEDIR);
	closedir(d);
}

/* dir in bindwatch's own cgroup, where cgroup.kill is: 0, or -errno and why. */
static int cgroup_setup(struct containment *c, const char *dir, char *why, size_t len)
{
	char own[PATH_MAX];
	bool existed;
	int err = cgroup_self_dir(own, sizeof(own));

	if (err) {
		snprintf(why, len, "no cgroup v2 of its own: %s", strerror(-err));
		return err;
	}
	if (snprintf(c->dir, sizeof(c->dir), "%s/%s", own, dir) >= (int)sizeof(c->dir)) {
		snprintf(why, len, "its cgroup's path is too long");
		return -ENAMETOOLONG;
	}
	existed = mkdir(c->dir, CGROUP_MODE) != 0;
	if (existed && errno != EEXIST)
		err = -errno;
	else if ((c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		err = -errno;
	if (err) {
		snprintf(why, len, "cannot create %s: %s", c->dir, strerror(-err));
		return err;
	}
	if (faccessat(c->dirfd, "cgroup.kill", W_OK, AT_EACCESS)) {
		err = -errno;
		snprintf(why, len, err == -ENOENT ? "the kernel has no cgroup.kill (Linux 5.14)" :
			 "cannot write %s/cgroup.kill: %s", c->dir, strerror(-err));
		close(c->dirfd);
		if (!existed)
			rmdir(c->dir);
		return err;
	}
	if (existed)
		kill_leftovers(c);
	return 0;
}

/* Whether orphans can be found (the children files) and bindwatch adopts them. */
static int subreaper_setup(void)
{
	char path[PROC_PATH_LEN];

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", (int)gettid());
	if (access(path, R_OK))
		return -errno;
	return prctl(PR_SET_CHILD_SUBREAPER, 1) ? -errno : 0;
}

void contain_init(struct containment *c, const char *dir, char *why, size_t len)
{
	why[0] = '\0';
	if (getenv(CONTAIN_TEST_NO_CGROUP))
		snprintf(why, len, "%s is set", CONTAIN_TEST_NO_CGROUP);
	else if (!cgroup_setup(c, dir, why, len)) {
		c->mode = CONTAIN_CGROUP;
		return;
	}
	c->mode = subreaper_setup() ? CONTAIN_GROUP : CONTAIN_SUBREAPER;
}

void contain_fini(struct containment *c)
{
	struct timespec pass = { .tv_nsec = GONE_PASS_MS * NSEC_PER_MSEC };
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + GONE_WAIT_NS;

	if (c->mode != CONTAIN_CGROUP)
		return;
	close(c->dirfd);
	/*
	 * EBUSY for a moment after the last hook-N went: it goes offline
	 * asynchronously.  In the root cgroup, whose directory is mode 0555,
	 * EACCES once capabilities are dropped: left empty, reused next time.
	 */
	while (rmdir(c->dir) && errno == EBUSY && now_ns(CLOCK_MONOTONIC) < deadline)
		nanosleep(&pass, NULL);
	c->mode = CONTAIN_GROUP;
}

static void remove_cgroup(struct containment *c, struct contained *k)
{
	close(k->cgfd);
	k->cgfd = -1;
	unlinkat(c->dirfd, k->name, AT_REMOVEDIR);
}

/* hook-N for k, and its cgroup.procs opened for writing into *procs: 0 or -errno. */
static int new_cgroup(struct containment *c, struct contained *k, int *procs)
{
	int tries, err = -EEXIST;

	for (tries = 0; tries < NAME_TRIES && err == -EEXIST; tries++) {
		snprintf(k->name, sizeof(k->name), "hook-%llu", (unsigned long long)c->next++);
		err = mkdirat(c->dirfd, k->name, CGROUP_MODE) ? -errno : 0;
	}
	if (err)
		return err;
	k->cgfd = openat(c->dirfd, k->name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	*procs = k->cgfd < 0 ? -1 : openat(k->cgfd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
	if (*procs >= 0)
		return 0;
	err = -errno;
	if (k->cgfd >= 0)
		remove_cgroup(c, k);
	else
		unlinkat(c->dirfd, k->name, AT_REMOVEDIR);
	return err;
}

/*
 * The child, from fork() to exec: only async-signal-safe calls, as
 * bindwatch has other threads.  Contained first, so that nothing it does
 * happens outside.  Never returns.
 */
static void child(enum contain_mode mode, int procs, int in, int report,
		  char *const argv[], char *const envp[])
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	struct spawn_failure f = { 0, 0 };
	sigset_t none;
	ssize_t n;

	/* "0": the writer itself */
	if ((procs >= 0 && write(procs, "0", 1) != 1) ||
	    (mode == CONTAIN_SUBREAPER && prctl(PR_SET_CHILD_SUBREAPER, 1)))
		goto fail;
	f.exec = 1;
	sigemptyset(&none);
	/* bindwatch ignores SIGPIPE; the hook should not.  A group of its own. */
	if (sigaction(SIGPIPE, &dfl, NULL) || sigprocmask(SIG_SETMASK, &none, NULL) ||
	    setpgid(0, 0) || dup2(in, STDIN_FILENO) < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0)
		goto fail;
	execvpe(argv[0], argv, envp);
fail:
	f.err = errno;
	/* should even this fail, the parent sees an exec, then status 127 */
	n = write(report, &f, sizeof(f));
	(void)n;
	_exit(EXIT_CANNOT_RUN);
}

/* The child's word on its exec: 0 (the pipe closed at exec), or -errno after reaping it. */
static int exec_result(int report, pid_t pid, const char **what)
{
	struct spawn_failure f;
	ssize_t n;

	do
		n = read(report, &f, sizeof(f));
	while (n < 0 && errno == EINTR);
	if (n != sizeof(f))
		return 0;
	waitpid(pid, NULL, 0);
	*what = f.exec ? "run" : "contain";
	return f.err ? -f.err : -EIO;
}

int contain_spawn(struct containment *c, char *const argv[], char *const envp[], int in,
		  struct contained *k, const char **what)
{
	int report[2], procs = -1, err = 0;

	*what = "contain";
	k->cgfd = -1;
	if (c->mode == CONTAIN_CGROUP && (err = new_cgroup(c, k, &procs)))
		return err;
	*what = "run";
	if (pipe2(report, O_CLOEXEC)) {
		err = -errno;
	} else {
		k->pid = fork();
		if (k->pid == 0)
			child(c->mode, procs, in, report[1], argv, envp);
		err = k->pid < 0 ? -errno : 0;
		close(report[1]);
		if (!err)
			err = exec_result(report[0], k->pid, what);
		close(report[0]);
	}
	if (procs >= 0)
		close(procs);
	if (err && k->cgfd >= 0)
		remove_cgroup(c, k);
	return err;
}

int contain_end(struct containment *c, struct contained *k)
{
	/* the hook is our child until reaped: neither id can have been reused */
	kill(-k->pid, SIGKILL);
	kill(k->pid, SIGKILL);
	if (c->mode == CONTAIN_SUBREAPER)
		c->orphans = true;
	return c->mode == CONTAIN_CGROUP ? cgroup_kill(k->cgfd) : 0;
}

int contain_release(struct containment *c, struct contained *k)
{
	int err;

	if (k->cgfd < 0)
		return 0;
	err = populated(k->cgfd);
	if (err > 0)
		return -EBUSY;
	if (!err && unlinkat(c->dirfd, k->name, AT_REMOVEDIR))
		err = -errno;
	if (err == -EBUSY)
		return err;
	close(k->cgfd);
	k->cgfd = -1;
	return err;
}

/* Thread tid's children that are not hooks: killed, and reaped once dead.  How many. */
static int kill_children_of(int tid, bool (*is_hook)(void *arg, pid_t pid), void *arg)
{
	char path[PROC_PATH_LEN];
	int pid, found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/children", tid);
	f = fopen(path, "re");
	if (!f)
		return 0; /* the thread ended: its children went to another */
	while (fscanf(f, "%d", &pid) == 1) {
		if (is_hook(arg, pid))
			continue;
		found++;
		/* our child, not reaped: its pid, and its group's id if it leads one, are its own */
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
		waitpid(pid, NULL, WNOHANG);
	}
	fclose(f);
	return found;
}

bool contain_tend(struct containment *c, bool (*is_hook)(void *arg, pid_t pid), void *arg)
{
	struct dirent *e;
	int found = 0;
	DIR *d;

	if (c->mode != CONTAIN_SUBREAPER || !c->orphans)
		return false;
	d = opendir("/proc/self/task");
	if (!d)
		return true; /* try again on the next pass */
	while ((e = readdir(d)))
		if (atoi(e->d_name) > 0)
			found += kill_children_of(atoi(e->d_name), is_hook, arg);
	closedir(d);
	/* a pass that found some looks again: their children come up as they die */
	c->orphans = found > 0;
	return c->orphans;
}
