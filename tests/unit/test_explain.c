// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_explain.c - why a rule did not match (policy_rule_holds() with a
 * policy_miss, policy_explain.c's sentences) and check-policy --replay's reading
 * and answer for one log line (replay.c).
 *
 * The explanation comes from the matcher itself, so one test pins that
 * policy_rule_holds() and policy_match() agree on every process tried;
 * the rest pin each sentence exactly, and that a log line, which a user's
 * comm and command line are in, is refused by name or printed escaped.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "policy_explain.h"
#include "replay.h"

#define ERR_LEN 512
#define PORT 6379
#define LONG_LEN 300 /* a value longer than POLICY_MISS_VALUE_MAX */
#define DIGITS 4096  /* a command line a backtracking pattern gives up on */
#define CID "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const char policy_text[] =
	"version: 1\n"
	"protect: {exe: [\"/usr/sbin/*\"], unit: [\"" CID "\"]}\n"
	"rules:\n"
	"  - name: redis\n"
	"    match:\n"
	"      port: 6379\n"
	"      holder:\n"
	"        exe: /usr/bin/redis-server\n"
	"    action: reclaim\n"
	"  - name: udp-only\n"
	"    match:\n"
	"      port: 6379\n"
	"      proto: udp\n"
	"    action: log\n"
	"  - name: old\n"
	"    match:\n"
	"      port: 6379\n"
	"      holder:\n"
	"        state: listen\n"
	"        uid: 1000\n"
	"        min_age: 10m\n"
	"        comm: redis-server\n"
	"        cmdline: \"(\\\\d+)+\\\\D$\"\n"
	"      requester:\n"
	"        uid: 1000\n"
	"    action: reclaim\n"
	"  - name: any\n"
	"    match:\n"
	"      port: 6379\n"
	"    action: alert\n";

static struct policy *pol;

static int setup(void **state)
{
	char err[ERR_LEN];

	if (policy_parse("p.yaml", policy_text, sizeof(policy_text) - 1, &pol, err, sizeof(err))) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	policy_free(pol);
	return 0;
}

static const struct policy_rule *rule(const char *name)
{
	size_t i;

	for (i = 0; i < pol->nrules; i++)
		if (!strcmp(pol->rules[i].name, name))
			return &pol->rules[i];
	fail_msg("no rule %s", name);
	return NULL;
}

/* Why rule name does not hold for holder h and requester q, as text. */
static char *why(const char *name, int proto, const struct policy_proc *h,
		 const struct policy_proc *q)
{
	static char buf[1024];
	struct explain e = { .rule = name };
	struct strbuf sb;

	assert_false(policy_rule_holds(pol, rule(name), PORT, proto, h, q, &e.miss));
	strbuf_init(&sb);
	explain_text(&sb, &e);
	snprintf(buf, sizeof(buf), "%s", sb.s);
	strbuf_free(&sb);
	return buf;
}

static struct policy_proc holder(void)
{
	return (struct policy_proc){ .comm = "redis-server", .exe = "/usr/bin/redis-check-rdb",
				     .cmdline = "redis-server *:6379", .uid = 1000,
				     .age_ms = 11 * 60000, .state = POLICY_STATE_LISTEN };
}

