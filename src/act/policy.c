// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy.c - parse the reclaim policy (policy.h): the document (version,
 * protect, rules, expect) walked against the schema.  It owns the top of
 * the schema and the policy's life; it must not read YAML itself
 * (policy_yaml.c), know a rule's keys (policy_rule.c), open files
 * (policy_file.c), run patterns (policy_regex.c) or match conflicts
 * (policy_match.c).
 *
 * The file decides which processes bindwatch may signal, so it is read
 * strictly: every key is known and given once, every value has the type
 * and range its field needs, and the first problem ends the parse with the
 * file, the line and what was expected.  The walk is a recursive descent
 * over the schema, never over the input: a value nested where the schema
 * has no mapping or list is an error at once, so no input can run the
 * stack deep.  Whatever the
 * parse allocates is hung on the policy at once, so after any error one
 * policy_free() releases it all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "policy.h"
#include "policy_rule.h"
#include "policy_yaml.h"
#include "util.h"

/* ---- the document */

enum { PROTECT_COMM, PROTECT_UNIT, PROTECT_EXE, PROTECT_UID, PROTECT_CONTAINER, PROTECT_POD,
       PROTECT_FIELDS };

static int protect_comm(struct parser *ps, void *obj)
{
	return ps_parse_strings(ps, &((struct policy *)obj)->protect.comm, false, policy_check_comm);
}

static int protect_unit(struct parser *ps, void *obj)
{
	return ps_parse_strings(ps, &((struct policy *)obj)->protect.unit, false, NULL);
}

static int protect_exe(struct parser *ps, void *obj)
{
	return ps_parse_strings(ps, &((struct policy *)obj)->protect.exe, false, policy_check_exe);
}

static int push_uid(struct parser *ps, void *obj)
{
	struct policy_protect *pr = obj;
	int64_t *v;

	/* grown one at a time: protect lists are short */
	v = realloc(pr->uid, (pr->nuid + 1) * sizeof(*v));
	if (!v)
		return ps_nomem(ps);
	pr->uid = v;
	if (ps_get_uid(ps, &v[pr->nuid]))
		return -EINVAL;
	pr->nuid++;
	return 0;
}

static int protect_uid(struct parser *ps, void *obj)
{
	return ps_parse_list(ps, push_uid, &((struct policy *)obj)->protect);
}

/* A list of globs of protect's container: or pod: (obj: its struct wl_map, slots a char **[]). */
static int protect_wl(struct parser *ps, void *obj)
{
	const struct wl_map *wl = obj;
	size_t slot = policy_wl_slot(ps, wl);

	return ps_parse_strings(ps, &((char ***)wl->slots)[slot], false,
				slot == POLICY_WL_RUNTIME ? policy_check_runtime : NULL);
}

static const struct field protect_container_fields[POLICY_WL_CONTAINER_KEYS] = {
	{ "name", protect_wl }, { "image", protect_wl }, { "runtime", protect_wl },
};

static const struct field protect_pod_fields[POLICY_WL_POD_KEYS] = {
	{ "namespace", protect_wl }, { "name", protect_wl }, { "container", protect_wl },
};

static int protect_container(struct parser *ps, void *obj)
{
	struct wl_map wl = { protect_container_fields, POLICY_WL_CONTAINER_KEYS, POLICY_WL_NAME,
			     ((struct policy *)obj)->protect.wl };
	size_t lines[POLICY_WL_CONTAINER_KEYS];

	return ps_parse_mapping(ps, "in container", wl.fields, wl.n, &wl, lines);
}

static int protect_pod(struct parser *ps, void *obj)
{
	struct wl_map wl = { protect_pod_fields, POLICY_WL_POD_KEYS, POLICY_WL_POD_NAMESPACE,
			     ((struct policy *)obj)->protect.wl };
	size_t lines[POLICY_WL_POD_KEYS];

	return ps_parse_mapping(ps, "in pod", wl.fields, wl.n, &wl, lines);
}

static const struct field protect_fields[PROTECT_FIELDS] = {
	[PROTECT_COMM] = { "comm", protect_comm },
	[PROTECT_UNIT] = { "unit", protect_unit },
	[PROTECT_EXE] = { "exe", protect_exe },
	[PROTECT_UID] = { "uid", protect_uid },
	[PROTECT_CONTAINER] = { "container", protect_container },
	[PROTECT_POD] = { "pod", protect_pod },
};

enum { TOP_VERSION, TOP_PROTECT, TOP_RULES, TOP_EXPECT, TOP_FIELDS };

static int top_version(struct parser *ps, void *obj)
{
	const char *s;
	int rc;

	rc = ps_get_scalar(ps, "1", &s);
	if (!rc && strcmp(s, "1"))
		return ps_fail(ps, ps->line, "'version' must be 1");
	return rc;
}

static int top_protect(struct parser *ps, void *obj)
{
	size_t lines[PROTECT_FIELDS];

	return ps_parse_mapping(ps, "in protect", protect_fields, PROTECT_FIELDS, obj, lines);
}

