// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_policy.c - libFuzzer target: the policy parser on any bytes.
 *
 * The input goes to policy_parse() as a file's contents, not NUL-terminated
 * (libFuzzer's buffer ends exactly at len, so ASan catches a read past
 * it).  A refused input must come with a message naming the file.  A
 * policy that parses is matched against fixed conflicts, its exec
 * templates are expanded with every placeholder the parser allows (which
 * must then succeed), and it is freed; ASan reports overflows and leaks,
 * UBSan undefined behaviour, and abort() any broken promise of the API.
 * One subject has a command line of over POLICY_CMDLINE_MAX bytes, so a
 * pattern that escapes PCRE2's limits shows up as a libFuzzer timeout.
 */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include "policy.h"
#include "recvars.h"
#include "template.h"

#define NAME "fuzz.yaml"
#define ERR_LEN 256
#define CONTAINER "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define X8 "aaaaaaaa"
#define X64 X8 X8 X8 X8 X8 X8 X8 X8
#define X512 X64 X64 X64 X64 X64 X64 X64 X64
#define X4K X512 X512 X512 X512 X512 X512 X512 X512
#define LONG_CMDLINE "java -jar app.jar " X4K " --port 8080 " X512

/* a setuid-root program a user started */
static const struct proc_identity setuid_root = { .ruid = 1000, .euid = 0, .suid = 0 };

#define SUBJECT(c, e, cmd, u, uu, ctr, id_, age, st) \
	{ .comm = c, .exe = e, .cmdline = cmd, .unit = u, .user_unit = uu, .container = ctr, \
	  .uid = id_, .age_ms = age, .state = st }

static const struct policy_proc subjects[] = {
	SUBJECT("python3", "/usr/bin/python3.11", "python3 manage.py runserver 0.0.0.0:8080",
		"api.service", NULL, NULL, 1000, 600000, POLICY_STATE_LISTEN),
	SUBJECT("sshd", "/usr/sbin/sshd", "sshd: /usr/sbin/sshd -D [listener]", "ssh.service",
		NULL, NULL, 0, 86400000, POLICY_STATE_BOUND),
	SUBJECT("node", "/usr/bin/node", "", "docker-" CONTAINER ".scope", NULL, CONTAINER, 1001,
		0, POLICY_STATE_ANY),
	SUBJECT("java", "/usr/lib/jvm/bin/java", LONG_CMDLINE, "user@1000.service", "app.service",
		NULL, 1000, 3600000, POLICY_STATE_LISTEN),
	{ .comm = "su", .exe = "/usr/bin/su", .uid = 1000, .id = &setuid_root, .age_ms = 10,
	  .state = POLICY_STATE_LISTEN },
	SUBJECT(NULL, NULL, NULL, NULL, NULL, NULL, -1, -1, POLICY_STATE_ANY),
};

static const unsigned int ports[] = { 1, 80, 8080, 8099, 65535 };
static const int protos[] = { IPPROTO_TCP, IPPROTO_UDP };

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void match_all(const struct policy *p)
{
	const struct policy_proc *h, *r;
	const struct policy_rule *rule;
	size_t i, j, k, l;

	for (i = 0; i < N(ports); i++)
		for (j = 0; j < N(protos); j++)
			for (k = 0; k <= N(subjects); k++)
				for (l = 0; l <= N(subjects); l++) {
					h = k < N(subjects) ? &subjects[k] : NULL;
					r = l < N(subjects) ? &subjects[l] : NULL;
					rule = policy_match(p, ports[i], protos[j], h, r);
					if (rule && (rule < p->rules || rule >= p->rules + p->nrules))
						abort();
				}
	for (k = 0; k < N(subjects); k++)
		policy_protected(p, &subjects[k], NULL);
}

static void expand_all(const struct policy *p)
{
	char **arg, msg[ERR_LEN], bufs[RECORD_VARS][RECORD_VAR_LEN];
	struct template_var vars[RECORD_VARS];
	struct strbuf sb;
	size_t i;

	/* every placeholder with a value, as a hook would get them */
	record_vars_names(vars);
	for (i = 0; i < RECORD_VARS; i++) {
		snprintf(bufs[i], sizeof(bufs[i]), "v%zu{}", i);
		vars[i].value = bufs[i];
	}

	strbuf_init(&sb);
	for (i = 0; i < p->nrules; i++) {
		if (!p->rules[i].name || !policy_action_name(p->rules[i].action))
			abort();
		policy_cross_user(&p->rules[i], msg, sizeof(msg));
		for (arg = p->rules[i].exec; arg && *arg; arg++) {
			strbuf_reset(&sb);
			if (template_expand(*arg, vars, RECORD_VARS, &sb))
				abort();
		}
	}
	strbuf_free(&sb);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[ERR_LEN];
	struct policy *p;

	if (policy_parse(NAME, (const char *)data, size, &p, err, sizeof(err))) {
		if (p || strncmp(err, NAME ":", strlen(NAME ":")) || !memchr(err, '\0', sizeof(err)))
			abort();
		return 0;
	}
	match_all(p);
	expand_all(p);
	policy_free(p);
	return 0;
}
