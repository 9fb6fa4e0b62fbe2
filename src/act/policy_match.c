// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * policy_match.c - match a conflict's holder and requester against the
 * rules and the protect list (policy.h).  It owns what a condition means
 * for a process whose fields may be unknown; it must not parse (policy.c)
 * or act on a match (verdict.c).
 *
 * Matching runs once per conflict window: per rule one bitmap test, then
 * the conditions, cheapest first, the regular expression last.  The same
 * code explains a miss (check-policy --replay, --dry-run): given a
 * policy_miss, the test that failed fills it in and matching stops there,
 * so an explanation can never disagree with what the monitor decides.
 */
#include <fnmatch.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include "policy.h"
#include "policy_regex.h"
#include "portlist.h"
#include "util.h"
#include "workload.h"

#define NUM_LEN 24                 /* a 64-bit number in decimal, and a unit */

/* An empty string is as unknown as NULL (procinfo's "no container"). */
static bool known(const char *s)
{
	return s && *s;
}

static bool glob_holds(const char *pattern, const char *s)
{
	return known(s) && !fnmatch(pattern, s, 0);
}

static const char *const wl_fields[POLICY_WL_FIELDS] = {
	[POLICY_WL_NAME] = "container.name",
	[POLICY_WL_IMAGE] = "container.image",
	[POLICY_WL_RUNTIME] = "container.runtime",
	[POLICY_WL_POD_NAMESPACE] = "pod.namespace",
	[POLICY_WL_POD_NAME] = "pod.name",
	[POLICY_WL_POD_CONTAINER] = "pod.container",
};

const char *policy_wl_field(enum policy_wl f)
{
	return wl_fields[f];
}

/*
 * Whether re finds a match in the first POLICY_CMDLINE_MAX bytes of s.  A
 * search that reaches a limit counts as none, and is reported the first
 * time, for rule r's side; *gave_up then says which limit.
 */

/* Copy s (NULL: "") into dst[POLICY_MISS_VALUE_MAX], cut at a UTF-8 boundary if longer. */
static void copy_value(char *dst, bool *cut, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	*cut = n >= POLICY_MISS_VALUE_MAX;
	if (*cut) /* never half a character: back up over continuation bytes */
		for (n = POLICY_MISS_VALUE_MAX - 1; n && ((unsigned char)s[n] & 0xc0) == 0x80; n--)
			;
	memcpy(dst, s ? s : "", n);
	dst[n] = '\0';
}

/*
 * Record in m (if not NULL) that field of side failed: the condition want
 * and the value got (NULL: unknown), or the limit a pattern gave up on.
 * Returns false, for "return miss(...)".
 */
static bool miss(struct policy_miss *m, const char *side, const char *field,
		 const char *want, const char *got, const char *gave_up)
{
	bool cut;

	if (!m)
		return false;
	m->side = side;
	m->field = field;
	m->known = got != NULL;
	m->gave_up = gave_up;
	copy_value(m->want, &cut, want);
	copy_value(m->got, &m->got_cut, got);
	return false;
}

static const char *state_word(enum policy_state s)
{
	return s == POLICY_STATE_LISTEN ? "listen" : s == POLICY_STATE_BOUND ? "bound" : NULL;
}

/* A number for miss(): its text in buf, or NULL when unknown (negative). */
static const char *num(char *buf, size_t len, int64_t v)
{
	if (v < 0)
		return NULL;
	snprintf(buf, len, "%lld", (long long)v);
	return buf;
}

/* A duration in ms as a policy writes it: the largest unit that is exact ("10m", "1500ms"). */
static const char *ms(char *buf, size_t len, int64_t v)
{
	static const struct { const char *unit; int64_t ms; } units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 }, { "s", 1000 },
	};
	size_t i;

	if (v < 0)
		return NULL;
	for (i = 0; i < ARRAY_SIZE(units); i++)
		if (v && v % units[i].ms == 0) {
			snprintf(buf, len, "%lld%s", (long long)(v / units[i].ms), units[i].unit);
			return buf;
		}
	snprintf(buf, len, "%lldms", (long long)v);
	return buf;
}

