// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * hooks.c - alert hooks: the --exec command, and a policy rule's exec.
 *
 * A hook tells people; it must never slow capture, run what a process
 * wrote into its name, or be crowded out by another user's noise.  So: no
 * shell is involved (the command is split at blanks and exec'd; a comm of
 * "$(reboot)" reaches the hook as text, in BINDWATCH_* variables and in the
 * JSON record on stdin); the record is handed over in a memfd, so
 * bindwatch never waits on a hook that does not read its input; and hooks
 * are reaped from the main loop without ever waiting on one.  Hook output
 * goes to bindwatch's stderr, never into the records on stdout.
 *
 * At most max_running hooks run at once.  A record that finds no free slot
 * waits in a queue (HOOK_QUEUE_MAX records, HOOK_QUEUE_BYTES of memory, a
 * copy of everything the hook needs) and its hook starts when a slot is
 * free.  Both are shared between the requesters' uids, since a local user
 * can make conflicts at will: one uid runs at most half the slots (rounded
 * up), so a slot is free for anyone else's alert however much noise one
 * user makes; a free slot goes to the queued record whose uid runs the
 * fewest hooks (the oldest among equals); and when the queue is full, a
 * record of a uid holding fewer queued records than the uid holding the
 * most takes the place of the latter's newest one.  What the queue cannot
 * take is dropped and counted (hooks_take_dropped(): a metric and a
 * record), never silently.
 *
 * Everything a hook starts ends with it (contain.c: a cgroup of its own,
 * or child subreapers): all of it is killed (SIGKILL) at its timeout and
 * when the hook itself exits, and its slot is free only once all of it is
 * gone, so the slots bound processes, not just hooks.  A hook that must
 * leave something running hands it to the service manager (systemd-run).
 * A hook is our child and is reaped only after that kill (waitid() with
 * WNOWAIT sees the exit first), so its pid, which is its process group's
 * id, cannot have been reused when it is signalled.  At stop, running
 * hooks get a short, bounded wait, then are killed the same way.
 *
 * A hook alerts once per incident (incident.c): for --exec and for rules'
 * exec each on its own, hooks_alert() asks whether a record's is due and
 * counts the conflicts it was not due for (BINDWATCH_SUPPRESSED, and
 * "suppressed" in the JSON on stdin, when it is).  The JSON is the one the
 * records were written with, rendered once per conflict; the variables,
 * in the environment and in a rule's exec arguments, come from one table
 * (recvars.c).  With --exec-on incident-end, --exec also runs for each
 * incident-end record (incident_log.h): once per incident by nature, so
 * without the alert table.
 *
 * Records reach the hooks from the ring-buffer thread and, for a rule's
 * exec, from the decider's (decider.c): every entry point holds h->lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "hooks.h"
#include "log.h"
#include "policy.h"
#include "recvars.h"
#include "record.h"
#include "util.h"

#define ENV_MAX (RECORD_VARS + 1) /* and PATH */
#define ENV_LEN 256
#define HOOK_NAME_LEN 64
#define HOOK_STOP_PASS_MS 10 /* at stop, between looks at the running hooks */
#define HOOK_WHY_LEN 128     /* what contain_init() says, past a path */

_Static_assert(POLICY_MAX_EXEC == HOOK_MAX_ARGS, "a rule's exec must fit a hook's argv");

extern char **environ;

struct hook_child {
	struct contained proc; /* the hook, and all it starts */
	uint32_t uid;         /* the requester's, for the fair share */
	char name[HOOK_NAME_LEN]; /* the program, for messages */
	uint64_t deadline_ns; /* CLOCK_MONOTONIC */
	bool killed;          /* SIGKILL sent; reaped on a later pass */
	bool reaped;          /* the slot waits for the rest of it to be gone */
};

/* A hook to run: a copy of all it needs, so the record may be gone. */
struct hook_job {
	uint32_t uid;         /* the requester's */
	size_t size;          /* memory taken, counted against HOOK_QUEUE_BYTES */
	char *argv[HOOK_MAX_ARGS + 1]; /* into data */
	char *envp[ENV_MAX + 1];       /* into env */
	char env[ENV_MAX][ENV_LEN];
	const char *json;     /* into data */
	size_t json_len;
	char data[];          /* the arguments, then the JSON */
};

static void stop_running(struct hooks *h);

