// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fuzz_replay.c - libFuzzer target: check-policy --replay on any log line.
 *
 * A log is untrusted input (a user's comm and command line are in it, and
 * it may be cut or corrupt), so replay_line() must refuse what is not a
 * record with a message, and answer a record with text or one JSON
 * object, never crash, leak or read past the line (the input is not
 * NUL-terminated: libFuzzer's buffer ends exactly at len).  The policy is
 * fixed, with rules of every kind on the ports the seeds use.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "replay.h"

#define ERR_LEN 256

static const char policy_text[] =
	"version: 1\n"
	"protect:\n"
	"  uid: [0]\n"
	"  exe: [\"/usr/sbin/*\"]\n"
	"rules:\n"
	"  - name: stale\n"
	"    match:\n"
	"      port: [8080, \"9000-9009\"]\n"
	"      proto: tcp\n"
	"      holder: {exe: \"/usr/bin/python3*\", cmdline: \"(\\\\d+)+x\", min_age: 1s,\n"
	"               state: listen}\n"
	"      requester: {uid: 1000}\n"
	"    action: reclaim\n"
	"  - name: redis\n"
	"    match:\n"
	"      port: 6379\n"
	"      holder: {exe: /usr/bin/redis-server, unit: \"*.service\"}\n"
	"    action: alert\n"
	"  - name: users\n"
	"    match:\n"
	"      port: 8080\n"
	"      holder: {user_unit: \"app.service\", comm: node}\n"
	"    action: log\n";

static struct policy *policy(void)
{
	static struct policy *p;
	char err[ERR_LEN];

	if (!p && policy_parse("fuzz.yaml", policy_text, sizeof(policy_text) - 1, &p, err,
			       sizeof(err)))
		abort(); /* the fixed policy must parse */
	return p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static struct replay_summary sum; /* across inputs: its rows fill up */
	char err[ERR_LEN];
	struct strbuf out;
	int json, rc;

	if (len > REPLAY_LINE_MAX)
		return 0;
	for (json = 0; json <= 1; json++) {
		strbuf_init(&out);
		err[0] = '\0';
		rc = replay_line(policy(), "fuzz.log", 1, (const char *)data, len, json, &out, &sum,
				 err, sizeof(err));
		if (rc == -EINVAL && !err[0])
			abort(); /* a refusal says why */
		if (!rc && !out.oom && (!out.len || out.s[out.len - 1] != '\n'))
			abort(); /* an answer ends in a newline */
		strbuf_reset(&out);
		replay_summary_write(&sum, json, &out);
		if (!out.oom && (!out.len || out.s[out.len - 1] != '\n'))
			abort(); /* and so does the summary */
		strbuf_free(&out);
	}
	return 0;
}
