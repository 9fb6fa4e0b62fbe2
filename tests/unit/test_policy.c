// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_policy.c - the reclaim policy file and the matcher.
 *
 * The policy decides which processes get signalled, so most cases are
 * files that must be refused, each with the exact "FILE:LINE: message"
 * the operator sees; the rest pin where every field of a good file lands
 * and, field by field, when a rule matches, including the rule that an
 * unknown fact about a process never satisfies a condition.  The file
 * checks need root (to own the file, and to give it away with chown);
 * without root they are skipped and say so.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include "policy.h"

#define NAME "policy.yaml"
#define ERR_LEN 512
#define DIR_LEN 64
#define PATH_LEN 128
#define NOBODY 65534
#define MIN_MS 60000
#define CONTAINER "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static struct policy *pol;
static char err[ERR_LEN];

static int parse_len(const char *text, size_t len)
{
	policy_free(pol);
	pol = NULL;
	memset(err, 0, sizeof(err));
	return policy_parse(NAME, text, len, &pol, err, sizeof(err));
}

static int parse(const char *text)
{
	return parse_len(text, strlen(text));
}

static void assert_parses(const char *text)
{
	if (parse(text))
		fail_msg("refused: %s", err);
	assert_non_null(pol);
}

static void assert_refused(const char *text, const char *message)
{
	assert_int_equal(parse(text), -EINVAL);
	assert_null(pol);
	assert_string_equal(err, message);
}

static int teardown(void **state)
{
	(void)state;
	policy_free(pol);
	pol = NULL;
	return 0;
}

/* ---- a good file */

static const char example[] =
	"version: 1\n"                                      /*  1 */
	"protect:                      # never reclaimed\n" /*  2 */
	"  comm: [sshd, systemd]\n"                         /*  3 */
	"  unit: [\"docker.service\"]\n"                    /*  4 */
	"  exe: [\"/usr/sbin/*\"]\n"                        /*  5 */
	"rules:\n"                                          /*  6 */
	"  - name: stale-api-squatter\n"                    /*  7 */
	"    match:\n"                                      /*  8 */
	"      port: 8080\n"                                /*  9 */
	"      proto: tcp\n"                                /* 10 */
	"      holder:\n"                                   /* 11 */
	"        comm: python3\n"                           /* 12 */
	"        exe: \"/usr/bin/python3*\"\n"              /* 13 */
	"        cmdline: \"Stale process\"\n"              /* 14 */
	"        uid: 1000\n"                               /* 15 */
	"        unit: \"*.service\"\n"                     /* 16 */
	"        min_age: 10m\n"                            /* 17 */
	"        state: listen\n"                           /* 18 */
	"      requester:\n"                                /* 19 */
	"        exe: \"/usr/bin/python3*\"\n"              /* 20 */
	"    action: reclaim\n"                             /* 21 */
	"    reclaim:\n"                                    /* 22 */
	"      signal: TERM\n"                              /* 23 */
	"      grace: 5s\n"                                 /* 24 */
	"      escalate: KILL\n"                            /* 25 */
	"      cooldown: 60s\n"                             /* 26 */
	"    exec: [\"/usr/bin/env\", \"{port}\", \"{holder.pid}\"]\n"; /* 27 */

static unsigned int count_ports(const struct policy_rule *r)
{
	unsigned int port, n = 0;

	for (port = 0; port < 65536; port++)
		n += (unsigned int)portlist_has(r->ports, port);
	return n;
}

static void assert_cond_unset(const struct policy_cond *c)
{
	assert_null(c->comm);
	assert_null(c->exe);
	assert_null(c->unit);
	assert_null(c->cmdline);
	assert_int_equal(c->uid, -1);
	assert_int_equal(c->min_age_ms, -1);
	assert_int_equal(c->state, POLICY_STATE_ANY);
}

static void test_example(void **state)
{
	const struct policy_rule *r;

	(void)state;
	assert_parses(example);
	assert_string_equal(pol->path, NAME);
	assert_string_equal(pol->protect.comm[0], "sshd");
	assert_string_equal(pol->protect.comm[1], "systemd");
	assert_null(pol->protect.comm[2]);
	assert_string_equal(pol->protect.unit[0], "docker.service");
	assert_null(pol->protect.unit[1]);
	assert_string_equal(pol->protect.exe[0], "/usr/sbin/*");
	assert_null(pol->protect.exe[1]);

	assert_int_equal(pol->nrules, 1);
	r = &pol->rules[0];
	assert_string_equal(r->name, "stale-api-squatter");
	assert_int_equal(r->line, 7);
	assert_int_equal(count_ports(r), 1);
	assert_true(portlist_has(r->ports, 8080));
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_string_equal(r->holder.comm, "python3");
	assert_string_equal(r->holder.exe, "/usr/bin/python3*");
	assert_non_null(r->holder.cmdline);
	assert_int_equal(r->holder.uid, 1000);
	assert_string_equal(r->holder.unit, "*.service");
	assert_int_equal(r->holder.min_age_ms, 10 * MIN_MS);
	assert_int_equal(r->holder.state, POLICY_STATE_LISTEN);
	assert_string_equal(r->requester.exe, "/usr/bin/python3*");
	assert_null(r->requester.comm);
	assert_null(r->requester.unit);
	assert_null(r->requester.cmdline);
	assert_int_equal(r->requester.uid, -1);
	assert_int_equal(r->requester.min_age_ms, -1);
	assert_int_equal(r->action, POLICY_RECLAIM);
	assert_int_equal(r->reclaim.signal, SIGTERM);
	assert_int_equal(r->reclaim.grace_ms, 5000);
	assert_int_equal(r->reclaim.escalate, SIGKILL);
	assert_int_equal(r->reclaim.cooldown_ms, 60000);
	assert_string_equal(r->exec[0], "/usr/bin/env");
	assert_string_equal(r->exec[1], "{port}");
	assert_string_equal(r->exec[2], "{holder.pid}");
	assert_null(r->exec[3]);
}

static void test_defaults(void **state)
{
	const struct policy_rule *r;

	(void)state;
	assert_parses("version: 1\n"
		      "rules:\n"
		      "  - name: plain\n"
		      "    match: {port: 80}\n"
		      "    action: log\n");
	assert_null(pol->protect.comm);
	assert_null(pol->protect.unit);
	assert_null(pol->protect.exe);
	r = &pol->rules[0];
	assert_int_equal(r->proto, 0);
	assert_cond_unset(&r->holder);
	assert_cond_unset(&r->requester);
	assert_int_equal(r->action, POLICY_LOG);
	assert_int_equal(r->reclaim.signal, SIGTERM);
	assert_int_equal(r->reclaim.escalate, 0);
	assert_int_equal(r->reclaim.grace_ms, 5000);
	assert_int_equal(r->reclaim.cooldown_ms, 60000);
	assert_null(r->exec);

	/* reclaim with no reclaim block, or an empty one: the defaults */
	assert_parses("version: 1\n"
		      "rules:\n"
		      "  - {name: r, match: {port: 80}, action: reclaim, reclaim: {}}\n");
	assert_int_equal(pol->rules[0].reclaim.signal, SIGTERM);
	assert_int_equal(pol->rules[0].reclaim.grace_ms, 5000);

	/* a policy without rules only logs */
	assert_parses("version: 1\n");
	assert_int_equal(pol->nrules, 0);
	assert_parses("version: 1\nrules: []\n");
	assert_int_equal(pol->nrules, 0);
}

static void test_ports(void **state)
{
	const struct policy_rule *r;

	(void)state;
	assert_parses("version: 1\n"
		      "rules:\n"
		      "  - name: many\n"
		      "    match:\n"
		      "      port: [22, \"8000-8099\", 443, 1-3, \" 9000 \"]\n"
		      "    action: alert\n"
		      "  - {name: quoted, match: {port: \"65535\"}, action: log}\n"
		      "  - {name: range, match: {port: 1-65535}, action: log}\n");
	r = &pol->rules[0];
	assert_int_equal(count_ports(r), 1 + 100 + 1 + 3 + 1);
	assert_true(portlist_has(r->ports, 22));
	assert_true(portlist_has(r->ports, 8000));
	assert_true(portlist_has(r->ports, 8099));
	assert_false(portlist_has(r->ports, 8100));
	assert_true(portlist_has(r->ports, 3));
	assert_true(portlist_has(r->ports, 9000));
	assert_int_equal(r->action, POLICY_ALERT);
	assert_int_equal(count_ports(&pol->rules[1]), 1);
	assert_true(portlist_has(pol->rules[1].ports, 65535));
	assert_int_equal(count_ports(&pol->rules[2]), 65535);
}

static void test_signals_and_durations(void **state)
{
	static const struct {
		const char *text;
		int sig;
	} sigs[] = {
		{ "TERM", SIGTERM }, { "SIGTERM", SIGTERM }, { "INT", SIGINT },
		{ "SIGHUP", SIGHUP }, { "QUIT", SIGQUIT }, { "SIGKILL", SIGKILL },
		{ "USR1", SIGUSR1 }, { "SIGUSR2", SIGUSR2 },
	};
	static const struct {
		const char *text;
		uint64_t ms;
	} durations[] = {
		{ "250ms", 250 }, { "0s", 0 }, { "0", 0 }, { "5s", 5000 },
		{ "10m", 10 * MIN_MS }, { "1h", 60 * MIN_MS }, { "2d", 2 * 24 * 60 * MIN_MS },
		{ "365d", 365ULL * 24 * 60 * MIN_MS },
	};
	char text[ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		snprintf(text, sizeof(text), "version: 1\nrules:\n"
			 "  - {name: r, match: {port: 80}, action: reclaim,\n"
			 "     reclaim: {signal: %s, escalate: %s}}\n", sigs[i].text, sigs[i].text);
		assert_parses(text);
		assert_int_equal(pol->rules[0].reclaim.signal, sigs[i].sig);
		assert_int_equal(pol->rules[0].reclaim.escalate, sigs[i].sig);
	}
	assert_parses("version: 1\nrules:\n"
		      "  - {name: r, match: {port: 80}, action: reclaim, reclaim: {escalate: none}}\n");
	assert_int_equal(pol->rules[0].reclaim.escalate, 0);

	for (i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		snprintf(text, sizeof(text), "version: 1\nrules:\n"
			 "  - name: r\n"
			 "    match: {port: 80, holder: {min_age: %s}}\n"
			 "    action: reclaim\n"
			 "    reclaim: {grace: %s, cooldown: %s}\n",
			 durations[i].text, durations[i].text, durations[i].text);
		assert_parses(text);
		assert_int_equal(pol->rules[0].holder.min_age_ms, durations[i].ms);
		assert_int_equal(pol->rules[0].reclaim.grace_ms, durations[i].ms);
		assert_int_equal(pol->rules[0].reclaim.cooldown_ms, durations[i].ms);
	}
}

