// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * monitor.c - `bindwatch [OPTIONS]`: the monitor and its event loop.
 *
 * It owns the monitor's life and the wiring of the pipeline (capture ->
 * enrich -> explain -> decide -> output); it must not hold the logic of any
 * stage.
 *
 * parse options -> check what they name (--cgroup, --exec) -> check
 * capabilities -> take the monitor lock -> open sinks -> load and attach
 * (the loader picks the mode) -> drop the capabilities the running monitor
 * does not use (keep_caps()) -> say "ready" -> poll the ring buffer until
 * SIGINT/SIGTERM -> detach, drain what is left, print a summary.
 *
 * The kernel batches wakeups: after a wakeup, records that follow within its
 * wakeup interval are queued silently.  So while records flow the poll times
 * out after BUSY_POLL_MS and drains the ring anyway; once a drain finds
 * nothing, the loop idles with a long timeout.  Each record is enriched
 * (enrich.c) as soon as it arrives, while the requester most likely still
 * exists, and a conflict diagnosed (diagnose.c); a successful call goes to
 * ownership.c, which writes what it did to a port's ownership, if anything.
 * With a policy, conflicts on ports a rule names go to the decider's thread
 * (decider.c), which writes them once decided; records are written under
 * one lock, whichever thread writes them, a conflict through its incident
 * (incident_log.c: a crash loop's records add up across its processes),
 * and each record's JSON is rendered once for every sink and hook
 * (write_record()).  The kernel reports successful calls on the ports of
 * open incidents too, and one of the incident's requester resolves it.  Once per tick (TICK_MS,
 * or the storm window if shorter) the kernel's flush_storms runs: the
 * storms that went quiet send their last window's count, idle ones are
 * retired, and each uid whose rate limit held failures back gets its
 * suppressed record, and each whose records the ring had no room for its
 * lost record (see bpf/bindwatch.bpf.c); incidents write what they held
 * back and end when idle; then the kernel's count of the
 * loss it could name no uid for is checked, and any is written out as a
 * lost record of no uid.  SIGHUP reopens the log and reads the policy
 * anew, once: the decider's rules and the expect rules are that one read's
 * (load_policy()).
 */
#include <errno.h>
#include <linux/capability.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <bpf/libbpf.h>
#include "cgroup.h"
#include "cmd.h"
#include "decider.h"
#include "diagnose.h"
#include "enrich.h"
#include "ephemeral.h"
#include "exitcode.h"
#include "holders.h"
#include "hooks.h"
#include "identity.h"
#include "incident_log.h"
#include "kcaller.h"
#include "instance.h"
#include "ledger.h"
#include "loader.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "options.h"
#include "output.h"
#include "ownership.h"
#include "policy.h"
#include "privs.h"
#include "procinfo.h"
#include "reclaim.h"
#include "record.h"
#include "stallguard.h"
#include "usage.h"
#include "util.h"

#define BUSY_POLL_MS 10   /* > the kernel's wakeup interval */
#define TICK_MS 1000      /* the longest poll, and the loss check interval */
#define SWEEP_MS 20       /* the poll while the cgroup mode keeps calls undecided */
#define EPH_SAMPLE_NS (5 * NSEC_PER_SEC) /* how often the ephemeral gauges are sampled */

static volatile sig_atomic_t exiting;
static volatile sig_atomic_t reopen; /* SIGHUP: logrotate moved the log */