static int top_rules(struct parser *ps, void *obj)
{
	return ps_parse_list(ps, policy_parse_rule, obj);
}

static int top_expect(struct parser *ps, void *obj)
{
	return ps_parse_list(ps, policy_parse_expect, obj);
}

static const struct field top_fields[TOP_FIELDS] = {
	[TOP_VERSION] = { "version", top_version },
	[TOP_PROTECT] = { "protect", top_protect },
	[TOP_RULES] = { "rules", top_rules },
	[TOP_EXPECT] = { "expect", top_expect },
};

#define EMPTY_POLICY "empty policy (expected a mapping with 'version' and 'rules')"

/* The stream: exactly one document, a mapping. */
static int parse_stream(struct parser *ps)
{
	const yaml_event_t *ev = &ps->ev;
	size_t lines[TOP_FIELDS], line;
	int rc;

	rc = ps_next(ps); /* STREAM-START */
	if (!rc)
		rc = ps_next(ps);
	if (rc)
		return rc;
	if (ev->type == YAML_STREAM_END_EVENT)
		return ps_fail(ps, 1, EMPTY_POLICY);
	line = ev_line(ev); /* DOCUMENT-START */
	rc = ps_next(ps);
	if (rc)
		return rc;
	if (ps_is_null(ev))
		return ps_fail(ps, line, EMPTY_POLICY);
	line = ev_line(ev);
	if (ev->type != YAML_MAPPING_START_EVENT)
		return ps_fail(ps, line, "expected a mapping at the top level, got %s", ps_what_is(ev));
	rc = ps_parse_mapping(ps, "at the top level", top_fields, TOP_FIELDS, ps->p, lines);
	if (!rc && !lines[TOP_VERSION])
		rc = ps_missing(ps, line, "version", "at the top level");
	if (!rc)
		rc = ps_next(ps); /* DOCUMENT-END */
	if (!rc)
		rc = ps_next(ps);
	if (!rc && ev->type != YAML_STREAM_END_EVENT)
		return ps_fail(ps, ev_line(ev), "only one YAML document is allowed");
	return rc;
}

int policy_parse(const char *name, const char *text, size_t len,
		 struct policy **out, char *err, size_t errlen)
{
	struct parser ps = {
		.name = name, .text = text, .len = len, .err = err, .errlen = errlen,
	};
	int rc;

	*out = NULL;
	if (errlen)
		err[0] = '\0';
	ps.p = calloc(1, sizeof(*ps.p));
	if (ps.p)
		ps.p->refs = 1;
	if (!ps.p || !(ps.p->path = strdup(name))) {
		free(ps.p);
		return ps_nomem(&ps);
	}
	if (!yaml_parser_initialize(&ps.yp)) {
		policy_free(ps.p);
		return ps_nomem(&ps);
	}
	yaml_parser_set_input_string(&ps.yp, (const unsigned char *)(len ? text : ""), len);
	rc = parse_stream(&ps);
	if (ps.have_ev)
		yaml_event_delete(&ps.ev);
	yaml_parser_delete(&ps.yp);
	if (rc) {
		policy_free(ps.p);
		return rc;
	}
	*out = ps.p;
	return 0;
}

/* ---- references */

struct policy *policy_ref(struct policy *p)
{
	__atomic_add_fetch(&p->refs, 1, __ATOMIC_RELAXED);
	return p;
}

void policy_free(struct policy *p)
{
	size_t i;

	/* whatever the other holders did with it happened before the last drop */
	if (!p || __atomic_sub_fetch(&p->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (i = 0; i < POLICY_WL_FIELDS; i++)
		strv_free(p->protect.wl[i]);
	policy_rules_free(p->rules, p->nrules);
	policy_rules_free(p->expects, p->nexpects);
	strv_free(p->protect.comm);
	strv_free(p->protect.unit);
	strv_free(p->protect.exe);
	free(p->protect.uid);
	free(p->path);
	free(p);
}

/* ---- describing rules */

bool policy_cross_user(const struct policy_rule *r, char *msg, size_t len)
{
	int64_t req = r->requester.uid, hold = r->holder.uid;

	if (r->action != POLICY_RECLAIM || req <= 0 || hold == req)
		return false;
	if (hold >= 0)
		snprintf(msg, len, "rule '%s' (line %u) lets uid %lld have processes of uid %lld "
			 "signalled", r->name, r->line, (long long)req, (long long)hold);
	else
		snprintf(msg, len, "rule '%s' (line %u) lets uid %lld have processes of any user "
			 "signalled (root's too) when they match its holder conditions",
			 r->name, r->line, (long long)req);
	return true;
}

const char *policy_action_name(enum policy_action a)
{
	static const char *const names[] = {
		[POLICY_LOG] = "log", [POLICY_ALERT] = "alert", [POLICY_RECLAIM] = "reclaim",
		[POLICY_PROBE] = "probe",
	};

	return (unsigned int)a < ARRAY_SIZE(names) ? names[a] : "unknown";
}
