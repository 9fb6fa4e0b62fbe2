// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record_text.c - a record as one line a person reads (record.h), and the
 * syslog line (the same without its time); also `who`'s and `check`'s
 * answers.
 *
 * It owns the text format; it must not write to a sink.
 *
 * Every value bindwatch did not choose goes through text_field() or
 * text_escape() (escape.h), so a comm or a path cannot make one line read
 * as two, or as other fields.
 *
 * A conflict's line says of each holding process what the engineer reading
 * it would otherwise ask `who`: how long it has run, its unit or workload,
 * and the head of its command line (the JSON record has it whole); a
 * process holding the port it asks for is said to be itself.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "addr.h"
#include "conflict.h"
#include "ephemeral.h"
#include "escape.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "policy_explain.h"
#include "procinfo.h"
#include "record.h"
#include "util.h"
#include "workload.h"

#define ERRNO_NAME_LEN 16
#define WORKLOAD_SHORT_ID_LEN 12 /* digits of a container id shown for it, as the runtimes' ps */
#define TEXT_FORWARD "\u2192"    /* a proxy's port, then the container's it forwards to */
#define PROTO_NAME_LEN 16
/* Bytes of a holder's command line (quoted as a shell would) its cmd= shows. */
#define TEXT_HOLDER_CMD_MAX 80
/* After a holder's cmd="...": what it shows is the head of a longer one. */
#define TEXT_HOLDER_CMD_CUT "..."
/* After the requester's and who's cmd="...": the command line was cut where it was read. */
#define TEXT_CMD_TRUNCATED " (truncated)"
/* What `bindwatch check` appends after the diagnosis when SO_REUSEADDR would do. */
#define CHECK_REUSEADDR_HINT "SO_REUSEADDR on the new socket would make the bind succeed"

static void time_local(struct strbuf *sb, const struct timespec *ts)
{
	struct tm tm;
	char buf[16];

	localtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	strbuf_addf(sb, "%s.%03ld", buf, ts->tv_nsec / 1000000);
}

/* "tcp 127.0.0.1:8080" */
static void text_endpoint(struct strbuf *sb, const struct bw_sock *s)
{
	char addr[ADDR_STRLEN], proto[PROTO_NAME_LEN];

	strbuf_addf(sb, "%s ", proto_name(proto, sizeof(proto), s->type, s->protocol));
	if (addr_port_format(addr, sizeof(addr), s->family, s->addr, s->port))
		strbuf_addf(sb, "?:%u", s->port);
	else
		strbuf_adds(sb, addr);
}

/* "python3[815]", "\"sshd[1] uid=0 \"[31909]": see text_field() */
static void text_process(struct strbuf *sb, const char *comm, size_t len, __u32 pid)
{
	text_field(sb, TEXT_COMM, comm, strnlen(comm, len));
	strbuf_addf(sb, "[%u]", pid);
}

/* " unit=api.service", " user_unit=\"a b.service\"": nothing for NULL or "" */
static void text_opt(struct strbuf *sb, enum text_field f, const char *value)
{
	if (!value || !*value)
		return;
	strbuf_addc(sb, ' ');
	text_field(sb, f, value, strlen(value));
}

/* "tcp 127.0.0.1:8080 dev=eth0": the endpoint and the device the call named */
static void text_socket(struct strbuf *sb, const struct bw_record *r)
{
	text_endpoint(sb, &r->ev->sock);
	text_opt(sb, TEXT_DEV, r->bound_dev);
}

/* Why no process is named for a socket with a file, in words. */
static const char *text_hidden(const struct bw_holder *h)
{
	switch (h->hidden) {
	case HOLDER_OTHER_PIDNS:
		return "(a process bindwatch cannot see)";
	case HOLDER_IN_FLIGHT:
		return "(in flight on a unix socket no process holds)";
	default:
		return "(held where bindwatch cannot find it)";
	}
}

/*
 * "python3[815]", "python3[815] (in flight on socket:[9912])", "(kernel)",
 * "(a process bindwatch cannot see)" or "(no process)"
 */
