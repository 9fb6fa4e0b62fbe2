// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * metrics.c - the Prometheus text exposition of bindwatch's counters.
 *
 * It owns the counters and their exposition (scrape.c serves it); it must
 * not block capture.
 *
 * A fleet watches bindwatch through the Prometheus it already runs, so the
 * counters are few and their labels bounded: conflicts by syscall and
 * protocol (never by pid or port: those would make a series per process,
 * nor by uid), failures lost, failures suppressed by the rate limit (a
 * failure is in exactly one of those three), records dropped by the
 * hook queue, records a sink (stdout, log, syslog) could not take, reclaim
 * decisions by result, unexpected owners by expect rule, SO_REUSEPORT
 * joins, holder lookup latency as a histogram, and an info metric with
 * the capture mode.  Every label value known at start (the syscalls and
 * protocols that can conflict, the sinks, the results, the expect rules in
 * force) has its series from the start, at 0: a rule's increase() needs a
 * sample before the first conflict to see it.  scrape.c serves them from
 * a thread of its own; the counters are shared under one mutex, held only
 * to update or copy them.  It listens on loopback unless told an address
 * (":PORT" is every address): metrics name processes' ports and a fleet
 * scrapes through its own network setup.
 * Any local user can connect: scrape.c bounds what each may hold.
 * A conflict a probe rule matched (a configuration test that binds, which
 * no one should be paged for) is counted in a series of its own, never in
 * bindwatch_conflicts_total, so an alert on the latter stays quiet for it.
 *
 * The ephemeral ports are gauges per network namespace, bounded: the
 * monitor's own and the few busiest others (ephemeral.h), labelled with
 * the namespace's inode and its `ip netns` name; they are sampled by the
 * monitor on its timer from counts the kernel filters (never at scrape,
 * never a walk of the processes).  The conflicts over them count per
 * namespace too, in at most EPH_COUNTED_NETNS series, the rest in one of
 * netns "other".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "ephemeral.h"
#include "log.h"
#include "metrics.h"
#include "hostport.h"
#include "policy.h"
#include "version.h"
#include "scrape.h"
#include "strbuf.h"
#include "util.h"

#define MAX_SERIES 32          /* syscall x protocol combinations kept */
#define PROTO_NAME_LEN 16
#define METRICS_PATH "/metrics"
#define METRICS_TYPE "text/plain; version=0.0.4" /* Prometheus' text format */
#define EPH_COUNTED_NETNS 16   /* namespaces with an ephemeral_exhausted series of their own */

/* Upper bounds of the lookup histogram's buckets, seconds. */
static const double lookup_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
};
#define BUCKETS (sizeof(lookup_buckets) / sizeof(lookup_buckets[0]))

/*
 * The conflicts' series there from the start: bind() on each protocol with
 * ports, listen() on those that listen (on a datagram socket it fails
 * with EOPNOTSUPP).  Another's (a ping socket's) appears with its first
 * conflict.
 */
static const struct {
	__u8 syscall;
	int type, protocol;
} known_series[] = {
	{ BW_SYS_BIND, SOCK_STREAM, IPPROTO_TCP },
	{ BW_SYS_BIND, SOCK_DGRAM, IPPROTO_UDP },
	{ BW_SYS_BIND, SOCK_DGRAM, IPPROTO_UDPLITE },
	{ BW_SYS_BIND, SOCK_STREAM, IPPROTO_SCTP },
	{ BW_SYS_BIND, SOCK_STREAM, IPPROTO_MPTCP },
	{ BW_SYS_LISTEN, SOCK_STREAM, IPPROTO_TCP },
	{ BW_SYS_LISTEN, SOCK_STREAM, IPPROTO_SCTP },
	{ BW_SYS_LISTEN, SOCK_STREAM, IPPROTO_MPTCP },
};

struct series {
	__u8 syscall;
	char proto[PROTO_NAME_LEN];
	uint64_t conflicts;
	uint64_t probes;      /* conflicts a probe rule matched, not in conflicts */
};

