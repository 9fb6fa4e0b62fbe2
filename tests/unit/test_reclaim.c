// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_reclaim.c - the reclaim decision (verdict.c) without a kernel:
 * every refusal that keeps bindwatch from signalling the wrong process
 * (PID 1, a kernel thread, itself, the requester, the protect list, a
 * sharer the rule does not match, another user's process (by its real
 * uid), a runtime's port proxy, a container protect cannot see, a holder
 * gone when diagnosed, holders left out, no process), the
 * cooldown and in-progress keys (holder identity, port, protocol,
 * network namespace), the quotas, --dry-run, and a probe rule's mark.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "util.h"
#include "verdict.h"
#include "workload.h"

#define ERR_LEN 512
#define SELF 4000
#define USER 1000
#define OTHER 1001
#define NOW (100ULL * NSEC_PER_SEC)
#define BOOT (3600ULL * NSEC_PER_SEC)
#define COOLDOWN_MS 60000
#define CONTAINER "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define PUBLISHED_PORT 80

static const char policy_text[] =
	"version: 1\n"
	"protect:\n"
	"  comm: [sshd]\n"
	"  pod: {namespace: [kube-system]}\n"
	"rules:\n"
	"  - name: stale\n"
	"    match: {port: [8080, 8081], holder: {comm: python3}}\n"
	"    action: reclaim\n"
	"    reclaim: {signal: TERM, grace: 1s, cooldown: 60s}\n"
	"    exec: [/usr/local/bin/page, \"--port={port}\"]\n"
	"  - name: cross\n"
	"    match: {port: 9000, holder: {comm: python3}, requester: {uid: 1000}}\n"
	"    action: reclaim\n"
	"  - name: anyone\n"
	"    match: {port: 8082}\n"
	"    action: reclaim\n"
	"  - name: watch\n"
	"    match: {port: 9090}\n"
	"    action: alert\n"
	"  - name: web\n"
	"    match: {port: 8083, holder: {container: {name: \"web*\"}}}\n"
	"    action: reclaim\n"
	"  - name: config-test\n"
	"    match: {port: 9091, holder: {comm: python3}}\n"
	"    action: probe\n";

/* One conflict: the requester, the holders and what /proc says of them. */
struct world {
	struct verdicts v;
	struct bw_event ev;
	struct proc_info req;
	struct holder_info holders[DIAG_MAX_HOLDERS];
	struct diagnosis diag;
	struct bw_record r;
	struct record_action act;
	const struct policy_rule *rule;
};

static char exe[] = "/usr/bin/python3.11";
static char unit[] = "api.service";
static char cgroup[] = "system.slice/api.service";

static struct world *new_world(bool dry_run)
{
	struct world *w = calloc(1, sizeof(*w));
	char err[ERR_LEN];

	assert_non_null(w);
	verdicts_init(&w->v);
	if (policy_parse("test.yaml", policy_text, strlen(policy_text), &w->v.policy, err,
			 sizeof(err)))
		fail_msg("policy refused: %s", err);
	w->v.dry_run = dry_run;
	w->v.self = SELF;
	w->v.seed = 1;
	w->ev = (struct bw_event){ .ret = -EADDRINUSE, .pid = 900, .uid = USER, .comm = "node" };
	w->ev.sock.port = 8080;
	w->ev.sock.protocol = IPPROTO_TCP;
	w->ev.sock.type = SOCK_STREAM;
	w->ev.sock.family = AF_INET;
	w->ev.sock.netns = 4026531840U;
	w->diag.holders = w->holders;
	return w;
}

/* Holder i: process pid of uid, holding socket ino, as python3 from api.service. */
static void add_holder(struct world *w, uint32_t pid, uint64_t ino, int64_t uid)
{
	size_t i = w->diag.n++;

	w->holders[i] = (struct holder_info){ .h = { .pid = pid, .ino = ino, .start_ns = 1000,
						     .state = TCP_LISTEN, .comm = "python3" } };
	w->holders[i].h.sock.uid = (uint32_t)uid;
	w->holders[i].pi = (struct proc_info){ .exe = exe, .unit = unit, .cgroup = cgroup };
	w->holders[i].pi.id = (struct proc_identity){ .ruid = uid, .euid = uid, .suid = uid };
}

static enum verdict decide(struct world *w)
{
	struct verdict_input in = { .now_ns = NOW, .boot_ns = BOOT,
				    .wall = { .tv_sec = 1764583323 } };

