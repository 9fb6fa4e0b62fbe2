// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_incident_log.c - conflict incidents: what keys one (not the pid: a
 * crash loop's processes share it), records that add up exactly across
 * processes, news written at once, the ends (resolved, idle, evicted),
 * and a table one uid cannot flush of another's incidents.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>
#include "incident_log.h"
#include "record.h"

#define SEED 0x5eedULL
#define MS 1000000ULL
#define STEP_MS 1000ULL
#define IDLE_MS 30000ULL
#define PORT 8080
#define ALICE 1000
#define MALLORY 1001
#define PYTHON_INO 4242
#define SOCAT_INO 4343
#define WRITTEN_MAX 4096

/* What the log wrote: enough of each record to check it. */
struct written {
	enum record_kind kind;
	uint32_t count, pid;
	uint64_t id, processes;
	struct incident_summary end;
	char json[2048];
};

static struct written out[WRITTEN_MAX];
static size_t nout;

static void capture(void *arg, const struct bw_record *r)
{
	struct written *w = &out[nout++];
	struct strbuf sb;

	(void)arg;
	assert_true(nout <= WRITTEN_MAX);
	memset(w, 0, sizeof(*w));
	w->kind = r->kind;
	w->count = r->ev->count;
	w->pid = r->ev->pid;
	assert_non_null(r->incident);
	w->id = r->incident->id;
	w->processes = r->incident->processes;
	if (r->ended)
		w->end = *r->ended;
	strbuf_init(&sb);
	record_json(&sb, r);
	snprintf(w->json, sizeof(w->json), "%s", sb.s);
	strbuf_free(&sb);
}

/* A conflict (or, ret 0, a success) of process pid as uid, at t ms, against holder hpid. */
struct call {
	struct bw_event ev;
	struct proc_info req;
	struct holder_info holder;
	struct diagnosis diag;
	struct bw_record r;
};

static void call_init(struct call *c, uint32_t pid, uint32_t uid, uint64_t exe_ino, int ret,
		      uint32_t hpid, uint64_t t_ms)
{
	memset(c, 0, sizeof(*c));
	c->ev = (struct bw_event){ .pid = pid, .uid = uid, .exe_ino = exe_ino, .ret = ret,
				   .count = 1, .start_ns = pid * 1000ULL, .ts_ns = t_ms * MS };
	c->ev.sock = (struct bw_sock){ .port = PORT, .protocol = 6, .netns = 4026531840U,
				       .family = 2, .type = 1 };
	snprintf(c->ev.comm, sizeof(c->ev.comm), "python3");
	c->req.id = PROC_IDENTITY_UNKNOWN;
	c->holder.h.pid = hpid;
	snprintf(c->holder.h.comm, sizeof(c->holder.h.comm), "holder%u", hpid);
	c->holder.pi.exe = hpid == 1 ? "/usr/sbin/nginx" : "/usr/bin/socat";
	c->holder.pi.id = PROC_IDENTITY_UNKNOWN;
	c->holder.pi.id.ruid = 0;
	c->holder.tw_ms_left = -1;
	c->diag = (struct diagnosis){ .holders = &c->holder, .n = 1, .reason = REASON_LISTENER };
	c->r = (struct bw_record){ .ev = &c->ev, .req = &c->req, .diag = &c->diag };
	c->r.wall.tv_sec = 1700000000 + t_ms / 1000;
}

static struct incident_log *new_log(uint64_t step_ms)
{
	struct incident_log *l = incident_log_new(IDLE_MS, step_ms, SEED, capture, NULL);

	assert_non_null(l);
	nout = 0;
	return l;
}

/* A conflict of process pid at t ms, against holder 1. */
static void conflict(struct incident_log *l, uint32_t pid, uint64_t t_ms)
{
	struct call c;

	call_init(&c, pid, 0, PYTHON_INO, -EADDRINUSE, 1, t_ms);
	incident_log_conflict(l, &c.r, t_ms * MS);
}