/* An expect rule in force, and the unexpected owners its records named. */
struct rule_series {
	char *name;
	uint64_t unexpected;
};

struct metrics {
	struct scrape *server;
	pthread_mutex_t lock;
	const char *mode;
	struct series series[MAX_SERIES];
	size_t nseries;
	uint64_t lost;
	uint64_t suppressed;
	uint64_t hooks_dropped;
	uint64_t walks_skipped;
	uint64_t output_errors[METRICS_SINKS]; /* by enum metrics_sink */
	uint64_t reclaims[ACTION_IN_PROGRESS + 1]; /* by enum action_result */
	struct rule_series *rules; /* the expect rules in force */
	size_t nrules;
	uint64_t reuseport_joins;
	uint64_t lookup_le[BUCKETS]; /* lookups in each bucket (not cumulative) */
	uint64_t lookups;
	double lookup_sum;
	struct eph_gauge eph[EPH_GAUGE_NETNS]; /* the last sample */
	size_t neph;
	struct {
		__u32 netns;          /* 0: the rest ("other") */
		char name[NETNS_NAME_LEN];
		uint64_t count;
	} exhausted[EPH_COUNTED_NETNS + 1];
	size_t nexhausted;
};

static const char *const sink_names[METRICS_SINKS] = {
	[METRICS_SINK_STDOUT] = "stdout",
	[METRICS_SINK_LOG] = "log",
	[METRICS_SINK_SYSLOG] = "syslog",
};

static const char *syscall_label(__u8 syscall)
{
	return syscall == BW_SYS_LISTEN ? "listen" : "bind";
}

/*
 * Append s as the text format's label value (inside its quotes): a
 * backslash, a double quote and a newline escaped, as the format has it.
 * An expect rule's name, from the policy file: libyaml took it as UTF-8.
 */
static void label_value(struct strbuf *sb, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			strbuf_addc(sb, '\\');
		if (*s == '\n')
			strbuf_adds(sb, "\\n");
		else
			strbuf_addc(sb, *s);
	}
}

/* {netns="4026532174",netns_name="ns1"}; netns 0 is "other" */
static void netns_labels(struct strbuf *sb, __u32 netns, const char *name)
{
	if (netns)
		strbuf_addf(sb, "{netns=\"%u\",netns_name=\"", netns);
	else
		strbuf_adds(sb, "{netns=\"other\",netns_name=\"");
	label_value(sb, name);
	strbuf_adds(sb, "\"}");
}

static void render_ephemeral(struct metrics *m, struct strbuf *sb)
{
	size_t i;

	strbuf_adds(sb, "# HELP bindwatch_ephemeral_ports_range TCP ports the kernel picks ephemeral ones "
			"from (ip_local_port_range less ip_local_reserved_ports), in the monitor's network "
			"namespace and the busiest few others.\n"
			"# TYPE bindwatch_ephemeral_ports_range gauge\n");
	for (i = 0; i < m->neph; i++) {
		strbuf_adds(sb, "bindwatch_ephemeral_ports_range");
		netns_labels(sb, m->eph[i].netns, m->eph[i].name);
		strbuf_addf(sb, " %u\n", m->eph[i].size);
	}
	strbuf_adds(sb, "# HELP bindwatch_ephemeral_ports_in_use Ports of that range some TCP socket is on "
			"(TIME_WAIT included), as last sampled.\n"
			"# TYPE bindwatch_ephemeral_ports_in_use gauge\n");
	for (i = 0; i < m->neph; i++) {
		strbuf_adds(sb, "bindwatch_ephemeral_ports_in_use");
		netns_labels(sb, m->eph[i].netns, m->eph[i].name);
		strbuf_addf(sb, " %u\n", m->eph[i].in_use);
	}
	strbuf_adds(sb, "# HELP bindwatch_ephemeral_exhausted_total connect() and bind() to port 0 calls "
			"that found no free ephemeral port, in records, by network namespace.\n"
			"# TYPE bindwatch_ephemeral_exhausted_total counter\n");
	for (i = 0; i < m->nexhausted; i++) {
		strbuf_adds(sb, "bindwatch_ephemeral_exhausted_total");
		netns_labels(sb, m->exhausted[i].netns, m->exhausted[i].name);
		strbuf_addf(sb, " %llu\n", (unsigned long long)m->exhausted[i].count);
	}
}

