// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * test_incident.c - holder and requester identities (what keys a reclaim's
 * cooldown and an incident), and the incident table: one alert per
 * incident, again on a change or after the interval with the count
 * suppressed, and a table one uid cannot flush of another's incidents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <cmocka.h>
#include "incident.h"
#include "record.h"
#include "strbuf.h"

#define SEED 0x5eedULL
#define INTERVAL_MS 1000ULL
#define MS 1000000ULL
#define ALICE 1000
#define MALLORY 1001
#define CURL_INO 1234567

static struct proc_info proc(char *exe, char *unit, char *user_unit, const char *container)
{
	struct proc_info pi = { .exe = exe, .unit = unit, .user_unit = user_unit };

	snprintf(pi.container, sizeof(pi.container), "%s", container);
	return pi;
}

static struct identity ident(const struct proc_info *pi, int64_t uid)
{
	struct identity id;

	identity_of(&id, SEED, pi, uid);
	return id;
}

static void identity_is_exe_and_uid(void **state)
{
	struct proc_info a = proc("/usr/bin/python3", "session-2.scope", NULL, "");
	struct proc_info b = proc("/usr/bin/socat", "session-2.scope", NULL, "");
	struct proc_info a2 = proc("/usr/bin/python3", "session-9.scope", NULL, "");
	struct identity ia = ident(&a, 0), ia2 = ident(&a2, 0);
	struct identity ib = ident(&b, 0), ia_other = ident(&a, ALICE);

	(void)state;
	assert_true(identity_eq(&ia, &ia2));      /* a scope is no supervisor */
	assert_false(identity_eq(&ia, &ib));      /* another program */
	assert_false(identity_eq(&ia, &ia_other)); /* another user */
	assert_int_not_equal(ia.id, 0);
}

static void identity_is_service_or_container(void **state)
{
	struct proc_info s1 = proc("/usr/bin/python3", "api.service", NULL, "");
	struct proc_info s2 = proc("/usr/bin/python3.12", "api.service", NULL, "");
	struct proc_info s3 = proc("/usr/bin/python3", "web.service", NULL, "");
	struct proc_info c1 = proc("/a", "docker-x.scope", NULL, "abc123");
	struct proc_info c2 = proc("/b", "docker-x.scope", NULL, "abc123");
	/* below a user's delegation the user names it all: the exe counts */
	struct proc_info u1 = proc("/a", "user@1000.service", "x.service", "abc123");
	struct proc_info u2 = proc("/b", "user@1000.service", "x.service", "abc123");
	struct proc_info none = proc(NULL, NULL, NULL, "");
	struct identity i1 = ident(&s1, 0), i2 = ident(&s2, 0), i3 = ident(&s3, 0);
	struct identity k1 = ident(&c1, 0), k2 = ident(&c2, 0);
	struct identity n1 = ident(&u1, ALICE), n2 = ident(&u2, ALICE), z = ident(&none, 0);
	struct identity gone = ident(NULL, -1);

	(void)state;
	assert_true(identity_eq(&i1, &i2));  /* an upgrade under the same unit */
	assert_false(identity_eq(&i1, &i3));
	assert_true(identity_eq(&k1, &k2));
	assert_false(identity_eq(&n1, &n2));
	assert_int_equal(z.id, 0);
	assert_int_equal(gone.id, 0);
}

static void requester_is_exe_inode_and_uid(void **state)
{
	struct identity a, b, c, d;

	(void)state;
	identity_of_ino(&a, SEED, CURL_INO, ALICE);
	identity_of_ino(&b, SEED, CURL_INO, ALICE);
	identity_of_ino(&c, SEED, CURL_INO + 1, ALICE);
	identity_of_ino(&d, SEED, CURL_INO, MALLORY);
	assert_true(identity_eq(&a, &b));
	assert_false(identity_eq(&a, &c));
	assert_false(identity_eq(&a, &d));
	identity_of_ino(&a, SEED, 0, ALICE);
	assert_int_equal(a.id, 0);
}

static struct incident_key key(unsigned int port, const char *holder_exe, uint32_t req_uid)
{
	struct proc_info h = proc((char *)holder_exe, NULL, NULL, "");
	struct incident_key k = { .netns = 4026531840U, .port = port, .proto = 6 };

	identity_of(&k.holder, SEED, &h, 0);
	identity_of_ino(&k.requester, SEED, CURL_INO, req_uid);
	return k;
}

static void alerts_once_then_on_change_or_interval(void **state)
{
	struct incidents *t = malloc(sizeof(*t));
	struct incident_key k = key(8080, "/usr/bin/nginx", ALICE);
	struct incident_key other = key(8080, "/usr/bin/socat", ALICE);
	uint64_t sup = 99, now = 1000 * MS;
	int i;

	(void)state;
	incidents_init(t, INTERVAL_MS, SEED);
	assert_true(incidents_alert(t, &k, ALICE, 0, 1, now, &sup));
	assert_int_equal(sup, 0);
	for (i = 0; i < 9; i++)
		assert_false(incidents_alert(t, &k, ALICE, 0, 3, now + i * MS, &sup));
	/* another holder: another incident */
	assert_true(incidents_alert(t, &other, ALICE, 0, 1, now, &sup));
	assert_int_equal(sup, 0);
	/* a reclaim result is news, once */
	assert_true(incidents_alert(t, &k, ALICE, 1, 1, now + 10 * MS, &sup));
	assert_int_equal(sup, 27);
	assert_false(incidents_alert(t, &k, ALICE, 1, 1, now + 11 * MS, &sup));
	assert_false(incidents_alert(t, &k, ALICE, 0, 1, now + 12 * MS, &sup));
	/* the interval since the last alert */
	assert_true(incidents_alert(t, &k, ALICE, 0, 1, now + 10 * MS + INTERVAL_MS * MS, &sup));
	assert_int_equal(sup, 2);
	free(t);
}