	w->r = (struct bw_record){ .ev = &w->ev, .req = &w->req, .diag = &w->diag };
	return verdict_decide(&w->v, &w->r, &in, &w->act, &w->rule);
}

static void free_world(struct world *w)
{
	verdicts_fini(&w->v);
	policy_free(w->v.policy);
	free(w);
}

/* The decision's result and why, for a conflict that is not to be signalled. */
static void assert_refused(struct world *w, enum action_result result, const char *why)
{
	assert_int_equal(decide(w), VERDICT_WRITE);
	assert_ptr_equal(w->r.action, &w->act);
	assert_string_equal(w->act.rule, w->rule->name);
	assert_int_equal(w->act.result, result);
	assert_non_null(strstr(w->act.why, why));
	assert_int_equal(w->act.id, 0); /* no reclaim was numbered */
}

static void signals_own_stale_holder(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, USER);
	add_holder(w, 816, 77, USER); /* its child after fork: same socket */
	add_holder(w, 817, 78, USER); /* another socket on the port: not a target */
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	assert_string_equal(w->rule->name, "stale");
	assert_int_equal(w->act.result, ACTION_NONE);
	assert_int_equal(w->act.npids, 2);
	assert_int_equal(w->act.pids[0], 815);
	assert_int_equal(w->act.pids[1], 816);
	assert_int_equal(w->act.id, 1);
	assert_string_equal(w->act.type, "reclaim");
	assert_string_equal(w->act.exec[0], "/usr/local/bin/page");
	free_world(w);
}

static void no_rule_no_action(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	w->ev.sock.port = 7000; /* no rule names it */
	add_holder(w, 815, 77, USER);
	assert_int_equal(decide(w), VERDICT_NONE);
	assert_null(w->r.action);
	w->ev.sock.port = 8080;
	memcpy(w->holders[0].h.comm, "ruby", 5); /* named, but no rule matches */
	assert_int_equal(decide(w), VERDICT_NONE);
	assert_null(w->r.action);
	w->ev.sock.port = 9090; /* an alert rule: written, nothing signalled */
	assert_int_equal(decide(w), VERDICT_WRITE);
	assert_int_equal(w->act.result, ACTION_NONE);
	assert_string_equal(w->act.type, "alert");
	assert_false(w->act.probe);
	assert_int_equal(w->act.npids, 0);
	free_world(w);
}

/* A probe rule's conflict: written at once, marked, nothing signalled. */
static void probe_is_marked(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	w->ev.sock.port = 9091;
	add_holder(w, 815, 77, USER);
	assert_int_equal(decide(w), VERDICT_WRITE);
	assert_ptr_equal(w->r.action, &w->act);
	assert_string_equal(w->act.rule, "config-test");
	assert_string_equal(w->act.type, "probe");
	assert_true(w->act.probe);
	assert_true(record_probe(&w->r));
	assert_int_equal(w->act.result, ACTION_NONE);
	assert_int_equal(w->act.npids, 0);
	assert_int_equal(w->act.id, 0);
	/* the rule's holder condition fails: an ordinary conflict */
	memcpy(w->holders[0].h.comm, "ruby", 5);
	assert_int_equal(decide(w), VERDICT_NONE);
	assert_null(w->r.action);
	assert_false(record_probe(&w->r));
	free_world(w);
}

static void refuses_pid1(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, USER);
	add_holder(w, 1, 77, 0); /* socket activation: PID 1 holds it too */
	assert_refused(w, ACTION_PROTECTED, "PID 1 holds the socket");
	free_world(w);
}

static void refuses_kernel_thread(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, USER);
	w->holders[0].pi.id.kthread = true;
	assert_refused(w, ACTION_PROTECTED, "kernel thread");
	free_world(w);
}

static void refuses_self_and_requester(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, SELF, 77, USER);
	assert_refused(w, ACTION_PROTECTED, "bindwatch itself");
	w->holders[0].h.pid = w->ev.pid;
	assert_refused(w, ACTION_PROTECTED, "the requester holds the socket itself");
	free_world(w);
}

static void refuses_protected(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, USER);
	add_holder(w, 816, 77, USER);
	memcpy(w->holders[1].h.comm, "sshd", 5); /* a sharer on the protect list */
	assert_refused(w, ACTION_PROTECTED, "protect list");
	free_world(w);
}

