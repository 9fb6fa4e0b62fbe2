// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgpath.c - name the service behind a process from its cgroup path.
 *
 * It owns the reading of cgroup paths; it must not read the file system
 * (what it needs to know of it, a caller's cgpath_owner_fn tells).
 *
 * A pid alone says little once the process has exited; the systemd unit
 * or container id in its cgroup path says which service to look at.  Both
 * lookups scan the path component by component and keep the last match,
 * because the innermost cgroup is the most specific: a container scope
 * nested in a service, or a session scope inside a user slice.  Only
 * whole components match, so "/foo.service.d/x" names no unit and a hex
 * run of the wrong length is not mistaken for a container id.  The unit and
 * the container are looked for only up to the end of the first delegated
 * cgroup, the user_unit only after it: whoever has the delegation names
 * cgroups below it at will, and a name it chose must never pass for one
 * the system gave.  A cgroup the caller cannot vouch for ends the system
 * part before its name: unknown names are not trusted.
 *
 * A container's layout also names its runtime (a scope's prefix, the
 * parent of a cgroupfs id); ctr's "/NAMESPACE/ID", whose id is any name,
 * is only a shape here, marked so, for the runtime's files to confirm.
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "cgpath.h"
#include "util.h"

#define SCOPE_SUFFIX ".scope"

/* Unit types that own processes; slices only group other units. */
static const char *const unit_suffixes[] = {
	".service", SCOPE_SUFFIX, ".socket", ".mount", ".swap", NULL,
};

/* Units whose subtree systemd always delegates, to a user's service manager. */
static const struct {
	const char *prefix;
	bool digits; /* the instance is a uid */
} delegating[] = {
	{ "user@", true }, { "capsule@", false },
};

#define SERVICE_SUFFIX ".service"

/* Runtimes that name their systemd scope "<prefix><id>.scope". */
static const struct {
	const char *prefix;
	enum cgpath_runtime runtime;
	const char *ns; /* the containerd namespace it implies, or NULL */
} runtime_prefixes[] = {
	{ "docker-", CGPATH_RUNTIME_DOCKER, NULL },
	{ "libpod-", CGPATH_RUNTIME_PODMAN, NULL },
	{ "crio-", CGPATH_RUNTIME_CRIO, NULL },
	{ "cri-containerd-", CGPATH_RUNTIME_CONTAINERD, CG_CRI_NAMESPACE },
};

/* Parents of a bare id, or of "libpod-<id>", that name its runtime (cgroupfs layouts). */
#define DOCKER_PARENT "docker"
#define PODMAN_PARENT "libpod_parent"
#define PODMAN_PREFIX "libpod-"
#define SLICE_SUFFIX ".slice"
#define CTR_COMPONENTS 2 /* ctr's "/NAMESPACE/ID" */

/*
 * Look at component s[0..n): return where the part of interest starts and
 * its length in *len, or NULL when the component does not match.
 */
typedef const char *match_fn(const char *s, size_t n, size_t *len);

static bool has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t len = strlen(suffix);

	return n > len && !memcmp(s + n - len, suffix, len);
}

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

bool cgpath_is_container_id(const char *s, size_t n)
{
	size_t i;

	if (n != CG_CONTAINER_ID_LEN)
		return false;
	for (i = 0; i < n; i++)
		if (!is_lower_hex(s[i]))
			return false;
	return true;
}

static const char *match_unit(const char *s, size_t n, size_t *len)
{
	const char *const *suffix;

	for (suffix = unit_suffixes; *suffix; suffix++) {
		if (has_suffix(s, n, *suffix)) {
			*len = n;
			return s;
		}
	}
	return NULL;
}

