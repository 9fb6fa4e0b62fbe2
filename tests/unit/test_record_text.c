// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_record_text.c - every text line bindwatch writes stays one record
 * whatever a process puts in the fields it controls (escape.h, enum
 * text_field).
 *
 * Records, `who` lines and `check` answers are rendered with a hostile
 * value in every guarded field: names made to read as more of the line's
 * syntax ("x uid=0 cmd=sshd; held by sshd[1] uid=0 LISTEN ..."), with
 * quotes, backslashes and newlines.  An independent reader then splits
 * each line into what is quoted and what is not: outside the quotes the
 * line must have exactly the structure bindwatch wrote (one "held by",
 * one "uid=" per process it names, every guarded key once with a quoted
 * value), and each quoted part must decode back to the value put in.
 *
 * A conflict's holder is described as an engineer needs it (its age, its
 * unit or workload, the head of its command line), once per process, and
 * as "(itself)" when it is the requester.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>
#include "escape.h"
#include "event.h"
#include "ledger.h"
#include "policy.h"
#include "procinfo.h"
#include "record.h"
#include "util.h"
#include "workload.h"

/* The forgery, as a cgroup name; fits a container buffer when cut */
#define FORGED "x uid=0 cmd=sshd; held by sshd[1] uid=0 LISTEN tcp 127.0.0.1:41095; z.service"
/* The same with a quote, a backslash and a newline, to break out of quotes */
#define BREAKOUT "q\" uid=0 \\\" held by r[2]\n uid=0 \""
/* 15 bytes: a comm (BW_COMM_LEN) or an interface name (IF_NAMESIZE) */
#define SHORT "a\"; held by b[1"
#define LINE_MAX_LEN 8192
#define QUOTED_MAX 16

_Static_assert(sizeof(SHORT) == BW_COMM_LEN && sizeof(SHORT) == IF_NAMESIZE,
	       "SHORT fills a comm and a device name");

/* A line split by the reader: the skeleton (quoted parts as "") and the quoted values. */
struct parsed {
	char skeleton[LINE_MAX_LEN];
	char quoted[QUOTED_MAX][LINE_MAX_LEN];
	size_t nquoted;
};

