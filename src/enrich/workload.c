// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * workload.c - the container or pod of a process, from its cgroup path
 * and the runtime's files (workload.h).
 *
 * It owns which runtime is asked about which container and the cache of
 * their answers; it must not read a runtime's file itself (wl_file.c and
 * the readers do) nor trust a name from a delegated subtree (the caller
 * gives the system part's length, cgpath.h).
 *
 * The cgroup layout names the runtime (a "libpod-" scope is podman's); a
 * bare id (Kubernetes' cgroupfs layout) is asked of Docker, then
 * containers/storage, then containerd, the first that knows it answering.
 * A layout's container whose files cannot be read keeps its runtime and
 * id; ctr's "/NAMESPACE/ID", which only the shape of a path says, is a
 * container only once containerd's task directory has it.
 *
 * A conflict names the same few containers again and again, and each
 * answer costs a file or three to parse: answers (those that no runtime
 * knows too) are kept for CACHE_NS in CACHE_SLOTS slots, the oldest
 * making room, so a container renamed meanwhile shows its old name for
 * at most CACHE_NS.  The reads themselves are bounded in time
 * (wl_load(): the stall guard), and the cache is shared by the threads
 * that enrich records, under one lock that is never held while reading.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"
#include "wl_file.h"
#include "workload.h"

#define CACHE_SLOTS 64
#define CACHE_NS (5 * NSEC_PER_SEC)

/* What the runtimes said of one container, and when. */
struct slot {
	struct cgpath_ctr key;
	uint64_t at;          /* CLOCK_MONOTONIC; 0: empty */
	struct workload *w;   /* its workload, source WORKLOAD_CGROUP */
	bool known;           /* a runtime knows it (w has more than the layout's runtime and id) */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct slot cache[CACHE_SLOTS];

/* The runtime's name in a record, for each layout's. */
static const char *const runtime_names[] = {
	[CGPATH_RUNTIME_UNKNOWN] = "",
	[CGPATH_RUNTIME_DOCKER] = "docker",
	[CGPATH_RUNTIME_PODMAN] = "podman",
	[CGPATH_RUNTIME_CRIO] = "cri-o",
	[CGPATH_RUNTIME_CONTAINERD] = "containerd",
};

/* Forget the strings read, keep the layout's runtime and id. */
static void forget(struct workload *w)
{
	free(w->name);
	free(w->image);
	free(w->pod.name);
	free(w->pod.namespace);
	free(w->pod.uid);
	free(w->pod.container);
	memset(&w->pod, 0, sizeof(w->pod));
	w->name = w->image = NULL;
}

/* A bare id: whichever runtime knows it. */
static int read_any(const struct cgpath_ctr *c, struct workload *w)
{
	int err = wl_docker_read(c->id, w);

	if (err) {
		forget(w);
		err = wl_storage_read(c->id, false, w);
	}
	if (err) {
		forget(w);
		/* its parent may be ctr's namespace; else any namespace */
		err = c->ns[0] ? wl_containerd_read(c->ns, c->id, w) : -ENOENT;
		if (err)
			err = wl_containerd_read("", c->id, w);
	}
	return err;
}

/* Ask the runtime c's layout names (0), or none knows it (-errno). */
static int ask(const struct cgpath_ctr *c, struct workload *w)
{
	switch (c->runtime) {
	case CGPATH_RUNTIME_DOCKER:
		return wl_docker_read(c->id, w);
	case CGPATH_RUNTIME_PODMAN:
	case CGPATH_RUNTIME_CRIO:
		return wl_storage_read(c->id, c->runtime == CGPATH_RUNTIME_PODMAN, w);
	case CGPATH_RUNTIME_CONTAINERD:
		return wl_containerd_read(c->ns, c->id, w);
	case CGPATH_RUNTIME_UNKNOWN:
		break;
	}
	return read_any(c, w);
}

/* A new workload of c as the runtimes have it, *known whether one does; NULL on ENOMEM. */
static struct workload *lookup(const struct cgpath_ctr *c, bool *known)
{
	struct workload *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	w->source = WORKLOAD_CGROUP;
	w->container_port = -1;
	memcpy(w->id, c->id, sizeof(w->id));
	*known = !ask(c, w);
	if (!*known)
		forget(w);
	/* the layout's word on the runtime before the files' */
	if (c->runtime != CGPATH_RUNTIME_UNKNOWN)
		snprintf(w->runtime, sizeof(w->runtime), "%s", runtime_names[c->runtime]);
	return w;
}

static bool same_key(const struct cgpath_ctr *a, const struct cgpath_ctr *b)
{
	return a->runtime == b->runtime && a->named == b->named && !strcmp(a->id, b->id) &&
	       !strcmp(a->ns, b->ns);
}

/* A copy of the cached answer for c, if fresh: true then (*w may be NULL on ENOMEM). */
static bool cached(const struct cgpath_ctr *c, uint64_t now, struct workload **w, bool *known)
{
	bool hit = false;
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < CACHE_SLOTS && !hit; i++) {
		if (!cache[i].at || now - cache[i].at >= CACHE_NS || !same_key(&cache[i].key, c))
			continue;
		hit = true;
		*known = cache[i].known;
		*w = workload_dup(cache[i].w);
	}
	pthread_mutex_unlock(&lock);
	return hit;
}

/* Keep a copy of w, the answer for c, in the slot of c, an empty one or the oldest. */
static void remember(const struct cgpath_ctr *c, const struct workload *w, bool known,
		     uint64_t now)
{
	struct workload *copy = workload_dup(w);
	struct slot *s = &cache[0];
	size_t i;

	if (!copy)
		return;
	pthread_mutex_lock(&lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		if (cache[i].at && same_key(&cache[i].key, c)) {
			s = &cache[i];
			break;
		}
		if (cache[i].at < s->at)
			s = &cache[i];
	}
	workload_free(s->w);
	s->key = *c;
	s->at = now;
	s->w = copy;
	s->known = known;
	pthread_mutex_unlock(&lock);
}

/* The workload of c, from the cache or the runtimes; NULL on ENOMEM. */
static struct workload *resolve(const struct cgpath_ctr *c, bool *known)
{
	uint64_t now = now_ns(CLOCK_MONOTONIC);
	struct workload *w = NULL;

	if (cached(c, now, &w, known))
		return w;
	w = lookup(c, known);
	if (w)
		remember(c, w, *known, now);
	return w;
}

struct workload *workload_of_cgroup(const char *path, size_t sys_len)
{
	struct cgpath_ctr c;
	struct workload *w;
	bool known;

	if (!path || cgpath_container_of(path, sys_len, &c))
		return NULL;
	w = resolve(&c, &known);
	/* a path's shape alone is no container */
	if (w && !known && c.named) {
		workload_free(w);
		return NULL;
	}
	return w;
}

/* The layout runtime of a runtime's name; false when it is none of them. */
static bool runtime_of_name(const char *name, enum cgpath_runtime *rt)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(runtime_names); i++)
		if (!strcmp(name ? name : "", runtime_names[i])) {
			*rt = (enum cgpath_runtime)i;
			return true;
		}
	return false;
}

bool workload_runtime_known(const char *name)
{
	enum cgpath_runtime rt;

	return runtime_of_name(name, &rt) && rt != CGPATH_RUNTIME_UNKNOWN;
}

struct workload *workload_of_container(const char *runtime, const char *id,
				       enum workload_source source, int container_port)
{
	struct cgpath_ctr c = { 0 };
	size_t n = id ? strlen(id) : 0;
	struct workload *w;
	bool known;

	if (!cgpath_is_identifier(id, n, CG_CONTAINER_ID_LEN) || !runtime_of_name(runtime, &c.runtime))
		return NULL;
	memcpy(c.id, id, n);
	c.named = !cgpath_is_container_id(id, n);
	w = resolve(&c, &known);
	if (w && !known) {
		workload_free(w);
		return NULL;
	}
	if (w) {
		w->source = source;
		w->container_port = container_port;
	}
	return w;
}

/* A copy of s into *dst; false on ENOMEM. */
static bool dup_str(char **dst, const char *s)
{
	*dst = s ? strdup(s) : NULL;
	return !s || *dst;
}

struct workload *workload_dup(const struct workload *w)
{
	struct workload *d;

	if (!w || !(d = malloc(sizeof(*d))))
		return NULL;
	*d = *w;
	d->name = d->image = NULL;
	memset(&d->pod, 0, sizeof(d->pod));
	if (!dup_str(&d->name, w->name) || !dup_str(&d->image, w->image) ||
	    !dup_str(&d->pod.name, w->pod.name) || !dup_str(&d->pod.namespace, w->pod.namespace) ||
	    !dup_str(&d->pod.uid, w->pod.uid) || !dup_str(&d->pod.container, w->pod.container)) {
		workload_free(d);
		return NULL;
	}
	return d;
}

void workload_free(struct workload *w)
{
	if (!w)
		return;
	forget(w);
	free(w);
}

void wl_cache_flush(void)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < CACHE_SLOTS; i++) {
		workload_free(cache[i].w);
		memset(&cache[i], 0, sizeof(cache[i]));
	}
	pthread_mutex_unlock(&lock);
}
