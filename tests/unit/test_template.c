// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_template.c - exec argument templates (expansion, braces, the rule
 * that a value a process chooses may not start an argument) and the one
 * table of record variables that the hook environment, the placeholders
 * and the policy checker share.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "policy.h"
#include "recvars.h"
#include "template.h"
#include "workload.h"

static const struct template_var vars[] = {
	{ "port", "8080", false }, { "holder.pid", "4242", false }, { "holder.exe", NULL, true },
	{ "rule", "stale {port}", false },
};

#define NVARS (sizeof(vars) / sizeof(vars[0]))

static int expand(const char *tmpl, struct strbuf *sb)
{
	strbuf_reset(sb);
	return template_expand(tmpl, vars, NVARS, sb);
}

static void test_expand(void **state)
{
	struct strbuf sb;

	(void)state;
	strbuf_init(&sb);
	assert_int_equal(expand("{port}", &sb), 0);
	assert_string_equal(sb.s, "8080");
	assert_int_equal(expand("pid={holder.pid} port={port}{port}", &sb), 0);
	assert_string_equal(sb.s, "pid=4242 port=80808080");
	assert_int_equal(expand("{{port}} {{}} }}{{", &sb), 0);
	assert_string_equal(sb.s, "{port} {} }{");
	assert_int_equal(expand("exe=[{holder.exe}]", &sb), 0);
	assert_string_equal(sb.s, "exe=[]");
	assert_int_equal(expand("{rule}", &sb), 0); /* values are not expanded again */
	assert_string_equal(sb.s, "stale {port}");
	assert_int_equal(expand("", &sb), 0);
	assert_string_equal(sb.s, "");

	assert_int_equal(expand("{nope}", &sb), -EINVAL);
	assert_int_equal(expand("{}", &sb), -EINVAL);
	assert_int_equal(expand("{port", &sb), -EINVAL);
	assert_int_equal(expand("port}", &sb), -EINVAL);
	assert_int_equal(expand("{{port}", &sb), -EINVAL);
	assert_int_equal(expand("{po{rt}", &sb), -EINVAL);
	assert_int_equal(expand("{ port}", &sb), -EINVAL);
	strbuf_reset(&sb);
	assert_int_equal(template_expand("{port}", vars, 0, &sb), -EINVAL);
	strbuf_free(&sb);
}

static void test_check(void **state)
{
	const char *t, *bad;

	(void)state;
	assert_int_equal(template_check("--pid={holder.pid} {{x}}", vars, NVARS, &bad), TEMPLATE_OK);
	assert_int_equal(template_check("{holder.pid}", vars, NVARS, &bad), TEMPLATE_OK);
	t = "x {nope} {holder.exe}";
	assert_int_equal(template_check(t, vars, NVARS, &bad), TEMPLATE_UNKNOWN);
	assert_ptr_equal(bad, t + 2);
	t = "--a={port";
	assert_int_equal(template_check(t, vars, NVARS, &bad), TEMPLATE_UNBALANCED);
	assert_ptr_equal(bad, t + 4);
	/* a chosen value at the start: even after an empty placeholder */
	t = "{holder.exe}";
	assert_int_equal(template_check(t, vars, NVARS, &bad), TEMPLATE_LEADS);
	assert_ptr_equal(bad, t);
	t = "{port}{holder.exe}";
	assert_int_equal(template_check(t, vars, NVARS, &bad), TEMPLATE_LEADS);
	assert_ptr_equal(bad, t + 6);
	/* an unknown name is reported before a leading chosen value */
	assert_int_equal(template_check("{holder.exe} {x}", vars, NVARS, &bad), TEMPLATE_UNKNOWN);
	assert_int_equal(template_check("{{{holder.exe}", vars, NVARS, &bad), TEMPLATE_OK);
	assert_int_equal(template_check("-{holder.exe}", vars, NVARS, &bad), TEMPLATE_OK);
}

