// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_procinfo.c - the pid-reuse guard the reclaimer signals through, on
 * real child processes: a pidfd is handed out only for the process that
 * started when the record says, and a signal through it reaches only that
 * process.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "procinfo.h"

/* A child that waits for a signal; its start time in ns since boot. */
static pid_t child(uint64_t *start_ns)
{
	unsigned long long ticks = 0;
	char path[64], buf[1024], *p;
	pid_t pid = fork();
	FILE *f;
	int field;

	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_non_null(fgets(buf, sizeof(buf), f));
	fclose(f);
	p = strrchr(buf, ')');
	assert_non_null(p);
	/* field 3 follows ')': step to field 22, the start time in clock ticks */
	for (field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	assert_non_null(p);
	assert_int_equal(sscanf(p, " %llu", &ticks), 1);
	*start_ns = ticks * (1000000000ULL / sysconf(_SC_CLK_TCK));
	return pid;
}

static void test_pidfd_refuses_other_start_time(void **state)
{
	uint64_t start;
	pid_t pid = child(&start);
	int status;

	/* the same pid, another start time: as after the pid was reused */
	assert_int_equal(procinfo_pidfd(pid, start + 1000000000ULL), -ESRCH);
	assert_int_equal(waitpid(pid, &status, WNOHANG), 0); /* untouched */
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void test_pidfd_signals_the_same_process(void **state)
{
	uint64_t start;
	pid_t pid = child(&start);
	int status, fd = procinfo_pidfd(pid, start);

	assert_true(fd >= 0);
	assert_int_equal(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	/* the process is gone (and reaped): the pidfd reaches nothing */
	assert_int_equal(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0), -1);
	assert_int_equal(errno, ESRCH);
	close(fd);
}

static void test_pidfd_exited(void **state)
{
	uint64_t start;
	pid_t pid = child(&start);
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	assert_int_equal(procinfo_pidfd(pid, start), -ESRCH);
}

static void test_identity(void **state)
{
	uint64_t start;
	pid_t pid = child(&start);
	int64_t uid = -2;
	bool kthread = true;
	int status;

	assert_int_equal(procinfo_identity(pid, start, &uid, &kthread), 0);
	assert_int_equal(uid, getuid());
	assert_false(kthread);
	assert_int_equal(procinfo_identity(pid, start + 1000000000ULL, &uid, &kthread), -ESRCH);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pidfd_refuses_other_start_time),
		cmocka_unit_test(test_pidfd_signals_the_same_process),
		cmocka_unit_test(test_pidfd_exited),
		cmocka_unit_test(test_identity),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