static void interval_zero_alerts_each_time(void **state)
{
	struct incidents *t = malloc(sizeof(*t));
	struct incident_key k = key(8080, "/usr/bin/nginx", ALICE);
	uint64_t sup;

	(void)state;
	incidents_init(t, 0, SEED);
	assert_true(incidents_alert(t, &k, ALICE, 0, 1, MS, &sup));
	assert_true(incidents_alert(t, &k, ALICE, 0, 1, MS, &sup));
	assert_int_equal(sup, 0);
	free(t);
}

/* A flood of one uid's incidents forgets its own, never another's. */
static void one_uid_cannot_flush_another(void **state)
{
	struct incidents *t = malloc(sizeof(*t));
	struct incident_key mine = key(8080, "/usr/bin/nginx", ALICE), k;
	uint64_t sup, now = MS;
	unsigned int port;

	(void)state;
	incidents_init(t, INTERVAL_MS, SEED);
	assert_true(incidents_alert(t, &mine, ALICE, 0, 1, now, &sup));
	for (port = 1; port <= 10 * INCIDENTS_MAX; port++) {
		k = key(port, "/usr/bin/evil", MALLORY);
		incidents_alert(t, &k, MALLORY, 0, 1, now + port, &sup);
	}
	/* still known: suppressed, not alerted again */
	assert_false(incidents_alert(t, &mine, ALICE, 0, 1, now + port, &sup));
	free(t);
}

/* A full table takes from the uid holding the most, not from the newcomer's peers. */
static void full_table_takes_from_the_biggest(void **state)
{
	struct incidents *t = malloc(sizeof(*t));
	struct incident_key k, victim = key(1, "/usr/bin/x", 2000);
	uint64_t sup, now = MS;
	uint32_t uid;
	unsigned int i, n = 0;

	(void)state;
	incidents_init(t, INTERVAL_MS, SEED);
	assert_true(incidents_alert(t, &victim, 2000, 0, 1, now, &sup));
	/* fill the table: uids 3000.. with a share each, their most recent last */
	for (uid = 3000; n < INCIDENTS_MAX - 1; uid++)
		for (i = 0; i < INCIDENTS_UID_SHARE && n < INCIDENTS_MAX - 1; i++, n++) {
			k = key(100 + n, "/usr/bin/y", uid);
			assert_true(incidents_alert(t, &k, uid, 0, 1, now + n + 1, &sup));
		}
	k = key(9, "/usr/bin/z", 4000);
	assert_true(incidents_alert(t, &k, 4000, 0, 1, now + n + 1, &sup));
	assert_false(incidents_alert(t, &victim, 2000, 0, 1, now + n + 2, &sup));
	free(t);
}

/* A cooldown record names the reclaim it waits for, how long is left, and no pid. */
static void cooldown_rendered(void **state)
{
	struct bw_event ev = { .ret = -98, .count = 1, .uid = 0, .pid = 42 };
	struct record_action act = { .rule = "stale", .type = "reclaim",
				     .result = ACTION_COOLDOWN, .why = "w", .freed_after_ms = -1,
				     .wait_id = 3, .wait_rule = "stale", .remaining_ms = 58210,
				     .wait_since = { .tv_sec = 1764583323, .tv_nsec = 456 } };
	struct proc_info req = {};
	struct bw_record r = { .ev = &ev, .req = &req, .action = &act };
	struct strbuf sb;

	(void)state;
	ev.sock.port = 8080;
	strbuf_init(&sb);
	record_json(&sb, &r);
	assert_non_null(strstr(sb.s, "\"result\":\"cooldown\""));
	assert_non_null(strstr(sb.s, "\"pids\":[]"));
	assert_non_null(strstr(sb.s, "\"cooldown\":{\"reclaim\":3,\"since\":"
				     "\"2025-12-01T10:02:03.000000456Z\",\"remaining_ms\":58210,"
				     "\"rule\":\"stale\"}"));
	assert_null(strstr(sb.s, "\"suppressed\""));
	strbuf_free(&sb);
	strbuf_init(&sb);
	record_summary(&sb, &r);
	assert_non_null(strstr(sb.s, "; rule stale: reclaim cooldown (reclaim #3 by rule stale, "
				     "ended "));
	assert_non_null(strstr(sb.s, ", 58210 ms left): w"));
	strbuf_free(&sb);
	act = (struct record_action){ .rule = "stale", .type = "reclaim",
				      .result = ACTION_RECLAIMED, .id = 4, .freed_after_ms = 7,
				      .npids = 1, .pids = { 99 }, .nsignals = 1, .signals = { 15 } };
	strbuf_init(&sb);
	record_summary(&sb, &r);
	assert_non_null(strstr(sb.s, "; rule stale: reclaim #4 reclaimed (TERM to 99), port free "
				     "after 7 ms"));
	strbuf_free(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identity_is_exe_and_uid),
		cmocka_unit_test(identity_is_service_or_container),
		cmocka_unit_test(requester_is_exe_inode_and_uid),
		cmocka_unit_test(alerts_once_then_on_change_or_interval),
		cmocka_unit_test(interval_zero_alerts_each_time),
		cmocka_unit_test(one_uid_cannot_flush_another),
		cmocka_unit_test(full_table_takes_from_the_biggest),
		cmocka_unit_test(cooldown_rendered),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
