// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * options.c - parse the command line.
 *
 * It owns option syntax and the bounds of each value; it must not act on
 * them.
 *
 * Every list option (--port, --pid, --comm) is checked token by token here,
 * before any BPF is loaded, so a typo costs the operator one clear line
 * naming the token instead of a half-started monitor (usage.h: the line
 * and a pointer to the manual, not the whole help).  Errors exit 2 (bad
 * usage), distinct from 1 (could not run).  So does an --exec program
 * that does not exist or cannot be run, found here (as posix_spawnp() will
 * look for it) rather than at the first conflict.  Every duration takes
 * plain seconds too (duration.h).
 */
#include <errno.h>
#include <limits.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "duration.h"
#include "hooks.h"
#include "incident.h"
#include "incident_log.h"
#include "log.h"
#include "metrics.h"
#include "options.h"
#include "procinfo.h"
#include "program.h"
#include "usage.h"
#include "version.h"

#define PID_MAX_LIMIT (4 * 1024 * 1024) /* include/linux/threads.h, 64-bit */
#define EXEC_TIMEOUT_DEFAULT_MS (10 * 1000)
#define EXEC_TIMEOUT_MIN_MS 1
#define EXEC_TIMEOUT_MAX_MS (3600 * 1000)
#define EXEC_MAX_DEFAULT 4
#define EXEC_MAX_MAX 64
#define WINDOW_DEFAULT_MS 1000
#define WINDOW_MAX_MS (60 * 1000)
#define RATE_LIMIT_DEFAULT 20  /* records a second per uid */
#define RATE_BURST_DEFAULT 100 /* records at once per uid: a 50-process burst passes */
#define RATE_MAX 1000000