static int hex(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Read a text line as its reader would: "..." with \" \\ \xNN inside. */
static void parse(const char *line, struct parsed *p)
{
	size_t k = 0, q;

	memset(p, 0, sizeof(*p));
	assert_null(strchr(line, '\n'));
	while (*line) {
		if (*line != '"') {
			p->skeleton[k++] = *line++;
			continue;
		}
		assert_true(p->nquoted < QUOTED_MAX);
		for (q = 0, line++; *line != '"'; q++) {
			assert_true(*line); /* an unterminated quote */
			if (*line != '\\') {
				p->quoted[p->nquoted][q] = *line++;
			} else if (line[1] == 'x') {
				assert_true(hex(line[2]) >= 0 && hex(line[3]) >= 0);
				p->quoted[p->nquoted][q] = (char)(hex(line[2]) << 4 | hex(line[3]));
				line += 4;
			} else {
				assert_true(line[1] == '"' || line[1] == '\\');
				p->quoted[p->nquoted][q] = line[1];
				line += 2;
			}
		}
		line++;
		p->nquoted++;
		memcpy(p->skeleton + k, "\"\"", 2);
		k += 2;
	}
}

static size_t count(const char *s, const char *needle)
{
	size_t n = 0;

	for (; (s = strstr(s, needle)); s++)
		n++;
	return n;
}

/* Each quoted value is one the test put in (a hostile one, or a command line). */
static void values_round_trip(const struct parsed *p, const char *hostile)
{
	size_t i;

	for (i = 0; i < p->nquoted; i++)
		assert_true(!strcmp(p->quoted[i], hostile) || !strcmp(p->quoted[i], SHORT) ||
			    !strncmp(p->quoted[i], hostile, CG_CONTAINER_ID_LEN) ||
			    strstr(p->quoted[i], "python3") == p->quoted[i]);
}

/* The world of one hostile record: a requester and one holder, every guarded field set. */
struct scene {
	struct bw_event ev;
	struct proc_info req;
	struct holder_info holder;
	struct ledger_entry binder;
	struct diagnosis diag;
	struct bw_record r;
	char args[64];
};

static void hostile_proc(struct proc_info *pi, const char *value)
{
	pi->unit = (char *)value;
	pi->user_unit = (char *)value;
	snprintf(pi->container, sizeof(pi->container), "%s", value);
}

static void set_sock(struct bw_sock *s)
{
	s->family = AF_INET;
	s->type = SOCK_STREAM;
	s->protocol = IPPROTO_TCP;
	s->port = 8080;
	inet_pton(AF_INET, "127.0.0.1", s->addr);
}

static void build(struct scene *s, const char *value)
{
	memset(s, 0, sizeof(*s));
	s->ev.ret = -EADDRINUSE;
	s->ev.count = 1;
	s->ev.pid = 4242;
	s->ev.uid = 1000;
	memcpy(s->ev.comm, SHORT, sizeof(SHORT));
	set_sock(&s->ev.sock);
	s->ev.sock.bound_ifindex = 1;
	hostile_proc(&s->req, value);
	memcpy(s->args, "python3\0-c\0x", sizeof("python3\0-c\0x"));
	s->req.args = s->args;
	s->req.cmdline = "python3 -c x";
	s->req.cmdline_len = sizeof("python3\0-c\0x") - 1;

	s->holder.h.pid = 815;
	s->holder.h.state = TCP_LISTEN;
	memcpy(s->holder.h.comm, SHORT, sizeof(SHORT));
	set_sock(&s->holder.h.sock);
	hostile_proc(&s->holder.pi, value);
	s->holder.pi.exe = (char *)value;
	s->holder.pi.id = (struct proc_identity){ .ruid = 65534, .euid = 65534, .suid = 65534 };
	s->binder.pid = 812;
	memcpy(s->binder.comm, SHORT, sizeof(SHORT));
	s->holder.bound_by = &s->binder;
	s->holder.binder_exited = true;
	s->holder.tw_ms_left = -1;
	s->diag = (struct diagnosis){ .holders = &s->holder, .n = 1, .reason = REASON_LISTENER };

	s->r = (struct bw_record){ .ev = &s->ev, .req = &s->req, .diag = &s->diag };
	memcpy(s->r.bound_dev, SHORT, sizeof(SHORT));
	snprintf(s->r.netns_name, sizeof(s->r.netns_name), "%s", value);
}

/* "KEY=\"\"" once in the skeleton for every keyed field the line should have. */
static void keys_quoted(const struct parsed *p, const enum text_field *fields, size_t n)
{
	char want[64];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(want, sizeof(want), " %s=\"\"", text_field_key(fields[i]));
		assert_int_equal(count(p->skeleton, want), 1);
	}
}

static void render(void (*fn)(struct strbuf *, const struct scene *), const struct scene *s,
		   struct parsed *p, const char *value)
{
	struct strbuf sb;

	strbuf_init(&sb);
	fn(&sb, s);
	assert_false(sb.oom);
	assert_true(sb.len < LINE_MAX_LEN);
	parse(sb.s, p);
	values_round_trip(p, value);
	strbuf_free(&sb);
}

static void summary(struct strbuf *sb, const struct scene *s)
{
	record_summary(sb, &s->r);
}

static void who(struct strbuf *sb, const struct scene *s)
{
	who_text(sb, &s->holder, 1);
}

static void check(struct strbuf *sb, const struct scene *s)
{
	check_text(sb, &s->r, false);
}

static const char *const hostile[] = { FORGED, BREAKOUT };