static void test_sentences(void **state)
{
	struct policy_proc h = holder(), q = { .comm = "api", .uid = 1000, .age_ms = 0 };

	assert_string_equal(why("redis", IPPROTO_TCP, &h, &q), "rule redis: holder.exe "
			    "\"/usr/bin/redis-check-rdb\" does not match \"/usr/bin/redis-server\"");
	assert_string_equal(why("udp-only", IPPROTO_TCP, &h, &q),
			    "rule udp-only: proto tcp is not udp");
	h.state = POLICY_STATE_BOUND;
	assert_string_equal(why("old", IPPROTO_TCP, &h, &q), "rule old: holder.state bound is not listen");
	h = holder();
	h.uid = 0;
	assert_string_equal(why("old", IPPROTO_TCP, &h, &q), "rule old: holder.uid 0 is not 1000");
	h = holder();
	h.age_ms = 1500;
	assert_string_equal(why("old", IPPROTO_TCP, &h, &q),
			    "rule old: holder.min_age: the process was 1500ms old, the rule wants 10m");
	h = holder();
	h.comm = "re\"dis\x1b[0m";
	assert_string_equal(why("old", IPPROTO_TCP, &h, &q), "rule old: holder.comm "
			    "\"re\\\"dis\\x1b[0m\" does not match \"redis-server\"");
	h = holder();
	h.comm = NULL;
	assert_string_equal(why("old", IPPROTO_TCP, &h, &q),
			    "rule old: holder.comm is unknown (the rule wants \"redis-server\")");
	h = holder();
	assert_string_equal(why("old", IPPROTO_TCP, &h, &q), "rule old: holder.cmdline "
			    "\"redis-server *:6379\" does not match \"(\\\\d+)+\\\\D$\"");
	h.cmdline = "1234x";
	q.uid = 0;
	assert_string_equal(why("old", IPPROTO_TCP, &h, &q), "rule old: requester.uid 0 is not 1000");
	assert_string_equal(why("redis", IPPROTO_TCP, NULL, &q),
			    "rule redis: holder.exe is unknown (the rule wants \"/usr/bin/redis-server\")");
}

/* A pattern that backtracks without end says so, and which limit it reached. */
static void test_gave_up(void **state)
{
	struct policy_proc h = holder(), q = { .uid = 1000 };
	struct explain e = { .rule = "old" };
	char *digits = malloc(DIGITS + 1);

	assert_non_null(digits);
	memset(digits, '7', DIGITS);
	digits[DIGITS] = '\0';
	h.cmdline = digits;
	assert_false(policy_rule_holds(pol, rule("old"), PORT, IPPROTO_TCP, &h, &q, &e.miss));
	assert_string_equal(e.miss.field, "cmdline");
	assert_non_null(e.miss.gave_up);
	assert_true(e.miss.got_cut);
	assert_int_equal(strlen(e.miss.got), POLICY_MISS_VALUE_MAX - 1);
	free(digits);
}

/* A long value is cut between characters, never inside one. */
static void test_cut(void **state)
{
	char exe[2 * LONG_LEN + 1] = "";
	struct policy_proc h = holder();
	struct explain e = { .rule = "redis" };
	size_t i, n;

	for (i = 0; i < LONG_LEN; i++)
		strcat(exe, "\xc3\xa9"); /* é */
	h.exe = exe;
	assert_false(policy_rule_holds(pol, rule("redis"), PORT, IPPROTO_TCP, &h, NULL, &e.miss));
	n = strlen(e.miss.got);
	assert_true(e.miss.got_cut);
	assert_true(n < POLICY_MISS_VALUE_MAX && n % 2 == 0);
	assert_memory_equal(e.miss.got, exe, n);
}

/* The explanation is the matcher: both agree on every process tried. */
static void test_agrees_with_match(void **state)
{
	struct policy_proc hs[] = { holder(), holder(), holder(), holder() };
	struct policy_proc q = { .uid = 1000 };
	const struct policy_rule *m;
	struct policy_misses why;
	struct policy_miss miss;
	size_t i, r;

	hs[1].exe = "/usr/bin/redis-server";
	hs[2].cmdline = "9x";
	hs[3].uid = -1;
	for (i = 0; i < sizeof(hs) / sizeof(hs[0]); i++) {
		m = policy_match(pol, PORT, IPPROTO_TCP, &hs[i], &q);
		assert_non_null(m);
		for (r = 0; &pol->rules[r] != m; r++)
			assert_false(policy_rule_holds(pol, &pol->rules[r], PORT, IPPROTO_TCP,
						       &hs[i], &q, &miss));
		assert_true(policy_rule_holds(pol, m, PORT, IPPROTO_TCP, &hs[i], &q, NULL));
		/* policy_match_why() finds the same rule, listing those before it */
		assert_ptr_equal(policy_match_why(pol, PORT, IPPROTO_TCP, &hs[i], &q, &why), m);
		assert_int_equal(why.n + why.more, r);
		if (why.n)
			assert_ptr_equal(why.rule[0], rule("redis"));
	}
	assert_ptr_equal(policy_match(pol, PORT, IPPROTO_TCP, &hs[2], &q), rule("old"));
}