struct monitor {
	struct bw_loader loader;
	struct ledger *ledger;   /* binds seen, to say who bound a held port */
	struct walk_budget *walks; /* each uid's walks of every process */
	bool show_success;       /* --all: print successful calls too */
	struct holders *holders; /* NULL when the kernel lacks the iterators */
	struct metrics *metrics; /* NULL without --metrics */
	struct hooks hooks;      /* --exec and the policy's exec */
	struct incident_log *incidents; /* conflict incidents; under out_lock */
	uint64_t watched[PORTLIST_WORDS]; /* the ports whose successes the kernel reports */
	struct reclaimer *reclaim; /* NULL without --policy */
	struct decider *decider; /* runs reclaim while capture runs; then NULL */
	pthread_mutex_t out_lock; /* out and metrics: both threads write */
	uint64_t undecided;      /* conflicts the decider had no room for */
	unsigned int stuck;      /* command-line reads that hung, as reported */
	/*
	 * --policy, the one in force: this thread's reference, for its expect
	 * rules; the decider holds another (one read, one object: policy.h)
	 */
	struct policy *policy;
	struct ownership own;    /* successful calls on expected ports, SO_REUSEPORT joins */
	const char *policy_path;
	int diag_err;            /* the last holder lookup's error, 0 */
	int kcaller_err;         /* the last kernel caller lookup's error, 0 */
	FILE *kallsyms;          /* for naming the kernel's own binders (kcaller.h); NULL: none */
	struct kcaller_memo *kcallers; /* by kernel stack id, BW_KSTACKS_MAX; NULL until one */
	struct output out;
	struct enricher enrich;  /* the requester's /proc, devices, namespaces */
	uint64_t lost;       /* loss already reported, of uids and of none */
	uint64_t lost_nouid; /* the kernel's count of loss of no uid, as last read */
	uint64_t tick_ms;    /* how often flush() runs */
	uint64_t last_tick;  /* CLOCK_MONOTONIC ns of its last run */
	struct eph_watch eph_watch; /* namespaces the ephemeral gauges may show */
	uint64_t eph_sampled; /* CLOCK_MONOTONIC ns of the gauges' last sample */
	int tick_err;        /* the last tick's error, 0 */
	int sweep_err;       /* the last sweep's error, 0 */
};

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		reopen = 1;
	else
		exiting = 1;
}

/* The time on clock clk of mono_ns, a CLOCK_MONOTONIC stamp taken a moment ago. */
static uint64_t clock_at(clockid_t clk, uint64_t mono_ns)
{
	uint64_t t = now_ns(clk), mono = now_ns(CLOCK_MONOTONIC);

	return t - (mono > mono_ns ? mono - mono_ns : 0);
}

/* Wall-clock time of the same. */
static void wall_time(uint64_t mono_ns, struct timespec *wall)
{
	uint64_t t = clock_at(CLOCK_REALTIME, mono_ns);

	wall->tv_sec = t / NSEC_PER_SEC;
	wall->tv_nsec = t % NSEC_PER_SEC;
}

/*
 * Write r out and hand it to the hooks whose alert is due (--exec, the
 * exec of the rule r's action names), with the JSON the record was
 * written with; under out_lock.
 */
static void write_record(void *arg, const struct bw_record *r)
{
	struct monitor *m = arg;
	struct strbuf json;

	strbuf_init(&json);
	/* rendered once, for every consumer */
	if (output_wants_json(&m->out) || hooks_wanted(&m->hooks, r))
		record_json(&json, r);
	output_record(&m->out, r, &json);
	hooks_alert(&m->hooks, r, &json);
	strbuf_free(&json);
}

/*
 * Count r and write it, a conflict through its incident (which may hold
 * it back, to be written with the next); called by the ring-buffer thread
 * and the decider's.
 */
static void emit(void *arg, const struct bw_record *r)
{
	struct monitor *m = arg;

	pthread_mutex_lock(&m->out_lock);
	/* counted first: whoever reads the record may scrape right after */
	metrics_record(m->metrics, r);
	if (r->action)
		metrics_reclaim(m->metrics, r->action->result);
	/* a probe's conflict (a configuration test) is no outage: written as it comes */
	if (r->kind == RECORD_CALL && r->ev->ret == -EADDRINUSE && !record_probe(r))
		incident_log_conflict(m->incidents, r, now_ns(CLOCK_MONOTONIC));
	else
		write_record(m, r);
	pthread_mutex_unlock(&m->out_lock);
}

/* Whether the successful call ev may resolve an open incident: its requester is then read. */
static bool resolves(struct monitor *m, const struct bw_event *ev)
{
	bool open;

	pthread_mutex_lock(&m->out_lock);
	open = incident_log_open_on(m->incidents, ev->sock.port, ev->sock.protocol, ev->sock.netns);
	pthread_mutex_unlock(&m->out_lock);
	return open;
}