static const char usage_text[] =
"Usage: bindwatch [OPTIONS]\n"
"       bindwatch who [[ADDR]:]PORT[/tcp|/udp] [--netns PATH | --pid PID] [--json]\n"
"       bindwatch check [[ADDR]:]PORT[/tcp|/udp] [--reuseaddr] [--reuseport] [--json] ...\n"
"       bindwatch wait [[ADDR]:]PORT[/tcp|/udp] ... --timeout DURATION\n"
"       bindwatch check-policy FILE [--replay LOG [--json]]\n"
"Catch every bind() and listen() that fails with EADDRINUSE, as it happens,\n"
"and name the process that holds the port.  `bindwatch who --help` for who;\n"
"`bindwatch check --help` for check and wait (would a bind succeed now?).\n"
"A DURATION is seconds (5) or a number and a unit: 250ms, 5s, 2m, 1h, 2d.\n"
"\n"
"Capture:\n"
"  --mode MODE        auto (default), fexit, cgroup or tracepoint\n"
"  --port LIST        only these ports, e.g. 80,443,8000-8099\n"
"  --pid LIST         only these processes, e.g. 812,4242\n"
"  --comm LIST        only these command names, e.g. python3,nginx\n"
"  --cgroup PATH      only processes in this cgroup v2 (or below it)\n"
"  --errors WHICH     eaddrinuse (default) or all (EACCES, EADDRNOTAVAIL, ...)\n"
"  --all              report successful calls too\n"
"  --reuseport-watch  report a process of another executable, uid or cgroup\n"
"                     joining a SO_REUSEPORT group on any port (the policy's\n"
"                     expected ports are always watched)\n"
"  --ephemeral        in tracepoint mode, also record connect() failing for\n"
"                     want of a free ephemeral port (fexit mode always does;\n"
"                     a tracepoint on every connect() of the host)\n"
"  --window DURATION  one record per storm of identical failures per window,\n"
"                     with their count (default 1s, at most 1m; 0: a record\n"
"                     per failure)\n"
"  --rate-limit N     at most N records a second per uid (default 20; 0: no\n"
"                     limit); failures beyond are counted in suppressed records\n"
"  --rate-burst N     ... after a burst of at most N at once (default 100)\n"
"  --btf FILE         kernel BTF, when /sys/kernel/btf/vmlinux is missing\n"
"\n"
"Output:\n"
"  --json             one JSON object per line on stdout\n"
"  --log FILE         append JSON lines to FILE (created mode 0640; must be\n"
"                     a regular file of bindwatch's user, not writable by\n"
"                     group or others: links and FIFOs are refused)\n"
"  --syslog           also send records to syslog (facility daemon)\n"
"  --cmdline-max N    keep at most N bytes of a command line in a record\n"
"                     (default 4096, 64 to 1048576; cut ones are marked)\n"
"  --exec CMD         run CMD for each conflict: the JSON record on stdin,\n"
"                     BINDWATCH_* variables; no shell (CMD is split at blanks)\n"
"  --exec-timeout DURATION  kill a hook still running after DURATION\n"
"                     (default 10s, at most 1h)\n"
"  --exec-max N       run at most N hooks at once (default 4, at most 64; one\n"
"                     uid at most half of them; more wait in a queue of 64)\n"
"  --exec-interval DURATION  run an incident's hooks again after DURATION\n"
"                     (default 5m; 0: every conflict) with the count skipped\n"
"  --exec-on LIST     what --exec runs for: alert (conflicts and ownership\n"
"                     alerts, the default) and/or incident-end\n"
"  --incident-idle DURATION  end a conflict incident after DURATION without a\n"
"                     failure (default 30s)\n"
"  --metrics ADDR     serve Prometheus metrics at http://ADDR/metrics\n"
"                     (PORT: loopback; :PORT: every address, IPv4 and IPv6;\n"
"                     ADDR:PORT or [ADDR6]:PORT)\n"
"\n"
"Policy:\n"
"  --policy FILE      act on conflicts as FILE says: log, alert, or reclaim\n"
"                     the port from a stale holder (YAML, bindwatch-policy(5);\n"
"                     SIGHUP reloads it)\n"
"  --dry-run          decide and record what the policy would do, signal nothing\n"
"\n"
"  -v, --verbose      show libbpf's log and which holder walk loaded\n"
"  -h, --help         show this help\n"
"  -V, --version      show the version\n"
"\n"
"Needs root, or CAP_BPF, CAP_PERFMON, CAP_DAC_READ_SEARCH and CAP_SYS_PTRACE\n"
"(see CAPABILITIES in bindwatch(8)). SIGINT or SIGTERM stops it and prints a\n"
"summary. See bindwatch(8).\n";

enum {
	OPT_MODE = 0x100,
	OPT_JSON,
	OPT_LOG,
	OPT_PORT,
	OPT_PID,
	OPT_COMM,
	OPT_CGROUP,
	OPT_ERRORS,
	OPT_ALL,
	OPT_BTF,
	OPT_SYSLOG,
	OPT_METRICS,
	OPT_EXEC,
	OPT_EXEC_TIMEOUT,
	OPT_EXEC_MAX,
	OPT_EXEC_INTERVAL,
	OPT_EXEC_ON,
	OPT_INCIDENT_IDLE,
	OPT_WINDOW,
	OPT_POLICY,
	OPT_DRY_RUN,
	OPT_CMDLINE_MAX,
	OPT_RATE_LIMIT,
	OPT_RATE_BURST,
	OPT_REUSEPORT_WATCH,
	OPT_EPHEMERAL,
};

static const struct option long_options[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "log", required_argument, NULL, OPT_LOG },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "errors", required_argument, NULL, OPT_ERRORS },
	{ "all", no_argument, NULL, OPT_ALL },
	{ "btf", required_argument, NULL, OPT_BTF },
	{ "syslog", no_argument, NULL, OPT_SYSLOG },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "exec", required_argument, NULL, OPT_EXEC },
	{ "exec-timeout", required_argument, NULL, OPT_EXEC_TIMEOUT },
	{ "exec-max", required_argument, NULL, OPT_EXEC_MAX },
	{ "exec-interval", required_argument, NULL, OPT_EXEC_INTERVAL },
	{ "exec-on", required_argument, NULL, OPT_EXEC_ON },
	{ "incident-idle", required_argument, NULL, OPT_INCIDENT_IDLE },
	{ "window", required_argument, NULL, OPT_WINDOW },
	{ "policy", required_argument, NULL, OPT_POLICY },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "cmdline-max", required_argument, NULL, OPT_CMDLINE_MAX },
	{ "rate-limit", required_argument, NULL, OPT_RATE_LIMIT },
	{ "rate-burst", required_argument, NULL, OPT_RATE_BURST },
	{ "reuseport-watch", no_argument, NULL, OPT_REUSEPORT_WATCH },
	{ "ephemeral", no_argument, NULL, OPT_EPHEMERAL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, 'V' },
	{ 0 },
};