static void render(struct metrics *m, struct strbuf *sb)
{
	uint64_t cumulative = 0;
	size_t i;

	strbuf_adds(sb, "# HELP bindwatch_conflicts_total bind() and listen() calls that failed with EADDRINUSE, "
			"in records (those a probe rule matched are in bindwatch_probe_conflicts_total, those held "
			"back in bindwatch_failures_suppressed_total, those lost in bindwatch_events_lost_total).\n"
			"# TYPE bindwatch_conflicts_total counter\n");
	for (i = 0; i < m->nseries; i++)
		strbuf_addf(sb, "bindwatch_conflicts_total{syscall=\"%s\",proto=\"%s\"} %llu\n",
			    syscall_label(m->series[i].syscall), m->series[i].proto,
			    (unsigned long long)m->series[i].conflicts);
	strbuf_adds(sb, "# HELP bindwatch_probe_conflicts_total Conflicts a probe rule of the policy matched "
			"(a configuration test that binds), not counted in bindwatch_conflicts_total.\n"
			"# TYPE bindwatch_probe_conflicts_total counter\n");
	for (i = 0; i < m->nseries; i++)
		strbuf_addf(sb, "bindwatch_probe_conflicts_total{syscall=\"%s\",proto=\"%s\"} %llu\n",
			    syscall_label(m->series[i].syscall), m->series[i].proto,
			    (unsigned long long)m->series[i].probes);
	strbuf_addf(sb, "# HELP bindwatch_events_lost_total Failures (and calls to be recorded) the kernel had no room to record.\n"
			"# TYPE bindwatch_events_lost_total counter\n"
			"bindwatch_events_lost_total %llu\n", (unsigned long long)m->lost);
	strbuf_addf(sb, "# HELP bindwatch_failures_suppressed_total Failures over their uid's rate limit, counted in suppressed records instead.\n"
			"# TYPE bindwatch_failures_suppressed_total counter\n"
			"bindwatch_failures_suppressed_total %llu\n", (unsigned long long)m->suppressed);
	strbuf_addf(sb, "# HELP bindwatch_hooks_dropped_total Records not handed to an alert hook: the hook queue was full.\n"
			"# TYPE bindwatch_hooks_dropped_total counter\n"
			"bindwatch_hooks_dropped_total %llu\n", (unsigned long long)m->hooks_dropped);
	strbuf_addf(sb, "# HELP bindwatch_holder_walks_skipped_total Conflicts whose holders were not looked for: the requester uid's budget of walks of every process was spent.\n"
			"# TYPE bindwatch_holder_walks_skipped_total counter\n"
			"bindwatch_holder_walks_skipped_total %llu\n", (unsigned long long)m->walks_skipped);
	strbuf_adds(sb, "# HELP bindwatch_output_errors_total Records a sink could not take when written (kept for a retry, or dropped).\n"
			"# TYPE bindwatch_output_errors_total counter\n");
	for (i = 0; i < METRICS_SINKS; i++)
		strbuf_addf(sb, "bindwatch_output_errors_total{sink=\"%s\"} %llu\n", sink_names[i],
			    (unsigned long long)m->output_errors[i]);
	strbuf_adds(sb, "# HELP bindwatch_reclaims_total Ports reclaimed from their holders, by result.\n"
			"# TYPE bindwatch_reclaims_total counter\n");
	for (i = ACTION_RECLAIMED; i <= ACTION_IN_PROGRESS; i++)
		strbuf_addf(sb, "bindwatch_reclaims_total{result=\"%s\"} %llu\n",
			    action_result_name(i), (unsigned long long)m->reclaims[i]);
	strbuf_adds(sb, "# HELP bindwatch_unexpected_owner_total Successful calls on a port an expect rule names by a caller none of its owners matches, by rule.\n"
			"# TYPE bindwatch_unexpected_owner_total counter\n");
	for (i = 0; i < m->nrules; i++) {
		strbuf_adds(sb, "bindwatch_unexpected_owner_total{rule=\"");
		label_value(sb, m->rules[i].name);
		strbuf_addf(sb, "\"} %llu\n", (unsigned long long)m->rules[i].unexpected);
	}
	strbuf_addf(sb, "# HELP bindwatch_reuseport_joins_total bind() calls that joined a SO_REUSEPORT group with a member of another executable, uid or cgroup.\n"
			"# TYPE bindwatch_reuseport_joins_total counter\n"
			"bindwatch_reuseport_joins_total %llu\n", (unsigned long long)m->reuseport_joins);
	strbuf_adds(sb, "# HELP bindwatch_holder_lookup_seconds Time to name the holders of a port.\n"
			"# TYPE bindwatch_holder_lookup_seconds histogram\n");
	for (i = 0; i < BUCKETS; i++) {
		cumulative += m->lookup_le[i];
		strbuf_addf(sb, "bindwatch_holder_lookup_seconds_bucket{le=\"%g\"} %llu\n",
			    lookup_buckets[i], (unsigned long long)cumulative);
	}
	strbuf_addf(sb, "bindwatch_holder_lookup_seconds_bucket{le=\"+Inf\"} %llu\n"
			"bindwatch_holder_lookup_seconds_sum %.9f\n"
			"bindwatch_holder_lookup_seconds_count %llu\n",
		    (unsigned long long)m->lookups, m->lookup_sum, (unsigned long long)m->lookups);
	render_ephemeral(m, sb);
	strbuf_addf(sb, "# HELP bindwatch_info The running bindwatch.\n"
			"# TYPE bindwatch_info gauge\n"
			"bindwatch_info{mode=\"%s\",version=\"%s\"} 1\n", m->mode, BINDWATCH_VERSION);
}

