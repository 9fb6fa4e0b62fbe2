// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wl_containerd.c - a containerd task as its OCI bundle describes it
 * (wl_file.h).
 *
 * It owns the reading of containerd's task bundles; it must not trust one
 * that wl_load() refuses.
 *
 * containerd keeps no name but the id (ctr's "web", the CRI's 64 hex
 * digits) in files a reader outside it could parse: its metadata is a
 * bolt database.  What a running task has is its bundle,
 * io.containerd.runtime.v2.task/NAMESPACE/ID/ under the state directory,
 * whose config.json carries the annotations the CRI plugin writes: the
 * pod (io.kubernetes.cri.sandbox-name, -namespace, -uid), the container's
 * name in it and the image.  An id that is not the CRI's 64 hex digits
 * is a name ctr was given, and stands as the container's name.  An id the layout did not give a namespace
 * for is looked for in each namespace's directory, at most NS_SCAN_MAX.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "wl_file.h"

#define CONTAINERD_RUNTIME "containerd"
#define TASK_DIR WL_CONTAINERD_STATE "/io.containerd.runtime.v2.task"
#define IMAGE_ANNOTATION "io.kubernetes.cri.image-name"
#define NS_SCAN_MAX 32 /* namespaces looked in for an id without one */

/* The task id in namespace ns: 0, or -errno (-ENOENT: none there). */
static int read_task(const char *ns, const char *id, struct workload *w)
{
	char path[PATH_MAX];
	json_t *spec, *ann;
	int err;

	err = wl_path(path, sizeof(path), TASK_DIR "/%s/%s/config.json", ns, id);
	spec = err ? NULL : wl_load(path, WL_FILE_MAX, &err);
	if (!spec)
		return err;
	snprintf(w->runtime, sizeof(w->runtime), "%s", CONTAINERD_RUNTIME);
	ann = json_object_get(spec, "annotations");
	w->image = wl_str(ann, IMAGE_ANNOTATION);
	wl_pod_fill(&w->pod, ann);
	/* ctr's id is the name it was given; the CRI's is 64 hex digits, no name */
	if (!cgpath_is_container_id(id, strlen(id)))
		w->name = strdup(id);
	json_decref(spec);
	return 0;
}

/* The task id in whichever namespace has it. */
static int scan_namespaces(const char *id, struct workload *w)
{
	char path[PATH_MAX];
	struct dirent *d;
	unsigned int n = 0;
	int err, fd;
	DIR *dir;

	err = wl_path(path, sizeof(path), TASK_DIR);
	fd = err ? -1 : open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err ? err : -errno;
	dir = fdopendir(fd);
	if (!dir) {
		err = -errno;
		close(fd);
		return err;
	}
	err = -ENOENT;
	while (err && n < NS_SCAN_MAX && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		n++;
		err = read_task(d->d_name, id, w);
	}
	closedir(dir);
	return err;
}

int wl_containerd_read(const char *ns, const char *id, struct workload *w)
{
	return ns[0] ? read_task(ns, id, w) : scan_namespaces(id, w);
}