static void text_owner(struct strbuf *sb, const struct bw_holder *h)
{
	if (h->pid)
		text_process(sb, h->comm, sizeof(h->comm), h->pid);
	else
		strbuf_adds(sb, h->kernel ? "(kernel)" : h->hidden ? text_hidden(h) : "(no process)");
	if (h->pid && h->via == BW_VIA_INFLIGHT)
		strbuf_addf(sb, " (in flight on socket:[%llu]%s)", (unsigned long long)h->via_ino,
			    h->via_hops > 1 ? ", itself in flight" : "");
	else if (h->pid && h->via == BW_VIA_IO_URING)
		strbuf_addf(sb, " (in io_uring anon_inode:[%llu])", (unsigned long long)h->via_ino);
}

/* A workload's name: keyless, quoted unless bare (text_field()); "?" when unknown. */
static void text_wl_name(struct strbuf *sb, const char *s, size_t n)
{
	if (s && n)
		text_field(sb, TEXT_WORKLOAD, s, n);
	else
		strbuf_addc(sb, '?');
}

/*
 * "container web (podman, image localhost/web)", "pod default/web-7d9/nginx
 * (containerd, image nginx:1.25)": a container is named by its name, else
 * the head of its id; the parentheses hold what is known.
 */
static void text_workload(struct strbuf *sb, const struct workload *wl)
{
	const struct workload_pod *pod = &wl->pod;
	const char *sep = " (";

	if (pod->name || pod->namespace) {
		strbuf_adds(sb, "pod ");
		text_wl_name(sb, pod->namespace, pod->namespace ? strlen(pod->namespace) : 0);
		strbuf_addc(sb, '/');
		text_wl_name(sb, pod->name, pod->name ? strlen(pod->name) : 0);
		if (pod->container) {
			strbuf_addc(sb, '/');
			text_wl_name(sb, pod->container, strlen(pod->container));
		}
	} else {
		strbuf_adds(sb, "container ");
		if (wl->name)
			text_wl_name(sb, wl->name, strlen(wl->name));
		else
			text_wl_name(sb, wl->id, strnlen(wl->id, WORKLOAD_SHORT_ID_LEN));
	}
	if (wl->runtime[0]) {
		strbuf_addf(sb, "%s%s", sep, wl->runtime);
		sep = ", ";
	}
	if (wl->image) {
		strbuf_addf(sb, "%simage ", sep);
		text_wl_name(sb, wl->image, strlen(wl->image));
		sep = ", ";
	}
	if (sep[0] == ',')
		strbuf_addc(sb, ')');
}

/* " in container job (docker)": the workload a process runs in, if any. */
static void text_in_workload(struct strbuf *sb, const struct proc_info *pi)
{
	if (!pi->workload || pi->workload->source != WORKLOAD_CGROUP)
		return;
	strbuf_adds(sb, " in ");
	text_workload(sb, pi->workload);
}

/*
 * "nginx[812] in container web (docker)", "container web (podman, image
 * localhost/web) via conmon[21197]": a runtime's proxy stands for the
 * container it forwards to.
 */
static void text_holder(struct strbuf *sb, const struct holder_info *hi)
{
	const struct workload *wl = hi->pi.workload;

	if (wl && wl->source == WORKLOAD_PROXY) {
		text_workload(sb, wl);
		strbuf_adds(sb, " via ");
	}
	if (hi->gone && !hi->h.pid)
		strbuf_adds(sb, "(gone)"); /* closed since the call: bound_by names its binder */
	else
		text_owner(sb, &hi->h);
	text_in_workload(sb, &hi->pi);
}

/* " unit=x user_unit=y container=z" */
static void text_units(struct strbuf *sb, const struct proc_info *pi)
{
	text_opt(sb, TEXT_UNIT, pi->unit);
	text_opt(sb, TEXT_USER_UNIT, pi->user_unit);
	text_opt(sb, TEXT_CONTAINER, pi->container);
}