/*
 * Every variable has a distinct name and environment variable; comm and
 * exe are chosen, and a workload's names.
 */
static void test_table(void **state)
{
	size_t i, j;

	(void)state;
	for (i = 0; i < RECORD_VARS; i++) {
		assert_non_null(record_vars[i].name);
		assert_int_equal(strncmp(record_vars[i].env, "BINDWATCH_", 10), 0);
		assert_int_equal(record_vars[i].chosen,
				 strstr(record_vars[i].name, ".comm") || strstr(record_vars[i].name, ".exe") ||
				 strstr(record_vars[i].name, ".container") ||
				 strstr(record_vars[i].name, ".image") ||
				 strstr(record_vars[i].name, ".pod") ||
				 strstr(record_vars[i].name, ".namespace"));
		for (j = 0; j < i; j++) {
			assert_string_not_equal(record_vars[i].name, record_vars[j].name);
			assert_string_not_equal(record_vars[i].env, record_vars[j].env);
		}
	}
}

static const char *value_of(const struct template_var *v, const char *name)
{
	size_t i;

	for (i = 0; i < RECORD_VARS; i++)
		if (!strcmp(v[i].name, name))
			return v[i].value;
	fail_msg("no variable %s", name);
	return NULL;
}

/* The values a conflict record gives, and which it lacks. */
static void test_values(void **state)
{
	struct bw_event ev = { .ret = -EADDRINUSE, .pid = 815, .uid = 1000, .comm = "node" };
	struct holder_info hi = { .h = { .pid = 42, .comm = "python3" },
				  .pi = { .exe = "/usr/bin/python3.11" } };
	struct diagnosis d = { .holders = &hi, .n = 1, .reason = REASON_LISTENER };
	struct record_action act = { .rule = "stale", .type = "reclaim", .result = ACTION_COOLDOWN };
	struct proc_info req = { .exe = "/usr/bin/node" };
	struct bw_record r = { .ev = &ev, .req = &req };
	char bufs[RECORD_VARS][RECORD_VAR_LEN];
	struct template_var v[RECORD_VARS];
	uint64_t suppressed = 7;

	(void)state;
	ev.sock.port = 8080;
	ev.sock.family = AF_INET;
	ev.sock.type = SOCK_STREAM;
	ev.sock.protocol = IPPROTO_TCP;
	ev.sock.addr[0] = 127;
	ev.sock.addr[3] = 1;
	hi.h.sock.uid = 33;
	record_vars_values(&r, v, bufs);
	assert_string_equal(value_of(v, "port"), "8080");
	assert_string_equal(value_of(v, "proto"), "tcp");
	assert_string_equal(value_of(v, "addr"), "127.0.0.1");
	assert_string_equal(value_of(v, "requester.pid"), "815");
	assert_string_equal(value_of(v, "requester.uid"), "1000");
	assert_string_equal(value_of(v, "requester.comm"), "node");
	assert_string_equal(value_of(v, "requester.exe"), "/usr/bin/node");
	assert_string_equal(value_of(v, "event"), "conflict");
	/* no diagnosis, no rule, not a hook's copy: absent */
	assert_null(value_of(v, "holder.pid"));
	assert_null(value_of(v, "holder.exe"));
	assert_null(value_of(v, "reason"));
	assert_null(value_of(v, "rule"));
	assert_null(value_of(v, "suppressed"));

	r.diag = &d;
	r.action = &act;
	r.suppressed = &suppressed;
	record_vars_values(&r, v, bufs);
	assert_string_equal(value_of(v, "holder.pid"), "42");
	assert_string_equal(value_of(v, "holder.uid"), "33");
	assert_string_equal(value_of(v, "holder.comm"), "python3");
	assert_string_equal(value_of(v, "holder.exe"), "/usr/bin/python3.11");
	assert_string_equal(value_of(v, "reason"), "listener");
	assert_string_equal(value_of(v, "rule"), "stale");
	assert_string_equal(value_of(v, "action"), "cooldown");
	assert_string_equal(value_of(v, "suppressed"), "7");
	act.result = ACTION_NONE; /* a log or alert rule: its type */
	record_vars_values(&r, v, bufs);
	assert_string_equal(value_of(v, "action"), "reclaim");

	/* a socket no process holds: no holder values */
	hi.h.pid = 0;
	record_vars_values(&r, v, bufs);
	assert_null(value_of(v, "holder.pid"));
	assert_null(value_of(v, "holder.comm"));
}