/* A conflict record: the requester, its device and namespace, and one holder. */
static void test_conflict_line(void **state)
{
	static const enum text_field keyed[] = { TEXT_DEV, TEXT_NETNS };
	struct scene s;
	struct parsed *p = malloc(sizeof(*p));
	size_t i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		build(&s, hostile[i]);
		render(summary, &s, p, hostile[i]);
		assert_int_equal(count(p->skeleton, "held by"), 1);
		assert_int_equal(count(p->skeleton, "uid="), 2); /* the requester's, the holder's */
		assert_int_equal(count(p->skeleton, ";"), 2); /* "; held by", "; listener:" */
		assert_non_null(strstr(p->skeleton, "bind EADDRINUSE tcp 127.0.0.1:8080 dev=\"\" "
					   "by \"\"[4242] uid=1000 netns=\"\" unit=\"\" "
					   "user_unit=\"\" container=\"\" cmd=\"\"; held by \"\"[815] "
					   "unit=\"\" user_unit=\"\" container=\"\" "
					   "uid=65534 LISTEN tcp 127.0.0.1:8080 (bound 0s ago by \"\"[812], "
					   "since exited); listener: "));
		keys_quoted(p, keyed, sizeof(keyed) / sizeof(keyed[0]));
	}
	free(p);
}

/* `bindwatch who`: one line per holder, its uid the only uid=. */
static void test_who_line(void **state)
{
	static const enum text_field keyed[] = { TEXT_UNIT, TEXT_USER_UNIT, TEXT_CONTAINER };
	struct scene s;
	struct parsed *p = malloc(sizeof(*p));
	size_t i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		build(&s, hostile[i]);
		render(who, &s, p, hostile[i]);
		assert_int_equal(count(p->skeleton, "uid="), 1);
		assert_int_equal(count(p->skeleton, "held by"), 0);
		assert_non_null(strstr(p->skeleton, "tcp 127.0.0.1:8080 \"\"[815] fd=0 uid=0 "));
		keys_quoted(p, keyed, sizeof(keyed) / sizeof(keyed[0]));
	}
	free(p);
}

/* `bindwatch check`: the device asked about and the holders. */
static void test_check_line(void **state)
{
	static const enum text_field keyed[] = { TEXT_DEV };
	struct scene s;
	struct parsed *p = malloc(sizeof(*p));

	(void)state;
	assert_non_null(p);
	build(&s, FORGED);
	render(check, &s, p, FORGED);
	assert_int_equal(count(p->skeleton, "held by"), 1);
	assert_non_null(strstr(p->skeleton, "busy tcp 127.0.0.1:8080 dev=\"\"; held by \"\"[815] "));
	keys_quoted(p, keyed, sizeof(keyed) / sizeof(keyed[0]));
	free(p);
}

/* Ownership records: a reuseport group's exe, an owner condition's got value. */
static void test_ownership_lines(void **state)
{
	static const enum text_field keyed[] = { TEXT_EXE };
	struct policy_rule rule = { .name = "web", .line = 3, .action = POLICY_ALERT };
	struct policy_miss miss = { .field = "unit", .want = "nginx.service", .known = true };
	struct scene s;
	struct parsed *p = malloc(sizeof(*p));

	(void)state;
	assert_non_null(p);
	build(&s, FORGED);
	s.ev.ret = 0;
	s.r.kind = RECORD_REUSEPORT_JOIN;
	render(summary, &s, p, FORGED);
	assert_non_null(strstr(p->skeleton, "; joins a SO_REUSEPORT group of \"\"[815] exe=\"\""));
	keys_quoted(p, keyed, sizeof(keyed) / sizeof(keyed[0]));

	snprintf(miss.got, sizeof(miss.got), "%s", FORGED);
	s.r.kind = RECORD_UNEXPECTED_OWNER;
	s.r.diag = NULL;
	s.r.expect = &rule;
	s.r.expect_miss = &miss;
	render(summary, &s, p, FORGED);
	assert_int_equal(count(p->skeleton, "uid="), 1);
	assert_non_null(strstr(p->skeleton, "; unexpected owner (expect web, line 3: unit wants "
				   "nginx.service, got \"\")"));
	free(p);
}