/*
 * " cmd=\"nginx -g 'daemon off;'\"": the command line quoted as a shell
 * would, cut to its first max bytes (never inside a character), then
 * escaped as any text is; cut, after the closing quote, when it was cut
 * here or where it was read.
 */
static void text_cmd(struct strbuf *sb, const struct proc_info *pi, size_t max, const char *cut)
{
	struct strbuf quoted;
	size_t n = 0;

	if (!pi->cmdline)
		return;
	strbuf_init(&quoted);
	shell_quote_argv(&quoted, pi->args, pi->cmdline_len);
	strbuf_adds(sb, " cmd=\"");
	if (quoted.oom) {
		sb->oom = true;
	} else {
		n = utf8_head(quoted.s, quoted.len, max);
		text_escape(sb, quoted.s, n);
	}
	strbuf_addc(sb, '"');
	if (n < quoted.len || pi->cmdline_truncated)
		strbuf_adds(sb, cut);
	strbuf_free(&quoted);
}

/* " unit=x user_unit=y container=z cmd=\"...\" (exited)": all of it */
static void text_procinfo(struct strbuf *sb, const struct proc_info *pi)
{
	text_units(sb, pi);
	text_cmd(sb, pi, SIZE_MAX, TEXT_CMD_TRUNCATED);
	if (pi->exited)
		strbuf_adds(sb, " (exited)");
}

/*
 * "3h", "40s" (parts 1); "3h12m", "2d", "1m5s" (parts 2): secs in its
 * largest unit, then the next unit's part when parts is 2 and it is not 0.
 */