/* scrape_render: the exposition, rendered under the lock. */
static void render_locked(void *arg, struct strbuf *sb)
{
	struct metrics *m = arg;

	pthread_mutex_lock(&m->lock);
	render(m, sb);
	pthread_mutex_unlock(&m->lock);
}

int metrics_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	struct hostport hp;
	const char *why;

	if (hostport_parse(s, strlen(s), &hp, &why))
		return -EINVAL;
	memset(ss, 0, sizeof(*ss));
	if (hp.kind == HOSTPORT_ALL || hp.family == AF_INET6) {
		v6->sin6_family = AF_INET6; /* [::] for every address: scrape.c */
		v6->sin6_port = htons(hp.port);
		memcpy(&v6->sin6_addr, hp.addr, sizeof(v6->sin6_addr));
		return 0;
	}
	v4->sin_family = AF_INET;
	v4->sin_port = htons(hp.port);
	if (hp.kind == HOSTPORT_GIVEN)
		memcpy(&v4->sin_addr, hp.addr, sizeof(v4->sin_addr));
	else
		v4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return 0;
}

/* Add n to one of m's counters. */
static void count(struct metrics *m, uint64_t *counter, uint64_t n)
{
	pthread_mutex_lock(&m->lock);
	*counter += n;
	pthread_mutex_unlock(&m->lock);
}

/*
 * The series of syscall and proto, added at 0 when new; NULL when
 * MAX_SERIES are taken.  Under m->lock, or before the server starts.
 */
static struct series *series_of(struct metrics *m, __u8 syscall, const char *proto)
{
	struct series *s;
	size_t i;