static void test_exec(void **state)
{
	char **x;

	(void)state;
	assert_parses("version: 1\n"
		      "rules:\n"
		      "  - name: r\n"
		      "    match: {port: 80}\n"
		      "    action: alert\n"
		      "    exec:\n"
		      "      - /usr/local/bin/page\n"
		      "      - \"{{literal}} {rule}/{action}: {reason}\"\n"
		      "      - \"\"\n"
		      "      - \"{proto}:{holder.comm}{holder.exe}{requester.pid}\"\n"
		      "      - \"--comm={requester.comm} {requester.exe}\"\n");
	x = pol->rules[0].exec;
	assert_string_equal(x[0], "/usr/local/bin/page");
	assert_string_equal(x[1], "{{literal}} {rule}/{action}: {reason}");
	assert_string_equal(x[2], "");
	assert_non_null(x[4]);
	assert_null(x[5]);
}

/* len, not a NUL, ends the text; a NUL inside a string is refused. */
static void test_length_and_nul(void **state)
{
	static const char text[] = "version: 1\nrules: [{name: a, match: {port: 80}, action: log}]\nXX";

	(void)state;
	assert_int_equal(parse_len(text, sizeof(text) - 3), 0);
	assert_int_equal(pol->nrules, 1);
	assert_int_equal(parse_len(text, sizeof(text) - 1), -EINVAL);
	assert_string_equal(err, NAME ":4: bad YAML: could not find expected ':' (while scanning a simple key)");
	assert_refused("version: 1\n"
		       "protect: {comm: [\"ss\\0hd\"]}\n",
		       NAME ":2: 'comm': expected a string, got a string with a NUL byte");
	assert_refused("version: 1\nrules:\n  - {name: \"a\\0b\", match: {port: 80}, action: log}\n",
		       NAME ":3: 'name': expected a string, got a string with a NUL byte");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      \"port\\0x\": 80\n",
		       NAME ":5: expected a key in match, got a string with a NUL byte");
}

/* ---- refused files: the message and the line */

static void test_examples_of_errors(void **state)
{
	(void)state;
	assert_refused("version: 1\n"                       /* 1 */
		       "rules:\n"                           /* 2 */
		       "  - name: a\n"                      /* 3 */
		       "    action: log\n"                  /* 4 */
		       "    match:\n"                       /* 5 */
		       "      port: 80\n"                   /* 6 */
		       "      prot: tcp\n",                 /* 7 */
		       NAME ":7: unknown key 'prot' in match");
	assert_refused("version: 1\n"                       /* 1 */
		       "rules:\n"                           /* 2 */
		       "  - name: a\n"                      /* 3 */
		       "    match:\n"                       /* 4 */
		       "      port: 80\n"                   /* 5 */
		       "      holder:\n"                    /* 6 */
		       "        comm: python3\n"            /* 7 */
		       "    action: reclaim\n"              /* 8 */
		       "    reclaim:\n"                     /* 9 */
		       "      signal: TERM\n"               /* 10 */
		       "\n"                                 /* 11 */
		       "      grace: 5x\n",                 /* 12 */
		       NAME ":12: 'grace': bad duration '5x' "
		       "(expected a number followed by ms, s, m, h or d)");
	assert_refused("version: 1\n"
		       "rules:\n"
		       "  - name: a\n"
		       "    match: {port: 70000}\n"
		       "    action: log\n",
		       NAME ":4: port '70000': port must be 1-65535");
	assert_refused("# bindwatch policy\n"
		       "\n"
		       "version: 2\n",
		       NAME ":3: 'version' must be 1");
	assert_refused("version: 1\n"                       /* 1 */
		       "rules:\n"                           /* 2 */
		       "  - name: a\n"                      /* 3 */
		       "    action: log\n"                  /* 4 */
		       "    match:\n"                       /* 5 */
		       "      port: 80\n"                   /* 6 */
		       "      holder:\n"                    /* 7 */
		       "        uid: 0\n"                   /* 8 */
		       "        cmdline: \"(\"\n",          /* 9 */
		       NAME ":9: 'cmdline': bad regular expression '(': "
		       "missing closing parenthesis (at offset 1)");
}

static void test_unknown_keys(void **state)
{
	(void)state;
	assert_refused("version: 1\nrule: []\n", NAME ":2: unknown key 'rule' at the top level");
	assert_refused("version: 1\nprotect:\n  pid: [1]\n", NAME ":3: unknown key 'pid' in protect");
	assert_refused("version: 1\nrules:\n  - name: a\n    when: {}\n",
		       NAME ":4: unknown key 'when' in rule");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {gid: 0}}}\n",
		       NAME ":3: unknown key 'gid' in holder");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      requester:\n        pid: 1\n",
		       NAME ":7: unknown key 'pid' in requester");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n"
		       "    action: reclaim\n    reclaim:\n      signal: TERM\n      wait: 5s\n",
		       NAME ":8: unknown key 'wait' in reclaim");
	/* keys are case-sensitive */
	assert_refused("Version: 1\n", NAME ":1: unknown key 'Version' at the top level");
}

static void test_duplicates(void **state)
{
	(void)state;
	assert_refused("version: 1\n"
		       "rules: []\n"
		       "version: 1\n",
		       NAME ":3: duplicate key 'version' at the top level (first at line 1)");
	assert_refused("version: 1\n"
		       "rules:\n"
		       "  - name: a\n"
		       "    match:\n"
		       "      port: 80\n"
		       "      port: 81\n",
		       NAME ":6: duplicate key 'port' in match (first at line 5)");
	assert_refused("version: 1\n"                                    /* 1 */
		       "rules:\n"                                        /* 2 */
		       "  - name: same\n"                                /* 3 */
		       "    match: {port: 80}\n"                         /* 4 */
		       "    action: log\n"                               /* 5 */
		       "  - name: other\n"                               /* 6 */
		       "    match: {port: 80}\n"                         /* 7 */
		       "    action: log\n"                               /* 8 */
		       "  - match: {port: 81}\n"                         /* 9 */
		       "    action: log\n"                               /* 10 */
		       "    name: same\n",                               /* 11 */
		       NAME ":11: duplicate rule name 'same' (first at line 3)");
}

static void test_wrong_types(void **state)
{
	(void)state;
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        comm:\n          x: y\n",
		       NAME ":7: 'comm': expected a string, got a mapping");
	assert_refused("version: 1\nrules:\n  - {name: [a], match: {port: 80}, action: log}\n",
		       NAME ":3: 'name': expected a string, got a list");
	assert_refused("version: 1\nrules:\n  - {name: , match: {port: 80}, action: log}\n",
		       NAME ":3: 'name': expected a string, got null");
	assert_refused("version: 1\nrules:\n  - {name: \"\", match: {port: 80}, action: log}\n",
		       NAME ":3: 'name': expected a non-empty string");
	assert_refused("version: 1\nrules: {name: a}\n",
		       NAME ":2: 'rules': expected a list, got a mapping");
	assert_refused("version: 1\nrules:\n  - a rule\n",
		       NAME ":3: 'rules': expected a rule (a mapping), got a string");
	assert_refused("version: 1\nrules:\n  - {name: a, match: [80], action: log}\n",
		       NAME ":3: 'match': expected a mapping, got a list");
	assert_refused("version: 1\nprotect: [sshd]\n",
		       NAME ":2: 'protect': expected a mapping, got a list");
	assert_refused("version: 1\nprotect:\n  comm: sshd\n",
		       NAME ":3: 'comm': expected a list, got a string");
	assert_refused("version: 1\nprotect:\n  comm:\n    - sshd\n    - {name: x}\n",
		       NAME ":5: 'comm': expected a string, got a mapping");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port:\n        - 80\n"
		       "        - [81]\n",
		       NAME ":7: 'port': expected a port or a range, got a list");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80}, action: [log]}\n",
		       NAME ":3: 'action': expected log, alert, probe or reclaim, got a list");
	assert_refused("version: [1]\n", NAME ":1: 'version': expected 1, got a list");
	assert_refused("- version: 1\n", NAME ":1: expected a mapping at the top level, got a list");
	assert_refused("version 1\n", NAME ":1: expected a mapping at the top level, got a string");
	assert_refused("version: 1\n[a]: b\n", NAME ":2: expected a key at the top level, got a list");
	assert_refused("version: 1\n? \n: b\n", NAME ":2: expected a key at the top level, got null");
}

static void test_missing_keys(void **state)
{
	(void)state;
	assert_refused("rules: []\n", NAME ":1: missing required key 'version' at the top level");
	assert_refused("version: 1\nrules:\n  - match: {port: 80}\n    action: log\n",
		       NAME ":3: missing required key 'name' in rule");
	assert_refused("version: 1\nrules:\n  - name: a\n    action: log\n",
		       NAME ":3: missing required key 'match' in rule");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n",
		       NAME ":3: missing required key 'action' in rule");
	assert_refused("version: 1\nrules:\n  - name: a\n    action: log\n    match:\n"
		       "      proto: tcp\n",
		       NAME ":5: missing required key 'port' in match");
}

static void test_bad_values(void **state)
{
	(void)state;
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port:\n        - 80\n"
		       "        - \"90-80\"\n",
		       NAME ":7: port '90-80': range is reversed");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: http}}\n",
		       NAME ":3: port 'http': not a port number");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 0}}\n",
		       NAME ":3: port '0': port must be 1-65535");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: \"80,443\"}}\n",
		       NAME ":3: port '80,443': one port or range per entry (expected a list: [80, 443])");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: []\n",
		       NAME ":5: 'port': expected a port, a range or a list of them, got an empty list");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, proto: sctp}}\n",
		       NAME ":3: 'proto': expected tcp, udp or any, got 'sctp'");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, proto: TCP}}\n",
		       NAME ":3: 'proto': expected tcp, udp or any, got 'TCP'");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {state: closed}}}\n",
		       NAME ":3: 'state': expected listen, bound or any, got 'closed'");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80}, action: kill}\n",
		       NAME ":3: 'action': expected log, alert, probe or reclaim, got 'kill'");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {uid: -1}}}\n",
		       NAME ":3: 'uid': bad uid '-1' (expected an integer 0-4294967294)");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {uid: 4294967295}}}\n",
		       NAME ":3: 'uid': bad uid '4294967295' (expected an integer 0-4294967294)");
	assert_refused("version: 1\nrules:\n"
		       "  - {name: a, match: {port: 80, holder: {uid: 99999999999999999999999}}}\n",
		       NAME ":3: 'uid': bad uid '99999999999999999999999' "
		       "(expected an integer 0-4294967294)");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {uid: root}}}\n",
		       NAME ":3: 'uid': bad uid 'root' (expected an integer 0-4294967294)");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {min_age: 10}}}\n",
		       NAME ":3: 'min_age': bad duration '10' "
		       "(expected a number followed by ms, s, m, h or d)");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {min_age: -5s}}}\n",
		       NAME ":3: 'min_age': bad duration '-5s' "
		       "(expected a number followed by ms, s, m, h or d)");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {min_age: 366d}}}\n",
		       NAME ":3: 'min_age': duration '366d' is over 365d");
	assert_refused("version: 1\nrules:\n"
		       "  - {name: a, match: {port: 80}, action: reclaim, reclaim: {signal: STOP}}\n",
		       NAME ":3: 'signal': expected TERM, INT, HUP, QUIT, KILL, USR1 or USR2, got 'STOP'");
	assert_refused("version: 1\nrules:\n"
		       "  - {name: a, match: {port: 80}, action: reclaim, reclaim: {signal: none}}\n",
		       NAME ":3: 'signal': expected TERM, INT, HUP, QUIT, KILL, USR1 or USR2, got 'none'");
	assert_refused("version: 1\nrules:\n"
		       "  - {name: a, match: {port: 80}, action: reclaim, reclaim: {escalate: term}}\n",
		       NAME ":3: 'escalate': expected none, TERM, INT, HUP, QUIT, KILL, USR1 or USR2, "
		       "got 'term'");
	assert_refused("version: 1\nprotect:\n  comm: [sshd, a-very-long-name]\n",
		       NAME ":3: 'comm': 'a-very-long-name' can never match: "
		       "the kernel keeps 15 characters of a comm");
	assert_refused("version: 1\nprotect:\n  exe: [sshd]\n",
		       NAME ":3: 'exe': 'sshd' can never match: executable paths are absolute");
	assert_refused("version: 1\nversion: 1\n",
		       NAME ":2: duplicate key 'version' at the top level (first at line 1)");
	assert_refused("version: \"1.0\"\n", NAME ":1: 'version' must be 1");
}