static void place(struct incident_place *k, uint32_t pid, uint32_t uid, uint64_t ino,
		  const char *unit, unsigned int port)
{
	struct call c;

	call_init(&c, pid, uid, ino, -EADDRINUSE, 1, 0);
	c.req.unit = (char *)unit;
	c.ev.sock.port = port;
	incident_place_of(k, SEED, &c.r);
}

static bool same_place(const struct incident_place *a, const struct incident_place *b)
{
	return a->port == b->port && a->proto == b->proto && a->netns == b->netns &&
	       identity_eq(&a->requester, &b->requester);
}

static void keyed_by_what_a_restart_keeps(void **state)
{
	struct incident_place a, b;

	(void)state;
	place(&a, 100, 0, PYTHON_INO, NULL, PORT);
	place(&b, 200, 0, PYTHON_INO, NULL, PORT);
	assert_true(same_place(&a, &b));         /* another process, the same program */
	place(&b, 100, ALICE, PYTHON_INO, NULL, PORT);
	assert_false(same_place(&a, &b));        /* another user */
	place(&b, 100, 0, SOCAT_INO, NULL, PORT);
	assert_false(same_place(&a, &b));        /* another program */
	place(&b, 100, 0, PYTHON_INO, NULL, PORT + 1);
	assert_false(same_place(&a, &b));        /* another port */
	/* a service: its unit, whatever program it runs after an upgrade */
	place(&a, 100, 0, PYTHON_INO, "api.service", PORT);
	place(&b, 200, 0, SOCAT_INO, "api.service", PORT);
	assert_true(same_place(&a, &b));
	place(&b, 200, 0, PYTHON_INO, "web.service", PORT);
	assert_false(same_place(&a, &b));
	/* a scope is no supervisor: the program */
	place(&a, 100, 0, PYTHON_INO, "session-2.scope", PORT);
	place(&b, 200, 0, SOCAT_INO, "session-2.scope", PORT);
	assert_false(same_place(&a, &b));
}

static uint64_t sum_count(size_t from, size_t to, uint64_t *procs)
{
	uint64_t n = 0;
	size_t i;

	*procs = 0;
	for (i = from; i < to; i++) {
		assert_int_equal(out[i].kind, RECORD_CALL);
		n += out[i].count;
		*procs += out[i].processes;
	}
	return n;
}

static void crash_loop_adds_up(void **state)
{
	struct incident_log *l = new_log(STEP_MS);
	uint64_t procs, t = 0;
	struct call ok;
	uint32_t pid;

	(void)state;
	/* 20 processes, one failure each, 130 ms apart, the monitor ticking */
	for (pid = 100; pid < 120; pid++, t += 130) {
		conflict(l, pid, t);
		incident_log_tick(l, t * MS + MS, false);
	}
	incident_log_tick(l, (t + 8000) * MS, false);
	assert_true(nout <= 5);
	assert_int_equal(sum_count(0, nout, &procs), 20);
	assert_int_equal(procs, 20);
	assert_int_equal(out[0].count, 1);      /* the first at once */
	assert_int_equal(out[nout - 1].pid, 119); /* the rest as the latest process */
	assert_true(incident_log_open_on(l, PORT, 6, 4026531840U));
	/* the next process binds */
	call_init(&ok, 120, 0, PYTHON_INO, 0, 0, t + 8100);
	incident_log_success(l, &ok.r);
	assert_int_equal(out[nout - 1].kind, RECORD_INCIDENT_END);
	assert_int_equal(out[nout - 1].end.end, INCIDENT_RESOLVED);
	assert_int_equal(out[nout - 1].end.count, 20);
	assert_int_equal(out[nout - 1].end.processes, 20);
	assert_int_equal(out[nout - 1].end.duration_ms, t + 8100);
	assert_int_equal(out[nout - 1].end.nholders, 1);
	assert_int_equal(out[nout - 1].end.holders[0].count, 20);
	assert_non_null(strstr(out[nout - 1].json, "\"event\":\"incident-end\""));
	assert_non_null(strstr(out[nout - 1].json, "\"end\":\"resolved\",\"count\":20,"));
	assert_false(incident_log_open_on(l, PORT, 6, 4026531840U));
	incident_log_free(l);
}