static void text_span(struct strbuf *sb, uint64_t secs, unsigned int parts)
{
	static const struct { uint64_t secs; const char *unit; } units[] = {
		{ 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" },
	};
	size_t i;
	uint64_t rest;

	for (i = 0; i < ARRAY_SIZE(units) - 1 && secs < units[i].secs; i++)
		;
	strbuf_addf(sb, "%llu%s", (unsigned long long)(secs / units[i].secs), units[i].unit);
	if (parts < 2 || i == ARRAY_SIZE(units) - 1)
		return;
	rest = secs % units[i].secs / units[i + 1].secs;
	if (rest)
		strbuf_addf(sb, "%llu%s", (unsigned long long)rest, units[i + 1].unit);
}

/* "3h", "12m", "40s": how long before now something happened */
static void text_ago(struct strbuf *sb, const struct timespec *then, const struct timespec *now)
{
	text_span(sb, now->tv_sec > then->tv_sec ? now->tv_sec - then->tv_sec : 0, 1);
}

/* " up 3h12m": how long the process that started start_ns had run at boot_ns */
static void text_up(struct strbuf *sb, uint64_t start_ns, uint64_t boot_ns)
{
	if (!boot_ns || !start_ns || boot_ns < start_ns)
		return;
	strbuf_adds(sb, " up ");
	text_span(sb, (boot_ns - start_ns) / NSEC_PER_SEC, 2);
}

/*
 * The requester holds what it asks for itself: the same process (pid and
 * start, compared in clock ticks, as a holder found through /proc has it).
 */
static bool text_itself(const struct bw_record *r, const struct bw_holder *h)
{
	return h->pid && h->pid == r->ev->pid &&
	       procinfo_ticks(h->start_ns) == procinfo_ticks(r->ev->start_ns);
}

/* Holder i's process is one an earlier holder of the line already described. */
static bool text_described(const struct diagnosis *d, size_t i)
{
	const struct bw_holder *h = &d->holders[i].h;
	size_t j;

	for (j = 0; j < i; j++)
		if (d->holders[j].h.pid == h->pid && d->holders[j].h.start_ns == h->start_ns)
			return true;
	return false;
}

/*
 * " up 3h12m unit=api.service cmd=\"python3 /opt/app.py\"": a holding
 * process at a glance; its workload, when it has one (text_holder() said
 * it), stands for its unit.
 */
static void text_holder_about(struct strbuf *sb, const struct holder_info *hi, uint64_t boot_ns)
{
	if (!hi->h.pid)
		return;
	text_up(sb, hi->h.start_ns, boot_ns);
	if (!hi->pi.workload)
		text_units(sb, &hi->pi);
	text_cmd(sb, &hi->pi, TEXT_HOLDER_CMD_MAX, TEXT_HOLDER_CMD_CUT);
	if (hi->pi.exited)
		strbuf_adds(sb, " (exited)");
}

/* " (41.250 s left)": a TIME_WAIT socket's time before the kernel frees it */
static void text_tw_left(struct strbuf *sb, const struct holder_info *hi)
{
	if (hi->h.state == TCP_TIME_WAIT && hi->h.sock.protocol != IPPROTO_UDP &&
	    hi->tw_ms_left >= 0)
		strbuf_addf(sb, " (%lld.%03lld s left)", (long long)hi->tw_ms_left / MSEC_PER_SEC,
			    (long long)hi->tw_ms_left % MSEC_PER_SEC);
}

/* " (bound 3h ago by deploy.sh[812], since exited)" */
static void text_bound_by(struct strbuf *sb, const struct holder_info *hi,
			  const struct timespec *now)
{
	const struct ledger_entry *b = hi->bound_by;

	if (!b || (b->pid == hi->h.pid && b->start_ns == hi->h.start_ns && !hi->binder_exited))
		return;
	strbuf_adds(sb, " (bound ");
	text_ago(sb, &b->wall, now);
	strbuf_adds(sb, " ago by ");
	text_process(sb, b->comm, sizeof(b->comm), b->pid);
	strbuf_adds(sb, hi->binder_exited ? ", since exited)" : ")");
}

/*
 * " uid=65534": the holding process's real uid, the one reclaims judge it
 * by, and " euid=0" after it when the effective one differs.
 */
static void text_proc_uids(struct strbuf *sb, const struct holder_info *hi)
{
	const struct proc_identity *id = &hi->pi.id;

	if (!hi->h.pid || id->ruid < 0)
		return;
	strbuf_addf(sb, " uid=%lld", (long long)id->ruid);
	if (id->euid >= 0 && id->euid != id->ruid)
		strbuf_addf(sb, " euid=%lld", (long long)id->euid);
}

static void text_diagnosis(struct strbuf *sb, const struct bw_record *r)
{
	const struct diagnosis *d = r->diag;
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct bw_holder *h = &d->holders[i].h;

		const struct workload *wl = d->holders[i].pi.workload;

		strbuf_adds(sb, i ? ", " : "; held by ");
		if (text_itself(r, h)) {
			text_owner(sb, h);
			strbuf_adds(sb, " (itself)");
		} else {
			text_holder(sb, &d->holders[i]);
			if (!text_described(d, i))
				text_holder_about(sb, &d->holders[i], r->boot_ns);
		}
		text_proc_uids(sb, &d->holders[i]);
		strbuf_addf(sb, " %s ", record_state_name(h));
		text_endpoint(sb, &h->sock);
		if (wl && wl->source == WORKLOAD_PROXY && wl->container_port >= 0)
			strbuf_addf(sb, " " TEXT_FORWARD " %d", wl->container_port);
		text_tw_left(sb, &d->holders[i]);
		text_bound_by(sb, &d->holders[i], &r->wall);
	}
	if (d->omitted)
		strbuf_addf(sb, " and %zu more", d->omitted);
	if (d->walk_skipped)
		strbuf_addf(sb, "; holders not looked for (uid %u's walk budget spent)", r->ev->uid);
	strbuf_addf(sb, "; %s: ", conflict_reason_code(d->reason));
	conflict_explain_record(sb, r);
}

/*
 * "; rule stale-api: reclaim #3 reclaimed (TERM to 812), port free after 120 ms",
 * "; rule stale-api: reclaim cooldown (reclaim #3 by rule stale-api, ended
 * 10:02:03.456, 59000 ms left)"
 */