static void test_rule_consistency(void **state)
{
	(void)state;
	assert_refused("version: 1\n"
		       "rules:\n"
		       "  - name: a\n"
		       "    match: {port: 80}\n"
		       "    reclaim: {signal: KILL}\n"
		       "    action: alert\n",
		       NAME ":5: 'reclaim' is only allowed with action: reclaim");
	assert_refused("version: 1\n"
		       "rules:\n"
		       "  - name: a\n"
		       "    match:\n"
		       "      port: 80\n"
		       "      requester:\n"
		       "        comm: curl\n"
		       "        state: listen\n"
		       "    action: log\n",
		       NAME ":8: 'state' is not allowed in requester (only the holder's socket has one)");
}

/* The exec of a rule naming "{requester.comm}" as its argument i. */
static int parse_exec_arg(const char *arg)
{
	char text[ERR_LEN];

	snprintf(text, sizeof(text),
		 "version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		 "    exec: [\"/usr/bin/logger\", \"-t\", \"a\", \"%s\"]\n", arg);
	return parse(text);
}

/* A placeholder a process chooses never starts an argument: it could be an option. */
static void test_exec_placeholder_positions(void **state)
{
	static const char *const chosen[] = {
		"holder.comm", "holder.exe", "requester.comm", "requester.exe",
	};
	static const char *const free_start[] = {
		"{port}", "{proto}", "{rule}", "{action}", "{reason}", "{holder.pid}",
		"{holder.uid}", "{requester.pid}", "{requester.uid}",
	};
	static const char *const after_text[] = {
		"--comm={requester.comm}", "x{holder.exe}", "{{{requester.comm}",
		"}}{holder.comm}", "pid {holder.pid} comm {holder.comm}",
	};
	char arg[PATH_LEN], expected[ERR_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(chosen) / sizeof(chosen[0]); i++) {
		/* as the whole argument, at its start, after only other placeholders */
		snprintf(arg, sizeof(arg), "{%s}", chosen[i]);
		assert_int_equal(parse_exec_arg(arg), -EINVAL);
		snprintf(expected, sizeof(expected),
			 NAME ":6: 'exec': argument '{%s}' starts with '{%s}', whose value the "
			 "process chooses: a name like '-f/etc/shadow' would be an option to the "
			 "program; put fixed text first, as in '--name={%s}'",
			 chosen[i], chosen[i], chosen[i]);
		assert_string_equal(err, expected);
		snprintf(arg, sizeof(arg), "{%s}.log", chosen[i]);
		assert_int_equal(parse_exec_arg(arg), -EINVAL);
		snprintf(arg, sizeof(arg), "{holder.pid}{%s}", chosen[i]);
		assert_int_equal(parse_exec_arg(arg), -EINVAL); /* holder.pid may be empty */
	}
	for (i = 0; i < sizeof(free_start) / sizeof(free_start[0]); i++)
		assert_int_equal(parse_exec_arg(free_start[i]), 0);
	for (i = 0; i < sizeof(after_text) / sizeof(after_text[0]); i++)
		assert_int_equal(parse_exec_arg(after_text[i]), 0);

	/* the attack: the line of the exec is named */
	assert_refused("version: 1\n"                                         /* 1 */
		       "rules:\n"                                             /* 2 */
		       "  - name: log-it\n"                                   /* 3 */
		       "    match: {port: 80}\n"                              /* 4 */
		       "    action: alert\n"                                  /* 5 */
		       "    exec: [\"/usr/bin/logger\", \"-t\", \"a\",\n"        /* 6 */
		       "           \"{requester.comm}\"]\n",                  /* 7 */
		       NAME ":7: 'exec': argument '{requester.comm}' starts with '{requester.comm}', "
		       "whose value the process chooses: a name like '-f/etc/shadow' would be an "
		       "option to the program; put fixed text first, as in '--name={requester.comm}'");
}

static void test_exec_errors(void **state)
{
	(void)state;
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec:\n      - /bin/notify\n      - \"{port}\"\n      - \"{pid}\"\n",
		       NAME ":9: 'exec': unknown placeholder '{pid}'");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec: [/bin/notify, \"port {port\"]\n",
		       NAME ":6: 'exec': unbalanced '{' in 'port {port' (write '{{' for a literal brace)");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec: [/bin/notify, \"a}b\"]\n",
		       NAME ":6: 'exec': unbalanced '}' in 'a}b' (write '}}' for a literal brace)");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec: [/bin/notify, \"{a{port}\"]\n",
		       NAME ":6: 'exec': unbalanced '{' in '{a{port}' (write '{{' for a literal brace)");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec: [\"{holder.exe}\", \"{port}\"]\n",
		       NAME ":6: 'exec': the program '{holder.exe}' cannot hold placeholders");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec: [\"\", \"{port}\"]\n",
		       NAME ":6: 'exec': expected a non-empty string");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec: []\n",
		       NAME ":6: 'exec': expected the program and its arguments, got an empty list");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec: /bin/notify {port}\n",
		       NAME ":6: 'exec': expected a list, got a string");
	assert_parses("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		      "    exec: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p,\n"
		      "           q, r, s, t, u, v, w, x, y, z, A, B, C, D, E, F]\n");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n    action: log\n"
		       "    exec: [a, b, c, d, e, f, g, h, i, j, k, l, m, n, o, p,\n"
		       "           q, r, s, t, u, v, w, x, y, z, A, B, C, D, E, F,\n"
		       "           G]\n",
		       NAME ":8: 'exec': more than 32 elements");
}

static void test_yaml_level(void **state)
{
	(void)state;
	assert_refused("", NAME ":1: empty policy (expected a mapping with 'version' and 'rules')");
	assert_refused("# nothing yet\n\n",
		       NAME ":1: empty policy (expected a mapping with 'version' and 'rules')");
	assert_refused("---\n", NAME ":1: empty policy (expected a mapping with 'version' and 'rules')");
	assert_refused("version: 1\n---\nversion: 1\n", NAME ":2: only one YAML document is allowed");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: &m {port: 80}\n    action: log\n"
		       "  - name: b\n    match: *m\n    action: log\n",
		       NAME ":4: anchor '&m': anchors and aliases are not allowed");
	assert_refused("version: 1\nrules:\n  - name: *m\n",
		       NAME ":3: alias '*m': anchors and aliases are not allowed");
	assert_refused("version: !!int 1\n",
		       NAME ":1: tag 'tag:yaml.org,2002:int': tags are not allowed");
	assert_refused("version: 1\nrules:\n  - !rule {name: a}\n",
		       NAME ":3: tag '!rule': tags are not allowed");
	assert_refused("version: 1\nrules: [\n  {name: a, match: {port: 80}\n",
		       NAME ":4: bad YAML: did not find expected ',' or '}' (while parsing a flow mapping)");
	assert_refused("version: 1\nrules: []\n  protect: {}\n",
		       NAME ":3: bad YAML: did not find expected key (while parsing a block mapping)");
	assert_refused("version: 1\nrules: \"abc\n",
		       NAME ":3: bad YAML: found unexpected end of stream (while scanning a quoted scalar)");
	assert_refused("version: 1\nrules:\n\t- name: a\n",
		       NAME ":3: bad YAML: found character that cannot start any token "
		       "(while scanning for the next token)");
	assert_refused("version: 1\nprotect:\n  comm: [\"\xff\"]\n",
		       NAME ":3: bad YAML: invalid leading UTF-8 octet");
}

static void test_too_many_rules(void **state)
{
	static const char head[] = "version: 1\nrules:\n";
	static const char fmt[] = "  - {name: r%04d, match: {port: 80}, action: log}\n";
	char expected[ERR_LEN];
	size_t len = sizeof(head) - 1, size = len + (POLICY_MAX_RULES + 1) * sizeof(fmt);
	char *text = malloc(size);
	int i;

	(void)state;
	assert_non_null(text);
	memcpy(text, head, len);
	for (i = 0; i <= POLICY_MAX_RULES; i++)
		len += (size_t)snprintf(text + len, size - len, fmt, i);
	assert_int_equal(parse_len(text, len - strlen("  - {name: r1024, match: {port: 80}, action: log}\n")), 0);
	assert_int_equal(pol->nrules, POLICY_MAX_RULES);
	assert_int_equal(parse_len(text, len), -EINVAL);
	snprintf(expected, sizeof(expected), NAME ":%d: too many rules (at most %d)",
		 POLICY_MAX_RULES + 3, POLICY_MAX_RULES);
	assert_string_equal(err, expected);
	free(text);
}

/* ---- matching */

static struct policy_proc unknown_proc(void)
{
	struct policy_proc pr = { .uid = -1, .age_ms = -1, .state = POLICY_STATE_ANY };

	return pr;
}

static const char *matched(unsigned int port, int proto, const struct policy_proc *holder,
			   const struct policy_proc *requester)
{
	const struct policy_rule *r = policy_match(pol, port, proto, holder, requester);

	return r ? r->name : NULL;
}

static void test_first_match_wins(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	assert_parses("version: 1\n"
		      "rules:\n"
		      "  - {name: python, match: {port: 8080, holder: {comm: python3}}, action: reclaim}\n"
		      "  - {name: range, match: {port: \"8000-8099\"}, action: alert}\n"
		      "  - {name: exact, match: {port: 8080}, action: log}\n"
		      "  - {name: list, match: {port: [22, 9000-9001]}, action: log}\n");
	h.comm = "python3";
	assert_string_equal(matched(8080, IPPROTO_TCP, &h, NULL), "python");
	h.comm = "node";
	assert_string_equal(matched(8080, IPPROTO_TCP, &h, NULL), "range");
	assert_string_equal(matched(8000, IPPROTO_UDP, NULL, NULL), "range");
	assert_string_equal(matched(8099, IPPROTO_TCP, &h, &h), "range");
	assert_null(matched(8100, IPPROTO_TCP, &h, NULL));
	assert_null(matched(7999, IPPROTO_TCP, &h, NULL));
	assert_string_equal(matched(22, IPPROTO_TCP, &h, NULL), "list");
	assert_string_equal(matched(9001, IPPROTO_TCP, &h, NULL), "list");
	assert_null(matched(9002, IPPROTO_TCP, &h, NULL));
	assert_null(matched(65536, IPPROTO_TCP, &h, NULL));
	assert_null(matched(0, IPPROTO_TCP, &h, NULL));
}