#define HOLDER_JSON(exe, comm, uid, pid) \
	"\"holders\":[{\"pid\":" pid ",\"comm\":\"" comm "\",\"uid\":" uid ",\"exe\":\"" exe \
	"\",\"state\":\"LISTEN\",\"cmdline\":\"9x\",\"start_boottime_ns\":0,\"exited\":false}]"
/* A holder whose socket is uid's, its process of real uid ruid and effective uid euid. */
#define HOLDER_UIDS(uid, ruid, euid) \
	"\"holders\":[{\"pid\":40,\"comm\":\"r\",\"uid\":" uid ",\"ruid\":" ruid \
	",\"euid\":" euid ",\"suid\":" ruid ",\"exe\":\"/usr/bin/redis-server\"," \
	"\"state\":\"LISTEN\",\"start_boottime_ns\":0,\"exited\":false}]"
#define CONFLICT(req_uid, holders) \
	"{\"event\":\"conflict\",\"time\":\"T\",\"mono_ns\":700000000000,\"proto\":\"tcp\"," \
	"\"addr\":\"127.0.0.1\",\"port\":6379,\"socket\":{\"protocol\":6}," \
	"\"requester\":{\"pid\":42,\"uid\":" req_uid ",\"comm\":\"a\\u001b]0;x\\u0007\"}," holders "}"

static int replay(const char *line, bool json, struct strbuf *out, char *err)
{
	strbuf_reset(out);
	return replay_line(pol, "log", 7, line, strlen(line), json, out, NULL, err, ERR_LEN);
}

static void test_replay(void **state)
{
	char err[ERR_LEN];
	struct strbuf out;

	strbuf_init(&out);
	assert_int_equal(replay(CONFLICT("1000", HOLDER_JSON("/usr/bin/redis-check-rdb",
				"redis-server", "1000", "40")), false, &out, err), 0);
	assert_string_equal(out.s,
		"log:7: T tcp 127.0.0.1:6379 by \"a\\x1b]0;x\\x07\"[42] uid=1000, held by "
		"redis-server[40] uid=1000\n"
		"  logged: no rule; now: would reclaim (rule old)\n"
		"  decision: rule old (line 15): reclaim: would reclaim pid 40 with SIGTERM, if the "
		"checks on the live processes pass (not replayed: the holder still the process "
		"recorded, the same program as the same uids, the processes sharing the socket, "
		"the cooldown)\n"
		"  rule redis: holder.exe \"/usr/bin/redis-check-rdb\" does not match "
		"\"/usr/bin/redis-server\"\n"
		"  rule udp-only: proto tcp is not udp\n");
	/*
	 * another user's holder: the cross-user rule, on the recorded uids; a
	 * record without ruid (older than it) gives the socket's owner
	 */
	assert_int_equal(replay(CONFLICT("1000", HOLDER_JSON("/usr/bin/redis-server", "r",
				"0", "40")), true, &out, err), 0);
	assert_non_null(strstr(out.s, "\"decision\":{\"rule\":\"redis\",\"line\":4,\"type\":"
			       "\"reclaim\",\"result\":\"protected\",\"why\":\"the holder runs as uid 0 "
			       "and the requester as uid 1000"));
	assert_non_null(strstr(out.s, "\"unmatched\":[],\"unmatched_more\":0}\n"));
	/*
	 * The holder's uid is its process's real uid (ruid), as the monitor's: root
	 * bound the socket, the process runs as 1000 now (nginx's workers)...
	 */
	assert_int_equal(replay(CONFLICT("1000", HOLDER_UIDS("0", "1000", "1000")), true, &out,
				err), 0);
	assert_non_null(strstr(out.s, "\"holder\":{\"pid\":40,\"comm\":\"r\",\"uid\":1000,"));
	assert_non_null(strstr(out.s, "\"result\":\"would-reclaim\""));
	/* ...and root's process acting as 1000 for a while (seteuid) is root's */
	assert_int_equal(replay(CONFLICT("1000", HOLDER_UIDS("1000", "0", "1000")), true, &out,
				err), 0);
	assert_non_null(strstr(out.s, "\"result\":\"protected\",\"why\":\"the holder runs as "
			       "uid 0 and the requester as uid 1000"));
	/* unknown (null): as the monitor, refused */
	assert_int_equal(replay(CONFLICT("1000", HOLDER_UIDS("1000", "null", "null")), true, &out,
				err), 0);
	assert_non_null(strstr(out.s, "\"why\":\"the holder's uid could not be read"));
	/* on the protect list */
	assert_int_equal(replay(CONFLICT("0", HOLDER_JSON("/usr/sbin/x", "x", "0", "40")), false,
				&out, err), 0);
	assert_non_null(strstr(out.s, "decision: rule any (line 27): alert\n"));
	assert_int_equal(replay(CONFLICT("0", "\"holders\":[]"), false, &out, err), 0);
	assert_non_null(strstr(out.s, "held by nothing recorded\n  logged: no rule; now: alert (rule any)\n"
			       "  decision: rule any"));
	strbuf_free(&out);
}