/*
 * Decide r on this thread (the decider has stopped): true when r was
 * taken, by a reclaim or written here; false when it is to be written
 * undecided (out of memory).
 */
static bool decide_here(struct monitor *m, struct bw_record *r, struct record_action *act,
			struct proc_info *pi, struct diagnosis *diag)
{
	struct held_record rec;
	struct bw_record view;

	if (held_record_take(&rec, r, pi, diag))
		return false;
	held_record_view(&rec, &view);
	if (!reclaim_decide(m->reclaim, &rec, &view, act))
		emit(m, &view);
	held_record_free(&rec);
	return true;
}

/*
 * The policy's say on the diagnosed conflict r: true when r was taken
 * (queued for the decider, or, once it has stopped, decided here), false
 * when r is to be written now.
 */
static bool decide(struct monitor *m, struct bw_record *r, struct record_action *act,
		   struct proc_info *pi, struct diagnosis *diag)
{
	int err;

	if (!m->decider) /* stopped: what the last drain finds is decided here */
		return decide_here(m, r, act, pi, diag);
	if (!decider_names(m->decider, r->ev->sock.port, r->ev->sock.protocol))
		return false;
	err = decider_submit(m->decider, r, pi, diag);
	/* say so once: the count is in the summary at exit */
	if (err && !m->undecided++)
		warn("a conflict on port %u by uid %u is written without a policy decision: %s",
		     r->ev->sock.port, r->ev->uid, err == -EBUSY ?
		     "too many of that user's conflicts are waiting for one" : strerror(-err));
	return !err;
}

/* Write and count a loss of count failures of uid (NULL: of no uid known); under out_lock. */
static void report_lost(struct monitor *m, const uint32_t *uid, uint64_t count)
{
	output_lost(&m->out, uid, count);
	metrics_lost(m->metrics, count);
	m->lost += count;
}

/* What the kernel lost since the last look and could name no uid for; under out_lock. */
static void report_lost_nouid(struct monitor *m)
{
	uint64_t stats[BW_STAT_MAX], lost;

	if (loader_stats(&m->loader, stats))
		return;
	lost = stats[BW_STAT_LOST] + stats[BW_STAT_NOSLOT];
	if (lost > m->lost_nouid)
		report_lost(m, NULL, lost - m->lost_nouid);
	m->lost_nouid = lost;
}

/* What a kernel stack's frames named (kernel_caller()). */
struct kcaller_memo {
	bool named;       /* looked up: err and kc hold the answer */
	int err;
	struct kcaller kc;
};

/*
 * The function and module that made the kernel's own bind ev: from its
 * stack, which the kernel keeps, and kallsyms.  A pass over kallsyms takes
 * tens of ms (most of it the kernel's), and a user may make the kernel bind
 * in a namespace of its own over and over: each stack is named once, by
 * its id, which the kernel never gives another stack.  0 or -errno; a
 * failure is said once per kind.
 */
static int kernel_caller(struct monitor *m, const struct bw_event *ev, struct kcaller *kc)
{
	uint64_t ips[BW_KSTACK_DEPTH];
	struct kcaller_memo *memo;
	int n;

	if (!ev->kstack || ev->kstack > BW_KSTACKS_MAX)
		return -ENOENT;
	if (!m->kcallers && !(m->kcallers = calloc(BW_KSTACKS_MAX, sizeof(*m->kcallers))))
		return -ENOMEM;
	memo = &m->kcallers[ev->kstack - 1];
	if (!memo->named) {
		n = loader_kstack(&m->loader, ev->kstack, ips);
		memo->err = n < 0 ? n : kcaller_name(m->kallsyms, ips, n, &memo->kc);
		memo->named = true;
		if (memo->err && memo->err != -ENOENT && memo->err != m->kcaller_err)
			warn("cannot name the kernel function that bound: %s", strerror(-memo->err));
		m->kcaller_err = memo->err;
	}
	*kc = memo->kc;
	return memo->err;
}

/*
 * The ephemeral range of ev's namespace and who holds it, into v: NULL
 * when it could not be read, or ev's uid has no walk of every process
 * left (the holders are found by one).
 */
