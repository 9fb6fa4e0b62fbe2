/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * replay.h - what a policy would decide now for the conflicts a log holds
 * (bindwatch check-policy FILE --replay LOG).
 *
 * Each line of LOG is one of bindwatch's JSON records (doc/records.md).
 * For a conflict record the answer names the rule that matches, with the
 * decision the record alone can support beside what the record shows
 * happened, and for each rule naming the port that was tried before it
 * (or for every one, when none matches) the first condition that failed,
 * with both values.  A summary counts the answers by rule and outcome.
 * Matching is policy.c's own (policy_rule_holds()), on the processes as
 * the record describes them:
 *
 *  - comm, exe, cmdline, unit, user_unit and the container id as
 *    recorded; the container only from the system manager's part of the
 *    cgroup path, as the reclaimer takes it.  The workload (container
 *    and pod names, and whether the process is a runtime's port proxy)
 *    as recorded: the monitor took it from that part too.
 *  - uid: the requester's real uid; the holder's is the socket's owner
 *    (the monitor reads the live process's uid, mostly the same).
 *  - age: from the process's start to the call (mono_ns minus
 *    start_boottime_ns: exact unless the machine slept since boot); the
 *    monitor measures it when it decides, a moment later.
 *  - state: LISTEN and BOUND as listen and bound; a UDP socket's state
 *    is not recorded, so a state condition on it is unknown and fails.
 *
 * A reclaim is checked as far as the record allows: no process holding
 * the socket, PID 1, the requester itself, a runtime's port proxy, the
 * protect list and the cross-user rule (doc/security.md) on the recorded
 * uids.  What
 * needs the live processes (the uid of a live holder, the pidfd and
 * start-time check, the processes sharing the socket, the cooldown) is
 * not replayed: the answer is "would reclaim, if the live checks pass".
 *
 * The log is untrusted input: a user's comm and command line are in it,
 * and it may be truncated or corrupt.  A line that is not a bindwatch
 * record is refused with why, the caller reports it with its line number
 * and goes on; every value printed is escaped.
 */
#ifndef BW_REPLAY_H
#define BW_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include "policy.h"
#include "strbuf.h"

#define REPLAY_LINE_MAX (1024 * 1024) /* bytes of one log line, its newline excluded */
#define REPLAY_SUMMARY_ROWS 64        /* (rule, outcome now, outcome logged) kept apart */

/*
 * What a conflict came to: in the log (its record's action) and under
 * the policy now.  The words are replay.c's (replay_outcome_name()).
 */
enum replay_outcome {
	OUTCOME_NO_RULE, OUTCOME_LOG, OUTCOME_ALERT, OUTCOME_PROBE, OUTCOME_WOULD_RECLAIM,
	OUTCOME_RECLAIMED, OUTCOME_DRY_RUN, OUTCOME_PROTECTED, OUTCOME_COOLDOWN,
	OUTCOME_IN_PROGRESS, OUTCOME_FAILED, OUTCOME_TIMEOUT,
	OUTCOME_UNKNOWN, /* a logged outcome this version does not know */
	OUTCOMES
};

/*
 * The conflicts replayed, counted by the rule that matches now and what
 * it would do, and by what the log shows happened; past
 * REPLAY_SUMMARY_ROWS distinct rows, in other.
 */
struct replay_row {
	const struct policy_rule *rule; /* NULL: no rule matches */
	enum replay_outcome now, logged;
	unsigned long count;
};

struct replay_summary {
	struct replay_row rows[REPLAY_SUMMARY_ROWS];
	size_t n;
	unsigned long other;
};

/*
 * Decide the log line line[0..len) (without its newline) under p and
 * append the answer to out, ending in a newline: text, or with json one
 * JSON object; name and lineno are where the line is from.  The answer
 * is counted in sum (if not NULL).  Returns 0, -ENOMSG for a record of
 * another event (nothing appended), -EINVAL for a line that is no
 * bindwatch record, with why in err (of size errlen).
 */
int replay_line(const struct policy *p, const char *name, unsigned long lineno,
		const char *line, size_t len, bool json, struct strbuf *out,
		struct replay_summary *sum, char *err, size_t errlen);

/*
 * Append sum to out: text, one line per rule and outcome now with what
 * the log shows for them ("  rule stale (line 3): would reclaim: 207
 * (logged: reclaimed 200, cooldown 7)"), or with json one object,
 * {"summary":[{"rule","line","now","count","logged":{OUTCOME:N}}]}.
 */
void replay_summary_write(const struct replay_summary *sum, bool json, struct strbuf *out);

#endif /* BW_REPLAY_H */