/*
 * protect by uid looks at the recorded real, effective and saved uids, as
 * the monitor does: a setuid-root program nobody started is root's.
 */
static void test_replay_protect_uid(void **state)
{
	static const char text[] = "version: 1\nprotect: {uid: [0]}\nrules:\n"
				   "  - {name: r, match: {port: 6379}, action: reclaim}\n";
	static const struct { const char *line; bool protected; } cases[] = {
		{ CONFLICT("65534", HOLDER_UIDS("65534", "65534", "65534")), false },
		{ CONFLICT("65534", HOLDER_UIDS("65534", "65534", "0")), true },
		/* an older record: the socket's owner stands for the process */
		{ CONFLICT("65534", HOLDER_JSON("/usr/bin/x", "x", "65534", "40")), false },
	};
	struct policy *p;
	struct strbuf out;
	char err[ERR_LEN];
	size_t i;

	(void)state;
	assert_int_equal(policy_parse("u.yaml", text, sizeof(text) - 1, &p, err, sizeof(err)), 0);
	strbuf_init(&out);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_reset(&out);
		assert_int_equal(replay_line(p, "log", 1, cases[i].line, strlen(cases[i].line), true,
					     &out, NULL, err, ERR_LEN), 0);
		assert_int_equal(strstr(out.s, "\"result\":\"protected\"") != NULL,
				 cases[i].protected);
	}
	strbuf_free(&out);
	policy_free(p);
}

/* A redis-server holder of uid 0 recorded in cgroup with container id */
#define IN_CGROUP(cgroup, id) \
	"\"holders\":[{\"pid\":40,\"comm\":\"r\",\"uid\":0,\"exe\":\"/usr/bin/redis-server\"," \
	"\"cgroup\":\"" cgroup "\",\"container\":\"" id "\"}]"

/*
 * The recorded container counts (here: for protect unit) only when the
 * recorded cgroup's names give the same id in the system manager's part.
 */
static void test_replay_container(void **state)
{
	static const struct { const char *line; bool protected; } cases[] = {
		{ CONFLICT("0", IN_CGROUP("/system.slice/docker-" CID ".scope", CID)), true },
		/* an older record: the id came from a user's delegated subtree */
		{ CONFLICT("0", IN_CGROUP("/user.slice/user@1000.service/docker-" CID ".scope", CID)),
		  false },
		/* a record that names an id its cgroup does not give */
		{ CONFLICT("0", IN_CGROUP("/system.slice/api.service", CID)), false },
		{ CONFLICT("0", IN_CGROUP("/system.slice/docker-" CID ".scope", "")), false },
	};
	char err[ERR_LEN];
	struct strbuf out;
	size_t i;

	(void)state;
	strbuf_init(&out);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(replay(cases[i].line, false, &out, err), 0);
		assert_int_equal(strstr(out.s, "reclaim: protected: the holder is on the protect "
					"list") != NULL, cases[i].protected);
	}
	strbuf_free(&out);
}