static void text_action(struct strbuf *sb, const struct record_action *a)
{
	char buf[16];
	unsigned int i;

	strbuf_adds(sb, "; rule ");
	text_escape(sb, a->rule, strlen(a->rule));
	strbuf_addf(sb, ": %s", a->type);
	if (a->result == ACTION_NONE)
		return;
	if (a->id)
		strbuf_addf(sb, " #%llu", (unsigned long long)a->id);
	strbuf_addf(sb, " %s", action_result_name(a->result));
	if (a->result == ACTION_COOLDOWN || a->result == ACTION_IN_PROGRESS) {
		strbuf_addf(sb, " (reclaim #%llu by rule ", (unsigned long long)a->wait_id);
		text_escape(sb, a->wait_rule, strlen(a->wait_rule));
		strbuf_adds(sb, a->result == ACTION_COOLDOWN ? ", ended " : ", started ");
		time_local(sb, &a->wait_since);
		if (a->result == ACTION_COOLDOWN)
			strbuf_addf(sb, ", %lld ms left", (long long)a->remaining_ms);
		strbuf_addc(sb, ')');
	}
	for (i = 0; i < a->nsignals; i++)
		strbuf_addf(sb, "%s%s", i ? "," : " (", record_signal_abbrev(buf, sizeof(buf), a->signals[i]));
	for (i = 0; i < a->npids; i++)
		strbuf_addf(sb, "%s%u", i ? "," : a->nsignals ? " to " : " (", a->pids[i]);
	if (a->nsignals || a->npids)
		strbuf_addc(sb, ')');
	if (a->why)
		strbuf_addf(sb, ": %s", a->why);
	if (a->freed_after_ms >= 0)
		strbuf_addf(sb, ", port free after %lld ms", (long long)a->freed_after_ms);
}

/*
 * "; unexpected owner (expect web, line 3: unit wants nginx.service, got
 * app.service)", "; joins a SO_REUSEPORT group of nginx[812] (...)"
 */
static void text_ownership(struct strbuf *sb, const struct bw_record *r)
{
	const struct policy_miss *m = r->expect_miss;
	size_t i;

	if (r->kind == RECORD_REUSEPORT_JOIN) {
		strbuf_adds(sb, "; joins a SO_REUSEPORT group of ");
		for (i = 0; i < r->diag->n; i++) {
			if (i)
				strbuf_adds(sb, ", ");
			text_owner(sb, &r->diag->holders[i].h);
			text_opt(sb, TEXT_EXE, r->diag->holders[i].pi.exe);
		}
		if (r->diag->omitted)
			strbuf_addf(sb, " and %zu more", r->diag->omitted);
	} else {
		strbuf_adds(sb, "; unexpected owner");
	}
	if (!r->expect)
		return;
	strbuf_adds(sb, " (expect ");
	text_escape(sb, r->expect->name, strlen(r->expect->name));
	strbuf_addf(sb, ", line %u", r->expect->line);
	if (m) {
		strbuf_addf(sb, ": %s wants ", m->field);
		text_escape(sb, m->want, strlen(m->want));
		strbuf_adds(sb, m->known ? ", got " : ", unknown");
		if (m->known)
			text_field(sb, TEXT_GOT, m->got, strlen(m->got));
	}
	strbuf_addc(sb, ')');
}

/* "; not matched: rule redis: holder.exe ... (and 2 more rules)": the first rule that did not */
static void text_misses(struct strbuf *sb, const struct bw_record *r)
{
	size_t more = r->nmisses + r->misses_more - 1;

	strbuf_adds(sb, "; not matched: ");
	explain_text(sb, &r->misses[0]);
	if (more)
		strbuf_addf(sb, " (and %zu more rule%s)", more, more == 1 ? "" : "s");
}

void record_text(struct strbuf *sb, const struct bw_record *r)
{
	time_local(sb, &r->wall);
	strbuf_addc(sb, ' ');
	record_summary(sb, r);
}

