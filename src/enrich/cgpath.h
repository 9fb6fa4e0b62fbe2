/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * cgpath.h - what a cgroup v2 path says about the service behind a process.
 *
 * systemd names the cgroup of a unit after the unit ("/system.slice/
 * api.service"); container runtimes put a 64-hex-digit container id in the
 * path ("/system.slice/docker-<id>.scope", "/docker/<id>", "/kubepods/
 * .../cri-containerd-<id>.scope", "/machine.slice/libpod-<id>.scope").
 *
 * Not all of the path is the system's word.  systemd delegates the subtree
 * of a unit to whoever runs it: "user@UID.service" and "capsule@NAME.
 * service" to a user's own service manager, any unit with Delegate=yes to
 * its service (a CI runner, a container engine), and whoever has the
 * subtree creates and names cgroups below it as it likes: a ".../ci-runner.
 * service/system.slice/nginx.service" says only that the runner's user
 * chose the name nginx.service.  So the path has two parts: the system
 * part, up to and including the first delegated cgroup, whose names the
 * system manager gave, and the rest, the user's.  The unit and the
 * container id are read from the system part only; the user_unit is the
 * innermost unit in the user's part.
 *
 * Which cgroup is delegated is a fact of the file system (its owner, an
 * extended attribute), which this module does not read: cgpath_system_len()
 * asks a caller's function (cgroup.c answers from the cgroup2 mount).
 */
#ifndef BW_CGPATH_H
#define BW_CGPATH_H

#include <stdbool.h>
#include <stddef.h>

#define CG_CONTAINER_ID_LEN 64

/* Who a cgroup on a path belongs to, as the caller can tell. */
enum cgpath_owner {
	CGPATH_SYSTEM,    /* root's, not delegated: the cgroups below it are named by the system */
	CGPATH_DELEGATED, /* handed over: its own name is the system's, none below it is */
	CGPATH_UNKNOWN,   /* cannot be told (gone meanwhile): not even its own name is trusted */
};

/*
 * The owner of the cgroup path[0..len), where len ends a component of path.
 * cgpath_system_len() asks for each component in turn from the root, and
 * stops asking where the system part ends.
 */
typedef enum cgpath_owner cgpath_owner_fn(const char *path, size_t len, void *arg);

/*
 * How many bytes at the start of path the system manager named: up to the
 * end of the first component that owner (with arg) calls CGPATH_DELEGATED
 * or that is "user@UID.service" or "capsule@NAME.service" (whose subtrees
 * systemd always delegates), or up to the start of the first it calls
 * CGPATH_UNKNOWN, or all of path.  owner NULL: every cgroup is the
 * system's but for those two names (a path read from a log, whose
 * cgroups may be gone).
 */
size_t cgpath_system_len(const char *path, cgpath_owner_fn *owner, void *arg);

/*
 * The innermost systemd unit in path[0..sys_len), the system part of path
 * (cgpath_system_len()): the last component ending in ".service", ".scope",
 * ".socket", ".mount" or ".swap" (not ".slice").  A process anywhere in a
 * delegated subtree has the delegated unit, "user@UID.service" or
 * "ci-runner.service".  Copies it to unit (of size len) and returns 0, or
 * -ENOENT when there is none, -ENAMETOOLONG when it does not fit.
 */
int cgpath_unit(const char *path, size_t sys_len, char *unit, size_t len);

/*
 * The same in the user's part of path, after sys_len: the innermost unit
 * that a user's own manager (or the user) named, "legacy.service" in
 * ".../user@1000.service/app.slice/legacy.service".  -ENOENT when path has
 * no user's part or no unit in it.
 */
int cgpath_user_unit(const char *path, size_t sys_len, char *unit, size_t len);

/*
 * The innermost container id in the system part path[0..sys_len): a run of
 * exactly 64 lowercase hex digits forming a whole component, or following
 * "docker-", "libpod-", "crio-", "cri-containerd-" in a component ending in
 * ".scope".  Below a delegation a user names cgroups as it likes,
 * "docker-<64 hex>.scope" too, so only the system part may stand for a
 * container.  Copies the 64 digits plus NUL to id and returns 0, or
 * -ENOENT when there is none.
 */
int cgpath_container(const char *path, size_t sys_len, char id[CG_CONTAINER_ID_LEN + 1]);

/* The container runtime a path's layout names. */
enum cgpath_runtime {
	CGPATH_RUNTIME_UNKNOWN,    /* a bare id: Kubernetes' cgroupfs layout, a custom parent */
	CGPATH_RUNTIME_DOCKER,     /* docker-ID.scope, /docker/ID */
	CGPATH_RUNTIME_PODMAN,     /* libpod-ID.scope, /libpod_parent/libpod-ID */
	CGPATH_RUNTIME_CRIO,       /* crio-ID.scope */
	CGPATH_RUNTIME_CONTAINERD, /* cri-containerd-ID.scope, ctr's /NAMESPACE/ID */
};

#define CG_NAMESPACE_LEN 76 /* containerd's longest namespace (and id) */
#define CG_CRI_NAMESPACE "k8s.io" /* the containerd namespace of the CRI's containers */

/* A container as a cgroup path names it. */
struct cgpath_ctr {
	enum cgpath_runtime runtime;
	char id[CG_CONTAINER_ID_LEN + 1];
	/*
	 * The containerd namespace the layout names (CG_CRI_NAMESPACE for
	 * cri-containerd-ID.scope), or the component holding a bare id, which
	 * may be one; "" when neither.
	 */
	char ns[CG_NAMESPACE_LEN + 1];
	/*
	 * id is a name, not 64 hex digits: the path is "/NAMESPACE/ID", the
	 * shape of a container ctr runs, which only containerd's own task
	 * directory confirms (any two cgroups at the root have that shape).
	 */
	bool named;
};

/*
 * Whether s[0..n) is a containerd identifier of at most max bytes: a
 * letter or digit, then letters, digits and single '.', '_' or '-'
 * between them (containerd's pkg/identifiers); so never "..", never a '/'.
 */
bool cgpath_is_identifier(const char *s, size_t n, size_t max);

/* Whether s[0..n) is a container id of 64 lowercase hex digits. */
bool cgpath_is_container_id(const char *s, size_t n);

/*
 * The innermost container in the system part path[0..sys_len), with the
 * runtime its layout names: what cgpath_container() finds, "libpod-<id>"
 * below "/libpod_parent" (podman's cgroupfs layout), or, when the path
 * holds no such id, a path of exactly two components that are containerd
 * identifiers (an id of at most CG_CONTAINER_ID_LEN) and no systemd names, the first neither "docker" nor "libpod_parent"
 * (c->named).  0, or -ENOENT when there is none.
 */
int cgpath_container_of(const char *path, size_t sys_len, struct cgpath_ctr *c);

#endif /* BW_CGPATH_H */