static void refuses_unmatched_sharer(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, USER);
	add_holder(w, 816, 77, USER);
	memcpy(w->holders[1].h.comm, "ruby", 5); /* the rule names python3 */
	assert_refused(w, ACTION_PROTECTED, "does not match the rule");
	free_world(w);
}

static void refuses_other_users_process(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, 0); /* root's python3 */
	assert_refused(w, ACTION_PROTECTED, "the holder runs as uid 0 and the requester as uid 1000");
	w->holders[0].pi.id.ruid = -1; /* unreadable: refused too */
	assert_refused(w, ACTION_PROTECTED, "the holder's uid could not be read");
	w->holders[0].pi.id.ruid = OTHER;
	w->ev.uid = 0; /* root may */
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	free_world(w);
}

/*
 * The uid a holder is judged by is its process's real uid: neither the
 * socket's owner nor the effective uid.
 */
static void judges_by_real_uid(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	/* root bound the socket, then the process dropped to the requester's uid (nginx) */
	add_holder(w, 815, 77, USER);
	w->holders[0].h.sock.uid = 0;
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	free_world(w);

	/* root's process acting as the requester's uid for a while (seteuid) */
	w = new_world(false);
	add_holder(w, 815, 77, 0);
	w->holders[0].h.sock.uid = USER;
	w->holders[0].pi.id.euid = USER;
	assert_refused(w, ACTION_PROTECTED, "the holder runs as uid 0 and the requester as uid 1000");
	free_world(w);
}

static void crosses_users_when_rule_says(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	w->ev.sock.port = 9000; /* rule cross names requester uid 1000 */
	add_holder(w, 815, 77, OTHER);
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	assert_string_equal(w->rule->name, "cross");
	free_world(w);
}

static void refuses_reused_pid(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, USER);
	/* gone (or the pid's start time another process's) when diagnosed: no comm to match */
	w->holders[0].pi.exited = true;
	assert_int_equal(decide(w), VERDICT_NONE);
	w->ev.sock.port = 8082; /* a rule without holder conditions */
	assert_refused(w, ACTION_FAILED, "exited (or its pid was reused)");
	free_world(w);
}

static void refuses_unknowns(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, USER);
	w->ev.sock.port = 8082; /* a rule without holder conditions */
	w->diag.omitted = 3; /* sharers not checked */
	assert_refused(w, ACTION_FAILED, "more processes and sockets hold the port");
	w->diag.omitted = 0;
	w->holders[0].h.pid = 0; /* TIME_WAIT: no process */
	assert_refused(w, ACTION_FAILED, "no process holds the socket");
	w->holders[0].h.kernel = 1;
	assert_refused(w, ACTION_FAILED, "the kernel holds the socket");
	w->holders[0].h.kernel = 0;
	w->holders[0].h.pid = 815;
	w->holders[0].pi.exe = NULL; /* protect and the rule cannot see it: neither may reclaim */
	assert_refused(w, ACTION_FAILED, "command or executable could not be read");
	w->diag.n = 0;
	assert_refused(w, ACTION_FAILED, "no holder was found");
	free_world(w);
}

/* Container web of podman (name and image from its files), in no pod. */
static char web_name[] = "web", web_image[] = "localhost/web:1.25";

static struct workload web_workload(enum workload_source source)
{
	struct workload wl = { .source = source, .runtime = "podman", .id = CONTAINER,
			       .name = web_name, .image = web_image, .container_port = -1 };

	if (source == WORKLOAD_PROXY)
		wl.container_port = PUBLISHED_PORT;
	return wl;
}

/* Holder 0 runs in container wl (its cgroup path's). */
static void in_container(struct world *w, struct workload *wl)
{
	memcpy(w->holders[0].pi.container, CONTAINER, sizeof(CONTAINER));
	w->holders[0].pi.unit = NULL;
	w->holders[0].pi.workload = wl;
}

static void signals_container_holder(void **state)
{
	struct world *w = new_world(false);
	struct workload wl = web_workload(WORKLOAD_CGROUP);

	(void)state;
	w->ev.sock.port = 8083;
	add_holder(w, 815, 77, USER);
	in_container(w, &wl);
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	assert_string_equal(w->rule->name, "web");
	wl.name = NULL; /* the name unknown: the rule does not match */
	w->ev.sock.port = 8084; /* a new port: no reclaim under way */
	assert_int_equal(decide(w), VERDICT_NONE);
	free_world(w);
}