/*
 * Whether rule r's conditions c on one side (named side) hold for pr; the
 * first that does not is described in m (if not NULL).  The cheap tests
 * first, the regular expression last.
 */
static bool cond_holds(const struct policy *p, const struct policy_rule *r, const char *side,
		       const struct policy_cond *c, const struct policy_proc *pr,
		       struct policy_miss *m)
{
	static const struct policy_proc unknown = { .uid = -1, .age_ms = -1 };
	char want[NUM_LEN], got[NUM_LEN];
	const char *gave_up = NULL;
	size_t i;

	if (!pr)
		pr = &unknown;
	if (c->state != POLICY_STATE_ANY && pr->state != c->state)
		return miss(m, side, "state", state_word(c->state), state_word(pr->state), NULL);
	if (c->uid >= 0 && pr->uid != c->uid)
		return miss(m, side, "uid", num(want, sizeof(want), c->uid),
			    num(got, sizeof(got), pr->uid), NULL);
	if (c->min_age_ms >= 0 && pr->age_ms < c->min_age_ms) /* unknown: -1 */
		return miss(m, side, "min_age", ms(want, sizeof(want), c->min_age_ms),
			    ms(got, sizeof(got), pr->age_ms), NULL);
	if (c->comm && !(known(pr->comm) && !strcmp(c->comm, pr->comm)))
		return miss(m, side, "comm", c->comm, known(pr->comm) ? pr->comm : NULL, NULL);
	if (c->unit && !glob_holds(c->unit, pr->unit) && !glob_holds(c->unit, pr->container))
		return miss(m, side, "unit", c->unit, known(pr->unit) ? pr->unit :
			    known(pr->container) ? pr->container : NULL, NULL);
	if (c->user_unit && !glob_holds(c->user_unit, pr->user_unit))
		return miss(m, side, "user_unit", c->user_unit,
			    known(pr->user_unit) ? pr->user_unit : NULL, NULL);
	for (i = 0; i < POLICY_WL_FIELDS; i++)
		if (c->wl[i] && !glob_holds(c->wl[i], pr->wl[i]))
			return miss(m, side, wl_fields[i], c->wl[i],
				    known(pr->wl[i]) ? pr->wl[i] : NULL, NULL);
	if (c->exe && !glob_holds(c->exe, pr->exe))
		return miss(m, side, "exe", c->exe, known(pr->exe) ? pr->exe : NULL, NULL);
	if (!c->cmdline)
		return true;
	if (!known(pr->cmdline))
		return miss(m, side, "cmdline", c->cmdline->source, NULL, NULL);
	if (!policy_regex_holds(p, r, side, c->cmdline, pr->cmdline, &gave_up))
		return miss(m, side, "cmdline", c->cmdline->source, pr->cmdline, gave_up);
	return true;
}

static const char *proto_word(int proto)
{
	return proto == IPPROTO_TCP ? "tcp" : proto == IPPROTO_UDP ? "udp" : "another protocol";
}

static bool rule_names(const struct policy_rule *r, unsigned int port, int proto)
{
	return portlist_has(r->ports, port) && (!r->proto || r->proto == proto);
}

bool policy_names(const struct policy *p, unsigned int port, int proto)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (rule_names(&p->rules[i], port, proto))
			return true;
	return false;
}

bool policy_rule_holds(const struct policy *p, const struct policy_rule *r, unsigned int port,
		       int proto, const struct policy_proc *holder,
		       const struct policy_proc *requester, struct policy_miss *m)
{
	char want[NUM_LEN], got[NUM_LEN];

	if (!portlist_has(r->ports, port))
		return miss(m, NULL, "port", num(want, sizeof(want), port),
			    num(got, sizeof(got), port), NULL);
	if (r->proto && r->proto != proto)
		return miss(m, NULL, "proto", proto_word(r->proto), proto_word(proto), NULL);
	return cond_holds(p, r, "holder", &r->holder, holder, m) &&
	       cond_holds(p, r, "requester", &r->requester, requester, m);
}

