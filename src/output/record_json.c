// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record_json.c - a record as one JSON object (record.h): the public
 * schema, also that of `who --json` and `check --json`.
 *
 * It owns the JSON keys and their order; it must not write to a sink.
 *
 * Keys only ever come: a consumer matches on them, and "version" changes
 * if one must change meaning.  A value that could not be learned is null,
 * never left out.  Strings a process controls go through json_escape()
 * (the writer, json.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include "addr.h"
#include "conflict.h"
#include "ephemeral.h"
#include "json.h"
#include "ledger.h"
#include "owners.h"
#include "policy.h"
#include "policy_explain.h"
#include "record.h"
#include "util.h"
#include "workload.h"

#define ERRNO_NAME_LEN 16
#define PROTO_NAME_LEN 16
#define RFC3339_LEN sizeof("2026-11-26T08:21:04.123456789Z")

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

static void time_rfc3339(char buf[RFC3339_LEN], const struct timespec *ts)
{
	struct tm tm;
	size_t n;

	gmtime_r(&ts->tv_sec, &tm);
	n = strftime(buf, RFC3339_LEN, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, RFC3339_LEN - n, ".%09ldZ", ts->tv_nsec);
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

/* A string that is "" when unknown, as null then. */
static void json_known(struct jw *w, const char *key, const char *s)
{
	jw_str(w, key, s[0] ? s : NULL);
}

/* "pod":{...}, or null outside a pod (no field known). */
static void json_pod(struct jw *w, const struct workload_pod *pod)
{
	if (!pod->name && !pod->namespace && !pod->uid && !pod->container) {
		jw_null(w, "pod");
		return;
	}
	jw_obj_begin(w, "pod");
	jw_str(w, "name", pod->name);
	jw_str(w, "namespace", pod->namespace);
	jw_str(w, "uid", pod->uid);
	jw_str(w, "container", pod->container);
	jw_obj_end(w);
}

/* "workload":{...}: the container or pod of a process (workload.h), or null. */
static void json_workload(struct jw *w, const struct workload *wl)
{
	if (!wl) {
		jw_null(w, "workload");
		return;
	}
	jw_obj_begin(w, "workload");
	json_known(w, "runtime", wl->runtime);
	json_known(w, "id", wl->id);
	jw_str(w, "name", wl->name);
	jw_str(w, "image", wl->image);
	json_pod(w, &wl->pod);
	jw_str(w, "source", wl->source == WORKLOAD_PROXY ? "proxy" : "cgroup");
	if (wl->container_port >= 0)
		jw_int(w, "container_port", wl->container_port);
	else
		jw_null(w, "container_port");
	jw_obj_end(w);
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
	json_workload(w, pi->workload);
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
	jw_bool(w, "gone", hi->gone);
	jw_str(w, "state", record_state_name(h));
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

/*
 * "kernel_owners": the sockets the kernel had on the port at the call
 * (null when it did not look), and "kernel_owners_more" when it had more.
 */
static void json_kernel_owners(struct jw *w, const struct bw_event *ev)
{
	struct bw_holder h;
	size_t i;

	if (!(ev->owners_flags & BW_OWNERS_LOOKED)) {
		jw_null(w, "kernel_owners");
		jw_null(w, "kernel_owners_more");
		return;
	}
	jw_arr_begin(w, "kernel_owners");
	for (i = 0; i < ev->owners_n && i < BW_OWNERS_MAX; i++) {
		owner_holder(&h, &ev->owners[i]);
		jw_obj_begin(w, NULL);
		jw_str(w, "state", record_state_name(&h));
		json_endpoint(w, &h.sock);
		jw_uint(w, "uid", h.sock.uid);
		if (h.ino)
			jw_uint(w, "inode", h.ino);
		else
			jw_null(w, "inode");
		jw_uint(w, "cookie", ev->owners[i].cookie);
		jw_bool(w, "kernel", h.kernel);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_bool(w, "kernel_owners_more", ev->owners_flags & BW_OWNERS_MORE);
}

static void json_diagnosis(struct jw *w, const struct bw_record *r)
{
	const struct diagnosis *d = r->diag;
	struct strbuf why;

	json_holders(w, d->holders, d->n);
	jw_uint(w, "holders_omitted", d->omitted);
	jw_str(w, "holders_skipped", d->walk_skipped ? "walk-budget" : NULL);
	json_kernel_owners(w, r->ev);
	jw_str(w, "reason", conflict_reason_code(d->reason));
	strbuf_init(&why);
	conflict_explain_record(&why, r);
	jw_strn(w, "reason_text", why.s, why.len);
	strbuf_free(&why);
}

/*
 * "kernel":true when the kernel bound a socket of its own for the
 * requester, and "kernel_caller":{"function":...,"module":...} naming
 * where, or null.
 */
static void json_kernel(struct jw *w, const struct bw_record *r)
{
	const struct kcaller *kc = r->kcaller;

	jw_bool(w, "kernel", r->ev->via == BW_CALL_KERNEL);
	if (!kc) {
		jw_null(w, "kernel_caller");
		return;
	}
	jw_obj_begin(w, "kernel_caller");
	jw_str(w, "function", kc->function);
	jw_str(w, "module", kc->module[0] ? kc->module : NULL);
	jw_obj_end(w);
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
	json_kernel(w, r);
	jw_obj_end(w);
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
			jw_str(w, NULL, record_signal_abbrev(buf, sizeof(buf), a->signals[i]));
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

/* The rules naming the port that did not match, each with its first unmet condition. */
static void json_misses(struct jw *w, const struct bw_record *r)
{
	size_t i;

	jw_arr_begin(w, "unmatched");
	for (i = 0; i < r->nmisses; i++)
		explain_json_unmet(w, &r->misses[i]);
	jw_arr_end(w);
}


/* "incident":{"id":N,"processes":N}: the conflict incident r is of, or null. */
static void json_incident(struct jw *w, const struct bw_record *r)
{
	if (!r->incident) {
		jw_null(w, "incident");
		return;
	}
	jw_obj_begin(w, "incident");
	jw_uint(w, "id", r->incident->id);
	jw_uint(w, "processes", r->incident->processes);
	jw_obj_end(w);
}

/* "addr":..,"port":..: where a connect() went */
static void json_dest_fields(struct jw *w, int family, const __u8 *addr, __u16 port)
{
	char buf[ADDR_STRLEN];

	jw_str(w, "addr", addr_format(buf, sizeof(buf), family, addr) ? NULL : buf);
	jw_uint(w, "port", port);
}

static void json_eph_holder(struct jw *w, const struct eph_holder *h)
{
	size_t i;

	jw_obj_begin(w, NULL);
	jw_uint(w, "pid", h->pid);
	jw_strn(w, "comm", h->comm, strnlen(h->comm, sizeof(h->comm)));
	jw_uint(w, "uid", h->uid);
	json_procinfo(w, &h->pi);
	jw_uint(w, "sockets", h->sockets);
	jw_arr_begin(w, "destinations");
	for (i = 0; i < h->ndests; i++) {
		jw_obj_begin(w, NULL);
		jw_str(w, "family", family_name(h->dests[i].family));
		if (h->dests[i].port) {
			json_dest_fields(w, h->dests[i].family, h->dests[i].addr, h->dests[i].port);
		} else { /* bound or listening: no other end */
			jw_null(w, "addr");
			jw_null(w, "port");
		}
		jw_uint(w, "sockets", h->dests[i].sockets);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_uint(w, "other_destinations", h->other_dests);
	jw_obj_end(w);
}

/* The fields of a namespace's ephemeral range: the record's "ephemeral", who's answer. */
static void ephemeral_json_fields(struct jw *w, const struct eph_view *v, const char *netns_name)
{
	char proto[PROTO_NAME_LEN];
	size_t i;

	jw_uint(w, "netns", v->netns);
	jw_str(w, "netns_name", netns_name && *netns_name ? netns_name : NULL);
	jw_str(w, "proto", proto_name(proto, sizeof(proto), 0, v->protocol));
	jw_obj_begin(w, "range");
	jw_uint(w, "lo", v->range.lo);
	jw_uint(w, "hi", v->range.hi);
	jw_uint(w, "reserved", v->range.hi - v->range.lo + 1 - v->range.size);
	jw_uint(w, "size", v->range.size);
	jw_obj_end(w);
	jw_uint(w, "in_use", v->in_use);
	jw_uint(w, "sockets", v->sockets);
	jw_uint(w, "time_wait", v->time_wait);
	jw_uint(w, "unheld", v->unheld);
	jw_arr_begin(w, "holders");
	for (i = 0; i < v->ntop; i++)
		json_eph_holder(w, &v->top[i]);
	jw_arr_end(w);
	jw_uint(w, "other_holders", v->other_holders);
}

/* The head of a call's record: its time, call, outcome and address. */
static void json_call(struct jw *w, struct strbuf *sb, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	char err[ERRNO_NAME_LEN];

	json_head(w, sb, record_event_name(r), &r->wall);
	jw_uint(w, "mono_ns", ev->ts_ns);
	jw_str(w, "syscall", record_syscall_name(ev));
	jw_str(w, "via", record_via_name(ev));
	jw_str(w, "errno", ev->ret < 0 ? errno_name(err, sizeof(err), -ev->ret) : NULL);
	json_endpoint(w, &ev->sock);
}

/* "holders_seen":[{"pid":..,"comm":..,"uid":..,"count":..}]: an incident's holders. */
static void json_holders_seen(struct jw *w, const struct incident_summary *s)
{
	const struct incident_holder *h;
	size_t i;

	jw_arr_begin(w, "holders_seen");
	for (i = 0; i < s->nholders; i++) {
		h = &s->holders[i];
		jw_obj_begin(w, NULL);
		if (h->pid) {
			jw_uint(w, "pid", h->pid);
			jw_strn(w, "comm", h->comm, strnlen(h->comm, sizeof(h->comm)));
		} else {
			jw_null(w, "pid");
			jw_null(w, "comm");
		}
		json_uid(w, "uid", h->uid);
		jw_uint(w, "count", h->count);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_uint(w, "holders_seen_omitted", s->holders_omitted);
}

/* An incident-end record: the incident, then its last conflict's call and requester. */
static void json_incident_end(struct strbuf *sb, const struct bw_record *r)
{
	const struct incident_summary *s = r->ended;
	struct jw w;

	json_call(&w, sb, r);
	json_incident(&w, r);
	jw_str(&w, "end", incident_end_name(s->end));
	jw_uint(&w, "count", s->count);
	jw_uint(&w, "processes", s->processes);
	json_time(&w, "first", &s->first);
	json_time(&w, "last", &s->last);
	jw_uint(&w, "duration_ms", s->duration_ms);
	json_holders_seen(&w, s);
	json_requester(&w, r);
	jw_obj_end(&w);
}

void record_json(struct strbuf *sb, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	struct jw w;

	if (r->kind == RECORD_INCIDENT_END) {
		json_incident_end(sb, r);
		return;
	}
	json_call(&w, sb, r);
	jw_uint(&w, "count", ev->count);
	jw_str(&w, "scope", scope_name(ev));
	json_incident(&w, r);
	jw_str(&w, "mode", mode_name(ev->mode));
	json_socket(&w, r);
	json_requester(&w, r);
	if (r->kind == RECORD_REUSEPORT_JOIN) {
		json_holders(&w, r->diag->holders, r->diag->n);
		jw_uint(&w, "holders_omitted", r->diag->omitted);
	} else if (r->diag) {
		json_diagnosis(&w, r);
	}
	if (ev->syscall == BW_SYS_CONNECT) {
		jw_obj_begin(&w, "destination");
		json_dest_fields(&w, ev->sock.family, ev->daddr, ev->dport);
		jw_obj_end(&w);
	}
	if (r->ephemeral) {
		jw_obj_begin(&w, "ephemeral");
		ephemeral_json_fields(&w, r->ephemeral, r->netns_name);
		jw_obj_end(&w);
	}
	if (r->kind != RECORD_CALL)
		json_expect(&w, r);
	if (r->action)
		json_action(&w, r->action);
	if (r->kind == RECORD_CALL && ev->ret == -EADDRINUSE)
		jw_bool(&w, "probe", record_probe(r));
	if (r->nmisses)
		json_misses(&w, r);
	if (r->unmatched) {
		jw_obj_begin(&w, "policy");
		explain_json(&w, "unmatched", r->unmatched);
		jw_obj_end(&w);
	}
	jw_obj_end(&w);
}

void who_ephemeral_json(struct strbuf *sb, const struct eph_view *v, const char *netns_name,
			const struct timespec *wall)
{
	struct jw w;

	jw_init(&w, sb);
	jw_obj_begin(&w, NULL);
	json_time(&w, "time", wall);
	ephemeral_json_fields(&w, v, netns_name);
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