static int parse_mode(const char *s, int *mode)
{
	if (!strcmp(s, "auto"))
		*mode = MODE_AUTO;
	else if (!strcmp(s, "fexit"))
		*mode = BW_MODE_FEXIT;
	else if (!strcmp(s, "tracepoint"))
		*mode = BW_MODE_TRACEPOINT;
	else if (!strcmp(s, "cgroup"))
		*mode = BW_MODE_CGROUP;
	else
		return -EINVAL;
	return 0;
}

/* Split list at commas; call add(o, token) for each, stop at the first error. */
static int for_each_token(const char *list, struct bw_options *o,
			  int (*add)(struct bw_options *, const char *))
{
	char *copy = strdup(list), *save = NULL, *tok;
	int err = 0;

	if (!copy)
		return -ENOMEM;
	if (!*copy || copy[strlen(copy) - 1] == ',' || *copy == ',' || strstr(copy, ",,")) {
		usage_error(OPTIONS_PAGE, "'%s': empty entry in list", list);
		free(copy);
		return -EINVAL;
	}
	for (tok = strtok_r(copy, ",", &save); tok && !err; tok = strtok_r(NULL, ",", &save))
		err = add(o, tok);
	free(copy);
	return err;
}

static int add_pid(struct bw_options *o, const char *tok)
{
	uint32_t *pids;
	char *end;
	long v;

	errno = 0;
	v = strtol(tok, &end, 10);
	if (errno || end == tok || *end || v < 1 || v > PID_MAX_LIMIT) {
		usage_error(OPTIONS_PAGE, "--pid: '%s': expected a process id from 1 to %d", tok,
			    PID_MAX_LIMIT);
		return -EINVAL;
	}
	pids = realloc(o->capture.pids, (o->capture.npids + 1) * sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	pids[o->capture.npids++] = v;
	o->capture.pids = pids;
	return 0;
}

static int add_comm(struct bw_options *o, const char *tok)
{
	char (*comms)[BW_COMM_LEN];

	if (strlen(tok) >= BW_COMM_LEN) {
		usage_error(OPTIONS_PAGE,
			    "--comm: '%s': longer than %d bytes, the most the kernel keeps", tok,
			    BW_COMM_LEN - 1);
		return -EINVAL;
	}
	comms = realloc(o->capture.comms, (o->capture.ncomms + 1) * sizeof(*comms));
	if (!comms)
		return -ENOMEM;
	memset(comms[o->capture.ncomms], 0, BW_COMM_LEN);
	memcpy(comms[o->capture.ncomms++], tok, strlen(tok));
	o->capture.comms = comms;
	return 0;
}

/* One word of --exec-on into o->exec_on. */
static int add_exec_on(struct bw_options *o, const char *tok)
{
	if (!strcmp(tok, "alert"))
		o->exec_on |= HOOK_ON_ALERT;
	else if (!strcmp(tok, "incident-end"))
		o->exec_on |= HOOK_ON_INCIDENT_END;
	else {
		warn("--exec-on: '%s': expected alert or incident-end", tok);
		return -EINVAL;
	}
	return 0;
}

/* optarg as a whole number in [min, max] into *v, or a message naming opt. */
static int parse_range(const char *opt, long min, long max, long *v)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(optarg, &end, 10);
	if (errno || end == optarg || *end || n < min || n > max) {
		usage_error(OPTIONS_PAGE, "%s: '%s': expected a number from %ld to %ld", opt, optarg,
			    min, max);
		return -EINVAL;
	}
	*v = n;
	return 0;
}