static const struct eph_view *ephemeral_of(struct monitor *m, const struct bw_event *ev,
					   struct eph_view *v)
{
	int err;

	if (!walk_budget_take(m->walks, ev->uid, now_ns(CLOCK_MONOTONIC))) {
		metrics_walk_skipped(m->metrics);
		return NULL;
	}
	err = ephemeral_for(ev, v);
	/* say so once per kind of failure, as for the holders */
	if (err && err != m->diag_err)
		warn("reading the ephemeral ports of netns %u failed: %s", ev->sock.netns,
		     strerror(-err));
	m->diag_err = err;
	return err ? NULL : v;
}

static int handle_event(void *arg, void *data, size_t size)
{
	struct monitor *m = arg;
	const struct bw_event *ev = data;
	struct bw_record r = { .ev = ev };
	struct record_action act;
	struct diagnosis diag = {};
	struct eph_view eph;
	struct proc_info pi;
	struct kcaller kc;

	if (size < sizeof(*ev) || ev->version != BW_ABI_VERSION) {
		warn("ignoring a record of unknown layout (%zu bytes)", size);
		return 0;
	}
	wall_time(ev->ts_ns, &r.wall);
	if (ev->kind == BW_EVENT_SUPPRESSED) {
		struct timespec since;

		wall_time(ev->since_ns, &since);
		pthread_mutex_lock(&m->out_lock);
		output_suppressed(&m->out, ev->uid, ev->count, &since, &r.wall);
		metrics_suppressed(m->metrics, ev->count);
		pthread_mutex_unlock(&m->out_lock);
		return 0;
	}
	if (ev->kind == BW_EVENT_LOST) {
		pthread_mutex_lock(&m->out_lock);
		report_lost(m, &ev->uid, ev->count);
		pthread_mutex_unlock(&m->out_lock);
		return 0;
	}
	if (!ev->ret && ev->syscall == BW_SYS_BIND)
		ledger_add(m->ledger, ev, &r.wall);
	if (!ev->ret)
		ownership_check(&m->own, m->holders, m->ledger, ev, &r.wall);
	if (!ev->ret && !m->show_success && !resolves(m, ev))
		return 0;
	r.boot_ns = clock_at(CLOCK_BOOTTIME, ev->ts_ns);
	enrich_event(&m->enrich, ev, &pi, r.bound_dev, r.netns_name);
	r.req = &pi;
	if (!ev->ret) {
		pthread_mutex_lock(&m->out_lock);
		incident_log_success(m->incidents, &r);
		pthread_mutex_unlock(&m->out_lock);
	}
	if (!ev->ret && !m->show_success) {
		procinfo_free(&pi);
		return 0;
	}
	if (event_conflict(ev) && (m->holders || !ev->sock.port)) {
		uint64_t t0 = now_ns(CLOCK_MONOTONIC);
		int err = diagnose(m->holders, m->ledger, m->walks, ev, &diag);

		metrics_lookup(m->metrics, (double)(now_ns(CLOCK_MONOTONIC) - t0) / NSEC_PER_SEC);
		if (diag.walk_skipped)
			metrics_walk_skipped(m->metrics);
		/* say so once per kind of failure, not once per record */
		if (err && err != m->diag_err)
			warn("holder lookup failed: %s; records say \"unknown\"", strerror(-err));
		m->diag_err = err;
		r.diag = &diag;
	}
	if (event_ephemeral(ev)) {
		r.ephemeral = ephemeral_of(m, ev, &eph);
		eph_watch_note(&m->eph_watch, ev, r.netns_name);
	}
	/* after the holders, which may go any moment: a pass over kallsyms takes a while */
	if (ev->via == BW_CALL_KERNEL && !kernel_caller(m, ev, &kc))
		r.kcaller = &kc;
	/* a decision or a reclaim under way writes the record later */
	if (!(m->reclaim && r.diag && decide(m, &r, &act, &pi, &diag)))
		emit(m, &r);
	if (r.ephemeral)
		eph_view_free(&eph);
	diagnosis_free(&diag);
	procinfo_free(&pi);
	return 0;
}


/*
 * Have the kernel report successful calls on the ports the policy in
 * force expects, and on those of open incidents (the call that resolves
 * one); under out_lock.
 */
