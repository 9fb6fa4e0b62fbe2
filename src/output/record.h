/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * record.h - the two renderings of a record (event.h): a readable line and
 * a JSON object (the public schema, documented in
 * doc/records.md), and those of the records about bindwatch itself (loss,
 * suppressed failures, dropped hooks).
 */
#ifndef BW_RECORD_H
#define BW_RECORD_H

#include <stdint.h>
#include <time.h>
#include <linux/types.h>
#include "event.h"
#include "strbuf.h"

#define RECORD_VERSION 1

/* "fexit", "tracepoint", or "auto" for another value (enum bw_mode). */
const char *mode_name(int mode);

/* An incident-end record's "end": "resolved", "idle" or "evicted". */
const char *incident_end_name(enum incident_end end);

/* Names both renderings give: "bind" or "listen"; "LISTEN", "UDP", ... of a holder's socket. */
const char *record_syscall_name(const struct bw_event *ev);
const char *record_state_name(const struct bw_holder *h);
/* How the call reached the socket: "syscall", "io_uring" or "kernel" (enum bw_call_via). */
const char *record_via_name(const struct bw_event *ev);
/* "TERM" for SIGTERM (into nothing); the number, in buf (len bytes), for one without a name. */
const char *record_signal_abbrev(char *buf, size_t len, int sig);

/* Append one line / one JSON object, each without the trailing newline. */
void record_text(struct strbuf *sb, const struct bw_record *r);
/* The text line without its time, for logs that stamp their own (syslog). */
void record_summary(struct strbuf *sb, const struct bw_record *r);
void record_json(struct strbuf *sb, const struct bw_record *r);
/*
 * A hook's copy of a conflict's JSON record json (record_json()): with
 * "suppressed": the conflicts of its incident not alerted since, and a
 * newline.
 */
void record_json_suppressed(struct strbuf *sb, const struct strbuf *json, uint64_t suppressed);

/* The answer of `bindwatch who`: the sockets on port (proto may be NULL). */
void who_text(struct strbuf *sb, const struct holder_info *v, size_t n);
void who_json(struct strbuf *sb, const struct holder_info *v, size_t n,
	      unsigned int port, const char *proto, __u32 netns,
	      const struct timespec *wall);

/*
 * The answer of `bindwatch check`: r->ev is the intended call, r->diag what
 * blocks it (free when it has no holders), rendered with a conflict
 * record's holders, reason and reason_text; reuseaddr_frees: SO_REUSEADDR
 * on the new socket alone would make it free.
 */
void check_text(struct strbuf *sb, const struct bw_record *r, bool reuseaddr_frees);
void check_json(struct strbuf *sb, const struct bw_record *r, bool reuseaddr_frees);

/*
 * A namespace's ephemeral ports (ephemeral.h): appended to a record's line
 * (ephemeral_summary()), and as `who --ephemeral` prints them
 * (netns_name: its name, "" for none), wall the time of the answer.
 */
struct eph_view;
void ephemeral_summary(struct strbuf *sb, const struct eph_view *v);
void ephemeral_text(struct strbuf *sb, const struct eph_view *v, const char *netns_name);
void who_ephemeral_json(struct strbuf *sb, const struct eph_view *v, const char *netns_name,
			const struct timespec *wall);

/*
 * Records the kernel could not deliver (ring buffer full), in failures:
 * of uid, or of no uid known (uid NULL).
 */
void lost_text(struct strbuf *sb, const uint32_t *uid, uint64_t count,
	       const struct timespec *wall);
void lost_summary(struct strbuf *sb, const uint32_t *uid, uint64_t count);
void lost_json(struct strbuf *sb, const uint32_t *uid, uint64_t count,
	       const struct timespec *wall);

/*
 * count failures of uid that its rate limit held back, the first of them at
 * since (all of them before wall).
 */
void suppressed_text(struct strbuf *sb, uint32_t uid, uint64_t count,
		     const struct timespec *since, const struct timespec *wall);
void suppressed_summary(struct strbuf *sb, uint32_t uid, uint64_t count,
			const struct timespec *since);
void suppressed_json(struct strbuf *sb, uint32_t uid, uint64_t count,
		     const struct timespec *since, const struct timespec *wall);

/* Records not handed to an alert hook: its queue was full (hooks.h). */
void hooks_dropped_text(struct strbuf *sb, uint64_t count, const struct timespec *wall);
void hooks_dropped_summary(struct strbuf *sb, uint64_t count);
void hooks_dropped_json(struct strbuf *sb, uint64_t count, const struct timespec *wall);

#endif /* BW_RECORD_H */