static void storms_of_one_process_count_once(void **state)
{
	struct incident_log *l = new_log(STEP_MS);
	struct call c;
	uint64_t procs;
	int i;

	(void)state;
	/* one process's storm: records of 50 failures each, 250 ms apart */
	for (i = 0; i < 8; i++) {
		call_init(&c, 100, 0, PYTHON_INO, -EADDRINUSE, 1, i * 250);
		c.ev.count = i ? 50 : 1;
		incident_log_conflict(l, &c.r, i * 250 * MS);
	}
	incident_log_tick(l, 10000 * MS, true);
	assert_int_equal(sum_count(0, nout, &procs), 1 + 7 * 50);
	assert_int_equal(procs, nout); /* one process in each record */
	incident_log_free(l);
}

static void news_is_written_at_once(void **state)
{
	struct incident_log *l = new_log(STEP_MS);
	struct record_action act = { .rule = "r", .type = "reclaim", .result = ACTION_COOLDOWN };
	struct call c;
	uint64_t procs;

	(void)state;
	conflict(l, 100, 0);
	conflict(l, 101, 10);          /* held back */
	assert_int_equal(nout, 1);
	call_init(&c, 102, 0, PYTHON_INO, -EADDRINUSE, 2, 20); /* another holder */
	incident_log_conflict(l, &c.r, 20 * MS);
	assert_int_equal(nout, 3);     /* what was held back, then the news */
	assert_int_equal(out[1].pid, 101);
	assert_int_equal(out[2].pid, 102);
	assert_int_equal(out[2].count, 1);
	call_init(&c, 103, 0, PYTHON_INO, -EADDRINUSE, 2, 30); /* a reclaim's answer */
	c.r.action = &act;
	incident_log_conflict(l, &c.r, 30 * MS);
	assert_int_equal(nout, 4);
	call_init(&c, 104, 0, PYTHON_INO, -EADDRINUSE, 2, 40); /* another address */
	c.ev.sock.addr[0] = 127;
	incident_log_conflict(l, &c.r, 40 * MS);
	assert_int_equal(nout, 5);
	assert_int_equal(sum_count(0, nout, &procs), 5);
	assert_int_equal(out[3].id, out[0].id);
	incident_log_free(l);
}

static void held_back_keeps_its_rule(void **state)
{
	struct incident_log *l = new_log(STEP_MS);
	char rule[] = "page", arg[] = "/bin/true";
	char *exec[] = { arg, NULL };
	struct record_action act = { .rule = rule, .type = "alert", .exec = exec };
	struct call c;
	uint32_t pid;

	(void)state;
	for (pid = 100; pid < 103; pid++) {
		call_init(&c, pid, 0, PYTHON_INO, -EADDRINUSE, 1, pid);
		c.r.action = &act;
		incident_log_conflict(l, &c.r, pid * MS);
	}
	/* the policy reloaded: the rule's strings are gone */
	memset(rule, 'x', sizeof(rule) - 1);
	memset(arg, 'x', sizeof(arg) - 1);
	incident_log_tick(l, 5000 * MS, false);
	assert_int_equal(nout, 2);
	assert_int_equal(out[1].count, 2);
	assert_non_null(strstr(out[1].json, "\"action\":{\"rule\":\"page\",\"type\":\"alert\"}"));
	incident_log_free(l);
}

static void window_zero_writes_each(void **state)
{
	struct incident_log *l = new_log(0);
	uint32_t pid;

	(void)state;
	for (pid = 100; pid < 105; pid++)
		conflict(l, pid, pid);
	assert_int_equal(nout, 5);
	incident_log_free(l);
}