static void watch_expected(struct monitor *m)
{
	uint64_t ports[PORTLIST_WORDS] = { 0 };

	if (m->policy)
		policy_expect_ports(m->policy, ports);
	incident_log_ports(m->incidents, ports);
	if (!memcmp(ports, m->watched, sizeof(ports)))
		return;
	memcpy(m->watched, ports, sizeof(ports));
	loader_set_expect(&m->loader, ports);
}

/* Say when a process made a read of its memory hang, once per new one. */
static void report_stuck(struct monitor *m)
{
	unsigned int stuck = stallguard_stuck();

	if (stuck == m->stuck)
		return;
	m->stuck = stuck;
	warn("a read of a process's command line did not finish within %u ms (%u so far)%s",
	     STALLGUARD_WAIT_MS, stuck, stuck >= STALLGUARD_STUCK_MAX ?
	     "; no more are tried: records show command lines as the kernel captured them "
	     "at the call" : "; its command line is unknown");
}

/*
 * Send what quiet storms and rate limits owe (all: every storm, at exit),
 * then the loss and the hooks dropped; retry writes that failed.
 */
static void flush(struct monitor *m, struct ring_buffer *rb, bool all)
{
	uint64_t dropped;
	int err = loader_flush(&m->loader, all);

	ring_buffer__consume(rb);
	/* say so once per kind of failure, not once per tick */
	if (err && err != m->tick_err)
		warn("flushing storm counts failed: %s", strerror(-err));
	m->tick_err = err;
	pthread_mutex_lock(&m->out_lock);
	incident_log_tick(m->incidents, now_ns(CLOCK_MONOTONIC), all);
	watch_expected(m);
	report_lost_nouid(m);
	dropped = hooks_take_dropped(&m->hooks);
	if (dropped) {
		output_hooks_dropped(&m->out, dropped);
		metrics_hooks_dropped(m->metrics, dropped);
	}
	output_retry(&m->out);
	pthread_mutex_unlock(&m->out_lock);
	report_stuck(m);
	m->last_tick = now_ns(CLOCK_MONOTONIC);
	if (m->metrics && m->last_tick - m->eph_sampled >= EPH_SAMPLE_NS) {
		struct eph_gauge g[EPH_GAUGE_NETNS];

		metrics_ephemeral(m->metrics, g, eph_watch_sample(&m->eph_watch, g));
		m->eph_sampled = m->last_tick;
	}
}

/* Once per pattern: the match gave up, so the rule did not apply where it might have. */
static void on_limit(void *arg, const struct policy_rule *r, const char *side, const char *why)
{
	warn("rule %s (line %u): its %s cmdline pattern gave up on a command line (%s) and "
	     "counts as not matching; further cases are not reported", r->name, r->line, side, why);
}

/*
 * Read the policy file path once: the decider's rules and the expect rules
 * both come from this one read, so a file replaced while it is being read
 * can never give them from two files.  0, or -errno with why in err.
 */
static int load_policy(const char *path, struct policy **out, char *err, size_t len)
{
	int rc = policy_load(path, out, err, len);

	/* before anyone else holds it: it is immutable from then on */
	if (!rc)
		(*out)->on_limit = on_limit;
	return rc;
}

/* SIGHUP: read the policy anew; a bad one leaves the running one in force. */
static void reload_policy(struct monitor *m)
{
	struct policy *p;
	char err[512];

	if (!m->reclaim)
		return;
	if (load_policy(m->policy_path, &p, err, sizeof(err))) {
		warn("policy not reloaded, the previous one stays in force: %s", err);
		return;
	}
	warn("policy reloaded from %s: %zu %s, %zu expect %s", m->policy_path, p->nrules,
	     plural(p->nrules, "rule", "rules"), p->nexpects, plural(p->nexpects, "rule", "rules"));
	decider_reload(m->decider, policy_ref(p));
	policy_free(m->policy);
	m->policy = p;
	m->own.expect = p;
	metrics_expect(m->metrics, p); /* said why if not */
	pthread_mutex_lock(&m->out_lock);
	watch_expected(m);
	pthread_mutex_unlock(&m->out_lock);
}