/* Every guarded field is in some line above, quoted: the list and the renderer agree. */
static void test_every_field_rendered(void **state)
{
	struct scene s;
	struct strbuf sb;
	char want[64];
	int f;

	(void)state;
	build(&s, FORGED);
	strbuf_init(&sb);
	record_summary(&sb, &s.r);
	strbuf_addc(&sb, '\t');
	s.r.kind = RECORD_REUSEPORT_JOIN;
	record_summary(&sb, &s.r);
	assert_false(sb.oom);
	for (f = 0; f < TEXT_FIELDS; f++) {
		if (!text_field_key(f))
			continue;
		snprintf(want, sizeof(want), " %s=\"", text_field_key(f));
		assert_non_null(strstr(sb.s, want));
	}
	strbuf_free(&sb);
}

/* A requester in a container, a holder that is a proxy for a pod's: every name quoted. */
static void test_workload_lines(void **state)
{
	struct workload req = { .source = WORKLOAD_CGROUP, .runtime = "docker",
				.container_port = -1 };
	struct workload proxy = { .source = WORKLOAD_PROXY, .runtime = "containerd",
				  .container_port = 80 };
	struct parsed *p = malloc(sizeof(*p));
	struct scene s;
	size_t i;

	(void)state;
	assert_non_null(p);
	for (i = 0; i < sizeof(hostile) / sizeof(hostile[0]); i++) {
		build(&s, hostile[i]);
		req.name = req.image = (char *)hostile[i];
		proxy.image = proxy.pod.name = proxy.pod.namespace = proxy.pod.container =
			(char *)hostile[i];
		s.req.workload = &req;
		s.holder.pi.workload = &proxy;
		render(summary, &s, p, hostile[i]);
		assert_int_equal(count(p->skeleton, "held by"), 1);
		assert_int_equal(count(p->skeleton, "uid="), 2);
		assert_non_null(strstr(p->skeleton, "by \"\"[4242] uid=1000 in container \"\" "
					   "(docker, image \"\") netns=\"\" "));
		assert_non_null(strstr(p->skeleton, "; held by pod \"\"/\"\"/\"\" (containerd, "
					   "image \"\") via \"\"[815] uid=65534 LISTEN tcp "
					   "127.0.0.1:8080 \u2192 80 (bound "));
		render(who, &s, p, hostile[i]);
		assert_non_null(strstr(p->skeleton, "LISTEN      tcp 127.0.0.1:8080 pod "
					   "\"\"/\"\"/\"\" (containerd, image \"\") via \"\"[815] fd=0 "));
		/* a process in the pod itself, its runtime's only; a container known by its id */
		proxy.source = WORKLOAD_CGROUP;
		req.name = req.image = NULL;
		snprintf(req.id, sizeof(req.id), "%s", "0123456789abcdef0123");
		render(summary, &s, p, hostile[i]);
		assert_non_null(strstr(p->skeleton, "uid=1000 in container 0123456789ab (docker) "));
		assert_non_null(strstr(p->skeleton, "; held by \"\"[815] in pod \"\"/\"\"/\"\" "
					   "(containerd, image \"\") uid=65534 LISTEN tcp "
					   "127.0.0.1:8080 (bound "));
		proxy.source = WORKLOAD_PROXY;
		req.id[0] = '\0';
	}
	free(p);
}

/* ---------------------------------------------------------------- the holder's part */

#define HOUR 3600
#define DAY 86400
#define START_NS (10 * DAY * NSEC_PER_SEC) /* a holder's start, ns since boot */
#define CMD_SHOWN 80 /* bytes of a holder's quoted command line a line shows */