/* A holder (pid 40, uid 0) with the recorded workload object wl. */
#define WITH_WORKLOAD(comm, wl) \
	"\"holders\":[{\"pid\":40,\"comm\":\"" comm "\",\"uid\":0,\"ruid\":0,\"euid\":0," \
	"\"suid\":0,\"exe\":\"/usr/bin/" comm "\",\"workload\":" wl "}]"
#define WORKLOAD(name, pod, source) \
	"{\"runtime\":\"podman\",\"id\":\"" CID "\",\"name\":" name ",\"image\":\"localhost/web\"," \
	"\"pod\":" pod ",\"source\":\"" source "\",\"container_port\":80}"
#define KUBE_SYSTEM "{\"name\":\"coredns-5d\",\"namespace\":\"kube-system\",\"uid\":\"u\"," \
	"\"container\":\"coredns\"}"

/* The workload objects of a log replay the rules written on containers and pods. */
static void test_replay_workload(void **state)
{
	static const char text[] =
		"version: 1\n"                                              /* 1 */
		"protect: {pod: {namespace: [kube-system]}}\n"              /* 2 */
		"rules:\n"                                                  /* 3 */
		"  - name: api\n"                                           /* 4 */
		"    match: {port: 6379, holder: {container: {name: \"api*\"}}}\n"
		"    action: reclaim\n"                                     /* 6 */
		"  - name: web\n"                                           /* 7 */
		"    match: {port: 6379, holder: {container: {name: web}}}\n"
		"    action: reclaim\n";                                    /* 9 */
	static const struct { const char *line, *want; } cases[] = {
		{ CONFLICT("0", WITH_WORKLOAD("conmon", WORKLOAD("\"web\"", "null", "proxy"))),
		  "  decision: rule web (line 7): reclaim: protected: the holder is podman's port "
		  "proxy for container web: stop or restart the container instead\n"
		  "  rule api: holder.container.name \"web\" does not match \"api*\"\n" },
		{ CONFLICT("0", WITH_WORKLOAD("nginx", WORKLOAD("\"web\"", KUBE_SYSTEM, "cgroup"))),
		  "  decision: rule web (line 7): reclaim: protected: the holder is on the protect "
		  "list (protect.pod.namespace \"kube-system\")\n" },
		{ CONFLICT("0", WITH_WORKLOAD("nginx", WORKLOAD("\"web\"", "null", "cgroup"))),
		  "  decision: rule web (line 7): reclaim: would reclaim pid 40" },
		{ CONFLICT("0", WITH_WORKLOAD("nginx", WORKLOAD("null", "null", "cgroup"))),
		  "  rule web: holder.container.name is unknown (the rule wants \"web\")\n" },
		/* a name whoever started the container chose: escaped */
		{ CONFLICT("0", WITH_WORKLOAD("nginx", WORKLOAD("\"w\\\"\\u001b[0m\"", "null",
							   "cgroup"))),
		  "  rule api: holder.container.name \"w\\\"\\x1b[0m\" does not match \"api*\"\n" },
		{ CONFLICT("0", WITH_WORKLOAD("nginx", "null")),
		  "  decision: no rule matches: log only\n"
		  "  rule api: holder.container.name is unknown (the rule wants \"api*\")\n" },
	};
	struct policy *p;
	struct strbuf out;
	char err[ERR_LEN];
	size_t i;

	(void)state;
	assert_int_equal(policy_parse("w.yaml", text, sizeof(text) - 1, &p, err, sizeof(err)), 0);
	strbuf_init(&out);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		strbuf_reset(&out);
		assert_int_equal(replay_line(p, "log", 1, cases[i].line, strlen(cases[i].line), false,
					     &out, NULL, err, ERR_LEN), 0);
		if (!strstr(out.s, cases[i].want))
			fail_msg("case %zu: %s", i, out.s);
	}
	strbuf_free(&out);
	policy_free(p);
}