	for (i = 0; i < m->nseries; i++)
		if (m->series[i].syscall == syscall && !strcmp(m->series[i].proto, proto))
			return &m->series[i];
	if (m->nseries == MAX_SERIES)
		return NULL;
	s = &m->series[m->nseries++];
	s->syscall = syscall;
	snprintf(s->proto, sizeof(s->proto), "%s", proto);
	return s;
}

static void add_known_series(struct metrics *m)
{
	char proto[PROTO_NAME_LEN];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known_series); i++)
		series_of(m, known_series[i].syscall,
			  proto_name(proto, sizeof(proto), known_series[i].type,
				     known_series[i].protocol));
}

/* The series of the expect rule named name among v[0..n), or NULL. */
static struct rule_series *rule_of(struct rule_series *v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

static void rules_free(struct rule_series *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

static void metrics_free(struct metrics *m)
{
	rules_free(m->rules, m->nrules);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* The series of p's expect rules, at 0, into *out (NULL: none).  0 or -ENOMEM. */
static int rules_new(const struct policy *p, struct rule_series **out)
{
	size_t i, n = p ? p->nexpects : 0;
	struct rule_series *v = NULL;

	if (n && !(v = calloc(n, sizeof(*v))))
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		v[i].name = strdup(p->expects[i].name);
		if (!v[i].name) {
			rules_free(v, i);
			return -ENOMEM;
		}
	}
	*out = v;
	return 0;
}

int metrics_expect(struct metrics *m, const struct policy *p)
{
	size_t i, nold, n = p ? p->nexpects : 0;
	struct rule_series *v, *old;

	if (!m)
		return 0;
	if (rules_new(p, &v)) {
		warn("--metrics: out of memory for the expect rules' series; the previous ones stay");
		return -ENOMEM;
	}
	pthread_mutex_lock(&m->lock);
	/* a rule kept by name keeps its count: a counter only goes up */
	for (i = 0; i < n; i++) {
		old = rule_of(m->rules, m->nrules, v[i].name);
		if (old)
			v[i].unexpected = old->unexpected;
	}
	old = m->rules;
	nold = m->nrules;
	m->rules = v;
	m->nrules = n;
	pthread_mutex_unlock(&m->lock);
	rules_free(old, nold);
	return 0;
}

int metrics_start(struct metrics **mp, const char *listen, const char *mode,
		  const struct policy *p)
{
	struct sockaddr_storage ss;
	struct metrics *m;
	int err;

	if (metrics_parse_listen(listen, &ss))
		return -EINVAL; /* options_parse() said why */
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	pthread_mutex_init(&m->lock, NULL);
	m->mode = mode;
	add_known_series(m);
	err = metrics_expect(m, p);
	if (!err) {
		err = scrape_start(&m->server, &ss, METRICS_PATH, METRICS_TYPE, render_locked, m);
		if (err)
			warn("--metrics: cannot listen on '%s': %s", listen, strerror(-err));
	}
	if (err) {
		metrics_free(m);
		return err;
	}
	*mp = m;
	return 0;
}

void metrics_stop(struct metrics *m)
{
	if (!m)
		return;
	scrape_stop(m->server);
	metrics_free(m);
}

/*
 * Count a conflict's record (a call that failed otherwise is not one), in
 * its series' probes when a probe rule matched it.
 */
/* The index of m's exhausted series of netns, or m->nexhausted; under m->lock. */
static size_t exhausted_of(const struct metrics *m, __u32 netns)
{
	size_t i;

	for (i = 0; i < m->nexhausted && m->exhausted[i].netns != netns; i++)
		;
	return i;
}

/* Count n conflicts over ephemeral ports in netns (named name); under m->lock. */
static void count_exhausted(struct metrics *m, __u32 netns, const char *name, uint64_t n)
{
	size_t i = exhausted_of(m, netns);

	/* past EPH_COUNTED_NETNS namespaces, the rest share one series: "other" (0) */
	if (i == m->nexhausted && m->nexhausted >= EPH_COUNTED_NETNS) {
		netns = 0;
		name = "";
		i = exhausted_of(m, netns);
	}
	if (i == m->nexhausted) {
		m->nexhausted++;
		m->exhausted[i].netns = netns;
		snprintf(m->exhausted[i].name, sizeof(m->exhausted[i].name), "%s", name);
	}
	m->exhausted[i].count += n;
}

static void count_conflict(struct metrics *m, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	char proto[PROTO_NAME_LEN];
	struct series *s;

	if (event_ephemeral(ev)) {
		pthread_mutex_lock(&m->lock);
		count_exhausted(m, ev->sock.netns, r->netns_name, ev->count);
		pthread_mutex_unlock(&m->lock);
	}
	if (ev->ret != -EADDRINUSE)
		return;
	proto_name(proto, sizeof(proto), ev->sock.type, ev->sock.protocol);
	pthread_mutex_lock(&m->lock);
	s = series_of(m, ev->syscall, proto);
	if (s)
		*(record_probe(r) ? &s->probes : &s->conflicts) += ev->count;
	pthread_mutex_unlock(&m->lock);
}

/*
 * Count an unexpected owner under its expect rule: one in force, as the
 * records and the reload are both the capture thread's.
 */
static void count_unexpected(struct metrics *m, const struct policy_rule *rule)
{
	struct rule_series *s;

	pthread_mutex_lock(&m->lock);
	s = rule ? rule_of(m->rules, m->nrules, rule->name) : NULL;
	if (s)
		s->unexpected++;
	pthread_mutex_unlock(&m->lock);
}

void metrics_record(struct metrics *m, const struct bw_record *r)
{
	if (!m)
		return;
	switch (r->kind) {
	case RECORD_CALL:
		count_conflict(m, r);
		break;
	case RECORD_UNEXPECTED_OWNER:
		count_unexpected(m, r->expect);
		break;
	case RECORD_REUSEPORT_JOIN:
		count(m, &m->reuseport_joins, 1);
		break;
	case RECORD_INCIDENT_END:
		break; /* its conflicts were counted as they came */
	}
}

void metrics_reclaim(struct metrics *m, enum action_result result)
{
	if (!m || result < ACTION_RECLAIMED || result > ACTION_IN_PROGRESS)
		return;
	pthread_mutex_lock(&m->lock);
	m->reclaims[result]++;
	pthread_mutex_unlock(&m->lock);
}

void metrics_lost(struct metrics *m, uint64_t n)
{
	if (m)
		count(m, &m->lost, n);
}

void metrics_suppressed(struct metrics *m, uint64_t n)
{
	if (m)
		count(m, &m->suppressed, n);
}

void metrics_hooks_dropped(struct metrics *m, uint64_t n)
{
	if (m)
		count(m, &m->hooks_dropped, n);
}

void metrics_walk_skipped(struct metrics *m)
{
	if (m)
		count(m, &m->walks_skipped, 1);
}

void metrics_lookup(struct metrics *m, double seconds)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < BUCKETS && seconds > lookup_buckets[i]; i++)
		;
	pthread_mutex_lock(&m->lock);
	if (i < BUCKETS)
		m->lookup_le[i]++;
	m->lookups++;
	m->lookup_sum += seconds;
	pthread_mutex_unlock(&m->lock);
}

void metrics_output_error(struct metrics *m, enum metrics_sink sink)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->output_errors[sink]++;
	pthread_mutex_unlock(&m->lock);
}

void metrics_ephemeral(struct metrics *m, const struct eph_gauge *g, size_t n)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->neph = n < EPH_GAUGE_NETNS ? n : EPH_GAUGE_NETNS;
	memcpy(m->eph, g, m->neph * sizeof(*g));
	pthread_mutex_unlock(&m->lock);
}
