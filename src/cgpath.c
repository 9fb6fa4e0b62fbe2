// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * cgpath.c - name the service behind a process from its cgroup path.
 *
 * A pid alone says little once the process has exited; the systemd unit
 * or container id in its cgroup path says which service to look at.  Both
 * lookups scan the path component by component and keep the last match,
 * because the innermost cgroup is the most specific: a container scope
 * nested in a service, or a session scope inside a user slice.  Only
 * whole components match, so "/foo.service.d/x" names no unit and a hex
 * run of the wrong length is not mistaken for a container id.
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

/* The last match in path, its length in *len; NULL when there is none. */
static const char *find_last(const char *path, match_fn *match, size_t *len)
{
	const char *found = NULL, *hit;
	size_t n, hit_len;

	for (path += strspn(path, "/"); *path; path += strspn(path, "/")) {
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

int cgpath_unit(const char *path, char *unit, size_t len)
{
	const char *found;
	size_t n;

	found = find_last(path, match_unit, &n);
	if (!found)
		return -ENOENT;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(unit, found, n);
	unit[n] = '\0';
	return 0;
}

int cgpath_container(const char *path, char id[CG_CONTAINER_ID_LEN + 1])
{
	const char *found;
	size_t n;

	found = find_last(path, match_container, &n);
	if (!found)
		return -ENOENT;
	memcpy(id, found, n);
	id[n] = '\0';
	return 0;
}