/* conmon, docker-proxy: the port is the container's; stopping the container frees it. */
static void refuses_proxy(void **state)
{
	struct world *w = new_world(false);
	struct workload wl = web_workload(WORKLOAD_PROXY);
	char hostile[] = "web\n\033[2J";

	(void)state;
	w->ev.sock.port = 8083; /* the rule names the container it proxies for */
	add_holder(w, 815, 77, USER);
	memcpy(w->holders[0].h.comm, "conmon", 7);
	w->holders[0].pi.workload = &wl;
	assert_refused(w, ACTION_PROTECTED, "the holder is podman's port proxy for container web: "
		       "stop or restart the container instead");
	assert_string_equal(w->act.why, "the holder is podman's port proxy for container web: "
			    "stop or restart the container instead");
	w->ev.sock.port = 8082; /* any holder: a proxy still is not one */
	assert_refused(w, ACTION_PROTECTED, "port proxy for container web");
	wl.name = NULL;
	assert_refused(w, ACTION_PROTECTED, "podman's port proxy for container 0123456789ab: ");
	wl.name = hostile; /* named by whoever started it: one line, no escapes */
	assert_refused(w, ACTION_PROTECTED, "port proxy for container web\\x0a\\x1b[2J: ");
	wl.runtime[0] = '\0';
	assert_refused(w, ACTION_PROTECTED, "the holder is a container runtime's port proxy");
	free_world(w);
}

static void refuses_protected_pod(void **state)
{
	struct world *w = new_world(false);
	struct workload wl = web_workload(WORKLOAD_CGROUP);
	char ns[] = "kube-system", other[] = "default";

	(void)state;
	w->ev.sock.port = 8083;
	add_holder(w, 815, 77, USER);
	in_container(w, &wl);
	wl.pod.namespace = ns;
	assert_refused(w, ACTION_PROTECTED,
		       "the holder is on the protect list (protect.pod.namespace \"kube-system\")");
	wl.pod.namespace = other;
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	free_world(w);
}

/* protect names pods: a container whose runtime files could not be read may be one. */
static void refuses_unidentified_container(void **state)
{
	struct world *w = new_world(false);
	struct workload wl = web_workload(WORKLOAD_CGROUP);

	(void)state;
	w->ev.sock.port = 8082; /* a rule without holder conditions */
	add_holder(w, 815, 77, USER);
	in_container(w, &wl);
	wl.name = NULL;
	wl.image = NULL;
	assert_refused(w, ACTION_FAILED, "the holder's container could not be identified");
	w->holders[0].pi.workload = NULL; /* not looked up: as blind */
	assert_refused(w, ACTION_FAILED, "the holder's container could not be identified");
	w->holders[0].pi.container[0] = '\0'; /* in no container: nothing to see */
	w->holders[0].pi.unit = unit;
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	free_world(w);
}

static void cooldown_keys(void **state)
{
	struct world *w = new_world(false);
	uint64_t first;

	(void)state;
	add_holder(w, 815, 77, USER);
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	first = w->act.id;
	/* under way: the same holder again, in progress */
	w->holders[0].h.pid = 830; /* restarted by its service: same identity */
	assert_refused(w, ACTION_IN_PROGRESS, "under way");
	assert_int_equal(w->act.wait_id, first);
	assert_string_equal(w->act.wait_rule, "stale");
	verdict_end(&w->v, first, COOLDOWN_MS, NOW, &(struct timespec){ 1764583324, 0 });
	/* the same holder (unit api.service, uid 1000) on the same port: cooldown */
	assert_refused(w, ACTION_COOLDOWN, "the same holder was reclaimed within the rule's cooldown");
	assert_int_equal(w->act.wait_id, first);
	assert_int_equal(w->act.remaining_ms, COOLDOWN_MS);
	assert_int_equal(w->act.npids, 0);
	/* another port, protocol or namespace: not held off */
	w->ev.sock.port = 8081;
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	assert_int_equal(w->act.id, first + 1);
	w->ev.sock.port = 8080;
	w->ev.sock.netns++;
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	w->ev.sock.netns--;
	/* another holder identity (another unit) on the same port: not held off */
	w->holders[0].pi.unit = NULL;
	w->holders[0].pi.cgroup = NULL;
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	free_world(w);
}