/* "bind EADDRINUSE ", "bind EADDRINUSE via io_uring " */
static void text_call(struct strbuf *sb, const struct bw_event *ev)
{
	char err[ERRNO_NAME_LEN];

	strbuf_addf(sb, "%s %s ", record_syscall_name(ev),
		    ev->ret < 0 ? errno_name(err, sizeof(err), -ev->ret) : "ok");
	/* the system call is what a reader assumes: only another way is said */
	if (ev->via != BW_CALL_SYSCALL)
		strbuf_addf(sb, "via %s ", record_via_name(ev));
}

/* " (kernel socket: vxlan_create_sock [vxlan])": the kernel bound for the requester */
static void text_kernel(struct strbuf *sb, const struct bw_record *r)
{
	const struct kcaller *kc = r->kcaller;

	if (r->ev->via != BW_CALL_KERNEL)
		return;
	strbuf_adds(sb, " (kernel socket");
	if (kc)
		strbuf_addf(sb, kc->module[0] ? ": %s [%s]" : ": %s", kc->function, kc->module);
	strbuf_addc(sb, ')');
}

/* " to 10.0.0.5:5432": where a connect() went */
static void text_dest(struct strbuf *sb, int family, const __u8 *addr, __u16 port)
{
	char buf[ADDR_STRLEN];

	strbuf_adds(sb, " to ");
	if (addr_port_format(buf, sizeof(buf), family, addr, port))
		strbuf_addf(sb, "?:%u", port);
	else
		strbuf_adds(sb, buf);
}

/* "tcp 127.0.0.1:8080 by python3[4242] uid=0 in container job (docker) netns=t1" */
static void text_requester(struct strbuf *sb, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;

	text_socket(sb, r);
	if (ev->syscall == BW_SYS_CONNECT)
		text_dest(sb, ev->sock.family, ev->daddr, ev->dport);
	strbuf_adds(sb, " by ");
	text_process(sb, ev->comm, sizeof(ev->comm), ev->pid);
	strbuf_addf(sb, " uid=%u", ev->uid);
	text_kernel(sb, r);
	text_in_workload(sb, r->req);
	/* only a named namespace other than the host's: quiet by default */
	text_opt(sb, TEXT_NETNS, r->netns_name);
}

/* "(20 times) ", "(20 times, 20 processes) ", ...: what the record's count stands for */
static void text_count(struct strbuf *sb, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	uint64_t procs = r->incident ? r->incident->processes : 1;

	/* a storm's record stands for the failures since its last one */
	if (ev->scope == BW_SCOPE_PORT)
		strbuf_addf(sb, "(%u times, addresses of this port) ", ev->count);
	else if (ev->scope == BW_SCOPE_UID)
		strbuf_addf(sb, "(%u times, storms of this uid) ", ev->count);
	else if (procs > 1)
		strbuf_addf(sb, "(%u times, %llu processes) ", ev->count, (unsigned long long)procs);
	else if (ev->count > 1)
		strbuf_addf(sb, "(%u times) ", ev->count);
}

/* " (20 failures)", past a holder an incident met */
static void text_failures(struct strbuf *sb, uint64_t n)
{
	strbuf_addf(sb, " (%llu %s)", (unsigned long long)n, plural(n, "failure", "failures"));
}

/*
 * "incident ended (resolved): bind EADDRINUSE tcp 127.0.0.1:8080 by
 * python3[4242] uid=0 unit=api.service: 20 failures by 20 processes in
 * 9.512 s, 08:21:04.123 to 08:21:13.635; held by python3[815] uid=0
 * (20 failures)"
 */