/*
 * How long to wait for records: short while hooks or reclaims run, or
 * while the cgroup mode keeps calls whose outcome only a sweep may tell.
 */
static int poll_ms(const struct monitor *m, bool busy)
{
	int ms = busy ? BUSY_POLL_MS : (int)m->tick_ms;

	return loader_pending(&m->loader) && ms > SWEEP_MS ? SWEEP_MS : ms;
}

/* Decide the cgroup mode's kept calls that are over; its records are read at the next poll. */
static void sweep(struct monitor *m)
{
	int err;

	if (!loader_pending(&m->loader))
		return;
	err = loader_sweep(&m->loader);
	/* once per kind of failure, as flush() says its own */
	if (err && err != m->sweep_err)
		warn("sweeping the cgroup mode's undecided calls failed: %s", strerror(-err));
	m->sweep_err = err;
}

static int poll_loop(struct monitor *m, struct ring_buffer *rb)
{
	bool busy = false;
	int n;

	while (!exiting && !m->out.closed) {
		if (reopen) {
			reopen = 0;
			pthread_mutex_lock(&m->out_lock);
			output_reopen(&m->out);
			pthread_mutex_unlock(&m->out_lock);
			reload_policy(m);
		}
		n = ring_buffer__poll(rb, poll_ms(m, busy));
		if (n == -EINTR)
			continue;
		/* records submitted without a wakeup wait for the timeout */
		if (n == 0)
			n = ring_buffer__consume(rb);
		if (n < 0) {
			warn("reading the ring buffer failed: %s", strerror(-n));
			return n;
		}
		/* running hooks and reclaims need checking: stay awake */
		busy = n > 0;
		busy |= hooks_tend(&m->hooks);
		sweep(m);
		if (now_ns(CLOCK_MONOTONIC) - m->last_tick >= m->tick_ms * NSEC_PER_MSEC)
			flush(m, rb, false);
	}
	return 0;
}

static int install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	/* no SA_RESTART: a signal must interrupt the poll */
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL) ||
	    sigaction(SIGHUP, &sa, NULL))
		return -errno;
	sa.sa_handler = SIG_IGN;
	return sigaction(SIGPIPE, &sa, NULL) ? -errno : 0;
}

/* Whether hooks run: --exec, or a rule's exec in p, the policy read at start. */
static bool hooks_run(const struct bw_options *o, const struct policy *p)
{
	size_t i;

	for (i = 0; p && i < p->nrules; i++)
		if (p->rules[i].exec)
			return true;
	return o->exec != NULL;
}

/*
 * The capabilities a monitor uses once attached (bindwatch(8), CAPABILITIES):
 * reading other users' /proc entries and naming cgroups by id; entering
 * another network namespace to name a holder there (CAP_SYS_ADMIN: only
 * with holder lookup); signalling a stale holder (only with a policy that
 * may reclaim), or what a hook left behind when no cgroup.kill ends it
 * (hooks_signal()).  bind_low: also CAP_NET_BIND_SERVICE, until the
 * metrics server has bound its port.
 */
static privs_set keep_caps(const struct monitor *m, const struct bw_options *o, bool bind_low)
{
	privs_set keep = PRIV(CAP_DAC_READ_SEARCH) | PRIV(CAP_SYS_PTRACE);

	if (m->holders)
		keep |= PRIV(CAP_SYS_ADMIN);
	if ((o->policy_path && !o->dry_run) || (hooks_run(o, m->policy) && hooks_signal(&m->hooks)))
		keep |= PRIV(CAP_KILL);
	if (bind_low)
		keep |= PRIV(CAP_NET_BIND_SERVICE);
	return keep;
}

/* Give up what keep_caps() does not name; a failure is said, not fatal. */
static void drop_caps(const struct monitor *m, const struct bw_options *o, bool bind_low)
{
	int err = privs_drop(keep_caps(m, o, bind_low));

	if (err)
		warn("cannot drop capabilities: %s", strerror(-err));
}