/* The scope "<prefix><id>.scope" s[0..n): the id, and the prefix's index in *i; NULL when not one. */
static const char *match_scope(const char *s, size_t n, size_t *i)
{
	size_t plen;

	if (!has_suffix(s, n, SCOPE_SUFFIX))
		return NULL;
	n -= strlen(SCOPE_SUFFIX);
	for (*i = 0; *i < ARRAY_SIZE(runtime_prefixes); (*i)++) {
		plen = strlen(runtime_prefixes[*i].prefix);
		if (n >= plen && !memcmp(s, runtime_prefixes[*i].prefix, plen) &&
		    cgpath_is_container_id(s + plen, n - plen))
			return s + plen;
	}
	return NULL;
}

/* Whether component s[0..n) is named as a unit whose subtree is always delegated. */
static bool is_delegating(const char *s, size_t n)
{
	size_t i, plen, k;

	if (!has_suffix(s, n, SERVICE_SUFFIX))
		return false;
	n -= strlen(SERVICE_SUFFIX);
	for (i = 0; i < sizeof(delegating) / sizeof(delegating[0]); i++) {
		plen = strlen(delegating[i].prefix);
		if (n <= plen || memcmp(s, delegating[i].prefix, plen))
			continue;
		for (k = plen; delegating[i].digits && k < n; k++)
			if (s[k] < '0' || s[k] > '9')
				break;
		if (k == n || !delegating[i].digits)
			return true;
	}
	return false;
}

size_t cgpath_system_len(const char *path, cgpath_owner_fn *owner, void *arg)
{
	const char *s = path;
	enum cgpath_owner who;
	size_t n;

	for (s += strspn(s, "/"); *s; s += strspn(s, "/")) {
		n = strcspn(s, "/");
		who = owner ? owner(path, (size_t)(s + n - path), arg) : CGPATH_SYSTEM;
		if (who == CGPATH_UNKNOWN)
			return (size_t)(s - path);
		if (who == CGPATH_DELEGATED || is_delegating(s, n))
			return (size_t)(s + n - path);
		s += n;
	}
	return (size_t)(s - path);
}

/*
 * The last match in path[0..end), its length in *len; NULL when there is
 * none.
 */
static const char *find_last(const char *path, size_t end, match_fn *match, size_t *len)
{
	const char *found = NULL, *hit, *stop = path + end;
	size_t n, hit_len;

	for (path += strspn(path, "/"); path < stop && *path; path += strspn(path, "/")) {
		n = strcspn(path, "/");
		hit = match(path, n, &hit_len);
		if (hit) {
			found = hit;
			*len = hit_len;
		}
		path += n;
	}
	return found;
}

static int copy_unit(const char *found, size_t n, char *unit, size_t len)
{
	if (!found)
		return -ENOENT;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(unit, found, n);
	unit[n] = '\0';
	return 0;
}

int cgpath_unit(const char *path, size_t sys_len, char *unit, size_t len)
{
	size_t n = 0;
	const char *found = find_last(path, sys_len, match_unit, &n);

	return copy_unit(found, n, unit, len);
}

int cgpath_user_unit(const char *path, size_t sys_len, char *unit, size_t len)
{
	size_t n = 0;
	const char *found = find_last(path + sys_len, strlen(path + sys_len), match_unit, &n);

	return copy_unit(found, n, unit, len);
}

/* Whether s[0..n) is the literal word. */
static bool is_word(const char *s, size_t n, const char *word)
{
	return n == strlen(word) && !memcmp(s, word, n);
}

static bool is_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