static void test_proto(void **state)
{
	(void)state;
	assert_parses("version: 1\n"
		      "rules:\n"
		      "  - {name: tcp, match: {port: 53, proto: tcp}, action: log}\n"
		      "  - {name: udp, match: {port: [53, 54], proto: udp}, action: log}\n"
		      "  - {name: any, match: {port: [54, 55], proto: any}, action: log}\n");
	assert_string_equal(matched(53, IPPROTO_TCP, NULL, NULL), "tcp");
	assert_string_equal(matched(53, IPPROTO_UDP, NULL, NULL), "udp");
	assert_string_equal(matched(54, IPPROTO_TCP, NULL, NULL), "any");
	assert_string_equal(matched(54, IPPROTO_UDP, NULL, NULL), "udp");
	assert_string_equal(matched(55, IPPROTO_UDP, NULL, NULL), "any");
}

static void test_names(void **state)
{
	(void)state;
	assert_parses("version: 1\n"
		      "rules:\n"
		      "  - {name: tcp, match: {port: 53, proto: tcp, holder: {uid: 7}}, action: log}\n"
		      "  - {name: any, match: {port: 8000-8009}, action: log}\n");
	/* named whatever the conditions: those need lookups policy_names() spares */
	assert_true(policy_names(pol, 53, IPPROTO_TCP));
	assert_false(policy_names(pol, 53, IPPROTO_UDP));
	assert_true(policy_names(pol, 8009, IPPROTO_UDP));
	assert_false(policy_names(pol, 8010, IPPROTO_TCP));
	assert_false(policy_names(pol, 54, IPPROTO_TCP));
}

/* A one-rule policy on port 80 with the given holder conditions. */
static void holder_rule(const char *conds)
{
	char text[ERR_LEN];

	snprintf(text, sizeof(text),
		 "version: 1\nrules:\n  - {name: r, match: {port: 80, holder: {%s}}, action: reclaim}\n",
		 conds);
	assert_parses(text);
}

static bool holder_matches(const struct policy_proc *h)
{
	return policy_match(pol, 80, IPPROTO_TCP, h, NULL) != NULL;
}

static void test_holder_comm(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	holder_rule("comm: python3");
	assert_false(holder_matches(&h));
	assert_false(holder_matches(NULL));
	h.comm = "python3";
	assert_true(holder_matches(&h));
	h.comm = "python";
	assert_false(holder_matches(&h));
	h.comm = "python3.11";
	assert_false(holder_matches(&h));
	h.comm = "Python3";
	assert_false(holder_matches(&h));
	h.comm = "";
	assert_false(holder_matches(&h));
}

static void test_holder_exe(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	holder_rule("exe: \"/usr/bin/python3*\"");
	assert_false(holder_matches(&h));
	h.exe = "/usr/bin/python3";
	assert_true(holder_matches(&h));
	h.exe = "/usr/bin/python3.11";
	assert_true(holder_matches(&h));
	h.exe = "/usr/local/bin/python3";
	assert_false(holder_matches(&h));
	h.exe = "/usr/bin/python2";
	assert_false(holder_matches(&h));

	/* '*' crosses '/' (no FNM_PATHNAME) */
	holder_rule("exe: \"*bin/python3\"");
	h.exe = "/usr/local/bin/python3";
	assert_true(holder_matches(&h));
	h.exe = "/usr/local/bin/python3 (deleted)";
	assert_false(holder_matches(&h));
	holder_rule("exe: \"/opt/*\"");
	h.exe = "/opt/app/bin/server";
	assert_true(holder_matches(&h));
	h.exe = "/optical";
	assert_false(holder_matches(&h));
}

static void test_holder_cmdline(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	holder_rule("cmdline: \"manage\\\\.py (runserver|celery)\"");
	assert_false(holder_matches(&h));
	h.cmdline = "python3 manage.py runserver 0.0.0.0:8080";
	assert_true(holder_matches(&h)); /* searched, not anchored */
	h.cmdline = "python3 manage.py celery";
	assert_true(holder_matches(&h));
	h.cmdline = "python3 manageXpy runserver";
	assert_false(holder_matches(&h));
	h.cmdline = "python3 manage.py migrate";
	assert_false(holder_matches(&h));

	holder_rule("cmdline: \"^node server\\\\.js$\"");
	h.cmdline = "node server.js";
	assert_true(holder_matches(&h));
	h.cmdline = "node server.js --inspect";
	assert_false(holder_matches(&h));
	h.cmdline = "";
	assert_false(holder_matches(&h));

	/* a pattern that matches anything still needs a command line */
	holder_rule("cmdline: \"x*\"");
	h.cmdline = NULL;
	assert_false(holder_matches(&h));
	h.cmdline = "";
	assert_false(holder_matches(&h));
	h.cmdline = "a";
	assert_true(holder_matches(&h));
}

/* Counts policy_match()'s reports of a pattern that gave up. */
static int limit_reports;
static char limit_side[16];

static void count_limit(void *arg, const struct policy_rule *r, const char *side,
			const char *why)
{
	(void)arg;
	(void)r;
	(void)why;
	limit_reports++;
	snprintf(limit_side, sizeof(limit_side), "%s", side);
}

/* A cmdline pattern must compile and match in bounded memory and time. */
static void test_regex_limits(void **state)
{
	static char digits[2 * POLICY_CMDLINE_MAX + 1];
	struct policy_proc h = unknown_proc(), r = unknown_proc();
	char pattern[POLICY_CMDLINE_MAX + 2], text[sizeof(pattern) + 128];

	(void)state;
	/* what glibc's engine needed refused is bounded by PCRE2's limits */
	holder_rule("cmdline: \"(a{64}){64}\"");
	holder_rule("cmdline: \"((((((((((((((((((((((((((((((((a))))))))))))))))))))))))))))))))\"");
	holder_rule("cmdline: \"(a*)*\\\\1b\"");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {cmdline: "
		       "\"(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))\"}}}\n",
		       NAME ":3: 'cmdline': bad regular expression "
		       "'(((((((((((((((((((((((((((((((((a)))))))))))))))))))))))))))))))))': "
		       "parentheses are too deeply nested (at offset 33)");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {cmdline: 25+++0}}}\n",
		       NAME ":3: 'cmdline': bad regular expression '25+++0': "
		       "quantifier does not follow a repeatable item (at offset 4)");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {cmdline: "
		       "\"((a{65535}){65535}){65535}\"}}}\n",
		       NAME ":3: 'cmdline': bad regular expression '((a{65535}){65535}){65535}': "
		       "regular expression is too large (at offset 26)");
	/* a pattern longer than 4096 bytes */
	memset(pattern, 'a', sizeof(pattern) - 1);
	pattern[sizeof(pattern) - 1] = '\0';
	snprintf(text, sizeof(text), "version: 1\nrules:\n  - {name: a, match: {port: 80, "
		 "holder: {cmdline: %s}}, action: log}\n", pattern);
	assert_int_equal(parse(text), -EINVAL);
	assert_non_null(strstr(err, NAME ":3: 'cmdline': bad regular expression 'aaaa"));
	assert_non_null(strstr(err, "pattern string is longer than the limit"));

	/* a search that backtracks without end gives up: no match, reported once */
	memset(digits, '1', sizeof(digits) - 1);
	assert_parses("version: 1\nrules:\n"
		      "  - {name: nested, match: {port: 80, requester: {cmdline: \"(\\\\d+)+\\\\D\"}},"
		      " action: log}\n"
		      "  - {name: any, match: {port: 80}, action: log}\n");
	pol->on_limit = count_limit;
	limit_reports = 0;
	r.cmdline = digits;
	assert_string_equal(matched(80, IPPROTO_TCP, &h, &r), "any");
	assert_string_equal(matched(80, IPPROTO_TCP, &h, &r), "any");
	assert_int_equal(limit_reports, 1);
	assert_string_equal(limit_side, "requester");

	/* only the first POLICY_CMDLINE_MAX bytes are searched */
	assert_parses("version: 1\nrules:\n"
		      "  - {name: dot, match: {port: 80, holder: {cmdline: \"[0-9]+\\\\.[0-9]+\"}},"
		      " action: log}\n");
	digits[POLICY_CMDLINE_MAX - 2] = '.';
	h.cmdline = digits;
	assert_string_equal(matched(80, IPPROTO_TCP, &h, NULL), "dot");
	digits[POLICY_CMDLINE_MAX - 2] = '1';
	digits[POLICY_CMDLINE_MAX + 2] = '.';
	assert_null(matched(80, IPPROTO_TCP, &h, NULL));
}

static void test_holder_uid_age_state(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	holder_rule("uid: 0");
	assert_false(holder_matches(&h)); /* unknown uid (-1) is not root */
	h.uid = 0;
	assert_true(holder_matches(&h));
	h.uid = 1000;
	assert_false(holder_matches(&h));

	h = unknown_proc();
	holder_rule("min_age: 10m");
	assert_false(holder_matches(&h));
	h.age_ms = 10 * MIN_MS - 1;
	assert_false(holder_matches(&h));
	h.age_ms = 10 * MIN_MS;
	assert_true(holder_matches(&h));
	h.age_ms = 24 * 60 * MIN_MS;
	assert_true(holder_matches(&h));
	holder_rule("min_age: 0s");
	h.age_ms = -1;
	assert_false(holder_matches(&h)); /* even 0: an unknown age does not do */
	h.age_ms = 0;
	assert_true(holder_matches(&h));

	h = unknown_proc();
	holder_rule("state: listen");
	assert_false(holder_matches(&h));
	h.state = POLICY_STATE_LISTEN;
	assert_true(holder_matches(&h));
	h.state = POLICY_STATE_BOUND;
	assert_false(holder_matches(&h));
	holder_rule("state: bound");
	assert_true(holder_matches(&h));
	holder_rule("state: any");
	h.state = POLICY_STATE_ANY;
	assert_true(holder_matches(&h));
}

static void test_holder_unit(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	holder_rule("unit: \"*.service\"");
	assert_false(holder_matches(&h));
	h.unit = "api.service";
	assert_true(holder_matches(&h));
	h.unit = "session-3.scope";
	assert_false(holder_matches(&h));
	h.unit = NULL;
	h.container = CONTAINER;
	assert_false(holder_matches(&h));

	holder_rule("unit: \"0123456789ab*\"");
	assert_true(holder_matches(&h)); /* the container id */
	h.unit = "docker-" CONTAINER ".scope";
	assert_true(holder_matches(&h));
	h.container = "";
	assert_false(holder_matches(&h)); /* procinfo's "no container" */

	/* "*" asks for some unit: none, or an empty one, does not do */
	holder_rule("unit: \"*\"");
	h.unit = NULL;
	assert_false(holder_matches(&h));
	h.unit = "";
	assert_false(holder_matches(&h));
	h.container = CONTAINER;
	assert_true(holder_matches(&h));
}