/* A plain record: python3[4242] fails where python3[815] of api.service listens, 1 s old. */
static void build_plain(struct scene *s)
{
	build(s, "api.service");
	snprintf(s->ev.comm, sizeof(s->ev.comm), "python3");
	snprintf(s->holder.h.comm, sizeof(s->holder.h.comm), "python3");
	s->req.user_unit = s->holder.pi.user_unit = NULL;
	s->req.container[0] = s->holder.pi.container[0] = '\0';
	s->holder.bound_by = NULL;
	s->r.bound_dev[0] = s->r.netns_name[0] = '\0';
	s->ev.start_ns = START_NS / 2;
	s->holder.h.start_ns = START_NS;
	s->r.boot_ns = START_NS + NSEC_PER_SEC;
}

/* The argv args[0..len) (arguments separated by '\0') as pi's command line. */
static void set_argv(struct proc_info *pi, const char *args, size_t len)
{
	pi->args = pi->cmdline = (char *)args;
	pi->cmdline_len = len;
}

/* record_summary() of s, to be freed. */
static char *summary_of(const struct scene *s)
{
	struct strbuf sb;
	char *line;

	strbuf_init(&sb);
	record_summary(&sb, &s->r);
	assert_false(sb.oom);
	line = strdup(sb.s);
	assert_non_null(line);
	strbuf_free(&sb);
	return line;
}

static void assert_contains(const char *line, const char *want)
{
	if (!strstr(line, want))
		fail_msg("line %s\nlacks %s", line, want);
}

static void assert_lacks(const char *line, const char *unwanted)
{
	if (strstr(line, unwanted))
		fail_msg("line %s\nhas %s", line, unwanted);
}

/* "up" and the holder's age in its two largest units, down to seconds; nothing unknown. */
static void test_holder_age(void **state)
{
	static const struct { uint64_t secs; const char *want; } cases[] = {
		{ 0, "up 0s" }, { 59, "up 59s" }, { 65, "up 1m5s" }, { 120, "up 2m" },
		{ 3 * HOUR + 12 * 60 + 59, "up 3h12m" }, { 3 * HOUR + 30, "up 3h" },
		{ 2 * DAY + 5 * HOUR + 59, "up 2d5h" }, { DAY + 59 * 60, "up 1d" },
		{ 400 * DAY, "up 400d" },
	};
	struct scene s;
	char want[128], *line;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		build_plain(&s);
		/* just short of the next second: ages are whole seconds, rounded down */
		s.r.boot_ns = START_NS + cases[i].secs * NSEC_PER_SEC + NSEC_PER_SEC - 1;
		line = summary_of(&s);
		snprintf(want, sizeof(want), "; held by python3[815] %s unit=api.service uid=65534 "
			 "LISTEN tcp 127.0.0.1:8080; listener: ", cases[i].want);
		assert_contains(line, want);
		free(line);
	}
	/* the time of the call unknown, or before the holder started (it came after) */
	build_plain(&s);
	s.r.boot_ns = 0;
	line = summary_of(&s);
	assert_contains(line, "; held by python3[815] unit=api.service uid=65534 LISTEN ");
	free(line);
	s.r.boot_ns = START_NS - 1;
	line = summary_of(&s);
	assert_contains(line, "; held by python3[815] unit=api.service uid=65534 LISTEN ");
	free(line);
}

/*
 * A holder's argv with quotes, a backslash, an escape sequence, a newline
 * and U+202E: quoted as a shell would, escaped, one line, and read back
 * exactly.
 */
