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
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include "cgpath.h"

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
static const char *const runtime_prefixes[] = {
	"docker-", "libpod-", "crio-", "cri-containerd-", NULL,
};

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

static bool is_container_id(const char *s, size_t n)
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

static const char *match_container(const char *s, size_t n, size_t *len)
{
	const char *const *prefix;
	size_t plen;

	*len = CG_CONTAINER_ID_LEN;
	if (is_container_id(s, n))
		return s;
	if (!has_suffix(s, n, SCOPE_SUFFIX))
		return NULL;
	n -= strlen(SCOPE_SUFFIX);
	for (prefix = runtime_prefixes; *prefix; prefix++) {
		plen = strlen(*prefix);
		if (n >= plen && !memcmp(s, *prefix, plen) &&
		    is_container_id(s + plen, n - plen))
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

int cgpath_container(const char *path, size_t sys_len, char id[CG_CONTAINER_ID_LEN + 1])
{
	const char *found;
	size_t n;

	found = find_last(path, sys_len, match_container, &n);
	if (!found)
		return -ENOENT;
	memcpy(id, found, n);
	id[n] = '\0';
	return 0;
}