const struct policy_rule *policy_match(const struct policy *p, unsigned int port,
				       int proto, const struct policy_proc *holder,
				       const struct policy_proc *requester)
{
	size_t i;

	for (i = 0; i < p->nrules; i++)
		if (rule_names(&p->rules[i], port, proto) &&
		    policy_rule_holds(p, &p->rules[i], port, proto, holder, requester, NULL))
			return &p->rules[i];
	return NULL;
}

const struct policy_rule *policy_match_why(const struct policy *p, unsigned int port,
					   int proto, const struct policy_proc *holder,
					   const struct policy_proc *requester,
					   struct policy_misses *why)
{
	const struct policy_rule *r;
	struct policy_miss *m;
	size_t i;

	why->n = why->more = 0;
	for (i = 0; i < p->nrules; i++) {
		r = &p->rules[i];
		/* a rule of another protocol is explained too: "proto udp is not tcp" */
		if (!portlist_has(r->ports, port))
			continue;
		m = why->n < POLICY_MAX_MISSES ? &why->miss[why->n] : NULL;
		if (policy_rule_holds(p, r, port, proto, holder, requester, m))
			return r;
		if (m)
			why->rule[why->n++] = r;
		else
			why->more++;
	}
	return NULL;
}

const struct policy_rule *policy_expect_miss(const struct policy *p, unsigned int port,
					     int proto, const struct policy_proc *caller,
					     struct policy_miss *m)
{
	const struct policy_rule *first = NULL;
	struct policy_miss first_miss, *fm = m ? &first_miss : NULL;
	size_t i;

	for (i = 0; i < p->nexpects; i++) {
		const struct policy_rule *r = &p->expects[i];

		if (!rule_names(r, port, proto))
			continue;
		/* a give-up is not reported (p NULL): the caller is then recorded, unexpected */
		if (cond_holds(NULL, r, "owner", &r->requester, caller, first ? NULL : fm))
			return NULL;
		if (!first)
			first = r;
	}
	if (first && m)
		*m = first_miss;
	return first;
}

const struct policy_rule *policy_expect_names(const struct policy *p, unsigned int port,
					      int proto)
{
	size_t i;

	for (i = 0; p && i < p->nexpects; i++)
		if (rule_names(&p->expects[i], port, proto))
			return &p->expects[i];
	return NULL;
}

void policy_expect_ports(const struct policy *p, uint64_t *ports)
{
	size_t i, w;

	memset(ports, 0, PORTLIST_WORDS * sizeof(*ports));
	for (i = 0; i < p->nexpects; i++)
		for (w = 0; w < PORTLIST_WORDS; w++)
			ports[w] |= p->expects[i].ports[w];
}

/* The first of globs (NULL-terminated, or NULL) that s matches, or NULL. */
static const char *any_glob(char *const *globs, const char *s)
{
	for (; globs && *globs; globs++)
		if (glob_holds(*globs, s))
			return *globs;
	return NULL;
}

/* Fill hit (if not NULL) with key and entry; true, for "return hit_is(...)". */
static bool hit_is(struct policy_protect_hit *hit, const char *key, const char *entry,
		   int64_t uid)
{
	if (hit)
		*hit = (struct policy_protect_hit){ key, entry, uid };
	return true;
}

static const char *const protect_wl_keys[POLICY_WL_FIELDS] = {
	[POLICY_WL_NAME] = "protect.container.name",
	[POLICY_WL_IMAGE] = "protect.container.image",
	[POLICY_WL_RUNTIME] = "protect.container.runtime",
	[POLICY_WL_POD_NAMESPACE] = "protect.pod.namespace",
	[POLICY_WL_POD_NAME] = "protect.pod.name",
	[POLICY_WL_POD_CONTAINER] = "protect.pod.container",
};

