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
 * of "user@UID.service" (and "capsule@NAME.service") to that user's own
 * service manager, and the user can create any cgroup below it: a
 * "user@1000.service/app.slice/legacy.service" says only that uid 1000
 * chose the name legacy.service.  So the unit is read from the system
 * manager's part of the path, and what lies below the delegation is the
 * user_unit, a name the user chose.
 */
#ifndef BW_CGPATH_H
#define BW_CGPATH_H

#include <stddef.h>

#define CG_CONTAINER_ID_LEN 64

/*
 * How many bytes at the start of path the system manager manages: up to
 * the end of the first component "user@UID.service" or "capsule@NAME.
 * service" (whose subtree is delegated), or all of path without one.
 */
size_t cgpath_system_len(const char *path);

/*
 * The innermost systemd unit in the system manager's part of path (see
 * cgpath_system_len()): the last component ending in ".service", ".scope",
 * ".socket", ".mount" or ".swap" (not ".slice").  A process anywhere in a
 * user's delegated subtree has the unit "user@UID.service".  Copies it to
 * unit (of size len) and returns 0, or -ENOENT when there is none,
 * -ENAMETOOLONG when it does not fit.
 */
int cgpath_unit(const char *path, char *unit, size_t len);

/*
 * The same below the delegation point: the innermost unit that a user's
 * own manager (or the user) named, "legacy.service" in ".../user@1000.
 * service/app.slice/legacy.service".  -ENOENT when path has no delegated
 * part or no unit in it.
 */
int cgpath_user_unit(const char *path, char *unit, size_t len);

/*
 * The innermost container id in path: a run of exactly 64 lowercase hex
 * digits forming a whole component, or following "docker-", "libpod-",
 * "crio-", "cri-containerd-" in a component ending in ".scope".  Copies the
 * 64 digits plus NUL to id and returns 0, or -ENOENT when there is none.
 */
int cgpath_container(const char *path, char id[CG_CONTAINER_ID_LEN + 1]);

/*
 * The same in the system manager's part of path only (cgpath_system_len()):
 * below a user's delegation the user names cgroups as it likes,
 * "docker-<64 hex>.scope" too, so only this one may stand for a container.
 */
int cgpath_system_container(const char *path, char id[CG_CONTAINER_ID_LEN + 1]);

#endif /* BW_CGPATH_H */
