// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * wl_docker.c - a Docker container as dockerd describes it
 * (wl_file.h).
 *
 * It owns the reading of dockerd's container files; it must not trust one
 * that wl_load() refuses.
 *
 * dockerd keeps each container's state in containers/ID/config.v2.json
 * under its data root: "Name" ("/web": the leading '/' is Docker's, not
 * the name's), "Config.Image" as the user gave it, "Config.Labels" (the
 * kubelet's io.kubernetes.* under dockershim or cri-dockerd).  Its "ID"
 * must be the one asked for: a file of another container's is not this
 * one's.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include "wl_file.h"

#define DOCKER_RUNTIME "docker"

int wl_docker_read(const char *id, struct workload *w)
{
	char path[PATH_MAX];
	const char *name;
	json_t *j, *config;
	int err;

	err = wl_path(path, sizeof(path), WL_DOCKER_ROOT "/containers/%s/config.v2.json", id);
	j = err ? NULL : wl_load(path, WL_FILE_MAX, &err);
	if (!j)
		return err;
	if (!json_is_string(json_object_get(j, "ID")) ||
	    strcmp(json_string_value(json_object_get(j, "ID")), id)) {
		json_decref(j);
		return -ENOENT;
	}
	snprintf(w->runtime, sizeof(w->runtime), "%s", DOCKER_RUNTIME);
	w->name = wl_str(j, "Name");
	/* "/web": strip Docker's '/' by moving the rest down (NUL included) */
	name = w->name;
	if (name && name[0] == '/')
		memmove(w->name, name + 1, strlen(name));
	if (w->name && !w->name[0]) {
		free(w->name);
		w->name = NULL;
	}
	config = json_object_get(j, "Config");
	w->image = wl_str(config, "Image");
	wl_pod_fill(&w->pod, json_object_get(config, "Labels"));
	json_decref(j);
	return 0;
}