bool policy_protected(const struct policy *p, const struct policy_proc *holder,
		      struct policy_protect_hit *hit)
{
	const struct policy_protect *pr = &p->protect;
	char *const *comm;
	const char *g;
	size_t i;

	if (!holder)
		return false;
	for (i = 0; i < pr->nuid; i++)
		if (pr->uid[i] == holder->uid ||
		    (holder->id && (pr->uid[i] == holder->id->euid ||
				    pr->uid[i] == holder->id->suid)))
			return hit_is(hit, "protect.uid", NULL, pr->uid[i]);
	for (comm = pr->comm; comm && *comm && known(holder->comm); comm++)
		if (!strcmp(*comm, holder->comm))
			return hit_is(hit, "protect.comm", *comm, -1);
	for (i = 0; i < POLICY_WL_FIELDS; i++)
		if ((g = any_glob(pr->wl[i], holder->wl[i])))
			return hit_is(hit, protect_wl_keys[i], g, -1);
	if ((g = any_glob(pr->unit, holder->unit)) || (g = any_glob(pr->unit, holder->container)))
		return hit_is(hit, "protect.unit", g, -1);
	if ((g = any_glob(pr->exe, holder->exe)))
		return hit_is(hit, "protect.exe", g, -1);
	return false;
}

bool policy_protect_blind(const struct policy *p, const struct policy_proc *holder)
{
	bool names = false;
	size_t i;

	for (i = 0; i < POLICY_WL_FIELDS; i++)
		names |= p->protect.wl[i] != NULL;
	if (!names || !holder || !(known(holder->container) || known(holder->wl_id)))
		return false;
	/* the runtime comes from the cgroup path; the rest from its files */
	for (i = 0; i < POLICY_WL_FIELDS; i++)
		if (i != POLICY_WL_RUNTIME && known(holder->wl[i]))
			return false;
	return true;
}

/* Point pp's workload fields at w's (NULL: none known); "" counts as unknown. */
static void proc_workload(struct policy_proc *pp, const struct workload *w)
{
	if (!w)
		return;
	pp->wl_id = w->id[0] ? w->id : NULL;
	pp->wl[POLICY_WL_NAME] = w->name;
	pp->wl[POLICY_WL_IMAGE] = w->image;
	pp->wl[POLICY_WL_RUNTIME] = w->runtime[0] ? w->runtime : NULL;
	pp->wl[POLICY_WL_POD_NAMESPACE] = w->pod.namespace;
	pp->wl[POLICY_WL_POD_NAME] = w->pod.name;
	pp->wl[POLICY_WL_POD_CONTAINER] = w->pod.container;
	pp->proxy = w->source == WORKLOAD_PROXY;
}

void policy_proc_of(struct policy_proc *pp, const char *comm, const struct proc_info *pi,
		    int64_t uid, uint64_t start_ns, uint64_t boot_ns, struct policy_proc_bufs *b)
{
	memset(pp, 0, sizeof(*pp));
	if (comm) {
		memcpy(b->comm, comm, BW_COMM_LEN);
		b->comm[BW_COMM_LEN] = '\0';
		pp->comm = b->comm;
	}
	pp->exe = pi->exe;
	pp->cmdline = pi->cmdline;
	pp->unit = pi->unit;
	pp->user_unit = pi->user_unit;
	pp->container = pi->container[0] ? pi->container : NULL;
	proc_workload(pp, pi->workload);
	pp->uid = uid;
	pp->age_ms = boot_ns > start_ns ? (int64_t)((boot_ns - start_ns) / NSEC_PER_MSEC) : -1;
	pp->state = POLICY_STATE_ANY;
}