static void quotas(void **state)
{
	struct world *w = new_world(false);
	size_t i;

	(void)state;
	/* a uid may have a quarter of the running reclaims: 4 of 16 */
	for (i = 0; i < VERDICT_MAX_RUNNING / VERDICT_QUOTA_SHARE; i++) {
		w->diag.n = 0;
		add_holder(w, 815, 77, USER);
		w->ev.sock.netns = (uint32_t)(100 + i); /* each in its own namespace */
		assert_int_equal(decide(w), VERDICT_SIGNAL);
	}
	w->ev.sock.netns = 200;
	assert_refused(w, ACTION_FAILED, "reclaim quota: requester uid 1000 already has 4");
	free_world(w);
}

static void dry_run(void **state)
{
	struct world *w = new_world(true);

	(void)state;
	add_holder(w, 815, 77, USER);
	assert_int_equal(decide(w), VERDICT_WRITE);
	assert_int_equal(w->act.result, ACTION_DRY_RUN);
	assert_int_equal(w->act.nsignals, 1);
	assert_int_equal(w->act.signals[0], 15);
	assert_int_equal(w->act.npids, 1);
	assert_int_equal(w->act.id, 1);
	/* its cooldown starts as a real reclaim's would */
	assert_refused(w, ACTION_COOLDOWN, "dry-run: the same holder would have been reclaimed "
		       "within the rule's cooldown (nothing was signalled)");
	/* and a holder the first rule does not match says why */
	w->ev.sock.port = 8081;
	memcpy(w->holders[0].h.comm, "ruby", 5);
	assert_int_equal(decide(w), VERDICT_NONE);
	assert_non_null(w->r.unmatched);
	assert_string_equal(w->r.unmatched->rule, "stale");
	assert_ptr_equal(w->r.unmatched, &w->r.misses[0]);
	free_world(w);
}

/* Outside --dry-run too, a record says why the rules naming its port did not match. */
static void explains_misses(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	w->ev.sock.port = 8081;
	add_holder(w, 815, 77, USER);
	memcpy(w->holders[0].h.comm, "ruby", 5);
	assert_int_equal(decide(w), VERDICT_NONE);
	assert_null(w->r.unmatched); /* the dry-run key */
	assert_int_equal(w->r.nmisses, 1);
	assert_int_equal(w->r.misses_more, 0);
	assert_string_equal(w->r.misses[0].rule, "stale");
	assert_int_equal(w->r.misses[0].line, 6);
	assert_string_equal(w->r.misses[0].miss.field, "comm");
	assert_string_equal(w->r.misses[0].miss.want, "python3");
	assert_string_equal(w->r.misses[0].miss.got, "ruby");
	/* the rule matches: nothing to explain */
	memcpy(w->holders[0].h.comm, "python3", 8);
	assert_int_equal(decide(w), VERDICT_SIGNAL);
	assert_int_equal(w->r.nmisses, 0);
	assert_null(w->r.misses);
	free_world(w);
}

static void stopping(void **state)
{
	struct world *w = new_world(false);

	(void)state;
	add_holder(w, 815, 77, USER);
	w->v.stopping = true;
	assert_int_equal(decide(w), VERDICT_WRITE);
	assert_int_equal(w->act.result, ACTION_FAILED);
	assert_string_equal(w->act.why, "bindwatch was stopping");
	free_world(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(signals_own_stale_holder),
		cmocka_unit_test(no_rule_no_action),
		cmocka_unit_test(probe_is_marked),
		cmocka_unit_test(refuses_pid1),
		cmocka_unit_test(refuses_kernel_thread),
		cmocka_unit_test(refuses_self_and_requester),
		cmocka_unit_test(refuses_protected),
		cmocka_unit_test(refuses_unmatched_sharer),
		cmocka_unit_test(refuses_other_users_process),
		cmocka_unit_test(judges_by_real_uid),
		cmocka_unit_test(crosses_users_when_rule_says),
		cmocka_unit_test(refuses_reused_pid),
		cmocka_unit_test(refuses_unknowns),
		cmocka_unit_test(signals_container_holder),
		cmocka_unit_test(refuses_proxy),
		cmocka_unit_test(refuses_protected_pod),
		cmocka_unit_test(refuses_unidentified_container),
		cmocka_unit_test(cooldown_keys),
		cmocka_unit_test(explains_misses),
		cmocka_unit_test(quotas),
		cmocka_unit_test(dry_run),
		cmocka_unit_test(stopping),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
