// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * record.c - the names a record's values are given, the same in both
 * renderings: JSON (record_json.c) and text (record_text.c).
 *
 * It owns those names; it must not render or write a record.
 *
 * A name is part of the public schema (a value in the JSON, a word in the
 * text): one may be added, never changed.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include "record.h"
#include "util.h"

const char *incident_end_name(enum incident_end end)
{
	switch (end) {
	case INCIDENT_RESOLVED:
		return "resolved";
	case INCIDENT_IDLE:
		return "idle";
	default:
		return "evicted";
	}
}

const char *record_syscall_name(const struct bw_event *ev)
{
	if (ev->syscall == BW_SYS_CONNECT)
		return "connect";
	return ev->syscall == BW_SYS_LISTEN ? "listen" : "bind";
}

const char *record_via_name(const struct bw_event *ev)
{
	switch (ev->via) {
	case BW_CALL_IO_URING:
		return "io_uring";
	case BW_CALL_KERNEL:
		return "kernel";
	default:
		return "syscall";
	}
}

const char *mode_name(int mode)
{
	switch (mode) {
	case BW_MODE_FEXIT:
		return "fexit";
	case BW_MODE_TRACEPOINT:
		return "tracepoint";
	case BW_MODE_CGROUP:
		return "cgroup";
	default:
		return "auto";
	}
}

const char *record_state_name(const struct bw_holder *h)
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

/* "TERM" for SIGTERM; the number for a signal without a name. */
const char *record_signal_abbrev(char *buf, size_t len, int sig)
{
	const char *name = sigabbrev_np(sig);

	if (name)
		return name;
	snprintf(buf, len, "%d", sig);
	return buf;
}
