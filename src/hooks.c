// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hooks.c - alert hooks: the --exec command, and a policy rule's exec.
 *
 * A hook tells people; it must never slow capture or run what a process
 * wrote into its name.  So: no shell is involved (the command is split at
 * blanks and exec'd; a comm of "$(reboot)" reaches the hook as text, in
 * BINDWATCH_* variables and in the JSON record on stdin); the record is
 * handed over in a memfd, so bindwatch never waits on a hook that does not
 * read its input; at most max_running hooks run at once (a record beyond
 * that is counted, not queued); each is killed after its timeout (a hook
 * is our child, not yet reaped, so its pid cannot have been reused); and
 * hooks are reaped from the main loop without ever waiting on one.  Hook
 * output goes to bindwatch's stderr, never into the records on stdout.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "addr.h"
#include "hooks.h"
#include "log.h"

#define NSEC_PER_SEC 1000000000ULL
#define ENV_MAX 16
#define ENV_LEN 256
#define HOOK_NAME_LEN 64

extern char **environ;

struct hook_child {
	pid_t pid;
	char name[HOOK_NAME_LEN]; /* the program, for messages */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC */
	bool killed;          /* SIGKILL sent; reaped on a later pass */
};

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

int hooks_init(struct hooks *h, const char *cmd, unsigned int max_running,
	       unsigned int timeout_s)
{
	char *save = NULL, *tok;
	int n = 0;

	memset(h, 0, sizeof(*h));
	h->max_running = max_running;
	h->timeout_ns = timeout_s * NSEC_PER_SEC;
	h->running = calloc(max_running, sizeof(*h->running));
	if (!h->running)
		return -ENOMEM;
	if (!cmd)
		return 0;
	h->buf = strdup(cmd);
	if (!h->buf) {
		hooks_fini(h);
		return -ENOMEM;
	}
	for (tok = strtok_r(h->buf, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
		if (n == HOOK_MAX_ARGS) {
			hooks_fini(h);
			return -E2BIG;
		}
		h->argv[n++] = tok;
	}
	if (!n) {
		hooks_fini(h);
		return -EINVAL;
	}
	return 0;
}

/* Running hooks are left to finish: they may be paging someone. */
void hooks_fini(struct hooks *h)
{
	free(h->running);
	free(h->buf);
	memset(h, 0, sizeof(*h));
}

/* "NAME=value" into env[*n], value cut to fit; bytes are passed as they are. */
static void setenv_at(char env[][ENV_LEN], char **envp, int *n, const char *name,
		      const char *value, size_t len)
{
	int k = snprintf(env[*n], ENV_LEN, "%s=", name);

	if (k < 0 || k >= ENV_LEN)
		return;
	if (len > (size_t)(ENV_LEN - 1 - k))
		len = ENV_LEN - 1 - k;
	memcpy(env[*n] + k, value, len);
	env[*n][k + len] = '\0';
	envp[*n] = env[*n];
	(*n)++;
}

static void setenv_str(char env[][ENV_LEN], char **envp, int *n, const char *name,
		       const char *value)
{
	setenv_at(env, envp, n, name, value, strlen(value));
}

/* The BINDWATCH_* variables of r, then a NULL; env holds their text. */
static void hook_env(const struct bw_record *r, char env[ENV_MAX][ENV_LEN], char *envp[ENV_MAX + 1])
{
	const struct bw_event *ev = r->ev;
	const struct bw_holder *hd = r->diag && r->diag->n ? &r->diag->holders[0].h : NULL;
	char num[24], proto[16], addr[ADDR_STRLEN];
	int n = 0;

	snprintf(num, sizeof(num), "%u", ev->sock.port);
	setenv_str(env, envp, &n, "BINDWATCH_PORT", num);
	setenv_str(env, envp, &n, "BINDWATCH_PROTO",
		   proto_name(proto, sizeof(proto), ev->sock.type, ev->sock.protocol));
	if (!addr_format(addr, sizeof(addr), ev->sock.family, ev->sock.addr))
		setenv_str(env, envp, &n, "BINDWATCH_ADDR", addr);
	snprintf(num, sizeof(num), "%u", ev->pid);
	setenv_str(env, envp, &n, "BINDWATCH_REQUESTER_PID", num);
	setenv_at(env, envp, &n, "BINDWATCH_REQUESTER_COMM", ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	if (hd && hd->pid) {
		snprintf(num, sizeof(num), "%u", hd->pid);
		setenv_str(env, envp, &n, "BINDWATCH_HOLDER_PID", num);
		setenv_at(env, envp, &n, "BINDWATCH_HOLDER_COMM", hd->comm, strnlen(hd->comm, sizeof(hd->comm)));
	}
	if (r->diag)
		setenv_str(env, envp, &n, "BINDWATCH_REASON", conflict_reason_code(r->diag->reason));
	setenv_str(env, envp, &n, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
	envp[n] = NULL;
}

/* A memfd holding json[0..len), positioned at its start: the hook's stdin. */
static int record_fd(const char *json, size_t len)
{
	int fd = memfd_create("bindwatch-record", MFD_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (write(fd, json, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET)) {
		int err = errno ? -errno : -EIO;

		close(fd);
		return err;
	}
	return fd;
}

static int spawn(char *const argv[], int in, char *const envp[], pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int err;

	posix_spawn_file_actions_init(&fa);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE); /* bindwatch ignores it; the hook should not */
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawn_file_actions_adddup2(&fa, in, STDIN_FILENO);
	posix_spawn_file_actions_adddup2(&fa, STDERR_FILENO, STDOUT_FILENO);
	err = posix_spawnp(pid, argv[0], &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return -err;
}

void hooks_run(struct hooks *h, char *const argv[], const struct bw_record *r,
	       const char *json, size_t len)
{
	char env[ENV_MAX][ENV_LEN], *envp[ENV_MAX + 1];
	struct hook_child *c;
	int in, err;

	hooks_tend(h);
	if (h->nrunning == h->max_running) {
		if (!h->skipped++)
			warn("%u hooks still running; records are not handed to more",
			     h->max_running);
		return;
	}
	in = record_fd(json, len);
	if (in < 0) {
		warn("%s: cannot pass the record: %s", argv[0], strerror(-in));
		return;
	}
	hook_env(r, env, envp);
	c = &h->running[h->nrunning];
	err = spawn(argv, in, envp, &c->pid);
	close(in);
	if (err) {
		warn("hook: cannot run %s: %s", argv[0], strerror(-err));
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", argv[0]);
	c->deadline_ns = mono_ns() + h->timeout_ns;
	c->killed = false;
	h->nrunning++;
}

bool hooks_tend(struct hooks *h)
{
	uint64_t now = mono_ns();
	unsigned int i = 0;
	int status;

	while (i < h->nrunning) {
		struct hook_child *c = &h->running[i];
		pid_t done = waitpid(c->pid, &status, WNOHANG);

		if (done == 0 && !c->killed && now >= c->deadline_ns) {
			warn("hook %s[%d] still running after its timeout: killed", c->name, c->pid);
			kill(c->pid, SIGKILL);
			c->killed = true;
		}
		if (done == 0) {
			i++;
			continue;
		}
		if (done > 0 && WIFEXITED(status) && WEXITSTATUS(status))
			warn("hook %s[%d] exited with status %d", c->name, c->pid, WEXITSTATUS(status));
		h->running[i] = h->running[--h->nrunning];
	}
	return h->nrunning > 0;
}