/* The same for an unsigned int option. */
static int parse_count(const char *opt, unsigned int min, unsigned int max, unsigned int *v)
{
	long n;
	int err = parse_range(opt, min, max, &n);

	if (!err)
		*v = n;
	return err;
}

/* optarg as seconds or a duration in [min_ms, max_ms] into *ms, or a message naming opt. */
static int parse_duration(const char *opt, uint64_t min_ms, uint64_t max_ms, const char *bounds,
			  uint64_t *ms)
{
	uint64_t v;

	if (duration_parse_arg(optarg, &v) || v < min_ms || v > max_ms) {
		usage_error(OPTIONS_PAGE, "%s: '%s': expected %s, %s", opt, optarg,
			    DURATION_ARG_EXPECTED, bounds);
		return -EINVAL;
	}
	*ms = v;
	return 0;
}

static int parse_one(int c, struct bw_options *o)
{
	char err[128];

	switch (c) {
	case OPT_MODE:
		if (parse_mode(optarg, &o->capture.mode)) {
			usage_error(OPTIONS_PAGE, "--mode: '%s': expected auto, fexit, cgroup or tracepoint",
				    optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_JSON:
		o->output.json = true;
		return 0;
	case OPT_LOG:
		o->output.log_path = optarg;
		return 0;
	case OPT_PORT:
		if (portlist_parse(optarg, o->capture.ports, err, sizeof(err)) < 0) {
			usage_error(OPTIONS_PAGE, "--port: %s", err);
			return -EINVAL;
		}
		o->capture.port_filter = true;
		return 0;
	case OPT_PID:
		return for_each_token(optarg, o, add_pid);
	case OPT_COMM:
		return for_each_token(optarg, o, add_comm);
	case OPT_CGROUP:
		o->capture.cgroup_path = optarg;
		return 0;
	case OPT_ERRORS:
		if (!strcmp(optarg, "all"))
			o->capture.report |= BW_REPORT_ERRORS;
		else if (!strcmp(optarg, "eaddrinuse"))
			o->capture.report &= ~BW_REPORT_ERRORS;
		else {
			usage_error(OPTIONS_PAGE, "--errors: '%s': expected eaddrinuse or all", optarg);
			return -EINVAL;
		}
		return 0;
	case OPT_ALL:
		o->capture.report |= BW_REPORT_SUCCESS;
		return 0;
	case OPT_REUSEPORT_WATCH:
		o->capture.report |= BW_REPORT_REUSEPORT;
		return 0;
	case OPT_EPHEMERAL:
		o->capture.ephemeral = true;
		return 0;
	case OPT_BTF:
		o->capture.btf_path = optarg;
		return 0;
	case OPT_SYSLOG:
		o->output.syslog = true;
		return 0;
	case OPT_EXEC:
		if (!optarg[strspn(optarg, " \t")]) {
			usage_error(OPTIONS_PAGE, "--exec: expected a command");
			return -EINVAL;
		}
		o->exec = optarg;
		return 0;
	case OPT_EXEC_TIMEOUT:
		return parse_duration("--exec-timeout", EXEC_TIMEOUT_MIN_MS, EXEC_TIMEOUT_MAX_MS,
				      "at least 1ms, at most 1h", &o->exec_timeout_ms);
	case OPT_EXEC_MAX:
		return parse_count("--exec-max", 1, EXEC_MAX_MAX, &o->exec_max);
	case OPT_EXEC_INTERVAL:
		return parse_duration("--exec-interval", 0, DURATION_MAX_MS, "or 0",
				      &o->exec_interval_ms);
	case OPT_EXEC_ON:
		o->exec_on = 0;
		return for_each_token(optarg, o, add_exec_on);
	case OPT_INCIDENT_IDLE:
		return parse_duration("--incident-idle", 1, INCIDENT_IDLE_MAX_MS, "from 1ms to 1d",
				      &o->incident_idle_ms);
	case OPT_RATE_LIMIT:
		return parse_count("--rate-limit", 0, RATE_MAX, &o->capture.rate_limit);
	case OPT_RATE_BURST:
		return parse_count("--rate-burst", 1, RATE_MAX, &o->capture.rate_burst);
	case OPT_POLICY:
		o->policy_path = optarg;
		return 0;
	case OPT_DRY_RUN:
		o->dry_run = true;
		return 0;
	case OPT_CMDLINE_MAX: {
		long n;
		int err = parse_range("--cmdline-max", PROCINFO_CMDLINE_MIN, PROCINFO_CMDLINE_MAX, &n);

		if (!err)
			o->cmdline_max = n;
		return err;
	}
	case OPT_WINDOW:
		/* the cap keeps a window's count within the record's 32 bits */
		return parse_duration("--window", 0, WINDOW_MAX_MS, "at most 1m, or 0",
				      &o->capture.window_ms);
	case OPT_METRICS: {
		struct sockaddr_storage ss;

		if (metrics_parse_listen(optarg, &ss)) {
			usage_error(OPTIONS_PAGE, "--metrics: '%s': expected PORT, :PORT, ADDR:PORT or "
				    "[ADDR6]:PORT", optarg);
			return -EINVAL;
		}
		o->metrics = optarg;
		return 0;
	}
	case 'v':
		o->verbose = true;
		return 0;
	default:
		return -EINVAL;
	}
}

/*
 * --exec's program (its first word), found as posix_spawnp() will
 * (program.h).  0, or -errno after one line naming it.
 */
static int check_exec(const char *cmd)
{
	size_t start = strspn(cmd, " \t"), len = strcspn(cmd + start, " \t");
	char *prog = strndup(cmd + start, len);
	int err = prog ? program_find(prog) : -ENOMEM;

	if (err)
		usage_error(OPTIONS_PAGE, "--exec: '%s': %s", prog ? prog : "?", program_error(err));
	free(prog);
	return err;
}

int options_parse(int argc, char **argv, struct bw_options *o)
{
	int c, err;

	memset(o, 0, sizeof(*o));
	o->capture.mode = MODE_AUTO;
	o->exec_timeout_ms = EXEC_TIMEOUT_DEFAULT_MS;
	o->exec_max = EXEC_MAX_DEFAULT;
	o->exec_interval_ms = INCIDENT_INTERVAL_DEFAULT_MS;
	o->exec_on = HOOK_ON_ALERT;
	o->incident_idle_ms = INCIDENT_IDLE_DEFAULT_MS;
	o->capture.window_ms = WINDOW_DEFAULT_MS;
	o->cmdline_max = PROCINFO_CMDLINE_DEFAULT;
	o->capture.rate_limit = RATE_LIMIT_DEFAULT;
	o->capture.rate_burst = RATE_BURST_DEFAULT;
	opterr = 0;
	while ((c = getopt_long(argc, argv, USAGE_GETOPT_QUIET "vhV", long_options, NULL)) != -1) {
		if (c == '?' || c == ':') {
			usage_bad_option(OPTIONS_PAGE, NULL, c, argv, long_options);
			return -EINVAL;
		}
		if (c == 'h') {
			fputs(usage_text, stdout);
			return 1;
		}
		if (c == 'V') {
			printf("bindwatch %s\n", BINDWATCH_VERSION);
			return 1;
		}
		err = parse_one(c, o);
		if (err == -ENOMEM)
			warn("out of memory parsing options");
		if (err)
			return err;
	}
	if (optind < argc) {
		usage_error(OPTIONS_PAGE, "unknown command or argument '%s'", argv[optind]);
		return -EINVAL;
	}
	if (o->dry_run && !o->policy_path) {
		usage_error(OPTIONS_PAGE, "--dry-run needs --policy FILE");
		return -EINVAL;
	}
	if (o->exec && check_exec(o->exec))
		return -EINVAL;
	return 0;
}

void options_free(struct bw_options *o)
{
	free(o->capture.pids);
	free(o->capture.comms);
}