/* A conflict on [::]:6379 whose record says action (a JSON object, or null). */
#define LOGGED(addr, action) \
	"{\"event\":\"conflict\",\"time\":\"T\",\"mono_ns\":700000000000,\"proto\":\"tcp\"," \
	"\"addr\":\"" addr "\",\"port\":6379,\"socket\":{\"protocol\":6}," \
	"\"requester\":{\"pid\":42,\"uid\":0,\"comm\":\"a\"}," \
	HOLDER_JSON("/usr/bin/redis-server", "r", "1000", "40") ",\"action\":" action "}"

/*
 * Replay writes addresses as records do, says what the log shows happened
 * beside what the policy would do now, and sums the answers up by rule
 * and outcome.
 */
static void test_replay_logged_and_summary(void **state)
{
	static const char *const lines[] = {
		LOGGED("::", "{\"rule\":\"redis\",\"type\":\"reclaim\",\"result\":\"reclaimed\"}"),
		LOGGED("::1", "{\"rule\":\"redis\",\"type\":\"reclaim\",\"result\":\"reclaimed\"}"),
		LOGGED("0.0.0.0", "{\"rule\":\"redis\",\"type\":\"reclaim\",\"result\":\"cooldown\"}"),
		LOGGED("not:an:address", "null"),
		LOGGED("::", "{\"rule\":\"x\",\"type\":\"reclaim\",\"result\":\"gone-fishing\"}"),
	};
	struct replay_summary sum = { 0 };
	struct strbuf out;
	char err[ERR_LEN];
	size_t i;

	(void)state;
	strbuf_init(&out);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
		assert_int_equal(replay_line(pol, "log", i + 1, lines[i], strlen(lines[i]), false, &out,
					     &sum, err, ERR_LEN), 0);
	assert_non_null(strstr(out.s, "log:1: T tcp [::]:6379 by a[42] uid=0, held by r[40] "
			       "uid=1000\n  logged: reclaimed (rule redis); now: would reclaim "
			       "(rule redis)\n"));
	assert_non_null(strstr(out.s, "log:2: T tcp [::1]:6379 by"));
	assert_non_null(strstr(out.s, "log:3: T tcp 0.0.0.0:6379 by"));
	assert_non_null(strstr(out.s, "log:4: T tcp not:an:address:6379 by")); /* as logged */
	assert_non_null(strstr(out.s, "  logged: no rule; now: would reclaim (rule redis)\n"));
	assert_non_null(strstr(out.s, "  logged: unknown (rule x); now:"));
	strbuf_reset(&out);
	replay_summary_write(&sum, false, &out);
	assert_string_equal(out.s, "summary:\n"
			    "  rule redis (line 4): would reclaim: 5 (logged: reclaimed 2, cooldown 1, "
			    "no rule 1, unknown 1)\n");
	strbuf_reset(&out);
	replay_summary_write(&sum, true, &out);
	assert_string_equal(out.s, "{\"summary\":[{\"rule\":\"redis\",\"line\":4,\"now\":"
			    "\"would-reclaim\",\"count\":5,\"logged\":{\"reclaimed\":2,\"cooldown\":1,"
			    "\"no-rule\":1,\"unknown\":1}}],\"other\":0}\n");
	strbuf_free(&out);
}

/* Values read from the log are quoted when they could pass for the line's syntax. */
static void test_replay_quotes_log_values(void **state)
{
	static const char line[] =
		"{\"event\":\"conflict\",\"time\":\"T, held by x[1] uid=0\",\"proto\":\"tcp\","
		"\"addr\":\"127.0.0.1 by y[2]\",\"port\":6379,\"socket\":{\"protocol\":6},"
		"\"requester\":{\"pid\":42,\"uid\":0,\"comm\":\"a\"},\"holders\":[]}";
	char err[ERR_LEN];
	struct strbuf out;

	(void)state;
	strbuf_init(&out);
	assert_int_equal(replay(line, false, &out, err), 0);
	assert_non_null(strstr(out.s, "log:7: \"T, held by x[1] uid=0\" tcp \"127.0.0.1 by y[2]\""
				":6379 by a[42] uid=0, held by nothing recorded\n"));
	strbuf_free(&out);
}