/* Every condition on the holder must hold at once. */
/* unit is the system manager's word, user_unit the user's: never one for the other. */
static void test_user_unit(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	holder_rule("user_unit: \"legacy.service\"");
	assert_false(holder_matches(&h));
	h.unit = "legacy.service";
	assert_false(holder_matches(&h));
	h.unit = "user@1000.service";
	h.user_unit = "legacy.service";
	assert_true(holder_matches(&h));
	h.user_unit = "";
	assert_false(holder_matches(&h));

	holder_rule("unit: \"legacy.service\"");
	h.user_unit = "legacy.service";
	assert_false(holder_matches(&h));
	holder_rule("unit: \"*.service\"");
	assert_true(holder_matches(&h)); /* user@1000.service */

	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80, holder: {user_unit: \"\"}}}\n",
		       NAME ":3: 'user_unit': expected a non-empty string");
}

static void test_holder_all_fields(void **state)
{
	struct policy_proc h = {
		.comm = "python3", .exe = "/usr/bin/python3.11",
		.cmdline = "/usr/bin/python3 Stale process", .unit = "api.service",
		.uid = 1000, .age_ms = 11 * MIN_MS, .state = POLICY_STATE_LISTEN,
	};
	struct policy_proc r = unknown_proc();

	(void)state;
	assert_parses(example);
	r.exe = "/usr/bin/python3.11";
	assert_string_equal(matched(8080, IPPROTO_TCP, &h, &r), "stale-api-squatter");
	assert_null(matched(8080, IPPROTO_UDP, &h, &r));
	assert_null(matched(8081, IPPROTO_TCP, &h, &r));
	assert_null(matched(8080, IPPROTO_TCP, &h, NULL));
	h.age_ms = 9 * MIN_MS;
	assert_null(matched(8080, IPPROTO_TCP, &h, &r));
	h.age_ms = 11 * MIN_MS;
	h.uid = 1001;
	assert_null(matched(8080, IPPROTO_TCP, &h, &r));
	h.uid = 1000;
	h.cmdline = "/usr/bin/python3 fresh process";
	assert_null(matched(8080, IPPROTO_TCP, &h, &r));
	h.cmdline = "/usr/bin/python3 Stale process";
	h.state = POLICY_STATE_BOUND;
	assert_null(matched(8080, IPPROTO_TCP, &h, &r));
	h.state = POLICY_STATE_LISTEN;
	h.unit = "api.scope";
	assert_null(matched(8080, IPPROTO_TCP, &h, &r));
}

static void test_requester(void **state)
{
	struct policy_proc r = unknown_proc(), h = unknown_proc();

	(void)state;
	assert_parses("version: 1\n"
		      "rules:\n"
		      "  - name: deploy\n"
		      "    match:\n"
		      "      port: 80\n"
		      "      requester: {comm: deploy, exe: \"/opt/*\", cmdline: \"--port 80\",\n"
		      "                  uid: 0, unit: \"deploy@*.service\", min_age: 0s}\n"
		      "    action: reclaim\n");
	r.comm = "deploy";
	r.exe = "/opt/deploy/bin/deploy";
	r.cmdline = "deploy --port 80 --force";
	r.uid = 0;
	r.unit = "deploy@blue.service";
	r.age_ms = 5;
	h.comm = "deploy"; /* holder conditions are unset: any holder does */
	assert_string_equal(matched(80, IPPROTO_TCP, &h, &r), "deploy");
	assert_string_equal(matched(80, IPPROTO_TCP, NULL, &r), "deploy");
	assert_null(matched(80, IPPROTO_TCP, &h, NULL));
	r.unit = "deploy.service";
	assert_null(matched(80, IPPROTO_TCP, &h, &r));
	r.unit = "deploy@blue.service";
	r.age_ms = -1;
	assert_null(matched(80, IPPROTO_TCP, &h, &r));
	r.age_ms = 5;
	r.cmdline = NULL;
	assert_null(matched(80, IPPROTO_TCP, &h, &r));
}

static void test_protected(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	assert_parses(example);
	assert_false(policy_protected(pol, NULL, NULL));
	assert_false(policy_protected(pol, &h, NULL));
	h.comm = "sshd";
	assert_true(policy_protected(pol, &h, NULL));
	h.comm = "sshd-session";
	assert_false(policy_protected(pol, &h, NULL));
	h.comm = "systemd";
	assert_true(policy_protected(pol, &h, NULL));

	h = unknown_proc();
	h.unit = "docker.service";
	assert_true(policy_protected(pol, &h, NULL));
	h.unit = "docker-" CONTAINER ".scope";
	assert_false(policy_protected(pol, &h, NULL));

	h = unknown_proc();
	h.exe = "/usr/sbin/nginx";
	assert_true(policy_protected(pol, &h, NULL));
	h.exe = "/usr/bin/nginx";
	assert_false(policy_protected(pol, &h, NULL));

	/* a container id is covered by a unit glob */
	assert_parses("version: 1\nprotect:\n  unit: [\"0123*\"]\n");
	h = unknown_proc();
	h.container = CONTAINER;
	assert_true(policy_protected(pol, &h, NULL));

	/* nothing protected when the list is empty */
	assert_parses("version: 1\nprotect: {comm: [], unit: [], exe: [], uid: []}\n");
	h.comm = "sshd";
	h.exe = "/usr/sbin/sshd";
	h.uid = 0;
	assert_false(policy_protected(pol, &h, NULL));
}

/* uid: what a process cannot choose, unlike its comm. */
static void test_protect_uid(void **state)
{
	struct policy_proc h = unknown_proc();

	(void)state;
	assert_parses("version: 1\nprotect:\n  uid: [0, 998]\n");
	assert_int_equal(pol->protect.nuid, 2);
	assert_false(policy_protected(pol, &h, NULL)); /* unknown uid */
	h.uid = 0;
	assert_true(policy_protected(pol, &h, NULL));
	h.uid = 998;
	assert_true(policy_protected(pol, &h, NULL));
	h.uid = NOBODY;
	h.comm = "sshd"; /* a squatter's chosen name */
	assert_false(policy_protected(pol, &h, NULL));

	/* a setuid-root program nobody started: root's by its effective or saved uid */
	struct proc_identity id = PROC_IDENTITY_UNKNOWN;

	h.id = &id;
	assert_false(policy_protected(pol, &h, NULL));
	id.ruid = NOBODY;
	id.euid = 0;
	id.suid = 0;
	assert_true(policy_protected(pol, &h, NULL));
	id.euid = NOBODY;
	assert_true(policy_protected(pol, &h, NULL)); /* saved: it can be root again at will */
	id.suid = NOBODY;
	assert_false(policy_protected(pol, &h, NULL));

	assert_refused("version: 1\nprotect:\n  uid: [0, root]\n",
		       NAME ":3: 'uid': bad uid 'root' (expected an integer 0-4294967294)");
	assert_refused("version: 1\nprotect:\n  uid: 0\n",
		       NAME ":3: 'uid': expected a list, got a string");
}

/* Only a rule naming a requester uid crosses users; check-policy says whose. */
static void test_cross_user(void **state)
{
	char msg[ERR_LEN];

	(void)state;
	assert_parses("version: 1\nrules:\n"
		      "  - {name: plain, match: {port: 80}, action: reclaim}\n"              /* 3 */
		      "  - {name: root, match: {port: 80, requester: {uid: 0}}, action: reclaim}\n"
		      "  - {name: same, match: {port: 80, holder: {uid: 1000}, requester: {uid: 1000}},"
		      " action: reclaim}\n"
		      "  - {name: log, match: {port: 80, requester: {uid: 1000}}, action: log}\n"
		      "  - {name: deploy, match: {port: 80, requester: {uid: 1000}}, action: reclaim}\n"
		      "  - {name: web, match: {port: 80, holder: {uid: 33}, requester: {uid: 1000}},"
		      " action: reclaim}\n");
	assert_false(policy_cross_user(&pol->rules[0], msg, sizeof(msg)));
	assert_false(policy_cross_user(&pol->rules[1], msg, sizeof(msg)));
	assert_false(policy_cross_user(&pol->rules[2], msg, sizeof(msg)));
	assert_false(policy_cross_user(&pol->rules[3], msg, sizeof(msg)));
	assert_true(policy_cross_user(&pol->rules[4], msg, sizeof(msg)));
	assert_string_equal(msg, "rule 'deploy' (line 7) lets uid 1000 have processes of any "
			    "user signalled (root's too) when they match its holder conditions");
	assert_true(policy_cross_user(&pol->rules[5], msg, sizeof(msg)));
	assert_string_equal(msg, "rule 'web' (line 8) lets uid 1000 have processes of uid 33 "
			    "signalled");
}


/* ---- workloads: container: and pod: */

static const char workload_example[] =
	"version: 1\n"                                                      /*  1 */
	"protect:\n"                                                        /*  2 */
	"  pod: {namespace: [kube-system, \"monitoring-*\"]}\n"             /*  3 */
	"  container:\n"                                                    /*  4 */
	"    name: [db]\n"                                                  /*  5 */
	"    image: [\"registry.k8s.io/*\"]\n"                              /*  6 */
	"rules:\n"                                                          /*  7 */
	"  - name: api\n"                                                   /*  8 */
	"    match:\n"                                                      /*  9 */
	"      port: 8080\n"                                                /* 10 */
	"      holder:\n"                                                   /* 11 */
	"        container: {name: \"api-*\", image: \"localhost/api:*\", runtime: podman}\n"
	"        pod: {namespace: default, name: \"api-7d9*\", container: api}\n" /* 13 */
	"      requester:\n"                                                /* 14 */
	"        container: {runtime: docker}\n"                            /* 15 */
	"    action: reclaim\n";                                            /* 16 */

static void test_workload_parse(void **state)
{
	const struct policy_rule *r;
	size_t i;

	(void)state;
	assert_parses(workload_example);
	assert_string_equal(pol->protect.wl[POLICY_WL_POD_NAMESPACE][0], "kube-system");
	assert_string_equal(pol->protect.wl[POLICY_WL_POD_NAMESPACE][1], "monitoring-*");
	assert_null(pol->protect.wl[POLICY_WL_POD_NAMESPACE][2]);
	assert_string_equal(pol->protect.wl[POLICY_WL_NAME][0], "db");
	assert_string_equal(pol->protect.wl[POLICY_WL_IMAGE][0], "registry.k8s.io/*");
	assert_null(pol->protect.wl[POLICY_WL_RUNTIME]);
	assert_null(pol->protect.wl[POLICY_WL_POD_NAME]);
	r = &pol->rules[0];
	assert_string_equal(r->holder.wl[POLICY_WL_NAME], "api-*");
	assert_string_equal(r->holder.wl[POLICY_WL_IMAGE], "localhost/api:*");
	assert_string_equal(r->holder.wl[POLICY_WL_RUNTIME], "podman");
	assert_string_equal(r->holder.wl[POLICY_WL_POD_NAMESPACE], "default");
	assert_string_equal(r->holder.wl[POLICY_WL_POD_NAME], "api-7d9*");
	assert_string_equal(r->holder.wl[POLICY_WL_POD_CONTAINER], "api");
	assert_string_equal(r->requester.wl[POLICY_WL_RUNTIME], "docker");
	for (i = 0; i < POLICY_WL_FIELDS; i++)
		if (i != POLICY_WL_RUNTIME)
			assert_null(r->requester.wl[i]);
	assert_string_equal(policy_wl_field(POLICY_WL_NAME), "container.name");
	assert_string_equal(policy_wl_field(POLICY_WL_POD_CONTAINER), "pod.container");

	/* an expect rule's owner takes them too */
	assert_parses("version: 1\nexpect:\n  - name: web\n    port: 80\n"
		      "    owner: {container: {name: web}, pod: {namespace: prod}}\n    action: log\n");
	assert_string_equal(pol->expects[0].requester.wl[POLICY_WL_NAME], "web");
	assert_string_equal(pol->expects[0].requester.wl[POLICY_WL_POD_NAMESPACE], "prod");
}