static int run(struct monitor *m, const struct bw_options *o)
{
	struct holders_loading *loading = NULL;
	struct ring_buffer *rb;
	int err, loaded;

	/* the two loads side by side: start to ready is the longer, not the sum */
	loaded = holders_open_start(&loading, o->capture.btf_path);
	err = loader_start(&m->loader, &o->capture);
	if (!loaded)
		loaded = holders_open_wait(loading, &m->holders);
	if (err) {
		holders_close(m->holders);
		m->holders = NULL;
		return err;
	}
	/* no other thread yet: no lock */
	watch_expected(m);
	if (loaded)
		warn("holder lookup unavailable, records will not name holders: "
		     "the kernel refused the BPF iterators (%s)", strerror(-loaded));
	else if ((err = holders_pin(m->holders)))
		warn("cannot pin the holder iterators for bindwatch who: %s", strerror(-err));
	/* what loading parsed and freed (the kernel's BTF, twice) goes back */
	malloc_trim(0);
	/* only fexit sees the kernel's own binds; kallsyms shows addresses to what opens it now */
	if (m->loader.mode == BW_MODE_FEXIT && !(m->kallsyms = kcaller_open()))
		warn("cannot open %s, records of the kernel's own binds will not name the caller: %s",
		     KALLSYMS, strerror(errno));
	/* before any thread starts: capabilities are each thread's own */
	drop_caps(m, o, o->metrics);
	err = o->metrics ? metrics_start(&m->metrics, o->metrics, mode_name(m->loader.mode),
					 m->policy) : 0;
	if (err)
		goto out;
	m->out.metrics = m->metrics;
	if (o->metrics)
		drop_caps(m, o, false);
	if (m->policy) {
		err = reclaim_new(&m->reclaim, m->holders, o->dry_run, emit, m);
		if (!err) {
			err = decider_start(&m->decider, m->reclaim, policy_ref(m->policy), emit, m);
		}
		if (err)
			goto out;
		if (!m->holders)
			warn("--policy: without holder lookup no port can be reclaimed");
	}
	rb = ring_buffer__new(loader_ringbuf_fd(&m->loader), handle_event, m, NULL);
	if (!rb) {
		err = -errno;
		warn("cannot open the ring buffer: %s", strerror(-err));
		goto out;
	}
	warn("ready (mode: %s)", mode_name(m->loader.mode));
	err = notify_send("READY=1");
	if (err)
		warn("cannot notify the service manager: %s", strerror(-err));
	m->last_tick = now_ns(CLOCK_MONOTONIC);
	err = poll_loop(m, rb);
	decider_stop(m->decider);
	m->decider = NULL;
	/* stop new records, then drain the ones already queued and owed */
	loader_detach(&m->loader);
	ring_buffer__consume(rb);
	flush(m, rb, true);
	warn("%llu %s, %llu lost", (unsigned long long)m->out.records,
	     plural(m->out.records, "record", "records"),
	     (unsigned long long)m->lost);
	if (m->undecided)
		warn("%llu %s on ports the policy names %s written without a decision",
		     (unsigned long long)m->undecided, plural(m->undecided, "conflict", "conflicts"),
		     plural(m->undecided, "was", "were"));
	ring_buffer__free(rb);
out:
	decider_stop(m->decider);
	reclaim_free(m->reclaim);
	metrics_stop(m->metrics);
	holders_close(m->holders);
	if (m->kallsyms)
		fclose(m->kallsyms);
	free(m->kcallers);
	loader_destroy(&m->loader);
	return err;
}

/*
 * --cgroup PATH, checked before anything loads (the loader would find it
 * wrong once per capture mode it tries): 0, or -errno after one line naming
 * PATH and what is wrong.  mount_err: cgroup_init()'s result.
 */
static int check_cgroup(const char *path, int mount_err)
{
	uint64_t id;
	unsigned int level;
	struct stat st;
	int err = mount_err ? mount_err : cgroup_id_from_path(path, &id, &level);

	if (!err)
		return 0;
	if (mount_err)
		usage_error(OPTIONS_PAGE, "--cgroup: '%s': no cgroup v2 file system is mounted",
			    path);
	else if (!stat(path, &st))
		usage_error(OPTIONS_PAGE, "--cgroup: '%s': not a cgroup v2 directory (give a "
			    "directory under the cgroup2 mount, or a path relative to its root, as "
			    "/system.slice)", path);
	else
		usage_error(OPTIONS_PAGE, "--cgroup: '%s': no such cgroup v2 directory", path);
	return err;
}

