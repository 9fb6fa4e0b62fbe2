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
 * hook queue, records a sink (stdout, log, syslog) could not take, reclaim decisions by result, holder lookup latency as a
 * histogram, and an info metric
 * with the capture mode.  scrape.c serves them from a thread of its own;
 * the counters are shared under one mutex, held only to update or copy
 * them.  It listens on loopback unless told an address: metrics name
 * processes' ports and a fleet scrapes through its own network setup.
 * Any local user can connect: scrape.c bounds what each may hold.
 * A conflict a probe rule matched (a configuration test that binds, which
 * no one should be paged for) is counted in a series of its own, never in
 * bindwatch_conflicts_total, so an alert on the latter stays quiet for it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "addr.h"
#include "log.h"
#include "metrics.h"
#include "version.h"
#include "portlist.h"
#include "scrape.h"
#include "strbuf.h"

#define MAX_SERIES 32          /* syscall x protocol combinations kept */
#define PROTO_NAME_LEN 16
#define METRICS_PATH "/metrics"
#define METRICS_TYPE "text/plain; version=0.0.4" /* Prometheus' text format */

/* Upper bounds of the lookup histogram's buckets, seconds. */
static const double lookup_buckets[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
};
#define BUCKETS (sizeof(lookup_buckets) / sizeof(lookup_buckets[0]))

struct series {
	__u8 syscall;
	char proto[PROTO_NAME_LEN];
	uint64_t conflicts;
	uint64_t probes;      /* conflicts a probe rule matched, not in conflicts */
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
	uint64_t lookup_le[BUCKETS]; /* lookups in each bucket (not cumulative) */
	uint64_t lookups;
	double lookup_sum;
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
		if (m->reclaims[i])
			strbuf_addf(sb, "bindwatch_reclaims_total{result=\"%s\"} %llu\n",
				    action_result_name(i), (unsigned long long)m->reclaims[i]);
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
	const char *colon = strrchr(s, ':'), *port = colon ? colon + 1 : s;
	char host[INET6_ADDRSTRLEN + 2] = "127.0.0.1";
	size_t hlen = colon ? (size_t)(colon - s) : 0;
	unsigned int p;

	if (portlist_port(port, strlen(port), &p) || hlen >= sizeof(host))
		return -EINVAL;
	if (hlen) {
		memcpy(host, s, hlen);
		host[hlen] = '\0';
	}
	memset(ss, 0, sizeof(*ss));
	if (host[0] == '[' && host[hlen - 1] == ']') {
		host[hlen - 1] = '\0';
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons(p);
		return inet_pton(AF_INET6, host + 1, &v6->sin6_addr) == 1 ? 0 : -EINVAL;
	}
	v4->sin_family = AF_INET;
	v4->sin_port = htons(p);
	return inet_pton(AF_INET, host, &v4->sin_addr) == 1 ? 0 : -EINVAL;
}

int metrics_start(struct metrics **mp, const char *listen, const char *mode)
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
	err = scrape_start(&m->server, &ss, METRICS_PATH, METRICS_TYPE, render_locked, m);
	if (err) {
		warn("--metrics: cannot listen on '%s': %s", listen, strerror(-err));
		pthread_mutex_destroy(&m->lock);
		free(m);
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
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void metrics_record(struct metrics *m, const struct bw_record *r)
{
	const struct bw_event *ev = r->ev;
	char proto[PROTO_NAME_LEN];
	size_t i;

	if (!m || ev->ret != -EADDRINUSE)
		return;
	proto_name(proto, sizeof(proto), ev->sock.type, ev->sock.protocol);
	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->nseries; i++)
		if (m->series[i].syscall == ev->syscall && !strcmp(m->series[i].proto, proto))
			break;
	if (i == m->nseries && i < MAX_SERIES) {
		m->series[i].syscall = ev->syscall;
		memcpy(m->series[i].proto, proto, sizeof(proto));
		m->nseries++;
	}
	if (i < m->nseries)
		*(record_probe(r) ? &m->series[i].probes : &m->series[i].conflicts) += ev->count;
	pthread_mutex_unlock(&m->lock);
}

void metrics_reclaim(struct metrics *m, enum action_result result)
{
	if (!m || result < ACTION_RECLAIMED || result > ACTION_IN_PROGRESS)
		return;
	pthread_mutex_lock(&m->lock);
	m->reclaims[result]++;
	pthread_mutex_unlock(&m->lock);
}

/* Add n to one of m's counters; m may be NULL (no --metrics). */
static void count(struct metrics *m, uint64_t *counter, uint64_t n)
{
	pthread_mutex_lock(&m->lock);
	*counter += n;
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