static void test_holder_cmd_hostile(void **state)
{
	static const char args[] = "python3\0-c\0print(\"x\")\x1b[31m\0it's\\\0"
				   "\n held by sshd[1] uid=0 \xe2\x80\xae";
	struct parsed *p = malloc(sizeof(*p));
	struct strbuf quoted;
	struct scene s;
	char *line;

	(void)state;
	assert_non_null(p);
	build_plain(&s);
	set_argv(&s.holder.pi, args, sizeof(args) - 1);
	strbuf_init(&quoted);
	shell_quote_argv(&quoted, args, sizeof(args) - 1);
	assert_true(quoted.len <= CMD_SHOWN); /* shown whole */
	line = summary_of(&s);
	assert_lacks(line, "\x1b");
	assert_lacks(line, "\xe2\x80\xae");
	parse(line, p);
	assert_int_equal(count(p->skeleton, "held by"), 1);
	assert_int_equal(count(p->skeleton, "uid="), 2);
	assert_int_equal(count(p->skeleton, ";"), 2);
	assert_contains(p->skeleton, "; held by python3[815] up 1s unit=api.service cmd=\"\" "
			"uid=65534 LISTEN tcp 127.0.0.1:8080; listener: ");
	/* the requester's command line, then the holder's */
	assert_int_equal(p->nquoted, 2);
	assert_string_equal(p->quoted[1], quoted.s);
	assert_lacks(line, "\"...");
	strbuf_free(&quoted);
	free(line);
	free(p);
}

/* The holder's command line args[0..len) (truncated: where it was read) shows as want. */
static void holder_cmd(const char *args, size_t len, bool truncated, const char *want)
{
	struct scene s;
	char *line;

	build_plain(&s);
	set_argv(&s.holder.pi, args, len);
	s.holder.pi.cmdline_truncated = truncated;
	line = summary_of(&s);
	assert_contains(line, want);
	free(line);
}

#define AS10 "aaaaaaaaaa"
#define AS70 AS10 AS10 AS10 AS10 AS10 AS10 AS10

/*
 * A holder's command line is cut to its first CMD_SHOWN bytes, never
 * inside a character, and says so after its quote ("...", as for one cut
 * where it was read); the requester's is whole.
 */
static void test_holder_cmd_cut(void **state)
{
	static const char exact[] = "python3\0" AS70 "bb"; /* quoted: 8 + 72 bytes */
	static const char longer[] = "python3\0" AS70 "bbc";
	static const char euro[] = "python3\0" AS70 "\xe2\x82\xac"; /* quoted: '...' */
	struct scene s;
	char *line;

	(void)state;
	holder_cmd(exact, sizeof(exact) - 1, false,
		   " cmd=\"python3 " AS70 "bb\" uid=65534 LISTEN ");
	holder_cmd(longer, sizeof(longer) - 1, false,
		   " cmd=\"python3 " AS70 "bb\"... uid=65534 LISTEN ");
	/* "python3 '" and 70 bytes are 79: the 3 bytes of U+20AC would end past 80 */
	holder_cmd(euro, sizeof(euro) - 1, false,
		   " cmd=\"python3 '" AS70 "\"... uid=65534 LISTEN ");
	holder_cmd("python3\0/opt/app.py", sizeof("python3\0/opt/app.py") - 1, true,
		   " cmd=\"python3 /opt/app.py\"... uid=65534 LISTEN ");

	build_plain(&s);
	set_argv(&s.req, longer, sizeof(longer) - 1);
	line = summary_of(&s);
	assert_contains(line, " by python3[4242] uid=1000 unit=api.service cmd=\"python3 "
			AS70 "bbc\"; held by ");
	free(line);
}

/*
 * A requester that holds the port itself (the same pid and start; in
 * clock ticks, as /proc gives a holder's) is "(itself)", not described
 * again; another process that got its pid is not.
 */
static void test_holder_itself(void **state)
{
	uint64_t tick = NSEC_PER_SEC / sysconf(_SC_CLK_TCK);
	struct scene s;
	char *line;

	(void)state;
	build_plain(&s);
	set_argv(&s.holder.pi, "python3\0app.py", sizeof("python3\0app.py") - 1);
	s.holder.h.pid = s.ev.pid;
	s.ev.start_ns = START_NS + tick / 2;
	s.holder.h.start_ns = procinfo_ticks(s.ev.start_ns) * tick;
	line = summary_of(&s);
	assert_contains(line, "; held by python3[4242] (itself) uid=65534 LISTEN tcp "
			"127.0.0.1:8080; listener: ");
	assert_int_equal(count(line, " unit="), 1);
	assert_int_equal(count(line, " cmd="), 1);
	free(line);

	s.holder.h.start_ns = START_NS - HOUR * NSEC_PER_SEC;
	line = summary_of(&s);
	assert_contains(line, "; held by python3[4242] up 1h unit=api.service "
			"cmd=\"python3 app.py\" uid=65534 LISTEN ");
	assert_lacks(line, "(itself)");
	free(line);
}

