// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record.c - render records.
 *
 * It owns the record formats (text, JSON, syslog line); it must not write
 * to a sink.
 *
 * The JSON keys are a public interface: log shippers and alert rules match
 * on them, so they only ever gain keys (and "version" changes if one must
 * change meaning).  A value that could not be learned is null, never left
 * out, so a consumer can tell "unknown" from "absent in this version".
 * Strings a process controls go through the escapers, in both renderings.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "addr.h"
#include "conflict.h"
#include "escape.h"
#include "policy_explain.h"
#include "json.h"
#include "ledger.h"
#include "log.h"
#include "policy.h"
#include "record.h"
#include "util.h"

#define ERRNO_NAME_LEN 16
#define PROTO_NAME_LEN 16

const char *record_event_name(const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;

	if (r->kind == RECORD_UNEXPECTED_OWNER)
		return "unexpected-owner";
	if (r->kind == RECORD_REUSEPORT_JOIN)
		return "reuseport-join";
	if (ev->ret == -EADDRINUSE)
		return "conflict";
	return ev->ret < 0 ? "error" : "ok";
}

/* What a record's count stands for (enum bw_scope). */
static const char *scope_name(const struct bw_event *ev)
{
	switch (ev->scope) {
	case BW_SCOPE_PORT:
		return "port";
	case BW_SCOPE_UID:
		return "uid";
	default:
		return "address";
	}
}

static const char *syscall_name(const struct bw_event *ev)
{
	return ev->syscall == BW_SYS_LISTEN ? "listen" : "bind";
}

const char *mode_name(int mode)
{
	switch (mode) {
	case BW_MODE_FEXIT:
		return "fexit";
	case BW_MODE_TRACEPOINT:
		return "tracepoint";
	default:
		return "auto";
	}
}

#define RFC3339_LEN sizeof("2026-11-26T08:21:04.123456789Z")

static void time_rfc3339(char buf[RFC3339_LEN], const struct timespec *ts)
{
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, RFC3339_LEN - n, ".%09ldZ", ts->tv_nsec);
}