static void text_incident_end(struct strbuf *sb, const struct bw_record *r)
{
	const struct incident_summary *s = r->ended;
	const struct incident_holder *h;
	size_t i;

	strbuf_addf(sb, "incident ended (%s): ", incident_end_name(s->end));
	text_call(sb, r->ev);
	text_requester(sb, r);
	text_opt(sb, TEXT_UNIT, r->req->unit);
	text_opt(sb, TEXT_USER_UNIT, r->req->user_unit);
	text_opt(sb, TEXT_CONTAINER, r->req->container);
	strbuf_addf(sb, ": %llu %s by %llu %s in %llu.%03llu s, ", (unsigned long long)s->count,
		    plural(s->count, "failure", "failures"), (unsigned long long)s->processes,
		    plural(s->processes, "process", "processes"),
		    (unsigned long long)(s->duration_ms / MSEC_PER_SEC),
		    (unsigned long long)(s->duration_ms % MSEC_PER_SEC));
	time_local(sb, &s->first);
	strbuf_adds(sb, " to ");
	time_local(sb, &s->last);
	for (i = 0; i < s->nholders; i++) {
		h = &s->holders[i];
		strbuf_adds(sb, i ? ", " : "; held by ");
		if (h->pid)
			text_process(sb, h->comm, sizeof(h->comm), h->pid);
		else
			strbuf_adds(sb, "(no process)");
		if (h->uid >= 0)
			strbuf_addf(sb, " uid=%lld", (long long)h->uid);
		text_failures(sb, h->count);
	}
	if (s->holders_omitted) {
		strbuf_adds(sb, " and others");
		text_failures(sb, s->holders_omitted);
	}
}

void record_summary(struct strbuf *sb, const struct bw_record *r)
{
	if (r->kind == RECORD_INCIDENT_END) {
		text_incident_end(sb, r);
		return;
	}
	text_call(sb, r->ev);
	text_count(sb, r);
	text_requester(sb, r);
	text_procinfo(sb, r->req);
	if (r->kind != RECORD_CALL)
		text_ownership(sb, r);
	else if (r->diag)
		text_diagnosis(sb, r);
	if (r->ephemeral)
		ephemeral_summary(sb, r->ephemeral);
	if (r->action)
		text_action(sb, r->action);
	if (r->nmisses)
		text_misses(sb, r);
}

/* "eclient[6649] 8 ports: to 127.0.0.1:5000 x8, unconnected x1": a holder of the range */
static void text_eph_holder(struct strbuf *sb, const struct eph_holder *h)
{
	size_t i;

	text_process(sb, h->comm, sizeof(h->comm), h->pid);
	text_in_workload(sb, &h->pi);
	strbuf_addf(sb, " %u %s:", h->sockets, plural(h->sockets, "port", "ports"));
	for (i = 0; i < h->ndests; i++) {
		strbuf_adds(sb, i ? "," : "");
		if (h->dests[i].port)
			text_dest(sb, h->dests[i].family, h->dests[i].addr, h->dests[i].port);
		else
			strbuf_adds(sb, " unconnected");
		strbuf_addf(sb, " x%u", h->dests[i].sockets);
	}
	if (h->other_dests)
		strbuf_addf(sb, ", %u elsewhere", h->other_dests);
}

/* "ports 40000-40007: 8 of 8 in use (8 sockets, 0 TIME_WAIT, 0 no process)" */
static void text_eph_use(struct strbuf *sb, const struct eph_view *v)
{
	strbuf_addf(sb, "ports %u-%u: %u of %u in use (%u sockets, %u TIME_WAIT, %u no process)",
		    v->range.lo, v->range.hi, v->in_use, v->range.size, v->sockets, v->time_wait,
		    v->unheld);
}

void ephemeral_summary(struct strbuf *sb, const struct eph_view *v)
{
	size_t i;

	strbuf_adds(sb, "; ephemeral ");
	text_eph_use(sb, v);
	for (i = 0; i < v->ntop; i++) {
		strbuf_adds(sb, i ? ", " : "; most held by ");
		text_eph_holder(sb, &v->top[i]);
	}
	if (v->other_holders)
		strbuf_addf(sb, " and %u more processes", v->other_holders);
}

