/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * ratelimit.bpf.h - each uid's budgets of records, so that one user cannot
 * fill the ring buffer that carries everyone's conflicts.
 *
 * A budget is a token bucket (rate_allows()) kept in the uid's entry
 * (uids.bpf.h).  Records of failures spend the budget of rate_interval_ns
 * and rate_tolerance_ns; failures a uid cannot pay for are counted,
 * exactly, in a suppressed record that the flusher (flush.bpf.h) sends per
 * uid and window.  Successful bind()s sent for userspace's ledger and
 * watched successes (filters.bpf.h) have a budget each of their own; a
 * watched success past its budget counts as lost, never silently dropped:
 * a process must not hide its one bind on an expected port behind a loop
 * of others.
 *
 * Must not: send anything (it says yes or no, and counts what it refuses
 * in the uid's entry), nor retry a budget more than CAS_TRIES times: it
 * runs for every record.
 */
#ifndef BW_RATELIMIT_BPF_H
#define BW_RATELIMIT_BPF_H

#include "capture.bpf.h"
#include "filters.bpf.h"
#include "uids.bpf.h"

#define LEDGER_RATE 1000  /* successful bind()s a second per uid sent for the ledger */
#define NSEC_PER_SEC 1000000000ULL

/* Set by the loader between open and load. */
const volatile __u64 rate_interval_ns = 0;        /* rate limit: ns per record per uid, 0: none */
const volatile __u64 rate_tolerance_ns = 0;       /* the burst: (records - 1) * rate_interval_ns */

/*
 * Whether uid u may have one more record at now.  The bucket is kept as
 * GCRA's single "theoretical arrival time": a record moves it rate_interval_ns
 * on from max(tat, now), and is refused when that would put it more than
 * rate_tolerance_ns (the burst) ahead of now.
 */
static __always_inline bool rate_allows(__u64 *tatp, __u64 now, __u64 interval,
					__u64 tolerance)
{
	__u64 tat, base;
	int i;

	for (i = 0; i < CAS_TRIES; i++) {
		tat = *(volatile __u64 *)tatp;
		base = (__s64)(tat - now) > 0 ? tat : now;
		if (base - now > tolerance)
			return false;
		if (__sync_val_compare_and_swap(tatp, tat, base + interval) == tat)
			return true;
	}
	return false; /* the uid's own records keep beating us to it */
}

/*
 * Whether a record standing for n failures of uid may go out at now; if
 * not, they are added to uid's suppressed count, which flush_uid() sends.
 */
static __always_inline bool admit(__u32 uid, __u64 n, __u64 now)
{
	struct bw_uid *u;

	if (!rate_interval_ns)
		return true;
	u = uid_state(uid);
	/* no room to keep a limit for uid, nor to count what it holds back: not limited */
	if (!u || rate_allows(&u->tat, now, rate_interval_ns, rate_tolerance_ns) ||
	    !uid_hold(u, uid))
		return true;
	if (!__sync_fetch_and_add(&u->suppressed, n))
		u->since_ns = now;
	uid_release(u);
	return false;
}

/*
 * Whether a successful bind() of uid may go to the ledger at now: a user
 * binding sockets in a loop must not fill the ring buffer that carries
 * everyone's conflicts.  Past its budget (LEDGER_RATE a second, as many at
 * once) the ledger just does not learn of it; nothing is counted.
 */
static __always_inline bool ledger_admit(__u32 uid, __u64 now)
{
	struct bw_uid *u;

	if (!rate_interval_ns)
		return true;
	u = uid_state(uid);
	return !u || rate_allows(&u->ledger_tat, now, NSEC_PER_SEC / LEDGER_RATE,
				 (LEDGER_RATE - 1) * (NSEC_PER_SEC / LEDGER_RATE));
}

/*
 * The same budget, of its own, for watched successful calls: one past it
 * counts as lost (send() counts what the ring has no room for).
 */
static __always_inline bool watch_admit(__u32 uid, __u64 now)
{
	struct bw_uid *u;

	if (!rate_interval_ns)
		return true;
	u = uid_state(uid);
	if (!u || rate_allows(&u->watch_tat, now, NSEC_PER_SEC / LEDGER_RATE,
			      (LEDGER_RATE - 1) * (NSEC_PER_SEC / LEDGER_RATE)))
		return true;
	lose_uid(uid, 1);
	return false;
}

/* Whether a successful call of uid, whose request req is, goes out at now. */
static __always_inline bool success_admit(const struct bw_request *req, __u32 uid, __u64 now)
{
	if (report & BW_REPORT_SUCCESS && req->watch & REQ_FILTERED)
		return true;
	if (req->watch & REQ_WATCHED)
		return watch_admit(uid, now);
	return ledger_admit(uid, now);
}

#endif /* BW_RATELIMIT_BPF_H */