static void time_local(struct strbuf *sb, const struct timespec *ts)
{
	struct tm tm;
	char buf[16];

	localtime_r(&ts->tv_sec, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	strbuf_addf(sb, "%s.%03ld", buf, ts->tv_nsec / 1000000);
}

static void json_time(struct jw *w, const char *key, const struct timespec *ts)
{
	char buf[RFC3339_LEN];

	time_rfc3339(buf, ts);
	jw_str(w, key, buf);
}

/* Open a top-level object with the keys every record starts with. */
static void json_head(struct jw *w, struct strbuf *sb, const char *event,
		      const struct timespec *wall)
{
	jw_init(w, sb);
	jw_obj_begin(w, NULL);
	jw_str(w, "event", event);
	jw_uint(w, "version", RECORD_VERSION);
	json_time(w, "time", wall);
}

/* Options every socket has, requester or holder. */
static void json_sockopts(struct jw *w, const struct bw_sock *s)
{
	jw_bool(w, "reuseaddr", s->sockflags & BW_SF_REUSEADDR);
	jw_bool(w, "reuseport", s->sockflags & BW_SF_REUSEPORT);
	if (s->family == AF_INET6)
		jw_bool(w, "v6only", s->sockflags & BW_SF_V6ONLY);
	else
		jw_null(w, "v6only");
	if (s->bound_ifindex)
		jw_int(w, "bound_ifindex", s->bound_ifindex);
	else
		jw_null(w, "bound_ifindex");
}

static void json_socket(struct jw *w, const struct bw_record *r)
{
	const struct bw_sock *s = &r->ev->sock;

	jw_obj_begin(w, "socket");
	jw_str(w, "type", socktype_name(s->type));
	jw_uint(w, "protocol", s->protocol);
	json_sockopts(w, s);
	jw_str(w, "bound_dev", r->bound_dev[0] ? r->bound_dev : NULL);
	jw_bool(w, "freebind", s->sockflags & BW_SF_FREEBIND);
	jw_bool(w, "transparent", s->sockflags & BW_SF_TRANSPARENT);
	jw_obj_end(w);
}

/* "argv":[...]: the arguments cmdline joins, each as it is (null: unknown). */
static void json_argv(struct jw *w, const struct proc_info *pi)
{
	const char *p, *end, *nul;

	if (!pi->args) {
		jw_null(w, "argv");
		return;
	}
	jw_arr_begin(w, "argv");
	for (p = pi->args, end = p + pi->cmdline_len;; p = nul + 1) {
		nul = memchr(p, '\0', end - p);
		jw_strn(w, NULL, p, (nul ? nul : end) - p);
		if (!nul)
			break;
	}
	jw_arr_end(w);
}

/* What /proc told about a process: shared by requester and holders. */
static void json_procinfo(struct jw *w, const struct proc_info *pi)
{
	jw_str(w, "exe", pi->exe);
	if (pi->cmdline)
		jw_strn(w, "cmdline", pi->cmdline, pi->cmdline_len);
	else
		jw_null(w, "cmdline");
	json_argv(w, pi);
	jw_bool(w, "cmdline_truncated", pi->cmdline_truncated);
	jw_str(w, "cgroup", pi->cgroup);
	jw_str(w, "unit", pi->unit);
	jw_str(w, "user_unit", pi->user_unit);
	jw_str(w, "container", pi->container[0] ? pi->container : NULL);
}

/* The address family, protocol, address and port of s. */
static void json_endpoint(struct jw *w, const struct bw_sock *s)
{
	char addr[ADDR_STRLEN], proto[PROTO_NAME_LEN];

	jw_str(w, "proto", proto_name(proto, sizeof(proto), s->type, s->protocol));
	jw_str(w, "family", family_name(s->family));
	jw_str(w, "addr", addr_format(addr, sizeof(addr), s->family, s->addr) ? NULL : addr);
	jw_uint(w, "port", s->port);
}

static const char *state_name(const struct bw_holder *h)
{
	static const char *const names[] = {
		[TCP_ESTABLISHED] = "ESTABLISHED", [TCP_SYN_SENT] = "SYN_SENT",
		[TCP_SYN_RECV] = "SYN_RECV", [TCP_FIN_WAIT1] = "FIN_WAIT1",
		[TCP_FIN_WAIT2] = "FIN_WAIT2", [TCP_TIME_WAIT] = "TIME_WAIT",
		[TCP_CLOSE] = "BOUND", [TCP_CLOSE_WAIT] = "CLOSE_WAIT",
		[TCP_LAST_ACK] = "LAST_ACK", [TCP_LISTEN] = "LISTEN",
		[TCP_CLOSING] = "CLOSING",
	};

	if (h->sock.protocol == IPPROTO_UDP)
		return "UDP";
	if (h->state < sizeof(names) / sizeof(names[0]) && names[h->state])
		return names[h->state];
	return "UNKNOWN";
}

/* The bind() that put the socket on the port, as bindwatch saw it. */
static void json_bound_by(struct jw *w, const struct holder_info *hi)
{
	const struct ledger_entry *b = hi->bound_by;

	if (!b) {
		jw_null(w, "bound_by");
		return;
	}
	jw_obj_begin(w, "bound_by");
	jw_uint(w, "pid", b->pid);
	jw_strn(w, "comm", b->comm, strnlen(b->comm, sizeof(b->comm)));
	jw_uint(w, "start_boottime_ns", b->start_ns);
	json_time(w, "time", &b->wall);
	jw_bool(w, "exited", hi->binder_exited);
	jw_obj_end(w);
}

/* A uid, or null when unknown (-1). */
static void json_uid(struct jw *w, const char *key, int64_t uid)
{
	if (uid >= 0)
		jw_int(w, key, uid);
	else
		jw_null(w, key);
}

/*
 * The holding process's real, effective and saved uids as diagnosed (null
 * without a process): the real one is what reclaims judge it by.
 */
static void json_proc_uids(struct jw *w, const struct holder_info *hi)
{
	const struct proc_identity *id = &hi->pi.id;
	bool known = hi->h.pid;

	json_uid(w, "ruid", known ? id->ruid : -1);
	json_uid(w, "euid", known ? id->euid : -1);
	json_uid(w, "suid", known ? id->suid : -1);
}

/* bw_holder.hidden, as JSON says it; NULL when a process is named or none holds it. */
static const char *hidden_name(const struct bw_holder *h)
{
	switch (h->hidden) {
	case HOLDER_SEEN:
		return NULL;
	case HOLDER_OTHER_PIDNS:
		return "other-pidns";
	case HOLDER_IN_FLIGHT:
		return "in-flight";
	default:
		return "unknown";
	}
}

/* How the named process holds the socket; NULL when none is named. */
static const char *via_name(const struct bw_holder *h)
{
	static const char *const names[] = {
		[BW_VIA_FD] = "fd", [BW_VIA_INFLIGHT] = "in-flight", [BW_VIA_IO_URING] = "io_uring",
	};

	if (!h->pid && h->via != BW_VIA_INFLIGHT)
		return NULL;
	return h->via < sizeof(names) / sizeof(names[0]) ? names[h->via] : NULL;
}

/* "via", "via_inode", "via_hops" and "hidden_reason" of a holder. */
static void json_via(struct jw *w, const struct bw_holder *h)
{
	jw_str(w, "via", via_name(h));
	if (h->via != BW_VIA_FD && h->via_ino)
		jw_uint(w, "via_inode", h->via_ino);
	else
		jw_null(w, "via_inode");
	if (h->via == BW_VIA_INFLIGHT)
		jw_uint(w, "via_hops", h->via_hops);
	else
		jw_null(w, "via_hops");
	jw_str(w, "hidden_reason", hidden_name(h));
}

static void json_holder(struct jw *w, const struct holder_info *hi)
{
	const struct bw_holder *h = &hi->h;

	jw_obj_begin(w, NULL);
	if (h->pid) {
		jw_uint(w, "pid", h->pid);
		jw_strn(w, "comm", h->comm, strnlen(h->comm, sizeof(h->comm)));
		jw_uint(w, "fd", h->fd);
		jw_uint(w, "start_boottime_ns", h->start_ns);
	} else {
		jw_null(w, "pid");
		jw_null(w, "comm");
		jw_null(w, "fd");
		jw_null(w, "start_boottime_ns");
	}
	jw_bool(w, "kernel", h->kernel);
	jw_bool(w, "hidden", h->hidden);
	json_via(w, h);
	jw_uint(w, "uid", h->sock.uid);
	json_proc_uids(w, hi);
	json_procinfo(w, &hi->pi);
	jw_bool(w, "exited", h->pid && hi->pi.exited);
	jw_str(w, "state", state_name(h));
	json_endpoint(w, &h->sock);
	json_sockopts(w, &h->sock);
	if (h->state == TCP_LISTEN && h->sock.protocol != IPPROTO_UDP) {
		jw_uint(w, "accept_queue", h->ack_backlog);
		jw_uint(w, "backlog", h->max_ack_backlog);
	} else {
		jw_null(w, "accept_queue");
		jw_null(w, "backlog");
	}
	if (h->ino)
		jw_uint(w, "inode", h->ino);
	else
		jw_null(w, "inode");
	if (h->state == TCP_TIME_WAIT && h->sock.protocol != IPPROTO_UDP && hi->tw_ms_left >= 0)
		jw_uint(w, "timewait_left_ms", hi->tw_ms_left);
	else
		jw_null(w, "timewait_left_ms");
	json_bound_by(w, hi);
	jw_obj_end(w);
}

static void json_holders(struct jw *w, const struct holder_info *v, size_t n)
{
	size_t i;

	jw_arr_begin(w, "holders");
	for (i = 0; i < n; i++)
		json_holder(w, &v[i]);
	jw_arr_end(w);
}

static void json_diagnosis(struct jw *w, const struct bw_record *r)
{
	const struct diagnosis *d = r->diag;
	struct conflict_req req = { &r->ev->sock, r->ev->syscall == BW_SYS_LISTEN };
	struct strbuf why;

	json_holders(w, d->holders, d->n);
	jw_uint(w, "holders_omitted", d->omitted);
	jw_str(w, "holders_skipped", d->walk_skipped ? "walk-budget" : NULL);
	jw_str(w, "reason", conflict_reason_code(d->reason));
	strbuf_init(&why);
	conflict_explain(&why, d->reason, &req, d->n ? &d->holders[0].h : NULL);
	jw_strn(w, "reason_text", why.s, why.len);
	strbuf_free(&why);
}

static void json_requester(struct jw *w, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	const struct proc_info *pi = r->req;

	jw_obj_begin(w, "requester");
	jw_uint(w, "pid", ev->pid);
	jw_uint(w, "tid", ev->tid);
	jw_uint(w, "ppid", ev->ppid);
	jw_uint(w, "uid", ev->uid);
	jw_uint(w, "gid", ev->gid);
	jw_strn(w, "comm", ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	json_procinfo(w, pi);
	jw_uint(w, "cgroup_id", ev->cgroup_id);
	jw_uint(w, "netns", ev->sock.netns);
	/* the host's own namespace, or one without a name: null */
	jw_str(w, "netns_name", r->netns_name[0] ? r->netns_name : NULL);
	jw_uint(w, "start_boottime_ns", ev->start_ns);
	jw_bool(w, "exited", pi->exited);
	jw_obj_end(w);
}

/* "TERM" for SIGTERM; the number for a signal without a name. */
static const char *signal_abbrev(char *buf, size_t len, int sig)
{
	const char *name = sigabbrev_np(sig);

	if (name)
		return name;
	snprintf(buf, len, "%d", sig);
	return buf;
}

/* "cooldown":{"reclaim":3,"since":...,"remaining_ms":N,"rule":...}, or "in_progress" */
static void json_wait(struct jw *w, const struct record_action *a)
{
	if (a->result != ACTION_COOLDOWN && a->result != ACTION_IN_PROGRESS)
		return;
	jw_obj_begin(w, a->result == ACTION_COOLDOWN ? "cooldown" : "in_progress");
	jw_uint(w, "reclaim", a->wait_id);
	json_time(w, "since", &a->wait_since);
	if (a->result == ACTION_COOLDOWN)
		jw_int(w, "remaining_ms", a->remaining_ms);
	jw_str(w, "rule", a->wait_rule);
	jw_obj_end(w);
}

static void json_action(struct jw *w, const struct record_action *a)
{
	char buf[16];
	unsigned int i;

	jw_obj_begin(w, "action");
	jw_str(w, "rule", a->rule);
	jw_str(w, "type", a->type);
	if (a->result != ACTION_NONE) {
		jw_str(w, "result", action_result_name(a->result));
		jw_str(w, "why", a->why);
		jw_arr_begin(w, "signals");
		for (i = 0; i < a->nsignals; i++)
			jw_str(w, NULL, signal_abbrev(buf, sizeof(buf), a->signals[i]));
		jw_arr_end(w);
		jw_arr_begin(w, "pids");
		for (i = 0; i < a->npids; i++)
			jw_uint(w, NULL, a->pids[i]);
		jw_arr_end(w);
		if (a->freed_after_ms >= 0)
			jw_int(w, "freed_after_ms", a->freed_after_ms);
		else
			jw_null(w, "freed_after_ms");
		if (a->id)
			jw_uint(w, "id", a->id);
		json_wait(w, a);
	}
	jw_obj_end(w);
}

/*
 * "expect":{"rule":NAME,"line":N,"action":"alert","unmet":{"field":..,"want":..,
 * "got":..}} ("unmet" for unexpected-owner only), or "expect":null.
 */
static void json_expect(struct jw *w, const struct bw_record *r)
{
	const struct policy_miss *m = r->expect_miss;

	if (!r->expect) {
		jw_null(w, "expect");
		return;
	}
	jw_obj_begin(w, "expect");
	jw_str(w, "rule", r->expect->name);
	jw_uint(w, "line", r->expect->line);
	jw_str(w, "action", policy_action_name(r->expect->action));
	if (m) {
		jw_obj_begin(w, "unmet");
		jw_str(w, "field", m->field);
		jw_str(w, "want", m->want);
		jw_str(w, "got", m->known ? m->got : NULL);
		jw_obj_end(w);
	}
	jw_obj_end(w);
}

void record_json(struct strbuf *sb, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	char err[ERRNO_NAME_LEN];
	struct jw w;

	json_head(&w, sb, record_event_name(r), &r->wall);
	jw_uint(&w, "mono_ns", ev->ts_ns);
	jw_str(&w, "syscall", syscall_name(ev));
	jw_str(&w, "errno", ev->ret < 0 ? errno_name(err, sizeof(err), -ev->ret) : NULL);
	json_endpoint(&w, &ev->sock);
	jw_uint(&w, "count", ev->count);
	jw_str(&w, "scope", scope_name(ev));
	jw_str(&w, "mode", mode_name(ev->mode));
	json_socket(&w, r);
	json_requester(&w, r);
	if (r->kind == RECORD_REUSEPORT_JOIN) {
		json_holders(&w, r->diag->holders, r->diag->n);
		jw_uint(&w, "holders_omitted", r->diag->omitted);
	} else if (r->diag) {
		json_diagnosis(&w, r);
	}
	if (r->kind != RECORD_CALL)
		json_expect(&w, r);
	if (r->action)
		json_action(&w, r->action);
	if (r->unmatched) {
		jw_obj_begin(&w, "policy");
		explain_json(&w, "unmatched", r->unmatched);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
}

void record_json_suppressed(struct strbuf *sb, const struct strbuf *json, uint64_t suppressed)
{
	if (json->oom || !json->len) {
		sb->oom = true;
		return;
	}
	/* record_json() ends the object with its one '}': "suppressed" goes last */
	strbuf_add(sb, json->s, json->len - 1);
	strbuf_addf(sb, ",\"suppressed\":%llu}\n", (unsigned long long)suppressed);
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

/* " unit=x user_unit=y container=z cmd=\"...\" (exited)" */
static void text_procinfo(struct strbuf *sb, const struct proc_info *pi)
{
	text_opt(sb, TEXT_UNIT, pi->unit);
	text_opt(sb, TEXT_USER_UNIT, pi->user_unit);
	text_opt(sb, TEXT_CONTAINER, pi->container);
	if (pi->cmdline) {
		struct strbuf quoted;

		/* quoted as a shell would, then escaped as any text is */
		strbuf_init(&quoted);
		shell_quote_argv(&quoted, pi->args, pi->cmdline_len);
		strbuf_adds(sb, " cmd=\"");
		if (quoted.oom)
			sb->oom = true;
		else
			text_escape(sb, quoted.s, quoted.len);
		strbuf_free(&quoted);
		strbuf_addc(sb, '"');
		if (pi->cmdline_truncated)
			strbuf_adds(sb, " (truncated)");
	}
	if (pi->exited)
		strbuf_adds(sb, " (exited)");
}

/* "3h", "12m", "40s": how long before now something happened */
static void text_ago(struct strbuf *sb, const struct timespec *then, const struct timespec *now)
{
	static const struct { long secs; const char *unit; } units[] = {
		{ 86400, "d" }, { 3600, "h" }, { 60, "m" }, { 1, "s" },
	};
	long d = now->tv_sec > then->tv_sec ? now->tv_sec - then->tv_sec : 0;
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]) - 1 && d < units[i].secs; i++)
		;
	strbuf_addf(sb, "%ld%s", d / units[i].secs, units[i].unit);
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
	struct conflict_req req = { &r->ev->sock, r->ev->syscall == BW_SYS_LISTEN };
	size_t i;

	for (i = 0; i < d->n; i++) {
		const struct bw_holder *h = &d->holders[i].h;

		strbuf_adds(sb, i ? ", " : "; held by ");
		text_owner(sb, h);
		text_proc_uids(sb, &d->holders[i]);
		strbuf_addf(sb, " %s ", state_name(h));
		text_endpoint(sb, &h->sock);
		text_tw_left(sb, &d->holders[i]);
		text_bound_by(sb, &d->holders[i], &r->wall);
	}
	if (d->omitted)
		strbuf_addf(sb, " and %zu more", d->omitted);
	if (d->walk_skipped)
		strbuf_addf(sb, "; holders not looked for (uid %u's walk budget spent)", r->ev->uid);
	strbuf_addf(sb, "; %s: ", conflict_reason_code(d->reason));
	conflict_explain(sb, d->reason, &req, d->n ? &d->holders[0].h : NULL);
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
		strbuf_addf(sb, "%s%s", i ? "," : " (", signal_abbrev(buf, sizeof(buf), a->signals[i]));
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

void record_text(struct strbuf *sb, const struct bw_record *r)
{
	time_local(sb, &r->wall);
	strbuf_addc(sb, ' ');
	record_summary(sb, r);
}

void record_summary(struct strbuf *sb, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	char err[ERRNO_NAME_LEN];

	strbuf_addf(sb, "%s %s ", syscall_name(ev),
		    ev->ret < 0 ? errno_name(err, sizeof(err), -ev->ret) : "ok");
	/* a storm's record stands for the failures since its last one */
	if (ev->scope == BW_SCOPE_PORT)
		strbuf_addf(sb, "(%u times, addresses of this port) ", ev->count);
	else if (ev->scope == BW_SCOPE_UID)
		strbuf_addf(sb, "(%u times, storms of this uid) ", ev->count);
	else if (ev->count > 1)
		strbuf_addf(sb, "(%u times) ", ev->count);
	text_socket(sb, r);
	strbuf_adds(sb, " by ");
	text_process(sb, ev->comm, sizeof(ev->comm), ev->pid);
	strbuf_addf(sb, " uid=%u", ev->uid);
	/* only a named namespace other than the host's: quiet by default */
	text_opt(sb, TEXT_NETNS, r->netns_name);
	text_procinfo(sb, r->req);
	if (r->kind != RECORD_CALL)
		text_ownership(sb, r);
	else if (r->diag)
		text_diagnosis(sb, r);
	if (r->action)
		text_action(sb, r->action);
	if (r->unmatched) {
		strbuf_adds(sb, "; not matched: ");
		explain_text(sb, r->unmatched);
	}
}

void who_text(struct strbuf *sb, const struct holder_info *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		const struct bw_holder *h = &v[i].h;

		strbuf_addf(sb, "%s%-11s ", i ? "\n" : "", state_name(h));
		text_endpoint(sb, &h->sock);
		strbuf_adds(sb, " ");
		text_owner(sb, h);
		if (h->pid)
			strbuf_addf(sb, " fd=%u", h->fd);
		strbuf_addf(sb, " uid=%u", h->sock.uid);
		if (h->state == TCP_LISTEN && h->sock.protocol != IPPROTO_UDP)
			strbuf_addf(sb, " queue=%u/%u", h->ack_backlog, h->max_ack_backlog);
		text_tw_left(sb, &v[i]);
		text_procinfo(sb, &v[i].pi);
	}
}

void who_json(struct strbuf *sb, const struct holder_info *v, size_t n,
	      unsigned int port, const char *proto, __u32 netns,
	      const struct timespec *wall)
{
	struct jw w;

	json_head(&w, sb, "who", wall);
	jw_uint(&w, "port", port);
	jw_str(&w, "proto", proto);
	jw_uint(&w, "netns", netns);
	json_holders(&w, v, n);
	jw_obj_end(&w);
}

/* What `bindwatch check` appends after the diagnosis when SO_REUSEADDR would do. */
#define CHECK_REUSEADDR_HINT "SO_REUSEADDR on the new socket would make the bind succeed"

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

void check_json(struct strbuf *sb, const struct bw_record *r, bool reuseaddr_frees)
{
	const struct bw_event *ev = r->ev;
	struct jw w;

	json_head(&w, sb, "check", &r->wall);
	jw_str(&w, "answer", r->diag->n ? "busy" : "free");
	json_endpoint(&w, &ev->sock);
	jw_str(&w, "call", ev->syscall == BW_SYS_LISTEN ? "listen" : "bind");
	json_socket(&w, r);
	jw_uint(&w, "uid", ev->sock.uid);
	jw_uint(&w, "netns", ev->sock.netns);
	if (r->diag->n) {
		json_diagnosis(&w, r);
	} else {
		json_holders(&w, NULL, 0);
		jw_uint(&w, "holders_omitted", 0);
		jw_null(&w, "reason");
		jw_null(&w, "reason_text");
	}
	jw_bool(&w, "reuseaddr_would_free", reuseaddr_frees);
	jw_obj_end(&w);
}

void lost_json(struct strbuf *sb, const uint32_t *uid, uint64_t count,
	       const struct timespec *wall)
{
	struct jw w;

	json_head(&w, sb, "lost", wall);
	if (uid)
		jw_uint(&w, "uid", *uid);
	else
		jw_null(&w, "uid");
	jw_uint(&w, "count", count);
	jw_obj_end(&w);
}

void hooks_dropped_json(struct strbuf *sb, uint64_t count, const struct timespec *wall)
{
	struct jw w;

	json_head(&w, sb, "hooks_dropped", wall);
	jw_uint(&w, "count", count);
	jw_obj_end(&w);
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

void suppressed_json(struct strbuf *sb, uint32_t uid, uint64_t count,
		     const struct timespec *since, const struct timespec *wall)
{
	struct jw w;

	json_head(&w, sb, "suppressed", wall);
	jw_uint(&w, "uid", uid);
	jw_uint(&w, "count", count);
	json_time(&w, "since", since);
	jw_obj_end(&w);
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