static void test_workload_errors(void **state)
{
	(void)state;
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        container: {name: web, tag: latest}\n",
		       NAME ":7: unknown key 'tag' in container");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      requester:\n        pod:\n          namespace: a\n          uid: x\n",
		       NAME ":9: unknown key 'uid' in pod");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        container: web\n",
		       NAME ":7: 'container': expected a mapping, got a string");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        container:\n          name: [web]\n",
		       NAME ":8: 'name': expected a string, got a list");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        pod: {namespace: \"\"}\n",
		       NAME ":7: 'namespace': expected a non-empty string");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        container: {name: a, name: b}\n",
		       NAME ":7: duplicate key 'name' in container (first at line 7)");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        container:\n          runtime: \"pod*\"\n",
		       NAME ":8: 'runtime': expected podman, docker, containerd or cri-o, got 'pod*'");
	/* the schema's shape, not the keys a record's workload has */
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        container: {id: \"0123*\"}\n",
		       NAME ":7: unknown key 'id' in container");
	assert_refused("version: 1\nrules:\n  - name: a\n    match:\n      port: 80\n"
		       "      holder:\n        container: {pod: {name: x}}\n",
		       NAME ":7: unknown key 'pod' in container");

	assert_refused("version: 1\nprotect:\n  pod: {namespace: kube-system}\n",
		       NAME ":3: 'namespace': expected a list, got a string");
	assert_refused("version: 1\nprotect:\n  pod: [kube-system]\n",
		       NAME ":3: 'pod': expected a mapping, got a list");
	assert_refused("version: 1\nprotect:\n  container:\n    runtime: [docker, rkt]\n",
		       NAME ":4: 'runtime': expected podman, docker, containerd or cri-o, got 'rkt'");
	assert_refused("version: 1\nprotect:\n  container:\n    label: [x]\n",
		       NAME ":4: unknown key 'label' in container");
	assert_refused("version: 1\nprotect:\n  pod_namespace: [kube-system]\n",
		       NAME ":3: unknown key 'pod_namespace' in protect");
}

/* A holder in container web of podman, in no pod. */
static struct policy_proc web_proc(void)
{
	struct policy_proc h = unknown_proc();

	h.container = CONTAINER;
	h.wl_id = CONTAINER;
	h.wl[POLICY_WL_NAME] = "web";
	h.wl[POLICY_WL_IMAGE] = "localhost/web:1.25";
	h.wl[POLICY_WL_RUNTIME] = "podman";
	return h;
}

static void test_workload_match(void **state)
{
	struct policy_proc h = web_proc(), r = unknown_proc();

	(void)state;
	holder_rule("container: {name: \"web*\"}");
	assert_true(holder_matches(&h));
	assert_false(holder_matches(NULL));
	h.wl[POLICY_WL_NAME] = "api";
	assert_false(holder_matches(&h));
	h.wl[POLICY_WL_NAME] = NULL; /* unknown: the runtime's files could not be read */
	assert_false(holder_matches(&h));
	h.wl[POLICY_WL_NAME] = "";
	assert_false(holder_matches(&h));

	/* every key given must hold */
	holder_rule("container: {name: web, image: \"localhost/web:*\", runtime: podman}");
	h = web_proc();
	assert_true(holder_matches(&h));
	h.wl[POLICY_WL_RUNTIME] = "docker";
	assert_false(holder_matches(&h));
	h = web_proc();
	h.wl[POLICY_WL_IMAGE] = "docker.io/library/web:1.25";
	assert_false(holder_matches(&h));

	/* a process in no container: a condition on one does not hold */
	holder_rule("container: {runtime: docker}");
	assert_false(holder_matches(&r));
	holder_rule("pod: {namespace: \"*\"}");
	h = web_proc();
	assert_false(holder_matches(&h)); /* a container in no pod */
	h.wl[POLICY_WL_POD_NAMESPACE] = "default";
	h.wl[POLICY_WL_POD_NAME] = "web-7d9f";
	h.wl[POLICY_WL_POD_CONTAINER] = "nginx";
	assert_true(holder_matches(&h));

	holder_rule("pod: {namespace: default, name: \"web-*\", container: nginx}");
	assert_true(holder_matches(&h));
	h.wl[POLICY_WL_POD_CONTAINER] = "sidecar";
	assert_false(holder_matches(&h));
	h.wl[POLICY_WL_POD_CONTAINER] = "nginx";
	h.wl[POLICY_WL_POD_NAMESPACE] = "kube-system";
	assert_false(holder_matches(&h));

	/* a runtime's proxy is matched as the container it publishes a port for */
	holder_rule("container: {name: web}");
	h = web_proc();
	h.container = NULL;
	h.proxy = true;
	assert_true(holder_matches(&h));

	/* the requester's side */
	assert_parses("version: 1\nrules:\n"
		      "  - {name: r, match: {port: 80, requester: {pod: {namespace: ci}}}, action: log}\n");
	r.wl[POLICY_WL_POD_NAMESPACE] = "ci";
	assert_string_equal(matched(80, IPPROTO_TCP, NULL, &r), "r");
	r.wl[POLICY_WL_POD_NAMESPACE] = "cix";
	assert_null(matched(80, IPPROTO_TCP, NULL, &r));
}

/* The first workload condition that failed, with both values, for --replay and --dry-run. */
static void test_workload_miss(void **state)
{
	struct policy_proc h = web_proc();
	struct policy_miss m;

	(void)state;
	holder_rule("container: {name: \"api*\"}");
	assert_false(policy_rule_holds(pol, &pol->rules[0], 80, IPPROTO_TCP, &h, NULL, &m));
	assert_string_equal(m.side, "holder");
	assert_string_equal(m.field, "container.name");
	assert_string_equal(m.want, "api*");
	assert_string_equal(m.got, "web");
	assert_true(m.known);

	holder_rule("pod: {namespace: kube-system}");
	assert_false(policy_rule_holds(pol, &pol->rules[0], 80, IPPROTO_TCP, &h, NULL, &m));
	assert_string_equal(m.field, "pod.namespace");
	assert_false(m.known);
}

static void test_workload_protect(void **state)
{
	struct policy_proc h = web_proc();

	(void)state;
	assert_parses(workload_example);
	assert_false(policy_protected(pol, &h, NULL));
	h.wl[POLICY_WL_NAME] = "db";
	assert_true(policy_protected(pol, &h, NULL));
	h = web_proc();
	h.wl[POLICY_WL_IMAGE] = "registry.k8s.io/coredns/coredns:v1.11";
	assert_true(policy_protected(pol, &h, NULL));
	h = web_proc();
	h.wl[POLICY_WL_POD_NAMESPACE] = "kube-system";
	assert_true(policy_protected(pol, &h, NULL));
	h.wl[POLICY_WL_POD_NAMESPACE] = "monitoring-prod";
	assert_true(policy_protected(pol, &h, NULL));
	h.wl[POLICY_WL_POD_NAMESPACE] = "kube-systems";
	assert_false(policy_protected(pol, &h, NULL));
	h.wl[POLICY_WL_POD_NAMESPACE] = NULL;
	assert_false(policy_protected(pol, &h, NULL));

	assert_parses("version: 1\nprotect:\n  container: {runtime: [docker]}\n");
	h = web_proc();
	assert_false(policy_protected(pol, &h, NULL));
	h.wl[POLICY_WL_RUNTIME] = "docker";
	assert_true(policy_protected(pol, &h, NULL));
}

/* What protect cannot see: a container of which only the id is known. */
static void test_workload_protect_blind(void **state)
{
	struct policy_proc h = web_proc(), plain = unknown_proc();
	size_t i;

	(void)state;
	assert_parses(example); /* no workload keys in protect */
	for (i = 0; i < POLICY_WL_FIELDS; i++)
		h.wl[i] = NULL;
	assert_false(policy_protect_blind(pol, &h));

	assert_parses(workload_example);
	assert_true(policy_protect_blind(pol, &h)); /* runtime files unread */
	h.wl[POLICY_WL_RUNTIME] = "podman"; /* from the cgroup path: not the runtime's files */
	assert_true(policy_protect_blind(pol, &h));
	h.wl_id = NULL; /* no workload at all, but a container id in the cgroup path */
	assert_true(policy_protect_blind(pol, &h));
	h.wl[POLICY_WL_NAME] = "web";
	assert_false(policy_protect_blind(pol, &h));
	h = web_proc();
	h.wl[POLICY_WL_NAME] = NULL;
	h.wl[POLICY_WL_IMAGE] = NULL;
	h.wl[POLICY_WL_POD_NAMESPACE] = "default";
	assert_false(policy_protect_blind(pol, &h));
	assert_false(policy_protect_blind(pol, &plain)); /* in no container */
	assert_false(policy_protect_blind(pol, NULL));
}

/* ---- expect: port ownership */

static const char expect_example[] =
	"version: 1\n"                                      /*  1 */
	"expect:\n"                                         /*  2 */
	"  - name: web\n"                                   /*  3 */
	"    port: [80, 443, \"8000-8001\"]\n"              /*  4 */
	"    proto: tcp\n"                                  /*  5 */
	"    owner: {unit: nginx.service}\n"                /*  6 */
	"    action: alert\n"                               /*  7 */
	"  - name: dns\n"                                   /*  8 */
	"    port: 53\n"                                    /*  9 */
	"    owner:\n"                                      /* 10 */
	"      exe: \"/usr/sbin/unbound\"\n"                /* 11 */
	"      uid: 101\n"                                  /* 12 */
	"    action: log\n";                                /* 13 */