void ephemeral_text(struct strbuf *sb, const struct eph_view *v, const char *netns_name)
{
	char proto[PROTO_NAME_LEN];
	size_t i;

	strbuf_addf(sb, "%s ", proto_name(proto, sizeof(proto), 0, v->protocol));
	text_eph_use(sb, v);
	if (v->range.size < (unsigned int)(v->range.hi - v->range.lo + 1))
		strbuf_addf(sb, " reserved=%u", v->range.hi - v->range.lo + 1 - v->range.size);
	/* the namespace's name, else its inode */
	if (netns_name && *netns_name)
		text_opt(sb, TEXT_NETNS, netns_name);
	else
		strbuf_addf(sb, " netns=%u", v->netns);
	for (i = 0; i < v->ntop; i++) {
		strbuf_adds(sb, "\n  ");
		text_eph_holder(sb, &v->top[i]);
		strbuf_addf(sb, " uid=%u", v->top[i].uid);
		text_procinfo(sb, &v->top[i].pi);
	}
	if (v->other_holders)
		strbuf_addf(sb, "\n  and %u more processes", v->other_holders);
}

void who_text(struct strbuf *sb, const struct holder_info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct bw_holder *h = &v[i].h;

		strbuf_addf(sb, "%s%-11s ", i ? "\n" : "", record_state_name(h));
		text_endpoint(sb, &h->sock);
		strbuf_adds(sb, " ");
		text_holder(sb, &v[i]);
		if (h->pid)
			strbuf_addf(sb, " fd=%u", h->fd);
		strbuf_addf(sb, " uid=%u", h->sock.uid);
		if (h->state == TCP_LISTEN && h->sock.protocol != IPPROTO_UDP)
			strbuf_addf(sb, " queue=%u/%u", h->ack_backlog, h->max_ack_backlog);
		text_tw_left(sb, &v[i]);
		text_procinfo(sb, &v[i].pi);
	}
}

void check_text(struct strbuf *sb, const struct bw_record *r, bool reuseaddr_frees)
{
	strbuf_adds(sb, r->diag->n ? "busy " : "free ");
	text_socket(sb, r);
	if (!r->diag->n)
		return;
	text_diagnosis(sb, r);
	if (reuseaddr_frees)
		strbuf_adds(sb, "; " CHECK_REUSEADDR_HINT);
}

void hooks_dropped_text(struct strbuf *sb, uint64_t count, const struct timespec *wall)
{
	time_local(sb, wall);
	strbuf_addc(sb, ' ');
	hooks_dropped_summary(sb, count);
}

void hooks_dropped_summary(struct strbuf *sb, uint64_t count)
{
	strbuf_addf(sb, "hooks dropped: %llu %s not handed to a hook, the queue was full",
		    (unsigned long long)count, plural(count, "record", "records"));
}

void lost_text(struct strbuf *sb, const uint32_t *uid, uint64_t count,
	       const struct timespec *wall)
{
	time_local(sb, wall);
	strbuf_addc(sb, ' ');
	lost_summary(sb, uid, count);
}

void lost_summary(struct strbuf *sb, const uint32_t *uid, uint64_t count)
{
	strbuf_addf(sb, "lost %llu %s", (unsigned long long)count,
		    plural(count, "record", "records"));
	if (uid)
		strbuf_addf(sb, " of uid %u", *uid);
	strbuf_adds(sb, ": the ring buffer was full");
}

void suppressed_text(struct strbuf *sb, uint32_t uid, uint64_t count,
		     const struct timespec *since, const struct timespec *wall)
{
	time_local(sb, wall);
	strbuf_addc(sb, ' ');
	suppressed_summary(sb, uid, count, since);
}

void suppressed_summary(struct strbuf *sb, uint32_t uid, uint64_t count,
			const struct timespec *since)
{
	strbuf_addf(sb, "suppressed %llu %s of uid %u since ", (unsigned long long)count,
		    plural(count, "failure", "failures"), uid);
	time_local(sb, since);
	strbuf_adds(sb, ": over its rate limit (--rate-limit)");
}