/* An ownership record: its event, and its expect rule as the rule and action. */
static void test_ownership_values(void **state)
{
	static const char text[] = "version: 1\nexpect:\n"
				   "  - name: web\n    port: 80\n    owner: {comm: nginx}\n"
				   "    action: alert\n";
	struct bw_event ev = { .pid = 815, .uid = 1000, .comm = "python3" };
	struct bw_record r = { .ev = &ev, .kind = RECORD_UNEXPECTED_OWNER };
	char bufs[RECORD_VARS][RECORD_VAR_LEN], err[256];
	struct template_var v[RECORD_VARS];
	struct policy *p;

	(void)state;
	assert_int_equal(policy_parse("o.yaml", text, sizeof(text) - 1, &p, err, sizeof(err)), 0);
	record_vars_values(&r, v, bufs);
	assert_string_equal(value_of(v, "event"), "unexpected-owner");
	assert_null(value_of(v, "rule")); /* no expect rule named the port */
	r.expect = &p->expects[0];
	record_vars_values(&r, v, bufs);
	assert_string_equal(value_of(v, "rule"), "web");
	assert_string_equal(value_of(v, "action"), "alert");
	r.kind = RECORD_REUSEPORT_JOIN;
	record_vars_values(&r, v, bufs);
	assert_string_equal(value_of(v, "event"), "reuseport-join");
	policy_free(p);
}

/* A requester's container and a holder's pod, by name; a container without one by its id. */
static void test_workload_values(void **state)
{
	struct bw_event ev = { .ret = -EADDRINUSE, .pid = 815 };
	struct workload job = { .runtime = "docker", .id = "0123", .name = "job",
				.image = "busybox:1", .container_port = -1 };
	struct workload web = { .runtime = "containerd", .id = "4567", .source = WORKLOAD_PROXY,
				.pod = { .name = "web-7d9", .namespace = "default" },
				.container_port = 80 };
	struct holder_info hi = { .h = { .pid = 42 }, .pi = { .workload = &web } };
	struct diagnosis d = { .holders = &hi, .n = 1 };
	struct proc_info req = { .workload = &job };
	struct bw_record r = { .ev = &ev, .req = &req, .diag = &d };
	char bufs[RECORD_VARS][RECORD_VAR_LEN];
	struct template_var v[RECORD_VARS];

	(void)state;
	record_vars_values(&r, v, bufs);
	assert_string_equal(value_of(v, "requester.container"), "job");
	assert_string_equal(value_of(v, "requester.image"), "busybox:1");
	assert_string_equal(value_of(v, "requester.runtime"), "docker");
	assert_null(value_of(v, "requester.pod"));
	assert_null(value_of(v, "requester.namespace"));
	assert_string_equal(value_of(v, "holder.container"), "4567");
	assert_null(value_of(v, "holder.image"));
	assert_string_equal(value_of(v, "holder.runtime"), "containerd");
	assert_string_equal(value_of(v, "holder.pod"), "web-7d9");
	assert_string_equal(value_of(v, "holder.namespace"), "default");
	/* no workload: absent */
	req.workload = NULL;
	hi.h.pid = 0;
	record_vars_values(&r, v, bufs);
	assert_null(value_of(v, "requester.container"));
	assert_null(value_of(v, "requester.runtime"));
	assert_null(value_of(v, "holder.container"));
	assert_null(value_of(v, "holder.pod"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_workload_values),
		cmocka_unit_test(test_ownership_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