int hooks_init(struct hooks *h, const char *cmd, unsigned int on, unsigned int max_running,
	       uint64_t timeout_ms, uint64_t interval_ms)
{
	uint64_t seed = identity_seed();
	char *save = NULL, *tok;
	int n = 0, k;

	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->on = on;
	h->max_running = max_running;
	h->timeout_ns = timeout_ms * NSEC_PER_MSEC;
	h->running = calloc(max_running, sizeof(*h->running));
	h->incidents = malloc(HOOK_KINDS * sizeof(*h->incidents));
	if (!h->running || !h->incidents) {
		hooks_fini(h);
		return -ENOMEM;
	}
	for (k = 0; k < HOOK_KINDS; k++)
		incidents_init(&h->incidents[k], interval_ms, seed);
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

void hooks_fini(struct hooks *h)
{
	unsigned int i;

	if (h->nqueued)
		warn("%u queued hooks not run: bindwatch is stopping", h->nqueued);
	for (i = 0; i < h->nqueued; i++)
		free(h->queue[i]);
	h->nqueued = 0;
	stop_running(h);
	contain_fini(&h->contain);
	free(h->running);
	free(h->incidents);
	free(h->buf);
	pthread_mutex_destroy(&h->lock);
	memset(h, 0, sizeof(*h));
}

/* "NAME=value" into env[*n], value cut to fit; bytes are passed as they are. */
static void setenv_at(char env[][ENV_LEN], char **envp, int *n, const char *name,
		      const char *value)
{
	int k = snprintf(env[*n], ENV_LEN, "%s=", name);
	size_t len = strlen(value);

	if (k < 0 || k >= ENV_LEN)
		return;
	if (len > (size_t)(ENV_LEN - 1 - k))
		len = ENV_LEN - 1 - k;
	memcpy(env[*n] + k, value, len);
	env[*n][k + len] = '\0';
	envp[*n] = env[*n];
	(*n)++;
}

/* The BINDWATCH_* variables r has (recvars.h), PATH, then a NULL; env holds their text. */
static void hook_env(const struct bw_record *r, char env[ENV_MAX][ENV_LEN], char *envp[ENV_MAX + 1])
{
	char buf[RECORD_VAR_LEN];
	const char *value;
	int n = 0;
	size_t i;

	for (i = 0; i < RECORD_VARS; i++) {
		value = record_vars[i].value(r, buf);
		if (value)
			setenv_at(env, envp, &n, record_vars[i].env, value);
	}
	setenv_at(env, envp, &n, "PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
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

/* A copy of argv, json and r's variables, or NULL without memory. */
static struct hook_job *job_new(char *const argv[], const struct bw_record *r,
				const char *json, size_t len)
{
	size_t args = 0, size, i, n;
	struct hook_job *j;
	char *p;

	for (i = 0; argv[i] && i < HOOK_MAX_ARGS; i++)
		args += strlen(argv[i]) + 1;
	size = sizeof(*j) + args + len;
	j = malloc(size);
	if (!j)
		return NULL;
	j->uid = r->ev->uid;
	j->size = size;
	p = j->data;
	for (i = 0; argv[i] && i < HOOK_MAX_ARGS; i++) {
		n = strlen(argv[i]) + 1;
		j->argv[i] = memcpy(p, argv[i], n);
		p += n;
	}
	j->argv[i] = NULL;
	j->json = memcpy(p, json, len);
	j->json_len = len;
	hook_env(r, j->env, j->envp);
	return j;
}

/* Slots one uid may take: half of them, rounded up. */
static unsigned int uid_share(const struct hooks *h)
{
	return (h->max_running + 1) / 2;
}

static unsigned int running_of(const struct hooks *h, uint32_t uid)
{
	unsigned int i, n = 0;

	for (i = 0; i < h->nrunning; i++)
		n += h->running[i].uid == uid;
	return n;
}

static unsigned int queued_of(const struct hooks *h, uint32_t uid)
{
	unsigned int i, n = 0;

	for (i = 0; i < h->nqueued; i++)
		n += h->queue[i]->uid == uid;
	return n;
}

/* Take queue[i] out of the queue. */
static struct hook_job *unqueue(struct hooks *h, unsigned int i)
{
	struct hook_job *j = h->queue[i];

	memmove(&h->queue[i], &h->queue[i + 1], (h->nqueued - i - 1) * sizeof(h->queue[0]));
	h->nqueued--;
	h->queued_bytes -= j->size;
	return j;
}

static void drop(struct hooks *h, struct hook_job *j)
{
	h->dropped++;
	free(j);
}

/*
 * The queued job to give way to one of uid's: the newest of the uid that
 * holds the most, if that is more than uid would hold with it; else -1.
 */
static int victim(const struct hooks *h, uint32_t uid)
{
	unsigned int i, n, most = 0, mine = queued_of(h, uid);
	uint32_t hog = uid;

	for (i = 0; i < h->nqueued; i++) {
		n = queued_of(h, h->queue[i]->uid);
		if (n > most) {
			most = n;
			hog = h->queue[i]->uid;
		}
	}
	if (most <= mine + 1)
		return -1;
	for (i = h->nqueued; i-- > 0;)
		if (h->queue[i]->uid == hog)
			return (int)i;
	return -1;
}

static void enqueue(struct hooks *h, struct hook_job *j)
{
	int v;

	while (h->nqueued == HOOK_QUEUE_MAX || h->queued_bytes + j->size > HOOK_QUEUE_BYTES) {
		v = victim(h, j->uid);
		if (v < 0) {
			drop(h, j);
			return;
		}
		drop(h, unqueue(h, (unsigned int)v));
	}
	h->queue[h->nqueued++] = j;
	h->queued_bytes += j->size;
}

/* The queued job to start next (see the top comment), or -1. */
static int next_job(const struct hooks *h)
{
	unsigned int i, n, fewest = uid_share(h);
	int best = -1;

	for (i = 0; i < h->nqueued; i++) {
		n = running_of(h, h->queue[i]->uid);
		if (n < fewest) {
			fewest = n;
			best = (int)i;
		}
	}
	return best;
}

static void start(struct hooks *h, const struct hook_job *j)
{
	struct hook_child *c = &h->running[h->nrunning];
	const char *what;
	int in, err;

	in = record_fd(j->json, j->json_len);
	if (in < 0) {
		warn("%s: cannot pass the record: %s", j->argv[0], strerror(-in));
		return;
	}
	err = contain_spawn(&h->contain, j->argv, j->envp, in, &c->proc, &what);
	close(in);
	if (err) {
		warn("hook: cannot %s %s: %s", what, j->argv[0], strerror(-err));
		return;
	}
	snprintf(c->name, sizeof(c->name), "%s", j->argv[0]);
	c->uid = j->uid;
	c->deadline_ns = now_ns(CLOCK_MONOTONIC) + h->timeout_ns;
	c->killed = false;
	c->reaped = false;
	h->nrunning++;
}

static void start_queued(struct hooks *h)
{
	struct hook_job *j;
	int i;

	while (h->nrunning < h->max_running && (i = next_job(h)) >= 0) {
		j = unqueue(h, (unsigned int)i);
		start(h, j);
		free(j);
	}
}

static bool tend(struct hooks *h);

/* Queue argv for record r, whose JSON (with "suppressed") is json[0..len). */
static void run(struct hooks *h, char *const argv[], const struct bw_record *r,
		const char *json, size_t len)
{
	struct hook_job *j;

	pthread_mutex_lock(&h->lock);
	tend(h);
	j = job_new(argv, r, json, len);
	if (j) {
		enqueue(h, j);
		start_queued(h);
	} else {
		warn("hook %s not run: out of memory", argv[0]);
		h->dropped++;
	}
	pthread_mutex_unlock(&h->lock);
}

/*
 * The argv of a rule's exec for r: each template expanded into args[], the
 * array NULL-ended; the strbufs are the caller's to free (n of them).
 */
static void expand_exec(char *const *tmpl, const struct bw_record *r,
			struct strbuf args[HOOK_MAX_ARGS], char *argv[HOOK_MAX_ARGS + 1], size_t *n)
{
	char bufs[RECORD_VARS][RECORD_VAR_LEN];
	struct template_var vars[RECORD_VARS];

	record_vars_values(r, vars, bufs);
	for (*n = 0; tmpl[*n] && *n < HOOK_MAX_ARGS; (*n)++) {
		strbuf_init(&args[*n]);
		if (template_expand(tmpl[*n], vars, RECORD_VARS, &args[*n]))
			warn("rule %s: cannot expand exec argument '%s'", r->action->rule, tmpl[*n]);
		argv[*n] = args[*n].s;
	}
	argv[*n] = NULL;
}

/* Run the hook of kind for r if its incident's alert is due. */
static void alert(struct hooks *h, enum hook_kind kind, const struct bw_record *r,
		  const struct strbuf *json)
{
	struct strbuf args[HOOK_MAX_ARGS], stdin_json;
	char *argv[HOOK_MAX_ARGS + 1];
	struct bw_record copy = *r;
	uint64_t suppressed;
	size_t i, n = 0;
	bool due;

	pthread_mutex_lock(&h->lock);
	due = incidents_record(&h->incidents[kind], r, now_ns(CLOCK_MONOTONIC), &suppressed);
	pthread_mutex_unlock(&h->lock);
	if (!due)
		return;
	copy.suppressed = &suppressed;
	strbuf_init(&stdin_json);
	record_json_suppressed(&stdin_json, json, suppressed);
	if (kind == HOOK_RULE)
		expand_exec(r->action->exec, &copy, args, argv, &n);
	if (!stdin_json.oom)
		run(h, kind == HOOK_RULE ? argv : h->argv, &copy, stdin_json.s, stdin_json.len);
	strbuf_free(&stdin_json);
	for (i = 0; i < n; i++)
		strbuf_free(&args[i]);
}

/*
 * A conflict but a probe (its rule's action: probe), or an ownership record
 * that alerts (expect's action: alert).
 */
static bool alerts(const struct bw_record *r)
{
	if (r->kind == RECORD_INCIDENT_END)
		return false;
	return r->kind == RECORD_CALL ? event_conflict(r->ev) && !record_probe(r) : r->alert;
}

/* Whether --exec runs for the incident-end record r. */
static bool ends_wanted(const struct hooks *h, const struct bw_record *r)
{
	return r->kind == RECORD_INCIDENT_END && hooks_enabled(h) && h->on & HOOK_ON_INCIDENT_END;
}

bool hooks_wanted(const struct hooks *h, const struct bw_record *r)
{
	if (ends_wanted(h, r))
		return true;
	return alerts(r) && ((hooks_enabled(h) && h->on & HOOK_ON_ALERT) ||
			     (r->action && r->action->exec));
}

/* Run --exec for the incident-end record r: each one, no incident of its own to wait for. */
static void incident_end(struct hooks *h, const struct bw_record *r, const struct strbuf *json)
{
	struct strbuf stdin_json;

	strbuf_init(&stdin_json);
	strbuf_add(&stdin_json, json->s, json->len);
	strbuf_addc(&stdin_json, '\n');
	if (!stdin_json.oom && !json->oom)
		run(h, h->argv, r, stdin_json.s, stdin_json.len);
	strbuf_free(&stdin_json);
}

void hooks_alert(struct hooks *h, const struct bw_record *r, const struct strbuf *json)
{
	if (ends_wanted(h, r))
		incident_end(h, r, json);
	if (!alerts(r))
		return;
	if (hooks_enabled(h) && h->on & HOOK_ON_ALERT)
		alert(h, HOOK_EXEC, r, json);
	if (r->action && r->action->exec)
		alert(h, HOOK_RULE, r, json);
}

/* Kill hook c and all it started. */
static void end(struct hooks *h, struct hook_child *c)
{
	int err = contain_end(&h->contain, &c->proc);

	if (err)
		warn("hook %s[%d]: cannot kill what it started: %s", c->name, c->proc.pid,
		     strerror(-err));
}

/*
 * Whether hook c has exited; if so all it started is killed and it is
 * reaped.  Until then its pid stays ours, so kill(-pid) reaches its group
 * only.
 */
static bool reap(struct hooks *h, struct hook_child *c)
{
	pid_t pid = c->proc.pid;
	siginfo_t si = { 0 };

	if (waitid(P_PID, pid, &si, WEXITED | WNOHANG | WNOWAIT) == 0 && si.si_pid != pid)
		return false;
	/* exited, or not our child any more (nothing left to wait for) */
	if (si.si_pid == pid) {
		end(h, c);
		waitpid(pid, NULL, 0);
	}
	if (si.si_code == CLD_EXITED && si.si_status)
		warn("hook %s[%d] exited with status %d", c->name, pid, si.si_status);
	return true;
}

/* Whether hook c's slot is free: it is reaped, and all it started is gone. */
static bool gone(struct hooks *h, struct hook_child *c)
{
	int err;

	if (!c->reaped)
		return false;
	err = contain_release(&h->contain, &c->proc);
	if (err && err != -EBUSY)
		warn("hook %s[%d]: cannot remove its cgroup: %s", c->name, c->proc.pid, strerror(-err));
	return err != -EBUSY;
}

/* contain_tend()'s question: whether pid is a running hook, not an orphan. */
static bool is_hook(void *arg, pid_t pid)
{
	const struct hooks *h = arg;
	unsigned int i;

	for (i = 0; i < h->nrunning; i++)
		if (!h->running[i].reaped && h->running[i].proc.pid == pid)
			return true;
	return false;
}

/* Reap finished hooks, kill overdue ones; true while any, or anything they started, is left. */
static bool tend_running(struct hooks *h)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	unsigned int i = 0;

	while (i < h->nrunning) {
		struct hook_child *c = &h->running[i];

		if (!c->reaped)
			c->reaped = reap(h, c);
		if (!c->reaped && !c->killed && now >= c->deadline_ns) {
			warn("hook %s[%d] still running after its timeout: killed, with all it started",
			     c->name, c->proc.pid);
			end(h, c);
			c->killed = true;
		}
		if (gone(h, c)) {
			h->running[i] = h->running[--h->nrunning];
			continue;
		}
		i++;
	}
	return contain_tend(&h->contain, is_hook, h) || h->nrunning;
}

static bool tend(struct hooks *h)
{
	bool busy = tend_running(h);

	start_queued(h);
	return busy || h->nrunning || h->nqueued;
}

/* Tend the running hooks until nothing of them is left, for HOOK_STOP_WAIT_MS at most: whether so. */
static bool wait_running(struct hooks *h)
{
	struct timespec pass = { .tv_nsec = HOOK_STOP_PASS_MS * NSEC_PER_MSEC };
	uint64_t deadline = now_ns(CLOCK_MONOTONIC) + HOOK_STOP_WAIT_MS * NSEC_PER_MSEC;
	bool left;

	while ((left = tend_running(h)) && now_ns(CLOCK_MONOTONIC) < deadline)
		nanosleep(&pass, NULL);
	return !left;
}

/*
 * At stop, no hook may run on unbounded: a running one gets a moment (its
 * timeout still kills it), then it is killed with all it started.
 */
static void stop_running(struct hooks *h)
{
	struct hook_child *c;
	unsigned int i;

	if (wait_running(h))
		return;
	for (i = 0; i < h->nrunning; i++) {
		c = &h->running[i];
		if (c->reaped || c->killed)
			continue;
		warn("hook %s[%d] still running at stop: killed, with all it started", c->name,
		     c->proc.pid);
		end(h, c);
		c->killed = true;
	}
	if (wait_running(h))
		return;
	for (i = 0; i < h->nrunning; i++)
		warn("hook %s[%d]: what it started has not exited %d ms after SIGKILL; left behind",
		     h->running[i].name, h->running[i].proc.pid, HOOK_STOP_WAIT_MS);
}

void hooks_contain(struct hooks *h)
{
	char why[PATH_MAX + HOOK_WHY_LEN];

	contain_init(&h->contain, CONTAIN_DIR, why, sizeof(why));
	switch (h->contain.mode) {
	case CONTAIN_CGROUP:
		note("hooks: each runs in a cgroup of its own in %s, killed whole (cgroup.kill) "
		     "when it ends", h->contain.dir);
		break;
	case CONTAIN_SUBREAPER:
		warn("hooks: no cgroup of their own (%s): each runs as a child subreaper, and what "
		     "it leaves behind is killed when it ends", why);
		break;
	case CONTAIN_GROUP:
		warn("hooks: no cgroup of their own (%s), and no /proc/PID/task/TID/children to "
		     "find what they leave behind: only a hook's process group is killed when it "
		     "ends", why);
		break;
	}
}

bool hooks_signal(const struct hooks *h)
{
	return h->contain.mode != CONTAIN_CGROUP;
}

bool hooks_tend(struct hooks *h)
{
	bool busy;

	pthread_mutex_lock(&h->lock);
	busy = tend(h);
	pthread_mutex_unlock(&h->lock);
	return busy;
}

uint64_t hooks_take_dropped(struct hooks *h)
{
	uint64_t n;

	pthread_mutex_lock(&h->lock);
	n = h->dropped - h->dropped_reported;
	h->dropped_reported = h->dropped;
	pthread_mutex_unlock(&h->lock);
	return n;
}
