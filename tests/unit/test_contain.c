// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_contain.c - nothing a hook starts outlives it, on real processes: a
 * hook that leaves a background job, a setsid session and a double-forked
 * daemon behind exits, and all three are gone once it has ended, both in
 * a cgroup of its own (root, with cgroup.kill) and as child subreapers;
 * what a bindwatch that died left in its cgroups is killed at the next
 * start; and a program that cannot be run leaves nothing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>
#include "cgroup.h"
#include "contain.h"

#define TEST_DIR "bindwatch-test-contain" /* not a monitor's: never its hooks */
#define ESCAPEES 3
#define PASS_MS 10
#define WAIT_PASSES 1000 /* 10 s at most for anything below */
#define NSEC_PER_MSEC 1000000L

/* The hook: each of the three ways writes its pid to $0, then the hook exits. */
static const char *script =
	"sleep 300 & echo $! >> \"$0\"; "
	"setsid sleep 300 & echo $! >> \"$0\"; "
	"setsid sh -c 'sleep 300 & echo $! >> \"$0\"' \"$0\"; exit 0";

static void pass(void)
{
	struct timespec t = { .tv_nsec = PASS_MS * NSEC_PER_MSEC };

	nanosleep(&t, NULL);
}

/* Whether pid is a live process, not gone and not a zombie. */
static bool alive(pid_t pid)
{
	char path[64], buf[512], *state;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	state = strrchr(buf, ')');
	return state && state[1] == ' ' && state[2] != 'Z';
}

/* The escapees' pids, once the hook wrote them all. */
static void escapees(const char *file, pid_t pids[ESCAPEES])
{
	int i, n = 0, tries;
	FILE *f;

	for (tries = 0; tries < WAIT_PASSES && n < ESCAPEES; tries++, pass()) {
		f = fopen(file, "re");
		for (n = 0; f && n < ESCAPEES && fscanf(f, "%d", &pids[n]) == 1; n++)
			;
		if (f)
			fclose(f);
	}
	assert_int_equal(n, ESCAPEES);
	for (i = 0; i < ESCAPEES; i++)
		assert_true(pids[i] > 0);
}

static bool is_hook(void *arg, pid_t pid)
{
	const struct contained *k = arg;

	return k->pid == pid;
}

/* Run the hook contained by c; once it exits, end, reap and release it as hooks.c does. */
static void run_and_end(struct containment *c)
{
	char file[] = "/tmp/bw-contain-XXXXXX";
	char *argv[] = { "sh", "-c", (char *)script, file, NULL };
	char *envp[] = { "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL };
	struct contained k;
	const char *what;
	pid_t pids[ESCAPEES];
	siginfo_t si;
	int fd = mkstemp(file), i, tries;

	assert_true(fd >= 0);
	assert_int_equal(contain_spawn(c, argv, envp, fd, &k, &what), 0);
	escapees(file, pids);
	for (i = 0; i < ESCAPEES; i++)
		assert_true(alive(pids[i]));
	for (tries = 0; tries < WAIT_PASSES; tries++, pass()) {
		si.si_pid = 0;
		if (!waitid(P_PID, k.pid, &si, WEXITED | WNOHANG | WNOWAIT) && si.si_pid == k.pid)
			break;
	}
	assert_int_equal(si.si_pid, k.pid);
	assert_int_equal(contain_end(c, &k), 0);
	assert_int_equal(waitpid(k.pid, NULL, 0), k.pid);
	k.pid = 0;
	for (tries = 0; tries < WAIT_PASSES; tries++, pass())
		if (!contain_tend(c, is_hook, &k) && contain_release(c, &k) != -EBUSY)
			break;
	assert_int_equal(contain_release(c, &k), 0);
	for (i = 0; i < ESCAPEES; i++)
		assert_false(alive(pids[i]));
	close(fd);
	unlink(file);
}

static void subreaper_leaves_nothing(void **state)
{
	struct containment c = { 0 };
	char why[256];

	setenv(CONTAIN_TEST_NO_CGROUP, "1", 1);
	contain_init(&c, TEST_DIR, why, sizeof(why));
	unsetenv(CONTAIN_TEST_NO_CGROUP);
	assert_non_null(strstr(why, CONTAIN_TEST_NO_CGROUP));
	if (c.mode != CONTAIN_SUBREAPER)
		skip(); /* no /proc/PID/task/TID/children */
	run_and_end(&c);
	contain_fini(&c);
}

static void cgroup_leaves_nothing(void **state)
{
	struct containment c = { 0 };
	char why[256];

	contain_init(&c, TEST_DIR, why, sizeof(why));
	if (c.mode != CONTAIN_CGROUP) {
		print_message("skip: %s\n", why);
		skip();
	}
	run_and_end(&c);
	contain_fini(&c);
	assert_int_equal(access(c.dir, F_OK), -1); /* removed */
}

/* A process of ours in a hook-N of dir, as a bindwatch killed outright leaves it; or -1. */
static pid_t leftover(const char *dir, char *hook, size_t len)
{
	char own[PATH_MAX], procs[PATH_MAX + 16];
	pid_t pid;
	int fd;

	if (geteuid() || cgroup_self_dir(own, sizeof(own)))
		return -1;
	if (snprintf(hook, len, "%s/%s", own, dir) >= (int)len)
		return -1;
	mkdir(hook, 0755);
	if (snprintf(hook, len, "%s/%s/hook-7", own, dir) >= (int)len ||
	    snprintf(procs, sizeof(procs), "%s/cgroup.procs", hook) >= (int)sizeof(procs) ||
	    mkdir(hook, 0755) || (fd = open(procs, O_WRONLY)) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_true(dprintf(fd, "%d", (int)pid) > 0);
	close(fd);
	return pid;
}

static void leftovers_killed_at_start(void **state)
{
	struct containment c = { 0 };
	char why[256], hook[PATH_MAX];
	pid_t pid = leftover(TEST_DIR, hook, sizeof(hook));
	int status;

	if (pid < 0)
		skip(); /* not root, or no cgroup2 of our own to write */
	contain_init(&c, TEST_DIR, why, sizeof(why));
	if (c.mode != CONTAIN_CGROUP) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		rmdir(hook);
		print_message("skip: %s\n", why);
		skip();
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	assert_int_equal(access(hook, F_OK), -1); /* and its cgroup removed */
	contain_fini(&c);
}

static void cannot_run_leaves_nothing(void **state)
{
	char *argv[] = { "/nonexistent/bindwatch-hook", NULL };
	char *envp[] = { NULL };
	struct containment c = { 0 };
	struct contained k;
	const char *what;
	char why[256];

	/* what the tests before killed came to this process, a subreaper */
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
	contain_init(&c, TEST_DIR, why, sizeof(why));
	assert_int_equal(contain_spawn(&c, argv, envp, STDIN_FILENO, &k, &what), -ENOENT);
	assert_string_equal(what, "run");
	assert_int_equal(waitpid(-1, NULL, WNOHANG), -1); /* reaped already */
	assert_int_equal(errno, ECHILD);
	contain_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(subreaper_leaves_nothing),
		cmocka_unit_test(cgroup_leaves_nothing),
		cmocka_unit_test(leftovers_killed_at_start),
		cmocka_unit_test(cannot_run_leaves_nothing),
	};

	cgroup_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
