// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wl_storage.c - a podman or CRI-O container as containers/storage and
 * its OCI bundle describe it (wl_file.h).
 *
 * It owns the reading of containers/storage's files; it must not trust
 * one that wl_load() refuses.
 *
 * Both runtimes keep their containers in containers/storage: its index,
 * overlay-containers/containers.json under the graph root, has an entry
 * per container with its names and a "metadata" string that is JSON
 * itself (podman's "name" and "image-name", CRI-O's too).  The bundle's
 * config.json (userdata/, under the graph root for podman, the run root
 * for CRI-O) has the annotations: "io.container.manager" names the
 * runtime, CRI-O adds its own and Kubernetes' (the pod, its namespace
 * and uid, the container's name in the pod, the image).  A container its
 * layout calls podman's and that the index lists needs no bundle: podman
 * writes no Kubernetes names there, and the bundle's seccomp profile,
 * kilobytes of JSON, would double the cost of a lookup.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>
#include "util.h"
#include "wl_file.h"

/* containers/storage's drivers whose containers this reads. */
static const char *const drivers[] = { "overlay", "vfs" };

static const char *const bundle_roots[] = { WL_STORAGE_ROOT, WL_STORAGE_RUNROOT };

#define MANAGER_ANNOTATION "io.container.manager"
#define CRIO_SANDBOX_ANNOTATION "io.kubernetes.cri-o.SandboxID" /* only CRI-O's containers */
#define CRIO_IMAGE_ANNOTATION "io.kubernetes.cri-o.ImageName"

/* The runtime each "io.container.manager" value names. */
static const struct {
	const char *manager, *runtime;
} managers[] = {
	{ "libpod", "podman" }, { "cri-o", "cri-o" },
};

/* The entry of container id in the index of driver, a new reference or NULL. */
static json_t *index_entry(const char *driver, const char *id, int *err)
{
	char path[PATH_MAX];
	json_t *index, *e, *found = NULL;
	size_t i;

	*err = wl_path(path, sizeof(path), WL_STORAGE_ROOT "/%s-containers/containers.json",
		       driver);
	index = *err ? NULL : wl_load(path, WL_INDEX_MAX, err);
	json_array_foreach(index, i, e) {
		if (json_is_string(json_object_get(e, "id")) &&
		    !strcmp(json_string_value(json_object_get(e, "id")), id)) {
			found = json_incref(e);
			break;
		}
	}
	json_decref(index);
	return found;
}

/* Name and image from an index entry: its first name, and its metadata's. */
static void from_entry(const json_t *e, struct workload *w)
{
	const char *meta = json_string_value(json_object_get(e, "metadata"));
	json_t *m = meta && strlen(meta) <= WL_FILE_MAX ?
		    json_loads(meta, JSON_REJECT_DUPLICATES, NULL) : NULL;

	w->name = wl_strv(json_array_get(json_object_get(e, "names"), 0));
	if (!w->name)
		w->name = wl_str(m, "name");
	w->image = wl_str(m, "image-name");
	json_decref(m);
}

/* The runtime the annotations name, or NULL. */
static const char *runtime_of(const json_t *ann)
{
	const char *manager = json_string_value(json_object_get(ann, MANAGER_ANNOTATION));
	size_t i;

	for (i = 0; manager && i < ARRAY_SIZE(managers); i++)
		if (!strcmp(manager, managers[i].manager))
			return managers[i].runtime;
	return json_object_get(ann, CRIO_SANDBOX_ANNOTATION) ? "cri-o" : NULL;
}

/* The annotations of the bundle of container id: runtime, image, pod; 0 or -errno. */
static int from_bundle(const char *driver, const char *id, struct workload *w)
{
	char path[PATH_MAX];
	const char *runtime;
	json_t *spec = NULL, *ann;
	size_t i;
	int err = -ENOENT;

	for (i = 0; !spec && i < ARRAY_SIZE(bundle_roots); i++) {
		err = wl_path(path, sizeof(path), "%s/%s-containers/%s/userdata/config.json",
			      bundle_roots[i], driver, id);
		spec = err ? NULL : wl_load(path, WL_FILE_MAX, &err);
	}
	if (!spec)
		return err;
	ann = json_object_get(spec, "annotations");
	runtime = runtime_of(ann);
	if (runtime && !w->runtime[0])
		snprintf(w->runtime, sizeof(w->runtime), "%s", runtime);
	if (!w->image)
		w->image = wl_str(ann, CRIO_IMAGE_ANNOTATION);
	wl_pod_fill(&w->pod, ann);
	json_decref(spec);
	return 0;
}

int wl_storage_read(const char *id, bool podman, struct workload *w)
{
	json_t *e = NULL;
	int err = -ENOENT, bundle = -ENOENT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(drivers) && err && bundle; i++) {
		e = index_entry(drivers[i], id, &err);
		if (e) {
			from_entry(e, w);
			json_decref(e);
			err = 0;
		} else if (!err) {
			err = -ENOENT; /* an index that does not list it */
		}
		/* podman's bundle adds no name, and its seccomp profile is most of a parse */
		if (err || !podman)
			bundle = from_bundle(drivers[i], id, w);
	}
	return err && bundle ? err : 0;
}
