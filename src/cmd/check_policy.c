// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * check_policy.c - bindwatch check-policy FILE [--replay LOG [--json]].
 *
 * It owns the command's exit codes and report; it must not load BPF or
 * signal anything.
 *
 * Without --replay: 0 when FILE is a valid policy, 1 if not.  A rule that
 * lets one user have another's processes signalled is valid (the operator
 * named the requester's uid) but said so, as a warning.
 *
 * With --replay, each line of LOG (bindwatch's JSON records, "-" for
 * stdin) is read into a buffer of at most REPLAY_LINE_MAX bytes, so a
 * log without newlines costs no more memory than that; a longer line is
 * skipped to its end.  Conflicts are answered on stdout (replay.h), then
 * a summary of them by rule and outcome; a line that is no record is
 * reported on stderr with its number and skipped.
 * The exit status is 0 once the policy is valid and the log was read to
 * its end, skipped lines or not (the summary counts them), 1 otherwise.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cmd.h"
#include "escape.h"
#include "exitcode.h"
#include "log.h"
#include "policy.h"
#include "replay.h"
#include "usage.h"

#define PAGE "bindwatch-policy(5)"
#define ERR_LEN 512

static const char usage[] =
	"Usage: bindwatch check-policy FILE [--replay LOG [--json]]\n"
	"Check a policy file (see bindwatch-policy(5)) without loading anything.\n"
	"  --replay LOG  for each conflict in LOG (bindwatch's JSON records, - for\n"
	"                stdin), say what FILE would decide now, and for each rule\n"
	"                naming the port that does not match, the first condition\n"
	"                that failed\n"
	"  --json        one JSON object per conflict instead\n";

struct tally {
	unsigned long lines, conflicts, others, skipped;
	struct replay_summary sum; /* the conflicts, by rule and outcome */
};

/* A name for messages: escaped, since it came from the command line. */
static const char *shown(struct strbuf *sb, const char *s)
{
	strbuf_reset(sb);
	text_escape(sb, s, strlen(s));
	return sb->oom ? "?" : sb->s;
}

/* Answer one line; report it when it is no record. */
static void replay_one(const struct policy *p, const char *name, struct tally *t,
		       const char *line, size_t len, bool json, struct strbuf *out)
{
	char err[ERR_LEN];
	int rc;

	strbuf_reset(out);
	rc = replay_line(p, name, t->lines, line, len, json, out, &t->sum, err, sizeof(err));
	if (rc == -ENOMSG) {
		t->others++;
	} else if (rc) {
		t->skipped++;
		warn("%s:%lu: skipped: %s", name, t->lines, err);
	} else if (out->oom) {
		t->skipped++;
		warn("%s:%lu: skipped: out of memory", name, t->lines);
	} else {
		t->conflicts++;
		fwrite(out->s, 1, out->len, stdout);
	}
}

/* A line read: answered, or reported when longer than REPLAY_LINE_MAX; blank ones pass. */
static void end_line(const struct policy *p, const char *name, struct tally *t,
		     const char *line, size_t len, bool overlong, bool json, struct strbuf *out)
{
	t->lines++;
	if (overlong) {
		t->skipped++;
		warn("%s:%lu: skipped: longer than %d bytes", name, t->lines, REPLAY_LINE_MAX);
	} else if (len) {
		replay_one(p, name, t, line, len, json, out);
	}
}

/* Read f line by line, each at most REPLAY_LINE_MAX bytes; 0 or -errno. */
static int replay_stream(const struct policy *p, FILE *f, const char *name, bool json,
			 struct tally *t)
{
	struct strbuf out;
	char *buf = malloc(REPLAY_LINE_MAX);
	size_t len = 0;
	bool overlong = false;
	int ch;

	if (!buf)
		return -ENOMEM;
	strbuf_init(&out);
	while ((ch = getc_unlocked(f)) != EOF) {
		if (ch != '\n') {
			if (len < REPLAY_LINE_MAX)
				buf[len++] = ch;
			else
				overlong = true;
			continue;
		}
		end_line(p, name, t, buf, len, overlong, json, &out);
		len = 0;
		overlong = false;
	}
	if (len || overlong) /* a last line without its newline: a cut log */
		end_line(p, name, t, buf, len, overlong, json, &out);
	strbuf_free(&out);
	free(buf);
	return ferror(f) ? -EIO : 0;
}

static int replay(const struct policy *p, const char *log, bool json)
{
	struct tally t = { 0 };
	struct strbuf name, sum;
	FILE *f = strcmp(log, "-") ? fopen(log, "r") : stdin;
	int err;

	strbuf_init(&name);
	shown(&name, log);
	if (!f) {
		err = -errno;
		warn("--replay: %s: %s", name.s, strerror(-err));
		strbuf_free(&name);
		return err;
	}
	err = replay_stream(p, f, name.s, json, &t);
	if (err)
		warn("--replay: %s: reading failed: %s", name.s, strerror(-err));
	strbuf_init(&sum);
	replay_summary_write(&t.sum, json, &sum);
	if (!sum.oom)
		fwrite(sum.s, 1, sum.len, stdout);
	strbuf_free(&sum);
	if (fflush(stdout) && !err)
		err = -errno;
	warn("%s: %lu conflict%s replayed, %lu other record%s, %lu line%s skipped", name.s,
	     t.conflicts, t.conflicts == 1 ? "" : "s", t.others, t.others == 1 ? "" : "s",
	     t.skipped, t.skipped == 1 ? "" : "s");
	if (f != stdin)
		fclose(f);
	strbuf_free(&name);
	return err;
}

int cmd_check_policy(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "replay", required_argument, NULL, 'r' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *log = NULL;
	bool json = false;
	struct policy *p;
	char err[ERR_LEN];
	size_t i;
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, USAGE_GETOPT_QUIET, longopts, NULL)) != -1) {
		switch (c) {
		case 'r':
			log = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return EXIT_SUCCESS;
		default:
			usage_bad_option(PAGE, "check-policy", c, argv, longopts);
			return EXIT_USAGE;
		}
	}
	if (optind != argc - 1) {
		usage_error(PAGE, "check-policy: expected one policy FILE");
		return EXIT_USAGE;
	}
	if (json && !log) {
		usage_error(PAGE, "check-policy: --json goes with --replay LOG");
		return EXIT_USAGE;
	}
	if (policy_load(argv[optind], &p, err, sizeof(err))) {
		warn("%s", err);
		return EXIT_FAILURE;
	}
	for (i = 0; i < p->nrules; i++)
		if (policy_cross_user(&p->rules[i], err, sizeof(err)))
			warn("%s: warning: %s", argv[optind], err);
	if (log) {
		c = replay(p, log, json);
	} else {
		printf("%s: valid, %zu %s", argv[optind], p->nrules, plural(p->nrules, "rule", "rules"));
		if (p->nexpects)
			printf(", %zu expect %s", p->nexpects, plural(p->nexpects, "rule", "rules"));
		putchar('\n');
		c = 0;
	}
	policy_free(p);
	return c ? EXIT_FAILURE : EXIT_SUCCESS;
}
