// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record.c - render records.
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
#include <sys/socket.h>
#include "addr.h"
#include "escape.h"
#include "json.h"
#include "record.h"

#define ERRNO_NAME_LEN 16
#define PROTO_NAME_LEN 16

const char *record_event_name(const struct bw_event *ev)
{
	if (ev->ret == -EADDRINUSE)
		return "conflict";
	return ev->ret < 0 ? "error" : "ok";
}

static const char *syscall_name(const struct bw_event *ev)
{
	return ev->syscall == BW_SYS_LISTEN ? "listen" : "bind";
}

static const char *mode_str(const struct bw_event *ev)
{
	return ev->mode == BW_MODE_FEXIT ? "fexit" : "tracepoint";
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

static void json_socket(struct jw *w, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;

	jw_obj_begin(w, "socket");
	jw_str(w, "type", socktype_name(ev->type));
	jw_uint(w, "protocol", ev->protocol);
	jw_bool(w, "reuseaddr", ev->sockflags & BW_SF_REUSEADDR);
	jw_bool(w, "reuseport", ev->sockflags & BW_SF_REUSEPORT);
	if (ev->family == AF_INET6)
		jw_bool(w, "v6only", ev->sockflags & BW_SF_V6ONLY);
	else
		jw_null(w, "v6only");
	jw_str(w, "bound_dev", r->bound_dev[0] ? r->bound_dev : NULL);
	if (ev->bound_ifindex)
		jw_int(w, "bound_ifindex", ev->bound_ifindex);
	else
		jw_null(w, "bound_ifindex");
	jw_bool(w, "freebind", ev->sockflags & BW_SF_FREEBIND);
	jw_bool(w, "transparent", ev->sockflags & BW_SF_TRANSPARENT);
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
	jw_str(w, "exe", pi->exe);
	if (pi->cmdline)
		jw_strn(w, "cmdline", pi->cmdline, pi->cmdline_len);
	else
		jw_null(w, "cmdline");
	jw_str(w, "cgroup", pi->cgroup);
	jw_uint(w, "cgroup_id", ev->cgroup_id);
	jw_str(w, "unit", pi->unit);
	jw_str(w, "container", pi->container[0] ? pi->container : NULL);
	jw_uint(w, "netns", ev->netns);
	jw_uint(w, "start_boottime_ns", ev->start_ns);
	jw_bool(w, "exited", pi->exited);
	jw_obj_end(w);
}

void record_json(struct strbuf *sb, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	char addr[ADDR_STRLEN], err[ERRNO_NAME_LEN], proto[PROTO_NAME_LEN];
	struct jw w;

	jw_init(&w, sb);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "event", record_event_name(ev));
	jw_uint(&w, "version", RECORD_VERSION);
	json_time(&w, "time", &r->wall);
	jw_uint(&w, "mono_ns", ev->ts_ns);
	jw_str(&w, "syscall", syscall_name(ev));
	jw_str(&w, "errno", ev->ret < 0 ? errno_name(err, sizeof(err), -ev->ret) : NULL);
	jw_str(&w, "proto", proto_name(proto, sizeof(proto), ev->type, ev->protocol));
	jw_str(&w, "family", family_name(ev->family));
	jw_str(&w, "addr", addr_format(addr, sizeof(addr), ev->family, ev->addr) ? NULL : addr);
	jw_uint(&w, "port", ev->port);
	jw_uint(&w, "count", ev->count);
	jw_str(&w, "mode", mode_str(ev));
	json_socket(&w, r);
	json_requester(&w, r);
	jw_obj_end(&w);
}

void record_text(struct strbuf *sb, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	char addr[ADDR_STRLEN], err[ERRNO_NAME_LEN], proto[PROTO_NAME_LEN];

	time_local(sb, &r->wall);
	strbuf_addf(sb, " %s %s %s ", syscall_name(ev),
		    ev->ret < 0 ? errno_name(err, sizeof(err), -ev->ret) : "ok",
		    proto_name(proto, sizeof(proto), ev->type, ev->protocol));
	if (addr_port_format(addr, sizeof(addr), ev->family, ev->addr, ev->port))
		strbuf_addf(sb, "?:%u", ev->port);
	else
		strbuf_adds(sb, addr);
	strbuf_adds(sb, " by ");
	text_escape(sb, ev->comm, strnlen(ev->comm, sizeof(ev->comm)));
	strbuf_addf(sb, "[%u] uid=%u", ev->pid, ev->uid);
	if (r->req->unit) {
		strbuf_adds(sb, " unit=");
		text_escape(sb, r->req->unit, strlen(r->req->unit));
	}
	if (r->req->cmdline) {
		strbuf_adds(sb, " cmd=\"");
		text_escape(sb, r->req->cmdline, r->req->cmdline_len);
		strbuf_addc(sb, '"');
	}
	if (r->req->exited)
		strbuf_adds(sb, " (exited)");
	if (ev->count > 1)
		strbuf_addf(sb, " x%u", ev->count);
}

void lost_json(struct strbuf *sb, uint64_t count, const struct timespec *wall)
{
	struct jw w;

	jw_init(&w, sb);
	jw_obj_begin(&w, NULL);
	jw_str(&w, "event", "lost");
	jw_uint(&w, "version", RECORD_VERSION);
	json_time(&w, "time", wall);
	jw_uint(&w, "count", count);
	jw_obj_end(&w);
}

void lost_text(struct strbuf *sb, uint64_t count, const struct timespec *wall)
{
	time_local(sb, wall);
	strbuf_addf(sb, " lost %llu records: the ring buffer was full",
		    (unsigned long long)count);
}