static void idle_ends_with_the_tail(void **state)
{
	struct incident_log *l = new_log(STEP_MS);
	struct call other;

	(void)state;
	conflict(l, 100, 0);
	conflict(l, 101, 100);
	conflict(l, 102, 200);
	call_init(&other, 300, ALICE, PYTHON_INO, -EADDRINUSE, 1, 250);
	incident_log_conflict(l, &other.r, 250 * MS);
	incident_log_tick(l, (IDLE_MS + 200) * MS, false); /* the first only */
	assert_int_equal(nout, 2 + 2);
	assert_int_equal(out[2].count, 2);
	assert_int_equal(out[2].processes, 2);
	assert_int_equal(out[3].kind, RECORD_INCIDENT_END);
	assert_int_equal(out[3].end.end, INCIDENT_IDLE);
	assert_int_equal(out[3].end.count, 3);
	assert_int_equal(out[3].end.duration_ms, 200);
	incident_log_tick(l, (IDLE_MS + 300) * MS, false);
	assert_int_equal(out[4].kind, RECORD_INCIDENT_END);
	assert_int_equal(out[4].end.count, 1);
	incident_log_free(l);
}

/* A conflict of uid on port, a program of its own (ino). */
static void conflict_of(struct incident_log *l, uint32_t uid, unsigned int port, uint64_t ino,
			uint64_t t_ms)
{
	struct call c;

	call_init(&c, 100, uid, ino, -EADDRINUSE, 1, t_ms);
	c.ev.sock.port = port;
	incident_log_conflict(l, &c.r, t_ms * MS);
}

static size_t ends(enum incident_end why)
{
	size_t i, n = 0;

	for (i = 0; i < nout; i++)
		n += out[i].kind == RECORD_INCIDENT_END && out[i].end.end == why;
	return n;
}

static void one_uid_cannot_flush_another(void **state)
{
	struct incident_log *l = new_log(STEP_MS);
	unsigned int i;

	(void)state;
	conflict_of(l, ALICE, PORT, PYTHON_INO, 0);
	for (i = 0; i < 4 * INCIDENT_LOG_MAX; i++)
		conflict_of(l, MALLORY, 10000 + i, PYTHON_INO, 1 + i);
	/* mallory ends its own, never alice's */
	assert_int_equal(ends(INCIDENT_EVICTED), 4 * INCIDENT_LOG_MAX - INCIDENT_LOG_UID_SHARE);
	assert_true(incident_log_open_on(l, PORT, 6, 4026531840U));
	for (i = 0; i < nout; i++)
		if (out[i].kind == RECORD_INCIDENT_END)
			assert_int_not_equal(out[i].id, 1);
	incident_log_free(l);
}

static void full_table_takes_from_the_biggest(void **state)
{
	struct incident_log *l = new_log(STEP_MS);
	unsigned int i, uid;

	(void)state;
	/* four uids fill the table with their shares */
	for (uid = 0; uid < 4; uid++)
		for (i = 0; i < INCIDENT_LOG_UID_SHARE; i++)
			conflict_of(l, ALICE + uid, 10000 + i, PYTHON_INO, uid * 1000 + i);
	assert_int_equal(ends(INCIDENT_EVICTED), 0);
	conflict_of(l, 7, PORT, PYTHON_INO, 9000); /* a newcomer: the oldest of a big one goes */
	assert_int_equal(ends(INCIDENT_EVICTED), 1);
	assert_int_equal(out[nout - 2].id, 1);
	incident_log_free(l);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(keyed_by_what_a_restart_keeps),
		cmocka_unit_test(crash_loop_adds_up),
		cmocka_unit_test(storms_of_one_process_count_once),
		cmocka_unit_test(news_is_written_at_once),
		cmocka_unit_test(held_back_keeps_its_rule),
		cmocka_unit_test(window_zero_writes_each),
		cmocka_unit_test(idle_ends_with_the_tail),
		cmocka_unit_test(one_uid_cannot_flush_another),
		cmocka_unit_test(full_table_takes_from_the_biggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
