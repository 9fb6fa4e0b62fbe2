/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * workload.h - the container or pod a process belongs to, as the
 * container runtime that started it recorded it on the host.
 *
 * A process is in a workload when the system part of its cgroup path
 * (cgpath.h: never a user-delegated subtree) names a container id; the
 * runtime's own files on the host (containers/storage for podman and
 * CRI-O, /var/lib/docker for Docker, the task's OCI bundle for
 * containerd) give its name, image and, under Kubernetes, its pod.  A
 * runtime's port proxy (conmon, docker-proxy, rootlessport, a containerd
 * shim) is in no container itself, but holds a published port for one:
 * it gets that container's workload, with source WORKLOAD_PROXY and the
 * container port it forwards to.  What cannot be learned stays NULL
 * (or "" for the fixed-size fields), never a guess.
 */
#ifndef BW_WORKLOAD_H
#define BW_WORKLOAD_H

#include <stdbool.h>
#include "cgpath.h"

#define WORKLOAD_RUNTIME_LEN 16

/* How the process is tied to the workload. */
enum workload_source {
	WORKLOAD_CGROUP, /* it runs in the container (its cgroup) */
	WORKLOAD_PROXY,  /* it is the runtime's proxy for a port the container publishes */
};

/* Kubernetes' names for a container (the CRI's annotations); all NULL outside a pod. */
struct workload_pod {
	char *name;      /* io.kubernetes.cri.sandbox-name, io.kubernetes.pod.name */
	char *namespace; /* io.kubernetes.cri.sandbox-namespace, io.kubernetes.pod.namespace */
	char *uid;       /* io.kubernetes.cri.sandbox-uid, io.kubernetes.pod.uid */
	char *container; /* io.kubernetes.cri.container-name, io.kubernetes.container.name */
};

struct workload {
	enum workload_source source;
	char runtime[WORKLOAD_RUNTIME_LEN]; /* "podman", "docker", "containerd", "cri-o"; "" unknown */
	char id[CG_CONTAINER_ID_LEN + 1];   /* the container id; "" unknown */
	char *name;                         /* the runtime's name for it; NULL unknown */
	char *image;                        /* the image it runs, as the runtime names it; NULL unknown */
	struct workload_pod pod;
	int container_port;                 /* WORKLOAD_PROXY: the port forwarded to; -1 unknown */
};

/*
 * The workload of a process in the cgroup at path (relative to the cgroup2
 * root), whose first sys_len bytes the system manager named
 * (cgpath_system_len()): a new object the caller frees with
 * workload_free(), or NULL when that part names no container (or on
 * ENOMEM).  A container whose runtime files cannot be read still gets its
 * runtime and id.
 */
struct workload *workload_of_cgroup(const char *path, size_t sys_len);

/*
 * The workload of container id (a runtime's full id) of runtime ("podman",
 * "docker", "containerd", "cri-o"; NULL: whichever knows it), with the
 * source and container port given: for a proxy holder.  NULL when no
 * runtime knows the id (or on ENOMEM).
 */
struct workload *workload_of_container(const char *runtime, const char *id,
				       enum workload_source source, int container_port);

/* Whether name is a runtime a workload may name ("podman", "docker", "containerd", "cri-o"). */
bool workload_runtime_known(const char *name);

/* A deep copy of w (NULL for NULL, or on ENOMEM). */
struct workload *workload_dup(const struct workload *w);

void workload_free(struct workload *w);

#endif /* BW_WORKLOAD_H */