/*
 * What the monitor needs before it takes the lock: the enricher, the
 * policy, the hooks, the ledger.  0, or the exit status after saying why.
 */
static int prepare(struct monitor *m, const struct bw_options *o)
{
	int err;

	enrich_init(&m->enrich, o->cmdline_max);
	m->show_success = o->capture.report & BW_REPORT_SUCCESS;
	m->own = (struct ownership){
		.reuseport_all = o->capture.report & BW_REPORT_REUSEPORT,
		.enrich = &m->enrich, .emit = emit, .arg = m, .lookup_err = &m->diag_err,
	};
	/* the storm window, if shorter */
	m->tick_ms = o->capture.window_ms && o->capture.window_ms < TICK_MS ?
		     o->capture.window_ms : TICK_MS;
	if (o->policy_path) {
		char msg[512];

		/* a bad policy is a bad start: say so before loading anything */
		err = load_policy(o->policy_path, &m->policy, msg, sizeof(msg));
		if (err) {
			warn("--policy: %s", msg);
			return EXIT_FAILURE;
		}
		m->policy_path = o->policy_path;
		m->own.expect = m->policy;
	}
	err = hooks_init(&m->hooks, o->exec, o->exec_on, o->exec_max, o->exec_timeout_ms,
			 o->exec_interval_ms);
	if (err) {
		usage_error(OPTIONS_PAGE, "--exec: '%s': %s", o->exec ? o->exec : "",
			    err == -E2BIG ? "too many arguments" : strerror(-err));
		return EXIT_USAGE;
	}
	m->ledger = calloc(1, sizeof(*m->ledger));
	m->walks = calloc(1, sizeof(*m->walks));
	m->incidents = incident_log_new(o->incident_idle_ms, o->capture.window_ms, identity_seed(),
					write_record, m);
	if (!m->ledger || !m->walks || !m->incidents) {
		warn("out of memory");
		return EXIT_FAILURE;
	}
	return 0;
}

/* Undo prepare(), however far it went (m was zeroed before it). */
static void release(struct monitor *m)
{
	enrich_fini(&m->enrich);
	policy_free(m->policy);
	hooks_fini(&m->hooks);
	incident_log_free(m->incidents);
	free(m->ledger);
	free(m->walks);
}

/* With the monitor lock held: run until stopped.  The exit status. */
static int monitor(struct monitor *m, const struct bw_options *o)
{
	int err;

	/*
	 * Only with the lock held: what a monitor that died left is killed.
	 * With any policy, as a reload may bring rules with an exec.
	 */
	if (o->exec || o->policy_path)
		hooks_contain(&m->hooks);
	err = install_signals();
	if (!err)
		err = output_open(&m->out, &o->output, &exiting);
	if (!err) {
		err = run(m, o);
		output_close(&m->out);
	}
	return err ? EXIT_FAILURE : EXIT_SUCCESS;
}

int cmd_monitor(int argc, char **argv)
{
	struct monitor m = { .out_lock = PTHREAD_MUTEX_INITIALIZER };
	struct bw_options o;
	bool locked = false;
	int status, err, lock[2];

	err = options_parse(argc, argv, &o);
	if (err)
		return err > 0 ? EXIT_SUCCESS : EXIT_USAGE;
	log_setup_libbpf(o.verbose);
	/* without cgroup2, records simply carry no cgroup path */
	err = cgroup_init();
	if (o.capture.cgroup_path && check_cgroup(o.capture.cgroup_path, err))
		status = EXIT_USAGE;
	else if (privs_check())
		status = EXIT_FAILURE;
	else
		status = prepare(&m, &o);
	if (!status) {
		locked = !instance_lock(lock);
		status = locked ? monitor(&m, &o) : EXIT_FAILURE;
	}
	/* hooks still running end while the lock is held */
	release(&m);
	if (locked)
		instance_unlock(lock);
	cgroup_fini();
	options_free(&o);
	return status;
}