bool cgpath_is_identifier(const char *s, size_t n, size_t max)
{
	size_t i;

	if (!n || n > max || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (i = 1; i < n; i++)
		if (!is_alnum(s[i]) && (!strchr("._-", s[i]) || !is_alnum(s[i - 1])))
			return false;
	return true;
}

/* A systemd name: a slice or a unit, never ctr's. */
static bool is_systemd_name(const char *s, size_t n)
{
	size_t len;

	return has_suffix(s, n, SLICE_SUFFIX) || match_unit(s, n, &len);
}

static void set_ctr(struct cgpath_ctr *c, enum cgpath_runtime rt, const char *id, size_t id_len,
		    const char *ns, size_t ns_len)
{
	memset(c, 0, sizeof(*c));
	c->runtime = rt;
	memcpy(c->id, id, id_len);
	if (ns && cgpath_is_identifier(ns, ns_len, CG_NAMESPACE_LEN))
		memcpy(c->ns, ns, ns_len);
}

/* Whether component s[0..n), below parent p[0..pn), names a container: then into *c. */
static bool match_ctr(const char *p, size_t pn, const char *s, size_t n, struct cgpath_ctr *c)
{
	size_t plen = strlen(PODMAN_PREFIX), i;
	const char *id;

	if (cgpath_is_container_id(s, n)) {
		set_ctr(c, is_word(p, pn, DOCKER_PARENT) ? CGPATH_RUNTIME_DOCKER :
			CGPATH_RUNTIME_UNKNOWN, s, n, p, pn);
		return true;
	}
	if (is_word(p, pn, PODMAN_PARENT) && n > plen && !memcmp(s, PODMAN_PREFIX, plen) &&
	    cgpath_is_container_id(s + plen, n - plen)) {
		set_ctr(c, CGPATH_RUNTIME_PODMAN, s + plen, n - plen, NULL, 0);
		return true;
	}
	id = match_scope(s, n, &i);
	if (!id)
		return false;
	set_ctr(c, runtime_prefixes[i].runtime, id, CG_CONTAINER_ID_LEN, runtime_prefixes[i].ns,
		runtime_prefixes[i].ns ? strlen(runtime_prefixes[i].ns) : 0);
	return true;
}

/*
 * ctr's "/NAMESPACE/ID": exactly two components, both identifiers, no
 * systemd name, not below another runtime's parent.
 */
static bool match_ctr_named(const char *path, size_t sys_len, struct cgpath_ctr *c)
{
	const char *s = path, *stop = path + sys_len, *comp[CTR_COMPONENTS];
	size_t n[CTR_COMPONENTS], k = 0, len;

	for (s += strspn(s, "/"); s < stop && *s; s += strspn(s, "/")) {
		len = strcspn(s, "/");
		if (k == CTR_COMPONENTS || s + len > stop)
			return false;
		comp[k] = s;
		n[k++] = len;
		s += len;
	}
	/* docker's and podman's cgroupfs parents hold their helpers (conmon) too */
	if (k != CTR_COMPONENTS || is_word(comp[0], n[0], DOCKER_PARENT) ||
	    is_word(comp[0], n[0], PODMAN_PARENT) || is_systemd_name(comp[0], n[0]) ||
	    is_systemd_name(comp[1], n[1]) || !cgpath_is_identifier(comp[0], n[0], CG_NAMESPACE_LEN) ||
	    !cgpath_is_identifier(comp[1], n[1], CG_CONTAINER_ID_LEN))
		return false;
	set_ctr(c, CGPATH_RUNTIME_CONTAINERD, comp[1], n[1], comp[0], n[0]);
	c->named = true;
	return true;
}

int cgpath_container_of(const char *path, size_t sys_len, struct cgpath_ctr *c)
{
	const char *s = path, *stop = path + sys_len, *parent = "";
	size_t n, pn = 0;
	bool found = false;

	for (s += strspn(s, "/"); s < stop && *s; s += strspn(s, "/")) {
		n = strcspn(s, "/");
		if (match_ctr(parent, pn, s, n, c))
			found = true;
		parent = s;
		pn = n;
		s += n;
	}
	return found || match_ctr_named(path, sys_len, c) ? 0 : -ENOENT;
}

int cgpath_container(const char *path, size_t sys_len, char id[CG_CONTAINER_ID_LEN + 1])
{
	struct cgpath_ctr c;

	if (cgpath_container_of(path, sys_len, &c) || c.named)
		return -ENOENT;
	memcpy(id, c.id, sizeof(c.id));
	return 0;
}
