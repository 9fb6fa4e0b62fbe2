// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * recvars.c - read a conflict record's hook variables (recvars.h).
 *
 * Every value is text as the record has it: numbers in decimal, comm and
 * exe as the bytes the process chose, a container's and a pod's names as
 * its runtime's files have them (a hook gets them as one argument or one
 * variable, never through a shell).  A value the record lacks (no
 * process holds the port, no rule matched) is absent from the environment
 * and expands to nothing.  An ownership record (unexpected-owner,
 * reuseport-join) has no action: its rule and action are its expect
 * rule's.
 */
#include <stdio.h>
#include "addr.h"
#include "conflict.h"
#include "policy.h"
#include "recvars.h"
#include "workload.h"

/* The main holder, when a process holds the port. */
static const struct holder_info *holder(const struct bw_record *r)
{
	return r->diag && r->diag->n && r->diag->holders[0].h.pid ? &r->diag->holders[0] : NULL;
}

static const char *number(char *buf, unsigned long long v)
{
	snprintf(buf, RECORD_VAR_LEN, "%llu", v);
	return buf;
}

static const char *comm(char *buf, const char *c)
{
	snprintf(buf, RECORD_VAR_LEN, "%.*s", BW_COMM_LEN, c);
	return buf;
}

static const char *port(const struct bw_record *r, char *buf)
{
	return number(buf, r->ev->sock.port);
}

static const char *proto(const struct bw_record *r, char *buf)
{
	return proto_name(buf, RECORD_VAR_LEN, r->ev->sock.type, r->ev->sock.protocol);
}

static const char *addr(const struct bw_record *r, char *buf)
{
	return addr_format(buf, RECORD_VAR_LEN, r->ev->sock.family, r->ev->sock.addr) ? NULL : buf;
}

static const char *req_pid(const struct bw_record *r, char *buf)
{
	return number(buf, r->ev->pid);
}

static const char *req_uid(const struct bw_record *r, char *buf)
{
	return number(buf, r->ev->uid);
}

static const char *req_comm(const struct bw_record *r, char *buf)
{
	return comm(buf, r->ev->comm);
}

static const char *req_exe(const struct bw_record *r, char *buf)
{
	return r->req ? r->req->exe : NULL;
}

static const char *holder_pid(const struct bw_record *r, char *buf)
{
	return holder(r) ? number(buf, holder(r)->h.pid) : NULL;
}

static const char *holder_uid(const struct bw_record *r, char *buf)
{
	return holder(r) ? number(buf, holder(r)->h.sock.uid) : NULL;
}

static const char *holder_comm(const struct bw_record *r, char *buf)
{
	return holder(r) ? comm(buf, holder(r)->h.comm) : NULL;
}

static const char *holder_exe(const struct bw_record *r, char *buf)
{
	return holder(r) ? holder(r)->pi.exe : NULL;
}

/* The workload of the requester, of the main holder: NULL when none. */
static const struct workload *req_wl(const struct bw_record *r)
{
	return r->req ? r->req->workload : NULL;
}

static const struct workload *holder_wl(const struct bw_record *r)
{
	return holder(r) ? holder(r)->pi.workload : NULL;
}

/* Its container's name, else (the runtime's files give none) its id. */
static const char *wl_container(const struct workload *w)
{
	return !w ? NULL : w->name ? w->name : w->id[0] ? w->id : NULL;
}

static const char *wl_image(const struct workload *w)
{
	return w ? w->image : NULL;
}

static const char *wl_runtime(const struct workload *w)
{
	return w && w->runtime[0] ? w->runtime : NULL;
}

static const char *wl_pod(const struct workload *w)
{
	return w ? w->pod.name : NULL;
}

static const char *wl_namespace(const struct workload *w)
{
	return w ? w->pod.namespace : NULL;
}

static const char *req_container(const struct bw_record *r, char *buf)
{
	return wl_container(req_wl(r));
}

static const char *req_image(const struct bw_record *r, char *buf)
{
	return wl_image(req_wl(r));
}

static const char *req_runtime(const struct bw_record *r, char *buf)
{
	return wl_runtime(req_wl(r));
}

static const char *req_pod(const struct bw_record *r, char *buf)
{
	return wl_pod(req_wl(r));
}

static const char *req_namespace(const struct bw_record *r, char *buf)
{
	return wl_namespace(req_wl(r));
}

