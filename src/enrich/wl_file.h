/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * wl_file.h - the container runtimes' own files on the host, read for
 * workload.c: where they are, how they are opened, what of their JSON is
 * taken.  Internal to src/enrich/ (workload.c and its readers).
 */
#ifndef BW_WL_FILE_H
#define BW_WL_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include "workload.h"

#define WL_FILE_MAX (1 << 20)  /* bytes of one container's file (config.json, config.v2.json) */
#define WL_INDEX_MAX (8 << 20) /* containers.json: an entry for every container */
#define WL_STR_MAX 1024        /* bytes of a name, image or pod field kept; longer: unknown */

/*
 * The directory that stands for "/" where the runtimes' files are looked
 * for: the e2e tests start their daemons with their own data and state
 * directories below one.  Unset: "/".
 */
#define WL_ROOT_ENV "BINDWATCH_TEST_WORKLOAD_ROOT"

/* The runtimes' directories, as their daemons have them by default. */
#define WL_STORAGE_ROOT "/var/lib/containers/storage"   /* podman, CRI-O: graph root */
#define WL_STORAGE_RUNROOT "/run/containers/storage"    /* podman, CRI-O: run root */
#define WL_DOCKER_ROOT "/var/lib/docker"                /* dockerd --data-root */
#define WL_CONTAINERD_STATE "/run/containerd"           /* containerd --state */

/* The host path of fmt's runtime path (absolute, below WL_ROOT_ENV) into buf: 0 or -ENAMETOOLONG. */
int wl_path(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/*
 * The JSON in the file at path (a host path: wl_path()): a regular
 * file owned by root that neither its group nor others may write, not a
 * link, of at most max bytes, read in a bounded time (stallguard.h) and
 * parsed with duplicate keys refused.  A new reference, or NULL with
 * *err: -ENOENT, -EPERM (a file someone else could have written), -EFBIG,
 * -EAGAIN (it grew while read), -EINVAL (not JSON), -ETIMEDOUT, -errno.
 */
json_t *wl_load(const char *path, size_t max, int *err);

/*
 * A copy of string v: NULL when v is NULL, not a string, longer than
 * WL_STR_MAX, holding a NUL, empty (or on ENOMEM).
 */
char *wl_strv(const json_t *v);

/* The same of member key of obj (NULL when obj is no object). */
char *wl_str(const json_t *obj, const char *key);

/*
 * Fill what pod does not have yet from the Kubernetes annotations or
 * labels in map (the CRI's io.kubernetes.cri.* or the kubelet's
 * io.kubernetes.pod.* / io.kubernetes.container.name); map may be NULL.
 */
void wl_pod_fill(struct workload_pod *pod, const json_t *map);

/* The readers: 0 when the runtime knows container id (what they learn in w), else -errno. */
/* podman: the layout says so, and the index's entry is enough */
int wl_storage_read(const char *id, bool podman, struct workload *w);    /* podman, CRI-O */
int wl_docker_read(const char *id, struct workload *w);                  /* Docker */
int wl_containerd_read(const char *ns, const char *id, struct workload *w); /* ns "": any */

/* Forget every answer workload.c keeps (the tests, between roots). */
void wl_cache_flush(void);

#endif /* BW_WL_FILE_H */