/* A holder's unit (and the unit below a delegation), or its workload instead, or neither. */
static void test_holder_unit_workload(void **state)
{
	struct workload wl = { .source = WORKLOAD_CGROUP, .runtime = "docker", .name = "web",
			       .container_port = -1 };
	struct scene s;
	char *line;

	(void)state;
	build_plain(&s);
	s.holder.pi.unit = "user@1000.service";
	s.holder.pi.user_unit = "app.service";
	line = summary_of(&s);
	assert_contains(line, "; held by python3[815] up 1s unit=user@1000.service "
			"user_unit=app.service uid=65534 LISTEN ");
	free(line);

	build_plain(&s);
	s.holder.pi.unit = "docker-0123456789abcdef.scope";
	snprintf(s.holder.pi.container, sizeof(s.holder.pi.container), "0123456789abcdef");
	s.holder.pi.workload = &wl;
	line = summary_of(&s);
	assert_contains(line, "; held by python3[815] in container web (docker) up 1s "
			"uid=65534 LISTEN ");
	assert_int_equal(count(line, " unit="), 1); /* the requester's */
	assert_lacks(line, "container=");
	free(line);

	/* a container no runtime's files name: its id stands for it */
	s.holder.pi.workload = NULL;
	line = summary_of(&s);
	assert_contains(line, "; held by python3[815] up 1s unit=docker-0123456789abcdef.scope "
			"container=0123456789abcdef uid=65534 LISTEN ");
	free(line);

	build_plain(&s);
	s.holder.pi.unit = NULL;
	line = summary_of(&s);
	assert_contains(line, "; held by python3[815] up 1s uid=65534 LISTEN ");
	free(line);
}

/* A process holding several of the sockets is described at its first only. */
static void test_holder_described_once(void **state)
{
	struct holder_info holders[3];
	struct scene s;
	char *line;

	(void)state;
	build_plain(&s);
	set_argv(&s.holder.pi, "nginx\0-g\0daemon off;", sizeof("nginx\0-g\0daemon off;") - 1);
	holders[0] = holders[1] = holders[2] = s.holder;
	holders[1].h.sock.family = AF_INET6;
	memset(holders[1].h.sock.addr, 0, sizeof(holders[1].h.sock.addr));
	holders[2].h.pid = 816;
	s.diag.holders = holders;
	s.diag.n = 3;
	line = summary_of(&s);
	assert_contains(line, "; held by python3[815] up 1s unit=api.service cmd=\"nginx -g "
			"'daemon off;'\" uid=65534 LISTEN tcp 127.0.0.1:8080, python3[815] "
			"uid=65534 LISTEN tcp [::]:8080, python3[816] up 1s unit=api.service "
			"cmd=\"nginx -g 'daemon off;'\" uid=65534 LISTEN tcp 127.0.0.1:8080; ");
	free(line);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conflict_line),
		cmocka_unit_test(test_who_line),
		cmocka_unit_test(test_check_line),
		cmocka_unit_test(test_ownership_lines),
		cmocka_unit_test(test_every_field_rendered),
		cmocka_unit_test(test_workload_lines),
		cmocka_unit_test(test_holder_age),
		cmocka_unit_test(test_holder_cmd_hostile),
		cmocka_unit_test(test_holder_cmd_cut),
		cmocka_unit_test(test_holder_itself),
		cmocka_unit_test(test_holder_unit_workload),
		cmocka_unit_test(test_holder_described_once),
	};

	return cmocka_run_group_tests_name("record_text", tests, NULL, NULL);
}