static const char *holder_container(const struct bw_record *r, char *buf)
{
	return wl_container(holder_wl(r));
}

static const char *holder_image(const struct bw_record *r, char *buf)
{
	return wl_image(holder_wl(r));
}

static const char *holder_runtime(const struct bw_record *r, char *buf)
{
	return wl_runtime(holder_wl(r));
}

static const char *holder_pod(const struct bw_record *r, char *buf)
{
	return wl_pod(holder_wl(r));
}

static const char *holder_namespace(const struct bw_record *r, char *buf)
{
	return wl_namespace(holder_wl(r));
}

static const char *reason(const struct bw_record *r, char *buf)
{
	return r->diag ? conflict_reason_code(r->diag->reason) : NULL;
}

static const char *event(const struct bw_record *r, char *buf)
{
	return record_event_name(r);
}

/* A conflict's matching rule, or an ownership record's expect rule. */
static const char *rule(const struct bw_record *r, char *buf)
{
	return r->action ? r->action->rule : r->expect ? r->expect->name : NULL;
}

static const char *action(const struct bw_record *r, char *buf)
{
	if (r->action)
		return r->action->result ? action_result_name(r->action->result) : r->action->type;
	return r->expect ? policy_action_name(r->expect->action) : NULL;
}

static const char *suppressed(const struct bw_record *r, char *buf)
{
	return r->suppressed ? number(buf, *r->suppressed) : NULL;
}

const struct record_var record_vars[RECORD_VARS] = {
	{ "event", "BINDWATCH_EVENT", false, event },
	{ "port", "BINDWATCH_PORT", false, port },
	{ "proto", "BINDWATCH_PROTO", false, proto },
	{ "addr", "BINDWATCH_ADDR", false, addr },
	{ "requester.pid", "BINDWATCH_REQUESTER_PID", false, req_pid },
	{ "requester.uid", "BINDWATCH_REQUESTER_UID", false, req_uid },
	{ "requester.comm", "BINDWATCH_REQUESTER_COMM", true, req_comm },
	{ "requester.exe", "BINDWATCH_REQUESTER_EXE", true, req_exe },
	{ "holder.pid", "BINDWATCH_HOLDER_PID", false, holder_pid },
	{ "holder.uid", "BINDWATCH_HOLDER_UID", false, holder_uid },
	{ "holder.comm", "BINDWATCH_HOLDER_COMM", true, holder_comm },
	{ "holder.exe", "BINDWATCH_HOLDER_EXE", true, holder_exe },
	/* workloads (workload.h): named by whoever can start a container */
	{ "requester.container", "BINDWATCH_REQUESTER_CONTAINER", true, req_container },
	{ "requester.image", "BINDWATCH_REQUESTER_IMAGE", true, req_image },
	{ "requester.runtime", "BINDWATCH_REQUESTER_RUNTIME", false, req_runtime },
	{ "requester.pod", "BINDWATCH_REQUESTER_POD", true, req_pod },
	{ "requester.namespace", "BINDWATCH_REQUESTER_NAMESPACE", true, req_namespace },
	{ "holder.container", "BINDWATCH_HOLDER_CONTAINER", true, holder_container },
	{ "holder.image", "BINDWATCH_HOLDER_IMAGE", true, holder_image },
	{ "holder.runtime", "BINDWATCH_HOLDER_RUNTIME", false, holder_runtime },
	{ "holder.pod", "BINDWATCH_HOLDER_POD", true, holder_pod },
	{ "holder.namespace", "BINDWATCH_HOLDER_NAMESPACE", true, holder_namespace },
	{ "reason", "BINDWATCH_REASON", false, reason },
	{ "rule", "BINDWATCH_RULE", false, rule },
	{ "action", "BINDWATCH_ACTION", false, action },
	{ "suppressed", "BINDWATCH_SUPPRESSED", false, suppressed },
};

void record_vars_names(struct template_var vars[RECORD_VARS])
{
	size_t i;

	for (i = 0; i < RECORD_VARS; i++)
		vars[i] = (struct template_var){ record_vars[i].name, NULL, record_vars[i].chosen };
}

void record_vars_values(const struct bw_record *r, struct template_var vars[RECORD_VARS],
			char bufs[RECORD_VARS][RECORD_VAR_LEN])
{
	size_t i;

	record_vars_names(vars);
	for (i = 0; i < RECORD_VARS; i++)
		vars[i].value = record_vars[i].value(r, bufs[i]);
}