static void test_expect_parse(void **state)
{
	uint64_t ports[PORTLIST_WORDS];
	const struct policy_rule *r;

	(void)state;
	assert_parses(expect_example);
	assert_int_equal(pol->nrules, 0);
	assert_int_equal(pol->nexpects, 2);
	r = &pol->expects[0];
	assert_string_equal(r->name, "web");
	assert_int_equal(r->line, 3);
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(r->action, POLICY_ALERT);
	assert_int_equal(count_ports(r), 4);
	assert_true(portlist_has(r->ports, 8001));
	assert_string_equal(r->requester.unit, "nginx.service");
	assert_cond_unset(&r->holder);
	r = &pol->expects[1];
	assert_string_equal(r->name, "dns");
	assert_int_equal(r->line, 8);
	assert_int_equal(r->proto, 0);
	assert_int_equal(r->action, POLICY_LOG);
	assert_string_equal(r->requester.exe, "/usr/sbin/unbound");
	assert_int_equal(r->requester.uid, 101);
	policy_expect_ports(pol, ports);
	assert_true(portlist_has(ports, 53));
	assert_true(portlist_has(ports, 443));
	assert_false(portlist_has(ports, 54));
	/* version 1 without expect is still what it was */
	assert_parses("version: 1\nrules: []\n");
	assert_int_equal(pol->nexpects, 0);
	assert_null(pol->expects);
}

static void test_expect_errors(void **state)
{
	(void)state;
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - name: web\n"
		       "    port: 80\n"
		       "    owner: {comm: nginx}\n"
		       "    action: reclaim\n",
		       NAME ":6: 'action': expected log or alert, got 'reclaim'");
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - name: web\n"
		       "    port: 80\n"
		       "    action: log\n",
		       NAME ":3: missing required key 'owner' in expect");
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - name: web\n"
		       "    owner: {comm: nginx}\n"
		       "    action: log\n",
		       NAME ":3: missing required key 'port' in expect");
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - name: web\n"
		       "    port: 80\n"
		       "    owner: {comm: nginx, state: listen}\n"
		       "    action: log\n",
		       NAME ":5: 'state' is not allowed in owner (the call is what the socket does)");
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - name: web\n"
		       "    port: 80\n"
		       "    owner: {comm: nginx}\n"
		       "    action: log\n"
		       "    holder: {comm: x}\n",
		       NAME ":7: unknown key 'holder' in expect");
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - name: web\n"
		       "    port: 80\n"
		       "    owner: {comm: nginx}\n"
		       "    action: log\n"
		       "  - name: web\n"
		       "    port: 81\n"
		       "    owner: {comm: nginx}\n"
		       "    action: log\n",
		       NAME ":7: duplicate expect name 'web' (first at line 3)");
	assert_refused("version: 1\n"
		       "expect: {name: web}\n",
		       NAME ":2: 'expect': expected a list, got a mapping");
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - web\n",
		       NAME ":3: 'expect': expected an expect rule (a mapping), got a string");
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - name: web\n"
		       "    port: 70000\n"
		       "    owner: {comm: nginx}\n"
		       "    action: log\n",
		       NAME ":4: port '70000': port must be 1-65535");
	assert_refused("version: 1\n"
		       "expect:\n"
		       "  - name: web\n"
		       "    port: 80\n"
		       "    proto: sctp\n"
		       "    owner: {comm: nginx}\n"
		       "    action: log\n",
		       NAME ":5: 'proto': expected tcp, udp or any, got 'sctp'");
}

static void test_expect_match(void **state)
{
	struct policy_proc nginx = { .comm = "nginx", .exe = "/usr/sbin/nginx", .uid = 33,
				     .age_ms = -1, .unit = "nginx.service" };
	struct policy_proc other = { .comm = "python3", .exe = "/usr/bin/python3.11", .uid = 33,
				     .age_ms = -1, .unit = "app.service" };
	struct policy_proc caddy = { .comm = "caddy", .exe = "/usr/bin/caddy", .uid = 33,
				     .age_ms = -1 };
	const struct policy_rule *r;
	struct policy_miss m;

	(void)state;
	assert_parses("version: 1\n"
		      "expect:\n"
		      "  - name: web\n"
		      "    port: [80, 443]\n"
		      "    proto: tcp\n"
		      "    owner: {unit: nginx.service}\n"
		      "    action: alert\n"
		      "  - name: web-alt\n"
		      "    port: 443\n"
		      "    owner: {comm: caddy}\n"
		      "    action: log\n");
	assert_null(policy_expect_miss(pol, 80, IPPROTO_TCP, &nginx, &m));
	r = policy_expect_miss(pol, 80, IPPROTO_TCP, &other, &m);
	assert_non_null(r);
	assert_string_equal(r->name, "web");
	assert_string_equal(m.side, "owner");
	assert_string_equal(m.field, "unit");
	assert_string_equal(m.got, "app.service");
	/* not named for udp, nor port 81 */
	assert_null(policy_expect_miss(pol, 80, IPPROTO_UDP, &other, NULL));
	assert_null(policy_expect_miss(pol, 81, IPPROTO_TCP, &other, NULL));
	/* an owner of any rule naming the port is expected there */
	assert_null(policy_expect_miss(pol, 443, IPPROTO_TCP, &caddy, NULL));
	assert_null(policy_expect_miss(pol, 443, IPPROTO_TCP, &nginx, NULL));
	r = policy_expect_miss(pol, 443, IPPROTO_TCP, &other, &m);
	assert_string_equal(r->name, "web");
	assert_string_equal(m.field, "unit");
	/* an unknown caller meets no condition */
	assert_non_null(policy_expect_miss(pol, 80, IPPROTO_TCP, NULL, NULL));
}

/* ---- probes: bindwatch-policy(5), PROBES */

/* The page's rule for nginx -t, and an alert rule on the same ports after it. */
static const char probe_example[] =
	"version: 1\n"                                             /*  1 */
	"rules:\n"                                                 /*  2 */
	"  - name: nginx-config-test\n"                            /*  3 */
	"    match:\n"                                             /*  4 */
	"      port: [80, 443]\n"                                  /*  5 */
	"      proto: tcp\n"                                       /*  6 */
	"      holder:\n"                                          /*  7 */
	"        exe: /usr/sbin/nginx\n"                           /*  8 */
	"      requester:\n"                                       /*  9 */
	"        uid: 0\n"                                         /* 10 */
	"        comm: nginx\n"                                    /* 11 */
	"        cmdline: '(^| )-[qtT]*[tT][qtT]*( |$)'\n"         /* 12 */
	"    action: probe\n"                                      /* 13 */
	"  - {name: web, match: {port: [80, 443]}, action: alert}\n"; /* 14 */

static void test_probe_parse(void **state)
{
	const struct policy_rule *r;

	(void)state;
	assert_parses(probe_example);
	assert_int_equal(pol->nrules, 2);
	r = &pol->rules[0];
	assert_string_equal(r->name, "nginx-config-test");
	assert_int_equal(r->action, POLICY_PROBE);
	assert_int_equal(r->proto, IPPROTO_TCP);
	assert_int_equal(count_ports(r), 2);
	assert_string_equal(r->holder.exe, "/usr/sbin/nginx");
	assert_int_equal(r->requester.uid, 0);
	assert_string_equal(r->requester.comm, "nginx");
	assert_null(r->requester.exe);
	assert_non_null(r->requester.cmdline);
	assert_null(r->exec);
	assert_int_equal(pol->rules[1].action, POLICY_ALERT);

	/* a probe alerts nobody: no exec to run, nothing to reclaim */
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n"
		       "    action: probe\n    exec: [/usr/bin/logger, probe]\n",
		       NAME ":6: 'exec' is not allowed with action: probe (a probe alerts nobody)");
	assert_refused("version: 1\nrules:\n  - name: a\n    match: {port: 80}\n"
		       "    exec: [/usr/bin/logger, probe]\n    action: probe\n",
		       NAME ":5: 'exec' is not allowed with action: probe (a probe alerts nobody)");
	assert_refused("version: 1\nrules:\n"
		       "  - {name: a, match: {port: 80}, action: probe, reclaim: {signal: KILL}}\n",
		       NAME ":3: 'reclaim' is only allowed with action: reclaim");
	/* an expect rule says who owns a port: no probe there */
	assert_refused("version: 1\nexpect:\n"
		       "  - {name: web, port: 80, owner: {uid: 0}, action: probe}\n",
		       NAME ":3: 'action': expected log or alert, got 'probe'");
	assert_refused("version: 1\nrules:\n  - {name: a, match: {port: 80}, action: ignore}\n",
		       NAME ":3: 'action': expected log, alert, probe or reclaim, got 'ignore'");
}

/* root's nginx, as Debian installs it, with command line cmdline. */
static struct policy_proc nginx_proc(const char *cmdline)
{
	struct policy_proc pr = unknown_proc();

	pr.comm = "nginx";
	pr.exe = "/usr/sbin/nginx";
	pr.cmdline = cmdline;
	pr.uid = 0;
	return pr;
}

/* As any rule: first match wins, every condition must hold, unknown never does. */
static void test_probe_match(void **state)
{
	static const char *const tests[] = {
		"nginx -t", "/usr/sbin/nginx -T", "nginx -q -t -g daemon off;",
		"nginx -qt", "nginx -c /etc/nginx/nginx.conf -t",
	};
	static const char *const starts[] = {
		"nginx", "/usr/sbin/nginx -g daemon on; master_process on;",
		"nginx: master process /usr/sbin/nginx -g daemon on; master_process on;",
		"nginx -c /srv/-t/nginx.conf", "nginx -s reload",
	};
	struct policy_proc holder = nginx_proc("nginx: worker process"), req;
	struct policy_proc squatter = unknown_proc();
	size_t i;

	(void)state;
	assert_parses(probe_example);
	for (i = 0; i < sizeof(tests) / sizeof(tests[0]); i++) {
		req = nginx_proc(tests[i]);
		assert_string_equal(matched(80, IPPROTO_TCP, &holder, &req), "nginx-config-test");
	}
	/* nginx starting (or restarting) against a running one is no test */
	for (i = 0; i < sizeof(starts) / sizeof(starts[0]); i++) {
		req = nginx_proc(starts[i]);
		assert_string_equal(matched(443, IPPROTO_TCP, &holder, &req), "web");
	}
	req = nginx_proc("nginx -t");
	assert_string_equal(matched(443, IPPROTO_TCP, &holder, &req), "nginx-config-test");
	assert_null(matched(8080, IPPROTO_TCP, &holder, &req));
	assert_string_equal(matched(80, IPPROTO_UDP, &holder, &req), "web");
	/* gone before /proc was read: what came with the call still matches */
	req.exe = NULL;
	assert_string_equal(matched(80, IPPROTO_TCP, &holder, &req), "nginx-config-test");
	/* another user's "nginx -t": its name and command line are its own choice */
	req.uid = 1000;
	assert_string_equal(matched(80, IPPROTO_TCP, &holder, &req), "web");
	req = nginx_proc("python3 bind.py -t");
	req.comm = "python3";
	assert_string_equal(matched(80, IPPROTO_TCP, &holder, &req), "web");
	/* the test found someone else on the port: that is news */
	req = nginx_proc("nginx -t");
	squatter.exe = "/usr/bin/python3.11";
	assert_string_equal(matched(80, IPPROTO_TCP, &squatter, &req), "web");
	assert_string_equal(matched(80, IPPROTO_TCP, NULL, &req), "web");
	req.uid = -1;
	assert_string_equal(matched(80, IPPROTO_TCP, &holder, &req), "web");
	assert_string_equal(matched(80, IPPROTO_TCP, &holder, NULL), "web");
}

