// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * recvars.c - read a conflict record's hook variables (recvars.h).
 *
 * Every value is text as the record has it: numbers in decimal, comm and
 * exe as the bytes the process chose (a hook gets them as one argument or
 * one variable, never through a shell).  A value the record lacks (no
 * process holds the port, no rule matched) is absent from the environment
 * and expands to nothing.
 */
#include <stdio.h>
#include "addr.h"
#include "conflict.h"
#include "recvars.h"

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

static const char *reason(const struct bw_record *r, char *buf)
{
	return r->diag ? conflict_reason_code(r->diag->reason) : NULL;
}

static const char *rule(const struct bw_record *r, char *buf)
{
	return r->action ? r->action->rule : NULL;
}

static const char *action(const struct bw_record *r, char *buf)
{
	if (!r->action)
		return NULL;
	return r->action->result ? action_result_name(r->action->result) : r->action->type;
}

static const char *suppressed(const struct bw_record *r, char *buf)
{
	return r->suppressed ? number(buf, *r->suppressed) : NULL;
}

const struct record_var record_vars[RECORD_VARS] = {
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