static void test_replay_refuses(void **state)
{
	static const struct { const char *line; int rc; const char *err; } cases[] = {
		{ "{\"event\":\"ok\",\"port\":1}", -ENOMSG, NULL },
		{ "{\"event\":\"conflict\",\"port\":", -EINVAL, "not JSON: " },
		{ "[1,2]", -EINVAL, "expected a JSON object" },
		{ "{\"port\":1}", -EINVAL, "event: missing: not a bindwatch record" },
		{ "{\"event\":\"conflict\",\"event\":\"ok\"}", -EINVAL, "not JSON: duplicate object key" },
		{ "{\"event\":\"conflict\",\"port\":70000}", -EINVAL,
		  "port: expected a number from 0 to 65535" },
		{ "{\"event\":\"conflict\",\"port\":1,\"socket\":{\"protocol\":6}}", -EINVAL,
		  "requester: expected an object" },
		{ CONFLICT("-1", "\"holders\":[]"), -EINVAL,
		  "requester.uid: expected a number from 0 to 4294967295" },
		{ CONFLICT("0", "\"holders\":[{\"uid\":0,\"exe\":5}]"), -EINVAL,
		  "holders[0].exe: expected a string or null" },
		{ CONFLICT("0", "\"holders\":{}"), -EINVAL, "holders: expected a list" },
		{ CONFLICT("0", "\"holders\":[{\"uid\":0,\"ruid\":\"0\"}]"), -EINVAL,
		  "holders[0].ruid: expected a number from 0 to 4294967295" },
		{ "{\"event\":\"conflict\",\"comm\":\"a\\u0000b\"}", -EINVAL, "not JSON: " },
		{ CONFLICT("0", WITH_WORKLOAD("x", "5")), -EINVAL,
		  "holders[0].workload: expected an object or null" },
		{ CONFLICT("0", WITH_WORKLOAD("x", WORKLOAD("\"web\"", "null", "sidecar"))), -EINVAL,
		  "holders[0].workload.source: expected \"cgroup\" or \"proxy\"" },
		{ CONFLICT("0", WITH_WORKLOAD("x", "{\"name\":\"web\"}")), -EINVAL,
		  "holders[0].workload.source: expected \"cgroup\" or \"proxy\"" },
		{ CONFLICT("0", WITH_WORKLOAD("x", WORKLOAD("1", "null", "cgroup"))), -EINVAL,
		  "holders[0].workload.name: expected a string or null" },
		{ CONFLICT("0", WITH_WORKLOAD("x", WORKLOAD("\"web\"", "[]", "cgroup"))), -EINVAL,
		  "holders[0].workload.pod: expected an object or null" },
		{ CONFLICT("0", WITH_WORKLOAD("x", WORKLOAD("\"web\"", "{\"namespace\":7}",
							    "cgroup"))), -EINVAL,
		  "holders[0].workload.pod.namespace: expected a string or null" },
	};
	char err[ERR_LEN];
	struct strbuf out;
	size_t i;

	strbuf_init(&out);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		assert_int_equal(replay(cases[i].line, false, &out, err), cases[i].rc);
		assert_int_equal(out.len, 0);
		if (cases[i].err && strncmp(err, cases[i].err, strlen(cases[i].err)))
			fail_msg("%s: %s, expected %s", cases[i].line, err, cases[i].err);
	}
	strbuf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sentences),
		cmocka_unit_test(test_gave_up),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_agrees_with_match),
		cmocka_unit_test(test_replay),
		cmocka_unit_test(test_replay_protect_uid),
		cmocka_unit_test(test_replay_container),
		cmocka_unit_test(test_replay_workload),
		cmocka_unit_test(test_replay_logged_and_summary),
		cmocka_unit_test(test_replay_quotes_log_values),
		cmocka_unit_test(test_replay_refuses),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