static void test_action_name(void **state)
{
	(void)state;
	assert_string_equal(policy_action_name(POLICY_LOG), "log");
	assert_string_equal(policy_action_name(POLICY_ALERT), "alert");
	assert_string_equal(policy_action_name(POLICY_RECLAIM), "reclaim");
	assert_string_equal(policy_action_name(POLICY_PROBE), "probe");
}

/* ---- policy_load: the file itself */

static char dir[DIR_LEN];
static char path[PATH_LEN];

static int file_setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/test_policy.XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	return 0;
}

static int file_teardown(void **state)
{
	char p[PATH_LEN];

	(void)state;
	policy_free(pol);
	pol = NULL;
	unlink(path);
	snprintf(p, sizeof(p), "%s/link.yaml", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/fifo", dir);
	unlink(p);
	return rmdir(dir);
}

static void write_file(const char *text, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	assert_int_equal(close(fd), 0);
}

static int load(const char *file)
{
	policy_free(pol);
	pol = NULL;
	memset(err, 0, sizeof(err));
	return policy_load(file, &pol, err, sizeof(err));
}

static void assert_load_refused(const char *file, int rc, const char *fmt)
{
	char expected[ERR_LEN];

	assert_int_equal(load(file), rc);
	assert_null(pol);
	snprintf(expected, sizeof(expected), fmt, file, file);
	assert_string_equal(err, expected);
}

/* Ownership is the point of these checks: without root, say why not. */
static bool need_root(void)
{
	if (geteuid() == 0)
		return true;
	print_message("skip: policy files must be owned by root, and this test is not root\n");
	return false;
}

static void test_load_good(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	write_file(example, strlen(example), 0644);
	assert_int_equal(load(path), 0);
	assert_string_equal(pol->path, path);
	assert_int_equal(pol->nrules, 1);
	write_file(example, strlen(example), 0600);
	assert_int_equal(load(path), 0);
}

/* A rule's exec program must exist and be runnable, as --exec's: named with file and line. */
static void test_load_refuses_missing_program(void **state)
{
	static const char head[] = "version: 1\nrules:\n  - name: r\n    match: {port: 80}\n"
				   "    action: alert\n    exec: ";
	char text[PATH_LEN + sizeof(head) + 16], expected[ERR_LEN];

	(void)state;
	if (!need_root())
		skip();
	snprintf(text, sizeof(text), "%s[/nonexistent/hook, \"{port}\"]\n", head);
	write_file(text, strlen(text), 0644);
	assert_int_equal(load(path), -ENOENT);
	assert_null(pol);
	snprintf(expected, sizeof(expected), "%s:6: 'exec': '/nonexistent/hook': no such program",
		 path);
	assert_string_equal(err, expected);
	snprintf(text, sizeof(text), "%s[%s]\n", head, path); /* there, but not executable */
	write_file(text, strlen(text), 0644);
	assert_int_equal(load(path), -EACCES);
	snprintf(expected, sizeof(expected), "%s:6: 'exec': '%s': not an executable file", path,
		 path);
	assert_string_equal(err, expected);
	snprintf(text, sizeof(text), "%s[no-such-bindwatch-hook]\n", head); /* looked up in PATH */
	write_file(text, strlen(text), 0644);
	assert_int_equal(load(path), -ENOENT);
	snprintf(text, sizeof(text), "%s[true, \"{port}\"]\n", head);
	write_file(text, strlen(text), 0644);
	assert_int_equal(load(path), 0);
	assert_string_equal(pol->rules[0].exec[0], "true");
}

static void test_load_refuses_writable(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	write_file(example, strlen(example), 0664);
	assert_load_refused(path, -EPERM,
			    "%s: refused: writable by group or others (mode 0664); chmod go-w %s");
	write_file(example, strlen(example), 0602);
	assert_load_refused(path, -EPERM,
			    "%s: refused: writable by group or others (mode 0602); chmod go-w %s");
}

static void test_load_refuses_other_owner(void **state)
{
	(void)state;
	if (!need_root())
		skip();
	write_file(example, strlen(example), 0644);
	assert_int_equal(chown(path, NOBODY, NOBODY), 0);
	assert_load_refused(path, -EPERM, "%s: refused: owned by uid 65534, must be owned by root");
}

static void test_load_refuses_odd_files(void **state)
{
	char link[PATH_LEN], fifo[PATH_LEN];
	char *big;

	(void)state;
	if (!need_root())
		skip();
	write_file(example, strlen(example), 0644);
	snprintf(link, sizeof(link), "%s/link.yaml", dir);
	assert_int_equal(symlink(path, link), 0);
	assert_load_refused(link, -ELOOP, "%s: refused: a symbolic link");
	assert_load_refused(dir, -EINVAL, "%s: refused: not a regular file");
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	assert_load_refused(fifo, -EINVAL, "%s: refused: not a regular file");

	big = malloc(POLICY_MAX_SIZE + 1);
	assert_non_null(big);
	memset(big, '#', POLICY_MAX_SIZE + 1);
	write_file(big, POLICY_MAX_SIZE + 1, 0644);
	free(big);
	assert_load_refused(path, -EFBIG, "%s: refused: larger than 1048576 bytes");
	unlink(path);
	assert_load_refused(path, -ENOENT, "%s: No such file or directory");
}

/* Every directory above the policy: root's, and nobody else can replace its entries. */
static void test_load_refuses_open_dirs(void **state)
{
	static const char secret[] = "version: 1\nSECRET: x\n";
	char expected[ERR_LEN], link[PATH_LEN], file[PATH_LEN + 16];

	(void)state;
	if (!need_root())
		skip();
	/* a file that does not parse: its contents must never be quoted from there */
	write_file(secret, strlen(secret), 0644);
	assert_int_equal(chmod(dir, 0777), 0);
	assert_int_equal(load(path), -EPERM);
	snprintf(expected, sizeof(expected),
		 "%s: refused: directory %s is writable by group or others (mode 0777), who could "
		 "replace the policy; chmod go-w %s", path, dir, dir);
	assert_string_equal(err, expected);
	assert_null(strstr(err, "SECRET"));
	assert_int_equal(chmod(dir, 0770), 0);
	assert_int_equal(load(path), -EPERM);

	/* with the sticky bit others cannot replace root's entries: as /tmp */
	assert_int_equal(chmod(dir, 01777), 0);
	assert_int_equal(load(path), -EINVAL);
	assert_non_null(strstr(err, ":2: unknown key 'SECRET' at the top level"));

	assert_int_equal(chmod(dir, 0755), 0);
	assert_int_equal(chown(dir, NOBODY, NOBODY), 0);
	assert_int_equal(load(path), -EPERM);
	snprintf(expected, sizeof(expected),
		 "%s: refused: directory %s is owned by uid 65534, and whoever owns it can replace "
		 "the policy; chown root %s, or keep the policy elsewhere", path, dir, dir);
	assert_string_equal(err, expected);
	assert_int_equal(chown(dir, 0, 0), 0);

	/* a symbolic link to a directory, anywhere in the path */
	write_file(example, strlen(example), 0644);
	snprintf(link, sizeof(link), "%s/link.yaml", dir); /* file_teardown() removes it */
	assert_int_equal(symlink(".", link), 0);
	snprintf(file, sizeof(file), "%s/policy.yaml", link);
	assert_int_equal(load(file), -ELOOP);
	snprintf(expected, sizeof(expected),
		 "%s: refused: %s is a symbolic link; give the path without links "
		 "(as realpath(1) prints it)", file, link);
	assert_string_equal(err, expected);

	/* a relative path is walked from the working directory, "." skipped */
	assert_int_equal(chdir(dir), 0);
	assert_int_equal(load("./policy.yaml"), 0);
	assert_int_equal(load("link.yaml/policy.yaml"), -ELOOP);
	assert_int_equal(load("../x/policy.yaml"), -EINVAL);
	assert_string_equal(err, "../x/policy.yaml: refused: '..' in the path; give it without");
	assert_int_equal(chdir("/"), 0);
	snprintf(file, sizeof(file), "%s/none/policy.yaml", dir);
	assert_int_equal(load(file), -ENOENT);
}

static void test_load_parse_error(void **state)
{
	static const char text[] = "version: 1\nrules:\n  - name: a\n    match: {port: 80}\n";

	(void)state;
	if (!need_root())
		skip();
	write_file(text, strlen(text), 0644);
	assert_load_refused(path, -EINVAL, "%s:3: missing required key 'action' in rule");
}

#define PARSE_TEST(fn) cmocka_unit_test_teardown(fn, teardown)
#define FILE_TEST(fn) cmocka_unit_test_setup_teardown(fn, file_setup, file_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PARSE_TEST(test_example),
		PARSE_TEST(test_defaults),
		PARSE_TEST(test_ports),
		PARSE_TEST(test_signals_and_durations),
		PARSE_TEST(test_exec),
		PARSE_TEST(test_length_and_nul),
		PARSE_TEST(test_examples_of_errors),
		PARSE_TEST(test_unknown_keys),
		PARSE_TEST(test_duplicates),
		PARSE_TEST(test_wrong_types),
		PARSE_TEST(test_missing_keys),
		PARSE_TEST(test_bad_values),
		PARSE_TEST(test_rule_consistency),
		PARSE_TEST(test_exec_errors),
		PARSE_TEST(test_exec_placeholder_positions),
		PARSE_TEST(test_yaml_level),
		PARSE_TEST(test_too_many_rules),
		PARSE_TEST(test_first_match_wins),
		PARSE_TEST(test_proto),
		PARSE_TEST(test_names),
		PARSE_TEST(test_holder_comm),
		PARSE_TEST(test_holder_exe),
		PARSE_TEST(test_holder_cmdline),
		PARSE_TEST(test_regex_limits),
		PARSE_TEST(test_holder_uid_age_state),
		PARSE_TEST(test_holder_unit),
		PARSE_TEST(test_user_unit),
		PARSE_TEST(test_holder_all_fields),
		PARSE_TEST(test_requester),
		PARSE_TEST(test_protected),
		PARSE_TEST(test_protect_uid),
		PARSE_TEST(test_cross_user),
		PARSE_TEST(test_workload_parse),
		PARSE_TEST(test_workload_errors),
		PARSE_TEST(test_workload_match),
		PARSE_TEST(test_workload_miss),
		PARSE_TEST(test_workload_protect),
		PARSE_TEST(test_workload_protect_blind),
		PARSE_TEST(test_expect_parse),
		PARSE_TEST(test_expect_errors),
		PARSE_TEST(test_expect_match),
		PARSE_TEST(test_probe_parse),
		PARSE_TEST(test_probe_match),
		
		cmocka_unit_test(test_action_name),
		FILE_TEST(test_load_good),
		FILE_TEST(test_load_refuses_missing_program),
		FILE_TEST(test_load_refuses_writable),
		FILE_TEST(test_load_refuses_other_owner),
		FILE_TEST(test_load_refuses_odd_files),
		FILE_TEST(test_load_refuses_open_dirs),
		FILE_TEST(test_load_parse_error),
	};

	return cmocka_run_group_tests_name("policy", tests, NULL, NULL);
}
