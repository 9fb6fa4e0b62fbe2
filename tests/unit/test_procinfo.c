// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_procinfo.c - the pid-reuse guard the reclaimer signals through, on
 * real child processes: a pidfd is handed out only for the process that
 * started when the record says, and a signal through it reaches only that
 * process.  And the identity re-checked before every signal: read as the
 * kernel shows it, a change seen for each field that can change (an exec,
 * each uid setresuid() sets), and the comparison itself, field by field.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>
#include "procinfo.h"

#define NOBODY 65534

/* Process pid's start time in ns since boot, from /proc/PID/stat field 22. */
static uint64_t start_of(pid_t pid)
{
	unsigned long long ticks = 0;
	char path[64], buf[1024], *p;
	FILE *f;
	int field;

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
	return ticks * (1000000000ULL / sysconf(_SC_CLK_TCK));
}

/* A child that waits for a signal; its start time in ns since boot. */
static pid_t child(uint64_t *start_ns)
{
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	*start_ns = start_of(pid);
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

/* The identity of process pid as the kernel shows it, through /proc/PID by path. */
static struct proc_identity expected(pid_t pid, uint64_t start)
{
	struct proc_identity id = { .start_ticks = procinfo_ticks(start) };
	char path[64], buf[4096], *p;
	struct stat st;
	unsigned long r, e, s;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	assert_int_equal(stat(path, &st), 0);
	id.exe_dev = st.st_dev;
	id.exe_ino = st.st_ino;
	snprintf(path, sizeof(path), "/proc/%d/status", pid);
	f = fopen(path, "r");
	assert_non_null(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strstr(buf, "\nUid:");
	assert_non_null(p);
	assert_int_equal(sscanf(p + strlen("\nUid:"), "%lu %lu %lu", &r, &e, &s), 3);
	id.ruid = r;
	id.euid = e;
	id.suid = s;
	return id;
}

static void assert_identity_equal(const struct proc_identity *a, const struct proc_identity *b)
{
	assert_int_equal(a->start_ticks, b->start_ticks);
	assert_int_equal(a->exe_dev, b->exe_dev);
	assert_int_equal(a->exe_ino, b->exe_ino);
	assert_int_equal(a->ruid, b->ruid);
	assert_int_equal(a->euid, b->euid);
	assert_int_equal(a->suid, b->suid);
	assert_int_equal(a->kthread, b->kthread);
}

static void end(pid_t pid)
{
	int status;

	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
}

static void test_identity(void **state)
{
	uint64_t start;
	pid_t pid = child(&start);
	struct proc_identity id, want = expected(pid, start);

	assert_int_equal(procinfo_identity(pid, start, &id), 0);
	assert_identity_equal(&id, &want);
	assert_int_equal(id.ruid, getuid());
	assert_int_equal(procinfo_identity_changes(&want, &id), 0);
	/* another start time: the pid is another process's, nothing is read */
	assert_int_equal(procinfo_identity(pid, start + 1000000000ULL, &id), -ESRCH);
	assert_int_equal(id.ruid, -1);
	assert_int_equal(id.exe_ino, 0);
	end(pid);
	assert_int_equal(procinfo_identity(pid, start, &id), -ESRCH);
}

/* procinfo_read() of a holder fills the same identity, with the executable's path. */
static void test_read_fills_identity(void **state)
{
	uint64_t start;
	pid_t pid = child(&start);
	struct proc_identity want = expected(pid, start);
	struct proc_info pi;

	procinfo_read(&pi, pid, start, 0, 0, PROCINFO_IDENTITY);
	assert_false(pi.exited);
	assert_non_null(pi.exe);
	assert_identity_equal(&pi.id, &want);
	procinfo_free(&pi);
	/* without PROCINFO_IDENTITY: the executable's file, but no uids (not 0: root's) */
	procinfo_read(&pi, pid, start, 0, 0, 0);
	assert_int_equal(pi.id.exe_ino, want.exe_ino);
	assert_int_equal(pi.id.ruid, -1);
	procinfo_free(&pi);
	end(pid);
}

/*
 * A child that, once told (*go written), runs change(done) and then waits
 * for SIGKILL; its start time into *start.  Its end of *done is closed on
 * exec, or by change itself: the parent's read of *done ends then, once
 * the change has happened.
 */
static pid_t changing_child(uint64_t *start, void (*change)(int done), int *go, int *done)
{
	int to[2], from[2];
	pid_t pid;
	char c;

	assert_int_equal(pipe2(to, O_CLOEXEC), 0);
	assert_int_equal(pipe2(from, O_CLOEXEC), 0);
	pid = fork();
	if (pid == 0) {
		close(to[1]);
		close(from[0]);
		if (read(to[0], &c, 1) == 1)
			change(from[1]);
		pause();
		_exit(0);
	}
	assert_true(pid > 0);
	close(to[0]);
	close(from[1]);
	*go = to[1];
	*done = from[0];
	*start = start_of(pid);
	return pid;
}

/* Run the change of a changing_child(), and wait until it has happened. */
static void make_change(int go, int done)
{
	char c = 1;

	assert_int_equal(write(go, &c, 1), 1);
	assert_int_equal(read(done, &c, 1), 0); /* EOF: its end closed */
	close(go);
	close(done);
}

static void exec_sleep(int done)
{
	execl("/bin/sleep", "sleep", "60", (char *)NULL);
	_exit(127);
}

static void drop_euid(int done)
{
	if (setresuid(-1, NOBODY, -1))
		_exit(126);
	close(done);
}

static void drop_all(int done)
{
	if (setresuid(NOBODY, NOBODY, NOBODY))
		_exit(126);
	close(done);
}

static void drop_saved(int done)
{
	if (setresuid(-1, -1, NOBODY))
		_exit(126);
	close(done);
}

/*
 * A child whose identity is read, then changed by change(): the changes
 * procinfo_identity() and procinfo_identity_changes() see are want.
 */
static void assert_change_seen(void (*change)(int done), unsigned int want)
{
	struct proc_identity then, now;
	uint64_t start;
	int go, done;
	pid_t pid = changing_child(&start, change, &go, &done);

	assert_int_equal(procinfo_identity(pid, start, &then), 0);
	make_change(go, done);
	assert_int_equal(procinfo_identity(pid, start, &now), 0);
	assert_int_equal(procinfo_identity_changes(&then, &now), want);
	end(pid);
}

/* An exec changes the executable (same pid, same start time), nothing else. */
static void test_identity_sees_exec(void **state)
{
	assert_change_seen(exec_sleep, PROC_CHANGED_EXE);
}

/* setresuid(): each uid that changed, and only those. */
static void test_identity_sees_setresuid(void **state)
{
	if (geteuid() != 0)
		skip(); /* changing a uid to another takes root */
	assert_change_seen(drop_euid, PROC_CHANGED_EUID);
	assert_change_seen(drop_saved, PROC_CHANGED_SUID);
	assert_change_seen(drop_all, PROC_CHANGED_RUID | PROC_CHANGED_EUID | PROC_CHANGED_SUID);
}

/* The comparison alone, field by field, without processes. */
static void test_identity_changes(void **state)
{
	const struct proc_identity then = { .start_ticks = 4242, .exe_dev = 0x803,
					    .exe_ino = 131, .ruid = NOBODY, .euid = NOBODY,
					    .suid = NOBODY };
	struct proc_identity now = then;

	assert_int_equal(procinfo_identity_changes(&then, &now), 0);
	now.start_ticks++;
	assert_int_equal(procinfo_identity_changes(&then, &now), PROC_CHANGED_START);
	now = then;
	now.exe_ino++;
	assert_int_equal(procinfo_identity_changes(&then, &now), PROC_CHANGED_EXE);
	now = then;
	now.exe_dev++; /* the same inode number on another filesystem */
	assert_int_equal(procinfo_identity_changes(&then, &now), PROC_CHANGED_EXE);
	now = then;
	now.ruid = 0;
	assert_int_equal(procinfo_identity_changes(&then, &now), PROC_CHANGED_RUID);
	now = then;
	now.euid = 0;
	assert_int_equal(procinfo_identity_changes(&then, &now), PROC_CHANGED_EUID);
	now = then;
	now.suid = 0;
	assert_int_equal(procinfo_identity_changes(&then, &now), PROC_CHANGED_SUID);
	/* unknown on either side is not the same */
	now = then;
	now.euid = -1;
	assert_int_equal(procinfo_identity_changes(&then, &now), PROC_CHANGED_EUID);
	now = PROC_IDENTITY_UNKNOWN;
	assert_int_equal(procinfo_identity_changes(&now, &now),
			 PROC_CHANGED_EXE | PROC_CHANGED_RUID | PROC_CHANGED_EUID |
			 PROC_CHANGED_SUID);
}

static void test_identity_explain(void **state)
{
	const struct proc_identity then = { .start_ticks = 4242, .exe_dev = 0x803,
					    .exe_ino = 131, .ruid = NOBODY, .euid = NOBODY,
					    .suid = NOBODY };
	struct proc_identity now = { .start_ticks = 4242, .exe_dev = 0x803, .exe_ino = 99,
				     .ruid = 0, .euid = 0, .suid = -1 };
	char buf[PROCINFO_EXPLAIN_LEN];

	procinfo_identity_explain(buf, sizeof(buf), procinfo_identity_changes(&then, &now),
				  &then, &now);
	assert_string_equal(buf, "it exec'd another program (its executable changed); its uids "
			    "(real, effective, saved) 65534, 65534, 65534 are now 0, 0, ?");
	procinfo_identity_explain(buf, sizeof(buf), PROC_CHANGED_START, &then, &now);
	assert_string_equal(buf, "its start time changed (its pid is another process's)");
	/* the longest fits */
	now = (struct proc_identity){ .ruid = 4294967295LL, .euid = 4294967295LL,
				      .suid = 4294967295LL };
	procinfo_identity_explain(buf, sizeof(buf), PROC_CHANGED_START | PROC_CHANGED_EXE |
				  PROC_CHANGED_RUID, &now, &now);
	assert_non_null(strstr(buf, "are now 4294967295, 4294967295, 4294967295"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pidfd_refuses_other_start_time),
		cmocka_unit_test(test_pidfd_signals_the_same_process),
		cmocka_unit_test(test_pidfd_exited),
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_read_fills_identity),
		cmocka_unit_test(test_identity_sees_exec),
		cmocka_unit_test(test_identity_sees_setresuid),
		cmocka_unit_test(test_identity_changes),
		cmocka_unit_test(test_identity_explain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
